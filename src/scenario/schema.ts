/**
 * The JSON Schema (draft 2020-12) of scenario files, generated from the same grammar the loader uses;
 * committed as docs/scenario.schema.json (`npm run schema` rewrites it) so editors validate and complete
 * scenario files.
 */
import { SchemaBuilder, type JsonSchema } from './decode.ts';
import { scenarioDecoder } from './grammar.ts';

export const SCHEMA_PATH = 'docs/scenario.schema.json';

export function buildScenarioSchema(): JsonSchema {
  const b = new SchemaBuilder();
  const root = scenarioDecoder.schema(b);
  const defs = Object.fromEntries(Object.entries(b.defs).sort(([a], [c]) => a.localeCompare(c)));
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    title: 'replsim scenario',
    description: 'A replsim scenario: sites, PostgreSQL clusters, a timed plan and faults, and expectations. See docs/scenario.md.',
    ...root,
    $defs: defs,
  };
}

/** The schema file's text, as committed. */
export function scenarioSchemaText(): string {
  return `${JSON.stringify(buildScenarioSchema(), null, 2)}\n`;
}

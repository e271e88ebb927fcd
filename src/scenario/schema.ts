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
  const defs: Record<string, JsonSchema> = Object.fromEntries(Object.entries(b.defs).sort(([a], [c]) => a.localeCompare(c)));
  withRepeat(root, defs);
  defs.repeat = REPEAT_SCHEMA;
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

// ---------------------------------------------------------------------------------------------------------
// Repetition (repeat.ts) as an editor sees the file before expansion: every entry of a named mapping or a
// list may hold `repeat:`, and a name may hold `$i` or `$(i+1)` (the decoder checks each instance after
// expansion; a value computed from the index elsewhere, such as a rate, is checked by the loader only).

const NAME_PATTERN = '^[A-Za-z0-9_][A-Za-z0-9_-]{0,62}$';
const TEMPLATE_NAME_PATTERN = '^(?:[A-Za-z0-9_][A-Za-z0-9_-]{0,62}|(?=[^$]*\\$)(?:[A-Za-z0-9_-]|\\$[a-z][a-z0-9_]*|\\$\\([^)]{1,40}\\)){1,80})$';

const REPEAT_SCHEMA: JsonSchema = {
  description: 'This entry stands for several made from it, one per index, $i (or $(i+1), $(i-1), $(i*N), $(i%N)) replaced by the index in its keys and string values (docs/scenario.md, Repetition).',
  oneOf: [
    { type: 'integer', minimum: 1, maximum: 1000, description: 'How many: i runs from 1 to N.' },
    {
      type: 'object',
      properties: {
        count: { type: 'integer', minimum: 1, maximum: 1000, description: 'How many.' },
        from: { type: 'integer', description: 'The first index (default 1).' },
        as: { type: 'string', pattern: '^[a-z][a-z0-9_]{0,15}$', description: 'The variable (default i); a template inside another needs its own.' },
      },
      required: ['count'],
      additionalProperties: false,
    },
  ],
};

type Json = JsonSchema | JsonSchema[] | string | number | boolean | null;

/** Adds `repeat` to the entries of named mappings and lists, and lets names be templates. */
function withRepeat(root: JsonSchema, defs: Record<string, JsonSchema>): void {
  const entries = new Set<JsonSchema>();
  const entry = (x: unknown) => {
    if (!x || typeof x !== 'object' || Array.isArray(x)) return;
    const o = x as Record<string, Json>;
    if (typeof o.$ref === 'string' && o.$ref.startsWith('#/$defs/')) return entry(defs[o.$ref.slice(8)]);
    for (const k of ['oneOf', 'anyOf', 'allOf'] as const) if (Array.isArray(o[k])) (o[k] as JsonSchema[]).forEach(entry);
    if (o.type === 'object' && o.properties && typeof o.properties === 'object') entries.add(o as JsonSchema);
  };
  const walk = (x: Json): void => {
    if (!x || typeof x !== 'object') return;
    if (Array.isArray(x)) return x.forEach(walk);
    const o = x as Record<string, Json>;
    if (o.pattern === NAME_PATTERN) o.pattern = TEMPLATE_NAME_PATTERN;
    if (o.type === 'object' && o.additionalProperties && typeof o.additionalProperties === 'object') entry(o.additionalProperties);
    if (o.type === 'array' && o.items && typeof o.items === 'object') entry(o.items);
    for (const v of Object.values(o)) walk(v);
  };
  walk(root);
  for (const d of Object.values(defs)) walk(d);
  for (const e of entries) (e.properties as Record<string, JsonSchema>).repeat = { $ref: '#/$defs/repeat' };
}

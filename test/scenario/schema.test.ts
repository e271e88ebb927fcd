import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { buildScenarioSchema, scenarioSchemaText } from '../../src/scenario/schema.ts';
import { fixture } from './helpers.ts';

const committed = fileURLToPath(new URL('../../docs/scenario.schema.json', import.meta.url));

type Schema = Record<string, unknown>;
const ANNOTATIONS = new Set(['description', 'default', 'examples', '$schema', 'title', '$defs']);
const KEYWORDS = new Set([
  '$ref', 'type', 'properties', 'required', 'additionalProperties', 'propertyNames', 'minProperties', 'items', 'minItems',
  'enum', 'const', 'pattern', 'minLength', 'maxLength', 'minimum', 'maximum', 'anyOf', 'oneOf',
]);

/** A small validator for the keywords the generated schema uses (enough to check it accepts and rejects). */
function valid(schema: Schema, value: unknown, root: Schema): boolean {
  for (const [k, v] of Object.entries(schema)) {
    if (ANNOTATIONS.has(k)) continue;
    if (!KEYWORDS.has(k)) throw new Error(`validator does not know keyword ${k}`);
    const s = v as Schema;
    switch (k) {
      case '$ref': {
        const name = (v as string).replace('#/$defs/', '');
        if (!valid((root.$defs as Record<string, Schema>)[name]!, value, root)) return false;
        break;
      }
      case 'type': {
        const t = v as string;
        const ok =
          t === 'object' ? typeof value === 'object' && value !== null && !Array.isArray(value)
          : t === 'array' ? Array.isArray(value)
          : t === 'integer' ? Number.isInteger(value)
          : t === 'null' ? value === null
          : typeof value === t;
        if (!ok) return false;
        break;
      }
      case 'properties':
        if (typeof value === 'object' && value && !Array.isArray(value)) {
          for (const [p, ps] of Object.entries(s)) if (p in value && !valid(ps as Schema, (value as Schema)[p], root)) return false;
        }
        break;
      case 'required':
        if (typeof value === 'object' && value && !(v as string[]).every((p) => p in value)) return false;
        break;
      case 'additionalProperties':
        if (typeof value === 'object' && value && !Array.isArray(value)) {
          const known = Object.keys((schema.properties as Schema | undefined) ?? {});
          for (const [p, pv] of Object.entries(value)) {
            if (known.includes(p)) continue;
            if (v === false) return false;
            if (!valid(s, pv, root)) return false;
          }
        }
        break;
      case 'propertyNames':
        if (typeof value === 'object' && value && !Array.isArray(value) && !Object.keys(value).every((p) => valid(s, p, root))) return false;
        break;
      case 'minProperties':
        if (typeof value === 'object' && value && Object.keys(value).length < (v as number)) return false;
        break;
      case 'items':
        if (Array.isArray(value) && !value.every((x) => valid(s, x, root))) return false;
        break;
      case 'minItems':
        if (Array.isArray(value) && value.length < (v as number)) return false;
        break;
      case 'enum':
        if (!(v as unknown[]).includes(value)) return false;
        break;
      case 'const':
        if (value !== v) return false;
        break;
      case 'pattern':
        if (typeof value === 'string' && !new RegExp(v as string, 'u').test(value)) return false;
        break;
      case 'minLength':
        if (typeof value === 'string' && value.length < (v as number)) return false;
        break;
      case 'maxLength':
        if (typeof value === 'string' && value.length > (v as number)) return false;
        break;
      case 'minimum':
        if (typeof value === 'number' && value < (v as number)) return false;
        break;
      case 'maximum':
        if (typeof value === 'number' && value > (v as number)) return false;
        break;
      case 'anyOf':
        if (!(v as Schema[]).some((x) => valid(x, value, root))) return false;
        break;
      case 'oneOf':
        if ((v as Schema[]).filter((x) => valid(x, value, root)).length !== 1) return false;
        break;
    }
  }
  return true;
}

describe('docs/scenario.schema.json', () => {
  it('is the schema generated from the grammar (run `npm run schema` after changing it)', () => {
    expect(readFileSync(committed, 'utf8')).toBe(scenarioSchemaText());
  });

  const schema = buildScenarioSchema();
  const check = (doc: unknown) => valid(schema, doc, schema);

  it('is draft 2020-12 with descriptions', () => {
    expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    const props = schema.properties as Record<string, Schema>;
    for (const [k, p] of Object.entries(props)) expect(p.description, k).toBeTruthy();
  });

  it('accepts the fixtures', () => {
    for (const f of ['mackerel-2017.yaml', 'full.yaml']) expect(check(parse(readFileSync(fixture(f), 'utf8'))), f).toBe(true);
  });

  it('rejects what the loader rejects structurally', () => {
    const doc = () => parse(readFileSync(fixture('mackerel-2017.yaml'), 'utf8')) as Record<string, any>;
    let d = doc();
    d.stat = 1;
    expect(check(d)).toBe(false);
    d = doc();
    d.duration = '2h';
    expect(check(d)).toBe(false);
    d = doc();
    d.plan[0].crash = 'db000';
    expect(check(d)).toBe(false);
    d = doc();
    d.clusters.mackerel.nodes.db002.settings = { recovery_target_timline: 'latest' };
    expect(check(d)).toBe(false);
    d = doc();
    d.links[0].bandwidth = '10 Mbs';
    expect(check(d)).toBe(false);
    d = doc();
    d.clusters.mackerel.failover.timeout = 30;
    expect(check(d)).toBe(false);
    d = doc();
    d.clusters.mackerel.nodes.db002.settings = { recovery_target_timeline: 'latest', synchronous_commit: 'remote_apply', wal_keep_size: '1GB' };
    expect(check(d)).toBe(true);
  });
});

import { describe, expect, it } from 'vitest';
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { parse } from 'yaml';
import { buildScenarioSchema, scenarioSchemaText } from '../../src/scenario/schema.ts';
import { fixture } from './helpers.ts';

const committed = fileURLToPath(new URL('../../docs/scenario.schema.json', import.meta.url));
const scenariosDir = fileURLToPath(new URL('../../scenarios/', import.meta.url));

type Schema = Record<string, unknown>;

describe('docs/scenario.schema.json', () => {
  it('is the schema generated from the grammar (run `npm run schema` after changing it)', () => {
    expect(readFileSync(committed, 'utf8')).toBe(scenarioSchemaText());
  });

  const schema = buildScenarioSchema();
  // What an editor does with it: a full draft 2020-12 validator (Ajv, strict: unknown keywords are errors; `required` may name properties a oneOf branch leaves to the outer object).
  const validate = new Ajv2020({ strict: true, strictRequired: false, allErrors: true }).compile(schema);
  const check = (doc: unknown): boolean => validate(doc);

  it('is draft 2020-12 with descriptions', () => {
    expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    const props = schema.properties as Record<string, Schema>;
    for (const [k, p] of Object.entries(props)) expect(p.description, k).toBeTruthy();
  });

  it('accepts the fixtures', () => {
    for (const f of ['mackerel-2017.yaml', 'full.yaml']) expect(check(parse(readFileSync(fixture(f), 'utf8'))), f).toBe(true);
  });

  it('accepts every shipped scenario, as an editor would see it', () => {
    const files = readdirSync(scenariosDir).filter((f) => f.endsWith('.yaml'));
    expect(files.length).toBeGreaterThan(5);
    for (const f of files) {
      const ok = check(parse(readFileSync(scenariosDir + f, 'utf8')));
      expect(ok ? [] : validate.errors?.map((e) => `${e.instancePath} ${e.message}`), f).toEqual([]);
    }
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

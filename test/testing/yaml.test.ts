/**
 * scenarioToYaml prints any Scenario as a file the loader decodes to an equal Scenario: generated ones,
 * and every shipped scenario and variant.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { listVariants, loadScenarioFile, loadScenarioText } from '../../src/scenario/load.ts';
import type { Scenario } from '../../src/scenario/types.ts';
import { scenarioArbitrary, scenarioToYaml } from '../../src/testing/index.ts';

const DEEP = process.env.REPLSIM_DEEP !== undefined;

function roundTrip(s: Scenario): Scenario {
  return { ...loadScenarioText(scenarioToYaml(s), s.file, {}), variant: s.variant };
}

describe('scenarioToYaml', () => {
  it('generated scenarios round-trip through the loader', () => {
    fc.assert(
      fc.property(scenarioArbitrary({ failover: true, seeds: true }), (s) => {
        const back = roundTrip(s);
        if (!isDeepStrictEqual(back, s)) expect(back).toEqual(s);
      }),
      { numRuns: DEEP ? 5000 : 300, seed: 11 },
    );
  });

  it('generated scenarios with archiving, tied slots, archive failures and checkpoints round-trip too', () => {
    fc.assert(
      fc.property(scenarioArbitrary({ archive: true, operations: { kinds: ['writes', 'stop', 'start', 'archiveFails', 'checkpoint', 'stopConsumer'] } }), (s) => {
        const back = roundTrip(s);
        if (!isDeepStrictEqual(back, s)) expect(back).toEqual(s);
      }),
      { numRuns: DEEP ? 2000 : 150, seed: 12 },
    );
  });

  it('generated scenarios with rebuilds (re-clone, pg_rewind, destroyed data directories) round-trip too', () => {
    fc.assert(
      fc.property(scenarioArbitrary({ operations: { kinds: ['writes', 'stop', 'start', 'crash', 'promote', 'routeWrites', 'reclone', 'pgRewind', 'destroyData'] } }), (s) => {
        const back = roundTrip(s);
        if (!isDeepStrictEqual(back, s)) expect(back).toEqual(s);
      }),
      { numRuns: DEEP ? 1000 : 100, seed: 13 },
    );
  });

  const dir = 'scenarios';
  for (const f of readdirSync(dir).filter((x) => x.endsWith('.yaml')).sort()) {
    const path = join(dir, f);
    for (const variant of [null, ...listVariants(readFileSync(path, 'utf8'), path).map((v) => v.name)]) {
      it(`${f}${variant ? ` --variant ${variant}` : ''} round-trips`, () => {
        const s = loadScenarioFile(path, { variant });
        expect(roundTrip(s)).toEqual(s);
      });
    }
  }

  it("prints a table's empty tail, vacuum_truncate and indexes (they were left out, and the loader read the defaults)", () => {
    const text = `name: tables
start: 2024-01-01T00:00:00Z
duration: 1h
sites: [a]
clusters:
  c:
    nodes:
      p: {site: a, version: 16, role: primary}
    databases:
      app:
        tables:
          t: {size: 10GB, empty_tail: 2GB, vacuum_truncate: false, indexes: 3GB}
`;
    const s = loadScenarioText(text, 'tables.yaml');
    expect(scenarioToYaml(s)).toMatch(/empty_tail: \S+\n\s+vacuum_truncate: false/);
    expect(roundTrip(s)).toEqual(s);
  });

  it('prints a readable file: times after the start, sizes and bandwidths with units', () => {
    const s = loadScenarioFile('scenarios/mackerel-2017.yaml');
    const y = scenarioToYaml(s);
    expect(y).toContain('start: 2017-08-07T05:00:00.000Z');
    expect(y).toContain('bandwidth: 1Gbps');
    expect(y).toMatch(/\{ at: \+30m10s, name: promote-db001, promote: db001 \}/);
    expect(y).toContain('wal_per_tx: 2KiB');
  });
});

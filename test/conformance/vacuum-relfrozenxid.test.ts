/**
 * age(relfrozenxid) after a VACUUM against what real servers printed (test/conformance/vacuum-relfrozenxid.json,
 * recorded with conformance/vacuum/observe-relfrozenxid.sh on 13, 14, 15, 16 and 18): an aggressive VACUUM of
 * a table untouched since before FreezeLimit leaves relfrozenxid at FreezeLimit up to 14 (the age is
 * vacuum_freeze_min_age) and at OldestXmin from 15 (the oldest XID left); VACUUM FREEZE at OldestXmin on all.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runScenario } from '../../src/run.ts';
import { loadScenarioText } from '../../src/scenario/load.ts';

interface Observed {
  readonly major: number;
  readonly server: string;
  readonly aggressive: number;
  readonly freeze: number;
}
const real: { servers: Observed[] } = JSON.parse(readFileSync('test/conformance/vacuum-relfrozenxid.json', 'utf8'));

/**
 * The same steps in the model: both tables written at the start (the model takes a table as written up to
 * then), 10,000 XIDs consumed in 10 s, then nothing else running while they are vacuumed.
 */
function model(major: number): { aggressive: number; freeze: number } {
  const r = runScenario(
    loadScenarioText(
      `
name: relfrozenxid-${major}
start: 2024-01-01T00:00:00Z
duration: 20s
sites: {dc: {}}
clusters:
  c:
    nodes: {p: {site: dc, version: ${major}, settings: {autovacuum: false, vacuum_freeze_min_age: 1000, vacuum_freeze_table_age: 0}}}
    databases:
      app: {tables: {t: {size: 1MB, frozen_age: 0}, u: {size: 1MB, frozen_age: 0}}}
    workload: {target: p, rate: 1000/s, wal_per_tx: 200B}
plan:
  - {at: +10s, workload: {rate: 0/s}}
  - {at: +11s, vacuum: {table: t}}
  - {at: +12s, vacuum: {table: u, freeze: true}}
`,
      'relfrozenxid.yaml',
    ),
  ).report;
  const after = (table: string) => r.vacuums.find((v) => v.table === table && v.trigger === 'manual')!.ageAfter!;
  return { aggressive: after('t'), freeze: after('u') };
}

describe('age(relfrozenxid) after VACUUM, as real servers left it', () => {
  it.each(real.servers)('PostgreSQL $server', (o) => {
    expect(model(o.major)).toEqual({ aggressive: o.aggressive, freeze: o.freeze });
  });
});

/**
 * When autovacuum takes a table, by version (autovacuum.c relation_needs_vacanalyze; postgres-2.md §5.1):
 * dead rows past autovacuum_vacuum_threshold + scale_factor × reltuples (18: at most
 * autovacuum_vacuum_max_threshold), rows inserted past insert_threshold + insert_scale_factor × reltuples (13+;
 * 18: × the fraction not all-frozen), then the next launcher visit (autovacuum_naptime, one database here).
 * Figures: 1,000,000 rows, 100 write transactions a second.
 */
import { describe, expect, it } from 'vitest';
import { runScenario } from '../../src/run.ts';
import { loadScenarioText } from '../../src/scenario/load.ts';
import type { Report, VacuumJson } from '../../src/report/types.ts';
import { vacuumDoc } from '../support/vacuum.ts';

const t = (r: Report, iso: string) => (Date.parse(iso) - Date.parse(r.start)) / 1000;

/** The first autovacuum of `log` (null if none in two hours). */
function first(version: number, o: { inserts: number; settings?: string; vacuumScan?: number }): { v: VacuumJson | null; r: Report } {
  const yaml = vacuumDoc(
    {
      version,
      settings: o.settings ?? '',
      tables: `          log: {size: 1GB, rows: 1000000, vacuum_scan: ${o.vacuumScan ?? 1}, frozen_age: 0}\n`,
      workload: `{target: p, rate: 100/s, wal_per_tx: 200B, table: log, inserts: ${o.inserts}}`,
    },
    { duration: '2h', workload: '' },
  );
  const r = runScenario(loadScenarioText(yaml, 'thresholds.yaml')).report;
  return { v: r.vacuums.find((x) => x.table === 'log') ?? null, r };
}

/** The vacuum starts at the first launcher visit (every 60 s) after the threshold is passed at `due` s. */
function startsAfter(x: { v: VacuumJson | null; r: Report }, due: number): void {
  expect(x.v).not.toBeNull();
  const at = t(x.r, x.v!.from);
  expect(at).toBeGreaterThan(due);
  expect(at).toBeLessThanOrEqual(due + 60);
}

describe('autovacuum thresholds by version', () => {
  it('updates: dead rows past 50 + 0.2 × reltuples (200,050 rows: 2,000.5 s); the scale factor moves it', () => {
    const x = first(16, { inserts: 0 });
    expect(x.v!.trigger).toBe('dead rows');
    startsAfter(x, 2000.5);
    startsAfter(first(16, { inserts: 0, settings: 'autovacuum_vacuum_scale_factor: 0.1' }), 1000.5);
  });

  it('an insert-only table is vacuumed for its inserts from 13 (1,000 + 0.2 × reltuples), never before', () => {
    expect(first(12, { inserts: 1 }).v).toBeNull();
    const x = first(13, { inserts: 1 });
    expect(x.v!.trigger).toBe('inserts');
    startsAfter(x, 2010);
    // -1 turns it off again.
    expect(first(13, { inserts: 1, settings: 'autovacuum_vacuum_insert_threshold: -1' }).v).toBeNull();
  });

  it('18 scales the insert threshold by the fraction not all-frozen, and caps the dead-row one at autovacuum_vacuum_max_threshold', () => {
    // Half the table all-frozen: 1,000 + 0.2 × 500,000 = 101,000 inserts on 18, 201,000 on 17.
    startsAfter(first(18, { inserts: 1, vacuumScan: 0.5 }), 1010);
    startsAfter(first(17, { inserts: 1, vacuumScan: 0.5 }), 2010);
    // A cap of 50,000 dead rows: 500 s on 18 (17 has no cap).
    const capped = first(18, { inserts: 0, settings: 'autovacuum_vacuum_max_threshold: 50000' });
    expect(capped.v!.trigger).toBe('dead rows');
    startsAfter(capped, 500);
  });
});

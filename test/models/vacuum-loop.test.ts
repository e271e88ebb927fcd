/**
 * A held-back autovacuum retry loop computed ahead (vacuum/autovacuum.ts) gives the same runs as one event
 * per run: the same records, the same lock waits, the same ages, also when a plan step interrupts it in the
 * middle of a run.
 */
import { describe, expect, it } from 'vitest';
import { Autovacuum } from '../../src/models/postgres/vacuum/autovacuum.ts';
import { runScenario } from '../../src/run.ts';
import { loadScenarioText } from '../../src/scenario/load.ts';
import { DEEP } from '../support/properties.ts';

function yaml(version: number): string {
  return `
name: loop
start: 2024-01-01T00:00:00Z
duration: 40d
sites: {dc: {}}
clusters:
  c:
    nodes:
      p: {site: dc, version: ${version}, settings: {autovacuum_freeze_max_age: 50000000}}
    databases:
      app:
        tables:
          pg_catalog: {size: 1GB, catalog: true, churn: 20MB, frozen_age: 0}
          orders: {size: 10GB, vacuum_scan: 0.2, frozen_age: 0}
    slots:
      cdc: {node: p, type: logical, database: app, consumer: active}
    workload: {target: p, rate: 100/s, wal_per_tx: 1KiB}
plan:
  - {at: +2d, stop_consumer: cdc}
  - {at: +9d3h17m, name: lock-catalog, ddl: {statement: "LOCK pg_catalog IN ACCESS EXCLUSIVE MODE", duration: 10s}}
  - {at: +20d, workload: {rate: 150/s}}
  - {at: +30d, drop_slot: cdc}
`;
}

function runs(version: number, ahead: boolean) {
  const proto = Autovacuum.prototype as unknown as { startLoop: (k: number) => boolean };
  const original = proto.startLoop;
  if (!ahead) proto.startLoop = () => false;
  try {
    const r = runScenario(loadScenarioText(yaml(version), 'loop.yaml'));
    return {
      vacuums: r.history.vacuums.map((v) => ({ ...v })),
      waits: r.report.locks?.waits ?? [],
      xid: r.report.xid,
      events: r.report.stats.events,
    };
  } finally {
    proto.startLoop = original;
  }
}

describe('retry loops computed ahead', () => {
  // One version by default (the rules that differ are the cutoffs); both in the deep run.
  for (const version of DEEP ? [13, 16] : [16]) {
    it(`record the runs one event per run would (PostgreSQL ${version})`, () => {
      const slow = runs(version, false);
      const fast = runs(version, true);
      expect(slow.vacuums.reduce((a, v) => a + (v.runs ?? 1), 0)).toBeGreaterThan(10_000);
      expect(fast.vacuums).toEqual(slow.vacuums);
      expect(fast.waits).toEqual(slow.waits);
      expect(fast.xid).toEqual(slow.xid);
      // And with far fewer events.
      expect(fast.events).toBeLessThan(slow.events / 3);
    });
  }
});

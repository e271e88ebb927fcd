/**
 * A prepared transaction lives in the WAL (twophase.c): a standby that replayed its PREPARE has it, a promotion
 * keeps it (RecoverPreparedTransactions), and it holds the new primary's xmin horizon until COMMIT/ROLLBACK
 * PREPARED there; an old primary that rejoins as a standby does not take it away. A standby promoted before the
 * PREPARE reached it never has it.
 */
import { describe, expect, it } from 'vitest';
import { runScenario } from '../../src/run.ts';
import { loadScenarioText } from '../../src/scenario/load.ts';

function run(o: { standbyStopsFirst: boolean; rejoin: boolean }) {
  const text = `
name: prepared-failover
start: 2024-01-01T00:00:00Z
timezone: UTC
duration: 2d
sites: {a: {}}
clusters:
  c:
    nodes:
      p: {site: a, version: 16, role: primary, settings: {wal_log_hints: true, autovacuum_freeze_max_age: 100000}}
      s1: {site: a, version: 16, upstream: p, settings: {autovacuum_freeze_max_age: 100000}}
    databases:
      app:
        tables:
          t: {size: 1GB, frozen_age: 0}
    workload: {target: p, site: a, rate: 100/s, wal_per_tx: 1KiB}
plan:
${o.standbyStopsFirst ? '  - {at: "00:05", stop: s1}\n' : ''}  - {at: "00:10", open_transaction: {node: p, name: gid1, prepared: true, database: app}}
  - {at: "01:00", crash: p}
${o.standbyStopsFirst ? '  - {at: "01:00:30", start: s1}\n' : ''}  - {at: "01:01", promote: s1}
  - {at: "01:01", route_writes: s1}
${o.rejoin ? '  - {at: "01:05", pg_rewind: {node: p, from: s1}}\n' : ''}`;
  return runScenario(loadScenarioText(text, '<prepared-failover>')).report;
}

describe('a prepared transaction follows the WAL across a failover', () => {
  it('the promoted standby has it: its horizon stays held, also after the old primary rejoins as a standby', () => {
    for (const rejoin of [false, true]) {
      const r = run({ standbyStopsFirst: false, rejoin });
      // 100 XIDs/s for two days less 10 minutes: about 17,220,000 XIDs behind the prepared transaction at the end.
      expect(r.xid[0]!.endAge).toBeGreaterThan(17_000_000);
      expect(r.vacuums.some((v) => v.result.includes('could not freeze past prepared transaction "gid1"'))).toBe(true);
    }
  });

  it('a standby promoted before the PREPARE reached it is not held by it', () => {
    const r = run({ standbyStopsFirst: true, rejoin: false });
    expect(r.xid[0]!.endAge).toBeLessThan(300_000);
  });
});

/**
 * A promotion takes no logical slot with it: slots live on one server (up to 16; from 17 only failover slots
 * synchronized by sync_replication_slots, not modelled), so a logical consumer cannot go on on the new primary.
 */
import { describe, expect, it } from 'vitest';
import { runScenario } from '../../src/run.ts';
import { loadScenarioText } from '../../src/scenario/load.ts';

function run(version: number, slotOn: 'p' | 's1') {
  const text = `
name: slot-failover
start: 2024-01-01T00:00:00Z
timezone: UTC
end: "00:30"
sites: {a: {}}
clusters:
  c:
    nodes:
      p: {site: a, version: ${version}, role: primary}
      s1: {site: a, version: ${version}, upstream: p}
    databases:
      app:
        tables:
          t: {size: 10GB}
    workload: {target: p, site: a, rate: 100/s, wal_per_tx: 2KiB}
plan:
  - {at: "00:05", create_slot: {name: cdc, node: p, type: logical, database: app}}
${slotOn === 's1' ? '  - {at: "00:09", stop_consumer: cdc}\n  - {at: "00:10", drop_slot: cdc}\n' : ''}  - {at: "00:20", crash: p}
  - {at: "00:21", promote: s1}
`;
  return runScenario(loadScenarioText(text, '<slot-failover>')).report;
}

describe('a logical slot does not follow a promotion', () => {
  it('the promoted standby has none of the old primary\'s logical slots, and the report says so', () => {
    for (const version of [10, 15, 17]) {
      const e = run(version, 'p').events.find((x) => (x.fact as { kind: string }).kind === 'logical-slots-left-behind');
      expect(e?.node).toBe('s1');
      expect(e?.message).toContain('"cdc" on p');
      expect(e?.message.includes('failover = true')).toBe(version >= 17);
    }
  });

  it('nothing is said when no logical slot is left', () => {
    expect(run(15, 's1').events.some((x) => (x.fact as { kind: string }).kind === 'logical-slots-left-behind')).toBe(false);
  });
});

describe('a slot left on the old primary holds nothing on the new one', () => {
  it('the stale logical slot pins catalog_xmin on p; after the failover s1 freezes its catalogs', () => {
    const text = `
name: stale-slot-failover
start: 2024-01-01T00:00:00Z
timezone: UTC
end: "12:00"
sites: {a: {}}
clusters:
  c:
    nodes:
      p: {site: a, version: 15, role: primary, settings: {autovacuum_freeze_max_age: 100000}}
      s1: {site: a, version: 15, upstream: p, settings: {autovacuum_freeze_max_age: 100000}}
    databases:
      app:
        tables:
          pg_catalog: {size: 100MB, catalog: true, churn: 1MB, frozen_age: 0}
    slots:
      cdc: {node: p, type: logical, database: app, consumer: stopped}
    workload: {target: p, site: a, rate: 100/s, wal_per_tx: 1KiB}
plan:
  - {at: "06:00", crash: p}
  - {at: "06:00", partition: p}
  - {at: "06:01", promote: s1}
  - {at: "06:01", route_writes: s1}
`;
    const r = runScenario(loadScenarioText(text, '<stale-slot-failover>')).report;
    const x = r.xid[0]!;
    // 100 XIDs/s for six hours behind the slot: 2,160,000 at the failover; frozen on s1 soon after.
    expect(x.maxAge).toBeGreaterThan(2_100_000);
    expect(x.endAge).toBeLessThan(1_000_000);
    expect(x.projectedStopAt).toBeNull();
    expect(x.cause.map((c) => c.text).join('\n')).toContain('slot "cdc" held catalog_xmin at XID 1000000000 from 00:00:00 to 06:01:00');
    const after = r.vacuums.filter((v) => v.node === 's1');
    expect(after.length).toBeGreaterThan(0);
    expect(after.every((v) => v.blockedBy === null)).toBe(true);
  });
});

describe('a slot on a standby', () => {
  it('holds the primary\'s catalogs only through hot_standby_feedback', () => {
    const run = (hsf: boolean) =>
      runScenario(
        loadScenarioText(
          `
name: slot-on-standby
start: 2024-01-01T00:00:00Z
timezone: UTC
end: "12:00"
sites: {a: {}}
clusters:
  c:
    nodes:
      p: {site: a, version: 16, role: primary, settings: {autovacuum_freeze_max_age: 100000}}
      s1: {site: a, version: 16, upstream: p, settings: {hot_standby_feedback: ${hsf}}}
    databases:
      app:
        tables:
          pg_catalog: {size: 100MB, catalog: true, churn: 1MB, frozen_age: 0}
    slots:
      cdc: {node: s1, type: logical, database: app, consumer: stopped}
    workload: {target: p, site: a, rate: 100/s, wal_per_tx: 1KiB}
`,
          '<slot-on-standby>',
        ),
      ).report;
    // 100 XIDs/s for 12 hours: 4,320,000 behind the slot when it holds; frozen every ~1,000 s when it does not.
    expect(run(true).xid[0]!.endAge).toBeGreaterThan(4_000_000);
    expect(run(false).xid[0]!.endAge).toBeLessThan(1_000_000);
  });
});

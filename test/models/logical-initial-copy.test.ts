/**
 * The initial table copy of a subscription (models/logical/tablesync.ts): tablesync workers copy the publisher's
 * tables, at most max_sync_workers_per_subscription at once, each holding a slot (WAL, catalog_xmin) and a
 * snapshot (xmin) on the publisher until it is done; a table not ready at the cut-over is lost whole. Observed
 * on 15.18 -> 17.10 and 13.23 (conformance/logical/observe-initial-copy.sh, docs/model-postgres.md).
 */
import { describe, expect, it } from 'vitest';
import { runScenario } from '../../src/run.ts';
import { loadScenarioText } from '../../src/scenario/load.ts';

const BASE = `
name: copy-probe
start: 2025-06-14T10:00:00Z
timezone: UTC
end: "13:00"
sites: {dc1: {}}
clusters:
  blue:
    nodes:
      blue1: {site: dc1, version: 15, role: primary}
    databases:
      app:
        tables:
          orders: {size: 300GiB, rows: 2000000000}
          events: {size: 60GiB}
          customers: {size: 4GiB}
    workload: {target: blue1, rate: 600/s, wal_per_tx: 2KiB}
  green:
    nodes:
      green1: {site: dc1, version: 17, role: primary}
subscriptions:
  upgrade: {publisher: blue1, subscriber: green1, apply_rate: 1000/s}
plan:
  - {at: "11:30", name: pause, block_clients: blue1}
  - {at: "11:31", name: cut-over, route_writes: green1}
  - {at: "11:32", name: drop, drop_subscription: upgrade}
`;

const run = (sets: string[] = [], extra = '') => runScenario(loadScenarioText(BASE + extra, 'copy-probe.yaml', { sets })).report;
const facts = (r: ReturnType<typeof run>, kind: string): Record<string, unknown>[] => r.events.filter((e) => e.fact.kind === kind).map((e) => ({ at: e.at, ...(e.fact as unknown as Record<string, unknown>) }));
/** Events before the cut-over at 12:40 (the drop aborts a copy still running too). */
const before = (xs: Record<string, unknown>[]) => xs.filter((f) => String(f.at) < '2025-06-14T12:00:00Z');

describe('the initial copy', () => {
  it('copies two tables at once at copy_rate each, the next one when a worker is free', () => {
    const r = run();
    // 40 MiB/s per worker: events (60 GiB) in 1,536 s, then customers (4 GiB) in 102.4 s; orders needs 7,680 s.
    expect(facts(r, 'table-ready').map((f) => [f.table, f.at])).toEqual([
      ['events', '2025-06-14T10:25:36Z'],
      ['customers', '2025-06-14T10:27:18.400Z'],
    ]);
    expect(facts(r, 'table-copy-started').map((f) => f.slot)).toEqual(['pg_17384_sync_16384', 'pg_17384_sync_16385', 'pg_17384_sync_16386']);
  });

  it('a cut-over before a table is ready loses its rows, whatever the commits', () => {
    const r = run();
    expect(r.dataLoss).toHaveLength(1);
    expect(r.dataLoss[0]).toMatchObject({ cluster: 'blue', commits: 0, table: { name: 'orders', rows: 2_000_000_000 }, to: '2025-06-14T11:31:00Z' });
  });

  it('no_data_loss fails on a table lost whole and names it', () => {
    const r = run([], 'expect:\n  - no_data_loss: blue\n');
    expect(r.expectations).toEqual([expect.objectContaining({ passed: false, detail: 'table orders lost whole' })]);
  });

  it('waiting until every table is ready loses nothing', () => {
    const r = run(['plan.pause.at=12:10', 'plan.cut-over.at=12:11', 'plan.drop.at=12:12']);
    expect(r.dataLoss).toEqual([]);
    expect(facts(r, 'table-ready').map((f) => f.table)).toEqual(['events', 'customers', 'orders']);
  });

  it('copy_data = false copies nothing and loses nothing', () => {
    const r = run(['subscriptions.upgrade.copy_data=false']);
    expect(facts(r, 'table-copy-started')).toEqual([]);
    expect(r.dataLoss).toEqual([]);
  });

  it('one sync worker copies the tables one after the other', () => {
    const r = run(['clusters.green.nodes.green1.settings.max_sync_workers_per_subscription=1']);
    // orders first (7,680 s): nothing else is ready at the cut-over but orders itself is still copying.
    expect(facts(r, 'table-ready')).toEqual([]);
    expect(r.dataLoss.map((l) => l.table?.name)).toEqual(['orders', 'events', 'customers']);
  });

  it("the table's slot keeps the publisher's WAL from the copy's start until it is done", () => {
    const r = run();
    const lag = r.series!.find((s) => s.name === 'blue slot_lag')!.points;
    // 600/s x 2 KiB from 10:00 to the pause at 11:30 (5,400 s): about 6.6 GB, held by orders' slot.
    const at1130 = lag.find(([t]) => t === '2025-06-14T11:30:00Z')![1];
    expect(at1130).toBeGreaterThan(6.5e9);
    expect(at1130).toBeLessThan(6.7e9);
  });

  it("the copy's snapshot holds the publisher's xmin horizon while it runs", () => {
    const r = run();
    const held = facts(r, 'xmin-held').filter((f) => f.session === 'pg_17384_sync_16384');
    expect(held).toHaveLength(1);
    expect(held[0]).toMatchObject({ at: '2025-06-14T10:00:00Z', isolation: 'repeatable read' });
  });

  it("the publisher's autovacuum removes no dead row the copy's snapshot can see until the copy is done", () => {
    const churn = BASE.replace('          customers: {size: 4GiB}', '          customers: {size: 4GiB}\n          jobs: {size: 100MiB, churn: 2GiB}');
    const r = runScenario(loadScenarioText(churn, 'copy-probe.yaml', { sets: ['plan.pause.at=12:10', 'plan.cut-over.at=12:11', 'plan.drop.at=12:12'] })).report;
    const jobs = (r.vacuums ?? []).filter((v) => v.table === 'jobs');
    // Until orders' copy ends at 12:08 the vacuums of jobs are held by its transaction; the first after it removes the pile.
    const during = jobs.filter((v) => (v.to ?? '') < '2025-06-14T12:08:00Z');
    expect(during.length).toBeGreaterThan(0);
    expect(during.every((v) => v.blockedBy === 'transaction "pg_17384_sync_16384" on blue1 (database app)')).toBe(true);
    const next = jobs.find((v) => v.from >= '2025-06-14T12:08:00Z')!;
    expect(next.blockedBy).toBeNull();
    expect(next.result).toMatch(/dead rows removed/);
  });

  it("statement_timeout on the publisher cancels a COPY longer than it, again and again: the table is never ready", () => {
    const r = run(['clusters.blue.nodes.blue1.settings.statement_timeout=30min', 'plan.pause.at=12:40', 'plan.cut-over.at=12:41', 'plan.drop.at=12:42']);
    const orders = facts(r, 'table-copy-started').filter((f) => f.table === 'orders');
    expect(orders.slice(0, 3).map((f) => f.at)).toEqual(['2025-06-14T10:00:00Z', '2025-06-14T10:30:00Z', '2025-06-14T11:00:00Z']);
    // events (25.6 min) and customers (1.7 min) fit in 30 min; orders (2 h 8 min) never does.
    expect(facts(r, 'table-ready').map((f) => f.table)).toEqual(['events', 'customers']);
    expect(r.dataLoss.map((l) => l.table?.name)).toEqual(['orders']);
  });

  it('a publisher restart aborts the running copies: they begin again from scratch', () => {
    const r = run(['plan.pause.at=12:40', 'plan.cut-over.at=12:41', 'plan.drop.at=12:42'], '  - {at: "11:00", name: restart, restart: blue1}\n');
    expect(before(facts(r, 'table-copy-interrupted')).map((f) => f.table)).toEqual(['orders']);
    const orders = facts(r, 'table-copy-started').filter((f) => f.table === 'orders');
    expect(orders.map((f) => f.attempt)).toEqual([1, 2]);
    // Begun again at about 11:00 it needs 7,680 s more: not ready at the 12:41 cut-over (it would have been at 12:08).
    expect(r.dataLoss.map((l) => l.table?.name)).toEqual(['orders']);
  });

  it('a slot invalidated by max_slot_wal_keep_size during the copy leaves the table in srsubstate f for good', () => {
    const r = run(['clusters.blue.nodes.blue1.settings.max_slot_wal_keep_size=4GB', 'plan.pause.at=12:20', 'plan.cut-over.at=12:21', 'plan.drop.at=12:22']);
    expect(facts(r, 'tablesync-slot-lost').map((f) => f.table)).toEqual(['orders']);
    // Observed on 15.18: the walsender refuses the catch-up's START_REPLICATION; 16+ words it otherwise.
    const log = r.events.filter((e) => e.fact.kind === 'tablesync-slot-lost').flatMap((e) => e.log);
    expect(log.join('\n')).toContain('ERROR:  cannot read from logical replication slot "pg_17384_sync_16384"');
    const r16 = run(['clusters.blue.nodes.blue1.version=16', 'clusters.blue.nodes.blue1.settings.max_slot_wal_keep_size=4GB', 'plan.pause.at=12:20', 'plan.cut-over.at=12:21', 'plan.drop.at=12:22']);
    expect(r16.events.filter((e) => e.fact.kind === 'tablesync-slot-lost').flatMap((e) => e.log).join('\n')).toContain('can no longer get changes from replication slot "pg_17384_sync_16384"');
    expect(r.dataLoss.map((l) => l.table?.name)).toEqual(['orders']);
    expect(r.dataLoss[0]!.cause[0]!.text ?? JSON.stringify(r.dataLoss[0]!.cause[0])).toContain('srsubstate f');
  });

  it("the subscriptions of one subscriber share its max_logical_replication_workers: one apply worker each, then the tablesync workers", () => {
    // Two subscriptions to green1 (one per database): 4 slots - 2 apply workers = 2 tablesync workers for both.
    const two = BASE.replace('    workload:', '      crm:\n        tables:\n          contacts: {size: 8GiB}\n    workload:').replace(
      '  upgrade: {publisher: blue1, subscriber: green1, apply_rate: 1000/s}',
      '  upgrade: {publisher: blue1, subscriber: green1, apply_rate: 1000/s}\n  upgrade_crm: {publisher: blue1, subscriber: green1, apply_rate: 1000/s, database: crm}',
    );
    const r = runScenario(loadScenarioText(two, 'copy-probe.yaml', { sets: [] })).report;
    const started = facts(r, 'table-copy-started').map((f) => [f.table, f.at]);
    // upgrade asks first and takes both (orders, events); the worker that copied events takes customers for its
    // own subscription at 10:25:36 (it wakes its own apply worker: tablesync.c finish_sync_worker); contacts
    // waits for customers' worker, at 10:27:18.4.
    expect(started).toEqual([
      ['orders', '2025-06-14T10:00:00Z'],
      ['events', '2025-06-14T10:00:00Z'],
      ['customers', '2025-06-14T10:25:36Z'],
      ['contacts', '2025-06-14T10:27:18.400Z'],
    ]);
    const warned = r.events.filter((e) => e.fact.kind === 'sync-workers-exhausted');
    expect(warned.length).toBeGreaterThan(0);
    expect(warned[0]!.log.join('\n')).toContain('WARNING:  out of logical replication worker slots');
    // With 6 slots each subscription runs its 2.
    const r6 = runScenario(loadScenarioText(two, 'copy-probe.yaml', { sets: ['clusters.green.nodes.green1.settings.max_logical_replication_workers=6'] })).report;
    expect(facts(r6, 'table-copy-started').filter((f) => f.at === '2025-06-14T10:00:00Z').map((f) => f.table)).toEqual(['orders', 'events', 'contacts']);
  });

  it('between sites each COPY gets its share of the link, not more than copy_rate', () => {
    const far = (bandwidth: string) =>
      runScenario(
        loadScenarioText(
          BASE.replace('sites: {dc1: {}}', `sites: {dc1: {}, dc2: {}}\nlinks: [{between: [dc1, dc2], bandwidth: ${bandwidth}, latency: 1ms}]`).replace('green1: {site: dc1', 'green1: {site: dc2'),
          'copy-probe.yaml',
          { sets: [] },
        ),
      ).report;
    // 100 Mbps less 3% of headers, shared by the two copies: about 6.06 MB/s each; events (60 GiB) then takes 2 h 57 min.
    const slow = facts(far('100Mbps'), 'table-copy-started');
    expect(slow[0]).toMatchObject({ table: 'orders', byLink: true });
    expect(slow[0]!.rate).toBeGreaterThan(6.0e6);
    expect(slow[0]!.rate).toBeLessThan(6.1e6);
    const fast = facts(far('10Gbps'), 'table-copy-started');
    expect(fast[0]).toMatchObject({ rate: 40 * 1024 * 1024, byLink: false });
  });

  it('up to 13 the tablesync slot is temporary: an aborted copy leaves no slot behind', () => {
    const r = run(['clusters.green.nodes.green1.version=13', 'plan.pause.at=12:40', 'plan.cut-over.at=12:41', 'plan.drop.at=12:42'], '  - {at: "11:00", name: restart, restart: blue1}\n');
    const i = before(facts(r, 'table-copy-interrupted'));
    expect(i.map((f) => f.slot)).toEqual([null]);
    expect(facts(r, 'table-copy-started')[0]!.slot).toBe('upgrade_17384_sync_16384');
  });

  describe('a failover of the publisher during the copy (follow_primary)', () => {
    const FO = (version: number, failover: boolean) => `
name: copy-failover
start: 2025-06-14T08:00:00Z
timezone: UTC
end: "12:00"
sites: {dc1: {}}
clusters:
  blue:
    nodes:
      blue1: {site: dc1, version: ${version}, role: primary}
      blue2: {site: dc1, version: ${version}, upstream: blue1, settings: {hot_standby_feedback: on, primary_slot_name: blue2_slot${version >= 17 ? ', sync_replication_slots: on' : ''}}}
    slots:
      blue2_slot: {node: blue1, type: physical, hot_standby_feedback: true}
    databases:
      app: {tables: {orders: {size: 300GiB}, events: {size: 60GiB}}}
    workload: {target: blue1, rate: 600/s, wal_per_tx: 2KiB}
  green:
    nodes:
      green1: {site: dc1, version: 17, role: primary}
subscriptions:
  upgrade: {publisher: blue1, subscriber: green1, apply_rate: 1000/s, follow_primary: true${failover ? ', failover: true' : ''}}
plan:
  - {at: "08:10", name: crash, crash: blue1}
  - {at: "08:11", name: promote, promote: blue2}
  - {at: "08:11", name: writes, route_writes: blue2}
  - {at: "11:00", name: pause, block_clients: blue2}
  - {at: "11:01", name: cut-over, route_writes: green1}
  - {at: "11:02", name: drop, drop_subscription: upgrade}
`;
    const runFo = (version: number, failover: boolean) => runScenario(loadScenarioText(FO(version, failover), 'copy-failover.yaml', { sets: [] })).report;

    it('before 17 the slot is gone: no tablesync worker starts on the new primary, every table and the commits since are lost', () => {
      const r = runFo(15, false);
      // The apply worker cannot start streaming on blue2 (its slot does not exist there), so it launches no tablesync worker.
      expect(facts(r, 'table-copy-started').map((f) => f.at)).toEqual(['2025-06-14T08:00:00Z', '2025-06-14T08:00:00Z']);
      expect(r.dataLoss.map((l) => l.table?.name ?? 'commits')).toEqual(['commits', 'orders', 'events']);
    });

    it('17 with failover = true: the slot goes on on blue2 and the copies begin again there, from scratch', () => {
      const r = runFo(17, true);
      const again = facts(r, 'table-copy-started').filter((f) => f.attempt === 2);
      expect(again.map((f) => [f.table, f.at])).toEqual([
        ['orders', '2025-06-14T08:11:00Z'],
        ['events', '2025-06-14T08:11:00Z'],
      ]);
      // events, copied again from 08:11, is ready at 08:36:36; orders (7,680 s) at 10:19: nothing lost at 11:01.
      expect(r.dataLoss).toEqual([]);
    });

    it('17 with failover = true but a standby without hot_standby_feedback: nothing synchronized, the report says why', () => {
      const text = FO(17, true).replace('hot_standby_feedback: on, primary_slot_name', 'hot_standby_feedback: off, primary_slot_name');
      const r = runScenario(loadScenarioText(text, 'copy-failover.yaml', { sets: [] })).report;
      const left = r.events.find((e) => e.fact.kind === 'logical-slots-left-behind')!;
      expect(left.fact).toMatchObject({ lacks: 'hot_standby_feedback' });
      // Observed on 17.10: the server's own words.
      expect(left.message).toContain('replication slot synchronization requires "hot_standby_feedback" to be enabled');
      expect(r.dataLoss.map((l) => l.table?.name ?? 'commits')).toEqual(['commits', 'orders', 'events']);
    });
  });
});

/**
 * A major-version upgrade by logical replication (models/logical): one apply worker applies the publisher's
 * commits at its own rate, the cut-over moves the writes to the subscriber, DROP SUBSCRIPTION ends the apply;
 * sequences are not replicated; DDL is not replicated. Observed on 15.18 -> 17.10 (docs/model-postgres.md,
 * "Upgrade by logical replication").
 */
import { describe, expect, it } from 'vitest';
import { runScenario } from '../../src/run.ts';
import { loadScenarioText } from '../../src/scenario/load.ts';

const BASE = `
name: logical-probe
start: 2025-06-14T10:00:00Z
timezone: UTC
end: "12:00"
sites: {dc1: {}}
clusters:
  blue:
    nodes:
      blue1: {site: dc1, version: 15, role: primary, settings: {checkpoint_timeout: 5min}}
    workload: {target: blue1, rate: 600/s, wal_per_tx: 2KiB}
  green:
    nodes:
      green1: {site: dc1, version: 17, role: primary}
subscriptions:
  upgrade: {publisher: blue1, subscriber: green1, apply_rate: 1000/s, serial_rows: 1000000}
plan:
  - {at: "10:20", name: batch-starts, workload: {cluster: blue, rate: 2000/s}}
  - {at: "10:40", name: batch-ends, workload: {cluster: blue, rate: 600/s}}
  - {at: "11:00", name: pause, block_clients: blue1}
  - {at: "11:01", name: sync, sync_sequences: upgrade}
  - {at: "11:01", name: cut-over, route_writes: green1}
  - {at: "11:02", name: drop, drop_subscription: upgrade}
`;

const run = (sets: string[] = [], extra = '') => runScenario(loadScenarioText(BASE + extra, 'logical-probe.yaml', { sets })).report;
const facts = (r: ReturnType<typeof run>, kind: string) => r.events.filter((e) => e.fact.kind === kind).map((e) => e.fact as unknown as Record<string, unknown>);

describe('the apply worker and the cut-over', () => {
  it('a cut-over before the subscriber caught up loses exactly the commits it had not applied', () => {
    const r = run();
    // Backlog at 10:40: 20 min x (2,000 - 1,000)/s = 1,200,000; it drains at 400/s until 11:00 (720,000 left)
    // and at 1,000/s while the writes pause: 600,000 at the drop (11:02).
    expect(r.dataLoss).toHaveLength(1);
    expect(r.dataLoss[0]).toMatchObject({ cluster: 'blue', node: 'blue1', commits: 600_000, to: '2025-06-14T11:00:00Z' });
    // The first lost commit is the one blue acknowledged at 10:43:20 (3,120,000 by 10:40, then 200 s at 600/s).
    expect(r.dataLoss[0]!.from).toMatch(/^2025-06-14T10:43:20/);
    expect(facts(r, 'writes-moved')).toMatchObject([{ behindCommits: 660_000 }]);
    expect(r.dataLoss[0]!.cause.map((c) => c.fact?.kind)).toEqual(['loss-apply-behind', 'loss-writes-moved', 'loss-apply-ended']);
  });

  it('a publisher slower than the apply worker leaves nothing behind at the cut-over', () => {
    const r = run(['plan.batch-starts.workload.rate=900/s']);
    expect(r.dataLoss).toEqual([]);
  });

  it('waiting for the backlog to drain before the cut-over loses nothing', () => {
    // 720,000 behind at 11:00, applied at 1,000/s: caught up at 11:12.
    const r = run(['plan.sync.at=11:12:01', 'plan.cut-over.at=11:12:01', 'plan.drop.at=11:13']);
    expect(r.dataLoss).toEqual([]);
    const early = run(['plan.sync.at=11:11:50', 'plan.cut-over.at=11:11:50', 'plan.drop.at=11:11:50']);
    // 10 s before it had caught up: 10,000 commits.
    expect(early.dataLoss[0]!.commits).toBeGreaterThan(9_000);
    expect(early.dataLoss[0]!.commits).toBeLessThan(11_000);
  });

  it('without the drop, the old cluster still running, the late commits are not lost: they still arrive', () => {
    const r = run(['plan.drop.at=11:59:59.999'], '');
    // Dropped a minute before the end, after the backlog drained (600,000 at 1,000/s: 11:12).
    expect(r.dataLoss).toEqual([]);
  });

  it('still applying at the end: not lost, but the report says how far behind', () => {
    const noDrop = BASE.replace('  - {at: "11:02", name: drop, drop_subscription: upgrade}\n', '');
    const r = runScenario(loadScenarioText(noDrop, 'p.yaml', { sets: ['end=11:05'] })).report;
    expect(r.dataLoss).toEqual([]);
    // 660,000 behind at 11:01, applied at 1,000/s for 4 min: 420,000 at 11:05.
    expect(facts(r, 'apply-behind-at-end')).toMatchObject([{ subscription: 'upgrade', behindCommits: 420_000 }]);
  });

  it('the old primary stopped after the cut-over while the subscriber lags: the rest is lost as well', () => {
    const r = run(['plan.drop.at=11:59:59.999'], '  - {at: "11:02", name: stop-blue, stop: blue1}\n');
    expect(r.dataLoss[0]).toMatchObject({ commits: 600_000 });
    expect(r.dataLoss[0]!.cause.map((c) => c.fact)).toContainEqual(expect.objectContaining({ kind: 'loss-apply-stopped', why: { kind: 'publisher-down', node: 'blue1' } }));
  });
});

describe('time scales', () => {
  it('a subscription that keeps up costs no events while nothing changes: a quiet month is as cheap as without it', () => {
    const quiet = (text: string) => runScenario(loadScenarioText(text.replace(/plan:\n[\s\S]*$/, 'plan: []\n').replace('end: "12:00"', 'end: 2025-07-14T10:00:00Z'), 'p.yaml')).report;
    const month = quiet(BASE);
    const without = quiet(BASE.replace(/subscriptions:\n.*\n/, ''));
    expect(facts(month, 'apply-stopped')).toEqual([]);
    // Polling every second would be 2.6 million events in a month; the checkpoints every 5 min are the steady ones.
    expect(month.stats.events - without.stats.events).toBeLessThan(100);
  });
});

describe('the lag as the publisher sees it', () => {
  it('the subscription\'s slot falls behind while the apply worker is behind: a slot_lag alert fires, the series drains', () => {
    const alert = BASE.replace('plan:\n', 'alerts:\n  - {name: subscription-lag, cluster: blue, metric: slot_lag, above: 256MB, for: 1min}\nplan:\n');
    const r = runScenario(loadScenarioText(alert, 'p.yaml')).report;
    // From 10:20 the slot falls behind at (2,000 - 1,000)/s x 2 KiB = 2.048 MB/s: 256 MB at 10:22:05, fired 1 min later.
    const fired = r.alerts.find((a) => a.name === 'subscription-lag');
    expect(fired?.firedAt).toBe('2025-06-14T10:23:05Z');
    const lag = r.series!.find((x) => x.name === 'blue slot_lag')!.points;
    // 1,200,000 x 2 KiB behind at 10:40 (2,344 MiB), less at 11:00.
    expect(lag.find((p) => p[0] === '2025-06-14T10:40:00Z')![1] / 2 ** 20).toBeCloseTo(2344, -1);
  });
});

describe('sequences are not replicated', () => {
  it('setval after the writes paused: inserts on the subscriber succeed at once', () => {
    const r = run(['plan.sync.at=11:12:01', 'plan.cut-over.at=11:12:01', 'plan.drop.at=11:13']);
    expect(r.outages.filter((o) => o.cluster === 'green')).toEqual([]);
  });

  it('without setval every insert fails with a duplicate key until nextval has passed the replicated keys', () => {
    // Remove the setval: move it past the end.
    const r = run(['plan.sync.at=11:59:59.999', 'plan.cut-over.at=11:12:01', 'plan.drop.at=11:13'], '');
    const green = r.outages.filter((o) => o.cluster === 'green');
    expect(green).toHaveLength(1);
    // 1,000,000 + 4,560,000 keys to pass at 600 failed inserts/s: longer than the run.
    expect(green[0]!.from).toBe('2025-06-14T11:12:01Z');
    expect(green[0]!.causeFact).toMatchObject({ kind: 'sequence-behind', node: 'green1', nextval: 1, synced: false });
  });

  it('the outage lasts the replicated keys past nextval divided by the insert rate (failed nextvals are not rolled back)', () => {
    const small = BASE.replace('serial_rows: 1000000', 'serial_rows: 0').replace('rate: 2000/s', 'rate: 600/s');
    // 3,600 s x 600/s = 2,160,000 keys; no setval: 2,160,000 / 600 per second = 3,600 s after 11:12:01 -> longer than the run.
    // With a setval at 10:59:00 only the last minute's 36,000 rows are past it: 60 s of failures.
    const r = runScenario(loadScenarioText(small, 'p.yaml', { sets: ['plan.sync.at=10:59', 'plan.cut-over.at=11:12:01', 'plan.drop.at=11:13'] })).report;
    const green = r.outages.filter((o) => o.cluster === 'green');
    expect(green).toHaveLength(1);
    expect(green[0]!.seconds).toBeGreaterThanOrEqual(59);
    expect(green[0]!.seconds).toBeLessThanOrEqual(61);
    expect(green[0]!.causeFact).toMatchObject({ kind: 'sequence-behind', synced: true, nextval: 2_124_001, maxKey: 2_160_000 });
  });

  it('inserts refused before they reach the server (clients blocked) use up no value', () => {
    const small = BASE.replace('serial_rows: 1000000', 'serial_rows: 0').replace('rate: 2000/s', 'rate: 600/s');
    const extra = '  - {at: "11:12:01", name: block-green, block_clients: green1}\n  - {at: "11:12:31", name: unblock-green, unblock_clients: green1}\n';
    const r = runScenario(loadScenarioText(small + extra, 'p.yaml', { sets: ['plan.sync.at=10:59', 'plan.cut-over.at=11:12:01', 'plan.drop.at=11:13'] })).report;
    const green = r.outages.filter((o) => o.cluster === 'green');
    // 30 s blocked, then the 36,000 keys past nextval at 600 failed inserts/s: 60 s more.
    expect(green.reduce((a, o) => a + o.seconds, 0)).toBeGreaterThanOrEqual(89);
    expect(green.reduce((a, o) => a + o.seconds, 0)).toBeLessThanOrEqual(91);
  });

  it('inserts on the subscriber while it still applies take keys the publisher\'s later rows need: the apply stops on a duplicate key', () => {
    // setval at 11:01, after the writes paused: every key the subscriber hands out is above the publisher's; the
    // backlog applies to the end.
    const ok = run(['plan.drop.at=11:59:59.999']);
    expect(facts(ok, 'apply-stopped')).toEqual([]);
    expect(ok.dataLoss).toEqual([]);
    // setval at 10:59, a minute before the writes paused: 1,000,000 + 3,804,000 keys. The subscriber, still
    // 660,000 commits behind at the cut-over, hands out 4,804,001 on, which the row blue committed at 10:59:00
    // holds too: when the apply reaches it (11:11:24), the worker fails on it for good, and the minute of
    // commits from there is lost (36,000 at 600/s).
    const early = run(['plan.sync.at=10:59', 'plan.drop.at=11:59:59.999']);
    expect(facts(early, 'apply-stopped')).toMatchObject([{ why: { kind: 'duplicate-key', key: 4_804_001 } }]);
    expect(early.dataLoss).toHaveLength(1);
    expect(early.dataLoss[0]).toMatchObject({ commits: 36_000, to: '2025-06-14T11:00:00Z' });
    expect(early.dataLoss[0]!.from).toMatch(/^2025-06-14T10:59:00/);
  });
});

describe('DDL is not replicated: the slot holds the publisher\'s WAL while the apply worker fails', () => {
  const ddl = (greenAt: string | null, sets: string[] = []) =>
    run(['plan.drop.at=11:59:59.999', ...sets], `  - {at: "10:10", name: alter-blue, add_column: {node: blue1}}\n${greenAt ? `  - {at: "${greenAt}", name: alter-green, add_column: {node: green1}}\n` : ''}`);

  it('a column added on the publisher only stops the apply at the first change after it, for good', () => {
    const r = ddl(null);
    expect(facts(r, 'apply-stopped')).toMatchObject([{ why: { kind: 'missing-column', publisher: 'blue1' } }]);
    // Everything blue acknowledged from 10:10 to 11:00: 10 min at 600/s, 20 min at 2,000/s, 20 min at 600/s.
    expect(r.dataLoss[0]).toMatchObject({ commits: 360_000 + 2_400_000 + 720_000 });
    // The slot keeps every byte of WAL since 10:10 on blue1: 3,480,000 x 2 KiB = 6.6 GiB at the end.
    const blue1 = r.nodes.find((n) => n.name === 'blue1')!;
    expect(blue1.pgWalSize!).toBeGreaterThan(6.6 * 2 ** 30);
  });

  it('the same column added on the subscriber lets the apply worker go on at its next retry (wal_retrieve_retry_interval)', () => {
    const r = ddl('10:20:02');
    const resumed = r.events.filter((e) => e.fact.kind === 'apply-resumed');
    // Stopped at the first change after the DDL (10:10:00 and a microsecond), retried every 5 s from there: the
    // first retry at or after 10:20:02 is 10:20:05.
    expect(resumed.map((e) => e.at)).toEqual(['2025-06-14T10:20:05Z']);
    expect(r.dataLoss).toEqual([]);
  });

  it('with max_slot_wal_keep_size the slot is invalidated at a checkpoint and the subscription never resumes', () => {
    const r = ddl('10:50', ['clusters.blue.nodes.blue1.settings.max_slot_wal_keep_size=2GB']);
    expect(facts(r, 'apply-stopped').map((f) => (f.why as { kind: string }).kind)).toEqual(['missing-column', 'slot-invalidated']);
    expect(r.dataLoss[0]!.commits).toBeGreaterThan(3_000_000);
  });
});

describe('grammar', () => {
  it('refuses a subscription inside one cluster and one before PostgreSQL 10', () => {
    expect(() => loadScenarioText(BASE.replace('subscriber: green1', 'subscriber: blue1'), 'p.yaml')).toThrow(/both in cluster "blue"/);
    expect(() => loadScenarioText(BASE.replace('version: 15', 'version: 9.6'), 'p.yaml')).toThrow(/came with PostgreSQL 10/);
  });

  it('route_writes to the subscriber moves the publisher cluster\'s workloads', () => {
    const s = loadScenarioText(BASE, 'p.yaml');
    expect(s.actions.find((a) => a.name === 'cut-over')).toMatchObject({ kind: 'routeWrites', cluster: 'blue', node: 'green1' });
  });
});

describe('a failover of the publisher', () => {
  const FO = `
name: fo-probe
start: 2025-06-14T10:00:00Z
timezone: UTC
end: "11:30"
sites: {dc1: {}}
clusters:
  blue:
    nodes:
      blue1: {site: dc1, version: 17, role: primary}
      blue2: {site: dc1, version: 17, upstream: blue1, settings: {sync_replication_slots: on, hot_standby_feedback: on, primary_slot_name: blue2_slot}}
    workload: {target: blue1, rate: 600/s, wal_per_tx: 2KiB}
    slots:
      blue2_slot: {node: blue1, type: physical, hot_standby_feedback: true}
  green:
    nodes:
      green1: {site: dc1, version: 18, role: primary}
subscriptions:
  upgrade: {publisher: blue1, subscriber: green1, apply_rate: 1000/s, follow_primary: true, failover: true}
plan:
  - {at: "10:30", name: promote, promote: blue2}
  - {at: "10:30", name: route, route_writes: blue2}
  - {at: "11:00", name: pause, block_clients: blue2}
  - {at: "11:05", name: cut-over, route_writes: green1}
  - {at: "11:06", name: drop, drop_subscription: upgrade}
faults:
  - {at: "10:30", name: dies, crash: blue1}
`;
  const fo = (sets: string[] = []) => runScenario(loadScenarioText(FO, 'fo.yaml', { sets })).report;

  it('17+: a failover slot synchronized by the promoted standby lets the subscription go on there', () => {
    const r = fo();
    expect(r.dataLoss).toEqual([]);
    expect(facts(r, 'apply-stopped')).toEqual([]);
  });

  it('without a failover slot (as before 17) the slot is not on the promoted standby: nothing after the failover reaches the subscriber', () => {
    const r = fo(['subscriptions.upgrade.failover=false']);
    expect(facts(r, 'apply-stopped')).toMatchObject([{ why: { kind: 'slot-missing', slot: 'upgrade', node: 'blue2' } }]);
    // 30 min at 600/s on blue2's timeline 2.
    expect(r.dataLoss).toHaveLength(1);
    expect(r.dataLoss[0]).toMatchObject({ cluster: 'blue', node: 'blue2', timeline: 2, commits: 1_080_000 });
  });

  it('a connection string naming the old primary\'s host: the subscription waits for it, the new primary\'s commits are lost', () => {
    const r = fo(['subscriptions.upgrade.follow_primary=false']);
    expect(facts(r, 'apply-stopped')).toMatchObject([{ why: { kind: 'publisher-down', node: 'blue1' } }]);
    expect(r.dataLoss[0]).toMatchObject({ node: 'blue2', timeline: 2, commits: 1_080_000 });
    // DROP SUBSCRIPTION cannot reach blue1 to drop the slot (observed on 17.10: an ERROR and its HINT): it stays there.
    const dropped = r.events.find((e) => e.fact.kind === 'subscription-dropped')!;
    expect(dropped.fact).toMatchObject({ slotDropped: false, behindCommits: 1_080_000 });
    expect(dropped.log.join('\n')).toContain('could not connect to publisher when attempting to drop replication slot "upgrade"');
  });

  it('the failover option needs 17 on both sides', () => {
    expect(() => loadScenarioText(BASE.replace('serial_rows: 1000000', 'serial_rows: 1000000, failover: true'), 'p.yaml')).toThrow(/failover option of a subscription came with PostgreSQL 17/);
  });
});

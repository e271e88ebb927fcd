import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { lintScenarioText } from '../../src/rehearsal/lint/index.ts';
import { findingsJson, summaryLine } from '../../src/rehearsal/lint/render.ts';
import { walRetention } from '../../src/rehearsal/lint/retention.ts';
import { resolveSettings } from '../../src/models/postgres/settings.ts';
import { loadScenarioText } from '../../src/scenario/load.ts';
import { runScenario } from '../../src/run.ts';

const read = (f: string) => readFileSync(f, 'utf8');
const lintOf = (file: string, variant: string | null = null, sets: string[] = []) => lintScenarioText(read(file), file, { variant, sets });
const ids = (fs: { id: string; severity: string }[]) => fs.map((f) => `${f.severity} ${f.id}`);

describe('lint: the plan against the model', () => {
  it('a cascading standby on current whose upstream the plan promotes is an error at its line; latest is clean', () => {
    const fs = lintOf('scenarios/mackerel-2017.yaml');
    const cascade = fs.find((f) => f.id === 'cascade-stays-on-old-timeline')!;
    expect(cascade).toMatchObject({ severity: 'error', where: { file: 'scenarios/mackerel-2017.yaml', line: 33 } });
    expect(cascade.message).toContain("recovery_target_timeline = 'current' (the 9.3 default)");
    expect(cascade.message).toContain('promotion at 14:30:10');
    // The naive manager may promote the stuck standby: an error too, at the failover's policy line.
    expect(fs.find((f) => f.id === 'failover-candidate-behind')).toMatchObject({ severity: 'error', where: { line: 43 } });
    const fixed = lintOf('scenarios/mackerel-2017.yaml', 'latest-timeline');
    expect(fixed.some((f) => f.id === 'cascade-stays-on-old-timeline')).toBe(false);
    // A manager with Patroni's lag rule checks lag: only the cascade remains.
    expect(ids(lintOf('scenarios/mackerel-2017.yaml', 'lag-only'))).toEqual(['error cascade-stays-on-old-timeline']);
    const json = JSON.parse(findingsJson(fs));
    expect(json.findings[0]).toMatchObject({ id: 'cascade-stays-on-old-timeline', severity: 'error', file: 'scenarios/mackerel-2017.yaml', line: 33 });
    expect(json.errors).toBe(2);
  });

  it('the summary line counts each severity with its noun', () => {
    expect(summaryLine(lintOf('scenarios/mackerel-2017.yaml'))).toBe('lint: 2 errors, 0 warnings, 0 notes');
    expect(summaryLine(lintOf('scenarios/mackerel-2017.yaml', 'lag-only'))).toBe('lint: 1 error, 0 warnings, 0 notes');
    expect(summaryLine([])).toBe('lint: no findings');
  });

  it('a plan step that sets latest before the promotion is the fix, not the bug', () => {
    const fs = lintOf('scenarios/mackerel-2017.yaml', null, ['plan.0={at: "14:29", configure: {node: db002, settings: {recovery_target_timeline: latest}}}']);
    expect(fs.some((f) => f.id === 'cascade-stays-on-old-timeline')).toBe(false);
  });

  it('a standby stopped longer than its upstream keeps WAL: an error that moves with the downtime and wal_keep_size', () => {
    const fs = lintOf('scenarios/wal-keep-size.yaml');
    const r = fs.find((f) => f.id === 'standby-lag-beyond-retention')!;
    expect(r).toMatchObject({ severity: 'error', where: { line: 27 } });
    expect(r.message).toMatch(/pg2 falls 4\.6 GiB behind pg1/);
    expect(lintOf('scenarios/wal-keep-size.yaml', 'keep-8gb').some((f) => f.id === 'standby-lag-beyond-retention')).toBe(false);
    expect(lintOf('scenarios/wal-keep-size.yaml', null, ['plan.maintenance-start.at=10:02']).some((f) => f.id === 'standby-lag-beyond-retention')).toBe(false);
    // The model agrees: the standby cannot resume streaming in the baseline, and can with 8 GB.
    const base = runScenario(loadScenarioText(read('scenarios/wal-keep-size.yaml'), 'x')).report;
    expect(base.dataLoss.length).toBeGreaterThan(0);
  });

  it('a synchronous standby behind a line thinner than the WAL: a warning that commits wait (a stall), not that it falls behind', () => {
    const thin = ['local_link={bandwidth: 8Mbps, latency: 100us}'];
    const fs = lintOf('scenarios/sync-standby-crash.yaml', null, thin);
    const w = fs.find((f) => f.id === 'sync-standby-line-too-thin')!;
    expect(w).toMatchObject({ severity: 'warning', where: { line: 19 } });
    expect(w.message).toContain("p's commits wait for s1");
    expect(fs.some((f) => f.id === 'standby-lag-beyond-retention' && f.message.startsWith('s1 '))).toBe(false);
    // Asynchronous, s1 would fall behind instead; and a line that carries the WAL raises nothing.
    const async = lintOf('scenarios/sync-standby-crash.yaml', 'async', thin);
    expect(async.some((f) => f.id === 'sync-standby-line-too-thin')).toBe(false);
    expect(async.some((f) => f.id === 'standby-lag-beyond-retention' && f.message.startsWith('s1 '))).toBe(true);
    expect(lintOf('scenarios/sync-standby-crash.yaml').some((f) => f.id === 'sync-standby-line-too-thin')).toBe(false);
    // The run agrees: the commits queue behind s1's confirmations.
    const run = runScenario(loadScenarioText(read('scenarios/sync-standby-crash.yaml'), 'x', { sets: [...thin, 'faults=[]', 'expect=[]'] })).report;
    expect(run.stalls.some((s) => s.causeFact?.kind === 'pool-queue')).toBe(true);
  });

  it('a standby across a long round trip gets one TCP window per round trip, as in the run', () => {
    // 5000 tx/s of 8 KiB: 41 MB/s of WAL; a 1 Gbps line carries it, but 4 MiB over 150 ms is 28 MB/s.
    const far = ['links.0={between: [main, backup], bandwidth: 1Gbps, latency: 75ms}', 'clusters.erp.workload.rate=5000/s'];
    const f = lintOf('scenarios/wal-keep-size.yaml', null, far).find((x) => x.id === 'standby-lag-beyond-retention' && /cannot keep up/.test(x.message))!;
    expect(f.message).toMatch(/pg2 cannot keep up with pg1: 41 MB\/s of WAL over one TCP connection's 4 MiB window over a 150 ms round trip, 28 MB\/s; after about 1 min 2\d s/);
    // Hosts tuned for the path (a 16 MiB window) keep up.
    const tuned = ['links.0={between: [main, backup], bandwidth: 1Gbps, latency: 75ms, tcp_window: 16MiB}', 'clusters.erp.workload.rate=5000/s'];
    expect(lintOf('scenarios/wal-keep-size.yaml', null, tuned).some((x) => /cannot keep up/.test(x.message))).toBe(false);
  });

  it("a standby's disk_throughput bounds what it takes, as in the run", () => {
    // 5000 tx/s of 8 KiB: 41 MB/s of WAL, over a line that carries it, to a standby whose disk writes 20 MB/s.
    const slow = ['clusters.erp.nodes.pg2.disk_throughput=20MB/s', 'clusters.erp.workload.rate=5000/s'];
    const f = lintOf('scenarios/wal-keep-size.yaml', null, slow).find((x) => x.id === 'standby-lag-beyond-retention' && /cannot keep up/.test(x.message))!;
    expect(f.message).toMatch(/pg2 cannot keep up with pg1: 41 MB\/s of WAL over pg2's disk, which writes 20 MB\/s \(disk_throughput\)/);
    expect(lintOf('scenarios/wal-keep-size.yaml', null, ['clusters.erp.workload.rate=5000/s']).some((x) => /cannot keep up/.test(x.message))).toBe(false);
  });

  it('a pg_auto_failover standby streams through its pg_autoctl slot: a long stop is no retention error', () => {
    const text = (failover: string) => `name: x
start: 2024-05-06T10:00:00Z
end: "12:00"
sites: [a, b, m]
links:
  - {between: [a, b], bandwidth: 1Gbps, latency: 2ms}
  - {between: [a, m], bandwidth: 1Gbps, latency: 2ms}
  - {between: [b, m], bandwidth: 1Gbps, latency: 2ms}
clusters:
  main:
    nodes:
      pa: {site: a, version: 16}
      pb: {site: b, version: 16, upstream: pa}
    workload: {target: pa, rate: 500/s, wal_per_tx: 8KiB}
    failover: ${failover}
plan:
  - {at: "10:10", name: maint, stop: pb}
  - {at: "11:10", name: back, start: pb}
`;
    const retention = (failover: string) => lintScenarioText(text(failover), 'x.yaml', {}).some((f) => f.id === 'standby-lag-beyond-retention');
    expect(retention('{policy: naive, site: m, candidates: [pb]}')).toBe(true);
    expect(retention('{policy: pg_auto_failover, monitor: {name: mon, site: m}}')).toBe(false);
  });

  it('retention follows the version: the redo horizon from 11, the prior checkpoint up to 10, wal_keep_size as a floor', () => {
    const s15 = resolveSettings(15, 'p', { walKeepSize: 2 ** 30 });
    const r15 = walRetention(15, s15, 4e6);
    expect(r15.min).toBe(2 ** 30);
    expect(r15.max - r15.min).toBeCloseTo(4e6 * r15.interval, 0);
    // Without wal_keep_size: 10 keeps the prior checkpoint's cycle too, 15 only since its redo point.
    const bare15 = walRetention(15, resolveSettings(15, 'p', {}), 4e6);
    const bare10 = walRetention(10, resolveSettings(10, 'p', {}), 4e6);
    expect(bare10.min).toBeGreaterThan(bare15.min);
    expect(bare10.min).toBeCloseTo(4e6 * bare10.interval * 1.5, 0);
    // A faster writer checkpoints sooner (max_wal_size), so the cycle is bounded by max_wal_size, not time.
    expect(walRetention(15, s15, 400e6).interval).toBeLessThan(s15.checkpointTimeout / 1e6);
  });

  it('an abandoned logical slot: projected warn and stop dates agree with the simulated run', () => {
    const late = lintOf('scenarios/go-xid-wraparound.yaml').find((f) => f.id === 'logical-slot-abandoned')!;
    expect(late.severity).toBe('warning');
    expect(late.message).toMatch(/until it is dropped at 2023-10-24 10:00:00: age\(datfrozenxid\) climbs to about 1,3\d\d,\d{3},\d{3}/);
    const never = lintOf('scenarios/go-xid-wraparound.yaml', 'no-action').find((f) => f.id === 'logical-slot-abandoned')!;
    expect(never.severity).toBe('error');
    const [, warn, stop] = /WARNING about (\S+ \S+) .*writes stop about (\S+ \S+)/.exec(never.message)!;
    const x = runScenario(loadScenarioText(read('scenarios/go-xid-wraparound.yaml'), 'x', { variant: 'no-action' })).report.xid[0]!;
    const minute = (iso: string) => iso.slice(0, 16).replace('T', ' ');
    expect(minute(x.firstWarningAt!)).toBe(warn);
    expect(minute(x.stopAt!)).toBe(stop);
    // With max_slot_wal_keep_size the slot is invalidated first and releases the horizon, on 13 as on 16
    // (observed on 13.23 to 16.14: conformance/slots/observe-invalidated-xmin.sh).
    expect(lintOf('scenarios/go-xid-wraparound.yaml', 'slot-limit', ['plan.drop-slot=']).find((f) => f.id === 'logical-slot-abandoned')?.severity).toBe('info');
    expect(lintOf('scenarios/go-xid-wraparound.yaml', 'slot-limit', ['plan.drop-slot=', 'clusters.app.nodes.writer.version=13']).find((f) => f.id === 'logical-slot-abandoned')?.severity).toBe('info');
  });

  it('an abandoned logical slot left behind by a promotion stops holding there; a drop while its consumer is active is refused', () => {
    const text = (plan: string) => `
name: x
start: 2024-01-01T00:00:00Z
timezone: UTC
end: 2024-02-15T00:00:00Z
sites: {dc: {}}
clusters:
  app:
    nodes:
      db1: {site: dc, version: 15, role: primary}
      db2: {site: dc, version: 15, upstream: db1}
    workload: {target: db1, rate: 800/s, wal_per_tx: 512B}
    databases: {app: {tables: {pg_catalog: {size: 1GB, catalog: true}}}}
    slots:
      cdc: {node: db1, type: logical, database: app, consumer: stopped}
plan:
${plan}`;
    const failover = lintScenarioText(text('  - {at: "2024-01-20T00:00:00Z", crash: db1}\n  - {at: "2024-01-20T00:01:00Z", promote: db2}\n'), 'x.yaml', {}).find((f) => f.id === 'logical-slot-abandoned')!;
    expect(failover.severity).toBe('warning');
    expect(failover.message).toContain('until the promotion at 2024-01-20 00:01:00 leaves it behind on db1');
    const active = text('  - {at: "2024-01-02T00:00:00Z", start_consumer: cdc}\n  - {at: "2024-01-03T00:00:00Z", drop_slot: cdc}\n  - {at: "2024-01-04T00:00:00Z", stop_consumer: cdc}\n');
    const refused = lintScenarioText(active, 'x.yaml', {}).find((f) => f.id === 'logical-slot-abandoned')!;
    expect(refused.severity).toBe('error');
    // A slot on a standby holds the primary only through hot_standby_feedback.
    const onStandby = (hsf: boolean) => text('').replace('cdc: {node: db1', 'cdc: {node: db2').replace('upstream: db1}', `upstream: db1, settings: {hot_standby_feedback: ${hsf}}}`);
    expect(lintScenarioText(onStandby(false), 'x.yaml', {}).some((f) => f.id === 'logical-slot-abandoned')).toBe(false);
    expect(lintScenarioText(onStandby(true), 'x.yaml', {}).some((f) => f.id === 'logical-slot-abandoned')).toBe(true);
  });

  it('DRBD: a resync rate above the primary disk headroom, at the step that sets it; the dynamic controller is clean', () => {
    const fs = lintOf('scenarios/cybozu-drbd-migration.yaml').filter((f) => f.id === 'resync-rate-above-headroom');
    const cybozu = readFileSync('scenarios/cybozu-drbd-migration.yaml', 'utf8').split('\n');
    const lineOf = (step: string) => cybozu.findIndex((l) => l.includes(`name: ${step},`)) + 1;
    expect(fs.map((f) => f.where.line)).toEqual([lineOf('initial-connect'), lineOf('restart-sync'), lineOf('reconnect')]);
    expect(fs[1]!.message).toMatch(/room for the application's 415 I\/O\/s \(90% of writes random\) only below [23]\.\d+ MB\/s of sequential resync reads/);
    expect(fs[2]!.message).toMatch(/random resync reads/);
    expect(lintOf('scenarios/cybozu-drbd-migration.yaml', 'dynamic-controller').filter((f) => f.id === 'resync-rate-above-headroom')).toEqual([]);
    // Slower by day: only the scattered resync of the third day remains (the model stalls there too).
    expect(lintOf('scenarios/cybozu-drbd-migration.yaml', 'safe-rate').filter((f) => f.id === 'resync-rate-above-headroom').map((f) => f.where.line)).toEqual([
      readFileSync('scenarios/cybozu-drbd-migration.yaml', 'utf8').split('\n').findIndex((l) => l.includes('name: reconnect,')) + 1,
    ]);
    // A sequential-heavy workload leaves more room: the headroom moves with the random share.
    const room = (v: string | null) => Number(/only below ([\d.]+) MB\/s/.exec(lintOf('scenarios/cybozu-drbd-migration.yaml', v).find((f) => f.where.line === lineOf('restart-sync'))!.message)![1]);
    expect(room('in-house')).toBeGreaterThan(5 * room(null));
  });

  it('DRBD protocol A with on-congestion block: the send buffer against the peak writes and the line', () => {
    const ok = lintOf('scenarios/cybozu-drbd-migration.yaml').filter((f) => f.id === 'drbd-sndbuf-too-small');
    expect(ok).toEqual([]);
    const slow = lintOf('scenarios/cybozu-drbd-migration.yaml', null, ['links.0.bandwidth=10Mbps']).find((f) => f.id === 'drbd-sndbuf-too-small')!;
    expect(slow.severity).toBe('error');
    expect(slow.message).toMatch(/exceed what the connection carries/);
    const small = lintOf('scenarios/cybozu-drbd-migration.yaml', null, ['block.resources.vol.drbd.net.sndbuf-size=512KiB']).find((f) => f.id === 'drbd-sndbuf-too-small')!;
    expect(small.severity).toBe('warning');
    expect(lintOf('scenarios/cybozu-drbd-migration.yaml', 'pull-ahead', ['block.resources.vol.drbd.net.sndbuf-size=512KiB']).some((f) => f.id === 'drbd-sndbuf-too-small')).toBe(false);
  });
});

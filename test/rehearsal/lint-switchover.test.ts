/**
 * lint's switchover rules: a Patroni switchover the leader refuses because its candidate is beyond
 * maximum_lag_on_failover (ha.py process_manual_failover_from_leader, is_failover_possible), one allowed whose
 * graceful demotion leaves no primary while the fast stop sends the candidate its backlog (ha.py demote,
 * walsender.c WalSndDone), and one patronictl refuses for its names (ctl.py _do_failover_or_switchover, api.py
 * is_failover_possible). Each verdict is checked against the simulated run.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { lintScenarioText } from '../../src/rehearsal/lint/index.ts';
import { runScenario } from '../../src/run.ts';
import { loadScenarioText } from '../../src/scenario/load.ts';

/**
 * pg-w1 leads; pg-w2 beside it, pg-e1 across a 10 Mbps WAN (1.21 MB/s of WAL once TCP and IP take 3%, 15 ms one
 * way); 200 commits/s of 8 KiB (1.64 MB/s): pg-e1 falls behind by 426 kB/s from 10:00.
 */
const TEXT = `name: lint-switchover
start: 2024-03-04T10:00:00Z
timezone: UTC
end: "10:20"
sites: [dc-west, dc-east]
links:
  - {between: [dc-west, dc-east], bandwidth: 10Mbps, latency: 15ms}
clusters:
  shop:
    nodes:
      pg-w1: {site: dc-west, version: 16}
      pg-w2: {site: dc-west, version: 16, upstream: pg-w1}
      pg-e1: {site: dc-east, version: 16, upstream: pg-w1}
    workload: {target: pg-w1, site: dc-west, rate: 200/s, wal_per_tx: 8KiB}
    failover:
      policy: patroni
      dcs: {type: etcd3, members: {etcd-w1: dc-west, etcd-e1: dc-east, etcd-e2: dc-east}}
plan:
  - {at: "10:10", name: switch, switchover: pg-e1}
`;
const LINE = TEXT.split('\n').findIndex((l) => l.includes('name: switch,')) + 1;
const WAL = 200 * 8192;
const CARRIED = 0.97 * 1.25e6;
/** pg-e1's lag at 10:10 and the time its transfer takes (the last byte's one-way trip included). */
const LAG = (WAL - CARRIED) * 600;
const DRAIN = LAG / CARRIED + 0.015;

const lintOf = (sets: string[] = []) => lintScenarioText(TEXT, 'switchover.yaml', { sets }).filter((f) => f.id.startsWith('switchover-'));
const runOf = (sets: string[] = [], seed: number | null = null) => runScenario(loadScenarioText(TEXT, 'switchover.yaml', { sets, seed })).report;
const refusals = (r: ReturnType<typeof runOf>) => (r.refusals ?? []).map((x) => x.fact.kind);
const role = (r: ReturnType<typeof runOf>, name: string) => r.nodes.find((n) => n.name === name)!.role;
const maxLag = (v: string) => `clusters.shop.failover.maximum_lag_on_failover=${v}`;

describe('lint: a Patroni switchover to a candidate beyond maximum_lag_on_failover', () => {
  it('pg-e1 about 244 MiB behind at 10:10, against 1 MiB: an error at the step, and the run refuses it', () => {
    expect(LAG / 2 ** 20).toBeCloseTo(243.7, 1);
    const [f, ...rest] = lintOf();
    expect(rest).toEqual([]);
    expect(f).toMatchObject({ id: 'switchover-candidate-behind', severity: 'error', where: { line: LINE } });
    expect(f!.message).toBe('Patroni will refuse the switchover to pg-e1 at 10:10:00: no healthy members found (pg-e1 about 244 MiB behind, maximum_lag_on_failover = 1MiB)');
    expect(f!.explanation).toContain('loop_wait = 10 s');
    const r = runOf();
    expect(refusals(r)).toEqual(['patroni-switchover-not-possible']);
    expect(role(r, 'pg-w1')).toBe('primary');
    // The lag the leader saw: its /status last_lsn (up to loop_wait = 10 s of WAL old) less pg-e1's position.
    const seen = (r.refusals![0]!.fact as unknown as { statuses: { reason: { lsn: string; lastLsn: string } }[] }).statuses[0]!.reason;
    const lsn = (s: string) => {
      const [hi, lo] = s.split('/');
      return parseInt(hi!, 16) * 2 ** 32 + parseInt(lo!, 16);
    };
    const compared = lsn(seen.lastLsn) - lsn(seen.lsn);
    expect(compared).toBeLessThanOrEqual(LAG + 0.01 * LAG);
    expect(compared).toBeGreaterThanOrEqual(LAG - 10 * WAL - 0.01 * LAG);
  });

  it('with 4 KiB commits (819 kB/s, within what the WAN carries) pg-e1 keeps up: nothing to flag, and the run switches at once', () => {
    const sets = ['clusters.shop.workload.wal_per_tx=4KiB'];
    expect(lintOf(sets)).toEqual([]);
    const r = runOf(sets);
    expect(refusals(r)).toEqual([]);
    expect(role(r, 'pg-e1')).toBe('primary');
    expect(r.outages.reduce((a, o) => a + o.seconds, 0)).toBeLessThan(5);
  });

  it('a lag within loop_wait of WAL above the setting: Patroni may refuse (a warning), depending on when its loop last wrote /status', () => {
    // 10 s of WAL before the step is 16.4 MB: a setting 8 MB below the lag is seen as exceeded or not.
    const [f] = lintOf([maxLag(`${Math.round(LAG - 8e6)}B`)]);
    expect(f).toMatchObject({ id: 'switchover-candidate-behind', severity: 'warning' });
    expect(f!.message).toMatch(/^Patroni may refuse the switchover to pg-e1 at 10:10:00: no healthy members found/);
    // 17 MB below the lag, the leader sees it exceeded however old /status is; 1 MB above, never.
    expect(lintOf([maxLag(`${Math.round(LAG - 17e6)}B`)])[0]!.message).toMatch(/^Patroni will refuse/);
    expect(lintOf([maxLag(`${Math.round(LAG + 1e6)}B`)])[0]!.message).toMatch(/^the switchover to pg-e1 at 10:10:00 leaves shop with no primary/);
    // The runs agree: each seed puts the leader's loop at another phase of loop_wait.
    const refused = (v: number, seeds: number[]) => seeds.map((seed) => refusals(runOf([maxLag(`${Math.round(v)}B`)], seed)).length > 0);
    const maybe = refused(LAG - 8e6, [1, 2, 3, 4, 5, 6, 7, 8]);
    expect(maybe).toContain(true);
    expect(maybe).toContain(false);
    expect(refused(LAG - 17e6, [1, 2, 6, 8])).toEqual([true, true, true, true]);
    expect(refused(LAG + 1e6, [2, 3, 4, 5])).toEqual([false, false, false, false]);
  });
});

describe('lint: a Patroni switchover allowed with a backlog: no primary while the old leader sends it', () => {
  it('maximum_lag_on_failover = 1GB: a warning with the transfer time, and the run has no primary for as long', () => {
    expect(DRAIN).toBeCloseTo(210.77, 1);
    const [f, ...rest] = lintOf([maxLag('1GB')]);
    expect(rest).toEqual([]);
    expect(f).toMatchObject({ id: 'switchover-candidate-behind', severity: 'warning', where: { line: LINE } });
    expect(f!.message).toBe('the switchover to pg-e1 at 10:10:00 leaves shop with no primary for about 3 min 31 s while pg-w1 sends pg-e1 its backlog (244 MiB at 1.21 MB/s)');
    const r = runOf([maxLag('1GB')]);
    expect(refusals(r)).toEqual([]);
    expect(r.dataLoss).toEqual([]);
    expect(role(r, 'pg-e1')).toBe('primary');
    const noPrimary = r.verdicts.filter((v) => v.kind === 'no-primary');
    expect(noPrimary).toHaveLength(1);
    expect(Math.abs(noPrimary[0]!.seconds - DRAIN)).toBeLessThan(1);
  });

  it('a standby further behind than the candidate keeps the old primary running: no primary until it has its backlog too, as in the run', () => {
    // pg-f1 in a third site, over 8 Mbps (970 kB/s of WAL): 382 MiB behind at 10:10, 6 min 53 s to send.
    const text = TEXT.replace('sites: [dc-west, dc-east]', 'sites: [dc-west, dc-east, dc-far]')
      .replace('latency: 15ms}', 'latency: 15ms}\n  - {between: [dc-west, dc-far], bandwidth: 8Mbps, latency: 30ms}\n  - {between: [dc-east, dc-far], bandwidth: 8Mbps, latency: 30ms}')
      .replace('upstream: pg-w1}\n    workload', 'upstream: pg-w1}\n      pg-f1: {site: dc-far, version: 16, upstream: pg-w1}\n    workload');
    const far = ((WAL - 0.97 * 1e6) * 600) / (0.97 * 1e6) + 0.03;
    const [f] = lintScenarioText(text, 'far.yaml', { sets: [maxLag('1GB')] }).filter((x) => x.id === 'switchover-candidate-behind');
    expect(f!.message).toBe('the switchover to pg-e1 at 10:10:00 leaves shop with no primary for about 6 min 53 s while pg-w1 sends pg-f1 its backlog (382 MiB at 970 kB/s)');
    expect(f!.explanation).toContain('(pg-e1, the candidate, has its 244 MiB after 3 min 31 s)');
    const r = runScenario(loadScenarioText(text, 'far.yaml', { sets: [maxLag('1GB')] })).report;
    expect(r.nodes.find((n) => n.name === 'pg-e1')!.role).toBe('primary');
    expect(Math.abs(r.verdicts.find((v) => v.kind === 'no-primary')!.seconds - far)).toBeLessThan(1);
  });

  it('without slots (use_slots: false, wal_keep_size 0) the shutdown checkpoint cuts pg-e1 off and it takes the key anyway: an error with the loss the run finds', () => {
    const sets = [maxLag('1GB'), 'clusters.shop.failover.use_slots=false'];
    const [f, ...rest] = lintOf(sets);
    expect(rest).toEqual([]);
    expect(f).toMatchObject({ id: 'switchover-candidate-behind', severity: 'error', where: { line: LINE } });
    expect(f!.message).toBe("the switchover to pg-e1 at 10:10:00 loses about 244 MiB of acknowledged commits: pg-w1's shutdown checkpoint cuts pg-e1 off, and pg-e1 takes the leader key anyway");
    const r = runOf(sets);
    expect(role(r, 'pg-e1')).toBe('primary');
    // pg-e1 keeps what it had at the stop, up to the start of its segment.
    const lost = r.dataLoss.reduce((a, l) => a + l.walBytes, 0);
    expect(Math.abs(lost - LAG)).toBeLessThan(16 * 2 ** 20);
    // wal_keep_size above the lag keeps it: then only the transfer's time counts.
    const kept = [...sets, 'clusters.shop.nodes.pg-w1.settings.wal_keep_size=512MB'];
    expect(lintOf(kept)[0]!.message).toMatch(/no primary for about 3 min 31 s/);
    const k = runOf(kept);
    expect(k.dataLoss).toEqual([]);
    expect(Math.abs(k.verdicts.find((v) => v.kind === 'no-primary')!.seconds - DRAIN)).toBeLessThan(1);
  });

  it('without a candidate, the caught-up pg-w2 has the shutdown checkpoint within the second: no finding, and the run switches at once', () => {
    const sets = ['plan.switch.switchover={cluster: shop}'];
    expect(lintOf(sets)).toEqual([]);
    const r = runOf(sets);
    expect(role(r, 'pg-w2')).toBe('primary');
    expect(r.outages.reduce((a, o) => a + o.seconds, 0)).toBeLessThan(5);
  });

  it('without a candidate and pg-w2 tagged nofailover, pg-e1 alone is checked: refused, as in the run', () => {
    const sets = ['plan.switch.switchover={cluster: shop}', 'clusters.shop.failover.tags={pg-w2: {nofailover: true}}'];
    const [f, ...rest] = lintOf(sets);
    expect(rest).toEqual([]);
    expect(f!.message).toBe('Patroni will refuse the switchover at 10:10:00: no healthy members found (pg-e1 about 244 MiB behind, maximum_lag_on_failover = 1MiB)');
    expect(refusals(runOf(sets))).toEqual(['patroni-switchover-not-possible']);
  });
});

describe('lint: a switchover patronictl refuses for its names', () => {
  const caughtUp = 'clusters.shop.workload.wal_per_tx=2KiB';

  it('a leader that is not the leader, then a candidate that already is (after a switchover that went): errors, refused in the run', () => {
    const sets = [caughtUp, 'plan=[{at: "10:05", name: wrong, switchover: {leader: pg-w2, candidate: pg-e1}}, {at: "10:10", name: switch, switchover: pg-e1}, {at: "10:15", name: again, switchover: {candidate: pg-e1}}]'];
    const fs = lintOf(sets);
    expect(fs.map((f) => [f.id, f.severity, f.message])).toEqual([
      ['switchover-refused', 'error', 'patronictl refuses the switchover at 10:05:00: pg-w2 is not the leader of shop (pg-w1 is, as the plan has it then)'],
      ['switchover-refused', 'error', 'patronictl refuses the switchover at 10:15:00: pg-e1 is already the leader of shop'],
    ]);
    const r = runOf(sets);
    expect((r.refusals ?? []).map((x) => (x.fact as unknown as { reason: { kind: string } }).reason.kind)).toEqual(['not-leader', 'already-leader']);
    expect(role(r, 'pg-e1')).toBe('primary');
    // Naming the leader right is no finding.
    expect(lintOf([caughtUp, 'plan.switch.switchover={leader: pg-w1, candidate: pg-e1}'])).toEqual([]);
  });

  it('a candidate tagged nofailover: "no good candidates have been found", as in the run', () => {
    const sets = [caughtUp, 'clusters.shop.failover.tags={pg-e1: {nofailover: true}}'];
    const [f, ...rest] = lintOf(sets);
    expect(rest).toEqual([]);
    expect(f).toMatchObject({ id: 'switchover-refused', severity: 'error', message: 'the switchover at 10:10:00 is refused: its candidate pg-e1 is tagged nofailover' });
    const r = runOf(sets);
    expect((r.refusals ?? []).map((x) => (x.fact as unknown as { reason: { kind: string } }).reason.kind)).toEqual(['no-good-candidates']);
    expect(role(r, 'pg-w1')).toBe('primary');
  });

  it('a candidate partitioned from the leader does not answer its REST API: refused, as in the run', () => {
    const sets = [caughtUp, 'plan=[{at: "10:09", name: cut, partition: pg-e1}, {at: "10:10", name: switch, switchover: pg-e1}]'];
    expect(lintOf(sets).map((f) => f.message)).toEqual(['the switchover at 10:10:00 is refused: its candidate pg-e1 is partitioned and does not answer the leader']);
    const r = runOf(sets);
    expect((r.refusals ?? []).map((x) => (x.fact as unknown as { reason: { kind: string } }).reason.kind)).toEqual(['no-good-candidates']);
    expect(role(r, 'pg-w1')).toBe('primary');
    // Healed before the step, it answers.
    expect(lintOf([caughtUp, 'plan=[{at: "10:08", name: cut, partition: pg-e1}, {at: "10:09", name: heal, heal: pg-e1}, {at: "10:10", name: switch, switchover: pg-e1}]'])).toEqual([]);
  });

  it('in synchronous mode a candidate tagged nosync is never in /sync: refused, as in the run; one that is synchronous has no lag to flag', () => {
    const sync = 'clusters.shop.failover.synchronous_mode=true';
    const sets = [caughtUp, sync, 'clusters.shop.failover.tags={pg-e1: {nosync: true}}'];
    expect(lintOf(sets).map((f) => f.message)).toEqual(['the switchover at 10:10:00 is refused: in synchronous mode its candidate pg-e1, tagged nosync, is never a synchronous standby']);
    expect((runOf(sets).refusals ?? []).map((x) => (x.fact as unknown as { reason: { kind: string } }).reason.kind)).toEqual(['not-synchronous']);
    // Without the tag pg-e1 is the synchronous standby (the commits wait for it over the thin WAN): no lag, no finding.
    expect(lintOf([sync])).toEqual([]);
    const r = runOf([sync]);
    expect(refusals(r)).toEqual([]);
    expect(role(r, 'pg-e1')).toBe('primary');
  });

  it('in quorum mode (ANY 1 of pg-w2 and pg-e1) every member is a candidate and its lag is checked: pg-e1 refused, as in the run', () => {
    // ha.py get_failover_candidates checks "all nodes (even not voters)" in quorum mode, then is_failover_possible's lag.
    const quorum = 'clusters.shop.failover.synchronous_mode=quorum';
    const [f, ...rest] = lintOf([quorum]);
    expect(rest).toEqual([]);
    expect(f).toMatchObject({ id: 'switchover-candidate-behind', severity: 'error', where: { line: LINE } });
    expect(refusals(runOf([quorum]))).toEqual(['patroni-switchover-not-possible']);
    // Caught up, it is allowed and takes over.
    expect(lintOf([caughtUp, quorum])).toEqual([]);
    expect(role(runOf([caughtUp, quorum]), 'pg-e1')).toBe('primary');
  });

  it('without a candidate and every other member tagged nofailover: "no good candidates", as in the run', () => {
    const sets = [caughtUp, 'plan.switch.switchover={cluster: shop}', 'clusters.shop.failover.tags={pg-e1: {nofailover: true}, pg-w2: {nofailover: true}}'];
    expect(lintOf(sets).map((f) => f.message)).toEqual(['the switchover at 10:10:00 is refused: every member but the leader is tagged nofailover']);
    expect((runOf(sets).refusals ?? []).map((x) => (x.fact as unknown as { reason: { kind: string } }).reason.kind)).toEqual(['no-good-candidates']);
  });
});

describe('pgaf-switchover-async-behind: pg_autoctl perform switchover to a lagging asynchronous standby (two nodes)', () => {
  const file = 'scenarios/pgaf-switchover-wan.yaml';
  const text = readFileSync(file, 'utf8');
  const pgaf = (variant: string | null) => lintScenarioText(text, file, { variant }).filter((f) => f.id === 'pgaf-switchover-async-behind');

  it('flags the switchover, with about the WAL the run loses', () => {
    const [f] = pgaf(null);
    expect(f?.severity).toBe('error');
    const run = runScenario(loadScenarioText(text, file)).report;
    const lost = run.dataLoss.reduce((a, l) => a + l.walBytes, 0);
    expect(lost).toBeGreaterThan(2e9);
    // The message's "about N GiB": within 5% of the WAL the run loses.
    const gib = Number(/loses about ([\d.]+) GiB/.exec(f!.message)![1]);
    expect(Math.abs(gib * 1024 ** 3 - lost) / lost).toBeLessThan(0.05);
  });

  it('says nothing when the standby is caught up, or in the replication quorum, and the run loses nothing either', () => {
    for (const variant of ['before-batch', 'quorum']) {
      expect(pgaf(variant), variant).toEqual([]);
      expect(runScenario(loadScenarioText(text, file, { variant })).report.dataLoss, variant).toEqual([]);
    }
  });
});

describe('lint: patronictl failover with no leader', () => {
  /** pg-w1's host dies at 10:10; pg-w2 beside it is tagged nofailover, so nobody races; the plan forces pg-e1 at 10:12. */
  const FAILOVER = TEXT.replace('      dcs: {type: etcd3, members: {etcd-w1: dc-west, etcd-e1: dc-east, etcd-e2: dc-east}}', '      dcs: {type: etcd3, members: {etcd-w1: dc-west, etcd-e1: dc-east, etcd-e2: dc-east}}\n      tags: {pg-w2: {nofailover: true}}')
    .replace('  - {at: "10:10", name: switch, switchover: pg-e1}', '  - {at: "10:12", name: force, failover: pg-e1}\nfaults:\n  - {at: "10:10", name: dies, crash: pg-w1}\n  - {at: "10:10", name: gone, partition: pg-w1}');
  const lintFailover = (text: string) => lintScenarioText(text, 'failover.yaml').filter((f) => f.id === 'failover-candidate-behind');

  it('says the candidate takes the key without the lag check and about how much is lost; the run agrees within 1%', () => {
    const [f, ...rest] = lintFailover(FAILOVER);
    expect(rest).toEqual([]);
    expect(f).toMatchObject({ severity: 'error', where: { line: FAILOVER.split('\n').findIndex((l) => l.includes('name: force,')) + 1 } });
    expect(f!.message).toBe('the failover to pg-e1 at 10:12:00 loses about 244 MiB of acknowledged commits: with pg-w1 lost at 10:10:00, pg-e1 takes the leader key without the lag check');
    const r = runScenario(loadScenarioText(FAILOVER, 'failover.yaml')).report;
    const lost = r.dataLoss.reduce((n, l) => n + l.walBytes, 0);
    expect(Math.abs(lost - LAG) / LAG).toBeLessThan(0.01);
  });

  it('says nothing while the leader is up (the leader checks the lag, as for a switchover) or for a caught-up candidate', () => {
    expect(lintFailover(FAILOVER.replace('{at: "10:10", name: dies, crash: pg-w1}', '{at: "10:20", name: dies, crash: pg-w1}').replace('{at: "10:10", name: gone, partition: pg-w1}', '{at: "10:20", name: gone, partition: pg-w1}'))).toEqual([]);
    expect(lintFailover(FAILOVER.replace('bandwidth: 10Mbps', 'bandwidth: 1Gbps'))).toEqual([]);
  });
});

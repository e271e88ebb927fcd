import { describe, expect, it } from 'vitest';
import { factText } from '../../../src/report/facts/index.ts';
import { runScenario } from '../../../src/run.ts';
import { loadScenarioText } from '../../../src/scenario/load.ts';

const at = (iso: string) => (Date.parse(iso) - Date.parse('2024-01-01T10:00:00Z')) / 1000;

function run(opts: { nodes?: string; formation?: string; faults: string; link?: string; rate?: string; clients?: string }) {
  const yaml = `
name: pgaf
start: 2024-01-01T10:00:00Z
end: "10:10"
sites: [a, b, m]
links:
  - {between: [a, m], bandwidth: 1Gbps, latency: 1ms}
  - {between: [b, m], bandwidth: 1Gbps, latency: 1ms}
  - {between: [a, b], ${opts.link ?? 'bandwidth: 1Gbps, latency: 1ms'}}
clusters:
  c:
    nodes:
${opts.nodes ?? `      pg1: {site: a, version: 16}
      pg2: {site: b, version: 16, upstream: pg1}
      pg3: {site: b, version: 16, upstream: pg1}`}
    workload: {target: pg1, site: ${opts.clients ?? 'm'}, rate: ${opts.rate ?? '100/s'}, wal_per_tx: 2KiB}
    failover: {policy: pg_auto_failover, monitor: {name: mon, site: m}${opts.formation ?? ''}}
faults:
${opts.faults}
`;
  const r = runScenario(loadScenarioText(yaml, 'pgaf.yaml'));
  return { ...r, promotions: r.history.promotions.map((p) => ({ node: p.node, at: p.at / 1e6 })) };
}

describe('pg_auto_failover (managers/pgautofailover.ts)', () => {
  it('an isolated primary: it stops itself after network_partition_timeout, a standby is promoted after primary_demote_timeout', () => {
    const r = run({ faults: '  - {at: "10:02", partition: pg1}' });
    expect(r.promotions.map((p) => p.node)).toEqual(['pg2']);
    // Unhealthy after 20 s without a report (and failed checks), election, then 30 s waiting for the old
    // primary to report demote_timeout: about 55 s (managers.md §3.4).
    expect(r.promotions[0]!.at).toBeGreaterThan(120 + 50);
    expect(r.promotions[0]!.at).toBeLessThan(120 + 60);
    // The old primary's keeper counts pg2 and pg3 as seen while their walsenders stay in pg_stat_replication
    // (until wal_sender_timeout, 60 s, after the cut; the keeper looks every second), then waits
    // network_partition_timeout (20 s): about 10:03:20.
    const fenced = r.report.events.find((e) => e.message.includes('has seen neither the monitor nor a standby'))!;
    expect(at(fenced.at)).toBeGreaterThanOrEqual(199);
    expect(at(fenced.at)).toBeLessThanOrEqual(200);
    // primary_demote_timeout (30 s) ends before the old primary stops itself: two primaries for about 25 s,
    // the old one unreachable (it acknowledged nothing).
    const sb = r.report.verdicts.filter((v) => v.kind === 'split-brain');
    expect(sb).toHaveLength(1);
    expect(at(sb[0]!.to!)).toBe(at(fenced.at));
    expect(at(sb[0]!.to!) - at(sb[0]!.from)).toBeGreaterThan(20);
    // pg3 follows the new primary.
    expect(r.report.nodes.find((n) => n.name === 'pg3')).toMatchObject({ upstream: 'pg2', receiver: 'streaming' });
  });

  it('the monitor is a single point of failure: stopped, it promotes nobody when the primary is lost', () => {
    const r = run({ faults: '  - {at: "10:01", stop_manager: mon}\n  - {at: "10:02", partition: pg1}' });
    expect(r.promotions).toEqual([]);
    expect(r.report.verdicts.find((v) => v.kind === 'no-primary')!.to).toBeNull();
  });

  it('candidate_priority: the highest is promoted; 0 never', () => {
    const r = run({ formation: ', nodes: {pg3: {candidate_priority: 90}}', faults: '  - {at: "10:02", partition: pg1}' });
    expect(r.promotions.map((p) => p.node)).toEqual(['pg3']);
    const d = r.history.failoverDecisions.find((x) => x.chosen === 'pg3')!;
    // Both standbys stand at the same position (what reached them before the cut): priority decides.
    const reasons = d.reasons.map((x) => factText(x));
    const pos = /^pg3: priority 90, ([0-9A-F]+\/[0-9A-F]+) \(chosen: highest priority, then most advanced\)$/.exec(reasons[0]!)?.[1];
    expect(pos).toBeDefined();
    expect(reasons).toEqual([`pg3: priority 90, ${pos} (chosen: highest priority, then most advanced)`, `pg2: priority 50, ${pos}`]);
    const none = run({ formation: ', nodes: {pg2: {candidate_priority: 0}, pg3: {candidate_priority: 0}}', faults: '  - {at: "10:02", partition: pg1}' });
    expect(none.promotions).toEqual([]);
    expect(none.history.failoverDecisions.some((x) => x.reasons.map((x) => factText(x)).includes('pg2: candidate_priority 0'))).toBe(true);
  });

  it('losing its only synchronous standby (number_sync_standbys 0): the primary goes wait_primary and writes go on unreplicated; the standby is then not promotable', () => {
    const two = `      pg1: {site: a, version: 16}
      pg2: {site: b, version: 16, upstream: pg1}`;
    // pg2's host is lost (a crash of PostgreSQL alone is restarted by its keeper at once).
    const r = run({ nodes: two, faults: '  - {at: "10:02", partition: pg2}' });
    const toWait = r.report.events.find((e) => e.message.includes('setting goal state of pg1 to wait_primary'))!;
    // Commits wait for pg2 (ANY 1 (pg2)) until the monitor finds it unhealthy (20 s without a report) and the
    // primary's keeper clears synchronous_standby_names.
    expect(at(toWait.at)).toBeGreaterThanOrEqual(140);
    expect(r.report.stalls).toHaveLength(1);
    expect(r.report.stalls[0]!.seconds).toBeLessThan(30);
    expect(r.report.verdicts.find((v) => v.kind === 'redundancy-below-plan')!.to).toBeNull();
    // With number_sync_standbys 1 (which needs two quorum standbys) the primary keeps waiting for one: writes
    // stall until the end once both are lost.
    const strict = run({ formation: ', number_sync_standbys: 1', faults: '  - {at: "10:02", partition: pg2}\n  - {at: "10:02", partition: pg3}' });
    expect(strict.report.stalls.reduce((a, x) => a + x.seconds, 0)).toBeGreaterThan(7 * 60);
    // pg_auto_failover refuses number_sync_standbys 1 with one quorum standby (set_formation_number_sync_standbys).
    expect(() => run({ nodes: two, formation: ', number_sync_standbys: 1', faults: '  - {at: "10:02", partition: pg2}' })).toThrow(/invalid value for number_sync_standbys: "1": at least 2 standby nodes are required, and only 1 is participating in the replication quorum/);
    // The standby lost, then the primary: pg2 (catchingup) is not promotable.
    const both = run({ nodes: two, faults: '  - {at: "10:02", partition: pg2}\n  - {at: "10:04", heal: pg2}\n  - {at: "10:04", partition: pg1}' });
    expect(both.promotions.length).toBeLessThanOrEqual(1);
  });

  it('refuses a candidate more than promote_wal_log_threshold behind the primary, and says why', () => {
    const two = `      pg1: {site: a, version: 16}
      pg2: {site: b, version: 16, upstream: pg1}`;
    // pg2 behind a slow link: 2000 x 2 KiB/s written, 1 MB/s carried; the primary is lost at 10:02.
    // pg2 is asynchronous (replication_quorum false), so it may lag.
    const r = run({ nodes: two, link: 'bandwidth: 1MB/s, latency: 1ms', rate: '2000/s', formation: ', enable_sync_wal_log_threshold: 1GiB, nodes: {pg2: {replication_quorum: false}}', faults: '  - {at: "10:02", partition: pg1}' });
    expect(r.promotions).toEqual([]);
    expect(r.history.failoverDecisions.map((d) => d.reasons.map((x) => factText(x)).join(' ')).join('\n')).toMatch(/more than promote_wal_log_threshold 16 MiB/);
    // With every standby out of the quorum the primary stays primary while one is secondary
    // (ProceedGroupStateForPrimaryNode, replicationQuorumCount == 0), and synchronous_standby_names stays empty.
    const events = r.report.events.map((e) => e.message).join('\n');
    expect(events).not.toMatch(/wait_primary/);
    expect(events).not.toMatch(/synchronous_standby_names/);
  });

  it('only a primary in the primary state stops itself in a partition: wait_primary keeps serving the clients it can reach', () => {
    const two = `      pg1: {site: a, version: 16}
      pg2: {site: b, version: 16, upstream: pg1}`;
    // pg2's host is lost (pg1 goes wait_primary), then pg1 is cut from the monitor; its clients are at its own site.
    // service_keeper.c check_for_network_partitions runs only when current_role is PRIMARY_STATE.
    const r = run({ nodes: two, clients: 'a', faults: '  - {at: "10:02", partition: pg2}\n  - {at: "10:04", partition: {sites: [a, m]}}' });
    expect(r.report.events.some((e) => e.message.includes('has seen neither the monitor nor a standby'))).toBe(false);
    expect(r.report.nodes.find((n) => n.name === 'pg1')).toMatchObject({ state: 'running' });
    expect(r.report.verdicts.filter((v) => v.kind === 'no-primary')).toEqual([]);
  });

  it('a new primary keeps taking writes (wait_primary) until a quorum standby is secondary, whatever number_sync_standbys says', () => {
    // pg1 is lost; pg2 and pg3 report their LSN and pg2 is elected; pg3 is lost after reporting. pg2, promoted
    // as wait_primary, has no quorum secondary: ProceedGroupStateForPrimaryNode leaves it in wait_primary.
    const r = run({ formation: ', number_sync_standbys: 1, nodes: {pg2: {candidate_priority: 90}}', faults: '  - {at: "10:02", partition: pg1}\n  - {at: "10:02:40", partition: pg3}' });
    expect(r.promotions.map((p) => p.node)).toEqual(['pg2']);
    const promoted = r.promotions[0]!.at;
    expect(r.report.stalls.filter((s) => at(s.from) >= promoted)).toEqual([]);
    expect(r.report.events.some((e) => /goal state of pg2 to primary/.test(e.message))).toBe(false);
  });

  it('two nodes: a standby too far behind is never elected and the primary keeps its goal: back, it serves again', () => {
    const two = `      pg1: {site: a, version: 16}
      pg2: {site: b, version: 16, upstream: pg1}`;
    // As in the test above, but pg1's host comes back at 10:08. The two-node rule takes over only with the standby
    // within promote_wal_log_threshold (group_state_machine.c "when primary fails"), so pg1 never goes draining:
    // it stopped itself in the partition (demote_timeout) and its keeper restarts it as primary (fsm.c
    // demote_timeout -> primary).
    const r = run({ nodes: two, link: 'bandwidth: 1MB/s, latency: 1ms', rate: '2000/s', formation: ', enable_sync_wal_log_threshold: 1GiB, nodes: {pg2: {replication_quorum: false}}', faults: '  - {at: "10:02", partition: pg1}\n  - {at: "10:08", heal: pg1}' });
    expect(r.promotions).toEqual([]);
    expect(r.report.events.some((e) => /draining/.test(e.message))).toBe(false);
    expect(r.report.nodes.find((n) => n.name === 'pg1')).toMatchObject({ state: 'running', role: 'primary' });
    const outages = r.report.outages.reduce((a, o) => a + o.seconds, 0);
    expect(outages).toBeGreaterThan(5 * 60);
    expect(outages).toBeLessThan(6 * 60 + 10);
  });

  it('more than two nodes: catchingup standbys are candidates too, even with the primary in wait_primary (what it wrote unreplicated is lost)', () => {
    // Both standbys cut off 10:02:00-10:02:40 (pg1 goes wait_primary), pg1 lost when they come back, still
    // catchingup. BuildCandidateList sends secondary and catchingup nodes to report_lsn; 40 s x 100/s x 2 KiB is
    // within promote_wal_log_threshold, so one is promoted and the commits acknowledged meanwhile are lost.
    const r = run({ faults: '  - {at: "10:02", partition: pg2}\n  - {at: "10:02", partition: pg3}\n  - {at: "10:02:40", heal: pg2}\n  - {at: "10:02:40", heal: pg3}\n  - {at: "10:02:40", partition: pg1}' });
    expect(r.promotions).toHaveLength(1);
    const lost = r.report.dataLoss.reduce((a, x) => a + x.commits, 0);
    expect(lost).toBeGreaterThan(3500);
    expect(lost).toBeLessThan(4100);
  });

  it('more than two nodes: a silent quorum standby that never reported its LSN holds the election', () => {
    const faults = '  - {at: "10:02", partition: pg3}\n  - {at: "10:04", partition: pg1}';
    const held = run({ faults });
    expect(held.promotions).toEqual([]);
    expect(held.history.failoverDecisions.some((d) => d.reasons.some((x) => factText(x).startsWith('pg3: a quorum node has not reported its LSN yet')))).toBe(true);
    // Out of the quorum it is not waited for.
    const async = run({ faults, formation: ', nodes: {pg3: {replication_quorum: false}}' });
    expect(async.promotions.map((p) => p.node)).toEqual(['pg2']);
  });

  it('health_check_period moves the detection: the fault falls anywhere within a round of checks', () => {
    const two = `      pg1: {site: a, version: 16}
      pg2: {site: b, version: 16, upstream: pg1}`;
    const detected = (period: string) => {
      const r = run({ nodes: two, formation: `, health_check_period: ${period}`, faults: '  - {at: "10:02", partition: pg1}' });
      return at(r.report.events.find((e) => e.message.includes('goal state of pg1 to draining'))!.at) - 120;
    };
    // BAD after the first round that starts after the cut plus its three tries (5 + 2 + 5 + 2 + 5 = 19 s), and
    // no keeper report for 20 s: between 20 s and period + 19 s (the loop looks every second).
    const times = [5, 20, 60].map((p) => [p, detected(`${p}s`)] as const);
    for (const [p, t] of times) {
      expect(t).toBeGreaterThanOrEqual(20);
      expect(t).toBeLessThanOrEqual(p + 20);
    }
    expect(times[2]![1]).toBeGreaterThan(times[0]![1] + 10);
  });

  it('the elected standby that is not the most advanced fetches the missing WAL first (fast_forward): nothing is lost', () => {
    // pg3 (candidate_priority 90, asynchronous) lags behind a 3 MB/s link; pg2 is the most advanced. The host of
    // pg1 dies at 10:02. PromoteSelectedNode sends pg3 to fast_forward from pg2, then prepare_promotion.
    const three = `      pg1: {site: a, version: 16}
      pg2: {site: b, version: 16, upstream: pg1}
      pg3: {site: c, version: 16, upstream: pg1}`;
    const yaml = `
name: pgaf-ff
start: 2024-01-01T10:00:00Z
end: "10:06"
sites: [a, b, c, m]
links:
  - {between: [a, m], bandwidth: 1Gbps, latency: 1ms}
  - {between: [b, m], bandwidth: 1Gbps, latency: 1ms}
  - {between: [c, m], bandwidth: 1Gbps, latency: 1ms}
  - {between: [a, b], bandwidth: 1Gbps, latency: 1ms}
  - {between: [a, c], bandwidth: 3MB/s, latency: 1ms}
  - {between: [b, c], bandwidth: 1Gbps, latency: 1ms}
clusters:
  c:
    nodes:
${three}
    workload: {target: pg1, site: m, rate: 2000/s, wal_per_tx: 2KiB}
    failover: {policy: pg_auto_failover, monitor: {name: mon, site: m}, nodes: {pg3: {candidate_priority: 90, replication_quorum: false}}}
faults:
  - {at: "10:02", crash: pg1}
  - {at: "10:02", partition: pg1}
`;
    const r = runScenario(loadScenarioText(yaml, 'pgaf-ff.yaml'));
    expect(r.history.promotions.map((p) => p.node)).toEqual(['pg3']);
    expect(r.report.dataLoss).toEqual([]);
    const events = r.report.events.map((e) => e.message).join('\n');
    expect(events).toMatch(/goal state of pg3 to fast_forward: elected, it first fetches the WAL it lacks, up to [0-9A-F/]+, from pg2/);
    // The slots: pg3 (primary) keeps pg1's and pg2's; pg3's own, used on pg2 to fast-forward, is dropped there.
    const slots = r.report.nodes.flatMap((n) => (n.slots ?? []).map((x) => `${n.name}:${x.name}`));
    expect(slots.sort()).toEqual(['pg3:pgautofailover_standby_1', 'pg3:pgautofailover_standby_2']);
    const chosen = r.history.failoverDecisions.find((d) => d.chosen === 'pg3')!;
    expect(chosen.reasons.map((x) => factText(x))).toContain('pg3 is not the most advanced: it first fetches the missing WAL from pg2 (fast_forward)');
  });

  it('a crash of PostgreSQL alone is no failover: the keeper restarts it and, in the primary state, reports it running meanwhile', () => {
    const two = `      pg1: {site: a, version: 16}
      pg2: {site: b, version: 16, upstream: pg1}`;
    // keeper.c keeper_ensure_current_state restarts it at the keeper's next loop; ReportPgIsRunning says it runs
    // until restarts have failed for 20 s.
    const r = run({ nodes: two, faults: '  - {at: "10:02", crash: pg1}' });
    expect(r.promotions).toEqual([]);
    expect(r.report.nodes.find((n) => n.name === 'pg1')).toMatchObject({ state: 'running', role: 'primary', timeline: 1 });
    expect(r.report.outages.reduce((a, o) => a + o.seconds, 0)).toBeLessThanOrEqual(2);
    // A standby's keeper reports what it sees (the monitor may move it to catchingup for a moment) and restarts it.
    const standby = run({ nodes: two, faults: '  - {at: "10:02", crash: pg2}' });
    expect(standby.report.nodes.find((n) => n.name === 'pg2')).toMatchObject({ state: 'running', receiver: 'streaming' });
  });

  it('more than two nodes: synchronous_standby_names lists every quorum standby, a catchingup one too, which acknowledges commits once it has them', () => {
    // pg3 is cut off 10:02:00-10:02:30 and stays catchingup (enable_sync_wal_log_threshold 1 byte: never within);
    // pg2's host is lost at 10:04. With ANY 1 (pg2, pg3) pg3 acknowledges the commits: no stall waiting for pg2.
    const r = run({ formation: ', number_sync_standbys: 1, enable_sync_wal_log_threshold: 1B', faults: '  - {at: "10:02", partition: pg3}\n  - {at: "10:02:30", heal: pg3}\n  - {at: "10:04", partition: pg2}' });
    const names = r.report.events.filter((e) => e.message.includes('synchronous_standby_names changed')).map((e) => e.log.join(' '));
    expect(names.join('\n')).toMatch(/ANY 1 \(pg2, pg3\)/);
    expect(r.report.stalls.filter((x) => at(x.from) >= 240)).toEqual([]);
  });

  it('stop_replication ends the standby\'s stream: a primary cut off from the monitor alone stops itself before the standby takes writes', () => {
    const two = `      pg1: {site: a, version: 16}
      pg2: {site: b, version: 16, upstream: pg1}`;
    // fsm_stop_replication promotes pg2 read-only, which closes its connection: pg1 no longer sees a standby and
    // stops network_partition_timeout (20 s) later, before primary_demote_timeout (30 s) opens pg2 to writes.
    // With more standbys, report_lsn disconnects them all the same way (fsm_report_lsn).
    for (const nodes of [two, undefined]) {
      const r = run({ nodes, clients: 'a', faults: '  - {at: "10:02", partition: {sites: [a, m]}}' });
      expect(r.promotions).toHaveLength(1);
      const stopped = r.report.events.find((e) => e.message.includes('has seen neither the monitor nor a standby'))!;
      expect(at(stopped.at)).toBeLessThan(r.promotions[0]!.at);
      expect(r.report.verdicts.filter((v) => v.kind === 'split-brain')).toEqual([]);
    }
  });

  it('promote_wal_log_threshold works both ways: standbys that streamed far past the last report of a primary cut off from the monitor alone are not elected', () => {
    // WalDifferenceWithin takes Abs() of the difference (group_state_machine.c, 1.6 to main). At 2 MB/s the
    // standbys are some 40 MiB past pg1's last report when the monitor finds it unhealthy: no election; pg1
    // stops itself once report_lsn has taken its standbys away, and nobody takes writes.
    const r = run({ clients: 'a', rate: '1000/s', faults: '  - {at: "10:02", partition: {sites: [a, m]}}' });
    expect(r.promotions).toEqual([]);
    const refusal = r.history.failoverDecisions.find((d) => d.reasons.some((x) => x.kind === 'candidates-too-far-behind'))!;
    expect(factText(refusal.reasons[0]!)).toMatch(/the most advanced candidate is [\d.]+ MiB ahead of pg1's last reported LSN/);
    expect(r.report.verdicts.find((v) => v.kind === 'no-primary')!.to).toBeNull();
  });

  it('more than two nodes: an old primary back while the election is refused for lag joins it (report_lsn) and wins', () => {
    const yaml = `
name: pgaf-back
start: 2024-01-01T10:00:00Z
end: "10:08"
sites: [a, b, c, m]
links:
  - {between: [a, m], bandwidth: 1Gbps, latency: 1ms}
  - {between: [b, m], bandwidth: 1Gbps, latency: 1ms}
  - {between: [c, m], bandwidth: 1Gbps, latency: 1ms}
  - {between: [a, b], bandwidth: 3MB/s, latency: 1ms}
  - {between: [a, c], bandwidth: 3MB/s, latency: 1ms}
  - {between: [b, c], bandwidth: 1Gbps, latency: 1ms}
clusters:
  c:
    nodes:
      pg1: {site: a, version: 16}
      pg2: {site: b, version: 16, upstream: pg1}
      pg3: {site: c, version: 16, upstream: pg1}
    workload: {target: pg1, site: a, rate: 2000/s, wal_per_tx: 2KiB}
    failover: {policy: pg_auto_failover, monitor: {name: mon, site: m}, nodes: {pg2: {replication_quorum: false}, pg3: {replication_quorum: false}}}
faults:
  - {at: "10:02", partition: pg1}
  - {at: "10:06", heal: pg1}
`;
    // Both asynchronous standbys lag more than promote_wal_log_threshold: the election is refused and pg1 is left
    // draining. Back, pg1 is asked for its LSN (BuildCandidateList), wins (the most advanced), and with no primary
    // left (GetPrimaryOrDemotedNodeInGroup) goes from prepare_promotion to wait_primary.
    const r = runScenario(loadScenarioText(yaml, 'pgaf-back.yaml'));
    expect(r.history.promotions.map((p) => p.node)).toEqual(['pg1']);
    expect(r.history.promotions[0]!.at / 1e6).toBeLessThan(6 * 60 + 10);
    expect(r.report.dataLoss).toEqual([]);
    expect(r.report.verdicts.find((v) => v.kind === 'no-primary')!.to).not.toBeNull();
  });

  it('every standby streams through its pg_autoctl slot: one away for minutes finds its WAL kept on the primary', () => {
    const two = `      pg1: {site: a, version: 16}
      pg2: {site: b, version: 16, upstream: pg1}`;
    // 4 MB/s of WAL for 5 min while pg2 is cut off: checkpoints would remove it, but the slot
    // pgautofailover_standby_2 (keeper_create_and_drop_replication_slots) keeps it, and pg2 streams again.
    const r = run({ nodes: two, rate: '2000/s', faults: '  - {at: "10:01", partition: pg2}\n  - {at: "10:06", heal: pg2}' });
    expect(r.report.nodes.find((n) => n.name === 'pg2')).toMatchObject({ receiver: 'streaming', upstream: 'pg1' });
    expect(r.report.verdicts.filter((v) => v.kind === 'standby-broken')).toEqual([]);
    expect(r.report.events.some((e) => e.message.includes('has already been removed'))).toBe(false);
  });

  it('more than two nodes: a standby left in report_lsn follows the primary again once it is healthy in wait_primary', () => {
    // pg2 and pg3 cut off 10:01:00-10:01:30 stay catchingup (enable_sync_wal_log_threshold 1 byte), so pg1 is
    // wait_primary; pg3 is lost for good at 10:02:50; the monitor loses pg1 10:03:00-10:03:40. pg2 goes report_lsn
    // (restarted without primary_conninfo); the election waits for pg3; pg1, healthy again, was never drained.
    const r = run({
      clients: 'a',
      formation: ', enable_sync_wal_log_threshold: 1B',
      faults: '  - {at: "10:01", partition: pg2}\n  - {at: "10:01", partition: pg3}\n  - {at: "10:01:30", heal: pg2}\n  - {at: "10:01:30", heal: pg3}\n  - {at: "10:02:50", partition: pg3}\n  - {at: "10:03", partition: {sites: [a, m]}}\n  - {at: "10:03:40", heal: {sites: [a, m]}}',
    });
    expect(r.promotions).toEqual([]);
    expect(r.report.events.some((e) => /goal state of pg2 to report_lsn/.test(e.message))).toBe(true);
    expect(r.report.nodes.find((n) => n.name === 'pg2')).toMatchObject({ upstream: 'pg1', receiver: 'streaming' });
  });

  it('a primary keeper that saw no standby while the monitor was away never stops PostgreSQL (last_secondary_contact 0)', () => {
    // number_sync_standbys 1: both standbys are lost at 10:02 and pg1 stays primary (commits wait); at 10:04 it
    // loses the monitor too. is_network_healthy records a standby contact only while the monitor is away, so
    // in_network_partition never holds: pg1 runs on.
    const r = run({ clients: 'a', formation: ', number_sync_standbys: 1', faults: '  - {at: "10:02", partition: pg2}\n  - {at: "10:02", partition: pg3}\n  - {at: "10:04", partition: {sites: [a, m]}}' });
    expect(r.report.events.some((e) => e.message.includes('has seen neither the monitor nor a standby'))).toBe(false);
    expect(r.report.nodes.find((n) => n.name === 'pg1')).toMatchObject({ state: 'running', role: 'primary' });
  });
});

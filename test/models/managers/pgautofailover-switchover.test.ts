/**
 * pg_autoctl perform switchover / perform promotion (pg_auto_failover: node_active_protocol.c perform_failover,
 * perform_promotion; the keeper's fsm_stop_postgres, fsm_stop_replication): the monitor sends the healthy
 * primary to draining and the standby to prepare_promotion, then stop_replication / demote_timeout, then
 * wait_primary / demoted; the old primary rejoins.
 */
import { describe, expect, it } from 'vitest';
import { runScenario } from '../../../src/run.ts';
import { loadScenarioText } from '../../../src/scenario/load.ts';
import { ScenarioError } from '../../../src/scenario/errors.ts';

/** Seconds after 10:00 of an ISO time in the report. */
const at = (iso: string) => (Date.parse(iso) - Date.parse('2024-03-04T10:00:00Z')) / 1000;

/** pg-w1 is the primary; pg-e1 its standby across a WAN of `bandwidth`; 200 commits/s of `walPerTx`. */
function scenario(o: { bandwidth?: string; walPerTx?: string; formation?: string; nodes?: string; plan?: string } = {}) {
  return `
name: pgaf-switchover
start: 2024-03-04T10:00:00Z
timezone: UTC
end: "10:30"
sites: [dc-west, dc-east, dc-mon]
links:
  - {between: [dc-west, dc-east], bandwidth: ${o.bandwidth ?? '1Gbps'}, latency: 15ms}
  - {between: [dc-west, dc-mon], bandwidth: 1Gbps, latency: 5ms}
  - {between: [dc-east, dc-mon], bandwidth: 1Gbps, latency: 5ms}
clusters:
  shop:
    nodes:
${o.nodes ?? `      pg-w1: {site: dc-west, version: 16}
      pg-e1: {site: dc-east, version: 16, upstream: pg-w1}`}
    workload: {target: pg-w1, site: dc-west, rate: 200/s, wal_per_tx: ${o.walPerTx ?? '2KiB'}}
    failover: {policy: pg_auto_failover, monitor: {name: mon, site: dc-mon}${o.formation ?? ''}}
plan:
${o.plan ?? '  - {at: "10:10", name: switch, switchover: {cluster: shop}}'}
`;
}

function run(yaml: string) {
  return runScenario(loadScenarioText(yaml, 'pgaf-switchover.yaml')).report;
}

type Report = ReturnType<typeof run>;
const facts = (r: Report, kind: string) => r.events.filter((e) => e.fact.kind === kind);
const node = (r: Report, name: string) => r.nodes.find((n) => n.name === name)!;
const goals = (r: Report) => facts(r, 'pgaf-goal').filter((e) => at(e.at) >= 600).map((e) => `${(e.fact as unknown as { node: string }).node}:${(e.fact as unknown as { goal: string }).goal}`);

describe('pg_autoctl perform switchover', () => {
  it('to a caught-up standby: draining, prepare_promotion, stop_replication, wait_primary; nothing is lost and the old primary rejoins as a standby', () => {
    const r = run(scenario());
    expect(r.refusals ?? []).toEqual([]);
    expect(r.dataLoss).toEqual([]);
    expect(goals(r).slice(0, 6)).toEqual(['pg-w1:draining', 'pg-e1:prepare_promotion', 'pg-e1:stop_replication', 'pg-w1:demote_timeout', 'pg-e1:wait_primary', 'pg-w1:demoted']);
    expect(node(r, 'pg-e1')).toMatchObject({ role: 'primary', timeline: 2 });
    // fsm_rewind_or_init runs pg_rewind, which finds nothing to rewind: the clean shutdown's last record reached
    // pg-e1 before the promotion.
    expect(node(r, 'pg-w1')).toMatchObject({ role: 'standby', timeline: 2, upstream: 'pg-e1', receiver: 'streaming' });
    expect(facts(r, 'rewind-not-required').map((e) => e.fact)).toMatchObject([{ node: 'pg-w1', from: 'pg-e1' }]);
    // And the formation is back to primary/secondary.
    expect(goals(r)).toContain('pg-e1:primary');
    const [outage] = r.outages;
    expect(outage!.seconds).toBeLessThan(5);
    expect(r.events.find((e) => e.fact.kind === 'step')!.message).toContain('pg_autoctl perform switchover (cluster shop)');
  });

  it('perform promotion of the standby is the same failover', () => {
    const r = run(scenario({ plan: '  - {at: "10:10", name: switch, switchover: pg-e1}' }));
    expect(r.dataLoss).toEqual([]);
    expect(node(r, 'pg-e1')).toMatchObject({ role: 'primary', timeline: 2 });
    expect(r.events.find((e) => e.fact.kind === 'step')!.message).toContain('pg_autoctl perform promotion --name pg-e1');
  });

  it('a lagging async standby (thin WAN): perform_failover has no lag check with two nodes, and what it had not received when stop_replication promoted it is lost', () => {
    // 1.64 MB/s of WAL over a 10 Mbps WAN that carries 1.21 MB/s; replication_quorum false: commits do not wait.
    const r = run(scenario({ bandwidth: '10Mbps', walPerTx: '8KiB', formation: ', nodes: {pg-e1: {replication_quorum: false}}' }));
    expect(r.refusals ?? []).toEqual([]);
    expect(node(r, 'pg-e1')).toMatchObject({ role: 'primary', timeline: 2 });
    // Hundreds of MB committed on pg-w1 never reached pg-e1: the old primary is rewound and they are gone.
    expect(r.dataLoss.length).toBeGreaterThan(0);
    expect(facts(r, 'pgaf-rewinding').map((e) => e.fact)).toMatchObject([{ node: 'pg-w1', upstream: 'pg-e1' }]);
    expect(node(r, 'pg-w1')).toMatchObject({ role: 'standby', upstream: 'pg-e1' });
  });

  it('a quorum standby over the thin WAN: commits waited for it, so nothing acknowledged is lost; the candidate takes writes only once the old primary has stopped', () => {
    const r = run(scenario({ bandwidth: '10Mbps', walPerTx: '8KiB' }));
    expect(r.dataLoss).toEqual([]);
    const [done] = facts(r, 'shutdown-complete').filter((e) => at(e.at) >= 600);
    expect(done!.fact).toMatchObject({ node: 'pg-w1', how: 'exited' });
    // The monitor waits for the old primary to report demote_timeout, which its keeper does once pg_ctl stop returned.
    const wp = facts(r, 'pgaf-goal').find((e) => (e.fact as unknown as { goal: string }).goal === 'wait_primary')!;
    expect(wp.fact).toMatchObject({ why: { kind: 'reported-demote-timeout', primary: 'pg-w1' } });
    expect(at(wp.at)).toBeGreaterThanOrEqual(at(done!.at));
    expect(node(r, 'pg-e1')).toMatchObject({ role: 'primary', timeline: 2 });
    expect(node(r, 'pg-w1')).toMatchObject({ role: 'standby', timeline: 2, upstream: 'pg-e1' });
  });

  it('a standby cut off 5 s before, not yet unhealthy: the monitor still has it secondary, the primary drains and stops, and nobody takes writes until the standby is back', () => {
    const plan = ['  - {at: "10:09:55", name: cut, partition: pg-e1}', '  - {at: "10:10", name: switch, switchover: {cluster: shop}}', '  - {at: "10:12", name: back, heal: pg-e1}'].join('\n');
    const r = run(scenario({ plan }));
    expect(r.refusals ?? []).toEqual([]);
    expect(r.dataLoss).toEqual([]);
    // prepare_promotion waits for pg-e1's keeper to report it: from 10:10 to 10:12, no primary.
    const [outage] = r.outages;
    expect(at(outage!.from)).toBe(600);
    expect(at(outage!.to)).toBeGreaterThanOrEqual(720);
    expect(node(r, 'pg-e1')).toMatchObject({ role: 'primary', timeline: 2 });
  });

  it('refusals: a single node, a primary in wait_primary, and a promotion of the primary; nothing changes', () => {
    const single = run(scenario({ nodes: '      pg-w1: {site: dc-west, version: 16}' }));
    expect(single.refusals?.map((x) => x.fact)).toMatchObject([{ kind: 'pgaf-switchover-refused', reason: { kind: 'too-few-nodes', nodes: 1 } }]);
    expect(single.refusals![0]!.message).toContain('at least 2 nodes are required');
    expect(node(single, 'pg-w1')).toMatchObject({ role: 'primary', timeline: 1 });
    expect(single.outages).toEqual([]);

    // pg-e1 cut off from everything at 10:09: the monitor finds it unhealthy at 10:09:24 and sends it to
    // catchingup, the primary to wait_primary: no node is in primary for perform_failover to fail over from.
    const cut = run(scenario({ plan: ['  - {at: "10:09", name: cut, partition: pg-e1}', '  - {at: "10:10", name: switch, switchover: {cluster: shop}}'].join('\n') }));
    expect(cut.refusals?.map((x) => x.fact)).toMatchObject([{ reason: { kind: 'no-primary' } }]);
    expect(node(cut, 'pg-w1')).toMatchObject({ role: 'primary', timeline: 1 });

    const self = run(scenario({ plan: '  - {at: "10:10", name: switch, switchover: pg-w1}' }));
    expect(self.refusals?.map((x) => x.fact)).toMatchObject([{ reason: { kind: 'already-primary', node: 'pg-w1' } }]);
    expect(node(self, 'pg-w1')).toMatchObject({ role: 'primary', timeline: 1 });
  });

  it('three nodes: the old primary drains and loses the election (candidate_priority - 100); perform promotion wins it for the named node', () => {
    const nodes = `      pg-w1: {site: dc-west, version: 16}
      pg-w2: {site: dc-west, version: 16, upstream: pg-w1}
      pg-e1: {site: dc-east, version: 16, upstream: pg-w1}`;
    const r = run(scenario({ nodes, plan: '  - {at: "10:10", name: switch, switchover: pg-e1}' }));
    expect(r.dataLoss).toEqual([]);
    expect(node(r, 'pg-e1')).toMatchObject({ role: 'primary', timeline: 2 });
    const prio = facts(r, 'pgaf-candidate-priority').map((e) => e.fact);
    expect(prio).toMatchObject([
      { node: 'pg-e1', priority: 150, back: false },
      { node: 'pg-w1', priority: -50, back: false },
      { node: 'pg-e1', priority: 50, back: true },
      { node: 'pg-w1', priority: 50, back: true },
    ]);
  });

  it('three nodes, both standbys lagging: the election refuses at first, the drained old primary reports its LSN, and the winner fetches the backlog from it: nothing lost, no primary meanwhile', () => {
    const nodes = `      pg-w1: {site: dc-west, version: 16}
      pg-e1: {site: dc-east, version: 16, upstream: pg-w1}
      pg-e2: {site: dc-east, version: 16, upstream: pg-w1}`;
    // 200 commits/s of 4 KiB (0.82 MB/s) to each standby over a 10 Mbps WAN (1.21 MB/s, 0.61 MB/s each): each
    // falls 0.21 MB/s behind, some 120 MiB by 10:10.
    const r = run(scenario({ nodes, bandwidth: '10Mbps', walPerTx: '4KiB', formation: ', nodes: {pg-e1: {replication_quorum: false}, pg-e2: {replication_quorum: false}}' }));
    expect(r.refusals ?? []).toEqual([]);
    expect(r.dataLoss).toEqual([]);
    expect(facts(r, 'pgaf-no-failover').map((e) => e.fact)).toMatchObject([{ reasons: [{ kind: 'candidates-too-far-behind', primary: 'pg-w1' }] }]);
    // pg-w1's candidate_priority, lowered by 100, loses it the election it is the most advanced in.
    expect(goals(r)).toEqual(expect.arrayContaining(['pg-w1:report_lsn', 'pg-e1:fast_forward', 'pg-e1:prepare_promotion', 'pg-e1:wait_primary']));
    const ff = facts(r, 'pgaf-goal').find((e) => (e.fact as unknown as { goal: string }).goal === 'fast_forward')!;
    expect(ff.fact).toMatchObject({ node: 'pg-e1', why: { kind: 'fast-forward', from: 'pg-w1' } });
    // The backlog (about 127 MB) over the WAN alone (10 Mbps less 3% for headers: 1.21 MB/s) takes about 105 s.
    const promoted = facts(r, 'promoted')[0]!;
    expect(at(promoted.at) - at(ff.at)).toBeGreaterThan(100);
    expect(at(promoted.at) - at(ff.at)).toBeLessThan(110);
    expect(node(r, 'pg-e1')).toMatchObject({ role: 'primary', timeline: 2 });
  });

  it('three nodes: the standby left behind follows the new primary at once, through the slot the new primary kept for it while a standby (11+)', () => {
    const nodes = `      pg-w1: {site: dc-west, version: 16}
      pg-w2: {site: dc-west, version: 16, upstream: pg-w1}
      pg-e1: {site: dc-east, version: 16, upstream: pg-w1}`;
    const r = run(scenario({ nodes, formation: ', nodes: {pg-e1: {candidate_priority: 90}}' }));
    expect(node(r, 'pg-e1')).toMatchObject({ role: 'primary', timeline: 2 });
    // keeper_maintain_replication_slots: pg-e1 had pg-w1's and pg-w2's slots before it was promoted, so
    // neither is refused "replication slot ... does not exist" (9 s of standby-broken until the walreceiver's
    // next try, when the slots were made only after the promotion).
    expect(r.verdicts.filter((v) => v.kind === 'standby-broken' || v.kind === 'redundancy-below-plan')).toEqual([]);
    expect(node(r, 'pg-w2')).toMatchObject({ role: 'standby', timeline: 2, upstream: 'pg-e1', receiver: 'streaming' });
  });

  it('three nodes on PostgreSQL 10: pg_autoctl writes recovery_target_timeline = latest, so the standbys follow the new timeline (10 defaults to current)', () => {
    const nodes = `      pg-w1: {site: dc-west, version: 10}
      pg-w2: {site: dc-west, version: 10, upstream: pg-w1}
      pg-e1: {site: dc-east, version: 10, upstream: pg-w1}`;
    const r = run(scenario({ nodes, formation: ', nodes: {pg-e1: {candidate_priority: 90}}' }));
    expect(node(r, 'pg-e1')).toMatchObject({ role: 'primary', timeline: 2 });
    expect(r.verdicts.filter((v) => v.kind === 'standby-broken')).toEqual([]);
    expect(node(r, 'pg-w2')).toMatchObject({ role: 'standby', timeline: 2, upstream: 'pg-e1', receiver: 'streaming' });
    expect(node(r, 'pg-w1')).toMatchObject({ role: 'standby', timeline: 2, upstream: 'pg-e1', receiver: 'streaming' });
  });

  it('three nodes, the elected standby far behind the other: it fetches the backlog from the standby that kept it for it (slot copies, 11+)', () => {
    const nodes = `      pg-w1: {site: dc-west, version: 16}
      pg-w2: {site: dc-west, version: 16, upstream: pg-w1}
      pg-e1: {site: dc-east, version: 16, upstream: pg-w1}`;
    // 200 commits/s of 8 KiB (1.64 MB/s) to pg-e1 over 10 Mbps (1.21 MB/s): some 260 MB behind pg-w2 by 10:10.
    const r = run(scenario({ nodes, bandwidth: '10Mbps', walPerTx: '8KiB', formation: ', nodes: {pg-e1: {candidate_priority: 90, replication_quorum: false}}' }));
    const ff = facts(r, 'pgaf-goal').find((e) => (e.fact as unknown as { goal: string }).goal === 'fast_forward')!;
    expect(ff.fact).toMatchObject({ node: 'pg-e1', why: { kind: 'fast-forward', from: 'pg-w2' } });
    // pg-w2 kept the WAL from pg-e1's position (keeper_maintain_replication_slots), where it had removed it at
    // its restartpoints and pg-e1 could never stream ("requested WAL segment ... has already been removed").
    expect(r.verdicts.filter((v) => v.kind === 'standby-broken' && v.node === 'pg-e1')).toEqual([]);
    expect(node(r, 'pg-e1')).toMatchObject({ role: 'primary', timeline: 2 });
    expect(r.dataLoss).toEqual([]);
    // The backlog over the WAN (about 260 MB at 1.21 MB/s) takes some 3.5 minutes without a primary.
    const promoted = facts(r, 'promoted')[0]!;
    expect(at(promoted.at) - at(ff.at)).toBeGreaterThan(180);
    expect(at(promoted.at) - at(ff.at)).toBeLessThan(260);
  });

  it('a leader named for pg_auto_failover, or a cluster neither manager runs, is an input error', () => {
    expect(() => loadScenarioText(scenario({ plan: '  - {at: "10:10", name: switch, switchover: {leader: pg-w1}}' }), 'x.yaml')).toThrow(/names no leader/);
    const naive = scenario().replace(/    failover: .*\n/, '');
    expect(() => loadScenarioText(naive, 'x.yaml')).toThrow(ScenarioError);
    expect(() => loadScenarioText(naive, 'x.yaml')).toThrow(/managed by neither Patroni nor pg_auto_failover/);
    const named = naive.replace('switchover: {cluster: shop}', 'switchover: pg-e1');
    expect(() => loadScenarioText(named, 'x.yaml')).toThrow(/which Patroni does not manage, nor pg_auto_failover/);
  });
});

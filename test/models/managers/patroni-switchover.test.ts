/**
 * patronictl switchover (ctl.py _do_failover_or_switchover; ha.py process_manual_failover_from_leader,
 * demote('graceful'), manual_failover_process_no_leader): the leader checks a candidate, stops PostgreSQL
 * (fast: its walsenders send lagging standbys what they lack first), releases the key, and the candidate takes it.
 */
import { describe, expect, it } from 'vitest';
import { runScenario } from '../../../src/run.ts';
import { loadScenarioText } from '../../../src/scenario/load.ts';
import { ScenarioError } from '../../../src/scenario/errors.ts';

/** Seconds after 10:00 of an ISO time in the report. */
const at = (iso: string) => (Date.parse(iso) - Date.parse('2024-03-04T10:00:00Z')) / 1000;

/** pg-w1 leads; pg-w2 beside it, pg-e1 across a WAN of `bandwidth`; 200 commits/s of `walPerTx`. */
function scenario(o: { bandwidth?: string; walPerTx?: string; failover?: string; plan?: string } = {}) {
  return `
name: switchover
start: 2024-03-04T10:00:00Z
timezone: UTC
end: "10:30"
sites: [dc-west, dc-east]
links:
  - {between: [dc-west, dc-east], bandwidth: ${o.bandwidth ?? '1Gbps'}, latency: 15ms}
clusters:
  shop:
    nodes:
      pg-w1: {site: dc-west, version: 16}
      pg-w2: {site: dc-west, version: 16, upstream: pg-w1}
      pg-e1: {site: dc-east, version: 16, upstream: pg-w1}
    workload: {target: pg-w1, site: dc-west, rate: 200/s, wal_per_tx: ${o.walPerTx ?? '2KiB'}}
    failover:
      policy: patroni
      dcs: {type: etcd3, members: {etcd-w1: dc-west, etcd-e1: dc-east, etcd-e2: dc-east}}${o.failover ?? ''}
plan:
${o.plan ?? '  - {at: "10:10", name: switch, switchover: pg-e1}'}
`;
}

function run(yaml: string) {
  return runScenario(loadScenarioText(yaml, 'switchover.yaml')).report;
}

const facts = (r: ReturnType<typeof run>, kind: string) => r.events.filter((e) => e.fact.kind === kind);
const node = (r: ReturnType<typeof run>, name: string) => r.nodes.find((n) => n.name === name)!;

describe('patronictl switchover', () => {
  it('to a caught-up candidate: the leader stops, releases the key, the candidate promotes; nothing is lost and the old leader follows', () => {
    const r = run(scenario());
    expect(r.dataLoss).toEqual([]);
    expect(node(r, 'pg-e1')).toMatchObject({ role: 'primary', timeline: 2 });
    // The old leader rejoins on the new timeline without pg_rewind: its shutdown checkpoint was the last record pg-e1 got.
    expect(node(r, 'pg-w1')).toMatchObject({ role: 'standby', timeline: 2, upstream: 'pg-e1', receiver: 'streaming' });
    expect(facts(r, 'patroni-rebuilding')).toEqual([]);
    expect(facts(r, 'patroni-demoting').map((e) => e.fact)).toMatchObject([{ node: 'pg-w1', mode: 'graceful' }]);
    expect(facts(r, 'patroni-switchover-released').map((e) => e.fact)).toMatchObject([{ node: 'pg-w1', when: 'stopped' }]);
    expect(facts(r, 'patroni-failover-key-cleared').map((e) => e.fact)).toMatchObject([{ node: 'pg-e1', why: 'acquired-lock' }]);
    // pg-w2 stands aside for the named candidate.
    expect(facts(r, 'patroni-not-promoting').map((e) => e.fact)).toMatchObject([{ node: 'pg-w2', reason: { reason: { kind: 'switchover-to-other', candidate: 'pg-e1' } } }]);
    const promoted = facts(r, 'promoted')[0]!;
    expect(at(promoted.at)).toBeLessThan(600.1);
  });

  it('on 10, whose default recovery_target_timeline is current, the demoted leader follows the new one too: Patroni writes latest for every replica it starts', () => {
    const r = run(scenario().replace(/version: 16/g, 'version: 10'));
    expect(node(r, 'pg-e1')).toMatchObject({ role: 'primary', timeline: 2 });
    expect(node(r, 'pg-w1')).toMatchObject({ role: 'standby', timeline: 2, upstream: 'pg-e1', receiver: 'streaming' });
    expect(r.verdicts.filter((v) => v.kind === 'standby-broken')).toEqual([]);
  });

  it('a candidate beyond maximum_lag_on_failover: "no healthy members found", the key is cleaned up, nothing changes', () => {
    // 1.64 MB/s of WAL over a 10 Mbps WAN that carries 1.21 MB/s: pg-e1 is hundreds of MB behind at 10:10.
    const r = run(scenario({ bandwidth: '10Mbps', walPerTx: '8KiB' }));
    const [np] = facts(r, 'patroni-switchover-not-possible');
    expect(np?.fact).toMatchObject({ node: 'pg-w1', candidate: 'pg-e1', statuses: [{ node: 'pg-e1', reason: { kind: 'member-lag' } }] });
    expect(node(r, 'pg-w1')).toMatchObject({ role: 'primary', timeline: 1 });
    expect(facts(r, 'patroni-demoting')).toEqual([]);
    expect(r.outages).toEqual([]);
    // The report's summary says the step did nothing.
    expect(r.refusals?.map((x) => x.fact.kind)).toEqual(['patroni-switchover-not-possible']);
  });

  it('a lagging candidate allowed by maximum_lag_on_failover: no loss, but no primary until the old one has sent it everything', () => {
    const r = run(scenario({ bandwidth: '10Mbps', walPerTx: '8KiB', failover: '\n      maximum_lag_on_failover: 1GB' }));
    expect(r.dataLoss).toEqual([]);
    expect(node(r, 'pg-e1')).toMatchObject({ role: 'primary', timeline: 2 });
    const [down] = facts(r, 'down');
    const backlog = (down!.fact as unknown as { draining: { node: string; bytes: number }[] }).draining[0]!;
    expect(backlog.node).toBe('pg-e1');
    // The outage lasts as long as the backlog takes over the stream: 10 Mbps less 3% for the headers.
    const [outage] = r.outages;
    expect(outage!.seconds).toBeCloseTo(backlog.bytes / (0.97 * 1.25e6), 0);
    expect(facts(r, 'patroni-switchover-released').map((e) => e.fact)).toMatchObject([{ when: 'stopped' }]);
  });

  it('without a candidate, the healthiest member but the old leader takes the key', () => {
    // pg-e1 lags across the thin WAN; pg-w2, beside the leader, is caught up.
    const r = run(scenario({ bandwidth: '10Mbps', walPerTx: '8KiB', plan: '  - {at: "10:10", name: switch, switchover: {cluster: shop}}' }));
    expect(node(r, 'pg-w2')).toMatchObject({ role: 'primary', timeline: 2 });
    expect(r.dataLoss).toEqual([]);
  });

  it('patronictl refuses a leader that is not the leader, and a candidate that already is', () => {
    const r = run(
      scenario({
        plan: ['  - {at: "10:05", name: wrong, switchover: {leader: pg-w2, candidate: pg-e1}}', '  - {at: "10:10", name: switch, switchover: pg-e1}', '  - {at: "10:20", name: again, switchover: pg-e1}'].join('\n'),
      }),
    );
    expect(facts(r, 'patroni-switchover-refused').map((e) => e.fact)).toMatchObject([
      { reason: { kind: 'not-leader', named: 'pg-w2', leader: 'pg-w1' } },
      { reason: { kind: 'already-leader', candidate: 'pg-e1' } },
    ]);
    expect(node(r, 'pg-e1')).toMatchObject({ role: 'primary', timeline: 2 });
  });

  it('a candidate the leader cannot reach is no good candidate: patronictl is answered 412 and nothing happens', () => {
    const r = run(scenario({ plan: ['  - {at: "10:09", name: cut, partition: pg-e1}', '  - {at: "10:10", name: switch, switchover: pg-e1}'].join('\n') }));
    expect(facts(r, 'patroni-switchover-refused').map((e) => e.fact)).toMatchObject([{ reason: { kind: 'no-good-candidates' } }]);
    expect(node(r, 'pg-w1')).toMatchObject({ role: 'primary', timeline: 1 });
  });

  it('a switchover in a cluster Patroni does not manage is an input error', () => {
    const yaml = scenario().replace(/    failover:\n      policy: patroni\n.*\n/, '');
    expect(() => loadScenarioText(yaml, 'switchover.yaml')).toThrow(ScenarioError);
    expect(() => loadScenarioText(yaml, 'switchover.yaml')).toThrow(/Patroni does not manage/);
  });
});

describe('patronictl failover --candidate', () => {
  /**
   * pg-w1's host dies at 10:10; pg-w2 beside it is tagged nofailover and pg-e1 is beyond maximum_lag_on_failover
   * (10 Mbps, 8 KiB commits): nobody races.
   */
  const lagging = (plan: string) =>
    scenario({ bandwidth: '10Mbps', walPerTx: '8KiB', failover: '\n      tags: {pg-w2: {nofailover: true}}', plan: ['  - {at: "10:10", name: dies, crash: pg-w1}', '  - {at: "10:10", name: gone, partition: pg-w1}', plan].join('\n') });
  const lost = (r: ReturnType<typeof run>) => r.dataLoss.reduce((n, l) => n + l.commits, 0);

  it('with no leader the named candidate takes the key without the lag check, and what it lacked is lost', () => {
    const none = run(lagging('  - {at: "10:25", name: late, assess: true}'));
    expect(none.nodes.filter((n) => n.role === 'primary' && n.state === 'running')).toEqual([]);
    const r = run(lagging('  - {at: "10:12", name: force, failover: pg-e1}'));
    expect(node(r, 'pg-e1')).toMatchObject({ role: 'primary', timeline: 2 });
    expect(facts(r, 'promoted').map((e) => at(e.at))).toEqual([720]);
    const chose = r.decisions.find((d) => d.chosen === 'pg-e1')!;
    expect(chose).toMatchObject({ rule: 'patroni/ha.py:Ha.manual_failover_process_no_leader' });
    expect(chose.reasons.join('\n')).toContain("is the manual failover's candidate: it takes the leader key without the lag check");
    // pg-e1 lacked what the 10 Mbps line had not carried: 1.64 MB/s written, 1.21 MB/s carried, over 10 minutes.
    const lag = (200 * 8192 - 0.97 * 1.25e6) * 600;
    const bytes = r.dataLoss.reduce((n, l) => n + l.walBytes, 0);
    expect(Math.abs(bytes - lag) / lag).toBeLessThan(0.02);
    expect(lost(r)).toBeGreaterThan(25_000);
  });

  it('with a leader it is a switchover that the leader checks: a lagging candidate is refused with Patroni\'s manual failover words', () => {
    const r = run(scenario({ bandwidth: '10Mbps', walPerTx: '8KiB', plan: '  - {at: "10:10", name: force, failover: pg-e1}' }));
    const [np] = facts(r, 'patroni-switchover-not-possible');
    expect(np!.fact).toMatchObject({ node: 'pg-w1', candidate: 'pg-e1', failover: true });
    expect(np!.message).toContain('manual failover: no healthy members found, failover is not possible');
    expect(node(r, 'pg-w1')).toMatchObject({ role: 'primary', timeline: 1 });
    const ok = run(scenario({ plan: '  - {at: "10:10", name: force, failover: pg-e1}' }));
    expect(node(ok, 'pg-e1')).toMatchObject({ role: 'primary', timeline: 2 });
    expect(ok.dataLoss).toEqual([]);
  });

  it('patronictl refuses the leader itself and a nofailover member', () => {
    const r = run(
      scenario({
        failover: '\n      tags: {pg-w2: {nofailover: true}}',
        plan: ['  - {at: "10:05", name: self, failover: pg-w1}', '  - {at: "10:06", name: tagged, failover: pg-w2}'].join('\n'),
      }),
    );
    expect(facts(r, 'patroni-switchover-refused').map((e) => e.fact)).toMatchObject([
      { action: 'failover', reason: { kind: 'already-leader', candidate: 'pg-w1' } },
      { action: 'failover', reason: { kind: 'nofailover', candidate: 'pg-w2' } },
    ]);
    expect(facts(r, 'patroni-switchover-refused')[1]!.message).toContain('patronictl failover of shop refused: Member pg-w2 does not exist in cluster or is tagged as nofailover');
  });

  it('a failover step in a pg_auto_failover cluster is an input error that points to switchover', () => {
    const yaml = scenario({ plan: '  - {at: "10:10", name: force, failover: pg-e1}' }).replace(/    failover:\n      policy: patroni\n.*\n/, '    failover:\n      policy: pg_auto_failover\n      monitor: {site: dc-west}\n');
    expect(() => loadScenarioText(yaml, 'failover.yaml')).toThrow(/pg_autoctl perform failover is its switchover/);
  });
});

import { describe, expect, it } from 'vitest';
import { factText } from '../../../src/report/facts/index.ts';
import { runScenario } from '../../../src/run.ts';
import { loadScenarioText } from '../../../src/scenario/load.ts';

function run(failover: string, faults: string, end = '10:40', eastWest = 'bandwidth: 1Gbps, latency: 40ms') {
  const yaml = `
name: orc
start: 2024-01-01T10:00:00Z
end: "${end}"
sites: [east, west, third]
links:
  - {between: [east, west], ${eastWest}}
  - {between: [east, third], bandwidth: 1Gbps, latency: 20ms}
  - {between: [west, third], bandwidth: 1Gbps, latency: 20ms}
clusters:
  c:
    nodes:
      pg1: {site: east, version: 16}
      pg2: {site: east, version: 16, upstream: pg1}
      pg3: {site: west, version: 16, upstream: pg1}
    workloads:
      app-east: {target: pg1, site: east, rate: 100/s, wal_per_tx: 2KiB}
      app-west: {target: pg1, site: west, rate: 100/s, wal_per_tx: 2KiB}
    failover: ${failover}
faults:
${faults}
`;
  const r = runScenario(loadScenarioText(yaml, 'orc.yaml'));
  return { ...r, promotions: r.history.promotions.map((p) => ({ node: p.node, at: p.at / 1e6 })) };
}

const raft = (extra = '') => `{policy: orchestrator, members: {orc1: east, orc2: west, orc3: third}${extra}}`;

describe('a Raft of Orchestrator-like managers (managers/orchestrator.ts)', () => {
  it('a dead primary is recovered only once no replica still replicates from it (wal_receiver_timeout), by the most advanced replica', () => {
    const r = run(raft(), '  - {at: "10:02", partition: pg1}');
    expect(r.promotions.map((p) => p.node)).toEqual(['pg2']);
    // The replicas' walreceivers notice after wal_receiver_timeout = 60 s; until then: UnreachableMaster.
    expect(r.promotions[0]!.at).toBeGreaterThanOrEqual(180);
    expect(r.promotions[0]!.at).toBeLessThanOrEqual(190);
    const waited = r.history.failoverDecisions.find((d) => d.chosen === null)!;
    expect(waited.saw).toMatchObject({ kind: 'orchestrator-analysis', analysis: 'UnreachableMaster' });
    expect(factText(waited.reasons[0]!)).toMatch(/its walreceiver still streams from pg1/);
    // pg3 follows the new primary.
    expect(r.report.nodes.find((n) => n.name === 'pg3')).toMatchObject({ upstream: 'pg2' });
  });

  it('writes routed to a replica do not make it the master: nothing is recovered while pg1 replicates to its replicas', () => {
    const r = run(raft(), '  - {at: "10:02", route_writes: pg3}');
    expect(r.promotions).toEqual([]);
    expect(r.history.failoverDecisions.some((d) => (d.saw as { analysis?: string }).analysis?.startsWith('DeadMaster'))).toBe(false);
  });

  it('never promote across regions: with the primary\'s region gone, nobody is promoted; without the rule the other region takes over', () => {
    const cut = '  - {at: "10:02", partition: {sites: [east, west]}}\n  - {at: "10:02", partition: {sites: [east, third]}}';
    const regions = ', regions: {east: eu, west: us, third: us}';
    const kept = run(raft(`${regions}, prevent_cross_region_failover: true`), cut);
    expect(kept.promotions).toEqual([]);
    expect(kept.history.failoverDecisions.some((d) => d.reasons.some((x) => factText(x).includes('in region us, not eu (PreventCrossRegionMasterFailover)')))).toBe(true);
    const crossed = run(raft(regions), cut);
    expect(crossed.promotions.map((p) => p.node)).toEqual(['pg3']);
    // The east clients keep writing to pg1, which nobody fenced: a split brain.
    expect(crossed.report.verdicts.find((v) => v.kind === 'split-brain')).toMatchObject({ node: 'pg3', to: null });
  });

  it('only the Raft leader acts: members without a majority recover nothing', () => {
    // Two of three members cut off from each other and from the third: no leader, no recovery.
    const r = run(raft(), '  - {at: "10:01", stop_manager: orc2}\n  - {at: "10:01", stop_manager: orc3}\n  - {at: "10:02", partition: pg1}');
    expect(r.promotions).toEqual([]);
  });

  it('promotion rules: must_not is never promoted, prefer_not only when nothing else can be', () => {
    const r = run(raft(', promotion_rules: {pg2: must_not}'), '  - {at: "10:02", partition: pg1}');
    expect(r.promotions.map((p) => p.node)).toEqual(['pg3']);
    const p = run(raft(', promotion_rules: {pg2: prefer_not}'), '  - {at: "10:02", partition: pg1}');
    expect(p.promotions.map((x) => x.node)).toEqual(['pg3']);
  });

  it('a replica registered prefer takes over from the one first promoted (SuggestReplacementForPromotedReplica), after catching up from it', () => {
    // pg2 (east, neutral) is the most advanced; pg3 (west) is prefer and lags behind a 200 KB/s line carrying
    // 400 KB/s of WAL. Orchestrator regroups under pg2, then pg3 replicates from it and takes over: nothing lost.
    const r = run(raft(', promotion_rules: {pg3: prefer}'), '  - {at: "10:02", partition: pg1}', '10:40', 'bandwidth: 200KB/s, latency: 40ms');
    expect(r.promotions.map((p) => p.node)).toEqual(['pg3']);
    const d = r.history.failoverDecisions.find((x) => x.chosen === 'pg3')!;
    expect(d.reasons.map((x) => factText(x)).join('; ')).toMatch(/pg2: the most advanced \([0-9A-F/]+\), but pg3 is registered prefer: it catches up from it and takes over/);
    // pg3 was promoted only once it had pg2's WAL: 2 min behind at 200 KB/s takes about 2 min more.
    expect(r.promotions[0]!.at).toBeGreaterThan(r.history.failoverDecisions.find((x) => x.chosen === 'pg3')!.at / 1e6 + 60);
    expect(r.report.dataLoss).toEqual([]);
    expect(r.report.nodes.find((n) => n.name === 'pg2')).toMatchObject({ upstream: 'pg3' });
  });

  it('the polls keep their own schedule: a crash is found at the next poll, up to poll_interval later', () => {
    // A crashed primary (its replicas see the connection close at once: DeadMaster at the first failed poll).
    const delay = (interval: string) => {
      const r = run(raft(`, poll_interval: ${interval}`), '  - {at: "10:02", crash: pg1}');
      return r.promotions[0]!.at - 120;
    };
    const d5 = delay('5s');
    const d30 = delay('30s');
    expect(d5).toBeGreaterThan(0);
    expect(d5).toBeLessThanOrEqual(5);
    expect(d30).toBeGreaterThan(d5);
    expect(d30).toBeLessThanOrEqual(30);
  });

  it('a silent primary\'s failed check is known when its connection attempt times out (connect_timeout)', () => {
    // The host dies: its replicas see the connection close at once (the crash), the polls get no answer (the cut).
    const at = (timeout: string) => run(raft(`, connect_timeout: ${timeout}`), '  - {at: "10:02", crash: pg1}\n  - {at: "10:02", partition: pg1}').promotions[0]!.at;
    expect(at('4s') - at('2s')).toBeCloseTo(2, 3);
  });

  it('a recovery that fails is registered too: it blocks the next for recovery_period_block', () => {
    // pg2 is cut off, then pg1: only pg3 (west) is left, and PreventCrossDataCenterMasterFailover fails the
    // recovery. pg2 is back at 10:06: AttemptRecoveryRegistration refuses (the failed recovery is in its active period).
    const faults = '  - {at: "10:01", partition: pg2}\n  - {at: "10:02", partition: pg1}\n  - {at: "10:06", heal: pg2}';
    const blocked = run(raft(', prevent_cross_data_center_failover: true'), faults);
    expect(blocked.promotions).toEqual([]);
    // Recorded when the analysis changes, not at every poll.
    const blocks = blocked.history.failoverDecisions.filter((d) => d.reasons.some((x) => factText(x).startsWith('the last recovery was')));
    expect(blocks.length).toBeGreaterThan(0);
    expect(blocks.length).toBeLessThanOrEqual(3);
    // With a short block period pg2 is promoted once the block ends.
    const short = run(raft(', prevent_cross_data_center_failover: true, recovery_period_block: 5m'), faults);
    expect(short.promotions.map((p) => p.node)).toEqual(['pg2']);
    expect(short.promotions[0]!.at).toBeGreaterThan(180 + 300 - 10);
  });
});

describe('an operator following a runbook (managers/operator.ts)', () => {
  const op = (extra = '') => `{policy: operator, site: west, check_interval: 30s, reaction: 15m${extra}}`;
  it('acts the reaction time after the alert (three failed checks), promoting the most advanced reachable standby', () => {
    const r = run(op(), '  - {at: "10:02", crash: pg1}');
    expect(r.promotions.map((p) => p.node)).toEqual(['pg2']);
    // Checks at 120, 150, 180 s fail (refused at once): the alert at 180 s, the action 15 min later.
    expect(r.promotions[0]!.at).toBeCloseTo(180 + 900, 0);
    // The refused connection is known a round trip (80 ms) after each check.
    expect(r.report.verdicts.find((v) => v.kind === 'no-primary')!.seconds).toBeCloseTo(960.08, 2);
  });

  it('the detection delay is what the checks and the reaction add up to: each parameter moves the promotion as it should', () => {
    const at = (interval: string, reaction: string, extra = '', faults = '  - {at: "10:02", crash: pg1}') =>
      run(`{policy: operator, site: west, check_interval: ${interval}, reaction: ${reaction}${extra}}`, faults).promotions[0]!.at;
    // Refused connections (a crash): checks at 120, 150, 180 s fail; the action 15 min after the third.
    expect(at('30s', '15m')).toBeCloseTo(180 + 900, 0);
    // Five failures needed: two more checks, 60 s later.
    expect(at('30s', '15m', ', health_check: {failures: 5}')).toBeCloseTo(240 + 900, 0);
    // Checks every 10 s: the third failure at 140 s.
    expect(at('10s', '15m')).toBeCloseTo(140 + 900, 0);
    // A 2-minute reaction.
    expect(at('30s', '2m')).toBeCloseTo(180 + 120, 0);
    // A partition instead of a crash: each check waits its 5 s timeout before it fails, so the alert is 5 s later.
    expect(at('30s', '15m', '', '  - {at: "10:02", partition: pg1}')).toBeCloseTo(180 + 5 + 900, 0);
  });

  it('stands down when the primary is back; cannot fence a primary it cannot reach (and says so)', () => {
    const back = run(op(), '  - {at: "10:02", crash: pg1}\n  - {at: "10:10", start: pg1}');
    expect(back.promotions).toEqual([]);
    expect(factText(back.history.failoverDecisions.at(-1)!.reasons[0]!)).toBe('pg1 answers again: the operator stands down');
    const cut = run(op(), '  - {at: "10:02", partition: {sites: [east, west]}}');
    expect(cut.promotions.map((p) => p.node)).toEqual(['pg3']);
    expect(cut.history.failoverDecisions.find((d) => d.chosen === 'pg3')!.reasons.map((x) => factText(x))).toContain('pg1: cannot be fenced from west (unreachable: it may still run and take writes)');
  });
});

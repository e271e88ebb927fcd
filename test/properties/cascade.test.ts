/**
 * Property 6 (rules 5, 6): when its upstream B is promoted, a cascading standby C on `current` (or on the
 * numeric TLI it started on) stops exactly at B's switchpoint and stays on the old timeline, retrying without
 * an error; on `latest` it follows the new timeline iff its replay LSN is not past the switchpoint. C either
 * streams from B (a cascade: it can never be past the switchpoint) or is repointed to B later, after having
 * streamed from B's upstream, which may have written past the fork.
 */
import fc from 'fast-check';
import { describe, it } from 'vitest';
import { seconds, type Micros } from '../../src/engine/time.ts';
import { formatLsn } from '../../src/models/postgres/lsn.ts';
import type { NodeSpec, RecoveryTargetTimeline, Scenario } from '../../src/scenario/types.ts';
import { act, assertScenarioProperty, nodeSpec, scenarioOf, withActions } from '../../src/testing/index.ts';
import { runTwice } from '../support/determinism.ts';
import { cases } from '../support/properties.ts';

const PROMOTE_AT = seconds(60);
const REPOINT_AT = seconds(90);

interface Case {
  readonly scenario: Scenario;
  readonly goal: RecoveryTargetTimeline;
  readonly sibling: boolean;
}

const caseArb: fc.Arbitrary<Case> = fc
  .record({
    version: fc.constantFrom(9.3, 9.4, 9.5, 9.6, 10, 11, 12, 13, 14, 15, 16, 17, 18),
    depth: fc.nat(2),
    goal: fc.constantFrom<'default' | 'current' | 'latest' | 'numeric'>('default', 'current', 'latest', 'numeric'),
    sibling: fc.boolean(),
    siblingOf: fc.nat(),
    rate: fc.constantFrom(0, 10, 100, 1000),
    walPerTx: fc.constantFrom(512, 8192, 100_000),
    block: fc.boolean(),
    routeToB: fc.boolean(),
    latency: fc.constantFrom(100, 2000, 20_000),
    timeline: fc.integer({ min: 1, max: 4 }),
  })
  .map((d): Case => {
    const goal: RecoveryTargetTimeline | undefined = d.goal === 'default' ? undefined : d.goal === 'numeric' ? { tli: d.timeline } : d.goal;
    const node = (name: string, upstream: string | null, settings: NodeSpec['settings'] = {}) => nodeSpec(name, 'dc', d.version, upstream, settings, d.timeline);
    // p -> m1 -> ... -> b -> c (cascade), or c a standby of b's upstream, repointed to b after the promotion.
    const chain = ['p', ...Array.from({ length: d.depth }, (_, i) => `m${i + 1}`), 'b'];
    const nodes = chain.map((n, i) => node(n, i === 0 ? null : chain[i - 1]!));
    const cUp = d.sibling ? chain[d.siblingOf % (chain.length - 1)]! : 'b';
    nodes.push(node('c', cUp, goal !== undefined ? { recoveryTargetTimeline: goal } : {}));
    const base = scenarioOf({
      nodes,
      workloads: [{ name: 'clients', target: 'p', site: 'dc', rate: d.rate, walPerTx: d.walPerTx, connections: 100 }],
      localLatency: d.latency as Micros,
      end: seconds(150),
    });
    const steps = [
      ...(d.block ? [act((PROMOTE_AT - seconds(5)) as Micros, { kind: 'blockClients', node: 'p' })] : []),
      act(PROMOTE_AT, { kind: 'promote', node: 'b' }),
      ...(d.routeToB ? [act((PROMOTE_AT + seconds(1)) as Micros, { kind: 'routeWrites', cluster: 'main', node: 'b', workload: null })] : []),
      ...(d.sibling ? [act(REPOINT_AT, { kind: 'repoint', node: 'c', upstream: 'b' })] : []),
    ];
    // Up to 11 'current' written in recovery.conf is read as timeline 0, latest (xlog.c readRecoveryCommandFile).
    const resolved: RecoveryTargetTimeline = goal === 'current' && d.version < 12 ? 'latest' : (goal ?? (d.version >= 12 ? 'latest' : 'current'));
    return { scenario: withActions(base, steps), goal: resolved, sibling: d.sibling };
  });

describe('property 6: a cascading standby at its upstream\'s promotion', () => {
  it('current stops exactly at the switchpoint; latest follows iff not past it', () => {
    const byScenario = new Map<Scenario, Case>();
    const arb = caseArb.map((c) => {
      byScenario.set(c.scenario, c);
      return c.scenario;
    });
    assertScenarioProperty('cascading standby at its upstream promotion', arb, (s) => {
      const { goal, sibling } = byScenario.get(s)!;
      // C's replay position when it first asks B for WAL after the promotion.
      const at = (sibling ? REPOINT_AT : PROMOTE_AT) as Micros;
      let cBefore = 0;
      // The first position b no longer has (its checkpoints remove WAL: at high rates with small
      // checkpoint_segments, the segment of the switchpoint soon after the promotion).
      let bRemovedUpTo = 0;
      const { report, history } = runTwice(s, {
        afterEvent: (w) => {
          if (w.ctx.sim.now < at) cBefore = w.node('c').walEnd(at);
          bRemovedUpTo = w.node('b').oldestRetained;
        },
      });
      const promotion = history.promotions.find((p) => p.node === 'b');
      if (!promotion) throw new Error('b was not promoted');
      const sp = promotion.switchpoint;
      const c = report.nodes.find((n) => n.name === 'c')!;
      const b = report.nodes.find((n) => n.name === 'b')!;
      const cEnd = lsnValue(c.lsn);
      const lines = report.events.filter((e) => e.node === 'c').flatMap((e) => e.log);
      const where = `c at ${formatLsn(cBefore)} before asking b (switchpoint ${formatLsn(sp)}), ends on timeline ${c.timeline} at ${c.lsn}, receiver ${c.receiver}; b on ${b.timeline} at ${b.lsn}`;
      const past = cBefore > sp;
      // Downstream of b, c holds only what b had: never more than b's switchpoint.
      if (!sibling && past) throw new Error(`c, a cascade from b, is past b's switchpoint: ${where}`);
      // Once b's checkpoints removed the segment of the switchpoint, c can no longer get it from b (rule 10).
      const segmentGone = bRemovedUpTo > Math.floor(sp / (16 * 1024 * 1024)) * 16 * 1024 * 1024;
      if (goal === 'latest') {
        const follows = c.timeline === b.timeline && c.receiver === 'streaming' && cEnd >= Math.floor(sp);
        const removed = segmentGone && c.receiver === 'waiting' && lines.some((l) => /has already been removed/.test(l));
        if (!past && !follows && !removed) throw new Error(`latest, not past the switchpoint, but does not follow: ${where}`);
        if (past && c.timeline === b.timeline) throw new Error(`latest, past the switchpoint, yet follows: ${where}`);
      } else {
        if (c.timeline !== promotion.timeline.parent!.tli) throw new Error(`${JSON.stringify(goal)} switched timelines: ${where}`);
        if (!past) {
          if (cEnd !== Math.floor(sp)) throw new Error(`${JSON.stringify(goal)} does not stop exactly at the switchpoint: ${where}`);
          // The retry loop is silent (rule 5) while b still has the segment of the switchpoint; once b's
          // checkpoints removed it, each retry is "requested WAL segment ... has already been removed" (rule 10).
          const errors = lines.filter((l) => / (ERROR|FATAL): /.test(l) && !(segmentGone && /has already been removed/.test(l)));
          if (errors.length > 0) throw new Error(`${JSON.stringify(goal)} logged an error: ${errors.join(' | ')}`);
          if (c.receiver !== 'waiting') throw new Error(`${JSON.stringify(goal)}: receiver ${c.receiver}, not waiting: ${where}`);
        }
      }
    }, { numRuns: cases(300) });
  });
});

function lsnValue(text: string): number {
  const [hi, lo] = text.split('/');
  return parseInt(hi!, 16) * 2 ** 32 + parseInt(lo!, 16);
}

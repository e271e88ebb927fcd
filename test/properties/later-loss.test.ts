/**
 * Property 7: for a cascade, losing the promoted node later never loses fewer commits. The Mackerel pattern:
 * p -> b -> c; b is promoted and takes the writes; later b is lost (crash or partition) and c is promoted.
 * Whatever c's recovery_target_timeline, the same plan with b lost later loses at least as many commits
 * (a stuck c loses everything b acknowledged after the fork; a following c loses only what was in flight).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { seconds, type Micros } from '../../src/engine/time.ts';
import type { NodeSpec, Scenario } from '../../src/scenario/types.ts';
import { act, assertScenarioProperty, nodeSpec, scenarioOf, ScenarioCounterexample, withActions } from '../../src/testing/index.ts';
import { runTwice } from '../support/determinism.ts';
import { cases } from '../support/properties.ts';

interface Plan {
  readonly base: Scenario;
  readonly lose: 'crash' | 'partition';
  readonly early: number;
  readonly delay: number;
}

const planArb: fc.Arbitrary<Plan> = fc
  .record({
    version: fc.constantFrom(9.3, 9.6, 10, 11, 12, 13, 15, 18),
    goal: fc.constantFrom('default', 'current', 'latest'),
    sites: fc.boolean(),
    latency: fc.constantFrom(100, 5000, 30_000),
    rate: fc.constantFrom(10, 100, 1000),
    walPerTx: fc.constantFrom(512, 2048, 8192),
    lose: fc.constantFrom<'crash' | 'partition'>('crash', 'partition'),
    early: fc.integer({ min: 40, max: 200 }),
    delay: fc.integer({ min: 1, max: 200 }),
  })
  .map((d): Plan => {
    const site = (n: string) => (d.sites && n !== 'p' ? 'cloud' : 'dc');
    const mk = (name: string, upstream: string | null, settings: NodeSpec['settings'] = {}) => nodeSpec(name, site(name), d.version, upstream, settings);
    const base = scenarioOf({
      nodes: [mk('p', null), mk('b', 'p'), mk('c', 'b', d.goal === 'default' ? {} : { recoveryTargetTimeline: d.goal as 'current' | 'latest' })],
      workloads: [{ name: 'clients', target: 'p', site: site('b'), rate: d.rate, walPerTx: d.walPerTx, connections: 100 }],
      sites: d.sites ? ['dc', 'cloud'] : ['dc'],
      links: d.sites ? [{ between: ['dc', 'cloud'], bandwidth: 1.25e8, latency: d.latency as Micros }] : [],
      end: seconds(600),
    });
    const s = (n: number) => seconds(n);
    return {
      base: withActions(base, [
        act(s(20), { kind: 'blockClients', node: 'p' }),
        act(s(25), { kind: 'promote', node: 'b' }),
        act(s(26), { kind: 'routeWrites', cluster: 'main', node: 'b', workload: null }),
        act(s(27), { kind: 'stop', node: 'p' }),
      ]),
      lose: d.lose,
      early: d.early,
      delay: d.delay,
    };
  });

/** The plan with b lost at `at` seconds and c promoted 10 s later. */
function losingAt(p: Plan, at: number): Scenario {
  const s = (n: number) => seconds(n);
  const lose = p.lose === 'crash' ? act(s(at), { kind: 'crash', node: 'b' }, 'faults') : act(s(at), { kind: 'partition', target: { kind: 'node', node: 'b' } }, 'faults');
  return withActions(p.base, [lose, act(s(at + 10), { kind: 'promote', node: 'c' }), act(s(at + 11), { kind: 'routeWrites', cluster: 'main', node: 'c', workload: null })]);
}

describe('property 7: losing the promoted node later never loses fewer commits', () => {
  it('loss is monotone in the time the promoted node is lost', () => {
    const plans = new Map<Scenario, Plan>();
    let growing = 0;
    const arb = planArb.map((p) => {
      const s = losingAt(p, p.early);
      plans.set(s, p);
      return s;
    });
    assertScenarioProperty('later loss never loses fewer', arb, (early) => {
      const p = plans.get(early)!;
      const later = losingAt(p, p.early + p.delay);
      const lost = (s: Scenario) => runTwice(s).report.dataLoss.reduce((a, l) => a + l.commits, 0);
      const a = lost(early);
      const b = lost(later);
      if (b > a) growing++;
      if (b < a) throw new ScenarioCounterexample(`losing b at +${p.early} s loses ${a} commits, at +${p.early + p.delay} s only ${b}`, later);
    }, { numRuns: cases(150) });
    expect(growing).toBeGreaterThan(cases(150) / 10);
  });
});

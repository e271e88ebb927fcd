/**
 * Property: a Patroni switchover (patronictl switchover, to a member or the healthiest) without faults loses no
 * acknowledged commit and never leaves two primaries. The leader refuses a candidate beyond
 * maximum_lag_on_failover; otherwise its graceful demotion's fast stop first sends every lagging standby what
 * it lacks (the member slots, use_slots being Patroni's default, keep it through the shutdown checkpoint), and
 * the key is released only once the candidate has the shutdown checkpoint or PostgreSQL has stopped
 * (ha.py demote, walsender.c WalSndDone). Writes at drawn rates, over lines that may not keep up.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { seconds } from '../../src/engine/time.ts';
import { runScenario } from '../../src/run.ts';
import type { Scenario } from '../../src/scenario/types.ts';
import { assertScenarioProperty, operationsArbitrary, topologyArbitrary, withActions } from '../../src/testing/index.ts';
import { cases } from '../support/properties.ts';

const arb: fc.Arbitrary<Scenario> = topologyArbitrary({
  primaries: { max: 1 },
  standbys: { min: 1, max: 3 },
  versions: [10, 12, 14, 15, 16, 17, 18],
  failover: 'always',
  managers: ['patroni'],
  // Every site reaches every other: a replica that no path joins to the primary is a partition, a fault (with
  // no candidate named, Patroni's race skips the lag check, and such a replica can win it and lose the rest).
  fullMesh: true,
  // From a line that keeps up with everything to one that carries less than the fastest writes.
  bandwidths: [1.25e9, 12.5e6, 1.25e6],
  rates: [10, 100, 1000],
  duration: seconds(600),
}).chain((t) =>
  operationsArbitrary(t, { kinds: ['writes', 'switchover', 'switchover'], count: { min: 1, max: 5 }, window: { from: seconds(20), to: seconds(480) } }, [0, 10, 100, 1000]).map((ops) => withActions(t, ops)),
);

describe('Patroni switchover', () => {
  it('without faults loses nothing and never leaves two primaries', () => {
    assertScenarioProperty(
      'a fault-free Patroni switchover loses nothing',
      arb,
      (s) => {
        const r = runScenario(s).report;
        expect(r.dataLoss, 'acknowledged commits lost').toEqual([]);
        expect(r.verdicts.filter((v) => v.kind === 'split-brain')).toEqual([]);
        // At the end one node leads, whatever the switchovers did.
        expect(r.nodes.filter((n) => n.role === 'primary' && n.state === 'running').length).toBe(1);
      },
      { numRuns: cases(40) },
    );
  });
});

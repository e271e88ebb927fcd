/**
 * Parked retry loops (models/postgres/retry.ts: a loop whose attempts cannot succeed until something changes
 * is not run attempt by attempt, its attempts are counted on the repeated event) give the report of running
 * every attempt, byte for byte apart from what counts the simulation's own work: the number of kernel events
 * and the history fingerprint (which mixes each recorded attempt).
 */
import { describe, expect, it } from 'vitest';
import { withoutParking } from '../../src/models/postgres/retry.ts';
import { runScenario } from '../../src/run.ts';
import type { Scenario } from '../../src/scenario/types.ts';
import { assertScenarioProperty, scenarioArbitrary } from '../../src/testing/index.ts';
import { cases } from '../support/properties.ts';

function report(s: Scenario): string {
  const { fingerprint: _f, stats: _s, ...rest } = runScenario(s).report;
  return JSON.stringify(rest);
}

describe('parked retry loops', () => {
  it('give the report of running every attempt', () => {
    assertScenarioProperty(
      'parked = stepped retry loops',
      scenarioArbitrary({ failover: true, operations: { count: { max: 10 } } }),
      (s) => {
        expect(report(s)).toBe(withoutParking(() => report(s)));
      },
      { numRuns: cases(60) },
    );
  });
});

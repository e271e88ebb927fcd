/**
 * The incremental stream planning (stream-plan.ts: only streams whose inputs changed are planned again) gives
 * the run of looking at every stream at every recomputation: the same report, byte for byte, and the same
 * history fingerprint (every event, position, walreceiver transition and acknowledgement).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { StreamPlanner } from '../../src/models/postgres/stream-plan.ts';
import { runScenario } from '../../src/run.ts';
import { assertScenarioProperty, scenarioArbitrary } from '../../src/testing/index.ts';
import { cases } from '../support/properties.ts';

function outcome(s: Parameters<typeof runScenario>[0], always: boolean): { report: string; fingerprint: string } {
  StreamPlanner.replanAlways = always;
  const r = runScenario(s);
  return { report: JSON.stringify(r.report), fingerprint: r.history.fingerprint };
}

describe('incremental stream planning', () => {
  afterEach(() => {
    StreamPlanner.replanAlways = false;
  });

  it('gives the report of planning every stream every time, byte for byte', () => {
    assertScenarioProperty(
      'incremental = full planning',
      scenarioArbitrary({ failover: true, operations: { count: { max: 10 } } }),
      (s) => {
        const inc = outcome(s, false);
        const full = outcome(s, true);
        expect(inc.fingerprint).toBe(full.fingerprint);
        expect(inc.report).toBe(full.report);
      },
      { numRuns: cases(200) },
    );
  });
});

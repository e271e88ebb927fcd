/**
 * The determinism self-check for tests: run a scenario twice and require the same history fingerprint; on a
 * difference, fail naming the first event that differs.
 */
import { historyDifference } from '../../src/history/diff.ts';
import { runScenario, type RunOptions, type RunResult } from '../../src/run.ts';
import type { Scenario } from '../../src/scenario/types.ts';

export class NondeterminismError extends Error {
  override readonly name = 'NondeterminismError';
}

/** Runs `scenario` twice (the observer, if any, sees only the first run) and returns the first run. */
export function runTwice(scenario: Scenario, options: RunOptions = {}): RunResult {
  const first = runScenario(scenario, options);
  const { afterEvent: _observer, ...rest } = options;
  const second = runScenario(scenario, rest);
  const diff = historyDifference(first.history, second.history);
  if (diff !== null) throw new NondeterminismError(`two runs of scenario "${scenario.name}" (seed ${scenario.seed}) differ: ${diff}`);
  return first;
}

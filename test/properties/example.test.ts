/** The worked example of docs/properties.md: keep the two in step. */
import { describe, it } from 'vitest';
import { runScenario } from '../../src/run.ts';
import { assertScenarioProperty, scenarioArbitrary } from '../../src/testing/index.ts';

describe('a property of your own', () => {
  it('without promotions or faults, no acknowledged commit is lost', () => {
    const scenarios = scenarioArbitrary({
      primaries: { max: 1 },
      operations: { kinds: ['writes', 'stop', 'start', 'restart', 'repoint', 'configure', 'blockClients', 'unblockClients'] },
    });
    assertScenarioProperty('no loss without promotions', scenarios, (s) => runScenario(s).report.dataLoss.length === 0, { numRuns: 200 });
  });
});

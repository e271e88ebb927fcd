/** The worked example of docs/properties.md, imported the way the docs show: keep the two in step. */
import { describe, it } from 'vitest';
import { assertScenarioProperty, runScenario, scenarioArbitrary } from 'replsim';

describe('a property of your own', () => {
  it('without promotions or faults, no acknowledged commit is lost', () => {
    const scenarios = scenarioArbitrary({
      primaries: { max: 1 },
      operations: { kinds: ['writes', 'stop', 'start', 'restart', 'repoint', 'configure', 'blockClients', 'unblockClients'] },
    });
    assertScenarioProperty('no loss without promotions', scenarios, (s) => runScenario(s).report.dataLoss.length === 0, { numRuns: 200 });
  });
});

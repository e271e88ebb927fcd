/**
 * The package's entry points, imported by name as a user of the package would (package.json "exports"):
 * `replsim` (running scenarios, and the testing API) and `replsim/testing` (the testing API alone). Here from
 * the sources (vitest.config.ts); the built and packed package is tested by test/package (npm run test:package).
 */
import { describe, expect, it } from 'vitest';
import * as replsim from 'replsim';
import * as testing from 'replsim/testing';
import { runScenario } from '../../src/run.ts';

describe('the package entry points', () => {
  it('replsim exports runScenario, the loaders and the testing API; replsim/testing the testing API', () => {
    expect(replsim.runScenario).toBe(runScenario);
    for (const name of ['loadScenarioFile', 'loadScenarioText', 'listVariants', 'DEFAULT_LIMITS']) expect(replsim).toHaveProperty(name);
    for (const name of ['scenarioArbitrary', 'topologyArbitrary', 'operationsArbitrary', 'assertScenarioProperty', 'scenarioToYaml', 'withActions', 'act', 'physicalSlot']) {
      expect(testing).toHaveProperty(name);
      expect((replsim as Record<string, unknown>)[name]).toBe((testing as Record<string, unknown>)[name]);
    }
  });

  it('a shipped scenario loads and runs through the package', () => {
    const s = replsim.loadScenarioFile('scenarios/sync-standby-crash.yaml');
    expect(replsim.runScenario(s).report.dataLoss).toEqual([]);
  });
});

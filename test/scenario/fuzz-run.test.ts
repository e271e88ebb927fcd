/**
 * More damaged generated documents (see fuzz-generated.test.ts); then a sample of those that still load
 * runs with small limits: running to the end or stopping with a SimulationLimitError is fine, any other
 * exception (an invariant, a crash) or a hang is a bug.
 */
import { describe, expect, it } from 'vitest';
import { SimulationLimitError } from '../../src/engine/simulation.ts';
import { runScenario } from '../../src/run.ts';
import type { Scenario } from '../../src/scenario/types.ts';
import { DEEP } from '../support/properties.ts';
import { fuzzDocuments, generatedBases } from '../support/yaml-mutations.ts';

const DOCUMENTS = DEEP ? 30_000 : 2_500;
const RUN_SAMPLE = DEEP ? 2_000 : 250;
const LIMITS = { maxEvents: 50_000, maxWallSeconds: 2 };

describe('fuzz: damaged generated scenarios that still load also run', () => {
  const valid: { text: string; scenario: Scenario }[] = [];

  it(`${DOCUMENTS} more damaged documents give a Scenario or one positioned ScenarioError`, () => {
    let n = 0;
    fuzzDocuments(generatedBases(), DOCUMENTS, 19700101, (text, scenario, mutations) => {
      if (valid.length < RUN_SAMPLE && (mutations === 0 || n++ % 3 === 0)) valid.push({ text, scenario });
    });
    expect(valid.length).toBeGreaterThan(RUN_SAMPLE / 2);
  });

  it('a sample of the valid ones runs to the end or stops at a run limit, nothing else', () => {
    let limited = 0;
    for (const { text, scenario } of valid) {
      try {
        runScenario(scenario, { limits: LIMITS });
      } catch (e) {
        if (e instanceof SimulationLimitError) {
          limited++;
          continue;
        }
        throw new Error(`${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}\n--- scenario ---\n${text.slice(0, 6000)}`);
      }
    }
    expect(limited).toBeLessThan(valid.length);
  });
});

/**
 * Fuzz over generated scenarios: documents printed from the arbitraries (every topology and operation kind),
 * then damaged (junk values and keys, deletions, wrong shapes, alias bombs, __proto__ and constructor keys,
 * very long strings, unit typos, unknown names, absurd values). Each loads to a Scenario or one ScenarioError
 * with line and column, quickly. This file and fuzz-run.test.ts (split to run in parallel), with
 * fuzz.test.ts, make more than 10,000 documents in the default run.
 */
import { describe, expect, it } from 'vitest';
import { DEEP } from '../support/properties.ts';
import { fuzzDocuments, generatedBases } from '../support/yaml-mutations.ts';

const DOCUMENTS = DEEP ? 30_000 : 2_500;

describe('fuzz: generated scenarios, damaged', () => {
  it(`${DOCUMENTS} damaged documents give a Scenario or one positioned ScenarioError`, () => {
    const loaded = fuzzDocuments(generatedBases(), DOCUMENTS, 20240101, () => {});
    // The damage must not be so heavy that nothing valid is ever left.
    expect(loaded).toBeGreaterThan(DOCUMENTS / 20);
  });
});

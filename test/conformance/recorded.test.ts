/**
 * The model against what real PostgreSQL 15 servers did (recorded by `npm run conformance -- --record`, the
 * sequences of the CI set): every model change is checked against real behaviour without PostgreSQL. A
 * failure names the step, node and observation; docs/conformance.md explains the comparison. Re-record
 * after changing the harness's observations: npm run conformance:ci -- --record FILE, then keep the CI ids.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compareRuns } from '../../conformance/compare.ts';
import { runModel } from '../../conformance/model.ts';
import type { StepObservation } from '../../conformance/observe.ts';
import type { Sequence } from '../../conformance/sequence.ts';

interface Recorded {
  readonly pgVersion: string;
  readonly sequences: readonly { readonly seq: Sequence; readonly real: readonly StepObservation[] }[];
}

const recorded = JSON.parse(readFileSync(new URL('./real-15.json', import.meta.url), 'utf8')) as Recorded;

describe(`the model agrees with recorded real servers (${recorded.pgVersion})`, () => {
  for (const { seq, real } of recorded.sequences) {
    it(seq.id, () => {
      const differences = compareRuns(seq, real, runModel(seq)).map((d) => `step ${d.step} (${d.op}) ${d.node} ${d.field}: real ${d.real} | model ${d.model}`);
      expect(differences).toEqual([]);
    });
  }
});

/**
 * The model against what real PostgreSQL servers did (recorded by `npm run conformance -- --record`, the
 * sequences of the CI set, one file per major: real-<major>.json; real-15-debian.json is Debian's 15.18; real-<major>-sync.json the
 * synchronous-commit sequences, conformance/sequence.ts syncSequences; real-<major>-sibling.json the hand-written
 * sibling-restart (handWrittenSequences); real-<major>-ext.json extended sequences of the
 * full run, whose WAL spans and slots are compared too): every model change is checked against real
 * behaviour of every major without a server. A failure names the step, node and observation; docs/conformance.md
 * explains the comparison. Re-record after changing the harness's observations: npm run conformance:ci --
 * --major N --ci-size 16 --record FILE, keeping the sequences that agree.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compareRuns, LIMITATIONS } from '../../conformance/compare.ts';
import { runModel } from '../../conformance/model.ts';
import type { StepObservation } from '../../conformance/observe.ts';
import type { Sequence } from '../../conformance/sequence.ts';

interface Recorded {
  readonly major?: number;
  readonly pgVersion: string;
  readonly sequences: readonly { readonly seq: Sequence; readonly real: readonly StepObservation[] }[];
}

const dir = new URL('./', import.meta.url);
const files = readdirSync(dir).filter((f) => /^real-\d+(-[a-z]+)?\.json$/.test(f));

for (const file of files) {
  const recorded = JSON.parse(readFileSync(new URL(file, dir), 'utf8')) as Recorded;
  const major = recorded.major ?? Number(file.match(/\d+/)![0]);
  describe(`the model agrees with recorded real servers (${recorded.pgVersion})`, () => {
    for (const { seq, real } of recorded.sequences) {
      it(seq.id, () => {
        // Log lines differ in places by a documented limitation (compare.ts LIMITATIONS); nothing else may.
        const differences = compareRuns(seq, real, runModel(seq, major))
          .filter((d) => !LIMITATIONS.some((l) => l.matches(d, major)))
          .map((d) => `step ${d.step} (${d.op}) ${d.node} ${d.field}: real ${d.real} | model ${d.model}`);
        expect(differences).toEqual([]);
      });
    }
  });
}

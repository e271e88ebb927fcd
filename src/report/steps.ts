/** Cause-chain steps in the JSON report: the sentence (times in the report's clock) and, for a fact, the data beside it. */
import type { CauseStep } from '../checkers/explain.ts';
import { factJson, factText } from './facts/index.ts';
import type { Clock } from './time.ts';
import type { CauseStepJson } from './types.ts';

export function stepJson(s: CauseStep, clock: Clock): CauseStepJson {
  return { text: factText(s.fact, (t) => clock.short(t)), fact: factJson(s.fact, (t) => clock.iso(t)), log: s.log };
}

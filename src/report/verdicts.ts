/**
 * Verdicts in the report: the JSON form (from the checker's records) and the text section that opens the
 * plain-text report.
 */
import type { Micros } from '../engine/time.ts';
import type { History } from '../history/history.ts';
import { judge } from '../checkers/verdicts.ts';
import { factJson, factText } from './facts/index.ts';
import { decidedByText } from './facts/deciders.ts';
import { stepJson } from './steps.ts';
import type { Clock } from './time.ts';
import type { DecisionJson, RecoveryJson, Report, VerdictJson } from './types.ts';

/** `explain` false (RunOptions.explain): the verdicts' causes are empty and the decisions left out. */
export function verdictReport(history: History, clock: Clock, end: Micros, explain = true): { verdicts: VerdictJson[]; recovery: RecoveryJson[]; decisions: DecisionJson[] } {
  const { verdicts, recovery } = judge(history, end);
  return {
    verdicts: verdicts.map((v) => ({
      kind: v.kind,
      cluster: v.cluster,
      node: v.node,
      from: clock.iso(v.from),
      to: v.to === null ? null : clock.iso(v.to),
      seconds: ((v.to ?? end) - v.from) / 1e6,
      cause: explain ? v.cause.map((s) => stepJson(s, clock)) : [],
      ...(v.sides ? { sides: v.sides.map((s) => ({ ...s })) } : {}),
    })),
    recovery: recovery.map((r) => ({ cluster: r.cluster, from: clock.iso(r.from), to: r.to === null ? null : clock.iso(r.to), seconds: r.to === null ? null : (r.to - r.from) / 1e6 })),
    decisions: !explain ? [] : history.failoverDecisions.map((d) => ({
      at: clock.iso(d.at),
      cluster: d.cluster,
      policy: d.policy,
      by: d.by ? decidedByText(d.by) : null,
      byFact: d.by ?? null,
      chosen: d.chosen,
      saw: d.saw ? factText(d.saw) : null,
      rule: d.rule ?? null,
      reasons: d.reasons.map((x) => factText(x)),
      facts: { saw: d.saw ? factJson(d.saw) : null, reasons: d.reasons.map((x) => factJson(x)) },
    })),
  };
}

const TITLES: Record<VerdictJson['kind'], string> = {
  'split-brain': 'Split brain',
  'no-primary': 'No primary',
  'standby-broken': 'Standby cannot follow',
  'redundancy-below-plan': 'Redundancy below plan',
  'data-loss': 'Data lost: no running disk has the newest data',
  fenced: 'Node fenced (STONITH)',
};

/** The headline of a verdict in the text report: its title, where, and its span. */
export function verdictHeadline(v: VerdictJson, at: (iso: string) => string, human: (seconds: number) => string): string {
  const span = v.to === null ? `from ${at(v.from)} to the end (${human(v.seconds)}, still at the end)` : `from ${at(v.from)} to ${at(v.to)} (${human(v.seconds)})`;
  return `${TITLES[v.kind]} in ${v.cluster}${v.node ? ` (${v.node})` : ''}, ${span}.`;
}

/** A cluster's time to recover, as a sentence. */
export function recoveryLine(x: RecoveryJson, at: (iso: string) => string, human: (seconds: number) => string): string {
  return x.to === null
    ? `Time to recover (${x.cluster}): not recovered; from the first failure at ${at(x.from)} a verdict still holds at the end.`
    : `Time to recover (${x.cluster}): ${human(x.seconds!)}, from the first failure at ${at(x.from)} until the last verdict cleared at ${at(x.to)}.`;
}

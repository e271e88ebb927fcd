/**
 * Verdicts in the report: the JSON form (from the checker's records) and the text section that opens the
 * plain-text report.
 */
import type { Micros } from '../engine/time.ts';
import type { History } from '../history/history.ts';
import { judge } from '../checkers/verdicts.ts';
import type { Clock } from './time.ts';
import type { CauseStepJson, DecisionJson, RecoveryJson, Report, VerdictJson } from './types.ts';

export function verdictReport(history: History, clock: Clock, end: Micros): { verdicts: VerdictJson[]; recovery: RecoveryJson[]; decisions: DecisionJson[] } {
  const { verdicts, recovery } = judge(history, end, (t) => clock.short(t));
  return {
    verdicts: verdicts.map((v) => ({
      kind: v.kind,
      cluster: v.cluster,
      node: v.node,
      from: clock.iso(v.from),
      to: v.to === null ? null : clock.iso(v.to),
      seconds: ((v.to ?? end) - v.from) / 1e6,
      cause: v.cause.map((s) => ({ text: s.text, log: s.log })),
      ...(v.sides ? { sides: v.sides.map((s) => ({ ...s })) } : {}),
    })),
    recovery: recovery.map((r) => ({ cluster: r.cluster, from: clock.iso(r.from), to: r.to === null ? null : clock.iso(r.to), seconds: r.to === null ? null : (r.to - r.from) / 1e6 })),
    decisions: history.failoverDecisions.map((d) => ({ at: clock.iso(d.at), cluster: d.cluster, policy: d.policy, by: d.by ?? null, chosen: d.chosen, saw: d.saw ?? null, rule: d.rule ?? null, reasons: [...d.reasons] })),
  };
}

const TITLES: Record<VerdictJson['kind'], string> = {
  'split-brain': 'Split brain',
  'no-primary': 'No primary',
  'standby-broken': 'Standby cannot follow',
  'redundancy-below-plan': 'Redundancy below plan',
};

/** What the text renderer (text.ts) lends the verdict section: its output, wrapping and formatters. */
export interface VerdictWriter {
  readonly out: string[];
  readonly b: (s: string) => string;
  readonly red: (s: string) => string;
  readonly green: (s: string) => string;
  /** A wrapped paragraph: the first line after `first`, the others after `rest`. */
  para(text: string, first: string, rest?: string, style?: (s: string) => string): void;
  /** A numbered cause chain with its log lines. */
  steps(list: readonly CauseStepJson[], indent: string): void;
  at(iso: string): string;
  duration(seconds: number): string;
}

/** One line for the summary: how many verdicts of each kind, and whether the clusters recovered. */
export function verdictSummary(r: Report): string | null {
  if (r.nodes.length === 0 && r.verdicts.length === 0) return null;
  if (r.verdicts.length === 0) return 'none';
  const kinds = [...new Set(r.verdicts.map((v) => v.kind))].map((k) => {
    const n = r.verdicts.filter((v) => v.kind === k).length;
    return `${TITLES[k].toLowerCase()}${n > 1 ? ` (${n})` : ''}`;
  });
  const open = r.recovery.some((x) => x.to === null);
  return `${kinds.join(', ')}; ${open ? 'not recovered by the end' : 'all cleared by the end'}`;
}

/** The "Verdicts" section: each verdict with its interval and numbered cause chain, then the time to recover. */
export function renderVerdicts(r: Report, w: VerdictWriter, indent: string): void {
  // A scenario of block devices only has no PostgreSQL cluster to judge: no empty heading.
  if (r.nodes.length === 0 && r.verdicts.length === 0) return;
  w.out.push(w.b('Verdicts'));
  if (r.verdicts.length === 0) w.para('None: one primary per cluster throughout, every standby following it as planned.', indent, indent, w.green);
  for (const v of r.verdicts) {
    const span = v.to === null ? `from ${w.at(v.from)} to the end (${w.duration(v.seconds)}, still at the end)` : `from ${w.at(v.from)} to ${w.at(v.to)} (${w.duration(v.seconds)})`;
    w.para(`${TITLES[v.kind]} in ${v.cluster}${v.node ? ` (${v.node})` : ''}, ${span}.`, indent, `${indent}    `, w.red);
    w.steps(v.cause, indent);
  }
  for (const x of r.recovery) {
    w.para(
      x.to === null
        ? `Time to recover (${x.cluster}): not recovered; from the first failure at ${w.at(x.from)} a verdict still holds at the end.`
        : `Time to recover (${x.cluster}): ${w.duration(x.seconds!)}, from the first failure at ${w.at(x.from)} until the last verdict cleared at ${w.at(x.to)}.`,
      indent,
      `${indent}    `,
    );
  }
  w.out.push('');
}

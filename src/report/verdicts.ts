/**
 * Verdicts in the report: the JSON form (from the checker's records) and the text section that opens the
 * plain-text report.
 */
import type { Micros } from '../engine/time.ts';
import type { History } from '../history/history.ts';
import { judge } from '../checkers/verdicts.ts';
import type { Clock } from './time.ts';
import type { DecisionJson, RecoveryJson, Report, VerdictJson } from './types.ts';

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

export interface VerdictTextStyle {
  readonly b: (s: string) => string;
  readonly red: (s: string) => string;
  readonly green: (s: string) => string;
  readonly dim: (s: string) => string;
}

/** The "Verdicts" section: each verdict with its interval and numbered cause chain, then the time to recover. */
export function renderVerdicts(r: Report, at: (iso: string) => string, human: (seconds: number) => string, c: VerdictTextStyle): string[] {
  // A scenario of block devices only has no PostgreSQL cluster to judge: no empty heading.
  if (r.nodes.length === 0 && r.verdicts.length === 0) return [];
  const out: string[] = [c.b('Verdicts')];
  if (r.verdicts.length === 0) out.push(`  ${c.green('None: one primary per cluster throughout, every standby following it as planned.')}`);
  for (const v of r.verdicts) {
    const span = v.to === null ? `from ${at(v.from)} to the end (${human(v.seconds)}, still at the end)` : `from ${at(v.from)} to ${at(v.to)} (${human(v.seconds)})`;
    out.push(`  ${c.red(TITLES[v.kind])} in ${v.cluster}${v.node ? ` (${v.node})` : ''}, ${span}.`);
    v.cause.forEach((s, i) => {
      out.push(`   ${String(i + 1).padStart(2)}. ${s.text}`);
      for (const line of s.log) out.push(c.dim(`       | ${line.replace(/\n\t/g, ' ')}`));
    });
  }
  for (const x of r.recovery) {
    out.push(
      x.to === null
        ? `  Time to recover (${x.cluster}): not recovered; from the first failure at ${at(x.from)} a verdict still holds at the end.`
        : `  Time to recover (${x.cluster}): ${human(x.seconds!)}, from the first failure at ${at(x.from)} until the last verdict cleared at ${at(x.to)}.`,
    );
  }
  out.push('');
  return out;
}

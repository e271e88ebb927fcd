/** A sweep's summary for people (within 100 columns) and for machines (`--json`). */
import { count, counted, duration, percent } from '../../report/format.ts';
import { printable } from '../../report/escape.ts';
import { wrap } from '../../report/wrap.ts';
import type { SweepMeta } from './results.ts';
import type { Spread, SweepSummary } from './stats.ts';
import { renderTable } from '../table.ts';

const pct = percent;

/**
 * The loss rows, each named by its unit as compare names its column: "commits lost" for PostgreSQL clusters,
 * "writes lost" for replicated block devices, a row each when the scenario has both; "commits lost" when the
 * rows do not say (a shard file of an older replsim).
 */
function lossRows(s: SweepSummary): { readonly head: string; readonly spread: Spread }[] {
  const by = s.lostBy;
  if (by === undefined || (by.commits === undefined && by.writes === undefined)) return [{ head: 'commits lost', spread: s.lostCommits }];
  return [...(by.commits ? [{ head: 'commits lost', spread: by.commits }] : []), ...(by.writes ? [{ head: 'writes lost', spread: by.writes }] : [])];
}

export function renderSweep(meta: SweepMeta, s: SweepSummary, width = 100, elapsed: { seconds: number; workers: number } | null = null): string {
  const out: string[] = [];
  out.push(...wrap(printable(`replsim sweep: ${meta.file}${meta.variant ? ` (variant ${meta.variant})` : ''}, ${count(s.runs)} runs, seed ${meta.seed}${elapsed ? `, ${duration(elapsed.seconds)} on ${counted(elapsed.workers, 'worker')} (${count(Math.round(s.runs / Math.max(elapsed.seconds, 1e-9)))} runs/s)` : ''}`), width, ''));
  for (const v of meta.varies) out.push(...wrap(printable(`varied: ${v}`), width, '  ', '    '));
  if (s.stopped) out.push(`  ${counted(s.stopped, 'run')} stopped (a run limit or an internal invariant): counted as run-stopped`);
  out.push('');
  out.push(
    ...renderTable(
      [{ head: 'outcome' }, { head: 'runs' }, { head: 'probability' }, { head: '95% interval (Wilson)' }],
      Object.entries(s.verdicts).map(([k, v]) => [k, count(v.count), pct(v.probability), `${pct(v.ci95[0])} to ${pct(v.ci95[1])}`]),
      width,
    ),
  );
  out.push('');
  const losses = lossRows(s);
  const q = (x: Spread, f: (v: number) => string) => [f(x.p50), f(x.p90), f(x.p99), f(x.max), f(x.mean)];
  out.push(
    ...renderTable(
      [{ head: 'per run' }, { head: 'median' }, { head: 'p90' }, { head: 'p99' }, { head: 'max' }, { head: 'mean' }],
      [
        ...losses.map((l) => [l.head, ...q(l.spread, (v) => count(Math.round(v)))]),
        ['stall time', ...q(s.stallSeconds, duration)],
        ['outage time', ...q(s.outageSeconds, duration)],
      ],
      width,
    ),
  );
  out.push('');
  out.push(...wrap(`Bad runs (${s.bad.join(', ')}): ${count(s.badRuns.count)} of ${count(s.runs)}, ${pct(s.badRuns.probability)} (${pct(s.badRuns.ci95[0])} to ${pct(s.badRuns.ci95[1])}).`, width, ''));
  for (const sep of s.separation) {
    if (sep.kind === 'choice') {
      const parts = Object.entries(sep.badShare).map(([o, e]) => `${o}: ${count(e.bad)} of ${count(e.runs)} bad (${pct(e.runs ? e.bad / e.runs : 0)})`);
      out.push(...wrap(printable(`${sep.path}: ${parts.join('; ')}`), width, '  ', '    '));
      continue;
    }
    const corr = sep.lossCorrelation === null ? '' : `; rank correlation with ${losses.length === 1 ? losses[0]!.head : 'commits and writes lost'} ${sep.lossCorrelation.toFixed(2)}`;
    const text =
      sep.threshold === '-'
        ? `${sep.path}: no threshold separates bad runs from good better than guessing the majority (${pct(sep.accuracy)})${corr}`
        : `${sep.path}: bad when ${sep.direction} ${sep.threshold}, right for ${pct(sep.accuracy)} of runs (median ${sep.badMedian ?? '-'} in bad runs, ${sep.goodMedian ?? '-'} in good)${corr}`;
    out.push(...wrap(printable(text), width, '  ', '    '));
  }
  return `${out.join('\n')}\n`;
}

export function sweepJson(meta: SweepMeta, s: SweepSummary): string {
  return `${JSON.stringify({ ...meta, ...s }, null, 2)}\n`;
}

/** A sweep's summary for people (within 100 columns) and for machines (`--json`). */
import { count, duration } from '../../report/format.ts';
import { printable } from '../../report/escape.ts';
import { wrap } from '../../report/wrap.ts';
import type { SweepMeta } from './results.ts';
import type { Spread, SweepSummary } from './stats.ts';
import { renderTable } from '../table.ts';

const pct = (p: number) => `${(p * 100).toFixed(p < 0.001 && p > 0 ? 2 : 1)}%`;

export function renderSweep(meta: SweepMeta, s: SweepSummary, width = 100, elapsed: { seconds: number; workers: number } | null = null): string {
  const out: string[] = [];
  out.push(...wrap(printable(`replsim sweep: ${meta.file}${meta.variant ? ` (variant ${meta.variant})` : ''}, ${count(s.runs)} runs, seed ${meta.seed}${elapsed ? `, ${elapsed.seconds.toFixed(1)} s on ${elapsed.workers} worker${elapsed.workers > 1 ? 's' : ''} (${count(Math.round(s.runs / Math.max(elapsed.seconds, 1e-9)))} runs/s)` : ''}`), width, ''));
  for (const v of meta.varies) out.push(...wrap(printable(`varied: ${v}`), width, '  ', '    '));
  if (s.stopped) out.push(`  ${count(s.stopped)} run${s.stopped === 1 ? '' : 's'} stopped (a run limit or an internal invariant): counted as run-stopped`);
  out.push('');
  out.push(
    ...renderTable(
      [{ head: 'outcome' }, { head: 'runs' }, { head: 'probability' }, { head: '95% interval (Wilson)' }],
      Object.entries(s.verdicts).map(([k, v]) => [k, count(v.count), pct(v.probability), `${pct(v.ci95[0])} to ${pct(v.ci95[1])}`]),
      width,
    ),
  );
  out.push('');
  const q = (x: Spread, f: (v: number) => string) => [f(x.p50), f(x.p90), f(x.p99), f(x.max), f(x.mean)];
  out.push(
    ...renderTable(
      [{ head: 'per run' }, { head: 'median' }, { head: 'p90' }, { head: 'p99' }, { head: 'max' }, { head: 'mean' }],
      [
        ['commits lost', ...q(s.lostCommits, (v) => count(Math.round(v)))],
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
      const parts = Object.entries(sep.badShare).map(([o, e]) => `${o}: ${e.bad} of ${e.runs} bad (${pct(e.runs ? e.bad / e.runs : 0)})`);
      out.push(...wrap(printable(`${sep.path}: ${parts.join('; ')}`), width, '  ', '    '));
      continue;
    }
    const corr = sep.lossCorrelation === null ? '' : `; rank correlation with commits lost ${sep.lossCorrelation.toFixed(2)}`;
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

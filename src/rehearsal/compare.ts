/**
 * `replsim compare`: the baseline and the variants of one or several scenario files, run and set side by
 * side (docs/rehearsal.md): verdicts, commits lost and their window, stalls, outages, the first warning, the
 * expectations. Rows for machines (`{"rows": [...]}`) and a table for people that fits the terminal.
 */
import type { RunLimits } from '../engine/simulation.ts';
import { counted, duration, percent } from '../report/format.ts';
import { printable } from '../report/escape.ts';
import { ReportClock } from '../report/time.ts';
import { listVariants, loadScenarioText } from '../scenario/load.ts';
import { runScenario, type RunResult } from '../run.ts';
import { lostColumn, outcomeOf, type Outcome } from './outcome.ts';
import { renderTable } from './table.ts';
import { wrap } from '../report/wrap.ts';

export interface ScenarioSource {
  readonly file: string;
  readonly text: string;
}

export interface ComparedRun {
  readonly file: string;
  readonly text: string;
  /** null: the baseline. */
  readonly variant: string | null;
  readonly description: string;
}

/**
 * The runs to compare: for each file its baseline, then the variants named (in the order given) or, when
 * none is named, all of them in file order. A named variant that no file defines is the loader's error
 * (with its did-you-mean); one that only some files define runs for those.
 */
export function comparedRuns(sources: readonly ScenarioSource[], named: readonly string[]): ComparedRun[] {
  const out: ComparedRun[] = [];
  const defined = sources.map((s) => listVariants(s.text, s.file));
  for (const v of named) {
    if (!defined.some((vs) => vs.some((x) => x.name === v))) loadScenarioText(sources[0]!.text, sources[0]!.file, { variant: v });
  }
  sources.forEach((s, i) => {
    out.push({ file: s.file, text: s.text, variant: null, description: '' });
    const vs = defined[i]!;
    const chosen = named.length === 0 ? vs : named.flatMap((n) => vs.filter((v) => v.name === n));
    const seen = new Set<string>();
    for (const v of chosen) {
      if (seen.has(v.name)) continue;
      seen.add(v.name);
      out.push({ file: s.file, text: s.text, variant: v.name, description: v.description });
    }
  });
  return out;
}

export interface CompareRow extends Outcome {
  readonly file: string;
  readonly scenario: string;
  /** null for the baseline. */
  readonly variant: string | null;
  readonly description: string;
  readonly seed: number;
  readonly start: string;
  readonly end: string;
  readonly timezone: string;
  /** Operations refused or without effect (the report's `refusals`): a plan step that did nothing. */
  readonly refusals: readonly { readonly at: string; readonly message: string }[];
}

export interface CompareOptions {
  readonly sets?: readonly string[];
  readonly seed?: number | null;
  readonly limits?: RunLimits;
  /** Called before each run (a progress line). */
  readonly onRun?: (run: ComparedRun, index: number, total: number) => void;
}

/** Runs each compared run (variant and --set applied, in that order) and reads its outcome. */
export function runComparison(runs: readonly ComparedRun[], opts: CompareOptions = {}): { row: CompareRow; result: RunResult }[] {
  return runs.map((run, i) => {
    opts.onRun?.(run, i, runs.length);
    const scenario = loadScenarioText(run.text, run.file, { variant: run.variant, sets: opts.sets ?? [], seed: opts.seed ?? null });
    const result = runScenario(scenario, opts.limits ? { limits: opts.limits } : {});
    const r = result.report;
    const clock = new ReportClock(r);
    const row: CompareRow = {
      file: run.file,
      scenario: r.scenario,
      variant: run.variant,
      // A folded YAML description ends in a line break: one line, as `replsim variants` prints it.
      description: (run.variant === null ? r.description : run.description).trim().replace(/\s+/g, ' '),
      seed: r.seed,
      start: r.start,
      end: r.end,
      timezone: r.timezone,
      ...outcomeOf(r, (iso) => clock.us(iso)),
      refusals: (r.refusals ?? []).map((x) => ({ at: x.at, message: x.message })),
    };
    return { row, result };
  });
}

function runLabel(row: CompareRow, files: number): string {
  const v = row.variant ?? 'baseline';
  return files > 1 ? `${row.file.replace(/^.*\//, '')}\n${v}` : v;
}

/** The table for people: one row per run, every line within `width` columns. */
export function renderComparison(rows: readonly CompareRow[], width = 100): string {
  const files = new Set(rows.map((r) => r.file)).size;
  const out: string[] = [];
  if (files === 1 && rows[0]) out.push(printable(`replsim compare: ${rows[0].scenario} (${rows[0].file}), ${counted(rows.length, 'run')}`));
  else out.push(`replsim compare: ${counted(rows.length, 'run')} of ${counted(files, 'file')}`);
  out.push('');
  const lostCol = lostColumn(rows);
  const body = rows.map((r) => {
    const clock = new ReportClock(r);
    const at = (iso: string) => clock.short(iso);
    const verdicts = r.verdicts.length === 0 ? '-' : [...new Set(r.verdicts.map((v) => v.kind))].join('\n');
    const lost = `${lostCol.cell(r)}${r.lossWindow ? `\n${at(r.lossWindow.from)} to\n${at(r.lossWindow.to)}` : ''}`;
    // Block writes slowed below the offer without a stall (report shortfalls): no stall, but not what was offered.
    const short = r.shortfall ? `\nslowed to ${percent(r.shortfall.worstShare)}\nfor ${duration(r.shortfall.seconds)}` : '';
    const stalls = `${r.stallCount === 0 ? 'none' : `${r.stallCount}: ${duration(r.stallSeconds)}${r.stallCount > 1 ? `\nlongest ${duration(r.longestStallSeconds)}` : ''}`}${short}`;
    const outages = r.outageCount === 0 ? 'none' : `${r.outageCount}: ${duration(r.outageSeconds)}`;
    const warning = r.firstWarning ? at(r.firstWarning.at) : '-';
    const n = r.expectations.length;
    const expect = n === 0 ? '-' : r.expectationsFailed > 0 ? `${r.expectationsFailed} of ${n} FAIL` : `${n} pass`;
    return [printable(runLabel(r, files), true), verdicts, lost, stalls, outages, warning, expect];
  });
  out.push(
    ...renderTable(
      [{ head: 'run', min: 12 }, { head: 'verdicts' }, { head: lostCol.head, min: 10 }, { head: 'stalls' }, { head: 'outages' }, { head: 'first warning', min: 10 }, { head: 'expect' }],
      body,
      width,
    ),
  );
  // What each run is, and the expectations that failed, under the table.
  const notes: string[] = [];
  for (const r of rows) {
    const label = `${files > 1 ? `${r.file.replace(/^.*\//, '')} ` : ''}${r.variant ?? 'baseline'}`;
    const lines: string[] = [];
    if (r.description) lines.push(r.description);
    if (r.firstWarning) lines.push(`first warning ${new ReportClock(r).short(r.firstWarning.at)}: ${r.firstWarning.what}`);
    for (const x of r.refusals) lines.push(`refused ${new ReportClock(r).short(x.at)}: ${x.message}`);
    for (const e of r.expectations) if (!e.passed) lines.push(`FAIL ${e.name}: ${e.detail}`);
    if (lines.length === 0) continue;
    notes.push(`${label}:`);
    for (const l of lines) notes.push(...wrap(printable(l), width, '  ', '    '));
  }
  if (notes.length) out.push('', ...notes);
  return `${out.join('\n')}\n`;
}

/** The JSON for machines: `{"rows": [...]}`, each row with the run report's own fields. */
export function comparisonJson(rows: readonly CompareRow[]): string {
  return `${JSON.stringify({ rows }, null, 2)}\n`;
}

/** `replsim run FILE`: load, run, print the report; optionally check determinism and draw the chart. */
import { statSync, writeFileSync } from 'node:fs';
import { extname, resolve } from 'node:path';
import type { Micros } from '../engine/time.ts';
import { historyDifference } from '../history/diff.ts';
import { renderText } from '../report/text.ts';
import { runScenario, type RunResult } from '../run.ts';
import { loadScenarioText } from '../scenario/load.ts';
import type { Scenario } from '../scenario/types.ts';
import { numberOption, UsageError, type OptionValue } from './args.ts';
import { readInput } from './input.ts';
import type { Io } from './io.ts';
import { ProgressBar } from './progress.ts';

type Options = ReadonlyMap<string, OptionValue>;

/** `--chart FILE`: an .svg that is not the scenario being read (checked before the run). */
export function checkChartPath(chart: string, input: string): void {
  if (extname(chart).toLowerCase() !== '.svg') throw new UsageError(`--chart ${JSON.stringify(chart)}: charts are SVG: name a .svg file`, 'run');
  if (input === '-') return;
  const same = resolve(chart) === resolve(input) || sameFile(chart, input);
  if (same) throw new UsageError(`--chart ${JSON.stringify(chart)} is the scenario file itself: name another .svg file`, 'run');
  try {
    if (statSync(chart).isDirectory()) throw new UsageError(`--chart ${JSON.stringify(chart)} is a directory: name a .svg file`, 'run');
  } catch (e) {
    if (e instanceof UsageError) throw e;
  }
}

function sameFile(a: string, b: string): boolean {
  try {
    const x = statSync(a);
    const y = statSync(b);
    return x.dev === y.dev && x.ino === y.ino;
  } catch {
    return false;
  }
}

export async function runCommand(file: string, options: Options, io: Io): Promise<number> {
  const chart = options.get('chart') as string | undefined;
  if (chart !== undefined) checkChartPath(chart, file);
  const seed = numberOption(options, 'seed', (n) => Number.isSafeInteger(n) && n >= 0, 'an integer >= 0');
  const maxEvents = numberOption(options, 'max-events', (n) => Number.isSafeInteger(n) && n >= 0, 'a whole number >= 0')!;
  const maxWallSeconds = numberOption(options, 'max-wall-seconds', (n) => Number.isFinite(n) && n >= 0, 'a number of seconds >= 0')!;
  const input = readInput(file);
  const load = (): Scenario =>
    loadScenarioText(input.text, input.name, {
      variant: (options.get('variant') as string | undefined) ?? null,
      sets: (options.get('set') as readonly string[] | undefined) ?? [],
      seed: seed ?? null,
    });
  const scenario = load();
  const limits = { maxEvents, maxWallSeconds };
  const bar = options.get('progress') === true && io.progressStream ? new ProgressBar(io.progressStream, scenario.name) : null;
  let result: RunResult;
  try {
    result = runScenario(scenario, { limits, onProgress: bar ? (now: Micros, end: Micros) => bar.update(now / end) : undefined });
  } finally {
    bar?.done();
  }
  if (options.get('check-determinism') === true) {
    const again = runScenario(load(), { limits });
    const a = JSON.stringify(result.report);
    const b = JSON.stringify(again.report);
    const diff = historyDifference(result.history, again.history);
    if (a !== b || diff !== null) {
      const where = diff ?? `the histories agree (fingerprint ${result.report.fingerprint}) but the JSON reports differ from character ${firstDifference(a, b)}`;
      io.err(`replsim: NOT deterministic: two runs of the same scenario and seed differ: ${where}\n`);
      return 3;
    }
    io.err(`replsim: deterministic: two runs gave identical reports (fingerprint ${result.report.fingerprint})\n`);
  }
  let code = result.report.expectations.every((e) => e.passed) ? 0 : 1;
  let chartError: string | null = null;
  if (chart !== undefined) {
    // Loaded only when asked for: the chart module pulls in d3-array.
    const { renderChartSvg } = await import('../report/chart.ts');
    try {
      writeFileSync(chart, renderChartSvg(result));
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      chartError = `replsim: --chart ${JSON.stringify(chart)}: cannot write the chart: ${err.code === 'ENOENT' ? 'no such directory' : err.code === 'EACCES' ? 'permission denied' : (err.code ?? err.message)}\n`;
      code = 2;
    }
  }
  io.out(options.get('json') === true ? `${JSON.stringify(result.report, null, 2)}\n` : renderText(result.report, { verbose: options.get('verbose') === true, color: io.stdoutIsTTY }));
  if (chartError !== null) io.err(chartError);
  else if (chart !== undefined) io.err(`replsim: chart written to ${chart}\n`);
  return code;
}

function firstDifference(a: string, b: string): number {
  let i = 0;
  while (i < a.length && a[i] === b[i]) i++;
  return i;
}

/** `replsim run FILE`: load, run, print the report; optionally check determinism, draw the chart, write the page. */
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
import { reportWidth, useColor, type Io } from './io.ts';
import { ProgressBar } from './progress.ts';

type Options = ReadonlyMap<string, OptionValue>;

/** The files `run` may write besides the report: the option, the extension its content needs, its renderer. */
const OUTPUTS = [
  { option: 'chart', ext: '.svg', format: 'SVG', name: 'chart' },
  { option: 'html', ext: '.html', format: 'HTML', name: 'HTML report' },
] as const;

type Output = (typeof OUTPUTS)[number];

/**
 * `--chart FILE` / `--html FILE`: named with the extension of what is written (a chart named .png would hold
 * SVG bytes), not the scenario being read, not a directory (checked before the run).
 */
export function checkOutputPath(out: Output, path: string, input: string): void {
  const flag = `--${out.option} ${JSON.stringify(path)}`;
  if (extname(path).toLowerCase() !== out.ext) {
    const meant = path.replace(/\.[A-Za-z0-9]*$/, '') + out.ext;
    throw new UsageError(`--${out.option}: ${JSON.stringify(path)} does not end in ${out.ext}; replsim writes ${out.format} only (did you mean ${JSON.stringify(meant)}?)`, 'run');
  }
  if (input !== '-' && (resolve(path) === resolve(input) || sameFile(path, input))) {
    throw new UsageError(`${flag} is the scenario file itself: name another ${out.ext} file`, 'run');
  }
  try {
    if (statSync(path).isDirectory()) throw new UsageError(`${flag} is a directory: name a ${out.ext} file`, 'run');
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
  const outputs = OUTPUTS.flatMap((o) => {
    const path = options.get(o.option) as string | undefined;
    return path === undefined ? [] : [{ ...o, path }];
  });
  for (const o of outputs) checkOutputPath(o, o.path, file);
  const seed = numberOption(options, 'seed', (n) => Number.isSafeInteger(n) && n >= 0, 'an integer >= 0', 'run');
  const maxEvents = numberOption(options, 'max-events', (n) => Number.isSafeInteger(n) && n >= 0, 'a whole number >= 0', 'run')!;
  const maxWallSeconds = numberOption(options, 'max-wall-seconds', (n) => Number.isFinite(n) && n >= 0, 'a number of seconds >= 0', 'run')!;
  const input = readInput(file);
  const variants = (options.get('variant') as readonly string[] | undefined) ?? [];
  if (variants.length > 1) throw new UsageError(`--variant: run takes one variant, not ${variants.length} (${variants.join(', ')}); to set variants side by side use "replsim compare ${file}${variants.map((v) => ` --variant ${v}`).join('')}"`, 'run');
  const variant = variants[0] ?? null;
  const sets = (options.get('set') as readonly string[] | undefined) ?? [];
  const load = (): Scenario => loadScenarioText(input.text, input.name, { variant, sets, seed: seed ?? null });
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
  // Each file is written before the report is printed; one that cannot be written is reported after it.
  const written: string[] = [];
  const failures: string[] = [];
  for (const o of outputs) {
    const content = await renderOutput(o.option, result);
    try {
      writeFileSync(o.path, content);
      written.push(`replsim: ${o.name} written to ${o.path}\n`);
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      failures.push(`replsim: --${o.option} ${JSON.stringify(o.path)}: cannot write the ${o.name}: ${err.code === 'ENOENT' ? 'no such directory' : err.code === 'EACCES' ? 'permission denied' : (err.code ?? err.message)}\n`);
      code = 2;
    }
  }
  const color = useColor(options.get('color') as boolean | undefined, io.stdoutIsTTY, io.env);
  // Above the text report: the variant's description and the plan's lint findings (commands/run-preamble.ts).
  if (options.get('json') !== true) io.out((await import('./commands/run-preamble.ts')).runPreamble(input.text, input.name, variant, sets, reportWidth(io)));
  io.out(options.get('json') === true ? `${JSON.stringify(result.report, null, 2)}\n` : renderText(result.report, { verbose: options.get('verbose') === true, color, width: reportWidth(io) }));
  for (const line of [...written, ...failures]) io.err(line);
  return code;
}

/** Loaded only when asked for: the chart and the page pull in d3. */
async function renderOutput(option: Output['option'], result: RunResult): Promise<string> {
  if (option === 'chart') return (await import('../report/chart.ts')).renderChartSvg(result);
  return (await import('../report/html/page.ts')).renderHtml(result);
}

function firstDifference(a: string, b: string): number {
  let i = 0;
  while (i < a.length && a[i] === b[i]) i++;
  return i;
}

/**
 * The command line: `replsim run` and `replsim validate`. Exit codes: 0 ok, 1 an expectation failed,
 * 2 bad input (scenario or usage), 3 the run hit a resource limit or an internal invariant.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import yargs from 'yargs';
import { SimulationLimitError } from '../engine/simulation.ts';
import { InvariantViolation } from '../engine/invariant.ts';
import type { Micros } from '../engine/time.ts';
import { renderText } from '../report/text.ts';
import { ScenarioError } from '../scenario/errors.ts';
import { listVariants, loadScenarioFile } from '../scenario/load.ts';
import type { Scenario } from '../scenario/types.ts';
import { DEFAULT_LIMITS, runScenario, type RunResult } from '../run.ts';
import { historyDifference } from '../history/diff.ts';
import { ProgressBar } from './progress.ts';
import { UsageError, processCommandIo, type CommandArgs, type CommandSpec } from './commands/command.ts';
import { REHEARSAL_COMMANDS } from './commands/index.ts';
import { runPreamble } from './commands/run-preamble.ts';

const EXAMPLES: [string, string][] = [
  ['$0 run scenarios/mackerel-2017.yaml', 'Replay the Mackerel 2017 failover and explain the lost hour'],
  ['$0 run scenarios/mackerel-2017.yaml --variant latest-timeline', 'The same plan with the fix: db002 follows the newest timeline'],
  ['$0 run scenarios/mackerel-2017.yaml --set faults.db001-lost.at=15:00', 'What if db001 had been lost at 15:00?'],
  ['$0 run scenarios/mackerel-2017.yaml --set clusters.mackerel.workload.rate=400/s --json', 'Twice the write rate; the report as JSON'],
  ['$0 run scenarios/mackerel-2017.yaml --chart mackerel.svg', 'Also draw WAL positions, outages and losses on one time axis'],
  ['$0 run scenarios/mackerel-2017.yaml --html mackerel.html', 'The whole report as one page: verdicts, causes, timelines, charts, logs'],
  ['$0 validate scenarios/mackerel-2017.yaml', 'Check a scenario without running it'],
];

interface RunArgs {
  file: string;
  variant?: string;
  set?: string[];
  seed?: number;
  json?: boolean;
  chart?: string;
  html?: string;
  color?: boolean;
  verbose?: boolean;
  'check-determinism'?: boolean;
  'max-events': number;
  'max-wall-seconds': number;
  progress: boolean;
}


/** A command-line number: what was typed, checked, or a usage error naming the option (exit code 2). */
function numberOption(name: string, check: (n: number) => boolean, expected: string): (v: unknown) => number {
  return (v) => {
    const text = String(Array.isArray(v) ? v.at(-1) : v).trim();
    const n = text === '' ? Number.NaN : Number(text);
    if (!check(n)) throw new UsageError(`--${name}: ${JSON.stringify(text)} is not ${expected}`);
    return n;
  };
}

const SET_DESCRIPTION = 'Override a value: PATH=VALUE, PATH dot-separated, list items by index or name (repeatable)';

export async function main(argv: readonly string[]): Promise<number> {
  let code = 0;
  const out = (s: string) => process.stdout.write(s);
  const err = (s: string) => process.stderr.write(s);
  try {
    const y = yargs([...argv])
      .scriptName('replsim')
      .usage(
        'replsim replays a database replication or migration scenario in simulated time and reports\n' +
          'which acknowledged commits were lost, when writes stalled or failed, and why.\n\n' +
          'Usage: $0 <command> [options]',
      )
      .command(
        'run <file>',
        'Run a scenario and print its report',
        (y) =>
          y
            .positional('file', { type: 'string', demandOption: true, describe: 'Scenario YAML file (see docs/scenario.md)' })
            .option('variant', { type: 'string', describe: 'Apply a named variant from the scenario\'s `variants:`' })
            .option('set', { type: 'string', array: true, describe: SET_DESCRIPTION })
            .option('seed', {
              type: 'string',
              describe: 'Seed for every random stream (default: the scenario\'s)',
              coerce: numberOption('seed', (n) => Number.isSafeInteger(n) && n >= 0, 'an integer >= 0'),
            })
            .option('json', { type: 'boolean', describe: 'Print the report as JSON (docs/report.md)' })
            .option('chart', { type: 'string', describe: 'Also write SVG charts of the run to this file (.svg)' })
            .option('html', { type: 'string', describe: 'Also write the report as one self-contained HTML page to this file (.html)' })
            .option('color', { type: 'boolean', describe: 'Colour the text report (default: on a terminal, unless NO_COLOR is set; --no-color to turn off)' })
            .option('verbose', { type: 'boolean', describe: 'List every event, not only the notable ones' })
            .option('check-determinism', { type: 'boolean', describe: 'Run twice and compare the history fingerprints' })
            .option('max-events', {
              type: 'string',
              default: String(DEFAULT_LIMITS.maxEvents),
              describe: 'Stop a run that needs more simulation events',
              coerce: numberOption('max-events', (n) => Number.isSafeInteger(n) && n >= 0, 'a whole number >= 0'),
            })
            .option('max-wall-seconds', {
              type: 'string',
              default: String(DEFAULT_LIMITS.maxWallSeconds),
              describe: 'Stop a run that takes longer (wall clock)',
              coerce: numberOption('max-wall-seconds', (n) => Number.isFinite(n) && n >= 0, 'a number of seconds >= 0'),
            })
            .option('progress', { type: 'boolean', default: true, describe: 'Progress bar on long runs (only on a terminal; --no-progress to hide)' }),
        async (args) => {
          code = await runCommand(args as unknown as RunArgs, out, err);
        },
      )
      .command(
        'validate <file>',
        'Check a scenario (and each of its variants) without running it',
        (y) =>
          y
            .positional('file', { type: 'string', demandOption: true, describe: 'Scenario YAML file (see docs/scenario.md)' })
            .option('set', { type: 'string', array: true, describe: SET_DESCRIPTION }),
        (args) => {
          code = validateCommand(args.file as string, (args.set as string[] | undefined) ?? [], out);
        },
      );
    for (const { spec, handler } of REHEARSAL_COMMANDS) {
      y.command(commandLine(spec), spec.summary, (b) => declare(b, spec), async (args) => {
        code = await (await handler())(commandArgs(spec, args), processCommandIo());
      });
    }
    await y
      .example(EXAMPLES)
      .epilogue('Exit codes: 0 ok, 1 an expectation failed, 2 bad scenario or usage, 3 a run limit or internal error.\nDocs: docs/scenario.md (scenario language), docs/report.md (report), docs/model-postgres.md (what is modelled).')
      .demandCommand(1, `Name a command: run, validate, ${REHEARSAL_COMMANDS.map((c) => c.spec.name).join(', ')}.`)
      .strict()
      .wrap(Math.min(110, process.stdout.columns || 100))
      .exitProcess(false)
      .fail((msg, e) => {
        // yargs reports a usage problem as msg, or as a YError wrapping what a coerce function threw.
        throw e === undefined || e === null || e.name === 'YError' ? new UsageError(e?.message ?? msg) : e;
      })
      .parseAsync();
  } catch (e) {
    return reportError(e, err);
  }
  return code;
}

function reportError(e: unknown, err: (s: string) => void): number {
  if (e instanceof ScenarioError) {
    err(`${e.format()}\n`);
    return 2;
  }
  if (e instanceof UsageError) {
    err(`replsim: ${e.message}\nTry "replsim --help".\n`);
    return 2;
  }
  if (e instanceof SimulationLimitError) {
    err(`replsim: run stopped: ${e.message}\n`);
    return 3;
  }
  if (e instanceof InvariantViolation) {
    err(`replsim: internal error (a model invariant was violated; please report it with the scenario and seed): ${e.message}\n`);
    return 3;
  }
  const msg = e instanceof Error ? e.message : String(e);
  err(`replsim: ${msg}\n`);
  return 3;
}

function load(args: RunArgs): Scenario {
  if (Array.isArray(args.variant)) throw new UsageError(`--variant: run takes one variant, not ${args.variant.length} (${args.variant.join(', ')}); to set variants side by side use "replsim compare ${args.file}${args.variant.map((v: string) => ` --variant ${v}`).join('')}"`);
  return loadScenarioFile(args.file, { variant: args.variant ?? null, sets: args.set ?? [], seed: args.seed ?? null });
}

/** An output file's name must end in one of `exts` (a chart written as PNG would be SVG bytes). */
function checkOutputName(option: string, file: string | undefined, ext: string): void {
  if (file === undefined) return;
  if (file.trim() === '') throw new UsageError(`--${option}: name a file`);
  if (!file.toLowerCase().endsWith(ext)) throw new UsageError(`--${option}: ${JSON.stringify(file)} does not end in ${ext}; replsim writes ${ext === '.svg' ? 'SVG' : 'HTML'} only (did you mean ${JSON.stringify(file.replace(/\.[A-Za-z0-9]*$/, '') + ext)}?)`);
}

/** Colour: asked for with --color / --no-color; else only on a terminal, and never with NO_COLOR (no-color.org). */
export function useColor(flag: boolean | undefined, isTty: boolean, env: NodeJS.ProcessEnv): boolean {
  if (flag !== undefined) return flag;
  return isTty && !(env.NO_COLOR !== undefined && env.NO_COLOR !== '');
}

async function runCommand(args: RunArgs, out: (s: string) => void, err: (s: string) => void): Promise<number> {
  checkOutputName('chart', args.chart, '.svg');
  checkOutputName('html', args.html, '.html');
  const scenario = load(args);
  const limits = { maxEvents: args['max-events'], maxWallSeconds: args['max-wall-seconds'] };
  const bar = args.progress && process.stderr.isTTY ? new ProgressBar(process.stderr, scenario.name) : null;
  let result: RunResult;
  try {
    result = runScenario(scenario, { limits, onProgress: bar ? (now: Micros, end: Micros) => bar.update(now / end) : undefined });
  } finally {
    bar?.done();
  }
  if (args['check-determinism']) {
    const again = runScenario(load(args), { limits });
    const a = JSON.stringify(result.report);
    const b = JSON.stringify(again.report);
    const diff = historyDifference(result.history, again.history);
    if (a !== b || diff !== null) {
      const where = diff ?? `the histories agree (fingerprint ${result.report.fingerprint}) but the JSON reports differ from character ${firstDifference(a, b)}`;
      err(`replsim: NOT deterministic: two runs of the same scenario and seed differ: ${where}\n`);
      return 3;
    }
    err(`replsim: deterministic: two runs gave identical reports (fingerprint ${result.report.fingerprint})\n`);
  }
  if (args.chart) {
    // Loaded only when asked for: the chart module pulls in d3-array.
    const { renderChartSvg } = await import('../report/chart.ts');
    writeFileSync(args.chart, renderChartSvg(result));
    err(`replsim: chart written to ${args.chart}\n`);
  }
  if (args.html) {
    const { renderHtml } = await import('../report/html/page.ts');
    writeFileSync(args.html, renderHtml(result));
    err(`replsim: HTML report written to ${args.html}\n`);
  }
  const tty = process.stdout.isTTY === true;
  const width = tty && process.stdout.columns ? Math.min(Math.max(process.stdout.columns, 60), 160) : 100;
  if (!args.json) out(runPreamble(readFileSync(args.file, 'utf8'), args.file, args.variant ?? null, args.set ?? [], width));
  out(args.json ? `${JSON.stringify(result.report, null, 2)}\n` : renderText(result.report, { verbose: args.verbose ?? false, color: useColor(args.color, tty, process.env), width }));
  return result.report.expectations.every((e) => e.passed) ? 0 : 1;
}

function firstDifference(a: string, b: string): number {
  let i = 0;
  while (i < a.length && a[i] === b[i]) i++;
  return i;
}

function validateCommand(file: string, sets: string[], out: (s: string) => void): number {
  const base = loadScenarioFile(file, { sets });
  const variants = listVariants(readFileSync(file, 'utf8'), file);
  for (const v of variants) loadScenarioFile(file, { variant: v.name, sets });
  const nodes = base.clusters.reduce((a, c) => a + c.nodes.length, 0);
  out(
    `${file}: valid. Scenario "${base.name}": ${base.clusters.length} cluster(s), ${nodes} node(s), ${base.actions.length} timed action(s), ${base.expectations.length} expectation(s)` +
      (variants.length ? `; variants: ${variants.map((v) => v.name).join(', ')} (all valid)` : '') +
      '.\n',
  );
  return 0;
}

/** `compare <files..>`: the command and its positionals as yargs spells them. */
function commandLine(spec: CommandSpec): string {
  const p = spec.positional;
  if (!p) return spec.name;
  return `${spec.name} ${p.optional ? '[' : '<'}${p.name}${p.many ? '..' : ''}${p.optional ? ']' : '>'}`;
}

/** Declares a command's positional and options to yargs. */
function declare<T>(y: import('yargs').Argv<T>, spec: CommandSpec): import('yargs').Argv<T> {
  let b = y;
  if (spec.positional) b = b.positional(spec.positional.name, { type: 'string', array: spec.positional.many ?? false, describe: spec.positional.describe }) as typeof b;
  for (const o of spec.options) {
    if (o.kind === 'boolean') b = b.option(o.name, { type: 'boolean', describe: o.describe, ...(o.default !== undefined ? { default: o.default } : {}) }) as typeof b;
    else if (o.kind === 'string') b = b.option(o.name, { type: 'string', describe: o.describe, requiresArg: true, ...(o.default !== undefined ? { default: o.default } : {}) }) as typeof b;
    else b = b.option(o.name, { type: 'string', array: true, requiresArg: true, describe: o.describe }) as typeof b;
  }
  return b;
}

/** yargs' parsed arguments as a command sees them. */
function commandArgs(spec: CommandSpec, args: Record<string, unknown>): CommandArgs {
  const p = spec.positional ? args[spec.positional.name] : undefined;
  const positionals = p === undefined ? [] : (Array.isArray(p) ? p : [p]).map(String);
  const options = new Map<string, boolean | string | readonly string[] | undefined>();
  for (const o of spec.options) {
    const v = args[o.name];
    if (v === undefined) continue;
    if (o.kind === 'boolean') options.set(o.name, Boolean(v));
    else if (o.kind === 'string') options.set(o.name, String(Array.isArray(v) ? v.at(-1) : v));
    else options.set(o.name, (Array.isArray(v) ? v : [v]).map(String));
  }
  return { positionals, options };
}

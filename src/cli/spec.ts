/**
 * The commands and options of `replsim`, as data: args.ts parses against them and help.ts prints them. To
 * add an option, add it here and read it in the command's module.
 */
import type { CommandSpec } from './args.ts';
import { REHEARSAL_SPECS, SET_OPTION as SET } from './commands/specs.ts';

export const DEFAULT_MAX_EVENTS = 50_000_000;
export const DEFAULT_MAX_WALL_SECONDS = 600;

const FILE = { name: 'file', describe: 'Scenario YAML file (see docs/scenario.md); - reads it from standard input' };

export const RUN: CommandSpec = {
  name: 'run',
  summary: 'Run a scenario and print its report',
  positional: FILE,
  options: [
    // A list so that a second --variant is an error pointing at compare rather than silently the last one.
    { name: 'variant', kind: 'list', value: 'NAME', describe: "Apply a named variant from the scenario's `variants:` (one; replsim compare sets several side by side)" },
    SET,
    { name: 'seed', kind: 'string', value: 'N', describe: "Seed for every random stream (default: the scenario's)" },
    { name: 'json', kind: 'boolean', describe: 'Print the report as JSON (docs/report.md)' },
    { name: 'chart', kind: 'string', value: 'FILE.svg', describe: 'Also write SVG charts of the run to this file (.svg)' },
    { name: 'html', kind: 'string', value: 'FILE.html', describe: 'Also write the report as one self-contained HTML page to this file (.html)' },
    { name: 'color', kind: 'boolean', negatable: true, describe: 'Colour the text report (default: on a terminal, unless NO_COLOR is set; --no-color to turn off)' },
    { name: 'verbose', kind: 'boolean', describe: 'List every event, not only the notable ones' },
    { name: 'check-determinism', kind: 'boolean', describe: 'Run twice and compare the history fingerprints' },
    { name: 'max-events', kind: 'string', value: 'N', default: String(DEFAULT_MAX_EVENTS), describe: 'Stop a run that needs more simulation events (exit code 3)' },
    { name: 'max-wall-seconds', kind: 'string', value: 'S', default: String(DEFAULT_MAX_WALL_SECONDS), describe: 'Stop a run that takes longer, wall clock (exit code 3)' },
    { name: 'progress', kind: 'boolean', negatable: true, default: true, describe: 'Progress bar on long runs (only on a terminal; --no-progress to hide)' },
  ],
};

export const VALIDATE: CommandSpec = {
  name: 'validate',
  summary: 'Check a scenario (and each of its variants) without running it',
  positional: FILE,
  options: [SET, { name: 'json', kind: 'boolean', describe: 'Print the result (or every error) as JSON on stdout' }],
  exitCodes: 'Exit codes: 0 the scenario and every variant are valid, 2 an error (every error of the file, one line each with file:line:column) or a usage error.',
};

export const LIST_EXAMPLES: CommandSpec = {
  name: 'examples',
  summary: 'List the scenarios shipped with replsim, with their paths',
  options: [{ name: 'dir', kind: 'boolean', describe: 'Print only the directory that holds them' }],
  exitCodes: 'Exit codes: 0 ok, 2 a usage error.',
};

export const COMMANDS: readonly CommandSpec[] = [RUN, VALIDATE, LIST_EXAMPLES, ...REHEARSAL_SPECS];

export const EXAMPLES: readonly (readonly [string, string])[] = [
  ['replsim run scenarios/mackerel-2017.yaml', 'Replay the Mackerel 2017 failover and explain the lost hour'],
  ['replsim run scenarios/mackerel-2017.yaml --variant latest-timeline', 'The same plan with the fix: db002 follows the newest timeline'],
  ['replsim run scenarios/mackerel-2017.yaml --set faults.db001-lost.at=15:00', 'What if db001 had been lost at 15:00?'],
  ['replsim run scenarios/mackerel-2017.yaml --set clusters.mackerel.workload.rate=400/s --json', 'Twice the write rate; the report as JSON'],
  ['replsim run scenarios/mackerel-2017.yaml --chart mackerel.svg', 'Also draw WAL positions, outages and losses on one time axis'],
  ['replsim run scenarios/mackerel-2017.yaml --html mackerel.html', 'The whole report as one page: verdicts, causes, timelines, charts, logs'],
  ['replsim validate scenarios/mackerel-2017.yaml', 'Check a scenario without running it'],
  ['replsim examples', 'Where the shipped scenarios are (installed with the package)'],
  ['replsim compare scenarios/mackerel-2017.yaml', 'The baseline and every variant side by side (--html: their charts on one time axis)'],
  ['replsim lint --config /var/lib/postgresql/15/main', "The model's rules on real configuration files"],
  ["replsim sweep scenarios/mackerel-2017.yaml --vary 'faults.db001-lost.at=uniform(14:35,16:00)'", 'How likely each outcome is when the time db001 is lost is uncertain'],
  ['replsim hunt scenarios/switchover-runbook.yaml', 'Search the fault schedules the hunt: section allows for one that breaks the plan'],
];

/** More examples, shown only in the help of their command. */
export const COMMAND_EXAMPLES: readonly (readonly [string, string])[] = [
  ['replsim run my-plan.yaml --seed 7 --verbose', 'Another seed for every random stream; list every event, not only the notable ones'],
  ['cat my-plan.yaml | replsim run - --json', 'Read the scenario from standard input'],
  ['replsim validate my-plan.yaml --json', 'The result, or every error with file, line and column, as JSON'],
  ['replsim validate my-plan.yaml --set clusters.shop.workload.rate=500/s', 'Check that an override is valid before running it'],
  ['replsim run "$(replsim examples --dir)/split-brain.yaml"', 'Run a shipped scenario from anywhere (the package installed globally)'],
];

export const EXIT_CODES =
  'Exit codes: 0 ok, 1 an expectation failed, 2 bad scenario, usage or unwritable output, 3 a run limit or internal error.';

/**
 * The rehearsal commands' grammar as data (args.ts parses against it, help.ts prints it): kept apart from
 * their modules, which load the simulator, so that `replsim --help` and `--version` stay light.
 */
import type { CommandSpec, OptionSpec } from '../args.ts';

export const SET_OPTION: OptionSpec = {
  name: 'set',
  kind: 'list',
  value: 'PATH=VALUE',
  describe: 'Override a value: PATH dot-separated, list items by index or name (repeatable)',
};

export const VARIANTS: CommandSpec = {
  name: 'variants',
  summary: 'List the variants of a scenario with what each changes',
  positional: { name: 'file', describe: 'Scenario YAML file' },
  options: [{ name: 'json', kind: 'boolean', describe: 'Print {"file", "variants": [{name, description}]} as JSON' }],
};

export const COMPARE: CommandSpec = {
  name: 'compare',
  summary: 'Run the baseline and the variants of one or several scenarios and set them side by side',
  positional: { name: 'files', describe: 'Scenario YAML files', many: true },
  options: [
    { name: 'variant', kind: 'list', value: 'NAME', describe: 'Compare only these variants (repeatable; default: all), beside the baseline' },
    SET_OPTION,
    { name: 'seed', kind: 'string', value: 'N', describe: "Seed for every run (default: each scenario's)" },
    { name: 'json', kind: 'boolean', describe: 'Print {"rows": [...]}, one row per run' },
    { name: 'html', kind: 'string', value: 'FILE.html', describe: 'Also write the runs as one page, their charts on the same time axis' },
  ],
};

export const LINT: CommandSpec = {
  name: 'lint',
  summary: "Check a plan (or real configuration files) against the model's rules before anything runs",
  positional: { name: 'file', describe: 'Scenario YAML file (with --config: more configuration paths, as a shell glob gives them)', optional: true, many: true },
  options: [
    { name: 'variant', kind: 'string', value: 'NAME', describe: 'Lint the plan with this variant applied' },
    SET_OPTION,
    { name: 'config', kind: 'list', value: 'PATH', describe: 'Lint configuration files: data directories, postgresql.conf, recovery.conf, DRBD .res, Patroni YAML (repeatable)' },
    { name: 'pg-version', kind: 'string', value: 'N', describe: 'PostgreSQL major version of configuration files without PG_VERSION beside them' },
    { name: 'wal-rate', kind: 'string', value: 'RATE', describe: 'WAL written per second (e.g. 5MB/s), for the rules that need it in configuration files' },
    { name: 'downtime', kind: 'string', value: 'DURATION', describe: 'Standby disconnect to survive in configuration files (default 10min)' },
    { name: 'write-rate', kind: 'string', value: 'RATE', describe: 'Peak application writes on DRBD devices (e.g. 20MB/s), for configuration files' },
    { name: 'line', kind: 'string', value: 'BANDWIDTH', describe: 'The replication line of DRBD devices (e.g. 1Gbps), for configuration files' },
    { name: 'latency', kind: 'string', value: 'DURATION', describe: 'One-way latency of that line (default 1ms)' },
    { name: 'min-buffer-seconds', kind: 'string', value: 'S', describe: 'Seconds of peak writes a DRBD protocol A send buffer should hold (default 1)' },
    { name: 'json', kind: 'boolean', describe: 'Print {"findings": [...], "errors", "warnings"} as JSON' },
  ],
};

export const SWEEP: CommandSpec = {
  name: 'sweep',
  summary: 'Run a scenario many times over seeds and drawn parameters: how likely each outcome is, and what drives it',
  positional: { name: 'file', describe: 'Scenario YAML file' },
  options: [
    { name: 'runs', kind: 'string', value: 'N', default: '1000', describe: 'How many runs' },
    { name: 'vary', kind: 'list', value: 'PATH=DIST', describe: 'Draw a value per run: uniform(a,b), normal(mean,sd) or choice(a,b,...), times and units included (repeatable)' },
    { name: 'variant', kind: 'string', value: 'NAME', describe: 'Sweep this variant' },
    SET_OPTION,
    { name: 'seed', kind: 'string', value: 'N', describe: 'Seed of the sweep (default 1): the same seed gives the same summary on any number of workers' },
    { name: 'workers', kind: 'string', value: 'N', describe: 'Worker threads (default: one per core)' },
    { name: 'bad', kind: 'string', value: 'KIND,...', describe: 'Outcomes that make a run bad (default: data-loss, split-brain, no-primary, standby-broken, xid-stop)' },
    { name: 'shard', kind: 'string', value: 'K/N', describe: 'Run only slice K of N (with --out); replsim merge combines the slices' },
    { name: 'out', kind: 'string', value: 'FILE.json', describe: "Write the shard's rows to this file (for replsim merge)" },
    { name: 'jsonl', kind: 'string', value: 'FILE', describe: 'Also write one JSON line per run to this file' },
    { name: 'json', kind: 'boolean', describe: 'Print the summary as JSON' },
    { name: 'progress', kind: 'boolean', default: true, describe: 'Progress bar (only on a terminal; --no-progress to hide)' },
  ],
};

export const MERGE: CommandSpec = {
  name: 'merge',
  summary: "Combine the shards of a sweep (sweep --shard K/N --out FILE) into the sweep's summary",
  positional: { name: 'files', describe: 'Shard files', many: true },
  options: [
    { name: 'json', kind: 'boolean', describe: 'Print the summary as JSON' },
    { name: 'jsonl', kind: 'string', value: 'FILE', describe: 'Also write one JSON line per run to this file' },
  ],
};

export const HUNT: CommandSpec = {
  name: 'hunt',
  summary: "Search the fault schedules the scenario's hunt: section allows for one that breaks its expect:",
  positional: { name: 'file', describe: 'Scenario YAML file with a hunt: section (docs/hunt.md)' },
  options: [
    { name: 'runs', kind: 'string', value: 'N', describe: "Schedules to try (default: the hunt section's runs, or 100)" },
    { name: 'seed', kind: 'string', value: 'N', describe: 'Seed of the search (default 1): the same seed finds the same schedule' },
    { name: 'variant', kind: 'string', value: 'NAME', describe: 'Hunt with this variant applied' },
    SET_OPTION,
    { name: 'json', kind: 'boolean', describe: 'Print {found, runs, shrinks, seed, schedule, variant, failed} as JSON' },
  ],
};

export const REHEARSAL_SPECS: readonly CommandSpec[] = [VARIANTS, COMPARE, LINT, SWEEP, MERGE, HUNT];

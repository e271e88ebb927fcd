/** `replsim lint FILE` and `replsim lint --config PATH...`: static checks before anything runs. */
import type { Micros } from '../../engine/time.ts';
import { DEFAULT_LINT_OPTIONS, type Finding, type LintOptions } from '../../rehearsal/lint/types.ts';
import { findingsJson, renderFindings, summaryLine } from '../../rehearsal/lint/render.ts';
import { parseBandwidth, parseDuration } from '../../scenario/units.ts';
import { UsageError, flag, text, texts, type CommandArgs, type CommandIo, type CommandSpec } from './command.ts';
import { readScenario } from './read.ts';
import { SET_OPTION } from './shared.ts';

export const LINT: CommandSpec = {
  name: 'lint',
  summary: "Check a plan (or real configuration files) against the model's rules before anything runs",
  positional: { name: 'file', describe: 'Scenario YAML file (or none with --config)', optional: true },
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

function lintOptions(args: CommandArgs): LintOptions {
  let opts = DEFAULT_LINT_OPTIONS;
  const m = text(args, 'min-buffer-seconds');
  if (m !== undefined) {
    const n = Number(m);
    if (!Number.isFinite(n) || n < 0 || m.trim() === '') throw new UsageError(`--min-buffer-seconds: ${JSON.stringify(m)} is not a number of seconds >= 0`);
    opts = { ...opts, minBufferSeconds: n };
  }
  const d = text(args, 'downtime');
  if (d !== undefined) {
    const p = parseDuration(d);
    if (!p.ok) throw new UsageError(`--downtime: ${p.reason}${p.hint ? `; ${p.hint}` : ''}`);
    opts = { ...opts, assumedDowntime: p.value as Micros };
  }
  return opts;
}

export async function lintCommand(args: CommandArgs, io: CommandIo): Promise<number> {
  const options = lintOptions(args);
  const config = texts(args, 'config');
  const file = args.positionals[0];
  let findings: Finding[];
  if (config.length > 0) {
    if (file !== undefined) config.unshift(file);
    const bandwidth = (name: string): number | null => {
      const v = text(args, name);
      if (v === undefined) return null;
      const p = parseBandwidth(v);
      if (!p.ok) throw new UsageError(`--${name}: ${p.reason}${p.hint ? `; ${p.hint}` : ''}`);
      return p.value;
    };
    const lineRate = bandwidth('line');
    const latencyText = text(args, 'latency') ?? '1ms';
    const latency = parseDuration(latencyText);
    if (!latency.ok) throw new UsageError(`--latency: ${latency.reason}`);
    const { lintConfigPaths, ConfigError } = await import('../../rehearsal/lint/config/index.ts');
    try {
      findings = lintConfigPaths(config, { pgVersion: text(args, 'pg-version') ?? null, walRate: bandwidth('wal-rate'), writeRate: bandwidth('write-rate'), line: lineRate === null ? null : { bandwidth: lineRate, latency: latency.value as Micros }, options });
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
      io.err(`${e.format()}\n`);
      return 2;
    }
  } else {
    if (file === undefined) throw new UsageError('lint: name a scenario file, or configuration files with --config');
    const { lintScenarioText } = await import('../../rehearsal/lint/index.ts');
    findings = lintScenarioText(readScenario(file), file, { variant: text(args, 'variant') ?? null, sets: texts(args, 'set') }, options);
  }
  if (flag(args, 'json')) io.out(findingsJson(findings));
  else io.out(`${renderFindings(findings, io.stdoutIsTTY ? Math.min(Math.max(io.columns, 60), 160) : 100)}${summaryLine(findings)}\n`);
  return findings.some((f) => f.severity === 'error') ? 1 : 0;
}

/** `replsim lint FILE` and `replsim lint --config PATH...`: static checks before anything runs. */
import type { Micros } from '../../engine/time.ts';
import { DEFAULT_LINT_OPTIONS, type Finding, type LintOptions } from '../../rehearsal/lint/types.ts';
import { findingsJson, renderFindings, summaryLine } from '../../rehearsal/lint/render.ts';
import { parseBandwidth, parseDuration } from '../../scenario/units.ts';
import { UsageError, flag, text, texts, type CommandArgs, type CommandIo } from './command.ts';
import { readScenario } from './read.ts';

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
    // `--config /etc/postgresql/*/main`: the shell's words after the first are paths too.
    config.push(...args.positionals);
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
    if (args.positionals.length > 1) throw new UsageError(`lint takes one scenario file, not ${args.positionals.length} (configuration files go after --config: replsim lint --config PATH...)`, 'lint');
    const { lintScenarioText } = await import('../../rehearsal/lint/index.ts');
    findings = lintScenarioText(readScenario(file), file, { variant: text(args, 'variant') ?? null, sets: texts(args, 'set') }, options);
  }
  if (flag(args, 'json')) io.out(findingsJson(findings));
  else io.out(`${renderFindings(findings, io.stdoutIsTTY ? Math.min(Math.max(io.columns, 60), 160) : 100)}${summaryLine(findings)}\n`);
  return findings.some((f) => f.severity === 'error') ? 1 : 0;
}

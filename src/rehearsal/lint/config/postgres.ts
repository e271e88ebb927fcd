/**
 * A PostgreSQL server's configuration as the server reads it at start-up, from its data directory (or a lone
 * postgresql.conf or recovery.conf): postgresql.conf with its includes, then postgresql.auto.conf (9.4+),
 * and how it starts:
 * - up to 11, recovery.conf holds the recovery settings, and `standby_mode = on` makes a standby;
 * - from 12 they are ordinary settings, standby.signal makes a standby (recovery.signal a targeted
 *   recovery), and a recovery.conf makes the server refuse to start.
 * The version comes from PG_VERSION in the data directory, or the --pg-version option.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import type { PgMajor, PgSettingsSpec } from '../../../scenario/types.ts';
import { SUPPORTED_PG_MAJORS } from '../../../scenario/types.ts';
import { DEFAULT_WAL_SEGMENT_SIZE } from '../../../scenario/settings.ts';
import type { Finding, Where } from '../types.ts';
import { GUCS, parseConninfo, walKeepSegments } from './gucs.ts';
import { ConfigError, lastWins, readConf, type ConfSetting } from './pgconf.ts';

export interface ServerConfig {
  readonly name: string;
  /** The data directory, or the directory of the file given. */
  readonly dir: string;
  readonly version: PgMajor;
  readonly standby: boolean;
  readonly settings: ReadonlyMap<string, ConfSetting>;
  /** Where the server's configuration starts (postgresql.conf, or the file given). */
  readonly where: Where;
  /** The file that makes it a standby (recovery.conf, standby.signal), if any. */
  readonly recoveryWhere: Where | null;
  /** Findings about how the files themselves are read (a recovery.conf that 12+ refuses...). */
  readonly findings: readonly Finding[];
}

export function parseVersion(text: string, where: Where): PgMajor {
  const t = text.trim();
  const v = /^9\.\d$/.test(t) ? Number(t) : /^\d+$/.test(t) ? Number(t) : Number.NaN;
  if (!SUPPORTED_PG_MAJORS.includes(v)) throw new ConfigError(where, `PostgreSQL version ${JSON.stringify(t)} is not one replsim models (9.2 to 18)`);
  return v;
}

const at = (file: string, line = 1, column = 1): Where => ({ file, line, column });

/** Reads a data directory, or a directory holding postgresql.conf / recovery.conf. */
export function readServerDir(dir: string, versionOption: string | null): ServerConfig {
  const file = (n: string) => join(dir, n);
  const has = (n: string) => existsSync(file(n)) && statSync(file(n)).isFile();
  let version: PgMajor;
  if (has('PG_VERSION')) version = parseVersion(readFileSync(file('PG_VERSION'), 'utf8'), at(file('PG_VERSION')));
  else if (versionOption !== null) version = parseVersion(versionOption, at(dir));
  else throw new ConfigError(at(dir), `cannot tell the PostgreSQL version: no PG_VERSION in ${dir}; give --pg-version`);
  const settings: ConfSetting[] = [];
  if (has('postgresql.conf')) settings.push(...readConf(file('postgresql.conf')));
  if (version >= 9.4 && has('postgresql.auto.conf')) settings.push(...readConf(file('postgresql.auto.conf'), { includes: false }));
  const findings: Finding[] = [];
  let recoveryWhere: Where | null = null;
  let standby = false;
  if (version <= 11) {
    if (has('recovery.conf')) {
      const rec = readConf(file('recovery.conf'), { includes: false });
      settings.push(...rec);
      recoveryWhere = at(file('recovery.conf'));
      standby = lastWins(rec).get('standby_mode')?.value.toLowerCase() === 'on';
    }
    for (const sig of ['standby.signal', 'recovery.signal']) {
      if (has(sig)) findings.push(ignoredFile(file(sig), version, `${sig} is read only from 12; ${version} starts ${standby ? 'as the standby recovery.conf makes it' : 'as a primary (there is no recovery.conf with standby_mode = on)'}`));
    }
  } else {
    if (has('standby.signal')) {
      standby = true;
      recoveryWhere = at(file('standby.signal'));
    }
    if (has('recovery.conf')) findings.push(ignoredFile(file('recovery.conf'), version, `from 12 a recovery.conf stops the server at start-up (FATAL: using recovery command file "recovery.conf" is not supported); its settings go in postgresql.conf, and standby.signal makes a standby`, 'error'));
  }
  const where = has('postgresql.conf') ? at(file('postgresql.conf')) : (recoveryWhere ?? at(dir));
  const merged = lastWins(settings);
  const name = merged.get('cluster_name')?.value || basename(resolve(dir));
  return { name, dir, version, standby, settings: merged, where, recoveryWhere, findings };
}

function ignoredFile(file: string, version: PgMajor, why: string, severity: 'error' | 'warning' = 'warning'): Finding {
  return { id: 'recovery-file-ignored', severity, where: at(file), message: `${basename(file)} is not what PostgreSQL ${version} reads`, explanation: why, source: 'PostgreSQL 12 release notes (recovery.conf settings became GUCs; standby.signal, recovery.signal); xlog.c' };
}

/** A lone file: postgresql.conf-syntax settings (postgresql.conf, postgresql.auto.conf, recovery.conf). */
export function readServerFile(path: string, versionOption: string | null): ServerConfig {
  const dir = dirname(path);
  if (existsSync(join(dir, 'PG_VERSION'))) return readServerDir(dir, versionOption);
  if (versionOption === null) throw new ConfigError(at(path), `cannot tell the PostgreSQL version of ${path}: no PG_VERSION beside it; give --pg-version`);
  const version = parseVersion(versionOption, at(path));
  const isRecovery = basename(path) === 'recovery.conf';
  const settings = lastWins(readConf(path, { includes: !isRecovery }));
  const standby = isRecovery ? settings.get('standby_mode')?.value.toLowerCase() === 'on' || version >= 12 : false;
  return { name: settings.get('cluster_name')?.value || basename(resolve(dir)), dir, version, standby, settings, where: at(path), recoveryWhere: isRecovery ? at(path) : null, findings: [] };
}

/** The simulator's settings from what the files say (unknown values are left to the version's default). */
export function settingsSpec(s: ServerConfig): { spec: PgSettingsSpec; bad: Finding[] } {
  let spec: PgSettingsSpec = {};
  const bad: Finding[] = [];
  for (const [name, conv] of Object.entries(GUCS)) {
    const set = s.settings.get(name);
    if (!set) continue;
    const v = conv(set.value, s.version);
    if (v === null) bad.push({ id: 'invalid-value', severity: 'error', where: set.where, message: `invalid value for parameter "${name}": ${JSON.stringify(set.value)}`, explanation: `PostgreSQL ${s.version} refuses to start (or ignores the change on reload) with this value.`, source: 'guc.c parse_and_validate_value' });
    else spec = { ...spec, ...v };
  }
  const segs = s.settings.get('wal_keep_segments');
  if (segs && s.version <= 12) {
    const v = walKeepSegments(segs.value, DEFAULT_WAL_SEGMENT_SIZE);
    if (v) spec = { ...spec, ...v };
  }
  return { spec, bad };
}

export function conninfoOf(s: ServerConfig): Map<string, string> | null {
  const c = s.settings.get('primary_conninfo');
  return c && c.value.trim() !== '' ? parseConninfo(c.value) : null;
}

export function portOf(s: ServerConfig): number {
  const p = s.settings.get('port');
  return p && /^\d+$/.test(p.value.trim()) ? Number(p.value) : 5432;
}

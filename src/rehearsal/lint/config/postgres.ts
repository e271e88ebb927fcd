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
import { basename, dirname, isAbsolute, join, relative, resolve } from 'node:path';
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

/**
 * Where a server's files are. The data directory holds PG_VERSION, postgresql.auto.conf and the files that
 * make a standby; the main configuration file is its postgresql.conf unless the server is started with
 * another (`postgres -c config_file=...`), as Debian's pg_createcluster does: /etc/postgresql/VERSION/CLUSTER/
 * postgresql.conf, whose data_directory names /var/lib/postgresql/VERSION/CLUSTER. Files collected from a
 * server into a folder (a support bundle) keep their absolute paths under it: a path that does not exist as
 * written is looked up under that folder too.
 */
interface Layout {
  /** The data directory, when it was found (null: the directory given stands for it). */
  readonly dataDir: string | null;
  readonly configFile: string | null;
  /** The version its path says (Debian's /etc/postgresql/VERSION/ and /var/lib/postgresql/VERSION/). */
  readonly pathVersion: string | null;
  readonly findings: Finding[];
}

const DEBIAN_ETC = /^(.*?)\/?etc\/postgresql\/(\d+(?:\.\d)?)\/([^/]+)$/;
const DEBIAN_DATA = /^(.*?)\/?var\/lib\/postgresql\/(\d+(?:\.\d)?)\/([^/]+)$/;

const isFile = (p: string) => existsSync(p) && statSync(p).isFile();
const isDir = (p: string) => existsSync(p) && statSync(p).isDirectory();

/**
 * An absolute path the files name: under the folder they were collected into when there is one (the copy
 * beside them, not whatever this machine has at that path), else as written.
 */
function underRoot(path: string, root: string | null): string | null {
  if (root !== null && root !== '/' && isAbsolute(path)) {
    const moved = join(root, path);
    if (existsSync(moved)) return moved;
  }
  return existsSync(path) ? path : null;
}

/** `config_file=...` of the command line postmaster.opts records (CreateOptsFile: each argument in double quotes). */
function configFileOption(dataDir: string): string | null {
  const opts = join(dataDir, 'postmaster.opts');
  if (!isFile(opts)) return null;
  const args = [...readFileSync(opts, 'utf8').matchAll(/"((?:[^"\\]|\\.)*)"|(\S+)/g)].map((m) => m[1] ?? m[2]!);
  for (let i = 0; i < args.length; i++) {
    const m = /^config[_-]file=(.*)$/.exec(args[i] === '-c' ? (args[i + 1] ?? '') : '') ?? /^--config[_-]file=(.*)$/.exec(args[i]!);
    if (m) return m[1]!;
  }
  return null;
}

function locate(dir: string): Layout {
  const abs = resolve(dir);
  // Paths are shown as the user wrote them: relative to the working directory when the one given was.
  const shown = (p: string) => (isAbsolute(dir) ? p : relative(process.cwd(), p) || '.');
  const findings: Finding[] = [];
  if (isFile(join(abs, 'PG_VERSION'))) {
    if (isFile(join(abs, 'postgresql.conf'))) return { dataDir: dir, configFile: join(dir, 'postgresql.conf'), pathVersion: null, findings };
    const debian = DEBIAN_DATA.exec(abs);
    const root = debian ? debian[1]! || '/' : null;
    const fromOpts = configFileOption(abs);
    const configFile = (fromOpts !== null ? underRoot(fromOpts, root) : null) ?? (debian ? underRoot(join(root!, 'etc/postgresql', debian[2]!, debian[3]!, 'postgresql.conf'), null) : null);
    if (configFile === null) {
      findings.push({
        id: 'config-file-not-found',
        severity: 'warning',
        where: at(dir),
        message: `${basename(abs)}: no postgresql.conf in the data directory${fromOpts !== null ? `, nor the config_file its postmaster.opts names (${fromOpts})` : ''}: read with the defaults and postgresql.auto.conf only`,
        explanation: 'The server was started with its configuration file elsewhere (postgres -c config_file=...; Debian keeps it in /etc/postgresql/VERSION/CLUSTER). Give that file or directory too, or instead, so that its settings are checked.',
        source: 'PostgreSQL documentation, File Locations (config_file, data_directory)',
      });
    }
    return { dataDir: dir, configFile: configFile === null ? null : shown(configFile), pathVersion: null, findings };
  }
  const conf = join(dir, 'postgresql.conf');
  if (!isFile(conf)) return { dataDir: null, configFile: null, pathVersion: null, findings };
  const debian = DEBIAN_ETC.exec(abs);
  const root = debian ? debian[1]! || '/' : null;
  const dataDirectory = lastWins(readConf(conf)).get('data_directory')?.value ?? '';
  const found = dataDirectory.trim() === '' ? null : underRoot(isAbsolute(dataDirectory) ? dataDirectory : join(abs, dataDirectory), root);
  const dataDir = found !== null && isDir(found) && isFile(join(found, 'PG_VERSION')) ? shown(resolve(found)) : null;
  const pathVersion = debian?.[2] ?? DEBIAN_DATA.exec(dataDirectory.replace(/\/+$/, ''))?.[2] ?? null;
  if (dataDir === null && dataDirectory.trim() !== '') {
    const set = lastWins(readConf(conf)).get('data_directory')!;
    findings.push({
      id: 'data-directory-not-found',
      severity: 'warning',
      where: set.where,
      message: `data_directory ${JSON.stringify(dataDirectory)} is not here: read as the configuration of a primary, from ${basename(abs)} alone`,
      explanation: "What makes the server a standby (standby.signal, or recovery.conf up to 11) and postgresql.auto.conf (where ALTER SYSTEM and pg_basebackup -R write, primary_conninfo included) are in the data directory. Give it too (its path, or the folder the server's files were collected into with their paths), so that a standby's rules apply.",
      source: 'PostgreSQL documentation, File Locations (data_directory); pg_basebackup -R',
    });
  }
  return { dataDir, configFile: conf, pathVersion, findings };
}

/**
 * Reads a data directory, a configuration directory (Debian's /etc/postgresql/VERSION/CLUSTER, whose
 * data_directory is read too), or a directory holding postgresql.conf / recovery.conf.
 */
export function readServerDir(dir: string, versionOption: string | null): ServerConfig {
  const layout = locate(dir);
  // The files that make a standby and postgresql.auto.conf are the data directory's; without one found, the
  // directory given holds them.
  const dataDir = layout.dataDir ?? dir;
  const file = (n: string) => join(dataDir, n);
  const has = (n: string) => isFile(file(n));
  let version: PgMajor;
  if (has('PG_VERSION')) version = parseVersion(readFileSync(file('PG_VERSION'), 'utf8'), at(file('PG_VERSION')));
  else if (versionOption !== null) version = parseVersion(versionOption, at(dir));
  else if (layout.pathVersion !== null) version = parseVersion(layout.pathVersion, at(layout.configFile ?? dir));
  else throw new ConfigError(at(dir), `cannot tell the PostgreSQL version: no PG_VERSION in ${dir}; give --pg-version`);
  const settings: ConfSetting[] = [];
  if (layout.configFile !== null) settings.push(...readConf(layout.configFile));
  else if (has('postgresql.conf')) settings.push(...readConf(file('postgresql.conf')));
  if (version >= 9.4 && has('postgresql.auto.conf')) settings.push(...readConf(file('postgresql.auto.conf'), { includes: false }));
  const findings: Finding[] = [...layout.findings];
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
  const configFile = layout.configFile ?? (has('postgresql.conf') ? file('postgresql.conf') : null);
  const where = configFile !== null ? at(configFile) : (recoveryWhere ?? at(dir));
  const merged = lastWins(settings);
  const name = merged.get('cluster_name')?.value || basename(resolve(dataDir));
  return { name, dir: dataDir, version, standby, settings: merged, where, recoveryWhere, findings };
}

function ignoredFile(file: string, version: PgMajor, why: string, severity: 'error' | 'warning' = 'warning'): Finding {
  return { id: 'recovery-file-ignored', severity, where: at(file), message: `${basename(file)} is not what PostgreSQL ${version} reads`, explanation: why, source: 'PostgreSQL 12 release notes (recovery.conf settings became GUCs; standby.signal, recovery.signal); xlog.c' };
}

/** A lone file: postgresql.conf-syntax settings (postgresql.conf, postgresql.auto.conf, recovery.conf). */
export function readServerFile(path: string, versionOption: string | null): ServerConfig {
  const dir = dirname(path);
  // A postgresql.conf is read as its directory is (its data_directory, Debian's layout, the files beside it).
  if (existsSync(join(dir, 'PG_VERSION')) || basename(path) === 'postgresql.conf') return readServerDir(dir, versionOption);
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

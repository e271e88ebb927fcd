/**
 * Settings as the server names and prints them: the GUC of a scenario setting key for a version, and its value
 * as a postgresql.conf line would give it (what `parameter "%s" changed to "%s"` prints on a reload: guc-file.l
 * ProcessConfigFileInternal prints the file's own text; a DBA's canonical spelling stands in for it here).
 */
import type { PgMajor, PgSettingsSpec, SynchronousStandbyNames } from '../../scenario/types.ts';

/** The GUC a setting key is for: wal_keep_size is wal_keep_segments up to 12 (renamed in 13). */
export function gucName(k: keyof PgSettingsSpec, version: PgMajor = 18): string {
  if (k === 'walKeepSize' && version < 13) return 'wal_keep_segments';
  return k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

/** A duration in the largest unit that divides it (ms, s, min, h, d), as PostgreSQL's time units go. */
function pgDuration(us: number): string {
  if (us === 0) return '0';
  if (us % 1000 !== 0) return `${us / 1000}ms`;
  const ms = us / 1000;
  for (const [unit, f] of [['d', 86_400_000], ['h', 3_600_000], ['min', 60_000], ['s', 1000]] as const) if (ms % f === 0) return `${ms / f}${unit}`;
  return `${ms}ms`;
}

/** A size in the largest memory unit that divides it (kB, MB, GB, TB: powers of 1024, as PostgreSQL's are). */
function pgSize(bytes: number): string {
  if (bytes === 0) return '0';
  for (const [unit, f] of [['TB', 1024 ** 4], ['GB', 1024 ** 3], ['MB', 1024 ** 2], ['kB', 1024]] as const) if (bytes % f === 0) return `${bytes / f}${unit}`;
  return `${Math.round(bytes / 1024)}kB`;
}

function quoteName(name: string): string {
  return name === '*' || /^[A-Za-z0-9_$][A-Za-z0-9_$.-]*$/.test(name) ? name : `"${name.replace(/"/g, '""')}"`;
}

/**
 * Whether a name of synchronous_standby_names stands for a standby of this application_name: syncrep.c
 * SyncRepGetStandbyPriority compares them with pg_strcasecmp (case-insensitively, quoted or not) or takes `*`.
 */
export function syncNameMatches(name: string, applicationName: string): boolean {
  return name === '*' || name.toLowerCase() === applicationName.toLowerCase();
}

/** A standby's priority in synchronous_standby_names: the first name it matches, from 1; 0 when none does (syncrep.c SyncRepGetStandbyPriority). */
export function syncPriority(v: SynchronousStandbyNames, applicationName: string): number {
  return v.names.findIndex((x) => syncNameMatches(x, applicationName)) + 1;
}

/** synchronous_standby_names in the syntax the version accepts (FIRST/ANY 10+, "n (...)" 9.6, a list before). */
export function printSynchronousStandbyNames(v: SynchronousStandbyNames | null, version: PgMajor): string {
  if (v === null) return '';
  const list = v.names.map(quoteName).join(', ');
  if (version >= 10) return `${v.method.toUpperCase()} ${v.num} (${list})`;
  if (v.method === 'any') throw new RangeError(`ANY in synchronous_standby_names needs PostgreSQL 10 (the node is ${version.toFixed(1)})`);
  if (version >= 9.6) return `${v.num} (${list})`;
  if (v.num !== 1) throw new RangeError(`several synchronous standbys need PostgreSQL 9.6 (the node is ${version.toFixed(1)})`);
  return list;
}

const DURATIONS: ReadonlySet<keyof PgSettingsSpec> = new Set([
  'walRetrieveRetryInterval',
  'checkpointTimeout',
  'walReceiverTimeout',
  'walSenderTimeout',
  'walWriterDelay',
  'recoveryMinApplyDelay',
  'autovacuumNaptime',
  'autovacuumVacuumCostDelay',
]);

/** The value of a setting as postgresql.conf would hold it. */
export function gucValue<K extends keyof PgSettingsSpec>(k: K, value: PgSettingsSpec[K], version: PgMajor, walSegmentSize: number): string {
  if (value === undefined) return '';
  if (k === 'synchronousStandbyNames') return printSynchronousStandbyNames(value as SynchronousStandbyNames | null, version);
  if (k === 'recoveryTargetTimeline') return typeof value === 'object' && value !== null ? String((value as { tli: number }).tli) : String(value);
  if (k === 'walKeepSize' && version < 13) return String(Math.round((value as number) / walSegmentSize));
  if (k === 'maxSlotWalKeepSize') return value === null ? '-1' : pgSize(value as number);
  if (k === 'walKeepSize' || k === 'maxWalSize' || k === 'walSegmentSize') return pgSize(value as number);
  if (DURATIONS.has(k)) return pgDuration(value as number);
  if (typeof value === 'boolean') return value ? 'on' : 'off';
  return String(value);
}

/** `wal_keep_size = 1GB` (13+) or `wal_keep_segments = 64` (up to 12), for explanations. */
export function walKeepText(version: PgMajor, walKeepSize: number, walSegmentSize: number): string {
  return `${gucName('walKeepSize', version)} = ${gucValue('walKeepSize', walKeepSize, version, walSegmentSize)}`;
}

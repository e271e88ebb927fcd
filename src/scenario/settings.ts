/**
 * PostgreSQL settings (GUCs) as written in a scenario, with the version rules of each
 * (../shared/domain/postgres.md): which versions have the setting, which values they accept.
 */
import type { Micros } from '../engine/time.ts';
import { SUPPORTED_PG_MAJORS, type PgMajor, type PgSettingsSpec, type RecoveryTargetTimeline, type SynchronousStandbyNames } from './types.ts';
import { didYouMean, show } from './errors.ts';
import { pgBoolean, byKind, custom, defined, enumOf, integer, map, object, opt, string, typeError, unitValue, type Ctx, type Decoder, type ObjectInfo } from './decode.ts';
import { formatSize, parseDuration, parseSize, type Parsed } from './units.ts';
import { buildVacuumSettings, VACUUM_VERSION_RULES, vacuumSettingsFields } from './settings-vacuum.ts';

export const DEFAULT_WAL_SEGMENT_SIZE = 16 * 1024 * 1024;

/** What the settings decoder needs to know about the node they are for. */
export interface SettingsEnv {
  /** The node's PostgreSQL major version. */
  version?: PgMajor;
  /** The node's wal_segment_size when decoding a `configure` action (it cannot change after initdb). */
  configuring?: { segmentSize: number } | null;
}

export function versionName(v: PgMajor): string {
  return Number.isInteger(v) ? String(v) : v.toFixed(1);
}

// ---------------------------------------------------------------------------------------------------------
// Unit decoders shared with the grammar

const DURATION_PATTERN = String.raw`^\s*(\d+(\.\d+)?\s*(us|ms|s|min|m|h|d|w)\s*)+$`;
const SIZE_PATTERN = String.raw`^\s*\d+(\.\d+)?\s*(B|kB|KB|MB|GB|TB|KiB|MiB|GiB|TiB)\s*$`;
const PG_SIZE_PATTERN = String.raw`^\s*\d+(\.\d+)?\s*(B|kB|MB|GB|TB|KiB|MiB|GiB|TiB)\s*$`;

/** A duration; `bareUnit` is what a bare number most likely meant (PostgreSQL's unit for the setting). */
export function duration(opts: { bareUnit?: string; min?: number } = {}): Decoder<Micros> {
  const d = unitValue<Micros>(
    'a duration like "90s", "250ms" or "1h30m"',
    'duration',
    {
      description: 'A duration: a number and a unit (us, ms, s, m or min, h, d, w), terms combinable from largest to smallest ("1h30m"); 0 needs no unit.',
      anyOf: [{ type: 'string', pattern: DURATION_PATTERN }, { const: 0 }],
      examples: ['90s', '250ms', '1h30m'],
    },
    (v) => parseDuration(v, opts.bareUnit ? { bareUnit: opts.bareUnit } : {}),
  );
  if (opts.min === undefined) return d;
  const min = opts.min;
  return map(d, (v, node, ctx) => (v < min ? ctx.fail(node, `${ctx.subject} must be at least ${min === 1 ? '1us' : `${min}us`}`, { expected: d.expected }) : v));
}

/** How a size reads: replsim's own units (kB = 1000, KiB = 1024), or a PostgreSQL setting's (kB = 1024). */
const SIZE_STYLES = {
  replsim: {
    expected: 'a size like "16MiB" or "2KiB"',
    description: 'A size: a number and a unit: B, kB or KB (1000), MB, GB, TB, KiB (1024), MiB, GiB, TiB; 0 needs no unit.',
    pattern: SIZE_PATTERN,
    examples: ['16MiB', '2KiB', '1GB'],
  },
  // guc.c's memory units, so a value copied from postgresql.conf means what it means there (1GB = 1024 MB).
  postgres: {
    expected: 'a size like "1GB" or "512MB"',
    description: "A size in PostgreSQL's units, as in postgresql.conf: B, kB, MB, GB, TB (powers of 1024: 1GB = 1024MB), or KiB, MiB, GiB, TiB; 0 needs no unit.",
    pattern: PG_SIZE_PATTERN,
    examples: ['1GB', '512MB', '16MB'],
  },
} as const;

export function size(opts: { bareUnit?: string; positive?: boolean; postgres?: boolean } = {}): Decoder<number> {
  const style = SIZE_STYLES[opts.postgres ? 'postgres' : 'replsim'];
  const d = unitValue<number>(
    style.expected,
    'size',
    { description: style.description, anyOf: [{ type: 'string', pattern: style.pattern }, { const: 0 }], examples: [...style.examples] },
    (v) => parseSize(v, { postgres: opts.postgres === true, ...(opts.bareUnit ? { bareUnit: opts.bareUnit } : {}) }),
  );
  if (!opts.positive) return d;
  return map(d, (v, node, ctx) => (v <= 0 ? ctx.fail(node, `${ctx.subject} must be greater than 0`, { expected: d.expected }) : v));
}

/** A PostgreSQL setting's size, in the server's units (guc.c: kB, MB, GB, TB are powers of 1024). */
function pgSize(opts: { bareUnit?: string; positive?: boolean } = {}): Decoder<number> {
  return size({ ...opts, postgres: true });
}

/** A number from 0 to 1 (checkpoint_completion_target). */
function fraction(): Decoder<number> {
  const expected = 'a number from 0 to 1';
  return custom<number>(expected, () => ({ type: 'number', minimum: 0, maximum: 1 }), (node, ctx) => {
    const n = ctx.resolve(node);
    const v = (n as { value?: unknown }).value;
    if (typeof v !== 'number' || !Number.isFinite(v)) return typeError(n, ctx, expected);
    if (v < 0 || v > 1) return ctx.fail(n, `${ctx.subject}: ${v} is out of range`, { expected });
    return v;
  });
}

// ---------------------------------------------------------------------------------------------------------
// Versions

const VERSION_NAMES = SUPPORTED_PG_MAJORS.map(versionName);

export function pgVersion(): Decoder<PgMajor> {
  const expected = `a PostgreSQL major version: ${VERSION_NAMES.join(', ')}`;
  return custom<PgMajor>(
    expected,
    (b) =>
      b.ref('pgVersion', () => ({
        description: 'A PostgreSQL major version, as a number or a string.',
        anyOf: [
          { type: 'number', enum: [...SUPPORTED_PG_MAJORS] },
          { type: 'string', enum: VERSION_NAMES },
        ],
      })),
    (node, ctx: Ctx<SettingsEnv>) => {
      const n = ctx.resolve(node);
      const value = 'value' in n ? (n as { value: unknown }).value : undefined;
      const text = typeof value === 'number' ? ((n as { source?: string }).source ?? String(value)) : typeof value === 'string' ? value.trim() : null;
      if (text === null) return typeError(n, ctx, expected);
      const v = Number(text);
      if (/^\d+(\.\d+)?$/.test(text) && SUPPORTED_PG_MAJORS.includes(v)) return v;
      const parts = text.split('.');
      let hint: string | undefined;
      if (/^\d+(\.\d+)+$/.test(text)) {
        const major = Number(parts[0]) >= 10 ? parts[0]! : `${parts[0]}.${parts[1]}`;
        if (SUPPORTED_PG_MAJORS.includes(Number(major)) && major !== text) hint = `did you mean "${major}"? (the major version)`;
      }
      const newest = SUPPORTED_PG_MAJORS.at(-1)!;
      if (/^\d+$/.test(text) && v > newest) hint = `replsim models PostgreSQL up to ${newest} (the newest release its docs cover)`;
      return ctx.fail(n, `${ctx.subject}: ${show(text)} is not a supported PostgreSQL major version`, hint ? { expected, hint } : { expected });
    },
  );
}

// ---------------------------------------------------------------------------------------------------------
// synchronous_standby_names

const SSN_NAME = /^(?:\*|[A-Za-z0-9_$][A-Za-z0-9_$.-]*|"(?:[^"]|"")+")$/;

/**
 * PostgreSQL's synchronous_standby_names syntax: `FIRST n (a, b)` and `ANY n (a, b)` (10+), `n (a, b)`
 * (9.6+, = FIRST), a bare list `a, b` (= FIRST 1), `*`; the empty string means none (null).
 */
export function parseSynchronousStandbyNames(input: string, version: PgMajor): Parsed<SynchronousStandbyNames | null> {
  const text = input.trim();
  if (text === '') return { ok: true, value: null };
  let method: 'first' | 'any' = 'first';
  let num = 1;
  let listText = text;
  const kw = /^(FIRST|ANY)\s+(\d+)\s*\(([\s\S]*)\)$/i.exec(text);
  const counted = /^(\d+)\s*\(([\s\S]*)\)$/.exec(text);
  if (kw) {
    method = kw[1]!.toLowerCase() as 'first' | 'any';
    num = Number(kw[2]);
    listText = kw[3]!;
    if (version < 10) {
      return {
        ok: false,
        reason: `${kw[1]!.toUpperCase()} in synchronous_standby_names needs PostgreSQL 10 (the node is ${versionName(version)})`,
        hint: version >= 9.6 && method === 'first' ? `on 9.6 write "${num} (${listText.trim()})"` : 'before 10 only priority lists exist ("a, b", or "n (a, b)" on 9.6)',
      };
    }
  } else if (counted) {
    num = Number(counted[1]);
    listText = counted[2]!;
    if (version < 9.6) {
      return {
        ok: false,
        reason: `"n (names)" in synchronous_standby_names needs PostgreSQL 9.6 (several synchronous standbys); the node is ${versionName(version)}`,
        hint: 'before 9.6 only one standby is synchronous: write a bare list "a, b"',
      };
    }
  } else if (/^\w+\s+\d+/.test(text) || text.includes('(')) {
    return { ok: false, reason: `${show(text)} is not valid synchronous_standby_names syntax`, hint: 'write "FIRST 1 (a, b)", "ANY 2 (a, b, c)", "2 (a, b)" or a list "a, b"' };
  }
  if (!Number.isSafeInteger(num) || num < 1) return { ok: false, reason: `the number of synchronous standbys (${show(String(num))}) must be at least 1` };
  const names = listText.split(',').map((s) => s.trim());
  for (const name of names) {
    if (name === '') return { ok: false, reason: `${show(text)} has an empty standby name`, hint: 'separate names with commas: "a, b"' };
    if (!SSN_NAME.test(name) || name.length > 63 + 2) return { ok: false, reason: `${show(name)} is not a standby name`, hint: 'names are application_name values; quote unusual ones: "\\"my-standby\\""' };
  }
  return { ok: true, value: { method, num, names: names.map((n) => (n.startsWith('"') ? n.slice(1, -1).replace(/""/g, '"') : n)) } };
}

// ---------------------------------------------------------------------------------------------------------
// The settings mapping

export function recoveryTargetTimeline(): Decoder<RecoveryTargetTimeline> {
  const expected = 'current, latest or a timeline ID (an integer >= 1)';
  const keyword = map(enumOf(['current', 'latest'] as const), (v) => v as RecoveryTargetTimeline);
  const tli = map(integer({ min: 1, max: 0xffffffff }), (v): RecoveryTargetTimeline => ({ tli: v }));
  const fromString = custom<RecoveryTargetTimeline>(expected, (b) => ({ anyOf: [keyword.schema(b), { type: 'string', pattern: '^[1-9][0-9]{0,9}$' }] }), (node, ctx) => {
    const n = ctx.resolve(node);
    const v = (n as { value?: unknown }).value;
    if (typeof v === 'string' && /^\d{1,10}$/.test(v.trim())) {
      const t = Number(v.trim());
      if (t >= 1 && t <= 0xffffffff) return { tli: t };
    }
    if (typeof v === 'string' && v !== 'current' && v !== 'latest') {
      const hint = didYouMean(v, ['current', 'latest']);
      return ctx.fail(n, `${ctx.subject}: ${show(v)} is not ${expected}`, hint ? { expected, hint } : { expected });
    }
    return keyword.decode(n, ctx);
  });
  return byKind({ string: fromString, number: tli }, expected);
}

function synchronousStandbyNames(): Decoder<SynchronousStandbyNames | null> {
  return custom<SynchronousStandbyNames | null>(
    'a string in PostgreSQL syntax, e.g. "FIRST 1 (s1, s2)", "ANY 2 (a, b, c)" or ""',
    () => ({ type: 'string', maxLength: 2000 }),
    (node, ctx: Ctx<SettingsEnv>) => {
      const s = string({ maxLength: 2000 }).decode(node, ctx);
      const r = parseSynchronousStandbyNames(s, ctx.env.version ?? 18);
      if (!r.ok) return ctx.fail(ctx.resolve(node), `${ctx.subject}: ${r.reason}`, r.hint ? { hint: r.hint } : {});
      return r.value;
    },
  );
}

/** A version rule: the setting `key` did not exist (or changed) before/after some version. */
interface VersionRule {
  readonly key: string;
  readonly applies: (v: PgMajor, value: unknown) => boolean;
  readonly message: (v: PgMajor) => string;
  readonly hint?: (value: unknown) => string;
}

const VERSION_RULES: readonly VersionRule[] = [
  ...VACUUM_VERSION_RULES,
  {
    key: 'wal_retrieve_retry_interval',
    applies: (v) => v < 9.5,
    message: () => 'did not exist before 9.5: the retry wait was fixed at 5 s',
    hint: () => 'remove it (the simulator uses 5 s on this version)',
  },
  {
    key: 'synchronous_commit',
    applies: (v, value) => value === 'remote_apply' && v < 9.6,
    message: () => 'remote_apply was added in PostgreSQL 9.6',
    hint: () => 'use "on" (wait for the standby to flush) or "remote_write"',
  },
  {
    key: 'wal_keep_size',
    applies: (v) => v < 13,
    message: () => 'was added in PostgreSQL 13 (it replaced wal_keep_segments)',
    hint: (value) => `did you mean wal_keep_segments: ${Math.ceil(Number(value) / DEFAULT_WAL_SEGMENT_SIZE)}? (a count of WAL segments; ${formatSize(Number(value))} = ${Math.ceil(Number(value) / DEFAULT_WAL_SEGMENT_SIZE)} segments of 16MiB)`,
  },
  {
    key: 'wal_keep_segments',
    applies: (v) => v >= 13,
    message: () => 'was removed in PostgreSQL 13 (replaced by wal_keep_size)',
    hint: (value) => `did you mean wal_keep_size: ${formatSize(Number(value) * DEFAULT_WAL_SEGMENT_SIZE)}?`,
  },
  {
    key: 'vacuum_failsafe_age',
    applies: (v) => v < 14,
    message: () => 'was added in PostgreSQL 14',
  },
  {
    key: 'max_slot_wal_keep_size',
    applies: (v) => v < 13,
    message: () => 'was added in PostgreSQL 13 (before, a slot retains WAL without limit)',
  },
  {
    key: 'max_wal_size',
    applies: (v) => v < 9.5,
    message: () => 'was added in PostgreSQL 9.5 (before, checkpoint_segments limited WAL between checkpoints)',
    // The 9.5 release notes' conversion, read backwards: max_wal_size = (3 * checkpoint_segments) * 16MB.
    hint: (value) => `did you mean checkpoint_segments: ${Math.max(1, Math.round(Number(value) / (3 * DEFAULT_WAL_SEGMENT_SIZE)))}? (${formatSize(Number(value))} = 3 x that many segments of 16MiB)`,
  },
  {
    key: 'checkpoint_segments',
    applies: (v) => v >= 9.5,
    message: () => 'was removed in PostgreSQL 9.5 (replaced by max_wal_size and min_wal_size)',
    // PostgreSQL 9.5 release notes: "max_wal_size = (3 * checkpoint_segments) * 16MB" is about equivalent.
    hint: (value) => `did you mean max_wal_size: ${formatSize(3 * Number(value) * DEFAULT_WAL_SEGMENT_SIZE)}? (the 9.5 release notes' equivalent of checkpoint_segments = ${Number(value)})`,
  },
  {
    key: 'archive_mode',
    applies: (v, value) => value === 'always' && v < 9.5,
    message: () => 'always was added in PostgreSQL 9.5 (before, archive_mode is a boolean: on or off)',
    hint: () => 'use on (a standby does not archive before 9.5)',
  },
  {
    key: 'wal_compression',
    applies: (v) => v < 9.5,
    message: () => 'was added in PostgreSQL 9.5',
  },
  {
    key: 'wal_compression',
    // guc_tables.c: a boolean up to 14; 15 made it an enum (xlog.c wal_compression_options: pglz, lz4, zstd).
    applies: (v, value) => v < 15 && (value === 'lz4' || value === 'zstd' || value === 'pglz'),
    message: () => 'takes pglz, lz4 or zstd from PostgreSQL 15 (before, it is a boolean: on compresses with pglz)',
    hint: () => 'use on',
  },
  {
    key: 'wal_log_hints',
    applies: (v) => v < 9.4,
    message: () => 'was added in PostgreSQL 9.4',
  },
  {
    key: 'synchronized_standby_slots',
    applies: (v) => v < 17,
    message: () => 'was added in PostgreSQL 17 (failover slots)',
    hint: () => 'before 17 a logical consumer is sent changes without waiting for any standby',
  },
  {
    key: 'sync_replication_slots',
    applies: (v) => v < 17,
    message: () => 'was added in PostgreSQL 17 (failover slots)',
    hint: () => 'before 17 no logical slot survives a failover: the consumer starts again from a new slot',
  },
  {
    key: 'primary_slot_name',
    applies: (v) => v < 9.4,
    message: () => 'was added in PostgreSQL 9.4 (replication slots)',
    hint: () => 'keep WAL for the standby with wal_keep_segments instead',
  },
  {
    key: 'recovery_min_apply_delay',
    applies: (v) => v < 9.4,
    message: () => 'was added in PostgreSQL 9.4',
  },
  {
    key: 'wal_receiver_timeout',
    applies: (v) => v < 9.3,
    message: () => 'was added in PostgreSQL 9.3',
  },
  {
    key: 'wal_sender_timeout',
    applies: (v) => v < 9.3,
    message: () => 'was added in PostgreSQL 9.3 (9.2 called it replication_timeout)',
  },
];

const SETTINGS_FIELDS = {
  recovery_target_timeline: opt(recoveryTargetTimeline(), 'Which timeline a standby follows: current (the default up to 11; but written explicitly on 11 and before, recovery.conf reads the word as timeline 0, which means latest), latest (the default from 12; follows promotions), or a timeline ID. Needs a restart to change.'),
  wal_retrieve_retry_interval: opt(duration({ bareUnit: 'ms' }), 'How long a standby waits before retrying to get WAL (9.5+, default 5s; fixed at 5 s before 9.5).'),
  connect_timeout: opt(duration({ bareUnit: 's' }), 'primary_conninfo\'s connect_timeout: bounds a standby\'s connection attempt to an upstream nothing answers for (at least 2 s) up to 9.6; from 10 the walreceiver connects asynchronously and ignores it, so an attempt lasts until the kernel gives up (127 s). Default: none.'),
  synchronous_commit: opt(
    enumOf(['off', 'local', 'remote_write', 'on', 'remote_apply'] as const, { aliases: { true: 'on', false: 'off' } }),
    'What a commit waits for: off, local, remote_write, on (standby flush), remote_apply (9.6+). Default on.',
  ),
  synchronous_standby_names: opt(
    synchronousStandbyNames(),
    'Synchronous standbys in PostgreSQL syntax: "FIRST n (a, b)" or "ANY n (a, b)" (10+), "n (a, b)" (9.6+), a list "a, b" (= FIRST 1), "*"; "" for none.',
  ),
  application_name: opt(string({ maxLength: 63, nonEmpty: true }), 'The name a standby reports to its upstream (matched by synchronous_standby_names). Default: the node name.'),
  wal_keep_size: opt(pgSize({ bareUnit: 'MB' }), 'WAL a server keeps for standbys beyond what checkpoints need (13+). Default 0.'),
  wal_keep_segments: opt(integer({ min: 0, max: 2 ** 31 - 1 }), 'Number of WAL segments kept for standbys (up to 12; converted with wal_segment_size). Default 0.'),
  max_wal_size: opt(
    pgSize({ bareUnit: 'MB', positive: true }),
    'WAL between automatic checkpoints (9.5+): a checkpoint starts after max_wal_size / (2 + checkpoint_completion_target) of WAL (9.5-10), / (1 + checkpoint_completion_target) (11+). Default 1GB.',
  ),
  checkpoint_segments: opt(integer({ min: 1, max: 2 ** 31 - 1 }), 'WAL segments between automatic checkpoints (up to 9.4; replaced by max_wal_size in 9.5). Default 3.'),
  checkpoint_completion_target: opt(fraction(), 'Fraction of the interval a spread checkpoint takes: 0 to 1. Default 0.5 (up to 13), 0.9 (14+).'),
  checkpoint_warning: opt(duration({ bareUnit: 's' }), 'Log "checkpoints are occurring too frequently" when WAL volume starts checkpoints closer than this (0 disables). Default 30s.'),
  wal_segment_size: opt(pgSize({ positive: true }), 'WAL segment size chosen at initdb: a power of two from 1MiB to 1GiB. Default 16MiB.'),
  checkpoint_timeout: opt(duration({ min: 1 }), 'Time between automatic checkpoints. Default 5min.'),
  wal_receiver_timeout: opt(duration({ bareUnit: 'ms' }), 'A standby drops a silent replication connection after this (9.3+; 0 disables). Default 60s.'),
  wal_sender_timeout: opt(duration({ bareUnit: 'ms' }), 'An upstream drops a silent replication connection after this (9.3+; 0 disables). Default 60s.'),
  wal_writer_delay: opt(duration({ bareUnit: 'ms', min: 1 }), 'How often the WAL writer flushes (bounds the loss window of synchronous_commit = off). Default 200ms.'),
  recovery_min_apply_delay: opt(
    duration({ bareUnit: 'ms' }),
    'A standby replays each commit no earlier than its commit time on the primary plus this (9.4+; reloadable; a promotion ends the wait). Default 0.',
  ),
  hot_standby_feedback: opt(pgBoolean(), 'Whether a standby reports its oldest snapshot to its upstream. Default false.'),
  sync_replication_slots: opt(
    pgBoolean(),
    'On a standby (17+): synchronize the logical slots its primary created with failover = true (needs hot_standby_feedback and primary_slot_name); after its promotion they go on on it. Default off.',
  ),
  synchronized_standby_slots: opt(
    string({ pattern: /^ *([a-z0-9_]{1,63}) *(, *[a-z0-9_]{1,63} *)*$/, patternText: 'physical slot names separated by commas', maxLength: 1000 }),
    'On a primary (17+): the physical slots (of failover candidates) whose standbys must confirm WAL before the consumers of failover logical slots are sent it, so no consumer gets ahead of a standby that may be promoted; a listed standby that stops confirming stops them too (reloadable). Default empty.',
  ),
  log_checkpoints: opt(pgBoolean(), 'Whether the checkpointer logs each checkpoint and restartpoint (server chatter, hidden by the reports). Default on from 15, off before.'),
  wal_log_hints: opt(pgBoolean(), 'WAL-logs hint-bit changes (9.4+): pg_rewind needs it unless the cluster has data checksums. Needs a restart. Default off.'),
  full_page_writes: opt(pgBoolean(), 'The first change of each page after a checkpoint\'s redo point logs the whole page (only a workload with working_set counts these images). Default on.'),
  wal_compression: opt(
    enumOf(['off', 'on', 'pglz', 'lz4', 'zstd'] as const, { aliases: { true: 'on', false: 'off' } }),
    'Compress full-page images in WAL (9.5+): on (pglz), or from 15 pglz, lz4, zstd. Default off.',
  ),
  data_checksums: opt(pgBoolean(), 'The cluster was initialised with data checksums (initdb -k): pg_rewind works without wal_log_hints. Default off.'),
  archive_mode: opt(
    enumOf(['off', 'on', 'always'] as const, { aliases: { true: 'on', false: 'off' } }),
    'WAL archiving: off (default), on (the primary archives every completed segment with archive_command and keeps it until archived), always (9.5+: a standby archives what it receives too). Needs a restart.',
  ),
  archive_command: opt(string({ maxLength: 1000 }), 'The command that copies a completed segment to the archive (its text appears in failure messages); its speed is the node\'s archive_throughput. Empty: archiving is not configured.'),
  archive_timeout: opt(
    duration({ bareUnit: 's' }),
    'On a primary: the checkpointer forces a segment switch when this much time has passed since the last one and WAL was written since, so a quiet primary\'s archive trails it by at most this much (plus the copy). 0 (default): segments are archived only when full.',
  ),
  restore_command: opt(string({ maxLength: 1000 }), 'On a standby: the command that fetches a segment from the archive. The startup process tries the archive before streaming (archive, pg_wal, stream), so a standby whose upstream removed a segment catches up from the archive. Its speed is the node\'s restore_throughput.'),
  primary_slot_name: opt(
    string({ pattern: /^[a-z0-9_]{1,63}$/, patternText: 'a slot name: lower-case letters, digits and _ (at most 63)', maxLength: 63 }),
    'On a standby (9.4+): the physical replication slot on its upstream it streams through; the slot keeps the WAL the standby has not flushed yet, also while it is disconnected. The slot must exist there (slots:, or create_slot).',
  ),
  autovacuum_freeze_max_age: opt(integer({ min: 100_000, max: 2_000_000_000 }), 'Age of relfrozenxid that forces an anti-wraparound autovacuum of a table. Default 200000000.'),
  vacuum_freeze_min_age: opt(integer({ min: 0, max: 1_000_000_000 }), 'Rows older than this are frozen by vacuum (effective at most autovacuum_freeze_max_age / 2). Default 50000000.'),
  vacuum_freeze_table_age: opt(integer({ min: 0, max: 2_000_000_000 }), 'Age that makes a vacuum aggressive (effective at most 0.95 x autovacuum_freeze_max_age). Default 150000000.'),
  vacuum_failsafe_age: opt(integer({ min: 0, max: 2_100_000_000 }), 'Age at which vacuum drops its cost limit to finish freezing (14+; effective at least 1.05 x autovacuum_freeze_max_age). Default 1600000000.'),
  autovacuum_naptime: opt(duration({ bareUnit: 's', min: 1 }), 'Delay between autovacuum runs on a database. Default 1min.'),
  autovacuum_vacuum_cost_limit: opt(integer({ min: -1, max: 10_000 }), 'Cost units an autovacuum worker may spend before sleeping (-1: vacuum_cost_limit, 200).'),
  autovacuum_vacuum_cost_delay: opt(
    byKind<Micros>({ number: map(integer({ min: -1, max: 100 }), (v) => (v < 0 ? -1 : v * 1000) as Micros), string: duration({ bareUnit: 'ms' }) }, 'a duration, 0, or -1 (vacuum_cost_delay)'),
    'How long autovacuum sleeps when it reaches its cost limit (-1: vacuum_cost_delay). Default 2ms (12+), 20ms before.',
  ),
  vacuum_cost_page_miss: opt(integer({ min: 0, max: 10_000 }), 'Cost of reading a page that is not in shared buffers. Default 2 (14+), 10 before.'),
  vacuum_cost_page_dirty: opt(integer({ min: 0, max: 10_000 }), 'Cost of dirtying a page. Default 20.'),
  max_slot_wal_keep_size: opt(
    byKind<number | null>({ number: map(integer({ min: -1, max: -1 }), () => null), string: pgSize({ bareUnit: 'MB' }) }, 'a size, or -1 for unlimited'),
    'WAL a replication slot may retain before it is invalidated at a checkpoint (13+); -1 (default) is unlimited.',
  ),
  max_connections: opt(
    integer({ min: 1, max: 262_143 }),
    'Client connections the server admits, superuser_reserved_connections of them kept for superusers (needs a restart). PostgreSQL\'s default is 100; absent here, every pool connection is admitted.',
  ),
  max_wal_senders: opt(integer({ min: 0, max: 262_143 }), 'Walsender connections the server admits: each streaming standby takes one, pg_basebackup one (two with -X stream); one more is refused (FATAL number of requested standby connections exceeds max_wal_senders). Needs a restart. Default: not limited (the server\'s default is 10 from 10, 0 before).'),
  max_logical_replication_workers: opt(integer({ min: 0, max: 262_143 }), 'On a subscriber (10+): logical replication workers it can run, each subscription\'s apply worker and every tablesync worker; one more is refused (WARNING out of logical replication worker slots). Needs a restart. Default 4.'),
  max_sync_workers_per_subscription: opt(integer({ min: 0, max: 262_143 }), 'On a subscriber (10+): tablesync workers one subscription runs at once for its initial copy, within max_logical_replication_workers (reloadable). Default 2.'),
  max_replication_slots: opt(integer({ min: 0, max: 262_143 }), 'Replication slots the server can hold; one more is refused (all replication slots are in use). Needs a restart. Default: not limited (the server\'s default is 10 from 10, 0 before).'),
  superuser_reserved_connections: opt(integer({ min: 0, max: 262_143 }), 'Connection slots of max_connections kept for superusers (needs a restart). Default 3.'),
  ...vacuumSettingsFields(duration),
};

export const SETTING_KEYS = Object.keys(SETTINGS_FIELDS);

function buildSettings(v: { [K in keyof typeof SETTINGS_FIELDS]: unknown }, info: ObjectInfo, ctx: Ctx<SettingsEnv>): PgSettingsSpec {
  const version = ctx.env.version ?? 18;
  const failAt = (key: string, message: string, hint?: string): never => {
    const subject = `${key}${ctx.inContainer} (PostgreSQL ${versionName(version)})`;
    return ctx.fail(info.keyAt(key) ?? info.at(key) ?? info.node, `${subject} ${message}`, hint ? { hint } : {});
  };
  if (v.wal_keep_size !== undefined && v.wal_keep_segments !== undefined) failAt('wal_keep_segments', 'and wal_keep_size are both given: write one');
  for (const rule of VERSION_RULES) {
    const value = v[rule.key as keyof typeof v];
    if (value !== undefined && rule.applies(version, value)) failAt(rule.key, rule.message(version), rule.hint?.(value));
  }
  const segmentSize = v.wal_segment_size as number | undefined;
  if (segmentSize !== undefined) {
    if (ctx.env.configuring) failAt('wal_segment_size', 'is fixed at initdb and cannot be changed by configure');
    const pow2 = segmentSize >= 1024 * 1024 && segmentSize <= 1024 ** 3 && (segmentSize & (segmentSize - 1)) === 0;
    if (!pow2) ctx.fail(info.at('wal_segment_size') ?? info.node, `${ctx.field('wal_segment_size').subject}: ${formatSize(segmentSize)} is not a power of two from 1MiB to 1GiB`);
  }
  const out: { -readonly [K in keyof PgSettingsSpec]: PgSettingsSpec[K] } = {};
  if (v.recovery_target_timeline !== undefined) out.recoveryTargetTimeline = v.recovery_target_timeline as RecoveryTargetTimeline;
  if (v.wal_retrieve_retry_interval !== undefined) out.walRetrieveRetryInterval = v.wal_retrieve_retry_interval as Micros;
  if (v.synchronous_commit !== undefined) out.synchronousCommit = v.synchronous_commit as PgSettingsSpec['synchronousCommit'];
  if (v.synchronous_standby_names !== undefined) out.synchronousStandbyNames = v.synchronous_standby_names as SynchronousStandbyNames | null;
  if (v.application_name !== undefined) out.applicationName = v.application_name as string;
  if (v.wal_keep_size !== undefined) out.walKeepSize = v.wal_keep_size as number;
  if (v.wal_keep_segments !== undefined) {
    const seg = segmentSize ?? ctx.env.configuring?.segmentSize ?? DEFAULT_WAL_SEGMENT_SIZE;
    out.walKeepSize = (v.wal_keep_segments as number) * seg;
  }
  if (v.max_wal_size !== undefined) out.maxWalSize = v.max_wal_size as number;
  if (v.checkpoint_segments !== undefined) out.checkpointSegments = v.checkpoint_segments as number;
  if (v.checkpoint_completion_target !== undefined) out.checkpointCompletionTarget = v.checkpoint_completion_target as number;
  if (v.checkpoint_warning !== undefined) out.checkpointWarning = v.checkpoint_warning as Micros;
  if (segmentSize !== undefined) out.walSegmentSize = segmentSize;
  if (v.checkpoint_timeout !== undefined) out.checkpointTimeout = v.checkpoint_timeout as Micros;
  if (v.wal_receiver_timeout !== undefined) out.walReceiverTimeout = v.wal_receiver_timeout as Micros;
  if (v.wal_sender_timeout !== undefined) out.walSenderTimeout = v.wal_sender_timeout as Micros;
  if (v.wal_writer_delay !== undefined) out.walWriterDelay = v.wal_writer_delay as Micros;
  if (v.recovery_min_apply_delay !== undefined) out.recoveryMinApplyDelay = v.recovery_min_apply_delay as Micros;
  if (v.hot_standby_feedback !== undefined) out.hotStandbyFeedback = v.hot_standby_feedback as boolean;
  if (v.sync_replication_slots !== undefined) out.syncReplicationSlots = v.sync_replication_slots as boolean;
  if (v.synchronized_standby_slots !== undefined) out.synchronizedStandbySlots = (v.synchronized_standby_slots as string).split(',').map((x) => x.trim());
  if (v.log_checkpoints !== undefined) out.logCheckpoints = v.log_checkpoints as boolean;
  if (v.wal_log_hints !== undefined) out.walLogHints = v.wal_log_hints as boolean;
  if (v.full_page_writes !== undefined) out.fullPageWrites = v.full_page_writes as boolean;
  if (v.wal_compression !== undefined) out.walCompression = v.wal_compression === 'on' ? 'pglz' : (v.wal_compression as 'off' | 'pglz' | 'lz4' | 'zstd');
  if (v.data_checksums !== undefined) out.dataChecksums = v.data_checksums as boolean;
  if (v.primary_slot_name !== undefined) out.primarySlotName = v.primary_slot_name as string;
  if (v.archive_mode !== undefined) out.archiveMode = v.archive_mode as 'off' | 'on' | 'always';
  if (v.archive_command !== undefined) out.archiveCommand = v.archive_command as string;
  if (v.archive_timeout !== undefined) out.archiveTimeout = v.archive_timeout as Micros;
  if (v.restore_command !== undefined) out.restoreCommand = v.restore_command as string;
  if (v.autovacuum_freeze_max_age !== undefined) out.autovacuumFreezeMaxAge = v.autovacuum_freeze_max_age as number;
  if (v.vacuum_freeze_min_age !== undefined) out.vacuumFreezeMinAge = v.vacuum_freeze_min_age as number;
  if (v.vacuum_freeze_table_age !== undefined) out.vacuumFreezeTableAge = v.vacuum_freeze_table_age as number;
  if (v.vacuum_failsafe_age !== undefined) out.vacuumFailsafeAge = v.vacuum_failsafe_age as number;
  if (v.autovacuum_naptime !== undefined) out.autovacuumNaptime = v.autovacuum_naptime as Micros;
  if (v.autovacuum_vacuum_cost_limit !== undefined) out.autovacuumVacuumCostLimit = v.autovacuum_vacuum_cost_limit as number;
  if (v.autovacuum_vacuum_cost_delay !== undefined) out.autovacuumVacuumCostDelay = v.autovacuum_vacuum_cost_delay as Micros;
  if (v.vacuum_cost_page_miss !== undefined) out.vacuumCostPageMiss = v.vacuum_cost_page_miss as number;
  if (v.vacuum_cost_page_dirty !== undefined) out.vacuumCostPageDirty = v.vacuum_cost_page_dirty as number;
  if (v.max_slot_wal_keep_size !== undefined) out.maxSlotWalKeepSize = v.max_slot_wal_keep_size as number | null;
  if (v.max_connections !== undefined) out.maxConnections = v.max_connections as number;
  if (v.connect_timeout !== undefined) out.connectTimeout = v.connect_timeout as Micros;
  if (v.max_wal_senders !== undefined) out.maxWalSenders = v.max_wal_senders as number;
  if (v.max_replication_slots !== undefined) out.maxReplicationSlots = v.max_replication_slots as number;
  if (v.max_logical_replication_workers !== undefined) out.maxLogicalReplicationWorkers = v.max_logical_replication_workers as number;
  if (v.max_sync_workers_per_subscription !== undefined) out.maxSyncWorkersPerSubscription = v.max_sync_workers_per_subscription as number;
  if (v.superuser_reserved_connections !== undefined) out.superuserReservedConnections = v.superuser_reserved_connections as number;
  return { ...out, ...buildVacuumSettings(v) };
}

/** The settings mapping; version rules use ctx.env.version (the node's version). */
export function settings(): Decoder<PgSettingsSpec> {
  return defined('settings', object(SETTINGS_FIELDS, { expected: 'a mapping of PostgreSQL settings', build: buildSettings }));
}

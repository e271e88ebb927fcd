/**
 * The autovacuum and lock-wait settings of a node (postgresql.conf spellings), with their version rules
 * (postgres-2.md §5-6 "Numbers"). settings.ts merges these fields into the settings mapping.
 */
import { isScalar } from 'yaml';
import type { Micros } from '../engine/time.ts';
import type { PgMajor } from './types.ts';
import type { VacuumSettingsSpec } from './types-vacuum.ts';
import { pgBoolean, byKind, custom, integer, map, opt, typeError, type Decoder } from './decode.ts';
import type { duration as durationDecoder } from './settings.ts';

/** A non-negative number (a scale factor), up to `max`. */
function factor(max: number): Decoder<number> {
  const expected = `a number from 0 to ${max}`;
  return custom<number>(expected, () => ({ type: 'number', minimum: 0, maximum: max }), (node, ctx) => {
    const n = ctx.resolve(node);
    if (!isScalar(n) || typeof n.value !== 'number' || !(n.value >= 0 && n.value <= max)) return typeError(n, ctx, expected);
    return n.value;
  });
}

/** An integer setting where -1 means "off" (null). */
function integerOrOff(max: number): Decoder<number | null> {
  return map(integer({ min: -1, max }), (v) => (v < 0 ? null : v));
}

/** A duration where -1 means "off" (null), as log_autovacuum_min_duration. */
function durationOrOff(duration: typeof durationDecoder, bareUnit: string): Decoder<Micros | null> {
  return byKind<Micros | null>({ number: map(integer({ min: -1, max: 2_147_483_647 }), (v) => (v < 0 ? null : ((v * (bareUnit === 'ms' ? 1000 : 1e6)) as Micros))), string: duration({ bareUnit }) }, 'a duration, 0, or -1 (off)');
}

/** The fields, built with settings.ts's duration decoder (passed in: settings.ts imports this module). */
export function vacuumSettingsFields(duration: typeof durationDecoder) {
  return {
  autovacuum: opt(pgBoolean(), 'Whether the autovacuum launcher starts workers. Off, anti-wraparound vacuums still run (one worker at a time). Default true.'),
  autovacuum_max_workers: opt(integer({ min: 1, max: 262_143 }), 'Autovacuum workers that may run at once; they share the cost budget (limit / n each). Needs a restart. Default 3.'),
  autovacuum_vacuum_threshold: opt(integer({ min: 0, max: 2_147_483_647 }), 'Dead rows that trigger a vacuum, plus the scale factor times the rows. Default 50.'),
  autovacuum_vacuum_scale_factor: opt(factor(100), 'Fraction of a table\'s rows that must be dead (beyond the threshold) to trigger a vacuum. Default 0.2.'),
  autovacuum_vacuum_insert_threshold: opt(integerOrOff(2_147_483_647), 'Rows inserted since the last vacuum that trigger one (13+; -1 disables). Default 1000.'),
  autovacuum_vacuum_insert_scale_factor: opt(factor(100), 'Fraction of the rows (not all-frozen, from 18) inserted since the last vacuum that triggers one (13+). Default 0.2.'),
  autovacuum_vacuum_max_threshold: opt(integerOrOff(2_147_483_647), 'Cap of the dead-row threshold (18+; -1: no cap). Default 100000000.'),
  vacuum_cost_delay: opt(duration({ bareUnit: 'ms' }), 'How long a manual VACUUM sleeps at its cost limit; 0 (the default) is unthrottled.'),
  vacuum_cost_limit: opt(integer({ min: 1, max: 10_000 }), 'Cost units a manual VACUUM spends before sleeping; also autovacuum\'s when autovacuum_vacuum_cost_limit is -1. Default 200.'),
  log_autovacuum_min_duration: opt(durationOrOff(duration, 'ms'), 'Autovacuum runs at least this long are logged (-1: none). Default -1 up to 14, 10min from 15.'),
  lock_timeout: opt(duration({ bareUnit: 'ms' }), 'A statement waiting longer than this for a lock fails (9.3+; 0 waits forever). Default 0.'),
  statement_timeout: opt(duration({ bareUnit: 'ms' }), 'A statement running (or waiting) longer than this fails. Default 0 (no limit).'),
  deadlock_timeout: opt(duration({ bareUnit: 'ms', min: 1 }), 'How long a lock waiter waits before it checks for a deadlock (and cancels a blocking regular autovacuum). Default 1s.'),
  log_lock_waits: opt(pgBoolean(), 'Log lock waits longer than deadlock_timeout. Default false.'),
  idle_in_transaction_session_timeout: opt(duration({ bareUnit: 'ms' }), 'An idle-in-transaction session is terminated after this (9.6+; 0: never). Default 0.'),
  idle_replication_slot_timeout: opt(duration({ bareUnit: 's' }), 'A replication slot unused for longer than this is invalidated at the next checkpoint (18+; 0: never). Default 0.'),
  vacuum_truncate: opt(pgBoolean(), 'Whether vacuum truncates empty pages at the end of a table (18+; a table\'s vacuum_truncate reloption and VACUUM (TRUNCATE) override it). Default on.'),
  max_standby_streaming_delay: opt(durationOrOff(duration, 'ms'), 'On a standby: how long replay waits for queries that conflict with streamed WAL before cancelling them, counted from when the standby last caught up (-1: for ever). Default 30s.'),
  max_standby_archive_delay: opt(durationOrOff(duration, 'ms'), 'The same for WAL restored from the archive or read from pg_wal (-1: for ever). Default 30s.'),
  };
}

export const VACUUM_VERSION_RULES: readonly { readonly key: string; readonly applies: (v: PgMajor) => boolean; readonly message: () => string }[] = [
  { key: 'autovacuum_vacuum_insert_threshold', applies: (v) => v < 13, message: () => 'was added in PostgreSQL 13 (inserts trigger autovacuum from 13)' },
  { key: 'autovacuum_vacuum_insert_scale_factor', applies: (v) => v < 13, message: () => 'was added in PostgreSQL 13 (inserts trigger autovacuum from 13)' },
  { key: 'autovacuum_vacuum_max_threshold', applies: (v) => v < 18, message: () => 'was added in PostgreSQL 18' },
  { key: 'lock_timeout', applies: (v) => v < 9.3, message: () => 'was added in PostgreSQL 9.3' },
  { key: 'idle_in_transaction_session_timeout', applies: (v) => v < 9.6, message: () => 'was added in PostgreSQL 9.6' },
  { key: 'idle_replication_slot_timeout', applies: (v) => v < 18, message: () => 'was added in PostgreSQL 18' },
  { key: 'vacuum_truncate', applies: (v) => v < 18, message: () => 'was added in PostgreSQL 18 (from 12, the table\'s vacuum_truncate reloption)' },
];

type Decoded = { readonly [K in keyof ReturnType<typeof vacuumSettingsFields>]?: unknown };

/** The decoded vacuum settings under the model's names. */
export function buildVacuumSettings(v: Decoded): VacuumSettingsSpec {
  const out: { -readonly [K in keyof VacuumSettingsSpec]: VacuumSettingsSpec[K] } = {};
  const set = <K extends keyof VacuumSettingsSpec>(k: K, value: unknown) => {
    if (value !== undefined) out[k] = value as VacuumSettingsSpec[K];
  };
  set('autovacuum', v.autovacuum);
  set('autovacuumMaxWorkers', v.autovacuum_max_workers);
  set('autovacuumVacuumThreshold', v.autovacuum_vacuum_threshold);
  set('autovacuumVacuumScaleFactor', v.autovacuum_vacuum_scale_factor);
  set('autovacuumVacuumInsertThreshold', v.autovacuum_vacuum_insert_threshold);
  set('autovacuumVacuumInsertScaleFactor', v.autovacuum_vacuum_insert_scale_factor);
  set('autovacuumVacuumMaxThreshold', v.autovacuum_vacuum_max_threshold);
  set('vacuumCostDelay', v.vacuum_cost_delay);
  set('vacuumCostLimit', v.vacuum_cost_limit);
  set('logAutovacuumMinDuration', v.log_autovacuum_min_duration);
  set('lockTimeout', v.lock_timeout);
  set('statementTimeout', v.statement_timeout);
  set('deadlockTimeout', v.deadlock_timeout);
  set('logLockWaits', v.log_lock_waits);
  set('idleInTransactionSessionTimeout', v.idle_in_transaction_session_timeout);
  set('idleReplicationSlotTimeout', v.idle_replication_slot_timeout);
  set('vacuumTruncate', v.vacuum_truncate);
  set('maxStandbyStreamingDelay', v.max_standby_streaming_delay);
  set('maxStandbyArchiveDelay', v.max_standby_archive_delay);
  return out;
}

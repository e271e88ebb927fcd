/**
 * The wraparound limits and the server's messages about them, by version. Every wording below was read in
 * the varsup.c / vacuum.c / vacuumlazy.c of the release it names (tarball imports listed in postgres-2.md §0:
 * 9.3.5, 10.20, 11.2, 13.1, 14.13, 15.15, 16.2, 17.4, 18.3; 9.4 per postgres-2.md §5.9, 9.2 inferred from 9.1
 * and 9.3).
 */
import type { PgMajor } from '../../../scenario/types.ts';
import type { LogLine } from '../messages.ts';

/** Half the XID space: an XID compares as older only within 2^31 - 1 (transam.c TransactionIdPrecedes). */
export const XID_HALF = 2 ** 31 - 1;

/** A 64-bit XID counter value as the server prints it (32 bits; 0-2 are never assigned). */
export function xid32(x: number): number {
  const v = Math.round(x) % 2 ** 32;
  return v < 3 ? v + 3 : v;
}

/**
 * Wraparound limits as ages of the oldest datfrozenxid (varsup.c SetTransactionIdLimit; postgres.md rule 18):
 * stop 1M before wrap up to 13, 3M from 14; warn 10M before the stop up to 13, 40M before wrap in 14-18,
 * 100M in 19.
 */
export function wraparoundLimits(version: PgMajor): { warnAge: number; stopAge: number } {
  const stopMargin = version >= 14 ? 3_000_000 : 1_000_000;
  const warnMargin = version >= 19 ? 100_000_000 : version >= 14 ? 40_000_000 : 11_000_000;
  return { warnAge: XID_HALF - warnMargin, stopAge: XID_HALF - stopMargin };
}

/** The second line of the wraparound hints: prepared transactions (all), stale slots (11+). */
function holdersLine(version: PgMajor): string {
  return version >= 11
    ? 'You might also need to commit or roll back old prepared transactions, or drop stale replication slots.'
    : 'You might also need to commit or roll back old prepared transactions.';
}

/** The ERROR of a command that needs an XID past the stop limit (varsup.c GetNewTransactionId), to the client backend. */
export function stopMessage(version: PgMajor, db: string): LogLine {
  if (version >= 17) {
    return {
      process: 'client backend',
      level: 'ERROR',
      message: `database is not accepting commands that assign new transaction IDs to avoid wraparound data loss in database "${db}"`,
      hint: `Execute a database-wide VACUUM in that database.\n${holdersLine(version)}`,
    };
  }
  const first = version >= 9.4 ? 'Stop the postmaster and vacuum that database in single-user mode.' : 'Stop the postmaster and use a standalone backend to vacuum that database.';
  return {
    process: 'client backend',
    level: 'ERROR',
    message: `database is not accepting commands to avoid wraparound data loss in database "${db}"`,
    hint: `${first}\n${holdersLine(version)}`,
  };
}

/**
 * The WARNING past the warn limit (varsup.c GetNewTransactionId: to every XID-assigning command; also
 * SetTransactionIdLimit when a vacuum recomputes the limits, in the process that ran it: `recomputed`). From
 * 17 the two hints differ: GetNewTransactionId's says "transaction ID assignment failures" for a named
 * database, SetTransactionIdLimit's "XID assignment failures" (varsup.c of 17.4 and 18.3; both strings are in
 * the 17.10 and 18.4 binaries).
 */
export function warnMessage(version: PgMajor, db: string, remaining: number, process: LogLine['process'] = 'client backend', recomputed = false): LogLine {
  const first = version >= 17 ? `To avoid ${recomputed ? 'XID' : 'transaction ID'} assignment failures, execute a database-wide VACUUM in that database.` : 'To avoid a database shutdown, execute a database-wide VACUUM in that database.';
  return { process, level: 'WARNING', message: `database "${db}" must be vacuumed within ${remaining} transactions`, hint: `${first}\n${holdersLine(version)}` };
}

/**
 * The WARNING of a vacuum whose OldestXmin is held far back (vacuum.c vacuum_set_xid_limits up to 15,
 * vacuum_get_cutoffs from 16; postgres-2.md §5.8).
 */
export function farInThePast(version: PgMajor, process: LogLine['process']): LogLine {
  const hint = version >= 11 ? `Close open transactions soon to avoid wraparound problems.\n${holdersLine(version)}` : 'Close open transactions soon to avoid wraparound problems.';
  return { process, level: 'WARNING', message: version >= 16 ? 'cutoff for removing and freezing tuples is far in the past' : 'oldest xmin is far in the past', hint };
}

/** 14+ (vacuumlazy.c lazy_check_wraparound_failsafe). */
export function failsafeWarning(table: string, process: LogLine['process']): LogLine {
  return {
    process,
    level: 'WARNING',
    message: `bypassing nonessential maintenance of table "${table}" as a failsafe after 0 index scans`,
    detail: "The table's relfrozenxid or relminmxid is too far in the past.",
    hint: 'Consider increasing configuration parameter "maintenance_work_mem" or "autovacuum_work_mem".\nYou might also need to consider other ways for VACUUM to keep up with the allocation of transaction IDs.',
  };
}

/**
 * The first line of autovacuum's LOG at the end of a run (vacuumlazy.c, logged when log_autovacuum_min_duration
 * allows): up to 10 one form; 11 adds "aggressive"; 12 adds "to prevent wraparound". The detail lines with
 * counts (tuples, removable cutoff, new relfrozenxid) are kept in the report's vacuum entry instead.
 */
export function autovacuumLogLine(version: PgMajor, table: string, aggressive: boolean, antiWraparound: boolean): LogLine {
  let kind = 'automatic vacuum';
  if (version >= 12 && antiWraparound) kind = aggressive ? 'automatic aggressive vacuum to prevent wraparound' : 'automatic vacuum to prevent wraparound';
  else if (version >= 11 && aggressive) kind = 'automatic aggressive vacuum';
  return { process: 'autovacuum worker', level: 'LOG', message: `${kind} of table "${table}": index scans: 0` };
}

/**
 * A regular autovacuum cancelled by a conflicting lock request (postgres.c ProcessInterrupts). From 13 the
 * vacuum's error context callback (vacuumlazy.c vacuum_error_callback, in 13.1's tree and not in 12.3's) puts
 * the block it was at first **[15.18]**; the model takes the block as the bytes it had read / 8 KiB, in the scanning phase.
 */
export function cancelingAutovacuum(version: PgMajor, table: string, relation: string, block: number): LogLine {
  const where = version >= 13 ? `while scanning block ${block} of relation "${relation}"\n\t` : '';
  return { process: 'autovacuum worker', level: 'ERROR', message: 'canceling autovacuum task', context: `${where}automatic vacuum of table "${table}"` };
}


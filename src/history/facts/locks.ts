/**
 * Facts of table locks (models/postgres/locks, vacuum/operations.ts): statements that take a lock, wait for it,
 * fail, and the log_lock_waits messages. `who` is the backend's label as the lock records name it, `table` a
 * qualified table name, `mode` a lock mode as PostgreSQL spells it; durations in µs.
 */
import type { Rule } from './index.ts';
import type { VacuumFailure } from './vacuum.ts';

export type LockFact =
  | { readonly kind: 'table-missing'; readonly statement: string; readonly table: string }
  /** A statement did not get its lock, or timed out holding it (`session`: the transaction it aborts). */
  | { readonly kind: 'statement-failed'; readonly who: string; readonly table: string; readonly after: number; readonly failure: VacuumFailure; readonly session: string | null; readonly rule?: Rule }
  /** lock.c LockAcquire: the statement holds its lock (`waited`, µs) and runs for `duration`. */
  | { readonly kind: 'statement-locked'; readonly who: string; readonly mode: string; readonly table: string; readonly waited: number; readonly duration: number; readonly rule: Rule; /** WAL bytes its rewrite or index build writes over its run (vacuum/rewrite-wal.ts). */ readonly wal?: number }
  /** indexcmds.c WaitForOlderSnapshots: a CREATE INDEX CONCURRENTLY waits for these sessions' transactions to end. */
  | { readonly kind: 'statement-waits-for-snapshots'; readonly who: string; readonly table: string; readonly sessions: readonly string[]; readonly rule: Rule }
  /** proc.c ProcSleep (log_lock_waits): a waiter got its lock after waiting at least deadlock_timeout. */
  | { readonly kind: 'lock-acquired-after-wait'; readonly who: string; readonly mode: string; readonly table: string; readonly waited: number; readonly rule: Rule }
  /** proc.c ProcSleep (log_lock_waits): a waiter still waits after deadlock_timeout. */
  | { readonly kind: 'lock-still-waiting'; readonly who: string; readonly mode: string; readonly table: string; readonly rule: Rule }
  /** proc.c ProcSleep (before 9.4 logged): a waiter cancels the autovacuum that blocks it. */
  | { readonly kind: 'autovacuum-cancel-sent'; readonly by: string; readonly table: string; readonly rule: Rule };

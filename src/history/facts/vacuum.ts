/**
 * Facts of sessions, VACUUM and the XID wraparound limits (models/postgres/vacuum): who holds the xmin horizon,
 * what a vacuum run did or why it was cancelled, the warn and stop limits. Durations in µs, sizes in bytes,
 * rates in bytes per second, ages in transactions. `who` and `holder` are a backend's or holder's label as the
 * lock and horizon records name it (`session "s1"`, `slot "x"`), `table` a qualified table name.
 */
import type { Isolation, PgMajor } from '../../scenario/types.ts';
import type { Rule } from './index.ts';

/** Why a vacuum run was cancelled: a lock request it blocked, the statement's timeout, its server stopping. */
export type VacuumCancel =
  /** proc.c ProcSleep: the waiter sends the blocking (non-wraparound) autovacuum a cancel after deadlock_timeout. */
  | { readonly kind: 'lock-conflict'; readonly by: string; readonly mode: string; readonly table: string }
  | { readonly kind: 'statement_timeout' }
  | { readonly kind: 'server-stopped'; readonly node: string };

/** What holds a transaction-ID horizon (vacuum/horizons.ts, xid.ts), as data: the report words it. */
export type HorizonHolder =
  /** A workload's long queries (`queries` read) or long write transactions, each lasting `duration` µs. */
  | { readonly kind: 'queries'; readonly queries: 'read' | 'write'; readonly workload: string; readonly duration: number; readonly database: string }
  /** A query on a standby whose xmin hot_standby_feedback reports. */
  | { readonly kind: 'standby-query'; readonly name: string; readonly node: string }
  | { readonly kind: 'session'; readonly session: 'transaction' | 'prepared transaction' | 'idle-in-transaction session'; readonly name: string; readonly node: string; readonly database: string }
  /** A logical slot's catalog_xmin. */
  | { readonly kind: 'logical-slot'; readonly slot: string; readonly database: string }
  /** A physical slot's xmin (its standby's hot_standby_feedback). */
  | { readonly kind: 'physical-slot'; readonly slot: string }
  /** A standby replaying `delay` µs behind (recovery_min_apply_delay) whose hot_standby_feedback reports its xmin. */
  | { readonly kind: 'delayed-standby'; readonly node: string; readonly delay: number };

/** How a vacuum run ended, when it is logged. */
export type VacuumOutcome =
  | { readonly kind: 'cancelled'; readonly why: VacuumCancel | null }
  /** A holder kept dead rows (`deadKept`) or relfrozenxid (`frozenxidHeld`: an aggressive run's cutoff far in the past). */
  | { readonly kind: 'held'; readonly holder: HorizonHolder; readonly deadKept: boolean; readonly frozenxidHeld: boolean }
  /** `detail`: how long and how fast, for a long run or a manual one. */
  | {
      readonly kind: 'done';
      readonly detail: { readonly duration: number; readonly bytes: number; readonly bytesPerSecond: number; readonly failsafe: boolean; readonly ageBefore: number; readonly ageAfter: number } | null;
    };

/**
 * Why a client's VACUUM or a statement failed: a lock failure (locks/manager.ts LockFailure; `canceled`: the wait
 * ended because the server stopped), or `cancelled`: a VACUUM run cancelled while it ran.
 */
export type VacuumFailure = 'not-available' | 'lock_timeout' | 'statement_timeout' | 'deadlock' | 'canceled' | 'cancelled';

export type VacuumFact =
  /**
   * A session began: its snapshot or its XID (`holds`) holds the xmin horizon at `xmin`; `holds` null: neither, it
   * holds nothing (idle in READ COMMITTED without having written). `hotStandbyFeedback`: a query on a standby,
   * null on the primary.
   */
  | {
      readonly kind: 'xmin-held';
      readonly node: string;
      readonly session: string;
      readonly how: 'standby-query' | 'prepared' | 'idle-in-transaction' | 'transaction';
      readonly xmin: number | null;
      readonly holds: 'snapshot' | 'xid' | null;
      readonly isolation: Isolation;
      readonly hotStandbyFeedback: boolean | null;
      readonly rule: Rule;
    }
  /** postgres.c ProcessInterrupts: idle_in_transaction_session_timeout (`timeout`, µs) ends the session. */
  | { readonly kind: 'idle-session-terminated'; readonly node: string; readonly session: string; readonly timeout: number; readonly rule: Rule }
  /** postgres.c ProcessInterrupts: statement_timeout (`timeout`, µs) cancels the query a session runs, aborting its transaction. */
  | { readonly kind: 'session-query-cancelled'; readonly node: string; readonly session: string; readonly timeout: number; readonly rule: Rule }
  | { readonly kind: 'transaction-ended'; readonly node: string; readonly session: string }
  /** vacuumlazy.c lazy_truncate_heap: a vacuum truncated `bytes` of empty pages at the end of `table`, under an ACCESS EXCLUSIVE lock standbys replay, held `held` µs. */
  | { readonly kind: 'vacuum-truncated'; readonly table: string; readonly bytes: number; readonly held: number; readonly rule: Rule }
  /** vacuumlazy.c lazy_truncate_heap: the conditional lock was not had within 5 s: the empty pages stay. */
  | { readonly kind: 'vacuum-truncate-skipped'; readonly table: string; readonly rule: Rule }
  /** A workload's long reads (`duration`, µs) run into statement_timeout (`timeout`, µs): each is cancelled then. */
  | { readonly kind: 'long-reads-cancelled'; readonly workload: string; readonly duration: number; readonly timeout: number; readonly rule: Rule }
  | { readonly kind: 'vacuum-failed'; readonly who: string; readonly failure: VacuumFailure; readonly rule?: Rule }
  | { readonly kind: 'single-user-vacuum-started'; readonly node: string; readonly database: string; readonly version: PgMajor }
  | { readonly kind: 'single-user-vacuum-done'; readonly node: string; readonly database: string; readonly duration: number }
  /** A statement's effect on its table once it commits (`age`: age(relfrozenxid) after a rewrite or a truncate). */
  | { readonly kind: 'table-dropped'; readonly table: string }
  | { readonly kind: 'table-rewritten'; readonly table: string; readonly effect: 'rewrite' | 'truncate'; readonly age: number; readonly rule?: Rule }
  /** A DELETE committed: its rows are dead rows of the table (n_dead_tup now `dead`). */
  | { readonly kind: 'rows-deleted'; readonly table: string; readonly rows: number; readonly dead: number }
  /** vacuum.c vacuum_open_relation: autovacuum (SKIP_LOCKED) skips a table whose lock it cannot take at once. */
  | { readonly kind: 'autovacuum-skipped'; readonly table: string; readonly rule: Rule }
  /** A vacuum run as logged: by whom, of what, and how it ended. */
  | {
      readonly kind: 'vacuum-run';
      readonly by: 'autovacuum' | 'single-user' | 'manual';
      readonly table: string;
      readonly freeze: boolean;
      readonly antiWraparound: boolean;
      readonly aggressive: boolean;
      readonly outcome: VacuumOutcome;
      readonly rule: Rule;
    }
  /** vacuum.c vac_update_datfrozenxid: the limits recomputed, and the oldest database still past the warn limit. */
  | { readonly kind: 'limits-recomputed-still-warning'; readonly database: string; readonly advanced: boolean; readonly oldest: string; readonly rule: Rule }
  /** varsup.c SetTransactionIdLimit: age(datfrozenxid) below the stop limit again. */
  | { readonly kind: 'xid-stop-lifted'; readonly age: number; readonly rule: Rule }
  /** varsup.c GetNewTransactionId: past the warn limit (`remaining`: XIDs left before wraparound). */
  | { readonly kind: 'xid-warn-limit'; readonly remaining: number; readonly rule: Rule }
  /** varsup.c GetNewTransactionId: past the stop limit. */
  | { readonly kind: 'xid-stop-limit'; readonly rule: Rule };

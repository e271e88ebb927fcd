/**
 * Scenario types of vacuum, sessions and locks (grammar-vacuum.ts decodes them): the settings of autovacuum
 * and of lock waits, and the plan steps a DBA takes (VACUUM, TRUNCATE, DROP TABLE, CHECKPOINT, DDL, a
 * single-user VACUUM after the stop limit). Units as in types.ts: microseconds, bytes, per second.
 */
import type { Micros } from '../engine/time.ts';
import type { LockMode } from '../models/postgres/locks/modes.ts';
import type { StatementEffect } from '../models/postgres/locks/statements.ts';

/** Autovacuum and lock-wait settings (postgres-2.md §5-6 "Numbers"); absent ones take the version's default. */
export interface VacuumSettingsSpec {
  readonly autovacuum?: boolean;
  readonly autovacuumMaxWorkers?: number;
  readonly autovacuumVacuumThreshold?: number;
  readonly autovacuumVacuumScaleFactor?: number;
  /** 13+; null for -1 (inserts never trigger a vacuum). */
  readonly autovacuumVacuumInsertThreshold?: number | null;
  /** 13+. */
  readonly autovacuumVacuumInsertScaleFactor?: number;
  /** 18+; null for -1 (no cap). */
  readonly autovacuumVacuumMaxThreshold?: number | null;
  /** Manual VACUUM's throttling: 0 (the default) is unthrottled. */
  readonly vacuumCostDelay?: Micros;
  readonly vacuumCostLimit?: number;
  /** null for -1 (autovacuum runs are not logged). */
  readonly logAutovacuumMinDuration?: Micros | null;
  /** 9.3+; 0 waits forever. */
  readonly lockTimeout?: Micros;
  readonly statementTimeout?: Micros;
  readonly deadlockTimeout?: Micros;
  readonly logLockWaits?: boolean;
  /** 9.6+; 0 never ends an idle transaction. */
  readonly idleInTransactionSessionTimeout?: Micros;
  /** 18+; 0 never invalidates an idle slot. */
  readonly idleReplicationSlotTimeout?: Micros;
  /** 18+: vacuum truncates empty pages at the end of a table (a table's reloption overrides it). */
  readonly vacuumTruncate?: boolean;
  /** On a standby: how long replay waits for queries in conflict with WAL received by streaming; null for -1 (for ever). */
  readonly maxStandbyStreamingDelay?: Micros | null;
  /** The same for WAL read from the archive or pg_wal; null for -1 (for ever). */
  readonly maxStandbyArchiveDelay?: Micros | null;
}

/** A table of the scenario: `databases.DB.tables.NAME`. */
export interface TableRef {
  readonly database: string;
  readonly table: string;
}

/** The workload's queries on one table (a workload's optional `table:`). */
export interface WorkloadTableSpec {
  readonly table: TableRef;
  /** Read queries per second (SELECT: AccessShareLock, no XID). */
  readonly reads: number;
  /** Fraction of the write transactions that insert a row (the rest update one: a dead row each). */
  readonly inserts: number;
  /** Long reads: a share of its reads runs this long, holding a snapshot and AccessShareLock (null: reads are instant). */
  readonly longReads: LongQueries | null;
  /** Long write transactions: a share of its writes stays open this long with its XID and RowExclusiveLock. */
  readonly longWrites: LongQueries | null;
}

/** A share of a workload's queries that last `duration` (a reporting query, a batch transaction). */
export interface LongQueries {
  readonly duration: Micros;
  /** Fraction of the workload's reads (or writes) that are long. */
  readonly share: number;
}

export type VacuumActionBody =
  /** VACUUM [FREEZE] of a table, or of every table of a database, by a client backend. */
  | {
      readonly kind: 'vacuum';
      readonly cluster: string;
      readonly database: string;
      /** Null: database-wide. */
      readonly table: string | null;
      readonly freeze: boolean;
      /** vacuum_cost_delay / vacuum_cost_limit for this VACUUM (null: the node's). */
      readonly costDelay: Micros | null;
      readonly costLimit: number | null;
      /** VACUUM (TRUNCATE false) (12+): no truncation of empty pages at the end; absent: the table's vacuum_truncate. */
      readonly truncate?: boolean;
    }
  /** A statement that takes a table lock (TRUNCATE and DROP TABLE included), optionally inside a session. */
  | {
      readonly kind: 'ddl';
      readonly cluster: string;
      readonly table: TableRef;
      readonly statement: string;
      readonly lock: LockMode;
      readonly label: string;
      readonly effect: StatementEffect;
      readonly nowait: boolean;
      /** It waits for the older snapshots of its database before it ends (CREATE INDEX CONCURRENTLY). */
      readonly waitsForSnapshots: boolean;
      /** Other tables of the scenario it locks once it has its own (a foreign key's referenced table), in order. */
      readonly others: readonly { readonly table: TableRef; readonly mode: LockMode }[];
      /** How long it runs once it has its lock (null: a table rewrite is estimated from the disk's speed). */
      readonly duration: Micros | null;
      /** Rows a DELETE deletes: dead rows at its commit, a delete record each in the WAL (absent: none). */
      readonly rows?: number;
      /** SET lock_timeout / statement_timeout for this statement (null: the node's setting). */
      readonly lockTimeout: Micros | null;
      readonly statementTimeout: Micros | null;
      /** A session opened by open_transaction: the lock is held until close_transaction. */
      readonly session: string | null;
    }
  /** CHECKPOINT on a node. */
  | { readonly kind: 'checkpoint'; readonly node: string }
  /** Stop the server and VACUUM a database in single-user mode (exempt from the stop limit), then start it. */
  | { readonly kind: 'singleUserVacuum'; readonly node: string; readonly database: string | null };

/** Expectations on lock queues (checkers/locks.ts). */
export type VacuumExpectationBody =
  /** Some statement's wait for a table lock, by who (a substring), table and outcome, lasted within bounds. */
  | {
      readonly kind: 'lockWait';
      readonly who: string | null;
      readonly table: string | null;
      readonly outcome: string | null;
      readonly seconds: { readonly atLeast: number | null; readonly atMost: number | null };
    }
  /** A workload's queries queued behind table locks: for how long in all, how many failed, which share failed or waited past the stall threshold. */
  | {
      readonly kind: 'lockQueue';
      readonly workload: string | null;
      readonly seconds: { readonly atLeast: number | null; readonly atMost: number | null };
      readonly failed: { readonly atLeast: number | null; readonly atMost: number | null };
      readonly share: { readonly atLeast: number | null; readonly atMost: number | null };
    };

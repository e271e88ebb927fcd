/**
 * The decoded scenario: what the models consume. Every value is in the simulator's units (time in
 * microseconds since the scenario's start, sizes in bytes, bandwidth in bytes per second, rates per
 * second); YAML spellings, unit suffixes and wall-clock times exist only in the parser.
 */
import type { Micros } from '../engine/time.ts';
import type { BlockOp, BlockSpec } from './types-block.ts';
import type { HuntSpec } from './grammar-hunt.ts';
import type { LogicalActionBody, SubscriptionSpec } from './types-logical.ts';
import type { TableRef, VacuumActionBody, VacuumExpectationBody, VacuumSettingsSpec, WorkloadTableSpec } from './types-vacuum.ts';
import type { FailoverSpec, GrayFailure, PatroniPause, Switchover, VerdictExpectation } from './types-managers.ts';

/** A transaction's isolation level (BEGIN ISOLATION LEVEL ...). */
export type Isolation = 'read committed' | 'repeatable read' | 'serializable';

/** A PostgreSQL major version as a number that orders correctly: 9.2, 9.3, ... 9.6, 10, 11, ... 18. */
export type PgMajor = number;
/** The majors a scenario may name: the released ones docs/model-postgres.md covers (19 is in development). */
export const SUPPORTED_PG_MAJORS: readonly PgMajor[] = [9.2, 9.3, 9.4, 9.5, 9.6, 10, 11, 12, 13, 14, 15, 16, 17, 18];

export type RecoveryTargetTimeline = 'current' | 'latest' | { readonly tli: number };

export type SynchronousCommit = 'off' | 'local' | 'remote_write' | 'on' | 'remote_apply';

export type ArchiveMode = 'off' | 'on' | 'always';

/** pg_basebackup's options the model uses (rebuild.ts). */
export interface BaseBackupSpec {
  /** The server copied from (a primary, or a standby: a backup from a standby). */
  readonly from: string;
  /** --checkpoint: fast (immediate) or spread (the default). */
  readonly checkpoint: 'fast' | 'spread';
  /** -X: stream (the default from 10) or fetch. */
  readonly walMethod: 'stream' | 'fetch';
  /** --slot: a physical slot on the source that holds the WAL (created if missing; the new standby's primary_slot_name). */
  readonly slot: string | null;
  /** --max-rate, bytes/s (null: unlimited). */
  readonly maxRate: number | null;
  /** Start the server when the copy is done (pg_ctl start). */
  readonly start: boolean;
  /** A name to restore the backup by later (restore_backup, pitr.ts); null: not kept. */
  readonly name: string | null;
}

/** Where point-in-time recovery stops (recovery_target_*; xlogrecovery.c recoveryStopsBefore/After). */
export type RecoveryTarget =
  /** No target: replay all the WAL the archive has (history reason "no recovery target specified"). */
  | { readonly kind: 'latest' }
  /** recovery_target = 'immediate' (9.4+): stop as soon as the backup is consistent. */
  | { readonly kind: 'immediate' }
  /** recovery_target_time: simulated time; `epochMs` is the Unix time of simulated 0 (for log lines). */
  | { readonly kind: 'time'; readonly at: Micros; readonly epochMs: number }
  /** recovery_target_lsn (10+). */
  | { readonly kind: 'lsn'; readonly lsn: number };

/** Restore a named base backup into a stopped node and recover it to a target (pitr.ts). */
export interface RestoreBackupSpec {
  readonly backup: string;
  readonly target: RecoveryTarget;
  /** recovery_target_inclusive (default true): stop after the target rather than before it. */
  readonly inclusive: boolean;
  /** recovery_target_action (9.5+; pause_at_recovery_target before): what the server does at the target. */
  readonly action: 'pause' | 'promote' | 'shutdown';
  /** recovery_target_timeline for this recovery; null: the node's setting (the version's default). */
  readonly timeline: RecoveryTargetTimeline | null;
  /** Start the server (in archive recovery) when the copy is done. */
  readonly start: boolean;
}

/** pg_rewind --source-server (rebuild.ts). */
export interface RewindSpec {
  readonly from: string;
  /** Start the server as a standby of `from` when it is done. */
  readonly start: boolean;
  /** `-c` / `--restore-target-wal` (13+): WAL missing from the target's pg_wal is fetched with its restore_command. */
  readonly restoreTargetWal?: boolean;
}

/** synchronous_standby_names parsed: `FIRST n (a, b)`, `ANY n (a, b)`, a bare list (= FIRST 1), or `*`. */
export interface SynchronousStandbyNames {
  readonly method: 'first' | 'any';
  readonly num: number;
  /** application_name patterns; '*' matches any standby. */
  readonly names: readonly string[];
}

/** Settings as written in the scenario; absent ones take the version's default (models/postgres/settings.ts). */
export interface PgSettingsSpec extends VacuumSettingsSpec {
  readonly recoveryTargetTimeline?: RecoveryTargetTimeline;
  readonly walRetrieveRetryInterval?: Micros;
  readonly synchronousCommit?: SynchronousCommit;
  readonly synchronousStandbyNames?: SynchronousStandbyNames | null;
  readonly applicationName?: string;
  /** Bytes. Written as wal_keep_size (13+) or wal_keep_segments (<=12, converted with wal_segment_size). */
  readonly walKeepSize?: number;
  /** Bytes, 9.5+. */
  readonly maxWalSize?: number;
  /** Up to 9.4: WAL segments between automatic checkpoints (replaced by max_wal_size in 9.5). */
  readonly checkpointSegments?: number;
  /** Fraction of the interval a spread checkpoint takes (0 to 1). */
  readonly checkpointCompletionTarget?: number;
  /** Checkpoints caused by WAL volume closer together than this log "checkpoints are occurring too frequently" (0: never). */
  readonly checkpointWarning?: Micros;
  readonly walSegmentSize?: number;
  readonly checkpointTimeout?: Micros;
  readonly walReceiverTimeout?: Micros;
  readonly walSenderTimeout?: Micros;
  readonly walWriterDelay?: Micros;
  /** 9.4+: a standby replays a commit no earlier than its commit time on the primary plus this. */
  readonly recoveryMinApplyDelay?: Micros;
  readonly hotStandbyFeedback?: boolean;
  /** 17+, on a standby: synchronize its primary's failover logical slots (slotsync.c). */
  readonly syncReplicationSlots?: boolean;
  /** 17+, on a primary: the physical slots whose standbys must confirm WAL before failover slots' consumers get it. */
  readonly synchronizedStandbySlots?: readonly string[];
  /** log_checkpoints: the checkpointer logs each checkpoint's start and end (default on from 15). */
  readonly logCheckpoints?: boolean;
  /** 9.4+, on a standby: the physical slot on its upstream it streams through (null: none). */
  readonly primarySlotName?: string | null;
  /** WAL archiving (postgres-2.md §2.1): off, on, always (9.5+: a standby archives what it receives too). */
  readonly archiveMode?: ArchiveMode;
  /** The archive command's text (for its messages); empty: archiving is not configured. */
  readonly archiveCommand?: string;
  /** archive_timeout: a primary forces a segment switch after this long without one (0: never). */
  readonly archiveTimeout?: Micros;
  /** A standby's restore_command: it takes WAL from the archive before streaming (postgres-2.md §2.2). */
  readonly restoreCommand?: string;
  /** wal_log_hints (9.4+): what pg_rewind needs when the cluster has no data checksums. */
  readonly walLogHints?: boolean;
  /** full_page_writes: the first change of a page after a checkpoint's redo logs the whole page (default on). */
  readonly fullPageWrites?: boolean;
  /** wal_compression (9.5+; on = pglz; lz4 and zstd 15+): full-page images are compressed. */
  readonly walCompression?: 'off' | 'pglz' | 'lz4' | 'zstd';
  /** Data checksums (initdb -k, 9.3+): shared by every server cloned from the same initdb. */
  readonly dataChecksums?: boolean;
  // Freezing and wraparound (postgres.md §4); ages in transaction IDs.
  readonly autovacuumFreezeMaxAge?: number;
  readonly vacuumFreezeMinAge?: number;
  readonly vacuumFreezeTableAge?: number;
  /** 14+. */
  readonly vacuumFailsafeAge?: number;
  readonly autovacuumNaptime?: Micros;
  /** Cost-based vacuum throttling (autovacuum_vacuum_cost_limit / _delay, vacuum_cost_page_miss / _dirty). */
  readonly autovacuumVacuumCostLimit?: number;
  readonly autovacuumVacuumCostDelay?: Micros;
  readonly vacuumCostPageMiss?: number;
  readonly vacuumCostPageDirty?: number;
  /** 13+: bytes, or null for -1 (unlimited). */
  readonly maxSlotWalKeepSize?: number | null;
  /** Client connections the server admits (models/postgres/load.ts); absent: every pool connection is admitted. */
  readonly maxConnections?: number;
  readonly superuserReservedConnections?: number;
  /** primary_conninfo's connect_timeout: bounds a standby's connection attempt up to 9.6 only (reconnect.ts). */
  readonly connectTimeout?: Micros;
  /** Walsender connections the server admits (standbys, pg_basebackup); absent: not limited. */
  readonly maxWalSenders?: number;
  /** Replication slots the server can hold; absent: not limited. */
  readonly maxReplicationSlots?: number;
  /** Logical replication workers a subscriber runs (apply and tablesync); absent: 4. */
  readonly maxLogicalReplicationWorkers?: number;
  /** Tablesync workers per subscription; absent: 2. */
  readonly maxSyncWorkersPerSubscription?: number;
}

export interface SiteSpec {
  readonly name: string;
}

export interface LinkSpec {
  readonly between: readonly [string, string];
  /** Bytes per second. */
  readonly bandwidth: number;
  /** One-way latency. */
  readonly latency: Micros;
  /** The largest TCP window of the hosts' connections over it, bytes (net.ipv4.tcp_wmem/tcp_rmem maxima; default tcp/connection.ts DEFAULT_TCP_WINDOW). */
  readonly tcpWindow?: number;
}

/** The server's storage, where it matters: a full pg_wal volume stops the server; vacuum I/O competes with writes. */
export interface StorageSpec {
  /** Capacity of the volume holding pg_wal, bytes (null: unlimited). */
  readonly walVolume: number | null;
  /** Sequential throughput of the data volume, bytes/s (null: not modelled; an unthrottled vacuum then runs at 500 MB/s). */
  readonly throughput: number | null;
  /** Latency of a WAL fsync on this server: a standby's flush trails what its walreceiver wrote by this (0: none). */
  readonly walFsync?: Micros;
  /** Bytes per second the archive_command copies to the archive (default 100 MB/s). */
  readonly archiveThroughput?: number;
  /** Bytes per second the restore_command copies from the archive (default 100 MB/s). */
  readonly restoreThroughput?: number;
  /** Size of the data directory, bytes: what pg_basebackup copies from this server (default 1 GiB). */
  readonly dataSize?: number;
  /** How fast a standby's startup process replays WAL, bytes/s (absent: unlimited). */
  readonly replayRate?: number;
}

export interface NodeSpec {
  readonly name: string;
  readonly site: string;
  readonly version: PgMajor;
  readonly storage: StorageSpec;
  readonly role: 'primary' | 'standby';
  /** Upstream node for a standby (a primary or another standby: cascading); null for a primary. */
  readonly upstream: string | null;
  /** The timeline a primary starts on (standbys start on their upstream's). */
  readonly timeline: number;
  readonly settings: PgSettingsSpec;
  /** What the node can serve (models/postgres/load.ts); absent: no limit of its own. */
  readonly capacity?: CapacitySpec;
}

/** The write transactions a node can commit per second, and how a cold cache lowers that after a (re)start or promotion. */
export interface CapacitySpec {
  /** Transactions per second the node can commit when its cache is warm. */
  readonly txPerSecond: number;
  /** After the node starts or is promoted it serves `serves` of its capacity, rising linearly to all of it over `warmup`. */
  readonly coldCache: { readonly serves: number; readonly warmup: Micros } | null;
}

/** A pool of clients: application servers at one site, writing to one node (they follow routing changes). */
export interface WorkloadSpec {
  /** Name of the pool ("clients" for a cluster's single `workload:`). */
  readonly name: string;
  /** The node the clients send writes to at the start. */
  readonly target: string;
  /** The site the clients (application servers) are in. */
  readonly site: string;
  /** Write transactions offered per second. */
  readonly rate: number;
  /** WAL bytes per write transaction (commit record included). */
  readonly walPerTx: number;
  /**
   * Bytes of the pages its writes change (the working set): with it, `walPerTx` excludes full-page images and
   * the model adds them after each checkpoint's redo point (full-page-images.ts); absent: none are added.
   */
  readonly workingSet?: number;
  /** Distinct pages a write transaction changes (with workingSet; default 1). */
  readonly pagesPerTx?: number;
  /** Concurrent client connections: how many commits can wait for a synchronous standby at once. */
  readonly connections: number;
  /**
   * How long a request waits in the client pool for a connection before it fails (HikariCP connectionTimeout,
   * pgbouncer query_wait_timeout); null: it waits as long as it takes. Absent in older scenarios: null.
   */
  readonly queueTimeout?: Micros | null;
  /** Clients retry a failed request (models/postgres/client-retries.ts); absent: they do not. */
  readonly retries?: RetrySpec;
  /** The table its queries read and write (their table locks); absent: locks are not modelled. */
  readonly table?: WorkloadTableSpec;
}

/** A client's retries of a failed request: the k-th waits min(backoff × multiplier^(k-1), maxBackoff) after the previous failure. */
export interface RetrySpec {
  readonly count: number;
  readonly backoff: Micros;
  readonly multiplier: number;
  readonly maxBackoff: Micros;
}

export type { FailoverPolicy, FailoverSpec } from './types-managers.ts';

/**
 * A group of relations that vacuum treats alike: user tables, or the system catalogs (which only a logical
 * slot's catalog_xmin holds back as well).
 */
export interface TableSpec {
  readonly name: string;
  readonly database: string;
  /** Bytes. */
  readonly size: number;
  /** A system catalog (pg_catalog): held back by logical slots' catalog_xmin too. */
  readonly catalog: boolean;
  /** Bytes per second of dead rows that only vacuum removes (they accumulate while a horizon holds them). */
  readonly churn: number;
  /** Fraction of the relation an aggressive vacuum reads (the rest is all-frozen in the visibility map). */
  readonly vacuumScan: number;
  /** age(relfrozenxid) at the start; null: drawn from the seeded stream `xid/initial-age/<table>`. */
  readonly frozenAge: number | null;
  /** pg_class.reltuples (default: size / 128 bytes). */
  readonly rows?: number;
  /**
   * Bytes at the end of the table whose rows are all dead at the start (a DELETE of its newest rows, a drained
   * queue): part of `size`; the first vacuum that removes them truncates the file (absent: none).
   */
  readonly emptyTail?: number;
  /** The vacuum_truncate reloption (12+); absent: on. */
  readonly vacuumTruncate?: boolean;
  /** Bytes of its indexes (pg_indexes_size), rebuilt by a rewrite; absent: one btree (vacuum/rewrite-wal.ts). */
  readonly indexes?: number;
}

export interface DatabaseSpec {
  readonly name: string;
  readonly tables: readonly TableSpec[];
}

export type SlotKind = 'physical' | 'logical';

export interface SlotSpec {
  readonly name: string;
  /** The server the slot lives on (the primary). */
  readonly node: string;
  readonly kind: SlotKind;
  /** Logical slots belong to a database. */
  readonly database: string | null;
  /** Whether a consumer is streaming from it (an active consumer keeps restart_lsn and the xmins current). */
  readonly consumer: 'active' | 'stopped';
  /** Physical slots: the standby reports its xmin (hot_standby_feedback), which holds every table. */
  readonly hotStandbyFeedback: boolean;
  /**
   * 17+, logical slots: created with failover = true, so a standby with sync_replication_slots synchronizes it and
   * it goes on after that standby's promotion (slotsync.c). Absent: false.
   */
  readonly failover?: boolean;
}

export interface ClusterSpec {
  readonly name: string;
  readonly nodes: readonly NodeSpec[];
  /** Client pools; two pools at two sites can write to two primaries at once (split brain). */
  readonly workloads: readonly WorkloadSpec[];
  /** Failover managers; more than one (say, one per site) may disagree about the leader. */
  readonly failover: readonly FailoverSpec[];
  /** LSN of the primary's insert position at the start (standbys start caught up). */
  readonly startLsn: number;
  /** Whether WAL is archived (with a base backup from before the start): decides what PITR could recover. */
  readonly walArchive: boolean;
  /** Databases and their relations, for freezing and XID wraparound (empty: XIDs are not modelled). */
  readonly databases: readonly DatabaseSpec[];
  /** Replication slots existing at the start. */
  readonly slots: readonly SlotSpec[];
  /** Where the WAL archive is (when a node archives or restores): a site. Absent: the first primary's site. */
  readonly archive?: { readonly site: string };
}

export type AlertMetric = 'max_xid_age' | 'slot_lag' | 'pg_wal_size';

/** An alert rule on a metric, as a monitoring system would have it: above a threshold for a while. */
export interface AlertSpec {
  readonly name: string;
  readonly cluster: string;
  readonly metric: AlertMetric;
  readonly above: number;
  readonly for: Micros;
}

export type PartitionTarget =
  | { readonly kind: 'node'; readonly node: string }
  | { readonly kind: 'link'; readonly sites: readonly [string, string] };

export type ConfigureRestart = 'auto' | 'never';

/**
 * pg_ctl stop's shutdown modes (postmaster.c pmdie): smart (SIGTERM) waits for the client sessions to end, fast
 * (SIGINT) aborts them, immediate (SIGQUIT) kills every process without a shutdown checkpoint.
 */
export type StopMode = 'smart' | 'fast' | 'immediate';

/** A timed step of the plan or a fault. */
export type ActionBody =
  | { readonly kind: 'promote'; readonly node: string }
  /** A step of the block-replication world (types-block.ts): connect, disconnect, adjust, disk jobs, host loss. */
  | { readonly kind: 'block'; readonly step: BlockOp }
  | { readonly kind: 'repoint'; readonly node: string; readonly upstream: string }
  | { readonly kind: 'configure'; readonly node: string; readonly settings: PgSettingsSpec; readonly restart: ConfigureRestart }
  /** Re-point a workload's clients (all the cluster's workloads when `workload` is null) to `node`. */
  | { readonly kind: 'routeWrites'; readonly cluster: string; readonly node: string; readonly workload: string | null }
  | { readonly kind: 'blockClients'; readonly node: string }
  /** pg_cancel_backend / pg_terminate_backend on every backend of `node` waiting for synchronous standbys. */
  | { readonly kind: 'endSyncWaits'; readonly node: string; readonly how: 'cancel' | 'terminate' }
  | { readonly kind: 'unblockClients'; readonly node: string }
  | { readonly kind: 'partition'; readonly target: PartitionTarget }
  | { readonly kind: 'heal'; readonly target: PartitionTarget }
  /** pg_basebackup into `node` (stopped, empty data directory) from `spec.from` (rebuild.ts); node null: into the backup store at the archive's site. */
  | { readonly kind: 'basebackup'; readonly node: string | null; readonly spec: BaseBackupSpec }
  /** Replace a stopped node's data directory with a named base backup and recover it to a target (pitr.ts). */
  | { readonly kind: 'restoreBackup'; readonly node: string; readonly spec: RestoreBackupSpec }
  /** Stop `node` (immediate), empty its data directory, and pg_basebackup it from `spec.from`. */
  | { readonly kind: 'reclone'; readonly node: string; readonly spec: BaseBackupSpec }
  | { readonly kind: 'pgRewind'; readonly node: string; readonly spec: RewindSpec }
  /** The node's data directory is emptied (a running server crashes first). */
  | { readonly kind: 'destroyData'; readonly node: string }
  /** The node's archive_command fails (exit code `exitCode`) from `at` until `until`. */
  | { readonly kind: 'archiveFails'; readonly node: string; readonly until: Micros; readonly exitCode: number }
  /** `host`: the host died (power, kernel panic): the page cache is lost with the server. */
  | { readonly kind: 'crash'; readonly node: string; readonly host?: true }
  /** pg_ctl restart / stop -m `mode`; absent: pg_ctl's default for the node's version (models/postgres/pg-ctl.ts). */
  | { readonly kind: 'restart'; readonly node: string; readonly mode?: StopMode }
  | { readonly kind: 'stop'; readonly node: string; readonly mode?: StopMode }
  | { readonly kind: 'start'; readonly node: string }
  | { readonly kind: 'workload'; readonly cluster: string; readonly workload: string | null; readonly rate?: number; readonly walPerTx?: number }
  | { readonly kind: 'assess'; readonly cluster: string | null }
  | { readonly kind: 'createSlot'; readonly cluster: string; readonly slot: SlotSpec }
  | { readonly kind: 'dropSlot'; readonly cluster: string; readonly slot: string }
  | { readonly kind: 'stopConsumer'; readonly cluster: string; readonly slot: string }
  | { readonly kind: 'startConsumer'; readonly cluster: string; readonly slot: string }
  /** A long-running (or prepared, which survives restarts) transaction holding the xmin horizon. */
  | {
      readonly kind: 'openTransaction';
      readonly node: string;
      readonly transaction: string;
      readonly prepared: boolean;
      /** The database the session is connected to (default: the cluster's first). */
      readonly database?: string | null;
      /** Idle in transaction (idle_in_transaction_session_timeout may end it) rather than running a query. */
      readonly idle?: boolean;
      /** Its isolation level (absent: READ COMMITTED, the server's default_transaction_isolation). */
      readonly isolation?: Isolation;
      /** Whether it has written (it then has an XID); absent: true on a primary (a standby's cannot write). */
      readonly wrote?: boolean;
      /** The tables it has read (AccessShareLock on each); absent: every table of its database. */
      readonly tables?: readonly TableRef[];
      /** It commits by itself after this long (µs); absent: until close_transaction. */
      readonly duration?: Micros;
    }
  | { readonly kind: 'closeTransaction'; readonly cluster: string; readonly transaction: string }
  /** Vacuum, DDL, CHECKPOINT and single-user steps (types-vacuum.ts). */
  | VacuumActionBody
  | LogicalActionBody
  /** Packet loss, one-way partitions, slow nodes (types-managers.ts). */
  | GrayFailure
  | Switchover
  | PatroniPause;

export type Action = ActionBody & {
  readonly at: Micros;
  /** Optional name, used by --set paths (plan.NAME.at) and in the report. */
  readonly name: string | null;
  readonly source: 'plan' | 'faults';
};

export interface Bounds {
  readonly atLeast: number | null;
  readonly atMost: number | null;
}

export type ExpectationBody =
  | { readonly kind: 'noDataLoss'; readonly cluster: string | null }
  | {
      readonly kind: 'dataLoss';
      readonly cluster: string | null;
      readonly timeline: number | null;
      /** Every lost range must lie within [from - tolerance, to + tolerance], and one must exist. */
      readonly window: { readonly from: Micros; readonly to: Micros; readonly tolerance: Micros } | null;
      readonly commits: Bounds;
      readonly recoverableByPitr: boolean | null;
    }
  | { readonly kind: 'noOutage'; readonly cluster: string | null }
  | { readonly kind: 'outage'; readonly cluster: string | null; readonly seconds: Bounds }
  | { readonly kind: 'noStall'; readonly cluster: string | null }
  /** Block replication stalls (grammar-block.ts); `cluster` is the resource. */
  | { readonly kind: 'stalls'; readonly cluster: string | null; readonly bottleneck: string | null; readonly count: Bounds; readonly seconds: Bounds }
  /** Nodes powered off by STONITH (grammar-block.ts, models/block/pacemaker): how many times, of one node or of any. */
  | { readonly kind: 'fenced'; readonly node: string | null; readonly count: Bounds }
  | {
      readonly kind: 'xid';
      readonly cluster: string | null;
      /** Bounds on the largest age(datfrozenxid) reached. */
      readonly maxAge: Bounds;
      /** Whether writes stopped at the wraparound limit. */
      readonly stopped: boolean | null;
      /** The age at the end. */
      readonly endAge: Bounds;
    }
  | { readonly kind: 'alert'; readonly alert: string; readonly fired: boolean; readonly window: { readonly from: Micros; readonly to: Micros } | null }
  /** Lock waits and queues (types-vacuum.ts). */
  | VacuumExpectationBody
  | {
      readonly kind: 'nodeState';
      readonly node: string;
      readonly timeline: number | null;
      readonly role: 'primary' | 'standby' | null;
      readonly receiver: 'streaming' | 'waiting' | 'stopped' | null;
    };

export type Expectation = (ExpectationBody | VerdictExpectation) & { readonly name: string };

export interface Scenario {
  readonly name: string;
  readonly description: string;
  /** The file it was read from (for messages); '<memory>' when built in code. */
  readonly file: string;
  readonly variant: string | null;
  /** Milliseconds since the Unix epoch of simulated time 0. */
  readonly startEpochMs: number;
  /** IANA zone (Asia/Tokyo) or fixed offset (UTC+09:00) used to print times. */
  readonly timezone: string;
  /** Simulated time at which the run ends. */
  readonly end: Micros;
  readonly seed: number;
  /** Writes slower than this count as a stall. */
  readonly stallThreshold: Micros;
  readonly sites: readonly SiteSpec[];
  readonly links: readonly LinkSpec[];
  /** Bandwidth and latency between nodes of one site. */
  readonly localLink: { readonly bandwidth: number; readonly latency: Micros };
  readonly clusters: readonly ClusterSpec[];
  /** Plan steps and faults, sorted by time (stable: file order at equal times). */
  readonly actions: readonly Action[];
  readonly expectations: readonly Expectation[];
  readonly alerts: readonly AlertSpec[];
  /** Disks, hosts and replicated block devices (DRBD, md, WalB); absent when the scenario has none. */
  readonly block?: BlockSpec;
  /** Bounds of replsim hunt's search for a failing fault schedule (grammar-hunt.ts); absent: none declared. */
  readonly hunt?: HuntSpec;
  /** Logical replication subscriptions between clusters (types-logical.ts); absent: none. */
  readonly subscriptions?: readonly SubscriptionSpec[];
}

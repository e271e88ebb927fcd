/**
 * Why a workload's writes fail (an outage) or wait past the stall threshold (a stall): the cause of a write-status
 * interval (history.ts setWriteStatus), recorded by the PostgreSQL writes model (models/postgres/writes.ts), its
 * lock queues (locks/manager.ts) and the block world (models/block). Data only: the report's sentence is
 * src/report/facts/templates/writes.ts; checkers match on `kind`.
 *
 * A cause is one interval while it stands: figures that move continuously (a confirmation rate, a commit's
 * delay) are recorded rounded to the figure the report shows (`roundFigure`), so that a figure moving within
 * its rounding is the same cause and not a new interval at every recomputation.
 */
import type { SequenceBehindFact } from './logical.ts';
import type { SynchronousCommit } from '../../scenario/types.ts';
import type { Micros } from '../../engine/time.ts';

/** A node made slow by a `slow_node` fault (service.ts): each factor that is not 1, null when none is. */
export interface Slowdown {
  readonly node: string;
  /** CPU factor (each request gets 1/cpu of a core), or null when 1. */
  readonly cpu: number | null;
  /** fsync slowdown and the resulting fsync time (ms), or null when 1. */
  readonly disk: { readonly factor: number; readonly fsyncMs: number } | null;
  /** Throughput share left (0..1) and the bytes/s it leaves, or null when 1. */
  readonly throughput: { readonly share: number; readonly bytesPerSecond: number } | null;
}

/** A party of a lock queue as the cause names it: a backend's label and its lock mode. */
export interface LockQueueParty {
  readonly who: string;
  readonly mode: string;
}

/** What limits the transactions per second a node commits, when a pool's requests queue for a connection. */
/**
 * remote_apply: a synchronous standby's replay stands at a record in conflict with its queries (conflicts.ts),
 * so it confirms nothing until they end or max_standby_streaming_delay cancels them.
 */
export interface SyncReplayHeld {
  readonly kind: 'sync-replay-held';
  readonly node: string;
  readonly standby: string;
  readonly conflict: 'snapshot' | 'lock';
  readonly table: string;
  readonly queries: readonly string[];
}

/**
 * The stream of the synchronous standby that releases commits last carries all it can (stream-plan.ts
 * connectionOf): the line's share, one TCP window per round trip, packet loss, or the standby's disk;
 * `bytesPerSecond` is what it carries.
 */
/** A statement whose WAL commits wait behind: its name and label as the plan gives them, and the WAL it writes. */
export interface StatementWalFact {
  readonly who: string;
  readonly wal: number;
}

export interface SyncStreamBound {
  readonly standby: string;
  readonly bound: 'line' | 'window' | 'loss' | 'disk';
  readonly bytesPerSecond: number;
}

export type CommitLimit =
  /** The disk's throughput (`bytesPerSecond`, collapsed or as given) binds: its WAL cannot be written faster (load.ts diskLimit). */
  | { readonly kind: 'disk'; readonly txPerSecond: number; readonly slowdown: Slowdown | null; readonly bytesPerSecond: number }
  /** The node's `capacity`, less while a cold cache warms (`coldCache`: the share served at first, the warm-up µs). */
  | { readonly kind: 'capacity'; readonly txPerSecond: number; readonly coldCache: { readonly serves: number; readonly warmup: number } | null }
  /**
   * Commits wait for synchronous standbys that confirm only `txPerSecond` of them (a thin link, a slow flush or
   * replay, or `connections` each waiting a round of `roundMs`: Little's law). syncrep.c SyncRepWaitForLSN.
   */
  /** `standbys`: the synchronous standbys whose confirmations release them (FIRST n: the chosen; ANY n: the quorum). `behind`: the commits wait behind the WAL of a statement (a table rewrite, an index build: statement-wal.ts). */
  | { readonly kind: 'synchronous-standbys'; readonly txPerSecond: number; readonly connections: number; readonly roundMs: number; readonly standbys: readonly string[]; readonly held?: SyncReplayHeld; readonly stream?: SyncStreamBound; readonly behind?: StatementWalFact }
  /**
   * `connections` connections each commit one transaction at a time, taking `commitMs` each (the WAL fsync and
   * the CPU, stretched on a slowed node): at most connections / commitMs per second (Little's law).
   */
  | { readonly kind: 'connections'; readonly txPerSecond: number; readonly connections: number; readonly commitMs: number; readonly slowdown: Slowdown | null };

export type WriteCauseFact =
  /** Inserts on a subscriber after the cut-over: nextval hands out keys the replicated rows hold (logical.ts). */
  | SequenceBehindFact
  // Refusals (outages): writes cannot be accepted at all.
  | { readonly kind: 'no-write-target' }
  /** `shutting-down`: a clean shutdown whose walsenders still send standbys their backlog (drains.ts). */
  /** `panic`: a crash the server made itself (its pg_wal volume full). */
  | { readonly kind: 'target-down'; readonly node: string; readonly how: 'crashed' | 'stopped' | 'shutting-down'; readonly panic?: { readonly kind: 'pg-wal-full'; readonly volume: number } }
  /** The server does not start; `message`: its FATAL line. */
  | { readonly kind: 'target-failed'; readonly node: string; readonly message: string }
  | { readonly kind: 'clients-cut-off'; readonly site: string; readonly node: string }
  | { readonly kind: 'clients-blocked'; readonly node: string }
  /** `promoting`: its promotion waits for the startup process to replay the WAL it received (replay.ts). */
  | { readonly kind: 'target-in-recovery'; readonly node: string; readonly promoting: boolean }
  /** postinit.c InitPostgres: max_connections leaves no slot beyond the reserved ones. */
  | { readonly kind: 'no-client-slots'; readonly node: string; readonly maxConnections: number | null; readonly superuserReserved: number; readonly version: number }
  /** varsup.c GetNewTransactionId: past the stop limit; `message`: the server's ERROR. */
  | { readonly kind: 'xid-stop-refusal'; readonly node: string; readonly message: string }
  | { readonly kind: 'relation-dropped'; readonly relation: string }
  /**
   * The workload's queries wait in a table's lock queue (locks/manager.ts): `modes` of its queries blocked,
   * `mode` the first group's, behind `waiters` (in queue order) and `holders`; `failing`: they fail after
   * lock_timeout/statement_timeout (an outage).
   */
  | {
      readonly kind: 'lock-queue';
      readonly table: string;
      readonly workload: string;
      readonly modes: readonly string[];
      readonly mode: string;
      readonly holders: readonly LockQueueParty[];
      readonly waiters: readonly LockQueueParty[];
      readonly failing: boolean;
    }
  // Stalls: writes are accepted but wait.
  /** A pool offers more than the node commits: its requests queue for a connection (load.ts). `queueTimeout` µs. */
  | { readonly kind: 'pool-queue'; readonly node: string; readonly limit: CommitLimit; readonly pool: string; readonly offered: number; readonly queueTimeout: number | null }
  /** Vacuum and WAL together reach the data volume's throughput (bytes/s). */
  | { readonly kind: 'volume-saturated'; readonly node: string; readonly tables: readonly string[]; readonly vacuumBytesPerSecond: number; readonly throughput: number }
  /** Each commit waits `seconds` (rounded to 0.1) on a slowed node. */
  | { readonly kind: 'slow-commits'; readonly node: string; readonly seconds: number; readonly slowdown: Slowdown | null }
  /**
   * syncrep.c SyncRepWaitForLSN: fewer listed standbys stream than synchronous_standby_names asks for.
   * `heldLevel`, `newLevel`: the commits wait under synchronous_commit = heldLevel, though it has since been
   * changed to newLevel (a reload changes the level of later commits only: writes.ts HeldCommits).
   */
  | { readonly kind: 'sync-standbys-missing'; readonly node: string; readonly method: 'first' | 'any'; readonly num: number; readonly names: readonly string[]; readonly streaming: readonly string[]; readonly heldLevel?: SynchronousCommit; readonly newLevel?: SynchronousCommit }
  /**
   * cut-walsenders.ts: a synchronous standby a network cut silenced: its walsender on `node` lives on until
   * wal_sender_timeout (µs; 0: until TCP gives up), at `exitAt` (µs), and commits wait for it meanwhile;
   * `others`: more synchronous standbys whose walsenders the cut silenced (ANY n: none of them can release them).
   */
  | { readonly kind: 'sync-standby-cut-off'; readonly node: string; readonly standby: string; readonly walSenderTimeout: number; readonly exitAt: Micros; readonly heldLevel?: SynchronousCommit; readonly newLevel?: SynchronousCommit; readonly others?: readonly string[] }
  /**
   * walsender.c ProcessStandbyReplyMessage: the synchronous standbys (`standbys`, node names) have
   * confirmed the waiting commits, but their walsenders release them only at a reply, which an idle standby
   * sends every wal_receiver_status_interval (`statusInterval`, µs).
   */
  | { readonly kind: 'sync-standby-reply'; readonly node: string; readonly standbys: readonly string[]; readonly statusInterval: number }
  | SyncReplayHeld
  /**
   * The synchronous standbys (`standbys`, whose confirmations release the commits) confirm fewer commits/s than
   * offered: each waits `seconds` (Little's law; null: none is confirmed).
   */
  | { readonly kind: 'sync-confirm-rate'; readonly commitsPerSecond: number; readonly offered: number; readonly seconds: number | null; readonly standbys: readonly string[] }
  // Block replication (models/block): the primary of a resource is gone or stopped.
  | { readonly kind: 'primary-disk-failed'; readonly disk: string; readonly resource: string; readonly host: string }
  /** The primary, Diskless since its disk failed, lost its connection to the peer (`node`) that served its I/O. */
  | { readonly kind: 'diskless-peer-lost'; readonly disk: string; readonly resource: string; readonly host: string; readonly node: string }
  | { readonly kind: 'primary-host-lost'; readonly host: string; readonly resource: string }
  /** DRBD 9 on-no-quorum io-error: the Primary lost quorum (models/block/quorum.ts). */
  | { readonly kind: 'drbd-no-quorum'; readonly resource: string; readonly host: string }
  /** pacemaker no-quorum-policy stop/demote: the primary's partition has no quorum. */
  | { readonly kind: 'no-quorum-stop'; readonly policy: string; readonly host: string }
  /** drbdadm secondary on the primary (a planned switchover): the application was stopped to close the device. */
  | { readonly kind: 'block-demoted'; readonly resource: string; readonly host: string };

/** A figure rounded as the report shows it: whole from 10 up, else one decimal. */
export function roundFigure(x: number): number {
  return x >= 10 ? Math.round(x) : Math.round(x * 10) / 10;
}

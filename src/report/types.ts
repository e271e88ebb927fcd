/** The report: what `replsim run --json` prints (docs/report.md documents every field). */
import type { RequestsJson } from './requests.ts';
import type { FactJson } from './facts/json.ts';
import type { DecidedBy } from '../history/facts/managers.ts';

export interface CauseStepJson {
  readonly text: string;
  /** The step as data (history/facts), where it has a fact kind; `text` is its prose. */
  readonly fact?: FactJson;
  readonly log: readonly string[];
}

export interface DataLossJson {
  readonly cluster: string;
  readonly timeline: number;
  /** The node that acknowledged the lost commits. */
  readonly node: string;
  readonly from: string;
  readonly to: string;
  readonly commits: number;
  readonly walBytes: number;
  readonly fromLsn: string;
  readonly toLsn: string;
  readonly recoverableByPitr: boolean;
  readonly pitr: string;
  /** A table whose rows were lost whole (a subscription's initial copy not done at the cut-over), instead of a range of commits. */
  readonly table?: { readonly name: string; readonly rows: number; readonly bytes: number };
  readonly cause: readonly CauseStepJson[];
}

export interface OutageJson {
  readonly cluster: string;
  readonly workload: string;
  readonly node: string | null;
  readonly from: string;
  readonly to: string;
  readonly seconds: number;
  /** Why, in prose (the text renderer of `causeFact`, or a block stall's chain joined). */
  readonly cause: string;
  /** Why, as data (history/facts/writes.ts): absent on a block stall, whose steps carry theirs. */
  readonly causeFact?: FactJson;
  /** How it ended, in prose (times in the report's clock): what changed when it closed ("it still held when the run ended"). */
  readonly end?: string;
  /** How it ended, as data (history/facts/write-end.ts; times ISO). */
  readonly endFact?: FactJson;
  /** A lock queue: who held and who waited ahead, one fact per step, the holder first (checkers/locks.ts). */
  readonly chain?: readonly CauseStepJson[];
  /** A lock queue: the workload's queries in it (fluid counts). */
  readonly requests?: { readonly arrived: number; readonly failed: number; readonly slow: number };
}

/** A stall has an outage's fields and the worst commit latency seen. */
export interface StallJson extends OutageJson {
  readonly maxLatencyMs: number;
  /** Block replication: where the back-pressure path ends (local-disk, peer-disk, line, peer-latency, peer-unreachable). */
  readonly bottleneck?: string;
  /** Block replication: the back-pressure path, one fact per step, root first. */
  readonly chain?: readonly CauseStepJson[];
}

/**
 * Block replication: writes completing well below the application's offer while none waits past the stall
 * threshold (a throughput shortfall: the queue depth caps the wait, the rate falls). Writes/s at the worst instant.
 */
export interface ShortfallJson {
  readonly cluster: string;
  readonly workload: string;
  readonly node: string;
  readonly from: string;
  readonly to: string;
  readonly seconds: number;
  readonly offered: number;
  readonly achieved: number;
  readonly latencyMs: number;
  readonly bottleneck: string;
  readonly chain: readonly CauseStepJson[];
}

/** A time series for charts (block replication: write latency, buffer fill): [time, value] points. */
export interface SeriesJson {
  readonly name: string;
  readonly points: readonly (readonly [string, number])[];
}

/** An operation refused or without effect (Report.refusals): the event that says so. */
export interface RefusalJson {
  readonly at: string;
  readonly cluster: string | null;
  readonly node: string | null;
  readonly message: string;
  readonly fact: FactJson;
}

export interface EventJson {
  readonly at: string;
  readonly cluster: string | null;
  readonly node: string | null;
  readonly kind: string;
  /** What happened, in prose (the text renderer of `fact`). */
  readonly message: string;
  /** What happened, as data (history/facts; WAL positions written as in the rest of the report). */
  readonly fact: FactJson;
  readonly log: readonly string[];
  /** The same message again: `count` times in all, the last at `last`, the second at `second` (when known). */
  readonly repeated?: { readonly count: number; readonly last: string; readonly second?: string };
}

/** A replicated block device at the end of the run (block: resources): its connection and its peer's disk, as drbdadm status shows them. */
export interface DeviceJson {
  readonly resource: string;
  /** drbd, md (a RAID-1 with a write-mostly leg) or walb. */
  readonly replication: 'drbd' | 'md' | 'walb';
  readonly primary: string;
  readonly secondary: string | null;
  /** The connection state (drbdadm cstate): Connected, SyncSource, Ahead, Connecting, StandAlone... */
  readonly connection: string;
  /** Why a StandAlone or Connecting resource is so, in words. */
  readonly reason: string | null;
  /** The same as data (history/facts/block-why.ts ConnReason). */
  readonly reasonFact?: { readonly kind: string } & Readonly<Record<string, unknown>>;
  /** The peer's disk state (UpToDate, Inconsistent, Outdated, Failed). */
  readonly peerDisk: string;
  /** Bytes marked out of sync in the bitmap. */
  readonly outOfSync: number;
  /** Hosts of the resource that are down at the end (lost, or powered off by fencing). */
  readonly hostsDown: readonly string[];
}

export interface NodeJson {
  readonly name: string;
  readonly cluster: string;
  readonly version: string;
  readonly state: string;
  readonly role: 'primary' | 'standby';
  readonly timeline: number;
  /** The WAL written: inserted on a primary, received (written by the walreceiver) on a standby. */
  readonly lsn: string;
  /** The WAL flushed to disk (behind `lsn` by the WAL writer's or the standby's fsync lag). */
  readonly flushLsn: string;
  /** A standby's replay position (behind its flush by recovery_min_apply_delay); null on a primary. */
  readonly replayLsn: string | null;
  readonly receiver: 'streaming' | 'waiting' | 'stopped';
  readonly upstream: string | null;
  readonly history: string;
  /** pg_wal at the end: whole segments from the oldest kept to the one being written, bytes. */
  readonly pgWalSize?: number;
  /** The replication slots on this server, as pg_replication_slots shows them at the end. */
  readonly slots?: readonly SlotJson[];
  /** Its archiver at the end (archive_mode on, or always on a standby): null when it does not archive. */
  readonly archive?: { readonly archivedLsn: string; readonly backlogBytes: number; readonly failing: boolean } | null;
}

export interface SlotJson {
  readonly name: string;
  readonly type: 'physical' | 'logical';
  readonly active: boolean;
  /** Null once invalidated. */
  readonly restartLsn: string | null;
  /** 13+: reserved, extended, unreserved or lost; null before 13. */
  readonly walStatus: string | null;
  /** 13+ with max_slot_wal_keep_size set, not lost: bytes writable before the slot is in danger. */
  readonly safeWalSize: number | null;
  /** The standby streaming through it (primary_slot_name), or null. */
  readonly standby: string | null;
}

export interface ExpectationJson {
  readonly name: string;
  readonly passed: boolean;
  readonly detail: string;
}

export interface AssessmentJson {
  readonly at: string;
  readonly cluster: string;
  readonly survivor: string | null;
  readonly dataLoss: readonly DataLossJson[];
}

/** Transaction ID age of a cluster over the run (age(datfrozenxid), as MaximumUsedTransactionIDs). */
export interface XidJson {
  readonly cluster: string;
  readonly version: string;
  readonly maxAge: number;
  readonly maxAgeAt: string;
  readonly endAge: number;
  /** The first WARNING "database ... must be vacuumed within N transactions", or null. */
  readonly firstWarningAt: string | null;
  /** When writes stopped at the wraparound limit, or null. */
  readonly stopAt: string | null;
  /**
   * Where the age would reach the stop limit (vacuum/projection.ts): at the end's XID rate while a holder pins
   * the horizon or nothing has frozen yet, else where rising saw-tooth peaks meet it; null when no stop is ahead.
   */
  readonly projectedStopAt: string | null;
  readonly warnAge: number;
  readonly stopAge: number;
  /** age(datfrozenxid) of each database at the end. */
  readonly databases: readonly { readonly name: string; readonly age: number }[];
  /** What held the horizon back, from when, at which XID. */
  readonly cause: readonly CauseStepJson[];
}

export interface VacuumJson {
  readonly cluster: string;
  readonly node: string;
  readonly table: string;
  readonly from: string;
  readonly to: string | null;
  readonly seconds: number;
  readonly mode: 'regular' | 'aggressive' | 'failsafe';
  readonly mbPerSecond: number;
  readonly result: string;
  /** Why it ran: anti-wraparound, dead rows, inserts, manual, single-user. */
  readonly trigger?: string;
  /** Consecutive identical runs of the table collapsed into this entry (an autovacuum retry loop); from the first to the last. */
  readonly runs?: number;
  /** age(relfrozenxid) of the table before and after the vacuum. */
  readonly ageBefore?: number;
  readonly ageAfter?: number;
  /** The horizon holder that kept it from freezing, or null. */
  readonly blockedBy?: string | null;
}

/** A statement's wait for a table lock (checkers/locks.ts). */
export interface LockWaitJson {
  readonly cluster: string;
  readonly table: string;
  readonly who: string;
  readonly mode: string;
  readonly from: string;
  readonly to: string;
  readonly seconds: number;
  readonly outcome: string;
  /** Who held the table and who waited ahead of it. */
  readonly chain: readonly CauseStepJson[];
}

/** A workload's queries on its table over the run: how many failed, or waited past the stall threshold. */
export interface LockRequestsJson {
  readonly cluster: string;
  readonly workload: string;
  readonly table: string;
  readonly requests: number;
  readonly failed: number;
  readonly slow: number;
  /** (failed + slow) / requests. */
  readonly share: number;
}

export interface AlertJson {
  readonly name: string;
  readonly cluster: string;
  readonly metric: string;
  readonly above: number;
  readonly firedAt: string | null;
  readonly value: number | null;
}

/** A judged condition of the end state (checkers/verdicts.ts): its interval and its cause chain. */
export interface VerdictJson {
  readonly kind: 'split-brain' | 'no-primary' | 'standby-broken' | 'redundancy-below-plan' | 'data-loss' | 'fenced';
  readonly cluster: string;
  /** The newer primary of a split brain, the broken standby; null when it concerns the cluster. */
  readonly node: string | null;
  readonly from: string;
  /** Null when it still holds at the end. */
  readonly to: string | null;
  /** Its duration, up to the end of the run when it still holds. */
  readonly seconds: number;
  readonly cause: readonly CauseStepJson[];
  /** Split brain: each primary and the commits it acknowledged during the interval. */
  readonly sides?: readonly { readonly node: string; readonly timeline: number; readonly commits: number }[];
}

/** Time to recover: from the first failure (a fault, else the first verdict) until the last verdict cleared. */
export interface RecoveryJson {
  readonly cluster: string;
  readonly from: string;
  /** Null when a verdict still holds at the end. */
  readonly to: string | null;
  readonly seconds: number | null;
}

/** A failover manager's decision: what it saw, the rule it applied, and per candidate why (docs/model-managers.md). */
export interface DecisionJson {
  readonly at: string;
  readonly cluster: string;
  readonly policy: string;
  /** Which manager decided (a Patroni agent, the monitor, a Raft leader, an operator). */
  readonly by: string | null;
  /** `by` as data (history/facts/managers.ts DecidedBy): which agent, leader, monitor or named operator. */
  readonly byFact: DecidedBy | null;
  /** The node it promoted (or kept as leader), or null when it did not. */
  readonly chosen: string | null;
  readonly saw: string | null;
  /** The real system's source of the rule the manager applied. */
  readonly rule: string | null;
  readonly reasons: readonly string[];
  /** `saw` and `reasons` as data (history/facts/managers.ts). */
  readonly facts: { readonly saw: FactJson | null; readonly reasons: readonly FactJson[] };
}

export interface Report {
  readonly scenario: string;
  readonly description: string;
  readonly variant: string | null;
  readonly seed: number;
  readonly start: string;
  readonly end: string;
  readonly timezone: string;
  /** Hash of the recorded history: equal for equal scenario, variant, overrides and seed. */
  readonly fingerprint: string;
  /** The end state, judged: verdicts first (docs/report.md), then each cluster's time to recover. */
  readonly verdicts: readonly VerdictJson[];
  readonly recovery: readonly RecoveryJson[];
  /** Every failover decision, in time order. */
  readonly decisions: readonly DecisionJson[];
  readonly survivors: readonly { readonly cluster: string; readonly node: string | null; readonly why: string }[];
  readonly dataLoss: readonly DataLossJson[];
  readonly stalls: readonly StallJson[];
  readonly outages: readonly OutageJson[];
  /** Per workload: requests that succeeded, waited past the stall threshold, or failed (report/requests.ts). */
  readonly requests: readonly RequestsJson[];
  readonly events: readonly EventJson[];
  readonly nodes: readonly NodeJson[];
  readonly assessments: readonly AssessmentJson[];
  readonly xid: readonly XidJson[];
  readonly vacuums: readonly VacuumJson[];
  readonly alerts: readonly AlertJson[];
  /** Table locks (present when the run had lock waits or workloads on tables). */
  readonly locks?: { readonly waits: readonly LockWaitJson[]; readonly requests: readonly LockRequestsJson[] };
  readonly expectations: readonly ExpectationJson[];
  /**
   * Operations refused or without effect (a promotion ignored or failing, pg_ctl start on a data directory still
   * locked, pg_ctl restart giving up, a switchover patronictl or Patroni did not carry out), in time order: a
   * plan step that silently did nothing is a rehearsal's finding. Empty without explanations (`explain: false`).
   */
  readonly refusals?: readonly RefusalJson[];
  readonly stats: { readonly events: number };
  /** Time series of block replication (present when the scenario has a `block:` section). */
  readonly series?: readonly SeriesJson[];
  /** Block replication: throughput shortfalls that are not stalls (models/block/world.ts trackWorkload). */
  readonly shortfalls?: readonly ShortfallJson[];
  /** Replicated block devices at the end (present when the scenario has a `block:` section). */
  readonly devices?: readonly DeviceJson[];
  /** pg_wal and slot retention over the run, per PostgreSQL node (report/storage-series.ts); absent without nodes. */
  readonly walStorage?: readonly WalStorageJson[];
}

/**
 * A node's pg_wal over the run and the WAL each of its slots retains, in bytes, as [time, value] points (linear
 * between points; a drop at a checkpoint's removal is two points at the same time), with the limits that
 * bound them.
 */
export interface WalStorageJson {
  readonly cluster: string;
  readonly node: string;
  readonly pgWal: readonly (readonly [string, number])[];
  readonly slots: readonly {
    readonly name: string;
    readonly type: 'physical' | 'logical';
    /** restart_lsn behind the node's WAL end (0 once invalidated). */
    readonly retained: readonly (readonly [string, number])[];
    /** wal_status where it changes (13+; empty before 13). */
    readonly walStatus: readonly (readonly [string, 'reserved' | 'extended' | 'unreserved' | 'lost'])[];
    /** When the slot was dropped, or null. */
    readonly droppedAt: string | null;
  }[];
  /** The node's settings that bound pg_wal (bytes; null when not set or not in its version). */
  readonly limits: {
    readonly maxWalSize: number;
    /** wal_keep_size (13+) or wal_keep_segments × segment size (before 13); 0 when not set. */
    readonly walKeepSize: number;
    readonly walKeepSetting: 'wal_keep_size' | 'wal_keep_segments';
    readonly maxSlotWalKeepSize: number | null;
    /** The pg_wal volume's size (`storage.wal_volume`), or null when not modelled. */
    readonly walVolume: number | null;
  };
}

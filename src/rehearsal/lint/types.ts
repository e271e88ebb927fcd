/**
 * What lint reads and what it finds. Both a scenario (lint FILE) and a set of real configuration files
 * (lint --config) become the same facts (`LintFacts`): servers with their settings as written and where they
 * are written, the replication topology, failover managers, slots, the plan's steps where there is a plan,
 * and DRBD resources. The rules (rules.ts) read only these facts and the models' functions.
 */
import type { Micros } from '../../engine/time.ts';
import type { PgMajor, PgSettingsSpec } from '../../scenario/types.ts';
import type { BlockResourceSpec, DiskSpec, IoWorkloadSpec } from '../../scenario/types-block.ts';

export type Severity = 'error' | 'warning' | 'info';

/** Where something is written: a scenario's line, or a configuration file's. */
export interface Where {
  readonly file: string;
  readonly line: number;
  readonly column: number;
}

export interface Finding {
  /** A stable identifier (docs/rehearsal.md lists them). */
  readonly id: string;
  readonly severity: Severity;
  readonly where: Where;
  /** One line: what is wrong here. */
  readonly message: string;
  /** Why, with the figures the rule computed. */
  readonly explanation: string;
  /** Where the rule comes from: the real system's source or documentation. */
  readonly source: string;
}

/** A PostgreSQL server as lint sees it. */
export interface PgServer {
  readonly name: string;
  readonly cluster: string;
  readonly version: PgMajor;
  readonly role: 'primary' | 'standby';
  /** The upstream server's name; for a configuration file, the conninfo host when no server of that name is known. */
  readonly upstream: string | null;
  /** Whether `upstream` names a server lint knows (its role is then known). */
  readonly upstreamKnown: boolean;
  readonly site: string | null;
  /** Settings as written (absent: the version's default). */
  readonly settings: PgSettingsSpec;
  readonly where: Where;
  /** Where a setting is written (by its postgresql.conf name), or the server's position. */
  settingWhere(guc: string): Where;
  /** A standby's restore_command: it can fetch WAL the upstream no longer keeps from the archive. */
  readonly restoreCommand: boolean;
  /** A standby's primary_slot_name (a physical slot on its upstream keeps its WAL), when known. */
  readonly slotName: string | null;
  /** The scenario's disk_throughput of the server, bytes/s (absent or null: not given, no bound). */
  readonly diskThroughput?: number | null;
}

export interface FailoverFact {
  readonly cluster: string;
  /** 'naive' promotes the first reachable candidate whatever its lag; 'patroni' refuses one behind the limit. */
  readonly policy: string;
  /** Where the manager runs (a scenario's failover site), for telling several managers apart. */
  readonly site: string | null;
  /** Whether the manager compares a candidate's position with the leader's before promoting it. */
  readonly checksLag: boolean;
  /** Patroni's maximum_lag_on_failover, bytes (null: no lag check). */
  readonly maximumLag: number | null;
  readonly candidates: readonly string[];
  readonly where: Where;
  /** What a switchover step needs of a Patroni cluster (a scenario's; absent for configuration files). */
  readonly patroni?: PatroniFact;
  /** What a switchover step needs of a pg_auto_failover formation: its nodes, and those out of the replication quorum. */
  readonly pgaf?: { readonly nodes: number; readonly asynchronous: readonly string[] };
}

/** A Patroni cluster's settings that decide a switchover (ha.py process_manual_failover_from_leader, is_failover_possible). */
export interface PatroniFact {
  /** loop_wait, µs: the leader's /status last_lsn is up to this old when it checks a switchover's candidates. */
  readonly loopWait: Micros;
  readonly synchronousMode: boolean;
  /**
   * synchronous_mode: quorum (4.0+): every member but nofailover ones is a candidate, lag checked as without
   * synchronous mode (ha.py get_failover_candidates, is_failover_possible).
   */
  readonly quorumCommit: boolean;
  /** Members tagged nofailover (never candidates) and nosync (never synchronous standbys). */
  readonly nofailover: readonly string[];
  readonly nosync: readonly string[];
}

export interface SlotFact {
  readonly name: string;
  readonly cluster: string;
  readonly server: string;
  readonly kind: 'physical' | 'logical';
  /** When the consumer stops (µs since the start), or 0 when it is stopped from the start; null: it never stops. */
  readonly consumerStopsAt: Micros | null;
  /** When the slot is dropped, or (logical) left behind by a promotion of another node; null: never. */
  readonly droppedAt: Micros | null;
  /** What ends it at droppedAt: drop_slot, or a failover to another node, which has no copy of it. */
  readonly droppedBy: 'drop' | 'failover' | null;
  readonly where: Where;
  /** Where the consumer stops (the plan step), when a step stops it. */
  readonly stopWhere: Where | null;
  /**
   * 17+ failover slots with a consumer: the standbys that synchronize it whose physical slot (primary_slot_name)
   * its server's synchronized_standby_slots does not name, so its consumer can get ahead of them.
   */
  readonly unguarded: readonly { readonly standby: string; readonly slot: string }[];
}

/** A planned (or scheduled fault) step that matters to a rule. */
export type StepFact =
  | { readonly kind: 'promote'; readonly at: Micros; readonly server: string; readonly where: Where }
  /** The server stops replicating for a while (stop/crash/partition ... then start/restart/heal). */
  | { readonly kind: 'down'; readonly at: Micros; readonly until: Micros | null; readonly server: string; readonly where: Where; readonly source: 'plan' | 'faults'; readonly action: 'stop' | 'crash' | 'partition' }
  /** A clean shutdown (`stop`, or the stop of a `restart`): pg_ctl stop -m fast. */
  | { readonly kind: 'shutdown'; readonly at: Micros; readonly server: string; readonly restart: boolean; readonly where: Where }
  /** pg_ctl start. */
  | { readonly kind: 'start'; readonly at: Micros; readonly server: string; readonly where: Where }
  /** The link between two sites is cut (a `partition` of sites). */
  | { readonly kind: 'link-cut'; readonly at: Micros; readonly until: Micros | null; readonly sites: readonly [string, string]; readonly where: Where }
  /** A standby streams from another upstream from then on. */
  | { readonly kind: 'repoint'; readonly at: Micros; readonly server: string; readonly upstream: string; readonly where: Where }
  /**
   * patronictl switchover --force: the leader named (null: whoever leads) hands over to the candidate (null: the
   * healthiest member); `failover`: patronictl failover --candidate (no leader named; with no leader, no lag check).
   */
  | { readonly kind: 'switchover'; readonly action: 'switchover' | 'failover'; readonly at: Micros; readonly cluster: string; readonly leader: string | null; readonly candidate: string | null; readonly where: Where };

/**
 * A smart stop or restart (pg_ctl's default up to 9.4, or `mode: smart`) of a primary with client sessions: the
 * server goes on taking their writes until the last pool is routed elsewhere or blocked, or a fast or immediate
 * stop or a crash overtakes it (models/postgres/pg-ctl.ts).
 */
export interface SmartStop {
  readonly at: Micros;
  readonly server: string;
  readonly cluster: string;
  readonly restart: boolean;
  /** Whether the step wrote `mode: smart` (else it is the version's default). */
  readonly explicit: boolean;
  readonly where: Where;
  /** The pools whose sessions it waits for, with their connections. */
  readonly pools: readonly { readonly name: string; readonly connections: number }[];
  /** Their commits per second and WAL bytes per second at the stop. */
  readonly txPerSecond: number;
  readonly walBytesPerSecond: number;
  /** When the last session ends (null: not within the plan), and the step that ends it. */
  readonly until: Micros | null;
  readonly endedBy: Where | null;
}

/** What the clients write to a server from `at` on (until the next phase), WAL bytes per second. */
export interface WritePhase {
  readonly at: Micros;
  readonly walBytesPerSecond: number;
}

/** A cluster's writes: WAL bytes and transactions (XIDs) per second, at their peak over the plan. */
export interface LoadFact {
  readonly walBytesPerSecond: number;
  readonly xidsPerSecond: number;
  readonly where: Where;
}

/** A DRBD resource with what its rules need: the line, the workloads over time, the disks. */
export interface BlockFacts {
  readonly resources: readonly {
    readonly spec: BlockResourceSpec;
    readonly where: Where;
    /** The line between its hosts: bytes/s and one-way latency (µs); null when unknown. */
    readonly line: { readonly bandwidth: number; readonly latency: number } | null;
    readonly primaryDisk: DiskSpec | null;
    /** The peer's disk (absent: unknown, as for configuration files). */
    readonly secondaryDisk?: DiskSpec | null;
  }[];
  readonly workloads: readonly IoWorkloadSpec[];
  /** Changes over time (a plan's io_workload and adjust steps, connects and disconnects), in time order. */
  readonly steps: readonly BlockStep[];
}

export type BlockStep =
  | { readonly kind: 'workload'; readonly at: Micros; readonly workload: string; readonly iops?: number; readonly readShare?: number; readonly random?: number; readonly size?: number; readonly where: Where }
  | { readonly kind: 'resync-rate'; readonly at: Micros; readonly resource: string; readonly rate: number; readonly planAhead?: Micros; readonly where: Where }
  | { readonly kind: 'connect'; readonly at: Micros; readonly resource: string; readonly where: Where }
  | { readonly kind: 'disconnect'; readonly at: Micros; readonly resource: string; readonly where: Where }
  /** drbdadm secondary / primary (a planned switchover: models/block/switchover.ts). */
  | { readonly kind: 'secondary' | 'primary'; readonly at: Micros; readonly resource: string; readonly host: string; readonly where: Where };

export interface LintFacts {
  /** How times print (the scenario's clock), or null for configuration files (no plan). */
  readonly clock: { readonly startEpochMs: number; readonly zone: string; readonly end: Micros } | null;
  readonly servers: readonly PgServer[];
  readonly failover: readonly FailoverFact[];
  readonly slots: readonly SlotFact[];
  readonly steps: readonly StepFact[];
  readonly loads: ReadonlyMap<string, LoadFact>;
  /**
   * What the clients write to each server over the plan, in time order (the first phase at 0): the workloads
   * routed there at their current rates, nothing while it is not a primary, is down or partitioned, or has its
   * clients blocked.
   * Empty without a plan (configuration files).
   */
  readonly writes: ReadonlyMap<string, readonly WritePhase[]>;
  /** Smart stops that wait for client sessions (the steps and write phases above count their shutdown from `until`). */
  readonly smartStops: readonly SmartStop[];
  /** Links between sites: bandwidth (bytes/s), one-way latency (µs) and the largest TCP window (bytes; default DEFAULT_TCP_WINDOW). */
  linkBetween(a: string | null, b: string | null): { readonly bandwidth: number; readonly latency: number; readonly tcpWindow?: number } | null;
  /** Whether WAL is archived and standbys can restore from it, per cluster (scenario: never; see rules.ts). */
  readonly block: BlockFacts | null;
  /** Writes slower than this count as a stall (the scenario's stall_threshold; 1 s for configuration files). */
  readonly stallThreshold: Micros;
  /** Settings of the sweep: how many seconds of peak writes a DRBD send buffer must hold. */
  readonly options: LintOptions;
  /** Logical replication subscriptions and their cut-over steps (absent: none, or configuration files). */
  readonly subscriptions?: readonly SubscriptionFact[];
  /** The plan's statements that write their table's (or index's) pages into the WAL (absent: none). */
  readonly statements?: readonly StatementWalFact[];
}

/**
 * A `ddl` step that rewrites a table or builds an index (or a bulk DELETE): the WAL it writes, evenly over how
 * long it runs, on the primary the scenario starts with (models/postgres/vacuum/rewrite-wal.ts, operations.ts).
 */
export interface StatementWalFact {
  readonly at: Micros;
  readonly cluster: string;
  readonly server: string;
  /** VACUUM FULL, CREATE INDEX CONCURRENTLY, ... */
  readonly label: string;
  readonly wal: number;
  /** Seconds it runs once it has its lock (its `duration`, or its reads and writes at the disk's throughput). */
  readonly seconds: number;
  readonly where: Where;
}

/** A subscription (an upgrade by logical replication) with the plan's steps that cut over. */
export interface SubscriptionFact {
  readonly name: string;
  readonly publisher: string;
  readonly subscriber: string;
  /** Transactions per second its apply worker applies, and the publisher's WAL per transaction (its workloads'). */
  readonly applyRate: number;
  readonly walPerTx: number;
  readonly serialRows: number | null;
  readonly where: Where;
  /** route_writes to the subscriber (the first), sync_sequences, drop_subscription. */
  readonly cutover: { readonly at: Micros; readonly where: Where } | null;
  readonly syncs: readonly { readonly at: Micros; readonly where: Where }[];
  readonly drop: { readonly at: Micros; readonly where: Where } | null;
  /** add_column steps on the publisher and on the subscriber (DDL is not replicated). */
  readonly columns: { readonly publisher: readonly { readonly at: Micros; readonly where: Where }[]; readonly subscriber: readonly Micros[] };
  /**
   * The initial copy (copy_data): the publisher's tables in order, the tablesync workers it gets at the start (the
   * subscriber's settings less its subscriptions' apply workers), and bytes per second each COPY moves while `n`
   * run at once (`rates[n - 1]`: copy_rate, or its share of the link); the publisher's statement_timeout (µs, 0:
   * none), which cancels a longer COPY. Null: nothing to copy.
   */
  readonly copy: { readonly tables: readonly { readonly name: string; readonly size: number }[]; readonly workers: number; readonly rates: readonly number[]; readonly statementTimeout: number } | null;
}

export interface LintOptions {
  /** A DRBD protocol A send buffer should hold at least this many seconds of peak writes (default 1). */
  readonly minBufferSeconds: number;
  /** Standby downtime to assume where there is no plan (configuration files), µs (default 10 min). */
  readonly assumedDowntime: Micros;
}

export const DEFAULT_LINT_OPTIONS: LintOptions = { minBufferSeconds: 1, assumedDowntime: 600_000_000 as Micros };

/**
 * The decoded scenario's parts about failover managers, gray failures and verdicts (grammar-managers.ts):
 * what the models and checkers consume, in the simulator's units.
 */
import type { Micros } from '../engine/time.ts';
import type { Bounds } from './types.ts';

/** What the verdict checker judges (checkers/verdicts.ts). */
export type VerdictKind = 'split-brain' | 'no-primary' | 'standby-broken' | 'redundancy-below-plan' | 'data-loss' | 'fenced';
export const VERDICT_KINDS: readonly VerdictKind[] = ['split-brain', 'no-primary', 'standby-broken', 'redundancy-below-plan', 'data-loss', 'fenced'];

/** Expectations on verdicts. */
export type VerdictExpectation =
  /** At least one verdict of this kind (in the cluster, about the node) whose duration is within `seconds` (and open at the end, or not, when given). */
  | { readonly kind: 'verdict'; readonly verdict: VerdictKind; readonly cluster: string | null; readonly node: string | null; readonly seconds: Bounds; readonly openAtEnd: boolean | null }
  /** No verdict of this kind (in the cluster, about the node). */
  | { readonly kind: 'noVerdict'; readonly verdict: VerdictKind; readonly cluster: string | null; readonly node: string | null }
  /** Every verdict has cleared by the end (in the cluster), within `within` of the first failure when given. */
  | { readonly kind: 'recovered'; readonly cluster: string | null; readonly within: Micros | null }
  /** The shares (0..1) of a workload's requests that succeeded, waited past the stall threshold, failed (report `requests`); every matching workload must hold them. */
  | { readonly kind: 'requests'; readonly cluster: string | null; readonly workload: string | null; readonly succeeded: Bounds | null; readonly waited: Bounds | null; readonly failed: Bounds | null };

/** How a manager checks a node (models/managers/health.ts). */
export interface HealthCheckSpec {
  /** connect: a libpq connection; read: and a query; write: and a small committed write (it waits for an fsync). */
  readonly probe: 'connect' | 'read' | 'write';
  /** A check not answered within this fails (connect_timeout, statement_timeout). */
  readonly timeout: Micros;
  /** A check answered later than this fails (null: any answer within the timeout passes). */
  readonly latencyThreshold: Micros | null;
  /** Consecutive failed checks before the node counts as unhealthy. */
  readonly failures: number;
}

/** A manager at one site that checks the leader itself and promotes a candidate (naive, lag-only). */
export interface WatcherSpec {
  /** The site the manager runs in: it sees only the nodes it can reach. */
  readonly site: string;
  /** How often the leader is checked. */
  readonly checkInterval: Micros;
  /** How long the leader must have failed its checks before failover. */
  readonly timeout: Micros;
  /** Nodes that may be promoted, in order of preference. */
  readonly candidates: readonly string[];
  readonly health: HealthCheckSpec;
}

export type NaiveSpec = WatcherSpec & { readonly policy: 'naive' };

/** Patroni's lag rule alone, without its DCS (kept to compare with `naive`; `patroni` is the real one). */
export type LagOnlySpec = WatcherSpec & {
  readonly policy: 'lag-only';
  /** Patroni maximum_lag_on_failover, bytes. */
  readonly maximumLagOnFailover: number;
  /** Patroni check_timeline: reject candidates whose timeline is behind the cluster's. */
  readonly checkTimeline: boolean;
};

export type FailoverSpec = NaiveSpec | LagOnlySpec | PatroniSpec | PgAutoFailoverSpec | OrchestratorSpec | OperatorSpec;
export type FailoverPolicy = FailoverSpec['policy'];

/** Faults that degrade rather than cut (models/gray.ts). */
/**
 * `patronictl switchover --leader L --candidate C --force` (POST /switchover): the leader demotes itself
 * gracefully and the candidate (or, with none, the healthiest member) takes the leader key. In a
 * pg_auto_failover formation: `pg_autoctl perform switchover` (the monitor's perform_failover), or with a
 * candidate `pg_autoctl perform promotion --name C` (perform_promotion); no leader there.
 */
export interface Switchover {
  readonly kind: 'switchover';
  /**
   * patronictl switchover, or patronictl failover (Patroni only; `candidate` required): the same request to a
   * healthy leader, which checks the candidate's lag; with no leader the candidate takes the key without it.
   */
  readonly action: 'switchover' | 'failover';
  /** The command: the cluster's manager's. */
  readonly tool: 'patronictl' | 'pg_autoctl';
  readonly cluster: string;
  readonly leader: string | null;
  readonly candidate: string | null;
}

/**
 * `patronictl pause` / `patronictl resume` (ctl.py toggle_pause): PATCH /config {"pause": true | null} to a member's
 * REST API, the leader's first, which writes the dynamic configuration to the DCS (maintenance mode).
 */
export interface PatroniPause {
  readonly kind: 'patroniPause';
  readonly cluster: string;
  /** true: pause; false: resume. */
  readonly pause: boolean;
}

export type GrayFailure =
  /** Each packet between the two sites is lost with this probability (0 clears it). */
  | { readonly kind: 'packetLoss'; readonly sites: readonly [string, string]; readonly probability: number }
  /** Packets from `from` to `to` (a site, a node or a DCS member) are dropped; the other way they pass. */
  | { readonly kind: 'oneWayPartition'; readonly from: string; readonly to: string }
  | { readonly kind: 'healOneWay'; readonly from: string; readonly to: string }
  /** Service-time multipliers of a PostgreSQL node: a saturated CPU, a degraded disk (1 = healthy). */
  | {
      readonly kind: 'slowNode';
      readonly node: string;
      readonly cpu: number | null;
      readonly disk: number | null;
      /** The share of its sequential throughput the node's disk still serves (a throughput collapse; 1 = healthy). */
      readonly diskThroughput?: number | null;
    }
  /** A manager's process (a DCS member, a pg_auto_failover monitor, a Raft member) stops or starts again: it answers nobody while stopped. */
  | { readonly kind: 'stopManager'; readonly process: string }

  | { readonly kind: 'startManager'; readonly process: string };

/** The DCS of a Patroni cluster (models/managers/dcs.ts). */
export interface DcsSpec {
  readonly kind: 'etcd3' | 'consul' | 'zookeeper';
  /** Members (etcd members, Consul servers, ZooKeeper servers) and their sites; names are unique in the scenario. */
  readonly members: readonly { readonly name: string; readonly site: string }[];
  /** Raft election timeout (etcd --election-timeout, default 1 s). */
  readonly electionTimeout: Micros;
}

/** Patroni tags of a node. */
export interface PatroniTags {
  readonly nofailover: boolean;
  /** failover_priority (default 1; 0 = never, like nofailover). */
  readonly failoverPriority: number;
  /** nosync: never chosen as a synchronous standby. */
  readonly nosync: boolean;
}

/** Patroni (models/managers/patroni.ts): one agent per node and a DCS; values as Patroni's configuration has them (seconds, bytes). */
export interface PatroniSpec {
  readonly policy: 'patroni';
  readonly dcs: DcsSpec;
  readonly loopWait: Micros;
  readonly ttl: Micros;
  readonly retryTimeout: Micros;
  readonly maximumLagOnFailover: number;
  readonly checkTimeline: boolean;
  /** synchronous_mode true or quorum. */
  readonly synchronousMode: boolean;
  /**
   * synchronous_mode: quorum (Patroni 4.0+, PostgreSQL 10+): synchronous_standby_names = ANY k (...) and /sync
   * holding a quorum of voters (models/managers/patroni-quorum.ts).
   */
  readonly quorumCommit: boolean;
  readonly synchronousModeStrict: boolean;
  readonly synchronousNodeCount: number;
  readonly failsafeMode: boolean;
  /** use_pg_rewind: a diverged node runs pg_rewind against the leader before it follows (managers/rejoin.ts). */
  readonly usePgRewind: boolean;
  /** remove_data_directory_on_rewind_failure: a failed pg_rewind is followed by a re-clone. */
  readonly removeDataDirectoryOnRewindFailure: boolean;
  /** remove_data_directory_on_diverged_timelines: a diverged node that cannot be rewound is re-cloned (and after a failed pg_rewind). */
  readonly removeDataDirectoryOnDivergedTimelines: boolean;
  /**
   * use_slots (default true): the leader keeps a physical replication slot for every other member, named after it
   * (dcs/__init__.py slot_name_from_member_name), which each replica names in primary_slot_name.
   */
  readonly useSlots: boolean;
  /** member_slots_ttl (default 30 min; 0: off): how long the leader keeps the slot of a member whose key is gone (PostgreSQL 11+). */
  readonly memberSlotsTtl: Micros;
  /** Per node; absent nodes have the defaults. */
  readonly tags: Readonly<Record<string, PatroniTags>>;
  /**
   * pause (maintenance mode, patronictl pause: the dynamic configuration's `pause: true`) for the whole run: no
   * leader race for a replica, no restart of a PostgreSQL found down, no demotion (global_config.py is_paused).
   */
  readonly pause: boolean;
}

/** pg_auto_failover (models/managers/pgautofailover.ts): a monitor at a site and a keeper per node. */
export interface PgAutoFailoverSpec {
  readonly policy: 'pg_auto_failover';
  readonly monitor: { readonly name: string; readonly site: string };
  /** Formation setting number_sync_standbys. */
  readonly numberSyncStandbys: number;
  /** Per node; absent nodes: candidate_priority 50, replication_quorum true. */
  readonly nodes: Readonly<Record<string, { readonly candidatePriority: number; readonly replicationQuorum: boolean }>>;
  readonly healthCheckPeriod: Micros;
  readonly healthCheckTimeout: Micros;
  readonly healthCheckMaxRetries: number;
  readonly healthCheckRetryDelay: Micros;
  readonly nodeConsideredUnhealthyTimeout: Micros;
  readonly startupGracePeriod: Micros;
  readonly primaryDemoteTimeout: Micros;
  readonly networkPartitionTimeout: Micros;
  /** promote_wal_log_threshold and enable_sync_wal_log_threshold, bytes. */
  readonly promoteWalLogThreshold: number;
  readonly enableSyncWalLogThreshold: number;
}

/** Orchestrator's promotion rules (register-candidate). */
export type PromotionRule = 'prefer' | 'neutral' | 'prefer_not' | 'must_not';

/** A Raft of Orchestrator-like managers across sites (models/managers/orchestrator.ts). */
export interface OrchestratorSpec {
  readonly policy: 'orchestrator';
  /** Raft members and their sites; only the leader detects and recovers. */
  readonly members: readonly { readonly name: string; readonly site: string }[];
  /** Region of each site (default: the site itself). */
  readonly regions: Readonly<Record<string, string>>;
  /** InstancePollSeconds. */
  readonly pollInterval: Micros;
  /** MySQLConnectTimeoutSeconds: a poll not answered within this fails. */
  readonly connectTimeout: Micros;
  readonly preventCrossDataCenterFailover: boolean;
  readonly preventCrossRegionFailover: boolean;
  readonly promotionRules: Readonly<Record<string, PromotionRule>>;
  /** RecoveryPeriodBlockSeconds: no second automated recovery of the cluster within this. */
  readonly recoveryPeriodBlock: Micros;
  /** hashicorp/raft election timeout. */
  readonly electionTimeout: Micros;
}

/** An operator rehearsing a manual runbook (models/managers/operator.ts). */
export interface OperatorSpec {
  readonly policy: 'operator';
  /** Where the monitoring and the operator are. */
  readonly site: string;
  readonly checkInterval: Micros;
  readonly health: HealthCheckSpec;
  /** From the alert to the action: paging, diagnosing, deciding. */
  readonly reaction: Micros;
  /** Nodes the runbook may promote, in order (default: all standbys). */
  readonly candidates: readonly string[];
  readonly choose: 'most-advanced' | 'first-candidate';
  /** Stop the old primary first when it can be reached (and say so when it cannot). */
  readonly fence: boolean;
}

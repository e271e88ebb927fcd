/**
 * Facts of the failover managers (models/managers): Raft and the DCS, health checks, the decisions of the
 * watchers, the operator, Patroni, pg_auto_failover and Orchestrator, the candidates they chose or refused and
 * why, demotions, rebuilds, client routing. Durations in µs. `rule` cites the real system's source the
 * behaviour follows ('patroni/ha.py:Ha.demote', 'pg_auto_failover: src/monitor/group_state_machine.c:…',
 * 'orchestrator: go/logic/topology_recovery.go:…'), where it comes from one.
 *
 * A Patroni fact that is one of Patroni's own log lines (`patroni-*` with `said`) is rendered with Patroni's
 * words, unchanged.
 */
import type { Lsn } from '../../models/postgres/lsn.ts';
import type { Fact } from './index.ts';

/** The last result of a health check (models/managers/health.ts). */
export type ProbeFact =
  | { readonly kind: 'answered'; readonly latency: number }
  | { readonly kind: 'no-answer'; readonly timeout: number }
  | { readonly kind: 'refused' }
  | { readonly kind: 'starting' }
  /** A smart shutdown refuses new connections while its sessions go on (pg-ctl.ts). */
  | { readonly kind: 'shutting-down' }
  | { readonly kind: 'slow'; readonly latency: number; readonly threshold: number };

/** What a checker knows of a node: its failures in a row and the last result (null: no check has run yet). */
export interface HealthFact {
  readonly probe: 'connect' | 'read' | 'write';
  readonly failures: number;
  readonly last: ProbeFact | null;
}

/** Which Raft group: a Patroni cluster's DCS or Orchestrator's own. */
export type RaftRole = 'dcs' | 'orchestrator';

/** Who sent the clients to a new primary, and how. */
export type RouteBy =
  | { readonly kind: 'watcher'; readonly site: string }
  | { readonly kind: 'operator' }
  | { readonly kind: 'orchestrator'; readonly leader: string | null }
  /** An HAProxy whose GET /primary check passes on the leader. */
  | { readonly kind: 'patroni' }
  /** A multi-host connection string with target_session_attrs=read-write. */
  | { readonly kind: 'pg_auto_failover' };

/** Why a node's WAL cannot be followed as it is (rejoin.ts divergence; patroni/postgresql/rewind.py:Rewind._check_timeline_and_lsn). */
export interface DivergenceFact {
  readonly node: string;
  readonly leader: string;
  readonly timeline: number;
  readonly lsn: Lsn;
  /** Where the leader's history leaves that timeline; null: the timeline is not in its history. */
  readonly leavesLsn: Lsn | null;
}

/** Why a candidate may not be promoted (or a member does not take part), by the rule that refuses it. */
/** Why patronictl pause / resume did nothing (ctl.py toggle_pause). */
export type PauseRefusal = { readonly kind: 'already' } | { readonly kind: 'dcs'; readonly why: Fact };

export type Refusal =
  | { readonly kind: 'unreachable'; readonly from?: string }
  /** Patroni "My wal position exceeds maximum replication lag" (ha.py Ha._is_healthiest_node). */
  | { readonly kind: 'lag'; readonly lsn: Lsn; readonly lastLsn: Lsn; readonly maximumLagOnFailover: number }
  /** Patroni's leader checking a switchover candidate: "Member … exceeds maximum replication lag" (ha.py Ha.is_failover_possible). */
  | { readonly kind: 'member-lag'; readonly lsn: Lsn; readonly lastLsn: Lsn; readonly maximumLagOnFailover: number }
  /** Patroni "My timeline … is behind last known cluster timeline …" (`checkTimeline`: for a replica, only with check_timeline). */
  | { readonly kind: 'timeline-behind'; readonly timeline: number; readonly clusterTimeline: number; readonly checkTimeline: boolean }
  | { readonly kind: 'nofailover' }
  | { readonly kind: 'failover-priority'; readonly priority: number }
  | { readonly kind: 'not-synchronous'; readonly standbys: readonly string[] }
  | { readonly kind: 'primary-alive'; readonly primary: string }
  | { readonly kind: 'member-ahead'; readonly member: string }
  | { readonly kind: 'equal-position-higher-priority'; readonly member: string; readonly priority: number; readonly mine: number }
  /** The leader race was won by another member, or the DCS failed the attempt. */
  | { readonly kind: 'leader-key-taken' }
  | { readonly kind: 'leader-key-failed'; readonly why: Fact }
  /** Without the DCS a replica cannot take the leader key. */
  | { readonly kind: 'no-dcs' }
  /** pg_auto_failover: only a secondary may be promoted. */
  | { readonly kind: 'not-secondary'; readonly state: string }
  | { readonly kind: 'candidate-priority-zero' }
  | { readonly kind: 'unhealthy'; readonly why: Fact }
  /** pg_auto_failover: a quorum node has not reported its LSN yet (the election waits for it). */
  | { readonly kind: 'not-reported' }
  /** Orchestrator promotion rule must_not. */
  | { readonly kind: 'must-not' }
  /** Patroni: a switchover names another candidate, which answers (ha.py manual_failover_process_no_leader: "to C, i am N"). */
  | { readonly kind: 'switchover-to-other'; readonly candidate: string }
  /** Patroni in maintenance mode (pause): a replica never races for the leader key (ha.py is_healthiest_node). */
  | { readonly kind: 'paused' }
  /**
   * Patroni synchronous_mode quorum: fewer /sync voters answered not ahead of this node than the /sync quorum
   * (ha.py _is_healthiest_node: quorum_votes >= quorum; this node's own vote counts when it is a voter).
   */
  /** Patroni failsafe_mode: this member is not in the /failsafe key (ha.py is_healthiest_node). */
  | { readonly kind: 'not-in-failsafe'; readonly members: readonly string[] }
  | { readonly kind: 'quorum-not-reached'; readonly votes: number; readonly needed: number; readonly quorum: number; readonly voters: readonly string[] };

/** Why a candidate was chosen. */
export type Choice =
  | { readonly kind: 'first-reachable' }
  | { readonly kind: 'highest-position'; readonly lsn: Lsn; readonly lastLsn: Lsn }
  | { readonly kind: 'healthiest'; readonly lsn: Lsn; readonly lastLsn: Lsn }
  /** Patroni: the switchover's candidate takes the key without the lag or REST checks (ha.py manual_failover_process_no_leader). */
  /** `failover`: the /failover key names no leader (patronictl failover: ha.py calls it a manual failover). */
  | { readonly kind: 'switchover-candidate'; readonly lsn: Lsn; readonly failover?: true }
  | { readonly kind: 'operator'; readonly choose: 'most-advanced' | 'first-candidate'; readonly lsn: Lsn }
  | { readonly kind: 'orchestrator'; readonly lsn: Lsn; readonly promotionRule: string; readonly site: string; readonly region: string };

/** What a member's REST API answered the Patroni agent racing for the leader key (ha.py Ha.fetch_node_status). */
export type MemberStatus =
  | { readonly kind: 'unreachable'; readonly timeout: number }
  | { readonly kind: 'nofailover' }
  | { readonly kind: 'primary' }
  | { readonly kind: 'ahead'; readonly lsn: Lsn; readonly myLsn: Lsn }
  | { readonly kind: 'same-position-higher-priority'; readonly priority: number; readonly mine: number }
  | { readonly kind: 'not-ahead'; readonly lsn: Lsn; /** synchronous_mode quorum: a /sync voter, so its answer is a vote. */ readonly vote?: true };

/** Why patronictl switchover is refused at once. */
export type SwitchoverRefusal =
  | { readonly kind: 'not-leader'; readonly named: string; readonly leader: string | null }
  | { readonly kind: 'no-leader' }
  | { readonly kind: 'already-leader'; readonly candidate: string }
  | { readonly kind: 'not-synchronous'; readonly candidate: string; readonly standbys: readonly string[] }
  /** No candidate answers the leader's REST poll or may promote (nofailover). */
  | { readonly kind: 'no-good-candidates' }
  /** patronictl failover: the candidate is tagged nofailover (ctl.py: "does not exist in cluster … or is tagged as nofailover"). */
  | { readonly kind: 'nofailover'; readonly candidate: string }
  /** In maintenance mode a switchover needs a candidate (api.py do_POST_failover). */
  | { readonly kind: 'paused-no-candidate' }
  | { readonly kind: 'dcs'; readonly why: Fact };

/** Why Patroni demotes its primary. */
export type PatroniDemotion =
  /** ha.py Ha.process_healthy_cluster: update_lock failed, another member holds the key. */
  | { readonly kind: 'lock-lost' }
  /** ha.py Ha._handle_dcs_error (`failsafe`: the members' answers to POST /failsafe, when asked). */
  | { readonly kind: 'dcs'; readonly why: Fact; readonly failsafe: readonly Fact[] | null }
  | { readonly kind: 'not-leader'; readonly leader: string }
  | { readonly kind: 'not-healthiest'; readonly reason: Fact }
  /** ha.py Ha.recover: a primary without the key starts as a secondary (`rebuilt`: after a rebuild). */
  | { readonly kind: 'secondary'; readonly leader: string | null; readonly rebuilt: boolean };

/** Patroni's adjustment of its timeouts (config.py Config._validate_and_adjust_timeouts). */
export type TimeoutsAdjustment =
  | { readonly kind: 'loop-wait-and-retry-timeout'; readonly ttl: number; readonly loopWait: readonly [number, number]; readonly retryTimeout: readonly [number, number] }
  | { readonly kind: 'loop-wait'; readonly ttl: number; readonly retryTimeout: number; readonly loopWait: readonly [number, number] }
  | { readonly kind: 'raised'; readonly settings: readonly { readonly name: 'loop_wait' | 'retry_timeout' | 'ttl'; readonly value: number }[] };

/** Why pg_auto_failover's monitor assigns a goal state. */
export type GoalWhy =
  | { readonly kind: 'unhealthy'; readonly why: Fact }
  | { readonly kind: 'within-sync-threshold'; readonly lsn: Lsn; readonly lag: number }
  | { readonly kind: 'keeper-reports-demoted'; readonly primary: string }
  | { readonly kind: 'no-healthy-secondary'; /** Healthy secondaries that take no part in the quorum (replication_quorum false). */ readonly outOfQuorum: readonly string[] }
  | { readonly kind: 'secondaries'; readonly nodes: readonly string[] }
  | { readonly kind: 'waits-for-quorum'; readonly numberSyncStandbys: number }
  | { readonly kind: 'no-standby' }
  | { readonly kind: 'primary-unhealthy'; readonly primary: string; readonly why: Fact }
  | { readonly kind: 'reports-lsn' }
  | { readonly kind: 'elected'; readonly priority: number; readonly lsn: Lsn }
  | { readonly kind: 'ready-to-promote' }
  | { readonly kind: 'being-promoted'; readonly candidate: string }
  | { readonly kind: 'reported-demote-timeout'; readonly primary: string }
  | { readonly kind: 'demote-timeout-passed'; readonly primary: string; readonly timeout: number }
  | { readonly kind: 'new-primary'; readonly primary: string }
  | { readonly kind: 'primary-healthy'; readonly primary: string }
  | { readonly kind: 'fast-forward'; readonly from: string; readonly lsn: Lsn }
  | { readonly kind: 'fast-forwarded'; readonly lsn: Lsn }
  /** pg_autoctl perform switchover (the monitor's perform_failover) or perform promotion of `candidate`. */
  | { readonly kind: 'perform-failover'; readonly candidate: string | null };

/** Why the monitor's perform_failover / perform_promotion raise an error (or, already a primary, do nothing). */
export type PgafSwitchoverRefusal =
  /** perform_promotion: the node is already the primary (a NOTICE; it returns false). */
  | { readonly kind: 'already-primary'; readonly node: string }
  /** perform_promotion: the node is neither in secondary nor in report_lsn (goal and reported). */
  | { readonly kind: 'promotion-state'; readonly node: string; readonly reported: string; readonly goal: string }
  /** perform_failover: fewer than two nodes in the group. */
  | { readonly kind: 'too-few-nodes'; readonly nodes: number }
  /** perform_failover: no node is in single or primary (goal and reported) to fail over from. */
  | { readonly kind: 'no-primary' }
  /** perform_failover, two nodes (main after v2.2): the standby has candidate_priority 0. */
  | { readonly kind: 'candidate-priority-zero'; readonly node: string }
  /** perform_failover, two nodes: the standby's goal is not secondary. */
  | { readonly kind: 'standby-state'; readonly node: string; readonly state: string }
  /** perform_failover, two nodes: the primary is not in primary or the standby not in secondary (goal and reported). */
  | {
      readonly kind: 'not-stable';
      readonly primary: { readonly node: string; readonly reported: string; readonly goal: string };
      readonly standby: { readonly node: string; readonly reported: string; readonly goal: string };
    }
  /** pg_autoctl cannot connect to the monitor. */
  | { readonly kind: 'monitor-unreachable'; readonly monitor: string };

/** Why Orchestrator passed over the most advanced replica. */
export type PassedOver =
  | { readonly kind: 'prefer-not' }
  /** A replica registered `prefer` can take over (SuggestReplacementForPromotedReplica). */
  | { readonly kind: 'prefer-available'; readonly node: string }
  | { readonly kind: 'data-centre'; readonly site: string; readonly masterSite: string }
  | { readonly kind: 'region'; readonly region: string; readonly masterRegion: string };

export type ManagersFact =
  // ---- Raft and the DCS
  | { readonly kind: 'raft-leader-stepped-down'; readonly cluster: string; readonly group: RaftRole; readonly member: string }
  | { readonly kind: 'raft-leader-elected'; readonly cluster: string; readonly group: RaftRole; readonly member: string; readonly term: number; readonly peers: number; readonly members: number }
  /** The lease of the leader key ran out on the DCS leader. */
  | { readonly kind: 'leader-key-expired'; readonly cluster: string; readonly owner: string; readonly ttl: number }
  /** Why a Patroni request to the DCS fails (dcs.ts). */
  | {
      readonly kind: 'dcs-unreachable';
      readonly client: string;
      readonly reachable: readonly string[];
      readonly members: readonly { readonly name: string; readonly site: string }[];
      /** No Raft leader with a majority: the quorum it needs. */
      readonly noLeader: { readonly quorum: number } | null;
      /** Members it reached whose answer TCP's retransmissions (packet loss) delayed past the per-attempt timeout. */
      readonly timedOut: readonly string[];
      readonly perAttempt: number;
    }
  // ---- routing
  | { readonly kind: 'writes-routed'; readonly node: string; readonly pools: readonly string[]; readonly by: RouteBy }
  // ---- decisions: what a manager saw
  | { readonly kind: 'leader-unhealthy'; readonly leader: string; readonly for: number; readonly timeout: number; readonly health: HealthFact | null }
  | { readonly kind: 'no-leader' }
    /** The operator's runbook: fence the old primary or not, and which standby to promote. */
  | { readonly kind: 'alert-seen'; readonly ago: number; readonly health: HealthFact; readonly runbook: { readonly fence: boolean; readonly choose: 'most-advanced' | 'first-candidate' } }
  | { readonly kind: 'leader-key-gone'; readonly cluster: string; readonly dcs: string; readonly members: readonly { readonly name: string; readonly site: string }[]; readonly raftLeader: string | null; readonly lastLsn: Lsn; readonly timeline: number }
  | { readonly kind: 'dcs-not-accessible'; readonly why: Fact; readonly failsafe: boolean }
  | {
      readonly kind: 'orchestrator-analysis';
      readonly leader: string | null;
      readonly site: string;
      readonly master: string;
      readonly reachable: boolean;
      readonly analysis: 'UnreachableMaster' | 'DeadMasterAndReplicas' | 'DeadMasterAndSomeReplicas' | 'DeadMaster';
      readonly rule: string;
    }
  | { readonly kind: 'primary-unhealthy'; readonly primary: string; readonly why: Fact }
  | { readonly kind: 'election'; readonly primary: string; readonly state: string; readonly candidates: readonly { readonly node: string; readonly lsn: Lsn; readonly reported: boolean }[] }
  // ---- decisions: per candidate
  | { readonly kind: 'candidate-chosen'; readonly node: string; readonly why: Choice; readonly rule?: string }
  | { readonly kind: 'candidate-refused'; readonly node: string; readonly reason: Refusal; readonly rule?: string }
  | { readonly kind: 'member-status'; readonly node: string; readonly status: MemberStatus }
  /** Patroni's rule applied without a DCS: a primary still alive means no failover. */
  | { readonly kind: 'primary-still-alive'; readonly primary: string; readonly rule: string }
  | { readonly kind: 'no-candidate'; readonly why: 'no-standby' | 'none-reachable' | 'no-replica-reachable' | 'none-found' | 'none-reported'; readonly rule?: string }
  | { readonly kind: 'failsafe-answer'; readonly node: string; readonly answer: 'accepted' | 'refused-primary' | 'no-answer'; readonly timeout: number; readonly tries: number }
  | { readonly kind: 'demotes-itself'; readonly node: string; readonly failsafe: 'off' | 'no-topology'; readonly rule: string }
  | { readonly kind: 'quorum-too-small'; readonly reported: number; readonly need: number; readonly rule: string }
  | { readonly kind: 'candidates-too-far-behind'; readonly behind: number; /** The candidate is past the primary's last report (the primary stopped reporting while its standbys streamed on). */ readonly ahead: boolean; readonly primary: string; readonly lsn: Lsn; readonly threshold: number; readonly rule: string }
  | { readonly kind: 'candidate-ranked'; readonly node: string; readonly priority: number; readonly lsn: Lsn; readonly chosen: boolean }
  | { readonly kind: 'not-most-advanced'; readonly node: string; readonly from: string }
  /** pg_auto_failover: the elected node lacks WAL that only unhealthy standbys hold (SelectFailoverCandidateNode). */
  | { readonly kind: 'most-advanced-unhealthy'; readonly node: string; readonly lsn: Lsn; readonly nodes: readonly string[]; readonly rule: string }
  | { readonly kind: 'stands-down'; readonly node: string }
  /** The operator's pg_ctl stop -m fast of the old primary returned after `waited` µs: the postmaster exited, or pg_ctl gave up (PGCTLTIMEOUT). */
  | { readonly kind: 'fenced'; readonly node: string; readonly waited: number; readonly gaveUp: boolean }
  | { readonly kind: 'cannot-fence'; readonly node: string; readonly site: string; readonly running: boolean }
  | { readonly kind: 'still-replicating'; readonly node: string; readonly master: string; readonly rule: string }
  | { readonly kind: 'recovery-blocked'; readonly ago: number; readonly block: number; readonly rule: string }
  | { readonly kind: 'passed-over'; readonly node: string; readonly lsn: Lsn; readonly why: PassedOver; readonly rule: string }
  | { readonly kind: 'lost-from-topology'; readonly node: string; readonly promoted: string; readonly lsn: Lsn; readonly rule: string }
  // ---- the managers' events
  | { readonly kind: 'failover-chosen'; readonly policy: string; readonly node: string; readonly saw: Fact; readonly reasons: readonly Fact[] }
  | { readonly kind: 'failover-refused'; readonly policy: string; readonly leader: string | null; readonly reasons: readonly Fact[] }
  | { readonly kind: 'monitoring-alert'; readonly node: string; readonly health: HealthFact; readonly reaction: number }
  | { readonly kind: 'operator-cannot-fail-over'; readonly reasons: readonly Fact[] }
  | { readonly kind: 'orchestrator-recovery'; readonly cluster: string; readonly leader: string | null; readonly chosen: string | null; readonly saw: Fact; readonly reasons: readonly Fact[]; readonly rule: string }
  /** Why a manager promoted a node (a promotion's cause): what it saw and its reasons. */
  | { readonly kind: 'manager-decision'; readonly saw: Fact; readonly reasons: readonly Fact[] }
  | { readonly kind: 'holds-leader-key'; readonly node: string; readonly rule: string }
  | { readonly kind: 'goal-state-assigned'; readonly node: string; readonly goal: string }
  /** rejoin.ts: crash recovery in single-user mode before pg_rewind (rewind.py Rewind.ensure_clean_shutdown). */
  | { readonly kind: 'single-user-crash-recovery'; readonly node: string; readonly rule?: string }
  // ---- Patroni (one agent per node): its own log lines and its demotions
  | { readonly kind: 'patroni-timeouts-adjusted'; readonly adjustment: TimeoutsAdjustment; readonly rule: string }
  | { readonly kind: 'patroni-demoting'; readonly node: string; readonly mode: 'offline' | 'immediate-nolock' | 'graceful'; readonly rule: string }
  | { readonly kind: 'patroni-promoting'; readonly node: string; readonly how: 'acquired-lock' | 'had-lock'; readonly rule: string }
  | { readonly kind: 'patroni-acquired-lock'; readonly node: string }
  | { readonly kind: 'patroni-following'; readonly node: string; readonly leader: string }
  | { readonly kind: 'patroni-sync-assigned'; readonly node: string; readonly standbys: readonly string[]; readonly rule: string }
  /** synchronous_mode quorum: the leader writes /sync (ha.py _process_quorum_replication: "Setting leader to …, quorum to … of (…)"). */
  | { readonly kind: 'patroni-quorum-set'; readonly node: string; readonly leader: string; readonly quorum: number; readonly voters: readonly string[]; readonly rule: string }
  /** synchronous_mode quorum: a switchover without a candidate needs /sync quorum healthy voters (ha.py is_failover_possible). */
  | { readonly kind: 'quorum-requirement'; readonly quorum: number; readonly healthy: number }
  | { readonly kind: 'patroni-failsafe-continues'; readonly node: string; readonly rule: string }
  | { readonly kind: 'patroni-not-promoting'; readonly node: string; readonly reason: Fact }
  | { readonly kind: 'patroni-rebuilding'; readonly node: string; readonly tool: 'pg_rewind' | 'pg_basebackup'; readonly divergence: DivergenceFact; readonly rule: string }
  | { readonly kind: 'patroni-rewind-failed'; readonly node: string; readonly leader: string; readonly option: 'remove_data_directory_on_rewind_failure' | 'remove_data_directory_on_diverged_timelines' | null; readonly rule: string }
  | { readonly kind: 'patroni-rewind-needed'; readonly node: string; readonly divergence: DivergenceFact; readonly why: 'use-pg-rewind-off' | 'not-rewindable' | 'rewind-failed' }
  | { readonly kind: 'patroni-starting'; readonly node: string; readonly as: 'primary' | 'secondary'; readonly rule: string }
  | { readonly kind: 'patroni-bootstrap'; readonly node: string; readonly leader: string; readonly rule: string }
  | { readonly kind: 'patroni-demotes'; readonly node: string; readonly why: PatroniDemotion; readonly rule: string }
  /** ha.py _run_cycle: the key holder found its data directory empty and deleted the key (release_leader_key_voluntarily). */
  /** `postgres-not-running`: in pause, the key holder's PostgreSQL is not running (ha.py _run_cycle "removed leader lock because postgres is not running"). */
  | { readonly kind: 'patroni-released-key'; readonly node: string; readonly why: 'data-directory-empty' | 'postgres-not-running'; readonly rule: string }
  /**
   * Patroni in maintenance mode (pause) leaves PostgreSQL as it is: `not-restarted`, a PostgreSQL found down is not
   * started (ha.py _run_cycle); `dcs`, a primary without the DCS is not demoted (_handle_dcs_error); `without-lock`,
   * a primary without the leader key is not demoted (follow, process_healthy_cluster).
   */
  /** patronictl pause / resume: `node`'s Patroni wrote the configuration's pause to the DCS (api.py do_PATCH_config). */
  | { readonly kind: 'patroni-pause-set'; readonly cluster: string; readonly node: string; readonly pause: boolean; readonly rule: string }
  | { readonly kind: 'patroni-pause-refused'; readonly cluster: string; readonly pause: boolean; readonly reason: PauseRefusal; readonly rule: string }
  | { readonly kind: 'patroni-paused'; readonly node: string; readonly what: 'not-restarted' | 'dcs' | 'without-lock'; readonly rule: string }
  /**
   * A switchover's graceful demotion released the leader key (ha.py Ha.demote → release_leader_key_voluntarily):
   * `when` 'candidate-received' once a candidate had the shutdown checkpoint (on_shutdown), 'stopped' once
   * PostgreSQL had stopped.
   */
  | { readonly kind: 'patroni-switchover-released'; readonly node: string; readonly when: 'candidate-received' | 'stopped'; readonly rule: string }
  /** patronictl switchover refused before anything happens (ctl.py _do_failover_or_switchover, api.py do_POST_failover). */
  | { readonly kind: 'patroni-switchover-refused'; readonly cluster: string; readonly action?: 'failover'; readonly reason: SwitchoverRefusal; readonly rule: string }
  /** The leader found no candidate healthy enough (ha.py process_manual_failover_from_leader, is_failover_possible): the key is cleaned up. */
  | { readonly kind: 'patroni-switchover-not-possible'; readonly node: string; readonly candidate: string | null; readonly failover?: true; readonly statuses: readonly Fact[]; readonly rule: string }
  /** The leader cleaned up the /failover key (ha.py process_manual_failover_from_leader): it is the candidate, or not the leader named. */
  | { readonly kind: 'patroni-failover-key-cleared'; readonly node: string; readonly why: 'already-leader' | 'leader-mismatch' | 'acquired-lock'; readonly failover?: true; readonly rule: string }
  /**
   * use_slots: the leader created the physical slot of a member (postgresql/slots.py _ensure_physical_slots), at
   * `restartLsn`; `from`: where it stood (the member's position in /status, kept on every node: Patroni 4 on 11+),
   * or null when it reserves from the redo point (pg_create_physical_replication_slot(name, true)).
   */
  | { readonly kind: 'patroni-slot-created'; readonly node: string; readonly slot: string; readonly member: string; readonly restartLsn: Lsn; readonly from: 'status' | null; readonly rule: string }
  /**
   * The leader dropped a member's slot (slots.py _drop_incorrect_slots): the member left (its key is gone) and
   * member_slots_ttl ran out (0, or before 11, at once), or the slot was lost (wal_status lost, 13+; recreated).
   */
  | { readonly kind: 'patroni-slot-dropped'; readonly node: string; readonly slot: string; readonly member: string; readonly why: { readonly kind: 'member-gone'; readonly memberSlotsTtl: number } | { readonly kind: 'lost' }; readonly rule: string }
  // ---- pg_auto_failover
  | { readonly kind: 'pgaf-goal'; readonly node: string; readonly goal: string; readonly why: GoalWhy; readonly rule: string }
  | { readonly kind: 'pgaf-keeper-unhealthy'; readonly node: string; readonly why: 'pg-not-running' | 'no-report'; readonly for: number; readonly timeout: number }
  | { readonly kind: 'pgaf-partition-stop'; readonly node: string; readonly for: number; readonly timeout: number; readonly rule: string }
  | { readonly kind: 'pgaf-basebackup'; readonly node: string; readonly upstream: string; readonly rule: string }
  | { readonly kind: 'pgaf-rewinding'; readonly node: string; readonly upstream: string; readonly rule: string }
  | { readonly kind: 'pgaf-rewind-failed'; readonly node: string; readonly rule: string }
  | { readonly kind: 'pgaf-no-failover'; readonly reasons: readonly Fact[] }
  | { readonly kind: 'pgaf-reports-lsn'; readonly node: string; readonly rule: string }
  | { readonly kind: 'pgaf-rejoins'; readonly node: string; readonly upstream: string; readonly rewind: boolean; readonly rule: string }
  /** pg_autoctl perform switchover / perform promotion refused by the monitor (node_active_protocol.c perform_failover, perform_promotion). */
  | { readonly kind: 'pgaf-switchover-refused'; readonly cluster: string; readonly candidate: string | null; readonly reason: PgafSwitchoverRefusal; readonly rule: string }
  /**
   * The monitor's candidate_priority trick (perform_promotion: +100 for the node to promote; perform_failover with
   * more than two nodes: -100 for the primary), undone once the election is over (ProceedWithMSFailover).
   */
  | { readonly kind: 'pgaf-candidate-priority'; readonly node: string; readonly priority: number; readonly back: boolean; readonly rule: string };

/**
 * Who made a failover decision (FailoverDecision.by): a Patroni agent, orchestrator's Raft leader, the
 * pg_auto_failover monitor, or an operator or watcher of the scenario by its name.
 */
export type DecidedBy =
  | { readonly kind: 'patroni-agent'; readonly node: string }
  | { readonly kind: 'orchestrator-leader'; readonly leader: string | null }
  | { readonly kind: 'pgaf-monitor'; readonly monitor: string }
  | { readonly kind: 'named'; readonly name: string };

/** What configured a cluster's synchronous standby count (ClusterPlan.synchronousSource). */
export type SynchronousSource =
  | { readonly kind: 'synchronous_standby_names'; readonly method: 'first' | 'any'; readonly num: number; readonly names: readonly string[]; readonly node: string }
  | { readonly kind: 'pg_auto_failover'; readonly numberSyncStandbys: number }
  | { readonly kind: 'patroni'; readonly strict: boolean; readonly synchronousNodeCount: number; readonly quorum?: true };

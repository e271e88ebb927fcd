/**
 * pg_auto_failover (../shared/domain/managers.md §3; hapostgres/pg_auto_failover v2.2 and main @bc8c6ae0):
 * a monitor (a PostgreSQL node with the extension, at a site: it can be stopped or cut off) holds every
 * node's assigned goal state and runs the group state machine; a keeper on each data node's host calls
 * node_active on it, reports its state, LSN and whether PostgreSQL runs, gets its goal and performs the
 * transition. The monitor checks each node with a libpq connection (health_check_worker.c).
 *
 * The monitor's loop runs every second while anything is in transition or abnormal and sleeps when the group
 * is stable (every goal reached, every node healthy, nothing degraded); a change of the network, of a node
 * or of a goal wakes it. Approximations are listed in docs/model-managers.md.
 */
import type { Micros } from '../../engine/time.ts';
import type { EventHandle } from '../../engine/simulation.ts';
import type { PgAutoFailoverSpec, Switchover } from '../../scenario/types-managers.ts';
import type { Endpoint } from '../network/network.ts';
import type { PgCluster } from '../postgres/cluster.ts';
import { PRIORITY } from '../postgres/context.ts';
import type { Lsn } from '../postgres/lsn.ts';
import type { PgNode } from '../postgres/node.ts';
import { probe } from './health.ts';
import type { Manager } from './manager.ts';
import { pgafSlotName } from './slot-name.ts';
import { factKey, type Fact } from '../../history/facts/index.ts';
import type { GoalWhy, PgafSwitchoverRefusal, Refusal } from '../../history/facts/managers.ts';

/** The sources of hapostgres/pg_auto_failover the model follows. */
const RULE = {
  groupState: 'pg_auto_failover: src/monitor/group_state_machine.c:ProceedGroupState',
  election: 'pg_auto_failover: src/monitor/group_state_machine.c:ProceedWithMSFailover',
  candidates: 'pg_auto_failover: src/monitor/group_state_machine.c:BuildCandidateList',
  promoteThreshold: 'pg_auto_failover: src/monitor/group_state_machine.c:WalDifferenceWithin',
  partition: 'pg_auto_failover: src/bin/pg_autoctl/service_keeper.c:in_network_partition',
  rewindOrInit: 'pg_auto_failover: src/bin/pg_autoctl/fsm_transition.c:fsm_rewind_or_init',
  performFailover: 'pg_auto_failover: src/monitor/node_active_protocol.c:perform_failover',
  performPromotion: 'pg_auto_failover: src/monitor/node_active_protocol.c:perform_promotion',
} as const;
/** node_active_protocol.c CANDIDATE_PRIORITY_INCREMENT (MAX_USER_DEFINED_CANDIDATE_PRIORITY is 100 too). */
const PRIORITY_INCREMENT = 100;
import { divergence, Rejoin } from './rejoin.ts';

/** The states of docs/failover-state-machine.rst that the model uses. */
export type PgafState =
  | 'single'
  | 'wait_primary'
  | 'primary'
  | 'draining'
  | 'demote_timeout'
  | 'demoted'
  | 'catchingup'
  | 'secondary'
  | 'report_lsn'
  | 'fast_forward'
  | 'prepare_promotion'
  | 'stop_replication';

const PRIMARY_SIDE: readonly PgafState[] = ['single', 'wait_primary', 'primary'];
/** The states in which the keeper keeps PostgreSQL running (keeper.c keeper_ensure_current_state). */
const RUNNING: readonly PgafState[] = [...PRIMARY_SIDE, 'secondary', 'catchingup', 'report_lsn', 'prepare_promotion', 'stop_replication'];
const TICK = 1_000_000 as Micros;
/** defaults.h POSTGRESQL_FAILS_TO_START_TIMEOUT: a primary keeper reports PostgreSQL down after failing to restart it this long. */
const RESTART_FAILURE_TIMEOUT = 20_000_000 as Micros;

interface NodeRecord {
  readonly node: PgNode;
  readonly endpoint: Endpoint;
  goal: PgafState;
  /** The keeper's own state (what it last did). */
  state: PgafState;
  /** The state the monitor last heard from the keeper. */
  reported: PgafState;
  reportedLsn: Lsn;
  pgRunning: boolean;
  /** When the keeper last reached the monitor (node_active). */
  lastReport: Micros;
  /** When the goal last changed (primary_demote_timeout counts from there). */
  goalSince: Micros;
  /** Why the monitor assigned the goal (null: the initial state). */
  goalWhy: GoalWhy | null;
  health: 'good' | 'bad';
  /** A round in progress: its result, known when its tries are over. */
  pendingHealth: { readonly value: 'good' | 'bad'; readonly at: Micros } | null;
  /** When the next health check round is due. */
  nextCheck: Micros;
  /** The keeper: when it last reached the monitor (last_monitor_contact). */
  lastMonitorContact: Micros;
  /**
   * A primary keeper without the monitor: when it last saw a standby in pg_stat_replication
   * (last_secondary_contact, kept in its state file; null: never, which rules out the partition check).
   */
  lastStandbyContact: Micros | null;
  /** Changed by the monitor for a while by perform_promotion and perform_failover (PRIORITY_INCREMENT). */
  candidatePriority: number;
  readonly replicationQuorum: boolean;
  /** The keeper's fsm_stop_postgres still waits for the postmaster to exit (a clean stop's walsenders drain). */
  stopping: boolean;
  /** pg_autoctl's replication slot for this node on the primary (pgautofailover_standby_<node id>). */
  readonly slot: string;
  /** Since when the keeper has found PostgreSQL down in a state where it should run (null: it runs). */
  downSince: Micros | null;
  /** fast_forward: the most advanced standby to fetch the missing WAL from, and up to where. */
  fastForward: { readonly from: NodeRecord; readonly to: Lsn } | null;
  /** The keeper's pg_rewind and pg_basebackup of this node (fsm_rewind_or_init). */
  readonly rejoin: Rejoin;
}

export class PgAutoFailover implements Manager {
  readonly monitor: Endpoint;
  private readonly nodes: NodeRecord[];
  private timer: EventHandle | null = null;
  private readonly monitorStarted: Micros;
  /** The node last found as the primary (named in an election held once it went report_lsn itself). */
  private lastPrimary = '';
  /** The last decision's text, so that a refusal repeated every second is recorded once. */
  private lastDecision = '';

  constructor(
    private readonly cluster: PgCluster,
    readonly spec: PgAutoFailoverSpec,
  ) {
    this.monitor = { name: spec.monitor.name, site: spec.monitor.site };
    const now = cluster.ctx.sim.now;
    this.monitorStarted = now;
    const standbys = [...cluster.nodes.values()].filter((n) => !n.isPrimary).length;
    // The health check worker's rounds run every health_check_period from when it started, before the run:
    // their phase is drawn from the seed, so a fault falls anywhere within a round (health_check_worker.c).
    const firstRound = (now + Math.floor(cluster.ctx.random.stream(`pgaf/${spec.monitor.name}/health-rounds`).next() * spec.healthCheckPeriod)) as Micros;
    this.nodes = [...cluster.nodes.values()].map((n, i) => {
      const o = spec.nodes[n.name];
      // pg_autoctl streams every standby through a physical slot named after its node id (the monitor numbers
      // the nodes as they register: here in the order the scenario lists them), primary_slot_name in its
      // primary_conninfo setup (primary_standby.c standby_init_replication_source).
      const slot = pgafSlotName(i + 1);
      n.settings = { ...n.settings, primarySlotName: slot };
      // pg_autoctl writes wal_log_hints = on into every node's configuration (defaults.h
      // DEFAULT_GUC_SETTINGS_FOR_PG_AUTO_FAILOVER), so that a demoted primary can be rewound.
      if (!n.settings.walLogHints) n.settings = { ...n.settings, walLogHints: true };
      // pg_autoctl writes recovery_target_timeline = 'latest' with primary_conninfo in every standby's
      // recovery settings (pgctl.c pg_write_recovery_conf / pg_write_standby_signal, prepare_recovery_settings:
      // 'latest' unless a target is given, which only its crash recovery before pg_rewind does), so a standby
      // of a 10 (default 'current') follows a new primary's timeline as from 12 on.
      if (n.settings.recoveryTargetTimeline !== 'latest') n.settings = { ...n.settings, recoveryTargetTimeline: 'latest', recoveryTargetTimelineDefaulted: false };
      const goal: PgafState = n.isPrimary ? (standbys === 0 ? 'single' : 'primary') : 'secondary';
      return {
        node: n,
        endpoint: cluster.endpointOf(n),
        goal,
        state: goal,
        reported: goal,
        reportedLsn: n.walEnd(now),
        pgRunning: true,
        lastReport: now,
        goalSince: now,
        goalWhy: null,
        health: 'good',
        pendingHealth: null,
        nextCheck: firstRound,
        lastMonitorContact: now,
        lastStandbyContact: null,
        candidatePriority: o?.candidatePriority ?? 50,
        replicationQuorum: o?.replicationQuorum ?? true,
        slot,
        fastForward: null,
        downSince: null,
        stopping: false,
        rejoin: new Rejoin(cluster, n, 'pg_auto_failover', (tool, ok) => this.rebuilt(n, tool, ok)),
      };
    });
    this.slotsAtStart();
    cluster.storage.addWalHold((n) => this.copiesHold(n));
  }

  /** The LSN the monitor has for a node: while the loop sleeps every keeper reports each second (its position). */
  private knownLsn(r: NodeRecord): Lsn {
    return this.timer ? r.reportedLsn : r.node.walEnd(this.now);
  }

  /**
   * keeper.c keeper_maintain_replication_slots (11+): a standby keeps a slot for every other node, advanced
   * (pg_replication_slot_advance) to the LSN the monitor has for it, "so that every node keep a local copy of
   * the WAL files that each other node might need": a node elected behind fetches what it lacks from the most
   * advanced standby (fast_forward), which has kept it. The copies on the primary's side hold nothing (it is
   * ahead). Approximation: the copies are not slots of the model (one slot per name) but a floor on what the
   * standby removes, from the start of the run, in every state (real: advanced only in secondary and
   * report_lsn); a copy becomes the node's slot when the node streams from its holder (slotOn).
   */
  private copiesHold(n: PgNode): Lsn | null {
    if (n.version < 11 || n.isPrimary || !this.nodes.some((r) => r.node === n)) return null;
    let min: Lsn | null = null;
    for (const o of this.nodes) {
      if (o.node === n || o.node.isPrimary) continue;
      const at = this.knownLsn(o);
      if (min === null || at < min) min = at;
    }
    return min;
  }

  private get now(): Micros {
    return this.cluster.ctx.sim.now;
  }

  /** The slots a formation that has been running has at the start: its primary's, one per other node. */
  private slotsAtStart(): void {
    const p = this.primary();
    if (p) this.ensureSlots(p);
  }

  /**
   * keeper.c keeper_create_and_drop_replication_slots: a primary keeper keeps a physical slot for every other
   * node of the group (a slot left on another server is dropped there when not in use and created here, at
   * this server's redo point: pg_create_physical_replication_slot(name, true)). Approximation: the copies
   * that standbys keep advancing (keeper_maintain_replication_slots, 11+) are not modelled.
   */
  private ensureSlots(p: NodeRecord): void {
    const n = p.node;
    if (!n.running || !n.isPrimary) return;
    for (const r of this.nodes) if (r !== p) this.slotOn(n, r);
    // The primary's own slot, left where it streamed from (or fast-forwarded from), is dropped there: the keepers
    // keep only the other nodes' slots (pgsql.c drops the rest when not active).
    const slots = this.cluster.storage.slots;
    const own = slots.views(this.now).find((v) => v.name === p.slot);
    if (own && !own.active) slots.drop(p.slot);
  }

  /** `r`'s slot on `server`: moved there (dropped where it was, unless in use) if it is elsewhere. */
  private slotOn(server: PgNode, r: NodeRecord, reserveAt?: Lsn): void {
    const slots = this.cluster.storage.slots;
    const at = slots.views(this.now).find((v) => v.name === r.slot);
    if (at?.node === server.name) return;
    if (at) {
      if (at.active) return;
      slots.drop(r.slot);
    }
    slots.create({ name: r.slot, node: server.name, kind: 'physical', database: null, consumer: 'stopped', hotStandbyFeedback: false }, reserveAt);
  }

  /** Where `holder`'s copy of `r`'s slot stands (11+: advanced to what the monitor has for `r`, not past the holder's own WAL). */
  private copyAt(holder: PgNode, r: NodeRecord): Lsn | undefined {
    return holder.version >= 11 ? Math.min(this.knownLsn(r), holder.walEnd(this.now)) : undefined;
  }

  start(): void {
    // The keepers set synchronous_standby_names as the monitor computes it (node_active_protocol.c), and the
    // primary has had its standbys' slots since they joined.
    const p = this.primary();
    if (p) this.applySyncNames(p);
    // A node that stops, starts or changes role wakes the loop (the keeper reports it at once).
    let shape = '';
    this.cluster.observers.push(() => {
      const now = this.nodes.map((r) => `${r.node.run.state}${r.node.role.kind}`).join();
      if (now !== shape) this.poke();
      shape = now;
    });
    this.poke();
  }

  onRouteWrites(): void {
    // Applications of a pg_auto_failover formation connect with a multi-host URI and
    // target_session_attrs=read-write: they find the primary themselves (see route()).
  }

  onNetworkChange(): void {
    this.poke();
  }

  /**
   * `pg_autoctl perform switchover` calls the monitor's perform_failover; with a candidate, `pg_autoctl perform
   * promotion --name C` calls perform_promotion (node_active_protocol.c; pg_autoctl has no switchover to a
   * named node). Their checks raise an ERROR (the transaction, the priority change included, is rolled back);
   * otherwise, two nodes: the standby goes prepare_promotion and the primary draining at once, and the failover
   * goes on as after an unhealthy primary (advancePromotion): no lag check (the WAL the standby has not
   * received when stop_replication promotes it is lost); more nodes: the primary goes draining with its
   * candidate_priority lowered by 100 (the candidate's raised by 100), and the election runs once it has
   * stopped (multiStandbyFailover, elect: report_lsn, promote_wal_log_threshold, fast_forward).
   * Approximation: the keepers act at the monitor's next loop, not up to a second later each.
   */
  switchover(req: Switchover): void {
    const candidate = req.candidate === null ? null : this.nodes.find((r) => r.node.name === req.candidate) ?? null;
    const refuse = (reason: PgafSwitchoverRefusal, rule: string): void => this.say(candidate, { kind: 'pgaf-switchover-refused', cluster: this.cluster.name, candidate: req.candidate, reason, rule });
    if (this.cluster.ctx.net.isIsolated(this.monitor.name)) return refuse({ kind: 'monitor-unreachable', monitor: this.monitor.name }, RULE.performFailover);
    // IsCurrentState: the goal, reached and reported.
    const current = (r: NodeRecord, ...states: PgafState[]) => states.includes(r.goal) && r.reported === r.goal;
    let raise: NodeRecord | null = null;
    if (candidate) {
      if (current(candidate, 'single', 'primary')) return refuse({ kind: 'already-primary', node: candidate.node.name }, RULE.performPromotion);
      if (!current(candidate, 'secondary', 'report_lsn')) return refuse({ kind: 'promotion-state', node: candidate.node.name, reported: candidate.reported, goal: candidate.goal }, RULE.performPromotion);
      if (this.nodes.length > 2) raise = candidate;
    }
    if (this.nodes.length < 2) return refuse({ kind: 'too-few-nodes', nodes: this.nodes.length }, RULE.performFailover);
    // GetNodeToFailoverFromInGroup: a node that can initiate a failover (single, primary), in that state.
    const p = this.nodes.find((r) => current(r, 'single', 'primary'));
    if (!p) return refuse({ kind: 'no-primary' }, RULE.performFailover);
    const why: GoalWhy = { kind: 'perform-failover', candidate: req.candidate };
    if (this.nodes.length === 2) {
      const s = this.nodes.find((r) => r !== p)!;
      // main after v2.2 refuses a standby of candidate_priority 0 here; v2.2 went on and promoted it.
      if (s.candidatePriority === 0) return refuse({ kind: 'candidate-priority-zero', node: s.node.name }, RULE.performFailover);
      if (s.goal !== 'secondary') return refuse({ kind: 'standby-state', node: s.node.name, state: s.goal }, RULE.performFailover);
      if (!current(p, 'primary') || !current(s, 'secondary')) {
        const st = (r: NodeRecord) => ({ node: r.node.name, reported: r.reported, goal: r.goal });
        return refuse({ kind: 'not-stable', primary: st(p), standby: st(s) }, RULE.performFailover);
      }
      this.assign(p, 'draining', why);
      this.assign(s, 'prepare_promotion', why);
    } else {
      if (raise) this.reprioritize(raise, PRIORITY_INCREMENT, RULE.performPromotion);
      this.assign(p, 'draining', why);
      // "the old primary is often in the best situation to win the election": it is made to lose it.
      this.reprioritize(p, -PRIORITY_INCREMENT, RULE.performFailover);
    }
    this.poke();
  }

  private reprioritize(r: NodeRecord, by: number, rule: string): void {
    r.candidatePriority += by;
    this.say(r, { kind: 'pgaf-candidate-priority', node: r.node.name, priority: r.candidatePriority, back: false, rule });
  }

  /** Wake the loop (it runs every second while anything is in transition or abnormal). */
  private poke(): void {
    if (this.timer) return;
    // While the loop slept the group was stable: every keeper reported and every check passed until now.
    for (const r of this.nodes) {
      r.lastReport = this.now;
      r.lastMonitorContact = this.now;
      r.reportedLsn = r.node.walEnd(this.now);
      // The health check rounds went on while it slept, every one passing: the next is due on that schedule.
      const period = this.spec.healthCheckPeriod;
      if (r.nextCheck < this.now) r.nextCheck = (r.nextCheck + Math.ceil((this.now - r.nextCheck) / period) * period) as Micros;
    }
    this.timer = this.cluster.ctx.sim.at(this.now, `pg_auto_failover ${this.cluster.name}`, () => this.tick(), PRIORITY.manager);
  }

  private reach(a: Endpoint, b: Endpoint): boolean {
    return this.cluster.ctx.net.reachable(a, b);
  }

  private primary(): NodeRecord | undefined {
    return this.nodes.find((r) => PRIMARY_SIDE.includes(r.goal) || r.goal === 'draining' || r.goal === 'demote_timeout');
  }

  private say(r: NodeRecord | null, fact: Fact): void {
    this.cluster.log(r?.node ?? null, 'failover', fact);
  }

  private assign(r: NodeRecord, goal: PgafState, why: GoalWhy): void {
    if (r.goal === goal) return;
    this.say(r, { kind: 'pgaf-goal', node: r.node.name, goal, why, rule: RULE.groupState });
    r.goal = goal;
    r.goalSince = this.now;
    r.goalWhy = why;
  }

  private tick(): void {
    this.timer = null;
    const monitorUp = !this.cluster.ctx.net.isIsolated(this.monitor.name);
    for (const r of this.nodes) this.keeper(r, monitorUp);
    if (monitorUp) {
      this.healthChecks();
      this.proceed();
    }
    this.route();
    if (this.active(monitorUp)) this.timer = this.cluster.ctx.sim.after(TICK, `pg_auto_failover ${this.cluster.name}`, () => this.tick(), PRIORITY.manager);
  }

  /** Whether anything is in transition or abnormal: the loop keeps running (else it sleeps until poked). */
  private active(monitorUp: boolean): boolean {
    return this.nodes.some((r) => r.goal !== r.reported || r.health === 'bad' || r.pendingHealth !== null || !r.node.running || !this.reach(this.monitor, r.endpoint) || r.node.service.cpu !== 1 || r.node.service.disk !== 1 || r.node.service.throughput !== 1 || this.cluster.ctx.net.loss(this.monitor, r.endpoint) > 0) || !monitorUp;
  }

  // ------------------------------------------------------------------------------------------ keepers

  /** One keeper's node_active: report, get the goal, perform the transition (service_keeper.c, fsm.c). */
  private keeper(r: NodeRecord, monitorUp: boolean): void {
    const n = r.node;
    // keeper_ensure_current_state: in a state where PostgreSQL runs, the keeper restarts it at its next loop
    // (a second later), monitor or not. A node cut off from everything stands for a host that died (docs/
    // scenario.md: a crash and a partition): nobody restarts it there.
    if (n.running || r.state !== r.goal || !RUNNING.includes(r.state)) r.downSince = null;
    else if (r.downSince === null) r.downSince = this.now;
    else if (this.now - r.downSince >= TICK && !r.rejoin.busy && n.dataDirectory !== 'empty' && !this.cluster.ctx.net.isIsolated(n.name)) this.cluster.start(n);
    const reaches = monitorUp && this.reach(r.endpoint, this.monitor);
    if (reaches) {
      if (r.state !== r.goal) this.transition(r);
      r.lastReport = this.now;
      r.reported = r.state;
      r.reportedLsn = n.walEnd(this.now);
      // keeper.c ReportPgIsRunning: in the primary state the keeper says PostgreSQL runs while it is still
      // restarting it (failover is for a primary it cannot restart); in other states it says what it sees.
      r.pgRunning = n.running || (r.state === 'primary' && r.downSince !== null && this.now - r.downSince <= RESTART_FAILURE_TIMEOUT);
      r.lastMonitorContact = this.now;
    }
    // A primary keeper that cannot reach the monitor checks for a network partition (service_keeper.c
    // check_for_network_partitions, is_network_healthy, in_network_partition), only in the primary state (a
    // wait_primary or single primary has no candidate to fail over to and keeps serving whatever it sees): a
    // standby in pg_stat_replication (primary_has_replica; a walsender cut off from its standby stays there
    // until wal_sender_timeout) is noted as last_secondary_contact; with none, once both the monitor and that
    // last standby contact are more than network_partition_timeout old, it stops PostgreSQL. A keeper that
    // never saw a standby while the monitor was away (last_secondary_contact 0) never stops.
    if (n.running && n.isPrimary && r.state === 'primary' && !reaches) {
      const standby = [...this.cluster.streams].some((s) => s.up === n && this.cluster.streamUp(s)) || [...this.cluster.cutSenders.of(n)].length > 0;
      const timeout = this.spec.networkPartitionTimeout;
      if (standby) r.lastStandbyContact = this.now;
      else if (r.lastStandbyContact !== null && this.now - r.lastMonitorContact > timeout && this.now - r.lastStandbyContact > timeout) {
        const since = Math.max(r.lastMonitorContact, r.lastStandbyContact);
        this.say(r, { kind: 'pgaf-partition-stop', node: n.name, for: this.now - since, timeout, rule: RULE.partition });
        this.cluster.stop(n);
        r.state = 'demote_timeout';
      }
    }
  }

  private transition(r: NodeRecord): void {
    const n = r.node;
    const c = this.cluster;
    const p = this.primary();
    switch (r.goal) {
      case 'single':
      case 'wait_primary':
      case 'primary':
        if (!n.running && n.isPrimary) c.start(n);
        if (n.running && !n.isPrimary) c.promote(n, { kind: 'failover', policy: 'pg_auto_failover', why: { kind: 'goal-state-assigned', node: n.name, goal: r.goal } });
        this.applySyncNames(r);
        break;
      case 'draining':
      case 'demote_timeout':
      case 'demoted':
        // fsm_stop_postgres (ensure_postgres_service_is_stopped): pg_ctl stop -m fast, which returns once the
        // postmaster has exited, i.e. after its walsenders have sent the standbys the WAL they lack (drains.ts):
        // the keeper reaches the state, and reports it, only then.
        if (n.running) {
          c.stop(n);
          r.stopping = true;
          c.whenExited(n, () => {
            r.stopping = false;
            this.poke();
          });
        }
        if (r.stopping) return;
        break;
      case 'catchingup':
      case 'secondary': {
        const up = p && p !== r ? p.node.name : null;
        // The keeper is still rebuilding the node: the transition goes on (its state stays).
        if (r.rejoin.busy) return;
        // A standby in secondary or report_lsn keeps the other nodes' slots, advancing them (keeper.c
        // keeper_maintain_replication_slots, pg_replication_slot_advance, 11+): "when a failover happens with
        // more than one standby, ... the new-primary already had a replication slot for its new set of standby
        // nodes", so a node told to follow it streams at once, where a slot the new primary creates only in its
        // own next loop (10: no copies) refuses it until the walreceiver's next try. Approximation: the copy is
        // made when the node is told to follow, reserved at the new primary's redo point (real: advanced to the
        // node's last reported LSN).
        if (up && p!.node.version >= 11) this.slotOn(p!.node, r, this.copyAt(p!.node, r));
        if (up && n.dataDirectory === 'empty') {
          this.say(r, { kind: 'pgaf-basebackup', node: n.name, upstream: up, rule: RULE.rewindOrInit });
          r.rejoin.reclone(p!.node, 'spread');
          return;
        }
        if (up && (n.isPrimary || divergence(n, p!.node, this.now) !== null)) {
          // demoted -> catchingup (fsm_transition.c fsm_rewind_or_init): pg_rewind against the new primary,
          // pg_basebackup when it fails; the keeper reaches catchingup when the node runs as a standby.
          if (n.isPrimary) c.demote(n, up, 'fast', { kind: 'pgaf-rejoins', node: n.name, upstream: up, rewind: true, rule: RULE.rewindOrInit }, false);
          else if (n.role.kind === 'standby') n.role.upstream = up;
          this.say(r, { kind: 'pgaf-rewinding', node: n.name, upstream: up, rule: RULE.rewindOrInit });
          r.rejoin.rewind(p!.node);
          return;
        }
        if (n.isPrimary) {
          if (up) c.demote(n, up, 'fast', { kind: 'pgaf-rejoins', node: n.name, upstream: up, rewind: false, rule: RULE.groupState });
        } else {
          if (up && n.role.kind === 'standby' && n.role.upstream !== up) c.repoint(n, up);
          if (!n.running) c.start(n);
        }
        break;
      }
      case 'fast_forward': {
        // fsm_fast_forward: replicate from the most advanced standby until its reported LSN is reached; the
        // keeper reports fast_forward only then.
        const ff = r.fastForward;
        if (!ff || n.role.kind !== 'standby') break;
        if (!n.running) c.start(n);
        if (n.role.upstream !== ff.from.node.name) {
          // The source standby has this node's slot: standbys keep the others' slots (keeper_maintain_replication_slots).
          this.slotOn(ff.from.node, r, this.copyAt(ff.from.node, r));
          c.repoint(n, ff.from.node.name);
        }
        // The keeper polls pg_last_wal_replay_lsn() (primary_standby.c standby_fetch_missing_wal,
        // pgsql_has_reached_target_lsn): what it received counts once it is replayed, so a replay held by a
        // standby query (conflicts.ts) or behind by replay_rate holds the fast-forward.
        if (c.replayPosition(n, this.now) < ff.to - 0.5) return;
        break;
      }
      case 'report_lsn':
      case 'stop_replication':
        // fsm_report_lsn restarts the standby without primary_conninfo, so that the LSN it reports stays put
        // and a primary cut off from the monitor sees no standby left; fsm_stop_replication promotes it with
        // default_transaction_read_only = on (no read-write client picks it), which ends its stream too.
        // Approximation: replsim ends the stream (no primary_conninfo, a restart) and promotes at
        // wait_primary, when it takes writes: the fork point is the same, and a read-only primary is not
        // counted as a second writable one.
        if (n.role.kind === 'standby' && n.role.upstream !== null) {
          n.role.upstream = null;
          if (n.running) c.restart(n);
        }
        // The old primary back from draining joins the election the same way: a standby without upstream.
        if (n.isPrimary) c.demote(n, null, 'fast', { kind: 'pgaf-reports-lsn', node: n.name, rule: RULE.candidates }, true);
        if (!n.running) c.start(n);
        break;
      case 'prepare_promotion':
        if (!n.running) c.start(n);
        break;
    }
    r.state = r.goal;
  }

  /** A keeper's rebuild ended: a failed pg_rewind falls back to pg_basebackup (fsm_rewind_or_init). */
  private rebuilt(n: PgNode, tool: 'pg_rewind' | 'pg_basebackup', ok: boolean): void {
    const r = this.nodes.find((x) => x.node === n)!;
    const p = this.primary();
    if (ok || tool !== 'pg_rewind' || !p || p === r) return;
    this.say(r, { kind: 'pgaf-rewind-failed', node: n.name, rule: RULE.rewindOrInit });
    r.rejoin.reclone(p.node, 'spread');
  }

  /**
   * synchronous_standby_names as the monitor computes it (node_active_protocol.c synchronous_standby_names,
   * v2.2): empty for a single node; with one standby, `ANY 1 (it)` while it is in the quorum and its goal is
   * secondary, else empty; with more, empty while the primary is in wait_primary or no standby is in the
   * quorum, else `ANY max(n, 1)` over every quorum standby whatever its state (GroupListSyncStandbys), by
   * candidate_priority: a catchingup one acknowledges commits once it has them.
   */
  private applySyncNames(r: NodeRecord): void {
    const n = r.node;
    if (!n.running || !n.isPrimary) return;
    const others = this.nodes.filter((x) => x !== r);
    let next: { method: 'any'; num: number; names: string[] } | null = null;
    if (others.length === 1) {
      const s = others[0]!;
      if (s.replicationQuorum && s.goal === 'secondary') next = { method: 'any', num: 1, names: [s.node.settings.applicationName] };
    } else if (others.length > 1 && !(r.goal === 'wait_primary' && r.reported === 'wait_primary')) {
      const quorum = others.filter((x) => x.replicationQuorum).sort((a, b) => b.candidatePriority - a.candidatePriority);
      if (quorum.length > 0) next = { method: 'any', num: Math.max(this.spec.numberSyncStandbys, 1), names: quorum.map((x) => x.node.settings.applicationName) };
    }
    // fsm_transition.c: the keeper applies the goal state's synchronous_standby_names (fsm_disable_sync_rep,
    // fsm_enable_sync_rep); who changed it is recorded for the end of a stall it releases.
    const by = { kind: 'pg_auto_failover' as const, node: n.name, goal: r.goal, goalAt: r.goalSince, why: r.goalWhy };
    if (JSON.stringify(n.settings.synchronousStandbyNames) !== JSON.stringify(next)) this.cluster.configure(n, { synchronousStandbyNames: next }, 'never', by);
  }

  /** Clients find the primary (multi-host URI, target_session_attrs=read-write): the running primary they reach. */
  private route(): void {
    const c = this.cluster;
    for (const pool of c.writes.pools) {
      const t = pool.target;
      if (t && t.running && t.isPrimary && this.reach(pool.clients, c.endpointOf(t))) continue;
      const p = this.nodes.find((r) => r.node.running && r.node.isPrimary && PRIMARY_SIDE.includes(r.goal) && this.reach(pool.clients, r.endpoint));
      if (!p || p.node === t) continue;
      c.log(p.node, 'routing', { kind: 'writes-routed', node: p.node.name, pools: [pool.name], by: { kind: 'pg_auto_failover' } });
      c.writes.routeTo(p.node, [pool]);
    }
  }

  // ------------------------------------------------------------------------------------------ the monitor

  /**
   * health_check_worker.c: every health_check_period a connection with health_check_timeout, retried
   * health_check_max_retries times health_check_retry_delay apart; all failed: BAD. A round's outcome is
   * taken at its start (approximation).
   */
  private healthChecks(): void {
    const spec = this.spec;
    const net = this.cluster.ctx.net;
    for (const r of this.nodes) {
      if (r.pendingHealth && this.now >= r.pendingHealth.at) {
        r.health = r.pendingHealth.value;
        r.pendingHealth = null;
      }
      if (this.now < r.nextCheck) continue;
      let took = 0;
      let ok = false;
      for (let i = 0; i <= spec.healthCheckMaxRetries && !ok; i++) {
        if (i > 0) took += spec.healthCheckRetryDelay;
        const res = probe(net, this.monitor, r.node, { probe: 'connect', timeout: spec.healthCheckTimeout, latencyThreshold: null, failures: 1 }, this.cluster.ctx.random.stream(`pgaf/${r.node.name}`));
        ok = res.ok;
        took += res.latency;
      }
      r.pendingHealth = { value: ok ? 'good' : 'bad', at: (this.now + took) as Micros };
      r.nextCheck = (this.now + Math.max(spec.healthCheckPeriod, took)) as Micros;
    }
  }

  /**
   * node_metadata.c IsUnhealthy: no report for node_considered_unhealthy_timeout and the last check BAD and
   * the monitor up for startup_grace_period, or the keeper reports PostgreSQL not running.
   */
  private unhealthy(r: NodeRecord): Fact | null {
    const s = this.spec;
    const fact = (why: 'pg-not-running' | 'no-report'): Fact => ({ kind: 'pgaf-keeper-unhealthy', node: r.node.name, why, for: this.now - r.lastReport, timeout: s.nodeConsideredUnhealthyTimeout });
    if (!r.pgRunning) return fact('pg-not-running');
    if (this.now - r.lastReport > s.nodeConsideredUnhealthyTimeout && r.health === 'bad' && this.now - this.monitorStarted > s.startupGracePeriod) return fact('no-report');
    return null;
  }

  /** The candidate done fast forwarding is promoted (ProceedGroupState: fast_forward -> prepare_promotion); true while one is. */
  private fastForwarding(nodes: NodeRecord[]): boolean {
    const forwarding = nodes.find((r) => r.goal === 'fast_forward');
    if (!forwarding) return false;
    if (forwarding.reported === 'fast_forward') {
      forwarding.fastForward = null;
      this.assign(forwarding, 'prepare_promotion', { kind: 'fast-forwarded', lsn: forwarding.reportedLsn });
    }
    return true;
  }

  /**
   * No node is or was last a primary: the old primary itself went report_lsn (it came back while the
   * election could not conclude). GetPrimaryOrDemotedNodeInGroup finds none, so the election runs
   * without the promote_wal_log_threshold check, and the winner goes from prepare_promotion straight to
   * wait_primary (ProceedGroupState, "when primary node has been removed").
   */
  private withoutPrimary(): void {
    if (this.fastForwarding(this.nodes)) return;
    const promoting = this.nodes.find((r) => r.goal === 'prepare_promotion');
    if (promoting) {
      if (promoting.reported !== 'prepare_promotion') return;
      this.assign(promoting, 'wait_primary', { kind: 'ready-to-promote' });
      for (const o of this.nodes) if (o !== promoting && o.goal === 'report_lsn') this.assign(o, 'catchingup', { kind: 'new-primary', primary: promoting.node.name });
      return;
    }
    if (this.nodes.some((r) => r.goal === 'report_lsn')) this.elect(null, this.nodes);
  }

  /** group_state_machine.c ProceedGroupState for the whole group, once per loop. */
  private proceed(): void {
    const p = this.primary();
    if (!p) return this.withoutPrimary();
    this.lastPrimary = p.node.name;
    const standbys = this.nodes.filter((r) => r !== p && !PRIMARY_SIDE.includes(r.goal));
    const sick = this.unhealthy(p);

    // A failover in progress.
    const promoting = standbys.find((r) => r.goal === 'prepare_promotion' || r.goal === 'stop_replication');
    if (promoting) return this.advancePromotion(p, promoting, standbys);
    if (this.fastForwarding(standbys)) return;
    // More than two nodes: the election runs while the primary is unhealthy, whatever its state (a
    // wait_primary one included); two nodes: the secondary takes over directly (ProceedGroupState).
    if (sick && this.nodes.length > 2) return this.multiStandbyFailover(p, standbys, sick);
    if (sick && PRIMARY_SIDE.includes(p.goal)) return this.twoNodeFailover(p, standbys[0]!, sick);
    if (p.goal === 'draining' || p.goal === 'demote_timeout') return this.elect(p, standbys);

    // Steady state: standbys catch up or fall back; the primary's state follows its secondaries.
    for (const r of standbys) {
      const rs = this.unhealthy(r);
      const lag = p.reportedLsn - r.reportedLsn;
      const streaming = [...this.cluster.streams].some((s) => s.down === r.node && s.up === p.node && s.limit === null && this.cluster.streamUp(s));
      if (r.goal === 'secondary' && rs) this.assign(r, 'catchingup', { kind: 'unhealthy', why: rs });
      else if (r.goal === 'catchingup' && !rs && streaming && lag <= this.spec.enableSyncWalLogThreshold) this.assign(r, 'secondary', { kind: 'within-sync-threshold', lsn: r.reportedLsn, lag });
      else if (r.goal === 'demoted' && r.reported === 'demoted' && r.lastReport === this.now) this.assign(r, 'catchingup', { kind: 'keeper-reports-demoted', primary: p.node.name });
      // ProceedGroupState "when report_lsn and the promotion has been done already": the primary is healthy in
      // its state again (a wait_primary one is never drained), so a standby left in report_lsn follows it again.
      else if (r.goal === 'report_lsn' && r.reported === 'report_lsn' && p.reported === p.goal && (p.goal === 'wait_primary' || p.goal === 'primary')) this.assign(r, 'secondary', { kind: 'primary-healthy', primary: p.node.name });
    }
    this.primaryState(p, standbys);
    if (p.reported === p.goal) this.applySyncNames(p);
    if (p.reported === p.goal && PRIMARY_SIDE.includes(p.goal)) this.ensureSlots(p);
  }

  /**
   * The primary's own state (group_state_machine.c ProceedGroupStateForPrimaryNode, v2.2), decided once it
   * reached its goal: `single` with no other node. With no standby in the replication quorum (all async),
   * `primary` while any standby is secondary (synchronous_standby_names stays empty), else `wait_primary`.
   * Otherwise a `primary` without a quorum secondary goes `wait_primary` when number_sync_standbys is 0 and
   * stays `primary` (commits wait) when it is not; a `wait_primary` goes `primary` only once a quorum
   * standby is secondary (a new primary after a failover keeps taking writes unreplicated until then,
   * whatever number_sync_standbys says).
   */
  private primaryState(p: NodeRecord, standbys: NodeRecord[]): void {
    if (standbys.length === 0) return this.assign(p, 'single', { kind: 'no-standby' });
    if (p.reported !== p.goal) return;
    const secondaries = standbys.filter((r) => r.goal === 'secondary');
    const quorumSecondaries = secondaries.filter((r) => r.replicationQuorum);
    const outOfQuorum = secondaries.filter((r) => !r.replicationQuorum).map((r) => r.node.name);
    const nss = this.spec.numberSyncStandbys;
    if (!standbys.some((r) => r.replicationQuorum)) {
      if (secondaries.length > 0) this.assign(p, 'primary', { kind: 'secondaries', nodes: secondaries.map((r) => r.node.name) });
      else this.assign(p, 'wait_primary', { kind: 'no-healthy-secondary', outOfQuorum: [] });
    } else if (p.goal !== 'wait_primary' && quorumSecondaries.length === 0) {
      if (nss === 0) this.assign(p, 'wait_primary', { kind: 'no-healthy-secondary', outOfQuorum });
      else this.assign(p, 'primary', { kind: 'waits-for-quorum', numberSyncStandbys: nss });
    } else if (p.goal === 'wait_primary' && quorumSecondaries.length > 0) {
      this.assign(p, 'primary', { kind: 'secondaries', nodes: quorumSecondaries.map((r) => r.node.name) });
    }
    if (p.reported === p.goal) this.applySyncNames(p);
  }

  private decide(chosen: string | null, saw: Fact, rule: string, reasons: Fact[]): void {
    const key = `${chosen}|${reasons.map(factKey).join(';')}`;
    if (key === this.lastDecision) return;
    this.lastDecision = key;
    const c = this.cluster;
    c.ctx.history.failover({ at: this.now, cluster: c.name, policy: 'pg_auto_failover', chosen, reasons, saw, rule, by: { kind: 'pgaf-monitor', monitor: this.monitor.name } });
    if (!chosen) this.say(null, { kind: 'pgaf-no-failover', reasons });
  }

  /**
   * Two nodes (group_state_machine.c ProceedGroupState, "when primary fails"): the primary in a primary state
   * and unhealthy, the standby secondary, healthy, candidate_priority > 0 and within promote_wal_log_threshold
   * of the primary's last reported LSN: the primary goes draining and the standby prepare_promotion. Else
   * nothing changes: the primary keeps its goal and, back, goes on as before.
   */
  private twoNodeFailover(p: NodeRecord, r: NodeRecord, sick: Fact): void {
    const saw: Fact = { kind: 'primary-unhealthy', primary: p.node.name, why: sick };
    if (p.reported !== p.goal) return;
    const unhealthy = this.unhealthy(r);
    const why: Refusal | null = r.goal !== 'secondary' || r.reported !== 'secondary' ? { kind: 'not-secondary', state: r.goal } : r.candidatePriority <= 0 ? { kind: 'candidate-priority-zero' } : unhealthy ? { kind: 'unhealthy', why: unhealthy } : null;
    if (why) return this.decide(null, saw, RULE.groupState, [{ kind: 'candidate-refused', node: r.node.name, reason: why, rule: RULE.groupState }]);
    // WalDifferenceWithin compares Abs(primary's - standby's reported LSN): a standby that streamed on past the
    // last report of a primary that stopped reporting is refused as well.
    const behind = Math.abs(p.reportedLsn - r.reportedLsn);
    const threshold = this.spec.promoteWalLogThreshold;
    if (behind > threshold) return this.decide(null, saw, RULE.promoteThreshold, [{ kind: 'candidates-too-far-behind', behind, ahead: r.reportedLsn > p.reportedLsn, primary: p.node.name, lsn: p.reportedLsn, threshold, rule: RULE.promoteThreshold }]);
    this.decide(r.node.name, saw, RULE.groupState, [{ kind: 'candidate-ranked', node: r.node.name, priority: r.candidatePriority, lsn: r.reportedLsn, chosen: true }]);
    this.assign(p, 'draining', { kind: 'primary-unhealthy', primary: p.node.name, why: sick });
    this.assign(r, 'prepare_promotion', { kind: 'elected', priority: r.candidatePriority, lsn: r.reportedLsn });
  }

  /**
   * More than two nodes, the primary unhealthy (group_state_machine.c ProceedGroupState,
   * ProceedGroupStateForMSFailover, BuildCandidateList): a primary in the primary state with a healthy
   * secondary of candidate_priority > 0 goes draining (a wait_primary one keeps its goal); every standby in
   * secondary or catchingup that is healthy or still reporting is sent to report_lsn; then the election.
   */
  private multiStandbyFailover(p: NodeRecord, standbys: NodeRecord[], sick: Fact): void {
    const healthySecondaries = standbys.filter((r) => r.goal === 'secondary' && r.reported === 'secondary' && r.candidatePriority > 0 && !this.unhealthy(r));
    if (p.reported === p.goal && PRIMARY_SIDE.includes(p.goal) && p.goal !== 'wait_primary' && healthySecondaries.length > 0) {
      this.assign(p, 'draining', { kind: 'primary-unhealthy', primary: p.node.name, why: sick });
    }
    const waiting = ['secondary', 'catchingup'];
    let sent = false;
    for (const r of standbys) {
      if (this.unhealthy(r) && !this.reporting(r)) continue;
      if (waiting.includes(r.goal) && waiting.includes(r.reported)) {
        this.assign(r, 'report_lsn', { kind: 'reports-lsn' });
        sent = true;
      }
    }
    // BuildCandidateList: an old primary that reached draining and reports again is asked for its LSN too.
    if (p.goal === 'draining' && p.reported === 'draining' && this.reporting(p)) {
      this.assign(p, 'report_lsn', { kind: 'reports-lsn' });
      sent = true;
    }
    // The keepers report at their next call: the election runs from then on.
    if (!sent) this.elect(p, standbys);
  }

  /** node_metadata.c IsReporting: the keeper called node_active within node_considered_unhealthy_timeout. */
  private reporting(r: NodeRecord): boolean {
    return this.now - r.lastReport <= this.spec.nodeConsideredUnhealthyTimeout;
  }

  /**
   * The election (group_state_machine.c ProceedGroupStateForMSFailover, BuildCandidateList,
   * SelectFailoverCandidateNode): wait while a node sent to report_lsn has not reported it (an unhealthy,
   * silent one only if it is in the quorum); at least number_sync_standbys + 1 quorum candidates (any
   * candidate when number_sync_standbys is 0); refuse when the most advanced standby (any, reported or not)
   * is more than promote_wal_log_threshold from the primary's last reported LSN, behind or ahead; the healthy candidate of
   * the highest candidate_priority, then the most advanced LSN (real: then any); one that is not the most
   * advanced needs a healthy most advanced standby to fetch from.
   */
  private elect(p: NodeRecord | null, standbys: NodeRecord[]): void {
    const rule = RULE.election;
    const candidates: NodeRecord[] = [];
    const missing: NodeRecord[] = [];
    for (const r of standbys) {
      if (this.unhealthy(r) && !this.reporting(r)) {
        // A silent quorum node may hold the most advanced WAL: the election waits for it (BuildCandidateList).
        if (r.replicationQuorum && r.reported !== 'report_lsn') missing.push(r);
        continue;
      }
      if (r.goal === 'report_lsn' && r.reported === 'report_lsn') candidates.push(r);
      else if (r.goal === 'report_lsn') missing.push(r);
    }
    const saw: Fact = { kind: 'election', primary: p?.node.name ?? this.lastPrimary, state: p?.goal ?? 'report_lsn', candidates: standbys.filter((r) => r.goal === 'report_lsn').map((r) => ({ node: r.node.name, lsn: r.reportedLsn, reported: r.reported === 'report_lsn' })) };
    if (missing.length > 0) return this.decide(null, saw, rule, missing.map((r) => ({ kind: 'candidate-refused', node: r.node.name, reason: { kind: 'not-reported' }, rule })));
    if (candidates.length === 0) {
      const reasons: Fact[] = standbys.map((r) => {
        const unhealthy = this.unhealthy(r);
        return { kind: 'candidate-refused', node: r.node.name, reason: unhealthy ? { kind: 'unhealthy', why: unhealthy } : { kind: 'not-secondary', state: r.goal }, rule: RULE.candidates };
      });
      return this.decide(null, saw, RULE.candidates, reasons.length ? reasons : [{ kind: 'no-candidate', why: 'none-reported', rule }]);
    }
    const nss = this.spec.numberSyncStandbys;
    const quorum = candidates.filter((r) => r.replicationQuorum || nss === 0);
    if (quorum.length < nss + 1) return this.decide(null, saw, rule, [{ kind: 'quorum-too-small', reported: quorum.length, need: nss + 1, rule }]);
    const best = Math.max(...standbys.map((r) => r.reportedLsn));
    // SelectFailoverCandidateNode → WalDifferenceWithin(mostAdvancedNode, primaryNode): Abs() of the difference
    // (every version from 1.6 to main). A primary cut off from the monitor alone stops reporting while its
    // standbys stream on: once they are more than the threshold past its last report, nobody is elected.
    const behind = p ? Math.abs(p.reportedLsn - best) : 0;
    if (p && behind > this.spec.promoteWalLogThreshold) {
      return this.decide(null, saw, rule, [{ kind: 'candidates-too-far-behind', behind, ahead: best > p.reportedLsn, primary: p.node.name, lsn: p.reportedLsn, threshold: this.spec.promoteWalLogThreshold, rule: RULE.promoteThreshold }]);
    }
    const sorted = candidates.filter((r) => r.candidatePriority > 0 && !this.unhealthy(r)).sort((a, b) => b.candidatePriority - a.candidatePriority || b.reportedLsn - a.reportedLsn || (a.node.name < b.node.name ? -1 : 1));
    const chosen = sorted[0];
    if (!chosen) return this.decide(null, saw, rule, candidates.map((r) => ({ kind: 'candidate-refused', node: r.node.name, reason: r.candidatePriority > 0 ? { kind: 'unhealthy', why: this.unhealthy(r)! } : { kind: 'candidate-priority-zero' }, rule })));
    const reasons: Fact[] = sorted.map((r) => ({ kind: 'candidate-ranked', node: r.node.name, priority: r.candidatePriority, lsn: r.reportedLsn, chosen: r === chosen }));
    // ProceedWithMSFailover: the election is over, the priorities perform_promotion and perform_failover changed are set back.
    const setBack = () => {
      for (const r of [chosen, ...candidates.filter((x) => x !== chosen)]) {
        const back = r === chosen && r.candidatePriority > PRIORITY_INCREMENT ? -PRIORITY_INCREMENT : r.candidatePriority < 0 ? PRIORITY_INCREMENT : 0;
        if (back === 0) continue;
        r.candidatePriority += back;
        this.say(r, { kind: 'pgaf-candidate-priority', node: r.node.name, priority: r.candidatePriority, back: true, rule: RULE.election });
      }
    };
    if (chosen.reportedLsn < best) {
      const source = standbys.filter((r) => r.reportedLsn === best);
      if (!source.some((r) => r.health === 'good' && r.pgRunning)) return this.decide(null, saw, rule, [...reasons, { kind: 'most-advanced-unhealthy', node: chosen.node.name, lsn: best, nodes: source.map((r) => r.node.name), rule }]);
      // PromoteSelectedNode: it first fetches the missing WAL from a most advanced standby (fast_forward).
      const from = source.find((r) => r.health === 'good' && r.pgRunning)!;
      reasons.push({ kind: 'not-most-advanced', node: chosen.node.name, from: from.node.name });
      setBack();
      this.decide(chosen.node.name, saw, rule, reasons);
      chosen.fastForward = { from, to: best as Lsn };
      this.assign(chosen, 'fast_forward', { kind: 'fast-forward', from: from.node.name, lsn: best as Lsn });
      return;
    }
    setBack();
    this.decide(chosen.node.name, saw, rule, reasons);
    this.assign(chosen, 'prepare_promotion', { kind: 'elected', priority: chosen.candidatePriority, lsn: chosen.reportedLsn });
  }

  /** prepare_promotion -> stop_replication (old primary to demote_timeout) -> wait_primary after the primary reported demote_timeout or primary_demote_timeout passed. */
  private advancePromotion(p: NodeRecord, r: NodeRecord, standbys: NodeRecord[]): void {
    if (r.goal === 'prepare_promotion' && r.reported === 'prepare_promotion') {
      this.assign(r, 'stop_replication', { kind: 'ready-to-promote' });
      this.assign(p, 'demote_timeout', { kind: 'being-promoted', candidate: r.node.name });
      return;
    }
    if (r.goal === 'stop_replication' && r.reported === 'stop_replication') {
      const waited = this.now - p.goalSince;
      if (p.reported !== 'demote_timeout' && waited < this.spec.primaryDemoteTimeout) return;
      this.assign(r, 'wait_primary', p.reported === 'demote_timeout' ? { kind: 'reported-demote-timeout', primary: p.node.name } : { kind: 'demote-timeout-passed', primary: p.node.name, timeout: this.spec.primaryDemoteTimeout });
      this.assign(p, 'demoted', { kind: 'new-primary', primary: r.node.name });
      for (const o of standbys) if (o !== r && (o.goal === 'report_lsn' || o.goal === 'secondary')) this.assign(o, 'catchingup', { kind: 'new-primary', primary: r.node.name });
    }
  }
}

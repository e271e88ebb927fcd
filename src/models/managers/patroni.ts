/**
 * Patroni: one agent per PostgreSQL node, running on the node's host (it shares its network fate), and a DCS
 * (dcs.ts) that holds the leader key. Each agent runs Patroni's HA loop (../shared/domain/managers.md §1;
 * patroni/ha.py _run_cycle, __main__.py schedule_next_run):
 * - read the cluster from the DCS; on a DCS error, a running primary demotes itself ('offline': fast stop,
 *   restart as a standby without primary_conninfo) unless failsafe_mode lets it stay (every member answered
 *   its POST /failsafe), a replica does nothing (ha.py _handle_dcs_error);
 * - the leader renews its key (update_lock) and keeps PostgreSQL primary; a failed renewal (someone else
 *   holds the key) demotes it at once ('immediate-nolock');
 * - with no leader key, each agent checks whether it is the healthiest node (ha.py is_healthiest_node,
 *   _is_healthiest_node: tags, synchronous mode, maximum_lag_on_failover, check_timeline, then a REST poll of
 *   the other members with a 2 s timeout: a primary still alive, a member ahead, or one as far with a higher
 *   failover_priority disqualifies it) and races for the key (an atomic create: one wins, the others follow);
 * - the others follow the leader (primary_conninfo; recovery_target_timeline = 'latest', which Patroni
 *   writes for every replica), and a primary without the key demotes ('immediate-nolock').
 * The loop runs every loop_wait (next_run += loop_wait; an overrun runs the next cycle at once) and wakes
 * early when the leader key changes. Timeouts are adjusted as Patroni does (config.py
 * _validate_and_adjust_timeouts). Clients follow the leader as an HAProxy checking GET /primary would.
 */
import type { Micros } from '../../engine/time.ts';
import type { RandomStream } from '../../engine/random.ts';
import type { EventHandle } from '../../engine/simulation.ts';
import type { PatroniSpec, PatroniTags, Switchover } from '../../scenario/types-managers.ts';
import type { PgCluster } from '../postgres/cluster.ts';
import { PRIORITY } from '../postgres/context.ts';
import type { PgNode } from '../postgres/node.ts';
import { answerTime } from '../postgres/service.ts';
import { Dcs, type DcsClient, type DcsResult, type DcsState } from './dcs.ts';
import type { Manager } from './manager.ts';
import { factKey, type Fact } from '../../history/facts/index.ts';
import type { Choice, DivergenceFact, PatroniDemotion, PauseRefusal, Refusal, SwitchoverRefusal, TimeoutsAdjustment } from '../../history/facts/managers.ts';
import { divergence, Rejoin, rewindable } from './rejoin.ts';
import type { Lsn } from '../postgres/lsn.ts';
import { slotName } from './slot-name.ts';
import { withRetransmissions } from './health.ts';
import { quorumTransitions } from './patroni-quorum.ts';


/** Patroni's REST poll of a member during the race, and of a failsafe POST (ha.py fetch_node_status, call_failsafe_member). */
const REST_TIMEOUT = 2_000_000 as Micros;
const FAILSAFE_TRIES = 2;
const STRICT_PLACEHOLDER = '__patroni_strict_sync_replica_placeholder__';
/** ha.py _process_multisync_replication: after a change of synchronous_standby_names, time.sleep(2) before looking again. */
const SYNC_SETTLE = 2_000_000 as Micros;
/** ha.py _process_quorum_replication: time.sleep(1) before running the resolver again after a 'restart'. */
const QUORUM_RESTART = 1_000_000 as Micros;
const DEFAULT_TAGS: PatroniTags = { nofailover: false, failoverPriority: 1, nosync: false };
/** The rules of patroni/patroni the agent follows (ha.py class Ha unless said). */
const RULE = {
  timeouts: 'patroni/config.py:Config._validate_and_adjust_timeouts',
  /** This node's own checks: a primary's timeline, the nofailover tag, synchronous mode. */
  ownChecks: 'patroni/ha.py:Ha.is_healthiest_node',
  /** maximum_lag_on_failover, check_timeline, then the REST poll of the other members. */
  healthiest: 'patroni/ha.py:Ha._is_healthiest_node',
  race: 'patroni/ha.py:Ha.process_unhealthy_cluster',
  dcsError: 'patroni/ha.py:Ha._handle_dcs_error',
  failsafe: 'patroni/ha.py:Ha.check_failsafe_topology',
  demote: 'patroni/ha.py:Ha.demote',
  healthy: 'patroni/ha.py:Ha.process_healthy_cluster',
  enforcePrimary: 'patroni/ha.py:Ha.enforce_primary_role',
  follow: 'patroni/ha.py:Ha.follow',
  sync: 'patroni/ha.py:Ha._process_multisync_replication',
  /** synchronous_mode: quorum (Patroni 4.0+): the resolver's transitions, in order. */
  quorum: 'patroni/ha.py:Ha._process_quorum_replication',
  rewindOrReinitialize: 'patroni/ha.py:Ha._handle_rewind_or_reinitialize',
  rewindExecute: 'patroni/postgresql/rewind.py:Rewind.execute',
  recover: 'patroni/ha.py:Ha.recover',
  bootstrap: 'patroni/ha.py:Ha.bootstrap',
  runCycle: 'patroni/ha.py:Ha._run_cycle',
  slots: 'patroni/postgresql/slots.py:SlotsHandler.sync_replication_slots',
  /** patronictl switchover: the names checked against the DCS, then POST /switchover writes the /failover key. */
  switchoverRequest: 'patroni/api.py:RestApiHandler.do_POST_failover',
  /** patronictl pause / resume (ctl.py toggle_pause): PATCH /config to a member, which writes pause to the DCS. */
  pause: 'patroni/api.py:RestApiHandler.do_PATCH_config',
  /** The leader acts on the /failover key: is a candidate healthy enough? then demote('graceful'), else clean up. */
  switchoverLeader: 'patroni/ha.py:Ha.process_manual_failover_from_leader',
  /** The replicas in the race while the /failover key is there: the candidate takes the key, the others stand aside. */
  switchoverRace: 'patroni/ha.py:Ha.manual_failover_process_no_leader',
} as const;

/** ha.py Ha.demote('graceful'): on_shutdown sleeps 1 s before checking that a candidate received the shutdown checkpoint. */
export const ON_SHUTDOWN_WAIT = 1_000_000 as Micros;
/** ha.py Ha.demote: after releasing the key, "give a time to somebody to take the leader lock". */
const AFTER_RELEASE_WAIT = 2_000_000 as Micros;


/** config.py _validate_and_adjust_timeouts: minimums, then loop_wait + 2 × retry_timeout <= ttl (loop_wait lowered first). */
export function adjustTimeouts(loopWait: number, ttl: number, retryTimeout: number): { loopWait: number; ttl: number; retryTimeout: number; adjustment: TimeoutsAdjustment | null } {
  const lw = Math.max(1, loopWait);
  const rt = Math.max(3, retryTimeout);
  const t = Math.max(20, ttl);
  if (1 + 2 * rt > t) {
    const r = Math.floor((t - 1) / 2);
    return { loopWait: 1, ttl: t, retryTimeout: r, adjustment: { kind: 'loop-wait-and-retry-timeout', ttl: t, loopWait: [lw, 1], retryTimeout: [rt, r] } };
  }
  if (lw + 2 * rt > t) return { loopWait: t - 2 * rt, ttl: t, retryTimeout: rt, adjustment: { kind: 'loop-wait', ttl: t, retryTimeout: rt, loopWait: [lw, t - 2 * rt] } };
  const raised = [
    lw !== loopWait ? { name: 'loop_wait' as const, value: lw } : null,
    rt !== retryTimeout ? { name: 'retry_timeout' as const, value: rt } : null,
    t !== ttl ? { name: 'ttl' as const, value: t } : null,
  ].filter((x) => x !== null);
  return { loopWait: lw, ttl: t, retryTimeout: rt, adjustment: raised.length ? { kind: 'raised', settings: raised } : null };
}

export class Patroni implements Manager {
  readonly dcs: Dcs;
  readonly agents: PatroniAgent[];
  readonly loopWait: Micros;
  readonly ttl: Micros;
  readonly retryTimeout: Micros;
  private readonly adjustment: TimeoutsAdjustment | null;

  constructor(
    readonly cluster: PgCluster,
    readonly spec: PatroniSpec,
  ) {
    const a = adjustTimeouts(spec.loopWait / 1e6, spec.ttl / 1e6, spec.retryTimeout / 1e6);
    this.loopWait = (a.loopWait * 1e6) as Micros;
    this.ttl = (a.ttl * 1e6) as Micros;
    this.retryTimeout = (a.retryTimeout * 1e6) as Micros;
    this.adjustment = a.adjustment;
    this.dcs = new Dcs(cluster.ctx, spec.dcs, cluster.name, this.ttl, this.retryTimeout);
    this.agents = [...cluster.nodes.values()].map((n) => new PatroniAgent(this, n));
    // Patroni writes the recovery configuration of every replica (postgresql/config.py: standby_mode on,
    // recovery_target_timeline 'latest'), before PostgreSQL starts: the standbys now, and any primary it later
    // starts as a replica (a demoted leader), so every node has it (a primary does not read it).
    for (const n of cluster.nodes.values()) {
      if (n.settings.recoveryTargetTimeline !== 'latest') n.settings = { ...n.settings, recoveryTargetTimeline: 'latest', recoveryTargetTimelineDefaulted: false };
    }
    this.initialSync = spec.synchronousMode ? this.syncAtStart() : null;
    if (spec.useSlots) this.slotsAtStart();
  }

  /**
   * use_slots (global_config.py, default on; postgresql/config.py build_recovery_params): every replica streams
   * through a physical slot named after it (primary_slot_name), which the server it streams from holds: a
   * cluster that has been running has them when the scenario starts, each at its standby's position.
   */
  private slotsAtStart(): void {
    const c = this.cluster;
    for (const n of c.nodes.values()) {
      if (n.version < 9.4) continue;
      n.settings = { ...n.settings, primarySlotName: slotName(n.name) };
      if (n.role.kind !== 'standby' || n.role.upstream === null) continue;
      const name = slotName(n.name);
      if (!c.storage.slots.has(name)) c.storage.slots.create({ name, node: n.role.upstream, kind: 'physical', database: null, consumer: 'stopped', hotStandbyFeedback: n.settings.hotStandbyFeedback }, n.walEnd(c.ctx.sim.now));
    }
  }

  /**
   * The leader's slot for `member` (slots.py _ensure_physical_slots; dcs/__init__.py _get_members_slots), created
   * if missing. Patroni 4 on 11+ (can_advance_slots, member_slots_ttl > 0) keeps each member's slot on every node,
   * advanced to the position /status gives it, so a new leader has it where it stood (capped at its own WAL);
   * otherwise pg_create_physical_replication_slot(name, true) reserves from the redo point. Approximation: the
   * model holds one slot per name, on the node the member streams from (or will): the copies on the replicas
   * are not modelled, so the WAL they hold on a replica is not kept before it is promoted (a slot is created no
   * further back than the new leader's oldest WAL).
   */
  ensureSlot(leader: PgNode, member: PgNode, status: DcsState['slots']): void {
    const slots = this.cluster.storage.slots;
    const name = slotName(member.name);
    const at = slots.placed(name);
    if (at && at.node === leader.name) return;
    const now = this.cluster.ctx.sim.now;
    const kept = at !== null && leader.version >= 11 && this.spec.memberSlotsTtl > 0 ? status?.[name] : undefined;
    if (at) slots.drop(name);
    const reserve = kept === undefined ? undefined : Math.max(leader.oldestRetained, Math.min(kept, leader.walEnd(now)));
    // Approximation: a slot created during the run carries no hot_standby_feedback xmin (xid.ts would give a slot
    // created without its consumer an xmin at once, where pg_create_physical_replication_slot leaves it NULL).
    if (!slots.create({ name, node: leader.name, kind: 'physical', database: null, consumer: 'stopped', hotStandbyFeedback: false }, reserve)) return;
    const restartLsn = slots.views(now).find((v) => v.name === name)?.restartLsn ?? leader.walEnd(now);
    this.cluster.log(leader, 'failover', { kind: 'patroni-slot-created', node: leader.name, slot: name, member: member.name, restartLsn, from: reserve === undefined ? null : 'status', rule: RULE.slots });
  }

  /** The synchronous standbys a cluster that has been running in synchronous_mode has at the start (/sync). */
  private readonly initialSync: { leader: string; standbys: string[]; quorum?: number } | null;

  /**
   * A running cluster in synchronous_mode already has its synchronous standbys when the scenario starts: the
   * primary's synchronous_standby_names (FIRST n) and /sync name synchronous_node_count of its direct standbys
   * (not nosync), by name; the leader's first loop then keeps or changes them as it would (manageSync).
   */
  private syncAtStart(): { leader: string; standbys: string[]; quorum?: number } | null {
    const primary = [...this.cluster.nodes.values()].find((n) => n.isPrimary);
    if (!primary) return null;
    const direct = [...this.cluster.nodes.values()]
      .filter((n) => n.role.kind === 'standby' && n.role.upstream === primary.name && !this.tags(n.name).nosync)
      .map((n) => n.name)
      // postgresql/sync.py current_state: members without nofailover first (Patroni 3.0+).
      .sort((a, b) => Number(this.tags(a).nofailover) - Number(this.tags(b).nofailover) || (a < b ? -1 : 1));
    const count = this.spec.synchronousNodeCount;
    if (this.spec.quorumCommit) {
      // The steady state of quorum.py: sync = voters = active (every streaming standby, one with nofailover only while
      // fewer than synchronous_node_count are listed), numsync = min(synchronous_node_count, |active|), quorum = the rest.
      const active = direct.filter((x, i) => !this.tags(x).nofailover || i < count);
      const numsync = Math.min(count, active.length);
      if (active.length > 0 && primary.settings.synchronousStandbyNames === null) primary.settings = { ...primary.settings, synchronousStandbyNames: { method: 'any', num: numsync, names: [...active].sort() } };
      return { leader: primary.name, standbys: active, quorum: active.length - numsync };
    }
    const standbys = direct.slice(0, count);
    if (standbys.length === 0) return { leader: primary.name, standbys: [] };
    if (primary.settings.synchronousStandbyNames === null) primary.settings = { ...primary.settings, synchronousStandbyNames: { method: 'first', num: standbys.length, names: standbys } };
    return { leader: primary.name, standbys };
  }

  tags(node: string): PatroniTags {
    return this.spec.tags[node] ?? DEFAULT_TAGS;
  }

  start(): void {
    const c = this.cluster;
    if (this.adjustment) c.log(null, 'failover', { kind: 'patroni-timeouts-adjusted', adjustment: this.adjustment, rule: RULE.timeouts });
    const primary = [...c.nodes.values()].find((n) => n.isPrimary)!;
    this.dcs.start(primary.name, primary.tli, primary.walEnd(c.ctx.sim.now), this.initialSync, (name) => c.node(name).running, this.spec.pause);
    for (const a of this.agents) a.start();
  }

  onRouteWrites(): void {
    // Clients of a Patroni cluster follow the leader (HAProxy's GET /primary), whatever the plan said.
  }

  onNetworkChange(): void {
    this.dcs.onNetworkChange();
  }

  agentOf(name: string): PatroniAgent | undefined {
    return this.agents.find((a) => a.node.name === name);
  }

  /** Clients that reach the leader and write elsewhere are sent to it (an HAProxy whose GET /primary check now passes there). */
  /**
   * patronictl switchover --force (ctl.py _do_failover_or_switchover): it checks the names against the cluster as
   * the DCS has it, then POSTs /switchover to the leader's REST API, which writes the /failover key (api.py
   * do_POST_failover; the leader is always named: --leader defaults to the current one) and wakes the leader's
   * loop. A refusal is said, and nothing happens.
   */
  switchover(req: Switchover): void {
    const c = this.cluster;
    const leader = this.dcs.leaderName();
    const refuse = (reason: SwitchoverRefusal) =>
      void c.ctx.history.event(c.ctx.sim.now, c.name, null, 'failover', { kind: 'patroni-switchover-refused', cluster: c.name, ...(req.action === 'failover' ? { action: 'failover' as const } : {}), reason, rule: RULE.switchoverRequest });
    if (req.action === 'failover') return this.failover(req.candidate!, leader, refuse);
    if (leader === null) return refuse({ kind: 'no-leader' });
    if (req.leader !== null && req.leader !== leader) return refuse({ kind: 'not-leader', named: req.leader, leader });
    if (req.candidate === leader) return refuse({ kind: 'already-leader', candidate: leader });
    if (req.candidate === null && this.dcs.paused()) return refuse({ kind: 'paused-no-candidate' });
    const sync = this.spec.synchronousMode ? this.dcs.syncState() : null;
    // api.py do_POST_failover: "candidate name does not match with sync_standby", not in quorum mode (Patroni 4.0+).
    const quorum = this.spec.quorumCommit;
    if (req.candidate !== null && sync !== null && !quorum && !sync.standbys.includes(req.candidate)) return refuse({ kind: 'not-synchronous', candidate: req.candidate, standbys: sync.standbys });
    const agent = this.agentOf(leader)!;
    // is_failover_possible (api.py): the candidate, or some member (synchronous ones in synchronous mode), answers
    // its REST API and may promote; the lag is the leader loop's check.
    const members = this.agents.filter((a) => a !== agent && (req.candidate !== null ? a.node.name === req.candidate : sync === null || quorum || sync.standbys.includes(a.node.name)));
    if (!members.some((a) => agent.status(a) !== null && !this.tags(a.node.name).nofailover)) return refuse({ kind: 'no-good-candidates' });
    const r = this.dcs.update(agent.client, { failover: { leader, candidate: req.candidate } });
    if (!r.ok) return refuse({ kind: 'dcs', why: r.why });
    c.ctx.sim.after(r.delay, `patroni ${leader} switchover`, () => agent.wake(), PRIORITY.manager);
  }

  /**
   * patronictl failover --candidate C --force (ctl.py _do_failover_or_switchover with action failover): no leader
   * is needed. It POSTs /failover to the leader's REST API, or with no leader to the candidate's; the API checks
   * that the candidate answers and may promote (api.py is_failover_possible: failover_limitation, no lag) and
   * writes the /failover key without a leader. A leader then treats it as a switchover (ha.py
   * process_manual_failover_from_leader: the lag check, the graceful demotion); with none the candidate takes
   * the key at once (manual_failover_process_no_leader: "manual failover/switchover to me"), however far behind.
   */
  private failover(candidate: string, leader: string | null, refuse: (reason: SwitchoverRefusal) => void): void {
    const c = this.cluster;
    if (candidate === leader) return refuse({ kind: 'already-leader', candidate });
    if (this.tags(candidate).nofailover) return refuse({ kind: 'nofailover', candidate });
    const api = this.agentOf(leader ?? candidate)!;
    const target = this.agentOf(candidate)!;
    if (api.status(target) === null) return refuse({ kind: 'no-good-candidates' });
    const r = this.dcs.update(api.client, { failover: { leader: null, candidate } });
    if (!r.ok) return refuse({ kind: 'dcs', why: r.why });
    c.ctx.sim.after(r.delay, `patroni ${api.node.name} failover`, () => api.wake(), PRIORITY.manager);
  }

  /**
   * patronictl pause / resume (ctl.py toggle_pause): refused when the cluster already is in that state ("Cluster is
   * already paused" / "Cluster is not paused"); otherwise PATCH /config {"pause": ...} to the members, the leader
   * first: the first whose Patroni writes the configuration to the DCS (api.py do_PATCH_config) wakes its own loop;
   * the others see it at their next loop. Approximation: a member whose write fails is skipped (real: patronictl
   * tries the next member only when one does not answer at all).
   */
  pause(on: boolean): void {
    const c = this.cluster;
    const refuse = (reason: PauseRefusal) => void c.ctx.history.event(c.ctx.sim.now, c.name, null, 'failover', { kind: 'patroni-pause-refused', cluster: c.name, pause: on, reason, rule: RULE.pause });
    if (this.dcs.paused() === on) return refuse({ kind: 'already' });
    const leader = this.dcs.leaderName();
    const order = [...this.agents].sort((a, b) => Number(b.node.name === leader) - Number(a.node.name === leader));
    let failed: Fact | null = null;
    for (const a of order) {
      const r = this.dcs.update(a.client, { paused: on });
      if (!r.ok) {
        failed ??= r.why;
        continue;
      }
      c.ctx.history.event(c.ctx.sim.now, c.name, a.node.name, 'failover', { kind: 'patroni-pause-set', cluster: c.name, node: a.node.name, pause: on, rule: RULE.pause });
      c.ctx.sim.after(r.delay, `patroni ${a.node.name} pause`, () => a.wake(), PRIORITY.manager);
      return;
    }
    refuse({ kind: 'dcs', why: failed! });
  }

  route(leader: PgNode): void {
    const c = this.cluster;
    const pools = c.writes.pools.filter((p) => p.target !== leader && c.ctx.net.reachable(p.clients, c.endpointOf(leader)));
    if (pools.length === 0) return;
    c.log(leader, 'routing', { kind: 'writes-routed', node: leader.name, pools: pools.map((p) => p.name), by: { kind: 'patroni' } });
    c.writes.routeTo(leader, pools);
  }
}

type Step = () => void;

/** One Patroni process: its HA loop on the node's host. */
export class PatroniAgent {
  readonly client: DcsClient;
  /** The last cluster state it read (the failsafe topology comes from it when the DCS is gone). */
  private view: DcsState | null = null;
  /** The leader of the last cluster read with one (ha.py old_cluster.leader): the race ignores its failover_priority. */
  private formerLeader: string | null = null;
  private busy = false;
  private sleeping: EventHandle | null = null;
  private nextRun = 0 as Micros;
  /** failsafe_mode: a leader's POST /failsafe keeps it "alive" for ttl (ha.py update_failsafe). */
  private failsafe: { leader: string; until: Micros } | null = null;
  /** The last decision's text, so that a refusal repeated every loop is recorded once. */
  private lastDecision = '';
  private rewindNoted: string | null = null;
  /** Packet losses on this agent's REST calls to the others (its own stream). */
  private restRandom: RandomStream | null = null;
  /** pg_rewind and re-clones of this node (rejoin.ts). */
  private readonly rejoin: Rejoin;
  /** The leader (name|timeline) a pg_rewind failed against (rewind.py REWIND_STATUS.FAILED): no second try. */
  private rewindFailed: string | null = null;
  /** The leader (name|timeline) the rebuild in progress runs against. */
  private rebuildingFor: string | null = null;
  /**
   * While leader: when each member slot's member was last seen present (dcs/__init__.py _build_retain_slots,
   * _last_retain_slots: in this process's memory, so a new leader starts without them).
   */
  private readonly retainSeen = new Map<string, Micros>();
  /**
   * A switchover's graceful demotion in progress (ha.py Ha.demote('graceful') in the async executor): the loop
   * only renews the key meanwhile (handle_long_action_in_progress).
   */
  private switching: { readonly candidate: string | null; released: boolean } | null = null;
  /**
   * postgresql/sync.py SyncHandler: the synchronous_standby_names last seen, the primary's flush LSN then
   * (_primary_flush_lsn) and the standbys seen to reach it since (_ready_replicas).
   */
  private syncHandler: { names: string; primaryFlushLsn: Lsn; ready: Set<string> } = { names: '', primaryFlushLsn: 0, ready: new Set() };
  /** The last thing maintenance mode left undone here (said once until it changes). */
  private pauseNoted = '';
  /**
   * A switchover's graceful demotion stopped PostgreSQL: ha.py demote starts it as a replica itself
   * (state_handler.follow), pause or not, where the loop would leave it down in pause.
   */
  private demotedBySwitchover = false;

  constructor(
    private readonly group: Patroni,
    readonly node: PgNode,
  ) {
    const c = group.cluster;
    const ep = c.endpointOf(node);
    const members = group.spec.dcs.members;
    const local = members.findIndex((m) => m.site === node.site);
    this.client = { name: node.name, endpoint: ep, member: local >= 0 ? local : 0, onLeaderChange: () => this.wake() };
    group.dcs.register(this.client);
    this.rejoin = new Rejoin(c, node, 'Patroni', (tool, ok) => this.rebuilt(tool, ok), true);
  }

  private get c(): PgCluster {
    return this.group.cluster;
  }

  private get now(): Micros {
    return this.c.ctx.sim.now;
  }

  start(): void {
    // Each Patroni process was started at its own time: its loop runs at its own phase within loop_wait (from
    // the seed), not at the scenario's round instants, so a fault at 10:00:00 is seen at the next loop.
    const phase = Math.floor(this.c.ctx.random.stream(`patroni/${this.node.name}`).next() * this.group.loopWait);
    this.nextRun = (this.now + phase) as Micros;
    this.sleeping = this.c.ctx.sim.at(this.nextRun, `patroni ${this.node.name}`, () => this.cycle(), PRIORITY.manager);
  }

  /** A watch fired (the leader key changed): the sleeping loop runs now. */
  wake(): void {
    if (this.busy || !this.sleeping) return;
    this.c.ctx.sim.cancel(this.sleeping);
    this.nextRun = this.now;
    this.sleeping = this.c.ctx.sim.at(this.now, `patroni ${this.node.name}`, () => this.cycle(), PRIORITY.manager);
  }

  /** A DCS request the loop waits for: retried until retry_timeout while no member works (Dcs.send). */
  private dcsCall<T>(op: () => DcsResult<T>, step: (r: DcsResult<T>) => void): void {
    this.group.dcs.send(this.client, op, step);
  }

  private later(delay: number, step: Step): void {
    if (delay <= 0) step();
    else this.c.ctx.sim.after(delay as Micros, `patroni ${this.node.name}`, step, PRIORITY.manager);
  }

  /** One of Patroni's own log lines, as a fact. */
  private say(fact: Fact): void {
    this.c.log(this.node, 'failover', fact);
  }

  /** pause: Patroni's "PAUSE: ..." for what it leaves undone, said once while it repeats. */
  private paused(what: 'not-restarted' | 'dcs' | 'without-lock', rule: string): void {
    if (this.pauseNoted === what) return;
    this.pauseNoted = what;
    this.say({ kind: 'patroni-paused', node: this.node.name, what, rule });
  }

  private done(): void {
    this.busy = false;
    // __main__.py schedule_next_run: next_run += loop_wait; an overrun runs the next cycle at once.
    this.nextRun = (this.nextRun + this.group.loopWait) as Micros;
    if (this.nextRun <= this.now) this.nextRun = this.now;
    this.sleeping = this.c.ctx.sim.at(this.nextRun, `patroni ${this.node.name}`, () => this.cycle(), PRIORITY.manager);
  }

  private cycle(): void {
    this.sleeping = null;
    this.busy = true;
    this.dcsCall(() => this.group.dcs.read(this.client), (r) => {
      if (!r.ok) return this.dcsError(r.why);
      this.view = r.value;
      if (r.value.leader !== null) this.formerLeader = r.value.leader;
      // ha.py _run_cycle (finally: touch_member after a cycle without a DCS error); its outcome does not change the cycle.
      this.group.dcs.touch(this.client, this.node.running);
      this.withView(r.value);
    });
  }

  private withView(v: DcsState): void {
    const n = this.node;
    if (!v.paused) this.pauseNoted = '';
    if (this.node.running) this.demotedBySwitchover = false;
    if (this.switching) return this.duringDemote();
    if (!n.running) return this.recover(v);
    let leader = v.leader;
    // failsafe_mode: a leader that POSTed /failsafe within ttl is alive even without its key (ha.py Failsafe.update_cluster).
    if (leader === null && this.group.spec.failsafeMode && this.failsafe && this.failsafe.until > this.now) leader = this.failsafe.leader;
    if (leader === null) return this.race(v);
    if (leader === n.name) return this.lead(v);
    this.follow(leader, v);
    this.done();
  }

  // ------------------------------------------------------------------------------------------ the leader

  /** process_healthy_cluster with the lock: renew it, then keep PostgreSQL primary. */
  private lead(v: DcsState): void {
    const n = this.node;
    // update_lock queries PostgreSQL first (last_operation): a saturated CPU delays the renewal.
    const work = n.running ? 3 * answerTime(n, 'read') : 0;
    this.later(work, () => {
      this.dcsCall(() => this.group.dcs.keepAlive(this.client), (r) => {
        if (!r.ok) return this.dcsError(r.why);
        if (!r.value) {
          // process_healthy_cluster: in pause, "continue to run as primary after failing to update leader lock in DCS".
          if (n.isPrimary && v.paused) this.paused('without-lock', RULE.healthy);
          else if (n.isPrimary) this.demote('immediate-nolock', null, { kind: 'lock-lost' }, RULE.healthy);
          return this.done();
        }
        this.pauseNoted = '';
        if (v.failover) return this.manualSwitchover(v, v.failover);
        this.enforcePrimary(v, 'had-lock');
        this.done();
      });
    });
  }

  // ------------------------------------------------------------------------------------------ switchover

  /**
   * process_manual_failover_from_leader: the /failover key names this leader (or none) and another candidate; if
   * one is healthy enough (is_failover_possible: it answers its REST API, has no nofailover tag, is within
   * maximum_lag_on_failover of /status, and with check_timeline on the cluster's timeline), demote gracefully;
   * otherwise clean the key up and go on as leader.
   */
  private manualSwitchover(v: DcsState, f: NonNullable<DcsState['failover']>): void {
    const n = this.node;
    const clear = (fact: Fact) => {
      this.say(fact);
      const r = this.group.dcs.update(this.client, { failover: null });
      this.later(r.delay, () => {
        this.enforcePrimary(v, 'had-lock');
        this.done();
      });
    };
    // ha.py _get_failover_action_name: a key without a leader (patronictl failover) is a "manual failover".
    const manual = f.leader === null ? { failover: true as const } : {};
    if (f.leader !== null && f.leader !== n.name) return clear({ kind: 'patroni-failover-key-cleared', node: n.name, why: 'leader-mismatch', rule: RULE.switchoverLeader });
    if (f.candidate === n.name) return clear({ kind: 'patroni-failover-key-cleared', node: n.name, why: 'already-leader', ...manual, rule: RULE.switchoverLeader });
    const spec = this.group.spec;
    const candidates = this.switchoverCandidates(v, f.candidate);
    const polled = candidates.map((a) => ({ a, st: this.status(a) }));
    this.later(polled.some((x) => x.st === null) ? REST_TIMEOUT : 0, () => {
      const statuses: Fact[] = [];
      let healthy = 0;
      for (const { a, st } of polled) {
        const name = a.node.name;
        if (st === null) statuses.push({ kind: 'member-status', node: name, status: { kind: 'unreachable', timeout: REST_TIMEOUT } });
        else if (v.lastLsn - st.pos > spec.maximumLagOnFailover) statuses.push({ kind: 'candidate-refused', node: name, reason: { kind: 'member-lag', lsn: st.pos, lastLsn: v.lastLsn, maximumLagOnFailover: spec.maximumLagOnFailover }, rule: RULE.switchoverLeader });
        else if (spec.checkTimeline && a.node.tli < v.timeline) statuses.push({ kind: 'candidate-refused', node: name, reason: { kind: 'timeline-behind', timeline: a.node.tli, clusterTimeline: v.timeline, checkTimeline: true }, rule: RULE.switchoverLeader });
        else healthy++;
      }
      // is_failover_possible in quorum mode (Patroni 4.0+): without a named candidate, healthy - 1 must reach /sync quorum.
      const quorum = this.switchoverQuorum(v, f.candidate);
      if (healthy > 0 && healthy - 1 < quorum) statuses.push({ kind: 'quorum-requirement', quorum, healthy });
      if (healthy === 0 || healthy - 1 < quorum) return clear({ kind: 'patroni-switchover-not-possible', node: n.name, candidate: f.candidate, ...manual, statuses, rule: RULE.switchoverLeader });
      // demote('graceful'): pg_ctl stop -m fast; the key is released once a candidate has the shutdown checkpoint
      // (on_shutdown, while the postmaster may still send WAL to lagging standbys) or PostgreSQL has stopped.
      this.switching = { candidate: f.candidate, released: false };
      this.say({ kind: 'patroni-demoting', node: n.name, mode: 'graceful', rule: RULE.demote });
      if (spec.synchronousMode && n.settings.synchronousStandbyNames) n.settings = { ...n.settings, synchronousStandbyNames: null };
      this.c.stop(n);
      const stopped = () => this.releaseForSwitchover('stopped');
      if (this.c.drains.of(n)) {
        this.later(ON_SHUTDOWN_WAIT, () => {
          if (this.switching && !this.switching.released && this.candidateReceived(v)) this.releaseForSwitchover('candidate-received');
          else this.c.whenExited(n, stopped);
        });
      } else stopped();
      this.done();
    });
  }

  /** on_shutdown's is_failover_possible(cluster_lsn=checkpoint): a candidate answers at or past the shutdown checkpoint (in quorum mode, /sync quorum + 1 of them without a named candidate). */
  private candidateReceived(v: DcsState): boolean {
    const ckpt = this.node.checkpoint.lsn;
    const candidate = this.switching!.candidate;
    const received = this.switchoverCandidates(v, candidate).filter((a) => (this.status(a)?.pos ?? -1) >= ckpt).length;
    return received > 0 && received - 1 >= this.switchoverQuorum(v, candidate);
  }

  /** is_failover_possible's check_quorum: /sync quorum in quorum mode when the /failover key names no candidate, else 0. */
  private switchoverQuorum(v: DcsState, candidate: string | null): number {
    return this.group.spec.quorumCommit && v.sync !== null && candidate === null ? (v.sync.quorum ?? 0) : 0;
  }

  /** get_failover_candidates: the named candidate, or every other member; no nofailover, only synchronous ones in synchronous mode. */
  private switchoverCandidates(v: DcsState, candidate: string | null): PatroniAgent[] {
    const syncActive = this.group.spec.synchronousMode && v.sync !== null;
    return this.group.agents.filter(
      (a) => a !== this && (candidate === null || a.node.name === candidate) && !this.group.tags(a.node.name).nofailover && (!syncActive || v.sync!.standbys.includes(a.node.name)),
    );
  }

  /** release_leader_key_voluntarily; after AFTER_RELEASE_WAIT the demotion ends and the loop follows the new leader. */
  private releaseForSwitchover(when: 'candidate-received' | 'stopped'): void {
    const sw = this.switching;
    if (!sw || sw.released) return;
    sw.released = true;
    this.dcsCall(() => this.group.dcs.release(this.client), (r) => {
      if (r.ok && r.value) this.say({ kind: 'patroni-switchover-released', node: this.node.name, when, rule: RULE.demote });
      this.later(AFTER_RELEASE_WAIT, () => {
        // The demotion ends once PostgreSQL has stopped (Ha.demote returns after state_handler.stop).
        this.c.whenExited(this.node, () => {
          this.switching = null;
          this.demotedBySwitchover = true;
          this.wake();
        });
      });
    });
  }

  /** handle_long_action_in_progress: while the demotion runs, a leader still holding the key renews it. */
  private duringDemote(): void {
    if (this.switching!.released) return this.done();
    this.dcsCall(() => this.group.dcs.keepAlive(this.client), () => this.done());
  }

  /** enforce_primary_role: promote if needed, write /status and /failsafe, manage synchronous replication, route clients. */
  private enforcePrimary(v: DcsState, how: 'acquired-lock' | 'had-lock'): void {
    const n = this.node;
    const c = this.c;
    if (!n.running) return;
    // ha.py _run_cycle → _sync_replication_slots: before the promotion's followers come (they wake on the key).
    const slots = this.syncSlots(v);
    const promoting = !n.isPrimary && !c.replay.isPromoting(n);
    if (promoting && this.group.spec.quorumCommit) this.quorumPrepromote(v);
    if (promoting) {
      this.say({ kind: 'patroni-promoting', node: n.name, how, rule: RULE.enforcePrimary });
      c.promote(n, { kind: 'failover', policy: 'patroni', why: { kind: 'holds-leader-key', node: n.name, rule: RULE.enforcePrimary } });
    }
    // /failsafe lists the members whose key is there, and this node (ha.py _failsafe_config): a member that left is not asked.
    const failsafe = this.group.spec.failsafeMode ? { failsafe: this.group.agents.filter((a) => a === this || this.group.dcs.member(a.node.name) !== null).map((a) => a.node.name) } : {};
    this.group.dcs.update(this.client, { lastLsn: n.walEnd(this.now), timeline: n.tli, ...failsafe, ...(slots ? { slots } : {}) });
    if (this.group.spec.quorumCommit) {
      // enforce_primary_role: the cycle that starts the promotion only runs _process_quorum_prepromote, and the loop
      // waits for the promotion (handle_long_action_in_progress) before the resolver runs.
      if (n.isPrimary) this.manageQuorum(v);
    } else if (this.group.spec.synchronousMode) this.manageSync(v);
    this.group.route(n);
  }

  /**
   * The leader's slots (ha.py _sync_replication_slots → postgresql/slots.py sync_replication_slots; dcs/__init__.py
   * _get_members_slots, _build_retain_slots): a physical slot for every other member whose key is there, kept
   * member_slots_ttl after the member was last seen (11+; before, or with 0, dropped once its key is gone); a
   * lost slot (wal_status lost, 13+) is dropped and created again. Returns /status `slots`: each member slot's
   * restart_lsn and this node's own name with its WAL position (postgresql/__init__.py Postgresql.slots), or null.
   */
  private syncSlots(v: DcsState): Record<string, Lsn> | null {
    const spec = this.group.spec;
    const n = this.node;
    if (!spec.useSlots || n.version < 9.4) return null;
    const slots = this.c.storage.slots;
    const now = this.now;
    const retains = n.version >= 11 && spec.memberSlotsTtl > 0;
    const mine = slotName(n.name);
    // This node's own slot, left on the server it streamed from, is advanced or dropped by Patroni there (the copy is not modelled).
    const own = slots.placed(mine);
    if (own && own.node !== n.name && !own.streaming) slots.drop(mine);
    for (const a of this.group.agents) {
      if (a === this) continue;
      const m = a.node;
      const name = slotName(m.name);
      if (name === mine) continue;
      const present = this.group.dcs.member(m.name) !== null;
      if (present) this.retainSeen.set(name, now);
      const seen = this.retainSeen.get(name);
      const wanted = present || (retains && seen !== undefined && seen + spec.memberSlotsTtl > now);
      const at = slots.placed(name);
      const here = at !== null && at.node === n.name;
      if (!wanted) {
        // _drop_incorrect_slots: a slot in use cannot be dropped (ERROR: replication slot is active); tried again next
        // loop. One left on a former leader is dropped by its Patroni alike (it is no longer in /status retain_slots).
        if (at && !at.streaming) {
          slots.drop(name);
          this.retainSeen.delete(name);
          this.c.log(this.c.node(at.node), 'failover', { kind: 'patroni-slot-dropped', node: at.node, slot: name, member: m.name, why: { kind: 'member-gone', memberSlotsTtl: retains ? spec.memberSlotsTtl : 0 }, rule: RULE.slots });
        }
        continue;
      }
      if (here && at.lost && n.version >= 13 && !at.streaming) {
        slots.drop(name);
        this.say({ kind: 'patroni-slot-dropped', node: n.name, slot: name, member: m.name, why: { kind: 'lost' }, rule: RULE.slots });
      }
      this.group.ensureSlot(n, m, v.slots);
    }
    const status: Record<string, Lsn> = { [mine]: n.walEnd(now) };
    for (const s of slots.views(now)) if (s.node === n.name && s.kind === 'physical' && s.restartLsn !== null) status[s.name] = s.restartLsn;
    return status;
  }

  /**
   * ha.py _process_multisync_replication and _handle_synchronous_strict_mode, with postgresql/sync.py SyncHandler:
   * pick synchronous_node_count streaming standbys (not tagged nosync; those without nofailover first, then the
   * current ones, then the most advanced) for synchronous_standby_names (FIRST n, sorted by name). /sync, which
   * names who may be promoted, lists only the confirmed ones (sync_confirmed): a standby /sync listed at the
   * loop's start, or one pg_stat_replication shows as 'sync' whose flush position reached the primary's flush
   * LSN of the moment synchronous_standby_names last changed (SyncHandler._primary_flush_lsn), so a standby
   * made synchronous while behind is not promotable until it has caught up. Names are added before /sync and
   * removed from /sync first. Strict mode acts only when no standby streams at all (min_synchronous_nodes is 1,
   * whatever synchronous_node_count): it keeps the /sync members, or a placeholder that matches nobody, so
   * commits wait; non-strict clears the names (commits go on, and with /sync empty nobody may be promoted).
   */
  private manageSync(v: DcsState): void {
    const spec = this.group.spec;
    const c = this.c;
    const n = this.node;
    const dcs = this.group.dcs;
    let sync = v.sync;
    if (!sync || sync.leader !== n.name) {
      // _process_multisync_prepromote: a new leader makes itself the /sync leader; in strict mode it keeps the other
      // members the old /sync listed (they had every commit acknowledged), so they stay promotable.
      const kept = spec.synchronousModeStrict ? (sync?.standbys ?? []).filter((x) => x !== n.name) : [];
      dcs.update(this.client, { sync: { leader: n.name, standbys: kept } });
      sync = { leader: n.name, standbys: kept };
    }
    const voters = sync.standbys;
    // sync.py set_synchronous_standby_names reloads, waits 0.1 s and calls _handle_synchronous_standby_names_change,
    // which memorizes last_operation() (the primary's flush LSN, queried afresh) as _primary_flush_lsn: the flush
    // LSN of the change, which the 2 s recheck below compares with (the model takes it at the change itself).
    const loopFlush = n.flushed(this.now);
    const state = this.syncState(v, loopFlush);
    const setNames = (list: readonly string[], num: number) => {
      const cur = n.settings.synchronousStandbyNames;
      // sync.py set_synchronous_standby_names: the names sorted; an empty list clears the setting.
      const next = list.length === 0 ? null : { method: 'first' as const, num, names: [...list].sort() };
      if (JSON.stringify(cur) === JSON.stringify(next)) return;
      c.configure(n, { synchronousStandbyNames: next }, 'never', { kind: 'patroni', node: n.name, strict: spec.synchronousModeStrict });
    };
    // _handle_synchronous_strict_mode: len(active) < min_synchronous_nodes (1 in strict mode, else 0).
    if (spec.synchronousModeStrict && state.active.length < 1) {
      // Commits wait: the last /sync members (numsync = max(1, len(voters))), or a name no standby has.
      const keep = voters.length > 0 ? voters : [STRICT_PLACEHOLDER];
      setNames(keep, Math.max(1, voters.length));
      return;
    }
    const picked = state.active;
    const same = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((x) => b.includes(x));
    const current = n.settings.synchronousStandbyNames;
    if (same(picked, voters) && current !== null && same(voters, current.names) && current.num === picked.length) return;
    // /sync temporarily keeps only the members both listed and confirmed.
    const common = voters.filter((x) => state.confirmed.includes(x));
    if (common.length !== voters.length) dcs.update(this.client, { sync: { leader: n.name, standbys: common } });
    setNames(picked, picked.length);
    const assign = (allow: readonly string[]) => {
      if (allow.length === 0 || same(allow, common)) return;
      dcs.update(this.client, { sync: { leader: n.name, standbys: allow } });
      this.say({ kind: 'patroni-sync-assigned', node: n.name, standbys: allow, rule: RULE.sync });
    };
    if (picked.length === 0 || same(state.confirmed, picked)) return assign(state.confirmed);
    // "Wait for PostgreSQL to enable synchronous mode and see if we can immediately set sync_standby": 2 s, then
    // current_state again (approximation: the model's loop is not held those 2 s).
    c.ctx.sim.after(SYNC_SETTLE, `patroni ${n.name} sync`, () => {
      if (!n.running || !n.isPrimary || this.switching || this.group.dcs.leaderName() !== n.name) return;
      assign(this.syncState(v, loopFlush).confirmed);
    }, PRIORITY.manager);
  }

  /**
   * sync.py set_synchronous_standby_names in quorum mode: ANY num (names sorted); no names and num >= 1 is the
   * strict placeholder; no names and num 0 clears the setting.
   */
  private setQuorumNames(names: readonly string[], num: number): void {
    const n = this.node;
    const list = names.length === 0 && num >= 1 ? [STRICT_PLACEHOLDER] : [...names].sort();
    const next = list.length === 0 ? null : { method: 'any' as const, num, names: list };
    if (JSON.stringify(n.settings.synchronousStandbyNames) === JSON.stringify(next)) return;
    this.c.configure(n, { synchronousStandbyNames: next }, 'never');
    if (list[0] === STRICT_PLACEHOLDER) return;
    // set_synchronous_standby_names → _handle_synchronous_standby_names_change 0.1 s after the reload: the primary's
    // flush LSN now is what newly listed standbys must reach.
    this.syncHandler = { names: JSON.stringify(next), primaryFlushLsn: n.flushed(this.now), ready: new Set([...this.syncHandler.ready].filter((x) => list.includes(x))) };
  }

  /**
   * ha.py _process_quorum_prepromote (Patroni 4.0+): before promoting, synchronous_standby_names names the other
   * /sync members (the former leader among them) with num = |members| - quorum - 1 (+1 when this node was not a
   * voter: a manual failover), at least min_synchronous_nodes, so that the invariant holds for the new leader;
   * the resolver takes it from there at the next loop.
   */
  private quorumPrepromote(v: DcsState): void {
    const sync = v.sync;
    const members = sync ? [sync.leader, ...sync.standbys] : [];
    let numsync = members.length - (sync?.quorum ?? 0) - 1;
    const others = members.filter((x) => x !== this.node.name);
    if (others.length === members.length) numsync += 1;
    this.setQuorumNames(others, Math.max(numsync, this.group.spec.synchronousModeStrict ? 1 : 0));
  }

  /**
   * ha.py _process_quorum_replication (Patroni 4.0+): /sync enabled if empty; strict mode with no standby streaming
   * keeps ANY max(1, |voters| - quorum) (voters) (or the placeholder); otherwise the quorum.py transitions are
   * applied in order (a 'quorum' one writes /sync, a 'sync' one synchronous_standby_names); none, and a FIRST
   * setting is made ANY. A 'restart' (names just set from empty: the standbys have to show up as quorum) runs it
   * again 1 s later, within loop_wait.
   */
  private manageQuorum(v: DcsState): void {
    const spec = this.group.spec;
    const n = this.node;
    const dcs = this.group.dcs;
    let sync = v.sync ?? { leader: n.name, standbys: [], quorum: 0 };
    if (v.sync === null) dcs.update(this.client, { sync });
    const loopFlush = n.flushed(this.now);
    const started = this.now;
    const run = (): void => {
      const state = this.syncState(v, loopFlush);
      const cur = n.settings.synchronousStandbyNames;
      const names = (cur?.names ?? []).filter((x) => x !== STRICT_PLACEHOLDER);
      const numsync = cur?.num ?? 0;
      const voters = sync.standbys;
      const quorum = sync.quorum ?? 0;
      if (sync.leader === n.name) {
        // _handle_synchronous_strict_mode: len(active) < min_synchronous_nodes (1 in strict mode, else 0).
        const min = spec.synchronousModeStrict ? 1 : 0;
        if (state.active.length < min) return this.setQuorumNames(voters, Math.max(min, voters.length - quorum));
        if (min === 0 && state.active.length === 0 && voters.length === 0 && (names.length > 0 || numsync > 0)) this.setQuorumNames([], 0);
      }
      const steps = quorumTransitions({ leader: sync.leader, quorum, voters, numsync, sync: names, numsyncConfirmed: state.confirmed.length, active: state.active, syncWanted: spec.synchronousNodeCount, leaderWanted: n.name });
      for (const t of steps) {
        if (t.kind === 'quorum') {
          sync = { leader: t.leader, standbys: t.names, quorum: t.num };
          if (!dcs.update(this.client, { sync }).ok) return;
          this.say({ kind: 'patroni-quorum-set', node: n.name, leader: t.leader, quorum: t.num, voters: t.names, rule: RULE.quorum });
        } else if (t.kind === 'sync') this.setQuorumNames(t.names, t.num);
      }
      // FIRST -> ANY: a setting written in priority mode (synchronous_mode switched to quorum).
      const now = n.settings.synchronousStandbyNames;
      if (steps.length === 0 && now !== null && now.method !== 'any') this.setQuorumNames(now.names.filter((x) => x !== STRICT_PLACEHOLDER), now.num);
      if (steps.at(-1)?.kind !== 'restart' || this.now - started + QUORUM_RESTART >= this.group.loopWait) return;
      this.c.ctx.sim.after(QUORUM_RESTART, `patroni ${n.name} quorum`, () => {
        if (n.running && !this.switching && this.group.dcs.leaderName() === n.name) run();
      }, PRIORITY.manager);
    };
    run();
  }

  /**
   * sync.py SyncHandler.current_state: `active`, up to synchronous_node_count standbys that may be synchronous
   * (_ReplicaList: streaming per pg_stat_replication, where a cut-off standby's walsender lingers until
   * wal_sender_timeout, and a member whose key says PostgreSQL runs, so a standby whose host died drops out when
   * its member key expires; not nosync; without nofailover first (Patroni 3.0+: a nofailover standby is
   * synchronous only when no other streams, since only /sync members may be promoted), then the current ones,
   * then the most advanced); `confirmed`, those of them in state 'sync' that are ready
   * (_process_replica_readiness).
   */
  private syncState(v: DcsState, loopFlush: Lsn): { active: string[]; confirmed: string[] } {
    const c = this.c;
    const n = this.node;
    const now = this.now;
    const cur = n.settings.synchronousStandbyNames;
    const listed = cur?.names ?? [];
    // _handle_synchronous_standby_names_change: a new value keeps only the listed ready standbys and memorizes
    // the primary's flush LSN at the change (`loopFlush`), which newly listed ones must reach in
    // pg_stat_replication.
    const key = JSON.stringify(cur);
    if (this.syncHandler.names !== key) {
      this.syncHandler = { names: key, primaryFlushLsn: loopFlush, ready: new Set([...this.syncHandler.ready].filter((x) => listed.includes(x))) };
    }
    const cut = new Map([...c.cutSenders.of(n)].map((w) => [w.stream, w]));
    const nofailover = (x: PgNode) => Number(this.group.tags(x.name).nofailover);
    const rows = [...c.streams, ...[...cut.keys()].filter((s) => !c.streams.has(s))]
      .filter((s) => s.up === n && s.limit === null && (c.streamUp(s) || cut.has(s)) && !this.group.tags(s.down.name).nosync && this.group.dcs.member(s.down.name)?.running === true)
      .map((s) => ({ node: s.down, flush: cut.get(s)?.heard.on ?? s.down.flushed(now), sync: listed.includes(s.down.name) && (cut.has(s) || s.caughtUp) }))
      .sort((a, b) => nofailover(a.node) - nofailover(b.node) || Number(b.sync) - Number(a.sync) || b.node.walEnd(now) - a.node.walEnd(now) || (a.node.name < b.node.name ? -1 : 1));
    // Approximation: every listed streaming standby counts as 'sync' in pg_stat_replication (Patroni lists exactly
    // the synchronous_node_count it picked, FIRST n).
    const h = this.syncHandler;
    const quorum = this.group.spec.quorumCommit;
    const count = this.group.spec.synchronousNodeCount;
    for (const r of rows) {
      if (h.ready.has(r.node.name) || !listed.includes(r.node.name)) continue;
      // _process_replica_readiness: in quorum mode only the flush LSN counts (/sync voters are written once one of
      // them has caught up, so being listed there proves nothing), with sync_state 'quorum'.
      if ((!quorum && v.sync?.standbys.includes(r.node.name)) || (r.sync && r.flush >= h.primaryFlushLsn)) h.ready.add(r.node.name);
    }
    if (quorum) {
      // current_state in quorum mode: every streaming standby, one with nofailover only while fewer than
      // synchronous_node_count are taken ("that reduces availability"); confirmed: those ready.
      const active: PgNode[] = [];
      for (const r of rows) if (!this.group.tags(r.node.name).nofailover || active.length < count) active.push(r.node);
      return { active: active.map((x) => x.name), confirmed: active.filter((x) => h.ready.has(x.name)).map((x) => x.name) };
    }
    const active = rows.slice(0, count);
    return { active: active.map((r) => r.node.name), confirmed: active.filter((r) => r.sync && h.ready.has(r.node.name)).map((r) => r.node.name) };
  }

  // ------------------------------------------------------------------------------------------ no DCS

  /** _handle_dcs_error: a primary stays only if failsafe_mode and every member accepts its POST /failsafe. */
  private dcsError(why: Fact): void {
    const n = this.node;
    // Without the DCS a replica does nothing and a primary demotes itself (offline).
    const rule = RULE.dcsError;
    // _handle_dcs_error: only when not paused does a running primary demote (or try failsafe).
    if (this.view?.paused && n.running && n.isPrimary) {
      this.paused('dcs', rule);
      return this.done();
    }
    if (!n.running || !n.isPrimary) {
      this.decide(null, { kind: 'dcs-not-accessible', why, failsafe: false }, rule, [{ kind: 'candidate-refused', node: n.name, reason: { kind: 'no-dcs' }, rule }]);
      return this.done();
    }
    if (this.group.spec.failsafeMode && this.view?.failsafe) {
      const others = this.group.agents.filter((a) => a !== this && this.view!.failsafe!.includes(a.node.name));
      const answers = others.map((a) => ({ a, ok: this.failsafeAnswered(a), primary: a.node.running && a.node.isPrimary }));
      const waited = answers.some((x) => !x.ok) ? REST_TIMEOUT * FAILSAFE_TRIES : 0;
      this.later(waited, () => {
        const accepted = answers.every((x) => x.ok && !x.primary);
        const detail: Fact[] = answers.map((x) => ({ kind: 'failsafe-answer', node: x.a.node.name, answer: !x.ok ? 'no-answer' : x.primary ? 'refused-primary' : 'accepted', timeout: REST_TIMEOUT, tries: FAILSAFE_TRIES }));
        // failsafe_mode: stay primary iff every member of /failsafe accepts.
        const saw: Fact = { kind: 'dcs-not-accessible', why, failsafe: true };
        if (accepted) {
          for (const x of answers) x.a.failsafe = { leader: n.name, until: (this.now + this.group.ttl) as Micros };
          this.decide(n.name, saw, RULE.failsafe, detail, { kind: 'patroni-failsafe-continues', node: n.name, rule: RULE.failsafe });
        } else {
          this.decide(null, saw, RULE.failsafe, detail);
          this.demote('offline', null, { kind: 'dcs', why, failsafe: detail }, RULE.failsafe);
        }
        this.done();
      });
      return;
    }
    this.decide(null, { kind: 'dcs-not-accessible', why, failsafe: false }, rule, [{ kind: 'demotes-itself', node: n.name, failsafe: this.group.spec.failsafeMode ? 'no-topology' : 'off', rule }]);
    this.demote('offline', null, { kind: 'dcs', why, failsafe: null }, rule);
    this.done();
  }

  /** use_slots: the slot this node streams through on `leader` is there when it starts streaming from it (see Patroni.ensureSlot). */
  private slotOn(leader: PgNode): void {
    if (this.group.spec.useSlots && leader.version >= 9.4 && this.node.version >= 9.4) this.group.ensureSlot(leader, this.node, this.view?.slots ?? null);
  }

  /** `rule`: where Patroni decides to demote (ha.py Ha.demote carries it out). */
  private demote(mode: 'offline' | 'immediate-nolock', upstream: string | null, why: PatroniDemotion, rule: string, restart = true): void {
    const n = this.node;
    this.say({ kind: 'patroni-demoting', node: n.name, mode, rule: RULE.demote });
    // Patroni clears synchronous_standby_names on demotion (ha.py demote, synchronous mode).
    if (this.group.spec.synchronousMode && n.settings.synchronousStandbyNames) n.settings = { ...n.settings, synchronousStandbyNames: null };
    this.c.demote(n, upstream, mode === 'offline' ? 'fast' : 'immediate', { kind: 'patroni-demotes', node: n.name, why, rule }, restart);
  }

  // ------------------------------------------------------------------------------------------ following

  /** follow(): a primary without the key demotes; a replica points primary_conninfo at the leader. */
  private follow(leaderName: string, v: DcsState): void {
    const n = this.node;
    const leader = this.c.node(leaderName);
    if (n.isPrimary && v.paused) {
      // ha.py follow: in pause "continue to run as primary without lock" (two primaries if another holds it).
      this.paused('without-lock', RULE.follow);
      return;
    }
    if (n.isPrimary) {
      // ha.py demote: a node that needs (and may get) pg_rewind or a re-clone is not started again; the next
      // loop rebuilds it (recover).
      const rebuild = this.rebuildPlan(leader) !== null;
      this.slotOn(leader);
      this.demote('immediate-nolock', leaderName, { kind: 'not-leader', leader: leaderName }, RULE.healthy, !rebuild);
      return;
    }
    const role = n.role;
    if (role.kind !== 'standby' || (role.upstream === leaderName && this.rebuildPlan(leader) === null)) return;
    // ha.py follow → _handle_rewind_or_reinitialize: a diverged running replica is stopped and rebuilt.
    if (this.rebuild(leader)) return;
    if (role.upstream === leaderName) return;
    this.noteRewind(leader);
    this.say({ kind: 'patroni-following', node: n.name, leader: leaderName });
    this.slotOn(leader);
    this.c.repoint(n, leaderName);
  }

  /**
   * What rebuilds this node before it can follow `leader` (rewind.py can_rewind,
   * should_remove_data_directory_on_diverged_timelines; ha.py _handle_rewind_or_reinitialize), or null: it has
   * not diverged, or nothing may rebuild it.
   */
  private rebuildPlan(leader: PgNode): { tool: 'pg_rewind' | 'pg_basebackup'; why: DivergenceFact } | null {
    const n = this.node;
    const why = divergence(n, leader, this.now);
    if (why === null) return null;
    const spec = this.group.spec;
    if (spec.usePgRewind && rewindable(n) && this.rewindFailed !== `${leader.name}|${leader.tli}`) return { tool: 'pg_rewind', why };
    if (spec.removeDataDirectoryOnDivergedTimelines) return { tool: 'pg_basebackup', why };
    return null;
  }

  /** Starts what rebuilds this node against `leader`, if anything: true when it did. */
  private rebuild(leader: PgNode): boolean {
    const plan = this.rebuildPlan(leader);
    if (!plan) return false;
    this.rebuildingFor = `${leader.name}|${leader.tli}`;
    this.say({ kind: 'patroni-rebuilding', node: this.node.name, tool: plan.tool, divergence: plan.why, rule: RULE.rewindOrReinitialize });
    if (plan.tool === 'pg_rewind') this.rejoin.rewind(leader);
    else this.rejoin.reclone(leader, 'spread');
    return true;
  }

  /** A rebuild ended (the async executor wakes the loop). */
  private rebuilt(tool: 'pg_rewind' | 'pg_basebackup', ok: boolean): void {
    const n = this.node;
    const spec = this.group.spec;
    if (tool === 'pg_rewind' && !ok) {
      this.rewindFailed = this.rebuildingFor;
      const leader = this.rebuildingFor?.split('|')[0];
      // rewind.py execute: after a failed rewind either option removes the data directory (the next loop clones).
      const option = spec.removeDataDirectoryOnRewindFailure ? 'remove_data_directory_on_rewind_failure' : spec.removeDataDirectoryOnDivergedTimelines ? 'remove_data_directory_on_diverged_timelines' : null;
      const removes = option !== null && n.dataDirectory === 'present';
      this.say({ kind: 'patroni-rewind-failed', node: n.name, leader: leader ?? '', option: removes ? option : null, rule: RULE.rewindExecute });
      if (removes) this.c.rebuilds.destroy(n);
    }
    this.wake();
  }

  /** rewind.py _check_timeline_and_lsn: WAL past the leader's branch point needs pg_rewind; said once per leader when nothing rebuilds it. */
  private noteRewind(leader: PgNode): void {
    const n = this.node;
    const where = divergence(n, leader, this.now);
    if (where === null) return;
    const key = `${leader.name}|${leader.tli}`;
    if (this.rewindNoted === key) return;
    this.rewindNoted = key;
    const spec = this.group.spec;
    const why = !spec.usePgRewind ? 'use-pg-rewind-off' : !rewindable(n) ? 'not-rewindable' : 'rewind-failed';
    this.say({ kind: 'patroni-rewind-needed', node: n.name, divergence: where, why });
  }

  /** recover(): PostgreSQL is not running: start it, as primary if this node holds the key, else as a replica of the leader. */
  private recover(v: DcsState): void {
    const n = this.node;
    const c = this.c;
    // The async executor runs a rebuild: the loop only reports it (ha.py _run_cycle: "running pg_rewind from …").
    if (this.rejoin.busy || n.dataDirectory === 'copying') return this.done();
    if (v.paused && !this.demotedBySwitchover) {
      // ha.py _run_cycle in pause: PostgreSQL found not running is left so (nor is an empty data directory cloned);
      // the key holder deletes the leader key ("removed leader lock because postgres is not running"), and since
      // no replica races in pause, nobody takes it.
      if (v.leader !== n.name) {
        this.paused('not-restarted', RULE.runCycle);
        return this.done();
      }
      this.dcsCall(() => this.group.dcs.release(this.client), (r) => {
        if (!r.ok) return this.dcsError(r.why);
        if (r.value) this.say({ kind: 'patroni-released-key', node: n.name, why: 'postgres-not-running', rule: RULE.runCycle });
        this.paused('not-restarted', RULE.runCycle);
        this.done();
      });
      return;
    }
    if (n.dataDirectory === 'empty' && v.leader === n.name) {
      // ha.py _run_cycle: an empty data directory while holding the key: release it voluntarily (the others race
      // at once, woken by the key's deletion); the next loop clones from the new leader (bootstrap).
      this.dcsCall(() => this.group.dcs.release(this.client), (r) => {
        if (!r.ok) return this.dcsError(r.why);
        if (r.value) this.say({ kind: 'patroni-released-key', node: n.name, why: 'data-directory-empty', rule: RULE.runCycle });
        this.done();
      });
      return;
    }
    // ha.py bootstrap: an empty data directory and no leader: it waits for one to clone from.
    if (n.dataDirectory === 'empty' && v.leader === null) return this.done();
    if (v.leader === n.name && n.role.kind === 'primary') {
      this.dcsCall(() => this.group.dcs.keepAlive(this.client), (r) => {
        if (!r.ok) return this.dcsError(r.why);
        if (r.value && !n.running) {
          this.say({ kind: 'patroni-starting', node: n.name, as: 'primary', rule: RULE.recover });
          c.start(n);
        }
        this.done();
      });
      return;
    }
    const leader = v.leader !== null && v.leader !== n.name ? v.leader : null;
    if (leader && n.dataDirectory === 'empty') {
      // ha.py bootstrap: an empty data directory is cloned from the leader (create_replica_methods: basebackup).
      this.say({ kind: 'patroni-bootstrap', node: n.name, leader, rule: RULE.bootstrap });
      this.slotOn(c.node(leader));
      this.rejoin.reclone(c.node(leader), 'spread');
      return this.done();
    }
    if (leader && this.rebuildPlan(c.node(leader)) !== null) {
      if (n.role.kind === 'primary') c.demote(n, leader, 'fast', { kind: 'patroni-demotes', node: n.name, why: { kind: 'secondary', leader, rebuilt: true }, rule: RULE.recover }, false);
      else if (n.role.upstream !== leader) n.role.upstream = leader;
      this.rebuild(c.node(leader));
      return this.done();
    }
    if (leader) this.slotOn(c.node(leader));
    if (n.role.kind === 'primary') {
      if (leader) this.noteRewind(c.node(leader));
      c.demote(n, leader, 'fast', { kind: 'patroni-demotes', node: n.name, why: { kind: 'secondary', leader, rebuilt: false }, rule: RULE.recover });
    } else {
      if (leader && n.role.upstream !== leader) {
        this.noteRewind(c.node(leader));
        c.repoint(n, leader);
      }
      if (!n.running) {
        this.say({ kind: 'patroni-starting', node: n.name, as: 'secondary', rule: RULE.recover });
        c.start(n);
      }
    }
    this.done();
  }

  // ------------------------------------------------------------------------------------------ the race

  /** What this member's REST API answers (ha.py _MemberStatus.from_api_response): null when it does not answer. */
  status(a: PatroniAgent): { inRecovery: boolean; pos: number; tags: PatroniTags } | null {
    const n = a.node;
    if (!this.c.ctx.net.reachable(this.client.endpoint, a.client.endpoint) || !n.acceptsConnections) return null;
    // The REST API queries PostgreSQL (api.py get_postgresql_status): a saturated node answers after the timeout.
    if (answerTime(n, 'read') + this.restRetransmissions(a) > REST_TIMEOUT) return null;
    return { inRecovery: !n.isPrimary, pos: n.isPrimary ? 0 : n.walEnd(this.now), tags: this.group.tags(n.name) };
  }

  /**
   * What packet loss on the path to `a` adds to a REST call (a new connection: the handshake and the request,
   * health.ts withRetransmissions); past REST_TIMEOUT it has timed out.
   */
  private restRetransmissions(a: PatroniAgent): number {
    const net = this.c.ctx.net;
    const p = net.loss(this.client.endpoint, a.client.endpoint);
    if (p <= 0) return 0;
    const rtt = 2 * (net.path(this.client.endpoint, a.client.endpoint)?.latency ?? 0);
    this.restRandom ??= this.c.ctx.random.stream(`patroni-rest/${this.c.name}/${this.node.name}`);
    return withRetransmissions(0, p, 4, true, rtt, REST_TIMEOUT, this.restRandom);
  }

  /** POST /failsafe to `a` (2 s timeout, FAILSAFE_TRIES tries): whether an answer came. */
  private failsafeAnswered(a: PatroniAgent): boolean {
    if (!this.c.ctx.net.reachable(this.client.endpoint, a.client.endpoint)) return false;
    for (let i = 0; i < FAILSAFE_TRIES; i++) if (this.restRetransmissions(a) <= REST_TIMEOUT) return true;
    return false;
  }

  /** process_unhealthy_cluster: the leader race. */
  private race(v: DcsState): void {
    const n = this.node;
    const spec = this.group.spec;
    const tags = this.group.tags(n.name);
    const me = n.walEnd(this.now);
    const saw: Fact = { kind: 'leader-key-gone', cluster: this.c.name, ...this.group.dcs.view(), lastLsn: v.lastLsn, timeline: v.timeline };
    // is_healthiest_node: the checks of this node (here), then the REST poll of the others (_is_healthiest_node).
    const rule = RULE.healthiest;
    const refuse = (reason: Refusal) => {
      const own = reason.kind === 'paused' || reason.kind === 'not-in-failsafe' || reason.kind === 'nofailover' || reason.kind === 'failover-priority' || reason.kind === 'not-synchronous' || (reason.kind === 'timeline-behind' && !reason.checkTimeline);
      const why: Fact = { kind: 'candidate-refused', node: n.name, reason, rule: own ? RULE.ownChecks : rule };
      this.decide(null, saw, own ? RULE.ownChecks : rule, [why], true);
      if (n.isPrimary) this.demote('immediate-nolock', null, { kind: 'not-healthiest', reason: why }, RULE.race);
      this.done();
    };
    if (v.paused) {
      // is_healthiest_node in pause: a switchover's candidate takes the key (manual_failover_process_no_leader,
      // no other member races); a running primary is the healthiest (no timeline check); a replica never.
      if (v.failover !== null && v.failover.candidate === n.name && !n.isPrimary && !tags.nofailover) return this.acquire(v, saw, RULE.switchoverRace, { kind: 'switchover-candidate', lsn: me, ...(v.failover.leader === null ? { failover: true as const } : {}) }, []);
      if (!n.isPrimary) return refuse({ kind: 'paused' });
      return this.acquire(v, saw, RULE.ownChecks, { kind: 'healthiest', lsn: me, lastLsn: v.lastLsn }, []);
    }
    if (n.isPrimary) {
      if (n.tli < v.timeline) return refuse({ kind: 'timeline-behind', timeline: n.tli, clusterTimeline: v.timeline, checkTimeline: false });
      // is_healthiest_node: a running primary on the cluster's timeline is the healthiest at once ("return True"):
      // no REST poll of the others (a failsafe primary whose key expired with the DCS takes it back without waiting).
      return this.acquire(v, saw, RULE.ownChecks, { kind: 'healthiest', lsn: me, lastLsn: v.lastLsn }, []);
    } else {
      if (tags.nofailover || tags.failoverPriority <= 0) return refuse(tags.nofailover ? { kind: 'nofailover' } : { kind: 'failover-priority', priority: tags.failoverPriority });
      const syncActive = spec.synchronousMode && v.sync !== null;
      const notSync = syncActive && !v.sync!.standbys.includes(n.name) && v.sync!.leader !== n.name;
      if (v.failover !== null) {
        // A switchover or manual failover under way (the /failover key): manual_failover_process_no_leader decides,
        // without the lag check. Only a switchover (the key names a leader) keeps a member outside /sync out at once
        // (is_healthiest_node); a manual failover's candidate (patronictl failover, no leader) takes the key even
        // when asynchronous (patronictl --force skips "Are you sure you want to failover to the asynchronous
        // node"), and any other member outside /sync stands aside.
        // In quorum mode (Patroni 4.0+) only the switchover's check stays (manual_failover_process_no_leader: "except
        // quorum commit!").
        if (notSync && (v.failover.leader !== null || (!spec.quorumCommit && v.failover.candidate !== n.name))) return refuse({ kind: 'not-synchronous', standbys: v.sync!.standbys });
        return this.switchoverRace(v, v.failover, saw, me);
      }
      // failsafe_mode (Patroni 3.0+): "If current node is missing in the /failsafe key we immediately disqualify it
      // from the race" (is_healthiest_node): one whose member key was gone when the leader last wrote /failsafe.
      if (spec.failsafeMode && v.failsafe !== null && v.failsafe.length > 0 && !v.failsafe.includes(n.name)) return refuse({ kind: 'not-in-failsafe', members: v.failsafe });
      // In quorum mode a member outside /sync races too: it needs the votes of a quorum of voters (is_healthiest_node).
      if (notSync && !spec.quorumCommit) return refuse({ kind: 'not-synchronous', standbys: v.sync!.standbys });
      const lag = v.lastLsn - me;
      if (lag > spec.maximumLagOnFailover) return refuse({ kind: 'lag', lsn: me, lastLsn: v.lastLsn, maximumLagOnFailover: spec.maximumLagOnFailover });
      if (spec.checkTimeline && n.tli < v.timeline) return refuse({ kind: 'timeline-behind', timeline: n.tli, clusterTimeline: v.timeline, checkTimeline: true });
    }
    this.pollAndAcquire(v, saw, me, null);
  }

  /**
   * manual_failover_process_no_leader: the switchover's candidate takes the key at once; another member stands
   * aside while the candidate answers; with no candidate, or one that does not answer, the members but the former
   * leader race without the lag check (_is_healthiest_node(check_replication_lag=False)).
   */
  private switchoverRace(v: DcsState, f: NonNullable<DcsState['failover']>, saw: Fact, me: Lsn): void {
    const n = this.node;
    const rule = RULE.switchoverRace;
    if (f.candidate === n.name) return this.acquire(v, saw, rule, { kind: 'switchover-candidate', lsn: me, ...(f.leader === null ? { failover: true as const } : {}) }, []);
    const candidate = f.candidate !== null ? this.group.agentOf(f.candidate) : undefined;
    const st = candidate ? this.status(candidate) : null;
    this.later(candidate && st === null ? REST_TIMEOUT : 0, () => {
      if (candidate && st !== null && !st.tags.nofailover) {
        this.decide(null, saw, rule, [{ kind: 'candidate-refused', node: n.name, reason: { kind: 'switchover-to-other', candidate: candidate.node.name }, rule }], true);
        return this.done();
      }
      this.pollAndAcquire(v, saw, me, f.leader);
    });
  }

  /**
   * _is_healthiest_node's REST poll of the other members (in parallel, 2 s timeout, no retry; in synchronous mode
   * only the synchronous ones and the former leader; `exclude`: a switchover's former leader), then the key.
   */
  private pollAndAcquire(v: DcsState, saw: Fact, me: Lsn, exclude: string | null): void {
    const n = this.node;
    const spec = this.group.spec;
    const tags = this.group.tags(n.name);
    const rule = RULE.healthiest;
    const syncActive = spec.synchronousMode && v.sync !== null;
    // Quorum mode (Patroni 4.0+): the /sync members (leader and voters) vote; a voter's "not ahead" is a vote.
    const voting = spec.quorumCommit && syncActive ? [v.sync!.leader, ...v.sync!.standbys] : [];
    // _is_healthiest_node polls neither itself nor a nofailover member (by its member key's tags) unless it votes.
    const others = this.group.agents.filter(
      (a) => a !== this && a.node.name !== exclude && (!syncActive || v.sync!.standbys.includes(a.node.name) || v.sync!.leader === a.node.name) && (!this.group.tags(a.node.name).nofailover || voting.includes(a.node.name)),
    );
    const polled = others.map((a) => ({ a, st: this.status(a) }));
    const waited = polled.some((x) => x.st === null) ? REST_TIMEOUT : 0;
    this.later(waited, () => {
      const seen: Fact[] = [];
      let refused: Refusal | null = null;
      let votes = voting.includes(n.name) ? 0 : -1;
      let ahead = 0;
      const status = (name: string, s: Extract<Fact, { kind: 'member-status' }>['status']) => seen.push({ kind: 'member-status', node: name, status: s });
      for (const { a, st } of polled) {
        const name = a.node.name;
        if (st === null) {
          status(name, { kind: 'unreachable', timeout: REST_TIMEOUT });
          continue;
        }
        if (st.tags.nofailover) {
          status(name, { kind: 'nofailover' });
          continue;
        }
        if (!st.inRecovery) {
          status(name, { kind: 'primary' });
          refused ??= { kind: 'primary-alive', primary: name };
          continue;
        }
        if (st.pos > me) {
          ahead++;
          status(name, { kind: 'ahead', lsn: st.pos, myLsn: me });
          if (!(syncActive && v.sync!.leader === name)) refused ??= { kind: 'member-ahead', member: name };
          continue;
        }
        // Patroni 4.1+ (#3297): the former leader's higher failover_priority is ignored (in synchronous mode the /sync
        // leader, else old_cluster's leader).
        const former = (syncActive ? v.sync!.leader : this.formerLeader) === name;
        const vote = voting.includes(name);
        // In quorum mode only a voter's higher failover_priority defers this node.
        if (st.pos === me && st.tags.failoverPriority > tags.failoverPriority && !former && (!spec.quorumCommit || vote)) {
          status(name, { kind: 'same-position-higher-priority', priority: st.tags.failoverPriority, mine: tags.failoverPriority });
          refused ??= { kind: 'equal-position-higher-priority', member: name, priority: st.tags.failoverPriority, mine: tags.failoverPriority };
          continue;
        }
        if (vote) votes++;
        status(name, { kind: 'not-ahead', lsn: st.pos, ...(vote ? { vote: true as const } : {}) });
      }
      // Quorum mode: enough votes, or the former leader itself with nobody ahead ("counted healthy even when there
      // are no other nodes").
      const quorum = v.sync?.quorum ?? 0;
      if (!refused && voting.length > 0 && votes < quorum && !(ahead === 0 && v.sync!.leader === n.name)) {
        // A voter counts itself: one outside /sync needs quorum + 1 votes.
        const own = voting.includes(n.name) ? 1 : 0;
        refused = { kind: 'quorum-not-reached', votes: votes + 1 - own, needed: quorum + 1 - own, quorum, voters: v.sync!.standbys };
      }
      if (refused) {
        const why: Fact = { kind: 'candidate-refused', node: n.name, reason: refused, rule };
        this.decide(null, saw, rule, [why, ...seen], true);
        if (n.isPrimary) this.demote('immediate-nolock', null, { kind: 'not-healthiest', reason: why }, RULE.race);
        return this.done();
      }
      this.acquire(v, saw, rule, { kind: 'healthiest', lsn: me, lastLsn: v.lastLsn }, seen);
    });
  }

  /** attempt_to_acquire_leader, then enforce_primary_role (`why`: why this member may take it). */
  private acquire(v: DcsState, saw: Fact, rule: string, why: Choice, seen: Fact[]): void {
    const n = this.node;
    this.dcsCall(() => this.group.dcs.acquire(this.client), (r) => {
      if (!r.ok) {
        this.decide(null, saw, RULE.race, [{ kind: 'candidate-refused', node: n.name, reason: { kind: 'leader-key-failed', why: r.why }, rule: RULE.race }, ...seen], true);
        return this.dcsError(r.why);
      }
      if (!r.value) {
        this.decide(null, saw, RULE.race, [{ kind: 'candidate-refused', node: n.name, reason: { kind: 'leader-key-taken' }, rule: RULE.race }, ...seen], true);
        const lead = this.group.dcs.read(this.client);
        if (lead.ok && lead.value.leader) this.follow(lead.value.leader, lead.value);
        return this.done();
      }
      this.decide(n.name, saw, rule, [{ kind: 'candidate-chosen', node: n.name, why, rule }, ...seen]);
      if (n.isPrimary) this.say({ kind: 'patroni-acquired-lock', node: n.name });
      if (v.failover !== null) {
        // process_unhealthy_cluster: "Cleaning up failover key after acquiring leader lock..."
        this.say({ kind: 'patroni-failover-key-cleared', node: n.name, why: 'acquired-lock', rule: RULE.race });
        this.group.dcs.update(this.client, { failover: null });
      }
      this.enforcePrimary(v, 'acquired-lock');
      this.done();
    });
  }

  /**
   * A decision, recorded when it differs from this agent's last one (a refusal repeats every loop); `message`:
   * what Patroni logs, or `notPromoting` for a lost race (logged as "not promoting: " and the first reason).
   */
  private decide(chosen: string | null, saw: Fact, rule: string, reasons: Fact[], message?: Fact | true): void {
    const key = `${chosen}|${rule}|${reasons.map(factKey).join(';')}`;
    if (key === this.lastDecision) return;
    this.lastDecision = key;
    const c = this.c;
    c.ctx.history.failover({ at: this.now, cluster: c.name, policy: 'patroni', chosen, reasons, saw, rule, by: { kind: 'patroni-agent', node: this.node.name } });
    if (message === true) this.say({ kind: 'patroni-not-promoting', node: this.node.name, reason: reasons[0]! });
    else if (message) this.say(message);
  }
}

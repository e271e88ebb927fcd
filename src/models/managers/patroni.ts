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
import type { EventHandle } from '../../engine/simulation.ts';
import type { PatroniSpec, PatroniTags } from '../../scenario/types-managers.ts';
import type { PgCluster } from '../postgres/cluster.ts';
import { PRIORITY } from '../postgres/context.ts';
import { formatLsn } from '../postgres/lsn.ts';
import type { PgNode } from '../postgres/node.ts';
import { answerTime } from '../postgres/service.ts';
import { Dcs, type DcsClient, type DcsState } from './dcs.ts';
import { secs, type Manager } from './manager.ts';
import { divergence, Rejoin, rewindable } from './rejoin.ts';

/** Patroni's REST poll of a member during the race, and of a failsafe POST (ha.py fetch_node_status, call_failsafe_member). */
const REST_TIMEOUT = 2_000_000 as Micros;
const FAILSAFE_TRIES = 2;
const STRICT_PLACEHOLDER = '__patroni_strict_sync_replica_placeholder__';
const DEFAULT_TAGS: PatroniTags = { nofailover: false, failoverPriority: 1, nosync: false };

/** config.py _validate_and_adjust_timeouts: minimums, then loop_wait + 2 × retry_timeout <= ttl (loop_wait lowered first). */
export function adjustTimeouts(loopWait: number, ttl: number, retryTimeout: number): { loopWait: number; ttl: number; retryTimeout: number; warning: string | null } {
  const lw = Math.max(1, loopWait);
  const rt = Math.max(3, retryTimeout);
  const t = Math.max(20, ttl);
  if (1 + 2 * rt > t) {
    return { loopWait: 1, ttl: t, retryTimeout: Math.floor((t - 1) / 2), warning: `Violated the rule "loop_wait + 2*retry_timeout <= ttl", where ttl=${t}. Adjusting loop_wait from ${lw} to 1 and retry_timeout from ${rt} to ${Math.floor((t - 1) / 2)}` };
  }
  if (lw + 2 * rt > t) return { loopWait: t - 2 * rt, ttl: t, retryTimeout: rt, warning: `Violated the rule "loop_wait + 2*retry_timeout <= ttl", where ttl=${t} and retry_timeout=${rt}. Adjusting loop_wait from ${lw} to ${t - 2 * rt}` };
  const raised = [lw !== loopWait ? `loop_wait to ${lw}` : null, rt !== retryTimeout ? `retry_timeout to ${rt}` : null, t !== ttl ? `ttl to ${t}` : null].filter((x) => x !== null);
  return { loopWait: lw, ttl: t, retryTimeout: rt, warning: raised.length ? `raised ${raised.join(', ')} (the minimum)` : null };
}

export class Patroni implements Manager {
  readonly dcs: Dcs;
  readonly agents: PatroniAgent[];
  readonly loopWait: Micros;
  readonly ttl: Micros;
  readonly retryTimeout: Micros;
  private readonly warning: string | null;

  constructor(
    readonly cluster: PgCluster,
    readonly spec: PatroniSpec,
  ) {
    const a = adjustTimeouts(spec.loopWait / 1e6, spec.ttl / 1e6, spec.retryTimeout / 1e6);
    this.loopWait = (a.loopWait * 1e6) as Micros;
    this.ttl = (a.ttl * 1e6) as Micros;
    this.retryTimeout = (a.retryTimeout * 1e6) as Micros;
    this.warning = a.warning;
    this.dcs = new Dcs(cluster.ctx, spec.dcs, cluster.name, this.ttl, this.retryTimeout);
    this.agents = [...cluster.nodes.values()].map((n) => new PatroniAgent(this, n));
    // Patroni writes the recovery configuration of every replica (postgresql/config.py: standby_mode on,
    // recovery_target_timeline 'latest'), before PostgreSQL starts.
    for (const n of cluster.nodes.values()) {
      if (n.role.kind === 'standby' && n.settings.recoveryTargetTimeline !== 'latest') n.settings = { ...n.settings, recoveryTargetTimeline: 'latest', recoveryTargetTimelineDefaulted: false };
    }
    this.initialSync = spec.synchronousMode ? this.syncAtStart() : null;
  }

  /** The synchronous standbys a cluster that has been running in synchronous_mode has at the start (/sync). */
  private readonly initialSync: { leader: string; standbys: string[] } | null;

  /**
   * A running cluster in synchronous_mode already has its synchronous standbys when the scenario starts: the
   * primary's synchronous_standby_names (FIRST n) and /sync name synchronous_node_count of its direct standbys
   * (not nosync), by name; the leader's first loop then keeps or changes them as it would (manageSync).
   */
  private syncAtStart(): { leader: string; standbys: string[] } | null {
    const primary = [...this.cluster.nodes.values()].find((n) => n.isPrimary);
    if (!primary) return null;
    const standbys = [...this.cluster.nodes.values()]
      .filter((n) => n.role.kind === 'standby' && n.role.upstream === primary.name && !this.tags(n.name).nosync)
      .map((n) => n.name)
      .sort()
      .slice(0, this.spec.synchronousNodeCount);
    if (standbys.length === 0) return { leader: primary.name, standbys: [] };
    if (primary.settings.synchronousStandbyNames === null) primary.settings = { ...primary.settings, synchronousStandbyNames: { method: 'first', num: standbys.length, names: standbys } };
    return { leader: primary.name, standbys };
  }

  tags(node: string): PatroniTags {
    return this.spec.tags[node] ?? DEFAULT_TAGS;
  }

  start(): void {
    const c = this.cluster;
    if (this.warning) c.log(null, 'failover', `Patroni: ${this.warning}`);
    const primary = [...c.nodes.values()].find((n) => n.isPrimary)!;
    this.dcs.start(primary.name, primary.tli, primary.walEnd(c.ctx.sim.now), this.initialSync);
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
  route(leader: PgNode): void {
    const c = this.cluster;
    const pools = c.writes.pools.filter((p) => p.target !== leader && c.ctx.net.reachable(p.clients, c.endpointOf(leader)));
    if (pools.length === 0) return;
    c.log(leader, 'routing', `writes of ${pools.map((p) => p.name).join(', ')} routed to ${leader.name}: it holds the leader key and runs as primary (GET /primary answers 200 there)`);
    c.writes.routeTo(leader, pools);
  }
}

type Step = () => void;

/** One Patroni process: its HA loop on the node's host. */
export class PatroniAgent {
  readonly client: DcsClient;
  /** The last cluster state it read (the failsafe topology comes from it when the DCS is gone). */
  private view: DcsState | null = null;
  private busy = false;
  private sleeping: EventHandle | null = null;
  private nextRun = 0 as Micros;
  /** failsafe_mode: a leader's POST /failsafe keeps it "alive" for ttl (ha.py update_failsafe). */
  private failsafe: { leader: string; until: Micros } | null = null;
  /** The last decision's text, so that a refusal repeated every loop is recorded once. */
  private lastDecision = '';
  private rewindNoted: string | null = null;
  /** pg_rewind and re-clones of this node (rejoin.ts). */
  private readonly rejoin: Rejoin;
  /** The leader (name|timeline) a pg_rewind failed against (rewind.py REWIND_STATUS.FAILED): no second try. */
  private rewindFailed: string | null = null;
  /** The leader (name|timeline) the rebuild in progress runs against. */
  private rebuildingFor: string | null = null;

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
    this.rejoin = new Rejoin(c, node, 'Patroni', (tool, ok) => this.rebuilt(tool, ok));
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

  private later(delay: number, step: Step): void {
    if (delay <= 0) step();
    else this.c.ctx.sim.after(delay as Micros, `patroni ${this.node.name}`, step, PRIORITY.manager);
  }

  private say(message: string): void {
    this.c.log(this.node, 'failover', `patroni on ${this.node.name}: ${message}`);
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
    const r = this.group.dcs.read(this.client);
    this.later(r.delay, () => {
      if (!r.ok) return this.dcsError(r.why);
      this.view = r.value;
      this.withView(r.value);
    });
  }

  private withView(v: DcsState): void {
    const n = this.node;
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
      const r = this.group.dcs.keepAlive(this.client);
      this.later(r.delay, () => {
        if (!r.ok) return this.dcsError(r.why);
        if (!r.value) {
          if (n.isPrimary) this.demote('immediate-nolock', null, 'demoted self because failed to update leader lock in DCS (another member holds it)');
          return this.done();
        }
        this.enforcePrimary(v, 'promoted self to leader because I had the session lock');
        this.done();
      });
    });
  }

  /** enforce_primary_role: promote if needed, write /status and /failsafe, manage synchronous replication, route clients. */
  private enforcePrimary(v: DcsState, promoteMessage: string): void {
    const n = this.node;
    const c = this.c;
    if (!n.running) return;
    if (!n.isPrimary && !c.replay.isPromoting(n)) {
      this.say(promoteMessage);
      c.promote(n, { kind: 'failover', policy: 'patroni', why: `${n.name}'s Patroni holds the leader key` });
    }
    const failsafe = this.group.spec.failsafeMode ? { failsafe: this.group.agents.map((a) => a.node.name) } : {};
    this.group.dcs.update(this.client, { lastLsn: n.walEnd(this.now), timeline: n.tli, ...failsafe });
    if (this.group.spec.synchronousMode) this.manageSync(v);
    this.group.route(n);
  }

  /**
   * ha.py _process_multisync_replication and _handle_synchronous_strict_mode: pick synchronous_node_count
   * streaming standbys (not tagged nosync; the current ones first, then the most advanced); add them to
   * synchronous_standby_names before /sync, remove them from /sync first. No candidate: strict keeps the
   * names (or a placeholder matching nobody: commits wait); non-strict clears them (commits go on, and with
   * /sync empty nobody may be promoted).
   */
  private manageSync(v: DcsState): void {
    const spec = this.group.spec;
    const c = this.c;
    const n = this.node;
    const dcs = this.group.dcs;
    let sync = v.sync;
    if (!sync || sync.leader !== n.name) {
      dcs.update(this.client, { sync: { leader: n.name, standbys: [] } });
      sync = { leader: n.name, standbys: [] };
    }
    const voters = sync.standbys;
    const names = n.settings.synchronousStandbyNames?.names ?? [];
    const active = [...c.streams]
      .filter((s) => s.up === n && s.limit === null && c.streamUp(s) && !this.group.tags(s.down.name).nosync)
      .map((s) => s.down)
      .sort((a, b) => Number(names.includes(b.name)) - Number(names.includes(a.name)) || b.walEnd(this.now) - a.walEnd(this.now) || (a.name < b.name ? -1 : 1));
    const want = spec.synchronousNodeCount;
    const setNames = (list: readonly string[], num: number) => {
      const cur = n.settings.synchronousStandbyNames;
      const next = list.length === 0 ? null : { method: 'first' as const, num, names: [...list] };
      if (JSON.stringify(cur) === JSON.stringify(next)) return;
      c.configure(n, { synchronousStandbyNames: next }, 'never');
    };
    if (spec.synchronousModeStrict && active.length < want) {
      // Commits wait: the last /sync members, or a name no standby has.
      const keep = voters.length > 0 ? voters : [STRICT_PLACEHOLDER];
      if (n.settings.synchronousStandbyNames === null || voters.length === 0) setNames(keep, Math.max(1, want));
      return;
    }
    const picked = active.slice(0, want).map((x) => x.name);
    const common = voters.filter((x) => picked.includes(x));
    if (common.length !== voters.length) dcs.update(this.client, { sync: { leader: n.name, standbys: common } });
    setNames(picked, Math.min(want, picked.length) || 1);
    if (picked.join() !== common.join()) {
      dcs.update(this.client, { sync: { leader: n.name, standbys: picked } });
      if (picked.length) this.say(`Synchronous standby status assigned to ${picked.join(', ')}`);
    }
  }

  // ------------------------------------------------------------------------------------------ no DCS

  /** _handle_dcs_error: a primary stays only if failsafe_mode and every member accepts its POST /failsafe. */
  private dcsError(why: string): void {
    const n = this.node;
    const rule = 'ha.py _handle_dcs_error: without the DCS a replica does nothing and a primary demotes itself (offline)';
    if (!n.running || !n.isPrimary) {
      this.decide(null, `DCS is not accessible: ${why}`, rule, [`${n.name}: stays a replica (it cannot take the leader key without the DCS)`]);
      return this.done();
    }
    if (this.group.spec.failsafeMode && this.view?.failsafe) {
      const others = this.group.agents.filter((a) => a !== this && this.view!.failsafe!.includes(a.node.name));
      const answers = others.map((a) => ({ a, ok: this.c.ctx.net.reachable(this.client.endpoint, a.client.endpoint), primary: a.node.running && a.node.isPrimary }));
      const waited = answers.some((x) => !x.ok) ? REST_TIMEOUT * FAILSAFE_TRIES : 0;
      this.later(waited, () => {
        const accepted = answers.every((x) => x.ok && !x.primary);
        const detail = answers.map((x) => `${x.a.node.name}: ${!x.ok ? `no answer within ${secs(REST_TIMEOUT)} (${FAILSAFE_TRIES} tries)` : x.primary ? 'refused (running as a primary)' : 'Accepted'}`);
        if (accepted) {
          for (const x of answers) x.a.failsafe = { leader: n.name, until: (this.now + this.group.ttl) as Micros };
          this.decide(n.name, `DCS is not accessible (${why}); POST /failsafe to every member`, 'failsafe_mode (ha.py check_failsafe_topology): stay primary iff every member of /failsafe accepts', detail, 'continue to run as a leader because failsafe mode is enabled and all members are accessible');
        } else {
          this.decide(null, `DCS is not accessible (${why}); POST /failsafe to every member`, 'failsafe_mode (ha.py check_failsafe_topology): stay primary iff every member of /failsafe accepts', detail);
          this.demote('offline', null, `demoted self because DCS is not accessible and I was a leader (${why}); failsafe_mode: not every member accepted (${detail.join('; ')})`);
        }
        this.done();
      });
      return;
    }
    this.decide(null, `DCS is not accessible: ${why}`, rule, [`${n.name}: demotes itself${this.group.spec.failsafeMode ? ' (failsafe_mode, but no /failsafe topology known)' : ' (failsafe_mode is off)'}`]);
    this.demote('offline', null, `demoted self because DCS is not accessible and I was a leader (${why})`);
    this.done();
  }

  private demote(mode: 'offline' | 'immediate-nolock', upstream: string | null, why: string, restart = true): void {
    const n = this.node;
    this.say(`Demoting self (${mode})`);
    // Patroni clears synchronous_standby_names on demotion (ha.py demote, synchronous mode).
    if (this.group.spec.synchronousMode && n.settings.synchronousStandbyNames) n.settings = { ...n.settings, synchronousStandbyNames: null };
    this.c.demote(n, upstream, mode === 'offline' ? 'fast' : 'immediate', `Patroni: ${why}`, restart);
  }

  // ------------------------------------------------------------------------------------------ following

  /** follow(): a primary without the key demotes; a replica points primary_conninfo at the leader. */
  private follow(leaderName: string, _v: DcsState): void {
    const n = this.node;
    const leader = this.c.node(leaderName);
    if (n.isPrimary) {
      // ha.py demote: a node that needs (and may get) pg_rewind or a re-clone is not started again; the next
      // loop rebuilds it (recover).
      const rebuild = this.rebuildPlan(leader) !== null;
      this.demote('immediate-nolock', leaderName, `demoting self because I do not have the lock and I was a leader (the leader key names ${leaderName})`, !rebuild);
      return;
    }
    const role = n.role;
    if (role.kind !== 'standby' || (role.upstream === leaderName && this.rebuildPlan(leader) === null)) return;
    // ha.py follow → _handle_rewind_or_reinitialize: a diverged running replica is stopped and rebuilt.
    if (this.rebuild(leader)) return;
    if (role.upstream === leaderName) return;
    this.noteRewind(leader);
    this.say(`following a new leader ${leaderName}`);
    this.c.repoint(n, leaderName);
  }

  /**
   * What rebuilds this node before it can follow `leader` (rewind.py can_rewind,
   * should_remove_data_directory_on_diverged_timelines; ha.py _handle_rewind_or_reinitialize), or null: it has
   * not diverged, or nothing may rebuild it.
   */
  private rebuildPlan(leader: PgNode): { tool: 'pg_rewind' | 'pg_basebackup'; why: string } | null {
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
    if (plan.tool === 'pg_rewind') {
      this.say(`running pg_rewind from ${leader.name} (${plan.why})`);
      this.rejoin.rewind(leader);
    } else {
      this.say(`reinitializing due to diverged timelines (${plan.why}): remove_data_directory_on_diverged_timelines is set`);
      this.rejoin.reclone(leader, 'spread');
    }
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
      if (option && n.dataDirectory === 'present') {
        this.say(`Failed to rewind from healthy primary: ${leader}; ${option} is set. removing...`);
        this.c.rebuilds.destroy(n);
      } else this.say(`Failed to rewind from healthy primary: ${leader}; neither remove_data_directory_on_rewind_failure nor remove_data_directory_on_diverged_timelines is set: ${n.name} starts as a replica that cannot follow`);
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
    const why = !spec.usePgRewind ? 'use_pg_rewind is off' : !rewindable(n) ? 'use_pg_rewind is on, but it has neither wal_log_hints = on nor data checksums' : 'pg_rewind failed';
    this.say(`pg_rewind is needed to follow ${leader.name} (${where}); ${why} and remove_data_directory_on_diverged_timelines is off: ${n.name} will not stream until it is rebuilt`);
  }

  /** recover(): PostgreSQL is not running: start it, as primary if this node holds the key, else as a replica of the leader. */
  private recover(v: DcsState): void {
    const n = this.node;
    const c = this.c;
    // The async executor runs a rebuild: the loop only reports it (ha.py _run_cycle: "running pg_rewind from …").
    if (this.rejoin.busy || n.dataDirectory === 'copying') return this.done();
    if (v.leader === n.name && n.role.kind === 'primary') {
      const r = this.group.dcs.keepAlive(this.client);
      this.later(r.delay, () => {
        if (!r.ok) return this.dcsError(r.why);
        if (r.value && !n.running) {
          this.say('starting primary after failure');
          c.start(n);
        }
        this.done();
      });
      return;
    }
    const leader = v.leader !== null && v.leader !== n.name ? v.leader : null;
    if (leader && n.dataDirectory === 'empty') {
      // ha.py bootstrap: an empty data directory is cloned from the leader (create_replica_methods: basebackup).
      this.say(`trying to bootstrap from leader '${leader}'`);
      this.rejoin.reclone(c.node(leader), 'spread');
      return this.done();
    }
    if (leader && this.rebuildPlan(c.node(leader)) !== null) {
      if (n.role.kind === 'primary') c.demote(n, leader, 'fast', `Patroni: starting as a secondary of ${leader} after a rebuild (${n.name} does not hold the leader key)`, false);
      else if (n.role.upstream !== leader) n.role.upstream = leader;
      this.rebuild(c.node(leader));
      return this.done();
    }
    if (n.role.kind === 'primary') {
      if (leader) this.noteRewind(c.node(leader));
      c.demote(n, leader, 'fast', `Patroni: starting as a secondary${leader ? ` of ${leader}` : ''} (${n.name} does not hold the leader key)`);
    } else {
      if (leader && n.role.upstream !== leader) {
        this.noteRewind(c.node(leader));
        c.repoint(n, leader);
      }
      if (!n.running) {
        this.say('starting as a secondary');
        c.start(n);
      }
    }
    this.done();
  }

  // ------------------------------------------------------------------------------------------ the race

  /** What this member's REST API answers (ha.py _MemberStatus.from_api_response): null when it does not answer. */
  private status(a: PatroniAgent): { inRecovery: boolean; pos: number; tags: PatroniTags } | null {
    const n = a.node;
    if (!this.c.ctx.net.reachable(this.client.endpoint, a.client.endpoint) || !n.acceptsConnections) return null;
    // The REST API queries PostgreSQL (api.py get_postgresql_status): a saturated node answers after the timeout.
    if (answerTime(n, 'read') > REST_TIMEOUT) return null;
    return { inRecovery: !n.isPrimary, pos: n.isPrimary ? 0 : n.walEnd(this.now), tags: this.group.tags(n.name) };
  }

  /** process_unhealthy_cluster: the leader race. */
  private race(v: DcsState): void {
    const n = this.node;
    const spec = this.group.spec;
    const tags = this.group.tags(n.name);
    const me = n.walEnd(this.now);
    const saw = `the leader key of ${this.c.name} is gone (DCS: ${this.group.dcs.describe()}); last_lsn ${formatLsn(v.lastLsn)}, cluster timeline ${v.timeline}`;
    const rule = 'Patroni ha.py is_healthiest_node / _is_healthiest_node';
    const refuse = (why: string) => {
      this.decide(null, saw, rule, [`${n.name}: ${why}`]);
      if (n.isPrimary) this.demote('immediate-nolock', null, `demoting self because i am not the healthiest node (${why})`);
      this.done();
    };
    if (n.isPrimary) {
      if (n.tli < v.timeline) return refuse(`my timeline ${n.tli} is behind last known cluster timeline ${v.timeline}`);
    } else {
      if (tags.nofailover || tags.failoverPriority <= 0) return refuse(tags.nofailover ? 'tagged nofailover' : `failover_priority ${tags.failoverPriority}`);
      const syncActive = spec.synchronousMode && v.sync !== null;
      if (syncActive && !v.sync!.standbys.includes(n.name) && v.sync!.leader !== n.name) {
        return refuse(`not a synchronous standby (/sync lists ${v.sync!.standbys.join(', ') || 'none'}): in synchronous_mode only they may be promoted`);
      }
      const lag = v.lastLsn - me;
      if (lag > spec.maximumLagOnFailover) return refuse(`"My wal position exceeds maximum replication lag": ${formatLsn(me)} is ${Math.round(lag)} bytes behind last_lsn ${formatLsn(v.lastLsn)} (maximum_lag_on_failover = ${spec.maximumLagOnFailover})`);
      if (spec.checkTimeline && n.tli < v.timeline) return refuse(`"My timeline ${n.tli} is behind last known cluster timeline ${v.timeline}" (check_timeline)`);
    }
    // Poll the other members' REST API in parallel (2 s timeout, no retry); in synchronous mode only the
    // synchronous ones and the former leader.
    const syncActive = spec.synchronousMode && v.sync !== null;
    const others = this.group.agents.filter((a) => a !== this && (!syncActive || v.sync!.standbys.includes(a.node.name) || v.sync!.leader === a.node.name));
    const polled = others.map((a) => ({ a, st: this.status(a) }));
    const waited = polled.some((x) => x.st === null) ? REST_TIMEOUT : 0;
    this.later(waited, () => {
      const seen: string[] = [];
      let refused: string | null = null;
      for (const { a, st } of polled) {
        const name = a.node.name;
        if (st === null) {
          seen.push(`${name}: not reachable (no answer within ${secs(REST_TIMEOUT)})`);
          continue;
        }
        if (st.tags.nofailover) {
          seen.push(`${name}: not allowed to promote (nofailover)`);
          continue;
        }
        if (!st.inRecovery) {
          seen.push(`${name}: running as a primary`);
          refused ??= `Primary (${name}) is still alive`;
          continue;
        }
        if (st.pos > me) {
          seen.push(`${name}: at ${formatLsn(st.pos)}, ahead of my ${formatLsn(me)}`);
          if (!(syncActive && v.sync!.leader === name)) refused ??= `Wal position of ${name} is ahead of my wal position`;
          continue;
        }
        const former = (syncActive ? v.sync!.leader : null) === name;
        if (st.pos === me && st.tags.failoverPriority > tags.failoverPriority && !former) {
          seen.push(`${name}: at the same position with failover_priority ${st.tags.failoverPriority} > mine ${tags.failoverPriority}`);
          refused ??= `${name} has equally tolerable WAL position and priority ${st.tags.failoverPriority}, while this node has priority ${tags.failoverPriority}`;
          continue;
        }
        seen.push(`${name}: at ${formatLsn(st.pos)}, not ahead of me`);
      }
      if (refused) {
        this.decide(null, saw, rule, [`${n.name}: ${refused}`, ...seen]);
        if (n.isPrimary) this.demote('immediate-nolock', null, `demoting self because i am not the healthiest node (${refused})`);
        return this.done();
      }
      const r = this.group.dcs.acquire(this.client);
      this.later(r.delay, () => {
        if (!r.ok) {
          this.decide(null, saw, rule, [`${n.name}: the healthiest node, but acquiring the leader key failed: ${r.why}`, ...seen]);
          return this.dcsError(r.why);
        }
        if (!r.value) {
          this.decide(null, saw, rule, [`${n.name}: the healthiest node, but another member created the leader key first`, ...seen]);
          const lead = this.group.dcs.read(this.client);
          if (lead.ok && lead.value.leader) this.follow(lead.value.leader, lead.value);
          return this.done();
        }
        const why = `${n.name} at ${formatLsn(me)} is within maximum_lag_on_failover of last_lsn ${formatLsn(v.lastLsn)} and no member is ahead`;
        this.decide(n.name, saw, rule, [`${n.name}: ${why}; it acquired the leader key`, ...seen]);
        if (n.isPrimary) this.say('acquired session lock as a leader');
        this.enforcePrimary(v, 'promoted self to leader by acquiring session lock');
        this.done();
      });
    });
  }

  /** A decision, recorded when it differs from this agent's last one (a refusal repeats every loop). */
  private decide(chosen: string | null, saw: string, rule: string, reasons: string[], message?: string): void {
    const key = `${chosen}|${rule}|${reasons.join(';')}`;
    if (key === this.lastDecision) return;
    this.lastDecision = key;
    const c = this.c;
    c.ctx.history.failover({ at: this.now, cluster: c.name, policy: 'patroni', chosen, reasons, saw, rule, by: `patroni on ${this.node.name}` });
    if (message) this.say(message);
    else if (chosen === null && reasons.length > 0 && rule.includes('healthiest')) this.say(`not promoting: ${reasons[0]}`);
  }
}

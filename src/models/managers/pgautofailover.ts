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
import type { PgAutoFailoverSpec } from '../../scenario/types-managers.ts';
import type { Endpoint } from '../network/network.ts';
import type { PgCluster } from '../postgres/cluster.ts';
import { PRIORITY } from '../postgres/context.ts';
import { formatLsn, type Lsn } from '../postgres/lsn.ts';
import type { PgNode } from '../postgres/node.ts';
import { probe } from './health.ts';
import { secs, type Manager } from './manager.ts';
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
  | 'prepare_promotion'
  | 'stop_replication';

const PRIMARY_SIDE: readonly PgafState[] = ['single', 'wait_primary', 'primary'];
const TICK = 1_000_000 as Micros;

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
  health: 'good' | 'bad';
  /** A round in progress: its result, known when its tries are over. */
  pendingHealth: { readonly value: 'good' | 'bad'; readonly at: Micros } | null;
  /** When the next health check round is due. */
  nextCheck: Micros;
  /** The primary keeper: when it last saw the monitor or a standby (network_partition_timeout). */
  lastContact: Micros;
  readonly candidatePriority: number;
  readonly replicationQuorum: boolean;
  /** The keeper's pg_rewind and pg_basebackup of this node (fsm_rewind_or_init). */
  readonly rejoin: Rejoin;
}

export class PgAutoFailover implements Manager {
  readonly monitor: Endpoint;
  private readonly nodes: NodeRecord[];
  private timer: EventHandle | null = null;
  private readonly monitorStarted: Micros;
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
    this.nodes = [...cluster.nodes.values()].map((n) => {
      const o = spec.nodes[n.name];
      // pg_autoctl writes wal_log_hints = on into every node's configuration (defaults.h
      // DEFAULT_GUC_SETTINGS_FOR_PG_AUTO_FAILOVER), so that a demoted primary can be rewound.
      if (!n.settings.walLogHints) n.settings = { ...n.settings, walLogHints: true };
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
        health: 'good',
        pendingHealth: null,
        nextCheck: now,
        lastContact: now,
        candidatePriority: o?.candidatePriority ?? 50,
        replicationQuorum: o?.replicationQuorum ?? true,
        rejoin: new Rejoin(cluster, n, 'pg_auto_failover', (tool, ok) => this.rebuilt(n, tool, ok)),
      };
    });
  }

  private get now(): Micros {
    return this.cluster.ctx.sim.now;
  }

  start(): void {
    // The keepers set synchronous_standby_names as the monitor computes it (node_active_protocol.c).
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

  /** Wake the loop (it runs every second while anything is in transition or abnormal). */
  private poke(): void {
    if (this.timer) return;
    // While the loop slept the group was stable: every keeper reported and every check passed until now.
    for (const r of this.nodes) {
      r.lastReport = this.now;
      r.lastContact = this.now;
      r.reportedLsn = r.node.walEnd(this.now);
      r.nextCheck = Math.max(r.nextCheck, this.now) as Micros;
    }
    this.timer = this.cluster.ctx.sim.at(this.now, `pg_auto_failover ${this.cluster.name}`, () => this.tick(), PRIORITY.manager);
  }

  private reach(a: Endpoint, b: Endpoint): boolean {
    return this.cluster.ctx.net.reachable(a, b);
  }

  private primary(): NodeRecord | undefined {
    return this.nodes.find((r) => PRIMARY_SIDE.includes(r.goal) || r.goal === 'draining' || r.goal === 'demote_timeout');
  }

  private say(r: NodeRecord | null, message: string): void {
    this.cluster.log(r?.node ?? null, 'failover', `pg_auto_failover: ${message}`);
  }

  private assign(r: NodeRecord, goal: PgafState, why: string): void {
    if (r.goal === goal) return;
    this.say(r, `setting goal state of ${r.node.name} to ${goal}: ${why}`);
    r.goal = goal;
    r.goalSince = this.now;
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
    const reaches = monitorUp && this.reach(r.endpoint, this.monitor);
    if (reaches) {
      if (r.state !== r.goal) this.transition(r);
      r.lastReport = this.now;
      r.reported = r.state;
      r.reportedLsn = n.walEnd(this.now);
      r.pgRunning = n.running;
      r.lastContact = this.now;
    }
    // A primary keeper that has seen neither the monitor nor a standby for network_partition_timeout stops
    // PostgreSQL (service_keeper.c in_network_partition).
    if (n.running && n.isPrimary) {
      const standby = [...this.cluster.streams].some((s) => s.up === n && this.cluster.streamUp(s));
      if (standby) r.lastContact = this.now;
      if (!reaches && this.now - r.lastContact >= this.spec.networkPartitionTimeout) {
        this.say(r, `${n.name} has seen neither the monitor nor a standby for ${secs(this.now - r.lastContact)} (network_partition_timeout ${secs(this.spec.networkPartitionTimeout)}): it stops PostgreSQL`);
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
        if (n.running && !n.isPrimary) c.promote(n, { kind: 'failover', policy: 'pg_auto_failover', why: `the monitor assigned ${n.name} goal state ${r.goal}` });
        this.applySyncNames(r);
        break;
      case 'draining':
      case 'demote_timeout':
      case 'demoted':
        if (n.running) c.stop(n);
        break;
      case 'catchingup':
      case 'secondary': {
        const up = p && p !== r ? p.node.name : null;
        // The keeper is still rebuilding the node: the transition goes on (its state stays).
        if (r.rejoin.busy) return;
        if (up && n.dataDirectory === 'empty') {
          this.say(r, `${n.name}'s data directory is empty: pg_basebackup from ${up}`);
          r.rejoin.reclone(p!.node, 'spread');
          return;
        }
        if (up && (n.isPrimary || divergence(n, p!.node, this.now) !== null)) {
          // demoted -> catchingup (fsm_transition.c fsm_rewind_or_init): pg_rewind against the new primary,
          // pg_basebackup when it fails; the keeper reaches catchingup when the node runs as a standby.
          if (n.isPrimary) c.demote(n, up, 'fast', `pg_auto_failover: ${n.name} rejoins as a standby of ${up} (fsm_rewind_or_init: pg_rewind first)`, false);
          else if (n.role.kind === 'standby') n.role.upstream = up;
          this.say(r, `${n.name}: rewinding to become a standby of ${up}`);
          r.rejoin.rewind(p!.node);
          return;
        }
        if (n.isPrimary) {
          if (up) c.demote(n, up, 'fast', `pg_auto_failover: ${n.name} rejoins as a standby of ${up}`);
        } else {
          if (up && n.role.kind === 'standby' && n.role.upstream !== up) c.repoint(n, up);
          if (!n.running) c.start(n);
        }
        break;
      }
      case 'report_lsn':
      case 'prepare_promotion':
      case 'stop_replication':
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
    this.say(r, `Failed to rewind demoted primary to standby, trying pg_basebackup instead`);
    r.rejoin.reclone(p.node, 'spread');
  }

  /**
   * synchronous_standby_names as the monitor computes it (node_active_protocol.c, v2.2): empty with no
   * quorum standby or while the primary is single or wait_primary; else ANY max(n, 1) over the quorum
   * standbys whose goal is secondary (with n >= 1 and none, the names stay and commits wait).
   */
  private applySyncNames(r: NodeRecord): void {
    const n = r.node;
    if (!n.running || !n.isPrimary) return;
    const quorum = this.nodes.filter((x) => x !== r && x.replicationQuorum && x.candidatePriority >= 0);
    const secondaries = quorum.filter((x) => x.goal === 'secondary').map((x) => x.node.settings.applicationName);
    let next: { method: 'any'; num: number; names: string[] } | null = null;
    if (r.goal === 'primary' && quorum.length > 0) {
      const names = secondaries.length > 0 ? secondaries : quorum.map((x) => x.node.settings.applicationName);
      next = { method: 'any', num: Math.max(this.spec.numberSyncStandbys, 1), names };
    }
    if (JSON.stringify(n.settings.synchronousStandbyNames) !== JSON.stringify(next)) this.cluster.configure(n, { synchronousStandbyNames: next }, 'never');
  }

  /** Clients find the primary (multi-host URI, target_session_attrs=read-write): the running primary they reach. */
  private route(): void {
    const c = this.cluster;
    for (const pool of c.writes.pools) {
      const t = pool.target;
      if (t && t.running && t.isPrimary && this.reach(pool.clients, c.endpointOf(t))) continue;
      const p = this.nodes.find((r) => r.node.running && r.node.isPrimary && PRIMARY_SIDE.includes(r.goal) && this.reach(pool.clients, r.endpoint));
      if (!p || p.node === t) continue;
      c.log(p.node, 'routing', `writes of ${pool.name} go to ${p.node.name}: the first host of the connection string that accepts read-write sessions (target_session_attrs=read-write)`);
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
  private unhealthy(r: NodeRecord): string | null {
    const s = this.spec;
    if (!r.pgRunning) return `${r.node.name}'s keeper reports PostgreSQL not running`;
    if (this.now - r.lastReport > s.nodeConsideredUnhealthyTimeout && r.health === 'bad' && this.now - this.monitorStarted > s.startupGracePeriod) {
      return `no report from ${r.node.name}'s keeper for ${secs(this.now - r.lastReport)} (node_considered_unhealthy_timeout ${secs(s.nodeConsideredUnhealthyTimeout)}) and its health checks fail`;
    }
    return null;
  }

  /** group_state_machine.c ProceedGroupState for the whole group, once per loop. */
  private proceed(): void {
    const p = this.primary();
    if (!p) return;
    const standbys = this.nodes.filter((r) => r !== p && !PRIMARY_SIDE.includes(r.goal));
    const sick = this.unhealthy(p);
    const threshold = this.spec.promoteWalLogThreshold;

    // A failover in progress.
    const promoting = standbys.find((r) => r.goal === 'prepare_promotion' || r.goal === 'stop_replication');
    if (promoting) return this.advancePromotion(p, promoting, standbys);
    if (p.goal === 'draining' || p.goal === 'demote_timeout') return this.elect(p, standbys);

    if (sick && PRIMARY_SIDE.includes(p.goal)) return this.startFailover(p, standbys, sick);

    // Steady state: standbys catch up or fall back; the primary's state follows its secondaries.
    for (const r of standbys) {
      const rs = this.unhealthy(r);
      const lag = p.reportedLsn - r.reportedLsn;
      const streaming = [...this.cluster.streams].some((s) => s.down === r.node && s.up === p.node && s.limit === null && this.cluster.streamUp(s));
      if (r.goal === 'secondary' && rs) this.assign(r, 'catchingup', rs);
      else if (r.goal === 'catchingup' && !rs && streaming && lag <= this.spec.enableSyncWalLogThreshold) this.assign(r, 'secondary', `${r.node.name} is within enable_sync_wal_log_threshold (${formatLsn(r.reportedLsn)}, ${Math.round(lag)} bytes behind)`);
      else if (r.goal === 'demoted' && r.reported === 'demoted' && r.lastReport === this.now) this.assign(r, 'catchingup', `${r.node.name}'s keeper reports demoted: it rejoins as a standby of ${p.node.name}`);
    }
    const secondaries = standbys.filter((r) => r.goal === 'secondary' && r.replicationQuorum);
    const want: PgafState = standbys.length === 0 ? 'single' : secondaries.length > 0 || this.spec.numberSyncStandbys > 0 ? 'primary' : 'wait_primary';
    if (p.goal !== want) this.assign(p, want, want === 'wait_primary' ? 'no secondary is healthy: synchronous replication is off and writes go on unreplicated' : want === 'primary' ? (secondaries.length ? `${secondaries.map((r) => r.node.name).join(', ')} ${secondaries.length === 1 ? 'is' : 'are'} secondary` : `number_sync_standbys = ${this.spec.numberSyncStandbys}: the primary keeps waiting for a quorum standby`) : 'no standby');
    if (p.reported === p.goal) this.applySyncNames(p);
  }

  private decide(chosen: string | null, saw: string, reasons: string[]): void {
    const key = `${chosen}|${reasons.join(';')}`;
    if (key === this.lastDecision) return;
    this.lastDecision = key;
    const c = this.cluster;
    c.ctx.history.failover({ at: this.now, cluster: c.name, policy: 'pg_auto_failover', chosen, reasons, saw, rule: 'pg_auto_failover group_state_machine.c: failover candidates and election', by: `the monitor ${this.monitor.name}` });
    if (!chosen) this.say(null, `no failover: ${reasons.join('; ')}`);
  }

  /** The primary is unhealthy: the candidates (secondary, healthy, priority > 0) go to report_lsn, or none. */
  private startFailover(p: NodeRecord, standbys: NodeRecord[], sick: string): void {
    const reasons: string[] = [];
    const candidates = standbys.filter((r) => {
      const why = r.goal !== 'secondary' ? `state ${r.goal} (only a secondary may be promoted)` : r.candidatePriority <= 0 ? 'candidate_priority 0' : this.unhealthy(r);
      if (why) reasons.push(`${r.node.name}: ${why}`);
      return !why;
    });
    if (candidates.length === 0) return this.decide(null, `${p.node.name} is unhealthy: ${sick}`, reasons.length ? reasons : ['no standby']);
    this.assign(p, 'draining', `${p.node.name} is unhealthy: ${sick}`);
    for (const r of candidates) this.assign(r, 'report_lsn', `failover: ${r.node.name} reports its LSN for the election`);
  }

  /**
   * The election (group_state_machine.c, multi-standby and two-node alike here): wait until every quorum
   * candidate reported its LSN; at least number_sync_standbys + 1 of them; refuse when the most advanced is
   * more than promote_wal_log_threshold behind the primary's last LSN; the highest candidate_priority,
   * then the most advanced LSN, then the name.
   */
  private elect(p: NodeRecord, standbys: NodeRecord[]): void {
    const candidates = standbys.filter((r) => r.goal === 'report_lsn');
    const waiting = candidates.filter((r) => r.replicationQuorum && r.reported !== 'report_lsn');
    const saw = `${p.node.name} is ${p.goal}; candidates ${candidates.map((r) => `${r.node.name} at ${formatLsn(r.reportedLsn)}${r.reported === 'report_lsn' ? '' : ' (not reported yet)'}`).join(', ') || 'none'}`;
    if (waiting.length > 0) return this.decide(null, saw, waiting.map((r) => `${r.node.name}: a quorum node has not reported its LSN yet (the election waits for it)`));
    const reported = candidates.filter((r) => r.reported === 'report_lsn' && !this.unhealthy(r));
    const quorum = reported.filter((r) => r.replicationQuorum);
    const need = this.spec.numberSyncStandbys + 1;
    if (this.spec.numberSyncStandbys > 0 && quorum.length < need) {
      return this.decide(null, saw, [`${quorum.length} quorum candidates reported, number_sync_standbys + 1 = ${need} needed`]);
    }
    if (reported.length === 0) return this.decide(null, saw, ['no candidate reported its LSN']);
    const best = Math.max(...reported.map((r) => r.reportedLsn));
    const behind = p.reportedLsn - best;
    if (behind > this.spec.promoteWalLogThreshold) {
      return this.decide(null, saw, [`the most advanced candidate is ${Math.round(behind)} bytes behind ${p.node.name}'s last reported LSN ${formatLsn(p.reportedLsn)} (more than promote_wal_log_threshold ${this.spec.promoteWalLogThreshold})`]);
    }
    const sorted = [...reported].filter((r) => r.candidatePriority > 0).sort((a, b) => b.candidatePriority - a.candidatePriority || b.reportedLsn - a.reportedLsn || (a.node.name < b.node.name ? -1 : 1));
    const chosen = sorted[0];
    if (!chosen) return this.decide(null, saw, reported.map((r) => `${r.node.name}: candidate_priority 0`));
    const reasons = sorted.map((r) => `${r.node.name}: priority ${r.candidatePriority}, ${formatLsn(r.reportedLsn)}${r === chosen ? ' (chosen: highest priority, then most advanced)' : ''}`);
    if (chosen.reportedLsn < best) reasons.push(`${chosen.node.name} is not the most advanced: a real keeper fast-forwards it from that standby first; replsim does not (the difference is lost)`);
    this.decide(chosen.node.name, saw, reasons);
    this.assign(chosen, 'prepare_promotion', `elected to be promoted (candidate_priority ${chosen.candidatePriority}, LSN ${formatLsn(chosen.reportedLsn)})`);
  }

  /** prepare_promotion -> stop_replication (old primary to demote_timeout) -> wait_primary after the primary reported demote_timeout or primary_demote_timeout passed. */
  private advancePromotion(p: NodeRecord, r: NodeRecord, standbys: NodeRecord[]): void {
    if (r.goal === 'prepare_promotion' && r.reported === 'prepare_promotion') {
      this.assign(r, 'stop_replication', `${r.node.name} is ready to be promoted`);
      this.assign(p, 'demote_timeout', `${r.node.name} is being promoted`);
      return;
    }
    if (r.goal === 'stop_replication' && r.reported === 'stop_replication') {
      const waited = this.now - p.goalSince;
      if (p.reported !== 'demote_timeout' && waited < this.spec.primaryDemoteTimeout) return;
      this.assign(r, 'wait_primary', p.reported === 'demote_timeout' ? `${p.node.name} reported demote_timeout` : `${p.node.name} did not report for primary_demote_timeout (${secs(this.spec.primaryDemoteTimeout)})`);
      this.assign(p, 'demoted', `${r.node.name} is the new primary`);
      for (const o of standbys) if (o !== r && (o.goal === 'report_lsn' || o.goal === 'secondary')) this.assign(o, 'catchingup', `${r.node.name} is the new primary`);
    }
  }
}

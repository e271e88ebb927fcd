/**
 * An Orchestrator-like manager (openark/orchestrator @730db91f; managers.md §4), applied to PostgreSQL: a
 * Raft of members at sites (raft.ts) of which only the leader detects and recovers; it polls every
 * instance every InstancePollSeconds from its own site, and recovers only what its analysis calls a dead
 * primary:
 * - DeadMaster: the primary's check fails and no replica still replicates from it (a replica's walreceiver
 *   still says streaming until wal_receiver_timeout, PostgreSQL's slave_net_timeout); a replica that still
 *   replicates makes it UnreachableMaster, which is not acted on (analysis_dao.go). Replicas it cannot
 *   reach do not count either way (DeadMasterAndSomeReplicas).
 * - The candidate (topology_recovery.go, instance_topology.go): the most advanced reachable replica that
 *   is not `must_not`; a `prefer` one (or, when that pick is `prefer_not` or outside the dead primary's data
 *   centre (site) or region while those are required, a `neutral` one) replaces it after catching up from
 *   it; a final pick in the wrong place with PreventCrossDataCenter/RegionMasterFailover fails the
 *   recovery. The others are pointed at it.
 * - Every recovery is registered before it runs, failed ones too: none other of the cluster within
 *   RecoveryPeriodBlockSeconds; no fencing of the old primary (Orchestrator leaves it to hooks); the
 *   clients its leader can reach are re-pointed (a hook's job).
 * Approximations (docs/model-managers.md): the analysis runs once per poll, when its check is known (real: every second).
 */
import type { Micros } from '../../engine/time.ts';
import type { OrchestratorSpec, PromotionRule } from '../../scenario/types-managers.ts';
import type { PgCluster } from '../postgres/cluster.ts';
import { PRIORITY } from '../postgres/context.ts';
import type { PgNode } from '../postgres/node.ts';
import { probe } from './health.ts';
import { routeClients, type Manager } from './manager.ts';
import { factKey, type Fact } from '../../history/facts/index.ts';
import type { PassedOver } from '../../history/facts/managers.ts';

const ANALYSIS_RULE = 'orchestrator: go/inst/analysis_dao.go:GetReplicationAnalysis';
const RECOVERY_RULE = 'orchestrator: go/logic/topology_recovery.go:recoverDeadMaster';
const CANDIDATE_RULE = 'orchestrator: go/inst/instance_topology.go:chooseCandidateReplica';
const BANNED_RULE = 'orchestrator: go/inst/instance_topology.go:IsBannedFromBeingCandidateReplica';
const REPLACE_RULE = 'orchestrator: go/logic/topology_recovery.go:SuggestReplacementForPromotedReplica';
const PLACE_RULE = 'orchestrator: go/logic/topology_recovery.go:MasterFailoverGeographicConstraintSatisfied';
const BLOCK_RULE = 'orchestrator: go/logic/topology_recovery_dao.go:AttemptRecoveryRegistration';
import { RaftGroup } from './raft.ts';

export class Orchestrator implements Manager {
  private readonly raft: RaftGroup;
  private master: PgNode | null;
  /** When the last recovery of the cluster was registered (successful or not: both block the next). */
  private lastRecovery: Micros | null = null;
  /** A replacement catching up from the replica first picked, to be promoted once it has its WAL. */
  private takeover: { readonly node: PgNode; readonly from: PgNode; readonly to: number; readonly reachable: readonly PgNode[]; readonly reasons: Fact[] } | null = null;
  private lastDecision = '';

  constructor(
    private readonly cluster: PgCluster,
    readonly spec: OrchestratorSpec,
  ) {
    this.raft = new RaftGroup(cluster.ctx, spec.members, spec.electionTimeout, `orchestrator of ${cluster.name}`, cluster.name, 'orchestrator', () => {});
    this.master = [...cluster.nodes.values()].find((n) => n.isPrimary) ?? null;
  }

  private get now(): Micros {
    return this.cluster.ctx.sim.now;
  }

  private region(site: string): string {
    return this.spec.regions[site] ?? site;
  }

  private rule(n: PgNode): PromotionRule {
    return this.spec.promotionRules[n.name] ?? 'neutral';
  }

  start(): void {
    this.raft.start();
    const tick = () => {
      this.poll();
      this.cluster.ctx.sim.after(this.spec.pollInterval, `orchestrator ${this.cluster.name}`, tick, PRIORITY.manager);
    };
    // Orchestrator polls each instance every InstancePollSeconds from when it discovered it, before the run:
    // the phase is drawn from the seed, so a fault falls anywhere between two polls.
    const phase = Math.floor(this.cluster.ctx.random.stream(`orchestrator/${this.cluster.name}/polls`).next() * this.spec.pollInterval) as Micros;
    this.cluster.ctx.sim.after(phase, `orchestrator ${this.cluster.name}`, tick, PRIORITY.manager);
  }

  onRouteWrites(node: PgNode): void {
    // Orchestrator knows the master from the replication topology it polls, not from where the application
    // sends its writes: a route to a standby that is not being promoted is the application's error, not a new master.
    if (node.role.kind === 'standby' && !this.cluster.replay.isPromoting(node)) return;
    this.master = node;
  }

  onNetworkChange(): void {
    this.raft.onNetworkChange();
  }

  private decide(chosen: string | null, saw: Fact, rule: string, reasons: Fact[]): void {
    // A blocked recovery is the same decision at every poll, however long ago the last recovery was.
    const key = `${chosen}|${factKey(saw)}|${reasons.map((r) => (r.kind === 'recovery-blocked' ? r.kind : factKey(r))).join(';')}`;
    if (key === this.lastDecision) return;
    this.lastDecision = key;
    const c = this.cluster;
    c.ctx.history.failover({ at: this.now, cluster: c.name, policy: 'orchestrator', chosen, reasons, saw, rule, by: { kind: 'orchestrator-leader', leader: this.raft.leaderName ?? null } });
    c.log(null, 'failover', { kind: 'orchestrator-recovery', cluster: c.name, leader: this.raft.leaderName, chosen, saw, reasons, rule });
  }

  private poll(): void {
    const c = this.cluster;
    const m = this.master;
    if (!m || !this.raft.available) return;
    if (this.takeover) return this.takeOver(this.takeover);
    const leader = this.raft.members[this.raft.leader!]!.endpoint;
    const check = { probe: 'connect' as const, timeout: this.spec.connectTimeout, latencyThreshold: null, failures: 1 };
    const r = probe(c.ctx.net, leader, m, check, c.ctx.random.stream(`orchestrator/${m.name}`));
    if (r.ok && m.isPrimary) return;
    // The failed check is known when its connection attempt gives up (MySQLConnectTimeoutSeconds for a silent
    // host, at once when refused): the analysis, every second, sees it from then (analysis_dao.go IsLastCheckValid).
    c.ctx.sim.after(r.latency, `orchestrator ${c.name} analysis`, () => this.analyse(m, r.ok), PRIORITY.manager);
  }

  private analyse(m: PgNode, reached: boolean): void {
    const c = this.cluster;
    if (this.master !== m || !this.raft.available || this.takeover) return;
    const leader = this.raft.members[this.raft.leader!]!.endpoint;
    const check = { probe: 'connect' as const, timeout: this.spec.connectTimeout, latencyThreshold: null, failures: 1 };
    const r = { ok: reached };
    const replicas = [...c.nodes.values()].filter((n) => n !== m && n.role.kind === 'standby');
    const reachable = replicas.filter((n) => probe(c.ctx.net, leader, n, check, c.ctx.random.stream(`orchestrator/${n.name}`)).ok);
    const replicating = reachable.filter((n) => n.role.kind === 'standby' && n.role.receiver.status === 'streaming' && n.role.receiver.stream.up === m);
    const analysis = replicating.length > 0 ? 'UnreachableMaster' : reachable.length === 0 ? 'DeadMasterAndReplicas' : reachable.length < replicas.length ? 'DeadMasterAndSomeReplicas' : 'DeadMaster';
    const saw: Fact = { kind: 'orchestrator-analysis', leader: this.raft.leaderName, site: leader.site, master: m.name, reachable: r.ok, analysis, rule: ANALYSIS_RULE };
    // A replica still replicating from the master makes it UnreachableMaster, which is not acted on.
    if (analysis === 'UnreachableMaster') return this.decide(null, saw, ANALYSIS_RULE, replicating.map((n) => ({ kind: 'still-replicating', node: n.name, master: m.name, rule: ANALYSIS_RULE })));
    if (analysis === 'DeadMasterAndReplicas') return this.decide(null, saw, RECOVERY_RULE, [{ kind: 'no-candidate', why: 'no-replica-reachable', rule: RECOVERY_RULE }]);
    // RecoveryPeriodBlockSeconds: one automated recovery per cluster in the block period.
    if (this.lastRecovery !== null && this.now - this.lastRecovery < this.spec.recoveryPeriodBlock) {
      return this.decide(null, saw, BLOCK_RULE, [{ kind: 'recovery-blocked', ago: this.now - this.lastRecovery, block: this.spec.recoveryPeriodBlock, rule: BLOCK_RULE }]);
    }
    this.recover(m, reachable, saw);
  }

  /**
   * recoverDeadMaster: the recovery is registered first (AttemptRecoveryRegistration), so even one that
   * fails blocks the next for RecoveryPeriodBlockSeconds. Regrouping promotes the most advanced valid
   * replica (not must_not): those ahead of it are lost. SuggestReplacementForPromotedReplica then looks for a
   * better one, which catches up from it and takes over (TakeMaster): a `prefer` replica unless the pick is a
   * `prefer` in the dead master's data centre; failing that, when the pick is prefer_not or breaks the
   * data centre/region constraint, a `neutral` one. A final pick that breaks the constraint fails the recovery.
   */
  private recover(m: PgNode, reachable: PgNode[], saw: Fact): void {
    const now = this.now;
    const reasons: Fact[] = [];
    this.lastRecovery = now;
    const place = (n: PgNode): PassedOver | null => {
      if (this.spec.preventCrossDataCenterFailover && n.site !== m.site) return { kind: 'data-centre', site: n.site, masterSite: m.site };
      if (this.spec.preventCrossRegionFailover && this.region(n.site) !== this.region(m.site)) return { kind: 'region', region: this.region(n.site), masterRegion: this.region(m.site) };
      return null;
    };
    const sorted = [...reachable].sort((a, b) => b.walEnd(now) - a.walEnd(now) || (a.name < b.name ? -1 : 1));
    for (const n of sorted) if (this.rule(n) === 'must_not') reasons.push({ kind: 'candidate-refused', node: n.name, reason: { kind: 'must-not' }, rule: BANNED_RULE });
    const valid = sorted.filter((n) => this.rule(n) !== 'must_not' && n.acceptsConnections);
    const first = valid[0];
    const rule = RECOVERY_RULE;
    if (!first) return this.decide(null, saw, rule, reasons.length ? reasons : [{ kind: 'no-candidate', why: 'none-found', rule: RECOVERY_RULE }]);
    const others = valid.filter((n) => n !== first);
    const prefer = others.filter((n) => this.rule(n) === 'prefer');
    const neutral = others.filter((n) => this.rule(n) === 'neutral');
    let better: PgNode | undefined;
    let why: PassedOver | null = null;
    if (!(this.rule(first) === 'prefer' && first.site === m.site)) {
      better = prefer.find((n) => n.site === m.site) ?? (this.rule(first) === 'prefer' && !place(first) ? undefined : (prefer.find((n) => n.site === first.site) ?? prefer.find((n) => !place(n))));
      if (better) why = { kind: 'prefer-available', node: better.name };
    }
    const misplaced = place(first);
    if (!better && (misplaced || this.rule(first) === 'prefer_not')) {
      better = neutral.find((n) => n.site === m.site) ?? neutral.find((n) => n.site === first.site) ?? neutral.find((n) => !place(n));
      if (better) why = misplaced ?? { kind: 'prefer-not' };
    }
    const pick = better ?? first;
    if (better) reasons.push({ kind: 'passed-over', node: first.name, lsn: first.walEnd(now), why: why!, rule: REPLACE_RULE });
    const placed = place(pick);
    if (placed) return this.decide(null, saw, rule, [...reasons, { kind: 'passed-over', node: pick.name, lsn: pick.walEnd(now), why: placed, rule: PLACE_RULE }]);
    reasons.unshift({ kind: 'candidate-chosen', node: pick.name, why: { kind: 'orchestrator', lsn: first.walEnd(now), promotionRule: this.rule(pick), site: pick.site, region: this.region(pick.site) }, rule: CANDIDATE_RULE });
    for (const n of valid.filter((x) => x.walEnd(now) > first.walEnd(now))) reasons.push({ kind: 'lost-from-topology', node: n.name, promoted: first.name, lsn: n.walEnd(now), rule: RECOVERY_RULE });
    this.decide(pick.name, saw, rule, reasons);
    if (pick !== first && pick.walEnd(now) < first.walEnd(now) && pick.role.kind === 'standby') {
      // The replacement replicates from the replica first promoted until it has all its WAL (TakeMaster).
      this.takeover = { node: pick, from: first, to: first.walEnd(now), reachable, reasons };
      this.cluster.repoint(pick, first.name);
      return;
    }
    this.promote(pick, reachable, saw, reasons);
  }

  /** The replacement caught up (or the replica it copies from went away): it is promoted. */
  private takeOver(t: NonNullable<Orchestrator['takeover']>): void {
    if (t.node.walEnd(this.now) < t.to && t.from.running && t.node.running) return;
    this.takeover = null;
    const saw: Fact = { kind: 'orchestrator-analysis', leader: this.raft.leaderName, site: this.raft.members[this.raft.leader!]!.endpoint.site, master: this.master!.name, reachable: false, analysis: 'DeadMaster', rule: ANALYSIS_RULE };
    this.promote(t.node, t.reachable, saw, t.reasons);
  }

  private promote(pick: PgNode, reachable: readonly PgNode[], saw: Fact, reasons: Fact[]): void {
    const c = this.cluster;
    c.promote(pick, { kind: 'failover', policy: 'orchestrator', why: { kind: 'manager-decision', saw, reasons: reasons.slice(0, 1) } });
    this.master = pick;
    for (const n of reachable) if (n !== pick && n.role.kind === 'standby') c.repoint(n, pick.name);
    routeClients(c, this.raft.members[this.raft.leader!]!.endpoint, pick, { kind: 'orchestrator', leader: this.raft.leaderName });
  }
}

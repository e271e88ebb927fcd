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
 *   is not `must_not`; if it is `prefer_not` or outside the dead primary's data centre (site) or region
 *   while those are required, another `prefer`/`neutral` one in the right place; none in the right place
 *   with PreventCrossDataCenter/RegionMasterFailover fails the recovery. The others are pointed at it.
 * - No second recovery of the cluster within RecoveryPeriodBlockSeconds; no fencing of the old primary
 *   (Orchestrator leaves it to hooks); the clients its leader can reach are re-pointed (a hook's job).
 * Approximations (docs/model-managers.md): the analysis runs at each poll, not every second; a less
 * advanced candidate chosen for its place is promoted as it is (Orchestrator would first let it catch up
 * from the more advanced one).
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
  private lastRecovery: Micros | null = null;
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
    this.cluster.ctx.sim.after(0 as Micros, `orchestrator ${this.cluster.name}`, tick, PRIORITY.manager);
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
    const key = `${chosen}|${factKey(saw)}|${reasons.map(factKey).join(';')}`;
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
    const leader = this.raft.members[this.raft.leader!]!.endpoint;
    const check = { probe: 'connect' as const, timeout: this.spec.connectTimeout, latencyThreshold: null, failures: 1 };
    const r = probe(c.ctx.net, leader, m, check, c.ctx.random.stream(`orchestrator/${m.name}`));
    if (r.ok && m.isPrimary) return;
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

  private recover(m: PgNode, reachable: PgNode[], saw: Fact): void {
    const c = this.cluster;
    const now = this.now;
    const reasons: Fact[] = [];
    const place = (n: PgNode): PassedOver | null => {
      if (this.spec.preventCrossDataCenterFailover && n.site !== m.site) return { kind: 'data-centre', site: n.site, masterSite: m.site };
      if (this.spec.preventCrossRegionFailover && this.region(n.site) !== this.region(m.site)) return { kind: 'region', region: this.region(n.site), masterRegion: this.region(m.site) };
      return null;
    };
    const sorted = [...reachable].sort((a, b) => b.walEnd(now) - a.walEnd(now) || (a.name < b.name ? -1 : 1));
    for (const n of sorted) if (this.rule(n) === 'must_not') reasons.push({ kind: 'candidate-refused', node: n.name, reason: { kind: 'must-not' }, rule: BANNED_RULE });
    const valid = sorted.filter((n) => this.rule(n) !== 'must_not' && n.acceptsConnections);
    let pick = valid[0] ?? null;
    if (pick && (this.rule(pick) === 'prefer_not' || place(pick))) {
      // The second pass: a prefer/neutral replica in the right place takes over.
      const better = valid.find((n) => (this.rule(n) === 'prefer' || this.rule(n) === 'neutral') && !place(n));
      const placed = place(pick);
      reasons.push({ kind: 'passed-over', node: pick.name, lsn: pick.walEnd(now), why: this.rule(pick) === 'prefer_not' ? { kind: 'prefer-not' } : placed!, rule: this.rule(pick) === 'prefer_not' ? REPLACE_RULE : PLACE_RULE });
      if (better) pick = better;
      else if (placed) pick = null;
    }
    // The most advanced valid replica, promotion rules and data centre/region constraints.
    const rule = RECOVERY_RULE;
    if (!pick) return this.decide(null, saw, rule, reasons.length ? reasons : [{ kind: 'no-candidate', why: 'none-found', rule: RECOVERY_RULE }]);
    const ahead = valid.filter((n) => n.walEnd(now) > pick!.walEnd(now));
    reasons.unshift({ kind: 'candidate-chosen', node: pick.name, why: { kind: 'orchestrator', lsn: pick.walEnd(now), promotionRule: this.rule(pick), site: pick.site, region: this.region(pick.site) }, rule: CANDIDATE_RULE });
    for (const n of ahead) reasons.push({ kind: 'lost-from-topology', node: n.name, promoted: pick.name, lsn: n.walEnd(now), rule: RECOVERY_RULE });
    this.decide(pick.name, saw, rule, reasons);
    this.lastRecovery = now;
    c.promote(pick, { kind: 'failover', policy: 'orchestrator', why: { kind: 'manager-decision', saw, reasons: reasons.slice(0, 1) } });
    this.master = pick;
    for (const n of reachable) if (n !== pick && n.role.kind === 'standby') c.repoint(n, pick.name);
    routeClients(c, this.raft.members[this.raft.leader!]!.endpoint, pick, { kind: 'orchestrator', leader: this.raft.leaderName });
  }
}

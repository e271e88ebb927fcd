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
import { formatLsn } from '../postgres/lsn.ts';
import type { PgNode } from '../postgres/node.ts';
import { probe } from './health.ts';
import { routeClients, secs, type Manager } from './manager.ts';
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
    this.raft = new RaftGroup(cluster.ctx, spec.members, spec.electionTimeout, `orchestrator of ${cluster.name}`, cluster.name, () => {});
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
    this.master = node;
  }

  onNetworkChange(): void {
    this.raft.onNetworkChange();
  }

  private decide(chosen: string | null, saw: string, rule: string, reasons: string[]): void {
    const key = `${chosen}|${saw.replace(/\d+(\.\d+)? s/g, '')}|${reasons.join(';')}`;
    if (key === this.lastDecision) return;
    this.lastDecision = key;
    const c = this.cluster;
    c.ctx.history.failover({ at: this.now, cluster: c.name, policy: 'orchestrator', chosen, reasons, saw, rule, by: `orchestrator ${this.raft.leaderName ?? '(no leader)'}` });
    c.log(null, 'failover', `orchestrator${this.raft.leaderName ? ` ${this.raft.leaderName}` : ''}: ${chosen ? `recovers ${c.name}: promotes ${chosen}` : 'no recovery'}: ${saw}; ${reasons.join('; ')}`);
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
    const saw = `the leader ${this.raft.leaderName} (at ${leader.site}) finds ${m.name} ${r.ok ? 'not a primary' : 'unreachable'}: ${analysis}`;
    if (analysis === 'UnreachableMaster') return this.decide(null, saw, 'analysis_dao.go: a replica still replicating from the master makes it UnreachableMaster, not acted on', replicating.map((n) => `${n.name}: its walreceiver still streams from ${m.name} (until wal_receiver_timeout)`));
    if (analysis === 'DeadMasterAndReplicas') return this.decide(null, saw, 'topology_recovery.go: no replica to promote', ['no replica is reachable']);
    if (this.lastRecovery !== null && this.now - this.lastRecovery < this.spec.recoveryPeriodBlock) {
      return this.decide(null, saw, 'RecoveryPeriodBlockSeconds: one automated recovery per cluster in the block period', [`the last recovery was ${secs(this.now - this.lastRecovery)} ago (block ${secs(this.spec.recoveryPeriodBlock)})`]);
    }
    this.recover(m, reachable, saw);
  }

  private recover(m: PgNode, reachable: PgNode[], saw: string): void {
    const c = this.cluster;
    const now = this.now;
    const reasons: string[] = [];
    const place = (n: PgNode): string | null => {
      if (this.spec.preventCrossDataCenterFailover && n.site !== m.site) return `in data centre ${n.site}, not ${m.site} (PreventCrossDataCenterMasterFailover)`;
      if (this.spec.preventCrossRegionFailover && this.region(n.site) !== this.region(m.site)) return `in region ${this.region(n.site)}, not ${this.region(m.site)} (PreventCrossRegionMasterFailover)`;
      return null;
    };
    const sorted = [...reachable].sort((a, b) => b.walEnd(now) - a.walEnd(now) || (a.name < b.name ? -1 : 1));
    for (const n of sorted) if (this.rule(n) === 'must_not') reasons.push(`${n.name}: promotion rule must_not`);
    const valid = sorted.filter((n) => this.rule(n) !== 'must_not' && n.acceptsConnections);
    let pick = valid[0] ?? null;
    if (pick && (this.rule(pick) === 'prefer_not' || place(pick))) {
      // The second pass: a prefer/neutral replica in the right place takes over.
      const better = valid.find((n) => (this.rule(n) === 'prefer' || this.rule(n) === 'neutral') && !place(n));
      reasons.push(`${pick.name}: the most advanced (${formatLsn(pick.walEnd(now))}), but ${this.rule(pick) === 'prefer_not' ? 'prefer_not' : place(pick)}`);
      if (better) pick = better;
      else if (place(pick)) pick = null;
    }
    const rule = 'topology_recovery.go / instance_topology.go: the most advanced valid replica, promotion rules and data centre/region constraints';
    if (!pick) return this.decide(null, saw, rule, reasons.length ? reasons : ['no candidate replica found']);
    const ahead = valid.filter((n) => n.walEnd(now) > pick!.walEnd(now));
    reasons.unshift(`${pick.name}: chosen at ${formatLsn(pick.walEnd(now))} (${this.rule(pick)}, ${pick.site}, region ${this.region(pick.site)})`);
    for (const n of ahead) reasons.push(`${n.name}: ahead of ${pick.name} at ${formatLsn(n.walEnd(now))}: it is lost from the topology (it cannot replicate from a less advanced primary)`);
    this.decide(pick.name, saw, rule, reasons);
    this.lastRecovery = now;
    c.promote(pick, { kind: 'failover', policy: 'orchestrator', why: `${saw}; ${reasons[0]}` });
    this.master = pick;
    for (const n of reachable) if (n !== pick && n.role.kind === 'standby') c.repoint(n, pick.name);
    routeClients(c, this.raft.members[this.raft.leader!]!.endpoint, pick, `orchestrator's post-failover hook (leader ${this.raft.leaderName})`);
  }
}

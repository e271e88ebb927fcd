import type { Micros } from '../../engine/time.ts';
import type { FailoverSpec } from '../../scenario/types.ts';
import type { Endpoint } from '../network/network.ts';
import type { PgCluster } from './cluster.ts';
import { PRIORITY } from './context.ts';
import { formatLsn, type Lsn } from './lsn.ts';
import type { PgNode } from './node.ts';

/**
 * A failover manager: every check_interval it looks at the leader (the node writes are routed to) from its
 * own site; once the leader has been unhealthy for `timeout` it picks a candidate, promotes it and routes
 * writes to it. It sees only what it can reach, so a partition can make it fail over while the old
 * leader keeps running (split brain).
 */
export class FailoverManager {
  readonly endpoint: Endpoint;
  private lastHealthy: Micros;
  /** The leader's WAL position last written to the DCS (Patroni last_lsn). */
  private lastLsn: Lsn = 0;
  private leaderTli = 0;
  /** The node this manager considers the leader (its own view: two managers may disagree). */
  leader: PgNode | null;

  constructor(
    private readonly cluster: PgCluster,
    readonly spec: FailoverSpec,
  ) {
    this.endpoint = { name: `failover manager of ${cluster.name}`, site: spec.site };
    this.lastHealthy = cluster.ctx.sim.now;
    this.leader = cluster.writes.targets()[0] ?? [...cluster.nodes.values()].find((n) => n.isPrimary) ?? null;
  }

  start(): void {
    const tick = () => {
      this.check();
      this.cluster.ctx.sim.after(this.spec.checkInterval, `failover check ${this.cluster.name}`, tick, PRIORITY.manager);
    };
    this.cluster.ctx.sim.after(0 as Micros, `failover check ${this.cluster.name}`, tick, PRIORITY.manager);
  }

  private sees(n: PgNode): boolean {
    return n.acceptsConnections && this.cluster.ctx.net.reachable(this.endpoint, this.cluster.endpointOf(n));
  }

  private check(): void {
    const c = this.cluster;
    const now = c.ctx.sim.now;
    const leader = this.leader;
    // A leader whose promotion waits for its replay is the leader still (the manager waits for pg_ctl promote).
    if (leader && (leader.isPrimary || c.replay.isPromoting(leader)) && this.sees(leader)) {
      this.lastHealthy = now;
      this.lastLsn = leader.walEnd(now);
      this.leaderTli = leader.tli;
      return;
    }
    if (now - this.lastHealthy < this.spec.timeout) return;
    // The manager only knows its checks: it counts from the last healthy one, not from the fault itself.
    const lost = leader ? `no health check has found ${leader.name} a reachable primary for ${((now - this.lastHealthy) / 1e6).toFixed(0)} s (timeout ${(this.spec.timeout / 1e6).toFixed(0)} s)` : 'there is no leader';
    const choice = this.spec.policy === 'naive' ? this.chooseNaive(leader) : this.choosePatroni(leader);
    c.ctx.history.failover({ at: now, cluster: c.name, policy: this.spec.policy, chosen: choice.node?.name ?? null, reasons: choice.reasons });
    if (!choice.node) {
      // Worded without the elapsed time so that a refusal repeated every check collapses into one event.
      const who = leader ? `the leader ${leader.name} is unreachable or not a primary` : 'there is no leader';
      c.log(null, 'failover', `failover manager (${this.spec.policy}) refuses to fail over: ${who}; ${choice.reasons.join('; ')}`);
      return;
    }
    const n = choice.node;
    const why = `${lost}; ${choice.reasons.join('; ')}`;
    c.log(n, 'failover', `failover manager (${this.spec.policy}) chooses ${n.name}: ${why}`);
    if (!n.isPrimary) c.promote(n, { kind: 'failover', policy: this.spec.policy, why });
    this.leader = n;
    // The manager can re-point only the clients it can reach (a DNS or proxy change they see).
    const pools = c.writes.pools.filter((p) => c.ctx.net.reachable(this.endpoint, p.clients));
    c.log(n, 'routing', `writes of ${pools.map((p) => p.name).join(', ') || 'no client pool it can reach'} routed to ${n.name} by the failover manager at site ${this.spec.site}`);
    c.writes.routeTo(n, pools);
    this.lastHealthy = now;
  }

  /** The configured candidate, whatever its position or timeline: only reachability counts. */
  private chooseNaive(leader: PgNode | null): { node: PgNode | null; reasons: string[] } {
    for (const name of this.spec.candidates) {
      const n = this.cluster.node(name);
      if (n === leader) continue;
      if (this.sees(n)) return { node: n, reasons: [`${n.name} is the first reachable configured candidate (its WAL position and timeline are not checked)`] };
    }
    return { node: null, reasons: ['no configured candidate is reachable'] };
  }

  /**
   * Patroni ha.py _is_healthiest_node / is_lagging: no primary may be alive; a candidate must be within
   * maximum_lag_on_failover of the leader's last known position; the highest WAL position wins.
   */
  private choosePatroni(leader: PgNode | null): { node: PgNode | null; reasons: string[] } {
    const c = this.cluster;
    const now = c.ctx.sim.now;
    const names = this.spec.candidates.length > 0 ? this.spec.candidates : [...c.nodes.keys()];
    const reasons: string[] = [];
    const alivePrimary = [...c.nodes.values()].find((n) => n !== leader && n.isPrimary && this.sees(n));
    if (alivePrimary) return { node: null, reasons: [`Primary ${alivePrimary.name} is still alive`] };
    let best: PgNode | null = null;
    for (const name of names) {
      const n = c.node(name);
      if (n === leader || n.isPrimary) continue;
      if (!this.sees(n)) {
        reasons.push(`${n.name} is not reachable`);
        continue;
      }
      const pos = n.walEnd(now);
      const lag = this.lastLsn - pos;
      if (lag > this.spec.maximumLagOnFailover) {
        reasons.push(
          `${n.name}: "My wal position exceeds maximum replication lag" (${formatLsn(pos)} is ${Math.round(lag)} bytes behind the leader's last known ${formatLsn(this.lastLsn)}; maximum_lag_on_failover = ${this.spec.maximumLagOnFailover})`,
        );
        continue;
      }
      if (this.spec.checkTimeline && n.tli < this.leaderTli) {
        reasons.push(`${n.name}: timeline ${n.tli} is behind the cluster's timeline ${this.leaderTli} (check_timeline)`);
        continue;
      }
      if (!best || pos > best.walEnd(now)) best = n;
    }
    if (!best) return { node: null, reasons: reasons.length > 0 ? reasons : ['no candidate standby'] };
    return { node: best, reasons: [`${best.name} has the highest WAL position (${formatLsn(best.walEnd(now))}) within maximum_lag_on_failover of the leader's last known ${formatLsn(this.lastLsn)}`] };
  }
}

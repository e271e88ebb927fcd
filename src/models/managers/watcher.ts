/**
 * A manager at one site that checks the leader (the node writes are routed to) itself: every
 * check_interval it probes it (health.ts); once the leader has failed its checks for `timeout` (and
 * `failures` in a row) it picks a candidate, promotes it and routes the clients it can reach to it. It sees
 * only what it can reach, and nothing stops the old leader: a partition can leave two primaries.
 * Policies: `naive` (the first reachable candidate, whatever its state) and `lag-only` (Patroni's lag and
 * timeline rules without its DCS, leader key or demotion).
 */
import { KeyedStreams } from '../../engine/random.ts';
import type { Micros } from '../../engine/time.ts';
import type { LagOnlySpec, NaiveSpec } from '../../scenario/types-managers.ts';
import type { Endpoint } from '../network/network.ts';
import type { PgCluster } from '../postgres/cluster.ts';
import { PRIORITY } from '../postgres/context.ts';
import type { Lsn } from '../postgres/lsn.ts';
import type { PgNode } from '../postgres/node.ts';
import { HealthTracker, probe, type ProbeResult } from './health.ts';
import { routeClients, type Manager } from './manager.ts';
import type { Fact } from '../../history/facts/index.ts';

type Choice = { node: PgNode | null; reasons: Fact[] };

const LAG_RULE = 'patroni/ha.py:Ha._is_healthiest_node';

export class Watcher implements Manager {
  readonly endpoint: Endpoint;
  private health: HealthTracker;
  /** The leader's WAL position at its last healthy check (Patroni's last_lsn). */
  private lastLsn: Lsn = 0;
  private leaderTli = 0;
  /** The node this manager considers the leader (its own view: two managers may disagree). */
  private leader: PgNode | null;
  private readonly probeRandom: KeyedStreams<PgNode>;
  /** Event labels, made once: a check runs every few seconds of a run. */
  private readonly checkLabel: string;
  private readonly resultLabel: string;

  constructor(
    private readonly cluster: PgCluster,
    readonly spec: NaiveSpec | LagOnlySpec,
    index: number,
  ) {
    this.endpoint = { name: `failover manager ${index + 1} of ${cluster.name}`, site: spec.site };
    this.probeRandom = new KeyedStreams(cluster.ctx.random, (n: PgNode) => `health/${this.endpoint.name}/${n.name}`);
    this.health = new HealthTracker(spec.health, cluster.ctx.sim.now);
    this.leader = cluster.writes.targets()[0] ?? [...cluster.nodes.values()].find((n) => n.isPrimary) ?? null;
    this.checkLabel = `failover check ${cluster.name}`;
    this.resultLabel = `failover check result ${cluster.name}`;
  }

  start(): void {
    const sim = this.cluster.ctx.sim;
    const tick = () => {
      this.check();
      sim.after(this.spec.checkInterval, this.checkLabel, tick, PRIORITY.manager);
    };
    sim.after(0 as Micros, this.checkLabel, tick, PRIORITY.manager);
  }

  onRouteWrites(node: PgNode): void {
    this.leader = node;
    this.health = new HealthTracker(this.spec.health, this.cluster.ctx.sim.now);
  }

  private sees(n: PgNode): boolean {
    return n.acceptsNewConnections && this.cluster.ctx.net.reachable(this.endpoint, this.cluster.endpointOf(n));
  }

  /** Probe the leader; the result is known after its latency (at once for the idealised default check). */
  private check(): void {
    const c = this.cluster;
    const leader = this.leader;
    if (!leader) return this.decide(null);
    const sentAt = c.ctx.sim.now;
    const r = probe(c.ctx.net, this.endpoint, leader, this.spec.health, this.probeRandom.get(leader));
    const known = this.spec.health.timeout === 0 ? 0 : r.latency;
    if (known === 0) this.onResult(leader, r, sentAt);
    else c.ctx.sim.after(known as Micros, this.resultLabel, () => this.onResult(leader, r, sentAt), PRIORITY.manager);
  }

  /** The result of the probe of `leader` sent at `sentAt`, now known. */
  private onResult(leader: PgNode, r: ProbeResult, sentAt: Micros): void {
    const c = this.cluster;
    if (this.leader !== leader) return;
    // A leader whose promotion waits for its replay is the leader still (the manager waits for pg_ctl promote).
    const healthy = r.ok && (!r.inRecovery || c.replay.isPromoting(leader));
    this.health.record(healthy ? r : r.ok ? { ok: false, latency: r.latency, why: 'refused', inRecovery: true } : r, sentAt);
    if (healthy) {
      this.lastLsn = leader.walEnd(c.ctx.sim.now);
      this.leaderTli = leader.tli;
      return;
    }
    this.decide(leader);
  }

  private decide(leader: PgNode | null): void {
    const c = this.cluster;
    const now = c.ctx.sim.now;
    const since = this.health.lastOk ?? 0;
    if (leader && (!this.health.unhealthy || now - since < this.spec.timeout)) return;
    const policy = this.spec.policy;
    // The manager only knows its checks: it counts from the last healthy one, not from the fault itself.
    const saw: Fact = leader
      ? { kind: 'leader-unhealthy', leader: leader.name, for: now - since, timeout: this.spec.timeout, health: this.spec.health.timeout > 0 ? this.health.fact() : null }
      : { kind: 'no-leader' };
    const choice = policy === 'naive' ? this.chooseNaive(leader) : this.chooseLagOnly(leader, this.spec);
    // The naive policy is no real system's rule; lag-only applies Patroni's without a DCS.
    const rule = policy === 'naive' ? undefined : LAG_RULE;
    c.ctx.history.failover({ at: now, cluster: c.name, policy, chosen: choice.node?.name ?? null, reasons: choice.reasons, saw, ...(rule ? { rule } : {}), by: { kind: 'named', name: this.endpoint.name } });
    if (!choice.node) {
      // Without the elapsed time, so that a refusal repeated every check collapses into one event.
      c.log(null, 'failover', { kind: 'failover-refused', policy, leader: leader?.name ?? null, reasons: choice.reasons });
      return;
    }
    const n = choice.node;
    c.log(n, 'failover', { kind: 'failover-chosen', policy, node: n.name, saw, reasons: choice.reasons });
    if (!n.isPrimary) c.promote(n, { kind: 'failover', policy, why: { kind: 'manager-decision', saw, reasons: choice.reasons } });
    this.leader = n;
    this.health = new HealthTracker(this.spec.health, now);
    routeClients(c, this.endpoint, n, { kind: 'watcher', site: this.spec.site });
  }

  /** The configured candidate, whatever its position or timeline: only reachability counts. */
  private chooseNaive(leader: PgNode | null): Choice {
    for (const name of this.spec.candidates) {
      const n = this.cluster.node(name);
      if (n === leader) continue;
      if (this.sees(n)) return { node: n, reasons: [{ kind: 'candidate-chosen', node: n.name, why: { kind: 'first-reachable' } }] };
    }
    return { node: null, reasons: [{ kind: 'no-candidate', why: 'none-reachable' }] };
  }

  /**
   * Patroni ha.py _is_healthiest_node / is_lagging: no primary may be alive; a candidate must be within
   * maximum_lag_on_failover of the leader's last known position; the highest WAL position wins.
   */
  private chooseLagOnly(leader: PgNode | null, spec: LagOnlySpec): Choice {
    const c = this.cluster;
    const now = c.ctx.sim.now;
    const reasons: Fact[] = [];
    const alivePrimary = [...c.nodes.values()].find((n) => n !== leader && n.isPrimary && this.sees(n));
    if (alivePrimary) return { node: null, reasons: [{ kind: 'primary-still-alive', primary: alivePrimary.name, rule: LAG_RULE }] };
    let best: PgNode | null = null;
    for (const name of spec.candidates) {
      const n = c.node(name);
      if (n === leader || n.isPrimary) continue;
      if (!this.sees(n)) {
        reasons.push({ kind: 'candidate-refused', node: n.name, reason: { kind: 'unreachable', from: spec.site } });
        continue;
      }
      const pos = n.walEnd(now);
      const lag = this.lastLsn - pos;
      if (lag > spec.maximumLagOnFailover) {
        reasons.push({ kind: 'candidate-refused', node: n.name, reason: { kind: 'lag', lsn: pos, lastLsn: this.lastLsn, maximumLagOnFailover: spec.maximumLagOnFailover }, rule: LAG_RULE });
        continue;
      }
      if (spec.checkTimeline && n.tli < this.leaderTli) {
        reasons.push({ kind: 'candidate-refused', node: n.name, reason: { kind: 'timeline-behind', timeline: n.tli, clusterTimeline: this.leaderTli, checkTimeline: true }, rule: LAG_RULE });
        continue;
      }
      if (!best || pos > best.walEnd(now)) best = n;
    }
    if (!best) return { node: null, reasons: reasons.length > 0 ? reasons : [{ kind: 'no-candidate', why: 'no-standby' }] };
    return { node: best, reasons: [{ kind: 'candidate-chosen', node: best.name, why: { kind: 'highest-position', lsn: best.walEnd(now), lastLsn: this.lastLsn }, rule: LAG_RULE }] };
  }
}

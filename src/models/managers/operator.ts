/**
 * An operator following a manual runbook, for rehearsing one: monitoring at a site checks the primary
 * (health.ts); once it has failed `failures` checks in a row an alert fires, and the operator acts
 * `reaction` later (paging, logging in, diagnosing, deciding). Then the runbook: check again (if the
 * primary is back, stand down), stop the old primary if asked and it can be reached (fencing), promote the
 * chosen standby (the most advanced reachable one, or the first reachable candidate), point the others at
 * it, and send the clients the operator can reach there.
 */
import { KeyedStreams } from '../../engine/random.ts';
import type { Micros } from '../../engine/time.ts';
import type { OperatorSpec } from '../../scenario/types-managers.ts';
import type { Endpoint } from '../network/network.ts';
import type { PgCluster } from '../postgres/cluster.ts';
import { PRIORITY } from '../postgres/context.ts';
import { PG_CTL_TIMEOUT } from '../postgres/drains.ts';
import type { PgNode } from '../postgres/node.ts';
import { HealthTracker, probe } from './health.ts';
import { routeClients, type Manager } from './manager.ts';
import type { Fact } from '../../history/facts/index.ts';

export class Operator implements Manager {
  readonly endpoint: Endpoint;
  private health: HealthTracker;
  private primary: PgNode | null;
  /** When the alert fired (the operator is working on it), or null. */
  private alertAt: Micros | null = null;
  private readonly probeRandom: KeyedStreams<PgNode>;

  constructor(
    private readonly cluster: PgCluster,
    readonly spec: OperatorSpec,
    index: number,
  ) {
    this.endpoint = { name: `operator ${index + 1} of ${cluster.name}`, site: spec.site };
    this.probeRandom = new KeyedStreams(cluster.ctx.random, (n: PgNode) => `operator/${n.name}`);
    this.health = new HealthTracker(spec.health, cluster.ctx.sim.now);
    this.primary = cluster.writes.targets()[0] ?? [...cluster.nodes.values()].find((n) => n.isPrimary) ?? null;
  }

  private get now(): Micros {
    return this.cluster.ctx.sim.now;
  }

  start(): void {
    const sim = this.cluster.ctx.sim;
    const tick = () => {
      this.check();
      sim.after(this.spec.checkInterval, `monitoring ${this.cluster.name}`, tick, PRIORITY.manager);
    };
    sim.after(0 as Micros, `monitoring ${this.cluster.name}`, tick, PRIORITY.manager);
  }

  onRouteWrites(node: PgNode): void {
    this.primary = node;
    this.health = new HealthTracker(this.spec.health, this.now);
    this.alertAt = null;
  }

  private healthyNow(p: PgNode): boolean {
    const r = probe(this.cluster.ctx.net, this.endpoint, p, this.spec.health, this.probeRandom.get(p));
    return r.ok && !r.inRecovery;
  }

  private check(): void {
    const c = this.cluster;
    const p = this.primary;
    if (!p || this.alertAt !== null) return;
    const sentAt = this.now;
    const r = probe(c.ctx.net, this.endpoint, p, this.spec.health, this.probeRandom.get(p));
    c.ctx.sim.after(r.latency, `monitoring result ${c.name}`, () => {
      if (this.primary !== p || this.alertAt !== null) return;
      const ok = r.ok && !r.inRecovery;
      this.health.record(ok ? r : r.ok ? { ok: false, latency: r.latency, why: 'refused', inRecovery: true } : r, sentAt);
      if (!this.health.unhealthy) return;
      this.alertAt = this.now;
      c.log(p, 'failover', { kind: 'monitoring-alert', node: p.name, health: this.health.fact(), reaction: this.spec.reaction });
      c.ctx.sim.after(this.spec.reaction, `operator ${c.name}`, () => this.act(p), PRIORITY.manager);
    }, PRIORITY.manager);
  }

  private act(p: PgNode): void {
    const c = this.cluster;
    const now = this.now;
    // The operator's runbook is the scenario's, not a real system's rule (no `rule`): it is part of what it saw.
    const saw: Fact = { kind: 'alert-seen', ago: now - this.alertAt!, health: this.health.fact(), runbook: { fence: this.spec.fence, choose: this.spec.choose } };
    this.alertAt = null;
    if (this.healthyNow(p)) {
      c.ctx.history.failover({ at: now, cluster: c.name, policy: 'operator', chosen: null, reasons: [{ kind: 'stands-down', node: p.name }], saw, by: { kind: 'named', name: this.endpoint.name } });
      this.health = new HealthTracker(this.spec.health, now);
      return;
    }
    // The runbook's fence is `pg_ctl stop -m fast`, which returns once the postmaster has exited (its walsenders
    // first send the standbys the WAL they lack: drains.ts) or after PGCTLTIMEOUT (60 s: "server does not shut
    // down"); the operator promotes after it returns, so a standby that the old primary drains to has that WAL.
    if (this.spec.fence && p.running && c.ctx.net.reachable(this.endpoint, c.endpointOf(p))) {
      c.stop(p);
      // The operator is busy with the runbook meanwhile: the monitoring's alerts wait.
      this.alertAt = now;
      const since = now;
      let done = false;
      const go = (gaveUp: boolean) => {
        if (done) return;
        done = true;
        if (!gaveUp) c.ctx.sim.cancel(deadline);
        this.promoteStep(p, saw, [{ kind: 'fenced', node: p.name, waited: this.now - since, gaveUp }]);
      };
      const deadline = c.ctx.sim.after(PG_CTL_TIMEOUT, `operator ${c.name} pg_ctl stop`, () => go(true), PRIORITY.manager);
      c.whenExited(p, () => go(false));
      return;
    }
    this.promoteStep(p, saw, this.spec.fence ? [{ kind: 'cannot-fence', node: p.name, site: this.spec.site, running: p.running }] : []);
  }

  /** The runbook after the fence: promote the chosen standby, point the others at it, route the clients. */
  private promoteStep(p: PgNode, saw: Fact, fence: Fact[]): void {
    const c = this.cluster;
    this.alertAt = null;
    const now = this.now;
    const reasons: Fact[] = [];
    const reach = (n: PgNode) => n.acceptsNewConnections && c.ctx.net.reachable(this.endpoint, c.endpointOf(n));
    const candidates = this.spec.candidates.map((name) => c.node(name)).filter((n) => {
      if (n === p || n.isPrimary) return false;
      if (!reach(n)) reasons.push({ kind: 'candidate-refused', node: n.name, reason: { kind: 'unreachable', from: this.spec.site } });
      return reach(n);
    });
    if (this.spec.choose === 'most-advanced') candidates.sort((a, b) => b.walEnd(now) - a.walEnd(now) || (a.name < b.name ? -1 : 1));
    const pick = candidates[0];
    if (!pick) {
      if (reasons.length === 0) reasons.push({ kind: 'no-candidate', why: 'no-standby' });
      reasons.push(...fence);
      c.ctx.history.failover({ at: now, cluster: c.name, policy: 'operator', chosen: null, reasons, saw, by: { kind: 'named', name: this.endpoint.name } });
      c.log(null, 'failover', { kind: 'operator-cannot-fail-over', reasons });
      return;
    }
    reasons.unshift({ kind: 'candidate-chosen', node: pick.name, why: { kind: 'operator', choose: this.spec.choose, lsn: pick.walEnd(now) } });
    reasons.push(...fence);
    c.ctx.history.failover({ at: now, cluster: c.name, policy: 'operator', chosen: pick.name, reasons, saw, by: { kind: 'named', name: this.endpoint.name } });
    c.promote(pick, { kind: 'failover', policy: 'operator', why: { kind: 'manager-decision', saw, reasons } });
    for (const n of c.nodes.values()) if (n !== pick && n !== p && n.role.kind === 'standby' && reach(n)) c.repoint(n, pick.name);
    this.primary = pick;
    this.health = new HealthTracker(this.spec.health, now);
    routeClients(c, this.endpoint, pick, { kind: 'operator' });
  }
}

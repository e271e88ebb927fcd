/**
 * The scenario's subscriptions (subscription.ts) and the plan's cut-over steps: moving the publisher's writes
 * to the subscriber, syncing the sequences, dropping the subscription. Knows the clusters only through their
 * public models (slots, writes, log).
 */
import type { Micros } from '../../engine/time.ts';
import type { ClusterSpec, Scenario, WorkloadSpec } from '../../scenario/types.ts';
import type { LogicalActionBody, SubscriptionSpec } from '../../scenario/types-logical.ts';
import type { PgCluster } from '../postgres/cluster.ts';
import { Subscription } from './subscription.ts';

/**
 * The clusters as the models build them: the publisher's cluster has the subscription's logical slot (CREATE
 * SUBSCRIPTION creates it), and the subscriber's cluster has each publisher pool, idle (rate 0), ready for the
 * cut-over to move the writes there.
 */
export function withSubscriptions(scenario: Scenario): readonly ClusterSpec[] {
  const subs = scenario.subscriptions ?? [];
  if (subs.length === 0) return scenario.clusters;
  return scenario.clusters.map((c) => {
    let out = c;
    for (const s of subs) {
      if (s.publisherCluster === c.name && !out.slots.some((x) => x.name === s.slot)) {
        out = { ...out, slots: [...out.slots, { name: s.slot, node: s.publisher, kind: 'logical', database: s.database, consumer: 'active', hotStandbyFeedback: false, ...(s.failover ? { failover: true } : {}) }] };
      }
      if (s.subscriberCluster === c.name) {
        const pub = scenario.clusters.find((x) => x.name === s.publisherCluster)!;
        const idle: WorkloadSpec[] = pub.workloads
          .filter((w) => !out.workloads.some((x) => x.name === w.name))
          .map((w) => ({ name: w.name, target: s.subscriber, site: w.site, rate: 0, walPerTx: w.walPerTx, connections: w.connections, ...(w.queueTimeout !== undefined ? { queueTimeout: w.queueTimeout } : {}), ...(w.retries ? { retries: w.retries } : {}) }));
        if (idle.length > 0) out = { ...out, workloads: [...out.workloads, ...idle] };
      }
    }
    return out;
  });
}

export class LogicalReplication {
  readonly subscriptions = new Map<string, Subscription>();

  constructor(specs: readonly SubscriptionSpec[], clusters: ReadonlyMap<string, PgCluster>) {
    for (const [i, s] of specs.entries()) this.subscriptions.set(s.name, new Subscription(s, clusters.get(s.publisherCluster)!, clusters.get(s.subscriberCluster)!, i));
    // The subscriptions of one subscriber share its logical replication worker slots.
    for (const s of this.subscriptions.values()) {
      const peers = [...this.subscriptions.values()].filter((x) => x.subCluster === s.subCluster && x.spec.subscriber === s.spec.subscriber);
      s.peers = () => peers;
    }
    // Inserts on a subscriber fail while its sequences lag the replicated rows.
    for (const c of new Set([...this.subscriptions.values()].map((s) => s.subCluster))) {
      const mine = [...this.subscriptions.values()].filter((s) => s.subCluster === c);
      c.writes.externalRefusal = (p) => {
        for (const s of mine) {
          const r = s.refusal(p);
          if (r) return r;
        }
        return null;
      };
    }
  }

  start(): void {
    for (const s of this.subscriptions.values()) s.start();
  }

  /** The subscription whose publisher's cluster is `from` and whose subscriber is `node`, if any. */
  private between(from: PgCluster, node: string): Subscription | null {
    return [...this.subscriptions.values()].find((s) => s.pubCluster === from && s.spec.subscriber === node) ?? null;
  }

  /**
   * route_writes to a node of another cluster: the pools of `from` (`workload`, or all) stop writing there and
   * write to the subscriber at the rate they had.
   */
  moveWrites(from: PgCluster, node: string, workload: string | null): void {
    const s = this.between(from, node);
    if (!s) return;
    const now = from.ctx.sim.now;
    const pools = from.writes.pool(workload);
    const behind = s.writesMoved(now, pools.map((p) => p.name));
    for (const p of pools) {
      const there = s.subCluster.writes.pool(p.name);
      s.subCluster.writes.routeTo(s.subscriber, there);
      s.subCluster.writes.setWorkload(there, p.rate, p.walPerTx);
    }
    from.writes.setWorkload(pools, 0, undefined);
    // Whether the first inserts there already fail (the sequences), from this instant on.
    s.refresh();
    s.subCluster.log(s.subscriber, 'plan', { kind: 'writes-moved', subscription: s.spec.name, from: pools[0]?.target?.name ?? s.spec.publisher, to: s.spec.subscriber, behindCommits: behind });
  }

  apply(a: LogicalActionBody, now: Micros): void {
    const s = this.subscriptions.get(a.subscription)!;
    this.act(s, a, now);
    s.refresh();
  }

  private act(s: Subscription, a: LogicalActionBody, now: Micros): void {
    if (a.kind === 'addColumn') {
      const side = a.node === s.spec.publisher ? 'publisher' : 'subscriber';
      const r = s.addColumn(side, now);
      s.subCluster.log(s.subCluster.nodes.has(a.node) ? s.subscriber : null, 'plan', { kind: 'column-added', subscription: s.spec.name, node: a.node, side, pending: r.pending, lsn: r.lsn });
      return;
    }
    if (a.kind === 'syncSequences') {
      const r = s.syncSequences(now);
      s.subCluster.log(s.subscriber, 'plan', { kind: 'sequences-synced', subscription: s.spec.name, node: s.spec.subscriber, value: r.value, maxKey: r.maxKey });
      return;
    }
    const r = s.drop(now);
    // Observed on 17.10 with the publisher stopped: the ERROR below; the operator then runs ALTER SUBSCRIPTION ...
    // DISABLE and SET (slot_name = NONE), as its HINT says, and drops it: the slot stays on the publisher.
    const refused = r.slotDropped
      ? []
      : [
          {
            process: 'client backend' as const,
            level: 'ERROR' as const,
            message: `could not connect to publisher when attempting to drop replication slot "${s.spec.slot}"`,
            hint: 'Use ALTER SUBSCRIPTION ... DISABLE to disable the subscription, and then use ALTER SUBSCRIPTION ... SET (slot_name = NONE) to disassociate it from the slot.',
          },
        ];
    s.subCluster.log(s.subscriber, 'plan', { kind: 'subscription-dropped', subscription: s.spec.name, node: s.spec.subscriber, appliedLsn: r.applied, publisherLsn: r.publisherLsn, behindCommits: r.behind, slotDropped: r.slotDropped }, refused);
  }

  /** At the end of the run: positions as of `end`. */
  finish(end: Micros): void {
    for (const s of this.subscriptions.values()) {
      if (s.dropped) continue;
      s.advance(end);
      const behind = s.behind(end);
      if (s.stop === null && behind > 0) {
        s.subCluster.log(s.subscriber, 'replication', { kind: 'apply-behind-at-end', subscription: s.spec.name, node: s.spec.subscriber, behindCommits: behind, appliedLsn: s.appliedLsn, publisherLsn: s.primary.flushed(end) });
      }
    }
  }
}

import { RandomStreams } from '../engine/random.ts';
import { Simulation } from '../engine/simulation.ts';
import { invariant } from '../engine/invariant.ts';
import { History } from '../history/history.ts';
import type { Action, Scenario } from '../scenario/types.ts';
import { Network } from './network/network.ts';
import { BlockWorld } from './block/world.ts';
import { PgCluster } from './postgres/cluster.ts';
import { PRIORITY, type WorldContext } from './postgres/context.ts';
import type { PgNode } from './postgres/node.ts';
import { observeCluster, planOf } from './postgres/observe.ts';
import { createManagers, managedRedundancy } from './managers/index.ts';
import type { Manager } from './managers/manager.ts';
import { applyGrayFailure } from './gray.ts';
import { TimelineRegistry } from './postgres/timeline.ts';
import type { Fact } from '../history/facts/index.ts';
import type { StepActionFact } from '../history/facts/world.ts';
import type { GrayFailure } from '../scenario/types-managers.ts';
import type { VacuumActionBody } from '../scenario/types-vacuum.ts';
import { LogicalReplication, withSubscriptions } from './logical/replication.ts';

/**
 * The simulated world of one scenario: the network, the clusters and their failover managers, and the
 * timed plan and faults, applied as events. Knows no scenario by name: everything comes from the spec.
 */
export class World {
  readonly ctx: WorldContext;
  readonly clusters = new Map<string, PgCluster>();
  readonly managers = new Map<string, Manager[]>();
  private readonly clusterOfNode = new Map<string, PgCluster>();
  /** Disks and block replication, when the scenario has a `block:` section. */
  readonly block: BlockWorld | null;
  /** Logical replication subscriptions between clusters (models/logical), when the scenario has any. */
  readonly logical: LogicalReplication | null;
  /** Called by `assess` actions with the cluster to assess now. */
  onAssess: ((cluster: PgCluster) => void) | null = null;

  constructor(readonly scenario: Scenario) {
    const sim = new Simulation();
    this.ctx = {
      sim,
      net: new Network(scenario.links, scenario.localLink),
      history: new History(),
      timelines: new TimelineRegistry(),
      random: new RandomStreams(scenario.seed),
      stallThreshold: scenario.stallThreshold,
    };
    for (const spec of withSubscriptions(scenario)) {
      const c = new PgCluster(this.ctx, spec, scenario.alerts.filter((a) => a.cluster === spec.name));
      this.clusters.set(spec.name, c);
      for (const n of c.nodes.values()) {
        invariant(!this.clusterOfNode.has(n.name), `node name ${n.name} is used twice`);
        this.clusterOfNode.set(n.name, c);
      }
      this.managers.set(spec.name, createManagers(c, spec.failover));
      observeCluster(c, planOf(c, managedRedundancy(spec.failover)));
    }
    this.block = scenario.block ? new BlockWorld(this.ctx, scenario.block) : null;
    this.logical = scenario.subscriptions?.length ? new LogicalReplication(scenario.subscriptions, this.clusters) : null;
  }

  start(): void {
    for (const c of this.clusters.values()) c.boot();
    for (const ms of this.managers.values()) for (const m of ms) m.start();
    this.block?.start();
    this.logical?.start();
    for (const a of this.scenario.actions) {
      this.ctx.sim.at(a.at, `${a.source} ${a.kind}`, () => this.apply(a), PRIORITY.action);
    }
  }

  clusterOf(node: string): PgCluster {
    const c = this.clusterOfNode.get(node);
    invariant(c, `unknown node ${node}`);
    return c;
  }

  node(name: string): PgNode {
    return this.clusterOf(name).node(name);
  }

  private managersSeeNetworkChange(): void {
    for (const ms of this.managers.values()) for (const m of ms) m.onNetworkChange?.();
  }

  private apply(a: Action): void {
    const kind = a.source === 'plan' ? 'plan' : 'fault';
    const name = a.name || null;
    // Through the cluster's log for its nodes: a parked retry loop counts its attempts before the note (retry.ts).
    const note = (c: PgCluster | null, node: string | null, action: StepActionFact) => {
      const fact: Fact = { kind: 'step', source: a.source, action, name };
      return c && node !== null && c.nodes.has(node) ? c.log(c.node(node), kind, fact) : this.ctx.history.event(this.ctx.sim.now, c?.name ?? null, node, kind, fact);
    };
    switch (a.kind) {
      case 'promote': {
        const c = this.clusterOf(a.node);
        note(c, a.node, { kind: 'promote-asked', node: a.node });
        c.promote(c.node(a.node), { kind: 'plan' });
        return;
      }
      case 'repoint': {
        const c = this.clusterOf(a.node);
        note(c, a.node, { kind: 'repoint-asked', node: a.node, upstream: a.upstream });
        c.repoint(c.node(a.node), a.upstream);
        return;
      }
      case 'configure': {
        const c = this.clusterOf(a.node);
        note(c, a.node, { kind: 'configure-asked', node: a.node });
        c.configure(c.node(a.node), a.settings, a.restart);
        return;
      }
      case 'routeWrites': {
        const c = this.clusters.get(a.cluster) ?? this.clusterOf(a.node);
        note(c, a.node, { kind: 'route-writes', workload: a.workload || null, node: a.node });
        // To a subscriber of another cluster: the cut-over of an upgrade by logical replication.
        if (!c.nodes.has(a.node)) return this.logical?.moveWrites(c, a.node, a.workload);
        const target = c.node(a.node);
        c.writes.routeTo(target, c.writes.pool(a.workload));
        // The operators told the application; the failover managers watch the new leader from now on.
        for (const m of this.managers.get(c.name) ?? []) m.onRouteWrites(target);
        return;
      }
      case 'blockClients':
      case 'unblockClients': {
        const c = this.clusterOf(a.node);
        const n = c.node(a.node);
        n.clientsBlocked = a.kind === 'blockClients';
        note(c, a.node, { kind: 'client-connections', node: a.node, blocked: n.clientsBlocked });
        c.requestReflow();
        return;
      }
      case 'endSyncWaits': {
        const c = this.clusterOf(a.node);
        note(c, a.node, { kind: 'end-sync-waits', node: a.node, how: a.how === 'cancel' ? 'cancel' : 'terminate' });
        if (c.writes.endWaits(c.node(a.node), a.how) === 0) c.log(c.node(a.node), 'writes', { kind: 'no-sync-waits', node: a.node });
        return;
      }
      case 'partition':
      case 'heal': {
        const t = a.target;
        const cut = a.kind === 'partition';
        if (t.kind === 'node') {
          if (cut) this.ctx.net.isolate(t.node);
          else this.ctx.net.rejoin(t.node);
          note(this.clusterOf(t.node), t.node, { kind: 'node-network', node: t.node, cut });
        } else {
          if (cut) this.ctx.net.cutLink(t.sites[0], t.sites[1]);
          else this.ctx.net.healLink(t.sites[0], t.sites[1]);
          note(null, null, { kind: 'link', sites: [t.sites[0], t.sites[1]], cut });
        }
        for (const c of this.clusters.values()) c.onNetworkChange();
        this.block?.onNetworkChange();
        this.managersSeeNetworkChange();
        return;
      }
      case 'crash':
      case 'stop':
      case 'start':
      case 'restart': {
        const c = this.clusterOf(a.node);
        note(c, a.node, { kind: 'server-op', op: a.kind, node: a.node, ...('mode' in a && a.mode ? { mode: a.mode } : {}), ...('host' in a && a.host ? { host: true as const } : {}) });
        // The plan's start is pg_ctl start, which fails while the postmaster still shuts down.
        if (a.kind === 'start') c.start(c.node(a.node), 'pg_ctl');
        else if (a.kind === 'crash') c.crash(c.node(a.node), a.host === true);
        else c.pgCtl(a.kind, c.node(a.node), a.mode);
        return;
      }
      case 'basebackup':
      case 'reclone': {
        if (a.node === null) {
          const c = this.clusterOf(a.spec.from);
          note(c, a.spec.from, { kind: 'backup-asked', name: a.spec.name ?? '', from: a.spec.from });
          c.rebuilds.basebackup(null, a.spec);
          return;
        }
        const c = this.clusterOf(a.node);
        const n = c.node(a.node);
        note(c, a.node, { kind: 'copy-asked', how: a.kind, node: a.node, from: a.spec.from });
        if (a.kind === 'reclone') {
          if (n.running) c.crash(n);
          c.rebuilds.destroy(n);
        }
        c.rebuilds.basebackup(n, a.spec);
        return;
      }
      case 'restoreBackup': {
        const c = this.clusterOf(a.node);
        note(c, a.node, { kind: 'restore-asked', node: a.node, backup: a.spec.backup });
        c.pitr.restore(c.node(a.node), a.spec);
        return;
      }
      case 'pgRewind': {
        const c = this.clusterOf(a.node);
        note(c, a.node, { kind: 'pg-rewind-asked', node: a.node, from: a.spec.from });
        c.rebuilds.rewind(c.node(a.node), a.spec);
        return;
      }
      case 'destroyData': {
        const c = this.clusterOf(a.node);
        note(c, a.node, { kind: 'destroy-data', node: a.node });
        c.rebuilds.destroy(c.node(a.node));
        return;
      }
      case 'archiveFails': {
        const c = this.clusterOf(a.node);
        note(c, a.node, { kind: 'archive-command-fails', node: a.node, exitCode: a.exitCode, duration: a.until - a.at });
        c.storage.archive.fail(c.node(a.node), a.until, a.exitCode);
        return;
      }
      case 'workload': {
        const c = this.clusters.get(a.cluster)!;
        note(c, null, { kind: 'workload-set', workload: a.workload || null, ...(a.rate !== undefined ? { rate: a.rate } : {}), ...(a.walPerTx !== undefined ? { walPerTx: a.walPerTx } : {}) });
        c.writes.setWorkload(c.writes.pool(a.workload), a.rate, a.walPerTx);
        return;
      }
      case 'createSlot': {
        const c = this.clusters.get(a.cluster)!;
        note(c, a.slot.node, { kind: 'slot-create', slotKind: a.slot.kind, slot: a.slot.name });
        c.storage.slots.bySql('create', a.slot);
        return;
      }
      case 'dropSlot':
      case 'stopConsumer':
      case 'startConsumer': {
        const c = this.clusters.get(a.cluster)!;
        note(c, null, { kind: 'slot-op', op: a.kind === 'dropSlot' ? 'drop' : a.kind === 'stopConsumer' ? 'stop-consumer' : 'start-consumer', slot: a.slot });
        if (a.kind === 'dropSlot') c.storage.slots.bySql('drop', a.slot);
        else c.storage.slots.setConsumer(a.slot, a.kind === 'startConsumer');
        return;
      }
      case 'openTransaction': {
        const c = this.clusterOf(a.node);
        note(c, a.node, { kind: 'transaction-open', node: a.node, prepared: a.prepared, transaction: a.transaction });
        c.xid.openTransaction(c.node(a.node), a.transaction, a.prepared, a.database ?? null, a.idle ?? false, a.tables ?? null, { isolation: a.isolation ?? 'read committed', wrote: a.wrote ?? null });
        // A query that lasts `duration` commits by itself then, if it still runs (the same session, not one
        // opened again under its name: xid.ts closeOpened).
        if (a.duration !== undefined) c.xid.closeAfter(a.transaction, a.duration);
        return;
      }
      case 'vacuum':
      case 'ddl':
      case 'checkpoint':
      case 'singleUserVacuum': {
        const c = a.kind === 'checkpoint' || a.kind === 'singleUserVacuum' ? this.clusterOf(a.node) : this.clusters.get(a.cluster)!;
        const { at: _at, name: _name, source: _source, ...step } = a;
        note(c, a.kind === 'checkpoint' || a.kind === 'singleUserVacuum' ? a.node : null, { kind: 'vacuum-step', step: step as VacuumActionBody });
        c.xid.apply(a, a.name);
        return;
      }
      case 'closeTransaction': {
        const c = this.clusters.get(a.cluster)!;
        note(c, null, { kind: 'transaction-close', transaction: a.transaction });
        c.xid.closeTransaction(a.transaction);
        return;
      }
      case 'block':
        this.block!.apply(a.step, a.source, name);
        return;
      case 'packetLoss':
      case 'oneWayPartition':
      case 'healOneWay':
      case 'stopManager':
      case 'startManager':
      case 'slowNode': {
        const { at: _at, name: _name, source: _source, ...failure } = a;
        applyGrayFailure(this.ctx.net, (n) => this.node(n), failure as GrayFailure);
        note(a.kind === 'slowNode' ? this.clusterOf(a.node) : null, a.kind === 'slowNode' ? a.node : null, { kind: 'gray-failure', failure: failure as GrayFailure });
        for (const c of this.clusters.values()) c.onNetworkChange();
        this.block?.onNetworkChange();
        this.managersSeeNetworkChange();
        return;
      }
      case 'switchover': {
        const c = this.clusters.get(a.cluster)!;
        note(c, a.candidate ?? a.leader, { kind: 'switchover-asked', tool: a.tool, ...(a.action === 'failover' ? { action: 'failover' as const } : {}), cluster: a.cluster, leader: a.leader, candidate: a.candidate });
        for (const m of this.managers.get(c.name) ?? []) m.switchover?.(a);
        return;
      }
      case 'patroniPause': {
        for (const m of this.managers.get(a.cluster) ?? []) m.pause?.(a.pause);
        return;
      }
      case 'dropSubscription':
      case 'syncSequences':
      case 'addColumn':
        note(
          null,
          null,
          a.kind === 'addColumn' ? { kind: 'add-column', subscription: a.subscription, node: a.node } : { kind: a.kind === 'dropSubscription' ? 'drop-subscription' : 'sync-sequences', subscription: a.subscription },
        );
        this.logical!.apply(a, this.ctx.sim.now);
        return;
      case 'assess': {
        const targets = a.cluster ? [this.clusters.get(a.cluster)!] : [...this.clusters.values()];
        // After the reflows of this instant, so positions are current.
        this.ctx.sim.after(0 as never, 'assess', () => targets.forEach((c) => this.onAssess?.(c)), PRIORITY.reflow + 1);
        return;
      }
    }
  }
}

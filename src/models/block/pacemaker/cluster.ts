/**
 * Pacemaker over Corosync, managing DRBD resources as promotable clones (ocf:linbit:drbd) and fencing the
 * nodes its membership loses. Each partition's DC (the member with the lowest name: ASSUMPTION, the election
 * takes well under a second) acts on what its membership says:
 *  - a lost node is unclean: with quorum (or no-quorum-policy ignore) and fencing enabled it is fenced
 *    (stonith.ts), and nothing it ran is recovered before the fence is confirmed (Pacemaker_Explained
 *    fencing.rst; managers.md §5.3, rule 20); without fencing it is taken as down at once;
 *  - without quorum, no-quorum-policy: stop and demote stop the promoted DRBD on its nodes, freeze keeps it,
 *    suicide fences the partition's own nodes (cluster-options.rst);
 *  - a promotable clone whose Promoted node is gone and fenced is promoted on the survivor if its disk is
 *    usable (not Inconsistent, not excluded by a crm-fence-peer constraint this partition knows);
 *  - a node that comes back runs DRBD Secondary until the DC promotes where the newest data is.
 * The crm-fence-peer.9.sh handler a DRBD Primary calls on losing its peer returns when the cluster knows the
 * peer's fate: reachable again (exit 4), fenced (exit 7), or at --timeout (exit 5); it places a constraint
 * that keeps the peer from being promoted in the partitions that learn of it (crm-fence-peer.9.sh
 * try_place_constraint, check_peer_node_reachable).
 */
import type { FenceReason } from '../../../history/facts/chains.ts';
import type { EventHandle } from '../../../engine/simulation.ts';
import type { Micros } from '../../../engine/time.ts';
import type { EventKind } from '../../../history/history.ts';
import type { FencePeerExit, PacemakerFact, PowerOffCause, PowerOnCause, ResumeCause } from '../../../history/facts/pacemaker.ts';
import type { PacemakerSpec } from '../../../scenario/types-pacemaker.ts';
import type { WorldContext } from '../../postgres/context.ts';
import { PRIORITY } from '../../postgres/context.ts';
import type { BlockResource } from '../resource.ts';
import { Corosync, type MembershipChange } from './corosync.ts';
import { Fencer, type FenceOp } from './stonith.ts';

/** What Pacemaker does to the block world (BlockWorld implements it). */
export interface ManagedWorld {
  readonly ctx: WorldContext;
  readonly resources: ReadonlyMap<string, BlockResource>;
  readonly failedHosts: ReadonlySet<string>;
  readonly failedDisks: ReadonlySet<string>;
  siteOf(host: string): string;
  /** The host loses power (a fence device, or its partition's suicide). */
  powerOff(host: string, cause: PowerOffCause): void;
  /** The host runs again (booted): its disks and DRBD are back, DRBD Secondary. */
  hostBack(host: string): void;
  /** drbdadm primary on the survivor: the application moves there. */
  promote(r: BlockResource, host: string, why: Extract<PacemakerFact, { kind: 'dc-promotes' }>): void;
  /** The Promoted role back on the node that had it (after a reboot or regained quorum). */
  resume(r: BlockResource, cause: ResumeCause): void;
  /** The promoted instance stops (no quorum): the application's writes fail. */
  stopPromoted(r: BlockResource, policy: string): void;
  /** The fence-peer handler exits with `code`: the peer is Outdated, frozen I/O resumes. */
  fencePeerReturns(r: BlockResource, exit: FencePeerExit): void;
  log(res: string | null, node: string | null, kind: EventKind, fact: PacemakerFact): void;
}

interface Handler {
  readonly host: string;
  readonly since: Micros;
  readonly timeout: Micros;
  timer: EventHandle | null;
}

export class Pacemaker {
  readonly corosync: Corosync;
  private readonly fencer: Fencer;
  /** Per node: the nodes it knows are down cleanly (fenced and confirmed, or stopped with fencing disabled). */
  private readonly knownDown = new Map<string, Set<string>>();
  /** crm-fence-peer handlers running, by resource. */
  private readonly handlers = new Map<string, Handler>();
  /** crm-fence-peer constraints: the node excluded from the Promoted role, and the nodes whose CIB has it. */
  private readonly constraints = new Map<string, { excluded: string; knownBy: Set<string> }>();
  private readonly booting = new Map<string, EventHandle>();
  private readonly startupTimers = new Map<string, EventHandle>();
  private readonly managed: ReadonlySet<string>;

  constructor(
    private readonly w: ManagedWorld,
    readonly spec: PacemakerSpec,
  ) {
    this.managed = new Set(spec.resources);
    this.corosync = new Corosync(w.ctx, spec.corosync, spec.nodes, (h) => w.siteOf(h), (c) => this.onMembership(c));
    this.fencer = new Fencer(w.ctx, spec, {
      running: (n) => this.corosync.running(n),
      siteOf: (n) => w.siteOf(n),
      poweredOff: (op, at) => this.poweredOff(op, at),
      confirmed: (op) => this.confirmed(op),
      failed: (op, why, final) => this.fenceFailed(op, why, final),
      log: (node, fact) => w.log(null, node, 'failover', fact),
    });
  }

  manages(r: BlockResource): boolean {
    return this.managed.has(r.name);
  }

  /** At the start every running node is up with the others it can hear, as if the cluster had formed. */
  start(): void {
    this.corosync.formInitial(this.spec.nodes.filter((n) => !this.w.failedHosts.has(n)));
  }

  onNetworkChange(): void {
    this.corosync.check();
    this.pollHandlers();
  }

  /** The host lost power: its stack stops, its fencer's delayed requests and its handlers die with it. */
  nodeDown(host: string): void {
    if (!this.spec.nodes.includes(host)) return;
    this.corosync.stop(host);
    this.fencer.dropBy(host);
    this.knownDown.delete(host);
    this.w.ctx.sim.cancel(this.startupTimers.get(host));
    this.startupTimers.delete(host);
    this.pollHandlers();
  }

  /** Power comes back: the host boots and its stack starts after bootTime. */
  powerOn(host: string, cause: PowerOnCause): void {
    if (this.booting.has(host) || this.corosync.running(host)) return;
    this.w.log(null, host, 'lifecycle', { kind: 'power-on', host, cause, bootTime: this.spec.bootTime });
    this.booting.set(host, this.w.ctx.sim.after(this.spec.bootTime, `boot ${host}`, () => {
      this.booting.delete(host);
      if (!this.w.failedHosts.has(host)) return;
      this.w.hostBack(host);
      this.w.ctx.history.block.fenceBack(host, this.w.ctx.sim.now);
      this.corosync.start(host);
      this.w.log(null, host, 'lifecycle', { kind: 'node-up', host, waitForAll: this.spec.corosync.waitForAll });
      // A DC that finds no peer within dc-deadtime elects itself; with quorum it fences the nodes it has
      // never seen (startup-fencing): the fence loop wait_for_all prevents.
      this.startupTimers.set(host, this.w.ctx.sim.after(this.spec.dcDeadtime, `dc-deadtime ${host}`, () => {
        this.startupTimers.delete(host);
        if (!this.isDc(host) || !this.acts(host)) return;
        const unseen = this.spec.nodes.filter((n) => !this.corosync.view(host).has(n) && !this.knows(host, n));
        for (const n of unseen) this.fenceOrAssume(host, n, { kind: 'startup-fencing', node: n, dc: host }, null);
        this.schedule(host);
      }, PRIORITY.manager));
    }, PRIORITY.manager));
  }

  private isDc(n: string): boolean {
    if (!this.corosync.running(n)) return false;
    const v = [...this.corosync.view(n)].sort();
    return v[0] === n;
  }

  /** Whether the node's partition may act: quorate, or no-quorum-policy ignore. */
  private acts(n: string): boolean {
    return this.corosync.quorate(n) || this.spec.noQuorumPolicy === 'ignore';
  }

  private knows(observer: string, target: string): boolean {
    return this.knownDown.get(observer)?.has(target) ?? false;
  }

  private learn(observers: Iterable<string>, target: string): void {
    for (const o of observers) {
      let s = this.knownDown.get(o);
      if (!s) this.knownDown.set(o, (s = new Set()));
      s.add(target);
    }
  }

  private onMembership(c: MembershipChange): void {
    const n = c.node;
    const now = this.w.ctx.sim.now;
    const view = this.corosync.view(n);
    for (const j of c.joined) {
      this.knownDown.get(n)?.delete(j);
      // CIBs merge when partitions join: constraints one side placed are known to both.
      for (const k of this.constraints.values()) if (k.knownBy.has(j)) for (const m of view) k.knownBy.add(m);
    }
    this.w.log(null, n, 'failover', { kind: 'membership', node: n, lost: c.lost, joined: c.joined, members: [...view].sort(), quorate: this.corosync.quorate(n), tokenTimeout: this.corosync.tokenTimeout, consensus: this.spec.corosync.consensus, rule: 'corosync: totemsrp token loss, then consensus; votequorum' });
    if (!this.isDc(n)) return;
    if (!this.acts(n)) {
      this.noQuorum(n);
      return;
    }
    for (const x of c.lost) {
      if (this.knows(n, x)) continue;
      this.fenceOrAssume(n, x, { kind: 'left-membership', node: x, dc: n, deadTime: this.corosync.deadTime, tokenTimeout: this.corosync.tokenTimeout, consensus: this.spec.corosync.consensus }, c.silentSince ?? now);
    }
    this.schedule(n);
    this.pollHandlers();
  }

  private fenceOrAssume(dc: string, x: string, reason: FenceReason, silentSince: Micros | null): void {
    if (this.spec.fencingEnabled) {
      this.fencer.request(dc, x, reason, this.w.ctx.sim.now, silentSince);
      return;
    }
    // fencing-enabled false: the lost node is taken as stopped, and its resources are recovered at once.
    this.w.log(null, dc, 'failover', { kind: 'fencing-disabled', dc, lost: x, rule: 'pacemaker: cluster option fencing-enabled false' });
    this.learn(this.corosync.view(dc), x);
  }

  private noQuorum(n: string): void {
    const policy = this.spec.noQuorumPolicy;
    const view = this.corosync.view(n);
    this.w.log(null, n, 'failover', { kind: 'no-quorum', node: n, members: [...view].sort(), policy, rule: 'pacemaker: cluster option no-quorum-policy' });
    if (policy === 'freeze') return;
    if (policy === 'suicide') {
      for (const m of [...view].sort()) this.w.powerOff(m, { kind: 'suicide' });
      return;
    }
    for (const r of this.w.resources.values()) {
      if (this.manages(r) && view.has(r.primaryHost) && r.stopped === null && !this.w.failedHosts.has(r.primaryHost)) this.w.stopPromoted(r, policy);
    }
  }

  /** The DC places each managed resource's Promoted role. */
  private schedule(dc: string): void {
    if (!this.isDc(dc) || !this.acts(dc)) return;
    const view = this.corosync.view(dc);
    const settled = (h: string) => view.has(h) || this.knows(dc, h);
    for (const r of this.w.resources.values()) {
      if (!this.manages(r)) continue;
      const p = r.primaryHost;
      const s = r.secondaryHost;
      const others = [r.spec.primary.host, r.spec.secondary.host];
      // Nothing is started or moved while a node that may run the clone is unclean: it must be fenced first.
      if (!others.every(settled)) continue;
      if (view.has(p) && !this.w.failedHosts.has(p)) {
        if (r.stopped !== null && !this.w.failedDisks.has(r.primaryDisk)) this.w.resume(r, { kind: 'dc', dc });
        continue;
      }
      if (s === null || !view.has(s) || this.w.failedHosts.has(s)) continue;
      if (r.secondaryDisk !== null && this.w.failedDisks.has(r.secondaryDisk)) continue;
      const k = this.constraints.get(r.name);
      if (k && k.excluded === s && k.knownBy.has(dc)) {
        this.w.log(r.name, s, 'failover', { kind: 'cannot-promote', dc, resource: r.name, host: s, why: 'fence-constraint' });
        continue;
      }
      if (r.peerDisk === 'Inconsistent' || r.peerDisk === 'Failed') {
        this.w.log(r.name, s, 'failover', { kind: 'cannot-promote', dc, resource: r.name, host: s, why: r.peerDisk });
        continue;
      }
      this.w.promote(r, s, { kind: 'dc-promotes', dc, resource: r.name, host: s, old: p, oldFate: this.knows(dc, p) ? 'fenced' : 'gone' });
    }
  }

  private poweredOff(op: FenceOp, at: Micros): void {
    const was = !this.w.failedHosts.has(op.target);
    if (was) this.w.powerOff(op.target, { kind: 'fenced', by: op.by, device: op.device.name });
    const resources = [...this.w.resources.values()].filter((r) => this.manages(r) && (r.spec.primary.host === op.target || r.spec.secondary.host === op.target)).map((r) => r.name);
    this.w.ctx.history.block.fence({ node: op.target, resources, by: op.by, device: op.device.name, silentSince: op.silentSince, lostAt: op.lostAt, startedAt: op.startedAt, delay: op.delay, at, reason: op.reason, backAt: null });
    if (this.spec.fencingAction === 'reboot') this.powerOn(op.target, { kind: 'fence-reboot', device: op.device.name });
  }

  private confirmed(op: FenceOp): void {
    this.w.log(null, op.by, 'failover', { kind: 'fence-confirmed', by: op.by, target: op.target, device: op.device.name, action: this.spec.fencingAction });
    this.learn(this.corosync.view(op.by), op.target);
    this.schedule(op.by);
    this.pollHandlers();
  }

  private fenceFailed(op: FenceOp, why: Extract<PacemakerFact, { kind: 'fence-failed' }>['why'], final: boolean): void {
    this.w.log(null, op.by, 'failover', { kind: 'fence-failed', by: op.by, target: op.target, why, maxAttempts: final ? this.spec.fencingMaxAttempts : null });
  }

  // ---------------------------------------------------------------------------------- crm-fence-peer

  /** A Primary lost its DRBD peer: crm-fence-peer.9.sh runs until the cluster knows the peer's fate. Returns false when Pacemaker does not run the handler. */
  fencePeer(r: BlockResource, timeout: Micros): boolean {
    if (!this.manages(r) || !this.corosync.running(r.primaryHost)) return false;
    const h: Handler = { host: r.primaryHost, since: this.w.ctx.sim.now, timeout, timer: null };
    h.timer = this.w.ctx.sim.after(timeout, `crm-fence-peer ${r.name} timeout`, () => {
      h.timer = null;
      this.handlerExit(r, h, { code: 5, why: 'timeout', timeout });
    }, PRIORITY.manager);
    this.handlers.set(r.name, h);
    this.w.log(r.name, h.host, 'replication', { kind: 'crm-fence-peer', resource: r.name, host: h.host, peer: r.secondaryHost, timeout, rule: 'crm-fence-peer.9.sh: check_peer_node_reachable, try_place_constraint' });
    this.pollHandlers();
    return true;
  }

  private pollHandlers(): void {
    for (const [name, h] of this.handlers) {
      const r = this.w.resources.get(name)!;
      if (!this.corosync.running(h.host)) {
        this.w.ctx.sim.cancel(h.timer);
        this.handlers.delete(name);
        continue;
      }
      const peer = r.secondaryHost;
      if (peer === null) continue;
      // reachable: the CIB has it online and crmadmin -S on it answers (over the cluster network).
      if (this.corosync.view(h.host).has(peer) && this.corosync.hears(h.host, peer)) this.handlerExit(r, h, { code: 4, why: 'reachable' });
      else if (this.knows(h.host, peer)) this.handlerExit(r, h, { code: 7, why: 'fenced' });
    }
  }

  private handlerExit(r: BlockResource, h: Handler, exit: FencePeerExit): void {
    if (this.handlers.get(r.name) !== h) return;
    this.w.ctx.sim.cancel(h.timer);
    this.handlers.delete(r.name);
    if (r.secondaryHost !== null) this.constraints.set(r.name, { excluded: r.secondaryHost, knownBy: new Set(this.corosync.view(h.host)) });
    this.w.fencePeerReturns(r, exit);
  }

  /** crm-unfence-peer (after-resync-target): the peer is UpToDate again; its constraint goes. */
  resynced(r: BlockResource): void {
    this.constraints.delete(r.name);
  }
}

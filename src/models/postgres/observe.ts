/**
 * Records each cluster's replication state into the history whenever it changes (after every fluid
 * recomputation): the facts the verdicts are judged from. Observes, never changes, the model.
 */
import type { SynchronousSource } from '../../history/facts/managers.ts';
import type { ClusterPlan, NodeRun, NodeState } from '../../history/replication.ts';
import type { PgCluster } from './cluster.ts';
import type { PgNode, Stream } from './node.ts';
import type { Timeline } from './timeline.ts';
import { ChangedNodes } from './changed-nodes.ts';
import { syncPriority } from './guc.ts';

/** The first timeline of a history: it identifies the database system. */
function systemOf(tl: Timeline): number {
  let t = tl;
  while (t.parent) t = t.parent;
  return t.uid;
}

/** Whether a primary's commits wait for standbys (syncrep.c: synchronous_standby_names set and synchronous_commit above local). */
function waitsForStandbys(p: PgNode): boolean {
  const mode = p.settings.synchronousCommit;
  return p.settings.synchronousStandbyNames !== null && p.settings.synchronousStandbyNames !== undefined && mode !== 'off' && mode !== 'local';
}

/**
 * The plan of a cluster as declared: every standby is meant to follow the primary, and the primaries'
 * synchronous_standby_names count is the synchronous redundancy (a manager may declare its own, `managed`).
 */
export function planOf(c: PgCluster, managed: { readonly synchronous: number; readonly source: SynchronousSource } | null): ClusterPlan {
  let synchronous = 0;
  let source: SynchronousSource | null = null;
  for (const n of c.nodes.values()) {
    if (!n.isPrimary || !waitsForStandbys(n)) continue;
    const names = n.settings.synchronousStandbyNames!;
    if (names.num > synchronous) {
      synchronous = names.num;
      source = { kind: 'synchronous_standby_names', method: names.method, num: names.num, names: names.names, node: n.name };
    }
  }
  if (managed && managed.synchronous > synchronous) {
    synchronous = managed.synchronous;
    source = managed.source;
  }
  return {
    cluster: c.name,
    standbys: c.spec.nodes.filter((n) => n.role === 'standby').length,
    synchronous,
    synchronousSource: source,
    walArchive: c.spec.walArchive,
  };
}

/** Record the plan now and a state sample after every recomputation of the cluster. */
export function observeCluster(c: PgCluster, plan: ClusterPlan): void {
  c.ctx.history.replication.plan(plan);
  const observer = new StateObserver(c);
  c.observers.push((changed) => observer.sample(changed));
}

function runOf(n: PgNode): NodeRun {
  return n.run.state === 'down' ? n.run.how : n.run.state;
}

/** A stream that delivers its upstream's current WAL now (not a historic one ending at a switchpoint, not a cut path). */
function liveStream(c: PgCluster, n: PgNode): Stream | null {
  const role = n.role;
  if (role.kind !== 'standby' || role.receiver.status !== 'streaming') return null;
  const s = role.receiver.stream;
  return s.limit === null && c.streamUp(s) && s.timeline === s.up.wal.timeline ? s : null;
}

function sameNode(x: NodeState, y: NodeState): boolean {
  return (
    x.run === y.run &&
    x.role === y.role &&
    x.tli === y.tli &&
    x.system === y.system &&
    x.receiver === y.receiver &&
    x.reason === y.reason &&
    x.upstream === y.upstream &&
    x.follows === y.follows &&
    x.synchronous === y.synchronous &&
    x.fatal === y.fatal
  );
}

/**
 * The replication state of one cluster, sampled after every recomputation and recorded when it changed. A node's
 * state depends on its own inputs (run state, role, settings, timeline, walreceiver state, primary_conninfo, its
 * stream's limit: PgNode.onStateChange names the nodes whose inputs changed), on its upstreams' (the stream is
 * live while the upstream runs on the stream's timeline, and it follows whom they follow), on the network, and
 * on its primary's synchronous_standby_names. So a recomputation looks again only at the nodes named and at the
 * nodes downstream of them, all of them after a change of the network: an event that touches one standby of 500
 * costs what it costs with 50 (docs/performance.md). `ChangedNodes.everyNode` (tests) looks at every node every
 * time, to compare.
 */
class StateObserver {
  private readonly nodes: PgNode[];
  private readonly index = new Map<PgNode, number>();
  /** The last state recorded, per node in the cluster's order (shared by the samples it did not change in). */
  private states: NodeState[] = [];
  private required: Record<string, number> = {};
  private synchronous = new Set<PgNode>();
  private network = -1;
  private readonly dirty: Uint8Array;
  private readonly isRunningPrimary: Uint8Array;
  /** The running primaries, in the cluster's order (kept up to date by `updatePrimaries`). */
  private runningPrimaries: PgNode[] = [];

  constructor(private readonly c: PgCluster) {
    this.nodes = [...c.nodes.values()];
    this.nodes.forEach((n, i) => this.index.set(n, i));
    this.dirty = new Uint8Array(this.nodes.length);
    this.isRunningPrimary = new Uint8Array(this.nodes.length);
  }

  /** `changed`: the nodes whose own inputs changed since the last sample (PgNode.onStateChange). */
  sample(changed: readonly PgNode[]): void {
    const c = this.c;
    const full = this.states.length === 0 || c.ctx.net.version !== this.network || ChangedNodes.everyNode;
    this.network = c.ctx.net.version;
    const dirty = this.dirty;
    const queue: number[] = [];
    for (const n of full ? this.nodes : changed) {
      const i = this.index.get(n)!;
      if (dirty[i]) continue;
      dirty[i] = 1;
      queue.push(i);
    }
    if (queue.length === 0) return;
    // Downstream of a changed node, through the streams: whether they are live, and whom they follow.
    for (let k = 0; k < queue.length; k++) {
      for (const s of c.streams.from(this.nodes[queue[k]!]!)) {
        const j = this.index.get(s.down)!;
        if (dirty[j]) continue;
        dirty[j] = 1;
        queue.push(j);
      }
    }
    this.updatePrimaries(queue);
    this.updateSynchronous(queue);
    queue.sort((a, b) => a - b);
    const follows = new Map<PgNode, PgNode | null>();
    const followOf = (n: PgNode, seen: Set<PgNode>): PgNode | null => {
      if (follows.has(n)) return follows.get(n)!;
      let r: PgNode | null = null;
      if (n.running && n.isPrimary) r = n;
      else if (!seen.has(n)) {
        seen.add(n);
        const s = liveStream(c, n);
        r = s ? followOf(s.up, seen) : null;
      }
      follows.set(n, r);
      return r;
    };
    const differ: NodeState[] = [];
    let states: NodeState[] | null = null;
    for (const i of queue) {
      dirty[i] = 0;
      const state = this.stateOf(this.nodes[i]!, followOf);
      const last = this.states[i];
      if (last && sameNode(last, state)) continue;
      states ??= this.states.slice();
      states[i] = state;
      differ.push(state);
    }
    const required = this.requiredNow();
    const requiredChanged = JSON.stringify(required) !== JSON.stringify(this.required);
    if (!states && !requiredChanged) return;
    if (states) this.states = states;
    this.required = required;
    c.ctx.history.replication.sample({ at: c.ctx.sim.now, cluster: c.name, nodes: this.states, synchronousRequired: required }, differ);
  }

  /** The running primaries' synchronous_standby_names counts (0 when commits do not wait), by primary. */
  private requiredNow(): Record<string, number> {
    const required: Record<string, number> = {};
    for (const p of this.runningPrimaries) required[p.name] = waitsForStandbys(p) ? p.settings.synchronousStandbyNames!.num : 0;
    return required;
  }

  /** A node runs as a primary or stops doing so only when its inputs change: the dirty ones are looked at. */
  private updatePrimaries(queue: readonly number[]): void {
    let flipped = false;
    for (const i of queue) {
      const n = this.nodes[i]!;
      const now = n.running && n.isPrimary ? 1 : 0;
      if (this.isRunningPrimary[i] === now) continue;
      this.isRunningPrimary[i] = now;
      flipped = true;
    }
    if (flipped) this.runningPrimaries = this.nodes.filter((_, i) => this.isRunningPrimary[i] === 1);
  }

  /**
   * Which standbys each primary's synchronous_standby_names counts now (writes.ts ackOf: FIRST n takes the n
   * highest-priority streaming standbys, ANY n any of the listed ones); those whose membership changed are dirty.
   */
  private updateSynchronous(queue: number[]): void {
    const synchronous = new Set<PgNode>();
    for (const p of this.runningPrimaries) {
      if (!waitsForStandbys(p)) continue;
      const names = p.settings.synchronousStandbyNames!;
      const priority = (n: PgNode) => {
        const i = syncPriority(names, n.settings.applicationName);
        return i === 0 ? Number.POSITIVE_INFINITY : i;
      };
      const listed = [...this.c.streams.from(p)]
        .map((s) => s.down)
        // A walsender still catching up is no candidate (syncrep.c SyncRepGetCandidateStandbys: state streaming).
        .filter((n) => liveStream(this.c, n)?.up === p && liveStream(this.c, n)!.caughtUp && priority(n) !== Number.POSITIVE_INFINITY)
        .sort((a, b) => priority(a) - priority(b) || (a.name < b.name ? -1 : 1));
      for (const n of names.method === 'first' ? listed.slice(0, names.num) : listed) synchronous.add(n);
    }
    for (const n of new Set([...synchronous, ...this.synchronous])) {
      if (synchronous.has(n) === this.synchronous.has(n)) continue;
      const i = this.index.get(n)!;
      if (this.dirty[i]) continue;
      this.dirty[i] = 1;
      queue.push(i);
    }
    this.synchronous = synchronous;
  }

  private stateOf(n: PgNode, followOf: (n: PgNode, seen: Set<PgNode>) => PgNode | null): NodeState {
    const c = this.c;
    const role = n.role;
    const standby = role.kind === 'standby' ? role : null;
    const live = liveStream(c, n);
    // A stream whose path is cut still says streaming until wal_receiver_timeout; nothing arrives.
    const cut = standby?.receiver.status === 'streaming' && !c.streamUp(standby.receiver.stream);
    return {
      name: n.name,
      run: runOf(n),
      role: role.kind,
      tli: n.tli,
      system: systemOf(n.wal.timeline),
      receiver: !n.running || !standby ? 'stopped' : cut ? 'waiting' : standby.receiver.status,
      reason: cut ? 'upstream-unreachable' : n.running && standby?.receiver.status === 'waiting' ? standby.receiver.reason : null,
      upstream: standby?.upstream ?? null,
      follows: standby && live ? (followOf(n, new Set())?.name ?? null) : null,
      synchronous: this.synchronous.has(n),
      fatal: n.run.state === 'failed' ? n.run.fatal.message : null,
    };
  }
}

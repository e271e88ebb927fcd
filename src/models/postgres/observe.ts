/**
 * Records each cluster's replication state into the history whenever it changes (after every fluid
 * recomputation): the facts the verdicts are judged from. Observes, never changes, the model.
 */
import type { SynchronousSource } from '../../history/facts/managers.ts';
import type { ClusterPlan, NodeRun, NodeState } from '../../history/replication.ts';
import type { PgCluster } from './cluster.ts';
import type { PgNode, Stream } from './node.ts';
import type { Timeline } from './timeline.ts';

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
  c.observers.push(() => sample(c));
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

function sample(c: PgCluster): void {
  const now = c.ctx.sim.now;
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
  // Which standbys each primary's synchronous_standby_names counts now (writes.ts ackOf: FIRST n takes the n
  // highest-priority streaming standbys, ANY n any of the listed ones).
  const synchronous = new Set<PgNode>();
  const required: Record<string, number> = {};
  for (const p of c.nodes.values()) {
    if (!p.running || !p.isPrimary) continue;
    if (!waitsForStandbys(p)) {
      required[p.name] = 0;
      continue;
    }
    const names = p.settings.synchronousStandbyNames!;
    required[p.name] = names.num;
    const priority = (n: PgNode) => {
      const i = names.names.findIndex((x) => x === n.settings.applicationName || x === '*');
      return i < 0 ? Number.POSITIVE_INFINITY : i;
    };
    const listed = [...c.nodes.values()]
      .filter((n) => liveStream(c, n)?.up === p && priority(n) !== Number.POSITIVE_INFINITY)
      .sort((a, b) => priority(a) - priority(b) || (a.name < b.name ? -1 : 1));
    for (const n of names.method === 'first' ? listed.slice(0, names.num) : listed) synchronous.add(n);
  }
  const nodes: NodeState[] = [...c.nodes.values()].map((n) => {
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
      synchronous: synchronous.has(n),
      fatal: n.run.state === 'failed' ? n.run.fatal.message : null,
    };
  });
  c.ctx.history.replication.sample({ at: now, cluster: c.name, nodes, synchronousRequired: required });
}

/**
 * What a workload's clients get from the write flow (docs/model-postgres.md "Load and connections"): each
 * pool's write status (an outage, a stall and its cause, or nothing) and the accounting of its requests through
 * its queue (load.ts PoolQueue: succeeded, waited past the stall threshold, failed). The flow (writes.ts) decides
 * what each node commits; this says what that means to the clients, as facts for the history.
 */
import { NEVER, type Micros } from '../../engine/time.ts';
import { roundFigure, type CommitLimit, type SyncReplayHeld, type StatementWalFact, type SyncStreamBound, type WriteCauseFact } from '../../history/facts/writes.ts';
import type { PgCluster } from './cluster.ts';
import { admittedConnections, diskLimit, pastThreshold, type CacheState } from './load.ts';
import type { Lsn } from './lsn.ts';
import type { PgNode, Stream } from './node.ts';
import { commitDelay, diskThroughput, localCommitTime, slowdownOf } from './service.ts';
import type { ClientPool } from './writes.ts';
import { WriteEnds } from './write-ends.ts';

const PER_SECOND = 1e6;

/** What the synchronous standbys let a node's commits do now (writes.ts ackOf). */
export interface SyncAck {
  readonly value: Lsn;
  readonly rate: number;
  /** Undefined for asynchronous commits; null when enough synchronous standbys stream; else why commits wait. */
  readonly blockedBy: WriteCauseFact | null | undefined;
  /** How long a commit waits for the synchronous standbys that release it (0 when asynchronous or blocked). */
  readonly rtt: number;
  /** When the confirmations' rate changes by itself (a delayed replay's rate follows the primary's past one). */
  readonly changesAt: number;
  /** The stream of the synchronous standby whose confirmation releases commits last (when one does). */
  readonly slowest?: Stream | null;
  /** The synchronous standbys whose confirmations release the commits now (FIRST n: the n chosen; ANY n: the quorum), when they do. */
  readonly standbys?: readonly string[];
}

/** A pool's write status: an outage, a stall, or null (history.ts setWriteStatus). */
export type WriteStatus = { kind: 'outage' | 'stall'; cause: WriteCauseFact; node: string | null; maxLatencyMs?: number | null } | null;

/** Commits bound by synchronous standbys confirming `txPerSecond` (per µs; rounded as the cause shows it), `rtt` µs a round. */
export function syncLimit(txPerSecond: number, connections: number, rtt: number, standbys: readonly string[], stream: SyncStreamBound | null = null, behind: StatementWalFact | null = null): CommitLimit {
  return { kind: 'synchronous-standbys', txPerSecond: roundFigure(txPerSecond * PER_SECOND), connections, roundMs: Math.round(rtt / 100) / 10, standbys, ...(stream ? { stream } : {}), ...(behind ? { behind } : {}) };
}

/** The WAL per transaction of `pools` together (weighted by what each offers); 0 when they offer nothing. */
export function averageWalPerTx(pools: readonly ClientPool[]): number {
  const rate = pools.reduce((a, p) => a + p.rate, 0);
  return rate > 0 ? pools.reduce((a, p) => a + p.rate * p.walPerTx, 0) / rate : 0;
}

export class ClientOutcomes {
  /** Each pool's write status as of the last recomputation. */
  private readonly lastStatus = new Map<ClientPool, WriteStatus>();
  /** Pools whose queue has held requests: their queue is a series from then on (a chart panel). */
  private readonly queued = new Set<ClientPool>();
  /** How a closing stall or outage ended (write-ends.ts). */
  readonly ends: WriteEnds;

  constructor(
    private readonly cluster: PgCluster,
    private readonly pools: readonly ClientPool[],
    private readonly cache: CacheState,
  ) {
    this.ends = new WriteEnds(cluster, pools);
  }

  /** Record `p`'s write status from now on. */
  settle(p: ClientPool, status: WriteStatus, now: Micros): void {
    this.cluster.ctx.history.setWriteStatus({ cluster: this.cluster.name, workload: p.name }, now, status, this.ends);
    this.lastStatus.set(p, status);
  }

  /**
   * What the pool's requests get now (load.ts PoolQueue.course), recorded per workload: `served` of them are
   * committed, the rest queue in the pool; a stall makes every served request one that waited. Returns when
   * the queue next changes course.
   */
  account(p: ClientPool, served: ReadonlyMap<ClientPool, number>, status: 'outage' | 'stall' | null, now: Micros): number {
    const key = { cluster: this.cluster.name, workload: p.name };
    const h = this.cluster.ctx.history;
    if (p.rate <= 0 && p.queue.at(now) <= 1e-9) {
      h.requestRates(key, now, { offered: 0, succeeded: 0, waited: 0, failed: 0 });
      return NEVER;
    }
    if (status === 'outage' || !p.target) {
      // Writes fail (a lock queue past its timeouts, a refusal): what the pool had queued fails with them.
      h.requestRates(key, now, { offered: p.rate, succeeded: 0, waited: 0, failed: p.rate }, p.queue.drop(now, null));
      this.sample(p, now);
      return NEVER;
    }
    const { rates, next, timedOut } = p.queue.course(now, p.rate, served.get(p) ?? p.rate, status === 'stall', this.cluster.ctx.stallThreshold);
    h.requestRates(key, now, rates, timedOut);
    this.sample(p, now);
    return next;
  }

  /** The pool's queue as a metric (`<pool> queued requests`), once it has held requests. */
  private sample(p: ClientPool, now: Micros): void {
    const value = p.queue.at(now);
    if (!this.queued.has(p)) {
      if (value <= 1e-9 && p.queue.backlog.rate <= 0) return;
      this.queued.add(p);
    }
    this.cluster.ctx.history.metric({ at: now, cluster: this.cluster.name, name: `${p.name} queued requests`, value, rate: p.queue.backlog.rate });
  }

  /** How long the request at the head of `p`'s queue has waited by now (µs; at most its queue_timeout). */
  private queueWait(p: ClientPool, now: Micros): number {
    const wait = p.queue.waitAt(now);
    return p.queue.timeout !== null ? Math.min(wait, p.queue.timeout) : wait;
  }

  /**
   * The longest wait of an open stall, at the end of the stretch since the last recomputation: the pool's queue,
   * and the commit's own wait after it when that is the stall's cause.
   */
  noteQueueWait(p: ClientPool, now: Micros): void {
    const wait = this.queueWait(p, now);
    if (!(wait > 0)) return;
    const status = this.lastStatus.get(p);
    const commit = status?.kind === 'stall' && status.cause.kind !== 'pool-queue' ? (status.maxLatencyMs ?? 0) : 0;
    this.cluster.ctx.history.raiseQueueWait({ cluster: this.cluster.name, workload: p.name }, now, commit + Math.round(wait / 1000));
  }

  /**
   * A stall of requests queued in the pool longer than the stall threshold, or null; its cause names what
   * limits the node's commits (`limits`: a slowed node or synchronous standbys; else its disk or capacity; else,
   * for a queue left over, the connections committing one at a time as it drains).
   */
  queueStatus(p: ClientPool, servedBy: ReadonlyMap<ClientPool, number>, limits: ReadonlyMap<PgNode, CommitLimit>, held: ReadonlySet<PgNode>, now: Micros): WriteStatus {
    const served = servedBy.get(p);
    const t = p.target;
    if (served === undefined || !t) return null;
    // The request at the head of the queue (the one served now) has waited past the threshold.
    const longest = this.queueWait(p, now);
    if (!pastThreshold(longest, this.cluster.ctx.stallThreshold)) return null;
    // The longest wait so far; raised at each recomputation while the stall lasts (noteQueueWait).
    const maxLatencyMs = Math.round(longest / 1000);
    const pool = { pool: p.name, offered: p.rate, queueTimeout: p.queue.timeout };
    const before = this.lastStatus.get(p);
    if (held.has(t) && before?.kind === 'stall') return before;
    const limit = limits.get(t);
    if (limit) {
      // Nothing confirmed: a synchronous standby's replay held by a recovery conflict says why.
      const held = limit.kind === 'synchronous-standbys' && limit.txPerSecond === 0 ? this.replayHeld(t) : null;
      const shown: CommitLimit = held && limit.kind === 'synchronous-standbys' ? { ...limit, held } : limit;
      return { kind: 'stall', cause: { kind: 'pool-queue', node: t.name, limit: shown, ...pool }, node: t.name, maxLatencyMs };
    }
    const disk = diskLimit(t, averageWalPerTx(this.pools.filter((x) => x.target === t)));
    if (!t.capacity && !Number.isFinite(disk)) {
      // Nothing binds now: the queue left by a stall drains as fast as the connections commit. The stall goes on
      // with the cause that filled the queue (a moment's drain between two waits does not end it).
      if (before?.kind === 'stall') return before;
      const connections = Math.min(admittedConnections(t), this.pools.filter((x) => x.target === t).reduce((a, x) => a + x.connections, 0));
      const commit = localCommitTime(t);
      const local: CommitLimit = { kind: 'connections', txPerSecond: roundFigure((connections * PER_SECOND) / commit), connections, commitMs: Math.round(commit / 100) / 10, slowdown: slowdownOf(t) };
      return { kind: 'stall', cause: { kind: 'pool-queue', node: t.name, limit: local, ...pool }, node: t.name, maxLatencyMs };
    }
    if (!t.capacity || disk < t.capacity.txPerSecond) {
      return { kind: 'stall', cause: { kind: 'pool-queue', node: t.name, limit: { kind: 'disk', txPerSecond: roundFigure(disk), slowdown: slowdownOf(t), bytesPerSecond: diskThroughput(t) }, ...pool }, node: t.name, maxLatencyMs };
    }
    // A cause that does not change at each warm-up step (one stall, not one per step): the nominal capacity
    // and whether the cache still warms, not the share it serves now.
    const cold = t.capacity.coldCache;
    const coldCache = cold && this.cache.warmth(t, now) < 1 ? { serves: cold.serves, warmup: cold.warmup } : null;
    return { kind: 'stall', cause: { kind: 'pool-queue', node: t.name, limit: { kind: 'capacity', txPerSecond: t.capacity.txPerSecond, coldCache }, ...pool }, node: t.name, maxLatencyMs };
  }

  /**
   * remote_apply commits confirmed by nobody: a synchronous standby whose replay a recovery conflict holds
   * (conflicts.ts) says why, or null.
   */
  private replayHeld(t: PgNode): SyncReplayHeld | null {
    if (t.settings.synchronousCommit !== 'remote_apply') return null;
    for (const s of this.cluster.streams.from(t)) {
      if (!this.cluster.writes.isSynchronous(s)) continue;
      const h = this.cluster.replay.conflicts.holding(s.down);
      if (h) return { kind: 'sync-replay-held', node: t.name, standby: s.down.name, conflict: h.record.kind, table: h.record.table, queries: h.queries.map((q) => q.name) };
    }
    return null;
  }

  /** The pool's write status now: an outage (refused), a stall (each commit waits past the threshold), or null. */
  statusOf(p: ClientPool, refusal: WriteCauseFact | null, throttledBy: SyncAck | null, walPerTx: number, now: Micros): WriteStatus {
    const node = p.target?.name ?? null;
    const lock = refusal === null ? this.cluster.xid.vacuum.lockStatus(p.name) : null;
    if (lock) return { kind: lock.kind, cause: lock.cause, node };
    if (p.rate <= 0) return null;
    if (refusal !== null) return { kind: 'outage', cause: refusal, node };
    const t = p.target!;
    const vacuum = this.cluster.xid.vacuumLoad(t);
    if (t.storage.throughput !== null && vacuum.bytesPerSecond > 0) {
      // The data volume serves the vacuum and the writes; once their sum reaches its throughput the queue
      // grows without bound (utilisation >= 1), and commits wait behind the vacuum's I/O.
      const wal = t.wal.end.rate * PER_SECOND;
      if (vacuum.bytesPerSecond + wal >= t.storage.throughput) {
        // Rates in whole MB/s, as the cause shows them.
        const mb = (x: number) => Math.round(x / 1e6) * 1e6;
        return { kind: 'stall', cause: { kind: 'volume-saturated', node: t.name, tables: vacuum.tables, vacuumBytesPerSecond: mb(vacuum.bytesPerSecond), throughput: mb(t.storage.throughput) }, node };
      }
    }
    const delay = commitDelay(t);
    if (delay > this.cluster.ctx.stallThreshold) {
      return { kind: 'stall', cause: { kind: 'slow-commits', node: t.name, seconds: Math.round(delay / 1e5) / 10, slowdown: slowdownOf(t) }, node, maxLatencyMs: Math.round(delay / 1000) };
    }
    if (throttledBy) {
      const perSecond = throttledBy.rate * PER_SECOND;
      const connections = Math.min(admittedConnections(t), this.pools.filter((x) => x.target === p.target).reduce((a, x) => a + x.connections, 0));
      const byRate = perSecond > 0 ? (connections * walPerTx) / perSecond : Number.POSITIVE_INFINITY;
      // A commit waits at least one confirmation round (rtt: the link, the standby's fsync, its apply delay).
      // When confirmations come in rounds (a delayed replay) their rate swings between bursts and nothing;
      // the round itself is the steady figure, and with it Little's law gives the throughput.
      const round = throttledBy.rtt / PER_SECOND;
      const latency = round > 0 ? Math.max(round, Number.isFinite(byRate) ? byRate : 0) : byRate;
      if (latency * 1e6 > this.cluster.ctx.stallThreshold) {
        const commits = connections / latency;
        const cause: WriteCauseFact = throttledBy.blockedBy ?? (commits > 0 ? null : this.replayHeld(t)) ?? {
          kind: 'sync-confirm-rate',
          commitsPerSecond: roundFigure(commits),
          offered: p.rate,
          seconds: Number.isFinite(latency) ? Math.round(latency * 10) / 10 : null,
          standbys: throttledBy.standbys ?? [],
        };
        return { kind: 'stall', cause, node, maxLatencyMs: Number.isFinite(latency) ? Math.round(latency * 1000) : null };
      }
    }
    return null;
  }
}

/**
 * Client load a node can take, and the client pools' queues (docs/model-postgres.md "Load and connections"):
 * - `max_connections`: a server admits max_connections − superuser_reserved_connections client connections
 *   (proc.c InitProcess "sorry, too many clients already"; postinit.c InitPostgres "remaining connection slots
 *   are reserved for ..."); 12+ walsenders have their own slots (postgres-2.md §3.1), so they take none here.
 *   Fewer connections lower what Little's law lets a pool commit when each commit waits (writes.ts).
 * - `capacity`: the transactions per second a node commits (its instance size); after a start or a promotion a
 *   `cold_cache` serves only a share of it, rising linearly to all of it over `warmup` (in WARMUP_STEPS steps,
 *   each a recomputation: events only where the rate changes).
 * - A disk whose throughput collapsed (`slow_node.disk_throughput`) bounds the transactions per second to
 *   what its WAL writes can take (diskLimit); commits then wait behind the WAL queued ahead of them
 *   (service.ts walQueueWait), which a write health check sees.
 * - A pool offering more than its share of the capacity queues the rest (a fluid backlog, in transactions);
 *   the backlog drains when there is room again. With a `queue_timeout` a request that would wait longer fails:
 *   the backlog stops growing at timeout × served rate, and the excess fails from then on. A pool whose server
 *   goes away (refused, or routed elsewhere) loses its queue: those requests fail with the connection.
 * Each pool's requests are accounted as succeeded, waited past the stall threshold, or failed (history.ts
 * requestRates), which the report sums per workload and interval (report/requests.ts).
 */
import { Level } from '../../engine/fluid.ts';
import { NEVER, floorMicros, type Micros } from '../../engine/time.ts';
import type { PgNode } from './node.ts';
import type { WriteCauseFact } from '../../history/facts/writes.ts';
import { diskThroughput } from './service.ts';

const PER_SECOND = 1e6;
/** A cold cache warms in this many equal steps (a step function under the linear ramp; events at each step). */
export const WARMUP_STEPS = 10;

/** Client connections `n` admits (Infinity when max_connections is not given). */
export function admittedConnections(n: PgNode): number {
  const max = n.settings.maxConnections;
  return max === null ? Number.POSITIVE_INFINITY : Math.max(0, max - n.settings.superuserReservedConnections);
}

/** Why `n` refuses every client connection (max_connections no larger than the reserved slots), or null. */
export function connectionRefusal(n: PgNode): WriteCauseFact | null {
  if (admittedConnections(n) > 0) return null;
  return { kind: 'no-client-slots', node: n.name, maxConnections: n.settings.maxConnections, superuserReserved: n.settings.superuserReservedConnections, version: n.version };
}

/**
 * Transactions per second `n`'s disk can take when its throughput collapsed (a `slow_node` fault with
 * `disk_throughput`): the WAL it writes per second cannot exceed what the disk serves. Infinity on a healthy
 * disk (approximation: the healthy model does not bound the WAL rate by disk_throughput).
 */
export function diskLimit(n: PgNode, walPerTx: number): number {
  if (n.service.throughput >= 1 || walPerTx <= 0) return Number.POSITIVE_INFINITY;
  return diskThroughput(n) / walPerTx;
}

/** Tracks each node's cache: cold from its last start or promotion. */
export class CacheState {
  private readonly seen = new Map<PgNode, { boot: number; primary: boolean; coldSince: Micros | null }>();
  /** Nodes with a cold_cache whose cache went cold: the only ones whose warmth may still change. */
  private readonly warming = new Set<PgNode>();

  /**
   * Called at every recomputation with the nodes whose run state or role may have changed since the last one
   * (every node at the first): a new boot or a new primary role starts a cold cache now.
   */
  observe(n: PgNode, now: Micros): void {
    const s = this.seen.get(n);
    if (!s) {
      this.seen.set(n, { boot: n.boot, primary: n.isPrimary, coldSince: null });
      return;
    }
    if (s.boot !== n.boot || (n.isPrimary && !s.primary)) {
      s.coldSince = now;
      if (n.capacity?.coldCache) this.warming.add(n);
    }
    s.boot = n.boot;
    s.primary = n.isPrimary;
  }

  /** Whether no node has been observed yet. */
  get empty(): boolean {
    return this.seen.size === 0;
  }

  /** When the warmth of any node next changes (NEVER when all are warm). */
  nextChangeOfAny(now: Micros): number {
    let next = NEVER as number;
    for (const n of this.warming) {
      const t = this.nextChange(n, now);
      if (t === NEVER) this.warming.delete(n);
      else next = Math.min(next, t);
    }
    return next;
  }

  /** The share of its capacity `n` serves now (1 when warm). */
  warmth(n: PgNode, now: Micros): number {
    const cold = n.capacity?.coldCache;
    const since = this.seen.get(n)?.coldSince ?? null;
    if (!cold || since === null) return 1;
    const step = Math.floor(((now - since) / cold.warmup) * WARMUP_STEPS);
    if (step >= WARMUP_STEPS) return 1;
    return cold.serves + ((1 - cold.serves) * step) / WARMUP_STEPS;
  }

  /** Transactions per second `n` can commit now (Infinity without a capacity). */
  capacity(n: PgNode, now: Micros): number {
    return n.capacity ? n.capacity.txPerSecond * this.warmth(n, now) : Number.POSITIVE_INFINITY;
  }

  /** When `n`'s warmth next changes (NEVER when warm). */
  nextChange(n: PgNode, now: Micros): number {
    const cold = n.capacity?.coldCache;
    const since = this.seen.get(n)?.coldSince ?? null;
    if (!cold || since === null || now - since >= cold.warmup) return NEVER;
    const step = Math.floor(((now - since) / cold.warmup) * WARMUP_STEPS) + 1;
    return Math.max(now + 1, Math.ceil(since + (cold.warmup * step) / WARMUP_STEPS));
  }
}

/** What a pool's requests get now, in transactions per second. */
export interface RequestRates {
  readonly offered: number;
  readonly succeeded: number;
  readonly waited: number;
  readonly failed: number;
}

/** A pool's queue of requests waiting for a connection (transactions). */
export class PoolQueue {
  readonly backlog: Level;
  /** The node whose connections the queue waits for. */
  private node: PgNode | null = null;

  constructor(
    now: Micros,
    readonly timeout: Micros | null,
  ) {
    this.backlog = new Level(now, 0);
  }

  /** Requests still queued at `now`. */
  at(now: Micros): number {
    return Math.max(0, this.backlog.valueAt(now));
  }

  /**
   * The pool's server went away (refused, or its target changed): its queued requests fail with the connection.
   * Returns how many.
   */
  drop(now: Micros, target: PgNode | null): number {
    if (target === this.node) return 0;
    const lost = this.at(now);
    this.node = target;
    this.backlog.set(now, 0);
    this.backlog.setRate(now, 0);
    return lost;
  }

  /**
   * Set the queue's course for `offered` requests/s of which `served` go through, and say what they get: a
   * served request waited past `stallThreshold` when the queue ahead of it is that long, or when `stalled`
   * (its commit itself waits that long, writes.ts); what the queue cannot hold fails. Returns the rates and
   * when the queue next crosses a line that changes them (drained, reaching the threshold or the timeout).
   */
  course(now: Micros, offered: number, served: number, stalled: boolean, stallThreshold: number): { rates: RequestRates; next: number } {
    const b = this.at(now);
    const perUs = (x: number) => x / PER_SECOND;
    // The queue's wait, for the requests served now: backlog / served rate.
    const cap = this.timeout !== null && served > 0 ? (this.timeout * served) / PER_SECOND : Number.POSITIVE_INFINITY;
    const atCap = b >= cap - 1e-9;
    let growth = offered - served;
    if (b <= 1e-9 && growth < 0) growth = 0;
    let failed = 0;
    if (atCap && growth >= 0) {
      failed = growth;
      growth = 0;
    }
    if (served <= 0 && this.timeout !== null) {
      // Nothing served: every request times out in the queue.
      failed = offered;
      growth = 0;
    }
    this.backlog.set(now, Math.min(b, cap));
    this.backlog.setRate(now, perUs(growth));
    const waitingLine = served > 0 ? (stallThreshold * served) / PER_SECOND : 0;
    const queued = b > waitingLine + 1e-9 || (served <= 0 && b > 0);
    const waitedNow = stalled || queued;
    const rates: RequestRates = { offered, succeeded: waitedNow ? 0 : served, waited: waitedNow ? served : 0, failed };
    let next = NEVER as number;
    const reach = (target: number) => {
      if (growth === 0) return;
      const dt = (target - b) / perUs(growth);
      // Strictly past the line (a whole microsecond after it), so that the next course sees it crossed.
      if (dt > 0) next = Math.min(next, now + floorMicros(dt) + 1);
    };
    if (growth < 0) reach(0);
    if (waitingLine > 0) reach(waitingLine);
    if (Number.isFinite(cap)) reach(cap);
    return { rates, next };
  }
}

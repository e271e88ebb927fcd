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
import { NEVER, NOISE, floorMicros, type Micros } from '../../engine/time.ts';
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
 * Transactions per second `n`'s disk can take: the WAL it writes per second cannot exceed what the disk serves
 * (XLogWrite writes every WAL page before a commit's XLogFlush returns). The scenario's `disk_throughput`, or a
 * share of it after a `slow_node` throughput collapse; Infinity on a disk whose throughput the scenario does not
 * give (its default, 500 MB/s, is the vacuum's and the copies' figure, not a bound on the WAL). Approximation:
 * the WAL alone; the checkpointer's writes of dirty buffers to the same volume are not counted.
 */
export function diskLimit(n: PgNode, walPerTx: number): number {
  if (walPerTx <= 0 || (n.service.throughput >= 1 && n.storage.throughput === null)) return Number.POSITIVE_INFINITY;
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

/**
 * Whether a request that has waited `wait` µs waited past the stall threshold: strictly past it, a wait within
 * rounding of the line being on it (recomputations at other instants compute it a rounding apart).
 */
export function pastThreshold(wait: number, threshold: number): boolean {
  return wait > threshold + NOISE;
}

/** A pool's queue of requests waiting for a connection (transactions). */
export class PoolQueue {
  readonly backlog: Level;
  /** The node whose connections the queue waits for. */
  private node: PgNode | null = null;
  /**
   * The requests that entered the queue since it last began to fill from empty, as a cumulative count: points
   * (instant, count) where the rate in changed, and the rate since the last. The queue is first in, first out,
   * so the request at its head entered when the count was the backlog less than now's (waitAt). Points the head
   * has passed are dropped (`head`), so this holds the recomputations of the queue's current wait at most.
   */
  private readonly entered: { at: Micros; count: number }[] = [];
  private head = 0;
  private enteringRate = 0;

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

  /** How long the request at the head of the queue has waited by `now` (µs; 0 when the queue is empty). */
  waitAt(now: Micros): number {
    return this.headAt(now).wait;
  }

  /**
   * The request at the head of the queue at `now`: how long it has waited, the rate at which the requests
   * behind it entered (per µs), and how many more the head passes before that rate changes.
   */
  private headAt(now: Micros): { wait: number; rate: number; toNext: number } {
    const queued = this.at(now);
    // Empty while requests still come: the head is the one that just came. Empty after they stopped: the last
    // one served came when they stopped (its wait is the drain's longest).
    if (this.entered.length === 0 || (queued <= 1e-9 && this.enteringRate > 0)) return { wait: 0, rate: this.enteringRate / PER_SECOND, toNext: Number.POSITIVE_INFINITY };
    const last = this.entered.at(-1)!;
    const headCount = this.countAt(last, now) - queued;
    // The last point at or before the head's count; counts only grow, so the head only moves forward.
    while (this.head + 1 < this.entered.length && this.entered[this.head + 1]!.count <= headCount) this.head++;
    const from = this.entered[this.head]!;
    const next = this.entered[this.head + 1];
    const rate = next ? (next.count - from.count) / (next.at - from.at) : this.enteringRate / PER_SECOND;
    const enteredAt = rate > 0 ? from.at + Math.max(0, headCount - from.count) / rate : from.at;
    // Past the last point: the head reaches the requests entering from now on once the queue ahead of them is
    // served (when they enter at another rate, course).
    return { wait: Math.max(0, now - enteredAt), rate, toNext: next ? next.count - headCount : queued };
  }

  private countAt(last: { at: Micros; count: number }, now: Micros): number {
    return last.count + (this.enteringRate * (now - last.at)) / PER_SECOND;
  }

  /** Requests enter at `rate` per second from `now` (the queue's growth plus what it serves, less what fails). */
  private enter(now: Micros, rate: number, empty: boolean): void {
    if (empty) {
      this.entered.length = 0;
      this.head = 0;
      if (rate > 0) this.entered.push({ at: now, count: 0 });
    } else if (this.entered.length > 0 && rate !== this.enteringRate) {
      const last = this.entered.at(-1)!;
      if (now > last.at) this.entered.push({ at: now, count: this.countAt(last, now) });
      // Points behind the head are no longer needed: drop them when they are half of the list.
      if (this.head > 64 && this.head * 2 > this.entered.length) {
        this.entered.splice(0, this.head);
        this.head = 0;
      }
    }
    this.enteringRate = rate;
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
    this.enter(now, 0, true);
    return lost;
  }

  /**
   * Set the queue's course for `offered` requests/s of which `served` go through, and say what they get: a
   * served request waited past `stallThreshold` when the request at the head of the queue (first in, first
   * out: the one served now) has waited that long, or when `stalled` (its commit itself waits that long,
   * writes.ts); what the queue cannot hold fails. Returns the rates and when the queue next crosses a line
   * that changes them (drained, the head's wait crossing the threshold, the timeout).
   */
  course(now: Micros, offered: number, served: number, stalled: boolean, stallThreshold: number): { rates: RequestRates; next: number; timedOut: number } {
    const b = this.at(now);
    const enteringBefore = this.enteringRate;
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
    // A queue longer than the timeout allows at the rate served now: its oldest requests time out now.
    const timedOut = b > cap ? b - cap : 0;
    this.backlog.set(now, Math.min(b, cap));
    const head = this.headAt(now);
    this.backlog.setRate(now, perUs(growth));
    this.enter(now, Math.max(0, offered - failed), b <= 1e-9);
    const waitedNow = stalled || (b > 1e-9 && pastThreshold(head.wait, stallThreshold));
    const rates: RequestRates = { offered, succeeded: waitedNow ? 0 : served, waited: waitedNow ? served : 0, failed };
    let next = NEVER as number;
    const reach = (target: number) => {
      if (growth === 0) return;
      const dt = (target - b) / perUs(growth);
      // Strictly past the line (a whole microsecond after it), so that the next course sees it crossed.
      if (dt > 0) next = Math.min(next, now + floorMicros(dt) + 1);
    };
    if (growth < 0) reach(0);
    if (Number.isFinite(cap)) reach(cap);
    // The head's wait grows by 1 - served / (the rate the requests behind it entered at) per µs, until the head
    // passes into requests that entered at another rate (a new queue: they enter at offered less what fails).
    const enteringBehind = b <= 1e-9 ? perUs(Math.max(0, offered - failed)) : head.rate;
    if (growth !== 0 || b > 1e-9) {
      const slope = enteringBehind > 0 ? 1 - perUs(served) / enteringBehind : 1;
      const dt = (stallThreshold - head.wait) / slope;
      // At the line now (dt = 0, within rounding) it is crossed a microsecond later, whichever instant found it there.
      if (slope !== 0 && dt >= -NOISE) next = Math.min(next, now + Math.max(0, floorMicros(dt)) + 1);
      const passes = head.toNext < b - 1e-9 || this.enteringRate !== enteringBefore;
      // Strictly past it, as the queue's other lines (the same instant as its emptying, when that is where).
      if (b > 1e-9 && served > 0 && passes) next = Math.min(next, now + floorMicros(head.toNext / perUs(served)) + 1);
    }
    return { rates, next, timedOut };
  }
}

/**
 * When a standby's startup process tries again after a failure to get WAL (xlogrecovery.c
 * WaitForWALToBecomeAvailable), and the retry loops the model need not run attempt by attempt.
 *
 * - The wait: the startup process sleeps only so that `wal_retrieve_retry_interval` (a fixed 5 s on 9.3-9.4)
 *   has passed since the previous failure (`last_fail_time`, a static that starts at 0): the first failure, or
 *   the first after a long healthy period, is retried at once; later ones every interval (postgres-2.md §2.2).
 * - Parking: a failure that repeats the previous one while nothing in the cluster changed in between (no
 *   reflow was requested: no server started, stopped or was promoted, no network change, no stream opened or
 *   closed, no slot created, no segment archived) will fail the same way at every later attempt. Those attempts
 *   are not simulated one by one: the loop is parked, and when something changes (or another event of that
 *   server is logged, or the run ends) the attempts it skipped are counted on the repeated event, exactly as
 *   the history would have collapsed them, and the next attempt is scheduled on the same grid. A year of a
 *   standby that can no longer stream costs a handful of events instead of six million. An attempt that falls
 *   on the very microsecond of a change is taken after it.
 */
import type { EventHandle } from '../../engine/simulation.ts';
import type { Micros } from '../../engine/time.ts';
import type { WaitReason } from '../../history/history.ts';
import type { WorldContext } from './context.ts';
import type { PgNode } from './node.ts';
import { connectsAt, nextAttemptAt } from './reconnect.ts';

/**
 * Reasons whose outcome depends only on discrete state (servers, network, timelines, slots, archive). Not
 * parked: `ahead-of-flush` (the upstream's flush grows by itself) and the loops that open a stream at every
 * attempt (those request a reflow, so they never repeat unchanged anyway).
 */
const PARKABLE: ReadonlySet<WaitReason> = new Set<WaitReason>([
  'wal-removed',
  'slot-unusable',
  'upstream-down',
  'upstream-unreachable',
  'upstream-behind',
  'not-in-upstream-history',
  'new-timeline-not-a-child',
  'system-identifier-differs',
  'timeline-mismatch-9.2',
  'no-upstream',
  'wal-senders-exhausted',
]);

/** Tests compare runs with and without parking: the reports must be identical (test/models/retry.test.ts). */
let parkingEnabled = true;

export function withoutParking<T>(fn: () => T): T {
  parkingEnabled = false;
  try {
    return fn();
  } finally {
    parkingEnabled = true;
  }
}

interface Parked {
  /** The first attempt not simulated. */
  readonly next: Micros;
  readonly interval: Micros;
}

export class RetryLoops {
  /** Bumped at every change in the cluster (PgCluster.requestReflow). */
  private epoch = 0;
  private readonly epochAtFailure = new Map<PgNode, number>();
  private readonly lastFail = new Map<PgNode, Micros>();
  private readonly parked = new Map<PgNode, Parked>();
  /** Connection attempts in progress to an upstream nothing answered (reconnect.ts), by node. */
  private readonly attempts = new Map<PgNode, { readonly start: Micros; readonly duration: Micros }>();

  constructor(
    private readonly ctx: WorldContext,
    /** Schedule the retry of `n` at `at` (PgCluster: connect, recorded as the walreceiver's pending retry). */
    private readonly schedule: (n: PgNode, at: Micros) => EventHandle,
    /** Whether the upstream `n` connects to answers again (the path is back). */
    private readonly upstreamAnswers: (n: PgNode) => boolean = () => false,
  ) {}

  /**
   * When the failure now of `n` is retried (reconnect.ts nextAttemptAt): at once the first time, else an
   * interval after the previous attempt began. `attempt`: how long this attempt lasts before it fails (a
   * connection nothing answers); it is remembered, so that a path coming back meanwhile connects at the
   * attempt's next SYN (`changed`).
   */
  retryTime(n: PgNode, interval: Micros, attempt: Micros = 0 as Micros): Micros {
    const now = this.ctx.sim.now;
    const at = nextAttemptAt(this.lastFail.get(n), (now + attempt) as Micros, interval);
    this.lastFail.set(n, at);
    if (attempt > 0) this.attempts.set(n, { start: now, duration: attempt });
    else this.attempts.delete(n);
    return at;
  }

  /** Whether this failure of `n` repeats its last one with nothing changed since (then park instead of scheduling). */
  repeatsUnchanged(n: PgNode, reason: WaitReason, loop: boolean): boolean {
    return parkingEnabled && loop && PARKABLE.has(reason) && this.epochAtFailure.get(n) === this.epoch;
  }

  /** Remember the state at this failure (after any change it made itself). */
  failed(n: PgNode): void {
    this.epochAtFailure.set(n, this.epoch);
  }

  park(n: PgNode, next: Micros, interval: Micros): void {
    this.parked.set(n, { next, interval });
  }

  isParked(n: PgNode): boolean {
    return this.parked.has(n);
  }

  /** Something changed: every parked loop counts what it skipped and tries again at its next attempt. */
  changed(): void {
    this.epoch++;
    if (this.attempts.size > 0) this.pathsBack();
    if (this.parked.size === 0) return;
    for (const n of [...this.parked.keys()]) this.resume(n);
  }

  /** Attempts in progress whose upstream answers again connect at their next SYN (reconnect.ts connectsAt). */
  private pathsBack(): void {
    const now = this.ctx.sim.now;
    for (const [n, a] of [...this.attempts]) {
      const role = n.role;
      if (this.parked.has(n) || role.kind !== 'standby' || role.receiver.status !== 'waiting' || !role.receiver.retry) {
        if (!this.parked.has(n)) this.attempts.delete(n);
        continue;
      }
      if (!this.upstreamAnswers(n)) continue;
      const at = connectsAt(a.start, a.duration, now);
      this.attempts.delete(n);
      if (at === null || at >= role.receiver.retry.time) continue;
      this.ctx.sim.cancel(role.receiver.retry);
      role.receiver = { ...role.receiver, retry: this.schedule(n, at) };
    }
  }

  /** `n`'s loop goes on attempt by attempt from now (its next attempt on the same grid, at or after now). */
  resume(n: PgNode): void {
    const p = this.settle(n);
    if (!p) return;
    const role = n.role;
    if (role.kind !== 'standby' || role.receiver.status !== 'waiting') return;
    const now = this.ctx.sim.now;
    const k = Math.max(0, Math.ceil((now - p.next) / p.interval));
    const at = (p.next + k * p.interval) as Micros;
    // As retryTime would have left it after the last skipped failure: the time of the next attempt.
    this.lastFail.set(n, at);
    // The attempt in progress (a connection nothing answered) connects at its next SYN if the path is back.
    const a = this.attempts.get(n);
    this.attempts.delete(n);
    const started = (at - p.interval) as Micros;
    const connects = a && k > 0 && this.upstreamAnswers(n) ? connectsAt(started, a.duration, now) : null;
    role.receiver = { ...role.receiver, retry: this.schedule(n, connects ?? at) };
  }

  /** The loop of `n` ends (something acts on the server): count the attempts it skipped before now. */
  cancel(n: PgNode): void {
    this.attempts.delete(n);
    this.settle(n);
  }

  /** The end of the run: count the attempts skipped up to and including `end`. */
  finish(end: Micros): void {
    for (const n of [...this.parked.keys()]) {
      const p = this.parked.get(n)!;
      if (p.next <= end) this.skip(n, Math.floor((end - p.next) / p.interval) + 1, p);
      this.parked.delete(n);
    }
  }

  /** Unpark `n`, counting the attempts strictly before now (an attempt now runs after what happens now). */
  private settle(n: PgNode): Parked | null {
    const p = this.parked.get(n);
    if (!p) return null;
    this.parked.delete(n);
    this.skip(n, Math.max(0, Math.ceil((this.ctx.sim.now - p.next) / p.interval)), p);
    return p;
  }

  private skip(n: PgNode, k: number, p: Parked): void {
    if (k <= 0) return;
    const last = (p.next + (k - 1) * p.interval) as Micros;
    this.ctx.history.repeatLast(n.name, k, last);
    // After each failure retryTime sets the time of the next attempt.
    this.lastFail.set(n, (last + p.interval) as Micros);
  }

  /** The server stopped: its startup process, and its last_fail_time with it, start afresh. */
  forget(n: PgNode): void {
    this.attempts.delete(n);
    this.settle(n);
    this.lastFail.delete(n);
    this.epochAtFailure.delete(n);
  }
}

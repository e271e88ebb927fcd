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
 * - Loops in vain: a standby that does not follow its upstream's new timeline (recovery_target_timeline
 *   'current' or a number, rule 5) restarts streaming of its old timeline every interval; the walsender
 *   accepts and the stream ends at once at the switchpoint ("End of WAL reached"). Each attempt opens and
 *   closes a stream, a change of its own, so the loop never repeats unchanged by the rule above. Its outcome
 *   depends on the rest of the cluster, and on one thing that moves without a change: the upstream's oldest
 *   retained segment, which only WAL removal at a checkpoint moves. So an attempt that started with nothing
 *   changed since the previous failure and failed the same way is the last one run: the loop is parked, and
 *   wakes at any change, at any event of that server, and when its upstream removes WAL (where the attempt
 *   due at that very instant counts as before the removal when the removal's event runs after retries). An
 *   attempt in vain fails only when its stream's end is seen, at the recomputation that closes the instant:
 *   one due at the instant of any other change, event or action of that server runs after it.
 */
import type { EventHandle } from '../../engine/simulation.ts';
import type { Micros } from '../../engine/time.ts';
import type { WaitReason } from '../../history/history.ts';
import { PRIORITY, type WorldContext } from './context.ts';
import type { PgNode } from './node.ts';
import { connectsAt, nextAttemptAt, type AttemptKind } from './reconnect.ts';

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
  // Woken also when the standby's own restartpoint removes WAL (PgCluster.pgWalRoomAgain).
  'pg-wal-full',
]);

/** Reasons of the loops in vain (above): every attempt opens a stream that ends at once, unused. */
const IN_VAIN: ReadonlySet<WaitReason> = new Set<WaitReason>(['timeline-not-followed']);

/** The priority of retry events (context.ts PRIORITY.protocol): an event of a higher value at the same instant runs after them. */
const RETRY_PRIORITY = PRIORITY.protocol;

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
  /** A loop in vain: an attempt fails only when its stream ends, at the recomputation after it (IN_VAIN). */
  readonly inVain: boolean;
}

export class RetryLoops {
  /** Bumped at every change in the cluster (PgCluster.requestReflow). */
  private epoch = 0;
  private readonly epochAtFailure = new Map<PgNode, number>();
  private readonly lastFail = new Map<PgNode, Micros>();
  private readonly parked = new Map<PgNode, Parked>();
  /** Connection attempts in progress to an upstream nothing answered (reconnect.ts), by node. */
  private readonly attempts = new Map<PgNode, { readonly start: Micros; readonly duration: Micros; readonly kind: AttemptKind }>();
  /** Nodes whose attempt in progress started with nothing changed since their previous failure. */
  private readonly clean = new Set<PgNode>();

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
  retryTime(n: PgNode, interval: Micros, attempt: Micros = 0 as Micros, kind: AttemptKind = 'syn'): Micros {
    const now = this.ctx.sim.now;
    const at = nextAttemptAt(this.lastFail.get(n), (now + attempt) as Micros, interval);
    this.lastFail.set(n, at);
    if (attempt > 0) this.attempts.set(n, { start: now, duration: attempt, kind });
    else this.attempts.delete(n);
    return at;
  }

  /** Whether this failure of `n` repeats its last one with nothing changed since (then park instead of scheduling). */
  repeatsUnchanged(n: PgNode, reason: WaitReason, loop: boolean): boolean {
    return parkingEnabled && loop && PARKABLE.has(reason) && this.epochAtFailure.get(n) === this.epoch;
  }

  /** An attempt of `n` starts (the walreceiver connects): note whether anything changed since its last failure. */
  attemptStarts(n: PgNode): void {
    if (this.epochAtFailure.get(n) === this.epoch) this.clean.add(n);
    else this.clean.delete(n);
  }

  /**
   * Whether this failure ends an attempt in vain that repeats the previous failure (`sameAsLast`) and started
   * with nothing changed since: every later attempt would do the same until something changes (park it).
   */
  repeatsInVain(n: PgNode, reason: WaitReason, sameAsLast: boolean): boolean {
    return parkingEnabled && sameAsLast && IN_VAIN.has(reason) && this.clean.has(n);
  }

  /**
   * `up` removed WAL: the loops in vain streaming from it go on attempt by attempt (the next may find the
   * segment gone), and so do those of standbys whose full pg_wal stops their walreceiver after the walsender
   * accepted the start (PgCluster.connect: the walsender's refusal of a removed segment comes first). One due
   * now would have run before the removal if the event running now runs after retries.
   */
  upstreamRemovedWal(up: PgNode): void {
    if (this.parked.size === 0) return;
    for (const n of [...this.parked.keys()]) {
      const role = n.role;
      if (role.kind !== 'standby' || role.receiver.status !== 'waiting') continue;
      const reason = role.receiver.reason;
      if (IN_VAIN.has(reason) ? role.walreceiver?.upstream === up.name : reason === 'pg-wal-full' && role.upstream === up.name) this.resume(n, this.horizon());
    }
  }

  /**
   * The first instant whose attempt runs after what happens now: now, unless the event running now runs
   * after retries at equal times (a higher priority value: a manager's decision, a checkpoint), in which case
   * an attempt due now ran before it. At equal priorities the order is the insertion order, which a skipped
   * attempt does not have: it counts as after.
   */
  private horizon(): Micros {
    const now = this.ctx.sim.now;
    return (this.ctx.sim.currentPriority > RETRY_PRIORITY ? now + 1 : now) as Micros;
  }

  /** Remember the state at this failure (after any change it made itself). */
  failed(n: PgNode): void {
    this.epochAtFailure.set(n, this.epoch);
  }

  park(n: PgNode, next: Micros, interval: Micros, inVain = false): void {
    this.parked.set(n, { next, interval, inVain });
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
      const at = connectsAt(a.start, a.duration, now, a.kind);
      this.attempts.delete(n);
      if (at === null || at >= role.receiver.retry.time) continue;
      // The attempt now ends at that SYN, which is where the next one is counted from (last_fail_time): its
      // interval runs from there, not from where the attempt would have timed out.
      this.lastFail.set(n, at);
      this.ctx.sim.cancel(role.receiver.retry);
      role.receiver = { ...role.receiver, retry: this.schedule(n, at) };
    }
  }

  /** `n`'s loop goes on attempt by attempt (its next attempt on the same grid, the first after what happens now). */
  resume(n: PgNode, from: Micros = this.horizonOf(n)): void {
    const now = this.ctx.sim.now;
    const p = this.settle(n, from);
    if (!p) return;
    const role = n.role;
    if (role.kind !== 'standby' || role.receiver.status !== 'waiting') return;
    const k = Math.max(0, Math.ceil((from - p.next) / p.interval));
    const at = (p.next + k * p.interval) as Micros;
    // As retryTime would have left it after the last skipped failure: the time of the next attempt.
    this.lastFail.set(n, at);
    // The attempt in progress (a connection nothing answered) connects at its next SYN if the path is back.
    const a = this.attempts.get(n);
    this.attempts.delete(n);
    // Skipped attempts start on the grid (the one in progress began an interval before the next); none
    // skipped: the attempt in progress is the one that was parked, which began when it was recorded.
    const started = k > 0 ? ((at - p.interval) as Micros) : a?.start;
    const connects = a && started !== undefined && this.upstreamAnswers(n) ? connectsAt(started, a.duration, now, a.kind) : null;
    role.receiver = { ...role.receiver, retry: this.schedule(n, connects ?? at) };
  }

  /** The loop of `n` ends (something acts on the server): count the attempts that ran before it. */
  cancel(n: PgNode): void {
    this.attempts.delete(n);
    this.settle(n, this.horizonOf(n));
  }

  /**
   * The first instant whose attempt runs after what happens now to `n`'s loop. A loop in vain's attempt due now
   * has opened its stream, but fails only when the stream's end is seen, at the recomputation after every
   * other event of the instant: what happens now (a change, an event of that server, an action on it) comes
   * before that failure, so the attempt is run after it. Other loops' attempts fail as they run (horizon).
   * The exception, a WAL removal by the upstream, leaves the open stream as it is (upstreamRemovedWal).
   */
  private horizonOf(n: PgNode): Micros {
    return this.parked.get(n)?.inVain ? this.ctx.sim.now : this.horizon();
  }

  /** The end of the run: count the attempts skipped up to and including `end`. */
  finish(end: Micros): void {
    for (const n of [...this.parked.keys()]) {
      const p = this.parked.get(n)!;
      if (p.next <= end) this.skip(n, Math.floor((end - p.next) / p.interval) + 1, p);
      this.parked.delete(n);
    }
  }

  /** Unpark `n`, counting the attempts strictly before `until` (horizon: those that ran before what happens now). */
  private settle(n: PgNode, until: Micros = this.horizon()): Parked | null {
    const p = this.parked.get(n);
    if (!p) return null;
    this.parked.delete(n);
    this.skip(n, Math.max(0, Math.ceil((until - p.next) / p.interval)), p);
    return p;
  }

  private skip(n: PgNode, k: number, p: Parked): void {
    if (k <= 0) return;
    const last = (p.next + (k - 1) * p.interval) as Micros;
    this.ctx.history.repeatLast(n.name, k, p.next, last);
    // After each failure retryTime sets the time of the next attempt.
    this.lastFail.set(n, (last + p.interval) as Micros);
  }

  /** The server stopped: its startup process, and its last_fail_time with it, start afresh. */
  forget(n: PgNode): void {
    this.attempts.delete(n);
    this.settle(n, this.horizonOf(n));
    this.lastFail.delete(n);
    this.epochAtFailure.delete(n);
    this.clean.delete(n);
  }
}

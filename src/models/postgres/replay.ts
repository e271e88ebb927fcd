import { Level } from '../../engine/fluid.ts';
import type { EventHandle } from '../../engine/simulation.ts';
import { NEVER, type Micros } from '../../engine/time.ts';
import type { PromotionCause } from '../../history/history.ts';
import type { PgCluster } from './cluster.ts';
import { RecoveryConflicts } from './conflicts.ts';
import { PRIORITY } from './context.ts';
import type { Lsn } from './lsn.ts';
import { pgLog } from './messages.ts';
import type { PgNode } from './node.ts';
import { writtenBy } from './wal.ts';

const PER_SECOND = 1e6;

/** Where a standby's replay stands, how fast it moves, and what holds it. */
export interface ReplayPoint {
  readonly lsn: Lsn;
  /** Bytes per µs from now until `changesAt`. */
  readonly rate: number;
  /** When the rate changes by itself (NEVER: only at an event). */
  readonly changesAt: number;
  /** WAL flushed (and released by the apply delay) that the startup process has not replayed yet. */
  readonly backlog: number;
  /**
   * What holds replay back: the flush, recovery_min_apply_delay, the startup process's own speed, or a record in
   * conflict with queries on the standby (conflicts.ts).
   */
  readonly bound: 'flush' | 'delay' | 'capacity' | 'conflict';
}

/**
 * The startup process of each standby: it replays what the walreceiver flushed (and, with
 * recovery_min_apply_delay, what the delay has released), one record at a time in one process, so at most at
 * the node's `replay_rate` (bytes/s; unlimited when not given). A fluid like the rest: the replay of a node
 * with a finite rate is min(target, chase), where the chase starts from the replay position at every reflow and
 * grows at replay_rate. Between reflows the target's rate changes only at scheduled events (the apply delay's
 * gate is scheduled by `afterReflow`), so the minimum is exact: it follows the target while the target is slower
 * and the chase once the target runs ahead.
 *
 * A record in conflict with queries on the standby stops replay there until they end or are cancelled
 * (conflicts.ts): the target is capped at it.
 *
 * A promotion waits for the replay: the trigger is noticed only once the startup process has replayed all WAL
 * the walreceiver has streamed (xlogrecovery.c WaitForWALToBecomeAvailable: "After being triggered, we still
 * want to replay all the WAL that was already streamed"), and the walreceiver keeps streaming until then.
 */
export class ReplayModel {
  private readonly chases = new Map<PgNode, Level>();
  private readonly promoting = new Map<PgNode, { readonly cause: PromotionCause; timer: EventHandle | null; requestLogged?: boolean }>();
  private readonly behind = new Set<PgNode>();
  /** Running standbys whose backup recovery is not yet consistent (node.ts pendingBackup). */
  private readonly inconsistent = new Set<PgNode>();

  /** The nodes with a finite replay_rate (storage does not change during a run): the only ones with a chase. */
  private readonly limited: PgNode[];
  readonly conflicts: RecoveryConflicts;

  constructor(private readonly cluster: PgCluster) {
    this.limited = [...cluster.nodes.values()].filter((n) => Number.isFinite(this.capacity(n)));
    this.conflicts = new RecoveryConflicts(cluster, this);
  }

  /** replay_rate in bytes per µs (Infinity: unlimited). */
  private capacity(n: PgNode): number {
    const r = n.storage.replayRate;
    return r === undefined || r === null ? Number.POSITIVE_INFINITY : r / PER_SECOND;
  }

  /**
   * What the startup process may replay up to: the flush, held back by recovery_min_apply_delay
   * (xlogrecovery.c recoveryApplyDelay: a commit record waits until its commit time on the primary plus the
   * delay, so at time t replay may reach where the primaries' WAL stood at t - delay). Once a promotion is
   * requested, the delay ends and everything received counts (the walreceiver's writes included).
   */
  target(n: PgNode, now: Micros, flushRate: number = n.wal.end.rate): { lsn: Lsn; rate: number; changesAt: number; bound: 'flush' | 'delay' | 'conflict' } {
    const t = this.released(n, now, flushRate);
    const stop = this.conflicts.stopAt(n);
    if (stop === null) return t;
    if (t.lsn >= stop - 0.5) return { lsn: Math.min(t.lsn, stop), rate: 0, changesAt: NEVER, bound: 'conflict' };
    const reaches = t.rate > 0 ? now + Math.max(1, Math.ceil((stop - t.lsn) / t.rate)) : NEVER;
    return { lsn: t.lsn, rate: t.rate, changesAt: Math.min(t.changesAt, reaches), bound: t.bound };
  }

  /** What the walreceiver's flush and recovery_min_apply_delay release to the startup process. */
  private released(n: PgNode, now: Micros, flushRate: number): { lsn: Lsn; rate: number; changesAt: number; bound: 'flush' | 'delay' } {
    if (this.promoting.has(n)) return { lsn: n.walEnd(now), rate: n.wal.end.rate, changesAt: NEVER, bound: 'flush' };
    const flushed = { lsn: n.flushed(now, flushRate), rate: flushRate, changesAt: NEVER as number, bound: 'flush' as const };
    const delay = n.settings.recoveryMinApplyDelay;
    if (delay <= 0) return flushed;
    const gate = writtenBy(n.wal.timeline, (now - delay) as Micros, (name) => this.cluster.nodes.get(name));
    if (gate.lsn >= flushed.lsn) {
      // The flush binds until it reaches the gate (a standby catching up on old WAL replays it at once).
      const meets = flushed.rate > gate.rate ? now + Math.max(1, Math.ceil((gate.lsn - flushed.lsn) / (flushed.rate - gate.rate))) : NEVER;
      // Literals, not spreads: V8 gives `{ ...x, y }` a new hidden class at every call (docs/performance.md).
      return { lsn: flushed.lsn, rate: flushed.rate, changesAt: meets, bound: flushed.bound };
    }
    // The gate's rate is the primary's rate `delay` ago: it changes `delay` after the primary's did, and the
    // flush takes over when the gate reaches it.
    const next = gate.writer?.nextChangeAfter((now - delay) as Micros);
    let changesAt = next !== null && next !== undefined ? next + delay : NEVER;
    if (gate.rate > flushed.rate) changesAt = Math.min(changesAt, now + Math.max(1, Math.ceil((flushed.lsn - gate.lsn) / (gate.rate - flushed.rate))));
    return { lsn: gate.lsn, rate: gate.rate, changesAt, bound: 'delay' };
  }

  /** The replay position of a standby now (its WAL end on a primary). */
  at(n: PgNode, now: Micros, flushRate: number = n.wal.end.rate): ReplayPoint {
    if (n.role.kind !== 'standby') return { lsn: n.walEnd(now), rate: n.wal.end.rate, changesAt: NEVER, backlog: 0, bound: 'flush' };
    const t = this.target(n, now, flushRate);
    const chase = this.chases.get(n);
    const cap = n.running ? this.capacity(n) : 0;
    // No chase yet (the first recomputation): replay stands at its target, and from now on moves at most at
    // the startup process's speed, as a caught-up chase does below.
    if (!chase) return t.rate > cap ? { lsn: t.lsn, rate: cap, changesAt: t.changesAt, backlog: 0, bound: 'capacity' } : { lsn: t.lsn, rate: t.rate, changesAt: t.changesAt, backlog: 0, bound: t.bound };
    const c = chase.valueAt(now);
    if (c < t.lsn - 0.5) {
      const meets = cap > t.rate ? now + Math.max(1, Math.ceil((t.lsn - c) / (cap - t.rate))) : NEVER;
      return { lsn: c, rate: cap, changesAt: Math.min(meets, t.changesAt), backlog: t.lsn - c, bound: 'capacity' };
    }
    // Caught up: it follows the target unless the target now moves faster than the startup process can.
    if (t.rate > cap) return { lsn: t.lsn, rate: cap, changesAt: t.changesAt, backlog: 0, bound: 'capacity' };
    return { lsn: t.lsn, rate: t.rate, changesAt: t.changesAt, backlog: 0, bound: t.bound };
  }

  /** How long a commit waits in the replay queue at `p` (its backlog at replay_rate). */
  queueWait(n: PgNode, p: ReplayPoint): number {
    const cap = this.capacity(n);
    return p.backlog > 0 && Number.isFinite(cap) && cap > 0 ? p.backlog / cap : 0;
  }

  isPromoting(n: PgNode): boolean {
    return this.promoting.has(n);
  }

  /**
   * A promotion requested while the startup process has WAL left to replay waits for it (the walreceiver keeps
   * streaming meanwhile): true when it is deferred, to complete in `afterReflow`'s schedule.
   */
  deferPromotion(n: PgNode, cause: PromotionCause, requestLogged = false): boolean {
    if (this.promoting.has(n)) return true;
    const now = this.cluster.ctx.sim.now;
    const held = this.conflicts.holding(n);
    if (!this.chases.has(n) && held === null) return false;
    this.promoting.set(n, { cause, timer: null });
    const p = this.at(n, now);
    if (p.lsn >= n.walEnd(now) - 0.5) {
      this.promoting.delete(n);
      return false;
    }
    const left = n.walEnd(now) - p.lsn;
    const cap = this.capacity(n) * PER_SECOND;
    // Held by a conflict: replay waits for the standby's queries first (standby.c), and the startup process
    // checks the trigger, logging `received promote request`, only once it has nothing left to replay
    // (xlogrecovery.c CheckForStandbyTrigger, from WaitForWALToBecomeAvailable) [15.18: the line came 12 s after
    // pg_ctl promote, when the conflicting query ended]: the line goes with the promotion.
    if (held !== null && p.bound === 'conflict') {
      this.promoting.get(n)!.requestLogged = requestLogged;
      this.cluster.log(n, 'promote', { kind: 'promotion-waits-for-conflict', node: n.name, bytes: left, queries: held.queries.map((q) => q.name), conflict: held.record.kind });
      this.cluster.requestReflow();
      return true;
    }
    this.cluster.log(
      n,
      'promote',
      { kind: 'promotion-waits-for-replay', node: n.name, bytes: left, replayRate: cap },
      [requestLogged ? null : pgLog.promoteRequest()],
    );
    this.cluster.requestReflow();
    return true;
  }

  /**
   * After the rates of a reflow are set: anchor each chase at the replay position, log when a standby's replay
   * falls behind or catches up, schedule pending promotions, and return the next time a replay's rate changes by
   * itself (a delay gate's change, a backlog closing).
   */
  afterReflow(now: Micros): number {
    let next = NEVER as number;
    for (const n of this.limited) {
      if (n.role.kind !== 'standby') {
        this.chases.delete(n);
        this.behind.delete(n);
        continue;
      }
      const cap = this.capacity(n);
      const p = this.at(n, now);
      const chase = this.chases.get(n) ?? new Level(now, p.lsn);
      this.chases.set(n, chase);
      chase.set(now, p.lsn);
      // Held at a conflicting record: the chase waits there too (it meets the target again when that moves).
      chase.setRate(now, n.running && p.bound !== 'conflict' ? cap : 0);
      if (p.changesAt > now) next = Math.min(next, p.changesAt);
      this.logTransition(n, p, now);
    }
    next = Math.min(next, this.conflicts.afterReflow(now));
    for (const [n, pending] of this.promoting) this.schedulePromotion(n, pending, now);
    for (const n of this.inconsistent) next = Math.min(next, this.watchConsistency(n, now));
    return next;
  }

  /** `n` started before its replay reached its minimum recovery point: watched until it does. */
  awaitConsistency(n: PgNode): void {
    this.inconsistent.add(n);
  }

  /**
   * When the replay of `n` reaches its minimum recovery point (NEVER while it does not move): at that
   * recomputation it is consistent (cluster.reachedConsistency), logged from an event of its own.
   */
  private watchConsistency(n: PgNode, now: Micros): number {
    const b = n.pendingBackup;
    if (!n.running || n.role.kind !== 'standby' || b === null) {
      this.inconsistent.delete(n);
      return NEVER;
    }
    const p = this.at(n, now);
    if (p.lsn >= b.end - 0.5) {
      this.inconsistent.delete(n);
      this.cluster.ctx.sim.at(now, `consistent ${n.name}`, () => this.cluster.reachedConsistency(n, this.at(n, this.cluster.ctx.sim.now).lsn), PRIORITY.protocol);
      return NEVER;
    }
    return p.rate > 0 ? now + Math.max(1, Math.ceil((b.end - p.lsn) / p.rate)) : NEVER;
  }

  private logTransition(n: PgNode, p: ReplayPoint, now: Micros): void {
    if (p.bound === 'conflict') return; // conflicts.ts logs the wait
    const falling = p.bound === 'capacity' && n.running;
    if (falling === this.behind.has(n)) return;
    const cap = this.capacity(n) * PER_SECOND;
    if (falling) {
      this.behind.add(n);
      const incoming = this.target(n, now).rate * PER_SECOND;
      this.cluster.log(n, 'replication', { kind: 'replay-falls-behind', node: n.name, incoming, replayRate: cap });
    } else {
      this.behind.delete(n);
      this.cluster.log(n, 'replication', { kind: 'replay-caught-up', node: n.name });
    }
  }

  private schedulePromotion(n: PgNode, pending: { cause: PromotionCause; timer: EventHandle | null; requestLogged?: boolean }, now: Micros): void {
    const sim = this.cluster.ctx.sim;
    sim.cancel(pending.timer);
    pending.timer = null;
    if (!n.running || n.role.kind !== 'standby') {
      this.promoting.delete(n);
      if (!n.running) this.cluster.log(n, 'promote', { kind: 'promotion-abandoned', node: n.name });
      return;
    }
    const p = this.at(n, now);
    const end = n.walEnd(now);
    const gap = end - p.lsn;
    const closing = p.rate - n.wal.end.rate;
    const at = gap <= 0.5 ? now : closing > 0 ? now + Math.max(1, Math.ceil(gap / closing)) : NEVER;
    if (at === NEVER) return;
    pending.timer = sim.at(at as Micros, `promotion ${n.name}`, () => {
      pending.timer = null;
      if (this.at(n, sim.now).lsn < n.walEnd(sim.now) - 0.5) return this.cluster.requestReflow();
      this.promoting.delete(n);
      this.cluster.completePromotion(n, pending.cause, pending.requestLogged ?? true);
    }, PRIORITY.protocol);
  }
}

import { Level } from '../../engine/fluid.ts';
import type { Micros } from '../../engine/time.ts';
import type { Lsn } from './lsn.ts';
import { historyOf, type Timeline } from './timeline.ts';

/** One piece of a level's past: from `t` on it was `value + rate × (τ − t)`, until the next anchor. */
interface Anchor {
  readonly t: Micros;
  readonly value: number;
  readonly rate: number;
}

/** A bound on the anchors kept whatever the horizon: past it the oldest are dropped (their view clamps). */
const MAX_ANCHORS = 4096;

/**
 * A node's WAL position as a fluid level that also remembers its recent past: what it was at an earlier time
 * (a time-shifted view, for recovery_min_apply_delay: a standby replays a commit only once its commit time on
 * the primary plus the delay has passed, xlogrecovery.c recoveryApplyDelay). Anchors are recorded at every
 * change of rate or value; those older than `horizon` (less the last one before it) are dropped, so memory is
 * bounded by the changes within the horizon. With a horizon of 0 it keeps one anchor: the present.
 */
export class WalLevel extends Level {
  private readonly past: Anchor[] = [];
  /** How far back views are asked for (the cluster's largest recovery_min_apply_delay). */
  horizon: Micros = 0 as Micros;
  /** Told of every jump and every change of rate: the write flow replans the streams this level feeds or chases. */
  onChange: (() => void) | null = null;

  constructor(t: Micros, value: number) {
    super(t, value);
    this.past.push({ t, value, rate: 0 });
  }

  override setRate(t: Micros, rate: number): void {
    if (rate === this.rate) return;
    super.setRate(t, rate);
    this.record(t);
    this.onChange?.();
  }

  override set(t: Micros, value: number): void {
    super.set(t, value);
    this.record(t);
    this.onChange?.();
  }

  private record(t: Micros): void {
    const a = { t, value: this.valueAt(t), rate: this.rate };
    const last = this.past.at(-1)!;
    if (last.t === t) this.past[this.past.length - 1] = a;
    else this.past.push(a);
    // Keep the last anchor at or before t - horizon (it defines the view there) and all newer ones.
    const from = t - this.horizon;
    let drop = 0;
    while (drop + 1 < this.past.length && this.past[drop + 1]!.t <= from) drop++;
    drop = Math.max(drop, this.past.length - MAX_ANCHORS);
    if (drop > 0) this.past.splice(0, drop);
  }

  /** When the level last jumped or changed its rate (a standby's: when its receipt last started or stopped). */
  get lastChange(): Micros {
    return this.past.at(-1)!.t;
  }

  private anchorAt(tau: Micros): Anchor {
    let lo = 0;
    let hi = this.past.length - 1;
    // The last anchor at or before tau; before the oldest kept one, the oldest (clamped).
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.past[mid]!.t <= tau) lo = mid;
      else hi = mid - 1;
    }
    return this.past[lo]!;
  }

  /** The value at an earlier time (at or after the horizon; earlier times see the oldest anchor kept). */
  valueBefore(tau: Micros): number {
    const a = this.anchorAt(tau);
    return tau < a.t ? a.value : a.value + a.rate * (tau - a.t);
  }

  /** The rate at an earlier time (0 before the oldest anchor kept). */
  rateBefore(tau: Micros): number {
    const a = this.anchorAt(tau);
    return tau < a.t ? 0 : a.rate;
  }

  /** The first anchor strictly after tau (when a time-shifted view changes its rate), or null. */
  nextChangeAfter(tau: Micros): Micros | null {
    for (const a of this.past) if (a.t > tau) return a.t;
    return null;
  }
}

/** What replayPosition needs of a node (node.ts PgNode). */
interface WalHolder {
  readonly wal: { readonly timeline: Timeline; readonly end: WalLevel };
}

/**
 * The end of the WAL of `tl`'s history that had been written on its primaries by time `tau`: each timeline of
 * the history was written by the node that created it (promoted, or the initial primary), from its creation
 * on, within the range the history gives it. Commit times are monotone along a history, so this is where
 * recovery_min_apply_delay lets replay reach at `tau + delay`.
 */
export function writtenBy(tl: Timeline, tau: Micros, writer: (name: string) => WalHolder | undefined): { lsn: Lsn; rate: number; writer: WalLevel | null } {
  for (const e of historyOf(tl)) {
    if (tau < e.timeline.createdAt && e.timeline.parent) continue;
    const w = e.timeline.createdBy !== null ? writer(e.timeline.createdBy) : undefined;
    if (!w) return { lsn: e.end ?? Number.POSITIVE_INFINITY, rate: 0, writer: null };
    const v = w.wal.end.valueBefore(tau);
    if (v < e.begin) return { lsn: e.begin, rate: 0, writer: w.wal.end };
    if (e.end !== null && v >= e.end) return { lsn: e.end, rate: 0, writer: w.wal.end };
    return { lsn: v, rate: w.wal.end.rateBefore(tau), writer: w.wal.end };
  }
  return { lsn: 0, rate: 0, writer: null };
}

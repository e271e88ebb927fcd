/**
 * When each position of a timeline was written: the commit timestamps a recovery_target_time compares with
 * (xlogrecovery.c recoveryStopsBefore reads xact_time from each commit record, set when the commit record is
 * inserted, xact.c GetCurrentTransactionStopTimestamp). A timeline is written by one primary at a fluid rate
 * that changes only at reflows, so its (time, lsn) curve is piecewise linear: one breakpoint per rate change.
 * Approximation: a commit's timestamp is the instant its record's end is inserted (the record is tens of bytes).
 */
import type { Micros } from '../../engine/time.ts';
import type { Lsn } from './lsn.ts';
import { historyOf, type Timeline } from './timeline.ts';

interface Breakpoint {
  readonly at: Micros;
  readonly lsn: Lsn;
  /** Bytes per microsecond from `at` until the next breakpoint. */
  readonly rate: number;
}

export class WalClock {
  private readonly curves = new Map<Timeline, Breakpoint[]>();

  /** The primary writing `tl` writes at `rate` (bytes/µs) from `lsn` at `at`. */
  mark(tl: Timeline, at: Micros, lsn: Lsn, rate: number): void {
    let c = this.curves.get(tl);
    if (!c) this.curves.set(tl, (c = []));
    const last = c.at(-1);
    // Recomputations that change nothing add no breakpoint (the curve grows with rate changes only).
    if (last && last.rate === rate && Math.abs(last.lsn + last.rate * (at - last.at) - lsn) < 0.5) return;
    if (last && last.at === at) c.pop();
    c.push({ at, lsn, rate });
  }

  /** The position `tl` had reached at `t` (null: nothing of it was written by then, or it was never written here). */
  lsnAt(tl: Timeline, t: Micros): Lsn | null {
    const c = this.curves.get(tl);
    if (!c || c.length === 0 || t < c[0]!.at) return null;
    const i = lastAtOrBefore(c, (b) => b.at <= t);
    const b = c[i]!;
    const next = c[i + 1];
    const lsn = b.lsn + b.rate * (t - b.at);
    return next ? Math.min(lsn, next.lsn) : lsn;
  }

  /** When `tl` reached `lsn` (null: not yet, or never written here). */
  timeAt(tl: Timeline, lsn: Lsn): Micros | null {
    const c = this.curves.get(tl);
    if (!c || c.length === 0) return null;
    if (lsn <= c[0]!.lsn) return c[0]!.at;
    const i = lastAtOrBefore(c, (b) => b.lsn <= lsn);
    const b = c[i]!;
    const next = c[i + 1];
    if (b.rate <= 0) return next ? next.at : null;
    const at = (b.at + Math.ceil((lsn - b.lsn) / b.rate)) as Micros;
    return next ? (Math.min(at, next.at) as Micros) : at;
  }

  /**
   * The last position of `history` written at or before `t` (where a time target stops): along the history,
   * oldest timeline first, the position its writer had reached at `t` if that is before it left for the next
   * timeline. Null: none of the history had been written by `t` (recovery stops at once).
   */
  positionAt(history: Timeline, t: Micros): Lsn | null {
    let reached: Lsn | null = null;
    for (const e of historyOf(history).reverse()) {
      const lsn = this.lsnAt(e.timeline, t);
      if (lsn === null) return reached;
      if (e.end === null || lsn < e.end) return Math.max(lsn, e.begin);
      reached = e.end;
    }
    return reached;
  }
}

/** Index of the last element satisfying `ok` in a list where it holds for a prefix (0 if none). */
function lastAtOrBefore<T>(list: readonly T[], ok: (x: T) => boolean): number {
  let lo = 0;
  let hi = list.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (ok(list[mid]!)) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

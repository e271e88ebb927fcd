import { NEVER, type Micros } from './time.ts';

/** The last microsecond time can be: integers are exact up to 2^53 (about 285 years). */
const MAX_TIME = Number.MAX_SAFE_INTEGER;

/**
 * A quantity that changes at a piecewise-constant rate between events (SimGrid-style fluid model): WAL
 * positions, buffer fills, XID counters. Its value is computed on demand from the last anchor, so an hour
 * of steady streaming costs no events at all.
 */
export class Level {
  private anchorTime: Micros;
  private anchorValue: number;
  private ratePerMicro = 0;
  private changes = 0;

  constructor(t: Micros, value: number) {
    this.anchorTime = t;
    this.anchorValue = value;
  }

  get rate(): number {
    return this.ratePerMicro;
  }

  /** Counts the jumps and the changes of rate: equal versions, the same line (what was planned from it holds). */
  get version(): number {
    return this.changes;
  }

  valueAt(t: Micros): number {
    return this.anchorValue + this.ratePerMicro * (t - this.anchorTime);
  }

  /** Re-anchor at t and change the rate (units per microsecond) from t on. */
  setRate(t: Micros, rate: number): void {
    if (rate === this.ratePerMicro) return;
    this.anchorValue = this.valueAt(t);
    this.anchorTime = t;
    this.ratePerMicro = rate;
    this.changes++;
  }

  /** Jump to a value at t (a discrete change: a truncation, a rewind on reconnect). */
  set(t: Micros, value: number): void {
    this.anchorValue = value;
    this.anchorTime = t;
    this.changes++;
  }

  /**
   * First integer time at or after `from` when the level reaches `target` at the current rate, or NEVER
   * (also when that time is past 2^53 µs, where integers are no longer exact). The quotient is only an
   * estimate (floating point can put it a few microseconds early or late, and many more when the rate is
   * below one unit of the value's last place per microsecond): the first integer time whose value really is
   * at the target is found by galloping from the estimate and bisecting, in O(log) steps, never one
   * microsecond at a time.
   */
  timeToReach(target: number, from: Micros): Micros {
    const v = this.valueAt(from);
    if (v >= target && this.ratePerMicro >= 0) return from;
    if (this.ratePerMicro <= 0) return NEVER;
    const reached = (t: number) => this.valueAt(t as Micros) >= target;
    const estimate = Math.ceil(this.anchorTime + (target - this.anchorValue) / this.ratePerMicro);
    if (!Number.isFinite(estimate) || estimate > MAX_TIME) return NEVER;
    // Bracket: lo is below the target (from is), hi at or above it.
    let lo = from as number;
    let hi = Math.max(from + 1, estimate);
    if (reached(hi)) {
      for (let step = 1; hi - step > lo; step *= 2) {
        if (!reached(hi - step)) {
          lo = hi - step;
          break;
        }
        hi -= step;
      }
    } else {
      for (let step = 1; ; step *= 2) {
        lo = hi;
        if (hi >= MAX_TIME) return NEVER;
        hi = Math.min(MAX_TIME, hi + step);
        if (reached(hi)) break;
      }
    }
    while (hi - lo > 1) {
      const mid = lo + Math.floor((hi - lo) / 2);
      if (reached(mid)) hi = mid;
      else lo = mid;
    }
    return hi as Micros;
  }
}

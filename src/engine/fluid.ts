import { NEVER, type Micros } from './time.ts';

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

  /** First integer time at or after `from` when the level reaches `target` at the current rate, or NEVER. */
  timeToReach(target: number, from: Micros): Micros {
    const v = this.valueAt(from);
    if (v >= target && this.ratePerMicro >= 0) return from;
    if (this.ratePerMicro <= 0) return NEVER;
    // The quotient is rounded: step to the first integer time whose value really is at the target, and
    // never past it (floating point can make ceil() one microsecond early or late).
    let t = Math.max(from, Math.ceil(this.anchorTime + (target - this.anchorValue) / this.ratePerMicro));
    while (this.valueAt(t as Micros) < target) t++;
    while (t > from && this.valueAt((t - 1) as Micros) >= target) t--;
    return t as Micros;
  }
}

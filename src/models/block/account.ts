/**
 * Conservation bookkeeping for the block model's buffers (issue 5, property 5): for each buffer, the bytes
 * that entered it and the bytes that left it, kept apart from the buffer's level, so that at any instant
 * in = out + level can be checked. Both totals are fluid like the levels (a rate between events, set at each
 * reflow, no per-I/O events) plus the discrete moves a protocol step makes (a send buffer emptied into the
 * bitmap at a disconnect, a WalB ring overwritten).
 *
 * Tolerance: levels are fluid between breakpoints that fall on whole microseconds, so a level may run past
 * a bound by up to one microsecond of its rate before the breakpoint's reflow sees it; and sums of doubles
 * are exact only to about 1e-12 of their size. Anything beyond that is a model bug.
 */
import { Level } from '../../engine/fluid.ts';
import { invariant } from '../../engine/invariant.ts';
import type { Micros } from '../../engine/time.ts';

/** Relative floating-point tolerance of a conservation sum or a bound. */
export const REL_TOLERANCE = 1e-9;
/** Absolute slack in bytes (a byte's rounding). */
export const ABS_TOLERANCE = 1;

/** How far past a bound a level with this rate of change (per µs) may be: a microsecond of its rate, and rounding. */
export function slack(ratePerMicro: number, magnitude: number, abs = ABS_TOLERANCE): number {
  return abs + Math.abs(ratePerMicro) + REL_TOLERANCE * Math.abs(magnitude);
}

export class Account {
  private readonly inflow: Level;
  private readonly outflow: Level;

  constructor(t: Micros) {
    this.inflow = new Level(t, 0);
    this.outflow = new Level(t, 0);
  }

  /** From t on, bytes enter at `inPerSecond` and leave at `outPerSecond`. */
  flow(t: Micros, inPerSecond: number, outPerSecond: number): void {
    invariant(inPerSecond >= 0 && outPerSecond >= 0, () => `negative flow into or out of a buffer: in ${inPerSecond} B/s, out ${outPerSecond} B/s`);
    this.inflow.setRate(t, inPerSecond / 1e6);
    this.outflow.setRate(t, outPerSecond / 1e6);
  }

  /** A discrete move: `bytes` enter (positive) or leave (negative) at t. */
  move(t: Micros, bytes: number): void {
    if (bytes > 0) this.inflow.set(t, this.inflow.valueAt(t) + bytes);
    else if (bytes < 0) this.outflow.set(t, this.outflow.valueAt(t) - bytes);
  }

  in(t: Micros): number {
    return this.inflow.valueAt(t);
  }

  out(t: Micros): number {
    return this.outflow.valueAt(t);
  }
}

/** One buffer's books at an instant, for the invariant and the property test. */
export interface BufferBooks {
  readonly resource: string;
  /** e.g. "send buffer", "peer queue", "out-of-sync bitmap", "app backlog". */
  readonly buffer: string;
  /** What in, out, level and capacity count: bytes, or a workload's waiting write requests. */
  readonly unit: 'bytes' | 'requests';
  readonly in: number;
  readonly out: number;
  readonly level: number;
  /** The level's bound now (bytes), Infinity when it has none. */
  readonly capacity: number;
  /** The level's rate of change now (bytes per µs): the bound's slack. */
  readonly rate: number;
}

/** What is wrong with a buffer's books, or null: in ≠ out + level, a negative level, a level above capacity. */
export function booksError(b: BufferBooks): string | null {
  const where = `${b.resource}: ${b.buffer}`;
  const abs = b.unit === 'bytes' ? ABS_TOLERANCE : 1e-6;
  const mag = Math.max(b.in, b.out, Math.abs(b.level));
  const imbalance = b.in - b.out - b.level;
  if (!(Math.abs(imbalance) <= abs + REL_TOLERANCE * mag)) {
    return `${where}: ${b.unit} in ${b.in} != out ${b.out} + level ${b.level} (off by ${imbalance})`;
  }
  const s = slack(b.rate, b.capacity === Infinity ? b.level : b.capacity, abs);
  if (!(b.level >= -s)) return `${where}: negative level ${b.level} ${b.unit} (capacity ${b.capacity})`;
  if (!(b.level <= b.capacity + s)) return `${where}: level ${b.level} ${b.unit} above its capacity ${b.capacity}`;
  return null;
}

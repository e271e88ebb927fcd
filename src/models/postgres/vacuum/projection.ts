/**
 * When writes would stop at the wraparound limit if the run went on, or null when they would not.
 *
 * The age of the oldest unfrozen XID grows one for one with XID consumption until a vacuum freezes past it;
 * with autovacuum and no horizon holder it runs as a saw-tooth whose peak is autovacuum_freeze_max_age plus
 * what is consumed while the anti-wraparound vacuum runs. A straight line from the end's age and rate is the
 * answer only while the age cannot come down: a holder pins the horizon (a slot, a long transaction, a
 * prepared one), or no vacuum has frozen anything yet. Once a cycle has brought it down with nothing holding,
 * the next cycles do the same: the stop comes only if the peaks rise, and then where their trend meets the
 * limit. Approximation: peaks are read from the recorded `max_xid_age` samples (a drop is a peak), and the trend
 * is the highest peak of the later half of them against that of the earlier half.
 */
import type { Micros } from '../../../engine/time.ts';

/** A recorded max_xid_age sample: the value at `at`, growing at `rate` (per µs) until the next one. */
export interface AgeSample {
  readonly at: Micros;
  readonly value: number;
  readonly rate: number;
}

export interface StopProjection {
  /** The recorded max_xid_age samples of the cluster, in time order. */
  readonly samples: readonly AgeSample[];
  /** A holder still pins the horizon at the end. */
  readonly pinned: boolean;
  /** When the last holder went away (null: none ever held). */
  readonly lastRelease: Micros | null;
  readonly now: Micros;
  readonly endAge: number;
  /** XIDs per µs at the end. */
  readonly rate: number;
  readonly stopAge: number;
}

/** Peaks of the saw-tooth: the value reached just before each drop, at or after `from`. */
export function sawtoothPeaks(samples: readonly AgeSample[], from: Micros): { at: Micros; value: number }[] {
  const peaks: { at: Micros; value: number }[] = [];
  for (let i = 1; i < samples.length; i++) {
    const a = samples[i - 1]!;
    const b = samples[i]!;
    const reached = a.value + a.rate * (b.at - a.at);
    if (b.value < reached * 0.999 && b.at >= from) peaks.push({ at: b.at, value: reached });
  }
  return peaks;
}

export function projectedStop(p: StopProjection): Micros | null {
  if (p.rate <= 0) return null;
  const straight = (p.now + Math.ceil((p.stopAge - p.endAge) / p.rate)) as Micros;
  if (p.pinned) return straight;
  const peaks = sawtoothPeaks(p.samples, (p.lastRelease ?? 0) as Micros);
  // Nothing has frozen since the last holder went away (or ever): nothing shows the age can come down yet.
  if (peaks.length === 0) return straight;
  if (peaks.length === 1) return null;
  // Several tables' saw-tooths interleave (a catalog's aggressive vacuum and a table's anti-wraparound one give
  // peaks of two heights in turn): the trend is that of the highest peaks, the earlier half's against the later's.
  const half = Math.floor(peaks.length / 2);
  const highest = (xs: readonly { at: Micros; value: number }[]) => xs.reduce((m, x) => (x.value > m.value ? x : m));
  const a = highest(peaks.slice(0, half));
  const b = highest(peaks.slice(half));
  // Peaks that do not rise (within a part in a thousand): a steady saw-tooth, no stop.
  if (b.value <= a.value * 1.001 || b.at <= a.at) return null;
  const slope = (b.value - a.value) / (b.at - a.at);
  return (b.at + Math.ceil((p.stopAge - b.value) / slope)) as Micros;
}

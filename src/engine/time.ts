/**
 * Simulated time: integer microseconds since the scenario's start. One representation everywhere inside
 * the simulation; conversion to wall-clock happens only at the edges (scenario parsing, report).
 */
export type Micros = number & { readonly __unit: 'microseconds' };

export const MICROS_PER_MS = 1_000;
export const MICROS_PER_SECOND = 1_000_000;

/** An integer number of microseconds; fractions are rounded up so a deadline is never early. */
export function micros(n: number): Micros {
  return Math.ceil(n) as Micros;
}

/**
 * How far one unit of rounding noise may put a computed duration from a whole microsecond (in µs). Durations
 * are quotients of levels (fluid.ts) anchored at the last recomputation; the same line anchored at another
 * instant gives a quotient a few units of its last place away, and an exact crossing (round rates and sizes
 * make many) must land on the same microsecond whichever instant anchored it.
 */
export const NOISE = 1e-6;

/** The whole microseconds of a computed duration, rounded down; one within rounding noise of a whole microsecond is that microsecond. */
export function floorMicros(dt: number): number {
  const k = Math.round(dt);
  return Math.abs(dt - k) <= NOISE ? k : Math.floor(dt);
}

/** The whole microseconds of a computed duration, rounded up; one within rounding noise of a whole microsecond is that microsecond. */
export function ceilMicros(dt: number): number {
  const k = Math.round(dt);
  return Math.abs(dt - k) <= NOISE ? k : Math.ceil(dt);
}

export function seconds(s: number): Micros {
  return Math.round(s * MICROS_PER_SECOND) as Micros;
}

export function toSeconds(t: Micros): number {
  return t / MICROS_PER_SECOND;
}

export const NEVER = Number.POSITIVE_INFINITY as Micros;

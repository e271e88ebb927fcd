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

export function seconds(s: number): Micros {
  return Math.round(s * MICROS_PER_SECOND) as Micros;
}

export function toSeconds(t: Micros): number {
  return t / MICROS_PER_SECOND;
}

export const NEVER = Number.POSITIVE_INFINITY as Micros;

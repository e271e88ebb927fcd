/**
 * `--vary PATH=uniform(a,b) | normal(m,s) | choice(a,b,...)`: what a sweep draws for a path, in the
 * scenario's own units. Each argument is parsed as the value it stands for (a clock time "14:35", an ISO
 * time, "+90s" after the start, a duration, a size, a bandwidth, a rate, a percentage or a plain number);
 * a draw is made on the number behind it and written back in the same kind, so the loader validates it as it
 * validates any --set value. normal's spread is a duration for times. Draws that fall outside what the
 * kind allows (a negative size, a percentage above 100) are drawn again (a truncated normal).
 */
import { DateTime } from 'luxon';
import { parseBandwidth, parseDuration, parseRate, parseSize } from '../../scenario/units.ts';

export type Kind = 'clock' | 'instant' | 'offset' | 'duration' | 'size' | 'bandwidth' | 'rate' | 'percent' | 'number' | 'integer';

export interface Quantity {
  readonly kind: Kind;
  /** Seconds of the day (clock), epoch ms (instant), µs (offset, duration), bytes, bytes/s, per second, percent, or the number. */
  readonly value: number;
  /** The text it came from (for an instant: its offset is kept). */
  readonly text: string;
}

export type Distribution =
  | { readonly kind: 'uniform'; readonly lo: Quantity; readonly hi: Quantity }
  | { readonly kind: 'normal'; readonly mean: Quantity; readonly sd: number }
  | { readonly kind: 'choice'; readonly options: readonly string[] };

export interface Vary {
  /** The whole argument as typed. */
  readonly arg: string;
  readonly path: string;
  readonly dist: Distribution;
}

export class VaryError extends Error {
  override readonly name = 'VaryError';
}

function quantity(text: string, postgres = false): Quantity | null {
  const t = text.trim();
  const clock = /^(\d{1,2}):(\d{2})(?::(\d{2}(?:\.\d{1,6})?))?$/.exec(t);
  if (clock) {
    const s = Number(clock[1]) * 3600 + Number(clock[2]) * 60 + Number(clock[3] ?? 0);
    return Number(clock[1]) < 24 && Number(clock[2]) < 60 ? { kind: 'clock', value: s, text: t } : null;
  }
  if (/^\d{4}-\d{2}-\d{2}T/.test(t)) {
    const d = DateTime.fromISO(t, { setZone: true });
    return d.isValid ? { kind: 'instant', value: d.toMillis(), text: t } : null;
  }
  if (t.startsWith('+')) {
    const d = parseDuration(t.slice(1));
    return d.ok ? { kind: 'offset', value: d.value, text: t } : null;
  }
  if (/^-?\d+$/.test(t)) return { kind: 'integer', value: Number(t), text: t };
  if (/^-?\d*\.\d+$|^-?\d+\.\d*$|^-?\d+(\.\d+)?e[+-]?\d+$/i.test(t)) return { kind: 'number', value: Number(t), text: t };
  const pct = /^(\d+(?:\.\d+)?)\s*%$/.exec(t);
  if (pct) return { kind: 'percent', value: Number(pct[1]), text: t };
  if (t.includes('/')) {
    const b = parseBandwidth(t);
    if (b.ok) return { kind: 'bandwidth', value: b.value, text: t };
    const r = parseRate(t);
    if (r.ok) return { kind: 'rate', value: r.value, text: t };
    return null;
  }
  if (/bps$/i.test(t)) {
    const b = parseBandwidth(t);
    return b.ok ? { kind: 'bandwidth', value: b.value, text: t } : null;
  }
  const size = parseSize(t, { postgres });
  if (size.ok) return { kind: 'size', value: size.value, text: t };
  const d = parseDuration(t);
  return d.ok ? { kind: 'duration', value: d.value, text: t } : null;
}

/** The sd of normal(m, s): a duration for times (in the mean's unit: s for clock, ms for instant, µs for offset). */
function spread(mean: Quantity, text: string, fail: (m: string) => never, postgres = false): number {
  const s = quantity(text, postgres);
  if (mean.kind === 'clock' || mean.kind === 'instant' || mean.kind === 'offset') {
    if (!s || s.kind !== 'duration') fail(`the spread of a time must be a duration like "10min", not ${JSON.stringify(text)}`);
    return mean.kind === 'clock' ? s.value / 1e6 : mean.kind === 'instant' ? s.value / 1e3 : s.value;
  }
  if (!s || !(s.kind === mean.kind || (mean.kind === 'number' && s.kind === 'integer') || (mean.kind === 'integer' && s.kind === 'number'))) fail(`the spread ${JSON.stringify(text)} is not the same kind of value as the mean ${JSON.stringify(mean.text)}`);
  return s.value;
}

function splitArgs(body: string): string[] {
  return body.split(',').map((a) => a.trim());
}

/** `PATH=DIST`, or a VaryError saying what is wrong. */
export function parseVary(arg: string): Vary {
  const fail = (m: string): never => {
    throw new VaryError(`--vary ${arg}: ${m}`);
  };
  const eq = arg.indexOf('=');
  if (eq <= 0) fail('expected PATH=uniform(a,b), PATH=normal(mean,sd) or PATH=choice(a,b,...)');
  const path = arg.slice(0, eq).trim();
  if (!/^[^.\s]+(\.[^.\s]+)*$/.test(path)) fail(`${JSON.stringify(path)} is not a dot-separated path`);
  const m = /^\s*(uniform|normal|choice)\s*\((.*)\)\s*$/s.exec(arg.slice(eq + 1));
  if (!m) fail('the distribution must be uniform(a,b), normal(mean,sd) or choice(a,b,...)');
  const args = splitArgs(m![2]!);
  // A PostgreSQL setting's sizes read in the server's units (1GB = 1024 MB), as the scenario's settings do.
  const postgres = /(^|\.)settings\.[^.]+$/.test(path);
  if (m![1] === 'choice') {
    if (args.length < 1 || args.some((a) => a === '')) fail('choice needs one or more values, separated by commas');
    return { arg, path, dist: { kind: 'choice', options: args } };
  }
  if (args.length !== 2) fail(`${m![1]} takes two values, not ${args.length}`);
  const a = quantity(args[0]!, postgres) ?? fail(`${JSON.stringify(args[0])} is not a time, duration, size, bandwidth, rate, percentage or number`);
  if (m![1] === 'normal') {
    const sd = spread(a, args[1]!, fail, postgres);
    if (!(sd >= 0)) fail('the spread must be >= 0');
    return { arg, path, dist: { kind: 'normal', mean: a, sd } };
  }
  const b = quantity(args[1]!, postgres) ?? fail(`${JSON.stringify(args[1])} is not a time, duration, size, bandwidth, rate, percentage or number`);
  const kind = (q: Quantity) => (q.kind === 'integer' ? 'number' : q.kind);
  if (kind(a) !== kind(b)) fail(`${JSON.stringify(args[0])} and ${JSON.stringify(args[1])} are not the same kind of value (${a.kind}, ${b.kind})`);
  if (b.value < a.value) fail(`the range ${args[0]} to ${args[1]} goes backwards`);
  return { arg, path, dist: { kind: 'uniform', lo: a, hi: b } };
}

const LOWER: Partial<Record<Kind, number>> = { duration: 0, offset: 0, size: 0, bandwidth: 0, rate: 0, percent: 0, clock: 0 };
const UPPER: Partial<Record<Kind, number>> = { percent: 100, clock: 86_400 - 1e-6 };

function pad(n: number): string {
  return String(n).padStart(2, '0');
}

/** A drawn number written back as text of the kind it came from. */
function render(q: Quantity, v: number): string {
  switch (q.kind) {
    case 'clock': {
      const us = Math.round(v * 1e6);
      const s = Math.floor(us / 1e6);
      const frac = us % 1e6;
      const text = `${pad(Math.floor(s / 3600))}:${pad(Math.floor(s / 60) % 60)}:${pad(s % 60)}`;
      return frac ? `${text}.${String(frac).padStart(6, '0').replace(/0+$/, '')}` : text;
    }
    case 'instant': {
      const d = DateTime.fromMillis(Math.round(v), { zone: DateTime.fromISO(q.text, { setZone: true }).zone });
      return d.toISO({ suppressMilliseconds: true })!;
    }
    case 'offset':
      return `+${Math.round(v)}us`;
    case 'duration':
      return `${Math.round(v)}us`;
    case 'size':
      return `${Math.round(v)}B`;
    case 'bandwidth':
      return `${v}B/s`;
    case 'rate':
      return `${v}/s`;
    case 'percent':
      return `${v}%`;
    case 'integer':
      return String(Math.round(v));
    case 'number':
      return String(v);
  }
}

/** One draw from `u` (uniforms in [0, 1)): its text for the loader and its number (for the analysis). */
export function draw(dist: Distribution, u: () => number): { text: string; value: number | string } {
  if (dist.kind === 'choice') {
    const pick = dist.options[Math.min(dist.options.length - 1, Math.floor(u() * dist.options.length))]!;
    return { text: pick, value: pick };
  }
  if (dist.kind === 'uniform') {
    const integer = dist.lo.kind === 'integer' && dist.hi.kind === 'integer';
    const v = integer ? dist.lo.value + Math.floor(u() * (dist.hi.value - dist.lo.value + 1)) : dist.lo.value + u() * (dist.hi.value - dist.lo.value);
    return { text: render(dist.lo, v), value: v };
  }
  const lo = LOWER[dist.mean.kind] ?? Number.NEGATIVE_INFINITY;
  const hi = UPPER[dist.mean.kind] ?? Number.POSITIVE_INFINITY;
  let v = dist.mean.value;
  for (let tries = 0; tries < 100; tries++) {
    // Box-Muller: two uniforms, one standard normal (1 - u keeps the logarithm finite).
    const z = Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u());
    v = dist.mean.value + dist.sd * z;
    if (dist.mean.kind === 'integer') v = Math.round(v);
    if (v >= lo && v <= hi) break;
    v = Math.min(hi, Math.max(lo, v));
  }
  return { text: render(dist.mean, v), value: v };
}

/**
 * Numbers for people: the one formatter of each kind that every renderer (text, chart, HTML, compare, sweep)
 * uses, so a size, a rate, a duration, a count or a share reads the same everywhere. No locale: the output is
 * the same on every machine.
 *
 * The convention (docs/report.md, "Numbers"): sizes are binary (KiB, MiB, GiB), as PostgreSQL and DRBD
 * configure them (16 MiB WAL segments, an 8 MiB sndbuf-size); rates of bytes are decimal and always per
 * second (kB/s, MB/s), as disks and lines are rated and as scenarios give them (1Gbps, 90MB/s). A setting's
 * value quoted as configuration (`max_slot_wal_keep_size = 100GB`) is `settingSize`: exact, as written.
 */
import { formatLsn } from '../models/postgres/lsn.ts';

/** A count: rounded to an integer, with thousands separators: 717000 -> "717,000". */
export function count(n: number): string {
  const r = Math.round(n);
  const s = String(Math.abs(r)).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return r < 0 ? `-${s}` : s;
}

/** A count and its noun: "1 commit", "717,000 commits". */
export function counted(n: number, one: string, many = `${one}s`): string {
  return `${count(n)} ${Math.round(n) === 1 ? one : many}`;
}

/** Up to one decimal, without a trailing ".0": 13.72 -> "13.7", 2.0 -> "2". */
function oneDecimal(v: number): string {
  return String(Math.round(v * 10) / 10);
}

const SIZE_UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'] as const;

/** Bytes: 1468416000 -> "1.4 GiB", 8388608 -> "8 MiB", 737280000 -> "703 MiB", 100 -> "100 B". */
export function size(bytes: number): string {
  let v = Math.abs(bytes);
  let i = 0;
  // Round first, so that 1023.96 KiB becomes 1 MiB and not "1024 KiB".
  while (i < SIZE_UNITS.length - 1 && Number(v >= 100 ? Math.round(v) : oneDecimal(v)) >= 1024) {
    v /= 1024;
    i++;
  }
  const text = i === 0 ? String(Math.round(v)) : v >= 100 ? String(Math.round(v)) : oneDecimal(v);
  return `${bytes < 0 ? '-' : ''}${text} ${SIZE_UNITS[i]}`;
}

const RATE_UNITS = [
  [1e9, 'GB/s'],
  [1e6, 'MB/s'],
  [1e3, 'kB/s'],
] as const;

/** Three significant digits at most, no trailing zeros: 1.7649 -> "1.76", 27.31 -> "27.3", 412.6 -> "413". */
function sig3(v: number): string {
  const a = Math.abs(v);
  const decimals = a >= 100 ? 0 : a >= 10 ? 1 : 2;
  return String(Math.round(v * 10 ** decimals) / 10 ** decimals);
}

/** Bytes per second: 2420000 -> "2.42 MB/s", 125000000 -> "125 MB/s", 0 -> "0 B/s". */
export function rate(bytesPerSecond: number): string {
  const a = Math.abs(bytesPerSecond);
  for (const [f, unit] of RATE_UNITS) if (a >= f * 0.9995) return `${sig3(bytesPerSecond / f)} ${unit}`;
  return `${Math.round(bytesPerSecond)} B/s`;
}

/** Things per second: perSecond(27.3, 'XIDs') -> "27.3 XIDs/s", perSecond(200, 'commits') -> "200 commits/s". */
export function perSecond(n: number, what: string): string {
  return `${Math.abs(n) >= 1000 ? count(n) : sig3(n)} ${what}/s`;
}

/**
 * A duration in seconds, in the two largest units that matter: 0.451 -> "451 ms", 20 -> "20 s",
 * 73.2 -> "1 min 13 s", 3585 -> "59 min 45 s", 6556.5 -> "1 h 49 min", 3317760 -> "38 days 10 h".
 */
export function duration(seconds: number): string {
  const s = Math.max(0, seconds);
  if (s === 0) return '0 s';
  if (s < 0.001) return `${Math.max(1, Math.round(s * 1e6))} µs`;
  if (s < 0.9995) return `${Math.round(s * 1000)} ms`;
  if (s < 60 && Number(oneDecimal(s)) < 60) return `${oneDecimal(s)} s`;
  const two = (a: number, unitA: string, b: number, unitB: string) => (b === 0 ? `${a} ${unitA}` : `${a} ${unitA} ${b} ${unitB}`);
  const totalS = Math.round(s);
  if (totalS < 3600) return two(Math.floor(totalS / 60), 'min', totalS % 60, 's');
  const totalMin = Math.round(s / 60);
  if (totalMin < 24 * 60) return two(Math.floor(totalMin / 60), 'h', totalMin % 60, 'min');
  const totalH = Math.round(s / 3600);
  const days = Math.floor(totalH / 24);
  return two(days, days === 1 ? 'day' : 'days', totalH % 24, 'h');
}

/** A transaction ID age, or any count of XIDs: rounded, with separators (an age is a count of XIDs). */
export const age = count;

/**
 * A size for an axis, in the binary unit the axis chose (`unit` bytes, named `name`), with at most `decimals`
 * decimals and no trailing zeros: sizeIn(1.5 * 2 ** 30, 2 ** 30, 'GiB', 1) -> "1.5 GiB", 2 GiB -> "2 GiB", 0 -> "0 GiB".
 */
export function sizeIn(bytes: number, unit: number, name: string, decimals: number): string {
  return `${Number((bytes / unit).toFixed(Math.min(Math.max(0, decimals), 6)))} ${name}`;
}

/** A count for an axis: 0, 500k, 50M, 1.3B (decimals as `step`, the distance between ticks, needs; no trailing zeros: 1B, not 1.0B). */
export function shortCount(v: number, step?: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  const [unit, name] = a >= 1e9 ? [1e9, 'B'] : a >= 1e6 ? [1e6, 'M'] : a >= 1e3 ? [1e3, 'k'] : [1, ''];
  const decimals = step === undefined ? (unit === 1e9 ? 2 : 0) : Math.max(0, -Math.floor(Math.log10(step / unit) + 1e-9));
  return `${Number((v / unit).toFixed(Math.min(decimals, 3)))}${name}`;
}

/**
 * A share as a percentage: 0.8734 -> "87%"; near the ends with the decimals that keep it off 0% and 100%:
 * 0.004 -> "0.4%", 0.0004 -> "0.04%", 0.999 -> "99.9%", 0.9996 -> "99.96%"; below 0.01% "<0.01%".
 */
export function percent(share: number): string {
  // Float noise is no share: a Wilson bound of 0 successes computes as 1e-17, and reads 0%.
  const p = Math.round(share * 100 * 1e9) / 1e9;
  /** A small gap from an end, rounded to the decimals that show it (one from 0.1 up, else two); 0 when below 0.005. */
  const gap = (g: number) => (g >= 0.095 ? Math.round(g * 10) / 10 : Math.round(g * 100) / 100);
  if (p > 0 && p < 1) return gap(p) === 0 ? '<0.01%' : `${gap(p)}%`;
  if (p > 99 && p < 100) return gap(100 - p) === 0 ? '>99.99%' : `${Math.round((100 - gap(100 - p)) * 100) / 100}%`;
  return `${Math.round(p)}%`;
}

/**
 * A share with fixed decimals, for an expectation's detail set beside its bounds (16.67% against "at most
 * 16.6%"), where percent's rounding could hide which side of a bound it fell: 1/6 -> "16.67%", 0.5 -> "50%".
 */
export function percentExact(share: number, decimals = 2): string {
  return `${Number((share * 100).toFixed(decimals))}%`;
}

const SETTING_UNITS = [
  [1024 ** 4, 'TiB'],
  [1024 ** 3, 'GiB'],
  [1024 ** 2, 'MiB'],
  [1024, 'KiB'],
  [1e12, 'TB'],
  [1e9, 'GB'],
  [1e6, 'MB'],
  [1e3, 'kB'],
] as const;

/**
 * A size as a setting is written (quoted as configuration, `wal_keep_size = 1GB`): exact, in the unit that
 * divides it with the fewest digits, binary on a tie: 16777216 -> "16MiB", 1e11 -> "100GB" (not
 * "97656250KiB"), 0 -> "0", 1500 -> "1500B".
 */
export function settingSize(bytes: number): string {
  if (bytes === 0) return '0';
  let best = `${bytes}B`;
  for (const [f, unit] of SETTING_UNITS) {
    const text = `${bytes / f}${unit}`;
    if (bytes % f === 0 && text.length < best.length) best = text;
  }
  return best;
}

/** A WAL position as PostgreSQL writes it: 2A/2CF20000. */
export const lsn = formatLsn;

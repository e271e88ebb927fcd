/** The chart's scales: byte ticks for WAL positions, wall-clock ticks in the scenario's zone, age ticks. */
import { bisector, range, tickStep, ticks } from 'd3-array';
import { DateTime } from 'luxon';
import { shortCount, sizeIn } from '../format.ts';

/** Nice intervals for time ticks, in ms (as d3-scale's time scale, in the scenario's zone). */
const TIME_STEPS = [
  1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10_000, 15_000, 30_000, 60_000, 120_000, 300_000, 600_000, 900_000, 1_800_000, 3_600_000,
  7_200_000, 10_800_000, 21_600_000, 43_200_000, 86_400_000, 172_800_000, 604_800_000,
];
export const DAY_MS = 86_400_000;
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

export function yTicks(lo: number, hi: number, count: number): { values: number[]; labels: string[] } {
  const units: [number, string][] = [
    [2 ** 40, 'TiB'],
    [2 ** 30, 'GiB'],
    [2 ** 20, 'MiB'],
    [2 ** 10, 'KiB'],
    [1, 'B'],
  ];
  const [unit, name] = units.find(([u]) => (hi - lo) / u >= 1) ?? [1, 'B'];
  const step = tickStep(lo / unit, hi / unit, count);
  const decimals = Math.max(0, -Math.floor(Math.log10(step) + 1e-9));
  const values = ticks(lo / unit, hi / unit, count).map((v) => v * unit);
  return { values, labels: values.map((v) => sizeIn(v, unit, name, decimals)) };
}

export interface TimeTick {
  readonly us: number;
  readonly label: string;
  readonly date: string | null;
}

/**
 * Ticks at round wall-clock times of the zone (so 14:00 is a tick in Tokyo even though the offset is
 * +09:00): the interval is the smallest nice one giving at most `count` ticks; ticks are counted on the
 * zone's local time line and mapped back to instants.
 */
export function timeTicks(startMs: number, endMs: number, zone: string, count: number): TimeTick[] {
  const target = (endMs - startMs) / count;
  if (target > 7 * DAY_MS) {
    // Month labels are short: room for more of them.
    const months = monthTicks(startMs, endMs, zone, Math.round(count * 1.6));
    if (months.length >= 2) return months;
  }
  const i = bisector((d: number) => d).left(TIME_STEPS, target);
  const step = TIME_STEPS[i] ?? Math.max(1, tickStep(0, (endMs - startMs) / DAY_MS, count)) * DAY_MS;
  const local = (ms: number) => {
    const d = DateTime.fromMillis(ms, { zone });
    return ms + d.offset * 60_000;
  };
  const fmt = step < 1000 ? 'HH:mm:ss.SSS' : step < 60_000 ? 'HH:mm:ss' : step < DAY_MS ? 'HH:mm' : 'MM-dd';
  const first = Math.ceil(local(startMs) / step) * step;
  const out: TimeTick[] = [];
  let prevDay = DateTime.fromMillis(startMs, { zone }).toFormat('yyyy-MM-dd');
  for (const wall of range(first, local(endMs) + 1e-6, step)) {
    const d = DateTime.fromMillis(wall, { zone: 'utc' }).setZone(zone, { keepLocalTime: true });
    const ms = d.toMillis();
    if (ms < startMs || ms > endMs) continue;
    const day = d.toFormat('yyyy-MM-dd');
    const date = step < DAY_MS && day !== prevDay ? day : null;
    prevDay = day;
    out.push({ us: (ms - startMs) * 1000, label: d.toFormat(fmt), date });
  }
  return out;
}

/**
 * Ticks on the first of a month (every 1, 2, 3, 6 or 12 months, aligned to January), labelled with the
 * month's name and the year under the first tick and under each January; every N years beyond that.
 */
function monthTicks(startMs: number, endMs: number, zone: string, count: number): TimeTick[] {
  const s = DateTime.fromMillis(startMs, { zone });
  const e = DateTime.fromMillis(endMs, { zone });
  const months = (e.year - s.year) * 12 + (e.month - s.month) + 1;
  const step = [1, 2, 3, 6, 12].find((k) => months / k <= count) ?? Math.ceil(months / count / 12) * 12;
  const out: TimeTick[] = [];
  let prevYear: number | null = null;
  for (let d = s.startOf('month'); d.toMillis() <= endMs; d = d.plus({ months: 1 })) {
    if (d.toMillis() < startMs || (d.month - 1) % Math.min(step, 12) !== 0 || (step > 12 && d.year % (step / 12) !== 0)) continue;
    const yearly = step >= 12;
    out.push({ us: (d.toMillis() - startMs) * 1000, label: yearly ? String(d.year) : MONTHS[d.month - 1]!, date: !yearly && d.year !== prevYear ? String(d.year) : null });
    prevYear = d.year;
  }
  return out;
}

/** Ticks for ages (transaction counts): 0, 500M, 1.0B, ... */
export function ageTicks(hi: number, count: number): { values: number[]; labels: string[] } {
  const step = tickStep(0, hi, count);
  const values = ticks(0, hi, count);
  return { values, labels: values.map((v) => shortCount(v, step)) };
}

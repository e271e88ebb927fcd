/**
 * A sweep's summary from its rows, ordered by run index (so it is the same whatever ran them, and however
 * the runs were split): the probability of each outcome with its 95% Wilson score interval, quantiles of the
 * commits lost and of the stall and outage seconds (d3-array), and which varied parameters separate the bad
 * runs from the good: for a number the single threshold that best predicts "bad" with its accuracy, and its
 * rank correlation with the commits lost; for a choice, the share of bad runs per option.
 */
import { ascending, mean, quantileSorted } from 'd3-array';
import type { SweepRow } from './run-one.ts';

/** The outcome kinds every summary lists, seen or not. */
export const BASE_KINDS = ['data-loss', 'stall', 'outage', 'split-brain'] as const;
/** What counts as a bad run unless --bad says otherwise: loss, a split brain, a wraparound stop, any judged verdict. */
export const DEFAULT_BAD = ['data-loss', 'split-brain', 'no-primary', 'standby-broken', 'xid-stop'];

export interface Interval {
  readonly count: number;
  readonly probability: number;
  readonly ci95: readonly [number, number];
}

export interface Spread {
  readonly mean: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
}

export type Separation =
  | {
      readonly path: string;
      readonly kind: 'threshold';
      /** Bad when the value is at most (<=) or at least (>=) the threshold. */
      readonly direction: '<=' | '>=';
      readonly threshold: string;
      readonly accuracy: number;
      readonly badMedian: string | null;
      readonly goodMedian: string | null;
      /** Spearman's rank correlation with the commits lost (null when either does not vary). */
      readonly lossCorrelation: number | null;
    }
  | { readonly path: string; readonly kind: 'choice'; readonly badShare: Readonly<Record<string, { readonly runs: number; readonly bad: number }>> };

export interface SweepSummary {
  readonly runs: number;
  /** Runs that stopped (a run limit or an internal invariant); counted in `runs`, in no other kind. */
  readonly stopped: number;
  readonly bad: readonly string[];
  readonly badRuns: Interval;
  readonly verdicts: Readonly<Record<string, Interval>>;
  readonly lostCommits: Spread;
  /** The loss per unit the scenario has (commits of clusters, writes of block devices); absent from rows without it. */
  readonly lostBy?: { readonly commits?: Spread; readonly writes?: Spread };
  readonly stallSeconds: Spread;
  readonly outageSeconds: Spread;
  readonly separation: readonly Separation[];
}

const Z = 1.959963984540054;

/** The Wilson score interval for k successes in n trials (95%). */
export function wilson(k: number, n: number): readonly [number, number] {
  if (n === 0) return [0, 1];
  const p = k / n;
  const z2 = Z * Z;
  const denom = 1 + z2 / n;
  const centre = (p + z2 / (2 * n)) / denom;
  const half = (Z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n))) / denom;
  return [Math.max(0, centre - half), Math.min(1, centre + half)];
}

function interval(k: number, n: number): Interval {
  return { count: k, probability: n ? k / n : 0, ci95: wilson(k, n) };
}

function spread(values: number[]): Spread {
  const s = values.sort(ascending);
  if (s.length === 0) return { mean: 0, p50: 0, p90: 0, p99: 0, max: 0 };
  return { mean: mean(s)!, p50: quantileSorted(s, 0.5)!, p90: quantileSorted(s, 0.9)!, p99: quantileSorted(s, 0.99)!, max: s[s.length - 1]! };
}

/** Average ranks (ties share their mean rank). */
function ranks(xs: readonly number[]): number[] {
  const order = xs.map((x, i) => ({ x, i })).sort((a, b) => a.x - b.x || a.i - b.i);
  const r = new Array<number>(xs.length);
  for (let k = 0; k < order.length; ) {
    let j = k;
    while (j + 1 < order.length && order[j + 1]!.x === order[k]!.x) j++;
    for (let m = k; m <= j; m++) r[order[m]!.i] = (k + j) / 2;
    k = j + 1;
  }
  return r;
}

function spearman(a: readonly number[], b: readonly number[]): number | null {
  const ra = ranks(a);
  const rb = ranks(b);
  const ma = mean(ra)!;
  const mb = mean(rb)!;
  let num = 0;
  let da = 0;
  let db = 0;
  for (let i = 0; i < ra.length; i++) {
    num += (ra[i]! - ma) * (rb[i]! - mb);
    da += (ra[i]! - ma) ** 2;
    db += (rb[i]! - mb) ** 2;
  }
  return da === 0 || db === 0 ? null : num / Math.sqrt(da * db);
}

/**
 * The threshold that best predicts `bad` from `values` (sorted ascending in `order`): "bad when value <=
 * order[index]" or "bad when value >= order[index]"; index -1 when no threshold beats predicting the
 * majority. Ties go to the first found (the lowest threshold, <= before >=).
 */
function bestSplit(order: readonly { v: number; b: boolean }[]): { direction: '<=' | '>='; index: number; accuracy: number } {
  const n = order.length;
  const totalBad = order.filter((o) => o.b).length;
  let best: { direction: '<=' | '>='; index: number; accuracy: number } = { direction: '<=', index: -1, accuracy: n ? Math.max(totalBad, n - totalBad) / n : 1 };
  let badBelow = 0;
  for (let i = 0; i < n - 1; i++) {
    if (order[i]!.b) badBelow++;
    if (order[i + 1]!.v === order[i]!.v) continue;
    // Bad at or below order[i]: the bad ones below and the good ones above are right.
    const le = (badBelow + (n - i - 1 - (totalBad - badBelow))) / n;
    if (le > best.accuracy + 1e-12) best = { direction: '<=', index: i, accuracy: le };
    if (1 - le > best.accuracy + 1e-12) best = { direction: '>=', index: i + 1, accuracy: 1 - le };
  }
  return best;
}

export function summarize(rows: readonly SweepRow[], paths: readonly string[], bad: readonly string[] = DEFAULT_BAD): SweepSummary {
  const sorted = [...rows].sort((a, b) => a.index - b.index);
  const n = sorted.length;
  const kinds = new Set<string>(BASE_KINDS);
  for (const r of sorted) for (const k of r.kinds) if (k !== 'run-stopped') kinds.add(k);
  const verdicts: Record<string, Interval> = {};
  for (const k of [...kinds].sort()) verdicts[k] = interval(sorted.filter((r) => r.kinds.includes(k)).length, n);
  const isBad = sorted.map((r) => r.kinds.some((k) => bad.includes(k)));
  const separation: Separation[] = paths.map((path, p) => {
    const vals = sorted.map((r) => r.draws[p]!.value);
    if (vals.some((v) => typeof v === 'string')) {
      const badShare: Record<string, { runs: number; bad: number }> = {};
      vals.forEach((v, i) => {
        const e = (badShare[String(v)] ??= { runs: 0, bad: 0 });
        e.runs++;
        if (isBad[i]) e.bad++;
      });
      return { path, kind: 'choice', badShare };
    }
    const nums = vals as number[];
    const texts = sorted.map((r) => r.draws[p]!.text);
    const order = nums.map((v, i) => ({ v, i, b: isBad[i]! })).sort((a, b) => a.v - b.v || a.i - b.i);
    const split = bestSplit(order);
    const threshold = split.index < 0 ? '-' : texts[order[split.index]!.i]!;
    const median = (which: boolean) => {
      const xs = order.filter((o) => isBad[o.i] === which);
      return xs.length ? texts[xs[Math.floor((xs.length - 1) / 2)]!.i]! : null;
    };
    return { path, kind: 'threshold', direction: split.direction, threshold, accuracy: split.accuracy, badMedian: median(true), goodMedian: median(false), lossCorrelation: spearman(nums, sorted.map((r) => r.lostCommits)) };
  });
  return {
    runs: n,
    stopped: sorted.filter((r) => r.error !== null).length,
    bad: [...bad],
    badRuns: interval(isBad.filter(Boolean).length, n),
    verdicts,
    lostCommits: spread(sorted.map((r) => r.lostCommits)),
    ...lostBy(sorted),
    stallSeconds: spread(sorted.map((r) => r.stallSeconds)),
    outageSeconds: spread(sorted.map((r) => r.outageSeconds)),
    separation,
  };
}

/** The loss spread per unit (row.lost), for the units any run's scenario has; nothing when no row says (older shard files). */
function lostBy(rows: readonly SweepRow[]): Pick<SweepSummary, 'lostBy'> {
  const known = rows.filter((r) => r.lost !== undefined);
  if (known.length === 0) return {};
  const out: { commits?: Spread; writes?: Spread } = {};
  for (const unit of ['commits', 'writes'] as const) {
    if (known.some((r) => r.lost![unit] !== null)) out[unit] = spread(rows.map((r) => r.lost?.[unit] ?? 0));
  }
  return { lostBy: out };
}

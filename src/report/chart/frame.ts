/**
 * What every panel of the chart draws against: the plot's horizontal extent and time axis, and the bands
 * and end-of-line labels all panels share (chart.ts lays the panels out; wal.ts, xid.ts draw in them).
 */
import { range } from 'd3-array';
import type { History } from '../../history/history.ts';
import type { Report } from '../types.ts';
import { esc, f, MUTED, OUTAGE, STALL, textWidth } from './svg.ts';

export interface Panel {
  readonly top: number;
  readonly bottom: number;
}

export interface PlotFrame {
  readonly report: Report;
  readonly history: History;
  readonly plotLeft: number;
  readonly plotRight: number;
  /** The time axis's span, in µs from the run's start (a shared axis may begin before it). */
  readonly axisFrom: number;
  readonly axisTo: number;
  readonly endUs: number;
  /** µs since the start to px, clamped to the run. */
  readonly x: (t: number) => number;
  readonly toUs: (iso: string) => number;
  /** How many y ticks a panel this many px tall gets. */
  readonly yTickCount: (plotHeight: number) => number;
}

/** Write outages and stalls, shaded in every panel (behind the lines). */
export function writeBands(frame: PlotFrame, p: Panel, panel: string | null): string[] {
  const { report, x, toUs } = frame;
  const list: string[] = [];
  for (const [kind, items, colour, opacity] of [
    ['outage', report.outages, OUTAGE, 0.16],
    ['stall', report.stalls, STALL, 0.2],
  ] as const) {
    for (const w of items) {
      const [a, b] = [x(toUs(w.from)), x(toUs(w.to))];
      list.push(
        `<rect class="${kind}"${panel ? ` data-panel="${panel}"` : ''} data-cluster="${esc(w.cluster)}" x="${f(a)}" y="${f(p.top)}" width="${f(Math.max(b - a, 4))}" height="${f(p.bottom - p.top)}" fill="${colour}" fill-opacity="${opacity}"/>`,
      );
    }
  }
  return list;
}

/** A name and a detail line right of the plot at each line's end, spread apart. */
export function endLabels(frame: PlotFrame, into: string[], ends: readonly { y: number; colour: string; name: string; detail: string }[], top: number, bottom: number): void {
  const { plotRight } = frame;
  const spread = spreadY(
    ends.map((e) => e.y),
    24,
    top + 4,
    bottom + 8,
  );
  ends.forEach((e, i) => {
    const ly = spread[i]!;
    const x0 = plotRight + 4;
    if (Math.abs(ly - e.y) > 1) into.push(`<line x1="${f(plotRight)}" y1="${f(e.y)}" x2="${f(x0 + 2)}" y2="${f(ly)}" stroke="${e.colour}" stroke-width="1"/>`);
    into.push(`<text x="${f(x0 + 4)}" y="${f(ly - 1)}" font-size="10" font-weight="bold" fill="${e.colour}">${esc(e.name)}</text>`);
    into.push(`<text x="${f(x0 + 4)}" y="${f(ly + 10)}" font-size="9" fill="${MUTED}">${esc(e.detail)}</text>`);
  });
}

export function nudge<T extends { x: number; y: number; text: string }>(labels: readonly T[], lineHeight: number): T[] {
  const out: T[] = [];
  for (const l of labels) {
    let yy = l.y;
    const w = textWidth(l.text, 10);
    while (out.some((o) => Math.abs(o.y - yy) < lineHeight && o.x < l.x + w && l.x < o.x + textWidth(o.text, 10))) yy -= lineHeight;
    out.push({ ...l, y: yy });
  }
  return out;
}

/** Positions for labels wanted at ys, at least `gap` apart, kept within [lo, hi] where possible. */
export function spreadY(ys: readonly number[], gap: number, lo: number, hi: number): number[] {
  const order = range(ys.length).sort((a, b) => ys[a]! - ys[b]! || a - b);
  const pos = new Array<number>(ys.length);
  let prev = -Infinity;
  for (const i of order) {
    pos[i] = Math.max(ys[i]!, prev + gap, lo);
    prev = pos[i]!;
  }
  // Shift back up from the bottom if the stack ran off the plot.
  let next = Infinity;
  for (const i of [...order].reverse()) {
    pos[i] = Math.min(pos[i]!, next - gap, hi);
    next = pos[i]!;
  }
  return pos;
}

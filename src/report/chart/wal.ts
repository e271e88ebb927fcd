/** The WAL panel: each node's WAL position over time, its timelines, promotions and the lost commits' WAL. */
import { bisector, group } from 'd3-array';
import type { History } from '../../history/history.ts';
import { formatLsn, type Lsn } from '../../models/postgres/lsn.ts';
import { counted } from '../format.ts';
import type { Report } from '../types.ts';
import { endLabels, nudge, writeBands, type Panel, type PlotFrame } from './frame.ts';
import { yTicks } from './ticks.ts';
import { esc, f, GRID, halo, INK, LOST, MUTED, textWidth } from './svg.ts';

export const NODE_COLOURS = ['#1f77b4', '#2ca02c', '#e6a100', '#6a3d9a', '#8c564b', '#17becf', '#7f7f7f', '#bcbd22', '#e377c2', '#393b79', '#637939'];

/**
 * How a timeline's stretch of a node's line looks: white gaps drawn over the solid line (rank 0, the
 * lowest timeline in the chart, stays solid). The dash arrays give the gaps, not the visible dashes.
 */
export const TIMELINE_GAPS: readonly (string | null)[] = [null, '4 9', '3 2.5', '3 9 3 2', '6 3'];

export interface Point {
  readonly t: number;
  readonly lsn: Lsn;
  readonly tli: number;
}

export interface Series {
  readonly node: string;
  readonly colour: string;
  readonly width: number;
  readonly points: readonly Point[];
  readonly status: string;
}

/** The WAL position of every node: `back` goes behind the annotations' leader lines, `front` over them. */
export function drawWalPanel(frame: PlotFrame, panel: Panel, series: readonly Series[], yLo: number, yHi: number): { axis: string[]; back: string[]; front: string[] } {
  const { report, history, plotLeft, plotRight, x, toUs, yTickCount } = frame;
  const { top: plotTop, bottom: plotBottom } = panel;
  const y = (lsn: number): number => plotBottom - ((lsn - yLo) / (yHi - yLo)) * (plotBottom - plotTop);
  const axis: string[] = [];
  const back: string[] = [];
  const out: string[] = [];

  // Grid and y axis (ticks in the binary unit that suits the span).
  const yt = yTicks(yLo, yHi, yTickCount(plotBottom - plotTop));
  axis.push('<g class="y-axis">');
  yt.values.forEach((v, k) => {
    const yy = f(y(v));
    axis.push(`<line x1="${f(plotLeft)}" x2="${f(plotRight)}" y1="${yy}" y2="${yy}" stroke="${GRID}"/>`);
    axis.push(`<text x="${f(plotLeft - 6)}" y="${f(y(v) + 3.5)}" text-anchor="end" fill="${MUTED}" font-size="10">${esc(yt.labels[k]!)}</text>`);
  });
  const yMid = (plotTop + plotBottom) / 2;
  axis.push(`<text transform="translate(14 ${f(yMid)}) rotate(-90)" text-anchor="middle" fill="${MUTED}" font-size="10">WAL position (LSN)</text>`);
  axis.push('</g>');

  // Bands: lost ranges, outages, stalls (behind the lines).
  back.push('<g class="bands" clip-path="url(#replsim-plot)">');
  // A table lost whole (an upgrade's copy not done at the cut-over) is no range of WAL: its annotation says it.
  for (const l of report.dataLoss.filter((d) => !d.table)) {
    const [a, b] = [x(toUs(l.from)), x(toUs(l.to))];
    back.push(
      `<rect class="lost" data-cluster="${esc(l.cluster)}" data-node="${esc(l.node)}" x="${f(a)}" y="${f(plotTop)}" width="${f(Math.max(b - a, 1))}" height="${f(plotBottom - plotTop)}" fill="url(#replsim-lost)"/>`,
    );
  }
  back.push(...writeBands(frame, panel, null));
  back.push('</g>');

  // The WAL that holds lost commits, highlighted on the line of the node that acknowledged them.
  out.push('<g class="lost-wal" clip-path="url(#replsim-plot)">');
  for (const l of report.dataLoss.filter((d) => !d.table)) {
    const s = series.find((c) => c.node === l.node);
    if (!s) continue;
    const pts = slice(s.points, toUs(l.from), toUs(l.to));
    if (pts.length > 1) out.push(`<polyline points="${pts.map((p) => `${f(x(p.t))},${f(y(p.lsn))}`).join(' ')}" fill="none" stroke="${LOST}" stroke-opacity="0.3" stroke-width="${f(s.width + 9)}" stroke-linejoin="round" stroke-linecap="round"/>`);
  }
  out.push('</g>');

  // One line per node, widest first so lines that coincide show as nested stripes.
  const tls = timelinesOf(series);
  out.push('<g class="nodes" clip-path="url(#replsim-plot)">');
  for (const s of series) {
    out.push(`<g data-node="${esc(s.node)}">`);
    out.push(
      `<polyline class="wal" data-node="${esc(s.node)}" points="${s.points.map((p) => `${f(x(p.t))},${f(y(p.lsn))}`).join(' ')}" fill="none" stroke="${s.colour}" stroke-width="${f(s.width)}" stroke-linejoin="round"/>`,
    );
    for (const run of timelineRuns(s.points)) {
      const gaps = TIMELINE_GAPS[tls.indexOf(run.tli) % TIMELINE_GAPS.length] ?? null;
      if (!gaps || run.points.length < 2) continue;
      out.push(
        `<polyline class="tl" data-tli="${run.tli}" points="${run.points.map((p) => `${f(x(p.t))},${f(y(p.lsn))}`).join(' ')}" fill="none" stroke="#fff" stroke-width="${f(s.width + 0.6)}" stroke-dasharray="${gaps}"/>`,
      );
    }
    out.push('</g>');
  }
  out.push('</g>');

  // Promotion points and timeline labels at the start of each timeline's stretch.
  out.push('<g class="timelines">');
  for (const p of history.promotions) {
    const s = series.find((c) => c.node === p.node);
    const [px, py] = [x(p.at), y(p.switchpoint)];
    out.push(`<path d="M${f(px)} ${f(py - 5)}L${f(px + 5)} ${f(py)}L${f(px)} ${f(py + 5)}L${f(px - 5)} ${f(py)}Z" fill="${s?.colour ?? INK}" stroke="#fff" stroke-width="1"/>`);
  }
  // One label per place a timeline begins; in the node's colour unless several nodes begin it there.
  const tlLabels = new Map<string, { x: number; y: number; text: string; colour: string }>();
  for (const s of series) {
    for (const run of timelineRuns(s.points)) {
      const p0 = run.points[0]!;
      const key = `${run.tli}@${f(x(p0.t))},${f(y(p0.lsn))}`;
      const shared = tlLabels.get(key);
      if (shared) {
        shared.colour = INK;
        continue;
      }
      // Below a rising line, above a flat one.
      const rising = (run.points[1]?.lsn ?? p0.lsn) > p0.lsn;
      const ly = Math.min(Math.max(y(p0.lsn) + (rising ? 14 : -7), plotTop + 12), plotBottom - 4);
      tlLabels.set(key, { x: x(p0.t) + 6, y: ly, text: `TL ${run.tli}`, colour: s.colour });
    }
  }
  for (const l of nudge([...tlLabels.values()], 11)) out.push(halo(`<text x="${f(l.x)}" y="${f(l.y)}" font-size="10" font-weight="bold" fill="${l.colour}">${esc(l.text)}</text>`));
  out.push('</g>');

  // Labels at the end of each line: node, timeline and LSN at the end of the run.
  out.push('<g class="end-labels">');
  const ends = series.map((s) => ({ s, y: y(s.points.at(-1)?.lsn ?? yLo) }));
  endLabels(
    frame,
    out,
    ends.map((e) => ({ y: e.y, colour: e.s.colour, name: e.s.node, detail: endDetail(e.s) })),
    plotTop,
    plotBottom,
  );
  out.push('</g>');

  // Plot frame.
  out.push(`<rect class="frame" x="${f(plotLeft)}" y="${f(plotTop)}" width="${f(plotRight - plotLeft)}" height="${f(plotBottom - plotTop)}" fill="none" stroke="#999"/>`);

  // Labels in bands that are wide enough to hold them.
  out.push('<g class="band-labels">');
  for (const l of report.dataLoss.filter((d) => !d.table)) {
    const [a, b] = [x(toUs(l.from)), x(toUs(l.to))];
    const text = lostText(l.commits, 'commit');
    if (b - a > textWidth(text, 12) + 8)
      out.push(halo(`<text x="${f((a + b) / 2)}" y="${f(plotTop + 16)}" text-anchor="middle" font-size="12" font-weight="bold" fill="${LOST}">${esc(text)}</text>`));
  }
  out.push('</g>');
  return { axis, back, front: out };
}

export function buildSeries(report: Report, history: History, endUs: number): Series[] {
  const byNode = group(history.positions, (p) => p.node);
  const names = [...report.nodes.map((n) => n.name)];
  for (const node of byNode.keys()) if (!names.includes(node)) names.push(node);
  const n = names.length;
  const step = n > 1 ? Math.min(2, 7 / (n - 1)) : 0;
  const result: Series[] = [];
  names.forEach((node, i) => {
    const samples = (byNode.get(node) ?? [])
      .filter((p) => p.at <= endUs)
      .map((p, k) => ({ p, k }))
      .sort((a, b) => a.p.at - b.p.at || a.k - b.k)
      .map(({ p }) => ({ t: p.at as number, lsn: p.lsn, tli: p.tli }));
    if (samples.length === 0) return;
    const info = report.nodes.find((r) => r.name === node);
    const last = samples.at(-1)!;
    // After the last sample the rate is constant: the line runs straight to the node's LSN at the end.
    const endLsn = info ? parseLsn(info.lsn) : null;
    if (last.t < endUs) samples.push({ t: endUs, lsn: endLsn ?? last.lsn, tli: last.tli });
    const status = info ? (info.state === 'running' ? info.role : info.state) : '';
    result.push({ node, colour: NODE_COLOURS[i % NODE_COLOURS.length]!, width: 2.5 + (n - 1 - i) * step, points: samples, status });
  });
  return result;
}

/** Consecutive stretches of one timeline; each ends at the first point of the next (where its line ends). */
function timelineRuns(points: readonly Point[]): { tli: number; points: Point[] }[] {
  const runs: { tli: number; points: Point[] }[] = [];
  for (const p of points) {
    const cur = runs.at(-1);
    if (cur && cur.tli === p.tli) cur.points.push(p);
    else {
      cur?.points.push(p);
      runs.push({ tli: p.tli, points: [p] });
    }
  }
  return runs;
}

export function timelinesOf(series: readonly Series[]): number[] {
  return [...new Set(series.flatMap((s) => s.points.map((p) => p.tli)))].sort((a, b) => a - b);
}

/** The part of a piecewise-linear line between two times, with interpolated ends. */
function slice(points: readonly Point[], from: number, to: number): Point[] {
  const at = (t: number): Point | null => {
    const i = bisector((p: Point) => p.t).right(points, t);
    const a = points[i - 1];
    const b = points[i];
    if (!a) return null;
    if (!b || b.t === a.t) return { t, lsn: a.lsn, tli: a.tli };
    return { t, lsn: a.lsn + ((b.lsn - a.lsn) * (t - a.t)) / (b.t - a.t), tli: a.tli };
  };
  const first = at(from);
  const last = at(to);
  const inner = points.filter((p) => p.t > from && p.t < to);
  return [...(first ? [first] : []), ...inner, ...(last ? [last] : [])];
}

function parseLsn(s: string): Lsn | null {
  const m = /^([0-9A-Fa-f]+)\/([0-9A-Fa-f]+)$/.exec(s);
  return m ? parseInt(m[1]!, 16) * 2 ** 32 + parseInt(m[2]!, 16) : null;
}

export function endDetail(s: Series): string {
  const p = s.points.at(-1);
  return p ? `TL ${p.tli} · ${formatLsn(p.lsn)}` : '';
}

export function lostText(commits: number, unit: 'commit' | 'write'): string {
  return `${counted(commits, unit)} lost`;
}

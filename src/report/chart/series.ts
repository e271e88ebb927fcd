/**
 * Panels of time series on the chart's shared time axis, drawn with d3-scale (y scales and their ticks) and
 * d3-shape (the lines; a rate that holds between changes is a step, a level that fills or drains at a rate is
 * linear): DRBD's send buffer and peer queue, the out-of-sync bytes, the line rate, write latency, disk
 * utilisation, a slot's retained WAL and pg_wal's size, the requests queued in client pools, and the share of
 * requests that succeed. A panel
 * appears only when the report has its data.
 */
import { scaleLinear } from 'd3-scale';
import { curveLinear, curveStepAfter, line } from 'd3-shape';
import { count, duration, percent, perSecond, rate, size } from '../format.ts';
import type { Report, SeriesJson } from '../types.ts';
import { esc, f, GRID, halo, MUTED, textWidth } from './svg.ts';

export type Unit = 'bytes' | 'bytes/s' | 'seconds' | 'share' | 'writes/s' | 'requests';

export interface Line {
  readonly name: string;
  readonly colour: string;
  /** (µs since start, value) */
  readonly points: readonly (readonly [number, number])[];
  readonly curve: 'linear' | 'step';
  readonly dash?: string;
}

/** A horizontal reference line (a setting's limit), labelled at the plot's left end. */
export interface RefLine {
  readonly label: string;
  readonly value: number;
  readonly colour: string;
  readonly dash: string;
}

/** A point on a line worth a word (a slot's wal_status changing). */
export interface Mark {
  readonly t: number;
  readonly value: number;
  readonly text: string;
  readonly colour: string;
}

export interface LinePanel {
  readonly id: string;
  readonly title: string;
  readonly unit: Unit;
  readonly lines: readonly Line[];
  /** Drawn across the plot; the y scale reaches up to them. */
  readonly refs?: readonly RefLine[];
  readonly marks?: readonly Mark[];
}

const COLOURS = ['#1f77b4', '#d95f02', '#2ca02c', '#7570b3', '#8c564b', '#17becf', '#e7298a', '#666666'];

/** How a report series is grouped and drawn, from its name (docs/report.md, `series`). */
interface Kind {
  readonly group: string;
  readonly title: string;
  readonly unit: Unit;
  readonly curve: 'linear' | 'step';
  readonly label: string;
}

function kindOf(name: string): Kind | null {
  let m: RegExpExecArray | null;
  if ((m = /^(.+) (send buffer|peer queue) \(bytes\)$/.exec(name))) return { group: `buffers:${m[1]}`, title: `${m[1]}: DRBD send buffer and peer queue`, unit: 'bytes', curve: 'linear', label: m[2]! };
  if ((m = /^(.+) out of sync \(bytes\)$/.exec(name))) return { group: `oos:${m[1]}`, title: `${m[1]}: out of sync (to resync)`, unit: 'bytes', curve: 'linear', label: 'out of sync' };
  if ((m = /^(.+) line \(bytes\/s\)$/.exec(name))) return { group: 'line', title: 'replication line: bytes sent per second', unit: 'bytes/s', curve: 'step', label: m[1]! };
  if ((m = /^(.+?) write latency(?: (p\d+))? \(s\)$/.exec(name))) return { group: 'latency', title: 'write latency', unit: 'seconds', curve: 'linear', label: m[2] ? `${m[1]} ${m[2]}` : m[1]! };
  if ((m = /^(.+) writes completed \(\/s\)$/.exec(name))) return { group: 'completed', title: 'writes completed per second', unit: 'writes/s', curve: 'linear', label: m[1]! };
  if ((m = /^(.+) (?:disk )?utili[sz]ation(?: \(share\))?$/.exec(name))) return { group: 'util', title: 'disk utilisation', unit: 'share', curve: 'step', label: m[1]! };
  if ((m = /^(.+) (slot_lag|pg_wal_size)$/.exec(name))) return { group: `wal:${m[1]}`, title: `${m[1]}: WAL retained by the slot, and pg_wal's size`, unit: 'bytes', curve: 'linear', label: m[2] === 'slot_lag' ? 'slot behind (retained WAL)' : 'pg_wal size' };
  if ((m = /^(.+) queued requests$/.exec(name))) return { group: 'queued', title: "requests queued in the clients' pools", unit: 'requests', curve: 'linear', label: m[1]! };
  if (/ max_xid_age$/.test(name)) return null; // the transaction-ID panel draws it
  const unit: Unit = /\(bytes\/s\)$/.test(name) ? 'bytes/s' : /\(bytes\)$/.test(name) ? 'bytes' : /\(s\)$/.test(name) ? 'seconds' : 'share';
  return { group: `other:${name}`, title: name, unit, curve: 'linear', label: name.replace(/ \([^)]*\)$/, '') };
}

/**
 * The report's series as panels (in the order of their first series), values at µs since start. With
 * throughput shortfalls (block replication), the writes-completed panel has each short workload's offered
 * rate as a reference line, so the gap between offer and completion is what one sees.
 */
export function seriesPanels(series: readonly SeriesJson[], toUs: (iso: string) => number, shortfalls: Report['shortfalls'] = []): LinePanel[] {
  const groups = new Map<string, { kind: Kind; lines: Line[] }>();
  for (const s of series) {
    const k = kindOf(s.name);
    if (!k || s.points.length === 0) continue;
    let g = groups.get(k.group);
    if (!g) groups.set(k.group, (g = { kind: k, lines: [] }));
    g.lines.push({ name: k.label, colour: COLOURS[g.lines.length % COLOURS.length]!, points: s.points.map(([t, v]) => [toUs(t), v] as const), curve: k.curve });
  }
  const offered = new Map<string, number>();
  for (const sf of shortfalls ?? []) offered.set(sf.workload, Math.max(offered.get(sf.workload) ?? 0, sf.offered));
  return [...groups.entries()].map(([id, g]) => {
    const refs: RefLine[] = id !== 'completed' ? [] : g.lines.filter((l) => offered.has(l.name)).map((l) => ({ label: `${l.name} offered`, value: offered.get(l.name)!, colour: l.colour, dash: '4 3' }));
    return { id, title: g.kind.title, unit: g.kind.unit, lines: g.lines, ...(refs.length > 0 ? { refs } : {}) };
  });
}

/**
 * The share of offered writes that succeed, per workload: 0 while an outage lasts, 1 otherwise (the model's
 * clients fail as a whole); only when the run has an outage.
 */
export function successPanel(report: Report, toUs: (iso: string) => number, end: number): LinePanel | null {
  if (report.outages.length === 0) return null;
  const byPool = new Map<string, { from: number; to: number }[]>();
  for (const o of report.outages) {
    const key = `${o.cluster} ${o.workload}`;
    const list = byPool.get(key) ?? [];
    list.push({ from: toUs(o.from), to: toUs(o.to) });
    byPool.set(key, list);
  }
  const lines: Line[] = [...byPool.entries()].map(([name, list], i) => {
    // Outages that touch (one cause ends as the next begins) are one span at 0; one that lasts to the end
    // leaves the line at 0 there, so the end label says 0%, not 100%.
    const spans: { from: number; to: number }[] = [];
    for (const o of [...list].sort((a, b) => a.from - b.from)) {
      const last = spans.at(-1);
      if (last && o.from <= last.to) last.to = Math.max(last.to, o.to);
      else spans.push({ ...o });
    }
    const pts: [number, number][] = [[0, 1]];
    for (const o of spans) pts.push([o.from, 0], ...(o.to < end ? [[o.to, 1] as [number, number]] : []));
    pts.push([end, pts.at(-1)![1]]);
    return { name: byPool.size > 1 ? name : 'writes', colour: COLOURS[i % COLOURS.length]!, points: pts, curve: 'step', dash: i > 0 ? '5 3' : undefined };
  });
  return { id: 'success', title: 'share of offered writes that succeed', unit: 'share', lines };
}

export function formatValue(unit: Unit, v: number): string {
  switch (unit) {
    case 'bytes':
      return size(v);
    case 'bytes/s':
      return rate(v);
    case 'seconds':
      return duration(v);
    case 'share':
      return percent(v);
    case 'writes/s':
      return perSecond(v, 'writes');
    case 'requests':
      return count(Math.round(v));
  }
}

/**
 * The y scale of a panel, from 0 to a nice maximum above every value (a share: 0 to 100%), with its ticks: in
 * bytes, round numbers of the binary unit that suits the maximum (8 MiB, 16 MiB, not 9.5 MiB).
 */
export function yScaleOf(p: LinePanel, top: number, bottom: number): { (v: number): number; ticks(count: number): number[] } {
  const max = p.unit === 'share' ? 1 : Math.max(...p.lines.flatMap((l) => l.points.map(([, v]) => v)), ...(p.refs ?? []).map((r) => r.value), 0);
  // Nothing above zero (no byte ever out of sync): an axis of 0 to 1 MiB, not ticks of half a byte each shown as "1 B".
  const hi = max === 0 && p.unit === 'bytes' ? 2 ** 20 : max;
  const count = Math.max(2, Math.round((bottom - top) / 35));
  const unit = p.unit === 'bytes' ? 1024 ** Math.max(0, Math.floor(Math.log(Math.max(hi, 1)) / Math.log(1024))) : 1;
  const s = scaleLinear().domain([0, hi > 0 ? (hi * 1.05) / unit : 1]);
  if (p.unit !== 'share') s.nice(count);
  const [, top0] = s.domain() as [number, number];
  const y = scaleLinear().domain([0, top0 * unit]).range([bottom, top]);
  return Object.assign((v: number) => y(v), { ticks: (c: number) => s.ticks(c).map((v) => v * unit) });
}

/** Width of the panel's widest y tick label, for the shared left margin. */
export function tickLabelWidth(p: LinePanel, height: number): number {
  const y = yScaleOf(p, 0, height);
  return Math.max(0, ...y.ticks(Math.max(2, Math.round(height / 35))).map((v) => textWidth(formatValue(p.unit, v), 10)));
}

/** Width the end labels take right of the plot. */
export function endLabelWidth(p: LinePanel): number {
  return Math.max(0, ...p.lines.map((l) => Math.max(textWidth(l.name, 10), textWidth(formatValue(p.unit, l.points.at(-1)?.[1] ?? 0), 9))));
}

export interface Frame {
  readonly left: number;
  readonly right: number;
  readonly top: number;
  readonly bottom: number;
  readonly x: (us: number) => number;
  readonly clipId: string;
}

/** The panel's axis and grid, and its lines with end labels. */
export function drawLinePanel(p: LinePanel, fr: Frame): { axis: string[]; front: string[] } {
  const y = yScaleOf(p, fr.top + 14, fr.bottom);
  const axis: string[] = [`<g class="series-axis" data-panel="${esc(p.id)}">`];
  for (const v of y.ticks(Math.max(2, Math.round((fr.bottom - fr.top - 14) / 35)))) {
    const yy = f(y(v));
    axis.push(`<line x1="${f(fr.left)}" x2="${f(fr.right)}" y1="${yy}" y2="${yy}" stroke="${GRID}"/>`);
    axis.push(`<text x="${f(fr.left - 6)}" y="${f(y(v) + 3.5)}" text-anchor="end" fill="${MUTED}" font-size="10">${esc(formatValue(p.unit, v))}</text>`);
  }
  axis.push('</g>');
  const front: string[] = [`<g class="series-panel" data-panel="${esc(p.id)}">`];
  front.push(halo(`<text class="panel-title" x="${f(fr.left + 6)}" y="${f(fr.top + 11)}" font-size="11" font-weight="bold" fill="#333">${esc(p.title)}</text>`));
  front.push(`<g clip-path="url(#${fr.clipId})">`);
  for (const l of p.lines) {
    const path = line<readonly [number, number]>()
      .x(([t]) => Math.round(fr.x(t) * 10) / 10)
      .y(([, v]) => Math.round(y(v) * 10) / 10)
      .curve(l.curve === 'step' ? curveStepAfter : curveLinear)(l.points);
    if (path) front.push(`<path class="series" data-name="${esc(l.name)}" d="${path}" fill="none" stroke="${l.colour}" stroke-width="1.8" stroke-linejoin="round"${l.dash ? ` stroke-dasharray="${l.dash}"` : ''}/>`);
  }
  // Reference lines, labelled at the left; a label that would touch the one below moves right of it.
  let below = { y: Infinity, right: fr.left };
  for (const r of [...(p.refs ?? [])].sort((a, b) => a.value - b.value)) {
    const yy = y(r.value);
    const text = `${r.label} ${formatValue(p.unit, r.value)}`;
    const tx = below.y - yy < 11 ? below.right + 10 : fr.left + 4;
    front.push(`<line class="ref" data-ref="${esc(r.label)}" x1="${f(fr.left)}" x2="${f(fr.right)}" y1="${f(yy)}" y2="${f(yy)}" stroke="${r.colour}" stroke-width="1.2"${r.dash ? ` stroke-dasharray="${r.dash}"` : ''}/>`);
    front.push(halo(`<text class="ref-label" x="${f(tx)}" y="${f(yy - 3)}" font-size="9" fill="${r.colour}">${esc(text)}</text>`));
    below = { y: yy, right: tx + textWidth(text, 9) };
  }
  for (const m of p.marks ?? []) {
    const [mx, my] = [fr.x(m.t), y(m.value)];
    front.push(`<circle class="mark" cx="${f(mx)}" cy="${f(my)}" r="3" fill="${m.colour}"/>`);
    // Below-right of the point, where a rising line is not.
    front.push(halo(`<text class="mark-label" x="${f(mx + 5)}" y="${f(Math.min(my + 12, fr.bottom - 3))}" font-size="9" fill="${m.colour}">${esc(m.text)}</text>`));
  }
  front.push('</g>');
  // End labels: the line's name and its value at the end, kept apart.
  const ends = p.lines.map((l) => ({ l, y: y(l.points.at(-1)?.[1] ?? 0) }));
  const order = ends.map((_, i) => i).sort((a, b) => ends[a]!.y - ends[b]!.y);
  let prev = -Infinity;
  const pos = new Array<number>(ends.length);
  for (const i of order) prev = pos[i] = Math.max(ends[i]!.y, prev + 22, fr.top + 8);
  let next = Infinity;
  for (const i of [...order].reverse()) next = pos[i] = Math.min(pos[i]!, next - 22, fr.bottom + 4);
  ends.forEach(({ l, y: ly }, i) => {
    const py = pos[i]!;
    if (Math.abs(py - ly) > 1) front.push(`<line x1="${f(fr.right)}" y1="${f(ly)}" x2="${f(fr.right + 5)}" y2="${f(py)}" stroke="${l.colour}"/>`);
    front.push(`<text x="${f(fr.right + 8)}" y="${f(py - 1)}" font-size="10" font-weight="bold" fill="${l.colour}">${esc(l.name)}</text>`);
    front.push(`<text x="${f(fr.right + 8)}" y="${f(py + 10)}" font-size="9" fill="${MUTED}">${esc(formatValue(p.unit, l.points.at(-1)?.[1] ?? 0))}</text>`);
  });
  front.push(`<rect class="frame-series" x="${f(fr.left)}" y="${f(fr.top)}" width="${f(fr.right - fr.left)}" height="${f(fr.bottom - fr.top)}" fill="none" stroke="#999"/>`);
  front.push('</g>');
  return { axis, front };
}

/**
 * The run as a picture (docs/charts.md): one standalone SVG with the WAL position of every node over
 * wall-clock time, and on the same time axis the faults, plan steps, promotions, write outages and stalls,
 * and the time ranges whose acknowledged commits were lost (Jepsen-style shaded intervals).
 *
 * When the report has transaction-ID entries (`report.xid`), a second panel on the same time axis shows
 * max age(datfrozenxid) per cluster against the wraparound limits and autovacuum_freeze_max_age, with the
 * horizon holds, the long vacuums, the first warning, the stop and the fired alerts. With a single node and
 * no data loss the WAL line is a straight rise that says nothing: the XID panel is then the whole chart.
 *
 * Reads only the report, the history and (optionally) the nodes' settings. Output is deterministic: same
 * input, same bytes (coordinates rounded to 0.1 px, no clock, no randomness, no locale-dependent formatting).
 *
 * This module lays the chart out (header, legend, marker strip, the periods' lanes, the panels, the time
 * axis) and draws what spans all panels; the parts are in chart/: the WAL panel (wal.ts), the XID panel
 * (xid.ts), pg_wal and series panels (storage.ts, series.ts), the marker strip (markers.ts), the periods
 * (periods.ts), scales (ticks.ts), the frame every panel shares (frame.ts) and SVG helpers (svg.ts).
 */
import { extent, max } from 'd3-array';
import { DateTime } from 'luxon';
import type { Micros } from '../engine/time.ts';
import type { History } from '../history/history.ts';
import type { Action } from '../scenario/types.ts';
import type { DiskJobSpec } from '../scenario/types-block.ts';
import { writeBands, type Panel, type PlotFrame } from './chart/frame.ts';
import { badgeWidth, BADGE_FONT, collectAnnotations, KEY_INDENT, KEY_ROW, LABEL_FONT, layoutAnnotations, layoutKey, ROW } from './chart/markers.ts';
import { actionPeriods, type Period } from './chart/periods.ts';
import { storageClusters, storagePanels } from './chart/storage.ts';
import { drawLinePanel, endLabelWidth, seriesPanels, successPanel, tickLabelWidth, type LinePanel } from './chart/series.ts';
import { band, BLOCKED, CHAR_WIDTH, clip, esc, f, FONT, FREEZE, GRID, halo, HOLD, INK, lanes, LOST, MUTED, OUTAGE, STALL, STOP, textWidth, VACUUM, WARN } from './chart/svg.ts';
import { ageTicks, DAY_MS, timeTicks, yTicks } from './chart/ticks.ts';
import { buildSeries, drawWalPanel, endDetail, lostText, NODE_COLOURS, TIMELINE_GAPS, timelinesOf, type Series } from './chart/wal.ts';
import { ageEndText, buildXid, drawXidPanel, xidSummary, type XidData } from './chart/xid.ts';
import { duration } from './format.ts';
import { Clock } from './time.ts';
import type { Report } from './types.ts';

export { MARKER_ROWS } from './chart/markers.ts';

export interface ChartOptions {
  /** Pixels; default 1000. */
  readonly width?: number;
  /** Pixels; default: as tall as the panels the run has need (sized to content). */
  readonly height?: number;
  /** Default: the scenario's name (and variant). */
  readonly title?: string;
  /**
   * A time axis shared with other charts (compare --html draws runs one above the other): the span shown, in
   * µs from this run's start (may begin before it), and the plot's left and right edges in pixels.
   */
  readonly timeAxis?: { readonly from: number; readonly to: number; readonly plotLeft: number; readonly plotRight: number };
}

/**
 * What the chart reads from the simulated world (runScenario's `world` is one): the nodes' settings, and the
 * scenario's timed actions and disk jobs (the periods it shades).
 */
export interface ChartWorld {
  readonly clusters: ReadonlyMap<string, { readonly nodes: ReadonlyMap<string, { readonly isPrimary: boolean; readonly settings: { readonly autovacuumFreezeMaxAge: number } }> }>;
  readonly scenario?: { readonly actions: readonly Action[]; readonly block?: { readonly jobs: readonly DiskJobSpec[] } };
}

export interface ChartInput {
  readonly report: Report;
  readonly history: History;
  /** Optional: where autovacuum_freeze_max_age comes from (200 million, the default, without it). */
  readonly world?: ChartWorld;
}

/** Faults and plan periods (Jepsen's nemesis bands): a hatch for faults, a tint for the plan's periods. */
const FAULT = '#a50f15';
const PLAN = '#3a6ea5';
const PERIOD_LANE = 17;

export function renderChartSvg(result: ChartInput, opts: ChartOptions = {}): string {
  const { report, history } = result;
  const width = Math.max(400, opts.width ?? 1000);

  const start = DateTime.fromISO(report.start, { setZone: true });
  const startMs = start.toMillis();
  const zone = report.timezone;
  const clock = new Clock(startMs, zone);
  const toUs = (iso: string): number => Math.round((DateTime.fromISO(iso, { setZone: true }).toMillis() - startMs) * 1000);
  const endUs = Math.max(toUs(report.end), 1000);
  const multiCluster = new Set(report.nodes.map((n) => n.cluster)).size > 1;
  // Runs of weeks or months are read to the minute.
  const long = endUs > 14 * DAY_MS * 1000;
  const when = (t: number): string => (long ? DateTime.fromMillis(startMs + t / 1000, { zone }).toFormat('yyyy-MM-dd HH:mm') : clock.short(t as Micros));

  const xid = buildXid(report, history, result.world, endUs);
  // WAL positions when the run has PostgreSQL nodes; with one node and no loss its line is a straight rise that
  // says nothing, and the XID panel takes its place.
  const showWal = report.nodes.length > 0 && (xid === null || report.nodes.length > 1 || report.dataLoss.length > 0);
  const series = showWal ? buildSeries(report, history, endUs) : [];
  // pg_wal and slot retention per node (chart/storage.ts) replace the cluster-wide slot_lag / pg_wal_size lines.
  const covered = storageClusters(report);
  const otherSeries = (report.series ?? []).filter((s) => !/ (slot_lag|pg_wal_size)$/.test(s.name) || !covered.has(s.name.replace(/ (slot_lag|pg_wal_size)$/, '')));
  // pg_wal lines in the nodes' colours of the WAL panel (buildSeries: the report's node order).
  const nodeColour = (node: string): string => NODE_COLOURS[Math.max(0, report.nodes.findIndex((n) => n.name === node)) % NODE_COLOURS.length]!;
  const linePanels: LinePanel[] = [...storagePanels(report, toUs, nodeColour), ...seriesPanels(otherSeries, toUs, report.shortfalls), ...[successPanel(report, toUs, endUs)].filter((p): p is LinePanel => p !== null)];
  const periods = buildPeriods(result.world, history, endUs);

  // ---- Panel heights: sized to content (a given height is shared out in the same proportions).
  const wanted = [...(showWal ? [260] : []), ...(xid ? [250] : []), ...linePanels.map((p) => (p.id === 'success' ? 90 : 130))];

  // ---- y domain: WAL position in bytes (from 0 unless the run starts far from it).
  const lsns = series.flatMap((s) => s.points.map((p) => p.lsn));
  const [lo0 = 0, hi0 = 16 * 2 ** 20] = extent(lsns);
  const span = hi0 - lo0 || Math.max(hi0 * 0.1, 2 ** 20);
  const yLo = lo0 < span * 0.5 ? 0 : lo0 - span * 0.06;
  const yHi = (hi0 === lo0 ? hi0 + span : hi0) + span * 0.06;

  // ---- horizontal layout: y-axis labels left (as wide as the widest tick label), end-of-line labels right.
  const yTickCount = (plotHeight: number) => Math.max(2, Math.round(plotHeight / 45));
  const widest = (labels: (c: number) => readonly string[], h: number) => max([yTickCount(h), yTickCount(h) * 2], (c) => max(labels(c), (l) => textWidth(l, 10)) ?? 0) ?? 0;
  const yLabelWidth = Math.max(
    showWal ? widest((c) => yTicks(yLo, yHi, c).labels, 260) : 0,
    xid ? widest((c) => ageTicks(xid.yHi, c).labels, 250) : 0,
    ...linePanels.map((p) => tickLabelWidth(p, 116)),
  );
  const plotLeft = opts.timeAxis?.plotLeft ?? Math.round(30 + yLabelWidth);
  const rightLabelWidth = Math.max(
    80,
    ...series.map((s) => textWidth(endDetail(s), 9)),
    ...series.map((s) => textWidth(s.node, 10)),
    ...(xid?.lines ?? []).flatMap((l) => [textWidth(l.entry.cluster, 10), textWidth(ageEndText(l), 9)]),
    ...linePanels.map(endLabelWidth),
  );
  const plotRight = opts.timeAxis?.plotRight ?? width - rightLabelWidth - 14;
  const [axisFrom, axisTo] = opts.timeAxis ? [opts.timeAxis.from, Math.max(opts.timeAxis.to, opts.timeAxis.from + 1000)] : [0, endUs];
  const xAt = (t: number): number => plotLeft + ((t - axisFrom) / (axisTo - axisFrom)) * (plotRight - plotLeft);
  const x = (t: number): number => xAt(Math.min(Math.max(t, 0), endUs));

  // ---- vertical layout: title, subtitle (and a line per XID cluster), legend rows, marker strip, the
  // periods' lanes, the panels, the time axis.
  const xidSummaries = (xid?.lines ?? []).map((l) => xidSummary(l.entry, when, toUs));
  const headerBottom = 44 + xidSummaries.length * 14;
  const legend = layoutLegend(series, timelinesOf(series), report, width, xid, periods);
  const legendBottom = headerBottom + legend.rows * 16;
  const annotations = collectAnnotations(report, history, when, long, toUs, endUs, series, multiCluster, xid, periods);
  const { placed, numbered, rows } = layoutAnnotations(annotations, x, width);
  const markersBottom = legendBottom + rows * ROW + (rows ? 8 : 4);
  const periodBars = layoutPeriods(periods, x, endUs, plotRight);
  const periodRows = periodBars.length ? Math.max(...periodBars.map((p) => p.lane)) + 1 : 0;
  const plotTop = markersBottom + periodRows * PERIOD_LANE + (periodRows ? 6 : 0);
  const gap = 14;
  // The key of the numbered markers, under the time axis.
  const key = layoutKey(numbered, width);
  const fixed = plotTop + 34 + key.height + gap * Math.max(0, wanted.length - 1);
  const scale = opts.height === undefined || wanted.length === 0 ? 1 : Math.max(0.4, (opts.height - fixed) / wanted.reduce((a, h) => a + h, 0));
  const frames: Panel[] = [];
  let cursor = plotTop;
  for (const h of wanted) {
    frames.push({ top: Math.round(cursor), bottom: Math.round(cursor + h * scale) });
    cursor += h * scale + gap;
  }
  const plotBottom = frames.at(-1)?.bottom ?? plotTop + 40;
  const height = Math.max(opts.height ?? 0, Math.round(plotBottom + 34 + key.height));
  let k = 0;
  const walPanel: Panel | null = showWal ? frames[k++]! : null;
  const xidPanel: Panel | null = xid ? frames[k++]! : null;
  const lineFrames = linePanels.map(() => frames[k++]!);
  const panels = frames;

  const out: string[] = [];
  const title = opts.title ?? `${report.scenario}${report.variant ? ` (variant ${report.variant})` : ''}`;
  const what = [showWal ? 'WAL position per node' : null, xid ? 'transaction ID age' : null, ...linePanels.map((p) => p.title)].filter((w) => w !== null).join(', ') || 'the run';
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="${FONT}" font-size="11" fill="${INK}">`,
  );
  out.push(`<title>${esc(`${title}: ${what}, ${report.start} to ${report.end}`)}</title>`);
  out.push('<defs>');
  out.push(
    `<pattern id="replsim-lost" width="7" height="7" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="7" height="7" fill="${LOST}" fill-opacity="0.04"/><rect width="2" height="7" fill="${LOST}" fill-opacity="0.2"/></pattern>`,
  );
  out.push(
    `<pattern id="replsim-fault" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(-45)"><rect width="6" height="6" fill="${FAULT}" fill-opacity="0.05"/><rect width="1.5" height="6" fill="${FAULT}" fill-opacity="0.16"/></pattern>`,
  );
  const clipIds = new Map<Panel, string>();
  [walPanel, xidPanel, ...lineFrames].forEach((p, i) => {
    if (!p) return;
    const id = i === 0 ? 'replsim-plot' : i === 1 ? 'replsim-xid' : `replsim-series-${i - 2}`;
    clipIds.set(p, id);
    out.push(`<clipPath id="${id}"><rect x="${f(plotLeft)}" y="${f(p.top)}" width="${f(plotRight - plotLeft)}" height="${f(p.bottom - p.top)}"/></clipPath>`);
  });
  out.push('</defs>');
  out.push(`<rect width="${width}" height="${height}" fill="#fff"/>`);

  // Title and a one-line summary (and one per cluster whose transaction IDs are modelled).
  out.push(`<text x="12" y="20" font-size="15" font-weight="bold">${esc(clip(title, Math.floor((width - 24) / (15 * CHAR_WIDTH))))}</text>`);
  out.push(`<text x="12" y="36" fill="${MUTED}">${esc(clip(summary(report, start, clock), Math.floor((width - 24) / (11 * CHAR_WIDTH))))}</text>`);
  xidSummaries.forEach((s, i) => {
    out.push(`<text class="xid-summary" x="12" y="${f(50 + i * 14)}" fill="${INK}">${esc(clip(s, Math.floor((width - 24) / (11 * CHAR_WIDTH))))}</text>`);
  });
  out.push(...legend.svg.map((s) => s.replace(/\{Y(\d+)\}/g, (_, r: string) => f(headerBottom + 14 + Number(r) * 16))));

  const frame: PlotFrame = { report, history, plotLeft, plotRight, axisFrom, axisTo, endUs, x, toUs, yTickCount };
  const wal = walPanel ? drawWalPanel(frame, walPanel, series, yLo, yHi) : null;
  const age = xid && xidPanel ? drawXidPanel(frame, xid, xidPanel) : null;
  const drawn = linePanels.map((p, i) => drawLinePanel(p, { left: plotLeft, right: plotRight, top: lineFrames[i]!.top, bottom: lineFrames[i]!.bottom, x, clipId: clipIds.get(lineFrames[i]!)! }));
  out.push(...(wal?.axis ?? []), ...(age?.axis ?? []), ...drawn.flatMap((d) => d.axis));

  // Time axis: grid lines through every panel, ticks under the lowest.
  const xt = timeTicks(startMs + axisFrom / 1000, startMs + axisTo / 1000, zone, Math.max(2, Math.floor((plotRight - plotLeft) / 85)));
  out.push('<g class="x-axis">');
  for (const tk of xt) {
    const xx = f(xAt(tk.us + axisFrom));
    for (const p of panels) out.push(`<line x1="${xx}" x2="${xx}" y1="${f(p.top)}" y2="${f(p.bottom)}" stroke="${GRID}"/>`);
    out.push(`<line x1="${xx}" x2="${xx}" y1="${f(plotBottom)}" y2="${f(plotBottom + 4)}" stroke="${MUTED}"/>`);
    out.push(`<text x="${xx}" y="${f(plotBottom + 15)}" text-anchor="middle" fill="${MUTED}" font-size="10">${esc(tk.label)}</text>`);
    if (tk.date) out.push(`<text x="${xx}" y="${f(plotBottom + 27)}" text-anchor="middle" fill="${MUTED}" font-size="9">${esc(tk.date)}</text>`);
  }
  out.push(`<text x="${f(width - 6)}" y="${f(plotBottom + 15)}" text-anchor="end" fill="${MUTED}" font-size="9">${esc(clock.zoneName)}</text>`);
  out.push('</g>');

  // The plan's and the faults' periods: shaded over every panel (behind everything), and as labelled bars
  // in lanes above the panels.
  out.push('<g class="periods">');
  for (const b of periodBars) {
    for (const p of panels) {
      out.push(`<rect class="period-shade" data-source="${b.period.source}" x="${f(b.x)}" y="${f(p.top)}" width="${f(b.w)}" height="${f(p.bottom - p.top)}" fill="${b.period.source === 'faults' ? 'url(#replsim-fault)' : PLAN}" ${b.period.source === 'faults' ? '' : 'fill-opacity="0.07" '}/>`);
    }
  }
  for (const b of periodBars) {
    const y0 = markersBottom + b.lane * PERIOD_LANE;
    const colour = b.period.source === 'faults' ? FAULT : PLAN;
    out.push(`<rect class="period" data-source="${b.period.source}" x="${f(b.x)}" y="${f(y0)}" width="${f(b.w)}" height="${PERIOD_LANE - 5}" fill="${colour}" fill-opacity="0.3" stroke="${colour}" stroke-width="0.8"/>`);
    out.push(halo(`<text class="period-label" x="${f(b.textX)}" y="${f(y0 + PERIOD_LANE - 8)}" text-anchor="${b.anchor}" font-size="10" fill="${b.period.source === 'faults' ? '#7f0000' : '#1c3d6e'}">${esc(b.text)}</text>`));
  }
  out.push('</g>');

  out.push(...(wal?.back ?? []), ...(age?.back ?? []));
  // Outages and stalls in the series panels too.
  out.push(...lineFrames.flatMap((p) => ['<g class="bands">', ...writeBands(frame, p, 'series'), '</g>']));

  // Leader lines of the annotations: from the bottom of the lowest panel up to their label.
  out.push('<g class="markers">');
  for (const p of [...placed, ...numbered]) {
    const top = markersBottom - 8 - p.row * ROW - 9;
    out.push(
      `<line x1="${f(p.x)}" x2="${f(p.x)}" y1="${f(plotBottom)}" y2="${f(top)}" stroke="${p.colour}" stroke-width="1"${p.dash ? ` stroke-dasharray="${p.dash}"` : ''} stroke-opacity="0.8"/>`,
    );
  }
  out.push('</g>');
  out.push(...(wal?.front ?? []), ...(age?.front ?? []), ...drawn.flatMap((d) => d.front));

  // The annotation strip above the plot.
  out.push('<g class="annotations">');
  for (const p of placed) {
    const ty = markersBottom - 8 - p.row * ROW;
    const tx = p.anchor === 'start' ? p.x + 3 : p.x - 3;
    out.push(halo(`<text x="${f(tx)}" y="${f(ty)}" text-anchor="${p.anchor}" font-size="${LABEL_FONT}" fill="${p.colour}">${esc(p.text)}</text>`));
  }
  // Markers without room for their text: a numbered badge on the leader, the text in the key below.
  for (const p of numbered) {
    const ty = markersBottom - 8 - p.row * ROW;
    out.push(
      `<g class="marker-number" data-n="${p.n}"><rect x="${f(p.left)}" y="${f(ty - 9)}" width="${f(p.right - p.left)}" height="11" rx="5.5" fill="${p.colour}"/><text x="${f((p.left + p.right) / 2)}" y="${f(ty - 0.5)}" text-anchor="middle" font-size="${BADGE_FONT}" font-weight="bold" fill="#fff">${p.n}</text></g>`,
    );
  }
  out.push('</g>');
  if (key.entries.length > 0) {
    out.push('<g class="marker-key">');
    const top = plotBottom + 34;
    for (const e of key.entries) {
      const y0 = top + e.row * KEY_ROW + 10;
      out.push(`<rect x="${f(e.x)}" y="${f(y0 - 8.5)}" width="${f(badgeWidth(e.n))}" height="11" rx="5.5" fill="${e.colour}"/>`);
      out.push(`<text x="${f(e.x + badgeWidth(e.n) / 2)}" y="${f(y0)}" text-anchor="middle" font-size="${BADGE_FONT}" font-weight="bold" fill="#fff">${e.n}</text>`);
      // One text per label (its wrapped lines as tspans, the space kept at each break).
      const spans = e.parts.map((t, k) => `<tspan x="${f(e.x + KEY_INDENT)}" y="${f(y0 + k * KEY_ROW)}">${esc(k < e.parts.length - 1 ? `${t} ` : t)}</tspan>`);
      out.push(`<text class="marker-key-label" data-n="${e.n}" font-size="10" fill="${e.colour === MUTED ? INK : e.colour}">${spans.join('')}</text>`);
    }
    out.push('</g>');
  }

  out.push('</svg>');
  return `${out.join('\n')}\n`;
}

// Periods

/** The periods of the scenario's plan and faults (and of the disk jobs it starts with), from the world. */
function buildPeriods(world: ChartWorld | undefined, history: History, endUs: number): Period[] {
  const sc = world?.scenario;
  if (!sc) return [];
  const jobs: Action[] = (sc.block?.jobs ?? []).map((job) => ({ kind: 'block', step: { op: 'startJob', job }, at: 0 as Micros, name: null, source: 'plan' }));
  // A job that ends by itself (a backup that read its size): the model's lifecycle event says when.
  const jobEnd = (disk: string, name: string, from: number): number | null =>
    history.events.find((e) => e.at >= from && e.fact.kind === 'disk-job-finished' && e.fact.name === name && e.fact.disk === disk)?.at ?? null;
  return actionPeriods([...jobs, ...sc.actions], endUs, jobEnd);
}

interface PeriodBar {
  readonly period: Period;
  readonly x: number;
  readonly w: number;
  readonly lane: number;
  readonly text: string;
  readonly textX: number;
  readonly anchor: 'start' | 'end';
}

/** Bars in lanes, each with its label inside or right of it (left of it near the right edge); labels never overlap. */
function layoutPeriods(periods: readonly Period[], x: (t: number) => number, endUs: number, plotRight: number): PeriodBar[] {
  const items = periods.map((p) => {
    const { x: bx, w } = band(x(p.from), x(p.to ?? endUs));
    const text = `${p.label}${p.to === null ? ' (to the end)' : `, ${duration((p.to - p.from) / 1e6)}`}`;
    const tw = textWidth(text, 10) + 6;
    const right = bx + 3 + tw <= plotRight + 60;
    const left = right ? bx : Math.min(bx, bx + w - tw);
    return { p, bx, w, text, left, right: Math.max(bx + w, right ? bx + 3 + tw : bx + w), anchor: right ? ('start' as const) : ('end' as const) };
  });
  const lane = lanes(items, 6);
  return items.map((it, i) => ({ period: it.p, x: it.bx, w: it.w, lane: lane[i]!, text: it.text, textX: it.anchor === 'start' ? it.bx + 3 : it.bx + it.w - 3, anchor: it.anchor }));
}

function layoutLegend(series: readonly Series[], tls: readonly number[], report: Report, width: number, xid: XidData | null, periods: readonly Period[]): { svg: string[]; rows: number } {
  const items: { w: number; draw: (x: number, row: number) => string }[] = [];
  for (const s of series) {
    const text = s.status ? `${s.node} (${s.status})` : s.node;
    items.push({
      w: 24 + textWidth(text, 10) + 14,
      draw: (x, r) =>
        `<line x1="${f(x)}" x2="${f(x + 18)}" y1="{Y${r}}" y2="{Y${r}}" stroke="${s.colour}" stroke-width="4"/><text x="${f(x + 23)}" y="{Y${r}}" dy="3.5" font-size="10">${esc(text)}</text>`,
    });
  }
  if (tls.length > 1) {
    tls.forEach((tli, i) => {
      const gaps = TIMELINE_GAPS[i % TIMELINE_GAPS.length] ?? null;
      items.push({
        w: 30 + textWidth(`TL ${tli}`, 10) + 12,
        draw: (x, r) =>
          `<line x1="${f(x)}" x2="${f(x + 24)}" y1="{Y${r}}" y2="{Y${r}}" stroke="${MUTED}" stroke-width="3"/>` +
          (gaps ? `<line x1="${f(x)}" x2="${f(x + 24)}" y1="{Y${r}}" y2="{Y${r}}" stroke="#fff" stroke-width="3.6" stroke-dasharray="${gaps}"/>` : '') +
          `<text x="${f(x + 29)}" y="{Y${r}}" dy="3.5" font-size="10" fill="${MUTED}">${esc(`TL ${tli}`)}</text>`,
      });
    });
  }
  const box = (label: string, fill: string, opacity: number | null) => ({
    w: 18 + textWidth(label, 10) + 12,
    draw: (x: number, r: number) =>
      `<rect x="${f(x)}" y="{Y${r}}" transform="translate(0 -5)" width="12" height="10" fill="${fill}"${opacity === null ? '' : ` fill-opacity="${opacity}"`} stroke="#bbb" stroke-width="0.5"/><text x="${f(x + 16)}" y="{Y${r}}" dy="3.5" font-size="10" fill="${MUTED}">${esc(label)}</text>`,
  });
  const line = (label: string, colour: string, widthPx: number, dash: string | null) => ({
    w: 24 + textWidth(label, 10) + 14,
    draw: (x: number, r: number) =>
      `<line x1="${f(x)}" x2="${f(x + 18)}" y1="{Y${r}}" y2="{Y${r}}" stroke="${colour}" stroke-width="${widthPx}"${dash ? ` stroke-dasharray="${dash}"` : ''}/><text x="${f(x + 23)}" y="{Y${r}}" dy="3.5" font-size="10"${colour === INK ? '' : ` fill="${MUTED}"`}>${esc(label)}</text>`,
  });
  for (const l of xid?.lines ?? []) items.push(line(`max age(datfrozenxid) of ${l.entry.cluster}`, l.colour, 3, null));
  if (xid) {
    items.push(line('stop limit', STOP, 1.5, null), line('WARNING limit', WARN, 1.5, '6 3'), line('autovacuum_freeze_max_age', FREEZE, 1.5, '2 3'));
    if (xid.holds.length) items.push(box('horizon held', HOLD, 0.35));
    if (xid.vacuums.some((v) => !v.blockedBy)) items.push(box('vacuum (5 min or more)', VACUUM, 0.35));
    if (xid.vacuums.some((v) => v.blockedBy)) items.push(box('vacuum that could not freeze', BLOCKED, 0.6));
  }
  if (periods.some((p) => p.source === 'faults')) items.push(box('fault', 'url(#replsim-fault)', null));
  if (periods.some((p) => p.source === 'plan')) items.push(box('plan step in effect', PLAN, 0.3));
  if (report.outages.length) items.push(box('write outage', OUTAGE, 0.16));
  if (report.stalls.length) items.push(box('write stall', STALL, 0.2));
  if (report.dataLoss.length) items.push(box('acknowledged commits lost', 'url(#replsim-lost)', null));
  const svg: string[] = [];
  let cx = 12;
  let row = 0;
  for (const it of items) {
    if (cx + it.w > width - 8 && cx > 12) {
      row++;
      cx = 12;
    }
    svg.push(it.draw(cx, row));
    cx += it.w;
  }
  return { svg, rows: row + 1 };
}


// ---------------------------------------------------------------------------------------------------------
// Text

function summary(report: Report, start: DateTime, clock: Clock): string {
  const end = DateTime.fromISO(report.end, { setZone: true });
  const lost = report.dataLoss.reduce((n, l) => n + l.commits, 0);
  const survivors = report.survivors.map((s) => (report.survivors.length > 1 ? `${s.cluster}: ${s.node ?? 'none'}` : (s.node ?? 'none'))).join(', ');
  const parts = [
    `${start.toFormat('yyyy-MM-dd HH:mm:ss')} to ${end.hasSame(start, 'day') ? end.toFormat('HH:mm:ss') : end.toFormat('yyyy-MM-dd HH:mm:ss')} ${clock.zoneName}`,
    `seed ${report.seed}`,
    ...(report.nodes.length > 0 ? [`survivor: ${survivors}`] : []),
    // A replicated block device loses writes, a PostgreSQL cluster commits.
    report.dataLoss.some((l) => !l.table) ? lostText(lost, report.nodes.length > 0 ? 'commit' : 'write') : report.dataLoss.length === 0 ? `no acknowledged ${report.nodes.length > 0 ? 'commit' : 'write'} lost` : '',
    ...report.dataLoss.flatMap((l) => (l.table ? [`table ${l.table.name} lost whole`] : [])),
  ];
  if (report.outages.length) parts.push(`${report.outages.length} write outage${report.outages.length === 1 ? '' : 's'}`);
  if (report.stalls.length) parts.push(`${report.stalls.length} write stall${report.stalls.length === 1 ? '' : 's'}`);
  return parts.filter((x) => x !== '').join(' · ');
}

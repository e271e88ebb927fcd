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
 */
import { bisector, extent, group, max, range, tickStep, ticks } from 'd3-array';
import { DateTime } from 'luxon';
import type { Micros } from '../engine/time.ts';
import type { History, HoldRecord, MetricSample } from '../history/history.ts';
import { collapseVacuums, type CollapsedVacuum } from '../checkers/vacuums.ts';
import { formatLsn, type Lsn } from '../models/postgres/lsn.ts';
import type { Action } from '../scenario/types.ts';
import type { DiskJobSpec } from '../scenario/types-block.ts';
import { actionPeriods, type Period } from './chart/periods.ts';
import { storageClusters, storagePanels } from './chart/storage.ts';
import { drawLinePanel, endLabelWidth, seriesPanels, successPanel, tickLabelWidth, type LinePanel } from './chart/series.ts';
import { band, CHAR_WIDTH, clip, esc, f, FONT, GRID, halo, INK, lanes, LOST, MUTED, OUTAGE, STALL, textWidth } from './chart/svg.ts';
import { count, counted, duration, shortCount, sizeIn } from './format.ts';
import { Clock } from './time.ts';
import type { Report, XidJson } from './types.ts';
import { factText } from './facts/index.ts';

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

const NODE_COLOURS = ['#1f77b4', '#2ca02c', '#e6a100', '#6a3d9a', '#8c564b', '#17becf', '#7f7f7f', '#bcbd22', '#e377c2', '#393b79', '#637939'];
const ROW = 13;
const LABEL_FONT = 10;

/** The XID panel: one dark colour per cluster (unlike the node colours of the WAL panel). */
const AGE_COLOURS = ['#08306b', '#7f2704', '#00441b', '#3f007d'];
const STOP = '#b2182b';
const WARN = '#d97700';
const FREEZE = '#555';
const HOLD = '#756bb1';
const VACUUM = '#31a354';
const BLOCKED = '#969696';
const ALERT = '#7b3294';
const DEFAULT_FREEZE_MAX_AGE = 200_000_000;
/** Vacuums at least this long get a band (shorter ones are invisible at the scale of an XID story). */
const LONG_VACUUM_US = 5 * 60e6;
const LANE = 16;
/** Faults and plan periods (Jepsen's nemesis bands): a hatch for faults, a tint for the plan's periods. */
const FAULT = '#a50f15';
const PLAN = '#3a6ea5';
const PERIOD_LANE = 17;

/**
 * How a timeline's stretch of a node's line looks: white gaps drawn over the solid line (rank 0, the
 * lowest timeline in the chart, stays solid). The dash arrays give the gaps, not the visible dashes.
 */
const TIMELINE_GAPS: readonly (string | null)[] = [null, '4 9', '3 2.5', '3 9 3 2', '6 3'];

/** Nice intervals for time ticks, in ms (as d3-scale's time scale, in the scenario's zone). */
const TIME_STEPS = [
  1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10_000, 15_000, 30_000, 60_000, 120_000, 300_000, 600_000, 900_000, 1_800_000, 3_600_000,
  7_200_000, 10_800_000, 21_600_000, 43_200_000, 86_400_000, 172_800_000, 604_800_000,
];
const DAY_MS = 86_400_000;
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

interface Point {
  readonly t: number;
  readonly lsn: Lsn;
  readonly tli: number;
}

interface Series {
  readonly node: string;
  readonly colour: string;
  readonly width: number;
  readonly points: readonly Point[];
  readonly status: string;
}

interface Annotation {
  /** µs since start where the leader line stands. */
  readonly t: number;
  readonly text: string;
  readonly colour: string;
  readonly priority: number;
  readonly dash: string | null;
}

interface Placed extends Annotation {
  readonly x: number;
  readonly row: number;
  readonly anchor: 'start' | 'end';
  readonly left: number;
  readonly right: number;
}

/** max age(datfrozenxid) of a cluster: (µs, age) breakpoints of a piecewise-linear line. */
interface AgePoint {
  readonly t: number;
  readonly v: number;
}

interface AgeLine {
  readonly entry: XidJson;
  readonly colour: string;
  readonly points: readonly AgePoint[];
}

interface LimitLine {
  readonly kind: 'stop' | 'warn' | 'freeze';
  readonly age: number;
  readonly text: string;
}

interface XidData {
  readonly lines: readonly AgeLine[];
  readonly limits: readonly LimitLine[];
  readonly holds: readonly HoldRecord[];
  /** Long vacuums; an autovacuum retry loop is one entry over all its runs (checkers/vacuums.ts). */
  readonly vacuums: readonly CollapsedVacuum[];
  readonly freezeMaxAge: ReadonlyMap<string, number>;
  readonly yHi: number;
}

interface Panel {
  readonly top: number;
  readonly bottom: number;
}

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

  const wal = walPanel ? drawWalPanel() : null;
  const age = xid && xidPanel ? drawXidPanel(xid, xidPanel) : null;
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
  out.push(...lineFrames.flatMap((p) => ['<g class="bands">', ...writeBands(p, 'series'), '</g>']));

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

  /** The WAL position of every node: `back` goes behind the annotations' leader lines, `front` over them. */
  function drawWalPanel(): { axis: string[]; back: string[]; front: string[] } {
    const { top: plotTop, bottom: plotBottom } = walPanel!;
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
    back.push(...writeBands(walPanel!, null));
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

  /**
   * max age(datfrozenxid) per cluster against the warn and stop ages and autovacuum_freeze_max_age, over
   * the horizon holds (lanes at the top, a tint below) and the long vacuums; dots where the first warning,
   * the stop and the alerts came, and the peak labelled.
   */
  function drawXidPanel(xid: XidData, panel: Panel): { axis: string[]; back: string[]; front: string[] } {
    const axis: string[] = [];
    const back: string[] = [];
    const out: string[] = [];
    // Holds get a lane each at the top (lanes are shared by holds that do not meet, and by all when there
    // are many); the ages stay below.
    const maxLanes = Math.max(1, Math.floor(((panel.bottom - panel.top) * 0.25) / LANE));
    const lanes: number[] = [];
    const holds = xid.holds.map((h) => {
      const [a, b] = [x(h.since), x(h.until ?? endUs)];
      const text = `${h.holder} holds ${h.kind} (XID ${h.xid})${xid.lines.length > 1 ? ` in ${h.cluster}` : ''}`;
      const w = textWidth(text, 10) + 8;
      const [left, right] = a + w <= plotRight ? [a, Math.max(b, a + w)] : [Math.min(a, b - w), b];
      let lane = lanes.findIndex((end) => end + 4 <= left);
      if (lane < 0 && lanes.length >= maxLanes) lane = lanes.indexOf(Math.min(...lanes));
      if (lane < 0) lane = lanes.push(right) - 1;
      else lanes[lane] = Math.max(lanes[lane]!, right);
      return { h, a, b, text, lane, anchor: a + w <= plotRight ? ('start' as const) : ('end' as const) };
    });
    const scaleTop = panel.top + lanes.length * LANE + (lanes.length ? 6 : 0);
    const y = (v: number): number => panel.bottom - (v / xid.yHi) * (panel.bottom - scaleTop);
    const yInverse = (py: number): number => ((panel.bottom - py) / (panel.bottom - scaleTop)) * xid.yHi;

    axis.push('<g class="xid-axis">');
    const yt = ageTicks(xid.yHi, yTickCount(panel.bottom - scaleTop));
    yt.values.forEach((v, k) => {
      const yy = f(y(v));
      axis.push(`<line x1="${f(plotLeft)}" x2="${f(plotRight)}" y1="${yy}" y2="${yy}" stroke="${GRID}"/>`);
      axis.push(`<text x="${f(plotLeft - 6)}" y="${f(y(v) + 3.5)}" text-anchor="end" fill="${MUTED}" font-size="10">${esc(yt.labels[k]!)}</text>`);
    });
    axis.push(`<text transform="translate(14 ${f((panel.top + panel.bottom) / 2)}) rotate(-90)" text-anchor="middle" fill="${MUTED}" font-size="10">max age(datfrozenxid), XIDs</text>`);
    axis.push('</g>');

    back.push('<g class="xid-bands" clip-path="url(#replsim-xid)">');
    for (const { h, a, b } of holds) {
      back.push(
        `<rect class="hold" data-cluster="${esc(h.cluster)}" data-holder="${esc(h.holder)}" x="${f(a)}" y="${f(panel.top)}" width="${f(Math.max(b - a, 2))}" height="${f(panel.bottom - panel.top)}" fill="${HOLD}" fill-opacity="0.09"/>`,
      );
    }
    for (const v of xid.vacuums) {
      const [a, b] = [x(v.from), x(v.to)];
      back.push(
        `<rect class="vacuum" data-cluster="${esc(v.cluster)}" data-table="${esc(v.table)}" x="${f(a)}" y="${f(scaleTop)}" width="${f(Math.max(b - a, 2))}" height="${f(panel.bottom - scaleTop)}" fill="${v.blockedBy ? BLOCKED : VACUUM}" fill-opacity="${v.blockedBy ? 0.6 : 0.35}"/>`,
      );
    }
    back.push(...writeBands(panel, 'xid'));
    back.push('</g>');

    out.push('<g class="holds">');
    for (const { h, a, b, text, lane, anchor } of holds) {
      const ly = panel.top + 2 + lane * LANE;
      out.push(`<rect class="hold-lane" x="${f(a)}" y="${f(ly)}" width="${f(Math.max(b - a, 2))}" height="${f(LANE - 3)}" fill="${HOLD}" fill-opacity="0.35"/>`);
      const tx = anchor === 'start' ? a + 4 : b - 4;
      out.push(halo(`<text class="hold-label" data-holder="${esc(h.holder)}" x="${f(tx)}" y="${f(ly + 10)}" text-anchor="${anchor}" font-size="10" fill="#3f007d">${esc(text)}</text>`));
    }
    out.push('</g>');

    // The limits: stop and warn labelled at the right, above and below their lines; the vacuum trigger at the left.
    out.push('<g class="xid-limits">');
    let prevLabel = -Infinity;
    for (const l of [...xid.limits].sort((a, b) => b.age - a.age)) {
      const ly = y(l.age);
      const style = l.kind === 'stop' ? { c: STOP, w: 1.5, dash: '' } : l.kind === 'warn' ? { c: WARN, w: 1.2, dash: ' stroke-dasharray="6 3"' } : { c: FREEZE, w: 1, dash: ' stroke-dasharray="2 3"' };
      out.push(`<line class="limit" data-kind="${l.kind}" data-age="${l.age}" x1="${f(plotLeft)}" x2="${f(plotRight)}" y1="${f(ly)}" y2="${f(ly)}" stroke="${style.c}" stroke-width="${style.w}"${style.dash}/>`);
      const below = ly - 4 - prevLabel < 11;
      const ty = below ? ly + 12 : ly - 4;
      prevLabel = ty;
      // Where no age line runs through the label: the stop and warn labels from the right, the trigger's from the left.
      const w = textWidth(l.text, 10);
      const right = l.kind !== 'freeze';
      const tx = clearSpot(below ? [ly + 2, ly + 14] : [ly - 14, ly - 2], w, right);
      // Anchored at the end that was searched from (text is usually narrower than its estimate).
      out.push(halo(`<text x="${f(right ? tx + w : tx)}" y="${f(ty)}" text-anchor="${right ? 'end' : 'start'}" font-size="10" fill="${style.c}">${esc(l.text)}</text>`));
    }
    out.push('</g>');

    /**
     * The left end of a label `w` wide in the vertical span `box` (px) that no age line runs through: the
     * first such place from the left (or from the right), else the preferred end.
     */
    function clearSpot(box: readonly [number, number], w: number, fromRight: boolean): number {
      const [lo, hi] = [yInverse(box[1]), yInverse(box[0])];
      const tOf = (px: number) => axisFrom + ((px - plotLeft) / (plotRight - plotLeft)) * (axisTo - axisFrom);
      const [first, last] = [plotLeft + 6, plotRight - 6 - w];
      for (let k = 0; first + k * 10 <= last; k++) {
        const x0 = fromRight ? last - k * 10 : first + k * 10;
        const [t0, t1] = [tOf(x0 - 4), tOf(x0 + w + 4)];
        const clear = xid.lines.every((l) => {
          const vs = [ageAt(l.points, t0), ...l.points.filter((p) => p.t > t0 && p.t < t1).map((p) => p.v), ageAt(l.points, t1)].filter((v): v is number => v !== null);
          return vs.every((v, i) => i === 0 || Math.min(v, vs[i - 1]!) > hi || Math.max(v, vs[i - 1]!) < lo);
        });
        if (clear) return x0;
      }
      return fromRight ? last : first;
    }

    out.push('<g class="xid-lines" clip-path="url(#replsim-xid)">');
    for (const l of xid.lines) {
      if (l.points.length < 2) continue;
      out.push(
        `<polyline class="xid-age" data-cluster="${esc(l.entry.cluster)}" points="${l.points.map((p) => `${f(x(p.t))},${f(y(p.v))}`).join(' ')}" fill="none" stroke="${l.colour}" stroke-width="2" stroke-linejoin="round"/>`,
      );
    }
    out.push('</g>');

    // Dots where the story turns: the first warning, the stop, fired alerts; the peak with its value.
    out.push('<g class="xid-markers">');
    for (const l of xid.lines) {
      const e = l.entry;
      const dot = (cls: string, t: number, colour: string) => {
        const v = ageAt(l.points, t);
        if (v !== null) out.push(`<circle class="${cls}" data-cluster="${esc(e.cluster)}" cx="${f(x(t))}" cy="${f(y(v))}" r="4" fill="${colour}" stroke="#fff" stroke-width="1.5"/>`);
      };
      if (e.stopAt === null) {
        const t = toUs(e.maxAgeAt);
        const [px, py] = [x(t), y(e.maxAge)];
        out.push(`<circle class="xid-peak" data-cluster="${esc(e.cluster)}" cx="${f(px)}" cy="${f(py)}" r="3.5" fill="${l.colour}" stroke="#fff" stroke-width="1.5"/>`);
        const text = `peak ${count(e.maxAge)}`;
        const left = px - 7 - textWidth(text, 10) >= plotLeft;
        out.push(halo(`<text x="${f(left ? px - 7 : px + 7)}" y="${f(Math.max(py - 5, scaleTop + 10))}" text-anchor="${left ? 'end' : 'start'}" font-size="10" font-weight="bold" fill="${l.colour}">${esc(text)}</text>`));
      }
      if (e.firstWarningAt) dot('xid-warning', toUs(e.firstWarningAt), WARN);
      if (e.stopAt) dot('xid-stop', toUs(e.stopAt), STOP);
      for (const a of report.alerts) if (a.cluster === e.cluster && a.firedAt && a.metric === 'max_xid_age') dot('xid-alert', toUs(a.firedAt), ALERT);
    }
    out.push('</g>');

    out.push('<g class="xid-end-labels">');
    endLabels(
      out,
      xid.lines.map((l) => ({ y: y(l.points.at(-1)?.v ?? 0), colour: l.colour, name: l.entry.cluster, detail: ageEndText(l) })),
      scaleTop,
      panel.bottom,
    );
    out.push('</g>');
    out.push(`<rect class="frame-xid" x="${f(plotLeft)}" y="${f(panel.top)}" width="${f(plotRight - plotLeft)}" height="${f(panel.bottom - panel.top)}" fill="none" stroke="#999"/>`);
    return { axis, back, front: out };
  }

  /** Write outages and stalls, shaded in every panel (behind the lines). */
  function writeBands(p: Panel, panel: string | null): string[] {
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
  function endLabels(into: string[], ends: readonly { y: number; colour: string; name: string; detail: string }[], top: number, bottom: number): void {
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

// Data

function buildSeries(report: Report, history: History, endUs: number): Series[] {
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

function timelinesOf(series: readonly Series[]): number[] {
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

function collectAnnotations(
  report: Report,
  history: History,
  when: (t: number) => string,
  long: boolean,
  toUs: (iso: string) => number,
  endUs: number,
  series: readonly Series[],
  multiCluster: boolean,
  xid: XidData | null,
  periods: readonly Period[],
): Annotation[] {
  // A plan step or fault that begins or ends a period is drawn as the period's bar, not as a marker.
  const inPeriod = (e: History['events'][number]) =>
    periods.some((p) => (p.from === e.at || p.to === e.at) && (p.names.length === 0 ? e.kind === (p.source === 'faults' ? 'fault' : 'plan') : e.fact.kind === 'step' && e.fact.name !== null && p.names.includes(e.fact.name)));
  const where = (cluster: string | null) => (multiCluster && cluster ? ` in ${cluster}` : '');
  const list: Annotation[] = [];
  for (const p of history.promotions) {
    if (p.at > endUs) continue;
    const by = p.by.kind === 'plan' ? 'by the plan' : `by failover (${p.by.policy})`;
    const colour = series.find((s) => s.node === p.node)?.colour ?? INK;
    list.push({ t: p.at, text: `${when(p.at)} ${p.node} → TL ${p.timeline.tli} ${by}`, colour, priority: 0, dash: null });
  }
  for (const e of history.events) {
    if ((e.kind !== 'plan' && e.kind !== 'fault') || e.at > endUs) continue;
    // "plan: promote X" sits at the same instant as the promotion marker, which says more.
    if (e.kind === 'plan' && history.promotions.some((p) => p.at === e.at && p.node === e.node)) continue;
    if (inPeriod(e)) continue;
    list.push({ t: e.at, text: `${when(e.at)} ${factText(e.fact)}`, colour: e.kind === 'fault' ? '#a50f15' : MUTED, priority: e.kind === 'fault' ? 1 : 4, dash: '3 3' });
  }
  for (const l of report.dataLoss) {
    const [a, b] = [toUs(l.from), toUs(l.to)];
    if (l.table) {
      list.push({ t: b, text: `${when(b)} table ${l.table.name} lost whole (${count(l.table.rows)} rows, not ready at the cut-over)${where(l.cluster)}`, colour: LOST, priority: 2, dash: '1 2' });
      continue;
    }
    list.push({
      t: a,
      // A block device's lost writes have a host, no timeline.
      text: report.nodes.some((n) => n.cluster === l.cluster) ? `${when(a)}–${when(b)} ${lostText(l.commits, 'commit')} (${l.node}, TL ${l.timeline})${where(l.cluster)}` : `${when(a)}–${when(b)} ${lostText(l.commits, 'write')} (${l.node})${where(l.cluster)}`,
      colour: LOST,
      priority: 2,
      dash: '1 2',
    });
  }
  // Name the workload (client pool) only when the run has more than one.
  const workloadOf = (w: object): string => ('workload' in w && typeof w.workload === 'string' ? w.workload : '');
  const workloads = new Set([...report.outages, ...report.stalls].map(workloadOf));
  for (const [kind, items, colour] of [
    ['outage', report.outages, OUTAGE],
    ['stall', report.stalls, '#c35a00'],
  ] as const) {
    for (const w of items) {
      const a = toUs(w.from);
      const of = workloads.size > 1 && workloadOf(w) ? ` (${workloadOf(w)})` : '';
      list.push({ t: a, text: `${when(a)} write ${kind} ${duration(w.seconds)}${of}${where(w.cluster)}`, colour, priority: 3, dash: '1 2' });
    }
  }
  // Transaction IDs: the first warning, the stop, fired alerts, and the vacuums that changed the story.
  const xidWhere = (cluster: string) => ((xid?.lines.length ?? 0) > 1 ? ` in ${cluster}` : '');
  for (const l of xid?.lines ?? []) {
    const e = l.entry;
    if (e.firstWarningAt) {
      const t = toUs(e.firstWarningAt);
      list.push({ t, text: `${when(t)} first WARNING: age ${count(e.warnAge)}${xidWhere(e.cluster)}`, colour: WARN, priority: 0, dash: null });
    }
    if (e.stopAt) {
      const t = toUs(e.stopAt);
      list.push({ t, text: `${when(t)} stop limit: XID-assigning commands fail${xidWhere(e.cluster)}`, colour: STOP, priority: 0, dash: null });
    }
  }
  // A hold that ends without a plan step or fault at that instant (an invalidated slot): say why.
  for (const h of xid?.holds ?? []) {
    if (h.until === null || h.until > endUs) continue;
    const planned = history.events.some((e) => e.at === h.until && (e.kind === 'plan' || e.kind === 'fault') && (e.cluster === h.cluster || e.cluster === null));
    if (planned) continue;
    const why = history.events.find((e) => e.at === h.until && e.cluster === h.cluster && e.kind !== 'plan' && e.kind !== 'fault' && factText(e.fact).includes(h.holder));
    list.push({ t: h.until, text: `${when(h.until)} ${why ? factText(why.fact) : `${h.holder} no longer holds ${h.kind}`}`, colour: HOLD, priority: 2, dash: '3 3' });
  }
  for (const a of report.alerts) {
    if (a.firedAt === null) continue;
    const t = toUs(a.firedAt);
    if (t > endUs) continue;
    list.push({ t, text: `${when(t)} alert ${a.name} fires${a.value === null ? '' : ` (${a.metric} ${count(a.value)})`}${where(a.cluster)}`, colour: ALERT, priority: 1, dash: null });
  }
  for (const v of xid?.vacuums ?? []) {
    // The regular saw-tooth is not news: a vacuum is when it could not freeze, ran as a failsafe, or started far past its trigger.
    const trigger = xid!.freezeMaxAge.get(v.cluster) ?? DEFAULT_FREEZE_MAX_AGE;
    if (!v.blockedBy && v.mode !== 'failsafe' && v.ageBefore < trigger * 1.5) continue;
    const what = v.blockedBy ? 'could not freeze (horizon held)' : `age ${shortCount(v.ageBefore)} → ${shortCount(v.ageAfter)}`;
    const mode = v.mode === 'failsafe' ? ' (failsafe)' : '';
    const runs = v.runs > 1 ? `${count(v.runs)} runs to ${when(v.to)}` : duration((v.to - v.from) / 1e6);
    list.push({ t: v.from, text: `${when(v.from)} vacuum of ${v.table}${mode}, ${runs}: ${what}${xidWhere(v.cluster)}`, colour: v.blockedBy ? '#555' : '#1b7837', priority: 3, dash: '1 2' });
  }
  return list.sort((a, b) => a.priority - b.priority || a.t - b.t);
}

// ---------------------------------------------------------------------------------------------------------
// Layout

/**
 * Greedy placement in rows above the plot, most important first: a label sits right of its leader line
 * (left of it near the right edge) and must not overlap another label in its row. It should also not hide
 * a leader line that runs past its row, nor its own leader cross a label below it; where no row allows
 * that, the leader may pass behind a label (labels have a white halo), before the label is given up.
 */
function placeAnnotations(list: readonly Annotation[], x: (t: number) => number, maxRows: number, width: number): { placed: Placed[]; dropped: Annotation[] } {
  const placed: Placed[] = [];
  const dropped: Annotation[] = [];
  const pad = 6;
  // Leaders within a few pixels of each other run side by side and cross nothing.
  const crosses = (lineX: number, ownX: number, left: number, right: number) => lineX >= left - 1 && lineX <= right + 1 && Math.abs(lineX - ownX) > 4;
  const free = (row: number, left: number, right: number, lx: number, strict: boolean): boolean =>
    placed.every((p) => {
      if (p.row === row) return right + pad <= p.left || left >= p.right + pad;
      if (!strict) return true;
      return p.row > row ? !crosses(p.x, lx, left, right) : !crosses(lx, p.x, p.left, p.right);
    });
  for (const a of list) {
    const lx = x(a.t);
    const w = textWidth(a.text, LABEL_FONT);
    const options: [number, number, 'start' | 'end'][] = [];
    if (lx + 3 + w <= width - 4) options.push([lx + 3, lx + 3 + w, 'start']);
    if (lx - 3 - w >= 4) options.push([lx - 3 - w, lx - 3, 'end']);
    let spot: Placed | null = null;
    for (const strict of [true, false]) {
      for (let row = 0; row < maxRows && !spot; row++) {
        const o = options.find(([left, right]) => free(row, left, right, lx, strict));
        if (o) spot = { ...a, x: lx, row, anchor: o[2], left: o[0], right: o[1] };
      }
      if (spot) break;
    }
    if (spot) placed.push(spot);
    else dropped.push(a);
  }
  return { placed, dropped };
}

/** Marker labels above the panels take at most this many rows; the rest are numbered (see layoutAnnotations). */
export const MARKER_ROWS = 3;
/** An inline marker label longer than this goes to the key (a label that long crowds the strip). */
const INLINE_CHARS = 72;
const BADGE_FONT = 8.5;
const KEY_ROW = 14;
const KEY_INDENT = 26;

interface Numbered extends Annotation {
  readonly n: number;
  readonly x: number;
  readonly row: number;
  readonly left: number;
  readonly right: number;
}

function badgeWidth(n: number): number {
  return 7 + String(n).length * BADGE_FONT * CHAR_WIDTH;
}

/**
 * The marker strip in at most MARKER_ROWS rows: labels that fit are written beside their leader line (most
 * important first); when some do not, the lowest row holds a numbered badge for each of those (numbered in time
 * order, shifted sideways where they would touch) and the labels go to the key under the chart.
 */
function layoutAnnotations(list: readonly Annotation[], x: (t: number) => number, width: number): { placed: Placed[]; numbered: Numbered[]; rows: number } {
  const short = list.filter((a) => [...a.text].length <= INLINE_CHARS);
  const all = placeAnnotations(short, x, MARKER_ROWS, width);
  if (all.dropped.length === 0 && short.length === list.length) return { placed: all.placed, numbered: [], rows: all.placed.length ? (max(all.placed, (p) => p.row) ?? 0) + 1 : 0 };
  // Text rows above the badge row.
  const { placed: inline, dropped } = placeAnnotations(short, x, MARKER_ROWS - 1, width);
  const placed = inline.map((p) => ({ ...p, row: p.row + 1 }));
  const rest = [...list.filter((a) => !short.includes(a)), ...dropped].sort((a, b) => a.t - b.t || list.indexOf(a) - list.indexOf(b));
  const numbered: Numbered[] = [];
  let right = -Infinity;
  rest.forEach((a, i) => {
    const lx = x(a.t);
    const w = badgeWidth(i + 1);
    const left = Math.min(Math.max(lx - w / 2, right + 2, 2), width - w - 2);
    right = left + w;
    numbered.push({ ...a, n: i + 1, x: lx, row: 0, left, right });
  });
  return { placed, numbered, rows: placed.length ? (max(placed, (p) => p.row) ?? 0) + 1 : 1 };
}

/** The key of the numbered markers: two columns on a wide chart, each label wrapped to its column, never cut. */
function layoutKey(numbered: readonly Numbered[], width: number): { entries: { x: number; row: number; n: number; parts: string[]; colour: string }[]; height: number } {
  if (numbered.length === 0) return { entries: [], height: 0 };
  const columns = width >= 900 && numbered.length > 3 ? 2 : 1;
  const colWidth = (width - 24) / columns;
  const room = Math.max(20, Math.floor((colWidth - KEY_INDENT - 12) / (10 * CHAR_WIDTH)));
  const wrapped = numbered.map((a) => ({ a, parts: wrapWords(a.text, room) }));
  // Column-major: the first half (by lines) in the left column, so numbers read downwards.
  const total = wrapped.reduce((k, w) => k + w.parts.length, 0);
  const entries: { x: number; row: number; n: number; parts: string[]; colour: string }[] = [];
  let col = 0;
  let row = 0;
  let rows = 0;
  for (const w of wrapped) {
    if (columns === 2 && col === 0 && row > 0 && row + w.parts.length > Math.ceil(total / 2)) {
      col = 1;
      row = 0;
    }
    entries.push({ x: 12 + col * colWidth, row, n: w.a.n, parts: w.parts, colour: w.a.colour });
    row += w.parts.length;
    rows = Math.max(rows, row);
  }
  return { entries, height: rows * KEY_ROW + 8 };
}

/** Words into lines of at most `room` characters (a longer word is a line of its own). */
function wrapWords(text: string, room: number): string[] {
  const out: string[] = [];
  let cur = '';
  for (const word of text.split(' ')) {
    if (cur && [...cur].length + 1 + [...word].length > room) {
      out.push(cur);
      cur = word;
    } else cur = cur ? `${cur} ${word}` : word;
  }
  if (cur) out.push(cur);
  return out;
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

/** Moves labels up so that labels at about the same place do not overlap (greedy, in order). */
function nudge<T extends { x: number; y: number; text: string }>(labels: readonly T[], lineHeight: number): T[] {
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
function spreadY(ys: readonly number[], gap: number, lo: number, hi: number): number[] {
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

// ---------------------------------------------------------------------------------------------------------
// Scales and ticks

function yTicks(lo: number, hi: number, count: number): { values: number[]; labels: string[] } {
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

interface TimeTick {
  readonly us: number;
  readonly label: string;
  readonly date: string | null;
}

/**
 * Ticks at round wall-clock times of the zone (so 14:00 is a tick in Tokyo even though the offset is
 * +09:00): the interval is the smallest nice one giving at most `count` ticks; ticks are counted on the
 * zone's local time line and mapped back to instants.
 */
function timeTicks(startMs: number, endMs: number, zone: string, count: number): TimeTick[] {
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
function ageTicks(hi: number, count: number): { values: number[]; labels: string[] } {
  const step = tickStep(0, hi, count);
  const values = ticks(0, hi, count);
  return { values, labels: values.map((v) => shortCount(v, step)) };
}

// ---------------------------------------------------------------------------------------------------------
// Transaction IDs

function buildXid(report: Report, history: History, world: ChartWorld | undefined, endUs: number): XidData | null {
  if (report.xid.length === 0) return null;
  const clusters = new Set(report.xid.map((e) => e.cluster));
  const lines: AgeLine[] = report.xid.map((entry, i) => ({
    entry,
    colour: AGE_COLOURS[i % AGE_COLOURS.length]!,
    points: agePoints(
      history.metrics.filter((m) => m.cluster === entry.cluster && m.name === 'max_xid_age'),
      endUs,
    ),
  }));
  const freezeMaxAge = new Map(report.xid.map((e) => [e.cluster, freezeMaxAgeOf(world, e.cluster)] as const));
  const several = report.xid.length > 1;
  // One line per distinct age; the clusters (and versions) it applies to in its label.
  const limits: LimitLine[] = [];
  const byAge = (kind: LimitLine['kind'], ageOf: (e: XidJson) => number, text: (age: number, of: string) => string) => {
    for (const [age, entries] of group(report.xid, ageOf)) {
      const versions = [...new Set(entries.map((e) => e.version))].join(', ');
      const of = several ? `${entries.map((e) => e.cluster).join(', ')}: PostgreSQL ${versions}` : `PostgreSQL ${versions}`;
      limits.push({ kind, age, text: text(age, of) });
    }
  };
  byAge('stop', (e) => e.stopAge, (age, of) => `stop limit ${count(age)}: XID-assigning commands fail (${of})`);
  byAge('warn', (e) => e.warnAge, (age) => `WARNING from ${count(age)}`);
  byAge('freeze', (e) => freezeMaxAge.get(e.cluster)!, (age) => `autovacuum_freeze_max_age ${count(age)}: anti-wraparound vacuums start here`);
  // Only xmin and catalog_xmin hold the XID horizon (a slot's restart_lsn holds WAL).
  const holds = history.holds.filter((h) => h.kind !== 'restart_lsn' && clusters.has(h.cluster) && h.since < endUs && (h.until === null || h.until > h.since));
  const vacuums = collapseVacuums(history.vacuums).filter((v) => clusters.has(v.cluster) && v.from <= endUs && v.to - v.from >= LONG_VACUUM_US);
  const top = Math.max(...limits.map((l) => l.age), ...lines.flatMap((l) => l.points.map((p) => p.v)));
  return { lines, limits, holds, vacuums, freezeMaxAge, yHi: top * 1.05 };
}

/** The primary's autovacuum_freeze_max_age (the node whose settings govern vacuum), or the default. */
function freezeMaxAgeOf(world: ChartWorld | undefined, cluster: string): number {
  const nodes = [...(world?.clusters.get(cluster)?.nodes.values() ?? [])];
  return (nodes.find((n) => n.isPrimary) ?? nodes[0])?.settings.autovacuumFreezeMaxAge ?? DEFAULT_FREEZE_MAX_AGE;
}

/**
 * The metric as a line: from each sample at its rate up to the next sample (where a vacuum's end makes it
 * drop straight down), and from the last one at its rate to the end of the run.
 */
function agePoints(samples: readonly MetricSample[], endUs: number): AgePoint[] {
  const sorted = samples
    .filter((s) => s.at <= endUs)
    .map((s, k) => ({ s, k }))
    .sort((a, b) => a.s.at - b.s.at || a.k - b.k)
    .map(({ s }) => s);
  const points: AgePoint[] = [];
  const push = (t: number, v: number) => {
    const last = points.at(-1);
    if (!last || last.t !== t || last.v !== v) points.push({ t, v });
  };
  sorted.forEach((s, k) => {
    const next = sorted[k + 1]?.at ?? endUs;
    push(s.at, s.value);
    if (next > s.at) push(next, s.value + s.rate * (next - s.at));
  });
  return points;
}

/** The age just before t (where a vacuum makes it drop at t, the value before the drop). */
function ageAt(points: readonly AgePoint[], t: number): number | null {
  const i = bisector((p: AgePoint) => p.t).left(points, t);
  const a = points[i - 1];
  const b = points[i];
  if (!b) return a?.v ?? null;
  if (!a || b.t === t) return b.v;
  return a.v + ((b.v - a.v) * (t - a.t)) / (b.t - a.t);
}

function ageEndText(l: AgeLine): string {
  return `age ${count(l.points.at(-1)?.v ?? l.entry.endAge)} at the end`;
}

function xidSummary(e: XidJson, when: (t: number) => string, toUs: (iso: string) => number): string {
  const day = (iso: string) => iso.slice(0, 10);
  const parts: string[] = [];
  if (e.stopAt) {
    parts.push(`first WARNING ${e.firstWarningAt ? when(toUs(e.firstWarningAt)) : 'none'}`, `stop limit ${when(toUs(e.stopAt))}: writes fail`, `age(datfrozenxid) ${count(e.endAge)} at the end`);
  } else {
    parts.push(`age(datfrozenxid) max ${count(e.maxAge)} on ${day(e.maxAgeAt)}, ${count(e.endAge)} at the end`, e.firstWarningAt ? `first WARNING ${when(toUs(e.firstWarningAt))}` : 'no WARNING');
    if (e.projectedStopAt) parts.push(`stop limit at this rate: ${day(e.projectedStopAt)}`);
  }
  return `${e.cluster} (PostgreSQL ${e.version}): ${parts.join(' · ')}`;
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

function endDetail(s: Series): string {
  const p = s.points.at(-1);
  return p ? `TL ${p.tli} · ${formatLsn(p.lsn)}` : '';
}



function lostText(commits: number, unit: 'commit' | 'write'): string {
  return `${counted(commits, unit)} lost`;
}






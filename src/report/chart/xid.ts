/**
 * The transaction-ID panel: max age(datfrozenxid) per cluster against the wraparound limits and
 * autovacuum_freeze_max_age, with the horizon holds, the long vacuums, the first warning, the stop and alerts.
 */
import { bisector, group } from 'd3-array';
import { collapseVacuums, type CollapsedVacuum } from '../../checkers/vacuums.ts';
import type { History, HoldRecord, MetricSample } from '../../history/history.ts';
import { count } from '../format.ts';
import type { Report, XidJson } from '../types.ts';
import type { ChartWorld } from '../chart.ts';
import { endLabels, writeBands, type Panel, type PlotFrame } from './frame.ts';
import { ageTicks } from './ticks.ts';
import { ALERT, BLOCKED, esc, f, FREEZE, GRID, halo, HOLD, MUTED, STOP, textWidth, VACUUM, WARN } from './svg.ts';

/** The XID panel: one dark colour per cluster (unlike the node colours of the WAL panel). */
const AGE_COLOURS = ['#08306b', '#7f2704', '#00441b', '#3f007d'];
export const DEFAULT_FREEZE_MAX_AGE = 200_000_000;
/** Vacuums at least this long get a band (shorter ones are invisible at the scale of an XID story). */
const LONG_VACUUM_US = 5 * 60e6;
const LANE = 16;

/** max age(datfrozenxid) of a cluster: (µs, age) breakpoints of a piecewise-linear line. */
interface AgePoint {
  readonly t: number;
  readonly v: number;
}

export interface AgeLine {
  readonly entry: XidJson;
  readonly colour: string;
  readonly points: readonly AgePoint[];
}

interface LimitLine {
  readonly kind: 'stop' | 'warn' | 'freeze';
  readonly age: number;
  readonly text: string;
}

export interface XidData {
  readonly lines: readonly AgeLine[];
  readonly limits: readonly LimitLine[];
  readonly holds: readonly HoldRecord[];
  /** Long vacuums; an autovacuum retry loop is one entry over all its runs (checkers/vacuums.ts). */
  readonly vacuums: readonly CollapsedVacuum[];
  readonly freezeMaxAge: ReadonlyMap<string, number>;
  readonly yHi: number;
}

/**
 * max age(datfrozenxid) per cluster against the warn and stop ages and autovacuum_freeze_max_age, over
 * the horizon holds (lanes at the top, a tint below) and the long vacuums; dots where the first warning,
 * the stop and the alerts came, and the peak labelled.
 */
export function drawXidPanel(frame: PlotFrame, xid: XidData, panel: Panel): { axis: string[]; back: string[]; front: string[] } {
  const { report, plotLeft, plotRight, axisFrom, axisTo, endUs, x, toUs, yTickCount } = frame;
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
  back.push(...writeBands(frame, panel, 'xid'));
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
    frame,
    out,
    xid.lines.map((l) => ({ y: y(l.points.at(-1)?.v ?? 0), colour: l.colour, name: l.entry.cluster, detail: ageEndText(l) })),
    scaleTop,
    panel.bottom,
  );
  out.push('</g>');
  out.push(`<rect class="frame-xid" x="${f(plotLeft)}" y="${f(panel.top)}" width="${f(plotRight - plotLeft)}" height="${f(panel.bottom - panel.top)}" fill="none" stroke="#999"/>`);
  return { axis, back, front: out };
}

export function buildXid(report: Report, history: History, world: ChartWorld | undefined, endUs: number): XidData | null {
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

export function ageEndText(l: AgeLine): string {
  return `age ${count(l.points.at(-1)?.v ?? l.entry.endAge)} at the end`;
}

export function xidSummary(e: XidJson, when: (t: number) => string, toUs: (iso: string) => number): string {
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

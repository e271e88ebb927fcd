/**
 * The marker strip above the panels: promotions, plan steps and faults outside a period, losses, outages,
 * stalls, XID warnings, alerts and notable vacuums, each a label beside its leader line, or a numbered badge
 * with its label in the key under the chart when the strip has no room.
 */
import { max } from 'd3-array';
import type { History } from '../../history/history.ts';
import { factText } from '../facts/index.ts';
import { count, duration, shortCount } from '../format.ts';
import type { Report } from '../types.ts';
import type { Period } from './periods.ts';
import { ALERT, CHAR_WIDTH, HOLD, INK, LOST, MUTED, OUTAGE, STOP, textWidth, WARN } from './svg.ts';
import { lostText, type Series } from './wal.ts';
import { DEFAULT_FREEZE_MAX_AGE, type XidData } from './xid.ts';

export const ROW = 13;
export const LABEL_FONT = 10;

export interface Annotation {
  /** µs since start where the leader line stands. */
  readonly t: number;
  readonly text: string;
  readonly colour: string;
  readonly priority: number;
  readonly dash: string | null;
}

export interface Placed extends Annotation {
  readonly x: number;
  readonly row: number;
  readonly anchor: 'start' | 'end';
  readonly left: number;
  readonly right: number;
}

export function collectAnnotations(
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
export const BADGE_FONT = 8.5;
export const KEY_ROW = 14;
export const KEY_INDENT = 26;

export interface Numbered extends Annotation {
  readonly n: number;
  readonly x: number;
  readonly row: number;
  readonly left: number;
  readonly right: number;
}

export function badgeWidth(n: number): number {
  return 7 + String(n).length * BADGE_FONT * CHAR_WIDTH;
}

/**
 * The marker strip in at most MARKER_ROWS rows: labels that fit are written beside their leader line (most
 * important first); when some do not, the lowest row holds a numbered badge for each of those (numbered in time
 * order, shifted sideways where they would touch) and the labels go to the key under the chart.
 */
export function layoutAnnotations(list: readonly Annotation[], x: (t: number) => number, width: number): { placed: Placed[]; numbered: Numbered[]; rows: number } {
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
export function layoutKey(numbered: readonly Numbered[], width: number): { entries: { x: number; row: number; n: number; parts: string[]; colour: string }[]; height: number } {
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

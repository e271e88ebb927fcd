/**
 * The timeline-branch diagram, like a git graph: per cluster, each timeline is a branch drawn along the WAL
 * (x is the LSN), forking from its parent at its switchpoint, labelled with the promotion that began it;
 * each node is a dot where its WAL ends on its timeline; the surviving history is drawn thick and the WAL of
 * lost commits red. Read from the history (promotions, write terms, position samples) and the report's nodes
 * and losses: one SVG per cluster.
 */
import { scaleLinear } from 'd3-scale';
import type { History } from '../../history/history.ts';
import type { Timeline } from '../../models/postgres/timeline.ts';
import { esc, f, lanes, textWidth } from '../chart/svg.ts';
import { counted, lsn as formatLsn } from '../format.ts';
import { ReportClock } from '../time.ts';
import type { Report } from '../types.ts';

interface Branch {
  readonly tl: Timeline;
  end: number;
  readonly promotion: { readonly at: number; readonly node: string; readonly by: string } | null;
}

const ROW = 46;
const COLOURS = ['#444', '#1f77b4', '#2ca02c', '#9467bd', '#8c564b', '#17becf', '#bcbd22'];
const LOST = '#c51b7d';

function parseLsn(s: string): number | null {
  const m = /^([0-9A-Fa-f]+)\/([0-9A-Fa-f]+)$/.exec(s);
  return m ? parseInt(m[1]!, 16) * 2 ** 32 + parseInt(m[2]!, 16) : null;
}

/** Every cluster's diagram (clusters with one timeline and one node are left out: nothing branches). */
export function branchDiagrams(report: Report, history: History, width = 960): { cluster: string; svg: string }[] {
  const clusters = [...new Set(report.nodes.map((n) => n.cluster))];
  return clusters.flatMap((c) => {
    const svg = diagram(c, report, history, width);
    return svg ? [{ cluster: c, svg }] : [];
  });
}

function diagram(cluster: string, report: Report, history: History, width: number): string | null {
  const clock = new ReportClock(report);
  const nodes = report.nodes.filter((n) => n.cluster === cluster);
  const nodeNames = new Set(nodes.map((n) => n.name));
  // The timelines: those of the cluster's promotions and write terms, and their ancestors.
  const seen = new Map<number, Timeline>();
  const add = (t: Timeline | null) => {
    for (let p = t; p && !seen.has(p.uid); p = p.parent) seen.set(p.uid, p);
  };
  const promotions = history.promotions.filter((p) => p.cluster === cluster);
  promotions.forEach((p) => add(p.timeline));
  history.terms.filter((t) => t.cluster === cluster).forEach((t) => add(t.timeline));
  if (seen.size === 0 || (seen.size === 1 && nodes.length < 2)) return null;
  const byTli = (tli: number) => [...seen.values()].filter((t) => t.tli === tli).sort((a, b) => b.uid - a.uid)[0] ?? null;

  const branches = new Map<number, Branch>();
  for (const tl of [...seen.values()].sort((a, b) => a.uid - b.uid)) {
    const p = promotions.find((x) => x.timeline.uid === tl.uid);
    const by = p ? (p.by.kind === 'plan' ? 'by the plan' : `by the failover manager (${p.by.policy})`) : '';
    branches.set(tl.uid, { tl, end: tl.begin, promotion: p ? { at: p.at, node: p.node, by } : null });
  }
  const grow = (tl: Timeline | null, lsn: number) => {
    const b = tl ? branches.get(tl.uid) : undefined;
    if (b) b.end = Math.max(b.end, lsn);
  };
  for (const b of branches.values()) grow(b.tl.parent, b.tl.begin);
  for (const t of history.terms) if (t.cluster === cluster) grow(t.timeline, t.ackCurve.at(-1)?.lsn ?? t.startLsn);
  let start = Infinity;
  for (const p of history.positions) {
    if (!nodeNames.has(p.node)) continue;
    grow(byTli(p.tli), p.lsn);
    start = Math.min(start, p.lsn);
  }
  const marks = nodes.flatMap((n) => {
    const tl = byTli(n.timeline);
    const l = parseLsn(n.lsn);
    if (!tl || l === null) return [];
    grow(tl, l);
    return [{ n, uid: tl.uid, lsn: l }];
  });
  // Rows: the root on top, then each timeline in the order it was created (git graph order).
  const list = [...branches.values()];
  // From the first WAL the run saw (a root timeline begins at 0/0, long before the run).
  const lo = Math.min(Number.isFinite(start) ? start : Infinity, ...list.filter((b) => b.tl.parent !== null).map((b) => b.tl.begin), ...marks.map((m) => m.lsn));
  const hi = Math.max(...list.map((b) => b.end), lo + 1);
  const left = 70;
  const right = width - 200;
  const x = scaleLinear().domain([lo, hi]).range([left, right]);
  const top = 40;
  const survivorNode = report.survivors.find((s) => s.cluster === cluster)?.node ?? null;
  const survivorTl = marks.find((m) => m.n.name === survivorNode);
  const surviving = new Set<number>();
  if (survivorTl) for (let t: Timeline | null = branches.get(survivorTl.uid)?.tl ?? null; t; t = t.parent) surviving.add(t.uid);

  const out: string[] = [];
  const promotionLabel = (b: Branch) => {
    const p = b.promotion;
    return p ? `${p.node} promoted ${clock.short(clock.iso(p.at))} ${p.by}, at ${formatLsn(b.tl.begin)}` : `from ${formatLsn(lo)}`;
  };
  const colour = (b: Branch) => COLOURS[list.indexOf(b) % COLOURS.length]!;
  // Node labels: in lanes under their branch so that close positions do not overlap.
  const labelItems = marks.map((m) => {
    const text = `${m.n.name} (${m.n.state === 'running' ? m.n.role : m.n.state}) ${m.n.lsn}`;
    const px = x(m.lsn);
    const w = textWidth(text, 10);
    const anchorEnd = px + w > width - 10;
    return { m, text, px, left: anchorEnd ? px - w : px - 4, right: anchorEnd ? px + 4 : px + w, anchorEnd };
  });
  const labelLane = new Map<number, number>();
  const laneOf = labelItems.map(() => 0);
  for (const uid of new Set(marks.map((m) => m.uid))) {
    const idx = labelItems.map((l, i) => (l.m.uid === uid ? i : -1)).filter((i) => i >= 0);
    const ls = lanes(idx.map((i) => labelItems[i]!), 8);
    idx.forEach((i, k) => (laneOf[i] = ls[k]!));
    labelLane.set(uid, Math.max(...ls) + 1);
  }
  // A row per branch, with extra room under one whose labels need more than one lane.
  const rowY = new Map<Branch, number>();
  let y0 = top;
  for (const b of list) {
    rowY.set(b, y0);
    y0 += ROW + Math.max(0, (labelLane.get(b.tl.uid) ?? 1) - 1) * 13;
  }
  const yB = (b: Branch) => rowY.get(b)!;
  const height = Math.round(Math.max(...list.map(yB)) + 40 + Math.max(0, (labelLane.get(list.at(-1)!.tl.uid) ?? 1) - 1) * 13);

  out.push(`<svg xmlns="http://www.w3.org/2000/svg" class="branches" data-cluster="${esc(cluster)}" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="DejaVu Sans, Verdana, Helvetica, Arial, sans-serif" font-size="11">`);
  out.push(`<title>${esc(`${cluster}: timelines as branches along the WAL`)}</title>`);
  out.push(`<text x="${left}" y="16" font-size="10" fill="#666">${esc(`WAL position (LSN) ${formatLsn(lo)} → ${formatLsn(hi)}; thick: the surviving history`)}</text>`);
  // Forks first (behind), then the branches, then losses, then node dots and labels.
  for (const b of list) {
    const parent = b.tl.parent ? branches.get(b.tl.parent.uid) : undefined;
    if (!parent) continue;
    const fx = x(b.tl.begin);
    const [py, cy] = [yB(parent), yB(b)];
    out.push(`<path class="fork" d="M${f(fx)} ${f(py)} C${f(fx)} ${f((py + cy) / 2)} ${f(fx)} ${f(cy)} ${f(fx + 14)} ${f(cy)}" fill="none" stroke="${colour(b)}" stroke-width="${surviving.has(b.tl.uid) ? 4 : 2}"/>`);
  }
  for (const b of list) {
    const y = yB(b);
    const x0 = b.tl.parent ? x(b.tl.begin) + 14 : x(lo);
    const x1 = Math.max(x0 + 2, x(b.end));
    out.push(`<line class="branch" data-tli="${b.tl.tli}" x1="${f(x0)}" x2="${f(x1)}" y1="${f(y)}" y2="${f(y)}" stroke="${colour(b)}" stroke-width="${surviving.has(b.tl.uid) ? 5 : 2.5}" stroke-linecap="round"/>`);
    out.push(`<text x="8" y="${f(y + 4)}" font-weight="bold" fill="${colour(b)}">${esc(`TL ${b.tl.tli}`)}</text>`);
    out.push(`<text class="promotion" x="${f(x0 + 4)}" y="${f(y - 8)}" font-size="10" fill="#333">${esc(promotionLabel(b))}</text>`);
  }
  for (const l of report.dataLoss.filter((d) => d.cluster === cluster)) {
    const b = branches.get(byTli(l.timeline)?.uid ?? -1);
    const [a, z] = [parseLsn(l.fromLsn), parseLsn(l.toLsn)];
    if (!b || a === null || z === null) continue;
    const y = yB(b);
    out.push(`<line class="lost" x1="${f(x(a))}" x2="${f(Math.max(x(z), x(a) + 3))}" y1="${f(y)}" y2="${f(y)}" stroke="${LOST}" stroke-width="9" stroke-opacity="0.45"/>`);
    // Above the branch, right-aligned to the lost WAL's end, unless it would run into the promotion's label.
    const text = `${counted(l.commits, 'commit')} lost`;
    const promoRight = x(b.tl.begin) + 18 + textWidth(promotionLabel(b), 10);
    const above = x(z) - textWidth(text, 10) > promoRight + 8;
    out.push(`<text class="lost-label" x="${f(above ? x(z) : (x(a) + x(z)) / 2)}" y="${f(above ? y - 8 : y + 30)}" text-anchor="${above ? 'end' : 'middle'}" font-size="10" font-weight="bold" fill="${LOST}">${esc(text)}</text>`);
  }
  labelItems.forEach((l, i) => {
    const b = branches.get(l.m.uid)!;
    const y = yB(b);
    out.push(`<circle class="node" data-node="${esc(l.m.n.name)}" cx="${f(l.px)}" cy="${f(y)}" r="5.5" fill="#fff" stroke="${colour(b)}" stroke-width="2.5"/>`);
    out.push(`<text x="${f(l.anchorEnd ? l.px + 4 : l.px - 4)}" y="${f(y + 17 + laneOf[i]! * 13)}" text-anchor="${l.anchorEnd ? 'end' : 'start'}" font-size="10" fill="#222">${esc(l.text)}</text>`);
  });
  out.push('</svg>');
  return out.join('\n');
}

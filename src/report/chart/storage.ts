/**
 * The "pg_wal and slot retention" panel, one per PostgreSQL cluster, from the report's `walStorage` (recorded by
 * the storage model, report/storage-series.ts): each node's pg_wal size (solid) and the WAL each slot retains
 * (dashed, restart_lsn behind its server's WAL end), with the settings that bound them as reference lines
 * (max_wal_size, wal_keep_size or wal_keep_segments, max_slot_wal_keep_size, the pg_wal volume) and a mark
 * where a slot's wal_status changes. A limit far above every line is named in the title instead of squashing
 * the lines to the bottom.
 */
import { size } from '../format.ts';
import type { Report, WalStorageJson } from '../types.ts';
import type { Line, LinePanel, Mark, RefLine } from './series.ts';

/** Slots' colours: none of the nodes' (a slot's line often runs along its server's pg_wal line, dashed over it). */
const SLOT_COLOURS = ['#d95f02', '#e7298a', '#66a61e', '#a6761d', '#e41a1c'];
const SLOT_DASHES = ['6 3', '2 3', '8 3 2 3'];
/** A limit above this many times the highest line is off the scale (named in the title). */
const OFF_SCALE = 1.6;

const REF_STYLE: Record<string, { colour: string; dash: string }> = {
  max_wal_size: { colour: '#555', dash: '2 3' },
  wal_keep_size: { colour: '#2b8cbe', dash: '6 3' },
  wal_keep_segments: { colour: '#2b8cbe', dash: '6 3' },
  max_slot_wal_keep_size: { colour: '#b2182b', dash: '6 3' },
  'pg_wal volume': { colour: '#b2182b', dash: '' },
};

const STATUS_COLOUR: Record<string, string> = { extended: '#d97700', unreserved: '#d95f02', lost: '#b2182b', reserved: '#1b7837' };

/** One panel per cluster with storage series, in the report's order. */
export function storagePanels(report: Report, toUs: (iso: string) => number, nodeColour: (node: string) => string): LinePanel[] {
  const byCluster = new Map<string, WalStorageJson[]>();
  for (const w of report.walStorage ?? []) byCluster.set(w.cluster, [...(byCluster.get(w.cluster) ?? []), w]);
  const multiCluster = byCluster.size > 1;
  return [...byCluster.entries()].map(([cluster, nodes]) => panelOf(cluster, nodes, multiCluster, toUs, nodeColour));
}

/** The clusters whose pg_wal the storage panels show (their cluster-wide slot_lag / pg_wal_size metrics need no panel). */
export function storageClusters(report: Report): Set<string> {
  return new Set((report.walStorage ?? []).map((w) => w.cluster));
}

function panelOf(cluster: string, nodes: readonly WalStorageJson[], multiCluster: boolean, toUs: (iso: string) => number, nodeColour: (node: string) => string): LinePanel {
  const lines: Line[] = [];
  const marks: Mark[] = [];
  // pg_wal in the node's colour (as in the WAL panel), each slot in one of its own.
  let slots = 0;
  nodes.forEach((n) => {
    lines.push({ name: `${n.node} pg_wal`, colour: nodeColour(n.node), points: n.pgWal.map(([t, v]) => [toUs(t), v] as const), curve: 'linear' });
    n.slots.forEach((s, k) => {
      const colour = SLOT_COLOURS[slots++ % SLOT_COLOURS.length]!;
      const points = s.retained.map(([t, v]) => [toUs(t), v] as const);
      lines.push({ name: `slot ${s.name}`, colour, points, curve: 'linear', dash: SLOT_DASHES[k % SLOT_DASHES.length]! });
      // The first status is where the slot began; a change after it is news.
      for (const [t, status] of s.walStatus.slice(1)) {
        const at = toUs(t);
        marks.push({ t: at, value: valueAt(points, at), text: `${s.name}: ${status}`, colour: STATUS_COLOUR[status] ?? colour });
      }
    });
  });
  const top = Math.max(0, ...lines.flatMap((l) => l.points.map(([, v]) => v)));
  const refs: RefLine[] = [];
  const off: string[] = [];
  for (const r of limitsOf(nodes)) {
    if (r.value > Math.max(top, 1) * OFF_SCALE) off.push(`${r.label} ${size(r.value)}`);
    else refs.push(r);
  }
  const title = `${multiCluster ? `${cluster}: ` : ''}pg_wal size and WAL retained by slots${off.length > 0 ? ` (off the scale: ${off.join(', ')})` : ''}`;
  return { id: `storage:${cluster}`, title, unit: 'bytes', lines, refs, marks };
}

/** The limits of the cluster's nodes, one line per distinct value (named with the nodes when they differ). */
function limitsOf(nodes: readonly WalStorageJson[]): RefLine[] {
  const found = new Map<string, { label: string; value: number; nodes: string[] }>();
  const add = (label: string, value: number | null, node: string): void => {
    if (value === null || value <= 0) return;
    const key = `${label}\u0000${value}`;
    const e = found.get(key) ?? { label, value, nodes: [] };
    e.nodes.push(node);
    found.set(key, e);
  };
  for (const n of nodes) {
    add('max_wal_size', n.limits.maxWalSize, n.node);
    add(n.limits.walKeepSetting, n.limits.walKeepSize, n.node);
    add('max_slot_wal_keep_size', n.limits.maxSlotWalKeepSize, n.node);
    add('pg_wal volume', n.limits.walVolume, n.node);
  }
  const labels = [...found.values()];
  return labels.map((e) => {
    const shared = labels.filter((o) => o.label === e.label).length === 1 && e.nodes.length === nodes.length;
    const style = REF_STYLE[e.label] ?? { colour: '#555', dash: '2 3' };
    return { label: shared ? e.label : `${e.label} (${e.nodes.join(', ')})`, value: e.value, colour: style.colour, dash: style.dash };
  });
}

/** The line's value at `t` (the later of two points at one time: after a jump). */
function valueAt(points: readonly (readonly [number, number])[], t: number): number {
  let v = points[0]?.[1] ?? 0;
  for (let i = 0; i < points.length; i++) {
    const [t1, v1] = points[i]!;
    if (t1 > t) {
      const [t0, v0] = points[i - 1] ?? points[i]!;
      return t1 === t0 ? v1 : v0 + ((v1 - v0) * (t - t0)) / (t1 - t0);
    }
    v = v1;
  }
  return v;
}

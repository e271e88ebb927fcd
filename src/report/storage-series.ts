/**
 * The report's `walStorage`: each PostgreSQL node's pg_wal over the run and the WAL its slots retain, from the
 * series the storage model recorded (history/storage.ts, models/postgres/wal-series.ts), with the settings that
 * bound them (docs/report.md).
 */
import type { Micros } from '../engine/time.ts';
import type { History } from '../history/history.ts';
import type { StorageSeries } from '../history/storage.ts';
import type { World } from '../models/world.ts';
import type { Clock } from './time.ts';
import type { Report, WalStorageJson } from './types.ts';

type Points = (readonly [string, number])[];

/** Points per series in the report at most: a long run's checkpoint saw-tooth is kept as its envelope. */
export const REPORT_POINTS = 2000;

/** A series as [time, value] points: two at one time where it jumped, and its value at its end. */
function pointsOf(s: StorageSeries, clock: Clock, end: Micros): Points {
  const out: (readonly [number, number])[] = [];
  const push = (at: number, v: number): void => {
    const prev = out.at(-1);
    // A rate that changed without a jump adds a point; one at the same time and value says nothing more.
    if (!prev || prev[0] !== at || prev[1] !== Math.round(v)) out.push([at, Math.round(v)]);
  };
  for (const p of s.points) {
    push(p.at, p.before);
    push(p.at, p.value);
  }
  const last = s.points.at(-1);
  const stop = s.endedAt ?? end;
  if (last && last.at < stop) push(stop, last.value + last.rate * (stop - last.at));
  return envelope(out, REPORT_POINTS).map(([t, v]) => [clock.iso(t as Micros), v] as const);
}

/**
 * At most about `max` points: the span is cut into max/4 time buckets, and each keeps its first, last, lowest
 * and highest point (in time order), so peaks and troughs survive and only their spacing gets coarser.
 */
export function envelope(points: readonly (readonly [number, number])[], max: number): (readonly [number, number])[] {
  if (points.length <= max) return [...points];
  const t0 = points[0]![0];
  const span = points.at(-1)![0] - t0 || 1;
  const buckets = Math.max(1, Math.floor(max / 4));
  const keep = new Uint8Array(points.length);
  let from = 0;
  while (from < points.length) {
    const b = Math.min(buckets - 1, Math.floor(((points[from]![0] - t0) / span) * buckets));
    let to = from;
    while (to + 1 < points.length && Math.min(buckets - 1, Math.floor(((points[to + 1]![0] - t0) / span) * buckets)) === b) to++;
    let lo = from;
    let hi = from;
    for (let i = from; i <= to; i++) {
      if (points[i]![1] < points[lo]![1]) lo = i;
      if (points[i]![1] > points[hi]![1]) hi = i;
    }
    keep[from] = keep[to] = keep[lo] = keep[hi] = 1;
    from = to + 1;
  }
  return points.filter((_, i) => keep[i] === 1);
}

export function walStorageReport(world: World, history: History, clock: Clock, end: Micros): Pick<Report, 'walStorage'> {
  const out: WalStorageJson[] = [];
  const all = [...history.storage.series.series.values()];
  for (const c of world.clusters.values()) {
    for (const n of c.nodes.values()) {
      const mine = all.filter((s) => s.key.cluster === c.name && s.key.node === n.name);
      const pgWal = mine.find((s) => s.key.kind === 'pg-wal');
      if (!pgWal) continue;
      const seg = n.settings.walSegmentSize;
      const maxSlot = n.settings.maxSlotWalKeepSize;
      out.push({
        cluster: c.name,
        node: n.name,
        pgWal: pointsOf(pgWal, clock, end),
        slots: mine.flatMap((s) => {
          if (s.key.kind !== 'slot') return [];
          const statuses: [string, NonNullable<StorageSeries['points'][number]['walStatus']>][] = [];
          for (const p of s.points) if (p.walStatus !== null && p.walStatus !== statuses.at(-1)?.[1]) statuses.push([clock.iso(p.at), p.walStatus]);
          return [{ name: s.key.slot, type: s.key.slotKind, retained: pointsOf(s, clock, end), walStatus: statuses, droppedAt: s.endedAt === null ? null : clock.iso(s.endedAt) }];
        }),
        limits: {
          maxWalSize: n.settings.maxWalSize,
          // Before 13 the setting is wal_keep_segments (settings.ts keeps it as bytes).
          walKeepSize: n.version >= 13 ? n.settings.walKeepSize : Math.floor(n.settings.walKeepSize / seg) * seg,
          walKeepSetting: n.version >= 13 ? 'wal_keep_size' : 'wal_keep_segments',
          maxSlotWalKeepSize: maxSlot !== null && maxSlot >= 0 ? maxSlot : null,
          walVolume: n.storage.walVolume,
        },
      });
    }
  }
  return out.length > 0 ? { walStorage: out } : {};
}

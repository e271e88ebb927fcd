/**
 * Checkpoint records written by primaries, per timeline in LSN order: where standbys can make restartpoints
 * (xlogrecovery.c RecoveryRestartPoint remembers the last checkpoint record replayed). Lookups are binary
 * searches, so a standby that trails far behind costs no scan of the past; memory is bounded (prune, thin).
 */
import type { Lsn } from './lsn.ts';
import { historyOf, type Timeline } from './timeline.ts';

export interface CheckpointRecord {
  /** Where the record is (a standby has replayed it once its replay passes it). */
  readonly lsn: Lsn;
  /** The checkpoint's redo point: where it started; a restartpoint there keeps WAL from it. */
  readonly redo: Lsn;
  readonly timeline: Timeline;
}

/** Records kept per timeline at most; past it the older half is thinned (see thin()). */
export const MAX_RECORDS_PER_TIMELINE = 2048;

export class CheckpointRecords {
  private readonly lists = new Map<Timeline, CheckpointRecord[]>();

  add(r: CheckpointRecord): void {
    let list = this.lists.get(r.timeline);
    if (!list) this.lists.set(r.timeline, (list = []));
    // A timeline is written by one server, so its records come in LSN order.
    if (list.length > 0 && list.at(-1)!.lsn >= r.lsn) return;
    list.push(r);
  }

  get size(): number {
    let n = 0;
    for (const l of this.lists.values()) n += l.length;
    return n;
  }

  /** Timelines holding records, and how many each holds (for the bound). */
  timelines(): IterableIterator<[Timeline, CheckpointRecord[]]> {
    return this.lists.entries();
  }

  /** The newest record strictly before `pos` on `tl`'s history (timeline identity, each within its range). */
  newestBefore(tl: Timeline, pos: Lsn): CheckpointRecord | null {
    for (const e of historyOf(tl)) {
      if (pos <= e.begin && e.timeline.parent) continue;
      const list = this.lists.get(e.timeline);
      if (!list) continue;
      const limit = Math.min(pos, e.end ?? Number.POSITIVE_INFINITY);
      const i = lastBelow(list, limit) ;
      if (i >= 0) return list[i]!;
    }
    return null;
  }

  /**
   * The oldest record on `tl`'s history whose redo is past `redo` (one a restartpoint could be made at once
   * replayed), or null.
   */
  firstAfterRedo(tl: Timeline, redo: Lsn): CheckpointRecord | null {
    const h = historyOf(tl);
    for (let k = h.length - 1; k >= 0; k--) {
      const e = h[k]!;
      const list = this.lists.get(e.timeline);
      if (!list) continue;
      const end = e.end ?? Number.POSITIVE_INFINITY;
      // Records are in LSN order and redo <= lsn: the first with redo > `redo` within the range.
      let lo = 0;
      let hi = list.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (list[mid]!.redo > redo) hi = mid;
        else lo = mid + 1;
      }
      if (lo < list.length && list[lo]!.lsn < end) return list[lo]!;
    }
    return null;
  }

  /** Drop the records of `tl` before `from` (no server can make a restartpoint there any more). */
  dropBefore(tl: Timeline, from: Lsn): void {
    const list = this.lists.get(tl);
    if (!list) return;
    const i = lastBelow(list, from + 1);
    if (i > 0) list.splice(0, i);
  }

  /**
   * Keep at most MAX_RECORDS_PER_TIMELINE records of `tl`: the newest half stays whole, of the older ones every
   * other is dropped. A standby that catches up from far behind may then make its restartpoint at an older
   * record than the real server would (it keeps more WAL until its next one): an approximation that bounds
   * memory over any horizon (docs/model-postgres.md).
   */
  thin(tl: Timeline): void {
    const list = this.lists.get(tl);
    if (!list || list.length <= MAX_RECORDS_PER_TIMELINE) return;
    const keepWhole = MAX_RECORDS_PER_TIMELINE / 2;
    const old = list.length - keepWhole;
    const kept = list.slice(0, old).filter((_, i) => i % 2 === 0 || i === old - 1);
    list.splice(0, old, ...kept);
  }
}

/** Index of the last record with lsn < limit, or -1. */
function lastBelow(list: readonly CheckpointRecord[], limit: Lsn): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (list[mid]!.lsn < limit) lo = mid + 1;
    else hi = mid;
  }
  return lo - 1;
}

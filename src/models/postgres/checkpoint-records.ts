/**
 * The checkpoint records primaries wrote, in time order: where standbys can make restartpoints
 * (xlogrecovery.c RecoveryRestartPoint: only at a checkpoint record the standby has replayed).
 *
 * A record is kept only while some node could still make a restartpoint at it (`trim`: exact, it never
 * changes a restartpoint). A node that is stopped, or stuck before a timeline it could still follow, keeps
 * every record of that history past its position usable; past CHECKPOINT_TRIM.cap such records the older
 * half is thinned, so the list stays bounded over a simulated century instead of growing by one record per
 * checkpoint_timeout. That is an approximation (docs/model-postgres.md): such a node, once it replays
 * again, makes its restartpoints in the thinned stretch at an older record than PostgreSQL would, so it
 * keeps more WAL until its next restartpoint.
 */
import { timelineAt, type Timeline } from './timeline.ts';
import type { Lsn } from './lsn.ts';

export interface CheckpointRecord {
  readonly lsn: Lsn;
  readonly timeline: Timeline;
}

/** A node as trimming sees it: its WAL history, and a position no later restartpoint query goes below. */
export interface RestartpointView {
  readonly timeline: Timeline;
  readonly floor: Lsn;
}

/**
 * Trimming runs when the list has doubled since the last trim and holds at least `min` records. A test
 * seam: test/models/checkpoint-records.test.ts sets `min` to 1 (a trim at every record) and to Infinity
 * (never) and checks that runs are byte-identical.
 */
export const CHECKPOINT_TRIM = { min: 64, cap: 4096 };

export class CheckpointRecords {
  private records: CheckpointRecord[] = [];
  private trimAt = CHECKPOINT_TRIM.min;

  /** @param views the cluster's nodes (running or not), read only when the list is trimmed */
  constructor(private readonly views: () => Iterable<RestartpointView>) {}

  get size(): number {
    return this.records.length;
  }

  add(record: CheckpointRecord): void {
    this.records.push(record);
    if (this.records.length >= this.trimAt) {
      this.trim();
      this.trimAt = Math.max(CHECKPOINT_TRIM.min, 2 * this.records.length);
    }
  }

  /**
   * The newest record before `end` that lies on the history of `tl` (null: none). On one history, records
   * are in LSN order as in time order: a primary's WAL only grows, and a child timeline begins at or past
   * its parent's records that stay on the child's history.
   */
  newestBefore(tl: Timeline, end: Lsn): CheckpointRecord | null {
    for (let i = this.records.length - 1; i >= 0; i--) {
      const r = this.records[i]!;
      if (r.lsn < end && timelineAt(tl, r.lsn) === r.timeline) return r;
    }
    return null;
  }

  /**
   * Keeps what a later `newestBefore(tl, end)` of some node can return. Every such query has `end` at or past
   * the node's floor, and the node's history is fixed below its floor (a node only adopts a timeline whose
   * history agrees with its WAL). So for each node: the newest record on its history below its floor, and
   * every record at or past its floor on a timeline whose history agrees with the node's below the floor
   * (a history the node could still follow). Nothing else can be returned again.
   */
  private trim(): void {
    const keep = new Set<CheckpointRecord>();
    /** Each node's newest record below its floor: where its next restartpoint is if it replays nothing new. */
    const pinned = new Set<CheckpointRecord>();
    for (const v of this.views()) {
      const at = Math.max(0, v.floor - 1);
      const mine = timelineAt(v.timeline, at);
      let below: CheckpointRecord | null = null;
      for (const r of this.records) {
        if (r.lsn < v.floor) {
          if (timelineAt(v.timeline, r.lsn) === r.timeline && (below === null || r.lsn >= below.lsn)) below = r;
        } else if (timelineAt(r.timeline, at) === mine) keep.add(r);
      }
      if (below) pinned.add(below);
    }
    let kept = this.records.filter((r) => keep.has(r) || pinned.has(r));
    while (kept.length > CHECKPOINT_TRIM.cap) {
      // The older half, every other record (its first and last stay): older stretches thin out geometrically.
      const half = kept.length >> 1;
      const before = kept.length;
      kept = kept.filter((r, i) => i >= half || i % 2 === 0 || i === half - 1 || pinned.has(r));
      if (kept.length === before) break;
    }
    this.records = kept;
  }
}

/**
 * Which WAL a server keeps, by version: the checkpoint distance (CheckPointSegments) and the removal horizon a
 * checkpoint computes at its end (../shared/domain/postgres-2.md §1.2, §1.5, rules 2 and 6). Pure functions
 * of positions and settings, in whole segments as the server counts them; checkpointer.ts applies them.
 */
import type { PgMajor } from '../../scenario/types.ts';
import { formatSize } from '../../scenario/units.ts';
import type { Lsn } from './lsn.ts';
import type { PgSettings } from './settings.ts';
import type { RetentionFact } from '../../history/facts/replication.ts';

/** Segment number of an LSN (XLByteToSeg). */
export function segNo(lsn: Lsn, segmentSize: number): number {
  return Math.floor(lsn / segmentSize);
}

/** Whole segments in a size, rounded down (xlog.c ConvertToXSegs: MB / segment MB, integer division). */
export function wholeSegments(bytes: number, segmentSize: number): number {
  return Math.floor(bytes / segmentSize);
}

/**
 * CheckPointSegments (xlog.c CalculateCheckpointSegments; postgres-2.md §1.2): checkpoint_segments up to 9.4;
 * then max_wal_size in segments / (2 + checkpoint_completion_target) for 9.5-10, whose checkpoints keep two
 * cycles of WAL, and / (1 + checkpoint_completion_target) from 11 ("prior to PG11 we kept WAL for two
 * checkpoint cycles"); rounded down, at least 1. Defaults: 3, 25 (9.5-10), 42 (11-13), 33 (14+).
 */
export function checkpointSegments(version: PgMajor, s: PgSettings): number {
  if (version < 9.5) return Math.max(1, s.checkpointSegments);
  const maxWalSegs = wholeSegments(s.maxWalSize, s.walSegmentSize);
  const cycles = version >= 11 ? 1 : 2;
  return Math.max(1, Math.floor(maxWalSegs / (cycles + s.checkpointCompletionTarget)));
}

/**
 * The WAL position at which a checkpoint is requested for WAL volume (xlog.c XLogCheckpointNeeded, checked
 * when a segment is completed: the segment just filled is at least seg(redo) + CheckPointSegments - 1, i.e.
 * the insert position, or on a standby the replay position, reaches the start of segment
 * seg(redo) + CheckPointSegments).
 */
export function distanceTrigger(redo: Lsn, cps: number, segmentSize: number): Lsn {
  return (segNo(redo, segmentSize) + cps) * segmentSize;
}

/** The name of the setting that keeps WAL for standbys, as the version spells it, with its value. */
export function walKeepText(version: PgMajor, s: PgSettings): string {
  if (version >= 13) return `wal_keep_size = ${formatSize(s.walKeepSize)}`;
  return `wal_keep_segments = ${wholeSegments(s.walKeepSize, s.walSegmentSize)}`;
}

/** What a server keeps of its WAL for standbys (postgres-2.md §1.5), as a fact for explanations. */
export function retentionFact(n: { readonly name: string; readonly version: PgMajor; readonly settings: PgSettings }): RetentionFact {
  const walKeep = n.version >= 13 ? ({ setting: 'wal_keep_size', value: n.settings.walKeepSize } as const) : ({ setting: 'wal_keep_segments', value: wholeSegments(n.settings.walKeepSize, n.settings.walSegmentSize) } as const);
  return { kind: 'wal-retention', node: n.name, version: n.version, walKeep };
}

export interface HorizonInput {
  readonly version: PgMajor;
  readonly settings: PgSettings;
  /** This checkpoint's redo point (RedoRecPtr). */
  readonly redo: Lsn;
  /** The redo point of the checkpoint before it (ControlFile->checkPointCopy.redo before the update). */
  readonly priorRedo: Lsn;
  /** End of the checkpoint record (a restartpoint: the larger of the received and replayed positions). */
  readonly recptr: Lsn;
  /** The oldest restart_lsn of the server's valid slots (XLogGetReplicationSlotMinimumLSN), or null. */
  readonly slotMinimum: Lsn | null;
}

export interface Horizon {
  /** First segment kept; every segment before it is removed (or recycled). */
  readonly keepFrom: number;
  /** What decided it, for explanations. */
  readonly decidedBy: 'redo' | 'prior-redo' | 'wal-keep' | 'slot' | 'slot-capped';
  /**
   * 13+: slots whose restart_lsn is before this position are invalidated now (slot.c
   * InvalidateObsoleteReplicationSlots: restart_lsn < start of segment keepFrom); null before 13.
   */
  readonly invalidateBelow: Lsn | null;
}

/**
 * The oldest segment a checkpoint keeps (xlog.c CreateCheckPoint / CreateRestartPoint with KeepLogSeg;
 * postgres-2.md §1.5, rule 6):
 * - start: up to 10 the prior checkpoint's redo segment (two cycles kept), from 11 this checkpoint's;
 * - KeepLogSeg(recptr) with cur = seg(recptr): <= 12 `cur - wal_keep_segments` (not below 1), then from 9.4 the
 *   slots' minimum; 13+ the slots' minimum (16+ only when it is before recptr), capped at
 *   max_slot_wal_keep_size in whole segments, then wal_keep_size as a floor; the start is lowered to it.
 * The archive gate (segments not yet archived stay) is applied by the caller.
 */
export function removalHorizon(h: HorizonInput): Horizon {
  const seg = h.settings.walSegmentSize;
  let keepFrom = segNo(h.version >= 11 ? h.redo : h.priorRedo, seg);
  let decidedBy: Horizon['decidedBy'] = h.version >= 11 ? 'redo' : 'prior-redo';
  const k = keepLogSegWhy(h.version, h.settings, h.recptr, h.slotMinimum);
  if (k.segment < keepFrom) {
    keepFrom = k.segment;
    decidedBy = k.by;
  }
  return { keepFrom, decidedBy, invalidateBelow: h.version >= 13 ? keepFrom * seg : null };
}

/**
 * xlog.c KeepLogSeg(recptr): the oldest segment wal_keep and the slots keep, counted back from the segment of
 * `recptr` (also what wal_status compares with: GetWALAvailability calls it at the write position).
 */
export function keepLogSeg(version: PgMajor, s: PgSettings, recptr: Lsn, slotMinimum: Lsn | null): number {
  return keepLogSegWhy(version, s, recptr, slotMinimum).segment;
}

function keepLogSegWhy(version: PgMajor, s: PgSettings, recptr: Lsn, slotMinimum: Lsn | null): { segment: number; by: Horizon['decidedBy'] } {
  const seg = s.walSegmentSize;
  const cur = segNo(recptr, seg);
  let k = cur;
  let by: Horizon['decidedBy'] = 'redo';
  const keepSegs = wholeSegments(s.walKeepSize, seg);
  if (version < 13) {
    if (keepSegs > 0) {
      k = Math.max(1, cur - keepSegs);
      by = 'wal-keep';
    }
    if (version >= 9.4 && slotMinimum !== null) {
      const slotSeg = Math.max(1, segNo(slotMinimum, seg));
      if (slotSeg < k) {
        k = slotSeg;
        by = 'slot';
      }
    }
    return { segment: k, by };
  }
  if (slotMinimum !== null && (version < 16 || slotMinimum < recptr)) {
    k = segNo(slotMinimum, seg);
    by = 'slot';
    if (s.maxSlotWalKeepSize !== null) {
      const cap = wholeSegments(s.maxSlotWalKeepSize, seg);
      if (cur - k > cap) {
        k = cur - cap;
        by = 'slot-capped';
      }
    }
  }
  if (keepSegs > 0 && cur - k < keepSegs) {
    k = Math.max(1, cur - keepSegs);
    by = 'wal-keep';
  }
  return { segment: k, by };
}

/** min_wal_size is not a setting of the model: its default (9.5+), 80 MB. */
const MIN_WAL_SIZE = 80 * 1024 * 1024;

/**
 * xlog.c UpdateCheckPointDistanceEstimate (9.5+): the checkpointer's running estimate of the WAL between two
 * checkpoints' redo points, from this checkpoint's distance: raised at once, lowered by a tenth of the gap.
 */
export function nextDistanceEstimate(estimate: number, distance: number): number {
  return estimate < distance ? distance : 0.9 * estimate + 0.1 * distance;
}

/**
 * The highest segment a checkpoint's removal recycles a removed segment into, as a future segment (xlog.c
 * XLOGfileslop, 9.5+): enough to reach the estimated end of the next checkpoint, (1 + checkpoint_completion_target)
 * distance estimates past `lastRedo` ((2 + ...) up to 10, whose `lastRedo` is the prior checkpoint's redo), plus
 * 10%, between min_wal_size and max_wal_size counted from `lastRedo`'s segment. Up to 9.4: 2 × checkpoint_segments
 * + 1 past the segment of `end` (XLOGfileslop as a constant).
 */
export function recycleSegNo(version: PgMajor, s: PgSettings, lastRedo: Lsn, end: Lsn, estimate: number): number {
  const seg = s.walSegmentSize;
  if (version < 9.5) return segNo(end, seg) + 2 * s.checkpointSegments + 1;
  const minSeg = segNo(lastRedo, seg) + wholeSegments(MIN_WAL_SIZE, seg) - 1;
  const maxSeg = segNo(lastRedo, seg) + wholeSegments(s.maxWalSize, seg) - 1;
  const distance = 1.1 * ((version >= 11 ? 1 : 2) + s.checkpointCompletionTarget) * estimate;
  return Math.min(maxSeg, Math.max(minSeg, Math.ceil((lastRedo + distance) / seg)));
}

/**
 * Of `removed` segments a checkpoint no longer keeps, how many become future segments (xlog.c RemoveOldXlogFiles
 * → RemoveXlogFile → InstallXLogFileSegment with find_free: each into the first free number from the segment of
 * `end` up to `recycleTo`; none free, it is deleted), and the highest future segment after it. `future`: the
 * highest future segment before (or below the segment of `end`: none).
 */
export function recycle(removed: number, end: Lsn, segmentSize: number, future: number, recycleTo: number): { recycled: number; future: number } {
  const from = Math.max(future, segNo(end, segmentSize));
  const recycled = Math.max(0, Math.min(removed, recycleTo - from));
  return { recycled, future: from + recycled };
}


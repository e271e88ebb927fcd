/**
 * How much WAL a server keeps behind its insert position when no slot and no archive holds it: what a
 * disconnected standby may fall behind and still resume streaming. The rules (xlog.c CreateCheckPoint and
 * KeepLogSeg; ../shared/domain/postgres-2.md §1.2 and §1.5; docs/model-postgres.md):
 *
 * - a checkpoint happens every checkpoint_timeout, or sooner when CheckPointSegments segments of WAL were
 *   written since the last one: checkpoint_segments up to 9.4, max_wal_size / (2 + checkpoint_completion_target)
 *   in 9.5-10 (two cycles kept), max_wal_size / (1 + checkpoint_completion_target) from 11;
 * - at its end it removes segments before its own redo point (from 11) or the prior checkpoint's (up to 10),
 *   but keeps wal_keep_size (13+) or wal_keep_segments (up to 12) behind the insert position;
 * - a spread checkpoint's redo point is checkpoint_completion_target of an interval behind its end.
 *
 * So just after a checkpoint a server keeps the larger of wal_keep_size and the WAL since the redo point, and
 * one more interval's WAL before the next checkpoint removes it. An estimate for planning: the exact amount
 * depends on when the checkpoints fall (the model replays them).
 */
import type { PgMajor } from '../../scenario/types.ts';
import type { PgSettings } from '../../models/postgres/settings.ts';
import { formatSize } from '../../scenario/units.ts';

/** checkpoint_completion_target's default: 0.9 from 14, 0.5 before (guc_tables.c). */
export function defaultCompletionTarget(version: PgMajor): number {
  return version >= 14 ? 0.9 : 0.5;
}

/** checkpoint_segments' default up to 9.4: 3. */
const CHECKPOINT_SEGMENTS = 3;

export interface Retention {
  /** WAL kept just after a checkpoint, bytes. */
  readonly min: number;
  /** WAL kept just before the next one. */
  readonly max: number;
  /** Seconds between checkpoints at this WAL rate. */
  readonly interval: number;
  /** What decides it, for explanations. */
  readonly text: string;
}

/** How often a server checkpoints at this WAL rate, and the WAL written between two checkpoints. */
export function checkpointCycle(version: PgMajor, s: PgSettings, walBytesPerSecond: number): { interval: number; cycle: number; by: string } {
  const timeout = s.checkpointTimeout / 1e6;
  const distance =
    version < 9.5 ? CHECKPOINT_SEGMENTS * s.walSegmentSize : Math.max(1, Math.floor(Math.floor(s.maxWalSize / s.walSegmentSize) / ((version >= 11 ? 1 : 2) + defaultCompletionTarget(version)))) * s.walSegmentSize;
  const byVolume = walBytesPerSecond > 0 ? distance / walBytesPerSecond : Number.POSITIVE_INFINITY;
  const interval = Math.min(timeout, byVolume);
  const by = interval === timeout ? `checkpoint_timeout = ${timeout} s` : `${formatSize(distance)} of WAL (${version < 9.5 ? 'checkpoint_segments' : 'max_wal_size'})`;
  return { interval, cycle: walBytesPerSecond * interval, by };
}

function keepText(version: PgMajor, s: PgSettings): string {
  return version >= 13 ? `wal_keep_size = ${formatSize(s.walKeepSize)}` : `wal_keep_segments = ${Math.floor(s.walKeepSize / s.walSegmentSize)}`;
}

export function walRetention(version: PgMajor, s: PgSettings, walBytesPerSecond: number): Retention {
  const cct = defaultCompletionTarget(version);
  const { interval, cycle, by } = checkpointCycle(version, s, walBytesPerSecond);
  // Up to 10 a checkpoint removes only what is older than the prior checkpoint's redo: one more cycle.
  const sinceRedo = cycle * cct + (version >= 11 ? 0 : cycle);
  const min = Math.max(s.walKeepSize, sinceRedo);
  return { min, max: min + cycle, interval, text: `${keepText(version, s)}; a checkpoint every ${Math.round(interval)} s (${by}) ${version >= 11 ? 'removes WAL before its redo point' : "removes WAL before the prior checkpoint's redo point"}` };
}

/**
 * What a primary keeps behind its end of WAL once its shutdown checkpoint is written: a standby lagging
 * further is cut off (its walsender fails with "requested WAL segment … has already been removed") and never
 * gets the rest. xlog.c CreateCheckPoint: a shutdown checkpoint's redo point is the checkpoint itself, and
 * RemoveOldXlogFiles removes every segment before the redo segment that KeepLogSeg does not keep (wal_keep_size
 * or wal_keep_segments, whole segments back from the current one; slots). Up to 10 it removes only before the
 * prior checkpoint's redo point: a checkpoint running at the stop first completes at full speed
 * (checkpointer.c CheckpointWriteDelay stops pacing once shutdown is requested), so that is the redo point of
 * the last checkpoint started, anywhere up to one cycle of WAL back. `min` is sure to be kept, `max` may be
 * (the current segment's part written; up to 10 where the last checkpoint fell). `walBytesPerSecond`: the
 * rate before the stop, for the checkpoint cycle up to 10.
 */
export function shutdownRetention(version: PgMajor, s: PgSettings, walBytesPerSecond: number): Retention {
  const seg = s.walSegmentSize;
  const keep = Math.floor(s.walKeepSize / seg) * seg;
  if (version >= 11) return { min: keep, max: keep + seg, interval: 0, text: `${keepText(version, s)}; the shutdown checkpoint removes the WAL before itself that it does not keep` };
  const { interval, cycle, by } = checkpointCycle(version, s, walBytesPerSecond);
  return {
    min: keep,
    max: Math.max(keep, cycle) + seg,
    interval,
    text: `${keepText(version, s)}; the shutdown checkpoint removes the WAL before the redo point of the last checkpoint started, up to a cycle back (a checkpoint every ${Math.round(interval)} s, ${by})`,
  };
}

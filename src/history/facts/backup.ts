/**
 * Facts of copies of a data directory (models/postgres: rebuild.ts, pitr.ts, slots.ts): pg_basebackup, pg_rewind,
 * restoring a named base backup and its archive recovery to a target, replication slots created or invalidated.
 * Sizes in bytes, rates in bytes per second, durations in µs. `node` is the server copied into (null: the
 * backup store), `from` the source; `backup` a named backup.
 */
import type { Lsn } from '../../models/postgres/lsn.ts';
import type { PgMajor } from '../../scenario/types.ts';
import type { Fact, Rule } from './index.ts';

/** Why pg_basebackup failed or was refused. */
export type BasebackupFailure =
  /** pg_basebackup.c verify_dir_is_empty_or_create. */
  | { readonly kind: 'not-empty' }
  | { readonly kind: 'copy-running' }
  | { readonly kind: 'source-unavailable'; readonly running: boolean }
  | { readonly kind: 'walsenders-exhausted'; readonly max: number; readonly wanted: number }
  | { readonly kind: 'slots-full'; readonly slot: string }
  | { readonly kind: 'segment-removed'; readonly segment: string }
  | { readonly kind: 'source-down' }
  /** Taken from a standby that was promoted before the copy ended (xlog.c do_pg_backup_stop). */
  | { readonly kind: 'standby-promoted' }
  /** The data directory it was copying into was emptied meanwhile (destroy_data, another reclone). */
  | { readonly kind: 'directory-removed' };

/** Why pg_rewind failed or was refused. */
export type RewindFailure =
  | { readonly kind: 'before-9.5' }
  | { readonly kind: 'no-data-directory' }
  /** pg_rewind.c sanityChecks. */
  | { readonly kind: 'no-hints' }
  | { readonly kind: 'running' }
  | { readonly kind: 'crashed-before-13' }
  | { readonly kind: 'source-unavailable'; readonly running: boolean }
  | { readonly kind: 'different-systems' }
  /** Up to 13 the source must be a primary (libpq_fetch.c libpqConnect); 14 allows a standby. */
  | { readonly kind: 'source-in-recovery' }
  /**
   * parsexlog.c findLastCheckpoint: walking back from the fork, the record at `previousRecord` is in `segment`, gone
   * from the target's pg_wal; `lsn`: the last common checkpoint's record it was looking for.
   */
  | {
      readonly kind: 'wal-missing';
      readonly segment: string;
      readonly lsn: Lsn;
      readonly previousRecord: Lsn;
      /** The end-of-recovery checkpoint of the crash recovery pg_rewind ran first (13+) removed it; `restored`: -c looked in the archive too. */
      readonly removedByCrashRecovery?: boolean;
      readonly restored?: boolean;
    }
  | { readonly kind: 'source-down' };

/** A restore's recovery target and recovery_target_action. */
export interface RecoveryTargetFact {
  readonly target: 'latest' | 'immediate' | 'lsn' | 'time';
  readonly targetLsn: Lsn | null;
  readonly action: 'pause' | 'promote' | 'shutdown';
}

/** Why restoring a base backup was refused (`failure`: the backup's own failure). */
export type RestoreRefusal =
  | { readonly kind: 'no-backup'; readonly backup: string }
  | { readonly kind: 'backup-running'; readonly backup: string }
  | { readonly kind: 'backup-failed'; readonly backup: string; readonly failure: Fact }
  | { readonly kind: 'running' }
  | { readonly kind: 'copy-running' }
  | { readonly kind: 'store-unreachable'; readonly site: string };

/** What keeps a base backup's WAL on its source while it copies. */
export type BackupWalHold = { readonly kind: 'slot'; readonly slot: string } | { readonly kind: 'fetch' } | { readonly kind: 'stream' };

export type BackupFact =
  | { readonly kind: 'data-directory-destroyed'; readonly node: string }
  | { readonly kind: 'basebackup-failed'; readonly node: string | null; readonly backup: string | null; readonly from: string; readonly failure: BasebackupFailure; readonly rule?: Rule }
  /** A copy begins (`site`: the backup store's, when `node` is null; `wait`: a spread checkpoint's, µs). */
  | {
      readonly kind: 'basebackup-started';
      readonly node: string | null;
      readonly backup: string | null;
      readonly site: string;
      readonly from: string;
      readonly checkpoint: 'fast' | 'spread';
      readonly wait: number;
      readonly walMethod: string;
      readonly bytes: number;
      readonly rate: number;
      readonly duration: number;
      readonly startLsn: Lsn;
      readonly hold: BackupWalHold;
    }
  | { readonly kind: 'basebackup-done'; readonly node: string | null; readonly backup: string | null; readonly site: string; readonly from: string; readonly startLsn: Lsn; readonly endLsn: Lsn; readonly timeline: number }
  | { readonly kind: 'rewind-failed'; readonly node: string; readonly from: string; readonly failure: RewindFailure; readonly rule?: Rule }
  /**
   * pg_rewind.c main: the target's WAL ends at or before the fork; or both control files name the same timeline
   * number, `sameTimeline`, whatever the WAL: (up to 15) the source's first checkpoint after its promotion has not
   * completed (`checkpoint-pending`), or two promotions chose the same number for two histories (`same-number`).
   */
  | { readonly kind: 'rewind-not-required'; readonly node: string; readonly from: string; readonly lsn: Lsn; readonly forkLsn: Lsn; readonly sameTimeline?: number; readonly why?: 'checkpoint-pending' | 'same-number'; readonly rule: Rule }
  | { readonly kind: 'rewind-started'; readonly node: string; readonly from: string; readonly undone: number; readonly forkLsn: Lsn; readonly bytes: number; readonly duration: number }
  /**
   * `redo`: the last common checkpoint's redo, where the target's recovery starts; `held`: how much WAL from there
   * it holds (0: the source no longer had the redo's segment; its WAL starts at `sourceOldest`).
   */
  | { readonly kind: 'rewind-done'; readonly node: string; readonly from: string; readonly timeline: number; readonly redo: Lsn; readonly held: number; readonly sourceOldest: Lsn }
  | { readonly kind: 'restore-refused'; readonly node: string; readonly why: RestoreRefusal }
  | {
      readonly kind: 'restore-started';
      readonly node: string;
      readonly backup: string;
      readonly from: string;
      readonly checkpointLsn: Lsn;
      readonly endLsn: Lsn;
      readonly timeline: number;
      readonly bytes: number;
      readonly rate: number;
      readonly duration: number;
      readonly recovery: RecoveryTargetFact;
      readonly version: PgMajor;
    }
  | { readonly kind: 'restore-installed'; readonly node: string; readonly backup: string; readonly recovery: RecoveryTargetFact }
  | { readonly kind: 'archive-recovery-started'; readonly node: string; readonly backup: string; readonly recovery: RecoveryTargetFact; readonly timeline: number }
  /** xlogrecovery.c recoveryStopsBefore/After: the target reached (`reason`: what the history file says). */
  | { readonly kind: 'recovery-target-reached'; readonly node: string; readonly lsn: Lsn; readonly reason: string; readonly action: 'pause' | 'promote' | 'shutdown'; readonly rule: Rule }
  | { readonly kind: 'archive-recovery-complete'; readonly node: string; readonly lsn: Lsn }
  /** Up to 12 archive recovery ends where the archive does, before its target (13+: PerformWalRecovery's FATAL). */
  | { readonly kind: 'archive-ran-out'; readonly node: string; readonly lsn: Lsn; readonly version: PgMajor }
  /** The startup process's FATAL (`error`: the server's own message). */
  | { readonly kind: 'archive-recovery-failed'; readonly node: string; readonly error: string; readonly rule?: Rule }
  /** slot.c ReplicationSlotCreate: max_replication_slots reached. */
  | { readonly kind: 'slot-not-created'; readonly node: string; readonly slot: string; readonly max: number; readonly rule: Rule }
  /**
   * slot.c InvalidateObsoleteReplicationSlots: the slot retained more than max_slot_wal_keep_size (`limit`, bytes).
   * `horizon`: 'released' when the slot held the xmin horizon, which an invalidated slot no longer does.
   */
  | {
      readonly kind: 'slot-invalidated';
      readonly node: string;
      readonly slot: string;
      readonly limit: number;
      readonly segments: number;
      readonly horizon: 'released' | null;
      readonly version: PgMajor;
      readonly rule: Rule;
    }
  /** 18+: the slot was unused for `idle` µs, at least idle_replication_slot_timeout (`timeout`, µs), at a checkpoint. */
  | { readonly kind: 'slot-invalidated-idle'; readonly node: string; readonly slot: string; readonly idle: number; readonly timeout: number; readonly horizon: 'released' | null; readonly rule: Rule };

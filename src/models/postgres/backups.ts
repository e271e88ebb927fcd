/**
 * Named base backups kept for a later restore (pitr.ts): what pg_basebackup wrote (its data files, the WAL
 * from the start point to the end point with -X stream or fetch, backup_label naming the checkpoint) and where
 * it is stored. A backup is taken by a `basebackup` step with a `name` (rebuild.ts): into a node (the copy is
 * kept, as if it were also written to a backup directory) or, with no node, into the backup store at the WAL
 * archive's site.
 */
import type { Micros } from '../../engine/time.ts';
import type { Fact } from '../../history/facts/index.ts';
import type { Lsn } from './lsn.ts';
import type { Timeline } from './timeline.ts';

export interface BaseBackup {
  readonly name: string;
  /** The server it was taken from. */
  readonly from: string;
  /** The site whose disks hold it (the restore copies it from there). */
  readonly site: string;
  /** backup_label's CHECKPOINT LOCATION: the redo point of the backup's checkpoint and its timeline. */
  readonly checkpoint: { readonly lsn: Lsn; readonly tli: number };
  /** Its WAL is the prefix of this history up to `endLsn` (the backup's end point, its minimum recovery point). */
  readonly timeline: Timeline;
  readonly endLsn: Lsn;
  /** Bytes of the data directory copied. */
  readonly size: number;
  readonly completedAt: Micros;
}

export type BackupState = { readonly state: 'running'; readonly endsAt: Micros } | { readonly state: 'failed'; readonly why: Fact } | { readonly state: 'done'; readonly backup: BaseBackup };

export class BackupStore {
  private readonly byName = new Map<string, BackupState>();

  started(name: string, endsAt: Micros): void {
    this.byName.set(name, { state: 'running', endsAt });
  }

  failed(name: string, why: Fact): void {
    this.byName.set(name, { state: 'failed', why });
  }

  done(backup: BaseBackup): void {
    this.byName.set(backup.name, { state: 'done', backup });
  }

  get(name: string): BackupState | null {
    return this.byName.get(name) ?? null;
  }
}

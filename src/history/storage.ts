/**
 * What the WAL storage model records (models/postgres/storage.ts): each server's pg_wal and its replication
 * slots as pg_replication_slots shows them, at the end of the run (and at `assess` steps). Facts as data;
 * the report renders them. Part of the run's History.
 */
import type { Micros } from '../engine/time.ts';
import type { Lsn } from '../models/postgres/lsn.ts';

export interface SlotRecord {
  readonly name: string;
  readonly kind: 'physical' | 'logical';
  readonly active: boolean;
  /** Null once invalidated (slot.c sets restart_lsn to InvalidXLogRecPtr). */
  readonly restartLsn: Lsn | null;
  /** 13+: reserved, extended, unreserved, lost; null before 13. */
  readonly walStatus: 'reserved' | 'extended' | 'unreserved' | 'lost' | null;
  /** 13+ with max_slot_wal_keep_size >= 0, not lost: bytes writable before the slot is in danger. */
  readonly safeWalSize: number | null;
  /** The standby streaming through it (primary_slot_name), or null. */
  readonly standby: string | null;
}

export interface NodeStorageRecord {
  readonly at: Micros;
  readonly cluster: string;
  readonly node: string;
  /** pg_wal: whole segments from the oldest kept to the one being written. */
  readonly pgWalBytes: number;
  /** The oldest WAL position still in pg_wal. */
  readonly oldestLsn: Lsn;
  readonly slots: readonly SlotRecord[];
  /** The node's archiver (archive_mode): the first segment not archived yet, the backlog, whether it fails. */
  readonly archive: { readonly archivedLsn: Lsn; readonly backlogBytes: number; readonly failing: boolean } | null;
}

export class StorageHistory {
  /** The latest record per node (a later snapshot replaces an earlier one: memory stays bounded). */
  readonly nodes = new Map<string, NodeStorageRecord>();

  constructor(private readonly mix: (s: string) => void) {}

  snapshot(r: NodeStorageRecord): void {
    this.mix(`storage|${r.at}|${r.node}|${r.pgWalBytes}|${r.oldestLsn}|${r.slots.map((s) => `${s.name}:${s.restartLsn}:${s.walStatus}:${s.safeWalSize}`).join(',')}|${r.archive ? `${r.archive.archivedLsn}:${r.archive.backlogBytes}:${r.archive.failing}` : ''}`);
    this.nodes.set(r.node, r);
  }
}

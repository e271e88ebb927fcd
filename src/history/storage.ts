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
  /** pg_wal and slot retention over the run, per node and slot (points where they change). */
  readonly series: StorageSeriesHistory;

  constructor(private readonly mix: (s: string) => void) {
    this.series = new StorageSeriesHistory(mix);
  }

  snapshot(r: NodeStorageRecord): void {
    this.mix(`storage|${r.at}|${r.node}|${r.pgWalBytes}|${r.oldestLsn}|${r.slots.map((s) => `${s.name}:${s.restartLsn}:${s.walStatus}:${s.safeWalSize}`).join(',')}|${r.archive ? `${r.archive.archivedLsn}:${r.archive.backlogBytes}:${r.archive.failing}` : ''}`);
    this.nodes.set(r.node, r);
  }
}

/**
 * What one storage series follows: a server's pg_wal, or the WAL a slot on it retains (its restart_lsn behind
 * the server's WAL end).
 */
export type StorageSeriesKey =
  | { readonly kind: 'pg-wal'; readonly cluster: string; readonly node: string }
  | { readonly kind: 'slot'; readonly cluster: string; readonly node: string; readonly slot: string; readonly slotKind: 'physical' | 'logical' };

/**
 * A point of a storage series, recorded when something changes (a checkpoint removed WAL, a slot was created,
 * dropped or invalidated, a rate changed): `value` from `at` on, growing at `rate` bytes/µs until the next
 * point; `before` the value just before `at` when it jumped there (a removal), else equal to `value`.
 */
export interface StorageSeriesPoint {
  readonly at: Micros;
  readonly before: number;
  readonly value: number;
  readonly rate: number;
  /** A slot's wal_status at this point (13+), null for pg_wal and before 13. */
  readonly walStatus: SlotRecord['walStatus'];
}

export interface StorageSeries {
  readonly key: StorageSeriesKey;
  readonly points: StorageSeriesPoint[];
  /** When the slot was dropped (its series ends there), or null. */
  endedAt: Micros | null;
}

/** Beyond this many points in all, every other point of each series is dropped (the lines get coarser). */
export const STORAGE_SERIES_LIMIT = 100_000;

/**
 * The storage series of a run (models/postgres/wal-series.ts records them): points only where the model
 * changes, so their number follows the run's events, and stays bounded by STORAGE_SERIES_LIMIT.
 */
export class StorageSeriesHistory {
  readonly series = new Map<string, StorageSeries>();
  private count = 0;

  constructor(
    private readonly mix: (s: string) => void,
    private readonly limit = STORAGE_SERIES_LIMIT,
  ) {}

  static id(k: StorageSeriesKey): string {
    return k.kind === 'pg-wal' ? `${k.cluster}\u0000${k.node}` : `${k.cluster}\u0000${k.node}\u0000${k.slot}`;
  }

  /** The series of `k` (created empty the first time): the recorder keeps it and adds points to it. */
  open(k: StorageSeriesKey): StorageSeries {
    const id = StorageSeriesHistory.id(k);
    let s = this.series.get(id);
    if (!s) this.series.set(id, (s = { key: k, points: [], endedAt: null }));
    return s;
  }

  point(s: StorageSeries, p: StorageSeriesPoint): void {
    s.endedAt = null;
    this.mix(`storage-series|${s.key.node}|${s.key.kind === 'slot' ? s.key.slot : ''}|${p.at}|${p.before}|${p.value}|${p.rate}|${p.walStatus}`);
    s.points.push(p);
    if (++this.count > this.limit) this.thin();
  }

  /** Takes back the last point of `s` (a later state of the same instant replaces it: wal-series.ts). */
  dropLast(s: StorageSeries): StorageSeriesPoint | undefined {
    const p = s.points.pop();
    if (p) {
      this.count = Math.max(0, this.count - 1);
      this.mix(`storage-series-drop|${s.key.node}|${s.key.kind === 'slot' ? s.key.slot : ''}|${p.at}`);
    }
    return p;
  }

  /** A slot was dropped: its series ends at `at`. */
  end(s: StorageSeries, at: Micros): void {
    if (s.endedAt !== null) return;
    this.mix(`storage-series-end|${s.key.node}|${s.key.kind === 'slot' ? s.key.slot : ''}|${at}`);
    s.endedAt = at;
  }

  /**
   * Every other inner point goes: the line between the kept ones runs from a point's value to the next kept
   * point's `before`, so a saw-tooth of checkpoints keeps its peaks and troughs at a coarser period.
   */
  private thin(): void {
    this.count = 0;
    for (const s of this.series.values()) {
      const kept = s.points.filter((_, i) => i === 0 || i === s.points.length - 1 || i % 2 === 0);
      s.points.length = 0;
      s.points.push(...kept);
      this.count += kept.length;
    }
  }
}

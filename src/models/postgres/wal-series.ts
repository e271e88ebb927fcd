/**
 * pg_wal and slot retention over time, from the storage model's own state (docs/charts.md, "pg_wal and slot
 * retention"): per server, pg_wal from its oldest kept segment to its WAL end (n.oldestRetained moves at a
 * checkpoint's removal, xlog.c RemoveOldXlogFiles); per slot, its restart_lsn behind its server's WAL end (the
 * WAL it makes the next checkpoint keep) and its wal_status. Flow-level: between the model's events each grows
 * at its rate, so a point is recorded only where a value jumps or a rate changes (storage.ts calls `sample` after
 * every reflow, removal and checkpoint, at starts and stops, and at the end); a call that finds the line going on
 * as extrapolated records nothing, so the points do not depend on how often the model reflows.
 *
 * wal_status is a function of the positions (slots.ts walStatus) that changes between events; it is read where
 * a point is recorded and at the storage model's own events (`storageEvent`: checkpoints, removals, starts,
 * stops, the end), and a change seen there is a point. Approximation: a change is dated at the first of those
 * after it, not at the instant the WAL end crossed the segment that changed it.
 */
import type { Micros } from '../../engine/time.ts';
import type { StorageSeries, StorageSeriesHistory } from '../../history/storage.ts';
import type { PgCluster } from './cluster.ts';
import type { PgNode } from './node.ts';
import type { ReplicationSlots, WalStatus } from './slots.ts';

/** Bytes: a value within this of its extrapolation is the same line (floating-point noise, not a change). */
const SAME_VALUE = 1;

export class WalSeriesRecorder {
  /** Each server's pg_wal series and each slot's, opened once (a run samples after every reflow). */
  private readonly pgWal = new Map<PgNode, StorageSeries>();
  private slotSeries = new Map<string, StorageSeries>();
  /** What each server's pg_wal line was last checked at: its WAL level's version and oldest kept position. */
  private readonly seen = new Map<PgNode, { version: number; oldest: number }>();

  constructor(
    private readonly cluster: PgCluster,
    private readonly slots: ReplicationSlots,
  ) {}

  private get history(): StorageSeriesHistory {
    return this.cluster.ctx.history.storage.series;
  }

  /**
   * Records what changed since the last sample of `nodes` (the servers whose WAL level moved or whose oldest
   * segment may have: changed-nodes.ts, or the one a storage event is about); `storageEvent` also reads the slots'
   * wal_status.
   */
  sample(now: Micros, storageEvent: boolean, nodes: readonly PgNode[]): void {
    const cluster = this.cluster.name;
    // The first sample opens every server's series, in the cluster's order (the report lists them so).
    for (const n of this.seen.size === 0 ? this.cluster.nodes.values() : nodes) {
      // A server whose WAL level neither jumped nor changed rate and whose oldest segment stayed goes on as
      // extrapolated: nothing to record.
      const version = n.wal.end.version;
      let seen = this.seen.get(n);
      if (seen && seen.version === version && seen.oldest === n.oldestRetained) continue;
      if (!seen) this.seen.set(n, (seen = { version, oldest: n.oldestRetained }));
      seen.version = version;
      seen.oldest = n.oldestRetained;
      let s = this.pgWal.get(n);
      if (!s) this.pgWal.set(n, (s = this.history.open({ kind: 'pg-wal', cluster, node: n.name })));
      // storage.ts pgWalBytes: WAL end minus the oldest kept; only the WAL end moves between removals.
      this.record(s, now, Math.max(0, n.walEnd(now) - n.oldestRetained), n.wal.end.rate, null, false);
    }
    if (this.slotSeries.size === 0 && this.slots.size === 0) return;
    const seen = new Map<string, StorageSeries>();
    for (const v of this.slots.names()) {
      const s = this.slotSeries.get(v.name) ?? this.history.open({ kind: 'slot', cluster, node: v.node, slot: v.name, slotKind: v.kind });
      seen.set(v.name, s);
      const r = this.slots.retained(v.name, now);
      this.record(s, now, r.value, this.slots.lagRate(v.name, now), r.status, storageEvent);
    }
    for (const [name, s] of this.slotSeries) if (!seen.has(name)) this.history.end(s, now);
    this.slotSeries = seen;
  }

  private record(s: StorageSeries, at: Micros, value: number, rate: number, status: (() => WalStatus | null) | null, readStatus: boolean): void {
    let last = s.points.at(-1);
    if (!last) {
      this.history.point(s, { at, before: value, value, rate, walStatus: status ? status() : null });
      return;
    }
    const expected = last.value + last.rate * (at - last.at);
    const same = Math.abs(expected - value) <= SAME_VALUE && last.rate === rate;
    if (same && !(readStatus && status)) return;
    const walStatus = status ? status() : null;
    if (same && walStatus === last.walStatus) return;
    // A later state of the same instant replaces the point of an earlier one: a state that lasted no time (a
    // stream opened and closed at once, between two recomputations of one instant) is not a point. The first
    // point of a series stays.
    let before: number | null = null;
    if (last.at === at && s.points.length > 1) {
      before = this.history.dropLast(s)!.before;
      last = s.points.at(-1)!;
      const from = last.value + last.rate * (at - last.at);
      if (Math.abs(from - value) <= SAME_VALUE && last.rate === rate && walStatus === last.walStatus) return;
    }
    this.history.point(s, { at, before: before ?? (Math.abs(expected - value) <= SAME_VALUE ? value : expected), value, rate, walStatus });
  }
}

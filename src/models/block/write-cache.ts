/**
 * Volatile write caches: what a power loss takes from a DRBD node's disk that had already completed it.
 *
 * A write-back cache without battery or flash backup completes a write before it is on the media; a flush
 * (REQ_PREFLUSH, FUA) writes the cache out. Who flushes a DRBD node's backing disk:
 * - The peer, at each epoch's barrier, before it acknowledges the barrier (drbd_receiver.c
 *   drbd_flush_after_epoch, only while resource->write_ordering >= WO_BDEV_FLUSH; max_allowed_wo: disk-barrier,
 *   else disk-flushes, else disk-drain, else none). The barrier ack is what makes the primary release a write
 *   (RQ_NET_DONE, tl_release): with flushes, nothing the primary released is only in the peer's cache; with
 *   drain or none, a power loss of the peer loses released writes the primary's bitmap never marks.
 * - Meta-data writes carry REQ_PREFLUSH | REQ_FUA unless md-flushes is off (drbd_actlog.c, MD_NO_FUA), and an
 *   activity-log transaction is written when a write needs a cold extent. The primary does this for its writes
 *   (drbd_req.c), and a DRBD 9 peer for the peer's writes too (drbd_receiver.c
 *   submit_peer_request_activity_log); an 8.4 peer only when its peer's disk is gone (receive_Data). So the
 *   cache holds at most the writes between two such transactions.
 * - The application's own flushes pass through (DP_FLUSH → REQ_PREFLUSH on the peer, wire_flags_to_bio).
 *   ASSUMPTION: a block workload issues none; every write it counts is one the device reported complete.
 * A cache whose controller ignores flushes (forced write-back without its battery) keeps them all.
 * APPROXIMATION: the cache holds the last `size` bytes written (its dirty data, destaged oldest first), and
 * one activity-log transaction per write to a cold extent (up to 64 share one, AL_UPDATES_PER_TRANSACTION).
 */
import type { WriteCacheSpec } from '../disk/device.ts';
import type { DrbdDiskOptions, IoWorkloadSpec } from '../../scenario/types-block.ts';
import type { CacheLossWhy } from '../../history/facts/block-why.ts';
import { AL_EXTENT_SIZE } from './activity-log.ts';

type Shape = Pick<IoWorkloadSpec, 'size' | 'random' | 'workingSet' | 'iops' | 'readShare'>;


/**
 * Bytes of writes completed to the workloads between two activity-log transactions: the write bytes over the
 * writes that need a cold extent. Random writes over E extents with the log holding A hit a cold one with
 * probability 1 − A/E (LRU under uniform placement); a sequential stream once per 4 MiB. Infinity: none do.
 */
export function bytesPerAlTransaction(alExtents: number, shapes: readonly Shape[]): number {
  const writers = shapes.filter((s) => s.iops * (1 - s.readShare) > 0);
  const extents = writers.reduce((a, s) => a + Math.max(1, s.workingSet / AL_EXTENT_SIZE), 0);
  let bytes = 0;
  let misses = 0;
  for (const s of writers) {
    const w = s.iops * (1 - s.readShare);
    bytes += w * s.size;
    misses += w * (s.random * Math.max(0, 1 - alExtents / extents) + ((1 - s.random) * s.size) / AL_EXTENT_SIZE);
  }
  return misses > 0 ? bytes / misses : Infinity;
}

/**
 * Completed writes a power loss takes from `cache` on a node of `role` (0 when none), and why: at most the cache,
 * at most `written` (every byte the device wrote so far), at most the bytes since the last flush DRBD issued.
 * On the secondary, what the current epoch holds is still in the primary's transfer log (not released), so
 * only released writes count: none while the barrier is flushed.
 */
export function unflushed(cache: WriteCacheSpec | undefined, role: 'primary' | 'secondary', drbd: { readonly disk: Pick<DrbdDiskOptions, 'diskBarrier' | 'diskFlushes' | 'mdFlushes' | 'alExtents'>; readonly version: number }, shapes: readonly Shape[], written: number): { bytes: number; why: CacheLossWhy } | null {
  if (!cache || cache.mode !== 'volatile' || !(written > 0)) return null;
  const most = Math.min(cache.size, written);
  if (cache.flushes === 'ignored') return { bytes: most, why: 'flushes-ignored' };
  const d = drbd.disk;
  if (role === 'secondary' && (d.diskBarrier || d.diskFlushes)) return null;
  const alFlushes = d.mdFlushes && (role === 'primary' || drbd.version >= 9);
  const between = alFlushes ? bytesPerAlTransaction(d.alExtents, shapes) : Infinity;
  if (between < most) return { bytes: between, why: 'between-al-transactions' };
  return { bytes: most, why: role === 'secondary' ? 'no-barrier-flush' : 'never-flushed' };
}

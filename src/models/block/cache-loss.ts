/**
 * Where a power loss's volatile-cache losses (write-cache.ts) end up: a peer that lacks writes DRBD believes it
 * has (no bitmap marks them: the barrier ack released them), and a crashed Primary that comes back without
 * writes it had reported complete.
 * - The peer's stale blocks stay out of sync after the reconnection's resync (DRBD resyncs only what is
 *   marked; drbdadm verify would find them): promoting it (forced, or a planned switchover) loses them, and while
 *   the primary runs the peer is not a copy of the newest data (copies.ts peerLacks).
 * - A crashed Primary that boots with nobody promoted is the SyncSource of its activity log's hot extents
 *   (8.4's common power failure, DRBD 9 protocols A and B, or both nodes down: world.ts crashedPrimaryBack), so
 *   its cache's loss overwrites the peer's good copy: lost. DRBD 9 protocol C with the peer up resyncs the
 *   other way and loses nothing. One that comes back as the new primary's peer is stale in its turn.
 *   APPROXIMATION: the lost writes are within the hot extents (they are the most recent); with md-flushes off
 *   the on-disk activity log may itself be stale (not modelled).
 */
import type { Micros } from '../../engine/time.ts';
import type { BlockLossStep } from '../../history/facts/block-why.ts';
import { staleBytes } from './copies.ts';
import { PAGE_SIZE, type BlockResource, type CacheLoss } from './resource.ts';
import { EPS_BYTES } from './state.ts';
import { unflushed } from './write-cache.ts';
import type { BlockWorld } from './world.ts';

/** What `host`'s power loss takes from its disk's volatile cache for resource `r` (null: nothing). */
export function cacheLossAt(w: BlockWorld, r: BlockResource, host: string, disk: string, role: 'primary' | 'secondary', now: Micros): CacheLoss | null {
  if (!r.drbd) return null;
  const shapes = w.workloadsOf(r).map((x) => x.spec);
  const acked = r.acked.valueAt(now);
  const u = unflushed(w.disks.get(disk)?.writeCache, role, r.drbd, shapes, acked);
  if (!u || u.bytes <= EPS_BYTES) return null;
  const workingSet = Math.min(r.spec.size, Math.max(PAGE_SIZE, ...shapes.map((s) => s.workingSet)));
  return { host, disk, bytes: u.bytes, acked, at: now, why: u.why, workingSet };
}

export function cacheStep(c: CacheLoss, role: 'primary' | 'secondary', bytes: number): BlockLossStep {
  return { kind: 'loss-volatile-cache', bytes, host: c.host, disk: c.disk, role, why: c.why };
}

/** The stale writes of `c` still unmended at `now`, recorded lost with `then` after the cache's step. */
function record(w: BlockWorld, r: BlockResource, c: CacheLoss, role: 'primary' | 'secondary', node: string, then: BlockLossStep, now: Micros): void {
  const bytes = staleBytes(c, r, now);
  if (bytes <= EPS_BYTES) return;
  const size = w.workloadsOf(r)[0]?.spec.size ?? PAGE_SIZE;
  const fromPos = Math.max(0, c.acked - bytes);
  w.ctx.history.block.loss({
    at: now,
    resource: r.name,
    node,
    fromAt: r.ackedTimeOf(fromPos, now),
    toAt: c.at,
    writes: Math.max(1, Math.round(bytes / size)),
    bytes: Math.round(bytes),
    fromPos,
    toPos: c.acked,
    chain: [cacheStep(c, role, bytes), then],
  });
}

/**
 * The application moves to `host`, the peer, which lacks stale writes (a planned switchover; a forced promotion
 * with the old Primary up): they are lost, the old node's newer blocks are never resynced back.
 */
export function promotesStale(w: BlockWorld, r: BlockResource, host: string, now: Micros): void {
  const c = r.peerStale;
  r.peerStale = null;
  if (c) record(w, r, c, 'secondary', r.primaryHost, { kind: 'loss-made-primary-without', host }, now);
}

/**
 * The crashed Primary boots: `swapped`, DRBD 9 protocol C resyncs its hot extents from the survivor (nothing
 * lost); else it is their source, and what its cache lost is lost on both (the peer's stale blocks in them are
 * mended by the same resync).
 */
export function crashedPrimaryCache(w: BlockWorld, r: BlockResource, swapped: boolean, now: Micros): void {
  const c = r.primaryCacheLost;
  r.primaryCacheLost = null;
  if (swapped) {
    // The survivor, now the one promoted, had stale blocks of its own (an earlier power loss): its resync
    // carries them to the crashed node too.
    const s = r.peerStale;
    r.peerStale = null;
    if (s) record(w, r, s, 'secondary', r.secondaryHost ?? s.host, { kind: 'loss-made-primary-without', host: r.primaryHost }, now);
    return;
  }
  r.peerStale = null;
  if (c && c.host === r.primaryHost) record(w, r, c, 'primary', c.host, { kind: 'loss-crashed-primary-source', host: c.host, peer: r.secondaryHost }, now);
}

/** The old Primary comes back as the new primary's peer: what its cache lost is stale there now. */
export function oldPrimaryBackAsPeer(r: BlockResource, host: string): void {
  const c = r.primaryCacheLost;
  if (!c || c.host !== host) return;
  r.primaryCacheLost = null;
  r.peerStale = c;
}

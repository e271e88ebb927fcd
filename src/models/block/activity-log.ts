/**
 * DRBD's activity log as a bound on the writes in flight to the peer (../shared/domain/drbd-tcp-disk.md §3.7).
 *
 * A write holds its 4 MiB AL extent until it is RQ_NET_DONE, not merely written locally: "we may only
 * drbd_al_complete_io after this is RQ_NET_DONE, otherwise the extent could be dropped from the al before it
 * has actually been written on the peer" (LINBIT drbd, drbd/drbd_req.c drbd_req_destroy). Under protocol A a
 * write is NET_DONE only when its epoch's barrier is acknowledged, so every write in the send buffer and on
 * the line keeps its extent active. The AL holds at most al-extents (1237) active extents; a write to another
 * extent waits in the submitter until one is released (drbd_actlog.c / drbd_req.c do_submit, al_wait), and
 * its application write does not complete. `act_log->used` (the extents in use) is also what
 * congestion-extents is compared with (drbd_req.c __maybe_pull_ahead).
 *
 * How many extents N writes in flight use: random writes over a working set of E extents touch
 * E·(1 − e^(−N/E)) distinct extents (uniform placement; APPROXIMATION), a sequential stream size·N / 4 MiB + 1.
 * So a random load over a working set far larger than the AL runs out of extents long before a large send
 * buffer is full: 8 KiB random writes over 10 GiB (2,560 extents) fill 1,237 extents with about 1,690 writes
 * (13.8 MB) in flight, whatever sndbuf-size says.
 */
import type { IoWorkloadSpec } from '../../scenario/types-block.ts';

/** An activity-log extent covers 4 MiB of the device (MAN9 al-extents; drbd_int.h AL_EXTENT_SHIFT 22). */
export const AL_EXTENT_SIZE = 4 << 20;

type Shape = Pick<IoWorkloadSpec, 'size' | 'random' | 'workingSet' | 'iops' | 'readShare'>;

/** Extents in use with `bytes` of the workloads' writes in flight, split by their write rates. */
export function extentsInUse(bytes: number, shapes: readonly Shape[]): number {
  if (!(bytes > 0)) return 0;
  const rates = shapes.map((s) => s.iops * (1 - s.readShare) * s.size);
  const total = rates.reduce((a, b) => a + b, 0);
  let used = 0;
  shapes.forEach((s, i) => {
    const share = total > 0 ? rates[i]! / total : 1 / shapes.length;
    const writes = (bytes * share) / s.size;
    const ext = Math.max(1, s.workingSet / AL_EXTENT_SIZE);
    used += ext * (1 - Math.exp((-writes * s.random) / ext));
    const seq = writes * (1 - s.random);
    if (seq > 0) used += Math.min(ext, (seq * s.size) / AL_EXTENT_SIZE + 1);
  });
  return used;
}

/**
 * The bytes in flight at which the workloads' writes use `extents` AL extents: Infinity when they never do
 * (their working sets fit in fewer extents).
 */
export function bytesForExtents(extents: number, shapes: readonly Shape[]): number {
  if (shapes.length === 0 || !(extents > 0)) return Infinity;
  // What an unbounded number of writes could use: every working set's extents.
  const most = shapes.reduce((a, s) => a + Math.max(1, s.workingSet / AL_EXTENT_SIZE), 0);
  if (most < extents * (1 + 1e-9)) return Infinity;
  let hi = AL_EXTENT_SIZE;
  while (extentsInUse(hi, shapes) < extents) {
    hi *= 2;
    if (hi > 2 ** 60) return Infinity;
  }
  let lo = 0;
  for (let i = 0; i < 60 && hi - lo > 1; i++) {
    const mid = (lo + hi) / 2;
    if (extentsInUse(mid, shapes) < extents) lo = mid;
    else hi = mid;
  }
  return hi;
}

/**
 * The bytes a DRBD resource's writes can have in flight before its activity log is full (Infinity for md and
 * WalB, and when the working sets fit in al-extents): in the send buffer, on the line and in the peer's
 * receive queue, which all hold their extents until the barrier ack (flow.ts gives the send path what the
 * peer's queue leaves).
 */
export function alBound(al: { readonly alExtents: number } | null, shapes: readonly Shape[]): number {
  if (!al) return Infinity;
  return bytesForExtents(al.alExtents, shapes.filter((s) => s.iops * (1 - s.readShare) > 0));
}

/**
 * The bytes in flight (DRBD's ap_in_flight + rs_in_flight) at which on-congestion pull-ahead or disconnect
 * fires: congestion-fill (0: off), or as many as use congestion-extents AL extents (`act_log->used >=
 * cong_extents`, drbd_req.c __maybe_pull_ahead; never above al-extents, the most the log holds).
 */
export function congestionThreshold(net: { readonly congestionFill: number; readonly congestionExtents: number }, disk: { readonly alExtents: number }, shapes: readonly Shape[]): number {
  const fill = net.congestionFill > 0 ? net.congestionFill : Infinity;
  if (net.congestionExtents > disk.alExtents) return fill;
  return Math.min(fill, bytesForExtents(net.congestionExtents, shapes.filter((s) => s.iops * (1 - s.readShare) > 0)));
}

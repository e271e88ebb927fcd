/**
 * What one resource's flow reads of the disks' queue solutions, as numbers (issue 12, cost). A reflow
 * computes a volume's flow again only when something it read moved: with many volumes on one disk pair,
 * a solution of the shared disk moves at every volume's own event, but a volume reads only its own streams
 * there (their rates, latencies and costs, the disk's utilisation for its percentiles), and of its peer's
 * disk only whether it is solved, unless it waits for the peer's writes (protocol B and C read its
 * receiver's latency). Comparing these values instead of the solutions' identities keeps a volume's flow
 * when what it reads came out the same, and indexes each disk's readers by what they read, so an event on
 * one volume does not visit every volume on its peer's disk.
 *
 * The lists mirror the reads of flowOf (flow.ts) and of trackWorkload (workload-stalls.ts: latency percentiles, the
 * stall's bottleneck): a read added there must be added here, or a volume keeps a flow computed from a
 * stale value (test/models/block/cost.test.ts compares incremental reflows with full ones).
 */
import type { Micros } from '../../engine/time.ts';
import type { DiskSolution, StreamResult } from '../disk/queue.ts';
import type { BlockResource } from './resource.ts';
import type { ResourceFlow, WorkloadState } from './state.ts';

/** Whether the resource's flow reads its peer disk's solution (protocol B and C wait for the peer's write or receipt). */
export function readsPeerSolution(r: BlockResource): boolean {
  return r.drbd !== null && r.drbd.net.protocol !== 'A';
}

/** The disks whose solutions' values the resource reads (its writes', its resync's; its receiver's under B/C). */
export function valueDisks(r: BlockResource): string[] {
  const out = [r.primaryDisk];
  if (r.walb) out.push(r.walb.logDisk);
  if (r.secondaryDisk !== null && readsPeerSolution(r)) out.push(r.secondaryDisk);
  return out;
}

/** A disk read for its presence only (a protocol A, md or WalB peer: the stall's explanation names it). */
export function presenceDisk(r: BlockResource): string | null {
  return r.secondaryDisk !== null && !readsPeerSolution(r) ? r.secondaryDisk : null;
}

/** A key that changes when the disks a resource reads, or how it reads them, change (the index is built again). */
export function readersKey(r: BlockResource): string {
  return `${valueDisks(r).join('|')}#${presenceDisk(r) ?? ''}`;
}

function pushStream(out: number[], st: StreamResult | undefined): void {
  if (!st) {
    out.push(-1);
    return;
  }
  out.push(1, st.rate, st.latency, st.cost.phases, st.cost.service);
}

function pushDisk(out: number[], sol: DiskSolution | undefined): void {
  if (!sol) out.push(-1);
  else out.push(1, sol.rho, sol.shareTotal);
}

/**
 * What a resource read of the solutions: of its primary's disk (its writes' and its resync's streams, the
 * disk's utilisation), and the rest (its peer's drain; WalB's log disk; its peer's disk).
 */
export interface Readings {
  readonly primary: readonly number[];
  readonly rest: readonly number[];
}

/** Every number the resource's flow and its workloads' tracking read of the solutions, and its peer's drain. */
export function readingsOf(r: BlockResource, ws: readonly WorkloadState[], sols: ReadonlyMap<string, DiskSolution>, drainCap: number): Readings {
  const primary: number[] = [];
  const rest: number[] = [drainCap];
  const local = sols.get(r.primaryDisk);
  pushDisk(primary, local);
  const wb = r.walb;
  const log = wb ? sols.get(wb.logDisk) : undefined;
  if (wb) pushDisk(rest, log);
  for (const w of ws) {
    const id = `${r.name}|${w.spec.name}|`;
    if (wb) pushStream(rest, log?.streams.get(`${id}log`));
    else {
      pushStream(primary, local?.streams.get(`${id}rw`));
      pushStream(primary, local?.streams.get(`${id}sw`));
    }
  }
  pushStream(primary, local?.streams.get(`${r.name}|rs`));
  if (r.secondaryDisk === null) return { primary, rest };
  const peer = sols.get(r.secondaryDisk);
  rest.push(peer ? 1 : 0);
  if (peer && readsPeerSolution(r)) {
    for (const w of ws) pushStream(rest, peer.streams.get(`${r.name}|rcv|${w.spec.name}|rw`) ?? peer.streams.get(`${r.name}|rcv|${w.spec.name}|sw`));
  }
  return { primary, rest };
}

export function sameReadings(a: Readings | undefined, b: Readings): boolean {
  return a !== undefined && sameNumbers(a.primary, b.primary) && sameNumbers(a.rest, b.rest);
}

/**
 * p99 of a write's local latency ≤ this × its class's mean latency, whatever the disk's utilisation ρ: the
 * class quantile is service + (Wq/ρ)·ln(100ρ) (disk/percentiles.ts), and ln(100ρ)/ρ is at most 100/e.
 */
const P99_OVER_MEAN = 37;

/**
 * A volume blocked behind its full send buffer with its application's whole queue_depth waiting (protocol
 * A, no resync) issues a write only as one enters the path: its rates, its latency (the path's wait: depth
 * / completion rate) and its percentiles do not depend on its primary disk's wait, as long as its own
 * writes' mean latency there stays below this bound (below the path's wait by the p99 factor, and short
 * enough for queue_depth to keep up with what enters the path). While it does, a new solution of that disk
 * (another volume's backlog filling moves its wait) leaves the volume's flow as it is: its next own event
 * computes it again. The own write streams it read (their ids), for the check.
 */
export interface WaitBound {
  readonly latency: number;
  readonly ids: readonly string[];
}

export function waitBound(r: BlockResource, ws: readonly WorkloadState[], f: ResourceFlow, local: DiskSolution | undefined, now: Micros): WaitBound | null {
  const d = r.drbd;
  if (!d || d.net.protocol !== 'A' || r.walb || r.resyncing || !r.replicating || r.frozen || !local || ws.length === 0) return null;
  let latency = Infinity;
  const ids: string[] = [];
  for (const w of ws) {
    const s = w.spec;
    const work = f.work.get(s.name);
    const b = w.backlog.valueAt(now);
    // flow.ts: a closed population behind the path issues min(accepted, what the local disk allows).
    if (!work || w.outage || w.backlogCause !== 'pipe' || b < s.queueDepth - 1e-6 || work.accepted <= 0 || work.offered < work.accepted || work.issued !== work.accepted || work.repl !== 0) return null;
    let shares = 0;
    for (const [k, share] of [['rw', s.random], ['sw', 1 - s.random]] as const) {
      const id = `${r.name}|${s.name}|${k}`;
      const st = local.streams.get(id);
      if (!st) continue;
      if (st.rate <= 0) return null;
      ids.push(id);
      shares += share;
    }
    if (shares <= 0) return null;
    const path = b / (work.accepted / s.size);
    latency = Math.min(latency, path / P99_OVER_MEAN, (s.queueDepth * shares * s.size) / work.accepted);
  }
  if (local.streams.has(`${r.name}|rs`)) return null;
  const bound = { latency, ids };
  return withinWaitBound(r, ws, local, bound) ? bound : null;
}

/** Whether the disk's solution keeps the volume's own writes as the bound needs them (the same streams, each served, none slower than the bound). */
export function withinWaitBound(r: BlockResource, ws: readonly WorkloadState[], local: DiskSolution | undefined, bound: WaitBound): boolean {
  if (!local || local.streams.has(`${r.name}|rs`)) return false;
  let present = 0;
  for (const w of ws) {
    for (const k of ['rw', 'sw']) {
      if (local.streams.has(`${r.name}|${w.spec.name}|${k}`)) present++;
    }
  }
  if (present !== bound.ids.length) return false;
  for (const id of bound.ids) {
    const st = local.streams.get(id);
    if (!st || st.rate <= 0 || !(st.latency <= bound.latency)) return false;
  }
  return true;
}

export function sameNumbers(a: readonly number[] | undefined, b: readonly number[]): boolean {
  if (!a || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

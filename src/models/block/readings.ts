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
 * The lists mirror the reads of flowOf (flow.ts) and of BlockWorld.trackWorkload (latency percentiles, the
 * stall's bottleneck): a read added there must be added here, or a volume keeps a flow computed from a
 * stale value (test/models/block/cost.test.ts compares incremental reflows with full ones).
 */
import type { DiskSolution, StreamResult } from '../disk/queue.ts';
import type { BlockResource } from './resource.ts';
import type { WorkloadState } from './state.ts';

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

/** Every number the resource's flow and its workloads' tracking read of the solutions, and its peer's drain. */
export function readingsOf(r: BlockResource, ws: readonly WorkloadState[], sols: ReadonlyMap<string, DiskSolution>, drainCap: number): number[] {
  const out: number[] = [drainCap];
  const local = sols.get(r.primaryDisk);
  pushDisk(out, local);
  const wb = r.walb;
  const log = wb ? sols.get(wb.logDisk) : undefined;
  if (wb) pushDisk(out, log);
  for (const w of ws) {
    const id = `${r.name}|${w.spec.name}|`;
    if (wb) pushStream(out, log?.streams.get(`${id}log`));
    else {
      pushStream(out, local?.streams.get(`${id}rw`));
      pushStream(out, local?.streams.get(`${id}sw`));
    }
  }
  pushStream(out, local?.streams.get(`${r.name}|rs`));
  if (r.secondaryDisk === null) return out;
  const peer = sols.get(r.secondaryDisk);
  out.push(peer ? 1 : 0);
  if (peer && readsPeerSolution(r)) {
    for (const w of ws) pushStream(out, peer.streams.get(`${r.name}|rcv|${w.spec.name}|rw`) ?? peer.streams.get(`${r.name}|rcv|${w.spec.name}|sw`));
  }
  return out;
}

export function sameNumbers(a: readonly number[] | undefined, b: readonly number[]): boolean {
  if (!a || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

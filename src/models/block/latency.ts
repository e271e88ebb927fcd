/**
 * A workload's write latency percentiles now: its local writes' spread in the disk's queue (a mixture of its
 * random and sequential writes, disk/percentiles.ts) under the wait the replication path adds to every
 * write alike (a full send buffer, a protocol C round trip and the peer's write).
 */
import type { DiskSolution } from '../disk/queue.ts';
import { latencyQuantile, type LatencyClass } from '../disk/percentiles.ts';

export function writeQuantiles(sol: DiskSolution | undefined, ids: readonly string[], pathWait: number): { p50: number; p99: number } | null {
  if (!sol) return null;
  const free = 1 - sol.shareTotal;
  const classes: LatencyClass[] = [];
  for (const id of ids) {
    const st = sol.streams.get(id);
    if (!st || st.rate <= 0) continue;
    const service = (st.cost.phases * st.cost.service) / free;
    classes.push({ share: st.rate, service, meanWait: Math.max(0, st.latency - service), rho: sol.rho });
  }
  if (classes.length === 0) return null;
  return { p50: Math.max(pathWait, latencyQuantile(classes, 0.5)), p99: Math.max(pathWait, latencyQuantile(classes, 0.99)) };
}

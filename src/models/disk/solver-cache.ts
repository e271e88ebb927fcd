/**
 * Solving a disk's queue is the block model's main cost (src/models/disk/queue.ts: fixed-point
 * iterations over every stream). A reflow asks for every disk's solution, several times while the disk ↔
 * line fixed point settles, yet most disks' loads did not change: only the disks whose streams or jobs
 * changed are solved again (issue 12, point 3). A load is compared field by field, exactly, so a cached
 * solution is the one solveDisk would return.
 */
import { solveDisk, type DiskLoad, type DiskSolution, type DiskStream, type ShareJob } from './queue.ts';

export function sameStream(a: DiskStream, b: DiskStream): boolean {
  if (a.id !== b.id || a.label !== b.label || a.io.op !== b.io.op || a.io.size !== b.io.size || a.io.pattern !== b.io.pattern) return false;
  const x = a.demand;
  const y = b.demand;
  if (x.kind === 'open') return y.kind === 'open' && x.rate === y.rate;
  return y.kind === 'closed' && x.window === y.window && x.maxRate === y.maxRate && x.extraDelay === y.extraDelay;
}

function sameShares(a: readonly ShareJob[], b: readonly ShareJob[]): boolean {
  return a.length === b.length && a.every((s, i) => s.label === b[i]!.label && s.share === b[i]!.share);
}

export function sameLoad(a: DiskLoad, b: DiskLoad): boolean {
  return a.spec === b.spec && a.streams.length === b.streams.length && sameShares(a.shares, b.shares) && a.streams.every((s, i) => sameStream(s, b.streams[i]!));
}

export class DiskSolverCache {
  private readonly last = new Map<string, { readonly load: DiskLoad; readonly sol: DiskSolution; readonly version: number | undefined }>();
  /** Queue solutions computed, and requests answered from the cache (for benchmarks and tests). */
  solved = 0;
  reused = 0;

  /**
   * The solution of `load`, solved again only if it differs from the last load asked for under `key`: by
   * `version` when the caller numbers its loads (a new number whenever the load may have changed), else
   * compared stream by stream.
   */
  solve(key: string, load: DiskLoad, version?: number): DiskSolution {
    const prev = this.last.get(key);
    if (prev && (version !== undefined ? prev.version === version && prev.load.spec === load.spec : sameLoad(prev.load, load))) {
      this.reused++;
      return prev.sol;
    }
    const sol = solveDisk(load);
    this.solved++;
    this.last.set(key, { load, sol, version });
    return sol;
  }
}

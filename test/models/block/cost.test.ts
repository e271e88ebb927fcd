/**
 * Issue 12, cost: many volumes on one disk pair. A reflow computes again only the resources whose inputs
 * moved and solves again only the disks whose load changed, so the work of a run (resource flows computed,
 * disk queue solutions) is counted, not timed: the figures in docs/performance.md come from `npm run bench`.
 * Every reflow recomputing every volume (the cost before) gives flows per volume growing as V; these bounds
 * fail then.
 */
import { describe, expect, it } from 'vitest';
import { volumesScenario } from '../../../bench/block_volumes.ts';
import { runScenario } from '../../../src/run.ts';
import { loadScenarioText } from '../../../src/scenario/load.ts';

function work(volumes: number, uneven: boolean): { flowsPerVolume: number; solved: number; events: number } {
  const r = runScenario(loadScenarioText(volumesScenario(volumes, uneven), `volumes-${volumes}.yaml`));
  const b = r.world.block!;
  return { flowsPerVolume: b.flowsComputed / volumes, solved: b.solver.solved, events: r.report.stats.events };
}

describe('V volumes on one disk pair over a simulated day', () => {
  it('with the same load on every volume, the work per volume does not grow with V and the disks are solved as often', () => {
    const small = work(8, false);
    const large = work(32, false);
    expect(large.flowsPerVolume).toBeLessThanOrEqual(small.flowsPerVolume * 1.05);
    expect(large.solved).toBeLessThanOrEqual(small.solved * 1.05);
    expect(large.events / 32).toBeLessThanOrEqual((small.events / 8) * 1.05);
  });

  it('with a different load on each volume (each fills and drains at its own instant), the work per volume grows at most as the square root of V', () => {
    const small = work(8, true);
    const large = work(32, true);
    // Each volume's own events move the shared disks, and every volume on them sees the new solution: the
    // events per volume stay flat, the flows per volume grow with how many of those events there are. Measured
    // 1.7 for four times the volumes; recomputing everything at every reflow gives about 4.
    expect(large.events / 32).toBeLessThanOrEqual((small.events / 8) * 1.1);
    expect(large.flowsPerVolume).toBeLessThanOrEqual(small.flowsPerVolume * 2);
  });
});

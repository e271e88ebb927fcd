/**
 * The mean write latency is an equilibrium taken at once (P-K, Little), but a write completing now has waited
 * only since it was issued, and writes complete in order: the latency of the writes completing rises at most
 * 1 s per s. A stall (a write waiting past stall_threshold) therefore opens (threshold − latency before) after
 * a jump, and a spike shorter than that is no stall at all (probe-drbd2).
 */
import { describe, expect, it } from 'vitest';
import type { Report } from '../../../src/report/types.ts';
import { runScenario } from '../../../src/run.ts';
import { loadScenarioText } from '../../../src/scenario/load.ts';
import { drbdScenario } from './fixture.ts';

const secs = (r: Report, iso: string) => (Date.parse(iso) - Date.parse(r.start)) / 1000;
const run = (step: string) => runScenario(loadScenarioText(drbdScenario({ duration: '3m', extraPlan: [step] }), 'fixture.yaml')).report;
const before = (r: Report) => r.series!.find((s) => s.name === 'app write latency (s)')!.points[0]![1];

describe('latency jumps and stalls', () => {
  it('a 20 ms slowdown of the primary\'s disk is no stall: no write can have waited 100 ms', () => {
    const r = run('{ at: +1m, slow_disk: { disk: local-disk, factor: 1.5, for: 20ms } }');
    // The mean (P-K at the slower disk's utilisation) jumps to 562 ms for 20 ms; the writes waited at most their
    // 68 ms + 20 ms. Before, a 20 ms stall "up to 120 ms", where a slowdown of 30 times (nothing completes, the
    // wait grows with the clock) gave none.
    expect(before(r)).toBeLessThan(0.075);
    expect(r.stalls).toEqual([]);
    expect(run('{ at: +1m, slow_disk: { disk: local-disk, factor: 30, for: 20ms } }').stalls).toEqual([]);
  });

  it('a lasting slowdown stalls from when the first write can have waited the threshold, not at the step', () => {
    const r = run('{ at: +1m, slow_disk: { disk: local-disk, factor: 1.5, for: 30s } }');
    expect(r.stalls.length).toBe(1);
    const l0 = before(r);
    expect(secs(r, r.stalls[0]!.from)).toBeCloseTo(60 + 0.1 - l0, 2);
    expect(secs(r, r.stalls[0]!.to)).toBeCloseTo(90, 1);
  });
});

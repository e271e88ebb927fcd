import { describe, expect, it } from 'vitest';
import { seconds } from '../../src/engine/time.ts';
import { runScenario } from '../../src/run.ts';
import type { SynchronousStandbyNames } from '../../src/scenario/types.ts';
import { action, buildScenario, node } from '../support/builder.ts';

const s = (n: number) => seconds(n);

/** p with two standbys; the primary crashes at 60 s and `promoted` is promoted by the plan. */
function syncRun(names: SynchronousStandbyNames | null, promoted: 's1' | 's2', extra: ReturnType<typeof action>[] = [], latencyUs = 2000, bandwidth = 125_000_000) {
  return runScenario(
    buildScenario({
      end: s(120),
      sites: ['a', 'b'],
      links: [{ between: ['a', 'b'], bandwidth, latency: latencyUs as never }],
      nodes: [
        node('p', 'a', 15, { settings: names ? { synchronousStandbyNames: names } : {} }),
        node('s1', 'b', 15, { upstream: 'p' }),
        node('s2', 'b', 15, { upstream: 'p' }),
      ],
      workload: { target: 'p', rate: 2000, walPerTx: 4096, connections: 20 },
      actions: [
        ...extra,
        action(s(60), { kind: 'crash', node: 'p' }),
        action(s(61), { kind: 'promote', node: promoted }),
        action(s(62), { kind: 'routeWrites', cluster: 'main', node: promoted, workload: null }),
      ],
    }),
  ).report;
}

describe('synchronous replication (postgres.md §5, rules 20-21)', () => {
  it('asynchronous over a link too slow for the write rate: the standby falls behind, and a failover loses its lag', () => {
    // 10 MB/s shared by two streams: 5 MB/s each, 4.85 MB/s of it WAL (the headers take 3%), against
    // 2000 x 4096 B = 8.192 MB/s written.
    const r = syncRun(null, 's1', [], 2000, 10_000_000);
    expect(r.dataLoss).toHaveLength(1);
    const expected = ((8_192_000 - 4_850_000) * 60) / 4096; // lag after 60 s, in commits
    expect(r.dataLoss[0]!.commits).toBeGreaterThan(expected * 0.99);
    expect(r.dataLoss[0]!.commits).toBeLessThan(expected * 1.01);
  });

  it('the same slow link with FIRST 1 (s1): commits are throttled to what s1 confirms, and nothing acknowledged is lost', () => {
    const r = syncRun({ method: 'first', num: 1, names: ['s1'] }, 's1', [], 2000, 10_000_000);
    expect(r.dataLoss).toEqual([]);
  });

  it('FIRST 1 (s1): promoting s1, the synchronous standby, loses no acknowledged commit', () => {
    const r = syncRun({ method: 'first', num: 1, names: ['s1'] }, 's1', [action(s(50), { kind: 'stop', node: 's2' })]);
    expect(r.stalls).toEqual([]);
    expect(r.dataLoss).toEqual([]);
  });

  it('FIRST 1 (s1): with s1 down, commits wait (a stall), and nothing acknowledged is lost by promoting s2', () => {
    const r = syncRun({ method: 'first', num: 1, names: ['s1'] }, 's2', [action(s(30), { kind: 'crash', node: 's1' })]);
    expect(r.dataLoss).toEqual([]);
    expect(r.stalls).toHaveLength(1);
    expect(r.stalls[0]!.cause).toContain('FIRST 1 (s1)');
    expect(r.stalls[0]!.from).toMatch(/T05:00:30\.0\d+Z|T14:00:30/);
  });

  it('ANY 1 (s1, s2): one standby down does not stall commits', () => {
    const r = syncRun({ method: 'any', num: 1, names: ['s1', 's2'] }, 's2', [action(s(30), { kind: 'crash', node: 's1' })]);
    expect(r.stalls).toEqual([]);
    expect(r.dataLoss).toEqual([]);
  });

  it('acknowledgements wait for the round trip: a longer link delays them but loses nothing', () => {
    const near = syncRun({ method: 'first', num: 1, names: ['s1'] }, 's1', [], 500);
    const far = syncRun({ method: 'first', num: 1, names: ['s1'] }, 's1', [], 20_000);
    expect(near.dataLoss).toEqual([]);
    expect(far.dataLoss).toEqual([]);
  });
});

describe('assess: data loss evaluated when the plan asks', () => {
  it('reports what a failover at that moment would lose', () => {
    const r = syncRun(null, 's1', [action(s(59), { kind: 'assess', cluster: null })]);
    expect(r.assessments).toHaveLength(1);
    expect(r.assessments[0]!.survivor).toBe('p');
    expect(r.assessments[0]!.dataLoss).toEqual([]);
  });
});

import { describe, expect, it } from 'vitest';
import { seconds } from '../../src/engine/time.ts';
import { runScenario } from '../../src/run.ts';
import type { Action } from '../../src/scenario/types.ts';
import { action, buildScenario, node } from '../support/builder.ts';

const s = (n: number) => seconds(n);

/**
 * a primary, b its standby at another site. At 30 s the sites are cut apart and b is promoted (timeline 2);
 * half of the clients, at b's site, move to b; the others keep writing to a on timeline 1.
 */
function fork(extra: Action[]) {
  const sc = buildScenario({
    end: s(120),
    sites: ['east', 'west'],
    nodes: [node('a', 'east', 16), node('b', 'west', 16, { upstream: 'a' })],
    actions: [
      action(s(30), { kind: 'partition', target: { kind: 'link', sites: ['east', 'west'] } }, 'faults'),
      action(s(30), { kind: 'promote', node: 'b' }),
      action(s(30), { kind: 'routeWrites', cluster: 'main', node: 'b', workload: 'west' }),
      ...extra,
    ],
  });
  const workloads = [
    { name: 'east', site: 'east', target: 'a', rate: 300, walPerTx: 2048, connections: 100 },
    { name: 'west', site: 'west', target: 'a', rate: 200, walPerTx: 2048, connections: 100 },
  ];
  return runScenario({ ...sc, clusters: [{ ...sc.clusters[0]!, workloads }] }).report;
}

describe('PITR follows one branch (rule 12): the verdict when the survivor is the parent timeline', () => {
  it('the parent kept committing after the fork: the child branch is not recoverable onto its history', () => {
    // Everyone goes back to a at 60 s: a (timeline 1) survives, and it holds 30 s of its own commits past the fork.
    const r = fork([action(s(60), { kind: 'routeWrites', cluster: 'main', node: 'a', workload: null })]);
    const lost = r.dataLoss.filter((l) => l.timeline === 2);
    expect(lost).toHaveLength(1);
    expect(lost[0]!.commits).toBe(200 * 30);
    expect(lost[0]!.recoverableByPitr).toBe(false);
    expect(lost[0]!.pitr).toMatch(/PITR follows one branch after the fork from timeline 1: it can replay timeline 2 or timeline 1 continued past 0\/[0-9A-F]+, never both/);
  });

  it('the parent committed nothing after the fork: PITR along the child brings the lost branch back', () => {
    // a's clients are blocked a second before the cut (so that b receives all a acknowledged: blocked at the cut,
    // the commits on the wire would be a's past the fork), and everyone is routed back to a at 60 s: a survives
    // with no acknowledged commit past the fork.
    const r = fork([action(s(29), { kind: 'blockClients', node: 'a' }), action(s(60), { kind: 'routeWrites', cluster: 'main', node: 'a', workload: null })]);
    const lost = r.dataLoss.filter((l) => l.timeline === 2);
    expect(lost).toHaveLength(1);
    expect(lost[0]!.commits).toBe(200 * 30);
    expect(lost[0]!.recoverableByPitr).toBe(true);
  });
});

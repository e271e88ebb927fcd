import { describe, expect, it } from 'vitest';
import { seconds } from '../../src/engine/time.ts';
import { runScenario } from '../../src/run.ts';
import { action, buildScenario, node } from '../support/builder.ts';

const s = (n: number) => seconds(n);
const nodeOf = (r: ReturnType<typeof runScenario>['report'], name: string) => r.nodes.find((n) => n.name === name)!;
const logOf = (r: ReturnType<typeof runScenario>['report'], name: string) => r.events.filter((e) => e.node === name).flatMap((e) => e.log);

describe('repointing into impossible topologies (found by test/properties)', () => {
  it('two standbys repointed at each other form a cycle: nothing new reaches them, the run goes on', () => {
    // a streams from p, b from a; then a is repointed to b: a <-> b, fed by no primary.
    const r = runScenario(
      buildScenario({
        end: s(120),
        nodes: [node('p', 'dc', 15), node('a', 'dc', 15, { upstream: 'p' }), node('b', 'dc', 15, { upstream: 'a' })],
        workload: { target: 'p', rate: 100, walPerTx: 1000 },
        actions: [action(s(30), { kind: 'repoint', node: 'a', upstream: 'b' })],
      }),
    ).report;
    const lsn = (n: string) => nodeOf(r, n).lsn;
    expect(lsn('a')).toBe(lsn('b'));
    expect(lsn('a')).not.toBe(lsn('p'));
    expect(nodeOf(r, 'p').state).toBe('running');
  });

  it('a standby repointed to a primary of another database system is refused after IDENTIFY_SYSTEM', () => {
    // p1 and p2 are two primaries at the start: two systems, both on timeline 1. s1 (a copy of p1) is repointed to p2.
    const r = runScenario(
      buildScenario({
        end: s(120),
        nodes: [node('p1', 'dc', 15), node('p2', 'dc', 15), node('s1', 'dc', 15, { upstream: 'p1' })],
        // p2 writes, so s1 is not ahead of it: only the system identifier tells the two apart.
        workload: { target: 'p2', rate: 100, walPerTx: 1000 },
        actions: [action(s(30), { kind: 'repoint', node: 's1', upstream: 'p2' })],
      }),
    ).report;
    expect(logOf(r, 's1')).toContain('walreceiver ERROR:  database system identifier differs between the primary and standby');
    expect(nodeOf(r, 's1')).toMatchObject({ state: 'running', timeline: 1, receiver: 'waiting' });
  });
});

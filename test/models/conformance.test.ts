/**
 * Regressions found by the conformance harness (conformance/, docs/conformance.md): each case is what a real
 * PostgreSQL 15.18 server did for the same operations on loopback.
 */
import { describe, expect, it } from 'vitest';
import { seconds } from '../../src/engine/time.ts';
import { runScenario } from '../../src/run.ts';
import { action, buildScenario, node } from '../support/builder.ts';

const s = (n: number) => seconds(n);
const logOf = (r: ReturnType<typeof runScenario>['report'], name: string) => r.events.filter((e) => e.node === name).flatMap((e) => e.log);
const nodeOf = (r: ReturnType<typeof runScenario>['report'], name: string) => r.nodes.find((n) => n.name === name)!;

describe('conformance with PostgreSQL 15 (docs/conformance.md)', () => {
  // a primary; b and d standbys of a; b promoted at 30 s while a keeps writing.
  const splitBrain = (extra: ReturnType<typeof action>[]) =>
    buildScenario({
      end: s(200),
      nodes: [node('a', 'dc', 15), node('b', 'dc', 15, { upstream: 'a' }), node('d', 'dc', 15, { upstream: 'a' })],
      workload: { target: 'a', rate: 10, walPerTx: 1000 },
      actions: [action(s(30), { kind: 'promote', node: 'b' }), ...extra],
    });

  it('a running old primary repointed to the new primary shuts down as a primary: its second start is "not a child"', () => {
    // Real: the fast shutdown writes a checkpoint at the end of the old primary's WAL, past the fork, so the
    // start that finds 00000002.history local fails on the checkpoint, not on the minimum recovery point.
    const r = runScenario(
      splitBrain([
        action(s(60), { kind: 'repoint', node: 'a', upstream: 'b' }),
        action(s(100), { kind: 'restart', node: 'a' }),
      ]),
    ).report;
    expect(nodeOf(r, 'a').state).toBe('failed');
    expect(logOf(r, 'a').some((l) => l.startsWith("startup FATAL:  requested timeline 2 is not a child of this server's history"))).toBe(true);
    expect(logOf(r, 'a').some((l) => l.includes('does not contain minimum recovery point'))).toBe(false);
  });
});

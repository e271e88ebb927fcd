import { describe, expect, it } from 'vitest';
import { seconds } from '../../src/engine/time.ts';
import { runScenario } from '../../src/run.ts';
import { action, buildScenario, node } from '../support/builder.ts';

const s = (n: number) => seconds(n);

describe('two promotions that chose the same timeline ID (rule 2; found by the prefix property)', () => {
  it('a standby on one of them does not stream the other: it waits, its own history intact', () => {
    // s3 is promoted at 5 s (timeline 2) and rejoins as a standby of s1; s1, promoted at 20 s without s3's
    // history file, also picks timeline 2. Same number, different histories.
    const r = runScenario(
      buildScenario({
        end: s(120),
        nodes: [node('p', 'dc', 15), node('s1', 'dc', 15, { upstream: 'p' }), node('s3', 'dc', 15, { upstream: 'p' })],
        workload: { target: 'p', rate: 100, walPerTx: 1000 },
        actions: [
          action(s(5), { kind: 'promote', node: 's3' }),
          action(s(6), { kind: 'repoint', node: 's3', upstream: 's1' }),
          action(s(20), { kind: 'promote', node: 's1' }),
        ],
      }),
    ).report;
    const s1 = r.nodes.find((n) => n.name === 's1')!;
    const s3 = r.nodes.find((n) => n.name === 's3')!;
    expect(s1.timeline).toBe(2);
    expect(s3).toMatchObject({ timeline: 2, receiver: 'waiting' });
    // s3's own history: it left timeline 1 at its promotion (5 s), long before s1 did (20 s).
    expect(s3.history).not.toBe(s1.history);
    expect(r.events.some((e) => e.node === 's3' && e.message.includes('are different histories'))).toBe(true);
  });
});

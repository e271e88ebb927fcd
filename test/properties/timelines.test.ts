/**
 * Property 1: timeline IDs strictly increase along every history, and a child's history is its parent's
 * plus one line (rule 1: history file = parent's lines + `parentTLI \t switchpoint \t reason`).
 */
import { describe, it } from 'vitest';
import { isDeepStrictEqual } from 'node:util';
import { formatLsn } from '../../src/models/postgres/lsn.ts';
import { historyFileText, historyOf } from '../../src/models/postgres/timeline.ts';
import { assertScenarioProperty, scenarioArbitrary } from '../../src/testing/index.ts';
import { runTwice } from '../support/determinism.ts';
import { allNodes, cases } from '../support/properties.ts';

describe('property 1: timeline histories', () => {
  it('TLIs increase along every history; a child is its parent plus one line', () => {
    assertScenarioProperty('timeline histories', scenarioArbitrary({ failover: true, operations: { count: { max: 10 } } }), (s) => {
      const { world } = runTwice(s);
      for (const tl of world.ctx.timelines.all) {
        const h = historyOf(tl);
        for (let i = 1; i < h.length; i++) {
          if (!(h[i - 1]!.timeline.tli > h[i]!.timeline.tli)) throw new Error(`timeline ${tl.tli}: history does not increase: ${h.map((e) => e.timeline.tli).join(' <- ')}`);
          if (!(h[i - 1]!.begin >= h[i]!.begin)) throw new Error(`timeline ${tl.tli}: child ${h[i - 1]!.timeline.tli} begins at ${h[i - 1]!.begin}, before its parent ${h[i]!.timeline.tli} at ${h[i]!.begin}`);
        }
        const p = tl.parent;
        if (!p) continue;
        const parentText = historyFileText(p);
        const expected = `${parentText ? `${parentText}\n` : ''}${p.tli}\t${formatLsn(tl.begin)}\t${tl.reason}`;
        if (historyFileText(tl) !== expected) throw new Error(`history file of timeline ${tl.tli} is\n${historyFileText(tl)}\nnot its parent's plus one line:\n${expected}`);
        const parentEntries = historyOf(p).map((e, i) => (i === 0 ? { ...e, end: tl.begin } : e));
        if (!isDeepStrictEqual(h.slice(1), parentEntries)) throw new Error(`timeline ${tl.tli}: parsed history is not the parent's with the switchpoint added`);
      }
      for (const n of allNodes(world)) {
        for (const [tli, tl] of n.historyFiles) if (tl.tli !== tli) throw new Error(`${n.name}: history file ${tli} holds timeline ${tl.tli}`);
      }
      for (const p of world.ctx.history.promotions) {
        if (!(p.timeline.parent && p.timeline.tli > p.timeline.parent.tli && p.timeline.begin === p.switchpoint)) throw new Error(`promotion of ${p.node} to ${p.timeline.tli} is not a child of its parent`);
      }
    }, { numRuns: cases(300) });
  });
});

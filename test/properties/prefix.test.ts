/**
 * Property 2: what a node has replayed is always a prefix of one timeline history, never a mix of sibling
 * branches: after every event, the WAL a node had before is still on its history (the histories it held
 * before and after fork no earlier than the WAL it had), and no WAL position is ever negative.
 */
import { describe, it } from 'vitest';
import { forkOf, type Timeline } from '../../src/models/postgres/timeline.ts';
import { formatLsn } from '../../src/models/postgres/lsn.ts';
import { assertScenarioProperty, scenarioArbitrary } from '../../src/testing/index.ts';
import { runTwice } from '../support/determinism.ts';
import { allNodes, cases } from '../support/properties.ts';

/** WAL ends are fluid levels: a promotion rounds down to a whole byte. */
const SLACK = 1;

describe('property 2: replayed WAL is one history', () => {
  it('no node ever rewrites WAL it has, whatever the promotions, repoints and faults', () => {
    assertScenarioProperty('replayed WAL is a prefix of one history', scenarioArbitrary({ failover: true, operations: { count: { max: 10 } } }), (s) => {
      const last = new Map<string, { tl: Timeline; end: number }>();
      runTwice(s, {
        afterEvent: (world) => {
          const now = world.ctx.sim.now;
          for (const n of allNodes(world)) {
            const end = n.walEnd(now);
            const tl = n.wal.timeline;
            if (!(end >= 0) || !Number.isFinite(end)) throw new Error(`${n.name}: WAL end ${end} at +${now} us`);
            const prev = last.get(n.name);
            last.set(n.name, { tl, end });
            if (!prev || prev.tl === tl) continue;
            const fork = forkOf(prev.tl, tl);
            const kept = Math.min(prev.end, end);
            if (!fork || fork.at < kept - SLACK) {
              throw new Error(
                `${n.name} at +${now} us: its WAL up to ${formatLsn(prev.end)} was on timeline ${prev.tl.tli}; now it is on timeline ${tl.tli} up to ${formatLsn(end)}, and the two histories part at ${fork ? formatLsn(fork.at) : 'their roots'}`,
              );
            }
          }
        },
      });
    }, { numRuns: cases(300) });
  });
});

/**
 * Rebuilding servers in any order (re-clone, pg_rewind, emptied data directories) among stops, crashes,
 * promotions and writes: every run ends without an invariant violation (a standby never ahead of its
 * upstream, WAL one history), is deterministic, and a re-cloned node that started streams the history of
 * the node it was cloned from.
 */
import { describe, expect, it } from 'vitest';
import { scenarioArbitrary, assertScenarioProperty } from '../../src/testing/index.ts';
import { runTwice } from '../support/determinism.ts';
import { cases, mainCluster } from '../support/properties.ts';
import { isAncestorOrSelf } from '../../src/models/postgres/timeline.ts';

describe('rebuilding servers keeps the model consistent', () => {
  it('re-clones, rewinds and destroyed data directories among other operations', () => {
    let rebuilt = 0;
    assertScenarioProperty(
      'rebuilds keep the model consistent',
      scenarioArbitrary({ operations: { kinds: ['writes', 'stop', 'start', 'crash', 'promote', 'routeWrites', 'reclone', 'pgRewind', 'destroyData'] } }),
      (s) => {
        const { world, report } = runTwice(s);
        const c = mainCluster(world);
        for (const n of c.nodes.values()) {
          const role = n.role;
          if (!n.running || role.kind !== 'standby' || role.receiver.status !== 'streaming') continue;
          // A streaming standby's WAL is on its upstream's history.
          const up = role.receiver.stream.up;
          if (!isAncestorOrSelf(n.wal.timeline, up.wal.timeline) && !isAncestorOrSelf(up.wal.timeline, n.wal.timeline)) throw new Error(`${n.name} streams from ${up.name} off its history`);
        }
        if (report.events.some((e) => /pg_basebackup of .* completed|pg_rewind of .* done/.test(e.message))) rebuilt++;
      },
      { numRuns: cases(60) },
    );
    expect(rebuilt).toBeGreaterThan(0);
  });
});

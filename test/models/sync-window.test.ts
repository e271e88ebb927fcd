import { describe, expect, it } from 'vitest';
import { seconds } from '../../src/engine/time.ts';
import { ackedCommits } from '../../src/checkers/dataLoss.ts';
import { runScenario } from '../../src/run.ts';
import { buildScenario, node } from '../support/builder.ts';

describe('synchronous acknowledgements catch up with the acknowledged position (found by the invariants)', () => {
  it('one connection over a 100 ms round trip commits about ten transactions a second, acknowledged as they go', () => {
    // The standby's confirmations start one round trip behind the acknowledged start: the acknowledgement
    // must move again once they pass it, not wait for the next unrelated event.
    const r = runScenario(
      buildScenario({
        end: seconds(1),
        sites: ['a', 'b'],
        links: [{ between: ['a', 'b'], bandwidth: 125_000_000, latency: 50_000 as never }],
        nodes: [node('p', 'a', 15, { settings: { synchronousStandbyNames: { method: 'first', num: 1, names: ['s'] } } }), node('s', 'b', 15, { upstream: 'p' })],
        workload: { target: 'p', site: 'b', rate: 1000, walPerTx: 65_536, connections: 1 },
      }),
    );
    const term = r.history.terms[0]!;
    expect(ackedCommits(term)).toBeGreaterThanOrEqual(8);
    expect(ackedCommits(term)).toBeLessThanOrEqual(10);
  });
});

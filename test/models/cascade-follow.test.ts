import { describe, expect, it } from 'vitest';
import { seconds } from '../../src/engine/time.ts';
import { runScenario } from '../../src/run.ts';
import { action, buildScenario, node } from '../support/builder.ts';

const s = (n: number) => seconds(n);

describe('a cascade two levels below a promotion (found by test/properties/converge)', () => {
  it('when a cascading standby follows a new timeline, the standbys streaming from it follow too', () => {
    // p -> a -> b -> c, all on latest; a is promoted. b follows a's timeline 2; c streams from b and must see
    // the end of timeline 1 from b's walsender, fetch the history file and follow as well.
    const r = runScenario(
      buildScenario({
        end: s(120),
        nodes: [
          node('p', 'dc', 15),
          node('a', 'dc', 15, { upstream: 'p' }),
          node('b', 'dc', 15, { upstream: 'a' }),
          node('c', 'dc', 15, { upstream: 'b' }),
        ],
        workload: { target: 'p', rate: 100, walPerTx: 1000 },
        actions: [
          action(s(30), { kind: 'blockClients', node: 'p' }),
          action(s(31), { kind: 'promote', node: 'a' }),
          action(s(32), { kind: 'routeWrites', cluster: 'main', node: 'a', workload: null }),
        ],
      }),
    ).report;
    const c = r.nodes.find((n) => n.name === 'c')!;
    expect(c).toMatchObject({ timeline: 2, receiver: 'streaming' });
    expect(r.events.filter((e) => e.node === 'c').flatMap((e) => e.log)).toContain('startup LOG:  new target timeline is 2');
  });
});

import { describe, expect, it } from 'vitest';
import { quorumTransitions, type QuorumInput } from '../../../src/models/managers/patroni-quorum.ts';
import { loadScenarioFile, loadScenarioText } from '../../../src/scenario/load.ts';
import { scenarioToYaml } from '../../../src/testing/yaml.ts';

/** The resolver from a steady leader `a`; the expectations are what patroni/quorum.py (4.1.4) yields for the same input. */
const steps = (i: Partial<QuorumInput> & Pick<QuorumInput, 'voters' | 'sync' | 'active'>) =>
  quorumTransitions({ leader: 'a', leaderWanted: 'a', quorum: 0, numsync: 0, numsyncConfirmed: 0, syncWanted: 1, ...i }).map((t) => (t.kind === 'restart' ? ['restart'] : [t.kind, t.leader, t.num, t.names]));

describe('Patroni quorum commit: quorum.py QuorumStateResolver (managers/patroni-quorum.ts)', () => {
  it('a first standby is named before it is a voter: synchronous_standby_names, then a restart until it is confirmed', () => {
    expect(steps({ voters: [], sync: [], active: ['b', 'c', 'd', 'e'], syncWanted: 2 })).toEqual([['sync', 'a', 2, ['b', 'c', 'd', 'e']], ['restart']]);
    // Once one is confirmed, /sync gets the voters with quorum |voters| - numsync, raised by the unconfirmed one.
    expect(steps({ voters: [], sync: ['b', 'c', 'd', 'e'], numsync: 2, numsyncConfirmed: 1, active: ['b', 'c', 'd', 'e'], syncWanted: 2 })).toEqual([['quorum', 'a', 3, ['b', 'c', 'd', 'e']]]);
  });

  it('a standby joining: voters (and the quorum) grow before synchronous_standby_names does', () => {
    expect(steps({ quorum: 1, voters: ['b', 'c'], numsync: 1, sync: ['b', 'c'], numsyncConfirmed: 1, active: ['b', 'c', 'd'] })).toEqual([
      ['quorum', 'a', 2, ['b', 'c', 'd']],
      ['sync', 'a', 1, ['b', 'c', 'd']],
    ]);
  });

  it('a standby gone: synchronous_standby_names shrinks before the voters do', () => {
    expect(steps({ quorum: 1, voters: ['b', 'c'], numsync: 1, sync: ['b', 'c'], numsyncConfirmed: 1, active: ['b'] })).toEqual([
      ['sync', 'a', 1, ['b']],
      ['quorum', 'a', 0, ['b']],
    ]);
  });

  it('synchronous_node_count lowered: the quorum rises first; raised: numsync first, the quorum lowered only once confirmed', () => {
    expect(steps({ quorum: 1, voters: ['b', 'c', 'd'], numsync: 2, sync: ['b', 'c', 'd'], numsyncConfirmed: 2, active: ['b', 'c', 'd'] })).toEqual([
      ['quorum', 'a', 2, ['b', 'c', 'd']],
      ['sync', 'a', 1, ['b', 'c', 'd']],
    ]);
    expect(steps({ quorum: 2, voters: ['b', 'c', 'd'], numsync: 1, sync: ['b', 'c', 'd'], numsyncConfirmed: 1, active: ['b', 'c', 'd'], syncWanted: 2 })).toEqual([['sync', 'a', 2, ['b', 'c', 'd']]]);
  });

  it('a quorum too small for the names (the sets could miss each other) is raised at once', () => {
    expect(steps({ quorum: 0, voters: ['b', 'c', 'd'], numsync: 1, sync: ['b', 'c', 'd'], numsyncConfirmed: 1, active: ['b', 'c', 'd'] })).toEqual([['quorum', 'a', 2, ['b', 'c', 'd']]]);
  });

  it('after a failover the former leader becomes a voter and the new one leaves; the dead are then removed in order', () => {
    expect(
      quorumTransitions({ leader: 'pg1', leaderWanted: 'pg2', quorum: 2, voters: ['pg2', 'pg3', 'pg4'], numsync: 1, sync: ['pg1', 'pg3', 'pg4'], numsyncConfirmed: 2, active: ['pg3', 'pg4'], syncWanted: 1 }),
    ).toEqual([
      { kind: 'quorum', leader: 'pg2', num: 2, names: ['pg1', 'pg3', 'pg4'] },
      { kind: 'sync', leader: 'pg2', num: 1, names: ['pg3', 'pg4'] },
      { kind: 'quorum', leader: 'pg2', num: 1, names: ['pg3', 'pg4'] },
    ]);
  });

  it('a state the resolver cannot fix (an assert in quorum.py) changes nothing this loop', () => {
    expect(steps({ quorum: 1, voters: ['a', 'b', 'c', 'd', 'e'], numsync: 3, sync: ['a', 'b', 'c', 'd', 'e'], numsyncConfirmed: 1, active: ['c', 'd', 'e'] })).toEqual([]);
  });

  it('synchronous_mode: quorum is printed back as written (scenarioToYaml)', () => {
    const s = loadScenarioFile('scenarios/patroni-quorum-three-sites.yaml', { variant: null });
    const yaml = scenarioToYaml(s);
    expect(yaml).toContain('synchronous_mode: quorum');
    expect(loadScenarioText(yaml, 'back.yaml').clusters[0]!.failover).toEqual(s.clusters[0]!.failover);
  });
});

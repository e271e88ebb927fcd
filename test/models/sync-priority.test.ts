/**
 * FIRST n waits for the n highest-priority streaming standbys (syncrep.c SyncRepGetSyncStandbysPriority),
 * not for the n most advanced: a lagging high-priority standby holds commits back even while a
 * lower-priority one is ahead, so promoting the high-priority one loses nothing acknowledged.
 */
import { describe, expect, it } from 'vitest';
import { seconds } from '../../src/engine/time.ts';
import { runScenario } from '../../src/run.ts';
import type { SynchronousStandbyNames } from '../../src/scenario/types.ts';
import { action, buildScenario, node } from '../support/builder.ts';

const s = (n: number) => seconds(n);

/** p at dc; s1 far away over a slow, long link; s2 beside p. p crashes at 60 s; `promoted` takes over. */
function run(names: SynchronousStandbyNames, promoted: 's1' | 's2') {
  return runScenario(
    buildScenario({
      end: s(120),
      sites: ['dc', 'far'],
      // 5 MB/s and 40 ms: s1 cannot keep up with 8 MB/s of WAL and hears of every commit 40 ms late.
      links: [{ between: ['dc', 'far'], bandwidth: 5_000_000, latency: 40_000 as never }],
      nodes: [
        node('p', 'dc', 15, { settings: { synchronousStandbyNames: names, synchronousCommit: 'on' } }),
        node('s1', 'far', 15, { upstream: 'p' }),
        node('s2', 'dc', 15, { upstream: 'p' }),
      ],
      workload: { target: 'p', rate: 2000, walPerTx: 4096, connections: 50 },
      actions: [
        action(s(60), { kind: 'crash', node: 'p' }, 'faults'),
        action(s(61), { kind: 'promote', node: promoted }),
        action(s(62), { kind: 'routeWrites', cluster: 'main', node: promoted, workload: null }),
      ],
    }),
  ).report;
}

describe('FIRST n: the highest-priority standbys are synchronous, not the most advanced', () => {
  it('FIRST 1 (s1, s2) with s1 lagging behind s2: promoting s1 loses no acknowledged commit', () => {
    const r = run({ method: 'first', num: 1, names: ['s1', 's2'] }, 's1');
    expect(r.dataLoss).toEqual([]);
  });

  it('the lagging s1 throttles commits: fewer than the clients offer are acknowledged', () => {
    const slow = run({ method: 'first', num: 1, names: ['s1', 's2'] }, 's1');
    const fast = run({ method: 'first', num: 1, names: ['s2', 's1'] }, 's2');
    expect(fast.dataLoss).toEqual([]);
    const committed = (r: typeof slow) => r.nodes.find((n) => n.name === 'p')!.lsn;
    // s2 first: commits run at the offered rate; s1 first: at most what 5 MB/s carries to s1.
    expect(lsnValue(committed(slow))).toBeLessThan(lsnValue(committed(fast)) * 0.75);
  });

  it('names match application_name case-insensitively (syncrep.c SyncRepGetStandbyPriority: pg_strcasecmp): FIRST 1 (S1, s2) makes s1 synchronous', () => {
    const r = run({ method: 'first', num: 1, names: ['S1', 's2'] }, 's1');
    expect(r.dataLoss).toEqual([]);
  });

  it('with * every standby has the same priority: the first by name (s1) is synchronous', () => {
    const r = run({ method: 'first', num: 1, names: ['*'] }, 's1');
    expect(r.dataLoss).toEqual([]);
  });
});

function lsnValue(text: string): number {
  const [hi, lo] = text.split('/');
  return parseInt(hi!, 16) * 2 ** 32 + parseInt(lo!, 16);
}

describe('a walsender still catching up is no candidate synchronous standby (syncrep.c: streaming state only)', () => {
  it('FIRST 1 (s1, s2): s1 back after an outage with a backlog; s2 stays synchronous until s1 has caught up, and commits do not wait for s1', () => {
    const r = runScenario(
      buildScenario({
        end: s(120),
        sites: ['dc', 'far'],
        // 5 MB/s, 4.85 MB/s of it WAL (the headers take 3%): s1 needs (2 MB/s x 30 s) / (4.85 - 2 MB/s) = 21.05 s
        // to catch up after its 30 s outage.
        links: [{ between: ['dc', 'far'], bandwidth: 5_000_000, latency: 1000 as never }],
        nodes: [
          node('p', 'dc', 15, { settings: { synchronousStandbyNames: { method: 'first', num: 1, names: ['s1', 's2'] } } }),
          node('s1', 'far', 15, { upstream: 'p' }),
          node('s2', 'dc', 15, { upstream: 'p' }),
        ],
        workload: { target: 'p', rate: 500, walPerTx: 4000, connections: 50 },
        actions: [action(s(30), { kind: 'stop', node: 's1' }), action(s(60), { kind: 'start', node: 's1' })],
      }),
    ).report;
    expect(r.stalls).toEqual([]);
    const announced = r.events.filter((e) => e.node === 'p' && e.log.some((l) => l.startsWith('walsender LOG:')));
    expect(announced.map((e) => `${e.at.slice(11, 19)} ${e.log[0]}`)).toEqual([
      '14:00:00 walsender LOG:  standby "s1" is now a synchronous standby with priority 1',
      '14:00:30 walsender LOG:  standby "s2" is now a synchronous standby with priority 2',
      '14:01:21 walsender LOG:  standby "s1" is now a synchronous standby with priority 1',
    ]);
  });

  it('FIRST 1 (s1) set again while s1 catches up after maintenance: redundancy stays below plan until it has caught up', () => {
    const first1 = { synchronousStandbyNames: { method: 'first' as const, num: 1, names: ['s1'] } };
    const r = runScenario(
      buildScenario({
        end: s(120),
        sites: ['dc', 'far'],
        // As above: s1 needs 21.05 s to catch up after its 30 s outage, as commits go on without it meanwhile.
        links: [{ between: ['dc', 'far'], bandwidth: 5_000_000, latency: 1000 as never }],
        nodes: [node('p', 'dc', 15, { settings: first1 }), node('s1', 'far', 15, { upstream: 'p' })],
        workload: { target: 'p', rate: 500, walPerTx: 4000, connections: 50 },
        actions: [
          action(s(29), { kind: 'configure', node: 'p', settings: { synchronousStandbyNames: null }, restart: 'never' }),
          action(s(30), { kind: 'stop', node: 's1' }),
          action(s(60), { kind: 'start', node: 's1' }),
          action(s(65), { kind: 'configure', node: 'p', settings: first1, restart: 'never' }),
        ],
      }),
    ).report;
    const below = r.verdicts.filter((v) => v.kind === 'redundancy-below-plan');
    expect(below).toHaveLength(1);
    // No synchronous standby from 29 s; s1 streams again from 60 s, in state catchup, and is named again at
    // 65 s (commits then wait, so no new WAL adds to its backlog): not synchronous until it has caught up, at
    // 74 s, not from 65 s.
    expect(below[0]!.from.slice(11, 19)).toBe('14:00:29');
    expect(below[0]!.to!.slice(11, 19)).toBe('14:01:14');
  });
});

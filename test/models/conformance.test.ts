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

  // a primary writing until 20 s, then idle; b and d standbys of a; b promoted at 30 s.
  const idleFork = (extra: ReturnType<typeof action>[]) =>
    buildScenario({
      end: s(120),
      nodes: [node('a', 'dc', 15), node('b', 'dc', 15, { upstream: 'a' }), node('d', 'dc', 15, { upstream: 'a' })],
      workload: { target: 'a', rate: 10, walPerTx: 1000 },
      actions: [action(s(20), { kind: 'workload', cluster: 'main', workload: null, rate: 0 }), action(s(30), { kind: 'promote', node: 'b' }), ...extra],
    });

  it("the old primary's shutdown checkpoint reaches its standby: repointed to the new primary, the standby has diverged", () => {
    // Real: d received a's shutdown checkpoint record (WAL past b's switchpoint) and logged "forked off".
    const r = runScenario(idleFork([action(s(40), { kind: 'stop', node: 'a' }), action(s(50), { kind: 'repoint', node: 'd', upstream: 'b' })])).report;
    expect(nodeOf(r, 'd')).toMatchObject({ state: 'running', timeline: 1, receiver: 'waiting' });
    expect(logOf(r, 'd').some((l) => l.includes('new timeline 2 forked off current database system timeline 1 before current recovery point'))).toBe(true);
    expect(logOf(r, 'd')).not.toContain('startup LOG:  new target timeline is 2');
  });

  it('an old primary that wrote nothing after the promotion cannot rejoin: its shutdown checkpoint is past the fork', () => {
    const r = runScenario(idleFork([action(s(40), { kind: 'repoint', node: 'a', upstream: 'b' }), action(s(70), { kind: 'restart', node: 'a' })])).report;
    expect(nodeOf(r, 'a').state).toBe('failed');
    expect(logOf(r, 'a').some((l) => l.includes('new timeline 2 forked off current database system timeline 1 before current recovery point'))).toBe(true);
    expect(logOf(r, 'a').some((l) => l.startsWith("startup FATAL:  requested timeline 2 is not a child of this server's history"))).toBe(true);
  });

  it('a standby stopped cleanly writes no WAL: its downstream stays caught up and can still follow', () => {
    const r = runScenario(idleFork([action(s(40), { kind: 'stop', node: 'd' }), action(s(50), { kind: 'start', node: 'd' })])).report;
    expect(nodeOf(r, 'd')).toMatchObject({ state: 'running', timeline: 1, receiver: 'streaming' });
    expect(nodeOf(r, 'd').lsn).toBe(nodeOf(r, 'a').lsn);
  });

  it('a standby repointed to a promoted node streams the old timeline to its end before it adopts the new one', () => {
    // Real: the startup process rescans only local history files before restarting the walreceiver; the
    // fetched 00000002.history is adopted after "End of WAL reached on timeline 1".
    const r = runScenario(idleFork([action(s(40), { kind: 'repoint', node: 'd', upstream: 'b' })])).report;
    expect(nodeOf(r, 'd')).toMatchObject({ timeline: 2, receiver: 'streaming' });
    const lines = logOf(r, 'd');
    const end = lines.findIndex((l) => l.includes('End of WAL reached on timeline 1'));
    const adopt = lines.indexOf('startup LOG:  new target timeline is 2');
    expect(end).toBeGreaterThanOrEqual(0);
    expect(adopt).toBeGreaterThan(end);
  });

  it("a standby fetches every history file its upstream has, not only its upstream's ancestry, and follows", () => {
    // Real (seed-33): a diverged old primary a (it fetched 00000002.history from b) is promoted to timeline 3,
    // whose history is 1 -> 3; its standby c fetched 00000002.history and 00000003.history and followed 3.
    // With only 3 fetched, findNewestTimeLine would stop at the missing 2 and c would never switch.
    const r = runScenario(
      buildScenario({
        end: s(120),
        nodes: [node('a', 'dc', 15), node('b', 'dc', 15, { upstream: 'a' }), node('c', 'dc', 15, { upstream: 'a' })],
        workload: { target: 'a', rate: 10, walPerTx: 1000 },
        actions: [
          action(s(20), { kind: 'workload', cluster: 'main', workload: null, rate: 0 }),
          action(s(30), { kind: 'promote', node: 'b' }),
          action(s(40), { kind: 'repoint', node: 'a', upstream: 'b' }),
          action(s(50), { kind: 'promote', node: 'a' }),
        ],
      }),
    ).report;
    expect(nodeOf(r, 'a')).toMatchObject({ role: 'primary', timeline: 3 });
    expect(nodeOf(r, 'c')).toMatchObject({ timeline: 3, receiver: 'streaming' });
    expect(logOf(r, 'c')).toContain('walreceiver LOG:  fetching timeline history file for timeline 2 from primary server');
    expect(logOf(r, 'c')).toContain('startup LOG:  new target timeline is 3');
  });

  it('a standby a little ahead of its upstream within the start segment is accepted without an error', () => {
    // Real (seed-10): an old primary, restarted (its shutdown checkpoint puts it a record ahead), repointed to
    // a standby that stopped at an earlier position in the same segment: the walsender compares its flush
    // with the requested start (the segment boundary), so no "ahead of the WAL flush position" error.
    const r = runScenario(
      buildScenario({
        end: s(120),
        nodes: [node('a', 'dc', 15), node('b', 'dc', 15, { upstream: 'a' }), node('c', 'dc', 15, { upstream: 'b', settings: { recoveryTargetTimeline: 'current' } })],
        workload: { target: 'a', rate: 10, walPerTx: 1000 },
        actions: [
          action(s(20), { kind: 'workload', cluster: 'main', workload: null, rate: 0 }),
          action(s(30), { kind: 'promote', node: 'b' }),
          action(s(40), { kind: 'restart', node: 'a' }),
          action(s(50), { kind: 'repoint', node: 'a', upstream: 'c' }),
        ],
      }),
    ).report;
    const a = nodeOf(r, 'a');
    expect(a).toMatchObject({ state: 'running', role: 'standby', timeline: 1 });
    expect(logOf(r, 'a').some((l) => l.includes('is ahead of the WAL flush position'))).toBe(false);
    // it keeps its own WAL: a walreceiver never truncates
    expect(a.lsn > nodeOf(r, 'c').lsn).toBe(true);
  });
});


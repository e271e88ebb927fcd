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

  // seed-79: a primary; b (latest) a standby of a; c ('current') a standby of b. b is promoted (timeline 2), then
  // c, stuck at the end of timeline 1 with 00000002.history, is promoted to timeline 3 (history 1 -> 3).
  const siblings = (extra: ReturnType<typeof action>[], end = s(150)) =>
    buildScenario({
      end,
      nodes: [node('a', 'dc', 15), node('b', 'dc', 15, { upstream: 'a' }), node('c', 'dc', 15, { upstream: 'b', settings: { recoveryTargetTimeline: 'current' } })],
      workload: { target: 'a', rate: 10, walPerTx: 1000 },
      actions: [
        action(s(20), { kind: 'workload', cluster: 'main', workload: null, rate: 0 }),
        action(s(30), { kind: 'promote', node: 'b' }),
        action(s(40), { kind: 'promote', node: 'c' }),
        action(s(50), { kind: 'repoint', node: 'b', upstream: 'c' }),
        action(s(60), { kind: 'repoint', node: 'b', upstream: 'a' }),
        ...extra,
      ],
    });

  it('the startup process rescans at every retry, also while the upstream is behind', () => {
    // Real (seed-79): b, on timeline 2 with c's 00000003.history, repointed to a on timeline 1, logged
    // "highest timeline 1 of the primary is behind recovery timeline 2" and "new timeline 3 is not a child of
    // database system timeline 2" at every retry (xlogrecovery.c WaitForWALToBecomeAvailable rescans after
    // every failed attempt).
    const r = runScenario(siblings([], s(90))).report;
    const retry = r.events.filter((e) => e.node === 'b' && e.log.some((l) => l.includes('highest timeline 1 of the primary is behind recovery timeline 2')));
    expect(retry.length).toBeGreaterThan(0);
    expect(retry.every((e) => e.log.includes('startup LOG:  new timeline 3 is not a child of database system timeline 2'))).toBe(true);
  });

  it("a standby whose checkpoint's timeline is not in its target's history waits for its checkpoint record: no FATAL", () => {
    // Real (seed-79): b restarted with 'latest' resolves its target to 3, whose history (1 -> 3) lacks b's
    // checkpoint timeline 2. XLogFileReadAnyTLI opens only timeline 3's and 1's segments, which do not hold the
    // record: b stays up in startup ("the database system is starting up"), asking a for timeline 2 from its
    // redo point, instead of failing with "requested timeline 3 is not a child of this server's history".
    const r = runScenario(siblings([action(s(70), { kind: 'stop', node: 'b' }), action(s(80), { kind: 'start', node: 'b' }), action(s(100), { kind: 'promote', node: 'b' })])).report;
    expect(nodeOf(r, 'b')).toMatchObject({ state: 'running', role: 'standby', timeline: 2, receiver: 'waiting' });
    expect(logOf(r, 'b').some((l) => l.includes('is not a child of this server')))
      .toBe(false);
    expect(r.events.some((e) => e.node === 'b' && e.kind === 'stuck' && e.message.includes('cannot read its checkpoint record'))).toBe(true);
    const after = r.events.filter((e) => e.node === 'b' && e.log.some((l) => l.includes('highest timeline 1 of the primary is behind recovery timeline 2')));
    expect(after.length).toBeGreaterThan(0);
    // pg_ctl promote needs pg_control to say "in archive recovery", written only after the checkpoint is read
    expect(r.events.some((e) => e.node === 'b' && e.kind === 'promote' && e.message.includes('refused'))).toBe(true);
  });

  // a primary writing until 20 s; b (latest) a standby of a; c ('current') a standby of b. b is promoted at 30 s:
  // c stops at the end of timeline 1, its walreceiver idle on its connection to b.
  const idleReceiver = (extra: ReturnType<typeof action>[], end: number) =>
    buildScenario({
      end: s(end),
      nodes: [node('a', 'dc', 15), node('b', 'dc', 15, { upstream: 'a' }), node('c', 'dc', 15, { upstream: 'b', settings: { recoveryTargetTimeline: 'current' } })],
      workload: { target: 'a', rate: 10, walPerTx: 1000 },
      actions: [
        action(s(20), { kind: 'workload', cluster: 'main', workload: null, rate: 0 }),
        action(s(30), { kind: 'promote', node: 'b' }),
        action(s(40), { kind: 'repoint', node: 'c', upstream: 'a' }),
        action(s(45), { kind: 'workload', cluster: 'main', workload: null, rate: 10 }),
        action(s(55), { kind: 'workload', cluster: 'main', workload: null, rate: 0 }),
        ...extra,
      ],
    });
  const lsnOf = (r: ReturnType<typeof runScenario>['report'], name: string) => {
    const [hi, lo] = nodeOf(r, name).lsn.split('/');
    return parseInt(hi!, 16) * 2 ** 32 + parseInt(lo!, 16);
  };

  it('a reload of primary_conninfo does not move a walreceiver that is idle after the end of a timeline', () => {
    // Real (seed-33, seed-42): after the reload the same walreceiver process kept restarting on its old
    // connection ("WAL receiver process shutdown requested", then "restarted WAL streaming" by the same PID):
    // the startup process drops the restart request when it already starts the walreceiver, and a waiting
    // walreceiver restarts without reconnecting.
    const r = runScenario(idleReceiver([], 90)).report;
    expect(nodeOf(r, 'c')).toMatchObject({ state: 'running', timeline: 1, receiver: 'waiting' });
    expect(lsnOf(r, 'c')).toBeLessThan(lsnOf(r, 'a'));
    const after = r.events.filter((e) => e.node === 'c' && e.log.includes('startup LOG:  WAL receiver process shutdown requested'));
    expect(after.length).toBe(1);
    expect(r.events.some((e) => e.node === 'c' && e.message.includes('keeps its connection to b'))).toBe(true);
    expect(logOf(r, 'c').some((l) => l.includes('connection to server at "a"'))).toBe(false);
  });

  it('an idle walreceiver whose upstream restarts exits, and the next one connects to the new primary_conninfo', () => {
    // Real (seed-42): an upstream's restart ends the idle walreceiver's connection; it notices at its next
    // IDENTIFY_SYSTEM ("could not receive database system identifier and timeline ID from the primary server")
    // and a new walreceiver reads primary_conninfo.
    const r = runScenario(idleReceiver([action(s(70), { kind: 'restart', node: 'b' })], 120)).report;
    expect(logOf(r, 'c').some((l) => l.startsWith('walreceiver FATAL:  could not receive database system identifier and timeline ID from the primary server'))).toBe(true);
    expect(nodeOf(r, 'c')).toMatchObject({ state: 'running', timeline: 1, receiver: 'streaming', upstream: 'a' });
    expect(lsnOf(r, 'c')).toBe(lsnOf(r, 'a'));
  });

  it('a standby sent a same-numbered sibling timeline stays connected: its upstream\'s shutdown ends the stream', () => {
    // Real (seed-11): c and b both promoted to timeline 2 from the same point; c repointed to b received b's
    // timeline 2 without an error and, when b shut down, logged "End of WAL reached on timeline 2".
    const r = runScenario(
      buildScenario({
        end: s(120),
        nodes: [node('a', 'dc', 15), node('b', 'dc', 15, { upstream: 'a', settings: { recoveryTargetTimeline: 'current' } }), node('c', 'dc', 15, { upstream: 'a', settings: { recoveryTargetTimeline: 'current' } })],
        workload: { target: 'a', rate: 10, walPerTx: 1000 },
        actions: [
          action(s(20), { kind: 'workload', cluster: 'main', workload: null, rate: 0 }),
          action(s(30), { kind: 'promote', node: 'c' }),
          action(s(40), { kind: 'promote', node: 'b' }),
          action(s(50), { kind: 'repoint', node: 'c', upstream: 'b' }),
          action(s(70), { kind: 'stop', node: 'b' }),
        ],
      }),
    ).report;
    const ended = r.events.filter((e) => e.node === 'c' && e.log.some((l) => l.includes('End of WAL reached on timeline 2')));
    expect(ended.length).toBeGreaterThan(0);
    expect(ended.every((e) => e.message.startsWith('b stopped'))).toBe(true);
  });
});

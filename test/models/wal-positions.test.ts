import { describe, expect, it } from 'vitest';
import { seconds, type Micros } from '../../src/engine/time.ts';
import { ackedCommits } from '../../src/checkers/dataLoss.ts';
import { runScenario } from '../../src/run.ts';
import type { PgSettingsSpec, SynchronousCommit } from '../../src/scenario/types.ts';
import { action, buildScenario, node } from '../support/builder.ts';

const s = (n: number) => seconds(n);
const ms = (n: number) => (n * 1000) as Micros;
const FIRST_S1 = { method: 'first' as const, num: 1, names: ['s1'] };

/** Commits per second the primary's clients get, over the whole run, when they offer far more than that. */
function commitRate(mode: SynchronousCommit, o: { fsync?: Micros; delay?: Micros; connections?: number; end?: Micros } = {}): number {
  const end = o.end ?? s(20);
  const r = runScenario(
    buildScenario({
      end,
      sites: ['a', 'b'],
      links: [{ between: ['a', 'b'], bandwidth: 125_000_000, latency: ms(1) }],
      nodes: [
        node('p', 'a', 15, { settings: { synchronousStandbyNames: FIRST_S1, synchronousCommit: mode } }),
        node('s1', 'b', 15, {
          upstream: 'p',
          settings: { recoveryMinApplyDelay: o.delay ?? (0 as Micros) },
          storage: { walVolume: null, throughput: null, walFsync: o.fsync ?? (0 as Micros) },
        }),
      ],
      workload: { target: 'p', rate: 1_000_000, walPerTx: 1000, connections: o.connections ?? 10 },
    }),
  );
  const commits = r.history.terms.reduce((a, t) => a + ackedCommits(t), 0);
  return commits / (end / 1e6);
}

describe('synchronous_commit levels wait for different standby positions (syncrep.c SyncRepReleaseWaiters)', () => {
  it('remote_write waits for the write, on also for the fsync, remote_apply also for the apply delay (Little\'s law)', () => {
    const opts = { fsync: ms(10), delay: ms(100) };
    const write = commitRate('remote_write', opts);
    const on = commitRate('on', opts);
    const apply = commitRate('remote_apply', opts);
    // 10 connections; one-way latency 1 ms. remote_write: rtt 2 ms -> 5000/s. on: + 10 ms fsync -> 833/s.
    // remote_apply: the commit is applied at its commit time + 100 ms, and the reply takes 1 ms -> 99/s.
    expect(write).toBeGreaterThan(5000 * 0.98);
    expect(write).toBeLessThan(5000 * 1.02);
    expect(on).toBeGreaterThan((10 / 0.012) * 0.98);
    expect(on).toBeLessThan((10 / 0.012) * 1.02);
    expect(apply).toBeGreaterThan((10 / 0.101) * 0.97);
    expect(apply).toBeLessThan((10 / 0.101) * 1.02);
  });

  it('without fsync latency or apply delay the three levels agree', () => {
    const write = commitRate('remote_write');
    expect(commitRate('on')).toBeCloseTo(write, 6);
    expect(commitRate('remote_apply')).toBeCloseTo(write, 6);
  });

  it('remote_apply with recovery_min_apply_delay = 1min: connections / (delay + reply) commits per second, and the figure moves with the delay', () => {
    const end = s(600);
    const minute = commitRate('remote_apply', { delay: s(60), connections: 20, end });
    const half = commitRate('remote_apply', { delay: s(30), connections: 20, end });
    // Little's law: 20 commits wait at once, each for 60 s + 1 ms. The first minute commits nothing acknowledged
    // until the first replies: over 600 s, 9 rounds of 20 (plus the one in flight at the end) are acknowledged.
    const perRound = 20 / end * 1e6;
    // (The last commit of a round may be a fraction short of its reply at the end: allow one commit.)
    expect(minute).toBeGreaterThan(perRound * 9 - 1.5 / 600);
    expect(minute).toBeLessThan(perRound * 10 + 1e-9);
    expect(half).toBeGreaterThan(perRound * 19 - 1.5 / 600);
    expect(half).toBeLessThan(perRound * 20 + 1e-9);
    // The brief's figure, connections / (rtt + delay), over the time after the first round.
    expect(minute * 600 / 540).toBeCloseTo(20 / 60.002, 1);
  });
});

/** p -> s1 (async, s1 delayed), p crashes at 60 s, s1 is promoted at 61 s and takes the writes. */
function promoteDelayed(delay: Micros) {
  return runScenario(
    buildScenario({
      end: s(120),
      sites: ['a', 'b'],
      links: [{ between: ['a', 'b'], bandwidth: 125_000_000, latency: ms(2) }],
      nodes: [node('p', 'a', 15), node('s1', 'b', 15, { upstream: 'p', settings: { recoveryMinApplyDelay: delay } })],
      workload: { target: 'p', rate: 1000, walPerTx: 2048, connections: 20 },
      actions: [
        action(s(60), { kind: 'crash', node: 'p' }),
        action(s(61), { kind: 'promote', node: 's1' }),
        action(s(62), { kind: 'routeWrites', cluster: 'main', node: 's1', workload: null }),
      ],
    }),
  ).report;
}

describe('recovery_min_apply_delay (xlogrecovery.c recoveryApplyDelay)', () => {
  it('a promotion ends the wait: the delayed standby replays all it received and loses no more than an undelayed one', () => {
    const undelayed = promoteDelayed(0 as Micros);
    const delayed = promoteDelayed(s(60));
    // What p had sent was in flight and arrived: nothing is lost, delayed or not (a promotion that replayed only
    // up to the delayed replay position would lose a minute of commits).
    expect(undelayed.dataLoss).toEqual([]);
    expect(delayed.dataLoss).toEqual([]);
    expect(delayed.nodes.find((n) => n.name === 's1')!.lsn).toBe(undelayed.nodes.find((n) => n.name === 's1')!.lsn);
  });

  /**
   * p -> s1 and p -> s2 (latest). s1 stops at 30 s, p crashes at 60 s, s1 restarts and is promoted at 62 s
   * (switchpoint: p's WAL of 30 s), and s2 is repointed to s1. s2 received p's WAL up to 60 s, past the
   * switchpoint.
   */
  function followAfterFork(delay: Micros) {
    const settings: PgSettingsSpec = { recoveryTargetTimeline: 'latest', recoveryMinApplyDelay: delay };
    return runScenario(
      buildScenario({
        end: s(180),
        nodes: [node('p', 'a', 15), node('s1', 'a', 15, { upstream: 'p' }), node('s2', 'a', 15, { upstream: 'p', settings })],
        workload: { target: 'p', rate: 100, walPerTx: 2048, connections: 20 },
        actions: [
          action(s(30), { kind: 'stop', node: 's1' }),
          action(s(60), { kind: 'crash', node: 'p' }),
          action(s(61), { kind: 'start', node: 's1' }),
          action(s(62), { kind: 'promote', node: 's1' }),
          action(s(63), { kind: 'routeWrites', cluster: 'main', node: 's1', workload: null }),
          action(s(64), { kind: 'repoint', node: 's2', upstream: 's1' }),
        ],
      }),
    ).report;
  }

  it('rule 6 uses the replay position: a delayed standby follows a promotion whose switchpoint is before WAL it received but did not replay', () => {
    const undelayed = followAfterFork(0 as Micros);
    const delayed = followAfterFork(s(60));
    const s2 = (r: typeof delayed) => r.nodes.find((n) => n.name === 's2')!;
    // Undelayed, s2 replayed past the switchpoint: it has diverged and never follows timeline 2.
    expect(s2(undelayed).timeline).toBe(1);
    expect(undelayed.events.some((e) => e.node === 's2' && e.log.some((l) => l.includes('forked off current database system timeline 1 before current recovery point')))).toBe(true);
    // Delayed, its replay (p's WAL of about 4 s) is before the switchpoint (30 s): it follows and streams.
    expect(s2(delayed).timeline).toBe(2);
    expect(s2(delayed).receiver).toBe('streaming');
    expect(delayed.events.some((e) => e.node === 's2' && e.message.includes('received past the switchpoint'))).toBe(true);
  });
});

/** synchronous_commit = off on p; p crashes at 60 s and restarts at 61 s on the same timeline. */
function offCrash(walWriterDelay: Micros | undefined) {
  const settings: PgSettingsSpec = walWriterDelay === undefined ? { synchronousCommit: 'off' } : { synchronousCommit: 'off', walWriterDelay };
  return runScenario(
    buildScenario({
      end: s(120),
      nodes: [node('p', 'a', 15, { settings })],
      workload: { target: 'p', rate: 1000, walPerTx: 2048, connections: 20 },
      actions: [action(s(60), { kind: 'crash', node: 'p' }), action(s(61), { kind: 'start', node: 'p' })],
    }),
  ).report;
}

describe('synchronous_commit = off: a primary crash loses what the WAL writer had not flushed', () => {
  it('about wal_writer_delay x rate acknowledged commits are lost, though p restarts on the same timeline and writes those LSNs again', () => {
    const r = offCrash(undefined);
    expect(r.dataLoss).toHaveLength(1);
    // 1000 commits/s x 200 ms.
    expect(r.dataLoss[0]!.commits).toBeGreaterThanOrEqual(199);
    expect(r.dataLoss[0]!.commits).toBeLessThanOrEqual(201);
    expect(r.dataLoss[0]!.recoverableByPitr).toBe(false);
    expect(r.nodes.find((n) => n.name === 'p')!.state).toBe('running');
    expect(r.events.some((e) => e.node === 'p' && e.message.includes('synchronous_commit = off') && e.message.includes('wal_writer_delay = 200 ms'))).toBe(true);
    // The explanation is the crash, not a timeline branch.
    const why = r.dataLoss[0]!.cause.map((c) => c.text);
    expect(why[1]).toMatch(/^At 14:01:00, with its WAL flushed only up to [0-9A-F]+\/[0-9A-F]+, p crashed with .* synchronous_commit = off/);
    expect(why.at(-1)).toBe('Therefore the 200 commits acknowledged before the WAL writer flushed them are lost.');
  });

  it('the loss moves with wal_writer_delay', () => {
    const r = offCrash(ms(500));
    expect(r.dataLoss[0]!.commits).toBeGreaterThanOrEqual(499);
    expect(r.dataLoss[0]!.commits).toBeLessThanOrEqual(501);
  });

  it('with synchronous_commit = on nothing acknowledged is lost by the same crash', () => {
    const r = runScenario(
      buildScenario({
        end: s(120),
        nodes: [node('p', 'a', 15)],
        workload: { target: 'p', rate: 1000, walPerTx: 2048, connections: 20 },
        actions: [action(s(60), { kind: 'crash', node: 'p' }), action(s(61), { kind: 'start', node: 'p' })],
      }),
    ).report;
    expect(r.dataLoss).toEqual([]);
  });
});

import { describe, expect, it } from 'vitest';
import { seconds } from '../../src/engine/time.ts';
import { runScenario } from '../../src/run.ts';
import { action, buildScenario, node } from '../support/builder.ts';

const s = (n: number) => seconds(n);
const logOf = (r: ReturnType<typeof runScenario>['report'], name: string) => r.events.filter((e) => e.node === name).flatMap((e) => e.log);
const nodeOf = (r: ReturnType<typeof runScenario>['report'], name: string) => r.nodes.find((n) => n.name === name)!;
const lsn = (text: string) => {
  const [hi, lo] = text.split('/');
  return parseInt(hi!, 16) * 2 ** 32 + parseInt(lo!, 16);
};
/** How far `down` trails `up` at the end, in bytes. */
const lag = (r: ReturnType<typeof runScenario>['report'], up: string, down: string) => lsn(nodeOf(r, up).lsn) - lsn(nodeOf(r, down).lsn);
// 100 tx/s x 1000 B over a 100 us link: 10 bytes are in flight while streaming.
const IN_FLIGHT = 10;

describe('a cascading standby when its upstream is promoted (postgres.md §1.6, rules 5-6)', () => {
  const cascade = (version: number, goal?: 'current' | 'latest') =>
    buildScenario({
      end: s(120),
      nodes: [
        node('a', 'dc', version),
        node('b', 'dc', version, { upstream: 'a' }),
        node('c', 'dc', version, { upstream: 'b', settings: goal ? { recoveryTargetTimeline: goal } : {} }),
      ],
      workload: { target: 'a', rate: 100, walPerTx: 1000 },
      actions: [
        action(s(30), { kind: 'blockClients', node: 'a' }),
        action(s(31), { kind: 'promote', node: 'b' }),
        action(s(32), { kind: 'routeWrites', cluster: 'main', node: 'b', workload: null }),
      ],
    });

  it("'current' (the <=11 default) stops silently at the switchpoint and retries every 5 s", () => {
    const r = runScenario(cascade(11)).report;
    const c = nodeOf(r, 'c');
    expect(c.timeline).toBe(1);
    expect(c.receiver).toBe('waiting');
    expect(c.lsn).toBe(nodeOf(r, 'b').history.match(/until ([0-9A-F/]+)/)![1]);
    const lines = logOf(r, 'c');
    expect(lines.some((l) => l.includes('End of WAL reached on timeline 1'))).toBe(true);
    expect(lines.some((l) => /ERROR|FATAL/.test(l))).toBe(false);
    const loop = r.events.find((e) => e.node === 'c' && e.kind === 'stuck')!;
    // (120 - 31) s of retries every 5 s
    expect(loop.repeated!.count).toBeGreaterThanOrEqual(17);
  });

  it("'latest' (the 12+ default) follows the new timeline and receives the new writes", () => {
    const r = runScenario(cascade(12)).report;
    expect(nodeOf(r, 'c')).toMatchObject({ timeline: 2, receiver: 'streaming' });
    expect(lag(r, 'b', 'c')).toBeGreaterThanOrEqual(0);
    expect(lag(r, 'b', 'c')).toBeLessThanOrEqual(IN_FLIGHT);
    expect(logOf(r, 'c')).toContain('startup LOG:  new target timeline is 2');
  });

  it('9.2 cannot stream across a timeline switch at all: the stream ends, then every reconnection fails (rule 8)', () => {
    for (const goal of ['latest', 'current'] as const) {
      const r = runScenario(cascade(9.2, goal)).report;
      expect(nodeOf(r, 'c').timeline).toBe(1);
      const lines = logOf(r, 'c');
      expect(lines.some((l) => l.includes('timeline 2 of the primary does not match recovery target timeline 1'))).toBe(true);
      // No 9.3+ end-of-timeline DETAIL and no silent 'current' loop: 9.2 fails loudly whatever the setting.
      expect(lines.some((l) => l.includes('End of WAL reached'))).toBe(false);
      expect(lines).toContain('walreceiver FATAL:  replication terminated by primary server');
      const failing = r.events.find((e) => e.node === 'c' && e.log.some((l) => l.includes('does not match')))!;
      expect(failing.repeated!.count).toBeGreaterThanOrEqual(17);
    }
  });

  it("setting 'latest' and restarting the stuck standby makes it follow (rule 10)", () => {
    const sc = cascade(15, 'current');
    const fixed = { ...sc, actions: [...sc.actions, action(s(60), { kind: 'configure', node: 'c', settings: { recoveryTargetTimeline: 'latest' }, restart: 'auto' })] };
    const r = runScenario(fixed).report;
    expect(nodeOf(r, 'c')).toMatchObject({ timeline: 2, receiver: 'streaming' });
    expect(lag(r, 'b', 'c')).toBeLessThanOrEqual(IN_FLIGHT);
  });
});

describe('divergence (postgres.md §0.3, rules 6, 7, 9, 11)', () => {
  // A primary; B and D standbys of A. B is promoted while A keeps writing; D replays past the fork.
  const splitBrain = (extra: ReturnType<typeof action>[]) =>
    buildScenario({
      end: s(200),
      nodes: [node('a', 'dc', 15), node('b', 'dc', 15, { upstream: 'a' }), node('d', 'dc', 15, { upstream: 'a' })],
      // 10 MB/s: 30 s after the fork, d is several 16 MiB segments past it.
      workload: { target: 'a', rate: 100, walPerTx: 100_000 },
      actions: [action(s(30), { kind: 'promote', node: 'b' }), ...extra],
    });

  it('a standby past the switchpoint repointed to the new primary loops with "not in this server\'s history"', () => {
    const r = runScenario(splitBrain([action(s(60), { kind: 'repoint', node: 'd', upstream: 'b' })])).report;
    const lines = logOf(r, 'd');
    expect(lines.some((l) => l.includes("on timeline 1 is not in this server's history") && l.includes('This server\'s history forked from timeline 1 at'))).toBe(true);
    expect(lines.some((l) => l.includes('new timeline 2 forked off current database system timeline 1 before current recovery point'))).toBe(true);
    expect(nodeOf(r, 'd')).toMatchObject({ state: 'running', timeline: 1, receiver: 'waiting' });
  });

  it('the diverged standby refuses to start once the history file is local', () => {
    const r = runScenario(
      splitBrain([action(s(60), { kind: 'repoint', node: 'd', upstream: 'b' }), action(s(90), { kind: 'restart', node: 'd' })]),
    ).report;
    expect(nodeOf(r, 'd').state).toBe('failed');
    expect(logOf(r, 'd').some((l) => l.startsWith('startup FATAL:  requested timeline 2 does not contain minimum recovery point'))).toBe(true);
  });

  it('the old primary rejoining as a standby of the new one: "not a child of this server\'s history" on its second start', () => {
    const r = runScenario(
      splitBrain([
        action(s(60), { kind: 'stop', node: 'a' }),
        action(s(61), { kind: 'repoint', node: 'a', upstream: 'b' }),
        action(s(100), { kind: 'restart', node: 'a' }),
      ]),
    ).report;
    expect(nodeOf(r, 'a').state).toBe('failed');
    expect(logOf(r, 'a').some((l) => l.startsWith("startup FATAL:  requested timeline 2 is not a child of this server's history"))).toBe(true);
  });

  it('a numeric recovery_target_timeline without a history file is fatal at startup', () => {
    const r = runScenario(
      splitBrain([action(s(60), { kind: 'configure', node: 'd', settings: { recoveryTargetTimeline: { tli: 5 } }, restart: 'auto' })]),
    ).report;
    expect(logOf(r, 'd')).toContain('startup FATAL:  recovery target timeline 5 does not exist');
  });

  it("promoting a standby whose replay passed the fork loses the other branch's commits", () => {
    // b promoted at 30 s while a keeps writing; writes move to b at 40 s; at the end b is the survivor.
    const r = runScenario(splitBrain([action(s(40), { kind: 'routeWrites', cluster: 'main', node: 'b', workload: null })])).report;
    expect(r.dataLoss).toHaveLength(1);
    const l = r.dataLoss[0]!;
    // 10 s at 100/s after the promotion, plus the commit whose WAL was in flight to b when b was promoted
    expect(l).toMatchObject({ node: 'a', timeline: 1, commits: 1001 });
    expect(l.recoverableByPitr).toBe(false);
  });
});

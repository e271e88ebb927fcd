import { describe, expect, it } from 'vitest';
import { seconds } from '../../src/engine/time.ts';
import { runScenario } from '../../src/run.ts';
import type { Action, PgMajor, RecoveryTargetTimeline } from '../../src/scenario/types.ts';
import { action, buildScenario, node } from '../support/builder.ts';

const s = (n: number) => seconds(n);

/**
 * conformance's notes-0.1-current-stuck: pg0 primary, pg1 <- pg0, pg2 <- pg1; pg0 stops, pg1 is promoted and
 * takes the writes. Where does pg2 end, with recovery_target_timeline written as `rtt` (or not written)?
 */
function cascade(version: PgMajor, rtt: RecoveryTargetTimeline | undefined, extra: Action[] = []) {
  return runScenario(
    buildScenario({
      end: s(120),
      nodes: [
        node('pg0', 'dc', version),
        node('pg1', 'dc', version, { upstream: 'pg0', settings: { recoveryTargetTimeline: 'latest' } }),
        node('pg2', 'dc', version, { upstream: 'pg1', settings: rtt === undefined ? {} : { recoveryTargetTimeline: rtt } }),
      ],
      workload: { target: 'pg0', rate: 100, walPerTx: 1000 },
      actions: [
        action(s(30), { kind: 'stop', node: 'pg0' }),
        action(s(31), { kind: 'promote', node: 'pg1' }),
        action(s(32), { kind: 'routeWrites', cluster: 'main', node: 'pg1', workload: null }),
        ...extra,
      ],
    }),
  ).report;
}

const timelineOf = (r: ReturnType<typeof cascade>, name: string) => r.nodes.find((n) => n.name === name)!.timeline;

describe("recovery_target_timeline = 'current' written in recovery.conf (11 and before) means latest", () => {
  it.each([9.6, 10, 11] as PgMajor[])('%s: written, pg2 follows the promotion (strtoul reads the word as timeline 0); not written, it stays', (v) => {
    const written = cascade(v, 'current');
    expect(timelineOf(written, 'pg2')).toBe(2);
    expect(written.events.filter((e) => e.node === 'pg2').flatMap((e) => e.log)).toContain('startup LOG:  new target timeline is 2');
    expect(written.events.find((e) => e.node === 'pg2' && /follows timeline 2/.test(e.message))!.message).toMatch(/'current' was written in recovery.conf.*0 means latest/);
    expect(timelineOf(cascade(v, undefined), 'pg2')).toBe(1);
  });

  it("12 and later: 'current' is a keyword and pg2 stays on timeline 1", () => {
    for (const v of [12, 15, 18] as PgMajor[]) expect(timelineOf(cascade(v, 'current'), 'pg2')).toBe(1);
  });

  it("a later change of another setting keeps an 11 standby's default (current), and one writing 'current' means latest", () => {
    const other: Action = action(s(10), { kind: 'configure', node: 'pg2', settings: { walKeepSize: 64 * 1024 * 1024 }, restart: 'auto' });
    expect(timelineOf(cascade(11, undefined, [other]), 'pg2')).toBe(1);
    const current: Action = action(s(10), { kind: 'configure', node: 'pg2', settings: { recoveryTargetTimeline: 'current' }, restart: 'auto' });
    expect(timelineOf(cascade(11, undefined, [current]), 'pg2')).toBe(2);
  });
});

import { describe, expect, it } from 'vitest';
import { seconds } from '../../src/engine/time.ts';
import { withoutParking } from '../../src/models/postgres/retry.ts';
import { runScenario } from '../../src/run.ts';
import { renderText } from '../../src/report/text.ts';
import type { Action, Scenario } from '../../src/scenario/types.ts';
import { loadScenarioFile } from '../../src/scenario/load.ts';
import { action, buildScenario, node } from '../support/builder.ts';

const s = (n: number) => seconds(n);

function scenario(actions: Action[], o: { slotName?: string; end?: number } = {}): Scenario {
  return buildScenario({
    end: s(o.end ?? 7200),
    sites: ['a', 'b'],
    nodes: [node('p', 'a', 15), node('s1', 'b', 15, { upstream: 'p', settings: o.slotName ? { primarySlotName: o.slotName } : {} })],
    workload: { target: 'p', rate: 500, walPerTx: 8000 },
    actions,
  });
}

/** What a reader sees: events with their repeat counts, receiver transitions, nodes, losses. */
function visible(sc: Scenario) {
  const { report, history } = runScenario(sc);
  return { events: report.events, nodes: report.nodes, dataLoss: report.dataLoss, transitions: history.receiverTransitions, events_run: report.stats.events };
}

describe('retry loops (xlogrecovery.c WaitForWALToBecomeAvailable; retry.ts)', () => {
  it('the first failure is retried at once, the next ones every wal_retrieve_retry_interval', () => {
    const r = runScenario(scenario([action(s(100), { kind: 'stop', node: 'p' })], { end: 130 }));
    const e = r.report.events.find((x) => x.node === 's1' && /not running/.test(x.message))!;
    // 100 s: the connection is lost; attempts at 100 s (at once), then 105, 110, ..., 130: 7 attempts.
    expect(e.at).toMatch(/14:01:40/);
    expect(e.repeated).toEqual({ count: 7, last: expect.stringMatching(/14:02:10/), second: expect.stringMatching(/14:01:45/) });
    expect(renderText(r.report)).toContain('(7 times, every 5 s, the last at 14:02:10)');
  });

  const cases: [string, Action[], { slotName?: string }][] = [
    ['a standby that can no longer stream (removed segment)', [action(s(600), { kind: 'stop', node: 's1' }), action(s(3000), { kind: 'start', node: 's1' })], {}],
    ['an upstream down, then started again', [action(s(600), { kind: 'stop', node: 'p' }), action(s(2400), { kind: 'start', node: 'p' })], {}],
    ['a partition, then healed', [action(s(600), { kind: 'partition', target: { kind: 'link', sites: ['a', 'b'] } }), action(s(1234), { kind: 'heal', target: { kind: 'link', sites: ['a', 'b'] } })], {}],
    ['a slot created after the standby asked for it', [action(s(1800), { kind: 'createSlot', cluster: 'main', slot: { name: 'late', node: 'p', kind: 'physical', database: null, consumer: 'active', hotStandbyFeedback: false } })], { slotName: 'late' }],
  ];
  for (const [name, actions, o] of cases) {
    it(`parking a loop that cannot change changes nothing a reader sees, and saves events: ${name}`, () => {
      const sc = scenario(actions, o);
      const parked = visible(sc);
      const stepped = withoutParking(() => visible(sc));
      expect(parked.events).toEqual(stepped.events);
      expect(parked.nodes).toEqual(stepped.nodes);
      expect(parked.dataLoss).toEqual(stepped.dataLoss);
      expect(parked.transitions).toEqual(stepped.transitions);
      expect(parked.events_run).toBeLessThan(stepped.events_run);
    });
  }

  // A cascading standby on 'current' whose upstream is promoted: every attempt streams its old timeline and
  // ends at once at the switchpoint (rule 5), until the upstream removes the segment of the switchpoint.
  const cascade = (end: number, rate: number) =>
    buildScenario({
      end: s(end),
      sites: ['a', 'b'],
      nodes: [node('p', 'a', 15), node('s1', 'b', 15, { upstream: 'p' }), node('s2', 'b', 15, { upstream: 's1', settings: { recoveryTargetTimeline: 'current' } })],
      workload: { target: 'p', rate, walPerTx: 8000 },
      actions: [action(s(600), { kind: 'promote', node: 's1' }), action(s(601), { kind: 'routeWrites', cluster: 'main', node: 's1', workload: null })],
    });
  it('a loop in vain (a standby that does not follow the new timeline) is parked until its upstream removes the segment, with the same report', () => {
    const sc = cascade(3600, 100);
    const parked = visible(sc);
    const stepped = withoutParking(() => visible(sc));
    const loop = stepped.events.findLast((e) => e.node === 's2' && e.kind === 'stuck')!;
    expect(loop.repeated!.count).toBeGreaterThan(20);
    expect(stepped.events.some((e) => e.node === 's2' && /removed WAL segment/.test(e.message))).toBe(true);
    expect(parked.events).toEqual(stepped.events);
    expect(parked.nodes).toEqual(stepped.nodes);
    expect(parked.dataLoss).toEqual(stepped.dataLoss);
    // Each attempt in vain costs a retry, a stream's end and two recomputations.
    expect(parked.events_run).toBeLessThan(stepped.events_run - 3 * loop.repeated!.count);
  });

  it('an attempt due at the instant of a later-ordered change (a manager promoting, a checkpoint removing WAL) counts as before it', () => {
    // Mackerel with db001 crashing at 15:30 (refused at once, where an unreachable host holds each attempt
    // for its SYN retransmissions): db002 is parked retrying db001 when the manager promotes it at 15:30:20, a
    // time on its retry grid; the manager's decision runs after retries at equal times.
    const sc = loadScenarioFile('scenarios/mackerel-2017.yaml', { sets: ['faults.db001-lost={at: "15:30", name: db001-lost, crash: db001}'] });
    const parked = runScenario(sc).report;
    const stepped = withoutParking(() => runScenario(sc).report);
    const unreachable = parked.events.find((e) => e.node === 'db002' && /db001 is not running/.test(e.message))!;
    expect(unreachable.repeated).toEqual({ count: 5, last: expect.stringMatching(/15:30:20/), second: expect.stringMatching(/15:30:05/) });
    expect(parked.events).toEqual(stepped.events);
    expect(parked.verdicts).toEqual(stepped.verdicts);
    expect(parked.stats.events).toBeLessThan(stepped.stats.events);
  });
});

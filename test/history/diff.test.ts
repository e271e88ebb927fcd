import { describe, expect, it } from 'vitest';
import type { Micros } from '../../src/engine/time.ts';
import { historyDifference } from '../../src/history/diff.ts';
import { prose } from '../../src/history/facts/index.ts';
import { History } from '../../src/history/history.ts';
import type { World } from '../../src/models/world.ts';
import { runScenario } from '../../src/run.ts';
import { mackerel } from '../support/builder.ts';
import { NondeterminismError, runTwice } from '../support/determinism.ts';

describe('historyDifference (the determinism self-check)', () => {
  it('is null for two runs of one scenario', () => {
    expect(historyDifference(runScenario(mackerel()).history, runScenario(mackerel()).history)).toBeNull();
  });

  it('names the first event that differs, with both versions', () => {
    const a = new History();
    const b = new History();
    for (const h of [a, b]) h.event(1 as Micros, 'c', 'n1', 'replication', prose('same'));
    a.event(5 as Micros, 'c', 'n2', 'promote', prose('n2 promoted'));
    b.event(6 as Micros, 'c', 'n2', 'promote', prose('n2 promoted'));
    expect(historyDifference(a, b)).toMatch(/first differing event #2: \+5 us n2 \[promote\] n2 promoted <> \+6 us n2 \[promote\] n2 promoted/);
  });

  it('runTwice fails naming the event when a run depends on something outside the scenario', () => {
    let calls = 0;
    // An observer that changes the world on the first run only stands in for hidden state (a wall clock, Math.random).
    const observer = (w: World) => {
      if (calls++ === 50) w.ctx.history.event(w.ctx.sim.now, 'mackerel', 'db002', 'fault', prose('hidden state'));
    };
    expect(() => runTwice(mackerel(), { afterEvent: observer })).toThrow(NondeterminismError);
    calls = 0;
    expect(() => runTwice(mackerel(), { afterEvent: observer })).toThrow(/first differing event #\d+: .*db002 \[fault\] hidden state <> /);
  });
});

import { describe, expect, it } from 'vitest';
import { invariant, InvariantViolation } from '../../src/engine/invariant.ts';
import { seconds } from '../../src/engine/time.ts';
import { TimelineRegistry } from '../../src/models/postgres/timeline.ts';
import { runScenario } from '../../src/run.ts';
import { mackerel } from '../support/builder.ts';

describe('invariants', () => {
  it('a violation during a run names the event, the state of every node and the seed', () => {
    const s = { ...mackerel(), seed: 7 };
    let err: unknown;
    try {
      runScenario(s, {
        afterEvent: (w) => {
          if (w.ctx.sim.now >= seconds(1800 + 10)) invariant(false, 'a test invariant');
        },
      });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InvariantViolation);
    const m = (err as Error).message;
    expect(m).toContain('a test invariant');
    expect(m).toMatch(/at simulated \+1810\.\d+ s, during event "plan promote"/);
    expect(m).toContain('seed 7');
    expect(m).toMatch(/db001: running primary timeline 16 at [0-9A-F]+\/[0-9A-F]+/);
    expect(m).toMatch(/db002: running standby timeline 15 at .* receiver \w+ from db001/);
  });

  it('a timeline never begins before its parent (LSN order per timeline)', () => {
    const reg = new TimelineRegistry();
    const root = reg.create(1, null, 1000, 'initial', 'p', 0 as never);
    expect(() => reg.create(2, root, 999, 'x', 'b', 0 as never)).toThrow(/begins at 0\/3E7, before its parent 1/);
    expect(() => reg.create(2, root, 999, 'x', 'b', 0 as never)).toThrow(InvariantViolation);
    expect(() => reg.create(1, root, 1000, 'x', 'b', 0 as never)).toThrow(InvariantViolation);
    expect(() => reg.create(2, root, 1000, 'x', 'b', 0 as never)).not.toThrow();
  });

  it('the invariants hold over every shipped-style run (the property tests exercise them on thousands)', () => {
    for (const rate of [10, 200, 5000]) expect(() => runScenario(mackerel({ rate }))).not.toThrow();
  });
});

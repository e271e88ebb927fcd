import { describe, expect, it } from 'vitest';
import { Simulation, SimulationLimitError } from '../../src/engine/simulation.ts';
import { InvariantViolation } from '../../src/engine/invariant.ts';
import type { Micros } from '../../src/engine/time.ts';

const t = (n: number): Micros => n as Micros;

describe('Simulation', () => {
  it('runs events in (time, priority, insertion) order and sets the clock to each event time', () => {
    const sim = new Simulation();
    const log: string[] = [];
    const note = (name: string) => (): void => {
      log.push(`${name}@${sim.now}`);
    };
    sim.at(t(20), 'b', note('b'));
    sim.at(t(10), 'a2', note('a2'));
    sim.at(t(10), 'a1', note('a1'), 50);
    sim.at(t(10), 'a3', note('a3'));
    sim.run(t(100));
    expect(log).toEqual(['a1@10', 'a2@10', 'a3@10', 'b@20']);
    expect(sim.eventsProcessed).toBe(4);
  });

  it('stops at until (inclusive), leaves later events pending and the clock at until', () => {
    const sim = new Simulation();
    const ran: number[] = [];
    for (const time of [5, 10, 15]) sim.at(t(time), `e${time}`, () => ran.push(sim.now));
    sim.run(t(10));
    expect(ran).toEqual([5, 10]);
    expect(sim.now).toBe(10);
    expect(sim.pending).toBe(1);
    sim.run(t(12));
    expect(sim.now).toBe(12); // nothing ran, but the clock moved to until
    expect(ran).toEqual([5, 10]);
    sim.run(t(1000));
    expect(ran).toEqual([5, 10, 15]);
    expect(sim.now).toBe(1000);
    expect(sim.pending).toBe(0);
  });

  it('after() schedules relative to now, including from inside an event', () => {
    const sim = new Simulation();
    const times: number[] = [];
    const tick = (): void => {
      times.push(sim.now);
      if (times.length < 4) sim.after(t(7), 'tick', tick);
    };
    sim.after(t(3), 'tick', tick);
    sim.run(t(1_000));
    expect(times).toEqual([3, 10, 17, 24]);
  });

  it('throws InvariantViolation when scheduling in the past or at a non-integer time', () => {
    const sim = new Simulation();
    sim.at(t(50), 'x', () => {});
    sim.run(t(50));
    expect(() => sim.at(t(49), 'late', () => {})).toThrow(InvariantViolation);
    expect(() => sim.at(t(49), 'late', () => {})).toThrow(/scheduled in the past: 49 < now 50/);
    expect(() => sim.after(t(-1), 'neg', () => {})).toThrow(/in the past/);
    expect(() => sim.at(t(60.5), 'frac', () => {})).toThrow(/non-integer time 60.5/);
    expect(() => sim.at(t(Number.NaN), 'nan', () => {})).toThrow(/non-integer time NaN/);
    expect(() => sim.at(t(Number.POSITIVE_INFINITY), 'inf', () => {})).toThrow(InvariantViolation);
    expect(sim.pending).toBe(0);
    sim.at(t(50), 'now is fine', () => {});
    expect(sim.pending).toBe(1);
  });

  it('cancelled events never run and do not count as pending', () => {
    const sim = new Simulation();
    const ran: string[] = [];
    const a = sim.at(t(1), 'a', () => ran.push('a'));
    const b = sim.at(t(2), 'b', () => {
      ran.push('b');
      sim.cancel(c); // cancel a later event from inside an event
    });
    const c = sim.at(t(3), 'c', () => ran.push('c'));
    sim.at(t(4), 'd', () => ran.push('d'));
    sim.cancel(a);
    sim.cancel(undefined);
    sim.cancel(null);
    expect(sim.pending).toBe(3);
    sim.run(t(10));
    expect(ran).toEqual(['b', 'd']);
    expect(a.cancelled && c.cancelled).toBe(true);
    expect(b.cancelled).toBe(false);
    sim.cancel(b); // already ran: no effect on the count
    expect(sim.pending).toBe(0);
    expect(sim.eventsProcessed).toBe(2);
  });

  it('currentEvent names the running event, also after it scheduled others', () => {
    const sim = new Simulation();
    const seen: string[] = [];
    sim.at(t(1), 'outer', () => {
      seen.push(sim.currentEvent);
      sim.after(t(1), 'inner', () => seen.push(sim.currentEvent)); // takes the slot outer just freed
      seen.push(sim.currentEvent);
    });
    sim.run(t(10));
    expect(seen).toEqual(['outer', 'outer', 'inner']);
    expect(sim.currentEvent).toBe('inner');
  });

  it('calls afterEvent after every event', () => {
    const sim = new Simulation();
    const log: string[] = [];
    sim.at(t(1), 'a', () => log.push('a'));
    sim.at(t(2), 'b', () => log.push('b'));
    sim.run(t(10), undefined, undefined, () => log.push(`after@${sim.now}`));
    expect(log).toEqual(['a', 'after@1', 'b', 'after@2']);
  });

  it('stop() ends the run after the current event, leaving the clock there', () => {
    const sim = new Simulation();
    const ran: number[] = [];
    sim.at(t(1), 'a', () => ran.push(1));
    sim.at(t(2), 'b', () => {
      ran.push(2);
      sim.stop();
    });
    sim.at(t(3), 'c', () => ran.push(3));
    sim.run(t(100));
    expect(ran).toEqual([1, 2]);
    expect(sim.now).toBe(2);
    expect(sim.pending).toBe(1);
  });

  it('raises SimulationLimitError when a run needs more than maxEvents events', () => {
    const sim = new Simulation();
    const loop = (): void => {
      sim.after(t(1), 'loop', loop);
    };
    sim.after(t(1), 'loop', loop);
    let error: unknown;
    try {
      sim.run(t(1e12), { maxEvents: 5_000, maxWallSeconds: 60 });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(SimulationLimitError);
    const limit = error as SimulationLimitError;
    expect(limit.limit).toBe('maxEvents');
    expect(limit.value).toBe(5_000);
    // Checked after every event: it stops at the first event past the limit.
    expect(sim.eventsProcessed).toBe(5_001);
    expect(limit.at).toBe(5_001);
    expect(limit.message).toMatch(/more than 5000 events/);
  });

  it('does not raise when the run fits in maxEvents', () => {
    const sim = new Simulation();
    for (let i = 1; i <= 3_000; i++) sim.at(t(i), 'e', () => {});
    sim.run(t(10_000), { maxEvents: 3_000, maxWallSeconds: 60 });
    expect(sim.eventsProcessed).toBe(3_000);
  });

  it('guard() throws the wall-clock limit error from inside one event that never ends', () => {
    const sim = new Simulation();
    let spins = 0;
    sim.at(5 as Micros, 'stuck', () => {
      for (;;) {
        spins++;
        sim.guard();
      }
    });
    const started = Date.now();
    expect(() => sim.run(10 as Micros, { maxEvents: 1_000, maxWallSeconds: 0.05 })).toThrow(SimulationLimitError);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(spins).toBeGreaterThan(1_000);
    try {
      sim.guard();
    } catch {
      throw new Error('guard() must be free outside a run with limits');
    }
  });

  it('guard() never throws in a run without limits', () => {
    const sim = new Simulation();
    sim.at(1 as Micros, 'busy', () => {
      for (let i = 0; i < 100_000; i++) sim.guard();
    });
    expect(() => sim.run(10 as Micros)).not.toThrow();
  });
});

import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { EventQueue, MAX_PRIORITY, type EventQueueOptions, type ScheduledEvent } from '../../src/engine/queue.ts';
import type { Micros } from '../../src/engine/time.ts';

const t = (n: number): Micros => n as Micros;
const noop = (): void => {};

function drainLabels(q: EventQueue): string[] {
  const out: string[] = [];
  for (let ev = q.pop(); ev !== undefined; ev = q.pop()) out.push(ev.label);
  return out;
}

describe('EventQueue ordering: (time, priority, insertion sequence)', () => {
  it('pops by time first', () => {
    const q = new EventQueue();
    for (const [time, label] of [[30, 'c'], [10, 'a'], [20, 'b'], [5, 'first'], [1000, 'last']] as const) {
      q.push(t(time), 100, label, noop);
    }
    expect(drainLabels(q)).toEqual(['first', 'a', 'b', 'c', 'last']);
  });

  it('breaks equal times by priority, lower first, whatever the insertion order', () => {
    const q = new EventQueue();
    q.push(t(7), 200, 'p200', noop);
    q.push(t(7), 0, 'p0', noop);
    q.push(t(7), MAX_PRIORITY, 'pmax', noop);
    q.push(t(7), 100, 'p100', noop);
    q.push(t(6), MAX_PRIORITY, 'earlier', noop);
    expect(drainLabels(q)).toEqual(['earlier', 'p0', 'p100', 'p200', 'pmax']);
  });

  it('breaks equal (time, priority) by insertion order, also across many ties and heap levels', () => {
    const q = new EventQueue();
    const expected: string[] = [];
    // 500 events at 5 times x 2 priorities, inserted interleaved: each (time, priority) group must come out in
    // insertion order.
    for (let i = 0; i < 500; i++) q.push(t(i % 5), i % 2 === 0 ? 1 : 0, `e${i}`, noop);
    for (let time = 0; time < 5; time++) {
      for (const prio of [0, 1]) {
        for (let i = 0; i < 500; i++) if (i % 5 === time && (i % 2 === 0 ? 1 : 0) === prio) expected.push(`e${i}`);
      }
    }
    expect(drainLabels(q)).toEqual(expected);
  });

  it('exposes time, key, label and fn on the handle; key encodes priority then sequence', () => {
    const q = new EventQueue();
    const fn = (): void => {};
    const a = q.push(t(42), 3, 'a', fn);
    const b = q.push(t(42), 3, 'b', fn);
    expect(a.time).toBe(42);
    expect(a.label).toBe('a');
    expect(a.fn).toBe(fn);
    expect(a.cancelled).toBe(false);
    expect(a.key).toBe(3 * 2 ** 40);
    expect(b.key).toBe(3 * 2 ** 40 + 1);
    const top = q.peek()!;
    expect([top.time, top.key, top.label, top.fn]).toEqual([42, a.key, 'a', fn]);
    expect(q.size).toBe(2); // peek removes nothing
  });

  it('rejects priorities outside 0..MAX_PRIORITY and non-integers', () => {
    const q = new EventQueue();
    for (const p of [-1, MAX_PRIORITY + 1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => q.push(t(0), p, 'x', noop)).toThrow(RangeError);
    }
    expect(q.size).toBe(0);
    expect(q.pop()).toBeUndefined();
  });

  it('grows past its initial capacity and keeps order (descending inserts)', () => {
    const q = new EventQueue();
    for (let i = 9999; i >= 0; i--) q.push(t(i), 100, String(i), noop);
    expect(q.size).toBe(10_000);
    const labels = drainLabels(q);
    expect(labels.length).toBe(10_000);
    expect(labels.every((l, i) => l === String(i))).toBe(true);
  });
});

describe('EventQueue calendar edge cases', () => {
  it('finds an event pushed before the day a fruitless popUntil moved on to', () => {
    const q = new EventQueue({ minBuckets: 4 });
    for (let i = 0; i < 40; i++) q.push(t(1_000 + i * 10), 100, `late${i}`, noop); // sets a width of about 30
    expect(q.popUntil(10)).toBeUndefined(); // the search moved to the day of 1000
    q.push(t(20), 100, 'early', noop);
    expect(q.popUntil(30)).toBeDefined();
    expect(q.lastLabel).toBe('early');
    expect(q.lastTime).toBe(20);
  });

  it('orders negative times, +Infinity (by priority, then insertion) and far outliers', () => {
    const q = new EventQueue({ minBuckets: 1, checkEvery: 1 });
    q.push(t(Number.POSITIVE_INFINITY), 5, 'never-p5', noop);
    q.push(t(Number.POSITIVE_INFINITY), 1, 'never-p1', noop);
    const c = q.push(t(Number.POSITIVE_INFINITY), 1, 'never-cancelled', noop);
    q.push(t(Number.POSITIVE_INFINITY), 1, 'never-p1-second', noop);
    q.push(t(1e15), 100, 'far', noop);
    q.push(t(-5), 100, 'minus5', noop);
    q.push(t(-7.5), 100, 'minus7.5', noop);
    q.push(t(0), 100, 'zero', noop);
    q.cancel(c);
    expect(q.size).toBe(7);
    expect(drainLabels(q)).toEqual(['minus7.5', 'minus5', 'zero', 'far', 'never-p1', 'never-p1-second', 'never-p5']);
  });

  it('jumps over empty years: events a million widths apart', () => {
    const q = new EventQueue({ minBuckets: 2 });
    const times = [3, 4, 5e9, 5e9 + 1, 7e12, 9e14];
    for (const time of [...times].reverse()) q.push(t(time), 100, String(time), noop);
    expect(drainLabels(q)).toEqual(times.map(String));
  });
});

describe('EventQueue cancellation', () => {
  it('never returns a cancelled event and counts only live ones', () => {
    const q = new EventQueue();
    const a = q.push(t(1), 100, 'a', noop);
    const b = q.push(t(2), 100, 'b', noop);
    const c = q.push(t(3), 100, 'c', noop);
    expect(q.size).toBe(3);
    q.cancel(b);
    expect(b.cancelled).toBe(true);
    expect(q.size).toBe(2);
    q.cancel(b); // twice: no effect
    expect(q.size).toBe(2);
    q.cancel(a); // the top: peek must skip it
    expect(q.size).toBe(1);
    expect(q.peek()?.label).toBe('c');
    expect(q.nextTime()).toBe(3);
    expect(drainLabels(q)).toEqual(['c']);
    expect(q.size).toBe(0);
    expect(c.cancelled).toBe(false);
    expect(q.nextTime()).toBe(Number.POSITIVE_INFINITY);
  });

  it('ignores a cancel after the event was popped, even once its slot is reused', () => {
    const q = new EventQueue();
    const a = q.push(t(1), 100, 'a', noop);
    expect(q.pop()?.label).toBe('a');
    const b = q.push(t(2), 100, 'b', noop); // takes the slot a freed
    q.cancel(a);
    expect(q.size).toBe(1);
    expect(b.cancelled).toBe(false);
    expect(q.pop()?.label).toBe('b');
    expect(q.size).toBe(0);
  });

  it('treats assigning cancelled = true as a cancel, and refuses to revive', () => {
    const q = new EventQueue();
    const a = q.push(t(1), 100, 'a', noop);
    q.push(t(2), 100, 'b', noop);
    a.cancelled = true;
    expect(q.size).toBe(1);
    expect(() => {
      a.cancelled = false;
    }).toThrow(/cancelled/);
    expect(drainLabels(q)).toEqual(['b']);
  });

  it('popUntil skips cancelled events and stops before a later time without removing it', () => {
    const q = new EventQueue();
    const ran: string[] = [];
    const x = q.push(t(5), 100, 'x', () => ran.push('x'));
    q.push(t(5), 100, 'y', () => ran.push('y'));
    q.push(t(9), 100, 'z', () => ran.push('z'));
    q.cancel(x);
    for (let fn = q.popUntil(8); fn !== undefined; fn = q.popUntil(8)) fn();
    expect(ran).toEqual(['y']);
    expect(q.lastTime).toBe(5);
    expect(q.size).toBe(1);
    expect(q.peek()?.label).toBe('z');
  });

  it('compacts when cancelled entries dominate, keeping the order of the rest', () => {
    const q = new EventQueue();
    const handles: ScheduledEvent[] = [];
    for (let i = 0; i < 5000; i++) handles.push(q.push(t((i * 7919) % 5000), i % 3, `e${i}`, noop));
    const kept = new Set<number>();
    for (let i = 0; i < 5000; i++) {
      if (i % 10 === 0) kept.add(i);
      else q.cancel(handles[i]!);
    }
    expect(q.size).toBe(500);
    // A late cancel of a compacted-away event and a cancel of a kept one both still work.
    q.cancel(handles[1]!);
    q.cancel(handles[10]!);
    kept.delete(10);
    expect(q.size).toBe(499);
    const expected = [...kept]
      .map((i) => ({ i, time: (i * 7919) % 5000, prio: i % 3 }))
      .sort((a, b) => a.time - b.time || a.prio - b.prio || a.i - b.i)
      .map((e) => `e${e.i}`);
    expect(drainLabels(q)).toEqual(expected);
  });
});

describe('EventQueue against a reference sort (property)', () => {
  type Op = { kind: 'push'; time: number; prio: number } | { kind: 'cancel'; pick: number } | { kind: 'pop' };
  const delay = fc.oneof(
    fc.integer({ min: 0, max: 40 }), // many ties
    fc.integer({ min: 0, max: 5_000 }),
    fc.integer({ min: 0, max: 1e12 }), // far outliers
    fc.constant(Number.POSITIVE_INFINITY), // never, unless cancelled
  );
  const op: fc.Arbitrary<Op> = fc.oneof(
    { weight: 5, arbitrary: fc.record({ kind: fc.constant('push' as const), time: delay, prio: fc.integer({ min: 0, max: 3 }) }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('cancel' as const), pick: fc.nat() }) },
    { weight: 3, arbitrary: fc.record({ kind: fc.constant('pop' as const) }) },
  );

  // The tiny settings push the calendar through doubling, halving, width re-estimates, direct searches,
  // spilling the far future into runs, cutting the overflow, refilling, going back to one calendar and
  // compaction on every run. Some also use fractional times (EventQueue itself accepts any number; day and
  // run boundaries must stay exact for them too).
  const settings: [string, EventQueueOptions, number][] = [
    ['default', {}, 1],
    ['tiny calendar, re-estimated at every operation', { minBuckets: 1, checkEvery: 1 }, 1],
    ['small calendar', { minBuckets: 2, checkEvery: 16 }, 1],
    ['small calendar, fractional times', { minBuckets: 2, checkEvery: 16 }, 1 / 7],
    ['tiny far runs', { minBuckets: 1, spillAt: 4, runTarget: 1, maxRuns: 3 }, 1],
    ['small far runs', { minBuckets: 2, spillAt: 16, runTarget: 3, maxRuns: 64 }, 1],
    ['small far runs, fractional times', { minBuckets: 2, spillAt: 16, runTarget: 3, maxRuns: 64 }, 1 / 7],
  ];

  for (const [name, options, scale] of settings) {
    it(`random push/cancel/pop sequences pop exactly what a sorted list of live events would: ${name}`, () => {
      fc.assert(
        fc.property(fc.array(op, { maxLength: 300 }), (ops) => {
          const q = new EventQueue(options);
          interface Ref { time: number; prio: number; seq: number; label: string; handle: ScheduledEvent; live: boolean }
          const all: Ref[] = [];
          let seq = 0;
          // Times never go below the last popped time, as in a simulation.
          let floor = 0;
          const popped: string[] = [];
          const expected: string[] = [];
          const nextRef = (): Ref | undefined =>
            all.filter((r) => r.live).sort((a, b) => a.time - b.time || a.prio - b.prio || a.seq - b.seq)[0];
          for (const o of ops) {
            if (o.kind === 'push') {
              const label = `e${seq}`;
              const time = floor + o.time * scale;
              all.push({ time, prio: o.prio, seq: seq++, label, live: true, handle: q.push(t(time), o.prio, label, noop) });
            } else if (o.kind === 'cancel') {
              if (all.length === 0) continue;
              const r = all[o.pick % all.length]!; // may be popped or cancelled already: must be a no-op then
              q.cancel(r.handle);
              r.live = false;
            } else {
              const ref = nextRef();
              const ev = q.pop();
              expected.push(ref?.label ?? '(empty)');
              popped.push(ev?.label ?? '(empty)');
              if (ref) {
                ref.live = false;
                floor = ref.time;
                expect(ev?.time).toBe(ref.time);
              }
            }
            expect(q.size).toBe(all.filter((r) => r.live).length);
          }
          // Drain half through popUntil (the kernel's path), the rest through pop.
          const live = all.filter((r) => r.live).sort((a, b) => a.time - b.time || a.prio - b.prio || a.seq - b.seq);
          const cut = live[live.length >> 1]?.time ?? 0;
          for (let fn = q.popUntil(cut); fn !== undefined; fn = q.popUntil(cut)) popped.push(q.lastLabel);
          for (let ev = q.pop(); ev !== undefined; ev = q.pop()) popped.push(ev.label);
          expected.push(...live.map((r) => r.label));
          expect(q.size).toBe(0);
          expect(popped).toEqual(expected);
        }),
        { numRuns: 200 },
      );
    });
  }

  it('keeps order when the earliest events or the overflow sample misrepresent the spread (every 8th entry early, the rest far)', () => {
    const q = new EventQueue({ minBuckets: 1, checkEvery: 8, spillAt: 1, runTarget: 4, maxRuns: 1024 });
    const expected: { time: number; seq: number }[] = [];
    for (let i = 0; i < 2040; i++) {
      const time = i % 8 === 0 ? i : 1_000_000 + ((i * 7919) % 2040) * 1000;
      q.push(t(time), 100, String(i), noop);
      expected.push({ time, seq: i });
    }
    expected.sort((a, b) => a.time - b.time || a.seq - b.seq);
    expect(drainLabels(q)).toEqual(expected.map((e) => String(e.seq)));
  });

  it('keeps exact order through many resizes and width re-estimates (hold model, 20 000 events, ties)', () => {
    const q = new EventQueue({ minBuckets: 2, checkEvery: 64, spillAt: 64, runTarget: 8, maxRuns: 32 });
    let x = 12345;
    const rand = (): number => {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0;
      return x / 2 ** 32;
    };
    // Reference: the pending events in a plain list; the next one is the minimum by (time, priority, seq).
    const pending: { time: number; prio: number; seq: number }[] = [];
    let seq = 0;
    const push = (time: number): void => {
      const prio = Math.floor(rand() * 3);
      pending.push({ time, prio, seq });
      q.push(t(time), prio, String(seq++), noop);
    };
    for (let i = 0; i < 500; i++) push(Math.floor(rand() * 1000));
    let maxSize = 0;
    for (let i = 0; i < 20_000; i++) {
      let best = 0;
      for (let k = 1; k < pending.length; k++) {
        const a = pending[k]!;
        const b = pending[best]!;
        if (a.time < b.time || (a.time === b.time && (a.prio < b.prio || (a.prio === b.prio && a.seq < b.seq)))) best = k;
      }
      const want = pending[best]!;
      pending[best] = pending[pending.length - 1]!;
      pending.pop();
      const ev = q.pop()!;
      if (ev.label !== String(want.seq) || ev.time !== want.time) {
        expect.fail(`pop ${i}: got ${ev.label}@${ev.time}, want ${want.seq}@${want.time} (prio ${want.prio})`);
      }
      // Mostly near-future events with ties, some far outliers; the queue grows, shrinks and grows again.
      const phase = Math.floor(i / 4_000) % 2;
      const pushes = phase === 0 ? (rand() < 0.4 ? 2 : 1) : rand() < 0.55 ? 0 : 1;
      for (let k = 0; k < pushes; k++) push(ev.time + (rand() < 0.02 ? Math.floor(rand() * 1e9) : Math.floor(rand() * 50)));
      if (pending.length === 0) push(ev.time + 1);
      maxSize = Math.max(maxSize, q.size);
      expect(q.size).toBe(pending.length);
    }
    expect(maxSize).toBeGreaterThan(1_000); // it spilled into far runs, went back to one calendar, and again
  });
});

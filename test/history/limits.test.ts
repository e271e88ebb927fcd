/** Memory stays bounded on long runs: position and metric samples are thinned, events capped (head and tail kept). */
import { describe, expect, it } from 'vitest';
import type { Micros } from '../../src/engine/time.ts';
import { prose } from '../../src/history/facts/index.ts';
import { History } from '../../src/history/history.ts';
import { factText } from '../../src/report/facts/index.ts';

describe('history limits', () => {
  it('position samples are downsampled past the limit, keeping each node\'s first and last and every timeline change', () => {
    const h = new History({ positions: 1000, events: 1000, metrics: 1000 });
    const nodes = ['a', 'b', 'c'];
    for (let i = 0; i < 300_000; i++) {
      const node = nodes[i % 3]!;
      // b switches timeline at a few points
      const tli = node === 'b' ? 1 + Math.floor(i / 100_000) : 1;
      h.position({ at: i as Micros, node, lsn: i * 10, tli });
    }
    expect(h.positions.length).toBeLessThanOrEqual(1000);
    expect(h.positions.length).toBeGreaterThan(250);
    for (const n of nodes) {
      const mine = h.positions.filter((p) => p.node === n);
      expect(mine[0]!.at).toBe(nodes.indexOf(n));
      // evenly spread: no gap much larger than the average
      const gaps = mine.slice(1).map((p, i) => p.at - mine[i]!.at);
      expect(Math.max(...gaps)).toBeLessThanOrEqual((4 * 300_000) / mine.length);
    }
    const b = h.positions.filter((p) => p.node === 'b');
    // the first sample of each new timeline is kept exactly (b's calls are i = 1, 4, 7, ...)
    expect(b.find((p) => p.tli === 2)!.at).toBe(100_000);
    expect(b.find((p) => p.tli === 3)!.at).toBe(200_002);
    expect(new Set(b.map((p) => p.tli))).toEqual(new Set([1, 2, 3]));
  });

  it('events past the limit keep the first half and the most recent, with one marker saying how many were left out', () => {
    const h = new History({ positions: 1000, events: 100, metrics: 1000 });
    for (let i = 0; i < 100_000; i++) h.event(i as Micros, 'c', `n${i % 7}`, 'replication', prose(`event ${i}`));
    expect(h.events.length).toBeLessThanOrEqual(101);
    expect(factText(h.events[0]!.fact)).toBe('event 0');
    expect(factText(h.events[49]!.fact)).toBe('event 49');
    expect(factText(h.events[50]!.fact)).toMatch(/^\d{1,3}(,\d{3})* events omitted, until [\d.]+ ms into the run \(the history keeps at most \d{1,3}(,\d{3})* events/);
    expect(factText(h.events.at(-1)!.fact)).toBe('event 99999');
    const omitted = (h.events[50]!.fact as { count: number }).count;
    expect(omitted + h.events.length - 1).toBe(100_000);
  });

  it('the fingerprint still covers every event', () => {
    const a = new History({ positions: 1000, events: 10, metrics: 1000 });
    const b = new History({ positions: 1000, events: 10, metrics: 1000 });
    for (let i = 0; i < 1000; i++) {
      a.event(i as Micros, 'c', 'n', 'replication', prose(`event ${i}`));
      b.event(i as Micros, 'c', 'n', 'replication', prose(i === 500 ? 'other' : `event ${i}`));
    }
    expect(a.fingerprint).not.toBe(b.fingerprint);
  });
  it('metric samples are thinned past the limit, keeping each series\' first, last and turning points exactly', () => {
    const h = new History({ positions: 1000, events: 1000, metrics: 1000 });
    // A saw-tooth XID age: rises for 50 samples, falls back (a vacuum), again; and a second series rising.
    let peak = { at: 0, value: -1 };
    for (let i = 0; i < 20_000; i++) {
      const value = (i % 100 < 50 ? i % 100 : 100 - (i % 100)) * 1000 + Math.floor(i / 100);
      if (value > peak.value) peak = { at: i, value };
      h.metric({ at: i as Micros, cluster: 'c', name: 'max_xid_age', value, rate: i % 100 < 50 ? 1 : -1 });
      h.metric({ at: i as Micros, cluster: 'd', name: 'max_xid_age', value: i * i, rate: i });
    }
    expect(h.metrics.length).toBeLessThanOrEqual(1000);
    const c = h.metrics.filter((m) => m.cluster === 'c');
    expect(c[0]!.at).toBe(0);
    expect(c.at(-1)!.at).toBe(19_999);
    expect(c.some((m) => m.at === peak.at && m.value === peak.value)).toBe(true);
    expect(Math.max(...c.map((m) => m.value))).toBe(peak.value);
    expect(h.metrics.filter((m) => m.cluster === 'd').at(-1)!.at).toBe(19_999);
  });

  it('the fingerprint covers positions, metrics and acknowledgements, not only events', () => {
    const run = (lsn: number, ack: number, age: number): string => {
      const h = new History({ positions: 1000, events: 10, metrics: 1000 });
      h.position({ at: 5 as Micros, node: 'n', lsn, tli: 1 });
      h.metric({ at: 5 as Micros, cluster: 'c', name: 'max_xid_age', value: age, rate: 0 });
      const term = h.newTerm('c', 'n', { tli: 1 } as never, 0, 0 as Micros, 100);
      term.ackCurve.push({ at: 9 as Micros, lsn: ack });
      return h.fingerprint;
    };
    const base = run(1000, 500, 7);
    expect(run(1000, 500, 7)).toBe(base);
    expect(run(999_999, 500, 7)).not.toBe(base);
    expect(run(1000, 90_000, 7)).not.toBe(base);
    expect(run(1000, 500, 8)).not.toBe(base);
  });
});

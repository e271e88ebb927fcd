/** Memory stays bounded on long runs: position samples are downsampled, events capped (head and tail kept). */
import { describe, expect, it } from 'vitest';
import type { Micros } from '../../src/engine/time.ts';
import { History } from '../../src/history/history.ts';

describe('history limits', () => {
  it('position samples are downsampled past the limit, keeping each node\'s first and last and every timeline change', () => {
    const h = new History({ positions: 1000, events: 1000 });
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
    const h = new History({ positions: 1000, events: 100 });
    for (let i = 0; i < 100_000; i++) h.event(i as Micros, 'c', `n${i % 7}`, 'replication', `event ${i}`);
    expect(h.events.length).toBeLessThanOrEqual(101);
    expect(h.events[0]!.message).toBe('event 0');
    expect(h.events[49]!.message).toBe('event 49');
    expect(h.events[50]!.message).toMatch(/^\d+ events omitted, until \+\d+ us/);
    expect(h.events.at(-1)!.message).toBe('event 99999');
    const omitted = Number(h.events[50]!.message.split(' ')[0]);
    expect(omitted + h.events.length - 1).toBe(100_000);
  });

  it('the fingerprint still covers every event', () => {
    const a = new History({ positions: 1000, events: 10 });
    const b = new History({ positions: 1000, events: 10 });
    for (let i = 0; i < 1000; i++) {
      a.event(i as Micros, 'c', 'n', 'replication', `event ${i}`);
      b.event(i as Micros, 'c', 'n', 'replication', i === 500 ? 'other' : `event ${i}`);
    }
    expect(a.fingerprint).not.toBe(b.fingerprint);
  });
});

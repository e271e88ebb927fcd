import { describe, expect, it } from 'vitest';
import { RandomStreams } from '../../src/engine/random.ts';

const draw = (streams: RandomStreams, name: string, n: number): number[] =>
  Array.from({ length: n }, () => streams.stream(name).next());

describe('RandomStreams', () => {
  it('gives the same sequence for the same seed and name, in another instance too', () => {
    const a = draw(new RandomStreams(42), 'disk', 50);
    const b = draw(new RandomStreams(42), 'disk', 50);
    expect(a).toEqual(b);
    expect(new Set(a).size).toBe(50); // a real sequence, not a constant
    expect(a.every((x) => x >= 0 && x < 1)).toBe(true);
  });

  it('returns the same stream object for a name, so draws continue rather than restart', () => {
    const s = new RandomStreams(1);
    const first = s.stream('x').next();
    const second = s.stream('x').next();
    expect(second).not.toBe(first);
    expect([first, second]).toEqual(draw(new RandomStreams(1), 'x', 2));
  });

  it('gives different sequences for different names and for different seeds', () => {
    const s = new RandomStreams(42);
    const disk = draw(s, 'disk', 20);
    const net = draw(s, 'net', 20);
    expect(net).not.toEqual(disk);
    expect(net.filter((x, i) => x === disk[i]).length).toBe(0);
    expect(draw(new RandomStreams(43), 'disk', 20)).not.toEqual(disk);
  });

  it("adding a stream or drawing from another one never changes a stream's draws", () => {
    const alone = new RandomStreams(7);
    const expected = draw(alone, 'replica', 30);

    const busy = new RandomStreams(7);
    const got: number[] = [];
    for (let i = 0; i < 30; i++) {
      got.push(busy.stream('replica').next());
      busy.stream(`new-component-${i % 3}`).next(); // streams created and used in between
      busy.stream('network').exponential(5);
    }
    expect(got).toEqual(expected);
  });

  it('exponential and integer draw from the same stream deterministically and within range', () => {
    const a = new RandomStreams(9).stream('mix');
    const b = new RandomStreams(9).stream('mix');
    const xs = Array.from({ length: 200 }, () => [a.exponential(10), a.integer(3, 5)] as const);
    const ys = Array.from({ length: 200 }, () => [b.exponential(10), b.integer(3, 5)] as const);
    expect(xs).toEqual(ys);
    expect(xs.every(([e]) => e >= 0)).toBe(true);
    expect(new Set(xs.map(([, k]) => k))).toEqual(new Set([3, 4, 5]));
    const mean = xs.reduce((s, [e]) => s + e, 0) / xs.length;
    expect(mean).toBeGreaterThan(7);
    expect(mean).toBeLessThan(13);
  });
  it('exponential follows Exponential(mean): moments, the CDF at several points and the tail past the ziggurat (2e5 draws)', () => {
    const rng = new RandomStreams(3).stream('ziggurat');
    const n = 200_000;
    const xs = Float64Array.from({ length: n }, () => rng.exponential(2));
    const mean = xs.reduce((s, x) => s + x, 0) / n;
    const variance = xs.reduce((s, x) => s + (x - mean) ** 2, 0) / n;
    expect(mean).toBeCloseTo(2, 1); // sd of the mean: 2 / sqrt(n) = 0.0045
    expect(Math.abs(variance - 4)).toBeLessThan(0.1);
    xs.sort();
    // The empirical CDF against 1 - exp(-x / 2); its sd is at most 0.0011 here, 0.005 is over 4 sd.
    for (const x of [0.05, 0.5, 1, 2, 4, 8]) {
      let below = 0;
      while (below < n && xs[below]! <= x) below++;
      expect(Math.abs(below / n - (1 - Math.exp(-x / 2)))).toBeLessThan(0.005);
    }
    // Past the base layer (r = 7.697 for mean 1) draws come from the tail rule: P = exp(-7.697) = 4.5e-4.
    const tail = n - xs.findIndex((x) => x > 2 * 7.697117470131487);
    expect(tail).toBeGreaterThan(50);
    expect(tail).toBeLessThan(140);
    expect(xs[0]!).toBeGreaterThan(0);
  });
});

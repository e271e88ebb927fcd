import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Level } from '../../src/engine/fluid.ts';
import { NEVER, type Micros } from '../../src/engine/time.ts';

const t = (n: number): Micros => n as Micros;

/** The contract of timeToReach: an integer time >= from, not early, and the first such time. */
function expectFirstTimeAtOrAbove(level: Level, target: number, from: Micros): void {
  const at = level.timeToReach(target, from);
  expect(Number.isInteger(at)).toBe(true);
  expect(at).toBeGreaterThanOrEqual(from);
  expect(level.valueAt(at)).toBeGreaterThanOrEqual(target);
  if (at > from) expect(level.valueAt(t(at - 1))).toBeLessThan(target);
}

describe('Level', () => {
  it('computes values from the anchor at the current rate', () => {
    const l = new Level(t(1_000), 50);
    expect(l.valueAt(t(5_000))).toBe(50);
    l.setRate(t(1_000), 2);
    expect(l.rate).toBe(2);
    expect(l.valueAt(t(1_000))).toBe(50);
    expect(l.valueAt(t(1_500))).toBe(1_050);
  });

  it('re-anchors on setRate so the value is continuous, and the new rate applies only from then on', () => {
    const l = new Level(t(0), 0);
    l.setRate(t(0), 3);
    l.setRate(t(100), 0.5);
    expect(l.valueAt(t(100))).toBe(300);
    expect(l.valueAt(t(300))).toBe(400);
    l.setRate(t(300), 0);
    expect(l.valueAt(t(1_000_000))).toBe(400);
    l.setRate(t(1_000_000), -1);
    expect(l.valueAt(t(1_000_100))).toBe(300);
  });

  it('set() jumps to a value and keeps the rate', () => {
    const l = new Level(t(0), 0);
    l.setRate(t(0), 1);
    l.set(t(10), 1_000);
    expect(l.valueAt(t(10))).toBe(1_000);
    expect(l.valueAt(t(20))).toBe(1_010);
  });

  it('timeToReach: exact integer crossing, first time at or above, never early', () => {
    const l = new Level(t(0), 0);
    l.setRate(t(0), 0.25); // 1 unit every 4 us
    expect(l.timeToReach(10, t(0))).toBe(40); // exactly reached at 40
    expect(l.timeToReach(10.1, t(0))).toBe(41); // 40 gives 10 < 10.1: one more microsecond
    expect(l.timeToReach(5, t(30))).toBe(30); // already there: from
    expectFirstTimeAtOrAbove(l, 10, t(0));
    expectFirstTimeAtOrAbove(l, 10.1, t(0));
    const third = new Level(t(7), 1);
    third.setRate(t(7), 1 / 3);
    expect(third.timeToReach(2, t(7))).toBe(10);
    expectFirstTimeAtOrAbove(third, 2, t(7));
    expectFirstTimeAtOrAbove(third, 1_000_000, t(7));
    const tenth = new Level(t(0), 0);
    tenth.setRate(t(0), 0.1);
    for (const target of [0.3, 0.7, 1.1, 12.3, 99.9]) expectFirstTimeAtOrAbove(tenth, target, t(0));
  });

  it('timeToReach is NEVER when the rate cannot get there', () => {
    const l = new Level(t(0), 10);
    expect(l.timeToReach(11, t(5))).toBe(NEVER);
    l.setRate(t(5), -1);
    expect(l.timeToReach(11, t(5))).toBe(NEVER);
  });

  // Regression: Math.ceil(anchorTime + (target - anchorValue) / rate) alone can land one microsecond early
  // when the quotient rounds down to an integer, e.g. rate 0.018/us, target 790237512: ceil(target / rate)
  // = 43902084000 but 0.018 * 43902084000 = 790237511.9999999 < target.
  it('timeToReach is never early (regression: rate 0.018, target 790237512)', () => {
    const l = new Level(t(0), 0);
    l.setRate(t(0), 0.018);
    expectFirstTimeAtOrAbove(l, 790_237_512, t(0));
  });

  it('timeToReach is never early and never late (property, realistic magnitudes)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 1e10 }), // anchor time: up to ~3 h
        fc.integer({ min: 0, max: 1e9 }), // anchor value
        fc.integer({ min: 1, max: 2_000 }), // rate in thousandths of a unit per microsecond (0.001..2)
        fc.integer({ min: 1, max: 1e9 }), // how far the target is above the anchor value
        fc.integer({ min: 0, max: 1_000 }), // from, after the anchor
        (anchor, value, rateMilli, delta, fromOffset) => {
          const l = new Level(t(anchor), value);
          l.setRate(t(anchor), rateMilli / 1000);
          expectFirstTimeAtOrAbove(l, value + delta, t(anchor + fromOffset));
        },
      ),
      { numRuns: 3_000, seed: 20_240_601 },
    );
  });

  // Regression (issue 15, the hang no limit stopped): XIDs at 0.2/s are 2e-7 per microsecond on a counter near
  // 1e9, whose last place is about 1.2e-7: the old search stepped one microsecond at a time from an estimate
  // many microseconds off, and past 2^53 us a step no longer moved time at all.
  it('timeToReach jumps: a slow rate on a large value is found in O(log) reads, not one per microsecond', () => {
    const l = new Level(t(0), 1_000_000_000);
    l.setRate(t(0), 0.2 / 1e6);
    let reads = 0;
    const valueAt = l.valueAt.bind(l);
    l.valueAt = (at: Micros) => (reads++, valueAt(at));
    expectFirstTimeAtOrAbove(l, 1_000_000_000 + 100, t(0));
    expect(reads).toBeLessThan(200);
    reads = 0;
    // A rate far below one unit of the last place per microsecond (1e15 has a last place of 0.125).
    const slow = new Level(t(0), 1e15);
    slow.setRate(t(0), 1e-9);
    const sv = slow.valueAt.bind(slow);
    slow.valueAt = (at: Micros) => (reads++, sv(at));
    expectFirstTimeAtOrAbove(slow, 1e15 + 1, t(0));
    expect(reads).toBeLessThan(300);
  });

  it('timeToReach is NEVER when the crossing lies past 2^53 microseconds', () => {
    const l = new Level(t(0), 1_000_000_000);
    l.setRate(t(0), 0.2 / 1e6);
    // 2 billion XIDs at 0.2/s: 1e16 us, beyond exact integer time.
    expect(l.timeToReach(3_000_000_000, t(0))).toBe(NEVER);
    const near = new Level(t(Number.MAX_SAFE_INTEGER - 10), 0);
    near.setRate(t(Number.MAX_SAFE_INTEGER - 10), 1e-3);
    expect(near.timeToReach(1, t(Number.MAX_SAFE_INTEGER - 10))).toBe(NEVER);
  });
});

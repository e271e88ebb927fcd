import { describe, expect, it } from 'vitest';
import { ceilMicros, floorMicros } from '../../src/engine/time.ts';

describe('whole microseconds of a computed duration', () => {
  it('keeps an exact crossing on its microsecond whichever instant anchored the line', () => {
    // A window of 204,800 bytes filling at 0.2048 B/µs from a gap of 20.48 B reaches it at 999,900 µs,
    // computed from the anchor at 0 (999,899.9999999999) or from one later (a few units of the last place
    // either side): Math.ceil and Math.floor put them a microsecond apart.
    const rate = 0.2048;
    const fromStart = (204800 - 20.48) / rate;
    for (const later of [343887, 524109]) {
      const fromLater = (204800 - (20.48 + rate * later)) / rate;
      expect(later + ceilMicros(fromLater)).toBe(ceilMicros(fromStart));
      expect(later + floorMicros(fromLater)).toBe(floorMicros(fromStart));
    }
    expect(ceilMicros(fromStart)).toBe(999900);
    expect(floorMicros(fromStart)).toBe(999900);
    expect(Math.ceil((204800 - (20.48 + rate * 343887)) / rate) + 343887).toBe(999901);
    expect(Math.floor((204800 - (20.48 + rate * 524109)) / rate) + 524109).toBe(999899);
  });

  it('rounds a duration that is not near a whole microsecond as Math.ceil and Math.floor do', () => {
    for (const x of [0.2, 1.5, 999.4, 475790.999, 12.000002]) {
      expect(ceilMicros(x)).toBe(Math.ceil(x));
      expect(floorMicros(x)).toBe(Math.floor(x));
    }
  });
});

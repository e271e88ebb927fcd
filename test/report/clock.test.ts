import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import { Clock } from '../../src/report/time.ts';

describe('Clock', () => {
  it('formats as luxon does, across summer-time changes and odd offsets (the fast path caches offsets by quarter hour)', () => {
    let x = 12345;
    const next = () => (x = (x * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (const zone of ['UTC', 'UTC+09:00', 'UTC-03:30', 'Asia/Tokyo', 'Europe/London', 'America/New_York', 'Australia/Lord_Howe', 'Asia/Kathmandu']) {
      // Starts a day before a change of offset in spring and in autumn.
      for (const start of [Date.UTC(2017, 2, 25, 0, 0), Date.UTC(2023, 9, 28, 0, 0), Date.UTC(2024, 3, 6, 0, 0)]) {
        const c = new Clock(start, zone);
        const s0 = DateTime.fromMillis(start, { zone });
        for (let i = 0; i < 2000; i++) {
          const t = Math.floor(next() * 3 * 86_400e6) as never;
          const d = DateTime.fromMillis(start + t / 1000, { zone });
          expect(c.iso(t)).toBe(d.toISO({ suppressMilliseconds: true }));
          const time = d.millisecond ? d.toFormat('HH:mm:ss.SSS') : d.toFormat('HH:mm:ss');
          expect(c.short(t)).toBe(d.hasSame(s0, 'day') ? time : `${d.toFormat('yyyy-MM-dd')} ${time}`);
        }
      }
    }
  });
});

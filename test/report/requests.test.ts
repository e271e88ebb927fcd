import { describe, expect, it } from 'vitest';
import type { Micros } from '../../src/engine/time.ts';
import { History } from '../../src/history/history.ts';
import { requestsReport } from '../../src/report/requests.ts';
import { Clock } from '../../src/report/time.ts';

const key = { cluster: 'main', workload: 'clients' };
const us = (s: number) => (s * 1e6) as Micros;

describe('the requests report', () => {
  it('rates that lasted no time (between two recomputations of one instant) neither count nor split an interval', () => {
    const h = new History();
    h.requestRates(key, us(0), { offered: 100, succeeded: 100, waited: 0, failed: 0 });
    h.requestRates(key, us(10), { offered: 100, succeeded: 50, waited: 50, failed: 0 });
    // At 20 s the commits flow in full for no time, then are throttled again.
    h.requestRates(key, us(20), { offered: 100, succeeded: 100, waited: 0, failed: 0 });
    h.requestRates(key, us(20), { offered: 100, succeeded: 50, waited: 50, failed: 0 });
    const [r] = requestsReport(h, new Clock(Date.UTC(2024, 0, 1), 'UTC'), us(40));
    expect(r!.intervals).toEqual([{ from: '2024-01-01T00:00:10Z', to: '2024-01-01T00:00:40Z', offered: 3000, succeeded: 1500, waited: 1500, failed: 0 }]);
    expect(r!.offered).toBe(4000);
  });
});

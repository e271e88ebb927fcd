/**
 * drbd.conf counts timeout, ping-timeout, c-plan-ahead and c-delay-target in tenths of a second, c-fill-target
 * and congestion-fill in sectors, resync-rate, c-min-rate and c-max-rate in KiB/s (drbd-utils
 * documentation/v9/drbdsetup-options.xml). A bare number copied from it is refused with a hint in that unit
 * (probe-drbd3): before, `timeout: 60` suggested "60s" (ten times DRBD's 6 s: a cut link's stall ten times
 * longer), `c-fill-target: 100` "100B" (DRBD's 50 KiB), `c-max-rate: 102400` "102400Mbps".
 */
import { describe, expect, it } from 'vitest';
import { loadScenarioText } from '../../../src/scenario/load.ts';
import { drbdScenario } from './fixture.ts';

const load = (netExtra?: string, diskExtra?: string) => () => loadScenarioText(drbdScenario({ ...(netExtra ? { netExtra } : {}), ...(diskExtra ? { diskExtra } : {}) }), 'fixture.yaml');
const hintOf = (f: () => unknown): string => {
  try {
    f();
  } catch (e) {
    return String((e as { hint?: string }).hint);
  }
  return 'no error';
};

describe('DRBD durations in tenths of a second', () => {
  it('a bare number is hinted in drbd.conf\'s unit', () => {
    expect(hintOf(load('timeout: 60'))).toMatch(/did you mean "6s"\? \(drbd.conf counts it in tenths of a second: 60 is 6s\)/);
    expect(hintOf(load('ping-timeout: 5'))).toMatch(/did you mean "0.5s"\?/);
    expect(hintOf(load(undefined, 'c-delay-target: 10'))).toMatch(/did you mean "1s"\?/);
    // Sectors of 512 bytes, and KiB/s.
    expect(hintOf(load(undefined, 'c-fill-target: 100'))).toMatch(/did you mean "50KiB"\?/);
    expect(hintOf(load('congestion-fill: 2048'))).toMatch(/did you mean "1MiB"\?/);
    expect(hintOf(load(undefined, 'c-max-rate: 102400'))).toMatch(/did you mean "100MiB\/s"\?/);
    // connect-int is in seconds in drbd.conf: the usual hint.
    expect(hintOf(load('connect-int: 10'))).toMatch(/did you mean "10s"\?$/);
  });

  it('a duration with a unit, or 0, is read as before', () => {
    expect(() => load('timeout: 6s')()).not.toThrow();
    expect(() => load(undefined, 'c-delay-target: 0')()).not.toThrow();
  });
});

/**
 * drbd.conf counts timeout, ping-timeout, c-plan-ahead and c-delay-target in tenths of a second
 * (drbd-utils documentation/v9/drbdsetup-options.xml). A bare number copied from it is refused with a hint in
 * that unit (probe-drbd3): before, `timeout: 60` suggested "60s", ten times DRBD's 6 s, which a user following
 * it would have made the cut link's stall ten times longer.
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
    expect(hintOf(load('timeout: 60'))).toMatch(/did you mean "6s"\? \(drbd.conf counts timeout in tenths of a second/);
    expect(hintOf(load('ping-timeout: 5'))).toMatch(/did you mean "0.5s"\?/);
    expect(hintOf(load(undefined, 'c-delay-target: 10'))).toMatch(/did you mean "1s"\?/);
    // connect-int is in seconds in drbd.conf: the usual hint.
    expect(hintOf(load('connect-int: 10'))).toMatch(/did you mean "10s"\?$/);
  });

  it('a duration with a unit, or 0, is read as before', () => {
    expect(() => load('timeout: 6s')()).not.toThrow();
    expect(() => load(undefined, 'c-delay-target: 0')()).not.toThrow();
  });
});

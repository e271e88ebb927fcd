import { describe, expect, it } from 'vitest';
import type { Micros } from '../../src/engine/time.ts';
import type { RequestRecord } from '../../src/history/history.ts';
import { applyRetries, retryDelays } from '../../src/models/postgres/client-retries.ts';
import { runScenario } from '../../src/run.ts';
import { loadScenarioText } from '../../src/scenario/load.ts';
import { patroniFailoverYaml } from '../support/patroni-failover.ts';

const s = (x: number) => (x * 1e6) as Micros;
const rates = (at: number, offered: number, failed: number): RequestRecord => ({ cluster: 'c', workload: 'w', at: s(at), kind: 'rates', offered, succeeded: offered - failed, waited: 0, failed });

describe('client retries (models/postgres/client-retries.ts)', () => {
  it('exponential backoff, capped by max_backoff', () => {
    expect(retryDelays({ count: 5, backoff: s(1), multiplier: 2, maxBackoff: s(5) }).map((d) => d / 1e6)).toEqual([1, 3, 7, 12, 17]);
  });

  it('a failed request succeeds on the first retry that falls after the outage; it fails when every retry falls inside it', () => {
    // 100/s, all failing from 10 s to 30 s.
    const list = [rates(0, 100, 0), rates(10, 100, 100), rates(30, 100, 0)];
    const spec = { count: 3, backoff: s(2), multiplier: 2, maxBackoff: s(60) }; // retries at +2, +6, +14 s
    const out = applyRetries(list, spec, 5e6, s(60));
    const sum = (k: 'succeeded' | 'waited' | 'failed') => {
      let total = 0;
      const r = out.filter((x): x is Extract<RequestRecord, { kind: 'rates' }> => x.kind === 'rates');
      for (let i = 0; i < r.length; i++) total += r[i]![k] * ((i + 1 < r.length ? r[i + 1]!.at : s(60)) - r[i]!.at) / 1e6;
      return Math.round(total);
    };
    // Offered in [10, 16): the last retry (+14) lands before 30: failed. [16, 24): +14 lands after 30 (waited,
    // 14 s > 5 s); [24, 28): +6 after 30 (waited); [28, 30): +2 after 30 (succeeded within the threshold).
    expect(sum('failed')).toBe(600);
    expect(sum('waited')).toBe(1200);
    expect(sum('succeeded')).toBe(6000 - 1800);
  });

  it('in a scenario: retries that outlast a Patroni failover turn its failed requests into waits; fewer retries leave some failed (expect: requests)', () => {
    const yaml = (retries: string) =>
      `${patroniFailoverYaml({ end: '10:20', cut: '10:12', workload: retries })}expect:
  - requests: {workload: clients, failed: {at_most: 0.0001}}
`;
    const none = runScenario(loadScenarioText(yaml(''), 'r.yaml')).report;
    const few = runScenario(loadScenarioText(yaml(', retries: {count: 2, backoff: 1s}'), 'r.yaml')).report;
    const many = runScenario(loadScenarioText(yaml(', retries: {count: 5, backoff: 1s}'), 'r.yaml')).report;
    const [n, f, m] = [none, few, many].map((r) => r.requests[0]!);
    expect(n!.failed).toBeGreaterThan(1000);
    expect(f!.failed).toBeGreaterThan(0);
    expect(f!.failed).toBeLessThan(n!.failed);
    // Every request got through: those offered in the outage's last second on the first retry (1 s, within
    // the 5 s stall threshold), the others after waiting past it.
    expect(m).toMatchObject({ failed: 0, offered: n!.offered });
    expect(m!.succeeded + m!.waited).toBe(n!.offered);
    expect(m!.waited).toBeGreaterThan(0.9 * n!.failed);
    expect(none.expectations[0]!.passed).toBe(false);
    expect(many.expectations[0]!.passed).toBe(true);
  });
});

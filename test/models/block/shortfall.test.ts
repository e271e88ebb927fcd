/**
 * A throughput shortfall that is no stall: protocol C over a long round trip completes each write after the
 * round trip, so the application's queue depth caps its rate at depth / latency (Little's law). Each write
 * waits less than the stall threshold, yet the application gets far less than it offers: the report says so
 * (Report.shortfalls, the Writes headline), with the back-pressure path.
 */
import { describe, expect, it } from 'vitest';
import { runScenario } from '../../../src/run.ts';
import { loadScenarioText } from '../../../src/scenario/load.ts';
import { renderText } from '../../../src/report/text.ts';
import { drbdScenario, type DrbdFixture } from './fixture.ts';

const run = (o: DrbdFixture) => runScenario(loadScenarioText(drbdScenario(o), 'fixture.yaml')).report;

describe('throughput shortfall without a stall', () => {
  it('protocol C over a 60 ms round trip with queue depth 4: no stall, about 60 of 123 writes/s, reported', () => {
    const r = run({ protocol: 'C', latency: '30ms', queueDepth: 4, duration: '5m' });
    expect(r.stalls).toEqual([]);
    expect(r.shortfalls?.length).toBe(1);
    const s = r.shortfalls![0]!;
    // 410 I/O/s, 30% writes: 123 offered. Each write waits the 60 ms round trip plus its local and peer writes.
    expect(s.offered).toBeCloseTo(123, 0);
    expect(s.achieved).toBeGreaterThan(40);
    expect(s.achieved).toBeLessThan(4 / 0.06);
    expect(s.latencyMs).toBeGreaterThan(60);
    expect(s.latencyMs).toBeLessThan(100);
    expect(s.seconds).toBeCloseTo(300, 0);
    expect(s.chain.map((c) => c.text).join(' ')).toMatch(/queue depth of 4 writes/);
    // The wait is mostly the round trip: the chain says so.
    expect(s.bottleneck).toBe('peer-latency');
    expect(s.chain.map((c) => c.text).join(' ')).toMatch(/60 ms round trip included/);
    expect(renderText(r)).toMatch(/throughput short of the offer/);
  });

  it('the same line with queue depth 16 keeps up: no shortfall', () => {
    const r = run({ protocol: 'C', latency: '30ms', queueDepth: 16, duration: '5m' });
    expect(r.stalls).toEqual([]);
    expect(r.shortfalls ?? []).toEqual([]);
  });
});

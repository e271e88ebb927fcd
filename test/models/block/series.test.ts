/**
 * Block time series stay bounded on long runs (issue 5: memory stays bounded, long time series are
 * downsampled): a series keeps at most its cap of points, its extremes and its ends survive, and the report
 * is the same run to run.
 */
import { describe, expect, it } from 'vitest';
import { BlockHistory, MAX_SERIES_POINTS } from '../../../src/history/block.ts';
import type { Micros } from '../../../src/engine/time.ts';
import { runScenario, SELF_CHECK_ENV } from '../../../src/run.ts';
import { loadScenarioText } from '../../../src/scenario/load.ts';
import { drbdScenario } from './fixture.ts';

describe('block time series are downsampled', () => {
  it('a series keeps at most its cap, with its first and last points, its maximum and its minimum', () => {
    const h = new BlockHistory(() => {}, 1000);
    let max = -Infinity;
    let min = Infinity;
    let x = 12345;
    let longest = 0;
    for (let i = 0; i < 1_000_000; i++) {
      x = (x * 1103515245 + 12345) % 2147483648;
      const v = i === 777_777 ? 5e9 : i === 333_333 ? -5e9 : x;
      max = Math.max(max, v);
      min = Math.min(min, v);
      h.sample('s', i as Micros, v);
      longest = Math.max(longest, h.series.get('s')!.length);
    }
    expect(longest).toBeLessThan(1000);
    const s = h.series.get('s')!;
    expect(s[0]!.at).toBe(0);
    expect(s.at(-1)!.at).toBe(999_999);
    expect(Math.max(...s.map((p) => p.value))).toBe(max);
    expect(Math.min(...s.map((p) => p.value))).toBe(min);
    for (let i = 1; i < s.length; i++) expect(s[i]!.at).toBeGreaterThan(s[i - 1]!.at);
  });

  it('a long run keeps at most the cap per series and its report is byte-identical run to run', () => {
    // 57 hours of load changing every 20 s: 10,200 rate changes, so every series is downsampled.
    const steps = Array.from({ length: 10_200 }, (_, i) => `{ at: +${(i + 1) * 20}s, io_workload: { workload: app, iops: ${i % 2 ? 410 : 200 + (i % 7) * 10}/s } }`);
    const text = drbdScenario({ duration: '57h', extraPlan: steps });
    const scenario = loadScenarioText(text, 'long.yaml');
    // The two runs are compared here, report against report (the suite's self-check compares fingerprints only).
    const selfCheck = process.env[SELF_CHECK_ENV];
    delete process.env[SELF_CHECK_ENV];
    const run = () => runScenario(scenario);
    let a: ReturnType<typeof run>;
    let b: ReturnType<typeof run>;
    try {
      a = run();
      b = run();
    } finally {
      if (selfCheck !== undefined) process.env[SELF_CHECK_ENV] = selfCheck;
    }
    const series = a.report.series!;
    expect(series.length).toBeGreaterThan(0);
    for (const s of series) expect(s.points.length).toBeLessThan(MAX_SERIES_POINTS);
    const latency = series.find((s) => s.name === 'app write latency (s)')!;
    expect(latency.points.length).toBeGreaterThan(MAX_SERIES_POINTS / 4);
    expect(JSON.stringify(b.report)).toBe(JSON.stringify(a.report));
  }, 60_000);
});

describe('block series step at their jumps', () => {
  it('a point a microsecond before a jump carries the old segment to it: a level at its rate, a held rate at its value', () => {
    const h = new BlockHistory(() => {});
    // A buffer filling at 1,000 bytes/s from 0 at t = 0, emptied at once at t = 10 s.
    h.sampleMoving('level', 0 as Micros, 0, 1000);
    h.sampleMoving('level', 10_000_000 as Micros, 0, 0);
    expect(h.series.get('level')).toEqual([{ at: 0, value: 0 }, { at: 9_999_999, value: 10_000 }, { at: 10_000_000, value: 0 }]);
    // A rate held at 5 that becomes 2: a step, not a ramp.
    h.sampleMoving('rate', 0 as Micros, 5);
    h.sampleMoving('rate', 3_000_000 as Micros, 2);
    expect(h.series.get('rate')).toEqual([{ at: 0, value: 5 }, { at: 2_999_999, value: 5 }, { at: 3_000_000, value: 2 }]);
    // Where the segment leads, no extra point.
    h.sampleMoving('steady', 0 as Micros, 0, 1000);
    h.sampleMoving('steady', 4_000_000 as Micros, 4000, 0);
    expect(h.series.get('steady')).toHaveLength(2);
  });

  it('a disconnect: the line rate steps at the instant; a first connect: the out-of-sync bytes step to the whole device', () => {
    const r = runScenario(loadScenarioText(drbdScenario({ protocol: 'A', duration: '5m', extraPlan: ['{ at: +2m, disconnect: r0 }'] }), 'fixture.yaml'));
    const series = r.world.block!.ctx.history.block.series;
    const around = (name: string, at: number) => series.get(name)!.filter((p) => p.at >= at - 1 && p.at <= at);
    const line = around('r0 line (bytes/s)', 120e6);
    expect(line.map((p) => p.at)).toEqual([120e6 - 1, 120e6]);
    // 123 writes/s of 16 KiB on the line until the disconnect, nothing after.
    expect(line[0]!.value).toBeGreaterThan(1.9e6);
    expect(line[1]!.value).toBe(0);
    // No point of any series goes back in time.
    for (const s of series.values()) for (let i = 1; i < s.length; i++) expect(s[i]!.at).toBeGreaterThan(s[i - 1]!.at);
    // connected: false, connect at +1m: a minute of writes marked (123/s of 16 KiB), then the initial full
    // sync sets every bit at once.
    const fresh = runScenario(loadScenarioText(drbdScenario({ connected: false, duration: '3m' }), 'fixture.yaml'));
    const oos = fresh.world.block!.ctx.history.block.series.get('r0 out of sync (bytes)')!.filter((p) => p.at >= 60e6 - 1 && p.at <= 60e6);
    expect(oos.map((p) => p.at)).toEqual([60e6 - 1, 60e6]);
    expect(oos[0]!.value).toBeGreaterThan(1.1e8);
    expect(oos[0]!.value).toBeLessThan(1.3e8);
    expect(oos[1]!.value).toBe(2 * 2 ** 40);
  });
});

describe('block series at the run end', () => {
  it('every block series has a point at the end of the run (a level still moving ends where it is)', () => {
    const r = runScenario(loadScenarioText(drbdScenario({ protocol: 'A', duration: '5m', backup: '80%' }), 'fixture.yaml'));
    const series = r.world.block!.ctx.history.block.series;
    expect(series.size).toBeGreaterThan(5);
    for (const [name, s] of series) expect([name, s.at(-1)!.at]).toEqual([name, 300e6]);
  });
});

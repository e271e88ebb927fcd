/**
 * Issue 12: disk faults (a disk slows, a latency spike, a disk fails) and the series they show in: write
 * latency p50 and p99 beside the mean, each disk's utilisation, recorded in the history and charted.
 */
import { describe, expect, it } from 'vitest';
import { renderChartSvg } from '../../../src/report/chart.ts';
import type { Report } from '../../../src/report/types.ts';
import { runScenario } from '../../../src/run.ts';
import { loadScenarioText } from '../../../src/scenario/load.ts';
import { drbdScenario, type DrbdFixture } from './fixture.ts';

const runFull = (o: DrbdFixture) => runScenario(loadScenarioText(drbdScenario({ duration: '10m', ...o }), 'fixture.yaml'));
const run = (o: DrbdFixture) => runFull(o).report;
const series = (r: Report, name: string) => {
  const s = r.series!.find((x) => x.name === name);
  if (!s) throw new Error(`no series ${name}: ${r.series!.map((x) => x.name).join(', ')}`);
  return s.points.map(([t, v]) => ({ t: (Date.parse(t) - Date.parse(r.start)) / 1000, v }));
};
/** The value a step series holds at t seconds. */
const at = (xs: { t: number; v: number }[], t: number) => [...xs].reverse().find((p) => p.t <= t)!.v;
const max = (xs: { t: number; v: number }[], from: number, to: number) => Math.max(...xs.filter((p) => p.t >= from && p.t <= to).map((p) => p.v));

describe('disk degradation faults', () => {
  it('a peer disk four times slower under protocol C: the write latency, its p50 and p99 and the disk utilisation rise, and fall back when it heals', () => {
    const r = run({ protocol: 'C', iops: 300, extraPlan: ['{ at: +3m, slow_disk: { disk: peer-disk, factor: 4 } }', '{ at: +6m, slow_disk: { disk: peer-disk, factor: 1 } }'] });
    const util = series(r, 'peer-disk utilisation (share)');
    const mean = series(r, 'app write latency (s)');
    const p50 = series(r, 'app write latency p50 (s)');
    const p99 = series(r, 'app write latency p99 (s)');
    expect(at(util, 170)).toBeGreaterThan(0);
    expect(at(util, 250)).toBeGreaterThan(at(util, 170) * 3);
    expect(at(util, 500)).toBeCloseTo(at(util, 170), 3);
    for (const s of [mean, p50, p99]) {
      expect(at(s, 250)).toBeGreaterThan(at(s, 170) * 1.5);
      expect(at(s, 500)).toBeCloseTo(at(s, 170), 4);
    }
  });

  it('p50 ≤ mean ≤ p99 at every instant writes complete, and p99 is well above p50 on a busy disk', () => {
    const r = run({ protocol: 'A', iops: 400 });
    const mean = series(r, 'app write latency (s)');
    const p50 = series(r, 'app write latency p50 (s)');
    const p99 = series(r, 'app write latency p99 (s)');
    for (const p of mean) {
      expect(at(p50, p.t)).toBeLessThanOrEqual(p.v + 1e-6);
      expect(at(p99, p.t)).toBeGreaterThanOrEqual(p.v - 1e-6);
    }
    expect(at(p99, 300)).toBeGreaterThan(at(p50, 300) * 2);
  });

  it('a latency spike (factor 20 for 30 s on the local disk) shows in p99 during the spike only', () => {
    const r = run({ protocol: 'A', iops: 200, extraPlan: ['{ at: +4m, slow_disk: { disk: local-disk, factor: 20, for: 30s } }'] });
    const p99 = series(r, 'app write latency p99 (s)');
    const before = at(p99, 230);
    // The open reads overload the disk: the writes behind them complete none until the spike ends, so the
    // oldest waits the whole 30 s (the peak is drawn just before the drop), and a stall is reported.
    expect(max(p99, 240, 269.9999)).toBeGreaterThan(29);
    expect(r.stalls.filter((x) => x.bottleneck === 'local-disk')).toHaveLength(1);
    expect(at(p99, 400)).toBeCloseTo(before, 4);
    expect(r.events.some((e) => /latency spike ends/.test(e.message))).toBe(true);
  });

  it('the peer disk fails: replication stops (writes only mark the bitmap), and losing the primary then is data loss', () => {
    const healthy = run({ protocol: 'C', extraPlan: ['{ at: +5m, fail_host: p }'] });
    expect(healthy.verdicts.filter((v) => v.kind === 'data-loss')).toEqual([]);
    const r = run({ protocol: 'C', extraPlan: ['{ at: +2m, fail_disk: peer-disk }', '{ at: +5m, fail_host: p }'] });
    const oos = series(r, 'r0 out of sync (bytes)');
    expect(at(oos, 119)).toBe(0);
    // Writes since 2 min only marked: 123 writes/s of 16 KiB for three minutes, until p is lost.
    expect(oos.at(-1)!.v).toBeGreaterThan(410 * 0.3 * 16384 * 180 * 0.9);
    const v = r.verdicts.filter((x) => x.kind === 'data-loss');
    expect(v).toHaveLength(1);
    expect(v[0]!.cause.map((c) => c.text).join(' ')).toMatch(/s: Failed/);
  });

  it('the primary disk fails: it goes on Diskless through its connected peer, which keeps every write, so no data is lost', () => {
    const r = run({ protocol: 'C', extraPlan: ['{ at: +5m, fail_disk: local-disk }'] });
    expect(r.verdicts.filter((v) => v.kind === 'data-loss')).toEqual([]);
    expect(r.dataLoss).toEqual([]);
    expect(r.events.some((e) => /detaching \(on-io-error detach\)/.test(e.message))).toBe(true);
  });

  it('the chart draws the percentiles in the latency panel and a disk utilisation panel', () => {
    const world = runFull({ protocol: 'A', extraPlan: ['{ at: +4m, slow_disk: { disk: local-disk, factor: 5, for: 1m } }'] });
    const svg = renderChartSvg(world);
    expect(svg).toContain('disk utilisation');
    expect(svg).toContain('data-name="app p99"');
    expect(svg).toContain('data-name="app p50"');
    expect(svg).toContain('data-name="local-disk"');
  });
});

/**
 * Issue 12, point 2: bounded concurrency. The application keeps at most queue_depth writes outstanding (a
 * closed population), so by Little's law outstanding = throughput × latency ≤ queue_depth: under protocol C
 * latency never exceeds queue_depth / throughput plus one round trip; twice the depth doubles the latency
 * under saturation and leaves the throughput alone; below saturation the writes outstanding stay within the
 * depth too (the local disk's queue never holds more than the application can have in flight).
 */
import { describe, expect, it } from 'vitest';
import type { Report } from '../../../src/report/types.ts';
import { runScenario } from '../../../src/run.ts';
import { loadScenarioText } from '../../../src/scenario/load.ts';
import { drbdScenario, type DrbdFixture } from './fixture.ts';

const run = (o: DrbdFixture) => runScenario(loadScenarioText(drbdScenario(o), 'fixture.yaml')).report;
const points = (r: Report, name: string) => r.series!.find((s) => s.name === name)!.points.map(([t, v]) => ({ t: Date.parse(t), v }));

/** Latency and throughput (writes/s) paired at every instant either changed, from the first minute on. */
function samples(r: Report): { latency: number; rate: number }[] {
  const lat = points(r, 'app write latency (s)');
  const thr = points(r, 'app writes completed (/s)');
  const at = (xs: { t: number; v: number }[], t: number) => [...xs].reverse().find((p) => p.t <= t)?.v ?? NaN;
  const start = Date.parse(r.start) + 60_000;
  const times = [...new Set([...lat, ...thr].map((p) => p.t))].filter((t) => t >= start).sort((a, b) => a - b);
  return times.map((t) => ({ latency: at(lat, t), rate: at(thr, t) }));
}

/** The state the run settles in: its last sample. */
const settled = (r: Report) => samples(r).at(-1)!;

// Sequential writes only (cheap for the local disk): 1000/s of 16 KiB, 16.4 MB/s.
const sequential: DrbdFixture = { protocol: 'C', iops: 1000, reads: '0%', random: '0%', duration: '5m' };
const RTT = 0.002;

describe('the application keeps at most queue_depth writes outstanding (Little\'s law)', () => {
  it('protocol C over a line slower than the offer: latency = queue_depth / throughput (plus a round trip at most)', () => {
    const r = run({ ...sequential, bandwidth: '100Mbps' });
    for (const s of samples(r)) {
      expect(s.rate).toBeGreaterThan(0);
      expect(s.latency).toBeLessThanOrEqual(32 / s.rate + RTT + 1e-6);
    }
    const end = settled(r);
    // The line carries 0.97 × 12.5 MB/s: that many 16 KiB writes complete, 32 of them always outstanding.
    expect(end.rate * 16384).toBeGreaterThan(0.95 * 0.97 * 12.5e6);
    expect(end.rate * end.latency).toBeGreaterThan(31);
    expect(end.rate * end.latency).toBeLessThanOrEqual(32 + end.rate * RTT);
  });

  it('twice the queue depth doubles the latency under saturation and does not change the throughput (line bound)', () => {
    const a = settled(run({ ...sequential, bandwidth: '100Mbps', queueDepth: 32 }));
    const b = settled(run({ ...sequential, bandwidth: '100Mbps', queueDepth: 64 }));
    expect(Math.abs(b.rate - a.rate) / a.rate).toBeLessThan(0.01);
    expect(b.latency / a.latency).toBeGreaterThan(1.9);
    expect(b.latency / a.latency).toBeLessThan(2.1);
  });

  it('the same with a busy peer disk as the bottleneck: the disk serves what it can, the depth sets the wait', () => {
    const busy: DrbdFixture = { protocol: 'C', peerMembers: 4, backup: '80%', duration: '10m' };
    const a = run({ ...busy, queueDepth: 32 });
    const b = run({ ...busy, queueDepth: 64 });
    for (const s of samples(a)) expect(s.latency).toBeLessThanOrEqual(32 / s.rate + RTT + 1e-6);
    for (const s of samples(b)) expect(s.latency).toBeLessThanOrEqual(64 / s.rate + RTT + 1e-6);
    const x = settled(a);
    const y = settled(b);
    // The peer's disk is all but saturated either way: a few per cent more throughput for twice the wait.
    expect(y.rate / x.rate).toBeGreaterThan(0.97);
    expect(y.rate / x.rate).toBeLessThan(1.1);
    expect(y.latency / x.latency).toBeGreaterThan(1.8);
    expect(y.latency / x.latency).toBeLessThan(2.1);
    expect(a.stalls.length).toBe(1);
    expect(a.stalls[0]!.maxLatencyMs).toBeLessThanOrEqual(Math.ceil((32 / x.rate + RTT) * 1000) + 1);
  });

  it('below saturation, writes outstanding (throughput × latency) stay within the depth, on a busy local disk too', () => {
    // 450/s, 90% random on the primary's array: its utilisation approaches 1.
    const heavy = settled(run({ protocol: 'A', iops: 450, queueDepth: 13, duration: '2m' }));
    expect(heavy.rate * heavy.latency).toBeLessThanOrEqual(13 + 1e-6);
    // The depth, not the offer, now limits the writes: fewer complete than the 135/s offered.
    expect(heavy.rate).toBeLessThan(450 * 0.3);
    const light = settled(run({ protocol: 'A', iops: 300, queueDepth: 13, duration: '2m' }));
    expect(light.rate).toBeCloseTo(300 * 0.3, 1);
    expect(light.rate * light.latency).toBeLessThan(13);
  });

  it('protocol A and md with a full send path: latency = queue_depth / throughput', () => {
    for (const lines of [[], ['md: { write-behind: 256 }']]) {
      const text = drbdScenario({ protocol: 'A', peerMembers: 4, backup: '80%', duration: '10m' });
      const r = runScenario(loadScenarioText(lines.length ? text.replace(/drbd:\n(.*\n){3}/, `${lines[0]}\n`) : text, 'fixture.yaml')).report;
      const end = settled(r);
      expect(end.latency * end.rate).toBeGreaterThan(31.5);
      expect(end.latency * end.rate).toBeLessThanOrEqual(32 + 1e-6);
    }
  });
});

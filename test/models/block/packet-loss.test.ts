/**
 * Packet loss on the replication link bounds DRBD's TCP flow (RFC 5348 §3.1 throughput equation, Linux's
 * 200 ms minimum RTO): a `packet_loss` fault between the sites slows replication, and protocol C writes
 * then wait on the line. Before, DRBD ignored packet loss: a 1% lossy link reported no stall at all.
 */
import { describe, expect, it } from 'vitest';
import { lossLimitedRate, tcpCapacity } from '../../../src/models/tcp/connection.ts';
import { runScenario } from '../../../src/run.ts';
import { loadScenarioText } from '../../../src/scenario/load.ts';
import { drbdScenario } from './fixture.ts';

describe('TCP under packet loss', () => {
  it('follows the RFC 5348 equation with t_RTO = max(4 RTT, 200 ms)', () => {
    // p = 1%, RTT 10 ms: 1448 / (0.01·√(0.02/3) + 0.2·3·√(0.03/8)·0.01·1.0032) = 1.22 MB/s.
    expect(lossLimitedRate(0.01, 0.01) / 1e6).toBeCloseTo(1.222, 2);
    expect(lossLimitedRate(0, 0.01)).toBe(Infinity);
    const c = tcpCapacity({ bandwidth: 125e6, latency: 5000, sndbuf: 8 << 20, rcvbuf: 6 << 20, loss: 0.01 });
    expect(c.bound).toBe('packet-loss');
    expect(c.rate / 1e6).toBeCloseTo(1.222, 2);
  });

  it('a 1% lossy link stalls protocol C writes for as long as the loss lasts, bounded by the line', () => {
    // 410/s × 30% writes × 16 KiB = 2.0 MB/s offered; the lossy line carries 1.22 MB/s: each of the 32
    // outstanding writes waits 32 × 16 KiB / 1.22 MB/s ≈ 430 ms.
    const text = drbdScenario({
      protocol: 'C', queueDepth: 32, duration: '10m', latency: '5ms',
      extraPlan: ['{ at: +2m, packet_loss: { sites: [a, b], loss: "1%" } }', '{ at: +5m, packet_loss: { sites: [a, b], loss: "0%" } }'],
    });
    const r = runScenario(loadScenarioText(text, 'fixture.yaml')).report;
    expect(r.stalls.length).toBe(1);
    const s = r.stalls[0]!;
    expect(s.bottleneck).toBe('line');
    expect((Date.parse(s.to) - Date.parse(s.from)) / 1000).toBeGreaterThan(175);
    expect((Date.parse(s.to) - Date.parse(s.from)) / 1000).toBeLessThan(181);
    expect(s.chain!.map((c) => c.text).join(' ')).toMatch(/1% of packets lost/);
  });

  it('protocol C on a line slower than its writes names the line, not the idle peer disk', () => {
    // 2.0 MB/s of writes on a 10 Mbps line (1.21 MB/s): the peer's disk is nearly idle.
    const text = drbdScenario({ protocol: 'C', queueDepth: 32, duration: '5m', bandwidth: '10Mbps' });
    const r = runScenario(loadScenarioText(text, 'fixture.yaml')).report;
    expect(r.stalls.length).toBe(1);
    expect(r.stalls[0]!.bottleneck).toBe('line');
    expect(r.stalls[0]!.chain!.map((c) => c.text).join(' ')).toMatch(/line carries at most 1.21 MB\/s.*less than the 2.02 MB\/s offered/);
  });
});

/**
 * A link cut under a connected protocol A resource (probe-drbd): until DRBD notices (timeout 6 s with
 * requests in flight) it is still connected and replicating. Its sender is blocked on a socket TCP cannot
 * empty: no waiting write completes, nothing is marked out of sync yet (drbd_req.c: bits are set for the
 * transfer log only when the connection is lost, tl_clear). The bytes in flight at the cut stay in the socket
 * for retransmission, and those still on the wire never reach the peer: a primary lost with its link (a site
 * lost) loses them with its send buffer.
 */
import { describe, expect, it } from 'vitest';
import type { Report } from '../../../src/report/types.ts';
import { runScenario } from '../../../src/run.ts';
import { loadScenarioText } from '../../../src/scenario/load.ts';
import { drbdScenario, type DrbdFixture } from './fixture.ts';

const run = (o: DrbdFixture) => runScenario(loadScenarioText(drbdScenario({ duration: '6m', ...o }), 'fixture.yaml')).report;
const secs = (r: Report, iso: string) => (Date.parse(iso) - Date.parse(r.start)) / 1000;
const series = (r: Report, name: string) => r.series!.find((x) => x.name === name)!.points.map(([t, v]) => [secs(r, t), v] as const);

describe('a cut link DRBD has not noticed yet', () => {
  // 410/s, 30% writes of 16 KiB (2 MB/s) over a 10 Mbps line (1.2 MB/s): the 8 MiB send buffer is full
  // long before the cut at 2 min; DRBD notices at 2:06.
  const r = run({ protocol: 'A', bandwidth: '10Mbps', latency: '20ms', extraPlan: ['{ at: +2m, partition: { sites: [a, b] } }'] });

  it('marks nothing out of sync before it notices, and then the whole send buffer', () => {
    const oos = series(r, 'r0 out of sync (bytes)');
    expect(Math.max(...oos.filter(([t]) => t < 126).map(([, v]) => v))).toBe(0);
    // At 2:06 the send buffer's 8 MiB (unsent and unacknowledged) are marked, then the writes since.
    const at = oos.filter(([t]) => t === 126).map(([, v]) => v);
    expect(Math.max(...at)).toBeGreaterThan(8 * 2 ** 20 * 0.97);
    expect(Math.max(...at)).toBeLessThan(8 * 2 ** 20 + 33 * 16384);
  });

  it('completes no write while its sender is blocked: a primary lost before DRBD notices loses its send buffer, not 5 s of writes', () => {
    const lost = run({ protocol: 'A', bandwidth: '10Mbps', latency: '20ms', extraPlan: ['{ at: +2m, partition: { sites: [a, b] } }', '{ at: +2m5s, fail_host: p }', '{ at: +3m, force_primary: { resource: r0, host: s } }'] });
    expect(lost.dataLoss).toHaveLength(1);
    // The 8 MiB socket (unsent, and in flight at the cut), not the 5 s × 123 writes/s the application waited with.
    expect(lost.dataLoss[0]!.walBytes).toBeGreaterThan(8 * 2 ** 20 * 0.97);
    expect(lost.dataLoss[0]!.walBytes).toBeLessThan(8 * 2 ** 20 + 33 * 16384);
    // The oldest of them was acknowledged some 7 s before the cut (8 MiB ahead of it at 1.2 MB/s).
    expect(Date.parse(lost.dataLoss[0]!.from) - Date.parse(lost.start)).toBeLessThan(115_000);
  });
});

describe('the loss after a disconnect (protocol A)', () => {
  it('begins with the oldest write of the send buffer it marked, not at the disconnect', () => {
    const r = run({ protocol: 'A', bandwidth: '10Mbps', latency: '20ms', extraPlan: ['{ at: +2m, partition: { sites: [a, b] } }', '{ at: +2m30s, fail_host: p }', '{ at: +3m, force_primary: { resource: r0, host: s } }'] });
    expect(r.dataLoss).toHaveLength(1);
    // 8 MiB ahead of the cut at 1.2 MB/s: acknowledged about 6.9 s before it (2:00), marked at 2:06.
    const from = (Date.parse(r.dataLoss[0]!.from) - Date.parse(r.start)) / 1000;
    expect(from).toBeGreaterThan(112);
    expect(from).toBeLessThan(114);
  });
});

describe('a site lost: the link cut and the primary dead at once (protocol A)', () => {
  // 2000 sequential 16 KiB writes/s (32.8 MB/s) over 1 Gbps, 50 ms one way: the send buffer holds only
  // what is in flight (3.3 MB over the 100 ms round trip); the last 50 ms of it (1.6 MB) is on the wire.
  const lost = (order: string[]) => run({ protocol: 'A', sndbuf: '10MiB', iops: 2000, reads: '0%', random: '0%', latency: '50ms', extraPlan: [...order, '{ at: +3m, force_primary: { resource: r0, host: s } }'] });
  const wire = 2000 * 16384 * 0.05;

  it('the bytes on the wire never reach the peer: they are lost with the primary', () => {
    const r = lost(['{ at: +2m, partition: { sites: [a, b] } }', '{ at: +2m, fail_host: p }']);
    expect(r.dataLoss).toHaveLength(1);
    expect(r.dataLoss[0]!.walBytes).toBeGreaterThan(wire * 0.9);
    expect(r.dataLoss[0]!.walBytes).toBeLessThan(wire * 1.1);
  });

  it('a host that dies first leaves its link to deliver them: nothing acknowledged is lost', () => {
    const r = lost(['{ at: +2m, fail_host: p }', '{ at: +2m, partition: { sites: [a, b] } }']);
    expect(r.dataLoss).toEqual([]);
  });
});

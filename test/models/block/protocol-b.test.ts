/**
 * Protocol B completes a write when the peer's receiver has taken it in (P_RECV_ACK). The receiver takes
 * writes into max-buffers pages; once those are all in use it takes more only as the disk frees them
 * (drbd_receiver.c __drbd_alloc_pages), and the writes behind wait unacknowledged in its socket. So a peer
 * disk slower than the writes stalls protocol B too, once max-buffers (8 MiB) have filled: queue_depth writes
 * complete at the rate the disk drains (probe-drbd: before, B's writes completed at that rate with the
 * latency of an idle path, and the peer's socket buffer filled with writes the application had never had
 * outstanding).
 */
import { describe, expect, it } from 'vitest';
import type { Report } from '../../../src/report/types.ts';
import { runScenario } from '../../../src/run.ts';
import { loadScenarioText } from '../../../src/scenario/load.ts';
import { drbdScenario } from './fixture.ts';

const secs = (r: Report, iso: string) => (Date.parse(iso) - Date.parse(r.start)) / 1000;
const series = (r: Report, name: string) => r.series!.find((x) => x.name === name)!.points.map(([t, v]) => [secs(r, t), v] as const);
// 123 random 16 KiB writes/s (410/s, 30% writes); from 1 min a backup takes 80% of the peer's disk time,
// leaving it about 60 writes/s.
const run = (protocol: 'B' | 'C') => runScenario(loadScenarioText(drbdScenario({ protocol, backup: '80%', duration: '5m' }), 'fixture.yaml')).report;

describe('protocol B with a peer disk slower than the writes', () => {
  const b = run('B');

  it('stalls once the peer\'s max-buffers are full: queue_depth writes complete at the disk\'s rate', () => {
    expect(b.stalls).toHaveLength(1);
    const done = series(b, 'app writes completed (/s)').at(-1)![1];
    const lat = series(b, 'app write latency (s)').at(-1)![1];
    expect(done).toBeLessThan(123 * 0.8);
    // Little's law: 32 outstanding writes at the rate they complete.
    expect(lat).toBeGreaterThan((32 / done) * 0.95);
    expect(lat).toBeLessThan((32 / done) * 1.05);
    // Not at once: max-buffers take 8 MiB of acknowledged writes first (about 8 s at 1 MB/s too many).
    expect(secs(b, b.stalls[0]!.from)).toBeGreaterThan(65);
  });

  it('holds at the peer max-buffers of acknowledged writes, not a socket buffer of writes never outstanding', () => {
    const q = series(b, 'r0 peer queue (bytes)');
    expect(Math.max(...q.map(([, v]) => v))).toBeLessThanOrEqual(8 * 2 ** 20 + 32 * 16384);
  });

  it('protocol C stalls as the backup starts, at the same throughput', () => {
    const c = run('C');
    expect(c.stalls).toHaveLength(1);
    expect(secs(c, c.stalls[0]!.from)).toBeLessThan(61);
    const done = (r: Report) => series(r, 'app writes completed (/s)').at(-1)![1];
    expect(done(c)).toBeGreaterThan(done(b) * 0.9);
    expect(done(c)).toBeLessThan(done(b) * 1.1);
  });
});

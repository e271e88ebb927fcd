/**
 * c-min-rate on the SyncTarget (probe-drbd): application I/O pre-empts the resync only while the resync runs
 * faster than c-min-rate, on each end by its own disk's I/O that is not the resync's (drbd_rs_c_min_rate_throttle).
 * The SyncTarget's disk takes the replicated writes, so while writes are replicated during a resync (8.4,
 * 9.0–9.2) it issues no more requests above c-min-rate (drbd_sender.c make_resync_request; 8.4
 * drbd_try_rs_begin_io → drbd_rs_should_slow_down): the resync runs at c-min-rate, whatever the request size.
 * Before, only the SyncSource's 100 ms delay per request was modelled: 128 KiB requests ran at 1.28 MB/s.
 */
import { describe, expect, it } from 'vitest';
import type { Report } from '../../../src/report/types.ts';
import { runScenario } from '../../../src/run.ts';
import { loadScenarioText } from '../../../src/scenario/load.ts';
import { drbdScenario } from './fixture.ts';

const secs = (r: Report, iso: string) => (Date.parse(iso) - Date.parse(r.start)) / 1000;
const oos = (r: Report) => r.series!.find((x) => x.name === 'r0 out of sync (bytes)')!.points.map(([t, v]) => [secs(r, t), v] as const);
const finished = (r: Report) => secs(r, r.events.find((e) => /resync of .* finished/.test(e.message))!.at);
// Sequential 16 KiB writes (123/s) marked for 2 min while disconnected: contiguous bits, 128 KiB requests.
const run = (cMinRate: string) =>
  runScenario(loadScenarioText(drbdScenario({ random: '0%', duration: '30m', extraPlan: ['{ at: +1m, disconnect: r0 }', '{ at: +3m, connect: r0 }'] }).replace('c-min-rate: 0', `c-min-rate: ${cMinRate}`), 'fixture.yaml')).report;

describe('c-min-rate with writes replicated during the resync', () => {
  it('holds the resync at c-min-rate', () => {
    const r = run('250KiB/s');
    const marked = Math.max(...oos(r).map(([, v]) => v));
    const rate = marked / (finished(r) - 180);
    expect(rate).toBeGreaterThan(250 * 1024 * 0.95);
    expect(rate).toBeLessThan(250 * 1024 * 1.05);
  });

  it('c-min-rate 0 leaves it at resync-rate', () => {
    const r = run('0');
    // About 242 MB at 40 MB/s: seconds.
    expect(finished(r) - 180).toBeLessThan(10);
  });
});

/**
 * DRBD's activity log bounds what protocol A can have in flight (models/block/activity-log.ts): a write keeps
 * its 4 MiB extent until it is RQ_NET_DONE (drbd_req.c drbd_req_destroy), and a write to a cold extent waits
 * while all al-extents are hot (drbd_req.c do_submit). congestion-extents compares act_log->used
 * (drbd_req.c __maybe_pull_ahead). Before, a random load's send buffer filled to sndbuf-size however many
 * extents its writes touched, and congestion-extents was ignored.
 */
import { describe, expect, it } from 'vitest';
import { bytesForExtents, extentsInUse } from '../../../src/models/block/activity-log.ts';
import { lintScenarioText } from '../../../src/rehearsal/lint/index.ts';
import { runScenario } from '../../../src/run.ts';
import { loadScenarioText } from '../../../src/scenario/load.ts';

const ssd = '{type: ssd, read_iops: 400000, write_iops: 200000, read_bandwidth: 3GB/s, write_bandwidth: 2GB/s}';
/** Protocol A over 100 Mbps (12.1 MB/s of payload); 8 KiB random writes over 10 GiB, 20.5 MB/s for 10 s. */
const burst = (net: string, disk = '') => `
name: al
start: 2025-01-01T00:00:00Z
end: "00:03"
stall_threshold: 10ms
sites: [a, b]
links: [{between: [a, b], bandwidth: 100Mbps, latency: 1ms}]
block:
  hosts: {na: {site: a}, nb: {site: b}}
  disks: {da: {host: na, drive: ${ssd}}, db: {host: nb, drive: ${ssd}}}
  resources:
    vol:
      size: 100GiB
      primary: {host: na, disk: da}
      secondary: {host: nb, disk: db}
      connected: true
      drbd: {version: 9.2, net: {protocol: A, ${net}}${disk ? `, disk: {${disk}}` : ''}}
  workloads:
    app: {resource: vol, iops: 1000/s, reads: 0%, random: 100%, size: 8KiB, working_set: 10GiB, queue_depth: 32}
plan:
  - {at: "00:01:00", io_workload: {workload: app, iops: 2500/s}}
  - {at: "00:01:10", io_workload: {workload: app, iops: 1000/s}}
`;
const run = (text: string) => runScenario(loadScenarioText(text, 'al.yaml')).report;
const seconds = (s: { from: string; to: string }) => (Date.parse(s.to) - Date.parse(s.from)) / 1000;
const shape = { size: 8192, random: 1, workingSet: 10 * 2 ** 30, iops: 1000, readShare: 0 };

describe('the activity log bounds protocol A writes in flight', () => {
  it('random writes over a working set use E·(1 − e^(−N/E)) extents', () => {
    // 10 GiB = 2,560 extents; 1,237 of them are in use with N = −2560·ln(1 − 1237/2560) = 1,690 writes = 13.8 MB.
    expect(bytesForExtents(1237, [shape]) / 1e6).toBeCloseTo(13.84, 1);
    expect(extentsInUse(bytesForExtents(1237, [shape]), [shape])).toBeCloseTo(1237, 3);
    // A working set smaller than the log never fills it.
    expect(bytesForExtents(3000, [shape])).toBe(Infinity);
  });

  it('a 64 MiB send buffer stalls writes when the 1,237 extents are hot, not when it is full', () => {
    // 13.8 MB at 20.5 − 12.1 = 8.36 MB/s of excess: blocked 1.66 s into the 10 s burst, for 8.3 s
    // (the send buffer alone would take 8 s to fill, a 2 s stall).
    const r = run(burst('sndbuf-size: 64MiB'));
    expect(r.stalls.length).toBe(1);
    expect(seconds(r.stalls[0]!)).toBeGreaterThan(8.2);
    expect(seconds(r.stalls[0]!)).toBeLessThan(8.5);
    expect(r.stalls[0]!.chain!.map((c) => c.text).join(' ')).toMatch(/activity log filled in 1.7 s: its 1,237 extents/);
    // With al-extents above the working set's 2,560 extents the send buffer is the bound again.
    const big = run(burst('sndbuf-size: 64MiB', 'al-extents: 3001'));
    expect(seconds(big.stalls[0]!)).toBeGreaterThan(1.9);
    expect(seconds(big.stalls[0]!)).toBeLessThan(2.1);
  });

  it('pull-ahead goes Ahead at congestion-extents even with congestion-fill off', () => {
    // 500 extents: N = −2560·ln(1 − 500/2560) = 556 writes = 4.55 MB in flight, 0.55 s into the burst.
    const r = run(burst('sndbuf-size: 64MiB, on-congestion: pull-ahead, congestion-extents: 500'));
    const events = JSON.stringify(r);
    expect(events).toMatch(/congested \(500 activity-log extents in use/);
    expect(r.stalls).toEqual([]);
  });

  it('the lint times the fill by the activity log too', () => {
    const f = lintScenarioText(burst('sndbuf-size: 64MiB'), 'al.yaml', {}).find((x) => x.id === 'drbd-sndbuf-too-small')!;
    expect(f.message).toMatch(/activity log \(al-extents 1,237\) holds 13.2 MiB .* fills in 1.7 s/);
  });
});

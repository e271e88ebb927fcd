/**
 * The Primary's disk fails while it is connected to an UpToDate peer (probe-drbd3): DRBD detaches it
 * (on-io-error detach) and the node stays Primary, Diskless, its reads and writes served by the peer (the DRBD
 * user's guide, "Disk failure"; drbd_req.c: a request without a local disk goes to the peer). Before, the model
 * stopped the application's I/O there (an outage until someone forced the peer primary). When that connection
 * goes, no data is accessible: its I/O fails (on-no-data-accessible io-error).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Report } from '../../../src/report/types.ts';
import { runScenario } from '../../../src/run.ts';
import { loadScenarioText } from '../../../src/scenario/load.ts';
import { drbdScenario, type DrbdFixture } from './fixture.ts';

const run = (o: DrbdFixture) => runScenario(loadScenarioText(drbdScenario({ duration: '10m', ...o }), 'fixture.yaml')).report;
const secs = (r: Report, iso: string) => (Date.parse(iso) - Date.parse(r.start)) / 1000;
const events = (r: Report, re: RegExp) => r.events.filter((e) => re.test(e.message)).map((e) => ({ t: secs(r, e.at), m: e.message }));
const outages = (r: Report) => r.outages.map((o) => [secs(r, o.from), secs(r, o.to)]);
const series = (r: Report, name: string) => r.series!.find((s) => s.name === name)!.points.map(([t, v]) => ({ t: secs(r, t), v }));
const lastBefore = (pts: { t: number; v: number }[], t: number) => pts.filter((p) => p.t <= t).at(-1)!.v;

describe('a Diskless Primary', () => {
  it('its disk fails while connected to an UpToDate peer: no outage, its reads load the peer\'s disk, nothing lost', () => {
    const r = run({ protocol: 'C', extraPlan: ['{ at: +2m, fail_disk: local-disk }'] });
    expect(events(r, /p stays Primary, Diskless: its reads and writes go to the UpToDate s/).map((e) => e.t)).toEqual([120]);
    expect(r.outages).toEqual([]);
    expect(r.dataLoss).toEqual([]);
    expect(r.verdicts.filter((v) => v.kind === 'data-loss')).toEqual([]);
    // 410 requests/s, 70 % reads: the peer's disk takes the reads too.
    const util = series(r, 'peer-disk utilisation (share)');
    expect(lastBefore(util, 200)).toBeGreaterThan(lastBefore(util, 100) * 2);
    // A write now waits for the peer's disk only (protocol C), busier with the reads: a little slower (68 → 70 ms).
    const lat = series(r, 'app write latency (s)');
    expect(lastBefore(lat, 200)).toBeGreaterThan(lastBefore(lat, 100));
    expect(lastBefore(lat, 200)).toBeLessThan(lastBefore(lat, 100) * 1.1);
  });

  it('then the peer is lost: no data is accessible, its I/O fails until the end; nothing lost once the peer is back', () => {
    const r = run({ protocol: 'C', extraPlan: ['{ at: +2m, fail_disk: local-disk }', '{ at: +4m, fail_host: s }', '{ at: +6m, power_on: s }'] });
    expect(outages(r)).toEqual([[240, 600]]);
    expect(r.outages[0]!.cause).toMatch(/the Diskless p lost its connection to s/);
    expect(r.dataLoss).toEqual([]);
  });

  it('protocol A: what the Diskless Primary had acknowledged and not yet sent is on no disk when the peer goes', () => {
    // 123 writes/s of 16 KiB (2 MB/s) over a 10 Mbit/s line: the 8 MiB send buffer is full.
    const r = run({ protocol: 'A', bandwidth: '10Mbps', latency: '10ms', extraPlan: ['{ at: +2m, fail_disk: local-disk }', '{ at: +4m, fail_host: s }', '{ at: +6m, power_on: s }'] });
    expect(r.dataLoss).toHaveLength(1);
    expect(r.dataLoss[0]!.cause.map((c) => c.fact!.kind)[0]).toBe('loss-send-path');
    expect(r.dataLoss[0]!.walBytes).toBeGreaterThan(7 << 20);
    expect(r.dataLoss[0]!.walBytes).toBeLessThanOrEqual(8 << 20);
  });

  it('the link cut: its writes wait for the peer until DRBD gives up, then fail; the peer keeps the newest data, and forced primary loses nothing', () => {
    const r = run({ protocol: 'C', extraPlan: ['{ at: +2m, fail_disk: local-disk }', '{ at: +3m, partition: { sites: [a, b] } }', '{ at: +5m, force_primary: { resource: r0, host: s } }'] });
    expect(r.stalls.map((x) => x.bottleneck)).toEqual(['peer-unreachable']);
    expect(r.stalls[0]!.cause).toMatch(/then the Diskless Primary has no data left: its I\/O fails/);
    // DRBD notices after timeout (6 s): the outage from then until s is made primary.
    expect(outages(r)).toEqual([[186, 300]]);
    expect(r.verdicts.filter((v) => v.kind === 'data-loss')).toEqual([]);
    expect(r.dataLoss).toEqual([]);
  });

  it('the peer never comes back: the only disk with the data is gone', () => {
    const r = run({ protocol: 'C', extraPlan: ['{ at: +2m, fail_disk: local-disk }', '{ at: +4m, fail_host: s }'] });
    expect(r.dataLoss).toHaveLength(1);
    expect(secs(r, r.dataLoss[0]!.to)).toBe(240);
  });

  it('its disk fails while the peer is not UpToDate (the initial sync): its I/O stops at once', () => {
    const r = run({ connected: false, resyncRate: '10MB/s', extraPlan: ['{ at: +2m, fail_disk: local-disk }'] });
    expect(events(r, /Diskless: its reads and writes go to/)).toEqual([]);
    expect(outages(r)).toEqual([[120, 600]]);
  });

  it('its peer cannot be forced primary while it is Primary and connected; a switchover moves it, the old node without a disk', () => {
    const forced = run({ protocol: 'C', extraPlan: ['{ at: +2m, fail_disk: local-disk }', '{ at: +3m, force_primary: { resource: r0, host: s } }'] });
    expect(events(forced, /s cannot become primary: its peer p is Primary and connected/).map((e) => e.t)).toEqual([180]);
    expect(forced.devices![0]!.primary).toBe('p');
    const moved = run({ protocol: 'C', extraPlan: ['{ at: +2m, fail_disk: local-disk }', '{ at: +3m, secondary: { resource: r0, host: p } }', '{ at: +3m, primary: { resource: r0, host: s } }'] });
    expect(moved.devices![0]!.primary).toBe('s');
    expect(moved.devices![0]!.peerDisk).toBe('Failed');
    expect(moved.dataLoss).toEqual([]);
    // The application stopped for the switchover only.
    expect(moved.outages.every((o) => secs(moved, o.to) <= 181)).toBe(true);
  });

  it('under Pacemaker: drbd.ocf\'s next monitor lowers its master score below the UpToDate peer\'s, and the cluster moves the Promoted role there', () => {
    // Two-node Pacemaker + DRBD 9.2 protocol C (the split-brain fixture without its link cut).
    const text = readFileSync('test/fixtures/drbd-split-brain-no-fencing.yaml', 'utf8').replace(/^faults:[\s\S]*$/m, 'plan:\n  - {at: "14:00", fail_disk: nvme-a}\n');
    const r = runScenario(loadScenarioText(text, 'pm.yaml')).report;
    const t = (iso: string) => (Date.parse(iso) - Date.parse('2025-03-04T14:00:00Z')) / 1000;
    expect(r.events.filter((e) => /master score to 10 .* below stor-b's 10000/.test(e.message)).map((e) => t(e.at))).toEqual([29]);
    expect(r.devices![0]!.primary).toBe('stor-b');
    expect(r.devices![0]!.peerDisk).toBe('Failed');
    expect(r.dataLoss).toEqual([]);
    expect(r.outages.every((o) => Date.parse(o.to) - Date.parse(o.from) <= 1000)).toBe(true);
  });
});

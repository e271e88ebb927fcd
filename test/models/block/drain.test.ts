/**
 * Issue 12, point 1: backlogs that drain. Once the congestion ends, what built up in the primary's send
 * buffer and in the peer's queue drains at the peer's real capacity for replicated writes (its disk, from
 * the queueing model) less the application's offer; a protocol A failover loses only what the buffers hold
 * at that instant; pull-ahead returns to SyncSource once the data in flight has drained; ko-count drops only
 * a peer that makes no progress.
 */
import { describe, expect, it } from 'vitest';
import type { Micros } from '../../../src/engine/time.ts';
import { solveDisk } from '../../../src/models/disk/queue.ts';
import type { Report } from '../../../src/report/types.ts';
import { BlockResource } from '../../../src/models/block/resource.ts';
import { runScenario } from '../../../src/run.ts';
import { loadScenarioText } from '../../../src/scenario/load.ts';
import { drbdScenario, type DrbdFixture } from './fixture.ts';

const run = (o: DrbdFixture) => runScenario(loadScenarioText(drbdScenario(o), 'fixture.yaml'));
const series = (r: Report, name: string) => r.series!.find((s) => s.name === name)!.points.map(([t, v]) => ({ t: Date.parse(t) / 1000, v }));
const events = (r: Report) => r.events.map((e) => ({ t: Date.parse(e.at) / 1000, m: e.message }));

/** The peer: RAID10 of 4 × 7200 rpm; the application: 410/s, 30% writes of 16 KiB, all random. */
const congested = (extra: string[] = [], o: DrbdFixture = {}): DrbdFixture => ({
  peerMembers: 4,
  random: '100%',
  duration: '30m',
  extraPlan: ['{ at: +1m, start_job: { name: backup, disk: peer-disk, kind: backup, share: 80% } }', '{ at: +6m, stop_job: { disk: peer-disk, name: backup } }', ...extra],
  ...o,
});

/** What the peer's disk writes when its receiver keeps max-buffers (8 MiB) of 16 KiB random writes in flight. */
function peerCapacity(): number {
  const s = loadScenarioText(drbdScenario({ peerMembers: 4 }), 'fixture.yaml');
  const spec = s.block!.disks.find((d) => d.name === 'peer-disk')!;
  const sol = solveDisk({ spec, shares: [], streams: [{ id: 'rcv', label: 'rcv', io: { op: 'write', size: 16384, pattern: 'random' }, demand: { kind: 'closed', window: 8 << 20, maxRate: Infinity, extraDelay: 0 } }] });
  return sol.streams.get('rcv')!.rate * 16384;
}

/** The first stretch after `from` where a level falls from its highest to empty: [start, end, bytes]. */
function drainOf(points: { t: number; v: number }[], from: number): { start: number; end: number; bytes: number } {
  const after = points.filter((p) => p.t >= from);
  const empty = after.findIndex((p) => p.v === 0);
  expect(empty).toBeGreaterThan(0);
  const full = after[empty - 1]!;
  return { start: full.t, end: after[empty]!.t, bytes: full.v };
}

/** When a level last became empty between `after` and `before` (`after` if it held nothing then). */
function emptiedBy(points: { t: number; v: number }[], after: number, before: number): number {
  let at = after;
  for (let i = 0; i < points.length - 1; i++) {
    const p = points[i]!;
    if (p.t >= after && p.t < before && p.v > 0 && points[i + 1]!.v === 0) at = points[i + 1]!.t;
  }
  return at;
}

describe('backlogs drain once the congestion ends', () => {
  it('the send buffer and then the peer queue drain at (peer capacity − offered rate)', () => {
    const r = run(congested()).report;
    const stop = Date.parse(r.start) / 1000 + 360;
    const offered = 410 * 0.3 * 16384;
    const expected = peerCapacity() - offered;
    expect(expected).toBeGreaterThan(1e5);
    const send = drainOf(series(r, 'r0 send buffer (bytes)'), stop);
    const peer = drainOf(series(r, 'r0 peer queue (bytes)'), stop);
    // The activity log holds 1,237 extents: 16 KiB writes, all random over 100 GiB, fill them with 19.8 MiB in
    // flight; the peer's full queue (14 MiB) holds its share, so the send buffer peaks near 5.8 MiB of its 8 MiB.
    expect(send.bytes).toBeGreaterThan(5.5 * 2 ** 20);
    expect(send.bytes).toBeLessThan(6.1 * 2 ** 20);
    expect(peer.bytes).toBeGreaterThan(13 << 20);
    // The send buffer drains first (the peer queue stays full meanwhile), then the peer queue.
    expect(peer.start).toBeGreaterThanOrEqual(send.end - 1e-6);
    const within = (rate: number) => expect(Math.abs(rate - expected) / expected).toBeLessThan(0.03);
    within(send.bytes / (send.end - send.start));
    within(peer.bytes / (peer.end - peer.start));
    // Writes stall while the backup runs and stop stalling within seconds of its end.
    expect(r.stalls.length).toBe(1);
    expect(Date.parse(r.stalls[0]!.to) / 1000 - stop).toBeLessThan(5);
  });

  it('a faster peer drains faster: the rate follows its capacity', () => {
    const slow = run(congested()).report;
    const fast = run(congested([], { peerMembers: 8 })).report;
    const stop = Date.parse(slow.start) / 1000 + 360;
    const d = (r: Report) => {
      const x = drainOf(series(r, 'r0 peer queue (bytes)'), stop);
      return x.bytes / (x.end - x.start);
    };
    expect(d(fast)).toBeGreaterThan(3 * d(slow));
  });

  it('a protocol A failover after the congestion loses only what the buffers hold then (nothing once drained)', () => {
    const failAt = (at: string) => run(congested([`{ at: ${at}, fail_host: p }`, `{ at: ${at}, force_primary: { resource: r0, host: s } }`])).report;
    // During the congestion: the send buffer (5.8 MiB, what the activity log leaves it) and the peer's socket
    // buffer (6 MiB); what the peer's receiver took into its max-buffers pages it writes.
    const during = failAt('+5m');
    expect(during.dataLoss.length).toBe(1);
    expect(during.dataLoss[0]!.walBytes).toBeGreaterThan(11 << 20);
    expect(during.dataLoss[0]!.walBytes).toBeLessThanOrEqual(13 << 20);
    // Twenty minutes after the backup stopped the buffers are empty: nothing acknowledged is lost.
    const after = failAt('+26m');
    expect(after.dataLoss).toEqual([]);
  });

  it('the loss window of a protocol A failover opens when the oldest lost write was acknowledged, not at the run\'s start', () => {
    const r = run(congested(['{ at: +5m, fail_host: p }', '{ at: +5m, force_primary: { resource: r0, host: s } }'])).report;
    expect(r.dataLoss.length).toBe(1);
    const l = r.dataLoss[0]!;
    const lossAt = Date.parse(r.start) / 1000 + 300;
    expect(Date.parse(l.to) / 1000).toBe(lossAt);
    // The rate writes were acknowledged at just before the loss (steady since the backup filled the buffers).
    const done = series(r, 'app writes completed (/s)').filter((p) => p.t < lossAt);
    const rate = done.at(-1)!.v;
    expect(rate).toBeGreaterThan(10);
    const window = l.commits / rate;
    expect(window).toBeGreaterThan(5);
    expect(Math.abs(lossAt - Date.parse(l.from) / 1000 - window)).toBeLessThan(1);
  });

  it('dates any position of the write stream, before, between and past the recorded rate changes', () => {
    const spec = loadScenarioText(drbdScenario(), 'fixture.yaml').block!.resources[0]!;
    const r = new BlockResource(spec, 0 as Micros);
    // 1 byte/µs for 10 s, then 3 bytes/µs (recorded at the change), held to 20 s with no further point.
    r.acked.setRate(0 as Micros, 1);
    r.acked.setRate(10e6 as Micros, 3);
    r.ackedCurve.push({ at: 10e6 as Micros, pos: 10e6 });
    expect(r.ackedTimeOf(5e6, 20e6 as Micros)).toBe(5e6);
    expect(r.ackedTimeOf(10e6, 20e6 as Micros)).toBe(10e6);
    expect(r.ackedTimeOf(25e6, 20e6 as Micros)).toBe(15e6);
    expect(r.ackedTimeOf(40e6, 20e6 as Micros)).toBe(20e6);
  });

  it('pull-ahead returns to SyncSource one second after the data in flight has drained', () => {
    const text = drbdScenario(congested()).replace('net: { protocol: A, sndbuf-size: 8MiB }', 'net: { protocol: A, sndbuf-size: 8MiB, on-congestion: pull-ahead, congestion-fill: 7MiB }');
    const report = runScenario(loadScenarioText(text, 'fixture.yaml')).report;
    const ev = events(report);
    const ahead = ev.find((e) => /pull-ahead, Ahead\/Behind/.test(e.m));
    const back = ev.find((e) => /Ahead → SyncSource/.test(e.m));
    expect(ahead).toBeDefined();
    expect(back).toBeDefined();
    // In flight = send buffer + peer queue (+ the line); when both are empty, one second later.
    const send = series(report, 'r0 send buffer (bytes)');
    const peer = series(report, 'r0 peer queue (bytes)');
    const emptyAt = Math.max(emptiedBy(send, ahead!.t, back!.t), emptiedBy(peer, ahead!.t, back!.t));
    expect(emptyAt).toBeGreaterThan(ahead!.t);
    expect(back!.t - emptyAt).toBeCloseTo(1, 3);
    // Pull-ahead kept the writes from blocking: no stall on the peer's disk.
    expect(report.stalls.filter((s) => s.bottleneck === 'peer-disk')).toEqual([]);
  });

  it('ko-count does not drop a peer that is slow but progressing, even while Ahead with a deep congestion-fill', () => {
    const text = drbdScenario(congested()).replace('net: { protocol: A, sndbuf-size: 8MiB }', 'net: { protocol: A, sndbuf-size: 8MiB, on-congestion: pull-ahead, congestion-fill: 20MiB }');
    const report = runScenario(loadScenarioText(text, 'fixture.yaml')).report;
    const ev = events(report);
    expect(ev.some((e) => /pull-ahead, Ahead/.test(e.m))).toBe(true);
    expect(ev.some((e) => /ko-count/.test(e.m))).toBe(false);
    expect(ev.some((e) => /Ahead → SyncSource/.test(e.m))).toBe(true);
  });
});

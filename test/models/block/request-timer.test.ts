/**
 * DRBD's request timer (drbd_req.c request_timer_fn, net_timeout_reached): a protocol B/C write the peer has
 * not acknowledged ko-count × timeout (7 × 6 s = 42 s) after it was sent drops the connection (C_TIMEOUT:
 * "Remote failed to finish a request"), which then reconnects once the peer has finished the writes it had submitted to its disk
 * (drbd_receiver.c conn_disconnect waits for active_ee_cnt == 0 before it listens again). Before, a peer whose disk took a minute per
 * write kept the primary's writes waiting for as long as it lasted ("a slow peer never drops").
 */
import { describe, expect, it } from 'vitest';
import { runScenario } from '../../../src/run.ts';
import { loadScenarioText } from '../../../src/scenario/load.ts';
import { drbdScenario } from './fixture.ts';

const run = (protocol: 'A' | 'C', duration = '5m', factor = 20000) =>
  runScenario(loadScenarioText(drbdScenario({ protocol, duration, extraPlan: [`{ at: +1m, slow_disk: { disk: peer-disk, factor: ${factor} } }`] }), 'fixture.yaml')).report;

describe('the request timer', () => {
  it('drops a protocol C connection whose peer takes longer than ko-count × timeout to write, 42 s after', () => {
    const r = run('C');
    const lost = r.events.filter((e) => /connection lost/.test(e.message));
    expect(lost.length).toBeGreaterThanOrEqual(1);
    // The peer slows at +1m (10:01); the writes sent then time out 42 s later.
    expect(lost[0]!.at).toBe('2015-05-18T10:01:42+09:00');
    expect(lost[0]!.message).toMatch(/did not acknowledge a write within ko-count × timeout = 42 s/);
    // Not connect-int (10 s) later: the peer first finishes the writes it had submitted to its disk.
    expect(r.events.some((e) => /connection established/.test(e.message))).toBe(false);
  });

  it('reconnects only once the peer has finished the writes it had submitted to its disk (conn_disconnect waits for active_ee)', () => {
    const r = run('C', '45m');
    const lost = r.events.find((e) => /connection lost/.test(e.message))!;
    // Its writes waited 37 min 28 s for their acknowledgements: the peer's disk holds that much work.
    const wait = Number(/wait (\d+) min (\d+) s for it/.exec(lost.message)!.slice(1, 3).reduce((m, x, i) => m + Number(x) * (i === 0 ? 60 : 1), 0));
    expect(wait).toBeGreaterThan(2000);
    const back = r.events.find((e) => /connection established/.test(e.message))!;
    const after = (Date.parse(back.at) - Date.parse(lost.at)) / 1000;
    expect(after).toBeGreaterThan(wait * 0.9);
    expect(after).toBeLessThan(wait * 1.1);
  });

  it('does not drop protocol A while its send progresses, slowly (a packet well within ko-count × timeout)', () => {
    // 2000 times slower: the peer drains about 2.5 kB/s, a 16 KiB write every 6.5 s.
    const r = run('A', '5m', 2000);
    expect(r.events.some((e) => /connection lost|disconnected/.test(e.message))).toBe(false);
  });

  it('drops protocol A when its line carries less than a packet in ko-count × timeout (probe-drbd)', () => {
    // 20000 times slower: about 250 B/s, a 16 KiB write every 65 s: the sender's ko-count runs out on a
    // packet (drbd_transport.c drbd_stream_send_timed_out), and no barrier is sent for 42 s while the oldest
    // request waits for its barrier ack (drbd_req.c net_timeout_reached). Before, any trickle was progress.
    const r = run('A');
    // A failed send is a network failure: C_TIMEOUT (8.4 drbd_send) / C_NETWORK_FAILURE (9), then Unconnected and
    // the receiver connects again (drbd_receiver.c conn_disconnect), not StandAlone as the man page says.
    const lost = r.events.filter((e) => /connection lost \(no progress for ko-count × timeout = 42 s.*(WFConnection|Connecting): a connection attempt every 10 s/.test(e.message));
    expect(lost).toHaveLength(1);
    // The peer's queue filled at 10:01:07 (the line fell to the trickle then), but the sender still put every
    // write in its 8 MiB socket buffer until 10:01:11.4: each of those sends reloaded ko-count (drbd_main.c, on
    // every data-stream send) and closed an epoch with a barrier. Stuck from then on: 42 s later. (Before, the
    // count started when the line slowed, 4 s early.)
    expect(lost[0]!.at).toBe('2015-05-18T10:01:53.440+09:00');
    // The writes then only mark the bitmap: the stall ends.
    expect(r.stalls).toHaveLength(1);
    expect(r.stalls[0]!.seconds).toBeLessThan(45);
    // The mean latency behind a 250 B/s trickle is about half an hour (32 writes of 16 KiB), but no write
    // waited longer than the 42 s stall and the 100 ms threshold it crossed.
    expect(r.stalls[0]!.maxLatencyMs).toBeLessThanOrEqual((r.stalls[0]!.seconds + 0.1) * 1000 + 1);
  });

  it('protocol A after ko-count reconnects by itself once the peer, healthy again, has finished its writes (not StandAlone)', () => {
    // The disk is 20000 times slower for 3 minutes: ko-count drops the connection at 10:01:53.44; the peer's
    // receiver still waits for the 8 MiB it had submitted (conn_disconnect), done 1.7 s after the disk heals
    // at 10:04 (before, it waited at the slow rate, for 9 hours, and the primary stood alone until a connect).
    const r = runScenario(loadScenarioText(drbdScenario({ protocol: 'A', duration: '10m', extraPlan: ['{ at: +1m, slow_disk: { disk: peer-disk, factor: 20000, for: 3m } }'] }), 'fixture.yaml')).report;
    const back = r.events.filter((e) => /connection established/.test(e.message));
    expect(back).toHaveLength(1);
    expect(Date.parse(back[0]!.at) - Date.parse('2015-05-18T10:04:00+09:00')).toBeGreaterThan(1000);
    expect(Date.parse(back[0]!.at) - Date.parse('2015-05-18T10:04:00+09:00')).toBeLessThan(2500);
    expect(r.events.some((e) => /resync of .* finished/.test(e.message))).toBe(true);
  });
});

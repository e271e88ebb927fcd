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

const run = (protocol: 'A' | 'C', duration = '5m') =>
  runScenario(loadScenarioText(drbdScenario({ protocol, duration, extraPlan: ['{ at: +1m, slow_disk: { disk: peer-disk, factor: 20000 } }'] }), 'fixture.yaml')).report;

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

  it('does not drop protocol A: its send progresses, slowly', () => {
    const r = run('A');
    expect(r.events.some((e) => /connection lost/.test(e.message))).toBe(false);
  });
});

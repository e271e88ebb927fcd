/**
 * DRBD 9.3 resync-without-replication: the resync runs in passes over the bitmap, writes only marked, and a
 * pass that leaves at least half the bits it began with turns replication back on (drbd_sender.c
 * drbd_resync_check_finished → drbd_enable_peer_replication). Before, writes stayed unreplicated for the
 * whole resync, and a resync slower than the writes never finished: the bitmap held still (its drain was
 * taken as resync − writes, floored at 0) and the peer stayed Inconsistent for good.
 */
import { describe, expect, it } from 'vitest';
import { runScenario } from '../../../src/run.ts';
import { loadScenarioText } from '../../../src/scenario/load.ts';
import { drbdScenario } from './fixture.ts';

describe('DRBD 9.3 resync passes', () => {
  it('a resync slower than the writes turns replication back on after its first pass, and finishes', () => {
    // 410/s × 30% × 16 KiB ≈ 2 MB/s of writes, 5 min disconnected: about 590 MB out of sync. The first pass
    // at 1 MB/s takes about 10 min and leaves about as much written meanwhile (≥ half): replication is on
    // again, and the rest resyncs while writes are replicated.
    const text = drbdScenario({ protocol: 'C', resyncRate: '1MB/s', duration: '1h', extraPlan: ['{ at: +1m, disconnect: r0 }', '{ at: +6m, connect: r0 }'] });
    const r = runScenario(loadScenarioText(text, 'fixture.yaml', { sets: ['block.resources.r0.drbd.version=9.3'] })).report;
    const on = r.events.find((e) => /writes are replicated again/.test(e.message));
    expect(on).toBeDefined();
    const t = (at: string) => (Date.parse(at) - Date.parse('2015-05-18T10:06:00+09:00')) / 1000;
    expect(t(on!.at)).toBeGreaterThan(500);
    expect(t(on!.at)).toBeLessThan(700);
    const done = r.events.find((e) => /resync of .* finished/.test(e.message));
    expect(done).toBeDefined();
    expect(r.devices![0]!.peerDisk).toBe('UpToDate');
  });
});

/**
 * Volatile write caches (models/block/write-cache.ts, cache-loss.ts). A power loss takes what a disk's cache
 * without battery holds unflushed. DRBD flushes the peer's disk at each epoch's barrier before acknowledging it
 * (drbd_receiver.c drbd_flush_after_epoch, write ordering flush: disk-flushes yes, the default) and every
 * activity-log transaction with md-flushes (drbd_actlog.c: REQ_PREFLUSH | REQ_FUA unless MD_NO_FUA); a DRBD 9
 * peer writes an activity log for the peer's writes too (submit_peer_request_activity_log), an 8.4 peer does
 * not. Before, a power loss took only RAM: with disk-flushes off the peer lost writes the primary had released
 * and never marked, and a crashed Primary that came back as SyncSource of its activity log overwrote the peer's
 * good copy with the older blocks its cache had lost; the model reported nothing lost.
 */
import { describe, expect, it } from 'vitest';
import type { Report } from '../../../src/report/types.ts';
import { runScenario } from '../../../src/run.ts';
import { loadScenarioText } from '../../../src/scenario/load.ts';
import { bytesPerAlTransaction, unflushed } from '../../../src/models/block/write-cache.ts';
import { scenarioToYaml } from '../../../src/testing/index.ts';
import { lintScenarioText } from '../../../src/rehearsal/lint/index.ts';
import { drbdScenario, type DrbdFixture } from './fixture.ts';

const run = (o: DrbdFixture, version = '8.4') => runScenario(loadScenarioText(drbdScenario({ duration: '10m', resyncRate: '100MB/s', protocol: 'C', ...o }).replace('version: 8.4', `version: ${version}`), 'fixture.yaml')).report;
const secs = (r: Report, iso: string) => (Date.parse(iso) - Date.parse(r.start)) / 1000;
const kinds = (r: Report) => r.dataLoss.map((d) => d.cause.map((c) => c.fact!.kind));
const MiB = 1 << 20;
const cache = '{ mode: volatile, size: 256MiB }';
// 410 requests/s, 30 % writes of 16 KiB: 2.0 MB/s acknowledged, 241 MB by +2m.
const written2m = 410 * 0.3 * 16384 * 120;
// The peer loses power at +2m and comes back; later the primary is lost and the peer forced primary.
const peerLossThenFailover = ['{ at: +2m, fail_host: s }', '{ at: +3m, power_on: s }', '{ at: +5m, fail_host: p }', '{ at: +6m, force_primary: { resource: r0, host: s } }'];

describe('a peer whose volatile cache loses released writes', () => {
  it('8.4, disk-flushes off: its power loss takes the writes its cache held, the resync does not mend them, the failover loses them', () => {
    const r = run({ peerCache: cache, diskExtra: 'disk-flushes: false', extraPlan: peerLossThenFailover });
    expect(r.dataLoss).toHaveLength(1);
    const l = r.dataLoss[0]!;
    // Every write since the start fits in 256 MiB; the 3 minutes written since mend e^(-362 MB / 100 GiB).
    expect(l.walBytes).toBeGreaterThan(written2m * 0.99);
    expect(l.walBytes).toBeLessThan(written2m * 1.001);
    // Acknowledged before the peer's power loss, not at the primary's.
    expect(secs(r, l.to)).toBe(120);
    expect(kinds(r)[0]![0]).toBe('loss-volatile-cache');
  });

  it('the cache is bounded by its size', () => {
    const r = run({ peerCache: '{ mode: volatile, size: 64MiB }', diskExtra: 'disk-flushes: false', extraPlan: peerLossThenFailover });
    expect(r.dataLoss[0]!.walBytes).toBeGreaterThan(64 * MiB * 0.99);
    expect(r.dataLoss[0]!.walBytes).toBeLessThanOrEqual(64 * MiB);
  });

  it('disk-flushes yes (the default) or disk-barrier yes, or a battery-backed cache: nothing lost', () => {
    expect(run({ peerCache: cache, extraPlan: peerLossThenFailover }).dataLoss).toEqual([]);
    expect(run({ peerCache: cache, diskExtra: 'disk-flushes: false, disk-barrier: true', extraPlan: peerLossThenFailover }).dataLoss).toEqual([]);
    expect(run({ peerCache: '{ mode: battery-backed, size: 1GiB }', diskExtra: 'disk-flushes: false', extraPlan: peerLossThenFailover }).dataLoss).toEqual([]);
  });

  it('a controller that ignores flushes loses them whatever disk-flushes says', () => {
    const r = run({ peerCache: '{ mode: volatile, size: 256MiB, flushes: ignored }', extraPlan: peerLossThenFailover });
    expect(r.dataLoss[0]!.walBytes).toBeGreaterThan(written2m * 0.99);
  });

  it('DRBD 9: the peer\'s own activity-log transactions flush its cache (md-flushes): a random load over 100 GiB loses about one write, one within the log far more', () => {
    const wide = run({ peerCache: cache, diskExtra: 'disk-flushes: false', extraPlan: peerLossThenFailover }, '9.2');
    // 16 KiB / (0.9 × (1 − 1237 / 25600) + 0.1 × 16 KiB / 4 MiB): 19 KB between transactions.
    expect(wide.dataLoss[0]!.walBytes).toBeGreaterThan(18_000);
    expect(wide.dataLoss[0]!.walBytes).toBeLessThan(20_000);
    // 2 GiB fit in 1237 extents: only the sequential tenth needs a new extent, once per 4 MiB: 40 MiB between.
    const narrow = run({ peerCache: cache, workingSet: '2GiB', diskExtra: 'disk-flushes: false', extraPlan: peerLossThenFailover }, '9.2');
    // Less what the 3 minutes of writes since (362 MB over 2 GiB) mended: e^(-0.17).
    expect(narrow.dataLoss[0]!.walBytes).toBeGreaterThan(40 * MiB * 0.8);
    expect(narrow.dataLoss[0]!.walBytes).toBeLessThan(40 * MiB * 0.9);
    // md-flushes off as well: nothing flushes it.
    const none = run({ peerCache: cache, diskExtra: 'disk-flushes: false, md-flushes: false', extraPlan: peerLossThenFailover }, '9.2');
    expect(none.dataLoss[0]!.walBytes).toBeGreaterThan(written2m * 0.99);
  });

  it('later writes to the same blocks mend the stale ones: the later the failover, the less lost over a small working set', () => {
    const at = (t: string) => run({ peerCache: cache, workingSet: '2GiB', diskExtra: 'disk-flushes: false, md-flushes: false', duration: '20m', extraPlan: ['{ at: +2m, fail_host: s }', '{ at: +3m, power_on: s }', `{ at: ${t}, fail_host: p }`, `{ at: ${t}, force_primary: { resource: r0, host: s } }`] }).dataLoss[0]!.walBytes;
    const early = at('+4m');
    const late = at('+15m');
    // 2.0 MB/s over 11 more minutes: e^(-1.33 GB / 2 GiB) = 0.54 of them left.
    expect(late / early).toBeGreaterThan(0.5);
    expect(late / early).toBeLessThan(0.58);
  });

  it('a planned switchover to the stale peer loses them (DRBD holds the two in sync)', () => {
    const r = run({ peerCache: cache, diskExtra: 'disk-flushes: false', extraPlan: ['{ at: +2m, fail_host: s }', '{ at: +3m, power_on: s }', '{ at: +6m, secondary: { resource: r0, host: p } }', '{ at: +6m, primary: { resource: r0, host: s } }'] });
    expect(r.devices![0]!.primary).toBe('s');
    expect(r.dataLoss).toHaveLength(1);
    expect(secs(r, r.dataLoss[0]!.to)).toBe(120);
    expect(kinds(r)[0]).toEqual(['loss-volatile-cache', 'loss-made-primary-without']);
  });

  it('while the primary runs the stale peer is not a copy of the newest data', () => {
    const r = run({ peerCache: cache, diskExtra: 'disk-flushes: false', extraPlan: ['{ at: +2m, fail_host: s }', '{ at: +3m, power_on: s }', '{ at: +8m, fail_host: p }'] });
    // The primary lost: no running disk holds every acknowledged write.
    expect(r.verdicts.filter((v) => v.kind === 'data-loss')).toHaveLength(1);
    expect(r.dataLoss).toHaveLength(1);
  });
});

describe('a crashed Primary whose volatile cache lost completed writes', () => {
  // 2 GiB fit in the activity log: 40 MiB written between two transactions (see above).
  const crash = (o: DrbdFixture = {}): DrbdFixture => ({ localCache: cache, workingSet: '2GiB', extraPlan: ['{ at: +2m, fail_host: p }', '{ at: +3m, power_on: p }'], ...o });

  it('8.4: it comes back as SyncSource of its activity log, overwriting the peer\'s copy of them: lost', () => {
    const r = run(crash());
    expect(r.dataLoss).toHaveLength(1);
    expect(r.dataLoss[0]!.walBytes).toBeGreaterThan(40 * MiB * 0.99);
    expect(r.dataLoss[0]!.walBytes).toBeLessThanOrEqual(40 * MiB);
    expect(kinds(r)[0]).toEqual(['loss-volatile-cache', 'loss-crashed-primary-source']);
    expect(r.devices![0]!.primary).toBe('p');
  });

  it('DRBD 9 protocol C with the peer up: the survivor is SyncSource and nothing is lost; protocols A and B lose them', () => {
    expect(run(crash(), '9.2').dataLoss).toEqual([]);
    expect(run(crash({ protocol: 'A' }), '9.2').dataLoss[0]!.walBytes).toBeGreaterThan(40 * MiB * 0.99);
    expect(run(crash({ protocol: 'B' }), '9.2').dataLoss[0]!.walBytes).toBeGreaterThan(40 * MiB * 0.99);
  });

  it('a random load over a working set larger than the log flushes it at nearly every write', () => {
    const r = run(crash({ workingSet: '100GiB' }));
    expect(r.dataLoss[0]!.walBytes).toBeLessThan(20_000);
  });

  it('promoted elsewhere meanwhile, it comes back as the peer with its cache\'s blocks older: a switchover back to it loses them', () => {
    const r = run({ localCache: cache, workingSet: '100GiB', diskExtra: 'md-flushes: false', extraPlan: ['{ at: +2m, fail_host: p }', '{ at: +2m, force_primary: { resource: r0, host: s } }', '{ at: +3m, power_on: p }', '{ at: +6m, secondary: { resource: r0, host: s } }', '{ at: +6m, primary: { resource: r0, host: p } }'] });
    expect(r.devices![0]!.primary).toBe('p');
    expect(r.dataLoss).toHaveLength(1);
    expect(r.dataLoss[0]!.walBytes).toBeGreaterThan(written2m * 0.99);
  });

  it('a site\'s power loss with both caches volatile and disk-flushes off: the Primary back first loses what its cache held', () => {
    const r = run({ localCache: cache, peerCache: cache, workingSet: '2GiB', diskExtra: 'disk-flushes: false', extraPlan: ['{ at: +2m, fail_host: p }', '{ at: +2m, fail_host: s }', '{ at: +3m, power_on: p }', '{ at: +3m, power_on: s }'] });
    expect(r.dataLoss).toHaveLength(1);
    expect(r.dataLoss[0]!.walBytes).toBeGreaterThan(40 * MiB * 0.99);
    // Only the peer back and forced primary: what the peer's cache held (every write so far) is lost instead.
    const s = run({ localCache: cache, peerCache: cache, workingSet: '2GiB', diskExtra: 'disk-flushes: false', extraPlan: ['{ at: +2m, fail_host: p }', '{ at: +2m, fail_host: s }', '{ at: +3m, power_on: s }', '{ at: +4m, force_primary: { resource: r0, host: s } }'] });
    expect(s.dataLoss.reduce((a, d) => a + d.walBytes, 0)).toBeGreaterThan(written2m * 0.99);
  });
});

describe('write-cache rules', () => {
  const disk = { diskBarrier: false, diskFlushes: true, diskDrain: true, mdFlushes: true, alExtents: 1237 } as const;
  const shape = { size: 16384, random: 1, workingSet: 100 * 1024 * MiB, iops: 100, readShare: 0 };
  it('who flushes: the barrier on the peer, the activity log on the primary (and on a DRBD 9 peer), nothing on an 8.4 peer without disk-flushes', () => {
    const c = { mode: 'volatile', size: 256 * MiB, flushes: 'honoured' } as const;
    expect(unflushed(c, 'secondary', { disk: { ...disk }, version: 8.4 }, [shape], 1e9)).toBeNull();
    expect(unflushed(c, 'secondary', { disk: { ...disk, diskFlushes: false }, version: 8.4 }, [shape], 1e9)).toEqual({ bytes: 256 * MiB, why: 'no-barrier-flush' });
    expect(unflushed(c, 'secondary', { disk: { ...disk, diskFlushes: false }, version: 9.2 }, [shape], 1e9)?.why).toBe('between-al-transactions');
    expect(unflushed(c, 'primary', { disk: { ...disk }, version: 8.4 }, [shape], 1e9)?.why).toBe('between-al-transactions');
    expect(unflushed(c, 'primary', { disk: { ...disk, mdFlushes: false }, version: 8.4 }, [shape], 1e9)).toEqual({ bytes: 256 * MiB, why: 'never-flushed' });
    expect(unflushed(c, 'primary', { disk: { ...disk, mdFlushes: false }, version: 8.4 }, [shape], 1e6)?.bytes).toBe(1e6);
  });
  it('activity-log transactions: one per write to a cold extent', () => {
    // Uniform random over 25,600 extents with 1,237 hot: a miss with probability 0.952.
    expect(bytesPerAlTransaction(1237, [shape])).toBeCloseTo(16384 / (1 - 1237 / 25600), 0);
    expect(bytesPerAlTransaction(1237, [{ ...shape, workingSet: 1024 * MiB }])).toBe(Infinity);
    expect(bytesPerAlTransaction(1237, [{ ...shape, random: 0 }])).toBe(4 * MiB);
  });
});

describe('grammar', () => {
  const text = drbdScenario({ peerCache: '{ mode: volatile, size: 1GiB, flushes: ignored }', localCache: '{ mode: battery-backed, size: 2GiB }', diskExtra: 'disk-flushes: false, md-flushes: false, disk-drain: false, disk-barrier: false' });
  it('write_cache and the write-ordering options decode, with drbd.conf\'s defaults, and print back', () => {
    const s = loadScenarioText(text, 'fixture.yaml');
    const disks = s.block!.disks;
    expect(disks.find((d) => d.name === 'peer-disk')!.writeCache).toEqual({ mode: 'volatile', size: 1 << 30, flushes: 'ignored' });
    expect(disks.find((d) => d.name === 'local-disk')!.writeCache).toEqual({ mode: 'battery-backed', size: 2 * 2 ** 30, flushes: 'honoured' });
    const o = s.block!.resources[0]!.replication;
    expect(o.kind === 'drbd' && [o.disk.diskFlushes, o.disk.mdFlushes, o.disk.diskDrain, o.disk.diskBarrier]).toEqual([false, false, false, false]);
    const d = loadScenarioText(drbdScenario(), 'fixture.yaml').block!.resources[0]!.replication;
    // DRBD_DISK_BARRIER_DEF 0, DRBD_DISK_FLUSHES_DEF 1, DRBD_DISK_DRAIN_DEF 1, DRBD_MD_FLUSHES_DEF 1.
    expect(d.kind === 'drbd' && [d.disk.diskFlushes, d.disk.mdFlushes, d.disk.diskDrain, d.disk.diskBarrier]).toEqual([true, true, true, false]);
    expect(loadScenarioText(scenarioToYaml(s), 'fixture.yaml').block).toEqual(s.block);
  });
  it('drbd.conf\'s "no" is refused with the YAML hint', () => {
    expect(() => loadScenarioText(drbdScenario({ diskExtra: 'disk-flushes: no' }), 'fixture.yaml')).toThrow(/disk-flushes.*true or false/);
    expect(() => loadScenarioText(drbdScenario({ peerCache: '{ mode: volatile }' }), 'fixture.yaml')).toThrow(/size/);
  });
});

describe('lint: drbd-volatile-cache', () => {
  const lint = (o: DrbdFixture, version = '8.4') => lintScenarioText(drbdScenario(o).replace('version: 8.4', `version: ${version}`), 'fixture.yaml', { variant: null, sets: [] }).filter((x) => x.id === 'drbd-volatile-cache');
  it('warns of a peer with a volatile cache and disk-flushes off, with what a power loss takes', () => {
    const f = lint({ peerCache: cache, diskExtra: 'disk-flushes: false' });
    expect(f).toHaveLength(1);
    expect(f[0]!.severity).toBe('warning');
    expect(f[0]!.message).toMatch(/peer-disk on s has a volatile write cache and disk-flushes and disk-barrier are off: a power loss of s takes up to 256 MiB/);
    // DRBD 9: its own activity-log transactions bound it (about one write here).
    expect(lint({ peerCache: cache, diskExtra: 'disk-flushes: false' }, '9.2')[0]!.message).toMatch(/only its activity-log transactions \(md-flushes\) flush it: .* up to 18\.\d KiB/);
  });
  it('a controller ignoring flushes is warned of whatever disk-flushes says; the defaults, or a battery, are not', () => {
    expect(lint({ peerCache: '{ mode: volatile, size: 1GiB, flushes: ignored }' })[0]!.message).toMatch(/its controller ignores flushes: .* up to 1 GiB/);
    expect(lint({ peerCache: cache })).toEqual([]);
    expect(lint({ peerCache: '{ mode: battery-backed, size: 1GiB }', diskExtra: 'disk-flushes: false' })).toEqual([]);
  });
});

describe('a stale peer that DRBD 9 protocol C makes the SyncSource after the Primary crashes', () => {
  it('its stale blocks are resynced to the crashed node and it is promoted without them: lost', () => {
    const r = run({ peerCache: cache, diskExtra: 'disk-flushes: false, md-flushes: false', extraPlan: ['{ at: +2m, fail_host: s }', '{ at: +3m, power_on: s }', '{ at: +5m, fail_host: p }', '{ at: +6m, power_on: p }'] }, '9.2');
    expect(r.devices![0]!.primary).toBe('s');
    expect(r.dataLoss).toHaveLength(1);
    expect(r.dataLoss[0]!.walBytes).toBeGreaterThan(written2m * 0.99);
    expect(kinds(r)[0]).toEqual(['loss-volatile-cache', 'loss-made-primary-without']);
  });
});

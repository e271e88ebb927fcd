/**
 * The "must hold" list for block replication (../shared/domain/drbd-tcp-disk.md): each property
 * is checked on small scenarios whose outcome comes from the disk queues, socket buffers and resync.
 */
import { describe, expect, it } from 'vitest';
import { runScenario } from '../../../src/run.ts';
import { loadScenarioText } from '../../../src/scenario/load.ts';
import type { Report } from '../../../src/report/types.ts';
import { drbdScenario, type DrbdFixture } from './fixture.ts';

const run = (o: DrbdFixture, sets: string[] = []) => runScenario(loadScenarioText(drbdScenario(o), 'fixture.yaml', { sets }));
const stalls = (r: Report, bottleneck?: string) => r.stalls.filter((s) => bottleneck === undefined || s.bottleneck === bottleneck);
const latencies = (r: Report) => r.series!.find((s) => s.name === 'app write latency (s)')!.points.map((p) => p[1]);

describe('block replication stalls', () => {
  it('halving the resync rate below the primary\'s headroom removes stall (b)', () => {
    // A large peer, so the primary's disk is the only bottleneck; its headroom is about 3 MB/s of resync reads.
    const fast = run({ connected: false, resyncRate: '4MB/s', peerMembers: 16 }).report;
    expect(stalls(fast, 'local-disk').length).toBe(1);
    expect(stalls(fast, 'local-disk')[0]!.chain!.map((c) => c.text).join(' ')).toMatch(/resync reads/);
    const half = run({ connected: false, resyncRate: '2MB/s', peerMembers: 16 }).report;
    expect(half.stalls).toEqual([]);
  });

  it('the peer\'s RAID initialisation stalls the initial sync (a); without it, no stall', () => {
    const withBgi = run({ connected: false, peerMembers: 4, iops: 410, bgi: '30%', resyncRate: '40MB/s', duration: '10m' }).report;
    const a = stalls(withBgi, 'peer-disk');
    expect(a.length).toBe(1);
    const chain = a[0]!.chain!.map((c) => c.text).join(' | ');
    expect(chain).toMatch(/background initialisation/);
    expect(chain).toMatch(/max-buffers/);
    expect(chain).toMatch(/send buffer filled in/);
    expect(chain).toMatch(/protocol A/);
    const without = run({ connected: false, peerMembers: 4, iops: 410, bgi: null, resyncRate: '2MB/s', duration: '10m' }).report;
    expect(stalls(without, 'peer-disk')).toEqual([]);
  });

  it('a larger random share raises the primary\'s write latency monotonically', () => {
    let prev = 0;
    for (const random of ['0%', '20%', '40%', '60%', '80%', '100%']) {
      const l = latencies(run({ random, iops: 300, duration: '1m' }).report)[0]!;
      expect(l).toBeGreaterThan(prev);
      prev = l;
    }
  });

  it('the time a full send buffer takes to block writes scales with its size', () => {
    const fill = (sndbuf: string) => {
      const w = run({ sndbuf, backup: '90%' }).world;
      const f = w.block!.resources.get('r0')!.lastFill!;
      return (f.to - f.from) / 1e6;
    };
    const t2 = fill('2MiB');
    const t4 = fill('4MiB');
    const t8 = fill('8MiB');
    expect(t4 / t2).toBeGreaterThan(1.9);
    expect(t4 / t2).toBeLessThan(2.1);
    expect(t8 / t4).toBeGreaterThan(1.9);
    expect(t8 / t4).toBeLessThan(2.1);
  });

  it('under protocol C the secondary\'s slowness shows up as latency on every write', () => {
    const a = latencies(run({ protocol: 'A', backup: '60%', duration: '5m' }).report);
    const c = latencies(run({ protocol: 'C', backup: '60%', duration: '5m' }).report);
    // With the backup loading the peer, protocol C waits for the peer's disk on every write; A does not.
    expect(Math.max(...c)).toBeGreaterThan(2 * Math.max(...a));
    const cReport = run({ protocol: 'C', backup: '60%', duration: '5m' }).report;
    expect(stalls(cReport, 'peer-latency').length).toBe(1);
    const aReport = run({ protocol: 'A', backup: '60%', duration: '5m' }).report;
    expect(aReport.stalls).toEqual([]);
  });

  it('a peer-latency stall is explained by the wait protocol C puts on every write, as long as the latency it causes', () => {
    const r = run({ protocol: 'C', backup: '60%', duration: '5m' }).report;
    const chain = stalls(r, 'peer-latency')[0]!.chain!.map((c) => c.text);
    // The peer's disk is why the peer is slow; the last step is the write's wait for it (the label's meaning).
    expect(chain[0]).toMatch(/peer-disk/);
    const wait = /protocol C completes a write only when the peer has it.*every write waits about (\d+) ms/.exec(chain.at(-1)!);
    expect(wait).not.toBeNull();
    // The wait the chain names is the write latency the application saw, within a fifth.
    const worst = Math.max(...latencies(r)) * 1000;
    expect(Number(wait![1])).toBeGreaterThan(0.8 * worst);
    expect(Number(wait![1])).toBeLessThan(1.2 * worst);
  });

  it('the same seed gives a byte-identical report', () => {
    const o: DrbdFixture = { connected: false, peerMembers: 4, bgi: '30%', duration: '5m' };
    expect(JSON.stringify(run(o).report)).toBe(JSON.stringify(run(o).report));
  });
});

describe('DRBD pair failover', () => {
  const failover = (protocol: 'A' | 'C') =>
    run({ protocol, backup: '90%', duration: '10m', extraPlan: ['{ at: +4m, fail_host: p }', '{ at: +5m, force_primary: { resource: r0, host: s } }'] }).report;

  it('protocol A loses the acknowledged writes still in the send buffer, on the line and in the peer\'s queue', () => {
    const r = failover('A');
    expect(r.dataLoss.length).toBe(1);
    const l = r.dataLoss[0]!;
    expect(l.cluster).toBe('r0');
    expect(l.walBytes).toBeGreaterThan(8 << 20);
    expect(l.cause.map((c) => c.text).join(' ')).toMatch(/send path/);
  });

  it('protocol C loses nothing', () => {
    expect(failover('C').dataLoss).toEqual([]);
  });
});

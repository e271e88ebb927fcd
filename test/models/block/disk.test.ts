import { describe, expect, it } from 'vitest';
import type { DiskSpec } from '../../../src/models/disk/device.ts';
import { memberService, rotationalLatency } from '../../../src/models/disk/device.ts';
import { solveDisk, type DiskStream } from '../../../src/models/disk/queue.ts';

/** Hitachi Deskstar 7K500 (§7.1): 8.5 ms average read seek, 7200 rpm, 64.8 MB/s outer zone; command overhead calibrated. */
const deskstar: DiskSpec = {
  name: 'd',
  host: 'h',
  device: { kind: 'hdd', rpm: 7200, seek: 8500, trackToTrack: 800, transferRate: 64.8e6, overhead: 800, cs2: 0.3 },
  raid: null,
};

const within5 = (model: number, notes: number) => expect(Math.abs(model - notes) / notes).toBeLessThan(0.05);

describe('disk model against the notes (drbd-tcp-disk.md §7)', () => {
  it('a 7200 rpm drive does about 74 random IOPS at queue depth 1 (7K500 datasheet: 13.5 ms per I/O)', () => {
    const s = memberService(deskstar.device, 'read', 512, 1).mean;
    within5(1 / s, 74);
    within5(s * 1000, 13.5);
  });

  it('average rotational latency is 4.16 / 3 / 2 ms at 7200 / 10k / 15k rpm', () => {
    within5(rotationalLatency(7200) * 1000, 4.16);
    within5(rotationalLatency(10000) * 1000, 3.0);
    within5(rotationalLatency(15000) * 1000, 2.0);
  });

  // §7.4: E[S] = 12.5 ms, C_s² = 0.3.
  const table: [number, number][] = [
    [0.5, 20.6],
    [0.8, 45],
    [0.9, 86],
    [0.95, 167],
    [0.99, 820],
  ];
  const drive: DiskSpec = {
    name: 'd',
    host: 'h',
    // seek chosen so that a random 4 KiB read costs 12.5 ms: 8.306 + 4.167 + 0.027.
    device: { kind: 'hdd', rpm: 7200, seek: 8306, trackToTrack: 500, transferRate: 150e6, overhead: 0, cs2: 0.3 },
    raid: null,
  };
  for (const [rho, ms] of table) {
    it(`latency at ρ = ${rho} is ${ms} ms within 5%`, () => {
      const stream: DiskStream = { id: 'app', label: 'app', io: { op: 'read', size: 4096, pattern: 'random' }, demand: { kind: 'open', rate: rho / 0.0125 } };
      const sol = solveDisk({ spec: drive, streams: [stream], shares: [] });
      within5(sol.streams.get('app')!.latency * 1000, ms);
      within5(sol.rho, rho);
    });
  }

  it('at ρ ≥ 1 the disk reports overload (the caller grows a backlog) instead of a number', () => {
    const stream: DiskStream = { id: 'app', label: 'app', io: { op: 'read', size: 4096, pattern: 'random' }, demand: { kind: 'open', rate: 1.1 / 0.0125 } };
    expect(solveDisk({ spec: drive, streams: [stream], shares: [] }).overloaded).toBe(true);
  });

  it('the same request count costs far more headroom random than sequential', () => {
    const load = (pattern: 'random' | 'sequential') =>
      solveDisk({ spec: drive, streams: [{ id: 'a', label: 'a', io: { op: 'read', size: 16384, pattern }, demand: { kind: 'open', rate: 50 } }], shares: [] }).rho;
    expect(load('random')).toBeGreaterThan(20 * load('sequential'));
  });

  it('a fixed-share background job leaves μ′ = (1 − f)·μ to the foreground', () => {
    const s: DiskStream = { id: 'a', label: 'a', io: { op: 'read', size: 4096, pattern: 'random' }, demand: { kind: 'open', rate: 40 } };
    const without = solveDisk({ spec: drive, streams: [s], shares: [] });
    const withBgi = solveDisk({ spec: drive, streams: [s], shares: [{ label: 'bgi', share: 0.3 }] });
    within5(withBgi.rho, without.rho / 0.7);
  });

  it('RAID write penalties 2 / 4 / 6 and read scaling over members', () => {
    const io = { op: 'write' as const, size: 4096, pattern: 'random' as const };
    const rhoOf = (raid: DiskSpec['raid'], op: 'read' | 'write' = 'write') =>
      solveDisk({ spec: { ...drive, raid }, streams: [{ id: 'a', label: 'a', io: { ...io, op }, demand: { kind: 'open', rate: 10 } }], shares: [] }).rho;
    const single = rhoOf(null);
    within5(rhoOf({ level: 10, members: 4 }), (single * 2) / 4);
    within5(rhoOf({ level: 5, members: 4 }), (single * 4) / 4);
    within5(rhoOf({ level: 6, members: 6 }), (single * 6) / 6);
    within5(rhoOf({ level: 10, members: 4 }, 'read'), single / 4);
  });

  it('a closed stream (a window of bytes outstanding) slows down as the disk fills: Little\'s law', () => {
    const app: DiskStream = { id: 'app', label: 'app', io: { op: 'read', size: 4096, pattern: 'random' }, demand: { kind: 'open', rate: 60 } };
    const rs: DiskStream = { id: 'rs', label: 'rs', io: { op: 'read', size: 131072, pattern: 'sequential' }, demand: { kind: 'closed', window: 4 << 20, maxRate: 1e6, extraDelay: 0 } };
    const sol = solveDisk({ spec: drive, streams: [app, rs], shares: [] });
    const r = sol.streams.get('rs')!;
    expect(sol.rho).toBeLessThan(1);
    within5(r.rate * 131072 * r.latency, 4 << 20);
  });
});

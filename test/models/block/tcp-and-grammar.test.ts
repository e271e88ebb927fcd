import { describe, expect, it } from 'vitest';
import { inFlight, tcpCapacity } from '../../../src/models/tcp/connection.ts';
import { loadScenarioText } from '../../../src/scenario/load.ts';
import { drbdScenario } from './fixture.ts';

describe('TCP flow bounds (drbd-tcp-disk.md §6)', () => {
  const gbe = { bandwidth: 125e6, latency: 1000, sndbuf: 8 << 20, rcvbuf: 6 << 20 };

  it('1 GbE carries 110-120 MB/s of payload (UG84-A, UG9-A), bounded by the line', () => {
    const c = tcpCapacity(gbe);
    expect(c.bound).toBe('line');
    expect(c.rate).toBeGreaterThanOrEqual(110e6);
    expect(c.rate).toBeLessThanOrEqual(122e6);
  });

  it('an 8 MiB send buffer holds about 76 ms of data at 110 MB/s', () => {
    expect((8 * 2 ** 20) / 110e6).toBeCloseTo(0.076, 3);
  });

  it('over a long round trip the window bounds the rate: rcvbuf / RTT', () => {
    const wan = { ...gbe, latency: 50_000, rcvbuf: 2 << 20 };
    const c = tcpCapacity(wan);
    expect(c.bound).toBe('receive-window');
    expect(c.rate).toBeCloseTo((2 << 20) / 0.1, 0);
    expect(inFlight(wan, c.rate)).toBeLessThanOrEqual(wan.sndbuf);
  });
});

describe('DRBD version rules in the scenario decoder', () => {
  const load = (sets: string[]) => () => loadScenarioText(drbdScenario(), 'fixture.yaml', { sets });

  it('sndbuf-size above 10 MiB is refused for 8.4 (LIM84) and accepted for 9.2 (128 MiB)', () => {
    expect(load(['block.resources.r0.drbd.net.sndbuf-size=16MiB'])).toThrow(/maximum 10 MiB/);
    expect(load(['block.resources.r0.drbd.net.sndbuf-size=16MiB', 'block.resources.r0.drbd.version=9.2'])).not.toThrow();
  });

  it('pull-ahead needs protocol A (drbdsetup)', () => {
    expect(load(['block.resources.r0.drbd.net.protocol=C', 'block.resources.r0.drbd.net.on-congestion=pull-ahead'])).toThrow(/only with prot A/);
  });

  it('resync-without-replication exists from 9.3 and is its default there', () => {
    expect(load(['block.resources.r0.drbd.disk.resync-without-replication=true'])).toThrow(/9\.3/);
    const s = loadScenarioText(drbdScenario(), 'fixture.yaml', { sets: ['block.resources.r0.drbd.version=9.3'] });
    const r = s.block!.resources[0]!.replication;
    expect(r.kind === 'drbd' && r.disk.resyncWithoutReplication).toBe(true);
  });

  it('an unknown option gets a did-you-mean', () => {
    let err: unknown = null;
    try {
      load(['block.resources.r0.drbd.net.sndbuf_size=8MiB'])();
    } catch (e) {
      err = e;
    }
    expect(String(err)).toMatch(/unknown key "sndbuf_size"/);
    expect(JSON.stringify(err)).toMatch(/sndbuf-size/);
  });
});

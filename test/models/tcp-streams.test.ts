/**
 * A walsender's stream and a base backup are TCP connections: besides the line's share, their window over the
 * round trip and packet loss bound them (tcp/connection.ts connectionRate; ../shared/domain/drbd-tcp-disk.md
 * §6.1-6.2; RFC 9438 §5.1 for CUBIC under loss).
 */
import { describe, expect, it } from 'vitest';
import { connectionRate, DEFAULT_TCP_WINDOW, MSS } from '../../src/models/tcp/connection.ts';
import { runScenario } from '../../src/run.ts';
import { loadScenarioText } from '../../src/scenario/load.ts';

describe('connectionRate', () => {
  it('is the line less its headers when the window covers the bandwidth-delay product', () => {
    // 1 Gbps (125 MB/s) over a 10 ms round trip needs 1.25 MB in flight: a 4 MiB window covers it; the TCP
    // and IP headers take 3% (rule 6): 121.25 MB/s of WAL.
    expect(connectionRate(125e6, 5000, DEFAULT_TCP_WINDOW, 0)).toEqual({ rate: 0.97 * 125e6, bound: 'line' });
  });

  it('is the window over the round trip on a long path', () => {
    // 4 MiB over a 150 ms round trip: 27.96 MB/s, whatever the line.
    const r = connectionRate(125e6, 75_000, DEFAULT_TCP_WINDOW, 0);
    expect(r.bound).toBe('window');
    expect(r.rate).toBeCloseTo(4 * 1024 * 1024 / 0.15, 0);
    // Doubling the window doubles it.
    expect(connectionRate(125e6, 75_000, 2 * DEFAULT_TCP_WINDOW, 0).rate).toBeCloseTo(2 * r.rate, 0);
  });

  it('under random loss follows CUBIC: the TCP throughput equation at short round trips, the cubic mode at long ones', () => {
    // 1% loss, 20 ms round trip (RFC 5348 §3.1, t_RTO at Linux's 200 ms minimum):
    // 1448 / (0.02 sqrt(0.02/3) + 0.2 * 3 sqrt(0.03/8) * 0.01 * (1 + 32e-4)) = 723 kB/s.
    const reno = connectionRate(125e6, 10_000, DEFAULT_TCP_WINDOW, 0.01);
    expect(reno.bound).toBe('loss');
    expect(reno.rate).toBeCloseTo(MSS / (0.02 * Math.sqrt(0.02 / 3) + 0.2 * 3 * Math.sqrt(0.03 / 8) * 0.01 * 1.0032), 0);
    // Four times the loss: less than half (the timeouts grow with p^1.5).
    expect(connectionRate(125e6, 10_000, DEFAULT_TCP_WINDOW, 0.04).rate / reno.rate).toBeLessThan(0.5);
    // 0.001% loss over 200 ms: the cubic mode's 1.054 (RTT/p)^(3/4) segments (1,773) beat Reno's (387).
    const cubic = connectionRate(10e9, 100_000, 1e12, 1e-5);
    expect(cubic.rate).toBeCloseTo((((0.4 * 3.7) / 1.2) ** 0.25 * (0.2 / 1e-5) ** 0.75 * MSS) / 0.2, 0);
  });
});

/** p writes 40 MB/s to s across a 1 Gbps link with `latency`; the link can carry three times that. */
function run(latency: string, extra: { link?: string; faults?: string; failover?: boolean; end?: string } = {}) {
  const text = `name: tcp
start: 2024-05-06T10:00:00Z
end: "${extra.end ?? '10:10'}"
sites: [a, b]
links:
  - {between: [a, b], bandwidth: 1Gbps, latency: ${latency}${extra.link ?? ''}}
clusters:
  main:
    nodes:
      p: {site: a, version: 15, role: primary, settings: {wal_keep_size: 100GB}}
      s: {site: b, version: 15, upstream: p}
    workload: {target: p, rate: 5000/s, wal_per_tx: 8000B}
${extra.failover ? '    failover: {policy: naive, site: b, check_interval: 10s, timeout: 30s, candidates: [s]}\n' : ''}${extra.faults ? `faults:\n${extra.faults}` : ''}`;
  return runScenario(loadScenarioText(text, 'tcp.yaml')).report;
}
const lag = (r: ReturnType<typeof run>) => {
  const lsn = (x: string) => {
    const [hi, lo] = x.split('/');
    return parseInt(hi!, 16) * 2 ** 32 + parseInt(lo!, 16);
  };
  return lsn(r.nodes.find((n) => n.name === 'p')!.lsn) - lsn(r.nodes.find((n) => n.name === 's')!.lsn);
};

describe('a WAL stream is one TCP connection', () => {
  it('across an ocean (150 ms round trip) 4 MiB of window carry 28 MB/s: a standby of a 40 MB/s primary falls behind', () => {
    const near = run('5ms');
    expect(lag(near)).toBeLessThan(1e6);
    // 10 min at 40 - 27.96 MB/s: about 7.2 GB behind.
    const far = run('75ms');
    expect(lag(far)).toBeGreaterThan(0.95 * 600 * (40e6 - (4 * 1024 * 1024) / 0.15));
    expect(lag(far)).toBeLessThan(1.05 * 600 * (40e6 - (4 * 1024 * 1024) / 0.15));
    // The run says why: the stream's window over the round trip.
    const behind = far.events.find((e) => e.fact.kind === 'stream-falls-behind')!;
    expect(behind.message).toBe('s falls behind p: WAL comes at 40 MB/s and its stream carries 28 MB/s, one TCP window of 4 MiB per 150 ms round trip');
    // Tuned hosts (a 16 MiB window: 112 MB/s) keep up.
    expect(lag(run('75ms', { link: ', tcp_window: 16MiB' }))).toBeLessThan(10e6);
  });

  it('packet loss slows it: 1% loss from 10:02 on a 20 ms round trip leaves 723 kB/s of the 40 MB/s', () => {
    const r = run('10ms', { faults: '  - {at: "10:02", packet_loss: {sites: [a, b], loss: 1%}}\n' });
    const carried = connectionRate(125e6, 10_000, DEFAULT_TCP_WINDOW, 0.01).rate;
    expect(lag(r)).toBeGreaterThan(0.95 * 480 * (40e6 - carried));
    expect(lag(r)).toBeLessThan(1.05 * 480 * (40e6 - carried));
    // Loss ended at 10:05: it catches up (the line carries 125 MB/s).
    const healed = run('10ms', { faults: '  - {at: "10:02", packet_loss: {sites: [a, b], loss: 1%}}\n  - {at: "10:05", packet_loss: {sites: [a, b], loss: 0%}}\n' });
    expect(lag(healed)).toBeLessThan(1e6);
    expect(healed.events.find((e) => e.fact.kind === 'stream-falls-behind')!.message).toMatch(/its stream carries 723 kB\/s, what TCP carries with 1% of packets lost over a 20 ms round trip$/);
    expect(healed.events.some((e) => e.fact.kind === 'stream-caught-up')).toBe(true);
  });

  it('a failover to a standby that fell behind: the loss explanation says why it was behind', () => {
    const crash = { failover: true, end: '10:20', faults: '  - {at: "10:10", name: lost, crash: p}\n' };
    const r = run('75ms', crash);
    const loss = r.dataLoss[0]!;
    // 10 min at 40 - 27.96 MB/s: about 7.2 GB of WAL, about 3 min of commits at 40 MB/s.
    expect(loss.cause.some((w) => /falls behind p: WAL comes at 40 MB\/s and its stream carries 28 MB\/s, one TCP window/.test(w.text))).toBe(true);
    // With a window for the path nothing is lost.
    expect(run('75ms', { ...crash, link: ', tcp_window: 16MiB' }).dataLoss).toEqual([]);
  });
});

/**
 * Commits waiting for synchronous standbys whose wait an operator ends (pg_cancel_backend, pg_terminate_backend):
 * committed locally, visible, acknowledged with a WARNING (or the connection closed), on no synchronous standby.
 * So they are not lost while the old primary survives, and are lost by a failover to the standby that never
 * received them. Checked on 10.23, 15.18 (Debian) and 18.4: the WARNING and DETAIL lines, the FATAL of a
 * terminated backend, and that a statement_timeout never ends the wait.
 */
import { describe, expect, it } from 'vitest';
import { runScenario } from '../../src/run.ts';
import type { Report } from '../../src/report/types.ts';
import { loadScenarioText } from '../../src/scenario/load.ts';

interface Opts {
  readonly version?: number;
  readonly connections?: number;
  /** The plan after the link is cut at 10:00:00. */
  readonly plan: readonly string[];
}

/** p at site a, its only synchronous standby s1 at site b; the link is cut at 10:00:00 and commits wait. */
function run(o: Opts): Report {
  const v = o.version ?? 15;
  const text = `
name: sync-wait-end
start: 2024-03-04T09:55:00Z
timezone: UTC
end: "10:05"
sites: {a: {}, b: {}}
links:
  - {between: [a, b], bandwidth: 1Gbps, latency: 5ms}
clusters:
  shop:
    nodes:
      p:  {site: a, version: ${v}, role: primary, settings: {synchronous_standby_names: "FIRST 1 (s1)", synchronous_commit: "on"}}
      s1: {site: b, version: ${v}, upstream: p}
    workload: {target: p, site: a, rate: 100/s, wal_per_tx: 1KiB, connections: ${o.connections ?? 10}}
plan:
  - {at: "10:00:00", partition: {sites: [a, b]}}
${o.plan.map((l) => `  - ${l}`).join('\n')}
`;
  return runScenario(loadScenarioText(text, '<sync-wait-end>')).report;
}

const failover = ['{at: "10:01:00", crash: p}', '{at: "10:01:10", promote: s1}', '{at: "10:01:10", route_writes: s1}'];
const lsn = (text: string): number => {
  const [hi, lo] = text.split('/');
  return parseInt(hi!, 16) * 2 ** 32 + parseInt(lo!, 16);
};
const lost = (r: Report): number => r.dataLoss.reduce((a, l) => a + l.commits, 0);
const logOf = (r: Report, n: string): string[] => r.events.filter((e) => e.node === n).flatMap((e) => e.log);

describe('a synchronous commit whose wait is ended', () => {
  it('without it, the failover to the synchronous standby loses no acknowledged commit', () => {
    expect(run({ plan: failover }).dataLoss).toEqual([]);
  });

  it('cancelled, then a failover to the standby that lacks them: the cancelled commits are lost, as many as waited', () => {
    for (const connections of [10, 25]) {
      const r = run({ connections, plan: ['{at: "10:00:30", cancel_waiting_commits: p}', ...failover] });
      // Every connection had one commit waiting: those, and not the ones that waited again after, are lost.
      expect(lost(r)).toBe(connections);
      const why = r.dataLoss[0]!.cause.map((c) => c.text).join('\n');
      expect(why).toContain(`${connections} of them were waiting on p for the synchronous standbys' confirmation at 10:00:30, when their waits were cancelled`);
      expect(r.dataLoss[0]!.from).toBe('2024-03-04T10:00:30Z');
    }
  });

  it('a restart of the primary (fast or immediate) shows the waiting commits to every session: a failover to the standby then loses them', () => {
    // syncrep.c SyncRepWaitForLSN on ProcDiePending; on 15, two INSERTs waiting for an absent standby printed the
    // WARNING at `pg_ctl stop -m fast` and their rows were there after the start.
    const fast = run({ plan: ['{at: "10:00:30", restart: {node: p, mode: fast}}', ...failover] });
    expect(lost(fast)).toBe(10);
    expect(logOf(fast, 'p')).toContain('client backend FATAL:  terminating connection due to administrator command');
    expect(fast.dataLoss[0]!.cause.map((c) => c.text).join('\n')).toContain('at 10:00:30 p started again as a primary with them in its WAL');
    // An immediate stop kills the backends without a word; crash recovery brings the commits back all the same.
    expect(lost(run({ plan: ['{at: "10:00:30", restart: {node: p, mode: immediate}}', ...failover] }))).toBe(10);
  });

  it('a fast stop alone shows them to nobody: the failover to the standby loses no acknowledged commit', () => {
    const r = run({ plan: ['{at: "10:00:30", stop: {node: p, mode: fast}}', '{at: "10:01:10", promote: s1}', '{at: "10:01:10", route_writes: s1}'] });
    expect(r.dataLoss).toEqual([]);
    expect(r.events.some((e) => e.message.startsWith('the fast shutdown of p terminated the wait of 10 commits'))).toBe(true);
  });

  it('cancelled while the old primary survives: nothing is lost, the standby gets them after the link heals', () => {
    const r = run({ plan: ['{at: "10:00:30", cancel_waiting_commits: p}', '{at: "10:02:00", heal: {sites: [a, b]}}'] });
    expect(r.dataLoss).toEqual([]);
    const p = r.nodes.find((n) => n.name === 'p')!;
    const s1 = r.nodes.find((n) => n.name === 's1')!;
    expect(s1.receiver).toBe('streaming');
    const released = r.events.find((e) => e.message.startsWith('cancelled the wait of 10 commits'))!.message.match(/to (\S+)\)/)![1]!;
    expect(lsn(s1.lsn)).toBeGreaterThan(lsn(released));
    // The connections' next commits wait again a tenth of a second after the cancel (10 commits at 100/s), a gap
    // shorter than the stall threshold: they wait until the standby is back, for two reasons in turn: until
    // 10:01:00 s1's walsender on p lives on behind the cut (wal_sender_timeout, cut-walsenders.ts), then no
    // synchronous standby streams. It reconnects at 10:02:03, not at the heal: its connection attempt began at
    // 10:01:00 (wal_receiver_timeout after the cut) and its SYN is retransmitted 1, 3, 7, 15, 31 and 63 s after
    // (reconnect.ts), the first after the heal at +63 s.
    const stalls = r.stalls.filter((s) => s.node === 'p');
    // Then the requests queued in the pool meanwhile (100/s for 123 s) drain: 10 connections each commit once a
    // round of 10 ms, 1,000/s. First in, first out: the head's wait falls by 10 - 1 s a second, from 123 s to
    // the 1 s threshold 13.5 s later.
    expect(stalls.map((s) => [s.from.slice(11, 19), s.to.slice(11, 19), s.causeFact?.kind])).toEqual([
      ['10:00:00', '10:01:00', 'sync-standby-cut-off'],
      ['10:01:00', '10:02:03', 'sync-standbys-missing'],
      ['10:02:03', '10:02:16', 'pool-queue'],
    ]);
    expect(stalls[2]!.causeFact).toMatchObject({ limit: { kind: 'synchronous-standbys', txPerSecond: 1000, connections: 10, roundMs: 10 } });
    expect(p.role).toBe('primary');
  });

  it('the server log: WARNING and DETAIL for a cancel, and the FATAL of a terminated backend (10, 15 and 18 alike)', () => {
    for (const version of [10, 15, 18]) {
      const cancelled = logOf(run({ version, plan: ['{at: "10:00:30", cancel_waiting_commits: p}'] }), 'p');
      expect(cancelled).toContain(
        'client backend WARNING:  canceling wait for synchronous replication due to user request\n\tDETAIL:  The transaction has already committed locally, but might not have been replicated to the standby.',
      );
      const terminated = logOf(run({ version, plan: ['{at: "10:00:30", terminate_waiting_commits: p}'] }), 'p');
      const i = terminated.findIndex((l) => l.startsWith('client backend WARNING:  canceling the wait for synchronous replication and terminating connection due to administrator command'));
      expect(i).toBeGreaterThanOrEqual(0);
      expect(terminated[i + 1]).toBe('client backend FATAL:  terminating connection due to administrator command');
    }
  });

  it('terminated, then a failover: lost like cancelled ones, and the explanation says the clients got no answer', () => {
    const r = run({ plan: ['{at: "10:00:30", terminate_waiting_commits: p}', ...failover] });
    expect(lost(r)).toBe(10);
    expect(r.dataLoss[0]!.cause.map((c) => c.text).join('\n')).toContain('their backends were terminated and their clients lost the connection without an answer');
  });

  it('nothing waiting: nothing is released, and the event says so', () => {
    // The clients stop writing first: a steady stream of commits always has some waiting for their round trip.
    const r = run({
      plan: ['{at: "10:02:00", heal: {sites: [a, b]}}', '{at: "10:02:50", workload: {rate: 0/s}}', '{at: "10:03:00", cancel_waiting_commits: p}', ...failover.map((l) => l.replace('10:01:', '10:04:'))],
    });
    expect(r.events.some((e) => e.message === 'no commit on p was waiting for synchronous standbys')).toBe(true);
    expect(r.dataLoss).toEqual([]);
  });
});

describe('a crash behind a cut link', () => {
  it('delivers nothing to the standby across the cut: what the walsender held is lost with the primary', () => {
    // Asynchronous: p commits on after the cut; its crash 30 s later must not hand s1 those 30 s of WAL.
    const r = run({ plan: ['{at: "10:00:30", crash: p}', '{at: "10:00:40", promote: s1}', '{at: "10:00:40", route_writes: s1}'] });
    expect(r.dataLoss).toEqual([]); // synchronous: nothing acknowledged after the cut
    const p = r.nodes.find((n) => n.name === 'p')!;
    const s1 = r.nodes.find((n) => n.name === 's1')!;
    expect(lsn(p.lsn) - lsn(s1.lsn)).toBeGreaterThan(0);
    expect(s1.timeline).toBe(2);
  });
});

describe('an asynchronous primary behind a cut', () => {
  it("keeps acknowledging at its flush until it crashes: the failover loses the commits on the wire (the ack never freezes)", () => {
    // The import at 10:00 and its end at 10:05 change the rate twice; a rounding there once left the
    // acknowledgement a fraction of a byte ahead of the WAL and stopped it for good (no loss found).
    const text = (bandwidth: string) => `
name: async-ack
start: 2024-09-12T09:50:00Z
end: "10:30"
sites: {fra: {}, ams: {}, app: {}}
links:
  - {between: [fra, ams], bandwidth: ${bandwidth}, latency: 8ms}
  - {between: [app, fra], bandwidth: 10Gbps, latency: 2ms}
  - {between: [app, ams], bandwidth: 10Gbps, latency: 6ms}
clusters:
  orders:
    nodes:
      a: {site: fra, version: 16, role: primary, settings: {wal_keep_size: 16GB}}
      c: {site: fra, version: 16, upstream: a}
      b: {site: ams, version: 16, upstream: a}
    workload: {target: a, site: app, rate: 800/s, wal_per_tx: 4KiB, connections: 40}
plan:
  - {at: "10:00", workload: {rate: 2000/s, wal_per_tx: 8KiB}}
  - {at: "10:05", workload: {rate: 800/s, wal_per_tx: 4KiB}}
  - {at: "10:06", partition: {sites: [fra, ams]}}
  - {at: "10:06", partition: {sites: [app, fra]}}
  - {at: "10:06", crash: a}
  - {at: "10:06", crash: c}
  - {at: "10:10", promote: b}
  - {at: "10:10", route_writes: b}
`;
    const r = runScenario(loadScenarioText(text('1Gbps'), '<async-ack>')).report;
    // 800 commits/s x 8 ms on the wire: 6.4, the partial one counted as its end was acknowledged.
    expect(lost(r)).toBeGreaterThanOrEqual(6);
    expect(lost(r)).toBeLessThanOrEqual(8);
    // b hears nothing of the crash behind the cut: it gives up at wal_receiver_timeout, then times out connecting.
    const b = r.events.filter((e) => e.node === 'b');
    expect(b.find((e) => e.message.includes('lost its connection'))!.at.slice(11, 19)).toBe('10:07:00');
    expect(b.flatMap((e) => e.log).some((l) => l.includes('Connection timed out'))).toBe(true);
    expect(b.flatMap((e) => e.log).some((l) => l.includes('Connection refused') || l.includes('server closed the connection'))).toBe(false);
  });
});

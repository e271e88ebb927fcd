/**
 * A synchronous standby a network cut silences: its walsender on the primary lives on until wal_sender_timeout
 * (walsender.c WalSndCheckTimeOut), and stays the synchronous standby meanwhile (syncrep.c), so commits wait for
 * that long although another listed standby streams (cut-walsenders.ts).
 */
import { describe, expect, it } from 'vitest';
import { seconds, type Micros } from '../../src/engine/time.ts';
import { runScenario } from '../../src/run.ts';
import { loadScenarioText } from '../../src/scenario/load.ts';
import type { Action, SynchronousStandbyNames } from '../../src/scenario/types.ts';
import { action, buildScenario, node } from '../support/builder.ts';

const T = seconds(120);

interface Case {
  sync: SynchronousStandbyNames;
  /** p's wal_sender_timeout, µs (undefined: the default, 60 s). */
  walSenderTimeout?: number;
  /** s1's path heals at this time. */
  healAt?: Micros;
  end?: Micros;
  /** s1 crashes at T too, before the cut in the list: a host that died. */
  hostDies?: boolean;
}

/** p at site a; s1 alone at site c, s2 at site b; s1's site is cut off at T (after s1 crashes there: a dead host). */
function run(c: Case) {
  const actions: Action[] = [action(T, { kind: 'partition', target: { kind: 'link', sites: ['a', 'c'] } }, 'faults')];
  if (c.hostDies) actions.unshift(action(T, { kind: 'crash', node: 's1' }, 'faults'));
  if (c.healAt !== undefined) actions.push(action(c.healAt, { kind: 'heal', target: { kind: 'link', sites: ['a', 'c'] } }, 'faults'));
  return runScenario(
    buildScenario({
      end: c.end ?? seconds(1800),
      sites: ['a', 'b', 'c'],
      links: [
        { between: ['a', 'b'], bandwidth: 125_000_000, latency: 2000 as Micros },
        { between: ['a', 'c'], bandwidth: 125_000_000, latency: 2000 as Micros },
        { between: ['b', 'c'], bandwidth: 125_000_000, latency: 2000 as Micros },
      ],
      nodes: [
        node('p', 'a', 16, { settings: { synchronousStandbyNames: c.sync, ...(c.walSenderTimeout !== undefined ? { walSenderTimeout: c.walSenderTimeout as Micros } : {}) } }),
        node('s1', 'c', 16, { upstream: 'p' }),
        node('s2', 'b', 16, { upstream: 'p' }),
      ],
      workload: { target: 'p', site: 'a', rate: 200, walPerTx: 2048, connections: 50 },
      actions,
    }),
  ).report;
}

const first = (names: string[]): SynchronousStandbyNames => ({ method: 'first', num: 1, names });
const any = (names: string[]): SynchronousStandbyNames => ({ method: 'any', num: 1, names });

/**
 * Seconds of write stalls in all, but for the pool's queue draining afterwards (drained below). The stall begins
 * when every connection waits, 0.246 s after the cut, which is also when s2 last receives WAL; once s1's
 * walsender has gone, s2's walsender releases the commits at s2's next reply (syncrep.c SyncRepReleaseWaiters
 * runs only on a reply), a whole number of wal_receiver_status_interval (10 s) after that: so a stall of
 * wal_sender_timeout rounded up to 10 s (+ a microsecond of rounding).
 */
function stalled(r: ReturnType<typeof run>): number {
  return r.stalls.filter((s) => s.causeFact?.kind !== 'pool-queue').reduce((a, s) => a + s.seconds, 0);
}

describe('a synchronous standby cut off by the network holds commits until its walsender times out', () => {
  it('FIRST 1 (s1, s2), s1 cut off: commits wait for wal_sender_timeout, then s2 takes over', () => {
    const r = run({ sync: first(['s1', 's2']) });
    // Cut off, then s1's walsender gone and s2's next reply awaited (0.246 s: see stalled).
    expect(r.stalls.filter((s) => s.causeFact?.kind !== 'pool-queue').map((s) => s.causeFact?.kind)).toEqual(['sync-standby-cut-off', 'sync-standby-reply']);
    // The 12,000 requests queued in the pool meanwhile drain in about a second once s2 confirms (below).
    const drain = r.stalls.filter((s) => s.causeFact?.kind === 'pool-queue');
    expect(drain).toHaveLength(1);
    expect(drain[0]!.seconds).toBeLessThan(1);
    expect(stalled(r)).toBeGreaterThan(59);
    expect(stalled(r)).toBeLessThanOrEqual(60.001);
    expect(r.stalls[0]!.causeFact).toMatchObject({ kind: 'sync-standby-cut-off', node: 'p', standby: 's1' });
    const exit = r.events.find((e) => (e.fact as { kind: string }).kind === 'walsender-exited');
    expect(exit?.node).toBe('p');
    expect(exit?.log.some((l) => l.includes('terminating walsender process due to replication timeout'))).toBe(true);
    // s2 becomes the synchronous standby only when s1's walsender has gone (announced at s2's next reply).
    const s2 = r.events.find((e) => (e.fact as { kind: string }).kind === 'sync-standby' && (e.fact as unknown as { node: string }).node === 's2');
    expect(Date.parse(s2!.at) - Date.parse(exit!.at)).toBeGreaterThanOrEqual(0);
    expect(Date.parse(s2!.at) - Date.parse(exit!.at)).toBeLessThan(1000);
  });

  it('a dead host (a crash and a cut at one instant, in either order) holds commits the same; a crash alone does not', () => {
    const dead = run({ sync: first(['s1', 's2']), hostDies: true });
    expect(stalled(dead)).toBeGreaterThan(59);
    expect(stalled(dead)).toBeLessThanOrEqual(60.001);
    expect(dead.stalls[0]!.causeFact).toMatchObject({ kind: 'sync-standby-cut-off', standby: 's1' });
    const crashOnly = runScenario(
      buildScenario({
        end: seconds(600),
        nodes: [node('p', 'a', 16, { settings: { synchronousStandbyNames: first(['s1', 's2']) } }), node('s1', 'b', 16, { upstream: 'p' }), node('s2', 'b', 16, { upstream: 'p' })],
        workload: { target: 'p', site: 'a', rate: 200, walPerTx: 2048, connections: 50 },
        actions: [action(T, { kind: 'crash', node: 's1' }, 'faults')],
      }),
    ).report;
    // The kernel of s1's host closes its connection: p's walsender exits at once and s2 takes over.
    expect(crashOnly.stalls).toEqual([]);
  });

  it('the stall moves with wal_sender_timeout', () => {
    const short = stalled(run({ sync: first(['s1', 's2']), walSenderTimeout: seconds(10) }));
    const long = stalled(run({ sync: first(['s1', 's2']), walSenderTimeout: seconds(300) }));
    expect(short).toBeGreaterThan(9);
    expect(short).toBeLessThanOrEqual(10.001);
    expect(long).toBeGreaterThan(299);
    expect(long).toBeLessThanOrEqual(300.001);
  });

  it('with wal_sender_timeout = 0 the walsender lives until TCP gives up on its data (tcp_retries2: 924.6 s)', () => {
    const r = run({ sync: first(['s1', 's2']), walSenderTimeout: 0 });
    // The walsender exits 924.6 s after the cut, s2 next replies 930.246 s after it (see stalled).
    expect(stalled(r)).toBeGreaterThan(929.99);
    expect(stalled(r)).toBeLessThanOrEqual(930.001);
    // The 200 requests/s that queued in the pool meanwhile (no queue_timeout) drain once s2 confirms: its 50
    // connections commit one per round of 4 ms (12,500/s). First in, first out: the request served at the
    // head of the queue waited 930 s (from 0.246 s after the cut to s2's reply), and each second the head moves
    // past 62.5 s of arrivals, so the requests served wait past the 1 s threshold for (930 - 1) / (62.5 - 1) s more.
    const drain = r.stalls.filter((s) => s.causeFact?.kind === 'pool-queue');
    expect(drain).toHaveLength(1);
    expect(drain[0]!.causeFact).toMatchObject({ limit: { kind: 'synchronous-standbys', txPerSecond: 12_500, connections: 50 } });
    expect(drain[0]!.seconds).toBeCloseTo((930 - 1) / (12_500 / 200 - 1), 2);
    // The first request queued when the commits began to wait is served when they stop: it waited all of it.
    expect(drain[0]!.maxLatencyMs).toBe(930_000);
    expect(r.events.find((e) => (e.fact as { kind: string }).kind === 'walsender-exited')?.log.some((l) => l.includes('could not send data to client: Connection timed out'))).toBe(true);
  });

  it('a heal before the timeout resumes the same connection: the stall ends at the heal, and no walsender exits', () => {
    const r = run({ sync: first(['s1', 's2']), walSenderTimeout: seconds(300), healAt: (T + seconds(30)) as Micros });
    expect(stalled(r)).toBeGreaterThan(29);
    expect(stalled(r)).toBeLessThan(31);
    expect(r.events.some((e) => (e.fact as { kind: string }).kind === 'walsender-exited')).toBe(false);
  });

  it('ANY 1 (s1, s2): s2 confirms, nothing waits; and a cut standby that is not synchronous holds nothing', () => {
    expect(run({ sync: any(['s1', 's2']) }).stalls).toEqual([]);
    expect(run({ sync: first(['s2', 's1']) }).stalls).toEqual([]);
  });
});

describe("Patroni's synchronous_mode sees the cut-off standby as pg_stat_replication does", () => {
  const yaml = (pg1Settings: string) => `name: patroni-sync-cut
start: 2024-03-04T10:00:00Z
timezone: UTC
end: "10:20"
sites: [a, b, c, d]
links:
  - {between: [a, b], bandwidth: 1Gbps, latency: 2ms}
  - {between: [a, c], bandwidth: 1Gbps, latency: 2ms}
  - {between: [b, c], bandwidth: 1Gbps, latency: 2ms}
  - {between: [a, d], bandwidth: 1Gbps, latency: 2ms}
  - {between: [b, d], bandwidth: 1Gbps, latency: 2ms}
  - {between: [c, d], bandwidth: 1Gbps, latency: 2ms}
clusters:
  shop:
    nodes:
      pg1: {site: a, version: 16${pg1Settings}}
      pg2: {site: b, version: 16, upstream: pg1}
      pg3: {site: c, version: 16, upstream: pg1}
    workloads:
      app: {target: pg1, site: a, rate: 200/s, wal_per_tx: 2KiB}
    failover:
      policy: patroni
      dcs: {type: etcd3, members: {e1: a, e2: c, e3: d}}
      loop_wait: 10s
      ttl: 30s
      retry_timeout: 10s
      synchronous_mode: true
faults:
  - {at: "10:05", name: cut-b, partition: pg2}
`;

  it('it picks another synchronous standby once the walsender has gone (then within loop_wait)', () => {
    // wal_sender_timeout 10 s: the walsender of the cut-off pg2 exits first (pg2's member key is there 20-30 s more).
    const r = runScenario(loadScenarioText(yaml(', settings: {wal_sender_timeout: 10s}'), '<patroni-sync-cut>')).report;
    const kinds = r.stalls.map((s) => s.causeFact?.kind);
    // Then the pool's queue drains (pool-queue), the requests served first having waited since the cut.
    // Patroni names pg3 at 10:05:18.6; pg3, idle while every commit waits, releases them at its next status reply
    // (20 s after it last received WAL, when every connection began to wait at 10:05:00.5).
    expect(kinds).toEqual(['sync-standby-cut-off', 'sync-standbys-missing', 'sync-standby-reply', 'pool-queue']);
    const total = stalled(r as ReturnType<typeof run>);
    expect(total).toBeGreaterThan(10);
    expect(total).toBeLessThan(21);
    expect(r.stalls[1]!.from).toBe(r.stalls[0]!.to);
  });

  it("or once the cut-off standby's member key has expired, if that comes first (postgresql/sync.py _ReplicaList keeps members only)", () => {
    // The default wal_sender_timeout (60 s) outlives pg2's member key: its Patroni, cut off with it, last touched
    // it at most loop_wait before the cut, and it expires ttl (30 s) after that; the leader's next loop (within
    // loop_wait) picks pg3 while pg_stat_replication still lists pg2.
    const r = runScenario(loadScenarioText(yaml(''), '<patroni-sync-cut>')).report;
    expect(r.stalls.map((s) => s.causeFact?.kind)).toEqual(['sync-standby-cut-off', 'sync-standby-reply', 'pool-queue']);
    const total = stalled(r as ReturnType<typeof run>);
    expect(total).toBeGreaterThan(20);
    expect(total).toBeLessThan(41);
  });
});

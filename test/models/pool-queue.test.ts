/**
 * The client pool's queue (models/postgres/load.ts PoolQueue, writes.ts): requests arrive at the offered rate
 * whatever is served (an open loop), what the node does not commit queues, first in, first out, and a served
 * request waited when the request at the head of the queue has waited past the stall threshold.
 */
import { describe, expect, it } from 'vitest';
import type { Micros } from '../../src/engine/time.ts';
import { PoolQueue } from '../../src/models/postgres/load.ts';
import type { PgNode } from '../../src/models/postgres/node.ts';
import { runScenario } from '../../src/run.ts';
import { loadScenarioText } from '../../src/scenario/load.ts';

const S = 1e6;

describe('PoolQueue: first in, first out', () => {
  it("the head's wait grows by 1 - served/arriving a second, and falls once fewer arrive than are served", () => {
    const q = new PoolQueue(0 as Micros, null);
    // 1,000/s offered, 200/s served: the head's wait passes 1 s at 1.25 s (a breakpoint just after).
    let c = q.course(0 as Micros, 1000, 200, false, S);
    expect(c.rates).toEqual({ offered: 1000, succeeded: 200, waited: 0, failed: 0 });
    expect(c.next).toBe(1_250_001);
    c = q.course(c.next as Micros, 1000, 200, false, S);
    expect(c.rates.waited).toBe(200);
    // At 10 s: 8,000 queued; the head is the request that came when 2,000 had (at 2 s): it waited 8 s.
    expect(q.at((10 * S) as Micros)).toBeCloseTo(8000, 6);
    expect(q.waitAt((10 * S) as Micros)).toBeCloseTo(8 * S, 0);
    // Then 100/s arrive and 1,000/s are served: the head passes the requests that came at 1,000/s (8,000 of
    // them, 8 s) with its wait still rising by 0 a second, then those that come at 100/s: falling by 9 s a second.
    c = q.course((10 * S) as Micros, 100, 1000, false, S);
    expect(c.rates.waited).toBe(1000);
    // The next change: the head reaches the requests that came from 10 s on, 8 s later (a microsecond past).
    expect(c.next).toBe(18 * S + 1);
    c = q.course(c.next as Micros, 100, 1000, false, S);
    expect(q.waitAt((18 * S) as Micros)).toBeCloseTo(8 * S, 0);
    // From 8 s down to the 1 s threshold at 9 s a second: 7/9 s later; the queue (800 left) drains by 18.89 s.
    expect(c.next).toBe(18 * S + Math.floor((7 / 9) * S) + 1);
    c = q.course(c.next as Micros, 100, 1000, false, S);
    expect(c.rates).toEqual({ offered: 100, succeeded: 1000, waited: 0, failed: 0 });
  });

  it('a queue whose server goes away fails with it and starts again empty', () => {
    const q = new PoolQueue(0 as Micros, null);
    const server = {} as PgNode;
    expect(q.drop(0 as Micros, server)).toBe(0);
    q.course(0 as Micros, 1000, 0, false, S);
    expect(q.drop((5 * S) as Micros, server)).toBe(0);
    expect(q.drop((5 * S) as Micros, null)).toBeCloseTo(5000, 6);
    expect(q.waitAt((5 * S) as Micros)).toBe(0);
  });
});

/** p at dc1, its synchronous standby s1 at dc2 behind a link of `link`; 1,000 commits/s of 1 KiB offered. */
function thin(link: string, extra = '', calm = '500/s') {
  const text = `
name: sync-thin-link
start: 2024-03-04T10:00:00Z
timezone: UTC
end: "10:10"
sites: [dc1, dc2]
links:
  - {between: [dc1, dc2], bandwidth: ${link}, latency: 2ms}
clusters:
  shop:
    nodes:
      p:  {site: dc1, version: 15, role: primary, settings: {synchronous_standby_names: "FIRST 1 (s1)", synchronous_commit: "on"}}
      s1: {site: dc2, version: 15, upstream: p}
    workload: {target: p, rate: 1000/s, wal_per_tx: 1KiB, connections: 50${extra}}
faults:
  - {at: "10:05:00", name: calm, workload: {rate: ${calm}}}
`;
  return runScenario(loadScenarioText(text, '<sync-thin-link>')).report;
}

describe('a synchronous standby behind a link thinner than the offered WAL', () => {
  it('commits go at what the link carries, the rest queue in the pool: a stall that names the synchronous standbys', () => {
    // 8 Mbit/s = 1,000,000 B/s, of which the stream carries 97% (the headers take the rest): 970,000 B/s =
    // 947.3 commits/s of 1 KiB, of the 1,000/s offered.
    const r = thin('8Mbps');
    const [during, after] = r.stalls;
    expect(r.stalls).toHaveLength(2);
    expect(during!.causeFact).toMatchObject({ kind: 'pool-queue', limit: { kind: 'synchronous-standbys', txPerSecond: 947, connections: 50 }, offered: 1000 });
    // The window of 50 commits fills in about 1 s; from then on the head, served at 947.3/s of requests that
    // arrived at 1,000/s, waits 1 - 0.9473 = 0.053 s longer every second, and passes 1 s some 19 s later.
    expect(during!.from).toMatch(/^2024-03-04T10:00:(19|20)/);
    expect(during!.to).toBe('2024-03-04T10:05:00Z');
    // At 10:05 the head has waited 0.0527 x 299 s: about 15.8 s (15,770 requests queued).
    expect(during!.maxLatencyMs).toBeGreaterThan(15_600);
    expect(during!.maxLatencyMs).toBeLessThan(15_950);
    // At 500/s the queue drains at the link's 947/s: the requests of before 10:05 are served by 10:05:16.6,
    // the last of them having waited 16.6 s; then the head's wait falls by 947.3/500 - 1 = 0.89 s a second,
    // below 1 s about 17.5 s later.
    expect(after!.causeFact).toMatchObject({ kind: 'pool-queue', offered: 500 });
    expect(after!.from).toBe('2024-03-04T10:05:00Z');
    expect(after!.seconds).toBeGreaterThan(32);
    expect(after!.seconds).toBeLessThan(36);
    const q = r.requests[0]!;
    expect(q.failed).toBe(0);
    expect(q.queuedAtEnd).toBe(0);
    expect(q.waited / q.offered).toBeGreaterThan(0.5);
    // The queue as a series (the chart's panel): from its first request, up to about 15,770 at 10:05, then empty.
    const series = r.series!.find((s) => s.name === 'shop clients queued requests')!;
    expect(series.points[0]![1]).toBe(0);
    expect(Math.max(...series.points.map(([, v]) => v))).toBeGreaterThan(15_500);
    expect(series.points.at(-1)![1]).toBe(0);
  });

  it('clients that stop sending still get what they queued: it drains at what the link carries', () => {
    const r = thin('8Mbps', '', '0/s');
    const after = r.stalls[1]!;
    expect(after.causeFact).toMatchObject({ kind: 'pool-queue', offered: 0 });
    // About 15,770 queued at 10:05 drain at 947.3/s: the last served had waited about 16.65 s.
    expect(after.seconds).toBeGreaterThan(16.4);
    expect(after.seconds).toBeLessThan(16.9);
    expect(r.requests[0]!.queuedAtEnd).toBe(0);
    expect(r.requests[0]!.failed).toBe(0);
  });

  it('the outcome moves with the link: 9 Mbit/s carries the 1,000/s, and nothing waits', () => {
    const r = thin('9Mbps');
    expect(r.stalls).toEqual([]);
    expect(r.series ?? []).toEqual([]);
    expect(r.requests[0]!.succeeded).toBe(r.requests[0]!.offered);
  });

  it('with queue_timeout the excess fails instead of queueing without end', () => {
    const r = thin('8Mbps', ', queue_timeout: 2s');
    const q = r.requests[0]!;
    expect(q.failed).toBeGreaterThan(0);
    expect(q.queuedAtEnd).toBe(0);
    for (const s of r.stalls) expect(s.maxLatencyMs).toBeLessThanOrEqual(2000);
  });
});

/** p at dc1 with standbys at other sites (one-way latencies), `names` as synchronous_standby_names. */
function sync(o: { standbys: Record<string, string>; names: string; workload: string; faults: string; end?: string }) {
  const sites = Object.keys(o.standbys).map((_, i) => `dc${i + 2}`);
  const text = `
name: sync-queue
start: 2024-03-04T10:00:00Z
timezone: UTC
end: "${o.end ?? '10:05'}"
sites: [dc1, ${sites.join(', ')}]
links:
${Object.values(o.standbys).map((lat, i) => `  - {between: [dc1, ${sites[i]}], bandwidth: 10Gbps, latency: ${lat}}`).join('\n')}
clusters:
  c:
    nodes:
      p:  {site: dc1, version: 16, settings: {synchronous_standby_names: "${o.names}"}}
${Object.keys(o.standbys).map((n, i) => `      ${n}: {site: ${sites[i]}, version: 16, upstream: p}`).join('\n')}
    workload: {target: p, ${o.workload}}
faults:
${o.faults}
`;
  return runScenario(loadScenarioText(text, '<sync-queue>')).report;
}

describe('what bounds the commits, and what their queue shows', () => {
  it('ANY 2 of three, the fastest cut off: commits wait for the slowest, 100 ms a round (one stall, not one per recomputation)', () => {
    const r = sync({ standbys: { s1: '1ms', s2: '5ms', s3: '50ms' }, names: 'ANY 2 (s1, s2, s3)', workload: 'rate: 1500/s, wal_per_tx: 2KiB, connections: 20', faults: '  - {at: "10:02", partition: s1}', end: '10:06' });
    expect(r.stalls).toHaveLength(1);
    expect(r.stalls[0]!.causeFact).toMatchObject({ kind: 'pool-queue', limit: { kind: 'synchronous-standbys', txPerSecond: 200, roundMs: 100 } });
    // 1,300/s more offered than committed from 10:02 for 4 min.
    expect(r.requests[0]!.queuedAtEnd).toBe(312_000);
  });

  it('a slowed disk under synchronous commit: the local flush and the round add up (Little), 10 / 40 ms', () => {
    const r = sync({ standbys: { s1: '10ms' }, names: 's1', workload: 'rate: 1000/s, wal_per_tx: 2KiB, connections: 10, queue_timeout: 5s', faults: '  - {at: "10:02", slow_node: {node: p, disk: 21}}' });
    const limits = r.stalls.map((s) => (s.causeFact as { limit?: { txPerSecond: number } }).limit?.txPerSecond);
    expect(limits).toEqual([500, 250]);
  });

  it('each connection commits one transaction at a time: 10 connections at 1.2 ms a commit take 8,333/s, the rest queue', () => {
    const r = sync({ standbys: {}, names: '', workload: 'rate: 10000/s, wal_per_tx: 1KiB, connections: 10', faults: '  []' });
    expect(r.stalls).toHaveLength(1);
    expect(r.stalls[0]!.causeFact).toMatchObject({ kind: 'pool-queue', limit: { kind: 'connections', txPerSecond: 8333, connections: 10, commitMs: 1.2 } });
    expect(r.requests[0]!.queuedAtEnd).toBeCloseTo((10_000 - 10 / 0.0012) * 300, -2);
  });

  it('clients that stop sending: the last request served had waited since they stopped', () => {
    const r = sync({ standbys: { s1: '10ms' }, names: 'FIRST 1 (s1)', workload: 'rate: 1000/s, wal_per_tx: 2KiB, connections: 10', faults: '  - {at: "10:01:00", workload: {rate: 0/s}}', end: '10:10' });
    // 10 connections, a 20 ms round: 500/s; 30,000 queued at 10:01 drain by 10:02, the last having come at 10:01.
    expect(r.stalls.at(-1)!.to).toMatch(/^2024-03-04T10:02:0[01]/);
    expect(r.stalls.at(-1)!.maxLatencyMs).toBeGreaterThan(59_000);
    expect(r.requests[0]!.queuedAtEnd).toBe(0);
  });
});

describe('PoolQueue: queue_timeout', () => {
  it('when the rate served falls, the queue beyond timeout x served times out at once (failed, not left queued)', () => {
    const q = new PoolQueue(0 as Micros, (5 * S) as Micros);
    // 5 s x 500/s: the queue stops at 2,500, reached at 5 s; from then on the excess fails.
    let t = 0;
    let rates = q.course(0 as Micros, 1000, 500, false, S);
    while (rates.next <= 5 * S + 1) {
      t = rates.next;
      rates = q.course(t as Micros, 1000, 500, false, S);
    }
    expect(t).toBe(5 * S + 1);
    expect(rates.rates.failed).toBe(500);
    const c = q.course((10 * S) as Micros, 1000, 250, false, S);
    expect(c.timedOut).toBeCloseTo(1250, 6);
    expect(q.at((10 * S) as Micros)).toBeCloseTo(1250, 6);
  });
});

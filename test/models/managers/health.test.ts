import { describe, expect, it } from 'vitest';
import { factText } from '../../../src/report/facts/index.ts';
import { RandomStreams } from '../../../src/engine/random.ts';
import { seconds, type Micros } from '../../../src/engine/time.ts';
import { probe } from '../../../src/models/managers/health.ts';
import { Network } from '../../../src/models/network/network.ts';
import { PgNode } from '../../../src/models/postgres/node.ts';
import { resolveSettings } from '../../../src/models/postgres/settings.ts';
import { TimelineRegistry } from '../../../src/models/postgres/timeline.ts';
import { runScenario } from '../../../src/run.ts';
import { loadScenarioText } from '../../../src/scenario/load.ts';
import type { HealthCheckSpec } from '../../../src/scenario/types-managers.ts';
import { action, buildScenario, node } from '../../support/builder.ts';

const s = (n: number) => seconds(n);

/** A primary p and a standby s1 at site a, a naive manager at site m checking p with `health`. */
function managed(health: HealthCheckSpec | undefined, faults: ReturnType<typeof action>[], end = 600) {
  return runScenario(
    buildScenario({
      end: s(end),
      sites: ['a', 'm'],
      links: [{ between: ['a', 'm'], bandwidth: 125_000_000, latency: 1000 as Micros }],
      nodes: [node('p', 'a', 16), node('s1', 'a', 16, { upstream: 'p' })],
      workload: { target: 'p', rate: 100, walPerTx: 2048 },
      failover: { policy: 'naive', site: 'm', candidates: ['s1'], ...(health ? { health } : {}) },
      actions: faults,
    }),
  );
}

const latencyCheck: HealthCheckSpec = { probe: 'write', timeout: s(5), latencyThreshold: 500_000 as Micros, failures: 3 };
const slowDisk = action(s(60), { kind: 'slowNode', node: 'p', cpu: null, disk: 1000 }, 'faults');

describe('health checks (managers/health.ts)', () => {
  it('a latency check catches a degraded disk that a reachability check misses', () => {
    // Each fsync takes 1000 x the nominal 1 ms: a write probe answers in about 1 s, over the 500 ms threshold.
    const reach = managed(undefined, [slowDisk]);
    expect(reach.history.promotions).toEqual([]);
    const lat = managed(latencyCheck, [slowDisk]);
    expect(lat.history.promotions.map((p) => p.node)).toEqual(['s1']);
    const p = lat.history.promotions[0]!;
    // Three failed checks at 60, 70 and 80 s (known about 1 s later); the last healthy one at 50 s, timeout 30 s.
    expect(p.at).toBeGreaterThanOrEqual(s(80));
    expect(p.at).toBeLessThanOrEqual(s(82));
    const d = lat.history.failoverDecisions.find((x) => x.chosen === 's1')!;
    expect(factText(d.saw!)).toMatch(/3 write checks in a row failed \(the last: answered in 1 s, over the 500 ms threshold\)/);
  });

  it('a disk whose throughput collapses: commits queue behind its WAL, a write check with a latency threshold fails over, a read check does not', () => {
    // 0.02% of the default 500 MB/s is 100 kB/s: 49 (48.8) of the 100 transactions/s of 2 KiB; the 100 connections'
    // WAL (200 KiB) is ahead of each commit: a write probe answers in about 2 s.
    const collapse = (share: number) => action(s(60), { kind: 'slowNode', node: 'p', cpu: null, disk: null, diskThroughput: share }, 'faults');
    const lat = managed(latencyCheck, [collapse(0.0002)]);
    expect(lat.history.promotions.map((p) => p.node)).toEqual(['s1']);
    expect(factText(lat.history.failoverDecisions.find((x) => x.chosen === 's1')!.saw!)).toMatch(/3 write checks in a row failed \(the last: answered in 2(\.\d)? s, over the 500 ms threshold\)/);
    const stall = lat.report.stalls[0]!;
    expect(stall.cause).toMatch(/p commits at most 49 transactions\/s: p: its disk's throughput collapsed to 0\.02% \(100 kB\/s\)/);
    expect(lat.report.requests[0]!.waited).toBeGreaterThan(0);
    // A read check with the same threshold is served from memory: no failover, the stall lasts to the end.
    const read = managed({ ...latencyCheck, probe: 'read' }, [collapse(0.0002)]);
    expect(read.history.promotions).toEqual([]);
    expect(read.report.stalls.at(-1)!.to).toBe(read.report.end);
    // A collapse the workload still fits in (50%: 250 MB/s) changes nothing.
    const fits = managed(latencyCheck, [collapse(0.5)]);
    expect(fits.history.promotions).toEqual([]);
    expect(fits.report.stalls).toEqual([]);
  });

  it('a read check with a threshold catches a saturated CPU; a healthy node passes it', () => {
    const cpu = action(s(60), { kind: 'slowNode', node: 'p', cpu: 5000, disk: null }, 'faults');
    const read = { ...latencyCheck, probe: 'read' as const };
    expect(managed(read, [cpu]).history.promotions.map((p) => p.node)).toEqual(['s1']);
    expect(managed(read, []).history.promotions).toEqual([]);
    // The write probe passes while the CPU is only 100x slower (40 ms of CPU, 1 ms of fsync).
    expect(managed(latencyCheck, [action(s(60), { kind: 'slowNode', node: 'p', cpu: 100, disk: null }, 'faults')]).history.promotions).toEqual([]);
  });

  it('N consecutive failures: one failed check in between healthy ones triggers nothing', () => {
    // The leader is cut off for 15 s: one or two checks fail, never three in a row.
    const blip = [action(s(95), { kind: 'partition', target: { kind: 'node', node: 'p' } }, 'faults'), action(s(110), { kind: 'heal', target: { kind: 'node', node: 'p' } }, 'faults')];
    const check: HealthCheckSpec = { probe: 'connect', timeout: s(2), latencyThreshold: null, failures: 3 };
    expect(managed({ ...check, failures: 1 }, blip).history.promotions).toEqual([]);
    const long = [action(s(95), { kind: 'partition', target: { kind: 'node', node: 'p' } }, 'faults')];
    const r = managed(check, long);
    // Checks at 100, 110, 120 fail (known at +2 s); the last healthy one was at 90 s.
    expect(r.history.promotions.map((p) => [p.node, p.at])).toEqual([['s1', s(122)]]);
  });

  it('a one-way partition fails the checks whichever way it cuts (a check needs an answer)', () => {
    const check: HealthCheckSpec = { probe: 'connect', timeout: s(2), latencyThreshold: null, failures: 1 };
    // Cut between the primary and the manager's site only (the candidate at the primary's site stays reachable).
    for (const [from, to] of [['p', 'm'], ['m', 'p']] as const) {
      const r = managed(check, [action(s(60), { kind: 'oneWayPartition', from, to }, 'faults')]);
      expect(r.history.promotions.map((p) => p.node)).toEqual(['s1']);
    }
  });

  it('a one-way cut delivers one way: heartbeats pass, connections (both ways) do not', () => {
    const net = new Network([{ between: ['a', 'b'], bandwidth: 1e8, latency: 1000 as Micros }], { bandwidth: 1e9, latency: 100 as Micros });
    const x = { name: 'x', site: 'a' };
    const y = { name: 'y', site: 'b' };
    net.cutOneWay('x', 'b');
    expect([net.delivers(x, y), net.delivers(y, x), net.reachable(x, y), net.reachable(y, x)]).toEqual([false, true, false, false]);
    net.healOneWay('x', 'b');
    expect(net.reachable(x, y)).toBe(true);
  });

  it('packet loss: probes fail more often the more is lost, deterministically per seed; no loss, no failure', () => {
    const net = new Network([{ between: ['a', 'm'], bandwidth: 1e8, latency: 1000 as Micros }], { bandwidth: 1e9, latency: 100 as Micros });
    const tl = new TimelineRegistry().create(1, null, 0, 'x', null, 0 as Micros);
    const n = new PgNode('c', node('p', 'a', 16), resolveSettings(16, 'p', {}), tl, 0, 0 as Micros);
    const from = { name: 'checker', site: 'm' };
    const check: HealthCheckSpec = { probe: 'read', timeout: s(2), latencyThreshold: null, failures: 1 };
    const failures = (loss: number, seed: number) => {
      net.setLoss('a', 'm', loss);
      const rng = new RandomStreams(seed).stream('probe');
      let failed = 0;
      for (let i = 0; i < 2000; i++) if (!probe(net, from, n, check, rng).ok) failed++;
      return failed;
    };
    expect(failures(0, 1)).toBe(0);
    const low = failures(0.05, 1);
    const high = failures(0.3, 1);
    expect(low).toBeGreaterThan(0);
    expect(high).toBeGreaterThan(3 * low);
    expect(failures(0.3, 1)).toBe(high);
    // The same loss without a timeout short enough to matter: retransmissions only make checks slower.
    expect(failures(0.05, 1)).toBe(low);
  });

  it('a degraded disk slows the commits it serves: a stall once a commit takes longer than the stall threshold', () => {
    const r = managed(undefined, [action(s(60), { kind: 'slowNode', node: 'p', cpu: null, disk: 3000 }, 'faults'), action(s(120), { kind: 'slowNode', node: 'p', cpu: null, disk: 1 }, 'faults')], 300).report;
    expect(r.stalls).toHaveLength(1);
    expect(r.stalls[0]!.cause).toBe('each commit on p takes 3 s: p: its disk serves fsyncs 3000x slower (3 s each)');
    // And while the requests it queued drain, the first of them having waited 40 s (below): 0.05 s more.
    expect(r.stalls[0]!.seconds).toBeCloseTo(60 + 39 / (100 / 0.0012 / 100 - 1), 3);
    // 100 connections, 3 s per commit: 33.3 commits/s instead of 100 for a minute; the other 4,000 requests
    // queue in the pool and commit once the disk is back (in a twentieth of a second: 100 connections at 1.2 ms
    // a commit), so the WAL ends where it does without the fault.
    const wal = r.nodes.find((n) => n.name === 'p')!.lsn;
    const full = managed(undefined, [], 300).report.nodes.find((n) => n.name === 'p')!.lsn;
    const bytes = (lsn: string) => parseInt(lsn.split('/')[0]!, 16) * 2 ** 32 + parseInt(lsn.split('/')[1]!, 16);
    expect(Math.abs(bytes(full) - bytes(wal))).toBeLessThan(2048);
    // Waited past the 1 s threshold: the 2,000 committed in the slow minute (3 s each) and, first in first out,
    // the queued ones served while the head of the queue had waited more than 1 s (all but the last 95).
    expect(r.requests[0]).toMatchObject({ offered: 30_000, waited: 5_905, failed: 0, queuedAtEnd: 0 });
  });
});

describe('gray failure grammar', () => {
  const yaml = (faults: string) => `
name: g
start: 2024-01-01T10:00:00Z
end: "10:10"
sites: [a, b]
links: [{between: [a, b], bandwidth: 1Gbps, latency: 5ms}]
clusters:
  c:
    nodes:
      pg1: {site: a, version: 16}
      pg2: {site: b, version: 16, upstream: pg1}
    failover: {policy: naive, site: b, candidates: [pg2], health_check: {probe: write, timeout: 5s, latency_threshold: 500ms, failures: 3}}
faults:
${faults}
`;
  it('decodes packet loss, one-way partitions and slow nodes', () => {
    const sc = loadScenarioText(yaml(`  - {at: "10:01", packet_loss: {sites: [a, b], loss: 2%}}
  - {at: "10:02", one_way_partition: {from: pg1, to: b}}
  - {at: "10:03", heal_one_way: {from: pg1, to: b}}
  - {at: "10:04", slow_node: {node: pg1, disk: 50x, cpu: 4}}
  - {at: "10:05", slow_node: {node: pg1, disk_throughput: 2%}}`), 'g.yaml');
    expect(sc.actions.map((a) => a.kind)).toEqual(['packetLoss', 'oneWayPartition', 'healOneWay', 'slowNode', 'slowNode']);
    expect(sc.actions[4]).toMatchObject({ node: 'pg1', cpu: null, disk: null, diskThroughput: 0.02 });
    expect(sc.actions[0]).toMatchObject({ sites: ['a', 'b'], probability: 0.02 });
    expect(sc.actions[3]).toMatchObject({ node: 'pg1', cpu: 4, disk: 50 });
    expect(sc.clusters[0]!.failover[0]).toMatchObject({ health: { probe: 'write', timeout: 5e6, latencyThreshold: 5e5, failures: 3 } });
  });
  it('says what is wrong', () => {
    expect(() => loadScenarioText(yaml('  - {at: "10:04", slow_node: {node: pg1, disk: 0.5}}'), 'g.yaml')).toThrow(/disk in slow_node of faults.0 must be a slowdown factor >= 1/);
    expect(() => loadScenarioText(yaml('  - {at: "10:04", slow_node: {node: pg1, disk_throughput: 5MB/s}}'), 'g.yaml')).toThrow(/disk_throughput in slow_node of faults.0 must be a percentage/);
    expect(() => loadScenarioText(yaml('  - {at: "10:04", one_way_partition: {from: pg1, to: bb}}'), 'g.yaml')).toThrow(/unknown site or node "bb"/);
    expect(() => loadScenarioText(yaml('  - {at: "10:04", slow_node: {node: pg1}}'), 'g.yaml')).toThrow(/changes nothing/);
    expect(() => loadScenarioText(yaml('  - {at: "10:04", crash: pg1}').replace('latency_threshold: 500ms', 'latency_threshold: 6s'), 'g.yaml')).toThrow(/latency_threshold must be below timeout/);
    expect(() => loadScenarioText(yaml('  - {at: "10:04", crash: pg1}').replace('policy: naive', 'policy: naiv'), 'g.yaml')).toThrow(/"naiv" is not one of: naive, lag-only/);
  });
});

import { describe, expect, it } from 'vitest';
import { renderText } from '../../src/report/text.ts';
import { runScenario } from '../../src/run.ts';
import { loadScenarioText } from '../../src/scenario/load.ts';
import { ScenarioError } from '../../src/scenario/errors.ts';

/**
 * Load and connections (models/postgres/load.ts): a node's capacity, a cold cache after a promotion,
 * max_connections, and the client pool's queue with its timeout; the report's per-workload request counts.
 */
function run(opts: { node?: string; workload?: string; faults?: string; failover?: boolean; standby?: string; links?: string; sites?: string; expect?: string }) {
  const yaml = `
name: load
start: 2024-01-01T10:00:00Z
end: "10:20"
sites: ${opts.sites ?? '[a]'}
${opts.links ?? ''}
clusters:
  c:
    nodes:
      pg1: {site: a, version: 16${opts.node ?? ''}}
      pg2: {site: ${opts.standby ?? 'a'}, version: 16, upstream: pg1${opts.node ?? ''}}
    workload: {target: pg1, rate: 1000/s, wal_per_tx: 2KiB${opts.workload ?? ''}}
${opts.failover ? '    failover: {policy: naive, site: a, candidates: [pg2]}' : ''}
faults:
${opts.faults ?? ''}
${opts.expect ?? ''}
`;
  return runScenario(loadScenarioText(yaml, 'load.yaml')).report;
}

const crash = '  - {at: "10:05", crash: pg1}';
const sum = (r: ReturnType<typeof run>) => r.requests[0]!;

describe('load and connections (models/postgres/load.ts)', () => {
  it('with no fault every request succeeds, and the text report has no requests line', () => {
    const r = run({ node: ', capacity: 1500/s, cold_cache: {serves: 40%, warmup: 5m}', workload: ', queue_timeout: 30s' });
    expect(r.requests).toEqual([{ cluster: 'c', workload: 'clients', offered: 1_200_000, succeeded: 1_200_000, waited: 0, failed: 0, queuedAtEnd: 0, intervals: [] }]);
    expect(renderText(r)).not.toContain('Requests');
  });

  it('a cold cache after a failover: requests queue, wait and time out while the promoted node warms up; a warm one serves them', () => {
    const cold = run({ node: ', capacity: 1500/s, cold_cache: {serves: 40%, warmup: 5m}', workload: ', queue_timeout: 30s', faults: crash, failover: true });
    const s = sum(cold);
    // The crash's 20 s before the promotion fail outright; then 600/s served of 1000/s, rising by 90/s every 30 s.
    expect(s.failed).toBeGreaterThan(20_000);
    expect(s.waited).toBeGreaterThan(100_000);
    expect(s.offered).toBe(1_200_000);
    expect(Math.abs(s.succeeded + s.waited + s.failed + s.queuedAtEnd - s.offered)).toBeLessThanOrEqual(2);
    expect(s.intervals).toHaveLength(1);
    expect(s.intervals[0]!.from).toBe('2024-01-01T10:05:00Z');
    const stall = cold.stalls.find((x) => x.cause.includes('queue in the pool'))!;
    expect(stall.cause).toContain('pg2 commits at most 1,500 transactions/s, less while its cache warms up');
    expect(renderText(cold)).toMatch(/Requests +clients: 7\d% succeeded, \d+% waited past the stall threshold, 2% failed/);
    // Serving 80% at first (1200/s) is enough: only the crash's requests fail.
    const warm = sum(run({ node: ', capacity: 1500/s, cold_cache: {serves: 80%, warmup: 5m}', workload: ', queue_timeout: 30s', faults: crash, failover: true }));
    expect(warm.failed).toBe(20_000);
    expect(warm.waited).toBe(0);
  });

  it('queue_timeout: without it queued requests wait (none fails past the outage); with a shorter one more fail', () => {
    const opts = { node: ', capacity: 1500/s, cold_cache: {serves: 40%, warmup: 5m}', faults: crash, failover: true };
    const forever = sum(run(opts));
    expect(forever.failed).toBe(20_000);
    const t30 = sum(run({ ...opts, workload: ', queue_timeout: 30s' }));
    const t10 = sum(run({ ...opts, workload: ', queue_timeout: 10s' }));
    expect(t30.failed).toBeGreaterThan(forever.failed);
    expect(t10.failed).toBeGreaterThan(t30.failed);
    // The queue drains once the node is warm: nothing is left at the end.
    expect(forever.queuedAtEnd).toBe(0);
    expect(forever.waited).toBeGreaterThan(t30.waited);
  });

  it('max_connections: fewer admitted connections lower what synchronous commits can reach (Little\'s law)', () => {
    const sync = {
      sites: '[a, b]',
      links: 'links: [{between: [a, b], bandwidth: 1Gbps, latency: 50ms}]',
      standby: 'b',
      workload: ', connections: 100',
    };
    const many = run({ ...sync, node: ', settings: {synchronous_standby_names: pg2}' });
    expect(sum(many).waited).toBe(0);
    // 23 - 3 reserved = 20 connections, each waiting a 100 ms round trip (50 ms each way): 200 commits/s of
    // the 1000/s offered; the rest queue in the pool, which soon holds more than a second's commits: from then
    // on every request served waited past the threshold, and a stall says why.
    const few = run({ ...sync, node: ', settings: {synchronous_standby_names: pg2, max_connections: 23}' });
    const committed = (r: ReturnType<typeof run>) => sum(r).succeeded + sum(r).waited;
    expect(committed(few)).toBe(200 * 1200);
    expect(sum(few).queuedAtEnd).toBe(800 * 1200);
    // First in, first out: the head's wait grows by 1 - 200/1000 s a second, past 1 s at 1.25 s.
    expect(sum(few).succeeded).toBe(250);
    expect(few.stalls).toHaveLength(1);
    expect(few.stalls[0]!.causeFact).toMatchObject({ kind: 'pool-queue', limit: { kind: 'synchronous-standbys', txPerSecond: 200, connections: 20, roundMs: 100 } });
    // The superusers' slots given back: 23 connections, 230 commits/s.
    const reserved0 = run({ ...sync, node: ', settings: {synchronous_standby_names: pg2, max_connections: 23, superuser_reserved_connections: 0}' });
    expect(committed(reserved0)).toBe(230 * 1200);
  });

  it('max_connections no larger than the reserved slots: every client is refused, with PostgreSQL\'s message', () => {
    const r = run({ node: ', settings: {max_connections: 3}' });
    expect(r.outages[0]!.cause).toContain('"remaining connection slots are reserved for roles with the SUPERUSER attribute"');
    expect(sum(r).failed).toBe(1_200_000);
  });

  it('cold_cache needs capacity; a capacity of 0 is refused', () => {
    expect(() => run({ node: ', cold_cache: {serves: 40%, warmup: 5m}' })).toThrow(ScenarioError);
    expect(() => run({ node: ', cold_cache: {serves: 40%, warmup: 5m}' })).toThrow(/cold_cache is a share of the node's capacity/);
    expect(() => run({ node: ', capacity: 0/s' })).toThrow(/capacity must be more than 0/);
  });

  it('expect requests: bounds on the shares that succeeded, waited and failed, with what was found when one fails', () => {
    const cold = { node: ', capacity: 1500/s, cold_cache: {serves: 40%, warmup: 5m}', workload: ', queue_timeout: 30s', faults: crash, failover: true };
    const r = run({ ...cold, expect: 'expect:\n  - requests: {workload: clients, succeeded: {at_least: 70%}, failed: {at_most: 3%}}\n  - requests: {failed: {at_most: 1%}}' });
    expect(r.expectations[0]).toMatchObject({ name: 'requests of clients: succeeded at least 70%, failed at most 3%', passed: true });
    expect(r.expectations[1]!.passed).toBe(false);
    expect(r.expectations[1]!.detail).toMatch(/^clients: 2\.\d\d% failed \(clients: 7\d\.\d\d% succeeded, /);
    expect(() => run({ expect: 'expect:\n  - requests: {workload: client, failed: {at_most: 1%}}' })).toThrow(/no workload "client"/);
    expect(() => run({ expect: 'expect:\n  - requests: {workload: clients}' })).toThrow(/bounds nothing/);
  });
});

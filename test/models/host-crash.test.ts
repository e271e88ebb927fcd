/**
 * A standby's host that crashes (power, kernel panic) loses the WAL its walreceiver wrote but had not fsynced
 * (walreceiver.c XLogWalRcvWrite / XLogWalRcvFlush): with synchronous_commit = remote_write the primary had
 * acknowledged those commits, so losing the primary too loses them; `on` waits for the flush and loses none, nor
 * does a crash of the server alone (the kernel keeps its page cache).
 */
import { describe, expect, it } from 'vitest';
import { runScenario } from '../../src/run.ts';
import { loadScenarioText } from '../../src/scenario/load.ts';

/** 500 commits/s of 8 KiB (4 MB/s) to a synchronous standby whose WAL fsync takes 20 ms: 80 KiB written, not flushed. */
const scenario = (commit: string, crash: string) => `name: remote-write-host-crash
start: 2024-09-02T09:30:00Z
timezone: UTC
end: "09:35"
sites: [dc1, dc2]
links:
  - {between: [dc1, dc2], bandwidth: 1Gbps, latency: 2ms}
clusters:
  shop:
    nodes:
      pg1: {site: dc1, version: 15, role: primary, settings: {synchronous_standby_names: "pg2", synchronous_commit: ${commit}}}
      pg2: {site: dc2, version: 15, upstream: pg1, wal_fsync: 20ms}
    workload: {target: pg1, rate: 500/s, wal_per_tx: 8KiB}
plan:
  - {at: "09:31", crash: ${crash}}
  - {at: "09:31", crash: pg1}
  - {at: "09:31", name: dc1-gone, partition: {sites: [dc1, dc2]}}
  - {at: "09:32", start: pg2}
  - {at: "09:32:10", promote: pg2}
  - {at: "09:32:20", route_writes: pg2}
`;

const run = (commit: string, crash: string) => runScenario(loadScenarioText(scenario(commit, crash), 'host-crash.yaml')).report;

describe('a standby host crash', () => {
  it('loses what remote_write acknowledged but the standby had not fsynced: 80 KiB at 4 MB/s over a 20 ms fsync', () => {
    const r = run('remote_write', '{node: pg2, host: true}');
    const lost = r.events.find((e) => e.fact.kind === 'host-crash-lost-unflushed');
    expect(lost?.message).toContain('80 KiB of received WAL');
    // 80 KiB less the last commit's 8 KiB, still on the wire to pg1's acknowledgement (2 ms): 9 commits.
    expect(r.dataLoss.length).toBe(1);
    expect(r.dataLoss[0]!.commits).toBe(9);
  });

  it('loses nothing acknowledged under synchronous_commit = on, or when only the server crashed', () => {
    expect(run('on', '{node: pg2, host: true}').dataLoss).toEqual([]);
    expect(run('remote_write', 'pg2').dataLoss).toEqual([]);
  });
});

import { describe, expect, it } from 'vitest';
import { runScenario } from '../../../src/run.ts';
import { loadScenarioText } from '../../../src/scenario/load.ts';

function run(yaml: string) {
  return runScenario(loadScenarioText(yaml, 'rejoin.yaml'));
}

/**
 * Three PostgreSQL 16 nodes and Patroni; pg1 (the primary) is cut off at 10:12 (after the first timed
 * checkpoint completed), demotes itself, pg2 is promoted, and pg1 is back at 10:14 with a shutdown checkpoint
 * past the fork: it must be rebuilt to follow pg2.
 */
function patroni(options: string, settings = 'wal_log_hints: true, wal_keep_size: 1GB', node = '') {
  return `
name: rejoin
start: 2024-01-01T10:00:00Z
end: "10:25"
sites: [a]
clusters:
  c:
    nodes:
      pg1: {site: a, version: 16, settings: {${settings}}${node}}
      pg2: {site: a, version: 16, upstream: pg1, settings: {${settings}}${node}}
      pg3: {site: a, version: 16, upstream: pg1, settings: {${settings}}${node}}
    workload: {target: pg1, rate: 100/s, wal_per_tx: 2KiB}
    failover: {policy: patroni, site: a${options}}
faults:
  - {at: "10:12", partition: pg1}
  - {at: "10:14", heal: pg1}
`;
}

const pg1 = (r: ReturnType<typeof run>) => r.report.nodes.find((n) => n.name === 'pg1')!;
const rebuilds = (r: ReturnType<typeof run>) => r.history.replication.rebuilds.map((b) => ({ node: b.node, tool: b.tool, ok: b.ok, seconds: (b.to - b.from) / 1e6 }));
const causes = (r: ReturnType<typeof run>) => r.report.verdicts.flatMap((v) => v.cause.map((c) => c.text)).join(' ');

describe('a failover manager rebuilds the old primary (managers/rejoin.ts)', () => {
  it('Patroni with use_pg_rewind: the old primary is rewound against the new leader and streams from it; the verdicts clear and say so', () => {
    const r = run(patroni(', use_pg_rewind: true'));
    expect(pg1(r)).toMatchObject({ role: 'standby', upstream: 'pg2', receiver: 'streaming', timeline: 2 });
    expect(rebuilds(r)).toEqual([{ node: 'pg1', tool: 'pg_rewind', ok: true, seconds: expect.any(Number) }]);
    expect(r.report.verdicts.filter((v) => v.to === null)).toEqual([]);
    expect(r.report.verdicts.some((v) => v.kind === 'standby-broken')).toBe(false);
    expect(causes(r)).toMatch(/Patroni rebuilt pg1 with pg_rewind against pg2 from 10:14:\d\d(?:\.\d+)? to 10:14:\d\d\.\d+ \(\d+ ms\): it succeeded/);
  });

  it('without use_pg_rewind (the default) the old primary starts as a replica that cannot follow, and the report says what rebuilds it', () => {
    const r = run(patroni(''));
    expect(rebuilds(r)).toEqual([]);
    expect(pg1(r).receiver).not.toBe('streaming');
    const broken = r.report.verdicts.find((v) => v.kind === 'standby-broken' && v.node === 'pg1')!;
    expect(broken.to).toBeNull();
    expect(r.report.events.some((e) => e.message.includes('use_pg_rewind is off and remove_data_directory_on_diverged_timelines is off: pg1 will not stream until it is rebuilt'))).toBe(true);
  });

  it('use_pg_rewind without wal_log_hints or checksums cannot rewind; remove_data_directory_on_diverged_timelines re-clones it, in the time its data directory takes to copy', () => {
    const without = run(patroni(', use_pg_rewind: true', 'wal_keep_size: 1GB'));
    expect(rebuilds(without)).toEqual([]);
    expect(without.report.events.some((e) => e.message.includes('it has neither wal_log_hints = on nor data checksums'))).toBe(true);
    const small = run(patroni(', use_pg_rewind: true, remove_data_directory_on_diverged_timelines: true', 'wal_keep_size: 1GB', ', data_size: 1GiB'));
    const large = run(patroni(', use_pg_rewind: true, remove_data_directory_on_diverged_timelines: true', 'wal_keep_size: 1GB', ', data_size: 20GiB'));
    for (const r of [small, large]) {
      expect(rebuilds(r).map((b) => [b.tool, b.ok])).toEqual([['pg_basebackup', true]]);
      expect(pg1(r)).toMatchObject({ upstream: 'pg2', receiver: 'streaming', timeline: 2 });
    }
    // Both wait for the spread checkpoint; the copy of 19 GiB more takes longer (the disks' 500 MB/s).
    expect(rebuilds(large)[0]!.seconds - rebuilds(small)[0]!.seconds).toBeGreaterThan(30);
    expect(causes(large)).toMatch(/Patroni rebuilt pg1 with pg_basebackup from pg2 .*: it succeeded/);
  });

  it('a pg_rewind that fails (the WAL back to the last common checkpoint is gone) is followed by a re-clone only with remove_data_directory_on_rewind_failure', () => {
    // No wal_keep_size: pg1's shutdown checkpoint removed the WAL before its redo, past the last common checkpoint.
    const failing = run(patroni(', use_pg_rewind: true', 'wal_log_hints: true'));
    expect(rebuilds(failing).map((b) => [b.tool, b.ok])).toEqual([['pg_rewind', false]]);
    const broken = failing.report.verdicts.find((v) => v.kind === 'standby-broken' && v.node === 'pg1')!;
    expect(broken.to).toBeNull();
    const recloned = run(patroni(', use_pg_rewind: true, remove_data_directory_on_rewind_failure: true', 'wal_log_hints: true'));
    expect(rebuilds(recloned).map((b) => [b.tool, b.ok])).toEqual([['pg_rewind', false], ['pg_basebackup', true]]);
    expect(pg1(recloned)).toMatchObject({ upstream: 'pg2', receiver: 'streaming', timeline: 2 });
    expect(recloned.report.verdicts.filter((v) => v.to === null)).toEqual([]);
  });

  it('the commits the old primary acknowledged past the fork are lost, and it is rewound to follow the new leader', () => {
    // East keeps pg1 and its clients but only one etcd member: pg1 accepts writes until it demotes itself.
    const yaml = `
name: tail
start: 2024-01-01T10:00:00Z
end: "10:25"
sites: [east, west]
links: [{between: [east, west], bandwidth: 1Gbps, latency: 5ms}]
clusters:
  c:
    nodes:
      pg1: {site: east, version: 16, settings: {wal_log_hints: true, wal_keep_size: 1GB}}
      pg2: {site: west, version: 16, upstream: pg1, settings: {wal_log_hints: true, wal_keep_size: 1GB}}
    workloads:
      app-east: {target: pg1, site: east, rate: 100/s, wal_per_tx: 2KiB}
    failover:
      policy: patroni
      use_pg_rewind: true
      dcs: {members: {etcd1: east, etcd2: west, etcd3: west}}
faults:
  - {at: "10:12", partition: {sites: [east, west]}}
  - {at: "10:14", heal: {sites: [east, west]}}
`;
    const r = run(yaml);
    expect(r.report.dataLoss.reduce((a, l) => a + l.commits, 0)).toBeGreaterThan(0);
    expect(rebuilds(r).map((b) => [b.node, b.tool, b.ok])).toEqual([['pg1', 'pg_rewind', true]]);
    expect(pg1(r)).toMatchObject({ upstream: 'pg2', receiver: 'streaming', timeline: 2 });
  });

  it('pg_auto_failover: the demoted primary goes to catchingup through pg_rewind, falling back to pg_basebackup', () => {
    const yaml = (settings: string) => `
name: pgaf-rejoin
start: 2024-05-06T09:00:00Z
end: "09:30"
sites: [dc-a, dc-b, dc-m]
links:
  - {between: [dc-a, dc-b], bandwidth: 1Gbps, latency: 2ms}
  - {between: [dc-a, dc-m], bandwidth: 1Gbps, latency: 2ms}
  - {between: [dc-b, dc-m], bandwidth: 1Gbps, latency: 2ms}
clusters:
  ledger:
    nodes:
      pg-a: {site: dc-a, version: 16${settings}}
      pg-b: {site: dc-b, version: 16, upstream: pg-a${settings}}
    workload: {target: pg-a, site: dc-m, rate: 300/s, wal_per_tx: 2KiB, connections: 50}
    failover: {policy: pg_auto_failover, monitor: {name: monitor, site: dc-m}}
faults:
  - {at: "09:12", partition: pg-a}
  - {at: "09:15", heal: pg-a}
`;
    // pg_autoctl turns wal_log_hints on; with the WAL kept, pg_rewind is enough.
    const rewound = run(yaml(', settings: {wal_keep_size: 1GB}'));
    expect(rebuilds(rewound).map((b) => [b.node, b.tool, b.ok])).toEqual([['pg-a', 'pg_rewind', true]]);
    const fallback = run(yaml(''));
    expect(rebuilds(fallback).map((b) => [b.node, b.tool, b.ok])).toEqual([['pg-a', 'pg_rewind', false], ['pg-a', 'pg_basebackup', true]]);
    for (const r of [rewound, fallback]) {
      expect(r.report.nodes.find((n) => n.name === 'pg-a')).toMatchObject({ role: 'standby', upstream: 'pg-b', receiver: 'streaming', timeline: 2 });
      expect(r.report.verdicts.filter((v) => v.to === null)).toEqual([]);
    }
  });
});

describe('Patroni synchronous_mode from the start (managers/patroni.ts)', () => {
  it('a cluster that has been running starts with its synchronous standbys: no redundancy verdict at t=0, and the time to recover counts from the failure', () => {
    const yaml = `
name: sync-start
start: 2024-01-01T00:00:00Z
end: "00:20"
sites: [a, b, c]
links:
  - {between: [a, b], bandwidth: 1Gbps, latency: 1ms}
  - {between: [a, c], bandwidth: 1Gbps, latency: 1ms}
  - {between: [b, c], bandwidth: 1Gbps, latency: 1ms}
clusters:
  c:
    nodes:
      n1: {site: a, version: 16}
      n2: {site: b, version: 16, upstream: n1}
      n3: {site: c, version: 16, upstream: n1}
    workload: {target: n1, rate: 100/s, wal_per_tx: 2KiB}
    failover: {policy: patroni, synchronous_mode: true, dcs: {members: {e1: a, e2: b, e3: c}}}
faults:
  - {at: "00:05", crash: n2}
`;
    const r = run(yaml);
    const first = r.report.verdicts[0];
    expect(first === undefined || first.from !== r.report.start).toBe(true);
    for (const x of r.report.recovery) expect(x.from).not.toBe(r.report.start);
  });

  it('each Patroni loop runs at its own phase: a crash at a round instant is noticed at the agent\'s next loop, within loop_wait, not at once', () => {
    const yaml = (seed: number) => `
name: crash
start: 2024-01-01T00:00:00Z
end: "00:15"
seed: ${seed}
sites: [a]
clusters:
  c:
    nodes:
      n1: {site: a, version: 16}
      n2: {site: a, version: 16, upstream: n1}
    workload: {target: n1, rate: 100/s, wal_per_tx: 2KiB}
    failover: {policy: patroni, site: a}
faults:
  - {at: "00:10", crash: n1}
`;
    const delays = [1, 2, 3].map((seed) => {
      const r = run(yaml(seed));
      const restart = r.report.events.find((e) => e.message === 'patroni on n1: starting primary after failure')!;
      return (Date.parse(restart.at) - Date.parse('2024-01-01T00:10:00Z')) / 1000;
    });
    for (const d of delays) {
      expect(d).toBeGreaterThan(0);
      expect(d).toBeLessThanOrEqual(10);
    }
    // The phase comes from the seed: other seeds, other delays.
    expect(new Set(delays).size).toBeGreaterThan(1);
  });
});

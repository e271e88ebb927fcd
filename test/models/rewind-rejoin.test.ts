import { describe, expect, it } from 'vitest';
import { seconds, type Micros } from '../../src/engine/time.ts';
import { runScenario } from '../../src/run.ts';
import { loadScenarioText } from '../../src/scenario/load.ts';
import type { Action, PgMajor } from '../../src/scenario/types.ts';
import { action, buildScenario, node } from '../support/builder.ts';

const s = (n: number) => seconds(n);

/**
 * The plan an SRE runs after losing the primary: p (wal_log_hints) and s at the default start (0/3000000, a segment
 * boundary); s is cut off at 60 s while p goes on writing, p crashes at 120 s, s is promoted at 140 s and takes the
 * writes, and p is rewound against s at `rewindAt`. All of it within the first checkpoint cycle (checkpoint_timeout
 * 5 min): the last common checkpoint is the one before the scenario starts. p keeps 1 GB of WAL (`keep`), which the
 * crash recovery pg_rewind runs first would otherwise remove (below).
 */
function rejoin(version: PgMajor, rewindAt: number, more: Action[] = [], keep = true) {
  return runScenario(
    buildScenario({
      end: s(600),
      sites: ['a', 'b'],
      links: [{ between: ['a', 'b'], bandwidth: 125e6, latency: 1000 as Micros }],
      nodes: [node('p', 'a', version, { settings: { walLogHints: true, ...(keep ? { walKeepSize: 1024 ** 3 } : {}) } }), node('s', 'b', version, { upstream: 'p', settings: { walLogHints: true } })],
      workload: { target: 'p', rate: 100, walPerTx: 2048 },
      actions: [
        action(s(60), { kind: 'partition', target: { kind: 'link', sites: ['a', 'b'] } }, 'faults'),
        action(s(120), { kind: 'crash', node: 'p' }),
        action(s(130), { kind: 'heal', target: { kind: 'link', sites: ['a', 'b'] } }, 'faults'),
        action(s(140), { kind: 'promote', node: 's' }),
        action(s(141), { kind: 'routeWrites', cluster: 'main', node: 's', workload: null }),
        ...more,
        action(s(rewindAt), { kind: 'pgRewind', node: 'p', spec: { from: 's', start: true } }),
      ],
    }),
  ).report;
}

const lines = (r: ReturnType<typeof rejoin>, n: string) => r.events.filter((e) => e.node === n).flatMap((e) => e.log).join('\n');
const final = (r: ReturnType<typeof rejoin>, n: string) => r.nodes.find((x) => x.name === n)!;

describe('rejoining the old primary with pg_rewind', () => {
  it('the last common checkpoint may be the one before the scenario: the node still holds its WAL, as a server keeps WAL from its last checkpoint on', () => {
    // 16 needs no checkpoint on the new primary first (below). The model's initial checkpoint record is at
    // 0/2FFFFFF, in the segment before the starting one: pg_wal used to start at 0/3000000, so every rewind in the
    // first checkpoint cycle failed with `could not find previous WAL record at 0/2FFFFF8`.
    const r = rejoin(16, 150);
    const log = lines(r, 'p');
    expect(log).toMatch(/pg_rewind: rewinding from last common checkpoint at 0\/2FFFFFF on timeline 1/);
    expect(log).toMatch(/pg_rewind: Done!/);
    expect(log).not.toMatch(/could not find previous WAL record/);
    expect(final(r, 'p')).toMatchObject({ role: 'standby', timeline: 2, receiver: 'streaming' });
  });

  it('up to 15, right after the promotion, pg_rewind reads the source\'s old timeline from its control file: "no rewind required", and the node stays diverged ([EXP] 15.18)', () => {
    // s's checkpoint after its promotion (requested at 140 s) is spread and has not completed at 150 s.
    const early = rejoin(15, 150);
    const log = lines(early, 'p');
    expect(log).toMatch(/pg_rewind: source and target cluster are on the same timeline\npg_rewind: no rewind required/);
    expect(log).not.toMatch(/pg_rewind: Done!/);
    expect(early.events.find((e) => e.fact.kind === 'rewind-not-required')!.message).toMatch(/both control files name timeline 1/);
    // Started as a standby of s, it cannot follow: its WAL runs past the fork.
    expect(final(early, 'p')).toMatchObject({ role: 'standby', timeline: 1 });
    expect(final(early, 'p').receiver).not.toBe('streaming');
    expect(early.verdicts.some((v) => v.kind === 'standby-broken' && v.node === 'p')).toBe(true);
    // 13 and 11 read the same control file field (pg_rewind.c main).
    expect(lines(rejoin(13, 150), 'p')).toMatch(/pg_rewind: source and target cluster are on the same timeline/);
    // A CHECKPOINT on s first (what the documentation asks for up to 15) puts timeline 2 there: it rewinds.
    const checkpointed = rejoin(15, 150, [action(s(149), { kind: 'checkpoint', node: 's' })]);
    expect(lines(checkpointed, 'p')).toMatch(/pg_rewind: Done!/);
    expect(final(checkpointed, 'p')).toMatchObject({ role: 'standby', timeline: 2 });
    // So does waiting for that checkpoint to end by itself.
    expect(lines(rejoin(15, 590), 'p')).toMatch(/pg_rewind: Done!/);
    // 16 also reads minRecoveryPointTLI, which the end-of-recovery record set to 2.
    expect(lines(rejoin(16, 150), 'p')).not.toMatch(/same timeline/);
  });
});

describe('after the rewind, the WAL from the last common checkpoint\'s redo', () => {
  it('is the target\'s own when the redo is in the checkpoint record\'s segment: pg_rewind keeps the segments it read (13+), so a source that removed them is needed only from the fork on', () => {
    // s's CHECKPOINT at 149 s removes its segments before 0/3000000, among them 000000010000000000000002, which holds
    // the last common checkpoint (0/2FFFFFF, its own redo). p keeps it and streams timeline 2 from the fork's segment.
    const r = rejoin(15, 150, [action(s(149), { kind: 'checkpoint', node: 's' })]);
    expect(lines(r, 'p')).toMatch(/pg_rewind: Done!/);
    expect(lines(r, 'p')).not.toMatch(/has already been removed/);
    expect(final(r, 'p')).toMatchObject({ role: 'standby', timeline: 2, receiver: 'streaming' });
  });
});

describe('a crashed target: the crash recovery pg_rewind 13+ runs first ends with a checkpoint that removes WAL', () => {
  it('without wal_keep_size the segments back to the last common checkpoint are gone when it reads them ([EXP] 15.18), with it they stay', () => {
    // p crashed at 120 s with WAL to 0/4770000; the fork is in segment 3 and the last common checkpoint at 0/2FFFFFF.
    const checkpoint = [action(s(149), { kind: 'checkpoint', node: 's' })];
    const r = rejoin(15, 150, checkpoint, false);
    const log = lines(r, 'p');
    expect(log).toMatch(/pg_rewind: executing ".*\/postgres" for target server to complete crash recovery\npg_rewind: servers diverged at WAL location (0\/3BB[0-9A-F]+) on timeline 1\npg_rewind: error: could not open file ".*\/pg_wal\/000000010000000000000003": No such file or directory\npg_rewind: error: could not find previous WAL record at \1/);
    expect(r.events.find((e) => e.fact.kind === 'rewind-failed')!.message).toMatch(/the end-of-recovery checkpoint of the crash recovery pg_rewind ran first removed it/);
    const kept = rejoin(15, 150, checkpoint);
    expect(lines(kept, 'p')).toMatch(/pg_rewind: Done!/);
  });
});

describe('a manager that rewinds the old primary checkpoints the new one first', () => {
  // As test/models/managers/rejoin.test.ts, on 15: pg1 is cut off at 10:12, pg2 is promoted, pg1 is back at 10:14 past
  // the fork and Patroni rewinds it seconds after the promotion, while pg2's own spread checkpoint still runs.
  const yaml = (failover: string) => `
name: rejoin-15
start: 2024-01-01T10:00:00Z
end: "10:25"
sites: [a]
clusters:
  c:
    nodes:
      pg1: {site: a, version: 15, settings: {wal_log_hints: true, wal_keep_size: 1GB}}
      pg2: {site: a, version: 15, upstream: pg1, settings: {wal_log_hints: true, wal_keep_size: 1GB}}
      pg3: {site: a, version: 15, upstream: pg1, settings: {wal_log_hints: true, wal_keep_size: 1GB}}
    workload: {target: pg1, rate: 100/s, wal_per_tx: 2KiB}
    failover: ${failover}
faults:
  - {at: "10:12", partition: pg1}
  - {at: "10:14", heal: pg1}
`;

  it('Patroni (ensure_checkpoint_after_promote, then "Waiting for checkpoint … before rewind"): the rewind is not "no rewind required" on 15', () => {
    const r = runScenario(loadScenarioText(yaml('{policy: patroni, site: a, use_pg_rewind: true}'), 'rejoin-15.yaml'));
    const pg1 = r.report.events.filter((e) => e.node === 'pg1').flatMap((e) => e.log).join('\n');
    expect(pg1).not.toMatch(/no rewind required/);
    expect(pg1).toMatch(/pg_rewind: Done!/);
    expect(r.report.events.some((e) => e.node === 'pg2' && e.fact.kind === 'checkpoint-requested')).toBe(true);
    expect(r.report.nodes.find((n) => n.name === 'pg1')).toMatchObject({ role: 'standby', upstream: 'pg2', receiver: 'streaming', timeline: 2 });
  });
});

describe('the WAL back to the last common checkpoint, from the archive', () => {
  // As rejoin.test.ts's failing rewind: no wal_keep_size, so pg1's shutdown checkpoint (it demotes itself) removed the
  // WAL back to the last common checkpoint; every node archives, and has a restore_command.
  const archive = "archive_mode: on, archive_command: 'cp %p /archive/%f', restore_command: 'cp /archive/%f %p'";
  const patroni = (settings: string, failover = ', use_pg_rewind: true') => `
name: rejoin-archive
start: 2024-01-01T10:00:00Z
end: "10:25"
sites: [a]
clusters:
  c:
    nodes:
      pg1: {site: a, version: 16, settings: {wal_log_hints: true${settings}}}
      pg2: {site: a, version: 16, upstream: pg1, settings: {wal_log_hints: true${settings}}}
      pg3: {site: a, version: 16, upstream: pg1, settings: {wal_log_hints: true${settings}}}
    workload: {target: pg1, rate: 100/s, wal_per_tx: 2KiB}
    failover: {policy: patroni, site: a${failover}}
faults:
  - {at: "10:12", partition: pg1}
  - {at: "10:14", heal: pg1}
`;
  const rebuilds = (r: ReturnType<typeof runScenario>) => r.history.replication.rebuilds.map((b) => [b.node, b.tool, b.ok]);

  it('Patroni passes --restore-target-wal when restore_command is set (rewind.py pg_rewind): the rewind succeeds from the archive', () => {
    const without = runScenario(loadScenarioText(patroni(''), 'a.yaml'));
    expect(rebuilds(without)).toEqual([['pg1', 'pg_rewind', false]]);
    const r = runScenario(loadScenarioText(patroni(`, ${archive}`), 'a.yaml'));
    expect(rebuilds(r)).toEqual([['pg1', 'pg_rewind', true]]);
    expect(r.report.nodes.find((n) => n.name === 'pg1')).toMatchObject({ role: 'standby', upstream: 'pg2', timeline: 2 });
  });

  it('the plan step takes -c (restore_target_wal, 13+); without it, or with segments the archive lacks, it fails as pg_rewind does', () => {
    const plan = (rewind: string, settings = `, ${archive}`) =>
      runScenario(loadScenarioText(`${patroni(settings, '').replace('    failover: {policy: patroni, site: a}\n', '')}plan:\n  - {at: "10:13", promote: pg2}\n  - {at: "10:13:01", route_writes: pg2}\n  - {at: "10:13:30", stop: pg1}\n  - {at: "10:14:30", checkpoint: pg2}\n  - {at: "10:15", pg_rewind: {node: pg1, from: pg2${rewind}}}\n`, 'p.yaml'));
    const lines = (r: ReturnType<typeof plan>) => r.report.events.filter((e) => e.node === 'pg1').flatMap((e) => e.log).join('\n');
    expect(lines(plan(''))).toMatch(/pg_rewind: error: could not open file ".*\/pg_wal\/00000001[0-9A-F]{16}": No such file or directory/);
    expect(lines(plan(', restore_target_wal: true'))).toMatch(/pg_rewind: Done!/);
    // No archive: -c finds nothing there either.
    expect(lines(plan(', restore_target_wal: true', ", restore_command: 'cp /archive/%f %p'"))).toMatch(/pg_rewind: error: could not restore file "00000001[0-9A-F]{16}" from archive\npg_rewind: error: could not find previous WAL record at/);
    expect(() => loadScenarioText(patroni('', '').replace('    failover: {policy: patroni, site: a}\n', '').replace(/version: 16/g, 'version: 12') + 'plan:\n  - {at: "10:15", pg_rewind: {node: pg1, from: pg2, restore_target_wal: true}}\n', 'p.yaml')).toThrow(/--restore-target-wal from PostgreSQL 13/);
  });
});

describe('a standby of the old primary, after the old primary is rewound', () => {
  // p1 (site a) with c1 and s1 in site b; the link is cut at 60 s for 70 s while p1 writes on, p1 is stopped at 120 s,
  // s1 is promoted at 140 s and p1 rewound against it at 150 s. c1 keeps p1 as its upstream.
  const yaml = `
name: cascade
start: 2024-01-01T10:00:00Z
end: "10:10"
sites: {a: {}, b: {}}
links: [{between: [a, b], bandwidth: 1Gbps, latency: 1ms}]
clusters:
  c:
    nodes:
      p1: {site: a, version: 15, role: primary, settings: {wal_log_hints: true, wal_keep_size: 1GB}}
      c1: {site: CSITE, version: 15, upstream: p1, settings: {wal_log_hints: true}}
      s1: {site: b, version: 15, upstream: p1, settings: {wal_log_hints: true, wal_keep_size: 1GB}}
    workload: {target: p1, site: a, rate: 100/s, wal_per_tx: 2KiB}
plan:
  - {at: "+60s", partition: {sites: [a, b]}}
  - {at: "+120s", stop: p1}
  - {at: "+130s", heal: {sites: [a, b]}}
  - {at: "+140s", promote: s1}
  - {at: "+141s", route_writes: s1}
  - {at: "+149s", checkpoint: s1}
  - {at: "+150s", pg_rewind: {node: p1, from: s1}}
`;
  const run = (site: string) => runScenario(loadScenarioText(yaml.replace('CSITE', site), 'cascade.yaml')).report;

  it('one that received the WAL p1 wrote past the fork cannot follow it: p1\'s history leaves timeline 1 before its position', () => {
    const r = run('a');
    expect(r.nodes.find((n) => n.name === 'p1')).toMatchObject({ role: 'standby', timeline: 2, receiver: 'streaming' });
    expect(r.nodes.find((n) => n.name === 'c1')).toMatchObject({ timeline: 1, receiver: 'waiting' });
    expect(r.events.filter((e) => e.node === 'c1').flatMap((e) => e.log).join('\n')).toMatch(/requested starting point 0\/4000000 on timeline 1 is not in this server's history\n\tDETAIL: {2}This server's history forked from timeline 1 at/);
  });

  it('one cut off with s1 follows p1 onto timeline 2 at its next attempt once p1 runs again, not when its connection attempt during the cut would have timed out', () => {
    const r = run('b');
    const c1 = r.nodes.find((n) => n.name === 'c1')!;
    expect(c1).toMatchObject({ timeline: 2, receiver: 'streaming', upstream: 'p1' });
    // Its connection attempt at 120 s (the walreceiver's timeout) gets p1's RST at the SYN of 135 s, after the link is
    // back; then it retries every wal_retrieve_retry_interval (5 s) and follows at the first after p1 started (150.4 s).
    const follows = r.events.find((e) => e.node === 'c1' && e.fact.kind === 'follows-timeline')!;
    expect((Date.parse(follows.at) - Date.parse(r.start)) / 1e3).toBe(155);
  });
});

describe('two promotions that chose the same timeline number', () => {
  // p1 crashes; s1 and s2, cut off from each other, are both promoted and both pick timeline 2 (neither sees the
  // other's history file); s2 takes writes of its own, then is stopped and rewound against s1 after a CHECKPOINT there.
  const yaml = (version: number) => `
name: same-tli-split
start: 2024-01-01T10:00:00Z
end: "10:05"
sites: {a: {}, b: {}, c: {}}
links: [{between: [a, b], bandwidth: 1Gbps, latency: 1ms}, {between: [a, c], bandwidth: 1Gbps, latency: 1ms}, {between: [b, c], bandwidth: 1Gbps, latency: 1ms}]
clusters:
  c:
    nodes:
      p1: {site: a, version: ${version}, role: primary, settings: {wal_log_hints: true}}
      s1: {site: b, version: ${version}, upstream: p1, settings: {wal_log_hints: true}}
      s2: {site: c, version: ${version}, upstream: p1, settings: {wal_log_hints: true, wal_keep_size: 1GB}}
    workloads:
      w1: {target: p1, site: a, rate: 100/s, wal_per_tx: 2KiB}
      w2: {target: p1, site: c, rate: 100/s, wal_per_tx: 2KiB}
plan:
  - {at: "10:01", partition: {sites: [b, c]}}
  - {at: "10:01", crash: p1}
  - {at: "10:01:10", promote: s1}
  - {at: "10:01:10", promote: s2}
  - {at: "10:01:11", route_writes: {node: s1, workload: w1}}
  - {at: "10:01:11", route_writes: {node: s2, workload: w2}}
  - {at: "10:02", heal: {sites: [b, c]}}
  - {at: "10:02:10", route_writes: {node: s1, workload: w2}}
  - {at: "10:02:20", stop: s2}
  - {at: "10:02:25", checkpoint: s1}
  - {at: "10:02:30", pg_rewind: {node: s2, from: s1}}
`;

  it('pg_rewind compares the numbers: "no rewind required", and the node stays on its own timeline 2 ([EXP] 15.18)', () => {
    for (const version of [16, 15]) {
      const r = runScenario(loadScenarioText(yaml(version), 'same-tli.yaml')).report;
      const log = r.events.filter((e) => e.node === 's2').flatMap((e) => e.log).join('\n');
      expect(log).toMatch(/pg_rewind: source and target cluster are on the same timeline\npg_rewind: no rewind required/);
      expect(log).not.toMatch(/pg_rewind: Done!/);
      expect(r.events.find((e) => e.fact.kind === 'rewind-not-required')!.message).toMatch(/two histories with that number/);
      expect(r.nodes.find((n) => n.name === 's2')!.receiver).not.toBe('streaming');
    }
  });
});

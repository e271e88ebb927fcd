/**
 * A bounded pg_wal volume (`wal_volume`): what fills it, and what the server does then (docs/model-postgres.md,
 * WAL retention). Judged against real servers whose pg_wal was on a small tmpfs with `archive_command = false`.
 */
import { describe, expect, it } from 'vitest';
import { withoutParking } from '../../src/models/postgres/retry.ts';
import { runScenario } from '../../src/run.ts';
import { loadScenarioText } from '../../src/scenario/load.ts';

/**
 * pg1 archives at 4 MB/s of WAL (500 commits/s of 8 KiB) to a store whose archive_command fails 09:40-10:30; its
 * pg_wal is on a 2 GB volume, which the unarchived segments fill about eight minutes later.
 */
const scenario = (version: number, plan: string) => `name: wal-volume
start: 2024-09-02T09:30:00Z
timezone: UTC
end: "11:00"
sites: [dc1, vault]
links:
  - {between: [dc1, vault], bandwidth: 1Gbps, latency: 5ms}
clusters:
  shop:
    archive: {site: vault}
    nodes:
      pg1:
        site: dc1
        version: ${version}
        role: primary
        settings: {archive_mode: on, archive_command: "cp %p /archive/%f"}
        wal_volume: 2GB
      pg2: {site: dc1, version: ${version}, upstream: pg1}
    workload: {target: pg1, rate: 500/s, wal_per_tx: 8KiB}
plan: ${plan}
faults:
  - {at: "09:40", name: archive-broken, archive_fails: {node: pg1, until: "10:30", exit_code: 1}}
`;

const run = (version: number, plan = '[]') => runScenario(loadScenarioText(scenario(version, plan), 'wal-volume.yaml')).report;

describe('a full pg_wal volume', () => {
  it('a primary that PANICked on a full pg_wal does not start again while the volume is full, even with archive_command fixed', () => {
    // Real 12.22, 15.18 and 18.4: the crash recovery of restart_after_crash, then pg_ctl start, end with the
    // startup process failing to create the next segment (xlog.c PreallocXlogFiles); the archiver never runs.
    for (const version of [12, 15]) {
      const r = run(version, '[{at: "10:40", name: restart, start: pg1}]');
      const pg1 = r.nodes.find((n) => n.name === 'pg1')!;
      expect(pg1.state, `${version}`).not.toBe('running');
      const refused = r.events.find((e) => e.fact.kind === 'start-refused');
      expect(refused, `${version}`).toBeDefined();
      expect(refused!.log.join('\n')).toContain(`${version >= 15 ? 'FATAL' : 'PANIC'}:  could not write to file "pg_wal/xlogtemp.1": No space left on device`);
      // The outage lasts from the PANIC to the end: nothing the plan did brought pg1 back.
      expect(r.outages.at(-1)!.to).toBe(r.end);
    }
  });

  it('the outage and the no-primary verdict say the server stopped itself on its full pg_wal, not that it crashed', () => {
    const r = run(15);
    const outage = r.outages.find((o) => o.causeFact?.kind === 'target-down')!;
    expect(outage.causeFact).toMatchObject({ kind: 'target-down', node: 'pg1', how: 'crashed', panic: { kind: 'pg-wal-full', volume: 2e9 } });
    expect(outage.cause).toContain('pg_wal volume');
    const gone = r.verdicts.find((v) => v.kind === 'no-primary')!.cause.find((c) => c.fact?.kind === 'primary-gone')!;
    expect(gone.fact).toMatchObject({ fate: { kind: 'crashed', node: 'pg1', panic: { kind: 'pg-wal-full' } } });
    expect(gone.text).toContain('its pg_wal volume');
  });

  it("a standby's full pg_wal stops its walreceiver, not the server; its promotion fails for want of room", () => {
    // Real 15.18: pg_wal of a standby with archive_mode = always and a failing archive_command on a small tmpfs:
    // `FATAL:  could not write to file "pg_wal/xlogtemp.N": No space left on device` from the walreceiver every
    // 5 s, read-only queries still answered; with archive_command fixed it stays so (no new checkpoint record
    // replayed, so no restartpoint removes anything); `pg_ctl promote` then fails at `selected new timeline ID`.
    const text = scenario(15, '[{at: "10:46", promote: pg2}]')
      .replace('        wal_volume: 2GB\n', '')
      .replace('pg2: {site: dc1, version: 15, upstream: pg1}', 'pg2: {site: dc1, version: 15, upstream: pg1, wal_volume: 2GB, settings: {archive_mode: always, archive_command: "cp %p /archive/%f"}}')
      .replace('archive_fails: {node: pg1', 'archive_fails: {node: pg2');
    const r = runScenario(loadScenarioText(text, 'wal-volume.yaml')).report;
    // The retry loop on the full volume is parked between changes (retry.ts); pg1 removing the WAL pg2 needs
    // (no slot) wakes it, and it then fails on the removed segment as an attempt every 5 s does.
    const stepped = withoutParking(() => runScenario(loadScenarioText(text, 'wal-volume.yaml')).report);
    expect(r.events).toEqual(stepped.events);
    expect(r.events.some((e) => e.fact.kind === 'segment-already-removed' && e.at < '2024-09-02T10:00')).toBe(true);
    const full = r.events.find((e) => e.fact.kind === 'receiver-pg-wal-full')!;
    expect(full.log.join('\n')).toContain('walreceiver FATAL:  could not write to file "pg_wal/xlogtemp.1": No space left on device');
    // pg2 stayed up (no crash) until the promotion; pg1 never stopped writing.
    expect(r.events.filter((e) => e.fact.kind === 'down' && e.node === 'pg2' && e.at < '2024-09-02T10:46').length).toBe(0);
    expect(r.outages).toEqual([]);
    expect(r.events.some((e) => e.fact.kind === 'promotion-failed-pg-wal-full')).toBe(true);
    expect(r.nodes.find((n) => n.name === 'pg2')!.state).toBe('failed');
  });

  it('a standby that replays slower than it receives fills its pg_wal, then streams again after each restartpoint', () => {
    const text = `name: slow-replay
start: 2024-09-02T09:30:00Z
timezone: UTC
end: "10:00"
sites: [dc1, dc2]
links:
  - {between: [dc1, dc2], bandwidth: 1Gbps, latency: 2ms}
clusters:
  shop:
    nodes:
      pg1: {site: dc1, version: 15, role: primary}
      pg2: {site: dc2, version: 15, upstream: pg1, replay_rate: 3MB/s, wal_volume: 2GB, settings: {primary_slot_name: pg2_slot}}
    workload: {target: pg1, rate: 500/s, wal_per_tx: 8KiB}
    slots:
      pg2_slot: {node: pg1, type: physical}
`;
    const r = runScenario(loadScenarioText(text, 'slow-replay.yaml')).report;
    // 4.1 MB/s arrives, 3 MB/s is replayed: 2 GB of pg_wal in about 8 minutes.
    const fulls = r.events.filter((e) => e.fact.kind === 'receiver-pg-wal-full');
    expect(fulls.length).toBeGreaterThan(2);
    expect(r.events.filter((e) => e.fact.kind === 'streaming' && e.node === 'pg2').length).toBeGreaterThan(2);
    expect(r.nodes.find((n) => n.name === 'pg2')!.state).toBe('running');
    expect(r.outages).toEqual([]);
  });
});

describe('the WAL disk', () => {
  it('a disk_throughput below the WAL offered bounds commits: 10 MB/s of 20 kB commits is 500/s, the rest queues', () => {
    const text = `name: wal-disk
start: 2024-09-02T09:30:00Z
timezone: UTC
end: "09:40"
sites: [dc1]
clusters:
  shop:
    nodes:
      pg1: {site: dc1, version: 15, role: primary, disk_throughput: 10MB/s}
    workload: {target: pg1, rate: 1000/s, wal_per_tx: 20KB, connections: 50}
`;
    const r = runScenario(loadScenarioText(text, 'wal-disk.yaml')).report;
    expect(r.stalls.length).toBe(1);
    expect(r.stalls[0]!.cause).toContain('commits at most 500 transactions/s: its disk writes at most 10 MB/s (disk_throughput)');
    // 500 commits/s of 20 kB for 600 s: 6 GB of WAL, not the 12 GB offered.
    const end = r.nodes.find((n) => n.name === 'pg1')!.lsn;
    const [hi, lo] = end.split('/').map((x) => parseInt(x, 16));
    expect((hi! * 2 ** 32 + lo!) / 1e9).toBeLessThan(6.2);
  });
});

describe("a standby's disk", () => {
  // 500 commits/s of 20 kB: 10 MB/s of WAL, over a 1 Gbps line, to a standby whose disk writes 4 MB/s.
  const text = (standby: string) => `name: standby-disk
start: 2024-09-02T09:30:00Z
timezone: UTC
end: "09:35"
sites: [dc1]
clusters:
  shop:
    nodes:
      pg1: {site: dc1, version: 15, role: primary, settings: {wal_keep_size: 4GB${standby === 'synchronous' ? ', synchronous_standby_names: "pg2"' : ''}}}
      pg2: {site: dc1, version: 15, upstream: pg1, disk_throughput: 4MB/s}
    workload: {target: pg1, rate: 500/s, wal_per_tx: 20KB, connections: 50}
`;

  it('bounds what its walreceiver takes: an asynchronous standby falls behind at the disk\'s rate', () => {
    const r = runScenario(loadScenarioText(text('async'), 'standby-disk.yaml')).report;
    const falls = r.events.find((e) => e.fact.kind === 'stream-falls-behind' && e.node === 'pg2');
    expect(falls).toBeDefined();
    expect(falls!.message).toContain('its stream carries 4 MB/s, what its disk writes (4 MB/s)');
    // 300 s at 10 MB/s written, 4 MB/s received: pg2 is 1.8 GB behind at the end.
    const lsn = (name: string) => {
      const [hi, lo] = r.nodes.find((n) => n.name === name)!.lsn.split('/').map((x) => parseInt(x, 16));
      return hi! * 2 ** 32 + lo!;
    };
    expect((lsn('pg1') - lsn('pg2')) / 1e9).toBeCloseTo(1.8, 1);
  });

  it('bounds the commits that wait for it as a synchronous standby: 4 MB/s of 20 kB is 200 commits/s', () => {
    const r = runScenario(loadScenarioText(text('synchronous'), 'standby-disk.yaml')).report;
    expect(r.stalls.length).toBeGreaterThan(0);
    const [hi, lo] = r.nodes.find((n) => n.name === 'pg1')!.lsn.split('/').map((x) => parseInt(x, 16));
    // 300 s at 4 MB/s (1.2 GB after the starting position), not the 3 GB offered.
    const gb = (hi! * 2 ** 32 + lo!) / 1e9;
    expect(gb).toBeGreaterThan(1.2);
    expect(gb).toBeLessThan(1.3);
    expect(r.stalls[0]!.cause).toContain('the synchronous standbys of pg1 (pg2) confirm 200 transactions/s');
    expect(r.stalls[0]!.cause).toContain("the stream to pg2 carries 4 MB/s, what pg2's disk writes (disk_throughput)");
  });
});

describe('pg_wal under steady writes', () => {
  it('checkpoints recycle what they no longer keep as future segments: pg_wal stays about max_wal_size', () => {
    // Real 15.18, max_wal_size = 128MB, about 17.8 MB/s of WAL: a checkpoint every 64 MB (4 segments,
    // 8 / (1 + 0.9)), each `0 removed, 4 recycled` (xlog.c XLOGfileslop caps the future segments at max_wal_size
    // from the redo), and 8 files in pg_wal throughout.
    // Real 10.23 at 17.1 MB/s: every 48 MB (3 segments, 8 / (2 + 0.5)), `0 removed, 3 recycled`, 8 files.
    for (const [version, walPerTx, recycled] of [[15, '178KB', 4], [10, '171KB', 3]] as const) {
      const text = `name: steady
start: 2024-09-02T09:30:00Z
timezone: UTC
end: "09:31:30"
sites: [dc1]
clusters:
  shop:
    nodes:
      pg1: {site: dc1, version: ${version}, role: primary, settings: {max_wal_size: 128MB, log_checkpoints: on}}
    workload: {target: pg1, rate: 100/s, wal_per_tx: ${walPerTx}}
`;
      let recording = false;
      const res = runScenario(loadScenarioText(text, 'steady.yaml'), {
        afterEvent: (w) => {
          if (!recording) w.ctx.history.chatter.recording = recording = true;
        },
      });
      const lines = res.history.chatter.entries.flatMap((c) => c.log).filter((l) => l.includes('checkpoint complete'));
      expect(lines.length).toBeGreaterThan(20);
      for (const l of lines.slice(2)) expect(l).toContain(`0 WAL file(s) added, 0 removed, ${recycled} recycled`);
      expect(res.report.nodes.find((n) => n.name === 'pg1')!.pgWalSize).toBe(128 * 1024 ** 2);
    }
  });
});

describe('archive_timeout and a failing archive_command', () => {
  it("a quiet primary's pg_wal grows a segment per archive_timeout, not at its WAL rate", () => {
    // Real 15.18, archive_timeout = 2s, archive_command = false, about one small commit a second, pg_wal on a
    // 160 MB tmpfs: a new 16 MB segment file every switch (3 every 6.5 s), full after 10 segments, about 20 s
    // in: PANIC, then the startup process fails. Without the switches 200 B/s would take months to fill it.
    const text = (timeout: string) =>
      scenario(15, '[]')
        .replace('end: "11:00"', 'end: "09:32"')
        .replace('archive_command: "cp %p /archive/%f"}', `archive_command: "cp %p /archive/%f", archive_timeout: ${timeout}}`)
        .replace('wal_volume: 2GB', 'wal_volume: 160MB')
        .replace('      pg2: {site: dc1, version: 15, upstream: pg1}\n', '')
        .replace('rate: 500/s, wal_per_tx: 8KiB', 'rate: 1/s, wal_per_tx: 200B')
        .replace('{at: "09:40", name: archive-broken', '{at: "09:30", name: archive-broken');
    const r = runScenario(loadScenarioText(text('2s'), 'quiet.yaml')).report;
    const full = r.events.find((e) => e.fact.kind === 'pg-wal-full')!;
    // 160 MB at 16 MB per 2 s: about 20 s.
    const after = (Date.parse(full.at) - Date.parse(r.start)) / 1000;
    expect(after).toBeGreaterThan(15);
    expect(after).toBeLessThan(25);
    const off = runScenario(loadScenarioText(text('0'), 'quiet.yaml')).report;
    expect(off.events.some((e) => e.fact.kind === 'pg-wal-full')).toBe(false);
  });
});

describe('the slot that fills pg_wal', () => {
  it('cannot be dropped while its server is down: pg_drop_replication_slot needs a session there', () => {
    const text = scenario(15, '[{at: "09:45", stop: pg1}, {at: "09:46", drop_slot: pg2_slot}, {at: "09:47", start: pg1}]')
      .replace('        wal_volume: 2GB\n', '')
      .replace('pg2: {site: dc1, version: 15, upstream: pg1}', 'pg2: {site: dc1, version: 15, upstream: pg1, settings: {primary_slot_name: pg2_slot}}')
      .replace('    workload:', '    slots:\n      pg2_slot: {node: pg1, type: physical}\n    workload:')
      .replace('{at: "09:40", name: archive-broken, archive_fails: {node: pg1, until: "10:30", exit_code: 1}}', '{at: "09:40", name: standby-lost, crash: pg2}');
    const r = runScenario(loadScenarioText(text, 'slot-down.yaml')).report;
    expect(r.events.some((e) => e.fact.kind === 'slot-op-server-down')).toBe(true);
    const pg1 = r.nodes.find((n) => n.name === 'pg1')!;
    expect((pg1.slots ?? []).map((s) => s.name)).toEqual(['pg2_slot']);
  });
});


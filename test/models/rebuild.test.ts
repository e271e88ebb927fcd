import { describe, expect, it } from 'vitest';
import { seconds, type Micros } from '../../src/engine/time.ts';
import { runScenario } from '../../src/run.ts';
import { loadScenarioText } from '../../src/scenario/load.ts';
import type { Action, BaseBackupSpec, PgMajor, PgSettingsSpec } from '../../src/scenario/types.ts';
import { action, buildScenario, node } from '../support/builder.ts';

const s = (n: number) => seconds(n);
const GB = 1e9;

const backup = (o: Partial<BaseBackupSpec> = {}): BaseBackupSpec => ({ from: 'p', checkpoint: 'fast', walMethod: 'stream', slot: null, maxRate: null, start: true, name: null, ...o });

/**
 * p (data_size 10 GB) and s over a 1 Gbps link (125 MB/s); p writes `rate` x 8000 B/s with max_wal_size 1 GB. s is
 * re-cloned at 600 s.
 */
function run(version: PgMajor, o: { spec?: Partial<BaseBackupSpec>; rate?: number; actions?: Action[]; end?: number; primary?: PgSettingsSpec; standby?: PgSettingsSpec } = {}) {
  return runScenario(
    buildScenario({
      end: s(o.end ?? 1800),
      sites: ['a', 'b'],
      links: [{ between: ['a', 'b'], bandwidth: 125e6, latency: 1000 as Micros }],
      nodes: [
        node('p', 'a', version, { settings: version >= 9.5 ? { maxWalSize: 1024 ** 3, ...o.primary } : { ...o.primary }, storage: { walVolume: null, throughput: null, dataSize: 10 * GB } }),
        node('s', 'b', version, { upstream: 'p', settings: o.standby ?? {} }),
      ],
      workload: { target: 'p', rate: o.rate ?? 100, walPerTx: 8000 },
      actions: o.actions ?? [action(s(600), { kind: 'reclone', node: 's', spec: backup(o.spec) })],
    }),
  ).report;
}

const events = (r: ReturnType<typeof run>, node: string) => r.events.filter((e) => e.node === node);
const lines = (r: ReturnType<typeof run>, node: string) => events(r, node).flatMap((e) => e.log).join('\n');
const at = (r: ReturnType<typeof run>, re: RegExp) => {
  const e = r.events.find((x) => re.test(x.message));
  return e ? (Date.parse(e.at) - Date.parse(r.start)) / 1000 : null;
};

describe('pg_basebackup (rebuild.ts)', () => {
  it('copies the data directory at the slowest of the path, the disks and max_rate, then the standby streams', () => {
    const r = run(15);
    // 10 GB at 125 MB/s less the headers' 3%: 10e9 / 121.25e6 = 82.47 s.
    expect(at(r, /pg_basebackup of s from p completed/)! - 600).toBeCloseTo(82.47, 0);
    expect(r.nodes.find((n) => n.name === 's')).toMatchObject({ role: 'standby', receiver: 'streaming', timeline: 1 });
    expect(lines(r, 's')).toMatch(/pg_basebackup: created temporary replication slot "pg_basebackup_s"/);
    const slower = run(15, { spec: { maxRate: 25e6 } });
    expect(at(slower, /pg_basebackup of s from p completed/)! - 600).toBeCloseTo(400, 0);
    // spread: the backup first waits for checkpoint_completion_target x checkpoint_timeout (0.9 x 300 s on 15).
    const spread = run(15, { spec: { checkpoint: 'spread' } });
    expect(at(spread, /pg_basebackup of s from p completed/)! - 600).toBeCloseTo(270 + 82.47, 0);
    // Under heavy writes the spread checkpoint is paced by WAL as well (checkpointer.c IsCheckpointOnSchedule): at
    // 16 MB/s, 0.9 of CheckPointSegments (1 GB / 1.9 = 33 segments of 16 MiB) is written in 31.1 s (review-a s13).
    const heavy = run(15, { rate: 2000, spec: { checkpoint: 'spread' } });
    expect(at(heavy, /pg_basebackup of s from p completed/)! - 600).toBeCloseTo((0.9 * 33 * 16 * 2 ** 20) / 16e6 + 82.47, 0);
  });

  it('from a standby it starts at its last restartpoint\'s redo (do_pg_backup_start in recovery), not at its replay position', () => {
    // p checkpoints by time (0.8 MB/s, checkpoint_timeout 300 s): the checkpoint started at 300 s writes its record
    // at 570 s (0.9 x 300 s). At 600 s s's newest replayed record is that one, so a backup from s starts at its redo,
    // p's insert position at 300 s: 0x3000000 + 300 x 0.8 MB = 290.3 MB, not the 530.3 MB s has replayed.
    for (const checkpoint of ['fast', 'spread'] as const) {
      const r = run(15, { actions: [action(s(600), { kind: 'basebackup', node: null, spec: backup({ from: 's', name: 'b', checkpoint }) })] });
      // 0x3000000 + 240e6 = 290,331,648 = 0x114E1C00.
      expect(lines(r, 's')).toMatch(/write-ahead log start point: 0\/114E1C00 on timeline 1/);
      // The copy takes 8.86 s (1 GiB at 121.25 MB/s). Spread: s's restartpoint at that record started at 585 s (its
      // retry 15 s after the record) and is paced to 585 + 0.9 x 300 = 855 s; the request waits for it.
      expect(at(r, /pg_basebackup "b" from s completed/)!).toBeCloseTo(checkpoint === 'fast' ? 608.86 : 863.86, 1);
    }
  });

  it('a spread backup from a standby with no checkpoint record newer than its last restartpoint does not wait (the request is skipped)', () => {
    // At 860 s s's restartpoint (done at 855 s) is at p's newest record (written at 570 s; the next comes at 870 s).
    const r = run(15, { actions: [action(s(860), { kind: 'basebackup', node: null, spec: backup({ from: 's', name: 'b', checkpoint: 'spread' }) })] });
    expect(at(r, /pg_basebackup "b" from s completed/)!).toBeCloseTo(868.86, 1);
    expect(lines(r, 's')).toMatch(/write-ahead log start point: 0\/114E1C00 on timeline 1/);
  });

  it('from a standby promoted during the copy it fails at the end, as do_pg_backup_stop does (observed on 15.18)', () => {
    const promoted = (v: PgMajor) =>
      run(v, { actions: [action(s(600), { kind: 'basebackup', node: null, spec: backup({ from: 's', name: 'b' }) }), action(s(605), { kind: 'promote', node: 's' })] });
    const r = promoted(15);
    expect(lines(r, 's')).toMatch(/pg_basebackup: error: backup failed: ERROR: {2}the standby was promoted during online backup\n\tHINT: {2}This means that the backup being taken is corrupt/);
    // It fails when the copy of s's data directory ends (1 GiB at 121.25 MB/s: 8.86 s), not at the promotion (5 s).
    expect(at(r, /pg_basebackup "b" failed/)! - 600).toBeCloseTo(8.86, 1);
    expect(lines(promoted(13), 's')).toMatch(/pg_basebackup: error: could not get write-ahead log end position from server: ERROR: {2}the standby was promoted/);
    // Not promoted: it completes.
    const kept = run(15, { actions: [action(s(600), { kind: 'basebackup', node: null, spec: backup({ from: 's', name: 'b' }) })] });
    expect(at(kept, /pg_basebackup "b" from s completed/)).not.toBeNull();
  });

  it('-X fetch fails when the WAL from the start point is removed during the copy; -X stream (a temporary slot from 10) does not', () => {
    // 2000 x 8000 B/s = 16 MB/s for 400 s of copy (maxRate 25 MB/s): far more than max_wal_size.
    const fetch = run(15, { rate: 2000, spec: { walMethod: 'fetch', maxRate: 25e6 } });
    expect(lines(fetch, 's')).toMatch(/pg_basebackup: error: could not get COPY data stream: ERROR: {2}requested WAL segment [0-9A-F]{24} has already been removed/);
    expect(fetch.nodes.find((n) => n.name === 's')!.state).not.toBe('running');
    // Before 12 the tool prints no `error:`.
    expect(lines(run(11, { rate: 2000, spec: { walMethod: 'fetch', maxRate: 25e6 } }), 's')).toMatch(/pg_basebackup: could not get COPY data stream/);
    const stream = run(15, { rate: 2000, spec: { walMethod: 'stream', maxRate: 25e6 } });
    expect(stream.nodes.find((n) => n.name === 's')).toMatchObject({ receiver: 'streaming' });
    // A low rate: nothing is removed during the copy, fetch works too.
    expect(run(15, { rate: 10, spec: { walMethod: 'fetch' } }).nodes.find((n) => n.name === 's')).toMatchObject({ receiver: 'streaming' });
  });

  it('-X stream\'s slot follows its stream (receivelog.c reports the flush with a slot): pg_wal does not grow by the copy, and max_slot_wal_keep_size does not fail it', () => {
    // 16 MB/s for 400 s of copy: 6.4 GB of WAL, far beyond max_slot_wal_keep_size = 1 GB. The stream runs beside
    // the copy and its feedback moves the temporary slot's restart_lsn, which never retains that much.
    const r = run(15, { rate: 2000, spec: { walMethod: 'stream', maxRate: 25e6 }, primary: { maxWalSize: 1024 ** 3, maxSlotWalKeepSize: 1e9 } });
    expect(r.nodes.find((n) => n.name === 's')).toMatchObject({ receiver: 'streaming' });
    expect(r.events.some((e) => e.fact.kind === 'slot-invalidated')).toBe(false);
    expect(r.nodes.find((n) => n.name === 'p')!.pgWalSize!).toBeLessThan(3e9);
  });

  it('a named slot (--slot) keeps the WAL during the copy and becomes the standby\'s primary_slot_name', () => {
    const r = run(15, { rate: 2000, spec: { walMethod: 'fetch', slot: 's_slot', maxRate: 25e6 } });
    expect(r.nodes.find((n) => n.name === 's')).toMatchObject({ receiver: 'streaming' });
    expect(r.nodes.find((n) => n.name === 'p')!.slots!.find((x) => x.name === 's_slot')).toMatchObject({ standby: 's', active: true });
  });

  it('refuses a data directory that is not empty, and a destroyed one cannot start', () => {
    const busy = run(15, { actions: [action(s(600), { kind: 'basebackup', node: 's', spec: backup() })] });
    expect(lines(busy, 's')).toMatch(/pg_basebackup: error: directory ".*" exists but is not empty/);
    const destroyed = run(15, { actions: [action(s(600), { kind: 'destroyData', node: 's' }), action(s(700), { kind: 'start', node: 's' })] });
    expect(lines(destroyed, 's')).toMatch(/pg_ctl: directory ".*" is not a database cluster directory/);
    expect(destroyed.nodes.find((n) => n.name === 's')!.state).not.toBe('running');
  });
});

describe('pg_rewind (rebuild.ts)', () => {
  /**
   * A partition at 600 s; s is promoted at 610 s and takes the writes at 611 s, so p wrote past the fork; p is
   * stopped (or crashes) at 650 s, the link heals at 660 s, and p is rewound against s at 700 s. p keeps 1 GB of WAL
   * (wal_keep_size): pg_rewind reads p's WAL back to the last common checkpoint, which must still be there. s's
   * checkpoint after its promotion is spread and still runs at 700 s: a CHECKPOINT on s first puts its new timeline in
   * its control file, where pg_rewind up to 15 reads it (see 'right after the promotion' below).
   */
  function failover(version: PgMajor, p: PgSettingsSpec, extra: Action[] = [action(s(699), { kind: 'checkpoint', node: 's' }), action(s(700), { kind: 'pgRewind', node: 'p', spec: { from: 's', start: true } })], lose: 'stop' | 'crash' = 'stop', o: { source?: PgSettingsSpec; end?: number } = {}) {
    const keep: PgSettingsSpec = { walKeepSize: 1024 ** 3 };
    return runScenario(
      buildScenario({
        end: s(o.end ?? 1200),
        sites: ['a', 'b'],
        links: [{ between: ['a', 'b'], bandwidth: 125e6, latency: 1000 as Micros }],
        nodes: [node('p', 'a', version, { settings: { ...keep, ...p } }), node('s', 'b', version, { upstream: 'p', settings: o.source ?? {} })],
        workload: { target: 'p', rate: 500, walPerTx: 8000 },
        actions: [
          action(s(600), { kind: 'partition', target: { kind: 'link', sites: ['a', 'b'] } }, 'faults'),
          action(s(650), { kind: lose, node: 'p' }),
          action(s(660), { kind: 'heal', target: { kind: 'link', sites: ['a', 'b'] } }, 'faults'),
          action(s(610), { kind: 'promote', node: 's' }),
          action(s(611), { kind: 'routeWrites', cluster: 'main', node: 's', workload: null }),
          ...extra,
        ],
      }),
    ).report;
  }

  it('up to 13 the source must be a primary: a standby source is refused (libpq_fetch.c); 14 takes one', () => {
    const fromStandby = (v: PgMajor) =>
      run(v, { primary: { walLogHints: true }, actions: [action(s(600), { kind: 'stop', node: 'p' }), action(s(610), { kind: 'pgRewind', node: 'p', spec: { from: 's', start: false } })] });
    expect(lines(fromStandby(13), 'p')).toMatch(/pg_rewind: fatal: source server must not be in recovery mode/);
    expect(lines(fromStandby(11), 'p')).toMatch(/pg_rewind: source server must not be in recovery mode/);
    expect(lines(fromStandby(14), 'p')).not.toMatch(/must not be in recovery mode/);
  });

  it('needs wal_log_hints or data checksums, with the version\'s wording', () => {
    const without = failover(15, {});
    expect(lines(without, 'p')).toMatch(/pg_rewind: error: target server needs to use either data checksums or "wal_log_hints = on"/);
    expect(lines(failover(11, {}), 'p')).toMatch(/pg_rewind: target server needs to use either data checksums or "wal_log_hints = on"/);
    expect(lines(failover(9.4, { walLogHints: true }), 'p')).toMatch(/pg_rewind is not available before 9.5/);
  });

  it('with wal_log_hints the old primary is rewound to the fork and follows the new primary', () => {
    for (const p of [{ walLogHints: true }, { dataChecksums: true }] as PgSettingsSpec[]) {
      // s keeps its WAL (the CHECKPOINT would otherwise remove the last common checkpoint's redo: see below).
      const r = failover(15, p, undefined, 'stop', { source: { walKeepSize: 8 * 1024 ** 3 } });
      expect(lines(r, 'p')).toMatch(/pg_rewind: servers diverged at WAL location [0-9A-F]+\/[0-9A-F]+ on timeline 1/);
      expect(r.nodes.find((n) => n.name === 'p')).toMatchObject({ role: 'standby', timeline: 2, receiver: 'streaming' });
    }
    // Without it, a restart as a standby leaves it diverged.
    const diverged = failover(15, {}, [action(s(700), { kind: 'repoint', node: 'p', upstream: 's' })]);
    expect(diverged.nodes.find((n) => n.name === 'p')!.receiver).not.toBe('streaming');
  });

  it('up to 12 a crashed target is refused; from 13 pg_rewind runs its crash recovery itself', () => {
    const crashed = (v: PgMajor) => failover(v, { walLogHints: true }, undefined, 'crash');
    expect(lines(crashed(12), 'p')).toMatch(/pg_rewind: error: target server must be shut down cleanly/);
    expect(crashed(13).nodes.find((n) => n.name === 'p')).toMatchObject({ role: 'standby', timeline: 2 });
  });

  it('the rewound node replays from the last common checkpoint\'s redo: a source that removed it leaves the node asking for it', () => {
    // Rewound at 1500 s: s has written 890 s of WAL at 4 MB/s and its checkpoints removed the WAL of timeline 1
    // (max_wal_size 1 GB). pg_rewind itself succeeds (p still holds its WAL back to the checkpoint record), but
    // p's recovery starts at that checkpoint's redo, which neither its pg_wal (now s's) nor s has ([EXP] 15.18,
    // review-a s08: `Done!`, then `requested WAL segment 00000001… has already been removed` for ever).
    const late = [action(s(1500), { kind: 'pgRewind', node: 'p', spec: { from: 's', start: true } })];
    const gone = failover(15, { walLogHints: true }, late, 'stop', { end: 1700 });
    expect(lines(gone, 'p')).toMatch(/pg_rewind: Done!/);
    expect(lines(gone, 'p')).toMatch(/requested WAL segment 00000001[0-9A-F]{16} has already been removed/);
    expect(gone.nodes.find((n) => n.name === 'p')).toMatchObject({ role: 'standby' });
    expect(gone.nodes.find((n) => n.name === 'p')!.receiver).not.toBe('streaming');
    // The same rewind against a source that kept its WAL (wal_keep_size 8 GB): the node follows it.
    const kept = failover(15, { walLogHints: true }, late, 'stop', { end: 1700, source: { walKeepSize: 8 * 1024 ** 3 } });
    expect(kept.nodes.find((n) => n.name === 'p')).toMatchObject({ role: 'standby', timeline: 2, receiver: 'streaming' });
    // ... and so does one whose restore_command finds the segments in the archive (both archive from the start).
    const archive = { archiveMode: 'on', archiveCommand: 'cp %p /archive/%f' } as const;
    const restored = failover(15, { walLogHints: true, ...archive, restoreCommand: 'cp /archive/%f %p' }, late, 'stop', { end: 2400, source: archive });
    expect(lines(restored, 'p')).toMatch(/restored log file "00000001[0-9A-F]{16}" from archive/);
    expect(restored.nodes.find((n) => n.name === 'p')).toMatchObject({ role: 'standby', timeline: 2, receiver: 'streaming' });
  });

  it('a rewound node is consistent only once its replay reaches the source\'s end at the rewind: until then no connections, and a promotion fails', () => {
    // As above: the source removed the last common checkpoint's redo, so p never receives WAL from there.
    const late = (more: Action[] = []) => [action(s(1500), { kind: 'pgRewind', node: 'p', spec: { from: 's', start: true } }), ...more];
    const promote = action(s(1600), { kind: 'promote', node: 'p' });
    const stuck = failover(15, { walLogHints: true }, late([promote]), 'stop', { end: 1700 });
    const p = lines(stuck, 'p');
    // [EXP] 15.18 (the lead's rerun of review-a s08, promoted while it waited): no `consistent recovery state
    // reached`, pg_ctl start -w times out, and the promotion ends the server.
    const afterRewind = p.slice(p.indexOf('pg_rewind: Done!'));
    expect(afterRewind).not.toMatch(/consistent recovery state reached|ready to accept read-only connections/);
    expect(afterRewind).toMatch(/received promote request\nstartup FATAL: {2}could not find redo location referenced by checkpoint record\n\tHINT: {2}If you are restoring from a backup, touch "\/var\/lib\/postgresql\/data\/recovery.signal"/);
    expect(stuck.nodes.find((n) => n.name === 'p')).toMatchObject({ state: 'failed', role: 'standby' });
    expect(stuck.events.some((e) => e.fact?.kind === 'promotion-failed-inconsistent')).toBe(true);
    // 17 gives both LSNs and names standby.signal; 11 a one-line hint.
    expect(lines(failover(17, { walLogHints: true }, late([promote]), 'stop', { end: 1700 }), 'p')).toMatch(/could not find redo location [0-9A-F]+\/[0-9A-F]+ referenced by checkpoint record at [0-9A-F]+\/[0-9A-F]+\n\tHINT: {2}.*recovery.signal" or ".*standby.signal"/);
    expect(lines(failover(11, { walLogHints: true }, late([promote]), 'stop', { end: 1700 }), 'p')).toMatch(/could not find redo location referenced by checkpoint record\n\tHINT: {2}If you are not restoring from a backup, try removing the file "\/var\/lib\/postgresql\/data\/backup_label"\.$/m);
    // A source that kept its WAL: consistent at the start, and the promotion makes a primary.
    const kept = failover(15, { walLogHints: true }, late([promote]), 'stop', { end: 1700, source: { walKeepSize: 8 * 1024 ** 3 } });
    expect(lines(kept, 'p').slice(lines(kept, 'p').indexOf('pg_rewind: Done!'))).toMatch(/ready to accept read-only connections/);
    expect(kept.nodes.find((n) => n.name === 'p')).toMatchObject({ role: 'primary', state: 'running' });
    // With the archive the redo's segment is restored: consistent once replay reaches the source's end, later.
    const archive = { archiveMode: 'on', archiveCommand: 'cp %p /archive/%f' } as const;
    const restored = failover(15, { walLogHints: true, ...archive, restoreCommand: 'cp /archive/%f %p' }, late(), 'stop', { end: 2400, source: archive });
    const consistent = restored.events.find((e) => e.fact?.kind === 'recovery-consistent' && e.node === 'p');
    const started = restored.events.filter((e) => e.fact?.kind === 'started-standby' && e.node === 'p').at(-1)!;
    expect(started.fact).toMatchObject({ consistentAt: expect.any(Number) });
    expect(consistent).toBeDefined();
    expect(Date.parse(consistent!.at)).toBeGreaterThan(Date.parse(started.at));
    expect(consistent!.log.join('\n')).toMatch(/ready to accept read-only connections/);
  });

  /**
   * As review-a s09: 164 kB/s, so a timed checkpoint spreads over 270 s and its redo lies segments before its record;
   * p is stopped cleanly at 585 s, after the fork, and its shutdown checkpoint removes the WAL before the record's
   * segment (wal_keep_size 0), then it is rewound at 640 s.
   */
  function spreadFork(version: PgMajor) {
    return runScenario(
      buildScenario({
        end: s(900),
        sites: ['a', 'b'],
        links: [{ between: ['a', 'b'], bandwidth: 125e6, latency: 1000 as Micros }],
        nodes: [node('p', 'a', version, { settings: { walLogHints: true } }), node('s', 'b', version, { upstream: 'p', settings: { walLogHints: true, walKeepSize: 1024 ** 3 } })],
        workload: { target: 'p', rate: 20, walPerTx: 8192 },
        actions: [
          action(s(580), { kind: 'partition', target: { kind: 'link', sites: ['a', 'b'] } }, 'faults'),
          action(s(582), { kind: 'promote', node: 's' }),
          action(s(585), { kind: 'stop', node: 'p' }),
          action(s(586), { kind: 'routeWrites', cluster: 'main', node: 's', workload: null }),
          action(s(610), { kind: 'heal', target: { kind: 'link', sites: ['a', 'b'] } }, 'faults'),
          action(s(639), { kind: 'checkpoint', node: 's' }),
          action(s(640), { kind: 'pgRewind', node: 'p', spec: { from: 's', start: true } }),
        ],
      }),
    ).report;
  }

  it('pg_rewind reads back to the last common checkpoint\'s record, not its redo, and prints the record', () => {
    const r = spreadFork(15);
    const log = lines(r, 'p');
    expect(log).toMatch(/pg_rewind: Done!/);
    expect(r.nodes.find((n) => n.name === 'p')).toMatchObject({ role: 'standby', timeline: 2, receiver: 'streaming' });
    // The printed checkpoint is the record, segments past the redo the rewound node's recovery starts from.
    const lsn = (x: string) => { const [hi, lo] = x.split('/'); return parseInt(hi!, 16) * 2 ** 32 + parseInt(lo!, 16); };
    const record = lsn(/rewinding from last common checkpoint at ([0-9A-F]+\/[0-9A-F]+) on timeline 1/.exec(log)![1]!);
    const redo = (r.events.find((e) => e.fact.kind === 'rewind-done')!.fact as unknown as { redo: number }).redo;
    expect(Math.floor(record / 2 ** 24)).toBeGreaterThan(Math.floor(redo / 2 ** 24));
  });

  it('a target that lost the WAL back to the checkpoint record fails as pg_rewind does, with the version\'s levels', () => {
    // Rewound at 1500 s after running on 30 s past the fork without wal_keep_size: its shutdown checkpoint removed
    // the fork's segment (review-a s07).
    const late = [action(s(1500), { kind: 'pgRewind', node: 'p', spec: { from: 's', start: true } })];
    const r = failover(15, { walLogHints: true, walKeepSize: 0 }, late, 'stop', { end: 1600 });
    const log = lines(r, 'p');
    const diverged = /pg_rewind: servers diverged at WAL location ([0-9A-F]+\/[0-9A-F]+) on timeline 1/.exec(log);
    expect(diverged).not.toBeNull();
    expect(log).toMatch(/pg_rewind: error: could not open file "\/var\/lib\/postgresql\/data\/pg_wal\/00000001[0-9A-F]{16}": No such file or directory/);
    expect(log).toMatch(/pg_rewind: error: could not find previous WAL record at [0-9A-F]+\/[0-9A-F]+/);
    expect(log).not.toMatch(/rewinding from last common checkpoint/);
    // 12-14 print pg_fatal's level as `fatal: `.
    expect(lines(failover(14, { walLogHints: true, walKeepSize: 0 }, late, 'stop', { end: 1600 }), 'p')).toMatch(/pg_rewind: fatal: could not find previous WAL record at/);
  });
});

describe('pg_basebackup -X stream before 10 (no temporary slot)', () => {
  it('streams the WAL beside the copy: a long copy under writes succeeds, with 9.6 wording', () => {
    const text = `
name: stream96
start: 2024-01-01T10:00:00Z
end: "11:00"
sites: [a]
clusters:
  c:
    nodes:
      p: {site: a, version: "9.6", role: primary, data_size: 300GB}
      s: {site: a, version: "9.6", upstream: p}
    workload: {target: p, rate: 300/s, wal_per_tx: 8KiB}
plan:
  - {at: "10:05", name: reseed, reclone: {node: s, from: p, checkpoint: fast, wal_method: stream}}
`;
    const r = runScenario(loadScenarioText(text, '<stream96>')).report;
    const log = r.events.flatMap((e) => e.log);
    expect(log).toContain('pg_basebackup: base backup completed');
    expect(log.some((l) => l.startsWith('pg_basebackup: transaction log start point: '))).toBe(true);
    expect(log).not.toContain('pg_basebackup: checkpoint completed');
    expect(r.nodes.find((n) => n.name === 's')!.receiver).toBe('streaming');
  });
});

describe('a pg_basebackup under way fails when it is interrupted, not when the copy would have ended', () => {
  const text = (plan: string) => `
name: interrupted
start: 2024-01-01T10:00:00Z
end: "11:00"
sites: [a]
clusters:
  c:
    nodes:
      p: {site: a, version: 15, role: primary, data_size: 300GB}
      s: {site: a, version: 15, upstream: p}
    workload: {target: p, rate: 100/s, wal_per_tx: 8KiB}
plan:
  - {at: "10:05", name: reseed, reclone: {node: s, from: p, checkpoint: fast}}
${plan}
`;
  const failure = (plan: string) => {
    const r = runScenario(loadScenarioText(text(plan), '<interrupted>')).report;
    const e = r.events.find((x) => (x.fact as { kind: string }).kind === 'basebackup-failed')!;
    return { at: e.at, log: e.log, s: r.nodes.find((n) => n.name === 's')! };
  };

  it('its source restarts: its connection closes, so it fails then (the copy would have taken 10 min)', () => {
    const f = failure('  - {at: "10:07", restart: p}');
    expect(f.at).toBe('2024-01-01T10:07:00Z');
    expect(f.log[0]).toContain('could not read COPY data: server closed the connection unexpectedly');
  });

  it('the directory it writes into is removed: it fails then', () => {
    const f = failure('  - {at: "10:08", destroy_data: s}');
    expect(f.at).toBe('2024-01-01T10:08:00Z');
    expect(f.log[0]).toContain('could not create file');
  });
});

describe('pg_basebackup from a server promoted a moment before', () => {
  it('the backup starts from a checkpoint on the new timeline, so the copy starts as a standby of it (it did not: "requested timeline 2 is not a child")', () => {
    // p stops at 300 s; s is promoted at once (timeline 2 from p's last position) and writes nothing before
    // a third node is cloned from it at that instant: its backup checkpoint is written on timeline 2
    // (do_pg_backup_start forces a checkpoint on the primary's current timeline).
    const r = runScenario(
      buildScenario({
        end: s(900),
        sites: ['a'],
        links: [],
        nodes: [node('p', 'a', 16), node('s', 'a', 16, { upstream: 'p' }), node('t', 'a', 16, { upstream: 'p' })],
        workload: { target: 'p', rate: 100, walPerTx: 8000 },
        actions: [
          action(s(300), { kind: 'stop', node: 'p' }),
          action(s(300), { kind: 'promote', node: 's' }),
          action(s(300), { kind: 'reclone', node: 't', spec: backup({ from: 's', checkpoint: 'fast' }) }),
        ],
      }),
    ).report;
    expect(r.nodes.find((n) => n.name === 't')).toMatchObject({ state: 'running', role: 'standby', timeline: 2, receiver: 'streaming' });
    expect(lines(r, 't')).not.toMatch(/is not a child of this server's history/);
  });
});

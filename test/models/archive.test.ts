import { describe, expect, it } from 'vitest';
import { seconds, type Micros } from '../../src/engine/time.ts';
import type { World } from '../../src/models/world.ts';
import { runScenario } from '../../src/run.ts';
import type { Action, PgSettingsSpec, StorageSpec } from '../../src/scenario/types.ts';
import { action, buildScenario, node } from '../support/builder.ts';
import { walFileName } from '../../src/models/postgres/lsn.ts';

const s = (n: number) => seconds(n);
const SEG = 16 * 1024 * 1024;
const ARCHIVING: PgSettingsSpec = { archiveMode: 'on', archiveCommand: 'cp %p /archive/%f' };
const RESTORING: PgSettingsSpec = { restoreCommand: 'cp /archive/%f %p' };

/** p archives (4 MB/s of WAL); s1 streams from p, stops and starts as told. */
function run(version: number, o: { primary?: PgSettingsSpec; standby?: PgSettingsSpec; actions?: Action[]; end?: Micros; observe?: (w: World) => void; storage?: Partial<StorageSpec>; rate?: number } = {}) {
  return runScenario(
    buildScenario({
      end: o.end ?? s(3 * 3600),
      sites: ['a', 'b'],
      nodes: [
        node('p', 'a', version, { settings: o.primary ?? ARCHIVING, storage: { walVolume: null, throughput: null, ...o.storage } }),
        node('s1', 'b', version, { upstream: 'p', settings: o.standby ?? {} }),
      ],
      workload: { target: 'p', rate: o.rate ?? 500, walPerTx: 8000 },
      actions: o.actions ?? [],
    }),
    o.observe ? { afterEvent: o.observe } : {},
  );
}

const outage = (stop: number, start: number): Action[] => [action(s(stop), { kind: 'stop', node: 's1' }), action(s(start), { kind: 'start', node: 's1' })];
const fails = (from: number, to: number, exitCode = 1): Action => action(s(from), { kind: 'archiveFails', node: 'p', until: s(to), exitCode });
const removed = (r: ReturnType<typeof run>) => r.history.receiverTransitions.some((t) => t.node === 's1' && t.reason === 'wal-removed');
const lines = (r: ReturnType<typeof run>, node: string) => r.report.events.filter((e) => e.node === node).flatMap((e) => e.log).join('\n');

describe('WAL archiving (postgres-2.md §2.1, rule 7)', () => {
  it('a failing archive_command keeps every segment not archived in pg_wal: pg_wal grows by the backlog, then drains', () => {
    let peak = 0;
    let atFailureEnd = 0;
    const r = run(15, {
      actions: [fails(1800, 5400)],
      observe: (w) => {
        const c = w.clusters.get('main')!;
        const p = c.node('p');
        const now = w.ctx.sim.now;
        const size = c.storage.pgWalBytes(p, now);
        peak = Math.max(peak, size);
        if (now === s(5400) && atFailureEnd === 0) atFailureEnd = size;
        // Never removed before archived: the oldest segment kept is at or before the archiver's position.
        expect(p.oldestRetained).toBeLessThanOrEqual(c.storage.archive.archived(p)!);
      },
    });
    // An hour of 4 MB/s failed to archive: about 14.4 GB wait in pg_wal.
    expect(atFailureEnd).toBeGreaterThan(14e9);
    expect(peak).toBeLessThan(14.4e9 + 2e9);
    // At the end (100 MB/s archiving) the backlog is gone and pg_wal is a checkpoint cycle again.
    const p = r.report.nodes.find((n) => n.name === 'p')!;
    expect(p.archive!.backlogBytes).toBeLessThan(SEG);
    expect(p.pgWalSize!).toBeLessThan(2e9);
  });

  it('the failure lines by version: "archive command failed with exit code N", then the WARNING (transaction log up to 9.6)', () => {
    const v15 = lines(run(15, { actions: [fails(600, 900, 3)], end: s(1200) }), 'p');
    expect(v15).toMatch(/archiver LOG: {2}archive command failed with exit code 3\n\tDETAIL: {2}The failed archive command was: cp pg_wal\/[0-9A-F]{24} \/archive\/[0-9A-F]{24}/);
    expect(v15).toMatch(/archiver WARNING: {2}archiving write-ahead log file "[0-9A-F]{24}" failed too many times, will try again later/);
    const v96 = lines(run(9.6, { actions: [fails(600, 900)], end: s(1200) }), 'p');
    expect(v96).toMatch(/archiving transaction log file "[0-9A-F]{24}" failed too many times, will try again later/);
  });

  it('the cycles of a failure are counted on its own event, not on whatever the archiving node logged last', () => {
    // 500 tx/s of 8 kB: a segment every 4.2 s, so a cycle every 4.2 s; another event of p in between.
    const r = run(15, { actions: [fails(600, 900), action(s(700), { kind: 'blockClients', node: 'p' }), action(s(701), { kind: 'unblockClients', node: 'p' })], end: s(1000) });
    const p = r.report.events.filter((e) => e.node === 'p');
    const failed = p.find((e) => e.fact.kind === 'archiving-fails')!;
    expect(failed.repeated?.count).toBeGreaterThan(60);
    // The cycles end before the command works again, at 900 s.
    expect(Date.parse(failed.repeated!.last) - Date.parse(r.report.start)).toBeLessThan(900_000);
    for (const e of p) if (e !== failed) expect(e.repeated).toBeUndefined();
  });

  it('archive_mode without archive_command: the version\'s WARNING, and segments wait for ever', () => {
    const warn = (v: number) => lines(run(v, { primary: { archiveMode: 'on' }, end: s(600) }), 'p');
    expect(warn(14)).toMatch(/archiver WARNING: {2}archive_mode enabled, yet archive_command is not set/);
    expect(warn(15)).toMatch(/archiver WARNING: {2}archive_mode enabled, yet archiving is not configured/);
    expect(warn(17)).toMatch(/archiver WARNING: {2}"archive_mode" enabled, yet archiving is not configured/);
    const p = run(15, { primary: { archiveMode: 'on' }, end: s(1800) }).report.nodes.find((n) => n.name === 'p')!;
    expect(p.pgWalSize!).toBeGreaterThan(7e9); // 30 minutes of 4 MB/s, none removed
  });

  it('an archive_command slower than the WAL: the backlog grows at the difference', () => {
    const r = run(15, { storage: { archiveThroughput: 3e6 }, end: s(3600) });
    const p = r.report.nodes.find((n) => n.name === 'p')!;
    // 4 MB/s written, 3 MB/s archived: about 3.6 GB behind after an hour.
    expect(p.archive!.backlogBytes).toBeGreaterThan(3.4e9);
    expect(p.archive!.backlogBytes).toBeLessThan(3.8e9);
  });

  it('archive_timeout: a quiet primary\'s archive trails it by at most archive_timeout, not by a segment', () => {
    // 2 tx/s of 8000 B: 16 kB/s, a 16 MiB segment every 17 min. With archive_timeout = 60 s the checkpointer
    // switches segments every minute (checkpointer.c CheckArchiveTimeout), so at 3630 s the archive holds the WAL
    // up to the switch at 3600 s; without it, only up to the start of the segment being written.
    const seen = (settings: PgSettingsSpec) => {
      let got = { archived: 0, end: 0, atTick: 0 };
      run(15, {
        rate: 2,
        primary: settings,
        end: s(3700),
        actions: [action(s(3630), { kind: 'assess', cluster: 'main' })],
        observe: (w) => {
          if (w.ctx.sim.now !== s(3630)) return;
          const c = w.clusters.get('main')!;
          const p = c.node('p');
          got = { archived: c.storage.archive.archived(p)!, end: p.walEnd(s(3630)), atTick: c.walClock.lsnAt(p.wal.timeline, s(3600))! };
        },
      });
      return got;
    };
    const timeout = seen({ ...ARCHIVING, archiveTimeout: s(60) });
    expect(timeout.archived).toBeCloseTo(timeout.atTick, 0);
    expect(timeout.end - timeout.archived).toBeCloseTo(30 * 16_000, -3);
    const none = seen(ARCHIVING);
    expect(none.archived % SEG).toBe(0);
    expect(none.end - none.archived).toBeGreaterThan(2e6);
  });

  it('a slow archive_command keeps its progress within a segment across reflows (other events do not restart the copy)', () => {
    // The same hour, with a workload change every 5 s that changes nothing (each one a reflow): the archiver's
    // copy of the current segment goes on; only a failed command starts the segment again.
    const ticks = Array.from({ length: 719 }, (_, i) => action(s(5 * (i + 1)), { kind: 'workload', cluster: 'main', workload: null, rate: 500 }));
    const r = run(15, { storage: { archiveThroughput: 3e6 }, end: s(3600), actions: ticks });
    const p = r.report.nodes.find((n) => n.name === 'p')!;
    expect(p.archive!.backlogBytes).toBeGreaterThan(3.4e9);
    expect(p.archive!.backlogBytes).toBeLessThan(3.8e9);
  });
});

describe('restore_command: archive, pg_wal, then the stream (postgres-2.md §2.2, rule 9)', () => {
  it('a standby whose upstream removed what it needs catches up from the archive, then streams again; without restore_command it cannot', () => {
    const without = run(15, { actions: outage(1800, 5400) });
    expect(removed(without)).toBe(true);
    expect(without.report.nodes.find((n) => n.name === 's1')!.receiver).toBe('waiting');
    const withArchive = run(15, { standby: RESTORING, actions: outage(1800, 5400) });
    expect(removed(withArchive)).toBe(false);
    const s1 = withArchive.report.nodes.find((n) => n.name === 's1')!;
    expect(s1.receiver).toBe('streaming');
    const log = lines(withArchive, 's1');
    expect(log).toMatch(/startup LOG: {2}restored log file "[0-9A-F]{24}" from archive/);
    // From the archive first, then the stream from where the archive ended.
    const restoredAt = withArchive.report.events.findIndex((e) => e.node === 's1' && /restored [\d,]+ WAL segments from the archive/.test(e.message));
    const streamedAt = withArchive.report.events.findIndex((e, i) => i > restoredAt && e.node === 's1' && /^streaming from p/.test(e.message));
    expect(restoredAt).toBeGreaterThan(0);
    expect(streamedAt).toBeGreaterThan(restoredAt);
  });

  it('a start replays from its restartpoint\'s redo, the archive first: the first segment restored is the redo\'s', () => {
    let redo: number | null = null;
    let stoppedAt: number | null = null;
    const r = run(15, {
      standby: RESTORING,
      actions: outage(1800, 3000),
      end: s(3600),
      observe: (w) => {
        const c = w.clusters.get('main')!;
        const s1 = c.node('s1');
        if (!s1.running && redo === null && w.ctx.sim.now >= s(1800)) {
          redo = c.storage.checkpointer.completedRedo(s1);
          stoppedAt = s1.walEnd(w.ctx.sim.now);
        }
      },
    });
    const seg = (lsn: number) => Math.floor(lsn / SEG) * SEG;
    // The restartpoint's redo lies segments before where the standby stopped: those are restored again.
    expect(seg(redo!)).toBeLessThan(seg(stoppedAt!));
    const restored = r.report.events.find((e) => e.node === 's1' && e.fact.kind === 'restored-from-archive')!;
    expect(restored.log[0]).toBe(`startup LOG:  restored log file "${walFileName(1, seg(redo!), SEG)}" from archive`);
  });

  it('the archive comes first: a standby restores what the archive has even when its upstream still has it', () => {
    const r = run(15, { standby: RESTORING, actions: outage(600, 700), end: s(900) });
    expect(lines(r, 's1')).toMatch(/restored log file/);
    expect(r.report.nodes.find((n) => n.name === 's1')!.receiver).toBe('streaming');
  });

  it('the restore takes the time restore_throughput gives it', () => {
    const doneAt = (restoreThroughput: number) => {
      const r = runScenario(
        buildScenario({
          end: s(3 * 3600),
          sites: ['a', 'b'],
          nodes: [node('p', 'a', 15, { settings: ARCHIVING }), node('s1', 'b', 15, { upstream: 'p', settings: RESTORING, storage: { walVolume: null, throughput: null, restoreThroughput } })],
          workload: { target: 'p', rate: 500, walPerTx: 8000 },
          actions: outage(1800, 5400),
        }),
      );
      const e = r.report.events.find((x) => x.node === 's1' && /restored [\d,]+ WAL segments/.test(x.message))!;
      return (Date.parse(e.at) - Date.parse(r.report.start)) / 1000 - 5400;
    };
    // An hour of 4 MB/s (14.4 GB, plus what is written meanwhile): about 14.4 GB / (200 - 4) MB/s at 200 MB/s,
    // / (50 - 4) MB/s at 50 MB/s (whole batches of 64 segments: within a batch's time).
    expect(Math.abs(doneAt(200e6) - 14.4e9 / 196e6)).toBeLessThan(8);
    expect(Math.abs(doneAt(50e6) - 14.4e9 / 46e6)).toBeLessThan(25);
  });
});

describe('PITR considers the archive (dataLoss.ts)', () => {
  it('the lost WAL the archive holds makes the loss recoverable, and the verdict names the archive', () => {
    const r = runScenario(
      buildScenario({
        end: s(1200),
        sites: ['a', 'b'],
        links: [{ between: ['a', 'b'], bandwidth: 1.25e6, latency: 5000 as Micros }],
        nodes: [node('p', 'a', 15, { settings: ARCHIVING }), node('s1', 'b', 15, { upstream: 'p' })],
        workload: { target: 'p', rate: 500, walPerTx: 8000 },
        actions: [
          action(s(600), { kind: 'crash', node: 'p' }),
          action(s(610), { kind: 'promote', node: 's1' }),
          action(s(611), { kind: 'routeWrites', cluster: 'main', node: 's1', workload: null }),
          action(s(611), { kind: 'workload', cluster: 'main', workload: null, rate: 0 }),
        ],
      }),
    );
    const loss = r.report.dataLoss[0]!;
    expect(loss.commits).toBeGreaterThan(0);
    expect(loss.recoverableByPitr).toBe(true);
    expect(loss.pitr).toMatch(/the WAL archive at site a/);
  });
});

describe('a promotion seen only in the archive (xlogrecovery.c rescanLatestTimeLine, timeline.c existsTimeLineHistory)', () => {
  // p crashes at 600 s; s1 (archiving) is promoted at 605 s and takes the writes; s2 (latest) stays pointed at
  // the dead p: only the archive shows it timeline 2 ([EXP] 15.18, /tmp/review-a s11).
  const followRun = (s2: PgSettingsSpec, more: Action[] = []) =>
    runScenario(
      buildScenario({
        end: s(1500),
        sites: ['a', 'b'],
        nodes: [node('p', 'a', 15, { settings: ARCHIVING }), node('s1', 'b', 15, { upstream: 'p', settings: ARCHIVING }), node('s2', 'b', 15, { upstream: 'p', settings: s2 })],
        workload: { target: 'p', rate: 500, walPerTx: 8000 },
        actions: [
          action(s(600), { kind: 'crash', node: 'p' }),
          action(s(605), { kind: 'promote', node: 's1' }),
          action(s(606), { kind: 'routeWrites', cluster: 'main', node: 's1', workload: null }),
          ...more,
        ],
      }),
    );
  const nodeOf = (r: ReturnType<typeof run>, name: string) => r.report.nodes.find((n) => n.name === name)!;
  const lsnOf = (x: string) => {
    const [hi, lo] = x.split('/');
    return parseInt(hi!, 16) * 2 ** 32 + parseInt(lo!, 16);
  };

  it('a standby with restore_command on latest restores 00000002.history at its rescan, follows timeline 2 and restores its segments', () => {
    const r = followRun(RESTORING);
    const s2 = nodeOf(r, 's2');
    expect(s2.timeline).toBe(2);
    // It keeps up with what s1 archived: within a segment or two of s1's WAL at the end.
    expect(lsnOf(nodeOf(r, 's1').lsn) - lsnOf(s2.lsn)).toBeLessThan(3 * SEG);
    const follow = r.report.events.find((e) => e.node === 's2' && e.fact.kind === 'follows-timeline')!;
    expect(follow.log).toEqual([
      'startup LOG:  restored log file "00000002.history" from archive',
      'startup LOG:  restored log file "00000002.history" from archive',
      'startup LOG:  new target timeline is 2',
    ]);
    expect(follow.message).toMatch(/history file restored from the WAL archive at site a by restore_command/);
    // The failures of the stream in between are counted on their own event, not on the follow.
    expect(follow.repeated).toBeUndefined();
    // The switchpoint's segment is restored under the new timeline's name.
    expect(lines(r, 's2')).toMatch(/restored log file "00000002[0-9A-F]{16}" from archive/);
  });

  it('while the new primary\'s archive_command fails, its history file is not in the archive: the standby follows only once it succeeds', () => {
    // s1's archive_command fails from 590 s to 900 s, across its promotion at 605 s: 00000002.history stays
    // `.ready` in its pg_wal until the first successful cycle (pgarch.c takes history files first).
    const r = followRun(RESTORING, [action(s(590), { kind: 'archiveFails', node: 's1', until: s(900), exitCode: 1 }, 'faults')]);
    const follow = r.report.events.find((e) => e.node === 's2' && e.fact.kind === 'follows-timeline')!;
    expect((Date.parse(follow.at) - Date.parse(r.report.start)) / 1000).toBeGreaterThanOrEqual(900);
    expect(nodeOf(r, 's2').timeline).toBe(2);
    // The fault began while s1 did not archive (a standby, archive_mode on): its first cycle, at the promotion, fails.
    const failed = r.report.events.find((e) => e.node === 's1' && e.fact.kind === 'archiving-fails')!;
    expect((Date.parse(failed.at) - Date.parse(r.report.start)) / 1000).toBeCloseTo(605, 0);
    // Failing to the end: it never sees timeline 2.
    const never = followRun(RESTORING, [action(s(590), { kind: 'archiveFails', node: 's1', until: s(1500), exitCode: 1 }, 'faults')]);
    expect(nodeOf(never, 's2').timeline).toBe(1);
  });

  it('without restore_command it only sees the local history files: it stays on timeline 1', () => {
    expect(nodeOf(followRun({}), 's2').timeline).toBe(1);
  });

  it('at startup, latest resolves through the archive: probe, then the target read after `entering standby mode`', () => {
    const r = followRun(RESTORING, [action(s(500), { kind: 'stop', node: 's2' }), action(s(700), { kind: 'start', node: 's2' })]);
    const started = r.report.events.find((e) => e.node === 's2' && e.fact.kind === 'started-standby' && Date.parse(e.at) - Date.parse(r.report.start) === 700_000)!;
    expect(started.message).toMatch(/recovery target timeline 2/);
    const log = started.log.join('\n');
    expect(log).toMatch(/restored log file "00000002.history" from archive\n.*entering standby mode\n.*restored log file "00000002.history" from archive/);
    expect(nodeOf(r, 's2').timeline).toBe(2);
  });
});

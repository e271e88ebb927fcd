/**
 * Point-in-time recovery from a named base backup (postgres-2.md §2.3, postgres.md rules 1 and 12): the
 * `restore_backup` step replaces a stopped server's data directory with the backup and starts it in archive
 * recovery (recovery.conf up to 11, renamed recovery.done at the end; recovery.signal from 12, removed at the
 * end), which replays the WAL archive through restore_command up to the recovery target.
 *
 * - Target timeline (xlogrecovery.c validateRecoveryParameters, timeline.c findNewestTimeLine): `current` is
 *   the backup checkpoint's, `latest` the newest found by probing the history files (local and in the archive)
 *   from there, a number that file; it must contain the checkpoint and the backup's end (the startup FATALs).
 *   Only that timeline's history is read (XLogFileReadAnyTLI): the archive's other branches are ignored.
 * - Where it stops (recoveryStopsBefore/After): a time target before the first commit written after that time
 *   (walclock.ts), an LSN target at the LSN, `immediate` at the backup's end (consistency). A stop before the
 *   backup's end is FATAL `requested recovery stop point is before consistent recovery point`.
 * - At the target, recovery_target_action: `pause` (the server stays in recovery until a promote step),
 *   `promote` (end of recovery: a new timeline, newest known + 1, its history file naming the stop, e.g.
 *   `after LSN 0/30000F8`, `before 2026-12-03 16:32:42.3825+00`), `shutdown`. Observed on 10.23, 11.22, 12.22,
 *   13.23, 15.18 (conformance/pitr-check.sh).
 * - The archive runs out first: with no target recovery ends there and promotes whatever the action ("no
 *   recovery target specified"); with a target, 13+ exits with FATAL `recovery ended before configured recovery
 *   target was reached`, up to 12 the server ends recovery there and promotes (observed on 12.22: the history
 *   file then says `before 2000-01-01 00:00:00+00`, the unset stop time; for an LSN target the same code writes
 *   `before LSN 0/0`, not observed).
 *
 * Approximations: segments are restored at restore_throughput in batches and replayed as restored (replay
 * capacity is not modelled here); the archive is read as it is at each batch; `pause` with hot_standby off
 * (which acts as `shutdown`) is not modelled (replsim has no hot_standby setting); the xid in the stop line is
 * the XID counter's value at that commit, extrapolated from its current rate; times print in UTC.
 */
import type { EventHandle } from '../../engine/simulation.ts';
import type { Micros } from '../../engine/time.ts';
import { txAt } from '../../history/history.ts';
import type { Fact, Rule } from '../../history/facts/index.ts';
import type { RecoveryTargetFact, RestoreRefusal } from '../../history/facts/backup.ts';
import type { RecoveryTarget, RestoreBackupSpec } from '../../scenario/types.ts';
import type { BaseBackup } from './backups.ts';
import type { PgCluster } from './cluster.ts';
import { PRIORITY } from './context.ts';
import { formatLsn, segmentStart, type Lsn } from './lsn.ts';
import { pgLog, type LogLine } from './messages.ts';
import type { PgNode } from './node.ts';
import { timelineAt, switchPointOf, type Timeline } from './timeline.ts';
import { DEFAULT_ARCHIVE_THROUGHPUT } from './archive.ts';

/** Segments restored per event at most. */
const RESTORE_BATCH = 64;

/** A recovery configured on a node (recovery.conf / recovery.signal present) and its progress. */
interface Recovery {
  readonly spec: RestoreBackupSpec;
  readonly backup: BaseBackup;
  /** The running recovery: the boot it belongs to, its target timeline, the pending restore. */
  run: { boot: number; target: Timeline; event: EventHandle | null; restored: { from: Lsn; to: Lsn } | null } | null;
}

const startup = (message: string, extra: Partial<LogLine> = {}): LogLine => ({ process: 'startup', level: 'LOG', message, ...extra });
const fatal = (message: string): LogLine => ({ process: 'startup', level: 'FATAL', message });

/** timestamptz_to_str as a server with TimeZone UTC prints it: microseconds without trailing zeros. */
function pgTimestamp(epochMs: number, at: Micros): string {
  const us = Math.round(epochMs * 1000 + at);
  const d = new Date(Math.floor(us / 1000));
  const pad = (x: number, w = 2) => String(x).padStart(w, '0');
  const frac = ((us % 1e6) + 1e6) % 1e6;
  const fraction = frac === 0 ? '' : `.${String(frac).padStart(6, '0').replace(/0+$/, '')}`;
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}${fraction}+00`;
}

export class PitRecovery {
  private readonly configured = new Map<PgNode, Recovery>();
  /** The history-file reason of the end of recovery a node is paused at (or ends at): consumed by the promotion. */
  private readonly endReasons = new Map<PgNode, string>();

  constructor(private readonly cluster: PgCluster) {}

  private get now(): Micros {
    return this.cluster.ctx.sim.now;
  }

  private refuse(n: PgNode, why: RestoreRefusal): void {
    this.cluster.log(n, 'replication', { kind: 'restore-refused', node: n.name, why });
  }

  // ------------------------------------------------------------------ the restore step

  restore(n: PgNode, spec: RestoreBackupSpec): void {
    const state = this.cluster.backups.get(spec.backup);
    if (!state) return this.refuse(n, { kind: 'no-backup', backup: spec.backup });
    if (state.state === 'running') return this.refuse(n, { kind: 'backup-running', backup: spec.backup });
    if (state.state === 'failed') return this.refuse(n, { kind: 'backup-failed', backup: spec.backup, failure: state.why });
    if (n.running) return this.refuse(n, { kind: 'running' });
    if (n.dataDirectory === 'copying') return this.refuse(n, { kind: 'copy-running' });
    const backup = state.backup;
    const store = { name: `the backup store at site ${backup.site}`, site: backup.site };
    if (!this.cluster.ctx.net.reachable(store, this.cluster.endpointOf(n))) return this.refuse(n, { kind: 'store-unreachable', site: backup.site });
    const rate = this.cluster.rebuilds.copyRate(store, n, null);
    const copy = Math.max(1, Math.ceil((backup.size / rate) * 1e6)) as Micros;
    n.dataDirectory = 'copying';
    this.configured.delete(n);
    this.endReasons.delete(n);
    this.cluster.log(
      n,
      'replication',
      {
        kind: 'restore-started',
        node: n.name,
        backup: backup.name,
        from: backup.from,
        checkpointLsn: backup.checkpoint.lsn,
        endLsn: backup.endLsn,
        timeline: timelineAt(backup.timeline, Math.max(0, backup.endLsn - 1)).tli,
        bytes: backup.size,
        rate,
        duration: copy,
        recovery: recoveryOf(spec),
        version: n.version,
      },
    );
    this.cluster.ctx.sim.after(copy, `restore backup ${n.name}`, () => {
      this.cluster.rebuilds.install(n, backup.timeline, backup.endLsn, backup.checkpoint, null);
      this.configured.set(n, { spec, backup, run: null });
      this.cluster.log(n, 'lifecycle', { kind: 'restore-installed', node: n.name, backup: backup.name, recovery: recoveryOf(spec) });
      if (spec.start) this.cluster.start(n);
    }, PRIORITY.protocol);
  }

  // ------------------------------------------------------------------ archive recovery

  /** PgCluster.start: a node configured for archive recovery starts it here (true); false: not ours. */
  start(n: PgNode): boolean {
    const r = this.configured.get(n);
    if (!r || n.role.kind !== 'standby') return false;
    const v = n.version;
    // xlogrecovery.c validateRecoveryParameters (xlog.c readRecoveryCommandFile up to 11).
    if (n.settings.restoreCommand === null) {
      this.cluster.refuseStart(n, fatal('must specify restore_command when standby mode is not enabled'));
      return true;
    }
    // restore_command fetches the history files findNewestTimeLine probes for.
    if (this.cluster.storage.archive.reachableFrom(n)) for (const [tli, tl] of this.cluster.storage.archive.historyFiles()) if (!n.historyFiles.has(tli)) n.historyFiles.set(tli, tl);
    const goal = r.spec.timeline ?? n.settings.recoveryTargetTimeline;
    const ckpt = n.checkpoint;
    let target: Timeline;
    if (goal === 'current') target = n.historyFiles.get(ckpt.tli) ?? timelineAt(n.wal.timeline, ckpt.lsn);
    else if (goal === 'latest') target = n.historyFiles.get(this.cluster.findNewestTimeline(n, ckpt.tli)) ?? timelineAt(n.wal.timeline, ckpt.lsn);
    else {
      const t = n.historyFiles.get(goal.tli);
      if (!t) {
        this.cluster.refuseStart(n, pgLog.targetTimelineMissingFatal(goal.tli));
        return true;
      }
      target = t;
    }
    if (timelineAt(target, ckpt.lsn).tli !== ckpt.tli) {
      this.cluster.refuseStart(n, pgLog.notAChildFatal(n.version, target.tli, ckpt.lsn, ckpt.tli, switchPointOf(target, ckpt.tli).end ?? target.begin));
      return true;
    }
    const end = n.walEnd(this.now);
    const endTli = timelineAt(n.wal.timeline, Math.max(0, end - 1)).tli;
    if (timelineAt(target, Math.max(0, end - 1)).tli !== endTli) {
      this.cluster.refuseStart(n, pgLog.noMinRecoveryPointFatal(target.tli, end, endTli));
      return true;
    }
    n.run = { state: 'running' };
    n.boot++;
    n.startedAt = this.now;
    const role = n.role;
    role.target = target;
    n.wal.timeline = target;
    r.run = { boot: n.boot, target, event: null, restored: null };
    const t = r.spec.target;
    const begin =
      t.kind === 'latest'
        ? 'starting archive recovery'
        : `starting point-in-time recovery to ${t.kind === 'immediate' ? 'earliest consistent point' : t.kind === 'lsn' ? `WAL location (LSN) "${formatLsn(t.lsn)}"` : pgTimestamp(t.epochMs, t.at)}`;
    this.cluster.log(n, 'lifecycle', { kind: 'archive-recovery-started', node: n.name, backup: r.backup.name, recovery: recoveryOf(r.spec), timeline: target.tli }, [
      startup(begin),
      startup(`redo starts at ${formatLsn(ckpt.lsn)}`),
      startup(`consistent recovery state reached at ${formatLsn(r.backup.endLsn)}`),
      pgLog.readyToAcceptReadOnly(v),
    ]);
    this.cluster.storage.start(n, false);
    this.step(n);
    return true;
  }

  /** The position where the target stops recovery along `target`'s history, or null: not in the WAL written so far. */
  private stopPoint(r: Recovery, target: Timeline): Lsn | null {
    const t = r.spec.target;
    switch (t.kind) {
      case 'latest':
        return null;
      case 'immediate':
        return r.backup.endLsn;
      case 'lsn':
        return t.lsn;
      case 'time':
        // A commit after the target time must have been written for recovery to see where to stop.
        if (t.at >= this.now) return null;
        return this.cluster.walClock.positionAt(target, t.at);
    }
  }

  /** Restore the next batch of segments from the archive, or stop: at the target, or where the archive ends. */
  private step(n: PgNode): void {
    const r = this.configured.get(n);
    const run = r?.run;
    const role = n.role;
    if (!r || !run || !n.running || n.boot !== run.boot || role.kind !== 'standby') return;
    run.event = null;
    const now = this.now;
    const pos = n.walEnd(now);
    const stop = this.stopPoint(r, run.target);
    if (stop !== null && pos >= stop - 0.5) return this.reached(n, r, stop);
    const seg = n.settings.walSegmentSize;
    const archive = this.cluster.storage.archive;
    const available = archive.reachableFrom(n) ? archive.availableEnd(run.target, pos, seg) : pos;
    if (available <= pos + 0.5) return this.outOfWal(n, r, pos);
    const to = Math.min(available, segmentStart(pos, seg) + RESTORE_BATCH * seg, stop ?? Number.POSITIVE_INFINITY);
    // Replay begins at the backup's redo point, and archive recovery takes each segment from the archive before
    // pg_wal (xlogrecovery.c WaitForWALToBecomeAvailable: XLOG_FROM_ARCHIVE first, XLogFileReadAnyTLI with
    // XLOG_FROM_ANY): the backup's own segments from the redo's on are restored too when archived ([EXP] 15.18: the
    // first `restored log file` is the start point's segment), then the rest.
    const redo = segmentStart(n.checkpoint.lsn, seg);
    const from = run.restored === null && redo < segmentStart(pos, seg) && archive.reachableFrom(n) && archive.availableEnd(run.target, redo, seg) >= segmentStart(pos, seg) ? redo : pos;
    const rate = (n.storage.restoreThroughput ?? DEFAULT_ARCHIVE_THROUGHPUT) / 1e6;
    const duration = Math.max(1, Math.ceil((to - from) / rate)) as Micros;
    run.restored = { from: run.restored?.from ?? from, to };
    run.event = this.cluster.ctx.sim.after(duration, `pitr ${n.name}`, () => {
      if (n.running && n.boot === run.boot && to > n.walEnd(this.now)) n.wal.end.set(this.now, to);
      this.cluster.requestReflow();
      this.step(n);
    }, PRIORITY.protocol);
    role.receiver = { status: 'waiting', reason: 'restoring-from-archive', retry: run.event };
  }

  /** The lines for the segments restored by this recovery (xlogarchive.c RestoreArchivedFile): the first and the last. */
  private restoredLines(n: PgNode, r: Recovery): LogLine[] {
    const got = r.run?.restored;
    if (!got) return [];
    return this.cluster.storage.archive.restoredLines(n, segmentStart(got.from, n.settings.walSegmentSize), Math.max(got.to, segmentStart(got.from, n.settings.walSegmentSize) + n.settings.walSegmentSize));
  }

  private reached(n: PgNode, r: Recovery, stop: Lsn): void {
    const now = this.now;
    const v = n.version;
    const restored = this.restoredLines(n, r);
    if (stop < r.backup.endLsn - 0.5) {
      // xlog.c StartupXLOG: the target lies inside the backup, before the state is consistent.
      this.exit(n, r, [...restored, fatal('requested recovery stop point is before consistent recovery point')], 'xlogrecovery.c:PerformWalRecovery');
      return;
    }
    if (n.walEnd(now) > stop) n.wal.end.set(now, stop);
    const { line, reason, rule } = this.stopLine(n, r, stop);
    const action = v < 9.5 && r.spec.action === 'shutdown' ? 'pause' : r.spec.action;
    const reached: Fact = { kind: 'recovery-target-reached', node: n.name, lsn: stop, reason, action, rule };
    if (action === 'promote') {
      this.cluster.log(n, 'replication', reached, [...restored, line]);
      return this.endRecovery(n, r, reason);
    }
    this.endReasons.set(n, reason);
    if (r.run?.event) this.cluster.ctx.sim.cancel(r.run.event);
    r.run = null;
    if (action === 'pause') {
      (n.role as { receiver: unknown }).receiver = { status: 'stopped' };
      // xlogrecovery.c recoveryPausesHere(endOfRecovery): 13+ says where it pauses and that resuming promotes
      // (observed on 13.23, 14.23, 15.18); up to 12 the generic pause (10.23, 12.22).
      const fn = v >= 10 ? 'pg_wal_replay_resume()' : 'pg_xlog_replay_resume()';
      const pause = v >= 13 ? startup('pausing at the end of recovery', { hint: `Execute ${fn} to promote.` }) : startup('recovery has paused', { hint: `Execute ${fn} to continue.` });
      this.cluster.log(n, 'replication', reached, [...restored, line, pause]);
      this.cluster.requestReflow();
      return;
    }
    this.cluster.log(n, 'replication', reached, [...restored, line, { process: 'postmaster', level: 'LOG', message: 'shutdown at recovery target' }]);
    this.cluster.stop(n);
  }

  /** The archive has nothing more (or cannot be read) before the target. */
  private outOfWal(n: PgNode, r: Recovery, pos: Lsn): void {
    const t = r.spec.target;
    const restored = this.restoredLines(n, r);
    if (t.kind === 'latest') {
      this.cluster.log(n, 'replication', { kind: 'archive-recovery-complete', node: n.name, lsn: pos }, restored);
      return this.endRecovery(n, r, 'no recovery target specified');
    }
    if (n.version >= 13) {
      // xlogrecovery.c PerformWalRecovery (13+).
      this.exit(n, r, [...restored, fatal('recovery ended before configured recovery target was reached')], 'xlogrecovery.c:PerformWalRecovery');
      return;
    }
    // Up to 12 recovery just ends where the WAL ends, the stop fields unset (observed on 12.22).
    const reason = t.kind === 'time' ? 'before 2000-01-01 00:00:00+00' : t.kind === 'lsn' ? 'before LSN 0/0' : 'reached consistency';
    this.cluster.log(n, 'replication', { kind: 'archive-ran-out', node: n.name, lsn: pos, version: n.version }, restored);
    this.endRecovery(n, r, reason);
  }

  /** The startup process exits with a FATAL: the server stops (it can be reconfigured and started again). */
  private exit(n: PgNode, r: Recovery, lines: LogLine[], rule?: Rule): void {
    if (r.run?.event) this.cluster.ctx.sim.cancel(r.run.event);
    r.run = null;
    const last = lines.at(-1)!;
    this.cluster.stop(n);
    n.run = { state: 'failed', fatal: last };
    this.cluster.log(n, 'fatal', { kind: 'archive-recovery-failed', node: n.name, error: last.message, ...(rule ? { rule } : {}) }, [...lines, pgLog.shutDown()]);
  }

  /** End of archive recovery: a new timeline, the recovery configuration removed (renamed on 11 and before). */
  private endRecovery(n: PgNode, r: Recovery, reason: string): void {
    if (r.run?.event) this.cluster.ctx.sim.cancel(r.run.event);
    r.run = null;
    this.endReasons.set(n, reason);
    // The archive may hold newer history files by now: findNewestTimeLine probes it again.
    if (this.cluster.storage.archive.reachableFrom(n)) for (const [tli, tl] of this.cluster.storage.archive.historyFiles()) if (!n.historyFiles.has(tli)) n.historyFiles.set(tli, tl);
    this.cluster.completePromotion(n, { kind: 'plan' });
  }

  /** Whether `n` is in a point-in-time recovery (a restored backup recovering to its target, or paused there). */
  recovering(n: PgNode): boolean {
    return this.configured.has(n);
  }

  /**
   * PgCluster.completePromotion: the reason its history file gives (null: a plain promotion). The recovery
   * configuration is gone after it (recovery.done up to 11, recovery.signal removed from 12).
   */
  endOfRecovery(n: PgNode): string | null {
    const reason = this.endReasons.get(n) ?? null;
    this.endReasons.delete(n);
    this.configured.delete(n);
    return reason;
  }

  /** The `recovery stopping …` line and the history file's reason (xlogrecovery.c recoveryStopsBefore/After, getRecoveryStopReason). */
  private stopLine(n: PgNode, r: Recovery, stop: Lsn): { line: LogLine; reason: string; rule: Rule } {
    const t: RecoveryTarget = r.spec.target;
    if (t.kind === 'lsn') {
      const side = r.spec.inclusive ? 'after' : 'before';
      return { line: startup(`recovery stopping ${side} WAL location (LSN) "${formatLsn(t.lsn)}"`), reason: `${side} LSN ${formatLsn(t.lsn)}`, rule: r.spec.inclusive ? 'xlogrecovery.c:recoveryStopsAfter' : 'xlogrecovery.c:recoveryStopsBefore' };
    }
    if (t.kind === 'immediate' || t.kind === 'latest') return { line: startup('recovery stopping after reaching consistency'), reason: 'reached consistency', rule: 'xlogrecovery.c:recoveryStopsBefore' };
    // A time target stops before the first commit written after it: its xid and timestamp.
    const tl = timelineAt(r.run?.target ?? n.wal.timeline, stop);
    const term = this.cluster.ctx.history.terms.find((x) => x.timeline === tl && x.startLsn <= stop);
    let at = t.at;
    if (term) {
      const walPerTx = term.commitMap.at(-1)!.walPerTx;
      const next = stop + walPerTx * (1 - (txAt(term, stop) % 1));
      at = this.cluster.walClock.timeAt(tl, next) ?? t.at;
    }
    const xid = Math.max(3, Math.floor(this.cluster.xid.nextXid.valueAt(at)));
    const ts = pgTimestamp(t.epochMs, at);
    return { line: startup(`recovery stopping before commit of transaction ${xid}, time ${ts}`), reason: `before ${ts}`, rule: 'xlogrecovery.c:recoveryStopsBefore' };
  }
}


/** The restore's recovery target and action, as a fact records them. */
function recoveryOf(spec: RestoreBackupSpec): RecoveryTargetFact {
  const t = spec.target;
  return { target: t.kind, targetLsn: t.kind === 'lsn' ? t.lsn : null, action: spec.action };
}


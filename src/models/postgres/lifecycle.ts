/**
 * A server's life in the cluster (docs/model-postgres.md): a crash (of the server, or of its host with the
 * page cache), pg_ctl stop and restart by mode (smart waits for the client sessions, fast drains the walsenders
 * first, immediate kills), the shutdown and its checkpoint, and a start: the checks of the data directory and
 * the recovery it begins with (postmaster.c, xlog.c StartupXLOG, xlogrecovery.c), up to consistency.
 */
import type { Micros } from '../../engine/time.ts';
import type { Fact } from '../../history/facts/index.ts';
import type { StopMode } from '../../scenario/types.ts';
import type { PgCluster } from './cluster.ts';
import { PRIORITY } from './context.ts';
import { PG_CTL_TIMEOUT, type Drain } from './drains.ts';
import { SHUTDOWN_CHECKPOINT_RECORD, type Lsn } from './lsn.ts';
import { PGDATA, pgLog, type LogLine } from './messages.ts';
import type { PgNode, StandbyRole } from './node.ts';
import { defaultStopMode } from './pg-ctl.ts';
import { serverLog } from './server-log.ts';
import { fsyncDuration } from './service.ts';
import { historyOf, switchPointOf, timelineAt, type Timeline } from './timeline.ts';
import * as follow from './timeline-follow.ts';

export function crash(cluster: PgCluster, n: PgNode, host = false, panic: { readonly kind: 'pg-wal-full'; readonly volume: number } | null = null): void {
  cluster.hostCrash = host;
  cluster.crashPanic = panic;
  try {
    shutdown(cluster, n, 'crashed');
  } finally {
    cluster.hostCrash = false;
    cluster.crashPanic = null;
  }
}

/** A fast stop (pg_ctl stop -m fast, as managers and the model's own steps stop a server). */
export function stop(cluster: PgCluster, n: PgNode): void {
  shutdown(cluster, n, 'stopped', 'fast');
}

/**
 * A plan's pg_ctl stop or restart -m `mode` (absent: pg_ctl's default for the version, pg-ctl.ts). pg_ctl waits
 * PGCTLTIMEOUT (60 s) for the postmaster to exit, then gives up ("server does not shut down"): the server goes
 * on as it was, and a restart does not start it.
 */
export function pgCtl(cluster: PgCluster, op: 'stop' | 'restart', n: PgNode, mode: StopMode = defaultStopMode(n.version)): void {
  if (mode === 'smart') smartShutdown(cluster, n);
  else shutdown(cluster, n, mode === 'fast' ? 'stopped' : 'crashed', mode);
  if (!cluster.exiting(n)) {
    if (op === 'restart') start(cluster, n);
    return;
  }
  let gaveUp = false;
  const deadline = cluster.ctx.sim.at((cluster.ctx.sim.now + PG_CTL_TIMEOUT) as Micros, `pg_ctl ${op} ${n.name}`, () => {
    gaveUp = true;
    const waitingFor = cluster.smart.has(n) ? 'sessions' : 'walsenders';
    cluster.log(n, 'fatal', { kind: 'pg-ctl-gave-up', node: n.name, op, mode, waited: PG_CTL_TIMEOUT, waitingFor }, [pgLog.serverDoesNotShutDown(waitingFor === 'sessions')]);
  }, PRIORITY.protocol);
  cluster.whenExited(n, () => {
    if (gaveUp) return;
    cluster.ctx.sim.cancel(deadline);
    if (op === 'restart') start(cluster, n);
  });
}

/**
 * A smart shutdown (pg-ctl.ts): with client sessions on the server it only refuses new connections until they
 * end; without, it goes on at once as a fast one does. A second request changes nothing (postmaster.c pmdie).
 */
export function smartShutdown(cluster: PgCluster, n: PgNode): void {
  if (!n.running || cluster.smart.has(n)) return;
  const sessions = n.isPrimary && n.acceptsConnections ? cluster.writes.sessionsOn(n) : [];
  if (sessions.length === 0) return shutdown(cluster, n, 'stopped', 'smart');
  cluster.smart.begin(n, cluster.ctx.sim.now, sessions);
  cluster.log(n, 'lifecycle', { kind: 'smart-shutdown-waits', node: n.name, workloads: sessions.map((p) => ({ name: p.name, connections: p.connections })) }, [serverLog.shutdownRequest('smart')]);
  cluster.requestReflow('changed');
}

export function shutdown(cluster: PgCluster, n: PgNode, how: 'stopped' | 'crashed', mode: StopMode | null = null): void {
  // A smart shutdown still waiting for its sessions goes on, or is overtaken by a fast or immediate one.
  const waited = cluster.smart.end(n);
  if (!n.running) {
    // A postmaster still waiting for its walsenders, killed: they die with it, and what they had not sent never arrives.
    if (how === 'crashed') cluster.killDrains(n);
    return;
  }
  // A fast shutdown terminates the backends waiting for synchronous standbys (SIGTERM: syncrep.c
  // SyncRepWaitForLSN on ProcDiePending), their commits flushed and visible after a restart (observed on 15).
  if (mode === 'fast' && n.isPrimary) cluster.writes.shutdownWaits(n);
  const now = cluster.ctx.sim.now;
  n.lastDown = { state: how === 'stopped' ? (n.isPrimary ? 'shut-down' : 'shut-down-in-recovery') : n.isPrimary ? 'crashed' : 'crashed-in-recovery', at: now, ...(mode === 'immediate' ? { immediate: true as const } : {}), ...(how === 'crashed' && cluster.crashPanic ? { panic: cluster.crashPanic } : {}) };
  const shutdownLines =
    how === 'stopped'
      ? serverLog.cleanShutdown(n.version, n.isPrimary, n.settings.logCheckpoints, n.walEnd(now), waited ? null : mode === 'smart' ? 'smart' : 'fast')
      : mode === 'immediate'
        ? [serverLog.shutdownRequest('immediate'), pgLog.shutDown()]
        : [];
  if (cluster.closedNow.length > 0 && cluster.closedNow[0]!.at !== now) cluster.closedNow = [];
  for (const s of [...cluster.streams.into(n)]) {
    // Its FIN or RST is on its way to the upstream: a cut at cluster same instant (a host that died) drops it.
    if (s.up.running && cluster.reachable(s.up, n)) cluster.closedNow.push({ stream: s, at: now, heard: cluster.writes.heardFrom(s, now), synchronous: cluster.writes.isSynchronous(s) });
    cluster.closeStream(s);
  }
  if (how === 'crashed') for (const s of cluster.streams.from(n)) cluster.deliverInFlight(s);
  // Its walsenders end with it, those of cut-off standbys too.
  for (const w of cluster.cutSenders.all()) {
    if (w.stream.up !== n) continue;
    cluster.cutSenders.remove(w.stream);
    cluster.ctx.sim.cancel(w.exit);
  }
  const flushed = n.flushed(now);
  if (how === 'crashed' && n.isPrimary && flushed < n.walEnd(now)) {
    // WAL inserted but not yet flushed by the WAL writer is gone after a crash (synchronous_commit = off: the
    // commit returned at insert, xact.c RecordTransactionCommit with XLogSetAsyncXactLSN); crash recovery ends
    // at the last flushed record, and the server writes those LSNs again.
    const lost = n.walEnd(now) - flushed;
    const cause: Fact = { kind: 'crash-lost-unflushed', rule: 'xact.c:RecordTransactionCommit', node: n.name, bytes: lost, walWriterDelay: n.settings.walWriterDelay };
    cluster.writes.crashLoss(n, flushed, now, cause);
    n.wal.end.set(now, flushed);
    cluster.writes.walCut(n);
    cluster.log(n, 'lifecycle', cause);
  }
  if (how === 'crashed' && cluster.hostCrash && n.role.kind === 'standby') {
    // A standby's walreceiver write()s WAL as it arrives and fsyncs it when no more is waiting
    // (walreceiver.c XLogWalRcvWrite, XLogWalRcvFlush): what it wrote since is in the kernel's page cache,
    // which a server crash keeps and the host's crash loses. remote_write acknowledged it (syncrep.c
    // SYNC_REP_WAIT_WRITE), so if the primary is lost too those commits are gone. The window is one fsync's
    // worth of WAL at the rate it arrived (the write stops at the flush otherwise).
    const unflushed = Math.min(n.walEnd(now), n.wal.end.rate * fsyncDuration(n));
    if (unflushed > 0) {
      n.wal.end.set(now, n.walEnd(now) - unflushed);
      cluster.writes.walCut(n);
      cluster.log(n, 'lifecycle', { kind: 'host-crash-lost-unflushed', node: n.name, bytes: unflushed, fsync: fsyncDuration(n) });
    }
  }
  const role = n.role;
  if (role.kind === 'standby') {
    // A walreceiver connected in vain to a sibling timeline's walsender has written what it was sent until now.
    const wr = role.walreceiver;
    if (wr && cluster.inVain.has(n) && n.overwritten?.tli === wr.tli) {
      const up = cluster.nodes.get(wr.upstream);
      if (up && up.running && up.boot === wr.upstreamBoot && cluster.reachable(n, up)) n.overwritten = { ...n.overwritten, upTo: Math.max(n.overwritten.upTo, cluster.sendable(up, now)) };
    }
    cluster.cancelRetry(n);
    cluster.archivePromotions.delete(n);
    cluster.restore.end(n, { kind: 'down', how });
    role.receiver = { status: 'stopped' };
    role.walreceiver = null;
  }
  cluster.retries.forget(n);
  n.wal.end.setRate(now, 0);
  // A clean shutdown writes a checkpoint at the end of WAL (a record, on a primary; a restartpoint on a
  // standby); a crash leaves the last one (rule 9 inputs).
  if (how === 'stopped' && n.isPrimary) {
    writeShutdownCheckpoint(cluster, n, now);
    const records = [...(cluster.shutdownRecords.get(n.wal.timeline) ?? []), n.checkpoint.lsn].slice(-8);
    cluster.shutdownRecords.set(n.wal.timeline, records);
  }
  // The shutdown checkpoint first (it removes WAL, and cuts off the standbys that needed it: walRemoved), then
  // the walsenders send what is left.
  cluster.storage.stop(n, how);
  const draining: Drain[] = [];
  if (how === 'stopped') {
    for (const s of cluster.streams.from(n)) {
      const d = cluster.beginDrain(s);
      if (d) draining.push(d);
    }
  }
  n.run = { state: 'down', how };
  cluster.drains.begin(n, now, draining);
  cluster.xid.nodeDown(n);
  cluster.rebuilds.sourceDown(n);
  cluster.log(
    n,
    'lifecycle',
    {
      kind: 'down',
      node: n.name,
      how,
      lsn: n.walEnd(now),
      timeline: n.tli,
      draining: draining.map((d) => ({ node: d.stream.down.name, bytes: Math.round(d.to - d.from) })),
      ...(draining.length > 0 ? { rule: 'walsender.c:WalSndDone' as const } : {}),
      // The default (fast, or a crash) is left out: the reports of scenarios written before the modes.
      ...(mode === 'smart' || mode === 'immediate' ? { mode } : {}),
      ...(waited ? { sessionsEndedAfter: now - waited.since } : {}),
    },
    how === 'stopped' ? [...shutdownLines, draining.length > 0 ? null : pgLog.shutDown()] : shutdownLines,
  );
  cluster.recordReceiver(n, null, { kind: 'receiver-down', node: n.name, how });
  for (const s of [...cluster.streams.from(n)]) {
    if (cluster.drains.has(s)) continue;
    if (cluster.reachable(s.up, s.down)) cluster.dropStream(s, how);
    else cluster.silentlyLost(s);
  }
  // A walreceiver connected without a stream (it is sent nothing it can use: streamedInVain) loses its
  // connection as a streaming one does ([EXP] on 15.18, seed-11: "End of WAL reached on timeline 2" when the
  // upstream of a standby on a same-numbered sibling timeline shut down).
  const lost: PgNode[] = [];
  for (const d of [...cluster.inVain]) {
    const wr = d.role.kind === 'standby' && d.role.receiver.status === 'waiting' ? d.role.walreceiver : null;
    if (!wr || wr.idle) cluster.inVain.delete(d);
    else if (wr.upstream === n.name && wr.upstreamBoot === n.boot) lost.push(d);
  }
  const order = [...cluster.nodes.values()];
  lost.sort((a, b) => order.indexOf(a) - order.indexOf(b));
  for (const d of lost) cluster.lostConnection(d, n, (d.role as StandbyRole).walreceiver!.tli, how);
  cluster.requestReflow('changed');
  if (!cluster.drains.of(n)) cluster.postmasterExited(n);
}

/**
 * Start a stopped server. While its postmaster still waits for its walsenders (drains.ts), `pg_ctl start`
 * (`how: 'pg_ctl'`, a plan's step) fails on the lock file; a manager's start waits for the postmaster to exit.
 */
export function start(cluster: PgCluster, n: PgNode, how: 'pg_ctl' | 'waits' = 'waits'): void {
  if (n.running) return;
  if (cluster.drains.of(n)) {
    if (how === 'waits') cluster.whenExited(n, () => start(cluster, n));
    // postmaster.c CreateLockFile; pg_ctl.c: "another server might be running; trying to start server anyway".
    else cluster.log(n, 'fatal', { kind: 'start-refused-shutting-down', node: n.name }, pgLog.lockFileExists());
    return;
  }
  if (n.dataDirectory !== 'present') {
    // pg_ctl.c: no PG_VERSION in the directory (emptied, or a copy still running into it).
    cluster.log(n, 'fatal', { kind: 'no-data-directory', node: n.name, state: n.dataDirectory === 'empty' ? 'empty' : 'copying' }, [
      { process: 'pg_ctl', level: 'ERROR', message: `directory "/var/lib/postgresql/data" is not a database cluster directory` },
    ]);
    return;
  }
  const pending = cluster.pendingSettings.get(n.name);
  if (pending) {
    n.settings = pending;
    cluster.pendingSettings.delete(n.name);
    cluster.setWalHorizon();
    cluster.requestReflow();
  }
  // A restored base backup starts in archive recovery (pitr.ts), not as a standby.
  if (cluster.pitr.start(n)) return;
  const role = n.role;
  const afterCrash = n.run.state === 'down' && n.run.how === 'crashed';
  if (role.kind === 'primary') {
    const noSpace = cluster.storage.startupOutOfSpace(n, cluster.ctx.sim.now);
    if (noSpace) return refuseStart(cluster, n, noSpace, [...opening(cluster, n), afterCrash ? serverLog.notProperlyShutDown() : null]);
    n.run = { state: 'running' };
    n.boot++;
    n.startedAt = cluster.ctx.sim.now;
    cluster.log(n, 'lifecycle', { kind: 'started-primary', node: n.name, timeline: n.tli, ...(afterCrash ? { crashRecovery: true as const } : {}) }, [...opening(cluster, n), afterCrash ? serverLog.notProperlyShutDown() : null, pgLog.readyToAccept()]);
    cluster.storage.start(n, afterCrash);
    cluster.xid.nodeUp(n);
    cluster.requestReflow('changed');
    return;
  }
  const probed: LogLine[] = [];
  const read: LogLine[] = [];
  const fatal = startupCheck(cluster, n, role, probed, read);
  // validateRecoveryParameters refuses a missing target timeline before `entering standby mode`; the checkpoint's
  // FATALs come after it (xlogrecovery.c InitWalRecovery; observed on 10.23 to 18.4).
  if (fatal) return refuseStart(cluster, n, fatal, [...opening(cluster, n), ...probed, ...(fatal.message.startsWith('recovery target timeline') ? [] : [pgLog.enteringStandby(), ...read])]);
  n.run = { state: 'running' };
  n.boot++;
  n.startedAt = cluster.ctx.sim.now;
  // A new startup process: redo starts after the checkpoint record it starts from (a restartpoint on a standby).
  const end = n.walEnd(cluster.ctx.sim.now);
  n.recovery = { lastComplaint: null, redoFrom: n.checkpoint.lsn + SHUTDOWN_CHECKPOINT_RECORD, redoStarted: false, rereadFrom: cluster.storage.checkpointer.completedRedo(n) };
  n.recovery.redoStarted = end > n.recovery.redoFrom + 0.5;
  if (role.phase === 'reading-checkpoint') {
    const overwritten = follow.checkpointOverwritten(cluster, n);
    // 17+ logs the recovery type after reading the checkpoint record (xlogrecovery.c InitWalRecovery: the
    // `entering standby mode` block moved below ReadCheckpointRecord), which cluster standby waits for in standby
    // mode, so it never logs it; before 17 it came first (observed: seed-79 step 7, 10.23 to 16.14 log it,
    // 17.10 and 18.4 do not).
    cluster.log(
      n,
      'stuck',
      { kind: 'started-standby-checkpoint-unreadable', node: n.name, targetTimeline: role.target.tli, checkpointLsn: n.checkpoint.lsn, checkpointTimeline: n.checkpoint.tli, cause: overwritten ? 'overwritten-by-sibling' : 'not-in-target' },
      [...opening(cluster, n), ...probed, n.version >= 17 ? null : pgLog.enteringStandby(), endOfWalComplaint(cluster, n)],
    );
  } else {
    // A pg_rewind's backup recovery is consistent once replay reaches the source's end at the rewind (node.ts
    // pendingBackup); before that no `consistent recovery state reached`, and no connections.
    const pending = stillInconsistent(cluster, n, end);
    cluster.log(n, 'lifecycle', { kind: 'started-standby', node: n.name, targetTimeline: role.target.tli, ...(pending ? { consistentAt: pending.end } : {}) }, [
      ...opening(cluster, n),
      ...probed,
      pgLog.enteringStandby(),
      ...read,
      n.recovery.redoStarted ? serverLog.redoStarts(n.recovery.redoFrom) : null,
      role.upstream === null && !n.settings.restoreCommand ? serverLog.noSourceOfWal(n.version) : null,
      pending ? null : serverLog.consistent(end),
      pending ? null : pgLog.readyToAcceptReadOnly(n.version),
      endOfWalComplaint(cluster, n),
    ]);
    if (pending) cluster.replay.awaitConsistency(n);
  }
  cluster.storage.start(n, false);
  cluster.connect(n);
}

/** The backup recovery `n` still has to complete at replay position `at` (null: consistent, and cleared). */
export function stillInconsistent(cluster: PgCluster, n: PgNode, at: Lsn): PgNode['pendingBackup'] {
  const b = n.pendingBackup;
  if (b === null || at < b.end - 0.5) return b;
  n.pendingBackup = null;
  return null;
}

/** The replay of `n` reached its minimum recovery point (replay.ts): consistent, open to read-only connections. */
export function reachedConsistency(cluster: PgCluster, n: PgNode, at: Lsn): void {
  if (!n.running || n.role.kind !== 'standby' || n.pendingBackup === null || stillInconsistent(cluster, n, at) !== null) return;
  cluster.log(n, 'replication', { kind: 'recovery-consistent', node: n.name, lsn: at }, [serverLog.consistent(at), pgLog.readyToAcceptReadOnly(n.version)]);
  cluster.requestReflow('changed');
}

/**
 * A promotion of a standby whose backup recovery is not complete: the startup process exits with a FATAL
 * (xlogrecovery.c InitWalRecovery when the backup_label's redo record never came, xlog.c StartupXLOG when WAL
 * ends before the minimum recovery point) and the postmaster stops the server ([EXP] 15.18).
 */
export function promotionFails(cluster: PgCluster, n: PgNode, b: NonNullable<PgNode['pendingBackup']>, sp: Lsn, opening: readonly (LogLine | null)[]): void {
  const redoMissing = sp <= b.redo + 0.5;
  const fatal = redoMissing ? pgLog.redoLocationMissingFatal(n.version, b.redo, b.checkpoint, PGDATA) : pgLog.walEndsBeforeBackupEndFatal();
  cluster.log(
    n,
    'fatal',
    { kind: 'promotion-failed-inconsistent', rule: redoMissing ? 'xlogrecovery.c:InitWalRecovery' : 'xlog.c:StartupXLOG', node: n.name, lsn: sp, consistentAt: b.end, redoMissing, error: fatal.message },
    [...opening, fatal, ...serverLog.startupFailed(n.version, fatal.level === 'PANIC')],
  );
  crash(cluster, n);
  n.run = { state: 'failed', fatal };
}

/** The server exits at startup with a FATAL (it stays failed until started again). */
export function refuseStart(cluster: PgCluster, n: PgNode, fatal: LogLine, opening: readonly (LogLine | null)[] = []): void {
  n.run = { state: 'failed', fatal };
  cluster.log(n, 'fatal', { kind: 'start-refused', node: n.name, error: fatal.message }, opening.length ? [...opening, fatal, ...serverLog.startupFailed(n.version, fatal.level === 'PANIC')] : [fatal]);
  cluster.recordReceiver(n, null, { kind: 'receiver-start-refused', error: fatal.message });
  cluster.requestReflow('changed');
}

/**
 * pg_ctl restart: a fast stop, a wait for the postmaster to exit (PGCTLTIMEOUT, 60 s), then a start. A
 * shutdown still sending WAL to a lagging standby after that leaves the server down: pg_ctl gives up ("server
 * does not shut down") and never starts it.
 */
export function restart(cluster: PgCluster, n: PgNode): void {
  pgCtl(cluster, 'restart', n, 'fast');
}

/** A start's first lines: the postmaster's listen addresses, the startup process's reading of the control file. */
export function opening(cluster: PgCluster, n: PgNode): (LogLine | null)[] {
  return [serverLog.starting(n.version), ...serverLog.listening(n.version, 5432), serverLog.lastState(n.lastDown.state, n.lastDown.at)];
}

/**
 * The startup process reads pg_wal to its end when no walreceiver gives it WAL (a start, a stream's end or
 * failure, a promotion) and complains about the zeroed record header there, once per position
 * (xlogrecovery.c emode_for_corrupt_record: the same position again is DEBUG1).
 */
export function endOfWalComplaint(cluster: PgCluster, n: PgNode): LogLine | null {
  if (n.role.kind !== 'standby') return null;
  const end = n.walEnd(cluster.ctx.sim.now);
  // A checkpoint record written over by a sibling's WAL is complained about instead, in words that depend on the
  // bytes found there (docs/conformance.md, sibling-timeline-records): the model logs none.
  if (n.role.kind === 'standby' && n.role.phase === 'reading-checkpoint' && follow.checkpointOverwritten(cluster, n)) return null;
  if (n.recovery.lastComplaint !== null && Math.abs(n.recovery.lastComplaint - end) < 0.5) return null;
  n.recovery.lastComplaint = end;
  return serverLog.endOfWal(n.version, end);
}

/**
 * xlogrecovery.c validateRecoveryParameters + InitWalRecovery (rule 9): resolve the recovery target
 * timeline from the history files that are local now, read the checkpoint record, then refuse to start when
 * the checkpoint or the minimum recovery point is not on that timeline's history.
 */
export function startupCheck(cluster: PgCluster, n: PgNode, role: StandbyRole, probed: LogLine[] = [], read: LogLine[] = []): LogLine | null {
  const goal = n.settings.recoveryTargetTimeline;
  const ckptTl = timelineAt(n.wal.timeline, n.checkpoint.lsn);
  // validateRecoveryParameters probes the history files (findNewestTimeLine, existsTimeLineHistory), the
  // archive's first with restore_command (`probed`: logged before `entering standby mode`); reading the
  // checkpoint record reads the target's (readTimeLineHistory, kept in pg_wal) and StartupXLOG restores those
  // from the checkpoint's timeline to it (restoreTimeLineHistoryFiles): `read`, logged after.
  let target: Timeline;
  if (goal === 'current') target = follow.historyFile(cluster, n, n.checkpoint.tli, read, true) ?? ckptTl;
  else if (goal === 'latest') target = follow.historyFile(cluster, n, follow.findNewestTimeline(cluster, n, n.checkpoint.tli, probed), read, true) ?? ckptTl;
  else {
    if (!follow.historyFile(cluster, n, goal.tli, probed, false)) return pgLog.targetTimelineMissingFatal(goal.tli);
    target = follow.historyFile(cluster, n, goal.tli, read, true)!;
  }
  for (let tli = Math.max(2, n.checkpoint.tli); tli < target.tli; tli++) follow.historyFile(cluster, n, tli, read, true);
  role.target = target;
  // The checkpoint record is read from the segments of the target's timelines only (xlogrecovery.c
  // XLogFileReadAnyTLI walks expectedTLEs, the target's history). When the checkpoint's timeline is not in
  // that history, none of them holds the record: there is no FATAL, the startup process waits for the record
  // (streamForCheckpoint) and never reaches redo ([EXP] on 15.18, docs/conformance.md seed-79: a standby on
  // timeline 2 holding a sibling's 00000003.history, on 'latest', stayed up with "the database system is
  // starting up"). The FATALs below need the record, on an ancestor of the target.
  if (!historyOf(target).some((e) => e.timeline.tli === n.checkpoint.tli)) {
    role.phase = 'reading-checkpoint';
    return null;
  }
  // The checkpoint record in WAL a sibling timeline's walsender wrote over: the startup process reads other bytes
  // there (`invalid record length at` the checkpoint, in words that depend on them) and waits for the record,
  // in startup, for ever ([EXP] sibling-restart on 10.23, 15.18, 18.4: `the database system is starting up`).
  if (follow.checkpointOverwritten(cluster, n)) {
    role.phase = 'reading-checkpoint';
    return null;
  }
  role.phase = 'redo';
  const onTarget = timelineAt(target, n.checkpoint.lsn);
  if (onTarget.tli !== n.checkpoint.tli) {
    const forkAt = switchPointOf(target, n.checkpoint.tli).end ?? target.begin;
    return pgLog.notAChildFatal(n.version, target.tli, n.checkpoint.lsn, n.checkpoint.tli, forkAt);
  }
  const minRecoveryPoint = n.walEnd(cluster.ctx.sim.now);
  const mrpTl = timelineAt(n.wal.timeline, Math.max(0, minRecoveryPoint - 1));
  if (timelineAt(target, Math.max(0, minRecoveryPoint - 1)).tli !== mrpTl.tli) {
    return pgLog.noMinRecoveryPointFatal(target.tli, minRecoveryPoint, mrpTl.tli);
  }
  return null;
}

/**
 * A primary's clean shutdown writes a shutdown checkpoint record at the end of its WAL (xlog.c ShutdownXLOG,
 * CreateCheckPoint with CHECKPOINT_IS_SHUTDOWN), and its walsenders send WAL up to it before they exit
 * (walsender.c WalSndDone): the standbys that were caught up receive it. It is WAL like any other: written
 * after a promotion elsewhere, it puts the old primary and those standbys past the fork (observed on 15.18).
 */
export function writeShutdownCheckpoint(cluster: PgCluster, n: PgNode, now: Micros): void {
  const at = n.walEnd(now);
  const end = at + SHUTDOWN_CHECKPOINT_RECORD;
  n.wal.end.set(now, end);
  for (const s of cluster.streams.from(n)) {
    if (s.limit === null && cluster.streamUp(s) && s.down.walEnd(now) >= at - 0.5) s.down.wal.end.set(now, end);
  }
  n.checkpoint = { lsn: at, tli: n.tli };
}

/**
 * The storage side of WAL in one cluster: what each server keeps in pg_wal, removes at its checkpoints, holds
 * for replication slots and archives. It wires the checkpointer (checkpointer.ts, retention.ts) to the slots
 * and the archive; cluster.ts calls it at the lifecycle events and after every reflow.
 */
import type { EventHandle } from '../../engine/simulation.ts';
import { NEVER, type Micros } from '../../engine/time.ts';
import type { PgCluster } from './cluster.ts';
import { Checkpointer, type CheckpointHost } from './checkpointer.ts';
import { PRIORITY } from './context.ts';
import type { Lsn } from './lsn.ts';
import type { LogLine } from './messages.ts';
import type { PgNode, Stream } from './node.ts';
import { ReplicationSlots } from './slots.ts';
import { WalArchive } from './archive.ts';
import { segNo } from './retention.ts';
import { serverLog } from './server-log.ts';
import { WalSeriesRecorder } from './wal-series.ts';

export class WalStorage {
  readonly checkpointer: Checkpointer;
  readonly slots: ReplicationSlots;
  readonly archive: WalArchive;
  /** pg_wal and slot retention over time (wal-series.ts): sampled where they change. */
  private readonly series: WalSeriesRecorder;
  /** When each server's bounded pg_wal volume fills at the present rate (`wal_volume`). */
  private readonly full = new Map<PgNode, EventHandle>();
  /** pg_wal's space beyond the WAL kept: the rest of each segment archive_timeout switched (paddingRate). */
  private readonly padding = new Map<PgNode, { at: Micros; bytes: number; rate: number; oldest: Lsn }>();

  constructor(private readonly cluster: PgCluster) {
    this.slots = new ReplicationSlots(cluster, cluster.xid);
    this.archive = new WalArchive(cluster);
    this.series = new WalSeriesRecorder(cluster, this.slots);
    const sample = (n: PgNode): void => this.series.sample(cluster.ctx.sim.now, true, [n]);
    const host: CheckpointHost = {
      ctx: cluster.ctx,
      nodes: cluster.nodes,
      recheck: (n) => cluster.walChanges.mark(n),
      replayPosition: (n, now) => cluster.replayPosition(n, now),
      replayAt: (n, now) => cluster.replay.at(n, now),
      log: (node, kind, fact, lines = []) => cluster.log(node, kind, fact, lines),
      slotMinimum: (n) => this.heldFrom(n),
      invalidateSlots: (n, below) => this.slots.invalidate(n, below),
      archiveGate: (n) => this.archive.gate(n),
      walRemoved: (n, horizon) => {
        this.paddingRemoved(n);
        cluster.walRemoved(n, horizon);
        sample(n);
        this.planFull(n);
        // A standby whose walreceiver failed on its full volume has room again (receiveRoom).
        if (this.receiveRoom(n, cluster.ctx.sim.now) > 0) cluster.pgWalRoomAgain(n);
      },
      redoMoved: (n) => cluster.writes.redoMoved(n),
      checkpointDone: (n) => {
        cluster.xid.walChanged(n);
        sample(n);
      },
    };
    this.checkpointer = new Checkpointer(host);
  }

  /** WAL a manager keeps on a server beside the modelled slots (pg_auto_failover's slot copies on standbys). */
  private readonly holds: ((n: PgNode) => Lsn | null)[] = [];

  addWalHold(hold: (n: PgNode) => Lsn | null): void {
    this.holds.push(hold);
  }

  /** The oldest position the server's slots and the managers' holds keep (XLogGetReplicationSlotMinimumLSN). */
  private heldFrom(n: PgNode): Lsn | null {
    let min = this.slots.minimum(n, this.cluster.ctx.sim.now);
    for (const hold of this.holds) {
      const h = hold(n);
      if (h !== null && (min === null || h < min)) min = h;
    }
    return min;
  }

  /** A server starts (at boot, or after a stop or a crash). */
  start(n: PgNode, afterCrash: boolean): void {
    this.checkpointer.start(n, afterCrash);
    this.planFull(n);
    this.series.sample(this.cluster.ctx.sim.now, true, [n]);
  }

  /** A server goes down: a clean shutdown checkpoints first, a crash loses the running checkpoint. */
  stop(n: PgNode, how: 'stopped' | 'crashed'): void {
    this.checkpointer.stop(n, how);
    this.planFull(n);
    this.series.sample(this.cluster.ctx.sim.now, true, [n]);
  }

  promoted(n: PgNode): void {
    this.checkpointer.promoted(n);
  }

  reload(n: PgNode): void {
    this.checkpointer.reload(n);
    this.slots.reloaded();
  }

  /** After every reflow: triggers computed from WAL rates move with them; `stateChanged`: servers whose run, role, settings or timeline changed. */
  afterReflow(stateChanged: readonly PgNode[]): void {
    this.archive.afterReflow(stateChanged);
    // Only the servers whose WAL level moved (or that the checkpointer marked) can have moved a trigger or a line.
    const changed = this.cluster.walChanges.take();
    this.checkpointer.afterReflow(changed);
    for (const n of changed) this.planFull(n);
    this.series.sample(this.cluster.ctx.sim.now, false, changed);
  }

  /** A stream started or ended: the standby's slot follows its flush, or stays. */
  streamStarted(s: Stream): void {
    this.slots.attach(s);
  }

  streamEnded(s: Stream): void {
    this.slots.detach(s);
  }

  /** The oldest WAL position in `n`'s pg_wal (the start of the oldest segment kept). */
  pgWalFrom(n: PgNode): Lsn {
    return n.oldestRetained;
  }

  /** Record every server's pg_wal and slots as facts (at the end of the run, and at `assess` steps). */
  finish(now: Micros): void {
    this.series.sample(now, true, [...this.cluster.nodes.values()]);
    const views = this.slots.views(now);
    for (const n of this.cluster.nodes.values()) {
      this.cluster.ctx.history.storage.snapshot({
        at: now,
        cluster: this.cluster.name,
        node: n.name,
        pgWalBytes: this.pgWalSize(n, now),
        oldestLsn: n.oldestRetained,
        slots: views.filter((v) => v.node === n.name).map(({ node: _node, ...v }) => v),
        archive: this.archive.describe(n),
      });
    }
  }

  /** WAL in `n`'s pg_wal: from the oldest segment kept to the write position (continuous, for metrics). */
  pgWalBytes(n: PgNode, now: Micros): number {
    return Math.max(0, n.walEnd(now) - n.oldestRetained);
  }

  /**
   * When `n`'s pg_wal volume fills at its present WAL rate: pg_wal from the oldest segment kept to the WAL end,
   * with archive_timeout's padding (paddingRate), reaches `wal_volume` (re-planned when the rate changes, at every
   * removal, start and stop). An approximation:
   * the real server fails when the next segment file does not fit, up to a segment sooner, and recycled future
   * segments are not counted (they are used before any new file is created).
   */
  private planFull(n: PgNode): void {
    const sim = this.cluster.ctx.sim;
    const padRate = this.anchorPadding(n, sim.now);
    const volume = n.storage.walVolume;
    if (volume === null) return;
    sim.cancel(this.full.get(n));
    this.full.delete(n);
    // Nothing written, nothing to create: a server at a full volume fails only when it writes on.
    if (!n.running || !(n.wal.end.rate > 0)) return;
    const room = volume - this.pgWalBytes(n, sim.now) - this.paddingAt(n, sim.now);
    const at = room <= 0 ? sim.now : n.wal.end.timeToReach(n.walEnd(sim.now) + room * (n.wal.end.rate / (n.wal.end.rate + padRate)), sim.now);
    if (at === NEVER) return;
    this.full.set(n, sim.at(at, `pg_wal full ${n.name}`, () => {
      this.full.delete(n);
      this.volumeFull(n);
    }, PRIORITY.checkpoint));
  }

  /**
   * The process that needs the next segment creates it as xlogtemp.<its pid> (xlog.c XLogFileInitInternal,
   * XLogFileInit up to 14) and fails with ENOSPC. On a primary that is a backend or the WAL writer inside
   * XLogWrite's critical section: a PANIC, and the postmaster ends every other process; it reinitializes
   * (restart_after_crash) and crash recovery fails for the same want of room (startupOutOfSpace), so the server
   * stays down. On a standby it is the walreceiver (walreceiver.c XLogWalRcvWrite), outside any critical
   * section: its ERROR ends it alone (FATAL), the server goes on in recovery, and the startup process starts a
   * new walreceiver every wal_retrieve_retry_interval, which fails the same way until a restartpoint has removed
   * WAL (observed on 15.18 with a standby's pg_wal on a small tmpfs, archive_mode = always and a failing
   * archive_command: `FATAL:  could not write to file "pg_wal/xlogtemp.N": No space left on device` every 5 s,
   * read-only queries answered).
   */
  private volumeFull(n: PgNode): void {
    if (!n.running) return;
    if (n.role.kind === 'standby') {
      this.cluster.pgWalFull(n);
      return;
    }
    const dir = n.version >= 10 ? 'pg_wal' : 'pg_xlog';
    const startup = this.startupOutOfSpace(n, this.cluster.ctx.sim.now);
    this.cluster.log(n, 'fatal', { kind: 'pg-wal-full', node: n.name, volume: n.storage.walVolume ?? 0 }, [
      { process: 'client backend', level: 'PANIC', message: `could not write to file "${dir}/xlogtemp.1": No space left on device` },
      { process: 'postmaster', level: 'LOG', message: 'terminating any other active server processes' },
      ...(startup
        ? [
            { process: 'postmaster', level: 'LOG', message: 'all server processes terminated; reinitializing', chatter: true } as const,
            serverLog.notProperlyShutDown(),
            startup,
            ...serverLog.startupFailed(n.version, startup.level === 'PANIC'),
          ]
        : []),
    ]);
    this.cluster.crash(n, false, { kind: 'pg-wal-full', volume: n.storage.walVolume ?? 0 });
  }

  /** Bytes `n`'s pg_wal volume can still take (Infinity when unbounded): a walreceiver with none cannot write. */
  receiveRoom(n: PgNode, now: Micros): number {
    const volume = n.storage.walVolume;
    return volume === null ? Number.POSITIVE_INFINITY : volume - (n.walEnd(now) - n.oldestRetained) - this.paddingAt(n, now);
  }

  /**
   * The rate at which archive_timeout's switches take space in pg_wal beyond the WAL (bytes/µs). checkpointer.c
   * CheckArchiveTimeout: a primary (archive_mode or not) switches segments when archive_timeout has passed since
   * the last switch and WAL was written since; the switch (xlog.c XLOG_SWITCH) leaves the rest of the segment
   * unused and the next WAL goes to a new segment file. So a primary writing less than a segment per
   * archive_timeout fills a new segment file every archive_timeout: its pg_wal grows at segment / archive_timeout,
   * not at its WAL rate, while the segments wait for a failing archive_command or a slot. Approximation: the
   * switches are spread evenly (as the archiver's grid, archive.ts forcedSwitch), and a removal takes its share of
   * the padding in proportion to the WAL it removes.
   */
  private paddingRate(n: PgNode): number {
    const timeout = n.settings.archiveTimeout;
    const rate = n.wal.end.rate;
    if (!n.running || !n.isPrimary || timeout <= 0 || !(rate > 0)) return 0;
    return Math.max(0, n.settings.walSegmentSize / timeout - rate);
  }

  private paddingAt(n: PgNode, now: Micros): number {
    const p = this.padding.get(n);
    return p ? p.bytes + p.rate * (now - p.at) : 0;
  }

  /** The padding integrated to now and going on at the present rate, which it returns. */
  private anchorPadding(n: PgNode, now: Micros): number {
    const bytes = this.paddingAt(n, now);
    const rate = this.paddingRate(n);
    if (bytes <= 0 && rate === 0) this.padding.delete(n);
    else this.padding.set(n, { at: now, bytes, rate, oldest: this.padding.get(n)?.oldest ?? n.oldestRetained });
    return rate;
  }

  /** A removal took the oldest segments: the padding within them goes too. */
  private paddingRemoved(n: PgNode): void {
    const p = this.padding.get(n);
    if (!p) return;
    const now = this.cluster.ctx.sim.now;
    const end = n.walEnd(now);
    const share = end > p.oldest ? Math.max(0, end - n.oldestRetained) / (end - p.oldest) : 0;
    this.padding.set(n, { at: now, bytes: this.paddingAt(n, now) * Math.min(1, share), rate: p.rate, oldest: n.oldestRetained });
  }

  /** The walreceiver's line when it cannot create the next segment (volumeFull). */
  receiveOutOfSpace(n: PgNode): LogLine {
    return { process: 'walreceiver', level: 'FATAL', message: `could not write to file "${n.version >= 10 ? 'pg_wal' : 'pg_xlog'}/xlogtemp.1": No space left on device` };
  }

  /**
   * The line with which a primary's start fails because its pg_wal volume has no room for the segment the end of
   * recovery needs, or null. The startup process ends recovery by preallocating the next segment when the WAL end
   * is at least 75% into its own (xlog.c StartupXLOG → PreallocXlogFiles), and up to 14 writes the end-of-recovery
   * checkpoint itself (CreateCheckPoint, inside a critical section); the archiver does not run before, so what
   * waits for archive_command or a slot is all still there. A server that PANICked on a full volume (the WAL end
   * at the end of a segment) therefore cannot restart, by itself (restart_after_crash) or by pg_ctl, until the
   * volume has room: observed on 12.22 (startup PANIC, `terminated by signal 6`), 15.18 and 18.4 (startup FATAL,
   * `shutting down due to startup process failure`), also with archive_command fixed meanwhile.
   *
   * `promotion`: a standby's promotion first copies the segment of the switchpoint to the new timeline's file
   * (xlog.c XLogInitNewTimeline → XLogFileCopy, ERROR outside a critical section: FATAL), one more segment: a
   * standby whose walreceiver stopped on its full volume cannot be promoted (observed on 15.18: `selected new
   * timeline ID: 2`, `FATAL:  could not write to file "pg_wal/xlogtemp.N": No space left on device`, shut down).
   */
  startupOutOfSpace(n: PgNode, now: Micros, promotion = false): LogLine | null {
    const volume = n.storage.walVolume;
    if (volume === null) return null;
    const seg = n.settings.walSegmentSize;
    const end = n.walEnd(now);
    // XLByteToPrevSeg(endptr) and XLogSegmentOffset(endptr - 1): a WAL end on a boundary is the end of the segment before.
    const last = Math.max(segNo(n.oldestRetained, seg), Math.ceil(end / seg) - 1);
    const prealloc = end - last * seg >= 0.75 * seg ? 1 : 0;
    const needed = (last - segNo(n.oldestRetained, seg) + 1 + prealloc + (promotion ? 1 : 0)) * seg + this.paddingAt(n, now);
    if (needed <= volume) return null;
    const dir = n.version >= 10 ? 'pg_wal' : 'pg_xlog';
    return { process: 'startup', level: n.version >= 15 || promotion ? 'FATAL' : 'PANIC', message: `could not write to file "${dir}/xlogtemp.1": No space left on device` };
  }

  /**
   * pg_wal on `n` as a directory listing sizes it: the segments from the oldest kept to the one being written,
   * whole, and the future segments its checkpoints recycled beyond it (retention.ts recycle: about max_wal_size
   * under a steady load, as a real pg_wal; the WAL retained, pgWalBytes, is what fills a volume and what the
   * pg_wal_size metric follows). Approximation: segments preallocated (PreallocXlogFiles) are not counted.
   */
  pgWalSize(n: PgNode, now: Micros): number {
    const seg = n.settings.walSegmentSize;
    const last = Math.max(segNo(n.walEnd(now), seg), this.checkpointer.futureSegment(n));
    return (last - segNo(n.oldestRetained, seg) + 1 + Math.round(this.paddingAt(n, now) / seg)) * seg;
  }
}

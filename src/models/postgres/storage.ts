/**
 * The storage side of WAL in one cluster: what each server keeps in pg_wal, removes at its checkpoints, holds
 * for replication slots and archives. It wires the checkpointer (checkpointer.ts, retention.ts) to the slots
 * and the archive; cluster.ts calls it at the lifecycle events and after every reflow.
 */
import type { Micros } from '../../engine/time.ts';
import type { PgCluster } from './cluster.ts';
import { Checkpointer, type CheckpointHost } from './checkpointer.ts';
import type { Lsn } from './lsn.ts';
import type { LogLine } from './messages.ts';
import type { PgNode, Stream } from './node.ts';
import { ReplicationSlots } from './slots.ts';
import { WalArchive } from './archive.ts';
import { segNo } from './retention.ts';
import { WalSeriesRecorder } from './wal-series.ts';

export class WalStorage {
  readonly checkpointer: Checkpointer;
  readonly slots: ReplicationSlots;
  readonly archive: WalArchive;
  /** pg_wal and slot retention over time (wal-series.ts): sampled where they change. */
  private readonly series: WalSeriesRecorder;

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
      slotMinimum: (n) => this.slots.minimum(n, cluster.ctx.sim.now),
      invalidateSlots: (n, below) => this.slots.invalidate(n, below),
      archiveGate: (n) => this.archive.gate(n),
      walRemoved: (n, horizon) => {
        cluster.walRemoved(n, horizon);
        sample(n);
      },
      checkpointDone: (n) => {
        cluster.xid.walChanged(n);
        sample(n);
      },
    };
    this.checkpointer = new Checkpointer(host);
  }

  /** A server starts (at boot, or after a stop or a crash). */
  start(n: PgNode, afterCrash: boolean): void {
    this.checkpointer.start(n, afterCrash);
    this.series.sample(this.cluster.ctx.sim.now, true, [n]);
  }

  /** A server goes down: a clean shutdown checkpoints first, a crash loses the running checkpoint. */
  stop(n: PgNode, how: 'stopped' | 'crashed'): void {
    this.checkpointer.stop(n, how);
    this.series.sample(this.cluster.ctx.sim.now, true, [n]);
  }

  promoted(n: PgNode): void {
    this.checkpointer.promoted(n);
  }

  reload(n: PgNode): void {
    this.checkpointer.reload(n);
  }

  /** After every reflow: triggers computed from WAL rates move with them; `stateChanged`: servers whose run, role, settings or timeline changed. */
  afterReflow(stateChanged: readonly PgNode[]): void {
    this.archive.afterReflow(stateChanged);
    // Only the servers whose WAL level moved (or that the checkpointer marked) can have moved a trigger or a line.
    const changed = this.cluster.walChanges.take();
    this.checkpointer.afterReflow(changed);
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
   * The line with which a primary's start fails because its pg_wal volume has no room for the segment the end of
   * recovery needs, or null. The startup process ends recovery by preallocating the next segment when the WAL end
   * is at least 75% into its own (xlog.c StartupXLOG → PreallocXlogFiles), and up to 14 writes the end-of-recovery
   * checkpoint itself (CreateCheckPoint, inside a critical section); the archiver does not run before, so what
   * waits for archive_command or a slot is all still there. A server that PANICked on a full volume (the WAL end
   * at the end of a segment) therefore cannot restart, by itself (restart_after_crash) or by pg_ctl, until the
   * volume has room: observed on 12.22 (startup PANIC, `terminated by signal 6`), 15.18 and 18.4 (startup FATAL,
   * `shutting down due to startup process failure`), also with archive_command fixed meanwhile.
   */
  startupOutOfSpace(n: PgNode, now: Micros): LogLine | null {
    const volume = n.storage.walVolume;
    if (volume === null) return null;
    const seg = n.settings.walSegmentSize;
    const end = n.walEnd(now);
    // XLByteToPrevSeg(endptr) and XLogSegmentOffset(endptr - 1): a WAL end on a boundary is the end of the segment before.
    const last = Math.max(segNo(n.oldestRetained, seg), Math.ceil(end / seg) - 1);
    const prealloc = end - last * seg >= 0.75 * seg ? 1 : 0;
    const needed = (last - segNo(n.oldestRetained, seg) + 1 + prealloc) * seg;
    if (needed <= volume) return null;
    const dir = n.version >= 10 ? 'pg_wal' : 'pg_xlog';
    return { process: 'startup', level: n.version >= 15 ? 'FATAL' : 'PANIC', message: `could not write to file "${dir}/xlogtemp.1": No space left on device` };
  }

  /**
   * pg_wal on `n` as a directory listing sizes it: the segments from the oldest kept to the one being written,
   * whole (the real directory also holds recycled future segments, which the model does not count).
   */
  pgWalSize(n: PgNode, now: Micros): number {
    const seg = n.settings.walSegmentSize;
    return (segNo(n.walEnd(now), seg) - segNo(n.oldestRetained, seg) + 1) * seg;
  }
}

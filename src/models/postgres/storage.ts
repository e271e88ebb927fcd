/**
 * The storage side of WAL in one cluster: what each server keeps in pg_wal, removes at its checkpoints, holds
 * for replication slots and archives. It wires the checkpointer (checkpointer.ts, retention.ts) to the slots
 * and the archive; cluster.ts calls it at the lifecycle events and after every reflow.
 */
import type { Micros } from '../../engine/time.ts';
import type { PgCluster } from './cluster.ts';
import { Checkpointer, type CheckpointHost } from './checkpointer.ts';
import type { Lsn } from './lsn.ts';
import type { PgNode } from './node.ts';

export class WalStorage {
  readonly checkpointer: Checkpointer;

  constructor(private readonly cluster: PgCluster) {
    const host: CheckpointHost = {
      ctx: cluster.ctx,
      nodes: cluster.nodes,
      replayPosition: (n, now) => cluster.replayPosition(n, now),
      log: (node, kind, message, lines = []) => cluster.log(node, kind, message, lines),
      slotMinimum: (n) => cluster.xid.slotRetention(n),
      invalidateSlots: (n, below) => cluster.xid.invalidateSlots(n, below),
      archiveGate: () => null,
      walRemoved: (n, horizon) => cluster.walRemoved(n, horizon),
      checkpointDone: (n) => cluster.xid.walChanged(n),
    };
    this.checkpointer = new Checkpointer(host);
  }

  /** A server starts (at boot, or after a stop or a crash). */
  start(n: PgNode, afterCrash: boolean): void {
    this.checkpointer.start(n, afterCrash);
  }

  /** A server goes down: a clean shutdown checkpoints first, a crash loses the running checkpoint. */
  stop(n: PgNode, how: 'stopped' | 'crashed'): void {
    this.checkpointer.stop(n, how);
  }

  promoted(n: PgNode): void {
    this.checkpointer.promoted(n);
  }

  reload(n: PgNode): void {
    this.checkpointer.reload(n);
  }

  /** After every reflow: triggers computed from WAL rates move with them. */
  afterReflow(): void {
    this.checkpointer.afterReflow();
  }

  /** pg_wal on `n`: from the oldest segment kept (by a checkpoint, a slot) to the WAL end. */
  pgWalSize(n: PgNode, now: Micros): number {
    const slot = this.cluster.xid.slotRetention(n);
    const from: Lsn = Math.min(n.oldestRetained, slot ?? Number.POSITIVE_INFINITY);
    return Math.max(0, n.walEnd(now) - from);
  }

  describe(n: PgNode): ReturnType<Checkpointer['describe']> {
    return this.checkpointer.describe(n);
  }
}

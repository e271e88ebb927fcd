/**
 * Servers of a cluster marked since a recorder that runs after a reflow last looked. A cluster keeps two: whose
 * WAL level jumped or changed rate, or the checkpointer asked to look at again (PgCluster.walChanges: the
 * checkpointer's WAL-volume triggers and spread checkpoints' ends, the pg_wal series); and whose replication
 * state's inputs changed (PgCluster.stateChanges, told by PgNode.onStateChange: the state samples of observe.ts,
 * the archivers). They look only at these, so a reflow that moved one server of 500 costs what it costs with 50
 * (docs/performance.md, "Many standbys"). `everyNode` (tests) makes them look at every server instead, to check
 * that the marks miss nothing (test/properties/incremental-plan.test.ts).
 */
import type { PgNode } from './node.ts';

export class ChangedNodes {
  /** For tests: `take` returns every server, as the recorders did before they were told what changed. */
  static everyNode = false;
  private readonly index = new Map<PgNode, number>();
  private marked: PgNode[] = [];
  private readonly isMarked: Uint8Array;

  constructor(private readonly nodes: readonly PgNode[]) {
    nodes.forEach((n, i) => this.index.set(n, i));
    this.isMarked = new Uint8Array(nodes.length);
  }

  mark(n: PgNode): void {
    const i = this.index.get(n)!;
    if (this.isMarked[i]) return;
    this.isMarked[i] = 1;
    this.marked.push(n);
  }

  /** `nodes` in the cluster's order. */
  inOrder(nodes: Iterable<PgNode>): PgNode[] {
    return [...nodes].sort((a, b) => this.index.get(a)! - this.index.get(b)!);
  }

  /** The marked servers in the cluster's order (what they are looked at in decides the order of their events), cleared. */
  take(): readonly PgNode[] {
    const out = this.marked;
    if (out.length === 0 && !ChangedNodes.everyNode) return out;
    this.marked = [];
    for (const n of out) this.isMarked[this.index.get(n)!] = 0;
    if (ChangedNodes.everyNode) return this.nodes;
    if (out.length > 1) out.sort((a, b) => this.index.get(a)! - this.index.get(b)!);
    return out;
  }
}

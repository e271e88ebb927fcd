/**
 * WAL written on a primary by statements rather than by the workloads' commits: a table rewrite or an index
 * build (vacuum/rewrite-wal.ts) writes its new relation's pages into the WAL as it goes, a flow of bytes per
 * microsecond over the statement's run. The write flow (writes.ts) adds it to the node's WAL, so it goes
 * through the same streams, slots, archive and pg_wal volume as the commits; commits made meanwhile wait for
 * their synchronous standbys behind it (it counts in their waiting window as WAL that releases no commit).
 */
import type { StatementWalFact } from '../../history/facts/writes.ts';
import type { PgNode } from './node.ts';

/** One statement writing WAL now. */
export interface StatementWriter {
  readonly node: PgNode;
  /** The node's boot when it began: a restart ended the statement (its backend died with the server). */
  readonly boot: number;
  /** Bytes per microsecond. */
  readonly rate: number;
  /** The statement, as the report names it, and the WAL it writes in all. */
  readonly fact: StatementWalFact;
}

export class StatementWal {
  private readonly writers = new Set<StatementWriter>();

  get active(): boolean {
    return this.writers.size > 0;
  }

  start(node: PgNode, rate: number, fact: StatementWalFact): StatementWriter {
    const w = { node, boot: node.boot, rate, fact };
    this.writers.add(w);
    return w;
  }

  end(w: StatementWriter): void {
    this.writers.delete(w);
  }

  /** Bytes per microsecond the statements write on `n` now: on a running primary in the boot they began in. */
  private rateOn(n: PgNode): number {
    let r = 0;
    for (const w of this.writers) if (w.node === n && n.running && n.isPrimary && n.boot === w.boot) r += w.rate;
    return r;
  }

  /** The nodes statements write on now, with their rate and the first of them (the one the report names). */
  nodes(): Map<PgNode, { readonly rate: number; readonly fact: StatementWalFact }> {
    const out = new Map<PgNode, { rate: number; fact: StatementWalFact }>();
    for (const w of this.writers) {
      if (out.has(w.node)) continue;
      const rate = this.rateOn(w.node);
      if (rate > 0) out.set(w.node, { rate, fact: w.fact });
    }
    return out;
  }
}

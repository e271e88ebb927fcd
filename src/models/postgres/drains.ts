/**
 * Clean shutdowns still sending WAL to lagging standbys. A fast shutdown refuses connections at once ("the
 * database system is shutting down"), moves the walsenders to stopping, writes the shutdown checkpoint (which
 * removes WAL no slot, wal_keep_size or the archive keeps: a standby needing it is cut off there, cluster.ts
 * walRemoved), and only then do the walsenders send what is left and wait for each standby to confirm it
 * (walsender.c XLogSendPhysical, WalSndDone: "send any outstanding logs up to the shutdown checkpoint record,
 * wait for them to be replicated to the standby, and exit"). The postmaster exits after its last walsender:
 * until then the data directory is locked (postmaster.pid), so `pg_ctl start` fails and `pg_ctl restart`
 * waits, PGCTLTIMEOUT (60 s) at most. Seen on a real 15.18 (docs/model-postgres.md): with a slot, the shutdown
 * lasted as long as its standby took to receive the backlog; without one, the shutdown checkpoint removed the
 * segments the standby still needed and its walsender failed.
 *
 * The server is down for the model from the shutdown's start (no client, no manager probe, no new stream);
 * only its draining walsenders go on, as streams whose limit is the WAL end.
 */
import type { EventHandle } from '../../engine/simulation.ts';
import type { Micros } from '../../engine/time.ts';
import type { Lsn } from './lsn.ts';
import type { PgNode, Stream } from './node.ts';

/** pg_ctl's wait for a stop or a start (pg_ctl.c DEFAULT_WAIT, the PGCTLTIMEOUT environment variable). */
export const PG_CTL_TIMEOUT = 60_000_000 as Micros;

export interface Drain {
  readonly stream: Stream;
  /** What the standby had when the shutdown began, and what it must have for the walsender to exit. */
  readonly from: Lsn;
  readonly to: Lsn;
}

export interface Shutdown {
  readonly node: PgNode;
  /** The server's boot the shutdown ends. */
  readonly boot: number;
  readonly since: Micros;
  readonly drains: Map<Stream, Drain>;
  /** How each drain ended, in the order they ended. */
  readonly ended: { readonly node: string; readonly sent: number; readonly left: number }[];
  completion: EventHandle | null;
}

export class Drains {
  private readonly byNode = new Map<PgNode, Shutdown>();
  private readonly byStream = new Map<Stream, Shutdown>();

  /** Begins `n`'s shutdown with these drains (none: nothing to wait for, and nothing is recorded). */
  begin(n: PgNode, since: Micros, drains: readonly Drain[]): void {
    if (drains.length === 0) return;
    const s: Shutdown = { node: n, boot: n.boot, since, drains: new Map(drains.map((d) => [d.stream, d])), ended: [], completion: null };
    this.byNode.set(n, s);
    for (const d of drains) this.byStream.set(d.stream, s);
  }

  /** Whether `s` is a walsender of a shutting-down server, still sending. */
  has(s: Stream): boolean {
    return this.byStream.has(s);
  }

  /** The shutdown `n`'s postmaster is still in, if any. */
  of(n: PgNode): Shutdown | undefined {
    return this.byNode.get(n);
  }

  /**
   * The drain of `s` ended (sent, or cut short: the standby stopped, was promoted, or the path broke) with the
   * standby at `at`. Returns the shutdown when it was the last one.
   */
  end(s: Stream, at: Lsn): Shutdown | null {
    const sd = this.byStream.get(s);
    if (!sd) return null;
    this.byStream.delete(s);
    const d = sd.drains.get(s)!;
    sd.drains.delete(s);
    sd.ended.push({ node: s.down.name, sent: Math.max(0, Math.round(Math.min(at, d.to) - d.from)), left: Math.max(0, Math.round(d.to - at)) });
    return sd.drains.size === 0 ? sd : null;
  }

  /** The postmaster exited. */
  finish(n: PgNode): void {
    this.byNode.delete(n);
  }
}

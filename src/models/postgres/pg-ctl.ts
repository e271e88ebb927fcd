/**
 * pg_ctl stop's modes, and the smart shutdowns still waiting for their client sessions (postmaster.c pmdie,
 * PostmasterStateMachine, canAcceptConnections; pg_ctl.c do_stop):
 *
 * - **smart** (SIGTERM; pg_ctl's default up to 9.4): the postmaster sets connsAllowed = false and waits for the
 *   normal backends to exit. Sessions already connected go on committing; every new connection, replication
 *   ones included (a walsender is a normal backend until it has started), is refused with "the database
 *   system is shutting down". Once the last session has ended the shutdown goes on as a fast one: the shutdown
 *   checkpoint, then the walsenders' drains (drains.ts). A pool that keeps its connections open (HikariCP,
 *   pgbouncer, a monitoring agent) keeps the server up and writing for as long as it keeps them.
 * - **fast** (SIGINT; the default from 9.5, release notes: "Change pg_ctl's default shutdown mode from smart to
 *   fast"): the sessions are aborted at once (cluster.ts shutdown).
 * - **immediate** (SIGQUIT): every process exits at once, without a shutdown checkpoint; the next start runs
 *   crash recovery. For the model it is a crash that the operator asked for.
 *
 * pg_ctl waits PGCTLTIMEOUT (60 s) for the postmaster to exit and then gives up ("server does not shut down",
 * with a HINT for smart mode); the server goes on as it was. Observed on 15.18 (docs/model-postgres.md): a
 * session committing once a second went on committing through `pg_ctl stop -m smart -t 4`, which failed
 * with the HINT; new connections and a replication connection were refused; the shutdown checkpoint came when
 * the session ended.
 *
 * The model's sessions are the client pools routed to the server and not blocked (block_clients: the runbook's
 * pg_hba reject and pg_terminate_backend together). A pool routed elsewhere closes its sessions; routed back,
 * it is a new connection and is refused. Approximation: a pool's connections never close on their own
 * (HikariCP's maxLifetime, idle timeouts and TCP keepalives are not modelled), and read-only sessions on a
 * standby are not modelled (a standby's smart shutdown proceeds at once).
 */
import type { Micros } from '../../engine/time.ts';
import type { PgMajor, StopMode } from '../../scenario/types.ts';
import type { PgNode } from './node.ts';
import type { ClientPool } from './writes.ts';

/** pg_ctl's default shutdown mode: smart up to 9.4, fast from 9.5 (pg_ctl.c shutdown_mode). */
export function defaultStopMode(version: PgMajor): StopMode {
  return version < 9.5 ? 'smart' : 'fast';
}

/** A smart shutdown waiting for the sessions of `sessions` to end. */
export interface SmartWait {
  readonly since: Micros;
  /** The pools connected when the request came and still connected: their sessions go on. */
  readonly sessions: Set<ClientPool>;
}

export class SmartShutdowns {
  private readonly waiting = new Map<PgNode, SmartWait>();

  get size(): number {
    return this.waiting.size;
  }

  begin(n: PgNode, since: Micros, sessions: readonly ClientPool[]): void {
    n.connsAllowed = false;
    this.waiting.set(n, { since, sessions: new Set(sessions) });
  }

  has(n: PgNode): boolean {
    return this.waiting.has(n);
  }

  /** Whether pool `p` still has sessions on `n`, which a smart shutdown lets go on. */
  connected(n: PgNode, p: ClientPool): boolean {
    return this.waiting.get(n)?.sessions.has(p) ?? false;
  }

  /**
   * The servers whose last session has ended: a pool routed elsewhere, or blocked (block_clients), has closed
   * its sessions for good.
   */
  ended(): PgNode[] {
    const out: PgNode[] = [];
    for (const [n, w] of this.waiting) {
      for (const p of [...w.sessions]) if (p.target !== n || n.clientsBlocked) w.sessions.delete(p);
      if (w.sessions.size === 0) out.push(n);
    }
    return out;
  }

  /** The shutdown goes on (its sessions ended, or a fast or immediate stop, or a crash): returns whether it waited. */
  end(n: PgNode): SmartWait | null {
    const w = this.waiting.get(n);
    if (!w) return null;
    this.waiting.delete(n);
    n.connsAllowed = true;
    return w;
  }
}

/**
 * Walsenders whose standby a network cut silenced. No FIN or RST crosses a cut, so the upstream's walsender
 * lives on: it stays in pg_stat_replication in state streaming, and a synchronous standby stays the one that
 * commits wait for (syncrep.c SyncRepGetCandidateStandbys takes every walsender streaming with a valid flush
 * position; FIRST n picks by priority, whatever that walsender last heard). It exits when no reply has come
 * for wal_sender_timeout (walsender.c WalSndCheckTimeOut: LOG "terminating walsender process due to
 * replication timeout"); only then does the next listed standby become synchronous. With
 * wal_sender_timeout = 0 it waits until TCP gives up on the WAL it keeps sending (tcp_retries2: 924.6 s).
 * A heal before then resumes the same connection; a heal after the standby's walreceiver gave up on its side
 * (wal_receiver_timeout) meets that closed socket's RST, and the walsender exits at once.
 *
 * Approximation: the last reply is taken at the cut. A standby that receives WAL replies to every message
 * (walreceiver.c XLogWalRcvSendReply), so that holds while WAL flows; an idle one replies every
 * wal_receiver_status_interval (10 s), and its walsender then exits up to that much sooner.
 */
import type { EventHandle } from '../../engine/simulation.ts';
import type { Micros } from '../../engine/time.ts';
import type { Lsn } from './lsn.ts';
import type { PgNode, Stream } from './node.ts';
import { DATA_GIVE_UP } from './reconnect.ts';

/** What the upstream last heard from the standby, per commit level awaited (as writes.ts ackOf reads it). */
export interface HeardPositions {
  readonly remote_write: Lsn;
  readonly on: Lsn;
  readonly remote_apply: Lsn;
}

export interface CutWalsender {
  /** The connection as it was at the cut (it may have been closed on the standby's side since). */
  readonly stream: Stream;
  /** The upstream's boot at the cut: a restart there ends every walsender. */
  readonly upBoot: number;
  readonly since: Micros;
  /** When it exits: wal_sender_timeout after the cut, or TCP's give-up when that is 0. */
  readonly until: Micros;
  /** Whether wal_sender_timeout ends it (false: TCP's retransmissions do). */
  readonly byTimeout: boolean;
  readonly heard: HeardPositions;
  readonly exit: EventHandle;
}

/** When a walsender cut off at `since` exits on `up` (walsender.c WalSndCheckTimeOut; TCP without it). */
export function walsenderExitAt(up: PgNode, since: Micros): { at: Micros; byTimeout: boolean } {
  const timeout = up.settings.walSenderTimeout;
  return timeout > 0 ? { at: (since + timeout) as Micros, byTimeout: true } : { at: (since + DATA_GIVE_UP) as Micros, byTimeout: false };
}

export class CutWalsenders {
  private readonly byStream = new Map<Stream, CutWalsender>();

  add(w: CutWalsender): void {
    this.byStream.set(w.stream, w);
  }

  /** Forgets it (healed, exited, or its server went down); returns it if it was there. */
  remove(s: Stream): CutWalsender | undefined {
    const w = this.byStream.get(s);
    this.byStream.delete(s);
    return w;
  }

  /** The cut walsenders still alive on `up` (its boot unchanged), in the order they were cut. */
  *of(up: PgNode): Iterable<CutWalsender> {
    for (const w of this.byStream.values()) if (w.stream.up === up && w.upBoot === up.boot && up.running) yield w;
  }

  all(): CutWalsender[] {
    return [...this.byStream.values()];
  }
}

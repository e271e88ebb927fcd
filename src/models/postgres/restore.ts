/**
 * The archive as a standby's first source of WAL (xlogrecovery.c WaitForWALToBecomeAvailable: archive, then
 * pg_wal, then the stream; postgres-2.md §2.2, rule 9). While the archive has the next segment of its WAL's
 * history, the startup process restores whole segments (archive.ts WalArchive.restore) with the walreceiver
 * stopped (XLogShutdownWalRcv before it leaves XLOG_FROM_STREAM); when the archive has nothing more it goes on
 * to streaming. The segments restored until the node streams again (or stops, is promoted, the run ends) are
 * logged as one event then.
 */
import type { Micros } from '../../engine/time.ts';
import type { WalArchive } from './archive.ts';
import type { Lsn } from './lsn.ts';
import type { Fact } from '../../history/facts/index.ts';
import type { RestoreEnd } from '../../history/facts/replication.ts';
import type { LogLine } from './messages.ts';
import type { PgNode, StandbyRole } from './node.ts';
import { endOf, type Timeline } from './timeline.ts';

/** What the restore needs of its cluster (cluster.ts keeps the walreceiver protocol). */
export interface RestoreHost {
  now(): Micros;
  log(n: PgNode, fact: Fact, lines: readonly (LogLine | null)[]): void;
  /** A rescan that refused the newest timeline, logged with the attempt (it would go with the walreceiver's message). */
  logRefusal(n: PgNode, lines: readonly LogLine[]): void;
  recordReceiver(n: PgNode, detail: Fact): void;
  requestReflow(): void;
  /** The startup process's next attempt: the archive again, then the stream. */
  connect(n: PgNode): void;
  /** `n`'s WAL continues on `tl`'s history from `at` (its recovery target's, restored past the switchpoint). */
  adoptTimeline(n: PgNode, tl: Timeline, at: Lsn): void;
}

export class ArchiveRestore {
  /** Segments restored since the archive became the node's source. */
  private readonly sessions = new Map<PgNode, { from: Lsn; to: Lsn }>();

  constructor(
    private readonly archive: WalArchive,
    private readonly host: RestoreHost,
  ) {}

  /** Restore from the archive if it has the next segment; false: go on to streaming. */
  start(n: PgNode, role: StandbyRole, refused: readonly LogLine[]): boolean {
    const pending = this.archive.restore(n, (to) => this.restored(n, pending!.from, to, pending!.timeline));
    // The archive has no more yet: on to pg_wal and the stream. The restores of one such run (however many
    // attempts it took, while the archive filled) are logged as one event when the node streams again.
    if (!pending) return false;
    role.walreceiver = null;
    const was = role.receiver;
    role.receiver = { status: 'waiting', reason: 'restoring-from-archive', retry: pending.event };
    if (refused.length > 0) this.host.logRefusal(n, refused);
    if (!this.sessions.has(n) && !(was.status === 'waiting' && was.reason === 'restoring-from-archive')) {
      this.host.recordReceiver(n, { kind: 'restoring-from-archive', node: n.name, site: this.archive.site, lsn: pending.from });
      this.host.requestReflow();
    }
    return true;
  }

  private restored(n: PgNode, from: Lsn, to: Lsn, along: Timeline): void {
    const role = n.role;
    if (!n.running || role.kind !== 'standby') return;
    const now = this.host.now();
    const end = n.walEnd(now);
    // Restored past where the target's history leaves the node's timeline: its WAL is the target's from there.
    const leaves = along !== n.wal.timeline ? endOf(along, n.wal.timeline) : null;
    if (leaves !== null && to > leaves && end >= leaves - 0.5) this.host.adoptTimeline(n, along, end);
    if (to > end) n.wal.end.set(now, to);
    const session = this.sessions.get(n);
    this.sessions.set(n, { from: session?.from ?? from, to });
    role.receiver = { status: 'waiting', reason: 'restoring-from-archive', retry: null };
    this.host.requestReflow();
    this.host.connect(n);
  }

  /** Whether `n` restored from the archive since it last streamed (its failures in between form one loop). */
  active(n: PgNode): boolean {
    return this.sessions.has(n);
  }

  /** The end of the run: the restores not logged yet. */
  finish(): void {
    for (const n of [...this.sessions.keys()]) this.end(n, { kind: 'run-ended' });
  }

  /** The archive stopped being `n`'s source (`why`): one event for the segments restored meanwhile. */
  end(n: PgNode, why: RestoreEnd): void {
    const session = this.sessions.get(n);
    if (!session) return;
    this.sessions.delete(n);
    const { from, to } = session;
    const segments = Math.round((to - from) / n.settings.walSegmentSize);
    this.host.log(n, { kind: 'restored-from-archive', node: n.name, segments, fromLsn: from, toLsn: to, then: why }, this.archive.restoredLines(n, from, to));
  }
}

/**
 * Rebuilding a server as a plan does it (postgres-2.md §3): pg_basebackup from a running server, pg_rewind
 * against one, and an emptied data directory. Each takes the time its copy takes and fails with the tool's
 * message where the real one does.
 *
 * - **pg_basebackup** (pg_basebackup.c, basebackup.c): the source runs a checkpoint (`fast`: immediate; `spread`:
 *   the forced checkpoint paced as the checkpointer's own, checkpointer.ts spreadEnd, which the backup waits
 *   for), whose redo point is the WAL start point; then the data directory is copied at the slowest of the
 *   path, the two disks and `max_rate`. With `-X fetch` the WAL from the start point must still be there at the
 *   end: nothing holds it, and a segment removed meanwhile fails the backup (`requested WAL segment … has already
 *   been removed`). `-X stream` receives it beside the copy, through a temporary slot from 10 (`--slot` a named
 *   one) whose restart_lsn its flush feedback moves. Approximation: the stream is taken to keep up with the WAL
 *   (it does not share the link with the copy), so it never fails that way and its slot holds next to nothing.
 * - **pg_rewind** (pg_rewind.c, 9.5+): needs data checksums or wal_log_hints = on; the target must be shut down
 *   cleanly up to 12 (13+ runs crash recovery itself); it reads the target's WAL back from the fork to the last
 *   common checkpoint's record (which must still be in its pg_wal), copies the blocks changed since (at most
 *   the data directory) and the source's pg_wal, and leaves the target a standby of the source whose recovery
 *   starts at that checkpoint's redo.
 * - **destroy_data**: the data directory is emptied (a crash if the server ran); a start fails as pg_ctl does.
 *
 * The rebuilt node takes the source's WAL history up to where the copy ended (a rewound one: only if the
 * source's pg_wal reaches back to the redo), its checkpoint at the backup's start (or the last common
 * checkpoint's redo), and starts as a standby of the source when asked.
 */
import type { Micros } from '../../engine/time.ts';
import type { BaseBackupSpec, RewindSpec, SlotSpec } from '../../scenario/types.ts';
import type { Fact, Rule } from '../../history/facts/index.ts';
import type { BackupWalHold, BasebackupFailure, RewindFailure } from '../../history/facts/backup.ts';
import type { PgCluster } from './cluster.ts';
import { dirtyBuffers } from './checkpointer.ts';
import { PRIORITY } from './context.ts';
import { formatLsn, segmentStart, walFileName, type Lsn } from './lsn.ts';
import { PGDATA, tooManyWalSendersText, type LogLine } from './messages.ts';
import { walSendersExceeded } from './walsenders.ts';
import type { Endpoint } from '../network/network.ts';
import { connectionRate } from '../tcp/connection.ts';
import { PgNode } from './node.ts';
import { forkOf, historyOf, timelineAt, type Timeline } from './timeline.ts';
import { removalHorizon } from './retention.ts';

/**
 * The timeline of the latest checkpoint in `n`'s control file (pg_controldata "Latest checkpoint's TimeLineID"). A
 * standby's is its last restartpoint's; a primary's is that of the newest checkpoint record on its history, so a
 * server promoted whose first checkpoint since has not completed still names the parent timeline (its
 * end-of-recovery record is not a checkpoint). Approximation: for a primary the newest checkpoint record written on
 * its history before the promotion stands for the restartpoint it had made as a standby.
 */
export function controlTimeline(c: PgCluster, n: PgNode): Timeline {
  if (n.role.kind === 'standby') {
    const tli = n.checkpoint.tli;
    return historyOf(n.wal.timeline).find((e) => e.timeline.tli === tli)?.timeline ?? timelineAt(n.wal.timeline, n.checkpoint.lsn);
  }
  return c.storage.checkpointer.records.newestBefore(n.wal.timeline, Number.POSITIVE_INFINITY)?.timeline ?? n.wal.timeline;
}

/** Size of a data directory when the scenario gives none. */
export const DEFAULT_DATA_SIZE = 1024 ** 3;
/** Sequential disk throughput when the scenario gives none (as the vacuum model's). */
const DEFAULT_DISK_THROUGHPUT = 500e6;
/** Where the scenario's servers keep their data (for messages only). */

/** A client tool's line as it prints it: `pg_basebackup: error: …` from 12, without the level before. */
function tool(process: 'pg_basebackup' | 'pg_rewind' | 'pg_ctl', version: number, message: string, error = false): LogLine {
  return { process, level: error ? 'ERROR' : 'LOG', message: error && version >= 12 ? `error: ${message}` : message };
}

/** pg_basebackup's name for the WAL in its messages: `transaction log` up to 9.6. */
function walWords(v: number): string {
  return v >= 10 ? 'write-ahead log' : 'transaction log';
}

/**
 * A client tool's pg_fatal: `fatal: ` 12-14 (pg_log_fatal), `error: ` from 15 (common/logging.h pg_fatal logs at
 * PG_LOG_ERROR), no level before 12.
 */
function fatal(process: 'pg_rewind', version: number, message: string): LogLine {
  return { process, level: 'ERROR', message: version >= 15 ? `error: ${message}` : version >= 12 ? `fatal: ${message}` : message };
}

/** Where a refused pg_basebackup's error comes from in the real source. */
const BASEBACKUP_RULE: Partial<Record<BasebackupFailure['kind'], Rule>> = {
  'not-empty': 'pg_basebackup.c:verify_dir_is_empty_or_create',
  'walsenders-exhausted': 'proc.c:InitProcess',
  'slots-full': 'slot.c:ReplicationSlotCreate',
};

export class Rebuilds {
  /** Replication connections of running pg_basebackups, by source (walsenders.ts). */
  private readonly connections = new Map<PgNode, number>();
  /** The copy running into each node (a number per copy): emptying the directory ends it (destroy). */
  private readonly copies = new Map<PgNode, number>();
  /**
   * The copies under way, each with how to end it early: pg_basebackup fails at once when its source goes down
   * (its replication connection closes: `could not read COPY data: server closed the connection unexpectedly`)
   * or when the directory it writes into is removed, not when the copy would have ended.
   */
  private readonly running = new Set<{ readonly from: PgNode; readonly into: PgNode | null; readonly interrupt: (why: 'source-down' | 'directory-removed') => void }>();
  private copySeq = 0;

  constructor(private readonly cluster: PgCluster) {}

  /** The walsenders the running base backups from `up` take: one for the copy, one more for -X stream. */
  walSenderConnections(up: PgNode): number {
    return this.connections.get(up) ?? 0;
  }

  private get now(): Micros {
    return this.cluster.ctx.sim.now;
  }

  /**
   * Bytes per second a copy from `from` to `to` gets: the slowest of the connection, both disks and `maxRate`. A
   * backup store (`to` an endpoint, not a server) has the default disk throughput.
   */
  copyRate(from: PgNode | Endpoint, to: PgNode | Endpoint, maxRate: number | null): number {
    const end = (x: PgNode | Endpoint): Endpoint => (x instanceof PgNode ? this.cluster.endpointOf(x) : x);
    const disk = (x: PgNode | Endpoint): number => (x instanceof PgNode ? (x.storage.throughput ?? DEFAULT_DISK_THROUGHPUT) : DEFAULT_DISK_THROUGHPUT);
    const path = this.cluster.ctx.net.path(end(from), end(to));
    // One TCP connection (pg_basebackup's, or pg_rewind's libpq one): its window per round trip and packet loss
    // bound it too (tcp/connection.ts connectionRate), as they do a walsender's stream.
    const net = path ? connectionRate(path.bandwidth, path.latency, path.tcpWindow, this.cluster.ctx.net.loss(end(from), end(to))).rate : Number.POSITIVE_INFINITY;
    const rates = [net, disk(from), disk(to)];
    if (maxRate !== null) rates.push(maxRate);
    return Math.min(...rates);
  }

  private fail(n: PgNode, why: Fact, lines: LogLine[]): void {
    this.cluster.log(n, 'replication', why, lines);
  }

  /** The data directory of `n` is emptied (rm -rf $PGDATA/*): a running server crashes first. */
  destroy(n: PgNode): void {
    // A running server crashes first (a postmaster still waiting for its walsenders is killed).
    this.cluster.crash(n);
    // A copy running into it loses what it wrote and fails when it ends (its files are gone).
    this.copies.delete(n);
    n.dataDirectory = 'empty';
    this.cluster.log(n, 'lifecycle', { kind: 'data-directory-destroyed', node: n.name });
    for (const c of [...this.running]) if (c.into === n) c.interrupt('directory-removed');
  }

  /** `n` went down (crashed, stopped, restarting): the copies it was the source of fail now. */
  sourceDown(n: PgNode): void {
    for (const c of [...this.running]) if (c.from === n) c.interrupt('source-down');
  }

  // ------------------------------------------------------------------ pg_basebackup

  /** The backup store a node-less backup is written to: at the WAL archive's site. */
  backupStore(): Endpoint {
    return { name: `the backup store at site ${this.cluster.storage.archive.site}`, site: this.cluster.storage.archive.site };
  }

  /**
   * pg_basebackup from `spec.from` into `n`, or with `n` null into the backup store (a named backup only,
   * restored later by restore_backup: pitr.ts). The log goes to `n`, or to the source for a stored backup.
   * `done` (a manager's rejoin) learns whether the copy succeeded, when it ends.
   */
  basebackup(n: PgNode | null, spec: BaseBackupSpec, done?: (ok: boolean) => void): void {
    const from = this.cluster.node(spec.from);
    const v = (n ?? from).version;
    const dest = n ?? this.backupStore();
    const logTo = n ?? from;
    const fail = (failure: BasebackupFailure, lines: LogLine[]) => {
      const rule = BASEBACKUP_RULE[failure.kind];
      const why: Fact = { kind: 'basebackup-failed', node: n?.name ?? null, backup: spec.name, from: from.name, failure, ...(rule !== undefined ? { rule } : {}) };
      if (spec.name !== null) this.cluster.backups.failed(spec.name, why);
      this.fail(logTo, why, lines);
      done?.(false);
    };
    if (n && (n.running || n.dataDirectory === 'present')) {
      // pg_basebackup.c verify_dir_is_empty_or_create.
      return fail({ kind: 'not-empty' }, [tool('pg_basebackup', v, `directory "${PGDATA}" exists but is not empty`, true)]);
    }
    if (n && n.dataDirectory === 'copying') return fail({ kind: 'copy-running' }, []);
    const destEndpoint = n ? this.cluster.endpointOf(n) : (dest as Endpoint);
    if (!from.running || !from.acceptsNewConnections || !this.cluster.ctx.net.reachable(destEndpoint, this.cluster.endpointOf(from))) {
      return fail({ kind: 'source-unavailable', running: from.running }, [tool('pg_basebackup', v, `could not connect to server: connection to server at "${from.name}", port 5432 failed`, true)]);
    }
    // Its replication connections must fit in the source's max_wal_senders (walsenders.ts).
    const wanted = spec.walMethod === 'stream' ? 2 : 1;
    const maxSenders = walSendersExceeded(this.cluster, from, wanted, null);
    const refusedText = (max: number) => {
      const text = `FATAL:  ${tooManyWalSendersText(from.version, max)}`;
      return tool('pg_basebackup', v, v >= 14 ? `connection to server at "${from.name}", port 5432 failed: ${text}` : `could not connect to server: ${text}`, true);
    };
    // -X stream opens its second connection (the WAL streamer) only once BASE_BACKUP has started, after the
    // checkpoint (pg_basebackup.c BaseBackup, then StartLogStreamer): with room for one walsender only, the backup
    // waits for its checkpoint and fails then.
    const streamerRefused = maxSenders !== null && wanted === 2 && walSendersExceeded(this.cluster, from, 1, null) === null;
    if (maxSenders !== null && !streamerRefused) return fail({ kind: 'walsenders-exhausted', max: maxSenders, wanted }, [refusedText(maxSenders)]);
    const now = this.now;
    const copyId = ++this.copySeq;
    if (n) {
      n.dataDirectory = 'copying';
      this.copies.set(n, copyId);
    }
    // The checkpoint the backup starts from: its redo point is where the WAL it needs begins (xlog.c
    // do_pg_backup_start: RequestCheckpoint(CHECKPOINT_FORCE | CHECKPOINT_WAIT [| CHECKPOINT_IMMEDIATE]), then
    // startpoint = ControlFile->checkPointCopy.redo). On a standby that request is a restartpoint, made only at the
    // newest checkpoint record it has replayed and skipped when it has none newer: "We use the last restartpoint as
    // the backup starting checkpoint", so the backup starts at that record's redo, behind the replay position by up
    // to a checkpoint cycle of the primary's WAL (and two backups may share it).
    const checkpointer = this.cluster.storage.checkpointer;
    const onStandby = !from.isPrimary;
    const before = onStandby ? checkpointer.completedRedo(from) : 0;
    if (spec.checkpoint === 'fast') checkpointer.manual(from);
    // A spread request on a standby (checkpointer.c RequestCheckpoint with CHECKPOINT_WAIT waits for a restartpoint
    // that starts after the request): one running finishes at its pace first; otherwise it makes one at the newest
    // record replayed, or skips it at once when there is none newer than the last (xlog.c CreateRestartPoint:
    // "skipping restartpoint"). Approximation: after a running one, the next is taken to be skipped.
    const runningRp = onStandby && spec.checkpoint === 'spread' ? checkpointer.running(from) : null;
    const restartpoint = onStandby && spec.checkpoint === 'spread' && runningRp === null ? checkpointer.manualOutcome(from) : null;
    const startLsn = !onStandby ? from.walEnd(now) : spec.checkpoint === 'fast' ? checkpointer.completedRedo(from) : (runningRp?.redo ?? restartpoint?.redo ?? before);
    const timeline: Timeline = timelineAt(from.wal.timeline, Math.max(0, startLsn - 1));
    // A spread checkpoint (RequestCheckpoint without CHECKPOINT_IMMEDIATE) is paced as the checkpointer paces its
    // own: it ends when checkpoint_completion_target of checkpoint_timeout or of the WAL between checkpoints has
    // passed, whichever first (checkpointer.c IsCheckpointOnSchedule), so heavy writes end it sooner.
    const pacedFrom = onStandby ? this.cluster.replayPosition(from, now) : startLsn;
    const skipped = onStandby && spec.checkpoint === 'spread' && runningRp === null && restartpoint === null;
    const wait = spec.checkpoint === 'fast' || skipped ? 0 : runningRp !== null ? Math.max(0, runningRp.endsAt - now) : checkpointer.spreadEnd(from, now, pacedFrom, dirtyBuffers(pacedFrom - checkpointer.completedRedo(from))) - now;
    // What holds the WAL from the start point on the source: a named slot, or the temporary one -X stream makes from 10.
    const temporary = spec.slot === null && spec.walMethod === 'stream' && v >= 10 ? `pg_basebackup_${n ? n.name : spec.name}` : null;
    const slotName = spec.slot ?? temporary;
    // 10 renamed "transaction log" to "write-ahead log" in the client's messages and added `checkpoint completed`.
    const lines: LogLine[] = [
      tool('pg_basebackup', v, `initiating base backup, waiting for checkpoint to complete`),
      ...(v >= 10 ? [tool('pg_basebackup', v, `checkpoint completed`)] : []),
      tool('pg_basebackup', v, `${walWords(v)} start point: ${formatLsn(startLsn)} on timeline ${timeline.tli}`),
    ];
    if (streamerRefused) {
      if (spec.name !== null) this.cluster.backups.started(spec.name, (now + wait) as Micros);
      this.connections.set(from, this.walSenderConnections(from) + 1);
      const release = () => {
        this.running.delete(waiting);
        this.connections.set(from, this.walSenderConnections(from) - 1);
        if (n && this.copies.get(n) === copyId) {
          this.copies.delete(n);
          n.dataDirectory = 'empty';
        }
      };
      const removing = n ? [tool('pg_basebackup', v, `removing contents of data directory "${PGDATA}"`)] : [];
      const handle = this.cluster.ctx.sim.after(wait as Micros, `basebackup streamer ${n ? n.name : spec.name}`, () => {
        release();
        fail({ kind: 'walsenders-exhausted', max: maxSenders, wanted }, [...lines, refusedText(maxSenders), ...removing]);
      }, PRIORITY.protocol);
      // Its first connection waits for the checkpoint meanwhile: the source going down (a restart to raise
      // max_wal_senders, say) ends it then, as it ends a copy.
      const waiting = {
        from,
        into: n,
        interrupt: (why: 'source-down' | 'directory-removed') => {
          this.cluster.ctx.sim.cancel(handle);
          release();
          if (why === 'source-down') fail({ kind: 'source-down' }, [tool('pg_basebackup', v, 'could not read COPY data: server closed the connection unexpectedly', true), ...removing]);
          else fail({ kind: 'directory-removed' }, [tool('pg_basebackup', v, `could not create file "${PGDATA}/base": No such file or directory`, true)]);
        },
      };
      this.running.add(waiting);
      return;
    }
    if (slotName !== null && !this.cluster.storage.slots.has(slotName)) {
      const slot: SlotSpec = { name: slotName, node: from.name, kind: 'physical', database: null, consumer: 'stopped', hotStandbyFeedback: false };
      if (!this.cluster.storage.slots.create(slot)) {
        if (n) n.dataDirectory = 'empty';
        return fail({ kind: 'slots-full', slot: slotName }, [
          tool('pg_basebackup', v, `could not send replication command "CREATE_REPLICATION_SLOT": ERROR:  all replication slots are in use`, true),
        ]);
      }
      if (temporary) lines.push(tool('pg_basebackup', v, `created temporary replication slot "${temporary}"`));
    }
    // -X stream through a slot: the stream runs beside the copy and, with a slot, reports its flush position
    // (receivelog.c ReceiveXlogStream: reportFlushPosition when stream->replication_slot is set), which moves the
    // slot's restart_lsn (walsender.c PhysicalConfirmReceivedLocation): an active consumer, taken to keep up with
    // the source's WAL as the stream is (header), so the slot holds nothing like the copy's WAL. It stops where the
    // stream stopped at the end (a named slot then waits there for the new standby).
    const streamSlot = spec.walMethod === 'stream' ? slotName : null;
    if (streamSlot !== null) this.cluster.storage.slots.setConsumer(streamSlot, true);
    const size = from.storage.dataSize ?? DEFAULT_DATA_SIZE;
    const rate = this.copyRate(from, dest, spec.maxRate);
    const copy = Math.max(1, Math.ceil((size / rate) * 1e6));
    const hold: BackupWalHold = slotName !== null ? { kind: 'slot', slot: slotName } : spec.walMethod === 'fetch' ? { kind: 'fetch' } : { kind: 'stream' };
    if (spec.name !== null) this.cluster.backups.started(spec.name, (now + wait + copy) as Micros);
    this.cluster.log(
      logTo,
      'replication',
      {
        kind: 'basebackup-started',
        node: n?.name ?? null,
        backup: spec.name,
        site: this.cluster.storage.archive.site,
        from: from.name,
        checkpoint: spec.checkpoint,
        wait,
        walMethod: spec.walMethod,
        bytes: size,
        rate,
        duration: copy,
        startLsn,
        hold,
      },
      lines,
    );
    this.connections.set(from, this.walSenderConnections(from) + wanted);
    const entry = {
      from,
      into: n,
      interrupt: (why: 'source-down' | 'directory-removed') => {
        this.running.delete(entry);
        this.cluster.ctx.sim.cancel(handle);
        this.connections.set(from, this.walSenderConnections(from) - wanted);
        if (streamSlot !== null) this.cluster.storage.slots.setConsumer(streamSlot, false);
        if (temporary) this.cluster.storage.slots.drop(temporary);
        if (n && this.copies.get(n) === copyId) {
          this.copies.delete(n);
          n.dataDirectory = 'empty';
        }
        const failure: BasebackupFailure = why === 'source-down' ? { kind: 'source-down' } : { kind: 'directory-removed' };
        const why2: Fact = { kind: 'basebackup-failed', node: n?.name ?? null, backup: spec.name, from: from.name, failure };
        if (spec.name !== null) this.cluster.backups.failed(spec.name, why2);
        this.fail(logTo, why2, [
          why === 'source-down'
            ? tool('pg_basebackup', v, 'could not read COPY data: server closed the connection unexpectedly', true)
            : tool('pg_basebackup', v, `could not create file "${PGDATA}/base": No such file or directory`, true),
          ...(why === 'source-down' && n ? [tool('pg_basebackup', v, `removing contents of data directory "${PGDATA}"`)] : []),
        ]);
        done?.(false);
      },
    };
    this.running.add(entry);
    const handle = this.cluster.ctx.sim.after((wait + copy) as Micros, `basebackup ${n ? n.name : spec.name}`, () => {
      this.running.delete(entry);
      this.connections.set(from, this.walSenderConnections(from) - wanted);
      if (n && this.copies.get(n) !== copyId) {
        // Its directory was emptied during the copy (destroy_data, a reclone): pg_basebackup fails writing into it.
        if (streamSlot !== null) this.cluster.storage.slots.setConsumer(streamSlot, false);
        if (temporary) this.cluster.storage.slots.drop(temporary);
        const why: Fact = { kind: 'basebackup-failed', node: n.name, backup: spec.name, from: from.name, failure: { kind: 'directory-removed' } };
        if (spec.name !== null) this.cluster.backups.failed(spec.name, why);
        this.fail(n, why, [tool('pg_basebackup', v, `could not create file "${PGDATA}/base": No such file or directory`, true)]);
        done?.(false);
        return;
      }
      if (n) this.copies.delete(n);
      if (streamSlot !== null) this.cluster.storage.slots.setConsumer(streamSlot, false);
      const ok = this.finishBackup(n, from, spec, startLsn, temporary, onStandby);
      done?.(ok);
    }, PRIORITY.protocol);
  }

  /** Ends a copy; false when it failed. */
  private finishBackup(n: PgNode | null, from: PgNode, spec: BaseBackupSpec, startLsn: Lsn, temporary: string | null, startedInRecovery: boolean): boolean {
    const now = this.now;
    const v = (n ?? from).version;
    const logTo = n ?? from;
    const seg = from.settings.walSegmentSize;
    if (temporary) this.cluster.storage.slots.drop(temporary);
    if (startedInRecovery && from.running && from.isPrimary) {
      // xlog.c do_pg_backup_stop: backup_label says BACKUP FROM: standby but the server is no longer in recovery:
      // ERROR, and pg_basebackup removes what it wrote. 15+ prints `backup failed: ` (observed on Debian's 15.18,
      // a standby promoted during pg_basebackup -X stream); up to 14 the stop position is a result after the
      // tar streams (pg_basebackup.c BaseBackup), read with `could not get write-ahead log end position from
      // server: ` (transaction log up to 9.6; the ERROR comes inside the last COPY with -X fetch: not modelled).
      if (n) n.dataDirectory = 'empty';
      const why: Fact = { kind: 'basebackup-failed', node: n?.name ?? null, backup: spec.name, from: from.name, failure: { kind: 'standby-promoted' }, rule: 'xlog.c:do_pg_backup_stop' };
      if (spec.name !== null) this.cluster.backups.failed(spec.name, why);
      const prefix = v >= 15 ? 'backup failed' : `could not get ${walWords(v)} end position from server`;
      this.fail(logTo, why, [
        {
          ...tool('pg_basebackup', v, `${prefix}: ERROR:  the standby was promoted during online backup`, true),
          hint: 'This means that the backup being taken is corrupt and should not be used. Try taking another online backup.',
        },
        tool('pg_basebackup', v, `removing ${n ? 'contents of ' : ''}data directory "${PGDATA}"`),
      ]);
      return false;
    }
    // `-X stream` streams the WAL beside the copy and is taken to keep up (header): what the source removes
    // meanwhile it has already received (its slot, if any, followed it).
    const streamed = spec.walMethod === 'stream';
    const gone = !from.running || (!streamed && from.oldestRetained > segmentStart(startLsn, seg));
    if (gone) {
      if (n) n.dataDirectory = 'empty';
      const file = walFileName(timelineAt(from.wal.timeline, startLsn).tli, startLsn, seg);
      const why: Fact = { kind: 'basebackup-failed', node: n?.name ?? null, backup: spec.name, from: from.name, failure: from.running ? { kind: 'segment-removed', segment: file } : { kind: 'source-down' } };
      if (spec.name !== null) this.cluster.backups.failed(spec.name, why);
      this.fail(logTo, why, [
        tool('pg_basebackup', v, from.running ? `could not get COPY data stream: ERROR:  requested WAL segment ${file} has already been removed` : 'could not read COPY data: server closed the connection unexpectedly', true),
        tool('pg_basebackup', v, `removing contents of data directory "${PGDATA}"`),
      ]);
      return false;
    }
    const endLsn = from.isPrimary ? from.walEnd(now) : this.cluster.replayPosition(from, now);
    // A primary writes the backup's checkpoint on its current timeline, also just after a promotion when no WAL of
    // that timeline came yet (startLsn at the switchpoint); a standby's restartpoint is on the timeline it replayed.
    const checkpoint = { lsn: startLsn, tli: from.isPrimary ? from.tli : timelineAt(from.wal.timeline, Math.max(0, startLsn - 1)).tli };
    if (spec.name !== null) {
      const site = n ? n.site : this.cluster.storage.archive.site;
      this.cluster.backups.done({ name: spec.name, from: from.name, site, checkpoint, timeline: from.wal.timeline, endLsn, size: from.storage.dataSize ?? DEFAULT_DATA_SIZE, completedAt: now });
    }
    if (!n) {
      this.cluster.log(from, 'replication', { kind: 'basebackup-done', node: null, backup: spec.name, site: this.backupStore().site, from: from.name, startLsn, endLsn, timeline: from.tli }, [
        tool('pg_basebackup', v, `${walWords(v)} end point: ${formatLsn(endLsn)}`),
        tool('pg_basebackup', v, 'base backup completed'),
      ]);
      return true;
    }
    this.adopt(n, from, endLsn, checkpoint, spec.slot);
    this.cluster.log(n, 'replication', { kind: 'basebackup-done', node: n.name, backup: spec.name, site: n.site, from: from.name, startLsn, endLsn, timeline: from.tli }, [
      tool('pg_basebackup', v, `${walWords(v)} end point: ${formatLsn(endLsn)}`),
      tool('pg_basebackup', v, 'base backup completed'),
    ]);
    if (spec.start) this.cluster.start(n);
    return true;
  }

  /** `n` holds `from`'s WAL history up to `end`, its checkpoint at `checkpoint`, and is a standby of `from`. */
  private adopt(n: PgNode, from: PgNode, end: Lsn, checkpoint: { lsn: Lsn; tli: number }, slot: string | null): void {
    this.install(n, from.wal.timeline, end, checkpoint, from.name);
    // -R writes primary_conninfo (and primary_slot_name with --slot).
    if (slot !== null) n.settings = { ...n.settings, primarySlotName: slot };
  }

  /**
   * The data directory of the stopped `n` becomes a copy: WAL the prefix of `timeline`'s history up to `end`,
   * its checkpoint (backup_label) at `checkpoint`, a standby of `upstream` (null: none, as restored backups are).
   */
  install(n: PgNode, timeline: Timeline, end: Lsn, checkpoint: { lsn: Lsn; tli: number }, upstream: string | null): void {
    const now = this.now;
    this.cluster.storage.checkpointer.forget(n);
    n.wal.timeline = timeline;
    n.wal.end.setRate(now, 0);
    n.wal.end.set(now, end);
    this.cluster.writes.walCut(n);
    n.historyFiles.clear();
    for (const e of historyOf(timeline)) n.historyFiles.set(e.timeline.tli, e.timeline);
    n.checkpoint = checkpoint;
    n.oldestRetained = segmentStart(checkpoint.lsn, n.settings.walSegmentSize);
    n.overwritten = null;
    n.pendingBackup = null;
    n.role = { kind: 'standby', upstream, target: timeline, receiver: { status: 'stopped' }, walreceiver: null, phase: 'redo' };
    n.run = { state: 'down', how: 'stopped' };
    n.dataDirectory = 'present';
    this.cluster.requestReflow();
  }

  // ------------------------------------------------------------------ pg_rewind

  private refuse(n: PgNode, from: PgNode, failure: RewindFailure, lines: LogLine[], done?: (ok: boolean) => void): void {
    const rule = failure.kind === 'no-hints' || failure.kind === 'different-systems' ? { rule: 'pg_rewind.c:sanityChecks' as const } : failure.kind === 'wal-missing' ? { rule: 'parsexlog.c:findLastCheckpoint' as const } : {};
    this.fail(n, { kind: 'rewind-failed', node: n.name, from: from.name, failure, ...rule }, lines);
    done?.(false);
  }

  /**
   * pg_rewind 13+ on a target that was not shut down cleanly first runs its crash recovery in single-user mode
   * (pg_rewind.c ensureCleanShutdown: `postgres --single -F`). The recovery ends with an immediate end-of-recovery
   * checkpoint at the end of its WAL, which removes the segments before its redo but for what wal_keep_size, the
   * slots and the segments not yet archived keep (xlog.c CreateCheckPoint, KeepLogSeg, RemoveOldXlogFiles): the WAL
   * back to the last common checkpoint may be gone before pg_rewind reads it ([EXP] 15.18: `checkpoint complete: …
   * 2 recycled`, then `could not open file "…/000000010000000000000004"`, `could not find previous WAL record at`
   * the fork). Patroni runs that recovery itself with archive_command = false, which keeps them (rejoin.ts).
   * Approximations: slots are not invalidated there, and the recovery takes no time. Returns pg_rewind's line.
   */
  private crashRecovery(n: PgNode): LogLine[] {
    const now = this.now;
    const seg = n.settings.walSegmentSize;
    const end = n.walEnd(now);
    const storage = this.cluster.storage;
    const horizon = removalHorizon({ version: n.version, settings: n.settings, redo: end, priorRedo: storage.checkpointer.completedRedo(n), recptr: end, slotMinimum: storage.slots.minimum(n, now) });
    let keepFrom = horizon.keepFrom * seg;
    const gate = storage.archive.gateWhileDown(n);
    if (gate !== null) keepFrom = Math.min(keepFrom, segmentStart(gate, seg));
    if (keepFrom > n.oldestRetained) n.oldestRetained = keepFrom;
    n.checkpoint = { lsn: end, tli: n.tli };
    n.run = { state: 'down', how: 'stopped' };
    return [tool('pg_rewind', n.version, `executing "/usr/lib/postgresql/${n.version}/bin/postgres" for target server to complete crash recovery`)];
  }

  /** `done` (a manager's rejoin) learns whether the rewind succeeded, when it ends. */
  rewind(n: PgNode, spec: RewindSpec, done?: (ok: boolean) => void): void {
    const from = this.cluster.node(spec.from);
    const v = n.version;
    const refuse = (failure: RewindFailure, message: string) => this.refuse(n, from, failure, [tool('pg_rewind', v, message, true)], done);
    if (v < 9.5) return refuse({ kind: 'before-9.5' }, 'pg_rewind is not available before 9.5');
    if (n.dataDirectory !== 'present') return refuse({ kind: 'no-data-directory' }, `could not open file "${PGDATA}/global/pg_control" for reading: No such file or directory`);
    // pg_rewind.c sanityChecks: the control file's wal_log_hints (as of the last run) or data checksums.
    if (!n.settings.walLogHints && !n.settings.dataChecksums) return refuse({ kind: 'no-hints' }, 'target server needs to use either data checksums or "wal_log_hints = on"');
    if (n.running || (v < 13 && n.run.state === 'down' && n.run.how === 'crashed')) return refuse(n.running ? { kind: 'running' } : { kind: 'crashed-before-13' }, 'target server must be shut down cleanly');
    if (!from.running || !this.cluster.ctx.net.reachable(this.cluster.endpointOf(n), this.cluster.endpointOf(from))) return refuse({ kind: 'source-unavailable', running: from.running }, `could not connect to server: connection to server at "${from.name}", port 5432 failed`);
    // Up to 13 the source must not be in recovery (libpq_fetch.c libpqConnect: SELECT pg_is_in_recovery(), checked
    // as soon as it connects, before the target's sanity checks: the model checks the target first); 14 lets a
    // standby be the source (libpq_source.c has no such check).
    if (v < 14 && !from.isPrimary) return this.refuse(n, from, { kind: 'source-in-recovery' }, [fatal('pg_rewind', v, 'source server must not be in recovery mode')], done);
    const now = this.now;
    const fork = forkOf(n.wal.timeline, from.wal.timeline);
    if (!fork) return refuse({ kind: 'different-systems' }, 'source and target clusters are from different systems');
    const end = n.walEnd(now);
    // Up to 15 pg_rewind takes each server's timeline from its control file's latest checkpoint (pg_rewind.c main:
    // checkPointCopy.ThisTimeLineID) and, when the two are equal, says so and stops: "no rewind required". A
    // promoted server names its new timeline there only once its first checkpoint after the promotion has
    // completed, and that checkpoint is spread (xlog.c StartupXLOG: RequestCheckpoint(CHECKPOINT_FORCE)), so a
    // rewind against a source promoted a moment before leaves the target diverged, configured as its standby
    // ([EXP] 15.18: crashed old primary, pg_rewind right after pg_ctl promote: `source and target cluster are on
    // the same timeline`, `no rewind required`). 16 also reads minRecoveryPointTLI, which the promotion's
    // end-of-recovery record sets to the new timeline (xlog.c CreateEndOfRecoveryRecord), and takes the later one.
    // A crashed target (13+) has been through crash recovery first, whose end-of-recovery checkpoint is on its own
    // timeline. The comparison is by number, in every version: two servers promoted from one parent without seeing
    // each other's history files may both be on timeline 2 (timeline.ts, rule 2), and pg_rewind then rewinds
    // nothing either.
    const crashed = n.run.state === 'down' && n.run.how === 'crashed';
    const keptBeforeRecovery = n.oldestRetained;
    const recovery = crashed ? this.crashRecovery(n) : [];
    const sourceTli = v < 16 ? controlTimeline(this.cluster, from).tli : from.tli;
    const sameTli = sourceTli === (crashed || v >= 16 ? n.tli : controlTimeline(this.cluster, n).tli);
    if (end <= fork.at + 0.5 || sameTli) {
      const lines = [...recovery, sameTli ? tool('pg_rewind', v, 'source and target cluster are on the same timeline') : null, tool('pg_rewind', v, 'no rewind required')].filter((l) => l !== null);
      const same = sameTli ? { sameTimeline: sourceTli, why: from.tli === sourceTli ? ('same-number' as const) : ('checkpoint-pending' as const) } : {};
      this.cluster.log(n, 'replication', { kind: 'rewind-not-required', node: n.name, from: from.name, lsn: end, forkLsn: fork.at, ...same, rule: 'pg_rewind.c:main' }, lines);
      // As after a rewind (-R): a standby of the source on the latest timeline; its WAL is already on that history.
      n.role = { kind: 'standby', upstream: from.name, target: from.wal.timeline, receiver: { status: 'stopped' }, walreceiver: null, phase: 'redo' };
      if (spec.start) this.cluster.start(n);
      done?.(true);
      return;
    }
    // It reads the target's WAL back from the fork to the last common checkpoint's record (pg_rewind.c main,
    // parsexlog.c findLastCheckpoint: xl_prev from the fork to a checkpoint record below it), not to its redo: the
    // redo matters only to the recovery that follows. None known: the node's own last checkpoint before the fork.
    const seg = n.settings.walSegmentSize;
    const record = this.cluster.storage.checkpointer.records.newestBefore(fork.common, fork.at);
    const own = n.checkpoint.lsn < fork.at ? n.checkpoint.lsn : fork.at;
    const lastCommon = record ? { lsn: record.lsn, redo: record.redo, tli: record.timeline.tli } : { lsn: own, redo: own, tli: timelineAt(fork.common, own).tli };
    const diverged = tool('pg_rewind', v, `servers diverged at WAL location ${formatLsn(fork.at)} on timeline ${fork.common.tli}`);
    // With -c (13+) a segment missing from pg_wal is fetched with the target's restore_command (parsexlog.c
    // SimpleXLogPageRead → fe_archive.c RestoreArchivedFile), as Patroni runs it when restore_command is set
    // (rewind.py pg_rewind: --restore-target-wal, or before 13 the missing file fetched and pg_rewind run again).
    const archive = this.cluster.storage.archive;
    const restores = spec.restoreTargetWal === true && n.settings.restoreCommand !== null && archive.reachableFrom(n);
    const readable = (segment: Lsn) => segment >= n.oldestRetained || (restores && archive.availableEnd(n.wal.timeline, segment, seg) > segment);
    // The first segment it cannot read walking back from the fork's to the record's.
    let missing: Lsn | null = null;
    for (let segment = segmentStart(fork.at, seg); n.oldestRetained > segmentStart(lastCommon.lsn, seg) && segment >= segmentStart(lastCommon.lsn, seg); segment -= seg) {
      if (!readable(segment)) {
        missing = segment;
        break;
      }
    }
    if (missing !== null) {
      // The first record it cannot read walking back: at the fork if the fork's segment is missing, else the last one
      // of the missing segment (the model keeps no records: its last 8 bytes, MAXALIGN).
      const at = missing === segmentStart(fork.at, seg) ? fork.at : missing + seg - 8;
      const file = walFileName(timelineAt(n.wal.timeline, at).tli, at, seg);
      // SimpleXLogPageRead's pg_log_error (RestoreArchivedFile's with -c), then findLastCheckpoint's pg_fatal
      // (`fatal: ` 12-14, `error: ` from 15).
      const removedBy = keptBeforeRecovery <= missing ? { removedByCrashRecovery: true } : {};
      return this.refuse(n, from, { kind: 'wal-missing', segment: file, lsn: lastCommon.lsn, previousRecord: at, ...removedBy, ...(restores ? { restored: true } : {}) }, [
        ...recovery,
        diverged,
        restores
          ? tool('pg_rewind', v, `could not restore file "${file}" from archive`, true)
          : tool('pg_rewind', v, `could not open file "${PGDATA}/pg_wal/${file}": No such file or directory`, true),
        fatal('pg_rewind', v, `could not find previous WAL record at ${formatLsn(at)}`),
      ], done);
    }
    // Copied: the blocks the target changed after the fork (at most the data directory) and the source's pg_wal.
    const size = Math.min(from.storage.dataSize ?? DEFAULT_DATA_SIZE, end - fork.at) + Math.max(0, from.walEnd(now) - from.oldestRetained);
    const rate = this.copyRate(from, n, null);
    const copy = Math.max(1, Math.ceil((size / rate) * 1e6));
    const lines: LogLine[] = [...recovery, diverged, tool('pg_rewind', v, `rewinding from last common checkpoint at ${formatLsn(lastCommon.lsn)} on timeline ${lastCommon.tli}`)];
    n.dataDirectory = 'copying';
    this.cluster.log(n, 'replication', { kind: 'rewind-started', node: n.name, from: from.name, undone: end - fork.at, forkLsn: fork.at, bytes: size, duration: copy }, lines);
    this.cluster.ctx.sim.after(copy as Micros, `pg_rewind ${n.name}`, () => {
      if (!from.running) {
        n.dataDirectory = 'present';
        return refuse({ kind: 'source-down' }, 'could not read COPY data: server closed the connection unexpectedly');
      }
      // The target's recovery starts at the last common checkpoint's redo (the backup_label pg_rewind writes:
      // pg_rewind.c createBackupLabel) and replays the common history, then the source's. Its pg_wal is now the
      // source's (filemap.c decide_file_action: a file only on the target is removed), so, as for a base backup's
      // start point, the WAL it holds from that redo on reaches the source's end only if the source still had the
      // redo's segment; otherwise it holds none of it and fetches it from its upstream or the archive, where a
      // removed segment fails (`requested WAL segment … has already been removed`, [EXP] 15.18 review-a s08).
      // But pg_rewind keeps the target's own segments it read walking back from the fork to the checkpoint record
      // (parsexlog.c findLastCheckpoint → keepwal_add_entry; filemap.c decide_file_action: `Not removing file … because
      // it is required for recovery`; in 15.15's source and 15.18's binary; the model takes it from 13, the branches
      // supported when it went in, in November 2024): when the redo is in the record's segment (an immediate or short
      // checkpoint), they hold the common history from the redo to the fork, and the source is needed only from the
      // fork's segment on. Approximation: the source's later segments it does hold are streamed again once the gap
      // is filled.
      const sourceEnd = from.isPrimary ? from.walEnd(this.now) : this.cluster.replayPosition(from, this.now);
      const redo = lastCommon.redo;
      const ownFromRedo = v >= 13 && segmentStart(lastCommon.lsn, seg) <= segmentStart(redo, seg);
      const sourceFrom = (lsn: Lsn) => from.oldestRetained <= segmentStart(lsn, seg);
      const held = sourceFrom(redo) || (ownFromRedo && sourceFrom(fork.at)) ? sourceEnd : ownFromRedo ? fork.at : redo;
      this.adopt(n, from, held, { lsn: redo, tli: timelineAt(from.wal.timeline, redo).tli }, null);
      // pg_rewind.c: the control file's minRecoveryPoint is the source's WAL end, and the backup_label says BACKUP
      // FROM: standby, so recovery is consistent only once it has replayed up to there (node.ts pendingBackup).
      n.pendingBackup = { redo, checkpoint: lastCommon.lsn, end: sourceEnd };
      this.cluster.log(n, 'replication', { kind: 'rewind-done', node: n.name, from: from.name, timeline: from.tli, redo, held: held - redo, sourceOldest: from.oldestRetained }, [tool('pg_rewind', v, 'Done!')]);
      if (spec.start) this.cluster.start(n);
      done?.(true);
    }, PRIORITY.protocol);
  }
}

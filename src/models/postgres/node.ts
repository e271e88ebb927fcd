import type { ControlState } from './server-log.ts';
import type { EventHandle } from '../../engine/simulation.ts';
import type { Micros } from '../../engine/time.ts';
import type { WaitReason } from '../../history/history.ts';
import type { CapacitySpec, NodeSpec, PgMajor, StorageSpec } from '../../scenario/types.ts';
import type { Path } from '../network/network.ts';
import type { LogLine } from './messages.ts';
import type { Lsn } from './lsn.ts';
import type { PgSettings } from './settings.ts';
import type { Timeline } from './timeline.ts';
import { WalLevel } from './wal.ts';
import { fsyncTime, type ServiceFactors } from './service.ts';

/** A walsender→walreceiver connection. The downstream's WAL level chases what the upstream has. */
export interface Stream {
  readonly up: PgNode;
  readonly down: PgNode;
  /** The timeline requested in START_REPLICATION, as the upstream's history names it. */
  readonly timeline: Timeline;
  /** Where the upstream stops sending: its switchpoint once `timeline` is historic there; null while live (set with setStreamLimit). */
  readonly limit: Lsn | null;
  readonly path: Path;
  /** Pending walreceiver timeout while the path is down. */
  timeout: EventHandle | null;
  /** The pending end-of-timeline event once the limit is reached. */
  ending: EventHandle | null;
  /**
   * A stream opened exactly at its limit sends nothing and ends at once (the 'current' retry loop of
   * rule 5): its start line is logged together with its end, so each retry is one event.
   */
  emptyStart: LogLine | null;
  /** The downstream's WAL end when the stream started (a historic stream may re-send WAL it already has). */
  readonly startEnd: Lsn;
  /**
   * The walsender has once sent all its server had flushed (walsender.c: WALSNDSTATE_CATCHUP becomes
   * WALSNDSTATE_STREAMING, and stays so): before that it is no candidate synchronous standby (syncrep.c).
   */
  caughtUp: boolean;
}

export type Receiver =
  | { readonly status: 'streaming'; readonly stream: Stream }
  | { readonly status: 'waiting'; readonly reason: WaitReason; readonly retry: EventHandle | null }
  | { readonly status: 'stopped' };

/** A walreceiver process and the connection it holds (walreceiver.c WalReceiverMain). */
export interface Walreceiver {
  /** The server it connected to: primary_conninfo as it was when the process started. */
  readonly upstream: string;
  /** That server's boot count at the connection: a restart there breaks the connection. */
  readonly upstreamBoot: number;
  /** The timeline it asked for (START_REPLICATION ... TIMELINE). */
  readonly tli: number;
  /**
   * The walsender ended the stream at the end of a timeline and the walreceiver waits for the startup
   * process's next start point (WALRCV_WAITING, walreceiver.c WalRcvWaitForStartPosition): it restarts on
   * the same connection.
   */
  readonly idle: boolean;
  /** An idle walreceiver's restart request waiting on a cut connection since then (cluster.ts connect). */
  readonly requestSince?: Micros;
}

export interface StandbyRole {
  readonly kind: 'standby';
  /** primary_conninfo: where a new walreceiver process connects. */
  upstream: string | null;
  /** recoveryTargetTLI: the timeline recovery follows; only 'latest' ever moves it while running. */
  target: Timeline;
  receiver: Receiver;
  /** The walreceiver process, null when none runs ("restarted" vs "started" streaming). */
  walreceiver: Walreceiver | null;
  /**
   * 'reading-checkpoint': the startup process could not read its checkpoint record (xlogrecovery.c
   * InitWalRecovery) and waits for it: the server accepts no connections and cannot be promoted.
   * 'redo': it replays WAL and is consistent (its replay may trail by recovery_min_apply_delay: PgCluster.replayPosition).
   */
  phase: 'reading-checkpoint' | 'redo';
}

export interface PrimaryRole {
  readonly kind: 'primary';
}

/** A server is up, down (stopped cleanly or crashed) or refused to start with a FATAL. */
export type RunState =
  | { readonly state: 'running' }
  | { readonly state: 'down'; readonly how: 'stopped' | 'crashed' }
  | { readonly state: 'failed'; readonly fatal: LogLine };

export class PgNode {
  readonly name: string;
  readonly cluster: string;
  readonly site: string;
  readonly version: PgMajor;
  readonly storage: StorageSpec;
  /** The transactions per second it commits, and its cold cache (load.ts); null: no limit of its own. */
  readonly capacity: CapacitySpec | null;
  /**
   * Told whenever what the node's replication state is computed from changes: its run state, role, settings,
   * timeline, and as a standby its walreceiver's state and primary_conninfo. The recorders after a reflow
   * (observe.ts, archive.ts) look only at the nodes it named (changed-nodes.ts), so all of these are set
   * through accessors that tell it.
   */
  onStateChange: (() => void) | null = null;
  private settingsNow: PgSettings;
  private runNow: RunState = { state: 'running' };
  private roleNow: PrimaryRole | StandbyRole;

  get settings(): PgSettings {
    return this.settingsNow;
  }

  set settings(s: PgSettings) {
    this.settingsNow = s;
    this.onStateChange?.();
  }

  get run(): RunState {
    return this.runNow;
  }

  set run(r: RunState) {
    this.runNow = r;
    this.onStateChange?.();
  }

  get role(): PrimaryRole | StandbyRole {
    return this.roleNow;
  }

  /** A standby's role becomes a WatchedStandby, whose walreceiver state and primary_conninfo tell onStateChange too. */
  set role(r: PrimaryRole | StandbyRole) {
    this.roleNow = r.kind === 'standby' && !(r instanceof WatchedStandby) ? new WatchedStandby(this, r) : r;
    this.onStateChange?.();
  }
  /**
   * The node's WAL: the prefix, up to `end`, of `timeline`'s history. On a primary `end` is the insert
   * position; on a standby it is what the walreceiver has written (received), which its flush trails by the
   * WAL fsync latency and its replay by recovery_min_apply_delay (`flushed`, PgCluster.replayPosition).
   * Always one history, never a mix of branches.
   */
  readonly wal: NodeWal;
  /** History files in pg_wal, by TLI number (a fetched file never replaces an existing one). */
  readonly historyFiles = new Map<number, Timeline>();
  /** Last checkpoint (restartpoint on a standby): decides the startup FATALs of a diverged node. */
  checkpoint: { lsn: Lsn; tli: number };
  /** WAL before this position has been removed at a checkpoint and can no longer be streamed. */
  oldestRetained: Lsn;
  clientsBlocked = false;
  /**
   * postmaster.c connsAllowed: false from a smart shutdown's request until its client sessions have ended
   * (pg-ctl.ts). Sessions already connected go on; every new connection, a walsender's too, is refused with
   * "the database system is shutting down".
   */
  connsAllowed = true;
  /**
   * A pg_rewind's backup recovery not yet complete: the backup_label it wrote (pg_rewind.c createBackupLabel:
   * START WAL LOCATION `redo`, CHECKPOINT LOCATION `checkpoint`, BACKUP FROM: standby) and pg_control's
   * minRecoveryPoint, the source's WAL end at the rewind (`end`). Until its replay reaches `end` the server is
   * not consistent (xlogrecovery.c CheckRecoveryConsistency: backupEndPoint = minRecoveryPoint for a backup
   * from a standby): it accepts no connections and a promotion fails (xlog.c StartupXLOG). null: none pending.
   */
  pendingBackup: { readonly redo: Lsn; readonly checkpoint: Lsn; readonly end: Lsn } | null = null;
  /** The data directory: emptied (destroy_data, a failed pg_basebackup), or being copied into (rebuild.ts). */
  dataDirectory: 'present' | 'empty' | 'copying' = 'present';
  /** How many times the server has started (the first boot counts): a walreceiver's connection is to one boot. */
  boot = 1;
  /** When the server last started (the startup process began redo then: `redo done at`'s elapsed time). */
  startedAt: Micros;
  /** How the server last went down (pg_control's state), and when: the first line of its next start (server-log.ts). */
  /** `immediate`: pg_ctl stop -m immediate, which leaves the control file as a crash does. */
  /** `panic`: the server stopped itself on a PANIC (its pg_wal volume full), not a kill or a failure around it. */
  lastDown: { state: ControlState; at: Micros; immediate?: true; panic?: { readonly kind: 'pg-wal-full'; readonly volume: number } };
  /**
   * What the running startup process has logged (server-log.ts): the end of WAL it last complained about (it
   * complains once per position: xlogrecovery.c emode_for_corrupt_record), where its redo starts (the end of the
   * checkpoint record it started from) and whether it started. `unusable`: WAL a walreceiver of this start flushed
   * past the replay position that does not continue it (a same-numbered sibling timeline's records), on the
   * timeline it was streaming: shared memory keeps that flush position for the next walreceiver on the same
   * timeline (walreceiverfuncs.c RequestXLogStreaming), so the startup process rereads those records at once.
   * `rereadFrom`: the redo point of the restartpoint this start replays from, until its first restore (the
   * startup process reads WAL from there, the archive first: archive.ts restore).
   */
  recovery: { lastComplaint: Lsn | null; redoFrom: Lsn; redoStarted: boolean; unusable?: { tli: number; upTo: Lsn }; rereadFrom?: Lsn } = { lastComplaint: null, redoFrom: 0, redoStarted: false };
  /**
   * pg_wal segments of timeline number `tli` that a walsender of a same-numbered sibling timeline wrote over, from
   * `from` (where the two histories part, or the segment start the walreceiver asked for) to `upTo`: the
   * walreceiver writes what it is sent into the files named by the timeline number (walreceiver.c
   * XLogWalRcvWrite), whatever the startup process then makes of it. It survives restarts, as pg_wal does; a
   * checkpoint record in it can no longer be read (cluster.ts startupCheck).
   */
  overwritten: { tli: number; from: Lsn; upTo: Lsn } | null = null;
  /** Service-time multipliers (gray failures: a saturated CPU, a degraded disk; service.ts). */
  readonly service: ServiceFactors = { cpu: 1, disk: 1, throughput: 1, walBacklog: 0 };

  constructor(cluster: string, spec: NodeSpec, settings: PgSettings, timeline: Timeline, startLsn: Lsn, now: Micros) {
    this.name = spec.name;
    this.cluster = cluster;
    this.site = spec.site;
    this.version = spec.version;
    this.storage = spec.storage;
    this.capacity = spec.capacity ?? null;
    this.settingsNow = settings;
    this.startedAt = now;
    this.lastDown = { state: spec.role === 'primary' ? 'shut-down' : 'shut-down-in-recovery', at: now };
    this.wal = new NodeWal(this, timeline, new WalLevel(now, startLsn));
    for (let t: Timeline | null = timeline; t; t = t.parent) this.historyFiles.set(t.tli, t);
    // The last checkpoint before the scenario starts: just before the starting position.
    this.checkpoint = { lsn: Math.max(0, startLsn - 1), tli: timeline.tli };
    // pg_wal holds nothing from before the segment of that checkpoint's record, which is also its redo (a server
    // keeps its WAL from the last checkpoint's redo on: xlog.c RemoveOldXlogFiles; pg_rewind reads back to that
    // record when it is the last common one, parsexlog.c findLastCheckpoint). With a start at a segment boundary
    // (the default 0/3000000) that is the segment before the starting one.
    this.oldestRetained = Math.floor(this.checkpoint.lsn / settings.walSegmentSize) * settings.walSegmentSize;
    this.roleNow =
      spec.role === 'primary'
        ? { kind: 'primary' }
        : new WatchedStandby(this, { kind: 'standby', upstream: spec.upstream, target: timeline, receiver: { status: 'stopped' }, walreceiver: null, phase: 'redo' });
  }

  get running(): boolean {
    return this.run.state === 'running';
  }

  get isPrimary(): boolean {
    return this.role.kind === 'primary';
  }

  /**
   * Whether clients and walsenders can connect: a running primary, or a standby past reading its checkpoint
   * record (before that, postmaster.c canAcceptConnections answers "the database system is starting up").
   */
  get acceptsConnections(): boolean {
    return this.running && (this.role.kind === 'primary' || (this.role.phase === 'redo' && this.pendingBackup === null));
  }

  /** Whether a new connection is accepted: as acceptsConnections, but not during a smart shutdown (connsAllowed). */
  get acceptsNewConnections(): boolean {
    return this.connsAllowed && this.acceptsConnections;
  }

  walEnd(now: Micros): Lsn {
    return this.wal.end.valueAt(now);
  }

  /**
   * The flushed WAL position. A standby's walreceiver fsyncs what it wrote (walreceiver.c XLogWalRcvFlush), so
   * its flush trails the write by the storage's WAL fsync latency: like a link's latency, an in-flight amount of
   * rate × wal_fsync. A primary flushes at commit, except with synchronous_commit = off, where commits return
   * once inserted and the WAL writer flushes every wal_writer_delay (walwriter.c WalWriterMain,
   * xlog.c XLogBackgroundFlush): its flush trails the insert position by rate × wal_writer_delay.
   */
  flushed(now: Micros, rate: number = this.wal.end.rate): Lsn {
    const end = this.walEnd(now);
    const lag = this.flushLag;
    return lag > 0 ? Math.max(0, end - rate * lag) : end;
  }

  /** How long written WAL waits for its flush (see `flushed`). */
  get flushLag(): Micros {
    return this.role.kind === 'standby' ? fsyncTime(this) : this.settings.synchronousCommit === 'off' ? this.settings.walWriterDelay : (0 as Micros);
  }

  /** The TLI this server reports (IDENTIFY_SYSTEM): its insert timeline, or on a standby its replay timeline. */
  get tli(): number {
    return this.wal.timeline.tli;
  }

  /** The walreceiver state, for reports and expectations. */
  get receiverStatus(): 'streaming' | 'waiting' | 'stopped' {
    return this.role.kind === 'standby' && this.running ? this.role.receiver.status : 'stopped';
  }
}

/**
 * The node's WAL: the prefix, up to `end`, of `timeline`'s history (PgNode.wal). A new timeline (a promotion,
 * following one, a rewind) tells the node's onStateChange.
 */
export class NodeWal {
  private timelineNow: Timeline;

  constructor(
    private readonly owner: PgNode,
    timeline: Timeline,
    readonly end: WalLevel,
  ) {
    this.timelineNow = timeline;
  }

  get timeline(): Timeline {
    return this.timelineNow;
  }

  set timeline(t: Timeline) {
    if (t === this.timelineNow) return;
    this.timelineNow = t;
    this.owner.onStateChange?.();
  }
}

/** A standby's role whose walreceiver state and primary_conninfo tell the node's onStateChange when they change. */
export class WatchedStandby implements StandbyRole {
  readonly kind = 'standby' as const;
  target: Timeline;
  walreceiver: Walreceiver | null;
  phase: 'reading-checkpoint' | 'redo';
  private receiverNow: Receiver;
  private upstreamNow: string | null;

  constructor(
    private readonly owner: PgNode,
    r: StandbyRole,
  ) {
    this.upstreamNow = r.upstream;
    this.target = r.target;
    this.receiverNow = r.receiver;
    this.walreceiver = r.walreceiver;
    this.phase = r.phase;
  }

  get receiver(): Receiver {
    return this.receiverNow;
  }

  set receiver(r: Receiver) {
    this.receiverNow = r;
    this.owner.onStateChange?.();
  }

  get upstream(): string | null {
    return this.upstreamNow;
  }

  set upstream(u: string | null) {
    if (u === this.upstreamNow) return;
    this.upstreamNow = u;
    this.owner.onStateChange?.();
  }
}

/** Where the upstream of `s` stops sending (Stream.limit), told to the standby's onStateChange: a live stream becomes historic. */
export function setStreamLimit(s: Stream, limit: Lsn | null): void {
  (s as { limit: Lsn | null }).limit = limit;
  s.down.onStateChange?.();
}

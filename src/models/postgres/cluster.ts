import type { Micros } from '../../engine/time.ts';
import type { SurvivorWhy } from '../../history/facts/steps.ts';
import { invariant } from '../../engine/invariant.ts';
import type { EventHandle } from '../../engine/simulation.ts';
import type { EventKind, PromotionCause, SimEvent, WaitReason } from '../../history/history.ts';
import type { Fact } from '../../history/facts/index.ts';
import type { WaitFact } from '../../history/facts/replication.ts';
import type { AlertSpec, ClusterSpec, PgSettingsSpec, StopMode } from '../../scenario/types.ts';
import { XidModel } from './xid.ts';
import type { Endpoint } from '../network/network.ts';
import { PRIORITY, type WorldContext } from './context.ts';
import { COMMIT_RECORD, segmentStart, SHUTDOWN_CHECKPOINT_RECORD, walFileName, XLOG_RECORD_HEADER, type Lsn } from './lsn.ts';
import { pgLog, type LogLine } from './messages.ts';
import { PgNode, setStreamLimit, type StandbyRole, type Stream } from './node.ts';
import { changeNeedsRestart, repointNeedsRestart, resolveSettings, canFollowTimelineOverStreaming } from './settings.ts';
import { historyOf, switchPointOf, timelineAt, type Timeline } from './timeline.ts';
import { WriteFlow } from './writes.ts';
import { WalStorage } from './storage.ts';
import { ChangedNodes } from './changed-nodes.ts';
import { RetryLoops } from './retry.ts';
import { ArchiveRestore } from './restore.ts';
import { Rebuilds } from './rebuild.ts';
import { BackupStore } from './backups.ts';
import { PitRecovery } from './pitr.ts';
import { WalClock } from './walclock.ts';
import { walSendersExceeded } from './walsenders.ts';
import { CutWalsenders, walsenderExitAt, type HeardPositions } from './cut-walsenders.ts';
import { Drains, type Drain, type Shutdown } from './drains.ts';
import { defaultStopMode, SmartShutdowns } from './pg-ctl.ts';
import { DATA_GIVE_UP, unreachableAttempt, type AttemptKind } from './reconnect.ts';
import { retentionFact, type Horizon } from './retention.ts';
import { ReplayModel } from './replay.ts';
import { StreamIndex } from './stream-index.ts';
import { gucName, gucValue } from './guc.ts';
import { serverLog } from './server-log.ts';
import * as follow from './timeline-follow.ts';
import * as life from './lifecycle.ts';
import type { SettingAuthor } from '../../history/facts/write-end.ts';

/** The walsender's answer to START_REPLICATION: an error, or what it streams (up to `limit` when historic). */
type WalsenderAnswer =
  | { readonly ok: false; readonly reason: WaitReason; readonly line: LogLine; readonly why: WaitFact }
  | { readonly ok: true; readonly sent: Timeline; readonly limit: Lsn | null };

/** A setting changed by the scenario's plan (a `configure` step). */
const PLAN_AUTHOR: SettingAuthor = { kind: 'plan' };

const TEARDOWN_REASONS = {
  crashed: 'upstream-down',
  stopped: 'upstream-down',
  partition: 'receiver-timeout',
} as const;

/**
 * One PostgreSQL cluster: its nodes, the walsender→walreceiver streams between them, and the rules by
 * which a standby connects, follows or refuses a timeline (../shared/domain/postgres.md rules 1-11, 24).
 * WAL positions are fluid levels; the protocol is discrete events. The fluid part lives in writes.ts; how a
 * standby's startup process follows timelines in timeline-follow.ts; a server's crash, stop and start in
 * lifecycle.ts (the class keeps their entry points, which the plan, the managers and the rebuilds call).
 */
export class PgCluster {
  readonly name: string;
  readonly nodes = new Map<string, PgNode>();
  readonly streams = new StreamIndex();
  readonly writes: WriteFlow;
  /** Servers whose WAL level moved since the recorders after a reflow last looked (changed-nodes.ts). */
  readonly walChanges: ChangedNodes;
  /** Servers whose replication state's inputs changed since the last reflow (PgNode.onStateChange, changed-nodes.ts). */
  readonly stateChanges: ChangedNodes;
  /** The same, for the write flow's cache model (a start or a promotion makes a cold cache: load.ts CacheState). */
  readonly cacheChanges: ChangedNodes;
  readonly replay: ReplayModel;
  readonly xid: XidModel;
  /** pg_wal of every server: checkpoints, removal, slots, archive (storage.ts). */
  readonly storage: WalStorage;
  /** When failed attempts are retried, and the loops that need not run attempt by attempt (retry.ts). */
  readonly retries: RetryLoops;
  /** pg_basebackup, pg_rewind and emptied data directories (rebuild.ts). */
  readonly rebuilds = new Rebuilds(this);
  /** Named base backups (backups.ts), restored with point-in-time recovery (pitr.ts). */
  readonly backups = new BackupStore();
  readonly pitr = new PitRecovery(this);
  /** Walsenders living on for standbys a network cut silenced, until wal_sender_timeout (cut-walsenders.ts). */
  readonly cutSenders = new CutWalsenders();
  /** Clean shutdowns whose walsenders still send WAL to lagging standbys (drains.ts). */
  readonly drains = new Drains();
  /** Smart shutdowns waiting for their client sessions to end (pg-ctl.ts). */
  readonly smart = new SmartShutdowns();
  /** Promotions requested while the archive held more of the standby's WAL: they wait for its restore (promote). */
  readonly archivePromotions = new Map<PgNode, PromotionCause>();
  /** What waits for a postmaster to exit (a restart's start, a manager's stop that waits), by server. */
  private readonly exitWaiters = new Map<PgNode, (() => void)[]>();
  /** Streams whose standby went down at the last instant with one (a cut at that instant keeps its walsender). */
  closedNow: { stream: Stream; at: Micros; heard: HeardPositions; synchronous: boolean }[] = [];
  /** When each position of each timeline was written (recovery_target_time; walclock.ts). */
  readonly walClock = new WalClock();
  /** The archive as the startup process's first source of WAL (restore.ts). */
  readonly restore: ArchiveRestore;
  private reflowEvent: EventHandle | null = null;
  /**
   * Called after every fluid recomputation (once per instant with a change) with the servers whose replication
   * state's inputs changed since the last one (stateChanges): they record state, never change it.
   */
  readonly observers: ((changed: readonly PgNode[]) => void)[] = [];

  constructor(
    readonly ctx: WorldContext,
    readonly spec: ClusterSpec,
    alerts: readonly AlertSpec[] = [],
  ) {
    this.name = spec.name;
    this.reflowLabel = `reflow ${spec.name}`;
    const { sim, timelines } = ctx;
    const primaries = spec.nodes.filter((n) => n.role === 'primary');
    invariant(primaries.length > 0, `cluster ${spec.name} has no primary`);
    // Every primary starts on its own timeline object: distinct primaries at the start are distinct histories.
    const rootOf = new Map<string, Timeline>();
    for (const p of primaries) {
      rootOf.set(p.name, timelines.create(p.timeline, null, 0, 'initial timeline', p.name, sim.now));
    }
    const primaryOf = (name: string): string => {
      let n = spec.nodes.find((x) => x.name === name)!;
      const seen = new Set<string>();
      while (n.role === 'standby' && n.upstream && !seen.has(n.name)) {
        seen.add(n.name);
        n = spec.nodes.find((x) => x.name === n.upstream)!;
      }
      return n.name;
    };
    for (const n of spec.nodes) {
      const tl = rootOf.get(primaryOf(n.name)) ?? rootOf.values().next().value!;
      this.nodes.set(n.name, new PgNode(spec.name, n, resolveSettings(n.version, n.name, n.settings), tl, spec.startLsn, sim.now));
    }
    this.walChanges = new ChangedNodes([...this.nodes.values()]);
    this.stateChanges = new ChangedNodes([...this.nodes.values()]);
    this.cacheChanges = new ChangedNodes([...this.nodes.values()]);
    for (const n of this.nodes.values()) {
      const { stateChanges, cacheChanges } = this;
      const mark = (): void => {
        stateChanges.mark(n);
        cacheChanges.mark(n);
      };
      n.onStateChange = mark;
    }
    this.writes = new WriteFlow(this, spec.workloads);
    this.replay = new ReplayModel(this);
    this.xid = new XidModel(this, alerts);
    this.storage = new WalStorage(this);
    this.retries = new RetryLoops(
      ctx,
      (n, at) => this.ctx.sim.at(at, `retry ${n.name}`, () => this.connect(n), PRIORITY.protocol),
      (n) => {
        const role = n.role;
        const up = role.kind === 'standby' ? (role.walreceiver?.upstream ?? role.upstream) : null;
        return up !== null && this.reachable(n, this.node(up));
      },
    );
    this.restore = new ArchiveRestore(this.storage.archive, {
      now: () => this.ctx.sim.now,
      log: (n, fact, lines) => this.log(n, 'replication', fact, lines),
      logRefusal: (n, lines) => this.log(n, 'diverged', this.refusals.get(n.name) ?? { kind: 'prose', text: '' }, lines),
      recordReceiver: (n, detail) => this.recordReceiver(n, 'restoring-from-archive', detail),
      requestReflow: () => this.requestReflow(),
      connect: (n) => this.connect(n),
      adoptTimeline: (n, tl, at) => follow.adoptWalTimeline(this, n, tl, at),
    });
    this.setWalHorizon();
  }

  /** How far back WAL levels remember their past: the largest recovery_min_apply_delay of the cluster. */
  setWalHorizon(): void {
    const horizon = Math.max(0, ...[...this.nodes.values()].map((n) => n.settings.recoveryMinApplyDelay)) as Micros;
    for (const n of this.nodes.values()) n.wal.end.horizon = horizon;
  }

  /**
   * A standby's replay position: its flush, held back by recovery_min_apply_delay and by the startup process's
   * own speed (replay.ts). A primary's is its WAL end.
   */
  replayPosition(n: PgNode, now: Micros): Lsn {
    return this.replay.at(n, now).lsn;
  }

  /** What a walsender on `n` can send: its flush (walsender.c XLogSendPhysical: GetFlushRecPtr, GetStandbyFlushRecPtr on a cascading standby). */
  sendable(n: PgNode, now: Micros, rate?: number): Lsn {
    return n.flushed(now, rate);
  }

  node(name: string): PgNode {
    const n = this.nodes.get(name);
    invariant(n, `unknown node ${name} in cluster ${this.name}`);
    return n;
  }

  /**
   * Boot every node at time 0: standbys pass the same startup checks as on any start (rule 9: a
   * recovery_target_timeline that does not exist or is not on the node's history is a FATAL), then connect to
   * their upstreams; checkpoints start.
   */
  boot(): void {
    for (const n of this.nodes.values()) {
      if (n.role.kind === 'standby') {
        const fatal = life.startupCheck(this, n, n.role);
        if (fatal) {
          life.refuseStart(this, n, fatal);
          continue;
        }
      }
      this.storage.start(n, false);
      if (n.role.kind === 'standby') this.connect(n);
    }
    this.xid.boot();
    this.requestReflow();
  }

  // ---------------------------------------------------------------- recording helpers

  /** Records an event of this cluster: a fact (history/facts), with the server log lines it printed. */
  log(node: PgNode | null, kind: EventKind, fact: Fact, lines: readonly (LogLine | null)[] = []): SimEvent {
    // A parked retry loop of that server goes on attempt by attempt after this event (retry.ts).
    if (node && this.retries.isParked(node)) this.retries.resume(node);
    return this.ctx.history.event(this.ctx.sim.now, this.name, node?.name ?? null, kind, fact, lines);
  }

  recordReceiver(n: PgNode, reason: WaitReason | null, detail: Fact, status: 'streaming' | 'waiting' | 'stopped' = n.receiverStatus): void {
    const role = n.role;
    this.ctx.history.receiver({
      at: this.ctx.sim.now,
      node: n.name,
      status,
      reason,
      lsn: n.walEnd(this.ctx.sim.now),
      tli: n.tli,
      upstream: role.kind === 'standby' ? role.upstream : null,
      detail,
    });
  }

  /**
   * Recompute rates once, after every change at this instant (one fluid recomputation per instant). 'changed'
   * recomputes what the write flow saw change (streams opened or closed, WAL levels that jumped or changed
   * rate, the client pools); 'all' replans every stream, for changes it cannot see (the network, settings,
   * timelines).
   */
  requestReflow(scope: 'all' | 'changed' = 'all'): void {
    // Every change goes through here: retry loops parked because nothing changed try again (retry.ts).
    this.retries.changed();
    if (scope === 'all') this.writes.invalidate();
    if (this.reflowEvent) return;
    this.reflowEvent = this.ctx.sim.at(this.ctx.sim.now, this.reflowLabel, this.runReflow, PRIORITY.reflow);
  }

  /** The reflow event's label and callback, made once (a run requests hundreds of reflows). */
  private readonly reflowLabel: string;
  private readonly runReflow = (): void => {
    this.reflowEvent = null;
    this.writes.reflow();
    const changed = this.stateChanges.take();
    this.storage.afterReflow(changed);
    for (const observe of this.observers) observe(changed);
    // A smart shutdown goes on once its last session has ended (pg-ctl.ts).
    if (this.smart.size > 0) for (const n of this.smart.ended()) life.shutdown(this, n, 'stopped', 'smart');
  };

  endpointOf(n: PgNode): Endpoint {
    return { name: n.name, site: n.site };
  }

  reachable(a: PgNode, b: PgNode): boolean {
    return this.ctx.net.reachable(this.endpointOf(a), this.endpointOf(b));
  }

  streamUp(s: Stream): boolean {
    return (s.up.running || this.drains.has(s)) && s.down.running && this.reachable(s.up, s.down);
  }

  // ---------------------------------------------------------------- walreceiver / walsender protocol

  /**
   * The walreceiver's connection attempt (walreceiver.c WalReceiverMain, walsender.c StartReplication):
   * IDENTIFY_SYSTEM, fetch missing history files, START_REPLICATION at the segment holding the node's WAL end
   * on the timeline that position belongs to in the target's history. Before it, the startup process rescans
   * if 'latest'.
   */
  connect(n: PgNode): void {
    const role = n.role;
    if (!n.running || role.kind !== 'standby') return;
    if (role.receiver.status === 'streaming') return;
    this.cancelRetry(n);
    // A promotion waiting for the archive (promote): the next segments, or the promotion once there are none.
    const promoting = this.archivePromotions.get(n);
    if (promoting !== undefined) {
      if (role.phase === 'redo' && this.restore.start(n, role, [])) return;
      this.archivePromotions.delete(n);
      if (!this.replay.deferPromotion(n, promoting, true)) this.completePromotion(n, promoting);
      return;
    }
    // The startup process starts a walreceiver only when it needs WAL: not while it waits at a recovery
    // conflict in WAL it has (conflicts.ts starts it when the wait ends).
    if (this.replay.conflicts.deferConnect(n)) return;
    this.retries.attemptStarts(n);
    const now = this.ctx.sim.now;
    // The startup process rescans after every failed attempt, whatever failed, before it starts the
    // walreceiver again (xlogrecovery.c WaitForWALToBecomeAvailable: a failure of XLOG_FROM_STREAM calls
    // rescanLatestTimeLine before the sleep), with the history files already local or, with restore_command, in
    // the archive (historyFile; [EXP] 15.18: `restored log file "00000002.history" from archive`): a refused newest
    // timeline is logged at every retry, also while the upstream is down or behind ([EXP] on 15.18,
    // docs/conformance.md seed-79), and a file the walreceiver fetches now is adopted when streaming of the old
    // timeline ends ([EXP] seed-6: "End of WAL reached on timeline 1", then "new target timeline is 2").
    // A refused rescan is logged with the walreceiver's next message (one event per retry, so that a retry
    // loop collapses).
    const refused: LogLine[] = [];
    if (n.settings.recoveryTargetTimeline === 'latest') follow.rescanLatestTimeline(this, n, refused);
    const fail = (reason: WaitReason, line: LogLine | null, why: WaitFact, attempt?: Micros) => this.attemptFailed(n, reason, line, why, refused, attempt);
    // The archive comes first (restore_command), then pg_wal, then the stream (xlogrecovery.c
    // WaitForWALToBecomeAvailable; postgres-2.md rule 9): while the archive has the next segment, it restores.
    if (role.phase === 'redo' && this.restore.start(n, role, refused)) return;
    // An idle walreceiver restarts on its own connection; a new process connects to primary_conninfo.
    const wr = role.walreceiver;
    const upName = wr ? wr.upstream : role.upstream;
    if (upName === null) return fail('no-upstream', null, { kind: 'no-primary-conninfo' });
    const reading = role.phase === 'reading-checkpoint';
    const end = n.walEnd(now);
    // START_REPLICATION's timeline (walreceiver.c startpointTLI): the timeline of the replay position in the
    // target's history; while the checkpoint record is still to be read, the checkpoint's timeline from its redo
    // point (xlogrecovery.c WaitForWALToBecomeAvailable with fetching_ckpt: RedoStartTLI, RedoStartLSN).
    const startTli = reading ? n.checkpoint.tli : timelineAt(role.target, end).tli;
    const unusable = n.recovery.unusable;
    if (unusable && unusable.tli !== startTli) delete n.recovery.unusable;
    else if (unusable && !wr && unusable.upTo > end + 0.5) {
      // A walreceiver of this start flushed records past the replay position that do not continue it (a
      // sibling timeline's: streamedInVain). The next one, requested on the same timeline, inherits that flush
      // position (walreceiverfuncs.c RequestXLogStreaming resets it only for another timeline), so the startup
      // process rereads those records at once, fails on them again and stops the walreceiver before its
      // process has started (xlogrecovery.c WaitForWALToBecomeAvailable: havedata; walreceiverfuncs.c
      // ShutdownWalRcv of a STARTING walreceiver: it exits without a line). No connection is made, whatever the
      // upstream, until the server restarts or recovery streams another timeline ([EXP] seed-54 on 10.23 to
      // 18.4: one `terminating walreceiver process`, then only the startup process's complaint about the
      // records every second, through a repoint).
      return fail('not-in-upstream-history', null, { kind: 'same-tli-different-history', rule: 'walreceiverfuncs.c:RequestXLogStreaming', node: n.name, upstream: upName, timeline: startTli });
    }
    const up = this.node(upName);
    if (wr && (!up.running || up.boot !== wr.upstreamBoot)) {
      // The upstream's shutdown ended the connection; the walreceiver notices at its next IDENTIFY_SYSTEM and
      // exits ([EXP] on 15.18), and the next attempt starts a new process.
      return fail('upstream-down', pgLog.identifySystemLost(n.version), { kind: 'upstream-shut-down', node: n.name, upstream: up.name });
    }
    if (!this.reachable(n, up) && wr?.idle && now - (wr.requestSince ?? now) < DATA_GIVE_UP) {
      // An idle walreceiver restarts on its own connection: its request is data on an established connection, which
      // TCP retransmits without an error until it gives up (reconnect.ts DATA_GIVE_UP); it is answered at the first
      // retransmission after the path is back (the walreceiver waits in libpqwalreceiver.c libpqrcv_PQexec with no
      // timeout). Past the give-up the connection is dead and the next attempt is a new one.
      role.walreceiver = { ...wr, requestSince: wr.requestSince ?? now };
      return this.wait(n, 'upstream-unreachable', [], { kind: 'upstream-unreachable', node: n.name, upstream: up.name, upstreamRunning: up.running }, { attempt: (DATA_GIVE_UP - (now - (wr.requestSince ?? now))) as Micros, attemptKind: 'data', connected: true, quiet: wr.requestSince !== undefined });
    }
    if (!this.reachable(n, up)) {
      if (wr) role.walreceiver = null;
      // Behind a cut path a connection attempt times out whether or not the server runs: nothing answers. It
      // lasts until the kernel gives up (reconnect.ts), and connects at its next SYN if the path comes back.
      // Approximation: its failure is logged when it starts.
      const attempt = unreachableAttempt(n.version, n.settings.connectTimeout);
      return fail('upstream-unreachable', pgLog.connectionTimedOut(n.version, n.name, up.name), { kind: 'upstream-unreachable', node: n.name, upstream: up.name, upstreamRunning: up.running }, attempt);
    }
    if (!up.running) return fail('upstream-down', pgLog.couldNotConnect(n.version, n.name, up.name), { kind: 'upstream-not-running', upstream: up.name });
    if (!up.acceptsConnections) {
      return fail('upstream-down', pgLog.upstreamStartingUp(n.version, n.name, up.name), { kind: 'upstream-starting-up', upstream: up.name });
    }
    // A smart shutdown refuses a new walsender as any new connection (pg-ctl.ts); an idle walreceiver's own
    // connection is a walsender already and goes on.
    if (!wr && !up.connsAllowed) return fail('upstream-down', pgLog.upstreamShuttingDown(n.version, n.name, up.name), { kind: 'upstream-shutting-down', upstream: up.name });
    // One more replication connection than max_wal_senders is refused before anything else (walsenders.ts).
    const maxSenders = walSendersExceeded(this, up, 1, n);
    if (maxSenders !== null) {
      return fail('wal-senders-exhausted', pgLog.tooManyWalSenders(n.version, n.name, up.name, maxSenders), { kind: 'walsenders-exhausted', rule: 'proc.c:InitProcess', node: n.name, upstream: up.name, max: maxSenders });
    }
    if (rootOf(up.wal.timeline) !== rootOf(n.wal.timeline)) {
      // Two primaries at the start are two database systems (distinct root timelines): streaming between
      // them is refused after IDENTIFY_SYSTEM, before any timeline is compared.
      return fail('system-identifier-differs', pgLog.systemIdentifierDiffers(), { kind: 'system-identifier-differs', node: n.name, upstream: up.name });
    }
    const upTli = up.tli;
    const startpoint = segmentStart(reading ? n.checkpoint.lsn : end, n.settings.walSegmentSize);

    if (!canFollowTimelineOverStreaming(n.version) && upTli !== role.target.tli) {
      return fail(
        'timeline-mismatch-9.2',
        pgLog.timelineMismatch92(upTli, role.target.tli),
        { kind: 'timeline-switch-before-9.3', node: n.name, version: n.version, upstream: up.name, upstreamTimeline: upTli, targetTimeline: role.target.tli },
      );
    }
    // walreceiver.c WalReceiverMain compares the upstream's timeline with the one it is asked to stream.
    if (upTli < startTli) {
      return fail('upstream-behind', pgLog.upstreamBehind(upTli, startTli), { kind: 'upstream-timeline-behind', node: n.name, upstream: up.name, upstreamTimeline: upTli, timeline: startTli });
    }
    if (canFollowTimelineOverStreaming(n.version)) follow.fetchHistoryFiles(this, n, up, startTli, upTli);
    const answer = this.startReplication(n, up, startTli, startpoint);
    if (!answer.ok) {
      fail(answer.reason, answer.line, answer.why);
      // The upstream's walsender logs its ERROR too, at each attempt of the standby's loop (the event's repeats).
      const refusal = this.ctx.history.chatter.recording ? serverLog.walsenderRefusal(answer.line, n.settings.primarySlotName, startpoint, startTli) : null;
      if (refusal) this.ctx.history.chatter.add(now, up.name, [refusal], this.ctx.history.lastEventOf(n.name));
      return;
    }
    // A full pg_wal volume: the walreceiver fails creating the next segment (storage.ts volumeFull).
    if (this.storage.receiveRoom(n, now) <= 0) return fail('pg-wal-full', this.storage.receiveOutOfSpace(n), { kind: 'receiver-pg-wal-full', node: n.name, upstream: up.name, volume: n.storage.walVolume ?? 0 });
    const { sent, limit } = answer;
    const line = role.walreceiver ? pgLog.restartedStreaming(startpoint, startTli) : pgLog.startedStreaming(n.version, startpoint, startTli);
    this.restore.end(n, { kind: 'streams', upstream: up.name });
    if (reading && follow.checkpointOverwritten(this, n)) {
      // The startup process reads the checkpoint record from what the walreceiver writes, the sibling's WAL again;
      // it rejects it and stops the walreceiver (xlogrecovery.c ReadRecord, XLogShutdownWalRcv), and every later
      // walreceiver on this timeline inherits the flush position (walreceiverfuncs.c RequestXLogStreaming): no
      // new connection until the server restarts (connect: n.recovery.unusable). [EXP] sibling-restart on 10.23,
      // 15.18 and 18.4: `started streaming`, `terminating walreceiver process due to administrator command`.
      follow.writtenOver(this, n, up, timelineAt(n.wal.timeline, n.checkpoint.lsn), up.wal.timeline, startpoint);
      n.recovery.unusable = { tli: startTli, upTo: Math.max(this.sendable(up, now), n.walEnd(now) + 1) };
      role.walreceiver = null;
      const why: WaitFact = { kind: 'checkpoint-overwritten', rule: 'xlogrecovery.c:ReadRecord', node: n.name, upstream: up.name, timeline: startTli, checkpointLsn: n.checkpoint.lsn };
      return this.wait(n, 'not-in-upstream-history', [...refused, line, serverLog.walreceiverTerminated()], why);
    }
    if (reading) {
      // The startup process rejects what the walsender sends: its pages carry a timeline that is not in the
      // target's history (xlogrecovery.c ReadRecord, "unexpected timeline ID"), and the segments it may open
      // from pg_wal are those of the target's timelines only (XLogFileReadAnyTLI), which do not hold the
      // record. It tries again every wal_retrieve_retry_interval, forever: the server stays in startup ([EXP]
      // on 15.18, docs/conformance.md seed-79: running, "the database system is starting up", `highest
      // timeline 1 of the primary is behind recovery timeline 2` at every retry).
      const why: WaitFact = { kind: 'checkpoint-not-in-target', node: n.name, upstream: up.name, timeline: startTli, targetTimeline: role.target.tli };
      this.streamedInVain(n, up, startTli, limit, line, 'new-timeline-not-a-child', why, refused);
      // A live stream is stopped by the startup process when it gives up on the pages (XLogShutdownWalRcv).
      if (limit === null) role.walreceiver = null;
      return;
    }
    // Rule 2: two promotions that could not see each other's history files may mint the same TLI for two
    // different histories. The protocol compares numbers only, so the walsender sends its own history under
    // the number the standby asked for (observed on 15.18: seed-11, seed-54, seed-59); the records do not
    // continue the standby's WAL and its startup process cannot replay them. The model cannot mix two
    // histories: the standby receives nothing it can use.
    const mine = timelineAt(n.wal.timeline, Math.max(0, end - 1));
    const namesake = historyOf(up.wal.timeline).find((e) => e.timeline.tli === mine.tli)?.timeline;
    if (namesake && namesake !== mine) {
      follow.writtenOver(this, n, up, mine, namesake, startpoint);
      const why: WaitFact = { kind: 'same-tli-different-history', node: n.name, upstream: up.name, timeline: mine.tli };
      return this.streamedInVain(n, up, startTli, limit, line, 'not-in-upstream-history', why, refused);
    }
    // The same by another way: the node's own timeline with that number begins at its WAL's end (it was promoted
    // and wrote nothing), so its last record is on the parent, while the upstream's timeline of that number
    // forked off the parent below the node's end. The walsender compares numbers only, and what it sends does
    // not continue the node's WAL either.
    const theirs = timelineAt(sent, Math.max(0, end - 1));
    if (theirs !== mine && end > sent.begin) {
      follow.writtenOver(this, n, up, mine, theirs, startpoint);
      const why: WaitFact = { kind: 'same-tli-different-history', node: n.name, upstream: up.name, timeline: startTli };
      return this.streamedInVain(n, up, startTli, limit, line, 'not-in-upstream-history', why, refused);
    }
    const upEnd = this.sendable(up, now);
    if (limit === null && end > upEnd + 0.5) {
      // walsender.c StartReplication compares its flush with the requested start (a segment boundary): a
      // standby a little ahead within that segment is accepted, re-receives what it has and gets nothing
      // new, without an error (observed on 15.18, docs/conformance.md seed-10). The model keeps it waiting,
      // silently, and retries until the upstream has passed its position.
      const why: WaitFact = { kind: 'ahead-of-upstream', rule: 'walsender.c:StartReplication', node: n.name, upstream: up.name, lsn: end, upstreamLsn: upEnd, startLsn: startpoint };
      return this.streamedInVain(n, up, startTli, limit, line, 'ahead-of-flush', why, refused);
    }
    const path = this.ctx.net.path(this.endpointOf(up), this.endpointOf(n));
    invariant(path, 'a reachable pair has a path');
    const empty = limit !== null && end >= limit - 0.5;
    const stream: Stream = { up, down: n, timeline: sent, limit, path, timeout: null, ending: null, emptyStart: empty ? line : null, startEnd: end, caughtUp: false };
    this.streams.add(stream);
    this.storage.streamStarted(stream);
    // The node now appends the upstream's WAL of `sent`; both histories agree up to `end` (prefix rule).
    follow.adoptWalTimeline(this, n, sent, end);
    role.receiver = { status: 'streaming', stream };
    role.walreceiver = { upstream: up.name, upstreamBoot: up.boot, tli: startTli, idle: false };
    // The startup process starts redo at the first record after its checkpoint's: logged here when the stream brings
    // one (approximation: at the stream's start rather than when the record arrives).
    const redoStarts = !n.recovery.redoStarted && Math.min(limit ?? Number.POSITIVE_INFINITY, upEnd) > n.recovery.redoFrom + 0.5;
    if (redoStarts) n.recovery.redoStarted = true;
    if (!empty) {
      this.log(n, 'replication', { kind: 'streaming', upstream: up.name, timeline: startTli, lsn: end, switchLsn: limit }, [line, redoStarts ? serverLog.redoStarts(n.recovery.redoFrom) : null]);
      this.recordReceiver(n, null, { kind: 'receiving', upstream: up.name, timeline: startTli });
    }
    this.requestReflow('changed');
  }

  /** A failed attempt: the walreceiver process exits with its error; the next attempt starts a new one. */
  private attemptFailed(n: PgNode, reason: WaitReason, line: LogLine | null, why: WaitFact, refused: readonly LogLine[], attempt?: Micros): void {
    (n.role as StandbyRole).walreceiver = null;
    this.wait(n, reason, [line, ...refused], refused.length ? { kind: 'with-refusal', fact: why, refusal: this.refusals.get(n.name) ?? null } : why, attempt !== undefined ? { attempt } : {});
  }

  /**
   * walsender.c StartReplication: the walsender's answer to START_REPLICATION `startpoint` TIMELINE `tli`, by
   * timeline number as the protocol compares them: an error, or the timeline of its history it streams and,
   * when that timeline is historic there, the switchpoint where it stops.
   */
  private startReplication(n: PgNode, up: PgNode, tli: number, startpoint: Lsn): WalsenderAnswer {
    const end = n.walEnd(this.ctx.sim.now);
    // The slot named in primary_slot_name is acquired first (walsender.c StartReplication).
    const slotError = this.storage.slots.acquire(n, up);
    if (slotError) {
      return { ok: false, reason: 'slot-unusable', line: slotError, why: { kind: 'slot-refused', rule: 'slot.c:ReplicationSlotAcquire', node: n.name, upstream: up.name, slot: n.settings.primarySlotName ?? '', error: slotError.message.replace(/^.*ERROR: {2}/, '') } };
    }
    const upHistory = up.wal.timeline;
    let limit: Lsn | null = null;
    let sent = upHistory;
    if (tli === upHistory.tli) {
      const upEnd = this.sendable(up, this.ctx.sim.now);
      if (startpoint > upEnd + 0.5) {
        return { ok: false, reason: 'ahead-of-flush', line: pgLog.aheadOfFlush(startpoint, upEnd), why: { kind: 'ahead-of-upstream', rule: 'walsender.c:StartReplication', node: n.name, upstream: up.name, lsn: end, upstreamLsn: upEnd } };
      }
    } else {
      const sp = switchPointOf(upHistory, tli);
      if (!sp.found) return { ok: false, reason: 'not-in-upstream-history', line: pgLog.timelineNotInHistory(tli), why: { kind: 'timeline-not-in-upstream-history', upstream: up.name, timeline: tli } };
      invariant(sp.end !== null, 'a historic timeline has an end');
      // The switchpoint is compared with the requested start (a segment boundary), not with the standby's
      // replay position.
      if (sp.end < startpoint) {
        return {
          ok: false,
          reason: 'not-in-upstream-history',
          line: pgLog.notInHistory(startpoint, tli, tli, sp.end),
          why: { kind: 'upstream-left-timeline', node: n.name, upstream: up.name, timeline: tli, switchLsn: sp.end, startLsn: startpoint, lsn: end },
        };
      }
      limit = sp.end;
      sent = historyOf(upHistory).find((e) => e.timeline.tli === tli)!.timeline;
    }
    if (startpoint < up.oldestRetained) {
      // The walsender reads whole segments; for the segment holding a switchpoint it reads the new
      // timeline's file (walsender.c WalSndSegmentOpen), which is the name it reports as removed.
      const fileTli = limit !== null && segmentStart(limit, n.settings.walSegmentSize) === startpoint ? childTliAfter(upHistory, tli) : tli;
      const seg = walFileName(fileTli, startpoint, n.settings.walSegmentSize);
      return {
        ok: false,
        reason: 'wal-removed',
        line: pgLog.walRemoved(seg),
        why: { kind: 'segment-already-removed', rule: 'xlog.c:CheckXLogRemoved', node: n.name, upstream: up.name, segment: seg, retention: this.storage.slots.lostNote(n, up) ?? retentionFact(up) },
      };
    }
    return { ok: true, sent, limit };
  }

  /**
   * The walsender accepted the start but the standby can use nothing it sends. A historic timeline's stream
   * ends at its switchpoint ("End of WAL reached") and leaves the walreceiver idle on its connection; a live one
   * stays connected. The model does not stream: the standby waits and tries again.
   */
  private streamedInVain(n: PgNode, up: PgNode, tli: number, limit: Lsn | null, line: LogLine, reason: WaitReason, why: WaitFact, refused: readonly LogLine[]): void {
    const role = n.role as StandbyRole;
    const was = role.walreceiver;
    role.walreceiver = { upstream: up.name, upstreamBoot: up.boot, tli, idle: limit !== null };
    if (limit === null) this.inVain.add(n);
    const lines: (LogLine | null)[] = [...refused];
    if (limit !== null) {
      lines.unshift(line, pgLog.replicationTerminated(tli, limit));
      if (canFollowTimelineOverStreaming(n.version)) follow.fetchHistoryFiles(this, n, up, tli, childTliAfter(up.wal.timeline, tli));
    } else if (reason === 'not-in-upstream-history' && this.sendable(up, this.ctx.sim.now) > n.walEnd(this.ctx.sim.now) + 0.5) {
      // A same-numbered sibling timeline with records past this standby's end: they do not continue its WAL; its
      // startup process rejects them and stops the walreceiver (xlogrecovery.c ReadRecord, XLogShutdownWalRcv;
      // observed on 10.23 to 18.4: seed-59, seed-54, `started streaming`, then `terminating walreceiver process
      // due to administrator command`, once). A walreceiver already streaming them
      // logs no start; the flush position stays for the next walreceiver (connect: n.recovery.unusable). With
      // nothing past its end it streams on silently (below; seed-11).
      const streaming = was !== null && !was.idle && was.upstream === up.name && was.upstreamBoot === up.boot;
      lines.unshift(streaming ? null : line, serverLog.walreceiverTerminated());
      n.recovery.unusable = { tli, upTo: this.sendable(up, this.ctx.sim.now) };
      role.walreceiver = null;
      this.inVain.delete(n);
      // Its own event: not a repeat of the silent attempts while nothing past its end came.
      if (why.kind === 'same-tli-different-history') why = { ...why, rule: 'xlogrecovery.c:ReadRecord' };
    } else if (!(role.receiver.status === 'waiting' && role.receiver.reason === reason)) {
      // A live stream that brings nothing new (ahead of its upstream's flush, a checkpoint record it cannot read):
      // the walreceiver stays connected, its start logged once (observed on 10.23 to 18.4: seed-10).
      lines.unshift(line);
    }
    this.wait(n, reason, lines, refused.length ? { kind: 'with-refusal', fact: why, refusal: this.refusals.get(n.name) ?? null } : why, { connected: limit === null && role.walreceiver !== null });
  }

  /**
   * timeline.c findNewestTimeLine: probe target+1, target+2, ... and stop at the first missing file, those in
   * the archive included in recovery with restore_command (historyFile; [EXP] 15.18, /tmp/review-a s11).
   */
  findNewestTimeline(n: PgNode, from: number, restored: LogLine[] | null = null): number {
    return follow.findNewestTimeline(this, n, from, restored);
  }

  private wait(
    n: PgNode,
    reason: WaitReason,
    line: LogLine | null | readonly (LogLine | null)[],
    why: WaitFact,
    opts: { retryAfter?: Micros; quiet?: boolean; attempt?: Micros; attemptKind?: AttemptKind; connected?: boolean } = {},
  ): void {
    const role = n.role as StandbyRole;
    const interval = n.settings.walRetrieveRetryInterval;
    // A connection attempt that lasts (nothing answers) spaces the loop's attempts by its duration (reconnect.ts).
    const attempt = opts.attempt ?? (0 as Micros);
    // xlogrecovery.c WaitForWALToBecomeAvailable: the first failure is retried at once, later ones an interval
    // after the previous (retry.ts), and 15+ logs `waiting for WAL to become available` before each sleep.
    const now = this.ctx.sim.now;
    const at = opts.retryAfter !== undefined ? ((now + opts.retryAfter) as Micros) : this.retries.retryTime(n, interval, attempt, opts.attemptKind);
    const was = role.receiver;
    const kind: EventKind = reason === 'timeline-not-followed' || reason === 'new-timeline-not-a-child' ? 'stuck' : reason === 'not-in-upstream-history' ? 'diverged' : 'replication';
    const inLoop = was.status === 'waiting' ? was.reason === reason : was.status === 'streaming' && was.stream.emptyStart !== null;
    const lines = Array.isArray(line) ? [...(line as readonly (LogLine | null)[])] : [line as LogLine | null];
    // A walreceiver that stays connected (streaming in vain) keeps the startup process on the stream: it neither
    // reads pg_wal to its end nor sleeps.
    if (!opts.connected) lines.push(life.endOfWalComplaint(this, n));
    // The startup process logs it before a sleep: none when the attempt itself outlasted the interval.
    if (at > now + attempt && !opts.connected) lines.push(pgLog.waitingForWal(n.version, n.walEnd(now) + XLOG_RECORD_HEADER));
    // A parked loop's skipped attempts are counted on the event of the failure that parked it: only a failure
    // that logged what the previous one did (the same fact and lines: history.event counted it as a repeat)
    // stands for the ones after it.
    const repeated = (ev: SimEvent | null): boolean => ev === null || ev.repeat?.last === now;
    let logged: SimEvent | null = null;
    role.receiver = { status: 'waiting', reason, retry: null };
    if (opts.retryAfter === undefined && was.status === 'waiting' && this.retries.repeatsUnchanged(n, reason, inLoop) && !this.storage.archive.triesArchive(n)) {
      // Nothing changed since the last failure: every later attempt fails the same way until something does.
      if (!opts.quiet) logged = this.log(n, kind, why, lines);
      if (repeated(logged)) {
        this.retries.park(n, at, Math.max(interval, attempt) as Micros);
        return;
      }
    }
    // Catching up from the archive between failures of the stream: the failures are one loop (counted on its
    // event; the real `waiting for WAL` line names a later position each time), the restores one event (restore.ts).
    const viaArchive = this.restore.active(n) && this.lastReason.get(n.name) === reason;
    // Counted on the loop's own event: the node may have logged others since (a rescan that followed a timeline).
    const loopEvent = viaArchive ? this.lastWaitEvent.get(n.name) : undefined;
    if (logged === null) {
      if (loopEvent && !opts.quiet) this.ctx.history.repeatEvent(loopEvent, 1, now, now);
      else if (!opts.quiet) logged = this.log(n, kind, why, lines);
    }
    if (logged !== null) this.lastWaitEvent.set(n.name, logged);
    // An attempt in vain that changed nothing but its own stream: the next ones would too (retry.ts), and log
    // what this one logs once they come an interval apart.
    const inVain = opts.retryAfter === undefined && !opts.quiet && at > now && this.retries.repeatsInVain(n, reason, this.lastReason.get(n.name) === reason) && !this.storage.archive.triesArchive(n) && logged !== null && repeated(logged);
    if (!inVain) role.receiver = { status: 'waiting', reason, retry: this.ctx.sim.at(at, `retry ${n.name}`, () => this.connect(n), PRIORITY.protocol) };
    if (!viaArchive && (!inLoop || this.lastReason.get(n.name) !== reason)) this.recordReceiver(n, reason, why);
    this.lastReason.set(n.name, reason);
    this.requestReflow('changed');
    this.retries.failed(n);
    if (inVain) this.retries.park(n, at, interval, true);
  }

  /** Nodes whose walreceiver may be connected to a live upstream that sends it nothing it can use (streamedInVain). */
  readonly inVain = new Set<PgNode>();

  /** Why the last rescan refused the newest timeline, per node. */
  readonly refusals = new Map<string, WaitFact>();

  /** The last wait reason recorded per node: a retry loop records one transition, not one per retry. */
  private readonly lastReason = new Map<string, WaitReason>();

  /** The event the last logged wait of each node was recorded as (a loop's later failures are counted on it). */
  private readonly lastWaitEvent = new Map<string, SimEvent>();

  cancelRetry(n: PgNode): void {
    const role = n.role;
    if (role.kind === 'standby' && role.receiver.status === 'waiting') this.ctx.sim.cancel(role.receiver.retry);
    this.retries.cancel(n);
  }

  /** The end of the run: parked retry loops count their last attempts; pg_wal and slots are recorded. */
  finish(now: Micros): void {
    this.restore.finish();
    this.retries.finish(now);
    this.storage.finish(now);
  }

  /** Ends a stream; the downstream's walreceiver then waits or reconnects. */
  closeStream(s: Stream): void {
    this.ctx.sim.cancel(s.timeout);
    this.ctx.sim.cancel(s.ending);
    this.streams.delete(s);
    this.storage.streamEnded(s);
    const role = s.down.role;
    if (role.kind === 'standby' && role.receiver.status === 'streaming' && role.receiver.stream === s) {
      role.receiver = { status: 'stopped' };
    }
    const done = this.drains.has(s) ? this.drains.end(s, s.down.walEnd(this.ctx.sim.now)) : null;
    // The postmaster exits after its last walsender, once the event that ended it has run.
    if (done) done.completion = this.ctx.sim.at(this.ctx.sim.now, `shut down ${done.node.name}`, () => this.shutdownComplete(done, 'exited'), PRIORITY.protocol);
    this.requestReflow('changed');
  }

  /** The stream reached its limit: the upstream's history left this timeline there (walsender.c, end of COPY). */
  endOfTimeline(s: Stream): void {
    s.ending = null;
    if (this.drains.has(s)) return this.drainSent(s);
    const n = s.down;
    const role = n.role;
    invariant(s.limit !== null, 'only a historic stream ends');
    const sp = s.limit;
    this.closeStream(s);
    if (role.kind !== 'standby' || !n.running) return;
    // Snap a chase that overshot by a fraction of a microsecond; WAL the node already had past the
    // switchpoint (it was re-sent from the segment start) stays: the walreceiver never truncates.
    if (s.startEnd <= sp) n.wal.end.set(this.ctx.sim.now, sp);
    if (!canFollowTimelineOverStreaming(n.version)) {
      // <= 9.2 (rule 8): no historic streams and no waiting walreceiver. The stream's end is the walreceiver's
      // exit; the next one meets the new timeline in IDENTIFY_SYSTEM and fails at every retry.
      this.log(n, 'replication', { kind: 'stream-ended', upstream: s.up.name, timeline: s.timeline.tli, switchLsn: sp, upstreamTimeline: s.up.tli }, [pgLog.replicationTerminated92()]);
      role.walreceiver = null;
      this.connect(n);
      return;
    }
    const lines: (LogLine | null)[] = [s.emptyStart, pgLog.replicationTerminated(s.timeline.tli, sp), life.endOfWalComplaint(this, n)];
    if (!s.emptyStart) this.log(n, 'replication', { kind: 'stream-ended', upstream: s.up.name, timeline: s.timeline.tli, switchLsn: sp, upstreamTimeline: null }, lines.splice(0));
    // The walreceiver stays, idle on its connection, until the startup process gives it a new start point.
    role.walreceiver = { upstream: s.up.name, upstreamBoot: s.up.boot, tli: s.timeline.tli, idle: true };
    // walreceiver.c: at the end of the stream the walsender names the timeline that follows the streamed one
    // in its history, and the walreceiver fetches the history files up to that one.
    if (canFollowTimelineOverStreaming(n.version) && s.up.running && this.reachable(n, s.up)) {
      follow.fetchHistoryFiles(this, n, s.up, s.timeline.tli, childTliAfter(s.up.wal.timeline, s.timeline.tli));
    }
    const goal = n.settings.recoveryTargetTimeline;
    // An empty stream's lines wait for the retry loop's event; when the rescan moves on they are logged first.
    const logEmpty = () => {
      if (s.emptyStart) this.log(n, 'replication', { kind: 'stream-ended', upstream: s.up.name, timeline: s.timeline.tli, switchLsn: sp, upstreamTimeline: null }, lines.splice(0));
    };
    if (goal === 'latest' && follow.rescanLatestTimeline(this, n, null, logEmpty)) {
      this.connect(n);
      return;
    }
    // 'current' or a number never moves the target (rule 5): the walreceiver retries the old timeline forever.
    const newer = follow.findNewestTimeline(this, n, role.target.tli);
    const reason: WaitReason = goal === 'latest' ? (newer > role.target.tli ? 'new-timeline-forked-before-replay' : 'end-of-timeline') : 'timeline-not-followed';
    const goalText = goal === 'latest' ? 'latest' : goal === 'current' ? 'current' : String(goal.tli);
    const why: WaitFact =
      reason === 'timeline-not-followed'
        ? {
            kind: 'timeline-not-followed',
            rule: 'xlogrecovery.c:WaitForWALToBecomeAvailable',
            node: n.name,
            timeline: role.target.tli,
            lsn: sp,
            upstream: s.up.name,
            upstreamTimeline: s.up.tli,
            goal: goalText,
            defaultOf: n.settings.recoveryTargetTimelineDefaulted ? n.version : null,
            retryInterval: n.settings.walRetrieveRetryInterval,
          }
        : { kind: 'cannot-follow', node: n.name, timeline: newer, lsn: sp };
    if (reason === 'timeline-not-followed' && !s.emptyStart) {
      // The first end: the walreceiver at once restarts streaming of the old timeline, which ends at once
      // ([EXP] §0.1); from then on every retry is the same event.
      this.wait(n, reason, [], why, { retryAfter: 0 as Micros, quiet: true });
      return;
    }
    this.wait(n, reason, lines, why);
  }

  /** A connection lost to a crash, a shutdown or a network partition (after wal_receiver_timeout). */
  dropStream(s: Stream, why: 'crashed' | 'stopped' | 'partition'): void {
    this.closeStream(s);
    this.lostConnection(s.down, s.up, s.timeline.tli, why);
  }

  /**
   * The upstream went down behind a cut path: no FIN or RST reaches the standby, whose walreceiver keeps waiting on
   * its silent connection until wal_receiver_timeout (started at the cut, onNetworkChange) and only then gives up.
   */
  silentlyLost(s: Stream): void {
    const d = s.down;
    const at = (s.timeout?.time ?? this.ctx.sim.now + d.settings.walReceiverTimeout) as Micros;
    const boot = d.boot;
    this.closeStream(s);
    this.ctx.sim.at(at, `receiver timeout ${d.name}`, () => {
      if (d.boot === boot && d.role.kind === 'standby' && d.role.receiver.status === 'stopped') this.lostConnection(d, s.up, s.timeline.tli, 'partition');
    }, PRIORITY.protocol);
  }

  lostConnection(n: PgNode, up: PgNode, tli: number, why: 'crashed' | 'stopped' | 'partition'): void {
    if (!n.running || n.role.kind !== 'standby') return;
    this.cancelRetry(n);
    n.role.walreceiver = null;
    // A clean shutdown ends the COPY; the walreceiver's answer to it then fails on the closed connection (9.3+).
    const line =
      why === 'partition'
        ? pgLog.receiverTimeout()
        : why === 'crashed'
          ? pgLog.connectionLost()
          : [pgLog.replicationTerminated(tli, n.walEnd(this.ctx.sim.now)), canFollowTimelineOverStreaming(n.version) ? pgLog.endOfStreamingFailed(n.version) : null];
    this.wait(n, TEARDOWN_REASONS[why], line, { kind: 'connection-lost', node: n.name, upstream: up.name, how: why, ...(why === 'crashed' && up.lastDown.immediate ? { mode: 'immediate' as const } : {}) });
  }

  /** Called by writes.ts when a stream reaches its limit. */
  scheduleEndOfTimeline(s: Stream, at: Micros): void {
    if (s.ending && !s.ending.cancelled && s.ending.time === at) return;
    this.ctx.sim.cancel(s.ending);
    s.ending = this.ctx.sim.at(at, `end of timeline ${s.down.name}`, () => this.endOfTimeline(s), PRIORITY.protocol);
  }

  /**
   * The upstream crashed (its walsender exited) but the path is up: the bytes already on the wire still arrive,
   * the WAL it had not sent never does (writes.ts inFlight). The kernel may still send a socket's queued bytes
   * after the process exits, unless unread standby replies make it reset the connection (RFC 2525); the model
   * counts the queue as not sent. Delivered at the crash rather than one latency later (docs/model-postgres.md).
   */
  deliverInFlight(s: Stream): void {
    // A cut path dropped what was on the wire when it was cut, and carries nothing since.
    if (!this.reachable(s.up, s.down)) return;
    const now = this.ctx.sim.now;
    const inFlight = this.writes.inFlight(s, now);
    if (inFlight > 0) s.down.wal.end.set(now, s.down.walEnd(now) + inFlight);
  }

  /**
   * A clean shutdown: the walsenders send everything up to the shutdown checkpoint before they exit, and from 9.3
   * wait until the standby confirms it (drains.ts; 9.0-9.2 send it and exit, and the kernel delivers the
   * socket's queue). What is on the wire arrives at once (as at a crash: deliverInFlight); a backlog behind it
   * becomes a drain, a stream that ends at the WAL end and carries it as fast as its connection does. A
   * historic stream gets the rest of its timeline at once (approximation). Returns the drain, if any.
   */
  beginDrain(s: Stream): Drain | null {
    const now = this.ctx.sim.now;
    if (!this.streamUp(s)) return null;
    const d = s.down.walEnd(now);
    const sendable = this.sendable(s.up, now);
    const sent = s.limit !== null ? Math.min(s.limit, sendable) : sendable;
    if (sent <= d) return null;
    if (s.limit !== null || sent - d - this.writes.inFlight(s, now) < 1) {
      s.down.wal.end.set(now, sent);
      return null;
    }
    setStreamLimit(s, sent);
    return { stream: s, from: d, to: sent };
  }

  /** A drain reached the WAL end: the standby confirms it, the walsender ends the COPY and exits. */
  private drainSent(s: Stream): void {
    const now = this.ctx.sim.now;
    // A chase stops short of its end by less than a microsecond of bandwidth.
    if (s.limit !== null && s.down.walEnd(now) < s.limit) s.down.wal.end.set(now, s.limit);
    this.dropStream(s, 'stopped');
  }

  /** The postmaster of a shutdown still sending is killed: its walsenders end, the standbys get what was on the wire. */
  killDrains(n: PgNode): void {
    const sd = this.drains.of(n);
    if (!sd) return;
    for (const s of [...sd.drains.keys()]) {
      if (this.reachable(s.up, s.down)) {
        this.deliverInFlight(s);
        this.dropStream(s, 'crashed');
      } else this.silentlyLost(s);
    }
    // The last drain's end scheduled the postmaster's exit: it is a kill, not an exit.
    this.ctx.sim.cancel(sd.completion);
    this.shutdownComplete(sd, 'killed');
  }

  /**
   * The postmaster exits after its last walsender (`killed`: it was killed meanwhile): "database system is shut
   * down", and a start that waited for it runs now.
   */
  private shutdownComplete(sd: Shutdown, how: 'exited' | 'killed'): void {
    const n = sd.node;
    this.drains.finish(n);
    this.log(n, 'lifecycle', { kind: 'shutdown-complete', node: n.name, how, after: this.ctx.sim.now - sd.since, drains: sd.ended }, how === 'exited' ? [pgLog.shutDown()] : []);
    this.postmasterExited(n);
  }

  /** Whether `n`'s postmaster is shutting down and has not exited: a smart shutdown's sessions or a clean one's walsenders. */
  exiting(n: PgNode): boolean {
    return this.smart.has(n) || this.drains.of(n) !== undefined;
  }

  /** Runs `then` once `n`'s postmaster has exited: at once unless its shutdown still waits for sessions or walsenders. */
  whenExited(n: PgNode, then: () => void): void {
    if (!this.exiting(n)) return then();
    const waiting = this.exitWaiters.get(n);
    if (waiting) waiting.push(then);
    else this.exitWaiters.set(n, [then]);
  }

  postmasterExited(n: PgNode): void {
    const waiting = this.exitWaiters.get(n);
    if (!waiting) return;
    this.exitWaiters.delete(n);
    for (const w of waiting) w();
  }

  /** After a network change: streams over a cut path start their wal_receiver_timeout; healed ones resume. */
  onNetworkChange(): void {
    for (const s of this.streams) {
      if (this.streamUp(s)) {
        if (s.timeout) {
          this.recordReceiver(s.down, null, { kind: 'wal-arrives-again', upstream: s.up.name });
          this.ctx.sim.cancel(s.timeout);
        }
        s.timeout = null;
        // The same connection goes on: its walsender never left.
        const w = this.cutSenders.remove(s);
        if (w) this.ctx.sim.cancel(w.exit);
      } else if (!s.timeout) {
        // A stream with a limit (a historic one, a shutdown's drain) does not reach it over a cut path: its end is
        // planned again when the path heals (writes.ts), or the walreceiver gives up first.
        this.ctx.sim.cancel(s.ending);
        s.ending = null;
        if (s.up.running && s.down.running) this.walsenderCutOff(s);
        // A partition drops the packets on the wire: the standby keeps what had arrived, and nothing more comes
        // unless the path heals while the connection lives (TCP then retransmits from there).
        // pg_stat_wal_receiver still says streaming until wal_receiver_timeout; the history records that
        // nothing arrives any more, because that is what a cause chain needs.
        this.recordReceiver(s.down, 'upstream-unreachable', { kind: 'wal-stops-arriving', upstream: s.up.name, walReceiverTimeout: s.down.settings.walReceiverTimeout }, 'waiting');
        s.timeout = this.ctx.sim.after(s.down.settings.walReceiverTimeout, `receiver timeout ${s.down.name}`, () => {
          s.timeout = null;
          if (!this.streamUp(s)) this.dropStream(s, 'partition');
        }, PRIORITY.protocol);
      }
    }
    // A standby that went down at this instant behind a cut made now: its upstream never heard of it.
    const now = this.ctx.sim.now;
    for (const c of this.closedNow.splice(0)) {
      if (c.at === now && c.stream.up.running && !this.reachable(c.stream.up, c.stream.down)) this.walsenderCutOff(c.stream, c.heard, c.synchronous);
    }
    // A walsender whose standby's walreceiver gave up meanwhile: its next retransmission over the healed path
    // meets that closed socket, whose RST ends it at once.
    for (const w of this.cutSenders.all()) {
      if (this.streams.has(w.stream) || !this.reachable(w.stream.up, w.stream.down)) continue;
      this.walsenderExits(w.stream, 'reset');
    }
    this.requestReflow();
  }

  /**
   * A cut silenced `s`'s standby: its walsender on the upstream lives on, and stays a synchronous standby if it
   * was one, until wal_sender_timeout (cut-walsenders.ts).
   */
  private walsenderCutOff(s: Stream, heard = this.writes.heardFrom(s, this.ctx.sim.now), synchronous = this.writes.isSynchronous(s)): void {
    const now = this.ctx.sim.now;
    const exit = walsenderExitAt(s.up, now);
    const handle = this.ctx.sim.at(exit.at, `walsender timeout ${s.up.name}`, () => this.walsenderExits(s, exit.byTimeout ? 'timeout' : 'tcp'), PRIORITY.protocol);
    this.cutSenders.add({ stream: s, upBoot: s.up.boot, since: now, until: exit.at, byTimeout: exit.byTimeout, heard, exit: handle });
    this.log(s.up, 'replication', {
      kind: 'walsender-cut-off',
      rule: 'walsender.c:WalSndCheckTimeOut',
      node: s.up.name,
      standby: s.down.name,
      walSenderTimeout: s.up.settings.walSenderTimeout,
      exitAfter: exit.at - now,
      synchronous,
    });
  }

  private walsenderExits(s: Stream, how: 'timeout' | 'tcp' | 'reset'): void {
    const w = this.cutSenders.remove(s);
    if (!w) return;
    this.ctx.sim.cancel(w.exit);
    const up = s.up;
    if (!up.running || up.boot !== w.upBoot) return;
    const lines = how === 'timeout' ? [pgLog.walsenderTimedOut()] : how === 'tcp' ? pgLog.walsenderSendFailed() : [];
    this.log(up, 'replication', { kind: 'walsender-exited', rule: 'walsender.c:WalSndCheckTimeOut', node: up.name, standby: s.down.name, how, walSenderTimeout: up.settings.walSenderTimeout }, lines);
    this.requestReflow();
  }

  /** When a node's own timeline moves on, its walsenders end the old timeline at the switchpoint. */
  historicizeOutgoing(up: PgNode): void {
    for (const s of this.streams.from(up)) {
      if (s.limit !== null || s.timeline === up.wal.timeline) continue;
      const sp = switchPointOf(up.wal.timeline, s.timeline.tli);
      setStreamLimit(s, sp.found && sp.end !== null ? sp.end : up.walEnd(this.ctx.sim.now));
    }
    this.requestReflow();
  }

  // ---------------------------------------------------------------- actions

  /**
   * Promotion ends archive recovery (xlog.c StartupXLOG): new TLI = newest known + 1, history = the
   * parent's plus (parent, switchpoint, reason), switchpoint = end of the last replayed record.
   */
  promote(n: PgNode, cause: PromotionCause): boolean {
    const now = this.ctx.sim.now;
    const role = n.role;
    if (!n.running || role.kind !== 'standby') {
      this.log(n, 'promote', { kind: 'promotion-ignored', node: n.name, running: n.running });
      return false;
    }
    if (role.phase === 'reading-checkpoint') {
      // pg_ctl promote requires pg_control to say "in archive recovery", which the startup process writes
      // only after it has read its checkpoint record (xlog.c StartupXLOG, after InitWalRecovery).
      this.log(n, 'promote', { kind: 'promotion-refused', node: n.name });
      return false;
    }
    if (this.archivePromotions.has(n)) return true;
    // The startup process checks the trigger only when the archive and pg_wal have nothing more: a standby with
    // restore_command first restores and replays what the archive holds beyond its WAL, also one that streamed
    // (xlogrecovery.c WaitForWALToBecomeAvailable: "when you create the trigger file, we still finish replaying as
    // much as we can from archive and pg_wal before failover"; on the trigger while streaming, XLogShutdownWalRcv
    // and on to the archive). connect() goes on restoring, and promotes when the archive has no more.
    // A point-in-time recovery stops at its target, whatever the archive holds (pitr.ts).
    const archived = this.pitr.recovering(n) ? null : this.storage.archive.restorableEnd(n);
    if (archived !== null) {
      const restoring = role.receiver.status === 'waiting' && role.receiver.reason === 'restoring-from-archive' && role.receiver.retry !== null;
      const streaming = role.receiver.status === 'streaming' || role.walreceiver !== null;
      this.archivePromotions.set(n, cause);
      this.log(n, 'promote', { kind: 'promotion-waits-for-archive', rule: 'xlogrecovery.c:WaitForWALToBecomeAvailable', node: n.name, lsn: n.walEnd(now), archivedLsn: archived }, [pgLog.promoteRequest(), streaming ? serverLog.walreceiverTerminated() : null]);
      if (!restoring) {
        if (role.receiver.status === 'streaming') this.closeStream(role.receiver.stream);
        this.cancelRetry(n);
        role.walreceiver = null;
        this.connect(n);
      }
      return true;
    }
    // With WAL left to replay the trigger waits for it (replay.ts); the promotion then completes by itself.
    if (this.replay.deferPromotion(n, cause)) return true;
    this.completePromotion(n, cause, false);
    return true;
  }

  /** End recovery now (promote, or the replay a deferred promotion waited for is done). */
  completePromotion(n: PgNode, cause: PromotionCause, requestLogged = true): void {
    const now = this.ctx.sim.now;
    const role = n.role;
    if (!n.running || role.kind !== 'standby') return;
    // The startup process stops a walreceiver that is connected (streaming, or idle at a timeline's end), then
    // reads pg_wal to its end (walreceiver.c ProcessWalRcvInterrupts; xlogrecovery.c XLogShutdownWalRcv).
    const walreceiver = role.receiver.status === 'streaming' || role.walreceiver !== null;
    const complaint = life.endOfWalComplaint(this, n);
    if (role.receiver.status === 'streaming') this.closeStream(role.receiver.stream);
    this.cancelRetry(n);
    this.restore.end(n, { kind: 'promoted' });
    // A promotion ends the recovery_min_apply_delay wait (xlogrecovery.c recoveryApplyDelay breaks out when
    // CheckForStandbyTrigger) and redo replays everything in pg_wal, what the walreceiver wrote included: the
    // switchpoint is the received position.
    // The switchpoint is the node's WAL end as the fluid model has it: rounding it down to a whole byte
    // would leave standbys that received that fraction "past the switchpoint", unable to follow.
    const sp = n.walEnd(now);
    const redone = n.recovery.redoStarted || sp > n.recovery.redoFrom + 0.5;
    const pending = n.pendingBackup;
    if (pending !== null && sp < pending.end - 0.5) {
      const redoDone = redone && sp > pending.redo + 0.5 ? pgLog.redoDone(n.version, this.lastRecordStart(n, sp), (now - n.startedAt) as Micros) : null;
      return life.promotionFails(this, n, pending, sp, [requestLogged ? null : pgLog.promoteRequest(), walreceiver ? serverLog.walreceiverTerminated() : null, complaint, redoDone]);
    }
    // No room on its pg_wal volume for the new timeline's first segment: the startup process fails (storage.ts).
    const noSpace = this.storage.startupOutOfSpace(n, now, true);
    if (noSpace) {
      this.log(n, 'fatal', { kind: 'promotion-failed-pg-wal-full', node: n.name, volume: n.storage.walVolume ?? 0 }, [requestLogged ? null : pgLog.promoteRequest(), walreceiver ? serverLog.walreceiverTerminated() : null, noSpace, ...serverLog.startupFailed(n.version)]);
      life.crash(this, n);
      n.run = { state: 'failed', fatal: noSpace };
      return;
    }
    // 17+: the primary whose failover slots it synchronizes, decided while it is still a standby (slots.ts syncsFrom).
    const syncedFrom = this.storage.slots.syncsFrom(n);
    const newTli = follow.findNewestTimeline(this, n, role.target.tli) + 1;
    // The parent is the timeline of the last replayed position (xlog.c StartupXLOG: the new history file copies the
    // history up to the replay timeline): a standby streaming a newer timeline whose WAL has not yet reached that
    // timeline's beginning is still on the older one.
    const parent = timelineAt(n.wal.timeline, sp);
    const tl = this.ctx.timelines.create(newTli, parent, sp, this.pitr.endOfRecovery(n) ?? 'no recovery target specified', n.name, now);
    n.historyFiles.set(newTli, tl);
    n.wal.timeline = tl;
    n.role = { kind: 'primary' };
    n.checkpoint = { lsn: sp, tli: newTli };
    const historyReason = tl.reason === 'no recovery target specified' ? {} : { historyReason: tl.reason };
    this.log(n, 'promote', { kind: 'promoted', node: n.name, by: cause, timeline: newTli, lsn: sp, parentTimeline: tl.parent!.tli, ...historyReason }, [
      requestLogged ? null : pgLog.promoteRequest(),
      walreceiver ? serverLog.walreceiverTerminated() : null,
      complaint,
      // No record after the checkpoint it started from: redo never started (xlogrecovery.c PerformWalRecovery).
      redone ? pgLog.redoDone(n.version, this.lastRecordStart(n, sp), (now - n.startedAt) as Micros) : serverLog.redoNotRequired(),
      // Approximation: every replay includes a commit, whose time the model does not keep (it prints the promotion's).
      redone ? serverLog.lastTransaction(now) : null,
      pgLog.selectedTimeline(newTli),
      pgLog.archiveRecoveryComplete(),
      // 9.3+: the end-of-recovery checkpoint is requested (CHECKPOINT_FORCE), spread, with little to write: it ends
      // before the harness's next look (checkpointer.ts promoted).
      ...(n.settings.logCheckpoints ? [serverLog.checkpointStarting({ restartpoint: false, force: true, immediate: n.version < 9.3, time: this.storage.checkpointer.timeElapsed(n) }, n.version), serverLog.checkpointComplete(n.version, false, 0, 0, sp, sp)] : []),
      pgLog.readyToAccept(),
    ]);
    // 17+: the failover slots a standby with sync_replication_slots (and hot_standby_feedback, primary_slot_name)
    // synchronized from the primary it streamed from go on on it (slotsync.c ValidateSlotSyncParams,
    // synchronize_slots; slots.ts moveFailoverSlots). No other logical slot follows a promotion
    // (history/facts/storage.ts logical-slots-left-behind).
    if (syncedFrom !== null) {
      const synced = this.storage.slots.moveFailoverSlots(syncedFrom, n, sp);
      for (const x of synced) this.xid.slotMoved(x.slot, n.name);
      if (synced.length > 0) this.log(n, 'promote', { kind: 'failover-slots-synced', rule: 'slotsync.c:synchronize_slots', node: n.name, from: syncedFrom.name, slots: synced });
    }
    const leftBehind = this.storage.slots.names().filter((x) => x.kind === 'logical' && x.node !== n.name);
    // A failover slot left behind by a 17+ standby that does not synchronize: the setting it lacks, in the order
    // slotsync.c ValidateSlotSyncParams checks them (observed on 17.10: `replication slot synchronization
    // requires "hot_standby_feedback" to be enabled`, logged at its start).
    const st = n.settings;
    const lacks = n.version < 17 || !leftBehind.some((x) => x.failover) ? null : !st.syncReplicationSlots ? 'sync_replication_slots' : st.primarySlotName === null ? 'primary_slot_name' : !st.hotStandbyFeedback ? 'hot_standby_feedback' : null;
    if (leftBehind.length > 0) this.log(n, 'promote', { kind: 'logical-slots-left-behind', node: n.name, slots: leftBehind.map((x) => ({ slot: x.name, node: x.node })), version: n.version, ...(lacks ? { lacks } : {}) });
    this.ctx.history.promotion({ at: now, cluster: this.name, node: n.name, timeline: tl, switchpoint: sp, by: cause });
    this.recordReceiver(n, null, { kind: 'receiver-promoted' });
    this.storage.promoted(n);
    this.historicizeOutgoing(n);
    this.requestReflow();
  }

  /**
   * Where the last record replayed before `sp` begins (xlogrecovery.c: `redo done at` prints its start,
   * ReadRecPtr; the switchpoint is its end): a shutdown checkpoint record when a clean shutdown ended the WAL
   * there, else a commit record. Observed: 120 bytes before the switchpoint after a clean shutdown (14.23, 18.4),
   * 40 after a crash that followed a commit (13.23).
   */
  private lastRecordStart(n: PgNode, sp: Lsn): Lsn {
    const tl = timelineAt(n.wal.timeline, Math.max(0, sp - 1));
    const ckpt = this.shutdownRecords.get(tl)?.find((at) => Math.abs(at + SHUTDOWN_CHECKPOINT_RECORD - sp) < 0.5);
    return ckpt ?? Math.max(tl.begin, sp - COMMIT_RECORD);
  }

  /** Shutdown checkpoint records written by clean shutdowns, per timeline (the last few). */
  readonly shutdownRecords = new Map<Timeline, Lsn[]>();

  /**
   * A primary stopped and started again as a standby (standby.signal) of `upstream`, or of nobody (no
   * primary_conninfo): how a manager demotes it (Patroni ha.py demote: a fast stop writes the shutdown
   * checkpoint, an immediate stop is a crash). `why` is logged. Without `restart` it stays down (a manager
   * rebuilds it first: Patroni ha.py demote does not start a node that needs pg_rewind).
   */
  demote(n: PgNode, upstream: string | null, how: 'fast' | 'immediate', why: Fact, restart = true): void {
    if (n.role.kind !== 'primary') return;
    this.log(n, 'setting', { kind: 'demoted', node: n.name, how, upstream, why, ...(restart ? {} : { rebuild: true as const }) });
    if (how === 'immediate') life.crash(this, n);
    else life.stop(this, n);
    n.role = { kind: 'standby', upstream, target: n.wal.timeline, receiver: { status: 'stopped' }, walreceiver: null, phase: 'redo' };
    if (restart) life.start(this, n);
  }

  /** Change a standby's upstream (primary_conninfo): a restart up to 12, a walreceiver restart from 13. */
  repoint(n: PgNode, upstream: string): void {
    if (n.role.kind === 'primary') {
      // An old primary rejoining as a standby: standby.signal + primary_conninfo, then a restart.
      // It shuts down as a primary (its shutdown checkpoint is its latest checkpoint, which decides rule 9's
      // FATAL on a later start), then starts with standby.signal.
      this.log(n, 'setting', { kind: 'reconfigured-as-standby', node: n.name, upstream });
      life.stop(this, n);
      n.role = { kind: 'standby', upstream, target: n.wal.timeline, receiver: { status: 'stopped' }, walreceiver: null, phase: 'redo' };
      life.start(this, n);
      return;
    }
    const role = n.role;
    role.upstream = upstream;
    if (repointNeedsRestart(n.version)) {
      this.log(n, 'setting', { kind: 'repoint-needs-restart', node: n.name, upstream, version: n.version });
      life.restart(this, n);
      return;
    }
    const wr = role.walreceiver;
    // A connected walreceiver is stopped by the startup process (xlogrecovery.c XLogShutdownWalRcv); an idle
    // one's restart request is dropped (below).
    const reloaded = [n.running ? serverLog.reloading() : null, pgLog.parameterChanged('primary_conninfo', `host=${upstream}`), wr ? pgLog.walReceiverShutdownRequested() : null, wr && !wr.idle ? serverLog.walreceiverTerminated() : null];
    if (wr?.idle) {
      // The startup process asks for a walreceiver restart (StartupRequestWalReceiverRestart), but it is
      // dropped: the next attempt already starts streaming (xlogrecovery.c WaitForWALToBecomeAvailable resets
      // pendingWalRcvRestart when startWalReceiver is set), and a waiting walreceiver is restarted on its own
      // connection (walreceiverfuncs.c RequestXLogStreaming; walreceiver.c WalRcvWaitForStartPosition: "No need
      // to handle changes in primary_conninfo"). Observed on 15.18 (docs/conformance.md seed-33, seed-42): the
      // same walreceiver process kept streaming from the old upstream after the reload. Releases before 15.15
      // stopped the waiting walreceiver at every retry ("Avoid unwanted WAL receiver shutdown when switching
      // from streaming to archive WAL source"), where the reload would take effect at the next one.
      this.log(
        n,
        'setting',
        { kind: 'repoint-dropped', rule: 'walreceiverfuncs.c:RequestXLogStreaming', node: n.name, upstream, previous: wr.upstream },
        reloaded,
      );
      return;
    }
    this.log(n, 'setting', { kind: 'repointed', node: n.name, upstream }, reloaded);
    if (role.receiver.status === 'streaming') this.closeStream(role.receiver.stream);
    this.cancelRetry(n);
    role.receiver = { status: 'stopped' };
    role.walreceiver = null;
    if (n.running) this.connect(n);
  }

  /**
   * 13+: a reload that changed primary_slot_name restarts a streaming walreceiver, as one of primary_conninfo
   * does (startup.c StartupRereadConfig: either change sets pendingWalRcvRestart), and it streams again through
   * the slot it names. Without a walreceiver the next attempt uses the new name; an idle one is left as for a
   * repoint (the restart request is dropped: repoint).
   */
  private slotNameReloaded(n: PgNode): void {
    const role = n.role;
    if (!n.running || role.kind !== 'standby' || role.receiver.status !== 'streaming') return;
    this.log(n, 'setting', { kind: 'walreceiver-restarts-for-slot', node: n.name, slot: n.settings.primarySlotName ?? '', rule: 'startup.c:StartupRereadConfig' }, [pgLog.walReceiverShutdownRequested()]);
    this.closeStream(role.receiver.stream);
    this.cancelRetry(n);
    role.receiver = { status: 'stopped' };
    role.walreceiver = null;
    this.connect(n);
  }

  /**
   * Who last changed a setting of a node, and when (`${node}|${key}`, key as in PgSettingsSpec): the end of a
   * stall names the change that released it (write-ends.ts).
   */
  readonly settingChanges = new Map<string, { readonly at: Micros; readonly by: SettingAuthor }>();

  configure(n: PgNode, settings: PgSettingsSpec, restart: 'auto' | 'never', by: SettingAuthor = PLAN_AUTHOR): void {
    const keys = Object.keys(settings) as (keyof PgSettingsSpec)[];
    const needsRestart = keys.some((k) => changeNeedsRestart(n.version, k));
    // Settings not changed keep their resolved values: a defaulted recovery_target_timeline stays the default
    // (on 11 and before its resolved 'current' is not the word written in recovery.conf, which means latest).
    // A key present with the value undefined resets the setting to the version's default (the line removed).
    const reset = 'recoveryTargetTimeline' in settings && settings.recoveryTargetTimeline === undefined;
    const kept = !('recoveryTargetTimeline' in settings);
    const merged = { ...n.settings, ...settings, ...(reset || (kept && n.settings.recoveryTargetTimelineDefaulted) ? { recoveryTargetTimeline: undefined } : {}) } as PgSettingsSpec;
    const resolved = resolveSettings(n.version, n.name, merged);
    const next = {
      ...resolved,
      recoveryTargetTimelineDefaulted: reset || (kept && n.settings.recoveryTargetTimelineDefaulted),
      recoveryTargetTimelineCurrentReadAsLatest: kept ? n.settings.recoveryTargetTimelineCurrentReadAsLatest : resolved.recoveryTargetTimelineCurrentReadAsLatest,
    };
    const names = keys.map((k) => gucName(k, n.version));
    if (needsRestart && restart === 'never') {
      this.log(n, 'setting', { kind: 'settings-changed', node: n.name, settings: names, how: 'pending-restart' }, [
        n.running ? serverLog.reloading() : null,
        ...keys.filter((k) => changeNeedsRestart(n.version, k)).map((k) => pgLog.cannotChangeWithoutRestart(gucName(k, n.version))),
      ]);
      this.pendingSettings.set(n.name, next);
      return;
    }
    const slotNameChanged = 'primarySlotName' in settings && (next.primarySlotName ?? null) !== n.settings.primarySlotName;
    n.settings = next;
    for (const k of keys) this.settingChanges.set(`${n.name}|${k}`, { at: this.ctx.sim.now, by });
    this.setWalHorizon();
    if (needsRestart) {
      this.log(n, 'setting', { kind: 'settings-changed', node: n.name, settings: names, how: 'restart' });
      life.restart(this, n);
    } else {
      this.log(n, 'setting', { kind: 'settings-changed', node: n.name, settings: names, how: 'reload', ...(by.kind !== 'plan' ? { by } : {}) }, [
        n.running ? serverLog.reloading() : null,
        ...keys.map((k) => pgLog.parameterChanged(gucName(k, n.version), gucValue(k, settings[k], n.version, next.walSegmentSize))),
      ]);
      this.storage.reload(n);
      if (slotNameChanged) this.slotNameReloaded(n);
      this.requestReflow();
    }
    // Thresholds move with the settings even when no XID is being assigned (vacuum, limits, alerts).
    this.xid.settingsChanged();
  }

  readonly pendingSettings = new Map<string, PgNode['settings']>();

  crash(n: PgNode, host = false, panic: { readonly kind: 'pg-wal-full'; readonly volume: number } | null = null): void {
    life.crash(this, n, host, panic);
  }

  /** The PANIC the crash under way comes from (crash's `panic`), for the reports' causes. */
  crashPanic: { readonly kind: 'pg-wal-full'; readonly volume: number } | null = null;

  /** The crash under way takes its host down too (crash's `host`): the page cache is lost. */
  hostCrash = false;

  /** A fast stop (pg_ctl stop -m fast, as managers and the model's own steps stop a server). */
  stop(n: PgNode): void {
    life.stop(this, n);
  }

  /**
   * A plan's pg_ctl stop or restart -m `mode` (absent: pg_ctl's default for the version, pg-ctl.ts). pg_ctl waits
   * PGCTLTIMEOUT (60 s) for the postmaster to exit, then gives up ("server does not shut down"): the server goes
   * on as it was, and a restart does not start it.
   */
  pgCtl(op: 'stop' | 'restart', n: PgNode, mode: StopMode = defaultStopMode(n.version)): void {
    life.pgCtl(this, op, n, mode);
  }

  /**
   * Start a stopped server. While its postmaster still waits for its walsenders (drains.ts), `pg_ctl start`
   * (`how: 'pg_ctl'`, a plan's step) fails on the lock file; a manager's start waits for the postmaster to exit.
   */
  start(n: PgNode, how: 'pg_ctl' | 'waits' = 'waits'): void {
    life.start(this, n, how);
  }

  /** The replay of `n` reached its minimum recovery point (replay.ts): consistent, open to read-only connections. */
  reachedConsistency(n: PgNode, at: Lsn): void {
    life.reachedConsistency(this, n, at);
  }

  /** The server exits at startup with a FATAL (it stays failed until started again). */
  refuseStart(n: PgNode, fatal: LogLine, opening: readonly (LogLine | null)[] = []): void {
    life.refuseStart(this, n, fatal, opening);
  }

  /**
   * pg_ctl restart: a fast stop, a wait for the postmaster to exit (PGCTLTIMEOUT, 60 s), then a start. A
   * shutdown still sending WAL to a lagging standby after that leaves the server down: pg_ctl gives up ("server
   * does not shut down") and never starts it.
   */
  restart(n: PgNode): void {
    life.restart(this, n);
  }

  /** CHECKPOINT (a plan step): an immediate checkpoint, a restartpoint on a standby (checkpointer.ts manual). */
  requestCheckpoint(n: PgNode): void {
    if (!n.running) return;
    // With log_checkpoints, CHECKPOINT's lines (xlog.c LogCheckpointStart/End: `immediate force wait` on a primary,
    // `immediate wait` for a standby's restartpoint, which then says where the next recovery starts).
    const done = n.settings.logCheckpoints ? this.storage.checkpointer.manualOutcome(n) : null;
    const restart = done?.kind === 'restartpoint';
    this.log(
      n,
      'checkpoint',
      { kind: 'checkpoint-requested', node: n.name },
      done
        ? [
            serverLog.checkpointStarting({ restartpoint: restart, immediate: true, force: !restart, wait: true }, n.version),
            serverLog.checkpointComplete(n.version, restart, 0, 0, done.lsn, done.redo),
            restart ? serverLog.recoveryRestartPoint(n.version, done.redo, this.ctx.sim.now) : null,
          ]
        : [],
    );
    this.storage.checkpointer.manual(n);
  }

  /**
   * `n` removed WAL at a checkpoint (storage.ts): a walsender that still needs a removed segment fails
   * (walsender.c XLogRead / CheckXLogRemoved: "requested WAL segment %s has already been removed").
   */
  walRemoved(n: PgNode, horizon: Horizon): void {
    this.retries.upstreamRemovedWal(n);
    const now = this.ctx.sim.now;
    for (const s of [...this.streams.from(n)]) {
      const pos = segmentStart(s.down.walEnd(now), s.down.settings.walSegmentSize);
      if (pos < n.oldestRetained && (s.limit === null || s.down.walEnd(now) < s.limit - 0.5)) {
        const seg = walFileName(s.timeline.tli, pos, s.down.settings.walSegmentSize);
        this.closeStream(s);
        if (s.down.running && s.down.role.kind === 'standby') {
          s.down.role.walreceiver = null;
          const retention = horizon.decidedBy === 'slot-capped' ? ({ kind: 'slots-capped' } as const) : retentionFact(n);
          this.wait(s.down, 'wal-removed', pgLog.walRemoved(seg), { kind: 'segment-removed', rule: 'xlog.c:RemoveOldXlogFiles', node: s.down.name, upstream: n.name, segment: seg, retention, behind: Math.round(n.walEnd(now) - s.down.walEnd(now)) });
        }
      }
    }
  }

  /** `n`, a standby, filled its pg_wal volume: its walreceiver ends, and the startup process retries (storage.ts volumeFull). */
  pgWalFull(n: PgNode): void {
    const streams = [...this.streams.into(n)];
    if (n.role.kind !== 'standby' || streams.length === 0) return;
    for (const s of streams) this.closeStream(s);
    n.role.walreceiver = null;
    this.wait(n, 'pg-wal-full', this.storage.receiveOutOfSpace(n), { kind: 'receiver-pg-wal-full', node: n.name, upstream: streams[0]!.up.name, volume: n.storage.walVolume ?? 0 });
  }

  /** `n`'s restartpoint made room on its pg_wal volume: a retry loop parked on the full volume tries again (retry.ts). */
  pgWalRoomAgain(n: PgNode): void {
    if (n.role.kind === 'standby' && n.role.receiver.status === 'waiting' && n.role.receiver.reason === 'pg-wal-full' && this.retries.isParked(n)) this.retries.resume(n);
  }

  /**
   * The node whose history survives at the end: the running primary most client pools write to; else the
   * running primary on the newest timeline. Null when no node is a running primary.
   */
  survivor(now: Micros): { node: PgNode; why: SurvivorWhy } | null {
    const routed = this.writes.targets().find((n) => n.running && n.isPrimary);
    if (routed) return { node: routed, why: 'routed' };
    const primaries = [...this.nodes.values()].filter((n) => n.running && n.isPrimary);
    primaries.sort((a, b) => b.tli - a.tli || b.walEnd(now) - a.walEnd(now) || (a.name < b.name ? -1 : 1));
    const p = primaries[0];
    return p ? { node: p, why: 'newest-timeline' } : null;
  }
}

/** The first timeline of a history: it identifies the database system (its system identifier). */
function rootOf(tl: Timeline): Timeline {
  let t = tl;
  while (t.parent) t = t.parent;
  return t;
}

/** The TLI that follows `tli` in `tl`'s history (the timeline that branched from it). */
function childTliAfter(tl: Timeline, tli: number): number {
  const h = historyOf(tl);
  const i = h.findIndex((e) => e.timeline.tli === tli);
  return i > 0 ? h[i - 1]!.timeline.tli : tli;
}

/**
 * The checkpointer of every server of a cluster: checkpoints on a primary, restartpoints on a standby, and the
 * WAL each removes at its end (../shared/domain/postgres-2.md §1, rules 1-6).
 *
 * - Triggers (checkpointer.c CheckpointerMain): `checkpoint_timeout` after the *start* of the previous one;
 *   WAL volume (xlog.c XLogCheckpointNeeded: the WAL reaches segment seg(redo) + CheckPointSegments, on a
 *   standby the replayed WAL); the plan's `checkpoint` (CHECKPOINT: immediate); promotion (a spread forced one,
 *   9.3+); a clean shutdown; crash recovery at start (immediate).
 * - Spread (checkpointer.c IsCheckpointOnSchedule): a checkpoint's redo point is where it starts; it ends when
 *   checkpoint_completion_target of the interval has passed, in time (of checkpoint_timeout) or in WAL (of
 *   CheckPointSegments segments), whichever comes first; or sooner when it has few buffers to write, as it naps
 *   100 ms at most per buffer (checkpointer.c CheckpointWriteDelay). Immediate ones end at once.
 * - log_checkpoints: the lines of the checkpoints it starts by itself (`time`, `wal`) are written here, as
 *   chatter outside any event (history/chatter.ts); CHECKPOINT's, a promotion's and a shutdown's are written
 *   by the cluster with the event of that step.
 * - Restartpoints (xlog.c CreateRestartPoint) only at a checkpoint record the standby has replayed and whose
 *   redo is past the last restartpoint's; otherwise skipped and retried 15 s later.
 * - At the end: the removal horizon of retention.ts, slots invalidated (13+), the archive gate; WAL before it is
 *   gone, and streams that still needed it end (the cluster's walRemoved).
 *
 * Events only where something changes: the WAL-volume trigger and a spread checkpoint's end are computed from
 * the WAL level's rate (Level.timeToReach) and re-planned when a reflow changes that rate, never polled.
 */
import type { EventHandle } from '../../engine/simulation.ts';
import { NEVER, seconds, type Micros } from '../../engine/time.ts';
import type { EventKind } from '../../history/history.ts';
import { PRIORITY, type WorldContext } from './context.ts';
import { formatLsn, type Lsn } from './lsn.ts';
import type { LogLine } from './messages.ts';
import type { PgNode } from './node.ts';
import { CheckpointRecords, MAX_RECORDS_PER_TIMELINE, type CheckpointRecord } from './records.ts';
import { checkpointSegments, distanceTrigger, nextDistanceEstimate, recycle, recycleSegNo, removalHorizon, segNo, type Horizon } from './retention.ts';
import { serverLog, SHARED_BUFFERS, type CheckpointFlags } from './server-log.ts';
import { isAncestorOrSelf, timelineAt } from './timeline.ts';
import type { Fact } from '../../history/facts/index.ts';

/** checkpointer.c CheckpointerMain: a restartpoint that could not be made is tried again 15 s later. */
export const RESTARTPOINT_RETRY = seconds(15);

/** checkpointer.c CheckpointWriteDelay: the nap after a buffer written while the checkpoint is ahead of schedule. */
export const NAP_PER_BUFFER = 100_000 as Micros;
/** BLCKSZ. */
const BLCKSZ = 8192;

/**
 * The buffers a checkpoint finds dirty (BufferSync marks them at its start), estimated from the WAL since the
 * last one's redo: with full_page_writes the first change of a page after a redo logs its whole image, so
 * there is at most one dirty page per BLCKSZ of WAL; at most shared_buffers. An approximation: the model keeps
 * no pages (docs/model-postgres.md).
 */
export function dirtyBuffers(walSinceRedo: number): number {
  return Math.min(SHARED_BUFFERS, Math.max(0, Math.ceil(walSinceRedo / BLCKSZ)));
}

/** What the checkpointer needs of its cluster. */
export interface CheckpointHost {
  readonly ctx: WorldContext;
  readonly nodes: ReadonlyMap<string, PgNode>;
  /** Marks a server for the next `afterReflow` (changed-nodes.ts): its triggers are planned again there. */
  recheck(n: PgNode): void;
  replayPosition(n: PgNode, now: Micros): Lsn;
  /** A standby's replay position, its rate (bytes/µs) and when that rate changes by itself (replay.ts). */
  replayAt(n: PgNode, now: Micros): { readonly lsn: Lsn; readonly rate: number; readonly changesAt: number };
  log(node: PgNode | null, kind: EventKind, fact: Fact, lines?: readonly (LogLine | null)[]): void;
  /** The oldest restart_lsn of the valid slots on `n`, or null. */
  slotMinimum(n: PgNode): Lsn | null;
  /** 13+: invalidate `n`'s slots whose restart_lsn is before `below`; true if any was. */
  invalidateSlots(n: PgNode, below: Lsn, horizon: Horizon): boolean;
  /** The first position `n` may not remove because it is not archived yet (null: nothing waits). */
  archiveGate(n: PgNode): Lsn | null;
  /** `n` removed WAL (n.oldestRetained moved): streams that still need it end. */
  walRemoved(n: PgNode, horizon: Horizon): void;
  /** A checkpoint completed on `n` (its pg_wal changed): other models may re-plan. */
  checkpointDone(n: PgNode): void;
  /** A checkpoint started on primary `n`: its redo point moved (pages change with full-page images again). */
  redoMoved(n: PgNode): void;
}

interface Running {
  readonly redo: Lsn;
  /** A restartpoint's replayed checkpoint record; null for a checkpoint (its record is written at the end). */
  readonly record: CheckpointRecord | null;
  readonly startedAt: Micros;
  /** The WAL position at the start (insert, or replay on a standby): the WAL term of the schedule. */
  readonly startLsn: Lsn;
  immediate: boolean;
  end: EventHandle | null;
  /** The WAL rate the end was planned with. */
  plannedRate: number;
  /** Dirty buffers it writes (dirtyBuffers). */
  readonly buffers: number;
  /** Its log_checkpoints flags when the checkpointer logs it (a self-started one), else null. */
  readonly logged: CheckpointFlags | null;
}

interface NodeState {
  /** RedoRecPtr: the redo point of the newest checkpoint started (a standby: of its newest restartpoint). */
  redo: Lsn;
  /** ControlFile->checkPointCopy.redo: the redo point of the last completed checkpoint. */
  completedRedo: Lsn;
  /** last_checkpoint_time: the start of the last checkpoint (timed ones come at a fixed spacing). */
  lastStart: Micros;
  running: Running | null;
  /** Requests merged into the next checkpoint (checkpointer.c RequestCheckpoint). */
  requested: { xlog: boolean; immediate: boolean; force: boolean };
  /** WAL end after the last checkpoint record: nothing written since means an idle server (skip). */
  lastRecordEnd: Lsn;
  timer: EventHandle | null;
  distance: EventHandle | null;
  distanceRate: number;
  /** A standby whose last restartpoint attempt found no new replayed checkpoint record. */
  waitingForRecord: { readonly failedAt: Micros } | null;
  /** CheckPointDistanceEstimate (xlog.c, the checkpointer's own: 0 at each start). */
  estimate: number;
  /** The highest segment recycled as a future one (-1: none); pg_wal's files reach it (storage.ts pgWalSize). */
  future: number;
  /** What the last removal did, for log_checkpoints' `N removed, M recycled`. */
  lastRemoval: { removed: number; recycled: number };
}

export class Checkpointer {
  readonly records = new CheckpointRecords();
  private readonly state = new Map<PgNode, NodeState>();
  private addedSincePrune = 0;

  constructor(private readonly host: CheckpointHost) {}

  private get sim() {
    return this.host.ctx.sim;
  }

  /** `n`'s data directory was replaced (rebuild.ts): its checkpoint state starts afresh from `n.checkpoint`. */
  forget(n: PgNode): void {
    const s = this.state.get(n);
    if (!s) return;
    this.clearTimers(n, s);
    if (s.running) this.sim.cancel(s.running.end);
    this.state.delete(n);
  }

  private stateOf(n: PgNode): NodeState {
    let s = this.state.get(n);
    if (!s) {
      // The last checkpoint before the scenario starts is the node's checkpoint record; its redo is there too.
      const redo = n.checkpoint.lsn;
      s = {
        redo,
        completedRedo: redo,
        lastStart: this.sim.now,
        running: null,
        requested: { xlog: false, immediate: false, force: false },
        lastRecordEnd: n.walEnd(this.sim.now),
        timer: null,
        distance: null,
        distanceRate: Number.NaN,
        waitingForRecord: null,
        estimate: 0,
        future: -1,
        lastRemoval: { removed: 0, recycled: 0 },
      };
      this.state.set(n, s);
      this.host.recheck(n);
      if (n.isPrimary) this.records.add({ lsn: n.checkpoint.lsn, redo, timeline: timelineAt(n.wal.timeline, n.checkpoint.lsn) });
    }
    return s;
  }

  /** RedoRecPtr: the redo point of the newest checkpoint `n` started (a standby: of its newest restartpoint). */
  redoRecPtr(n: PgNode): Lsn {
    return this.stateOf(n).redo;
  }

  /** The redo point of `n`'s last completed checkpoint (restartpoint). */
  completedRedo(n: PgNode): Lsn {
    return this.stateOf(n).completedRedo;
  }

  // ------------------------------------------------------------------ lifecycle

  /**
   * The server starts (at boot, or a start after a stop or crash): the checkpointer counts from now. Crash
   * recovery of a primary ends with an immediate checkpoint (xlog.c StartupXLOG / PerformRecoveryXLogAction:
   * CHECKPOINT_END_OF_RECOVERY | CHECKPOINT_IMMEDIATE).
   */
  start(n: PgNode, afterCrash: boolean): void {
    const s = this.stateOf(n);
    this.clearTimers(n, s);
    s.lastStart = this.sim.now;
    s.waitingForRecord = null;
    s.requested = { xlog: false, immediate: false, force: false };
    s.estimate = 0;
    if (afterCrash && n.isPrimary) {
      this.begin(n, { immediate: true, force: true, quiet: true });
      return;
    }
    this.plan(n);
  }

  /**
   * The server goes down. A crash loses the running checkpoint (the control file still names the last
   * completed one); a clean shutdown runs an immediate one first (xlog.c ShutdownXLOG), after the cluster wrote
   * a primary's shutdown checkpoint record.
   */
  stop(n: PgNode, how: 'stopped' | 'crashed'): void {
    const s = this.stateOf(n);
    if (how === 'stopped') {
      if (s.running) this.complete(n);
      if (n.isPrimary) this.shutdownCheckpoint(n);
      else this.begin(n, { immediate: true, force: false, quiet: true });
    }
    if (s.running) this.sim.cancel(s.running.end);
    s.running = null;
    s.redo = s.completedRedo;
    this.clearTimers(n, s);
    s.waitingForRecord = null;
  }

  /**
   * A promotion ends recovery: the server writes an end-of-recovery record and requests a spread checkpoint
   * (9.3+ "fast promotion": RequestCheckpoint(CHECKPOINT_FORCE)); 9.2 ran an immediate end-of-recovery
   * checkpoint. A restartpoint still running is abandoned (the model's simplification).
   */
  promoted(n: PgNode): void {
    const s = this.stateOf(n);
    if (s.running) this.sim.cancel(s.running.end);
    s.running = null;
    s.redo = s.completedRedo;
    s.waitingForRecord = null;
    s.lastRecordEnd = -1;
    this.begin(n, { immediate: n.version < 9.3, force: true, quiet: true });
  }

  /**
   * What the plan's CHECKPOINT will do on `n`: a checkpoint on a primary (forced), on a standby a restartpoint at
   * the newest checkpoint record replayed if it is newer than the last restartpoint's, else nothing (xlog.c
   * CreateRestartPoint: "skipping restartpoint", DEBUG2); `redo` and `lsn`: the checkpoint's positions.
   */
  manualOutcome(n: PgNode): { readonly kind: 'checkpoint' | 'restartpoint'; readonly redo: Lsn; readonly lsn: Lsn } | null {
    if (!n.running) return null;
    const now = this.sim.now;
    if (n.isPrimary) return { kind: 'checkpoint', redo: n.walEnd(now), lsn: n.walEnd(now) };
    const s = this.stateOf(n);
    const record = s.running?.record ?? this.records.newestBefore(n.wal.timeline, this.host.replayPosition(n, now));
    return record && (s.running !== null || record.redo > s.completedRedo) ? { kind: 'restartpoint', redo: record.redo, lsn: record.lsn } : null;
  }

  /** The checkpoint (a restartpoint on a standby) running on `n`: its redo and when its pacing ends it; null: none. */
  running(n: PgNode): { readonly redo: Lsn; readonly endsAt: Micros } | null {
    const r = this.stateOf(n).running;
    return r ? { redo: r.redo, endsAt: this.spreadEnd(n, r.startedAt, r.startLsn, r.buffers) } : null;
  }

  /**
   * Whether a checkpoint requested of `n` now also carries the cause `time`: checkpoint_timeout has passed
   * since the last one started (checkpointer.c CheckpointerMain, CHECKPOINT_CAUSE_TIME).
   */
  timeElapsed(n: PgNode): boolean {
    const s = this.stateOf(n);
    // A standby retrying a skipped restartpoint makes an attempt every 15 s (those that change nothing are not
    // simulated), each setting the clock back: a request in between finds less than checkpoint_timeout passed.
    if (s.waitingForRecord) return false;
    return this.sim.now - s.lastStart >= n.settings.checkpointTimeout;
  }

  /** The plan's CHECKPOINT: immediate and forced; a running spread checkpoint stops throttling first. */
  manual(n: PgNode): void {
    if (!n.running) return;
    const s = this.stateOf(n);
    if (s.running) {
      s.requested.immediate = true;
      s.requested.force = n.isPrimary;
      this.complete(n);
      return;
    }
    this.begin(n, { immediate: true, force: n.isPrimary, quiet: true });
  }

  /** A setting changed (reload): re-plan triggers and a running checkpoint's end. */
  reload(n: PgNode): void {
    if (!n.running) return;
    const s = this.stateOf(n);
    if (s.running) this.planEnd(n, s.running);
    this.plan(n);
  }

  /**
   * After a reflow: WAL rates may have changed; triggers and ends computed from them move. `changed`: the servers
   * whose WAL level moved since the last call, and those marked by `recheck` (the others' rates are what their
   * triggers were planned at).
   */
  afterReflow(changed: readonly PgNode[]): void {
    for (const n of changed) {
      if (!n.running) continue;
      const s = this.state.get(n);
      if (!s) continue;
      const rate = n.wal.end.rate;
      if (s.running && !s.running.immediate && s.running.plannedRate !== rate) this.planEnd(n, s.running);
      // Compared before planDistance records the new rate (a standby waiting for a record re-plans its wait too).
      const changed = s.distanceRate !== rate;
      if (changed) this.planDistance(n, s);
      if (s.waitingForRecord && changed) this.planRecordWait(n, s);
    }
  }

  // ------------------------------------------------------------------ triggers

  /** Timed trigger and WAL-volume trigger from the current state. */
  private plan(n: PgNode): void {
    const s = this.stateOf(n);
    if (!n.running || !this.canCheckpoint(n)) return;
    if (s.waitingForRecord) this.planRecordWait(n, s);
    else this.planTimer(n, s);
    this.planDistance(n, s);
  }

  private canCheckpoint(n: PgNode): boolean {
    // A standby that has not read its checkpoint record has replayed nothing: no restartpoint, no removal.
    return n.role.kind === 'primary' || n.role.phase === 'redo';
  }

  private planTimer(n: PgNode, s: NodeState): void {
    this.sim.cancel(s.timer);
    const at = Math.max(this.sim.now, s.lastStart + n.settings.checkpointTimeout) as Micros;
    s.timer = this.sim.at(at, `checkpoint ${n.name}`, () => {
      s.timer = null;
      if (!n.running) return;
      // While a checkpoint runs the checkpointer does not look at the clock; the end re-checks.
      if (!s.running) this.begin(n, { immediate: false, force: false });
    }, PRIORITY.checkpoint);
  }

  /** The WAL-volume trigger: the WAL (replayed WAL on a standby) reaching segment seg(redo) + CheckPointSegments. */
  private planDistance(n: PgNode, s: NodeState): void {
    this.sim.cancel(s.distance);
    s.distance = null;
    s.distanceRate = n.wal.end.rate;
    // A standby waiting for a record: the record wait below covers the WAL-volume requests too.
    if (!n.running || !this.canCheckpoint(n) || s.requested.xlog || s.waitingForRecord) return;
    const seg = n.settings.walSegmentSize;
    let threshold = distanceTrigger(s.redo, checkpointSegments(n.version, n.settings), seg);
    // The request comes when a segment is filled (xlog.c XLogWrite, XLogCheckpointNeeded): on a primary, at the
    // end of the first segment filled after the last checkpoint record, not at once after a skipped one (which
    // requested again at the same instant, without end, when a reload lowered max_wal_size at a segment's end).
    if (n.isPrimary && threshold <= s.lastRecordEnd) threshold = (Math.floor(s.lastRecordEnd / seg) + 1) * seg;
    const at = this.reachTime(n, threshold);
    // Only when it comes before whatever re-plans it anyway: the end of the running checkpoint, or the next
    // timed one (a change of rate re-plans it too: afterReflow). A slow writer then costs no event for it.
    const horizon = s.running ? (s.running.end?.time ?? NEVER) : s.lastStart + n.settings.checkpointTimeout;
    if (at === NEVER || at >= horizon) return;
    s.distance = this.sim.at(at, `checkpoint distance ${n.name}`, () => {
      s.distance = null;
      if (!n.running) return;
      if (this.position(n) < threshold) {
        // The replay's rate changed on the way (reachTime stops there): plan again from here.
        this.planDistance(n, s);
        return;
      }
      s.requested.xlog = true;
      if (!s.running) this.begin(n, { immediate: false, force: false });
    }, PRIORITY.checkpoint);
  }

  /**
   * A standby whose restartpoint found no new record: the real checkpointer retries every 15 s; the attempts in
   * between change nothing, so the model schedules only the first one that can succeed, on the same 15 s grid:
   * once the replay has passed a record newer than the last restartpoint (or when a new record is written).
   */
  private planRecordWait(n: PgNode, s: NodeState): void {
    this.sim.cancel(s.timer);
    s.timer = null;
    const wait = s.waitingForRecord;
    if (!wait || !n.running) return;
    const r = this.records.firstAfterRedo(n.wal.timeline, s.completedRedo);
    if (!r) return; // woken by recordAdded
    const reach = this.reachTime(n, r.lsn + 1);
    if (reach === NEVER) return; // woken by a reflow that moves the replay
    const k = Math.max(1, Math.ceil((reach - wait.failedAt) / RESTARTPOINT_RETRY));
    let at = Math.max(this.sim.now, wait.failedAt + k * RESTARTPOINT_RETRY) as Micros;
    // A WAL-volume request comes sooner: the startup process asks at the end of every segment it replays
    // past seg(redo) + CheckPointSegments (xlogrecovery.c XLogPageRead), the first one after the record.
    const seg = n.settings.walSegmentSize;
    const threshold = Math.max(distanceTrigger(s.redo, checkpointSegments(n.version, n.settings), seg), (Math.floor(r.lsn / seg) + 1) * seg);
    const attempt = at;
    at = Math.min(at, Math.max(this.sim.now, this.reachTime(n, threshold))) as Micros;
    s.timer = this.sim.at(at, `restartpoint ${n.name}`, () => {
      s.timer = null;
      // An attempt of the 15 s grid has the cause `time`; a WAL-volume request before it, `wal`.
      if (at !== attempt) s.requested.xlog = true;
      if (n.running && !s.running) this.begin(n, { immediate: false, force: false, time: at === attempt });
    }, PRIORITY.checkpoint);
  }

  /** A primary wrote a checkpoint record: standbys waiting for one may now make a restartpoint. */
  private recordAdded(): void {
    for (const [n, s] of this.state) if (s.waitingForRecord && n.running && !s.timer) this.planRecordWait(n, s);
  }

  /** Where the trigger's WAL stands: the insert position on a primary, the replay position on a standby. */
  private position(n: PgNode): Lsn {
    return n.isPrimary ? n.walEnd(this.sim.now) : this.host.replayPosition(n, this.sim.now);
  }

  /**
   * When the trigger's WAL reaches `lsn` at the present rates (NEVER if it does not move). A standby's replay
   * moves at its own rate until that rate changes by itself (the replay catching up with its flush, an apply
   * delay's gate: replay.ts); the event is then re-planned from there.
   */
  private reachTime(n: PgNode, lsn: Lsn): Micros {
    const now = this.sim.now;
    if (n.isPrimary) return n.walEnd(now) >= lsn ? now : n.wal.end.timeToReach(lsn, now);
    const p = this.host.replayAt(n, now);
    if (p.lsn >= lsn) return now;
    const at = p.rate > 0 ? now + Math.max(1, Math.ceil((lsn - p.lsn) / p.rate)) : NEVER;
    return Math.min(at, Math.max(now + 1, p.changesAt)) as Micros;
  }

  // ------------------------------------------------------------------ one checkpoint

  /**
   * Start a checkpoint (a restartpoint on a standby). `quiet`: its log_checkpoints lines are the caller's (a
   * CHECKPOINT, a promotion, a shutdown, the end of crash recovery); otherwise those of a checkpoint with a
   * cause of its own (`time`, `wal`) are logged here.
   */
  private begin(n: PgNode, how: { immediate: boolean; force: boolean; quiet?: boolean; time?: boolean }): void {
    const s = this.stateOf(n);
    const now = this.sim.now;
    if (!n.running || s.running || !this.canCheckpoint(n)) return;
    const immediate = how.immediate || s.requested.immediate;
    const force = how.force || s.requested.force;
    const xlog = s.requested.xlog;
    // checkpointer.c CheckpointerMain: CHECKPOINT_CAUSE_TIME when checkpoint_timeout has passed since the last start.
    const time = how.time ?? this.timeElapsed(n);
    const logged = !how.quiet && n.settings.logCheckpoints && (time || xlog);
    const flags = (restartpoint: boolean): CheckpointFlags | null => (logged ? { restartpoint, immediate, force, xlog, time } : null);
    s.requested = { xlog: false, immediate: false, force: false };
    if (n.isPrimary) {
      const insert = n.walEnd(now);
      if (!force && insert <= s.lastRecordEnd + 0.5) {
        // xlog.c CreateCheckPoint: nothing written since the last checkpoint: skipped, the timer restarts
        // (9.6+ logs it at DEBUG1 only).
        s.lastStart = now;
        this.plan(n);
        return;
      }
      const warning = n.settings.checkpointWarning;
      const apart = Math.floor((now - s.lastStart) / 1e6);
      if (xlog && warning > 0 && apart < warning / 1e6) this.tooFrequent(n, apart);
      s.lastStart = now;
      s.redo = insert;
      this.host.redoMoved(n);
      this.run(n, s, { redo: insert, record: null, startedAt: now, startLsn: insert, immediate, end: null, plannedRate: Number.NaN, buffers: dirtyBuffers(insert - s.completedRedo), logged: flags(false) });
      return;
    }
    // A restartpoint: at the newest checkpoint record replayed, if it is newer than the last restartpoint's.
    const replay = this.host.replayPosition(n, now);
    const record = this.records.newestBefore(n.wal.timeline, replay);
    if (!record || record.redo <= s.completedRedo) {
      // xlog.c CreateRestartPoint: "skipping restartpoint, already performed at %X/%X" (DEBUG2); retried 15 s
      // later (checkpointer.c: last_checkpoint_time = now - CheckPointTimeout + 15).
      s.waitingForRecord = { failedAt: now };
      s.lastStart = (now - n.settings.checkpointTimeout + RESTARTPOINT_RETRY) as Micros;
      this.planRecordWait(n, s);
      this.planDistance(n, s);
      return;
    }
    s.waitingForRecord = null;
    s.lastStart = now;
    s.redo = record.redo;
    this.run(n, s, { redo: record.redo, record, startedAt: now, startLsn: replay, immediate, end: null, plannedRate: Number.NaN, buffers: dirtyBuffers(replay - s.completedRedo), logged: flags(true) });
  }

  private run(n: PgNode, s: NodeState, r: Running): void {
    s.running = r;
    if (r.logged && this.host.ctx.history.chatter.recording) this.host.ctx.history.chatter.add(this.sim.now, n.name, [serverLog.checkpointStarting(r.logged, n.version)]);
    this.sim.cancel(s.timer);
    s.timer = null;
    if (r.immediate) this.complete(n);
    else {
      this.planEnd(n, r);
      this.planDistance(n, s);
    }
  }

  /**
   * A spread checkpoint ends when checkpoint_completion_target of its interval has passed: of
   * checkpoint_timeout in time, or of CheckPointSegments segments in WAL since its start (on a standby the
   * replayed WAL, 9.5+; time only before), whichever comes first (checkpointer.c IsCheckpointOnSchedule).
   */
  private planEnd(n: PgNode, r: Running): void {
    this.sim.cancel(r.end);
    r.plannedRate = n.wal.end.rate;
    const at = this.spreadEnd(n, r.startedAt, r.startLsn, r.buffers);
    r.end = this.sim.at(at, `checkpoint end ${n.name}`, () => {
      r.end = null;
      if (n.running && this.stateOf(n).running === r) this.complete(n);
    }, PRIORITY.checkpoint);
  }

  /**
   * When a spread checkpoint of `n` started at `startedAt` with its WAL (insert, or replay on a standby) at
   * `startLsn` and `buffers` dirty buffers ends, at the present rates (planEnd; a base backup's spread checkpoint:
   * rebuild.ts).
   */
  spreadEnd(n: PgNode, startedAt: Micros, startLsn: Lsn, buffers: number): Micros {
    const cct = n.settings.checkpointCompletionTarget;
    let at = (startedAt + Math.round(cct * n.settings.checkpointTimeout)) as Micros;
    if (n.isPrimary || n.version >= 9.5) {
      const walTerm = startLsn + cct * checkpointSegments(n.version, n.settings) * n.settings.walSegmentSize;
      at = Math.min(at, this.reachTime(n, walTerm)) as Micros;
    }
    // Ahead of schedule it naps at most 100 ms per buffer written, so a few buffers are written in moments.
    at = Math.min(at, startedAt + buffers * NAP_PER_BUFFER) as Micros;
    return Math.max(at, this.sim.now) as Micros;
  }

  /** The end of the running checkpoint: its record (a primary), the control file, then WAL removal. */
  private complete(n: PgNode): void {
    const s = this.stateOf(n);
    const r = s.running;
    if (!r) return;
    this.sim.cancel(r.end);
    s.running = null;
    const now = this.sim.now;
    if (n.isPrimary) {
      // The record is written at the end of WAL, strictly before the WAL that follows it: a node stopped
      // exactly at a switchpoint keeps its checkpoint on the parent timeline (rules 9-10).
      const lsn = Math.max(r.redo, Math.floor(n.walEnd(now)) - 1);
      const tip = n.wal.timeline;
      const timeline = lsn >= tip.begin ? tip : timelineAt(tip, lsn);
      n.checkpoint = { lsn, tli: timeline.tli };
      this.addRecord({ lsn, redo: r.redo, timeline });
      s.lastRecordEnd = n.walEnd(now);
    } else {
      n.checkpoint = { lsn: r.record!.lsn, tli: r.record!.timeline.tli };
    }
    const prior = s.completedRedo;
    s.completedRedo = r.redo;
    this.remove(n, r.redo, prior);
    if (r.logged && this.host.ctx.history.chatter.recording) this.logComplete(n, r, prior);
    this.host.checkpointDone(n);
    this.afterCheckpoint(n, s);
  }

  /**
   * xlog.c LogCheckpointEnd (and CreateRestartPoint's `recovery restart point at`, with the time of the last
   * commit replayed, which the model does not keep: it prints the restartpoint's).
   */
  private logComplete(n: PgNode, r: Running, priorRedo: Lsn): void {
    const s = this.stateOf(n);
    const restartpoint = r.record !== null;
    const lsn = r.record?.lsn ?? n.checkpoint.lsn;
    this.host.ctx.history.chatter.add(this.sim.now, n.name, [
      serverLog.checkpointComplete(n.version, restartpoint, s.lastRemoval, Math.round((r.redo - priorRedo) / 1024), lsn, r.redo, r.buffers, Math.round(s.estimate / 1024)),
      ...(restartpoint ? [serverLog.recoveryRestartPoint(n.version, r.redo, this.sim.now)] : []),
    ]);
  }

  /** After a checkpoint ends: merged requests run now; a timeout that passed meanwhile starts the next one. */
  private afterCheckpoint(n: PgNode, s: NodeState): void {
    if (!n.running) return;
    if (s.requested.xlog || s.requested.immediate || s.requested.force) {
      this.begin(n, { immediate: false, force: false });
      return;
    }
    if (this.sim.now - s.lastStart >= n.settings.checkpointTimeout) {
      this.begin(n, { immediate: false, force: false });
      return;
    }
    this.plan(n);
  }

  /** A primary's clean shutdown: its shutdown checkpoint record is at the end of its WAL (cluster.ts wrote it). */
  private shutdownCheckpoint(n: PgNode): void {
    const s = this.stateOf(n);
    const redo = n.checkpoint.lsn;
    this.addRecord({ lsn: redo, redo, timeline: timelineAt(n.wal.timeline, redo) });
    s.lastRecordEnd = n.walEnd(this.sim.now);
    const prior = s.completedRedo;
    s.completedRedo = redo;
    s.redo = redo;
    this.remove(n, redo, prior);
  }

  /**
   * WAL removal at the end of a checkpoint (xlog.c CreateCheckPoint / CreateRestartPoint): the horizon of
   * retention.ts, 13+ slots past it invalidated (18 then recomputes the horizon without them), never past a
   * segment not yet archived (xlogarchive.c XLogArchiveCheckDone).
   */
  private remove(n: PgNode, redo: Lsn, priorRedo: Lsn): void {
    const now = this.sim.now;
    const seg = n.settings.walSegmentSize;
    const s = this.stateOf(n);
    // xlog.c CreateCheckPoint / CreateRestartPoint: the distance estimate first (9.5+), from the prior redo.
    if (redo > priorRedo) s.estimate = nextDistanceEstimate(s.estimate, redo - priorRedo);
    s.lastRemoval = { removed: 0, recycled: 0 };
    // recptr: the end of the checkpoint record; a restartpoint uses the larger of received and replayed WAL.
    const recptr = n.walEnd(now);
    const slotMinimum = this.host.slotMinimum(n);
    let horizon = removalHorizon({ version: n.version, settings: n.settings, redo, priorRedo, recptr, slotMinimum });
    // 18+: the same step also invalidates slots idle longer than idle_replication_slot_timeout (slots.ts).
    const idleCheck = n.version >= 18 && n.settings.idleReplicationSlotTimeout > 0;
    if (slotMinimum !== null && horizon.invalidateBelow !== null && (slotMinimum < horizon.invalidateBelow || idleCheck) && this.host.invalidateSlots(n, horizon.invalidateBelow, horizon) && n.version >= 18) {
      horizon = removalHorizon({ version: n.version, settings: n.settings, redo, priorRedo, recptr, slotMinimum: this.host.slotMinimum(n) });
    }
    let keepFrom = horizon.keepFrom * seg;
    const gate = this.host.archiveGate(n);
    if (gate !== null) keepFrom = Math.min(keepFrom, Math.floor(gate / seg) * seg);
    if (keepFrom > n.oldestRetained) {
      // Removed segments become future ones up to XLOGfileslop (retention.ts recycle): pg_wal's files stay.
      const removed = segNo(keepFrom, seg) - segNo(n.oldestRetained, seg);
      const lastRedo = n.version >= 11 ? redo : priorRedo;
      const r = recycle(removed, recptr, seg, s.future, recycleSegNo(n.version, n.settings, lastRedo, recptr, s.estimate));
      s.future = r.future;
      s.lastRemoval = { removed: removed - r.recycled, recycled: r.recycled };
      n.oldestRetained = keepFrom;
      this.host.walRemoved(n, horizon);
    }
  }

  /** The highest future segment `n`'s pg_wal holds (recycled at its checkpoints), -1 if none. */
  futureSegment(n: PgNode): number {
    return this.state.get(n)?.future ?? -1;
  }

  private tooFrequent(n: PgNode, apart: number): void {
    // checkpointer.c CheckpointerMain (errmsg_plural); the HINT names checkpoint_segments up to 9.4.
    const line: LogLine = {
      process: 'checkpointer',
      level: 'LOG',
      message: `checkpoints are occurring too frequently (${apart} ${apart === 1 ? 'second' : 'seconds'} apart)`,
      hint: `Consider increasing the configuration parameter "${n.version < 9.5 ? 'checkpoint_segments' : 'max_wal_size'}".`,
    };
    const cps = checkpointSegments(n.version, n.settings);
    this.host.log(n, 'checkpoint', { kind: 'checkpoints-too-frequent', rule: 'checkpointer.c:CheckpointerMain', node: n.name, apart, segments: cps, checkpointWarning: n.settings.checkpointWarning }, [line]);
  }

  private addRecord(r: CheckpointRecord): void {
    this.records.add(r);
    if (++this.addedSincePrune >= MAX_RECORDS_PER_TIMELINE / 2) this.prune();
    this.recordAdded();
  }

  /**
   * Drop the records no server can still make a restartpoint at: on each timeline, those before the newest
   * record below every server's position there (replay can only move forward, or back to a switchpoint, which
   * is past that record); then bound what is left (CheckpointRecords.thin).
   */
  private prune(): void {
    this.addedSincePrune = 0;
    for (const [tl] of [...this.records.timelines()]) {
      let floor = Number.POSITIVE_INFINITY;
      for (const n of this.host.nodes.values()) {
        if (!isAncestorOrSelf(tl, n.wal.timeline)) continue;
        const r = this.records.newestBefore(n.wal.timeline, this.position(n));
        if (r && r.timeline === tl) floor = Math.min(floor, r.lsn);
        else if (!r || !isAncestorOrSelf(tl, r.timeline)) floor = Number.NEGATIVE_INFINITY; // it has yet to pass tl's records
      }
      if (floor > Number.NEGATIVE_INFINITY) this.records.dropBefore(tl, floor);
      this.records.thin(tl);
    }
  }

  private clearTimers(n: PgNode, s: NodeState): void {
    this.sim.cancel(s.timer);
    this.sim.cancel(s.distance);
    s.timer = null;
    s.distance = null;
    s.distanceRate = Number.NaN;
    // No rate planned at: the next reflow plans the WAL-volume trigger even if the rate stays.
    this.host.recheck(n);
  }

  /** For tests and the report: what the checkpointer of `n` is doing. */
  describe(n: PgNode): { redo: string; completedRedo: string; running: boolean } {
    const s = this.stateOf(n);
    return { redo: formatLsn(s.redo), completedRedo: formatLsn(s.completedRedo), running: s.running !== null };
  }
}

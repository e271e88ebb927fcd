import type { EventHandle } from '../../engine/simulation.ts';
import { NEVER, type Micros } from '../../engine/time.ts';
import type { PgCluster } from './cluster.ts';
import { PRIORITY } from './context.ts';
import type { Lsn } from './lsn.ts';
import type { PgNode } from './node.ts';
import type { ReplayModel } from './replay.ts';
import { timelineAt, type Timeline } from './timeline.ts';
import type { Session } from './vacuum/horizons.ts';

/**
 * A WAL record a standby's startup process cannot replay while some of its queries run (standby.c
 * ResolveRecoveryConflictWithSnapshot, ResolveRecoveryConflictWithLock): a cleanup record removing row versions
 * a query's snapshot may still need, or an AccessExclusiveLock (XLOG_STANDBY_LOCK) on a table a query holds a
 * lock on. `conflictsWith` says which queries (the producer knows: vacuum/model.ts, vacuum/operations.ts).
 */
export interface ConflictRecord {
  readonly kind: 'snapshot' | 'lock';
  readonly lsn: Lsn;
  /** The timeline the primary wrote it on: a standby replays it only if that is its history there. */
  readonly timeline: Timeline;
  readonly database: string;
  readonly table: string;
  readonly conflictsWith: (q: Session) => boolean;
  /**
   * A lock record: the transaction that took the lock (its lock owner on the primary), and who it is for the
   * report. The standby's startup process holds the lock from the record's replay until that of the
   * transaction's commit or abort (`released`).
   */
  readonly holder?: { readonly owner: object; readonly who: string };
}

/** A lock record's conflict: the queries of `database` that read `table` (`tables`; null: every table of it). */
export function readsTable(database: string, table: string): (q: Session) => boolean {
  return (q) => q.database === database && (q.tables === null || q.tables.some((t) => t.database === database && t.table === table));
}

/** Where the primary's WAL ends a transaction whose lock records a standby replays (its commit or abort record). */
interface Release {
  readonly lsn: Lsn;
  readonly timeline: Timeline;
}

interface Wait {
  readonly record: ConflictRecord;
  readonly since: Micros;
  /** NEVER: max_standby_*_delay = -1, replay waits for the queries to end. */
  readonly deadline: number;
  timer: EventHandle | null;
}

/**
 * Hot-standby conflicts (standby.c, xlogrecovery.c): when the startup process reaches a record that conflicts
 * with queries running on the standby, replay stops there (the walreceiver goes on receiving) until the queries
 * end or the grace runs out; then they are cancelled ("canceling statement due to conflict with recovery", a
 * session idle in its transaction is terminated: postgres.c ProcessInterrupts) and replay goes on. The grace
 * (standby.c GetStandbyLimitTime) is max_standby_streaming_delay (WAL from the stream) or
 * max_standby_archive_delay (from the archive or pg_wal) counted from XLogReceiptTime, which the startup process
 * sets only when it has caught up with what was received (xlogrecovery.c WaitForWALToBecomeAvailable), so a
 * standby that is behind has less of it, none at all once it has waited longer than the delay. -1: for ever.
 *
 * Flow level: replay stands still at the record, so everything after it waits, promotion included (the trigger
 * is checked only when there is no WAL left to replay) and remote_apply commits. Approximations
 * (docs/model-postgres.md): XLogReceiptTime is the last recomputation at which replay had caught up with the
 * flush (rates change only at recomputations, so this is when it last was), for the archive the instant replay
 * reaches the record (its file just opened); the source is the stream while the
 * walreceiver streams, else the archive; buffer-pin, tablespace, database and logical-slot conflicts are not
 * modelled; a query's snapshot is the primary's state when it wrote the replay position at the query's start
 * (snapshotTime).
 */
export class RecoveryConflicts {
  /** Records in the order written (LSN order on each timeline). */
  private records: ConflictRecord[] = [];
  /** Per standby: the replay position at the last recomputation (records before it were replayed). */
  private readonly passed = new Map<PgNode, Lsn>();
  /** Per standby: the records it replayed past by cancelling queries, or because none conflicted. */
  private readonly done = new Map<PgNode, Set<ConflictRecord>>();
  /** Per standby: XLogReceiptTime, the last instant its replay had caught up with its flush. */
  private readonly receipt = new Map<PgNode, Micros>();
  private readonly waits = new Map<PgNode, Wait>();
  /**
   * The primary's WAL end at each recomputation (rates change only there, so it is exact in between): the
   * instant a standby's replay position was written, for the snapshot of a query started there (snapshotTime).
   * Kept back to the oldest standby's replay position.
   */
  private walPast: { t: Micros; lsn: Lsn; rate: number }[] = [];
  /** Standbys whose walreceiver is to start once replay no longer waits (deferConnect). */
  private readonly connectLater = new Set<PgNode>();
  /** The end of each lock record's transaction, once the primary wrote it (released). */
  private readonly releases = new Map<object, Release>();
  /** Queries on a standby waiting for a table lock its startup process holds (replayed), with what to do once granted. */
  private readonly lockWaits = new Map<Session, { readonly record: ConflictRecord; readonly since: Micros; readonly granted: (() => void)[] }>();

  constructor(
    private readonly cluster: PgCluster,
    private readonly replay: ReplayModel,
  ) {}

  private get now(): Micros {
    return this.cluster.ctx.sim.now;
  }

  /** A record the primary wrote now (at its WAL end). Only kept when the cluster has a standby. */
  record(r: Omit<ConflictRecord, 'lsn' | 'timeline'>, primary: PgNode): void {
    if (![...this.cluster.nodes.values()].some((n) => n.role.kind === 'standby')) return;
    this.records.push({ ...r, lsn: primary.walEnd(this.now), timeline: primary.wal.timeline });
    this.cluster.requestReflow();
  }

  /**
   * The transaction that took `owner`'s locks ended on the primary (commit or abort record at its WAL end):
   * standby.c StandbyReleaseLockTree releases the replayed AccessExclusiveLocks when a standby replays it.
   * Approximation: a primary that crashed writes no such record; its locks count as released at its WAL end
   * then, not at the running-xacts record its end-of-recovery checkpoint writes (standby.c StandbyReleaseOldLocks).
   */
  released(owner: object, primary: PgNode): void {
    if (this.releases.has(owner) || !this.records.some((r) => r.holder?.owner === owner)) return;
    this.releases.set(owner, { lsn: primary.walEnd(this.now), timeline: primary.wal.timeline });
    this.cluster.requestReflow();
  }

  /**
   * The lock record whose AccessExclusiveLock the startup process of `n` holds at replay position `at` on
   * `table` of `database` (null: none): replayed, its transaction's end not yet. A promotion releases them all
   * (xlog.c StartupXLOG: ShutdownRecoveryTransactionEnvironment -> StandbyReleaseAllLocks).
   */
  private replayedLock(n: PgNode, at: Lsn, database: string, tables: readonly { readonly database: string; readonly table: string }[] | null): ConflictRecord | null {
    if (n.role.kind !== 'standby') return null;
    for (const r of this.records) {
      if (r.kind !== 'lock' || !r.holder || r.database !== database || r.lsn > at + 0.5) continue;
      if (tables !== null && !tables.some((t) => t.database === r.database && t.table === r.table)) continue;
      if (timelineAt(n.wal.timeline, r.lsn) !== r.timeline) continue;
      const end = this.releases.get(r.holder.owner);
      if (end && end.lsn <= at + 0.5 && timelineAt(n.wal.timeline, end.lsn) === end.timeline) continue;
      return r;
    }
    return null;
  }

  /**
   * A query begins on standby `n` reading `tables` (null: every table of its database): if the startup process
   * holds a replayed AccessExclusiveLock on one, its AccessShareLock waits until replay reaches the end of the
   * transaction that took it (a long DDL on the primary keeps the table unreadable on the standby for as long;
   * [15.18] ALTER TABLE ... ADD COLUMN, then pg_sleep(10) before COMMIT on the primary: pg_locks on the standby
   * showed the startup process holding AccessExclusiveLock, and a SELECT begun 1.1 s after the ALTER returned
   * 9.0 s later). Returns whether it waits (onLocked: what to do once it has the lock).
   */
  waitForReplayedLock(q: Session): boolean {
    const n = q.node;
    const r = this.replayedLock(n, this.replay.at(n, this.now).lsn, q.database, q.tables);
    if (!r) return false;
    this.lockWaits.set(q, { record: r, since: this.now, granted: [] });
    this.cluster.log(n, 'replication', { kind: 'standby-lock-wait', node: n.name, session: q.name, table: `${r.database}.${r.table}`, holder: r.holder!.who, rule: 'standby.c:StandbyAcquireAccessExclusiveLock' });
    return true;
  }

  /** Whether query `q` on a standby still waits for a replayed lock (it then holds no lock of its own). */
  waitsForLock(q: Session): boolean {
    return this.lockWaits.has(q);
  }

  /** Something to do once `q` has its lock (now if it does not wait). */
  onLocked(q: Session, f: () => void): void {
    const w = this.lockWaits.get(q);
    if (w) w.granted.push(f);
    else f();
  }

  /** The query ended (cancelled, terminated, its server stopped, a timeout) while it waited: its wait is recorded so. */
  dropLockWait(q: Session, why: 'canceled' | 'lock_timeout' | 'statement_timeout' = 'canceled'): void {
    const w = this.lockWaits.get(q);
    if (!w) return;
    this.lockWaits.delete(q);
    this.recordLockWait(q, w, why);
  }

  /** The table a waiting query waits for ("db.table"), or null. */
  lockWaitTable(q: Session): string | null {
    const r = this.lockWaits.get(q)?.record;
    return r ? `${r.database}.${r.table}` : null;
  }

  /** The end of the run: waits still open are recorded. */
  finish(): void {
    for (const [q, w] of this.lockWaits) this.recordLockWait(q, w, 'still waiting at the end');
    this.lockWaits.clear();
  }

  private recordLockWait(q: Session, w: { readonly record: ConflictRecord; readonly since: Micros }, outcome: 'granted' | 'canceled' | 'lock_timeout' | 'statement_timeout' | 'still waiting at the end'): void {
    const r = w.record;
    this.cluster.ctx.history.lock({
      kind: 'wait',
      cluster: this.cluster.name,
      table: `${r.database}.${r.table}`,
      who: `session "${q.name}" on ${q.node.name}`,
      mode: 'AccessShareLock',
      from: w.since,
      to: this.now,
      outcome,
      chain: [{ who: `startup process of ${q.node.name}, replaying the lock of ${r.holder!.who}`, mode: 'AccessExclusiveLock', since: w.since, waiting: false }],
    });
  }

  /** Grant the waits on `n` whose lock replay has released; the next instant one is released (NEVER: none known). */
  private grantLockWaits(n: PgNode, p: { lsn: Lsn; rate: number }, now: Micros): number {
    let next = NEVER as number;
    for (const [q, w] of [...this.lockWaits]) {
      if (q.node !== n) continue;
      const r = this.replayedLock(n, p.lsn, q.database, q.tables);
      if (r === null) {
        this.lockWaits.delete(q);
        this.recordLockWait(q, w, 'granted');
        this.cluster.log(n, 'replication', { kind: 'standby-lock-granted', node: n.name, session: q.name, table: `${w.record.database}.${w.record.table}`, waited: now - w.since, rule: 'standby.c:StandbyReleaseLockTree' });
        for (const f of w.granted) f();
        continue;
      }
      const end = this.releases.get(r.holder!.owner);
      if (end && p.rate > 0) next = Math.min(next, now + Math.max(1, Math.ceil((end.lsn - p.lsn) / p.rate)));
    }
    return next;
  }

  /** The queries running on standby `n` (the plan's sessions there). */
  private queries(n: PgNode): Session[] {
    const out: Session[] = [];
    for (const s of this.cluster.xid.vacuum.horizons.sessions.values()) if (s.node === n) out.push(s);
    return out;
  }

  /**
   * The first record ahead of `n`'s replay that conflicts with one of its queries now: replay cannot pass it.
   * Null when none (nothing holds replay).
   */
  holding(n: PgNode): { record: ConflictRecord; queries: Session[] } | null {
    if (this.records.length === 0 || n.role.kind !== 'standby' || !n.running) return null;
    const queries = this.queries(n);
    if (queries.length === 0) return null;
    const from = (this.passed.get(n) ?? 0) - 0.5;
    const done = this.done.get(n);
    for (const r of this.records) {
      if (r.lsn < from || done?.has(r)) continue;
      if (timelineAt(n.wal.timeline, r.lsn) !== r.timeline) continue;
      // A cleanup record conflicts only with a backend that has a snapshot (standby.c
      // ResolveRecoveryConflictWithSnapshot -> procarray.c GetConflictingVirtualXIDs skips those whose xmin is
      // invalid): not a session idle in a READ COMMITTED transaction (horizons.ts Session.snapshot).
      // A query waiting for a replayed lock holds no lock yet: no lock record conflicts with it.
      const hit = queries.filter((q) => q.database === r.database && (r.kind === 'snapshot' ? q.snapshot : !this.lockWaits.has(q)) && r.conflictsWith(q));
      if (hit.length > 0) return { record: r, queries: hit };
    }
    return null;
  }

  /** Where replay of `n` stops (null: nowhere). */
  stopAt(n: PgNode): Lsn | null {
    return this.holding(n)?.record.lsn ?? null;
  }

  /**
   * Whether the walreceiver of `n` must not start now: the startup process requests streaming only when it has
   * replayed everything it has (xlogrecovery.c WaitForWALToBecomeAvailable), and it is waiting, or will wait, at
   * a conflicting record in WAL already received [15.18: with replay held, a restart of the primary left the
   * standby without a walreceiver and without a retry until the query ended; then `started streaming`].
   */
  deferConnect(n: PgNode): boolean {
    if (!this.defers(n)) return false;
    this.connectLater.add(n);
    return true;
  }

  private defers(n: PgNode): boolean {
    if (this.waits.has(n)) return true;
    const h = this.holding(n);
    return h !== null && h.record.lsn <= n.walEnd(this.now) + 0.5;
  }

  /** The walreceivers deferred by deferConnect whose startup process now runs out of WAL start. */
  private resumeConnects(): void {
    for (const n of [...this.connectLater]) {
      if (n.running && n.role.kind === 'standby' && this.defers(n)) continue;
      this.connectLater.delete(n);
      if (!n.running || n.role.kind !== 'standby' || this.replay.isPromoting(n)) continue;
      this.cluster.ctx.sim.at(this.now, `walreceiver ${n.name}`, () => this.cluster.connect(n), PRIORITY.protocol);
    }
  }

  /**
   * When the primary wrote `lsn` (now when it has not yet, or when the past is not known): a query that starts
   * on a standby whose replay stands there sees the primary's state of that instant (procarray.c
   * GetSnapshotData from KnownAssignedXids on a standby).
   */
  snapshotTime(lsn: Lsn): Micros {
    const now = this.now;
    const past = this.walPast;
    let i = past.length - 1;
    while (i >= 0 && past[i]!.lsn > lsn) i--;
    if (i < 0) return (past[0]?.t ?? now) as Micros;
    const s = past[i]!;
    const next = past[i + 1]?.t ?? now;
    const t = s.rate > 0 ? s.t + (lsn - s.lsn) / s.rate : s.t;
    return Math.floor(Math.min(t, next, now)) as Micros;
  }

  /** Note the primary's WAL end now, and forget what no standby's replay needs. */
  private sample(now: Micros): void {
    let primary: PgNode | null = null;
    for (const n of this.cluster.nodes.values()) if (n.role.kind === 'primary' && n.running) primary = n;
    const last = this.walPast.at(-1);
    const s = primary ? { t: now, lsn: primary.walEnd(now), rate: primary.wal.end.rate } : { t: now, lsn: last?.lsn ?? 0, rate: 0 };
    if (last && last.t === now) this.walPast[this.walPast.length - 1] = s;
    else if (!last || last.rate !== s.rate || Math.abs(last.lsn + last.rate * (now - last.t) - s.lsn) > 0.5) this.walPast.push(s);
    let low = Number.POSITIVE_INFINITY;
    for (const n of this.cluster.nodes.values()) if (n.role.kind === 'standby' && n.running) low = Math.min(low, this.passed.get(n) ?? 0);
    // A bound on memory: beyond it the oldest instants are forgotten (a query's snapshot then reads as later).
    let cut = Math.max(0, this.walPast.length - 10_000);
    while (cut + 1 < this.walPast.length && this.walPast[cut + 1]!.lsn <= low) cut++;
    if (cut > 0) this.walPast.splice(0, cut);
  }

  /** A query is about to start on `n`: the replay position it sees is fixed first (records it passed stay passed). */
  settle(n: PgNode): void {
    if (n.role.kind === 'standby') this.passed.set(n, Math.max(this.passed.get(n) ?? 0, this.replay.at(n, this.now).lsn));
  }

  /**
   * After a recomputation: note each standby's replay position and whether it has caught up (XLogReceiptTime),
   * start or end the waits of those that reached a conflicting record, and return when the next one reaches one.
   */
  afterReflow(now: Micros): number {
    let next = NEVER as number;
    this.sample(now);
    // XLogReceiptTime is kept for every standby, records or not: a wait's grace counts from it.
    for (const n of this.cluster.nodes.values()) {
      if (n.role.kind !== 'standby' || !n.running) {
        this.endWait(n, false);
        // Promoted: its startup process released every replayed lock at the end of recovery.
        if (n.running && this.lockWaits.size > 0) this.grantLockWaits(n, { lsn: 0 as Lsn, rate: 0 }, now);
        continue;
      }
      const p = this.replay.at(n, now);
      this.passed.set(n, Math.max(this.passed.get(n) ?? 0, p.lsn));
      if (p.lsn >= n.flushed(now) - 0.5) this.receipt.set(n, now);
      // Queries here see row versions the primary's queries prune as they go (vacuum/model.ts logPruning).
      const queries = this.queries(n);
      if (queries.length > 0) this.cluster.xid.vacuum.logPruning(queries);
      if (this.lockWaits.size > 0) next = Math.min(next, this.grantLockWaits(n, p, now));
      if (this.records.length === 0 && this.waits.size === 0) continue;
      const h = this.holding(n);
      const w = this.waits.get(n);
      if (w && w.record !== h?.record) this.endWait(n, true);
      if (!h) continue;
      if (p.lsn < h.record.lsn - 0.5) {
        if (p.rate > 0) next = Math.min(next, now + Math.max(1, Math.ceil((h.record.lsn - p.lsn) / p.rate)));
        continue;
      }
      if (!this.waits.has(n)) this.startWait(n, h.record, h.queries, now);
    }
    this.prune();
    if (this.connectLater.size > 0) this.resumeConnects();
    return next;
  }

  private startWait(n: PgNode, record: ConflictRecord, queries: Session[], now: Micros): void {
    const streaming = n.role.kind === 'standby' && n.role.receiver.status === 'streaming';
    const delay = streaming ? n.settings.maxStandbyStreamingDelay : n.settings.maxStandbyArchiveDelay;
    // Set at the start of redo too (xlogrecovery.c PerformWalRecovery), and for WAL from the archive or pg_wal
    // as each file is opened (XLogFileRead): approximated as now, replay having just entered the segment.
    const receivedAt = streaming ? (Math.max(this.receipt.get(n) ?? 0, n.startedAt) as Micros) : now;
    const deadline = delay === null ? NEVER : Math.max(now, receivedAt + delay);
    const w: Wait = { record, since: now, deadline, timer: null };
    this.waits.set(n, w);
    this.cluster.log(n, 'replication', {
      kind: 'recovery-conflict-wait',
      node: n.name,
      conflict: record.kind,
      table: `${record.database}.${record.table}`,
      lsn: record.lsn,
      queries: queries.map((q) => q.name),
      ...(record.holder ? { holder: record.holder.who } : {}),
      setting: streaming ? 'max_standby_streaming_delay' : 'max_standby_archive_delay',
      delay,
      behind: now - receivedAt,
      cancelIn: deadline === NEVER ? null : deadline - now,
      rule: 'standby.c:ResolveRecoveryConflictWithVirtualXIDs',
    });
    if (deadline !== NEVER) w.timer = this.cluster.ctx.sim.at(deadline as Micros, `recovery conflict ${n.name}`, () => this.cancelQueries(n, w), PRIORITY.protocol);
  }

  /** The grace ran out: the conflicting queries are cancelled, and replay goes past the record. */
  private cancelQueries(n: PgNode, w: Wait): void {
    w.timer = null;
    if (this.waits.get(n) !== w) return;
    const h = this.holding(n);
    this.waits.delete(n);
    this.markDone(n, w.record);
    const waited = this.now - w.since;
    for (const q of h && h.record === w.record ? h.queries : []) {
      this.cluster.log(
        n,
        'replication',
        { kind: 'recovery-conflict-cancel', node: n.name, session: q.name, conflict: w.record.kind, table: `${w.record.database}.${w.record.table}`, waited, idle: q.idle, rule: 'postgres.c:ProcessInterrupts' },
        [
          {
            process: 'client backend',
            level: q.idle ? 'FATAL' : 'ERROR',
            message: q.idle ? 'terminating connection due to conflict with recovery' : 'canceling statement due to conflict with recovery',
            detail: w.record.kind === 'lock' ? 'User was holding a relation lock for too long.' : 'User query might have needed to see row versions that must be removed.',
          },
        ],
      );
      this.cluster.xid.ops.endSession(q.name);
    }
    this.cluster.requestReflow();
  }

  /** The wait of `n` ends: its queries ended (`resumed`), or the server stopped or was promoted. */
  private endWait(n: PgNode, resumed: boolean): void {
    const w = this.waits.get(n);
    if (!w) return;
    this.cluster.ctx.sim.cancel(w.timer);
    this.waits.delete(n);
    if (resumed) this.cluster.log(n, 'replication', { kind: 'recovery-conflict-resolved', node: n.name, waited: this.now - w.since });
  }

  private markDone(n: PgNode, r: ConflictRecord): void {
    let s = this.done.get(n);
    if (!s) this.done.set(n, (s = new Set()));
    s.add(r);
  }

  /** Forget the records every standby has replayed past. */
  private prune(): void {
    if (this.records.length < 64) return;
    let low = Number.POSITIVE_INFINITY;
    for (const n of this.cluster.nodes.values()) if (n.role.kind === 'standby') low = Math.min(low, this.passed.get(n) ?? 0);
    // A lock record stays while its lock may still be held on a standby (its transaction's end not replayed).
    const held = (r: ConflictRecord) => r.holder !== undefined && !((this.releases.get(r.holder.owner)?.lsn ?? Number.POSITIVE_INFINITY) < low - 0.5);
    const keep = this.records.filter((r) => r.lsn >= low - 0.5 || held(r));
    if (keep.length === this.records.length) return;
    const gone = new Set(this.records.filter((r) => r.lsn < low - 0.5));
    this.records = keep;
    for (const s of this.done.values()) for (const r of gone) s.delete(r);
    for (const r of gone) if (r.holder && !this.records.some((k) => k.holder?.owner === r.holder!.owner)) this.releases.delete(r.holder.owner);
  }
}

/**
 * Vacuum, freezing and the wraparound limits of one cluster's primary (postgres.md §4, postgres-2.md §5):
 * databases with datfrozenxid, relations with relfrozenxid and dead-row counters, the horizons, the table
 * locks, running vacuums (autovacuum's and the plan's) with their shared cost budget, and the warn and stop
 * limits recomputed whenever a vacuum updates datfrozenxid (vacuum.c vac_update_datfrozenxid,
 * vac_truncate_clog, varsup.c SetTransactionIdLimit). Everything that crosses a threshold at a rate (an age
 * passing autovacuum_freeze_max_age, dead rows passing autovacuum's threshold, the XID counter reaching a
 * limit) is computed from the rates and scheduled, never polled.
 */
import type { Level } from '../../../engine/fluid.ts';
import type { EventHandle } from '../../../engine/simulation.ts';
import { NEVER, type Micros } from '../../../engine/time.ts';
import type { SimEvent } from '../../../history/history.ts';
import type { Fact } from '../../../history/facts/index.ts';
import type { VacuumCancel, VacuumOutcome } from '../../../history/facts/vacuum.ts';
import type { WriteCauseFact } from '../../../history/facts/writes.ts';
import type { PgMajor } from '../../../scenario/types.ts';
import type { PgCluster } from '../cluster.ts';
import { PRIORITY } from '../context.ts';
import { LockManager } from '../locks/manager.ts';
import type { LogLine } from '../messages.ts';
import type { PgNode } from '../node.ts';
import type { PgSettings } from '../settings.ts';
import { Autovacuum } from './autovacuum.ts';
import { Horizons, type Holder, type Session } from './horizons.ts';
import { autovacuumLogLine, cancelingAutovacuum, failsafeWarning, farInThePast, stopMessage, warnMessage, wraparoundLimits, XID_HALF } from './limits.ts';
import { readsTable } from '../conflicts.ts';
import { buildDatabases, PAGE, type DatabaseState, type Relation } from './relations.ts';
import { cutoffsFor, DEFAULT_DISK_THROUGHPUT, speed, VacuumRun, workOf, type CostBudget, type VacuumTrigger } from './vacuum.ts';
import { projectedStop } from './projection.ts';

/** XID counter at the start (a FullTransactionId: no wraparound inside the simulator, ages are differences). */
export const START_XID = 1_000_000_000;

/** How a run is started, and what happens when it ends. */
export interface RunOptions {
  readonly trigger: VacuumTrigger;
  readonly freeze: boolean;
  readonly process: LogLine['process'];
  /** Its cost budget now (autovacuum workers share theirs; a manual VACUUM has its own). */
  readonly budget: () => CostBudget;
  /** VACUUM (TRUNCATE ...) (12+); absent: the table's vacuum_truncate. */
  readonly truncate?: boolean;
  readonly onEnd: (outcome: 'done' | 'canceled') => void;
}


export class VacuumModel {
  readonly databases: DatabaseState[];
  readonly relations: Relation[];
  readonly horizons: Horizons;
  readonly locks: LockManager;
  readonly autovacuum: Autovacuum;
  private readonly runs = new Map<VacuumRun, RunOptions>();
  /** Workloads whose long reads run into statement_timeout, as last logged (the timeout). */
  private readonly cutShort = new Map<string, Micros>();
  private stopped = false;
  private warning: { readonly event: SimEvent; readonly fromXid: number } | null = null;
  firstWarningAt: Micros | null = null;
  stopAt: Micros | null = null;
  private maxAge = { value: 0, at: 0 as Micros };
  private readonly timers: EventHandle[] = [];

  constructor(
    readonly cluster: PgCluster,
    readonly nextXid: Level,
    slotHolders: () => readonly Holder[],
    /** age(datfrozenxid) jumped (a vacuum moved datfrozenxid): the metrics take a sample. */
    private readonly agesChanged: () => void = () => {},
  ) {
    const now = cluster.ctx.sim.now;
    const afma = this.settings.autovacuumFreezeMaxAge;
    this.databases = buildDatabases(cluster.spec.databases, now, nextXid.valueAt(now), (db, t) => {
      // Where each relation is in its freeze cycle at the start is not knowable: draw it (seeded) below the trigger.
      const age = t.frozenAge ?? Math.floor(cluster.ctx.random.stream(`xid/initial-age/${db}/${t.name}`).next() * afma);
      return START_XID - age;
    });
    this.relations = this.databases.flatMap((d) => d.relations);
    this.horizons = new Horizons(slotHolders, () => cluster.ctx.sim.now, nextXid.valueAt(now), () => this.primary, () => this.delayedStandbys());
    const ctx = cluster.ctx;
    this.locks = new LockManager({
      sim: ctx.sim,
      history: ctx.history,
      cluster: cluster.name,
      stallThreshold: ctx.stallThreshold,
      deadlockTimeout: () => this.settings.deadlockTimeout,
      logLockWaits: () => this.settings.logLockWaits,
      oids: (table) => {
        const r = this.relation(table);
        return { rel: r?.oid ?? 0, db: r?.database.oid ?? 0 };
      },
      log: (fact, lines) => cluster.log(this.primary, 'lock', fact, lines),
      changed: () => cluster.requestReflow(),
      // A loop computed ahead (autovacuum.ts) must stand as real runs before anyone looks at a table's locks.
      beforeLock: () => this.autovacuum.interrupt(true),
      released: (owner) => cluster.replay.conflicts.released(owner, this.primary),
    });
    this.autovacuum = new Autovacuum(this);
  }

  get enabled(): boolean {
    return this.relations.length > 0;
  }

  /**
   * The server vacuum runs on and whose settings govern it: the running primary writes go to, else any primary.
   * Asked many times per instant: computed once per instant (roles and routing change only at events, and an
   * event that changes them is followed by a reflow at a later priority, after which this is recomputed).
   */
  get primary(): PgNode {
    const now = this.cluster.ctx.sim.now;
    const seq = this.cluster.ctx.sim.eventsProcessed;
    if (this.primaryCache && this.primaryCache.seq === seq && this.primaryCache.at === now) return this.primaryCache.node;
    const node = this.cluster.writes.targets().find((x) => x.isPrimary) ?? this.anyPrimary();
    this.primaryCache = { at: now, seq, node };
    return node;
  }

  private primaryCache: { at: Micros; seq: number; node: PgNode } | null = null;

  /**
   * Standbys whose hot_standby_feedback reports an xmin recovery_min_apply_delay old: running, streaming, with both
   * set (horizons.ts). Without a slot the walsender's xmin goes with the connection; through a slot, xid.ts keeps
   * the last one when the standby leaves.
   */
  delayedStandbys(): { node: PgNode; delay: Micros }[] {
    const out: { node: PgNode; delay: Micros }[] = [];
    for (const n of this.cluster.nodes.values()) {
      const delay = n.settings.recoveryMinApplyDelay;
      if (delay > 0 && n.running && n.settings.hotStandbyFeedback && n.role.kind === 'standby' && n.role.receiver.status === 'streaming') out.push({ node: n, delay });
    }
    return out;
  }

  /** The first primary of the cluster, else its first node (no copy of the nodes: this is asked at every instant). */
  private anyPrimary(): PgNode {
    for (const n of this.cluster.nodes.values()) if (n.isPrimary) return n;
    return this.cluster.nodes.values().next().value!;
  }

  /**
   * The next run of a loop logs what the last held-back run of `rel` logged: count it as a repeat of that event
   * (true), unless its LOG line differs (log_autovacuum_min_duration) or another event came between (false).
   */
  repeatHeldEvent(rel: Relation, start: Micros, end: Micros): boolean {
    const last = this.lastHeldEvent;
    const s = this.settings;
    if (!last || last.rel !== rel || (s.logAutovacuumMinDuration !== null && end - start >= s.logAutovacuumMinDuration)) return false;
    return this.cluster.ctx.history.repeatIfLast(last.ev, end);
  }

  /** The event of the last held-back run, to count its repeats (recordRun). */
  private lastHeldEvent: { readonly rel: Relation; readonly key: string; readonly ev: SimEvent } | null = null;

  /** A vacuum's I/O matters to writes only where the data volume's throughput is modelled (writes.ts). */
  private ioChanged(): void {
    if (this.primary.storage.throughput !== null) this.cluster.requestReflow();
  }

  get settings(): PgSettings {
    return this.primary.settings;
  }

  get version(): PgMajor {
    return this.primary.version;
  }

  get now(): Micros {
    return this.cluster.ctx.sim.now;
  }

  xidNow(): number {
    return this.nextXid.valueAt(this.now);
  }

  relation(key: string): Relation | undefined {
    return this.relations.find((r) => r.key === key);
  }

  database(name: string): DatabaseState | undefined {
    return this.databases.find((d) => d.name === name);
  }

  // ------------------------------------------------------------------ ages and limits

  /** The database holding the oldest datfrozenxid: the one the limits (and their messages) name. */
  oldestDatabase(): DatabaseState | undefined {
    return this.databases.reduce<DatabaseState | undefined>((a, d) => (!a || d.datfrozenxid < a.datfrozenxid ? d : a), undefined);
  }

  /** max(age(datfrozenxid)) over the databases: the MaximumUsedTransactionIDs metric. */
  maxXidAge(now: Micros): number {
    const o = this.oldestDatabase();
    return o ? this.nextXid.valueAt(now) - o.datfrozenxid : 0;
  }

  databaseAges(now: Micros): { name: string; age: number }[] {
    const next = this.nextXid.valueAt(now);
    return this.databases.map((d) => ({ name: d.name, age: Math.round(next - d.datfrozenxid) }));
  }

  get limits(): { warnAge: number; stopAge: number } {
    return wraparoundLimits(this.version);
  }

  get isStopped(): boolean {
    return this.stopped;
  }

  /** Writes that need an XID fail: the reason, or null. */
  refusal(): LogLine | null {
    return this.stopped ? stopMessage(this.version, this.oldestDatabase()?.name ?? 'postgres') : null;
  }

  noteAge(now: Micros): void {
    const age = this.maxXidAge(now);
    if (age > this.maxAge.value) this.maxAge = { value: age, at: now };
  }

  /**
   * vac_update_datfrozenxid at the end of a VACUUM (manual) or of an autovacuum worker's round: datfrozenxid
   * becomes the oldest relfrozenxid of the database (never older than it was), and the limits are recomputed
   * from the oldest datfrozenxid of all databases (vac_truncate_clog, SetTransactionIdLimit), which warns again
   * from the process that ran it while the counter is past the new warn limit.
   */
  updateDatfrozenxid(db: DatabaseState, process: LogLine['process']): void {
    const now = this.now;
    this.noteAge(now);
    const next = Math.min(this.xidNow(), db.oldestRelfrozenxid());
    const changed = next > db.datfrozenxid;
    // Unchanged, the limits are recomputed anyway once the counter is past the vacuum limit
    // (vacuum.c vac_update_datfrozenxid: ForceTransactionIdLimitUpdate), with the same WARNING (observed on 15.18).
    if (!changed && this.maxXidAge(now) < this.settings.autovacuumFreezeMaxAge) return;
    if (changed) db.datfrozenxid = next;
    const age = this.maxXidAge(now);
    const { warnAge } = this.limits;
    if (age >= warnAge) {
      const o = this.oldestDatabase()!;
      this.cluster.log(this.primary, 'xid', { kind: 'limits-recomputed-still-warning', database: db.name, advanced: changed, oldest: o.name, rule: 'vacuum.c:vac_update_datfrozenxid' }, [warnMessage(this.version, o.name, Math.round(XID_HALF - age), process, true)]);
    }
    if (changed) {
      this.replanLimits();
      this.agesChanged();
    }
  }

  /** Warn and stop crossings from the oldest datfrozenxid (varsup.c GetNewTransactionId). */
  private replanLimits(): void {
    const sim = this.cluster.ctx.sim;
    const now = this.now;
    for (const t of this.timers.splice(0)) sim.cancel(t);
    const oldest = this.oldestDatabase();
    if (!oldest) return;
    const { warnAge, stopAge } = this.limits;
    const x = this.xidNow();
    if (this.stopped && x < oldest.datfrozenxid + stopAge) {
      this.stopped = false;
      this.cluster.log(null, 'xid', { kind: 'xid-stop-lifted', age: Math.round(x - oldest.datfrozenxid), rule: 'varsup.c:SetTransactionIdLimit' });
      this.cluster.requestReflow();
    }
    if (this.warning && x < oldest.datfrozenxid + warnAge) this.endWarning();
    if (!this.stopped) {
      const stopAt = this.nextXid.timeToReach(oldest.datfrozenxid + stopAge, now);
      if (stopAt !== NEVER) this.timers.push(sim.at(stopAt, 'xid stop', () => this.stop(), PRIORITY.checkpoint));
      if (!this.warning) {
        const warnAt = this.nextXid.timeToReach(oldest.datfrozenxid + warnAge, now);
        if (warnAt !== NEVER && warnAt < stopAt) this.timers.push(sim.at(warnAt, 'xid warn', () => this.startWarning(), PRIORITY.checkpoint));
      }
    }
  }

  /**
   * Past the warn limit every XID assignment logs the WARNING (varsup.c GetNewTransactionId): one event, whose
   * repeat count is the number of XIDs assigned until the warnings stop (the stop limit, or a vacuum that moved
   * the limit).
   */
  private startWarning(): void {
    const now = this.now;
    this.firstWarningAt ??= now;
    this.noteAge(now);
    const o = this.oldestDatabase()!;
    const remaining = Math.round(XID_HALF - this.maxXidAge(now));
    const ev = this.cluster.log(null, 'xid', { kind: 'xid-warn-limit', remaining, rule: 'varsup.c:GetNewTransactionId' }, [warnMessage(this.version, o.name, remaining)]);
    this.warning = { event: ev, fromXid: this.xidNow() };
  }

  private endWarning(): void {
    const w = this.warning;
    if (!w) return;
    this.warning = null;
    this.cluster.ctx.history.repeated(w.event, Math.round(this.xidNow() - w.fromXid), this.now);
  }

  private stop(): void {
    const now = this.now;
    this.endWarning();
    this.stopped = true;
    this.stopAt ??= now;
    this.noteAge(now);
    this.cluster.log(null, 'xid', { kind: 'xid-stop-limit', rule: 'varsup.c:GetNewTransactionId' }, [this.refusal()]);
    this.cluster.requestReflow();
  }

  // ------------------------------------------------------------------ rates

  /**
   * Per relation, dead rows and inserts per second: its churn, and the workloads writing to it (each write
   * transaction updates one row, or inserts one: `inserts` of them). `committed` is each pool's committed
   * transactions per second (writes.ts).
   */
  setWriteRates(now: Micros, committed: ReadonlyMap<string, number>): void {
    const x = this.nextXid.valueAt(now);
    let changed = false;
    for (const r of this.relations) {
      if (!r.exists) continue;
      let dead = r.spec.churn / r.rowSize;
      let ins = 0;
      for (const w of this.cluster.spec.workloads) {
        const t = w.table;
        if (!t || t.table.database !== r.database.name || t.table.table !== r.spec.name) continue;
        const c = committed.get(w.name) ?? 0;
        dead += c * (1 - t.inserts);
        ins += c * t.inserts;
      }
      changed = r.setWriteRates(now, dead, ins, x) || changed;
    }
    if (changed) this.autovacuum.replan();
    this.setFlows();
  }

  /**
   * The workloads' queries on their tables, as lock flows (reads: AccessShareLock, writes: RowExclusiveLock),
   * held for the duration of their long share; and those long queries as streams holding the xmin horizon.
   */
  private setFlows(): void {
    const s = this.settings;
    const timeouts = [s.lockTimeout, s.statementTimeout].filter((t) => t > 0);
    const timeout = (timeouts.length ? Math.min(...timeouts) : 0) as Micros;
    let streams = false;
    for (const p of this.cluster.writes.pools) {
      const spec = this.cluster.spec.workloads.find((w) => w.name === p.name)?.table;
      if (!spec) continue;
      const key = `${spec.table.database}.${spec.table.table}`;
      const up = p.target !== null && p.target.running && p.target.isPrimary;
      const rel = this.relation(key);
      const live = up && rel !== undefined && rel.exists;
      const reads = live ? spec.reads : 0;
      const writes = live ? p.rate : 0;
      // A long read is one statement: statement_timeout (the server's, which the workload's sessions use)
      // cancels it, so it holds its lock and its snapshot that long at most (postgres.c ProcessInterrupts:
      // `canceling statement due to statement timeout`). A long write transaction is taken as several
      // statements (a batch): not cut.
      const readFor = spec.longReads ? this.longReadDuration(p.name, spec.longReads.duration, reads * spec.longReads.share > 0) : undefined;
      this.locks.setFlow(p.name, key, 'AccessShareLock', reads, timeout, readFor);
      this.locks.setFlow(p.name, key, 'RowExclusiveLock', writes, timeout, spec.longWrites?.duration);
      const db = spec.table.database;
      if (spec.longReads) streams = this.horizons.setStream(p.name, db, 'read', readFor!, reads * spec.longReads.share > 0) || streams;
      if (spec.longWrites) streams = this.horizons.setStream(p.name, db, 'write', spec.longWrites.duration, writes * spec.longWrites.share > 0) || streams;
    }
    if (streams) this.autovacuum.replan();
  }

  /** How long a workload's long reads last: their duration, or statement_timeout when it is shorter (logged once per change). */
  private longReadDuration(workload: string, duration: Micros, running: boolean): Micros {
    const st = this.settings.statementTimeout;
    const cut = st > 0 && st < duration;
    if (!cut) {
      this.cutShort.delete(workload);
      return duration;
    }
    if (running && this.cutShort.get(workload) !== st) {
      this.cutShort.set(workload, st);
      this.cluster.log(this.primary, 'lock', { kind: 'long-reads-cancelled', workload, duration, timeout: st, rule: 'postgres.c:ProcessInterrupts' }, [
        { process: 'client backend', level: 'ERROR', message: 'canceling statement due to statement timeout' },
      ]);
    }
    return st;
  }

  /** A pool's writes cannot even start: its table was dropped. */
  tableRefusal(pool: string): WriteCauseFact | null {
    const spec = this.cluster.spec.workloads.find((w) => w.name === pool)?.table;
    if (!spec) return null;
    const rel = this.relation(`${spec.table.database}.${spec.table.table}`);
    return rel && !rel.exists ? { kind: 'relation-dropped', relation: spec.table.table } : null;
  }

  /** Whether a pool's writes wait (or fail) in a lock queue now: their status and cause. */
  lockStatus(pool: string): { kind: 'outage' | 'stall'; cause: WriteCauseFact; writesBlocked: boolean } | null {
    const b = this.locks.blockOf(pool, this.now);
    if (!b) return null;
    const writesBlocked = this.locks.blockedModes(pool).has('RowExclusiveLock');
    return { kind: b.cause.failing ? 'outage' : 'stall', cause: b.cause, writesBlocked };
  }

  // ------------------------------------------------------------------ vacuum runs

  /** Disk bandwidth used by running vacuums on `node`, bytes/s (writes on that node compete with it). */
  vacuumLoad(node: PgNode): { bytesPerSecond: number; tables: string[] } {
    if (node !== this.primary) return { bytesPerSecond: 0, tables: [] };
    const running = [...this.runs.keys()];
    return { bytesPerSecond: running.reduce((a, r) => a + r.bytesPerSecond, 0), tables: running.map((r) => r.rel.spec.name) };
  }

  /** Vacuums running now (autovacuum's and the plan's). */
  get runningCount(): number {
    return this.runs.size;
  }

  get disk(): number {
    return this.primary.storage.throughput ?? DEFAULT_DISK_THROUGHPUT;
  }

  /**
   * Start a vacuum of `rel` (its lock is held by `owner`): now, or at an earlier instant `at` when a run the
   * autovacuum loop computed without events (autovacuum.ts) turns out to be in progress now.
   */
  startRun(rel: Relation, owner: VacuumRun['owner'], o: RunOptions, at: Micros = this.now, holderThen?: Holder | null): VacuumRun {
    const now = at;
    const s = this.settings;
    const x = this.nextXid.valueAt(at);
    const age = x - rel.relfrozenxid;
    // A run started earlier took its snapshot then: the holder it saw may have gone since.
    const holder = holderThen !== undefined ? holderThen : this.horizons.oldestFor(rel);
    const aggressive = o.freeze || o.trigger === 'anti-wraparound' || age > s.vacuumFreezeTableAge;
    const cutoffs = cutoffsFor(this.version, s, x, holder, o.freeze);
    const run = new VacuumRun(rel, o.trigger, aggressive, o.freeze, cutoffs, workOf(rel, now, aggressive, cutoffs.holder, this.version), owner, now, o.budget());
    rel.running ??= { by: owner.label };
    this.runs.set(run, o);
    if (at === this.now && run.work.removableRows > 0) this.logCleanup(rel, holder);
    // 14+: past vacuum_failsafe_age the cost delay is off for the rest of the run (checked at the start and,
    // approximated as continuously, every 4 GB scanned: vacuumlazy.c lazy_check_wraparound_failsafe).
    const failsafeAge = s.vacuumFailsafeAge;
    if (failsafeAge !== null) {
      if (age > failsafeAge) run.failsafe = true;
      else {
        const t = this.nextXid.timeToReach(rel.relfrozenxid + failsafeAge + 1, Math.max(now, this.now) as Micros);
        if (t !== NEVER) run.failsafeTimer = this.cluster.ctx.sim.at(t, `failsafe ${rel.spec.name}`, () => this.tripFailsafe(run), PRIORITY.checkpoint);
      }
    }
    // Started earlier (a loop's run in progress): it has been reading since then.
    if (at < this.now) {
      run.bytesPerSecond = speed(run.work, s, run.budget, this.disk, run.failsafe);
      run.done.setRate(at, run.bytesPerSecond / 1e6);
    }
    this.respeed();
    this.ioChanged(); // the vacuum's I/O loads the disk
    return run;
  }

  /**
   * The run's first pass prunes the dead rows it can remove, WAL-logging each page with the newest XID it removed
   * (heapam.c log_heap_prune_and_freeze's snapshotConflictHorizon; XLOG_HEAP2_CLEAN up to 15): a standby's
   * query whose snapshot still sees some of them conflicts when that record is replayed (standby.c
   * ResolveRecoveryConflictWithSnapshot, in the table's database). Approximation: one record at the run's start
   * (its first pages); a query's snapshot is the primary's state at `snapshotAt` (operations.ts); pruning by other queries (heap_page_prune_opt),
   * freezing and index cleanup are not modelled.
   */
  private logCleanup(rel: Relation, holder: Holder | null): void {
    const now = this.now;
    const produced = rel.produced.valueAt(now);
    const upTo = holder ? Math.min(produced, rel.produced.valueAt(holder.since)) : produced;
    const database = rel.database.name;
    this.cluster.replay.conflicts.record({ kind: 'snapshot', database, table: rel.spec.name, conflictsWith: (q) => q.database === database && rel.produced.valueAt(q.snapshotAt) < upTo - 0.5 }, this.primary);
  }

  /** The relations each standby query has had a pruning record for (logPruning). */
  private readonly pruned = new WeakMap<Session, Set<Relation>>();

  /**
   * On-access pruning (heapam.c heap_page_prune_opt): the primary's queries prune a page's dead rows, WAL-logged
   * as VACUUM's are, whenever they touch a page short of free space, so rows still being deleted (updates, churn)
   * are pruned moments after they become removable, without any VACUUM [15.18: 3,000 single-row UPDATEs, no
   * VACUUM, autovacuum off: a standby query was in conflict 1 s in and cancelled at max_standby_streaming_delay].
   * Approximation: one record as soon as a table of the query's database gets dead rows its snapshot may see
   * and no horizon holder keeps them, and that table's dead rows are removed by nothing else in the model.
   */
  logPruning(queries: readonly Session[]): void {
    const p = this.primary;
    if (!p.running || p.role.kind !== 'primary') return;
    const now = this.now;
    for (const q of queries) {
      if (!q.snapshot) continue;
      const db = this.database(q.database);
      if (!db) continue;
      let done = this.pruned.get(q);
      for (const rel of db.live) {
        if (rel.produced.rate <= 0 || done?.has(rel)) continue;
        const holder = this.horizons.oldestFor(rel);
        if (holder && holder.since <= q.snapshotAt) continue;
        if (!done) this.pruned.set(q, (done = new Set()));
        done.add(rel);
        const database = rel.database.name;
        this.cluster.replay.conflicts.record(
          { kind: 'snapshot', database, table: rel.spec.name, conflictsWith: (x) => x.database === database && (holder === null || holder.since > x.snapshotAt) && x.since <= now },
          p,
        );
      }
    }
  }

  private tripFailsafe(run: VacuumRun): void {
    if (!this.runs.has(run) || run.failsafe) return;
    run.failsafe = true;
    this.respeed();
    this.ioChanged();
  }

  /** The autovacuum workers' budgets changed (a worker started or ended a table): every run's speed and end. */
  respeed(): void {
    const now = this.now;
    const sim = this.cluster.ctx.sim;
    for (const [run, o] of this.runs) {
      run.budget = o.budget();
      const bps = speed(run.work, this.settings, run.budget, this.disk, run.failsafe);
      if (bps === run.bytesPerSecond && run.end) continue;
      const at = run.setSpeed(now, bps);
      sim.cancel(run.end);
      run.end = sim.at(at, `vacuum done ${run.rel.spec.name}`, () => this.finishRun(run), PRIORITY.checkpoint);
    }
  }

  private finishRun(run: VacuumRun): void {
    const o = this.runs.get(run);
    if (!o) return;
    const now = this.now;
    this.noteAge(now);
    run.finish(this.version, this.xidNow());
    const tail = this.truncatable(run, o);
    this.endRun(run, o, false);
    if (tail > 0) this.truncateTail(run, o, tail);
    else o.onEnd('done');
  }

  /**
   * The empty pages at the end of the table a finished run truncates (vacuumlazy.c should_attempt_truncation):
   * not with the vacuum_truncate reloption off or VACUUM (TRUNCATE false) (12+), or the setting (18+), nor once the failsafe tripped (14+), and only
   * when at least REL_TRUNCATE_MINIMUM (1,000) pages or 1/16 of the table are free; the tail's rows must be
   * gone (removed by this run: a horizon holder may keep them). Approximation: old_snapshot_threshold (9.6 to
   * 16, which turns truncation off) is not modelled. 0: none.
   */
  private truncatable(run: VacuumRun, o: RunOptions): number {
    const rel = run.rel;
    const tail = rel.emptyTail;
    if (tail <= 0 || !rel.exists || run.failsafe) return 0;
    // vacuum.c vacuum_rel: the VACUUM option, else the reloption, else (18+) the vacuum_truncate setting.
    if (this.version >= 12 && !(o.truncate ?? rel.spec.vacuumTruncate ?? this.settings.vacuumTruncate)) return 0;
    if (rel.removed + 0.5 < (rel.spec.emptyTail ?? 0) / rel.rowSize) return 0;
    const pages = tail / PAGE;
    return pages >= 1000 || pages >= rel.size / PAGE / 16 ? tail : 0;
  }

  /**
   * vacuumlazy.c lazy_truncate_heap: a conditional ACCESS EXCLUSIVE lock, tried every 50 ms
   * (VACUUM_TRUNCATE_LOCK_WAIT_INTERVAL) and given up after 5 s (VACUUM_TRUNCATE_LOCK_TIMEOUT: "stopping truncate
   * due to conflicting lock request"); then count_nondeletable_pages reads the tail backwards, and the file is
   * truncated. The lock is WAL-logged (lock.c LogAccessExclusiveLock): a standby replays it, in conflict with
   * its queries reading the table (cancelled after max_standby_streaming_delay, "User was holding a relation
   * lock for too long"), and holds it until the vacuum's commit is replayed (conflicts.ts). On the primary the
   * vacuum lets go of the lock within 20 ms of anyone waiting for it (VACUUM_TRUNCATE_LOCK_CHECK_INTERVAL) and
   * takes it again: approximated as blocking nobody there. Approximation: the backward read at the disk's speed,
   * held on the standby for all of it.
   */
  private truncateTail(run: VacuumRun, o: RunOptions, tail: number): void {
    const rel = run.rel;
    const primary = this.primary;
    const boot = primary.boot;
    const sim = this.cluster.ctx.sim;
    // A server stopped meanwhile took the vacuum with it.
    const alive = () => this.primary === primary && primary.running && primary.boot === boot && rel.exists;
    let tries = 0;
    const attempt = (): void => {
      if (!alive()) return;
      if (!this.locks.wouldGrant(run.owner, rel.key, 'AccessExclusiveLock')) {
        if (++tries > 5000 / 50) {
          this.cluster.log(primary, 'vacuum', { kind: 'vacuum-truncate-skipped', table: rel.qualified, rule: 'vacuumlazy.c:lazy_truncate_heap' });
          return o.onEnd('done');
        }
        sim.after(50_000 as Micros, `truncate lock ${rel.spec.name}`, attempt, PRIORITY.checkpoint);
        return;
      }
      const token = {};
      const database = rel.database.name;
      this.cluster.replay.conflicts.record({ kind: 'lock', database, table: rel.spec.name, conflictsWith: readsTable(database, rel.spec.name), holder: { owner: token, who: `${run.owner.label}, truncating the empty pages at its end` } }, primary);
      const held = Math.max(1, Math.ceil((tail * 1e6) / this.disk)) as Micros;
      sim.after(held, `truncate ${rel.spec.name}`, () => {
        if (!alive()) return;
        rel.size = Math.max(0, rel.size - tail);
        rel.rows = rel.size / rel.rowSize;
        rel.emptyTail = 0;
        this.cluster.log(primary, 'vacuum', { kind: 'vacuum-truncated', table: rel.qualified, bytes: tail, held, rule: 'vacuumlazy.c:lazy_truncate_heap' });
        this.cluster.replay.conflicts.released(token, primary);
        o.onEnd('done');
      }, PRIORITY.checkpoint);
    };
    attempt();
  }

  /** A conflicting lock request (or a shutdown) cancels the run: nothing it did is kept. */
  cancelRun(run: VacuumRun, why: VacuumCancel): void {
    const o = this.runs.get(run);
    if (!o) return;
    this.endRun(run, o, true, why);
    o.onEnd('canceled');
  }

  private endRun(run: VacuumRun, o: RunOptions, canceled: boolean, why?: VacuumCancel): void {
    const sim = this.cluster.ctx.sim;
    const now = this.now;
    const rel = run.rel;
    sim.cancel(run.end);
    sim.cancel(run.failsafeTimer);
    this.runs.delete(run);
    rel.running = null;
    this.locks.release(run.owner, rel.key);
    const x = this.xidNow();
    const before = x - run.relfrozenxidBefore;
    const after = x - rel.relfrozenxid;
    const c = run.cutoffs;
    const held = c.holder !== null && (c.farInThePast || run.work.keptRows > 0) ? c.holder : null;
    // Its average speed over the run, as PostgreSQL's own log reports it (`avg read rate`, vacuumlazy.c): a run
    // whose budget changed (another worker came or went, the failsafe lifted the cost delay) is not described
    // by its last speed.
    const scanned = run.done.valueAt(now);
    const bytesPerSecond = run.speedChanged && now > run.start ? scanned / ((now - run.start) / 1e6) : run.bytesPerSecond;
    this.recordRun({ run, process: o.process, end: now, canceled, why, before, after, held, bytesPerSecond, failsafe: run.failsafe, scanned });
    // A held run that changed nothing will be followed by identical ones while nothing else changes: the
    // autovacuum loop may compute them without events (autovacuum.ts).
    const steady = !canceled && held !== null && run.work.removableRows === 0 && rel.relfrozenxid === run.relfrozenxidBefore && o.process === 'autovacuum worker';
    rel.steady = steady ? { holder: held.key, trigger: run.trigger, aggressive: run.aggressive, farInThePast: c.farInThePast, failsafe: run.failsafe } : null;
    this.respeed();
    this.ioChanged();
    this.autovacuum.replan();
  }

  /**
   * A finished run as facts: its vacuum record (every run), and one event when it matters to a reader
   * (anti-wraparound or aggressive, held back by a holder, cancelled, or started by the plan); routine
   * autovacuums are in the report's vacuum list only. A run held back by a holder reads the same every time
   * (no counts in its text), so a retry loop collapses into one event with a repeat count; the counts are in
   * the report's vacuum entries.
   */
  recordRun(r: {
    run: Pick<VacuumRun, 'rel' | 'start' | 'trigger' | 'aggressive' | 'freeze' | 'antiWraparound' | 'cutoffs' | 'work' | 'total'>;
    process: LogLine['process'];
    end: Micros;
    canceled: boolean;
    why?: VacuumCancel | undefined;
    before: number;
    after: number;
    held: Holder | null;
    bytesPerSecond: number;
    failsafe: boolean;
    /** Bytes read when it ended (a cancelled run's CONTEXT names the block it was at). */
    scanned?: number;
  }): void {
    const { run, end } = r;
    const rel = run.rel;
    const mode = r.failsafe ? 'failsafe' : run.aggressive ? 'aggressive' : 'regular';
    const history = this.cluster.ctx.history;
    history.vacuum({
      cluster: this.cluster.name,
      node: this.primary.name,
      table: rel.spec.name,
      from: run.start,
      to: end,
      mode,
      bytesPerSecond: r.bytesPerSecond,
      ageBefore: r.before,
      ageAfter: r.after,
      blockedBy: r.canceled ? null : (r.held?.key ?? null),
      holder: r.canceled ? null : (r.held?.who ?? null),
      trigger: run.trigger,
      canceled: r.canceled,
      deadRemoved: r.canceled ? 0 : run.work.removableRows,
      deadKept: run.work.keptRows,
    });
    const s = this.settings;
    const auto = r.process === 'autovacuum worker';
    if (!(r.canceled || r.held !== null || run.aggressive || !auto)) return;
    // A retry loop's runs read alike: count the repeat without building the text again.
    const heldKey = r.held && !r.canceled ? `${r.held.key}|${mode}|${run.trigger}|${run.cutoffs.farInThePast}|${run.work.keptRows > 0}|${r.process}` : null;
    const last = this.lastHeldEvent;
    if (heldKey !== null && last && last.rel === rel && last.key === heldKey && this.repeatHeldEvent(rel, run.start, end)) return;
    const log = (outcome: VacuumOutcome, lines: readonly LogLine[]) => {
      const fact: Fact = {
        kind: 'vacuum-run',
        by: auto ? 'autovacuum' : run.trigger === 'single-user' ? 'single-user' : 'manual',
        table: rel.qualified,
        freeze: run.freeze,
        antiWraparound: run.antiWraparound,
        aggressive: run.aggressive,
        outcome,
        rule: r.failsafe ? 'vacuumlazy.c:lazy_check_wraparound_failsafe' : 'vacuumlazy.c:heap_vacuum_rel',
      };
      const ev = history.event(end, this.cluster.name, this.primary.name, 'vacuum', fact, lines);
      this.lastHeldEvent = heldKey !== null ? { rel, key: heldKey, ev } : null;
    };
    const lines: LogLine[] = [];
    if (run.cutoffs.farInThePast) lines.push(farInThePast(this.version, r.process));
    if (r.failsafe) lines.push(failsafeWarning(rel.qualified, r.process));
    if (r.canceled) {
      if (auto) lines.push(cancelingAutovacuum(this.version, rel.qualified, `${rel.spec.catalog ? 'pg_catalog' : 'public'}.${rel.spec.name}`, Math.floor((r.scanned ?? 0) / PAGE)));
      log({ kind: 'cancelled', why: r.why ?? null }, lines);
      return;
    }
    const duration = end - run.start;
    if (auto && s.logAutovacuumMinDuration !== null && duration >= s.logAutovacuumMinDuration) lines.push(autovacuumLogLine(this.version, rel.qualified, run.aggressive, run.antiWraparound));
    if (r.held) {
      log({ kind: 'held', holder: r.held.who, deadKept: run.work.keptRows > 0, frozenxidHeld: run.aggressive && run.cutoffs.farInThePast }, lines);
      return;
    }
    const long = duration >= 600e6 || !auto;
    log({ kind: 'done', detail: long ? { duration, bytes: run.total, bytesPerSecond: r.bytesPerSecond, failsafe: r.failsafe, ageBefore: r.before, ageAfter: r.after } : null }, lines);
  }

  // ------------------------------------------------------------------ lifecycle

  /**
   * A server went down: its sessions end (prepared transactions stay, with their locks); the primary's
   * vacuums and autovacuum workers end, and every lock wait ends.
   */
  nodeDown(node: PgNode): void {
    // Its sessions end with it, on a standby too (a query there holds the primary's horizon through
    // hot_standby_feedback; after a restart it is gone); prepared transactions stay.
    let ended = false;
    for (const [name, s] of [...this.horizons.sessions]) {
      if (s.node !== node || s.prepared) continue;
      this.cluster.ctx.sim.cancel(s.idleTimer);
      this.cluster.replay.conflicts.dropLockWait(s);
      this.cluster.ctx.history.holdEnd(this.cluster.name, `transaction "${s.name}"`, this.now);
      this.horizons.sessions.delete(name);
      ended = true;
    }
    if (node !== this.primary) {
      // A delayed standby's hot_standby_feedback goes with it (without a slot): the horizon moves.
      if (ended || (node.role.kind === 'standby' && node.settings.hotStandbyFeedback && node.settings.recoveryMinApplyDelay > 0)) this.replan();
      return;
    }
    this.autovacuum.interrupt();
    for (const run of [...this.runs.keys()]) this.cancelRun(run, { kind: 'server-stopped', node: node.name });
    this.autovacuum.stopAll();
    this.locks.reset();
    this.replan();
  }

  /** Settings changed (a reload or a restart) or a server started: every threshold is planned again. */
  replan(): void {
    this.noteAge(this.now);
    this.replanLimits();
    this.autovacuum.replan();
  }

  /** The end of the run: runs computed ahead are recorded up to now, lock waits still open are recorded. */
  finish(now: Micros): void {
    this.autovacuum.finish(now);
    this.locks.finish(now);
    this.cluster.replay.conflicts.finish();
    // A WARNING still logged at every XID assignment: its count so far.
    this.endWarning();
  }

  summary(now: Micros): { maxAge: number; maxAgeAt: Micros; endAge: number; firstWarningAt: Micros | null; stopAt: Micros | null; projectedStopAt: Micros | null } {
    this.endWarning();
    this.noteAge(now);
    const endAge = this.maxXidAge(now);
    const { stopAge } = this.limits;
    const rate = this.nextXid.rate;
    const history = this.cluster.ctx.history;
    const name = this.cluster.name;
    const holds = history.holds.filter((h) => h.cluster === name && h.kind !== 'restart_lsn');
    const releases = holds.map((h) => h.until).filter((u): u is Micros => u !== null);
    const projectedStopAt =
      this.stopped || this.databases.length === 0
        ? null
        : projectedStop({
            samples: history.metrics.filter((m) => m.cluster === name && m.name === 'max_xid_age'),
            pinned: holds.some((h) => h.until === null),
            lastRelease: releases.length > 0 ? (Math.max(...releases) as Micros) : null,
            now,
            endAge,
            rate,
            stopAge,
          });
    return { maxAge: Math.round(this.maxAge.value), maxAgeAt: this.maxAge.at, endAge: Math.round(endAge), firstWarningAt: this.firstWarningAt, stopAt: this.stopAt, projectedStopAt };
  }
}

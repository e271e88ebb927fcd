/**
 * Autovacuum as the launcher and its workers run it (autovacuum.c; postgres-2.md §5.1-5.7, rules 13-18):
 *
 * - The launcher visits the databases in turn, one worker start every autovacuum_naptime / (number of
 *   databases), while fewer than autovacuum_max_workers run. A database past autovacuum_freeze_max_age (its
 *   datfrozenxid) takes every start, the oldest first, whatever the turn: others starve meanwhile (§5.2).
 * - A worker takes the tables of its database in pg_class order (no wraparound priority) that need it:
 *   anti-wraparound (relfrozenxid older than autovacuum_freeze_max_age: even with autovacuum off), dead rows
 *   past threshold + scale factor × reltuples (capped from 18), rows inserted past the insert threshold (13+).
 *   Before each table it re-checks, and skips a table another worker has.
 * - An anti-wraparound vacuum waits for its ShareUpdateExclusiveLock and is never cancelled; a regular one
 *   takes the lock only if it is free (skips the table otherwise) and gives way to a waiter it blocks directly
 *   (after that waiter's deadlock_timeout), going on with its next table.
 * - The workers that have a table share autovacuum_vacuum_cost_limit: limit / n each (autovac_balance_cost up
 *   to 15, AutoVacuumUpdateCostLimit from 16; equal for workers with equal settings).
 * - At the end of its list a worker updates datfrozenxid, which moves the wraparound limits.
 *
 * A table a holder keeps from being cleaned stays above its threshold (n_dead_tup counts the dead rows a
 * vacuum could not remove) and is vacuumed again at every visit: the retry loop emerges, each run recorded.
 *
 * Approximations (docs/model-vacuum.md): launcher visits on a fixed grid from the server's start, in the
 * databases' order; a start that finds every worker busy waits for the next visit; no multixacts.
 */
import type { EventHandle } from '../../../engine/simulation.ts';
import type { VacuumRecord } from '../../../history/history.ts';
import { NEVER, type Micros } from '../../../engine/time.ts';
import { PRIORITY } from '../context.ts';
import type { LockOwner } from '../locks/manager.ts';
import type { VacuumModel } from './model.ts';
import type { DatabaseState, Relation } from './relations.ts';
import { cutoffsFor, frozenRead, speed, type CostBudget, type VacuumRun, type VacuumTrigger, type Work } from './vacuum.ts';
import type { Holder } from './horizons.ts';

/** The longest stretch of a retry loop computed at once (then it is computed again from there). */
const LOOP_CHUNK = 86_400_000_000;

/** One run of a retry loop, computed ahead. */
interface LoopRun {
  readonly start: Micros;
  readonly end: Micros;
  readonly bytesPerSecond: number;
  readonly work: Work;
  /** Rows inserted up to its start (it resets the insert counter to this). */
  readonly insertedAtStart: number;
  /** The XID counter at its start and end, at the rate when the loop was computed (the counter may be re-anchored since). */
  readonly xidAtStart: number;
  readonly xidAtEnd: number;
}

/**
 * A table a holder keeps from being cleaned, vacuumed again and again with nothing else going on: its runs are
 * computed from the rates without events (each one recorded when its time has passed), until something
 * changes; a run in progress then becomes a real one, with its worker and its lock.
 */
interface Loop {
  readonly rel: Relation;
  readonly holder: Holder;
  readonly trigger: VacuumTrigger;
  readonly aggressive: boolean;
  readonly failsafe: boolean;
  readonly runs: LoopRun[];
  /** Runs already recorded. */
  recorded: number;
  readonly event: EventHandle;
}

interface Worker {
  readonly owner: LockOwner;
  /** Its mark on the table it has (Relation.running). */
  readonly mark: { by: string };
  readonly db: DatabaseState;
  readonly list: Relation[];
  /** The table it works on, from its lock request to the end of its vacuum (wi_tableoid). */
  current: Relation | null;
  run: VacuumRun | null;
  didVacuum: boolean;
}

export class Autovacuum {
  private readonly workers = new Set<Worker>();
  private tick: EventHandle | null = null;
  private loop: Loop | null = null;
  /** When the launcher started (its visits are on a grid from there). */
  private epoch = 0 as Micros;
  /**
   * The last tick that started a worker: the next start is a later tick (autovacuum.c launch_worker sets the
   * database's next_worker to now + naptime, and the launcher sleeps until the next database's time), never a
   * second worker at the same instant.
   */
  private launched = -1;

  constructor(private readonly m: VacuumModel) {}

  /** The launcher starts over (the server started). */
  restart(now: Micros): void {
    this.epoch = now;
    this.launched = -1;
  }

  get running(): number {
    return this.workers.size;
  }

  // ------------------------------------------------------------------ what needs vacuum

  /** Why `rel` needs an autovacuum at time t, or null (autovacuum.c relation_needs_vacanalyze). */
  needs(rel: Relation, t: Micros): VacuumTrigger | null {
    if (!rel.exists) return null;
    const s = this.m.settings;
    if (this.m.nextXid.valueAt(t) - rel.relfrozenxid >= s.autovacuumFreezeMaxAge) return 'anti-wraparound';
    if (!s.autovacuum) return null;
    if (rel.deadRows(t) > this.deadThreshold(rel)) return 'dead rows';
    const ins = this.insertThreshold(rel);
    if (ins !== null && rel.insertsSinceVacuum(t) > ins) return 'inserts';
    return null;
  }

  private deadThreshold(rel: Relation): number {
    const s = this.m.settings;
    const t = s.autovacuumVacuumThreshold + s.autovacuumVacuumScaleFactor * rel.rows;
    return s.autovacuumVacuumMaxThreshold !== null ? Math.min(t, s.autovacuumVacuumMaxThreshold) : t;
  }

  /** 13+; from 18 the scale factor applies to the rows not all-frozen only. */
  private insertThreshold(rel: Relation): number | null {
    const s = this.m.settings;
    if (s.autovacuumVacuumInsertThreshold === null) return null;
    const rows = this.m.version >= 18 ? rel.rows * rel.spec.vacuumScan : rel.rows;
    return s.autovacuumVacuumInsertThreshold + s.autovacuumVacuumInsertScaleFactor * rows;
  }

  /** The first time after `t` that `rel` will need a vacuum at today's rates (NEVER if not). */
  private crossing(rel: Relation, t: Micros): Micros {
    if (!rel.exists || rel.running) return NEVER;
    const s = this.m.settings;
    let at = this.m.nextXid.timeToReach(rel.relfrozenxid + s.autovacuumFreezeMaxAge, t);
    if (s.autovacuum) {
      at = Math.min(at, rel.produced.timeToReach(rel.removed + this.deadThreshold(rel) + 1e-6, t)) as Micros;
      const ins = this.insertThreshold(rel);
      if (ins !== null) at = Math.min(at, rel.inserted.timeToReach(rel.insertedAtVacuum + ins + 1e-6, t)) as Micros;
    }
    return at;
  }

  /** A database is past autovacuum_freeze_max_age at t: it takes every worker start (§5.2 step 1). */
  private atRisk(t: Micros): DatabaseState | null {
    const afma = this.m.settings.autovacuumFreezeMaxAge;
    const x = this.m.nextXid.valueAt(t);
    let oldest: DatabaseState | null = null;
    for (const d of this.m.databases) if (x - d.datfrozenxid >= afma && (!oldest || d.datfrozenxid < oldest.datfrozenxid)) oldest = d;
    return oldest;
  }

  /** A worker started in `db` at t would do something: vacuum a table, or bring a stale datfrozenxid forward. */
  private workable(db: DatabaseState, t: Micros): boolean {
    if (db.live.some((r) => !r.running && this.needs(r, t) !== null)) return true;
    // A worker that finds nothing to vacuum still updates datfrozenxid (after a DROP TABLE, say). With
    // autovacuum off the launcher only runs for wraparound: the database must be past the freeze age.
    const busy = [...this.workers].some((w) => w.db === db);
    const stale = Math.min(this.m.nextXid.valueAt(t), db.oldestRelfrozenxid()) > db.datfrozenxid;
    const visited = this.m.settings.autovacuum || this.m.nextXid.valueAt(t) - db.datfrozenxid >= this.m.settings.autovacuumFreezeMaxAge;
    return !busy && stale && visited;
  }

  private get interval(): number {
    const nd = Math.max(1, this.m.databases.length);
    return Math.max(100_000, Math.floor(this.m.settings.autovacuumNaptime / nd));
  }

  private get maxWorkers(): number {
    // With autovacuum off the postmaster still starts the launcher for wraparound, which starts one worker.
    return this.m.settings.autovacuum ? this.m.settings.autovacuumMaxWorkers : 1;
  }

  /** Tick k visits databases[k mod n] at epoch + (k + 1) × interval. */
  private tickAt(k: number): Micros {
    return (this.epoch + (k + 1) * this.interval) as Micros;
  }

  private firstTickFrom(t: Micros): number {
    return Math.max(0, Math.ceil((t - this.epoch) / this.interval) - 1);
  }

  /** The database a launch at tick k goes to (do_start_worker). */
  private chosen(k: number): DatabaseState | null {
    const t = this.tickAt(k);
    return this.atRisk(t) ?? this.m.databases[k % this.m.databases.length] ?? null;
  }

  // ------------------------------------------------------------------ the launcher

  /**
   * Schedule the next launch that would do something. Launches that would find nothing to do are skipped (no
   * event): the search jumps from one crossing (a need, a database passing the freeze age) to the next.
   */
  replan(): void {
    const sim = this.m.cluster.ctx.sim;
    this.interrupt();
    const k = this.m.enabled && this.m.primary.running && this.m.primary.isPrimary && this.workers.size < this.maxWorkers ? this.nextUsefulTick() : null;
    if (k !== null && this.startLoop(k)) {
      sim.cancel(this.tick);
      this.tick = null;
      return;
    }
    if (this.tick && !this.tick.cancelled && k !== null && this.tick.time === this.tickAt(k)) return;
    sim.cancel(this.tick);
    this.tick = k === null ? null : sim.at(this.tickAt(k), 'autovacuum launcher', () => this.launch(k), PRIORITY.checkpoint + 1);
  }

  // ------------------------------------------------------------------ retry loops computed ahead

  /**
   * At tick k the only thing to do is the same held-back vacuum of one table that its last run was (nothing else
   * needs a vacuum, nobody else runs one, nobody touches its locks, the data volume's load is not modelled):
   * compute its runs from the rates up to the first instant something could change, instead of one event each.
   */
  private startLoop(k: number): boolean {
    const m = this.m;
    if (this.workers.size > 0 || m.runningCount > 0 || m.primary.storage.throughput !== null) return false;
    const t = this.tickAt(k);
    const db = this.chosen(k);
    if (!db) return false;
    const wanted = m.relations.filter((r) => r.exists && this.needs(r, t) !== null);
    if (wanted.length !== 1 || wanted[0]!.database !== db) return false;
    const rel = wanted[0]!;
    const steady = rel.steady;
    const trigger = this.needs(rel, t)!;
    const holder = m.horizons.oldestFor(rel);
    if (!steady || !holder || holder.moving || steady.holder !== holder.key || steady.trigger !== trigger || (trigger !== 'anti-wraparound' && trigger !== 'dead rows')) return false;
    if (!m.locks.idle(rel.key) || this.m.databases.some((d) => d !== db && this.workable(d, t))) return false;
    const s = m.settings;
    const x = m.nextXid.valueAt(t);
    const aggressive = trigger === 'anti-wraparound' || x - rel.relfrozenxid > s.vacuumFreezeTableAge;
    const cutoffs = cutoffsFor(m.version, s, x, holder, false);
    // 14+: past the failsafe age every run is unthrottled (the age only grows while the loop lasts).
    const failsafe = s.vacuumFailsafeAge !== null && x - rel.relfrozenxid > s.vacuumFailsafeAge;
    if (aggressive !== steady.aggressive || cutoffs.farInThePast !== steady.farInThePast || failsafe !== steady.failsafe) return false;
    const horizon = Math.min(m.now + LOOP_CHUNK, this.loopHorizon(rel, holder, cutoffs.farInThePast));
    const risk = this.atRisk(t) === db;
    const ndb = m.databases.length;
    const index = m.databases.indexOf(db);
    const runs: LoopRun[] = [];
    let insAt = rel.insertedAtVacuum;
    let kk = k;
    const budget = { limit: s.autovacuumVacuumCostLimit, delay: s.autovacuumVacuumCostDelay };
    for (;;) {
      m.cluster.ctx.sim.guard();
      const start = this.tickAt(kk);
      if (start >= horizon) break;
      const inserted = rel.inserted.valueAt(start);
      const kept = Math.max(0, rel.produced.valueAt(start) - rel.removed);
      const work: Work = { dirtied: (aggressive ? rel.size * rel.spec.vacuumScan : 0) + Math.max(0, inserted - insAt) * rel.rowSize, readOnly: kept * rel.rowSize + frozenRead(rel, aggressive, m.version), removableRows: 0, keptRows: kept };
      const bps = speed(work, s, budget, m.disk, failsafe);
      const end = (start + Math.max(1, Math.ceil((work.dirtied + work.readOnly) / (bps / 1e6)))) as Micros;
      if (end > horizon) break;
      runs.push({ start, end, bytesPerSecond: bps, work, insertedAtStart: inserted, xidAtStart: m.nextXid.valueAt(start), xidAtEnd: m.nextXid.valueAt(end) });
      insAt = inserted;
      // The next visit of this database after the run's end (every visit while it is past the freeze age).
      const next = this.firstTickFrom(end);
      kk = risk ? next : next + ((((index - next) % ndb) + ndb) % ndb);
    }
    if (runs.length < 2) return false;
    const event = m.cluster.ctx.sim.at(runs.at(-1)!.end, 'autovacuum loop', () => {
      this.record(this.m.now);
      this.loop = null;
      this.replan();
    }, PRIORITY.checkpoint + 1);
    this.loop = { rel, holder, trigger, aggressive, failsafe, runs, recorded: 0, event };
    return true;
  }

  /**
   * The first instant after now that a computed loop could stop being the same: another table or database
   * needing a vacuum, this table becoming aggressive, anti-wraparound or past the failsafe, its cutoff moving
   * past the far-in-the-past mark, or the warn and stop limits (their events come in between).
   */
  private loopHorizon(rel: Relation, holder: Holder, far: boolean): number {
    const m = this.m;
    const s = m.settings;
    const now = m.now;
    let h = NEVER as number;
    const at = (target: number) => {
      const t = m.nextXid.timeToReach(target, now);
      if (t > now) h = Math.min(h, t);
    };
    for (const r of m.relations) if (r !== rel && r.exists && !r.running) h = Math.min(h, this.crossing(r, now));
    for (const d of m.databases) at(d.datfrozenxid + s.autovacuumFreezeMaxAge);
    at(rel.relfrozenxid + s.vacuumFreezeTableAge + 1);
    at(rel.relfrozenxid + s.autovacuumFreezeMaxAge);
    if (s.vacuumFailsafeAge !== null && m.nextXid.valueAt(now) - rel.relfrozenxid <= s.vacuumFailsafeAge) at(rel.relfrozenxid + s.vacuumFailsafeAge + 1);
    if (!far) at((m.version >= 16 ? holder.xid : holder.xid - s.vacuumFreezeMinAge) + s.autovacuumFreezeMaxAge);
    const o = m.oldestDatabase();
    if (o) {
      at(o.datfrozenxid + m.limits.warnAge);
      at(o.datfrozenxid + m.limits.stopAge);
    }
    return h;
  }

  /**
   * Record the computed runs that have ended by `t`: each as the model records a run (recordRun), except that a
   * run whose record and event read like the previous one's is counted on the cheap path (a loop has hundreds of
   * thousands of them).
   */
  private record(t: Micros): void {
    const l = this.loop;
    if (!l) return;
    const m = this.m;
    const history = m.cluster.ctx.history;
    let template: VacuumRecord | null = null;
    while (l.recorded < l.runs.length && l.runs[l.recorded]!.end <= t) {
      m.cluster.ctx.sim.guard();
      const r = l.runs[l.recorded++]!;
      const age = r.xidAtEnd - l.rel.relfrozenxid;
      l.rel.insertedAtVacuum = Math.max(l.rel.insertedAtVacuum, r.insertedAtStart);
      l.rel.database.lastAutovacuum = r.start;
      if (template && m.repeatHeldEvent(l.rel, r.start, r.end)) {
        history.vacuumAgain(template, r.start, r.end, age, r.bytesPerSecond, r.work.keptRows);
        continue;
      }
      const cutoffs = cutoffsFor(m.version, m.settings, r.xidAtStart, l.holder, false);
      m.recordRun({
        run: { rel: l.rel, start: r.start, trigger: l.trigger, aggressive: l.aggressive, freeze: false, antiWraparound: l.trigger === 'anti-wraparound', cutoffs, work: r.work, total: r.work.dirtied + r.work.readOnly },
        process: 'autovacuum worker',
        end: r.end,
        canceled: false,
        before: age,
        after: age,
        held: l.holder,
        bytesPerSecond: r.bytesPerSecond,
        failsafe: l.failsafe,
      });
      template = history.lastVacuum(m.cluster.name, l.rel.spec.name) ?? null;
    }
  }

  /**
   * Something may change: the computed runs that have ended are recorded, and one in progress becomes a real
   * run (its worker and lock since its start).
   */
  interrupt(thenReplan = false): void {
    const l = this.loop;
    if (!l) return;
    const now = this.m.now;
    this.loop = null;
    this.m.cluster.ctx.sim.cancel(l.event);
    this.loopRecord(l, now);
    // Called from outside the launcher (a lock request): it plans its next visit once the caller is done.
    if (thenReplan) this.m.cluster.ctx.sim.at(now, 'autovacuum launcher', () => this.replan(), PRIORITY.checkpoint + 1);
    const current = l.runs[l.recorded];
    // A run starting at this very instant has not started: its visit comes after the events of lower priority
    // (a plan step), and the launcher plans it again if nothing changes.
    if (!current || current.start >= now) return;
    const w: Worker = { owner: this.m.locks.newOwner('autovacuum worker', `autovacuum worker (VACUUM ${l.rel.qualified}${l.trigger === 'anti-wraparound' ? ' to prevent wraparound' : ''})`), mark: { by: 'autovacuum' }, db: l.rel.database, list: [], current: l.rel, run: null, didVacuum: true };
    this.workers.add(w);
    l.rel.running = w.mark;
    l.rel.database.lastAutovacuum = current.start;
    this.m.locks.grantAt(w.owner, l.rel.key, 'ShareUpdateExclusiveLock', current.start);
    this.begin(w, l.rel, l.trigger, current.start, l.holder);
  }

  private loopRecord(l: Loop, t: Micros): void {
    const saved = this.loop;
    this.loop = l;
    this.record(t);
    this.loop = saved;
  }

  /** The end of the simulation: computed runs that have ended are recorded (one in progress stays unrecorded, as a real one would). */
  finish(now: Micros): void {
    if (this.loop) this.record(now);
  }

  private nextUsefulTick(): number | null {
    const sim = this.m.cluster.ctx.sim;
    const now = this.m.now;
    const ndb = this.m.databases.length;
    let t = now;
    for (let guard = 0; guard < 10_000; guard++) {
      sim.guard();
      const k0 = Math.max(this.firstTickFrom(t), this.launched + 1);
      const change = this.nextChange(t);
      const risk = this.atRisk(t);
      let k: number | null = null;
      if (risk) {
        if (this.workable(risk, t)) k = k0;
      } else {
        for (let i = 0; i < ndb; i++) {
          const db = this.m.databases[i]!;
          if (!this.workable(db, t)) continue;
          const ki = k0 + ((((i - k0) % ndb) + ndb) % ndb);
          if (k === null || ki < k) k = ki;
        }
      }
      if (k !== null && this.tickAt(k) <= change) return k;
      if (change === NEVER) return null;
      t = change;
    }
    return null;
  }

  /** The next instant after t when some table starts needing a vacuum or a database passes the freeze age. */
  private nextChange(t: Micros): Micros {
    let c = NEVER as number;
    const afma = this.m.settings.autovacuumFreezeMaxAge;
    for (const r of this.m.relations) {
      if (this.needs(r, t) !== null) continue;
      const at = this.crossing(r, t);
      if (at > t) c = Math.min(c, at);
    }
    for (const d of this.m.databases) {
      const at = this.m.nextXid.timeToReach(d.datfrozenxid + afma, t);
      if (at > t) c = Math.min(c, at);
    }
    return c as Micros;
  }

  private launch(k: number): void {
    this.tick = null;
    const now = this.m.now;
    const db = this.chosen(k);
    if (db && this.workers.size < this.maxWorkers && this.workable(db, now)) {
      this.launched = k;
      db.lastAutovacuum = now;
      const list = db.live.filter((r) => !r.running && this.needs(r, now) !== null);
      const w: Worker = { owner: this.m.locks.newOwner('autovacuum worker', `autovacuum worker (database ${db.name})`), mark: { by: 'autovacuum' }, db, list, current: null, run: null, didVacuum: false };
      this.workers.add(w);
      this.next(w);
    }
    this.replan();
  }

  // ------------------------------------------------------------------ workers

  /** The budget of each worker that has a table: the cost limit shared among them. */
  share(): CostBudget {
    const s = this.m.settings;
    const n = Math.max(1, [...this.workers].filter((w) => w.current !== null).length);
    return { limit: Math.max(1, Math.floor(s.autovacuumVacuumCostLimit / n)), delay: s.autovacuumVacuumCostDelay };
  }

  /** The worker's next table (do_autovacuum's loop), or its exit. */
  private next(w: Worker): void {
    const sim = this.m.cluster.ctx.sim;
    while (w.list.length > 0) {
      sim.guard();
      const rel = w.list.shift()!;
      // table_recheck_autovac: still there, not taken by another worker, still needing it.
      if (!rel.exists || rel.running) continue;
      const trigger = this.needs(rel, this.m.now);
      if (trigger === null) continue;
      w.current = rel;
      rel.running = w.mark;
      w.owner.label = `autovacuum worker (VACUUM ${rel.qualified}${trigger === 'anti-wraparound' ? ' to prevent wraparound' : ''})`;
      this.m.respeed();
      if (trigger === 'anti-wraparound') {
        // It waits for its lock (and ignores lock_timeout: autovacuum sets it to 0).
        this.m.locks.acquire({
          owner: w.owner,
          table: rel.key,
          mode: 'ShareUpdateExclusiveLock',
          lockTimeout: 0 as Micros,
          statementDeadline: null,
          onGranted: () => this.begin(w, rel, trigger),
          onFailed: () => this.done(w),
        });
        return;
      }
      if (this.m.locks.tryAcquire(w.owner, rel.key, 'ShareUpdateExclusiveLock')) {
        this.begin(w, rel, trigger);
        return;
      }
      // SKIP_LOCKED (12+; VACOPT_NOWAIT before): the table is skipped, logged only with log_autovacuum_min_duration >= 0.
      if (this.m.settings.logAutovacuumMinDuration !== null) {
        this.m.cluster.log(this.m.primary, 'vacuum', { kind: 'autovacuum-skipped', table: rel.qualified, rule: 'vacuum.c:vacuum_open_relation' }, [{ process: 'autovacuum worker', level: 'LOG', message: `skipping vacuum of "${rel.spec.name}" --- lock not available` }]);
      }
      rel.running = null;
      w.current = null;
    }
    this.exit(w);
  }

  private begin(w: Worker, rel: Relation, trigger: VacuumTrigger, at: Micros = this.m.now, holder?: Holder | null): void {
    const run = this.m.startRun(
      rel,
      w.owner,
      {
        trigger,
        freeze: false,
        process: 'autovacuum worker',
        budget: () => this.share(),
        onEnd: () => this.done(w),
      },
      at,
      holder,
    );
    w.run = run;
    w.didVacuum = true;
    if (!run.antiWraparound) {
      // Through a local: a function literal assigned straight to a property is allocated in V8's old generation (docs/performance.md).
      const cancel: typeof w.owner.cancelAutovacuum = (by, table, mode) => {
        const lines =
          this.m.version < 9.4
            ? [{ process: by.process, level: 'LOG' as const, message: `sending cancel to blocking autovacuum PID ${w.owner.pid}`, detail: `Process ${by.pid} waits for ${mode} on relation ${rel.oid} of database ${rel.database.oid}.` }]
            : [];
        if (lines.length) this.m.cluster.log(this.m.primary, 'lock', { kind: 'autovacuum-cancel-sent', by: by.label, table, rule: 'proc.c:ProcSleep' }, lines);
        this.m.cancelRun(run, { kind: 'lock-conflict', by: by.label, mode, table });
      };
      w.owner.cancelAutovacuum = cancel;
    }
  }

  /** The current table is done (or cancelled, or its lock wait ended): on to the next. */
  private done(w: Worker): void {
    w.owner.cancelAutovacuum = null;
    if (w.current) {
      this.m.locks.release(w.owner, w.current.key);
      if (w.current.running === w.mark) w.current.running = null;
    }
    w.current = null;
    w.run = null;
    w.owner.label = `autovacuum worker (database ${w.db.name})`;
    if (!this.workers.has(w)) return;
    this.m.respeed();
    this.next(w);
  }

  /** The end of a worker's list: it updates datfrozenxid (unless another worker is in the database and it vacuumed nothing). */
  private exit(w: Worker): void {
    this.workers.delete(w);
    const concurrent = [...this.workers].some((o) => o.db === w.db);
    if (w.didVacuum || !concurrent) this.m.updateDatfrozenxid(w.db, 'autovacuum worker');
    this.m.respeed();
    this.replan();
  }

  /** The server stopped: every worker is gone (their runs were cancelled by the model). */
  stopAll(): void {
    this.interrupt();
    this.workers.clear();
    this.m.cluster.ctx.sim.cancel(this.tick);
    this.tick = null;
  }
}

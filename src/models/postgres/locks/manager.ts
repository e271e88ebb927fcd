/**
 * The table-lock manager of a primary (lock.c, proc.c, deadlock.c; postgres-2.md §6, rules 21-23): granted
 * locks and one FIFO wait queue per table. A request waits when it conflicts with a granted lock of another
 * process or with any request already waiting (so a queued AccessExclusiveLock blocks every later SELECT);
 * on every release the queue is woken in order, each waiter granted iff it conflicts neither with the granted
 * locks nor with the waiters still ahead of it. A waiter gives up at lock_timeout or statement_timeout; after
 * deadlock_timeout it runs the detector once: a cycle of hard waits fails it with `deadlock detected`, and a
 * regular autovacuum directly blocking it is sent a cancel (an anti-wraparound one never is).
 *
 * Workloads' queries are a fluid: while a workload's mode passes, its queries take and release their lock
 * instantly, unless the workload declares long ones (`long_reads`, `long_writes`): then its queries in flight
 * hold the mode as one granted lock, continuously while the mode passes and until `holdFor` after the last of
 * them started (a conflicting request arriving now waits for the query that started just before it). Once
 * blocked, its arrivals accumulate as a count in a queue entry (a "group") at the place in the queue where
 * they arrived, and are served together when the group is woken. Each query that waited longer than its lock
 * or statement timeout has failed by then.
 */
import { Level } from '../../../engine/fluid.ts';
import { invariant } from '../../../engine/invariant.ts';
import type { EventHandle, Simulation } from '../../../engine/simulation.ts';
import type { LockFact } from '../../../history/facts/locks.ts';
import type { WriteCauseFact } from '../../../history/facts/writes.ts';
import type { Micros } from '../../../engine/time.ts';
import type { History, LockParty, LockRecord } from '../../../history/history.ts';
import type { LogLine } from '../messages.ts';
import { conflictsWithMask, modeBit, type LockMode } from './modes.ts';

/** A backend (or autovacuum worker) that holds or waits for table locks. */
export interface LockOwner {
  readonly pid: number;
  readonly process: 'autovacuum worker' | 'client backend';
  /** Who, for the report: `DDL "add-column" (ALTER TABLE ... ADD COLUMN)`. */
  label: string;
  /**
   * Set while the owner is a regular autovacuum vacuuming: a waiter it blocks directly sends it a cancel after
   * deadlock_timeout (proc.c ProcSleep). Null for everyone else, anti-wraparound autovacuums included.
   */
  cancelAutovacuum: ((by: LockOwner, table: string, mode: LockMode) => void) | null;
  /** Locks of a prepared transaction survive a restart. */
  readonly prepared?: boolean;
}

export type LockFailure = 'not-available' | 'lock_timeout' | 'statement_timeout' | 'deadlock' | 'canceled';

export interface LockRequestSpec {
  readonly owner: LockOwner;
  readonly table: string;
  readonly mode: LockMode;
  /** lock_timeout for this wait (0: none). */
  readonly lockTimeout: Micros;
  /** Absolute time the statement's statement_timeout fires (null: none). */
  readonly statementDeadline: Micros | null;
  readonly onGranted: () => void;
  readonly onFailed: (why: LockFailure, lines: readonly LogLine[]) => void;
}

interface Waiter {
  readonly kind: 'request';
  readonly spec: LockRequestSpec;
  readonly since: Micros;
  readonly chain: readonly LockParty[];
  readonly timers: EventHandle[];
  /** A cancel was sent to a blocking autovacuum already (once per wait). */
  signalled: boolean;
}

/** Queries of one workload in one mode that arrived while their mode was blocked, in arrival order. */
interface Group {
  readonly kind: 'flow';
  readonly flow: Flow;
  readonly since: Micros;
  /** Arrivals stop joining this group (a later waiter came behind it, or the rate changed). */
  sealedAt: Micros | null;
  /** Arrivals per microsecond while open. */
  readonly rate: number;
  readonly chain: readonly LockParty[];
  expiry: EventHandle | null;
}

type Entry = Waiter | Group;

/** A workload's queries of one mode on one table. */
export interface Flow {
  readonly workload: string;
  readonly table: string;
  readonly mode: LockMode;
  /** Queries per second offered. */
  rate: number;
  /** How long a query may wait for its lock before it fails (min of lock_timeout and statement_timeout; 0: forever). */
  timeout: Micros;
  /** Queries that arrived (cumulative). */
  readonly arrived: Level;
  served: number;
  failed: number;
  /** Served after waiting longer than the stall threshold. */
  slow: number;
  /** How long its long queries hold their lock once granted (0: instant). */
  holdFor: Micros;
}

/**
 * The lock a flow's long queries in flight hold: since the first of them began (for the report's chain),
 * continuously while the flow passes (until null), or until the last one started ends.
 */
interface InFlight {
  readonly flow: Flow;
  readonly since: Micros;
  until: Micros | null;
  expiry: EventHandle | null;
}

interface Grant {
  readonly owner: LockOwner;
  readonly mode: LockMode;
  readonly since: Micros;
}

class TableLock {
  readonly granted: Grant[] = [];
  readonly queue: Entry[] = [];
  /** The workloads' long queries holding their lock. */
  readonly inFlight: InFlight[] = [];

  grantedMask(except: LockOwner | null): number {
    let m = 0;
    for (const g of this.granted) if (g.owner !== except) m |= modeBit(g.mode);
    for (const q of this.inFlight) m |= modeBit(q.flow.mode);
    return m;
  }

  waitMask(until = this.queue.length): number {
    let m = 0;
    for (let i = 0; i < until; i++) m |= modeBit(modeOf(this.queue[i]!));
    return m;
  }
}

const modeOf = (e: Entry): LockMode => (e.kind === 'request' ? e.spec.mode : e.flow.mode);

/** What the manager needs from the server it runs on. */
export interface LockHost {
  readonly sim: Simulation;
  readonly history: History;
  readonly cluster: string;
  /** A queries' wait longer than this counts as slow (the scenario's stall_threshold). */
  readonly stallThreshold: Micros;
  deadlockTimeout(): Micros;
  logLockWaits(): boolean;
  /** (relation OID, database OID) for messages. */
  oids(table: string): { rel: number; db: number };
  log(fact: LockFact, lines: readonly LogLine[]): void;
  /** The set of blocked workloads changed: writes must be re-planned. */
  changed(): void;
  /** Called before a statement or a vacuum looks at a table's locks. */
  beforeLock(): void;
  /** `owner`'s transaction ended, releasing all its locks (its commit or abort record: conflicts.ts released). */
  released?(owner: LockOwner): void;
}

export class LockManager {
  private readonly tables = new Map<string, TableLock>();
  private readonly flows = new Map<string, Flow>();
  private nextPid = 4_000;

  constructor(private readonly host: LockHost) {}

  newOwner(process: LockOwner['process'], label: string, prepared = false): LockOwner {
    return { pid: this.nextPid++, process, label, cancelAutovacuum: null, prepared };
  }

  private table(t: string): TableLock {
    let l = this.tables.get(t);
    if (!l) this.tables.set(t, (l = new TableLock()));
    return l;
  }

  // ------------------------------------------------------------------ statements and autovacuum

  /** ConditionalLockAcquire: granted at once or refused (autovacuum's SKIP_LOCKED, NOWAIT). */
  tryAcquire(owner: LockOwner, table: string, mode: LockMode): boolean {
    this.host.beforeLock();
    const l = this.table(table);
    if (conflictsWithMask(mode, l.grantedMask(owner)) || conflictsWithMask(mode, l.waitMask())) return false;
    l.granted.push({ owner, mode, since: this.host.sim.now });
    this.refreshFlows(table);
    return true;
  }

  /** Whether a conditional request (ConditionalLockAcquire) of `owner` for `mode` would be granted now; nothing is taken. */
  wouldGrant(owner: LockOwner, table: string, mode: LockMode): boolean {
    const l = this.tables.get(table);
    return !l || !(conflictsWithMask(mode, l.grantedMask(owner)) || conflictsWithMask(mode, l.waitMask()));
  }

  /** LockAcquire: granted now (onGranted runs before this returns) or queued. */
  acquire(spec: LockRequestSpec): void {
    this.host.beforeLock();
    const sim = this.host.sim;
    const l = this.table(spec.table);
    const own = l.granted.filter((g) => g.owner === spec.owner).reduce((m, g) => m | modeBit(g.mode), 0);
    // proc.c ProcSleep: a process already holding a lock on the table goes before the first waiter that
    // wants a mode conflicting with what it holds (and is granted if nothing ahead of that place conflicts).
    let at = l.queue.length;
    if (own !== 0) {
      const i = l.queue.findIndex((e) => conflictsWithMask(modeOf(e), own));
      if (i >= 0) at = i;
    }
    const blocked = conflictsWithMask(spec.mode, l.grantedMask(spec.owner)) || conflictsWithMask(spec.mode, l.waitMask(at));
    if (!blocked) {
      l.granted.push({ owner: spec.owner, mode: spec.mode, since: sim.now });
      // A statement's lock is a fact even when it did not wait (an expectation may ask for "at once").
      if (spec.owner.process === 'client backend') this.host.history.lock({ kind: 'wait', cluster: this.host.cluster, table: spec.table, who: spec.owner.label, mode: spec.mode, from: sim.now, to: sim.now, outcome: 'granted', chain: [] });
      this.refreshFlows(spec.table);
      spec.onGranted();
      return;
    }
    const w: Waiter = { kind: 'request', spec, since: sim.now, chain: this.chainFor(l, at, spec.mode, spec.owner), timers: [], signalled: false };
    // Queries arriving from now on queue behind this waiter: the open groups ahead of it stop growing.
    if (at === l.queue.length) this.sealGroups(l);
    l.queue.splice(at, 0, w);
    const timeout = spec.lockTimeout > 0 ? ((sim.now + spec.lockTimeout) as Micros) : null;
    if (timeout !== null && (spec.statementDeadline === null || timeout <= spec.statementDeadline)) {
      w.timers.push(sim.at(timeout, `lock_timeout ${spec.owner.pid}`, () => this.fail(w, 'lock_timeout', [{ process: spec.owner.process, level: 'ERROR', message: 'canceling statement due to lock timeout' }]), 20));
    } else if (spec.statementDeadline !== null) {
      w.timers.push(sim.at(Math.max(sim.now, spec.statementDeadline) as Micros, `statement_timeout ${spec.owner.pid}`, () => this.fail(w, 'statement_timeout', [{ process: spec.owner.process, level: 'ERROR', message: 'canceling statement due to statement timeout' }]), 20));
    }
    w.timers.push(sim.after(this.host.deadlockTimeout(), `deadlock_timeout ${spec.owner.pid}`, () => this.checkDeadlock(w), 20));
    this.refreshFlows(spec.table);
  }

  /** Release every lock `owner` holds (on `table` only, when given): transaction end. */
  release(owner: LockOwner, table?: string): void {
    if (table === undefined) this.host.released?.(owner);
    for (const [name, l] of this.tables) {
      if (table !== undefined && name !== table) continue;
      const before = l.granted.length;
      for (let i = l.granted.length - 1; i >= 0; i--) if (l.granted[i]!.owner === owner) l.granted.splice(i, 1);
      if (l.granted.length !== before) this.wakeup(name);
    }
  }

  /** Withdraw `owner`'s waits (its statement was cancelled otherwise). */
  withdraw(owner: LockOwner, why: LockFailure = 'canceled'): void {
    for (const l of this.tables.values()) {
      for (const e of [...l.queue]) if (e.kind === 'request' && e.spec.owner === owner) this.fail(e, why, []);
    }
  }

  /** A lock granted earlier (a run the autovacuum loop computed ahead, now in progress): it holds since `since`. */
  grantAt(owner: LockOwner, table: string, mode: LockMode, since: Micros): void {
    this.table(table).granted.push({ owner, mode, since });
    this.refreshFlows(table);
  }

  /** Nobody holds or waits for a lock on the table. */
  idle(table: string): boolean {
    const l = this.tables.get(table);
    return !l || (l.granted.length === 0 && l.queue.length === 0 && l.inFlight.length === 0);
  }

  holds(owner: LockOwner, table: string): boolean {
    return this.tables.get(table)?.granted.some((g) => g.owner === owner) ?? false;
  }

  private fail(w: Waiter, why: LockFailure, lines: readonly LogLine[]): void {
    const l = this.table(w.spec.table);
    const i = l.queue.indexOf(w);
    if (i < 0) return;
    l.queue.splice(i, 1);
    for (const t of w.timers) this.host.sim.cancel(t);
    this.record(w, why);
    // Removing a waiter can let those behind it through (lock.c RemoveFromWaitQueue then ProcLockWakeup).
    this.wakeup(w.spec.table);
    w.spec.onFailed(why, lines);
  }

  private record(w: Waiter, outcome: Extract<LockRecord, { kind: 'wait' }>['outcome']): void {
    this.host.history.lock({ kind: 'wait', cluster: this.host.cluster, table: w.spec.table, who: w.spec.owner.label, mode: w.spec.mode, from: w.since, to: this.host.sim.now, outcome, chain: w.chain });
  }

  /** proc.c ProcLockWakeup: grant waiters in queue order while nothing granted or still waiting ahead conflicts. */
  private wakeup(table: string): void {
    const l = this.table(table);
    const now = this.host.sim.now;
    let ahead = 0;
    const granted: Waiter[] = [];
    for (let i = 0; i < l.queue.length; ) {
      this.host.sim.guard();
      const e = l.queue[i]!;
      const mode = modeOf(e);
      const owner = e.kind === 'request' ? e.spec.owner : null;
      if (conflictsWithMask(mode, l.grantedMask(owner)) || conflictsWithMask(mode, ahead)) {
        ahead |= modeBit(mode);
        i++;
        continue;
      }
      l.queue.splice(i, 1);
      if (e.kind === 'request') {
        for (const t of e.timers) this.host.sim.cancel(t);
        l.granted.push({ owner: e.spec.owner, mode, since: now });
        this.record(e, 'granted');
        granted.push(e);
      } else {
        this.closeGroup(e, now, true);
        // The queued queries run now; if the flow passes from here on, refreshFlows keeps them in flight.
        this.startInFlight(l, e.flow, false);
      }
    }
    this.refreshFlows(table);
    for (const w of granted) {
      if (this.host.logLockWaits() && now - w.since >= this.host.deadlockTimeout()) {
        const o = this.host.oids(table);
        this.host.log({ kind: 'lock-acquired-after-wait', who: w.spec.owner.label, mode: w.spec.mode, table, waited: now - w.since, rule: 'proc.c:ProcSleep' }, [
          { process: w.spec.owner.process, level: 'LOG', message: `process ${w.spec.owner.pid} acquired ${w.spec.mode} on relation ${o.rel} of database ${o.db} after ${((now - w.since) / 1000).toFixed(3)} ms` },
        ]);
      }
      w.spec.onGranted();
    }
  }

  /**
   * deadlock.c DeadLockCheck, run once by a waiter after deadlock_timeout: a cycle of hard waits (each blocked
   * by a granted lock of the next) makes this waiter the victim; otherwise a regular autovacuum that blocks it
   * directly is sent a cancel (deadlock.c FindLockCycleRecurseMember, proc.c ProcSleep).
   */
  private checkDeadlock(w: Waiter): void {
    const l = this.table(w.spec.table);
    if (!l.queue.includes(w)) return;
    const o = this.host.oids(w.spec.table);
    const cycle = this.findCycle(w);
    if (cycle) {
      const detail = cycle.map((c) => `Process ${c.waiter.pid} waits for ${c.mode} on relation ${this.host.oids(c.table).rel} of database ${o.db}; blocked by process ${c.blocker.pid}.`).join('\n');
      return this.fail(w, 'deadlock', [{ process: w.spec.owner.process, level: 'ERROR', message: 'deadlock detected', detail, hint: 'See server log for query details.' }]);
    }
    if (this.host.logLockWaits()) {
      const holders = l.granted.filter((g) => g.owner !== w.spec.owner && conflictsWithMask(w.spec.mode, modeBit(g.mode))).map((g) => g.owner.pid);
      const queue = l.queue.filter((e): e is Waiter => e.kind === 'request').map((e) => e.spec.owner.pid);
      this.host.log({ kind: 'lock-still-waiting', who: w.spec.owner.label, mode: w.spec.mode, table: w.spec.table, rule: 'proc.c:ProcSleep' }, [
        {
          process: w.spec.owner.process,
          level: 'LOG',
          message: `process ${w.spec.owner.pid} still waiting for ${w.spec.mode} on relation ${o.rel} of database ${o.db} after ${(this.host.deadlockTimeout() / 1000).toFixed(3)} ms`,
          detail: `Process${holders.length > 1 ? 'es' : ''} holding the lock: ${holders.join(', ')}. Wait queue: ${queue.join(', ')}.`,
        },
      ]);
    }
    if (w.signalled) return;
    for (const g of [...l.granted]) {
      if (g.owner === w.spec.owner || !conflictsWithMask(w.spec.mode, modeBit(g.mode)) || !g.owner.cancelAutovacuum) continue;
      w.signalled = true;
      g.owner.cancelAutovacuum(w.spec.owner, w.spec.table, w.spec.mode);
    }
  }

  /** A path of hard waits from w's owner back to itself, or null. */
  private findCycle(w: Waiter): { waiter: LockOwner; blocker: LockOwner; table: string; mode: LockMode }[] | null {
    const me = w.spec.owner;
    const waitsOf = (owner: LockOwner): Waiter[] => {
      const out: Waiter[] = [];
      for (const l of this.tables.values()) for (const e of l.queue) if (e.kind === 'request' && e.spec.owner === owner) out.push(e);
      return out;
    };
    const seen = new Set<LockOwner>();
    const path: { waiter: LockOwner; blocker: LockOwner; table: string; mode: LockMode }[] = [];
    const visit = (x: Waiter): boolean => {
      this.host.sim.guard();
      const l = this.table(x.spec.table);
      for (const g of l.granted) {
        if (g.owner === x.spec.owner || !conflictsWithMask(x.spec.mode, modeBit(g.mode))) continue;
        path.push({ waiter: x.spec.owner, blocker: g.owner, table: x.spec.table, mode: x.spec.mode });
        if (g.owner === me) return true;
        if (!seen.has(g.owner)) {
          seen.add(g.owner);
          for (const next of waitsOf(g.owner)) if (visit(next)) return true;
        }
        path.pop();
      }
      return false;
    };
    return visit(w) ? path : null;
  }

  /** Who blocks a request for `mode` at queue position `at`: the conflicting holders, then the waiters ahead. */
  private chainFor(l: TableLock, at: number, mode: LockMode, owner: LockOwner | null): LockParty[] {
    const parties: LockParty[] = [];
    for (const g of l.granted) if (g.owner !== owner && conflictsWithMask(mode, modeBit(g.mode))) parties.push({ who: g.owner.label, mode: g.mode, since: g.since, waiting: false });
    const now = this.host.sim.now;
    for (const q of l.inFlight) {
      if (!conflictsWithMask(mode, modeBit(q.flow.mode))) continue;
      // The oldest still running began one duration ago (or when they began).
      const since = Math.max(q.since, now - q.flow.holdFor) as Micros;
      parties.push({ who: `long ${q.flow.mode === 'AccessShareLock' ? 'queries' : 'transactions'} of ${q.flow.workload}`, mode: q.flow.mode, since, waiting: false });
    }
    for (let i = 0; i < at; i++) {
      const e = l.queue[i]!;
      if (!conflictsWithMask(mode, modeBit(modeOf(e)))) continue;
      if (e.kind === 'request') {
        // The waiter ahead and what it waits for, once.
        for (const p of e.chain) if (!parties.some((q) => q.who === p.who && q.mode === p.mode)) parties.push(p);
        parties.push({ who: e.spec.owner.label, mode: e.spec.mode, since: e.since, waiting: true });
      }
    }
    // Holders first, then waiters in queue order.
    return [...parties.filter((p) => !p.waiting), ...parties.filter((p) => p.waiting)];
  }

  // ------------------------------------------------------------------ workload flows

  /**
   * A workload's queries of `mode` on `table` at `rate` per second, each giving up after `timeout` (0: never),
   * its long ones holding the lock `holdFor` once granted (0: none are long).
   */
  setFlow(workload: string, table: string, mode: LockMode, rate: number, timeout: Micros, holdFor: Micros = 0 as Micros): void {
    const now = this.host.sim.now;
    const key = `${workload}\u0000${table}\u0000${mode}`;
    let f = this.flows.get(key);
    if (!f) {
      if (rate <= 0) return;
      f = { workload, table, mode, rate: 0, timeout, arrived: new Level(now, 0), served: 0, failed: 0, slow: 0, holdFor };
      this.flows.set(key, f);
    }
    if (f.rate === rate && f.timeout === timeout && f.holdFor === holdFor) return;
    const l = this.table(table);
    const open = l.queue.find((e): e is Group => e.kind === 'flow' && e.flow === f && e.sealedAt === null);
    if (open) this.seal(open, now);
    f.rate = rate;
    f.timeout = timeout;
    f.holdFor = holdFor;
    f.arrived.setRate(now, rate / 1e6);
    this.refreshFlows(table);
  }

  /** The flow's long queries started until now and hold their lock `holdFor` more (none start after). */
  private endInFlight(l: TableLock, table: string, f: Flow): void {
    const q = l.inFlight.find((x) => x.flow === f);
    if (!q || q.until !== null) return;
    q.until = (this.host.sim.now + f.holdFor) as Micros;
    q.expiry = this.host.sim.at(q.until, `long queries end ${f.workload}`, () => {
      const i = l.inFlight.indexOf(q);
      if (i < 0) return;
      l.inFlight.splice(i, 1);
      this.wakeup(table);
    }, 20);
  }

  /** Long queries of `f` start now (its mode passes, or its queued queries were just granted). */
  private startInFlight(l: TableLock, f: Flow, passing: boolean): void {
    if (f.holdFor <= 0 || f.rate <= 0) return;
    const now = this.host.sim.now;
    const q = l.inFlight.find((x) => x.flow === f);
    if (q) {
      this.host.sim.cancel(q.expiry);
      q.expiry = null;
      q.until = null;
    } else l.inFlight.push({ flow: f, since: now, until: null, expiry: null });
    if (!passing) this.endInFlight(l, f.table, f);
  }

  /** Whether the workload's queries wait or fail for a lock now, and why (null: they pass). */
  blockOf(workload: string, now: Micros): { table: string; since: Micros; failing: boolean; cause: Extract<WriteCauseFact, { kind: 'lock-queue' }> } | null {
    let first: Group | null = null;
    for (const l of this.tables.values()) {
      for (const e of l.queue) if (e.kind === 'flow' && e.flow.workload === workload && (!first || e.since < first.since)) first = e;
    }
    if (!first) return null;
    const f = first.flow;
    const failing = f.timeout > 0 && now >= first.since + f.timeout;
    return { table: f.table, since: first.since, failing, cause: this.describe(first, failing) };
  }

  /** Modes of `workload` currently blocked. */
  blockedModes(workload: string): Set<LockMode> {
    const out = new Set<LockMode>();
    for (const l of this.tables.values()) for (const e of l.queue) if (e.kind === 'flow' && e.flow.workload === workload) out.add(e.flow.mode);
    return out;
  }

  /** The lock chain of a group, as the cause of an outage (`failing`) or a stall. */
  private describe(g: Group, failing: boolean): Extract<WriteCauseFact, { kind: 'lock-queue' }> {
    const party = (p: LockParty) => ({ who: p.who, mode: p.mode });
    return {
      kind: 'lock-queue',
      table: g.flow.table,
      workload: g.flow.workload,
      modes: [...this.blockedModes(g.flow.workload)],
      mode: g.flow.mode,
      holders: g.chain.filter((p) => !p.waiting).map(party),
      waiters: g.chain.filter((p) => p.waiting).map(party),
      failing,
    };
  }

  /**
   * After any change on `table`: a flow whose mode now conflicts with a granted lock or a waiting request and
   * has no open group starts one at the tail (its arrivals from now on wait there).
   */
  private refreshFlows(table: string): void {
    const l = this.table(table);
    const now = this.host.sim.now;
    let changed = false;
    for (const f of this.flows.values()) {
      if (f.table !== table) continue;
      if (f.rate <= 0 || f.holdFor <= 0) this.endInFlight(l, table, f);
      if (f.rate <= 0) continue;
      const open = l.queue.some((e) => e.kind === 'flow' && e.flow === f && e.sealedAt === null);
      if (open) continue;
      if (!conflictsWithMask(f.mode, l.grantedMask(null)) && !conflictsWithMask(f.mode, l.waitMask())) {
        // Its queries pass: its long ones are in flight, continuously.
        this.startInFlight(l, f, true);
        continue;
      }
      // Blocked from now: the long queries already running end one duration after the last started.
      this.endInFlight(l, table, f);
      const g: Group = { kind: 'flow', flow: f, since: now, sealedAt: null, rate: f.rate / 1e6, chain: this.chainFor(l, l.queue.length, f.mode, null), expiry: null };
      l.queue.push(g);
      changed = true;
      // Its queries start failing once the first has waited its timeout: the workload's status changes then.
      if (f.timeout > 0) this.host.sim.at((now + f.timeout) as Micros, `lock queue timeout ${f.workload}`, () => this.host.changed(), 20);
    }
    if (changed || this.groupsClosed) {
      this.groupsClosed = false;
      this.host.changed();
    }
  }

  private groupsClosed = false;

  private sealGroups(l: TableLock): void {
    for (const e of l.queue) if (e.kind === 'flow' && e.sealedAt === null) this.seal(e, this.host.sim.now);
  }

  /** Arrivals stop joining `g`; with a timeout, its last query fails `timeout` after it arrived. */
  private seal(g: Group, at: Micros): void {
    g.sealedAt = at;
    if (g.flow.timeout > 0) {
      g.expiry = this.host.sim.at((at + g.flow.timeout) as Micros, `lock queue expiry ${g.flow.workload}`, () => {
        const l = this.table(g.flow.table);
        const i = l.queue.indexOf(g);
        if (i < 0) return;
        l.queue.splice(i, 1);
        this.closeGroup(g, this.host.sim.now, false);
        this.wakeup(g.flow.table);
      }, 20);
    }
  }

  /**
   * A group leaves the queue at `at`, served (its lock granted) or because every query in it has failed.
   * Queries arrived uniformly over [since, end]; one arriving at a waited at - a, and failed if that passed the
   * timeout. Counts are fluid (fractions of queries), summed per workload.
   */
  private closeGroup(g: Group, at: Micros, granted: boolean): void {
    this.host.sim.cancel(g.expiry);
    const f = g.flow;
    const end = Math.min(g.sealedAt ?? at, at);
    const n = (from: number, to: number) => Math.max(0, Math.min(to, end) - Math.max(from, g.since)) * g.rate;
    const arrived = n(g.since, end);
    const okFrom = f.timeout > 0 ? at - f.timeout : Number.NEGATIVE_INFINITY;
    const served = granted ? n(okFrom, end) : 0;
    const slow = granted ? n(okFrom, at - this.host.stallThreshold) : 0;
    f.served += served;
    f.failed += arrived - served;
    f.slow += slow;
    this.groupsClosed = true;
    this.host.history.lock({ kind: 'queue', cluster: this.host.cluster, table: f.table, workload: f.workload, mode: f.mode, from: g.since, to: at, arrived, served, failed: arrived - served, slow, chain: g.chain });
  }

  /** Per workload and table: queries arrived, failed, and served after waiting past the stall threshold. */
  requestTotals(now: Micros): { workload: string; table: string; arrived: number; failed: number; slow: number }[] {
    const out = new Map<string, { workload: string; table: string; arrived: number; failed: number; slow: number }>();
    for (const f of this.flows.values()) {
      const k = `${f.workload}\u0000${f.table}`;
      const t = out.get(k) ?? { workload: f.workload, table: f.table, arrived: 0, failed: 0, slow: 0 };
      t.arrived += f.arrived.valueAt(now);
      t.failed += f.failed;
      t.slow += f.slow;
      out.set(k, t);
    }
    // Groups still queued at the end: their queries have waited until now.
    for (const l of this.tables.values()) {
      for (const e of l.queue) {
        if (e.kind !== 'flow') continue;
        const t = out.get(`${e.flow.workload}\u0000${e.flow.table}`)!;
        const end = e.sealedAt ?? now;
        const waited = Math.max(0, end - e.since) * e.rate;
        const failedBy = e.flow.timeout > 0 ? Math.max(0, Math.min(end, now - e.flow.timeout) - e.since) * e.rate : 0;
        t.failed += failedBy;
        t.slow += Math.max(0, Math.min(end, now - this.host.stallThreshold) - e.since) * e.rate - failedBy;
        invariant(waited >= failedBy - 1e-6, 'a queued group cannot have more failed queries than arrivals');
      }
    }
    return [...out.values()];
  }

  /** The end of the run: waits and queued queries still open are recorded as they stand. */
  finish(now: Micros): void {
    for (const l of this.tables.values()) {
      for (const e of l.queue) {
        if (e.kind === 'request') this.record(e, 'still waiting at the end');
        else {
          const f = e.flow;
          const end = e.sealedAt ?? now;
          const arrived = Math.max(0, end - e.since) * e.rate;
          const failed = f.timeout > 0 ? Math.max(0, Math.min(end, now - f.timeout) - e.since) * e.rate : 0;
          const slow = Math.max(0, Math.min(end, now - this.host.stallThreshold) - e.since) * e.rate - failed;
          this.host.history.lock({ kind: 'queue', cluster: this.host.cluster, table: f.table, workload: f.workload, mode: f.mode, from: e.since, to: now, arrived, served: 0, failed, slow: Math.max(0, slow), chain: e.chain });
        }
      }
    }
  }

  /**
   * The server went down: every wait ends and every lock is released, except those of prepared transactions
   * (re-acquired at startup from their state files).
   */
  reset(): void {
    const now = this.host.sim.now;
    // The workloads' queries end with the server (their long ones included); they start again when the
    // workload's rates are set again for a running primary (setFlow).
    for (const f of this.flows.values()) {
      f.arrived.setRate(now, 0);
      f.rate = 0;
    }
    for (const [name, l] of this.tables) {
      for (const e of [...l.queue]) {
        if (e.kind === 'request') this.fail(e, 'canceled', []);
        else {
          l.queue.splice(l.queue.indexOf(e), 1);
          this.closeGroup(e, now, false);
        }
      }
      for (let i = l.granted.length - 1; i >= 0; i--) {
        const g = l.granted[i]!;
        if (g.owner.prepared) continue;
        l.granted.splice(i, 1);
        this.host.released?.(g.owner);
      }
      for (const q of l.inFlight.splice(0)) this.host.sim.cancel(q.expiry);
      this.refreshFlows(name);
    }
  }
}

/**
 * What a DBA or an application does in the plan: sessions with an open transaction (a long query, idle in
 * transaction, prepared), VACUUM [FREEZE] of a table or a database, statements that take table locks (DDL,
 * TRUNCATE, DROP TABLE, LOCK TABLE), and the single-user VACUUM after the stop limit. Each takes its locks
 * through the lock manager and its effects through the vacuum model, as the server does.
 */
import type { Micros } from '../../../engine/time.ts';
import type { TableRef, VacuumActionBody } from '../../../scenario/types-vacuum.ts';
import type { LogLine } from '../messages.ts';
import type { PgNode } from '../node.ts';
import type { LockFailure, LockOwner } from '../locks/manager.ts';
import type { Rule } from '../../../history/facts/index.ts';
import type { VacuumFailure } from '../../../history/facts/vacuum.ts';
import { sessionKey, type Session, type TransactionKind } from './horizons.ts';
import type { VacuumModel } from './model.ts';
import type { Relation } from './relations.ts';
import { cutoffsFor } from './vacuum.ts';
import { readsTable } from '../conflicts.ts';
import { statementCost } from './rewrite-wal.ts';

type Vacuum = Extract<VacuumActionBody, { kind: 'vacuum' }>;
type Ddl = Extract<VacuumActionBody, { kind: 'ddl' }>;

/** Where each lock failure comes from in the server. */
const FAILURE_RULE: { readonly [K in LockFailure]: Rule | undefined } = {
  'not-available': 'lock.c:LockAcquireExtended',
  lock_timeout: 'postgres.c:ProcessInterrupts',
  statement_timeout: 'postgres.c:ProcessInterrupts',
  deadlock: 'deadlock.c:DeadLockCheck',
  canceled: undefined,
};
const ruleOf = (why: VacuumFailure): { rule?: Rule } => {
  const rule = why === 'cancelled' ? undefined : FAILURE_RULE[why];
  return rule !== undefined ? { rule } : {};
};

export class Operations {
  constructor(private readonly m: VacuumModel) {}

  private get log() {
    return this.m.cluster.log.bind(this.m.cluster);
  }

  // ------------------------------------------------------------------ sessions

  openTransaction(node: PgNode, name: string, prepared: boolean, database: string | null, idle: boolean, tables: readonly TableRef[] | null = null, how: TransactionKind = { isolation: 'read committed', wrote: null }): void {
    const m = this.m;
    const now = m.now;
    // A query on a standby takes its snapshot of what replay has reached (procarray.c GetSnapshotData from
    // KnownAssignedXids): the primary's state when it wrote that position (conflicts.ts snapshotTime), behind
    // by recovery_min_apply_delay, a replay backlog or a catch-up. hot_standby_feedback reports that xmin; the
    // XID counter's past is kept for it only on a delayed standby (horizons.ts), others take the present XID
    // (approximation: their hold is dated right, its XID too new).
    const onStandby = node.role.kind === 'standby';
    const snapshotAt = onStandby ? m.cluster.replay.conflicts.snapshotTime(m.cluster.replay.at(node, now).lsn) : now;
    const delay = onStandby ? node.settings.recoveryMinApplyDelay : 0;
    const feeds = node.role.kind === 'standby' && node.settings.hotStandbyFeedback && node.role.receiver.status === 'streaming' && delay > 0;
    // What it holds (checked on 10, 15 and 18 with pg_stat_activity): a running statement has a snapshot
    // (backend_xmin); idle in READ COMMITTED it has none (snapmgr.c SnapshotResetXmin once its last statement's
    // snapshot is unregistered), in REPEATABLE READ / SERIALIZABLE it keeps its transaction snapshot
    // (IsolationUsesXactSnapshot); one that wrote has an XID (backend_xid) until it ends, which holds the horizon
    // by itself (procarray.c ComputeXidHorizons takes the older of each backend's xid and xmin). A prepared
    // transaction's dummy PGPROC has its XID and no xmin (twophase.c MarkAsPreparingGuts). A standby's
    // transactions cannot write. Approximation: XID and snapshot both date from its start.
    const hasXid = !onStandby && (how.wrote ?? true);
    const snapshot = !prepared && (!idle || how.isolation !== 'read committed');
    const xmin = !hasXid && !snapshot ? null : snapshotAt < now && feeds && snapshotAt >= now - delay - 1 ? Math.round(m.horizons.xidAt(snapshotAt)) : Math.round(m.xidNow());
    const db = database ?? m.databases[0]?.name ?? 'postgres';
    const owner = m.locks.newOwner('client backend', `session "${name}"`, prepared);
    const prepareRecord = prepared && node.role.kind === 'primary' ? { timeline: node.wal.timeline, lsn: node.walEnd(now) } : null;
    // A query on a standby: the records replay has passed stay passed (conflicts.ts), and replay may now stop at
    // one ahead that conflicts with it.
    if (node.role.kind === 'standby') {
      m.cluster.replay.conflicts.settle(node);
      m.cluster.requestReflow();
    }
    const s: Session = { name, node, database: db, xmin, snapshot, hasXid, isolation: how.isolation, prepared, idle, since: now, snapshotAt, owner, idleTimer: null, prepareRecord, tables };
    m.horizons.sessions.set(name, s);
    // The report's hold: a query on a standby holds the primary's horizon only through hot_standby_feedback
    // (approximation: as the setting is at its start, whether the standby streams or not).
    if (xmin !== null && (!onStandby || node.settings.hotStandbyFeedback)) m.cluster.ctx.history.holdStart({ cluster: m.cluster.name, holder: sessionKey(s), kind: 'xmin', xid: xmin, since: now, until: null });
    const standby = node.role.kind === 'standby';
    this.log(node, 'setting', {
      kind: 'xmin-held',
      node: node.name,
      session: name,
      how: standby ? 'standby-query' : prepared ? 'prepared' : idle ? 'idle-in-transaction' : 'transaction',
      xmin,
      holds: snapshot ? 'snapshot' : hasXid ? 'xid' : null,
      isolation: how.isolation,
      hotStandbyFeedback: standby ? node.settings.hotStandbyFeedback : null,
      rule: 'procarray.c:ComputeXidHorizons',
    });
    // On a standby, its first read of a table whose AccessExclusiveLock the startup process holds (replayed
    // from the primary) waits for the replay of the end of the transaction that took it (conflicts.ts).
    if (onStandby && m.cluster.replay.conflicts.waitForReplayedLock(s)) this.timeLockWait(s);
    // On the primary, the transaction holds an AccessShareLock on each table it read (`tables`, by default every
    // table of its database) until it ends, a prepared one across restarts (lock.c AtPrepare_Locks,
    // lock_twophase_recover): a DDL waits for it, and every query behind the DDL waits too (postgres-2.md §6.2).
    // On a standby its locks are the standby's own: replay's conflicts with them are conflicts.ts's.
    if (!onStandby) {
      const refs = tables ?? (m.database(db)?.live ?? []).map((r) => ({ database: db, table: r.spec.name }));
      for (const t of refs) {
        const rel = m.relation(`${t.database}.${t.table}`);
        if (!rel || !rel.exists) continue;
        m.locks.acquire({ owner, table: rel.key, mode: 'AccessShareLock', lockTimeout: m.settings.lockTimeout, statementDeadline: null, onGranted: () => {}, onFailed: () => this.end(s) });
      }
    }
    // A session running a query on the primary: statement_timeout cancels it, and the error aborts the
    // transaction (xact.c AbortTransaction releases its locks and its snapshot), as for the workloads' long reads.
    const st = m.settings.statementTimeout;
    if (!idle && !prepared && !onStandby && st > 0) {
      s.idleTimer = m.cluster.ctx.sim.after(st, `statement_timeout ${name}`, () => {
        this.log(node, 'setting', { kind: 'session-query-cancelled', node: node.name, session: name, timeout: st, rule: 'postgres.c:ProcessInterrupts' }, [
          { process: 'client backend', level: 'ERROR', message: 'canceling statement due to statement timeout' },
        ]);
        this.end(s);
      }, 20);
    }
    // 9.6+: idle_in_transaction_session_timeout ends a session idle in a transaction (not a prepared one).
    const limit = node.settings.idleInTransactionSessionTimeout;
    if (idle && !prepared && limit > 0) {
      s.idleTimer = m.cluster.ctx.sim.after(limit, `idle timeout ${name}`, () => {
        this.log(node, 'setting', { kind: 'idle-session-terminated', node: node.name, session: name, timeout: limit, rule: 'postgres.c:ProcessInterrupts' }, [
          { process: 'client backend', level: 'FATAL', message: 'terminating connection due to idle-in-transaction timeout' },
        ]);
        this.end(s);
      }, 20);
    }
    m.replan();
  }

  /**
   * A query on a standby waiting for a replayed lock gives up at the standby's lock_timeout or statement_timeout
   * (postgres.c ProcessInterrupts), which aborts its transaction.
   */
  private timeLockWait(s: Session): void {
    const m = this.m;
    const { lockTimeout, statementTimeout } = s.node.settings;
    const limits = [lockTimeout, statementTimeout].filter((x) => x > 0);
    if (limits.length === 0) return;
    const after = Math.min(...limits) as Micros;
    const failure = after === lockTimeout ? 'lock_timeout' : 'statement_timeout';
    const conflicts = m.cluster.replay.conflicts;
    m.cluster.ctx.sim.after(after, `${failure} ${s.name}`, () => {
      if (m.horizons.sessions.get(s.name) !== s || !conflicts.waitsForLock(s)) return;
      const table = conflicts.lockWaitTable(s) ?? '';
      conflicts.dropLockWait(s, failure);
      this.log(s.node, 'lock', { kind: 'statement-failed', who: `session "${s.name}" on ${s.node.name}`, table, after, failure, session: s.name, rule: 'postgres.c:ProcessInterrupts' }, [
        { process: 'client backend', level: 'ERROR', message: `canceling statement due to ${failure === 'lock_timeout' ? 'lock' : 'statement'} timeout` },
      ]);
      this.end(s);
    }, 20);
  }

  closeTransaction(name: string): void {
    const s = this.m.horizons.sessions.get(name);
    if (!s) return;
    this.log(s.node, 'setting', { kind: 'transaction-ended', node: s.node.name, session: name });
    this.end(s);
  }

  /** A session ended from outside (a recovery conflict cancelled its query: conflicts.ts). */
  endSession(name: string): void {
    const s = this.m.horizons.sessions.get(name);
    if (s) this.end(s);
  }

  private end(s: Session): void {
    const m = this.m;
    // Replay held by this query on a standby goes on (conflicts.ts).
    if (s.node.role.kind === 'standby') m.cluster.requestReflow();
    m.cluster.ctx.sim.cancel(s.idleTimer);
    m.horizons.sessions.delete(s.name);
    if (s.node.role.kind === 'standby') m.cluster.replay.conflicts.dropLockWait(s);
    if (s.xmin !== null) m.cluster.ctx.history.holdEnd(m.cluster.name, sessionKey(s), m.now);
    m.locks.withdraw(s.owner);
    m.locks.release(s.owner);
    for (const f of [...this.sessionEnded]) f(s.name);
    m.replan();
  }

  // ------------------------------------------------------------------ VACUUM

  /**
   * VACUUM [FREEZE] [table] by a client backend: each table in its own transaction with a
   * ShareUpdateExclusiveLock it waits for (lock_timeout applies), at vacuum_cost_delay / vacuum_cost_limit
   * (0: unthrottled, the default), then datfrozenxid is updated (vacuum.c vacuum, vac_update_datfrozenxid).
   * FREEZE freezes everything older than OldestXmin (freeze_min_age 0) and is aggressive.
   */
  vacuum(a: Vacuum, label: string, singleUser: { onDone: () => void } | null = null): void {
    const m = this.m;
    const db = m.database(a.database);
    if (!db) return;
    const tables = a.table ? db.live.filter((r) => r.spec.name === a.table) : db.live;
    const process: LogLine['process'] = singleUser ? 'standalone backend' : 'client backend';
    const owner = m.locks.newOwner('client backend', `VACUUM${a.freeze ? ' FREEZE' : ''}${a.table ? ` ${db.name}.${a.table}` : ` of database ${db.name}`}${label}`);
    const s = m.settings;
    const budget = { limit: a.costLimit ?? s.vacuumCostLimit, delay: a.costDelay ?? s.vacuumCostDelay };
    const start = m.now;
    const deadline = !singleUser && s.statementTimeout > 0 ? ((start + s.statementTimeout) as Micros) : null;
    let current: { run: ReturnType<VacuumModel['startRun']> | null } = { run: null };
    let timer = deadline !== null ? m.cluster.ctx.sim.at(deadline, `statement_timeout ${owner.pid}`, () => {
      if (current.run) m.cancelRun(current.run, { kind: 'statement_timeout' });
    }, 20) : null;
    const finish = (failed: VacuumFailure | null, lines: readonly LogLine[] = []) => {
      m.cluster.ctx.sim.cancel(timer);
      timer = null;
      if (failed) this.log(m.primary, 'vacuum', { kind: 'vacuum-failed', who: owner.label, failure: failed, ...ruleOf(failed) }, lines);
      else m.updateDatfrozenxid(db, process);
      singleUser?.onDone();
    };
    const next = (i: number): void => {
      const rel = tables[i];
      if (!rel) return finish(null);
      const begin = () => {
        current = {
          run: m.startRun(rel, owner, {
            trigger: singleUser ? 'single-user' : 'manual',
            freeze: a.freeze,
            process,
            budget: () => budget,
            ...(a.truncate !== undefined ? { truncate: a.truncate } : {}),
            onEnd: (outcome) => {
              current = { run: null };
              m.locks.release(owner, rel.key);
              if (outcome === 'canceled') return finish(m.now >= (deadline ?? Number.POSITIVE_INFINITY) ? 'statement_timeout' : 'cancelled', m.now >= (deadline ?? Number.POSITIVE_INFINITY) ? [{ process, level: 'ERROR', message: 'canceling statement due to statement timeout' }] : []);
              next(i + 1);
            },
          }),
        };
      };
      if (singleUser) return begin(); // alone on the server: no locks to wait for
      m.locks.acquire({
        owner,
        table: rel.key,
        mode: 'ShareUpdateExclusiveLock',
        lockTimeout: s.lockTimeout,
        statementDeadline: deadline,
        onGranted: begin,
        onFailed: (why, lines) => finish(why, lines),
      });
    };
    next(0);
  }

  /**
   * The way back after the stop limit as the documentation up to 13 gives it: stop the server, VACUUM the
   * database in single-user mode (exempt from the stop limit; unthrottled unless vacuum_cost_delay is set),
   * start the server again. The database is the one the stop ERROR names. Holders that survive a restart
   * (prepared transactions, slots) still hold the horizon: it then frees nothing.
   */
  singleUserVacuum(node: PgNode, database: string | null): void {
    const m = this.m;
    const db = database ?? m.oldestDatabase()?.name;
    if (!db || !node.isPrimary) return;
    const started = m.now;
    this.log(node, 'vacuum', { kind: 'single-user-vacuum-started', node: node.name, database: db, version: m.version });
    m.cluster.stop(node);
    this.vacuum({ kind: 'vacuum', cluster: m.cluster.name, database: db, table: null, freeze: false, costDelay: null, costLimit: null }, ' in single-user mode', {
      onDone: () => {
        this.log(node, 'vacuum', { kind: 'single-user-vacuum-done', node: node.name, database: db, duration: m.now - started });
        m.cluster.start(node);
      },
    });
  }

  // ------------------------------------------------------------------ statements that lock a table

  /**
   * A statement that takes a table lock (lock level by statement and version: locks/statements.ts), waiting in
   * the table's queue (lock_timeout, statement_timeout, deadlock_timeout apply). Once it has its lock it runs
   * for its duration, applies its effect (TRUNCATE, DROP TABLE, a rewrite) and commits, releasing the lock;
   * inside a session the lock stays until the session's transaction ends.
   */
  ddl(a: Ddl, name: string | null): void {
    const m = this.m;
    const rel = m.relation(`${a.table.database}.${a.table.table}`);
    if (!rel || !rel.exists) {
      this.log(m.primary, 'lock', { kind: 'table-missing', statement: a.label, table: a.table.table }, [{ process: 'client backend', level: 'ERROR', message: `relation "${a.table.table}" does not exist` }]);
      return;
    }
    const session = a.session !== null ? m.horizons.sessions.get(a.session) : undefined;
    const who = `${name ? `"${name}" ` : ''}${a.label}`;
    const owner: LockOwner = session?.owner ?? m.locks.newOwner('client backend', who);
    const s = m.settings;
    const lockTimeout = a.lockTimeout ?? s.lockTimeout;
    const stmt = a.statementTimeout ?? s.statementTimeout;
    const start = m.now;
    const deadline = stmt > 0 ? ((start + stmt) as Micros) : null;
    const fail = (why: LockFailure | 'statement_timeout', lines: readonly LogLine[]) => {
      this.log(m.primary, 'lock', { kind: 'statement-failed', who, table: rel.key, after: m.now - start, failure: why, session: session ? session.name : null, ...ruleOf(why) }, lines);
      // An error aborts the transaction (xact.c AbortTransaction releases its locks; its snapshot is gone).
      if (session) this.end(session);
    };
    const granted = () => {
      const waited = m.now - start;
      // Once granted it holds its lock for as long as it reads (scan) or reads and writes (rewrite) the table
      // at the disk's throughput, unless the plan says how long (approximation: no CPU, sort or WAL cost).
      // Its new relation's pages go into the WAL as it writes them, evenly over its run (vacuum/rewrite-wal.ts).
      const { duration, wal } = statementCost(a, rel, rel.size + rel.deadRows(m.now) * rel.rowSize, m.primary.settings, m.version, m.disk);
      this.log(m.primary, 'lock', { kind: 'statement-locked', who, mode: a.lock, table: rel.key, waited, duration, rule: 'lock.c:LockAcquire', ...(wal > 0 ? { wal } : {}) });
      const writes = m.cluster.writes.statementWal;
      // A server that stopped meanwhile took the statement with it (its transaction aborted; the lock manager
      // was reset): no effect, no timeout.
      const primary = m.primary;
      const boot = primary.boot;
      const alive = () => m.primary === primary && primary.running && primary.boot === boot;
      let writer = wal > 0 ? writes.start(m.primary, wal / Math.max(1, duration), { who, wal }) : null;
      // At the end of its run (before a CREATE INDEX CONCURRENTLY's wait for older snapshots), or when it fails.
      const stopWriting = () => {
        if (!writer) return;
        writes.end(writer);
        writer = null;
        m.cluster.requestReflow('changed');
      };
      if (writer) m.cluster.requestReflow('changed');
      // An AccessExclusiveLock is WAL-logged as it is taken (lock.c LockAcquireExtended, standby.c
      // LogAccessExclusiveLock): a standby's startup process takes it when it replays the record, after the
      // queries there holding a lock on the table (those that read it: open_transaction's `tables`, by default
      // every table of its database) end or are cancelled (standby.c ResolveRecoveryConflictWithLock).
      if (a.lock === 'AccessExclusiveLock') {
        const database = rel.database.name;
        const table = rel.spec.name;
        m.cluster.replay.conflicts.record({ kind: 'lock', database, table, conflictsWith: readsTable(database, table), holder: { owner, who: owner.label } }, m.primary);
      }
      const done = () => {
        stopWriting();
        this.effect(rel, a);
        if (!session) m.locks.release(owner);
      };
      if (deadline !== null && m.now + duration > deadline) {
        m.cluster.ctx.sim.at(deadline, `statement_timeout ${owner.pid}`, () => {
          stopWriting();
          if (!alive()) return;
          fail('statement_timeout', [{ process: 'client backend', level: 'ERROR', message: 'canceling statement due to statement timeout' }]);
          if (!session) m.locks.release(owner);
        }, 20);
        return;
      }
      const end = a.waitsForSnapshots ? () => this.waitForOlderSnapshots(rel, who, lockTimeout, deadline, done, (why, lines) => {
        fail(why, lines);
        m.locks.release(owner);
      }) : done;
      if (duration <= 0) end();
      else
        m.cluster.ctx.sim.after(duration, `ddl ${owner.pid}`, () => {
          stopWriting();
          if (alive()) end();
        }, 20);
    };
    if (a.nowait) {
      if (m.locks.tryAcquire(owner, rel.key, a.lock)) granted();
      else fail('not-available', [{ process: 'client backend', level: 'ERROR', message: `could not obtain lock on relation "${rel.spec.name}"` }]);
      return;
    }
    // Then the other tables it locks, one after the other (tablecmds.c: the referenced table of a foreign key
    // is opened in phase 3, with the statement's own lock held); a failure on one releases them all.
    const others = a.others.flatMap((o) => {
      const r = m.relation(`${o.table.database}.${o.table.table}`);
      return r && r.exists ? [{ key: r.key, mode: o.mode }] : [];
    });
    const lockOthers = (i: number): void => {
      const o = others[i];
      if (!o) return granted();
      m.locks.acquire({
        owner,
        table: o.key,
        mode: o.mode,
        lockTimeout,
        statementDeadline: deadline,
        onGranted: () => lockOthers(i + 1),
        onFailed: (why, lines) => {
          fail(why, lines);
          if (!session) m.locks.release(owner);
        },
      });
    };
    m.locks.acquire({ owner, table: rel.key, mode: a.lock, lockTimeout, statementDeadline: deadline, onGranted: () => lockOthers(0), onFailed: fail });
  }

  /**
   * indexcmds.c WaitForOlderSnapshots (CREATE INDEX CONCURRENTLY, REINDEX CONCURRENTLY 12+): after its build the
   * statement waits, still holding its ShareUpdateExclusiveLock, until every transaction of its database with
   * an older snapshot has ended, whatever tables they read (checked on 15: a CREATE INDEX CONCURRENTLY on t
   * waits for an open transaction that read only another table). Each wait is a lock wait on the other's
   * virtual transaction ID (lmgr.c VirtualXactLock): lock_timeout and statement_timeout end it, leaving an
   * INVALID index. Only backends with an xmin are waited for (procarray.c GetCurrentVirtualXIDs, excludeXmin0):
   * not prepared transactions (no xmin in their dummy PGPROC), vacuums, nor a session idle in a READ COMMITTED
   * transaction, whose snapshot is gone with its last statement, XID or not (checked on 15: BEGIN; SELECT ...;
   * then idle does not hold up a CREATE INDEX CONCURRENTLY, the same in REPEATABLE READ does): Session.snapshot.
   * Approximation: the workloads' long queries are not waited for.
   */
  private waitForOlderSnapshots(rel: Relation, who: string, lockTimeout: Micros, deadline: Micros | null, done: () => void, failed: (why: LockFailure, lines: readonly LogLine[]) => void): void {
    const m = this.m;
    const now = m.now;
    const older = new Set([...m.horizons.sessions.values()].filter((x) => x.snapshot && x.node === m.primary && x.database === rel.database.name && x.since < now).map((x) => x.name));
    if (older.size === 0) return done();
    this.log(m.primary, 'lock', { kind: 'statement-waits-for-snapshots', who, table: rel.key, sessions: [...older], rule: 'indexcmds.c:WaitForOlderSnapshots' });
    const limits = [lockTimeout > 0 ? now + lockTimeout : Number.POSITIVE_INFINITY, deadline ?? Number.POSITIVE_INFINITY];
    const at = Math.min(...limits);
    const watch = (name: string) => {
      older.delete(name);
      if (older.size > 0) return;
      this.sessionEnded.delete(watch);
      m.cluster.ctx.sim.cancel(timer);
      done();
    };
    this.sessionEnded.add(watch);
    const timer = Number.isFinite(at)
      ? m.cluster.ctx.sim.at(at as Micros, `snapshot wait ${who}`, () => {
          this.sessionEnded.delete(watch);
          const lock = at === limits[0];
          failed(lock ? 'lock_timeout' : 'statement_timeout', [{ process: 'client backend', level: 'ERROR', message: `canceling statement due to ${lock ? 'lock' : 'statement'} timeout` }]);
        }, 20)
      : null;
  }

  /** Statements waiting for sessions to end (waitForOlderSnapshots), told of each session that ends. */
  private readonly sessionEnded = new Set<(name: string) => void>();

  /** What the statement did to the table, once it commits. */
  private effect(rel: Relation, a: Ddl): void {
    const m = this.m;
    const now = m.now;
    if (a.rows !== undefined) {
      // A DELETE's rows are dead once it commits (heapam.c heap_delete sets xmax; pgstat counts them at commit).
      rel.produced.add(now, a.rows);
      this.log(m.primary, 'vacuum', { kind: 'rows-deleted', table: rel.key, rows: a.rows, dead: Math.round(rel.deadRows(now)) });
      m.cluster.requestReflow();
      m.replan();
      return;
    }
    if (a.effect === 'none' || a.effect === 'scan') return;
    if (a.effect === 'rewrite') {
      // VACUUM FULL / CLUSTER / a rewriting ALTER TABLE (whose new relfrozenxid is RecentXmin, approximated the
      // same way): a new copy without the dead rows no snapshot needs, frozen to FreezeLimit.
      const holder = m.horizons.oldestFor(rel);
      const c = cutoffsFor(m.version, m.settings, m.xidNow(), holder, false);
      rel.removed = Math.max(rel.removed, holder ? Math.min(rel.produced.valueAt(now), rel.produced.valueAt(holder.since)) : rel.produced.valueAt(now));
      rel.insertedAtVacuum = rel.inserted.valueAt(now);
      rel.relfrozenxid = Math.max(rel.relfrozenxid, c.freezeLimit);
    } else {
      // A new, empty relfilenode whose relfrozenxid is RecentXmin (heapam_handler.c heapam_relation_set_new_filelocator).
      rel.truncate(now, m.horizons.snapshotXmin(m.xidNow()));
      if (a.effect === 'drop') rel.exists = false;
    }
    this.log(
      m.primary,
      'vacuum',
      a.effect === 'drop'
        ? { kind: 'table-dropped', table: rel.key }
        : { kind: 'table-rewritten', table: rel.key, effect: a.effect, age: Math.round(m.xidNow() - rel.relfrozenxid), ...(a.effect === 'truncate' ? { rule: 'heapam_handler.c:heapam_relation_set_new_filenode' as const } : {}) },
    );
    m.cluster.requestReflow();
    m.replan();
  }
}

/**
 * Who holds the xmin horizon back (procarray.c ComputeXidHorizons, slot.c ReplicationSlotsComputeRequiredXmin;
 * postgres.md §3, rule 15): sessions with an open transaction (running a query, idle in transaction, or
 * prepared), queries on a standby that reports them with hot_standby_feedback, and replication slots (their
 * state lives with the slots, in xid.ts: they are passed in). A vacuum can neither remove a row version deleted
 * after the oldest holder's snapshot nor freeze past it.
 */
import type { Micros } from '../../../engine/time.ts';
import type { EventHandle } from '../../../engine/simulation.ts';
import type { PgNode } from '../node.ts';
import type { Lsn } from '../lsn.ts';
import { timelineAt, type Timeline } from '../timeline.ts';
import type { LockOwner } from '../locks/manager.ts';
import { Counter, type Relation } from './relations.ts';
import type { TableRef } from '../../../scenario/types-vacuum.ts';
import type { Isolation } from '../../../scenario/types.ts';
import type { HorizonHolder } from '../../../history/facts/vacuum.ts';

export interface Holder {
  /** The name the history's hold records use ("slot \"x\"", "transaction \"y\""). */
  readonly key: string;
  readonly xid: number;
  /** What it is, for the report to word (history/facts/vacuum.ts). */
  readonly who: HorizonHolder;
  readonly since: Micros;
  /** The database whose relations it holds; null: every database (slots, walsenders of standbys). */
  readonly database: string | null;
  /** A logical slot's catalog_xmin holds the catalogs only. */
  readonly catalogOnly: boolean;
  /** It moves with time (a delayed standby's feedback): no retry loop is computed ahead with it (autovacuum.ts). */
  readonly moving?: boolean;
}

/** What open_transaction says of a transaction: its isolation level, and whether it wrote (null: the default). */
export interface TransactionKind {
  readonly isolation: Isolation;
  readonly wrote: boolean | null;
}

/** An open transaction of a session the plan started (open_transaction). */
export interface Session {
  readonly name: string;
  readonly node: PgNode;
  readonly database: string;
  /**
   * Where it holds the xmin horizon: the older of its XID and its snapshot's xmin (procarray.c
   * ComputeXidHorizons), both approximated as the XID counter when it began; null: it holds neither (idle in a
   * READ COMMITTED transaction that has not written).
   */
  readonly xmin: number | null;
  /**
   * It has a snapshot (pg_stat_activity.backend_xmin set): running a query, or in a REPEATABLE READ or
   * SERIALIZABLE transaction (its transaction snapshot). Idle in READ COMMITTED it has none (snapmgr.c
   * SnapshotResetXmin once no snapshot is registered), XID or not: a cleanup record replayed on a standby does
   * not conflict with it (standby.c GetConflictingVirtualXIDs looks at xmin), nor does CREATE INDEX
   * CONCURRENTLY wait for it.
   */
  readonly snapshot: boolean;
  /** It has an XID (it wrote, on the primary; or prepared after writing). */
  readonly hasXid: boolean;
  readonly isolation: Isolation;
  readonly prepared: boolean;
  readonly idle: boolean;
  readonly since: Micros;
  /** The primary's instant its snapshot shows: `since`, or earlier on a standby replaying behind (operations.ts). */
  readonly snapshotAt: Micros;
  /** The tables it has read (an AccessShareLock on each); null: every table of its database (conflicts.ts). */
  readonly tables: readonly TableRef[] | null;
  /** The session's backend, as it holds and waits for table locks. */
  readonly owner: LockOwner;
  idleTimer: EventHandle | null;
  /**
   * A prepared transaction's PREPARE record (a primary's WAL end when it was prepared): the transaction lives in
   * the WAL from there on, on every server whose history holds that record (null for other sessions).
   */
  readonly prepareRecord: { readonly timeline: Timeline; readonly lsn: Lsn } | null;
}

export function sessionKey(s: Pick<Session, 'name' | 'prepared'>): string {
  return `${s.prepared ? 'prepared transaction' : 'transaction'} "${s.name}"`;
}

/**
 * A workload's long queries (or long write transactions) on the primary, as a steady stream: started at a rate
 * from `start`, each lasting `duration`; no new one since `stop` (null: still starting). Flow level: the stream is
 * taken to always have one in flight (approximation: right when rate × duration ≥ 1, docs/model-vacuum.md).
 */
export interface QueryStream {
  readonly workload: string;
  readonly database: string;
  /** Reads hold a snapshot; writes hold their XID (assigned at the start, approximation) and their snapshot. */
  readonly kind: 'read' | 'write';
  readonly duration: Micros;
  start: Micros;
  stop: Micros | null;
}

export class Horizons {
  readonly sessions = new Map<string, Session>();
  readonly streams = new Map<string, QueryStream>();
  /** The XID counter's past, for the snapshot a stream's oldest query took (trimmed to twice the longest duration). */
  private readonly xidPast: Counter;

  constructor(
    /** The slots' holders (xid.ts), current as of the call. */
    private readonly slotHolders: () => readonly Holder[],
    private readonly now: () => Micros = () => 0 as Micros,
    startXid = 0,
    /** The server vacuum runs on (the cluster's primary), or null when not known. */
    private readonly primary: () => PgNode | null = () => null,
    /** Standbys streaming with hot_standby_feedback and recovery_min_apply_delay (`delay` > 0), as of the call. */
    private readonly delayedStandbys: () => readonly { readonly node: PgNode; readonly delay: Micros }[] = () => [],
  ) {
    this.xidPast = new Counter(this.now(), startXid);
  }

  /** The XID counter changed rate at `t` (xid.ts): its past stays readable for the streams' snapshots. */
  xidRateChanged(t: Micros, perMicro: number): void {
    this.xidPast.setRate(t, perMicro);
    let longest = 0;
    for (const s of this.streams.values()) longest = Math.max(longest, s.duration);
    for (const d of this.delayedStandbys()) longest = Math.max(longest, d.delay);
    this.xidPast.trim((t - 2 * longest - 1) as Micros);
  }

  /**
   * A workload's stream of long queries runs (rate above 0) or not, from now. One that stopped and starts again
   * while its last queries are still running keeps its start (approximation: as if it had not paused).
   */
  setStream(workload: string, database: string, kind: QueryStream['kind'], duration: Micros, running: boolean): boolean {
    const now = this.now();
    const key = `${workload}\u0000${kind}`;
    const s = this.streams.get(key);
    if (!running) {
      if (!s || s.stop !== null) return false;
      s.stop = now;
      return true;
    }
    if (s && s.stop === null && s.duration === duration) return false;
    if (s && s.stop !== null && now < s.stop + s.duration && s.duration === duration) s.stop = null;
    else this.streams.set(key, { workload, database, kind, duration, start: now, stop: null });
    return true;
  }

  /**
   * When the oldest transaction ID a stream's oldest query still needs was assigned (procarray.c
   * ComputeXidHorizons: the older of each backend's xid and xmin), or null when none is running. The oldest
   * running query began `duration` ago (or when the stream began). A write transaction holds the XID it was
   * assigned then; a read holds the xmin of the snapshot it took then, which is the oldest XID running then
   * (procarray.c GetSnapshotData): the XID of the oldest long write transaction in flight at that instant.
   * Approximation: the plan's sessions that have ended since are not in that snapshot.
   */
  private streamSince(s: QueryStream, now: Micros): Micros | null {
    const begun = Math.max(s.start, now - s.duration) as Micros;
    if (s.stop !== null && begun >= s.stop) return null;
    if (s.kind === 'write') return begun;
    let t = begun;
    for (const w of this.streams.values()) {
      if (w.kind !== 'write' || w.start > begun || (w.stop !== null && w.stop <= begun - w.duration)) continue;
      t = Math.min(t, Math.max(w.start, begun - w.duration)) as Micros;
    }
    return t;
  }

  private streamHolders(): Holder[] {
    const now = this.now();
    const out: Holder[] = [];
    for (const [key, s] of this.streams) {
      const since = this.streamSince(s, now);
      if (since === null) {
        if (s.stop !== null && now >= s.stop + s.duration) this.streams.delete(key);
        continue;
      }
      const what = s.kind === 'read' ? 'long queries' : 'long transactions';
      out.push({ key: `${what} of "${s.workload}"`, xid: this.xidPast.valueAt(since), who: { kind: 'queries', queries: s.kind, workload: s.workload, duration: s.duration, database: s.database }, since, database: s.database, catalogOnly: false });
    }
    return out;
  }

  /** The XID counter's value at `t` (kept back to twice the longest stream duration or standby delay). */
  xidAt(t: Micros): number {
    return this.xidPast.valueAt(t);
  }

  /**
   * A standby with recovery_min_apply_delay replays every commit `delay` after it (xlogrecovery.c
   * recoveryApplyDelay stops replay at the commit record), so its oldest xmin, which hot_standby_feedback reports
   * (walreceiver.c XLogWalRcvSendHSFeedback: GetReplicationHorizons on the standby), is the XID that was next
   * `delay` ago: it holds every database's horizon that far back ("hot_standby_feedback will be delayed by use
   * of this feature which could lead to bloat on the primary", config.sgml recovery_min_apply_delay).
   * Approximation: the delay alone, not a replay that also lags for want of speed.
   */
  private delayedStandbyHolders(now: Micros): Holder[] {
    return this.delayedStandbys().map(({ node, delay }) => {
      const since = Math.max(0, now - delay) as Micros;
      return { key: `hot_standby_feedback of "${node.name}"`, xid: this.xidPast.valueAt(since), who: { kind: 'delayed-standby', node: node.name, delay }, since, database: null, catalogOnly: false, moving: true };
    });
  }

  /**
   * Every holder in force now. A query on a standby holds the primary's horizon only while hot_standby_feedback
   * reports it, i.e. while the standby streams (without a slot, the walsender's xmin goes with its connection;
   * postgres.md §3); it holds every database (a walsender has no database).
   */
  holders(): Holder[] {
    const out: Holder[] = [...this.slotHolders(), ...this.streamHolders(), ...this.delayedStandbyHolders(this.now())];
    const primary = this.primary();
    for (const s of this.sessions.values()) {
      if (s.prepareRecord !== null) {
        const on = this.preparedOn(s, primary);
        if (on && s.xmin !== null) out.push({ key: sessionKey(s), xid: s.xmin, who: { kind: 'session', session: 'prepared transaction', name: s.name, node: on.name, database: s.database }, since: s.since, database: s.database, catalogOnly: false });
        continue;
      }
      if (s.node.role.kind === 'standby') {
        const feeding = s.node.running && s.node.settings.hotStandbyFeedback && s.node.role.receiver.status === 'streaming';
        if (feeding && s.xmin !== null) out.push({ key: sessionKey(s), xid: s.xmin, who: { kind: 'standby-query', name: s.name, node: s.node.name }, since: s.snapshotAt, database: null, catalogOnly: false });
        continue;
      }
      if (s.xmin === null) continue;
      const kind = s.prepared ? 'prepared transaction' : s.idle ? 'idle-in-transaction session' : 'transaction';
      out.push({ key: sessionKey(s), xid: s.xmin, who: { kind: 'session', session: kind, name: s.name, node: s.node.name, database: s.database }, since: s.since, database: s.database, catalogOnly: false });
    }
    return out;
  }

  /**
   * The server whose horizon a prepared transaction holds: the primary, when its history holds the PREPARE record
   * (twophase.c: the record is replayed on standbys, and RecoverPreparedTransactions restores the transaction at the
   * end of recovery, so it follows a promotion and an old primary that rejoins as a standby does not take it
   * along); without a known primary, the server it was prepared on while that one is a primary. Null: none.
   */
  private preparedOn(s: Session, primary: PgNode | null): PgNode | null {
    const r = s.prepareRecord!;
    if (primary === null) return s.node.role.kind === 'primary' ? s.node : null;
    return timelineAt(primary.wal.timeline, r.lsn) === r.timeline && primary.walEnd(this.now()) >= r.lsn ? primary : null;
  }

  /** The oldest holder that applies to `rel` (data and catalog horizons; sessions of its database only). */
  oldestFor(rel: Relation): Holder | null {
    let oldest: Holder | null = null;
    for (const h of this.holders()) {
      if (h.database !== null && h.database !== rel.database.name) continue;
      if (h.catalogOnly && !rel.spec.catalog) continue;
      if (!oldest || h.xid < oldest.xid || (h.xid === oldest.xid && h.since < oldest.since)) oldest = h;
    }
    return oldest;
  }

  /**
   * RecentXmin of a new snapshot on the primary: the oldest xmin of the transactions running there (all
   * databases, prepared ones and the workloads' long queries included; slots do not count), or the next XID.
   */
  snapshotXmin(nextXid: number): number {
    let x = nextXid;
    const primary = this.primary();
    for (const s of this.sessions.values()) {
      const holds = s.prepareRecord !== null ? this.preparedOn(s, primary) !== null : s.node.role.kind === 'primary';
      if (holds && s.xmin !== null && s.xmin < x) x = s.xmin;
    }
    for (const h of this.streamHolders()) if (h.xid < x) x = h.xid;
    return x;
  }

  /** The earliest instant any holder began (dead-row counters keep their past back to it). */
  earliestSince(): Micros | null {
    let t: Micros | null = null;
    for (const h of this.holders()) if (t === null || h.since < t) t = h.since;
    return t;
  }
}

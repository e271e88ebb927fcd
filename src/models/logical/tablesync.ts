/**
 * The initial table copy of a subscription (CREATE SUBSCRIPTION ... WITH (copy_data = true), the default):
 * logical/tablesync.c. The apply worker starts a tablesync worker for each table not yet `ready`, at most
 * max_sync_workers_per_subscription at once (process_syncing_tables_for_apply); each one, in a REPEATABLE READ
 * transaction on the publisher, creates a slot with CRS_USE_SNAPSHOT and COPYs the table under that snapshot
 * (LogicalRepSyncTableStart), then catches up from its slot to the apply worker's position and drops the slot;
 * the apply worker marks the table ready (srsubstate i -> d -> f -> s -> r). Until then it skips the table's
 * changes (worker.c should_apply_changes_for_rel): what is not ready at the cut-over is not on the subscriber.
 *
 * While a table is copied, its slot holds the publisher's WAL from the copy's start and its catalog_xmin, and
 * the COPY's snapshot holds the publisher's xmin horizon (observed on 15.18 -> 17.10: the walsenders'
 * backend_xmin and the slots' catalog_xmin stayed at the copy's start until each table was done;
 * conformance/logical/observe-initial-copy.sh). From 14 the slot is permanent (pg_<subid>_sync_<relid>_<sysid>),
 * and a copy interrupted in state d starts again from scratch after dropping it (observed: the publisher
 * restarted 6 s into the copy; the slots stayed, the copies began again from 0 about 5 s later); up to 13 it is
 * a temporary slot, gone with the connection.
 *
 * A fluid: each running copy moves at `copy_rate` (bytes of the table per second); its end is the one event.
 * Approximations: the catch-up after the copy (f -> s -> r) takes no time (it applies the table's changes of the
 * copy's duration); tables are taken in their declared order; a copy begins again at once when the connection
 * comes back (the server waits wal_retrieve_retry_interval); OIDs in slot names are made up.
 */
import type { Micros } from '../../engine/time.ts';
import type { TableSpec } from '../../scenario/types.ts';
import type { Fact } from '../../history/facts/index.ts';
import type { PgCluster } from '../postgres/cluster.ts';
import type { LogLine } from '../postgres/messages.ts';
import type { PgNode } from '../postgres/node.ts';

const PER_SECOND = 1_000_000;

/** pg_subscription_rel.srsubstate: init, data copy, finished copy, ready (SYNCDONE is passed at once here). */
export type RelState = 'i' | 'd' | 'f' | 'r';

export interface TableCopy {
  readonly spec: TableSpec;
  state: RelState;
  /** Bytes copied by the running COPY as of the last advance. */
  copied: number;
  /** Bytes the last COPY had reached when it was aborted (its rows rolled back on the subscriber). */
  aborted: number;
  /** The tablesync slot on the publisher while it exists. */
  slot: string | null;
  /** When the running COPY began (its snapshot), or null. */
  since: Micros | null;
  /** Times the copy began (more than once when it was interrupted). */
  starts: number;
  /** When it became ready. */
  readyAt: Micros | null;
}

export class TableSync {
  readonly tables: TableCopy[];
  /** Bytes per µs one COPY can move by itself (copy_rate). */
  private readonly maxRate: number;
  /** Bytes per µs each running COPY moves since the last advance (copy_rate, or its share of the link). */
  private rate = 0;
  private at: Micros;
  private connected = false;
  /** The last slot creation was refused (max_replication_slots): tried again once one of ours is dropped. */
  private refused = false;
  /** A table waits for a worker slot of the subscriber (max_logical_replication_workers), as last logged. */
  private starved = false;
  /** A copy ended (or aborted) since the last call of freed(): its worker slot is free for the other subscriptions. */
  private ended = false;

  /** Whether a worker slot was given back since the last call (the subscriber's other subscriptions may take it). */
  freed(): boolean {
    const e = this.ended;
    this.ended = false;
    return e;
  }

  /** Tablesync workers running now. */
  running(): number {
    return this.tables.filter((t) => t.state === 'd' && t.since !== null).length;
  }

  constructor(
    private readonly cluster: PgCluster,
    private readonly name: string,
    /** The subscription's own slot (up to 13 the tablesync slots are named after it). */
    private readonly mainSlot: string,
    private readonly index: number,
    private readonly database: string,
    tables: readonly TableSpec[],
    copyRate: number,
    /** Tablesync workers it may run now: max_sync_workers_per_subscription, within the subscriber's free worker slots. */
    private readonly workers: () => { readonly allowed: number; readonly byPool: boolean },
    /** The subscriber's major version: from 14 the tablesync slot is permanent. */
    private readonly subscriberVersion: number,
    /** Bytes per second each of `n` connections from the subscriber to the publisher gets now. */
    private readonly linkRate: (n: number) => number,
    /** Logs on the subscriber (its catalog's table states, its launcher's warnings). */
    private readonly logSubscriber: (fact: Fact, lines?: readonly LogLine[]) => void,
    /**
     * The subscription's failover option (17+): its tablesync slots are failover slots too (observed on 17.10:
     * pg_16391_sync_16384_… with failover = t). Never consumed before its catch-up, a standby's copy of one is not
     * sync-ready (slots.ts moveFailoverSlots): after a failover the copy begins again on the new primary.
     */
    private readonly failover: boolean,
  ) {
    this.tables = tables.map((spec) => ({ spec, state: 'i', copied: 0, aborted: 0, slot: null, since: null, starts: 0, readyAt: null }));
    this.maxRate = copyRate / PER_SECOND;
    this.at = cluster.ctx.sim.now;
  }

  /** Tables not ready. */
  notReady(): TableCopy[] {
    return this.tables.filter((t) => t.state !== 'r');
  }

  /**
   * Brings the copies up to `now` and sets what runs from now on: `up` whether the tablesync workers can reach
   * the publisher (`pub`) now, `launch` whether the apply worker runs its loop, which starts them
   * (process_syncing_tables; one that cannot start streaming, its slot missing or invalidated, starts none).
   */
  advance(now: Micros, up: boolean, launch: boolean, pub: PgNode): void {
    const dt = now - this.at;
    this.at = now;
    const slots = this.cluster.storage.slots;
    if (this.connected) for (const t of this.tables) if (t.state === 'd' && t.since !== null) t.copied = Math.min(t.spec.size, t.copied + this.rate * dt);
    this.pub = pub;
    // A COPY whose transaction on the publisher ended (the server restarted, statement_timeout cancelled it:
    // observed on 15.18, "canceling statement due to statement timeout" on COPY ... TO STDOUT, the copy begun
    // again every 5 s and never done) aborted.
    for (const t of this.tables) if (t.state === 'd' && t.since !== null && t.slot !== null && !this.cluster.xid.hasTransaction(t.slot)) this.interrupt(t, pub);
    // Copies done: the catch-up from its slot, which must still hold the WAL since the copy began.
    for (const t of this.tables) {
      if (t.state !== 'd' || t.since === null || t.copied < t.spec.size - 1e-6) continue;
      this.endSnapshot(t);
      t.since = null;
      this.ended = true;
      const lost = t.slot !== null && slots.placed(t.slot)?.lost === true;
      if (lost) {
        // tablesync.c: FINISHEDCOPY persists; the catch-up fails on the invalidated slot at every restart.
        t.state = 'f';
        // The walsender refuses START_REPLICATION on it (logical.c CreateDecodingContext; observed on 15.18, the
        // 16+ wording checked in the binaries' strings), at every retry of the tablesync worker.
        const message = pub.version >= 16 ? `can no longer get changes from replication slot "${t.slot}"` : `cannot read from logical replication slot "${t.slot}"`;
        this.cluster.log(pub, 'replication', { kind: 'tablesync-slot-lost', subscription: this.name, table: t.spec.name, slot: t.slot!, rule: 'tablesync.c:LogicalRepSyncTableStart' }, [
          { process: 'walsender', level: 'ERROR', message, detail: 'This slot has been invalidated because it exceeded the maximum reserved size.' },
        ]);
        continue;
      }
      this.dropSlot(t);
      t.state = 'r';
      t.readyAt = now;
      this.logSubscriber({ kind: 'table-ready', subscription: this.name, table: t.spec.name, bytes: t.spec.size, starts: t.starts, rule: 'tablesync.c:process_syncing_tables_for_apply' });
    }
    if (!up) {
      if (this.connected) for (const t of this.tables) this.interrupt(t, pub);
      this.connected = false;
      this.rate = 0;
      return;
    }
    this.connected = true;
    // New tablesync workers for the tables not started, while there are free ones (process_syncing_tables_for_apply).
    let busy = this.running();
    const { allowed, byPool } = this.workers();
    const waiting = this.tables.filter((t) => t.state === 'i' || (t.state === 'd' && t.since === null));
    const starting = launch ? waiting.slice(0, Math.max(0, allowed - busy)) : [];
    // launcher.c logicalrep_worker_launch: no free worker slot on the subscriber (logged once while it lasts).
    const starved = launch && byPool && starting.length < waiting.length;
    if (starved && !this.starved) this.logSubscriber({ kind: 'sync-workers-exhausted', subscription: this.name, waiting: waiting.length - starting.length, rule: 'launcher.c:logicalrep_worker_launch' }, [
      // The hint quotes the setting's name from 17 (checked in the binaries' strings, 13.23 to 18.4).
      { process: 'logical replication worker', level: 'WARNING', message: 'out of logical replication worker slots', hint: this.subscriberVersion >= 17 ? 'You might need to increase "max_logical_replication_workers".' : 'You might need to increase max_logical_replication_workers.' },
    ]);
    this.starved = starved;
    busy += starting.length;
    // Each COPY is one connection (the walsender's COPY TO STDOUT): copy_rate, or its share of the link between
    // the two servers, bounded by its TCP window per round trip (a migration to a distant site).
    this.rate = busy > 0 ? Math.min(this.maxRate, this.linkRate(busy) / PER_SECOND) : 0;
    for (const t of starting) if (this.refused || !this.start(t, pub)) break;
  }

  private start(t: TableCopy, pub: PgNode): boolean {
    const slots = this.cluster.storage.slots;
    // An interrupted copy (state d) drops its old slot and copies from scratch (LogicalRepSyncTableStart).
    if (t.slot !== null) this.dropSlot(t);
    const name = this.slotName(t);
    if (!slots.create({ name, node: pub.name, kind: 'logical', database: this.database, consumer: 'stopped', hotStandbyFeedback: false, ...(this.failover ? { failover: true } : {}) })) {
      this.refused = true;
      return false;
    }
    t.slot = name;
    t.state = 'd';
    t.copied = 0;
    t.since = this.at;
    t.starts++;
    // The COPY runs in a REPEATABLE READ transaction on the publisher: its snapshot holds the xmin horizon, and it
    // holds an AccessShareLock on the table, until the copy is done.
    this.cluster.xid.openTransaction(pub, name, false, this.database, false, [{ database: this.database, table: t.spec.name }], { isolation: 'repeatable read', wrote: false });
    this.cluster.log(pub, 'replication', { kind: 'table-copy-started', subscription: this.name, table: t.spec.name, slot: name, bytes: t.spec.size, attempt: t.starts, rate: Math.round(this.rate * PER_SECOND), byLink: this.rate < this.maxRate, rule: 'tablesync.c:LogicalRepSyncTableStart' });
    return true;
  }

  /** The connection to the publisher is gone, or the COPY's transaction there: the COPY aborts (its table stays in d). */
  private interrupt(t: TableCopy, pub: PgNode): void {
    if (t.state !== 'd' || t.since === null) return;
    this.endSnapshot(t);
    t.since = null;
    this.ended = true;
    t.aborted = t.copied;
    t.copied = 0;
    // Up to 13 a temporary slot, dropped with its walsender's session; from 14 it stays until the copy starts again.
    if (this.subscriberVersion < 14) this.dropSlot(t);
    this.cluster.log(pub, 'replication', { kind: 'table-copy-interrupted', subscription: this.name, table: t.spec.name, slot: t.slot, rule: 'tablesync.c:LogicalRepSyncTableStart' });
  }

  private endSnapshot(t: TableCopy): void {
    if (t.slot !== null) this.cluster.xid.closeTransaction(t.slot);
  }

  private dropSlot(t: TableCopy): void {
    if (t.slot === null) return;
    const slots = this.cluster.storage.slots;
    if (slots.has(t.slot)) slots.drop(t.slot);
    t.slot = null;
    this.refused = false;
  }

  /** DROP SUBSCRIPTION: the tablesync workers stop and their slots are dropped with the subscription's (`reach`). */
  drop(pub: PgNode, reach: boolean): void {
    if (this.connected) for (const t of this.tables) this.interrupt(t, pub);
    this.connected = false;
    if (reach) for (const t of this.tables) this.dropSlot(t);
  }

  /** The publisher as of the last advance. */
  private pub: PgNode | null = null;

  /** The first instant after `now` when a running copy ends, or statement_timeout on the publisher cancels it; or null. */
  nextChange(now: Micros): Micros | null {
    if (!this.connected || this.rate <= 0) return null;
    let next = Number.POSITIVE_INFINITY;
    const st = this.pub?.settings.statementTimeout ?? 0;
    for (const t of this.tables) {
      if (t.state !== 'd' || t.since === null) continue;
      next = Math.min(next, now + Math.ceil((t.spec.size - t.copied) / this.rate));
      // Just after the session's own cancellation (vacuum/operations.ts), which ends its transaction (once: past
      // it, a session still there is left to the recomputations).
      if (st > 0 && t.since + st + 1 > now) next = Math.min(next, t.since + st + 1);
    }
    return Number.isFinite(next) ? (next as Micros) : null;
  }

  /**
   * tablesync.c ReplicationSlotNameForTablesync: pg_<subscription oid>_sync_<relid>_<system identifier> from 14;
   * up to 13 <slot>_<subscription oid>_sync_<relid>, temporary (observed on 13.23: sub_16419_sync_16392). OIDs made up (16384 on), the system identifier left out.
   */
  private slotName(t: TableCopy): string {
    const sub = 16384 + 1000 + this.index;
    const rel = 16384 + this.tables.indexOf(t);
    return this.subscriberVersion >= 14 ? `pg_${sub}_sync_${rel}` : `${this.mainSlot}_${sub}_sync_${rel}`;
  }
}


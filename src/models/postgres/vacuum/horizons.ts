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
import type { LockOwner } from '../locks/manager.ts';
import type { Relation } from './relations.ts';

export interface Holder {
  /** The name the history's hold records use ("slot \"x\"", "transaction \"y\""). */
  readonly key: string;
  readonly xid: number;
  /** For messages: "logical slot \"x\" (database app) holding catalog_xmin". */
  readonly who: string;
  readonly since: Micros;
  /** The database whose relations it holds; null: every database (slots, walsenders of standbys). */
  readonly database: string | null;
  /** A logical slot's catalog_xmin holds the catalogs only. */
  readonly catalogOnly: boolean;
}

/** An open transaction of a session the plan started (open_transaction). */
export interface Session {
  readonly name: string;
  readonly node: PgNode;
  readonly database: string;
  readonly xmin: number;
  readonly prepared: boolean;
  readonly idle: boolean;
  readonly since: Micros;
  /** The session's backend, as it holds and waits for table locks. */
  readonly owner: LockOwner;
  idleTimer: EventHandle | null;
}

export function sessionKey(s: Pick<Session, 'name' | 'prepared'>): string {
  return `${s.prepared ? 'prepared transaction' : 'transaction'} "${s.name}"`;
}

export class Horizons {
  readonly sessions = new Map<string, Session>();

  constructor(
    /** The slots' holders (xid.ts), current as of the call. */
    private readonly slotHolders: () => readonly Holder[],
  ) {}

  /**
   * Every holder in force now. A query on a standby holds the primary's horizon only while hot_standby_feedback
   * reports it, i.e. while the standby streams (without a slot, the walsender's xmin goes with its connection;
   * postgres.md §3); it holds every database (a walsender has no database).
   */
  holders(): Holder[] {
    const out: Holder[] = [...this.slotHolders()];
    for (const s of this.sessions.values()) {
      if (s.node.role.kind === 'standby') {
        const feeding = s.node.running && s.node.settings.hotStandbyFeedback && s.node.role.receiver.status === 'streaming';
        if (feeding) out.push({ key: sessionKey(s), xid: s.xmin, who: `query "${s.name}" on standby ${s.node.name} (hot_standby_feedback)`, since: s.since, database: null, catalogOnly: false });
        continue;
      }
      const kind = s.prepared ? 'prepared transaction' : s.idle ? 'idle-in-transaction session' : 'transaction';
      out.push({ key: sessionKey(s), xid: s.xmin, who: `${kind} "${s.name}" on ${s.node.name} (database ${s.database})`, since: s.since, database: s.database, catalogOnly: false });
    }
    return out;
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
   * databases, prepared ones included; slots do not count), or the next XID.
   */
  snapshotXmin(nextXid: number): number {
    let x = nextXid;
    for (const s of this.sessions.values()) if (s.node.role.kind === 'primary' && s.xmin < x) x = s.xmin;
    return x;
  }

  /** The earliest instant any holder began (dead-row counters keep their past back to it). */
  earliestSince(): Micros | null {
    let t: Micros | null = null;
    for (const h of this.holders()) if (t === null || h.since < t) t = h.since;
    return t;
  }
}

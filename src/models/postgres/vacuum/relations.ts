/**
 * Databases and their relations as vacuum sees them: relfrozenxid and datfrozenxid, dead rows and inserts
 * since the last vacuum (the pg_stat counters autovacuum reads), sizes. Row counts are fluids: they change
 * at the rates the workloads write, with a breakpoint at every change of rate so that the count at an
 * earlier instant (when a horizon holder started) can be read back.
 */
import { Level } from '../../../engine/fluid.ts';
import type { Micros } from '../../../engine/time.ts';
import type { DatabaseSpec, TableSpec } from '../../../scenario/types.ts';

/** Bytes per row when a table gives no `rows` (an approximation: docs/model-vacuum.md). */
export const DEFAULT_ROW_SIZE = 128;
export const PAGE = 8192;

/** A cumulative count whose value at an earlier instant can be read back (down to `trim`'s bound). */
export class Counter {
  private readonly level: Level;
  private readonly past: { t: Micros; v: number }[] = [];

  constructor(t: Micros, v = 0) {
    this.level = new Level(t, v);
    this.past.push({ t, v });
  }

  get rate(): number {
    return this.level.rate;
  }

  valueAt(t: Micros): number {
    if (t >= this.past.at(-1)!.t) return this.level.valueAt(t);
    let i = this.past.length - 1;
    while (i > 0 && this.past[i]!.t > t) i--;
    const a = this.past[i]!;
    const b = this.past[i + 1]!;
    return a.v + ((b.v - a.v) * (t - a.t)) / Math.max(1, b.t - a.t);
  }

  /** Per microsecond, from t on. */
  setRate(t: Micros, rate: number): void {
    if (rate === this.level.rate) return;
    this.level.setRate(t, rate);
    this.past.push({ t, v: this.level.valueAt(t) });
  }

  /** First integer time at or after `from` when the count reaches `target` at the current rate (NEVER if not). */
  timeToReach(target: number, from: Micros): Micros {
    return this.level.timeToReach(target, from);
  }

  /** Add `n` at once at t (a bulk DELETE's rows at its commit): the earlier values read back unchanged. */
  add(t: Micros, n: number): void {
    const before = this.level.valueAt(t);
    this.level.set(t, before + n);
    if (this.past.at(-1)!.t !== t) this.past.push({ t, v: before });
    this.past.push({ t, v: before + n });
  }

  /** Forget breakpoints before t (keeping the one at or before it): nobody will ask about earlier instants. */
  trim(t: Micros): void {
    let i = 0;
    while (i + 1 < this.past.length && this.past[i + 1]!.t <= t) i++;
    if (i > 0) this.past.splice(0, i);
  }
}

export class DatabaseState {
  readonly relations: Relation[] = [];
  /** pg_database.datfrozenxid: the oldest relfrozenxid when a vacuum last updated it (vac_update_datfrozenxid). */
  datfrozenxid = 0;
  /** When an autovacuum worker last started here (the launcher's least-recently-vacuumed rule, §5.2). */
  lastAutovacuum = -1 as Micros;

  constructor(
    readonly name: string,
    readonly oid: number,
  ) {}

  get live(): Relation[] {
    return this.relations.filter((r) => r.exists);
  }

  /** What datfrozenxid would be after an update now: the oldest relfrozenxid of the relations that exist. */
  oldestRelfrozenxid(): number {
    let min = Number.POSITIVE_INFINITY;
    for (const r of this.relations) if (r.exists && r.relfrozenxid < min) min = r.relfrozenxid;
    return min;
  }
}

/** One relation (or a group of relations vacuumed alike) of a database. */
export class Relation {
  exists = true;
  relfrozenxid: number;
  /** Bytes on disk (grows with inserts). */
  size: number;
  /** pg_class.reltuples. */
  rows: number;
  readonly rowSize: number;
  /** Dead rows ever produced (updates, deletes, churn), and how many of them vacuums have removed. */
  readonly produced: Counter;
  removed = 0;
  /** Rows ever inserted, and the count at the last vacuum (13+ insert threshold). */
  readonly inserted: Counter;
  insertedAtVacuum = 0;
  /** XID at which the current stretch of writes began (null: not written now), and the XID of the last write. */
  writeStartXid: number | null = null;
  /** Rows were written up to the start of the simulation (what happened before is not known). */
  lastWriteXid: number;
  /** Bytes at its end whose rows are all dead or gone (spec.emptyTail until a vacuum truncates them). */
  emptyTail: number;
  /** The vacuum running on it (autovacuum's wi_tableoid), if any. */
  running: { readonly by: string } | null = null;
  /** Its last autovacuum was held back by a holder and changed nothing: the same run would follow (autovacuum.ts). */
  steady: { readonly holder: string; readonly trigger: string; readonly aggressive: boolean; readonly farInThePast: boolean; readonly failsafe: boolean } | null = null;

  constructor(
    readonly spec: TableSpec,
    readonly database: DatabaseState,
    readonly oid: number,
    t: Micros,
    relfrozenxid: number,
    startXid: number,
  ) {
    this.relfrozenxid = relfrozenxid;
    this.lastWriteXid = startXid;
    this.size = spec.size;
    this.rowSize = spec.rows !== undefined && spec.rows > 0 ? spec.size / spec.rows : DEFAULT_ROW_SIZE;
    this.rows = spec.size / this.rowSize;
    this.emptyTail = spec.emptyTail ?? 0;
    // The rows of an empty tail were deleted before the start: dead rows the first vacuum removes.
    this.produced = new Counter(t, this.emptyTail / this.rowSize);
    this.inserted = new Counter(t);
  }

  /** "db.schema.table", as vacuum's messages name it. */
  get qualified(): string {
    return `${this.database.name}.${this.spec.catalog ? 'pg_catalog' : 'public'}.${this.spec.name}`;
  }

  /** The key the lock manager and the scenario use: "db.table". */
  get key(): string {
    return `${this.database.name}.${this.spec.name}`;
  }

  /** n_dead_tup: dead rows not yet removed. */
  deadRows(t: Micros): number {
    return Math.max(0, this.produced.valueAt(t) - this.removed);
  }

  /** n_ins_since_vacuum. */
  insertsSinceVacuum(t: Micros): number {
    return Math.max(0, this.inserted.valueAt(t) - this.insertedAtVacuum);
  }

  /**
   * Dead and inserted rows per second from now on (churn plus the workloads writing to the table), and the
   * XID counter now: a stretch of writes starts or ends.
   */
  setWriteRates(t: Micros, deadPerSecond: number, insertsPerSecond: number, nextXid: number): boolean {
    if (deadPerSecond / 1e6 === this.produced.rate && insertsPerSecond / 1e6 === this.inserted.rate) return false;
    const writing = deadPerSecond + insertsPerSecond > 0;
    if (writing && this.writeStartXid === null) this.writeStartXid = nextXid;
    if (!writing && this.writeStartXid !== null) {
      this.lastWriteXid = nextXid;
      this.writeStartXid = null;
    }
    this.produced.setRate(t, deadPerSecond / 1e6);
    this.inserted.setRate(t, insertsPerSecond / 1e6);
    // Inserts grow the table (approximation: updates do not; their dead rows are counted apart).
    const bytes = this.inserted.valueAt(t) * this.rowSize;
    this.size = this.spec.size + bytes;
    this.rows = this.size / this.rowSize;
    return true;
  }

  /** The XID of the newest write, for the 15+ "oldest XID left" rule. */
  newestWriteXid(nextXid: number): number {
    return this.writeStartXid !== null ? nextXid : this.lastWriteXid;
  }

  /** TRUNCATE (a new, empty relfilenode with relfrozenxid = RecentXmin) or DROP TABLE. */
  truncate(t: Micros, recentXmin: number): void {
    this.relfrozenxid = recentXmin;
    this.removed = this.produced.valueAt(t);
    this.insertedAtVacuum = this.inserted.valueAt(t);
    this.size = 0;
    this.rows = 0;
    this.emptyTail = 0;
  }
}

export function buildDatabases(specs: readonly DatabaseSpec[], t: Micros, startXid: number, initialFrozen: (db: string, table: TableSpec) => number): DatabaseState[] {
  let oid = 16384;
  return specs.map((d) => {
    const db = new DatabaseState(d.name, oid++);
    // pg_class order: initdb creates the catalogs first, then the user's tables in the order written.
    const ordered = [...d.tables.filter((x) => x.catalog), ...d.tables.filter((x) => !x.catalog)];
    for (const t0 of ordered) db.relations.push(new Relation(t0, db, oid++, t, initialFrozen(d.name, t0), startXid));
    db.datfrozenxid = db.oldestRelfrozenxid();
    return db;
  });
}

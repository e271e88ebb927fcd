import { Level } from '../../engine/fluid.ts';
import { invariant } from '../../engine/invariant.ts';
import type { EventHandle } from '../../engine/simulation.ts';
import { NEVER, type Micros } from '../../engine/time.ts';
import type { AlertSpec, PgMajor, SlotSpec, TableSpec } from '../../scenario/types.ts';
import { formatSize, humanSize } from '../../scenario/units.ts';
import type { PgCluster } from './cluster.ts';
import { PRIORITY } from './context.ts';
import { formatLsn, type Lsn } from './lsn.ts';
import type { LogLine } from './messages.ts';
import type { PgNode } from './node.ts';
import type { SlotHorizons } from './slots.ts';

/** Half the XID space: an XID compares as older only within 2^31 - 1 (transam.c TransactionIdPrecedes). */
export const XID_HALF = 2 ** 31 - 1;
const PAGE = 8192;
/** Where an unthrottled vacuum runs when the scenario gives no disk throughput. */
const DEFAULT_DISK_THROUGHPUT = 500e6;
/** XID counter at the start (a FullTransactionId: no wraparound inside the simulator, ages are differences). */
const START_XID = 1_000_000_000;

/**
 * Wraparound limits as ages of the oldest datfrozenxid (varsup.c SetTransactionIdLimit; postgres.md rule 18):
 * stop 1M before wrap up to 13, 3M from 14; warn 10M before the stop up to 13, 40M before wrap in 14-18,
 * 100M in 19.
 */
export function wraparoundLimits(version: PgMajor): { warnAge: number; stopAge: number } {
  const stopMargin = version >= 14 ? 3_000_000 : 1_000_000;
  const warnMargin = version >= 19 ? 100_000_000 : version >= 14 ? 40_000_000 : 11_000_000;
  return { warnAge: XID_HALF - warnMargin, stopAge: XID_HALF - stopMargin };
}

/** The stop ERROR as each version words it (postgres.md rule 19). */
export function stopMessage(version: PgMajor, db: string): LogLine {
  if (version >= 17) {
    return {
      process: 'postmaster',
      level: 'ERROR',
      message: `database is not accepting commands that assign new transaction IDs to avoid wraparound data loss in database "${db}"`,
      hint: 'Execute a database-wide VACUUM in that database.',
    };
  }
  return {
    process: 'postmaster',
    level: 'ERROR',
    message: `database is not accepting commands to avoid wraparound data loss in database "${db}"`,
    hint: 'Stop the postmaster and vacuum that database in single-user mode.\nYou might also need to commit or roll back old prepared transactions, or drop stale replication slots.',
  };
}

function warnMessage(version: PgMajor, db: string, remaining: number): LogLine {
  return {
    process: 'postmaster',
    level: 'WARNING',
    message: `database "${db}" must be vacuumed within ${remaining} transactions`,
    hint:
      version >= 17
        ? 'To avoid XID assignment failures, execute a database-wide VACUUM in that database.\nYou might also need to commit or roll back old prepared transactions, or drop stale replication slots.'
        : 'To avoid a database shutdown, execute a database-wide VACUUM in that database.\nYou might also need to commit or roll back old prepared transactions, or drop stale replication slots.',
  };
}

interface RelationState {
  readonly spec: TableSpec;
  relfrozenxid: number;
  /** Dead rows that only vacuum removes, bytes; they grow while a horizon holds them. */
  readonly dead: Level;
  vacuum: {
    readonly start: Micros;
    readonly horizon: number;
    /** Whether a holder kept the horizon back when the vacuum started. */
    readonly held: boolean;
    readonly freezeLimit: number;
    readonly mode: 'aggressive' | 'failsafe';
    readonly bytesPerSecond: number;
    readonly end: EventHandle;
  } | null;
  trigger: EventHandle | null;
  /** The last vacuum could not freeze past a horizon holder: no new vacuum until the horizon moves. */
  blocked: boolean;
}

/** The XID side of a replication slot (its WAL side, restart_lsn, is in slots.ts). */
interface SlotState {
  readonly spec: SlotSpec;
  active: boolean;
  /** Fixed while the consumer is stopped; null while active (it follows the present). */
  xmin: number | null;
  invalidated: boolean;
  since: Micros;
}

interface TxState {
  readonly name: string;
  readonly node: string;
  readonly xmin: number;
  readonly prepared: boolean;
  readonly since: Micros;
}

/** What holds a horizon back: the oldest XID some holder still needs, and who. */
interface Holder {
  readonly xid: number;
  readonly who: string;
  readonly since: Micros;
}

/**
 * Transaction IDs, horizons, freezing and the wraparound limits of one cluster (postgres.md §3-4, rules
 * 13-19). XID consumption is a fluid (one XID per write transaction); every threshold (a table's
 * anti-wraparound trigger, the warn and stop limits, an alert, a full pg_wal volume) is computed from the
 * rates and scheduled, so months of simulated time cost a few events per change.
 *
 * Approximations (docs/model-postgres.md): one XID counter per cluster (the primary's), no regular
 * (dead-tuple) autovacuum and no worker limit: each relation group runs its own anti-wraparound vacuum;
 * a vacuum's relfrozenxid result is min(FreezeLimit, OldestXmin) taken at its start.
 */
export class XidModel implements SlotHorizons {
  readonly nextXid: Level;
  private readonly relations: RelationState[];
  private readonly slots = new Map<string, SlotState>();
  private readonly transactions = new Map<string, TxState>();
  private stopped = false;
  private warned = false;
  private replanEvent: EventHandle | null = null;
  private readonly timers: EventHandle[] = [];
  private maxAge = { value: 0, at: 0 as Micros };
  private walMetricsRetaining = false;
  private firstWarningAt: Micros | null = null;
  private stopAt: Micros | null = null;
  private readonly alertState = new Map<string, { firedAt: Micros | null; value: number | null; pending: EventHandle | null }>();

  constructor(
    private readonly cluster: PgCluster,
    private readonly alerts: readonly AlertSpec[],
  ) {
    const now = cluster.ctx.sim.now;
    this.nextXid = new Level(now, START_XID);
    const afma = this.settingsNode().settings.autovacuumFreezeMaxAge;
    this.relations = cluster.spec.databases.flatMap((db) =>
      db.tables.map((t) => {
        // Where each relation is in its freeze cycle at the start is not knowable: draw it (seeded) below the trigger.
        const age = t.frozenAge ?? Math.floor(cluster.ctx.random.stream(`xid/initial-age/${db.name}/${t.name}`).next() * afma);
        return { spec: t, relfrozenxid: START_XID - age, dead: new Level(now, 0), vacuum: null, trigger: null, blocked: false };
      }),
    );
    for (const s of cluster.spec.slots) this.addSlot(s);
    for (const a of alerts) this.alertState.set(a.name, { firedAt: null, value: null, pending: null });
  }

  get enabled(): boolean {
    return this.relations.length > 0;
  }

  /** The node whose settings govern vacuum: the running primary writes go to, else any primary. */
  private settingsNode(): PgNode {
    const nodes = [...this.cluster.nodes.values()];
    return this.cluster.writes.targets().find((n) => n.isPrimary) ?? nodes.find((n) => n.isPrimary) ?? nodes[0]!;
  }

  get version(): PgMajor {
    return this.settingsNode().version;
  }

  get limits(): { warnAge: number; stopAge: number } {
    return wraparoundLimits(this.version);
  }

  /** Writes that need an XID fail: the reason, or null. */
  refusal(): LogLine | null {
    return this.stopped ? stopMessage(this.version, this.oldestDatabase()) : null;
  }

  private oldestDatabase(): string {
    return this.oldestRelation()?.spec.database ?? 'postgres';
  }

  private oldestRelation(): RelationState | undefined {
    return this.relations.reduce<RelationState | undefined>((a, r) => (!a || r.relfrozenxid < a.relfrozenxid ? r : a), undefined);
  }

  /** max(age(datfrozenxid)) over the databases: the MaximumUsedTransactionIDs metric. */
  maxXidAge(now: Micros): number {
    const o = this.oldestRelation();
    return o ? this.nextXid.valueAt(now) - o.relfrozenxid : 0;
  }

  // ------------------------------------------------------------------ horizon holders

  private addSlot(s: SlotSpec): void {
    const now = this.cluster.ctx.sim.now;
    const active = s.consumer === 'active';
    this.slots.set(s.name, { spec: s, active, xmin: active ? null : this.nextXid.valueAt(now), invalidated: false, since: now });
  }

  /** Oldest XIDs still needed, for user data and for catalogs (procarray.c ComputeXidHorizons). */
  private holders(now: Micros): { data: Holder | null; catalog: Holder | null } {
    const v16 = this.version >= 16;
    let data: Holder | null = null;
    let catalog: Holder | null = null;
    const consider = (h: Holder, forData: boolean) => {
      if (!catalog || h.xid < catalog.xid) catalog = h;
      if (forData && (!data || h.xid < data.xid)) data = h;
    };
    for (const t of this.transactions.values()) {
      consider({ xid: t.xmin, who: `${t.prepared ? 'prepared transaction' : 'transaction'} "${t.name}" on ${t.node}`, since: t.since }, true);
    }
    for (const s of this.slots.values()) {
      // 16+ skips invalidated slots (slot.c ReplicationSlotsComputeRequiredXmin); 13-15 keep their xmin.
      if (s.xmin === null || (s.invalidated && v16)) continue;
      if (s.spec.kind === 'logical') {
        consider({ xid: s.xmin, who: `logical slot "${s.spec.name}" (database ${s.spec.database}) holding catalog_xmin`, since: s.since }, false);
      } else if (s.spec.hotStandbyFeedback) {
        consider({ xid: s.xmin, who: `physical slot "${s.spec.name}" holding xmin (hot_standby_feedback)`, since: s.since }, true);
      }
    }
    void now;
    return { data, catalog };
  }

  private horizonOf(r: RelationState, now: Micros): { xid: number; holder: Holder | null } {
    const h = this.holders(now);
    const holder = r.spec.catalog ? h.catalog : h.data;
    return { xid: holder ? Math.min(holder.xid, this.nextXid.valueAt(now)) : this.nextXid.valueAt(now), holder };
  }

  // ------------------------------------------------------------------ actions

  createSlot(s: SlotSpec): void {
    this.addSlot(s);
    this.cluster.log(this.cluster.node(s.node), 'setting', `replication slot "${s.name}" created (${s.kind}${s.database ? `, database ${s.database}` : ''}), consumer ${s.consumer}`);
    this.horizonChanged();
  }

  dropSlot(name: string): void {
    const s = this.slots.get(name);
    if (!s) return;
    this.slots.delete(name);
    this.cluster.log(this.cluster.node(s.spec.node), 'setting', `replication slot "${name}" dropped: its ${s.spec.kind === 'logical' ? 'catalog_xmin' : 'xmin'} and restart_lsn no longer hold anything`);
    this.cluster.ctx.history.holdEnd(this.cluster.name, `slot "${name}"`, this.cluster.ctx.sim.now);
    this.horizonChanged();
  }

  /** The slot's consumer connected or left (slots.ts): its xmin follows the present or stays. */
  setConsumer(name: string, active: boolean, restartLsn: Lsn | null): void {
    const s = this.slots.get(name);
    if (!s || s.active === active) return;
    const now = this.cluster.ctx.sim.now;
    const node = this.cluster.node(s.spec.node);
    s.active = active;
    s.since = now;
    if (active) {
      s.xmin = null;
      this.cluster.log(node, 'replication', `the consumer of slot "${name}" streams again and catches up`);
      this.cluster.ctx.history.holdEnd(this.cluster.name, `slot "${name}"`, now);
    } else {
      s.xmin = this.nextXid.valueAt(now);
      this.cluster.log(node, 'replication', `the consumer of slot "${name}" stopped: restart_lsn stays at ${formatLsn(restartLsn ?? node.walEnd(now))} and ${s.spec.kind === 'logical' ? 'catalog_xmin' : 'xmin'} at ${s.xmin}`);
      this.cluster.ctx.history.holdStart({ cluster: this.cluster.name, holder: `slot "${name}"`, kind: s.spec.kind === 'logical' ? 'catalog_xmin' : s.spec.hotStandbyFeedback ? 'xmin' : 'restart_lsn', xid: s.xmin, since: now, until: null });
    }
    this.horizonChanged();
  }

  openTransaction(node: PgNode, name: string, prepared: boolean): void {
    const now = this.cluster.ctx.sim.now;
    const xmin = this.nextXid.valueAt(now);
    this.transactions.set(name, { name, node: node.name, xmin, prepared, since: now });
    this.cluster.ctx.history.holdStart({ cluster: this.cluster.name, holder: `${prepared ? 'prepared transaction' : 'transaction'} "${name}"`, kind: 'xmin', xid: xmin, since: now, until: null });
    this.cluster.log(node, 'setting', `${prepared ? 'prepared transaction' : 'long-running transaction'} "${name}" holds the xmin horizon at ${xmin}`);
    this.horizonChanged();
  }

  closeTransaction(name: string): void {
    const t = this.transactions.get(name);
    if (!t) return;
    this.transactions.delete(name);
    this.cluster.ctx.history.holdEnd(this.cluster.name, `${t.prepared ? 'prepared transaction' : 'transaction'} "${name}"`, this.cluster.ctx.sim.now);
    this.cluster.log(this.cluster.node(t.node), 'setting', `transaction "${name}" ended: it no longer holds the xmin horizon`);
    this.horizonChanged();
  }

  /** A holder went away or moved: relations that vacuum could not freeze are vacuumed at the launcher's next round. */
  private horizonChanged(): void {
    const naptime = this.settingsNode().settings.autovacuumNaptime;
    for (const r of this.relations) r.blocked = false;
    this.requestReplan(naptime);
  }

  // ------------------------------------------------------------------ WAL retention (rules 13-14)

  /** A checkpoint ended on `node`: what pg_wal keeps may have moved, and the next full-volume time with it. */
  walChanged(node: PgNode): void {
    if (node.storage.walVolume !== null) this.requestReplan(0 as Micros);
  }

  /**
   * A checkpoint invalidated the slot (slots.ts): from 16 it no longer holds the horizon (slot.c
   * ReplicationSlotsComputeRequiredXmin skips invalidated slots); 13-15 keep holding it. Returns that, for the log.
   */
  slotInvalidated(name: string, node: PgNode): string {
    const s = this.slots.get(name);
    if (!s) return '';
    s.invalidated = true;
    const releases = node.version >= 16 && s.xmin !== null;
    if (releases) this.cluster.ctx.history.holdEnd(this.cluster.name, `slot "${name}"`, this.cluster.ctx.sim.now);
    this.horizonChanged();
    return releases ? '; from 16 an invalidated slot no longer holds the horizon' : s.xmin !== null ? `; on ${node.version} it still holds its ${s.spec.kind === 'logical' ? 'catalog_xmin' : 'xmin'}` : '';
  }

  // ------------------------------------------------------------------ the fluid part

  /** XIDs are assigned at the rate write transactions commit (WriteFlow calls this at every reflow). */
  setRate(now: Micros, txPerSecond: number): void {
    if (!this.enabled) return;
    const r = txPerSecond / 1e6;
    if (r === this.nextXid.rate) return;
    this.nextXid.setRate(now, r);
    this.requestReplan(0 as Micros);
  }

  private requestReplan(delay: Micros): void {
    const sim = this.cluster.ctx.sim;
    if (this.replanEvent && !this.replanEvent.cancelled && this.replanEvent.time <= sim.now + delay) return;
    sim.cancel(this.replanEvent);
    this.replanEvent = sim.after(delay, `xid ${this.cluster.name}`, () => {
      this.replanEvent = null;
      this.replan();
    }, PRIORITY.reflow + 2);
  }

  /**
   * Recompute every threshold crossing from the current rates and schedule the earliest ones. Called after
   * any change; cheap (a handful of relations, slots and alerts).
   */
  private replan(): void {
    const sim = this.cluster.ctx.sim;
    const now = sim.now;
    for (const t of this.timers.splice(0)) sim.cancel(t);
    const settings = this.settingsNode().settings;
    const { warnAge, stopAge } = this.limits;
    const age = this.maxXidAge(now);
    this.noteAge(age, now);

    // Dead rows pile up only while their relation's horizon is held.
    const h = this.holders(now);
    for (const r of this.relations) {
      const held = (r.spec.catalog ? h.catalog : h.data) !== null;
      // Removed only by a vacuum that runs without a holder (endVacuum).
      r.dead.setRate(now, held ? r.spec.churn / 1e6 : 0);
    }

    // Anti-wraparound vacuums (autovacuum.c: relfrozenxid older than autovacuum_freeze_max_age).
    for (const r of this.relations) {
      if (r.vacuum || r.blocked) continue;
      const at = this.nextXid.timeToReach(r.relfrozenxid + settings.autovacuumFreezeMaxAge, now);
      if (at !== NEVER) this.timers.push(sim.at(Math.max(at, now) as Micros, `vacuum ${r.spec.name}`, () => this.startVacuum(r), PRIORITY.checkpoint));
    }

    // Warn and stop limits (varsup.c GetNewTransactionId).
    const oldest = this.oldestRelation();
    if (oldest) {
      if (this.stopped && age < stopAge) {
        this.stopped = false;
        this.cluster.log(null, 'xid', `age(datfrozenxid) is below the stop limit again (${age.toLocaleString('en-US')}): XID-assigning commands work again`);
        this.cluster.requestReflow();
      }
      if (age < warnAge) this.warned = false;
      const warnAt = this.nextXid.timeToReach(oldest.relfrozenxid + warnAge, now);
      if (!this.warned && warnAt !== NEVER) this.timers.push(sim.at(warnAt, 'xid warn', () => this.warn(), PRIORITY.checkpoint));
      const stopAt = this.nextXid.timeToReach(oldest.relfrozenxid + stopAge, now);
      if (!this.stopped && stopAt !== NEVER) this.timers.push(sim.at(stopAt, 'xid stop', () => this.stop(), PRIORITY.checkpoint));
    }

    // A pg_wal volume that fills stops the server (PANIC on the WAL write).
    for (const n of this.cluster.nodes.values()) {
      const volume = n.storage.walVolume;
      if (volume === null || !n.running) continue;
      const at = n.wal.end.timeToReach(this.cluster.storage.pgWalFrom(n) + volume, now);
      if (at !== NEVER) this.timers.push(sim.at(at, `pg_wal full ${n.name}`, () => this.walVolumeFull(n), PRIORITY.checkpoint));
    }

    this.planAlerts(now);
    this.recordMetrics(now);
  }

  /** Samples of the metrics a user alerts on; between samples each is linear at the recorded rate. */
  private recordMetrics(now: Micros): void {
    const h = this.cluster.ctx.history;
    const cluster = this.cluster.name;
    if (this.enabled) h.metric({ at: now, cluster, name: 'max_xid_age', value: this.maxXidAge(now), rate: this.stopped ? 0 : this.nextXid.rate });
    // WAL metrics matter while a slot retains WAL; otherwise checkpoints keep pg_wal small (a saw-tooth every
    // checkpoint_timeout that would only bloat the series): one sample when retention stops is enough.
    const retaining = this.cluster.storage.slots.retaining(now);
    if (retaining || this.walMetricsRetaining) {
      this.walMetricsRetaining = retaining;
      const lag = this.metricValue({ name: '', cluster, metric: 'slot_lag', above: 0, for: 0 as Micros }, now);
      h.metric({ at: now, cluster, name: 'slot_lag', value: lag.value, rate: lag.rate });
      const wal = this.metricValue({ name: '', cluster, metric: 'pg_wal_size', above: 0, for: 0 as Micros }, now);
      h.metric({ at: now, cluster, name: 'pg_wal_size', value: wal.value, rate: retaining ? wal.rate : 0 });
    }
  }

  /** age(datfrozenxid) of each database now. */
  databaseAges(now: Micros): { name: string; age: number }[] {
    const next = this.nextXid.valueAt(now);
    const oldest = new Map<string, number>();
    for (const r of this.relations) oldest.set(r.spec.database, Math.min(oldest.get(r.spec.database) ?? Number.POSITIVE_INFINITY, r.relfrozenxid));
    return [...oldest].map(([name, frozen]) => ({ name, age: Math.round(next - frozen) }));
  }

  private noteAge(age: number, now: Micros): void {
    if (age > this.maxAge.value) this.maxAge = { value: age, at: now };
  }

  private warn(): void {
    const now = this.cluster.ctx.sim.now;
    this.warned = true;
    this.firstWarningAt ??= now;
    const age = this.maxXidAge(now);
    this.noteAge(age, now);
    const remaining = XID_HALF - Math.round(age);
    this.cluster.log(null, 'xid', `age(datfrozenxid) reached the warning limit: ${remaining.toLocaleString('en-US')} transactions left before wraparound`, [warnMessage(this.version, this.oldestDatabase(), remaining)]);
  }

  private stop(): void {
    const now = this.cluster.ctx.sim.now;
    this.stopped = true;
    this.stopAt ??= now;
    this.noteAge(this.maxXidAge(now), now);
    this.cluster.log(null, 'xid', `age(datfrozenxid) reached the stop limit: commands that assign XIDs fail, read-only queries still work`, [this.refusal()]);
    this.cluster.requestReflow();
  }

  private walVolumeFull(n: PgNode): void {
    if (!n.running) return;
    this.cluster.log(n, 'fatal', `pg_wal on ${n.name} is full (${formatSize(n.storage.walVolume ?? 0)}): the server stops`, [
      { process: 'postmaster', level: 'FATAL', message: 'could not write to file "pg_wal/xlogtemp": No space left on device' },
    ]);
    this.cluster.crash(n);
  }

  // ------------------------------------------------------------------ vacuum

  /** Bytes per second an anti-wraparound vacuum reads and dirties (vacuum.c vacuum_delay_point). */
  private vacuumRate(node: PgNode, failsafe: boolean): number {
    const disk = node.storage.throughput ?? DEFAULT_DISK_THROUGHPUT;
    if (failsafe) return disk; // the failsafe turns the cost delay off
    const s = node.settings;
    // Freezing reads each page (a miss) and dirties it: cost_limit units per cost_delay.
    const pagesPerSecond = s.autovacuumVacuumCostLimit / (s.vacuumCostPageMiss + s.vacuumCostPageDirty) / (s.autovacuumVacuumCostDelay / 1e6);
    return Math.min(disk, pagesPerSecond * PAGE);
  }

  private startVacuum(r: RelationState): void {
    const sim = this.cluster.ctx.sim;
    const now = sim.now;
    const node = this.settingsNode();
    if (!node.running || r.vacuum) return;
    const s = node.settings;
    const next = this.nextXid.valueAt(now);
    const age = next - r.relfrozenxid;
    const failsafe = s.vacuumFailsafeAge !== null && age > s.vacuumFailsafeAge;
    const rate = this.vacuumRate(node, failsafe);
    const bytes = r.spec.size * r.spec.vacuumScan + r.dead.valueAt(now);
    const duration = Math.max(1, Math.ceil((bytes / rate) * 1e6)) as Micros;
    const horizon = this.horizonOf(r, now);
    const freezeLimit = next - s.vacuumFreezeMinAge;
    const table = r.spec.catalog ? `${r.spec.database}.${r.spec.name}` : `${r.spec.database}.public.${r.spec.name}`;
    const lines: LogLine[] = [{ process: 'postmaster', level: 'LOG', message: `automatic aggressive vacuum to prevent wraparound of table "${table}"` }];
    if (failsafe) lines.push({ process: 'postmaster', level: 'WARNING', message: `bypassing nonessential maintenance of table "${table}" as a failsafe after 0 index scans` });
    this.cluster.log(node, 'vacuum', `anti-wraparound vacuum of ${table} (age ${Math.round(age).toLocaleString('en-US')}): ${humanSize(bytes)} to read at ${(rate / 1e6).toFixed(1)} MB/s${failsafe ? ' (failsafe: no cost delay)' : ''}, about ${Math.round(bytes / rate / 60)} min`, lines);
    const end = sim.after(duration, `vacuum done ${r.spec.name}`, () => this.endVacuum(r), PRIORITY.checkpoint);
    r.vacuum = { start: now, horizon: horizon.xid, held: horizon.holder !== null, freezeLimit, mode: failsafe ? 'failsafe' : 'aggressive', bytesPerSecond: rate, end };
    this.cluster.requestReflow(); // the vacuum's I/O loads the disk
  }

  private endVacuum(r: RelationState): void {
    const now = this.cluster.ctx.sim.now;
    const v = r.vacuum;
    invariant(v, 'a vacuum ends only once it has started');
    r.vacuum = null;
    this.noteAge(this.maxXidAge(now), now);
    const before = this.nextXid.valueAt(now) - r.relfrozenxid;
    // relfrozenxid can advance only to min(FreezeLimit, OldestXmin) (vacuum.c vacuum_get_cutoffs).
    const newFrozen = Math.min(v.freezeLimit, v.horizon);
    r.relfrozenxid = Math.max(r.relfrozenxid, newFrozen);
    // Dead rows deleted after the horizon holder's XID are still visible to it: only without a holder
    // does vacuum remove them (heap pruning stops at OldestXmin).
    const holderAtStart = v.held;
    if (!holderAtStart) r.dead.set(now, 0);
    const held = holderAtStart && v.horizon < v.freezeLimit;
    const node = this.settingsNode();
    const after = this.nextXid.valueAt(now) - r.relfrozenxid;
    const afma = node.settings.autovacuumFreezeMaxAge;
    const lines: LogLine[] = [];
    if (held && after > afma) {
      // vacuum.c: OldestXmin older than autovacuum_freeze_max_age.
      r.blocked = true;
      lines.push({ process: 'postmaster', level: 'WARNING', message: 'oldest xmin is far in the past', hint: 'Close open transactions soon to avoid wraparound problems.\nYou might also need to commit or roll back old prepared transactions, or drop stale replication slots.' });
    }
    const holder = this.horizonOf(r, now).holder;
    this.cluster.log(
      node,
      'vacuum',
      `vacuum of ${r.spec.name} done: age(relfrozenxid) ${Math.round(before).toLocaleString('en-US')} → ${Math.round(after).toLocaleString('en-US')}${r.blocked && holder ? `; it could not freeze past ${holder.who}` : ''}`,
      lines,
    );
    this.cluster.ctx.history.vacuum({
      cluster: this.cluster.name,
      node: node.name,
      table: r.spec.name,
      from: v.start,
      to: now,
      mode: v.mode,
      bytesPerSecond: v.bytesPerSecond,
      ageBefore: before,
      ageAfter: after,
      blockedBy: r.blocked ? (holder?.who ?? null) : null,
    });
    this.requestReplan(0 as Micros);
    this.cluster.requestReflow();
  }

  /** Disk bandwidth used by running vacuums on `node`, bytes/s (writes on that node compete with it). */
  vacuumLoad(node: PgNode): { bytesPerSecond: number; tables: string[] } {
    if (node !== this.settingsNode()) return { bytesPerSecond: 0, tables: [] };
    const running = this.relations.filter((r) => r.vacuum);
    return { bytesPerSecond: running.reduce((a, r) => a + r.vacuum!.bytesPerSecond, 0), tables: running.map((r) => r.spec.name) };
  }

  // ------------------------------------------------------------------ alerts and metrics

  private metricValue(a: AlertSpec, now: Micros): { value: number; rate: number } {
    switch (a.metric) {
      case 'max_xid_age':
        return { value: this.maxXidAge(now), rate: this.nextXid.rate };
      case 'slot_lag':
        return this.cluster.storage.slots.worstLag(now);
      case 'pg_wal_size': {
        let worst = { value: 0, rate: 0 };
        for (const n of this.cluster.nodes.values()) {
          const size = this.cluster.storage.pgWalBytes(n, now);
          if (size > worst.value) worst = { value: size, rate: n.wal.end.rate };
        }
        return worst;
      }
    }
  }

  /** An alert fires once its metric has stayed above the threshold for `for` (crossings computed, not polled). */
  private planAlerts(now: Micros): void {
    const sim = this.cluster.ctx.sim;
    for (const a of this.alerts) {
      const st = this.alertState.get(a.name)!;
      if (st.firedAt !== null) continue;
      const m = this.metricValue(a, now);
      if (m.value >= a.above) {
        if (!st.pending) {
          st.pending = sim.after(a.for, `alert ${a.name}`, () => {
            st.pending = null;
            const v = this.metricValue(a, sim.now);
            if (v.value < a.above) return;
            st.firedAt = sim.now;
            st.value = v.value;
            this.cluster.log(null, 'alert', `alert "${a.name}" fires: ${a.metric} = ${Math.round(v.value).toLocaleString('en-US')} has been above ${a.above.toLocaleString('en-US')} for ${a.for / 1e6} s`);
          }, PRIORITY.checkpoint);
        }
        continue;
      }
      sim.cancel(st.pending);
      st.pending = null;
      if (m.rate > 0) {
        const at = (now + Math.max(1, Math.ceil((a.above - m.value) / m.rate))) as Micros;
        this.timers.push(sim.at(at, `alert crossing ${a.name}`, () => this.requestReplan(0 as Micros), PRIORITY.checkpoint));
      }
    }
  }

  /** The cluster's XID summary at the end of the run. */
  summary(now: Micros): {
    maxAge: number;
    maxAgeAt: Micros;
    endAge: number;
    firstWarningAt: Micros | null;
    stopAt: Micros | null;
    projectedStopAt: Micros | null;
    alerts: { spec: AlertSpec; firedAt: Micros | null; value: number | null }[];
  } {
    const endAge = this.maxXidAge(now);
    this.noteAge(endAge, now);
    const { stopAge } = this.limits;
    const rate = this.nextXid.rate;
    const projectedStopAt = this.stopped ? null : rate > 0 && this.oldestRelation() ? ((now + Math.ceil((stopAge - endAge) / rate)) as Micros) : null;
    return {
      maxAge: Math.round(this.maxAge.value),
      maxAgeAt: this.maxAge.at,
      endAge: Math.round(endAge),
      firstWarningAt: this.firstWarningAt,
      stopAt: this.stopAt,
      projectedStopAt,
      alerts: this.alerts.map((a) => ({ spec: a, ...this.alertState.get(a.name)! })),
    };
  }

  /** Start the model: plan the first thresholds. */
  boot(): void {
    if (this.enabled || this.alerts.length > 0) this.requestReplan(0 as Micros);
  }
}

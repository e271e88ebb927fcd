import { Level } from '../../engine/fluid.ts';
import type { EventHandle } from '../../engine/simulation.ts';
import { NEVER, type Micros } from '../../engine/time.ts';
import type { TableRef, VacuumActionBody } from '../../scenario/types-vacuum.ts';
import type { AlertSpec, PgMajor, SlotSpec } from '../../scenario/types.ts';
import type { PgCluster } from './cluster.ts';
import { PRIORITY } from './context.ts';
import type { Lsn } from './lsn.ts';
import type { LogLine } from './messages.ts';
import type { PgNode } from './node.ts';
import type { SlotHorizons } from './slots.ts';
import type { Holder, TransactionKind } from './vacuum/horizons.ts';
import { VacuumModel, START_XID } from './vacuum/model.ts';
import { Operations } from './vacuum/operations.ts';

export { wraparoundLimits, stopMessage, XID_HALF } from './vacuum/limits.ts';

/** The XID side of a replication slot (its WAL side, restart_lsn, is in slots.ts). */
interface SlotState {
  readonly spec: SlotSpec;
  active: boolean;
  /** Fixed while the consumer is stopped; null while active (it follows the present). */
  xmin: number | null;
  invalidated: boolean;
  since: Micros;
  /** The consumer's state as last reported (events and holds are reported at the end of an instant). */
  reported: boolean;
  /** Where restart_lsn stayed when the consumer last stopped (for the report). */
  stoppedAt: Lsn | null;
  /** The stopped state a consumer that connects now replaced: restored if it leaves within the same instant. */
  resumedFrom: { readonly at: Micros; readonly xmin: number | null; readonly since: Micros } | null;
  /**
   * A physical slot has an xmin (it holds every table while its consumer is away): declared with
   * hot_standby_feedback, or set by the hot_standby_feedback of the standby that last streamed through it.
   */
  feedback: boolean;
  /** The standby streaming through the slot (primary_slot_name), whose queries the feedback reports. */
  feeder: PgNode | null;
  /** The feeder's last feedback, taken when it went down (before its queries ended with it). */
  feederXmin: number | null;
  /** Its hold record was ended because its server no longer counts (applies): a failover away from it. */
  outOfScope: boolean;
}

/**
 * Transaction IDs of one cluster: the XID counter (a fluid, one XID per committed write transaction), the
 * replication slots (their restart_lsn and xmin: WAL retention, invalidation, and the horizons they hold),
 * alerts and the metrics users alert on. Vacuum, freezing, the wraparound limits, sessions and table locks are
 * the vacuum model's (vacuum/: horizons, autovacuum, one vacuum run, limits; locks/: the lock manager); this
 * class plugs them into the cluster.
 *
 * Approximations (docs/model-vacuum.md, docs/model-postgres.md): one XID counter per cluster (the primary's).
 */
export class XidModel implements SlotHorizons {
  readonly nextXid: Level;
  readonly vacuum: VacuumModel;
  readonly ops: Operations;
  private readonly slots = new Map<string, SlotState>();
  private replanEvent: EventHandle | null = null;
  private readonly timers: EventHandle[] = [];
  private walMetricsRetaining = false;
  /** Retention stopped and no checkpoint has ended since: pg_wal still holds what the slot kept. */
  private walMetricsSettling = false;
  private readonly alertState = new Map<string, { firedAt: Micros | null; value: number | null; pending: EventHandle | null }>();

  constructor(
    private readonly cluster: PgCluster,
    private readonly alerts: readonly AlertSpec[],
  ) {
    const now = cluster.ctx.sim.now;
    this.nextXid = new Level(now, START_XID);
    this.vacuum = new VacuumModel(cluster, this.nextXid, () => this.slotHolders(), () => this.requestReplan(0 as Micros));
    this.ops = new Operations(this.vacuum);
    for (const s of cluster.spec.slots) {
      this.addSlot(s);
      this.holdIfStopped(s.name);
    }
    for (const a of alerts) this.alertState.set(a.name, { firedAt: null, value: null, pending: null });
  }

  get enabled(): boolean {
    return this.vacuum.enabled;
  }

  get version(): PgMajor {
    return this.vacuum.version;
  }

  get limits(): { warnAge: number; stopAge: number } {
    return this.vacuum.limits;
  }

  /** Writes that need an XID fail: the reason, or null. */
  refusal(): LogLine | null {
    return this.vacuum.refusal();
  }

  /** max(age(datfrozenxid)) over the databases: the MaximumUsedTransactionIDs metric. */
  maxXidAge(now: Micros): number {
    return this.vacuum.maxXidAge(now);
  }

  databaseAges(now: Micros): { name: string; age: number }[] {
    return this.vacuum.databaseAges(now);
  }

  vacuumLoad(node: PgNode): { bytesPerSecond: number; tables: string[] } {
    return this.vacuum.vacuumLoad(node);
  }

  // ------------------------------------------------------------------ horizon holders

  /** A failover slot now on `node` (synchronized there, and the standby promoted: cluster.ts). */
  slotMoved(name: string, node: string): void {
    const s = this.slots.get(name);
    if (!s) return;
    this.slots.set(name, { ...s, spec: { ...s.spec, node } });
    this.horizonChanged();
  }

  private addSlot(s: SlotSpec): void {
    const now = this.cluster.ctx.sim.now;
    const active = s.consumer === 'active';
    this.slots.set(s.name, { spec: s, active, xmin: active ? null : Math.round(this.nextXid.valueAt(now)), invalidated: false, since: now, reported: active, stoppedAt: null, resumedFrom: null, feedback: s.kind === 'physical' && s.hotStandbyFeedback, feeder: null, feederXmin: null, outOfScope: false });
  }

  /**
   * A slot whose consumer is stopped from the start (or that is created without one) holds from then: its hold is
   * recorded as a stop's is (reportConsumers), so the report's explanation names it.
   */
  private holdIfStopped(name: string): void {
    const s = this.slots.get(name)!;
    if (s.active || s.xmin === null) return;
    this.cluster.ctx.history.holdStart({ cluster: this.cluster.name, holder: `slot "${name}"`, kind: s.spec.kind === 'logical' ? 'catalog_xmin' : s.feedback ? 'xmin' : 'restart_lsn', xid: s.xmin, since: s.since, until: null });
  }

  /**
   * The slots' holds on the horizon (slot.c ReplicationSlotsComputeRequiredXmin): a logical slot's catalog_xmin
   * holds the catalogs of every database, a physical slot's xmin (hot_standby_feedback) every table; an
   * invalidated slot (13+) holds nothing ("invalidated slots need not apply": slot.c of 15.15 and 16+; observed
   * on 13.23, 14.23, 15.18 and 16.14: after a logical slot's invalidation VACUUM FREEZE took pg_class's
   * relfrozenxid past its catalog_xmin, conformance/slots/observe-invalidated-xmin.sh). 13.1's tree still
   * counted them: approximation, the current minors are modelled.
   */
  private slotHolders(): Holder[] {
    const out: Holder[] = [];
    for (const s of this.slots.values()) {
      if (s.xmin === null || s.invalidated || !this.applies(s)) continue;
      if (s.spec.kind === 'logical') {
        out.push({ key: `slot "${s.spec.name}"`, xid: s.xmin, who: { kind: 'logical-slot', slot: s.spec.name, database: s.spec.database! }, since: s.since, database: null, catalogOnly: true });
      } else if (s.feedback) {
        out.push({ key: `slot "${s.spec.name}"`, xid: s.xmin, who: { kind: 'physical-slot', slot: s.spec.name }, since: s.since, database: null, catalogOnly: false });
      }
    }
    return out;
  }

  /**
   * Whether slot `s` holds the horizon of the server vacuum runs on: a slot lives on one server (slot.c; a
   * promotion copies none), so it counts on the primary it is on, or on a standby whose hot_standby_feedback
   * carries its xmin and catalog_xmin upstream while it streams (procarray.c GetReplicationHorizons includes the
   * standby's slots). A slot left on an old primary after a failover holds nothing on the new one.
   */
  private applies(s: SlotState): boolean {
    const node = this.cluster.node(s.spec.node);
    if (node === this.vacuum.primary) return true;
    return node.running && node.role.kind === 'standby' && node.settings.hotStandbyFeedback && node.role.receiver.status === 'streaming';
  }

  /**
   * The history's record of a stopped slot's hold follows whether the slot applies (a failover away from its
   * server ends it; the server becoming the primary again starts it anew). Called at every recomputation.
   */
  private scopeHolds(now: Micros): void {
    for (const [name, s] of this.slots) {
      if (s.active || s.xmin === null || s.invalidated) continue;
      const holds = s.spec.kind === 'logical' || s.feedback;
      if (!holds) continue;
      const applies = this.applies(s);
      if (applies === !s.outOfScope) continue;
      s.outOfScope = !applies;
      if (!applies) this.cluster.ctx.history.holdEnd(this.cluster.name, `slot "${name}"`, now);
      else this.cluster.ctx.history.holdStart({ cluster: this.cluster.name, holder: `slot "${name}"`, kind: s.spec.kind === 'logical' ? 'catalog_xmin' : 'xmin', xid: s.xmin, since: now, until: null });
    }
  }

  // ------------------------------------------------------------------ actions

  createSlot(s: SlotSpec): void {
    this.addSlot(s);
    // A physical slot created now has no xmin until a standby with hot_standby_feedback streams through it
    // (slot.c ReplicationSlotCreate leaves data.xmin invalid; walsender.c PhysicalReplicationSlotNewXmin sets
    // it): it holds no table before then. A slot the scenario declares at its start stands for one that had
    // such a standby before, and keeps the xmin it was left with.
    if (s.kind === 'physical') this.slots.get(s.name)!.xmin = null;
    this.holdIfStopped(s.name);
    this.cluster.log(this.cluster.node(s.node), 'setting', { kind: 'slot-created', slot: s.name, slotKind: s.kind, database: s.database ?? null, consumer: s.consumer });
    this.horizonChanged();
  }

  dropSlot(name: string): void {
    const s = this.slots.get(name);
    if (!s) return;
    this.slots.delete(name);
    this.cluster.log(this.cluster.node(s.spec.node), 'setting', { kind: 'slot-dropped', slot: name, logical: s.spec.kind === 'logical' });
    this.cluster.ctx.history.holdEnd(this.cluster.name, `slot "${name}"`, this.cluster.ctx.sim.now);
    this.horizonChanged();
  }

  /**
   * The slot's consumer connected or left (slots.ts): its xmin follows the present or stays. A consumer that
   * connects and leaves within one instant (a walsender that acquires the slot and ends the stream at once:
   * a standby streaming a timeline in vain, retry.ts) confirmed nothing: the slot keeps its stopped state, and
   * nothing is reported; what the report says of a slot's consumer is its state at the end of each instant.
   */
  setConsumer(name: string, active: boolean, restartLsn: Lsn | null): void {
    const s = this.slots.get(name);
    if (!s || s.active === active) return;
    const now = this.cluster.ctx.sim.now;
    const node = this.cluster.node(s.spec.node);
    s.active = active;
    if (active) {
      s.resumedFrom = { at: now, xmin: s.xmin, since: s.since };
      s.xmin = null;
      s.since = now;
    } else if (s.resumedFrom !== null && s.resumedFrom.at === now) {
      s.xmin = s.resumedFrom.xmin;
      s.since = s.resumedFrom.since;
    } else {
      // The standby's last feedback: the oldest xmin of its queries, else the present (walreceiver.c
      // XLogWalRcvSendHSFeedback: GetOldestXmin on the standby).
      // An XID: a whole number, whatever instant the counter is read at.
      s.xmin = s.feederXmin ?? (s.feeder ? this.feederXmin(s.feeder) : Math.round(this.nextXid.valueAt(now)));
      s.feederXmin = null;
      s.since = now;
      s.stoppedAt = restartLsn ?? node.walEnd(now);
    }
    if (!active) s.resumedFrom = null;
    this.requestReport();
    this.horizonChanged();
  }

  /**
   * A standby began or ended streaming through the physical slot (slots.ts): the slot's xmin is what its
   * feedback sets. With hot_standby_feedback on, walsender.c ProcessStandbyHSFeedbackMessage ->
   * PhysicalReplicationSlotNewXmin stores the standby's xmin in the slot, where it stays after the standby
   * disconnects (slot.c ReplicationSlotRelease keeps a persistent slot's xmin) and holds every table; with it
   * off the walreceiver sends one feedback with an invalid xmin when it starts (walreceiver.c
   * XLogWalRcvSendHSFeedback: primary_has_standby_xmin starts true), which clears it.
   */
  streamFeedback(name: string, standby: PgNode, on: boolean): void {
    const s = this.slots.get(name);
    if (!s || s.spec.kind !== 'physical') return;
    s.feeder = on ? standby : null;
    if (s.feedback === on) return;
    s.feedback = on;
    this.horizonChanged();
  }

  /**
   * What a standby's feedback reports: the oldest xmin of its queries, else the present, or with
   * recovery_min_apply_delay the XID that was next that long ago (its replay is that far behind: horizons.ts).
   */
  private feederXmin(standby: PgNode): number {
    const now = this.cluster.ctx.sim.now;
    const delay = standby.settings.recoveryMinApplyDelay;
    let xmin = delay > 0 ? this.vacuum.horizons.xidAt(Math.max(0, now - delay) as Micros) : this.nextXid.valueAt(now);
    for (const q of this.vacuum.horizons.sessions.values()) if (q.node === standby && q.xmin !== null && q.xmin < xmin) xmin = q.xmin;
    return xmin;
  }

  private reportEvent: EventHandle | null = null;

  /** Report the slots' consumers at the end of this instant, after the recomputation (once per instant). */
  private requestReport(): void {
    if (this.reportEvent) return;
    const sim = this.cluster.ctx.sim;
    this.reportEvent = sim.at(sim.now, `slots ${this.cluster.name}`, () => {
      this.reportEvent = null;
      this.reportConsumers();
    }, PRIORITY.reflow + 1);
  }

  private reportConsumers(): void {
    const now = this.cluster.ctx.sim.now;
    for (const [name, s] of this.slots) {
      if (s.reported === s.active) continue;
      s.reported = s.active;
      const node = this.cluster.node(s.spec.node);
      if (s.active) {
        this.cluster.log(node, 'replication', { kind: 'slot-consumer-resumed', slot: name });
        this.cluster.ctx.history.holdEnd(this.cluster.name, `slot "${name}"`, now);
        continue;
      }
      // A physical slot has an xmin only with hot_standby_feedback (slot.c: the walsender sets it from the feedback).
      const xmin = s.spec.kind === 'logical' || s.feedback ? s.xmin : null;
      this.cluster.log(node, 'replication', { kind: 'slot-consumer-stopped', slot: name, restartLsn: s.stoppedAt ?? node.walEnd(now), logical: s.spec.kind === 'logical', xmin });
      this.cluster.ctx.history.holdStart({ cluster: this.cluster.name, holder: `slot "${name}"`, kind: s.spec.kind === 'logical' ? 'catalog_xmin' : s.feedback ? 'xmin' : 'restart_lsn', xid: s.xmin!, since: s.since, until: null });
    }
  }

  openTransaction(node: PgNode, name: string, prepared: boolean, database: string | null = null, idle = false, tables: readonly TableRef[] | null = null, how: TransactionKind = { isolation: 'read committed', wrote: null }): void {
    this.ops.openTransaction(node, name, prepared, database, idle, tables, how);
  }

  closeTransaction(name: string): void {
    this.ops.closeTransaction(name);
  }

  /** Whether the session `name` still has its transaction open (a crash, a restart or a timeout ends it). */
  hasTransaction(name: string): boolean {
    return this.vacuum.horizons.sessions.has(name);
  }

  /** The session `name` just opened commits after `duration` if it is still the one running (open_transaction's duration). */
  closeAfter(name: string, duration: Micros): void {
    const s = this.vacuum.horizons.sessions.get(name);
    if (!s) return;
    // Its run time counts from when it has its locks (a query on a standby may wait for a replayed one: conflicts.ts).
    this.cluster.replay.conflicts.onLocked(s, () =>
      this.cluster.ctx.sim.after(duration, `end ${name}`, () => {
        if (this.vacuum.horizons.sessions.get(name) === s) this.ops.closeTransaction(name);
      }, 20),
    );
  }

  /** A plan step of the vacuum model (types-vacuum.ts). */
  apply(a: VacuumActionBody, name: string | null): void {
    switch (a.kind) {
      case 'vacuum':
        return this.ops.vacuum(a, name ? ` "${name}"` : '');
      case 'ddl':
        return this.ops.ddl(a, name);
      case 'singleUserVacuum':
        return this.ops.singleUserVacuum(this.cluster.node(a.node), a.database);
      case 'checkpoint':
        return this.cluster.requestCheckpoint(this.cluster.node(a.node));
    }
  }

  /** A holder went away or moved: plan again (a vacuum started from now on sees the new horizon). */
  private horizonChanged(): void {
    this.vacuum.replan();
    this.requestReplan(0 as Micros);
  }

  /** The rates of the worst slot lag and of the largest pg_wal at the last replan. */
  private lastWalMetricRates = { lag: Number.NaN, wal: Number.NaN };
  private rateCheck: EventHandle | null = null;

  /**
   * After every change of this instant (with the replan's priority), plan again if the worst slot lag or the
   * largest pg_wal grows at another rate than at the last replan: only that moves their alerts and series (a
   * stream opened and closed within one instant, a retry in vain, does not), so how often the write model
   * recomputes never shows in the report.
   */
  private requestRateCheck(): void {
    if (this.rateCheck) return;
    this.rateCheck = this.cluster.ctx.sim.at(this.cluster.ctx.sim.now, `xid rates ${this.cluster.name}`, () => {
      this.rateCheck = null;
      const r = this.walMetricRates(this.cluster.ctx.sim.now);
      if (r.lag !== this.lastWalMetricRates.lag || r.wal !== this.lastWalMetricRates.wal) this.requestReplan(0 as Micros);
    }, PRIORITY.reflow + 2);
  }

  private walMetricRates(now: Micros): { lag: number; wal: number } {
    return {
      lag: this.cluster.storage.slots.worstLag(now).rate,
      wal: this.metricValue({ name: '', cluster: this.cluster.name, metric: 'pg_wal_size', above: 0, for: 0 as Micros }, now).rate,
    };
  }

  /** A slot's consumer changed pace without a change of the WAL rates (models/logical): metrics and alerts are planned again. */
  slotPaceChanged(): void {
    this.requestReplan(0 as Micros);
  }

  /** A setting changed (reload or restart), or a server stopped or started: every threshold is planned again. */
  settingsChanged(): void {
    this.vacuum.replan();
    this.requestReplan(0 as Micros);
  }

  nodeDown(node: PgNode): void {
    // A standby going down ends its queries, and its walreceiver with them (postmaster.c signals both at
    // once): no later feedback moves its slot's xmin, which keeps their oldest xmin.
    for (const s of this.slots.values()) if (s.feeder === node) s.feederXmin = this.feederXmin(node);
    this.vacuum.nodeDown(node);
    this.requestReplan(0 as Micros);
  }

  nodeUp(node: PgNode): void {
    this.cluster.storage.slots.serverStarted(node);
    if (node === this.vacuum.primary) this.vacuum.autovacuum.restart(this.cluster.ctx.sim.now);
    this.settingsChanged();
  }

  // ------------------------------------------------------------------ WAL retention (rules 13-14)

  /** A checkpoint ended on `node`: what pg_wal keeps may have moved, and the next full-volume time with it. */
  walChanged(node: PgNode): void {
    if (node.storage.walVolume !== null) this.requestReplan(0 as Micros);
    // The first checkpoint after retention stopped removes what the slot kept (xlog.c RemoveOldXlogFiles):
    // pg_wal's drop is sampled there, else the series would stay at its retained size to the end.
    else if (this.walMetricsSettling && !this.cluster.storage.slots.retaining(this.cluster.ctx.sim.now)) {
      this.walMetricsSettling = false;
      this.recordWalMetrics(this.cluster.ctx.sim.now, false);
    }
  }

  /**
   * A checkpoint invalidated the slot (slots.ts): it no longer holds the horizon (slot.c
   * ReplicationSlotsComputeRequiredXmin skips invalidated slots; see slotHolders). Returns 'released' when it
   * held one (a physical slot without hot_standby_feedback has no xmin), for the log.
   */
  slotInvalidated(name: string): 'released' | null {
    const s = this.slots.get(name);
    if (!s) return null;
    s.invalidated = true;
    const releases = s.xmin !== null && (s.spec.kind === 'logical' || s.feedback);
    if (s.xmin !== null) this.cluster.ctx.history.holdEnd(this.cluster.name, `slot "${name}"`, this.cluster.ctx.sim.now);
    this.horizonChanged();
    return releases ? 'released' : null;
  }

  // ------------------------------------------------------------------ the fluid part

  /**
   * XIDs are assigned at the rate write transactions commit (WriteFlow calls this at every reflow), with each
   * pool's committed transactions per second (dead rows and inserts of the tables they write).
   */
  setRate(now: Micros, txPerSecond: number, committed: ReadonlyMap<string, number> = new Map()): void {
    if (!this.enabled) {
      // Without databases there are no XIDs to follow, but a slot's lag and pg_wal still grow with the WAL rates: the
      // alerts on them and their series are planned again when one of those rates changed (only then, as with
      // databases below: how often the write model recomputes must not show in the report).
      if (this.alerts.length > 0 || this.walMetricsRetaining) this.requestRateCheck();
      return;
    }
    this.vacuum.setWriteRates(now, committed);
    const r = txPerSecond / 1e6;
    if (r === this.nextXid.rate) return;
    this.nextXid.setRate(now, r);
    this.vacuum.horizons.xidRateChanged(now, r);
    this.vacuum.replan();
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

  /** Recompute the slot and alert crossings from the current rates (the vacuum model plans its own). */
  private replan(): void {
    const sim = this.cluster.ctx.sim;
    const now = sim.now;
    for (const t of this.timers.splice(0)) sim.cancel(t);
    this.scopeHolds(now);
    this.vacuum.noteAge(now);
    this.planAlerts(now);
    this.recordMetrics(now);
    this.lastWalMetricRates = this.walMetricRates(now);
    // The worst slot lag and the largest pg_wal are maxima: when another slot or server overtakes the leader, the
    // metric's rate changes with no event of its own. Alerts and the recorded series are planned again there.
    if (this.alerts.length > 0 || this.walMetricsRetaining) {
      const at = Math.min(this.cluster.storage.slots.worstLagOvertakenAt(now), this.pgWalOvertakenAt(now));
      if (at !== NEVER) this.timers.push(sim.at(at as Micros, `metric leader ${this.cluster.name}`, () => this.requestReplan(0 as Micros), PRIORITY.checkpoint));
    }
  }

  /** When another server's pg_wal, growing faster, overtakes the largest (NEVER: none does at the current rates). */
  private pgWalOvertakenAt(now: Micros): number {
    const worst = this.metricValue({ name: '', cluster: this.cluster.name, metric: 'pg_wal_size', above: 0, for: 0 as Micros }, now);
    let at = NEVER as number;
    for (const n of this.cluster.nodes.values()) {
      const size = this.cluster.storage.pgWalBytes(n, now);
      const rate = n.wal.end.rate;
      if (rate > worst.rate && size < worst.value) at = Math.min(at, now + Math.max(1, Math.ceil((worst.value - size) / (rate - worst.rate))));
    }
    return at;
  }

  /** Samples of the metrics a user alerts on; between samples each is linear at the recorded rate. */
  private recordMetrics(now: Micros): void {
    const h = this.cluster.ctx.history;
    const cluster = this.cluster.name;
    if (this.enabled) h.metric({ at: now, cluster, name: 'max_xid_age', value: this.maxXidAge(now), rate: this.vacuum.isStopped ? 0 : this.nextXid.rate });
    // WAL metrics matter while a slot retains WAL; otherwise checkpoints keep pg_wal small (a saw-tooth every
    // checkpoint_timeout that would only bloat the series): one sample when retention stops, and one when the
    // next checkpoint has removed what was kept (walChanged), are enough.
    const retaining = this.cluster.storage.slots.retaining(now);
    if (retaining || this.walMetricsRetaining) {
      if (!retaining) this.walMetricsSettling = true;
      this.walMetricsRetaining = retaining;
      this.recordWalMetrics(now, retaining);
    }
  }

  private recordWalMetrics(now: Micros, retaining: boolean): void {
    const h = this.cluster.ctx.history;
    const cluster = this.cluster.name;
    const lag = this.metricValue({ name: '', cluster, metric: 'slot_lag', above: 0, for: 0 as Micros }, now);
    h.metric({ at: now, cluster, name: 'slot_lag', value: lag.value, rate: lag.rate });
    const wal = this.metricValue({ name: '', cluster, metric: 'pg_wal_size', above: 0, for: 0 as Micros }, now);
    h.metric({ at: now, cluster, name: 'pg_wal_size', value: wal.value, rate: retaining ? wal.rate : 0 });
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
            this.cluster.log(null, 'alert', { kind: 'alert-fires', alert: a.name, metric: a.metric, value: v.value, above: a.above, for: a.for });
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
    // Object.assign, not a spread: V8 gives `{ ...x, y }` a new hidden class at every call (docs/performance.md).
    return Object.assign({}, this.vacuum.summary(now), { alerts: this.alerts.map((a) => ({ spec: a, ...this.alertState.get(a.name)! })) });
  }

  /** The end of the run: lock waits still open are recorded. */
  finish(now: Micros): void {
    this.vacuum.finish(now);
  }

  /** Start the model: plan the first thresholds. */
  boot(): void {
    this.vacuum.replan();
    if (this.enabled || this.alerts.length > 0) this.requestReplan(0 as Micros);
  }
}

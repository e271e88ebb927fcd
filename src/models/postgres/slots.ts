/**
 * Replication slots, their WAL side (../shared/domain/postgres.md §3, rules 13-14; postgres-2.md §1.5):
 * restart_lsn, what they make a checkpoint keep, their invalidation at a checkpoint (13+), wal_status and
 * safe_wal_size, and the physical slot a standby names in primary_slot_name: its restart_lsn follows the
 * standby's flush while the standby streams through it (walsender.c ProcessStandbyReplyMessage ->
 * PhysicalConfirmReceivedLocation) and stays where it was while it does not.
 *
 * The XID side of slots (xmin, catalog_xmin, the horizons they hold) stays in xid.ts, told of every change
 * through `SlotHorizons`.
 */
import { NEVER, ceilMicros, type Micros } from '../../engine/time.ts';
import type { SlotSpec } from '../../scenario/types.ts';
import type { PgCluster } from './cluster.ts';
import { formatLsn, walFileName, type Lsn } from './lsn.ts';
import { slotsInUse, type LogLine } from './messages.ts';
import type { PgNode, Stream } from './node.ts';
import { keepLogSeg, segNo, wholeSegments } from './retention.ts';
import type { SlotInvalidatedNoteFact } from '../../history/facts/replication.ts';

/** What xid.ts needs to know of slots (their horizons are its business). */
export interface SlotHorizons {
  createSlot(s: SlotSpec): void;
  dropSlot(name: string): void;
  /** A slot's consumer connected or left; `restartLsn` is where the slot stays while it is away. */
  setConsumer(name: string, active: boolean, restartLsn: Lsn | null): void;
  /** A standby streams (or stopped streaming) through the physical slot, with hot_standby_feedback `on` or not. */
  streamFeedback(name: string, standby: PgNode, on: boolean): void;
  /** The slot was invalidated at a checkpoint; 'released' when it held the horizon, which it no longer does (for the log). */
  slotInvalidated(name: string): 'released' | null;
}

/**
 * A slot's consumer that confirms at its own pace: `position` is where it has confirmed (confirmed_flush_lsn,
 * standing in for restart_lsn: an approximation, restart_lsn may lag behind it by the oldest open transaction),
 * `rate` how fast that moves now (bytes/µs).
 */
export interface SlotConsumer {
  position(now: Micros): Lsn;
  rate(now: Micros): number;
}

export type WalStatus = 'reserved' | 'extended' | 'unreserved' | 'lost';

/** A slot as pg_replication_slots shows it (restart_lsn null once invalidated; wal_status and safe_wal_size 13+). */
export interface SlotView {
  readonly name: string;
  readonly node: string;
  readonly kind: SlotSpec['kind'];
  readonly active: boolean;
  readonly restartLsn: Lsn | null;
  readonly walStatus: WalStatus | null;
  readonly safeWalSize: number | null;
  /** The standby that streams through it (primary_slot_name), or null. */
  readonly standby: string | null;
}

interface Slot {
  readonly spec: SlotSpec;
  /** The server it is on. */
  readonly node: PgNode;
  active: boolean;
  /** Where restart_lsn stays while no consumer confirms (null: it follows the consumer now). */
  restartLsn: Lsn | null;
  invalidated: boolean;
  /** Why it was invalidated (pg_replication_slots.invalidation_reason, 17+). */
  cause: 'wal_removed' | 'idle_timeout';
  /** The stream of the standby that uses this slot (primary_slot_name), while it streams. */
  stream: Stream | null;
  /** Since when no consumer has used it (pg_replication_slots.inactive_since, 17+); null while one does. */
  inactiveSince: Micros | null;
  /** A consumer has advanced it (a failover slot's synchronized copy is then sync-ready: moveFailoverSlots). */
  consumed: boolean;
}

export class ReplicationSlots {
  private readonly slots = new Map<string, Slot>();

  constructor(
    private readonly cluster: PgCluster,
    private readonly horizons: SlotHorizons,
  ) {
    for (const s of cluster.spec.slots) this.add(s);
    this.refreshWaits();
  }

  /**
   * `reserveAt`: where a slot created now reserves WAL (create); a slot of the scenario's start holds the position
   * its standby or server has then.
   */
  private add(spec: SlotSpec, reserveAt?: Lsn): void {
    const now = this.cluster.ctx.sim.now;
    const active = spec.consumer === 'active';
    // A slot a standby names in primary_slot_name holds that standby's position until it streams through it.
    const user = [...this.cluster.nodes.values()].find((n) => n.role.kind === 'standby' && n.role.upstream === spec.node && n.settings.primarySlotName === spec.name);
    const restartLsn = user && reserveAt === undefined ? user.walEnd(now) : active ? null : (reserveAt ?? this.cluster.node(spec.node).walEnd(now));
    this.slots.set(spec.name, { spec, node: this.cluster.node(spec.node), active, restartLsn, invalidated: false, cause: 'wal_removed', stream: null, inactiveSince: active ? null : now, consumed: active });
  }

  // ------------------------------------------------------------------ positions

  /**
   * restart_lsn now: fixed while no consumer confirms; a standby streaming through the slot confirms its flush
   * (the reply travels back over the link: one latency behind); any other active consumer keeps up with the
   * server's WAL. Null once invalidated.
   */
  restartLsn(s: Slot, now: Micros): Lsn | null {
    if (s.invalidated) return null;
    if (s.stream) return Math.max(s.restartLsn ?? 0, this.confirmed(s.stream, now));
    if (s.restartLsn !== null) return s.restartLsn;
    const end = this.consumerEnd(s, now);
    const c = this.consumers.get(s.spec.name);
    return c ? Math.min(end, c.position(now)) : end;
  }

  /** Consumers that confirm at their own pace (a subscription's apply worker, models/logical), by slot. */
  private readonly consumers = new Map<string, SlotConsumer>();

  /**
   * A consumer that confirms at its own pace streams from the slot (null: it no longer does): while the slot is
   * active, restart_lsn follows its confirmed position instead of the server's WAL.
   */
  attachConsumer(name: string, c: SlotConsumer | null): void {
    if (c) this.consumers.set(name, c);
    else this.consumers.delete(name);
  }

  /**
   * Where an active consumer has got to: the server's WAL end, except that a failover slot's walsender sends
   * nothing the standbys of synchronized_standby_slots have not confirmed (17+, walsender.c
   * NeedToWaitForStandbys → slot.c StandbySlotsHaveCaughtup: each listed physical slot's restart_lsn), so its
   * consumer never gets ahead of a standby that may be promoted, and stops while one of them stops confirming.
   * A listed slot that was invalidated holds it where it stood for good, and one that does not exist (or is
   * logical) from when it was named (StandbySlotsHaveCaughtup warns and waits: "Logical replication is waiting
   * on the standby associated with replication slot ..."), `waiting`.
   */
  private consumerEnd(s: Slot, now: Micros): Lsn {
    let end = s.node.walEnd(now);
    if (s.spec.kind !== 'logical' || s.spec.failover !== true) return end;
    const stuck = this.waiting.get(s.spec.name);
    if (stuck !== undefined) end = Math.min(end, stuck);
    for (const name of s.node.settings.synchronizedStandbySlots) {
      const w = this.slots.get(name);
      if (!w || w === s || w.node !== s.node || w.spec.kind !== 'physical') continue;
      const r = w.invalidated ? w.restartLsn : this.restartLsn(w, now);
      if (r !== null) end = Math.min(end, r);
    }
    return end;
  }

  /** Failover slots whose consumers wait for a slot synchronized_standby_slots names that is not a physical slot there: where they stopped. */
  private readonly waiting = new Map<string, Lsn>();

  /** synchronized_standby_slots or the slots changed: consumers that wait for a missing slot stop, and go on when it exists. */
  private refreshWaits(): void {
    const now = this.cluster.ctx.sim.now;
    for (const s of this.slots.values()) {
      if (s.spec.kind !== 'logical' || s.spec.failover !== true) continue;
      const missing = s.node.settings.synchronizedStandbySlots.some((name) => {
        const w = this.slots.get(name);
        return !w || w.node !== s.node || w.spec.kind !== 'physical';
      });
      if (missing && !this.waiting.has(s.spec.name)) this.waiting.set(s.spec.name, this.consumerEnd(s, now));
      else if (!missing) this.waiting.delete(s.spec.name);
    }
  }

  /** A server's settings were reloaded (synchronized_standby_slots may have changed). */
  reloaded(): void {
    this.refreshWaits();
    this.cluster.requestReflow();
  }

  /** The flush a streaming standby has confirmed by now: one latency behind its flush (the reply travels back). */
  private confirmed(stream: Stream, now: Micros): Lsn {
    const d = stream.down;
    return d.flushed(now) - d.wal.end.rate * stream.path.latency;
  }

  /**
   * Whether a streamed slot's restart_lsn still stands where the stream began: the standby's confirmed flush has
   * not reached it yet (the first latency of a stream), so it does not move.
   */
  private held(s: Slot, now: Micros): boolean {
    return s.stream !== null && s.restartLsn !== null && this.confirmed(s.stream, now) < s.restartLsn;
  }

  /**
   * When a streamed slot's restart_lsn starts moving by itself (its standby's confirmed flush reaches where it
   * stands): the line of its retained WAL bends there, so the recomputation schedules a breakpoint at it.
   */
  nextChange(now: Micros): number {
    let next = NEVER as number;
    for (const s of this.slots.values()) {
      if (s.invalidated || !this.held(s, now)) continue;
      const rate = s.stream!.down.wal.end.rate;
      if (rate > 0) next = Math.min(next, now + Math.max(1, ceilMicros((s.restartLsn! - this.confirmed(s.stream!, now)) / rate)));
    }
    return next;
  }

  /**
   * The oldest restart_lsn of `node`'s valid slots (XLogGetReplicationSlotMinimumLSN), or null. On a standby that
   * synchronizes its primary's failover slots (17+, syncsFrom) their copies count too, each at most where the
   * standby is (slotsync.c never moves a synchronized slot past the standby's flush).
   */
  minimum(node: PgNode, now: Micros): Lsn | null {
    let min: Lsn | null = null;
    const primary = this.syncsFrom(node);
    for (const s of this.slots.values()) {
      const synced = primary !== null && s.node === primary && s.spec.kind === 'logical' && s.spec.failover === true;
      if (s.node !== node && !synced) continue;
      let r = this.restartLsn(s, now);
      if (r !== null && synced) r = Math.min(r, node.walEnd(now));
      if (r !== null && (min === null || r < min)) min = r;
    }
    return min;
  }

  /**
   * The server whose failover slots `node` synchronizes (17+: a running standby with sync_replication_slots,
   * hot_standby_feedback and primary_slot_name, slotsync.c ValidateSlotSyncParams), or null.
   */
  syncsFrom(node: PgNode): PgNode | null {
    const role = node.role;
    if (!node.running || role.kind !== 'standby' || role.upstream === null) return null;
    const st = node.settings;
    return st.syncReplicationSlots && st.hotStandbyFeedback && st.primarySlotName !== null ? this.cluster.node(role.upstream) : null;
  }

  /** Whether some valid slot holds WAL back (for the WAL metrics). */
  retaining(now: Micros): boolean {
    for (const s of this.slots.values()) {
      const node = this.cluster.node(s.spec.node);
      const r = this.restartLsn(s, now);
      if (r !== null && r < node.walEnd(now) - 1) return true;
    }
    return false;
  }

  /** The largest lag of a valid slot behind its server's WAL, and the rate it grows at. */
  worstLag(now: Micros): { value: number; rate: number } {
    let worst = { value: 0, rate: 0 };
    for (const s of this.slots.values()) {
      const r = this.restartLsn(s, now);
      if (r === null) continue;
      const node = this.cluster.node(s.spec.node);
      const lag = node.walEnd(now) - r;
      // At equal lags (caught up: 0) the one falling behind fastest: a consumer that has just caught up with a
      // primary writing faster than it confirms is about to lag, with no event of its own until a threshold.
      if (lag > worst.value) worst = { value: lag, rate: this.rateOf(s, now) };
      else if (lag === worst.value) {
        const rate = this.rateOf(s, now);
        if (rate > worst.rate) worst = { value: lag, rate };
      }
    }
    return worst;
  }

  /**
   * When another slot's lag, growing faster, overtakes the worst one at the current rates (NEVER: none does):
   * the worst lag's rate changes there without an event of its own, so the metric is sampled again then.
   */
  worstLagOvertakenAt(now: Micros): number {
    const worst = this.worstLag(now);
    let at = NEVER as number;
    for (const s of this.slots.values()) {
      const r = this.restartLsn(s, now);
      if (r === null) continue;
      const rate = this.rateOf(s, now);
      const lag = this.cluster.node(s.spec.node).walEnd(now) - r;
      if (rate > worst.rate && lag < worst.value) at = Math.min(at, now + Math.max(1, ceilMicros((worst.value - lag) / (rate - worst.rate))));
    }
    return at;
  }

  /** The rate (bytes/µs) at which slot `name` falls behind its server's WAL (0 for a slot that is gone). */
  lagRate(name: string, now: Micros): number {
    const s = this.slots.get(name);
    return s && !s.invalidated ? this.rateOf(s, now) : 0;
  }

  private rateOf(s: Slot, now: Micros): number {
    const node = this.cluster.node(s.spec.node);
    const moving = s.stream ? (this.held(s, now) ? 0 : s.stream.down.wal.end.rate) : s.restartLsn === null ? (this.consumers.get(s.spec.name)?.rate(now) ?? node.wal.end.rate) : 0;
    return node.wal.end.rate - moving;
  }

  // ------------------------------------------------------------------ actions

  has(name: string): boolean {
    return this.slots.has(name);
  }

  /** The server slot `name` is on and whether a standby streams through it now, or null when there is no such slot. */
  placed(name: string): { readonly node: string; readonly streaming: boolean; readonly lost: boolean } | null {
    const s = this.slots.get(name);
    return s ? { node: s.spec.node, streaming: s.stream !== null, lost: s.invalidated } : null;
  }

  /**
   * Create a slot; false (logged) when its server holds max_replication_slots already (slot.c ReplicationSlotCreate).
   * `reserveAt`: a physical slot's restart_lsn when a manager creates it where it knows the slot stood (Patroni's
   * member slots, advanced on every node from /status); default: the redo point, as below.
   */
  create(spec: SlotSpec, reserveAt?: Lsn): boolean {
    const node = this.cluster.node(spec.node);
    const max = node.settings.maxReplicationSlots;
    if (max !== null && [...this.slots.values()].filter((s) => s.node === node).length >= max) {
      this.cluster.log(node, 'replication', { kind: 'slot-not-created', node: node.name, slot: spec.name, max, rule: 'slot.c:ReplicationSlotCreate' }, [slotsInUse(node.version)]);
      return false;
    }
    // slot.c ReplicationSlotReserveWal (pg_create_physical_replication_slot(name, true), pg_basebackup's
    // RESERVE_WAL): a physical slot reserves from RedoRecPtr, the redo point of the last checkpoint (a standby:
    // restartpoint), where a base backup taken now would start replay; a logical one on a primary from the
    // insert position (observed: a slot created on a standby with its WAL in the next segment showed its
    // restart_lsn one segment behind, 10.23 to 18.4, conformance ext-1).
    this.add(spec, spec.kind === 'physical' ? (reserveAt ?? Math.min(node.walEnd(this.cluster.ctx.sim.now), this.cluster.storage.checkpointer.redoRecPtr(node))) : undefined);
    this.horizons.createSlot(spec);
    this.refreshWaits();
    // A standby already streaming from that server with this primary_slot_name uses it from its next connection;
    // one refused for want of it tries again (a change: retry.ts).
    this.cluster.requestReflow();
    return true;
  }

  /**
   * A plan's slot function (`create_slot`, `drop_slot`): SQL in a session on the slot's server, which must be
   * running to accept it (a server down for want of pg_wal room cannot be relieved by dropping its slot: its
   * pg_replslot state stays until the server runs). False, logged, when it is not; else `create` or `drop`.
   */
  bySql(op: 'create' | 'drop', spec: SlotSpec | string): boolean {
    const name = typeof spec === 'string' ? spec : spec.name;
    const at = typeof spec === 'string' ? this.slots.get(spec)?.spec.node : spec.node;
    const node = at !== undefined ? this.cluster.node(at) : null;
    if (node && !node.running) {
      this.cluster.log(node, 'replication', { kind: 'slot-op-server-down', node: node.name, slot: name, op });
      return false;
    }
    return typeof spec === 'string' ? this.drop(spec) : this.create(spec);
  }

  /**
   * pg_drop_replication_slot (slot.c ReplicationSlotDrop with nowait, ReplicationSlotAcquire): refused while a
   * walsender holds the slot (a standby streaming through it, an active logical consumer), with `replication slot
   * "…" is active for PID …` (9.5+; 9.4 `… is already active`; observed on 10.23): the slot stays and keeps its WAL
   * and xmin until its consumer is gone. Approximation: PIDs are made up. False when refused or absent.
   */
  drop(name: string): boolean {
    const s = this.slots.get(name);
    if (!s) return false;
    if (s.stream !== null || (s.active && !s.invalidated)) {
      const node = this.cluster.node(s.spec.node);
      const message = node.version >= 9.5 ? `replication slot "${name}" is active for PID ${this.walsenderPid(s)}` : `replication slot "${name}" is already active`;
      this.cluster.log(node, 'replication', { kind: 'slot-drop-refused', node: node.name, slot: name, standby: s.stream?.down.name ?? null, rule: 'slot.c:ReplicationSlotAcquire' }, [{ process: 'client backend', level: 'ERROR', message }]);
      return false;
    }
    // The consumers waiting for it stop where they are (synchronized_standby_slots names a slot that is gone).
    const now = this.cluster.ctx.sim.now;
    const stopped = [...this.slots.values()].filter((x) => x.spec.kind === 'logical' && x.spec.failover === true && x.node.settings.synchronizedStandbySlots.includes(name) && !this.waiting.has(x.spec.name));
    const at = stopped.map((x) => [x.spec.name, this.consumerEnd(x, now)] as const);
    this.slots.delete(name);
    this.waiting.delete(name);
    for (const [k, v] of at) this.waiting.set(k, v);
    this.refreshWaits();
    this.horizons.dropSlot(name);
    this.cluster.requestReflow();
    return true;
  }

  /**
   * 17+ failover slots (slotsync.c): the logical slots on `from` created with failover = true, which a standby with
   * sync_replication_slots, hot_standby_feedback and primary_slot_name streaming from it synchronizes. At its
   * promotion they go on on it: a synchronized slot never runs ahead of the standby (slotsync.c skips a remote
   * slot beyond its flush), so restart_lsn is at most the switchpoint `sp`; an active consumer follows the new
   * primary. Approximation: one slot per name, so the old primary's copy moves rather than stays; the standby's
   * copy keeps its WAL (minimum) but holds no catalog_xmin of its own before the promotion (hot_standby_feedback
   * carries the primary's slot's anyway).
   */
  moveFailoverSlots(from: PgNode, to: PgNode, sp: Lsn): { slot: string; restartLsn: Lsn | null; active: boolean; ahead?: number }[] {
    const moved: { slot: string; restartLsn: Lsn | null; active: boolean; ahead?: number }[] = [];
    const now = this.cluster.ctx.sim.now;
    for (const [name, s] of this.slots) {
      // A synchronized copy is created temporary and persists ("sync-ready") only once the remote slot has moved
      // past the position the standby reserved (slotsync.c update_and_persist_local_synced_slot: "could not
      // synchronize replication slot … Synchronization could lead to data loss"); at the promotion a temporary one is
      // dropped. Seen on 17.10: a slot never consumed stayed temporary and was gone after the promotion; one whose
      // consumer had advanced it was "sync-ready now" and decoded on the new primary. Approximation: ready once any
      // consumer has been active on it.
      if (s.node !== from || s.spec.kind !== 'logical' || !s.spec.failover || s.invalidated || !s.consumed) continue;
      // Its copy kept the standby's WAL from there (minimum); one synchronized later than the WAL it needs was removed is not modelled.
      const restartLsn = s.restartLsn === null ? null : Math.max(Math.min(s.restartLsn, sp), to.oldestRetained);
      // Its consumer may have been sent changes past the switchpoint, which the new primary never had (without
      // synchronized_standby_slots naming this standby's slot): it resumes from its own position there, so the new
      // primary's changes up to that LSN are never sent to it (the docs' "Logical Replication Failover").
      const reached = this.restartLsn(s, now);
      const ahead = reached !== null ? reached - sp : 0;
      this.slots.set(name, { ...s, spec: { ...s.spec, node: to.name }, node: to, restartLsn });
      moved.push({ slot: name, restartLsn, active: s.active, ...(ahead > 0 ? { ahead } : {}) });
    }
    if (moved.length > 0) this.cluster.requestReflow();
    return moved;
  }

  private readonly pids = new Map<string, number>();

  /** The PID shown for the walsender holding slot `s` (made up: 20000 and up, one per slot, stable in a run). */
  private walsenderPid(s: Slot): number {
    let pid = this.pids.get(s.spec.name);
    if (pid === undefined) this.pids.set(s.spec.name, (pid = 20000 + this.pids.size));
    return pid;
  }

  setConsumer(name: string, active: boolean): void {
    const s = this.slots.get(name);
    if (!s || s.active === active) return;
    const node = this.cluster.node(s.spec.node);
    const now = this.cluster.ctx.sim.now;
    if (active && s.invalidated) {
      this.cluster.log(node, 'replication', { kind: 'slot-consumer-refused', slot: name }, [this.lostError(s, node)]);
      return;
    }
    if (!active) s.restartLsn = this.restartLsn(s, now);
    s.active = active;
    s.inactiveSince = active ? null : now;
    if (active) s.consumed = true;
    if (active && !s.stream) s.restartLsn = null;
    this.horizons.setConsumer(name, active, s.restartLsn);
    // What the slot retains jumps (a consumer that catches up) or starts growing: recorded now (wal-series.ts
    // samples at recomputations), and retry loops parked on this server try again (a change: retry.ts).
    this.cluster.requestReflow();
  }

  // ------------------------------------------------------------------ a standby streaming through its slot

  /**
   * START_REPLICATION ... SLOT (walsender.c StartReplication, slot.c ReplicationSlotAcquire): the slot a
   * standby names in primary_slot_name must exist on its upstream and be physical; 18 also refuses an
   * invalidated one. Null when the walsender accepts it (or the standby names none).
   */
  acquire(n: PgNode, up: PgNode): LogLine | null {
    const name = n.settings.primarySlotName;
    if (name === null) return null;
    const s = this.slots.get(name);
    const fatal = (message: string, detail?: string): LogLine =>
      detail === undefined ? { process: 'walreceiver', level: 'FATAL', message: `could not start WAL streaming: ERROR:  ${message}` } : { process: 'walreceiver', level: 'FATAL', message: `could not start WAL streaming: ERROR:  ${message}`, detail };
    if (!s || s.spec.node !== up.name) return fatal(`replication slot "${name}" does not exist`);
    if (s.spec.kind === 'logical') return fatal('cannot use a logical replication slot for physical replication');
    // 13-17 do not check a physical slot's invalidation here ("If the WAL segment doesn't exist, we'll fail
    // later"); 18 does (ReplicationSlotAcquire with error_if_invalid).
    if (s.invalidated && up.version >= 18) return fatal(`can no longer access replication slot "${name}"`, `This replication slot has been invalidated due to "${s.cause}".`);
    return null;
  }

  /** Why a standby's slot did not keep its WAL (it was invalidated), or null when it has none or it is valid. */
  lostNote(n: PgNode, up: PgNode): SlotInvalidatedNoteFact | null {
    const name = n.settings.primarySlotName;
    const s = name !== null ? this.slots.get(name) : undefined;
    if (!s || s.spec.node !== up.name || !s.invalidated) return null;
    return { kind: 'slot-invalidated-note', node: n.name, upstream: up.name, slot: s.spec.name, upstreamVersion: up.version, ...(s.cause === 'idle_timeout' ? { idle: true } : {}) };
  }

  /** A stream started: the standby's slot (if any) follows its flush from now on. */
  attach(stream: Stream): void {
    const name = stream.down.settings.primarySlotName;
    const s = name !== null ? this.slots.get(name) : undefined;
    if (!s || s.spec.node !== stream.up.name || s.invalidated) return;
    s.stream = stream;
    s.inactiveSince = null;
    this.horizons.streamFeedback(s.spec.name, stream.down, stream.down.settings.hotStandbyFeedback);
    if (!s.active) {
      s.active = true;
      this.horizons.setConsumer(s.spec.name, true, null);
    }
  }

  /** A stream ended: its slot's restart_lsn stays at the standby's last confirmed flush. */
  detach(stream: Stream): void {
    for (const s of this.slots.values()) {
      if (s.stream !== stream) continue;
      const now = this.cluster.ctx.sim.now;
      s.restartLsn = this.restartLsn(s, now);
      s.stream = null;
      s.active = false;
      s.inactiveSince = now;
      // Its last feedback stays in the slot (a reload of hot_standby_feedback while it streamed counts).
      this.horizons.streamFeedback(s.spec.name, stream.down, stream.down.settings.hotStandbyFeedback);
      if (!s.invalidated) this.horizons.setConsumer(s.spec.name, false, s.restartLsn);
    }
  }

  // ------------------------------------------------------------------ checkpoints

  /**
   * slot.c InvalidateObsoleteReplicationSlots (13+), at a checkpoint: every slot of `node` whose restart_lsn is
   * before `below` (the start of the first segment kept: whole segments) is invalidated, with the version's
   * LOG line. True if any was.
   */
  invalidate(node: PgNode, below: Lsn): boolean {
    const now = this.cluster.ctx.sim.now;
    let any = false;
    for (const s of this.slots.values()) {
      if (s.spec.node !== node.name) continue;
      const r = this.restartLsn(s, now);
      if (r === null) continue;
      if (r >= below) {
        if (this.invalidateIdle(s, node, now)) any = true;
        continue;
      }
      any = true;
      if (s.stream) s.restartLsn = r;
      s.invalidated = true;
      const over = Math.round(below - r);
      const line: LogLine =
        node.version >= 16
          ? {
              // slot.c ReportSlotInvalidation (16+); the HINT quotes the GUC name from 17.
              process: 'checkpointer',
              level: 'LOG',
              message: `invalidating obsolete replication slot "${s.spec.name}"`,
              detail: `The slot's restart_lsn ${formatLsn(r)} exceeds the limit by ${over} ${over === 1 ? 'byte' : 'bytes'}.`,
              hint: node.version >= 17 ? 'You might need to increase "max_slot_wal_keep_size".' : 'You might need to increase max_slot_wal_keep_size.',
            }
          : { process: 'checkpointer', level: 'LOG', message: `invalidating slot "${s.spec.name}" because its restart_lsn ${formatLsn(r)} exceeds max_slot_wal_keep_size` };
      const horizon = this.horizons.slotInvalidated(s.spec.name);
      const limit = node.settings.maxSlotWalKeepSize;
      this.cluster.log(
        node,
        'xid',
        { kind: 'slot-invalidated', node: node.name, slot: s.spec.name, limit: limit ?? 0, segments: wholeSegments(limit ?? 0, node.settings.walSegmentSize), horizon, version: node.version, rule: 'slot.c:InvalidateObsoleteReplicationSlots' },
        [line],
      );
    }
    // A standby's failure to stream now reads otherwise (its slot was invalidated): parked retry loops try again.
    if (any) this.cluster.requestReflow('changed');
    return any;
  }

  /**
   * A server started: its slots restored from disk are inactive from now (slot.c RestoreSlotFromDisk sets
   * inactive_since to the startup time, 17+), so idle_replication_slot_timeout counts again from the start.
   */
  serverStarted(node: PgNode): void {
    const now = this.cluster.ctx.sim.now;
    for (const s of this.slots.values()) if (s.node === node && s.inactiveSince !== null) s.inactiveSince = now;
  }

  /**
   * 18+: idle_replication_slot_timeout (slot.c InvalidatePossiblyObsoleteSlot, CanInvalidateIdleSlot, at the same
   * checkpoint step): a slot that reserves WAL and that no consumer has used for at least the timeout, in whole
   * seconds (TimestampDifferenceExceedsSeconds), is invalidated with reason idle_timeout; a slot past
   * max_slot_wal_keep_size too is reported for that (checked first). A restart of its server starts the count again
   * (serverStarted).
   */
  private invalidateIdle(s: Slot, node: PgNode, now: Micros): boolean {
    const timeout = node.settings.idleReplicationSlotTimeout;
    if (node.version < 18 || timeout <= 0 || s.invalidated || s.stream !== null || s.active || s.inactiveSince === null) return false;
    const idle = Math.floor((now - s.inactiveSince) / 1e6);
    const limit = Math.floor(timeout / 1e6);
    if (idle < limit) return false;
    s.restartLsn = this.restartLsn(s, now);
    s.invalidated = true;
    s.cause = 'idle_timeout';
    const horizon = this.horizons.slotInvalidated(s.spec.name);
    this.cluster.log(node, 'xid', { kind: 'slot-invalidated-idle', node: node.name, slot: s.spec.name, idle: idle * 1e6, timeout, horizon, rule: 'slot.c:InvalidateObsoleteReplicationSlots' }, [
      {
        process: 'checkpointer',
        level: 'LOG',
        message: `invalidating obsolete replication slot "${s.spec.name}"`,
        detail: `The slot's idle time of ${idle}s exceeds the configured "idle_replication_slot_timeout" duration of ${limit}s.`,
        hint: 'You might need to increase "idle_replication_slot_timeout".',
      },
    ]);
    return true;
  }

  // ------------------------------------------------------------------ what pg_replication_slots shows

  /**
   * wal_status (13+; xlog.c GetWALAvailability): `reserved` within max_wal_size of the write position,
   * `extended` beyond it but still kept (by this or another slot, or wal_keep_size), `unreserved` no longer kept
   * but not removed yet (also a lost slot a walsender still uses), `lost` removed or invalidated.
   */
  walStatus(s: Slot, now: Micros): WalStatus | null {
    const node = this.cluster.node(s.spec.node);
    if (node.version < 13) return null;
    const r = this.restartLsn(s, now);
    if (r === null) return 'lost';
    const seg = node.settings.walSegmentSize;
    const currpos = node.walEnd(now);
    const oldestSlotSeg = keepLogSeg(node.version, node.settings, currpos, this.minimum(node, now));
    const oldestSeg = segNo(node.oldestRetained, seg);
    const currSeg = segNo(currpos, seg);
    const keepSegs = wholeSegments(node.settings.maxWalSize, seg) + 1;
    const oldestSegMaxWalSize = currSeg > keepSegs ? currSeg - keepSegs : 1;
    const target = segNo(r, seg);
    if (target >= oldestSlotSeg) return target >= oldestSegMaxWalSize ? 'reserved' : 'extended';
    if (target >= oldestSeg) return 'unreserved';
    // slotfuncs.c pg_get_replication_slots: a walsender still holding the slot shows it unreserved.
    return s.stream ? 'unreserved' : 'lost';
  }

  /** safe_wal_size (13+, only with max_slot_wal_keep_size >= 0 and not lost): WAL writable before the slot is in danger. */
  safeWalSize(s: Slot, now: Micros, status: WalStatus | null): number | null {
    const node = this.cluster.node(s.spec.node);
    const limit = node.settings.maxSlotWalKeepSize;
    const r = this.restartLsn(s, now);
    if (status === null || status === 'lost' || limit === null || r === null) return null;
    const seg = node.settings.walSegmentSize;
    const failSeg = segNo(r, seg) + Math.max(wholeSegments(limit, seg), wholeSegments(node.settings.walKeepSize, seg)) + 1;
    return failSeg * seg - node.walEnd(now);
  }

  /** The slots by name with their server (for the storage series: wal-series.ts). */
  /** How many slots exist. */
  get size(): number {
    return this.slots.size;
  }

  names(): { name: string; node: string; kind: SlotSpec['kind']; failover: boolean }[] {
    return [...this.slots.values()].map((s) => ({ name: s.spec.name, node: s.spec.node, kind: s.spec.kind, failover: s.spec.failover === true }));
  }

  /** WAL slot `name` retains now (its restart_lsn behind its server's WAL end; 0 once invalidated), and its wal_status. */
  retained(name: string, now: Micros): { value: number; status: () => WalStatus | null } {
    const s = this.slots.get(name)!;
    const r = this.restartLsn(s, now);
    return { value: r === null ? 0 : Math.max(0, s.node.walEnd(now) - r), status: () => this.walStatus(s, now) };
  }

  views(now: Micros): SlotView[] {
    return [...this.slots.values()].map((s) => {
      const walStatus = this.walStatus(s, now);
      return {
        name: s.spec.name,
        node: s.spec.node,
        kind: s.spec.kind,
        active: s.stream !== null || (s.active && !s.invalidated),
        restartLsn: this.restartLsn(s, now),
        walStatus,
        safeWalSize: this.safeWalSize(s, now, walStatus),
        standby: s.stream?.down.name ?? null,
      };
    });
  }

  /** The error a consumer of an invalidated slot gets, by kind and version. */
  private lostError(s: Slot, node: PgNode): LogLine {
    if (s.spec.kind === 'logical') {
      // logical.c CreateDecodingContext (13+).
      return { process: 'walsender', level: 'ERROR', message: `can no longer get changes from replication slot "${s.spec.name}"`, detail: 'This slot has been invalidated because it exceeded the maximum reserved size.' };
    }
    if (node.version >= 18) {
      return { process: 'walsender', level: 'ERROR', message: `can no longer access replication slot "${s.spec.name}"`, detail: `This replication slot has been invalidated due to "${s.cause}".` };
    }
    // 13-17: a physical slot's invalidation is not checked; its consumer asks for WAL that is gone.
    const seg = node.settings.walSegmentSize;
    return { process: 'walsender', level: 'ERROR', message: `requested WAL segment ${walFileName(node.tli, Math.max(0, node.oldestRetained - seg), seg)} has already been removed` };
  }
}

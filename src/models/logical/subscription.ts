/**
 * A logical replication subscription between two clusters (a major-version upgrade by logical replication):
 * the publisher's walsender decodes its flushed WAL through the subscription's logical slot and one apply
 * worker on the subscriber applies the transactions one after the other, each once its commit was decoded
 * (streaming = off; reorderbuffer.c sends a transaction at its commit). Its pace is `apply_rate` transactions per
 * second, whatever the publisher's commit rate: whenever the publisher commits faster, the lag grows
 * (logical/worker.c LogicalRepApplyLoop is one process; parallel apply, 16+, is only for large streamed
 * transactions, which the modelled workloads' small transactions are not).
 *
 * The position is a fluid: the confirmed LSN on the publisher's WAL moves at min(apply capacity, what the
 * publisher flushed). It is brought up to date at every recomputation of either cluster (every change there
 * goes through one: a crash, a partition, a rate change, a slot's invalidation), and between them only at the
 * instants something changes by itself: the worker catches up, reaches a change it cannot apply, a retry is
 * due, or the subscriber's sequence passes the replicated keys (or they pass it). No event while nothing
 * changes, however long the run.
 * The slot on the publisher (slots.ts) follows it while the worker applies (restart_lsn taken as
 * confirmed_flush_lsn) and stands still while it does not.
 *
 * Sequences are not replicated (logical-replication-restrictions: "Sequence data is not replicated"; observed
 * on 15.18 -> 17.10: after 1000 replicated inserts the subscriber's sequence was still at 1 and an insert failed
 * with "duplicate key value violates unique constraint"; each failed insert had used up a value). The model
 * counts keys: every commit of the publisher inserts one row with the next key (an approximation), so the
 * subscriber holds keys up to serial_rows + the commits applied, and its own inserts after the cut-over fail
 * while nextval is at or below that.
 */
import type { EventHandle } from '../../engine/simulation.ts';
import type { Micros } from '../../engine/time.ts';
import type { ApplyStop } from '../../history/facts/logical.ts';
import type { WriteCauseFact } from '../../history/facts/writes.ts';
import { txAt, type WriteTerm } from '../../history/history.ts';
import { COPY_RATE, type SubscriptionSpec } from '../../scenario/types-logical.ts';
import type { PgCluster } from '../postgres/cluster.ts';
import { PRIORITY } from '../postgres/context.ts';
import type { Lsn } from '../postgres/lsn.ts';
import type { PgNode } from '../postgres/node.ts';
import { endOf, forkOf, isAncestorOrSelf } from '../postgres/timeline.ts';
import type { SlotConsumer } from '../postgres/slots.ts';
import type { ClientPool } from '../postgres/writes.ts';
import { connectionRate } from '../tcp/connection.ts';
import { TableSync } from './tablesync.ts';

const PER_SECOND = 1_000_000;

export class Subscription implements SlotConsumer {
  /** Confirmed position on the publisher's WAL as of `at`, moving at `bytesRate` (bytes/µs) since. */
  private lsn: Lsn;
  private at: Micros;
  private bytesRate = 0;
  /** Why the apply worker does not apply now, or null while it does. */
  stop: ApplyStop | null = null;
  dropped = false;
  /** The cut-over: when the publisher's writes moved to the subscriber, and how many commits were not applied then. */
  moved: { readonly at: Micros; readonly behind: number; readonly pools: readonly string[] } | null = null;
  /** When the apply worker stopped for the reason it has at the end. */
  stoppedAt: Micros | null = null;
  /** Every time the apply worker stopped before the drop, with why and where (for a loss's cause chain). */
  readonly stops: { readonly at: Micros; readonly why: ApplyStop; readonly lsn: Lsn }[] = [];
  /** Largest commit rate of the publisher seen (transactions/s). */
  peakRate = 0;
  /** The subscriber's sequence: the last value nextval handed out (0: never called). */
  private seq = 0;
  private synced = false;
  /** The first key an insert on the subscriber took (a replicated row with that key no longer applies). */
  private firstLocalKey: number | null = null;
  /** While inserts on the subscriber fail: nextval and the largest replicated key when they began to (the cause as it stands). */
  private refusing: { readonly nextval: number; readonly maxKey: number } | null = null;

  /** Where and when CREATE SUBSCRIPTION created the slot (the tables' copies are of after it). */
  readonly createdLsn: Lsn;
  readonly createdAt: Micros;
  /** The initial copy of the published tables (copy_data), or null when there is none to make. */
  readonly sync: TableSync | null;

  constructor(
    readonly spec: SubscriptionSpec,
    readonly pubCluster: PgCluster,
    readonly subCluster: PgCluster,
    index = 0,
  ) {
    const now = pubCluster.ctx.sim.now;
    // CREATE SUBSCRIPTION creates the slot now: the apply worker streams from here, and the tables' rows of before
    // come through their copy (tablesync.ts), or were there already (copy_data = false).
    this.lsn = this.publisher.flushed(now);
    this.at = now;
    this.createdLsn = this.lsn;
    this.createdAt = now;
    const tables = spec.copyData === false ? [] : (pubCluster.spec.databases.find((d) => d.name === spec.database)?.tables ?? []).filter((t) => !t.catalog);
    const sub = subCluster.node(spec.subscriber);
    this.sync = tables.length > 0 ? new TableSync(pubCluster, spec.name, spec.slot, index, spec.database, tables, spec.copyRate ?? COPY_RATE, () => this.syncWorkers(), sub.version, (n) => this.linkRate(n), (fact, lines = []) => subCluster.log(this.subscriber, 'replication', fact, lines), spec.failover === true) : null;
  }

  /**
   * The server it connects to: the publisher's host, or with follow_primary the running primary the publisher
   * cluster's writes go to (after a failover, the promoted standby).
   */
  get publisher(): PgNode {
    return this.spec.followPrimary ? this.primary : this.pubCluster.node(this.spec.publisher);
  }

  /**
   * The publisher cluster's primary: the running primary its writes go to (after a failover, the promoted
   * standby), else the publisher named. Its history is the application's data: what the subscriber must get.
   */
  get primary(): PgNode {
    const primaries = [...this.pubCluster.nodes.values()].filter((n) => n.running && n.isPrimary);
    return this.pubCluster.writes.targets().find((n) => primaries.includes(n)) ?? primaries[0] ?? this.pubCluster.node(this.spec.publisher);
  }

  /**
   * The applied position as a position on the primary's history: past where the server it streams from left
   * that history (it kept committing on an old timeline after a failover), what it applied is not on it.
   */
  appliedOnHistory(now: Micros): Lsn {
    const pos = this.position(now);
    const from = this.publisher.wal.timeline;
    const to = this.primary.wal.timeline;
    const leave = isAncestorOrSelf(from, to) ? (endOf(to, from) ?? Number.POSITIVE_INFINITY) : (forkOf(from, to)?.at ?? 0);
    return Math.min(pos, leave);
  }

  /** The subscriptions whose subscriber is this one's, this one included (set by replication.ts). */
  peers: () => readonly Subscription[] = () => [this];

  /**
   * Tablesync workers this subscription may run now: max_sync_workers_per_subscription, within the subscriber's
   * max_logical_replication_workers less one apply worker per subscription there and the other subscriptions'
   * tablesync workers (launcher.c logicalrep_worker_launch). Approximation: every subscription not dropped has
   * its apply worker, and those that ask first get the free slots.
   */
  private syncWorkers(): { allowed: number; byPool: boolean } {
    const st = this.subscriber.settings;
    const live = this.peers().filter((s) => !s.dropped);
    const others = live.reduce((a, s) => a + (s !== this && s.sync ? s.sync.running() : 0), 0);
    const pool = st.maxLogicalReplicationWorkers - live.length - others;
    return { allowed: Math.max(0, Math.min(st.maxSyncWorkersPerSubscription, pool)), byPool: pool < st.maxSyncWorkersPerSubscription };
  }

  /**
   * Bytes per second each of `n` connections from the subscriber to the publisher gets: a share of the path's
   * bandwidth, bounded by one TCP window per round trip and packet loss (tcp/connection.ts). Approximation: the
   * apply worker's stream and other flows on the link are not deducted.
   */
  private linkRate(n: number): number {
    const net = this.pubCluster.ctx.net;
    const a = this.subCluster.endpointOf(this.subscriber);
    const b = this.pubCluster.endpointOf(this.publisher);
    const path = net.path(a, b);
    return path ? connectionRate(path.bandwidth / Math.max(1, n), path.latency, path.tcpWindow, net.loss(a, b)).rate : Number.POSITIVE_INFINITY;
  }

  get subscriber(): PgNode {
    return this.subCluster.node(this.spec.subscriber);
  }

  start(): void {
    this.pubCluster.storage.slots.attachConsumer(this.spec.slot, this);
    // After every recomputation of either cluster: what changed there may stop, resume or pace the worker.
    this.pubCluster.observers.push(this.onChange);
    if (this.subCluster !== this.pubCluster) this.subCluster.observers.push(this.onChange);
    this.onChange();
  }

  // ------------------------------------------------------------------ the apply position

  /** confirmed_flush_lsn now. */
  position(now: Micros): Lsn {
    if (this.stop !== null) return this.lsn;
    return Math.max(this.lsn, Math.min(this.lsn + this.bytesRate * (now - this.at), this.publisher.flushed(now)));
  }

  /** How fast confirmed_flush_lsn moves now: the apply capacity while behind, the publisher's WAL rate once caught up. */
  rate(now: Micros): number {
    if (this.stop !== null) return 0;
    const pub = this.publisher;
    return this.position(now) >= pub.flushed(now) - 1e-6 ? Math.min(this.bytesRate, pub.wal.end.rate) : this.bytesRate;
  }

  /**
   * The terms of the commits on the publisher's history, in WAL order: its own, and after a failover those of the
   * timelines it descends from, each up to where its history leaves that timeline (`end`; what the old primary
   * committed past the switchpoint is the publisher cluster's own loss, checkers/dataLoss.ts).
   */
  publisherTerms(): { readonly term: WriteTerm; readonly end: Lsn }[] {
    const tl = this.primary.wal.timeline;
    return this.pubCluster.ctx.history.terms
      .filter((t) => t.cluster === this.pubCluster.name && isAncestorOrSelf(t.timeline, tl))
      .map((term) => ({ term, end: endOf(tl, term.timeline) ?? Number.POSITIVE_INFINITY }))
      .sort((a, b) => a.term.startLsn - b.term.startLsn);
  }

  private terms(): WriteTerm[] {
    return this.publisherTerms().map((t) => t.term);
  }

  /** Commits of the publisher whose WAL ends at or before `lsn`. */
  commitsUpTo(lsn: Lsn): number {
    const ts = this.publisherTerms();
    let n = 0;
    for (const [i, { term: t, end }] of ts.entries()) {
      const next = Math.min(ts[i + 1]?.term.startLsn ?? Number.POSITIVE_INFINITY, end);
      n += Math.floor(txAt(t, Math.max(t.startLsn, Math.min(lsn, next))) + 1e-9);
    }
    return n;
  }

  /** The LSN where the publisher's commit number k (1-based, over its terms) ends; null when it has not been written. */
  private lsnOfCommit(k: number): Lsn | null {
    let before = 0;
    const ts = this.terms();
    for (const [i, t] of ts.entries()) {
      const next = ts[i + 1]?.startLsn ?? Number.POSITIVE_INFINITY;
      const inTerm = Math.floor(txAt(t, Math.max(t.startLsn, Math.min(next, this.primary.flushed(this.pubCluster.ctx.sim.now)))) + 1e-9);
      if (k <= before + inTerm) {
        let seg = t.commitMap[0]!;
        for (const m of t.commitMap) if (m.tx <= k - before) seg = m;
        return seg.lsn + (k - before - seg.tx) * seg.walPerTx;
      }
      before += inTerm;
    }
    return null;
  }

  /** WAL bytes per transaction of the publisher's commits at `lsn` (to turn the apply rate into bytes). */
  private walPerTxAt(lsn: Lsn): number {
    let w: number | null = null;
    for (const t of this.terms()) {
      if (t.startLsn > lsn && w !== null) break;
      for (const m of t.commitMap) if (m.lsn <= lsn || w === null) w = m.walPerTx;
    }
    if (w !== null) return w;
    const pools = this.pubCluster.writes.pools;
    return pools.length > 0 ? pools.reduce((a, p) => a + p.walPerTx, 0) / pools.length : 1;
  }

  /** Why the apply worker cannot apply now, or null. */
  private stopReason(now: Micros): ApplyStop | null {
    if (this.dropped) return { kind: 'dropped' };
    const pub = this.publisher;
    const sub = this.subscriber;
    if (!sub.running) return { kind: 'subscriber-down', node: sub.name };
    if (!pub.running) return { kind: 'publisher-down', node: pub.name };
    if (!this.pubCluster.ctx.net.reachable(this.subCluster.endpointOf(sub), this.pubCluster.endpointOf(pub))) return { kind: 'unreachable', node: pub.name };
    const slot = this.pubCluster.storage.slots.placed(this.spec.slot);
    if (slot === null || slot.node !== pub.name) return { kind: 'slot-missing', slot: this.spec.slot, node: pub.name };
    if (slot.lost) return { kind: 'slot-invalidated', slot: this.spec.slot, node: pub.name };
    if (this.stop?.kind === 'duplicate-key') return this.stop;
    // The first change after a column the subscriber lacks: the worker exits with an ERROR and is started again
    // every wal_retrieve_retry_interval (launcher.c), each time failing on the same change until the column exists.
    const missing = this.columnsAdded.publisher[this.columnsAdded.subscriber];
    if (missing !== undefined && this.position(now) >= missing && pub.flushed(now) > missing) return { kind: 'missing-column', publisher: pub.name };
    if (this.stop?.kind === 'missing-column' && this.stoppedAt !== null) {
      // Its next start after the column was added: the first retry at or after then.
      const iv = sub.settings.walRetrieveRetryInterval;
      const from = Math.max(this.columnsAdded.subscriberAt, this.stoppedAt);
      if (now < this.stoppedAt + Math.ceil((from - this.stoppedAt) / iv) * iv) return this.stop;
    }
    // The next replicated row takes a key an insert on the subscriber already took (the apply worker errors,
    // exits and retries the same transaction for ever: it never gets past it).
    if (this.firstLocalKey !== null && this.spec.serialRows !== null) {
      const applied = this.spec.serialRows + this.commitsUpTo(this.appliedOnHistory(now));
      if (applied + 1 >= this.firstLocalKey && this.commitsUpTo(this.primary.flushed(now)) + this.spec.serialRows >= this.firstLocalKey) return { kind: 'duplicate-key', key: this.firstLocalKey };
    }
    return null;
  }

  /** Whether the worker was behind the publisher when last brought up to date (its slot's lag moves at another rate then). */
  private behindAtLast = false;
  /** The next instant something changes by itself (nextChange), or null. */
  private wake: EventHandle | null = null;

  /** A plan step changed the subscription (a column, the sequences, the cut-over, the drop): plan again. */
  refresh(): void {
    this.onChange();
  }

  /** Brings the subscription up to date now and plans its next change by itself. */
  private readonly onChange = (): void => {
    const sim = this.pubCluster.ctx.sim;
    const now = sim.now;
    this.advance(now);
    // Caught up (or fallen behind) between two WAL rate changes: the slot's lag stops growing or shrinking with no
    // event of the publisher's own, so its metrics and alerts are planned again.
    // Behind, or caught up and about to fall behind (the publisher flushes faster than it applies).
    const behind = this.stop === null && (this.position(now) < this.publisher.flushed(now) - 1e-6 || (this.publisher.running && this.publisher.wal.end.rate > this.bytesRate));
    if (behind !== this.behindAtLast) {
      this.behindAtLast = behind;
      this.pubCluster.xid.slotPaceChanged();
    }
    sim.cancel(this.wake);
    this.wake = null;
    const next = this.nextChange(now);
    if (next !== null) {
      this.wake = sim.at(next, `subscription ${this.spec.name}`, () => {
        this.wake = null;
        this.onChange();
      }, PRIORITY.protocol);
    }
  };

  /**
   * The first instant after `now` at which the subscription changes by itself while both clusters' rates stay as
   * they are (every other change comes with a recomputation, onChange): the worker catches up with the
   * publisher's flush, reaches the first change after a column it lacks or the row before a key the subscriber
   * took, the retry after the subscriber got its column, the sequence's crossing of the replicated keys. Null
   * when none comes. Each instant is rounded up (and one microsecond added) so that the condition holds then.
   */
  private nextChange(now: Micros): Micros | null {
    let next = Number.POSITIVE_INFINITY;
    const within = (dt: number): void => {
      if (Number.isFinite(dt) && dt >= 0) next = Math.min(next, now + Math.ceil(dt) + 1);
    };
    const pub = this.publisher;
    const flushed = pub.flushed(now);
    const flushRate = pub.running ? pub.wal.end.rate : 0;
    const pos = this.position(now);
    if (this.stop === null && this.bytesRate > 0) {
      // Catching up: the apply capacity against the publisher's flush.
      if (pos < flushed - 1e-6 && this.bytesRate > flushRate) within((flushed - pos) / (this.bytesRate - flushRate));
      // A change it cannot apply: the first after a column the subscriber lacks, the row whose key was taken.
      const missing = this.columnsAdded.publisher[this.columnsAdded.subscriber];
      if (missing !== undefined && pos < missing) within(Math.max((missing - pos) / this.bytesRate, flushRate > 0 ? (missing - flushed) / flushRate : 0));
      if (missing !== undefined && pos >= missing && flushed <= missing && flushRate > 0) within((missing - flushed) / flushRate);
      if (this.firstLocalKey !== null && this.spec.serialRows !== null) {
        const cap = this.lsnOfCommit(this.firstLocalKey - this.spec.serialRows - 1);
        if (cap !== null && pos < cap) within((cap - pos) / this.bytesRate);
        // The publisher's row with that key not written yet: once it is, the worker stops before it.
        const more = this.firstLocalKey - this.spec.serialRows - this.commitsUpTo(flushed);
        if (more > 0 && flushRate > 0) within((more * this.walPerTxAt(flushed)) / flushRate);
      }
    }
    // The retry after the subscriber got its column (launcher.c: every wal_retrieve_retry_interval).
    if (this.stop?.kind === 'missing-column' && this.stoppedAt !== null && this.columnsAdded.publisher[this.columnsAdded.subscriber] === undefined) {
      const iv = this.subscriber.settings.walRetrieveRetryInterval;
      const from = Math.max(this.columnsAdded.subscriberAt, this.stoppedAt);
      within(this.stoppedAt + Math.ceil((from - this.stoppedAt) / iv) * iv - now - 1);
    }
    // The sequence against the replicated keys: nextval moves at the moved pools' insert rate, the keys at the
    // commits applied per second (the apply rate while behind, the publisher's commits once caught up).
    if (this.spec.serialRows !== null && this.moved) {
      const seqRate = this.seqRate / PER_SECOND;
      const applying = this.stop === null ? (pos < flushed - 1e-6 ? this.bytesRate : Math.min(this.bytesRate, flushRate)) : 0;
      const keyRate = applying / this.walPerTxAt(pos);
      const gap = this.maxKey(now) - (this.seq + 1);
      if (this.refusing !== null && seqRate > keyRate) within(gap / (seqRate - keyRate));
      if (this.refusing === null && keyRate > seqRate) within(-gap / (keyRate - seqRate));
    }
    const copied = this.sync?.nextChange(now) ?? null;
    if (copied !== null) next = Math.min(next, copied);
    return Number.isFinite(next) ? (next as Micros) : null;
  }

  /** Columns added (ALTER TABLE ... ADD COLUMN): on the publisher, the LSN of each; on the subscriber, how many. */
  private readonly columnsAdded = { publisher: [] as Lsn[], subscriber: 0, subscriberAt: 0 as Micros };

  /** ALTER TABLE ... ADD COLUMN on one side now; the columns the subscriber lacks after it. */
  addColumn(side: 'publisher' | 'subscriber', now: Micros): { pending: number; lsn: Lsn } {
    this.advance(now);
    const lsn = this.publisher.flushed(now);
    if (side === 'publisher') this.columnsAdded.publisher.push(lsn);
    else {
      this.columnsAdded.subscriber++;
      this.columnsAdded.subscriberAt = now;
    }
    this.advance(now);
    return { pending: Math.max(0, this.columnsAdded.publisher.length - this.columnsAdded.subscriber), lsn };
  }

  /** Brings the position and the sequences up to `now` and sets the rates from now on. */
  advance(now: Micros): void {
    const dt = now - this.at;
    let pos = this.position(now);
    // A local insert took a key: the apply stops at the commit before the row with that key.
    if (this.firstLocalKey !== null && this.spec.serialRows !== null && this.stop === null) {
      const cap = this.lsnOfCommit(this.firstLocalKey - this.spec.serialRows - 1);
      if (cap !== null && pos > cap) pos = Math.max(this.lsn, cap);
    }
    const missing = this.columnsAdded.publisher[this.columnsAdded.subscriber];
    if (missing !== undefined && pos > missing) pos = Math.max(this.lsn, missing);
    this.lsn = pos;
    this.at = now;
    this.advanceSequence(dt, now);
    const why = this.stopReason(now);
    const pub = this.publisher;
    const walPerTx = this.walPerTxAt(this.lsn);
    if (pub.running) this.peakRate = Math.max(this.peakRate, (pub.wal.end.rate * PER_SECOND) / walPerTx);
    const was = this.stop;
    this.stop = why;
    if ((was === null) !== (why === null) || (was && why && was.kind !== why.kind)) this.noteStop(was, why, now);
    // The tablesync workers need only their connection to the publisher (their own slots), not the apply worker's.
    this.sync?.advance(now, why === null || !['dropped', 'publisher-down', 'subscriber-down', 'unreachable'].includes(why.kind), why === null || why.kind === 'missing-column' || why.kind === 'duplicate-key', pub);
    // A tablesync worker slot given back: the subscriber's other subscriptions may start a copy in it now.
    if (this.sync?.freed()) for (const s of this.peers()) if (s !== this && s.sync?.notReady().length) this.pubCluster.ctx.sim.at(now, `subscription ${s.spec.name}`, () => s.refresh(), PRIORITY.protocol);
    if (why !== null) {
      this.bytesRate = 0;
      return;
    }
    // At its capacity, never past what the publisher flushed (position() clips): caught up, it follows the publisher.
    this.bytesRate = (this.spec.applyRate * walPerTx) / PER_SECOND;
  }

  private noteStop(was: ApplyStop | null, why: ApplyStop | null, now: Micros): void {
    const slots = this.pubCluster.storage.slots;
    this.pubCluster.xid.slotPaceChanged();
    const rule = 'logical/worker.c:LogicalRepApplyLoop' as const;
    if (why !== null) {
      this.stoppedAt = now;
      if (why.kind !== 'dropped') this.stops.push({ at: now, why, lsn: this.lsn });
      if (why.kind !== 'dropped') this.subCluster.log(this.subscriber, 'replication', { kind: 'apply-stopped', subscription: this.spec.name, node: this.spec.subscriber, why, appliedLsn: this.lsn, rule });
      // The slot's consumer is gone: restart_lsn (and catalog_xmin) stay where it confirmed.
      if (was === null && slots.has(this.spec.slot)) slots.setConsumer(this.spec.slot, false);
    } else {
      this.stoppedAt = null;
      this.subCluster.log(this.subscriber, 'replication', { kind: 'apply-resumed', subscription: this.spec.name, node: this.spec.subscriber, appliedLsn: this.lsn });
      if (slots.has(this.spec.slot)) slots.setConsumer(this.spec.slot, true);
    }
  }

  // ------------------------------------------------------------------ sequences after the cut-over

  /** Keys the subscriber's rows hold now (the rows replicated so far). */
  maxKey(now: Micros): number {
    return (this.spec.serialRows ?? 0) + this.commitsUpTo(this.appliedOnHistory(now));
  }

  /** The pools moved to the subscriber that insert on it now. */
  private movedPools(): ClientPool[] {
    if (!this.moved) return [];
    return this.subCluster.writes.pools.filter((p) => this.moved!.pools.includes(p.name) && p.target === this.subscriber);
  }

  /** Inserts per second on the subscriber that call nextval, as of the last advance (valid until the next). */
  private seqRate = 0;

  /** Every insert on the subscriber calls nextval, failed or not (nextval is not rolled back). */
  private advanceSequence(dt: number, now: Micros): void {
    if (this.spec.serialRows === null || !this.moved) return;
    // Only inserts that reach the server call nextval (not while it is down or refuses the clients). The rate
    // since the last advance is the one set then: what changed now (an unblock, a crash) counts from now on.
    const used = (this.seqRate * dt) / PER_SECOND;
    const sub = this.subscriber;
    this.seqRate = sub.running && !sub.clientsBlocked ? this.movedPools().reduce((a, p) => a + p.rate, 0) : 0;
    if (used > 0 && this.refusing === null && this.firstLocalKey === null) this.firstLocalKey = Math.floor(this.seq) + 1;
    this.seq += used;
    const maxKey = this.maxKey(now);
    const refusing = this.seq + 1 <= maxKey && this.subscriber.running;
    if (refusing !== (this.refusing !== null)) {
      this.refusing = refusing ? { nextval: Math.floor(this.seq) + 1, maxKey } : null;
      this.subCluster.requestReflow();
    }
    // Inserts that succeed from now on take keys from the next value on.
    if (this.seqRate > 0 && this.refusing === null && this.firstLocalKey === null) this.firstLocalKey = Math.floor(this.seq) + 1;
  }

  /** Inserts of a moved pool on the subscriber fail while nextval hands out keys its rows hold. */
  refusal(p: ClientPool): WriteCauseFact | null {
    if (this.refusing === null || p.target !== this.subscriber || !this.moved?.pools.includes(p.name)) return null;
    return { kind: 'sequence-behind', node: this.spec.subscriber, subscription: this.spec.name, nextval: this.refusing.nextval, maxKey: this.refusing.maxKey, synced: this.synced, rule: 'sequence.c:nextval_internal' };
  }

  /** setval on the subscriber to the publisher's sequence now. */
  syncSequences(now: Micros): { value: number; maxKey: number } {
    this.advance(now);
    const value = (this.spec.serialRows ?? 0) + this.commitsUpTo(this.primary.flushed(now));
    this.seq = Math.max(this.seq, value);
    this.synced = true;
    this.advanceSequence(0, now);
    return { value, maxKey: this.maxKey(now) };
  }

  // ------------------------------------------------------------------ the cut-over

  /** Commits of the publisher not applied yet. */
  behind(now: Micros): number {
    return this.commitsUpTo(this.primary.flushed(now)) - this.commitsUpTo(this.appliedOnHistory(now));
  }

  /** The publisher's writes (pools `pools`) moved to the subscriber now. */
  writesMoved(now: Micros, pools: readonly string[]): number {
    this.advance(now);
    const behind = this.behind(now);
    if (!this.moved) this.moved = { at: now, behind, pools };
    return behind;
  }

  /** DROP SUBSCRIPTION now: whether the slot on the publisher could be dropped with it. */
  drop(now: Micros): { applied: Lsn; publisherLsn: Lsn; behind: number; slotDropped: boolean } {
    this.advance(now);
    const behind = this.behind(now);
    const applied = this.lsn;
    const pub = this.publisher;
    // DROP SUBSCRIPTION connects to the publisher to drop the slot (subscriptioncmds.c DropSubscription); when it
    // cannot, the operator detaches the slot (ALTER SUBSCRIPTION ... SET (slot_name = NONE)) and it stays behind.
    const reach = pub.running && this.pubCluster.ctx.net.reachable(this.subCluster.endpointOf(this.subscriber), this.pubCluster.endpointOf(pub));
    this.dropped = true;
    this.advance(now);
    this.sync?.drop(pub, reach);
    const slots = this.pubCluster.storage.slots;
    slots.attachConsumer(this.spec.slot, null);
    const slotDropped = reach && slots.has(this.spec.slot) && slots.bySql('drop', this.spec.slot);
    return { applied, publisherLsn: this.primary.flushed(now), behind, slotDropped };
  }

  /** Where the apply stands (the commits past it are not on the subscriber). */
  get appliedLsn(): Lsn {
    return this.lsn;
  }
}

import { invariant } from '../../engine/invariant.ts';
import type { EventHandle } from '../../engine/simulation.ts';
import { NEVER, ceilMicros, type Micros } from '../../engine/time.ts';
import type { PgCluster } from './cluster.ts';
import { PRIORITY } from './context.ts';
import type { Lsn } from './lsn.ts';
import type { PgNode, Stream } from './node.ts';
import { connectionRate, type StreamBound } from '../tcp/connection.ts';
import { diskThroughput } from './service.ts';

/** Rates are bytes per microsecond inside the model. */
const PER_SECOND = 1e6;

export interface StreamPlan {
  readonly stream: Stream;
  readonly rate: number;
  /** Where the downstream should be snapped to when it has caught up (null: leave it). */
  readonly snapTo: Lsn | null;
  /** When the chase closes its gap (NEVER when it cannot). */
  readonly catchUpAt: Micros;
  /** The walsender is behind, sending at the link's share (not caught up). */
  readonly chasing?: boolean;
}

/**
 * What a plan was made from: the lines of both ends (a WAL level's version changes with every jump and every change
 * of rate), the upstream's planned rate and flush lag, the path, the switchpoint and the link's share. A plan holds
 * until one of them changes or its own breakpoint comes (PlanInputs are the whole of planStream's arguments).
 */
interface PlanInputs {
  upVersion: number;
  downVersion: number;
  readonly upRate: number;
  readonly flushLag: number;
  readonly latency: number;
  readonly bandwidth: number;
  readonly limit: Lsn | null;
  readonly share: number;
}

/**
 * The rate of every stream, kept between recomputations: a stream is planned again only when one of its inputs
 * changed (its upstream's new rate, a jump of either end's WAL level, its link's share, its own breakpoint), and
 * the streams it feeds only when its own rate changed. So an event that touches one standby costs the same with
 * 50 standbys as with 500 (docs/performance.md); a change of the network, a setting or a timeline replans all.
 *
 * Which streams to look at comes from notifications (a level that changed, a stream opened or closed, a link whose
 * share moved); whether to plan one again, from its inputs (needsPlan), in both modes. `replanAlways` looks at
 * every stream at every recomputation instead, with the inputs read from the state, not from notifications: the
 * property test (test/properties/incremental-plan.test.ts) checks that both give the same run, byte for byte.
 */
export class StreamPlanner {
  /** For tests: look at every stream at every recomputation, to compare with the notifications' choice. */
  static replanAlways = false;
  /** The current plan of every live stream. */
  readonly plans = new Map<Stream, StreamPlan>();
  /** What each plan was made from. */
  private readonly inputs = new Map<Stream, PlanInputs>();
  /** Streams whose breakpoint (catchUpAt) has come: planned again at the next recomputation. */
  private readonly due = new Set<Stream>();
  private replanAll = true;
  /** Every stream is planned again at this recomputation (replanAll was set). */
  private forced = false;
  private readonly dirtyStreams = new Set<Stream>();
  private readonly dirtyNodes = new Set<PgNode>();
  private readonly dirtyLinks = new Set<string>();
  /** Live streams per link (the bandwidth share), and which streams are counted. */
  private readonly live = new Map<string, number>();
  private readonly counted = new Set<Stream>();
  /** Per link, the highest rate any stream on it was planned at (an upper bound: never lowered in between). */
  private readonly maxRate = new Map<string, number>();
  /** Per link, the streams whose rate is the link's share (they move when the share does). */
  private readonly shareBound = new Map<string, Set<Stream>>();
  /** When each chasing stream closes its gap: its own event. */
  private readonly catchUps = new Map<Stream, EventHandle>();
  /** Streams logged as falling behind (their upstream's WAL arrives faster than they carry), until they catch up. */
  private readonly fallingBehind = new Set<Stream>();
  /** A change of that state seen at a recomputation, checked again a microsecond later (noteFalling). */
  private readonly fallingChecks = new Map<Stream, EventHandle>();
  /** Primaries that inserted at the last recomputation. */
  private inserting = new Set<PgNode>();
  private planning = false;
  /** Each node's place in the cluster. */
  private readonly order = new Map<PgNode, number>();

  // Per recomputation: the rates decided so far (nodes whose rate may change) and the plans made.
  private rates = new Map<PgNode, number>();
  private fresh = new Map<Stream, StreamPlan>();
  private full = false;

  constructor(private readonly cluster: PgCluster) {
    // Callbacks through locals: V8 allocates a function literal assigned straight to a property in the old
    // generation, where it keeps a finished run alive through scavenges (docs/performance.md).
    // Every change is also marked for the recorders that run after the reflow (changed-nodes.ts), in a plan too.
    const changes = cluster.walChanges;
    for (const n of cluster.nodes.values()) {
      this.order.set(n, this.order.size);
      const touch = (): void => {
        changes.mark(n);
        this.touch(n);
      };
      n.wal.end.onChange = touch;
    }
    const onStreamChange = (s: Stream, added: boolean): void => {
      this.dirtyLinks.add(s.path.linkKey);
      if (added) {
        this.dirtyStreams.add(s);
        if (cluster.streamUp(s)) this.count(s, true);
      } else {
        this.plans.delete(s);
        this.inputs.delete(s);
        this.due.delete(s);
        this.dirtyStreams.delete(s);
        this.count(s, false);
        this.unbind(s);
        cluster.ctx.sim.cancel(this.catchUps.get(s) ?? null);
        this.catchUps.delete(s);
        this.fallingBehind.delete(s);
        cluster.ctx.sim.cancel(this.fallingChecks.get(s) ?? null);
        this.fallingChecks.delete(s);
        this.dirtyNodes.add(s.down);
      }
      if (!this.planning) cluster.requestReflow('changed');
    };
    cluster.streams.onChange = onStreamChange;
  }

  /** Everything is planned again at the next recomputation (a network change, a setting, a timeline). */
  invalidate(): void {
    this.replanAll = true;
  }

  /** A node's WAL level jumped or changed rate outside a recomputation: the streams it feeds or chases move. */
  private touch(n: PgNode): void {
    if (this.planning) return;
    this.dirtyNodes.add(n);
    this.cluster.requestReflow('changed');
  }

  /** How many live streams share a link. */
  liveOn(linkKey: string): number {
    return this.live.get(linkKey) ?? 0;
  }

  private count(s: Stream, add: boolean): void {
    const key = s.path.linkKey;
    if (add === this.counted.has(s)) return;
    if (add) this.counted.add(s);
    else this.counted.delete(s);
    this.live.set(key, (this.live.get(key) ?? 0) + (add ? 1 : -1));
  }

  private unbind(s: Stream): void {
    this.shareBound.get(s.path.linkKey)?.delete(s);
  }

  /** Start a recomputation: returns whether it looks at every stream. */
  begin(): boolean {
    this.planning = true;
    this.rates = new Map();
    this.fresh = new Map();
    this.forced = this.replanAll;
    this.full = this.replanAll || StreamPlanner.replanAlways;
    this.replanAll = false;
    if (this.full) {
      this.live.clear();
      this.counted.clear();
      for (const s of this.cluster.streams) if (this.cluster.streamUp(s)) this.count(s, true);
    }
    if (this.forced) {
      this.maxRate.clear();
      this.shareBound.clear();
    }
    return this.full;
  }

  /** The link's share of one stream, as things stand. */
  private shareOf(s: Stream): number {
    return this.shareAmong(s, this.liveOn(s.path.linkKey));
  }

  /**
   * What one stream carries (bytes/µs) among `sharing` live streams on its link: an equal share of the line,
   * bounded as a TCP connection is by its window over the round trip and by packet loss (tcp/connection.ts
   * connectionRate). Every stream on a link has the same path, so the equal share is also the max-min one.
   */
  shareAmong(s: Stream, sharing: number): number {
    return this.connectionOf(s, sharing).rate / PER_SECOND;
  }

  /**
   * The stream's connection among `sharing` on its link: bytes/s, and what binds it. The standby's disk bounds
   * it too: its walreceiver writes each message it receives to pg_wal and fsyncs when no more is waiting, in
   * the loop that receives (walreceiver.c XLogWalRcvProcessMsg / XLogWalRcvFlush), so it takes WAL no faster
   * than its disk writes it, as a primary writes no faster than its own (load.ts diskLimit). Only a
   * `disk_throughput` the scenario gives, or a `slow_node` collapse, bounds it (as diskLimit).
   */
  private connectionOf(s: Stream, sharing: number): { rate: number; bound: StreamBound | 'disk' } {
    const p = s.path;
    const c = connectionRate(p.bandwidth / Math.max(1, sharing), p.latency, p.tcpWindow, this.cluster.ctx.net.loss(s.up, s.down));
    const d = s.down;
    if (d.storage.throughput === null && d.service.throughput >= 1) return c;
    const disk = diskThroughput(d);
    return disk < c.rate ? { rate: disk, bound: 'disk' } : c;
  }

  /** What binds `s` when its plan carries all its connection can (its rate at its share), else null. */
  boundOf(s: Stream): { bound: StreamBound | 'disk'; bytesPerSecond: number } | null {
    const p = this.plans.get(s);
    if (!p) return null;
    const c = this.connectionOf(s, Math.max(1, this.liveOn(s.path.linkKey)));
    return p.rate >= (c.rate / PER_SECOND) * (1 - 1e-9) ? { bound: c.bound, bytesPerSecond: c.rate } : null;
  }

  /**
   * Whether `s` must be planned again: it has no plan, its breakpoint came, or one of its inputs changed. A stream
   * below its link's share depends on the share only once the share falls to its rate.
   */
  private needsPlan(s: Stream, upRate: number): boolean {
    const p = this.plans.get(s);
    const k = this.inputs.get(s);
    if (this.forced || !p || !k || this.due.has(s)) return true;
    if (k.upVersion !== s.up.wal.end.version || k.downVersion !== s.down.wal.end.version || k.upRate !== upRate) return true;
    if (k.flushLag !== s.up.flushLag || k.latency !== s.path.latency || k.bandwidth !== s.path.bandwidth || k.limit !== s.limit) return true;
    const share = this.shareOf(s);
    return share !== k.share && (p.chasing === true || p.rate >= k.share || p.rate >= share);
  }

  /**
   * Plan with these insert rates (primaries accepting writes). Called once per recomputation, and again when
   * synchronous replication caps or throttles a primary: then only what that primary feeds is planned again.
   */
  plan(insert: ReadonlyMap<PgNode, number>, now: Micros): void {
    const c = this.cluster;
    const queue = new Set<Stream>();
    const seedNode = (n: PgNode): void => {
      for (const s of c.streams.into(n)) queue.add(s);
      for (const s of c.streams.from(n)) queue.add(s);
    };
    // Primaries: their rate is what they insert (0 once they stop).
    for (const p of new Set([...this.inserting, ...insert.keys()])) {
      const r = insert.get(p) ?? 0;
      const was = this.rates.get(p) ?? p.wal.end.rate;
      this.rates.set(p, r);
      if (this.full || r !== was) for (const s of c.streams.from(p)) queue.add(s);
    }
    if (this.full) {
      this.planAll(insert, now);
      this.inserting = new Set(insert.keys());
      return;
    }
    for (const s of this.dirtyStreams) queue.add(s);
    for (const n of this.dirtyNodes) seedNode(n);
    for (const key of this.dirtyLinks) {
      const share = this.shareOn(key);
      for (const s of this.shareBound.get(key) ?? []) queue.add(s);
      // A share that fell to a rate some stream was planned at: every stream on the link is looked at again.
      if (share <= (this.maxRate.get(key) ?? 0)) for (const s of c.streams.onLink(key)) queue.add(s);
    }
    this.dirtyStreams.clear();
    this.dirtyLinks.clear();
    // Nodes that lost their stream and insert nothing stop.
    for (const n of this.dirtyNodes) {
      if (insert.has(n) || [...c.streams.into(n)].some((s) => c.streamUp(s))) continue;
      // Its rate is set even when a shutdown already stopped its level (the write flow records the change, as a
      // full planning does); what it feeds is planned again only if it was still moving.
      const was = this.rates.get(n) ?? n.wal.end.rate;
      this.rates.set(n, 0);
      if (was !== 0) for (const s of c.streams.from(n)) queue.add(s);
    }
    this.dirtyNodes.clear();
    this.planQueue(queue, insert, now);
    this.inserting = new Set(insert.keys());
  }

  private shareOn(key: string): number {
    const any = this.cluster.streams.onLink(key).values().next().value;
    return any ? this.shareAmong(any, this.liveOn(key)) : Number.POSITIVE_INFINITY;
  }

  /**
   * Plan the queued streams, upstream before downstream: a stream waits for every queued stream above it; a stream whose rate changed (or whose downstream was snapped) queues the streams it feeds. A
   * cycle (standbys repointed at each other) falls back to planning everything.
   */
  private planQueue(queue: Set<Stream>, insert: ReadonlyMap<PgNode, number>, now: Micros): void {
    const c = this.cluster;
    const inProgress = new Set<Stream>();
    const times = new Map<Stream, number>();
    // The queued streams above `n`, however far up, planned first: a stream planned before a change above it
    // reaches its upstream would be planned from the upstream's old rate, and a snap made then stays.
    const above = (n: PgNode, depth: number): boolean => {
      if (depth > c.nodes.size) return false;
      for (const u of c.streams.into(n)) {
        if (!above(u.up, depth + 1)) return false;
        if (queue.has(u) && !visit(u)) return false;
      }
      return true;
    };
    const visit = (s: Stream): boolean => {
      if (!queue.has(s)) return true;
      if (inProgress.has(s)) return false;
      inProgress.add(s);
      if (!above(s.up, 0)) return false;
      queue.delete(s);
      inProgress.delete(s);
      // A stream closed since it was queued (its breakpoint came with its end of timeline) is planned no more.
      if (!c.streams.has(s) || !c.streamUp(s)) return true;
      if (this.feedsItself(s)) return false;
      // Planned again only when its upstream changed after it; more than that is a cycle feeding itself.
      const n = (times.get(s) ?? 0) + 1;
      if (n > 2) return false;
      times.set(s, n);
      const upRate = this.rates.get(s.up) ?? s.up.wal.end.rate;
      if (!this.needsPlan(s, upRate)) return true;
      const old = this.plans.get(s);
      const p = this.planOne(s, upRate, now);
      if (!old || old.rate !== p.rate || p.snapTo !== null) for (const t of c.streams.from(s.down)) queue.add(t);
      return true;
    };
    while (queue.size > 0) {
      const s = queue.values().next().value!;
      if (!visit(s)) {
        this.planAll(insert, now);
        return;
      }
    }
  }

  /** Whether `s` is part of a cycle of standbys (its upstreams lead back to its downstream): no primary feeds it. */
  private feedsItself(s: Stream): boolean {
    const c = this.cluster;
    let n = s.up;
    for (let steps = 0; steps <= c.nodes.size; steps++) {
      if (n === s.down) return true;
      let next: PgNode | null = null;
      for (const u of c.streams.into(n)) if (c.streamUp(u)) next = u.up;
      if (!next) return false;
      n = next;
    }
    return true;
  }

  /** Plan one stream now and record it. */
  private planOne(s: Stream, upRate: number, now: Micros): StreamPlan {
    const key = s.path.linkKey;
    const share = this.shareOf(s);
    const p = this.planStream(s, upRate, Math.max(1, this.liveOn(key)), now);
    // A chase has WAL left to send; anything else has sent all its upstream flushed.
    // Its walsender enters state streaming then (walsender.c WalSndSetState): the standby's observed state (a
    // synchronous standby or not, observe.ts) changes with it.
    if (!p.chasing && !s.caughtUp) {
      s.caughtUp = true;
      s.down.onStateChange?.();
    }
    // Snap now, so that the streams fed by this node are planned from its corrected position.
    if (p.snapTo !== null) s.down.wal.end.set(now, p.snapTo);
    this.plans.set(s, p);
    this.fresh.set(s, p);
    this.due.delete(s);
    // The levels' versions are taken again once the rates are applied (done).
    this.inputs.set(s, { upVersion: s.up.wal.end.version, downVersion: s.down.wal.end.version, upRate, flushLag: s.up.flushLag, latency: s.path.latency, bandwidth: s.path.bandwidth, limit: s.limit, share });
    this.rates.set(s.down, p.rate);
    if (p.rate > (this.maxRate.get(key) ?? 0)) this.maxRate.set(key, p.rate);
    let bound = this.shareBound.get(key);
    if (p.chasing || p.rate >= share) {
      if (!bound) this.shareBound.set(key, (bound = new Set()));
      bound.add(s);
    } else bound?.delete(s);
    return p;
  }

  /**
   * Log when a stream starts falling behind (its upstream's WAL comes faster than the stream carries) and when
   * it has caught up again: the facts a lag and a loss window are explained by. Looked at with the last plan of
   * each recomputation and logged a microsecond later if it still holds then, so a change undone within one
   * instant (a stream that opens and ends at once takes a share of the link for no time) is no transition, and
   * the log does not depend on how often the stream is planned.
   */
  private noteFalling(s: Stream): void {
    const falling = this.isFalling(s);
    if (falling === null || falling === this.fallingBehind.has(s)) {
      this.cluster.ctx.sim.cancel(this.fallingChecks.get(s) ?? null);
      this.fallingChecks.delete(s);
      return;
    }
    if (this.fallingChecks.has(s)) return;
    const check = (): void => {
      this.fallingChecks.delete(s);
      if (this.isFalling(s) === true && !this.fallingBehind.has(s)) this.logFalling(s);
      else if (this.isFalling(s) === false && this.fallingBehind.delete(s)) this.cluster.log(s.down, 'replication', { kind: 'stream-caught-up', node: s.down.name, upstream: s.up.name });
    };
    this.fallingChecks.set(s, this.cluster.ctx.sim.after(1 as Micros, `stream ${s.down.name} falls behind?`, check, PRIORITY.protocol));
  }

  /**
   * Whether `s`'s current plan has it falling behind (bound by its share while its upstream writes faster),
   * caught up (false: not chasing), or neither decided (null: chasing a gap it closes).
   */
  private isFalling(s: Stream): boolean | null {
    const p = this.plans.get(s);
    const k = this.inputs.get(s);
    if (!p || !k || !this.cluster.streamUp(s)) return false;
    if (s.limit === null && k.upRate > p.rate * (1 + 1e-9) && p.rate >= k.share * (1 - 1e-9)) return true;
    return p.chasing ? null : false;
  }

  private logFalling(s: Stream): void {
    this.fallingBehind.add(s);
    const p = this.plans.get(s)!;
    const k = this.inputs.get(s)!;
    const path = s.path;
    const sharing = Math.max(1, this.liveOn(path.linkKey));
    this.cluster.log(s.down, 'replication', {
      kind: 'stream-falls-behind',
      node: s.down.name,
      upstream: s.up.name,
      incoming: k.upRate * PER_SECOND,
      carried: p.rate * PER_SECOND,
      bound: this.connectionOf(s, sharing).bound,
      bandwidth: path.bandwidth,
      diskThroughput: diskThroughput(s.down),
      sharing,
      window: path.tcpWindow,
      rtt: 2 * path.latency,
      loss: this.cluster.ctx.net.loss(s.up, s.down),
    });
  }

  /**
   * Every live stream, upstream before downstream (roots: nodes not receiving), each planned again if its inputs
   * changed (needsPlan). Plans of streams no longer live are dropped.
   */
  private planAll(insert: ReadonlyMap<PgNode, number>, now: Micros): void {
    const c = this.cluster;
    this.full = true;
    for (const s of [...this.plans.keys()]) {
      if (c.streams.has(s) && c.streamUp(s)) continue;
      this.plans.delete(s);
      this.inputs.delete(s);
      this.due.delete(s);
      c.ctx.sim.cancel(this.catchUps.get(s) ?? null);
      this.catchUps.delete(s);
    }
    const live = [...c.streams].filter((s) => c.streamUp(s));
    const done = new Set<Stream>();
    const receiving = new Set(live.map((s) => s.down));
    for (const n of c.nodes.values()) if (!receiving.has(n)) this.rates.set(n, insert.get(n) ?? 0);
    let frontier = [...c.nodes.values()].filter((n) => !receiving.has(n));
    for (;;) {
      while (frontier.length > 0) {
        const nextFrontier: PgNode[] = [];
        for (const up of frontier) {
          for (const s of c.streams.from(up)) {
            if (done.has(s) || !c.streamUp(s)) continue;
            done.add(s);
            const upRate = this.rates.get(up) ?? 0;
            if (this.needsPlan(s, upRate)) this.planOne(s, upRate, now);
            else this.rates.set(s.down, this.plans.get(s)!.rate);
            nextFrontier.push(s.down);
          }
        }
        frontier = nextFrontier;
      }
      // Standbys repointed at each other form a cycle that no primary feeds (PostgreSQL does not prevent it:
      // each walsender serves what its server has replayed). Nothing new enters a cycle: plan one of its
      // streams as fed at rate 0, then continue downstream from there.
      const rest = live.find((s) => !done.has(s));
      if (!rest) break;
      this.rates.set(rest.up, 0);
      frontier = [rest.up];
    }
    invariant(done.size === live.length, () => `a stream of cluster ${c.name} was not planned`);
    this.dirtyStreams.clear();
    this.dirtyNodes.clear();
    this.dirtyLinks.clear();
  }

  /**
   * End a recomputation: the plans made (to apply and check), whether all were looked at, and the new rate of
   * every node whose rate may have changed. Each chase gets its own breakpoint, where it alone is planned again.
   */
  end(): { fresh: StreamPlan[]; rates: ReadonlyMap<PgNode, number>; full: boolean } {
    const sim = this.cluster.ctx.sim;
    // In the cluster's order of standbys (then upstreams), whatever order the plans were made in: the events
    // scheduled from them (here and the write flow's ends of timelines) tie at one instant in this order, the
    // same whether every stream or only the changed ones were planned.
    const fresh = [...this.fresh.values()];
    if (fresh.length > 1) fresh.sort((a, b) => this.order.get(a.stream.down)! - this.order.get(b.stream.down)! || this.order.get(a.stream.up)! - this.order.get(b.stream.up)!);
    for (const p of fresh) {
      const s = p.stream;
      sim.cancel(this.catchUps.get(s) ?? null);
      this.catchUps.delete(s);
      if (p.catchUpAt === NEVER) continue;
      // A historic chase too replans when it is about to close (at a whole microsecond before its switchpoint,
      // never past it): the streams it feeds must not run on past where it stops.
      this.catchUps.set(
        s,
        sim.at(p.catchUpAt, `breakpoint ${s.down.name}`, () => {
          this.catchUps.delete(s);
          this.due.add(s);
          this.dirtyStreams.add(s);
          this.cluster.requestReflow('changed');
        }, PRIORITY.protocol),
      );
    }
    return { fresh, rates: this.rates, full: this.full };
  }

  /**
   * The recomputation has applied its rates: the plans made now hold for the levels as they are (their versions
   * are taken again), and changes from now on are the model's own.
   */
  done(): void {
    for (const s of this.fresh.keys()) {
      const k = this.inputs.get(s)!;
      k.upVersion = s.up.wal.end.version;
      k.downVersion = s.down.wal.end.version;
      // The last plan of the recomputation decides (a synchronous throttle plans a primary's streams again).
      this.noteFalling(s);
    }
    this.planning = false;
  }

  private planStream(s: Stream, upRate: number, sharing: number, now: Micros): StreamPlan {
    const share = this.shareAmong(s, sharing);
    const d = s.down.walEnd(now);
    // The walsender sends what its server has flushed (walsender.c XLogSendPhysical).
    const upEnd = this.cluster.sendable(s.up, now, upRate);
    // A live stream trails its upstream by what is in flight (rate × one-way latency); a historic one
    // ends at the switchpoint. Approximation: latency as a constant in-flight amount (docs/model-postgres.md).
    const [target, targetRate] = s.limit !== null ? [Math.min(s.limit, upEnd), 0] : [Math.max(0, upEnd - upRate * s.path.latency), upRate];
    const gap = target - d;
    // Integer time: a chase is scheduled to end at the last whole microsecond before it would reach its
    // target (gap > slack > closing, so at least one), never after: it stops short by less than one
    // microsecond of bandwidth, and within that slack the downstream is snapped forward to its target.
    const slack = share + 1;
    if (gap > slack) {
      const closing = share - targetRate;
      return { stream: s, rate: share, snapTo: null, catchUpAt: closing > 0 ? ((now + Math.max(1, Math.floor(gap / closing))) as Micros) : NEVER, chasing: true };
    }
    if (s.limit === null && d > upEnd) {
      // The standby already has more than its upstream has flushed now (a flush lag that grew with the rate,
      // or rounding): the walsender has nothing to send until the flush passes it again. WAL never moves
      // back on a timeline (checkInvariants).
      return { stream: s, rate: 0, snapTo: null, catchUpAt: upRate > 0 ? ((now + Math.max(1, ceilMicros((d - upEnd) / upRate))) as Micros) : NEVER };
    }
    if (gap < -slack) {
      // Ahead of the lagged target: the upstream's rate rose (or streaming just began), and for one latency
      // the downstream still receives at its old rate until the in-flight amount matches the new rate.
      const r = Math.min(s.down.wal.end.rate, targetRate, share);
      if (targetRate > r) return { stream: s, rate: r, snapTo: null, catchUpAt: (now + Math.max(1, ceilMicros(-gap / (targetRate - r)))) as Micros };
      return { stream: s, rate: Math.min(targetRate, share), snapTo: null, catchUpAt: NEVER };
    }
    return { stream: s, rate: Math.min(targetRate, share), snapTo: gap > 0 ? target : null, catchUpAt: NEVER };
  }
}

import { Level } from '../../engine/fluid.ts';
import { invariant } from '../../engine/invariant.ts';
import type { EventHandle } from '../../engine/simulation.ts';
import { NEVER, type Micros } from '../../engine/time.ts';
import { txAt, type WriteTerm } from '../../history/history.ts';
import type { WorkloadSpec } from '../../scenario/types.ts';
import type { Endpoint } from '../network/network.ts';
import type { PgCluster } from './cluster.ts';
import { PRIORITY } from './context.ts';
import { formatLsn, type Lsn } from './lsn.ts';
import type { PgNode, Stream } from './node.ts';

/** Rates are bytes per microsecond inside the model. */
const PER_SECOND = 1e6;

interface StreamPlan {
  readonly stream: Stream;
  readonly rate: number;
  /** Where the downstream should be snapped to when it has caught up (null: leave it). */
  readonly snapTo: Lsn | null;
  /** When the chase closes its gap (NEVER when it cannot). */
  readonly catchUpAt: Micros;
}

interface SyncAck {
  readonly value: Lsn;
  readonly rate: number;
  /** Undefined for asynchronous commits; null when enough synchronous standbys stream; else why commits wait. */
  readonly blockedBy: string | null | undefined;
}

/**
 * The cluster's writes as a fluid: clients offer `rate` transactions per second of `walPerTx` bytes to
 * the write target; the target's WAL grows, each streaming standby's WAL chases its upstream's over the
 * link (bandwidth shared by the streams on it, one-way latency as a lag of rate × latency), and commits are
 * acknowledged at the local flush or, with synchronous replication, when the synchronous standbys have them.
 * Rates change only at events; between them every position is linear in time (SimGrid-style).
 */
export class WriteFlow {
  target: PgNode | null;
  rate: number;
  walPerTx: number;
  readonly connections: number;
  readonly clients: Endpoint;
  private term: { record: WriteTerm; node: PgNode; ack: Level; frozen: boolean } | null = null;
  private breakpoint: EventHandle | null = null;
  private lastRates = new Map<string, number>();

  constructor(
    private readonly cluster: PgCluster,
    spec: WorkloadSpec | null,
  ) {
    this.target = spec ? cluster.node(spec.target) : null;
    this.rate = spec?.rate ?? 0;
    this.walPerTx = spec?.walPerTx ?? 1;
    this.connections = spec?.connections ?? 100;
    const site = spec?.site ?? this.target?.site ?? '';
    this.clients = { name: `clients of ${cluster.name}`, site };
  }

  start(): void {
    this.cluster.requestReflow();
  }

  routeTo(node: PgNode | null): void {
    this.target = node;
    this.cluster.requestReflow();
  }

  setWorkload(rate: number | undefined, walPerTx: number | undefined): void {
    const now = this.cluster.ctx.sim.now;
    if (walPerTx !== undefined && walPerTx !== this.walPerTx && this.term) {
      const lsn = this.term.node.walEnd(now);
      this.term.record.commitMap.push({ lsn, tx: txAt(this.term.record, lsn), walPerTx });
    }
    if (rate !== undefined) this.rate = rate;
    if (walPerTx !== undefined) this.walPerTx = walPerTx;
    this.cluster.requestReflow();
  }

  /** Why writes cannot be accepted now, or null when they can. */
  refusal(): string | null {
    const t = this.target;
    const c = this.cluster;
    if (!t) return 'no write target: no node is the primary writes are routed to';
    if (t.run.state === 'down') return `${t.name} is ${t.run.how === 'crashed' ? 'down (crashed)' : 'shut down'}`;
    if (t.run.state === 'failed') return `${t.name} does not start: ${t.run.fatal.message}`;
    if (!c.ctx.net.reachable(this.clients, c.endpointOf(t))) return `clients at site ${this.clients.site} cannot reach ${t.name} (network partition)`;
    if (t.clientsBlocked) return `client connections to ${t.name} are blocked by the plan`;
    if (!t.isPrimary) return `${t.name} is a standby in recovery: writes fail with "cannot execute INSERT in a read-only transaction"`;
    return null;
  }

  /** The fluid recomputation: called once per instant after any change (PgCluster.requestReflow). */
  reflow(): void {
    const c = this.cluster;
    const now = c.ctx.sim.now;
    c.ctx.sim.cancel(this.breakpoint);
    this.breakpoint = null;

    const refusal = this.refusal();
    const offered = (this.rate * this.walPerTx) / PER_SECOND;
    const writer = refusal === null ? this.target! : null;
    this.ensureTerm(writer, now);

    let insertRate = writer ? offered : 0;
    let plans = this.planStreams(writer, insertRate, now);
    let ack = this.ackOf(plans, insertRate, now);
    let throttled = false;
    const term = this.term;
    if (term && writer && ack.blockedBy !== undefined) {
      const window = this.connections * this.walPerTx;
      const gap = writer.walEnd(now) - ack.value;
      if (gap >= window - 1 && ack.rate < insertRate) {
        // Every connection waits for its commit to be confirmed: new commits arrive only as old ones are.
        insertRate = ack.rate;
        throttled = true;
        plans = this.planStreams(writer, insertRate, now);
        ack = this.ackOf(plans, insertRate, now);
      }
    }

    // Apply the rates.
    for (const n of c.nodes.values()) {
      if (n !== writer && !plans.some((p) => p.stream.down === n)) this.setRate(n, 0, now);
    }
    if (writer) this.setRate(writer, insertRate, now);
    for (const p of plans) {
      if (p.snapTo !== null) p.stream.down.wal.end.set(now, p.snapTo);
      this.setRate(p.stream.down, p.rate, now);
    }
    if (term && !term.frozen) {
      const cur = term.ack.valueAt(now);
      const value = Math.min(Math.max(cur, ack.value), term.node.walEnd(now));
      term.ack.set(now, value);
      term.ack.setRate(now, ack.value >= cur ? ack.rate : 0);
      const last = term.record.ackCurve.at(-1)!;
      if (value > last.lsn) term.record.ackCurve.push({ at: now, lsn: value });
    }

    this.recordStatus(refusal, throttled, ack, offered, now);

    // Next breakpoint: a chase closing its gap, a historic stream reaching its switchpoint, the window filling.
    let next = NEVER as number;
    for (const p of plans) {
      if (p.catchUpAt === NEVER) continue;
      if (p.stream.limit !== null && p.rate > 0) {
        const reach = p.stream.down.wal.end.timeToReach(p.stream.limit, now);
        c.scheduleEndOfTimeline(p.stream, reach);
      } else next = Math.min(next, p.catchUpAt);
    }
    for (const p of plans) {
      if (p.stream.limit !== null && p.stream.down.walEnd(now) >= p.stream.limit - 0.5) c.scheduleEndOfTimeline(p.stream, now);
    }
    if (term && writer && !throttled && ack.blockedBy !== undefined) {
      const window = this.connections * this.walPerTx;
      const gap = writer.walEnd(now) - term.ack.valueAt(now);
      const closing = insertRate - term.ack.rate;
      if (closing > 0) next = Math.min(next, now + Math.max(1, Math.ceil((window - gap) / closing)));
    }
    if (next !== NEVER) {
      this.breakpoint = c.ctx.sim.at(next as Micros, `breakpoint ${c.name}`, () => c.requestReflow(), PRIORITY.protocol);
    }
    this.checkInvariants(now);
  }

  private setRate(n: PgNode, rate: number, now: Micros): void {
    n.wal.end.setRate(now, rate);
    if (this.lastRates.get(n.name) !== rate) {
      this.lastRates.set(n.name, rate);
      this.cluster.ctx.history.position({ at: now, node: n.name, lsn: n.walEnd(now), tli: n.tli });
    }
  }

  /** Opens a write term when a node starts accepting writes on a timeline; freezes the old one. */
  private ensureTerm(writer: PgNode | null, now: Micros): void {
    const t = this.term;
    if (t && writer && t.node === writer && t.record.timeline === writer.wal.timeline) return;
    if (t && !writer && t.node.running && t.node.isPrimary && t.node === this.target) return; // paused, same term resumes
    if (t && !t.frozen) {
      const v = Math.min(t.ack.valueAt(now), t.node.walEnd(now));
      const last = t.record.ackCurve.at(-1)!;
      if (v > last.lsn) t.record.ackCurve.push({ at: now, lsn: v });
      t.ack.setRate(now, 0);
      t.frozen = true;
    }
    if (!writer) {
      if (t && t.node !== this.target) this.term = null;
      return;
    }
    const start = writer.walEnd(now);
    const record = this.cluster.ctx.history.newTerm(this.cluster.name, writer.name, writer.wal.timeline, start, now, this.walPerTx);
    this.term = { record, node: writer, ack: new Level(now, start), frozen: false };
  }

  /** Rates of every stream, upstream before downstream (a cascade sees its upstream's new rate). */
  private planStreams(writer: PgNode | null, insertRate: number, now: Micros): StreamPlan[] {
    const c = this.cluster;
    const rate = new Map<PgNode, number>();
    if (writer) rate.set(writer, insertRate);
    const live = [...c.streams].filter((s) => c.streamUp(s));
    const perLink = new Map<string, number>();
    for (const s of live) perLink.set(s.path.linkKey, (perLink.get(s.path.linkKey) ?? 0) + 1);
    const plans: StreamPlan[] = [];
    const done = new Set<Stream>();
    // Topological order: a stream is planned once its upstream's rate is known (roots: nodes not receiving).
    const receiving = new Set(live.map((s) => s.down));
    let frontier = [...c.nodes.values()].filter((n) => !receiving.has(n));
    while (frontier.length > 0) {
      const nextFrontier: PgNode[] = [];
      for (const up of frontier) {
        for (const s of live) {
          if (s.up !== up || done.has(s)) continue;
          done.add(s);
          const p = this.planStream(s, rate.get(up) ?? 0, perLink.get(s.path.linkKey)!, now);
          rate.set(s.down, p.rate);
          plans.push(p);
          nextFrontier.push(s.down);
        }
      }
      frontier = nextFrontier;
    }
    invariant(done.size === live.length, () => `streams form a cycle in cluster ${c.name}`);
    return plans;
  }

  private planStream(s: Stream, upRate: number, sharing: number, now: Micros): StreamPlan {
    const share = s.path.bandwidth / PER_SECOND / sharing;
    const d = s.down.walEnd(now);
    const upEnd = s.up.walEnd(now);
    // A live stream trails its upstream by what is in flight (rate × one-way latency); a historic one
    // ends at the switchpoint. Approximation: latency as a constant in-flight amount (docs/model-postgres.md).
    const [target, targetRate] = s.limit !== null ? [Math.min(s.limit, upEnd), 0] : [Math.max(0, upEnd - upRate * s.path.latency), upRate];
    const gap = target - d;
    // Integer time: a chase scheduled to close at the next whole microsecond overshoots by at most one
    // microsecond of bandwidth; within that slack the downstream is caught up and snapped to its target.
    const slack = share + 1;
    if (gap > slack) {
      const closing = share - targetRate;
      return { stream: s, rate: share, snapTo: null, catchUpAt: closing > 0 ? ((now + Math.max(1, Math.ceil(gap / closing))) as Micros) : NEVER };
    }
    return { stream: s, rate: Math.min(targetRate, share), snapTo: gap >= -slack ? target : null, catchUpAt: NEVER };
  }

  /**
   * What the write target's clients have been told is committed (syncrep.c SyncRepReleaseWaiters):
   * the local flush when replication is asynchronous, else the position the synchronous standbys confirmed
   * (FIRST n: the slowest of the n highest-priority streaming standbys; ANY n: the n-th most advanced).
   * `blockedBy` is undefined for asynchronous commits.
   */
  private ackOf(plans: readonly StreamPlan[], insertRate: number, now: Micros): SyncAck {
    const term = this.term;
    if (!term) return { value: 0, rate: 0, blockedBy: undefined };
    const p = term.node;
    const names = p.settings.synchronousStandbyNames;
    const mode = p.settings.synchronousCommit;
    if (!names || mode === 'off' || mode === 'local' || !p.isPrimary) {
      return { value: p.walEnd(now), rate: p === this.target ? insertRate : 0, blockedBy: undefined };
    }
    const priorityOf = (app: string): number => {
      const i = names.names.findIndex((x) => x === app || x === '*');
      return i < 0 ? Number.POSITIVE_INFINITY : i;
    };
    const candidates = plans
      .filter((pl) => pl.stream.up === p && pl.stream.limit === null && pl.stream.down.role.kind === 'standby')
      .map((pl) => ({
        name: pl.stream.down.name,
        priority: priorityOf(pl.stream.down.settings.applicationName),
        // The standby's confirmation travels back over the same path.
        value: Math.max(0, pl.stream.down.walEnd(now) - pl.rate * pl.stream.path.latency),
        rate: pl.rate,
      }))
      .filter((x) => x.priority !== Number.POSITIVE_INFINITY)
      .sort((a, b) => a.priority - b.priority || (a.name < b.name ? -1 : 1));
    const cur = term.ack.valueAt(now);
    if (candidates.length < names.num) {
      const have = candidates.map((x) => x.name).join(', ') || 'none';
      return {
        value: cur,
        rate: 0,
        blockedBy: `synchronous_standby_names = ${names.method.toUpperCase()} ${names.num} (${names.names.join(', ')}) but only ${candidates.length} listed standby(s) stream from ${p.name} (${have}): commits wait`,
      };
    }
    const chosen = names.method === 'first' ? candidates.slice(0, names.num) : [...candidates].sort((a, b) => b.value - a.value).slice(0, names.num);
    const slowest = chosen.reduce((a, b) => (b.value < a.value ? b : a));
    return { value: slowest.value, rate: slowest.rate, blockedBy: null };
  }

  private recordStatus(refusal: string | null, throttled: boolean, ack: SyncAck, offered: number, now: Micros): void {
    const h = this.cluster.ctx.history;
    if (offered <= 0) return h.setWriteStatus(this.cluster.name, now, null);
    if (refusal !== null) return h.setWriteStatus(this.cluster.name, now, { kind: 'outage', cause: refusal, node: this.target?.name ?? null });
    if (throttled) {
      const perSecond = ack.rate * PER_SECOND;
      const latency = perSecond > 0 ? (this.connections * this.walPerTx) / perSecond : Number.POSITIVE_INFINITY;
      if (latency * 1e6 > this.cluster.ctx.stallThreshold) {
        const cause =
          ack.blockedBy ??
          `synchronous standbys confirm ${(perSecond / this.walPerTx).toFixed(0)} commits/s, fewer than the ${this.rate}/s offered: each commit waits about ${latency.toFixed(1)} s`;
        return h.setWriteStatus(this.cluster.name, now, { kind: 'stall', cause, node: this.target?.name ?? null });
      }
    }
    h.setWriteStatus(this.cluster.name, now, null);
  }

  /** Close the books at the end of the run: the last acknowledgement point. */
  finish(now: Micros): void {
    const t = this.term;
    if (t && !t.frozen) {
      const v = Math.min(t.ack.valueAt(now), t.node.walEnd(now));
      const last = t.record.ackCurve.at(-1)!;
      if (v > last.lsn) t.record.ackCurve.push({ at: now, lsn: v });
    }
    this.cluster.ctx.history.setWriteStatus(this.cluster.name, now, null);
  }

  private checkInvariants(now: Micros): void {
    for (const s of this.cluster.streams) {
      const d = s.down.walEnd(now);
      const u = s.up.walEnd(now);
      invariant(d <= u + 1e-6 || s.limit !== null, () => `${s.down.name} at ${formatLsn(d)} is ahead of its upstream ${s.up.name} at ${formatLsn(u)}`);
    }
  }
}

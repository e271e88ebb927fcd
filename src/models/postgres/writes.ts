import { Level } from '../../engine/fluid.ts';
import { invariant } from '../../engine/invariant.ts';
import type { EventHandle } from '../../engine/simulation.ts';
import { NEVER, ceilMicros, type Micros } from '../../engine/time.ts';
import { txAt, type WriteTerm } from '../../history/history.ts';
import type { SynchronousCommit, WorkloadSpec } from '../../scenario/types.ts';
import type { Endpoint } from '../network/network.ts';
import type { PgCluster } from './cluster.ts';
import { PRIORITY } from './context.ts';
import { formatLsn, type Lsn } from './lsn.ts';
import { syncPriority } from './guc.ts';
import { StreamPlanner, type StreamPlan } from './stream-plan.ts';
import { pgLog } from './messages.ts';
import type { PgNode, Stream } from './node.ts';
import type { HeardPositions } from './cut-walsenders.ts';
import { commitDelay, fsyncTime, localCommitTime, slowdownOf } from './service.ts';
import { roundFigure, type CommitLimit, type StatementWalFact, type WriteCauseFact } from '../../history/facts/writes.ts';
import { admittedConnections, CacheState, connectionRefusal, diskLimit, PoolQueue } from './load.ts';
import { averageWalPerTx, ClientOutcomes, syncLimit, type SyncAck } from './client-outcomes.ts';
import { RUN_END } from './write-ends.ts';
import type { Fact } from '../../history/facts/index.ts';
import { BLCKSZ, FullPageImages, type PageWorkload } from './full-page-images.ts';
import { StatementWal } from './statement-wal.ts';

/**
 * The WAL per transaction a commit map records for a stretch with statements' WAL and no commit (the LSN range
 * holds none): finite, so that 0 commits past it stay 0 bytes.
 */
const NO_COMMITS = Number.MAX_VALUE;

/** Rates are bytes per microsecond inside the model. */
const PER_SECOND = 1e6;
/** wal_receiver_status_interval's default (10 s): an idle standby's status replies (the model has no setting for it). */
const STATUS_INTERVAL = 10 * PER_SECOND;

/**
 * Check every invariant at every instant, not only where a recomputation touched: set by the test suite
 * (REPLSIM_SELF_CHECK=1, vitest.config.ts), where the cost does not matter and a stale plan would show.
 */
const FULL_CHECKS = process.env.REPLSIM_SELF_CHECK === '1';


/** Clients of one workload: where they are, what they offer, and which node they send writes to. */
export interface ClientPool {
  readonly name: string;
  readonly clients: Endpoint;
  target: PgNode | null;
  /** Write transactions offered per second. */
  rate: number;
  /** WAL bytes per transaction now: the scenario's, plus the full-page images of the moment (full-page-images.ts). */
  walPerTx: number;
  /** The scenario's WAL per transaction (`wal_per_tx`, or the last `workload` step's). */
  baseWalPerTx: number;
  /** The pages its writes change (`working_set`, `pages_per_tx`), or null: no images beyond `wal_per_tx`. */
  readonly pages: PageWorkload | null;
  readonly connections: number;
  /** Requests waiting in the pool for a connection (load.ts). */
  readonly queue: PoolQueue;
}

/**
 * Commits a pool left waiting on a node when its clients went elsewhere (routed to another node, or cut off
 * from it): the backends keep waiting for the synchronous standbys whether or not their client is still there
 * (syncrep.c SyncRepWaitForLSN does not read the socket; observed on 15.18, postgres.md §5), so they hold WAL
 * unacknowledged until the confirmations pass them. Spread evenly over (from, to], the waiting WAL when the
 * clients left: `bytes` of it is theirs.
 */
interface Orphans {
  /** The pool whose clients left, or null: WAL a statement wrote (statement-wal.ts), which releases no commit. */
  readonly pool: ClientPool | null;
  /** The statement that wrote it (pool null). */
  readonly statement?: StatementWalFact;
  readonly from: Lsn;
  readonly to: Lsn;
  readonly bytes: number;
}

/** A node accepting writes on one timeline: its commits and what its clients have been told is committed. */
interface TermState {
  readonly record: WriteTerm;
  readonly node: PgNode;
  readonly ack: Level;
  /** WAL bytes per transaction of the pools writing now (bytes-weighted), for the commit counter. */
  walPerTx: number;
  /**
   * The pools whose clients are connected to the node, each with its share of the commits waiting there as of
   * the last reflow: by the bytes it offered, or by its connections when they all wait (throttled).
   */
  connected: Map<ClientPool, number>;
  /** Commits of clients that left while they waited (see Orphans). */
  orphans: Orphans[];
  /** The level the term's commits wait under as of the last recomputation (null: they do not wait for standbys). */
  level: RemoteLevel | null;
  /** Commits that waited when a reload changed synchronous_commit: they keep their level (see noteLevel). */
  held: HeldCommits | null;
  /** The node's boot the term began in: a restart ends the term (its waiting backends ended with the server). */
  readonly boot: number;
  /**
   * Statements' WAL since the last recomputation (statement-wal.ts): from `from` at `at`, `rate` bytes per
   * microsecond among the commits. Closed into `orphans` at the next recomputation (statementSegments).
   */
  statements: { readonly from: Lsn; readonly at: Micros; readonly rate: number; readonly fact: StatementWalFact } | null;
  /** The WAL per transaction of the commit map's last entry (walPerTx, or more while statements write WAL). */
  mapped: number;
}

/** The synchronous_commit levels that wait for standbys (syncrep.c SyncRepWaitMode). */
type RemoteLevel = 'remote_write' | 'on' | 'remote_apply';

/**
 * Commits up to `upTo` that wait under `level` though synchronous_commit has since changed to `now`: a backend
 * picks its wait queue when it begins to wait (syncrep.c SyncRepWaitForLSN reads SyncRepWaitMode once) and
 * processes no reload while it waits (its loop checks only its latch, interrupts and the postmaster), so
 * `synchronous_commit = local` and a reload release none of them; new commits take the new level. Observed on
 * 15: three INSERTs waiting for an absent synchronous standby stayed in wait event SyncRep after ALTER SYSTEM
 * SET synchronous_commit = local and pg_reload_conf(), while a new session's INSERT returned at once.
 */
interface HeldCommits {
  readonly level: RemoteLevel;
  readonly upTo: Lsn;
  readonly now: SynchronousCommit;
}

/** The level `n`'s commits wait under now, or null when they wait for no standby. */
function waitLevel(n: PgNode): RemoteLevel | null {
  const mode = n.settings.synchronousCommit;
  return !n.settings.synchronousStandbyNames || !n.isPrimary || mode === 'off' || mode === 'local' ? null : mode;
}

/** Bytes of `o` still waiting when the acknowledgement stands at `ack`. */
function orphanedAt(orphans: readonly Orphans[], ack: Lsn): number {
  let sum = 0;
  for (const o of orphans) sum += o.bytes * Math.min(1, Math.max(0, (o.to - ack) / (o.to - o.from)));
  return sum;
}

/**
 * The fraction of the WAL released at `ack` that belongs to clients that left (they send no new commits) or to
 * statements (whose stretches lie one after the other: only the one under `ack` counts).
 */
function orphanShareAt(orphans: readonly Orphans[], ack: Lsn): number {
  let k = 0;
  for (const o of orphans) if (ack < o.to && ack >= o.from) k += o.bytes / (o.to - o.from);
  return Math.min(1, k);
}

interface WriterLoad {
  /** Bytes per microsecond offered. */
  bytes: number;
  /** Transactions per second offered. */
  tx: number;
  connections: number;
  pools: ClientPool[];
}

/**
 * The cluster's writes as a fluid: each client pool offers `rate` transactions per second of `walPerTx`
 * bytes to its target; a target that accepts writes grows its WAL, each streaming standby's WAL chases its
 * upstream's over the link (bandwidth shared by the streams on it, one-way latency as a lag of rate ×
 * latency), and commits are acknowledged at the local flush or, with synchronous replication, when the
 * synchronous standbys have them. Rates change only at events; between them every position is linear in
 * time (SimGrid-style). Two pools may write to two primaries at once: split brain is a state like any other.
 */
export class WriteFlow {
  readonly pools: ClientPool[];
  private readonly terms = new Map<PgNode, TermState>();
  /** Commits still waiting for synchronous standbys when their node went down (see releaseAtRestart). */
  private readonly unconfirmed = new Map<PgNode, { readonly record: WriteTerm; readonly timeline: PgNode['wal']['timeline']; readonly from: Lsn; readonly to: Lsn }>();
  private breakpoint: EventHandle | null = null;
  private readonly lastRates = new Map<string, number>();
  private readonly cache = new CacheState();
  /** What each pool's clients get: its write status and its requests (client-outcomes.ts). */
  private readonly clients: ClientOutcomes;
  /** Full-page images after each checkpoint's redo point (full-page-images.ts). */
  private readonly images: FullPageImages;
  /** The nodes whose disk bound at the last recomputation (service.walBacklog set): reset at the next. */
  private readonly backlogged: PgNode[] = [];
  /** The rate of every stream, planned again only where something changed (stream-plan.ts). */
  private readonly planner: StreamPlanner;
  /** The primaries as of the last full recomputation (promotions replan everything). */
  private primaries: PgNode[] = [];
  /** Each node's place in the cluster (the order rates are applied in). */
  private readonly order: ReadonlyMap<PgNode, number>;
  /** WAL written by statements (table rewrites, index builds), beside the commits. */
  readonly statementWal = new StatementWal();
  /** Some term has a stretch of statements' WAL open (statementSegments). */
  private segmentsOpen = false;

  constructor(
    private readonly cluster: PgCluster,
    specs: readonly WorkloadSpec[],
  ) {
    this.planner = new StreamPlanner(cluster);
    this.order = new Map([...cluster.nodes.values()].map((n, i) => [n, i]));
    this.pools = specs.map((w) => {
      const target = cluster.node(w.target);
      return {
        name: w.name,
        clients: { name: `clients ${w.name} of ${cluster.name}`, site: w.site },
        target,
        rate: w.rate,
        walPerTx: w.walPerTx,
        baseWalPerTx: w.walPerTx,
        pages: w.workingSet !== undefined ? { workingSetPages: Math.max(1, w.workingSet / BLCKSZ), pagesPerTx: w.pagesPerTx ?? 1 } : null,
        connections: w.connections,
        queue: new PoolQueue(cluster.ctx.sim.now, w.queueTimeout ?? null),
      };
    });
    this.clients = new ClientOutcomes(cluster, this.pools, this.cache);
    this.images = new FullPageImages(this.pools, (n) => cluster.storage.checkpointer.redoRecPtr(n));
  }

  /** A checkpoint started on `n` (a new redo point): pools writing there image their pages afresh. */
  redoMoved(n: PgNode): void {
    if (this.images.active && this.images.writesTo(n)) this.cluster.requestReflow('changed');
  }

  pool(name: string | null): ClientPool[] {
    return name === null ? this.pools : this.pools.filter((p) => p.name === name);
  }

  /** Route the given pools (all when null) to `node`. */
  routeTo(node: PgNode | null, pools: readonly ClientPool[] = this.pools): void {
    for (const p of pools) p.target = node;
    this.cluster.requestReflow('changed');
  }

  setWorkload(pools: readonly ClientPool[], rate: number | undefined, walPerTx: number | undefined): void {
    for (const p of pools) {
      if (rate !== undefined) p.rate = rate;
      if (walPerTx !== undefined) p.walPerTx = p.baseWalPerTx = walPerTx;
    }
    this.cluster.requestReflow('changed');
  }

  /** The nodes writes are routed to, most-targeted first (for the survivor at the end). */
  targets(): PgNode[] {
    const count = new Map<PgNode, number>();
    for (const p of this.pools) if (p.target) count.set(p.target, (count.get(p.target) ?? 0) + 1);
    return [...count.entries()].sort((a, b) => b[1] - a[1] || (a[0].name < b[0].name ? -1 : 1)).map(([n]) => n);
  }

  /** The pools with client sessions on `n`: routed to it and not blocked (a smart shutdown waits for them, pg-ctl.ts). */
  sessionsOn(n: PgNode): ClientPool[] {
    return n.clientsBlocked ? [] : this.pools.filter((p) => p.target === n && p.connections > 0);
  }

  /** Why a pool's writes cannot be accepted now, or null when they can. */
  refusal(p: ClientPool): WriteCauseFact | null {
    const t = p.target;
    const c = this.cluster;
    if (!t) return { kind: 'no-write-target' };
    // A shutdown still sending standbys their backlog refuses connections: "the database system is shutting down".
    if (t.run.state === 'down') {
      const panic = t.run.how === 'crashed' && !c.drains.of(t) ? t.lastDown.panic : undefined;
      return { kind: 'target-down', node: t.name, how: c.drains.of(t) ? 'shutting-down' : t.run.how, ...(panic ? { panic } : {}) };
    }
    if (t.run.state === 'failed') return { kind: 'target-failed', node: t.name, message: t.run.fatal.message };
    // A smart shutdown lets the sessions it found go on and refuses every new connection (pg-ctl.ts).
    if (!t.connsAllowed && !c.smart.connected(t, p)) return { kind: 'target-down', node: t.name, how: 'shutting-down' };
    if (!c.ctx.net.reachable(p.clients, c.endpointOf(t))) return { kind: 'clients-cut-off', site: p.clients.site, node: t.name };
    if (t.clientsBlocked) return { kind: 'clients-blocked', node: t.name };
    if (!t.isPrimary) return { kind: 'target-in-recovery', node: t.name, promoting: c.replay.isPromoting(t) };
    const full = connectionRefusal(t);
    if (full) return full;
    const stop = c.xid.refusal();
    if (stop) return { kind: 'xid-stop-refusal', node: t.name, message: stop.message };
    return this.externalRefusal?.(p) ?? c.xid.vacuum.tableRefusal(p.name);
  }

  /** Writes another model refuses (inserts on a subscriber whose sequences lag its rows: models/logical); null: none. */
  externalRefusal: ((p: ClientPool) => WriteCauseFact | null) | null = null;

  /** The fluid recomputation: called once per instant after any change (PgCluster.requestReflow). */
  reflow(): void {
    const c = this.cluster;
    const now = c.ctx.sim.now;
    const full = this.planner.begin();
    c.ctx.sim.cancel(this.breakpoint);
    this.breakpoint = null;

    // The queues' waits as the stretch since the last recomputation ends (before a lost server drops a queue).
    for (const p of this.pools) this.clients.noteQueueWait(p, now);
    // Each pool's WAL per transaction for the stretch from now (full-page images since its node's redo point).
    if (this.images.active) this.images.update(now);
    const refusals = new Map<ClientPool, WriteCauseFact | null>();
    const load = new Map<PgNode, WriterLoad>();
    for (const p of this.pools) {
      const r = this.refusal(p);
      refusals.set(p, r);
      // A pool that offers nothing still drains what it queued.
      if (r !== null || (p.rate <= 0 && p.queue.at(now) <= 1e-9)) continue;
      // Writes queued behind a table lock commit nothing until they get it (vacuum/model.ts, locks/).
      if (c.xid.vacuum.lockStatus(p.name)?.writesBlocked) continue;
      const w = load.get(p.target!) ?? { bytes: 0, tx: 0, connections: 0, pools: [] };
      w.bytes += (p.rate * p.walPerTx) / PER_SECOND;
      w.tx += p.rate;
      w.connections += p.connections;
      w.pools.push(p);
      load.set(p.target!, w);
    }
    // What each pool gets of its node's capacity (load.ts): the connections the node admits, and the
    // transactions it commits now; what does not fit waits in the pool's queue.
    // What binds a node's commits below what its pools send it, when something does (the queue stall's cause).
    const limits = new Map<PgNode, CommitLimit>();
    // Nodes whose synchronous standbys release no commit for now (throttled at a confirmation rate of 0).
    const held = new Set<PgNode>();
    const capped = this.applyCapacity(load, refusals, limits, now);
    this.ensureTerms(load, now);
    if (this.unconfirmed.size > 0) this.releaseAtRestart(now);
    for (const t of this.terms.values()) this.noteLevel(t, now);
    this.trackOrphans(refusals, now);
    // Statements' WAL (statement-wal.ts) adds to the commits' on its node: `insert` stays the commits', `total` both.
    const writing = this.statementWal.active ? this.statementWal.nodes() : new Map<PgNode, { rate: number; fact: StatementWalFact }>();
    const statements = new Map<PgNode, number>([...writing].map(([n, w]) => [n, w.rate]));
    this.statementSegments(writing, now);

    const insert = new Map<PgNode, number>([...load].map(([n, w]) => [n, w.bytes]));
    const total = (): Map<PgNode, number> => {
      if (statements.size === 0) return insert;
      const m = new Map(insert);
      for (const [n, r] of statements) m.set(n, (m.get(n) ?? 0) + r);
      return m;
    };
    const ackAll = () => new Map([...this.terms.values()].map((t) => [t, this.ackOf(t, (insert.get(t.node) ?? 0) + (statements.get(t.node) ?? 0), now)] as const));
    this.planner.plan(total(), now);
    let acks = ackAll();
    // Little's law: `connections` clients each waiting one round trip for their commit can commit at most
    // connections / rtt transactions per second (syncrep.c: each backend waits in SyncRepWaitForLSN). A slowed
    // node's commit first waits for its own flush (walsenders send only flushed WAL: walsender.c
    // XLogSendPhysical reads GetFlushRecPtr), so its excess adds to the round.
    // The nodes whose commits wait for synchronous standbys and commit less than offered: by Little's law, or
    // throttled at the confirmation rate (below).
    const syncBound = new Set<PgNode>();
    for (const [t, ack] of acks) {
      const w = load.get(t.node);
      if (!w || ack.blockedBy !== null || ack.rtt <= 0) continue;
      const round = ack.rtt + commitDelay(t.node);
      const cap = (w.connections * t.walPerTx) / round;
      if (cap < w.bytes) {
        insert.set(t.node, cap);
        syncBound.add(t.node);
        limits.set(t.node, syncLimit(cap / t.walPerTx, w.connections, round, ack.standbys ?? []));
      }
    }
    if (syncBound.size > 0) {
      this.planner.plan(total(), now);
      acks = ackAll();
    }
    const throttled = new Set<TermState>();
    for (const [t, ack] of acks) {
      const w = load.get(t.node);
      if (!w || ack.blockedBy === undefined) continue;
      // Confirmations below what is already acknowledged (the standby's in-flight WAL grew with the rate)
      // release nothing until they pass it: the acknowledgement does not move meanwhile.
      const cur = t.ack.valueAt(now);
      const at = Math.max(cur, ack.value);
      const window = w.connections * t.walPerTx + orphanedAt(t.orphans, at);
      const rate = ack.value >= cur ? ack.rate : 0;
      const gap = t.node.walEnd(now) - at;
      // Every connection waits for its commit to be confirmed: new commits arrive only as old ones are, less
      // those of clients that left (their connections send nothing new).
      const refill = rate * (1 - orphanShareAt(t.orphans, at));
      if (gap >= window - 1 && refill < w.bytes) {
        insert.set(t.node, refill);
        throttled.add(t);
        syncBound.add(t.node);
        // Nothing released for now (the confirmations pass what an ended wait acknowledged, a moment at
        // most): a stall under way keeps its cause (queueStatus) rather than naming a rate of 0 for that moment.
        // The slowest synchronous standby's stream carrying all it can (its line, window, loss or disk) is why.
        const bound = ack.slowest ? this.planner.boundOf(ack.slowest) : null;
        // Statements' WAL not yet confirmed: the commits wait behind it (the first such statement is named).
        const behind = t.orphans.find((o) => o.statement && o.to > at)?.statement ?? null;
        limits.set(t.node, syncLimit(refill / t.walPerTx, w.connections, ack.rtt, ack.standbys ?? [], bound && ack.slowest ? { standby: ack.slowest.down.name, ...bound } : null, behind));
        if (refill <= 0) held.add(t.node);
      }
    }
    if (throttled.size > 0) {
      this.planner.plan(total(), now);
      acks = ackAll();
      // Replanned at the lower rate, a throttled node's confirmations may fall below what is already acknowledged
      // (its standby's in-flight WAL shrank with the rate): nothing is released until they pass it, so nothing new
      // is committed either (every connection waits for its commit), else the waiting WAL outgrows the connections.
      let frozen = false;
      for (const t of throttled) {
        if ((insert.get(t.node) ?? 0) > 0 && acks.get(t)!.value < t.ack.valueAt(now)) {
          insert.set(t.node, 0);
          held.add(t.node);
          frozen = true;
        }
      }
      if (frozen) {
        this.planner.plan(insert, now);
        acks = ackAll();
      }
    }
    const { fresh, rates } = this.planner.end();
    if (full) this.primaries = [...c.nodes.values()].filter((n) => n.isPrimary);

    this.recordConnected(load, throttled);
    this.mapCommits(insert, statements, now);
    this.announceSync(full, rates);

    // XIDs: one per committed write transaction (read-only work assigns none); each pool commits its share
    // of its node's transactions (the tables it writes get their dead rows and inserts from it).
    let txPerSecond = 0;
    const committed = new Map<string, number>();
    for (const [n, bytes] of insert) {
      const t = this.terms.get(n);
      if (!t) continue;
      const tx = (bytes * PER_SECOND) / t.walPerTx;
      txPerSecond += tx;
      const w = load.get(n);
      if (w && w.tx > 0) for (const p of w.pools) committed.set(p.name, (tx * p.rate) / w.tx);
    }
    c.xid.setRate(now, txPerSecond, committed);

    // Apply the rates (of the nodes whose rate may have changed: all of them when everything was planned), in
    // the cluster's order of nodes, whatever order the planner decided them in: the recorded positions follow it.
    for (const [n, r] of [...rates].sort(([a], [b]) => this.order.get(a)! - this.order.get(b)!)) this.setRate(n, r, now);
    for (const [t, ack] of acks) {
      const cur = t.ack.valueAt(now);
      const value = Math.min(Math.max(cur, ack.value), t.node.walEnd(now));
      t.ack.set(now, value);
      // Asynchronous commits are acknowledged at the local flush, whatever a rounding put the level at: a level
      // held at rate 0 here would stay behind for good, as nothing else wakes it (no breakpoint waits for it).
      t.ack.setRate(now, ack.value >= cur || ack.blockedBy === undefined ? ack.rate : 0);
      const last = t.record.ackCurve.at(-1)!;
      if (value > last.lsn) t.record.ackCurve.push({ at: now, lsn: value });
    }

    const served = this.servedByPool(load, capped, insert);
    let next = NEVER as number;
    for (const p of this.pools) {
      const t = p.target ? this.terms.get(p.target) : undefined;
      const status = this.clients.statusOf(p, refusals.get(p)!, t && syncBound.has(t.node) ? acks.get(t)! : null, t?.walPerTx ?? p.walPerTx, now) ?? this.clients.queueStatus(p, served, limits, held, now);
      this.clients.settle(p, status, now);
      next = Math.min(next, this.clients.account(p, served, status?.kind ?? null, now));
    }
    next = Math.min(next, this.cache.nextChangeOfAny(now));
    // The share of pages imaged since the redo point crosses the next step: the WAL per transaction falls.
    if (this.images.active) next = Math.min(next, this.images.committed((p) => served.get(p as ClientPool) ?? 0, now));
    // A slot's restart_lsn that starts moving (slots.ts nextChange): its retained WAL's line bends there.
    next = Math.min(next, c.storage.slots.nextChange(now));

    // Next breakpoint: a chase closing its gap, a historic stream reaching its switchpoint, a window filling,
    // a pool's queue crossing a line, a cold cache's next step.
    // (A chase closing its gap is its own breakpoint: StreamPlanner.end.)
    for (const p of fresh) {
      if (p.catchUpAt !== NEVER && p.stream.limit !== null && p.rate > 0) c.scheduleEndOfTimeline(p.stream, p.stream.down.wal.end.timeToReach(p.stream.limit, now));
    }
    for (const p of fresh) {
      if (p.stream.limit !== null && p.stream.down.walEnd(now) >= p.stream.limit - 0.5) c.scheduleEndOfTimeline(p.stream, now);
    }
    for (const [t, ack] of acks) {
      const w = load.get(t.node);
      if (!w || ack.blockedBy === undefined) continue;
      if (ack.changesAt > now) next = Math.min(next, ack.changesAt);
      // When the confirmations catch up with the acknowledged position, acknowledgements move again.
      const behind = t.ack.valueAt(now) - ack.value;
      if (behind > 0 && ack.rate > 0) next = Math.min(next, now + Math.max(1, ceilMicros(behind / ack.rate)));
      const cur = t.ack.valueAt(now);
      // The confirmations pass the last commit held under an earlier synchronous_commit: the new level applies.
      if (t.held && t.ack.rate > 0 && t.held.upTo > cur) next = Math.min(next, now + Math.max(1, ceilMicros((t.held.upTo - cur) / t.ack.rate)));
      // The confirmations pass the last commit of clients that left: the window stops shrinking there.
      for (const o of t.orphans) if (t.ack.rate > 0 && o.to > cur) next = Math.min(next, now + Math.max(1, ceilMicros(((o.from > cur ? o.from : o.to) - cur) / t.ack.rate)));
      if (throttled.has(t)) continue;
      const window = w.connections * t.walPerTx + orphanedAt(t.orphans, cur);
      const gap = t.node.walEnd(now) - cur;
      // The gap grows by what is inserted less what is confirmed; the window shrinks as left clients' commits are.
      const closing = (insert.get(t.node) ?? 0) - t.ack.rate + t.ack.rate * orphanShareAt(t.orphans, cur);
      if (closing > 0) next = Math.min(next, now + Math.max(1, ceilMicros((window - gap) / closing)));
    }
    next = Math.min(next, c.replay.afterReflow(now));
    if (next !== NEVER) {
      this.breakpoint = c.ctx.sim.at(next as Micros, `breakpoint ${c.name}`, () => c.requestReflow('changed'), PRIORITY.protocol);
    }
    this.checkInvariants(now, full || FULL_CHECKS ? null : { fresh, rates });
    this.planner.done();
  }

  /** Everything is planned again at the next recomputation (PgCluster.requestReflow('all')). */
  invalidate(): void {
    this.planner.invalidate();
  }

  /**
   * WAL the walsender has sent on `s` that has not arrived yet: the bytes on the wire. A walsender that keeps
   * up has sent all its server flushed (walsender.c XLogSendPhysical), so what is in flight is the gap to the
   * upstream's flush, rate × one-way latency; one held back by the link has put on the wire only its share of
   * the bandwidth (or what its TCP window and packet loss let through) × latency, and the rest is not sent.
   */
  inFlight(s: Stream, now: Micros): number {
    const d = s.down.walEnd(now);
    const sendable = this.cluster.sendable(s.up, now);
    const sent = s.limit !== null ? Math.min(s.limit, sendable) : sendable;
    const wire = this.planner.shareAmong(s, this.planner.liveOn(s.path.linkKey)) * s.path.latency;
    return Math.max(0, Math.min(sent - d, wire));
  }

  private setRate(n: PgNode, rate: number, now: Micros): void {
    n.wal.end.setRate(now, rate);
    if (n.isPrimary) this.cluster.walClock.mark(n.wal.timeline, now, n.walEnd(now), rate);
    if (this.lastRates.get(n.name) !== rate) {
      this.lastRates.set(n.name, rate);
      this.cluster.ctx.history.position({ at: now, node: n.name, lsn: n.walEnd(now), tli: n.tli });
    }
  }

  /**
   * One term per node accepting writes on a timeline. A term stays open while its node is a running
   * primary on that timeline that some pool still targets (writes paused, then resumed); otherwise its
   * acknowledgements are final.
   */
  private ensureTerms(load: ReadonlyMap<PgNode, WriterLoad>, now: Micros): void {
    const targeted = new Set(this.pools.map((p) => p.target));
    for (const [n, t] of [...this.terms]) {
      const same = n.running && n.isPrimary && t.record.timeline === n.wal.timeline && n.boot === t.boot;
      if (same && (load.has(n) || targeted.has(n))) continue;
      const v = Math.min(t.ack.valueAt(now), n.walEnd(now));
      const last = t.record.ackCurve.at(-1)!;
      if (v > last.lsn) t.record.ackCurve.push({ at: now, lsn: v });
      this.terms.delete(n);
      if ((!n.running || n.boot !== t.boot) && n.walEnd(now) - v >= t.walPerTx) this.unconfirmed.set(n, { record: t.record, timeline: t.record.timeline, from: v, to: n.walEnd(now) });
    }
    for (const [n, w] of load) {
      const t = this.terms.get(n);
      // With no transaction offered (a workload at rate 0), the blend is 0/0: keep the term's, or for a new term
      // take the pools' own WAL per transaction (a term's walPerTx must stay a number: the window depends on it).
      const blended = w.tx > 0 ? (w.bytes * PER_SECOND) / w.tx : (t?.walPerTx ?? w.pools.reduce((a, p) => a + p.walPerTx, 0) / Math.max(1, w.pools.length));
      if (t) {
        if (Math.abs(blended - t.walPerTx) > 1e-9) {
          const lsn = n.walEnd(now);
          // Smaller transactions from now on (a step of full-page images, a `workload` step): the commits waiting
          // for synchronous standbys were written at the old size, so the waiting WAL may exceed what the
          // connections hold at the new one. The excess is counted as the orphans are (spread over the waiting
          // WAL, gone once the confirmations pass it): the old commits confirmed make room for fewer bytes of new
          // ones. Without it the window would stay short of the waiting WAL for good.
          if (blended < t.walPerTx) {
            const ack = t.ack.valueAt(now);
            const excess = Math.min(w.connections * (t.walPerTx - blended), lsn - ack - w.connections * blended - orphanedAt(t.orphans, ack));
            if (excess > 0 && lsn > ack) t.orphans.push({ pool: w.pools[0]!, from: ack, to: lsn, bytes: excess });
          }
          t.walPerTx = blended;
        }
        continue;
      }
      const start = n.walEnd(now);
      const record = this.cluster.ctx.history.newTerm(this.cluster.name, n.name, n.wal.timeline, start, now, blended);
      this.terms.set(n, { record, node: n, ack: new Level(now, start), walPerTx: blended, connected: new Map(), orphans: [], level: waitLevel(n), held: null, boot: n.boot, statements: null, mapped: blended });
    }
  }

  /**
   * A change of synchronous_commit (a reload) applies to later commits only: the commits waiting then keep
   * waiting under their level (HeldCommits) until the confirmations of that level pass the last of them. An
   * empty synchronous_standby_names releases them all (syncrep.c SyncRepUpdateSyncStandbysDefined wakes every
   * queue), as does the end of the term. Approximation: commits after the change are acknowledged only once
   * the held ones are; when every connection waits (a lost standby) no new commit comes meanwhile anyway.
   */
  private noteLevel(t: TermState, now: Micros): void {
    const level = waitLevel(t.node);
    const ack = t.ack.valueAt(now);
    if (!t.node.settings.synchronousStandbyNames || (t.held && ack >= t.held.upTo - 1e-6)) t.held = null;
    if (level !== t.level && t.level !== null && t.node.settings.synchronousStandbyNames) {
      const end = t.node.walEnd(now);
      // Waits begun under an earlier change keep theirs: the oldest level holds them all (an approximation).
      if (ack < end - 1e-6) t.held = { level: t.held?.level ?? t.level, upTo: Math.max(end, t.held?.upTo ?? 0) as Lsn, now: t.node.settings.synchronousCommit };
    }
    if (t.held) t.held = { ...t.held, now: t.node.settings.synchronousCommit };
    t.level = level;
  }

  /**
   * The statements' WAL written among a term's commits since the last recomputation, closed into its orphans:
   * spread evenly over the WAL written meanwhile, it counts in the waiting window (a commit behind it waits for
   * the standbys to confirm it too) and releases no commit when confirmed (orphanShareAt). A new stretch opens
   * at the node's WAL end when statements write on (`rates`: bytes per microsecond from now on).
   */
  private statementSegments(writing: ReadonlyMap<PgNode, { readonly rate: number; readonly fact: StatementWalFact }>, now: Micros): void {
    // Nothing to close or open: no statement wrote since the last recomputation, none writes now.
    if (writing.size === 0 && !this.segmentsOpen) return;
    this.segmentsOpen = writing.size > 0;
    for (const t of this.terms.values()) {
      const s = t.statements;
      const end = t.node.walEnd(now);
      if (s !== null) {
        const bytes = Math.min(s.rate * (now - s.at), end - s.from);
        if (bytes > 0) t.orphans.push({ pool: null, from: s.from, to: end, bytes, statement: s.fact });
      }
      const w = writing.get(t.node);
      t.statements = w ? { from: end, at: now, rate: w.rate, fact: w.fact } : null;
    }
  }

  /**
   * The commit map's WAL per transaction from now on (the data-loss checker counts commits by it): the commits'
   * own, raised by the statements' WAL written among them, or NO_COMMITS when statements alone write.
   */
  private mapCommits(insert: ReadonlyMap<PgNode, number>, statements: ReadonlyMap<PgNode, number>, now: Micros): void {
    for (const t of this.terms.values()) {
      const ins = insert.get(t.node) ?? 0;
      const st = statements.get(t.node) ?? 0;
      const w = st <= 0 ? t.walPerTx : ins > 0 ? (t.walPerTx * (ins + st)) / ins : NO_COMMITS;
      if (Math.abs(w - t.mapped) <= 1e-9) continue;
      const lsn = t.node.walEnd(now);
      t.record.commitMap.push({ lsn, tx: txAt(t.record, lsn), walPerTx: w });
      t.mapped = w;
    }
  }

  /**
   * A pool whose clients leave a node (routed elsewhere, or cut off from it) leaves its waiting commits there
   * (Orphans): its share of the waiting WAL, by the bytes it offered, at most one commit per connection. They
   * count against the node's window until the confirmations pass them; a pool that comes back opens new
   * connections. A pool that only pauses (rate 0) or is refused new commits keeps its connections.
   */
  private trackOrphans(refusals: ReadonlyMap<ClientPool, WriteCauseFact | null>, now: Micros): void {
    const c = this.cluster;
    for (const t of this.terms.values()) {
      const ack = t.ack.valueAt(now);
      t.orphans = t.orphans.filter((o) => o.to > ack);
      const end = t.node.walEnd(now);
      let total = 0;
      for (const w of t.connected.values()) total += w;
      for (const [p, weight] of t.connected) {
        const stays = p.target === t.node && (refusals.get(p) === null || c.ctx.net.reachable(p.clients, c.endpointOf(t.node)));
        if (stays || end - ack <= 0 || weight <= 0) continue;
        t.orphans.push({ pool: p, from: ack, to: end, bytes: Math.min(((end - ack) * weight) / total, p.connections * t.walPerTx) });
        t.connected.delete(p);
      }
    }
  }

  /**
   * An operator ends the waits of the commits waiting on `n` for synchronous standbys: pg_cancel_backend
   * ('cancel') or pg_terminate_backend ('terminate') on every backend in the SyncRep wait. syncrep.c
   * SyncRepWaitForLSN: the backend stops waiting with a WARNING ("The transaction has already committed
   * locally"); its commit record was flushed before it waited, and it leaves the proc array, so the commit is
   * visible from then on and survives on `n`, on no synchronous standby. A cancelled backend answers COMMIT (the
   * client is told), a terminated one closes the connection (FATAL) and its client is told nothing; the model's
   * clients reconnect at once. statement_timeout never does this: postgres.c finish_xact_command disables it
   * before the commit (a 1 s statement_timeout left the wait running on 10.23, 15.18 and 18.4). Returns the
   * commits released.
   */
  endWaits(n: PgNode, how: 'cancel' | 'terminate'): number {
    const now = this.cluster.ctx.sim.now;
    const t = this.terms.get(n);
    if (!t || !n.running) return 0;
    const from = t.ack.valueAt(now);
    const to = n.walEnd(now);
    const commits = Math.floor(txAt(t.record, to) + 1e-9) - Math.floor(txAt(t.record, from) + 1e-9);
    if (to <= from || commits <= 0) return 0;
    t.ack.set(now, to);
    t.orphans = [];
    // The acknowledgement stood at `from` until now (its curve is linear between points), then jumps.
    t.record.ackCurve.push({ at: now, lsn: from }, { at: now, lsn: to });
    (t.record.released ??= []).push({ at: now, from, to, how });
    this.clients.ends.noteWaitsEnded(n, how, commits, now);
    this.cluster.ctx.history.mix(`released|${t.record.id}|${now}|${from}|${to}|${how}`);
    this.cluster.log(
      n,
      'writes',
      { kind: 'sync-waits-ended', node: n.name, how, commits, fromLsn: from, toLsn: to },
      pgLog.syncWaitEnded(how),
    );
    this.cluster.requestReflow('changed');
    return commits;
  }

  /**
   * A fast shutdown terminates the backends waiting on `n` for synchronous standbys (SIGTERM: syncrep.c
   * SyncRepWaitForLSN on ProcDiePending logs the WARNING, then the FATAL): their clients are told nothing, and
   * the server goes down, so nobody sees their commits until it runs as a primary again (releaseAtRestart).
   * Observed on 15: two INSERTs waiting for an absent standby logged these lines at `pg_ctl stop -m fast`, and
   * their rows were there after the start.
   */
  shutdownWaits(n: PgNode): void {
    const now = this.cluster.ctx.sim.now;
    const t = this.terms.get(n);
    if (!t || !n.running) return;
    const from = t.ack.valueAt(now);
    const to = n.walEnd(now);
    const commits = Math.floor(txAt(t.record, to) + 1e-9) - Math.floor(txAt(t.record, from) + 1e-9);
    if (to <= from || commits <= 0) return;
    this.cluster.log(n, 'writes', { kind: 'sync-waits-ended', node: n.name, how: 'shutdown', commits, fromLsn: from, toLsn: to }, pgLog.syncWaitEnded('terminate'));
  }

  /**
   * Commits that still waited for synchronous standbys when their primary stopped or crashed are in its WAL,
   * flushed before the wait (syncrep.c SyncRepWaitForLSN comes after the commit record's flush): when it runs
   * again as a primary on the same timeline, every session sees them, though no synchronous standby confirmed
   * them and their clients were never answered. They count from then on as the term's acknowledged commits, as
   * terminated waits do (endWaits). A node back as a standby or on another timeline shows them to no client.
   */
  private releaseAtRestart(now: Micros): void {
    for (const [n, u] of [...this.unconfirmed]) {
      if (!n.running) continue;
      this.unconfirmed.delete(n);
      if (!n.isPrimary || n.wal.timeline !== u.timeline) continue;
      const to = Math.min(u.to, n.walEnd(now));
      if (to <= u.from) continue;
      u.record.ackCurve.push({ at: now, lsn: u.from }, { at: now, lsn: to });
      (u.record.released ??= []).push({ at: now, from: u.from, to, how: 'restart' });
      this.cluster.ctx.history.mix(`released|${u.record.id}|${now}|${u.from}|${to}|restart`);
    }
  }

  /**
   * What the upstream has heard from `s`'s standby, per commit level (as ackOf reads it), when a cut silences it
   * (cut-walsenders.ts): the confirmations under way stop where they are.
   */
  heardFrom(s: Stream, now: Micros): HeardPositions {
    const pl = this.planner.plans.get(s);
    if (!pl) {
      const end = s.down.walEnd(now);
      return { remote_write: end, on: end, remote_apply: end };
    }
    const at = (mode: 'remote_write' | 'on' | 'remote_apply'): Lsn => {
      const c = this.confirmed(pl, mode, now);
      return Math.max(0, c.value - c.rate * s.path.latency) as Lsn;
    };
    return { remote_write: at('remote_write'), on: at('on'), remote_apply: at('remote_apply') };
  }

  /** Whether `s`'s walsender is one of its primary's synchronous standbys now (announced, syncrep.c). */
  isSynchronous(s: Stream): boolean {
    return this.syncAnnounced.has(s);
  }

  /** Walsenders that have announced themselves synchronous since they last were not (syncrep.c announce_next_takeover). */
  private readonly syncAnnounced = new WeakSet<Stream>();
  /** Announcements waiting for the standby's next status reply. */
  private readonly announceAtReply = new WeakMap<Stream, EventHandle>();

  /**
   * The standby's next reply to its walsender (walreceiver.c XLogWalRcvSendReply): at once while WAL arrives (it
   * replies to what it writes and flushes), otherwise every wal_receiver_status_interval after the last one, which
   * followed its last receipt; one due at this very instant went before what happens now. `rate`: the
   * standby's receipt rate from now on.
   */
  private nextReply(st: Stream, rate: number, now: Micros): Micros {
    const last = Math.min(now, st.down.wal.end.lastChange);
    // Receiving, or its receipt ended now (caught up: it replies to its last flush).
    if (rate > 0 || last === now) return now;
    return (last + (Math.floor((now - last) / STATUS_INTERVAL) + 1) * STATUS_INTERVAL) as Micros;
  }

  /**
   * When `st`'s standby next sends its walsender a reply, now included (before this recomputation's rates): at
   * once while its confirmed position moves (WAL arrives; with remote_apply, replay goes on, the startup process
   * asking for a reply after each commit it replays: xlogrecovery.c XLogRequestWalReceiverReply), else at its
   * next status reply (nextReply), one due at this very instant counting as now.
   */
  private replyFrom(st: Stream, mode: RemoteLevel, now: Micros): Micros {
    const down = st.down;
    const moving = mode === 'remote_apply' ? this.cluster.replay.at(down, now, down.wal.end.rate).rate > 0 : down.wal.end.rate > 0;
    const last = Math.min(now, down.wal.end.lastChange);
    if (moving || (now - last) % STATUS_INTERVAL === 0) return now;
    return this.nextReply(st, 0, now);
  }

  /**
   * syncrep.c SyncRepReleaseWaiters: a walsender of a primary logs once, when it first finds itself among the
   * synchronous standbys (FIRST n: the n of highest priority among the listed, streaming ones, or all of them when
   * fewer; ANY: every listed streaming one), and again only after it has not been for a while. Whatever
   * synchronous_commit is: only synchronous_standby_names and the walsender's state count. The walsender runs it
   * when its standby's reply arrives (walsender.c ProcessStandbyReplyMessage), so a reload that makes an idle
   * standby synchronous is announced at that standby's next status reply, up to wal_receiver_status_interval
   * later, or at the WAL it receives first (observed on 12.22 to 14.23: ext-3, the reload's step settled
   * within 3 s and the line came with the next insert's reply). `rates`: the receipt rates planned now.
   */
  private announceSync(full: boolean, rates: ReadonlyMap<PgNode, number> = new Map(), replying: Stream | null = null): void {
    const now = this.cluster.ctx.sim.now;
    for (const p of this.primaries) {
      if (!p.isPrimary) continue;
      const names = p.settings.synchronousStandbyNames;
      // Without synchronous_standby_names nothing is synchronous; a change of the setting replans everything.
      if (!names && !full) continue;
      const streams = [...this.cluster.streams.from(p)].filter((st) => this.planner.plans.has(st) && st.limit === null && st.down.role.kind === 'standby');
      // Walsenders of cut-off standbys keep their place until they exit (cut-walsenders.ts).
      for (const w of this.cluster.cutSenders.of(p)) if (w.stream.limit === null && !streams.includes(w.stream)) streams.push(w.stream);
      const priorityOf = (st: Stream): number => {
        if (!names) return 0;
        return syncPriority(names, st.down.settings.applicationName);
      };
      const candidates = streams.filter((st) => st.caughtUp && priorityOf(st) > 0).sort((a, b) => priorityOf(a) - priorityOf(b) || (a.down.name < b.down.name ? -1 : 1));
      const chosen = new Set(names && names.method === 'first' ? candidates.slice(0, names.num) : candidates);
      for (const st of streams) {
        if (!chosen.has(st)) {
          this.syncAnnounced.delete(st);
          continue;
        }
        if (this.syncAnnounced.has(st)) continue;
        const reply = st === replying ? now : this.nextReply(st, rates.get(st.down) ?? st.down.wal.end.rate, now);
        if (reply > now) {
          // Looked at again then, without a replan (which would wake parked retry loops).
          if (!this.announceAtReply.has(st)) {
            this.announceAtReply.set(st, this.cluster.ctx.sim.at(reply, `reply ${st.down.name}`, () => {
              this.announceAtReply.delete(st);
              if (this.cluster.streams.from(p).has(st)) this.announceSync(true, new Map(), st);
            }, PRIORITY.protocol));
          }
          continue;
        }
        this.syncAnnounced.add(st);
        const app = st.down.settings.applicationName;
        this.cluster.log(p, 'replication', { kind: 'sync-standby', rule: 'syncrep.c:SyncRepReleaseWaiters', node: st.down.name, primary: p.name, quorum: names!.method === 'any' }, [pgLog.standbyIsSync(p.version, app, names!.method, priorityOf(st))]);
      }
    }
  }

  /** Each connected pool's share of the waiting commits (TermState.connected), after the rates are set. */
  private recordConnected(load: ReadonlyMap<PgNode, WriterLoad>, throttled: ReadonlySet<TermState>): void {
    for (const t of this.terms.values()) {
      t.connected = new Map();
      for (const p of load.get(t.node)?.pools ?? []) t.connected.set(p, throttled.has(t) ? p.connections : p.rate * p.walPerTx);
    }
  }

  /**
   * What the write target's clients have been told is committed (syncrep.c SyncRepReleaseWaiters):
   * the local flush when replication is asynchronous, else the position the synchronous standbys confirmed
   * (FIRST n: the slowest of the n highest-priority streaming standbys; ANY n: the n-th most advanced).
   * `blockedBy` is undefined for asynchronous commits.
   */
  private ackOf(term: TermState, insertRate: number, now: Micros): SyncAck {
    const held = term.held;
    if (held) {
      // The commits waiting since before a change of synchronous_commit are released under their level; once
      // its confirmations pass the last of them, later commits are acknowledged under the new one.
      const ack = this.ackUnder(term, held.level, insertRate, now);
      if (ack.value < held.upTo) {
        const blockedBy = ack.blockedBy && (ack.blockedBy.kind === 'sync-standbys-missing' || ack.blockedBy.kind === 'sync-standby-cut-off') ? { ...ack.blockedBy, heldLevel: held.level, newLevel: held.now } : ack.blockedBy;
        return { ...ack, blockedBy };
      }
    }
    return this.ackUnder(term, waitLevel(term.node), insertRate, now);
  }

  /** ackOf for commits that wait under `mode` (null: for no standby). */
  private ackUnder(term: TermState, mode: RemoteLevel | null, insertRate: number, now: Micros): SyncAck {
    const p = term.node;
    const names = p.settings.synchronousStandbyNames;
    if (!names || mode === null || !p.isPrimary) {
      return { value: p.walEnd(now), rate: insertRate, blockedBy: undefined, rtt: 0, changesAt: NEVER };
    }
    const priorityOf = (app: string): number => {
      const i = syncPriority(names, app);
      return i === 0 ? Number.POSITIVE_INFINITY : i;
    };
    type Candidate = { name: string; priority: number; value: number; rate: number; rtt: number; changesAt: number } & ({ stream: Stream } | { cutSince: Micros; exitAt: Micros });
    const candidates: Candidate[] = [...this.cluster.streams.from(p)]
      .map((st) => this.planner.plans.get(st))
      .filter((pl): pl is StreamPlan => pl !== undefined && pl.stream.limit === null && pl.stream.caughtUp && pl.stream.down.role.kind === 'standby')
      .map((pl) => {
        const c = this.confirmed(pl, mode, now);
        return {
          name: pl.stream.down.name,
          stream: pl.stream,
          priority: priorityOf(pl.stream.down.settings.applicationName),
          // The standby's confirmation travels back over the same path.
          value: Math.max(0, c.value - c.rate * pl.stream.path.latency),
          rate: c.rate,
          rtt: c.wait + pl.stream.path.latency,
          changesAt: c.changesAt,
        };
      })
      .filter((x) => x.priority !== Number.POSITIVE_INFINITY);
    // A walsender whose standby a cut silenced is still a candidate, at what it last heard (cut-walsenders.ts).
    // Against a live walsender of the same standby (it reconnected) it comes second: the server orders equal
    // priorities by walsender slot, which the model does not know.
    for (const w of this.cluster.cutSenders.of(p)) {
      const st = w.stream;
      if (!st.caughtUp || st.limit !== null) continue;
      const priority = priorityOf(st.down.settings.applicationName);
      if (priority === Number.POSITIVE_INFINITY) continue;
      candidates.push({ name: st.down.name, priority, value: w.heard[mode], rate: 0, rtt: 0, changesAt: NEVER, cutSince: w.since, exitAt: w.until });
    }
    candidates.sort((a, b) => a.priority - b.priority || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0) || ('cutSince' in a ? 1 : 0) - ('cutSince' in b ? 1 : 0));
    const cur = term.ack.valueAt(now);
    if (candidates.length < names.num) {
      return {
        value: cur,
        rate: 0,
        rtt: 0,
        changesAt: NEVER,
        blockedBy: { kind: 'sync-standbys-missing', node: p.name, method: names.method, num: names.num, names: names.names, streaming: candidates.map((x) => x.name) },
      };
    }
    // ANY n releases at the n-th latest position (syncrep.c SyncRepGetNthLatestSyncRecPtr): with n live
    // walsenders a silenced one holds nothing once they pass what it last heard, a moment after the cut (the
    // model passes it at once), and it never replies sooner than they do.
    const live = candidates.filter((x): x is Candidate & { stream: Stream } => 'stream' in x);
    const quorum = names.method === 'any' && live.length >= names.num ? live : candidates;
    const chosen = names.method === 'first' ? candidates.slice(0, names.num) : [...quorum].sort((a, b) => b.value - a.value).slice(0, names.num);
    const slowest = chosen.reduce((a, b) => (b.value < a.value ? b : a));
    const silent = chosen.find((x) => 'cutSince' in x);
    // The other silenced walsenders among those that could release the commits (ANY n: the quorum; FIRST n:
    // the chosen): none of them can, either.
    const alsoSilent = (first: string): { others?: string[] } => {
      const others = (names.method === 'any' ? quorum : chosen).filter((x) => 'cutSince' in x && x.name !== first).map((x) => x.name);
      return others.length > 0 ? { others: [...new Set(others)].sort() } : {};
    };
    if (silent && 'cutSince' in silent) {
      // Commits wait on a standby that hears nothing until its walsender times out.
      return {
        value: slowest.value,
        rate: 0,
        rtt: 0,
        changesAt: NEVER,
        blockedBy: { kind: 'sync-standby-cut-off', node: p.name, standby: silent.name, walSenderTimeout: p.settings.walSenderTimeout, exitAt: silent.exitAt, ...alsoSilent(silent.name) },
      };
    }
    // Waiting commits are released only when a reply of a synchronous standby reaches its walsender (walsender.c
    // ProcessStandbyReplyMessage is the one caller of syncrep.c SyncRepReleaseWaiters; a walsender becoming
    // synchronous, or another's exit, releases nothing by itself). A standby replies as its confirmed position
    // moves (WAL arriving; with remote_apply its replay) and otherwise every wal_receiver_status_interval: so
    // when idle standbys become the synchronous ones (a reload of synchronous_standby_names, a higher-priority
    // walsender's exit) while every commit waits, what they confirmed long ago releases the commits only at
    // the first such reply. Observed on 15: an INSERT waiting for an absent standby returned about 8 s after a
    // reload named the streaming, idle s2, 10 s after s2 had last received WAL (its INSERT's), three times out of four.
    if (slowest.value > cur + 1) {
      const triggers = names.method === 'first' ? chosen : live;
      const replyAt = Math.min(...triggers.map((x) => ('stream' in x ? this.replyFrom(x.stream, mode, now) : NEVER)));
      if (replyAt > now) {
        return { value: cur, rate: 0, rtt: 0, changesAt: replyAt, blockedBy: { kind: 'sync-standby-reply', node: p.name, standbys: triggers.map((x) => x.name), statusInterval: STATUS_INTERVAL } };
      }
    }
    // FIRST n waits for all n chosen; ANY n for the n-th fastest reply.
    const rtt = names.method === 'first' ? Math.max(...chosen.map((x) => x.rtt)) : [...quorum].map((x) => x.rtt).sort((a, b) => a - b)[names.num - 1]!;
    // The standbys whose replies release commits: FIRST n the chosen, ANY n the quorum they are taken from.
    const standbys = (names.method === 'first' ? chosen : quorum).map((x) => x.name).sort();
    return { value: slowest.value, rate: slowest.rate, blockedBy: null, rtt, changesAt: Math.min(...chosen.map((x) => x.changesAt)), slowest: 'stream' in slowest ? slowest.stream : null, standbys };
  }

  /**
   * What a synchronous standby reports in its feedback for the commit level awaited (syncrep.c
   * SyncRepReleaseWaiters with walreceiver.c XLogWalRcvSendReply): remote_write its write position (received),
   * on its flush, remote_apply its replay (the startup process asks the walreceiver for a reply after it
   * replays a commit: xlogrecovery.c, XLogRequestWalReceiverReply). `wait` is how long after its commit a
   * transaction's WAL reaches that position; `changesAt` when the position's rate changes by itself.
   */
  private confirmed(pl: StreamPlan, mode: 'remote_write' | 'on' | 'remote_apply', now: Micros): { value: Lsn; rate: number; wait: number; changesAt: number } {
    const down = pl.stream.down;
    const latency = pl.stream.path.latency;
    if (mode === 'remote_write') return { value: down.walEnd(now), rate: pl.rate, wait: latency, changesAt: NEVER };
    const fsync = fsyncTime(down);
    if (mode === 'on') return { value: down.flushed(now, pl.rate), rate: pl.rate, wait: latency + fsync, changesAt: NEVER };
    // remote_apply: the replay position (replay.ts: the flush, held back by recovery_min_apply_delay, whose wait
    // counts from the commit time, and by the startup process's replay_rate, whose queue adds its backlog).
    const replay = this.cluster.replay;
    const r = replay.at(down, now, pl.rate);
    const wait = Math.max(down.settings.recoveryMinApplyDelay, latency + fsync) + replay.queueWait(down, r);
    return { value: r.lsn, rate: r.rate, wait, changesAt: r.changesAt };
  }

  /**
   * The connections each node admits (max_connections) and the transactions its capacity commits now
   * (load.ts), and what the connections can commit one at a time: pools share it by what they offer; when there
   * is room to spare, pools with a queue drain it (the room shared by their connections). Records in `limits`
   * when the connections bind. Returns what each pool gets, transactions per second.
   */
  private applyCapacity(load: Map<PgNode, WriterLoad>, refusals: ReadonlyMap<ClientPool, WriteCauseFact | null>, limits: Map<PgNode, CommitLimit>, now: Micros): Map<ClientPool, number> {
    const got = new Map<ClientPool, number>();
    // A cache goes cold at a start or a promotion: only the nodes whose run state or role changed are looked at.
    for (const n of this.cache.empty ? this.cluster.nodes.values() : this.cluster.cacheChanges.take()) this.cache.observe(n, now);
    for (const n of this.backlogged) n.service.walBacklog = 0;
    this.backlogged.length = 0;
    for (const p of this.pools) {
      const lost = p.queue.drop(now, refusals.get(p) === null ? p.target : null);
      if (lost > 0) this.cluster.ctx.history.requestRates({ cluster: this.cluster.name, workload: p.name }, now, { offered: p.rate, succeeded: 0, waited: 0, failed: 0 }, lost);
    }
    for (const [n, w] of load) {
      w.connections = Math.min(w.connections, admittedConnections(n));
      const walPerTx = averageWalPerTx(w.pools);
      const disk = diskLimit(n, walPerTx);
      // Each connection commits one transaction at a time, each taking the node's WAL flush and CPU (stretched
      // on a slowed node): connections / commit time per second at most (Little's law).
      const commit = localCommitTime(n);
      const local = (w.connections * PER_SECOND) / commit;
      const cap = Math.min(this.cache.capacity(n, now), disk, local);
      if (local < Math.min(this.cache.capacity(n, now), disk) && w.tx > local) {
        limits.set(n, { kind: 'connections', txPerSecond: roundFigure(local), connections: w.connections, commitMs: Math.round(commit / 100) / 10, slowdown: slowdownOf(n) });
      }
      // The disk binds: every connection's commit has its WAL in the disk's queue (what a new commit waits behind).
      if (w.tx >= disk) {
        n.service.walBacklog = Math.min(w.connections, w.pools.reduce((a, p) => a + p.connections, 0)) * walPerTx;
        this.backlogged.push(n);
      }
      const backlogged = w.pools.filter((p) => p.queue.at(now) > 0);
      // A queue drains with what the capacity and the connections leave; every connection of a pool with a
      // queue has a request, so they share the room by connections.
      const spare = cap - w.tx;
      const draining = backlogged.reduce((a, p) => a + p.connections, 0);
      for (const p of w.pools) {
        let x: number;
        if (spare <= 0) x = w.tx > 0 ? (cap * p.rate) / w.tx : 0;
        else if (!backlogged.includes(p)) x = p.rate;
        else x = p.rate + (spare * p.connections) / draining;
        got.set(p, x);
      }
      w.tx = [...got].filter(([p]) => w.pools.includes(p)).reduce((a, [, x]) => a + x, 0);
      w.bytes = w.pools.reduce((a, p) => a + (got.get(p)! * p.walPerTx) / PER_SECOND, 0);
    }
    return got;
  }

  /**
   * The transactions per second each pool gets committed now: its share of the capacity (applyCapacity), less
   * the share its node does not commit (a slowed node, synchronous standbys: `insert` against the bytes the
   * capacity let through). The rest waits in the pool's queue, as what the capacity holds back does.
   */
  private servedByPool(load: ReadonlyMap<PgNode, WriterLoad>, capped: ReadonlyMap<ClientPool, number>, insert: ReadonlyMap<PgNode, number>): Map<ClientPool, number> {
    const served = new Map<ClientPool, number>();
    for (const [n, w] of load) {
      let offered = 0;
      for (const p of w.pools) offered += (capped.get(p)! * p.walPerTx) / PER_SECOND;
      const ratio = this.terms.has(n) && offered > 0 ? (insert.get(n) ?? 0) / offered : 1;
      const committed = ratio > 1 - 1e-9 ? 1 : ratio;
      for (const p of w.pools) served.set(p, capped.get(p)! * committed);
    }
    return served;
  }

  /**
   * A crash of `n` loses its WAL past `flushed` (written but not flushed: synchronous_commit = off). Commits
   * acknowledged in it stay acknowledged in the term's record, which remembers where its WAL was cut and why;
   * the data-loss checker counts them lost even when the restarted node writes those LSNs again.
   */
  crashLoss(n: PgNode, flushed: Lsn, now: Micros, cause: Fact): void {
    const t = this.terms.get(n);
    if (!t) return;
    const v = Math.min(t.ack.valueAt(now), n.walEnd(now));
    const last = t.record.ackCurve.at(-1)!;
    if (v > last.lsn) t.record.ackCurve.push({ at: now, lsn: v });
    if (v > flushed) t.record.truncated = { lsn: flushed, at: now, cause };
  }

  /** Close the books at the end of the run: the last acknowledgement points. */
  finish(now: Micros): void {
    for (const t of this.terms.values()) {
      const v = Math.min(t.ack.valueAt(now), t.node.walEnd(now));
      const last = t.record.ackCurve.at(-1)!;
      if (v > last.lsn) t.record.ackCurve.push({ at: now, lsn: v });
    }
    for (const p of this.pools) {
      this.clients.noteQueueWait(p, now);
      this.cluster.ctx.history.setWriteStatus({ cluster: this.cluster.name, workload: p.name }, now, null, RUN_END);
    }
  }
  /**
   * Checked once per instant, after the rates are set (cheap: one pass over nodes, streams and terms): a
   * standby is never ahead of its upstream; WAL levels are never negative and never move back on a timeline; an acknowledgement never passes
   * the node's flush and never leaves more commits waiting than the clients have connections; each stream
   * is the one the downstream's walreceiver holds (a node is in exactly one receiver state).
   */
  /** Each node's WAL end at the last check and its timeline: WAL never moves back on a timeline. */
  private readonly lastEnd = new Map<PgNode, { readonly timeline: PgNode['wal']['timeline']; readonly lsn: number }>();

  /**
   * The node's WAL was cut on purpose (a crash lost what was not flushed; received WAL past a switchpoint
   * was given up for the new timeline): the next check starts from the new end.
   */
  walCut(n: PgNode): void {
    this.lastEnd.delete(n);
  }

  private checkStream(s: Stream, now: Micros): void {
    const d = s.down.walEnd(now);
    const u = s.up.walEnd(now);
    // A byte of slack, as for the order of a node's own WAL: positions are fluid, LSNs whole bytes.
    invariant(d <= u + 1 || s.limit !== null, () => `${s.down.name} at ${formatLsn(d)} (${d}) is ahead of its upstream ${s.up.name} at ${formatLsn(u)} (${u}) at +${now} µs on timeline ${s.timeline.tli}`);
    const role = s.down.role;
    invariant(role.kind === 'standby' && role.receiver.status === 'streaming' && role.receiver.stream === s, () => `${s.down.name} has a stream from ${s.up.name} but its walreceiver is ${role.kind === 'standby' ? role.receiver.status : 'absent (a primary)'}`);
    invariant((s.up.running || this.cluster.drains.has(s)) && s.down.running, () => `a stream ${s.up.name} -> ${s.down.name} outlives a server that is not running`);
  }

  private checkNode(n: PgNode, now: Micros): void {
    const end = n.walEnd(now);
    invariant(end >= 0 && Number.isFinite(end), () => `${n.name}: WAL level ${end} is negative or not finite`);
    // LSN order per timeline; a byte of slack for the fluid model's fractions.
    const prev = this.lastEnd.get(n);
    if (prev && prev.timeline === n.wal.timeline) {
      invariant(end >= prev.lsn - 1, () => `${n.name}: WAL moved back on timeline ${n.tli}, from ${formatLsn(prev.lsn)} (${prev.lsn}) to ${formatLsn(end)} (${end})`);
    }
    this.lastEnd.set(n, { timeline: n.wal.timeline, lsn: end });
    if (n.role.kind === 'standby' && n.role.receiver.status === 'streaming') {
      invariant(n.running && this.cluster.streams.has(n.role.receiver.stream), () => `${n.name}: walreceiver streaming without a stream (${n.run.state})`);
    }
  }

  private checkInvariants(now: Micros, scope: { fresh: readonly StreamPlan[]; rates: ReadonlyMap<PgNode, number> } | null): void {
    // Everything after a full recomputation (and always under the test suite: FULL_CHECKS); else what this
    // recomputation touched: the streams it planned and the nodes whose rate it set. The others evolve as they
    // were checked to (a level changes only through a jump or a rate, which replans what it feeds and chases).
    // One loop per kind of collection: when one for-of took a StreamIndex or an array, a Map's values or its
    // keys, its optimized code deoptimized ("wrong map") at every other kind, and was compiled again (about
    // five times per sweep worker: docs/performance.md, "Sweeps").
    if (scope) {
      for (const p of scope.fresh) this.checkStream(p.stream, now);
      for (const n of scope.rates.keys()) this.checkNode(n, now);
    } else {
      for (const s of this.cluster.streams) this.checkStream(s, now);
      for (const n of this.cluster.nodes.values()) this.checkNode(n, now);
    }
    for (const t of this.terms.values()) {
      const ack = t.ack.valueAt(now);
      const flush = t.node.walEnd(now);
      invariant(ack >= t.record.startLsn - 1e-6 && ack <= flush + 1e-6, () => `${t.node.name}: acknowledged ${ack} outside [${t.record.startLsn}, flush ${flush}] on timeline ${t.record.timeline.tli}`);
      // At most `connections` commits wait; the window's breakpoint lands on a whole microsecond, so allow
      // one more microsecond of WAL and one transaction.
      const orphaned = orphanedAt(t.orphans, ack);
      // A loop, not filter and reduce: an empty filter's array has another map than a filled one, and each
      // deoptimized this function (docs/performance.md, "Sweeps"). The same sum, in the same order.
      let connections = 0;
      for (const p of this.pools) if (p.target === t.node) connections += p.connections;
      const window = connections * t.walPerTx + orphaned;
      if (window > 0) {
        const left = orphaned > 0 ? ` and ${Math.round(orphaned)} bytes of commits whose clients left` : '';
        invariant(flush - ack <= window + t.node.wal.end.rate + t.walPerTx + 1, () => `${t.node.name}: ${flush - ack} bytes of commits wait, more than ${window} (connections x WAL per transaction${left})`);
      }
    }
  }
}


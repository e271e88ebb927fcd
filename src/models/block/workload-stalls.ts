/**
 * A block workload's writes as the application sees them, after each reflow: its backlog of writes waiting for
 * room in the replication path, its latency (linear between reflows, with a kink where the path's wait passes
 * the local write's), and the stalls and shortfalls that latency makes, with why they began (explain.ts), the
 * phases when the back-pressure path moves, and how they ended.
 */
import { NEVER, type Micros } from '../../engine/time.ts';
import type { BlockStallRecord, StallBottleneck } from '../../history/block.ts';
import type { WriteEndFact } from '../../history/facts/write-end.ts';
import type { StallStepFact } from '../../history/facts/stall.ts';
import { explainStall, pathCut, stallBottleneck, type FlowView, type WorkloadView } from './explain.ts';
import { writeQuantiles } from './latency.ts';
import type { BlockResource } from './resource.ts';
import { primaryDown, type ResourceFlow, type WorkloadState } from './state.ts';
import type { BlockWorld } from './world.ts';

/** Latency back above the threshold within this time continues the same stall. ASSUMPTION (how an operator counts incidents). */
const STALL_MERGE_GAP = 60_000_000;
/**
 * A workload whose writes complete at less than this share of its offer, with no write waiting past the stall
 * threshold, has a throughput shortfall (its queue depth caps the wait, so the rate falls instead). ASSUMPTION:
 * 5% short, below which a mean fluid rate is not worth an SRE's attention.
 */
const SHORTFALL_SHARE = 0.95;

/** Whether a stall phase's path is I/O frozen by DRBD (explain.ts pathCut). */
function frozenPhase(p: { readonly chain: readonly StallStepFact[] }): boolean {
  const k = p.chain[0]?.kind;
  return k === 'stall-io-suspended' || k === 'stall-frozen-no-quorum';
}

/** Backlog, latency and stalls of one workload; returns when its latency next crosses the threshold. */
export function trackWorkload(world: BlockWorld, w: WorkloadState, r: BlockResource, f: ResourceFlow, now: Micros, threshold: number): number {
  const s = w.spec;
  const work = f.work.get(s.name);
  if (!work || primaryDown(world, r) || w.outage) {
    closeShortfall(world, w, now);
    w.pendingStall = null;
    // Nothing completes while the application cannot write (its primary down, stopped for a switchover).
    world.ctx.history.block.sampleMoving(`${s.name} writes completed (/s)`, now, 0);
    w.backlog.setRate(now, 0);
    w.backlogBooks.flow(now, 0, 0);
    return NEVER;
  }
  // The application issues writes at `lambda` (its offer, or what queue_depth allows its local disk to
  // complete); `mu` of them enter the replication path (protocol A, md: complete). Writes a full send path
  // refuses wait in the backlog, at most queue_depth of them: then a new one is issued only as one enters
  // (a closed population; Little: latency = depth / completion rate).
  const lambda = work.issued / s.size;
  const mu = work.accepted / s.size;
  const b = w.backlog.valueAt(now);
  let backlogRate = b > 1e-6 || work.blocked ? lambda - mu : 0;
  if (backlogRate > 0 && b >= s.queueDepth - 1e-6) backlogRate = 0;
  if (backlogRate === 0) w.backlogBooks.flow(now, mu, mu);
  else w.backlogBooks.flow(now, lambda, mu);
  if (b <= 1e-6) w.backlogCause = backlogRate > 0 ? 'pipe' : null;
  w.backlog.setRate(now, backlogRate / 1e6);
  // A write completes when its local write is done and the replication path lets it (rule 1); those that
  // wait for room in the path wait their turn first.
  // The latency the previous rates led to (it moves linearly between reflows): a stall's worst latency is
  // at one end of each stretch, whether or not anything changed in between.
  const prev = w.lat;
  const carried = prev.value + prev.slope * ((now - prev.at) / 1e6);
  // What a stall records as the longest wait: the mean latency, but no write completing now can have waited
  // longer than the stall has lasted plus the threshold it crossed (an equilibrium taken at once may put the
  // mean at a day when the path all but stops; the writes waited for the clock).
  const observed = (v: number, from: Micros) => Math.min(v, threshold + (now - from) / 1e6);
  if (w.stall) world.ctx.history.block.latency(w.stall, observed(carried, w.stall.from));
  let value: number;
  let slope: number;
  /** What every write waits for besides its local disk write now (the replication path; all of it when nothing completes). */
  let pathWait: number;
  /** When the path's wait crosses the local write's (the latency's kink): the latency is linear only up to it. */
  let kink: number = NEVER;
  if (mu > 0) {
    const path = b / mu + work.repl;
    const pathSlope = work.replSlope + backlogRate / mu;
    pathWait = path;
    // A write waits for the later of its local write and its turn in the path: the latency follows the
    // path's wait while it is the longer (or is becoming so), else stays at the local write's.
    const onPath = path > work.local || (path === work.local && pathSlope > 0);
    value = onPath ? path : work.local;
    slope = onPath ? pathSlope : 0;
    if (onPath && pathSlope < 0) kink = Math.ceil(now + ((path - work.local) / -pathSlope) * 1e6);
    else if (!onPath && pathSlope > 0) kink = Math.ceil(now + ((work.local - path) / pathSlope) * 1e6);
  } else if (work.offered <= 0 && b <= 1e-6) {
    // No write offered and none waiting: nothing to wait for.
    value = 0;
    slope = 0;
    pathWait = 0;
  } else {
    // Nothing completes: the oldest write's wait grows with the clock.
    value = carried;
    slope = 1;
    pathWait = value;
  }
  if (w.stall) world.ctx.history.block.latency(w.stall, observed(value, w.stall.from));
  w.lat = { at: now, value, slope };
  const eps = 1e-9;
  const above = value > threshold + eps || (Math.abs(value - threshold) <= eps && slope > 0);
  // A Diskless Primary's I/O is its peer's (goesDiskless).
  const sol = world.solutions.get(r.diskless && r.secondaryDisk !== null ? r.secondaryDisk : r.primaryDisk);
  const peer = r.secondaryDisk ? (world.solutions.get(r.secondaryDisk) ?? null) : null;
  const view: WorkloadView = { name: s.name, offered: work.offered / s.size, accepted: mu, local: work.local, repl: work.repl, latency: value, queueDepth: s.queueDepth };
  const flow: FlowView = { x: f.x, lineCap: f.lineCap, lineBound: f.lineBound, drainCap: f.drainCap, appRepl: f.appRepl, appDemand: f.appDemand, resync: f.resync, sendFull: f.sendFull, peerFull: f.peerFull, sendCap: f.sendCap, alBytes: f.alBytes, rtt: f.rtt };
  // A frozen Primary puts no load on its disk (loads.ts), so its disk has no solution: the cut path explains it.
  const cut = sol ? null : pathCut(r, flow);
  const explain = () => (sol ? explainStall(r, view, flow, sol, peer, world.resyncPace(r), threshold, w.backlogCause === 'pipe') : cut ? { bottleneck: 'peer-unreachable' as const, chain: cut } : { bottleneck: 'local-disk' as const, chain: [{ kind: 'stall-no-primary-disk' as const }] });
  const open = (why: ReturnType<typeof explain>) => {
    w.stall = w.lastStall = world.ctx.history.block.openStall({ resource: r.name, workload: s.name, node: r.primaryHost, from: now, maxLatency: observed(value, now), bottleneck: why.bottleneck, chain: why.chain });
    world.log(r.name, r.primaryHost, 'writes', { kind: 'block-stall', workload: s.name, threshold, bottleneck: why.bottleneck, cause: why.chain[0]! });
  };
  // The mean latency is an equilibrium taken at once, but a write completing now has waited only since it was
  // issued, in order (FIFO): the latency of the writes completing rises at most 1 s per s. When the mean jumps
  // above the threshold (a resync or job starting, a slower disk or line), the first write that can have waited
  // longer completes (threshold − latency before) later: the stall opens then, if the mean is still above it.
  // (Its instant is a breakpoint of the workload, as the latency's kink is.)
  const rise = threshold - carried;
  if (above && !w.stall && w.pendingStall === null && !prev.steady && rise > 1e-6) w.pendingStall = (now + Math.ceil(rise * 1e6)) as Micros;
  if (above && !w.stall && (w.pendingStall === null || now >= w.pendingStall)) {
    w.pendingStall = null;
    const why = explain();
    if (w.lastStall && w.lastStall.to !== null && now - w.lastStall.to < STALL_MERGE_GAP) {
      // Latency dipped under the threshold only briefly: the same stall goes on (one incident, not many).
      w.stall = w.lastStall;
      world.ctx.history.block.reopenStall(w.stall);
      nextPhase(world, w.stall, why, now, observed(value, w.stall.from));
    } else open(why);
  } else if (above && w.stall && (stallBottleneck(r, view, flow, peer, w.backlogCause === 'pipe') !== w.stall.phases.at(-1)!.bottleneck || (r.frozen !== null) !== frozenPhase(w.stall.phases.at(-1)!))) {
    // Only a stall whose path moved needs its chain built (cheap check first: many volumes may stall at once).
    nextPhase(world, w.stall, explain(), now, observed(value, w.stall.from));
  }
  else if (!above && w.stall) closeStall(world, w, now, stallEnd(world, r, w.stall.from, now));
  else if (!above) w.pendingStall = null;
  // A throughput shortfall: writes complete well below the offer, yet each waits less than the threshold (the
  // queue depth caps what waits: depth / rate stays short while the rate falls), e.g. protocol C over a long
  // round trip. A stall's chain already says what completes of what is offered; none is recorded then.
  const offered = view.offered;
  if (!above && mu > 0 && offered > 0 && mu < offered * SHORTFALL_SHARE) {
    const sf = w.shortfall;
    if (!sf || mu / offered < (sf.achieved / sf.offered) * 0.99) {
      const why = explain();
      const chain: StallStepFact[] = why.chain.filter((f) => !('threshold' in f));
      chain.push({ kind: 'shortfall-queue-depth', queueDepth: s.queueDepth, accepted: mu, offered, threshold });
      const figures = { offered, achieved: mu, bottleneck: why.bottleneck, chain };
      if (sf) world.ctx.history.block.worseShortfall(sf, figures);
      else w.shortfall = world.ctx.history.block.openShortfall({ resource: r.name, workload: s.name, node: r.primaryHost, from: now, latency: value, ...figures });
    }
    // The longest mean wait while it lasts (the backlog of a full send path grows it to depth / rate).
    world.ctx.history.block.shortfallLatency(w.shortfall!, Math.max(value, carried));
  } else closeShortfall(world, w, now);
  // The latency moves at `slope` until the next change; a jump (up or down) gets a point just before it.
  world.ctx.history.block.sampleMoving(`${s.name} write latency (s)`, now, +value.toFixed(6), slope);
  // Percentiles: the local write's spread (the disk's queue) under the path's wait, the same for all.
  const q = writeQuantiles(world.solutions.get(r.walb ? r.walb.logDisk : r.primaryDisk), r.walb ? [`${r.name}|${s.name}|log`] : [`${r.name}|${s.name}|rw`, `${r.name}|${s.name}|sw`], pathWait);
  world.ctx.history.block.sampleMoving(`${s.name} write latency p50 (s)`, now, +(q ? q.p50 : value).toFixed(6), slope);
  world.ctx.history.block.sampleMoving(`${s.name} write latency p99 (s)`, now, +(q ? q.p99 : value).toFixed(6), slope);
  world.ctx.history.block.sampleMoving(`${s.name} writes completed (/s)`, now, +mu.toFixed(3));
  // The earliest of: the latency's kink, the latency crossing the threshold, the backlog emptying or
  // filling (a backlog left to drain past its empty time went negative).
  let next: number = kink;
  if (!w.stall && w.pendingStall === null && slope > 0) next = Math.min(next, Math.ceil(now + ((threshold - value) / slope) * 1e6));
  if ((w.stall || w.pendingStall !== null) && slope < 0) next = Math.min(next, Math.ceil(now + ((value - threshold) / -slope) * 1e6));
  if (w.pendingStall !== null) next = Math.min(next, w.pendingStall);
  if (backlogRate < 0) next = Math.min(next, Math.ceil(now + (b / -backlogRate) * 1e6));
  if (backlogRate > 0) next = Math.min(next, Math.ceil(now + ((s.queueDepth - b) / backlogRate) * 1e6));
  return next;
}

/** A stall whose back-pressure path now ends elsewhere (the buffers filled, a job ended, I/O froze) goes on with a new phase. */
function nextPhase(world: BlockWorld, stall: BlockStallRecord, why: { bottleneck: StallBottleneck; chain: readonly StallStepFact[] }, now: Micros, value: number): void {
  const last = stall.phases.at(-1)!;
  // A cut path that DRBD then freezes (fencing resource-and-stonith, no quorum) is another phase: its writes
  // no longer go on alone once DRBD gives up on the peer.
  if (last.bottleneck === why.bottleneck && frozenPhase(last) === frozenPhase(why)) return;
  world.ctx.history.block.addPhase(stall, { from: now, bottleneck: why.bottleneck, chain: why.chain, maxLatency: value });
  world.log(stall.resource, stall.node, 'writes', { kind: 'block-stall-phase', workload: stall.workload, bottleneck: why.bottleneck, cause: why.chain[0]! });
}

/**
 * A shortfall ends. One shorter than the stall threshold is dropped (ASSUMPTION: a dip the threshold would
 * not flag as a stall either, e.g. the instant a buffer fills before the application's queue depth holds it back).
 */
export function closeShortfall(world: BlockWorld, w: WorkloadState, now: Micros): void {
  if (!w.shortfall) return;
  world.ctx.history.block.closeShortfall(w.shortfall, now, now - w.shortfall.from < world.ctx.stallThreshold);
  w.shortfall = null;
}

export function closeStall(world: BlockWorld, w: WorkloadState, now: Micros, end: WriteEndFact): void {
  if (!w.stall) return;
  world.ctx.history.block.closeStall(w.stall, now, end);
  w.stall = null;
}

/**
 * Why a stall that began at `from` ends now, as the resource's state shows it: the fence-peer handler
 * resumed its frozen I/O now; DRBD dropped the connection since (on-congestion disconnect, ko-count, a
 * timeout: its reason); it went Ahead since (on-congestion pull-ahead); else the path eased (after the last
 * change that can relieve it, BlockWorld.changes).
 */
function stallEnd(world: BlockWorld, r: BlockResource, from: Micros, now: Micros): WriteEndFact {
  if (r.resumedAt === now) return { kind: 'end-fence-peer-returned', resource: r.name, peer: r.secondaryHost, rule: 'drbd_nl.c:conn_try_outdate_peer' };
  const c = r.conn;
  if ((c.kind === 'StandAlone' || c.kind === 'Connecting') && c.since >= from) return { kind: 'end-block-disconnected', resource: r.name, reason: c.reason };
  if (c.kind === 'Ahead' && c.since >= from) return { kind: 'end-block-ahead', resource: r.name };
  const ch = world.changes.get(r.name);
  return ch && ch.at >= from ? { kind: 'end-block-eased', resource: r.name, after: ch.what, at: ch.at } : { kind: 'end-block-eased', resource: r.name };
}

/**
 * The rates of one replicated device's path at an instant (../shared/domain/drbd-tcp-disk.md rules 1–6, 8,
 * 9, 16, 17): how much of the application's writes enters the send path, the resync's share of the data
 * socket, the line's rate, what the peer drains, and the latency each write sees. Computed from the disk
 * solutions and the buffers' levels; the levels themselves change only in BlockWorld.
 */
import type { Micros } from '../../engine/time.ts';
import type { DiskSolution } from '../disk/queue.ts';
import { inFlight, rtt, tcpCapacity } from '../tcp/connection.ts';
import { alBound } from './activity-log.ts';
import { resyncDemandNow, resyncRequestSize } from './loads.ts';
import { PAGE_SIZE, type BlockResource } from './resource.ts';
import { EPS_BYTES, emptyFlow, primaryDown, type BlockView, type ResourceFlow } from './state.ts';

export function flowOf(v: BlockView, r: BlockResource, now: Micros, sols: ReadonlyMap<string, DiskSolution>, drainCap: number): ResourceFlow {
  const f = emptyFlow();
  f.drainCap = drainCap;
  const path = v.pathUp(r);
  if (primaryDown(v, r)) return f;
  if (r.frozen) {
    // fencing resource-and-stonith: I/O is suspended until the fence-peer handler returns; nothing completes.
    for (const w of v.workloadsOf(r)) f.work.set(w.spec.name, { offered: w.spec.iops * (1 - w.spec.readShare) * w.spec.size, accepted: 0, issued: 0, local: 0, repl: 0, replSlope: 0, blocked: true });
    return f;
  }
  const tcp = path ? r.tcp(path.bandwidth, path.latency, path.loss) : null;
  const cap = tcp ? tcpCapacity(tcp) : { rate: 0, bound: 'line' as const };
  f.rtt = tcp ? rtt(tcp) : 0;
  f.lineCap = cap.rate;
  f.lineBound = !path
    ? { kind: 'no-path' }
    : cap.bound === 'line'
      ? { kind: 'line', bandwidth: path.bandwidth }
      : cap.bound === 'packet-loss'
        ? { kind: 'packet-loss', loss: path.loss, rtt: f.rtt, bandwidth: path.bandwidth }
        : cap.bound === 'receive-window'
        ? { kind: 'receive-window', rcvbuf: tcp!.rcvbuf, rtt: f.rtt }
        : { kind: 'send-buffer', sndbuf: tcp!.sndbuf, rtt: f.rtt };
  const local = sols.get(r.primaryDisk);
  const wb = r.walb;
  const logSol = wb ? sols.get(wb.logDisk) : undefined;
  let appWant = 0;
  const wants = new Map<string, { offered: number; want: number; issueCap: number; local: number; size: number; pipeBacklog: boolean; closed: boolean; population: number; backlog: number }>();
  for (const w of v.workloadsOf(r)) {
    const s = w.spec;
    // Demoted for a switchover (switchover.ts): the application is stopped; what is queued still drains.
    const offered = r.demoted ? 0 : s.iops * (1 - s.readShare) * s.size;
    const ids = wb ? [`${r.name}|${s.name}|log`] : ['rw', 'sw'].map((k) => `${r.name}|${s.name}|${k}`);
    const sol = wb ? logSol : local;
    // The local writes: their latency, and what the application's queue_depth allows the disk to complete
    // (a closed population: depth / response time, Little's law). WalB completes a write when its logpack
    // is on the log device (§4 "fast" algorithm).
    let writeRate = 0;
    let latSum = 0;
    let capReq = 0;
    for (const id of ids) {
      const st = sol?.streams.get(id);
      if (!st) continue;
      writeRate += st.rate;
      latSum += st.latency * st.rate;
      const share = id.endsWith('|rw') ? s.random : id.endsWith('|sw') ? 1 - s.random : 1;
      capReq += st.latency > 0 ? (s.queueDepth * share) / st.latency : Infinity;
    }
    const localLat = writeRate > 0 ? latSum / writeRate : 0;
    // A disk that serves none of them (open reads overload it: the writes queue behind a backlog that only
    // grows) completes none: their wait grows with the clock (workload-stalls.ts trackWorkload).
    const starved = offered > 0 && sol !== undefined && writeRate === 0 && ids.some((id) => sol.streams.has(id));
    const issueCap = starved ? 0 : Math.min(offered, writeRate > 0 ? capReq * s.size : offered);
    const b = w.backlog.valueAt(now);
    // Writes waiting for room in a full send path (their local writes are done) enter as fast as the path
    // takes them (rule 2: FIFO behind the sender), whatever the offer.
    const pipeBacklog = b > 1e-6 && w.backlogCause === 'pipe';
    const want = pipeBacklog ? Math.max(offered, cap.rate) : issueCap;
    const closed = b >= s.queueDepth - 1e-6;
    wants.set(s.name, { offered, want, issueCap, local: localLat, size: s.size, pipeBacklog, closed, population: s.queueDepth * s.size, backlog: b * s.size });
    appWant += want;
  }
  const rsStream = local?.streams.get(`${r.name}|rs`);
  const rsBytes = rsStream ? rsStream.rate * resyncRequestSize(r, now) : 0;
  const repl = r.replicating;
  // DRBD still connected over a dead link (before it notices, BlockWorld.onNetworkChange): the line carries
  // nothing (cap 0), so what waits for the peer waits; md and WalB disconnect at once.
  const transmitting = r.transmitting && (path !== null || r.drbd !== null) && r.secondaryHost !== null && !v.failedHosts.has(r.secondaryHost);
  const sizeOfWrites = [...wants.values()][0]?.size ?? PAGE_SIZE;
  const prev = v.previousFlow(r);
  const prevX = prev?.x ?? 0;
  // DRBD's activity log: writes in flight hold their extents (activity-log.ts).
  const d = r.drbd;
  f.alBytes = alBound(d ? d.disk : null, v.workloadsOf(r).map((w) => w.spec));
  // The writes in the peer's queue hold their extents too (until the barrier ack): the send path has what is left.
  f.sendCap = r.sendCapacity(sizeOfWrites, tcp ? inFlight(tcp, prevX) : 0, f.alBytes - r.peerQ.valueAt(now));
  // A smaller bound (sndbuf-size adjusted down; md's window of write-behind requests when the write size
  // shrinks) does not evict what the path already holds: the old bound stands until it has drained.
  const prevBound = prev?.sendBound ?? 0;
  f.sendBound = Math.max(r.sendBound(sizeOfWrites, f.alBytes), r.sendQ.valueAt(now) > EPS_BYTES ? prevBound : 0);
  f.peerCap = r.peerCapacity();
  const sendQ = r.sendQ.valueAt(now);
  const peerQ = r.peerQ.valueAt(now);
  // No room at all (a line bound by the send buffer over the round trip has all of it in flight, md with
  // write-behind 0) is full: writes wait for what the line acknowledges (rule 2), they do not queue unbounded.
  f.sendFull = sendQ >= f.sendCap - EPS_BYTES;
  f.peerFull = peerQ >= f.peerCap - EPS_BYTES;
  let aRep = repl ? appWant : 0;
  let resync = rsBytes;
  /** What the application wanted to replicate before a full send buffer throttled it. */
  let demanded: number | undefined;
  let accepted = appWant;
  /** A full send path refused writes (they wait in the workload's backlog). */
  let pathFull = false;
  /** Protocol B/C: the path holds the application's whole queue_depth; what it admits (bytes/s). */
  let closedPath: number | null = null;
  if (wb) {
    // WalB: the ring takes every write; the line carries the full backup or the logs (rule 16).
    const scan = r.conn.kind === 'SyncSource';
    const xMax = transmitting ? (f.peerFull ? Math.min(cap.rate, drainCap) : cap.rate) : 0;
    if (scan) {
      resync = Math.min(rsBytes, xMax);
      f.x = resync;
      f.sendRate = appWant;
    } else if (r.conn.kind === 'Connected' && transmitting) {
      f.x = sendQ > EPS_BYTES ? xMax : Math.min(appWant, xMax);
      f.sendRate = appWant - f.x;
      resync = 0;
    } else {
      f.x = 0;
      f.sendRate = r.overflowed ? 0 : appWant;
      resync = 0;
    }
    aRep = f.sendRate + f.x - resync;
    f.drain = peerQ > EPS_BYTES ? drainCap : Math.min(f.x, drainCap);
    f.peerRate = f.x - f.drain;
    if (r.overflowed) f.sendRate = 0;
  } else if (!transmitting) {
    aRep = 0;
    resync = 0;
    f.x = 0;
    f.sendRate = 0;
    f.peerRate = 0;
  } else {
    const xMax = f.peerFull ? Math.min(cap.rate, drainCap) : cap.rate;
    // Protocol B and C: a write in the path is outstanding (it completes once the peer received or wrote
    // it), so the application's queue_depth bounds what the path holds of its writes (Little's law, issue
    // 12 point 2): once the path holds every write the application may have outstanding, less those in
    // service (on the line, at the peer's disk) and those waiting for room, it issues a new one only as one
    // completes, at the application's share of what leaves the path.
    const d = r.drbd;
    if (repl && d && d.net.protocol !== 'A') {
      const peerSol = r.secondaryDisk ? sols.get(r.secondaryDisk) : undefined;
      let population = 0;
      let inService = 0;
      for (const [name, w] of wants) {
        const rcv = peerSol?.streams.get(`${r.name}|rcv|${name}|rw`) ?? peerSol?.streams.get(`${r.name}|rcv|${name}|sw`);
        const service = f.rtt + (d.net.protocol === 'C' ? (rcv?.latency ?? 0) : 0);
        const rate = prev?.work.get(name)?.accepted ?? 0;
        population += w.population - w.backlog;
        inService += rate * service;
      }
      const room = Math.max(0, population - inService);
      f.populationRoom = room;
      if (r.pipeApp.valueAt(now) >= room - EPS_BYTES) {
        // C's writes leave the path as the peer's disk writes them. B's as its receiver takes them in: into
        // free max-buffers pages at once, but once those are all in use only as the disk frees them
        // (drbd_receiver.c __drbd_alloc_pages throttles the receiver; rule 5), the rest waiting unacknowledged
        // in its socket.
        const receiverBound = d.net.protocol === 'C' || peerQ >= r.peerDiskWindow() - EPS_BYTES;
        const exit = receiverBound ? Math.min(xMax, drainCap) : xMax;
        closedPath = Math.min(appWant, Math.max(0, exit - (prev?.resync ?? resync)));
        aRep = closedPath;
        accepted = aRep;
      }
    }
    // The resync keeps at most `window` bytes requested and not yet received (rule 9); the rest of the
    // path is the application's. When the peer or the line cannot take both, the socket queue grows
    // until the resync, slowed by it (Little's law: r = window / delay), leaves room for the
    // application: an equilibrium, computed here rather than approached through a cascade of events.
    // Only if that queue would not fit in the send buffer (and the peer's receive buffer) does the
    // buffer fill and block the application (rules 2, 5).
    const demand = resyncDemandNow(v, r, now);
    const window = demand.window;
    const bottleneck = Math.min(cap.rate, drainCap);
    const tRs = rsStream ? rsStream.latency + f.rtt : f.rtt;
    const rFree = resync > 0 ? Math.min(demand.maxRate * demand.size, window / tRs) : 0;
    if (resync > 0 && aRep + rFree > bottleneck) {
      const qCap = f.sendCap + (drainCap < cap.rate ? (r.drbd?.net.rcvbufSize ?? 0) : 0);
      const rEq = bottleneck - aRep;
      const qEq = rEq > 0 ? bottleneck * (window / rEq - tRs) : Infinity;
      if (qEq <= qCap) {
        f.queueDelay = Math.max(0, qEq) / bottleneck;
        resync = Math.max(0, rEq);
      } else {
        f.queueDelay = qCap / bottleneck;
        f.blocking = true;
        resync = Math.min(rFree, window / (tRs + f.queueDelay));
      }
    } else if (resync > 0) resync = rFree;
    if (aRep > bottleneck) f.blocking = true;
    const inOff = aRep + resync;
    demanded = [...wants.values()].reduce((a, w) => a + (w.pipeBacklog ? w.offered : w.want), 0);
    f.x = sendQ > EPS_BYTES ? xMax : Math.min(inOff, xMax);
    f.drain = peerQ > EPS_BYTES ? drainCap : Math.min(f.x, drainCap);
    if (f.sendFull && inOff > f.x) {
      // A full send buffer admits only what leaves it (rule 2). The resync keeps its share (its window
      // already paid the buffer's queue); the application gets the rest.
      resync = Math.min(resync, f.x);
      aRep = repl ? Math.max(0, f.x - resync) : 0;
      accepted = repl ? aRep : appWant;
      pathFull = repl;
      f.sendRate = 0;
    } else f.sendRate = inOff - f.x;
    f.peerRate = f.x - f.drain;
  }
  f.appRepl = aRep;
  f.appDemand = demanded ?? aRep;
  f.resync = resync;
  f.closedPath = closedPath !== null;
  // Replication latency for protocols that wait for the peer (rule 1). md's writes once its behind window
  // is full wait for room in it, like protocol A's for room in the send buffer (the backlog, rule 17).
  const peerSol = r.secondaryDisk ? sols.get(r.secondaryDisk) : undefined;
  const waitsForPeer = repl && transmitting && d !== null && d.net.protocol !== 'A';
  for (const [name, w] of wants) {
    const share = appWant > 0 ? w.want / appWant : 0;
    let replLat = 0;
    let replSlope = 0;
    if (waitsForPeer && f.x > 0) {
      replLat = f.rtt + sendQ / f.x;
      replSlope = f.sendRate / f.x;
      if (d.net.protocol === 'C') {
        const rcv = peerSol?.streams.get(`${r.name}|rcv|${name}|rw`) ?? peerSol?.streams.get(`${r.name}|rcv|${name}|sw`);
        const drain = f.drain > 0 ? f.drain : drainCap;
        replLat += (drain > 0 ? Math.max(0, peerQ - r.peerDiskWindow()) / drain : 0) + (rcv?.latency ?? 0);
        replSlope += f.peerFull || peerQ > r.peerDiskWindow() ? f.peerRate / Math.max(drain, 1) : 0;
      }
    }
    const acc = Math.min(w.want, accepted * share);
    // Protocol B behind a receiver whose max-buffers are all in use: the application's writes wait in the
    // peer's socket until the disk frees pages, queue_depth of them completing at the rate the disk drains
    // (Little's law, as behind a full send buffer), while that holds the application back.
    if (waitsForPeer && d.net.protocol === 'B' && closedPath !== null && peerQ >= r.peerDiskWindow() - EPS_BYTES && acc > 0 && acc < w.want - 1e-9) replLat = Math.max(replLat, w.population / acc);
    // The local disk wrote a write when it was issued: a write waiting for the send path is written already;
    // with queue_depth of them waiting, a new one is issued only as one completes.
    const issued = w.pipeBacklog ? (w.closed ? Math.min(acc, w.issueCap) : w.issueCap) : pathFull ? w.issueCap : acc;
    f.work.set(name, { offered: w.offered, accepted: acc, issued, local: w.local, repl: replLat, replSlope, blocked: pathFull && acc < w.want - 1e-9 });
  }
  return f;
}

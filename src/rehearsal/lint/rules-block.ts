/** Lint rules on DRBD: the send buffer of protocol A, and the resync rate against the primary disk's headroom. */
import type { Micros } from '../../engine/time.ts';
import { solveDisk, type DiskStream } from '../../models/disk/queue.ts';
import { alBound } from '../../models/block/activity-log.ts';
import { tcpCapacity } from '../../models/tcp/connection.ts';
import { count, duration, percent, rate, size } from '../../report/format.ts';
import type { IoWorkloadSpec } from '../../scenario/types-block.ts';
import type { BlockFacts, Finding, Where } from './types.ts';
import { type Rule, at, finding } from './rules-common.ts';

// ---------------------------------------------------------------------------------------------------------
// 5 and 6. DRBD: the send buffer of protocol A, and the resync rate against the primary disk's headroom.

/** A workload's write bytes per second. */
export function writeBytes(w: IoWorkloadSpec): number {
  return w.iops * (1 - w.readShare) * w.size;
}

/** The workloads of a resource at each time a step changes them (the first entry: at the start). */
export function workloadsOverTime(b: BlockFacts, resource: string): { at: Micros; workloads: IoWorkloadSpec[]; where: Where | null }[] {
  let cur = b.workloads.filter((w) => w.resource === resource);
  const out: { at: Micros; workloads: IoWorkloadSpec[]; where: Where | null }[] = [{ at: 0 as Micros, workloads: cur, where: null }];
  for (const st of b.steps) {
    if (st.kind !== 'workload' || !cur.some((w) => w.name === st.workload)) continue;
    cur = cur.map((w) => (w.name !== st.workload ? w : { ...w, ...(st.iops !== undefined ? { iops: st.iops } : {}), ...(st.readShare !== undefined ? { readShare: st.readShare } : {}), ...(st.random !== undefined ? { random: st.random } : {}), ...(st.size !== undefined ? { size: st.size } : {}) }));
    out.push({ at: st.at, workloads: cur, where: st.where });
  }
  return out;
}

/** The phase of a resource's workloads that writes the most, and its write bytes per second (0: none). */
export function busiestPhase(b: BlockFacts, resource: string): { workloads: IoWorkloadSpec[]; bytes: number } {
  const phases = workloadsOverTime(b, resource);
  const bytes = phases.map((p) => p.workloads.reduce((a, w) => a + writeBytes(w), 0));
  const peak = Math.max(0, ...bytes);
  return { workloads: phases[bytes.indexOf(peak)]?.workloads ?? [], bytes: peak };
}

export const drbdSendBuffer: Rule = {
  id: 'drbd-sndbuf-too-small',
  title: 'DRBD protocol A with on-congestion block and a send buffer holding less than N seconds of peak writes',
  check(f) {
    if (!f.block) return [];
    const out: Finding[] = [];
    for (const r of f.block.resources) {
      const rep = r.spec.replication;
      if (rep.kind !== 'drbd' || rep.net.protocol !== 'A' || rep.net.onCongestion !== 'block') continue;
      const { workloads, bytes: peak } = busiestPhase(f.block, r.spec.name);
      if (peak <= 0) continue;
      const sndbuf = rep.net.sndbufSize;
      // The activity log may hold fewer writes in flight than the send buffer does (models/block/activity-log.ts).
      const al = alBound(rep.disk, workloads);
      const held = Math.min(sndbuf, al);
      const what = al < sndbuf ? `the activity log (al-extents ${count(rep.disk.alExtents)}) holds ${size(al)} of these writes in flight, less than the ${size(sndbuf)} send buffer: it` : `the ${size(sndbuf)} send buffer`;
      const seconds = held / peak;
      const source = 'DRBD user guide: protocol A, sndbuf-size, on-congestion (block is the default); drbd-tcp-disk.md §2, rules 2, 3 and 8';
      if (r.line) {
        const cap = tcpCapacity({ bandwidth: r.line.bandwidth, latency: r.line.latency, sndbuf, rcvbuf: rep.net.rcvbufSize || Number.POSITIVE_INFINITY });
        if (peak > cap.rate) {
          out.push(finding('drbd-sndbuf-too-small', 'error', r.where, `${r.spec.name}: peak writes of ${rate(peak)} exceed what the connection carries (${rate(cap.rate)}, bound by the ${cap.bound}); ${what} fills in ${duration(held / (peak - cap.rate))} and then every write waits for the line`, `Protocol A completes a write once it is in the TCP send buffer; with on-congestion block a full buffer blocks the application's writes until the line drains it. pull-ahead (with congestion-fill) or a DRBD Proxy buffer lets the primary run ahead instead.`, source));
          continue;
        }
      }
      if (seconds < f.options.minBufferSeconds) {
        out.push(finding('drbd-sndbuf-too-small', 'warning', r.where, `${r.spec.name}: ${what} holds ${duration(seconds)} of peak writes (${rate(peak)}), less than ${duration(f.options.minBufferSeconds)}`, `With protocol A and on-congestion block, any pause of the line or of the peer's disk longer than ${duration(seconds)} (a resync, a backup on the secondary, a RAID initialisation) fills the send buffer and the application's writes block. Raise sndbuf-size, or use on-congestion pull-ahead with congestion-fill, or a DRBD Proxy.`, source));
      }
    }
    return out;
  },
};

/** Application streams on the primary disk, as the block world offers them (open streams by op and pattern). */
function applicationStreams(workloads: readonly IoWorkloadSpec[]): DiskStream[] {
  const out: DiskStream[] = [];
  for (const w of workloads) {
    const reads = w.iops * w.readShare;
    const writes = w.iops * (1 - w.readShare);
    const add = (id: string, op: 'read' | 'write', pattern: 'random' | 'sequential', r: number) => {
      if (r > 0) out.push({ id: `${w.name}|${id}`, label: 'application I/O', io: { op, size: w.size, pattern }, demand: { kind: 'open', rate: r } });
    };
    add('rr', 'read', 'random', reads * w.random);
    add('sr', 'read', 'sequential', reads * (1 - w.random));
    add('rw', 'write', 'random', writes * w.random);
    add('sw', 'write', 'sequential', writes * (1 - w.random));
  }
  return out;
}

/** How a resource's resync goes over the plan: when one runs, at which rate, reading in order or scattered. */
interface ResyncPhase {
  readonly at: Micros;
  readonly rate: number | null;
  readonly pattern: 'sequential' | 'random';
  readonly ioSize: number;
  readonly workloads: readonly IoWorkloadSpec[];
  readonly where: Where;
}

/**
 * The resync periods of a resource, estimated along the plan: the initial full sync of a resource that
 * starts unconnected reads the device in order and goes on where it stopped after a disconnect; once it is
 * done, a disconnect marks what the application writes meanwhile (at most its working set) and the next
 * connect resyncs those blocks, scattered as the writes were (ASSUMPTION: random when most writes are). The
 * amounts move at the resync rate; the model (bitmap.ts, world.ts) replays them exactly.
 */
function resyncPhases(b: BlockFacts, r: BlockFacts['resources'][number]): ResyncPhase[] {
  const rep = r.spec.replication;
  if (rep.kind !== 'drbd') return [];
  const loads = workloadsOverTime(b, r.spec.name);
  let load = loads[0]!.workloads;
  let fixedRate: number | null = rep.disk.cPlanAhead === 0 ? rep.disk.resyncRate : null;
  let progressRate = rep.disk.resyncRate;
  let connected = r.spec.startConnected;
  let full = r.spec.startConnected ? 0 : r.spec.size;
  let dirty = 0;
  let scattered = false;
  let t = 0;
  const out: ResyncPhase[] = [];
  const writes = () => load.reduce((a, w) => a + writeBytes(w), 0);
  const randomShare = () => load.reduce((a, w) => a + w.random * writeBytes(w), 0) / Math.max(1e-9, writes());
  const workingSet = () => load.reduce((a, w) => a + w.workingSet, 0);
  const advance = (to: Micros) => {
    const dt = (to - t) / 1e6;
    if (connected) {
      if (full > 0) full = Math.max(0, full - progressRate * dt);
      else dirty = Math.max(0, dirty - progressRate * dt);
    } else if (full === 0) dirty = Math.min(workingSet(), dirty + writes() * dt);
    t = to;
  };
  const running = () => connected && (full > 0 || dirty > 0);
  const phase = (where: Where) => {
    if (!running()) return;
    const seq = full > 0 || !scattered;
    out.push({ at: t as Micros, rate: fixedRate, pattern: seq ? 'sequential' : 'random', ioSize: seq ? r.spec.maxBioSize : Math.max(4096, ...load.map((w) => w.size)), workloads: load, where });
  };
  for (const st of b.steps) {
    if ('resource' in st && st.resource !== r.spec.name) continue;
    advance(st.at);
    if (st.kind === 'connect') {
      if (!connected && full === 0 && dirty > 0) scattered = randomShare() > 0.5;
      connected = true;
      phase(st.where);
    } else if (st.kind === 'disconnect') connected = false;
    else if (st.kind === 'resync-rate') {
      fixedRate = (st.planAhead ?? (fixedRate === null ? 1 : 0)) === 0 ? st.rate : null;
      progressRate = st.rate;
      phase(st.where);
    } else {
      const l = loads.find((x) => x.where === st.where);
      if (!l) continue;
      load = l.workloads;
      phase(st.where);
    }
  }
  return out;
}

/**
 * The application's mean write latency on its disk with a resync beside it: the resync as the block world
 * offers it (world.ts resyncDemand: a closed stream of at most max-buffers/2 pages in flight, capped at the
 * resync rate, with the round trip outside the disk), solved with the disk model (solveDisk).
 */
function appWriteLatency(disk: NonNullable<BlockFacts['resources'][number]['primaryDisk']>, workloads: readonly IoWorkloadSpec[], resync: { rate: number; size: number; pattern: 'sequential' | 'random'; window: number; rtt: number } | null): number {
  const app = applicationStreams(workloads);
  const streams = resync ? [...app, { id: 'rs', label: 'resync reads', io: { op: 'read' as const, size: resync.size, pattern: resync.pattern }, demand: { kind: 'closed' as const, window: resync.window, maxRate: resync.rate / resync.size, extraDelay: resync.rtt } }] : app;
  const sol = solveDisk({ spec: disk, streams, shares: [] });
  let worst = 0;
  for (const st of app) if (st.io.op === 'write') worst = Math.max(worst, sol.overloaded ? Number.POSITIVE_INFINITY : sol.streams.get(st.id)!.latency);
  return worst;
}

export const resyncHeadroom: Rule = {
  id: 'resync-rate-above-headroom',
  title: "a resync rate above the primary disk's headroom for the workload's random share",
  check(f) {
    if (!f.block) return [];
    const out: Finding[] = [];
    const threshold = f.stallThreshold / 1e6;
    for (const r of f.block.resources) {
      const rep = r.spec.replication;
      if (!r.primaryDisk || rep.kind !== 'drbd') continue;
      const disk = r.primaryDisk;
      const window = (rep.net.maxBuffers / 2) * 4096;
      const rtt = r.line ? (2 * r.line.latency) / 1e6 : 0;
      for (const p of resyncPhases(f.block, r)) {
        if (p.rate === null || p.rate <= 0) continue;
        const alone = appWriteLatency(disk, p.workloads, null);
        const resync = (rate: number) => ({ rate, size: p.ioSize, pattern: p.pattern, window, rtt });
        const latency = appWriteLatency(disk, p.workloads, resync(p.rate));
        if (alone > threshold || latency <= threshold) continue;
        // The headroom: the largest rate that keeps the application's writes under the stall threshold.
        let lo = 0;
        let hi = p.rate;
        for (let k = 0; k < 40; k++) {
          const mid = (lo + hi) / 2;
          if (appWriteLatency(disk, p.workloads, resync(mid)) <= threshold) lo = mid;
          else hi = mid;
        }
        const iops = p.workloads.reduce((a, w) => a + w.iops, 0);
        const randomWrites = p.workloads.reduce((a, w) => a + w.random * writeBytes(w), 0) / Math.max(1e-9, p.workloads.reduce((a, w) => a + writeBytes(w), 0));
        out.push(
          finding(
            'resync-rate-above-headroom',
            'error',
            p.where,
            `${r.spec.name}: a resync at ${rate(p.rate)} from ${at(f, p.at)} leaves ${disk.name} room for the application's ${count(Math.round(iops))} I/O/s (${percent(randomWrites)} of writes random) only below ${rate(lo)} of ${p.pattern} resync reads`,
            `With the resync the application's writes wait ${Number.isFinite(latency) ? `${duration(latency)} on average` : 'without bound (the disk is overloaded)'} on ${disk.name}, against ${duration(alone)} without it and a stall threshold of ${duration(threshold)}. The resync reads ${size(p.ioSize)} at a time${p.pattern === 'random' ? ' (the blocks dirtied while disconnected, scattered as the random writes were)' : ' (a full sync reads in order)'}, up to ${size(window)} in flight. Lower resync-rate to the headroom, or use the dynamic controller with c-min-rate so application I/O throttles the resync.`,
            'drbd-tcp-disk.md §3.4-3.6 and §7.4 (M/G/1 per member, rules 9, 14 and 18); DRBD user guide: resync-rate, c-plan-ahead, c-min-rate',
          ),
        );
      }
    }
    return out;
  },
};

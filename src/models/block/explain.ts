/**
 * Cause chains for write stalls: one fact per step along the back-pressure path, root first (Elle-style,
 * ../shared/STYLE.md), e.g. the peer's RAID initialisation takes 30% of its disk → its write capacity is
 * below the incoming replication → max-buffers fill, the window closes → the send buffer fills in 76 ms →
 * protocol A writes block. Built from the flow computed at the instant the stall begins.
 */
import type { StallBottleneck } from '../../history/block.ts';
import type { DiskSolution } from '../disk/queue.ts';
import type { DiskSpec } from '../disk/device.ts';
import type { DiskUse, LineBound, ResyncPace, StallDisk, StallStepFact } from '../../history/facts/stall.ts';
import type { BlockResource } from './resource.ts';
import { PAGE_SIZE } from './resource.ts';

export interface FlowView {
  /** Bytes/s on the line, the line's bound and its reason. */
  readonly x: number;
  readonly lineCap: number;
  readonly lineBound: LineBound;
  /** The peer's write capacity for replicated data (bytes/s). */
  readonly drainCap: number;
  readonly appRepl: number;
  /** What the application wants to replicate before back-pressure throttles it (bytes/s). */
  readonly appDemand: number;
  readonly resync: number;
  readonly sendFull: boolean;
  readonly peerFull: boolean;
  readonly sendCap: number;
  /** What DRBD's activity log lets be in flight (bytes; Infinity when it does not bound it). */
  readonly alBytes: number;
  /** The round trip between the hosts (s). */
  readonly rtt?: number;
}

export interface WorkloadView {
  readonly name: string;
  /** Write requests/s the application offers, and those completing. */
  readonly offered: number;
  readonly accepted: number;
  readonly local: number;
  readonly repl: number;
  readonly latency: number;
  /** Writes the application keeps outstanding at most. */
  readonly queueDepth: number;
}

/**
 * Who uses a disk's time and how much ("background initialisation 30%, backup 40%, application I/O 25%"), largest
 * first: shares as the queue applied them (their total capped: queue.ts MAX_SHARE), and the streams' time within
 * what the shares leave (an overloaded queue's streams are reported at its cap): the parts add up to at most 100%.
 */
export function diskUse(sol: DiskSolution): DiskUse {
  const asked = sol.shares.reduce((a, s) => a + s.share, 0);
  const shareScale = asked > 0 ? Math.min(1, sol.shareTotal / asked) : 1;
  const parts: { label: string; share: number; fixed: boolean }[] = sol.shares.map((s) => ({ label: s.label, share: s.share * shareScale, fixed: true }));
  const byLabel = new Map<string, number>();
  let busy = 0;
  for (const [id, r] of sol.streams) {
    const label = sol.labels.get(id) ?? id;
    byLabel.set(label, (byLabel.get(label) ?? 0) + r.busy);
    busy += r.busy;
  }
  const room = Math.max(0, 1 - Math.min(asked, sol.shareTotal));
  const streamScale = busy > room ? room / busy : 1;
  for (const [label, f] of byLabel) if (f * streamScale >= 0.005) parts.push({ label, share: f * streamScale, fixed: false });
  parts.sort((a, b) => b.share - a.share);
  return parts;
}

/** A disk as a stall's chain names it. */
export function stallDisk(d: DiskSpec): StallDisk {
  return { name: d.name, rpm: d.device.kind === 'hdd' ? d.device.rpm : null, raid: d.raid ? { level: d.raid.level, members: d.raid.members } : null };
}

/** Writes are offered and the local disk completes none (open reads overload it). */
const starved = (w: WorkloadView): boolean => w.offered > 0 && w.accepted <= 0;

/** Where a stall's back-pressure path ends, without building its chain (checked at every reflow of a stall). */
export function stallBottleneck(res: BlockResource, w: WorkloadView, flow: FlowView, peer: DiskSolution | null, backlogFromPipe: boolean): StallBottleneck {
  if (pathCut(res, flow) !== null) return 'peer-unreachable';
  const pipeBlocked = res.replicating && (backlogFromPipe || (flow.sendFull && w.accepted < w.offered * 0.999));
  if (pipeBlocked) return flow.peerFull && peer && flow.drainCap < flow.lineCap ? 'peer-disk' : 'line';
  if (closedOnLine(res, w, flow)) return 'line';
  if (!starved(w) && w.repl >= w.local && peer) return 'peer-latency';
  return 'local-disk';
}

export function explainStall(
  res: BlockResource,
  w: WorkloadView,
  flow: FlowView,
  local: DiskSolution,
  peer: DiskSolution | null,
  resyncPace: ResyncPace,
  threshold: number,
  /** The writes waiting now began to wait behind a full send path. */
  backlogFromPipe: boolean,
): { bottleneck: StallBottleneck; chain: StallStepFact[] } {
  const cut = pathCut(res, flow);
  if (cut !== null) return { bottleneck: 'peer-unreachable', chain: cut };
  const chain: StallStepFact[] = [];
  const pipeBlocked = res.replicating && (backlogFromPipe || (flow.sendFull && w.accepted < w.offered * 0.999));
  const d = res.drbd;
  if (pipeBlocked) {
    let bottleneck: StallBottleneck;
    if (flow.peerFull && peer && flow.drainCap < flow.lineCap) {
      bottleneck = 'peer-disk';
      chain.push({ kind: 'stall-peer-disk-busy', host: res.secondaryHost, disk: stallDisk(peer.spec), use: diskUse(peer), drainCap: flow.drainCap, appDemand: flow.appDemand, resync: flow.resync });
      chain.push({ kind: 'stall-window-closes', drbd: d ? { maxBuffers: d.net.maxBuffers, bytes: d.net.maxBuffers * PAGE_SIZE, rcvbufSize: d.net.rcvbufSize } : null });
    } else {
      bottleneck = 'line';
      chain.push({ kind: 'stall-line-limit', lineCap: flow.lineCap, bound: flow.lineBound, appRepl: Math.max(flow.appRepl, flow.appDemand), resync: flow.resync });
    }
    const fill = res.lastFill;
    const path = res.md
      ? { kind: 'md' as const, writeBehind: res.md.writeBehind }
      : d && flow.alBytes < d.net.sndbufSize + d.net.proxyBuffer
        ? { kind: 'activity-log' as const, alExtents: d.disk.alExtents, bytes: flow.alBytes, sndbuf: d.net.sndbufSize + d.net.proxyBuffer }
        : { kind: 'sndbuf' as const, bytes: d ? d.net.sndbufSize : flow.sendCap, proxyBuffer: d && d.net.proxyBuffer > 0 ? d.net.proxyBuffer : null };
    chain.push({ kind: 'stall-send-path-filled', path, seconds: fill ? (fill.to - fill.from) / 1e6 : null });
    if (res.md) chain.push({ kind: 'stall-md-write-behind', writeBehind: res.md.writeBehind, accepted: w.accepted, offered: w.offered });
    else chain.push({ kind: 'stall-protocol-blocks', protocol: d?.net.protocol ?? 'A', queueDepth: w.queueDepth, accepted: w.accepted, threshold });
    return { bottleneck, chain };
  }
  if (closedOnLine(res, w, flow)) {
    // Protocol B/C on a saturated line: the application's queue depth is all on the path, so writes complete
    // at the line's rate and each waits depth / rate (Little), whatever the peer's disk does.
    chain.push({ kind: 'stall-line-limit', lineCap: flow.lineCap, bound: flow.lineBound, appRepl: Math.max(flow.appRepl, flow.appDemand), resync: flow.resync });
    // As the path settles (the stall may begin while it is still filling): writes complete at the line's share.
    const demand = Math.max(flow.appDemand, flow.appRepl);
    const accepted = demand > 0 ? Math.min(w.accepted, (w.offered * Math.max(0, flow.lineCap - flow.resync)) / demand) : w.accepted;
    const latency = Math.max(w.latency, accepted > 0 ? w.queueDepth / accepted : w.latency);
    chain.push({ kind: 'stall-queue-depth', queueDepth: w.queueDepth, accepted, offered: w.offered, latency, threshold });
    return { bottleneck: 'line', chain };
  }
  if (!starved(w) && w.repl >= w.local && peer) {
    chain.push({ kind: 'stall-peer-disk-load', host: res.secondaryHost, disk: stallDisk(peer.spec), use: diskUse(peer), utilisation: peer.rho });
    chain.push({ kind: 'stall-protocol-waits-peer', protocol: d?.net.protocol ?? 'C', seconds: w.repl, ...(flow.rtt !== undefined ? { rtt: flow.rtt } : {}) });
    return { bottleneck: 'peer-latency', chain };
  }
  chain.push({ kind: 'stall-local-disk-load', host: res.primaryHost, disk: stallDisk(local.spec), use: diskUse(local), resync: res.resyncing ? resyncPace : null });
  if (local.overloaded) chain.push({ kind: 'stall-local-disk-overloaded' });
  else chain.push({ kind: 'stall-local-disk-queueing', utilisation: local.rho, latency: w.local });
  if (starved(w)) chain.push({ kind: 'stall-writes-starved', oldest: w.latency, threshold });
  else if (w.offered > w.accepted * 1.001) chain.push({ kind: 'stall-queue-depth', queueDepth: w.queueDepth, accepted: w.accepted, offered: w.offered, latency: w.latency, threshold });
  else chain.push({ kind: 'stall-writes-slower', threshold });
  return { bottleneck: 'local-disk', chain };
}

/**
 * Protocol B or C writes held back by a line running at its bound (the link, a TCP window, packet loss):
 * fewer complete than the application offers, and the peer's disk is not what limits them.
 */
function closedOnLine(res: BlockResource, w: WorkloadView, flow: FlowView): boolean {
  const d = res.drbd;
  if (!d || d.net.protocol === 'A' || !res.replicating || starved(w)) return false;
  if (!(flow.lineCap > 0) || flow.x < flow.lineCap * 0.999) return false;
  if (w.accepted >= w.offered * 0.999 && Math.max(flow.appDemand, flow.appRepl) + flow.resync <= flow.lineCap * 1.001) return false;
  return !(flow.peerFull && flow.drainCap < flow.lineCap) && w.repl >= w.local;
}

/**
 * The replication path is cut rather than slow: I/O suspended by fencing resource-and-stonith until the
 * fence-peer handler returns, or a line that carries nothing while DRBD still counts the peer as connected
 * (protocol B/C writes wait for acknowledgements that cannot come, until timeout or ping-timeout).
 */
export function pathCut(res: BlockResource, flow: Pick<FlowView, 'lineCap'>): StallStepFact[] | null {
  if (res.frozen && res.quorumLost) return [{ kind: 'stall-frozen-no-quorum', resource: res.name, host: res.primaryHost }];
  if (res.frozen) return [{ kind: 'stall-io-suspended', resource: res.name, host: res.primaryHost, peer: res.secondaryHost }, { kind: 'stall-frozen-until-fenced' }];
  if (res.transmitting && flow.lineCap <= 0) {
    const d = res.drbd;
    return [
      { kind: 'stall-link-carries-nothing', host: res.primaryHost, peer: res.secondaryHost },
      { kind: 'stall-acks-cannot-come', protocol: d && d.net.protocol !== 'A' ? d.net.protocol : null, peer: res.secondaryHost },
      { kind: 'stall-gives-up', timeout: d ? d.net.timeout : null, ...(res.diskless ? { diskless: true as const } : d?.net.fencing === 'resource-and-stonith' ? { fenced: true as const } : {}) },
    ];
  }
  return null;
}

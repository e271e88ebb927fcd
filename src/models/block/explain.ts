/**
 * Cause chains for write stalls: one fact per step along the back-pressure path, root first (Elle-style,
 * ../shared/STYLE.md), e.g. the peer's RAID initialisation takes 30% of its disk → its write capacity is
 * below the incoming replication → max-buffers fill, the window closes → the send buffer fills in 76 ms →
 * protocol A writes block. Built from the flow computed at the instant the stall begins.
 */
import type { StallBottleneck } from '../../history/block.ts';
import type { DiskSolution } from '../disk/queue.ts';
import { describeDisk } from '../disk/device.ts';
import type { BlockResource } from './resource.ts';
import { PAGE_SIZE } from './resource.ts';

export interface FlowView {
  /** Bytes/s on the line, the line's bound and its reason. */
  readonly x: number;
  readonly lineCap: number;
  readonly lineBound: string;
  /** The peer's write capacity for replicated data (bytes/s). */
  readonly drainCap: number;
  readonly appRepl: number;
  /** What the application wants to replicate before back-pressure throttles it (bytes/s). */
  readonly appDemand: number;
  readonly resync: number;
  readonly sendFull: boolean;
  readonly peerFull: boolean;
  readonly sendCap: number;
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

export const mb = (bps: number): string => `${(bps / 1e6).toFixed(bps < 1e7 ? 2 : 1)} MB/s`;
export const ms = (s: number): string => (s >= 10 ? `${s.toFixed(0)} s` : s >= 1 ? `${s.toFixed(1)} s` : `${(s * 1000).toFixed(s < 0.01 ? 2 : 0)} ms`);
export const pct = (f: number): string => `${Math.round(f * 100)}%`;
/** A duration in seconds, in s, min or h. */
export function human(s: number): string {
  if (s < 120) return `${s.toFixed(1)} s`;
  if (s < 7200) return `${(s / 60).toFixed(1)} min`;
  return `${(s / 3600).toFixed(1)} h`;
}
export function mib(bytes: number): string {
  if (bytes >= 1 << 30) return `${(bytes / (1 << 30)).toFixed(1)} GiB`;
  if (bytes >= 1 << 20) return `${+(bytes / (1 << 20)).toFixed(1)} MiB`;
  return `${Math.round(bytes / 1024)} KiB`;
}

/** "background initialisation 30%, backup 40%, application I/O 25%, resync reads 3%". */
export function diskUse(sol: DiskSolution): string {
  // Shares as the queue applied them (their total capped: queue.ts MAX_SHARE), and the streams' time within
  // what the shares leave (an overloaded queue's streams are reported at its cap): the parts add up to at
  // most 100%.
  const asked = sol.shares.reduce((a, s) => a + s.share, 0);
  const shareScale = asked > 0 ? Math.min(1, sol.shareTotal / asked) : 1;
  const parts: { label: string; f: number }[] = sol.shares.map((s) => ({ label: `${s.label} (fixed share)`, f: s.share * shareScale }));
  const byLabel = new Map<string, number>();
  let busy = 0;
  for (const [id, r] of sol.streams) {
    const label = sol.labels.get(id) ?? id;
    byLabel.set(label, (byLabel.get(label) ?? 0) + r.busy);
    busy += r.busy;
  }
  const room = Math.max(0, 1 - Math.min(asked, sol.shareTotal));
  const streamScale = busy > room ? room / busy : 1;
  for (const [label, f] of byLabel) if (f * streamScale >= 0.005) parts.push({ label, f: f * streamScale });
  parts.sort((a, b) => b.f - a.f);
  return parts.map((p) => `${p.label} ${pct(p.f)}`).join(', ');
}

/** Writes are offered and the local disk completes none (open reads overload it). */
const starved = (w: WorkloadView): boolean => w.offered > 0 && w.accepted <= 0;

/** Where a stall's back-pressure path ends, without building its chain (checked at every reflow of a stall). */
export function stallBottleneck(res: BlockResource, w: WorkloadView, flow: FlowView, peer: DiskSolution | null, backlogFromPipe: boolean): StallBottleneck {
  if (pathCut(res, flow) !== null) return 'peer-unreachable';
  const pipeBlocked = res.replicating && (backlogFromPipe || (flow.sendFull && w.accepted < w.offered * 0.999));
  if (pipeBlocked) return flow.peerFull && peer && flow.drainCap < flow.lineCap ? 'peer-disk' : 'line';
  if (!starved(w) && w.repl >= w.local && peer) return 'peer-latency';
  return 'local-disk';
}

export function explainStall(
  res: BlockResource,
  w: WorkloadView,
  flow: FlowView,
  local: DiskSolution,
  peer: DiskSolution | null,
  resyncHow: string,
  threshold: number,
  /** The writes waiting now began to wait behind a full send path. */
  backlogFromPipe: boolean,
): { bottleneck: StallBottleneck; chain: string[] } {
  const cut = pathCut(res, flow);
  if (cut !== null) return { bottleneck: 'peer-unreachable', chain: cut };
  const chain: string[] = [];
  const pipeBlocked = res.replicating && (backlogFromPipe || (flow.sendFull && w.accepted < w.offered * 0.999));
  const d = res.drbd;
  if (pipeBlocked) {
    let bottleneck: StallBottleneck;
    if (flow.peerFull && peer && flow.drainCap < flow.lineCap) {
      bottleneck = 'peer-disk';
      chain.push(
        `${res.secondaryHost}'s disk ${describeDisk(peer.spec)} is busy: ${diskUse(peer)}; it can write only ${mb(flow.drainCap)} of replicated data, ` +
          `less than the ${mb(flow.appDemand + flow.resync)} sent to it (application writes ${mb(flow.appDemand)}${flow.resync > 0 ? ` + resync ${mb(flow.resync)} sharing the data socket (rule 4)` : ''})`,
      );
      chain.push(
        d
          ? `the receiver holds max-buffers (${d.net.maxBuffers} pages = ${mib(d.net.maxBuffers * PAGE_SIZE)}) waiting for the disk and stops reading its socket; the ${mib(d.net.rcvbufSize)} receive buffer fills and the TCP window closes (rules 5, 6)`
          : `the remote's queue fills and the TCP window closes (rules 5, 6)`,
      );
    } else {
      bottleneck = 'line';
      chain.push(`the line carries at most ${mb(flow.lineCap)} (${flow.lineBound}), less than the ${mb(flow.appRepl + flow.resync)} offered (application writes ${mb(flow.appRepl)}${flow.resync > 0 ? ` + resync ${mb(flow.resync)}` : ''})`);
    }
    const fill = res.lastFill;
    const proxy = d && d.net.proxyBuffer > 0 ? ` (with a ${mib(d.net.proxyBuffer)} DRBD Proxy buffer)` : '';
    const what = res.md ? `the write-behind window (${res.md.writeBehind} requests)` : `the ${mib(d ? d.net.sndbufSize : flow.sendCap)} send buffer${proxy}`;
    chain.push(fill ? `${what} filled in ${ms((fill.to - fill.from) / 1e6)}` : `${what} filled`);
    if (res.md) chain.push(`md: with more than ${res.md.writeBehind} writes behind, new writes wait for the write-mostly leg too (rule 17); writes complete at ${w.accepted.toFixed(0)}/s of ${w.offered.toFixed(0)}/s offered`);
    else chain.push(`protocol ${d?.net.protocol ?? 'A'} writes complete only once their data is in the send buffer (rule 1): they block in FIFO order behind the sender (rule 2), so the application's queue depth of ${w.queueDepth} writes waits and each takes about ${w.queueDepth} / ${w.accepted.toFixed(0)} per s = ${ms(w.queueDepth / Math.max(w.accepted, 1e-9))} (Little's law), above ${ms(threshold)}`);
    return { bottleneck, chain };
  }
  if (!starved(w) && w.repl >= w.local && peer) {
    chain.push(`${res.secondaryHost}'s disk ${describeDisk(peer.spec)}: ${diskUse(peer)}; utilisation ${pct(peer.rho)}`);
    chain.push(`protocol ${d?.net.protocol ?? 'C'} completes a write only when the peer has it (rule 1): every write waits about ${ms(w.repl)} for it`);
    return { bottleneck: 'peer-latency', chain };
  }
  chain.push(`${res.primaryHost}'s disk ${describeDisk(local.spec)}: ${diskUse(local)}${res.resyncing ? `; the resync runs ${resyncHow}` : ''}`);
  if (local.overloaded) chain.push(`its utilisation is at or above 1: the application's reads queue up faster than they are served (rule 18)`);
  else chain.push(`utilisation ${pct(local.rho)}: the mean write latency grows as 1/(1 − ρ) (M/G/1, rule 18) to ${ms(w.local)}`);
  if (starved(w)) chain.push(`none of the application's writes completes: they wait behind the backlog, the oldest for ${ms(w.latency)} so far, above ${ms(threshold)}`);
  else if (w.offered > w.accepted * 1.001) chain.push(`the application keeps its queue depth of ${w.queueDepth} writes outstanding: they complete at ${w.accepted.toFixed(0)}/s of the ${w.offered.toFixed(0)}/s it offers, each after ${ms(w.latency)} (Little's law: ${w.queueDepth} / ${w.accepted.toFixed(0)} per s), above ${ms(threshold)}`);
  else chain.push(`so writes take longer than ${ms(threshold)}`);
  return { bottleneck: 'local-disk', chain };
}

/**
 * The replication path is cut rather than slow: I/O suspended by fencing resource-and-stonith until the
 * fence-peer handler returns, or a line that carries nothing while DRBD still counts the peer as connected
 * (protocol B/C writes wait for acknowledgements that cannot come, until timeout or ping-timeout).
 */
function pathCut(res: BlockResource, flow: FlowView): string[] | null {
  if (res.frozen) {
    return [
      `${res.name}: I/O suspended on ${res.primaryHost} by fencing resource-and-stonith since DRBD lost its peer ${res.secondaryHost ?? ''}`.trimEnd(),
      'no write completes, waiting ones included, until the fence-peer handler returns (the peer outdated, fenced, or the handler timed out)',
    ];
  }
  if (res.transmitting && flow.lineCap <= 0) {
    const d = res.drbd;
    const acks = d && d.net.protocol !== 'A' ? `protocol ${d.net.protocol} completes a write only when ${res.secondaryHost} acknowledges it: none can come` : `the send buffer cannot drain: writes wait for room in it`;
    const giveUp = d ? `DRBD gives up on the peer after timeout ${+(d.net.timeout / 1e6).toFixed(1)} s with requests in flight (ping-int + ping-timeout when idle, ko-count × timeout for a stuck peer), then writes go on alone, marking the bitmap` : 'the transfer waits until the link is back';
    return [`the link between ${res.primaryHost} and ${res.secondaryHost} carries nothing (cut, or the peer is down)`, acks, giveUp];
  }
  return null;
}

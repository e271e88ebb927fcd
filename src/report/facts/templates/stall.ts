/** The prose of a block write stall's back-pressure path (history/facts/stall.ts), one sentence per step. */
import type { DiskUse, LineBound, ResyncPace, StallDisk, StallStepFact } from '../../../history/facts/stall.ts';
import { count, duration, percent, rate, size } from '../../format.ts';
import { node, p, type Token } from '../parts.ts';
import type { TemplatesOf } from './types.ts';

/** "array1 (RAID10 of 4 × 7200 rpm HDD)", "ssd1 (one SSD)". */
const disk = (d: StallDisk): string => {
  const dev = d.rpm !== null ? `${d.rpm} rpm HDD` : 'SSD';
  return d.raid ? `${d.name} (RAID${d.raid.level} of ${d.raid.members} × ${dev})` : `${d.name} (one ${dev})`;
};

/** "background initialisation (fixed share) 30%, application I/O 25%". */
const use = (u: DiskUse): string => u.map((x) => `${x.label}${x.fixed ? ' (fixed share)' : ''} ${percent(x.share)}`).join(', ');

const host = (h: string | null): Token => (h !== null ? node(h) : 'null');

function bound(b: LineBound): string {
  if (b.kind === 'line') return `${rate(b.bandwidth)} × 0.97 for headers`;
  if (b.kind === 'receive-window') return `receive window ${size(b.rcvbuf)} over a ${duration(b.rtt)} round trip`;
  if (b.kind === 'send-buffer') return `send buffer ${size(b.sndbuf)} over a ${duration(b.rtt)} round trip`;
  if (b.kind === 'packet-loss') return `TCP with ${percent(b.loss)} of packets lost over a ${duration(b.rtt)} round trip, on a ${rate(b.bandwidth)} line (RFC 5348 throughput equation)`;
  return 'no path';
}

/** "at a fixed resync-rate of 100 MB/s (c-plan-ahead 0), c-min-rate 0 (no throttle for application I/O)". */
function pace(r: ResyncPace): string {
  if (r.kind === 'md') return `at md's speed limits (min ${rate(r.min)}, max ${rate(r.max)})`;
  if (r.kind === 'walb') return r.rate > 0 ? `at ${rate(r.rate)}` : 'unthrottled';
  if (r.kind === 'unknown') return '';
  const minRate = r.cMinRate > 0 ? `c-min-rate ${rate(r.cMinRate)}` : 'c-min-rate 0 (no throttle for application I/O)';
  if (r.kind === 'drbd-fixed') return `at a fixed resync-rate of ${rate(r.resyncRate)} (c-plan-ahead 0), ${minRate}`;
  const target = r.target.kind === 'fill' ? `c-fill-target ${size(r.target.bytes)}` : `c-delay-target ${duration(r.target.micros / 1e6)}`;
  return `under the dynamic controller (c-plan-ahead ${duration(r.cPlanAhead / 1e6)}, ${target}, c-max-rate ${rate(r.cMaxRate)}), ${minRate}`;
}

export const STALL: TemplatesOf<StallStepFact> = {
  'stall-peer-disk-busy': (f) =>
    p`${host(f.host)}'s disk ${disk(f.disk)} is busy: ${use(f.use)}; it can write only ${rate(f.drainCap)} of replicated data, less than the ${rate(f.appDemand + f.resync)} sent to it (application writes ${rate(f.appDemand)}${f.resync > 0 ? ` + resync ${rate(f.resync)} sharing the data socket (rule 4)` : ''})`,
  'stall-window-closes': (f) =>
    f.drbd
      ? `the receiver holds max-buffers (${count(f.drbd.maxBuffers)} pages = ${size(f.drbd.bytes)}) waiting for the disk and stops reading its socket; the ${size(f.drbd.rcvbufSize)} receive buffer fills and the TCP window closes (rules 5, 6)`
      : `the remote's queue fills and the TCP window closes (rules 5, 6)`,
  'stall-line-limit': (f) =>
    `the line carries at most ${rate(f.lineCap)} (${bound(f.bound)}), less than the ${rate(f.appRepl + f.resync)} offered (application writes ${rate(f.appRepl)}${f.resync > 0 ? ` + resync ${rate(f.resync)}` : ''})`,
  'stall-send-path-filled': (f) => {
    if (f.path.kind === 'activity-log') {
      const when = f.seconds !== null ? ` in ${duration(f.seconds)}` : '';
      return `the activity log filled${when}: its ${count(f.path.alExtents)} extents of 4 MiB (al-extents) were all held by the ${size(f.path.bytes)} of writes in flight, before the ${size(f.path.sndbuf)} send buffer was full (a write keeps its extent until the peer has it; a write to another extent waits)`;
    }
    const what = f.path.kind === 'md' ? `the write-behind window (${f.path.writeBehind} requests)` : `the ${size(f.path.bytes)} send buffer${f.path.proxyBuffer !== null ? ` (with a ${size(f.path.proxyBuffer)} DRBD Proxy buffer)` : ''}`;
    return f.seconds !== null ? `${what} filled in ${duration(f.seconds)}` : `${what} filled`;
  },
  'stall-md-write-behind': (f) =>
    `md: with more than ${f.writeBehind} writes behind, new writes wait for the write-mostly leg too (rule 17); writes complete at ${count(f.accepted)}/s of ${count(f.offered)}/s offered`,
  'stall-protocol-blocks': (f) =>
    `protocol ${f.protocol} writes complete only once their data is in the send buffer (rule 1): they block in FIFO order behind the sender (rule 2), so the application's queue depth of ${f.queueDepth} writes waits and each takes about ${f.queueDepth} / ${count(f.accepted)} per s = ${duration(f.queueDepth / Math.max(f.accepted, 1e-9))} (Little's law), above ${duration(f.threshold)}`,
  'stall-peer-disk-load': (f) => p`${host(f.host)}'s disk ${disk(f.disk)}: ${use(f.use)}; utilisation ${percent(f.utilisation)}`,
  'stall-protocol-waits-peer': (f) =>
    `protocol ${f.protocol} completes a write only when the peer has it (rule 1): every write waits about ${duration(f.seconds)} for it${f.rtt !== undefined && f.rtt > 0 ? `, the ${duration(f.rtt)} round trip included` : ''}`,
  'stall-local-disk-load': (f) => p`${node(f.host)}'s disk ${disk(f.disk)}: ${use(f.use)}${f.resync !== null ? `; the resync runs ${pace(f.resync)}` : ''}`,
  'stall-local-disk-overloaded': () => `its utilisation is at or above 1: the application's reads queue up faster than they are served (rule 18)`,
  'stall-local-disk-queueing': (f) => `utilisation ${percent(f.utilisation)}: the mean write latency grows as 1/(1 − ρ) (M/G/1, rule 18) to ${duration(f.latency)}`,
  'stall-writes-starved': (f) => `none of the application's writes completes: they wait behind the backlog, the oldest for ${duration(f.oldest)} so far, above ${duration(f.threshold)}`,
  'stall-queue-depth': (f) =>
    `the application keeps its queue depth of ${f.queueDepth} writes outstanding: they complete at ${count(f.accepted)}/s of the ${count(f.offered)}/s it offers, each after ${duration(f.latency)} (Little's law: ${f.queueDepth} / ${count(f.accepted)} per s), above ${duration(f.threshold)}`,
  'shortfall-queue-depth': (f) =>
    `the application keeps at most its queue depth of ${f.queueDepth} writes outstanding: they complete at ${count(f.accepted)}/s of the ${count(f.offered)}/s it offers (${percent(f.accepted / Math.max(f.offered, 1e-9))}), each waiting at most ${f.queueDepth} / ${count(f.accepted)} per s = ${duration(f.queueDepth / Math.max(f.accepted, 1e-9))} (Little's law), no longer than the stall threshold of ${duration(f.threshold)}: the application is slowed, not stalled`,
  'stall-writes-slower': (f) => `so writes take longer than ${duration(f.threshold)}`,
  'stall-no-primary-disk': () => 'the primary has no disk',
  'stall-io-suspended': (f) => p`${f.resource}: I/O suspended on ${node(f.host)} by fencing resource-and-stonith since DRBD lost its peer${f.peer !== null ? p` ${node(f.peer)}` : ''}`,
  'stall-frozen-no-quorum': (f) => p`${f.resource}: ${node(f.host)} lost quorum, on-no-quorum suspend-io: no write completes, waiting ones included, until its partition has quorum again`,
  'stall-frozen-until-fenced': () => 'no write completes, waiting ones included, until the fence-peer handler returns (the peer outdated, fenced, or the handler timed out)',
  'stall-link-carries-nothing': (f) => p`the link between ${node(f.host)} and ${host(f.peer)} carries nothing (cut, or the peer is down)`,
  'stall-acks-cannot-come': (f) =>
    f.protocol !== null ? p`protocol ${f.protocol} completes a write only when ${host(f.peer)} acknowledges it: none can come` : `the send buffer cannot drain: writes wait for room in it`,
  'stall-gives-up': (f) =>
    f.timeout !== null
      ? `DRBD gives up on the peer after timeout ${duration(f.timeout / 1e6)} with requests in flight (ping-int + ping-timeout when idle, ko-count × timeout for a stuck peer), then ${f.diskless ? 'the Diskless Primary has no data left: its I/O fails' : f.fenced ? 'with fencing resource-and-stonith it freezes I/O and runs the fence-peer handler: writes go on alone, marking the bitmap, only when the handler returns' : 'writes go on alone, marking the bitmap'}`
      : 'the transfer waits until the link is back',
};

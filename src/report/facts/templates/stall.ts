/** The prose of a block write stall's back-pressure path (history/facts/stall.ts), one sentence per step. */
import type { DiskUse, LineBound, ResyncPace, StallDisk, StallStepFact } from '../../../history/facts/stall.ts';
import { mb, mib, ms, pct } from '../../../models/block/explain.ts';
import { node, p, type Token } from '../parts.ts';
import type { TemplatesOf } from './types.ts';

/** "array1 (RAID10 of 4 × 7200 rpm HDD)", "ssd1 (one SSD)". */
const disk = (d: StallDisk): string => {
  const dev = d.rpm !== null ? `${d.rpm} rpm HDD` : 'SSD';
  return d.raid ? `${d.name} (RAID${d.raid.level} of ${d.raid.members} × ${dev})` : `${d.name} (one ${dev})`;
};

/** "background initialisation (fixed share) 30%, application I/O 25%". */
const use = (u: DiskUse): string => u.map((x) => `${x.label}${x.fixed ? ' (fixed share)' : ''} ${pct(x.share)}`).join(', ');

const host = (h: string | null): Token => (h !== null ? node(h) : 'null');

function bound(b: LineBound): string {
  if (b.kind === 'line') return `${mb(b.bandwidth)} × 0.97 for headers`;
  if (b.kind === 'receive-window') return `receive window ${mib(b.rcvbuf)} over a ${ms(b.rtt)} round trip`;
  if (b.kind === 'send-buffer') return `send buffer ${mib(b.sndbuf)} over a ${ms(b.rtt)} round trip`;
  return 'no path';
}

/** "at a fixed resync-rate of 100 MB/s (c-plan-ahead 0), c-min-rate 0 (no throttle for application I/O)". */
function pace(r: ResyncPace): string {
  if (r.kind === 'md') return `at md's speed limits (min ${mb(r.min)}, max ${mb(r.max)})`;
  if (r.kind === 'walb') return r.rate > 0 ? `at ${mb(r.rate)}` : 'unthrottled';
  if (r.kind === 'unknown') return '';
  const minRate = r.cMinRate > 0 ? `c-min-rate ${mb(r.cMinRate)}` : 'c-min-rate 0 (no throttle for application I/O)';
  if (r.kind === 'drbd-fixed') return `at a fixed resync-rate of ${mb(r.resyncRate)} (c-plan-ahead 0), ${minRate}`;
  const target = r.target.kind === 'fill' ? `c-fill-target ${mib(r.target.bytes)}` : `c-delay-target ${ms(r.target.micros / 1e6)}`;
  return `under the dynamic controller (c-plan-ahead ${ms(r.cPlanAhead / 1e6)}, ${target}, c-max-rate ${mb(r.cMaxRate)}), ${minRate}`;
}

export const STALL: TemplatesOf<StallStepFact> = {
  'stall-peer-disk-busy': (f) =>
    p`${host(f.host)}'s disk ${disk(f.disk)} is busy: ${use(f.use)}; it can write only ${mb(f.drainCap)} of replicated data, less than the ${mb(f.appDemand + f.resync)} sent to it (application writes ${mb(f.appDemand)}${f.resync > 0 ? ` + resync ${mb(f.resync)} sharing the data socket (rule 4)` : ''})`,
  'stall-window-closes': (f) =>
    f.drbd
      ? `the receiver holds max-buffers (${f.drbd.maxBuffers} pages = ${mib(f.drbd.bytes)}) waiting for the disk and stops reading its socket; the ${mib(f.drbd.rcvbufSize)} receive buffer fills and the TCP window closes (rules 5, 6)`
      : `the remote's queue fills and the TCP window closes (rules 5, 6)`,
  'stall-line-limit': (f) =>
    `the line carries at most ${mb(f.lineCap)} (${bound(f.bound)}), less than the ${mb(f.appRepl + f.resync)} offered (application writes ${mb(f.appRepl)}${f.resync > 0 ? ` + resync ${mb(f.resync)}` : ''})`,
  'stall-send-path-filled': (f) => {
    const what = f.path.kind === 'md' ? `the write-behind window (${f.path.writeBehind} requests)` : `the ${mib(f.path.bytes)} send buffer${f.path.proxyBuffer !== null ? ` (with a ${mib(f.path.proxyBuffer)} DRBD Proxy buffer)` : ''}`;
    return f.seconds !== null ? `${what} filled in ${ms(f.seconds)}` : `${what} filled`;
  },
  'stall-md-write-behind': (f) =>
    `md: with more than ${f.writeBehind} writes behind, new writes wait for the write-mostly leg too (rule 17); writes complete at ${f.accepted.toFixed(0)}/s of ${f.offered.toFixed(0)}/s offered`,
  'stall-protocol-blocks': (f) =>
    `protocol ${f.protocol} writes complete only once their data is in the send buffer (rule 1): they block in FIFO order behind the sender (rule 2), so the application's queue depth of ${f.queueDepth} writes waits and each takes about ${f.queueDepth} / ${f.accepted.toFixed(0)} per s = ${ms(f.queueDepth / Math.max(f.accepted, 1e-9))} (Little's law), above ${ms(f.threshold)}`,
  'stall-peer-disk-load': (f) => p`${host(f.host)}'s disk ${disk(f.disk)}: ${use(f.use)}; utilisation ${pct(f.utilisation)}`,
  'stall-protocol-waits-peer': (f) => `protocol ${f.protocol} completes a write only when the peer has it (rule 1): every write waits about ${ms(f.seconds)} for it`,
  'stall-local-disk-load': (f) => p`${node(f.host)}'s disk ${disk(f.disk)}: ${use(f.use)}${f.resync !== null ? `; the resync runs ${pace(f.resync)}` : ''}`,
  'stall-local-disk-overloaded': () => `its utilisation is at or above 1: the application's reads queue up faster than they are served (rule 18)`,
  'stall-local-disk-queueing': (f) => `utilisation ${pct(f.utilisation)}: the mean write latency grows as 1/(1 − ρ) (M/G/1, rule 18) to ${ms(f.latency)}`,
  'stall-writes-starved': (f) => `none of the application's writes completes: they wait behind the backlog, the oldest for ${ms(f.oldest)} so far, above ${ms(f.threshold)}`,
  'stall-queue-depth': (f) =>
    `the application keeps its queue depth of ${f.queueDepth} writes outstanding: they complete at ${f.accepted.toFixed(0)}/s of the ${f.offered.toFixed(0)}/s it offers, each after ${ms(f.latency)} (Little's law: ${f.queueDepth} / ${f.accepted.toFixed(0)} per s), above ${ms(f.threshold)}`,
  'stall-writes-slower': (f) => `so writes take longer than ${ms(f.threshold)}`,
  'stall-no-primary-disk': () => 'the primary has no disk',
  'stall-io-suspended': (f) => p`${f.resource}: I/O suspended on ${node(f.host)} by fencing resource-and-stonith since DRBD lost its peer${f.peer !== null ? p` ${node(f.peer)}` : ''}`,
  'stall-frozen-until-fenced': () => 'no write completes, waiting ones included, until the fence-peer handler returns (the peer outdated, fenced, or the handler timed out)',
  'stall-link-carries-nothing': (f) => p`the link between ${node(f.host)} and ${host(f.peer)} carries nothing (cut, or the peer is down)`,
  'stall-acks-cannot-come': (f) =>
    f.protocol !== null ? p`protocol ${f.protocol} completes a write only when ${host(f.peer)} acknowledges it: none can come` : `the send buffer cannot drain: writes wait for room in it`,
  'stall-gives-up': (f) =>
    f.timeout !== null
      ? `DRBD gives up on the peer after timeout ${+(f.timeout / 1e6).toFixed(1)} s with requests in flight (ping-int + ping-timeout when idle, ko-count × timeout for a stuck peer), then writes go on alone, marking the bitmap`
      : 'the transfer waits until the link is back',
};

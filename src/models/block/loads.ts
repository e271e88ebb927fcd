/**
 * What every disk is asked to do at an instant (../shared/domain/drbd-tcp-disk.md rule 14): the
 * applications' reads and writes, resync reads on the SyncSource, the peer's receiver writing replicated
 * and resync data, WalB's log and archive, background jobs. The queue model (src/models/disk/queue.ts)
 * turns these streams into rates and latencies.
 */
import type { Micros } from '../../engine/time.ts';
import type { DiskStream, ShareJob } from '../disk/queue.ts';
import { sameStream } from '../disk/solver-cache.ts';
import { MD_SYNC_IO_DEPTH, PAGE_SIZE, THROTTLE_DELAY_S, type BlockResource } from './resource.ts';
import { EPS_BYTES, JOB_REQUEST, JOB_WINDOW, WALB_IO, emptyFlow, primaryDown, type BlockView, type ResourceFlow } from './state.ts';

export interface DiskLoadParts {
  readonly streams: DiskStream[];
  readonly shares: ShareJob[];
}

/** The size of the requests a resync issues now: adjacent dirty bits merged up to max_bio_size (§3.4). */
export function resyncRequestSize(r: BlockResource, now: Micros): number {
  return Math.min(r.spec.maxBioSize, Math.max(PAGE_SIZE, r.bitmap.runLength(now)));
}

interface ReceiverPart {
  readonly id: string;
  readonly weight: number;
  readonly size: number;
  readonly pattern: 'random' | 'sequential';
  readonly label: string;
  /**
   * Protocol C: the application's writes of this part that can be outstanding at most (its queue_depth ×
   * write size × the part's share): each waits for the peer's disk, so the peer holds no more of them.
   */
  readonly population: number;
}

/**
 * What the peer's receiver writes, in proportion: application writes (by workload, random and
 * sequential) and resync writes, or WalB's archive: the mix of what enters the path (in a steady flow the
 * queue, written in order, has that mix); when nothing enters, the mix of what the path holds
 * (world.ts applicationShare).
 */
function receiverParts(v: BlockView, r: BlockResource, prev: ResourceFlow, now: Micros): ReceiverPart[] {
  if (r.walb) return [{ id: 'wdiff', weight: 1, size: WALB_IO, pattern: 'sequential', label: 'WalB archive writes', population: Infinity }];
  const protocolC = r.drbd?.net.protocol === 'C';
  const queued = r.sendQ.valueAt(now) + r.peerQ.valueAt(now);
  let appFrac: number;
  if (prev.appRepl + prev.resync > 0) appFrac = prev.appRepl / (prev.appRepl + prev.resync);
  else if (queued > EPS_BYTES) appFrac = Math.min(1, Math.max(0, r.pipeApp.valueAt(now) / queued));
  else appFrac = r.resyncing ? (r.replicating ? 0.5 : 0) : 1;
  const ws = v.workloadsOf(r);
  const offered = ws.map((w) => w.spec.iops * (1 - w.spec.readShare) * w.spec.size);
  const total = offered.reduce((a, b) => a + b, 0);
  const parts: ReceiverPart[] = [];
  if (appFrac > 0) {
    ws.forEach((w, i) => {
      const s = w.spec;
      const share = appFrac * (total > 0 ? offered[i]! / total : 1 / ws.length);
      const population = (f: number) => (protocolC ? s.queueDepth * s.size * f : Infinity);
      if (s.random > 0) parts.push({ id: `${s.name}|rw`, weight: share * s.random, size: s.size, pattern: 'random', label: 'replicated writes', population: population(s.random) });
      if (s.random < 1) parts.push({ id: `${s.name}|sw`, weight: share * (1 - s.random), size: s.size, pattern: 'sequential', label: 'replicated writes', population: population(1 - s.random) });
    });
  }
  if (appFrac < 1 || parts.length === 0) {
    const size = resyncRequestSize(r, now);
    parts.push({ id: 'rs', weight: parts.length === 0 ? 1 : 1 - appFrac, size, pattern: size >= r.spec.maxBioSize / 2 ? 'sequential' : 'random', label: 'resync writes', population: Infinity });
  }
  return parts.filter((p) => p.weight > 0);
}

/**
 * What one resource asks of the disks now: `[disk, stream]` pairs, once as the queues are (`actual`) and
 * once with the peer's receiver asked for all it can write (`capacity`: as deep as max-buffers, no cap on
 * its rate: the peer's real capacity for replicated data, which drains a queue that built up while it was
 * slower). The two share every stream but the receiver's.
 */
export interface ResourceLoads {
  readonly actual: readonly (readonly [string, DiskStream])[];
  readonly capacity: readonly (readonly [string, DiskStream])[];
}

const NO_LOADS: ResourceLoads = { actual: [], capacity: [] };

function writeStream(id: string, size: number, pattern: 'random' | 'sequential', rate: number, window: number): DiskStream {
  return { id, label: 'application I/O', io: { op: 'write', size, pattern }, demand: { kind: 'closed', window, maxRate: rate, extraDelay: 0 } };
}

function readStream(id: string, size: number, pattern: 'random' | 'sequential', rate: number): DiskStream {
  return { id, label: 'application I/O', io: { op: 'read', size, pattern }, demand: { kind: 'open', rate } };
}

export function resourceLoads(v: BlockView, r: BlockResource, now: Micros): ResourceLoads {
  if (primaryDown(v, r) || r.frozen) return NO_LOADS;
  const prev = v.previousFlow(r) ?? emptyFlow();
  const wb = r.walb;
  const both: [string, DiskStream][] = [];
  // Demoted for a switchover (switchover.ts): the application is stopped, its I/O with it.
  for (const w of r.demoted ? [] : v.workloadsOf(r)) {
    const s = w.spec;
    const reads = s.iops * s.readShare;
    const writes = s.iops * (1 - s.readShare) * w.writeScale;
    const id = `${r.name}|${s.name}|`;
    // A Diskless Primary reads from its peer's disk (drbd_req.c drbd_request_prepare: no local disk, the
    // read goes to the peer) and writes only there: no local stream.
    const readDisk = r.diskless && r.secondaryDisk !== null ? r.secondaryDisk : r.primaryDisk;
    if (reads * s.random > 0) both.push([readDisk, readStream(`${id}rr`, s.size, 'random', reads * s.random)]);
    if (reads * (1 - s.random) > 0) both.push([readDisk, readStream(`${id}sr`, s.size, 'sequential', reads * (1 - s.random))]);
    if (r.diskless) continue;
    // The application's writes are a closed population: at most queue_depth outstanding (split by their
    // random share), so the disk serves min(offer, depth / response time) of them (Little's law) and its
    // queue never holds more than the application can have in flight. Reads arrive whatever the disk does.
    const window = s.queueDepth * s.size;
    if (writes * s.random > 0) both.push([r.primaryDisk, writeStream(`${id}rw`, s.size, 'random', writes * s.random, window * s.random)]);
    if (writes * (1 - s.random) > 0) both.push([r.primaryDisk, writeStream(`${id}sw`, s.size, 'sequential', writes * (1 - s.random), window * (1 - s.random))]);
    // WalB writes the log first (sequentially, on the log device); the data device write follows (§4).
    if (wb && writes > 0) both.push([wb.logDisk, writeStream(`${id}log`, s.size, 'sequential', writes, window)]);
  }
  if (wb && prev.x > 0 && r.conn.kind === 'Connected') {
    both.push([wb.logDisk, { id: `${r.name}|extract`, label: 'WalB log extraction', io: { op: 'read', size: WALB_IO, pattern: 'sequential' }, demand: { kind: 'open', rate: prev.x / WALB_IO } }]);
  }
  if (r.resyncing) {
    const size = resyncRequestSize(r, now);
    const pattern = size >= r.spec.maxBioSize / 2 ? 'sequential' : 'random';
    const rs = resyncDemand(v, r, size, prev);
    both.push([r.primaryDisk, { id: `${r.name}|rs`, label: wb ? 'WalB full backup reads' : r.md ? 'md resync reads' : 'resync reads', io: { op: 'read', size, pattern }, demand: rs }]);
  }
  // The peer's receiver: replicated writes and resync writes, max-buffers deep (rule 5). It writes what
  // arrives (the line's rate) while nothing waits for it, and as fast as its disk allows while its queue
  // (receive buffer + max-buffers) holds data.
  if (!(r.transmitting && r.secondaryDisk && !v.failedHosts.has(r.secondaryHost!) && !v.failedDisks.has(r.secondaryDisk))) return { actual: both, capacity: both };
  const actual = [...both];
  const capacity = [...both];
  const window = r.peerDiskWindow();
  const parts = receiverParts(v, r, prev, now);
  const total = parts.reduce((a, p) => a + p.weight, 0);
  const draining = r.peerQ.valueAt(now) > EPS_BYTES;
  for (const p of parts) {
    const share = p.weight / total;
    const io = { op: 'write' as const, size: p.size, pattern: p.pattern };
    // A protocol C write is outstanding for the round trip too (issue 12, point 2: Little's law).
    const closedApp = p.population < window * share;
    const base = { kind: 'closed' as const, window: Math.min(window * share, p.population), extraDelay: closedApp ? prev.rtt : 0 };
    const id = `${r.name}|rcv|${p.id}`;
    const cap: DiskStream = { id, label: p.label, io, demand: { ...base, maxRate: Infinity } };
    capacity.push([r.secondaryDisk, cap]);
    actual.push([r.secondaryDisk, draining ? cap : { id, label: p.label, io, demand: { ...base, maxRate: (prev.x * share) / p.size } }]);
  }
  return { actual, capacity };
}

/** The background jobs' streams and fixed shares on one disk. */
function jobLoads(v: BlockView, disk: string, l: { streams: DiskStream[]; shares: ShareJob[] }): void {
  for (const j of v.jobs.values()) {
    if (j.spec.disk !== disk) continue;
    const label = j.spec.kind === 'background-init' ? 'background initialisation' : j.spec.kind === 'backup' ? `backup "${j.spec.name}" reads` : `scan "${j.spec.name}"`;
    if (j.spec.pace.kind === 'share') l.shares.push({ label, share: j.spec.pace.share });
    else l.streams.push({ id: `job|${j.spec.disk}|${j.spec.name}`, label, io: { op: j.spec.op, size: JOB_REQUEST, pattern: 'sequential' }, demand: { kind: 'closed', window: JOB_WINDOW, maxRate: j.spec.pace.rate / JOB_REQUEST, extraDelay: 0 } });
  }
}

/** Adds to `out` the disks whose streams differ between the two lists (a resource's streams span its primary's and its peer's disks). */
function changedDisks(a: readonly (readonly [string, DiskStream])[] | undefined, b: readonly (readonly [string, DiskStream])[], out: Set<string>): void {
  const disks = new Set<string>();
  for (const [d] of a ?? []) disks.add(d);
  for (const [d] of b) disks.add(d);
  for (const d of disks) {
    if (out.has(d)) continue;
    const x = (a ?? []).filter(([e]) => e === d);
    const y = b.filter(([e]) => e === d);
    if (!sameStreams(x, y)) out.add(d);
  }
}

function sameStreams(a: readonly (readonly [string, DiskStream])[], b: readonly (readonly [string, DiskStream])[]): boolean {
  return a.length === b.length && a.every(([disk, s], i) => disk === b[i]![0] && sameStream(s, b[i]![1]));
}

/** One disk's load, as the queues are and as the peers could drain, and the version it was built at. */
export interface DiskLoadEntry {
  readonly actual: DiskLoadParts;
  readonly capacity: DiskLoadParts;
  /** Numbers that change whenever the load as the queues are, or as the peers could drain, changed. */
  readonly actualVersion: number;
  readonly capacityVersion: number;
}

/**
 * Every disk's streams (jobs, then each resource's in order), built from each resource's contribution and
 * kept: a disk's load is built again, and gets a new version, only when a contribution to it changed (a
 * resource's streams, a job starting or ending, the disk's service changing). The queue solver compares
 * versions, not loads, so a reflow that touches one volume of many on a disk pair costs that volume's
 * streams, not every volume's (issue 12, point 3).
 */
export class DiskLoadTable {
  private readonly contributions = new Map<string, ResourceLoads>();
  private version = 0;
  private readonly built = new Map<string, DiskLoadEntry>();
  /** Disks whose load as the queues are, or as the peers could drain, may have changed. */
  private readonly dirtyActual = new Set<string>();
  private readonly dirtyCapacity = new Set<string>();

  private nextVersion(): number {
    return ++this.version;
  }

  /** The streams last recorded for a resource. */
  contribution(resource: string): ResourceLoads | undefined {
    return this.contributions.get(resource);
  }

  /** Records a resource's streams; the disks whose load they change are built again. */
  set(resource: string, l: ResourceLoads): void {
    const old = this.contributions.get(resource);
    if (old === l) return;
    this.contributions.set(resource, l);
    // The capacity list shares every stream but the receiver's with the actual one (resourceLoads).
    if (!old || !sameStreams(old.actual, l.actual)) changedDisks(old?.actual, l.actual, this.dirtyActual);
    if (!old || !sameStreams(old.capacity, l.capacity)) changedDisks(old?.capacity, l.capacity, this.dirtyCapacity);
  }

  /** A job on the disk started or ended, or its service changed. */
  invalidate(disk: string): void {
    this.dirtyActual.add(disk);
    this.dirtyCapacity.add(disk);
  }

  /** Every disk's load now, built again where a contribution changed. */
  loads(v: BlockView): ReadonlyMap<string, DiskLoadEntry> {
    if (this.dirtyActual.size === 0 && this.dirtyCapacity.size === 0 && this.built.size > 0) return this.built;
    const disks = new Set<string>([...this.dirtyActual, ...this.dirtyCapacity]);
    if (this.built.size === 0) for (const l of this.contributions.values()) for (const [d] of [...l.actual, ...l.capacity]) disks.add(d);
    for (const j of v.jobs.values()) if (!this.built.has(j.spec.disk)) disks.add(j.spec.disk);
    const fresh = new Map<string, { actual: DiskLoadParts; capacity: DiskLoadParts }>();
    for (const d of disks) {
      const actual: DiskLoadParts = { streams: [], shares: [] };
      jobLoads(v, d, actual);
      fresh.set(d, { actual, capacity: { streams: [...actual.streams], shares: actual.shares } });
    }
    for (const r of v.resources.values()) {
      const l = this.contributions.get(r.name);
      if (!l) continue;
      for (const [d, s] of l.actual) fresh.get(d)?.actual.streams.push(s);
      for (const [d, s] of l.capacity) fresh.get(d)?.capacity.streams.push(s);
    }
    // Streams and shares first, then the order of the map: a disk with nothing on it any more is dropped.
    const next = new Map<string, DiskLoadEntry>();
    const order = new Set<string>([...this.built.keys(), ...fresh.keys()]);
    for (const d of order) {
      const f = fresh.get(d);
      if (!f) {
        next.set(d, this.built.get(d)!);
        continue;
      }
      if (f.actual.streams.length === 0 && f.actual.shares.length === 0 && f.capacity.streams.length === 0) continue;
      const old = this.built.get(d);
      // Only what a changed contribution touched gets a new version (a change to the capacity only: no new
      // solve of the actual load); a disk built again to the same streams (a change undone within the
      // reflow) too, which costs a solve but not a comparison of every stream on the disk.
      const actualVersion = old && !this.dirtyActual.has(d) ? old.actualVersion : this.nextVersion();
      const capacityVersion = old && !this.dirtyCapacity.has(d) ? old.capacityVersion : this.nextVersion();
      next.set(d, old && old.actualVersion === actualVersion && old.capacityVersion === capacityVersion ? old : { ...f, actualVersion, capacityVersion });
    }
    this.built.clear();
    for (const [d, e] of next) this.built.set(d, e);
    this.dirtyActual.clear();
    this.dirtyCapacity.clear();
    return this.built;
  }
}

/** The resync's window (rule 9: max-buffers/2; the controller's fill target; md's sync_io_depth) and rate cap now. */
export function resyncDemandNow(v: BlockView, r: BlockResource, now: Micros): { window: number; maxRate: number; size: number } {
  const size = resyncRequestSize(r, now);
  const d = resyncDemand(v, r, size, emptyFlow());
  return d.kind === 'closed' ? { window: d.window, maxRate: d.maxRate, size } : { window: Infinity, maxRate: Infinity, size };
}

/**
 * How the resync asks the SyncSource's disk for data (rules 9, 10): as a closed stream whose window is
 * what may be in flight, whose rate cap is the controller's, and whose extra delay is the path outside
 * this disk (round trip, the send buffer's queue, the peer's socket).
 */
function resyncDemand(v: BlockView, r: BlockResource, size: number, prev: ResourceFlow): DiskStream['demand'] {
  const extra = prev.rtt + prev.queueDelay;
  const md = r.md;
  if (md) {
    // md.c: at least speed_limit_min; above it only while the array is idle (§7.3, rule 15).
    const busy = v.workloadsOf(r).some((w) => w.spec.iops > 0);
    return { kind: 'closed', window: MD_SYNC_IO_DEPTH * size, maxRate: (busy ? md.speedLimitMin : md.speedLimitMax) / size, extraDelay: Math.max(0, extra) };
  }
  const wb = r.walb;
  if (wb) return { kind: 'closed', window: 16 << 20, maxRate: wb.fullScanRate > 0 ? wb.fullScanRate / size : Infinity, extraDelay: prev.rtt };
  const d = r.drbd!;
  // In flight at most max-buffers/2 (4 MiB by default) (rule 9, K84-WRK drbd_rs_number_requests).
  const cap = (d.net.maxBuffers / 2) * PAGE_SIZE;
  let window = cap;
  let maxRate: number;
  if (d.disk.cPlanAhead === 0) maxRate = d.disk.resyncRate / size;
  else {
    // The dynamic controller (§3.5) steers the bytes in flight to c-fill-target, or to rate × c-delay-target.
    const cMax = d.disk.cMaxRate > 0 ? d.disk.cMaxRate : Infinity;
    window = Math.min(cap, d.disk.cFillTarget > 0 ? d.disk.cFillTarget : (cMax === Infinity ? cap / (d.disk.cDelayTarget / 1e6) : cMax) * (d.disk.cDelayTarget / 1e6));
    maxRate = cMax / size;
  }
  // c-min-rate (rule 10): application I/O pre-empts the resync only while the resync runs faster than
  // c-min-rate ("drbd: don't let application IO pre-empt resync too often"), on each end by its own disk's
  // I/O that is not the resync's (drbd_rs_c_min_rate_throttle):
  // - the SyncSource delays a request by 100 ms in the receiver thread (drbd_receiver.c
  //   drbd_peer_resync_read, its peer not Primary): at most a request per 100 ms, never below c-min-rate;
  // - the SyncTarget, whose disk takes the replicated writes, issues no more requests while the rate is
  //   above c-min-rate (drbd_sender.c make_resync_request; 8.4 drbd_try_rs_begin_io →
  //   drbd_rs_should_slow_down): with writes replicated during the resync it runs at c-min-rate.
  const appIo = v.workloadsOf(r).some((w) => w.spec.iops > 0);
  const replicatedWrites = r.replicating && v.workloadsOf(r).some((w) => w.spec.iops * (1 - w.spec.readShare) > 0);
  if (d.disk.cMinRate > 0 && replicatedWrites) maxRate = Math.min(maxRate, d.disk.cMinRate / size);
  else if (d.disk.cMinRate > 0 && appIo) maxRate = Math.min(maxRate, Math.max(d.disk.cMinRate / size, 1 / THROTTLE_DELAY_S));
  return { kind: 'closed', window, maxRate, extraDelay: Math.max(0, extra) };
}

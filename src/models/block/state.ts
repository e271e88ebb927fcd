/**
 * The block model's per-instant state shared by its parts: a workload's backlog and stall, a job's
 * progress, and the rates of one replicated device's path computed at a reflow (ResourceFlow), plus the
 * view of the world that the disk-load and flow computations read (BlockView).
 */
import type { LineBound } from '../../history/facts/stall.ts';
import type { Level } from '../../engine/fluid.ts';
import type { Micros } from '../../engine/time.ts';
import type { BlockShortfallRecord, BlockStallRecord } from '../../history/block.ts';
import type { DiskJobSpec, DiskSpec, IoWorkloadSpec } from '../../scenario/types-block.ts';
import type { Account } from './account.ts';
import type { BlockResource } from './resource.ts';

/** Below a byte a buffer is empty. */
export const EPS_BYTES = 1;
/** A backup or scan job reads with this much outstanding. ASSUMPTION. */
export const JOB_WINDOW = 1 << 20;
export const JOB_REQUEST = 1 << 20;
/** Size of the requests a WalB log is extracted and archived in. ASSUMPTION (walb-tools sends wlogs in large batches). */
export const WALB_IO = 1 << 20;

export interface WorkloadState {
  spec: IoWorkloadSpec;
  /** Write requests issued and waiting for room in the replication path (a full send buffer), at most queue_depth. */
  readonly backlog: Level;
  /** Requests that entered and left the backlog (in = out + backlog). */
  readonly backlogBooks: Account;
  stall: BlockStallRecord | null;
  /**
   * Latency (s) at `at` and its slope (s per s) until the next reflow; `steady`: not yet tracked (the run
   * starts with the workload in its steady state).
   */
  lat: { at: Micros; value: number; slope: number; steady?: true };
  /**
   * A stall the mean latency's jump above the threshold makes due, but no write has waited that long yet: it
   * opens at this instant, when the first can have (world.ts trackWorkload), unless the latency falls back first.
   */
  pendingStall: Micros | null;
  /** Issued / offered write rate at the last reflow (feeds the next one's disk load). */
  writeScale: number;
  outage: boolean;
  lastStall: BlockStallRecord | null;
  /** Writes completing well below the offer while none waits past the threshold (world.ts trackWorkload). */
  shortfall: BlockShortfallRecord | null;
  /** Why writes wait: a full replication path (the send buffer, md's behind window); null when none wait. */
  backlogCause: 'pipe' | null;
}

export interface JobState {
  readonly spec: DiskJobSpec;
  readonly done: Level;
  rate: number;
}

/** One workload's writes on a device at a reflow (bytes/s and seconds). */
export interface WorkFlow {
  /** Write bytes/s the application offers. */
  readonly offered: number;
  /** Write bytes/s entering the device's path (for protocol A and md/WalB: completing). */
  readonly accepted: number;
  /** Write bytes/s the application can issue: the offer, or less when its local disk holds queue_depth writes. */
  readonly issued: number;
  /** Local write latency (s). */
  readonly local: number;
  /** Replication latency (s) and its slope (s per s) until the next reflow. */
  readonly repl: number;
  readonly replSlope: number;
  /** A full send path refuses these writes: they wait in the workload's backlog (rule 2). */
  readonly blocked: boolean;
}

export interface ResourceFlow {
  x: number;
  lineCap: number;
  lineBound: LineBound;
  drainCap: number;
  drain: number;
  appRepl: number;
  /** Replicated application writes wanted before a full send buffer throttles them (bytes/s). */
  appDemand: number;
  resync: number;
  sendRate: number;
  peerRate: number;
  /** Room for unsent bytes now: the send path's bound less what is in flight on the line (bytes). */
  sendCap: number;
  /** What DRBD's activity log lets be in flight (bytes; Infinity when it does not bound it). */
  alBytes: number;
  /**
   * The send path's bound (bytes): unsent bytes never exceed it. When the line speeds up, more is in flight
   * and the room shrinks below what the buffer already holds: the excess is sent, not discarded; so is what
   * a bound made smaller (an adjust, a smaller write size in md's window of requests) finds in it.
   */
  sendBound: number;
  peerCap: number;
  sendFull: boolean;
  peerFull: boolean;
  rtt: number;
  /** Queueing delay of the data socket path (send buffer + peer socket) at the congestion equilibrium (s). */
  queueDelay: number;
  /** Whether a full send buffer holds the application back (rule 2). */
  blocking: boolean;
  /** Protocol B/C: the path holds all the writes the application may have outstanding (Little's law). */
  closedPath: boolean;
  /** Protocol B/C: the application bytes the path may hold before it closes (Infinity: no bound). */
  populationRoom: number;
  /** Per workload: offered, accepted and issued write bytes/s, local and replication latency. */
  work: Map<string, WorkFlow>;
}

export const emptyFlow = (): ResourceFlow => ({
  x: 0,
  lineCap: 0,
  lineBound: { kind: 'no-path' },
  drainCap: 0,
  drain: 0,
  appRepl: 0,
  appDemand: 0,
  resync: 0,
  sendRate: 0,
  peerRate: 0,
  sendCap: 0,
  alBytes: Infinity,
  sendBound: 0,
  peerCap: 0,
  sendFull: false,
  peerFull: false,
  rtt: 0,
  queueDelay: 0,
  blocking: false,
  closedPath: false,
  populationRoom: Infinity,
  work: new Map(),
});

/** What the disk-load and flow computations read of the world (BlockWorld implements it). */
export interface BlockView {
  readonly disks: ReadonlyMap<string, DiskSpec>;
  readonly resources: ReadonlyMap<string, BlockResource>;
  readonly jobs: ReadonlyMap<string, JobState>;
  readonly failedHosts: ReadonlySet<string>;
  readonly failedDisks: ReadonlySet<string>;
  /** The rates computed at the previous reflow (or the previous iteration of this one). */
  previousFlow(r: BlockResource): ResourceFlow | undefined;
  workloadsOf(r: BlockResource): readonly WorkloadState[];
  /** The line between a resource's hosts when they can talk now, else null. */
  pathUp(r: BlockResource): { bandwidth: number; latency: number; loss: number } | null;
}

/** The primary cannot do I/O: its host is lost, or its disk failed (DRBD detached it) and no connected UpToDate peer serves it (BlockResource.diskless). */
export function primaryDown(v: Pick<BlockView, 'failedHosts' | 'failedDisks'>, r: BlockResource): boolean {
  return v.failedHosts.has(r.primaryHost) || (v.failedDisks.has(r.primaryDisk) && !r.diskless) || r.stopped !== null;
}

/**
 * Block storage and its replication in one world: disks (queues), the replicated devices on them (DRBD,
 * md write-behind, WalB), the applications' I/O, background disk jobs, and the lines between sites.
 *
 * Discrete protocol, fluid data, as in the PostgreSQL model: after any change at an instant, one
 * recomputation (reflow) solves every disk's queue, every connection's rate and every buffer's rate of
 * change, then schedules the next breakpoint (a buffer filling or emptying, a resync finishing, a latency
 * crossing the stall threshold, a job ending). Between breakpoints everything is linear (or, for a bitmap
 * being dirtied, an exact exponential), so a night of steady replication costs no event.
 *
 * This class holds the world's state, applies the plan's and faults' steps and runs the reflow; the parts
 * with a concern of their own are functions over it: the connection's life (connection.ts), a workload's
 * latency, stalls and shortfalls (workload-stalls.ts), power (power.ts), switchovers (switchover.ts), the
 * flow of one resource (flow.ts) and why it stalls (explain.ts).
 */
import { Level } from '../../engine/fluid.ts';
import { invariant } from '../../engine/invariant.ts';
import type { EventHandle } from '../../engine/simulation.ts';
import { NEVER, type Micros } from '../../engine/time.ts';
import type { BlockLossRecord } from '../../history/block.ts';
import type { EventKind, WriteEnder } from '../../history/history.ts';
import type { Fact } from '../../history/facts/index.ts';
import type { BlockFact, BlockStepFact } from '../../history/facts/block.ts';
import type { BlockLossStep, ConnReason } from '../../history/facts/block-why.ts';
import type { WriteCauseFact } from '../../history/facts/writes.ts';
import type { ResyncPace } from '../../history/facts/stall.ts';
import type { FencePeerExit, PacemakerFact, PowerOffCause, ResumeCause } from '../../history/facts/pacemaker.ts';
import type { BlockOp, BlockSpec, DiskJobSpec, DiskSpec, ReplicationAdjust } from '../../scenario/types-block.ts';
import { members } from '../disk/device.ts';
import type { DiskSolution, DiskStream } from '../disk/queue.ts';
import { DiskSolverCache } from '../disk/solver-cache.ts';
import type { WorldContext } from '../postgres/context.ts';
import { PRIORITY } from '../postgres/context.ts';
import { inFlight } from '../tcp/connection.ts';
import { alBound, congestionThreshold, extentsInUse } from './activity-log.ts';
import { Account, booksError, slack, type BufferBooks } from './account.ts';
import { consistentSurvivor, copiesSample, holders, peerLacks, staleBytes } from './copies.ts';
import { cacheLossAt, cacheStep, promotesStale } from './cache-loss.ts';
import { checkQuorum, quorumOf } from './quorum-state.ts';
import { flowOf } from './flow.ts';
import { DiskLoadTable, resourceLoads } from './loads.ts';
import { readersKey, readingsOf, sameNumbers, sameReadings, valueDisks, waitBound, withinWaitBound, type Readings, type WaitBound } from './readings.ts';
import { AHEAD_RESYNC_DELAY, BlockResource, PAGE_SIZE } from './resource.ts';
import { BreakpointHeap } from './breakpoints.ts';
import { Pacemaker } from './pacemaker/cluster.ts';
import { hostBack, resume, stopPromoted } from './power.ts';
import { closeShortfall, closeStall, trackWorkload } from './workload-stalls.ts';
import { connect, disconnect, emptyPath, fencePeerReturns, keepUnacknowledged, peerCleansUpAt, peerListens, scheduleAttempt, splitLoss } from './connection.ts';
import { clusterPromote, demote, makePrimary, pacemakerMove, unread } from './switchover.ts';
import { EPS_BYTES, JOB_REQUEST, primaryDown, type BlockView, type JobState, type ResourceFlow, type WorkloadState } from './state.ts';

/** Background-initialisation throughput per unit of disk time: it reads and rewrites each stripe. ASSUMPTION. */
const BGI_EFFICIENCY = 0.5;
/** A resource's state as `drbdadm status` shows it (the report's devices at the end: report/types.ts DeviceJson). */
export interface BlockDeviceState {
  readonly resource: string;
  readonly replication: 'drbd' | 'md' | 'walb';
  readonly primary: string;
  readonly secondary: string | null;
  readonly connection: BlockResource['conn']['kind'];
  readonly reason: ConnReason | null;
  readonly peerDisk: BlockResource['peerDisk'];
  readonly outOfSync: number;
  readonly hostsDown: readonly string[];
}

/** Iterations of the disk ↔ line fixed point per reflow. */
const ITERATIONS = 4;
/** Outside the self-check, every this many reflows check every resource against what the incremental scans assume (audit). */
const AUDIT_EVERY = 256;

export class BlockWorld implements BlockView {
  readonly disks = new Map<string, DiskSpec>();
  readonly hostSite = new Map<string, string>();
  readonly failedHosts = new Set<string>();
  /** Of failedHosts, those powered off by a fence device or the cluster: their disks are intact and come back with them. */
  readonly poweredOff = new Set<string>();
  /** Disks that have failed (a disk fault): their copies are gone. */
  readonly failedDisks = new Set<string>();
  /** Disks slowed by a fault, as their queues see them now (service times × slowdown). */
  private readonly degraded = new Map<string, DiskSpec>();
  readonly resources = new Map<string, BlockResource>();
  /** The DRBD 9 resources with quorum on (quorum-state.ts). */
  private readonly quorumResources: BlockResource[] = [];
  readonly workloads = new Map<string, WorkloadState>();
  readonly jobs = new Map<string, JobState>();
  /** Each resource's workloads (a workload's resource never changes). */
  private readonly byResource = new Map<string, WorkloadState[]>();
  flows = new Map<string, ResourceFlow>();
  /** Each resource's state when its flow was last computed (stateOf), and what it read of the disks' solutions then (readings.ts). */
  private readonly lastState = new Map<string, unknown[]>();
  private readonly readings = new Map<string, Readings>();
  /** Each blocked volume's bound on its primary disk's wait within which its flow stays as computed (readings.ts waitBound). */
  private readonly waitBounds = new Map<string, WaitBound | null>();
  /** Within a reflow: what each resource's last flow was computed from of its previous flow (prevInputs). */
  private readonly prevRead = new Map<string, number[]>();
  /** Each disk's last capacity solution, and each resource's peer drain summed from it (the disks that receive replicated data). */
  private readonly drains = new Map<string, { readonly sol: DiskSolution; readonly caps: ReadonlyMap<string, number> }>();
  /**
   * The resources reading each disk's solution's values (indexDisks), those whose peer's disk it is (they read
   * their drain from its capacity, and whether it is solved), and each resource's place in the scenario's order.
   */
  private readonly onDisk = new Map<string, string[]>();
  private readonly peersOn = new Map<string, string[]>();
  private byDiskStale = true;
  private readonly indexed = new Map<string, string>();
  private readonly order = new Map<string, number>();
  /** The next reflow computes every resource's flow (the start, a network change). */
  private everything = true;
  /** Every reflow computes every resource's flow (tests compare this with the incremental reflows). */
  fullReflows = false;
  /** Resources whose levels a discrete step moved since the last reflow (their flows are computed again). */
  readonly touched = new Set<string>();
  /**
   * Resources whose state (stateOf) may have changed since their flow was computed: BlockResource's setters,
   * a host's or disk's failure or return, a workload's step, outage or backlog (issue 12, cost: a reflow
   * visits these, not every resource).
   */
  private readonly stateMoved = new Set<string>();
  /** The resources' own breakpoints in time order (their nextAt). */
  private readonly breakpoints = new BreakpointHeap();
  /** Resources some of whose workloads hold or are filling a backlog (releaseBacklogs visits these only). */
  private readonly backlogged = new Set<string>();
  /** Resources Ahead whose resync delay has passed (protocolChecks turns them SyncSource). */
  private readonly aheadDue = new Set<string>();
  /**
   * Every how many reflows every resource is checked against what the incremental scans assume (its state
   * unchanged, its levels within bounds, no protocol check due, no backlog): 1 under the self-check (the test
   * suite), else AUDIT_EVERY. A resource the scans missed is an InvariantViolation.
   */
  auditEvery = process.env.REPLSIM_SELF_CHECK === '1' ? 1 : AUDIT_EVERY;
  private reflows = 0;
  /** Resources visited by a reflow's scans (state, bounds, protocol checks, backlogs), audits aside: for tests. */
  resourcesScanned = 0;
  /** Each disk's streams, built again only where a resource's or a job's contribution changed. */
  private readonly loadTable = new DiskLoadTable();
  previousFlow(r: BlockResource): ResourceFlow | undefined {
    return this.flows.get(r.name);
  }

  /** Each disk's last capacity solution (workload-stalls.ts reads a workload's disks'). */
  solutions = new Map<string, DiskSolution>();
  /** Disks are solved again only when their load changed (issue 12, point 3). */
  readonly solver = new DiskSolverCache();
  /** Resource flows computed (a reflow computes again only those whose inputs moved): the model's unit of work, for benchmarks and tests. */
  flowsComputed = 0;
  /** Flows kept because a moved solution stayed within the volume's wait bound (readings.ts), for tests. */
  flowsKeptByBound = 0;
  private reflowEvent: EventHandle | null = null;
  private breakpoint: EventHandle | null = null;
  /** The Pacemaker/Corosync cluster managing DRBD resources, when the scenario has one. */
  readonly pacemaker: Pacemaker | null;

  constructor(
    readonly ctx: WorldContext,
    readonly spec: BlockSpec,
  ) {
    for (const h of spec.hosts) this.hostSite.set(h.name, h.site);
    for (const d of spec.disks) this.disks.set(d.name, d);
    const t = ctx.sim.now;
    for (const r of spec.resources) {
      this.order.set(r.name, this.order.size);
      const res = new BlockResource(r, t);
      // Through a local: a function literal assigned straight to a property is allocated in V8's old generation (docs/performance.md).
      const moved = (x: BlockResource): void => void this.stateMoved.add(x.name);
      res.onStateChange = moved;
      this.resources.set(r.name, res);
      if (res.drbd?.quorum) this.quorumResources.push(res);
    }
    for (const w of spec.workloads) {
      const state: WorkloadState = { spec: w, backlog: new Level(t, 0), backlogBooks: new Account(t), stall: null, lat: { at: t, value: 0, slope: 0, steady: true }, writeScale: 1, outage: false, lastStall: null, shortfall: null, pendingStall: null, backlogCause: null };
      this.workloads.set(w.name, state);
      const list = this.byResource.get(w.resource);
      if (list) list.push(state);
      else this.byResource.set(w.resource, [state]);
    }
    for (const j of spec.jobs) this.startJob(j, false);
    this.pacemaker = spec.pacemaker ? new Pacemaker(this, spec.pacemaker) : null;
  }

  start(): void {
    this.pacemaker?.start();
    this.requestReflow();
  }

  /** The fence-peer handler exits (crm-fence-peer under Pacemaker: pacemaker/cluster.ts ManagedWorld; connection.ts). */
  fencePeerReturns(r: BlockResource, exit: FencePeerExit): void {
    fencePeerReturns(this, r, exit);
  }

  // ------------------------------------------------------------------------------------ recording

  log(res: string | null, node: string | null, kind: EventKind, fact: Fact): void {
    this.ctx.history.event(this.ctx.sim.now, res, node, kind, fact);
  }

  /** A plan or fault step, as applied. */
  private step(res: string | null, node: string | null, kind: EventKind, source: 'plan' | 'faults', action: BlockStepFact, name: string | null): void {
    this.log(res, node, kind, { kind: 'step', source, action, name });
  }

  requestReflow(): void {
    if (this.reflowEvent) return;
    this.reflowEvent = this.ctx.sim.at(this.ctx.sim.now, 'reflow block', () => {
      this.reflowEvent = null;
      this.reflow();
    }, PRIORITY.reflow);
  }

  // ------------------------------------------------------------------------------------ plan steps

  apply(op: BlockOp, source: 'plan' | 'faults', name: string | null): void {
    const kind: EventKind = source === 'plan' ? 'plan' : 'fault';
    const now = this.ctx.sim.now;
    switch (op.op) {
      case 'connect': {
        const r = this.resource(op.resource);
        this.step(r.name, r.primaryHost, kind, source, { kind: 'block-connect', resource: r.name }, name);
        connect(this, r, now);
        break;
      }
      case 'disconnect': {
        const r = this.resource(op.resource);
        this.step(r.name, r.primaryHost, kind, source, { kind: 'block-disconnect', resource: r.name }, name);
        disconnect(this, r, now, { kind: 'by-plan' });
        break;
      }
      case 'adjust': {
        const r = this.resource(op.resource);
        const action: BlockStepFact = { kind: 'block-adjust', resource: r.name, set: adjustedOptions(op.set) };
        this.step(r.name, r.primaryHost, 'setting', source, action, name);
        adjust(r, op.set);
        this.changes.set(r.name, { at: now, what: action });
        break;
      }
      case 'startJob':
        this.step(null, hostOf(this, op.job.disk), kind, source, { kind: 'disk-job-start', job: op.job.kind, name: op.job.name, disk: op.job.disk, pace: op.job.pace.kind === 'share' ? { share: op.job.pace.share } : { rate: op.job.pace.rate } }, name);
        this.startJob(op.job, true);
        break;
      case 'stopJob': {
        const key = `${op.disk}|${op.name}`;
        this.step(null, hostOf(this, op.disk), kind, source, { kind: 'disk-job-stop', name: op.name, disk: op.disk }, name);
        this.finishJob(key, 'stopped');
        break;
      }
      case 'ioWorkload': {
        const w = this.workloads.get(op.workload);
        invariant(w, `unknown workload ${op.workload}`);
        w.spec = {
          ...w.spec,
          ...(op.iops !== undefined ? { iops: op.iops } : {}),
          ...(op.readShare !== undefined ? { readShare: op.readShare } : {}),
          ...(op.random !== undefined ? { random: op.random } : {}),
          ...(op.size !== undefined ? { size: op.size } : {}),
        };
        this.stateMoved.add(w.spec.resource);
        const action: BlockStepFact = { kind: 'io-workload', workload: w.spec.name, iops: w.spec.iops, readShare: w.spec.readShare, random: w.spec.random, size: w.spec.size };
        this.step(w.spec.resource, null, kind, source, action, name);
        this.changes.set(w.spec.resource, { at: now, what: action });
        break;
      }
      case 'failHost':
        this.step(null, op.host, kind, source, { kind: 'host-lost', host: op.host }, name);
        this.powerOff(op.host, 'lost');
        break;
      case 'powerOn':
        this.step(null, op.host, kind, source, { kind: 'host-power-on', host: op.host }, name);
        if (!this.failedHosts.has(op.host)) break;
        if (this.pacemaker?.spec.nodes.includes(op.host)) this.pacemaker.powerOn(op.host, { kind: 'plan' });
        else hostBack(this, op.host);
        break;
      case 'forcePrimary': {
        const r = this.resource(op.resource);
        this.step(r.name, op.host, kind, source, { kind: 'force-primary', resource: r.name, host: op.host }, name);
        // --force without quorum outdates the peers it cannot reach (drbd_nl.c drbd_set_role, CS_FP_OUTDATE_PEERS):
        // they leave its voters, and it has quorum alone.
        if (quorumOf(this, r, op.host)?.have === false) r.forcedOutdate = true;
        this.forcePrimary(r, op.host, now);
        break;
      }
      case 'slowDisk': {
        const before = this.diskSpec(op.disk).slowdown ?? 1;
        this.step(null, hostOf(this, op.disk), kind, source, { kind: 'disk-slowdown', disk: op.disk, factor: op.factor, duration: op.duration }, name);
        this.setSlowdown(op.disk, op.factor);
        if (op.duration !== null) {
          this.ctx.sim.at((now + op.duration) as Micros, `disk ${op.disk} spike ends`, () => {
            this.log(null, hostOf(this, op.disk), 'lifecycle', { kind: 'disk-spike-ends', disk: op.disk, factor: before });
            this.setSlowdown(op.disk, before);
            this.requestReflow();
          }, PRIORITY.protocol);
        }
        break;
      }
      case 'failDisk':
        this.step(null, hostOf(this, op.disk), kind, source, { kind: 'disk-fails', disk: op.disk }, name);
        this.failDisk(op.disk, now);
        break;
      case 'secondary': {
        const r = this.resource(op.resource);
        if (op.host === r.primaryHost && r.peerRole !== 'Primary') {
          // A planned switchover's first half (switchover.ts).
          const queued = Math.round(unread(r, now));
          const refused = demote(this, r, now);
          this.step(r.name, op.host, kind, source, { kind: 'make-secondary', resource: r.name, host: op.host, refused, ...(refused === null ? { planned: { queued } } : {}) }, name);
          if (refused !== null) this.log(r.name, op.host, 'fatal', { kind: 'block-role-refused', resource: r.name, host: op.host, op: 'secondary', why: refused });
          break;
        }
        const ok = op.host === r.secondaryHost && r.peerRole === 'Primary';
        const refused = ok ? null : op.host === r.primaryHost ? 'writes-to-it' : 'not-primary';
        this.step(r.name, op.host, kind, source, { kind: 'make-secondary', resource: r.name, host: op.host, refused }, name);
        if (refused !== null) this.log(r.name, op.host, 'fatal', { kind: 'block-role-refused', resource: r.name, host: op.host, op: 'secondary', why: refused });
        if (ok) {
          r.peerRole = 'Secondary';
          this.endSplit(r.name, op.host, now, 'demoted');
        }
        break;
      }
      case 'primary': {
        const r = this.resource(op.resource);
        this.step(r.name, op.host, kind, source, { kind: 'make-primary', resource: r.name, host: op.host }, name);
        makePrimary(this, r, op.host, now);
        break;
      }
      case 'move': {
        const r = this.resource(op.resource);
        const from = r.primaryHost;
        const queued = Math.round(unread(r, now));
        const refused = pacemakerMove(this, r, op.host, now);
        this.step(r.name, op.host, kind, source, { kind: 'pacemaker-move', resource: r.name, host: op.host, from, queued: refused === null ? queued : 0, refused }, name);
        if (refused !== null) this.log(r.name, op.host, 'fatal', { kind: 'block-role-refused', resource: r.name, host: op.host, op: 'move', why: refused });
        else clusterPromote(this, r, op.host, now);
        break;
      }
    }
    this.requestReflow();
  }

  private resource(name: string): BlockResource {
    const r = this.resources.get(name);
    invariant(r, `unknown resource ${name}`);
    return r;
  }

  private startJob(spec: DiskJobSpec, log: boolean): void {
    const key = `${spec.disk}|${spec.name}`;
    void log;
    this.jobs.set(key, { spec, done: new Level(this.ctx.sim.now, 0), rate: 0 });
    this.loadTable.invalidate(spec.disk);
    this.requestReflow();
  }

  private finishJob(key: string, how: 'done' | 'stopped'): void {
    const j = this.jobs.get(key);
    if (!j) return;
    this.jobs.delete(key);
    this.loadTable.invalidate(j.spec.disk);
    const what: BlockFact = how === 'done' ? { kind: 'disk-job-finished', job: j.spec.kind, name: j.spec.name, disk: j.spec.disk, size: j.spec.size ?? 0 } : { kind: 'disk-job-stop', name: j.spec.name, disk: j.spec.disk };
    if (how === 'done') this.log(null, hostOf(this, j.spec.disk), 'lifecycle', what);
    for (const r of this.resources.values()) if (r.primaryDisk === j.spec.disk || r.secondaryDisk === j.spec.disk) this.changes.set(r.name, { at: this.ctx.sim.now, what });
    this.requestReflow();
  }

  /** Whether the two hosts of a resource can talk now (the line is up, neither is cut off). */
  pathUp(r: BlockResource): { bandwidth: number; latency: number; loss: number } | null {
    if (r.secondaryHost === null) return null;
    const a = { name: r.primaryHost, site: this.hostSite.get(r.primaryHost)! };
    const b = { name: r.secondaryHost, site: this.hostSite.get(r.secondaryHost)! };
    const p = this.ctx.net.path(a, b);
    if (!p || !this.ctx.net.reachable(a, b)) return null;
    // Packet loss (a `packet_loss` fault) bounds the TCP flow's rate (tcp/connection.ts lossLimitedRate).
    return { bandwidth: p.bandwidth, latency: p.latency, loss: this.ctx.net.loss(a, b) };
  }

  onNetworkChange(): void {
    const now = this.ctx.sim.now;
    this.everything = true;
    for (const r of this.resources.values()) {
      const up = this.pathUp(r) !== null;
      const d = r.drbd;
      if (!d) {
        if (r.transmitting && !up) disconnect(this, r, now, { kind: 'line-down' }, true);
        continue;
      }
      if (r.transmitting && !up && !r.lossTimer) {
        keepUnacknowledged(this, r, now);
        // DRBD notices a dead link when an expected answer does not come: within `timeout` when requests are
        // in flight, else when the keep-alive ping after ping-int goes unanswered for ping-timeout (MAN84
        // net options; drbd_receiver.c / drbd_sender.c). Until then TCP retransmits and nothing arrives.
        const busy = r.sendQ.valueAt(now) > EPS_BYTES || r.resyncing || this.workloadsOf(r).some((w) => w.spec.iops * (1 - w.spec.readShare) > 0);
        const after = busy ? d.net.timeout : d.net.pingInt + d.net.pingTimeout;
        r.lossTimer = this.ctx.sim.at((now + after) as Micros, `drbd ${r.name} peer lost`, () => {
          r.lossTimer = null;
          if (this.pathUp(r) || !r.transmitting) return;
          const why: ConnReason = busy ? { kind: 'no-answer', timeout: d.net.timeout } : { kind: 'ping-unanswered', pingInt: d.net.pingInt, pingTimeout: d.net.pingTimeout };
          disconnect(this, r, this.ctx.sim.now, why, true);
          this.requestReflow();
        }, PRIORITY.protocol);
      } else if (up && r.lossTimer) {
        // Back before DRBD noticed: TCP delivers what it retransmitted; the connection never broke.
        this.ctx.sim.cancel(r.lossTimer);
        r.lossTimer = null;
      }
      if (up && r.conn.kind === 'Connecting' && peerListens(this, r)) scheduleAttempt(this, r, now);
    }
    this.pacemaker?.onNetworkChange();
    this.requestReflow();
  }

  private setSlowdown(disk: string, factor: number): void {
    const base = this.disks.get(disk)!;
    // A peer still finishing its writes before it listens again (peerCleansUp) finishes them at the new speed:
    // a request's service time scales with the factor.
    const was = this.degraded.get(disk)?.slowdown ?? 1;
    const now = this.ctx.sim.now;
    for (const r of this.resources.values()) {
      if (r.secondaryDisk !== disk || now >= r.peerCleanupUntil || !r.peerCleanupTimer) continue;
      peerCleansUpAt(this, r, now, ((r.peerCleanupUntil - now) / 1e6) * r.peerCleanupRate, (r.peerCleanupRate * was) / factor);
    }
    if (factor === 1) this.degraded.delete(disk);
    else this.degraded.set(disk, { ...base, slowdown: factor });
    this.loadTable.invalidate(disk);
    this.everything = true;
  }

  /**
   * A disk fails. DRBD's on-io-error detach (the default; drbd_req.c drbd_handle_io_error_) takes it to
   * Failed and then Diskless: a peer's copy is gone and the primary replicates to it no more (its writes
   * mark the bitmap); a primary's disk gone, the application's I/O stops here (a real diskless primary
   * would read and write through its peer: not modelled, the scenario moves it with force_primary).
   */
  private failDisk(disk: string, now: Micros): void {
    if (this.failedDisks.has(disk)) return;
    this.failedDisks.add(disk);
    this.noteHostOrDisk(disk);
    this.loadTable.invalidate(disk);
    for (const [key, j] of this.jobs) if (j.spec.disk === disk) this.finishJob(key, 'stopped');
    for (const r of this.resources.values()) {
      if (r.primaryDisk === disk && !this.failedHosts.has(r.primaryHost) && this.goesDiskless(r, disk)) continue;
      if (r.primaryDisk === disk && !this.failedHosts.has(r.primaryHost)) {
        r.lostPrimary = { host: r.primaryHost, at: now, ...this.assessLoss(r, now), recorded: false };
        this.ctx.sim.cancel(r.koTimer);
        r.koTimer = null;
        this.ctx.sim.cancel(r.reqTimer);
        r.reqTimer = null;
        r.conn = { kind: 'StandAlone', since: now, reason: { kind: 'disk-failed', disk, host: r.primaryHost } };
        this.log(r.name, r.primaryHost, 'replication', { kind: 'disk-detached', resource: r.name, disk, host: r.primaryHost, primary: null });
        for (const w of this.workloadsOf(r)) this.setOutage(w, r, now, { kind: 'primary-disk-failed', disk, resource: r.name, host: r.primaryHost });
      } else if (r.secondaryDisk === disk && r.secondaryHost !== null && !this.failedHosts.has(r.secondaryHost)) {
        if (r.conn.kind !== 'StandAlone') disconnect(this, r, now, { kind: 'disk-failed', disk, host: null });
        r.peerDisk = 'Failed';
        this.log(r.name, r.secondaryHost, 'replication', { kind: 'disk-detached', resource: r.name, disk, host: r.secondaryHost, primary: r.primaryHost });
      }
    }
  }

  /**
   * The Primary's disk failed while it is connected to an UpToDate peer: DRBD detaches it and the node stays
   * Primary, Diskless, its I/O served by the peer (drbd_req.c: a request without a local disk goes to the
   * peer; the failed local write is completed by the peer's: drbd_req.c mod_rq_state, "if local failed but
   * remote succeeded, report success"; the DRBD user's guide, "Disk failure: ... DRBD will transparently
   * redirect I/O to the peer"). Writes complete by the protocol's rule for the network part alone (A when
   * sent, B when received, C when on the peer's disk); reads go over the line to the peer's disk. Until that
   * connection goes: then it has no data (disconnect → losesPeerData).
   * APPROXIMATION: the reads' replies on the line back and their round trip are not modelled.
   */
  private goesDiskless(r: BlockResource, disk: string): boolean {
    const s = r.secondaryHost;
    if (!r.drbd || r.conn.kind !== 'Connected' || r.peerDisk !== 'UpToDate' || s === null || this.failedHosts.has(s) || r.secondaryDisk === null || this.failedDisks.has(r.secondaryDisk)) return false;
    r.diskless = true;
    this.log(r.name, r.primaryHost, 'replication', { kind: 'disk-detached', resource: r.name, disk, host: r.primaryHost, primary: null, served: s });
    if (this.pacemaker?.manages(r)) {
      // drbd.ocf drbd_update_master_score at the Promoted instance's next monitor: 10 ("only remote access to
      // UpToDate data", adjust_master_score "0 10 1000 10000") against its UpToDate Secondary's 10000, so the
      // cluster moves the Promoted role there, as a `move` does (switchover.ts). ASSUMPTION: the monitor runs
      // MASTER_MONITOR after the failure (the usual DRBD/Pacemaker example's op monitor interval=29s role=Master (interval=31s role=Slave), at worst),
      // and resource-stickiness is below the difference.
      const host = r.primaryHost;
      this.ctx.sim.at((this.ctx.sim.now + MASTER_MONITOR) as Micros, `pacemaker monitor ${r.name} on ${host}`, () => {
        if (!r.diskless || r.primaryHost !== host || r.secondaryHost !== s) return;
        const t = this.ctx.sim.now;
        this.log(r.name, host, 'failover', { kind: 'diskless-master-score', resource: r.name, host, peer: s, score: 10, peerScore: 10000 });
        if (pacemakerMove(this, r, s, t) === null) clusterPromote(this, r, s, t);
        this.requestReflow();
      }, PRIORITY.protocol);
    }
    this.touched.add(r.name);
    this.everything = true;
    return true;
  }

  /**
   * A Diskless Primary's connection went (its peer or the link lost, the peer's disk failed): no node it can
   * reach has the data, so its I/O fails (on-no-data-accessible io-error, the default): an outage, the data on
   * the peer's disk only.
   */
  losesPeerData(r: BlockResource, now: Micros): void {
    if (!r.diskless) return;
    r.diskless = false;
    r.lostPrimary = { host: r.primaryHost, at: now, ...this.assessLoss(r, now), recorded: false };
    for (const w of this.workloadsOf(r)) this.setOutage(w, r, now, r.secondaryHost !== null ? { kind: 'diskless-peer-lost', disk: r.primaryDisk, resource: r.name, host: r.primaryHost, node: r.secondaryHost } : { kind: 'primary-disk-failed', disk: r.primaryDisk, resource: r.name, host: r.primaryHost });
    this.touched.add(r.name);
    this.everything = true;
  }

  siteOf(host: string): string {
    return this.hostSite.get(host)!;
  }

  /** The host loses power (the plan, a fence device): its disks, buffers and cluster stack with it. */
  powerOff(host: string, cause: PowerOffCause | 'lost'): void {
    if (this.failedHosts.has(host)) return;
    if (cause !== 'lost') {
      this.log(null, host, 'fault', { kind: 'powered-off', host, cause });
      this.poweredOff.add(host);
    }
    // Its cluster stack stops first: a handler its peer starts now no longer hears it.
    this.pacemaker?.nodeDown(host);
    this.failHost(host, this.ctx.sim.now);
    this.everything = true;
    this.requestReflow();
  }

  /** The host runs again (pacemaker/cluster.ts after its boot, or the plan): see power.ts. */
  hostBack(host: string): void {
    hostBack(this, host);
  }

  resume(r: BlockResource, cause: ResumeCause): void {
    resume(this, r, cause);
  }

  stopPromoted(r: BlockResource, policy: string): void {
    stopPromoted(this, r, policy);
  }

  /** Pacemaker promotes the survivor (as drbdadm primary): the same path as a forced promotion. */
  promote(r: BlockResource, host: string, why: Extract<PacemakerFact, { kind: 'dc-promotes' }>): void {
    this.log(r.name, host, 'failover', why);
    // drbd.ocf promotes with drbdadm primary, without --force: refused without quorum (SS_NO_QUORUM).
    if (quorumOf(this, r, host)?.have === false) {
      this.log(r.name, host, 'fatal', { kind: 'block-role-refused', resource: r.name, host, op: 'primary', why: 'no-quorum' });
      return;
    }
    this.forcePrimary(r, host, this.ctx.sim.now);
    this.requestReflow();
  }

  /** A resource's roles or application moved (switchover.ts): its disks' loads and state are recomputed. */
  rolesMoved(r: BlockResource): void {
    this.loadTable.invalidate(r.primaryDisk);
    if (r.secondaryDisk !== null) this.loadTable.invalidate(r.secondaryDisk);
    this.everything = true;
    this.stateMoved.add(r.name);
    this.requestReflow();
  }

  /** The application's outage on the resource ends: it writes to the primary host again. */
  endOutages(r: BlockResource, now: Micros): void {
    for (const w of this.workloadsOf(r)) {
      if (!w.outage) continue;
      this.ctx.history.setWriteStatus({ cluster: r.name, workload: w.spec.name }, now, null, primaryAgain(r));
      w.outage = false;
      this.stateMoved.add(r.name);
    }
  }

  /** The send path and the peer's queue, drained (switchover.ts: the roles swap over an empty path). */
  clearPath(r: BlockResource, now: Micros): void {
    emptyPath(this, r, now);
    r.pipeApp.set(now, 0);
  }

  /**
   * drbdadm primary on a peer that cannot reach the demoted (or still Primary) node: promoted as forcePrimary
   * promotes. A demoted old Primary is Secondary: no two Primaries. What it wrote as Primary while they were
   * apart (a new data generation, drbd_uuid_new_current) meets the new Primary's at the handshake
   * (after-sb-1pri); without that, its current UUID is the new Primary's bitmap UUID and it simply becomes
   * SyncTarget (drbd_receiver.c drbd_uuid_compare), its out-of-sync blocks merged into the resync: what its
   * transfer log marked at the disconnect (protocol A had acknowledged it) is overwritten, so lost.
   */
  promoteApart(r: BlockResource, host: string, now: Micros): void {
    const demoted = r.demoted !== null;
    const conn = r.conn;
    const old = r.primaryHost;
    const dirty = r.bitmap.dirty(now);
    const alone = Math.max(0, dirty - r.transferLogDirty);
    const acked = r.acked.valueAt(now);
    r.demoted = null;
    this.forcePrimary(r, host, now, demoted);
    if (!demoted || r.primaryHost !== host) return;
    if (alone <= EPS_BYTES) {
      if (dirty > EPS_BYTES) {
        const size = this.workloadsOf(r)[0]?.spec.size ?? PAGE_SIZE;
        const fromPos = Math.max(0, acked - dirty);
        this.ctx.history.block.loss({ at: now, resource: r.name, node: old, fromAt: r.ackedTimeOf(fromPos, now), toAt: r.ackedTimeOf(acked, now), writes: Math.max(1, Math.round(dirty / size)), bytes: Math.round(dirty), fromPos, toPos: acked, chain: [{ kind: 'loss-send-path', bytes: dirty, primary: old, peer: host, label: r.label }, { kind: 'loss-made-primary-without', host }] });
        // The old node's marked blocks are resynced over from the new Primary with its own.
        r.bitmap.add(now, dirty, r.spec.maxBioSize);
      }
    }
    r.conn = conn;
    if (r.conn.kind === 'Connecting' && peerListens(this, r)) scheduleAttempt(this, r, now);
    this.rolesMoved(r);
  }

  /** The split of `resource` whose older Primary is `older` ends (history.block.splits). */
  endSplit(resource: string, older: string, now: Micros, how: 'demoted' | 'host-down' | 'resolved'): void {
    const s = this.ctx.history.block.splits.findLast((x) => x.resource === resource && x.older === older && x.to === null);
    if (s) {
      s.to = now;
      s.how = how;
    }
  }

  private failHost(host: string, now: Micros): void {
    this.failedHosts.add(host);
    for (const r of this.resources.values()) this.endSplit(r.name, host, now, 'host-down');
    this.noteHostOrDisk(host);
    for (const r of this.resources.values()) {
      if (r.primaryHost === host) {
        const loss = this.assessLoss(r, now);
        r.lostPrimary = { host, at: now, ...loss, recorded: false };
        r.primaryCacheLost = cacheLossAt(this, r, host, r.primaryDisk, 'primary', now);
        r.frozen = null;
        this.ctx.sim.cancel(r.koTimer);
        this.ctx.sim.cancel(r.reqTimer);
        r.reqTimer = null;
        r.conn = { kind: 'StandAlone', since: now, reason: { kind: 'host-lost', host } };
        for (const w of this.workloadsOf(r)) this.setOutage(w, r, now, { kind: 'primary-host-lost', host, resource: r.name });
      } else if (r.secondaryHost === host) {
        // What its receiver had taken in (max-buffers pages submitted to its disk) dies with it: DRBD waits for
        // those writes only when the connection goes and the host lives (drbd_disconnected). Under protocols A
        // and B they were acknowledged; the primary's transfer log marks them (not RQ_NET_DONE before the
        // barrier ack, drbd_req.c tl_clear), so a resync sends them again.
        const fl = this.flows.get(r.name);
        const proto = r.drbd?.net.protocol ?? 'A';
        const inPages = fl && r.secondaryDisk !== null ? Math.min(r.peerQ.valueAt(now), r.peerDiskWindow()) * applicationShare(r, fl, now) : 0;
        const lacks = proto !== 'C' && inPages > EPS_BYTES ? inPages : 0;
        if (inPages > EPS_BYTES) {
          r.bitmap.add(now, inPages, r.spec.maxBioSize);
          if (proto === 'C') r.unackedDirty += inPages;
          else {
            // Acknowledged, written before the connection went (the generation both share, as disconnect's).
            r.transferLogDirty += inPages;
            if (r.dirtySince === null) r.dirtySince = r.ackedTimeOf(Math.max(0, r.acked.valueAt(now) - inPages), now);
          }
        }
        // Its primary already down: those writes are on no disk that will run without it.
        const lost = r.lostPrimary;
        if (lost && lacks > 0 && r.drbd && (proto === 'A' || proto === 'B')) {
          lost.lostBytes += lacks;
          lost.fromPos = Math.max(0, lost.fromPos - lacks);
          lost.chain = [...lost.chain, { kind: 'loss-peer-queue', bytes: lacks, peer: host, protocol: proto }];
        }
        // Its volatile write cache's released writes (write-cache.ts): no bitmap marks them. Its primary already
        // down, they are on no disk that runs without it, as above.
        const cache = r.peerDisk === 'UpToDate' && r.secondaryDisk !== null ? cacheLossAt(this, r, host, r.secondaryDisk, 'secondary', now) : null;
        if (cache && lost) {
          lost.lostBytes += cache.bytes;
          lost.fromPos = Math.max(0, lost.fromPos - cache.bytes);
          lost.chain = [...lost.chain, cacheStep(cache, 'secondary', cache.bytes)];
        } else if (cache) {
          const before = staleBytes(r.peerStale, r, now);
          r.peerStale = before > 0 ? { ...cache, bytes: cache.bytes + before } : cache;
        }
        // What its disk holds from now on (copies.ts holders; power.ts hostBack; crashedPrimaryBack).
        r.peerLost = { at: now, disk: r.peerDisk, acked: r.acked.valueAt(now), lacks: lacks + (cache?.bytes ?? 0) };
        // A connection already lost (Connecting) loses nothing more.
        if (r.conn.kind !== 'StandAlone' && r.conn.kind !== 'Connecting') disconnect(this, r, now, { kind: 'host-lost', host }, true);
        // A host powered off keeps its disk: the primary knows of it what the disconnect and fencing left.
        if (!this.poweredOff.has(host)) r.peerDisk = 'Failed';
      }
    }
  }

  /**
   * Where the device's newest data is now (history), and when no running disk holds it any more, the
   * acknowledged writes that are on no surviving copy (recorded once, as they are lost).
   */
  private noteCopies(r: BlockResource, now: Micros): void {
    const c = copiesSample(r, this, now);
    this.ctx.history.block.copiesNow(c);
    if (c.running.length > 0) r.pendingLossAt = null;
    // Every copy on powered-off hosts: unavailable until one boots, not lost.
    if (c.running.length > 0 || (c.off?.length ?? 0) > 0 || r.everyCopyLost) return;
    r.everyCopyLost = true;
    const lost = r.lostPrimary;
    const acked = r.acked.valueAt(now);
    if (acked <= EPS_BYTES) return;
    const size = this.workloadsOf(r)[0]?.spec.size ?? PAGE_SIZE;
    // A node without the newest writes was made primary over a dead old one: forcePrimary recorded those writes.
    if (r.superseded && !lost && (!r.split || r.split.lossRecorded)) return;
    const survivor = consistentSurvivor(r, this);
    const nowhere = (survivor: string | null): BlockLossStep => ({ kind: 'loss-nowhere', resource: r.name, why: c.why, survivor });
    // Pending until the run ends or an older copy is made primary: a down host that held them may come back
    // with its disk (hostBack), as a host does after a power loss of its site.
    // Judged again when a host came back without it (returnsWithNewest): dated from the first judgement.
    const at = r.pendingLossAt ?? now;
    r.pendingLossAt = null;
    const pending = (record: BlockLossRecord) => {
      r.pendingLoss = { record: { ...record, at }, down: [...c.down] };
    };
    if (lost && survivor) {
      if (lost.lostBytes > EPS_BYTES) {
        pending({ at: now, resource: r.name, node: lost.host, fromAt: lost.fromAt, toAt: lost.toAt ?? lost.at, writes: Math.max(1, Math.round(lost.lostBytes / size)), bytes: Math.round(lost.lostBytes), fromPos: lost.fromPos, toPos: lost.toPos, chain: [...lost.chain, nowhere(survivor)] });
      }
      lost.recorded = true;
      return;
    }
    // No consistent copy runs at all: every write of the run is gone with the device.
    pending({ at: now, resource: r.name, node: lost?.host ?? r.primaryHost, fromAt: r.ackedCurve[0]!.at, toAt: lost?.at ?? now, writes: Math.max(1, Math.round(acked / size)), bytes: Math.round(acked), fromPos: 0, toPos: acked, chain: [nowhere(null), { kind: 'loss-no-consistent-image', size: r.spec.size, acked }] });
    if (lost) lost.recorded = true;
  }

  /** The writes on no running disk are lost for good (an older copy made primary, the run's end). */
  private commitPendingLoss(r: BlockResource): void {
    const p = r.pendingLoss;
    if (!p) return;
    r.pendingLoss = null;
    this.ctx.history.block.loss(p.record);
  }

  /**
   * `host` runs again with its disk: if it was one of the down hosts that held the writes no running disk had,
   * they were unavailable, not lost (power.ts hostBack). Its lost primary's writes are judged afresh.
   */
  returnsWithNewest(r: BlockResource, host: string): void {
    const p = r.pendingLoss;
    if (!p) return;
    r.pendingLoss = null;
    r.everyCopyLost = false;
    if (r.lostPrimary) r.lostPrimary.recorded = false;
    // Another host back (an older copy, say the peer of a protocol A primary): its image may be the consistent
    // one a forced promotion keeps, so the next reflow judges the loss again (noteCopies), from the same instant.
    if (!p.down.includes(host)) r.pendingLossAt = p.record.at;
  }

  /** What the peer does not have of what the primary acknowledged (rule 13). */
  private assessLoss(r: BlockResource, now: Micros): { lostBytes: number; chain: BlockLossStep[]; fromPos: number; toPos: number; fromAt: Micros; toAt?: Micros } {
    const acked = r.acked.valueAt(now);
    const chain: BlockLossStep[] = [];
    const d = r.drbd;
    // Protocol B and C acknowledge only what the peer received or wrote; A, md write-behind and WalB
    // acknowledge before the peer has it.
    const pipeLoses = !d || d.net.protocol === 'A';
    // What the peer's receiver has already taken in (its max-buffers pages, submitted to its disk) it
    // writes whatever happens to the primary: DRBD waits for its peer requests before it tears the
    // connection down (drbd_receiver.c drbd_disconnected → drbd_wait_ee_list_empty). Only what was still in
    // the primary's send path or the peer's socket buffer is lost (the receiver stops reading that once it
    // notices the loss; APPROXIMATION: none of it is read before then).
    const f = this.flows.get(r.name);
    const peerAlive = r.secondaryHost !== null && !this.failedHosts.has(r.secondaryHost) && (r.secondaryDisk === null || !this.failedDisks.has(r.secondaryDisk));
    const atPeerDisk = pipeLoses && peerAlive && f ? Math.min(r.peerQ.valueAt(now), r.peerDiskWindow()) * applicationShare(r, f, now) : 0;
    const pipe = pipeLoses ? Math.max(0, Math.min(r.pipeApp.valueAt(now) - atPeerDisk, acked)) : 0;
    const dirty = r.secondaryHost && r.dirtySince !== null ? Math.max(0, r.bitmap.dirty(now) - r.unackedDirty) : 0;
    if (pipe > EPS_BYTES) chain.push({ kind: 'loss-send-path', bytes: pipe, primary: r.primaryHost, peer: r.secondaryHost, label: r.label });
    if (dirty > EPS_BYTES) chain.push({ kind: 'loss-bitmap-only', bytes: dirty, conn: r.conn.kind === 'StandAlone' ? { kind: 'reason', reason: r.conn.reason } : { kind: 'state', state: r.conn.kind } });
    if (r.peerDisk === 'Inconsistent') chain.push({ kind: 'loss-peer-inconsistent', peer: r.secondaryHost });
    // The peer's disk lacks what its volatile cache lost at an earlier power loss (cache-loss.ts).
    const stale = r.peerDisk === 'UpToDate' ? staleBytes(r.peerStale, r, now) : 0;
    if (stale > EPS_BYTES) chain.push(cacheStep(r.peerStale!, 'secondary', stale));
    const lostBytes = pipe + dirty + stale;
    if (pipe + dirty <= EPS_BYTES && stale > EPS_BYTES) {
      // Only the stale writes: acknowledged before the peer's power loss.
      const c = r.peerStale!;
      return { lostBytes, chain, fromPos: Math.max(0, c.acked - stale), toPos: c.acked, fromAt: r.ackedTimeOf(Math.max(0, c.acked - stale), now), toAt: c.at };
    }
    // With stale writes too, from the first of them (the count is the bytes, not the span).
    const fromPos = Math.max(0, acked - lostBytes);
    const fromAt = r.dirtySince !== null && dirty > EPS_BYTES ? r.dirtySince : r.ackedTimeOf(fromPos, now);
    return { lostBytes, chain, fromPos, toPos: acked, fromAt };
  }

  /** `oldDemoted`: the old Primary gave its role up first (switchover.ts): it runs on as Secondary, no two Primaries. */
  private forcePrimary(r: BlockResource, host: string, now: Micros, oldDemoted = false): void {
    if (host !== r.secondaryHost || this.failedHosts.has(host)) {
      this.log(r.name, host, 'fatal', { kind: 'cannot-become-primary', resource: r.name, host, primary: null });
      return;
    }
    const old = r.primaryHost;
    const oldAlive = !primaryDown(this, r);
    if (oldAlive && r.transmitting) {
      // Two Primaries need allow-two-primaries (and protocol C); replsim does not model dual-primary.
      this.log(r.name, host, 'fatal', { kind: 'cannot-become-primary', resource: r.name, host, primary: old });
      return;
    }
    const lost = r.lostPrimary;
    // A node without every acknowledged write made primary: those writes stay only where they were.
    // The newest data on no running disk was only unavailable until now: made primary without it, it is lost.
    this.commitPendingLoss(r);
    if ((r.peerDisk !== 'UpToDate' || peerLacks(r, now) > 0) && !r.superseded) r.superseded = holders(r, this, now);
    // Stale blocks the lost primary's record does not count (it ran on, or they were counted with it).
    if (lost) r.peerStale = null;
    else promotesStale(this, r, host, now);
    if (lost && lost.lostBytes > EPS_BYTES && !lost.recorded) {
      const size = this.workloadsOf(r)[0]?.spec.size ?? PAGE_SIZE;
      this.ctx.history.block.loss({
        at: now,
        resource: r.name,
        node: old,
        fromAt: lost.fromAt,
        toAt: lost.toAt ?? lost.at,
        writes: Math.max(1, Math.round(lost.lostBytes / size)),
        bytes: Math.round(lost.lostBytes),
        fromPos: lost.fromPos,
        toPos: lost.toPos,
        chain: [...lost.chain, { kind: 'loss-made-primary-without', host }],
      });
    }
    if (oldAlive && r.drbd) {
      // The old Primary runs on with what it wrote since they parted: a split brain, found at the reconnection.
      // Demoted, it is Secondary: only what it wrote as Primary while they were apart makes one (promoteApart).
      const acked = r.acked.valueAt(now);
      const changes = r.bitmap.dirty(now);
      const split = { at: now, oldHost: old, oldChanges: changes, fromAt: r.dirtySince ?? now, toAt: now, fromPos: Math.max(0, acked - changes), toPos: acked };
      // A Primary without quorum has written nothing alone: its I/O froze or failed as DRBD lost the peer, so it
      // made no new current UUID (drbd_req.c acts on NEW_CUR_UUID only once I/O is not suspended) and what its
      // transfer log marked then was never acknowledged (protocol B, C) or was acknowledged before (A).
      // APPROXIMATION: it then resyncs from the new Primary as SyncTarget at the reconnection, as a demoted one does.
      const quorumless = r.quorumLost !== null && r.quorumLost.host === old;
      if (!oldDemoted && !quorumless) {
        r.split = split;
        r.peerRole = 'Primary';
        this.ctx.history.block.splits.push({ resource: r.name, from: now, older: old, newer: host, to: null, how: null });
      } else if (changes - r.transferLogDirty - (quorumless ? r.unackedDirty : 0) > EPS_BYTES) r.split = split;
    } else if (r.drbd && lost && this.failedHosts.has(old)) {
      // The old Primary went down after it had written alone (disconnected: a new current UUID, drbd_main.c
      // drbd_uuid_new_current), and this one is promoted with a new one too: if it boots with its disk, the
      // handshake finds a split brain with one Primary, resolved by after-sb-1pri (drbd_receiver.c
      // drbd_sync_handshake → drbd_asb_recover_1p). Its writes were recorded lost just above. An old
      // Primary that died connected (protocol A's send path only) wrote nothing alone: its UUID is this
      // one's bitmap UUID and it simply resyncs as SyncTarget.
      // What the transfer log marked at the disconnect (protocol A's send path) was written before it: DRBD
      // makes the new current UUID on the first write after the loss (drbd_state.c sets NEW_CUR_UUID,
      // drbd_req.c inc_ap_bio_cond acts on it once I/O is not suspended), or when the fence-peer handler
      // outdated the peer. An old Primary whose I/O stayed suspended until it died wrote nothing alone.
      const alone = Math.max(0, lost.chain.reduce((a, c) => a + (c.kind === 'loss-bitmap-only' ? c.bytes : 0), 0) - r.transferLogDirty);
      if (alone > EPS_BYTES) r.split = { at: now, oldHost: old, oldChanges: alone, fromAt: lost.fromAt, toAt: lost.at, fromPos: lost.fromPos, toPos: lost.toPos, lossRecorded: true };
    }
    r.primaryHost = host;
    r.primaryDisk = r.secondaryDisk!;
    r.secondaryHost = this.failedHosts.has(old) ? null : old;
    r.secondaryDisk = this.failedHosts.has(old) ? null : r.spec.primary.disk;
    // Still trying to connect since the link failed (its connect-int ticks go on), or from now.
    const since = r.conn.kind === 'Connecting' ? r.conn.since : now;
    r.conn = oldAlive && r.drbd ? { kind: 'Connecting', since, reason: { kind: 'old-still-primary', host: old } } : { kind: 'StandAlone', since: now, reason: { kind: 'old-gone', host: old } };
    // What the old node will have to be resynced with if it comes back (power.ts hostBack).
    r.promotedPos = r.acked.valueAt(now);
    r.divergedBytes = lost?.lostBytes ?? 0;
    r.peerLost = null;
    r.stopped = null;
    r.frozen = null;
    r.dirtySince = now;
    r.bitmap.clear(now);
    r.unackedDirty = 0;
    r.transferLogDirty = 0;
    emptyPath(this, r, now);
    r.lostPrimary = null;
    for (const w of this.workloadsOf(r)) {
      if (w.outage) {
        this.ctx.history.setWriteStatus({ cluster: r.name, workload: w.spec.name }, now, null, primaryAgain(r));
        w.outage = false;
        this.stateMoved.add(r.name);
      }
    }
    this.log(r.name, host, 'promote', { kind: 'block-primary', resource: r.name, host });
    if (r.conn.kind === 'Connecting' && peerListens(this, r)) scheduleAttempt(this, r, now);
  }

  /** The resources on a host or disk that failed or came back (their state reads whether it runs). */
  noteHostOrDisk(name: string): void {
    for (const r of this.resources.values()) {
      if (r.primaryHost === name || r.secondaryHost === name || r.primaryDisk === name || r.secondaryDisk === name) this.stateMoved.add(r.name);
    }
  }

  /** A workload's outage or spec changed: its resource's state moved. */
  noteStateMoved(resource: string): void {
    this.stateMoved.add(resource);
  }

  setOutage(w: WorkloadState, r: BlockResource, now: Micros, cause: WriteCauseFact): void {
    closeStall(this, w, now, { kind: 'end-outage', cause });
    w.pendingStall = null;
    closeShortfall(this, w, now);
    w.outage = true;
    this.stateMoved.add(r.name);
    this.ctx.history.setWriteStatus({ cluster: r.name, workload: w.spec.name }, now, { kind: 'outage', cause, node: r.primaryHost });
  }

  /** A disk's queue parameters now. */
  private diskSpec(name: string): DiskSpec {
    return this.degraded.get(name) ?? this.disks.get(name)!;
  }

  workloadsOf(r: BlockResource): WorkloadState[] {
    return this.byResource.get(r.name) ?? [];
  }

  // ------------------------------------------------------------------------------------ the reflow

  private reflow(): void {
    const now = this.ctx.sim.now;
    this.ctx.sim.cancel(this.breakpoint);
    this.breakpoint = null;
    // DRBD 9 quorum: judged again whenever something changed (a reflow), before the flows.
    for (const r of this.quorumResources) {
      if (!checkQuorum(this, r, now)) continue;
      this.touched.add(r.name);
      this.everything = true;
    }
    /**
     * Resources whose levels may have reached a bound or been moved now: those a discrete step touched or
     * changed the state of, and those whose own breakpoint is due (every one at the start, after a network
     * change). The others' levels move at rates that keep them within their bounds and their books balanced.
     */
    const audit = ++this.reflows % this.auditEvery === 0;
    const due = new Set<string>(this.touched);
    if (this.everything || this.fullReflows) for (const name of this.resources.keys()) due.add(name);
    else {
      // Those whose own breakpoint is due (the heap), and those whose state changed (stateMoved), in resource order.
      const more: string[] = [];
      for (let e = this.breakpoints.peek(this.current); e !== null && e.at <= now; e = this.breakpoints.peek(this.current)) {
        this.breakpoints.pop();
        if (!due.has(e.name)) more.push(e.name);
      }
      for (const name of this.stateMoved) {
        this.resourcesScanned++;
        const r = this.resources.get(name)!;
        if (due.has(name) || this.sameState(r)) continue;
        more.push(name);
        if (this.indexed.get(name) !== readersKey(r)) this.byDiskStale = true;
      }
      for (const name of this.inOrder(more)) due.add(name);
    }
    if (audit) this.auditState(due);
    this.resourcesScanned += due.size;
    this.snap(now, due, audit);
    this.protocolChecks(now, due, audit);
    this.releaseBacklogs(now, due, audit);

    /**
     * Resources whose flow is computed again at this instant: those due, those whose protocol state a step
     * changed, and (below) those whose disks' solutions moved. The rest keep their flows, their levels their
     * rates (issue 12, cost).
     */
    const changed = new Set<string>(due);
    for (const name of this.touched) changed.add(name);
    this.touched.clear();
    // Those whose state a protocol check or a released backlog changed just now.
    const more: string[] = [];
    for (const name of this.stateMoved) {
      this.resourcesScanned++;
      if (!changed.has(name) && !this.sameState(this.resources.get(name)!)) more.push(name);
    }
    for (const name of this.inOrder(more)) changed.add(name);
    this.stateMoved.clear();
    let fresh = new Set<string>(changed);
    /** Those computed at least once now whatever they read (their state or levels moved); and those computed so far. */
    const forced = new Set<string>(changed);
    const computed = new Set<string>();
    for (let iter = 0; iter < ITERATIONS; iter++) {
      const solvedBefore = this.solver.solved;
      // Each resource's disk streams, computed again while its flow is being computed again.
      for (const name of fresh) this.loadTable.set(name, resourceLoads(this, this.resources.get(name)!, now));
      const table = this.loadTable.loads(this);
      const sols = new Map<string, DiskSolution>();
      /** Disks whose solution is not the one of the previous iteration (or reflow); whose drains, or whether they are solved, changed. */
      const moved = new Set<string>();
      const drainMoved = new Set<string>();
      for (const [name, e] of table) {
        const spec = this.diskSpec(name);
        const sol = this.solver.solve(name, { spec, streams: e.actual.streams, shares: e.actual.shares }, e.actualVersion);
        sols.set(name, sol);
        const was = this.solutions.get(name);
        if (was !== sol) moved.add(name);
        if (!was) drainMoved.add(name);
        // The peers' capacity for replicated data: their receivers as deep as max-buffers allows, at whatever
        // rate their disks sustain (what drains a queue that built up while they were slower).
        if (!e.capacity.streams.some(isReceiver)) {
          if (this.drains.delete(name)) drainMoved.add(name);
          continue;
        }
        const cap = this.solver.solve(`${name}|capacity`, { spec, streams: e.capacity.streams, shares: e.capacity.shares }, e.capacityVersion);
        if (this.drains.get(name)?.sol !== cap) {
          // Each receiver stream adds to its resource's drain: summed once per capacity solution.
          const caps = new Map<string, number>();
          for (const st of e.capacity.streams) {
            if (!isReceiver(st)) continue;
            const owner = receiverOwner(st.id);
            caps.set(owner, (caps.get(owner) ?? 0) + cap.streams.get(st.id)!.rate * st.io.size);
          }
          this.drains.set(name, { sol: cap, caps });
          drainMoved.add(name);
        }
      }
      for (const name of this.drains.keys()) {
        if (table.has(name)) continue;
        this.drains.delete(name);
        drainMoved.add(name);
      }
      for (const name of this.solutions.keys()) if (!sols.has(name)) drainMoved.add(name);
      this.solutions = sols;
      /** Flows computed in this iteration: their disk streams are computed again in the next. */
      const next = new Set<string>();
      let movedFlow = false;
      for (const r of this.candidates(changed, moved, drainMoved)) {
        const drainCap = this.drainCapOf(r);
        const before = this.flows.get(r.name);
        const ws = this.workloadsOf(r);
        const read = readingsOf(r, ws, sols, drainCap);
        const prevIn = prevInputs(before, ws);
        if (computed.has(r.name)) {
          // Computed already at this instant: again only if what it read (the solutions, its previous flow)
          // moved since; the same inputs give the same flow.
          if (sameReadings(this.readings.get(r.name), read) && sameNumbers(this.prevRead.get(r.name), prevIn)) continue;
        } else if (before && !forced.has(r.name)) {
          // A resource none of whose inputs changed keeps its flow (and its levels their rates): with many
          // volumes on shared disks most events touch one of them (issue 12, cost).
          const old = this.readings.get(r.name);
          if (sameReadings(old, read)) continue;
          // Blocked behind its send buffer, a volume does not feel its primary's wait within its bound: its
          // readings stay those it was computed from, the next solution is checked against them again.
          const bound = this.waitBounds.get(r.name);
          if (bound && old && sameNumbers(old.rest, read.rest) && withinWaitBound(r, ws, sols.get(r.primaryDisk), bound)) {
            this.flowsKeptByBound++;
            continue;
          }
        }
        computed.add(r.name);
        changed.add(r.name);
        next.add(r.name);
        this.lastState.set(r.name, this.stateOf(r));
        const f = flowOf(this, r, now, sols, drainCap);
        this.readings.set(r.name, read);
        this.prevRead.set(r.name, prevIn);
        this.waitBounds.set(r.name, waitBound(r, ws, f, sols.get(r.primaryDisk), now));
        this.flowsComputed++;
        if (!before || differs(before.x, f.x) || differs(before.resync, f.resync) || differs(before.queueDelay, f.queueDelay) || differs(before.appRepl, f.appRepl)) movedFlow = true;
        this.flows.set(r.name, f);
      }
      // What the writes actually do feeds the next iteration's disk loads.
      for (const name of next) {
        const f = this.flows.get(name)!;
        for (const w of this.byResource.get(name) ?? []) {
          const work = f.work.get(w.spec.name);
          if (!work || work.offered <= 0) continue;
          const scale = Math.max(0.01, work.issued / work.offered);
          if (differs(scale, w.writeScale)) movedFlow = true;
          w.writeScale = scale;
        }
      }
      // No disk's load changed and neither the path's rates nor the write rates moved (by more than a part in
      // 10^9): another iteration would compute the same flows.
      if (iter > 0 && !movedFlow && this.solver.solved === solvedBefore) break;
      fresh = next;
    }
    this.everything = false;
    for (const name of changed) this.noteCopies(this.resources.get(name)!, now);
    this.apply_(now, changed);
    // Tracking its workloads may have moved what the flow reads of them (their backlogs): computed again next time.
    for (const name of changed) if (!this.sameState(this.resources.get(name)!)) this.stateMoved.add(name);
  }

  /** Whether a heap entry is the resource's current breakpoint. */
  private readonly current = (name: string, at: Micros): boolean => this.resources.get(name)!.nextAt === at;

  /** Names in the scenario's order of resources. */
  private inOrder(names: Iterable<string>): string[] {
    return [...names].sort((a, b) => this.order.get(a)! - this.order.get(b)!);
  }

  /** The audit: every resource not due has the state its flow was computed from (an InvariantViolation names one that has not). */
  private auditState(due: ReadonlySet<string>): void {
    for (const r of this.resources.values()) {
      if (due.has(r.name)) continue;
      invariant(this.sameState(r), () => `block reflow: ${r.name}'s state changed without being noted (a setter or noteStateMoved is missing); ${this.describe(r)}`);
      invariant(r.nextAt === null || r.nextAt > this.ctx.sim.now, () => `block reflow: ${r.name}'s breakpoint at ${r.nextAt} passed without it being due`);
    }
  }

  /**
   * The resources whose flow may have to be computed again (in resource order): those changed, those that
   * read the values of a disk whose solution moved, and those whose peer's disk changed its drains (or was
   * solved or dropped).
   */
  private candidates(changed: ReadonlySet<string>, moved: ReadonlySet<string>, drainMoved: ReadonlySet<string>): BlockResource[] {
    if (this.everything || this.fullReflows || this.byDiskStale) this.indexDisks();
    const names = new Set<string>(changed);
    for (const d of moved) for (const name of this.onDisk.get(d) ?? []) names.add(name);
    for (const d of drainMoved) {
      for (const name of this.onDisk.get(d) ?? []) names.add(name);
      for (const name of this.peersOn.get(d) ?? []) names.add(name);
    }
    const out: BlockResource[] = [];
    for (const name of names) out.push(this.resources.get(name)!);
    return out.sort((a, b) => this.order.get(a.name)! - this.order.get(b.name)!);
  }

  /** Which resources read each disk's solution (readings.ts: values, or a peer's drain and presence). */
  private indexDisks(): void {
    this.onDisk.clear();
    this.peersOn.clear();
    const add = (index: Map<string, string[]>, d: string, name: string) => {
      const list = index.get(d);
      if (list) {
        if (!list.includes(name)) list.push(name);
      } else index.set(d, [name]);
    };
    for (const r of this.resources.values()) {
      this.indexed.set(r.name, readersKey(r));
      for (const d of valueDisks(r)) add(this.onDisk, d, r.name);
      if (r.secondaryDisk !== null) add(this.peersOn, r.secondaryDisk, r.name);
    }
    this.byDiskStale = false;
  }

  private drainCapOf(r: BlockResource): number {
    let sum = 0;
    for (const d of this.drains.values()) sum += d.caps.get(r.name) ?? 0;
    return sum;
  }

  /** The protocol state a resource's disk streams and flow depend on (objects by identity: a change makes a new one). */
  private stateOf(r: BlockResource): unknown[] {
    const out: unknown[] = [r.frozen, r.conn, r.options, r.primaryHost, r.secondaryHost, r.peerDisk, r.overflowed, r.primaryDisk, r.secondaryDisk, this.failedHosts.has(r.primaryHost), r.secondaryHost !== null && this.failedHosts.has(r.secondaryHost), this.failedDisks.has(r.primaryDisk), r.secondaryDisk !== null && this.failedDisks.has(r.secondaryDisk)];
    for (const w of this.workloadsOf(r)) out.push(w.spec, w.backlogCause, w.outage, w.backlog.rate === 0);
    return out;
  }

  /** Whether the resource's state is what it was when its flow was computed (stateOf, compared in place: this runs for every resource at every reflow). */
  private sameState(r: BlockResource): boolean {
    const s = this.lastState.get(r.name);
    if (!s) return false;
    const ws = this.workloadsOf(r);
    if (s.length !== 13 + 4 * ws.length) return false;
    if (s[0] !== r.frozen || s[1] !== r.conn || s[2] !== r.options || s[3] !== r.primaryHost || s[4] !== r.secondaryHost || s[5] !== r.peerDisk || s[6] !== r.overflowed || s[7] !== r.primaryDisk || s[8] !== r.secondaryDisk) return false;
    if (s[9] !== this.failedHosts.has(r.primaryHost) || s[10] !== (r.secondaryHost !== null && this.failedHosts.has(r.secondaryHost)) || s[11] !== this.failedDisks.has(r.primaryDisk) || s[12] !== (r.secondaryDisk !== null && this.failedDisks.has(r.secondaryDisk))) return false;
    for (let i = 0; i < ws.length; i++) {
      const w = ws[i]!;
      const j = 13 + 4 * i;
      if (s[j] !== w.spec || s[j + 1] !== w.backlogCause || s[j + 2] !== w.outage || s[j + 3] !== (w.backlog.rate === 0)) return false;
    }
    return true;
  }

  /**
   * Writes that waited for room in the send path enter it as soon as there is room (rule 2: they are next
   * in FIFO order), and all at once when the path no longer replicates (a disconnect, Ahead: they are only
   * marked out of sync). A waiting write is written locally already: it completes when it enters.
   */
  private releaseBacklogs(now: Micros, due: ReadonlySet<string>, audit: boolean): void {
    // Room for a waiting write appears only when a resource's own flow or levels change (its breakpoint, a
    // step, its state: it is then due) or the network changes (every resource is due): the others' send
    // paths stay full while their backlogs wait. The audit checks it.
    const names = this.inOrder([...this.backlogged].filter((name) => due.has(name)));
    this.resourcesScanned += names.length;
    for (const name of names) this.release(this.resources.get(name)!, now, false);
    if (!audit) return;
    for (const r of this.resources.values()) {
      if (due.has(r.name)) continue;
      invariant(this.backlogged.has(r.name) || this.workloadsOf(r).every((w) => w.backlog.valueAt(now) <= 1e-6), () => `block reflow: ${r.name} has a backlog it was not noted with`);
      invariant(this.release(r, now, true) === 0, () => `block reflow: ${r.name}'s waiting writes have room in its send path without it being due; ${this.describe(r)}`);
    }
  }

  /** One resource's waiting writes that its send path has room for enter it; the bytes (only counted when `dry`). */
  private release(r: BlockResource, now: Micros, dry: boolean): number {
    {
      const all = this.workloadsOf(r);
      if (!all.some((w) => w.backlog.valueAt(now) > 1e-6)) return 0;
      const ws = all.filter((w) => w.backlog.valueAt(now) > 1e-6);
      // Suspended I/O (fencing resource-and-stonith) completes nothing to the application until the
      // handler returns: that is what keeps writes a STONITH could lose from being acknowledged.
      if (primaryDown(this, r) || r.frozen) return 0;
      const path = this.pathUp(r);
      const prevX = this.flows.get(r.name)?.x ?? 0;
      const size = ws[0]!.spec.size;
      // DRBD still connected over a dead link it has not noticed yet (onNetworkChange) still replicates: its
      // sender is blocked on the full socket and the waiting writes wait on (rule 2), as flowOf has it; they
      // are not completed and marked as if it were disconnected. md and WalB disconnect at once.
      const replicating = r.replicating && r.transmitting && (path !== null || r.drbd !== null);
      const inflight = path ? inFlight(r.tcp(path.bandwidth, path.latency, path.loss), prevX) : 0;
      let room = replicating ? r.sendCapacity(size, inflight, alBound(r.drbd ? r.drbd.disk : null, all.map((w) => w.spec)) - r.peerQ.valueAt(now)) - r.sendQ.valueAt(now) : Infinity;
      if (!r.replicating && r.walb) room = Infinity;
      let released = 0;
      for (const w of ws) {
        // Writes waiting for the local disk wait on: only the path's room releases writes.
        if (w.backlogCause !== 'pipe') continue;
        const b = w.backlog.valueAt(now);
        const bytes = Math.min(b * w.spec.size, Math.max(0, room));
        if (bytes <= 0) continue;
        room -= bytes;
        released += bytes;
        if (dry) continue;
        const reqs = bytes / w.spec.size;
        w.backlogBooks.move(now, -reqs);
        w.backlog.set(now, Math.max(0, b - reqs));
        this.acceptDiscrete(r, now, bytes, w.spec.size, replicating);
        this.touched.add(r.name);
      }
      return released;
    }
  }

  /** `bytes` of writes complete at once: into the send path when replicating, else only marked out of sync. */
  private acceptDiscrete(r: BlockResource, now: Micros, bytes: number, writeSize: number, replicating: boolean): void {
    const before = r.acked.valueAt(now);
    r.acked.set(now, before + bytes);
    r.ackedCurve.push({ at: now, pos: before }, { at: now, pos: before + bytes });
    if (replicating) {
      r.sendBooks.move(now, bytes);
      r.sendQ.set(now, r.sendQ.valueAt(now) + bytes);
      r.pipeApp.set(now, r.pipeApp.valueAt(now) + bytes);
    } else if (r.secondaryHost !== null && !r.walb) r.bitmap.add(now, bytes, writeSize);
  }

  /**
   * Levels reach their bounds at breakpoints on whole microseconds, so one may be carried past a bound by up
   * to a microsecond of its rate, plus floating-point rounding: that much is clamped (and booked, so the
   * books still balance). Anything beyond is a model bug and stops the run (InvariantViolation) naming the
   * device, the buffer, the value and the bound. Every buffer's books are checked too: in = out + level.
   */
  private snap(now: Micros, due: ReadonlySet<string>, audit: boolean): void {
    // The levels of a resource not due move at rates that keep them within their bounds until its own
    // breakpoint: they are checked (not clamped) in the audit only.
    for (const r of audit ? this.resources.values() : [...due].map((name) => this.resources.get(name)!)) {
      const f = this.flows.get(r.name);
      const sendCap = f && f.sendBound > 0 ? f.sendBound : Infinity;
      const peerCap = f && f.peerCap > 0 ? f.peerCap : Infinity;
      const clamp = due.has(r.name);
      this.clampLevel(r, 'send buffer', r.sendQ, r.sendBooks, sendCap, EPS_BYTES, now, undefined, clamp);
      this.clampLevel(r, 'peer queue', r.peerQ, r.peerBooks, peerCap, EPS_BYTES, now, undefined, clamp);
      this.clampLevel(r, 'acknowledged bytes not on the peer', r.pipeApp, null, Infinity, EPS_BYTES, now, undefined, clamp);
    }
    for (const name of due) {
      const r = this.resources.get(name)!;
      for (const w of this.workloadsOf(r)) this.clampLevel(r, `${w.spec.name} backlog (write requests)`, w.backlog, w.backlogBooks, w.spec.queueDepth, 1e-6, now, 1e-6);
    }
    for (const name of due) {
      for (const b of this.booksOf(this.resources.get(name)!, now)) {
        const err = booksError(b);
        invariant(err === null, () => `block conservation: ${err}; ${this.describe(this.resources.get(b.resource))}`);
      }
    }
  }

  /** Below `floor` is empty; within the slack past 0 or `cap` is rounding (clamped, booked); beyond is a bug. */
  private clampLevel(r: BlockResource, buffer: string, l: Level, books: Account | null, cap: number, floor: number, now: Micros, abs?: number, clamp = true): void {
    const v = l.valueAt(now);
    const s = slack(l.rate, cap === Infinity ? v : cap, abs);
    invariant(v >= -s, () => `${r.name}: ${buffer} on ${r.primaryHost} is negative: ${v} (capacity ${cap}, rate ${l.rate * 1e6} per s); ${this.describe(r)}`);
    invariant(v <= cap + s, () => `${r.name}: ${buffer} on ${r.primaryHost} holds ${v}, above its capacity ${cap} (rate ${l.rate * 1e6} per s); ${this.describe(r)}`);
    const to = v < floor ? 0 : v > cap ? cap : v;
    if (to === v || !clamp) return;
    books?.move(now, to - v);
    l.set(now, to);
  }

  /** The state an invariant message needs: the connection, the peer's disk, the levels and the flow. */
  private describe(r: BlockResource | undefined): string {
    if (!r) return '';
    const now = this.ctx.sim.now;
    const f = this.flows.get(r.name);
    const flow = f ? `, line ${f.x} B/s, application ${f.appRepl} B/s, resync ${f.resync} B/s, peer drain ${f.drain} B/s, send buffer room ${f.sendCap} B` : '';
    return `state of ${r.name} (${r.label}, ${r.primaryHost} → ${r.secondaryHost ?? 'none'}): ${r.conn.kind}, peer disk ${r.peerDisk}, send buffer ${r.sendQ.valueAt(now)} B, peer queue ${r.peerQ.valueAt(now)} B, out of sync ${r.bitmap.dirty(now)} B${flow}`;
  }

  /**
   * Every buffer's conservation books now (issue 5, property 5): the send path (socket buffer and DRBD Proxy,
   * md's write-behind window or WalB's log ring), the peer's receive queue (receive buffer + max-buffers),
   * the out-of-sync bitmap, and each workload's backlog of waiting write requests.
   */
  books(now: Micros): BufferBooks[] {
    const out: BufferBooks[] = [];
    for (const r of this.resources.values()) out.push(...this.booksOf(r, now, false));
    for (const w of this.workloads.values()) out.push(this.backlogBooks(w, now));
    return out;
  }

  /** One resource's books: its send path, its peer's queue, its bitmap, its workloads' backlogs. */
  private booksOf(r: BlockResource, now: Micros, backlogs = true): BufferBooks[] {
    const out: BufferBooks[] = [];
    const f = this.flows.get(r.name);
    const send = r.walb ? 'WalB log ring' : r.md ? 'md write-behind window' : 'send buffer';
    out.push({ resource: r.name, buffer: send, unit: 'bytes', in: r.sendBooks.in(now), out: r.sendBooks.out(now), level: r.sendQ.valueAt(now), capacity: f && f.sendBound > 0 ? f.sendBound : Infinity, rate: r.sendQ.rate });
    out.push({ resource: r.name, buffer: 'peer queue', unit: 'bytes', in: r.peerBooks.in(now), out: r.peerBooks.out(now), level: r.peerQ.valueAt(now), capacity: f && f.peerCap > 0 ? f.peerCap : Infinity, rate: r.peerQ.rate });
    const bm = r.bitmap.books(now);
    out.push({ resource: r.name, buffer: 'out-of-sync bitmap', unit: 'bytes', ...bm, capacity: r.spec.size });
    if (backlogs) for (const w of this.workloadsOf(r)) out.push(this.backlogBooks(w, now));
    return out;
  }

  private backlogBooks(w: WorkloadState, now: Micros): BufferBooks {
    return { resource: w.spec.resource, buffer: `${w.spec.name} backlog`, unit: 'requests', in: w.backlogBooks.in(now), out: w.backlogBooks.out(now), level: w.backlog.valueAt(now), capacity: w.spec.queueDepth, rate: w.backlog.rate };
  }

  /** State changes due now: resync end, Ahead → SyncSource, congestion, WalB overflow, jobs done. */
  private protocolChecks(now: Micros, due: ReadonlySet<string>, audit: boolean): void {
    for (const [key, j] of this.jobs) if (j.spec.size !== null && j.done.valueAt(now) >= j.spec.size - EPS_BYTES) this.finishJob(key, 'done');
    // A protocol state changes at a resource's own breakpoint (a level reaching a bound), at a step, or when
    // an Ahead resource's resync delay passes: the others have nothing due.
    const names = new Set<string>(due);
    for (const name of this.aheadDue) names.add(name);
    this.aheadDue.clear();
    this.resourcesScanned += names.size;
    for (const name of this.inOrder(names)) this.protocolCheck(this.resources.get(name)!, now);
    if (!audit) return;
    for (const r of this.resources.values()) {
      if (names.has(r.name)) continue;
      const before = [r.conn, r.dirtySince, r.overflowed, r.peerDisk];
      this.protocolCheck(r, now);
      invariant(before[0] === r.conn && before[1] === r.dirtySince && before[2] === r.overflowed && before[3] === r.peerDisk, () => `block reflow: a protocol check of ${r.name} was due without it being due (${r.conn.kind}); ${this.describe(r)}`);
    }
  }

  /** One resource's protocol state changes due now. */
  private protocolCheck(r: BlockResource, now: Micros): void {
    {
      const f = this.flows.get(r.name);
      const c = r.conn;
      if (c.kind === 'SyncSource' && r.bitmap.dirty(now) <= EPS_BYTES) {
        r.bitmap.clear(now);
        r.unackedDirty = 0;
        r.transferLogDirty = 0;
        r.peerDisk = 'UpToDate';
        r.neverSynced = false;
        r.dirtySince = null;
        r.conn = { kind: 'Connected', since: now };
        const finished: BlockFact = { kind: 'sync-finished', resource: r.name, full: c.full, bytes: c.startDirty, after: now - c.since, peer: r.secondaryHost };
        this.log(r.name, r.primaryHost, 'replication', finished);
        this.changes.set(r.name, { at: now, what: finished });
        this.pacemaker?.resynced(r);
      }
      if (c.kind === 'Ahead' && c.resyncAt !== null && now >= c.resyncAt) {
        const dirty = r.bitmap.dirty(now);
        r.conn = { kind: 'SyncSource', since: now, full: false, startDirty: dirty };
        r.peerDisk = 'Inconsistent';
        // Logged on the peer (Behind → SyncTarget), without figures: a pull-ahead that flaps with the load then
        // reads as two repeated lines (the primary's congestion, the peer's resync), not hundreds.
        this.log(r.name, r.secondaryHost, 'replication', { kind: 'ahead-resync', resource: r.name, peer: r.secondaryHost });
      }
      // DRBD 9.3 resync-without-replication: the resync goes in passes over the bitmap. A pass ends when the
      // scan has reached the bitmap's end; if what it left (the bits set behind the scan meanwhile) is at
      // least half what it began with, writes are replicated again (drbd_enable_peer_replication), else
      // another pass runs without (drbd_sender.c drbd_resync_check_finished). APPROXIMATION: a pass ends
      // when it has resynced the bytes it began with (writes landing ahead of the scan would lengthen it).
      const c1 = r.conn;
      if (c1.kind === 'SyncSource' && r.withoutReplication) {
        const pass = r.pass;
        if (!pass || pass.since !== c1.since) {
          r.pass = { since: c1.since, bits: r.bitmap.dirty(now), synced: new Level(now, 0), replication: false, passes: 1 };
        } else if (!pass.replication && pass.synced.valueAt(now) >= pass.bits - EPS_BYTES) {
          const left = r.bitmap.dirty(now);
          if (left > EPS_BYTES && left >= pass.bits / 2) {
            r.pass = { ...pass, replication: true };
            this.log(r.name, r.primaryHost, 'replication', { kind: 'resync-replication-on', resource: r.name, passes: pass.passes, began: pass.bits, left });
          } else r.pass = { since: pass.since, bits: left, synced: new Level(now, 0), replication: false, passes: pass.passes + 1 };
        }
      }
      // A resource created StandAlone goes unreplicated from the start, not from its first reflow with a flow.
      unreplicatedFrom(r, now);
      if (!f) return;
      const d = r.drbd;
      const sendQ = r.sendQ.valueAt(now);
      const peerQ = r.peerQ.valueAt(now);
      const congestAt = d && d.net.protocol === 'A' && d.net.onCongestion !== 'block' ? congestionThreshold(d.net, d.disk, this.workloadsOf(r).map((w) => w.spec)) : Infinity;
      if (d && congestAt < Infinity && (r.conn.kind === 'Connected' || r.conn.kind === 'SyncSource')) {
        const inflight = sendQ + peerQ + f.x * f.rtt;
        if (inflight >= congestAt - EPS_BYTES) {
          if (d.net.onCongestion === 'pull-ahead') {
            r.conn = { kind: 'Ahead', since: now, resyncAt: null };
            // The peer no longer gets every write: an up-to-date peer keeps an older consistent image; a resync
            // target that had not finished stays Inconsistent (drbd_state.c sanitize_state clamps the peer's disk
            // to Inconsistent..Consistent in C_AHEAD: going Ahead makes no copy consistent).
            if (r.peerDisk === 'UpToDate' || r.peerDisk === 'DUnknown') r.peerDisk = 'Outdated';
            // DRBD counts what is in flight in 512-byte sectors (drbd_req.c: ap_in_flight += size >> 9, compared with
            // cong_fill in maybe_pull_ahead): the fact says it so, without the fluid model's fractions of a byte.
            const byFill = d.net.congestionFill > 0 && inflight >= d.net.congestionFill - EPS_BYTES;
            const extents = byFill ? undefined : { used: Math.round(extentsInUse(inflight, this.workloadsOf(r).map((w) => w.spec))), congestionExtents: d.net.congestionExtents };
            this.log(r.name, r.primaryHost, 'replication', { kind: 'congested', resource: r.name, inflight: Math.round(inflight / 512) * 512, congestionFill: d.net.congestionFill, ...(extents ? { extents } : {}) });
          } else disconnect(this, r, now, { kind: 'congestion', inflight });
        }
      }
      const c2 = r.conn;
      if (c2.kind === 'Ahead' && c2.resyncAt === null && r.sendQ.valueAt(now) <= EPS_BYTES && r.peerQ.valueAt(now) <= EPS_BYTES) {
        r.conn = { ...c2, resyncAt: (now + AHEAD_RESYNC_DELAY) as Micros };
        this.ctx.sim.at((now + AHEAD_RESYNC_DELAY) as Micros, `ahead resync ${r.name}`, () => {
          this.aheadDue.add(r.name);
          this.requestReflow();
        }, PRIORITY.protocol);
      }
      const w = r.walb;
      if (w && !r.overflowed && sendQ >= w.ringSize - EPS_BYTES) {
        r.overflowed = true;
        this.log(r.name, r.primaryHost, 'replication', { kind: 'walb-overflow', resource: r.name, ringSize: w.ringSize });
        r.sendBooks.move(now, -r.sendQ.valueAt(now));
        r.sendQ.set(now, 0);
        r.pipeApp.set(now, 0);
        if (r.conn.kind !== 'StandAlone') r.conn = { kind: 'StandAlone', since: now, reason: { kind: 'walb-overflow' } };
        r.bitmap.setAll(now, r.spec.maxBioSize);
        r.neverSynced = true;
        r.dirtySince = r.dirtySince ?? now;
      }
      // Gone Ahead or StandAlone by the checks above: unreplicated from now.
      unreplicatedFrom(r, now);
    }
  }

  /** Apply the computed rates to the levels, track stalls, record series, schedule the next breakpoint. */
  private apply_(now: Micros, changed: ReadonlySet<string>): void {
    const threshold = this.ctx.stallThreshold / 1e6;
    let next: number = NEVER;
    const consider = (t: number) => {
      // Beyond a safe integer (a rate of change near zero) is never.
      if (t > now && t < next && Number.isSafeInteger(t)) next = t;
    };
    for (const [key, j] of this.jobs) {
      const sol = this.solutions.get(j.spec.disk);
      let rate = 0;
      if (j.spec.pace.kind === 'share') {
        const disk = this.diskSpec(j.spec.disk);
        const dev = disk.device;
        const bw = (dev.kind === 'hdd' ? dev.transferRate : j.spec.op === 'read' ? dev.readBandwidth : dev.writeBandwidth) / (disk.slowdown ?? 1);
        rate = j.spec.pace.share * members(disk) * bw * (j.spec.kind === 'background-init' ? BGI_EFFICIENCY : 1);
      } else rate = (sol?.streams.get(`job|${j.spec.disk}|${j.spec.name}`)?.rate ?? 0) * JOB_REQUEST;
      j.rate = rate;
      j.done.setRate(now, rate / 1e6);
      if (j.spec.size !== null) consider(j.done.timeToReach(j.spec.size, now));
      void key;
    }
    for (const name of this.inOrder(changed)) {
      const r = this.resources.get(name)!;
      const outer = next;
      next = NEVER;
      this.applyResource(r, now, threshold, consider);
      r.nextAt = next === NEVER ? null : (next as Micros);
      if (r.nextAt !== null) this.breakpoints.push(r.nextAt, r.name);
      if (this.workloadsOf(r).some((w) => w.backlog.rate > 0 || w.backlog.valueAt(now) > 1e-6)) this.backlogged.add(r.name);
      else this.backlogged.delete(r.name);
      next = Math.min(outer, next);
    }
    // The others' levels keep their rates; their own next breakpoints stand (the earliest is the heap's top).
    if (this.breakpoints.size > 4 * this.resources.size + 64) {
      const current: { at: Micros; name: string }[] = [];
      for (const r of this.resources.values()) if (r.nextAt !== null) current.push({ at: r.nextAt, name: r.name });
      this.breakpoints.rebuild(current);
    }
    const top = this.breakpoints.peek(this.current);
    if (top && top.at > now && top.at < next) next = top.at;
    this.sampleDisks(now);
    if (next !== NEVER) this.breakpoint = this.ctx.sim.at(next as Micros, 'block breakpoint', () => this.requestReflow(), PRIORITY.protocol);
  }

  /** A resource's computed rates applied to its levels; `consider` collects its next breakpoint. */
  private applyResource(r: BlockResource, now: Micros, threshold: number, consider: (t: number) => void): void {
    const whenZero = (l: Level): number => (l.rate < 0 ? Math.ceil(now + l.valueAt(now) / -l.rate) : NEVER);
    {
      const f = this.flows.get(r.name)!;
      const sendQ = r.sendQ.valueAt(now);
      // The send buffer: when it starts filling and when it is full (for "filled in 76 ms").
      if (f.sendRate > 0 && r.fillStart === null && sendQ <= EPS_BYTES) r.fillStart = now;
      if (f.sendFull && r.fillStart !== null) {
        r.lastFill = { from: r.fillStart, to: now };
        r.fillStart = null;
      }
      if (f.sendRate <= 0 && !f.sendFull) r.fillStart = null;
      // Differences of equal rates leave float noise: below a byte per thousand seconds is no change.
      if (Math.abs(f.sendRate) < 1e-3) f.sendRate = 0;
      if (Math.abs(f.peerRate) < 1e-3) f.peerRate = 0;
      r.sendQ.setRate(now, f.sendRate / 1e6);
      r.peerQ.setRate(now, f.peerRate / 1e6);
      // The books: the send path takes replicated writes and resync replies (WalB's ring only logs; its
      // full scan goes to the line directly) and gives what the line carries; the peer takes the line and
      // gives what its disk drains.
      const sendIn = r.walb ? f.appRepl : f.appRepl + f.resync;
      const sendOut = r.walb ? f.x - f.resync : f.x;
      r.sendBooks.flow(now, sendIn, sendOut);
      r.peerBooks.flow(now, f.x, f.drain);
      if (f.sendRate > 0 && f.sendCap > 0 && !r.walb?.errorBeforeOverflow) consider(r.sendQ.timeToReach(f.sendCap, now));
      else if (f.sendRate > 0) consider(r.sendQ.timeToReach(f.sendCap, now));
      consider(whenZero(r.sendQ));
      if (f.peerRate > 0) consider(r.peerQ.timeToReach(f.peerCap, now));
      // Protocol B's receiver is bound by the disk once max-buffers are all in use (flowOf).
      if (f.peerRate > 0 && r.drbd?.net.protocol === 'B' && r.peerQ.valueAt(now) < r.peerDiskWindow() - EPS_BYTES) consider(r.peerQ.timeToReach(r.peerDiskWindow(), now));
      // The activity log full: the send path and the peer's queue together reach what it lets be in flight.
      if (f.alBytes < Infinity && r.sendQ.rate + r.peerQ.rate > 0) {
        const room = f.alBytes - f.x * f.rtt - sendQ - r.peerQ.valueAt(now);
        if (room > EPS_BYTES) consider(Math.max(now + 1, Math.ceil(now + room / (r.sendQ.rate + r.peerQ.rate))) as Micros);
      }
      consider(whenZero(r.peerQ));
      // Application bytes the peer does not have yet.
      const appShare = applicationShare(r, f, now);
      const pipeRate = r.walb ? f.appRepl - f.x * (r.conn.kind === 'SyncSource' ? 0 : 1) : f.appRepl - f.drain * appShare;
      r.pipeApp.setRate(now, (Math.abs(pipeRate) < 1e-3 || (r.pipeApp.valueAt(now) <= EPS_BYTES && pipeRate < 0) ? 0 : pipeRate) / 1e6);
      consider(whenZero(r.pipeApp));
      // Protocol B/C: the path closes to the application once it holds its queue_depth of writes.
      if (!f.closedPath && f.populationRoom < Infinity && r.pipeApp.rate > 0) consider(r.pipeApp.timeToReach(f.populationRoom, now));
      let accepted = 0;
      for (const w of f.work.values()) accepted += w.accepted;
      if (r.acked.rate !== accepted / 1e6) {
        r.acked.setRate(now, accepted / 1e6);
        const last = r.ackedCurve.at(-1)!;
        const pos = r.acked.valueAt(now);
        if (last.at === now) r.ackedCurve[r.ackedCurve.length - 1] = { at: now, pos };
        else r.ackedCurve.push({ at: now, pos });
      }
      // The bitmap: a resync drains it; writes that are not replicated mark it (rules 8, 11, 12).
      const w0 = this.workloadsOf(r)[0]?.spec;
      if (r.resyncing && r.conn.kind === 'SyncSource') {
        const marking = r.replicating ? 0 : accepted;
        const pass = r.pass;
        if (pass && pass.since === r.conn.since && !pass.replication && w0) {
          // 9.3 without replication: writes mark bits while the pass clears others (both at once).
          r.bitmap.mark(now, marking, w0.size, w0.random, w0.workingSet, r.spec.maxBioSize, f.resync);
          pass.synced.setRate(now, f.resync / 1e6);
          if (f.resync > 0) consider(pass.synced.timeToReach(pass.bits, now));
        } else r.bitmap.drain(now, Math.max(0, f.resync - marking));
        consider(r.bitmap.emptyAt(now));
      } else if (!r.replicating && r.secondaryHost !== null && w0 && accepted > 0 && !r.walb) {
        r.bitmap.mark(now, accepted, w0.size, w0.random, w0.workingSet, r.spec.maxBioSize);
      } else r.bitmap.steady(now);
      // Congestion policy trigger (rule 8).
      const d = r.drbd;
      const congestAt = d && d.net.protocol === 'A' && d.net.onCongestion !== 'block' ? congestionThreshold(d.net, d.disk, this.workloadsOf(r).map((w) => w.spec)) : Infinity;
      if (d && congestAt < Infinity && (r.conn.kind === 'Connected' || r.conn.kind === 'SyncSource')) {
        const v = sendQ + r.peerQ.valueAt(now) + f.x * f.rtt;
        const rate = (f.sendRate + f.peerRate) / 1e6;
        if (rate > 0) consider(Math.max(now + 1, Math.ceil(now + (congestAt - v) / rate)));
      }
      // ko-count (rule 7): a send that makes no progress for ko-count × timeout drops the connection. A send
      // is one packet (a write, a resync reply): each expiry of the socket's send timeout while it is stuck
      // counts down, and only the next packet's send reloads ko-count (drbd_main.c __send_command,
      // drbd_transport.c drbd_stream_send_timed_out). Under protocol A a line that carries less than a packet
      // in ko-count × timeout (a peer disk that all but hangs) is no progress either: the sender is stuck on
      // its socket, or the writes wait for activity-log extents the peer's queue holds and nothing is sent,
      // and the request timer drops the connection when no barrier has been sent for that long while the
      // oldest request waits for its barrier ack (drbd_req.c net_timeout_reached, "Remote failed to answer
      // a P_BARRIER"). APPROXIMATION: both are reported as ko-count (a network failure, below).
      const koAfter = d ? d.net.koCount * d.net.timeout : 0;
      // (While Ahead nothing is replicated and the peer's queue just drains: not this.)
      const trickle = d?.net.protocol === 'A' && r.replicating && !!w0 && w0.iops * (1 - w0.readShare) > 0 && f.x * (koAfter / 1e6) < (w0?.size ?? PAGE_SIZE) && r.peerQ.valueAt(now) > EPS_BYTES;
      // Stuck only once the send path is full (f.sendFull: the socket buffer, or the activity log holding the
      // writes back): until then every write's send is accepted (reloading ko-count) and closes an epoch with
      // a barrier, whatever the line carries; the request timer's "last barrier sent" too (net_timeout_reached:
      // "eventually we will have queued enough into the network for us to block").
      if (d && r.transmitting && f.sendFull && ((f.x <= 0 && sendQ > EPS_BYTES) || trickle)) {
        if (!r.koTimer) {
          const after = koAfter;
          r.koTimer = this.ctx.sim.after(after as Micros, `ko-count ${r.name}`, () => {
            r.koTimer = null;
            // A failed send: C_TIMEOUT (8.4 drbd_send) / C_NETWORK_FAILURE (9 drbd_sender.c), then Unconnected
            // and the receiver connects again (conn_disconnect), once the peer has finished its own writes.
            disconnect(this, r, this.ctx.sim.now, { kind: 'ko-count', after: after as Micros }, true);
            this.requestReflow();
          }, PRIORITY.protocol);
        }
      } else if (r.koTimer) {
        this.ctx.sim.cancel(r.koTimer);
        r.koTimer = null;
      }
      // The request timer (drbd_req.c request_timer_fn, net_timeout_reached): a write the peer has not
      // acknowledged (RQ_NET_PENDING: protocol B's receipt, C's write) ko-count × timeout after it was sent
      // drops the connection (C_TIMEOUT), which then reconnects (drbd_state.c: the receiver restarts).
      // Protocol A waits for no such ack, and a send that progresses keeps sending barriers: a slow peer
      // never times it out (the barrier check looks at the last barrier sent).
      const ent = d ? d.net.koCount * d.net.timeout : 0;
      const ackWait = d && d.net.protocol !== 'A' && ent > 0 && r.transmitting && r.replicating && f.x > 0 && (r.conn.kind === 'Connected' || r.conn.kind === 'SyncSource')
        ? [...f.work.values()].reduce((m, w) => (w.accepted > 0 || w.offered > 0 ? Math.max(m, w.repl) : m), 0)
        : 0;
      const slope = ackWait > 0 ? [...f.work.values()].reduce((m, w) => Math.max(m, w.replSlope), 0) : 0;
      if (d && ent > 0 && ackWait * 1e6 > ent) {
        if (!r.reqTimer) {
          const protocol = d.net.protocol as 'B' | 'C';
          r.reqTimer = this.ctx.sim.after(ent as Micros, `request timer ${r.name}`, () => {
            r.reqTimer = null;
            const wait = Math.round([...(this.flows.get(r.name)?.work.values() ?? [])].reduce((m, w) => Math.max(m, w.repl), ackWait) * 1e6) as Micros;
            disconnect(this, r, this.ctx.sim.now, { kind: 'request-timeout', after: ent as Micros, wait, protocol }, true);
            this.requestReflow();
          }, PRIORITY.protocol);
        }
      } else {
        if (r.reqTimer) {
          this.ctx.sim.cancel(r.reqTimer);
          r.reqTimer = null;
        }
        // A wait still growing reaches the bound later: look again then.
        if (ent > 0 && slope > 0 && ackWait > 0) consider(Math.max(now + 1, Math.ceil(now + (ent / 1e6 - ackWait) / slope * 1e6)));
      }
      this.sampleResource(r, f, now);
      for (const w of this.workloadsOf(r)) consider(trackWorkload(this, w, r, f, now, threshold));
    }
  }

  /** The resource's time series at `now` (buffers, out-of-sync bytes, the line's rate). */
  private sampleResource(r: BlockResource, f: ResourceFlow, now: Micros): void {
    const hb = this.ctx.history.block;
    // Levels move at their rates between samples, the line's rate holds: a point just before each jump
    // (sampleMoving). The bitmap's curve is not a line (marking fills it exponentially): it marks its jumps.
    hb.sampleMoving(`${r.name} send buffer (bytes)`, now, Math.round(Math.max(0, r.sendQ.valueAt(now))), r.sendQ.rate * 1e6);
    hb.sampleMoving(`${r.name} peer queue (bytes)`, now, Math.round(Math.max(0, r.peerQ.valueAt(now))), r.peerQ.rate * 1e6);
    const jump = r.bitmap.lastJump;
    const dirty = Math.round(r.bitmap.dirty(now));
    if (jump && jump.at === now) hb.sampleAfterJump(`${r.name} out of sync (bytes)`, now, Math.round(jump.before), dirty);
    else hb.sample(`${r.name} out of sync (bytes)`, now, dirty);
    hb.sampleMoving(`${r.name} line (bytes/s)`, now, Math.round(f.x));
  }

  /**
   * The last change per resource that can relieve its back-pressure (an adjust, a job on its disks ended, its
   * workload's step, its resync finished): a stall that eases after it says so (stallEnd).
   */
  readonly changes = new Map<string, { readonly at: Micros; readonly what: BlockFact }>();

  /** How the resync is paced: md's speed limits, WalB's scan rate, DRBD's fixed rate or its dynamic controller. */
  resyncPace(r: BlockResource): ResyncPace {
    const d = r.drbd;
    if (r.md) return { kind: 'md', min: r.md.speedLimitMin, max: r.md.speedLimitMax };
    if (r.walb) return { kind: 'walb', rate: r.walb.fullScanRate };
    if (!d) return { kind: 'unknown' };
    if (d.disk.cPlanAhead === 0) return { kind: 'drbd-fixed', resyncRate: d.disk.resyncRate, cMinRate: d.disk.cMinRate };
    const target = d.disk.cFillTarget > 0 ? { kind: 'fill' as const, bytes: d.disk.cFillTarget } : { kind: 'delay' as const, micros: d.disk.cDelayTarget };
    return { kind: 'drbd-dynamic', cPlanAhead: d.disk.cPlanAhead, target, cMaxRate: d.disk.cMaxRate, cMinRate: d.disk.cMinRate };
  }

  /** Each disk's utilisation: the share of its members' time its streams and background jobs take. */
  private sampleDisks(now: Micros): void {
    for (const [name, sol] of this.solutions) {
      let busy = busyOf.get(sol);
      if (busy === undefined) {
        busy = sol.shareTotal;
        for (const st of sol.streams.values()) busy += st.busy;
        busyOf.set(sol, busy);
      }
      this.sampledDisks.add(name);
      this.ctx.history.block.sampleMoving(`${name} utilisation (share)`, now, +Math.min(1, busy).toFixed(4));
    }
    // A disk left with no I/O at all has no solution: idle, not busy as it last was.
    for (const name of this.sampledDisks) {
      if (this.solutions.has(name)) continue;
      this.sampledDisks.delete(name);
      this.ctx.history.block.sampleMoving(`${name} utilisation (share)`, now, 0);
    }
  }

  /** The disks whose utilisation has a series, busy as of its last point. */
  private readonly sampledDisks = new Set<string>();

  /** At the end of the run: close what is open. */
  /** Each resource's state at `t`, as `drbdadm status` would show it (the report's devices at the end). */
  devices(t: Micros): BlockDeviceState[] {
    return [...this.resources.values()].map((r) => ({
      resource: r.name,
      replication: r.options.kind,
      primary: r.primaryHost,
      secondary: r.secondaryHost,
      connection: r.conn.kind,
      reason: r.conn.kind === 'StandAlone' || r.conn.kind === 'Connecting' ? r.conn.reason : null,
      peerDisk: r.peerDisk,
      // Never synced (created StandAlone, never connected): the whole device awaits its initial full sync.
      outOfSync: r.neverSynced ? r.spec.size : Math.round(r.bitmap.dirty(t)),
      hostsDown: [r.primaryHost, r.secondaryHost].filter((h): h is string => h !== null && this.failedHosts.has(h)),
    }));
  }

  finish(end: Micros): void {
    this.sampleDisks(end);
    // Two Primaries still apart at the end (no handshake yet): what the old one acknowledged alone is not on the
    // side the application writes to, as at an unresolved split brain (resolveSplitBrain).
    for (const r of this.resources.values()) {
      const s = r.split;
      if (s && r.peerRole === 'Primary' && !this.failedHosts.has(s.oldHost)) splitLoss(this, r, s, end, { kind: 'loss-split-at-end', old: s.oldHost, primary: r.primaryHost });
      // Writes whose disks never came back within the run: lost (fail_host powers a host off for good).
      this.commitPendingLoss(r);
    }
    // Every series gets a point at the run's end: a level still moving ends where it is, not where the
    // last change left it.
    for (const r of this.resources.values()) {
      const f = this.flows.get(r.name);
      if (f) this.sampleResource(r, f, end);
    }
    for (const w of this.workloads.values()) {
      const f = this.flows.get(w.spec.resource);
      const work = f?.work.get(w.spec.name);
      if (work && !w.outage) {
        this.ctx.history.block.sample(`${w.spec.name} write latency (s)`, end, +(w.lat.value + w.lat.slope * ((end - w.lat.at) / 1e6)).toFixed(6));
        this.ctx.history.block.sample(`${w.spec.name} writes completed (/s)`, end, +(work.accepted / w.spec.size).toFixed(3));
        for (const p of ['p50', 'p99']) {
          const name = `${w.spec.name} write latency ${p} (s)`;
          const last = this.ctx.history.block.series.get(name)?.at(-1);
          if (last) this.ctx.history.block.sample(name, end, last.value);
        }
      }
    }
    for (const w of this.workloads.values()) {
      closeShortfall(this, w, end);
      if (w.stall) {
        this.ctx.history.block.latency(w.stall, w.lat.value + w.lat.slope * ((end - w.lat.at) / 1e6));
        this.ctx.history.block.closeStall(w.stall, end, { kind: 'end-run' });
        w.stall = null;
      }
    }
  }
}

/** Writes not replicated (StandAlone, Connecting, Ahead) mark the start of the out-of-sync era. */
function unreplicatedFrom(r: BlockResource, now: Micros): void {
  if (r.conn.kind !== 'StandAlone' && r.conn.kind !== 'Connecting' && r.conn.kind !== 'Ahead') return;
  if (r.dirtySince === null && r.secondaryHost !== null) r.dirtySince = now;
}

/** What flowOf reads of a resource's previous flow (flow.ts: the fixed point's own iterate), as numbers. */
function prevInputs(f: ResourceFlow | undefined, ws: readonly WorkloadState[]): number[] {
  if (!f) return [-1];
  const out = [f.x, f.sendBound, f.resync, f.appRepl, f.rtt, f.queueDelay];
  for (const w of ws) out.push(f.work.get(w.spec.name)?.accepted ?? -1);
  return out;
}

/** Each disk solution's utilisation, summed once (sampled at every reflow). */
const busyOf = new WeakMap<DiskSolution, number>();

function isReceiver(s: DiskStream): boolean {
  return s.id.includes('|rcv|');
}

function receiverOwner(id: string): string {
  return id.slice(0, id.indexOf('|rcv|'));
}

/** A fixed-point iteration has settled when no rate moves by more than a part in 10^9. */
function differs(a: number, b: number): boolean {
  return Math.abs(a - b) > 1e-9 * Math.max(Math.abs(a), Math.abs(b));
}

/**
 * The application's share of what the peer drains. The peer writes its queue in order, so in a steady flow
 * that share is the application's share of what enters the path; when nothing enters (Ahead, a drain after
 * the congestion ended) it is its share of what the path holds, so that both empty together.
 */
/** The Promoted instance's monitor interval (the usual DRBD/Pacemaker example, op monitor interval=29s role=Master). */
const MASTER_MONITOR = 29_000_000;

export function applicationShare(r: BlockResource, f: ResourceFlow, now: Micros): number {
  if (f.appRepl + f.resync > 0) return f.appRepl / (f.appRepl + f.resync);
  const queued = r.sendQ.valueAt(now) + r.peerQ.valueAt(now);
  return queued > EPS_BYTES ? Math.min(1, Math.max(0, r.pipeApp.valueAt(now) / queued)) : 1;
}

function hostOf(w: BlockWorld, disk: string): string | null {
  return w.disks.get(disk)?.host ?? null;
}

function adjust(r: BlockResource, a: ReplicationAdjust): void {
  const o = r.options;
  if (o.kind === 'drbd') r.options = { ...o, net: { ...o.net, ...a.net }, disk: { ...o.disk, ...a.disk } };
  else if (o.kind === 'md') r.options = { ...o, ...a.md };
  else r.options = { ...o, ...a.walb };
}

/** The options an adjust step sets, in the scenario's order. */
function adjustedOptions(a: ReplicationAdjust): { option: string; value: string | number | boolean }[] {
  return Object.entries({ ...a.net, ...a.disk, ...a.md, ...a.walb }).map(([option, value]) => ({ option, value: value as string | number | boolean }));
}

/** A block outage ends when the application writes to a Primary again: which host (history.ts WriteEnder). */
export function primaryAgain(r: BlockResource): WriteEnder {
  return { endOf: () => ({ kind: 'end-block-primary', resource: r.name, host: r.primaryHost }) };
}

/**
 * One replicated block device: DRBD (protocols A/B/C), mdadm RAID1 with a write-mostly, write-behind
 * remote leg, or WalB. The protocol is events (connect, disconnect, Ahead, resync start and end, ko-count,
 * overflow, failover); the data is fluid: the primary's send buffer, the peer's receive side and the
 * out-of-sync set are levels whose rates BlockWorld sets once per instant.
 *
 * Rules: ../shared/domain/drbd-tcp-disk.md §9 (rule numbers below) and the sections cited.
 */
import type { BlockLossStep, CacheLossWhy, ConnReason } from '../../history/facts/block-why.ts';
import type { BlockLossRecord } from '../../history/block.ts';
import { Level } from '../../engine/fluid.ts';
import type { EventHandle } from '../../engine/simulation.ts';
import type { Micros } from '../../engine/time.ts';
import type { BlockResourceSpec, DrbdDiskOptions, DrbdNetOptions, DrbdResourceOptions, MdResourceOptions, ReplicationOptions, WalbResourceOptions } from '../../scenario/types-block.ts';
import type { TcpSpec } from '../tcp/connection.ts';
import { Account } from './account.ts';

/** Completed writes a power loss took from `host`'s disk cache (BlockResource.peerStale, primaryCacheLost). */
export interface CacheLoss {
  readonly host: string;
  readonly disk: string;
  readonly bytes: number;
  readonly acked: number;
  readonly at: Micros;
  readonly why: CacheLossWhy;
  /** The part of the device the writes land in (the workloads' working set), over which later writes mend them. */
  readonly workingSet: number;
}
import { Bitmap } from './bitmap.ts';

/** DRBD's bitmap granularity: 1 bit = 4 KiB (§3.3, K84-INT BM_BLOCK_SHIFT 12). */
export const BM_BLOCK_SIZE = 4096;
/** max-buffers counts pages of 4 KiB (§2.4). */
export const PAGE_SIZE = 4096;
/** Ahead → SyncSource one second after the application data in flight drains (§2.3, K9-REQ). */
export const AHEAD_RESYNC_DELAY = 1_000_000 as Micros;
/** The c-min-rate throttle sleeps HZ/10 before serving a resync request (§3.6, K84-RCV receive_DataRequest). */
export const THROTTLE_DELAY_S = 0.1;
/** md caps resync I/O in flight at sync_io_depth (§7.3, MD md.c). */
export const MD_SYNC_IO_DEPTH = 32;
/** Bytes a WalB archive (or md's network block device server) keeps outstanding to its disk. ASSUMPTION. */
export const REMOTE_WRITE_WINDOW = 16 << 20;

/**
 * The replication link's state, as drbdadm cstate names it (UG84-F, MAN84): a discriminated union, so
 * "Ahead with a resync running" cannot be written.
 */
export type ConnState =
  | { readonly kind: 'StandAlone'; readonly since: Micros; readonly reason: ConnReason }
  /** Lost the peer by a network failure: tries to connect every connect-int (8.4's WFConnection). */
  | { readonly kind: 'Connecting'; readonly since: Micros; readonly reason: ConnReason }
  | { readonly kind: 'Connected'; readonly since: Micros }
  | { readonly kind: 'SyncSource'; readonly since: Micros; readonly full: boolean; readonly startDirty: number }
  | { readonly kind: 'Ahead'; readonly since: Micros; readonly resyncAt: Micros | null };

/**
 * The peer's disk as the primary sees it (drbdadm status peer-disk). DUnknown: not connected, and no fencing
 * outdated it (drbd_state.c sanitize_state: below L_ESTABLISHED a peer disk above DUnknown, or below
 * Inconsistent, becomes DUnknown; Inconsistent and Outdated stay).
 */
export type PeerDiskState = 'UpToDate' | 'Inconsistent' | 'Outdated' | 'DUnknown' | 'Failed';

export class BlockResource {
  readonly spec: BlockResourceSpec;
  /**
   * Called when a field the world's flow of this resource depends on is set (BlockWorld.stateOf): the world
   * then computes it again without scanning every resource at every reflow (issue 12, cost).
   */
  onStateChange: ((r: BlockResource) => void) | null = null;
  private state_options!: ReplicationOptions;
  get options(): ReplicationOptions {
    return this.state_options;
  }
  set options(v: ReplicationOptions) {
    this.state_options = v;
    this.onStateChange?.(this);
  }
  private state_primaryHost!: string;
  get primaryHost(): string {
    return this.state_primaryHost;
  }
  set primaryHost(v: string) {
    this.state_primaryHost = v;
    this.onStateChange?.(this);
  }
  private state_primaryDisk!: string;
  get primaryDisk(): string {
    return this.state_primaryDisk;
  }
  set primaryDisk(v: string) {
    this.state_primaryDisk = v;
    this.onStateChange?.(this);
  }
  private state_secondaryHost!: string | null;
  get secondaryHost(): string | null {
    return this.state_secondaryHost;
  }
  set secondaryHost(v: string | null) {
    this.state_secondaryHost = v;
    this.onStateChange?.(this);
  }
  private state_secondaryDisk!: string | null;
  get secondaryDisk(): string | null {
    return this.state_secondaryDisk;
  }
  set secondaryDisk(v: string | null) {
    this.state_secondaryDisk = v;
    this.onStateChange?.(this);
  }
  private state_conn!: ConnState;
  get conn(): ConnState {
    return this.state_conn;
  }
  set conn(v: ConnState) {
    this.state_conn = v;
    this.onStateChange?.(this);
  }
  private state_peerDisk!: PeerDiskState;
  get peerDisk(): PeerDiskState {
    return this.state_peerDisk;
  }
  set peerDisk(v: PeerDiskState) {
    this.state_peerDisk = v;
    this.onStateChange?.(this);
  }
  /** Never synced: the first connect starts the initial full sync (UG84-C). */
  neverSynced: boolean;
  /** Unsent bytes in the primary's send path (socket, DRBD Proxy, md behind window, WalB ring). */
  readonly sendQ: Level;
  /** Bytes received by the peer and not yet on its disk (receive buffer + max-buffers pages). */
  readonly peerQ: Level;
  /** What entered and left sendQ and peerQ (in = out + level; account.ts). */
  readonly sendBooks: Account;
  readonly peerBooks: Account;
  /** Application bytes acknowledged by the primary (a position in the device's write stream). */
  readonly acked: Level;
  /** Of those, bytes not yet durable on the peer (in the send path, on the line, in the peer's queue). */
  readonly pipeApp: Level;
  /** (time, acked) breakpoints, to date a position of the write stream. */
  readonly ackedCurve: { at: Micros; pos: number }[] = [];
  readonly bitmap: Bitmap;
  /**
   * DRBD 9.3 resync-without-replication: the resync runs in passes over the bitmap (drbd_sender.c
   * drbd_resync_check_finished). `since` is the resync's (its SyncSource state's) start; `bits` the bytes out
   * of sync when the pass began, `synced` what the pass has resynced so far; `replication` whether writes are
   * replicated again (after a pass left at least half as many bits as it began with).
   */
  private state_pass: { readonly since: Micros; readonly bits: number; readonly synced: Level; readonly replication: boolean; readonly passes: number } | null = null;
  get pass(): { readonly since: Micros; readonly bits: number; readonly synced: Level; readonly replication: boolean; readonly passes: number } | null {
    return this.state_pass;
  }
  set pass(v: { readonly since: Micros; readonly bits: number; readonly synced: Level; readonly replication: boolean; readonly passes: number } | null) {
    this.state_pass = v;
    this.onStateChange?.(this);
  }
  /** Since when writes have not been replicated (the out-of-sync era), or null. */
  dirtySince: Micros | null = null;
  /** A WalB ring that overflowed (its logs are lost: a full backup is needed, WALB-T term.md). */
  private state_overflowed = false;
  get overflowed(): boolean {
    return this.state_overflowed;
  }
  set overflowed(v: boolean) {
    this.state_overflowed = v;
    this.onStateChange?.(this);
  }
  koTimer: EventHandle | null = null;
  /** The request timer: a protocol B/C write unacknowledged for ko-count × timeout drops the connection. */
  reqTimer: EventHandle | null = null;
  /** When this resource's levels next reach a bound or its latency a threshold (its own breakpoint), or null. */
  nextAt: Micros | null = null;
  /** When the send buffer started filling (for "the 8 MiB send buffer filled in 76 ms"). */
  fillStart: Micros | null = null;
  lastFill: { from: Micros; to: Micros } | null = null;
  /**
   * The hosts that held every acknowledged write when a node without them was made primary (drbdadm primary
   * --force): the device's newest data is then on them only, for good; null while it is not.
   */
  superseded: readonly string[] | null = null;
  /** The peer is Primary too (made Primary while they were apart, not demoted since). */
  peerRole: 'Primary' | 'Secondary' = 'Secondary';
  /**
   * A split: the peer was made Primary while this resource's old Primary still ran. What the old Primary
   * wrote meanwhile (bytes, the span of the device's write stream, when) is on it only.
   */
  split: { readonly at: Micros; readonly oldHost: string; readonly oldChanges: number; readonly fromAt: Micros; readonly toAt: Micros; readonly fromPos: number; readonly toPos: number; readonly lossRecorded?: boolean } | null = null;
  /** The connection's loss is being detected (a timeout or an unanswered ping), or the next connect attempt. */
  lossTimer: EventHandle | null = null;
  attemptTimer: EventHandle | null = null;
  /**
   * Until when the peer is still tearing the last connection down: it waits for the writes it had submitted
   * to its disk (drbd_receiver.c conn_disconnect, active_ee_cnt == 0) before it listens again.
   */
  peerCleanupUntil: Micros = 0 as Micros;
  /** The rate (bytes/s) the peer finishes those writes at, and the event of its end (world.ts peerCleansUpAt). */
  peerCleanupRate = 0;
  peerCleanupTimer: EventHandle | null = null;
  /** When the fence-peer handler last resumed frozen I/O (a stall ending then ended so: world.ts stallEnd). */
  resumedAt: Micros | null = null;
  /** fencing resource-and-stonith: I/O is frozen until the fence-peer handler returns. */
  private state_frozen: { readonly since: Micros; readonly until: Micros } | null = null;
  get frozen(): { readonly since: Micros; readonly until: Micros } | null {
    return this.state_frozen;
  }
  set frozen(v: { readonly since: Micros; readonly until: Micros } | null) {
    this.state_frozen = v;
    this.onStateChange?.(this);
  }
  /**
   * drbdadm secondary on the primary host (a planned switchover, switchover.ts): the application stopped at `at`
   * and the role is given up, while what was queued for the peer is still sent. Null while it is Primary.
   */
  demoted: { readonly at: Micros } | null = null;
  /** The Promoted role is not running on primaryHost (rebooted and Secondary, stopped for lack of quorum): no I/O until it is again. */
  /** Why the Promoted role does not run (`survivor`: the peer of a crashed Primary made the node to promote, world.ts crashedPrimaryBack). */
  stopped: 'rebooted' | 'survivor' | 'no-quorum' | null = null;
  /** The acknowledged position when the peer was last promoted, and the old primary's writes it lacked (a returning old primary is resynced over both). */
  promotedPos: number | null = null;
  divergedBytes = 0;
  /** Bytes the bitmap marked at a disconnect that the application was never told were written (protocol B/C in flight). */
  unackedDirty = 0;
  /**
   * Of the bytes out of sync, those a protocol A disconnect marked from its transfer log (the send path):
   * written before the connection went, under the generation both nodes share, not alone.
   */
  transferLogDirty = 0;
  /** No running disk held the newest data any more (recorded once). */
  everyCopyLost = false;
  /**
   * Acknowledged writes on no running disk (world.ts noteCopies), not yet final: they are on the disks of
   * `down` hosts, lost only if those never come back (the run ends first) or an older copy is made primary
   * (forcePrimary); a `down` host powered on with its disk brings them back and the record is dropped.
   */
  pendingLoss: { readonly record: BlockLossRecord; readonly down: readonly string[] } | null = null;
  /** When the pending loss was first judged, while it is judged again after a host's return. */
  pendingLossAt: Micros | null = null;
  /**
   * The secondary's host went down (fail_host, a fence device): when, its disk state as the primary knew it
   * then, and the acknowledged position. A copy UpToDate at that instant holds every write acknowledged up
   * to it (protocol B and C; A less its send path: copies.ts peerLacks) and keeps it on its disk while down.
   */
  peerLost: { readonly at: Micros; readonly disk: PeerDiskState; readonly acked: number; readonly lacks: number } | null = null;
  /**
   * The Primary's disk failed and DRBD detached it (on-io-error detach) while it was connected to an UpToDate
   * peer: it is Primary and Diskless, its reads and writes go to the peer (world.ts failDisk).
   */
  diskless = false;
  /**
   * Completed writes a power loss took from a volatile write cache (write-cache.ts) that no bitmap marks: the
   * secondary's disk lacks them though DRBD holds it UpToDate once resynced (`peerStale`), or the crashed
   * primary's (`primaryCacheLost`). `acked`: the acknowledged position at the loss; later writes to the same
   * blocks mend them (copies.ts staleBytes).
   */
  peerStale: CacheLoss | null = null;
  /** DRBD 9 quorum (quorum-state.ts): each diskful node's last verdict (the tiebreaker is sticky), the Primary's loss of it, and peers outdated by a forced promotion. */
  readonly quorumHad = new Map<string, boolean>();
  quorumLost: { readonly since: Micros; readonly host: string; readonly policy: 'suspend-io' | 'io-error' } | null = null;
  forcedOutdate = false;
  primaryCacheLost: CacheLoss | null = null;
  /** The primary host was lost, at: its acknowledged writes are judged at the next forced promotion. */
  lostPrimary: { host: string; at: Micros; lostBytes: number; chain: BlockLossStep[]; fromPos: number; toPos: number; fromAt: Micros; toAt?: Micros; recorded: boolean } | null = null;

  constructor(spec: BlockResourceSpec, t: Micros) {
    this.spec = spec;
    this.options = spec.replication;
    this.primaryHost = spec.primary.host;
    this.primaryDisk = spec.primary.disk;
    this.secondaryHost = spec.secondary.host;
    this.secondaryDisk = spec.secondary.disk;
    this.sendQ = new Level(t, 0);
    this.peerQ = new Level(t, 0);
    this.sendBooks = new Account(t);
    this.peerBooks = new Account(t);
    this.acked = new Level(t, 0);
    this.pipeApp = new Level(t, 0);
    this.ackedCurve.push({ at: t, pos: 0 });
    const granularity = this.options.kind === 'md' ? this.options.bitmapChunk : BM_BLOCK_SIZE;
    this.bitmap = new Bitmap(t, granularity, spec.size, `${spec.name}: out-of-sync bitmap`);
    if (spec.startConnected) {
      this.conn = { kind: 'Connected', since: t };
      this.peerDisk = 'UpToDate';
      this.neverSynced = false;
    } else {
      this.conn = { kind: 'StandAlone', since: t, reason: { kind: 'not-connected-yet' } };
      this.peerDisk = 'Inconsistent';
      this.neverSynced = true;
    }
  }

  get name(): string {
    return this.spec.name;
  }

  get drbd(): { net: DrbdNetOptions; disk: DrbdDiskOptions; version: number; fencePeerTime: Micros; crmFencePeer: { readonly timeout: Micros } | null; quorum: DrbdResourceOptions['quorum'] | null } | null {
    const o = this.options;
    return o.kind === 'drbd' ? { net: o.net, disk: o.disk, version: o.version, fencePeerTime: o.fencePeerTime, crmFencePeer: o.crmFencePeer ?? null, quorum: o.quorum ?? null } : null;
  }

  get md(): MdResourceOptions | null {
    return this.options.kind === 'md' ? this.options : null;
  }

  get walb(): WalbResourceOptions | null {
    return this.options.kind === 'walb' ? this.options : null;
  }

  /** The name people know the mechanism by, for messages. */
  get label(): string {
    const o = this.options;
    if (o.kind === 'drbd') return `DRBD ${o.version.toFixed(1)} protocol ${o.net.protocol}`;
    if (o.kind === 'md') return `md RAID1 write-behind ${o.writeBehind}`;
    return 'WalB';
  }

  /** Whether application writes enter the replication path now (rules 8, 11; WalB logs every write). */
  get replicating(): boolean {
    if (this.secondaryHost === null) return false;
    const o = this.options;
    const c = this.conn;
    if (o.kind === 'walb') return true;
    if (c.kind === 'Connected') return true;
    if (c.kind !== 'SyncSource') return false;
    // DRBD 9.3 resync-without-replication: writes during a resync are only marked (§3.2, MAN9), until a pass
    // over the bitmap ends with at least half the bits it began with (drbd_sender.c drbd_resync_check_finished
    // → drbd_enable_peer_replication).
    if (this.withoutReplication) return this.pass !== null && this.pass.since === c.since && this.pass.replication;
    return true;
  }

  /** DRBD 9.3 with resync-without-replication: a resync starts with writes only marked. */
  get withoutReplication(): boolean {
    const o = this.options;
    return o.kind === 'drbd' && o.version >= 9.3 && o.disk.resyncWithoutReplication;
  }

  /** Whether the line carries anything now. */
  get transmitting(): boolean {
    return this.secondaryHost !== null && this.conn.kind !== 'StandAlone' && this.conn.kind !== 'Connecting';
  }

  get resyncing(): boolean {
    return this.conn.kind === 'SyncSource';
  }

  /**
   * Send-path capacity in bytes for unsent data: the socket (+ DRBD Proxy), md's behind window, WalB's ring.
   * `alBytes`: what DRBD's activity log lets be in flight (activity-log.ts alBound), when it is less.
   */
  sendCapacity(writeSize: number, inflight: number, alBytes = Infinity): number {
    const o = this.options;
    if (o.kind === 'drbd') return Math.max(0, Math.min(o.net.sndbufSize + o.net.proxyBuffer, alBytes) - inflight);
    if (o.kind === 'md') return o.writeBehind * writeSize;
    return o.ringSize;
  }

  /** The send path's physical bound (bytes): the socket buffer (+ DRBD Proxy), md's behind window, WalB's ring. */
  sendBound(writeSize: number, alBytes = Infinity): number {
    return this.sendCapacity(writeSize, 0, alBytes);
  }

  /** The peer's receive side: receive buffer + DRBD max-buffers pages (§2.4, rule 5), or the remote's queue. */
  peerCapacity(): number {
    const o = this.options;
    if (o.kind === 'drbd') return o.net.rcvbufSize + o.net.maxBuffers * PAGE_SIZE;
    return REMOTE_WRITE_WINDOW;
  }

  /** Bytes of the peer's queue that are at its disk (max-buffers), the rest waiting in the socket. */
  peerDiskWindow(): number {
    const o = this.options;
    if (o.kind === 'drbd') return o.net.maxBuffers * PAGE_SIZE;
    return REMOTE_WRITE_WINDOW;
  }

  tcp(bandwidth: number, latency: number, loss = 0): TcpSpec {
    const o = this.options;
    const sndbuf = o.kind === 'drbd' ? o.net.sndbufSize : o.sndbuf;
    const rcvbuf = o.kind === 'drbd' ? o.net.rcvbufSize : o.sndbuf;
    return { bandwidth, latency, sndbuf, rcvbuf, loss };
  }

  /**
   * When the write stream's position `pos` was acknowledged (pos ≤ acked(now)). Breakpoints are recorded
   * only where the acknowledged rate changes, so past the last one the rate has held steady up to `now`.
   */
  ackedTimeOf(pos: number, now: Micros): Micros {
    const c = this.ackedCurve;
    const last = c[c.length - 1]!;
    if (pos > last.pos) {
      const head = this.acked.valueAt(now);
      if (head <= last.pos || now <= last.at) return last.at;
      return Math.round(last.at + (Math.min(pos, head) - last.pos) / (head - last.pos) * (now - last.at)) as Micros;
    }
    // The first breakpoint at or past pos (positions never decrease).
    let lo = 0;
    let hi = c.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (c[mid]!.pos >= pos) hi = mid;
      else lo = mid + 1;
    }
    const b = c[lo]!;
    if (lo === 0 || b.pos === pos) return b.at;
    const a = c[lo - 1]!;
    return Math.round(a.at + ((pos - a.pos) / (b.pos - a.pos)) * (b.at - a.at)) as Micros;
  }
}

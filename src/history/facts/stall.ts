/**
 * The steps of a block write stall's back-pressure path, root first (models/block/explain.ts), as data: disks and
 * their users' shares of disk time, rates (bytes/s), buffer sizes (bytes), latencies (seconds), the DRBD options
 * in force. The block-stall facts and the report's stall chains carry them; src/report/facts/templates/stall.ts
 * words them. Rule numbers refer to ../shared/domain/drbd-tcp-disk.md.
 */
import type { RaidSpec } from '../../models/disk/device.ts';

/** A disk as the chain names it: its name, its drive (rpm of an HDD, null for an SSD) and its RAID. */
export interface StallDisk {
  readonly name: string;
  readonly rpm: number | null;
  readonly raid: { readonly level: RaidSpec['level']; readonly members: number } | null;
}

/** Who uses a disk's time (its streams' and jobs' labels) and their shares (0..1), largest first; `fixed`: a job's fixed share. */
export type DiskUse = readonly { readonly label: string; readonly share: number; readonly fixed: boolean }[];

/** What bounds the line (models/block/flow.ts): the link, or a TCP buffer over the round trip (seconds). */
export type LineBound =
  | { readonly kind: 'line'; readonly bandwidth: number }
  | { readonly kind: 'receive-window'; readonly rcvbuf: number; readonly rtt: number }
  | { readonly kind: 'send-buffer'; readonly sndbuf: number; readonly rtt: number }
  /** Packets lost with probability `loss`: TCP's loss-limited rate over the round trip (tcp/connection.ts). */
  | { readonly kind: 'packet-loss'; readonly loss: number; readonly rtt: number; readonly bandwidth: number }
  | { readonly kind: 'no-path' };

/** How a resync is paced (DRBD's resync controller, md's speed limits, WalB's full scan); rates in bytes/s. */
export type ResyncPace =
  | { readonly kind: 'md'; readonly min: number; readonly max: number }
  /** WalB's full scan at `rate` (0: unthrottled). */
  | { readonly kind: 'walb'; readonly rate: number }
  | { readonly kind: 'drbd-fixed'; readonly resyncRate: number; readonly cMinRate: number }
  /** drbd_resync.c drbd_rs_controller: c-plan-ahead (µs), toward c-fill-target (bytes) or c-delay-target (µs). */
  | {
      readonly kind: 'drbd-dynamic';
      readonly cPlanAhead: number;
      readonly target: { readonly kind: 'fill'; readonly bytes: number } | { readonly kind: 'delay'; readonly micros: number };
      readonly cMaxRate: number;
      readonly cMinRate: number;
    }
  | { readonly kind: 'unknown' };

/** Protocol A, B or C (DRBD; md and WalB behave as A and C as noted where used). */
export type Protocol = 'A' | 'B' | 'C';

export type StallStepFact =
  // The peer's disk cannot keep up (bottleneck peer-disk).
  /** `drainCap`: what the peer writes of replicated data; `appDemand` + `resync`: what is sent to it (bytes/s). */
  | { readonly kind: 'stall-peer-disk-busy'; readonly host: string | null; readonly disk: StallDisk; readonly use: DiskUse; readonly drainCap: number; readonly appDemand: number; readonly resync: number }
  /** Rules 5, 6: the receiver's buffers fill and the TCP window closes (`drbd` null: md's or WalB's remote queue). */
  | { readonly kind: 'stall-window-closes'; readonly drbd: { readonly maxBuffers: number; readonly bytes: number; readonly rcvbufSize: number } | null }
  // The line (bottleneck line).
  | { readonly kind: 'stall-line-limit'; readonly lineCap: number; readonly bound: LineBound; readonly appRepl: number; readonly resync: number }
  /** The send path filled (in `seconds`, when known): md's write-behind window, or the send buffer (and a DRBD Proxy buffer). */
  | {
      readonly kind: 'stall-send-path-filled';
      readonly path:
        | { readonly kind: 'md'; readonly writeBehind: number }
        | { readonly kind: 'sndbuf'; readonly bytes: number; readonly proxyBuffer: number | null }
        /** DRBD's activity log: al-extents all held by `bytes` of writes in flight, less than the send buffer (models/block/activity-log.ts). */
        | { readonly kind: 'activity-log'; readonly alExtents: number; readonly bytes: number; readonly sndbuf: number };
      readonly seconds: number | null;
    }
  /** Rule 17: md's writes wait for the write-mostly leg; writes/s completed and offered. */
  | { readonly kind: 'stall-md-write-behind'; readonly writeBehind: number; readonly accepted: number; readonly offered: number }
  /** Rules 1, 2: writes block behind the sender; Little's law gives each write's wait (`threshold`, seconds). */
  | { readonly kind: 'stall-protocol-blocks'; readonly protocol: Protocol; readonly queueDepth: number; readonly accepted: number; readonly threshold: number }
  // The peer's latency (bottleneck peer-latency).
  | { readonly kind: 'stall-peer-disk-load'; readonly host: string | null; readonly disk: StallDisk; readonly use: DiskUse; readonly utilisation: number }
  /** Rule 1: protocol C completes a write only when the peer has it: each waits `seconds`. */
  /** `rtt`: the round trip (s) within that wait (absent: older records). */
  | { readonly kind: 'stall-protocol-waits-peer'; readonly protocol: Protocol; readonly seconds: number; readonly rtt?: number }
  // The local disk (bottleneck local-disk).
  | { readonly kind: 'stall-local-disk-load'; readonly host: string; readonly disk: StallDisk; readonly use: DiskUse; readonly resync: ResyncPace | null }
  /** Rule 18: utilisation at or above 1, reads queue up faster than they are served. */
  | { readonly kind: 'stall-local-disk-overloaded' }
  /** Rule 18 (M/G/1): the mean write latency (seconds) at this utilisation. */
  | { readonly kind: 'stall-local-disk-queueing'; readonly utilisation: number; readonly latency: number }
  /** No write completes: the oldest has waited `oldest` seconds. */
  | { readonly kind: 'stall-writes-starved'; readonly oldest: number; readonly threshold: number }
  /** Little's law: the queue depth over the completion rate gives each write's `latency`. */
  | { readonly kind: 'stall-queue-depth'; readonly queueDepth: number; readonly accepted: number; readonly offered: number; readonly latency: number; readonly threshold: number }
  | { readonly kind: 'stall-writes-slower'; readonly threshold: number }
  /** A throughput shortfall (no stall): Little's law, the queue depth over the completion rate, below the threshold. */
  | { readonly kind: 'shortfall-queue-depth'; readonly queueDepth: number; readonly accepted: number; readonly offered: number; readonly threshold: number }
  | { readonly kind: 'stall-no-primary-disk' }
  // The path is cut (bottleneck peer-unreachable).
  /** drbd_nl.c drbd_fence_peer: I/O suspended by fencing resource-and-stonith since DRBD lost its peer. */
  | { readonly kind: 'stall-io-suspended'; readonly resource: string; readonly host: string; readonly peer: string | null }
  | { readonly kind: 'stall-frozen-until-fenced' }
  /** on-no-quorum suspend-io: the Primary `host` lost quorum; no write completes until it has it again. */
  | { readonly kind: 'stall-frozen-no-quorum'; readonly resource: string; readonly host: string }
  | { readonly kind: 'stall-link-carries-nothing'; readonly host: string; readonly peer: string | null }
  /** Protocol B/C: the acknowledgements cannot come (`protocol` null: the send buffer cannot drain). */
  | { readonly kind: 'stall-acks-cannot-come'; readonly protocol: 'B' | 'C' | null; readonly peer: string | null }
  /** DRBD gives up on the peer after `timeout` (µs), or (null: not DRBD) the transfer waits for the link. */
  /** `diskless`: the Primary is Diskless (its disk failed): once DRBD gives up, its I/O fails instead. */
  /**
   * `fenced`: fencing resource-and-stonith: once DRBD gives up, the Primary freezes its I/O and runs the
   * fence-peer handler; writes go on alone only when it returns (drbd_nl.c drbd_fence_peer / conn_try_outdate_peer).
   */
  | { readonly kind: 'stall-gives-up'; readonly timeout: number | null; readonly diskless?: true; readonly fenced?: true };

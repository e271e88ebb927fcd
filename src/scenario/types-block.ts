/**
 * The decoded `block:` section of a scenario (hosts, disks, replicated block devices, their I/O workloads)
 * and its plan steps: what src/models/block consumes. Units as everywhere in the model: µs, bytes,
 * bytes/s, requests/s, fractions in [0, 1]. Names follow DRBD, md and WalB spelling in camelCase
 * (sndbuf-size → sndbufSize, c-plan-ahead → cPlanAhead).
 */
import type { Micros } from '../engine/time.ts';
import type { DiskSpec } from '../models/disk/device.ts';
import type { AfterSb0pri, AfterSb1pri, AfterSb2pri } from '../models/block/split-brain.ts';
import type { PacemakerSpec } from './types-pacemaker.ts';
import type { QuorumSetting } from '../models/block/quorum.ts';

export type { DeviceSpec, DiskSpec, RaidLevel, RaidSpec } from '../models/disk/device.ts';

export interface BlockHostSpec {
  readonly name: string;
  readonly site: string;
}

/** DRBD versions where the notes differ (limits, resync-without-replication, ko-count reload): 8.3 … 9.3. */
export type DrbdVersion = 8.3 | 8.4 | 9.0 | 9.1 | 9.2 | 9.3;
export const DRBD_VERSIONS: readonly DrbdVersion[] = [8.3, 8.4, 9.0, 9.1, 9.2, 9.3];

export type DrbdProtocol = 'A' | 'B' | 'C';
export type OnCongestion = 'block' | 'pull-ahead' | 'disconnect';

/** drbd.conf `net` section (MAN84/MAN9), values in model units. */
export interface DrbdNetOptions {
  readonly protocol: DrbdProtocol;
  /** Bytes; DRBD's 0 (auto-tuning) is resolved by the decoder to the kernel's tcp_wmem max. */
  readonly sndbufSize: number;
  readonly rcvbufSize: number;
  readonly onCongestion: OnCongestion;
  /** Bytes; 0 = off. */
  readonly congestionFill: number;
  readonly congestionExtents: number;
  /** Pages of 4 KiB. */
  readonly maxBuffers: number;
  readonly koCount: number;
  readonly timeout: Micros;
  /** A DRBD Proxy buffer between DRBD and the line (bytes); 0 = no proxy. */
  readonly proxyBuffer: number;
  /** Between connection attempts while the peer cannot be reached (default 10 s). */
  readonly connectInt: Micros;
  /** An idle link sends a ping after ping-int (10 s) and gives up after ping-timeout (0.5 s) without its answer. */
  readonly pingInt: Micros;
  readonly pingTimeout: Micros;
  /** Split-brain recovery at the handshake, by the number of Primaries then (all default disconnect). */
  readonly afterSb0pri: AfterSb0pri;
  readonly afterSb1pri: AfterSb1pri;
  readonly afterSb2pri: AfterSb2pri;
  /** What a Primary does when it loses its peer (the disk section in 8.x, net in 9; default dont-care). */
  readonly fencing: 'dont-care' | 'resource-only' | 'resource-and-stonith';
}

/** drbd.conf `disk` section: resync settings. */
export interface DrbdDiskOptions {
  /** Bytes/s (fixed-rate resync, or the controller's start rate). */
  readonly resyncRate: number;
  /** 0 = fixed rate. */
  readonly cPlanAhead: Micros;
  /** Bytes; 0 = use c-delay-target. */
  readonly cFillTarget: number;
  readonly cDelayTarget: Micros;
  /** Bytes/s; 0 = unlimited (9.0.28+). */
  readonly cMaxRate: number;
  /** Bytes/s; 0 = the application-I/O throttle is off. */
  readonly cMinRate: number;
  readonly alExtents: number;
  /** 9.3+: application writes during a resync are only marked, not replicated (default yes in 9.3). */
  readonly resyncWithoutReplication: boolean;
  /** Write ordering on the peer (drbd_receiver.c max_allowed_wo: barrier, else flush, else drain, else none). */
  readonly diskBarrier: boolean;
  readonly diskFlushes: boolean;
  readonly diskDrain: boolean;
  /** Meta-data writes (activity-log transactions) carry REQ_PREFLUSH | REQ_FUA (drbd_actlog.c, MD_NO_FUA). */
  readonly mdFlushes: boolean;
}

export interface DrbdResourceOptions {
  readonly kind: 'drbd';
  readonly version: DrbdVersion;
  readonly net: DrbdNetOptions;
  readonly disk: DrbdDiskOptions;
  /** How long the fence-peer handler runs before it exits having outdated the peer (a crm-fence-peer placing its constraint). */
  readonly fencePeerTime: Micros;
  /** The fence-peer handler is crm-fence-peer.9.sh under Pacemaker: it returns when the cluster knows the peer's fate, or after --timeout. */
  readonly crmFencePeer?: { readonly timeout: Micros };
  /** DRBD 9 `options { quorum; on-no-quorum; }` (absent: quorum off, the default): models/block/quorum.ts. */
  readonly quorum?: { readonly setting: QuorumSetting; readonly onNoQuorum: 'suspend-io' | 'io-error' };
}

/** mdadm RAID1 with the remote leg --write-mostly and --write-behind (over a network block device). */
export interface MdResourceOptions {
  readonly kind: 'md';
  /** Outstanding write-behind requests (mdadm --write-behind, default 256). */
  readonly writeBehind: number;
  /** Write-intent bitmap chunk (bytes; default 64 MiB for an internal bitmap). */
  readonly bitmapChunk: number;
  /** KiB/s in md; here bytes/s. */
  readonly speedLimitMin: number;
  readonly speedLimitMax: number;
  /** Socket buffer of the network block device carrying the remote leg (bytes). */
  readonly sndbuf: number;
}

export interface WalbResourceOptions {
  readonly kind: 'walb';
  /** The log device (its disk name). */
  readonly logDisk: string;
  /** Ring buffer (bytes): the log device's capacity for unextracted logs. */
  readonly ringSize: number;
  /** Initial full backup read rate (bytes/s); 0 = unlimited (walb-tools default). */
  readonly fullScanRate: number;
  /** Fail writes instead of overflowing (module parameter error_before_overflow). */
  readonly errorBeforeOverflow: boolean;
  readonly sndbuf: number;
}

export type ReplicationOptions = DrbdResourceOptions | MdResourceOptions | WalbResourceOptions;

export interface BlockResourceSpec {
  readonly name: string;
  /** Host that starts as primary (writes go there) and its backing disk. */
  readonly primary: { readonly host: string; readonly disk: string };
  readonly secondary: { readonly host: string; readonly disk: string };
  /** Device size (bytes). */
  readonly size: number;
  /** Largest request a resync merges adjacent dirty blocks into (bytes): the device's max hw I/O size. */
  readonly maxBioSize: number;
  /** Whether the peers start connected and in sync (false: StandAlone, a `connect` starts the initial full sync). */
  readonly startConnected: boolean;
  /** DRBD 9: intentionally diskless nodes (tiebreakers for quorum), by host; absent: none. */
  readonly diskless?: readonly string[];
  readonly replication: ReplicationOptions;
}

/** An application's I/O on a replicated device; it follows the device's primary. */
export interface IoWorkloadSpec {
  readonly name: string;
  readonly resource: string;
  /** Requests per second. */
  readonly iops: number;
  /** Fraction of requests that are reads. */
  readonly readShare: number;
  /** Fraction of requests that are random (the rest continue a sequential stream). */
  readonly random: number;
  /** Bytes per request. */
  readonly size: number;
  /** The part of the device writes land in (bytes): how fast a bitmap saturates. */
  readonly workingSet: number;
  /** Writes the application keeps outstanding at most (threads, connections): a stalled device holds this many. */
  readonly queueDepth: number;
}

/** Background work on a disk: a RAID background initialisation, a backup's reads, an md resync. */
export interface DiskJobSpec {
  readonly name: string;
  readonly disk: string;
  readonly kind: 'background-init' | 'backup' | 'scan';
  readonly op: 'read' | 'write';
  /** Bytes to process; null = until stopped. */
  readonly size: number | null;
  /** A fixed share of disk time (controller "rate %"), or a target rate in bytes/s taken as the disk allows. */
  readonly pace: { readonly kind: 'share'; readonly share: number } | { readonly kind: 'rate'; readonly rate: number };
}

export interface BlockSpec {
  readonly hosts: readonly BlockHostSpec[];
  readonly disks: readonly DiskSpec[];
  readonly resources: readonly BlockResourceSpec[];
  readonly workloads: readonly IoWorkloadSpec[];
  /** Jobs already running at the start. */
  readonly jobs: readonly DiskJobSpec[];
  /** A Pacemaker/Corosync cluster managing DRBD resources (types-pacemaker.ts). */
  readonly pacemaker?: PacemakerSpec;
}

/** drbdadm adjust / disk-options / net-options, or md/WalB knobs, at run time. */
export interface ReplicationAdjust {
  readonly net?: Partial<DrbdNetOptions>;
  readonly disk?: Partial<DrbdDiskOptions>;
  readonly md?: Partial<Omit<MdResourceOptions, 'kind'>>;
  readonly walb?: Partial<Omit<WalbResourceOptions, 'kind' | 'logDisk'>>;
}

export type BlockOp =
  /** drbdadm connect (a first connect starts the initial full sync); resume transfer for md/WalB. */
  | { readonly op: 'connect'; readonly resource: string }
  | { readonly op: 'disconnect'; readonly resource: string }
  | { readonly op: 'adjust'; readonly resource: string; readonly set: ReplicationAdjust }
  | { readonly op: 'startJob'; readonly job: DiskJobSpec }
  | { readonly op: 'stopJob'; readonly disk: string; readonly name: string }
  | {
      readonly op: 'ioWorkload';
      readonly workload: string;
      readonly iops?: number;
      readonly readShare?: number;
      readonly random?: number;
      readonly size?: number;
    }
  /** The host is lost (power, hardware): its disk and buffers with it. */
  | { readonly op: 'failHost'; readonly host: string }
  /** A lost host is powered on again: it boots, its DRBD comes up Secondary and reconnects. */
  | { readonly op: 'powerOn'; readonly host: string }
  /** drbdadm primary --force on the surviving peer: the application moves there. */
  | { readonly op: 'forcePrimary'; readonly resource: string; readonly host: string }
  /** The disk degrades: every request takes `factor` times its service time; for `duration` µs only (a latency spike) or until changed. */
  | { readonly op: 'slowDisk'; readonly disk: string; readonly factor: number; readonly duration: Micros | null }
  /** The disk fails: DRBD detaches it (on-io-error detach); its copy is gone. */
  | { readonly op: 'failDisk'; readonly disk: string }
  /** drbdadm secondary: the application's primary stops it and gives the role up (a planned switchover), or a node made Primary elsewhere gives it up. */
  | { readonly op: 'secondary'; readonly resource: string; readonly host: string }
  /** drbdadm primary (no --force): the planned half of a switchover, after the other node's secondary. */
  | { readonly op: 'primary'; readonly resource: string; readonly host: string }
  /** crm resource move / pcs resource move --promoted: Pacemaker demotes the Primary, then promotes `host` (switchover.ts pacemakerMove). */
  | { readonly op: 'move'; readonly resource: string; readonly host: string };

/**
 * Facts of block replication (models/block/world.ts): DRBD, md and WalB resources, their connection states,
 * resyncs, fencing and split brains, disks and their jobs. `resource` is the replicated device, hosts and disks
 * are named as in the scenario; sizes in bytes, durations in µs.
 */
import type { StallBottleneck } from '../block.ts';
import type { StallStepFact } from './stall.ts';
import type { ConnReason, SbRule } from './block-why.ts';

/** What a plan or fault step asks of the block world. */
export type BlockStepFact =
  | { readonly kind: 'block-connect'; readonly resource: string }
  | { readonly kind: 'block-disconnect'; readonly resource: string }
  | { readonly kind: 'block-adjust'; readonly resource: string; readonly set: readonly { readonly option: string; readonly value: string | number | boolean }[] }
  | { readonly kind: 'disk-job-start'; readonly job: string; readonly name: string; readonly disk: string; readonly pace: { readonly share: number } | { readonly rate: number } }
  | { readonly kind: 'disk-job-stop'; readonly name: string; readonly disk: string }
  | { readonly kind: 'io-workload'; readonly workload: string; readonly iops: number; readonly readShare: number; readonly random: number; readonly size: number }
  | { readonly kind: 'host-lost'; readonly host: string }
  | { readonly kind: 'host-power-on'; readonly host: string }
  | { readonly kind: 'force-primary'; readonly resource: string; readonly host: string }
  | { readonly kind: 'disk-slowdown'; readonly disk: string; readonly factor: number; readonly duration: number | null }
  | { readonly kind: 'disk-fails'; readonly disk: string }
  /**
   * drbdadm secondary; `refused`: why there was nothing to do. On the Primary the application writes to (a
   * planned switchover): `planned` gives what was still queued for the peer, which goes on being sent.
   */
  | { readonly kind: 'make-secondary'; readonly resource: string; readonly host: string; readonly refused: null | BlockRoleRefusal; readonly planned?: { readonly queued: number } }
  /** drbdadm primary (without --force). */
  | { readonly kind: 'make-primary'; readonly resource: string; readonly host: string }
  /** crm resource move: `from` the Primary, `queued` bytes it still sends (null: refused, `refused` why). */
  | { readonly kind: 'pacemaker-move'; readonly resource: string; readonly host: string; readonly from: string; readonly queued: number; readonly refused: null | BlockRoleRefusal };

/**
 * Why drbdadm primary or secondary did nothing (drbd_nl.c drbd_set_role, drbd_state.c is_valid_soft_transition):
 * `two-primaries` SS_TWO_PRIMARIES (the peer is Primary as far as this node knows: with a demoted peer, its
 * P_STATE is still queued behind the data it sent, drbd_main.c drbd_send_state on the data socket);
 * `no-up-to-date-disk` SS_NO_UP_TO_DATE_DISK; `no-quorum` SS_NO_QUORUM (models/block/quorum.ts); `sync-target` a SyncTarget whose peer is UpToDate, which DRBD makes
 * Primary (8.4 drbd_state.c is_valid_state, 9 drbd_data_accessible) and replsim does not model; `writes-to-it` the node the application writes to while its
 * peer is Primary too; `pacemaker` the resource is Pacemaker's (a manual role change is undone by it: use the
 * cluster's own move).
 */
export type BlockRoleRefusal = 'writes-to-it' | 'not-primary' | 'already-primary' | 'already-secondary' | 'host-down' | 'not-drbd' | 'pacemaker' | 'not-managed' | 'two-primaries' | 'no-up-to-date-disk' | 'sync-target' | 'no-quorum';

/** DRBD's name for waiting for the peer: WFConnection (8.4, md, WalB) or Connecting (9). */
export type Waiting = 'WFConnection' | 'Connecting';

export type BlockFact =
  | BlockStepFact
  | { readonly kind: 'disk-spike-ends'; readonly disk: string; readonly factor: number }
  | { readonly kind: 'disk-job-finished'; readonly job: string; readonly name: string; readonly disk: string; readonly size: number }
  | { readonly kind: 'peer-gone'; readonly resource: string }
  /** The peer cannot be reached; `connectInt`: DRBD tries every connect-int (null: not DRBD). */
  | { readonly kind: 'waiting-for-peer'; readonly resource: string; readonly state: Waiting; readonly connectInt: number | null }
  | { readonly kind: 'walb-ring-reset'; readonly resource: string }
  | { readonly kind: 'full-sync-starts'; readonly resource: string; readonly size: number; readonly label: string; readonly peer: string | null }
  /** drbd_receiver.c drbd_sync_handshake: the bitmaps merged, what is out of sync resyncs (rule 12). */
  | { readonly kind: 'resync-starts'; readonly resource: string; readonly bytes: number; readonly peer: string | null }
  | { readonly kind: 'connected-in-sync'; readonly resource: string }
  /** `reason` says why (the model's words); `retry`: DRBD keeps trying every connect-int. */
  /** `noData`: the Primary was Diskless (its disk failed): without the peer no data is accessible, its writes fail. */
  | { readonly kind: 'block-disconnected'; readonly resource: string; readonly network: boolean; readonly reason: ConnReason; readonly retry: { readonly state: Waiting; readonly connectInt: number } | null; readonly noData?: true }
  /** drbd_nl.c drbd_fence_peer: the fence-peer handler is called (resource-and-stonith also suspends I/O). */
  | { readonly kind: 'fencing'; readonly resource: string; readonly policy: 'resource-and-stonith' | 'resource-only' }
  /** models/block/quorum.ts: the Primary `host` lost quorum (`visible` of `voters` diskful nodes, `at` needed) and suspends or fails its I/O. */
  | { readonly kind: 'quorum-lost'; readonly resource: string; readonly host: string; readonly policy: 'suspend-io' | 'io-error'; readonly visible: number; readonly voters: number; readonly at: number }
  | { readonly kind: 'quorum-regained'; readonly resource: string; readonly host: string; readonly tiebreaker: boolean }
  | { readonly kind: 'fence-peer-returned'; readonly resource: string; readonly after: number; readonly peer: string | null; readonly resumed: boolean }
  | { readonly kind: 'peer-answers'; readonly resource: string }
  | { readonly kind: 'split-brain'; readonly resource: string; readonly primaries: number; readonly newer: { readonly host: string; readonly changes: number }; readonly older: { readonly host: string; readonly changes: number } }
  /** drbd_receiver.c drbd_asb_recover_0p: the after-sb policy and why it chose its victim (`policy`). */
  | { readonly kind: 'split-brain-resolved'; readonly resource: string; readonly policy: SbRule; readonly rule: 'drbd_receiver.c:drbd_asb_recover_0p'; readonly victim: string; readonly changes: number }
  | { readonly kind: 'split-brain-unresolved'; readonly resource: string; readonly why: SbRule; readonly writerVictim: boolean }
  /** on-io-error detach: the disk of the primary (`primary` null) or of the peer failed. */
  /** `served`: a Primary's disk, detached while connected to an UpToDate peer, which now serves its I/O (Diskless Primary). */
  | { readonly kind: 'disk-detached'; readonly resource: string; readonly disk: string; readonly host: string; readonly primary: string | null; readonly served?: string }
  | { readonly kind: 'cannot-become-primary'; readonly resource: string; readonly host: string; readonly primary: string | null }
  | { readonly kind: 'block-primary'; readonly resource: string; readonly host: string }
  /** A planned promotion: the peer was Secondary and had everything; the roles swap, the connection stays. */
  | { readonly kind: 'block-roles-switched'; readonly resource: string; readonly primary: string; readonly secondary: string; readonly outage: number }
  /** drbdadm primary or secondary refused (`inFlight`: bytes the demoted peer had still queued for this node). */
  | { readonly kind: 'block-role-refused'; readonly resource: string; readonly host: string; readonly op: 'primary' | 'secondary' | 'move'; readonly why: BlockRoleRefusal; readonly inFlight?: number }
  | { readonly kind: 'sync-finished'; readonly resource: string; readonly full: boolean; readonly bytes: number; readonly after: number; readonly peer: string | null }
  /** Rule 8: Ahead → SyncSource one second after the data in flight drained. */
  | { readonly kind: 'ahead-resync'; readonly resource: string; readonly peer: string | null }
  /** DRBD 9.3 resync-without-replication: pass `passes` began with `began` bytes out of sync and left `left` (≥ half): writes are replicated again. */
  | { readonly kind: 'resync-replication-on'; readonly resource: string; readonly passes: number; readonly began: number; readonly left: number }
  /** `extents`: congestion-extents fired (the activity log's extents in use reached it), not congestion-fill. */
  | { readonly kind: 'congested'; readonly resource: string; readonly inflight: number; readonly congestionFill: number; readonly extents?: { readonly used: number; readonly congestionExtents: number } }
  | { readonly kind: 'walb-overflow'; readonly resource: string; readonly ringSize: number }
  /** A write stall opens (latency above `threshold`, seconds), with its bottleneck and the first link of its chain. */
  | { readonly kind: 'block-stall'; readonly workload: string; readonly threshold: number; readonly bottleneck: StallBottleneck; readonly cause: StallStepFact }
  /** The stall's back-pressure path moved. */
  | { readonly kind: 'block-stall-phase'; readonly workload: string; readonly bottleneck: StallBottleneck; readonly cause: StallStepFact };

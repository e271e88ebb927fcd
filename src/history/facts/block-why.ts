/**
 * Why a DRBD connection is down, which split-brain rule decided, and the steps of a block device's data loss,
 * as data (models/block/world.ts, split-brain.ts, power.ts): hosts, disks, sizes in bytes, times in µs, the
 * policies as drbd.conf spells them. src/report/facts/templates/block-why.ts words them.
 */
import type { Micros } from '../../engine/time.ts';
import type { AfterSb0pri, AfterSb1pri, AfterSb2pri } from '../../models/block/split-brain.ts';
import type { CopiesWhy } from './chains.ts';

/** The after-sb-0pri rule that decided between two Secondaries (drbd_receiver.c drbd_asb_recover_0p). */
export type Sb0Rule =
  | { readonly kind: 'disconnect' }
  | { readonly kind: 'primary-age'; readonly policy: 'discard-younger-primary' | 'discard-older-primary'; readonly host: string }
  | { readonly kind: 'changed-nothing'; readonly policy: AfterSb0pri; readonly host: string }
  | { readonly kind: 'both-changed' }
  | { readonly kind: 'changed-less'; readonly host: string }
  /** A tie the handshake's resolve-conflicts flag breaks (here: by name). */
  | { readonly kind: 'tie'; readonly policy: AfterSb0pri; readonly why: 'neither-changed' | 'equal-changes' };

/** The rule that decided a split brain at the handshake (drbd_receiver.c drbd_asb_recover_0p / _1p / _2p). */
export type SbRule =
  | { readonly kind: '0pri'; readonly rule: Sb0Rule }
  | {
      readonly kind: 'npri';
      readonly primaries: 1 | 2;
      readonly policy: AfterSb1pri | AfterSb2pri;
      readonly how:
        | { readonly kind: 'plain' }
        | { readonly kind: 'as-0pri'; readonly zero: Sb0Rule }
        | { readonly kind: '0pri-decides-nothing'; readonly zero: Sb0Rule }
        | { readonly kind: 'is-secondary'; readonly host: string }
        | { readonly kind: '0pri-agrees'; readonly zero: Sb0Rule }
        | { readonly kind: '0pri-disagrees'; readonly zero: Sb0Rule }
        | { readonly kind: 'cannot-demote'; readonly host: string }
        | { readonly kind: 'by-0pri'; readonly zero: Sb0Rule; readonly gaveUp: string | null };
    };

/** Why a DRBD connection is StandAlone or Connecting (the `drbdadm status` of the report's devices, a disconnect's event). */
export type ConnReason =
  | { readonly kind: 'not-connected-yet' }
  | { readonly kind: 'by-plan' }
  | { readonly kind: 'line-down' }
  | { readonly kind: 'peer-unreachable' }
  /** DRBD noticed the dead link: no answer within `timeout` with requests in flight, or the keep-alive ping unanswered. */
  | { readonly kind: 'no-answer'; readonly timeout: Micros }
  | { readonly kind: 'ping-unanswered'; readonly pingInt: Micros; readonly pingTimeout: Micros }
  | { readonly kind: 'reconnecting' }
  | { readonly kind: 'split-brain-resolved' }
  /** Unresolved: the rule decided nothing, or chose the Primary the application writes to (`writerVictim`). */
  | { readonly kind: 'split-brain'; readonly rule: SbRule; readonly writerVictim: boolean }
  | { readonly kind: 'disk-failed'; readonly disk: string; readonly host: string | null }
  | { readonly kind: 'host-lost'; readonly host: string }
  | { readonly kind: 'host-back'; readonly host: string }
  | { readonly kind: 'promoted-again' }
  | { readonly kind: 'old-still-primary'; readonly host: string }
  | { readonly kind: 'old-gone'; readonly host: string }
  /** on-congestion disconnect: `inflight` bytes ≥ congestion-fill. */
  | { readonly kind: 'congestion'; readonly inflight: number }
  | { readonly kind: 'walb-overflow' }
  /** drbd_sender.c: no progress for ko-count × timeout (`after`, µs). */
  | { readonly kind: 'ko-count'; readonly after: Micros }
  /** drbd_req.c request_timer_fn: a write sent `wait` µs before its acknowledgement, more than ko-count × timeout (`after`, µs). */
  | { readonly kind: 'request-timeout'; readonly after: Micros; readonly wait: Micros; readonly protocol: 'B' | 'C' };

/** Why a power loss took completed writes from a volatile write cache (models/block/write-cache.ts). */
export type CacheLossWhy = 'flushes-ignored' | 'no-barrier-flush' | 'between-al-transactions' | 'never-flushed';

/** The steps of a block device's data loss (history/block.ts BlockLossRecord.chain), root first. */
export type BlockLossStep =
  /** `bytes` acknowledged writes were in the primary's send path (`label`: the replication, which acknowledges early). */
  | { readonly kind: 'loss-send-path'; readonly bytes: number; readonly primary: string; readonly peer: string | null; readonly label: string }
  /** `bytes` written while not replicating were only marked in the bitmap; `conn`: why, or the connection state. */
  | { readonly kind: 'loss-bitmap-only'; readonly bytes: number; readonly conn: { readonly kind: 'reason'; readonly reason: ConnReason } | { readonly kind: 'state'; readonly state: 'Connecting' | 'Connected' | 'SyncSource' | 'Ahead' } }
  | { readonly kind: 'loss-peer-inconsistent'; readonly peer: string | null }
  /** `bytes` acknowledged writes `peer`'s receiver had taken in (protocol A, B) and not yet written when its host went down. */
  | { readonly kind: 'loss-peer-queue'; readonly bytes: number; readonly peer: string; readonly protocol: 'A' | 'B' }
  /** A power loss took `bytes` of completed writes from `host`'s volatile write cache on `disk` (models/block/write-cache.ts), unmarked by any bitmap. */
  | { readonly kind: 'loss-volatile-cache'; readonly bytes: number; readonly host: string; readonly disk: string; readonly role: 'primary' | 'secondary'; readonly why: CacheLossWhy }
  /** The crashed Primary `host` came back as the source of its activity log's resync (`peer` overwritten), or alone. */
  | { readonly kind: 'loss-crashed-primary-source'; readonly host: string; readonly peer: string | null }
  /** No running host holds every acknowledged write; `survivor`: the host with an older consistent copy. */
  | { readonly kind: 'loss-nowhere'; readonly resource: string; readonly why: CopiesWhy; readonly survivor: string | null }
  | { readonly kind: 'loss-no-consistent-image'; readonly size: number; readonly acked: number }
  | { readonly kind: 'loss-made-primary-without'; readonly host: string }
  | { readonly kind: 'loss-split-kept-writing'; readonly old: string; readonly primary: string }
  | { readonly kind: 'loss-split-resolved'; readonly rule: SbRule; readonly old: string }
  /** The split brain was not resolved: both stand alone, and the application writes to `primary`. */
  | { readonly kind: 'loss-split-unresolved'; readonly rule: SbRule; readonly old: string; readonly primary: string }
  /** The run ended with the two Primaries still apart: the application writes to `primary`. */
  | { readonly kind: 'loss-split-at-end'; readonly old: string; readonly primary: string };

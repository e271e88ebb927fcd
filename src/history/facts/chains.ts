/**
 * The steps of the other cause chains, as data: a block device's data loss and a STONITH fence
 * (checkers/verdicts-block.ts), a cluster's transaction-ID age (checkers/xid.ts) and a lock queue
 * (checkers/locks.ts). Times in fields named `at` or ending in `At` (µs), sizes in bytes, rates per second.
 * src/report/facts/templates/chains.ts words them.
 */
import type { Micros } from '../../engine/time.ts';
import type { Fact } from './index.ts';

/** A disk state of DRBD's peer (drbd_state.c), as models/block/resource.ts keeps it. */
export type PeerDisk = 'UpToDate' | 'Inconsistent' | 'Outdated' | 'DUnknown' | 'Failed';

/** One host's copy of a replicated device: its disk state, and why it is down if it is. */
export interface BlockCopy {
  readonly host: string;
  readonly state:
    | { readonly kind: 'primary' }
    /** UpToDate as of what it received, without the last `bytes` that `primary` acknowledged (protocol A's send path). */
    | { readonly kind: 'lacks'; readonly bytes: number; readonly primary: string }
    | { readonly kind: 'peer'; readonly disk: PeerDisk };
  readonly down: null | { readonly kind: 'powered-off' } | { readonly kind: 'host-lost' } | { readonly kind: 'disk-failed'; readonly disk: string };
}

/** Where a device's newest data is after a change (models/block/copies.ts): each host's copy, or an older copy made primary. */
export type CopiesWhy =
  | { readonly kind: 'copies'; readonly copies: readonly BlockCopy[] }
  | { readonly kind: 'superseded'; readonly primary: string; readonly holders: readonly string[] };

/** Why Pacemaker asked for a node to be fenced (pacemaker: the DC's scheduler). */
export type FenceReason =
  /** corosync dropped it from `dc`'s membership: not heard for the token timeout plus consensus (µs). */
  | { readonly kind: 'left-membership'; readonly node: string; readonly dc: string; readonly deadTime: Micros; readonly tokenTimeout: Micros; readonly consensus: Micros }
  /** startup-fencing: not seen since `dc` started. */
  | { readonly kind: 'startup-fencing'; readonly node: string; readonly dc: string };

export type BlockChainFact =
  | { readonly kind: 'block-fault'; readonly at: Micros; readonly fault: Fact }
  | { readonly kind: 'newest-data-on'; readonly resource: string; readonly hosts: readonly string[]; readonly why: CopiesWhy }
  | { readonly kind: 'no-disk-holds'; readonly at: Micros; readonly why: CopiesWhy }
  | { readonly kind: 'writes-lost-for-good'; readonly at: Micros; readonly why: CopiesWhy }
  /** The data loss ended (`hosts` run with the newest data again), or still holds (null). */
  | { readonly kind: 'newest-data-back'; readonly at: Micros; readonly hosts: readonly string[] }
  | { readonly kind: 'newest-data-still-lost' }
  | { readonly kind: 'fence-silent'; readonly at: Micros; readonly by: string; readonly node: string }
  | { readonly kind: 'fence-asked'; readonly at: Micros; readonly reason: FenceReason; readonly by: string; readonly node: string }
  | { readonly kind: 'fence-ran'; readonly by: string; readonly delay: Micros; readonly device: string; readonly startedAt: Micros; readonly node: string; readonly at: Micros }
  | { readonly kind: 'fenced-node-back'; readonly node: string; readonly at: Micros | null }
  /** A split of a replicated device (history/block.ts BlockSplitRecord): both Primary, and how it ended (null: not). */
  | { readonly kind: 'block-two-primaries'; readonly resource: string; readonly at: Micros; readonly older: string; readonly newer: string }
  | { readonly kind: 'block-split-ended'; readonly at: Micros | null; readonly older: string; readonly how: 'demoted' | 'host-down' | 'resolved' | null };

/** A transaction-ID horizon holder (history.ts HoldRecord): what it held, and the vacuum runs it kept from their work. */
export type XidChainFact =
  /** `rate`: XIDs consumed per second when the age peaked (0: not climbing). */
  | { readonly kind: 'xid-age-peak'; readonly maxAge: number; readonly at: Micros; readonly rate: number; readonly endAge: number }
  | {
      readonly kind: 'xid-horizon-held';
      readonly holder: string;
      readonly hold: 'xmin' | 'catalog_xmin' | 'restart_lsn';
      readonly xid: number;
      readonly fromAt: Micros;
      readonly toAt: Micros | null;
      readonly runs: number;
      readonly tables: readonly string[];
      readonly freezeBlocked: boolean;
    }
  | {
      readonly kind: 'xid-vacuum-froze';
      readonly releasedAt: Micros;
      readonly mode: 'regular' | 'aggressive' | 'failsafe';
      readonly table: string;
      readonly fromAt: Micros;
      readonly toAt: Micros;
      readonly bytesPerSecond: number;
      readonly ageBefore: number;
      readonly ageAfter: number;
    }
  | { readonly kind: 'xid-limits'; readonly warnAge: number; readonly stopAge: number; readonly warningAt: Micros | null; readonly stopAt: Micros | null; readonly projectedStopAt: Micros | null };

export type LockChainFact =
  /** A party of a lock queue: `who` held or waited for `mode` on `table` since `fromAt`. */
  | { readonly kind: 'lock-party'; readonly who: string; readonly mode: string; readonly table: string; readonly fromAt: Micros; readonly waiting: boolean }
  /** A workload's queries queued behind them: counts over the interval (fluid, rounded). */
  | { readonly kind: 'lock-queued'; readonly workload: string; readonly table: string; readonly fromAt: Micros; readonly arrived: number; readonly failed: number; readonly slow: number };

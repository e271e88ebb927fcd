/**
 * Facts of the Pacemaker/Corosync cluster managing DRBD resources (models/block/pacemaker/*.ts) and of the
 * hosts it powers off and on (models/block/power.ts). Hosts and resources are named as in the scenario;
 * durations in µs. `rule` cites what the model follows in the real system.
 */

/** Why a host powers on: the plan, or a fence device's reboot (fencing-action reboot). */
export type PowerOnCause = { readonly kind: 'plan' } | { readonly kind: 'fence-reboot'; readonly device: string };

/** Why a host loses power: a fence device, or its own partition without quorum under no-quorum-policy suicide. */
export type PowerOffCause = { readonly kind: 'fenced'; readonly by: string; readonly device: string } | { readonly kind: 'suicide' };

/** Why the Promoted role runs again on the node that had it: the DC promotes it, or (no cluster) an operator. */
export type ResumeCause = { readonly kind: 'dc'; readonly dc: string } | { readonly kind: 'operator' };

/** How crm-fence-peer.9.sh exits: 4 the peer is reachable, 7 it was fenced, 5 --timeout passed. */
export type FencePeerExit = { readonly code: 4; readonly why: 'reachable' } | { readonly code: 7; readonly why: 'fenced' } | { readonly code: 5; readonly why: 'timeout'; readonly timeout: number };

export type PacemakerFact =
  | { readonly kind: 'power-on'; readonly host: string; readonly cause: PowerOnCause; readonly bootTime: number }
  | { readonly kind: 'node-up'; readonly host: string; readonly waitForAll: boolean }
  | { readonly kind: 'powered-off'; readonly host: string; readonly cause: PowerOffCause }
  /** corosync's membership on `node` after a token loss (lost) or a join. */
  | {
      readonly kind: 'membership';
      readonly node: string;
      readonly lost: readonly string[];
      readonly joined: readonly string[];
      readonly members: readonly string[];
      readonly quorate: boolean;
      readonly tokenTimeout: number;
      readonly consensus: number;
      readonly rule: string;
    }
  | { readonly kind: 'fencing-disabled'; readonly dc: string; readonly lost: string; readonly rule: string }
  | { readonly kind: 'no-quorum'; readonly node: string; readonly members: readonly string[]; readonly policy: string; readonly rule: string }
  | { readonly kind: 'cannot-promote'; readonly dc: string; readonly resource: string; readonly host: string; readonly why: 'fence-constraint' | 'Inconsistent' | 'Failed' | 'Outdated' | 'DUnknown' | 'UpToDate' }
  | { readonly kind: 'dc-promotes'; readonly dc: string; readonly resource: string; readonly host: string; readonly old: string; readonly oldFate: 'fenced' | 'gone' }
  /** drbd.ocf's monitor on a Diskless Primary: its master score falls to `score`, below its UpToDate peer's `peerScore`: the cluster moves the Promoted role. */
  | { readonly kind: 'diskless-master-score'; readonly resource: string; readonly host: string; readonly peer: string; readonly score: number; readonly peerScore: number }
  | { readonly kind: 'fence-request'; readonly by: string; readonly target: string; readonly device: string; readonly attempt: number; readonly delay: number; readonly delayBase: number; readonly delayMax: number; readonly rule: string }
  | { readonly kind: 'fence-confirmed'; readonly by: string; readonly target: string; readonly device: string; readonly action: string }
  | {
      readonly kind: 'fence-failed';
      readonly by: string;
      readonly target: string;
      /** No device targets the node, or the device could not be reached within fencing-timeout. */
      readonly why: { readonly kind: 'no-device' } | { readonly kind: 'unreachable'; readonly device: string; readonly site: string; readonly timeout: number };
      /** No more attempts (fencing-max-attempts), or null: retried. */
      readonly maxAttempts: number | null;
    }
  | { readonly kind: 'crm-fence-peer'; readonly resource: string; readonly host: string; readonly peer: string | null; readonly timeout: number; readonly rule: string }
  /** The fence-peer handler exited: the peer is Outdated, frozen I/O resumed. */
  | { readonly kind: 'fence-peer-exit'; readonly resource: string; readonly peer: string | null; readonly exit: FencePeerExit; readonly resumed: boolean; readonly rule: string }
  /** A host back after a power-off: the node with the newest data (Secondary until promoted), or the peer (Outdated, out of sync). */
  | { readonly kind: 'host-back-primary'; readonly resource: string; readonly host: string; readonly managed: boolean }
  /** DRBD 9, protocol C: the crashed Primary `host` is back with its peer up: it is SyncTarget of `peer` over its activity log (`bytes`). */
  | { readonly kind: 'crashed-primary-sync-target'; readonly resource: string; readonly host: string; readonly peer: string; readonly bytes: number; readonly rule: string }
  /** `diverged`: bytes it wrote alone before it went down (a split brain awaits the handshake). */
  | { readonly kind: 'host-back-peer'; readonly resource: string; readonly host: string; readonly outOfSync: number; readonly primary: string; readonly diverged?: number; readonly current?: true }
  /** `first`: the node had not been Primary (the survivor of a crashed Primary, world.ts crashedPrimaryBack). */
  | { readonly kind: 'promoted-again'; readonly resource: string; readonly host: string; readonly cause: ResumeCause; readonly first?: boolean }
  | { readonly kind: 'demoted-no-quorum'; readonly resource: string; readonly host: string; readonly policy: string; readonly rule: string };

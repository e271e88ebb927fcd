/**
 * The steps of the verdicts' cause chains (checkers/verdicts.ts: split brain, no primary, a standby that cannot
 * follow, fewer standbys than planned), as data: nodes, timelines, LSNs, times (fields named `at` or ending in
 * `At`, µs), counts, the walreceiver's wait reasons and the facts of the history they cite.
 * src/report/facts/templates/verdicts.ts words them.
 */
import type { Micros } from '../../engine/time.ts';
import type { Lsn } from '../../models/postgres/lsn.ts';
import type { PromotionCause, WaitReason } from '../history.ts';
import type { DecidedBy, SynchronousSource } from './managers.ts';
import type { Fact } from './index.ts';

/** How a node came to be a primary: a promotion (by whom, the timeline it began and where), or none since the start. */
export type BecamePrimary =
  | { readonly kind: 'since-start'; readonly node: string }
  | { readonly kind: 'promoted'; readonly node: string; readonly at: Micros; readonly by: PromotionCause; readonly timeline: number; readonly switchLsn: Lsn };

/** What a node that stopped being what it was is now (its state in the cluster's sample). */
export type NodeFate =
  | { readonly kind: 'left'; readonly node: string }
  | { readonly kind: 'shut-down'; readonly node: string }
  /** `mode: immediate`: pg_ctl stop -m immediate, a kill the run state does not tell from a crash. */
  | { readonly kind: 'crashed'; readonly node: string; readonly mode?: 'immediate'; readonly panic?: { readonly kind: 'pg-wal-full'; readonly volume: number } }
  /** It does not start: `message` is the FATAL the server logged. */
  | { readonly kind: 'failed'; readonly node: string; readonly message: string | null }
  | { readonly kind: 'demoted'; readonly node: string }
  | { readonly kind: 'primary'; readonly node: string };

/** Standbys following a primary (directly or cascaded); `synchronous` null when the plan has none. */
export interface Redundancy {
  readonly following: number;
  readonly primary: string | null;
  readonly synchronous: number | null;
}

/** Why a node does not follow the primary `primary` in a sample. */
export type NotFollowing =
  | { readonly kind: 'not-running'; readonly node: string; readonly run: 'stopped' | 'crashed' | 'failed' }
  | { readonly kind: 'is-primary'; readonly node: string }
  | { readonly kind: 'follows-other'; readonly node: string; readonly follows: string; readonly primary: string | null }
  | { readonly kind: 'waiting'; readonly node: string; readonly reason: WaitReason; readonly upstream: string | null }
  | { readonly kind: 'ended-timeline'; readonly node: string; readonly upstream: string | null; readonly primary: string | null }
  | { readonly kind: 'receiver'; readonly node: string; readonly receiver: 'streaming' | 'waiting' | 'stopped'; readonly upstream: string | null };

/** The walreceiver's wait reasons (history.ts WaitReason) that mean a standby can no longer follow without someone acting. */
export const BROKEN_REASONS = [
  'wal-removed',
  'not-in-upstream-history',
  'new-timeline-forked-before-replay',
  'new-timeline-not-a-child',
  'timeline-not-followed',
  'timeline-mismatch-9.2',
  'system-identifier-differs',
  'wal-senders-exhausted',
  'slot-unusable',
  // Broken only when that upstream is a running primary (checkers/verdicts.ts): a primary stays on its timeline.
  'upstream-behind',
] as const satisfies readonly WaitReason[];
export type BrokenReason = (typeof BROKEN_REASONS)[number];

/** What rebuilds a standby that cannot follow: by the reason its walreceiver waits, or a server that does not start. */
export type RebuildWay = { readonly kind: 'fatal' } | { readonly kind: 'reason'; readonly reason: BrokenReason; readonly walArchive: boolean };

/** How a verdict's condition ended. */
export type VerdictEnd =
  | { readonly kind: 'fates'; readonly fates: readonly NodeFate[] }
  | { readonly kind: 'one-primary-left' }
  | { readonly kind: 'promoted'; readonly how: Extract<BecamePrimary, { kind: 'promoted' }> }
  | { readonly kind: 'primary-again'; readonly node: string }
  | { readonly kind: 'a-primary' }
  | { readonly kind: 'standby-left'; readonly node: string }
  | { readonly kind: 'standby-promoted'; readonly node: string }
  | { readonly kind: 'fate'; readonly fate: NodeFate }
  | { readonly kind: 'follows-again'; readonly node: string; readonly follows: string }
  | { readonly kind: 'receiver'; readonly node: string; readonly streaming: boolean; readonly upstream: string | null }
  | { readonly kind: 'no-primary-any-more' }
  | { readonly kind: 'redundancy'; readonly redundancy: Redundancy };

export type VerdictStepFact =
  | { readonly kind: 'became-primary'; readonly how: BecamePrimary }
  /** A fault injected before the condition (a plan step's action, named or not). */
  | { readonly kind: 'fault-before'; readonly at: Micros; readonly fault: Fact }
  /** No primary: a promotion requested meanwhile that waited (its replay held by a query in conflict, WAL from the archive): the event's fact. */
  | { readonly kind: 'promotion-waited'; readonly at: Micros; readonly wait: Fact }
  /** Split brain: the older primaries kept running when `newer` was promoted. */
  /** `smart`: older primaries in a smart shutdown still waiting for their client sessions (pg-ctl.ts), since when. */
  | { readonly kind: 'primaries-kept-running'; readonly older: readonly string[]; readonly newer: string; readonly smart?: readonly { readonly node: string; readonly since: Micros }[] }
  /** Split brain: the commits each primary acknowledged from `fromAt` to `toAt` (null: the end). */
  | { readonly kind: 'split-sides'; readonly fromAt: Micros; readonly toAt: Micros | null; readonly sides: readonly { readonly node: string; readonly timeline: number; readonly commits: number }[] }
  /** Split brain's conclusion: how many primaries were writable, and which of them acknowledged commits. */
  | { readonly kind: 'split-conclusion'; readonly primaries: number; readonly writers: readonly string[] }
  /** No primary: the last primary's fate at `at`, or none was running. */
  | { readonly kind: 'primary-gone'; readonly at: Micros; readonly fate: NodeFate }
  | { readonly kind: 'no-running-primary'; readonly at: Micros; readonly cluster: string }
  /** A failover manager's decision; `more`: decisions between the first and the last ones listed. */
  | {
      readonly kind: 'failover-decision';
      readonly at: Micros;
      readonly by: DecidedBy | null;
      readonly policy: string;
      readonly chosen: string | null;
      readonly saw: Fact | null;
      readonly rule: string | null;
      readonly reasons: readonly Fact[];
      readonly more: number;
    }
  /** A manager rebuilt a node (pg_rewind against, or pg_basebackup from, `source`). */
  | { readonly kind: 'rebuild-ran'; readonly by: string; readonly node: string; readonly tool: 'pg_rewind' | 'pg_basebackup'; readonly source: string; readonly fromAt: Micros; readonly toAt: Micros; readonly ok: boolean }
  /** A standby that cannot follow: it does not start (the server's FATAL), or its walreceiver waits for `reason`. */
  | { readonly kind: 'standby-fails-to-start'; readonly at: Micros; readonly node: string; readonly message: string | null }
  | {
      readonly kind: 'standby-cannot-follow';
      readonly at: Micros;
      readonly node: string;
      readonly upstream: string | null;
      readonly reason: BrokenReason;
      readonly detail: Fact | null;
      readonly repeat: { readonly count: number; readonly lastAt: Micros } | null;
    }
  | { readonly kind: 'what-rebuilds'; readonly ways: readonly RebuildWay[] }
  /** Fewer standbys than planned: the plan, the standbys following at the start and at worst, and why the others do not. */
  | { readonly kind: 'planned-redundancy'; readonly cluster: string; readonly standbys: number; readonly synchronous: number; readonly source: SynchronousSource | null }
  | { readonly kind: 'redundancy-at'; readonly at: Micros; readonly redundancy: Redundancy; readonly missing: readonly NotFollowing[] }
  | { readonly kind: 'redundancy-worst'; readonly redundancy: Redundancy }
  | { readonly kind: 'redundancy-at-end'; readonly redundancy: Redundancy; readonly gaps: readonly NotFollowing[] }
  /** The verdict's end: at `at`, how; null: it still holds at the end of the run. */
  | { readonly kind: 'verdict-ended'; readonly at: Micros; readonly how: VerdictEnd }
  | { readonly kind: 'verdict-holds' };

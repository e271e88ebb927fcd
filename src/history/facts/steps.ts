/**
 * The steps of the cause chains the checkers build (checkers/explain.ts, Elle-style: a numbered list of facts
 * ending in the conclusion), as data: nodes, timelines, LSNs, times (fields named `at` or ending in `At`, µs),
 * the facts of the history they cite. src/report/facts/templates/steps.ts words them; the report writes times
 * in its clock.
 */
import type { Micros } from '../../engine/time.ts';
import type { Lsn } from '../../models/postgres/lsn.ts';
import type { PromotionCause } from '../history.ts';
import type { Fact } from './index.ts';

/** Why a node's history is the one that survives (PgCluster.survivor). */
export type SurvivorWhy = 'routed' | 'newest-timeline';

/** A timeline history as pg_controldata's chain shows it, newest first: each timeline and where it ends (null: still written). */
export type TimelineChain = readonly { readonly timeline: number; readonly endLsn: Lsn | null }[];

export type StepFact =
  /** The lost range: commits `node` acknowledged on `timeline` between two times and LSNs. */
  | { readonly kind: 'loss-acknowledged'; readonly commits: number; readonly node: string; readonly timeline: number; readonly fromAt: Micros; readonly toAt: Micros; readonly fromLsn: Lsn; readonly toLsn: Lsn; readonly walBytes: number }
  /** syncrep.c SyncRepWaitForLSN: an operator ended the waits for the synchronous standbys (cancel or terminate). */
  | { readonly kind: 'loss-released'; readonly commits: number; readonly node: string; readonly at: Micros; readonly how: 'cancel' | 'terminate' | 'restart' }
  /** The node's own crash took WAL it had acknowledged but not flushed (`cause`: the crash's fact). */
  | { readonly kind: 'loss-crash-cut'; readonly at: Micros; readonly lsn: Lsn; readonly cause: Fact }
  /** `node` holds the surviving history; `rewrittenAfterLsn`: its WAL past it was written again after a crash. */
  | { readonly kind: 'survivor-holds'; readonly node: string; readonly why: SurvivorWhy; readonly timelines: TimelineChain; readonly rewrittenAfterLsn: Lsn | null }
  | { readonly kind: 'no-shared-history'; readonly timeline: number; readonly survivorTimeline: number }
  /**
   * `node` was promoted at `at`: `timeline` branched from `parentTimeline` at `switchLsn`; on the survivor's side,
   * what it lacked: the WAL of the lost timeline, or the WAL of `timeline` past `lsn` that `term` acknowledged up to `ackedLsn`.
   */
  | {
      readonly kind: 'promoted-branch';
      readonly node: string;
      readonly at: Micros;
      readonly by: PromotionCause;
      readonly timeline: number;
      readonly parentTimeline: number;
      readonly switchLsn: Lsn;
      readonly lacked:
        | null
        | { readonly kind: 'timeline'; readonly timeline: number }
        | { readonly kind: 'wal'; readonly timeline: number; readonly lsn: Lsn; readonly term: string; readonly ackedLsn: Lsn };
    }
  /** `node` stopped receiving WAL: the first reason, how often it logged it, and the other reasons after. */
  | {
      readonly kind: 'stopped-receiving';
      readonly node: string;
      readonly at: Micros;
      readonly lsn: Lsn;
      readonly timeline: number;
      readonly detail: Fact;
      readonly repeat: { readonly count: number; readonly lastAt: Micros } | null;
      readonly later: readonly { readonly at: Micros; readonly detail: Fact }[];
    }
  | { readonly kind: 'received-up-to'; readonly node: string; readonly lsn: Lsn; readonly timeline: number }
  /**
   * `node` was promoted while `upstream`'s clean shutdown (from `stoppedAt`) still sent it WAL: `left` bytes never came
   * (drains.ts).
   */
  | { readonly kind: 'promoted-during-shutdown'; readonly node: string; readonly upstream: string; readonly stoppedAt: Micros; readonly at: Micros; readonly left: number }
  /** `node` had been falling behind since `since` (`behind`: the stream-falls-behind fact), and had not caught up. */
  | { readonly kind: 'was-falling-behind'; readonly node: string; readonly since: Micros; readonly behind: Fact }
  /** The conclusion: the commits are lost (after the crash's flush, after the survivor left the timeline, or off its history). */
  | { readonly kind: 'loss-conclusion'; readonly commits: number; readonly where: { readonly kind: 'unflushed' } | { readonly kind: 'after'; readonly lsn: Lsn; readonly timeline: number } | { readonly kind: 'off-history'; readonly timeline: number } };

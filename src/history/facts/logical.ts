/**
 * Logical replication between clusters (models/logical/subscription.ts): a subscription's apply worker, the
 * plan's cut-over steps, the steps of a loss at the cut-over and why inserts fail after it, as data.
 * src/report/facts/templates/logical.ts words them.
 */
import type { Micros } from '../../engine/time.ts';
import type { Lsn } from '../../models/postgres/lsn.ts';
import type { Rule } from './index.ts';

/** Why the apply worker does not apply now (pg_stat_subscription shows no worker, or one that keeps failing). */
export type ApplyStop =
  | { readonly kind: 'dropped' }
  | { readonly kind: 'publisher-down'; readonly node: string }
  | { readonly kind: 'subscriber-down'; readonly node: string }
  | { readonly kind: 'unreachable'; readonly node: string }
  | { readonly kind: 'slot-missing'; readonly slot: string; readonly node: string }
  | { readonly kind: 'slot-invalidated'; readonly slot: string; readonly node: string }
  /** A row from the publisher whose key a local insert on the subscriber already took. */
  | { readonly kind: 'duplicate-key'; readonly key: number }
  /** A column added on the publisher and not (yet) on the subscriber: the first change after it does not apply. */
  | { readonly kind: 'missing-column'; readonly publisher: string };

/** A write refused on the subscriber after the cut-over (a write-status cause: an outage). */
export interface SequenceBehindFact {
  readonly kind: 'sequence-behind';
  readonly node: string;
  readonly subscription: string;
  /** The value nextval hands out now and the largest key the replicated rows hold. */
  readonly nextval: number;
  readonly maxKey: number;
  /** Whether the plan ran setval (sync_sequences) too early: rows came after it. */
  readonly synced: boolean;
  readonly rule: Rule;
}

export type LogicalFact =
  | SequenceBehindFact
  /** The apply worker stopped applying (or keeps failing) for `why`, at `appliedLsn` of the publisher's WAL. */
  | { readonly kind: 'apply-stopped'; readonly subscription: string; readonly node: string; readonly why: ApplyStop; readonly appliedLsn: Lsn; readonly rule: Rule }
  | { readonly kind: 'apply-resumed'; readonly subscription: string; readonly node: string; readonly appliedLsn: Lsn }
  /** ALTER TABLE ... ADD COLUMN on `node`, the publisher's or the subscriber's side; `pending`: columns the subscriber lacks now. */
  | { readonly kind: 'column-added'; readonly subscription: string; readonly node: string; readonly side: 'publisher' | 'subscriber'; readonly pending: number; readonly lsn: Lsn }
  /** setval on the subscriber: the sequences take the publisher's value. */
  | { readonly kind: 'sequences-synced'; readonly subscription: string; readonly node: string; readonly value: number; readonly maxKey: number }
  /** DROP SUBSCRIPTION: `behindCommits` of the publisher's commits were not applied; `slotDropped`: the publisher's slot went with it. */
  | { readonly kind: 'subscription-dropped'; readonly subscription: string; readonly node: string; readonly appliedLsn: Lsn; readonly publisherLsn: Lsn; readonly behindCommits: number; readonly slotDropped: boolean }
  /** At the end of the run the apply worker still applies, `behindCommits` behind: late, not lost. */
  | { readonly kind: 'apply-behind-at-end'; readonly subscription: string; readonly node: string; readonly behindCommits: number; readonly appliedLsn: Lsn; readonly publisherLsn: Lsn }
  /** A tablesync worker begins to COPY `table` (attempt `attempt`) under the snapshot of its new slot `slot` on the publisher. */
  | { readonly kind: 'table-copy-started'; readonly subscription: string; readonly table: string; readonly slot: string; readonly bytes: number; readonly attempt: number; readonly rate: number; readonly byLink: boolean; readonly rule: Rule }
  /** The connection to the publisher or the COPY's transaction there went (a restart, statement_timeout): the COPY of `table` aborted; it begins again from scratch. `slot`: the slot left on the publisher (14+), or null. */
  | { readonly kind: 'table-copy-interrupted'; readonly subscription: string; readonly table: string; readonly slot: string | null; readonly rule: Rule }
  /** The subscriber has no free logical replication worker slot for this subscription's tablesync workers; `waiting` tables wait for one. */
  | { readonly kind: 'sync-workers-exhausted'; readonly subscription: string; readonly waiting: number; readonly rule: Rule }
  /** `table` copied and caught up: srsubstate r, the apply worker applies its changes from now on. */
  | { readonly kind: 'table-ready'; readonly subscription: string; readonly table: string; readonly bytes: number; readonly starts: number; readonly rule: Rule }
  /** `table` copied, but its slot was invalidated meanwhile: the catch-up cannot read the changes of the copy's duration, it stays in srsubstate f. */
  | { readonly kind: 'tablesync-slot-lost'; readonly subscription: string; readonly table: string; readonly slot: string; readonly rule: Rule }
  /** The writes of the publisher's workloads move to the subscriber. */
  | { readonly kind: 'writes-moved'; readonly subscription: string; readonly from: string; readonly to: string; readonly behindCommits: number }
  // Steps of a loss at the cut-over (run.ts logical losses).
  /** The apply worker applies at most `applyRate` transactions per second, one after the other, while the publisher committed `peakRate`. */
  | { readonly kind: 'loss-apply-behind'; readonly subscription: string; readonly publisher: string; readonly subscriber: string; readonly applyRate: number; readonly peakRate: number; readonly appliedLsn: Lsn; readonly rule: Rule }
  | { readonly kind: 'loss-apply-stopped'; readonly subscription: string; readonly at: Micros; readonly why: ApplyStop; readonly appliedLsn: Lsn }
  | { readonly kind: 'loss-writes-moved'; readonly subscription: string; readonly to: string; readonly at: Micros; readonly behindCommits: number }
  | { readonly kind: 'loss-apply-ended'; readonly subscription: string; readonly at: Micros; readonly why: ApplyStop }
  /** At the cut-over `table` (of `bytes`, `rows` rows) was not ready (srsubstate `state`): the subscriber has none of its rows, or a copy it has not finished. */
  | { readonly kind: 'loss-table-not-ready'; readonly subscription: string; readonly table: string; readonly state: 'i' | 'd' | 'f'; readonly rows: number; readonly bytes: number; readonly copied: number; readonly rule: Rule };

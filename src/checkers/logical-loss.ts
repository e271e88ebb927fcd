/**
 * Data loss at the cut-over of an upgrade by logical replication: once the writes moved to the subscriber,
 * every commit the publisher acknowledged past the subscription's applied position is on the old cluster only,
 * and is lost for the application when nothing will bring it over any more: the subscription was dropped, or its
 * apply worker has stopped for good at the end (the publisher stopped, its slot gone or invalidated, a
 * replicated row's key taken on the subscriber). While it still applies at the end, the commits are late, not
 * lost. Reads the subscriptions' state and the History's write terms.
 */
import type { Micros } from '../engine/time.ts';
import type { Fact } from '../history/facts/index.ts';
import { txAt } from '../history/history.ts';
import type { LogicalReplication } from '../models/logical/replication.ts';
import type { Subscription } from '../models/logical/subscription.ts';
import type { Lsn } from '../models/postgres/lsn.ts';
import { ackTimeOf, ackedEnd, lsnOfTx } from './dataLoss.ts';

/** Why PITR does not bring such commits back (the report's `pitr`, as dataLoss.ts words its own). */
export const LOGICAL_LOSS_PITR = "the commits are still on the old cluster while it is kept, but no subscription brings them over: PITR of the new cluster cannot replay another cluster's WAL";

export interface LogicalLoss {
  readonly cluster: string;
  readonly node: string;
  readonly timeline: number;
  readonly fromLsn: Lsn;
  readonly toLsn: Lsn;
  readonly fromAt: Micros;
  readonly toAt: Micros;
  readonly commits: number;
  readonly walBytes: number;
  /** A table not ready at the cut-over (its rows were never copied), instead of a range of commits. */
  readonly table?: { readonly name: string; readonly rows: number; readonly bytes: number };
  readonly chain: readonly Fact[];
}

export function findLogicalLosses(logical: LogicalReplication | null): LogicalLoss[] {
  const out: LogicalLoss[] = [];
  for (const s of logical?.subscriptions.values() ?? []) {
    if (!s.moved || s.stop === null || s.stoppedAt === null) continue;
    const applied = s.appliedOnHistory(s.stoppedAt);
    for (const { term, end } of s.publisherTerms()) {
      const acked = Math.min(ackedEnd(term), end);
      const from = Math.max(applied, term.startLsn);
      if (acked <= from) continue;
      const before = Math.floor(txAt(term, from) + 1e-9);
      const after = Math.floor(txAt(term, acked) + 1e-9);
      if (after <= before) continue;
      const fromLsn = lsnOfTx(term, before + 1);
      const toLsn = lsnOfTx(term, after);
      // Why the apply was behind: slower than the publisher's commits, and/or stopped (the first stops).
      const chain: Fact[] = [];
      if (s.peakRate > s.spec.applyRate) chain.push({ kind: 'loss-apply-behind', subscription: s.spec.name, publisher: s.spec.publisher, subscriber: s.spec.subscriber, applyRate: s.spec.applyRate, peakRate: Math.round(s.peakRate), appliedLsn: applied, rule: 'logical/worker.c:LogicalRepApplyLoop' });
      // Then in time order: the worker's first stops, the cut-over, the end of the apply.
      const timed: { at: Micros; fact: Fact }[] = s.stops
        .filter((x) => x.at <= s.stoppedAt!)
        .slice(0, 3)
        .map((x) => ({ at: x.at, fact: { kind: 'loss-apply-stopped', subscription: s.spec.name, at: x.at, why: x.why, appliedLsn: x.lsn } }));
      timed.push({ at: s.moved.at, fact: { kind: 'loss-writes-moved', subscription: s.spec.name, to: s.spec.subscriber, at: s.moved.at, behindCommits: s.moved.behind } });
      if (s.stops.at(-1)?.at !== s.stoppedAt) timed.push({ at: s.stoppedAt, fact: { kind: 'loss-apply-ended', subscription: s.spec.name, at: s.stoppedAt, why: s.stop } });
      chain.push(...timed.sort((a, b) => a.at - b.at).map((x) => x.fact));
      out.push({ cluster: s.pubCluster.name, node: term.node, timeline: term.timeline.tli, fromLsn, toLsn, fromAt: ackTimeOf(term, fromLsn), toAt: ackTimeOf(term, toLsn), commits: after - before, walBytes: acked - from, chain });
    }
    out.push(...tablesNotReady(s));
  }
  return out;
}

/**
 * The tables the initial copy had not made ready when the subscription stopped for good after the cut-over: the
 * apply worker skipped their changes (worker.c should_apply_changes_for_rel), and their rows of before the
 * subscription are on the old cluster only. One entry each, dated from the subscription's creation (the copy's
 * snapshot) to the cut-over.
 */
function tablesNotReady(s: Subscription): LogicalLoss[] {
  if (!s.sync || !s.moved) return [];
  const pub = s.publisher;
  return s.sync.notReady().map((t) => {
    const rows = t.spec.rows ?? Math.round(t.spec.size / 128);
    const state = t.state === 'r' ? 'f' : t.state;
    const chain: Fact[] = [
      { kind: 'loss-table-not-ready', subscription: s.spec.name, table: t.spec.name, state, rows, bytes: t.spec.size, copied: Math.round(Math.max(t.copied, t.aborted)), rule: 'logical/worker.c:should_apply_changes_for_rel' },
      { kind: 'loss-writes-moved', subscription: s.spec.name, to: s.spec.subscriber, at: s.moved!.at, behindCommits: s.moved!.behind },
    ];
    if (s.stoppedAt !== null && s.stop !== null) chain.push({ kind: 'loss-apply-ended', subscription: s.spec.name, at: s.stoppedAt, why: s.stop });
    return { cluster: s.pubCluster.name, node: pub.name, timeline: pub.wal.timeline.tli, fromLsn: s.createdLsn, toLsn: s.createdLsn, fromAt: s.createdAt, toAt: s.moved!.at, commits: 0, walBytes: 0, table: { name: t.spec.name, rows, bytes: t.spec.size }, chain };
  });
}

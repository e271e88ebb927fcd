/**
 * Lint rules on the cut-over of an upgrade by logical replication (models/logical): a subscription dropped while
 * its apply worker is still behind loses what it had not applied, and one dropped before its initial copy is
 * done loses the tables not ready, and a cut-over without setval after the
 * publisher's writes stopped makes the subscriber's inserts fail with duplicate keys. The backlog is estimated
 * as the model computes it: the publisher's WAL over the plan (from-scenario.ts writePhases) against one apply
 * worker's rate.
 */
import type { Micros } from '../../engine/time.ts';
import { count, duration, rate, size } from '../../report/format.ts';
import type { Finding, LintFacts, SubscriptionFact } from './types.ts';
import { type Rule, at, finding } from './rules-common.ts';

const SOURCE =
  'PostgreSQL logical/worker.c LogicalRepApplyLoop (one apply worker applies the transactions one after the other); subscriptioncmds.c DropSubscription; logical-replication restrictions: "Sequence data is not replicated" (observed 15.18 -> 17.10: the subscriber\'s sequence stays at 1 and inserts fail with "duplicate key value violates unique constraint"); tablesync.c (the initial copy: a table\'s changes apply only once it is ready; observed 15.18 -> 17.10)';

/**
 * The apply worker's backlog (bytes of the publisher's WAL) at `t`, and when it next drains to 0 at or after `t`
 * (null: not within the plan): the publisher's WAL phases in, one apply worker's capacity out, never below 0.
 */
export function applyBacklog(f: LintFacts, s: SubscriptionFact, t: Micros): { bytes: number; drainedAt: Micros | null } {
  const phases = f.writes.get(s.publisher) ?? [];
  const capacity = (s.applyRate * s.walPerTx) / 1e6;
  const end = Math.max(t, f.clock?.end ?? t);
  // Segments [from, to) of constant net rate, split at t.
  const cuts = [...new Set([...phases.map((p) => p.at as number), t, end])].filter((x) => x <= end).sort((a, b) => a - b);
  const rateAt = (x: number) => phases.filter((p) => p.at <= x).at(-1)?.walBytesPerSecond ?? 0;
  let backlog = 0;
  let atT: number | null = null;
  for (let i = 0; i + 1 < cuts.length; i++) {
    const from = cuts[i]!;
    const to = cuts[i + 1]!;
    if (from === t) atT = backlog;
    const net = rateAt(from) / 1e6 - capacity;
    if (atT !== null && backlog > 0 && net < 0 && backlog / -net <= to - from) return { bytes: atT, drainedAt: Math.ceil(from + backlog / -net) as Micros };
    backlog = Math.max(0, backlog + net * (to - from));
  }
  if (atT === null) atT = backlog;
  return { bytes: atT, drainedAt: backlog <= 0 ? (t as Micros) : null };
}

/**
 * When each table of the initial copy is ready (µs from the start, when the subscription is created): the
 * tablesync workers take the tables in order, the next one when a worker is free (tablesync.c
 * process_syncing_tables_for_apply), each COPY at the rate for the number running then (a link shared by fewer
 * copies gives each more). As the model computes it with no fault.
 */
export function copySchedule(copy: NonNullable<SubscriptionFact['copy']>): { name: string; size: number; startAt: number; readyAt: number }[] {
  const out = copy.tables.map((t) => ({ ...t, startAt: Number.POSITIVE_INFINITY, readyAt: Number.POSITIVE_INFINITY }));
  if (copy.workers === 0) return out;
  const left = out.map((t) => t.size);
  const running: number[] = [];
  // Workers held for ever by a COPY that statement_timeout cancels and that begins again (its estimate at its start).
  let stuck = 0;
  let next = 0;
  let now = 0;
  for (;;) {
    while (running.length + stuck < copy.workers && next < out.length) {
      out[next]!.startAt = now;
      const alone = copy.rates[running.length + stuck]! / 1e6;
      if (copy.statementTimeout > 0 && out[next]!.size / alone > copy.statementTimeout) {
        stuck++;
        next++;
        continue;
      }
      running.push(next++);
    }
    if (running.length === 0) return out;
    const rate = copy.rates[running.length + stuck - 1]! / 1e6;
    const first = Math.min(...running.map((i) => left[i]!));
    now += first / rate;
    for (const i of [...running]) {
      left[i] = left[i]! - first;
      if (left[i]! <= 1e-6) {
        out[i]!.readyAt = Math.ceil(now);
        running.splice(running.indexOf(i), 1);
      }
    }
  }
}

export const logicalCutover: Rule = {
  id: 'logical-cutover',
  title: 'the cut-over of an upgrade by logical replication: the subscription dropped before its apply worker caught up, or the sequences not set after the writes stopped',
  check(f) {
    return (f.subscriptions ?? []).flatMap((s): Finding[] => {
      const out: Finding[] = [];
      // The initial copy: a table not ready when the subscription is dropped after the cut-over is lost whole
      // (the apply worker skips its changes until then: worker.c should_apply_changes_for_rel).
      // statement_timeout on the publisher cancels a COPY that runs longer (observed on 15.18): begun again and again, never done.
      const st = s.copy?.statementTimeout ?? 0;
      const tooLong = s.copy && st > 0 ? copySchedule(s.copy).filter((t) => Number.isFinite(t.startAt) && !Number.isFinite(t.readyAt)) : [];
      if (tooLong.length > 0) {
        out.push(
          finding(
            'logical-cutover',
            'error',
            s.where,
            `statement_timeout on ${s.publisher} (${duration(st / 1e6)}) cancels the COPY of ${tooLong.map((t) => `${t.name} (${size(t.size)})`).join(', ')}: subscription ${s.name} never copies ${tooLong.length === 1 ? 'it' : 'them'}`,
            `Each tablesync worker runs COPY ... TO STDOUT in a transaction on the publisher, and the publisher's statement_timeout applies to it: "canceling statement due to statement timeout", the copy begins again from scratch a few seconds later, and is cancelled again. Set statement_timeout = 0 for the subscription's user on ${s.publisher} (ALTER ROLE ... SET statement_timeout = 0) before CREATE SUBSCRIPTION.`,
            SOURCE,
          ),
        );
      }
      if (s.cutover && s.drop && s.drop.at >= s.cutover.at && s.copy) {
        const late = copySchedule(s.copy).filter((t) => t.readyAt > s.drop!.at);
        if (late.length > 0) {
          const last = Math.max(...late.map((t) => t.readyAt));
          const names = late.map((t) => `${t.name} (${size(t.size)})`).join(', ');
          out.push(
            finding(
              'logical-cutover',
              'error',
              s.cutover.where,
              `subscription ${s.name}'s initial copy is not done at the cut-over: ${names} ${late.length === 1 ? 'is' : 'are'} lost whole`,
              `${s.copy.workers === 0 ? `${s.subscriber} has no logical replication worker slot left for a tablesync worker (max_logical_replication_workers less one per subscription's apply worker): the copy never starts` : `${count(s.copy.workers)} tablesync worker${s.copy.workers === 1 ? '' : 's'} copy the tables one each at about ${rate(s.copy.rates.at(-1)!)}${s.copy.rates[0]! > s.copy.rates.at(-1)! ? ` (${rate(s.copy.rates[0]!)} alone on the link)` : ''}; ${Number.isFinite(last) ? `the last would be ready at about ${at(f, last as Micros)}` : 'they are never all ready'}`}. Until a table is ready the apply worker skips its changes, and pg_stat_subscription shows no lag all the same. Wait until every row of pg_subscription_rel for the subscription has srsubstate r before the cut-over.`,
              SOURCE,
            ),
          );
        }
      }
      if (s.cutover && s.drop && s.drop.at >= s.cutover.at) {
        const { bytes, drainedAt } = applyBacklog(f, s, s.drop.at);
        const commits = bytes / s.walPerTx;
        if (commits >= 1) {
          const when = drainedAt !== null ? `it would have caught up at about ${at(f, drainedAt)}` : 'it does not catch up within the plan';
          out.push(
            finding(
              'logical-cutover',
              'error',
              s.drop.where,
              `subscription ${s.name} is dropped about ${count(Math.round(commits))} commits behind: they are lost`,
              `The writes move to ${s.subscriber} at ${at(f, s.cutover.at)} and DROP SUBSCRIPTION runs at ${at(f, s.drop.at)}, but its one apply worker (${count(s.applyRate)} transactions/s) has not yet applied about ${count(Math.round(commits))} commits ${s.publisher} acknowledged (${duration(commits / s.applyRate)} of applying); ${when}. Pause the writes, wait until pg_stat_subscription's latest_end_lsn (or the slot's confirmed_flush_lsn) reaches pg_current_wal_lsn() of ${s.publisher}, then move the writes and drop the subscription.`,
              SOURCE,
            ),
          );
        }
      }
      // DDL is not replicated: the k-th column added on the publisher needs the k-th on the subscriber before the
      // apply reaches it; until then the apply worker fails on the first change after it.
      const end = s.drop?.at ?? f.clock?.end ?? null;
      for (const [k, c] of s.columns.publisher.entries()) {
        const fixed = s.columns.subscriber[k];
        if (end === null || c.at >= end || (fixed !== undefined && fixed <= c.at)) continue;
        const stuck = fixed === undefined || fixed > end ? null : fixed;
        out.push(
          finding(
            'logical-cutover',
            stuck === null ? 'error' : 'warning',
            c.where,
            stuck === null
              ? `the column added on ${s.publisher} at ${at(f, c.at)} is never added on ${s.subscriber}: subscription ${s.name} applies nothing after it`
              : `the column added on ${s.publisher} at ${at(f, c.at)} reaches ${s.subscriber} only at ${at(f, stuck)}: subscription ${s.name} applies nothing in between`,
            `DDL is not replicated: the apply worker fails on the first change after the ALTER TABLE ("logical replication target relation ... is missing replicated column") and retries every wal_retrieve_retry_interval${stuck === null ? ` until the end of the plan; everything ${s.publisher} commits from then on never reaches ${s.subscriber}` : ' until the subscriber has the column'}, while the slot keeps ${s.publisher}'s WAL. Add the column on the subscriber first, then on the publisher.`,
            SOURCE,
          ),
        );
      }
      if (s.cutover && s.serialRows !== null) {
        const syncs = s.syncs.filter((x) => x.at <= s.cutover!.at);
        const last = syncs.at(-1);
        if (!last) {
          out.push(
            finding(
              'logical-cutover',
              'error',
              s.cutover.where,
              `no setval before the cut-over to ${s.subscriber}: its inserts fail with duplicate keys`,
              `Sequences are not replicated: ${s.subscriber}'s sequences are still where they started while its rows hold the keys ${s.publisher} handed out (${count(s.serialRows)} rows and more). After the cut-over at ${at(f, s.cutover.at)} every insert fails with "duplicate key value violates unique constraint" until nextval has passed them. Run sync_sequences after the writes on ${s.publisher} stopped and before the cut-over.`,
              SOURCE,
            ),
          );
        } else {
          const phases = f.writes.get(s.publisher) ?? [];
          const writesAfter = phases.some((p, i) => p.walBytesPerSecond > 0 && (phases[i + 1]?.at ?? Number.POSITIVE_INFINITY) > last.at && p.at < s.cutover!.at);
          if (writesAfter) {
            out.push(
              finding(
                'logical-cutover',
                'warning',
                last.where,
                `setval at ${at(f, last.at)} while ${s.publisher} still takes writes: the rows committed after it take keys past it`,
                `The sequences are set on ${s.subscriber} at ${at(f, last.at)}, but ${s.publisher} goes on committing until its writes stop; those rows reach ${s.subscriber} with keys past the value set, and after the cut-over at ${at(f, s.cutover.at)} its inserts fail with duplicate keys until nextval passes them (or, while the apply still runs, an insert takes a key a replicated row needs and the apply worker stops on it). Run sync_sequences after the writes stopped.`,
                SOURCE,
              ),
            );
          }
        }
      }
      return out;
    });
  },
};

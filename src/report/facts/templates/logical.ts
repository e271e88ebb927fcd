/** The words for logical replication between clusters: a subscription's apply worker and the cut-over (history/facts/logical.ts). */
import type { ApplyStop, LogicalFact, SequenceBehindFact } from '../../../history/facts/logical.ts';
import { count, counted, perSecond, rate, size } from '../../format.ts';
import { code, lsn, node, p, time, type Token } from '../parts.ts';
import type { TemplatesOf } from './types.ts';

export function applyStop(w: ApplyStop): Token {
  switch (w.kind) {
    case 'dropped':
      return 'the subscription was dropped (DROP SUBSCRIPTION)';
    case 'publisher-down':
      return p`the publisher ${node(w.node)} is down`;
    case 'subscriber-down':
      return p`the subscriber ${node(w.node)} is down`;
    case 'unreachable':
      return p`the publisher ${node(w.node)} cannot be reached`;
    case 'slot-missing':
      return p`the replication slot ${code(w.slot)} does not exist on ${node(w.node)} ("replication slot \"${w.slot}\" does not exist"; the apply worker retries every ${code('wal_retrieve_retry_interval')})`;
    case 'slot-invalidated':
      return p`the replication slot ${code(w.slot)} on ${node(w.node)} was invalidated ("can no longer get changes from replication slot")`;
    case 'missing-column':
      return p`a column added on ${node(w.publisher)} is missing on the subscriber (DDL is not replicated: "logical replication target relation ... is missing replicated column"; the apply worker exits and retries every ${code('wal_retrieve_retry_interval')} until the subscriber has it)`;
    case 'duplicate-key':
      return p`a replicated row's key ${count(w.key)} was already taken by an insert on the subscriber ("duplicate key value violates unique constraint"; the apply worker exits and retries the same transaction every ${code('wal_retrieve_retry_interval')})`;
  }
}

export const LOGICAL_WRITES: TemplatesOf<SequenceBehindFact> = {
  'sequence-behind': (f) =>
    p`inserts on ${node(f.node)} fail with "duplicate key value violates unique constraint": nextval hands out ${count(f.nextval)} while the rows replicated by subscription ${code(f.subscription)} hold keys up to ${count(f.maxKey)} (${f.synced ? 'setval ran before the last rows arrived' : 'logical replication does not replicate sequences, and no setval advanced them'}; each failed insert still uses up one value)`,
};

export const LOGICAL: TemplatesOf<Exclude<LogicalFact, SequenceBehindFact>> = {
  'apply-stopped': (f) => p`the apply worker of subscription ${code(f.subscription)} on ${node(f.node)} stops at ${lsn(f.appliedLsn)} of the publisher's WAL: ${applyStop(f.why)}`,
  'apply-resumed': (f) => p`the apply worker of subscription ${code(f.subscription)} on ${node(f.node)} applies again from ${lsn(f.appliedLsn)}`,
  'column-added': (f) =>
    f.side === 'publisher'
      ? p`ALTER TABLE ... ADD COLUMN on the publisher ${node(f.node)} at ${lsn(f.lsn)}: DDL is not replicated${f.pending > 0 ? p`, the subscriber of ${code(f.subscription)} lacks ${counted(f.pending, 'column')} from there` : ', the subscriber already has the column'}`
      : p`ALTER TABLE ... ADD COLUMN on the subscriber ${node(f.node)}${f.pending > 0 ? p`: it still lacks ${counted(f.pending, 'column')} of the publisher` : ': it has every column of the publisher'}`,
  'sequences-synced': (f) => p`setval on ${node(f.node)}: the sequences of subscription ${code(f.subscription)} continue after ${count(f.value)} (the replicated rows hold keys up to ${count(f.maxKey)} so far)`,
  'subscription-dropped': (f) =>
    p`DROP SUBSCRIPTION ${code(f.subscription)} on ${node(f.node)}: applied up to ${lsn(f.appliedLsn)} of ${lsn(f.publisherLsn)}${f.behindCommits > 0 ? p`, ${counted(f.behindCommits, 'commit')} of the publisher never applied` : ', nothing left to apply'}${f.slotDropped ? '; its slot on the publisher is dropped' : '; the publisher cannot be reached, so the subscription is detached from its slot first (slot_name = NONE) and the slot stays there, holding WAL'}`,
  'apply-behind-at-end': (f) =>
    p`at the end, subscription ${code(f.subscription)} on ${node(f.node)} is still ${counted(f.behindCommits, 'commit')} behind (applied up to ${lsn(f.appliedLsn)} of ${lsn(f.publisherLsn)}): they arrive later if the publisher keeps running and the subscription is kept, and are lost if either goes first`,
  'table-copy-started': (f) =>
    p`a tablesync worker of subscription ${code(f.subscription)} copies table ${code(f.table)} (${size(f.bytes)}) at ${rate(f.rate)}${f.byLink ? ' (its share of the link to the publisher)' : ''}${f.attempt > 1 ? p`, from scratch again (attempt ${count(f.attempt)})` : ''}: its slot ${code(f.slot)} and the COPY's snapshot hold the publisher's WAL and xmin horizon until it is done`,
  'table-copy-interrupted': (f) =>
    p`the COPY of table ${code(f.table)} (subscription ${code(f.subscription)}) is aborted, its connection or its transaction on the publisher gone; it stays in srsubstate d and is copied again from scratch${f.slot !== null ? p`, its slot ${code(f.slot)} left on the publisher meanwhile` : ''}`,
  'sync-workers-exhausted': (f) =>
    p`subscription ${code(f.subscription)}: ${counted(f.waiting, 'table')} wait${f.waiting === 1 ? 's' : ''} for a tablesync worker, the subscriber's ${code('max_logical_replication_workers')} being taken by the apply workers and the other subscriptions' tablesync workers`,
  'table-ready': (f) => p`table ${code(f.table)} (${size(f.bytes)}) of subscription ${code(f.subscription)} is copied and ready (srsubstate r)${f.starts > 1 ? p` after ${counted(f.starts, 'attempt')}` : ''}`,
  'tablesync-slot-lost': (f) =>
    p`table ${code(f.table)} of subscription ${code(f.subscription)} is copied, but its slot ${code(f.slot)} was invalidated meanwhile: the catch-up cannot read the changes made during the copy (START_REPLICATION on it fails at every retry), and the table stays in srsubstate f`,
  'writes-moved': (f) =>
    p`the writes move from ${node(f.from)} to ${node(f.to)} (subscription ${code(f.subscription)})${f.behindCommits > 0 ? p` while ${counted(f.behindCommits, 'commit')} of ${node(f.from)} are not applied yet` : ', which has applied every commit'}`,
  'loss-apply-behind': (f) =>
    p`the one apply worker of subscription ${code(f.subscription)} on ${node(f.subscriber)} applies the commits of ${node(f.publisher)} one after the other, at most ${perSecond(f.applyRate, 'transactions')}, while ${node(f.publisher)} committed up to ${perSecond(f.peakRate, 'transactions')}: it had applied up to ${lsn(f.appliedLsn)}`,
  'loss-apply-stopped': (f) => p`at ${time(f.at)} the apply worker of subscription ${code(f.subscription)} stopped at ${lsn(f.appliedLsn)}: ${applyStop(f.why)}`,
  'loss-writes-moved': (f) => p`at ${time(f.at)} the application writes to ${node(f.to)} instead, with ${counted(f.behindCommits, 'commit')} not applied yet`,
  'loss-table-not-ready': (f) =>
    p`table ${code(f.table)} (${size(f.bytes)}, ${counted(f.rows, 'row')}) of subscription ${code(f.subscription)} was not ready at the cut-over (srsubstate ${f.state}${f.state === 'd' ? p`, ${size(f.copied)} copied` : ''}): the apply worker skips a table's changes until it is ready, and the subscriber has none of its rows`,
  'loss-apply-ended': (f) => p`at ${time(f.at)} the apply worker stops for good: ${applyStop(f.why)}; the commits past it never reach the subscriber`,
};

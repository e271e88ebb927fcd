/** The prose of the verdicts' cause-chain steps (history/facts/verdicts.ts): one sentence each, ending in a full stop. */
import type { WaitReason } from '../../../history/history.ts';
import type { BecamePrimary, BrokenReason, NodeFate, NotFollowing, RebuildWay, Redundancy, VerdictEnd, VerdictStepFact } from '../../../history/facts/verdicts.ts';
import type { Fact } from '../../../history/facts/index.ts';
import { count, counted, duration, size } from '../../format.ts';
import { decidedByText, synchronousSourceText } from '../deciders.ts';
import { join, lsn, node, p, time, type Token } from '../parts.ts';
import type { TemplatesOf } from './types.ts';

type Sub = (f: Fact) => Token;

/** Why a standby can no longer follow, by the walreceiver's wait reason (cluster.ts), and what rebuilds it. */
const REWIND = 'pg_rewind against the new primary (needs wal_log_hints = on or data checksums), or a re-clone (pg_basebackup)';
const BROKEN: Record<BrokenReason, { readonly what: string; readonly rebuild: (walArchive: boolean) => string }> = {
  'wal-removed': {
    what: 'its upstream has removed WAL it still needs',
    rebuild: (archive) =>
      archive
        ? 'restore_command fetching the missing segments from the WAL archive, or a new base backup (pg_basebackup) from the primary'
        : 'a new base backup (pg_basebackup) from the primary (WAL is not archived, so restore_command cannot fetch the missing segments)',
  },
  'not-in-upstream-history': { what: 'it has diverged from its upstream\'s history (it has WAL past the point where the upstream\'s timeline branched)', rebuild: () => REWIND },
  'new-timeline-forked-before-replay': { what: 'the new timeline forked before its replay position: it has diverged', rebuild: () => REWIND },
  'new-timeline-not-a-child': { what: 'the newest timeline is not a child of its own', rebuild: () => REWIND },
  'timeline-not-followed': { what: 'recovery_target_timeline keeps it on the old timeline', rebuild: () => "recovery_target_timeline = 'latest' and a restart (it has not diverged, nothing needs rebuilding)" },
  'timeline-mismatch-9.2': { what: 'before 9.3 streaming cannot cross a timeline switch', rebuild: () => 'WAL of the new timeline from the archive (restore_command), or a new base backup' },
  'system-identifier-differs': { what: 'its upstream is another database system', rebuild: () => 'a new base backup (pg_basebackup) from a node of its own system' },
  'wal-senders-exhausted': { what: 'its upstream refuses one more replication connection (max_wal_senders reached)', rebuild: () => 'a higher max_wal_senders on the upstream (needs a restart), or one of its other replication connections closed' },
  'upstream-behind': { what: 'it is on a newer timeline than its upstream, a primary, which stays on its own (it was promoted, then pointed back at the older primary)', rebuild: () => REWIND },
  'slot-unusable': {
    what: 'primary_slot_name names a slot its upstream does not have (or, from 18, one invalidated by max_slot_wal_keep_size)',
    rebuild: () => 'pg_create_physical_replication_slot on the upstream (a new base backup if the WAL it needs is gone)',
  },
};

const rebuildText = (w: RebuildWay): string => (w.kind === 'fatal' ? REWIND : BROKEN[w.reason].rebuild(w.walArchive));

/** A walreceiver's wait reason (history.ts WaitReason) in words. */
const WAITING: Record<WaitReason, string> = {
  'end-of-timeline': 'has streamed to the end of its timeline and waits for a newer one',
  'timeline-not-followed': 'stays on its timeline (recovery_target_timeline)',
  'new-timeline-forked-before-replay': 'has diverged: the new timeline forked before its replay position',
  'new-timeline-not-a-child': 'cannot use the newest timeline (not a child of its own)',
  'not-in-upstream-history': 'has diverged from its upstream\'s history',
  'upstream-behind': 'waits for an upstream on an older timeline',
  'upstream-unreachable': 'cannot reach',
  'upstream-down': 'has no running upstream',
  'receiver-timeout': 'lost its connection (wal_receiver_timeout)',
  'wal-removed': 'needs WAL its upstream has removed',
  'slot-unusable': 'cannot use its primary_slot_name slot',
  'restoring-from-archive': 'restores WAL from the archive (restore_command) before streaming',
  'ahead-of-flush': 'is ahead of its upstream',
  'timeline-mismatch-9.2': 'cannot cross a timeline switch (before 9.3)',
  'system-identifier-differs': 'streams from another database system',
  'no-upstream': 'has no primary_conninfo',
  'wal-senders-exhausted': 'is refused (max_wal_senders reached) by',
  'pg-wal-full': 'cannot write WAL (its pg_wal volume is full) streamed',
};

/** "db2 was promoted at 14:03:10 by the plan; timeline 3 begins at 0/3000000", without the full stop. */
function becamePrimary(b: BecamePrimary, sub: Sub): Token {
  if (b.kind === 'since-start') return p`${node(b.node)} has been a primary since the start`;
  const by = b.by.kind === 'plan' ? 'by the plan' : p`by the failover manager (${b.by.policy}): ${sub(b.by.why)}`;
  return p`${node(b.node)} was promoted at ${time(b.at)} ${by}; timeline ${b.timeline} begins at ${lsn(b.switchLsn)}`;
}

function fate(f: NodeFate): Token {
  const n = node(f.node);
  switch (f.kind) {
    case 'left':
      return p`${n} left the cluster`;
    case 'shut-down':
      return p`${n} was shut down`;
    case 'crashed':
      if (f.panic) return p`${n} stopped itself: its pg_wal volume (${size(f.panic.volume)}) was full (PANIC)`;
      return f.mode === 'immediate' ? p`${n} was stopped in immediate mode (every process killed)` : p`${n} crashed`;
    case 'failed':
      return p`${n} does not start (${String(f.message)})`;
    case 'demoted':
      return p`${n} runs as a standby now (demoted)`;
    case 'primary':
      return p`${n} runs as a primary`;
  }
}

const standbys = (k: number): string => counted(k, 'standby', 'standbys');
const sync = (r: Redundancy): string => (r.synchronous !== null ? ` (${r.synchronous} synchronous)` : '');
const primaryOf = (r: Redundancy): Token => (r.primary !== null ? node(r.primary) : 'null');
/** "2 standbys follow db1 (1 synchronous)". */
const follow = (r: Redundancy): Token => p`${standbys(r.following)} follow${r.following === 1 ? 's' : ''} ${primaryOf(r)}${sync(r)}`;

function notFollowing(n: NotFollowing): Token {
  switch (n.kind) {
    case 'not-running':
      return n.run === 'failed' ? p`${node(n.node)} does not start` : p`${node(n.node)} is ${n.run === 'crashed' ? 'down (crashed)' : 'shut down'}`;
    case 'is-primary':
      return p`${node(n.node)} is itself a running primary`;
    case 'follows-other':
      return p`${node(n.node)} follows ${node(n.follows)}, not ${n.primary !== null ? node(n.primary) : 'null'}`;
    case 'waiting': {
      const up = n.upstream !== null && n.reason !== 'no-upstream' ? p` ${n.reason === 'upstream-unreachable' || n.reason === 'wal-senders-exhausted' ? '' : 'from '}${node(n.upstream)}` : '';
      return p`${node(n.node)} ${WAITING[n.reason]}${up}`;
    }
    case 'ended-timeline':
      return p`${node(n.node)} streams a timeline that ended (from ${String(n.upstream)}), not ${String(n.primary)}'s current WAL`;
    case 'receiver':
      return p`${node(n.node)}'s walreceiver is ${n.receiver}${n.upstream !== null ? '' : ' (no primary_conninfo)'}`;
  }
}

function ended(e: VerdictEnd, sub: Sub): Token {
  switch (e.kind) {
    case 'fates':
      return join(e.fates.map(fate), '; ');
    case 'one-primary-left':
      return 'one primary was left';
    case 'promoted':
      return becamePrimary(e.how, sub);
    case 'primary-again':
      return p`${node(e.node)} runs as a primary again`;
    case 'a-primary':
      return 'a primary';
    case 'standby-left':
      return p`${node(e.node)} left`;
    case 'standby-promoted':
      return p`${node(e.node)} was promoted`;
    case 'fate':
      return fate(e.fate);
    case 'follows-again':
      return p`${node(e.node)} follows ${node(e.follows)} again`;
    case 'receiver':
      // Not "waits from pg1": a standby that does not stream waits for its upstream.
      if (e.upstream === null) return p`${node(e.node)} has no upstream`;
      return e.streaming ? p`${node(e.node)} streams from ${node(e.upstream)}` : p`${node(e.node)} waits for ${node(e.upstream)}, not streaming`;
    case 'no-primary-any-more':
      return 'no node was a running primary any more (see no-primary)';
    case 'redundancy':
      return follow(e.redundancy);
  }
}

export const VERDICT_STEPS: TemplatesOf<VerdictStepFact> = {
  'became-primary': (f, sub) => p`${becamePrimary(f.how, sub)}.`,
  'promotion-waited': (f, sub) => p`At ${time(f.at)}, ${sub(f.wait)}.`,
  'fault-before': (f, sub) => p`At ${time(f.at)}, ${f.fault.kind === 'step' ? p`${sub(f.fault.action)}${f.fault.name ? ` (${f.fault.name})` : ''}` : sub(f.fault)}.`,
  'primaries-kept-running': (f) => {
    const many = f.older.length > 1;
    const smart = f.smart && f.smart.length > 0 ? p` (${join(f.smart.map((s) => p`${node(s.node)}'s smart shutdown, asked at ${time(s.since)}, still waited for its client sessions, which went on writing`))})` : '';
    return p`${join(f.older.map(node))} kept running as ${many ? 'primaries' : 'a primary'}: nothing demoted, stopped or fenced ${many ? 'them' : 'it'} when ${node(f.newer)} was promoted${smart}.`;
  },
  'split-sides': (f) =>
    p`From ${time(f.fromAt)} to ${f.toAt === null ? 'the end' : time(f.toAt)}: ${join(f.sides.map((s) => p`${node(s.node)} (timeline ${s.timeline}) acknowledged ${counted(s.commits, 'commit')}`))}.`,
  'split-conclusion': (f) =>
    f.writers.length > 1
      ? 'Therefore both sides acknowledged commits the other does not have: whichever is kept, the commits of the other after the fork are lost.'
      : p`Therefore ${f.primaries} primaries of one database system were writable at once${f.writers.length === 1 ? p` (only ${node(f.writers[0]!)} received writes; any client that reached another would have written to it)` : ''}.`,
  'primary-gone': (f) => p`At ${time(f.at)} ${fate(f.fate)}, and no other node was a running primary.`,
  'no-running-primary': (f) => p`At ${time(f.at)} no node of ${f.cluster} was a running primary.`,
  'failover-decision': (f, sub) => {
    const who = f.by !== null ? decidedByText(f.by) : `the failover manager (${f.policy})`;
    const saw = f.saw !== null ? p`; it saw: ${sub(f.saw)}` : '';
    const rule = f.rule !== null ? `; rule: ${f.rule}` : '';
    const reasons = f.reasons.length > 0 ? p`; ${join(f.reasons.map(sub), '; ')}` : '';
    const more = f.more > 0 ? ` (${count(f.more)} more decision${f.more === 1 ? '' : 's'} until the last ones below.)` : '';
    return p`At ${time(f.at)} ${who} ${f.chosen !== null ? p`chose ${node(f.chosen)}` : 'did not promote'}${saw}${rule}${reasons}.${more}`;
  },
  'rebuild-ran': (f) =>
    p`${f.by} rebuilt ${node(f.node)} with ${f.tool} ${f.tool === 'pg_rewind' ? 'against' : 'from'} ${node(f.source)} from ${time(f.fromAt)} to ${time(f.toAt)} (${duration((f.toAt - f.fromAt) / 1e6)}): ${f.ok ? 'it succeeded' : 'it failed'}.`,
  'standby-fails-to-start': (f) => p`At ${time(f.at)} ${node(f.node)} does not start: ${String(f.message)}.`,
  'standby-cannot-follow': (f, sub) => {
    const detail = f.detail !== null ? p` (${sub(f.detail)})` : '';
    const repeat = f.repeat !== null ? p`; it logged this ${count(f.repeat.count)} times, the last at ${time(f.repeat.lastAt)}` : '';
    return p`At ${time(f.at)} ${node(f.node)} cannot follow${f.upstream !== null ? p` ${node(f.upstream)}` : ''}: ${BROKEN[f.reason].what}${detail}${repeat}.`;
  },
  'what-rebuilds': (f) => `What rebuilds it: ${[...new Set(f.ways.map(rebuildText))].join('; or, for the later failure, ')}.`,
  'planned-redundancy': (f) =>
    `${f.cluster} was built with ${standbys(f.standbys)} following the primary${f.synchronous > 0 ? `, ${f.synchronous} of them synchronous (${f.source ? synchronousSourceText(f.source) : 'null'})` : ''}.`,
  'redundancy-at': (f) =>
    p`At ${time(f.at)} ${standbys(f.redundancy.following)} followed ${primaryOf(f.redundancy)}${sync(f.redundancy)}: ${f.missing.length > 0 ? join(f.missing.map(notFollowing), '; ') : 'too few synchronous standbys stream'}.`,
  'redundancy-worst': (f) => p`At worst ${standbys(f.redundancy.following)} followed ${primaryOf(f.redundancy)}${sync(f.redundancy)}.`,
  'redundancy-at-end': (f) => p`It still holds at the end of the run: ${follow(f.redundancy)}${f.gaps.length > 0 ? p`; ${join(f.gaps.map(notFollowing), '; ')}` : ''}.`,
  'verdict-ended': (f, sub) => p`It ended at ${time(f.at)}: ${ended(f.how, sub)}.`,
  'verdict-holds': () => 'It still holds at the end of the run.',
};

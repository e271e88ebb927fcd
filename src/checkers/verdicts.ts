/**
 * The end state, judged: from the replication state samples of the history (models/postgres/observe.ts),
 * the intervals during which a cluster had more than one primary of one database system (split brain), no
 * primary at all, a standby that can no longer follow, or fewer following (or synchronous) standbys than it
 * was built with; each with a cause chain of recorded facts, and the time from the first failure until the
 * last of them cleared. Reads only the History.
 */
import type { Micros } from '../engine/time.ts';
import { txAt, type History, type SimEvent, type WaitReason, type WriteTerm } from '../history/history.ts';
import type { ClusterPlan, ClusterStateSample, NodeState } from '../history/replication.ts';
import { formatLsn } from '../models/postgres/lsn.ts';
import { duration } from '../report/format.ts';
import type { CauseStep, ProseStep } from './explain.ts';
import { judgeBlock } from './verdicts-block.ts';

import { VERDICT_KINDS, type VerdictKind } from '../scenario/types-managers.ts';
import { factText } from '../report/facts/index.ts';
import { decidedByText, synchronousSourceText } from '../report/facts/deciders.ts';
import { factKey } from '../history/facts/index.ts';

/** One primary of a split brain and the commits it acknowledged during the verdict's interval. */
export interface SplitSide {
  readonly node: string;
  readonly timeline: number;
  readonly commits: number;
}

export interface Verdict {
  readonly kind: VerdictKind;
  readonly cluster: string;
  /** The node it is about: the newer primary of a split brain, the broken standby; null for the cluster as a whole. */
  readonly node: string | null;
  readonly from: Micros;
  /** Null while it still holds at the end of the run. */
  readonly to: Micros | null;
  readonly cause: readonly CauseStep[];
  /** Split brain: each primary and its commits in the interval. */
  readonly sides?: readonly SplitSide[];
}

/** From the first failure (a fault, or the first verdict) until the last verdict cleared; `to` null when one still holds. */
export interface Recovery {
  readonly cluster: string;
  readonly from: Micros;
  readonly to: Micros | null;
}

type Fmt = (t: Micros) => string;

/** Why a standby can no longer follow, by the walreceiver's wait reason (cluster.ts), and what rebuilds it. */
const BROKEN: Partial<Record<WaitReason, { readonly what: string; readonly rebuild: (plan: ClusterPlan) => string }>> = {
  'wal-removed': {
    what: 'its upstream has removed WAL it still needs',
    rebuild: (p) =>
      p.walArchive
        ? 'restore_command fetching the missing segments from the WAL archive, or a new base backup (pg_basebackup) from the primary'
        : 'a new base backup (pg_basebackup) from the primary (WAL is not archived, so restore_command cannot fetch the missing segments)',
  },
  'not-in-upstream-history': { what: 'it has diverged from its upstream\'s history (it has WAL past the point where the upstream\'s timeline branched)', rebuild: () => 'pg_rewind against the new primary (needs wal_log_hints = on or data checksums), or a re-clone (pg_basebackup)' },
  'new-timeline-forked-before-replay': { what: 'the new timeline forked before its replay position: it has diverged', rebuild: () => 'pg_rewind against the new primary (needs wal_log_hints = on or data checksums), or a re-clone (pg_basebackup)' },
  'new-timeline-not-a-child': { what: 'the newest timeline is not a child of its own', rebuild: () => 'pg_rewind against the new primary (needs wal_log_hints = on or data checksums), or a re-clone (pg_basebackup)' },
  'timeline-not-followed': { what: 'recovery_target_timeline keeps it on the old timeline', rebuild: () => "recovery_target_timeline = 'latest' and a restart (it has not diverged, nothing needs rebuilding)" },
  'timeline-mismatch-9.2': { what: 'before 9.3 streaming cannot cross a timeline switch', rebuild: () => 'WAL of the new timeline from the archive (restore_command), or a new base backup' },
  'system-identifier-differs': { what: 'its upstream is another database system', rebuild: () => 'a new base backup (pg_basebackup) from a node of its own system' },
  'wal-senders-exhausted': { what: 'its upstream refuses one more replication connection (max_wal_senders reached)', rebuild: () => 'a higher max_wal_senders on the upstream (needs a restart), or one of its other replication connections closed' },
  'slot-unusable': {
    what: 'primary_slot_name names a slot its upstream does not have (or, from 18, one invalidated by max_slot_wal_keep_size)',
    rebuild: () => 'pg_create_physical_replication_slot on the upstream (a new base backup if the WAL it needs is gone)',
  },
};

const REBUILD_FATAL = 'pg_rewind against the new primary (needs wal_log_hints = on or data checksums), or a re-clone (pg_basebackup)';

interface Open {
  readonly key: string;
  readonly kind: VerdictKind;
  readonly node: string | null;
  readonly from: Micros;
  /** The sample that opened it and the one before. */
  readonly first: ClusterStateSample;
  readonly before: ClusterStateSample | null;
}

/** The verdicts of every cluster with a plan in the history, in time order, and each cluster's time to recover. */
export function judge(history: History, end: Micros, fmt: Fmt): { verdicts: Verdict[]; recovery: Recovery[] } {
  const verdicts: Verdict[] = [];
  const recovery: Recovery[] = [];
  for (const plan of history.replication.plans) {
    const mine = judgeCluster(history, plan, end, fmt);
    verdicts.push(...mine);
    if (mine.length === 0) continue;
    const faults = history.events.filter((e) => e.kind === 'fault' && (e.cluster === null || e.cluster === plan.cluster));
    const first = Math.min(...mine.map((v) => v.from));
    const fault = faults.find((e) => e.at <= first);
    const open = mine.some((v) => v.to === null);
    recovery.push({ cluster: plan.cluster, from: fault ? fault.at : (first as Micros), to: open ? null : (Math.max(...mine.map((v) => v.to!)) as Micros) });
  }
  const block = judgeBlock(history, fmt);
  verdicts.push(...block.verdicts);
  recovery.push(...block.recovery);
  verdicts.sort((a, b) => a.from - b.from || VERDICT_KINDS.indexOf(a.kind) - VERDICT_KINDS.indexOf(b.kind) || a.cluster.localeCompare(b.cluster));
  return { verdicts, recovery };
}

/** The conditions a sample shows, by key (a verdict lasts while its key stays present). */
function conditions(s: ClusterStateSample, plan: ClusterPlan): Map<string, { kind: VerdictKind; node: string | null }> {
  const out = new Map<string, { kind: VerdictKind; node: string | null }>();
  const primaries = s.nodes.filter((n) => n.run === 'running' && n.role === 'primary');
  const bySystem = new Map<number, NodeState[]>();
  for (const p of primaries) bySystem.set(p.system, [...(bySystem.get(p.system) ?? []), p]);
  for (const [system, ps] of bySystem) if (ps.length > 1) out.set(`split-brain|${system}`, { kind: 'split-brain', node: null });
  if (primaries.length === 0) out.set('no-primary', { kind: 'no-primary', node: null });
  for (const n of s.nodes) {
    if (n.role !== 'standby') continue;
    if (n.run === 'failed' || (n.run === 'running' && n.receiver === 'waiting' && n.reason !== null && BROKEN[n.reason])) out.set(`standby-broken|${n.name}`, { kind: 'standby-broken', node: n.name });
  }
  if (primaries.length > 0) {
    const r = redundancy(s);
    if (r.following < plan.standbys || r.synchronous < plan.synchronous) out.set('redundancy', { kind: 'redundancy-below-plan', node: null });
  }
  return out;
}

/** The best any running primary has: standbys following it (directly or cascaded) and synchronous ones. */
function redundancy(s: ClusterStateSample): { following: number; synchronous: number; primary: string | null } {
  let best = { following: -1, synchronous: 0, primary: null as string | null };
  for (const p of s.nodes.filter((n) => n.run === 'running' && n.role === 'primary')) {
    const following = s.nodes.filter((n) => n.follows === p.name).length;
    const synchronous = s.nodes.filter((n) => n.follows === p.name && n.synchronous).length;
    if (following > best.following || (following === best.following && synchronous > best.synchronous)) best = { following, synchronous, primary: p.name };
  }
  return { ...best, following: Math.max(0, best.following) };
}

function judgeCluster(history: History, plan: ClusterPlan, end: Micros, fmt: Fmt): Verdict[] {
  const samples = history.replication.samples.filter((s) => s.cluster === plan.cluster);
  const out: Verdict[] = [];
  const open = new Map<string, Open>();
  let prev: ClusterStateSample | null = null;
  const close = (o: Open, at: Micros | null, next: ClusterStateSample | null) => {
    if (at !== null && at <= o.from) return; // a condition of no duration (several changes in one instant)
    out.push(build(history, plan, samples, o, at, next, end, fmt));
  };
  for (let i = 0; i < samples.length; i++) {
    const s = samples[i]!;
    // Of several samples at one instant only the last holds for any time.
    if (i + 1 < samples.length && samples[i + 1]!.at === s.at) continue;
    const now = conditions(s, plan);
    // A broken standby that is down (stopped for pg_rewind or a re-clone, or left stopped) is still not
    // following: its verdict lasts until it runs and streams again, or is promoted.
    for (const [key, o] of open) {
      if (o.kind !== 'standby-broken' || now.has(key)) continue;
      const n = s.nodes.find((x) => x.name === o.node);
      if (n && n.role === 'standby' && (n.run === 'stopped' || n.run === 'crashed')) now.set(key, { kind: o.kind, node: o.node });
    }
    for (const [key, o] of [...open]) {
      if (now.has(key)) continue;
      close(o, s.at, s);
      open.delete(key);
    }
    for (const [key, c] of now) if (!open.has(key)) open.set(key, { key, kind: c.kind, node: c.node, from: s.at, first: s, before: prev });
    prev = s;
  }
  for (const o of open.values()) if (o.from < end) close(o, null, null);
  return out;
}

function build(history: History, plan: ClusterPlan, samples: readonly ClusterStateSample[], o: Open, to: Micros | null, next: ClusterStateSample | null, end: Micros, fmt: Fmt): Verdict {
  const until = (to ?? end) as Micros;
  const during = samples.filter((s) => s.at >= o.from && s.at < until);
  switch (o.kind) {
    case 'split-brain':
      return splitBrain(history, plan, o, to, until, during, next, fmt);
    case 'no-primary':
      return noPrimary(history, plan, o, to, until, next, fmt);
    case 'standby-broken':
      return standbyBroken(history, plan, o, to, until, during, next, fmt);
    case 'redundancy-below-plan':
      return belowPlan(history, plan, o, to, until, during, next, fmt);
    case 'data-loss':
    case 'fenced':
      // Judged for block devices only (verdicts-block.ts): no cluster condition opens them.
      throw new Error(`a ${o.kind} verdict comes from the block history, not a cluster sample`);
  }
}

// ---------------------------------------------------------------------------------------------------------
// Facts shared by the cause chains

function nodeEvents(history: History, node: string, at: Micros, kinds: readonly string[]): SimEvent[] {
  return history.events.filter((e) => e.node === node && e.at === at && kinds.includes(e.kind));
}

/** How `node` came to be a primary by `at`: its last promotion, or since the start. */
function becamePrimary(history: History, cluster: string, node: string, at: Micros, fmt: Fmt): ProseStep {
  const p = history.promotions.findLast((x) => x.cluster === cluster && x.node === node && x.at <= at);
  if (!p) return { text: `${node} has been a primary since the start.`, log: [] };
  const by = p.by.kind === 'plan' ? 'by the plan' : `by the failover manager (${p.by.policy}): ${factText(p.by.why)}`;
  return {
    text: `${node} was promoted at ${fmt(p.at)} ${by}; timeline ${p.timeline.tli} begins at ${formatLsn(p.switchpoint)}.`,
    log: nodeEvents(history, node, p.at, ['promote']).flatMap((e) => e.log).slice(0, 3),
  };
}

/** The faults injected before `at` that concern the cluster (its nodes, or links). */
function faultsBefore(history: History, cluster: string, at: Micros, since: Micros, fmt: Fmt): CauseStep[] {
  return history.events
    .filter((e) => e.kind === 'fault' && e.at <= at && e.at >= since && (e.cluster === null || e.cluster === cluster))
    .slice(-3)
    .map((e) => ({ text: `At ${fmt(e.at)}, ${e.fact.kind === 'step' ? `${factText(e.fact.action)}${e.fact.name ? ` (${e.fact.name})` : ''}` : factText(e.fact)}.`, log: [] }));
}

/** What happened to a node that stopped being what it was: its state in `s`. */
function fate(n: NodeState | undefined, name: string): string {
  if (!n) return `${name} left the cluster`;
  if (n.run === 'stopped') return `${name} was shut down`;
  if (n.run === 'crashed') return `${name} crashed`;
  if (n.run === 'failed') return `${name} does not start (${n.fatal})`;
  if (n.role === 'standby') return `${name} runs as a standby now (demoted)`;
  return `${name} runs as a primary`;
}

/** The acknowledged LSN of a term at time t (interpolated on its acknowledgement curve). */
function ackAt(term: WriteTerm, t: Micros): number {
  const c = term.ackCurve;
  if (t <= c[0]!.at) return c[0]!.lsn;
  for (let i = 1; i < c.length; i++) {
    const a = c[i - 1]!;
    const b = c[i]!;
    if (t <= b.at) return b.at === a.at ? b.lsn : a.lsn + ((t - a.at) / (b.at - a.at)) * (b.lsn - a.lsn);
  }
  return c.at(-1)!.lsn;
}

/** Commits a node acknowledged between `from` and `to`, over its terms. */
function commitsBetween(history: History, cluster: string, node: string, from: Micros, to: Micros): { commits: number; timeline: number | null } {
  let commits = 0;
  let timeline: number | null = null;
  for (const t of history.terms) {
    if (t.cluster !== cluster || t.node !== node) continue;
    const a = Math.floor(txAt(t, ackAt(t, from)) + 1e-9);
    const b = Math.floor(txAt(t, ackAt(t, to)) + 1e-9);
    if (b > a) {
      commits += b - a;
      timeline = t.timeline.tli;
    }
  }
  return { commits, timeline };
}

/**
 * The failover managers' decisions in [from, to]: the first, and every decision of the last instant one was
 * taken (a Patroni race: one per agent), each with what the manager saw and, per candidate, why.
 */
function decisionsBetween(history: History, cluster: string, from: Micros, to: Micros, fmt: Fmt): CauseStep[] {
  const ds = history.failoverDecisions.filter((d) => d.cluster === cluster && d.at >= from && d.at <= to);
  if (ds.length === 0) return [];
  const lastAt = ds.at(-1)!.at;
  const pick = [...new Set([ds[0]!, ...ds.filter((d) => d.at === lastAt)])];
  const more = ds.length - pick.length;
  return pick.map((d, i) => ({
    text: `At ${fmt(d.at)} ${d.by ? decidedByText(d.by) : `the failover manager (${d.policy})`} ${d.chosen ? `chose ${d.chosen}` : 'did not promote'}${d.saw ? `; it saw: ${factText(d.saw)}` : ''}${d.rule ? `; rule: ${d.rule}` : ''}${d.reasons.length ? `; ${d.reasons.map((x) => factText(x)).join('; ')}` : ''}.${i === 0 && more > 0 ? ` (${more} more decision${more === 1 ? '' : 's'} until the last ones below.)` : ''}`,
    log: [],
  }));
}

/** The rebuilds a manager ran (of `node`, or of any node) during [from, until]: what, against whom, how long. */
function rebuildSteps(history: History, cluster: string, node: string | null, from: Micros, until: Micros, fmt: Fmt): CauseStep[] {
  return history.replication.rebuilds
    .filter((r) => r.cluster === cluster && (node === null || r.node === node) && r.to >= from && r.from <= until)
    .map((r) => ({
      text: `${r.by} rebuilt ${r.node} with ${r.tool} ${r.tool === 'pg_rewind' ? 'against' : 'from'} ${r.source} from ${fmt(r.from)} to ${fmt(r.to)} (${duration((r.to - r.from) / 1e6)}): ${r.ok ? 'it succeeded' : 'it failed'}.`,
      log: [],
    }));
}

function ending(to: Micros | null, fmt: Fmt, text: string): CauseStep {
  return { text: to === null ? `It still holds at the end of the run.` : `It ended at ${fmt(to)}: ${text}.`, log: [] };
}

// ---------------------------------------------------------------------------------------------------------
// The four verdicts

function splitBrain(history: History, plan: ClusterPlan, o: Open, to: Micros | null, until: Micros, during: readonly ClusterStateSample[], next: ClusterStateSample | null, fmt: Fmt): Verdict {
  const system = Number(o.key.split('|')[1]);
  const names = [...new Set(during.flatMap((s) => s.nodes.filter((n) => n.run === 'running' && n.role === 'primary' && n.system === system).map((n) => n.name)))];
  const cluster = plan.cluster;
  // The newer primary is the one whose promotion made it two.
  const promotedAt = (n: string) => history.promotions.findLast((p) => p.cluster === cluster && p.node === n && p.at <= o.from)?.at ?? -1;
  names.sort((a, b) => promotedAt(a) - promotedAt(b) || (a < b ? -1 : 1));
  const newer = names.at(-1)!;
  const older = names.slice(0, -1);
  const steps: CauseStep[] = older.map((n) => becamePrimary(history, cluster, n, o.from, fmt));
  const since = Math.max(0, ...older.map(promotedAt)) as Micros;
  steps.push(...faultsBefore(history, cluster, o.from, since, fmt));
  steps.push(becamePrimary(history, cluster, newer, o.from, fmt));
  steps.push({ text: `${older.join(', ')} kept running as ${older.length > 1 ? 'primaries' : 'a primary'}: nothing demoted, stopped or fenced ${older.length > 1 ? 'them' : 'it'} when ${newer} was promoted.`, log: [] });
  const sides: SplitSide[] = names.map((n) => {
    const c = commitsBetween(history, cluster, n, o.from, until);
    const tli = during.at(-1)?.nodes.find((x) => x.name === n)?.tli ?? c.timeline ?? 0;
    return { node: n, timeline: tli, commits: c.commits };
  });
  const writers = sides.filter((s) => s.commits > 0);
  steps.push({
    text: `From ${fmt(o.from)} to ${to === null ? 'the end' : fmt(to)}: ${sides.map((s) => `${s.node} (timeline ${s.timeline}) acknowledged ${s.commits.toLocaleString('en-US')} commit${s.commits === 1 ? '' : 's'}`).join(', ')}.`,
    log: [],
  });
  steps.push({
    text:
      writers.length > 1
        ? 'Therefore both sides acknowledged commits the other does not have: whichever is kept, the commits of the other after the fork are lost.'
        : `Therefore ${names.length} primaries of one database system were writable at once${writers.length === 1 ? ` (only ${writers[0]!.node} received writes; any client that reached another would have written to it)` : ''}.`,
    log: [],
  });
  if (to !== null) {
    const gone = names.filter((n) => !next?.nodes.some((x) => x.name === n && x.run === 'running' && x.role === 'primary'));
    steps.push(ending(to, fmt, gone.map((n) => fate(next?.nodes.find((x) => x.name === n), n)).join('; ') || 'one primary was left'));
  } else steps.push(ending(null, fmt, ''));
  return { kind: 'split-brain', cluster, node: newer, from: o.from, to, cause: steps, sides };
}

function noPrimary(history: History, plan: ClusterPlan, o: Open, to: Micros | null, until: Micros, next: ClusterStateSample | null, fmt: Fmt): Verdict {
  const cluster = plan.cluster;
  const steps: CauseStep[] = [];
  const last = o.before?.nodes.filter((n) => n.run === 'running' && n.role === 'primary') ?? [];
  for (const p of last) {
    const now = o.first.nodes.find((n) => n.name === p.name);
    steps.push({ text: `At ${fmt(o.from)} ${fate(now, p.name)}, and no other node was a running primary.`, log: nodeEvents(history, p.name, o.from, ['lifecycle', 'failover', 'setting']).flatMap((e) => e.log).slice(0, 4) });
  }
  if (last.length === 0) steps.push({ text: `At ${fmt(o.from)} no node of ${cluster} was a running primary.`, log: [] });
  steps.unshift(...faultsBefore(history, cluster, o.from, Math.max(0, o.from - 600e6) as Micros, fmt));
  steps.push(...decisionsBetween(history, cluster, o.from, until, fmt));
  if (to !== null) {
    const p = next?.nodes.find((n) => n.run === 'running' && n.role === 'primary');
    const promo = p ? history.promotions.find((x) => x.cluster === cluster && x.node === p.name && x.at === to) : undefined;
    steps.push(ending(to, fmt, p ? (promo ? becamePrimary(history, cluster, p.name, to, fmt).text.replace(/\.$/, '') : `${p.name} runs as a primary again`) : 'a primary'));
  } else steps.push(ending(null, fmt, ''));
  return { kind: 'no-primary', cluster, node: null, from: o.from, to, cause: steps };
}

function standbyBroken(history: History, plan: ClusterPlan, o: Open, to: Micros | null, until: Micros, during: readonly ClusterStateSample[], next: ClusterStateSample | null, fmt: Fmt): Verdict {
  const cluster = plan.cluster;
  const name = o.node!;
  const states = during.map((s) => s.nodes.find((n) => n.name === name)!).filter((n) => n !== undefined);
  const steps: CauseStep[] = [];
  const seen = new Set<string>();
  const rebuilds: string[] = [];
  for (let i = 0; i < states.length; i++) {
    const n = states[i]!;
    const at = during[i]!.at;
    const key = n.run === 'failed' ? `fatal|${n.fatal}` : `${n.reason}`;
    if (seen.has(key) || !(n.run === 'failed' || (n.reason && BROKEN[n.reason]))) continue;
    seen.add(key);
    const rx = history.receiverTransitions.findLast((r) => r.node === name && r.at <= at && (n.run === 'failed' || r.reason === n.reason));
    // The event that logged this failure: the one whose message is the transition's detail, else the first
    // failure-kind event of the node from then on.
    const mineAfter = history.events.filter((e) => e.node === name && e.at >= (rx?.at ?? at) && e.at <= until);
    const rxKey = rx ? factKey(rx.detail) : null;
    const first = (rxKey !== null ? mineAfter.find((e) => factKey(e.fact) === rxKey) : undefined) ?? mineAfter.find((e) => ['diverged', 'stuck', 'fatal', 'replication'].includes(e.kind) && e.log.length > 0);
    const events = first ? [first] : [];
    const rep = events[0]?.repeat;
    if (n.run === 'failed') {
      steps.push({ text: `At ${fmt(at)} ${name} does not start: ${n.fatal}.`, log: events.flatMap((e) => e.log) });
      rebuilds.push(REBUILD_FATAL);
    } else {
      const b = BROKEN[n.reason!]!;
      steps.push({
        text: `At ${fmt(at)} ${name} cannot follow${n.upstream ? ` ${n.upstream}` : ''}: ${b.what}${rx ? ` (${factText(rx.detail)})` : ''}${rep ? `; it logged this ${rep.count.toLocaleString('en-US')} times, the last at ${fmt(rep.last)}` : ''}.`,
        log: events.flatMap((e) => e.log).slice(0, 3),
      });
      rebuilds.push(b.rebuild(plan));
    }
  }
  const unique = [...new Set(rebuilds)];
  steps.push({ text: `What rebuilds it: ${unique.join('; or, for the later failure, ')}.`, log: [] });
  steps.push(...rebuildSteps(history, cluster, name, o.from, until, fmt));
  if (to !== null) {
    const n = next?.nodes.find((x) => x.name === name);
    const how = !n ? `${name} left` : n.role === 'primary' ? `${name} was promoted` : n.run !== 'running' ? fate(n, name) : n.follows ? `${name} follows ${n.follows} again` : `${name} ${n.receiver === 'streaming' ? 'streams' : 'waits'} from ${n.upstream ?? 'no upstream'}`;
    steps.push(ending(to, fmt, how));
  } else steps.push(ending(null, fmt, ''));
  return { kind: 'standby-broken', cluster, node: name, from: o.from, to, cause: steps };
}

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
};

/** Why a standby does not follow the primary `p` in a sample. */
function notFollowing(n: NodeState, p: string | null): string {
  if (n.run !== 'running') return n.run === 'failed' ? `${n.name} does not start` : `${n.name} is ${n.run === 'crashed' ? 'down (crashed)' : 'shut down'}`;
  if (n.role === 'primary') return `${n.name} is itself a running primary`;
  if (n.follows && n.follows !== p) return `${n.name} follows ${n.follows}, not ${p}`;
  if (n.reason) return `${n.name} ${WAITING[n.reason]}${n.upstream && n.reason !== 'no-upstream' ? ` ${n.reason === 'upstream-unreachable' || n.reason === 'wal-senders-exhausted' ? '' : 'from '}${n.upstream}` : ''}`;
  if (n.receiver === 'streaming') return `${n.name} streams a timeline that ended (from ${n.upstream}), not ${p}'s current WAL`;
  return `${n.name}'s walreceiver is ${n.receiver}${n.upstream ? '' : ' (no primary_conninfo)'}`;
}

function belowPlan(history: History, plan: ClusterPlan, o: Open, to: Micros | null, until: Micros, during: readonly ClusterStateSample[], next: ClusterStateSample | null, fmt: Fmt): Verdict {
  const cluster = plan.cluster;
  const steps: CauseStep[] = [];
  steps.push({
    text: `${cluster} was built with ${plan.standbys} standby${plan.standbys === 1 ? '' : 's'} following the primary${plan.synchronous > 0 ? `, ${plan.synchronous} of them synchronous (${plan.synchronousSource ? synchronousSourceText(plan.synchronousSource) : 'null'})` : ''}.`,
    log: [],
  });
  const first = redundancy(o.first);
  const worst = during.map(redundancy).reduce((a, b) => (b.following < a.following || (b.following === a.following && b.synchronous < a.synchronous) ? b : a), first);
  const missing = o.first.nodes.filter((n) => n.follows !== first.primary && n.name !== first.primary).map((n) => notFollowing(n, first.primary));
  steps.push({
    text: `At ${fmt(o.from)} ${first.following} standby${first.following === 1 ? '' : 's'} followed ${first.primary}${plan.synchronous > 0 ? ` (${first.synchronous} synchronous)` : ''}: ${missing.join('; ') || 'too few synchronous standbys stream'}.`,
    log: [],
  });
  if (worst !== first) steps.push({ text: `At worst ${worst.following} standby${worst.following === 1 ? '' : 's'} followed ${worst.primary}${plan.synchronous > 0 ? ` (${worst.synchronous} synchronous)` : ''}.`, log: [] });
  steps.push(...rebuildSteps(history, cluster, null, o.from, until, fmt));
  if (to !== null) {
    const r = next ? redundancy(next) : null;
    const none = next && !next.nodes.some((n) => n.run === 'running' && n.role === 'primary');
    steps.push(ending(to, fmt, none ? 'no node was a running primary any more (see no-primary)' : `${r?.following ?? 0} standby${r?.following === 1 ? '' : 's'} follow${r?.following === 1 ? 's' : ''} ${r?.primary}${plan.synchronous > 0 ? ` (${r?.synchronous ?? 0} synchronous)` : ''}`));
  } else {
    const last = during.at(-1) ?? o.first;
    const r = redundancy(last);
    const gaps = last.nodes.filter((n) => n.follows !== r.primary && n.name !== r.primary).map((n) => notFollowing(n, r.primary));
    steps.push({ text: `It still holds at the end of the run: ${r.following} standby${r.following === 1 ? '' : 's'} follow${r.following === 1 ? 's' : ''} ${r.primary}${plan.synchronous > 0 ? ` (${r.synchronous} synchronous)` : ''}${gaps.length ? `; ${gaps.join('; ')}` : ''}.`, log: [] });
  }
  return { kind: 'redundancy-below-plan', cluster, node: null, from: o.from, to, cause: steps };
}

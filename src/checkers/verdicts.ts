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
import type { CauseStep } from './explain.ts';
import { judgeBlock } from './verdicts-block.ts';

import { VERDICT_KINDS, type VerdictKind } from '../scenario/types-managers.ts';
import { factKey } from '../history/facts/index.ts';
import { BROKEN_REASONS, type BecamePrimary, type BrokenReason, type NodeFate, type NotFollowing, type Redundancy, type VerdictEnd, type VerdictStepFact } from '../history/facts/verdicts.ts';

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

/** The wait reasons after which a standby can no longer follow (the report words each, and what rebuilds it). */
const BROKEN: ReadonlySet<WaitReason> = new Set(BROKEN_REASONS);
const isBroken = (r: WaitReason | null): r is BrokenReason => r !== null && BROKEN.has(r);

/** A step without log lines. */
const step = (fact: VerdictStepFact): CauseStep => ({ fact, log: [] });

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
export function judge(history: History, end: Micros): { verdicts: Verdict[]; recovery: Recovery[] } {
  const verdicts: Verdict[] = [];
  const recovery: Recovery[] = [];
  for (const plan of history.replication.plans) {
    const mine = judgeCluster(history, plan, end);
    verdicts.push(...mine);
    if (mine.length === 0) continue;
    const faults = history.events.filter((e) => e.kind === 'fault' && (e.cluster === null || e.cluster === plan.cluster));
    const first = Math.min(...mine.map((v) => v.from));
    const fault = faults.find((e) => e.at <= first);
    const open = mine.some((v) => v.to === null);
    recovery.push({ cluster: plan.cluster, from: fault ? fault.at : (first as Micros), to: open ? null : (Math.max(...mine.map((v) => v.to!)) as Micros) });
  }
  const block = judgeBlock(history);
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
    // An upstream on an older timeline breaks it only when that upstream is a running primary (a standby upstream
    // may still move to the newer timeline; a primary never does).
    const behindPrimary = n.reason !== 'upstream-behind' || s.nodes.some((u) => u.name === n.upstream && u.run === 'running' && u.role === 'primary');
    if (n.run === 'failed' || (n.run === 'running' && n.receiver === 'waiting' && isBroken(n.reason) && behindPrimary)) out.set(`standby-broken|${n.name}`, { kind: 'standby-broken', node: n.name });
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

function judgeCluster(history: History, plan: ClusterPlan, end: Micros): Verdict[] {
  const samples = history.replication.samples.filter((s) => s.cluster === plan.cluster);
  const out: Verdict[] = [];
  const open = new Map<string, Open>();
  let prev: ClusterStateSample | null = null;
  const close = (o: Open, at: Micros | null, next: ClusterStateSample | null) => {
    if (at !== null && at <= o.from) return; // a condition of no duration (several changes in one instant)
    out.push(build(history, plan, samples, o, at, next, end));
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
      // Its upstream went down or out of reach meanwhile: what broke it (WAL removed, a timeline it cannot
      // follow) still stands, and it follows nothing; the verdict lasts until it streams or restores again.
      else if (n && n.role === 'standby' && n.run === 'running' && n.receiver === 'waiting' && (n.reason === 'upstream-down' || n.reason === 'upstream-unreachable' || n.reason === 'receiver-timeout')) now.set(key, { kind: o.kind, node: o.node });
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

function build(history: History, plan: ClusterPlan, samples: readonly ClusterStateSample[], o: Open, to: Micros | null, next: ClusterStateSample | null, end: Micros): Verdict {
  const until = (to ?? end) as Micros;
  const during = samples.filter((s) => s.at >= o.from && s.at < until);
  switch (o.kind) {
    case 'split-brain':
      return splitBrain(history, plan, o, to, until, during, next);
    case 'no-primary':
      return noPrimary(history, plan, o, to, until, next);
    case 'standby-broken':
      return standbyBroken(history, plan, o, to, until, during, next);
    case 'redundancy-below-plan':
      return belowPlan(history, plan, o, to, until, during, next);
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
function becameHow(history: History, cluster: string, node: string, at: Micros): BecamePrimary {
  const p = history.promotions.findLast((x) => x.cluster === cluster && x.node === node && x.at <= at);
  return p ? { kind: 'promoted', node, at: p.at, by: p.by, timeline: p.timeline.tli, switchLsn: p.switchpoint } : { kind: 'since-start', node };
}

function becamePrimary(history: History, cluster: string, node: string, at: Micros): CauseStep {
  const how = becameHow(history, cluster, node, at);
  return { fact: { kind: 'became-primary', how }, log: how.kind === 'promoted' ? nodeEvents(history, node, how.at, ['promote']).flatMap((e) => e.log).slice(0, 3) : [] };
}

/** The faults injected before `at` that concern the cluster (its nodes, or links). */
function faultsBefore(history: History, cluster: string, at: Micros, since: Micros): CauseStep[] {
  return history.events
    .filter((e) => e.kind === 'fault' && e.at <= at && e.at >= since && (e.cluster === null || e.cluster === cluster))
    .slice(-3)
    .map((e) => step({ kind: 'fault-before', at: e.at, fault: e.fact }));
}

/** Whether the node's last going down by `at` was `pg_ctl stop -m immediate` (a kill, run state 'crashed'). */
function stoppedImmediately(history: History, node: string, at: Micros): boolean {
  const e = history.events.findLast((x) => x.node === node && x.at <= at && x.fact.kind === 'down');
  return e !== undefined && e.fact.kind === 'down' && e.fact.mode === 'immediate';
}

/** The PANIC the node's last crash by `at` came from (its pg_wal volume full: storage.ts logs it at the crash), or null. */
function panicOf(history: History, node: string, at: Micros): { kind: 'pg-wal-full'; volume: number } | null {
  const down = history.events.findLast((x) => x.node === node && x.at <= at && x.fact.kind === 'down');
  if (!down) return null;
  const full = history.events.findLast((x) => x.node === node && x.at === down.at && x.fact.kind === 'pg-wal-full');
  return full && full.fact.kind === 'pg-wal-full' ? { kind: 'pg-wal-full', volume: full.fact.volume } : null;
}

/** What happened to a node that stopped being what it was: its state in `s`. */
function fate(history: History, n: NodeState | undefined, name: string, at: Micros): NodeFate {
  if (!n) return { kind: 'left', node: name };
  if (n.run === 'stopped') return { kind: 'shut-down', node: name };
  if (n.run === 'crashed') {
    if (stoppedImmediately(history, name, at)) return { kind: 'crashed', node: name, mode: 'immediate' };
    const panic = panicOf(history, name, at);
    return panic ? { kind: 'crashed', node: name, panic } : { kind: 'crashed', node: name };
  }
  if (n.run === 'failed') return { kind: 'failed', node: name, message: n.fatal };
  if (n.role === 'standby') return { kind: 'demoted', node: name };
  return { kind: 'primary', node: name };
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
function decisionsBetween(history: History, cluster: string, from: Micros, to: Micros): CauseStep[] {
  const ds = history.failoverDecisions.filter((d) => d.cluster === cluster && d.at >= from && d.at <= to);
  if (ds.length === 0) return [];
  const lastAt = ds.at(-1)!.at;
  const pick = [...new Set([ds[0]!, ...ds.filter((d) => d.at === lastAt)])];
  const more = ds.length - pick.length;
  return pick.map((d, i) =>
    step({ kind: 'failover-decision', at: d.at, by: d.by ?? null, policy: d.policy, chosen: d.chosen, saw: d.saw ?? null, rule: d.rule || null, reasons: d.reasons, more: i === 0 ? more : 0 }),
  );
}

/** The rebuilds a manager ran (of `node`, or of any node) during [from, until]: what, against whom, how long. */
function rebuildSteps(history: History, cluster: string, node: string | null, from: Micros, until: Micros): CauseStep[] {
  return history.replication.rebuilds
    .filter((r) => r.cluster === cluster && (node === null || r.node === node) && r.to >= from && r.from <= until)
    .map((r) => step({ kind: 'rebuild-ran', by: r.by, node: r.node, tool: r.tool, source: r.source, fromAt: r.from, toAt: r.to, ok: r.ok }));
}

function ending(to: Micros | null, how: VerdictEnd): CauseStep {
  return step(to === null ? { kind: 'verdict-holds' } : { kind: 'verdict-ended', at: to, how });
}

// ---------------------------------------------------------------------------------------------------------
// The four verdicts

function splitBrain(history: History, plan: ClusterPlan, o: Open, to: Micros | null, until: Micros, during: readonly ClusterStateSample[], next: ClusterStateSample | null): Verdict {
  const system = Number(o.key.split('|')[1]);
  const names = [...new Set(during.flatMap((s) => s.nodes.filter((n) => n.run === 'running' && n.role === 'primary' && n.system === system).map((n) => n.name)))];
  const cluster = plan.cluster;
  // The newer primary is the one whose promotion made it two.
  const promotedAt = (n: string) => history.promotions.findLast((p) => p.cluster === cluster && p.node === n && p.at <= o.from)?.at ?? -1;
  names.sort((a, b) => promotedAt(a) - promotedAt(b) || (a < b ? -1 : 1));
  const newer = names.at(-1)!;
  const older = names.slice(0, -1);
  const steps: CauseStep[] = older.map((n) => becamePrimary(history, cluster, n, o.from));
  const since = Math.max(0, ...older.map(promotedAt)) as Micros;
  steps.push(...faultsBefore(history, cluster, o.from, since));
  steps.push(becamePrimary(history, cluster, newer, o.from));
  // A smart shutdown still waiting for its sessions keeps a primary writing (models/postgres/pg-ctl.ts).
  const smart = older.flatMap((n) => {
    const e = history.events.findLast((x) => x.node === n && x.at <= o.from && (x.fact.kind === 'smart-shutdown-waits' || x.fact.kind === 'down' || x.fact.kind === 'started-primary'));
    return e?.fact.kind === 'smart-shutdown-waits' ? [{ node: n, since: e.at }] : [];
  });
  steps.push(step({ kind: 'primaries-kept-running', older, newer, ...(smart.length > 0 ? { smart } : {}) }));
  const sides: SplitSide[] = names.map((n) => {
    const c = commitsBetween(history, cluster, n, o.from, until);
    const tli = during.at(-1)?.nodes.find((x) => x.name === n)?.tli ?? c.timeline ?? 0;
    return { node: n, timeline: tli, commits: c.commits };
  });
  steps.push(step({ kind: 'split-sides', fromAt: o.from, toAt: to, sides }));
  steps.push(step({ kind: 'split-conclusion', primaries: names.length, writers: sides.filter((s) => s.commits > 0).map((s) => s.node) }));
  if (to !== null) {
    const gone = names.filter((n) => !next?.nodes.some((x) => x.name === n && x.run === 'running' && x.role === 'primary'));
    steps.push(ending(to, gone.length > 0 ? { kind: 'fates', fates: gone.map((n) => fate(history, next?.nodes.find((x) => x.name === n), n, to)) } : { kind: 'one-primary-left' }));
  } else steps.push(ending(null, { kind: 'one-primary-left' }));
  return { kind: 'split-brain', cluster, node: newer, from: o.from, to, cause: steps, sides };
}

function noPrimary(history: History, plan: ClusterPlan, o: Open, to: Micros | null, until: Micros, next: ClusterStateSample | null): Verdict {
  const cluster = plan.cluster;
  const steps: CauseStep[] = [];
  const last = o.before?.nodes.filter((n) => n.run === 'running' && n.role === 'primary') ?? [];
  for (const p of last) {
    const now = o.first.nodes.find((n) => n.name === p.name);
    steps.push({ fact: { kind: 'primary-gone', at: o.from, fate: fate(history, now, p.name, o.from) }, log: nodeEvents(history, p.name, o.from, ['lifecycle', 'failover', 'setting']).flatMap((e) => e.log).slice(0, 4) });
  }
  if (last.length === 0) steps.push(step({ kind: 'no-running-primary', at: o.from, cluster }));
  steps.unshift(...faultsBefore(history, cluster, o.from, Math.max(0, o.from - 600e6) as Micros));
  steps.push(...decisionsBetween(history, cluster, o.from, until));
  // A promotion asked for meanwhile that waits (replay held by a standby query in conflict, WAL still to
  // restore from the archive) is why the cluster stays without a primary after it was asked (replay.ts).
  steps.push(
    ...history.events
      .filter((e) => e.cluster === cluster && e.at >= o.from && e.at <= until && (e.fact.kind === 'promotion-waits-for-conflict' || e.fact.kind === 'promotion-waits-for-archive'))
      .map((e) => ({ fact: { kind: 'promotion-waited' as const, at: e.at, wait: e.fact }, log: e.log })),
  );
  if (to !== null) {
    const p = next?.nodes.find((n) => n.run === 'running' && n.role === 'primary');
    const promo = p ? history.promotions.find((x) => x.cluster === cluster && x.node === p.name && x.at === to) : undefined;
    const how = p ? becameHow(history, cluster, p.name, to) : null;
    steps.push(ending(to, p && how ? (promo && how.kind === 'promoted' ? { kind: 'promoted', how } : { kind: 'primary-again', node: p.name }) : { kind: 'a-primary' }));
  } else steps.push(ending(null, { kind: 'a-primary' }));
  return { kind: 'no-primary', cluster, node: null, from: o.from, to, cause: steps };
}

function standbyBroken(history: History, plan: ClusterPlan, o: Open, to: Micros | null, until: Micros, during: readonly ClusterStateSample[], next: ClusterStateSample | null): Verdict {
  const cluster = plan.cluster;
  const name = o.node!;
  const states = during.map((s) => s.nodes.find((n) => n.name === name)!).filter((n) => n !== undefined);
  const steps: CauseStep[] = [];
  const seen = new Set<string>();
  const rebuilds: Extract<VerdictStepFact, { kind: 'what-rebuilds' }>['ways'][number][] = [];
  for (let i = 0; i < states.length; i++) {
    const n = states[i]!;
    const at = during[i]!.at;
    const key = n.run === 'failed' ? `fatal|${n.fatal}` : `${n.reason}`;
    if (seen.has(key) || !(n.run === 'failed' || isBroken(n.reason))) continue;
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
      steps.push({ fact: { kind: 'standby-fails-to-start', at, node: name, message: n.fatal }, log: events.flatMap((e) => e.log) });
      rebuilds.push({ kind: 'fatal' });
    } else if (isBroken(n.reason)) {
      steps.push({
        fact: { kind: 'standby-cannot-follow', at, node: name, upstream: n.upstream, reason: n.reason, detail: rx ? rx.detail : null, repeat: rep ? { count: rep.count, lastAt: rep.last } : null },
        log: events.flatMap((e) => e.log).slice(0, 3),
      });
      rebuilds.push({ kind: 'reason', reason: n.reason, walArchive: plan.walArchive });
    }
  }
  steps.push(step({ kind: 'what-rebuilds', ways: rebuilds }));
  steps.push(...rebuildSteps(history, cluster, name, o.from, until));
  if (to !== null) {
    const n = next?.nodes.find((x) => x.name === name);
    const how: VerdictEnd = !n
      ? { kind: 'standby-left', node: name }
      : n.role === 'primary'
        ? { kind: 'standby-promoted', node: name }
        : n.run !== 'running'
          ? { kind: 'fate', fate: fate(history, n, name, to) }
          : n.follows
            ? { kind: 'follows-again', node: name, follows: n.follows }
            : { kind: 'receiver', node: name, streaming: n.receiver === 'streaming', upstream: n.upstream };
    steps.push(ending(to, how));
  } else steps.push(ending(null, { kind: 'standby-left', node: name }));
  return { kind: 'standby-broken', cluster, node: name, from: o.from, to, cause: steps };
}

/** Why a standby does not follow the primary `p` in a sample. */
function notFollowing(n: NodeState, p: string | null): NotFollowing {
  if (n.run !== 'running') return { kind: 'not-running', node: n.name, run: n.run };
  if (n.role === 'primary') return { kind: 'is-primary', node: n.name };
  if (n.follows && n.follows !== p) return { kind: 'follows-other', node: n.name, follows: n.follows, primary: p };
  if (n.reason) return { kind: 'waiting', node: n.name, reason: n.reason, upstream: n.upstream };
  if (n.receiver === 'streaming') return { kind: 'ended-timeline', node: n.name, upstream: n.upstream, primary: p };
  return { kind: 'receiver', node: n.name, receiver: n.receiver, upstream: n.upstream };
}

function belowPlan(history: History, plan: ClusterPlan, o: Open, to: Micros | null, until: Micros, during: readonly ClusterStateSample[], next: ClusterStateSample | null): Verdict {
  const cluster = plan.cluster;
  const steps: CauseStep[] = [];
  steps.push(step({ kind: 'planned-redundancy', cluster, standbys: plan.standbys, synchronous: plan.synchronous, source: plan.synchronousSource }));
  const seen = (r: ReturnType<typeof redundancy>): Redundancy => ({ following: r.following, primary: r.primary, synchronous: plan.synchronous > 0 ? r.synchronous : null });
  const first = redundancy(o.first);
  const worst = during.map(redundancy).reduce((a, b) => (b.following < a.following || (b.following === a.following && b.synchronous < a.synchronous) ? b : a), first);
  const missing = o.first.nodes.filter((n) => n.follows !== first.primary && n.name !== first.primary).map((n) => notFollowing(n, first.primary));
  steps.push(step({ kind: 'redundancy-at', at: o.from, redundancy: seen(first), missing }));
  if (worst !== first) steps.push(step({ kind: 'redundancy-worst', redundancy: seen(worst) }));
  steps.push(...rebuildSteps(history, cluster, null, o.from, until));
  if (to !== null) {
    const none = next && !next.nodes.some((n) => n.run === 'running' && n.role === 'primary');
    const r = next ? redundancy(next) : { following: 0, synchronous: 0, primary: null };
    steps.push(ending(to, none ? { kind: 'no-primary-any-more' } : { kind: 'redundancy', redundancy: seen(r) }));
  } else {
    const last = during.at(-1) ?? o.first;
    const r = redundancy(last);
    const gaps = last.nodes.filter((n) => n.follows !== r.primary && n.name !== r.primary).map((n) => notFollowing(n, r.primary));
    steps.push(step({ kind: 'redundancy-at-end', redundancy: seen(r), gaps }));
  }
  return { kind: 'redundancy-below-plan', cluster, node: null, from: o.from, to, cause: steps };
}

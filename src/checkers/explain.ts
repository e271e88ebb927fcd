/**
 * Cause chains for lost ranges, written like Elle's explanations: a short numbered list of facts taken
 * from the history, ending in the conclusion. Nothing here knows a scenario: each fact is looked up in
 * the recorded promotions, walreceiver transitions and server log lines. The steps are data
 * (history/facts/steps.ts); the report words them.
 */
import type { Micros } from '../engine/time.ts';
import { txAt, type History, type PromotionRecord, type ReceiverTransition, type SimEvent } from '../history/history.ts';
import { historyOf, type Timeline } from '../models/postgres/timeline.ts';
import type { LostRange, Survivor } from './dataLoss.ts';
import { factKey, type Fact } from '../history/facts/index.ts';
import type { TimelineChain } from '../history/facts/steps.ts';
import type { Lsn } from '../models/postgres/lsn.ts';

/** One step of a cause chain: a fact, and the server log lines behind it as a real server would have printed them. */
export interface FactStep {
  readonly fact: Fact;
  readonly log: readonly string[];
}

/** Every checker's cause-chain step is a fact (history/facts/steps.ts, verdicts.ts, chains.ts): the report words it. */
export type CauseStep = FactStep;

/** A timeline's history, newest first (pg_controldata's chain). */
export function timelineChain(tl: Timeline): TimelineChain {
  return historyOf(tl).map((e) => ({ timeline: e.timeline.tli, endLsn: e.end }));
}

/** The child of `parent` on `tl`'s path (the timeline that branched from `parent` towards `tl`). */
function childOn(tl: Timeline, parent: Timeline): Timeline | null {
  for (let t: Timeline | null = tl; t; t = t.parent) if (t.parent === parent) return t;
  return null;
}

function promotionOf(history: History, tl: Timeline): PromotionRecord | undefined {
  return history.promotions.find((p) => p.timeline === tl);
}

/**
 * Why a node stopped receiving before `at`: the first wait after it last streamed (the root), and the
 * different reasons it waited for afterwards.
 */
function stoppedReceiving(history: History, node: string, at: Micros): { root: ReceiverTransition; later: ReceiverTransition[] } | null {
  const mine = history.receiverTransitions.filter((r) => r.node === node && r.at <= at && r.detail.kind !== 'receiver-promoted');
  const lastStreaming = mine.findLastIndex((r) => r.status === 'streaming');
  const after = mine.slice(lastStreaming + 1).filter((r) => r.status !== 'streaming');
  const root = after[0];
  if (!root) return null;
  const rootKey = factKey(root.detail);
  const later = after.slice(1).filter((r, i, xs) => xs.findIndex((x) => x.reason === r.reason && x.status === r.status) === i && factKey(r.detail) !== rootKey);
  return { root, later };
}

/** The stream-falls-behind event of `node` still in force at `at` (no stream-caught-up since), if any. */
function fallingBehind(history: History, node: string, at: Micros): SimEvent | null {
  let last: SimEvent | null = null;
  for (const e of history.events) {
    if (e.at > at) break;
    if (e.node !== node) continue;
    if (e.fact.kind === 'stream-falls-behind') last ??= e;
    else if (e.fact.kind === 'stream-caught-up') last = null;
  }
  return last;
}

function eventsOf(history: History, node: string, at: Micros): SimEvent[] {
  return history.events.filter((e) => e.node === node && e.at === at && e.log.length > 0);
}

function repeatOf(events: readonly SimEvent[]): { count: number; lastAt: Micros } | null {
  const r = events.find((e) => e.repeat)?.repeat;
  return r ? { count: r.count, lastAt: r.last } : null;
}

/**
 * Lost commits whose wait for the synchronous standbys an operator ended (writes.ts endWaits): they were on the
 * primary only, which is how synchronous replication could lose them.
 */
function releasedSteps(loss: LostRange, history: History): FactStep[] {
  const term = loss.term;
  const end = loss.cutoff + loss.walBytes;
  const out: FactStep[] = [];
  for (const r of term.released ?? []) {
    const from = Math.max(r.from, loss.cutoff);
    const to = Math.min(r.to, end);
    if (to <= from) continue;
    const k = Math.floor(txAt(term, to) + 1e-9) - Math.floor(txAt(term, from) + 1e-9);
    if (k <= 0) continue;
    out.push({
      fact: { kind: 'loss-released', commits: k, node: term.node, at: r.at, how: r.how },
      log: eventsOf(history, term.node, r.at).filter((e) => e.kind === 'writes').flatMap((e) => e.log),
    });
  }
  return out;
}

/** The clean shutdown whose walsender still sent WAL to `node` when it was promoted at `at`, if any. */
function cutShortDrain(history: History, node: string, at: Micros): Extract<Fact, { kind: 'promoted-during-shutdown' }> | null {
  for (const e of history.events) {
    if (e.at !== at || e.fact.kind !== 'shutdown-complete') continue;
    const d = e.fact.drains.find((x) => x.node === node && x.left > 0);
    if (d) return { kind: 'promoted-during-shutdown', node, upstream: e.fact.node, stoppedAt: (at - e.fact.after) as Micros, at, left: d.left };
  }
  return null;
}

export function explainLoss(loss: LostRange, survivor: Survivor | null, history: History): FactStep[] {
  const steps: FactStep[] = [];
  const tl = loss.timeline;
  steps.push({
    fact: { kind: 'loss-acknowledged', commits: loss.commits, node: loss.term.node, timeline: tl.tli, fromAt: loss.fromAt, toAt: loss.toAt, fromLsn: loss.fromLsn, toLsn: loss.toLsn, walBytes: Math.round(loss.walBytes) },
    log: [],
  });
  steps.push(...releasedSteps(loss, history));
  if (!survivor) {
    // No node took over, and none keeps this WAL (findDataLoss): the data directories that held it were destroyed.
    for (const e of history.events) {
      if (e.fact.kind === 'data-directory-destroyed' && e.at >= loss.fromAt) steps.push({ fact: e.fact, log: e.log });
    }
    return steps;
  }
  const sTl = survivor.wal.timeline;
  const holds = (rewrittenAfterLsn: Lsn | null): FactStep => ({ fact: { kind: 'survivor-holds', node: survivor.wal.node, why: survivor.why, timelines: timelineChain(sTl), rewrittenAfterLsn }, log: [] });
  const cut = loss.cause !== null ? loss.term.truncated : undefined;
  if (cut) {
    // Not a branch: the node's own crash took WAL it had acknowledged but not yet flushed.
    steps.push({
      fact: { kind: 'loss-crash-cut', at: cut.at, lsn: cut.lsn, cause: cut.cause },
      log: eventsOf(history, loss.term.node, cut.at).filter((e) => e.kind === 'lifecycle' || e.kind === 'fault').flatMap((e) => e.log),
    });
    steps.push(holds(cut.lsn));
    steps.push({ fact: { kind: 'loss-conclusion', commits: loss.commits, where: { kind: 'unflushed' } }, log: [] });
    return steps;
  }
  const fork = loss.fork;
  if (!fork) {
    steps.push({ fact: { kind: 'no-shared-history', timeline: tl.tli, survivorTimeline: sTl.tli }, log: [] });
  } else {
    const lossSide = childOn(tl, fork.common);
    const survivorSide = childOn(sTl, fork.common);
    const promoted = (p: PromotionRecord, branch: Timeline, lacked: Extract<Fact, { kind: 'promoted-branch' }>['lacked']): FactStep => ({
      fact: { kind: 'promoted-branch', node: p.node, at: p.at, by: p.by, timeline: branch.tli, parentTimeline: fork.common.tli, switchLsn: p.switchpoint, lacked },
      log: eventsOf(history, p.node, p.at).filter((e) => e.kind === 'promote').flatMap((e) => e.log),
    });
    if (lossSide) {
      const p = promotionOf(history, lossSide);
      if (p) steps.push(promoted(p, lossSide, null));
    }
    const p = survivorSide ? promotionOf(history, survivorSide) : undefined;
    if (p) {
      const stop = stoppedReceiving(history, p.node, p.at);
      const behind = fallingBehind(history, p.node, stop ? stop.root.at : p.at);
      if (behind) steps.push({ fact: { kind: 'was-falling-behind', node: p.node, since: behind.at, behind: behind.fact }, log: [] });
      if (stop) {
        const rx = stop.root;
        const evs = eventsOf(history, p.node, rx.at);
        steps.push({
          fact: { kind: 'stopped-receiving', node: p.node, at: rx.at, lsn: rx.lsn, timeline: rx.tli, detail: rx.detail, repeat: repeatOf(evs), later: stop.later.map((l) => ({ at: l.at, detail: l.detail })) },
          log: evs.flatMap((e) => e.log),
        });
      } else if (lossSide) {
        steps.push({ fact: { kind: 'received-up-to', node: p.node, lsn: p.switchpoint, timeline: fork.common.tli }, log: [] });
      }
      const drain = cutShortDrain(history, p.node, p.at);
      if (drain) steps.push({ fact: drain, log: [] });
      steps.push(promoted(p, survivorSide!, lossSide ? { kind: 'timeline', timeline: lossSide.tli } : { kind: 'wal', timeline: tl.tli, lsn: fork.at, term: loss.term.node, ackedLsn: loss.toLsn }));
    }
  }
  steps.push(holds(null));
  const onHistory = historyOf(sTl).some((e) => e.timeline === tl);
  steps.push({ fact: { kind: 'loss-conclusion', commits: loss.commits, where: onHistory ? { kind: 'after', lsn: loss.cutoff, timeline: tl.tli } : { kind: 'off-history', timeline: tl.tli } }, log: [] });
  return steps;
}

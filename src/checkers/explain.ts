/**
 * Cause chains for lost ranges, written like Elle's explanations: a short numbered list of facts taken
 * from the history, ending in the conclusion. Nothing here knows a scenario: each fact is looked up in
 * the recorded promotions, walreceiver transitions and server log lines.
 */
import type { Micros } from '../engine/time.ts';
import { txAt, type History, type PromotionRecord, type ReceiverTransition, type SimEvent } from '../history/history.ts';
import { formatLsn } from '../models/postgres/lsn.ts';
import { describeHistory, historyOf, type Timeline } from '../models/postgres/timeline.ts';
import type { LostRange, Survivor } from './dataLoss.ts';
import { count, size } from '../report/format.ts';
import { factKey } from '../history/facts/index.ts';
import { factText } from '../report/facts/index.ts';

export interface CauseStep {
  readonly text: string;
  /** Server log lines behind this fact, as a real server would have printed them. */
  readonly log: readonly string[];
}

type Fmt = (t: Micros) => string;

/** The child of `parent` on `tl`'s path (the timeline that branched from `parent` towards `tl`). */
function childOn(tl: Timeline, parent: Timeline): Timeline | null {
  for (let t: Timeline | null = tl; t; t = t.parent) if (t.parent === parent) return t;
  return null;
}

function promotionOf(history: History, tl: Timeline): PromotionRecord | undefined {
  return history.promotions.find((p) => p.timeline === tl);
}

function byText(p: PromotionRecord): string {
  return p.by.kind === 'plan' ? 'by the plan' : `by the failover manager (policy ${p.by.policy}: ${p.by.why})`;
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

function eventsOf(history: History, node: string, at: Micros): SimEvent[] {
  return history.events.filter((e) => e.node === node && e.at === at && e.log.length > 0);
}

function repeatText(events: readonly SimEvent[], fmt: Fmt): string {
  const r = events.find((e) => e.repeat)?.repeat;
  return r ? `; it logged this ${r.count} times, the last at ${fmt(r.last)}` : '';
}

/**
 * Lost commits whose wait for the synchronous standbys an operator ended (writes.ts endWaits): they were on the
 * primary only, which is how synchronous replication could lose them.
 */
function releasedSteps(loss: LostRange, history: History, fmt: Fmt): CauseStep[] {
  const term = loss.term;
  const end = loss.cutoff + loss.walBytes;
  const out: CauseStep[] = [];
  for (const r of term.released ?? []) {
    const from = Math.max(r.from, loss.cutoff);
    const to = Math.min(r.to, end);
    if (to <= from) continue;
    const k = Math.floor(txAt(term, to) + 1e-9) - Math.floor(txAt(term, from) + 1e-9);
    if (k <= 0) continue;
    const what =
      r.how === 'cancel'
        ? 'their waits were cancelled and their clients answered COMMIT with a WARNING'
        : 'their backends were terminated and their clients lost the connection without an answer (the commits count here: they were visible to every other session)';
    out.push({
      text: `${count(k)} of them were waiting on ${term.node} for the synchronous standbys' confirmation at ${fmt(r.at)}, when ${what}: committed and flushed on ${term.node} only, never confirmed by a synchronous standby.`,
      log: eventsOf(history, term.node, r.at).filter((e) => e.kind === 'writes').flatMap((e) => e.log),
    });
  }
  return out;
}

export function explainLoss(loss: LostRange, survivor: Survivor | null, history: History, fmt: Fmt): CauseStep[] {
  const steps: CauseStep[] = [];
  const tl = loss.timeline;
  steps.push({
    text: `${count(loss.commits)} commits were acknowledged to clients by ${loss.term.node} on timeline ${tl.tli} between ${fmt(loss.fromAt)} and ${fmt(loss.toAt)} (LSN ${formatLsn(loss.fromLsn)} to ${formatLsn(loss.toLsn)}, ${size(loss.walBytes)} of WAL).`,
    log: [],
  });
  steps.push(...releasedSteps(loss, history, fmt));
  if (!survivor) return steps;
  const sTl = survivor.wal.timeline;
  const cut = loss.cause !== null ? loss.term.truncated : undefined;
  if (cut) {
    // Not a branch: the node's own crash took WAL it had acknowledged but not yet flushed.
    steps.push({
      text: `At ${fmt(cut.at)}, with its WAL flushed only up to ${formatLsn(cut.lsn)}, ${factText(cut.cause)}.`,
      log: eventsOf(history, loss.term.node, cut.at).filter((e) => e.kind === 'lifecycle' || e.kind === 'fault').flatMap((e) => e.log),
    });
    steps.push({ text: `${survivor.wal.node} holds the surviving history (${survivor.why}): timelines ${describeHistory(sTl)}; its WAL after ${formatLsn(cut.lsn)} was written again after the crash.`, log: [] });
    steps.push({ text: `Therefore the ${count(loss.commits)} commits acknowledged before the WAL writer flushed them are lost.`, log: [] });
    return steps;
  }
  const fork = loss.fork;
  if (!fork) {
    steps.push({ text: `Timeline ${tl.tli} and the survivor's timeline ${sTl.tli} share no history.`, log: [] });
  } else {
    const lossSide = childOn(tl, fork.common);
    const survivorSide = childOn(sTl, fork.common);
    if (lossSide) {
      const p = promotionOf(history, lossSide);
      if (p) {
        steps.push({
          text: `${p.node} was promoted at ${fmt(p.at)} ${byText(p)}: timeline ${lossSide.tli} branched from timeline ${fork.common.tli} at ${formatLsn(p.switchpoint)}.`,
          log: eventsOf(history, p.node, p.at).filter((e) => e.kind === 'promote').flatMap((e) => e.log),
        });
      }
    }
    const p = survivorSide ? promotionOf(history, survivorSide) : undefined;
    if (p) {
      const stop = stoppedReceiving(history, p.node, p.at);
      if (stop) {
        const rx = stop.root;
        const evs = eventsOf(history, p.node, rx.at);
        const later = stop.later.map((l) => `at ${fmt(l.at)}: ${factText(l.detail)}`).join('; ');
        steps.push({
          text: `${p.node} stopped receiving WAL at ${fmt(rx.at)}, at ${formatLsn(rx.lsn)} on timeline ${rx.tli}: ${factText(rx.detail)}${repeatText(evs, fmt)}.${later ? ` Later it still could not stream, ${later}.` : ''}`,
          log: evs.flatMap((e) => e.log),
        });
      } else if (lossSide) {
        steps.push({ text: `${p.node} had received WAL only up to ${formatLsn(p.switchpoint)} on timeline ${fork.common.tli} when it was promoted.`, log: [] });
      }
      const had = lossSide ? `without the WAL of timeline ${lossSide.tli}` : `with WAL of timeline ${tl.tli} only up to ${formatLsn(fork.at)}; ${loss.term.node} had acknowledged commits up to ${formatLsn(loss.toLsn)} that had not reached it`;
      steps.push({
        text: `${p.node} was promoted at ${fmt(p.at)} ${byText(p)}: timeline ${survivorSide!.tli} branched from timeline ${fork.common.tli} at ${formatLsn(p.switchpoint)}, ${had}.`,
        log: eventsOf(history, p.node, p.at).filter((e) => e.kind === 'promote').flatMap((e) => e.log),
      });
    }
  }
  steps.push({ text: `${survivor.wal.node} holds the surviving history (${survivor.why}): timelines ${describeHistory(sTl)}.`, log: [] });
  const where = historyOf(sTl).some((e) => e.timeline === tl)
    ? `after ${formatLsn(loss.cutoff)}, where the surviving history leaves timeline ${tl.tli},`
    : `on timeline ${tl.tli}, which is not on the surviving history,`;
  steps.push({ text: `Therefore the ${count(loss.commits)} commits acknowledged ${where} are lost.`, log: [] });
  return steps;
}

/**
 * The event log for people: a node that says the same few things in turn (a walreceiver that retries every
 * 5 s and fails two ways alternately) is shown once per message, with how often and until when, instead of
 * thousands of lines. The history already folds a message repeated alone (`repeated`); this folds cycles of
 * two to four messages. The JSON report keeps every event.
 */
import type { EventJson } from './types.ts';
import { canonical } from '../history/facts/index.ts';

export interface CycleItem {
  readonly kind: 'cycle';
  /** The messages of one turn, in order (their first occurrences). */
  readonly pattern: readonly EventJson[];
  /** How many times the whole turn occurred. */
  readonly turns: number;
  /** Events folded (each counted with its own repeats). */
  readonly events: number;
  readonly first: string;
  readonly last: string;
  /** Seconds between the starts of successive turns (mean), and whether they were all about equal. */
  readonly period: number;
  readonly regular: boolean;
}

export type LogItem = { readonly kind: 'event'; readonly event: EventJson } | CycleItem;

const MAX_PERIOD = 4;
/** A cycle is folded only when it occurs at least this many times (fewer lines than it saves). */
const MIN_TURNS = 3;

/**
 * Countdowns in log lines that change at every occurrence of an otherwise identical message: the wraparound
 * WARNING a vacuum repeats after recomputing the limits (varsup.c SetTransactionIdLimit, once per vacuum past the
 * vacuum limit) counts the transactions left. A cycle folds them; its pattern shows the first turn's count, as a
 * WARNING repeated alone shows its first.
 */
const COUNTDOWN = /must be vacuumed within \d+ transactions/g;

const signature = (e: EventJson): string => `${e.kind}\u0000${canonical(e.fact)}\u0000${e.log.join('\n').replace(COUNTDOWN, 'must be vacuumed within N transactions')}`;

/** Events in time order, with every cycle of 2 to 4 messages of one node (or cluster) folded into one item. */
export function collapseCycles(events: readonly EventJson[], micros: (iso: string) => number): LogItem[] {
  const byKey = new Map<string, number[]>();
  events.forEach((e, i) => {
    const key = e.node ?? `cluster:${e.cluster ?? ''}`;
    const list = byKey.get(key);
    if (list) list.push(i);
    else byKey.set(key, [i]);
  });
  const sig = events.map(signature);
  /** Index of the first event of a cycle -> the cycle; indices folded into a cycle. */
  const cycles = new Map<number, CycleItem>();
  const folded = new Set<number>();
  for (const seq of byKey.values()) {
    let i = 0;
    while (i < seq.length) {
      const found = cycleAt(seq, i, sig);
      if (!found) {
        i++;
        continue;
      }
      const { k, turns } = found;
      const idx = seq.slice(i, i + k * turns);
      const starts = Array.from({ length: turns }, (_, r) => micros(events[seq[i + r * k]!]!.at));
      const gaps = starts.slice(1).map((t, r) => t - starts[r]!);
      const mean = gaps.reduce((a, g) => a + g, 0) / gaps.length;
      const lastOf = (e: EventJson) => e.repeated?.last ?? e.at;
      const last = idx.map((j) => events[j]!).reduce((a, e) => (micros(lastOf(e)) > micros(a) ? lastOf(e) : a), events[idx[0]!]!.at);
      cycles.set(idx[0]!, {
        kind: 'cycle',
        pattern: idx.slice(0, k).map((j) => events[j]!),
        turns,
        events: idx.reduce((a, j) => a + (events[j]!.repeated?.count ?? 1), 0),
        first: events[idx[0]!]!.at,
        last,
        period: mean / 1e6,
        regular: gaps.every((g) => Math.abs(g - mean) <= Math.max(0.01 * mean, 1000)),
      });
      for (const j of idx.slice(1)) folded.add(j);
      i += k * turns;
    }
  }
  const out: LogItem[] = [];
  events.forEach((event, i) => {
    if (folded.has(i)) return;
    out.push(cycles.get(i) ?? { kind: 'event', event });
  });
  return out;
}

/** The shortest period k (2..4) with which `seq` repeats from i at least MIN_TURNS times, and how often. */
function cycleAt(seq: readonly number[], i: number, sig: readonly string[]): { k: number; turns: number } | null {
  for (let k = 2; k <= MAX_PERIOD; k++) {
    if (i + k * MIN_TURNS > seq.length) return null;
    const head = seq.slice(i, i + k).map((j) => sig[j]!);
    // A turn of one message said k times is not a cycle of k (the history folds those).
    if (new Set(head).size < 2) continue;
    let j = i + k;
    while (j < seq.length && sig[seq[j]!] === sig[seq[j - k]!]) j++;
    const turns = Math.floor((j - i) / k);
    if (turns >= MIN_TURNS) return { k, turns };
  }
  return null;
}

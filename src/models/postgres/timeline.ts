import { invariant } from '../../engine/invariant.ts';
import type { Micros } from '../../engine/time.ts';
import { formatLsn, type Lsn } from './lsn.ts';

/**
 * One timeline: a branch of WAL history. Identity matters, not only the number: two nodes promoted from the
 * same parent without seeing each other's history files can both pick the same TLI (timeline.c
 * findNewestTimeLine: "This isn't bullet-proof"), so two Timeline objects may share a `tli`.
 */
export interface Timeline {
  /** Unique within a run; orders creation. */
  readonly uid: number;
  readonly tli: number;
  readonly parent: Timeline | null;
  /** Switchpoint: the LSN where this timeline begins (end of the last record replayed on the parent). */
  readonly begin: Lsn;
  /** History-file reason, e.g. "no recovery target specified" (xlogrecovery.c getRecoveryStopReason). */
  readonly reason: string;
  readonly createdBy: string | null;
  readonly createdAt: Micros;
}

/** One line of a parsed history (timeline.c TimeLineHistoryEntry): `tli` covers [begin, end); end null = tip. */
export interface HistoryEntry {
  readonly timeline: Timeline;
  readonly begin: Lsn;
  readonly end: Lsn | null;
}

/** The timeline and its ancestors, newest first, with the range each covers in this history. */
export function historyOf(tl: Timeline): HistoryEntry[] {
  const out: HistoryEntry[] = [{ timeline: tl, begin: tl.begin, end: null }];
  let child = tl;
  for (let p = tl.parent; p; p = p.parent) {
    out.push({ timeline: p, begin: p.begin, end: child.begin });
    child = p;
  }
  return out;
}

/** Whether `ancestor` is `tl` or one of its parents (by identity). */
export function isAncestorOrSelf(ancestor: Timeline, tl: Timeline): boolean {
  for (let t: Timeline | null = tl; t; t = t.parent) if (t === ancestor) return true;
  return false;
}

/** timeline.c tliSwitchPoint: where the history of `tl` leaves the timeline numbered `tli` (null: it is the tip). */
export function switchPointOf(tl: Timeline, tli: number): { found: boolean; end: Lsn | null } {
  for (const e of historyOf(tl)) if (e.timeline.tli === tli) return { found: true, end: e.end };
  return { found: false, end: null };
}

/** Where the history of `tl` leaves the timeline object `t` (by identity); null if `t` is the tip or absent. */
export function endOf(tl: Timeline, t: Timeline): Lsn | null {
  for (const e of historyOf(tl)) if (e.timeline === t) return e.end;
  return null;
}

/** timeline.c tliOfPointInHistory: the timeline (of `tl`'s history) that holds position `lsn`. */
export function timelineAt(tl: Timeline, lsn: Lsn): Timeline {
  for (const e of historyOf(tl)) if (lsn >= e.begin && (e.end === null || lsn < e.end)) return e.timeline;
  // Positions before the root's begin belong to the root (the scenario starts mid-history).
  let root = tl;
  while (root.parent) root = root.parent;
  return root;
}

/** Lowest common ancestor of two timelines and the LSN where their histories diverge. */
export function forkOf(a: Timeline, b: Timeline): { common: Timeline; at: Lsn } | null {
  const inA = new Set<Timeline>();
  for (let t: Timeline | null = a; t; t = t.parent) inA.add(t);
  for (let t: Timeline | null = b; t; t = t.parent) {
    if (inA.has(t)) {
      const ea = endOf(a, t);
      const eb = endOf(b, t);
      const at = Math.min(ea ?? Number.POSITIVE_INFINITY, eb ?? Number.POSITIVE_INFINITY);
      return { common: t, at };
    }
  }
  return null;
}

/** The history file's text as PostgreSQL writes it (timeline.c writeTimeLineHistory, 9.3+ format). */
export function historyFileText(tl: Timeline): string {
  return historyOf(tl)
    .slice(1)
    .reverse()
    .map((e) => `${e.timeline.tli}\t${formatLsn(e.end ?? 0)}\t${childOf(tl, e.timeline)?.reason ?? ''}`)
    .join('\n');
}

function childOf(tl: Timeline, parent: Timeline): Timeline | null {
  for (let t: Timeline | null = tl; t; t = t.parent) if (t.parent === parent) return t;
  return null;
}

export function describeHistory(tl: Timeline): string {
  return historyOf(tl)
    .reverse()
    .map((e) => (e.end === null ? `${e.timeline.tli}` : `${e.timeline.tli} (until ${formatLsn(e.end)})`))
    .join(' → ');
}

/** Mints timelines with run-unique identities. */
export class TimelineRegistry {
  private next = 1;
  readonly all: Timeline[] = [];

  create(tli: number, parent: Timeline | null, begin: Lsn, reason: string, createdBy: string | null, createdAt: Micros): Timeline {
    // Invariants (a violation stops the run with the event, the seed and every node's state): timeline IDs
    // increase along a history, and a child begins within its parent's WAL, at or after where the parent began.
    invariant(!parent || tli > parent.tli, () => `timeline ${tli} must be newer than its parent ${parent!.tli}`);
    invariant(!parent || begin >= parent.begin, () => `timeline ${tli} begins at ${formatLsn(begin)}, before its parent ${parent!.tli} at ${formatLsn(parent!.begin)}`);
    const tl: Timeline = { uid: this.next++, tli, parent, begin, reason, createdBy, createdAt };
    this.all.push(tl);
    return tl;
  }
}

/**
 * Data loss: every acknowledged commit checked against the surviving history (the timeline history of the
 * node that is primary at the end). A commit on timeline t at LSN l survives iff t is on the survivor's
 * history and l is at or before the point where the survivor left t (and within the survivor's WAL).
 * Reads only the History and a view of each node's WAL at the time of the check.
 */
import type { SurvivorWhy } from '../history/facts/steps.ts';
import type { Micros } from '../engine/time.ts';
import { txAt, type History, type WriteTerm } from '../history/history.ts';
import { formatLsn, type Lsn } from '../models/postgres/lsn.ts';
import { endOf, forkOf, isAncestorOrSelf, type Timeline } from '../models/postgres/timeline.ts';
import type { Fact } from '../history/facts/index.ts';

/** What a node holds at the time of the check: the prefix of `timeline`'s history up to `end`. */
export interface WalView {
  readonly node: string;
  readonly timeline: Timeline;
  readonly end: Lsn;
  /** Whether the node's disk still exists (a lost node's WAL cannot be read for PITR). */
  readonly diskAvailable: boolean;
}

export interface Survivor {
  readonly wal: WalView;
  /** Why its history survives (rendered by report/facts/templates/steps.ts survivorWhy). */
  readonly why: SurvivorWhy;
}

export interface LostRange {
  readonly cluster: string;
  readonly term: WriteTerm;
  readonly timeline: Timeline;
  /** First and last lost commit: their LSNs and when they were acknowledged. */
  readonly fromLsn: Lsn;
  readonly toLsn: Lsn;
  readonly fromAt: Micros;
  readonly toAt: Micros;
  readonly commits: number;
  readonly walBytes: number;
  /** Where the survivor's history leaves the lost range's timeline (or where the branches fork). */
  readonly cutoff: Lsn;
  readonly fork: { readonly common: Timeline; readonly at: Lsn } | null;
  readonly recoverableByPitr: boolean;
  readonly pitrReason: string;
  /** Why the commits are lost when it is not the survivor's history: a crash lost unflushed WAL (null otherwise). */
  readonly cause: Fact | null;
}

/** LSN where commit number k ends. */
export function lsnOfTx(term: WriteTerm, k: number): Lsn {
  let seg = term.commitMap[0]!;
  for (const m of term.commitMap) {
    if (m.tx <= k) seg = m;
    else break;
  }
  return seg.lsn + (k - seg.tx) * seg.walPerTx;
}

/** When the commit at `lsn` was acknowledged (interpolated on the ack curve). */
export function ackTimeOf(term: WriteTerm, lsn: Lsn): Micros {
  const c = term.ackCurve;
  for (let i = 1; i < c.length; i++) {
    const a = c[i - 1]!;
    const b = c[i]!;
    if (lsn <= b.lsn) {
      if (b.lsn === a.lsn) return b.at;
      return Math.round(a.at + ((lsn - a.lsn) / (b.lsn - a.lsn)) * (b.at - a.at)) as Micros;
    }
  }
  return c.at(-1)!.at;
}

export function ackedEnd(term: WriteTerm): Lsn {
  return term.ackCurve.at(-1)!.lsn;
}

/** Acknowledged commits of a term (whole commits whose end is acknowledged). */
export function ackedCommits(term: WriteTerm): number {
  return Math.floor(txAt(term, ackedEnd(term)) + 1e-9);
}

/** The surviving part of a term: the LSN up to which the survivor's history holds its WAL. */
export function cutoffFor(term: WriteTerm, survivor: WalView | null): Lsn {
  // WAL a crash lost before it was flushed is gone whatever history survives, even where the restarted node
  // wrote the same LSNs again (those are other transactions, of a later term).
  const lost = term.truncated?.lsn ?? Number.POSITIVE_INFINITY;
  if (!survivor) return lost; // nobody took over: nothing was overwritten
  if (!isAncestorOrSelf(term.timeline, survivor.timeline)) return term.startLsn;
  return Math.min(endOf(survivor.timeline, term.timeline) ?? Number.POSITIVE_INFINITY, survivor.end, lost);
}

export function survivingCommits(term: WriteTerm, survivor: WalView | null): number {
  const end = Math.min(ackedEnd(term), cutoffFor(term, survivor));
  return Math.floor(txAt(term, Math.max(term.startLsn, end)) + 1e-9);
}

/**
 * Acknowledged commits of `t` that survive but are not on the history of `lost`: all of them when `t`'s timeline
 * is not an ancestor of `lost`, else those past where `lost`'s history leaves it (the parent continued after
 * the fork). PITR along `lost` (rule 12) would not replay them.
 */
function survivingOffHistory(t: WriteTerm, survivor: WalView, lost: Timeline): number {
  const surviving = survivingCommits(t, survivor);
  if (surviving <= 0 || !isAncestorOrSelf(t.timeline, lost)) return surviving;
  const leaves = endOf(lost, t.timeline);
  if (leaves === null) return 0;
  return Math.max(0, surviving - Math.floor(txAt(t, Math.max(t.startLsn, leaves)) + 1e-9));
}

/**
 * `walArchive`: WAL is assumed archived (the scenario's `wal_archive`, when it models no archiving);
 * `archived`: what the modelled archive holds, as views of WAL (its ranges along their timelines).
 */
export function findDataLoss(history: History, cluster: string, survivor: Survivor | null, nodes: readonly WalView[], walArchive: boolean, archived: readonly WalView[] = []): LostRange[] {
  const out: LostRange[] = [];
  const terms = history.terms.filter((t) => t.cluster === cluster);
  for (const term of terms) {
    const acked = ackedEnd(term);
    // No running primary: the commits are unavailable but not lost where a node's data directory still holds
    // their WAL (a crashed or stopped node restarts with it); where none does (every copy destroyed), they are lost.
    const cutoff = survivor ? cutoffFor(term, survivor.wal) : Math.max(term.startLsn, ...nodes.filter((n) => n.diskAvailable).map((n) => cutoffFor(term, n)));
    const lostFrom = Math.max(cutoff, term.startLsn);
    if (acked <= lostFrom) continue;
    const before = Math.floor(txAt(term, lostFrom) + 1e-9);
    const after = Math.floor(txAt(term, acked) + 1e-9);
    const commits = after - before;
    if (commits <= 0) continue; // a partial transaction's WAL is not an acknowledged commit
    const fromLsn = lsnOfTx(term, before + 1);
    const toLsn = lsnOfTx(term, after);
    const fork = survivor ? forkOf(term.timeline, survivor.wal.timeline) : null;
    const unflushed = term.truncated !== undefined && lostFrom >= term.truncated.lsn;
    const pitr = unflushed
      ? { ok: false, reason: `the WAL of these commits was never flushed to disk, so it is neither archived nor on any node` }
      : pitrVerdict(term, lostFrom, survivor, terms, nodes, walArchive, fork, archived);
    out.push({
      cluster,
      term,
      timeline: term.timeline,
      fromLsn,
      toLsn,
      fromAt: ackTimeOf(term, fromLsn),
      toAt: ackTimeOf(term, toLsn),
      commits,
      walBytes: acked - lostFrom,
      cutoff: lostFrom,
      fork,
      recoverableByPitr: pitr.ok,
      pitrReason: pitr.reason,
      cause: unflushed ? term.truncated!.cause : null,
    });
  }
  return out;
}

/**
 * PITR from an earlier base backup follows exactly one timeline branch (postgres.md §2, rule 12): it can
 * bring the lost WAL back only if that WAL still exists (archive or a node's disk) and the survivor's
 * branch has no acknowledged commits after the fork, which recovering the other branch would lose.
 */
function pitrVerdict(
  term: WriteTerm,
  lostFrom: Lsn,
  survivor: Survivor | null,
  terms: readonly WriteTerm[],
  nodes: readonly WalView[],
  walArchive: boolean,
  fork: { common: Timeline; at: Lsn } | null,
  archived: readonly WalView[] = [],
): { ok: boolean; reason: string } {
  const holds = (n: WalView) => isAncestorOrSelf(term.timeline, n.timeline) && Math.min(endOf(n.timeline, term.timeline) ?? Infinity, n.end) > lostFrom;
  const holders = nodes.filter((n) => n.diskAvailable && holds(n));
  // The modelled archive holds the lost WAL when one of its ranges covers it (archived before it was lost).
  const inArchive = archived.filter(holds);
  const walExists = walArchive || inArchive.length > 0 || holders.length > 0;
  if (!walExists) return { ok: false, reason: `the WAL of timeline ${term.timeline.tli}${fork ? ' after the fork' : ''} is neither archived nor on any node's disk` };
  // The survivor's branch may be any other branch of the fork, or the common parent continued past it: either
  // way its commits past the fork are not on the lost timeline's history, and one recovery replays one history.
  const sibling = survivor ? terms.filter((t) => t !== term && survivingOffHistory(t, survivor.wal, term.timeline) > 0) : [];
  if (sibling.length > 0) {
    const at = fork ? ` after the fork from timeline ${fork.common.tli}` : '';
    // Two branches can carry the same TLI when the second promotion never saw the first one's history file.
    const sameId = sibling.some((t) => t.timeline.tli === term.timeline.tli && !isAncestorOrSelf(t.timeline, term.timeline));
    const lostName = sameId ? `${term.node}'s timeline ${term.timeline.tli}` : `timeline ${term.timeline.tli}`;
    const names = [
      ...new Set(
        sibling.map((t) => {
          const leaves = isAncestorOrSelf(t.timeline, term.timeline) ? endOf(term.timeline, t.timeline) : null;
          if (leaves !== null) return `timeline ${t.timeline.tli} continued past ${formatLsn(leaves)}`;
          return sameId && t.timeline.tli === term.timeline.tli ? `${t.node}'s timeline ${t.timeline.tli} (another timeline with the same ID)` : `timeline ${t.timeline.tli}`;
        }),
      ),
    ];
    return {
      ok: false,
      reason: `PITR follows one branch${at}: it can replay ${lostName} or ${names.join(', ')}, never both, and the latter already holds acknowledged commits of its own`,
    };
  }
  const where = walArchive ? 'the WAL archive' : inArchive.length > 0 ? inArchive[0]!.node : `the disk of ${holders.map((h) => h.node).join(', ')}`;
  return { ok: true, reason: `the lost WAL is still in ${where} and the surviving branch has no commits of its own after the fork: PITR along timeline ${term.timeline.tli} brings it back` };
}

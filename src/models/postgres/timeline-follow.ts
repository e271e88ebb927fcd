/**
 * How a standby's startup process follows timelines (xlogrecovery.c rescanLatestTimeLine, timeline.c): the
 * history files it fetches from its upstream or restores from the archive, the newest timeline it finds, whether
 * it may switch to it (its replay position must not be past the fork), and the WAL a same-numbered sibling
 * timeline's walsender wrote over (docs/conformance.md, DISAGREEMENTS.md entry 3).
 */
import { invariant } from '../../engine/invariant.ts';
import type { WaitFact } from '../../history/facts/replication.ts';
import { historyFileName, restoredLine } from './archive.ts';
import type { PgCluster } from './cluster.ts';
import { formatLsn, type Lsn } from './lsn.ts';
import { pgLog, type LogLine } from './messages.ts';
import { setStreamLimit, type PgNode, type StandbyRole } from './node.ts';
import { forkOf, historyOf, timelineAt, type Timeline } from './timeline.ts';

/**
 * The walreceiver of `n` writes what `up`'s walsender sends from `startpoint` into the files named by timeline
 * number `mine.tli`, here another history (`namesake`) than n's own: from where the two part, n's pg_wal holds
 * the sibling's WAL up to what `up` has flushed (walreceiver.c XLogWalRcvWrite; [EXP] sibling-restart on 10.23,
 * 15.18 and 18.4). Approximation: up to `up`'s flush when the walreceiver connects and when n goes down, not
 * byte by byte while it streams in vain.
 */
export function writtenOver(cluster: PgCluster, n: PgNode, up: PgNode, mine: Timeline, namesake: Timeline, startpoint: Lsn): void {
  const fork = forkOf(mine, namesake)?.at ?? startpoint;
  const from = Math.max(startpoint, fork);
  const upTo = cluster.sendable(up, cluster.ctx.sim.now);
  const was = n.overwritten;
  if (was && was.tli === mine.tli) n.overwritten = { tli: mine.tli, from: Math.min(was.from, from), upTo: Math.max(was.upTo, upTo) };
  else if (upTo > from) n.overwritten = { tli: mine.tli, from, upTo };
}

/** Whether `n`'s checkpoint record lies in WAL a sibling timeline's walsender wrote over (writtenOver). */
export function checkpointOverwritten(cluster: PgCluster, n: PgNode): boolean {
  const o = n.overwritten;
  return o !== null && o.tli === n.checkpoint.tli && n.checkpoint.lsn >= o.from && n.checkpoint.lsn < o.upTo;
}

/** A node's WAL switches to the history of `tl` at `at`: legal only when both histories agree before it. */
export function adoptWalTimeline(cluster: PgCluster, n: PgNode, tl: Timeline, at: Lsn): void {
  if (n.wal.timeline === tl) return;
  const mine = timelineAt(n.wal.timeline, Math.max(0, at - 1));
  const theirs = timelineAt(tl, Math.max(0, at - 1));
  invariant(mine === theirs || at <= tl.begin, () => `${n.name}: WAL of timeline ${tl.tli} does not extend its own history at ${formatLsn(at)}`);
  n.wal.timeline = tl;
  // A cascading walsender ends the old timeline at the switchpoint once its server's replay moves to a new
  // one (walsender.c XLogSendPhysical: the send timeline became historic), so standbys further down the
  // cascade see the end of the timeline and follow too.
  cluster.historicizeOutgoing(n);
}

/**
 * walreceiver.c WalRcvFetchTimeLineHistoryFiles(first, last): every file from the streamed timeline up to
 * `last` (the upstream's TLI after IDENTIFY_SYSTEM; the next timeline when a stream ends) that is missing
 * locally, as the upstream's pg_wal has it, whether or not that timeline is on the upstream's own history (a
 * file it fetched itself from a sibling branch counts: observed on 15.18, it closes the gap
 * findNewestTimeLine would otherwise stop at).
 */
export function fetchHistoryFiles(cluster: PgCluster, n: PgNode, up: PgNode, first: number, last: number): void {
  for (let tli = Math.max(2, first); tli <= last; tli++) {
    const tl = up.historyFiles.get(tli);
    if (!tl || n.historyFiles.has(tli)) continue;
    n.historyFiles.set(tli, tl);
    cluster.log(n, 'timeline', { kind: 'history-file-fetched', upstream: up.name, timeline: tli }, [pgLog.fetchingHistory(tli)]);
    // A new file in pg_wal is a change for the retry loops: the startup process's next rescan may adopt it,
    // so the attempt after cluster one's failure does not repeat it (retry.ts).
    cluster.retries.changed();
  }
}

/**
 * timeline.c existsTimeLineHistory / readTimeLineHistory: in recovery (ArchiveRecoveryRequested) a history
 * file is first restored from the archive by restore_command (xlogarchive.c RestoreArchivedFile, which logs
 * `restored log file "0000000N.history" from archive`), the copy in pg_wal read only when the archive has
 * none. `restored` collects those lines; `keep` puts the archive's copy in pg_wal (readTimeLineHistory's
 * KeepFileRestoredFromArchive; existsTimeLineHistory's probe restores it under a temporary name).
 */
export function historyFile(cluster: PgCluster, n: PgNode, tli: number, restored: LogLine[] | null, keep: boolean): Timeline | null {
  const archive = cluster.storage.archive;
  const archived = n.role.kind === 'standby' && archive.triesArchive(n) ? archive.historyFile(tli) : null;
  if (!archived) return n.historyFiles.get(tli) ?? null;
  restored?.push(restoredLine(historyFileName(tli)));
  if (keep) n.historyFiles.set(tli, archived);
  return archived;
}

/**
 * timeline.c findNewestTimeLine: probe target+1, target+2, ... and stop at the first missing file, those in
 * the archive included in recovery with restore_command (historyFile; [EXP] 15.18, /tmp/review-a s11).
 */
export function findNewestTimeline(cluster: PgCluster, n: PgNode, from: number, restored: LogLine[] | null = null): number {
  let newest = from;
  while (historyFile(cluster, n, newest + 1, restored, false)) newest++;
  return newest;
}

/**
 * xlogrecovery.c rescanLatestTimeLine ('latest' only): adopt the newest timeline iff its history contains
 * the current target TLI and leaves it at or after the replay position (equality allowed).
 */
export function rescanLatestTimeline(cluster: PgCluster, n: PgNode, refused: LogLine[] | null = null, beforeFollow: (() => void) | null = null): boolean {
  const role = n.role as StandbyRole;
  const restored: LogLine[] = [];
  const newest = findNewestTimeline(cluster, n, role.target.tli, restored);
  if (newest === role.target.tli) return false;
  // readTimeLineHistory(newtarget) restores the file again, and keeps it, whether the timeline is then
  // followed or refused.
  const archived = cluster.storage.archive.triesArchive(n) && cluster.storage.archive.historyFile(newest) !== null;
  const candidate = historyFile(cluster, n, newest, restored, true)!;
  const now = cluster.ctx.sim.now;
  // Rule 6 compares the switchpoint with the replay position (xlogrecovery.c rescanLatestTimeLine:
  // GetXLogReplayRecPtr), which recovery_min_apply_delay can hold behind what was received.
  const replay = cluster.replayPosition(n, now);
  const entry = historyOf(candidate).find((e) => e.timeline.tli === role.target.tli);
  const refuse = (line: LogLine, why: WaitFact): false => {
    cluster.refusals.set(n.name, why);
    if (refused) refused.push(...restored, line);
    else cluster.log(n, 'diverged', why, [...restored, line]);
    return false;
  };
  if (!entry) return refuse(pgLog.notAChild(newest, n.tli), { kind: 'timeline-not-a-child', rule: 'xlogrecovery.c:rescanLatestTimeLine', node: n.name, timeline: newest, nodeTimeline: n.tli });
  if (entry.end !== null && entry.end < replay) {
    return refuse(
      pgLog.forkedBefore(newest, n.tli, replay),
      { kind: 'timeline-forked-before-replay', rule: 'xlogrecovery.c:rescanLatestTimeLine', node: n.name, timeline: newest, nodeTimeline: n.tli, switchLsn: entry.end, replayLsn: replay },
    );
  }
  beforeFollow?.();
  // restoreTimeLineHistoryFiles(oldtarget + 1, newtarget): the files between the two, into pg_wal too.
  for (let tli = role.target.tli + 1; tli < newest; tli++) historyFile(cluster, n, tli, restored, true);
  role.target = candidate;
  // The new timeline begins with its promotion's records (end of recovery, checkpoint), which the model does not
  // write: the next end of WAL the startup process meets is past them, a new position to complain about.
  n.recovery.lastComplaint = null;
  cluster.log(
    n,
    'follow',
    { kind: 'follows-timeline', rule: 'xlogrecovery.c:rescanLatestTimeLine', node: n.name, timeline: newest, currentReadAsLatest: n.settings.recoveryTargetTimelineCurrentReadAsLatest ? n.version : null, ...(archived ? { historyFromArchive: cluster.storage.archive.site } : {}) },
    [...restored, pgLog.newTargetTimeline(newest)],
  );
  if (entry.end !== null && n.walEnd(now) > entry.end) {
    // WAL received but not replayed past the switchpoint is of the old timeline: it stays in that timeline's
    // segment files, which recovery no longer reads (xlogrecovery.c XLogFileReadAnyTLI takes each segment from
    // the newest timeline of the target's history that covers it), so the node's WAL ends at the switchpoint.
    cluster.log(n, 'follow', { kind: 'unreplayed-wal-discarded', node: n.name, bytes: n.walEnd(now) - entry.end, timeline: n.tli, switchLsn: entry.end });
    n.wal.end.set(now, entry.end);
    cluster.writes.walCut(n);
    for (const s of cluster.streams.from(n)) if (s.limit === null) setStreamLimit(s, entry.end);
    cluster.requestReflow();
  }
  return true;
}

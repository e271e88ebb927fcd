/**
 * WAL archiving and restore (../shared/domain/postgres-2.md §2, rules 7 and 9).
 *
 * - The archiver (pgarch.c) of a primary with archive_mode on (of a standby too with `always`, 9.5+) copies
 *   every completed segment to the cluster's archive, oldest first, at the node's archive_throughput. Its
 *   progress is a fluid: between two reflows the WAL rate is constant, so the archived boundary is the smaller
 *   of the segments completed and what the archiver could copy since its last anchor; no event per segment.
 * - A segment not archived yet is never removed (xlogarchive.c XLogArchiveCheckDone): the checkpoint's
 *   removal stops at the archiver's boundary (`gate`), and pg_wal grows while the command fails or lags.
 * - A failing archive_command (the `archive_fails` fault, or an archive site the node cannot reach) logs
 *   `archive command failed with exit code N` three times one second apart, then the WARNING `archiving
 *   write-ahead log file "…" failed too many times, will try again later`, and tries again at the next segment
 *   or after 60 s (pgarch.c NUM_ARCHIVE_RETRIES, PGARCH_AUTOWAKE_INTERVAL); the cycles are counted on the event
 *   rather than simulated one by one.
 * - The archive (one store per cluster, at a site) holds, per timeline, the ranges its archivers copied.
 * - restore_command: the startup process takes the next segment from the archive before pg_wal and the stream
 *   (xlogrecovery.c WaitForWALToBecomeAvailable), so a standby restores whole segments at its
 *   restore_throughput as long as the archive has the next one, then streams (`restore`).
 */
import type { EventHandle } from '../../engine/simulation.ts';
import type { Micros } from '../../engine/time.ts';
import type { Endpoint } from '../network/network.ts';
import type { PgCluster } from './cluster.ts';
import { PRIORITY } from './context.ts';
import { formatLsn, segmentStart, walFileName, type Lsn } from './lsn.ts';
import type { LogLine } from './messages.ts';
import type { PgNode } from './node.ts';
import { endOf, historyOf, timelineAt, type Timeline } from './timeline.ts';
import type { StorageFact } from '../../history/facts/storage.ts';
import type { SimEvent } from '../../history/history.ts';

/** Why a segment failed to archive. */
type ArchiveFailure = Extract<StorageFact, { kind: 'archiving-fails' }>['why'];

/** Default speed of archive_command and restore_command when the scenario gives none. */
export const DEFAULT_ARCHIVE_THROUGHPUT = 100e6;
/** pgarch.c: NUM_ARCHIVE_RETRIES attempts one second apart, then a sleep of PGARCH_AUTOWAKE_INTERVAL. */
const NUM_ARCHIVE_RETRIES = 3;
const PGARCH_AUTOWAKE_INTERVAL = 60e6;
/** Segments restored per event at most (the position moves segment by segment in reality). */
const RESTORE_BATCH = 64;

/** What the archive holds of one timeline history: [from, to) as archived by one node while on `timeline`. */
interface ArchivedRange {
  readonly node: PgNode;
  readonly timeline: Timeline;
  readonly from: Lsn;
  /** Fixed once the node left this timeline or stopped archiving; else its archiver's boundary now. */
  to: Lsn | null;
  /**
   * Whether the archiver has run a successful cycle on this range: `timeline`'s `.history` file (marked `.ready`
   * at the promotion, xlog.c writeTimeLineHistory) goes with the first one (pgarch.c pgarch_readyXlog takes
   * history files first). A promotion whose archive_command fails leaves no history file in the archive.
   */
  historyArchived: boolean;
}

interface ArchiverState {
  /** How far the archiver had copied at `at` (a segment start, or within the segment being copied). */
  anchor: { at: Micros; lsn: Lsn; done: Lsn };
  /** When it started: archive_timeout's forced switches fall on a grid from here (forcedSwitch). */
  readonly started: Micros;
  /** The range of the archive this archiver is adding to. */
  range: ArchivedRange;
  /** `logged`: the failure's event, on which its later cycles are counted. */
  failing: { until: Micros; exitCode: number; since: Micros; event: EventHandle | null; logged: SimEvent | null } | null;
  /** The archive site cannot be reached: the command fails as well. */
  unreachable: boolean;
}

export class WalArchive {
  readonly site: string;
  private readonly ranges: ArchivedRange[] = [];
  private readonly archivers = new Map<PgNode, ArchiverState>();
  /** Whether afterReflow ran once (the first looks at every server). */
  private looked = false;
  /** Where a stopped archiver was (its `.done` files stay in pg_wal/archive_status). */
  private readonly stopped = new Map<PgNode, { timeline: Timeline; lsn: Lsn }>();
  /**
   * `archive_fails` faults on a server that does not archive at the time (a standby with archive_mode on, a
   * stopped server): its command fails all the same once it archives, until the fault's end.
   */
  private readonly pendingFailures = new Map<PgNode, { until: Micros; exitCode: number }>();
  private readonly endpoint: Endpoint;

  constructor(private readonly cluster: PgCluster) {
    const spec = cluster.spec;
    const first = spec.nodes.find((n) => n.role === 'primary')!;
    this.site = spec.archive?.site ?? first.site;
    this.endpoint = { name: `archive of ${cluster.name}`, site: this.site };
  }

  /** Whether any node of the cluster archives or restores: then the archive, not the assumption, decides PITR. */
  get modelled(): boolean {
    for (const n of this.cluster.nodes.values()) if (n.settings.archiveMode !== 'off' || n.settings.restoreCommand !== null) return true;
    return false;
  }

  private get now(): Micros {
    return this.cluster.ctx.sim.now;
  }

  // ------------------------------------------------------------------ archiving

  /** Whether `n` archives now: a primary with archive_mode on or always, a standby with always (9.5+). */
  private archives(n: PgNode): boolean {
    const mode = n.settings.archiveMode;
    return n.running && (mode === 'always' || (mode === 'on' && n.isPrimary));
  }

  /**
   * The WAL `n` has completed for the archiver: before the start of the segment it writes, or up to the last
   * segment switch archive_timeout forced (forcedSwitch), which completes a segment early.
   */
  private completed(n: PgNode, a: ArchiverState): Lsn {
    return Math.max(segmentStart(n.walEnd(this.now), n.settings.walSegmentSize), this.forcedSwitch(n, a));
  }

  /**
   * archive_timeout (checkpointer.c CheckArchiveTimeout): on a primary (not in recovery), when archive_timeout has
   * passed since the last segment switch and WAL was written since, the checkpointer forces a switch
   * (RequestXLogSwitch): the segment being written is completed at the insert position and goes to the archiver,
   * so a quiet primary's archive trails it by at most archive_timeout (plus the copy). Approximations: the switches
   * fall on a grid of archive_timeout from the archiver's start (a natural segment switch does not move the grid);
   * the rest of a switched segment is not skipped (the LSNs after a switch are not moved to the next segment
   * boundary), and the nearly empty segment files the switches leave are not counted in the archiver's copy time
   * (pg_wal's space counts them: storage.ts paddingRate). Returns the WAL end at the last forced switch, 0 without one.
   */
  private forcedSwitch(n: PgNode, a: ArchiverState): Lsn {
    const timeout = n.settings.archiveTimeout;
    if (timeout <= 0 || !n.isPrimary) return 0;
    const k = Math.floor((this.now - a.started) / timeout);
    if (k < 1) return 0;
    return this.cluster.walClock.lsnAt(n.wal.timeline, (a.started + k * timeout) as Micros) ?? 0;
  }

  private throughput(n: PgNode): number {
    return (n.storage.archiveThroughput ?? DEFAULT_ARCHIVE_THROUGHPUT) / 1e6;
  }

  /** Whether the archiver of `n` cannot copy now (its command fails, is not set, or the archive is unreachable). */
  private blocked(n: PgNode, a: ArchiverState): boolean {
    return a.failing !== null || a.unreachable || n.settings.archiveCommand === null;
  }

  /**
   * The first position `n` has not archived yet (a segment start, or where archive_timeout last switched
   * segments), or null when it does not archive.
   */
  archived(n: PgNode): Lsn | null {
    const a = this.archivers.get(n);
    if (!a) return null;
    const seg = n.settings.walSegmentSize;
    const progress = this.progress(n, a);
    const completed = this.completed(n, a);
    return Math.max(a.anchor.done, progress >= completed - 0.5 ? completed : Math.floor(progress / seg) * seg);
  }

  /** A new anchor at `lsn` (the copy's progress), what is archived by then kept. */
  private anchorAt(n: PgNode, lsn: Lsn): ArchiverState['anchor'] {
    return { at: this.now, lsn, done: Math.min(lsn, this.archived(n) ?? lsn) };
  }

  /**
   * How far the archiver has copied: archived() plus the part of the segment archive_command is copying. A
   * re-anchor keeps it, so a copy goes on across reflows (only a failed command starts its segment again: fail).
   */
  private progress(n: PgNode, a: ArchiverState): Lsn {
    if (this.blocked(n, a)) return a.anchor.lsn;
    const copied = a.anchor.lsn + this.throughput(n) * (this.now - a.anchor.at);
    return Math.max(a.anchor.lsn, Math.min(this.completed(n, a), copied));
  }

  /** The removal gate of `n`'s checkpoints: segments from here on are not archived yet (null: no gate). */
  gate(n: PgNode): Lsn | null {
    return this.archives(n) ? this.archived(n) : null;
  }

  /**
   * The same for `n` down (a checkpoint run without its archiver: single-user crash recovery): with archive_mode
   * on, the segments its archiver had not archived when it stopped keep their .ready files and stay
   * (xlogarchive.c XLogArchiveCheckDone).
   */
  gateWhileDown(n: PgNode): Lsn | null {
    if (n.settings.archiveMode === 'off') return null;
    return this.stopped.get(n)?.lsn ?? null;
  }

  /**
   * Re-anchor every archiver (after a reflow: WAL rates may change, and between two reflows they are constant);
   * start or stop archivers whose mode, role or running state changed.
   */
  afterReflow(stateChanged: readonly PgNode[]): void {
    // Whether a server archives changes only with its run state, role or settings (stateChanged); those that do
    // are looked at every time (their anchor, their timeline, the network); every server at the first.
    const first = !this.looked;
    this.looked = true;
    const look = first ? this.cluster.nodes.values() : this.archivers.size === 0 ? stateChanged : this.cluster.stateChanges.inOrder(new Set([...stateChanged, ...this.archivers.keys()]));
    for (const n of look) {
      const a = this.archivers.get(n);
      if (!this.archives(n)) {
        if (a) this.stopArchiving(n, a);
        continue;
      }
      if (!a) {
        this.startArchiving(n);
        continue;
      }
      if (a.range.timeline !== n.wal.timeline) {
        // A promotion (or a standby with `always` following a new timeline): the new timeline's segments from
        // the switchpoint's segment on (a new primary archives the partial segment under its new name too).
        const at = this.archived(n)!;
        a.range.to = at;
        const from = Math.min(at, segmentStart(n.wal.timeline.begin, n.settings.walSegmentSize));
        a.range = { node: n, timeline: n.wal.timeline, from, to: null, historyArchived: !this.blocked(n, a) };
        this.ranges.push(a.range);
        a.anchor = { at: this.now, lsn: from, done: from };
        continue;
      }
      const unreachable = !this.cluster.ctx.net.reachable(this.cluster.endpointOf(n), this.endpoint);
      // The copy in progress goes on (progress, not archived: a re-anchor at every reflow would otherwise throw
      // away the part of a segment copied since the last one, and an archiver slower than a segment between two
      // reflows would never archive anything); an archive that became unreachable fails it: from the segment's start.
      a.anchor = this.anchorAt(n, unreachable && !a.unreachable ? this.archived(n)! : this.progress(n, a));
      if (unreachable !== a.unreachable) {
        a.unreachable = unreachable;
        if (unreachable) this.logFailure(n, a, 1, { kind: 'unreachable', site: this.site });
      }
      if (!this.blocked(n, a)) a.range.historyArchived = true;
    }
  }

  private startArchiving(n: PgNode): void {
    // Archiving starts with what pg_wal holds: completed segments without a status file get `.ready` at the
    // next checkpoint (xlogarchive.c XLogArchiveCheckDone), so the archive starts where pg_wal does; a promoted
    // standby's received segments were marked `.done` (walreceiver.c XLogWalRcvClose), so it starts at its
    // timeline's first segment; a restarted archiver goes on where it stopped (the status files persist).
    const seg = n.settings.walSegmentSize;
    const own = n.isPrimary && n.wal.timeline.parent !== null && n.wal.timeline.createdBy === n.name ? n.wal.timeline.begin : 0;
    const before = this.stopped.get(n);
    const resumed = before && before.timeline === n.wal.timeline ? before.lsn : 0;
    const from = Math.max(segmentStart(Math.max(n.oldestRetained, own), seg), resumed);
    const reachable = this.cluster.ctx.net.reachable(this.cluster.endpointOf(n), this.endpoint);
    const range: ArchivedRange = { node: n, timeline: n.wal.timeline, from, to: null, historyArchived: reachable && n.settings.archiveCommand !== null };
    this.ranges.push(range);
    const a: ArchiverState = { anchor: { at: this.now, lsn: from, done: from }, started: this.now, range, failing: null, unreachable: false };
    this.archivers.set(n, a);
    const pending = this.pendingFailures.get(n);
    if (pending) {
      this.pendingFailures.delete(n);
      this.fail(n, pending.until, pending.exitCode);
      range.historyArchived &&= !this.blocked(n, a);
    }
    if (n.settings.archiveCommand === null) {
      // pgarch.c: archiving enabled without a command (the wording by version).
      const message = n.version >= 17 ? '"archive_mode" enabled, yet archiving is not configured' : n.version >= 15 ? 'archive_mode enabled, yet archiving is not configured' : 'archive_mode enabled, yet archive_command is not set';
      this.cluster.log(n, 'setting', { kind: 'archiving-not-configured', node: n.name, archiveMode: String(n.settings.archiveMode) }, [{ process: 'archiver', level: 'WARNING', message }]);
    }
  }

  private stopArchiving(n: PgNode, a: ArchiverState): void {
    a.range.to = this.archived(n)!;
    this.stopped.set(n, { timeline: a.range.timeline, lsn: a.range.to });
    if (a.failing) {
      this.cluster.ctx.sim.cancel(a.failing.event);
      this.pendingFailures.set(n, { until: a.failing.until, exitCode: a.failing.exitCode });
    }
    this.archivers.delete(n);
  }

  /** The `archive_fails` fault: the command fails with `exitCode` until `until`. */
  fail(n: PgNode, until: Micros, exitCode: number): void {
    const a = this.archivers.get(n);
    if (until <= this.now) return;
    if (!a) {
      this.pendingFailures.set(n, { until, exitCode });
      return;
    }
    a.anchor = this.anchorAt(n, this.archived(n)!);
    if (a.failing) this.cluster.ctx.sim.cancel(a.failing.event);
    a.failing = { until, exitCode, since: this.now, event: null, logged: null };
    a.failing.event = this.cluster.ctx.sim.at(until, `archive ok ${n.name}`, () => this.recover(n), PRIORITY.protocol);
    this.logFailure(n, a, exitCode, { kind: 'command-failed', exitCode });
  }

  private recover(n: PgNode): void {
    const a = this.archivers.get(n);
    if (!a?.failing) return;
    const f = a.failing;
    a.failing = null;
    if (!this.blocked(n, a)) a.range.historyArchived = true;
    a.anchor = { ...a.anchor, at: this.now };
    // The archiver tried again at every new segment (the latch) or every 60 s, three attempts each time: count
    // those cycles on the failure event (approximation: at most one every two seconds, the time of three
    // attempts one second apart). On the failure's own event: the node may have logged others since.
    if (f.logged) {
      const seg = n.settings.walSegmentSize;
      const perSegment = n.wal.end.rate > 0 ? seg / n.wal.end.rate : Number.POSITIVE_INFINITY;
      const spacing = Math.max(2e6, Math.min(PGARCH_AUTOWAKE_INTERVAL, perSegment));
      // The cycles strictly before now (the one due now succeeds).
      const cycles = Math.max(0, Math.ceil((this.now - f.since) / spacing) - 1);
      if (cycles > 0) this.cluster.ctx.history.repeatEvent(f.logged, cycles, (f.since + spacing) as Micros, (f.since + cycles * spacing) as Micros);
    }
    const backlog = this.completed(n, a) - a.anchor.lsn;
    this.cluster.log(n, 'replication', { kind: 'archiving-again', node: n.name, segments: Math.round(backlog / n.settings.walSegmentSize) });
    // Standbys that restore from the archive may find more there now (retry.ts: a change).
    this.cluster.requestReflow();
  }

  private logFailure(n: PgNode, a: ArchiverState, exitCode: number, why: ArchiveFailure): void {
    const file = walFileName(timelineAt(n.wal.timeline, a.anchor.lsn).tli, a.anchor.lsn, n.settings.walSegmentSize);
    const command = (n.settings.archiveCommand ?? '').replace(/%f/g, file).replace(/%p/g, `pg_wal/${file}`);
    const failed: LogLine = { process: 'archiver', level: 'LOG', message: `archive command failed with exit code ${exitCode}`, detail: `The failed archive command was: ${command}` };
    const warning: LogLine = {
      process: 'archiver',
      level: 'WARNING',
      // pgarch.c pgarch_ArchiverCopyLoop; "transaction log file" up to 9.6.
      message: `archiving ${n.version >= 10 ? 'write-ahead log' : 'transaction log'} file "${file}" failed too many times, will try again later`,
    };
    const lines = [...Array.from({ length: NUM_ARCHIVE_RETRIES }, () => failed), warning];
    const ev = this.cluster.log(n, 'replication', { kind: 'archiving-fails', rule: 'pgarch.c:pgarch_ArchiverCopyLoop', node: n.name, segment: file, why }, lines);
    if (a.failing && a.failing.logged === null) a.failing.logged = ev;
  }

  // ------------------------------------------------------------------ what the archive holds

  private rangeEnd(r: ArchivedRange): Lsn {
    if (r.to !== null) return r.to;
    return this.archived(r.node) ?? r.from;
  }

  /**
   * How far the archive holds `history` contiguously from `from` (a segment start): each segment of the
   * history, named by the timeline that holds it there, must be in a range archived on that timeline.
   */
  availableEnd(history: Timeline, from: Lsn, segmentSize: number): Lsn {
    let pos = segmentStart(from, segmentSize);
    const entries = historyOf(history);
    for (let guard = 0; guard < 10_000; guard++) {
      const tl = timelineAt(history, pos);
      const entry = entries.find((e) => e.timeline === tl);
      const limit = entry?.end ?? Number.POSITIVE_INFINITY;
      let next = pos;
      for (const r of this.ranges) {
        if (r.from > pos || timelineAt(r.timeline, pos) !== tl) continue;
        let end = Math.min(this.rangeEnd(r), limit === Number.POSITIVE_INFINITY ? Number.POSITIVE_INFINITY : segmentStart(limit, segmentSize) + segmentSize);
        // A range archived on a child of tl holds tl's segments only before the one where its timeline leaves tl:
        // that segment and the next are named by the child's TLI and hold the child's WAL, which `history` does
        // not continue with unless it leaves tl into the same child.
        const leaves = endOf(r.timeline, tl);
        if (leaves !== null && timelineAt(history, leaves) !== timelineAt(r.timeline, leaves)) end = Math.min(end, segmentStart(leaves, segmentSize));
        if (end > next) next = end;
      }
      if (next <= pos) return pos;
      pos = next;
    }
    return pos;
  }

  /**
   * The history files in the archive: a node archiving on a timeline it created archived its `.history` file
   * at its first successful cycle (ArchivedRange.historyArchived), and with it the
   * files of the ancestors. The first archived of a TLI is kept (a second one would fail `test ! -f`, or
   * overwrite: not modelled).
   */
  historyFiles(): Map<number, Timeline> {
    const out = new Map<number, Timeline>();
    for (const r of this.ranges) for (const e of historyOf(r.timeline)) if (!out.has(e.timeline.tli) && (e.timeline !== r.timeline || r.historyArchived)) out.set(e.timeline.tli, e.timeline);
    return out;
  }

  /** The archive's `0000000N.history` (historyFiles), or null when none was archived. */
  historyFile(tli: number): Timeline | null {
    if (tli === 1) return null; // timeline.c: timeline 1 has no history file
    for (const r of this.ranges) for (const e of historyOf(r.timeline)) if (e.timeline.tli === tli && (e.timeline !== r.timeline || r.historyArchived)) return e.timeline;
    return null;
  }

  /** Whether `n` can reach the archive (its restore_command can copy from it). */
  reachableFrom(n: PgNode): boolean {
    return this.cluster.ctx.net.reachable(this.cluster.endpointOf(n), this.endpoint);
  }

  /** What the archive holds, as views of WAL for the PITR verdict (dataLoss.ts): each range's history up to its end. */
  views(): { node: string; timeline: Timeline; end: Lsn }[] {
    return this.ranges.map((r) => ({ node: `the WAL archive at site ${this.site}`, timeline: r.timeline, end: this.rangeEnd(r) }));
  }

  // ------------------------------------------------------------------ restore

  /**
   * Whether `n`'s startup process tries the archive at every attempt (restore_command set, archive reachable):
   * the archive grows without any other change in the cluster, so its retry loop cannot be parked (retry.ts).
   */
  triesArchive(n: PgNode): boolean {
    return n.settings.restoreCommand !== null && this.cluster.ctx.net.reachable(this.cluster.endpointOf(n), this.endpoint);
  }

  /**
   * How far the archive holds `n`'s WAL history beyond its WAL end, in whole segments (restore's test, without
   * restoring); null: nothing more to restore (no restore_command, archive unreachable, or nothing past its end).
   */
  restorableEnd(n: PgNode): Lsn | null {
    const v = this.restoreView(n);
    if (!v) return null;
    const available = this.restorableFrom(n, v, segmentStart(v.end, v.seg));
    return available > v.end + 0.5 ? available : null;
  }

  /**
   * Whether `n` can restore now (restore_command set, running, the archive reachable), with its WAL end and the
   * history it restores along. The startup process restores the segments of its recovery target's history
   * (xlogrecovery.c XLogFileReadAnyTLI walks expectedTLEs). A standby whose target is a later timeline than its
   * WAL's takes its own timeline's WAL up to where the target leaves it, as a rescan that follows a timeline cuts
   * it there (cluster.ts rescanLatestTimeline); from there on its WAL is the target's, restored along the target's
   * history (the caller adopts that timeline), or streamed ([EXP] 15.18: `new target timeline is 2`, then
   * `restored log file "000000020000000000000004"`, the segment of the switchpoint under the new TLI).
   */
  private restoreView(n: PgNode): { readonly seg: number; readonly end: Lsn; readonly target: Timeline } | null {
    if (n.settings.restoreCommand === null || !n.running) return null;
    if (!this.cluster.ctx.net.reachable(this.cluster.endpointOf(n), this.endpoint)) return null;
    const role = n.role;
    const target = role.kind === 'standby' && historyOf(role.target).some((e) => e.timeline === n.wal.timeline) ? role.target : n.wal.timeline;
    return { seg: n.settings.walSegmentSize, end: n.walEnd(this.now), target };
  }

  /** The end of what the archive holds along `v.target` from `from`, no further than where the target leaves `n`'s timeline. */
  private restorableFrom(n: PgNode, v: { readonly seg: number; readonly end: Lsn; readonly target: Timeline }, from: Lsn): Lsn {
    const available = this.availableEnd(v.target, from, v.seg);
    const leaves = v.target !== n.wal.timeline ? endOf(v.target, n.wal.timeline) : null;
    return leaves !== null && v.end < leaves - 0.5 ? Math.min(available, leaves) : available;
  }

  /**
   * The startup process's first source (xlogrecovery.c WaitForWALToBecomeAvailable: archive, pg_wal, stream):
   * a standby with restore_command that can reach the archive restores the next whole segments of its WAL's
   * history while the archive has them. Returns the pending restore (the caller waits for it), or null: go on
   * to streaming.
   */
  restore(n: PgNode, done: (end: Lsn) => void): { readonly event: EventHandle; readonly from: Lsn; readonly to: Lsn; readonly timeline: Timeline } | null {
    // The redo point a start replays from (below) counts at the start's first attempt only.
    const reread = n.recovery.rereadFrom;
    delete n.recovery.rereadFrom;
    const v = this.restoreView(n);
    if (!v) return null;
    const { seg, end, target } = v;
    let from = segmentStart(end, seg);
    // A start replays from its restartpoint's redo point, and in archive recovery every segment is taken from
    // the archive before pg_wal (xlogrecovery.c WaitForWALToBecomeAvailable: XLOG_FROM_ARCHIVE first, then
    // XLogFileReadAnyTLI with XLOG_FROM_ANY), so the first restored is the redo's segment when archived (the
    // segments up to the WAL end are restored again; a batch that stops short of it leaves the rest for the next).
    if (reread !== undefined && segmentStart(reread, seg) < from && this.availableEnd(target, reread, seg) >= from + seg) from = segmentStart(reread, seg);
    const available = this.restorableFrom(n, v, from);
    if (available <= end + 0.5) return null;
    const to = Math.min(available, from + RESTORE_BATCH * seg);
    if (to < segmentStart(end, seg)) n.recovery.rereadFrom = to;
    const rate = (n.storage.restoreThroughput ?? DEFAULT_ARCHIVE_THROUGHPUT) / 1e6;
    const duration = Math.max(1, Math.ceil((to - from) / rate)) as Micros;
    const event = this.cluster.ctx.sim.after(duration, `restore ${n.name}`, () => done(to), PRIORITY.protocol);
    return { event, from, to, timeline: target };
  }

  /**
   * The log lines of a restore (xlogarchive.c RestoreArchivedFile) of [from, to): the first segment and the one
   * holding the last byte restored (a recovery target mid-segment stops in that segment, which it read). Each
   * segment is named by the newest timeline of the history that begins at or before it (xlogrecovery.c
   * XLogFileReadAnyTLI: the segment of a switchpoint is read under the new timeline's name).
   */
  restoredLines(n: PgNode, from: Lsn, to: Lsn): LogLine[] {
    const seg = n.settings.walSegmentSize;
    const entries = historyOf(n.wal.timeline);
    const name = (lsn: Lsn) => walFileName((entries.find((e) => segmentStart(e.begin, seg) <= lsn) ?? entries.at(-1)!).timeline.tli, lsn, seg);
    const line = (lsn: Lsn): LogLine => restoredLine(name(lsn));
    const last = segmentStart(Math.max(from, to - 1), seg);
    return last > from ? [line(from), line(last)] : [line(from)];
  }

  /** For the report: the archive state of `n` (null when it does not archive). */
  describe(n: PgNode): { archivedLsn: Lsn; backlogBytes: number; failing: boolean } | null {
    const a = this.archivers.get(n);
    if (!a) return null;
    const archived = this.archived(n)!;
    return { archivedLsn: archived, backlogBytes: Math.max(0, this.completed(n, a) - archived), failing: this.blocked(n, a) };
  }

  /** A label for explanations. */
  toString(): string {
    return `the WAL archive at site ${this.site} (${this.ranges.map((r) => `timeline ${r.timeline.tli} ${formatLsn(r.from)}-${formatLsn(this.rangeEnd(r))}`).join(', ')})`;
  }
}

/** xlogarchive.c RestoreArchivedFile: a file restore_command copied (a segment, or a timeline's `.history`). */
export function restoredLine(file: string): LogLine {
  return { process: 'startup', level: 'LOG', message: `restored log file "${file}" from archive` };
}

/** timeline.c TLHistoryFileName. */
export function historyFileName(tli: number): string {
  return `${tli.toString(16).toUpperCase().padStart(8, '0')}.history`;
}

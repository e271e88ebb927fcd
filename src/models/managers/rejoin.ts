/**
 * A manager rebuilding a node so that it can follow the leader again, with the plan's own operations
 * (postgres/rebuild.ts): pg_rewind against the leader, or a re-clone (the data directory emptied, then
 * pg_basebackup from the leader). What each manager decides:
 * - Patroni (postgresql/rewind.py, ha.py recover/_handle_rewind_or_reinitialize; managers.md §1.6): a node
 *   needs a rewind when its WAL runs past the point where the leader's history left its timeline
 *   (rewind.py _check_timeline_and_lsn); with use_pg_rewind and wal_log_hints or data checksums
 *   (rewind.py can_rewind) it runs single-user crash recovery first if it was not shut down cleanly
 *   (ensure_clean_shutdown), then pg_rewind; a failed rewind, with remove_data_directory_on_rewind_failure or
 *   remove_data_directory_on_diverged_timelines, removes the data directory (rewind.py execute), and an empty
 *   data directory is cloned from the leader (ha.py bootstrap → clone, pg_basebackup -X stream,
 *   bootstrap.py basebackup). Without either, it starts as a replica that cannot stream.
 * - pg_auto_failover (fsm_transition.c fsm_rewind_or_init): demoted → catchingup runs pg_rewind, and
 *   pg_basebackup when it fails (pg_autoctl sets wal_log_hints = on on every node).
 * Each rebuild is recorded (history/replication.ts RebuildRecord) for the report and the verdicts.
 * Approximations: the leader's checkpoint after promote (checkpoint_after_promote) is taken when the rewind
 * starts, and it and the single-user crash recovery take no time.
 */
import type { Micros } from '../../engine/time.ts';
import type { PgCluster } from '../postgres/cluster.ts';
import type { DivergenceFact } from '../../history/facts/managers.ts';
import type { PgNode } from '../postgres/node.ts';
import { endOf, isAncestorOrSelf, timelineAt } from '../postgres/timeline.ts';
import { controlTimeline } from '../postgres/rebuild.ts';

/**
 * Whether `n`'s WAL runs past where `leader`'s history leaves its timeline (rewind.py
 * _check_timeline_and_lsn): null when it can follow as it is, else where it diverged.
 */
export function divergence(n: PgNode, leader: PgNode, now: Micros): DivergenceFact | null {
  const end = n.walEnd(now);
  const mine = timelineAt(n.wal.timeline, Math.max(0, end - 1));
  const leaves = isAncestorOrSelf(mine, leader.wal.timeline) ? endOf(leader.wal.timeline, mine) : -1;
  if (leaves === null || leaves >= end - 0.5) return null;
  return { node: n.name, leader: leader.name, timeline: mine.tli, lsn: end, leavesLsn: leaves === -1 ? null : leaves };
}

/** pg_rewind can run on `n` at all: 9.5+, and wal_log_hints or data checksums (rewind.py configuration_allows_rewind). */
export function rewindable(n: PgNode): boolean {
  return n.version >= 9.5 && (n.settings.walLogHints || n.settings.dataChecksums);
}

/** One node's rebuilds by one manager: at most one at a time. */
export class Rejoin {
  private running: { readonly tool: 'pg_rewind' | 'pg_basebackup'; readonly source: string; readonly from: Micros } | null = null;

  constructor(
    private readonly c: PgCluster,
    readonly node: PgNode,
    private readonly by: string,
    /** Told when a rebuild ends (the manager's loop goes on from there). */
    private readonly onDone: (tool: 'pg_rewind' | 'pg_basebackup', ok: boolean) => void,
    /**
     * pg_rewind fetches the WAL missing from pg_wal with the node's restore_command (Patroni: rewind.py pg_rewind
     * passes --restore-target-wal when restore_command is set, 13+; before 13 it fetches the missing file itself
     * and runs pg_rewind again). pg_autoctl runs pg_rewind without it (pgctl.c pg_rewind).
     */
    private readonly restoreTargetWal = false,
  ) {}

  get busy(): boolean {
    return this.running !== null;
  }

  private begin(tool: 'pg_rewind' | 'pg_basebackup', leader: PgNode): (ok: boolean) => void {
    const from = this.c.ctx.sim.now;
    this.running = { tool, source: leader.name, from };
    return (ok) => {
      this.running = null;
      const to = this.c.ctx.sim.now;
      this.c.ctx.history.replication.rebuild({ cluster: this.c.name, node: this.node.name, by: this.by, tool, source: leader.name, from, to, ok });
      this.onDone(tool, ok);
    };
  }

  /** Stop `n` if it runs, make its shutdown clean, and pg_rewind it against the leader (it is started later by the manager). */
  rewind(leader: PgNode): void {
    const n = this.node;
    // Both managers run CHECKPOINT on a new primary after its promotion, so that its control file names its new
    // timeline, which pg_rewind up to 15 reads (rebuild.ts controlTimeline); Patroni's replica waits for it before
    // rewinding (rewind.py ensure_checkpoint_after_promote, execute: "Waiting for checkpoint on … before rewind"),
    // pg_autoctl runs it within the promotion (primary_standby.c standby_promote). Approximation: it is taken here,
    // when the rewind starts, rather than in the leader's first loop after its promotion.
    if (leader.running && leader.isPrimary && controlTimeline(this.c, leader) !== leader.wal.timeline) this.c.requestCheckpoint(leader);
    if (n.running) this.c.stop(n);
    if (n.run.state === 'down' && n.run.how === 'crashed') {
      // The manager runs crash recovery first, so the data directory is shut down cleanly and pg_rewind does not run
      // its own (whose end-of-recovery checkpoint removes WAL: rebuild.ts crashRecovery). Patroni's (ha.py
      // _handle_crash_recovery, rewind.py ensure_clean_shutdown) runs in single-user mode with archive_command =
      // false, so every segment stays; pg_autoctl's (primary_standby.c) is an archive recovery to `immediate`, shut
      // down in recovery, taken to remove nothing either (approximation). Its time is not modelled.
      this.c.log(n, 'lifecycle', { kind: 'single-user-crash-recovery', node: n.name, ...(this.by === 'Patroni' ? { rule: 'patroni/postgresql/rewind.py:Rewind.ensure_clean_shutdown' } : {}) });
      n.run = { state: 'down', how: 'stopped' };
    }
    this.c.rebuilds.rewind(n, { from: leader.name, start: false, restoreTargetWal: this.restoreTargetWal }, this.begin('pg_rewind', leader));
  }

  /** Empty the data directory (a running server is stopped first) and pg_basebackup it from the leader; it starts when the copy is done. */
  reclone(leader: PgNode, checkpoint: 'fast' | 'spread'): void {
    const n = this.node;
    if (n.running) this.c.crash(n);
    if (n.dataDirectory === 'present') this.c.rebuilds.destroy(n);
    this.c.rebuilds.basebackup(n, { name: null, from: leader.name, checkpoint, walMethod: 'stream', slot: null, maxRate: null, start: true }, this.begin('pg_basebackup', leader));
  }
}

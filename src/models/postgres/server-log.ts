/**
 * Server chatter (messages.ts LogLine.chatter): the lines every server writes whatever replication does, in each
 * version's words, checked against the recorded real logs of 10.23 to 18.4 (docs/conformance.md, `lines`) and the
 * sources cited per line. The reports hide them; the conformance harness compares them.
 */
import type { Micros } from '../../engine/time.ts';
import type { PgMajor } from '../../scenario/types.ts';
import { formatLsn, type Lsn } from './lsn.ts';
import type { LogLine, PgProcess } from './messages.ts';

/** shared_buffers' default (128 MB) in 8 KiB buffers: the model has no shared_buffers setting (checkpointer.ts dirtyBuffers). */
export const SHARED_BUFFERS = 16384;

const chatter = (process: PgProcess, message: string, detail?: string): LogLine =>
  detail === undefined ? { process, level: 'LOG', message, chatter: true } : { process, level: 'LOG', message, detail, chatter: true };

/**
 * A time as the server prints it. The model keeps no wall clock: its times are the simulated time since the
 * scenario's start, written from the Unix epoch (the reports never show these lines; the harness drops times).
 */
function pgTime(at: Micros, withMicros: boolean): string {
  const d = new Date(Math.floor(at / 1000));
  const p2 = (x: number) => String(x).padStart(2, '0');
  const base = `${d.getUTCFullYear()}-${p2(d.getUTCMonth() + 1)}-${p2(d.getUTCDate())} ${p2(d.getUTCHours())}:${p2(d.getUTCMinutes())}:${p2(d.getUTCSeconds())}`;
  return withMicros ? `${base}.${String(Math.floor(at) % 1_000_000).padStart(6, '0')}+00` : `${base} UTC`;
}

/** How the server last went down, as its control file says (pg_control DBState). */
export type ControlState = 'shut-down' | 'shut-down-in-recovery' | 'crashed' | 'crashed-in-recovery';

/** Which checkpoint a checkpoint line is about, as log_checkpoints prints its flags (xlog.c LogCheckpointStart). */
export interface CheckpointFlags {
  readonly restartpoint: boolean;
  readonly shutdown?: boolean;
  readonly endOfRecovery?: boolean;
  readonly immediate?: boolean;
  readonly force?: boolean;
  readonly wait?: boolean;
  readonly xlog?: boolean;
  readonly time?: boolean;
}

export const serverLog = {
  /** postmaster.c PostmasterMain (12+): the version and build; the model knows the major only. */
  starting: (version: PgMajor): LogLine | null => (version >= 12 ? chatter('postmaster', `starting PostgreSQL ${version}.0 on x86_64-pc-linux-gnu, 64-bit`) : null),
  /** postmaster.c PostmasterMain (10+): one line per listen address, then the Unix socket (listen_addresses '127.0.0.1'). */
  listening: (version: PgMajor, port: number): LogLine[] =>
    version >= 10 ? [chatter('postmaster', `listening on IPv4 address "127.0.0.1", port ${port}`), chatter('postmaster', `listening on Unix socket "/tmp/.s.PGSQL.${port}"`)] : [],
  /** xlog.c StartupXLOG (xlogrecovery.c InitWalRecovery from 15): the control file's state at a start. */
  lastState: (state: ControlState, at: Micros): LogLine => {
    switch (state) {
      case 'shut-down':
        return chatter('startup', `database system was shut down at ${pgTime(at, false)}`);
      case 'shut-down-in-recovery':
        return chatter('startup', `database system was shut down in recovery at ${pgTime(at, false)}`);
      case 'crashed':
        return chatter('startup', `database system was interrupted; last known up at ${pgTime(at, false)}`);
      case 'crashed-in-recovery':
        return {
          ...chatter('startup', `database system was interrupted while in recovery at log time ${pgTime(at, true)}`),
          hint: 'If this has occurred more than once some data might be corrupted and you might need to choose an earlier recovery target.',
        };
    }
  },
  /** xlog.c StartupXLOG: a crashed primary's start. */
  notProperlyShutDown: (): LogLine => chatter('startup', 'database system was not properly shut down; automatic recovery in progress'),
  redoStarts: (at: Lsn): LogLine => chatter('startup', `redo starts at ${formatLsn(at)}`),
  /** xlogrecovery.c PerformWalRecovery: no record after the checkpoint's (redo never started). */
  redoNotRequired: (): LogLine => ({ process: 'startup', level: 'LOG', message: 'redo is not required' }),
  /** xlogrecovery.c validateRecoveryParameters (12+): a standby with neither a stream nor an archive; the settings quoted from 17. */
  noSourceOfWal: (version: PgMajor): LogLine | null =>
    version >= 12
      ? { process: 'startup', level: 'WARNING', message: version >= 17 ? 'specified neither "primary_conninfo" nor "restore_command"' : 'specified neither primary_conninfo nor restore_command', hint: 'The database server will regularly poll the pg_wal subdirectory to check for files placed there.', chatter: true }
      : null,
  /** xlogrecovery.c CheckRecoveryConsistency (xlog.c before 15). */
  consistent: (at: Lsn): LogLine => chatter('startup', `consistent recovery state reached at ${formatLsn(at)}`),
  /**
   * xlogreader.c XLogReaderValidatePageHeader / ValidXLogRecordHeader: the startup process meets the end of the WAL
   * it has (a zeroed record header); `expected at least` from 16 (observed on 10.23 to 15.18, then 16.14 to 18.4).
   */
  endOfWal: (version: PgMajor, at: Lsn): LogLine =>
    chatter('startup', `invalid record length at ${formatLsn(at)}: ${version >= 16 ? 'expected at least' : 'wanted'} 24, got 0`),
  /** xlogrecovery.c PerformWalRecovery: the time of the last commit replayed (GetLatestXTime). */
  lastTransaction: (at: Micros): LogLine => chatter('startup', `last completed transaction was at log time ${pgTime(at, true)}`),
  /** walreceiver.c ProcessWalRcvInterrupts: the startup process stops the walreceiver (a promotion). */
  walreceiverTerminated: (): LogLine => ({ process: 'walreceiver', level: 'FATAL', message: 'terminating walreceiver process due to administrator command', chatter: true }),
  /**
   * walsender.c StartReplication (or XLogRead's CheckXLogRemoved): the walsender's own ERROR when it refuses a
   * standby, which the standby's walreceiver quotes in its FATAL (`could not start WAL streaming: ERROR:  …`),
   * with the statement it was running (elog.c: log_min_error_statement = error; libpqwalreceiver.c
   * libpqrcv_startstreaming words START_REPLICATION). Observed on 10.23 to 18.4 (seed-79).
   */
  walsenderRefusal: (quoted: LogLine, slot: string | null, start: Lsn, tli: number): LogLine | null => {
    const m = /^could not (?:start WAL streaming|receive data from WAL stream): ERROR: {2}(.*)$/.exec(quoted.message);
    if (!m) return null;
    return {
      process: 'walsender',
      level: 'ERROR',
      message: m[1]!,
      ...(quoted.detail ? { detail: quoted.detail } : {}),
      statement: `START_REPLICATION ${slot ? `SLOT "${slot}" ` : ''}${formatLsn(start)} TIMELINE ${tli}`,
      chatter: true,
    };
  },
  /** postmaster.c SIGHUP_handler (process_pm_reload_request from 16). */
  reloading: (): LogLine => chatter('postmaster', 'received SIGHUP, reloading configuration files'),
  /**
   * postmaster.c: a startup process that exited with a FATAL ends the start. Up to 14 `aborting startup due to
   * startup process failure`; from 15 the postmaster terminates the other processes and `shutting down due to
   * startup process failure` (observed on 10.23 to 14.23, then 15.18 to 18.4). `panic`: the startup process
   * PANICked instead (abort(): `terminated by signal 6: Aborted`, observed on 12.22 with a full pg_wal).
   */
  startupFailed: (version: PgMajor, panic = false): LogLine[] => [
    chatter('postmaster', panic ? 'startup process (PID 1) was terminated by signal 6: Aborted' : 'startup process (PID 1) exited with exit code 1'),
    ...(version >= 15
      ? [chatter('postmaster', 'terminating any other active server processes'), chatter('postmaster', 'shutting down due to startup process failure')]
      : [chatter('postmaster', 'aborting startup due to startup process failure')]),
    chatter('postmaster', 'database system is shut down'),
  ],
  /**
   * A clean shutdown (pg_ctl stop -m fast or smart), before `database system is shut down`: the postmaster's request, the
   * logical replication launcher's exit on a primary (10+, a `worker process` on 10), the checkpointer's shutdown checkpoint (observed on
   * 10.23 to 18.4). A standby's shutdown restartpoint is not logged (the model does not know whether it has a new
   * checkpoint record to restart from).
   */
  cleanShutdown: (version: PgMajor, primary: boolean, logCheckpoints: boolean, end: Lsn, request: 'smart' | 'fast' | null): (LogLine | null)[] => [
    // A smart shutdown that waited for its sessions logged its request then (`request` null); it aborts nothing.
    request === null ? null : serverLog.shutdownRequest(request),
    request === 'fast' ? chatter('postmaster', 'aborting any active transactions') : null,
    ...(primary && version >= 10
      ? [chatter('postmaster', version >= 11 ? 'background worker "logical replication launcher" (PID 1) exited with exit code 1' : 'worker process: logical replication launcher (PID 1) exited with exit code 1')]
      : []),
    chatter('checkpointer', 'shutting down'),
    ...(primary && logCheckpoints ? [serverLog.checkpointStarting({ restartpoint: false, shutdown: true, immediate: true }, version), serverLog.checkpointComplete(version, false, 0, 0, end, end)] : []),
  ],
  /** postmaster.c pmdie: the request of pg_ctl stop -m smart, fast or immediate (observed on 15.18). */
  shutdownRequest: (mode: 'smart' | 'fast' | 'immediate'): LogLine => chatter('postmaster', `received ${mode} shutdown request`),
  /** xlog.c LogCheckpointStart (log_checkpoints): its flags in the server's order; the WAL-volume cause is ` xlog` up to 11. */
  checkpointStarting: (f: CheckpointFlags, version: PgMajor): LogLine => {
    const flags = [
      f.shutdown ? ' shutdown' : '',
      f.endOfRecovery ? ' end-of-recovery' : '',
      f.immediate ? ' immediate' : '',
      f.force ? ' force' : '',
      f.wait ? ' wait' : '',
      f.xlog ? (version >= 12 ? ' wal' : ' xlog') : '',
      f.time ? ' time' : '',
    ].join('');
    return chatter('checkpointer', `${f.restartpoint ? 'restartpoint' : 'checkpoint'} starting:${flags}`);
  },
  /**
   * xlog.c LogCheckpointEnd (log_checkpoints): what it wrote and removed. The model keeps no pages: `buffers` is
   * checkpointer.ts dirtyBuffers' estimate (0 where the caller has none), of shared_buffers' default; no time
   * taken is printed. 16 and 17 append the checkpoint's and its redo's LSNs, 18 the SLRU buffers written
   * (observed on 10.23 to 18.4).
   */
  checkpointComplete: (version: PgMajor, restartpoint: boolean, removal: number | { readonly removed: number; readonly recycled: number }, distanceKb: number, lsn: Lsn, redo: Lsn, buffers = 0, estimateKb = distanceKb): LogLine => {
    const slru = version >= 18 ? ', wrote 0 SLRU buffers' : '';
    // `removal`: the segments removed, or removed and recycled as future ones (checkpointer.ts remove).
    const files = typeof removal === 'number' ? { removed: removal, recycled: 0 } : removal;
    const share = ((100 * buffers) / SHARED_BUFFERS).toFixed(1);
    const tail = version >= 16 ? `; lsn=${formatLsn(lsn)}, redo lsn=${formatLsn(redo)}` : '';
    return chatter(
      'checkpointer',
      `${restartpoint ? 'restartpoint' : 'checkpoint'} complete: wrote ${buffers} buffers (${share}%)${slru}; 0 WAL file(s) added, ${files.removed} removed, ${files.recycled} recycled; write=0.000 s, sync=0.000 s, total=0.000 s; sync files=0, longest=0.000 s, average=0.000 s; distance=${distanceKb} kB, estimate=${estimateKb} kB`.concat(tail),
    );
  },
  /** xlog.c CreateRestartPoint: where a restartpoint puts the next recovery's start (11+ `Last`, 10 `last`). */
  recoveryRestartPoint: (version: PgMajor, at: Lsn, lastCommit: Micros | null): LogLine => ({
    ...chatter('checkpointer', `recovery restart point at ${formatLsn(at)}`),
    ...(lastCommit === null ? {} : { detail: version >= 11 ? `Last completed transaction was at log time ${pgTime(lastCommit, true)}.` : `last completed transaction was at log time ${pgTime(lastCommit, true)}` }),
  }),
};

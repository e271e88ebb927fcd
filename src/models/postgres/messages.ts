/**
 * Server log lines a real PostgreSQL would print, verbatim from the sources cited per message
 * (../shared/domain/postgres.md §0 observed on 15.18; §1.4-1.5 from walreceiver.c, walsender.c,
 * xlogrecovery.c). The simulator records them so that a report reads like the servers' own logs.
 */
import { formatLsn, type Lsn } from './lsn.ts';
import type { PgMajor } from '../../scenario/types.ts';
import type { Micros } from '../../engine/time.ts';

/** The process that logs a line (its backend_type, as %b prints it in log_line_prefix), or a client program. */
export type PgProcess = 'postmaster' | 'startup' | 'walreceiver' | 'walsender' | 'checkpointer' | 'archiver' | 'autovacuum worker' | 'autovacuum launcher' | 'logical replication worker' | 'client backend' | 'standalone backend' | ClientTool;
/** Client programs: their lines print as `pg_basebackup: message` (the message carries `error: ` from 12). */
export type ClientTool = 'pg_basebackup' | 'pg_rewind' | 'pg_ctl';
const CLIENT_TOOLS: ReadonlySet<PgProcess> = new Set<ClientTool>(['pg_basebackup', 'pg_rewind', 'pg_ctl']);
export type PgLevel = 'LOG' | 'WARNING' | 'ERROR' | 'FATAL' | 'PANIC' | 'INFO';

/** The data directory the model's messages name ($PGDATA: the official image's). */
export const PGDATA = '/var/lib/postgresql/data';

export interface LogLine {
  readonly process: PgProcess;
  readonly level: PgLevel;
  readonly message: string;
  readonly detail?: string;
  readonly hint?: string;
  readonly context?: string;
  /** The statement the process was running (elog.c: log_min_error_statement, ERROR by default, and LOG count). */
  readonly statement?: string;
  /**
   * Server chatter: a line every server writes whatever replication does (at a start `listening on`, `redo starts
   * at`; with log_checkpoints, `checkpoint starting`; ...). Recorded with the event for the conformance harness,
   * which compares every line per process, and hidden by the reports.
   */
  readonly chatter?: true;
}

export function renderLogLine(l: LogLine): string {
  let out = CLIENT_TOOLS.has(l.process) ? `${l.process}: ${l.message}` : `${l.process} ${l.level}:  ${l.message}`;
  if (l.detail) out += `\n\tDETAIL:  ${l.detail}`;
  if (l.hint) out += `\n\tHINT:  ${l.hint}`;
  if (l.context) out += `\n\tCONTEXT:  ${l.context}`;
  if (l.statement) out += `\n\tSTATEMENT:  ${l.statement}`;
  return out;
}

/** walsender.c InitWalSenderSlot (up to 11), proc.c InitProcess (12+): the setting's name quoted from 17 (observed on 16.14, 17.10). */
export function tooManyWalSendersText(version: number, max: number): string {
  return `number of requested standby connections exceeds ${version >= 17 ? '"max_wal_senders"' : 'max_wal_senders'} (currently ${max})`;
}

/** slot.c ReplicationSlotCreate: ERROR `all replication slots are in use`, the HINT's setting quoted from 17 (observed on 10.23 to 17.10). */
export function slotsInUse(version: number): LogLine {
  return { process: 'client backend', level: 'ERROR', message: 'all replication slots are in use', hint: `Free one or increase ${version >= 17 ? '"max_replication_slots"' : 'max_replication_slots'}.` };
}

const SYNC_DETAIL = 'The transaction has already committed locally, but might not have been replicated to the standby.';

const log = (process: PgProcess, message: string, detail?: string): LogLine =>
  detail === undefined ? { process, level: 'LOG', message } : { process, level: 'LOG', message, detail };

export const pgLog = {
  replicationTerminated: (tli: number, at: Lsn): LogLine =>
    log('walreceiver', 'replication terminated by primary server', `End of WAL reached on timeline ${tli} at ${formatLsn(at)}.`),
  /**
   * <= 9.2: the stream's end is an error of the walreceiver, which exits; the DETAIL naming the timeline came
   * with streaming across timelines in 9.3 (libpqwalreceiver.c libpqrcv_receive; 9.2 wording not verified
   * against a 9.2 log).
   */
  replicationTerminated92: (): LogLine => ({ process: 'walreceiver', level: 'FATAL', message: 'replication terminated by primary server' }),
  fetchingHistory: (tli: number): LogLine => log('walreceiver', `fetching timeline history file for timeline ${tli} from primary server`),
  /**
   * walreceiver.c WalReceiverMain, 9.3+ (observed on 13.23, 14.23, 15.18, 18.4); 9.0-9.2 libpqwalreceiver.c
   * libpqrcv_connect logged `streaming replication successfully connected to primary` (9.0 source).
   */
  startedStreaming: (version: PgMajor, at: Lsn, tli: number): LogLine =>
    version >= 9.3 ? log('walreceiver', `started streaming WAL from primary at ${formatLsn(at)} on timeline ${tli}`) : log('walreceiver', 'streaming replication successfully connected to primary'),
  /** A walreceiver that waited idle after the end of a timeline streams again on its connection (9.3+). */
  restartedStreaming: (at: Lsn, tli: number): LogLine => log('walreceiver', `restarted WAL streaming at ${formatLsn(at)} on timeline ${tli}`),
  /**
   * The startup process before each sleep of its retry loop (xlogrecovery.c WaitForWALToBecomeAvailable), 15+:
   * absent from the 13.1 and 14.13 sources and from 13.23 and 14.23 logs, present in 15.15, 15.18 and 18.4 logs.
   * `at` is the end of the next record header it wants: its WAL end + 24.
   */
  waitingForWal: (version: PgMajor, at: Lsn): LogLine | null =>
    version >= 15 ? log('startup', `waiting for WAL to become available at ${formatLsn(at)}`) : null,
  newTargetTimeline: (tli: number): LogLine => log('startup', `new target timeline is ${tli}`),
  notAChild: (newTli: number, current: number): LogLine =>
    log('startup', `new timeline ${newTli} is not a child of database system timeline ${current}`),
  forkedBefore: (newTli: number, current: number, replay: Lsn): LogLine =>
    log('startup', `new timeline ${newTli} forked off current database system timeline ${current} before current recovery point ${formatLsn(replay)}`),
  notInHistory: (start: Lsn, tli: number, forkTli: number, forkAt: Lsn): LogLine => ({
    process: 'walreceiver',
    level: 'FATAL',
    message: `could not start WAL streaming: ERROR:  requested starting point ${formatLsn(start)} on timeline ${tli} is not in this server's history`,
    detail: `This server's history forked from timeline ${forkTli} at ${formatLsn(forkAt)}.`,
  }),
  timelineNotInHistory: (tli: number): LogLine => ({
    process: 'walreceiver',
    level: 'FATAL',
    message: `could not start WAL streaming: ERROR:  requested timeline ${tli} is not in this server's history`,
  }),
  /** walreceiver.c WalReceiverMain: the upstream was not cloned from this standby's cluster. */
  systemIdentifierDiffers: (): LogLine => ({
    process: 'walreceiver',
    level: 'ERROR',
    message: 'database system identifier differs between the primary and standby',
  }),
  aheadOfFlush: (start: Lsn, flush: Lsn): LogLine => ({
    process: 'walreceiver',
    level: 'FATAL',
    message: `could not start WAL streaming: ERROR:  requested starting point ${formatLsn(start)} is ahead of the WAL flush position of this server ${formatLsn(flush)}`,
  }),
  upstreamBehind: (upstreamTli: number, recoveryTli: number): LogLine => ({
    process: 'walreceiver',
    level: 'FATAL',
    message: `highest timeline ${upstreamTli} of the primary is behind recovery timeline ${recoveryTli}`,
  }),
  /** <=9.2: no streaming across a timeline switch (libpqwalreceiver.c; rule 8). */
  timelineMismatch92: (upstreamTli: number, recoveryTli: number): LogLine => ({
    process: 'walreceiver',
    level: 'FATAL',
    message: `timeline ${upstreamTli} of the primary does not match recovery target timeline ${recoveryTli}`,
  }),
  walRemoved: (segment: string): LogLine => ({
    process: 'walreceiver',
    level: 'FATAL',
    message: `could not receive data from WAL stream: ERROR:  requested WAL segment ${segment} has already been removed`,
  }),
  /** The walreceiver cannot connect: the server refuses the connection (it is down). */
  couldNotConnect: (version: PgMajor, receiver: string, host: string): LogLine => receiverCannotConnect(version, receiver, libpqConnectFailure(version, host, 'Connection refused')),
  /** The walreceiver cannot connect: nothing answers (a network partition). */
  connectionTimedOut: (version: PgMajor, receiver: string, host: string): LogLine => receiverCannotConnect(version, receiver, libpqConnectFailure(version, host, 'Connection timed out')),
  /** The upstream refuses one more walsender (walsenders.ts; observed on 10.23 to 18.4). */
  tooManyWalSenders: (version: PgMajor, receiver: string, host: string, max: number): LogLine =>
    receiverCannotConnect(version, receiver, `${version >= 14 ? `${libpqServer(host)}: ` : ''}FATAL:  ${tooManyWalSendersText(version, max)}`),
  /** postmaster.c canAcceptConnections: the upstream has not read its checkpoint record yet (PM_STARTUP). */
  upstreamStartingUp: (version: PgMajor, receiver: string, host: string): LogLine =>
    receiverCannotConnect(version, receiver, `${version >= 14 ? `${libpqServer(host)}: ` : ''}FATAL:  the database system is starting up`),
  /**
   * An idle walreceiver's connection ended by its upstream's shutdown, noticed at the next IDENTIFY_SYSTEM: from 14
   * libpq reports the server's FATAL it had read (observed on 14.23 to 18.4), up to 13 the closed connection
   * (observed on 10.23 to 13.23).
   */
  identifySystemLost: (version: PgMajor): LogLine => ({
    process: 'walreceiver',
    level: 'FATAL',
    message: `could not receive database system identifier and timeline ID from the primary server: ${version >= 14 ? 'FATAL:  terminating connection due to administrator command' : CONNECTION_CLOSED}`,
  }),
  /** xlogrecovery.c StartupRequestWalReceiverRestart, on a reload that changed primary_conninfo. */
  walReceiverShutdownRequested: (): LogLine => log('startup', 'WAL receiver process shutdown requested'),
  receiverTimeout: (): LogLine => ({ process: 'walreceiver', level: 'FATAL', message: 'terminating walreceiver due to timeout' }),
  connectionLost: (): LogLine => ({
    process: 'walreceiver',
    level: 'FATAL',
    message: 'could not receive data from WAL stream: server closed the connection unexpectedly',
  }),
  /**
   * The walreceiver after `replication terminated by primary server` when its upstream shut down: the end of its
   * COPY cannot be sent on the closed connection (libpqwalreceiver.c libpqrcv_endstreaming, 9.3+), and the
   * walreceiver exits. libpq's message: up to 13 `no COPY in progress` alone; from 14 libpq keeps the earlier
   * errors of the operation (fe-exec.c, errorMessage accumulated since 14), so the closed connection comes first,
   * and 18 adds `invalid socket` (observed with conformance/messages-check.sh on 10.23 to 18.4).
   */
  endOfStreamingFailed: (version: PgMajor): LogLine => ({
    process: 'walreceiver',
    level: 'FATAL',
    message: `could not send end-of-streaming message to primary: ${
      version >= 14 ? `${CONNECTION_CLOSED}\n\t${version >= 18 ? 'invalid socket\n\t' : ''}no COPY in progress` : 'no COPY in progress'
    }`,
  }),
  promoteRequest: (): LogLine => log('startup', 'received promote request'),
  /**
   * xlogrecovery.c PerformWalRecovery (xlog.c StartupXLOG before 15): the start of the last record replayed; 14+
   * appends the startup process's resource usage since redo began (pg_rusage_show: CPU times, elapsed), observed
   * on 14.23 to 18.4 and absent on 10.23 to 13.23. The model spends no CPU: user and system are 0.00 s.
   */
  redoDone: (version: PgMajor, at: Lsn, elapsed: Micros): LogLine =>
    log('startup', `redo done at ${formatLsn(at)}${version >= 14 ? ` system usage: ${rusage(elapsed)}` : ''}`),
  selectedTimeline: (tli: number): LogLine => log('startup', `selected new timeline ID: ${tli}`),
  archiveRecoveryComplete: (): LogLine => log('startup', 'archive recovery complete'),
  readyToAccept: (): LogLine => log('postmaster', 'database system is ready to accept connections'),
  /** "read only" up to 13, "read-only" from 14 (conformance/messages-check.sh: 10.23 to 13.23, then 14.23 to 18.4). */
  readyToAcceptReadOnly: (version: PgMajor): LogLine => log('postmaster', `database system is ready to accept ${version >= 14 ? 'read-only' : 'read only'} connections`),
  enteringStandby: (): LogLine => log('startup', 'entering standby mode'),
  shutDown: (): LogLine => log('postmaster', 'database system is shut down'),
  /**
   * pg_ctl start while the postmaster is still shutting down (pg_ctl.c do_start; postmaster.c CreateLockFile via
   * miscinit.c): pg_ctl tries anyway and the new postmaster exits (observed on 15.18, docs/model-postgres.md).
   */
  lockFileExists: (): LogLine[] => [
    log('pg_ctl', 'another server might be running; trying to start server anyway'),
    { process: 'postmaster', level: 'FATAL', message: 'lock file "postmaster.pid" already exists', hint: `Is another postmaster (PID 1) running in data directory "${PGDATA}"?` },
    log('pg_ctl', 'could not start server\nExamine the log output.'),
  ],
  /** pg_ctl.c do_stop/do_restart: the postmaster did not exit within PGCTLTIMEOUT (observed on 15.18). */
  serverDoesNotShutDown: (smart = false): LogLine =>
    // pg_ctl.c do_stop: the HINT of a smart shutdown that timed out (observed on 15.18).
    smart
      ? { process: 'pg_ctl', level: 'LOG', message: 'server does not shut down', hint: 'The "-m fast" option immediately disconnects sessions rather than waiting for session-initiated disconnection.' }
      : log('pg_ctl', 'server does not shut down'),
  /** postmaster.c canAcceptConnections during a smart shutdown (observed on 15.18, a replication connection too). */
  upstreamShuttingDown: (version: PgMajor, receiver: string, host: string): LogLine =>
    receiverCannotConnect(version, receiver, `${version >= 14 ? `${libpqServer(host)}: ` : ''}FATAL:  the database system is shutting down`),
  interrupted: (): LogLine => log('startup', 'database system was interrupted; last known up at the crash'),
  /** xlogrecovery.c InitWalRecovery; 18 names the file (`Latest checkpoint in file "pg_control" is at`, observed on 18.4). */
  notAChildFatal: (version: PgMajor, tli: number, ckpt: Lsn, ckptTli: number, forkAt: Lsn): LogLine => ({
    process: 'startup',
    level: 'FATAL',
    message: `requested timeline ${tli} is not a child of this server's history`,
    detail: `Latest checkpoint ${version >= 18 ? 'in file "pg_control" ' : ''}is at ${formatLsn(ckpt)} on timeline ${ckptTli}, but in the history of the requested timeline, the server forked off from that timeline at ${formatLsn(forkAt)}.`,
  }),
  noMinRecoveryPointFatal: (tli: number, minRecoveryPoint: Lsn, mrpTli: number): LogLine => ({
    process: 'startup',
    level: 'FATAL',
    message: `requested timeline ${tli} does not contain minimum recovery point ${formatLsn(minRecoveryPoint)} on timeline ${mrpTli}`,
  }),
  /**
   * A promotion before the backup_label's redo record was read (xlogrecovery.c InitWalRecovery, xlog.c StartupXLOG
   * before 15): the redo point's WAL never arrived. `dataDir` is $PGDATA. The hint names recovery.signal from 12
   * (recovery.conf before, one line) and standby.signal too from 17, whose message gives both LSNs (the postgres
   * binaries of 10.23 to 18.4; [EXP] 15.18: a standby rewound from a source that had removed the redo's segment,
   * promoted while it waited for it).
   */
  redoLocationMissingFatal: (version: PgMajor, redo: Lsn, checkpoint: Lsn, dataDir: string): LogLine => ({
    process: 'startup',
    level: 'FATAL',
    message: version >= 17 ? `could not find redo location ${formatLsn(redo)} referenced by checkpoint record at ${formatLsn(checkpoint)}` : 'could not find redo location referenced by checkpoint record',
    hint:
      version >= 12
        ? `If you are restoring from a backup, touch "${dataDir}/recovery.signal"${version >= 17 ? ` or "${dataDir}/standby.signal"` : ''} and add required recovery options.\n\tIf you are not restoring from a backup, try removing the file "${dataDir}/backup_label".\n\tBe careful: removing "${dataDir}/backup_label" will result in a corrupt cluster if restoring from a backup.`
        : `If you are not restoring from a backup, try removing the file "${dataDir}/backup_label".`,
  }),
  /** xlog.c StartupXLOG: recovery ended (a promotion) before the backup's end (a pg_rewind's minRecoveryPoint) was replayed. */
  walEndsBeforeBackupEndFatal: (): LogLine => ({
    process: 'startup',
    level: 'FATAL',
    message: 'WAL ends before end of online backup',
    hint: 'All WAL generated while online backup was taken must be available at recovery.',
  }),
  targetTimelineMissingFatal: (tli: number): LogLine => ({
    process: 'startup',
    level: 'FATAL',
    message: `recovery target timeline ${tli} does not exist`,
  }),
  cannotChangeWithoutRestart: (param: string): LogLine =>
    log('postmaster', `parameter "${param}" cannot be changed without restarting the server`),
  parameterChanged: (param: string, value: string): LogLine => log('postmaster', `parameter "${param}" changed to "${value}"`),
  /**
   * A walsender whose standby stopped answering (cut-walsenders.ts): walsender.c WalSndCheckTimeOut after
   * wal_sender_timeout (COMMERROR, logged as LOG); without it, pqcomm.c internal_flush when TCP gives up
   * (COMMERROR), then postgres.c ProcessInterrupts' FATAL for the lost client.
   */
  walsenderTimedOut: (): LogLine => log('walsender', 'terminating walsender process due to replication timeout'),
  walsenderSendFailed: (): LogLine[] => [
    log('walsender', 'could not send data to client: Connection timed out'),
    { process: 'walsender', level: 'FATAL', message: 'connection to client lost' },
  ],
  /**
   * syncrep.c SyncRepReleaseWaiters, once each time a walsender becomes synchronous: 9.1-9.5 "the synchronous
   * standby" (one at most), 9.6+ "a synchronous standby" in priority mode, 10+ "a candidate for quorum
   * synchronous standby" for ANY (observed on 13.23, 14.23 and 18.4).
   */
  standbyIsSync: (version: PgMajor, app: string, method: 'first' | 'any', priority: number): LogLine =>
    log(
      'walsender',
      method === 'any'
        ? `standby "${app}" is now a candidate for quorum synchronous standby`
        : `standby "${app}" is now ${version >= 9.6 ? 'a' : 'the'} synchronous standby with priority ${priority}`,
    ),
  /**
   * syncrep.c SyncRepWaitForLSN, a backend whose wait for synchronous standbys is cancelled (pg_cancel_backend)
   * or terminated (pg_terminate_backend, then postgres.c ProcessInterrupts' FATAL); the same words on 10.23,
   * 15.18 and 18.4 (one pair per backend; 18.4 and 15.18 log the FATAL after a stray "backend> " prompt, as the
   * backend has stopped sending to its client).
   */
  syncWaitEnded: (how: 'cancel' | 'terminate'): LogLine[] =>
    how === 'cancel'
      ? [{ process: 'client backend', level: 'WARNING', message: 'canceling wait for synchronous replication due to user request', detail: SYNC_DETAIL }]
      : [
          { process: 'client backend', level: 'WARNING', message: 'canceling the wait for synchronous replication and terminating connection due to administrator command', detail: SYNC_DETAIL },
          { process: 'client backend', level: 'FATAL', message: 'terminating connection due to administrator command' },
        ],
};

/** libpq's text for a connection the server closed (fe-misc.c pqReadData / fe-protocol3.c). */
const CONNECTION_CLOSED = 'server closed the connection unexpectedly\n\tThis probably means the server terminated abnormally\n\tbefore or while processing the request.';

/** pg_rusage_show: `CPU: user: %d.%02d s, system: %d.%02d s, elapsed: %d.%02d s`. */
function rusage(elapsed: Micros): string {
  return `CPU: user: 0.00 s, system: 0.00 s, elapsed: ${(Math.floor(Math.max(0, elapsed) / 1e4) / 100).toFixed(2)} s`;
}

/** libpq's host part (fe-connect.c emitHostIdentityInfo, 14+); the model has no addresses, so the node's name alone. */
function libpqServer(host: string): string {
  return `connection to server at "${host}", port 5432 failed`;
}

/**
 * libpq's text for a failed connect() (fe-connect.c connectFailureMessage): up to 13 `could not connect to server:
 * %s` with a two-line hint naming the host and port; 14+ `connection to server at "%s" (%s), port %s failed: %s`
 * with a one-line hint (observed on 13.23, 14.23, 15.18, 18.4). The server prints the host's address in
 * parentheses when the host is a name; the model has names only and omits it.
 */
function libpqConnectFailure(version: PgMajor, host: string, reason: string): string {
  if (version >= 14) return `${libpqServer(host)}: ${reason}\n\tIs the server running on that host and accepting TCP/IP connections?`;
  return `could not connect to server: ${reason}\n\tIs the server running on host "${host}" and accepting\n\tTCP/IP connections on port 5432?`;
}

/**
 * The walreceiver's FATAL when it cannot connect (walreceiver.c WalReceiverMain, libpqwalreceiver.c before 10): 18
 * names the receiver, `streaming replication receiver "%s"` with cluster_name or "walreceiver" (observed on 18.4);
 * the model takes each node's name for its cluster_name, as it does for application_name.
 */
function receiverCannotConnect(version: PgMajor, receiver: string, libpq: string): LogLine {
  const who = version >= 18 ? `streaming replication receiver "${receiver}" could not connect` : 'could not connect';
  return { process: 'walreceiver', level: 'FATAL', message: `${who} to the primary server: ${libpq}` };
}

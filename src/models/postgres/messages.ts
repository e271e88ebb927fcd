/**
 * Server log lines a real PostgreSQL would print, verbatim from the sources cited per message
 * (../shared/domain/postgres.md §0 observed on 15.18; §1.4-1.5 from walreceiver.c, walsender.c,
 * xlogrecovery.c). The simulator records them so that a report reads like the servers' own logs.
 */
import { formatLsn, type Lsn } from './lsn.ts';
import type { PgMajor } from '../../scenario/types.ts';

export type PgProcess = 'postmaster' | 'startup' | 'walreceiver' | 'walsender' | 'checkpointer' | 'archiver';
export type PgLevel = 'LOG' | 'WARNING' | 'ERROR' | 'FATAL';

export interface LogLine {
  readonly process: PgProcess;
  readonly level: PgLevel;
  readonly message: string;
  readonly detail?: string;
  readonly hint?: string;
}

export function renderLogLine(l: LogLine): string {
  let out = `${l.process} ${l.level}:  ${l.message}`;
  if (l.detail) out += `\n\tDETAIL:  ${l.detail}`;
  if (l.hint) out += `\n\tHINT:  ${l.hint}`;
  return out;
}

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
  startedStreaming: (at: Lsn, tli: number): LogLine => log('walreceiver', `started streaming WAL from primary at ${formatLsn(at)} on timeline ${tli}`),
  restartedStreaming: (at: Lsn, tli: number): LogLine => log('walreceiver', `restarted WAL streaming at ${formatLsn(at)} on timeline ${tli}`),
  /** Printed by the startup process while it waits; present in 13+ logs (earlier versions: not verified, omitted). */
  waitingForWal: (version: PgMajor, at: Lsn): LogLine | null =>
    version >= 13 ? log('startup', `waiting for WAL to become available at ${formatLsn(at)}`) : null,
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
  couldNotConnect: (host: string): LogLine => ({
    process: 'walreceiver',
    level: 'FATAL',
    message: `could not connect to the primary server: connection to server at "${host}", port 5432 failed: Connection refused`,
  }),
  connectionTimedOut: (host: string): LogLine => ({
    process: 'walreceiver',
    level: 'FATAL',
    message: `could not connect to the primary server: connection to server at "${host}", port 5432 failed: Connection timed out`,
  }),
  /** postmaster.c canAcceptConnections: the upstream has not read its checkpoint record yet (PM_STARTUP). */
  upstreamStartingUp: (host: string): LogLine => ({
    process: 'walreceiver',
    level: 'FATAL',
    message: `could not connect to the primary server: connection to server at "${host}", port 5432 failed: FATAL:  the database system is starting up`,
  }),
  /** An idle walreceiver's connection ended by its upstream's shutdown, noticed at the next IDENTIFY_SYSTEM (observed on 15.18). */
  identifySystemLost: (): LogLine => ({
    process: 'walreceiver',
    level: 'FATAL',
    message: 'could not receive database system identifier and timeline ID from the primary server: FATAL:  terminating connection due to administrator command',
  }),
  /** xlogrecovery.c StartupRequestWalReceiverRestart, on a reload that changed primary_conninfo. */
  walReceiverShutdownRequested: (): LogLine => log('startup', 'WAL receiver process shutdown requested'),
  receiverTimeout: (): LogLine => ({ process: 'walreceiver', level: 'FATAL', message: 'terminating walreceiver due to timeout' }),
  connectionLost: (): LogLine => ({
    process: 'walreceiver',
    level: 'FATAL',
    message: 'could not receive data from WAL stream: server closed the connection unexpectedly',
  }),
  promoteRequest: (): LogLine => log('startup', 'received promote request'),
  redoDone: (at: Lsn): LogLine => log('startup', `redo done at ${formatLsn(at)}`),
  selectedTimeline: (tli: number): LogLine => log('startup', `selected new timeline ID: ${tli}`),
  archiveRecoveryComplete: (): LogLine => log('startup', 'archive recovery complete'),
  readyToAccept: (): LogLine => log('postmaster', 'database system is ready to accept connections'),
  readyToAcceptReadOnly: (): LogLine => log('postmaster', 'database system is ready to accept read-only connections'),
  enteringStandby: (): LogLine => log('startup', 'entering standby mode'),
  shutDown: (): LogLine => log('postmaster', 'database system is shut down'),
  interrupted: (): LogLine => log('startup', 'database system was interrupted; last known up at the crash'),
  crashRecoveryDone: (at: Lsn): LogLine => log('startup', `redo done at ${formatLsn(at)}`),
  notAChildFatal: (tli: number, ckpt: Lsn, ckptTli: number, forkAt: Lsn): LogLine => ({
    process: 'startup',
    level: 'FATAL',
    message: `requested timeline ${tli} is not a child of this server's history`,
    detail: `Latest checkpoint is at ${formatLsn(ckpt)} on timeline ${ckptTli}, but in the history of the requested timeline, the server forked off from that timeline at ${formatLsn(forkAt)}.`,
  }),
  noMinRecoveryPointFatal: (tli: number, minRecoveryPoint: Lsn, mrpTli: number): LogLine => ({
    process: 'startup',
    level: 'FATAL',
    message: `requested timeline ${tli} does not contain minimum recovery point ${formatLsn(minRecoveryPoint)} on timeline ${mrpTli}`,
  }),
  targetTimelineMissingFatal: (tli: number): LogLine => ({
    process: 'startup',
    level: 'FATAL',
    message: `recovery target timeline ${tli} does not exist`,
  }),
  cannotChangeWithoutRestart: (param: string): LogLine =>
    log('postmaster', `parameter "${param}" cannot be changed without restarting the server`),
  parameterChanged: (param: string, value: string): LogLine => log('postmaster', `parameter "${param}" changed to "${value}"`),
  standbyIsSync: (app: string): LogLine => log('walsender', `standby "${app}" is now a synchronous standby with priority 1`),
};

/** The prose of server facts (history/facts/server.ts). */
import type { ServerFact } from '../../../history/facts/server.ts';
import { formatVersion } from '../../../models/postgres/settings.ts';
import { counted, duration, size } from '../../format.ts';
import { code, join, lsn, node, p } from '../parts.ts';
import type { TemplatesOf } from './types.ts';

const SETTINGS_HOW = { 'pending-restart': '; pending until the next restart', restart: '; restarting, as the setting requires', reload: ' (reload)' } as const;

export const SERVER: TemplatesOf<ServerFact> = {
  'promotion-ignored': (f) => p`promotion of ${node(f.node)} ignored: ${f.running ? 'the server is not in standby mode' : 'the server is not running'}`,
  'promotion-refused': (f) => p`promotion of ${node(f.node)} refused: it has not read its checkpoint record yet (pg_ctl: cannot promote server; server is not in standby mode)`,
  promoted: (f, sub) =>
    p`${node(f.node)} promoted ${f.by.kind === 'plan' ? 'by the plan' : p`by the failover manager (${f.by.policy}): ${sub(f.by.why)}`}: timeline ${f.timeline} begins at ${lsn(f.lsn)} (parent timeline ${f.parentTimeline})${f.historyReason !== undefined ? `; its history file gives the reason "${f.historyReason}"` : ''}`,
  'receiver-promoted': () => 'promoted',
  demoted: (f, sub) =>
    f.rebuild
      ? p`${node(f.node)} demoted (${f.how} stop, left stopped as a standby until it is rebuilt): ${sub(f.why)}`
      : p`${node(f.node)} demoted (${f.how} stop, restarted as a standby${f.upstream !== null ? p` of ${node(f.upstream)}` : p` without ${code('primary_conninfo')}`}): ${sub(f.why)}`,
  'reconfigured-as-standby': (f) => p`${node(f.node)} reconfigured as a standby of ${node(f.upstream)} (standby.signal) and restarted`,
  'repoint-needs-restart': (f) => p`${node(f.node)} now streams from ${node(f.upstream)}; ${code('primary_conninfo')} needs a restart on ${formatVersion(f.version)}`,
  'repoint-dropped': (f) =>
    p`${code('primary_conninfo')} of ${node(f.node)} now names ${node(f.upstream)} (reloaded), but its walreceiver, idle since ${node(f.previous)} ended the stream at the end of a timeline, keeps its connection to ${node(f.previous)}: the restart request is dropped, and ${node(f.node)} reaches ${node(f.upstream)} only once that connection breaks or the server restarts`,
  repointed: (f) => p`${node(f.node)} now streams from ${node(f.upstream)} (${code('primary_conninfo')} reloaded; the walreceiver restarts)`,
  'walreceiver-restarts-for-slot': (f) => p`the walreceiver of ${node(f.node)} restarts to stream through ${code(`primary_slot_name = '${f.slot}'`)}`,
  'settings-changed': (f) =>
    p`${join(f.settings.map(code))} changed on ${node(f.node)}${SETTINGS_HOW[f.how]}${f.by ? p` by ${f.by.kind === 'patroni' ? p`Patroni on the leader ${node(f.by.node)}` : p`the pg_auto_failover keeper of ${node(f.by.node)}, in the goal state ${f.by.goal}`}` : ''}`,
  'host-crash-lost-unflushed': (f) =>
    p`the host of ${node(f.node)} crashed with ${size(f.bytes)} of received WAL written to its page cache but not yet fsynced (a ${duration(f.fsync / 1e6)} WAL fsync's worth): it is gone, though a primary with ${code('synchronous_commit = remote_write')} acknowledges commits once a standby has written them`,
  'crash-lost-unflushed': (f) =>
    p`${node(f.node)} crashed with ${size(f.bytes)} of WAL inserted but not flushed: with ${code('synchronous_commit = off')} commits are acknowledged before the WAL writer flushes them (every ${code(`wal_writer_delay = ${f.walWriterDelay / 1000} ms`)}; PostgreSQL documents a window of up to three times that)`,
  down: (f) =>
    p`${node(f.node)} ${
      f.mode === 'immediate'
        ? 'was stopped in immediate mode (every process killed, no shutdown checkpoint: crash recovery at the next start)'
        : f.how === 'crashed'
          ? 'crashed'
          : f.sessionsEndedAfter !== undefined
            ? `was shut down (smart mode: its last client session ended ${duration(f.sessionsEndedAfter / 1e6)} after the request)`
            : 'was shut down'
    } at ${lsn(f.lsn)} on timeline ${f.timeline}${
      f.draining.length > 0
        ? p`; it refuses connections, but its walsenders still send the WAL their standbys lag behind (${join(f.draining.map((d) => p`${size(d.bytes)} to ${node(d.node)}`))}), and its postmaster exits only when each standby has confirmed it`
        : ''
    }`,
  'shutdown-complete': (f) =>
    p`${node(f.node)}'s postmaster ${f.how === 'exited' ? 'exits' : 'is killed'} ${duration(f.after / 1e6)} after its shutdown began: ${join(
      f.drains.map((d) => (d.left > 0 ? p`${node(d.node)} got ${size(d.sent)} and never the last ${size(d.left)}` : p`${node(d.node)} got all ${size(d.sent)}`)),
    )}`,
  'start-refused-shutting-down': (f) => p`${node(f.node)} does not start: its postmaster is still shutting down, waiting for its walsenders (lock file ${code('postmaster.pid')} already exists)`,
  'pg-ctl-gave-up': (f) =>
    p`pg_ctl ${f.op} -m ${f.mode} of ${node(f.node)} gave up after ${duration(f.waited / 1e6)} (${code('PGCTLTIMEOUT')}): ${
      f.waitingFor === 'sessions' ? 'its client sessions are still connected, and the server goes on taking their writes' : 'the server still waits for its walsenders'
    }${f.op === 'restart' ? ', and it is not started again' : ''}`,
  'smart-shutdown-waits': (f) =>
    p`${node(f.node)} received a smart shutdown request: it refuses new connections but waits for the sessions already connected (${join(
      f.workloads.map((w) => p`${counted(w.connections, 'connection')} of ${w.name}`),
    )}), which go on writing until they disconnect`,
  'receiver-down': (f) => p`${node(f.node)} ${f.how === 'crashed' ? 'crashed' : 'was shut down'}`,
  'no-data-directory': (f) => p`${node(f.node)} does not start: its data directory is ${f.state === 'empty' ? 'empty' : 'still being copied into'}`,
  'started-primary': (f) => p`${node(f.node)} started as a primary on timeline ${f.timeline}${f.crashRecovery ? ' after crash recovery (which keeps the timeline)' : ''}`,
  'started-standby': (f) =>
    f.consistentAt === undefined
      ? p`${node(f.node)} started as a standby, recovery target timeline ${f.targetTimeline}`
      : p`${node(f.node)} started as a standby, recovery target timeline ${f.targetTimeline}; it is not consistent until its replay reaches ${lsn(f.consistentAt)} (the source's end at pg_rewind) and accepts no connections until then`,
  'recovery-consistent': (f) => p`${node(f.node)} reached a consistent recovery state at ${lsn(f.lsn)} and accepts read-only connections`,
  'promotion-failed-inconsistent': (f) =>
    f.redoMissing
      ? p`the promotion of ${node(f.node)} fails: it never received the WAL at its pg_rewind's redo point, so its recovery never began and is not consistent (it needs WAL up to ${lsn(f.consistentAt)}); the startup process exits and the server stops: ${f.error}`
      : p`the promotion of ${node(f.node)} fails: its WAL ends at ${lsn(f.lsn)}, before ${lsn(f.consistentAt)}, the source's end at pg_rewind, so its recovery is not consistent; the startup process exits and the server stops: ${f.error}`,
  'started-standby-checkpoint-unreadable': (f) =>
    f.cause === 'not-in-target'
      ? p`${node(f.node)} started as a standby, recovery target timeline ${f.targetTimeline}, but cannot read its checkpoint record (${lsn(f.checkpointLsn)} on timeline ${f.checkpointTimeline}, a timeline not in the target's history): it waits for it and accepts no connections`
      : p`${node(f.node)} started as a standby, recovery target timeline ${f.targetTimeline}, but cannot read its checkpoint record (${lsn(f.checkpointLsn)} on timeline ${f.checkpointTimeline}): a sibling timeline with the same ID wrote its WAL over it in pg_wal; it waits for it and accepts no connections`,
  'start-refused': (f) => p`${node(f.node)} does not start: ${f.error}`,
  'receiver-start-refused': (f) => p`startup FATAL: ${f.error}`,
  'checkpoint-requested': (f) => p`CHECKPOINT on ${node(f.node)}`,
};

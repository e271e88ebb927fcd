/** The prose of WAL, archive, slot and replay facts (history/facts/storage.ts). */
import type { StorageFact } from '../../../history/facts/storage.ts';
import { count, counted, duration, percent, rate, settingSize, size } from '../../format.ts';
import { code, join, lsn, node, p } from '../parts.ts';
import type { TemplatesOf } from './types.ts';

const xminOf = (logical: boolean): string => (logical ? 'catalog_xmin' : 'xmin');

export const STORAGE: TemplatesOf<StorageFact> = {
  'promotion-waits-for-replay': (f) =>
    p`promotion of ${node(f.node)} requested: its startup process first replays the ${size(f.bytes)} of WAL it has received and not replayed (${code('replay_rate')} ${rate(f.replayRate)}: about ${duration(f.bytes / f.replayRate)} if no more arrives); until then it is a standby and its walreceiver keeps streaming`,
  'promotion-waits-for-archive': (f) =>
    p`promotion of ${node(f.node)} requested at ${lsn(f.lsn)}: the archive holds its WAL up to ${lsn(f.archivedLsn)} (${size(f.archivedLsn - f.lsn)} more), and its startup process restores and replays what the archive has before it checks the trigger; until then it is a standby`,
  'failover-slots-synced': (f) =>
    p`${node(f.node)} synchronized ${f.slots.length === 1 ? 'the failover slot' : 'the failover slots'} of ${node(f.from)} (${code('sync_replication_slots')}, 17+): ${join(
      f.slots.map((x) => p`"${x.slot}"${x.restartLsn !== null ? p` from ${lsn(x.restartLsn)}` : ''}`),
    )} ${f.slots.length === 1 ? 'goes' : 'go'} on on ${node(f.node)}, ${f.slots.some((x) => x.active) ? 'where the consumers reconnect' : 'holding its WAL and catalog_xmin there as on the old primary'}${join(
      f.slots
        .filter((x) => x.ahead !== undefined)
        .map(
          (x) =>
            p`; the consumer of "${x.slot}" had been sent ${size(x.ahead!)} of WAL past the switchpoint, changes ${node(f.node)} never had: it resumes from its own position, so ${node(f.node)}'s changes up to there are never sent to it (${code('synchronized_standby_slots')} naming ${node(f.node)}'s slot makes consumers wait for it)`,
        ),
      '',
    )}`,
  'promotion-waits-for-conflict': (f) =>
    p`promotion of ${node(f.node)} requested: its startup process first replays the ${size(f.bytes)} of WAL it has received, and its replay waits for ${f.queries.length === 1 ? 'the query' : 'the queries'} ${join(f.queries.map((q) => p`"${q}"`))} in conflict with it (${f.conflict}); until then it is a standby and has no writable primary role`,
  'recovery-conflict-wait': (f) =>
    p`replay on ${node(f.node)} stops at ${lsn(f.lsn)}: the ${f.conflict === 'lock' ? p`AccessExclusiveLock on ${f.table}${f.holder ? ` taken by ${f.holder}` : ''}` : p`removal of row versions of ${f.table}`} conflicts with ${f.queries.length === 1 ? 'the query' : 'the queries'} ${join(f.queries.map((q) => p`"${q}"`))} there; ${
      f.cancelIn === null
        ? p`with ${code(`${f.setting} = -1`)} it waits until they end`
        : p`they are cancelled ${f.cancelIn === 0 ? 'at once' : p`in ${duration(f.cancelIn / 1e6)}`}: ${code(f.setting)} is ${duration(f.delay! / 1e6)}, counted from when ${f.setting === 'max_standby_archive_delay' ? 'the startup process opened the WAL file' : 'replay last caught up with what it received'}${f.behind > 0 ? p` (${duration(f.behind / 1e6)} ago)` : ''}`
    }; the WAL received meanwhile waits`,
  'recovery-conflict-cancel': (f) =>
    p`${f.idle ? 'terminated the session' : 'cancelled the query'} "${f.session}" on ${node(f.node)} after replay waited ${duration(f.waited / 1e6)}: it ${f.conflict === 'lock' ? p`held a lock on ${f.table} the replayed AccessExclusiveLock needs` : p`might have needed row versions of ${f.table} the replayed cleanup removes`}`,
  'standby-lock-wait': (f) =>
    p`query "${f.session}" on ${node(f.node)} waits to read ${f.table}: the standby's startup process holds the ACCESS EXCLUSIVE lock it replayed from ${f.holder}, until it replays the end of that transaction on the primary`,
  'standby-lock-granted': (f) => p`query "${f.session}" on ${node(f.node)} gets its lock on ${f.table} after waiting ${duration(f.waited / 1e6)}: replay reached the end of the transaction that held it`,
  'recovery-conflict-resolved': (f) => p`replay on ${node(f.node)} goes on after waiting ${duration(f.waited / 1e6)}: the conflicting queries ended`,
  'promotion-abandoned': (f) => p`promotion of ${node(f.node)} abandoned: the server stopped before its startup process had replayed the WAL it received`,
  'replay-falls-behind': (f) =>
    p`replay on ${node(f.node)} falls behind what it receives: WAL arrives at ${rate(f.incoming)} and its startup process replays at most ${rate(f.replayRate)} (${code('replay_rate')})`,
  'replay-caught-up': (f) => p`replay on ${node(f.node)} has caught up with the WAL it received`,
  'stream-falls-behind': (f) =>
    p`${node(f.node)} falls behind ${node(f.upstream)}: WAL comes at ${rate(f.incoming)} and its stream carries ${rate(f.carried)}, ${
      f.bound === 'disk'
        ? p`what its disk writes (${rate(f.diskThroughput)}): its walreceiver writes and fsyncs each message before it reads the next`
        : f.bound === 'window'
        ? `one TCP window of ${size(f.window)} per ${duration(f.rtt / 1e6)} round trip`
        : f.bound === 'loss'
          ? `what TCP carries with ${percent(f.loss)} of packets lost over a ${duration(f.rtt / 1e6)} round trip`
          : f.sharing > 1
            ? `its share of the link's ${rate(f.bandwidth)} with ${count(f.sharing - 1)} other stream${f.sharing > 2 ? 's' : ''}, less 3% for TCP and IP headers`
            : `the link's ${rate(f.bandwidth)} less 3% for TCP and IP headers`
    }`,
  'stream-caught-up': (f) => p`${node(f.node)} has caught up with ${node(f.upstream)}`,
  'archiving-not-configured': (f) => p`${node(f.node)} has ${code(`archive_mode = ${f.archiveMode}`)} but no ${code('archive_command')}: completed segments wait in pg_wal for ever`,
  'archiving-again': (f) => p`${code('archive_command')} of ${node(f.node)} succeeds again: ${count(f.segments)} completed segments wait to be archived`,
  'archiving-fails': (f) =>
    p`${f.why.kind === 'unreachable' ? p`the archive at site ${f.why.site} is unreachable from ${node(f.node)}` : p`${code('archive_command')} of ${node(f.node)} fails (exit code ${f.why.exitCode})`}: ${code(f.segment)} and the segments after it stay in pg_wal until archived`,
  'sync-waits-ended': (f) =>
    f.how === 'shutdown'
      ? p`the fast shutdown of ${node(f.node)} terminated the wait of ${counted(f.commits, 'commit')} for synchronous standbys (${lsn(f.fromLsn)} to ${lsn(f.toLsn)}): committed and flushed locally, not confirmed by a synchronous standby; their connections were closed, their clients told nothing; they become visible if ${node(f.node)} starts again as a primary`
      : p`${f.how === 'cancel' ? 'cancelled' : 'terminated'} the wait of ${counted(f.commits, 'commit')} on ${node(f.node)} for synchronous standbys (${lsn(f.fromLsn)} to ${lsn(f.toLsn)}): committed locally and visible from now on, on no synchronous standby; ${f.how === 'cancel' ? 'their clients were answered COMMIT with a WARNING' : 'their connections were closed, their clients told nothing'}`,
  'sync-standby': (f) => p`${node(f.node)} is now ${f.quorum ? 'a candidate for the quorum of' : 'a'} synchronous standby of ${node(f.primary)}`,
  'walsender-cut-off': (f) =>
    p`${node(f.node)} hears nothing from ${node(f.standby)} behind the cut, but its walsender lives on${f.synchronous ? ' (still the synchronous standby that commits wait for)' : ''} for ${f.walSenderTimeout > 0 ? code(`wal_sender_timeout = ${duration(f.walSenderTimeout / 1e6)}`) : p`${duration(f.exitAfter / 1e6)}, until TCP gives up on the WAL it sends (${code('wal_sender_timeout = 0')}, tcp_retries2)`}`,
  'walsender-exited': (f) =>
    f.how === 'timeout'
      ? p`the walsender of ${node(f.node)} for ${node(f.standby)} exits after ${code(`wal_sender_timeout = ${duration(f.walSenderTimeout / 1e6)}`)} without a reply`
      : f.how === 'tcp'
        ? p`the walsender of ${node(f.node)} for ${node(f.standby)} exits: TCP gave up on the WAL it sent (${code('wal_sender_timeout = 0')})`
        : p`the walsender of ${node(f.node)} for ${node(f.standby)} exits: the healed path met the standby's closed connection (reset)`,
  'logical-slots-left-behind': (f) =>
    p`${node(f.node)} has no logical replication slot: ${join(f.slots.map((x) => p`"${x.slot}" on ${node(x.node)}`))} ${f.slots.length === 1 ? 'stays' : 'stay'} there, as PostgreSQL copies no slot to a standby${f.version >= 17 ? ' (from 17 only a slot created with failover = true, synchronized by a standby with sync_replication_slots = on)' : ''}${f.lacks === undefined ? '' : f.lacks === 'sync_replication_slots' ? p`; ${node(f.node)} did not synchronize the failover slots: ${code('sync_replication_slots')} is off` : p`; ${node(f.node)} did not synchronize the failover slots: "replication slot synchronization requires \"${f.lacks}\" to ${f.lacks === 'primary_slot_name' ? 'be set' : 'be enabled'}"`}: ${f.slots.length === 1 ? 'its consumer' : 'their consumers'} cannot go on on ${node(f.node)} ("replication slot does not exist") and must start again from a new slot and snapshot, the changes in between never decoded`,
  'checkpoints-too-frequent': (f) =>
    p`${node(f.node)} starts checkpoints for WAL volume every ${duration(f.apart)} (every ${count(f.segments)} segments of WAL), less than ${code(`checkpoint_warning = ${f.checkpointWarning / 1e6} s`)}`,
  'slot-created': (f) => `replication slot "${f.slot}" created (${f.slotKind}${f.database ? `, database ${f.database}` : ''}), consumer ${f.consumer}`,
  'slot-dropped': (f) => `replication slot "${f.slot}" dropped: its ${xminOf(f.logical)} and restart_lsn no longer hold anything`,
  'slot-consumer-resumed': (f) => `the consumer of slot "${f.slot}" streams again and catches up`,
  'slot-consumer-stopped': (f) =>
    f.xmin === null ? p`the consumer of slot "${f.slot}" stopped: restart_lsn stays at ${lsn(f.restartLsn)}` : p`the consumer of slot "${f.slot}" stopped: restart_lsn stays at ${lsn(f.restartLsn)} and ${xminOf(f.logical)} at ${f.xmin}`,
  'slot-consumer-refused': (f) => `the consumer of slot "${f.slot}" cannot use it: the slot was invalidated`,
  'slot-drop-refused': (f) =>
    p`slot "${f.slot}" is not dropped: ${f.standby !== null ? p`${node(f.standby)} streams through it` : 'its consumer is connected'}, and a slot in use cannot be dropped; it keeps its WAL and its xmin until its walsender is gone (pg_terminate_backend, or the consumer stopped)`,
  'slot-op-server-down': (f) =>
    p`slot "${f.slot}" is not ${f.op === 'drop' ? 'dropped' : 'created'}: ${code(f.op === 'drop' ? 'pg_drop_replication_slot' : 'pg_create_replication_slot')} runs in a session on ${node(f.node)}, which is not running${f.op === 'drop' ? ' (the slot keeps its WAL and its xmin)' : ''}`,
  'pg-wal-full': (f) => p`pg_wal on ${node(f.node)} is full (${size(f.volume)}): the server stops, and cannot start again while the volume is full`,
  'promotion-failed-pg-wal-full': (f) => p`the promotion of ${node(f.node)} fails: its pg_wal volume (${size(f.volume)}) has no room for the new timeline's first segment, and the server shuts down`,
  'alert-fires': (f) => `alert "${f.alert}" fires: ${f.metric} = ${count(f.value)} has been above ${count(f.above)} for ${duration(f.for / 1e6)}`,
};

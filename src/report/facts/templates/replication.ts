/** The prose of replication facts (history/facts/replication.ts). */
import type { ReplicationFact, RestoreEnd } from '../../../history/facts/replication.ts';
import { formatVersion } from '../../../models/postgres/settings.ts';
import { count, counted, duration, settingSize, size } from '../../format.ts';
import { code, lsn, node, p, type Token } from '../parts.ts';
import type { TemplatesOf } from './types.ts';

function restoreEnd(e: RestoreEnd): Token {
  switch (e.kind) {
    case 'streams':
      return p`then it streams from ${node(e.upstream)}`;
    case 'promoted':
      return 'then it was promoted';
    case 'down':
      return `then it ${e.how === 'crashed' ? 'crashed' : 'was shut down'}`;
    case 'run-ended':
      return 'the run ended before it streamed again';
  }
}

export const REPLICATION: TemplatesOf<ReplicationFact> = {
  'no-primary-conninfo': () => p`no ${code('primary_conninfo')}: the standby replays only what it has`,
  'upstream-shut-down': (f) => p`${node(f.upstream)} was shut down: ${node(f.node)}'s walreceiver finds its connection gone`,
  'upstream-unreachable': (f) => p`${node(f.upstream)} is unreachable from ${node(f.node)}${f.upstreamRunning ? '' : ' (and not running)'}`,
  'upstream-not-running': (f) => p`${node(f.upstream)} is not running`,
  'upstream-starting-up': (f) => p`${node(f.upstream)} is starting up (it has not read its checkpoint record) and accepts no connections`,
  'upstream-shutting-down': (f) => p`${node(f.upstream)} is in a smart shutdown: it refuses new connections while its client sessions go on`,
  'system-identifier-differs': (f) => p`${node(f.upstream)} is another database system than ${node(f.node)} (not cloned from the same cluster): it cannot stream from it`,
  'timeline-switch-before-9.3': (f) =>
    p`${node(f.node)} runs ${formatVersion(f.version)}: before 9.3 streaming cannot cross a timeline switch (${node(f.upstream)} is on ${f.upstreamTimeline}, recovery target ${f.targetTimeline})`,
  'upstream-timeline-behind': (f) => p`${node(f.upstream)} is on timeline ${f.upstreamTimeline}, behind timeline ${f.timeline} that ${node(f.node)} asks to stream`,
  'checkpoint-not-in-target': (f) =>
    p`${node(f.node)} cannot read its checkpoint record: the checkpoint is on timeline ${f.timeline}, which is not in the history of its recovery target timeline ${f.targetTimeline}; it waits for the record, accepts no connections and streams timeline ${f.timeline} from ${node(f.upstream)} in vain`,
  'checkpoint-overwritten': (f) =>
    p`${node(f.node)} cannot read its checkpoint record at ${lsn(f.checkpointLsn)}: ${node(f.upstream)}'s timeline ${f.timeline}, another history with the same ID, was written over it in pg_wal; the startup process rejects what the walreceiver brings and stops it, so the server stays in startup and accepts no connections`,
  'same-tli-different-history': (f) =>
    p`${node(f.node)}'s timeline ${f.timeline} and ${node(f.upstream)}'s timeline ${f.timeline} are different histories (two promotions chose the same timeline ID without seeing each other's history file): the WAL ${node(f.upstream)} sends does not continue ${node(f.node)}'s, which cannot replay it`,
  'ahead-of-upstream': (f) =>
    p`${node(f.node)} is ahead of ${node(f.upstream)}'s WAL (${lsn(f.lsn)} > ${lsn(f.upstreamLsn)})${f.startLsn !== undefined ? p`: ${node(f.upstream)} accepts the start at ${lsn(f.startLsn)} but has nothing new to send` : ''}`,
  'walsenders-exhausted': (f) => p`${node(f.upstream)} refuses ${node(f.node)}'s replication connection: its ${count(f.max)} walsender slots (${code('max_wal_senders')}) are taken`,
  'receiver-pg-wal-full': (f) => p`pg_wal on ${node(f.node)} is full (${size(f.volume)}): its walreceiver cannot write what ${node(f.upstream)} sends, and tries again every ${code('wal_retrieve_retry_interval')} until a restartpoint removes WAL`,
  'slot-refused': (f) => p`${node(f.node)} streams through slot "${f.slot}" (${code('primary_slot_name')}), which ${node(f.upstream)} refuses: ${f.error}`,
  'timeline-not-in-upstream-history': (f) => p`timeline ${f.timeline} is not in ${node(f.upstream)}'s history`,
  'upstream-left-timeline': (f) =>
    p`${node(f.upstream)}'s history left timeline ${f.timeline} at ${lsn(f.switchLsn)}, before the start of the segment ${node(f.node)} asks for (${lsn(f.startLsn)}; its WAL ends at ${lsn(f.lsn)})`,
  'segment-already-removed': (f, sub) => p`${node(f.upstream)} has already removed WAL segment ${code(f.segment)}, where ${node(f.node)} must restart streaming (${sub(f.retention)})`,
  'segment-removed': (f, sub) =>
    p`${node(f.upstream)} removed WAL segment ${code(f.segment)} at a checkpoint before ${node(f.node)} received it (${sub(f.retention)}; ${node(f.node)} was ${size(f.behind)} behind)`,
  'wal-retention': (f) =>
    p`${node(f.node)} keeps WAL back to ${f.version >= 11 ? 'the redo point of its last checkpoint' : 'the redo point of the checkpoint before its last (two checkpoint cycles, up to 10)'}, plus ${code(`${f.walKeep.setting} = ${f.walKeep.setting === 'wal_keep_size' ? settingSize(f.walKeep.value) : f.walKeep.value}`)}`,
  'slot-invalidated-note': (f) =>
    p`its slot "${f.slot}" on ${node(f.upstream)} was invalidated at a checkpoint ${f.idle === true ? p`for being unused longer than ${code('idle_replication_slot_timeout')}` : p`for retaining more than ${code('max_slot_wal_keep_size')}`}${f.upstreamVersion < 18 ? p`; before 18 the walsender does not check a physical slot's invalidation, so ${node(f.node)} learns it only from the removed segment` : ''}`,
  'slots-capped': () => p`its slots were capped at ${code('max_slot_wal_keep_size')}`,
  'timeline-not-a-child': (f) => p`timeline ${f.timeline} is not a child of ${node(f.node)}'s timeline ${f.nodeTimeline}`,
  'timeline-forked-before-replay': (f) =>
    p`timeline ${f.timeline} forked off timeline ${f.nodeTimeline} at ${lsn(f.switchLsn)}, before ${node(f.node)}'s replay position ${lsn(f.replayLsn)}: ${node(f.node)} has diverged`,
  'timeline-not-followed': (f) =>
    p`${node(f.node)} stays on timeline ${f.timeline} at ${lsn(f.lsn)}, the switchpoint of ${node(f.upstream)}'s timeline ${f.upstreamTimeline}: ${code(`recovery_target_timeline = '${f.goal}'`)}${f.defaultOf !== null ? ` (the ${formatVersion(f.defaultOf)} default)` : ''} never switches timelines, so the walreceiver restarts streaming of timeline ${f.timeline} every ${duration(f.retryInterval / 1e6)} and receives nothing, without an error`,
  'cannot-follow': (f) => p`${node(f.node)} cannot follow timeline ${f.timeline} and waits at ${lsn(f.lsn)}`,
  'connection-lost': (f) =>
    f.how === 'partition'
      ? p`${node(f.node)} lost its connection to ${node(f.upstream)} (no data for ${code('wal_receiver_timeout')})`
      : p`${node(f.upstream)} ${f.mode === 'immediate' ? 'was stopped in immediate mode' : f.how}: ${node(f.node)}'s walreceiver lost its connection`,
  'with-refusal': (f, sub) => p`${sub(f.fact)}; ${f.refusal ? sub(f.refusal) : ''}`,
  streaming: (f) => p`streaming from ${node(f.upstream)} on timeline ${f.timeline} from ${lsn(f.lsn)}${f.switchLsn !== null ? p` up to the switchpoint ${lsn(f.switchLsn)}` : ''}`,
  receiving: (f) => p`streaming from ${node(f.upstream)} on timeline ${f.timeline}`,
  'history-file-fetched': (f) => p`fetched history file of timeline ${f.timeline} from ${node(f.upstream)}`,
  'follows-timeline': (f) =>
    p`${node(f.node)} follows timeline ${f.timeline} (${code('recovery_target_timeline = latest')}${f.currentReadAsLatest !== null ? `: 'current' was written in recovery.conf, which ${formatVersion(f.currentReadAsLatest)} does not know as a keyword: strtoul reads the word as timeline 0, and 0 means latest` : ''}${f.historyFromArchive !== undefined ? p`; its history file restored from the WAL archive at site ${f.historyFromArchive} by ${code('restore_command')}` : ''})`,
  'unreplayed-wal-discarded': (f) =>
    p`${node(f.node)} discards ${size(f.bytes)} of timeline ${f.timeline} received past the switchpoint ${lsn(f.switchLsn)} but not replayed (${code('recovery_min_apply_delay')})`,
  'stream-ended': (f) =>
    f.upstreamTimeline !== null
      ? p`${node(f.upstream)} ended streaming of timeline ${f.timeline} at ${lsn(f.switchLsn)}, where its timeline ${f.upstreamTimeline} begins`
      : p`${node(f.upstream)} ended streaming of timeline ${f.timeline} at its switchpoint ${lsn(f.switchLsn)}`,
  'wal-arrives-again': (f) => p`WAL from ${node(f.upstream)} arrives again: the network path is back`,
  'wal-stops-arriving': (f) =>
    p`no WAL arrives from ${node(f.upstream)} any more: the network path between them is cut (the walreceiver notices after ${code(`wal_receiver_timeout = ${f.walReceiverTimeout / 1e6} s`)})`,
  'restoring-from-archive': (f) =>
    p`${node(f.node)} restores WAL from the archive at site ${f.site} (${code('restore_command')}) from ${lsn(f.lsn)}: the archive comes before pg_wal and the stream`,
  'restored-from-archive': (f) =>
    p`${node(f.node)} restored ${counted(f.segments, 'WAL segment')} from the archive (${lsn(f.fromLsn)} to ${lsn(f.toLsn)}); ${restoreEnd(f.then)}`,
};

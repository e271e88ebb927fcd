/** The prose of base backup, pg_rewind, restore and slot facts (history/facts/backup.ts). */
import type { BackupFact, BackupWalHold, BasebackupFailure, RecoveryTargetFact, RestoreRefusal, RewindFailure } from '../../../history/facts/backup.ts';
import type { Fact } from '../../../history/facts/index.ts';
import { count, duration, rate, settingSize, size } from '../../format.ts';
import { code, lsn, node, p, type Token } from '../parts.ts';
import type { TemplatesOf } from './types.ts';

type Of<K extends BackupFact['kind']> = Extract<BackupFact, { kind: K }>;

const store = (site: string): string => `the backup store at site ${site}`;
const seconds = (us: number): string => duration(us / 1e6);

/** Where a restore's archive recovery goes, and what it does there. */
function recovery(r: RecoveryTargetFact): Token {
  const to = r.target === 'latest' ? 'to the end of the archive' : r.target === 'immediate' ? "to the backup's consistent point" : r.target === 'lsn' ? p`to LSN ${lsn(r.targetLsn!)}` : 'to the time target';
  return p`${to}${r.target === 'latest' ? '' : `, then ${r.action}`}`;
}

function basebackupFailed(f: Of<'basebackup-failed'>): Token {
  const from = node(f.from);
  const label = f.node !== null ? p`pg_basebackup of ${node(f.node)}` : `pg_basebackup "${f.backup}"`;
  const x: BasebackupFailure = f.failure;
  switch (x.kind) {
    case 'not-empty':
      return p`pg_basebackup into ${node(f.node!)} refused: its data directory is not empty (destroy_data first, or reclone)`;
    case 'copy-running':
      return p`pg_basebackup into ${node(f.node!)} refused: a copy into it is already running`;
    case 'source-unavailable':
      return p`pg_basebackup from ${from} failed: ${from} is ${x.running ? 'unreachable' : 'not running'}`;
    case 'walsenders-exhausted':
      return p`pg_basebackup from ${from} refused: ${from}'s walsender slots (${code(`max_wal_senders = ${x.max}`)}) cannot take its ${x.wanted} replication connection${x.wanted > 1 ? 's' : ''}`;
    case 'slots-full':
      return p`pg_basebackup from ${from} failed: it cannot create slot "${x.slot}" (${code('max_replication_slots')} reached on ${from})`;
    case 'segment-removed':
      return p`${label} failed: ${from} removed WAL segment ${code(x.segment)} during the copy (nothing held the WAL from the backup's start point)`;
    case 'source-down':
      return p`${label} failed: ${from} went down during the copy`;
    case 'standby-promoted':
      return p`${label} failed: ${from} was a standby when it started and was promoted during the copy (a backup from a standby must end on a standby)`;
    case 'directory-removed':
      return p`${label} failed: the data directory it was copying into was emptied during the copy`;
  }
}

function hold(h: BackupWalHold, at: Token, from: Token): Token {
  switch (h.kind) {
    case 'slot':
      return p`slot ${h.slot} keeps the WAL from ${at} on ${from}`;
    case 'fetch':
      return p`nothing keeps the WAL from ${at} on ${from} (-X fetch takes it at the end)`;
    case 'stream':
      return 'its WAL stream runs beside the copy';
  }
}

function rewindFailure(x: RewindFailure, from: Token): Token {
  switch (x.kind) {
    case 'before-9.5':
      return 'pg_rewind is part of PostgreSQL from 9.5';
    case 'no-data-directory':
      return 'its data directory is empty';
    case 'no-hints':
      return p`it has neither data checksums nor ${code('wal_log_hints = on')}`;
    case 'running':
      return 'it is running';
    case 'crashed-before-13':
      return 'it crashed, and before 13 pg_rewind does not run crash recovery itself';
    case 'source-unavailable':
      return p`${from} is ${x.running ? 'unreachable' : 'not running'}`;
    case 'different-systems':
      return 'they are different database systems';
    case 'source-in-recovery':
      return p`${from} is a standby, and before 14 pg_rewind needs a primary as its source`;
    case 'wal-missing':
      return p`its pg_wal no longer holds ${code(x.segment)} (the record at ${lsn(x.previousRecord)}), which it reads back through from the fork to the last common checkpoint at ${lsn(x.lsn)}${x.restored ? ', and the archive does not have it either' : ''}${x.removedByCrashRecovery ? ': the end-of-recovery checkpoint of the crash recovery pg_rewind ran first removed it (wal_keep_size, a slot or archiving would have kept it)' : ''}`;
    case 'source-down':
      return p`${from} went down during the copy`;
  }
}

function restoreRefusal(x: RestoreRefusal, n: string, sub: (f: Fact) => Token): Token {
  switch (x.kind) {
    case 'no-backup':
      return `no backup "${x.backup}" was taken`;
    case 'backup-running':
      return `backup "${x.backup}" is still being taken`;
    case 'backup-failed':
      return p`backup "${x.backup}" failed (${sub(x.failure)})`;
    case 'running':
      return p`${node(n)} is running (stop it first: the data directory is replaced)`;
    case 'copy-running':
      return 'a copy into it is already running';
    case 'store-unreachable':
      return p`${store(x.site)} is unreachable from ${node(n)}`;
  }
}

const TARGET_ACTION = {
  promote: p`: ${code('recovery_target_action = promote')}`,
  pause: ': recovery is paused (a promote step ends it)',
  shutdown: p`: ${code('recovery_target_action = shutdown')}`,
} as const;

export const BACKUP: TemplatesOf<BackupFact> = {
  'data-directory-destroyed': (f) => p`${node(f.node)}'s data directory is destroyed: it cannot start until it is rebuilt (pg_basebackup)`,
  'basebackup-failed': basebackupFailed,
  'basebackup-started': (f) =>
    p`pg_basebackup ${f.node !== null ? p`of ${node(f.node)}` : `"${f.backup}" into ${store(f.site)}`} from ${node(f.from)} (checkpoint ${f.checkpoint}${f.wait > 0 ? `, ${seconds(f.wait)}` : ''}, -X ${f.walMethod}): copying ${size(f.bytes)} at ${rate(f.rate)} takes ${seconds(f.duration)}; ${hold(f.hold, lsn(f.startLsn), node(f.from))}`,
  'basebackup-done': (f) =>
    f.node === null
      ? p`pg_basebackup "${f.backup ?? ''}" from ${node(f.from)} completed: its WAL runs from ${lsn(f.startLsn)} to ${lsn(f.endLsn)} on timeline ${f.timeline}; it is kept in ${store(f.site)}`
      : p`pg_basebackup of ${node(f.node)} from ${node(f.from)} completed: its WAL runs from ${lsn(f.startLsn)} to ${lsn(f.endLsn)} on timeline ${f.timeline}; it is a standby of ${node(f.from)}`,
  'rewind-failed': (f) => p`pg_rewind of ${node(f.node)} against ${node(f.from)} failed: ${rewindFailure(f.failure, node(f.from))}`,
  'rewind-not-required': (f) =>
    f.sameTimeline !== undefined && f.lsn > f.forkLsn
      ? p`pg_rewind of ${node(f.node)} against ${node(f.from)}: no rewind required, because both control files name timeline ${f.sameTimeline} (${f.why === 'same-number' ? p`two histories with that number: pg_rewind compares the numbers` : p`${node(f.from)} has not completed a checkpoint since its promotion; pg_rewind up to 15 reads the timeline there`}), though its WAL ends at ${lsn(f.lsn)}, past the fork at ${lsn(f.forkLsn)}: nothing is undone and it is configured as a standby of ${node(f.from)}`
      : p`pg_rewind of ${node(f.node)} against ${node(f.from)}: no rewind required (its WAL ends at ${lsn(f.lsn)}, not past the fork at ${lsn(f.forkLsn)}); it is a standby of ${node(f.from)}`,
  'rewind-started': (f) =>
    p`pg_rewind of ${node(f.node)} against ${node(f.from)}: ${size(f.undone)} past the fork at ${lsn(f.forkLsn)} are undone; copying ${size(f.bytes)} takes ${seconds(f.duration)}`,
  'rewind-done': (f) =>
    f.held > 0
      ? p`pg_rewind of ${node(f.node)} against ${node(f.from)} done: it is a standby of ${node(f.from)} on timeline ${f.timeline}`
      : p`pg_rewind of ${node(f.node)} against ${node(f.from)} done: it is a standby of ${node(f.from)} on timeline ${f.timeline}, whose recovery starts at the last common checkpoint's redo ${lsn(f.redo)}, which ${node(f.from)} no longer holds (its WAL starts at ${lsn(f.sourceOldest)})`,
  'restore-refused': (f, sub) => p`restore of a base backup into ${node(f.node)} refused: ${restoreRefusal(f.why, f.node, sub)}`,
  'restore-started': (f) =>
    p`restoring base backup "${f.backup}" (of ${node(f.from)}, WAL ${lsn(f.checkpointLsn)} to ${lsn(f.endLsn)} on timeline ${f.timeline}) into ${node(f.node)}: copying ${size(f.bytes)} at ${rate(f.rate)} takes ${seconds(f.duration)}; then archive recovery ${recovery(f.recovery)} (${code(f.version >= 12 ? 'recovery.signal' : 'recovery.conf')})`,
  'restore-installed': (f) => p`${node(f.node)}'s data directory is base backup "${f.backup}", configured for archive recovery ${recovery(f.recovery)}`,
  'archive-recovery-started': (f) =>
    p`${node(f.node)} started in archive recovery from base backup "${f.backup}" ${recovery(f.recovery)}, recovery target timeline ${f.timeline}`,
  'recovery-target-reached': (f) => p`${node(f.node)} reached its recovery target at ${lsn(f.lsn)} (${f.reason}); WAL after ${lsn(f.lsn)} is not replayed${TARGET_ACTION[f.action]}`,
  'archive-recovery-complete': (f) => p`${node(f.node)} replayed all the archive holds of its timeline's history, to ${lsn(f.lsn)}: archive recovery ends`,
  'archive-ran-out': (f) =>
    p`${node(f.node)} ran out of archived WAL at ${lsn(f.lsn)} before its recovery target: ${node(f.node)} runs ${f.version}, where archive recovery then just ends (13+ refuses)`,
  'archive-recovery-failed': (f) => p`${node(f.node)}'s archive recovery fails: ${f.error}`,
  'slot-not-created': (f) => p`slot "${f.slot}" is not created: ${node(f.node)} holds ${code(`max_replication_slots = ${f.max}`)} slots already`,
  'slot-invalidated': (f) =>
    p`slot "${f.slot}" invalidated: it retained more than ${code(`max_slot_wal_keep_size = ${settingSize(f.limit)}`)} (${count(f.segments)} whole segments)${
      f.horizon === 'released' ? '; an invalidated slot no longer holds the xmin horizon' : ''
    }`,
  'slot-invalidated-idle': (f) =>
    p`slot "${f.slot}" invalidated: unused for ${duration(f.idle / 1e6)}, at least ${code(`idle_replication_slot_timeout = ${duration(f.timeout / 1e6)}`)}; it keeps no WAL${f.horizon === 'released' ? ' and no longer holds the xmin horizon' : ''}, and its consumer must start from a new slot`,
};

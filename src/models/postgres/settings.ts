import { seconds, type Micros } from '../../engine/time.ts';
import type {
  ArchiveMode,
  PgMajor,
  PgSettingsSpec,
  RecoveryTargetTimeline,
  SynchronousCommit,
  SynchronousStandbyNames,
} from '../../scenario/types.ts';
import { isVacuumSettingKey, resolveVacuumSettings, vacuumSettingNeedsRestart, type VacuumSettings } from './vacuum/settings.ts';

/** Every setting with a value: the scenario's, or the version's default. */
export interface PgSettings extends VacuumSettings {
  readonly recoveryTargetTimeline: RecoveryTargetTimeline;
  /** True when recovery_target_timeline was not written and the version default applies (for explanations). */
  readonly recoveryTargetTimelineDefaulted: boolean;
  /**
   * Up to 11, `recovery_target_timeline = 'current'` written in recovery.conf: the word is not a keyword there,
   * strtoul reads it as timeline 0, and 0 means latest (xlog.c readRecoveryCommandFile: only 'latest' is
   * compared, any other value goes through strtoul, which returns 0 without an error for a word; then rtliGiven
   * with rtli 0 takes findNewestTimeLine). Resolved as latest; kept for explanations.
   */
  readonly recoveryTargetTimelineCurrentReadAsLatest: boolean;
  readonly walRetrieveRetryInterval: Micros;
  readonly synchronousCommit: SynchronousCommit;
  readonly synchronousStandbyNames: SynchronousStandbyNames | null;
  readonly applicationName: string;
  readonly walKeepSize: number;
  readonly maxWalSize: number;
  /** checkpoint_segments (<= 9.4 only; later versions derive CheckPointSegments from max_wal_size: retention.ts). */
  readonly checkpointSegments: number;
  readonly checkpointCompletionTarget: number;
  readonly checkpointWarning: Micros;
  readonly walSegmentSize: number;
  readonly checkpointTimeout: Micros;
  readonly walReceiverTimeout: Micros;
  readonly walSenderTimeout: Micros;
  /** How often the WAL writer flushes: the primary's flush lag under synchronous_commit = off. */
  readonly walWriterDelay: Micros;
  /** A standby replays a commit no earlier than its commit time on the primary plus this (9.4+). */
  readonly recoveryMinApplyDelay: Micros;
  readonly hotStandbyFeedback: boolean;
  /** 17+: the standby synchronizes its primary's failover logical slots (slotsync.c; false before 17). */
  readonly syncReplicationSlots: boolean;
  /** 17+, synchronized_standby_slots: physical slots that must confirm WAL before failover slots' consumers get it (empty: none). */
  readonly synchronizedStandbySlots: readonly string[];
  /** log_checkpoints (on by default from 15: guc_tables.c). */
  readonly logCheckpoints: boolean;
  /** A standby's physical slot on its upstream (primary_slot_name, 9.4+), or null. */
  readonly primarySlotName: string | null;
  readonly archiveMode: ArchiveMode;
  /** Null: not set (archiving is not configured). */
  readonly archiveCommand: string | null;
  /** archive_timeout (0: off): the longest a primary leaves a segment unswitched (archive.ts forcedSwitch). */
  readonly archiveTimeout: Micros;
  /** Null: not set (a standby takes WAL only from pg_wal and its stream). */
  readonly restoreCommand: string | null;
  /** pg_rewind's precondition: wal_log_hints (9.4+) or data checksums (initdb -k). */
  readonly walLogHints: boolean;
  /** full_page_writes (default on): images of pages after a redo point (full-page-images.ts). */
  readonly fullPageWrites: boolean;
  /** wal_compression (default off). */
  readonly walCompression: 'off' | 'pglz' | 'lz4' | 'zstd';
  readonly dataChecksums: boolean;
  readonly autovacuumFreezeMaxAge: number;
  /** Effective values (vacuum.c caps them against autovacuum_freeze_max_age). */
  readonly vacuumFreezeMinAge: number;
  readonly vacuumFreezeTableAge: number;
  /** Null before 14 (no failsafe). */
  readonly vacuumFailsafeAge: number | null;
  readonly autovacuumNaptime: Micros;
  readonly autovacuumVacuumCostLimit: number;
  readonly autovacuumVacuumCostDelay: Micros;
  readonly vacuumCostPageMiss: number;
  readonly vacuumCostPageDirty: number;
  /** Bytes; null = -1 (unlimited), and always null before 13. */
  readonly maxSlotWalKeepSize: number | null;
  /** Null: not given, every pool connection is admitted (load.ts). */
  readonly maxConnections: number | null;
  readonly superuserReservedConnections: number;
  /** primary_conninfo's connect_timeout (null: none); honoured up to 9.6 only (reconnect.ts). */
  readonly connectTimeout: Micros | null;
  /** Null: not given, not limited (walsenders.ts). */
  readonly maxWalSenders: number | null;
  readonly maxReplicationSlots: number | null;
  /** Logical replication workers (apply and tablesync) a subscriber runs (launcher.c logicalrep_worker_launch). */
  readonly maxLogicalReplicationWorkers: number;
  /** Tablesync workers one subscription runs at once (tablesync.c process_syncing_tables_for_apply). */
  readonly maxSyncWorkersPerSubscription: number;
}

const MiB = 1024 * 1024;

/** Defaults per version; sources in ../shared/domain/postgres.md "Numbers". */
export function resolveSettings(version: PgMajor, nodeName: string, spec: PgSettingsSpec): PgSettings {
  return {
    // <=11: recovery.conf default "recover along the same timeline" (current); 12+: latest (PG12 release notes).
    recoveryTargetTimeline: spec.recoveryTargetTimeline === 'current' && version < 12 ? 'latest' : (spec.recoveryTargetTimeline ?? (version >= 12 ? 'latest' : 'current')),
    recoveryTargetTimelineDefaulted: spec.recoveryTargetTimeline === undefined,
    recoveryTargetTimelineCurrentReadAsLatest: spec.recoveryTargetTimeline === 'current' && version < 12,
    // 9.5+ GUC, default 5 s; before 9.5 the retry wait was hard-coded to 5 s (xlog.c).
    walRetrieveRetryInterval: spec.walRetrieveRetryInterval ?? seconds(5),
    synchronousCommit: spec.synchronousCommit ?? 'on',
    synchronousStandbyNames: spec.synchronousStandbyNames ?? null,
    // application_name defaults to cluster_name or "walreceiver"; scenarios name standbys by node name.
    applicationName: spec.applicationName ?? nodeName,
    walKeepSize: spec.walKeepSize ?? 0,
    maxWalSize: spec.maxWalSize ?? 1024 * MiB,
    // guc.c: checkpoint_segments 3 (<= 9.4); checkpoint_completion_target 0.5 up to 13, 0.9 from 14;
    // checkpoint_warning 30 s (postgres-2.md Numbers).
    checkpointSegments: spec.checkpointSegments ?? 3,
    checkpointCompletionTarget: spec.checkpointCompletionTarget ?? (version >= 14 ? 0.9 : 0.5),
    checkpointWarning: spec.checkpointWarning ?? seconds(30),
    walSegmentSize: spec.walSegmentSize ?? 16 * MiB,
    checkpointTimeout: spec.checkpointTimeout ?? seconds(300),
    walReceiverTimeout: spec.walReceiverTimeout ?? seconds(60),
    walSenderTimeout: spec.walSenderTimeout ?? seconds(60),
    // guc_tables.c: wal_writer_delay 200 ms; recovery_min_apply_delay 0 (9.4+).
    walWriterDelay: spec.walWriterDelay ?? (200_000 as Micros),
    recoveryMinApplyDelay: spec.recoveryMinApplyDelay ?? (0 as Micros),
    hotStandbyFeedback: spec.hotStandbyFeedback ?? false,
    syncReplicationSlots: version >= 17 && (spec.syncReplicationSlots ?? false),
    synchronizedStandbySlots: version >= 17 ? (spec.synchronizedStandbySlots ?? []) : [],
    logCheckpoints: spec.logCheckpoints ?? version >= 15,
    maxConnections: spec.maxConnections ?? null,
    connectTimeout: spec.connectTimeout ?? null,
    maxWalSenders: spec.maxWalSenders ?? null,
    maxReplicationSlots: spec.maxReplicationSlots ?? null,
    // guc_tables.c: max_logical_replication_workers 4, max_sync_workers_per_subscription 2.
    maxLogicalReplicationWorkers: spec.maxLogicalReplicationWorkers ?? 4,
    maxSyncWorkersPerSubscription: spec.maxSyncWorkersPerSubscription ?? 2,
    // guc_tables.c: superuser_reserved_connections 3.
    superuserReservedConnections: spec.superuserReservedConnections ?? 3,
    primarySlotName: spec.primarySlotName ?? null,
    // guc.c: archive_mode off, archive_command '' (not set), restore_command '' (postgres-2.md §2).
    archiveMode: spec.archiveMode ?? 'off',
    archiveCommand: spec.archiveCommand ? spec.archiveCommand : null,
    archiveTimeout: spec.archiveTimeout ?? (0 as Micros),
    restoreCommand: spec.restoreCommand ? spec.restoreCommand : null,
    walLogHints: spec.walLogHints ?? false,
    // guc_tables.c: full_page_writes on, wal_compression off.
    fullPageWrites: spec.fullPageWrites ?? true,
    walCompression: spec.walCompression ?? 'off',
    dataChecksums: spec.dataChecksums ?? false,
    ...freezeSettings(version, spec),
    ...resolveVacuumSettings(version, spec),
  };
}

/**
 * Freezing and vacuum-cost settings with their version defaults ([PG15-bin], postgres.md §4 and Numbers):
 * vacuum_freeze_min_age is capped at autovacuum_freeze_max_age / 2, vacuum_freeze_table_age at 0.95 x it,
 * vacuum_failsafe_age (14+) raised to at least 1.05 x it (vacuum.c vacuum_get_cutoffs / vacuum_xid_failsafe_check).
 */
function freezeSettings(version: PgMajor, spec: PgSettingsSpec) {
  const afma = spec.autovacuumFreezeMaxAge ?? 200_000_000;
  const limit = spec.autovacuumVacuumCostLimit ?? -1;
  return {
    autovacuumFreezeMaxAge: afma,
    vacuumFreezeMinAge: Math.min(spec.vacuumFreezeMinAge ?? 50_000_000, Math.floor(afma / 2)),
    vacuumFreezeTableAge: Math.min(spec.vacuumFreezeTableAge ?? 150_000_000, Math.floor(afma * 0.95)),
    vacuumFailsafeAge: version >= 14 ? Math.max(spec.vacuumFailsafeAge ?? 1_600_000_000, Math.floor(afma * 1.05)) : null,
    autovacuumNaptime: spec.autovacuumNaptime ?? seconds(60),
    // -1 means vacuum_cost_limit (200 by default).
    autovacuumVacuumCostLimit: limit < 0 ? (spec.vacuumCostLimit ?? 200) : limit,
    // 2 ms from 12 (commit cbccac37), 20 ms before; -1 means vacuum_cost_delay (0 by default: unthrottled).
    autovacuumVacuumCostDelay:
      spec.autovacuumVacuumCostDelay === undefined ? ((version >= 12 ? 2000 : 20000) as Micros) : spec.autovacuumVacuumCostDelay < 0 ? (spec.vacuumCostDelay ?? (0 as Micros)) : spec.autovacuumVacuumCostDelay,
    // vacuum_cost_page_miss 2 from 14 (commit e19594c5), 10 before.
    vacuumCostPageMiss: spec.vacuumCostPageMiss ?? (version >= 14 ? 2 : 10),
    vacuumCostPageDirty: spec.vacuumCostPageDirty ?? 20,
    maxSlotWalKeepSize: version >= 13 ? (spec.maxSlotWalKeepSize ?? null) : null,
  };
}

/** Server context of each setting: whether a change needs a restart ([PG15-bin] pg_settings.context). */
export function changeNeedsRestart(version: PgMajor, key: keyof PgSettingsSpec): boolean {
  if (isVacuumSettingKey(key)) return vacuumSettingNeedsRestart(key);
  switch (key) {
    case 'recoveryTargetTimeline': // postmaster (<=11: recovery.conf, read at startup)
    case 'walSegmentSize': // fixed at initdb; a restart is the closest the simulator can do
      return true;
    case 'walRetrieveRetryInterval':
    case 'synchronousCommit':
    case 'synchronousStandbyNames':
    case 'walKeepSize':
    case 'maxWalSize':
    case 'checkpointSegments':
    case 'checkpointCompletionTarget':
    case 'checkpointWarning':
    case 'checkpointTimeout':
    case 'walReceiverTimeout':
    case 'walSenderTimeout':
    case 'walWriterDelay':
    case 'recoveryMinApplyDelay': // sighup
    case 'fullPageWrites': // sighup
    case 'walCompression': // superuser (a reload sets it)
    case 'hotStandbyFeedback':
    case 'syncReplicationSlots': // sighup
    case 'maxSyncWorkersPerSubscription': // sighup
    case 'synchronizedStandbySlots': // sighup
    case 'logCheckpoints':
    case 'vacuumFreezeMinAge':
    case 'vacuumFreezeTableAge':
    case 'vacuumFailsafeAge':
    case 'autovacuumNaptime':
    case 'autovacuumVacuumCostLimit':
    case 'autovacuumVacuumCostDelay':
    case 'vacuumCostPageMiss':
    case 'vacuumCostPageDirty':
    case 'maxSlotWalKeepSize':
      return false;
    case 'autovacuumFreezeMaxAge': // postmaster context
    case 'maxConnections':
    case 'maxWalSenders': // postmaster context
    case 'maxReplicationSlots':
    case 'maxLogicalReplicationWorkers': // postmaster context
    case 'superuserReservedConnections':
    case 'archiveMode':
    case 'walLogHints': // postmaster context
    case 'dataChecksums': // fixed at initdb (pg_checksums needs the server stopped)
      return true;
    case 'archiveCommand': // sighup
    case 'archiveTimeout': // sighup
      return false;
    case 'restoreCommand':
      // recovery.conf up to 11, postmaster context 12-13, sighup from 14 (`postgres --describe-config` of 13.23,
      // 14.23, 15.18).
      return version < 14;
    case 'applicationName':
    case 'connectTimeout':
    case 'primarySlotName':
      // part of primary_conninfo / recovery.conf, postmaster context in 12: reloadable from 13 (rule 24)
      return version < 13;
  }
}

/** Repointing a standby (primary_conninfo): restart up to 12, reload from 13 (postgres.md rule 24). */
export function repointNeedsRestart(version: PgMajor): boolean {
  return version < 13;
}

/** Streaming replication can follow a timeline switch only from 9.3 (commit abfd192b; rule 8). */
export function canFollowTimelineOverStreaming(version: PgMajor): boolean {
  return version >= 9.3;
}

export function formatVersion(v: PgMajor): string {
  return v < 10 ? v.toFixed(1) : String(v);
}

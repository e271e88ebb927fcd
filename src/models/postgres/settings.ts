import { seconds, type Micros } from '../../engine/time.ts';
import type {
  PgMajor,
  PgSettingsSpec,
  RecoveryTargetTimeline,
  SynchronousCommit,
  SynchronousStandbyNames,
} from '../../scenario/types.ts';

/** Every setting with a value: the scenario's, or the version's default. */
export interface PgSettings {
  readonly recoveryTargetTimeline: RecoveryTargetTimeline;
  /** True when recovery_target_timeline was not written and the version default applies (for explanations). */
  readonly recoveryTargetTimelineDefaulted: boolean;
  readonly walRetrieveRetryInterval: Micros;
  readonly synchronousCommit: SynchronousCommit;
  readonly synchronousStandbyNames: SynchronousStandbyNames | null;
  readonly applicationName: string;
  readonly walKeepSize: number;
  readonly maxWalSize: number;
  readonly walSegmentSize: number;
  readonly checkpointTimeout: Micros;
  readonly walReceiverTimeout: Micros;
  readonly walSenderTimeout: Micros;
  readonly hotStandbyFeedback: boolean;
}

const MiB = 1024 * 1024;

/** Defaults per version; sources in ../shared/domain/postgres.md "Numbers". */
export function resolveSettings(version: PgMajor, nodeName: string, spec: PgSettingsSpec): PgSettings {
  return {
    // <=11: recovery.conf default "recover along the same timeline" (current); 12+: latest (PG12 release notes).
    recoveryTargetTimeline: spec.recoveryTargetTimeline ?? (version >= 12 ? 'latest' : 'current'),
    recoveryTargetTimelineDefaulted: spec.recoveryTargetTimeline === undefined,
    // 9.5+ GUC, default 5 s; before 9.5 the retry wait was hard-coded to 5 s (xlog.c).
    walRetrieveRetryInterval: spec.walRetrieveRetryInterval ?? seconds(5),
    synchronousCommit: spec.synchronousCommit ?? 'on',
    synchronousStandbyNames: spec.synchronousStandbyNames ?? null,
    // application_name defaults to cluster_name or "walreceiver"; scenarios name standbys by node name.
    applicationName: spec.applicationName ?? nodeName,
    walKeepSize: spec.walKeepSize ?? 0,
    maxWalSize: spec.maxWalSize ?? 1024 * MiB,
    walSegmentSize: spec.walSegmentSize ?? 16 * MiB,
    checkpointTimeout: spec.checkpointTimeout ?? seconds(300),
    walReceiverTimeout: spec.walReceiverTimeout ?? seconds(60),
    walSenderTimeout: spec.walSenderTimeout ?? seconds(60),
    hotStandbyFeedback: spec.hotStandbyFeedback ?? false,
  };
}

/** Server context of each setting: whether a change needs a restart ([PG15-bin] pg_settings.context). */
export function changeNeedsRestart(version: PgMajor, key: keyof PgSettingsSpec): boolean {
  switch (key) {
    case 'recoveryTargetTimeline': // postmaster (<=11: recovery.conf, read at startup)
    case 'walSegmentSize': // fixed at initdb; a restart is the closest the simulator can do
      return true;
    case 'walRetrieveRetryInterval':
    case 'synchronousCommit':
    case 'synchronousStandbyNames':
    case 'walKeepSize':
    case 'maxWalSize':
    case 'checkpointTimeout':
    case 'walReceiverTimeout':
    case 'walSenderTimeout':
    case 'walWriterDelay':
    case 'hotStandbyFeedback':
      return false;
    case 'applicationName':
      // part of primary_conninfo: reloadable from 13 (rule 24)
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

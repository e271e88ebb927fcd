/**
 * What differs between the real majors 10 to 18 for the harness: where a standby's settings go, which
 * settings exist, what the log line prefix can say, the backup functions' names. Each rule cites the release
 * that changed it.
 */

export interface Flavor {
  readonly major: number;
  /** initdb, pg_ctl and postgres of this major. */
  readonly bin: string;
  /** ≤ 11: a standby is configured by recovery.conf (standby_mode, primary_conninfo, recovery_target_timeline), renamed recovery.done at promotion; 12+: standby.signal and ordinary settings (12 release notes). */
  readonly recoveryConf: boolean;
  /** 13+: primary_conninfo is reloadable (13 release notes); before, a changed primary_conninfo needs a restart. */
  readonly reloadConninfo: boolean;
  /** 13+: log_line_prefix has %b, the backend type (13 release notes); before, lines are attributed by application_name and message (logs.ts). */
  readonly backendTypeInPrefix: boolean;
  /** 13+: wal_keep_size (bytes); ≤ 12: wal_keep_segments (13 release notes). */
  readonly walKeepSize: boolean;
  /** 13+: max_slot_wal_keep_size and pg_replication_slots.wal_status / safe_wal_size (13 release notes). */
  readonly slotWalStatus: boolean;
  /** 15+: pg_backup_start/pg_backup_stop, exclusive backups removed (15 release notes); before: pg_start_backup/pg_stop_backup. */
  readonly backupStart: string;
  readonly backupStop: string;
  /** 16+: pg_log_standby_snapshot() writes a running-xacts record at once (16 release notes). */
  readonly logStandbySnapshot: boolean;
}

export function flavorOf(major: number, bin: string): Flavor {
  return {
    major,
    bin,
    recoveryConf: major <= 11,
    reloadConninfo: major >= 13,
    backendTypeInPrefix: major >= 13,
    walKeepSize: major >= 13,
    slotWalStatus: major >= 13,
    backupStart: major >= 15 ? "pg_backup_start('replsim', true)" : "pg_start_backup('replsim', true, false)",
    backupStop: major >= 15 ? 'SELECT lsn, labelfile, spcmapfile FROM pg_backup_stop(false)' : 'SELECT lsn, labelfile, spcmapfile FROM pg_stop_backup(false, false)',
    logStandbySnapshot: major >= 16,
  };
}

/** The harness's WAL retention for standbys: 256 MiB (16 segments of 16 MiB). */
export const WAL_KEEP_BYTES = 256 * 1024 * 1024;
export const WAL_SEGMENT = 16 * 1024 * 1024;

export function walKeepLine(f: Flavor, bytes: number): string {
  return f.walKeepSize ? `wal_keep_size = '${Math.round(bytes / (1024 * 1024))}MB'` : `wal_keep_segments = ${Math.ceil(bytes / WAL_SEGMENT)}`;
}

/** log_line_prefix: timestamp, pid, then the backend type (13+) or the application name in angle brackets (≤ 12). */
export function logLinePrefix(f: Flavor): string {
  return f.backendTypeInPrefix ? '%m [%p] %b ' : '%m [%p] <%a> ';
}

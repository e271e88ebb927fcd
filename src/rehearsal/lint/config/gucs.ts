/**
 * Values of the postgresql.conf and recovery.conf settings lint reads, converted to the simulator's
 * settings (PgSettingsSpec): memory units kB, MB, GB, TB (powers of 1024, and B from 11) and time units
 * us, ms, s, min, h, d, and each setting's base unit when none is written (guc_tables.c; checked against
 * `postgres -C` of Debian's 15 in test/rehearsal/lint-config.test.ts).
 */
import type { Micros } from '../../../engine/time.ts';
import { parseSynchronousStandbyNames } from '../../../scenario/settings.ts';
import type { PgMajor, PgSettingsSpec, RecoveryTargetTimeline, SynchronousCommit } from '../../../scenario/types.ts';
import { parsePgBool } from '../../../scenario/decode.ts';

const MEMORY: Record<string, number> = { B: 1, kB: 1024, MB: 1024 ** 2, GB: 1024 ** 3, TB: 1024 ** 4 };
const TIME: Record<string, number> = { us: 1, ms: 1e3, s: 1e6, min: 60e6, h: 3600e6, d: 86400e6 };

/** A number with an optional unit, in the base unit's multiples (bytes or µs); null if it is not one. */
function quantity(text: string, units: Record<string, number>, base: number): number | null {
  const m = /^\s*(-?\d+(?:\.\d+)?)\s*([A-Za-z]*)\s*$/.exec(text);
  if (!m) return null;
  const n = Number(m[1]);
  if (m[2] === '') return n * base;
  const u = units[m[2]!];
  return u === undefined ? null : n * u;
}

type Conv = (v: string, version: PgMajor) => Partial<PgSettingsSpec> | null;

const size = (key: keyof PgSettingsSpec, base: number): Conv => (v) => {
  const n = quantity(v, MEMORY, base);
  return n === null ? null : { [key]: n };
};
const time = (key: keyof PgSettingsSpec, base: number): Conv => (v) => {
  const n = quantity(v, TIME, base);
  return n === null ? null : { [key]: Math.round(n) as Micros };
};
const int = (key: keyof PgSettingsSpec): Conv => (v) => (/^\s*-?\d+\s*$/.test(v) ? { [key]: Number(v) } : null);

const bool = parsePgBool;

/** Settings lint understands, by their postgresql.conf name. */
export const GUCS: Readonly<Record<string, Conv>> = {
  recovery_target_timeline: (v, version) => {
    const t = v.trim().toLowerCase();
    if (version <= 11) {
      // Up to 11 recovery.conf knows only 'latest' and a number (xlog.c readRecoveryCommandFile): anything
      // else goes through strtoul, and a value without digits (even 'current') reads as 0, i.e. latest.
      const n = /^\d+/.exec(t);
      return { recoveryTargetTimeline: t === 'latest' || !n || Number(n[0]) === 0 ? 'latest' : { tli: Number(n[0]) } };
    }
    const tt: RecoveryTargetTimeline | null = t === 'latest' ? 'latest' : t === 'current' ? 'current' : /^\d+$/.test(t) ? { tli: Number(t) } : null;
    return tt === null ? null : { recoveryTargetTimeline: tt };
  },
  wal_keep_size: size('walKeepSize', MEMORY.MB!),
  max_wal_size: size('maxWalSize', MEMORY.MB!),
  max_slot_wal_keep_size: (v) => {
    const n = quantity(v, MEMORY, MEMORY.MB!);
    return n === null ? null : { maxSlotWalKeepSize: n < 0 ? null : n };
  },
  checkpoint_timeout: time('checkpointTimeout', TIME.s!),
  wal_receiver_timeout: time('walReceiverTimeout', TIME.ms!),
  wal_sender_timeout: time('walSenderTimeout', TIME.ms!),
  wal_writer_delay: time('walWriterDelay', TIME.ms!),
  recovery_min_apply_delay: time('recoveryMinApplyDelay', TIME.ms!),
  wal_retrieve_retry_interval: time('walRetrieveRetryInterval', TIME.ms!),
  autovacuum_naptime: time('autovacuumNaptime', TIME.s!),
  // -1: vacuum_cost_delay.
  // -1: replay waits for ever (null).
  max_standby_streaming_delay: (v, version) => (v.trim() === '-1' ? { maxStandbyStreamingDelay: null } : time('maxStandbyStreamingDelay', TIME.ms!)(v, version)),
  max_standby_archive_delay: (v, version) => (v.trim() === '-1' ? { maxStandbyArchiveDelay: null } : time('maxStandbyArchiveDelay', TIME.ms!)(v, version)),
  autovacuum_vacuum_cost_delay: (v, version) => (v.trim() === '-1' ? { autovacuumVacuumCostDelay: -1 as Micros } : time('autovacuumVacuumCostDelay', TIME.ms!)(v, version)),
  autovacuum_freeze_max_age: int('autovacuumFreezeMaxAge'),
  vacuum_freeze_min_age: int('vacuumFreezeMinAge'),
  vacuum_freeze_table_age: int('vacuumFreezeTableAge'),
  vacuum_failsafe_age: int('vacuumFailsafeAge'),
  autovacuum_vacuum_cost_limit: int('autovacuumVacuumCostLimit'),
  hot_standby_feedback: (v) => {
    const b = bool(v);
    return b === null ? null : { hotStandbyFeedback: b };
  },
  log_checkpoints: (v) => {
    const b = bool(v);
    return b === null ? null : { logCheckpoints: b };
  },
  synchronous_commit: (v) => {
    const t = v.trim().toLowerCase();
    const b = bool(t);
    const sc: SynchronousCommit | null = ['local', 'remote_write', 'remote_apply'].includes(t) ? (t as SynchronousCommit) : b === null ? null : b ? 'on' : 'off';
    return sc === null ? null : { synchronousCommit: sc };
  },
  synchronous_standby_names: (v, version) => {
    const p = parseSynchronousStandbyNames(v, version);
    return p.ok ? { synchronousStandbyNames: p.value } : null;
  },
};

/** wal_keep_segments (up to 12): a number of segments, kept as bytes like wal_keep_size. */
export function walKeepSegments(v: string, segmentSize: number): Partial<PgSettingsSpec> | null {
  return /^\s*\d+\s*$/.test(v) ? { walKeepSize: Number(v) * segmentSize } : null;
}

/** primary_conninfo's keywords (libpq conninfo: key=value pairs, values quoted with '...'; or a URI). */
export function parseConninfo(text: string): Map<string, string> {
  const out = new Map<string, string>();
  const uri = /^postgres(?:ql)?:\/\/(?:[^@/]*@)?([^/:?,]*)(?::(\d+))?/.exec(text.trim());
  if (uri) {
    if (uri[1]) out.set('host', decodeURIComponent(uri[1]));
    if (uri[2]) out.set('port', uri[2]);
    const q = text.split('?')[1];
    for (const kv of q ? q.split('&') : []) {
      const [k, v = ''] = kv.split('=');
      if (k) out.set(k, decodeURIComponent(v));
    }
    return out;
  }
  const re = /\s*([A-Za-z_]+)\s*=\s*(?:'((?:[^'\\]|\\.)*)'|(\S+))/g;
  for (let m = re.exec(text); m; m = re.exec(text)) out.set(m[1]!.toLowerCase(), m[2] !== undefined ? m[2].replace(/\\(.)/g, '$1') : m[3]!);
  return out;
}

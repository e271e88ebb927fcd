/**
 * Autovacuum and lock-wait settings with their version defaults (postgres-2.md "Numbers": sample
 * postgresql.conf of each release; guc.c contexts for what needs a restart).
 */
import { seconds, type Micros } from '../../../engine/time.ts';
import type { PgMajor } from '../../../scenario/types.ts';
import type { VacuumSettingsSpec } from '../../../scenario/types-vacuum.ts';

export interface VacuumSettings {
  readonly autovacuum: boolean;
  readonly autovacuumMaxWorkers: number;
  readonly autovacuumVacuumThreshold: number;
  readonly autovacuumVacuumScaleFactor: number;
  /** Null before 13 (no insert-driven vacuum) or when -1. */
  readonly autovacuumVacuumInsertThreshold: number | null;
  readonly autovacuumVacuumInsertScaleFactor: number;
  /** Null before 18 or when -1. */
  readonly autovacuumVacuumMaxThreshold: number | null;
  readonly vacuumCostDelay: Micros;
  readonly vacuumCostLimit: number;
  /** Null: autovacuum runs are not logged. */
  readonly logAutovacuumMinDuration: Micros | null;
  readonly lockTimeout: Micros;
  readonly statementTimeout: Micros;
  readonly deadlockTimeout: Micros;
  readonly logLockWaits: boolean;
  readonly idleInTransactionSessionTimeout: Micros;
  /** 18+ (0: off): a slot inactive longer than this is invalidated at a checkpoint (slots.ts). */
  readonly idleReplicationSlotTimeout: Micros;
  /** 18+ (true before: only the reloption, 12+, turns truncation off). */
  readonly vacuumTruncate: boolean;
  /** Null: -1, replay waits for conflicting standby queries for ever (standby.c GetStandbyLimitTime). */
  readonly maxStandbyStreamingDelay: Micros | null;
  readonly maxStandbyArchiveDelay: Micros | null;
}

export function resolveVacuumSettings(version: PgMajor, spec: VacuumSettingsSpec): VacuumSettings {
  return {
    autovacuum: spec.autovacuum ?? true,
    autovacuumMaxWorkers: spec.autovacuumMaxWorkers ?? 3,
    autovacuumVacuumThreshold: spec.autovacuumVacuumThreshold ?? 50,
    autovacuumVacuumScaleFactor: spec.autovacuumVacuumScaleFactor ?? 0.2,
    autovacuumVacuumInsertThreshold: version >= 13 ? (spec.autovacuumVacuumInsertThreshold === undefined ? 1000 : spec.autovacuumVacuumInsertThreshold) : null,
    autovacuumVacuumInsertScaleFactor: spec.autovacuumVacuumInsertScaleFactor ?? 0.2,
    autovacuumVacuumMaxThreshold: version >= 18 ? (spec.autovacuumVacuumMaxThreshold === undefined ? 100_000_000 : spec.autovacuumVacuumMaxThreshold) : null,
    vacuumCostDelay: spec.vacuumCostDelay ?? (0 as Micros),
    vacuumCostLimit: spec.vacuumCostLimit ?? 200,
    // -1 up to 14, 10 min from 15 (commit 64da07c4).
    logAutovacuumMinDuration: spec.logAutovacuumMinDuration === undefined ? (version >= 15 ? seconds(600) : null) : spec.logAutovacuumMinDuration,
    lockTimeout: spec.lockTimeout ?? (0 as Micros),
    statementTimeout: spec.statementTimeout ?? (0 as Micros),
    deadlockTimeout: spec.deadlockTimeout ?? seconds(1),
    logLockWaits: spec.logLockWaits ?? false,
    idleInTransactionSessionTimeout: spec.idleInTransactionSessionTimeout ?? (0 as Micros),
    idleReplicationSlotTimeout: version >= 18 ? (spec.idleReplicationSlotTimeout ?? (0 as Micros)) : (0 as Micros),
    vacuumTruncate: version >= 18 ? (spec.vacuumTruncate ?? true) : true,
    // guc_tables.c: 30 s each.
    maxStandbyStreamingDelay: spec.maxStandbyStreamingDelay === undefined ? seconds(30) : spec.maxStandbyStreamingDelay,
    maxStandbyArchiveDelay: spec.maxStandbyArchiveDelay === undefined ? seconds(30) : spec.maxStandbyArchiveDelay,
  };
}

const VACUUM_KEYS: { readonly [K in keyof VacuumSettingsSpec]-?: 'restart' | 'reload' } = {
  autovacuum: 'reload',
  autovacuumMaxWorkers: 'restart', // postmaster context (shared memory for the worker slots)
  autovacuumVacuumThreshold: 'reload',
  autovacuumVacuumScaleFactor: 'reload',
  autovacuumVacuumInsertThreshold: 'reload',
  autovacuumVacuumInsertScaleFactor: 'reload',
  autovacuumVacuumMaxThreshold: 'reload',
  vacuumCostDelay: 'reload',
  vacuumCostLimit: 'reload',
  logAutovacuumMinDuration: 'reload',
  lockTimeout: 'reload',
  statementTimeout: 'reload',
  deadlockTimeout: 'reload',
  logLockWaits: 'reload',
  idleInTransactionSessionTimeout: 'reload',
  idleReplicationSlotTimeout: 'reload', // sighup
  vacuumTruncate: 'reload', // user [18.4: pg_settings.context]
  maxStandbyStreamingDelay: 'reload', // sighup
  maxStandbyArchiveDelay: 'reload', // sighup
};

export function isVacuumSettingKey(k: string): k is keyof VacuumSettingsSpec {
  return Object.hasOwn(VACUUM_KEYS, k);
}

export function vacuumSettingNeedsRestart(k: keyof VacuumSettingsSpec): boolean {
  return VACUUM_KEYS[k] === 'restart';
}

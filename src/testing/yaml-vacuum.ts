/** scenarioToYaml's printers for vacuum, sessions, DDL and lock expectations (grammar-vacuum.ts, types-vacuum.ts). */
import type { ExpectationBody, PgSettingsSpec, TableSpec, WorkloadSpec } from '../scenario/types.ts';
import type { LongQueries, VacuumActionBody } from '../scenario/types-vacuum.ts';
import { formatDuration, formatSize } from '../scenario/units.ts';

const duration = (us: number): string | number => (us === 0 ? 0 : formatDuration(us));

function bounds(b: { atLeast: number | null; atMost: number | null }): Record<string, number> {
  const out: Record<string, number> = {};
  if (b.atLeast !== null) out.at_least = b.atLeast;
  if (b.atMost !== null) out.at_most = b.atMost;
  return out;
}
const hasBounds = (b: { atLeast: number | null; atMost: number | null }) => b.atLeast !== null || b.atMost !== null;

export function printVacuumSettings(s: PgSettingsSpec): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (s.autovacuum !== undefined) out.autovacuum = s.autovacuum;
  if (s.autovacuumMaxWorkers !== undefined) out.autovacuum_max_workers = s.autovacuumMaxWorkers;
  if (s.autovacuumVacuumThreshold !== undefined) out.autovacuum_vacuum_threshold = s.autovacuumVacuumThreshold;
  if (s.autovacuumVacuumScaleFactor !== undefined) out.autovacuum_vacuum_scale_factor = s.autovacuumVacuumScaleFactor;
  if (s.autovacuumVacuumInsertThreshold !== undefined) out.autovacuum_vacuum_insert_threshold = s.autovacuumVacuumInsertThreshold ?? -1;
  if (s.autovacuumVacuumInsertScaleFactor !== undefined) out.autovacuum_vacuum_insert_scale_factor = s.autovacuumVacuumInsertScaleFactor;
  if (s.autovacuumVacuumMaxThreshold !== undefined) out.autovacuum_vacuum_max_threshold = s.autovacuumVacuumMaxThreshold ?? -1;
  if (s.vacuumCostDelay !== undefined) out.vacuum_cost_delay = duration(s.vacuumCostDelay);
  if (s.vacuumCostLimit !== undefined) out.vacuum_cost_limit = s.vacuumCostLimit;
  if (s.logAutovacuumMinDuration !== undefined) out.log_autovacuum_min_duration = s.logAutovacuumMinDuration === null ? -1 : duration(s.logAutovacuumMinDuration);
  if (s.lockTimeout !== undefined) out.lock_timeout = duration(s.lockTimeout);
  if (s.statementTimeout !== undefined) out.statement_timeout = duration(s.statementTimeout);
  if (s.deadlockTimeout !== undefined) out.deadlock_timeout = duration(s.deadlockTimeout);
  if (s.logLockWaits !== undefined) out.log_lock_waits = s.logLockWaits;
  if (s.idleInTransactionSessionTimeout !== undefined) out.idle_in_transaction_session_timeout = duration(s.idleInTransactionSessionTimeout);
  if (s.idleReplicationSlotTimeout !== undefined) out.idle_replication_slot_timeout = duration(s.idleReplicationSlotTimeout);
  if (s.maxStandbyStreamingDelay !== undefined) out.max_standby_streaming_delay = s.maxStandbyStreamingDelay === null ? -1 : duration(s.maxStandbyStreamingDelay);
  if (s.maxStandbyArchiveDelay !== undefined) out.max_standby_archive_delay = s.maxStandbyArchiveDelay === null ? -1 : duration(s.maxStandbyArchiveDelay);
  return out;
}

export function printTableRows(t: TableSpec): Record<string, unknown> {
  return {
    ...(t.rows !== undefined ? { rows: t.rows } : {}),
    ...(t.indexes !== undefined ? { indexes: t.indexes === 0 ? 0 : formatSize(t.indexes) } : {}),
    ...(t.emptyTail !== undefined && t.emptyTail > 0 ? { empty_tail: formatSize(t.emptyTail) } : {}),
    ...(t.vacuumTruncate !== undefined ? { vacuum_truncate: t.vacuumTruncate } : {}),
  };
}

export function printWorkloadTable(w: WorkloadSpec): Record<string, unknown> {
  if (!w.table) return {};
  const t = w.table;
  const long = (q: LongQueries) => ({ duration: duration(q.duration), share: q.share });
  return {
    table: `${t.table.database}.${t.table.table}`,
    reads: t.reads,
    inserts: t.inserts,
    ...(t.longReads ? { long_reads: long(t.longReads) } : {}),
    ...(t.longWrites ? { long_writes: long(t.longWrites) } : {}),
  };
}

export function printVacuumStep(a: VacuumActionBody): Record<string, unknown> {
  switch (a.kind) {
    case 'vacuum': {
      const v: Record<string, unknown> = a.table !== null ? { table: `${a.database}.${a.table}` } : { database: a.database };
      v.freeze = a.freeze;
      if (a.costDelay !== null) v.cost_delay = duration(a.costDelay);
      if (a.costLimit !== null) v.cost_limit = a.costLimit;
      return { vacuum: v };
    }
    case 'ddl': {
      const d: Record<string, unknown> = { statement: a.statement, table: `${a.table.database}.${a.table.table}` };
      if (a.duration !== null) d.duration = duration(a.duration);
      if (a.rows !== undefined) d.rows = a.rows;
      if (a.lockTimeout !== null) d.lock_timeout = duration(a.lockTimeout);
      if (a.statementTimeout !== null) d.statement_timeout = duration(a.statementTimeout);
      if (a.session !== null) d.session = a.session;
      return { ddl: d };
    }
    case 'checkpoint':
      return { checkpoint: a.node };
    case 'singleUserVacuum':
      return { single_user_vacuum: a.database !== null ? { node: a.node, database: a.database } : a.node };
  }
}

export function printLockExpectation(e: Extract<ExpectationBody, { kind: 'lockWait' | 'lockQueue' }>): Record<string, unknown> {
  const d: Record<string, unknown> = {};
  if (e.kind === 'lockWait') {
    if (e.who !== null) d.who = e.who;
    if (e.table !== null) d.table = e.table;
    if (e.outcome !== null) d.outcome = e.outcome;
    if (hasBounds(e.seconds)) d.seconds = bounds(e.seconds);
    return { lock_wait: d };
  }
  if (e.workload !== null) d.workload = e.workload;
  if (hasBounds(e.seconds)) d.seconds = bounds(e.seconds);
  if (hasBounds(e.failed)) d.failed = bounds(e.failed);
  if (hasBounds(e.share)) d.share = bounds(e.share);
  return { lock_queue: d };
}

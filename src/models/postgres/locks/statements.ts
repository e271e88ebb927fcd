/**
 * Which table lock a statement takes, by statement and version (postgres-2.md §6.4;
 * tablecmds.c AlterTableGetLockLevel, reloptions.c AlterTableGetRelOptionsLockLevel, indexcmds.c DefineIndex,
 * lockcmds.c). A scenario's `ddl:` step is written as SQL; this reads just enough of it to know the lock, the
 * table, and what the statement does to the table's storage.
 */
import type { PgMajor } from '../../../scenario/types.ts';
import { LOCK_MODES, type LockMode } from './modes.ts';

/** What a statement does to the table beyond locking it. */
export type StatementEffect = 'none' | 'truncate' | 'drop' | 'rewrite';

export interface ClassifiedStatement {
  readonly mode: LockMode;
  /** The table named in the statement (schema and quotes removed), or null when it names none (DROP INDEX). */
  readonly table: string | null;
  readonly effect: StatementEffect;
  /** NOWAIT: fail at once instead of queueing. */
  readonly nowait: boolean;
  /** A short name of the statement for the report ("ALTER TABLE ... ADD COLUMN"). */
  readonly label: string;
}

export type Classification = ({ readonly ok: true } & ClassifiedStatement) | { readonly ok: false; readonly reason: string; readonly hint?: string };

const IDENT = String.raw`(?:"(?:[^"]|"")+"|[A-Za-z_][A-Za-z0-9_$]*)`;
const QNAME = String.raw`(${IDENT}(?:\s*\.\s*${IDENT})?)`;

/** The relation name without schema or quotes ("public"."Orders" -> Orders). */
function relName(q: string): string {
  const parts = q.split(/\s*\.\s*(?=(?:[^"]*"[^"]*")*[^"]*$)/);
  const last = parts.at(-1)!.trim();
  return last.startsWith('"') ? last.slice(1, -1).replace(/""/g, '"') : last.toLowerCase();
}

const ok = (mode: LockMode, table: string | null, label: string, effect: StatementEffect = 'none', nowait = false): Classification => ({ ok: true, mode, table, effect, nowait, label });

const needs = (what: string, version: PgMajor, since: PgMajor): Classification | null =>
  version < since ? { ok: false, reason: `${what} needs PostgreSQL ${since < 10 ? since.toFixed(1) : since} (the node is ${version < 10 ? version.toFixed(1) : version})` } : null;

/** The lock level of one ALTER TABLE subcommand (tablecmds.c AlterTableGetLockLevel). */
function alterLevel(sub: string, version: PgMajor): { mode: LockMode; label: string } | { error: Classification } {
  const written = sub.trim().replace(/\s+/g, ' ');
  const s = written.toUpperCase();
  // The keywords in capitals, a column's or a constraint's name as written.
  const words = written.split(' ');
  const named = s.startsWith('ALTER COLUMN') || s.startsWith('ADD CONSTRAINT');
  const label = `ALTER TABLE ... ${[...words.slice(0, 2).map((w) => w.toUpperCase()), ...(named ? words.slice(2, 3) : [])].join(' ')}`;
  const reduced = version >= 9.4; // REDUCED_ALTER_TABLE_LOCK_LEVELS from 9.4; every subcommand took AccessExclusiveLock before
  if (/^ATTACH PARTITION\b/.test(s)) {
    const e = needs('ATTACH PARTITION', version, 10);
    if (e) return { error: e };
    return { mode: version >= 12 ? 'ShareUpdateExclusiveLock' : 'AccessExclusiveLock', label };
  }
  if (/^DETACH PARTITION\b.*\bCONCURRENTLY\b/.test(s)) {
    const e = needs('DETACH PARTITION ... CONCURRENTLY', version, 14);
    if (e) return { error: e };
    return { mode: 'ShareUpdateExclusiveLock', label: 'ALTER TABLE ... DETACH PARTITION CONCURRENTLY' };
  }
  if (!reduced) return { mode: 'AccessExclusiveLock', label };
  if (/^VALIDATE CONSTRAINT\b/.test(s)) return { mode: 'ShareUpdateExclusiveLock', label };
  if (/^(ALTER (COLUMN )?\S+ SET STATISTICS|CLUSTER ON|SET WITHOUT CLUSTER)\b/.test(s)) return { mode: 'ShareUpdateExclusiveLock', label };
  if (/^ALTER (COLUMN )?\S+ (SET|RESET) \(/.test(s)) return { mode: 'ShareUpdateExclusiveLock', label };
  if (/^(ADD (CONSTRAINT \S+ )?FOREIGN KEY|(ENABLE|DISABLE)( ALWAYS| REPLICA)? TRIGGER)\b/.test(s)) {
    return { mode: version >= 9.5 ? 'ShareRowExclusiveLock' : 'AccessExclusiveLock', label };
  }
  const rel = /^(SET|RESET) \((.*)\)$/.exec(s);
  if (rel) {
    // 9.6+: autovacuum and planner-cost storage parameters need only ShareUpdateExclusiveLock.
    const names = rel[2]!.split(',').map((x) => x.split('=')[0]!.trim().toLowerCase());
    const light = names.every((n) => /^(toast\.)?(autovacuum_|log_autovacuum_min_duration|fillfactor|parallel_workers|vacuum_index_cleanup|vacuum_truncate|toast_tuple_target)/.test(n));
    return { mode: version >= 9.6 && light ? 'ShareUpdateExclusiveLock' : 'AccessExclusiveLock', label: `ALTER TABLE ... ${rel[1]} (storage parameters)` };
  }
  return { mode: 'AccessExclusiveLock', label };
}

/** Split ALTER TABLE subcommands at top-level commas. */
function subcommands(text: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of text) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  if (cur.trim()) out.push(cur);
  return out;
}

const strongest = (modes: readonly LockMode[]): LockMode => modes.reduce((a, b) => (LOCK_MODES.indexOf(b) > LOCK_MODES.indexOf(a) ? b : a));

export const RECOGNISED_STATEMENTS =
  'ALTER TABLE, CREATE [UNIQUE] INDEX [CONCURRENTLY] ... ON t, DROP INDEX [CONCURRENTLY], REINDEX [TABLE] [CONCURRENTLY], CREATE TRIGGER ... ON t, CREATE STATISTICS ... FROM t, LOCK [TABLE] t [IN mode MODE] [NOWAIT], TRUNCATE, DROP TABLE, VACUUM FULL t, CLUSTER t, ANALYZE t, REFRESH MATERIALIZED VIEW [CONCURRENTLY], SELECT ... FROM t [FOR UPDATE|FOR SHARE], INSERT INTO t, UPDATE t, DELETE FROM t, MERGE INTO t';

/** The lock a statement takes on its table, by version (postgres-2.md §6.4), or why it is not understood. */
export function classifyStatement(sql: string, version: PgMajor): Classification {
  const text = sql.trim().replace(/;\s*$/, '').replace(/\s+/g, ' ');
  const u = text.toUpperCase();
  let m: RegExpExecArray | null;
  const re = (pattern: string) => new RegExp(pattern, 'i').exec(text);
  if ((m = re(String.raw`^ALTER TABLE (?:IF EXISTS )?(?:ONLY )?${QNAME} (.+)$`))) {
    const levels: LockMode[] = [];
    let label = '';
    for (const sub of subcommands(m[2]!)) {
      const l = alterLevel(sub, version);
      if ('error' in l) return l.error;
      levels.push(l.mode);
      label ||= l.label;
    }
    if (levels.length === 0) return { ok: false, reason: 'ALTER TABLE without a subcommand' };
    return ok(strongest(levels), relName(m[1]!), levels.length > 1 ? 'ALTER TABLE (several subcommands)' : label);
  }
  if ((m = re(String.raw`^CREATE (?:UNIQUE )?INDEX (CONCURRENTLY )?(?:IF NOT EXISTS )?(?:${IDENT} )?ON (?:ONLY )?${QNAME}`))) {
    return m[1] ? ok('ShareUpdateExclusiveLock', relName(m[2]!), 'CREATE INDEX CONCURRENTLY') : ok('ShareLock', relName(m[2]!), 'CREATE INDEX');
  }
  if ((m = re(String.raw`^DROP INDEX (CONCURRENTLY )?`))) return ok(m[1] ? 'ShareUpdateExclusiveLock' : 'AccessExclusiveLock', null, m[1] ? 'DROP INDEX CONCURRENTLY' : 'DROP INDEX');
  if ((m = re(String.raw`^REINDEX (?:\(.*?\) )?(TABLE |INDEX )?(CONCURRENTLY )?${QNAME}`))) {
    if (m[2]) {
      const e = needs('REINDEX CONCURRENTLY', version, 12);
      if (e) return e;
    }
    return ok(m[2] ? 'ShareUpdateExclusiveLock' : 'ShareLock', m[1]?.trim().toUpperCase() === 'INDEX' ? null : relName(m[3]!), m[2] ? 'REINDEX CONCURRENTLY' : 'REINDEX');
  }
  if ((m = re(String.raw`^CREATE (?:OR REPLACE )?(?:CONSTRAINT )?TRIGGER .* ON ${QNAME}`))) return ok('ShareRowExclusiveLock', relName(m[1]!), 'CREATE TRIGGER');
  if ((m = re(String.raw`^CREATE STATISTICS .* FROM ${QNAME}`))) {
    return needs('CREATE STATISTICS', version, 10) ?? ok('ShareUpdateExclusiveLock', relName(m[1]!), 'CREATE STATISTICS');
  }
  if ((m = re(String.raw`^LOCK (?:TABLE )?(?:ONLY )?${QNAME}(?: IN ([A-Z ]+?) MODE)?( NOWAIT)?$`))) {
    let mode: LockMode = 'AccessExclusiveLock';
    if (m[2]) {
      const wanted = m[2].trim().toUpperCase().replace(/ /g, '');
      const found = LOCK_MODES.find((x) => x.toUpperCase() === `${wanted}LOCK`);
      if (!found) return { ok: false, reason: `LOCK TABLE: ${m[2]} is not a lock mode`, hint: 'ACCESS SHARE, ROW SHARE, ROW EXCLUSIVE, SHARE UPDATE EXCLUSIVE, SHARE, SHARE ROW EXCLUSIVE, EXCLUSIVE or ACCESS EXCLUSIVE' };
      mode = found;
    }
    return ok(mode, relName(m[1]!), 'LOCK TABLE', 'none', m[3] !== undefined);
  }
  if ((m = re(String.raw`^TRUNCATE (?:TABLE )?(?:ONLY )?${QNAME}`))) return ok('AccessExclusiveLock', relName(m[1]!), 'TRUNCATE', 'truncate');
  if ((m = re(String.raw`^DROP TABLE (?:IF EXISTS )?${QNAME}`))) return ok('AccessExclusiveLock', relName(m[1]!), 'DROP TABLE', 'drop');
  if ((m = re(String.raw`^VACUUM (?:\(.*FULL.*\)|FULL)(?: FREEZE)?(?: VERBOSE)?(?: ANALYZE)? ${QNAME}$`))) return ok('AccessExclusiveLock', relName(m[1]!), 'VACUUM FULL', 'rewrite');
  if (/^VACUUM\b/.test(u)) return { ok: false, reason: 'a plain VACUUM is not a ddl step', hint: 'use the vacuum: step ({table, freeze?, cost_delay?, ...}); VACUUM FULL is a ddl step' };
  if ((m = re(String.raw`^CLUSTER (?:VERBOSE )?${QNAME}`))) return ok('AccessExclusiveLock', relName(m[1]!), 'CLUSTER', 'rewrite');
  if ((m = re(String.raw`^ANALYZE (?:VERBOSE )?${QNAME}`))) return ok('ShareUpdateExclusiveLock', relName(m[1]!), 'ANALYZE');
  if ((m = re(String.raw`^REFRESH MATERIALIZED VIEW (CONCURRENTLY )?${QNAME}`))) {
    if (m[1]) return needs('REFRESH MATERIALIZED VIEW CONCURRENTLY', version, 9.4) ?? ok('ExclusiveLock', relName(m[2]!), 'REFRESH MATERIALIZED VIEW CONCURRENTLY');
    return needs('REFRESH MATERIALIZED VIEW', version, 9.3) ?? ok('AccessExclusiveLock', relName(m[2]!), 'REFRESH MATERIALIZED VIEW', 'rewrite');
  }
  if ((m = re(String.raw`^SELECT .* FROM (?:ONLY )?${QNAME}.*?( FOR (?:NO KEY )?UPDATE| FOR (?:KEY )?SHARE)?$`))) {
    return ok(m[2] ? 'RowShareLock' : 'AccessShareLock', relName(m[1]!), m[2] ? `SELECT ...${m[2].toUpperCase()}` : 'SELECT');
  }
  if ((m = re(String.raw`^(?:INSERT INTO|UPDATE (?:ONLY )?|DELETE FROM (?:ONLY )?)${QNAME}`))) return ok('RowExclusiveLock', relName(m[1]!), u.split(' ')[0]!);
  if ((m = re(String.raw`^MERGE INTO (?:ONLY )?${QNAME}`))) return needs('MERGE', version, 15) ?? ok('RowExclusiveLock', relName(m[1]!), 'MERGE');
  return { ok: false, reason: `the statement ${JSON.stringify(text.length > 60 ? `${text.slice(0, 57)}...` : text)} is not one replsim knows the lock of`, hint: `recognised: ${RECOGNISED_STATEMENTS}` };
}

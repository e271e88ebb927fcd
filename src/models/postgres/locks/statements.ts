/**
 * Which table lock a statement takes, by statement and version (postgres-2.md §6.4;
 * tablecmds.c AlterTableGetLockLevel, reloptions.c AlterTableGetRelOptionsLockLevel, indexcmds.c DefineIndex,
 * lockcmds.c). A scenario's `ddl:` step is written as SQL; this reads just enough of it to know the lock, the
 * table, and what the statement does to the table's storage.
 */
import type { PgMajor } from '../../../scenario/types.ts';
import { LOCK_MODES, type LockMode } from './modes.ts';

/**
 * What a statement does to the table beyond locking it: `scan` reads the whole table while it holds its lock
 * (an index build, a constraint check), `rewrite` writes a new copy of it (and reads the old one).
 */
export type StatementEffect = 'none' | 'truncate' | 'drop' | 'rewrite' | 'scan';

export interface ClassifiedStatement {
  readonly mode: LockMode;
  /** The table named in the statement (schema and quotes removed), or null when it names none (DROP INDEX). */
  readonly table: string | null;
  readonly effect: StatementEffect;
  /** NOWAIT: fail at once instead of queueing. */
  readonly nowait: boolean;
  /** A short name of the statement for the report ("ALTER TABLE ... ADD COLUMN"). */
  readonly label: string;
  /**
   * It ends only after every transaction of its database whose snapshot is older than its own has ended
   * (indexcmds.c WaitForOlderSnapshots: CREATE INDEX CONCURRENTLY, REINDEX CONCURRENTLY), and cannot run
   * inside a transaction block.
   */
  readonly waitsForSnapshots: boolean;
  /**
   * Other tables it locks once it has its own: a foreign key's referenced table (tablecmds.c
   * ATAddForeignKeyConstraint: ShareRowExclusiveLock from 9.5, AccessExclusiveLock before).
   */
  readonly others: readonly { readonly table: string; readonly mode: LockMode }[];
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

const ok = (mode: LockMode, table: string | null, label: string, effect: StatementEffect = 'none', nowait = false, waitsForSnapshots = false): Classification => ({ ok: true, mode, table, effect, nowait, label, waitsForSnapshots, others: [] });

const needs = (what: string, version: PgMajor, since: PgMajor): Classification | null =>
  version < since ? { ok: false, reason: `${what} needs PostgreSQL ${since < 10 ? since.toFixed(1) : since} (the node is ${version < 10 ? version.toFixed(1) : version})` } : null;

/** The lock level of one ALTER TABLE subcommand (tablecmds.c AlterTableGetLockLevel). */
function alterLevel(sub: string, version: PgMajor): { mode: LockMode; label: string; effect?: StatementEffect } | { error: Classification } {
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
  const effect = alterEffect(s, version);
  if (!reduced) return { mode: 'AccessExclusiveLock', label, effect };
  if (/^VALIDATE CONSTRAINT\b/.test(s)) return { mode: 'ShareUpdateExclusiveLock', label, effect };
  if (/^(ALTER (COLUMN )?\S+ SET STATISTICS|CLUSTER ON|SET WITHOUT CLUSTER)\b/.test(s)) return { mode: 'ShareUpdateExclusiveLock', label };
  if (/^ALTER (COLUMN )?\S+ (SET|RESET) \(/.test(s)) return { mode: 'ShareUpdateExclusiveLock', label };
  if (/^(ADD (CONSTRAINT \S+ )?FOREIGN KEY|(ENABLE|DISABLE)( ALWAYS| REPLICA)? TRIGGER)\b/.test(s)) {
    return { mode: version >= 9.5 ? 'ShareRowExclusiveLock' : 'AccessExclusiveLock', label, effect };
  }
  const rel = /^(SET|RESET) \((.*)\)$/.exec(s);
  if (rel) {
    // 9.6+: autovacuum and planner-cost storage parameters need only ShareUpdateExclusiveLock.
    const names = rel[2]!.split(',').map((x) => x.split('=')[0]!.trim().toLowerCase());
    const light = names.every((n) => /^(toast\.)?(autovacuum_|log_autovacuum_min_duration|fillfactor|parallel_workers|vacuum_index_cleanup|vacuum_truncate|toast_tuple_target)/.test(n));
    return { mode: version >= 9.6 && light ? 'ShareUpdateExclusiveLock' : 'AccessExclusiveLock', label: `ALTER TABLE ... ${rel[1]} (storage parameters)` };
  }
  return { mode: 'AccessExclusiveLock', label, effect };
}

/** Functions a column default may call that are VOLATILE (pg_proc.provolatile 'v'); nextval covers serial and identity. */
const VOLATILE_DEFAULT = /\b(random|gen_random_uuid|uuid_generate_v[14]|uuidv[47]|clock_timestamp|timeofday|nextval|txid_current|pg_current_xact_id)\s*\(/i;

/**
 * Whether an ALTER TABLE subcommand (in capitals) rewrites or scans the table while it holds its lock
 * (tablecmds.c ATPrepCmd / ATExecAddColumn / ATRewriteTables; checked on real 10.23 and 11.22 by
 * pg_relation_filenode before and after):
 * - ADD COLUMN with a non-null DEFAULT rewrites up to 10; from 11 only a volatile default does (a stable one,
 *   now(), is evaluated once and stored in pg_attribute.attmissingval). serial, identity and STORED generated
 *   columns are volatile or computed per row: rewrite in every version.
 * - ALTER COLUMN TYPE rewrites, unless the conversion is binary-coercible (varchar(n) to a longer varchar or to
 *   text: ATColumnChangeRequiresRewrite). The old type is not known here: a target of text or varchar without
 *   USING is taken as binary-coercible (approximation: text to varchar(n) does rewrite). SET TABLESPACE copies
 *   the files, SET LOGGED / UNLOGGED (9.5+) rewrites (both counted as a rewrite).
 * - SET NOT NULL, ADD PRIMARY KEY / UNIQUE (an index build), ADD CHECK / FOREIGN KEY without NOT VALID and
 *   VALIDATE CONSTRAINT read the whole table under their lock (approximation: 12+ skips the SET NOT NULL scan
 *   when a valid CHECK constraint proves it, which is not known here).
 */
function alterEffect(s: string, version: PgMajor): StatementEffect {
  const add = /^ADD (?:COLUMN )?(?:IF NOT EXISTS )?(?!CONSTRAINT\b|PRIMARY\b|UNIQUE\b|CHECK\b|FOREIGN\b|EXCLUDE\b)\S+ (.*)$/.exec(s);
  if (add) {
    const rest = add[1]!;
    if (/^(SMALL|BIG)?SERIAL\b/.test(rest) || /\bGENERATED\b.*\b(AS IDENTITY|STORED)\b/.test(rest)) return 'rewrite';
    const def = /\bDEFAULT (.*)$/.exec(rest);
    if (!def || /^NULL\b/.test(def[1]!.trim())) return 'none';
    return version < 11 || VOLATILE_DEFAULT.test(def[1]!) ? 'rewrite' : 'none';
  }
  const type = /^ALTER (?:COLUMN )?\S+ (?:SET DATA )?TYPE (.*)$/.exec(s);
  if (type) return /\bUSING\b/.test(type[1]!) || !/^(TEXT|VARCHAR|CHARACTER VARYING)\b/.test(type[1]!.trim()) ? 'rewrite' : 'none';
  if (/^SET (TABLESPACE|LOGGED|UNLOGGED)\b/.test(s)) return 'rewrite';
  if (/^ALTER (COLUMN )?\S+ SET NOT NULL\b/.test(s) || /^VALIDATE CONSTRAINT\b/.test(s)) return 'scan';
  if (/^ADD (CONSTRAINT \S+ )?(PRIMARY KEY|UNIQUE|CHECK|FOREIGN KEY|EXCLUDE)\b/.test(s)) return /\bNOT VALID\b|\bUSING INDEX\b/.test(s) ? 'none' : 'scan';
  return 'none';
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
    let effect: StatementEffect = 'none';
    for (const sub of subcommands(m[2]!)) {
      const l = alterLevel(sub, version);
      if ('error' in l) return l.error;
      levels.push(l.mode);
      label ||= l.label;
      // One rewrite serves every subcommand (ATRewriteTables runs once per statement); a scan otherwise.
      if (l.effect === 'rewrite' || (l.effect === 'scan' && effect === 'none')) effect = l.effect;
    }
    if (levels.length === 0) return { ok: false, reason: 'ALTER TABLE without a subcommand' };
    const c = ok(strongest(levels), relName(m[1]!), levels.length > 1 ? 'ALTER TABLE (several subcommands)' : label, effect);
    // A foreign key (ADD FOREIGN KEY, or ADD COLUMN ... REFERENCES) also locks the referenced table.
    const refs = [...m[2]!.matchAll(new RegExp(String.raw`\bREFERENCES (?:ONLY )?${QNAME}`, 'gi'))].map((r) => relName(r[1]!));
    const others = [...new Set(refs)].filter((t) => t !== relName(m![1]!)).map((t) => ({ table: t, mode: (version >= 9.5 ? 'ShareRowExclusiveLock' : 'AccessExclusiveLock') as LockMode }));
    return c.ok ? { ...c, others } : c;
  }
  if ((m = re(String.raw`^CREATE (?:UNIQUE )?INDEX (CONCURRENTLY )?(?:IF NOT EXISTS )?(?:${IDENT} )?ON (?:ONLY )?${QNAME}`))) {
    // Both read the table (index.c index_build); CONCURRENTLY reads it twice but blocks no query meanwhile.
    return m[1] ? ok('ShareUpdateExclusiveLock', relName(m[2]!), 'CREATE INDEX CONCURRENTLY', 'scan', false, true) : ok('ShareLock', relName(m[2]!), 'CREATE INDEX', 'scan');
  }
  if ((m = re(String.raw`^DROP INDEX (CONCURRENTLY )?`))) return ok(m[1] ? 'ShareUpdateExclusiveLock' : 'AccessExclusiveLock', null, m[1] ? 'DROP INDEX CONCURRENTLY' : 'DROP INDEX');
  if ((m = re(String.raw`^REINDEX (?:\(.*?\) )?(TABLE |INDEX )?(CONCURRENTLY )?${QNAME}`))) {
    if (m[2]) {
      const e = needs('REINDEX CONCURRENTLY', version, 12);
      if (e) return e;
    }
    // REINDEX holds ShareLock on the table and AccessExclusiveLock on each index it rebuilds (index.c
    // reindex_index); every query that plans against the table opens all its indexes (plancat.c
    // get_relation_info: AccessShareLock; INSERT's ExecOpenIndices: RowExclusiveLock), so reads and writes both
    // wait, and REINDEX itself waits for the queries running. Checked on 15: a SELECT count(*) on the table waits
    // for a REINDEX INDEX and a REINDEX TABLE. The one table lock modelled is therefore AccessExclusiveLock
    // (approximation: the server's messages name the index's OID for that lock).
    return ok(m[2] ? 'ShareUpdateExclusiveLock' : 'AccessExclusiveLock', m[1]?.trim().toUpperCase() === 'INDEX' ? null : relName(m[3]!), m[2] ? 'REINDEX CONCURRENTLY' : 'REINDEX', 'scan', false, m[2] !== undefined);
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

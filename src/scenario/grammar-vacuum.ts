/**
 * The scenario grammar of vacuum, table locks and the DBA's plan steps (types-vacuum.ts): a workload's table,
 * VACUUM, DDL (with its lock level by statement and version, models/postgres/locks/statements.ts), TRUNCATE,
 * DROP TABLE, CHECKPOINT, the single-user VACUUM, and expectations on lock waits and queues. grammar.ts builds
 * it with its own helpers (as grammar-block.ts) and merges the pieces.
 */
import { isScalar } from 'yaml';
import type { Micros } from '../engine/time.ts';
import { classifyStatement } from '../models/postgres/locks/statements.ts';
import type { ActionBody, ExpectationBody } from './types.ts';
import type { LongQueries, TableRef, VacuumActionBody, WorkloadTableSpec } from './types-vacuum.ts';
import { didYouMean, listing, show } from './errors.ts';
import { boolean, byKind, custom, enumOf, integer, map, object, opt, req, string, typeError, withDefault, type Ctx, type Decoder, type ObjectInfo } from './decode.ts';
import { duration } from './settings.ts';
import type { Env, bounds, rate, ref } from './grammar.ts';

type C = Ctx<Env>;

/** Decoders of grammar.ts the vacuum grammar reuses, passed in (grammar.ts imports this module). */
export interface VacuumGrammarHelpers {
  readonly ref: typeof ref;
  readonly rate: typeof rate;
  readonly bounds: typeof bounds;
}

/** The tables the file declares so far: in the cluster being decoded, or in every cluster (plan steps). */
function tablesIn(env: Env): { cluster: string; database: string; table: string }[] {
  const clusters = env.cluster ? [env.cluster] : [...env.clusters.values()];
  return clusters.flatMap((c) => (c.tables ?? []).map((t) => ({ cluster: c.name, ...t })));
}

/** A table of the scenario: `NAME`, or `DATABASE.NAME` when the name is in several databases. */
export function tableRef(): Decoder<TableRef & { cluster: string }> {
  const expected = 'a table of the scenario: NAME or DATABASE.NAME';
  return custom(expected, () => ({ type: 'string', minLength: 1, maxLength: 200 }), (node, ctx: C) => {
    const n = ctx.resolve(node);
    if (!isScalar(n) || typeof n.value !== 'string') return typeError(n, ctx, expected);
    const text = n.value.trim();
    const all = tablesIn(ctx.env);
    const dot = text.indexOf('.');
    const found = dot > 0 ? all.filter((t) => t.database === text.slice(0, dot) && t.table === text.slice(dot + 1)) : all.filter((t) => t.table === text);
    if (found.length === 1) return { cluster: found[0]!.cluster, database: found[0]!.database, table: found[0]!.table };
    if (found.length > 1) return ctx.fail(n, `${ctx.subject}: ${show(text)} is a table of several databases`, { hint: `write ${listing(found.map((t) => `${t.database}.${t.table}`))}` });
    const names = all.map((t) => (dot > 0 ? `${t.database}.${t.table}` : t.table));
    const dym = didYouMean(text, names);
    // A cluster that failed to decode declared no tables: the reference is then its consequence, not reported.
    return ctx.failReference('table', n, `${ctx.subject}: no table ${show(text)}`, dym ? { hint: dym } : { expected: names.length ? `one of ${listing(names)}` : 'a table declared under databases: in a cluster' });
  });
}

/** A fraction from 0 to 1. */
function fraction(): Decoder<number> {
  const expected = 'a fraction from 0 to 1';
  return custom<number>(expected, () => ({ type: 'number', minimum: 0, maximum: 1 }), (node, ctx) => {
    const n = ctx.resolve(node);
    if (!isScalar(n) || typeof n.value !== 'number' || !(n.value >= 0 && n.value <= 1)) return typeError(n, ctx, expected);
    return n.value;
  });
}

/** The PostgreSQL version of a cluster (one version per cluster). */
function versionOf(env: Env, cluster: string): number {
  return env.clusters.get(cluster)?.specs[0]?.version ?? 18;
}

/** {duration, share?}: the long share of a workload's reads or writes. */
function longQueries(what: 'reads' | 'writes'): Decoder<LongQueries> {
  return object(
    {
      duration: req(duration({ min: 1 }), `How long each of these ${what === 'reads' ? 'queries' : 'transactions'} runs.`),
      share: withDefault(fraction(), `Fraction of its ${what} that are long (default 1: all of them).`, 1),
    },
    { build: (v): LongQueries => ({ duration: v.duration as Micros, share: v.share }) },
  );
}

const sessionRef = (h: VacuumGrammarHelpers) => h.ref('transaction', (env) => [...env.transactions.keys()]);

export function vacuumGrammar(h: VacuumGrammarHelpers) {
  const nodeRef = h.ref('node', (env) => [...env.nodes.keys()]);
  const session = sessionRef(h);

  // ------------------------------------------------------------------ the workload's table

  /** Fields of a workload (merged into grammar.ts's workload). */
  const workloadFields = {
    table: opt(tableRef(), 'The table its queries read and write: they take its locks (reads AccessShareLock, writes RowExclusiveLock) and its writes make its dead rows. Needs databases: before the workload.'),
    reads: opt(h.rate(), 'Read queries per second on its table (SELECT: no XID). Default 0.'),
    inserts: opt(fraction(), 'Share of its write transactions that insert a row into its table; the rest update one (a dead row each). Default 0.'),
    long_reads: opt(longQueries('reads'), 'A share of its reads that run long (reports): each holds its snapshot (the xmin horizon vacuum cannot pass) and AccessShareLock until it ends: {duration, share?}.'),
    long_writes: opt(longQueries('writes'), 'A share of its write transactions that stay open long (batches): each holds its XID and RowExclusiveLock until it ends: {duration, share?}.'),
  };

  type WorkloadTableFields = { table?: TableRef | undefined; reads?: number | undefined; inserts?: number | undefined; long_reads?: LongQueries | undefined; long_writes?: LongQueries | undefined };

  function buildWorkloadTable(v: WorkloadTableFields, info: ObjectInfo, ctx: C, writeRate: number): { table?: WorkloadTableSpec } {
    if (v.table === undefined) {
      for (const k of ['reads', 'inserts', 'long_reads', 'long_writes']) if (info.has(k)) ctx.fail(info.keyAt(k), `${k}${ctx.inContainer} needs the workload's table`, { expected: 'table: a table of the cluster' });
      return {};
    }
    if (v.long_reads !== undefined && !((v.reads ?? 0) > 0)) ctx.fail(info.keyAt('long_reads'), `long_reads${ctx.inContainer} needs reads: the long reads are a share of them`, { expected: 'reads: read queries per second (above 0)' });
    if (v.long_writes !== undefined && !(writeRate > 0)) ctx.fail(info.keyAt('long_writes'), `long_writes${ctx.inContainer} needs a write rate above 0: the long transactions are a share of them`);
    return { table: { table: { database: v.table.database, table: v.table.table }, reads: v.reads ?? 0, inserts: v.inserts ?? 0, longReads: v.long_reads ?? null, longWrites: v.long_writes ?? null } };
  }

  // ------------------------------------------------------------------ plan steps

  const timeouts = {
    lock_timeout: opt(duration({ bareUnit: 'ms' }), 'SET lock_timeout for this statement: it fails if it waits longer for its lock (0 waits forever). Default: the node\'s setting.'),
    statement_timeout: opt(duration({ bareUnit: 'ms' }), 'SET statement_timeout for this statement (lock wait included). Default: the node\'s setting.'),
    session: opt(session, 'A transaction opened by open_transaction: the statement runs in it and its lock is held until close_transaction.'),
  };

  type Timeouts = { lock_timeout?: Micros | undefined; statement_timeout?: Micros | undefined; session?: string | undefined; duration?: Micros | undefined; rows?: number | undefined };

  /** A statement step from its SQL: the lock by statement and version, the table from the statement (or `table:`). */
  function statementStep(sql: string, v: Timeouts & { table?: (TableRef & { cluster: string }) | undefined }, at: { info: ObjectInfo | null; node: Parameters<C['fail']>[0] }, ctx: C): ActionBody {
    let table = v.table;
    if (table && v.session !== undefined && ctx.env.transactions.get(v.session) !== table.cluster) {
      ctx.fail(at.info?.at('session') ?? at.node, `${ctx.subject}: session ${show(v.session)} is in cluster ${show(ctx.env.transactions.get(v.session)!)}, the table in ${show(table.cluster)}`);
    }
    const version = table ? versionOf(ctx.env, table.cluster) : Math.max(...[...ctx.env.clusters.keys()].map((c) => versionOf(ctx.env, c)));
    const c = classifyStatement(sql, version);
    if (!c.ok) return ctx.fail(at.info?.at('statement') ?? at.node, `${ctx.subject}: ${c.reason}`, c.hint ? { hint: c.hint } : {});
    if (!table) {
      if (c.table === null) return ctx.fail(at.info?.node ?? at.node, `${ctx.subject}: the statement names no table`, { expected: 'table: the table it locks' });
      const all = tablesIn(ctx.env).filter((t) => t.table === c.table);
      if (all.length !== 1) {
        const names = tablesIn(ctx.env).map((t) => t.table);
        const dym = didYouMean(c.table, names);
        return (all.length === 0 ? ctx.failReference.bind(ctx, 'table') : ctx.fail.bind(ctx))(at.info?.at('statement') ?? at.node, `${ctx.subject}: ${all.length === 0 ? `no table ${show(c.table)} in the scenario` : `table ${show(c.table)} is in several databases`}`, all.length === 0 ? (dym ? { hint: dym } : { expected: `one of ${listing(names)}` }) : { hint: 'give table: DATABASE.NAME' });
      }
      table = all[0]!;
    }
    // xact.c PreventInTransactionBlock: CREATE INDEX / REINDEX / DETACH PARTITION ... CONCURRENTLY refuse a transaction block.
    if ((c.waitsForSnapshots || /\bDETACH\s+PARTITION\b.*\bCONCURRENTLY\b/i.test(sql)) && v.session !== undefined) ctx.fail(at.info?.at('session') ?? at.node, `${ctx.subject}: ${c.label} cannot run inside a transaction block`, { hint: 'run it on its own (without session:)' });
    // An ALTER TABLE that rewrites its table runs in a migration's transaction as often as not: its duration
    // holds the session's locks; its effect on the table is applied when the statement ends (approximation: a
    // rollback does not undo it).
    if (c.effect !== 'none' && c.effect !== 'scan' && !/^\s*ALTER\s+TABLE\b/i.test(sql) && v.session !== undefined) ctx.fail(at.info?.at('session') ?? at.node, `${ctx.subject}: ${c.label} in a session is not modelled`, { hint: 'run it on its own (without session:)' });
    // Only a DELETE's rows are modelled (each a dead row and a delete record); an UPDATE's WAL depends on HOT.
    if (v.rows !== undefined && c.label !== 'DELETE') ctx.fail(at.info?.at('rows') ?? at.node, `${ctx.subject}: rows: is the number of rows a DELETE deletes, and ${c.label} is not a DELETE`, { hint: 'remove rows:, or write the statement as DELETE FROM ...' });
    const body: VacuumActionBody = {
      kind: 'ddl',
      cluster: table.cluster,
      table: { database: table.database, table: table.table },
      statement: sql.trim(),
      lock: c.mode,
      label: c.label,
      effect: c.effect,
      nowait: c.nowait,
      waitsForSnapshots: c.waitsForSnapshots,
      // A referenced table that is not in the scenario has no queries to block: not locked here.
      others: c.others.flatMap((o) => {
        const t = tablesIn(ctx.env).find((x) => x.cluster === table!.cluster && x.database === table!.database && x.table === o.table);
        return t ? [{ table: { database: t.database, table: t.table }, mode: o.mode }] : [];
      }),
      duration: v.duration ?? null,
      ...(v.rows !== undefined ? { rows: v.rows } : {}),
      lockTimeout: v.lock_timeout ?? null,
      statementTimeout: v.statement_timeout ?? null,
      session: v.session ?? null,
    };
    return body;
  }

  const ddl = object(
    {
      statement: req(string({ nonEmpty: true, maxLength: 2000 }), 'The SQL statement. Its lock level follows the statement and the version (ALTER TABLE subcommands, CREATE INDEX [CONCURRENTLY], LOCK TABLE ... IN mode MODE, ...).'),
      table: opt(tableRef(), 'The table it locks (default: the one the statement names).'),
      duration: opt(duration(), 'How long it runs once it has its lock. Default: a statement that rewrites the table (VACUUM FULL, CLUSTER, ADD COLUMN with a DEFAULT up to 10, ALTER COLUMN TYPE, ...) reads and writes it at the disk\'s throughput, one that scans it (CREATE INDEX, SET NOT NULL, ADD PRIMARY KEY, VALIDATE CONSTRAINT, a DELETE with rows:, ...) reads it; others take no time.'),
      rows: opt(integer({ min: 1 }), 'For a DELETE: the rows it deletes. Each is a dead row from its commit on (autovacuum counts it; a vacuum must remove it) and writes a 56-byte delete record into the WAL, plus the image of each page it changes when full_page_writes is on. Default: the statement changes no row.'),
      ...timeouts,
    },
    { build: (v, info, ctx: C): ActionBody => statementStep(v.statement, v, { info, node: info.node }, ctx) },
  );

  /** TRUNCATE / DROP TABLE: a table name, or {table, lock_timeout?, statement_timeout?}. */
  const tableStatement = (verb: 'TRUNCATE' | 'DROP TABLE') =>
    byKind<ActionBody>(
      {
        string: map(tableRef(), (t, node, ctx: C) => statementStep(`${verb} ${t.table}`, { table: t }, { info: null, node }, ctx)),
        map: object(
          { table: req(tableRef(), 'The table.'), lock_timeout: timeouts.lock_timeout, statement_timeout: timeouts.statement_timeout },
          { build: (v, info, ctx: C): ActionBody => statementStep(`${verb} ${v.table.table}`, v, { info, node: info.node }, ctx) },
        ),
      },
      'a table name, or {table, lock_timeout?, statement_timeout?}',
    );

  const vacuumStep = byKind<ActionBody>(
    {
      string: map(tableRef(), (t): ActionBody => ({ kind: 'vacuum', cluster: t.cluster, database: t.database, table: t.table, freeze: false, costDelay: null, costLimit: null })),
      map: object(
        {
          table: opt(tableRef(), 'The table (default: every table of the database).'),
          database: opt(string({ nonEmpty: true }), 'The database for a database-wide VACUUM (default: the table\'s, or the only database).'),
          freeze: withDefault(boolean(), 'VACUUM FREEZE: freeze every row older than the oldest snapshot (aggressive).', false),
          cost_delay: opt(duration({ bareUnit: 'ms' }), 'vacuum_cost_delay for this VACUUM (default: the node\'s, 0: unthrottled).'),
          cost_limit: opt(integer({ min: 1, max: 10_000 }), 'vacuum_cost_limit for this VACUUM (default: the node\'s, 200).'),
          truncate: opt(boolean(), 'VACUUM (TRUNCATE false) (12+): do not truncate empty pages at the end of the table (default: the table\'s vacuum_truncate).'),
        },
        {
          build: (v, info, ctx: C): ActionBody => {
            const truncate = v.truncate !== undefined ? { truncate: v.truncate } : {};
            const cluster = v.table?.cluster ?? tablesIn(ctx.env).find((t) => v.database === undefined || t.database === v.database)?.cluster;
            if (v.truncate !== undefined && cluster !== undefined && versionOf(ctx.env, cluster) < 12) ctx.fail(info.at('truncate')!, `${ctx.subject}: VACUUM's TRUNCATE option is from PostgreSQL 12 (cluster ${show(cluster)} is ${versionOf(ctx.env, cluster)})`);
            if (v.table) {
              if (v.database !== undefined && v.database !== v.table.database) ctx.fail(info.at('database'), `${ctx.subject}: table ${show(v.table.table)} is in database ${show(v.table.database)}`);
              return { kind: 'vacuum', cluster: v.table.cluster, database: v.table.database, table: v.table.table, freeze: v.freeze, costDelay: v.cost_delay ?? null, costLimit: v.cost_limit ?? null, ...truncate };
            }
            const dbs = [...new Map(tablesIn(ctx.env).map((t) => [`${t.cluster}\u0000${t.database}`, t] as const)).values()];
            const match = v.database !== undefined ? dbs.filter((d) => d.database === v.database) : dbs;
            if (match.length !== 1) {
              const names = [...new Set(dbs.map((d) => d.database))];
              const dym = v.database !== undefined ? didYouMean(v.database, names) : undefined;
              return ctx.fail(info.at('database') ?? info.node, v.database === undefined ? `${ctx.subject} needs a table or a database: the scenario has ${names.length} databases` : `${ctx.subject}: ${match.length === 0 ? `no database ${show(v.database)}` : `database ${show(v.database)} is in several clusters`}`, dym ? { hint: dym } : { expected: `one of ${listing(names)}` });
            }
            const d = match[0]!;
            return { kind: 'vacuum', cluster: d.cluster, database: d.database, table: null, freeze: v.freeze, costDelay: v.cost_delay ?? null, costLimit: v.cost_limit ?? null, ...truncate };
          },
        },
      ),
    },
    'a table name, or {table?, database?, freeze?, cost_delay?, cost_limit?, truncate?}',
  );

  const singleUser = byKind<ActionBody>(
    {
      string: map(nodeRef, (node): ActionBody => ({ kind: 'singleUserVacuum', node, database: null })),
      map: object(
        { node: req(nodeRef, 'The primary to stop and vacuum.'), database: opt(string({ nonEmpty: true }), 'The database to VACUUM (default: the one the stop ERROR names, with the oldest datfrozenxid).') },
        { build: (v): ActionBody => ({ kind: 'singleUserVacuum', node: v.node, database: v.database ?? null }) },
      ),
    },
    'a node name, or {node, database?}',
  );

  const actions = {
    vacuum: vacuumStep,
    ddl,
    truncate: tableStatement('TRUNCATE'),
    drop_table: tableStatement('DROP TABLE'),
    checkpoint: map(nodeRef, (node): ActionBody => ({ kind: 'checkpoint', node })),
    single_user_vacuum: singleUser,
  };

  const actionDescriptions: { readonly [K in keyof typeof actions]: string } = {
    vacuum: 'VACUUM [FREEZE] a table or a whole database by a client backend (unthrottled unless cost_delay is set): a table name, or {table?, database?, freeze?, cost_delay?, cost_limit?, truncate?}.',
    ddl: 'A statement that takes a table lock, as SQL: {statement, table?, duration?, lock_timeout?, statement_timeout?, session?}. Its lock waits in the table\'s queue.',
    truncate: 'TRUNCATE a table (AccessExclusiveLock; the table starts over with relfrozenxid = the oldest running snapshot).',
    drop_table: 'DROP TABLE (AccessExclusiveLock; what it held unfrozen stops counting once a vacuum updates datfrozenxid).',
    checkpoint: 'CHECKPOINT on a node.',
    single_user_vacuum: 'Stop the server and VACUUM a database in single-user mode (the way back from the stop limit the documentation gives up to 13), then start it: a node, or {node, database?}.',
  };

  // ------------------------------------------------------------------ expectations

  const secondsBounds = h.bounds(custom<number>('a number of seconds', () => ({ type: 'number', minimum: 0 }), (node, ctx) => {
    const n = ctx.resolve(node);
    if (isScalar(n) && typeof n.value === 'number' && n.value >= 0) return n.value;
    if (isScalar(n) && typeof n.value === 'string') return duration().decode(n, ctx) / 1e6;
    return typeError(n, ctx, 'a number of seconds or a duration');
  }), 'seconds, or a duration');
  const none = { atLeast: null, atMost: null };

  const lockWait = object(
    {
      who: opt(string({ nonEmpty: true }), 'Part of the waiter\'s name (a plan entry\'s name, "autovacuum", "VACUUM", a statement kind).'),
      table: opt(tableRef(), 'The table.'),
      outcome: opt(enumOf(['granted', 'lock_timeout', 'statement_timeout', 'deadlock', 'canceled', 'not-available', 'still waiting at the end'] as const), 'How the wait ended.'),
      seconds: opt(secondsBounds, 'How long it waited.'),
    },
    {
      build: (v): ExpectationBody => ({ kind: 'lockWait', who: v.who ?? null, table: v.table ? `${v.table.database}.${v.table.table}` : null, outcome: v.outcome ?? null, seconds: v.seconds ?? none }),
    },
  );

  const lockQueue = object(
    {
      workload: opt(string({ nonEmpty: true }), 'The workload (default: any).'),
      seconds: opt(secondsBounds, 'How long its queries were queued behind table locks, in all.'),
      failed: opt(h.bounds(integer({ min: 0 }), 'queries'), 'How many of its queries failed (lock_timeout, statement_timeout).'),
      share: opt(h.bounds(fraction(), 'of the queries'), 'Share of its queries that failed or waited longer than stall_threshold.'),
    },
    { build: (v): ExpectationBody => ({ kind: 'lockQueue', workload: v.workload ?? null, seconds: v.seconds ?? none, failed: v.failed ?? none, share: v.share ?? none }) },
  );

  const expectations = { lock_wait: lockWait, lock_queue: lockQueue };
  const expectationDescriptions: { readonly [K in keyof typeof expectations]: string } = {
    lock_wait: 'A statement waited for a table lock: {who?, table?, outcome?, seconds?}.',
    lock_queue: 'A workload\'s queries queued behind table locks: {workload?, seconds?, failed?, share?}.',
  };

  return { workloadFields, buildWorkloadTable, actions, actionDescriptions, expectations, expectationDescriptions };
}

/** How a lock expectation reads as its default name. */
export function describeLockExpectation(e: Extract<ExpectationBody, { kind: 'lockWait' | 'lockQueue' }>, boundsText: (b: { atLeast: number | null; atMost: number | null }, unit: string) => string): string {
  if (e.kind === 'lockWait') {
    const parts = [e.who ? `${e.who}` : 'a statement', 'waits for a lock', e.table ? `on ${e.table}` : '', e.outcome ? `(${e.outcome})` : '', boundsText(e.seconds, 's')].filter(Boolean);
    return parts.join(' ');
  }
  const parts = [boundsText(e.seconds, 's'), boundsText(e.failed, 'failed'), boundsText(e.share, 'failed or slow')].filter(Boolean);
  return `queries${e.workload ? ` of ${e.workload}` : ''} queued behind table locks${parts.length ? `: ${parts.join(', ')}` : ''}`;
}

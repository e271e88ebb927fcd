/**
 * The vacuum and XID sequences of the conformance harness (npm run conformance runs them beside the
 * replication sequences; `--only xid-limits,relfrozenxid` runs just these). Each has a real side (one server
 * of the major, embedded binaries, through the harness's wire client) and a model side (a small scenario run
 * by replsim), and their observations are compared field by field.
 *
 * - `xid-limits`: the warn and stop limits and their messages. The embedded binaries have no pg_resetwal, so
 *   the next XID is not moved: the oldest datfrozenxid is. App's datfrozenxid (and its table t's
 *   relfrozenxid, kept from an autovacuum's reach by an AccessExclusiveLock held by another session) are set
 *   to the XID `age` before the next one (modulo 2^32: TransactionIdPrecedes compares within 2^31, so it reads
 *   as `age` old), postgres's is set older than its tables so that a VACUUM there advances it, and that
 *   VACUUM recomputes the limits from the oldest datfrozenxid (vacuum.c vac_update_datfrozenxid ->
 *   vac_truncate_clog -> varsup.c SetTransactionIdLimit), as one after pg_resetwal -x would. Then two XIDs
 *   are assigned (txid_current). Probes sit one XID before each candidate boundary (warn 40M or 11M before
 *   wraparound, stop 3M or 1M), ascending; after a stop ERROR the later probes cannot run (their UPDATE needs
 *   an XID) and are recorded as not reached.
 * - `relfrozenxid`: age(relfrozenxid) after an aggressive VACUUM and after VACUUM FREEZE of a table written
 *   once, 10,000 XIDs later, with vacuum_freeze_min_age = 1000 (what conformance/vacuum/observe-relfrozenxid.sh did).
 * - `long-queries`: what a workload's long queries hold (the model's long_reads / long_writes), compared as
 *   the rule each observation shows, since one real query is not a steady stream: a long read started while
 *   a write transaction runs keeps that transaction's XID as its xmin after it ends, so VACUUM FREEZE stops
 *   there (procarray.c GetSnapshotData, ComputeXidHorizons); an ALTER TABLE waits for a long SELECT, and a
 *   SELECT after the ALTER waits behind it.
 */
import { runScenario } from '../../src/run.ts';
import { loadScenarioText } from '../../src/scenario/load.ts';
import type { Flavor } from '../flavor.ts';
import { PgSession, type PgError, type QueryResult } from '../pgwire.ts';
import { withPrimary } from '../real.ts';

export const VACUUM_SEQUENCES = ['xid-limits', 'relfrozenxid', 'long-queries'] as const;
export type VacuumSequence = (typeof VACUUM_SEQUENCES)[number];

const XID_HALF = 2 ** 31 - 1;

/** Ages (of app's datfrozenxid, at the first XID a probe assigns) one before each candidate boundary. */
export const LIMIT_PROBES: readonly { readonly id: string; readonly age: number }[] = [
  { id: 'warn 40M before wraparound', age: XID_HALF - 40_000_000 - 1 },
  { id: 'warn 11M before wraparound', age: XID_HALF - 11_000_000 - 1 },
  { id: 'stop 3M before wraparound', age: XID_HALF - 3_000_000 - 1 },
  { id: 'stop 1M before wraparound', age: XID_HALF - 1_000_000 - 1 },
];

/** What one XID assignment said: nothing, a WARNING or the ERROR, as `SEVERITY:  message\nHINT:  hint`. */
export interface XidOutcome {
  readonly age: number;
  readonly line: string | null;
}

export interface LimitProbeObservation {
  readonly id: string;
  readonly age: number;
  /** False when an earlier probe reached the stop limit (its setup needs an XID). */
  readonly reached: boolean;
  readonly xids: readonly XidOutcome[];
}

export type VacuumObservation =
  | { readonly kind: 'xid-limits'; readonly probes: readonly LimitProbeObservation[] }
  | { readonly kind: 'relfrozenxid'; readonly aggressive: number; readonly freeze: number }
  | {
      readonly kind: 'long-queries';
      /** Where VACUUM FREEZE leaves relfrozenxid while the long read runs (its writer has ended). */
      readonly freezeStopsAt: FreezeStop;
      /** When the ALTER TABLE issued during a long SELECT gets its lock. */
      readonly ddl: LockOutcome;
      /** When a SELECT issued after that ALTER runs. */
      readonly laterSelect: LockOutcome;
    };

export type FreezeStop = 'at the XID of the write transaction running when the read began' | 'at the XID the read began at' | 'at the next XID' | 'elsewhere';
export type LockOutcome = 'when the long query ends' | 'at once' | 'elsewhere';

/** The recorded real observations of the vacuum sequences (test/conformance/vacuum-sequences.json). */
export interface VacuumRecord {
  readonly date: string;
  readonly runs: readonly { readonly major: number; readonly pgVersion: string; readonly seq: VacuumSequence; readonly real: VacuumObservation | null; readonly error: string | null }[];
}

export interface VacuumDifference {
  readonly field: string;
  readonly real: string;
  readonly model: string;
}

const lineOf = (e: PgError): string => `${e.severity}:  ${e.message}${e.hint ? `\nHINT:  ${e.hint}` : ''}`;

function check(r: QueryResult, what: string): QueryResult {
  if (r.error) throw new Error(`${what}: ${r.error.message}`);
  return r;
}

async function connect(port: number, database: string): Promise<PgSession> {
  for (let i = 0; ; i++) {
    try {
      return await PgSession.connect({ port, database, timeoutMs: 10000 });
    } catch (e) {
      if (i >= 10) throw e;
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
}

async function realLimits(port: number, flavor: Flavor): Promise<VacuumObservation> {
  return withPrimary(flavor, port, async (c, p) => {
    check(await c.sql(p, 'CREATE DATABASE app'), 'create database');
    const app = await connect(p.port, 'app');
    const holder = await connect(p.port, 'app');
    const pg = await connect(p.port, 'postgres');
    try {
      check(await app.query('CREATE TABLE t (a int)'), 'create table');
      // Held for the whole sequence: a forced anti-wraparound autovacuum of app skips t, so app's
      // datfrozenxid stays where the probe put it.
      check(await holder.query('BEGIN'), 'begin');
      check(await holder.query('LOCK TABLE t IN ACCESS EXCLUSIVE MODE'), 'lock');
      const probes: LimitProbeObservation[] = [];
      let stopped = false;
      for (const probe of LIMIT_PROBES) {
        if (stopped) {
          probes.push({ id: probe.id, age: probe.age, reached: false, xids: [] });
          continue;
        }
        // The transaction's XID is x; the next one assigned (the probe's first) is x + 1.
        const frozen = `((txid_current() + 1 - ${probe.age} + 4294967296) % 4294967296)::text::xid`;
        const set = await app.query(
          `BEGIN; UPDATE pg_class SET relfrozenxid = ${frozen} WHERE relname = 't'; UPDATE pg_database SET datfrozenxid = ${frozen} WHERE datname = 'app'; UPDATE pg_database SET datfrozenxid = '3' WHERE datname = 'postgres'; COMMIT`,
        );
        if (set.error) {
          await app.query('ROLLBACK');
          probes.push({ id: probe.id, age: probe.age, reached: false, xids: [] });
          stopped = true;
          continue;
        }
        check(await pg.query('VACUUM pg_database'), 'vacuum');
        const xids: XidOutcome[] = [];
        for (let k = 0; k < 2; k++) {
          const r = await pg.query('SELECT txid_current()');
          const said = r.error ?? r.notices.find((n) => n.severity === 'WARNING') ?? null;
          xids.push({ age: probe.age + k, line: said ? lineOf(said) : null });
          if (r.error) stopped = true;
          if (stopped) break;
        }
        probes.push({ id: probe.id, age: probe.age, reached: true, xids });
      }
      return { kind: 'xid-limits', probes };
    } finally {
      for (const s of [app, holder, pg]) s.close();
    }
  });
}

async function realRelfrozenxid(port: number, flavor: Flavor): Promise<VacuumObservation> {
  return withPrimary(flavor, port, async (c, p) => {
    const s = await connect(p.port, 'postgres');
    try {
      check(await s.query('CREATE TABLE t (a int); INSERT INTO t SELECT generate_series(1, 1000); CREATE TABLE u (a int); INSERT INTO u SELECT generate_series(1, 1000)'), 'setup');
      for (let i = 0; i < 10_000; i++) check(await s.query('SELECT txid_current()'), 'txid_current');
      check(await s.query('SET vacuum_freeze_min_age = 1000'), 'set');
      check(await s.query('SET vacuum_freeze_table_age = 0'), 'set');
      check(await s.query('VACUUM t'), 'vacuum');
      check(await s.query('VACUUM FREEZE u'), 'vacuum freeze');
      const r = check(await s.query("SELECT relname, age(relfrozenxid) FROM pg_class WHERE relname IN ('t', 'u') ORDER BY relname"), 'ages');
      return { kind: 'relfrozenxid', aggressive: Number(r.rows[0]![1]), freeze: Number(r.rows[1]![1]) };
    } finally {
      s.close();
    }
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function realLongQueries(port: number, flavor: Flavor): Promise<VacuumObservation> {
  return withPrimary(flavor, port, async (c, p) => {
    const open = await Promise.all([0, 1, 2, 3, 4].map(() => connect(p.port, 'postgres')));
    const [admin, writer, reader, ddl, later] = open as [PgSession, PgSession, PgSession, PgSession, PgSession];
    try {
      check(await admin.query('CREATE TABLE t (a int); INSERT INTO t SELECT generate_series(1, 1000)'), 'setup');
      // A write transaction W with an XID, a long read R started while W runs, then W commits.
      check(await writer.query('BEGIN'), 'begin');
      const wx = Number(check(await writer.query('SELECT txid_current()'), 'W').rows[0]![0]);
      const readStart = Number(check(await admin.query('SELECT txid_current()'), 'xid').rows[0]![0]) + 1;
      const read = reader.query('SELECT pg_sleep(6)', 20000);
      await sleep(500);
      check(await writer.query('COMMIT'), 'commit');
      check(await admin.query('SELECT txid_current()'), 'xid');
      check(await admin.query('VACUUM FREEZE t'), 'vacuum freeze');
      const next = Number(check(await admin.query('SELECT txid_current()'), 'xid').rows[0]![0]);
      const fx = Number(check(await admin.query("SELECT relfrozenxid::text FROM pg_class WHERE relname = 't'"), 'relfrozenxid').rows[0]![0]);
      const freezeStopsAt: FreezeStop = fx === wx ? 'at the XID of the write transaction running when the read began' : fx === readStart ? 'at the XID the read began at' : fx >= next - 2 ? 'at the next XID' : 'elsewhere';
      await read;
      // A SELECT of 3 s; an ALTER TABLE 1 s later; a SELECT 1 s after that.
      const t0 = Date.now();
      const long = reader.query('SELECT pg_sleep(3) FROM t LIMIT 1', 20000);
      await sleep(1000);
      const alter = ddl.query('ALTER TABLE t ADD COLUMN y int', 20000).then(() => Date.now() - t0);
      await sleep(1000);
      const select = later.query('SELECT count(*) FROM t', 20000).then(() => Date.now() - t0);
      await long;
      const [alterDone, selectDone] = await Promise.all([alter, select]);
      const when = (doneMs: number, issuedMs: number): LockOutcome => (doneMs >= 2800 && doneMs < 4500 ? 'when the long query ends' : doneMs - issuedMs < 500 ? 'at once' : 'elsewhere');
      return { kind: 'long-queries', freezeStopsAt, ddl: when(alterDone, 1000), laterSelect: when(selectDone, 2000) };
    } finally {
      for (const s of open) s.close();
    }
  });
}

export function runRealVacuum(seq: VacuumSequence, port: number, flavor: Flavor): Promise<VacuumObservation> {
  return seq === 'xid-limits' ? realLimits(port, flavor) : seq === 'relfrozenxid' ? realRelfrozenxid(port, flavor) : realLongQueries(port, flavor);
}

// ------------------------------------------------------------------ the model

/** A model log line as the server sends it to the client ("client backend WARNING:  x\n\tHINT:  y" -> "WARNING:  x\nHINT:  y"). */
const plain = (line: string) => line.replace(/^[a-z ]+ (LOG|WARNING|ERROR|FATAL):/, '$1:').replace(/\n\t/g, '\n');

/**
 * One probe in the model: app's table `age` old at the start, postgres's young, one XID a second: the XID
 * assigned k seconds in is the probe's (k+1)-th. The WARNING is one event repeated per XID, one transaction
 * fewer each time; the stop is one event.
 */
function modelProbe(major: number, age: number): XidOutcome[] {
  const r = runScenario(
    loadScenarioText(
      `
name: xid-limits-${major}
start: 2024-01-01T00:00:00Z
duration: 3s
sites: {dc: {}}
clusters:
  c:
    nodes: {p: {site: dc, version: ${major}, settings: {autovacuum: false}}}
    databases:
      app: {tables: {t: {size: 1MB, frozen_age: ${age}}}}
      postgres: {tables: {t0: {size: 1MB, frozen_age: 0}}}
    workload: {target: p, rate: 1/s, wal_per_tx: 200B}
plan: []
`,
      'xid-limits.yaml',
    ),
  ).report;
  const at = (e: { at: string }) => (Date.parse(e.at) - Date.parse(r.start)) / 1000;
  const warn = r.events.find((e) => e.message.includes('reached the warning limit'));
  const stop = r.events.find((e) => e.message.includes('reached the stop limit'));
  const out: XidOutcome[] = [];
  for (let k = 0; k < 2; k++) {
    if (stop && at(stop) <= k) {
      out.push({ age: age + k, line: plain(stop.log[0]!) });
      break;
    }
    if (warn && at(warn) <= k) {
      const first = plain(warn.log[0]!);
      const left = Number(/within (\d+) transactions/.exec(first)![1]) - (k - at(warn));
      out.push({ age: age + k, line: first.replace(/within \d+ transactions/, `within ${left} transactions`) });
    } else out.push({ age: age + k, line: null });
  }
  return out;
}

function modelRelfrozenxid(major: number): VacuumObservation {
  // Both tables written at the start (the model takes a table as written up to then), 10,000 XIDs in 10 s,
  // then nothing else running while they are vacuumed.
  const r = runScenario(
    loadScenarioText(
      `
name: relfrozenxid-${major}
start: 2024-01-01T00:00:00Z
duration: 20s
sites: {dc: {}}
clusters:
  c:
    nodes: {p: {site: dc, version: ${major}, settings: {autovacuum: false, vacuum_freeze_min_age: 1000, vacuum_freeze_table_age: 0}}}
    databases:
      app: {tables: {t: {size: 1MB, frozen_age: 0}, u: {size: 1MB, frozen_age: 0}}}
    workload: {target: p, rate: 1000/s, wal_per_tx: 200B}
plan:
  - {at: +10s, workload: {rate: 0/s}}
  - {at: +11s, vacuum: {table: t}}
  - {at: +12s, vacuum: {table: u, freeze: true}}
`,
      'relfrozenxid.yaml',
    ),
  ).report;
  const after = (table: string) => r.vacuums.find((v) => v.table === table && v.trigger === 'manual')!.ageAfter!;
  return { kind: 'relfrozenxid', aggressive: after('t'), freeze: after('u') };
}

/**
 * The same rules in the model, with steady streams: long write transactions and long reads of one hour each
 * (a FREEZE after six hours stops two hours back when a read's snapshot counts the writers running at its
 * start, one hour back when it does not), and an ALTER TABLE behind reports of 3 s each.
 */
function modelLongQueries(major: number): VacuumObservation {
  const rate = 500;
  const doc = (workload: string, plan: string, duration: string) => `
name: long-queries-${major}
start: 2024-01-01T00:00:00Z
duration: ${duration}
sites: {dc: {}}
clusters:
  c:
    nodes: {p: {site: dc, version: ${major}, settings: {autovacuum: false}}}
    databases:
      app: {tables: {t: {size: 1GB, rows: 10000000, frozen_age: 0}}}
    workload: {target: p, rate: ${rate}/s, wal_per_tx: 2KiB, table: t, reads: 100/s${workload}}
plan:
${plan}
`;
  const freeze = runScenario(loadScenarioText(doc(', long_writes: {duration: 1h, share: 0.001}, long_reads: {duration: 1h, share: 0.01}', '  - {at: +6h, vacuum: {table: t, freeze: true}}', '7h'), 'long-queries.yaml')).report;
  const v = freeze.vacuums.find((x) => x.trigger === 'manual')!;
  const back = v.ageAfter! / rate - v.seconds;
  const freezeStopsAt: FreezeStop = Math.abs(back - 7200) < 60 ? 'at the XID of the write transaction running when the read began' : Math.abs(back - 3600) < 60 ? 'at the XID the read began at' : back < 60 ? 'at the next XID' : 'elsewhere';
  const locks = runScenario(loadScenarioText(doc(', long_reads: {duration: 3s, share: 0.1}', '  - {at: +60s, name: alter, ddl: {statement: "ALTER TABLE t ADD COLUMN y int"}}', '2m'), 'long-queries.yaml')).report;
  const wait = locks.locks!.waits.find((w) => w.who.includes('alter'))!;
  const ddl: LockOutcome = wait.seconds === 3 ? 'when the long query ends' : wait.seconds === 0 ? 'at once' : 'elsewhere';
  const queued = locks.stalls.find((s) => s.cause.startsWith('lock queue on app.t') && s.cause.includes('"alter"'));
  const laterSelect: LockOutcome = queued && queued.seconds === 3 ? 'when the long query ends' : !queued ? 'at once' : 'elsewhere';
  return { kind: 'long-queries', freezeStopsAt, ddl, laterSelect };
}

/** The model's observation of the sequence on `major`, probing what the real run reached. */
export function runModelVacuum(seq: VacuumSequence, major: number, real?: VacuumObservation): VacuumObservation {
  if (seq === 'relfrozenxid') return modelRelfrozenxid(major);
  if (seq === 'long-queries') return modelLongQueries(major);
  const reached = real?.kind === 'xid-limits' ? real.probes : null;
  const probes = LIMIT_PROBES.map((p, i): LimitProbeObservation => {
    if (reached && !reached[i]!.reached) return { id: p.id, age: p.age, reached: false, xids: [] };
    return { id: p.id, age: p.age, reached: true, xids: modelProbe(major, p.age) };
  });
  return { kind: 'xid-limits', probes };
}

/**
 * Field by field: each XID's outcome (none, the WARNING with its count and hint, the ERROR), and which probes
 * could run at all (a stop reached earlier in the model than on the server shows as a probe not reached).
 */
export function compareVacuum(real: VacuumObservation, model: VacuumObservation): VacuumDifference[] {
  const out: VacuumDifference[] = [];
  if (real.kind === 'relfrozenxid' && model.kind === 'relfrozenxid') {
    if (real.aggressive !== model.aggressive) out.push({ field: 'age(relfrozenxid) after an aggressive VACUUM', real: String(real.aggressive), model: String(model.aggressive) });
    if (real.freeze !== model.freeze) out.push({ field: 'age(relfrozenxid) after VACUUM FREEZE', real: String(real.freeze), model: String(model.freeze) });
    return out;
  }
  if (real.kind === 'long-queries' && model.kind === 'long-queries') {
    if (real.freezeStopsAt !== model.freezeStopsAt) out.push({ field: 'VACUUM FREEZE during a long read stops', real: real.freezeStopsAt, model: model.freezeStopsAt });
    if (real.ddl !== model.ddl) out.push({ field: 'an ALTER TABLE behind a long SELECT gets its lock', real: real.ddl, model: model.ddl });
    if (real.laterSelect !== model.laterSelect) out.push({ field: 'a SELECT after that ALTER runs', real: real.laterSelect, model: model.laterSelect });
    return out;
  }
  if (real.kind !== 'xid-limits' || model.kind !== 'xid-limits') return [{ field: 'kind', real: real.kind, model: model.kind }];
  for (const [i, r] of real.probes.entries()) {
    const m = model.probes[i]!;
    for (let k = 0; k < Math.max(r.xids.length, m.xids.length); k++) {
      const a = r.xids[k]?.line ?? (r.xids[k] ? 'no message' : 'not assigned');
      const b = m.xids[k]?.line ?? (m.xids[k] ? 'no message' : 'not assigned');
      if (a !== b) out.push({ field: `${r.id}: XID of age ${r.age + k}`, real: a, model: b });
    }
  }
  return out;
}

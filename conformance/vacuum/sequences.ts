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
 */
import { runScenario } from '../../src/run.ts';
import { loadScenarioText } from '../../src/scenario/load.ts';
import type { Flavor } from '../flavor.ts';
import { PgSession, type PgError, type QueryResult } from '../pgwire.ts';
import { withPrimary } from '../real.ts';

export const VACUUM_SEQUENCES = ['xid-limits', 'relfrozenxid'] as const;
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
  | { readonly kind: 'relfrozenxid'; readonly aggressive: number; readonly freeze: number };

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

export function runRealVacuum(seq: VacuumSequence, port: number, flavor: Flavor): Promise<VacuumObservation> {
  return seq === 'xid-limits' ? realLimits(port, flavor) : realRelfrozenxid(port, flavor);
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

/** The model's observation of the sequence on `major`, probing what the real run reached. */
export function runModelVacuum(seq: VacuumSequence, major: number, real?: VacuumObservation): VacuumObservation {
  if (seq === 'relfrozenxid') return modelRelfrozenxid(major);
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

/** The prose of session, vacuum and XID-limit facts (history/facts/vacuum.ts). */
import type { HorizonHolder, VacuumCancel, VacuumFact, VacuumFailure, VacuumOutcome } from '../../../history/facts/vacuum.ts';
import type { PgMajor } from '../../../scenario/types.ts';
import { count, duration, rate, size } from '../../format.ts';
import { code, node, p, type Token } from '../parts.ts';
import type { TemplatesOf } from './types.ts';

/** A duration recorded in µs, as format.ts writes durations ("40 min 12 s", "250 ms"). */
export const roundedDuration = (us: number): string => duration(us / 1e6);

/** Why a statement or a client's VACUUM failed. */
export const FAILURE: { readonly [K in VacuumFailure]: Token } = {
  'not-available': 'its lock was not available (NOWAIT)',
  lock_timeout: p`${code('lock_timeout')} passed while it waited for its lock`,
  statement_timeout: p`${code('statement_timeout')} passed`,
  deadlock: 'it was chosen as the victim of a deadlock',
  canceled: 'the server stopped',
  cancelled: 'cancelled',
};

/**
 * What the documentation recommends at the stop limit: up to 13, a VACUUM in single-user mode; from 14, not to
 * stop the server but to end the holders and run a normal database-wide VACUUM (maintenance.sgml; 14.0's docs
 * not verified, 14.13's say it).
 */
function stopLimitAdvice(version: PgMajor): string {
  return version >= 14
    ? 'PostgreSQL 14+ documentation: do not stop the server; commit or roll back old prepared transactions, end long-running transactions, drop stale replication slots, then run a normal database-wide VACUUM (not FULL, not FREEZE); single-user mode only to TRUNCATE or DROP tables, since it disables the safeguards'
    : 'the documentation of this version: stop the server and VACUUM the database in single-user mode, which is exempt from the stop limit';
}

const HOLDS: { readonly [K in Exclude<Extract<VacuumFact, { kind: 'xmin-held' }>['how'], 'standby-query'>]: string } = {
  prepared: 'a prepared transaction',
  'idle-in-transaction': 'a session idle in transaction',
  transaction: 'a long-running transaction',
};

function cancelled(why: VacuumCancel | null): Token {
  if (why === null) return 'the server stopped';
  switch (why.kind) {
    case 'lock-conflict':
      return p`${why.by} waited ${code('deadlock_timeout')} for ${why.mode} on ${why.table}, which the autovacuum held`;
    case 'statement_timeout':
      return p`${code('statement_timeout')} passed`;
    case 'server-stopped':
      return p`${node(why.node)} stopped`;
  }
}

/** What holds the horizon, as the report names it. */
export function horizonHolder(h: HorizonHolder): Token {
  switch (h.kind) {
    case 'queries':
      return p`${h.queries === 'read' ? 'long queries' : 'long transactions'} of workload "${h.workload}" (${duration(h.duration / 1e6)} each, database ${h.database})`;
    case 'standby-query':
      return p`query "${h.name}" on standby ${node(h.node)} (${code('hot_standby_feedback')})`;
    case 'session':
      return p`${h.session} "${h.name}" on ${node(h.node)} (database ${h.database})`;
    case 'logical-slot':
      return p`logical slot "${h.slot}" (database ${h.database}) holding catalog_xmin`;
    case 'physical-slot':
      return p`physical slot "${h.slot}" holding xmin (${code('hot_standby_feedback')})`;
    case 'delayed-standby':
      return p`standby ${node(h.node)}, which replays ${duration(h.delay / 1e6)} behind (${code('recovery_min_apply_delay')}) and reports that old an xmin (${code('hot_standby_feedback')})`;
  }
}

function outcome(o: VacuumOutcome): Token {
  switch (o.kind) {
    case 'cancelled':
      return p` cancelled: ${cancelled(o.why)}; nothing it did is kept`;
    case 'held': {
      const parts: string[] = [];
      if (o.deadKept) parts.push('dead rows it can still see stay');
      if (o.frozenxidHeld) parts.push('relfrozenxid cannot pass its xmin');
      return p`: held back by ${horizonHolder(o.holder)}: ${parts.join(', and ')}`;
    }
    case 'done': {
      const d = o.detail;
      if (d === null) return ' done';
      return ` done in ${duration(d.duration / 1e6)} (${size(d.bytes)} at ${rate(d.bytesPerSecond)}${d.failsafe ? ', failsafe: no cost delay' : ''}): age(relfrozenxid) ${count(d.ageBefore)} → ${count(d.ageAfter)}`;
    }
  }
}

export const VACUUM: TemplatesOf<VacuumFact> = {
  'xmin-held': (f) =>
    f.xmin === null
      ? p`${f.how === 'standby-query' ? p`a session on standby ${node(f.node)}` : 'a session'} "${f.session}" idle in a ${code(f.isolation.toUpperCase())} transaction${f.how === 'standby-query' ? '' : ' that has not written'} holds no xmin: its snapshot went with its last statement and it has no XID (it still holds its locks)`
      : f.how === 'standby-query'
        ? p`a query on standby ${node(f.node)} "${f.session}" holds the xmin horizon at ${f.xmin}${f.hotStandbyFeedback ? p`: ${code('hot_standby_feedback')} reports its xmin to the primary while it streams` : p`: without ${code('hot_standby_feedback')} it holds nothing on the primary`}`
        : `${HOLDS[f.how]} "${f.session}" holds the xmin horizon at ${f.holds === 'xid' ? `its XID ${f.xmin} (idle in READ COMMITTED it has no snapshot, but it wrote)` : f.xmin}`,
  'idle-session-terminated': (f) =>
    p`session "${f.session}" was idle in transaction longer than ${code('idle_in_transaction_session_timeout')} (${roundedDuration(f.timeout)}): it is terminated and its transaction rolled back`,
  'session-query-cancelled': (f) =>
    p`the query of session "${f.session}" ran longer than ${code('statement_timeout')} (${roundedDuration(f.timeout)}): it is cancelled and its transaction aborted, releasing its locks and its snapshot`,
  'long-reads-cancelled': (f) =>
    p`the long queries of ${f.workload} (${roundedDuration(f.duration)}) run longer than ${code('statement_timeout')} (${roundedDuration(f.timeout)}): each is cancelled then, and holds its lock and its snapshot no longer`,
  'vacuum-truncated': (f) =>
    p`the vacuum of ${f.table} truncated ${size(f.bytes)} of empty pages at its end, holding an ACCESS EXCLUSIVE lock for ${duration(f.held / 1e6)} that standbys replay: their queries on the table are in conflict with it, and wait for it`,
  'vacuum-truncate-skipped': (f) => `the vacuum of ${f.table} did not get its ACCESS EXCLUSIVE lock within 5 s: stopping truncate due to conflicting lock request, the empty pages at its end stay`,
  'transaction-ended': (f) => `transaction "${f.session}" ended: it no longer holds the xmin horizon, and its locks are released`,
  'vacuum-failed': (f) => p`${f.who} failed: ${FAILURE[f.failure]}`,
  'single-user-vacuum-started': (f) => `single-user VACUUM of database ${f.database}: the server is stopped for it (${stopLimitAdvice(f.version)})`,
  'single-user-vacuum-done': (f) => `single-user VACUUM of ${f.database} done after ${roundedDuration(f.duration)}: the server starts again`,
  'table-dropped': (f) => `${f.table} dropped: what it held unfrozen no longer counts once a vacuum updates datfrozenxid`,
  'table-rewritten': (f) => `${f.table} ${f.effect === 'rewrite' ? 'rewritten' : 'truncated'}: age(relfrozenxid) ${count(f.age)}`,
  'rows-deleted': (f) => `${f.table}: a DELETE of ${count(f.rows)} rows committed; they are dead rows until a vacuum removes them (n_dead_tup ${count(f.dead)})`,
  'autovacuum-skipped': (f) => `autovacuum skips ${f.table}: its lock is not available`,
  'vacuum-run': (f) =>
    p`${f.by === 'autovacuum' ? 'autovacuum' : f.by === 'single-user' ? 'single-user VACUUM' : 'VACUUM'}${f.freeze ? ' FREEZE' : ''} of ${f.table}${f.antiWraparound ? ' (to prevent wraparound)' : ''}${f.aggressive && !f.antiWraparound ? ' (aggressive)' : ''}${outcome(f.outcome)}`,
  'limits-recomputed-still-warning': (f) => `the vacuum of ${f.database} recomputed the wraparound limits${f.advanced ? ' (its datfrozenxid advanced)' : ''}: ${f.oldest} is still past the warn limit`,
  'xid-stop-lifted': (f) => `age(datfrozenxid) is below the stop limit again (${count(f.age)}): XID-assigning commands work again`,
  'xid-warn-limit': (f) => `age(datfrozenxid) reached the warning limit: every command that assigns an XID now gets a WARNING (${count(f.remaining)} transactions left before wraparound)`,
  'xid-stop-limit': () => 'age(datfrozenxid) reached the stop limit: commands that assign XIDs fail, read-only queries still work',
};

/**
 * Lock queues in the report: each statement's wait with who held the table and who waited ahead, each
 * workload's share of queries that failed or waited past the stall threshold, and the chain behind an outage
 * or a stall caused by a lock queue (from the history's lock records).
 */
import type { Micros } from '../engine/time.ts';
import type { FactStep } from './explain.ts';
import type { History, LockParty, LockRecord, WriteStatusInterval } from '../history/history.ts';
import type { WriteEndFact } from '../history/facts/write-end.ts';
import { count, duration, percentExact } from '../report/format.ts';
import type { CauseStepJson, ExpectationJson, LockRequestsJson, LockWaitJson, Report } from '../report/types.ts';
import type { ExpectationBody } from '../scenario/types.ts';

type Fmt = (t: Micros) => string;

function chainSteps(parties: readonly LockParty[], table: string): FactStep[] {
  return parties.map((p) => ({ fact: { kind: 'lock-party', who: p.who, mode: p.mode, table, fromAt: p.since, waiting: p.waiting }, log: [] }));
}

export function lockWaits(history: History, iso: Fmt, json: (s: FactStep) => CauseStepJson): LockWaitJson[] {
  return history.locks
    .filter((r): r is Extract<LockRecord, { kind: 'wait' }> => r.kind === 'wait')
    .map((r) => ({ cluster: r.cluster, table: r.table, who: r.who, mode: r.mode, from: iso(r.from), to: iso(r.to), seconds: (r.to - r.from) / 1e6, outcome: r.outcome, chain: chainSteps(r.chain, r.table).map(json) }));
}

export function lockRequests(totals: readonly { cluster: string; workload: string; table: string; arrived: number; failed: number; slow: number }[]): LockRequestsJson[] {
  return totals.map((t) => ({
    cluster: t.cluster,
    workload: t.workload,
    table: t.table,
    requests: Math.round(t.arrived),
    failed: Math.round(t.failed),
    slow: Math.round(t.slow),
    share: t.arrived > 0 ? Math.round(((t.failed + t.slow) / t.arrived) * 1e6) / 1e6 : 0,
  }));
}

/**
 * The chain behind an outage or stall of a workload that a lock queue caused: the queue records of that workload
 * during the interval (the first one's parties, then the counts of all of them).
 */
export function lockChainOf(w: WriteStatusInterval, end: Micros, history: History): { chain: FactStep[]; requests: { arrived: number; failed: number; slow: number } } | null {
  if (w.cause.kind !== 'lock-queue') return null;
  const to = w.to ?? end;
  const groups = history.locks.filter((r): r is Extract<LockRecord, { kind: 'queue' }> => r.kind === 'queue' && r.cluster === w.cluster && r.workload === w.workload && r.to > w.from && r.from < to);
  if (groups.length === 0) return null;
  const first = groups.reduce((a, b) => (b.from < a.from ? b : a));
  const sum = (k: 'arrived' | 'failed' | 'slow') => Math.round(groups.reduce((a, g) => a + g[k], 0));
  const steps = chainSteps(first.chain, first.table);
  const requests = { arrived: sum('arrived'), failed: sum('failed'), slow: sum('slow') };
  steps.push({ fact: { kind: 'lock-queued', workload: w.workload, table: first.table, fromAt: first.from, ...requests }, log: [] });
  return { chain: steps, requests };
}

/**
 * How a lock queue's stall or outage ended: the wait of a statement queued ahead of the workload's queries (the
 * cause's waiters and holders) on that table that ended when the interval did: granted (it ran and released
 * the table), or given up (lock_timeout, statement_timeout, a deadlock, cancelled): lock.c, the queue moves
 * once the conflicting request leaves it. Null when no such wait ended then.
 */
export function lockEndOf(w: WriteStatusInterval, history: History): WriteEndFact | null {
  const c = w.cause;
  if (c.kind !== 'lock-queue' || w.to === null) return null;
  const ahead = new Set([...c.waiters, ...c.holders].map((x) => x.who));
  for (let i = history.locks.length - 1; i >= 0; i--) {
    const r = history.locks[i]!;
    if (r.kind !== 'wait' || r.cluster !== w.cluster || r.table !== c.table || r.to !== w.to || !ahead.has(r.who)) continue;
    if (r.outcome === 'still waiting at the end') return null;
    return { kind: 'end-lock-wait', table: r.table, who: r.who, mode: r.mode, outcome: r.outcome, at: r.to };
  }
  return null;
}

type Bounds = { readonly atLeast: number | null; readonly atMost: number | null };
const within = (b: Bounds, v: number) => (b.atLeast === null || v >= b.atLeast) && (b.atMost === null || v <= b.atMost);
const boundsText = (b: Bounds, unit: string) =>
  b.atLeast !== null && b.atMost !== null ? `between ${b.atLeast} and ${b.atMost} ${unit}` : b.atLeast !== null ? `at least ${b.atLeast} ${unit}` : b.atMost !== null ? `at most ${b.atMost} ${unit}` : `any ${unit}`;

/** The `lock_wait` and `lock_queue` expectations against the report. */
export function evaluateLockExpectation(
  e: Extract<ExpectationBody, { kind: 'lockWait' | 'lockQueue' }> & { readonly name: string },
  r: Pick<Report, 'locks' | 'outages' | 'stalls'>,
): ExpectationJson {
  if (e.kind === 'lockWait') {
    const waits = (r.locks?.waits ?? []).filter((w) => (e.who === null || w.who.includes(e.who)) && (e.table === null || w.table === e.table) && (e.outcome === null || w.outcome === e.outcome));
    const ok = waits.filter((w) => within(e.seconds, w.seconds));
    const found = waits.map((w) => `${w.who} on ${w.table}: ${w.outcome} after ${duration(w.seconds)}`).join('; ');
    return { name: e.name, passed: ok.length > 0, detail: waits.length === 0 ? 'no such lock wait' : ok.length > 0 ? found : `${found}; expected ${boundsText(e.seconds, 's')}` };
  }
  const intervals = [...r.outages, ...r.stalls].filter((x) => x.causeFact?.kind === 'lock-queue' && (e.workload === null || x.workload === e.workload));
  const seconds = intervals.reduce((a, x) => a + x.seconds, 0);
  const reqs = (r.locks?.requests ?? []).filter((q) => e.workload === null || q.workload === e.workload);
  const total = reqs.reduce((a, q) => a + q.requests, 0);
  const failed = reqs.reduce((a, q) => a + q.failed, 0);
  const share = total > 0 ? (failed + reqs.reduce((a, q) => a + q.slow, 0)) / total : 0;
  const problems: string[] = [];
  if (!within(e.seconds, seconds)) problems.push(`queued ${duration(seconds)}, expected ${boundsText(e.seconds, 's')}`);
  if (!within(e.failed, failed)) problems.push(`${failed} failed, expected ${boundsText(e.failed, 'queries')}`);
  if (!within(e.share, share)) problems.push(`${percentExact(share)} failed or slow, expected ${boundsText(e.share, 'of the queries')}`);
  const detail = `${intervals.length} interval(s), ${duration(seconds)} in all; ${count(failed)} of ${count(total)} queries failed, ${percentExact(share)} failed or waited past the stall threshold`;
  return { name: e.name, passed: problems.length === 0, detail: problems.length === 0 ? detail : problems.join('; ') };
}

/**
 * The transaction-ID report of a cluster: how old the oldest unfrozen XID got, against the version's warn
 * and stop limits, and the chain of facts behind it (who held the horizon, which vacuums could not freeze,
 * which one finally did), from the recorded history. The steps are data (history/facts/chains.ts).
 */
import type { Micros } from '../engine/time.ts';
import type { History } from '../history/history.ts';
import type { XidChainFact } from '../history/facts/chains.ts';
import type { FactStep } from './explain.ts';

export interface XidSummary {
  readonly maxAge: number;
  readonly maxAgeAt: Micros;
  readonly endAge: number;
  readonly firstWarningAt: Micros | null;
  readonly stopAt: Micros | null;
  readonly projectedStopAt: Micros | null;
}

const step = (fact: XidChainFact): FactStep => ({ fact, log: [] });

export function explainXid(cluster: string, s: XidSummary, limits: { warnAge: number; stopAge: number }, history: History): FactStep[] {
  const steps: FactStep[] = [];
  const samples = history.metrics.filter((m) => m.cluster === cluster && m.name === 'max_xid_age');
  // The samples' rate is per µs.
  const rate = (samples.findLast((m) => m.at <= s.maxAgeAt)?.rate ?? 0) * 1e6;
  steps.push(step({ kind: 'xid-age-peak', maxAge: Math.round(s.maxAge), at: s.maxAgeAt, rate, endAge: Math.round(s.endAge) }));
  const holds = history.holds.filter((h) => h.cluster === cluster && h.since <= s.maxAgeAt);
  for (const h of holds) {
    const blocked = history.vacuums.filter((v) => v.cluster === cluster && v.blockedBy === h.holder);
    // An autovacuum retry loop: every visit vacuums the held tables again (each record counts its runs).
    const runs = blocked.reduce((a, v) => a + (v.runs ?? 1), 0);
    steps.push(
      step({ kind: 'xid-horizon-held', holder: h.holder, hold: h.kind, xid: h.xid, fromAt: h.since, toAt: h.until, runs, tables: [...new Set(blocked.map((v) => v.table))], freezeBlocked: blocked.some((v) => v.mode !== 'regular') }),
    );
  }
  const release = holds.map((h) => h.until).filter((u): u is Micros => u !== null).sort((a, b) => b - a)[0];
  if (release !== undefined) {
    const freeing = history.vacuums.filter((v) => v.cluster === cluster && v.from >= release && v.blockedBy === null && v.ageBefore > v.ageAfter);
    const big = freeing.reduce<(typeof freeing)[number] | undefined>((a, v) => (!a || v.to - v.from > a.to - a.from ? v : a), undefined);
    if (big) {
      steps.push(step({ kind: 'xid-vacuum-froze', releasedAt: release, mode: big.mode, table: big.table, fromAt: big.from, toAt: big.to, bytesPerSecond: big.bytesPerSecond, ageBefore: big.ageBefore, ageAfter: big.ageAfter }));
    }
  }
  steps.push(step({ kind: 'xid-limits', warnAge: limits.warnAge, stopAge: limits.stopAge, warningAt: s.firstWarningAt, stopAt: s.stopAt, projectedStopAt: s.projectedStopAt }));
  return steps;
}

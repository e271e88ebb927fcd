/**
 * The transaction-ID report of a cluster: how old the oldest unfrozen XID got, against the version's warn
 * and stop limits, and the chain of facts behind it (who held the horizon, which vacuums could not freeze,
 * which one finally did), from the recorded history.
 */
import type { Micros } from '../engine/time.ts';
import type { History } from '../history/history.ts';
import type { CauseStepJson } from '../report/types.ts';

type Fmt = (t: Micros) => string;
const n = (x: number) => Math.round(x).toLocaleString('en-US');

export interface XidSummary {
  readonly maxAge: number;
  readonly maxAgeAt: Micros;
  readonly endAge: number;
  readonly firstWarningAt: Micros | null;
  readonly stopAt: Micros | null;
  readonly projectedStopAt: Micros | null;
}

export function explainXid(cluster: string, s: XidSummary, limits: { warnAge: number; stopAge: number }, history: History, fmt: Fmt): CauseStepJson[] {
  const steps: CauseStepJson[] = [];
  const samples = history.metrics.filter((m) => m.cluster === cluster && m.name === 'max_xid_age');
  const rate = samples.findLast((m) => m.at <= s.maxAgeAt)?.rate ?? 0;
  steps.push({
    text: `age(datfrozenxid) reached ${n(s.maxAge)} at ${fmt(s.maxAgeAt)}${rate > 0 ? `, climbing with XID consumption (${(rate * 1e6).toFixed(1)} XIDs/s, ${n(rate * 86_400e6)} a day)` : ''}; it was ${n(s.endAge)} at the end.`,
    log: [],
  });
  const holds = history.holds.filter((h) => h.cluster === cluster && h.since <= s.maxAgeAt);
  for (const h of holds) {
    const blocked = history.vacuums.filter((v) => v.cluster === cluster && v.blockedBy !== null && v.blockedBy.includes(h.holder.replace(/^slot /, '')));
    // An autovacuum retry loop: every visit vacuums the held tables again (each record counts its runs).
    const runs = blocked.reduce((a, v) => a + (v.runs ?? 1), 0);
    steps.push({
      text: `${h.holder} held ${h.kind} at XID ${n(h.xid)} from ${fmt(h.since)}${h.until !== null ? ` to ${fmt(h.until)}` : ' to the end'}${
        runs ? `; ${n(runs)} vacuum run${runs === 1 ? '' : 's'} of ${[...new Set(blocked.map((v) => v.table))].join(', ')} meanwhile could not remove what it still sees${blocked.some((v) => v.mode !== 'regular') ? ' nor freeze past it' : ''}` : ''
      }.`,
      log: [],
    });
  }
  const release = holds.map((h) => h.until).filter((u): u is Micros => u !== null).sort((a, b) => b - a)[0];
  if (release !== undefined) {
    const freeing = history.vacuums.filter((v) => v.cluster === cluster && v.from >= release && v.blockedBy === null && v.ageBefore > v.ageAfter);
    const big = freeing.reduce<(typeof freeing)[number] | undefined>((a, v) => (!a || v.to - v.from > a.to - a.from ? v : a), undefined);
    if (big) {
      steps.push({
        text: `After the holder went away at ${fmt(release)}, the ${big.mode} vacuum of ${big.table} ran from ${fmt(big.from)} to ${fmt(big.to)} (${((big.to - big.from) / 60e6).toFixed(0)} min at ${(big.bytesPerSecond / 1e6).toFixed(1)} MB/s) and brought its age(relfrozenxid) from ${n(big.ageBefore)} to ${n(big.ageAfter)}.`,
        log: [],
      });
    }
  }
  const warn = s.firstWarningAt !== null ? `the first WARNING came at ${fmt(s.firstWarningAt)}` : 'no WARNING was reached';
  const stop =
    s.stopAt !== null
      ? `writes stopped at ${fmt(s.stopAt)}`
      : s.projectedStopAt !== null
        ? `at the end's XID rate writes would stop at ${fmt(s.projectedStopAt)}`
        : 'writes never stopped';
  steps.push({ text: `This version warns at age ${n(limits.warnAge)} and stops XID assignment at age ${n(limits.stopAge)}: ${warn}; ${stop}.`, log: [] });
  return steps;
}

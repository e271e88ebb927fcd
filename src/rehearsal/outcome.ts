/**
 * What a run came to, in the few numbers people compare runs by (compare's rows, sweep's rows): the
 * verdicts the report judged, commits lost and their window, stalls and outages, the first warning a server
 * logged, the expectations. Read from the report only.
 */
import { count, counted } from '../report/format.ts';
import type { DataLossJson, ExpectationJson, OutageJson, Report, StallJson } from '../report/types.ts';

/** A verdict as the report carries it (report.verdicts, when the report has them; see docs/report.md). */
export interface VerdictLike {
  readonly kind: string;
  readonly cluster: string;
  readonly node: string | null;
  readonly from: string;
  readonly to: string | null;
  readonly seconds: number;
}

/** The report's own verdicts when it has them; nothing is derived here. */
export function reportVerdicts(r: Report): readonly VerdictLike[] {
  const v = (r as Report & { readonly verdicts?: readonly VerdictLike[] }).verdicts;
  return Array.isArray(v) ? v : [];
}

export interface Outcome {
  readonly verdicts: readonly VerdictLike[];
  readonly dataLoss: readonly DataLossJson[];
  readonly stalls: readonly StallJson[];
  readonly outages: readonly OutageJson[];
  readonly expectations: readonly ExpectationJson[];
  /** Acknowledged commits (or block writes) lost, over every loss. */
  readonly lostCommits: number;
  /** Of them, the writes of replicated block devices (their unit is a write, not a commit). */
  readonly lostBlockWrites: number;
  /** The earliest start and the latest end of the lost ranges; null when nothing was lost. */
  readonly lossWindow: { readonly from: string; readonly to: string } | null;
  readonly stallCount: number;
  readonly stallSeconds: number;
  readonly longestStallSeconds: number;
  readonly outageCount: number;
  readonly outageSeconds: number;
  /**
   * The first sign an operator could have seen: the first WARNING, ERROR, FATAL or PANIC a server logged, the
   * first transaction ID warning, or the first alert that fired, whichever came first; null when none.
   */
  readonly firstWarning: { readonly at: string; readonly what: string } | null;
  readonly expectationsFailed: number;
  /** The XID stop limit was reached (writes stopped for wraparound). */
  readonly xidStopped: boolean;
  /** Every workload's requests summed (report `requests`): offered, waited past the stall threshold, failed. */
  readonly requests: { readonly offered: number; readonly waited: number; readonly failed: number };
  /** Replicated block devices only (no PostgreSQL node): what it loses is writes, not commits. */
  readonly blockOnly: boolean;
  /** Block writes completing below the offer without a stall (report `shortfalls`): how long in all, and the worst share achieved. */
  readonly shortfall: { readonly seconds: number; readonly worstShare: number } | null;
}

const LEVEL = /^(\S+) (WARNING|ERROR|FATAL|PANIC): +(.*)$/s;

function firstWarning(r: Report, us: (iso: string) => number): Outcome['firstWarning'] {
  const candidates: { at: string; what: string }[] = [];
  for (const e of r.events) {
    const line = e.log.find((l) => LEVEL.test(l));
    if (line) {
      const m = LEVEL.exec(line)!;
      candidates.push({ at: e.at, what: `${e.node ?? e.cluster ?? ''} ${m[1]} ${m[2]}: ${m[3]!.split('\n')[0]}`.trim() });
      break;
    }
  }
  for (const x of r.xid) if (x.firstWarningAt) candidates.push({ at: x.firstWarningAt, what: `${x.cluster}: transaction ID wraparound WARNING` });
  for (const a of r.alerts) if (a.firedAt) candidates.push({ at: a.firedAt, what: `alert ${a.name} fired` });
  candidates.sort((a, b) => us(a.at) - us(b.at));
  return candidates[0] ?? null;
}

export function outcomeOf(r: Report, us: (iso: string) => number): Outcome {
  const sum = (xs: readonly { seconds: number }[]) => xs.reduce((a, x) => a + x.seconds, 0);
  const losses = r.dataLoss;
  // A block device's loss counts writes (report/block.ts): its name is a device's, not a cluster's.
  const blockDevices = new Set((r.devices ?? []).map((d) => d.resource));
  const lossWindow =
    losses.length === 0
      ? null
      : {
          from: losses.reduce((a, l) => (us(l.from) < us(a) ? l.from : a), losses[0]!.from),
          to: losses.reduce((a, l) => (us(l.to) > us(a) ? l.to : a), losses[0]!.to),
        };
  return {
    verdicts: reportVerdicts(r),
    dataLoss: losses,
    stalls: r.stalls,
    outages: r.outages,
    expectations: r.expectations,
    lostCommits: losses.reduce((a, l) => a + l.commits, 0),
    lostBlockWrites: losses.filter((l) => blockDevices.has(l.cluster)).reduce((a, l) => a + l.commits, 0),
    lossWindow,
    stallCount: r.stalls.length,
    stallSeconds: sum(r.stalls),
    longestStallSeconds: r.stalls.reduce((a, s) => Math.max(a, s.seconds), 0),
    outageCount: r.outages.length,
    outageSeconds: sum(r.outages),
    firstWarning: firstWarning(r, us),
    expectationsFailed: r.expectations.filter((e) => !e.passed).length,
    xidStopped: r.xid.some((x) => x.stopAt !== null),
    requests: (r.requests ?? []).reduce((a, x) => ({ offered: a.offered + x.offered, waited: a.waited + x.waited, failed: a.failed + x.failed }), { offered: 0, waited: 0, failed: 0 }),
    blockOnly: r.nodes.length === 0 && blockDevices.size > 0,
    shortfall: (r.shortfalls ?? []).length === 0 ? null : { seconds: sum(r.shortfalls!), worstShare: Math.min(...r.shortfalls!.map((x) => x.achieved / x.offered)) },
  };
}

type Lost = Pick<Outcome, 'dataLoss' | 'lostCommits' | 'lostBlockWrites'> & { readonly blockOnly?: boolean };

/** The units a run's losses count: commits of clusters, writes of block devices. */
function lostUnits(o: Lost): ('commits' | 'writes')[] {
  const writes = o.dataLoss.length > 0 && o.lostBlockWrites > 0;
  const commits = o.dataLoss.length > 0 && (o.lostCommits > o.lostBlockWrites || !writes);
  return [...(commits ? ['commits' as const] : []), ...(writes ? ['writes' as const] : [])];
}

/**
 * The compare table's loss column: headed by its unit when every run's losses count one ("commits lost",
 * "writes lost" for block devices), else "lost" with the unit in each cell ("717,000 commits, 6,716 writes").
 */
export function lostColumn(rows: readonly Lost[]): { readonly head: string; readonly cell: (o: Lost) => string } {
  const units = new Set(rows.flatMap(lostUnits));
  const mixed = units.size > 1;
  // Nothing lost anywhere: the unit of what the runs could lose (block devices only: writes).
  const writes = units.has('writes') || (units.size === 0 && rows.length > 0 && rows.every((r) => r.blockOnly === true));
  return {
    head: mixed ? 'lost' : writes ? 'writes lost' : 'commits lost',
    cell: (o) => {
      if (o.dataLoss.length === 0 && o.lostCommits === 0) return 'none';
      const commits = o.lostCommits - o.lostBlockWrites;
      if (!mixed) return count(o.lostCommits);
      return lostUnits(o).map((u) => (u === 'writes' ? counted(o.lostBlockWrites, 'write') : counted(commits, 'commit'))).join(', ');
    },
  };
}

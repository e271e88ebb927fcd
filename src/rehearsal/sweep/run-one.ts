/**
 * One run of a sweep: its draws come from a stream seeded by the sweep's seed and the run's index alone, so
 * a run is the same whichever worker, shard or machine runs it. The row keeps what the summary needs.
 */
import seedrandom from 'seedrandom';
import type { Report } from '../../report/types.ts';
import { runScenario, type RunOptions } from '../../run.ts';
import type { PreparedScenario } from '../../scenario/load.ts';
import { reportVerdicts } from '../outcome.ts';
import { draw, type Vary } from './distributions.ts';

export interface SweepRow {
  readonly index: number;
  /** The scenario seed of this run. */
  readonly seed: number;
  /** Each --vary's draw, in order: the text the loader read, and its number (or the chosen text). */
  readonly draws: readonly { readonly text: string; readonly value: number | string }[];
  /** The kinds of outcome the run had (data-loss, stall, outage, xid-stop, expectation-failed, and the report's verdict kinds). */
  readonly kinds: readonly string[];
  readonly lostCommits: number;
  /**
   * The same loss by its unit: commits of PostgreSQL clusters, writes of replicated block devices; null for a
   * unit the scenario has nothing of (no cluster, no block device). Absent in a stopped run's row.
   */
  readonly lost?: { readonly commits: number | null; readonly writes: number | null };
  readonly stallSeconds: number;
  readonly outageSeconds: number;
  readonly expectationsFailed: number;
  /** A run that stopped (a run limit, an internal invariant): why; its outcome fields are zero. */
  readonly error: string | null;
}

/** The outcome kinds of a report (only what the report says; the verdicts are the report's own). */
export function outcomeKinds(r: Report): string[] {
  const kinds = new Set<string>();
  if (r.dataLoss.length > 0) kinds.add('data-loss');
  if (r.stalls.length > 0) kinds.add('stall');
  if (r.outages.length > 0) kinds.add('outage');
  if (r.xid.some((x) => x.stopAt !== null)) kinds.add('xid-stop');
  if (r.expectations.some((e) => !e.passed)) kinds.add('expectation-failed');
  for (const v of reportVerdicts(r)) kinds.add(v.kind);
  return [...kinds].sort();
}

export function drawsFor(seed: number, index: number, varies: readonly Vary[]): { seed: number; draws: SweepRow['draws'] } {
  const rng = seedrandom.xor4096(`replsim-sweep:${seed}:${index}`);
  const u = () => rng.double();
  const runSeed = Math.floor(u() * 2 ** 31);
  return { seed: runSeed, draws: varies.map((v) => draw(v.dist, u)) };
}

const sum = (xs: readonly { seconds: number }[]) => xs.reduce((a, x) => a + x.seconds, 0);

/** A block device's loss counts writes: its data loss is named by the device's resource (report/block.ts). */
function lostByUnit(r: Report): NonNullable<SweepRow['lost']> {
  const devices = new Set((r.devices ?? []).map((d) => d.resource));
  const writes = r.dataLoss.filter((l) => devices.has(l.cluster)).reduce((a, l) => a + l.commits, 0);
  const commits = r.dataLoss.reduce((a, l) => a + l.commits, 0) - writes;
  return { commits: r.nodes.length > 0 || commits > 0 ? commits : null, writes: devices.size > 0 ? writes : null };
}

/** Runs index `index`; a ScenarioError (an invalid draw) propagates, a run that stops becomes an error row. */
export function runOne(prepared: PreparedScenario, sweepSeed: number, varies: readonly Vary[], index: number, options: RunOptions = {}): SweepRow {
  const { seed, draws } = drawsFor(sweepSeed, index, varies);
  const scenario = prepared.decode(
    varies.map((v, i) => ({ path: v.path, value: draws[i]!.text })),
    seed,
  );
  let report: Report;
  try {
    // The row reads outcomes only: the report's explanations are not built (RunOptions.explain).
    // Object.assign, not a spread: V8 gives `{ ...x, y }` a new hidden class at every call (docs/performance.md).
    report = runScenario(scenario, Object.assign({}, options, { explain: false })).report;
  } catch (e) {
    if (e instanceof Error && (e.name === 'SimulationLimitError' || e.name === 'InvariantViolation' || e.name === 'NondeterminismError')) {
      return { index, seed, draws, kinds: ['run-stopped'], lostCommits: 0, stallSeconds: 0, outageSeconds: 0, expectationsFailed: 0, error: e.message.split('\n')[0]! };
    }
    throw e;
  }
  return {
    index,
    seed,
    draws,
    kinds: outcomeKinds(report),
    lostCommits: report.dataLoss.reduce((a, l) => a + l.commits, 0),
    lost: lostByUnit(report),
    stallSeconds: sum(report.stalls),
    outageSeconds: sum(report.outages),
    expectationsFailed: report.expectations.filter((e) => !e.passed).length,
    error: null,
  };
}

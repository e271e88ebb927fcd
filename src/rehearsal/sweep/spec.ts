/**
 * What a sweep is: the scenario (text, variant, --set), the varied parameters, the number of runs, the seed
 * and what counts as a bad run. Runs are numbered 0 .. runs-1; shard K of N runs a contiguous slice, and
 * merging every slice gives the same rows, hence the same summary, as one sweep.
 */
import { createHash } from 'node:crypto';
import type { RunLimits } from '../../engine/simulation.ts';
import { prepareScenario, type PreparedScenario } from '../../scenario/load.ts';
import { parseVary, type Vary } from './distributions.ts';

export interface SweepSpec {
  readonly file: string;
  readonly text: string;
  readonly variant: string | null;
  readonly sets: readonly string[];
  /** The --vary arguments as typed. */
  readonly varies: readonly string[];
  readonly runs: number;
  readonly seed: number;
  readonly bad: readonly string[];
  readonly limits: RunLimits;
}

export interface Shard {
  readonly k: number;
  readonly n: number;
}

/** The runs of shard k of n (1-based): [from, to). */
export function shardRange(runs: number, shard: Shard | null): { from: number; to: number } {
  if (!shard) return { from: 0, to: runs };
  return { from: Math.floor(((shard.k - 1) * runs) / shard.n), to: Math.floor((shard.k * runs) / shard.n) };
}

/** `K/N` with 1 <= K <= N, or null when it is not one. */
export function parseShard(text: string): Shard | null {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text);
  if (!m) return null;
  const k = Number(m[1]);
  const n = Number(m[2]);
  return n >= 1 && k >= 1 && k <= n && Number.isSafeInteger(n) ? { k, n } : null;
}

/** Identifies a sweep across machines: every shard of one sweep has the same. */
export function sweepId(spec: SweepSpec): string {
  const h = createHash('sha256');
  h.update(JSON.stringify({ text: spec.text, variant: spec.variant, sets: spec.sets, varies: spec.varies, runs: spec.runs, seed: spec.seed, bad: spec.bad }));
  return h.digest('hex').slice(0, 16);
}

/** The scenario parsed once and the --vary parsed: what a worker keeps between runs. */
export function prepareSweep(spec: SweepSpec): { prepared: PreparedScenario; varies: Vary[] } {
  return { prepared: prepareScenario(spec.text, spec.file, { variant: spec.variant, sets: spec.sets }), varies: spec.varies.map(parseVary) };
}

/**
 * A shard's result file (`sweep --shard K/N --out FILE`) and merging them (`replsim merge FILE...`): every
 * row with the sweep's identity, so the merge can check that the files belong to one sweep and cover each
 * run exactly once, and then summarize the rows exactly as one sweep would.
 */
import type { SweepRow } from './run-one.ts';
import { shardRange, sweepId, type Shard, type SweepSpec } from './spec.ts';

export const SHARD_FORMAT = 'replsim-sweep-shard/1';

/** A sweep's identity without the scenario text: what a shard file and a summary carry. */
export type SweepMeta = Omit<SweepSpec, 'text' | 'limits'> & { readonly sweep: string };

export interface ShardFile extends SweepMeta {
  readonly format: typeof SHARD_FORMAT;
  readonly shard: { readonly k: number; readonly n: number; readonly from: number; readonly to: number };
  readonly rows: readonly SweepRow[];
}

export function metaOf(spec: SweepSpec): SweepMeta {
  return { sweep: sweepId(spec), file: spec.file, variant: spec.variant, sets: spec.sets, varies: spec.varies, runs: spec.runs, seed: spec.seed, bad: spec.bad };
}

export function shardFile(spec: SweepSpec, shard: Shard, rows: readonly SweepRow[]): ShardFile {
  return { format: SHARD_FORMAT, ...metaOf(spec), shard: { ...shard, ...shardRange(spec.runs, shard) }, rows };
}

export class MergeError extends Error {
  override readonly name = 'MergeError';
}

/** The rows of a whole sweep from its shards' files, or a MergeError naming the file that does not fit. */
export function mergeShards(files: readonly { readonly name: string; readonly text: string }[]): { meta: SweepMeta; rows: SweepRow[] } {
  if (files.length === 0) throw new MergeError('name the shard files to merge');
  const shards = files.map((f) => {
    let s: ShardFile;
    try {
      s = JSON.parse(f.text) as ShardFile;
    } catch (e) {
      throw new MergeError(`${f.name}: not JSON (${e instanceof Error ? e.message : String(e)})`);
    }
    if (s?.format !== SHARD_FORMAT || !Array.isArray(s.rows)) throw new MergeError(`${f.name}: not a sweep shard (write one with replsim sweep --shard K/N --out FILE)`);
    return { name: f.name, s };
  });
  const first = shards[0]!;
  const covered = new Map<number, string>();
  for (const { name, s } of shards) {
    if (s.sweep !== first.s.sweep) throw new MergeError(`${name} is from another sweep than ${first.name} (its scenario, variant, --set, --vary, --runs, --seed or --bad differ)`);
    if (s.shard.n !== first.s.shard.n) throw new MergeError(`${name} is shard ${s.shard.k}/${s.shard.n}, ${first.name} is one of ${first.s.shard.n}`);
    for (const r of s.rows) {
      if (r.index < s.shard.from || r.index >= s.shard.to) throw new MergeError(`${name}: run ${r.index} is outside its shard (${s.shard.from} to ${s.shard.to - 1})`);
      const dup = covered.get(r.index);
      if (dup !== undefined) throw new MergeError(`run ${r.index} is in both ${dup} and ${name}`);
      covered.set(r.index, name);
    }
  }
  const missing: number[] = [];
  for (let k = 1; k <= first.s.shard.n; k++) if (!shards.some((x) => x.s.shard.k === k)) missing.push(k);
  if (missing.length) throw new MergeError(`missing shard${missing.length > 1 ? 's' : ''} ${missing.slice(0, 10).join(', ')}${missing.length > 10 ? ', ...' : ''} of ${first.s.shard.n}`);
  if (covered.size !== first.s.runs) throw new MergeError(`the shards hold ${covered.size} of ${first.s.runs} runs`);
  const { format: _f, shard: _s, rows: _r, ...meta } = first.s;
  return { meta, rows: shards.flatMap((x) => x.s.rows).sort((a, b) => a.index - b.index) };
}

/** `replsim sweep FILE` and `replsim merge FILE...`: Monte Carlo over seeds and parameters. */
import { readFileSync, writeFileSync } from 'node:fs';
import { DEFAULT_LIMITS } from '../../run.ts';
import { ProgressBar } from '../progress.ts';
import { UsageError, flag, text, texts, wholeNumber, type CommandArgs, type CommandIo } from './command.ts';
import { readScenario } from './read.ts';
import { seedOption } from './shared.ts';

const width = (io: CommandIo) => (io.stdoutIsTTY ? Math.min(Math.max(io.columns, 60), 160) : 100);

function writeJsonl(file: string | undefined, rows: readonly unknown[]): void {
  if (file !== undefined) writeFileSync(file, rows.map((r) => `${JSON.stringify(r)}\n`).join(''));
}

export async function sweepCommand(args: CommandArgs, io: CommandIo): Promise<number> {
  const [{ parseVary, VaryError }, { parseShard, shardRange }, { runRange, defaultWorkers, SweepInputError }, { summarize, DEFAULT_BAD }, { renderSweep, sweepJson }, { metaOf, shardFile }] = await Promise.all([
    import('../../rehearsal/sweep/distributions.ts'),
    import('../../rehearsal/sweep/spec.ts'),
    import('../../rehearsal/sweep/pool.ts'),
    import('../../rehearsal/sweep/stats.ts'),
    import('../../rehearsal/sweep/render.ts'),
    import('../../rehearsal/sweep/results.ts'),
  ]);
  const file = args.positionals[0]!;
  const runs = wholeNumber(args, 'runs', 1, 1000);
  const workers = wholeNumber(args, 'workers', 1, defaultWorkers());
  const varies = texts(args, 'vary');
  try {
    varies.forEach(parseVary);
  } catch (e) {
    if (e instanceof VaryError) throw new UsageError(e.message);
    throw e;
  }
  const shardText = text(args, 'shard');
  const shard = shardText === undefined ? null : parseShard(shardText);
  if (shardText !== undefined && shard === null) throw new UsageError(`--shard: ${JSON.stringify(shardText)} is not K/N with 1 <= K <= N`);
  const out = text(args, 'out');
  if (shard && out === undefined) throw new UsageError('--shard needs --out FILE: the shard\'s rows, for replsim merge');
  const badText = text(args, 'bad');
  const bad = badText === undefined ? DEFAULT_BAD : badText.split(',').map((s) => s.trim()).filter(Boolean);
  const spec = { file, text: readScenario(file), variant: text(args, 'variant') ?? null, sets: texts(args, 'set'), varies, runs, seed: seedOption(args) ?? 1, bad, limits: DEFAULT_LIMITS };
  const { from, to } = shardRange(runs, shard);
  const bar = flag(args, 'progress') && io.progressStream ? new ProgressBar(io.progressStream, `sweep ${file}`, 'of runs') : null;
  const started = performance.now();
  let rows;
  try {
    rows = await runRange(spec, from, to, workers, bar ? (done) => bar.update(done / Math.max(1, to - from)) : undefined);
  } catch (e) {
    if (e instanceof SweepInputError) {
      io.err(`${e.message}\n`);
      return 2;
    }
    throw e;
  } finally {
    bar?.done();
  }
  const seconds = (performance.now() - started) / 1000;
  writeJsonl(text(args, 'jsonl'), rows);
  if (shard) {
    writeFileSync(out!, `${JSON.stringify(shardFile(spec, shard, rows))}\n`);
    io.err(`replsim: shard ${shard.k}/${shard.n} (runs ${from} to ${to - 1}) written to ${out}\n`);
    return 0;
  }
  const summary = summarize(rows, varies.map((v) => parseVary(v).path), bad);
  io.out(flag(args, 'json') ? sweepJson(metaOf(spec), summary) : renderSweep(metaOf(spec), summary, width(io), { seconds, workers: Math.min(workers, runs) }));
  return 0;
}

export async function mergeCommand(args: CommandArgs, io: CommandIo): Promise<number> {
  const { mergeShards, MergeError } = await import('../../rehearsal/sweep/results.ts');
  const { summarize } = await import('../../rehearsal/sweep/stats.ts');
  const { parseVary } = await import('../../rehearsal/sweep/distributions.ts');
  const { renderSweep, sweepJson } = await import('../../rehearsal/sweep/render.ts');
  let merged;
  try {
    merged = mergeShards(
      args.positionals.map((name) => {
        try {
          return { name, text: readFileSync(name, 'utf8') };
        } catch (e) {
          throw new MergeError(`${name}: cannot read the file: ${e instanceof Error ? e.message : String(e)}`);
        }
      }),
    );
  } catch (e) {
    if (e instanceof MergeError) {
      io.err(`replsim merge: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
  writeJsonl(text(args, 'jsonl'), merged.rows);
  const summary = summarize(merged.rows, merged.meta.varies.map((v) => parseVary(v).path), merged.meta.bad);
  io.out(flag(args, 'json') ? sweepJson(merged.meta, summary) : renderSweep(merged.meta, summary, width(io)));
  return 0;
}

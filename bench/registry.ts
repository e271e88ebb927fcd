/**
 * The benchmarks `npm run bench` knows. Each one contributes named sections to the JSON object printed by
 * `--json` (top level: one key per section) and a table to the readable output. To add one, write a module
 * exporting a Benchmark and list it in BENCHMARKS.
 */
import { blockVolumesBenchmark } from './block_volumes.ts';
import { holdModelBenchmark } from './hold_model.ts';
import { scenariosBenchmark } from './scenarios.ts';
import { storageBenchmark } from './storage.ts';
import { sweepBenchmark } from './sweep.ts';
import { standbysBenchmark } from './standbys.ts';
import { startupBenchmark } from './startup.ts';
import { loadBenchmark } from './load.ts';
import { memoryBenchmark } from './memory.ts';

export interface BenchmarkContext {
  /** Also run the SimPy 3 comparison where a benchmark has one (`--simpy`). */
  readonly simpy: boolean;
  /** A line about what is running now: on stderr, so stdout stays one JSON line under --json. */
  progress(line: string): void;
}

export interface BenchmarkTable {
  readonly header: readonly string[];
  readonly rows: readonly (readonly string[])[];
}

export interface BenchmarkOutput {
  /** Top-level sections of the JSON output, by name (e.g. holdModel, simpy). */
  readonly sections: Readonly<Record<string, unknown>>;
  readonly table: BenchmarkTable;
  /** Lines printed under the table (versions, skipped parts). */
  readonly notes: readonly string[];
}

export interface Benchmark {
  /** Selects it on the command line: `npm run bench -- holdModel`. */
  readonly name: string;
  readonly title: string;
  run(ctx: BenchmarkContext): BenchmarkOutput | Promise<BenchmarkOutput>;
}

export const BENCHMARKS: readonly Benchmark[] = [holdModelBenchmark, scenariosBenchmark, standbysBenchmark, startupBenchmark, loadBenchmark, memoryBenchmark, blockVolumesBenchmark, storageBenchmark, sweepBenchmark];

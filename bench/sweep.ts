/**
 * Sweep throughput (issue 13): runs per second of the Mackerel scenario with two varied parameters (the time
 * db001 is lost and the write rate), on one worker and on one worker per core, each over the same runs and
 * wall-clocked from the start of the sweep to its summary (worker start-up included). Measured with the
 * compiled library (dist/, built first) in a child process without tsx (bench/sweep-worker.mjs), as
 * `replsim sweep` runs. The CPU time per run is printed beside it: on a machine other processes load, the
 * wall-clock rates say more about the load than about the code. The load average at the start is part of
 * the output.
 */
import { execFileSync } from 'node:child_process';
import { availableParallelism, loadavg } from 'node:os';
import type { Benchmark, BenchmarkContext, BenchmarkOutput } from './registry.ts';

const FILE = 'scenarios/mackerel-2017.yaml';
const VARIES = ['faults.db001-lost.at=uniform(14:35,16:00)', 'clusters.mackerel.workload.rate=uniform(100/s,400/s)'];

export interface SweepPoint {
  readonly workers: number;
  readonly runs: number;
  readonly seconds: number;
  readonly runsPerSecond: number;
  /** CPU milliseconds of the whole process (every thread) per run. */
  readonly cpuMsPerRun: number;
}

function measure(runs: number, workers: number): SweepPoint {
  const out = execFileSync(process.execPath, ['bench/sweep-worker.mjs', FILE, String(runs), String(workers), ...VARIES], { encoding: 'utf8' });
  const r = JSON.parse(out) as { seconds: number; cpuMs: number };
  return { workers, runs, seconds: Math.round(r.seconds * 100) / 100, runsPerSecond: Math.round(runs / r.seconds), cpuMsPerRun: Math.round((r.cpuMs / runs) * 100) / 100 };
}

export const sweepBenchmark: Benchmark = {
  name: 'sweep',
  title: `Sweep: ${FILE} with two varied parameters (runs per second, worker start-up included)`,
  run(ctx: BenchmarkContext): BenchmarkOutput {
    const runs = Number(process.env.REPLSIM_BENCH_SWEEP_RUNS ?? 10_000);
    ctx.progress('sweep: building dist/ (scripts/build.mjs)…');
    execFileSync(process.execPath, ['scripts/build.mjs'], { stdio: 'inherit', env: { ...process.env, REPLSIM_BUILD_QUIET: '1' } });
    const load = loadavg()[0]!;
    const cores = availableParallelism();
    ctx.progress(`sweep: ${runs} runs on 1 worker…`);
    const one = measure(runs, 1);
    ctx.progress(`sweep: ${runs} runs on ${cores} workers…`);
    const all = measure(runs, cores);
    const ratio = Math.round((all.runsPerSecond / one.runsPerSecond) * 100) / 100;
    return {
      sections: { sweep: { points: [one, all], ratio, loadAverage: Math.round(load * 100) / 100, cores } },
      table: { header: ['workers', 'runs', 'seconds', 'runs/s', 'CPU ms/run'], rows: [one, all].map((p) => [String(p.workers), String(p.runs), p.seconds.toFixed(2), String(p.runsPerSecond), p.cpuMsPerRun.toFixed(2)]) },
      notes: [`${cores} workers ran ${ratio}x the runs per second of one; load average ${load.toFixed(2)} on ${cores} cores at the start (other processes share them)`],
    };
  },
};

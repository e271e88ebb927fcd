/**
 * Sweep throughput (issue 13): runs per second of the Mackerel scenario with two varied parameters (the time
 * db001 is lost and the write rate), on one worker and on one worker per core, each over the same runs and
 * wall-clocked from the start of the sweep to its summary (worker start-up included). The CPU time per run
 * is printed beside it: on a machine other processes load, the wall-clock rates say more about the load than
 * about the code. The load average at the start is part of the output.
 */
import { readFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { runRange } from '../src/rehearsal/sweep/pool.ts';
import type { SweepSpec } from '../src/rehearsal/sweep/spec.ts';
import { summarize } from '../src/rehearsal/sweep/stats.ts';
import { DEFAULT_LIMITS } from '../src/run.ts';
import type { Benchmark, BenchmarkContext, BenchmarkOutput } from './registry.ts';

const FILE = 'scenarios/mackerel-2017.yaml';
const VARIES = ['faults.db001-lost.at=uniform(14:35,16:00)', 'clusters.mackerel.workload.rate=uniform(100/s,400/s)'];

export interface SweepPoint {
  readonly workers: number;
  readonly runs: number;
  readonly seconds: number;
  readonly runsPerSecond: number;
  /** CPU seconds of the whole process (every thread) per run. */
  readonly cpuMsPerRun: number;
}

async function measure(spec: SweepSpec, workers: number): Promise<SweepPoint> {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const rows = await runRange(spec, 0, spec.runs, workers);
  summarize(rows, ['at', 'rate']);
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  return { workers, runs: spec.runs, seconds: Math.round(seconds * 100) / 100, runsPerSecond: Math.round(spec.runs / seconds), cpuMsPerRun: Math.round(((cpu.user + cpu.system) / 1000 / spec.runs) * 100) / 100 };
}

export const sweepBenchmark: Benchmark = {
  name: 'sweep',
  title: `Sweep: ${FILE} with two varied parameters (runs per second, worker start-up included)`,
  async run(ctx: BenchmarkContext): Promise<BenchmarkOutput> {
    const runs = Number(process.env.REPLSIM_BENCH_SWEEP_RUNS ?? 2000);
    const spec: SweepSpec = { file: FILE, text: readFileSync(FILE, 'utf8'), variant: null, sets: [], varies: VARIES, runs, seed: 1, bad: ['data-loss'], limits: DEFAULT_LIMITS };
    const load = loadavg()[0]!;
    const cores = availableParallelism();
    ctx.progress(`sweep: warm-up…`);
    await runRange({ ...spec, runs: 50 }, 0, 50, 1);
    ctx.progress(`sweep: ${runs} runs on 1 worker…`);
    const one = await measure(spec, 1);
    ctx.progress(`sweep: ${runs} runs on ${cores} workers…`);
    const all = await measure(spec, cores);
    const ratio = Math.round((all.runsPerSecond / one.runsPerSecond) * 100) / 100;
    return {
      sections: { sweep: { points: [one, all], ratio, loadAverage: Math.round(load * 100) / 100, cores } },
      table: { header: ['workers', 'runs', 'seconds', 'runs/s', 'CPU ms/run'], rows: [one, all].map((p) => [String(p.workers), String(p.runs), p.seconds.toFixed(2), String(p.runsPerSecond), p.cpuMsPerRun.toFixed(2)]) },
      notes: [`${cores} workers ran ${ratio}x the runs per second of one; load average ${load.toFixed(2)} on ${cores} cores at the start (other processes share them)`],
    };
  },
};

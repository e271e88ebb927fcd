/**
 * Sweep throughput (issue 13): runs per second of the Mackerel scenario with two varied parameters (the time
 * db001 is lost and the write rate), on one worker and on one worker per core, each over the same runs and
 * wall-clocked from the start of the sweep to its summary (worker start-up included). Measured with the
 * compiled library (dist/, built first) in a fresh child process without tsx (bench/sweep-worker.mjs), as
 * `replsim sweep` runs: one worker (the main thread) starts as cold as each of several does.
 *
 * On a machine other processes load, the wall-clock rates say more about the load than about the code, so
 * the CPU time is measured too and split by who spent it: the sweep threads (each its own, from
 * rehearsal/sweep/usage.ts), the main thread when it is not a sweep thread (starting workers, receiving
 * their rows, summarizing), and the rest of the process: V8's own threads, which compile optimized code and
 * collect garbage beside every isolate. From it, the rate on idle cores: projected seconds = max(the
 * busiest thread's CPU, main thread included, the whole process's CPU / cores). The load average at the
 * start and at the end is printed too.
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
  /** Per sweep thread: its runs and its own CPU milliseconds per run (null where threads' CPU is unknown). */
  readonly threads: readonly { readonly runs: number; readonly cpuMsPerRun: number | null; readonly busyMsPerRun: number }[];
  /**
   * Where the process's CPU went, in milliseconds per run of the sweep: the sweep threads together, the main
   * thread apart from them (0 when it is the one sweep thread), and the rest (V8's compiler and garbage
   * collector threads); null where threads' CPU is unknown.
   */
  readonly split: { readonly sweepThreads: number; readonly mainThread: number; readonly v8Threads: number } | null;
  /** The runs per second on idle cores from the threads' CPU time (null where it is unknown). */
  readonly projectedRunsPerSecond: number | null;
}

interface ThreadUsage {
  readonly runs: number;
  readonly cpuMs: number | null;
  readonly busyMs: number;
}

const r2 = (x: number) => Math.round(x * 100) / 100;

/**
 * The sweep's seconds on `cores` idle cores: no shorter than its busiest thread's CPU time (a thread runs on
 * one core at a time; the main thread counts, `mainOnlyCpuMs` being its CPU apart from any runs it ran), nor
 * than the CPU time of the whole process (the sweep threads, the main thread, and V8's own threads: garbage
 * collection and compilation run beside each isolate) spread evenly over the cores.
 */
export function projectedSeconds(threads: readonly ThreadUsage[], mainOnlyCpuMs: number | null, processCpuMs: number, cores: number): number | null {
  if (threads.some((t) => t.cpuMs === null) || mainOnlyCpuMs === null) return null;
  const busiest = Math.max(mainOnlyCpuMs, ...threads.map((t) => t.cpuMs!));
  return Math.max(busiest, processCpuMs / Math.max(1, cores)) / 1000;
}

function measure(runs: number, workers: number, cores: number): SweepPoint {
  const out = execFileSync(process.execPath, ['bench/sweep-worker.mjs', FILE, String(runs), String(workers), ...VARIES], { encoding: 'utf8' });
  const r = JSON.parse(out) as { seconds: number; cpuMs: number; mainCpuMs: number | null; threads: ThreadUsage[] };
  // With one worker the main thread is the sweep thread: apart from its runs (threads[0]), only the summary.
  const mainOnly = r.mainCpuMs === null ? null : workers === 1 ? Math.max(0, r.mainCpuMs - (r.threads[0]?.cpuMs ?? 0)) : r.mainCpuMs;
  const known = r.threads.every((t) => t.cpuMs !== null) && mainOnly !== null;
  const sweepMs = r.threads.reduce((a, t) => a + (t.cpuMs ?? 0), 0);
  const projected = projectedSeconds(r.threads, mainOnly, r.cpuMs, cores);
  return {
    workers,
    runs,
    seconds: r2(r.seconds),
    runsPerSecond: Math.round(runs / r.seconds),
    cpuMsPerRun: r2(r.cpuMs / runs),
    threads: r.threads.map((t) => ({ runs: t.runs, cpuMsPerRun: t.cpuMs === null ? null : r2(t.cpuMs / Math.max(1, t.runs)), busyMsPerRun: r2(t.busyMs / Math.max(1, t.runs)) })),
    split: known ? { sweepThreads: r2(sweepMs / runs), mainThread: r2(mainOnly! / runs), v8Threads: r2((r.cpuMs - sweepMs - mainOnly!) / runs) } : null,
    projectedRunsPerSecond: projected === null ? null : Math.round(runs / projected),
  };
}

const perThread = (p: SweepPoint) => p.threads.map((t) => (t.cpuMsPerRun === null ? '?' : t.cpuMsPerRun.toFixed(2))).join(' / ');

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
    const one = measure(runs, 1, cores);
    ctx.progress(`sweep: ${runs} runs on ${cores} workers…`);
    const all = measure(runs, cores, cores);
    const ratio = r2(all.runsPerSecond / one.runsPerSecond);
    const projectedRatio = one.projectedRunsPerSecond && all.projectedRunsPerSecond ? r2(all.projectedRunsPerSecond / one.projectedRunsPerSecond) : null;
    const load1 = loadavg()[0]!;
    return {
      sections: { sweep: { points: [one, all], ratio, projectedRatio, loadAverage: r2(load), loadAverageAtEnd: r2(load1), cores } },
      table: {
        header: ['workers', 'runs', 'seconds', 'runs/s', 'CPU ms/run (process)', 'of which sweep threads', 'main thread', 'V8 threads', 'CPU ms/run per worker', 'projected runs/s (idle cores)'],
        rows: [one, all].map((p) => [
          String(p.workers),
          String(p.runs),
          p.seconds.toFixed(2),
          String(p.runsPerSecond),
          p.cpuMsPerRun.toFixed(2),
          ...(p.split ? [p.split.sweepThreads, p.split.mainThread, p.split.v8Threads].map((x) => x.toFixed(2)) : ['?', '?', '?']),
          perThread(p),
          p.projectedRunsPerSecond === null ? '?' : String(p.projectedRunsPerSecond),
        ]),
      },
      notes: [
        `${cores} workers ran ${ratio}x the runs per second of one (wall clock); projected on ${cores} idle cores from the threads' CPU time: ${projectedRatio === null ? 'unknown (no per-thread CPU clock here)' : `${projectedRatio}x`}`,
        'CPU ms/run: the sweep threads (their start-up included), the main thread apart from any runs it ran (starting workers, taking their rows, the summary), and V8\'s own threads (compiling optimized code and collecting garbage beside each isolate)',
        `load average ${load.toFixed(2)} at the start, ${load1.toFixed(2)} at the end, on ${cores} cores (other processes share them: the wall-clock rates say more about the load than about the code)`,
      ],
    };
  },
};

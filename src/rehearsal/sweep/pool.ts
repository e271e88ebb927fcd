/**
 * Running a sweep's runs over worker threads (one per core by default): each worker parses the scenario
 * once, then takes small ranges of run indices from a shared queue until none is left. Rows come back in
 * any order and are sorted by index, so the result does not depend on the number of workers.
 */
import { availableParallelism } from 'node:os';
import { setFlagsFromString } from 'node:v8';
import { Worker } from 'node:worker_threads';
import { ScenarioError } from '../../scenario/errors.ts';
import { runOne, type SweepRow } from './run-one.ts';
import { prepareSweep, type SweepSpec } from './spec.ts';
import { threadBusyMs, threadCpuMs, type ThreadUsage } from './usage.ts';

/** An invalid draw or --vary found while running (exit code 2): the message as the loader formats it. */
export class SweepInputError extends Error {
  override readonly name = 'SweepInputError';
}

export function defaultWorkers(): number {
  return Math.max(1, availableParallelism());
}

/**
 * V8's inliner budget for a sweep: at most this many bytecode bytes inlined into one optimized function
 * (Node 20's default is 920). A sweep repeats the same short run thousands of times in each fresh isolate,
 * and TurboFan compiling large inlined graphs of functions called a few times per run (the run's set-up,
 * the report, the verdicts) was most of V8's background work beside each worker; with 400, each worker
 * compiles about half as long and the runs are not slower (docs/performance.md, "Sweeps").
 */
export const SWEEP_INLINING_BUDGET = 400;

let tuned = false;

/**
 * Sets V8's inlining budget for the process (V8's flags are the process's: the workers started after it
 * share it, and code compiled from then on in this thread too). Once; a sweep is what the process does.
 */
export function tuneV8ForSweeps(): void {
  if (tuned) return;
  tuned = true;
  setFlagsFromString(`--max-inlined-bytecode-size-cumulative=${SWEEP_INLINING_BUDGET}`);
}

/**
 * The worker's entry: the compiled worker.js beside this module, or worker.ts loaded through tsx (the
 * sources run without a build step; a worker thread does not inherit the main thread's loader).
 */
function spawn(spec: SweepSpec): Worker {
  const self = import.meta.url;
  if (self.endsWith('.js')) return new Worker(new URL('./worker.js', self), { workerData: spec });
  const api = import.meta.resolve('tsx/esm/api');
  const entry = new URL('./worker.ts', self).href;
  const code = `import(${JSON.stringify(api)}).then((m) => { m.register(); return import(${JSON.stringify(entry)}); });`;
  return new Worker(code, { eval: true, workerData: spec });
}

function inline(spec: SweepSpec, from: number, to: number, onProgress?: (done: number) => void, onUsage?: (usage: readonly ThreadUsage[]) => void): SweepRow[] {
  const cpu0 = threadCpuMs();
  const t0 = performance.now();
  let prep;
  try {
    prep = prepareSweep(spec);
  } catch (e) {
    throw e instanceof ScenarioError ? new SweepInputError(e.format()) : e;
  }
  const rows: SweepRow[] = [];
  for (let i = from; i < to; i++) {
    try {
      rows.push(runOne(prep.prepared, spec.seed, prep.varies, i, { limits: spec.limits }));
    } catch (e) {
      throw e instanceof ScenarioError ? new SweepInputError(e.format()) : e;
    }
    onProgress?.(rows.length);
  }
  // The main thread's loop is busy throughout: its busy time is the wall-clock time of the runs.
  const cpu1 = threadCpuMs();
  onUsage?.([{ runs: rows.length, cpuMs: cpu0 === null || cpu1 === null ? null : cpu1 - cpu0, busyMs: performance.now() - t0 }]);
  return rows;
}

/**
 * Runs [from, to) on `workers` threads (one: in this thread). `onUsage` is given, at the end, each thread's
 * runs and CPU time (a worker's from its start, module loading included; this thread's from the call).
 */
export async function runRange(spec: SweepSpec, from: number, to: number, workers: number, onProgress?: (done: number) => void, onUsage?: (usage: readonly ThreadUsage[]) => void): Promise<SweepRow[]> {
  const total = to - from;
  const n = Math.max(1, Math.min(workers, total));
  tuneV8ForSweeps();
  if (n === 1) return inline(spec, from, to, onProgress, onUsage);
  // Small chunks keep every worker busy to the end; large enough that messages cost nothing next to runs.
  const chunk = Math.max(1, Math.min(64, Math.floor(total / (n * 8))));
  let next = from;
  const rows: SweepRow[] = [];
  const pool = Array.from({ length: n }, () => spawn(spec));
  const usage: ThreadUsage[] = pool.map(() => ({ runs: 0, cpuMs: null, busyMs: 0 }));
  try {
    await new Promise<void>((resolve, reject) => {
      let idle = 0;
      const give = (w: Worker) => {
        if (next >= to) {
          w.postMessage({ type: 'stop' });
          if (++idle === n) resolve();
          return;
        }
        const end = Math.min(to, next + chunk);
        w.postMessage({ type: 'run', from: next, to: end });
        next = end;
      };
      pool.forEach((w, i) => {
        w.on('message', (m: { type: 'ready' } | { type: 'rows'; rows: SweepRow[]; usage: ThreadUsage } | { type: 'error'; message: string; input: boolean }) => {
          if (m.type === 'error') reject(m.input ? new SweepInputError(m.message) : new Error(m.message));
          else {
            if (m.type === 'rows') {
              usage[i] = m.usage;
              rows.push(...m.rows);
              onProgress?.(rows.length);
            }
            give(w);
          }
        });
        w.on('error', reject);
      });
    });
  } finally {
    await Promise.all(pool.map((w) => w.terminate()));
  }
  onUsage?.(usage);
  return rows.sort((a, b) => a.index - b.index);
}

/**
 * Running a sweep's runs over worker threads (one per core by default): each worker parses the scenario
 * once, then takes small ranges of run indices from a shared queue until none is left. Rows come back in
 * any order and are sorted by index, so the result does not depend on the number of workers.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { ScenarioError } from '../../scenario/errors.ts';
import { runOne, type SweepRow } from './run-one.ts';
import { prepareSweep, type SweepSpec } from './spec.ts';

/** An invalid draw or --vary found while running (exit code 2): the message as the loader formats it. */
export class SweepInputError extends Error {
  override readonly name = 'SweepInputError';
}

export function defaultWorkers(): number {
  return Math.max(1, availableParallelism());
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

function inline(spec: SweepSpec, from: number, to: number, onProgress?: (done: number) => void): SweepRow[] {
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
  return rows;
}

export async function runRange(spec: SweepSpec, from: number, to: number, workers: number, onProgress?: (done: number) => void): Promise<SweepRow[]> {
  const total = to - from;
  const n = Math.max(1, Math.min(workers, total));
  if (n === 1) return inline(spec, from, to, onProgress);
  // Small chunks keep every worker busy to the end; large enough that messages cost nothing next to runs.
  const chunk = Math.max(1, Math.min(64, Math.floor(total / (n * 8))));
  let next = from;
  const rows: SweepRow[] = [];
  const pool = Array.from({ length: n }, () => spawn(spec));
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
      for (const w of pool) {
        w.on('message', (m: { type: 'ready' } | { type: 'rows'; rows: SweepRow[] } | { type: 'error'; message: string; input: boolean }) => {
          if (m.type === 'error') reject(m.input ? new SweepInputError(m.message) : new Error(m.message));
          else {
            if (m.type === 'rows') {
              rows.push(...m.rows);
              onProgress?.(rows.length);
            }
            give(w);
          }
        });
        w.on('error', reject);
      }
    });
  } finally {
    await Promise.all(pool.map((w) => w.terminate()));
  }
  return rows.sort((a, b) => a.index - b.index);
}

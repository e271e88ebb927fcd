/**
 * A sweep worker (a worker thread): parses the scenario once, then runs the index ranges the pool sends and
 * posts their rows back. An invalid draw (a ScenarioError) is posted as its one-line message.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { ScenarioError } from '../../scenario/errors.ts';
import { runOne } from './run-one.ts';
import { prepareSweep, type SweepSpec } from './spec.ts';
import { threadBusyMs, threadCpuMs } from './usage.ts';

const port = parentPort!;
const spec = workerData as SweepSpec;

function fail(e: unknown): void {
  port.postMessage({ type: 'error', message: e instanceof ScenarioError ? e.format() : e instanceof Error ? e.message : String(e), input: e instanceof ScenarioError || (e instanceof Error && e.name === 'VaryError') });
}

let runs = 0;
try {
  const { prepared, varies } = prepareSweep(spec);
  port.on('message', (m: { type: 'run'; from: number; to: number } | { type: 'stop' }) => {
    if (m.type === 'stop') {
      port.close();
      return;
    }
    try {
      const rows = [];
      for (let i = m.from; i < m.to; i++) rows.push(runOne(prepared, spec.seed, varies, i, { limits: spec.limits }));
      runs += rows.length;
      // This thread's totals so far, from its start: the pool keeps the last.
      port.postMessage({ type: 'rows', rows, usage: { runs, cpuMs: threadCpuMs(), busyMs: threadBusyMs() } });
    } catch (e) {
      fail(e);
    }
  });
  port.postMessage({ type: 'ready' });
} catch (e) {
  fail(e);
}

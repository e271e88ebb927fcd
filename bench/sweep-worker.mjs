// Times a sweep with the compiled library (dist/, built by bench/sweep.ts first), without tsx: its worker
// threads start from dist/rehearsal/sweep/worker.js. node bench/sweep-worker.mjs FILE RUNS WORKERS VARY... ->
// one JSON line {workers, runs, seconds, cpuMs, mainCpuMs, threads}: the wall-clock seconds from the start of
// the sweep to its summary (worker start-up included), the CPU milliseconds of the whole process (every
// thread), this (main) thread's CPU milliseconds, and each sweep thread's runs, CPU and busy milliseconds
// (dist/rehearsal/sweep/usage.js). The process is fresh and nothing runs before the sweep, whatever the
// number of workers: one worker (this thread) starts as cold as each of several (their own threads) do,
// as `replsim sweep` does.
import { readFileSync } from 'node:fs';
import { runRange } from '../dist/rehearsal/sweep/pool.js';
import { summarize } from '../dist/rehearsal/sweep/stats.js';
import { threadCpuMs } from '../dist/rehearsal/sweep/usage.js';
import { DEFAULT_LIMITS } from '../dist/run.js';

const [file, runsText, workersText, ...varies] = process.argv.slice(2);
const runs = Number(runsText);
const workers = Number(workersText);
const spec = { file, text: readFileSync(file, 'utf8'), variant: null, sets: [], varies, runs, seed: 1, bad: ['data-loss'], limits: DEFAULT_LIMITS };
let threads = [];
const cpu0 = process.cpuUsage();
const main0 = threadCpuMs();
const t0 = performance.now();
const rows = await runRange(spec, 0, runs, workers, undefined, (u) => (threads = u));
summarize(rows, varies.map((_, i) => `p${i}`));
const seconds = (performance.now() - t0) / 1000;
const cpu = process.cpuUsage(cpu0);
const main1 = threadCpuMs();
const mainCpuMs = main0 === null || main1 === null ? null : main1 - main0;
process.stdout.write(`${JSON.stringify({ workers, runs, seconds, cpuMs: (cpu.user + cpu.system) / 1000, mainCpuMs, threads })}\n`);

// What one sweep thread's run costs, in figures that do not depend on the machine's load: the thread's own
// CPU and the bytes it allocates (garbage included) per run, after a warm-up, with the compiled library
// (dist/, `npm run build` first). node [V8 flags] bench/sweep-profile.mjs [RUNS] [WARMUP] [--heap] [--top N]
// [--tune] -> the rows' hash (to check that a change keeps the rows), CPU per run (thread, process), the young
// generation's allocation per run (V8's heap statistics around forced-free windows are not exact, so the
// figure is the sampling heap profiler's when --heap is given: every sampled allocation, collected or not,
// with the functions that allocate most). Runs the benchmark's sweep (bench/sweep.ts: Mackerel, two
// varied parameters, seed 1).
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';

// REPLSIM_DIST: another build to measure (a copy of dist/ from before a change, for interleaved comparisons).
const dist = process.env.REPLSIM_DIST ? new URL(`file://${process.env.REPLSIM_DIST}/`) : new URL('../dist/', import.meta.url);
const { runOne } = await import(new URL('rehearsal/sweep/run-one.js', dist).href);
const { prepareSweep } = await import(new URL('rehearsal/sweep/spec.js', dist).href);
const { threadCpuMs } = await import(new URL('rehearsal/sweep/usage.js', dist).href);
const { DEFAULT_LIMITS } = await import(new URL('run.js', dist).href);
// --tune: V8's settings for a sweep, as runRange sets them (rehearsal/sweep/pool.ts tuneV8ForSweeps).
if (process.argv.includes('--tune')) (await import(new URL('rehearsal/sweep/pool.js', dist).href)).tuneV8ForSweeps();

const args = process.argv.slice(2);
const flag = (name) => args.includes(name);
const opt = (name, d) => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) : d);
const positional = args.filter((a, i) => !a.startsWith('--') && !(i > 0 && (args[i - 1] === '--top' || args[i - 1] === '--marks')));
const runs = Number(positional[0] ?? 1000);
const warmup = Number(positional[1] ?? 300);
const heap = flag('--heap') || flag('--survivors');
// --survivors: only what outlives the young generation (promoted: copied by scavenges, then freed by a mark-compact).
const survivors = flag('--survivors');
const top = opt('--top', 30);
// --marks N: a line `MARK i` on stdout every N runs, to place V8's traces (--trace-opt, --trace-deopt) among the runs.
const marks = opt('--marks', 0);

const file = 'scenarios/mackerel-2017.yaml';
const varies = ['faults.db001-lost.at=uniform(14:35,16:00)', 'clusters.mackerel.workload.rate=uniform(100/s,400/s)'];
const spec = { file, text: readFileSync(file, 'utf8'), variant: null, sets: [], varies, runs, seed: 1, bad: ['data-loss'], limits: DEFAULT_LIMITS };
const { prepared, varies: parsed } = prepareSweep(spec);
const hash = createHash('sha256');
const one = (i) => (marks > 0 && i % marks === 0 && process.stdout.write(`MARK ${i}\n`), 0) || hash.update(JSON.stringify(runOne(prepared, spec.seed, parsed, i, { limits: spec.limits })));
for (let i = 0; i < warmup; i++) one(i);

let session = null;
if (heap) {
  session = new Session();
  session.connect();
  await session.post('HeapProfiler.startSampling', { samplingInterval: 512, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: !survivors });
}
const cpu0 = process.cpuUsage();
const t0 = threadCpuMs();
for (let i = warmup; i < warmup + runs; i++) one(i);
const t1 = threadCpuMs();
const cpu = process.cpuUsage(cpu0);
const out = { runs, warmup, rowsHash: hash.digest('hex').slice(0, 16), threadCpuMsPerRun: +((t1 - t0) / runs).toFixed(3), processCpuMsPerRun: +((cpu.user + cpu.system) / 1000 / runs).toFixed(3) };
if (session) {
  const { profile } = await session.post('HeapProfiler.stopSampling');
  const bySelf = new Map();
  let total = 0;
  const walk = (n, stack) => {
    const f = n.callFrame;
    const name = `${f.functionName || '(anonymous)'} ${f.url.replace(/^.*\/dist\//, '')}:${f.lineNumber + 1}`;
    const self = n.selfSize;
    total += self;
    if (self > 0) bySelf.set(name, (bySelf.get(name) ?? 0) + self);
    for (const c of n.children) walk(c, stack);
  };
  walk(profile.head, []);
  out.allocatedKbPerRun = +(total / 1024 / runs).toFixed(1);
  out.top = [...bySelf].sort((a, b) => b[1] - a[1]).slice(0, top).map(([k, v]) => `${(v / 1024 / runs).toFixed(1).padStart(7)} KB  ${k}`);
}
process.stdout.write(`${JSON.stringify(out, null, 1)}\n`);

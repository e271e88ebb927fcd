// Runs one scenario with the compiled library (dist/) and prints its memory: node --expose-gc
// bench/memory-worker.mjs FILE [PATH=VALUE...] -> one JSON line {ms, maxRssMB, heapMB, records} (bench/memory.ts).
import { loadScenarioFile, runScenario } from '../dist/index.js';

const [file, ...sets] = process.argv.slice(2);
const scenario = loadScenarioFile(file, { sets });
const t0 = performance.now();
const { world } = runScenario(scenario);
const ms = performance.now() - t0;
globalThis.gc?.();
const records = Math.max(...[...world.clusters.values()].map((c) => c.checkpointRecords.size));
console.log(JSON.stringify({ ms: Math.round(ms), maxRssMB: Math.round(process.resourceUsage().maxRSS / 1024), heapMB: Math.round(process.memoryUsage().heapUsed / 1048576), records }));

// Times loading (parse and decode) of scenario files with the compiled library (dist/), without tsx, and the
// yaml library's parseDocument alone, and running the loaded scenario once (bench/load.ts).
// node bench/load-worker.mjs FILE... -> one JSON line [{file, bytes, ms, libraryParseMs, runMs}]: CPU
// milliseconds (user + system: a shared machine's load does not count), the best of 7 after warm-ups.
import { readFileSync } from 'node:fs';
import { parseDocument } from 'yaml';
import { loadScenarioText, runScenario } from '../dist/index.js';

const cpu = () => {
  const d = process.cpuUsage();
  return (d.user + d.system) / 1000;
};
const best = (f, rounds) => {
  f();
  let b = Infinity;
  for (let i = 0; i < rounds; i++) {
    const t0 = cpu();
    f();
    b = Math.min(b, cpu() - t0);
  }
  return b;
};
const files = process.argv.slice(2);
// Warm the JIT on every size before timing any (the smallest file alone would be timed half-compiled).
for (const file of files) loadScenarioText(readFileSync(file, 'utf8'), file);
const out = [];
for (const file of files) {
  const text = readFileSync(file, 'utf8');
  const big = text.length > 2_000_000;
  const ms = best(() => loadScenarioText(text, file), big ? 3 : 7);
  const libraryParseMs = best(() => parseDocument(text, { version: '1.2', schema: 'core', uniqueKeys: false, merge: false, strict: true }), big ? 1 : 5);
  const scenario = loadScenarioText(text, file);
  const t0 = cpu();
  runScenario(scenario);
  out.push({ file, bytes: Buffer.byteLength(text), ms, libraryParseMs, runMs: cpu() - t0 });
}
console.log(JSON.stringify(out));

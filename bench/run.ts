/**
 * npm run bench [-- [--json] [--simpy] [name ...]]
 *
 * Runs the benchmarks in registry.ts (all, or the named ones) and prints a table per benchmark, or with
 * --json exactly one line on stdout: an object of named sections, e.g. {"holdModel":[{"pending":1000,...}]}.
 * --simpy adds the SimPy 3 comparison (needs /usr/bin/python3 with python3-simpy3; skipped with a note if not).
 */
import os from 'node:os';
import { BENCHMARKS, type BenchmarkTable } from './registry.ts';

const USAGE = `usage: npm run bench -- [--json] [--simpy] [name ...]
  --json    print one JSON line on stdout: {"<section>": [...], ...}
  --simpy   also run the SimPy 3 comparison (/usr/bin/python3 with python3-simpy3)
  name      run only these benchmarks: ${BENCHMARKS.map((b) => b.name).join(', ')}`;

function parseArgs(argv: readonly string[]): { json: boolean; simpy: boolean; names: string[] } {
  const opts = { json: false, simpy: false, names: [] as string[] };
  for (const a of argv) {
    if (a === '--json') opts.json = true;
    else if (a === '--simpy') opts.simpy = true;
    else if (a === '--help' || a === '-h') {
      console.log(USAGE);
      process.exit(0);
    } else if (!a.startsWith('-') && BENCHMARKS.some((b) => b.name === a)) opts.names.push(a);
    else {
      console.error(`unknown argument ${JSON.stringify(a)}\n${USAGE}`);
      process.exit(2);
    }
  }
  return opts;
}

function renderTable(t: BenchmarkTable): string {
  const widths = t.header.map((h, i) => Math.max(h.length, ...t.rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    `| ${cells.map((c, i) => c.padStart(widths[i]!)).join(' | ')} |`;
  const rule = `|${widths.map((w) => `${'-'.repeat(w + 1)}:`).join('|')}|`;
  return [line(t.header), rule, ...t.rows.map(line)].join('\n');
}

async function main(): Promise<void> {
  const opts = parseArgs(process.argv.slice(2));
  const selected = opts.names.length > 0 ? BENCHMARKS.filter((b) => opts.names.includes(b.name)) : BENCHMARKS;
  const progress = (line: string): void => {
    process.stderr.write(`${line}\n`);
  };
  const cpus = os.cpus();
  if (!opts.json) {
    console.log(`replsim benchmarks — Node ${process.version}, ${cpus.length} cores (${cpus[0]?.model ?? 'unknown CPU'})`);
  }
  const sections: Record<string, unknown> = {};
  for (const bench of selected) {
    const out = await bench.run({ simpy: opts.simpy, progress });
    Object.assign(sections, out.sections);
    if (opts.json) {
      for (const n of out.notes) progress(n);
    } else {
      console.log(`\n${bench.title}\n\n${renderTable(out.table)}`);
      for (const n of out.notes) console.log(`  ${n}`);
    }
  }
  if (opts.json) console.log(JSON.stringify(sections));
}

await main();

/**
 * npm run conformance     all sequences (>= 100), writes docs/conformance.md
 * npm run conformance:ci  the fixed CI set (the §0 experiments and 8 seeded sequences), prints a summary
 *
 * Options: --count N (full run size), --seed S (first seed), --parallel P, --out FILE, --only ID, --port BASE
 * (first port; sequence slots use BASE, BASE+10, ...; default 47000).
 * Exit code: 0 when every disagreement is a documented limitation, 1 otherwise, 2 on a harness failure.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { compareRuns, renderReport, unexplained, type SequenceResult } from './compare.ts';
import { runModel } from './model.ts';
import { PG_BIN, runReal } from './real.ts';
import { ciSequences, fullSequences, type Sequence } from './sequence.ts';

function arg(name: string): string | null {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? null) : null;
}

/** Debian's postgresql-15 where it is missing (CI runs as root on a fresh machine). */
function ensurePostgres(): void {
  if (existsSync(join(PG_BIN, 'postgres'))) return;
  if (process.getuid?.() !== 0) throw new Error(`${PG_BIN}/postgres is missing; install postgresql-15 (apt-get install -y postgresql-15) as root`);
  console.log('installing postgresql-15 with apt-get ...');
  // Do not create and start the packaged "main" cluster on 5432: the harness makes its own.
  mkdirSync('/etc/postgresql-common', { recursive: true });
  if (!existsSync('/etc/postgresql-common/createcluster.conf')) writeFileSync('/etc/postgresql-common/createcluster.conf', 'create_main_cluster = false\n');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const install = () => execFileSync('apt-get', ['install', '-y', '--no-install-recommends', 'postgresql-15'], { stdio: 'inherit', env, timeout: 600000 });
  try {
    install();
  } catch {
    execFileSync('apt-get', ['update'], { stdio: 'inherit', env, timeout: 600000 });
    install();
  }
  if (!existsSync(join(PG_BIN, 'postgres'))) throw new Error(`apt-get install postgresql-15 did not provide ${PG_BIN}/postgres`);
}

async function runOne(seq: Sequence, port: number): Promise<SequenceResult> {
  const model = runModel(seq);
  try {
    const real = await runReal(seq, port);
    const differences = compareRuns(seq, real.steps, model);
    const evidence: string[] = [];
    for (const d of differences) {
      if (d.field !== 'messages' && d.field !== 'status') continue;
      for (const l of real.logs[d.step]?.[d.node] ?? []) if (evidence.length < 12 && !evidence.includes(l)) evidence.push(l);
    }
    const notes = real.steps.filter((s) => s.note).map((s) => `step ${s.step}: ${s.note}`);
    return { seq, differences, realSeconds: real.seconds, error: null, evidence, notes };
  } catch (e) {
    return { seq, differences: [], realSeconds: 0, error: e instanceof Error ? e.message : String(e), evidence: [], notes: [] };
  }
}

async function main(): Promise<number> {
  const ci = process.argv.includes('--ci');
  const count = Number(arg('count') ?? 100);
  const parallel = Number(arg('parallel') ?? 4);
  const only = arg('only');
  const portBase = Number(arg('port') ?? 47000);
  let seqs = ci ? ciSequences() : fullSequences(count, Number(arg('seed') ?? 1));
  if (only) seqs = seqs.filter((s) => s.id === only);
  const out = arg('out') ?? (ci ? null : 'docs/conformance.md');
  ensurePostgres();
  const pgVersion = execFileSync(join(PG_BIN, 'postgres'), ['--version']).toString().trim();
  const started = Date.now();
  const results: SequenceResult[] = new Array(seqs.length);
  let next = 0;
  let done = 0;
  const worker = async (slot: number) => {
    for (;;) {
      const i = next++;
      if (i >= seqs.length) return;
      const r = await runOne(seqs[i]!, portBase + slot * 10);
      results[i] = r;
      done++;
      const status = r.error ? `ERROR ${r.error.split('\n')[0]}` : r.differences.length ? `${r.differences.length} differences` : 'agrees';
      console.log(`[${done}/${seqs.length}] ${r.seq.id} (${r.seq.ops.length} ops, ${Math.round(r.realSeconds)} s): ${status}`);
      for (const d of unexplained(r).slice(0, 6)) console.log(`    step ${d.step} (${d.op}) ${d.node} ${d.field}: real ${d.real} | model ${d.model}`);
      for (const n of r.notes) console.log(`    note: ${n}`);
    }
  };
  await Promise.all(Array.from({ length: Math.min(parallel, seqs.length) }, (_, s) => worker(s)));
  const wall = (Date.now() - started) / 1000;
  const agree = results.filter((r) => !r.error && r.differences.length === 0).length;
  console.log(`${agree}/${results.length} sequences agree (${Math.round(wall)} s)`);
  if (out) {
    writeFileSync(out, renderReport(results, { mode: ci ? 'CI set' : 'full run', pgVersion, date: new Date().toISOString().slice(0, 10), wallSeconds: wall, parallel }));
    console.log(`wrote ${out}`);
  }
  if (results.some((r) => r.error)) return 2;
  return results.some((r) => unexplained(r).length) ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (e) => {
    console.error(e instanceof Error ? e.stack : e);
    process.exit(2);
  },
);

/**
 * npm run conformance     all sequences (>= 100), writes docs/conformance.md
 * npm run conformance:ci  the fixed CI set (the §0 experiments and seeded sequences: conformance/sequence.ts
 *                         ciSequences), prints a summary
 *
 * Options: --count N (full run size), --seed S (first seed), --parallel P, --out FILE, --only ID[,ID...], --port BASE
 * (first port; sequence slots use BASE, BASE+10, ...; default 27000, below Linux's ephemeral range 32768-60999
 * so that no client socket holds one; a busy port moves the sequence 1000 ports up, twice at most), --record FILE (the real observations as
 * JSON: test/conformance/recorded.test.ts replays the model against them without PostgreSQL), --render-from FILE
 * (no servers: compare such a record with the current model and write the report).
 * Exit code: 0 when every disagreement is a documented limitation, 1 otherwise, 2 on a harness failure.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { compactLog, compareRuns, evidenceOf, renderReport, unexplained, type SequenceResult } from './compare.ts';
import { runModel } from './model.ts';
import { PG_BIN, runReal } from './real.ts';
import { ciSequences, fullSequences, type Sequence } from './sequence.ts';

function arg(name: string): string | null {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? null) : null;
}

/** A whole-number option, checked: a typo must not run a different experiment (or overwrite the report). */
function intArg(name: string, fallback: number, min: number): number {
  const text = arg(name);
  if (text === null) return fallback;
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < min) throw new UsageError(`--${name}: ${JSON.stringify(text)} is not a whole number >= ${min}`);
  return n;
}

class UsageError extends Error {}

/** The bar for the full run: docs/conformance.md is only rewritten from at least this many. */
const FULL_RUN_MIN = 100;

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
  let model: ReturnType<typeof runModel>;
  try {
    model = runModel(seq);
  } catch (e) {
    // A model failure (an invariant) is a disagreement of this sequence, not the end of the run.
    return { seq, differences: [], realSeconds: 0, error: `the model stopped: ${e instanceof Error ? e.message : String(e)}`, evidence: [], notes: [] };
  }
  try {
    let real: Awaited<ReturnType<typeof runReal>> | null = null;
    for (let attempt = 0; !real; attempt++) {
      try {
        real = await runReal(seq, port + attempt * 1000);
      } catch (e) {
        if (attempt >= 2 || !(e instanceof Error && e.message.includes('is in use'))) throw e;
      }
    }
    const differences = compareRuns(seq, real.steps, model);
    const logs = real.logs.map((byNode) => Object.fromEntries(Object.entries(byNode).map(([n, ls]) => [n, compactLog(ls)])));
    const notes = real.steps.filter((s) => s.note).map((s) => `step ${s.step}: ${s.note}`);
    return { seq, differences, realSeconds: real.seconds, error: null, evidence: evidenceOf(differences, logs), notes, real: real.steps, logs };
  } catch (e) {
    return { seq, differences: [], realSeconds: 0, error: e instanceof Error ? e.message : String(e), evidence: [], notes: [] };
  }
}

interface RecordFile {
  readonly pgVersion: string;
  readonly date: string;
  readonly wallSeconds?: number;
  readonly parallel?: number;
  readonly mode?: string;
  readonly sequences: readonly {
    readonly seq: Sequence;
    readonly real: SequenceResult['real'];
    readonly realSeconds?: number;
    readonly error?: string | null;
    /** The matched real log lines per step and node, compacted (older recordings have none). */
    readonly logs?: SequenceResult['logs'];
  }[];
}

/** Compare recorded real observations with the current model (no PostgreSQL needed) and write the report. */
function renderFrom(file: string, out: string): number {
  const rec = JSON.parse(readFileSync(file, 'utf8')) as RecordFile;
  const results: SequenceResult[] = rec.sequences.map(({ seq, real, realSeconds, error, logs }) => {
    try {
      const model = runModel(seq);
      if (!real) return { seq, differences: [], realSeconds: realSeconds ?? 0, error: error ?? 'no real observations recorded', evidence: [], notes: [] };
      const differences = compareRuns(seq, real, model);
      return { seq, differences, realSeconds: realSeconds ?? 0, error: null, evidence: evidenceOf(differences, logs), notes: [], real, ...(logs ? { logs } : {}) };
    } catch (e) {
      return { seq, differences: [], realSeconds: 0, error: `the model stopped: ${e instanceof Error ? e.message : String(e)}`, evidence: [], notes: [] };
    }
  });
  writeFileSync(out, renderReport(results, { mode: rec.mode ?? 'full run', pgVersion: rec.pgVersion, date: rec.date, wallSeconds: rec.wallSeconds ?? 0, parallel: rec.parallel ?? 0 }));
  const agree = results.filter((r) => !r.error && r.differences.length === 0).length;
  console.log(`${agree}/${results.length} sequences agree (recorded ${rec.date}, model now); wrote ${out}`);
  return results.some((r) => unexplained(r).length) ? 1 : 0;
}

async function main(): Promise<number> {
  const from = arg('render-from');
  if (from) return renderFrom(from, arg('out') ?? 'docs/conformance.md');
  const ci = process.argv.includes('--ci');
  const count = intArg('count', FULL_RUN_MIN, 1);
  const parallel = intArg('parallel', ci ? 7 : 8, 1);
  const only = arg('only');
  const portBase = intArg('port', 27000, 1024);
  let seqs = ci ? ciSequences() : fullSequences(count, intArg('seed', 1, 0));
  if (only) seqs = seqs.filter((s) => only.split(',').includes(s.id));
  if (only && seqs.length === 0) throw new UsageError(`--only ${only}: no such sequence`);
  // A partial run never replaces the committed report unless --out names a file.
  const partial = !ci && (count < FULL_RUN_MIN || only !== null);
  const out = arg('out') ?? (ci || partial ? null : 'docs/conformance.md');
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
  const record = arg('record');
  if (record) {
    const recorded: RecordFile = {
      pgVersion,
      date: new Date().toISOString().slice(0, 10),
      wallSeconds: wall,
      parallel,
      mode: ci ? 'CI set' : 'full run',
      sequences: results.map((r) => ({ seq: r.seq, real: r.real, realSeconds: r.realSeconds, error: r.error, logs: r.logs })),
    };
    writeFileSync(record, JSON.stringify(recorded) + '\n');
    console.log(`recorded the real observations in ${record}`);
  }
  if (results.some((r) => r.error && !r.error.startsWith('the model stopped'))) return 2;
  return results.some((r) => unexplained(r).length) ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (e) => {
    console.error(e instanceof UsageError ? `conformance: ${e.message}` : e instanceof Error ? e.stack : e);
    process.exit(2);
  },
);

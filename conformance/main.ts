/**
 * npm run conformance     all sequences (>= 100 per major) against every major 10-18, writes docs/conformance.md
 * npm run conformance:ci  the fixed CI set (conformance/sequence.ts ciSequences, the first --ci-size of them)
 *                         against every major, prints a summary; the failed (major, sequence) pairs are kept so
 *                         that `--retry` runs only those again
 *
 * Options: --majors 10-18 | --major N (which majors; default all), --count N (full run size per major), --seed S
 * (first seed), --parallel P (sequences at a time, all majors in one pool), --out FILE, --only ID[,ID...],
 * --extended N (N more sequences of the extended vocabulary per major: checkpoints, bursts, slots, archiving,
 * synchronous commits, stop modes, cuts), --compare wal,slots,lines (compare these too), --port BASE (first
 * port; sequence slots use BASE, BASE+10, ...; default 27000, below Linux's ephemeral range 32768-60999 so
 * that no client socket holds one; a busy port moves the sequence 1000 ports up, twice at most), --record FILE
 * (the real observations as JSON: test/conformance/recorded.test.ts replays the model against them without
 * servers), --render-from FILE[,FILE] (no servers: compare such records with the current model and write the
 * report), --rerun FILE (run once more the pairs of a recorded run that disagree with the current model; --record
 * then writes the recorded run with those pairs replaced, as CI's retry would), --ci-size N (how many of the CI
 * set), --save-ci-recordings FILE (test/conformance/real-<major>.json: the CI set's agreeing sequences of a record),
 * --record-vacuum FILE (the vacuum sequences' real observations as JSON: test/conformance/vacuum-sequences.json,
 * replayed by test/conformance/vacuum-sequences.test.ts). The vacuum sequences (conformance/vacuum/sequences.ts:
 * xid-limits, relfrozenxid, long-queries) run in a full run and with --only naming them; not in the CI set.
 * Exit code: 0 when every disagreement is a documented limitation, 1 otherwise, 2 on a harness failure.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { COMPARABLE, LIMITATIONS, compactLog, compareRuns, evidenceOf, renderReport, secondsPerSequence, unexplained, agreementLine, type Comparable, type MajorRun, type SequenceResult } from './compare.ts';
import { flavorOf, type Flavor } from './flavor.ts';
import { installServer, MAJORS, parseMajors } from './install-servers.ts';
import { runModel, sequenceGaps } from './model.ts';
import { ensurePgUser, runReal } from './real.ts';
import { ciSequences, extendedSequences, fullSequences, syncSequences, handWrittenSequences, type Sequence } from './sequence.ts';
import { compareVacuum, runModelVacuum, runRealVacuum, VACUUM_SEQUENCES, type VacuumRecord, type VacuumSequence } from './vacuum/sequences.ts';

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

/** The issue's bar for the full run: docs/conformance.md is only rewritten from at least this many per major. */
const FULL_RUN_MIN = 100;
/** The CI set's size per major: measured so that all of .ci/run stays under 30 minutes on 2 cores (docs/conformance.md). */
const CI_SIZE = 8;
/** Where a CI run keeps the pairs that disagreed, for `--retry`. */
const FAILED_FILE = join('node_modules', '.cache', 'replsim-conformance', 'failed.json');

function majorsArg(): number[] {
  const one = arg('major');
  const many = arg('majors');
  try {
    if (one !== null && many !== null) throw new Error('give --major or --majors, not both');
    return one !== null ? parseMajors(one) : many !== null ? parseMajors(many) : [...MAJORS];
  } catch (e) {
    throw new UsageError(e instanceof Error ? e.message : String(e));
  }
}

function compareArg(): Set<Comparable> {
  const text = arg('compare');
  if (text === null) return new Set();
  const out = new Set<Comparable>();
  for (const x of text.split(',')) {
    if (!COMPARABLE.includes(x as Comparable)) throw new UsageError(`--compare: ${JSON.stringify(x)} is not one of ${COMPARABLE.join(', ')}`);
    out.add(x as Comparable);
  }
  return out;
}

async function runOne(seq: Sequence, port: number, flavor: Flavor, extra: ReadonlySet<Comparable>): Promise<SequenceResult> {
  const major = flavor.major;
  const gaps = sequenceGaps(seq);
  let model: ReturnType<typeof runModel> | null = null;
  if (!gaps.length) {
    try {
      model = runModel(seq, major);
    } catch (e) {
      // A model failure (an invariant) is a disagreement of this sequence, not the end of the run.
      return { seq, major, differences: [], realSeconds: 0, error: `the model stopped: ${e instanceof Error ? e.message : String(e)}`, evidence: [], notes: [] };
    }
  }
  try {
    let real: Awaited<ReturnType<typeof runReal>> | null = null;
    for (let attempt = 0; !real; attempt++) {
      try {
        real = await runReal(seq, port + attempt * 1000, flavor);
      } catch (e) {
        if (attempt >= 2 || !(e instanceof Error && e.message.includes('is in use'))) throw e;
      }
    }
    const differences = model ? compareRuns(seq, real.steps, model, extra) : [];
    const logs = real.logs.map((byNode) => Object.fromEntries(Object.entries(byNode).map(([n, ls]) => [n, compactLog(ls)])));
    const notes = real.steps.filter((s) => s.note).map((s) => `step ${s.step}: ${s.note}`);
    return { seq, major, gaps, differences, realSeconds: real.seconds, error: null, evidence: evidenceOf(differences, logs), notes, real: real.steps, logs };
  } catch (e) {
    return { seq, major, gaps, differences: [], realSeconds: 0, error: e instanceof Error ? e.message : String(e), evidence: [], notes: [] };
  }
}

interface RecordedSequence {
  readonly seq: Sequence;
  readonly real: SequenceResult['real'];
  readonly realSeconds?: number;
  readonly error?: string | null;
  /** The matched real log lines per step and node, compacted (older recordings have none). */
  readonly logs?: SequenceResult['logs'];
  /** Observed by a second run of a pair that disagreed in the first (--rerun). */
  readonly rerun?: boolean;
}

interface RecordFile {
  readonly date: string;
  readonly wallSeconds?: number;
  readonly parallel?: number;
  readonly mode?: string;
  /** One major (older recordings: PostgreSQL 15). */
  readonly pgVersion?: string;
  readonly sequences?: readonly RecordedSequence[];
  /** Several majors. */
  readonly runs?: readonly { readonly major: number; readonly pgVersion: string; readonly sequences: readonly RecordedSequence[] }[];
}

export function recordedRuns(rec: RecordFile): { major: number; pgVersion: string; sequences: readonly RecordedSequence[] }[] {
  if (rec.runs) return [...rec.runs];
  return [{ major: 15, pgVersion: rec.pgVersion ?? 'PostgreSQL 15', sequences: rec.sequences ?? [] }];
}

/** Compare recorded real observations with the current model (no PostgreSQL needed) and write the report. */
function renderFrom(files: string[], out: string, extra: ReadonlySet<Comparable>, remark: string | null): number {
  const recs = files.map((f) => JSON.parse(readFileSync(f, 'utf8')) as RecordFile);
  // Records of one run split in parts (several files) are joined per major.
  const byMajor = new Map<number, { major: number; pgVersion: string; sequences: RecordedSequence[] }>();
  for (const run of recs.flatMap(recordedRuns)) {
    const m = byMajor.get(run.major) ?? { major: run.major, pgVersion: run.pgVersion, sequences: [] };
    m.sequences.push(...run.sequences.filter((x) => !m.sequences.some((y) => y.seq.id === x.seq.id)));
    byMajor.set(run.major, m);
  }
  const runs: MajorRun[] = [...byMajor.values()].map(({ major, pgVersion, sequences }) => ({
    major,
    pgVersion,
    results: sequences.map(({ seq, real, realSeconds, error, logs }): SequenceResult => {
      const gaps = sequenceGaps(seq);
      try {
        if (!real) return { seq, major, gaps, differences: [], realSeconds: realSeconds ?? 0, error: error ?? 'no real observations recorded', evidence: [], notes: [] };
        if (gaps.length) return { seq, major, gaps, differences: [], realSeconds: realSeconds ?? 0, error: null, evidence: [], notes: [], real };
        const differences = compareRuns(seq, real, runModel(seq, major), extra);
        return { seq, major, gaps, differences, realSeconds: realSeconds ?? 0, error: null, evidence: evidenceOf(differences, logs), notes: [], real, ...(logs ? { logs } : {}) };
      } catch (e) {
        return { seq, major, gaps, differences: [], realSeconds: 0, error: `the model stopped: ${e instanceof Error ? e.message : String(e)}`, evidence: [], notes: [] };
      }
    }),
  }));
  runs.sort((a, b) => a.major - b.major);
  const first = recs[0]!;
  const reruns = recs.flatMap(recordedRuns).reduce((a, run) => a + run.sequences.filter((x) => x.rerun).length, 0);
  writeFileSync(out, renderReport(runs, { mode: first.mode ?? 'full run', date: first.date, wallSeconds: recs.reduce((a, r) => a + (r.wallSeconds ?? 0), 0), parallel: first.parallel ?? 0, note: `real observations recorded ${[...new Set(recs.map((r) => r.date))].join(', ')}${reruns ? `, ${reruns} (major, sequence) pairs that disagreed run once more and their second observation kept, as CI does` : ''}, compared with the model at this commit (--render-from)${remark ? `; ${remark}` : ''}` }));
  for (const run of runs) console.log(agreementLine(run));
  console.log(`wrote ${out}`);
  return runs.some((run) => run.results.some((r) => unexplained(r).length)) ? 1 : 0;
}

/**
 * test/conformance/real-<major>.json from a recorded run: the CI set's sequences that agree with the current
 * model, per major (npm test then replays the model against them without servers).
 */
function saveCiRecordings(file: string): number {
  const rec = JSON.parse(readFileSync(file, 'utf8')) as RecordFile;
  const ids = new Set(ciSequences().map((s) => s.id));
  for (const run of recordedRuns(rec)) {
    const keep = run.sequences.filter((x) => ids.has(x.seq.id) && x.real && !x.error && !sequenceGaps(x.seq).length && compareRuns(x.seq, x.real, runModel(x.seq, run.major)).every((d) => LIMITATIONS.some((l) => l.matches(d, run.major))));
    const out = join('test', 'conformance', `real-${run.major}.json`);
    writeFileSync(out, JSON.stringify({ major: run.major, pgVersion: run.pgVersion, date: rec.date, sequences: keep.map((x) => ({ seq: x.seq, real: x.real })) }) + '\n');
    console.log(`${out}: ${keep.length} of the CI set's ${ids.size} sequences (those recorded that agree)`);
  }
  return 0;
}

async function main(): Promise<number> {
  const extra = compareArg();
  const save = arg('save-ci-recordings');
  if (save) return saveCiRecordings(save);
  const from = arg('render-from');
  if (from) return renderFrom(from.split(','), arg('out') ?? 'docs/conformance.md', extra, arg('note'));
  const ci = process.argv.includes('--ci');
  const retry = process.argv.includes('--retry');
  const majors = majorsArg();
  const count = intArg('count', FULL_RUN_MIN, 1);
  const parallel = intArg('parallel', ci ? 12 : 10, 1);
  const extended = intArg('extended', 0, 0);
  const only = arg('only');
  const portBase = intArg('port', 27000, 1024);
  // The vacuum sequences: in a full run, or named by --only (then alone when --only names nothing else).
  const vacuumSeqs = ci || retry || arg('rerun') ? [] : VACUUM_SEQUENCES.filter((v) => only === null || only.split(',').includes(v));
  const onlyVacuum = only !== null && only.split(',').every((x) => (VACUUM_SEQUENCES as readonly string[]).includes(x));
  // The full run: the fixed sequences, the extended ones (few, real only for the most part), then the seeded ones.
  const full = fullSequences(count, intArg('seed', 1, 0));
  let seqs = ci ? ciSequences().slice(0, intArg('ci-size', CI_SIZE, 1)) : [...full.slice(0, 5), ...syncSequences(), ...handWrittenSequences(), ...extendedSequences(extended, intArg('seed', 1, 0)), ...full.slice(5)];
  if (only) seqs = seqs.filter((s) => only.split(',').includes(s.id));
  if (only && seqs.length === 0 && !onlyVacuum) throw new UsageError(`--only ${only}: no such sequence`);
  if (onlyVacuum) return runVacuumSequences(vacuumSeqs, majorsArg(), intArg('parallel', 2, 1), portBase, arg('record-vacuum'));
  // Interleaved (every major's first sequence, then every major's second, ...): a run cut short has as many of each.
  let jobs = seqs.flatMap((seq) => majors.map((major) => ({ major, seq })));
  if (retry) {
    const failed = existsSync(FAILED_FILE) ? (JSON.parse(readFileSync(FAILED_FILE, 'utf8')) as { major: number; id: string }[]) : null;
    if (failed) jobs = jobs.filter((j) => failed.some((f) => f.major === j.major && f.id === j.seq.id));
    console.log(`retrying ${jobs.length} (major, sequence) pairs that did not agree`);
  }
  // --rerun FILE: the pairs of a recorded run that disagree with the current model (or failed) run once more;
  // the record given with --record then holds the recorded run with those pairs replaced.
  const rerunFrom = arg('rerun');
  let kept: RecordFile | null = null;
  if (rerunFrom) {
    kept = JSON.parse(readFileSync(rerunFrom, 'utf8')) as RecordFile;
    const again: { major: number; seq: Sequence }[] = [];
    for (const run of recordedRuns(kept)) {
      if (!majors.includes(run.major)) continue;
      for (const r of run.sequences) {
        if (only && !only.split(',').includes(r.seq.id)) continue;
        const gaps = sequenceGaps(r.seq);
        let bad = !r.real || !!r.error;
        if (!bad && !gaps.length) {
          try {
            bad = compareRuns(r.seq, r.real!, runModel(r.seq, run.major), extra).some((d) => !LIMITATIONS.some((l) => l.matches(d, run.major)));
          } catch {
            bad = true;
          }
        }
        if (bad) again.push({ major: run.major, seq: r.seq });
      }
    }
    jobs = again;
    console.log(`re-running ${jobs.length} recorded (major, sequence) pairs that did not agree`);
  }
  // A partial run never replaces the committed report unless --out names a file.
  const partial = !ci && (count < FULL_RUN_MIN || only !== null || majors.length < MAJORS.length || retry || rerunFrom !== null);
  const out = arg('out') ?? (ci || partial ? null : 'docs/conformance.md');
  ensurePgUser();
  const flavors = new Map<number, Flavor>();
  const versions = new Map<number, string>();
  for (const m of majors) {
    const bin = installServer(m);
    flavors.set(m, flavorOf(m, bin));
    versions.set(m, execFileSync(join(bin, 'postgres'), ['--version']).toString().trim());
  }
  const started = Date.now();
  const results: SequenceResult[] = new Array(jobs.length);
  let next = 0;
  let done = 0;
  const worker = async (slot: number) => {
    // Staggered starts: dozens of initdb copies and base backups at once would time each other out.
    await new Promise((r) => setTimeout(r, slot * 1500));
    for (;;) {
      const i = next++;
      if (i >= jobs.length) return;
      const { major, seq } = jobs[i]!;
      const r = await runOne(seq, portBase + slot * 10, flavors.get(major)!, extra);
      results[i] = r;
      done++;
      const status = r.error ? `ERROR ${r.error.split('\n')[0]}` : r.gaps?.length ? 'real only' : r.differences.length ? `${r.differences.length} differences` : 'agrees';
      console.log(`[${done}/${jobs.length}] PostgreSQL ${major} ${r.seq.id} (${r.seq.ops.length} ops, ${Math.round(r.realSeconds)} s): ${status}`);
      for (const d of unexplained(r).slice(0, 6)) console.log(`    step ${d.step} (${d.op}) ${d.node} ${d.field}: real ${d.real} | model ${d.model}`);
      for (const n of r.notes) console.log(`    note: ${n}`);
      if (record && done % 20 === 0) writeRecord(record, results.filter(Boolean), (Date.now() - started) / 1000);
    }
  };
  const record = arg('record');
  const writeRecord = (file: string, rs: readonly SequenceResult[], wall: number) => {
    if (kept) {
      // The recorded run, with the re-run pairs replaced (the second observation is the one kept).
      const fresh = new Map(rs.map((r) => [`${r.major} ${r.seq.id}`, r]));
      const merged: RecordFile = {
        ...kept,
        runs: recordedRuns(kept).map((run) => ({
          ...run,
          sequences: run.sequences.map((x) => {
            const r = fresh.get(`${run.major} ${x.seq.id}`);
            return r ? { seq: r.seq, real: r.real, realSeconds: r.realSeconds, error: r.error, logs: r.logs, rerun: true } : x;
          }),
        })),
      };
      writeFileSync(file, JSON.stringify(merged) + '\n');
      return;
    }
    const recorded: RecordFile = {
      date: new Date().toISOString().slice(0, 10),
      wallSeconds: wall,
      parallel,
      mode: ci ? 'CI set' : 'full run',
      runs: majors.map((major) => ({
        major,
        pgVersion: versions.get(major)!,
        sequences: rs.filter((r) => r.major === major).map((r) => ({ seq: r.seq, real: r.real, realSeconds: r.realSeconds, error: r.error, logs: r.logs })),
      })),
    };
    writeFileSync(file, JSON.stringify(recorded) + '\n');
  };
  await Promise.all(Array.from({ length: Math.min(parallel, jobs.length) }, (_, s) => worker(s)));
  const wall = (Date.now() - started) / 1000;
  const runs: MajorRun[] = majors.map((major) => ({ major, pgVersion: versions.get(major)!, results: results.filter((r) => r.major === major) }));
  for (const run of runs) console.log(`${agreementLine(run)}; ${secondsPerSequence(run).toFixed(0)} s per sequence`);
  console.log(`${Math.round(wall)} s wall clock, ${parallel} at a time`);
  const date = new Date().toISOString().slice(0, 10);
  if (out) {
    writeFileSync(out, renderReport(runs, { mode: ci ? 'CI set' : 'full run', date, wallSeconds: wall, parallel }));
    console.log(`wrote ${out}`);
  }
  if (record) {
    writeRecord(record, results, wall);
    console.log(`recorded the real observations in ${record}`);
  }
  const vacuumCode = vacuumSeqs.length ? await runVacuumSequences(vacuumSeqs, majors, parallel, portBase, arg('record-vacuum')) : 0;
  const failed = results.filter((r) => r.error || unexplained(r).length);
  if (ci) {
    mkdirSync(join('node_modules', '.cache', 'replsim-conformance'), { recursive: true });
    writeFileSync(FAILED_FILE, JSON.stringify(failed.map((r) => ({ major: r.major, id: r.seq.id }))) + '\n');
  }
  if (results.some((r) => r.error && !r.error.startsWith('the model stopped')) || vacuumCode === 2) return 2;
  return failed.length || vacuumCode ? 1 : 0;
}

/** Run the vacuum sequences on every major (`parallel` at a time), print the differences, optionally record. */
async function runVacuumSequences(seqs: readonly VacuumSequence[], majors: readonly number[], parallel: number, portBase: number, record: string | null): Promise<number> {
  ensurePgUser();
  const jobs = seqs.flatMap((seq) => majors.map((major) => ({ seq, major })));
  const runs: VacuumRecord['runs'][number][] = new Array(jobs.length);
  let next = 0;
  let code = 0;
  const worker = async (slot: number) => {
    for (;;) {
      const i = next++;
      if (i >= jobs.length) return;
      const { seq, major } = jobs[i]!;
      const bin = installServer(major);
      const pgVersion = execFileSync(join(bin, 'postgres'), ['--version']).toString().trim();
      const t0 = Date.now();
      try {
        const real = await runRealVacuum(seq, portBase + 500 + slot * 10, flavorOf(major, bin));
        const differences = compareVacuum(real, runModelVacuum(seq, major, real));
        runs[i] = { major, pgVersion, seq, real, error: null };
        console.log(`PostgreSQL ${major} ${seq} (${Math.round((Date.now() - t0) / 1000)} s): ${differences.length ? `${differences.length} differences` : 'agrees'}`);
        for (const d of differences) console.log(`    ${d.field}:\n      real  ${JSON.stringify(d.real)}\n      model ${JSON.stringify(d.model)}`);
        if (differences.length) code = Math.max(code, 1);
      } catch (e) {
        const error = e instanceof Error ? e.message : String(e);
        runs[i] = { major, pgVersion, seq, real: null, error };
        console.log(`PostgreSQL ${major} ${seq}: ERROR ${error.split('\n')[0]}`);
        code = 2;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(parallel, jobs.length) }, (_, s) => worker(s)));
  if (record) {
    const rec: VacuumRecord = { date: new Date().toISOString().slice(0, 10), runs };
    writeFileSync(record, JSON.stringify(rec, null, 1) + '\n');
    console.log(`recorded the vacuum sequences' real observations in ${record}`);
  }
  return code;
}

main().then(
  (code) => process.exit(code),
  (e) => {
    console.error(e instanceof UsageError ? `conformance: ${e.message}` : e instanceof Error ? e.stack : e);
    process.exit(2);
  },
);

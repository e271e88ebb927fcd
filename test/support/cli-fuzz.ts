/**
 * The command line under fuzz (test/cli/fuzz-cli.test.ts): damaged documents put through `main` in a
 * long-lived child (cli-fuzz-child.ts) with small run limits, each answer checked: a report (exit 0 or 1,
 * JSON that parses), exit 2 with every line located (file:line:column) and no stack trace, or exit 3 naming
 * the limit that stopped the run; within its limit (CPU time), and never a hang (the child is killed and the
 * document kept when no answer comes in time).
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import fc from 'fast-check';
import { parseDocument, type Document } from 'yaml';
import { generatedBases, mutate, mutation } from './yaml-mutations.ts';

export interface Answer {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly cpuMs: number;
}

/** The run limits every fuzzed run gets. */
export const FUZZ_LIMITS = { maxEvents: 20_000, maxWallSeconds: 1 };
/** No answer after this long (wall clock, on a loaded machine) is a hang. */
const HANG_MS = 90_000;

export class CliChild {
  private child!: ChildProcessWithoutNullStreams;
  private waiting = new Map<number, (a: Answer) => void>();
  private next = 1;
  readonly env: NodeJS.ProcessEnv;

  constructor(env: NodeJS.ProcessEnv = {}) {
    this.env = { ...process.env, REPLSIM_SELF_CHECK: '1', TZ: 'UTC', LANG: 'C.UTF-8', LC_ALL: 'C.UTF-8', ...env };
    this.start();
  }

  private start(): void {
    this.child = spawn(process.execPath, ['--import', 'tsx', 'test/support/cli-fuzz-child.ts'], { env: this.env, stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stderr.on('data', () => {});
    const lines = createInterface({ input: this.child.stdout });
    lines.on('line', (line) => {
      const a = JSON.parse(line) as Answer & { id: number };
      this.waiting.get(a.id)?.(a);
      this.waiting.delete(a.id);
    });
  }

  /** The answer to `argv`, or 'hang' (then the child is restarted). */
  run(argv: readonly string[]): Promise<Answer | 'hang'> {
    const id = this.next++;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        this.child.kill('SIGKILL');
        this.start();
        resolve('hang');
      }, HANG_MS);
      this.waiting.set(id, (a) => {
        clearTimeout(timer);
        resolve(a);
      });
      this.child.stdin.write(`${JSON.stringify({ id, argv })}\n`);
    });
  }

  close(): void {
    this.child.stdin.end();
    this.child.kill();
  }
}

const LOCATED = /^.+?:\d+:\d+: \S.*$|^.+?: --set .+?: \S.*$|^.+?: (more errors|\d+ more error\(s\)) not shown \(fix these first\)$/;

/** What is wrong with an answer to `replsim run FILE --json ...` with FUZZ_LIMITS, or null. */
export function problemWith(a: Answer | 'hang'): string | null {
  if (a === 'hang') return `no answer within ${HANG_MS / 1000} s (a hang)`;
  if (a.stderr.includes('THROWN:') || /^\s+at \S.*(:\d+:\d+\)?|\(native\))$/m.test(a.stderr)) return `a stack trace: ${a.stderr.slice(0, 500)}`;
  const cpuLimit = 2 * FUZZ_LIMITS.maxWallSeconds * 1000 + 4000;
  if (a.cpuMs > cpuLimit) return `took ${a.cpuMs.toFixed(0)} ms of CPU, past its limits (${cpuLimit} ms with the self-check's second run)`;
  switch (a.code) {
    case 0:
    case 1:
      try {
        JSON.parse(a.stdout);
      } catch {
        return `exit ${a.code} without a JSON report: ${a.stdout.slice(0, 200)}`;
      }
      return a.stderr === '' ? null : `exit ${a.code} with stderr: ${a.stderr.slice(0, 300)}`;
    case 2: {
      const lines = a.stderr.trimEnd().split('\n');
      if (a.stdout !== '') return `exit 2 with output on stdout: ${a.stdout.slice(0, 200)}`;
      const bad = lines.find((l) => !LOCATED.test(l));
      return bad === undefined && lines.length > 0 ? null : `exit 2 with an unlocated line: ${JSON.stringify(bad)}`;
    }
    case 3:
      if (/^replsim: run stopped: .*raise it with --(max-events|max-wall-seconds)\n$/.test(a.stderr)) return null;
      return a.stderr.startsWith('replsim: internal error') ? `an internal error (exit 3): ${a.stderr.slice(0, 600)}` : `exit 3 not naming a limit: ${a.stderr.slice(0, 600)}`;
    default:
      return `exit code ${a.code}: ${a.stderr.slice(0, 300)}`;
  }
}

/** Valid documents to damage: generated scenarios (every topology and operation kind) and the shipped ones. */
export function fuzzBases(): Document[] {
  const shipped = readdirSync('scenarios')
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => parseDocument(readFileSync(join('scenarios', f), 'utf8')));
  return [...shipped, ...generatedBases()];
}

const TEXT_PIECES = [':', '{', '}', '[', ']', '- ', ' ', '\n', '\n  ', '&a ', '*a', '"', "'", '#', '|', '>', '\t', ',', '~', '\u0000', '\u001b[31m', 'x'.repeat(300), '1e15/s', '0.2/s', '19', '100y'];

export interface FuzzCase {
  readonly text: string;
  /** Command-line options after `run FILE --json`. */
  readonly options: readonly string[];
}

const option = fc.oneof(
  { weight: 6, arbitrary: fc.constant<string[]>([]) },
  { weight: 2, arbitrary: fc.nat(1_000_000).map((n) => ['--seed', String(n)]) },
  { weight: 1, arbitrary: fc.constantFrom('latest-timeline', 'patroni', 'pull-ahead', 'walb', 'no-action', 'slot-limit', 'async', 'nope').map((v) => ['--variant', v]) },
  {
    weight: 1,
    arbitrary: fc
      .constantFrom(
        'clusters.main.workload.rate=0.2/s',
        'clusters.main.workload.rate=1e9/s',
        'clusters.app.workload.rate=0.2/s',
        'clusters.mackerel.workload.rate=1e9/s',
        'end=2124-01-01T00:00:00Z',
        'duration=100y',
        'plan.0.at=+0s',
        'seed=-1',
        'sites=[]',
        'x=1',
      )
      .map((s) => ['--set', s]),
  },
);

/**
 * `count` damaged documents (fast-check seed `seed`): tree mutations of the bases (junk values and keys,
 * deletions, wrong shapes, copies, alias bombs) and text edits, each with a few command-line options.
 */
export function fuzzCases(bases: readonly Document[], count: number, seed: number): FuzzCase[] {
  const texts = bases.map((b) => b.toString({ lineWidth: 0 }));
  const damaged = fc.oneof(
    fc.tuple(fc.nat(), fc.array(mutation, { minLength: 0, maxLength: 3 })).map(([which, muts]) => mutate(bases[which % bases.length]!, muts)),
    fc.tuple(fc.nat(), fc.array(fc.tuple(fc.nat(), fc.nat(3), fc.constantFrom(...TEXT_PIECES)), { minLength: 1, maxLength: 3 })).map(([which, edits]) => {
      let text = texts[which % texts.length]!;
      for (const [pos, del, ins] of edits) {
        const p = pos % (text.length + 1);
        text = text.slice(0, p) + ins + text.slice(p + del);
      }
      return text;
    }),
  );
  // A few mutated trees cannot be printed (null): draw more and keep `count`.
  return fc
    .sample(fc.tuple(damaged, fc.array(option, { maxLength: 2 })), { numRuns: Math.ceil(count * 1.25) + 10, seed })
    .filter(([text]) => text !== null)
    .slice(0, count)
    // run takes one --variant (a second is a usage error pointing at compare): keep the last one.
    .map(([text, opts]) => ({ text: text!, options: opts.filter((o, i) => o[0] !== '--variant' || !opts.slice(i + 1).some((x) => x[0] === '--variant')).flat() }));
}

/** The argv for a case written to `file`. */
export function argvFor(file: string, c: FuzzCase, json = true): string[] {
  return ['run', file, ...(json ? ['--json'] : []), '--max-events', String(FUZZ_LIMITS.maxEvents), '--max-wall-seconds', String(FUZZ_LIMITS.maxWallSeconds), ...c.options];
}

/** Keeps a failing case for the report: the document and what was wrong. */
export function keepFailure(dir: string, n: number, c: FuzzCase, problem: string): string {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `case-${n}.yaml`);
  writeFileSync(file, `# ${problem.split('\n')[0]!.slice(0, 300)}\n# replay: replsim ${argvFor(file, c).join(' ')}\n${c.text}`);
  return file;
}

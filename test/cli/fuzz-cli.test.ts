/**
 * Never hang, never crash (issue 15): damaged documents through the command line's own code with small
 * run limits (test/support/cli-fuzz.ts): every one gives a report, exit 2 with located messages, or exit 3
 * naming a limit, within its limit. A sample goes through the real `replsim` process too (same answer);
 * another runs again under other time zones and locales (same bytes). The deep run (npm run test:deep)
 * puts 10,000 documents through; failures are kept under $REPLSIM_FUZZ_FAILURES (default
 * <tmpdir>/replsim-cli-fuzz-failures) with the command that replays them.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { argvFor, CliChild, fuzzBases, fuzzCases, keepFailure, problemWith, type Answer, type FuzzCase } from '../support/cli-fuzz.ts';
import { replsim } from '../support/cli.ts';
import { DEEP } from '../support/properties.ts';

const DOCUMENTS = DEEP ? 10_000 : 200;
const THROUGH_PROCESS = DEEP ? 200 : 10;
const LOCALE_SAMPLE = DEEP ? 200 : 8;
const SEED = Number(process.env.REPLSIM_FUZZ_SEED ?? 20261203);

const dir = mkdtempSync(join(tmpdir(), 'replsim-cli-fuzz-'));
const failures = process.env.REPLSIM_FUZZ_FAILURES ?? join(tmpdir(), 'replsim-cli-fuzz-failures');
const cases = fuzzCases(fuzzBases(), DOCUMENTS, SEED);
const files = cases.map((c, i) => {
  const file = join(dir, `doc-${i}.yaml`);
  writeFileSync(file, c.text);
  return file;
});
const answers: (Answer | 'hang')[] = [];
const child = new CliChild();
afterAll(() => child.close());

function report(problems: { i: number; c: FuzzCase; problem: string }[]): string {
  return problems
    .slice(0, 10)
    .map(({ i, c, problem }) => `${keepFailure(failures, i, c, problem)}: ${problem.slice(0, 400)}`)
    .join('\n');
}

describe('fuzz: the command line on damaged documents', () => {
  it(`${DOCUMENTS} documents: a report, exit 2 located, or exit 3 naming a limit; never a hang or a crash`, async () => {
    const problems: { i: number; c: FuzzCase; problem: string }[] = [];
    const codes = new Map<number | string, number>();
    for (const [i, c] of cases.entries()) {
      const a = await child.run(argvFor(files[i]!, c));
      answers.push(a);
      const key = a === 'hang' ? 'hang' : a.code;
      codes.set(key, (codes.get(key) ?? 0) + 1);
      const problem = problemWith(a);
      if (problem !== null) problems.push({ i, c, problem });
    }
    expect(problems.length, `${problems.length} of ${cases.length} documents failed (exit codes ${JSON.stringify([...codes])}):\n${report(problems)}`).toBe(0);
    // Enough of them must still be valid scenarios to test the runs, not only the loader.
    expect((codes.get(0) ?? 0) + (codes.get(1) ?? 0) + (codes.get(3) ?? 0)).toBeGreaterThan(DOCUMENTS / 10);
  });

  it(`the real replsim process gives the same answers (${THROUGH_PROCESS} documents)`, () => {
    const step = Math.max(1, Math.floor(cases.length / THROUGH_PROCESS));
    for (let i = 0; i < cases.length; i += step) {
      const a = answers[i];
      if (a === undefined || a === 'hang' || a.code === 3) continue; // limits depend on timing
      const r = replsim(argvFor(files[i]!, cases[i]!), { env: { REPLSIM_SELF_CHECK: '1' }, timeout: 120_000 });
      expect({ i, code: r.code, stdout: r.stdout, stderr: r.stderr }).toEqual({ i, code: a.code, stdout: a.stdout, stderr: a.stderr });
    }
  });

  it(`reports are the same bytes under other time zones and locales (${LOCALE_SAMPLE} documents)`, async () => {
    const others = [
      new CliChild({ TZ: 'Pacific/Chatham', LANG: 'ar_EG.UTF-8', LC_ALL: 'ar_EG.UTF-8' }),
      new CliChild({ TZ: 'America/St_Johns', LANG: 'hi_IN.UTF-8', LC_ALL: 'de_DE.UTF-8' }),
    ];
    try {
      const ran = cases.map((c, i) => ({ c, i, a: answers[i] })).filter((x) => x.a !== undefined && x.a !== 'hang' && (x.a.code === 0 || x.a.code === 1));
      const step = Math.max(1, Math.floor(ran.length / LOCALE_SAMPLE));
      for (let k = 0; k < ran.length; k += step) {
        const { c, i } = ran[k]!;
        const text = argvFor(files[i]!, c, false);
        const base = await child.run(text);
        for (const other of others) {
          for (const argv of [text, argvFor(files[i]!, c)]) {
            const a = await other.run(argv);
            const b = argv === text ? base : answers[i];
            expect(a === 'hang' ? a : { code: a.code, stdout: a.stdout }, `document ${i} under ${other.env.TZ} ${other.env.LC_ALL}`).toEqual(b === 'hang' || b === undefined ? b : { code: b.code, stdout: b.stdout });
          }
        }
      }
    } finally {
      for (const o of others) o.close();
    }
    // 16 child runs at a few hundred ms each, about 16 s on an idle machine: more than the 60 s default when
    // other processes share the 2 cores.
  }, 300_000);
});

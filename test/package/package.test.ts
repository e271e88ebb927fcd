/**
 * The package as users get it (npm run test:package; about a minute, so not in the default suite): `npm pack`
 * of a copy of the working tree (its prepare step builds dist/), then the tarball installed into a fresh
 * project and used from plain JavaScript (import and require), from TypeScript with the tsconfig `tsc --init`
 * writes (and a stricter one), with vitest as docs/properties.md shows, and as a global command.
 */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

const repo = resolve(import.meta.dirname, '../..');
const work = mkdtempSync(join(tmpdir(), 'replsim-package-'));
const project = join(work, 'project');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const tsc = join(repo, 'node_modules/typescript/bin/tsc');
let tarball = '';

function run(cmd: string, args: readonly string[], cwd: string, input?: string): SpawnSyncReturns<string> {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', input, timeout: 300_000, env: { ...process.env, npm_config_update_notifier: 'false', REPLSIM_SELF_CHECK: '' } });
  if (r.error) throw r.error;
  return r;
}

function ok(cmd: string, args: readonly string[], cwd: string): string {
  const r = run(cmd, args, cwd);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} (in ${cwd}) exited ${r.status}\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

/** The files a clone has (what `git ls-files` would list, plus uncommitted work): no dist/, no node_modules. */
function copyTree(): string {
  const copy = join(work, 'replsim');
  for (const entry of ['bin', 'docs', 'scenarios', 'scripts', 'src', 'LICENSE', 'README.md', 'package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json']) {
    cpSync(join(repo, entry), join(copy, entry), { recursive: true });
  }
  symlinkSync(join(repo, 'node_modules'), join(copy, 'node_modules'), 'dir');
  return copy;
}

beforeAll(() => {
  const copy = copyTree();
  const out = ok(npm, ['pack', '--json', '--pack-destination', work], copy);
  tarball = join(work, (JSON.parse(out.slice(out.indexOf('['))) as { filename: string }[])[0]!.filename);
  mkdirSync(project);
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'user-project', version: '1.0.0', private: true, type: 'module' }, null, 2));
  // Dependencies come from npm's cache when they are there (npm ci filled it), else from the registry.
  ok(npm, ['install', '--prefer-offline', '--no-audit', '--no-fund', tarball, `vitest@${version('vitest')}`, '@fast-check/vitest@^0.5.0'], project);
}, 600_000);

function version(dep: string): string {
  return (JSON.parse(readFileSync(join(repo, 'node_modules', dep, 'package.json'), 'utf8')) as { version: string }).version;
}

describe('npm pack', () => {
  it('ships what users need and nothing else', () => {
    const files = ok('tar', ['tzf', tarball], work).trim().split('\n').map((f) => f.replace(/^package\//, ''));
    for (const f of ['package.json', 'README.md', 'LICENSE', 'bin/replsim.mjs', 'dist/index.js', 'dist/index.d.ts', 'dist/testing/index.d.ts', 'dist/cjs/index.cjs', 'dist/cjs/index.d.cts', 'dist/cli/replsim.js', 'scenarios/mackerel-2017.yaml', 'docs/scenario.md', 'docs/properties.md']) {
      expect(files, f).toContain(f);
    }
    for (const prefix of ['src/', 'test/', 'bench/', 'conformance/', '.ci/', 'scripts/', 'node_modules/']) expect(files.filter((f) => f.startsWith(prefix)), prefix).toEqual([]);
    const pkg = JSON.parse(readFileSync(join(project, 'node_modules/replsim/package.json'), 'utf8')) as { dependencies: Record<string, string> };
    expect(Object.keys(pkg.dependencies)).not.toContain('tsx');
  });
});

describe('the installed package', () => {
  it('imports from plain JavaScript (ESM) and runs a shipped scenario', () => {
    const code = `
      import { loadScenarioFile, runScenario, renderChartSvg, runTwice } from 'replsim';
      import { scenarioArbitrary } from 'replsim/testing';
      import { fileURLToPath } from 'node:url';
      const file = fileURLToPath(import.meta.resolve('replsim/scenarios/mackerel-2017.yaml'));
      const result = runScenario(loadScenarioFile(file));
      const svg = renderChartSvg(result);
      runTwice(loadScenarioFile(file));
      console.log(result.report.dataLoss[0].commits, svg.startsWith('<svg') || svg.startsWith('<?xml'), typeof scenarioArbitrary);`;
    expect(ok(process.execPath, ['--input-type=module', '-e', code], project).trim()).toBe('717000 true function');
  });

  it('requires from CommonJS, one copy of the testing API', () => {
    const code = `
      const r = require('replsim');
      const t = require('replsim/testing');
      const s = r.loadScenarioFile(require.resolve('replsim/scenarios/sync-standby-crash.yaml'));
      console.log(r.runScenario(s).report.dataLoss.length, t.scenarioArbitrary === r.scenarioArbitrary, typeof t.assertScenarioProperty);`;
    expect(ok(process.execPath, ['-e', code], project).trim()).toBe('0 true function');
  });

  it('type-checks in TypeScript with the tsconfig tsc --init writes, ESM and CommonJS, and with skipLibCheck off', () => {
    const dir = join(project, 'ts');
    mkdirSync(dir, { recursive: true });
    ok(process.execPath, [tsc, '--init'], dir);
    writeFileSync(
      join(dir, 'esm.ts'),
      `import { loadScenarioText, runScenario, DEFAULT_LIMITS, type Scenario, type Report } from 'replsim';
import { scenarioArbitrary, assertScenarioProperty, scenarioToYaml, type ScenarioPropertyOptions } from 'replsim/testing';
const s: Scenario = loadScenarioText('name: x', 'x.yaml');
const report: Report = runScenario(s, { limits: DEFAULT_LIMITS }).report;
const opts: ScenarioPropertyOptions = { numRuns: 5 };
assertScenarioProperty('typed', scenarioArbitrary({ primaries: { max: 1 } }), (sc) => runScenario(sc).report.dataLoss.length >= 0, opts);
export const text: string = scenarioToYaml(s) + report.scenario;
`,
    );
    writeFileSync(
      join(dir, 'cjs.cts'),
      `import replsim = require('replsim');
import testing = require('replsim/testing');
const n: number = replsim.runScenario(replsim.loadScenarioText('name: x', 'x.yaml')).report.dataLoss.length;
const same: boolean = testing.scenarioArbitrary === replsim.scenarioArbitrary;
export = { n, same };
`,
    );
    const r = run(process.execPath, [tsc, '--noEmit', '-p', '.'], dir);
    expect(`${r.stdout}${r.stderr}`).toBe('');
    expect(r.status).toBe(0);
    const strict = run(process.execPath, [tsc, '--noEmit', '-p', '.', '--skipLibCheck', 'false'], dir);
    expect(`${strict.stdout}${strict.stderr}`).toBe('');
  });

  it('works as a global command (npm i -g)', () => {
    const prefix = join(work, 'global');
    ok(npm, ['install', '-g', '--prefix', prefix, '--prefer-offline', '--no-audit', '--no-fund', tarball], work);
    const bin = join(prefix, 'bin/replsim');
    expect(ok(bin, ['--version'], work).trim()).toBe(JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')).version);
    const dir = ok(bin, ['examples', '--dir'], work).trim();
    expect(existsSync(join(dir, 'mackerel-2017.yaml'))).toBe(true);
    expect(dir.startsWith(prefix)).toBe(true);
    const r = run(bin, ['run', join(dir, 'mackerel-2017.yaml'), '--json'], work);
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout).dataLoss[0].commits).toBe(717000);
    expect(r.stderr).toBe('');
    expect(ok(bin, ['examples'], work)).toContain('split-brain.yaml');
  });

  it("runs the docs' property examples: with vitest, with @fast-check/vitest, and the Jest form with require", () => {
    const docs = readFileSync(join(repo, 'docs/properties.md'), 'utf8');
    /** The first code block after `heading`. */
    const block = (heading: string, lang: string): string => {
      const at = docs.indexOf(heading);
      expect(at, heading).toBeGreaterThanOrEqual(0);
      return new RegExp(`\`\`\`${lang}\n([\\s\\S]*?)\`\`\``).exec(docs.slice(at))![1]!;
    };
    mkdirSync(join(project, 'test'), { recursive: true });
    writeFileSync(join(project, 'test/example.test.ts'), block('## A property in a few lines', 'ts'));
    writeFileSync(join(project, 'test/fast-check-vitest.test.ts'), block('With `@fast-check/vitest`', 'ts'));
    const r = run(process.execPath, [join(project, 'node_modules/vitest/vitest.mjs'), 'run', '--root', project], project);
    expect(r.status, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(r.stdout).toMatch(/2 passed/);
    // Jest's test() on CommonJS, without Jest: the example must require the package and pass.
    writeFileSync(join(project, 'jest-example.cjs'), `let ran = 0;\nglobalThis.test = (name, f) => { f(); ran++; };\n${block('With Jest', 'js')}\nconsole.log('passed', ran);\n`);
    expect(ok(process.execPath, ['jest-example.cjs'], project).trim()).toBe('passed 1');
  });
});

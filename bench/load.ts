/**
 * Loading large scenarios: 1,000, 10,000 and 100,000 plan steps (workload rate changes every 100 ms on a
 * primary and a standby), parsed and decoded by the compiled library (dist/, built first) in a child process
 * without tsx. CPU milliseconds (user + system, best of 7 after warm-ups), per kB of YAML, beside the yaml
 * library's parseDocument alone on the same text (what loading cost before the fast path: that and the
 * decoding), and the run of the same scenario, to compare loading with running.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Benchmark, BenchmarkContext, BenchmarkOutput } from './registry.ts';

const SIZES = [1_000, 10_000, 100_000];

/** A scenario with `steps` plan steps, each changing the workload's rate. */
export function planScenario(steps: number): string {
  const lines = [
    `name: plan-${steps}`,
    'start: 2024-03-04T00:00:00Z',
    `duration: ${Math.ceil(steps / 10) + 60}s`,
    'sites:',
    '  dc1: {}',
    'clusters:',
    '  shop:',
    '    nodes:',
    '      p: {site: dc1, version: 15, role: primary}',
    '      s1: {site: dc1, version: 15, upstream: p}',
    '    workload: {target: p, rate: 100/s, wal_per_tx: 1KiB, connections: 50}',
    'plan:',
  ];
  for (let i = 0; i < steps; i++) lines.push(`  - {at: +${(i / 10).toFixed(1)}s, workload: {cluster: shop, rate: ${100 + (i % 7) * 10}/s}}`);
  return `${lines.join('\n')}\n`;
}

export interface LoadPoint {
  readonly steps: number;
  readonly kB: number;
  readonly loadMs: number;
  readonly msPerKB: number;
  readonly yamlLibraryMs: number | null;
  readonly runMs: number | null;
}

export const loadBenchmark: Benchmark = {
  name: 'load',
  title: 'Loading large scenarios (CPU ms: parse and decode with the compiled library; the yaml library alone for comparison)',
  run(ctx: BenchmarkContext): BenchmarkOutput {
    ctx.progress('load: building dist/ (scripts/build.mjs)…');
    execFileSync(process.execPath, ['scripts/build.mjs'], { stdio: 'inherit', env: { ...process.env, REPLSIM_BUILD_QUIET: '1' } });
    const dir = mkdtempSync(join(tmpdir(), 'replsim-bench-load-'));
    const files = SIZES.map((n) => {
      const file = join(dir, `plan-${n}.yaml`);
      writeFileSync(file, planScenario(n));
      return file;
    });
    ctx.progress(`load: ${SIZES.join(', ')} plan steps…`);
    const out = execFileSync(process.execPath, ['bench/load-worker.mjs', ...files], { encoding: 'utf8', maxBuffer: 1 << 24 });
    const raw = JSON.parse(out) as { bytes: number; ms: number; libraryParseMs: number | null; runMs: number | null }[];
    const points: LoadPoint[] = raw.map((r, i) => ({
      steps: SIZES[i]!,
      kB: Math.round(r.bytes / 1024),
      loadMs: Math.round(r.ms * 10) / 10,
      msPerKB: Math.round((r.ms / (r.bytes / 1024)) * 1000) / 1000,
      yamlLibraryMs: r.libraryParseMs === null ? null : Math.round(r.libraryParseMs),
      runMs: r.runMs === null ? null : Math.round(r.runMs),
    }));
    return {
      sections: { load: points },
      table: {
        header: ['plan steps', 'kB', 'load ms', 'ms per kB', 'yaml library parse alone ms', 'run ms'],
        rows: points.map((p) => [p.steps.toLocaleString('en-US'), String(p.kB), p.loadMs.toFixed(1), p.msPerKB.toFixed(3), p.yamlLibraryMs === null ? '' : String(p.yamlLibraryMs), p.runMs === null ? '' : String(p.runMs)]),
      },
      notes: ['CPU time, not wall time: on a shared machine the load of other processes does not count. Linear loading keeps ms per kB flat.'],
    };
  },
};

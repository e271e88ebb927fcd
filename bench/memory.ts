/**
 * Memory over simulated time: one scenario run for a year, ten years and a century with the compiled
 * library (dist/, built first), each in its own process: peak resident memory, the heap left after a full
 * garbage collection, and the checkpoint records kept (the model state that grew with simulated time before
 * issue 15). Bounded memory means the century needs about what the year needs.
 *
 * The scenario: a primary with a streaming standby and a standby stopped for good after an hour (it keeps
 * every later checkpoint record usable: it could come back and follow), checkpoint_timeout 1h so that a
 * century is 876,000 checkpoints and runs in seconds; and Mackerel 2017 for one and two years (its failover
 * manager's health checks make a simulated year cost seconds).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Benchmark, BenchmarkContext, BenchmarkOutput } from './registry.ts';

export const CENTURY_SCENARIO = `name: century
description: A primary, a streaming standby and a standby stopped after an hour, for as long as asked.
start: 2024-01-01T00:00:00Z
duration: 365d
sites: {east: {}}
clusters:
  app:
    nodes:
      p: {site: east, version: 16, role: primary, settings: {checkpoint_timeout: 1h}}
      s: {site: east, version: 16, role: standby, upstream: p, settings: {checkpoint_timeout: 1h}}
      t: {site: east, version: 16, role: standby, upstream: p, settings: {checkpoint_timeout: 1h}}
    workload: {target: p, rate: 100/s, wal_per_tx: 2KiB}
plan:
  - {at: +1h, stop: t}
`;

interface Case {
  readonly name: string;
  readonly file: string;
  readonly sets: readonly string[];
}

export interface MemoryPoint {
  readonly case: string;
  readonly ms: number;
  readonly maxRssMB: number;
  readonly heapMB: number;
  readonly records: number;
}

export const memoryBenchmark: Benchmark = {
  name: 'memory',
  title: 'Memory over simulated time (compiled library, one process per row: peak RSS, heap after a full GC, checkpoint records kept)',
  run(ctx: BenchmarkContext): BenchmarkOutput {
    ctx.progress('memory: building dist/ (scripts/build.mjs)…');
    execFileSync(process.execPath, ['scripts/build.mjs'], { stdio: 'inherit', env: { ...process.env, REPLSIM_BUILD_QUIET: '1' } });
    const dir = mkdtempSync(join(tmpdir(), 'replsim-bench-memory-'));
    const century = join(dir, 'century.yaml');
    writeFileSync(century, CENTURY_SCENARIO);
    const mackerel = 'scenarios/mackerel-2017.yaml';
    const cases: Case[] = [
      ...[1, 10, 100].map((y) => ({ name: `century.yaml, ${y} year${y > 1 ? 's' : ''}`, file: century, sets: [`duration=${365 * y}d`] })),
      ...[1, 2].map((y) => ({ name: `mackerel-2017, ${y} year${y > 1 ? 's' : ''}`, file: mackerel, sets: [`end=${2017 + y}-08-07T16:00:00+09:00`] })),
    ];
    const points: MemoryPoint[] = cases.map((c) => {
      ctx.progress(`memory: ${c.name}…`);
      const out = execFileSync(process.execPath, ['--expose-gc', 'bench/memory-worker.mjs', c.file, ...c.sets], { encoding: 'utf8' });
      return { case: c.name, ...(JSON.parse(out) as Omit<MemoryPoint, 'case'>) };
    });
    return {
      sections: { memory: points },
      table: {
        header: ['scenario, simulated time', 'run ms', 'peak RSS MB', 'heap after GC MB', 'checkpoint records'],
        rows: points.map((p) => [p.case, String(p.ms), String(p.maxRssMB), String(p.heapMB), String(p.records)]),
      },
      notes: ['Peak RSS includes node itself (about 40-50 MB) and garbage not yet collected; the heap after a full GC is what the run keeps.'],
    };
  },
};

/**
 * Whole scenarios, timed as a user runs them (parse excluded): the figures the issues ask for, e.g. "a year
 * of simulated time for the XID scenario in under one second". Each run is repeated; the median counts.
 */
import { loadScenarioFile } from '../src/scenario/load.ts';
import { runScenario } from '../src/run.ts';
import type { Benchmark, BenchmarkContext, BenchmarkOutput } from './registry.ts';

interface Case {
  readonly name: string;
  readonly file: string;
  readonly sets: readonly string[];
  readonly span: string;
  readonly variant?: string;
}

const CASES: readonly Case[] = [
  { name: 'mackerel-2017', file: 'scenarios/mackerel-2017.yaml', sets: [], span: '2 h' },
  { name: 'split-brain', file: 'scenarios/split-brain.yaml', sets: [], span: '1 h' },
  // Issue 4: a year of simulated time.
  { name: 'go-xid-wraparound, one year', file: 'scenarios/go-xid-wraparound.yaml', sets: ['end=2024-01-01T00:00:00+09:00'], span: '1 year' },
  // Issue 3: a multi-terabyte, multi-day migration with the full plan (disk queues, line, resync, four stalls).
  { name: 'cybozu-drbd-migration, 2 TiB', file: 'scenarios/cybozu-drbd-migration.yaml', sets: [], span: '3.2 days' },
  { name: 'cybozu-drbd-migration, 8 TiB', file: 'scenarios/cybozu-drbd-migration.yaml', sets: ['block.resources.vol.size=8TiB', 'end=2015-05-25T14:00:00+09:00'], span: '7.2 days' },
  { name: 'cybozu-drbd-migration --variant pull-ahead', file: 'scenarios/cybozu-drbd-migration.yaml', sets: [], span: '3.2 days', variant: 'pull-ahead' },
];

export interface ScenarioPoint {
  readonly scenario: string;
  readonly span: string;
  readonly events: number;
  readonly wallMs: number;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

export const scenariosBenchmark: Benchmark = {
  name: 'scenarios',
  title: 'Shipped scenarios (wall time of the run, parsing excluded; median of 5 after a warm-up)',
  run(ctx: BenchmarkContext): BenchmarkOutput {
    const points: ScenarioPoint[] = [];
    for (const c of CASES) {
      ctx.progress(`scenario ${c.name}…`);
      const scenario = loadScenarioFile(c.file, { sets: c.sets, variant: c.variant ?? null });
      runScenario(scenario); // warm-up
      const times: number[] = [];
      let events = 0;
      for (let i = 0; i < 5; i++) {
        const t0 = performance.now();
        events = runScenario(scenario).report.stats.events;
        times.push(performance.now() - t0);
      }
      points.push({ scenario: c.name, span: c.span, events, wallMs: Math.round(median(times) * 10) / 10 });
    }
    return {
      sections: { scenarios: points },
      table: { header: ['scenario', 'simulated', 'events', 'wall ms'], rows: points.map((p) => [p.scenario, p.span, String(p.events), p.wallMs.toFixed(1)]) },
      notes: [],
    };
  },
};

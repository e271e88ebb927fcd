/**
 * The WAL storage model over long horizons (issue 9): a standby that can no longer stream must not make a
 * year cost more than a healthy one (its retry loop is parked, its restartpoints find their record by binary
 * search), and memory stays bounded (checkpoint records pruned and thinned). Wall time of the run, parsing
 * excluded, median of 3 after a warm-up; the heap growth of one run.
 */
import { loadScenarioText } from '../src/scenario/load.ts';
import { runScenario } from '../src/run.ts';
import type { Benchmark, BenchmarkContext, BenchmarkOutput } from './registry.ts';

/** Two PostgreSQL 16 nodes, 1 Gbps / 5 ms, 200 commits/s of 2 KiB (the issue's steady run). */
function yaml(o: { duration: string; stuck: boolean; checkpointTimeout?: string; rate?: string; restartAt?: string }): string {
  const settings = o.checkpointTimeout ? `, settings: {checkpoint_timeout: ${o.checkpointTimeout}}` : '';
  return `
name: storage-bench
start: 2024-01-01T00:00:00Z
duration: ${o.duration}
sites: {a: {}, b: {}}
links: [{between: [a, b], bandwidth: 1Gbps, latency: 5ms}]
clusters:
  c:
    nodes:
      p: {site: a, version: 16, role: primary${settings}}
      s1: {site: b, version: 16, upstream: p${settings}}
    workload: {target: p, rate: ${o.rate ?? '200/s'}, wal_per_tx: 2KiB}
${o.stuck ? `plan:\n  - {at: "+1h", stop: s1}\n  - {at: "${o.restartAt ?? '+3h'}", start: s1}\n` : ''}`;
}

interface Case {
  readonly name: string;
  readonly text: string;
  readonly span: string;
}

const CASES: readonly Case[] = [
  // The stuck standby loses its stream at 03:00 and asks for the removed segment every 5 s for a year.
  { name: 'a year with a stuck standby', text: yaml({ duration: '365d', stuck: true }), span: '1 year' },
  { name: 'a year, standby healthy', text: yaml({ duration: '365d', stuck: false }), span: '1 year' },
  // checkpoint_timeout = 1d and 1 commit/s (177 MB a day, under max_wal_size) keep a century to 36,500
  // checkpoints; the standby, stopped for three days, finds its segment removed; the checkpoint records it
  // would need are pruned and thinned.
  { name: 'a century with a stuck standby (1/s, checkpoint_timeout = 1d)', text: yaml({ duration: '36500d', stuck: true, checkpointTimeout: '1d', rate: '1/s', restartAt: '+3d' }), span: '100 years' },
];

export interface StoragePoint {
  readonly case: string;
  readonly span: string;
  readonly events: number;
  readonly wallMs: number;
  /** CPU time of the run (user + system): on a shared machine the wall time also counts other processes. */
  readonly cpuMs: number;
  readonly heapMb: number;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

export const storageBenchmark: Benchmark = {
  name: 'storage',
  title: 'WAL storage over long horizons (wall time of the run, parsing excluded; median of 3 after a warm-up)',
  run(ctx: BenchmarkContext): BenchmarkOutput {
    const points: StoragePoint[] = [];
    for (const c of CASES) {
      ctx.progress(`storage: ${c.name}…`);
      const scenario = loadScenarioText(c.text, `${c.name}.yaml`);
      runScenario(scenario); // warm-up
      const times: number[] = [];
      const cpus: number[] = [];
      let events = 0;
      let heap = 0;
      for (let i = 0; i < 3; i++) {
        global.gc?.();
        const before = process.memoryUsage().heapUsed;
        const t0 = performance.now();
        const c0 = process.cpuUsage();
        const r = runScenario(scenario);
        const c1 = process.cpuUsage(c0);
        times.push(performance.now() - t0);
        cpus.push((c1.user + c1.system) / 1000);
        events = r.report.stats.events;
        heap = Math.max(heap, process.memoryUsage().heapUsed - before);
      }
      points.push({ case: c.name, span: c.span, events, wallMs: Math.round(median(times)), cpuMs: Math.round(median(cpus)), heapMb: Math.round(heap / 1e5) / 10 });
    }
    return {
      sections: { storage: points },
      table: { header: ['case', 'simulated', 'events', 'wall ms', 'cpu ms', 'heap MB'], rows: points.map((p) => [p.case, p.span, String(p.events), String(p.wallMs), String(p.cpuMs), p.heapMb.toFixed(1)]) },
      notes: ['heap MB: growth of the heap during one run (without --expose-gc it includes garbage not yet collected)'],
    };
  },
};

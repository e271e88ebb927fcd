/**
 * Many replicated volumes on one disk pair (issue 12, point 3): V DRBD protocol A volumes share a primary
 * array and a secondary array, each with its own application, through a simulated day of hourly load
 * changes and a backup on the secondary from 13:00 to 13:30 that fills every volume's buffers. A volume's
 * event computes again only the volumes that read what it moved (models/block/readings.ts); the number of
 * events must not grow faster than V for the run to stay linear.
 */
import { loadScenarioText } from '../src/scenario/load.ts';
import { runScenario } from '../src/run.ts';
import type { Benchmark, BenchmarkContext, BenchmarkOutput } from './registry.ts';

const SIZES = [25, 50, 100, 200] as const;

/** The scenario text for `volumes` volumes; their loads differ (so their buffers fill at different times). */
export function volumesScenario(volumes: number, spread = true): string {
  const resources: string[] = [];
  const workloads: string[] = [];
  const plan: string[] = [];
  // 400 requests/s in all by day, 80 by night, spread unevenly over the volumes (or evenly).
  const weight = (i: number) => (spread ? 0.5 + i / volumes : 1);
  const total = Array.from({ length: volumes }, (_, i) => weight(i)).reduce((a, b) => a + b, 0);
  for (let i = 0; i < volumes; i++) {
    const day = ((400 * weight(i)) / total).toFixed(3);
    resources.push(`    v${i}: { size: 20GiB, primary: { host: p, disk: pa }, secondary: { host: s, disk: sa }, connected: true, drbd: { version: 8.4, net: { protocol: A, sndbuf-size: 2MiB } } }`);
    workloads.push(`    w${i}: { resource: v${i}, iops: ${day}/s, reads: 70%, random: 90%, size: 16KiB }`);
  }
  for (let h = 1; h < 24; h++) {
    const f = h >= 8 && h < 20 ? 1 : 0.2;
    for (let i = 0; i < volumes; i++) plan.push(`  - { at: +${h}h, io_workload: { workload: w${i}, iops: ${(((400 * weight(i)) / total) * f * (1 + 0.05 * Math.sin(h + (spread ? i : 0)))).toFixed(3)}/s } }`);
  }
  plan.push('  - { at: +13h, start_job: { name: backup, disk: sa, kind: backup, share: 80% } }', '  - { at: +13h30m, stop_job: { disk: sa, name: backup } }');
  plan.sort((a, b) => parseFloat(a.split('+')[1]!) - parseFloat(b.split('+')[1]!));
  return `name: ${volumes} volumes on one disk pair
start: 2015-05-18T00:00:00+09:00
duration: 24h
stall_threshold: 100ms
sites: [a, b]
links: [{ between: [a, b], bandwidth: 1Gbps, latency: 1ms }]
block:
  hosts: { p: { site: a }, s: { site: b } }
  disks:
    pa: { host: p, drive: { type: hdd, rpm: 7200, seek: 8.5ms, transfer: 150MB/s }, raid: { level: 10, members: 8 } }
    sa: { host: s, drive: { type: hdd, rpm: 7200, seek: 8.5ms, transfer: 150MB/s }, raid: { level: 10, members: 8 } }
  resources:
${resources.join('\n')}
  workloads:
${workloads.join('\n')}
plan:
${plan.join('\n')}
`;
}

export interface VolumesPoint {
  readonly loads: 'even' | 'uneven';
  readonly volumes: number;
  readonly events: number;
  readonly solved: number;
  /** CPU time of the run (user + system), the figure to compare on a shared machine; and wall time. */
  readonly cpuMs: number;
  readonly wallMs: number;
  readonly cpuMsPerVolume: number;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

export const blockVolumesBenchmark: Benchmark = {
  name: 'blockVolumes',
  title: 'Block replication: V volumes on one disk pair, a simulated day (CPU and wall time of the run, parsing excluded; median of 3 after a warm-up)',
  run(ctx: BenchmarkContext): BenchmarkOutput {
    const points: VolumesPoint[] = [];
    for (const loads of ['even', 'uneven'] as const) {
      for (const v of SIZES) {
        ctx.progress(`${v} volumes, ${loads} loads…`);
        const scenario = loadScenarioText(volumesScenario(v, loads === 'uneven'), `volumes-${v}.yaml`);
        runScenario(scenario);
        const cpu: number[] = [];
        const wall: number[] = [];
        let events = 0;
        let solved = 0;
        for (let i = 0; i < 3; i++) {
          const c0 = process.cpuUsage();
          const t0 = performance.now();
          const r = runScenario(scenario);
          wall.push(performance.now() - t0);
          const c = process.cpuUsage(c0);
          cpu.push((c.user + c.system) / 1000);
          events = r.report.stats.events;
          solved = r.world.block!.solver.solved;
        }
        const cpuMs = Math.round(median(cpu));
        points.push({ loads, volumes: v, events, solved, cpuMs, wallMs: Math.round(median(wall)), cpuMsPerVolume: Math.round((cpuMs / v) * 100) / 100 });
      }
    }
    const target = (loads: 'even' | 'uneven'): string => {
      const at = (v: number) => points.find((p) => p.loads === loads && p.volumes === v)!;
      const hundred = at(100);
      const growth = at(200).cpuMsPerVolume / at(25).cpuMsPerVolume;
      return `${loads}: 100 volumes took ${(hundred.cpuMs / 1000).toFixed(2)} s of CPU (${(hundred.wallMs / 1000).toFixed(2)} s wall): ${hundred.cpuMs < 2000 ? 'under' : 'OVER'} the 2 s target; CPU per volume at 200 volumes is ${growth.toFixed(2)} times that at 25 (linear: 1)`;
    };
    return {
      sections: { blockVolumes: points },
      table: {
        header: ['loads', 'volumes', 'events', 'disk solves', 'CPU ms', 'wall ms', 'CPU ms per volume'],
        rows: points.map((p) => [p.loads, String(p.volumes), String(p.events), String(p.solved), String(p.cpuMs), String(p.wallMs), p.cpuMsPerVolume.toFixed(2)]),
      },
      notes: [
        'target (issue 12): 100 volumes on one disk pair for a simulated day in under 2 s, the cost linear in volumes. CPU time is the figure on a shared machine; wall time counts the time other processes took.',
        target('even'),
        target('uneven'),
        'even: every volume has the same load, so their buffers fill and drain at the same instants: the reflows do not multiply with V.',
        "uneven: each volume fills and drains at its own instant. A drain moves only its own flow (a volume reads of the shared disks only its own streams, models/block/readings.ts); a backlog reaching queue_depth lowers the primary array's load and so the wait of every volume on it, whose latencies the report then records anew: that part of the work follows the output (test/models/block/cost.test.ts).",
      ],
    };
  },
};

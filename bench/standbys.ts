/**
 * Per-event cost against the number of standbys (issue 9): one primary streaming to N standbys over two sites,
 * each standby restarted once an hour at its own minute, checkpoints every five minutes, a day of simulated
 * time. Every standby does the same, so the events grow with N and their mix does not: the wall time per event
 * should not. The simulation alone is timed (the YAML parse and the report are not); the two sizes run in turn,
 * several times, and the best and the median of each count (the machine is shared).
 */
import { World } from '../src/models/world.ts';
import { DEFAULT_LIMITS } from '../src/run.ts';
import { loadScenarioText } from '../src/scenario/load.ts';
import type { Scenario } from '../src/scenario/types.ts';
import type { Benchmark, BenchmarkContext, BenchmarkOutput } from './registry.ts';

export const STANDBY_COUNTS: readonly number[] = [50, 500];
const HOURS = 24;
const ROUNDS = 5;

/** The scenario as a user would write it. */
export function standbysScenario(n: number, hours = HOURS): string {
  const lines = [
    `name: standbys-${n}`,
    'start: 2024-01-01T00:00:00Z',
    `duration: ${hours * 3600}s`,
    'sites: {a: {}, b: {}}',
    'links:',
    '  - {between: [a, b], bandwidth: 10Gbps, latency: 5ms}',
    'clusters:',
    '  main:',
    '    nodes:',
    // wal_keep_size keeps the restarts' segments whatever the checkpoints do (retention is not what is measured).
    '      p: {site: a, version: 16, role: primary, settings: {wal_keep_size: 4GB}}',
  ];
  for (let i = 0; i < n; i++) lines.push(`      s${i}: {site: ${i % 2 ? 'a' : 'b'}, version: 16, upstream: p}`);
  lines.push('    workload: {target: p, site: a, rate: 1000/s, wal_per_tx: 2KiB}', 'plan:');
  for (let h = 0; h < hours; h++) {
    for (let i = 0; i < n; i++) lines.push(`  - {at: "+${h * 3600 + 30 + Math.floor((i * 3540) / n)}s", restart: s${i}}`);
  }
  return `${lines.join('\n')}\n`;
}

/**
 * The simulation of one run: milliseconds of CPU time (user + system: the machine is shared, and CPU time is
 * what other processes do not inflate) and events.
 */
export function timeRun(scenario: Scenario): { ms: number; events: number } {
  const world = new World(scenario);
  world.start();
  const t0 = process.cpuUsage();
  world.ctx.sim.run(scenario.end, DEFAULT_LIMITS);
  const t = process.cpuUsage(t0);
  return { ms: (t.user + t.system) / 1000, events: world.ctx.sim.eventsProcessed };
}

export interface StandbysPoint {
  readonly standbys: number;
  readonly events: number;
  /** Microseconds per event: the best round and the median round. */
  readonly bestUs: number;
  readonly medianUs: number;
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

export const standbysBenchmark: Benchmark = {
  name: 'standbys',
  title: `Per-event cost against the number of standbys (a day, each standby restarted hourly; CPU time, best and median of ${ROUNDS} rounds)`,
  run(ctx: BenchmarkContext): BenchmarkOutput {
    const scenarios = STANDBY_COUNTS.map((n) => {
      ctx.progress(`standbys: loading ${n}…`);
      return loadScenarioText(standbysScenario(n), `<standbys-${n}>`);
    });
    for (const s of scenarios) timeRun(s); // warm-up
    const us = STANDBY_COUNTS.map(() => [] as number[]);
    const events = STANDBY_COUNTS.map(() => 0);
    for (let r = 0; r < ROUNDS; r++) {
      scenarios.forEach((s, i) => {
        ctx.progress(`standbys: round ${r + 1}, ${STANDBY_COUNTS[i]} standbys…`);
        const t = timeRun(s);
        us[i]!.push((t.ms * 1000) / t.events);
        events[i] = t.events;
      });
    }
    const points: StandbysPoint[] = STANDBY_COUNTS.map((n, i) => ({
      standbys: n,
      events: events[i]!,
      bestUs: Math.round(Math.min(...us[i]!) * 10) / 10,
      medianUs: Math.round(median(us[i]!) * 10) / 10,
    }));
    const first = points[0]!;
    return {
      sections: { standbys: points },
      table: {
        header: ['standbys', 'events', 'best µs/event', 'median µs/event', 'best vs first'],
        rows: points.map((p) => [String(p.standbys), String(p.events), p.bestUs.toFixed(1), p.medianUs.toFixed(1), `${(p.bestUs / first.bestUs).toFixed(2)}x`]),
      },
      notes: ['goal: per-event cost of 500 standbys within 1.5x of 50 (issue 9)'],
    };
  },
};

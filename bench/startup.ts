/**
 * Start-up of the command line as a whole process, as a user types it: `replsim --version` and
 * `replsim run scenarios/mackerel-2017.yaml --json`, each against `node -e 0` measured in the same run
 * (rounds interleaved, so a slow phase of a shared machine hits all three alike). The figure is the median
 * wall time and its ratio to node's own; goal (issue 15): at most 5x, under 0.2 s and 0.4 s.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import type { Benchmark, BenchmarkContext, BenchmarkOutput } from './registry.ts';

const ROUNDS = 15;

interface Command {
  readonly name: string;
  readonly args: readonly string[];
  /** Goal in seconds (issue 15), if any. */
  readonly goal: number | null;
}

const COMMANDS: readonly Command[] = [
  { name: 'node -e 0', args: ['-e', '0'], goal: null },
  { name: 'replsim --version', args: ['bin/replsim.mjs', '--version'], goal: 0.2 },
  { name: 'replsim run scenarios/mackerel-2017.yaml --json', args: ['bin/replsim.mjs', 'run', 'scenarios/mackerel-2017.yaml', '--json'], goal: 0.4 },
];

export interface StartupPoint {
  readonly command: string;
  readonly medianMs: number;
  readonly bestMs: number;
  /** Median over node -e 0's median. */
  readonly ratio: number;
  readonly goalMs: number | null;
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function time(args: readonly string[]): number {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  const ms = performance.now() - t0;
  if (r.status !== 0) throw new Error(`node ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return ms;
}

export const startupBenchmark: Benchmark = {
  name: 'startup',
  title: `Start-up of the command line, whole process (median of ${ROUNDS} interleaved rounds; ratio to node -e 0 in the same run)`,
  run(ctx: BenchmarkContext): BenchmarkOutput {
    ctx.progress('startup: building the command line (scripts/build.mjs cli)…');
    execFileSync(process.execPath, ['scripts/build.mjs', 'cli'], { stdio: 'inherit', env: { ...process.env, REPLSIM_BUILD_QUIET: '1' } });
    const times = COMMANDS.map(() => [] as number[]);
    for (const c of COMMANDS) time(c.args); // warm the file cache
    for (let round = 0; round < ROUNDS; round++) COMMANDS.forEach((c, i) => times[i]!.push(time(c.args)));
    const base = median(times[0]!);
    const points: StartupPoint[] = COMMANDS.map((c, i) => ({
      command: c.name,
      medianMs: Math.round(median(times[i]!)),
      bestMs: Math.round(Math.min(...times[i]!)),
      ratio: Math.round((median(times[i]!) / base) * 100) / 100,
      goalMs: c.goal === null ? null : c.goal * 1000,
    }));
    return {
      sections: { startup: points },
      table: {
        header: ['command', 'median ms', 'best ms', 'ratio to node -e 0', 'goal'],
        rows: points.map((p) => [p.command, String(p.medianMs), String(p.bestMs), `${p.ratio.toFixed(2)}x`, p.goalMs === null ? '' : `< ${p.goalMs} ms, <= 5x`]),
      },
      notes: ['Wall times move with the machine\'s load; the ratio to node -e 0 in the same run is the figure to compare.'],
    };
  },
};

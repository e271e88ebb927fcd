/** Running the real command line as a user would (no TTY: no colours, no progress bar). */
import { spawnSync } from 'node:child_process';

export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly ms: number;
}

export function replsim(args: readonly string[], opts: { input?: string; env?: NodeJS.ProcessEnv; timeout?: number } = {}): CliResult {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, ['bin/replsim.mjs', ...args], {
    encoding: 'utf8',
    timeout: opts.timeout ?? 60_000,
    input: opts.input,
    env: { ...process.env, ...opts.env },
    maxBuffer: 64 * 1024 * 1024,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, ms: performance.now() - t0 };
}

/** Runs `script` with bash (for pipes), returning every exit status of the pipeline. */
export function shell(script: string): { stdout: string; stderr: string; statuses: number[] } {
  const r = spawnSync('bash', ['-c', `${script}; echo "statuses \${PIPESTATUS[*]}" >&2`], { encoding: 'utf8', timeout: 60_000 });
  const m = /statuses ([\d ]+)\n?$/.exec(r.stderr);
  return { stdout: r.stdout, stderr: r.stderr.replace(/statuses [\d ]+\n?$/, ''), statuses: (m?.[1] ?? '').trim().split(' ').map(Number) };
}

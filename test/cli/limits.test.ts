/** Run limits: a run that needs more events or wall-clock time stops with a message naming the limit and how to raise it. */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { SimulationLimitError } from '../../src/engine/simulation.ts';
import { runScenario } from '../../src/run.ts';
import { mackerel } from '../support/builder.ts';

function replsim(...args: string[]) {
  const r = spawnSync(process.execPath, ['bin/replsim.mjs', ...args], { encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('run limits', () => {
  it('runScenario stops with a SimulationLimitError naming the limit', () => {
    expect(() => runScenario(mackerel(), { limits: { maxEvents: 100, maxWallSeconds: 600 } })).toThrow(SimulationLimitError);
    try {
      runScenario(mackerel(), { limits: { maxEvents: 100, maxWallSeconds: 600 } });
    } catch (e) {
      expect((e as SimulationLimitError).limit).toBe('maxEvents');
      expect((e as Error).message).toMatch(/more than 100 events .* raise it with --max-events/);
    }
  });

  it('--max-events: exit code 3 and one line saying how to raise it', () => {
    const r = replsim('run', 'scenarios/mackerel-2017.yaml', '--max-events', '100');
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/^replsim: run stopped: the run needed more than 100 events \(stopped at simulated \+\d+\.\d+ s\); raise it with --max-events\n$/);
    expect(r.stdout).toBe('');
  });

  it('--max-wall-seconds: exit code 3 and one line saying how to raise it', () => {
    // The wall clock is read every 1024 events: a scenario of many more (a simulated year of checkpoints).
    const r = replsim('run', 'scenarios/go-xid-wraparound.yaml', '--max-wall-seconds', '0');
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/the run took more than 0 s of wall-clock time .*; raise it with --max-wall-seconds/);
  });

  // Issue 15: a fluid level approaching its threshold stepped one microsecond at a time inside one event.
  it('a slow XID rate on the wraparound scenario stops at --max-events instead of hanging', () => {
    const started = Date.now();
    const r = replsim('run', 'scenarios/go-xid-wraparound.yaml', '--set', 'clusters.app.workload.rate=0.2/s', '--max-wall-seconds', '5', '--max-events', '1000');
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/more than 1000 events/);
  });
});

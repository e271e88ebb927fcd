import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

/** Runs the real command line, as a user would (no TTY: no colours, no progress bar). */
function replsim(...args: string[]) {
  const r = spawnSync(process.execPath, ['bin/replsim.mjs', ...args], { encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('replsim command line', () => {
  it('run prints the loss, its explanation and the expectations in plain text', () => {
    const r = replsim('run', 'scenarios/mackerel-2017.yaml');
    expect(r.code).toBe(0);
    // The report is wrapped to 100 columns: compare with the line breaks as spaces.
    expect(r.stdout.replace(/\n\s+/g, ' ')).toContain('717,000 commits lost in mackerel: acknowledged by db001 on timeline 16 from 14:30:15.005 to 15:30:00');
    expect(r.stdout).toContain("recovery_target_timeline = 'current' (the 9.3 default)");
    expect(r.stdout).toContain('walreceiver LOG:  replication terminated by primary server');
    expect(r.stdout).toMatch(/PASS the updates of 14:30-15:30/);
    expect(r.stdout).not.toContain('\x1b[');
  });

  it('--json prints the documented report, times with the zone offset', () => {
    const r = replsim('run', 'scenarios/mackerel-2017.yaml', '--json', '--set', 'faults.db001-lost.at=15:00');
    expect(r.code).toBe(1); // the scenario's own expectation names 15:30
    const report = JSON.parse(r.stdout);
    for (const k of ['scenario', 'variant', 'seed', 'start', 'end', 'dataLoss', 'stalls', 'outages', 'events', 'expectations']) expect(report).toHaveProperty(k);
    expect(report.dataLoss[0]).toMatchObject({ cluster: 'mackerel', timeline: 16, to: '2017-08-07T15:00:00+09:00', recoverableByPitr: false });
    expect(report.events[0].at).toMatch(/\+09:00$/);
    expect(report.expectations.some((e: { passed: boolean }) => !e.passed)).toBe(true);
  });

  it('an expectation that fails makes the exit code 1', () => {
    expect(replsim('run', 'scenarios/mackerel-2017.yaml', '--set', 'faults.db001-lost.at=15:00').code).toBe(1);
  });

  it('a wrong scenario gives one line with file:line:column and exit code 2, no stack trace', () => {
    const dir = mkdtempSync(join(tmpdir(), 'replsim-'));
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, 'name: x\nstart: 2024-01-01T00:00:00Z\nduration: 1h\nsites: {a: {}}\nclusters:\n  c:\n    nodes:\n      p: {site: a, version: 15, setings: {}}\n');
    const r = replsim('run', file);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:8:\\d+: .*setings.*did you mean "settings"`));
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('a missing file and an unknown variant are bad input too', () => {
    expect(replsim('run', 'scenarios/nope.yaml').code).toBe(2);
    const r = replsim('run', 'scenarios/mackerel-2017.yaml', '--variant', 'latest-timelin');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('latest-timeline');
  });

  it('a bad number option is a usage error naming the option and what was typed (exit code 2)', () => {
    for (const [args, message] of [
      [['--seed', 'abc'], 'replsim: --seed: "abc" is not an integer >= 0'],
      [['--seed', '1.5'], 'replsim: --seed: "1.5" is not an integer >= 0'],
      [['--max-events', '-5'], 'replsim: --max-events: "-5" is not a whole number >= 0'],
      [['--max-wall-seconds', 'soon'], 'replsim: --max-wall-seconds: "soon" is not a number of seconds >= 0'],
    ] as const) {
      const r = replsim('run', 'scenarios/split-brain.yaml', ...args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr.split('\n')[0]).toBe(message);
    }
    const seeded = JSON.parse(replsim('run', 'scenarios/split-brain.yaml', '--json', '--seed', '7').stdout);
    expect(seeded.seed).toBe(7);
  });

  it('--help teaches with examples; validate checks every variant', () => {
    const h = replsim('--help');
    expect(h.code).toBe(0);
    expect(h.stdout).toContain('Examples:');
    expect(h.stdout).toContain('latest-timeline');
    const vh = replsim('validate', '--help');
    expect(vh.stdout).toMatch(/file +Scenario YAML file/);
    expect(vh.stdout).toMatch(/--set PATH=VALUE +Override a value/);
    expect(vh.stdout).toMatch(/--json +Print the result/);
    const v = replsim('validate', 'scenarios/mackerel-2017.yaml');
    expect(v.code).toBe(0);
    // Wrapped within 100 columns like every listing: compare the words, not the line breaks.
    const said = v.stdout.replace(/\s+/g, ' ');
    expect(said).toContain('variants: latest-timeline, lag-only (all valid)');
    expect(said).toContain('1 cluster, 3 nodes, 5 timed actions, 2 expectations');
    for (const l of v.stdout.split('\n')) expect(Buffer.byteLength(l)).toBeLessThanOrEqual(100);
    const ex = replsim('examples');
    expect(ex.code).toBe(0);
    for (const l of ex.stdout.split('\n')) expect(Buffer.byteLength(l), l).toBeLessThanOrEqual(100);
  });

  it('--check-determinism runs twice and reports identical fingerprints', () => {
    const r = replsim('run', 'scenarios/split-brain.yaml', '--check-determinism', '--json');
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/deterministic: two runs gave identical reports/);
  });
});

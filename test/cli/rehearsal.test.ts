import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

/** The real command line, as a user runs it (no TTY). */
function replsim(...args: string[]) {
  const r = spawnSync(process.execPath, ['bin/replsim.mjs', ...args], { encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('the rehearsal commands', () => {
  it('variants lists the variants; run --variant says what the variant changes; two --variant is a usage error', () => {
    const v = replsim('variants', 'scenarios/mackerel-2017.yaml');
    expect(v.code).toBe(0);
    expect(v.stdout).toMatch(/lag-only +A manager applying Patroni's lag rule/);
    const r = replsim('run', 'scenarios/mackerel-2017.yaml', '--variant', 'latest-timeline');
    expect(r.stdout.split('\n')[0]).toMatch(/^variant latest-timeline: The remediation/);
    const two = replsim('run', 'scenarios/mackerel-2017.yaml', '--variant', 'a', '--variant', 'b');
    expect(two.code).toBe(2);
    expect(two.stderr).toContain('replsim compare scenarios/mackerel-2017.yaml --variant a --variant b');
  });

  it('compare --json prints a row per run; a failed expectation exits 1; --html writes the page', () => {
    const dir = mkdtempSync(join(tmpdir(), 'replsim-compare-'));
    const html = join(dir, 'c.html');
    const r = replsim('compare', 'scenarios/mackerel-2017.yaml', 'scenarios/wal-keep-size.yaml', '--variant', 'lag-only', '--json', '--html', html);
    expect(r.code).toBe(0);
    const rows = JSON.parse(r.stdout).rows as { file: string; variant: string | null }[];
    expect(rows.map((x) => `${x.file.replace('scenarios/', '')} ${x.variant}`)).toEqual(['mackerel-2017.yaml null', 'mackerel-2017.yaml lag-only', 'wal-keep-size.yaml null']);
    expect(readFileSync(html, 'utf8')).toContain('<h2>The runs on one time axis</h2>');
    const failing = replsim('compare', 'scenarios/mackerel-2017.yaml', '--variant', 'lag-only', '--set', 'faults.db001-lost.at=15:00');
    expect(failing.code).toBe(1);
    expect(failing.stdout).toMatch(/FAIL the updates of 14:30-15:30/);
    expect(replsim('compare', 'scenarios/mackerel-2017.yaml', '--html', 'x.svg').code).toBe(2);
  });

  it('lint: findings with file:line:column, exit 1 on an error, --json; run is headed by them; --config on real files', () => {
    const r = replsim('lint', 'scenarios/mackerel-2017.yaml');
    expect(r.code).toBe(1);
    expect(r.stdout.replace(/\n {4}(?!source)/g, ' ')).toMatch(/^scenarios\/mackerel-2017\.yaml:33:14: error \[cascade-stays-on-old-timeline\] db002 does not follow db001's promotion/m);
    expect(r.stdout).toMatch(/^    source: PostgreSQL recovery_target_timeline/m);
    const json = JSON.parse(replsim('lint', 'scenarios/mackerel-2017.yaml', '--variant', 'latest-timeline', '--json').stdout);
    expect(json.errors).toBe(0);
    const run = replsim('run', 'scenarios/wal-keep-size.yaml');
    expect(run.stdout.split('\n').slice(0, 3).join('\n')).toMatch(/^Lint \(before the run; replsim lint scenarios\/wal-keep-size\.yaml for the reasons\):\n  scenarios\/wal-keep-size\.yaml:27:5: error \[standby-lag-beyond-retention\]/);
    for (const line of run.stdout.split('\n')) expect(Buffer.byteLength(line)).toBeLessThanOrEqual(100);
    const cfg = replsim('lint', '--config', 'test/fixtures/config/pg93/db001', 'test/fixtures/config/pg93/db002');
    expect(cfg.code).toBe(1);
    expect(cfg.stdout).toContain('test/fixtures/config/pg93/db002/recovery.conf:1:1: error [cascade-stays-on-old-timeline]');
    // Three data directories, as a shell glob (--config pg11/*) gives them.
    const three = replsim('lint', '--config', 'test/fixtures/config/pg11/primary', 'test/fixtures/config/pg11/standby1', 'test/fixtures/config/pg11/standby2');
    expect(three.code).toBe(1);
    expect(three.stdout).toContain('test/fixtures/config/pg11/standby2/recovery.conf:1:1: error [cascade-stays-on-old-timeline]');
    const two = replsim('lint', 'scenarios/mackerel-2017.yaml', 'scenarios/split-brain.yaml');
    expect(two.code).toBe(2);
    expect(two.stderr).toContain('lint takes one scenario file, not 2');
    const bad = replsim('lint', '--config', 'scenarios/mackerel-2017.yaml');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('not a Patroni configuration');
  });

  it('sweep --json: runs and per outcome a probability with its interval; shards merged equal the single sweep', () => {
    const dir = mkdtempSync(join(tmpdir(), 'replsim-sweep-'));
    const args = ['scenarios/mackerel-2017.yaml', '--runs', '12', '--seed', '3', '--vary', 'faults.db001-lost.at=uniform(14:40,15:50)', '--workers', '2'];
    const whole = replsim('sweep', ...args, '--json', '--jsonl', join(dir, 'rows.jsonl'));
    expect(whole.code).toBe(0);
    expect(whole.stderr).toBe('');
    const summary = JSON.parse(whole.stdout);
    expect(summary.runs).toBe(12);
    expect(summary.verdicts['data-loss']).toEqual({ count: 12, probability: 1, ci95: [expect.any(Number), 1] });
    expect(readFileSync(join(dir, 'rows.jsonl'), 'utf8').trim().split('\n')).toHaveLength(12);
    for (const k of [1, 2]) expect(replsim('sweep', ...args.slice(0, -2), '--workers', '1', '--shard', `${k}/2`, '--out', join(dir, `s${k}.json`)).code).toBe(0);
    const merged = replsim('merge', join(dir, 's1.json'), join(dir, 's2.json'), '--json');
    expect(merged.code).toBe(0);
    expect(merged.stdout).toBe(whole.stdout);
    expect(replsim('merge', join(dir, 's1.json')).code).toBe(2);
    const text = replsim('sweep', ...args.slice(0, 5), '--runs', '4');
    expect(text.stdout).toMatch(/^data-loss +4 +100% +51% to 100%$/m);
    expect(replsim('sweep', 'scenarios/mackerel-2017.yaml', '--vary', 'x=uniform(2,1)').code).toBe(2);
  });

  it('hunt: exit 1 with the minimal schedule as a variant when it finds one, 0 when the search ends without', () => {
    const found = replsim('hunt', 'scenarios/switchover-runbook.yaml', '--runs', '30', '--seed', '4');
    expect(found.code).toBe(1);
    expect(found.stdout).toMatch(/^ {2}hunt-found:$/m);
    expect(found.stdout).toMatch(/^ {8}- \{at: "10:\d\d:\d\d", name: hunt-1, /m);
    const none = replsim('hunt', 'scenarios/switchover-runbook.yaml', '--variant', 'synchronous', '--runs', '10', '--json');
    expect(none.code).toBe(0);
    expect(JSON.parse(none.stdout)).toMatchObject({ found: false, runs: 10 });
    const noHunt = replsim('hunt', 'scenarios/mackerel-2017.yaml');
    expect(noHunt.code).toBe(2);
    expect(noHunt.stderr).toContain('declares no hunt: section');
  });
});

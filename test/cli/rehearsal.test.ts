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
    expect(v.stdout).toMatch(/patroni +A Patroni-like manager refuses db002/);
    const r = replsim('run', 'scenarios/mackerel-2017.yaml', '--variant', 'latest-timeline');
    expect(r.stdout.split('\n')[0]).toMatch(/^variant latest-timeline: The remediation/);
    const two = replsim('run', 'scenarios/mackerel-2017.yaml', '--variant', 'a', '--variant', 'b');
    expect(two.code).toBe(2);
    expect(two.stderr).toContain('replsim compare scenarios/mackerel-2017.yaml --variant a --variant b');
  });

  it('compare --json prints a row per run; a failed expectation exits 1; --html writes the page', () => {
    const dir = mkdtempSync(join(tmpdir(), 'replsim-compare-'));
    const html = join(dir, 'c.html');
    const r = replsim('compare', 'scenarios/mackerel-2017.yaml', 'scenarios/wal-keep-size.yaml', '--variant', 'patroni', '--json', '--html', html);
    expect(r.code).toBe(0);
    const rows = JSON.parse(r.stdout).rows as { file: string; variant: string | null }[];
    expect(rows.map((x) => `${x.file.replace('scenarios/', '')} ${x.variant}`)).toEqual(['mackerel-2017.yaml null', 'mackerel-2017.yaml patroni', 'wal-keep-size.yaml null']);
    expect(readFileSync(html, 'utf8')).toContain('<h2>The runs on one time axis</h2>');
    const failing = replsim('compare', 'scenarios/mackerel-2017.yaml', '--variant', 'patroni', '--set', 'faults.db001-lost.at=15:00');
    expect(failing.code).toBe(1);
    expect(failing.stdout).toMatch(/FAIL the updates of 14:30-15:30/);
    expect(replsim('compare', 'scenarios/mackerel-2017.yaml', '--html', 'x.svg').code).toBe(2);
  });
});

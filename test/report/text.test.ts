import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useColor } from '../../src/cli/main.ts';
import { collapseCycles } from '../../src/report/collapse.ts';
import { renderText } from '../../src/report/text.ts';
import { ReportClock } from '../../src/report/time.ts';
import type { EventJson, Report } from '../../src/report/types.ts';
import { runScenario } from '../../src/run.ts';
import { mackerel } from '../support/builder.ts';

const base = runScenario(mackerel()).report;
const iso = (s: number) => new Date(Date.parse('2017-08-07T05:00:00Z') + s * 1000).toISOString().replace('Z', '+00:00');

function ev(at: number, node: string, message: string, log: string[] = []): EventJson {
  return { at: iso(at), cluster: 'c', node, kind: 'replication', message, fact: { kind: 'prose', text: message }, log };
}

/** Two messages of db002 in turn every 5 s for about 3.5 hours (2,486 events), with another node's events between. */
function alternating(): EventJson[] {
  const list: EventJson[] = [];
  for (let k = 0; k < 1243; k++) {
    list.push(ev(10 + k * 5, 'db002', 'db001 ended streaming of timeline 15 at its switchpoint', ['walreceiver LOG:  replication terminated by primary server']));
    list.push(ev(12 + k * 5, 'db002', 'db001 is unreachable from db002'));
    if (k % 400 === 0) list.push(ev(13 + k * 5, 'db001', `checkpoint ${k}`));
  }
  return list;
}

describe('repeated messages', () => {
  it('a cycle of two alternating messages is one item with counts and the period', () => {
    const events = alternating();
    const clock = new ReportClock({ start: iso(0), timezone: 'UTC' });
    const items = collapseCycles(events, (s) => clock.us(s));
    expect(items).toHaveLength(1 + 4);
    const cycle = items.find((i) => i.kind === 'cycle');
    expect(cycle).toMatchObject({ kind: 'cycle', turns: 1243, events: 2486, period: 5, regular: true, last: iso(12 + 1242 * 5) });
    expect(cycle!.kind === 'cycle' && cycle!.pattern.map((e) => e.message)).toEqual(['db001 ended streaming of timeline 15 at its switchpoint', 'db001 is unreachable from db002']);
    // The other node's events stay, in time order.
    expect(items.filter((i) => i.kind === 'event').map((i) => i.kind === 'event' && i.event.message)).toEqual(['checkpoint 0', 'checkpoint 400', 'checkpoint 800', 'checkpoint 1200']);
  });

  it('the text report shows a handful of lines, not 2,486', () => {
    const report: Report = { ...base, start: iso(0), end: iso(6300), timezone: 'UTC', events: alternating() };
    const text = renderText(report);
    const log = text.slice(text.indexOf('What happened'), text.indexOf('Data loss')).trim().split('\n');
    expect(log.length).toBeLessThan(15);
    expect(text).toContain('2 messages in turn, 1,243 times, every 5 s, the last at 06:43:42');
    expect(text).toContain('1) db001 ended streaming of timeline 15 at its switchpoint');
    expect(text).toContain('| walreceiver LOG:  replication terminated by primary server');
    expect(text).toContain('2) db001 is unreachable from db002');
    // --verbose shows every event.
    expect(renderText(report, { verbose: true }).split('\n').length).toBeGreaterThan(2486);
  });

  it('an event repeated once reads "twice, N apart", not "2 times, every N"', () => {
    const once = { ...ev(60, 'db002', 'db002 is now a synchronous standby of db001'), repeated: { count: 2, last: iso(480) } };
    const text = renderText({ ...base, start: iso(0), end: iso(600), timezone: 'UTC', events: [once] });
    expect(text.replace(/\s+/g, ' ')).toContain('db002 is now a synchronous standby of db001 (twice, 7 min apart, the second at 05:08:00)');
    expect(text).not.toContain('2 times');
  });

  it('too few turns, or a cycle broken by a third message, are not folded', () => {
    const clock = new ReportClock({ start: iso(0), timezone: 'UTC' });
    const two = [ev(1, 'a', 'x'), ev(2, 'a', 'y'), ev(3, 'a', 'x'), ev(4, 'a', 'y')];
    expect(collapseCycles(two, (s) => clock.us(s)).every((i) => i.kind === 'event')).toBe(true);
    const broken = [ev(1, 'a', 'x'), ev(2, 'a', 'y'), ev(3, 'a', 'x'), ev(4, 'a', 'z'), ev(5, 'a', 'x'), ev(6, 'a', 'y')];
    expect(collapseCycles(broken, (s) => clock.us(s))).toHaveLength(6);
    // Period 3.
    const three = Array.from({ length: 12 }, (_, k) => ev(k, 'a', ['x', 'y', 'z'][k % 3]!));
    expect(collapseCycles(three, (s) => clock.us(s))).toMatchObject([{ kind: 'cycle', turns: 4 }]);
  });
});

describe('the text report', () => {
  const text = renderText(base);

  it('starts with the verdicts', () => {
    const lines = text.split('\n');
    expect(lines.slice(0, 12).join('\n')).toContain(
      [
        'Summary',
        '  Data loss    717,000 acknowledged commits lost in main, acknowledged by db001 on timeline 16 from',
        '               14:30:15.005 to 15:30:00; PITR cannot bring them back.',
      ].join('\n'),
    );
    expect(text).toContain('times in Asia/Tokyo (UTC+9)');
    expect(text).toContain('1.4 GiB of WAL');
    expect(text).not.toMatch(/1468416000|717000\b/);
  });

  it('colours only when asked', () => {
    expect(text).not.toContain('\x1b');
    const coloured = renderText(base, { color: true });
    expect(coloured).toContain('\x1b[1mSummary\x1b[0m');
    expect(coloured.replace(/\x1b\[\d+m/g, '')).toBe(text);
    expect(useColor(undefined, true, {})).toBe(true);
    expect(useColor(undefined, false, {})).toBe(false);
    expect(useColor(undefined, true, { NO_COLOR: '1' })).toBe(false);
    expect(useColor(undefined, true, { NO_COLOR: '' })).toBe(true);
    expect(useColor(false, true, {})).toBe(false);
    expect(useColor(true, false, { NO_COLOR: '1' })).toBe(true);
  });

  it('wraps to the width asked for', () => {
    for (const width of [60, 80, 132]) {
      const lines = renderText(base, { width }).split('\n');
      expect(lines.filter((l) => Buffer.byteLength(l) > width)).toEqual([]);
    }
  });

  it('shows markup and control characters from the scenario as text, never as terminal commands', () => {
    const evil = '\x1b[2J\x1b]0;pwned\x07<b>x</b>\u009b31m';
    const r: Report = { ...base, scenario: evil, variant: evil, description: `line one\n${evil}` };
    const out = renderText(r, { color: false });
    expect(out).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/);
    expect(out).toContain('␛[2J␛]0;pwned␇<b>x</b>⍰31m');
  });
});

describe('replsim run: colour and output names', () => {
  const run = (args: string[], env: Record<string, string> = {}) => {
    const r = spawnSync(process.execPath, ['bin/replsim.mjs', 'run', 'scenarios/split-brain.yaml', ...args], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, ...env } });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  };

  it('--no-color and NO_COLOR give plain text; --color forces colour', () => {
    const plain = run(['--no-color']);
    expect(plain.code).toBe(0);
    expect(plain.stdout).not.toContain('\x1b[');
    expect(run([], { NO_COLOR: '1' }).stdout).toBe(plain.stdout);
    expect(run(['--color']).stdout).toContain('\x1b[1mSummary');
  });

  it('--chart refuses a name that is not .svg (exit 2, nothing run)', () => {
    const r = run(['--chart', 'out.png']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.split('\n')[0]).toBe('replsim: --chart: "out.png" does not end in .svg; replsim writes SVG only (did you mean "out.svg"?)');
    const h = run(['--html', 'report.htm']);
    expect(h.code).toBe(2);
    expect(h.stderr.split('\n')[0]).toBe('replsim: --html: "report.htm" does not end in .html; replsim writes HTML only (did you mean "report.html"?)');
  });

  it('--html writes the page and says so', () => {
    const dir = mkdtempSync(join(tmpdir(), 'replsim-html-'));
    const file = join(dir, 'split.html');
    const r = run(['--html', file]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(`replsim: HTML report written to ${file}`);
    expect(readFileSync(file, 'utf8')).toMatch(/^<!DOCTYPE html>\n<html lang="en">/);
    expect(r.stdout).toContain('Summary');
  });
});

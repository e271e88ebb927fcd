/**
 * Every shipped scenario and variant, rendered as a person would read it: the text report fits 100 columns
 * (as `NO_COLOR=1 replsim run FILE | awk 'length > 100'` counts: bytes), numbers are written for people, the
 * summary comes first and the time column holds when dates appear.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MARKER_ROWS, renderChartSvg } from '../../src/report/chart.ts';
import { renderHtml } from '../../src/report/html/page.ts';
import { renderText } from '../../src/report/text.ts';
import { runScenario, SELF_CHECK_ENV } from '../../src/run.ts';
import { listVariants, loadScenarioFile } from '../../src/scenario/load.ts';
import { all, parseXml, textOf } from '../support/xml.ts';

// test/scenarios/shipped.test.ts already runs every one twice and compares: once is enough here.
delete process.env[SELF_CHECK_ENV];

const dir = 'scenarios';
const runs = readdirSync(dir)
  .filter((f) => f.endsWith('.yaml'))
  .sort()
  .flatMap((f) => {
    const path = join(dir, f);
    return [null, ...listVariants(readFileSync(path, 'utf8'), path).map((v) => v.name)].map((variant) => ({ path, variant, label: `${f}${variant ? ` --variant ${variant}` : ''}` }));
  });

describe.each(runs)('$label', ({ path, variant }) => {
  const result = runScenario(loadScenarioFile(path, { variant }));
  const text = renderText(result.report, { width: 100 });
  const lines = text.split('\n');

  it('text: every line fits 100 columns (UTF-8 bytes), no colour codes', () => {
    expect(lines.filter((l) => Buffer.byteLength(l) > 100)).toEqual([]);
    expect(text).not.toContain('\x1b');
  });

  it('text: the summary first; numbers for people; the time column holds', () => {
    expect(lines.indexOf('Summary')).toBeGreaterThan(0);
    expect(lines.indexOf('Summary')).toBeLessThan(lines.indexOf('What happened'));
    // The report's own prose (not the servers' log lines, not the models' event messages nor the names the
    // scenario loader gives expectations: docs/report.md, "Facts as data"): no raw byte counts or long
    // unseparated integers (a WAL file name has 24 digits), no float noise.
    const log = lines.slice(lines.indexOf('What happened') + 1, lines.indexOf('Data loss'));
    const expectations = lines.slice(lines.indexOf('Expectations'));
    const prose = lines.filter((l) => !/^\s*\| /.test(l) && !log.includes(l) && !expectations.includes(l));
    expect(prose.filter((l) => /(?<![\w/.:-])\d{5,23}(?![\w/])/.test(l))).toEqual([]);
    expect(prose.filter((l) => /\d\.\d{4,}/.test(l))).toEqual([]);
    // Seconds are written as seconds below a minute (21.8 s), never past it (6556.5 s in all).
    expect(text).not.toMatch(/\b([6-9]\d|\d{3,})(\.\d+)? s in all|bytes of WAL/);
    // Event lines start with the time in a column of their own; dates go in day headings.
    const starts = log.filter((l) => /^ {2}\S/.test(l));
    for (const l of starts) expect(l, l).toMatch(/^ {2}(\d\d:\d\d:\d\d(\.\d{3})? +\S|(Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday) \d{4}-\d\d-\d\d$|nothing notable)/);
    const events = starts.filter((l) => /^ {2}\d/.test(l));
    const T = Math.max(0, ...events.map((l) => /^ {2}(\S+)/.exec(l)![1]!.length));
    for (const l of events) expect(l.slice(2, 2 + T + 1), l).toMatch(/^\d\d:\d\d:\d\d(\.\d{3})? +$/);
  });

  it('chart: a well-formed SVG with a panel for each kind of data the run has, and nothing undefined', () => {
    const svg = renderChartSvg(result);
    const doc = parseXml(svg);
    expect(svg).not.toMatch(/NaN|undefined|Infinity/);
    const r = result.report;
    expect(all(doc, (e) => e.attrs.class === 'frame').length).toBe(r.nodes.length > 0 && (r.xid.length === 0 || r.nodes.length > 1 || r.dataLoss.length > 0) ? 1 : 0);
    expect(all(doc, (e) => e.attrs.class === 'frame-xid').length).toBe(r.xid.length > 0 ? 1 : 0);
    const titles = all(doc, (e) => e.attrs.class === 'panel-title').length;
    // One pg_wal and slot panel per PostgreSQL cluster (walStorage); it replaces the cluster's slot_lag / pg_wal_size lines.
    const storage = new Set((r.walStorage ?? []).map((w) => w.cluster));
    expect(all(doc, (e) => e.attrs.class === 'series-panel' && (e.attrs['data-panel'] ?? '').startsWith('storage:')).length).toBe(storage.size);
    expect(storage.size).toBe(new Set(r.nodes.map((n) => n.cluster)).size);
    const kinds = new Set((r.series ?? []).filter((s) => !s.name.endsWith('max_xid_age') && !(/ (slot_lag|pg_wal_size)$/.test(s.name) && storage.has(s.name.split(' ')[0]!))).map((s) => s.name.replace(/^(\S+ )?(send buffer|peer queue) \(bytes\)$/, '$1buffers').replace(/^\S+ (slot_lag|pg_wal_size)$/, 'wal').replace(/^.* write latency.*$/, 'latency').replace(/^.* line \(bytes\/s\)$/, 'line').replace(/^.* utilisation \(share\)$/, 'utilisation').replace(/^.* writes completed \(\/s\)$/, 'completed')));
    expect(titles).toBe(storage.size + kinds.size + (r.outages.length > 0 ? 1 : 0));
    // Marker labels above the panels: at most MARKER_ROWS rows (badges included), nothing cut short; each
    // numbered badge has its label, whole, in the key under the chart.
    const strip = all(doc, (e) => e.name === 'g' && e.attrs.class === 'annotations')[0]!;
    const rowsY = new Set(all(strip, (e) => e.name === 'text').map((e) => e.attrs.y));
    expect(rowsY.size).toBeLessThanOrEqual(MARKER_ROWS);
    expect(all(strip, (e) => e.name === 'text' && textOf(e).includes('…'))).toEqual([]);
    const badges = all(strip, (e) => e.attrs.class === 'marker-number').map((e) => e.attrs['data-n']);
    const keyed = all(doc, (e) => e.attrs.class === 'marker-key-label');
    expect(keyed.map((e) => e.attrs['data-n'])).toEqual(badges);
    expect(keyed.filter((e) => textOf(e).includes('…'))).toEqual([]);
  });

  it('HTML: one well-formed page with one script, the chart, and a row per shown event', () => {
    const html = renderHtml(result);
    const doc = parseXml(html.replace(/^<!DOCTYPE html>\n/, ''));
    expect(all(doc, (e) => e.name === 'script')).toHaveLength(1);
    expect(all(doc, (e) => e.name === 'svg').length).toBeGreaterThanOrEqual(1);
    expect(all(doc, (e) => e.name === 'tr' && e.attrs['data-node'] !== undefined).length).toBeGreaterThan(0);
    expect(html).not.toMatch(/NaN|undefined|Infinity/);
  });
});

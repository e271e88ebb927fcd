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
import { all, parseXml, textOf, type El } from '../support/xml.ts';
import { ENDED, alertLine, assessmentLine, dataLossHead, deviceState, lockWaitLine, nodeStorage, refusedLine, repeatedText, shortfallLine, slotLine, writesLine, xidLines } from '../../src/report/lines.ts';
import { ReportClock } from '../../src/report/time.ts';
import { collapseCycles } from '../../src/report/collapse.ts';

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

/** Numbers not written by format.ts (see the text test below for what each catches). */
const UNFORMATTED = [
  /(?<![\w/.:,-])(?<!(?:xmin|horizon|XID) at )(?<!XID )\d{5,23}(?![\w/])/,
  /\d\.\d{4,}/,
  /(?<![\d.])\d+\.0(?![\d.])/,
  /\d ?[KMGT]iB\/s/,
  /\d bytes\b/,
  /(?<!= )\b([6-9]\d|\d{3,})(\.\d+)? s\b/,
];
const unformatted = (t: string) => UNFORMATTED.some((re) => re.test(t));

describe.each(runs)('$label', ({ path, variant }) => {
  const result = runScenario(loadScenarioFile(path, { variant }));
  const text = renderText(result.report, { width: 100 });
  const lines = text.split('\n');
  const clock = new ReportClock(result.report);
  const at = (iso: string) => clock.short(iso);

  it('text: every line fits 100 columns (UTF-8 bytes), no colour codes', () => {
    expect(lines.filter((l) => Buffer.byteLength(l) > 100)).toEqual([]);
    expect(text).not.toContain('\x1b');
    // A terminal's width (60 to 160 columns) holds too, header included; colour only adds codes around the text.
    for (const width of [60, 160]) {
      const plain = renderText(result.report, { width });
      expect(plain.split('\n').filter((l) => Buffer.byteLength(l) > width)).toEqual([]);
      expect(renderText(result.report, { width, color: true }).replace(/\x1b\[[0-9;]*m/g, '')).toBe(plain);
    }
  });

  it('text: the summary first; numbers for people; the time column holds', () => {
    expect(lines.indexOf('Summary')).toBeGreaterThan(0);
    expect(lines.indexOf('Summary')).toBeLessThan(lines.indexOf('What happened'));
    // Everything the report words (docs/report.md, "Facts as data"), the events' messages included, but not the
    // servers' log lines (after `|`), the scenario's own description (the header) nor the names the scenario
    // loader gives expectations: numbers go through format.ts. No raw byte counts or long unseparated
    // integers (a WAL file name has 24 digits; an XID is an identifier, written as PostgreSQL writes it), no
    // float noise, no "2.0 s" or "100.0%", no binary rates (rates are decimal, MB/s), no seconds past a minute
    // (20 min, not 1200 s) except a setting quoted as configured (`wal_receiver_timeout = 60 s`).
    const expectations = lines.indexOf('Expectations') < 0 ? lines.length : lines.indexOf('Expectations');
    // A wrapped line's continuation is joined to it first: "horizon at" may end one line and its XID begin the next.
    const prose = lines
      .slice(lines.indexOf('Summary'), expectations)
      .filter((l) => !/^\s*\| /.test(l))
      .join('\n')
      .replace(/\n {4,}(?=\S)/g, ' ')
      .split('\n');
    expect(prose.filter(unformatted)).toEqual([]);
    const log = lines.slice(lines.indexOf('What happened') + 1, lines.indexOf('Data loss'));
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
    const kinds = new Set((r.series ?? []).filter((s) => !s.name.endsWith('max_xid_age') && !(/ (slot_lag|pg_wal_size)$/.test(s.name) && storage.has(s.name.split(' ')[0]!))).map((s) => s.name.replace(/^(\S+ )?(send buffer|peer queue) \(bytes\)$/, '$1buffers').replace(/^\S+ (slot_lag|pg_wal_size)$/, 'wal').replace(/^.* write latency.*$/, 'latency').replace(/^.* line \(bytes\/s\)$/, 'line').replace(/^.* utilisation \(share\)$/, 'utilisation').replace(/^.* writes completed \(\/s\)$/, 'completed').replace(/^.+ queued requests$/, 'queued')));
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
    // The page words what the text words, through the same templates and formatters: the same check on its
    // text, outside the servers' log lines (pre), the chart, the scenario's description and the expectations.
    const r = result.report;
    const quoted = [r.description, ...r.expectations.flatMap((e) => [e.name, e.detail])];
    const texts: string[] = [];
    const walk = (e: El) => {
      if (['pre', 'style', 'script', 'svg'].includes(e.name)) return;
      const t = e.text.trim();
      // The fingerprint (records:hash) is an identifier, not a count.
      if (t && !t.startsWith('fingerprint ') && !quoted.some((q) => q.replace(/\s+/g, ' ').includes(t.replace(/\s+/g, ' ')))) texts.push(t);
      e.children.forEach(walk);
    };
    walk(doc);
    expect(texts.filter(unformatted)).toEqual([]);
  });

  it('HTML: each section and summary line of the text report has its counterpart on the page, with the same words', () => {
    const r = result.report;
    const html = renderHtml(result);
    const plain = html
      .replace(/<(style|script|svg)[\s\S]*?<\/\1>/g, '')
      .replace(/<[^>]+>/g, ' ')
      .replace(/&(lt|gt|quot|apos|amp|#\d+);/g, (_, e: string) => (e.startsWith('#') ? String.fromCodePoint(Number(e.slice(1))) : { lt: '<', gt: '>', quot: '"', apos: "'", amp: '&' }[e]!))
      .replace(/\s+/g, ' ');
    const h2 = [...html.matchAll(/<h2>([^<]*)<\/h2>/g)].map((m) => m[1]!.replace(/&[a-z]+;/g, '?'));
    const boxes = [...html.matchAll(/<div class="verdict[^"]*"><b>([^<]*)<\/b>/g)].map((m) => m[1]!);
    // Every heading of the text report (a line at column 0 after the header), and where the page has it.
    const PAGE: Record<string, (n: number) => boolean> = {
      Summary: () => boxes.length > 0,
      Verdicts: () => r.verdicts.length === 0 || h2.includes('Verdicts'),
      'What happened': () => h2.includes('What happened'),
      'Data loss': () => r.dataLoss.length === 0 || h2.includes('Data loss: why'),
      'Write outages': () => r.outages.length === 0 || h2.includes('Write outages and stalls'),
      'Write stalls': () => r.stalls.length === 0 || h2.includes('Write outages and stalls'),
      'Write throughput short of the offer (no stall)': () => h2.includes('Write throughput short of the offer (no stall)'),
      'Lock waits': () => h2.includes('Lock waits'),
      'Transaction IDs': () => r.xid.every((x) => h2.some((h) => h.startsWith(`Transaction IDs in ${x.cluster.replace(/[&<>"']/g, '?')}`))),
      'Nodes at the end': () => r.nodes.length === 0 || h2.includes('Nodes at the end'),
      'Devices at the end': () => h2.includes('Devices at the end'),
      Expectations: () => h2.includes('Expectations'),
    };
    const headings = lines.slice(lines.indexOf('Summary')).filter((l) => /^\S/.test(l));
    for (const h of headings) {
      expect(Object.keys(PAGE), `text heading "${h}" has no counterpart on the page`).toContain(h);
      expect(PAGE[h]!(0), `text heading "${h}"`).toBe(true);
    }
    // The summary's labels are the page's boxes (Survivors, Requests and XIDs under the page's own heads).
    const summaryEnd = lines.findIndex((l, i) => i > lines.indexOf('Summary') && l === '');
    const labels = new Set(lines.slice(lines.indexOf('Summary') + 1, summaryEnd).map((l) => /^ {2}(\S+(?: \S+)?) {2,}/.exec(l)?.[1]).filter((x) => x !== undefined));
    const BOX: Record<string, string> = { 'Data loss': 'Data loss', Writes: 'Writes', Requests: 'Requests', XIDs: 'Transaction IDs', Refused: 'Refused', Survivor: 'Survivor', Survivors: 'Survivors', Expectations: 'Expectations' };
    for (const l of labels) {
      expect(Object.keys(BOX), `summary label "${l}" has no box on the page`).toContain(l);
      expect(boxes.some((b) => b.startsWith(BOX[l]!)), `summary label "${l}"`).toBe(true);
    }
    // The same words: the summary's Writes line, each shortfall, lock wait, alert, assessment, device and slot.
    const same = [
      writesLine(r),
      ...((r.refusals ?? []).length > 0 ? [refusedLine(r, at)] : []),
      // A repeated message's count, period and last time, as the text words them.
      ...collapseCycles(r.events.filter((e) => e.kind !== 'checkpoint'), (iso) => clock.us(iso)).flatMap((i) => (i.kind === 'event' && i.event.repeated ? [`(${repeatedText(i.event.at, i.event.repeated, clock)})`] : [])),
      ...(r.shortfalls ?? []).map((s) => shortfallLine(s, at)),
      ...(r.locks?.waits.filter((w) => w.seconds > 0) ?? []).map((w) => lockWaitLine(w, at)),
      ...r.xid.flatMap((x) => Object.values(xidLines(x, at)).filter((t) => t !== null)),
      ...r.alerts.map((a) => alertLine(a, at)),
      ...r.assessments.map((a) => assessmentLine(a, at)),
      ...(r.devices ?? []).map((d) => deviceState(d).state),
      ...r.nodes.flatMap((n) => (n.slots ?? []).map(slotLine)),
      ...r.nodes.map((n) => nodeStorage(n).replace(/^pg_wal /, '')).filter((t) => t !== ''),
      ...r.dataLoss.map((l) => dataLossHead(r, l, at, (iso) => clock.us(iso)).replace(/\.$/, '')),
    ];
    // How each outage and stall ended, in the text's words (after "Ended:") in the text and on the page (where
    // names are links: compared without the spaces the markup leaves).
    const bare = (t: string) => t.replace(/\s+/g, '');
    for (const x of [...r.outages, ...r.stalls]) {
      expect(bare(text)).toContain(bare(`${ENDED} ${x.end}`));
      expect(bare(plain)).toContain(bare(`${ENDED} ${x.end}`));
    }
    for (const t of same) expect(plain, t).toContain(t.replace(/\s+/g, ' '));
    // No placeholder where the report has nothing to say (a lock-queue stall has no bottleneck).
    expect(plain).not.toMatch(/\?:|\bnull\b/);
  });
});


import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { collapseVacuums } from '../../src/checkers/vacuums.ts';
import { renderChartSvg, type ChartWorld } from '../../src/report/chart.ts';
import { actionPeriods } from '../../src/report/chart/periods.ts';
import { successPanel } from '../../src/report/chart/series.ts';
import type { Micros } from '../../src/engine/time.ts';
import type { Action } from '../../src/scenario/types.ts';
import { runScenario } from '../../src/run.ts';
import { loadScenarioFile } from '../../src/scenario/load.ts';
import { at, mackerel } from '../support/builder.ts';

import { all, num, parseXml, points, textOf, type El } from '../support/xml.ts';


// ---- The Mackerel run, charted.

const base = runScenario(mackerel());
const svg = renderChartSvg(base);
const doc = parseXml(svg);
const END = at(16, 0);

/** The plot's x for a time, from the frame: the chart's time axis runs from the start to the end of the run. */
function xOf(d: El, t: number): number {
  const frame = all(d, (e) => e.attrs.class === 'frame')[0]!;
  return num(frame, 'x') + (t / END) * num(frame, 'width');
}

/** Bands of the WAL panel (the XID and series panels mark theirs with data-panel). */
const bands = (d: El, kind: string) => all(d, (e) => e.name === 'rect' && e.attrs.class === kind && e.attrs['data-panel'] === undefined).map((r) => ({ left: num(r, 'x'), right: num(r, 'x') + num(r, 'width'), el: r }));

describe('the test XML parser', () => {
  it('rejects what is not well-formed', () => {
    expect(() => parseXml('<a><b></a>')).toThrow();
    expect(() => parseXml('<a>x & y</a>')).toThrow();
    expect(() => parseXml('<a b=1/>')).toThrow();
    expect(() => parseXml('<a b="1" b="2"/>')).toThrow();
    expect(() => parseXml('<a>')).toThrow();
    expect(() => parseXml('<a/><b/>')).toThrow();
    expect(parseXml('<a b="&lt;1&gt;"><c/>x &amp; y</a>')).toMatchObject({ name: 'a', attrs: { b: '<1>' }, text: 'x & y' });
  });
});

describe('renderChartSvg', () => {
  it('is a well-formed standalone SVG, 1000 px wide and as tall as its panels need', () => {
    expect(doc.name).toBe('svg');
    expect(doc.attrs).toMatchObject({ xmlns: 'http://www.w3.org/2000/svg', width: '1000' });
    const h = Number(doc.attrs.height);
    expect(doc.attrs.viewBox).toBe(`0 0 1000 ${h}`);
    // The WAL panel, the pg_wal and slot panel and the request panel (the run has outages), stacked.
    expect(h).toBeGreaterThan(600);
    expect(h).toBeLessThan(850);
    // Standalone: nothing loaded from elsewhere.
    expect(svg).not.toMatch(/<script|<link|@import|@font-face|xlink:href|href="http/);
    expect(svg).not.toMatch(/NaN|undefined|Infinity/);
    const custom = parseXml(renderChartSvg(base, { width: 700, height: 560 }));
    expect(custom.attrs).toMatchObject({ width: '700', height: '560' });
  });

  it('rounds every coordinate to one decimal', () => {
    const coords = ['x', 'y', 'x1', 'x2', 'y1', 'y2', 'width', 'height'];
    for (const e of all(doc, () => true)) {
      for (const a of coords) if (a in e.attrs) expect(e.attrs[a], `${e.name} ${a}`).toMatch(/^-?\d+(\.\d)?$/);
      if (e.attrs.points) for (const v of e.attrs.points.split(/[ ,]/)) expect(v).toMatch(/^-?\d+(\.\d)?$/);
    }
  });

  it('draws one polyline per node, over the whole run', () => {
    const lines = all(doc, (e) => e.name === 'polyline' && e.attrs.class === 'wal');
    expect(lines.map((l) => l.attrs['data-node'])).toEqual(['db000', 'db001', 'db002']);
    const colours = new Set(lines.map((l) => l.attrs.stroke));
    expect(colours.size).toBe(3);
    for (const l of lines) {
      const pts = points(l);
      expect(pts[0]![0]).toBeCloseTo(xOf(doc, 0), 1);
      expect(pts.at(-1)![0]).toBeCloseTo(xOf(doc, END), 1);
      for (let k = 1; k < pts.length; k++) expect(pts[k]![0]).toBeGreaterThanOrEqual(pts[k - 1]![0]);
    }
    // A legend entry per node.
    for (const n of ['db000', 'db001', 'db002']) expect(svg).toContain(`>${n} (`);
  });

  it('shows db002 flat on timeline 15 while db001 writes timeline 16', () => {
    const line = (n: string) => all(doc, (e) => e.attrs.class === 'wal' && e.attrs['data-node'] === n)[0]!;
    const db002 = points(line('db002'));
    // A horizontal stretch from about the promotion of db001 to the promotion of db002.
    const flat = db002.findIndex((p, k) => k > 0 && p[1] === db002[k - 1]![1] && p[0] - db002[k - 1]![0] > xOf(doc, at(15, 29)) - xOf(doc, at(14, 31)));
    expect(flat).toBeGreaterThan(0);
    // Meanwhile db001 rises (SVG y grows downwards) to the top of the chart.
    const db001 = points(line('db001'));
    expect(db001.at(-1)![1]).toBeLessThan(db002[flat]![1] - 100);
    // Timeline styles: db001 has a stretch on 16, db002 one on 17 but none on 16.
    const tlsOf = (n: string) => all(doc, (e) => e.name === 'g' && e.attrs['data-node'] === n).flatMap((g) => all(g, (e) => e.attrs.class === 'tl').map((e) => e.attrs['data-tli']));
    expect(tlsOf('db001')).toEqual(['16']);
    expect(tlsOf('db002')).toEqual(['17']);
    const labels = all(doc, (e) => e.name === 'text').map(textOf);
    expect(labels).toEqual(expect.arrayContaining(['TL 15', 'TL 16', 'TL 17']));
    // With recovery_target_timeline = 'latest', db002 follows db001 onto timeline 16.
    const latest = parseXml(renderChartSvg(runScenario(mackerel({ db002Timeline: 'latest' }))));
    const latestTls = all(latest, (e) => e.name === 'g' && e.attrs['data-node'] === 'db002').flatMap((g) => all(g, (e) => e.attrs.class === 'tl').map((e) => e.attrs['data-tli']));
    expect(latestTls).toEqual(['16', '17']);
  });

  it('shades each outage and each lost range over its own time', () => {
    const outages = bands(doc, 'outage');
    expect(outages).toHaveLength(base.report.outages.length);
    expect(outages).toHaveLength(2);
    const [o1, o2] = outages as [(typeof outages)[0], (typeof outages)[0]];
    expect(o1.left).toBeCloseTo(xOf(doc, at(14, 30)), 0);
    expect(o2.left).toBeCloseTo(xOf(doc, at(15, 30)), 0);
    expect(o1.right).toBeLessThan(o2.left);
    const lost = bands(doc, 'lost');
    expect(lost).toHaveLength(base.report.dataLoss.length);
    const l = lost[0]!;
    // Lost: from the first commit on db001 (14:30:15) to the loss of db001 (15:30), between the two outages.
    expect(l.left).toBeGreaterThan(o1.left);
    expect(l.left).toBeCloseTo(xOf(doc, at(14, 30, 15)), 0);
    expect(l.right).toBeCloseTo(xOf(doc, at(15, 30)), 0);
    expect(l.right).toBeLessThanOrEqual(o2.left + 0.1);
    expect(l.el.attrs['data-node']).toBe('db001');
    expect(bands(doc, 'stall')).toHaveLength(0);
  });

  it('labels promotions, plan steps, faults, outages and lost commits', () => {
    const labels = all(doc, (e) => e.name === 'text').map(textOf);
    expect(labels).toEqual(
      expect.arrayContaining([
        '14:30:10 db001 → TL 16 by the plan',
        '15:30:20 db002 → TL 17 by failover (naive)',
        '14:30:15 plan: route writes to db001',
        '15:30:00 write outage 20 s',
        '717,000 commits lost',
        // Steps that begin a state are periods, in lanes: the plan's and the faults'.
        'clients blocked from db000 (to the end)',
        'db000 stopped (to the end)',
        'db001 cut off (to the end)',
      ]),
    );
    const periods = all(doc, (e) => e.attrs.class === 'period');
    expect(periods.map((p) => p.attrs['data-source'])).toEqual(['plan', 'plan', 'faults']);
    expect(num(periods[2]!, 'x')).toBeCloseTo(xOf(doc, at(15, 30)), 0);
    expect(num(periods[2]!, 'x') + num(periods[2]!, 'width')).toBeCloseTo(xOf(doc, END), 0);
    // Time ticks in the scenario's zone (Asia/Tokyo), not UTC.
    const ticks = all(doc, (e) => e.name === 'g' && e.attrs.class === 'x-axis').flatMap((g) => all(g, (e) => e.name === 'text').map(textOf));
    expect(ticks).toEqual(expect.arrayContaining(['14:00', '14:30', '15:30']));
    expect(ticks).not.toContain('05:00');
    const yTicks = all(doc, (e) => e.name === 'g' && e.attrs.class === 'y-axis').flatMap((g) => all(g, (e) => e.name === 'text').map(textOf));
    expect(yTicks.some((t) => / GiB$/.test(t))).toBe(true);
  });

  it('is deterministic: same scenario, same bytes', () => {
    const again = renderChartSvg(runScenario(mackerel()));
    expect(again).toBe(svg);
  });

  it('moves the lost band when the loss of db001 moves', () => {
    const early = parseXml(renderChartSvg(runScenario(mackerel({ lossAt: at(15, 0) }))));
    const l = bands(early, 'lost')[0]!;
    expect(l.right).toBeCloseTo(xOf(early, at(15, 0)), 0);
    expect(l.right).toBeLessThan(bands(doc, 'lost')[0]!.right - 100);
    expect(all(early, (e) => e.name === 'text').map(textOf)).toContain('357,000 commits lost');
    // No loss, no band.
    const none = parseXml(renderChartSvg(runScenario(mackerel({ db002Timeline: 'latest' }))));
    expect(bands(none, 'lost')).toHaveLength(0);
  });

  it('shades stalls, and escapes text', () => {
    const stall = { ...base.report.outages[0]!, from: '2017-08-07T15:00:00+09:00', to: '2017-08-07T15:10:00+09:00', seconds: 600, maxLatencyMs: 4000, cause: 'sync <standby> & "x"' };
    const title = `<b>&'"`;
    const out = renderChartSvg({ report: { ...base.report, stalls: [stall] }, history: base.history }, { title });
    const d = parseXml(out);
    const s = bands(d, 'stall');
    expect(s).toHaveLength(1);
    expect(s[0]!.left).toBeCloseTo(xOf(d, at(15, 0)), 0);
    expect(s[0]!.right).toBeCloseTo(xOf(d, at(15, 10)), 0);
    expect(all(d, (e) => e.name === 'text').map(textOf)).toEqual(expect.arrayContaining([title, '15:00:00 write stall 10 min']));
    expect(all(d, (e) => e.name === 'title').map(textOf)[0]).toContain(title);
  });

  it('spans days with dated ticks', () => {
    const r = runScenario(mackerel());
    const report = { ...r.report, end: '2017-08-10T14:00:00+09:00' };
    const d = parseXml(renderChartSvg({ report, history: r.history }));
    const ticks = all(d, (e) => e.name === 'g' && e.attrs.class === 'x-axis').flatMap((g) => all(g, (e) => e.name === 'text').map(textOf));
    expect(ticks).toEqual(expect.arrayContaining(['2017-08-08', '2017-08-09', '2017-08-10']));
    const lines = all(d, (e) => e.attrs.class === 'wal');
    const frame = all(d, (e) => e.attrs.class === 'frame')[0]!;
    for (const l of lines) expect(points(l).at(-1)![0]).toBeCloseTo(num(frame, 'x') + num(frame, 'width'), 1);
  });
});

// ---- Transaction IDs: the GO Inc. wraparound scenario.

const GO = fileURLToPath(new URL('../../scenarios/go-xid-wraparound.yaml', import.meta.url));
const goRun = (variant: string | null = null, sets: string[] = []) => runScenario(loadScenarioFile(GO, { variant, sets }));

const go = goRun();
const goSvg = renderChartSvg(go);
const goDoc = parseXml(goSvg);

const byClass = (d: El, cls: string) => all(d, (e) => e.attrs.class === cls);
const texts = (d: El) => all(d, (e) => e.name === 'text').map(textOf);

/** The XID panel's scales, from its frame and its y-axis ticks (0, 500M, 1B, ...). */
function xidScales(d: El, report: { start: string; end: string }) {
  const frame = byClass(d, 'frame-xid')[0]!;
  const axis = byClass(d, 'xid-axis')[0]!;
  const lines = axis.children.filter((e) => e.name === 'line');
  const labels = axis.children.filter((e) => e.name === 'text' && !e.attrs.transform);
  const tick = (label: string) => num(lines[labels.findIndex((l) => textOf(l) === label)]!, 'y1');
  const [y0, y1] = [tick('0'), tick('1B')];
  const span = Date.parse(report.end) - Date.parse(report.start);
  return {
    x: (iso: string) => num(frame, 'x') + ((Date.parse(iso) - Date.parse(report.start)) / span) * num(frame, 'width'),
    y: (age: number) => y0 - ((y0 - y1) * age) / 1e9,
    frame,
  };
}

describe('renderChartSvg: transaction IDs', () => {
  it('has the XID panel iff the report has xid entries, instead of the WAL panel for one node without loss', () => {
    expect(go.report.xid).toHaveLength(1);
    expect(byClass(goDoc, 'frame-xid')).toHaveLength(1);
    expect(byClass(goDoc, 'xid-age').map((l) => l.attrs['data-cluster'])).toEqual(['app']);
    // One node, no loss: the XID panel is the whole chart.
    expect(byClass(goDoc, 'frame')).toHaveLength(0);
    expect(byClass(goDoc, 'wal')).toHaveLength(0);
    expect(goDoc.attrs).toMatchObject({ width: '1000' });
    // No xid entries: the WAL chart as before.
    expect(byClass(doc, 'frame-xid')).toHaveLength(0);
    expect(byClass(doc, 'xid-age')).toHaveLength(0);
    expect(svg).not.toContain('datfrozenxid');
    const without = parseXml(renderChartSvg({ ...go, report: { ...go.report, xid: [] } }));
    expect(byClass(without, 'frame-xid')).toHaveLength(0);
    expect(byClass(without, 'wal')).toHaveLength(1);
    // Two nodes: both panels, the XID panel under the WAL panel, on the same time axis.
    const two = goRun(null, ['clusters.app.nodes.reader={site: ap-northeast-1, version: 13, role: standby, upstream: writer}']);
    const both = parseXml(renderChartSvg(two));
    expect(Number(both.attrs.height)).toBeGreaterThan(Number(goDoc.attrs.height) + 200);
    const [wal, xid] = [byClass(both, 'frame')[0]!, byClass(both, 'frame-xid')[0]!];
    expect(num(xid, 'y')).toBeGreaterThan(num(wal, 'y') + num(wal, 'height'));
    expect([num(xid, 'x'), num(xid, 'width')]).toEqual([num(wal, 'x'), num(wal, 'width')]);
    expect(byClass(both, 'wal').map((l) => l.attrs['data-node'])).toEqual(['writer', 'reader']);
  });

  it('draws max age(datfrozenxid) from the samples, peaking where the report says', () => {
    const x = go.report.xid[0]!;
    const s = xidScales(goDoc, go.report);
    const pts = points(byClass(goDoc, 'xid-age')[0]!);
    // Over the whole run, left to right.
    expect(pts[0]![0]).toBeCloseTo(num(s.frame, 'x'), 1);
    expect(pts.at(-1)![0]).toBeCloseTo(num(s.frame, 'x') + num(s.frame, 'width'), 1);
    for (let k = 1; k < pts.length; k++) expect(pts[k]![0]).toBeGreaterThanOrEqual(pts[k - 1]![0]);
    // The highest point (smallest y) is the report's maximum, at its time; then the vacuum's drop.
    const top = pts.reduce((a, p) => (p[1] < a[1] ? p : a));
    expect(top[0]).toBeCloseTo(s.x(x.maxAgeAt), 0);
    expect(top[1]).toBeCloseTo(s.y(x.maxAge), 0);
    const after = pts[pts.indexOf(top) + 1]!;
    expect(after[0]).toBeCloseTo(top[0], 1);
    expect(after[1]).toBeGreaterThan(s.y(200_000_000));
    // It ends at the age at the end of the run.
    expect(pts.at(-1)![1]).toBeCloseTo(s.y(x.endAge), 0);
    expect(texts(goDoc)).toContain('peak 1,303,101,558');
    expect(byClass(goDoc, 'xid-peak')[0]!.attrs).toMatchObject({ 'data-cluster': 'app' });
  });

  it('draws the warn and stop ages and autovacuum_freeze_max_age at their ages', () => {
    const x = go.report.xid[0]!;
    const s = xidScales(goDoc, go.report);
    const limit = (d: El, kind: string) => all(d, (e) => e.attrs.class === 'limit' && e.attrs['data-kind'] === kind)[0]!;
    expect(num(limit(goDoc, 'stop'), 'y1')).toBeCloseTo(s.y(x.stopAge), 0);
    expect(num(limit(goDoc, 'warn'), 'y1')).toBeCloseTo(s.y(x.warnAge), 0);
    expect(num(limit(goDoc, 'freeze'), 'y1')).toBeCloseTo(s.y(200_000_000), 0);
    expect([x.warnAge, x.stopAge]).toEqual([2_136_483_647, 2_146_483_647]);
    expect(limit(goDoc, 'stop').attrs['data-age']).toBe('2146483647');
    expect(texts(goDoc)).toEqual(expect.arrayContaining(['stop limit 2,146,483,647: XID-assigning commands fail (PostgreSQL 13)', 'WARNING from 2,136,483,647']));
    // autovacuum_freeze_max_age comes from the primary's settings when the world is given.
    const world: ChartWorld = { clusters: new Map([['app', { nodes: new Map([['writer', { isPrimary: true, settings: { autovacuumFreezeMaxAge: 400_000_000 } }]]) }]]) };
    const custom = parseXml(renderChartSvg({ ...go, world }));
    expect(num(limit(custom, 'freeze'), 'y1')).toBeCloseTo(xidScales(custom, go.report).y(400_000_000), 0);
    expect(limit(custom, 'freeze').attrs['data-age']).toBe('400000000');
    // Without it, the default.
    expect(limit(parseXml(renderChartSvg({ report: go.report, history: go.history })), 'freeze').attrs['data-age']).toBe('200000000');
  });

  it('shades the horizon hold and the long vacuums, and marks the plan steps and the vacuums that matter', () => {
    const s = xidScales(goDoc, go.report);
    const hold = byClass(goDoc, 'hold');
    expect(hold).toHaveLength(1);
    expect(hold[0]!.attrs['data-holder']).toBe('slot "debezium"');
    expect(num(hold[0]!, 'x')).toBeCloseTo(s.x('2023-03-06T10:00:00+09:00'), 0);
    expect(num(hold[0]!, 'x') + num(hold[0]!, 'width')).toBeCloseTo(s.x('2023-10-24T10:00:00+09:00'), 0);
    expect(texts(goDoc)).toContain('slot "debezium" holds catalog_xmin (XID 1361764000)');
    // Vacuums of 5 minutes or more: the monthly user-tables ones, the catalogs' retry loop held back (one
    // band per stretch of alike runs: checkers/vacuums.ts), the long one after the drop.
    const long = collapseVacuums(go.history.vacuums).filter((v) => v.to - v.from >= 300e6);
    const bands = byClass(goDoc, 'vacuum');
    expect(bands).toHaveLength(long.length);
    expect(bands.filter((b) => b.attrs.fill === '#969696')).toHaveLength(long.filter((v) => v.blockedBy).length);
    const last = bands.at(-1)!;
    expect(last.attrs['data-table']).toBe('pg_catalog');
    expect(num(last, 'x')).toBeCloseTo(s.x('2023-10-24T10:08:40.887+09:00'), 0);
    expect(texts(goDoc)).toEqual(
      expect.arrayContaining([
        'consumer of slot "debezium" stopped, 232 days',
        '2023-10-24 10:10 vacuum of pg_catalog, 38 min 36 s: age 1.3B → 50M',
        '2023-03-07 03:46 vacuum of pg_catalog, 17,981 runs to 2023-03-20 10:01: could not freeze (horizon held)',
      ]),
    );
    // The story in words under the title.
    expect(byClass(goDoc, 'xid-summary').map(textOf)).toEqual([
      'app (PostgreSQL 13): age(datfrozenxid) max 1,303,101,558 on 2023-10-24, 151,712,000 at the end · no WARNING',
    ]);
  });

  it('marks the first warning, the stop and the outage that follows when nobody acts', () => {
    const r = goRun('no-action');
    const d = parseXml(renderChartSvg(r));
    const x = r.report.xid[0]!;
    const s = xidScales(d, r.report);
    const dot = (cls: string) => byClass(d, cls)[0]!;
    expect(num(dot('xid-warning'), 'cx')).toBeCloseTo(s.x(x.firstWarningAt!), 0);
    expect(num(dot('xid-warning'), 'cy')).toBeCloseTo(s.y(x.warnAge), 0);
    expect(num(dot('xid-stop'), 'cx')).toBeCloseTo(s.x(x.stopAt!), 0);
    expect(num(dot('xid-stop'), 'cy')).toBeCloseTo(s.y(x.stopAge), 0);
    expect(texts(d)).toEqual(
      expect.arrayContaining(['2024-03-20 20:16 first WARNING: age 2,136,483,647', '2024-03-22 15:00 stop limit: XID-assigning commands fail', '2024-03-22 15:00 write outage 38 days 9 h']),
    );
    // The stop is the peak: no separate peak label; writes fail from the stop to the end.
    expect(byClass(d, 'xid-peak')).toHaveLength(0);
    const outage = all(d, (e) => e.attrs.class === 'outage' && e.attrs['data-panel'] === 'xid');
    expect(outage).toHaveLength(1);
    expect(num(outage[0]!, 'x')).toBeCloseTo(s.x(x.stopAt!), 0);
    // Month ticks over 16 months, with the year under the first and under January.
    const ticks = all(d, (e) => e.name === 'g' && e.attrs.class === 'x-axis').flatMap((g) => all(g, (e) => e.name === 'text').map(textOf));
    expect(ticks).toEqual(expect.arrayContaining(['Jan', 'Mar', '2023', '2024']));
  });

  it('marks a fired alert on the age line', () => {
    const r = goRun('alert-at-1b');
    const d = parseXml(renderChartSvg(r));
    const a = r.report.alerts[0]!;
    expect(a.firedAt).not.toBeNull();
    const s = xidScales(d, r.report);
    const dot = byClass(d, 'xid-alert')[0]!;
    expect(num(dot, 'cx')).toBeCloseTo(s.x(a.firedAt!), 0);
    expect(num(dot, 'cy')).toBeCloseTo(s.y(1e9), 0);
    expect(texts(d)).toContain('2023-08-31 11:45 alert max-xid-age-above-1b fires (max_xid_age 1,000,058,500)');
  });

  it('has monthly ticks for a ten-month run', () => {
    const ticks = all(goDoc, (e) => e.name === 'g' && e.attrs.class === 'x-axis').flatMap((g) => all(g, (e) => e.name === 'text').map(textOf));
    expect(ticks).toEqual(['Jan', '2023', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Asia/Tokyo (UTC+9)']);
  });

  it('is deterministic, well-formed and rounded', () => {
    expect(renderChartSvg(goRun())).toBe(goSvg);
    expect(goSvg).not.toMatch(/NaN|undefined|Infinity/);
    for (const e of all(goDoc, () => true)) {
      for (const a of ['x', 'y', 'x1', 'x2', 'y1', 'y2', 'width', 'height', 'cx', 'cy']) if (a in e.attrs) expect(e.attrs[a], `${e.name} ${a}`).toMatch(/^-?\d+(\.\d)?$/);
      if (e.attrs.points) for (const v of e.attrs.points.split(/[ ,]/)) expect(v).toMatch(/^-?\d+(\.\d)?$/);
    }
    // Holder names are escaped wherever they go.
    const holds = go.history.holds.map((h) => ({ ...h, holder: `slot "<b>&'x"` }));
    const odd = renderChartSvg({ ...go, history: { ...go.history, holds } as unknown as typeof go.history });
    expect(all(parseXml(odd), (e) => e.attrs.class === 'hold')[0]!.attrs['data-holder']).toBe(`slot "<b>&'x"`);
    expect(texts(parseXml(odd))).toContain(`slot "<b>&'x" holds catalog_xmin (XID 1361764000)`);
  });
});

// ---- Block replication: the cybozu.com migration.

const CYBOZU = fileURLToPath(new URL('../../scenarios/cybozu-drbd-migration.yaml', import.meta.url));

describe('renderChartSvg: block replication', () => {
  const r = runScenario(loadScenarioFile(CYBOZU, {}));
  const svgText = renderChartSvg(r);
  const d = parseXml(svgText);
  const panelTitles = all(d, (e) => e.attrs.class === 'panel-title').map(textOf);

  it('draws a panel for each kind of series the report has, and no WAL axis without PostgreSQL nodes', () => {
    expect(byClass(d, 'frame')).toHaveLength(0);
    expect(svgText).not.toContain('WAL position');
    expect(panelTitles).toEqual(['vol: DRBD send buffer and peer queue', 'vol: out of sync (to resync)', 'replication line: bytes sent per second', 'write latency', 'writes completed per second', 'disk utilisation']);
    const drawn = all(d, (e) => e.attrs.class === 'series').map((e) => e.attrs['data-name']);
    expect(drawn).toEqual(['send buffer', 'peer queue', 'out of sync', 'vol', 'groupware', 'groupware p50', 'groupware p99', 'groupware', 'new-array', 'old-array']);
    // Every series of the JSON is drawn, with points over the run.
    expect(r.report.series!.length).toBe(10);
    for (const p of all(d, (e) => e.attrs.class === 'series')) expect(p.attrs.d!.split(/[ML]/).filter(Boolean).length).toBeGreaterThan(2);
    // No request panel: writes never failed.
    expect(panelTitles).not.toContain('share of offered writes that succeed');
  });

  it('puts the peak send buffer fill at the height of its value, on round binary ticks', () => {
    const axis = all(d, (e) => e.attrs.class === 'series-axis' && e.attrs['data-panel'] === 'buffers:vol')[0]!;
    const labels = axis.children.filter((e) => e.name === 'text').map(textOf);
    expect(labels.every((l) => /^(0 B|\d+ MiB)$/.test(l))).toBe(true);
    const ys = axis.children.filter((e) => e.name === 'line').map((e) => num(e, 'y1'));
    const mib = (l: string) => (l === '0 B' ? 0 : Number(l.split(' ')[0]) * 2 ** 20);
    const y = (v: number) => ys[0]! + ((ys[1]! - ys[0]!) * v) / mib(labels[1]!);
    const peak = Math.max(...r.report.series!.find((s) => s.name === 'vol peer queue (bytes)')!.points.map(([, v]) => v));
    const path = all(d, (e) => e.attrs.class === 'series' && e.attrs['data-name'] === 'peer queue')[0]!.attrs.d!;
    const top = Math.min(...[...path.matchAll(/[ML][\d.]+,([\d.]+)/g)].map((m) => Number(m[1])));
    expect(top).toBeCloseTo(y(peak), 0);
  });

  it('shades the plan periods (disconnected, backups, the initial RAID background initialisation) with labels in lanes', () => {
    const labels = all(d, (e) => e.attrs.class === 'period-label').map(textOf);
    expect(labels).toEqual(expect.arrayContaining(['background-init "bgi" on new-array, 12 h 21 min', 'vol disconnected, 23 h 40 min', 'backup "backup" on new-array, 30 min', 'backup "backup-2" on new-array, 1 h 16 min']));
    // Labels in one lane never overlap.
    const boxes = all(d, (e) => e.attrs.class === 'period-label').map((t) => ({ y: num(t, 'y'), x: num(t, 'x'), w: textOf(t).length * 6, anchor: t.attrs['text-anchor'] }));
    for (const [i, a] of boxes.entries()) {
      for (const b of boxes.slice(i + 1)) {
        if (a.y !== b.y) continue;
        const [al, ar] = a.anchor === 'end' ? [a.x - a.w, a.x] : [a.x, a.x + a.w];
        const [bl, br] = b.anchor === 'end' ? [b.x - b.w, b.x] : [b.x, b.x + b.w];
        expect(ar <= bl || br <= al, `${JSON.stringify(a)} ${JSON.stringify(b)}`).toBe(true);
      }
    }
  });

  it('keeps a short outage visible: a band is at least 3 px wide', () => {
    const m = runScenario(mackerel());
    const report = { ...m.report, outages: [{ ...m.report.outages[0]!, from: '2017-08-07T15:00:00+09:00', to: '2017-08-07T15:00:00.200+09:00', seconds: 0.2 }] };
    const dd = parseXml(renderChartSvg({ ...m, report }));
    for (const b of all(dd, (e) => e.attrs.class === 'outage')) expect(num(b, 'width')).toBeGreaterThanOrEqual(3);
  });
});

describe('periods (chart/periods.ts): the faults and the plan over time, gray failures included', () => {
  const act = (s: number, body: Record<string, unknown>, name: string | null = null): Action => ({ at: (s * 1e6) as Micros, name, source: 'faults', ...body }) as unknown as Action;
  it('packet loss until it clears, a one-way partition until healed, a manager stopped until started, a slow node until healthy, archive_command failing until its end', () => {
    const periods = actionPeriods(
      [
        act(10, { kind: 'packetLoss', sites: ['a', 'b'], probability: 0.02 }),
        act(20, { kind: 'packetLoss', sites: ['b', 'a'], probability: 0 }),
        act(30, { kind: 'oneWayPartition', from: 'a', to: 'b' }),
        act(40, { kind: 'healOneWay', from: 'a', to: 'b' }),
        act(50, { kind: 'stopManager', process: 'etcd-1' }),
        act(60, { kind: 'startManager', process: 'etcd-1' }),
        act(70, { kind: 'slowNode', node: 'pg1', cpu: null, disk: 50 }),
        act(80, { kind: 'slowNode', node: 'pg1', cpu: null, disk: 1 }),
        act(90, { kind: 'archiveFails', node: 'pg1', until: 120e6, exitCode: 1 }, 'archive-full'),
        act(100, { kind: 'stopManager', process: 'monitor' }),
        act(110, { kind: 'block', step: { op: 'slowDisk', disk: 'd', factor: 5, duration: 3e6 } }),
      ],
      200e6,
    );
    expect(periods.map((p) => [p.from / 1e6, p.to === null ? null : p.to / 1e6, p.label])).toEqual([
      [10, 20, 'packet loss a–b'],
      [30, 40, 'a → b dropped'],
      [50, 60, 'etcd-1 stopped'],
      [70, 80, 'pg1 slowed'],
      [90, 120, 'archive_command of pg1 fails'],
      [100, null, 'monitor stopped'],
      [110, 113, 'disk d slowed'],
    ]);
    expect(periods.find((p) => p.label.startsWith('archive'))!.names).toEqual(['archive-full']);
  });
});

describe('renderChartSvg: a DRBD resource whose writes fall short of the offer (drbd-wan-switchover)', () => {
  const r = runScenario(loadScenarioFile(fileURLToPath(new URL('../../scenarios/drbd-wan-switchover.yaml', import.meta.url)), {}));
  const d = parseXml(renderChartSvg(r));

  it('says writes, not commits, for a block device in its subtitle', () => {
    expect(r.report.nodes).toHaveLength(0);
    const text = all(d, (e) => e.name === 'text').map(textOf).join('\n');
    expect(text).toContain('no acknowledged write lost');
    expect(text).not.toContain('commit');
  });

  it('draws the offered rate on the writes-completed panel, so the shortfall shows as a gap', () => {
    const sf = r.report.shortfalls!;
    expect(sf.length).toBeGreaterThan(0);
    const refs = all(d, (e) => e.attrs.class === 'ref-label').map(textOf);
    expect(refs).toContain('db offered 1,200 writes/s');
    expect(sf[0]!.offered).toBe(1200);
  });

  it('an out-of-sync panel that stays at zero has distinct round ticks, not "1 B" twice', () => {
    const axis = all(d, (e) => e.attrs.class === 'series-axis' && e.attrs['data-panel'] === 'oos:data')[0]!;
    const labels = axis.children.filter((e) => e.name === 'text').map(textOf);
    expect(new Set(labels).size).toBe(labels.length);
    expect(labels).toContain('1 MiB');
  });
});

describe('successPanel (chart/series.ts): the share of offered writes that succeed', () => {
  it('two outages that touch are one span at 0, and one lasting to the end leaves the line (and its end label) at 0%', () => {
    // wal-volume (test/models/wal-volume.test.ts): down from 09:48 (pg_wal full) to 10:40, then "does not start" to the end.
    const o = (from: number, to: number) => ({ cluster: 'shop', workload: 'clients', node: 'pg1', from: String(from), to: String(to), seconds: to - from, cause: '' });
    const report = { outages: [o(1086, 4200), o(4200, 5400)] } as never;
    const p = successPanel(report, (iso) => Number(iso) * 1e6, 5400e6)!;
    expect(p.lines[0]!.points).toEqual([[0, 1], [1086e6, 0], [5400e6, 0]]);
  });
});

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { count, percent } from '../../src/report/format.ts';
import { renderHtml } from '../../src/report/html/page.ts';
import { renderChartSvg } from '../../src/report/chart.ts';
import type { Report } from '../../src/report/types.ts';
import { runScenario } from '../../src/run.ts';
import { loadScenarioText } from '../../src/scenario/load.ts';
import { mackerel } from '../support/builder.ts';
import { patroniFailoverYaml } from '../support/patroni-failover.ts';
import { all, parseXml, textOf, type El } from '../support/xml.ts';

/** The page as XML (it is written well-formed): the doctype off, nothing else changed. */
function parsePage(html: string): El {
  expect(html.startsWith('<!DOCTYPE html>\n')).toBe(true);
  return parseXml(html.slice('<!DOCTYPE html>\n'.length));
}

/** Elements the page itself writes; anything else would have come from the scenario. */
const HTML = ['html', 'head', 'meta', 'title', 'style', 'body', 'main', 'h1', 'h2', 'h3', 'p', 'section', 'div', 'b', 'ol', 'li', 'pre', 'table', 'thead', 'tbody', 'tr', 'th', 'td', 'span', 'code', 'label', 'input', 'script'];
const SVG = ['svg', 'title', 'defs', 'pattern', 'clipPath', 'rect', 'g', 'line', 'polyline', 'path', 'text', 'circle'];

function checkElements(doc: El): void {
  for (const e of all(doc, () => true)) expect([...HTML, ...SVG], e.name).toContain(e.name);
  expect(all(doc, (e) => e.name === 'script')).toHaveLength(1);
  for (const e of all(doc, () => true)) for (const a of Object.keys(e.attrs)) expect(a.toLowerCase().startsWith('on'), `${e.name} ${a}`).toBe(false);
}

const base = runScenario(mackerel());
const html = renderHtml(base);
const doc = parsePage(html);

/** A fact's names (node, upstream) and prose with `evil` appended, at any depth. */
function withEvil<T>(v: T, evil: string): T {
  if (Array.isArray(v)) return v.map((x) => withEvil(x, evil)) as T;
  if (v === null || typeof v !== 'object') return v;
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, typeof x === 'string' && ['node', 'upstream', 'text'].includes(k) ? `${x}${evil}` : withEvil(x, evil)])) as T;
}

describe('renderHtml', () => {
  it('is one self-contained page: inline CSS, one inline script allowed by hash, nothing loaded', () => {
    checkElements(doc);
    const csp = all(doc, (e) => e.name === 'meta' && e.attrs['http-equiv'] === 'Content-Security-Policy')[0]!;
    expect(csp.attrs.content).toMatch(/^default-src 'none'; style-src 'unsafe-inline'; script-src 'sha256-[A-Za-z0-9+/=]+'; img-src data:$/);
    // No address but the SVG namespace.
    expect(html.replace(/xmlns="http:\/\/www\.w3\.org\/2000\/svg"/g, '')).not.toMatch(/https?:|src=|href=|@import|url\((?!#)/);
    expect(html).not.toMatch(/NaN|undefined/);
  });

  it('has the verdicts, the cause chain with the servers\' log lines, the timelines, the charts and the event log', () => {
    const text = textOf(doc);
    const verdicts = all(doc, (e) => e.attrs.class?.startsWith('verdict ') === true).map(textOf);
    expect(verdicts[0]).toContain('717,000 acknowledged commits lost');
    expect(verdicts.some((v) => v.includes('Survivor') && v.includes('db002'))).toBe(true);
    // The chain's steps are facts with markup: the setting is code (textOf drops text after a child element).
    expect(html).toContain('<code>recovery_target_timeline = &#39;current&#39;</code> (the 9.3 default)');
    expect(all(doc, (e) => e.name === 'pre').map(textOf)).toContain('walreceiver LOG:  replication terminated by primary server\n  DETAIL:  End of WAL reached on timeline 15 at 0/2EF20000.');
    // The timeline-branch diagram: timelines 15, 16, 17 as branches; 16 and 17 fork from 15 at the switchpoint.
    const branches = all(doc, (e) => e.attrs.class === 'branches')[0]!;
    expect(all(branches, (e) => e.attrs.class === 'branch').map((e) => e.attrs['data-tli'])).toEqual(['15', '16', '17']);
    expect(all(branches, (e) => e.attrs.class === 'fork')).toHaveLength(2);
    const forkX = all(branches, (e) => e.attrs.class === 'fork').map((e) => /^M([\d.]+)/.exec(e.attrs.d!)![1]);
    expect(new Set(forkX).size).toBe(1);
    expect(all(branches, (e) => e.attrs.class === 'node').map((e) => e.attrs['data-node'])).toEqual(['db000', 'db001', 'db002']);
    expect(all(branches, (e) => e.attrs.class === 'lost-label').map(textOf)).toEqual(['717,000 commits lost']);
    // The surviving history (15 → 17) is thick, 16 thin.
    const width = (tli: string) => Number(all(branches, (e) => e.attrs.class === 'branch' && e.attrs['data-tli'] === tli)[0]!.attrs['stroke-width']);
    expect(width('17')).toBeGreaterThan(width('16'));
    expect(width('15')).toBe(width('17'));
    // The chart, the same as --chart writes.
    expect(html).toContain(renderChartSvg(base).trim());
    // The event log: a row per shown event, filterable by node.
    const boxes = all(doc, (e) => e.name === 'input' && e.attrs['data-filter'] !== undefined).map((e) => e.attrs.value);
    expect(boxes).toEqual(['db000', 'db001', 'db002']);
    const rows = all(doc, (e) => e.name === 'tr' && e.attrs['data-node'] !== undefined);
    expect(rows.length).toBeGreaterThan(10);
    expect(new Set(rows.map((r) => r.attrs['data-node']))).toEqual(new Set(['db000', 'db001', 'db002']));
  });

  it('escapes every string from the scenario: markup, script and control characters stay text', () => {
    const markup = '<script>alert(1)</script><img src=x onerror=alert(2)>&amp;';
    const evil = `${markup}\u001b[31m\u0007\u0000"'`;
    // The loader refuses control characters in a name or description, so the scenario carries the markup only.
    const yaml = readFileSync('scenarios/split-brain.yaml', 'utf8')
      .replace('name: split-brain', `name: ${JSON.stringify(`split ${markup}`)}`)
      .replace(/description: >\n {2}WAN cut[^\n]*\n[^\n]*\n/, `description: ${JSON.stringify(`desc ${markup}`)}\n`);
    const real = runScenario(loadScenarioText(yaml, 'evil.yaml', { variant: 'one-manager' }));
    expect(real.report.scenario).toContain('<script>');
    // And every string of the report with control characters too, as the renderers might one day get them.
    const r: Report = {
      ...real.report,
      scenario: `split ${evil}`,
      description: `desc ${evil}`,
      variant: `v${evil}`,
      // Facts are rendered from their fields: the names in them (and a string API's text) carry it too.
      events: real.report.events.map((e) => ({ ...e, node: e.node === null ? null : `${e.node}${evil}`, message: `${e.message}${evil}`, fact: withEvil(e.fact, evil), log: [...e.log, evil] })),
      nodes: real.report.nodes.map((n) => ({ ...n, name: `${n.name}${evil}`, history: evil })),
      expectations: real.report.expectations.map((e) => ({ ...e, name: evil, detail: evil })),
      outages: real.report.outages.map((o) => ({ ...o, cause: evil, workload: evil })),
    };
    const pages = [renderHtml(real), renderHtml({ ...real, report: r })];
    for (const page of pages) {
      const d = parsePage(page);
      checkElements(d);
      expect(page).not.toMatch(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/);
      expect(page).not.toContain('<script>alert');
      expect(page).not.toContain('<img');
      expect(textOf(d)).toContain('<script>alert(1)</script><img src=x onerror=alert(2)>&amp;');
      if (page !== pages[0]) expect(textOf(d)).toContain('<script>alert(1)</script><img src=x onerror=alert(2)>&amp;␛[31m␇␀"\'');
      // The chart inside parses as XML on its own too.
      const svg = /<svg xmlns="http:\/\/www.w3.org\/2000\/svg" width=[\s\S]*?<\/svg>/.exec(page)![0];
      expect(parseXml(svg).name).toBe('svg');
    }
    const svgAlone = renderChartSvg({ ...real, report: r });
    expect(parseXml(svgAlone).name).toBe('svg');
    expect(svgAlone).not.toMatch(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/);
  });
});

describe('renderHtml: verdicts and requests (html/outcomes.ts)', () => {
  it('has the verdicts with their cause chains, and the requests per workload with their intervals, as the JSON has them', () => {
    const yaml = (retries: string) => patroniFailoverYaml({ end: '10:10', cut: '10:02', workload: retries });
    const r = runScenario(loadScenarioText(yaml(''), 'o.yaml'));
    const page = parsePage(renderHtml(r));
    checkElements(page);
    const h2 = all(page, (e) => e.name === 'h2').map(textOf);
    expect(h2).toContain('Verdicts');
    expect(h2).toContain('Requests');
    const h3 = all(page, (e) => e.name === 'h3').map(textOf);
    expect(h3.some((t) => t.startsWith('No primary in c, from 10:02:'))).toBe(true);
    // The requests table: the whole run, then the failover's interval, with the report's counts.
    const req = r.report.requests[0]!;
    const table = all(page, (e) => e.name === 'table').find((t) => textOf(t).includes('the whole run'))!;
    const rows = all(table, (e) => e.name === 'tr').slice(1).map((tr) => all(tr, (e) => e.name === 'td').map(textOf));
    expect(rows).toHaveLength(1 + req.intervals.length);
    expect(rows[0]!.slice(0, 4)).toEqual(['clients', 'the whole run', '', req.offered.toLocaleString('en-US')]);
    expect(rows[0]![6]).toBe(`${count(req.failed)} (${percent(req.failed / req.offered)})`);
    expect(rows[1]![1]).toMatch(/^10:02:00/);
    expect(all(page, (e) => e.attrs.class?.startsWith('verdict ') === true).map(textOf).some((t) => t.endsWith('Requests') && t.includes('failed of'))).toBe(true);
    // With retries that outlast the failover nothing failed: the row says so.
    const retried = runScenario(loadScenarioText(yaml(', retries: {count: 6, backoff: 1s}'), 'o.yaml'));
    const rows2 = all(parsePage(renderHtml(retried)), (e) => e.name === 'tr').map((tr) => all(tr, (e) => e.name === 'td').map(textOf)).filter((c) => c[1] === 'the whole run');
    expect(rows2[0]![6]).toBe('0 (0%)');
  });
});

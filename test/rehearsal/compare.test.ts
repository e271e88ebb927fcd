import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { comparedRuns, comparisonJson, renderComparison, runComparison } from '../../src/rehearsal/compare.ts';
import { renderComparisonHtml } from '../../src/rehearsal/compare-html.ts';
import { lostColumn } from '../../src/rehearsal/outcome.ts';
import { percent } from '../../src/report/format.ts';
import type { DataLossJson } from '../../src/report/types.ts';
import { renderVariants, variantBanner } from '../../src/rehearsal/variants.ts';
import { ScenarioError } from '../../src/scenario/errors.ts';
import { all, parseXml, textOf, type El } from '../support/xml.ts';

const mackerel = { file: 'scenarios/mackerel-2017.yaml', text: readFileSync('scenarios/mackerel-2017.yaml', 'utf8') };
const walKeep = { file: 'scenarios/wal-keep-size.yaml', text: readFileSync('scenarios/wal-keep-size.yaml', 'utf8') };

describe('compare', () => {
  it('fits the width with several files (long file names, mixed units): a table from about 70 columns, blocks below', () => {
    const files = ['scenarios/async-cross-site-failover.yaml', 'scenarios/pacemaker-network-freeze.yaml', 'scenarios/mackerel-2017.yaml'].map((file) => ({ file, text: readFileSync(file, 'utf8') }));
    const rows = runComparison(comparedRuns(files, [])).map((r) => r.row);
    for (const width of [60, 80, 100, 160]) {
      const text = renderComparison(rows, width);
      expect(text.split('\n').filter((l) => Buffer.byteLength(l) > width), `width ${width}`).toEqual([]);
    }
    expect(renderComparison(rows, 100)).toMatch(/^run +verdicts +lost +stalls/m);
    // Too narrow for seven columns: each run is a block of "heading: cell" lines.
    expect(renderComparison(rows, 60)).toMatch(/^mackerel-2017\.yaml baseline\n {2}verdicts: /m);
    expect(renderComparison(rows, 60)).toContain('  lost: 717,000 commits, 14:30:15.005 to 15:30:00');
  });

  it('compare --html escapes every string from the scenario: its name, description, variant and expectation names stay text', () => {
    const markup = '<script>alert(1)</script><img src=x onerror=alert(2)>&amp;';
    const yaml = readFileSync('scenarios/split-brain.yaml', 'utf8')
      .replace('name: split-brain', `name: ${JSON.stringify(`split ${markup}`)}`)
      .replace("- name: the east side's commits after the fork are lost for good", `- name: ${JSON.stringify(`lost ${markup}`)}`)
      .replace('description: Only the east manager', `description: ${JSON.stringify(`${markup} Only the east manager`)}\n    x-was:`)
      .replace(/\n {4}x-was:[^\n]*/, '');
    const html = renderComparisonHtml(runComparison(comparedRuns([{ file: 'evil.yaml', text: yaml }], ['one-manager'])));
    expect(html).not.toContain('<script>alert');
    expect(html).not.toContain('<img');
    const doc = parseXml(html.replace(/^<!DOCTYPE html>\n/, ''));
    const names = new Set<string>();
    const walk = (e: El) => {
      names.add(e.name);
      for (const k of Object.keys(e.attrs)) expect(k, `attribute ${k} on <${e.name}>`).not.toMatch(/^on/i);
      e.children.forEach(walk);
    };
    walk(doc);
    expect(names.has('img')).toBe(false);
    expect(all(doc, (e) => e.name === 'script').every((e) => !e.text.includes('alert'))).toBe(true);
    expect(textOf(doc)).toContain(`split ${markup}`);
    expect(textOf(doc)).toContain(`${markup} Only the east manager`);
  });


  it('the loss column names its unit: commits for clusters, writes for block devices, each row\'s own when they are mixed (audit S16)', () => {
    const pacemaker = { file: 'scenarios/pacemaker-network-freeze.yaml', text: readFileSync('scenarios/pacemaker-network-freeze.yaml', 'utf8') };
    const rows = runComparison(comparedRuns([pacemaker], ['dont-care'])).map((r) => r.row);
    const lossy = rows.find((r) => r.variant === 'dont-care')!;
    // The JSON keeps lostCommits (every lost unit); the block device's writes are told apart.
    expect(lossy.lostCommits).toBeGreaterThan(1000);
    expect(lossy.lostBlockWrites).toBe(lossy.lostCommits);
    const text = renderComparison(rows, 100);
    expect(text).toMatch(/^run +verdicts +writes lost +stalls/m);
    expect(text).not.toContain('commits lost');
    expect(renderComparisonHtml(runComparison(comparedRuns([pacemaker], ['dont-care'])))).toContain('<th>writes lost</th>');
    const col = lostColumn([lossy, { dataLoss: [{} as DataLossJson], lostCommits: 717_000, lostBlockWrites: 0 }]);
    expect(col.head).toBe('lost');
    expect(col.cell(lossy)).toBe(`${lossy.lostCommits.toLocaleString('en-US')} writes`);
    expect(col.cell({ dataLoss: [{} as DataLossJson], lostCommits: 717_000, lostBlockWrites: 0 })).toBe('717,000 commits');
    expect(lostColumn([{ dataLoss: [], lostCommits: 0, lostBlockWrites: 0 }]).head).toBe('commits lost');
  });

  it('a DRBD run whose writes fell short of the offer says so beside its stalls, and its loss column counts writes (drbd-wan-switchover)', () => {
    const file = 'scenarios/drbd-wan-switchover.yaml';
    const runs = runComparison(comparedRuns([{ file, text: readFileSync(file, 'utf8') }], []));
    const rows = runs.map((r) => r.row);
    const text = renderComparison(rows, 100);
    expect(text).toMatch(/^run +verdicts +writes lost +stalls/m);
    expect(text).toMatch(/^baseline .*none +1: 5 min[^\n]*\n +slowed to 62%\n +for 14 min 56 s/m);
    const html = renderComparisonHtml(runs.map((r) => ({ row: r.row, result: r.result })));
    expect(html).toContain('none; slowed to 62% for 14 min 56 s');
  });

  it('runs the baseline and every variant, or those named, of each file', () => {
    expect(comparedRuns([mackerel], []).map((r) => r.variant)).toEqual([null, 'latest-timeline', 'lag-only']);
    expect(comparedRuns([mackerel], ['lag-only']).map((r) => r.variant)).toEqual([null, 'lag-only']);
    // A variant only one file defines runs for that file; one no file defines is the loader's error.
    const both = comparedRuns([mackerel, walKeep], ['keep-8gb']);
    expect(both.map((r) => `${r.file}:${r.variant}`)).toEqual(['scenarios/mackerel-2017.yaml:null', 'scenarios/wal-keep-size.yaml:null', 'scenarios/wal-keep-size.yaml:keep-8gb']);
    expect(() => comparedRuns([mackerel], ['latest-timelin'])).toThrow(ScenarioError);
    try {
      comparedRuns([mackerel], ['latest-timelin']);
    } catch (e) {
      expect((e as ScenarioError).format()).toMatch(/did you mean "latest-timeline"/);
    }
  });

  it('rows hold what each run came to: the loss and its window, the outages, the first warning, the expectations', () => {
    const results = runComparison(comparedRuns([mackerel], []));
    const [base, latest, patroni] = results.map((r) => r.row);
    expect(base).toMatchObject({ variant: null, lostCommits: 717_000, expectationsFailed: 0 });
    expect(base!.lossWindow).toEqual({ from: '2017-08-07T14:30:15.005+09:00', to: '2017-08-07T15:30:00+09:00' });
    expect(base!.firstWarning?.at).toBe('2017-08-07T14:34:45+09:00');
    expect(base!.firstWarning?.what).toContain('has already been removed');
    expect(latest).toMatchObject({ variant: 'latest-timeline', lostCommits: 0, lossWindow: null, firstWarning: null });
    expect(patroni!.outageSeconds).toBeGreaterThan(1800);
    const json = JSON.parse(comparisonJson(results.map((r) => r.row)));
    for (const k of ['file', 'variant', 'verdicts', 'dataLoss', 'stalls', 'outages', 'expectations']) expect(json.rows[0]).toHaveProperty(k);
    expect(json.rows[0].variant).toBeNull();
    expect(json.rows[0].dataLoss[0]).toMatchObject({ cluster: 'mackerel', timeline: 16, commits: 717_000 });
    const text = renderComparison(results.map((r) => r.row), 100);
    for (const line of text.split('\n')) expect(Buffer.byteLength(line)).toBeLessThanOrEqual(100);
    expect(text).toMatch(/^baseline +\S+ +717,000/m);
    expect(text).toMatch(/^latest-timeline +\S+ +none/m);
    // The HTML page: one chart per run, all on the same axis (the same plot edges and ticks).
    const html = renderComparisonHtml(results);
    expect(html.match(/<svg /g)).toHaveLength(3);
    const ticks = [...html.matchAll(/<g class="x-axis">([\s\S]*?)<\/g>/g)].map((m) => m[1]!.replace(/y1="[^"]*"|y2="[^"]*"|y="[^"]*"/g, ''));
    expect(ticks).toHaveLength(3);
    expect(new Set(ticks).size).toBe(1);
    // The requests column: what each run's clients got (report requests), as its row has it.
    expect(html).toContain('<th>requests</th>');
    const share = (x: number) => percent(x / patroni!.requests.offered);
    expect(patroni!.requests.failed).toBeGreaterThan(0);
    expect(html).toContain(`${share(patroni!.requests.failed)} failed, ${share(patroni!.requests.waited)} waited`);
    expect(json.rows[0].requests.offered).toBeGreaterThan(0);
  });

  it('an expectation that fails shows in its row', () => {
    const [base] = runComparison(comparedRuns([mackerel], ['lag-only']).slice(0, 1), { sets: ['faults.db001-lost.at=15:00'] });
    expect(base!.row.expectationsFailed).toBe(1);
    expect(renderComparison([base!.row])).toMatch(/1 of 2 FAIL/);
  });

  it("a folded (>) variant description is one line in the row and the table, not a visible '␊'", () => {
    const runbook = { file: 'scenarios/switchover-runbook.yaml', text: readFileSync('scenarios/switchover-runbook.yaml', 'utf8') };
    const rows = runComparison(comparedRuns([runbook], ['synchronous'])).map((x) => x.row);
    expect(rows[1]!.description).toMatch(/^pg2 is a synchronous standby .* instead of losing them\.$/);
    const text = renderComparison(rows);
    expect(text).toContain('synchronous:\n  pg2 is a synchronous standby');
    expect(text).not.toContain('\u240a');
  });

  it('variants are listed with their descriptions, and run --variant names one', () => {
    const text = renderVariants(mackerel.text, mackerel.file, 100);
    expect(text).toMatch(/^ {2}latest-timeline +The remediation - db002 runs with recovery_target_timeline/m);
    for (const line of text.split('\n')) expect(line.length).toBeLessThanOrEqual(100);
    expect(variantBanner(mackerel.text, mackerel.file, 'lag-only')).toMatch(/^variant lag-only: A manager applying Patroni's lag rule/);
  });
  it('says under the table which operations were refused: a plan step that did nothing', () => {
    const file = 'scenarios/patroni-switchover-wan.yaml';
    const rows = runComparison([{ file, text: readFileSync(file, 'utf8'), variant: null, description: '' }]).map((x) => x.row);
    expect(rows[0]!.refusals.map((x) => x.message)).toEqual([expect.stringMatching(/switchover is not possible/)]);
    expect(renderComparison(rows)).toMatch(/refused 02:10:00\.001: patroni on pg-old1: switchover: no healthy members found/);
  });
});

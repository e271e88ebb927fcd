/**
 * `replsim compare --html` in a real browser (npm run test:browser): one file with the table and every run's
 * chart; it loads nothing, logs no error, and the charts share one time axis: for the runs of one file the
 * same instant is at the same horizontal position on screen in every chart (checked on the rendered tick
 * marks); two files of different days are aligned on their starts, on one scale.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { renderComparisonHtml } from '../../src/rehearsal/compare-html.ts';
import { comparedRuns, runComparison } from '../../src/rehearsal/compare.ts';
import { browserSession, SCREENSHOTS as OUT } from './chromium.ts';

const source = (file: string) => ({ file, text: readFileSync(file, 'utf8') });
const { open } = browserSession('compare');

/** Per chart: the screen x of each tick mark under the plot, keyed by the tick's label. */
async function ticks(page: Page): Promise<Map<string, number>[]> {
  const pairs = await page.locator('.figure svg').evaluateAll((svgs) =>
    svgs.map((svg) => {
      const out: [string, number][] = [];
      const axis = svg.querySelector('g.x-axis')!;
      for (const t of axis.querySelectorAll('text[text-anchor="middle"][font-size="10"]')) {
        const r = t.getBoundingClientRect();
        out.push([t.textContent ?? '', Math.round((r.left + r.width / 2) * 10) / 10]);
      }
      return out;
    }),
  );
  return pairs.map((p) => new Map(p));
}

describe('compare --html', () => {
  it("one file's baseline and variants: a row and a chart per run, the same tick at the same place in every chart", async () => {
    const results = runComparison(comparedRuns([source('scenarios/mackerel-2017.yaml')], []));
    const { page, problems } = await open('compare-mackerel', renderComparisonHtml(results));
    expect(await page.locator('tbody tr').count()).toBe(results.length);
    expect(await page.locator('.figure svg').count()).toBe(results.length);
    const all = await ticks(page);
    expect(all[0]!.size).toBeGreaterThanOrEqual(4);
    for (const t of all.slice(1)) expect([...t.entries()]).toEqual([...all[0]!.entries()]);
    await page.screenshot({ path: join(OUT, 'compare-mackerel.png'), fullPage: true });
    await page.close();
    expect(problems).toEqual([]);
  });

  it('two files of different days: the charts are aligned on their starts, on one scale', async () => {
    const files = ['scenarios/mackerel-2017.yaml', 'scenarios/wal-keep-size.yaml'];
    const results = runComparison(comparedRuns(files.map(source), ['latest-timeline']));
    const { page, problems } = await open('compare-two-files', renderComparisonHtml(results));
    expect(await page.locator('.figure svg').count()).toBe(results.length);
    expect(await page.locator('p.muted').first().textContent()).toContain('aligned on their starts');
    const boxes = await page.locator('.figure svg').evaluateAll((svgs) => svgs.map((s) => s.getBoundingClientRect().left));
    expect(new Set(boxes).size).toBe(1);
    const all = await ticks(page);
    const xs = all.map((t) => [...t.values()]);
    const pitch = (v: number[]) => (v.length > 1 ? (v[v.length - 1]! - v[0]!) / (v.length - 1) : 0);
    // The same tick spacing on screen (the same scale), whatever the zone of the labels.
    for (const v of xs.slice(1)) expect(Math.abs(pitch(v) - pitch(xs[0]!))).toBeLessThan(0.5);
    await page.screenshot({ path: join(OUT, 'compare-two-files.png'), fullPage: true });
    await page.close();
    expect(problems).toEqual([]);
  });
});

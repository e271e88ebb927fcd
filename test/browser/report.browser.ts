/**
 * The HTML report in a real browser (npm run test:browser): Debian's Chromium, headless, opens the page of
 * every shipped scenario and variant from disk, as a user would; no console message of level error or
 * warning, no page error, no request at all (the page loads nothing); the node filter hides and shows rows;
 * a full-page screenshot of each goes to test-results/browser/ (look at them).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { browserSession, SCREENSHOTS as OUT } from './chromium.ts';
import { renderHtml } from '../../src/report/html/page.ts';
import { runScenario } from '../../src/run.ts';
import { listVariants, loadScenarioFile } from '../../src/scenario/load.ts';

const dir = 'scenarios';
const runs = readdirSync(dir)
  .filter((f) => f.endsWith('.yaml'))
  .sort()
  .flatMap((f) => {
    const path = join(dir, f);
    return [null, ...listVariants(readFileSync(path, 'utf8'), path).map((v) => v.name)].map((variant) => ({ path, variant, name: `${f.replace(/\.yaml$/, '')}${variant ? `--${variant}` : ''}` }));
  });

const { open } = browserSession('html');

describe.each(runs)('$name', ({ path, variant, name }) => {
  it('opens from disk with no error and no request; the filter works; screenshot', async () => {
    const { page, problems } = await open(name, renderHtml(runScenario(loadScenarioFile(path, { variant }))));
    expect(await page.title()).toMatch(/^replsim: /);
    expect(await page.locator('svg').count()).toBeGreaterThanOrEqual(1);
    // The charts have a size (they rendered), and the verdicts are there.
    const box = await page.locator('.figure svg').last().boundingBox();
    expect(box!.width).toBeGreaterThan(500);
    expect(await page.locator('.verdict').count()).toBeGreaterThanOrEqual(2);
    // Unticking a node hides its rows, ticking shows them again.
    const boxes = page.locator('input[data-filter]');
    if ((await boxes.count()) > 1) {
      const node = (await boxes.first().getAttribute('value'))!;
      const rows = page.locator(`tr[data-node="${node.replace(/"/g, '\\"')}"]`);
      const n = await rows.count();
      expect(n).toBeGreaterThan(0);
      await boxes.first().uncheck();
      expect(await page.locator(`tr[data-node="${node.replace(/"/g, '\\"')}"]:visible`).count()).toBe(0);
      await boxes.first().check();
      expect(await page.locator(`tr[data-node="${node.replace(/"/g, '\\"')}"]:visible`).count()).toBe(n);
    }
    await page.screenshot({ path: join(OUT, `${name}.png`), fullPage: true });
    await page.close();
    expect(problems).toEqual([]);
  });
});

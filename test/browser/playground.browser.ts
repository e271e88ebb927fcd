/**
 * The playground (docs/playground/) in headless Chromium: it builds, loads from disk with no error and no
 * request, runs the real engine on load, and a slider changes the outcome: db001 lost earlier loses fewer
 * commits, over a shorter window.
 */
import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Page } from 'playwright-core';
import { browserSession, SCREENSHOTS as OUT, watch } from './chromium.ts';
import { describe, expect, it } from 'vitest';

const { browser } = browserSession('playground', () => {
  const b = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/build-playground.ts'], { encoding: 'utf8' });
  expect(b.status, b.stderr).toBe(0);
});

/** Waits for the page's n-th run (a function, not a string: the page's CSP forbids eval). */
async function runs(page: Page, n: number): Promise<void> {
  type Body = { document: { body: { dataset: Record<string, string | undefined> } } };
  await page.waitForFunction((k) => (globalThis as unknown as Body).document.body.dataset.runs === String(k), n, { timeout: 120_000 });
}

describe('playground', () => {
  it('runs the engine in the browser; moving the fault time moves the loss window', async () => {
    const page = await browser().newPage({ viewport: { width: 1100, height: 900 } });
    const { problems, requests } = watch(page);
    const url = pathToFileURL(resolve('docs/playground/index.html')).href;
    await page.goto(url, { waitUntil: 'load' });
    await runs(page, 1);
    expect(await page.locator('#status').textContent()).not.toMatch(/^error/);
    const before = { lost: await page.getAttribute('body', 'data-lost'), window: await page.getAttribute('body', 'data-window') };
    expect(before).toEqual({ lost: '717000', window: '2017-08-07T14:30:15.005+09:00/2017-08-07T15:30:00+09:00' });
    expect(await page.locator('#chart svg').count()).toBe(1);
    // db001 lost at 15:00 instead of 15:30.
    await page.locator('#slider-loss').fill('60');
    await runs(page, 2);
    const after = { lost: await page.getAttribute('body', 'data-lost'), window: await page.getAttribute('body', 'data-window') };
    expect(after).toEqual({ lost: '357000', window: '2017-08-07T14:30:15.005+09:00/2017-08-07T15:00:00+09:00' });
    expect(await page.locator('#summary').textContent()).toContain('357,000 acknowledged commits lost');
    await page.screenshot({ path: join(OUT, 'playground.png'), fullPage: true });
    // The other scenarios run too: the DRBD migration (with 12 drives in the new array the first stall no
    // longer ends at the peer's disk but at the primary's, which the resync now saturates: two of the
    // scenario's expectations about where the stalls end fail) and the wraparound.
    await page.selectOption('#scenario', '2');
    await runs(page, 3);
    expect(await page.locator('#summary').textContent()).toContain('4 stalls');
    expect(await page.locator('#summary').textContent()).toContain('Expectations all 4 hold');
    await page.locator('#slider-members').fill('12');
    await runs(page, 4);
    expect(await page.locator('#status').textContent()).not.toMatch(/^error/);
    expect(await page.locator('#summary').textContent()).toContain('Expectations 2 of 4 FAILED');
    await page.selectOption('#scenario', '1');
    await runs(page, 5);
    expect(await page.locator('#summary').textContent()).toMatch(/peaked at 1,3\d\d,\d{3},\d{3}/); // the GO peak, as the engine computes it in Node (docs/scenarios.md)
    expect(requests).toEqual([url]);
    expect(problems).toEqual([]);
    await page.close();
  });
});

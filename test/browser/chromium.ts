/** Debian's Chromium under Playwright for the browser tests, and what a page reported while it was open. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, expect } from 'vitest';

/** Where the screenshots go (look at them). */
export const SCREENSHOTS = resolve('test-results/browser');

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    // As root in a closed network: no sandbox, and none of Chromium's own connections (they would fail).
    // Playwright gives every launch a fresh, empty profile of its own (a --user-data-dir of its making).
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/** Console errors and warnings, page errors and failed requests (problems), and every request made. */
export function watch(page: Page): { problems: string[]; requests: string[] } {
  const problems: string[] = [];
  const requests: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('requestfailed', (r) => problems.push(`failed request: ${r.url()}`));
  page.on('request', (r) => requests.push(r.url()));
  return { problems, requests };
}

/**
 * One browser for a test file: launched before its tests (after `prepare`, if given), closed after them,
 * with a temporary folder for the pages it writes. `open` writes an HTML string to a file there and loads
 * it as a user would, from disk, and checks that the page itself is the only request it makes.
 */
export function browserSession(prefix: string, prepare?: () => void): {
  browser: () => Browser;
  open: (name: string, html: string) => Promise<{ page: Page; problems: string[] }>;
} {
  let browser: Browser | undefined;
  const pages = mkdtempSync(join(tmpdir(), `replsim-${prefix}-`));
  beforeAll(async () => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    prepare?.();
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    rmSync(pages, { recursive: true, force: true });
  });
  const get = () => browser ?? (() => { throw new Error('the browser is not launched yet'); })();
  return {
    browser: get,
    async open(name, html) {
      const file = join(pages, `${name}.html`);
      writeFileSync(file, html);
      const page = await get().newPage({ viewport: { width: 1100, height: 900 } });
      const { problems, requests } = watch(page);
      const url = pathToFileURL(file).href;
      await page.goto(url, { waitUntil: 'load' });
      // The only request is the page itself.
      expect(requests).toEqual([url]);
      return { page, problems };
    },
  };
}

import { defineConfig } from 'vitest/config';

/** npm run test:browser: the HTML report in headless Chromium (test/browser/), kept out of the default suite. */
export default defineConfig({
  test: {
    include: ['test/browser/**/*.browser.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    fileParallelism: false,
  },
});

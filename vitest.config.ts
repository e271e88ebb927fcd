import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const deep = process.env.REPLSIM_DEEP === '1';
const src = (p: string) => fileURLToPath(new URL(`./src/${p}`, import.meta.url));

export default defineConfig({
  resolve: {
    // Tests import the package by name from the sources (the packed package is tested by npm run test:package).
    alias: [
      { find: /^replsim\/testing$/, replacement: src('testing/index.ts') },
      { find: /^replsim$/, replacement: src('index.ts') },
    ],
  },
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/package/**'],
    // Builds the command-line bundle from the current sources before the CLI tests run it.
    globalSetup: ['test/support/build-cli.ts'],
    // Property checks that name no seed use 5 (the deep run: a random one, printed).
    setupFiles: ['test/support/fast-check-seed.ts'],
    // The deep run (npm run test:deep) multiplies the generated cases: give its files the time they need.
    testTimeout: deep ? 900_000 : 60_000,
    pool: 'forks',
    // Every scenario a test runs is run twice and the histories compared (src/run.ts runScenario).
    env: { REPLSIM_SELF_CHECK: '1' },
  },
});

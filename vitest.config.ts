import { defineConfig } from 'vitest/config';

const deep = process.env.REPLSIM_DEEP === '1';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The deep run (npm run test:deep) multiplies the generated cases: give its files the time they need.
    testTimeout: deep ? 900_000 : 60_000,
    pool: 'forks',
    // Every scenario a test runs is run twice and the histories compared (src/run.ts runScenario).
    env: { REPLSIM_SELF_CHECK: '1' },
  },
});

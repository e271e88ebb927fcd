/**
 * The determinism self-check for tests: run a scenario twice and require the same history fingerprint; on a
 * difference, fail naming the first event that differs. The suite also sets REPLSIM_SELF_CHECK=1
 * (vitest.config.ts), so every runScenario in a test does the same.
 */
export { NondeterminismError, runTwice } from '../../src/run.ts';

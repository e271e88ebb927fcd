/**
 * replsim as a library: load a scenario, run it, read the report; and the property-based testing API
 * (fast-check arbitraries of topologies and operation sequences, the property runner, YAML counterexamples),
 * also importable alone as `replsim/testing`. docs/properties.md shows how to use them.
 *
 * The package ships TypeScript sources: import it from TypeScript run by vitest or tsx (`node --import tsx`).
 */
export { runScenario, DEFAULT_LIMITS, type RunOptions, type RunResult } from './run.ts';
export { loadScenarioFile, loadScenarioText, listVariants, type LoadOptions } from './scenario/load.ts';
export type * from './scenario/types.ts';
export * from './testing/index.ts';

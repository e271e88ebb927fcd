/**
 * replsim as a library: load a scenario, run it, read the report, draw it; and the property-based testing
 * API (fast-check arbitraries of topologies and operation sequences, the property runner, YAML
 * counterexamples), also importable alone as `replsim/testing`. docs/properties.md shows how to use them.
 */
export { runScenario, runTwice, NondeterminismError, DEFAULT_LIMITS, type RunOptions, type RunResult } from './run.ts';
export { loadScenarioFile, loadScenarioText, listVariants, MAX_SCENARIO_BYTES, type LoadOptions } from './scenario/load.ts';
export { ScenarioError } from './scenario/errors.ts';
export { SimulationLimitError, type RunLimits } from './engine/simulation.ts';
export { InvariantViolation } from './engine/invariant.ts';
export { historyDifference } from './history/diff.ts';
export { renderChartSvg, type ChartInput, type ChartOptions } from './report/chart.ts';
export { renderText, type TextOptions } from './report/text.ts';
export type * from './report/types.ts';
export type { World } from './models/world.ts';
export type { PgCluster } from './models/postgres/cluster.ts';
export type { PgNode } from './models/postgres/node.ts';
export type * from './scenario/types.ts';
export * from './testing/index.ts';

/**
 * Type names docs/properties.md uses, imported as a user of the package would: `npx tsc --noEmit` checks
 * that the package exports them (test/testing/property.test.ts checks the values).
 */
import type { PgCluster, Report, RunOptions, RunResult, Scenario, ScenarioPropertyOptions, ScenarioPropertyRun, World } from 'replsim';

export type DocumentedTypes = [PgCluster, Report, RunOptions, RunResult, Scenario, ScenarioPropertyOptions, ScenarioPropertyRun, World];

/** An observer as docs/properties.md shows it: the world after every event. */
export const observe: RunOptions['afterEvent'] = (world: World) => {
  for (const c of world.clusters.values()) {
    const cluster: PgCluster = c;
    void cluster.nodes;
  }
};

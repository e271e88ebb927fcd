/**
 * Scenarios the deep property runs found (incremental-plan, rebuild and parked-retries tests with random seeds),
 * kept as regressions: each ran into a model invariant, gave a different run when every stream and server was
 * looked at every time, or a different report when every retry attempt was run. Each must now run to its end and
 * give the same report and history both ways, and the same report with its retry loops parked or stepped.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { ChangedNodes } from '../../src/models/postgres/changed-nodes.ts';
import { withoutParking } from '../../src/models/postgres/retry.ts';
import { StreamPlanner } from '../../src/models/postgres/stream-plan.ts';
import { runScenario } from '../../src/run.ts';
import { loadScenarioText } from '../../src/scenario/load.ts';

const dir = new URL('../fixtures/counterexamples/', import.meta.url);

function load(file: string) {
  return loadScenarioText(readFileSync(new URL(file, dir), 'utf8'), file);
}

/** The report apart from what counts the simulation's own work (kernel events, the history fingerprint). */
function reportOf(file: string): string {
  const { fingerprint: _f, stats: _s, ...rest } = runScenario(load(file)).report;
  return JSON.stringify(rest);
}

function outcome(file: string, always: boolean): { report: string; fingerprint: string } {
  StreamPlanner.replanAlways = always;
  ChangedNodes.everyNode = always;
  const r = runScenario(load(file));
  return { report: JSON.stringify(r.report), fingerprint: r.history.fingerprint };
}

describe('counterexamples of the deep property runs', () => {
  afterEach(() => {
    StreamPlanner.replanAlways = false;
    ChangedNodes.everyNode = false;
  });

  for (const file of readdirSync(dir).filter((f) => f.endsWith('.yaml'))) {
    it(file, () => {
      const inc = outcome(file, false);
      const full = outcome(file, true);
      expect(inc.fingerprint).toBe(full.fingerprint);
      expect(inc.report).toBe(full.report);
      expect(reportOf(file)).toBe(withoutParking(() => reportOf(file)));
    });
  }
});

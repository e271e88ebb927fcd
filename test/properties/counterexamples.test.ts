/**
 * Scenarios the deep property runs found (test/properties/incremental-plan.test.ts with random seeds), kept as
 * regressions: each ran into a model invariant or gave a different run when every stream and server was looked at
 * every time. Each must now run to its end, and give the same report and history both ways.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { ChangedNodes } from '../../src/models/postgres/changed-nodes.ts';
import { StreamPlanner } from '../../src/models/postgres/stream-plan.ts';
import { runScenario } from '../../src/run.ts';
import { loadScenarioText } from '../../src/scenario/load.ts';

const dir = new URL('../fixtures/counterexamples/', import.meta.url);

function outcome(file: string, always: boolean): { report: string; fingerprint: string } {
  StreamPlanner.replanAlways = always;
  ChangedNodes.everyNode = always;
  const r = runScenario(loadScenarioText(readFileSync(new URL(file, dir), 'utf8'), file));
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
    });
  }
});

/**
 * The testing API as a test engineer uses it (issue 15): a random seed unless one is given, printed with the
 * path on failure, replay by seed and path; a counterexample file of its own per failure; the YAML in a
 * plain fc.assert's report; every name docs/properties.md uses exported.
 */
import { readFileSync, readdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import * as replsim from 'replsim';
import { assertScenarioProperty, printable, scenarioArbitrary, ScenarioPropertyFailure } from 'replsim/testing';
import { loadScenarioText } from '../../src/scenario/load.ts';

/** A property that fails on most generated scenarios: at most one action. */
const fewActions = (s: replsim.Scenario) => s.actions.length <= 1;
const arb = scenarioArbitrary({ operations: { count: { min: 0, max: 6 } } });

function failure(f: () => unknown): ScenarioPropertyFailure {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(ScenarioPropertyFailure);
    return e as ScenarioPropertyFailure;
  }
  throw new Error('the property passed');
}

describe('seeds', () => {
  let saved: fc.GlobalParameters;
  beforeEach(() => {
    // The suite fixes a global seed (test/support/fast-check-seed.ts): here, as for a user, there is none.
    saved = fc.readConfigureGlobal();
    fc.resetConfigureGlobal();
  });
  afterEach(() => fc.configureGlobal(saved));

  it('are random unless given, and returned', () => {
    const seeds = new Set(Array.from({ length: 5 }, () => assertScenarioProperty('always', arb, () => true, { numRuns: 2 }).seed));
    expect(seeds.size).toBeGreaterThan(1);
    expect(assertScenarioProperty('always', arb, () => true, { numRuns: 2, seed: 42 })).toEqual({ seed: 42, numRuns: 2 });
    fc.configureGlobal({ seed: 7 });
    expect(assertScenarioProperty('always', arb, () => true, { numRuns: 2 }).seed).toBe(7);
  });

  it('a failure prints its seed and path; { seed, path } replays the same counterexample directly', () => {
    const dir = mkdtempSync(join(tmpdir(), 'replsim-cex-'));
    const first = failure(() => assertScenarioProperty('few actions', arb, fewActions, { numRuns: 50, counterexampleDir: dir }));
    expect(first.path).toMatch(/^\d+(:\d+)*$/);
    expect(first.message).toContain(`seed ${first.seed}, path ${JSON.stringify(first.path)}`);
    expect(first.message).toContain(`check this case again: assertScenarioProperty(name, arb, check, { seed: ${first.seed}, path: ${JSON.stringify(first.path)} })`);
    let calls = 0;
    const again = failure(() =>
      assertScenarioProperty('few actions', arb, (s) => (calls++, fewActions(s)), { seed: first.seed, path: first.path!, counterexampleDir: dir }),
    );
    expect(calls).toBe(1);
    const body = (yaml: string) => yaml.replace(/^#.*\n/gm, '');
    expect(body(again.yaml)).toBe(body(first.yaml));
    expect(again.path).toBe(first.path);
    // The file loads and is the counterexample.
    expect(loadScenarioText(readFileSync(first.file!, 'utf8'), first.file!).actions.length).toBe(first.scenario.actions.length);
  });

  it('each failure gets a file of its own (parallel test files never share one)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'replsim-cex-'));
    const a = failure(() => assertScenarioProperty('same name', arb, fewActions, { numRuns: 50, seed: 3, counterexampleDir: dir }));
    const b = failure(() => assertScenarioProperty('same name', arb, fewActions, { numRuns: 50, seed: 3, counterexampleDir: dir }));
    expect(a.file).not.toBe(b.file);
    expect(a.file).toContain(`same-name.seed3.pid${process.pid}`);
    expect(readdirSync(dir)).toHaveLength(2);
  });
});

describe('fast-check reports', () => {
  it('a plain fc.assert prints the counterexample as the scenario file', () => {
    let message = '';
    try {
      fc.assert(fc.property(arb, fewActions), { seed: 3, numRuns: 50 });
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toMatch(/Counterexample: \[\nname: generated\nstart: 2024-01-01T00:00:00\.000Z\n[\s\S]*\nclusters:\n  main:\n[\s\S]*\nplan:\n  - \{ at: /);
    const yaml = /Counterexample: \[\n([\s\S]*?)\n\]\n/.exec(message)![1]!;
    expect(loadScenarioText(yaml, 'counterexample.yaml').clusters[0]!.name).toBe('main');
  });

  it('printing is invisible to equality and JSON', () => {
    const [s] = fc.sample(arb, { numRuns: 1, seed: 1 });
    expect(Object.keys(s!)).not.toContain(String(fc.toStringMethod));
    const copy = JSON.parse(JSON.stringify(s));
    expect(copy).toEqual(s);
    expect(printable({ ...s! })).toEqual(s);
    expect(fc.stringify(printable({ ...s! }))).toContain('clusters:');
  });
});

describe('every name docs/properties.md uses', () => {
  const docs = readFileSync('docs/properties.md', 'utf8');
  /** Types: checked by tsc in test/testing/api-types.ts. */
  const TYPES = new Set(['Scenario', 'PgCluster', 'World', 'Report']);
  /** Not replsim's: JavaScript and the test runners in the recipes. */
  const OTHERS = new Set(['require', 'test', 'describe', 'it', 'expect']);
  const names = new Set([...docs.matchAll(/`([A-Za-z_][A-Za-z0-9_]*)\(/g), ...docs.matchAll(/`([A-Z][A-Za-z0-9_]*)`/g)].map((m) => m[1]!));

  it('is exported by replsim (and the testing API by replsim/testing too)', async () => {
    const testing = await import('replsim/testing');
    expect(names.size).toBeGreaterThan(15);
    for (const n of names) {
      if (TYPES.has(n) || OTHERS.has(n)) continue;
      expect(replsim, n).toHaveProperty(n);
    }
    for (const n of ['scenarioArbitrary', 'topologyArbitrary', 'operationsArbitrary', 'assertScenarioProperty', 'scenarioToYaml', 'printable', 'ScenarioPropertyFailure', 'ScenarioCounterexample']) {
      expect((testing as Record<string, unknown>)[n], n).toBe((replsim as Record<string, unknown>)[n]);
    }
  });
});

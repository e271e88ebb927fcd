/**
 * Property: for any mutation of a valid scenario, loading returns a Scenario or throws a ScenarioError
 * with a position (line, column >= 1) and a one-line message, quickly; never another exception.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { parseDocument } from 'yaml';
import { loadScenarioText, type LoadOptions } from '../../src/scenario/load.ts';
import { MACKEREL } from './helpers.ts';
import { checkLoad, mutate, mutation } from '../support/yaml-mutations.ts';

const FULL_RUNS = process.env.REPLSIM_DEEP ? 20_000 : 1_500;
const TEXT_RUNS = process.env.REPLSIM_DEEP ? 10_000 : 1_000;

function check(text: string, opts: LoadOptions): void {
  checkLoad(text, opts);
}

const BASE = parseDocument(MACKEREL);

const setArg = fc.oneof(
  fc.constantFrom('plan.0.at=14:31', 'faults.db001-lost.at=15:00', 'clusters.mackerel.workload.rate=400/s', 'plan.9.at=1', '__proto__.x=1', 'constructor=1', 'a..b=1', '=', 'x'),
  fc.tuple(fc.constantFrom('plan.0', 'clusters.mackerel', 'clusters.mackerel.nodes.db002.settings', 'seed', 'variants.x.set', 'faults.db001-lost'), fc.string({ maxLength: 6 }), fc.string({ maxLength: 10 })).map(([p, k, v]) => `${p}.${k}=${v}`),
);

const options: fc.Arbitrary<LoadOptions> = fc.record(
  {
    variant: fc.option(fc.constantFrom('latest-timeline', 'latest-timline', '__proto__', ''), { nil: null }),
    sets: fc.array(setArg, { maxLength: 2 }),
    seed: fc.option(fc.oneof(fc.nat(), fc.double()), { nil: null }),
  },
  { requiredKeys: [] },
);

describe('fuzz: mutated scenarios give a Scenario or a positioned ScenarioError', () => {
  it('AST mutations (values, deletions, junk keys, wrong shapes, __proto__)', () => {
    fc.assert(
      fc.property(fc.array(mutation, { minLength: 1, maxLength: 4 }), options, (muts, opts) => {
        const text = mutate(BASE, muts);
        if (text !== null) check(text, opts);
      }),
      { numRuns: FULL_RUNS, seed: 20170807 },
    );
  });

  it('text mutations (syntax damage)', () => {
    const pieces = fc.constantFrom(':', '{', '}', '[', ']', '- ', ' ', '\n', '\n  ', '&a ', '*a', '!!binary ', '!x ', '"', "'", '#', '|', '>', '%', '@', '`', '\t', ',', '? ', '<<: *a', '~', '\u0000', '\uFEFF', 'x'.repeat(300));
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(), fc.nat(3), pieces), { minLength: 1, maxLength: 5 }), (edits) => {
        let text = MACKEREL;
        for (const [pos, del, ins] of edits) {
          const p = pos % (text.length + 1);
          text = text.slice(0, p) + ins + text.slice(p + del);
        }
        check(text, {});
      }),
      { numRuns: TEXT_RUNS, seed: 42 },
    );
  });

  it('the unmutated sample loads', () => {
    expect(() => loadScenarioText(MACKEREL, 'fuzz.yaml')).not.toThrow();
  });
});

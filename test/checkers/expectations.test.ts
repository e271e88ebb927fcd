/** The wording of `expect:` results (checkers/expectations.ts): counts with their nouns, bounds as people write them. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runScenario } from '../../src/run.ts';
import { loadScenarioText } from '../../src/scenario/load.ts';

const FILE = 'scenarios/pacemaker-network-freeze.yaml';

describe('expectation details', () => {
  it('a block device loses writes, not commits; one range, one stall; equal bounds read "exactly"', () => {
    const expectations = 'expect=[{no_data_loss: true}, {stalls: {resource: data, count: {at_least: 2, at_most: 2}}}, {no_stall: true}, {stalls: {resource: data, count: {at_least: 1, at_most: 3}}}]';
    const r = runScenario(loadScenarioText(readFileSync(FILE, 'utf8'), FILE, { variant: 'dont-care', sets: [expectations] })).report;
    const details = r.expectations.map((e) => e.detail);
    expect(details[0]).toMatch(/^[\d,]+ acknowledged writes lost in 1 range$/);
    expect(details[1]).toMatch(/^1 stall, [\d.]+ s in all; expected exactly 2 stalls$/);
    expect(details[2]).toMatch(/^1 stall, [\d.]+ s in all$/);
    expect(r.expectations[3]!.passed).toBe(true);
    for (const d of details) expect(d).not.toMatch(/\(s\)|between (\S+ \S+) and \1/);
  });
});

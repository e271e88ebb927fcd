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

describe('a data_loss window', () => {
  const file = 'scenarios/mackerel-2017.yaml';
  const detail = (window: string) => {
    const r = runScenario(loadScenarioText(readFileSync(file, 'utf8'), file, { sets: [`expect=[{data_loss: {cluster: mackerel, ${window}}}]`] })).report;
    return { passed: r.expectations[0]!.passed, detail: r.expectations[0]!.detail };
  };

  it('holds when the loss lies within the window and covers it (Mackerel loses 14:30:15 to 15:30)', () => {
    expect(detail('from: "14:30", to: "15:30"').passed).toBe(true);
  });

  it('fails when a lost range lies outside the window', () => {
    const d = detail('from: "14:30", to: "15:00"');
    expect(d.passed).toBe(false);
    expect(d.detail).toMatch(/range 14:30:15.*15:30:00 is outside 14:30:00.15:00:00 ± 60 s/);
  });

  it('fails when the loss does not cover the window (the checker and docs/scenario.md agree)', () => {
    const d = detail('from: "14:00", to: "15:30"');
    expect(d.passed).toBe(false);
    expect(d.detail).toMatch(/loss spans 14:30:15.*15:30:00, not the whole window 14:00:00.15:30:00 ± 60 s/);
  });
});

describe('no_data_loss that holds', () => {
  it('says "no acknowledged write was lost" for a run of block devices only (drbd-wan-switchover), commit for a cluster', () => {
    const f = 'scenarios/drbd-wan-switchover.yaml';
    const r = runScenario(loadScenarioText(readFileSync(f, 'utf8'), f)).report;
    expect(r.expectations[0]!.detail).toBe('no acknowledged write was lost');
    const m = 'scenarios/mackerel-2017.yaml';
    const pg = runScenario(loadScenarioText(readFileSync(m, 'utf8'), m, { variant: 'latest-timeline', sets: ['expect=[{no_data_loss: true}]'] })).report;
    expect(pg.expectations[0]!.detail).toMatch(/^no acknowledged commit was lost$|acknowledged commits? lost/);
  });
});

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { explainFound, hunt, renderFound } from '../../src/rehearsal/hunt.ts';
import { loadScenarioText } from '../../src/scenario/load.ts';
import { runScenario } from '../../src/run.ts';
import { errorOf } from '../scenario/helpers.ts';

const FILE = 'scenarios/switchover-runbook.yaml';
const text = readFileSync(FILE, 'utf8');

describe('hunt', () => {
  it('finds a minimal schedule that breaks the plan, the same for the same seed, printed as a variant that reproduces it', () => {
    const s = loadScenarioText(text, FILE);
    const a = hunt(s, { runs: 40, seed: 3 });
    expect(a.found).toBe(true);
    expect(a.schedule.length).toBe(1);
    const b = hunt(s, { runs: 40, seed: 3 });
    expect(b.schedule).toEqual(a.schedule);
    const variant = renderFound(s, a);
    expect(variant).toMatch(/^ {2}hunt-found:\n {4}description: "found by replsim hunt --seed 3: no data loss in billing: [\d,]+ acknowledged commits lost/);
    expect(explainFound(a).join('\n')).toMatch(/pg2 was promoted at 10:20:30 by the plan/);
    // Pasted under variants:, the schedule replays: the same loss.
    const replay = runScenario(loadScenarioText(`${text}${variant}`, FILE, { variant: 'hunt-found' })).report;
    expect(replay.expectations.some((e) => !e.passed)).toBe(true);
    expect(replay.dataLoss.reduce((x, l) => x + l.commits, 0)).toBe(a.report!.dataLoss.reduce((x, l) => x + l.commits, 0));
  });

  it('with pg2 synchronous, no schedule within the bounds loses a commit', () => {
    const r = hunt(loadScenarioText(text, FILE, { variant: 'synchronous' }), { runs: 25, seed: 1 });
    expect(r).toMatchObject({ found: false, runs: 25 });
  });

  it('the hunt section is checked like the rest of the file', () => {
    const bad = (hunt: string) => errorOf(text.replace(/^hunt:[\s\S]*?(?=^variants:)/m, `hunt:\n${hunt}\n`));
    expect(bad('  faults: [{kind: crash, nodes: [pg3]}]').format()).toMatch(/unknown node "pg3"; did you mean "pg1"\?/);
    expect(bad('  faults: [{kind: crash, links: [[dc1, dc2]]}]').message).toMatch(/only a partition cuts a link/);
    expect(bad('  faults: [{kind: crash, nodes: [pg1]}]\n  count: {at_most: 0}').message).toMatch(/a schedule of no fault breaks nothing/);
    expect(bad('  faults: [{kind: crash, nodes: [pg1]}]\n  between: {from: "10:30", to: "10:10"}').message).toMatch(/between.to is before between.from/);
  });
});

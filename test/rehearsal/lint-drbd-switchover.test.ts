/**
 * Lint rule drbd-promote-before-drained (rehearsal/lint/rules-block-switchover.ts) against the run
 * (models/block/switchover.ts): a drbdadm primary the lint calls refused is refused in the run, and one it lets
 * pass works there.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { lintScenarioText } from '../../src/rehearsal/lint/index.ts';
import { runScenario } from '../../src/run.ts';
import { loadScenarioText } from '../../src/scenario/load.ts';

const TEXT = readFileSync('scenarios/drbd-wan-switchover.yaml', 'utf8');
const rule = (variant: string | null, sets: string[] = []) => lintScenarioText(TEXT, 'drbd-wan-switchover.yaml', { variant, sets }).filter((x) => x.id === 'drbd-promote-before-drained');
const refusedInRun = (variant: string | null, sets: string[] = []) =>
  runScenario(loadScenarioText(TEXT, 'drbd-wan-switchover.yaml', { variant, sets })).report.events.filter((e) => e.fact.kind === 'block-role-refused' && (e.fact as unknown as { why: string }).why === 'two-primaries').length;

describe('lint: a DRBD promotion before the demoted Primary\'s queue has drained', () => {
  it('the shipped plan promotes at once over a full 8 MiB buffer on 50 Mbit/s: an error, and the run refuses it', () => {
    const [f, ...rest] = rule(null);
    expect(rest).toEqual([]);
    expect(f).toMatchObject({ severity: 'error', where: { line: 38 } });
    // About 8 MiB at about 6 MB/s.
    expect(f!.message).toMatch(/takes about 1\.[3-5] s to arrive/);
    expect(refusedInRun(null)).toBe(1);
  });

  it('waiting 5 s, or writing less than the line carries, is fine in both', () => {
    for (const v of ['wait-for-drain', 'quiet-hour']) {
      expect(rule(v)).toEqual([]);
      expect(refusedInRun(v)).toBe(0);
    }
  });

  it('half a second later is too early (the drain takes about 1.4 s, the retry comes 0.6 s after the request), a second later is not: both agree', () => {
    expect(rule(null, ['plan.promote.at=14:00:00.500'])).toHaveLength(1);
    expect(refusedInRun(null, ['plan.promote.at=14:00:00.500'])).toBe(1);
    expect(rule(null, ['plan.promote.at=14:00:01'])).toEqual([]);
    expect(refusedInRun(null, ['plan.promote.at=14:00:01'])).toBe(0);
  });
});

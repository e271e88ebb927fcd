/**
 * Issue 12, smaller defects: run-time option changes print under DRBD's names with their units (was
 * `cPlanAhead 1.9 MiB`, `resyncRate 1.9 MiB`); a background job's share above the 95% of disk time the
 * queue gives fixed shares is refused at load with its place (was silently capped); a disk's time shares
 * add up to at most 100%.
 */
import { describe, expect, it } from 'vitest';
import { describeAdjust } from '../../../src/report/options-text.ts';
import { runScenario } from '../../../src/run.ts';
import { ScenarioError } from '../../../src/scenario/errors.ts';
import { loadScenarioText } from '../../../src/scenario/load.ts';
import { drbdScenario } from './fixture.ts';

describe('adjust messages', () => {
  it('use drbd.conf names and units', () => {
    expect(describeAdjust({ disk: { cPlanAhead: 2_000_000 as never, resyncRate: 2_000_000, cMinRate: 0 } })).toBe('c-plan-ahead 2 s, resync-rate 2 MB/s, c-min-rate 0');
    expect(describeAdjust({ net: { sndbufSize: 8 * 1024 * 1024, koCount: 7, onCongestion: 'pull-ahead' } })).toBe('sndbuf-size 8 MiB, ko-count 7, on-congestion pull-ahead');
  });

  it('a plan adjust is logged that way', () => {
    const r = runScenario(loadScenarioText(drbdScenario({ duration: '5m', extraPlan: ['{ at: +2m, adjust: { resource: r0, disk: { c-plan-ahead: 3s, resync-rate: 10MB/s } } }'] }), 'fixture.yaml')).report;
    expect(r.events.map((e) => e.message).filter((m) => m.includes('adjust r0'))).toEqual(['plan: adjust r0: resync-rate 10 MB/s, c-plan-ahead 3 s']);
  });
});

describe('fixed disk-time shares', () => {
  const load = (share: string) => () => loadScenarioText(drbdScenario({ backup: share }), 'fixture.yaml');
  it('above 95% is refused at its place', () => {
    let err: unknown;
    try {
      load('100%')();
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ScenarioError);
    expect((err as ScenarioError).format()).toMatch(/^fixture\.yaml:\d+:\d+: .*share 100% is above the 95% of disk time/);
    expect(load('95%')).not.toThrow();
  });

  it('a stall chain never gives a disk more than 100% of its time', () => {
    const r = runScenario(loadScenarioText(drbdScenario({ backup: '95%', iops: 600, random: '90%' }), 'fixture.yaml')).report;
    // The chain's first step names the disk and how its time is shared: "<disk> (...): backup (fixed share) 95%, ...".
    const shares = r.stalls.flatMap((s) => s.chain ?? []).map((c) => c.text).filter((t) => t.includes('(fixed share)')).map((t) => {
      const use = t.slice(t.indexOf('(fixed share)') - 40);
      return [...use.matchAll(/ (\d+(?:\.\d+)?)%/g)].reduce((a, x) => a + Number(x[1]), 0);
    });
    expect(shares.length).toBeGreaterThan(0);
    for (const total of shares) expect(total).toBeLessThanOrEqual(100.5);
  });
});

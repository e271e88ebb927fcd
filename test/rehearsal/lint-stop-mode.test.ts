/**
 * lint's smart-stop-sessions: a smart stop (pg_ctl's default up to 9.4) of a primary whose clients stay connected
 * goes on taking their writes (postmaster.c pmdie, canAcceptConnections); a standby promoted meanwhile splits the
 * brain. Each verdict is checked against the simulated run (models/postgres/pg-ctl.ts).
 */
import { describe, expect, it } from 'vitest';
import { lintScenarioText } from '../../src/rehearsal/lint/index.ts';
import { runScenario } from '../../src/run.ts';
import { loadScenarioText } from '../../src/scenario/load.ts';

const TEXT = `name: lint-smart-stop
start: 2026-01-10T10:00:00Z
timezone: UTC
end: "10:10"
sites: [dc]
clusters:
  main:
    nodes:
      pg1: {site: dc, version: "9.4", role: primary}
      pg2: {site: dc, version: "9.4", upstream: pg1}
    workload: {target: pg1, site: dc, rate: 250/s, wal_per_tx: 2KiB}
plan:
  - {at: "10:01", name: stop, stop: pg1}
  - {at: "10:01:30", name: promote, promote: pg2}
  - {at: "10:02:10", name: route, route_writes: pg2}
`;
const LINE = TEXT.split('\n').findIndex((l) => l.includes('name: stop,')) + 1;

const lintOf = (sets: string[] = []) => lintScenarioText(TEXT, 'smart.yaml', { sets }).filter((f) => f.id === 'smart-stop-sessions');
const lostOf = (sets: string[] = []) => runScenario(loadScenarioText(TEXT, 'smart.yaml', { sets })).report.dataLoss.reduce((n, l) => n + l.commits, 0);

describe('lint: a smart stop of a primary whose clients stay connected', () => {
  it('9.4 by default: an error at the stop, and the run loses what it says (250/s over the 40 s from the promotion to the route)', () => {
    const [f, ...rest] = lintOf();
    expect(rest).toEqual([]);
    expect(f).toMatchObject({ id: 'smart-stop-sessions', severity: 'error', where: { line: LINE } });
    expect(f!.message).toBe('pg1 still takes writes when pg2 is promoted at 10:01:30: about 10,000 commits acknowledged by pg1 are lost');
    expect(f!.explanation).toContain('pg_ctl gives up after 1 min');
    const lost = lostOf();
    expect(Math.abs(lost - 10_000) / 10_000).toBeLessThan(0.01);
  });

  it('the promotion after the route: no split brain, but pg_ctl still gives up (a warning) when the wait outlasts 60 s', () => {
    expect(lintOf(['plan.promote.at=10:02:20'])).toMatchObject([{ severity: 'warning' }]);
    expect(lostOf(['plan.promote.at=10:02:20'])).toBe(0);
    // Within pg_ctl's 60 s and nothing promoted meanwhile: nothing to say.
    expect(lintOf(['plan.promote.at=10:02:20', 'plan.route.at=10:01:50'])).toEqual([]);
  });

  it('no finding for a fast stop or from 9.5, and the run loses nothing', () => {
    for (const sets of [['plan.stop.stop={node: pg1, mode: fast}'], ['clusters.main.nodes.pg1.version=9.5', 'clusters.main.nodes.pg2.version=9.5']]) {
      expect(lintOf(sets)).toEqual([]);
      expect(lostOf(sets)).toBe(0);
    }
  });
});

/** Stalls as a person sees them: one interval per condition, no zero-length or "Infinity" stalls. */
import { describe, expect, it } from 'vitest';
import { runScenario } from '../../src/run.ts';
import { loadScenarioFile } from '../../src/scenario/load.ts';

describe('stall intervals in the report', () => {
  it('confirmations that come in rounds (remote_apply, a delayed replay) make one stall, with a steady cause', () => {
    const r = runScenario(loadScenarioFile('scenarios/sync-standby-crash.yaml', { variant: 'remote-apply-delayed-standby' })).report;
    const beforeCrash = r.stalls.filter((s) => s.from < '2024-03-04T10:00:00Z');
    expect(beforeCrash).toHaveLength(1);
    // From the first commit, which waits 30 s; 50 connections commit 1.7/s, so the rest of the 1,000/s queue in
    // the pool: by 10:00 the request at its head has waited 299.5 s there (it came when 500 had), then its commit's 30 s.
    expect(beforeCrash[0]).toMatchObject({ from: '2024-03-04T09:55:00Z', to: '2024-03-04T10:00:00Z', maxLatencyMs: 329_500 });
    expect(beforeCrash[0]!.cause).toBe('synchronous standbys (s1) confirm 1.7 commits/s, fewer than the 1,000 commits/s offered: each commit waits about 30 s');
    for (const s of r.stalls) {
      expect(s.seconds).toBeGreaterThan(0);
      expect(s.cause).not.toMatch(/Infinity|NaN/);
    }
  });
  it('the node table shows a delayed standby\'s replay position behind what it received', () => {
    const r = runScenario(loadScenarioFile('scenarios/sync-standby-crash.yaml', { variant: 'remote-apply-delayed-standby', sets: ['faults=[]', 'expect=[]'] })).report;
    const s1 = r.nodes.find((n) => n.name === 's1')!;
    const s2 = r.nodes.find((n) => n.name === 's2')!;
    const lsn = (t: string) => parseInt(t.split('/')[0]!, 16) * 2 ** 32 + parseInt(t.split('/')[1]!, 16);
    expect(s1.flushLsn).toBe(s1.lsn);
    expect(lsn(s1.replayLsn!)).toBeLessThan(lsn(s1.lsn));
    expect(s2.replayLsn).toBe(s2.lsn);
    expect(r.nodes.find((n) => n.name === 'p')!.replayLsn).toBeNull();
  });
});

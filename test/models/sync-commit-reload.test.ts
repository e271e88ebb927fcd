/**
 * A reload of synchronous_commit changes the level of later commits only: the backends already waiting for a
 * synchronous standby keep waiting under their level (syncrep.c SyncRepWaitForLSN picks its queue once and
 * processes no reload in its loop), and hold their connections; only an empty synchronous_standby_names
 * releases them (SyncRepUpdateSyncStandbysDefined). Observed on 15: three INSERTs waiting for an absent
 * synchronous standby stayed in wait event SyncRep after ALTER SYSTEM SET synchronous_commit = local and
 * pg_reload_conf(); a new session's INSERT returned at once.
 */
import { describe, expect, it } from 'vitest';
import { runScenario } from '../../src/run.ts';
import type { Report } from '../../src/report/types.ts';
import { loadScenarioText } from '../../src/scenario/load.ts';

/** s1, p's only synchronous standby, crashes at 10:00:00 (s2 streams, asynchronous); the plan's steps follow. */
function run(plan: readonly string[]): Report {
  const text = `
name: sync-commit-reload
start: 2024-03-04T09:55:00Z
timezone: UTC
end: "10:03"
sites: {dc1: {}}
clusters:
  shop:
    nodes:
      p:  {site: dc1, version: 15, role: primary, settings: {synchronous_standby_names: "FIRST 1 (s1)", synchronous_commit: "on"}}
      s1: {site: dc1, version: 15, upstream: p}
      s2: {site: dc1, version: 15, upstream: p}
    workload: {target: p, rate: 1000/s, wal_per_tx: 1KiB, connections: 50}
faults:
  - {at: "10:00:00", crash: s1}
plan:
${plan.map((l) => `  - ${l}`).join('\n')}
`;
  return runScenario(loadScenarioText(text, '<sync-commit-reload>')).report;
}

/** When the last write stall ended (the end of the run when it lasts). */
const stallEnd = (r: Report): string => r.stalls.at(-1)!.to;

describe('a reload of synchronous_commit while commits wait for a lost synchronous standby', () => {
  it('synchronous_commit = local releases none of the waiting commits: every connection waits, the stall goes on', () => {
    const r = run(['{at: "10:00:30", configure: {node: p, settings: {synchronous_commit: local}}}']);
    expect(stallEnd(r)).toBe('2024-03-04T10:03:00Z');
    const last = r.stalls.at(-1)!;
    expect(last.causeFact).toMatchObject({ kind: 'sync-standbys-missing', heldLevel: 'on', newLevel: 'local' });
    expect(last.cause).toContain('a reload changes the level of later commits only');
  });

  it('they are released when the standby streams again, and later commits are acknowledged locally', () => {
    const r = run(['{at: "10:00:30", configure: {node: p, settings: {synchronous_commit: local}}}', '{at: "10:02:00", start: s1}']);
    const end = stallEnd(r);
    expect(end > '2024-03-04T10:02:00Z' && end < '2024-03-04T10:02:10Z').toBe(true);
    expect(r.dataLoss).toEqual([]);
  });

  it("an empty synchronous_standby_names releases them at once (the pool's queue drains within a second)", () => {
    const r = run(['{at: "10:00:30", configure: {node: p, settings: {synchronous_standby_names: ""}}}']);
    expect(stallEnd(r) < '2024-03-04T10:00:31Z').toBe(true);
  });
});

describe('a reload that names another, idle standby while every commit waits', () => {
  it("releases them at that standby's next status reply, not at the reload (walsender.c ProcessStandbyReplyMessage)", () => {
    // s2 last received WAL at 10:00:00.049, when every connection had begun to wait; it replies every
    // wal_receiver_status_interval (10 s) after that: at 10:00:40.049, 5 s after the reload.
    const r = run(['{at: "10:00:35", configure: {node: p, settings: {synchronous_standby_names: "FIRST 1 (s2)"}}}']);
    const reply = r.stalls.find((x) => x.causeFact?.kind === 'sync-standby-reply')!;
    expect(reply.from).toBe('2024-03-04T10:00:35Z');
    // The stall lasts until the pool has drained what queued meanwhile, a second more.
    expect(reply.to > '2024-03-04T10:00:40.049Z' && reply.to < '2024-03-04T10:00:42Z').toBe(true);
    expect(r.events.find((e) => e.message === 's2 is now a synchronous standby of p')!.at).toBe('2024-03-04T10:00:40.049Z');
  });
});

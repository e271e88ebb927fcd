/**
 * How each stall and outage ended (history/facts/write-end.ts), recorded by the model when it closed the
 * interval and worded alike in the text, the JSON and the HTML page. Plans unlike the shipped scenarios: a
 * synchronous standby back, synchronous_standby_names emptied by the plan, synchronous_commit lowered (which
 * releases no waiting commit: syncrep.c SyncRepWaitForLSN reads the level once) then the waits cancelled, a
 * primary restarted, a primary stopped while commits wait.
 */
import { describe, expect, it } from 'vitest';
import { runScenario } from '../../src/run.ts';
import { loadScenarioFile, loadScenarioText } from '../../src/scenario/load.ts';
import { renderText } from '../../src/report/text.ts';
import { renderHtml } from '../../src/report/html/page.ts';
import type { Report } from '../../src/report/types.ts';

/** One primary (with `sync`, a synchronous standby s1), 1,000 commits/s, and the faults and plan given. */
const yamlOf = (name: string, sync: boolean, faults: string, steps: string) => `name: ${name}
start: 2024-03-04T09:55:00Z
timezone: UTC
end: "10:05"
sites:
  dc1: {}
clusters:
  shop:
    nodes:
      p:  {site: dc1, version: 15, role: primary${sync ? ', settings: {synchronous_standby_names: "FIRST 1 (s1)", synchronous_commit: "on"}' : ''}}
${sync ? '      s1: {site: dc1, version: 15, upstream: p}\n' : ''}    workload: {target: p, rate: 1000/s, wal_per_tx: 1KiB, connections: 50}
${faults ? `faults:\n${faults}\n` : ''}plan:
${steps}
`;
const plan = (name: string, faults: string, steps: string) => yamlOf(name, true, faults, steps);
const S1_CRASH = '  - {at: "10:00:00", name: s1-crash, crash: s1}';
const run = (name: string, faults: string, steps: string): Report => runScenario(loadScenarioText(plan(name, faults, steps), `<${name}>`)).report;
const ends = (r: Report) => [...r.stalls, ...r.outages].sort((a, b) => (a.from < b.from ? -1 : 1)).map((x) => x.endFact?.kind);

describe('a stall on a lost synchronous standby says how it ended', () => {
  it('pg-auto-failover-sync-standby: the monitor assigned wait_primary and the keeper emptied synchronous_standby_names (not wal_sender_timeout, which would have come at 09:11:00)', () => {
    const res = runScenario(loadScenarioFile('scenarios/pg-auto-failover-sync-standby.yaml'));
    const r = res.report;
    expect(r.stalls).toHaveLength(1);
    const s = r.stalls[0]!;
    expect(s.endFact).toMatchObject({
      kind: 'end-sync-names',
      node: 'pg-a',
      names: null,
      changedAt: '2024-05-06T09:10:23Z',
      released: true,
      by: { kind: 'pg_auto_failover', node: 'pg-a', goal: 'wait_primary', goalAt: '2024-05-06T09:10:22Z', why: { kind: 'no-healthy-secondary' } },
      rule: 'syncrep.c:SyncRepUpdateSyncStandbysDefined',
    });
    expect(s.end).toContain("the pg_auto_failover monitor assigned pg-a the goal state wait_primary at 09:10:22");
    expect(s.end).toContain("its keeper set synchronous_standby_names = '' on pg-a at 09:10:23");
    // The cause says when wal_sender_timeout would end the walsender, not that it did.
    expect(s.cause).toContain('wal_sender_timeout = 1 min ends it (at 09:11:00)');
    // The text and the page say the same.
    const text = renderText(r, { color: false, width: 160 }).replace(/\s+/g, ' ');
    expect(text).toContain(`Ended: ${s.end}`);
    const html = renderHtml(res).replace(/<[^>]+>/g, '').replace(/&#39;/g, "'").replace(/\s+/g, ' ');
    expect(html).toContain(`Ended: ${s.end}`);
    // The event says who changed the setting.
    expect(r.events.some((e) => e.at === '2024-05-06T09:10:23Z' && e.message === 'synchronous_standby_names changed on pg-a (reload) by the pg_auto_failover keeper of pg-a, in the goal state wait_primary')).toBe(true);
    // The outage from 09:20 holds to the end.
    expect(r.outages[0]!.endFact).toEqual({ kind: 'end-run' });
  });

  it('number-sync-standbys-1: the walsender timed out, then the primary was cut off from its clients', () => {
    const r = runScenario(loadScenarioFile('scenarios/pg-auto-failover-sync-standby.yaml', { variant: 'number-sync-standbys-1' })).report;
    expect(r.stalls.map((s) => s.endFact?.kind)).toEqual(['end-walsender-exit', 'end-outage']);
    expect(r.stalls[0]!.endFact).toMatchObject({ standby: 'pg-b', walSenderTimeout: 60e6, rule: 'walsender.c:WalSndCheckTimeOut' });
    // ANY 1 (pg-b, pg-c): both walsenders are silenced, and the cause names both.
    expect(r.stalls[0]!.causeFact).toMatchObject({ kind: 'sync-standby-cut-off', standby: 'pg-b', others: ['pg-c'] });
    expect(r.stalls[0]!.cause).toContain('pg-b and pg-c, synchronous standbys of pg-a, are cut off');
    expect(r.stalls[1]!.endFact).toMatchObject({ cause: { kind: 'clients-cut-off', node: 'pg-a' } });
  });

  it("Patroni's synchronous_mode named another standby: the stall on the cut-off one ends with Patroni's change, the next when pg3 replies", () => {
    const r = runScenario(loadScenarioFile('test/fixtures/patroni-sync-cut.yaml')).report;
    expect(r.stalls.map((s) => s.causeFact?.kind)).toEqual(['sync-standby-cut-off', 'sync-standby-reply', 'pool-queue']);
    const by = { kind: 'patroni', node: 'pg1', strict: false };
    expect(r.stalls[0]!.endFact).toMatchObject({ kind: 'end-sync-names', names: { method: 'first', num: 1, names: ['pg3'] }, by, released: false });
    expect(r.stalls[1]!.endFact).toMatchObject({ kind: 'end-sync-names', by, released: true, queued: true });
    expect(r.stalls[1]!.end).toContain('the requests the pool queued meanwhile drain next');
    expect(r.stalls[2]!.endFact).toMatchObject({ kind: 'end-sync-confirmed', standbys: ['pg3'], queued: false });
  });

  it('the synchronous standby came back and confirmed', () => {
    const r = run('back', S1_CRASH, '  - {at: "10:01:00", start: s1}');
    expect(r.stalls).toHaveLength(1);
    expect(r.stalls[0]!.endFact).toMatchObject({ kind: 'end-sync-confirmed', node: 'p', standbys: ['s1'] });
    expect(r.stalls[0]!.end).toBe('s1, a synchronous standby of p, confirmed the waiting commits and keeps up');
  });

  it('the plan emptied synchronous_standby_names: the checkpointer wakes every waiter at the reload', () => {
    const r = run('names', S1_CRASH, '  - {at: "10:00:30", configure: {node: p, settings: {synchronous_standby_names: ""}}}');
    expect(r.stalls).toHaveLength(1);
    expect(r.stalls[0]!.endFact).toMatchObject({ kind: 'end-sync-names', names: null, by: { kind: 'plan' }, changedAt: '2024-03-04T10:00:30Z', released: true });
  });

  it('lowering synchronous_commit releases no waiting commit; cancelling the waits does', () => {
    const r = run('local', S1_CRASH, '  - {at: "10:00:30", configure: {node: p, settings: {synchronous_commit: local}}}\n  - {at: "10:01:00", cancel_waiting_commits: p}');
    expect(r.stalls.map((s) => s.endFact?.kind)).toEqual(['end-sync-commit', 'end-waits-ended']);
    expect(r.stalls[0]!.endFact).toMatchObject({ level: 'local', released: false });
    expect(r.stalls[0]!.end).toContain('the commits already waiting keep their level and wait on');
    expect(r.stalls[1]!.endFact).toMatchObject({ how: 'cancel', commits: 50, node: 'p' });
  });

  it('a fast shutdown of the primary ends the stall with an outage; a restart ends the outage', () => {
    expect(ends(run('stop', S1_CRASH, '  - {at: "10:00:30", stop: p}'))).toEqual(['end-outage', 'end-run']);
    const r = run('restart', '  - {at: "10:00:00", name: p-crash, crash: p}', '  - {at: "10:01:00", start: p}');
    expect(r.outages).toHaveLength(1);
    expect(r.outages[0]!.endFact).toEqual({ kind: 'end-target-running', node: 'p' });
    expect(r.outages[0]!.end).toBe('p runs as a primary again');
  });
});

describe('a stall on a slow synchronous standby that then crashes', () => {
  it('sync-standby-crash remote-apply-delayed-standby: the first stall ends with s1 crashing, the next with the primary', () => {
    const r = runScenario(loadScenarioFile('scenarios/sync-standby-crash.yaml', { variant: 'remote-apply-delayed-standby' })).report;
    expect(r.stalls.map((x) => x.endFact?.kind)).toEqual(['end-standbys-left', 'end-outage']);
    expect(r.stalls[0]!.endFact).toMatchObject({ node: 'p', standbys: [{ name: 's1', how: 'crashed' }] });
    expect(r.stalls[0]!.end).toBe('s1 crashed: the commits on p wait on without it (the next stall)');
  });
});

describe('a switchover with a lagging synchronous standby (switchover-runbook synchronous over 10 Mbps)', () => {
  it('one stall from the first commits, no microsecond stall before it, ended when the runbook blocked the clients', () => {
    const r = runScenario(loadScenarioFile('scenarios/switchover-runbook.yaml', { variant: 'synchronous', sets: ['links=[{between: [dc1, dc2], bandwidth: 10Mbps, latency: 8ms}]'] })).report;
    expect(r.stalls).toHaveLength(1);
    expect(r.stalls[0]!.causeFact).toMatchObject({ kind: 'pool-queue', limit: { kind: 'synchronous-standbys', standbys: ['pg2'] } });
    expect(r.stalls[0]!.endFact).toMatchObject({ kind: 'end-outage', cause: { kind: 'clients-blocked', node: 'pg1' } });
    expect(r.outages[0]!.endFact).toEqual({ kind: 'end-rerouted', from: 'pg1', node: 'pg2' });
    expect(r.dataLoss).toEqual([]);
  });
});

describe('a lock queue says how it ended (checkers/locks.ts lockEndOf)', () => {
  it('schema-change-during-freeze: the ALTER TABLE ahead of the writes was granted its lock when the anti-wraparound vacuum ended', () => {
    const r = runScenario(loadScenarioFile('scenarios/schema-change-during-freeze.yaml')).report;
    expect(r.stalls[0]!.endFact).toMatchObject({ kind: 'end-lock-wait', who: '"deploy-migration" ALTER TABLE ... ADD COLUMN', outcome: 'granted', at: r.stalls[0]!.to });
  });

  it('lock-timeout: each attempt gave up after lock_timeout and left the queue', () => {
    const r = runScenario(loadScenarioFile('scenarios/schema-change-during-freeze.yaml', { variant: 'lock-timeout' })).report;
    expect(r.stalls.length).toBeGreaterThan(1);
    for (const s of r.stalls) expect(s.endFact).toMatchObject({ kind: 'end-lock-wait', outcome: 'lock_timeout' });
    expect(r.stalls[0]!.end).toContain('gave up waiting for its AccessExclusiveLock on shop.orders at 14:05:05 (lock_timeout) and left the queue');
  });
});

describe('a figure that passes in under a millisecond is no stall of its own (run.ts mergeShortGaps)', () => {
  it('checkpoint-burst-wan max-wal-size-16gb: no 1 µs stall between the confirmation rates after a checkpoint', () => {
    const r = runScenario(loadScenarioFile('scenarios/checkpoint-burst-wan.yaml', { variant: 'max-wal-size-16gb' })).report;
    for (const s of r.stalls) expect(s.seconds).toBeGreaterThanOrEqual(0.001);
  });
});

describe('a stall not on synchronous standbys says how it ended', () => {
  const slow = (steps: string) => yamlOf('slow', false, '', steps);
  const stalls = (steps: string) => runScenario(loadScenarioText(slow(steps), '<slow>')).report.stalls;

  it('a slow disk restored: the slowdown ended', () => {
    const s = stalls('  - {at: "10:00:00", slow_node: {node: p, disk: 2000}}\n  - {at: "10:01:00", slow_node: {node: p, disk: 1}}');
    expect(s.map((x) => x.endFact)).toEqual([{ kind: 'end-slowdown-over', node: 'p' }]);
  });

  it('a collapsed disk while the offer falls: the offer fell, then the queue drained', () => {
    const s = stalls('  - {at: "10:00:00", slow_node: {node: p, disk_throughput: 0.001}}\n  - {at: "10:01:00", workload: {cluster: shop, rate: 10/s}}');
    expect(s.map((x) => x.endFact?.kind)).toEqual(['end-offer-fell', 'end-queue-drained']);
    expect(s[0]!.end).toBe('workload clients now offers 10 requests/s, less than before');
  });
});

describe('a logical cut-over says how its duplicate-key outage ended', () => {
  it('logical-upgrade sequences-synced-early: nextval passed the replicated keys', () => {
    const r = runScenario(loadScenarioFile('scenarios/logical-upgrade.yaml', { variant: 'sequences-synced-early' })).report;
    const o = r.outages.find((x) => x.causeFact?.kind === 'sequence-behind')!;
    expect(o.endFact).toEqual({ kind: 'end-sequence-passed', node: 'green1', maxKey: 53_840_000 });
    expect(o.end).toBe('nextval on green1 hands out keys past 53,840,000, the largest the replicated rows hold: inserts succeed again');
  });
});

describe('a DRBD stall says how it ended', () => {
  it('pacemaker-network-freeze: resource-and-stonith froze I/O until the fence-peer handler returned', () => {
    const r = runScenario(loadScenarioFile('scenarios/pacemaker-network-freeze.yaml')).report;
    expect(r.stalls[0]!.endFact).toMatchObject({ kind: 'end-fence-peer-returned', resource: 'data', peer: 'stor-b' });
    // The chain says so before: once DRBD gives up, writes go on alone only when the handler returns.
    const givesUp = r.stalls[0]!.chain!.find((c) => c.fact?.kind === 'stall-gives-up')!;
    expect(givesUp.fact).toMatchObject({ kind: 'stall-gives-up', fenced: true });
    expect(givesUp.text).toContain('with fencing resource-and-stonith it freezes I/O and runs the fence-peer handler');
    // From the freeze on, the stall's phase is the frozen I/O (block world nextPhase), up to the handler's return.
    expect(r.stalls[0]!.chain!.at(-1)!.fact).toMatchObject({ kind: 'stall-frozen-until-fenced' });
  });

  it('dont-care: DRBD dropped the connection after its timeout and writes went on alone', () => {
    const r = runScenario(loadScenarioFile('scenarios/pacemaker-network-freeze.yaml', { variant: 'dont-care' })).report;
    expect(r.stalls[0]!.endFact).toMatchObject({ kind: 'end-block-disconnected', resource: 'data', reason: { kind: 'no-answer' } });
    expect(r.stalls[0]!.chain!.at(-1)!.text).toMatch(/then writes go on alone, marking the bitmap$/);
    expect(r.stalls[0]!.end).toBe('data lost its connection to the peer (network failure: no answer within timeout 6 s): writes go on alone, marking the bitmap');
  });

  it('cybozu-drbd-migration: the plan disconnected, the resync-rate lowered, the backup stopped', () => {
    const r = runScenario(loadScenarioFile('scenarios/cybozu-drbd-migration.yaml')).report;
    expect(r.stalls.map((x) => x.endFact)).toMatchObject([
      { kind: 'end-block-disconnected', reason: { kind: 'by-plan' } },
      { kind: 'end-block-eased', after: { kind: 'block-adjust' }, at: '2015-05-19T10:30:00+09:00' },
      { kind: 'end-block-eased', after: { kind: 'disk-job-stop', name: 'backup' }, at: '2015-05-20T13:30:00+09:00' },
      { kind: 'end-block-eased', after: { kind: 'block-adjust' }, at: '2015-05-21T10:30:00+09:00' },
    ]);
  });

  it('cybozu-drbd-migration pull-ahead: a stall on the resync\'s reads ends when the resync finishes', () => {
    const r = runScenario(loadScenarioFile('scenarios/cybozu-drbd-migration.yaml', { variant: 'pull-ahead' })).report;
    expect(r.stalls[1]!.endFact).toMatchObject({ kind: 'end-block-eased', after: { kind: 'sync-finished', resource: 'vol' }, at: r.stalls[1]!.to });
  });

  it('no-delay: the outage ends when stor-a is Primary again', () => {
    const r = runScenario(loadScenarioFile('scenarios/pacemaker-network-freeze.yaml', { variant: 'no-delay' })).report;
    expect(r.stalls[0]!.endFact).toMatchObject({ kind: 'end-outage' });
    expect(r.outages[0]!.endFact).toEqual({ kind: 'end-block-primary', resource: 'data', host: 'stor-a' });
  });
});

describe('the synchronous-standbys limit names the standbys it waits for', () => {
  it('checkpoint-burst-wan: pg2', () => {
    const r = runScenario(loadScenarioFile('scenarios/checkpoint-burst-wan.yaml')).report;
    const limit = (r.stalls[0]!.causeFact as { limit?: { standbys?: string[] } }).limit;
    expect(limit?.standbys).toEqual(['pg2']);
    expect(r.stalls[0]!.cause).toContain('the synchronous standbys of pg1 (pg2) confirm');
  });
});

/**
 * Hot-standby conflicts (conflicts.ts; standby.c ResolveRecoveryConflictWithVirtualXIDs, GetStandbyLimitTime):
 * a query on a standby holds replay at a record that conflicts with it until it ends or the grace
 * (max_standby_streaming_delay, from when replay last caught up) runs out. Checked on PostgreSQL 15.18: a
 * REPEATABLE READ query on the standby, DELETE and VACUUM on the primary; with 5 s, replay stood at the
 * cleanup record (receive LSN moving on) and the query was cancelled 5.04 s later ("User query might have
 * needed to see row versions that must be removed."); with -1, replay stood 14.8 s until the query ended; with
 * hot_standby_feedback on, no wait. Without any VACUUM, 3,000 single-row UPDATEs on the primary pruned pages
 * as they went (heap_page_prune_opt): the query was in conflict 1 s in. The tables here have `churn`, rows
 * deleted all the time: a standby query without hot_standby_feedback is in conflict as soon as it starts.
 */
import { describe, expect, it } from 'vitest';
import { runScenario } from '../../src/run.ts';
import { loadScenarioText } from '../../src/scenario/load.ts';
import type { EventJson, Report } from '../../src/report/types.ts';

const run = (yaml: string): Report => runScenario(loadScenarioText(yaml, 'conflicts.yaml')).report;
const secs = (r: Report, iso: string) => (Date.parse(iso) - Date.parse(r.start)) / 1000;
const facts = (r: Report, kind: string): EventJson[] => r.events.filter((e) => (e.fact as { kind: string }).kind === kind);

interface Opts {
  standby?: string;
  primary?: string;
  plan: string;
  databases?: string;
}

const doc = (o: Opts) => `
name: conflicts
start: 2024-01-01T00:00:00Z
duration: 1h
sites: {dc: {}}
clusters:
  c:
    nodes:
      p: {site: dc, version: 16, settings: {autovacuum: false${o.primary ?? ''}}}
      s: {site: dc, version: 16, upstream: p, settings: {${o.standby ?? ''}}}
    databases:
${o.databases ?? '      app:\n        tables:\n          t: {size: 1GB, churn: 1GB, frozen_age: 1000}\n'}
    workload: {target: p, rate: 10/s, wal_per_tx: 1KiB}
plan:
${o.plan}
`;

const report = '  - {at: +1m, open_transaction: {node: s, name: report}}\n';

describe('a query on a standby and row versions removed on the primary (snapshot conflict)', () => {
  it('max_standby_streaming_delay = 5s: the primary prunes rows the query may see; replay waits 5 s, then the query is cancelled', () => {
    const r = run(doc({ standby: 'max_standby_streaming_delay: 5s', plan: `${report}  - {at: +5m, vacuum: t}\n  - {at: +30m, close_transaction: report}` }));
    const wait = facts(r, 'recovery-conflict-wait');
    expect(wait).toHaveLength(1);
    // Rows are deleted all the time (churn): pruned at once, no VACUUM needed.
    expect(secs(r, wait[0]!.at)).toBeCloseTo(60, 0);
    const cancel = facts(r, 'recovery-conflict-cancel');
    expect(cancel).toHaveLength(1);
    expect(secs(r, cancel[0]!.at) - secs(r, wait[0]!.at)).toBeCloseTo(5, 1);
    expect(cancel[0]!.log.join('\n')).toContain('canceling statement due to conflict with recovery');
    expect(cancel[0]!.log.join('\n')).toContain('User query might have needed to see row versions that must be removed.');
    // The session is gone: closing it later finds nothing, and replay caught up.
    const s = r.nodes.find((n) => n.name === 's')!;
    expect(s.replayLsn).toBe(s.lsn);
  });

  it('hot_standby_feedback on: the vacuum leaves the rows the query sees, and replay never waits', () => {
    const r = run(doc({ standby: 'max_standby_streaming_delay: 5s, hot_standby_feedback: on', plan: `${report}  - {at: +5m, vacuum: t}\n  - {at: +30m, close_transaction: report}` }));
    expect(facts(r, 'recovery-conflict-wait')).toHaveLength(0);
    expect(facts(r, 'recovery-conflict-cancel')).toHaveLength(0);
    // The XID report names the query as a holder of the primary's horizon; without the feedback it would not.
    expect(JSON.stringify(r.xid[0]!.cause)).toContain('transaction \\"report\\" held xmin');
    const off = run(doc({ standby: 'max_standby_streaming_delay: -1', plan: `${report}  - {at: +30m, close_transaction: report}` }));
    expect(JSON.stringify(off.xid[0]!.cause)).not.toContain('report');
  });

  it('a table whose rows nobody deletes has nothing to prune or vacuum: no conflict', () => {
    const r = run(
      doc({
        databases: '      app:\n        tables:\n          t: {size: 1GB, frozen_age: 1000}\n',
        standby: 'max_standby_streaming_delay: -1',
        plan: `${report}  - {at: +5m, vacuum: t}\n  - {at: +30m, close_transaction: report}`,
      }),
    );
    expect(facts(r, 'recovery-conflict-wait')).toHaveLength(0);
  });

  it('max_standby_streaming_delay = -1 and synchronous_commit = remote_apply: commits stall until the query ends', () => {
    const r = run(
      doc({
        primary: ', synchronous_standby_names: "s", synchronous_commit: remote_apply',
        standby: 'max_standby_streaming_delay: -1',
        plan: `${report}  - {at: +5m, vacuum: t}\n  - {at: +30m, close_transaction: report}`,
      }),
    );
    expect(facts(r, 'recovery-conflict-cancel')).toHaveLength(0);
    expect(facts(r, 'recovery-conflict-resolved')).toHaveLength(1);
    // Replay stands from 00:01:00 (pruning) to 00:30:00: every commit of those 29 minutes waits for it.
    expect(r.stalls).toHaveLength(1);
    const stall = r.stalls[0]!;
    expect(secs(r, stall.to)).toBeCloseTo(1800, 0);
    expect(secs(r, stall.to) - secs(r, stall.from)).toBeGreaterThan(28 * 60);
    // The stall names the standby's held replay and the query, not "0 commits/s confirmed".
    expect(stall.causeFact).toMatchObject({ kind: 'pool-queue', limit: { kind: 'synchronous-standbys', txPerSecond: 0, held: { kind: 'sync-replay-held', standby: 's', queries: ['report'] } } });
    expect(stall.cause).toContain('its replay stands at');
  });

  it('a promotion waits for replay, which waits for the query (-1): no primary until it ends', () => {
    const r = run(
      doc({
        standby: 'max_standby_streaming_delay: -1',
        plan: `${report}  - {at: +5m, vacuum: t}\n  - {at: +10m, crash: p}\n  - {at: +10m, promote: s}\n  - {at: +30m, close_transaction: report}`,
      }),
    );
    expect(facts(r, 'promotion-waits-for-conflict')).toHaveLength(1);
    const promoted = r.events.find((e) => e.node === 's' && (e.fact as { kind: string }).kind === 'promoted');
    expect(promoted).toBeDefined();
    expect(secs(r, promoted!.at)).toBeCloseTo(1800, 0);
    const noPrimary = r.verdicts.find((v) => v.kind === 'no-primary')!;
    expect(secs(r, noPrimary.to!) - secs(r, noPrimary.from)).toBeCloseTo(1200, 0);
  });

  it('a promotion requested while replay waits completes when the grace cancels the session (idle in transaction: terminated)', () => {
    const r = run(
      doc({
        standby: 'max_standby_streaming_delay: 2min',
        plan: '  - {at: +5m30s, open_transaction: {node: s, name: report, idle: true, isolation: repeatable read}}\n  - {at: +6m, crash: p}\n  - {at: +6m, promote: s}',
      }),
    );
    // In conflict from 00:05:30 (pruning), cancelled 2 min later, 1.5 min after the promotion was requested.
    const cancel = facts(r, 'recovery-conflict-cancel');
    expect(cancel.map((e) => secs(r, e.at))).toEqual([450]);
    expect(cancel[0]!.log.join('\n')).toContain('FATAL:  terminating connection due to conflict with recovery');
    const promoted = r.events.find((e) => e.node === 's' && (e.fact as { kind: string }).kind === 'promoted')!;
    expect(secs(r, promoted.at)).toBeCloseTo(450, 0);
    expect(promoted.log.join('\n')).toContain('received promote request');
  });

  it('a walreceiver lost while replay waits is not started again until the wait ends (the startup process needs no WAL)', () => {
    // [15.18] primary restarted while replay was held (-1): no walreceiver and no retry on the standby for the
    // 22 s the query still ran, its received position standing still; `started streaming` once it ended.
    const r = run(doc({ standby: 'max_standby_streaming_delay: -1', plan: `${report}  - {at: +5m, vacuum: t}\n  - {at: +10m, restart: p}\n  - {at: +30m, close_transaction: report}` }));
    const s = r.events.filter((e) => e.node === 's');
    expect(s.filter((e) => (e.fact as { kind: string }).kind === 'streaming').map((e) => secs(r, e.at))).toEqual([0, 1800]);
    // Nothing tried in between: no failed attempt is logged.
    expect(s.filter((e) => secs(r, e.at) > 600 && secs(r, e.at) < 1800)).toEqual([]);
  });

  it('the grace counts from when replay last caught up: a second conflict met behind the first is cancelled at once', () => {
    // Two databases, one query in each, both in conflict at 00:01:00 (pruning): replay waits 30 s at the first
    // record and cancels "a" at 1:30; it then reaches the second without having caught up since 1:00
    // (XLogReceiptTime): its grace ran out at 1:30 too, not at 2:00.
    const r = run(
      doc({
        databases: '      app:\n        tables:\n          t: {size: 1GB, churn: 1GB, frozen_age: 1000}\n      other:\n        tables:\n          u: {size: 1GB, churn: 1GB, frozen_age: 1000}\n',
        plan: '  - {at: +1m, open_transaction: {node: s, name: a, database: app}}\n  - {at: +1m, open_transaction: {node: s, name: b, database: other}}\n  - {at: +5m, vacuum: {database: app, table: t}}\n  - {at: +5m10s, vacuum: {database: other, table: u}}',
      }),
    );
    const cancel = facts(r, 'recovery-conflict-cancel');
    expect(cancel.map((e) => (e.fact as unknown as { session: string }).session)).toEqual(['a', 'b']);
    expect(cancel.map((e) => secs(r, e.at))).toEqual([90, 90]);
  });

  it('a standby replaying behind by recovery_min_apply_delay has no grace left: the query is cancelled as replay reaches the record', () => {
    // [15.18] recovery_min_apply_delay 10 s, max_standby_streaming_delay 30 s, inserts every 100 ms: replay
    // reached the cleanup record 10 s after it was received and waited 7.9 s only: 30 s from when replay had
    // last caught up (before the inserts began), not from the record's receipt. Here the writes run from the
    // start: replay has not caught up since 00:00, and the record (pruning at 00:01:00) is reached at 00:01:10,
    // past 00:00:30.
    const r = run(doc({ standby: 'max_standby_streaming_delay: 30s, recovery_min_apply_delay: 10s', plan: `${report}  - {at: +5m, vacuum: t}` }));
    const wait = facts(r, 'recovery-conflict-wait');
    expect(wait).toHaveLength(1);
    expect(secs(r, wait[0]!.at)).toBeCloseTo(70, 0);
    const cancel = facts(r, 'recovery-conflict-cancel');
    expect(cancel.map((e) => secs(r, e.at))).toEqual([secs(r, wait[0]!.at)]);
  });

  it('a restart gives the grace anew: XLogReceiptTime is set at the start of redo', () => {
    // As above, but s restarts at 00:04:55 (xlogrecovery.c PerformWalRecovery sets XLogReceiptTime): the query
    // opened at 00:04:58 (pruning then, reached 10 s later) is cancelled at 00:05:25, 30 s after the restart,
    // not as replay reaches the record.
    const r = run(doc({ standby: 'max_standby_streaming_delay: 30s, recovery_min_apply_delay: 10s', plan: '  - {at: +4m55s, restart: s}\n  - {at: +4m58s, open_transaction: {node: s, name: report}}\n  - {at: +5m, vacuum: t}' }));
    expect(facts(r, 'recovery-conflict-wait').map((e) => secs(r, e.at))).toEqual([308]);
    expect(facts(r, 'recovery-conflict-cancel').map((e) => secs(r, e.at))).toEqual([325]);
  });

  it('a query on a delayed standby sees the primary as it was: one begun after the VACUUM, before its replay, conflicts', () => {
    // recovery_min_apply_delay 10 s: a query begun at 00:05:05 has a snapshot of 00:04:55, which still sees the
    // rows deleted up to 00:05:00 that the VACUUM at 00:05:00 removes; replay reaches that record at 00:05:10.
    const r = run(
      doc({
        standby: 'max_standby_streaming_delay: -1, recovery_min_apply_delay: 10s',
        plan: '  - {at: +5m, vacuum: t}\n  - {at: +5m5s, open_transaction: {node: s, name: report}}\n  - {at: +20m, close_transaction: report}',
      }),
    );
    const wait = facts(r, 'recovery-conflict-wait');
    expect(wait).toHaveLength(1);
    expect(secs(r, wait[0]!.at)).toBeCloseTo(310, 0);
    expect(secs(r, facts(r, 'recovery-conflict-resolved')[0]!.at)).toBeCloseTo(1200, 0);
  });

  it('a query on a standby whose replay trails (replay_rate) sees the primary as of its replay position', () => {
    // 102,400 B/s written, replayed at 51,200 B/s: replay stands at what the primary wrote at half the time. A
    // query begun at 00:05:00 sees the primary of 00:02:30, so the VACUUM of 00:04:00 removes rows it may see;
    // replay reaches that record (4 min of WAL) at 00:08:00 and waits there (-1) until the query ends.
    const r = run(
      doc({ standby: 'max_standby_streaming_delay: -1', plan: '  - {at: +4m, vacuum: t}\n  - {at: +5m, open_transaction: {node: s, name: report}}\n  - {at: +20m, close_transaction: report}' })
        .replace('rate: 10/s, wal_per_tx: 1KiB', 'rate: 10/s, wal_per_tx: 10KiB')
        .replace('s: {site: dc, version: 16, upstream: p,', 's: {site: dc, version: 16, upstream: p, replay_rate: 51200B/s,'),
    );
    const wait = facts(r, 'recovery-conflict-wait');
    expect(wait).toHaveLength(1);
    expect(secs(r, wait[0]!.at)).toBeCloseTo(480, 0);
    expect(secs(r, facts(r, 'recovery-conflict-resolved')[0]!.at)).toBeCloseTo(1200, 0);
  });

  it('replay held for good keeps the standby from restartpoints past it: its pg_wal keeps everything since', () => {
    // 100 commits/s of 10 KiB: 1 MiB/s. Held from 00:05 to the end (1 h), s keeps the 55 minutes since its last
    // restartpoint (about 3.2 GiB) while p removes what its checkpoints no longer need.
    const r = run(
      doc({ standby: 'max_standby_streaming_delay: -1', plan: `${report}  - {at: +5m, vacuum: t}` }).replace('rate: 10/s, wal_per_tx: 1KiB', 'rate: 100/s, wal_per_tx: 10KiB'),
    );
    const [p, s] = [r.nodes.find((n) => n.name === 'p')!, r.nodes.find((n) => n.name === 's')!];
    expect(s.replayLsn).not.toBe(s.lsn);
    expect(s.pgWalSize).toBeGreaterThan(3 * 1024 ** 3);
    expect(p.pgWalSize).toBeLessThan(1024 ** 3);
  });

  it('with a finite replay_rate the backlog built while held is replayed at replay_rate less what arrives', () => {
    // 10 commits/s of 10 KiB = 102,400 B/s, held from 00:01 (pruning) to 00:15: 86,016,000 B behind; replayed
    // at 200,000 - 102,400 = 97,600 B/s more than arrives: caught up 881.3 s later, at 1781.3 s.
    const r = run(
      doc({ standby: 'max_standby_streaming_delay: -1', plan: `${report}  - {at: +5m, vacuum: t}\n  - {at: +15m, close_transaction: report}` })
        .replace('rate: 10/s, wal_per_tx: 1KiB', 'rate: 10/s, wal_per_tx: 10KiB')
        .replace('s: {site: dc, version: 16, upstream: p,', 's: {site: dc, version: 16, upstream: p, replay_rate: 200kB/s,'),
    );
    expect(secs(r, facts(r, 'recovery-conflict-resolved')[0]!.at)).toBeCloseTo(900, 0);
    const caught = facts(r, 'replay-caught-up');
    expect(caught).toHaveLength(1);
    expect(secs(r, caught[0]!.at)).toBeCloseTo(1781.3, 0);
  });
});

describe('a replayed ACCESS EXCLUSIVE lock is held on the standby until the transaction that took it ends (standby.c)', () => {
  // [15.18] ALTER TABLE c ADD COLUMN in a transaction that then slept 10 s before COMMIT, the primary committing
  // other rows every 100 ms: pg_locks on the standby showed the startup process holding AccessExclusiveLock on
  // c, and a SELECT on c begun there 1.1 s after the ALTER returned 9.0 s later, once the commit was replayed.
  const alter = (extra = '') => `  - {at: +5m, ddl: {statement: "ALTER TABLE t ADD COLUMN note text", duration: 10m${extra}}}\n`;
  // Tables nobody deletes from: no cleanup record conflicts with the queries' snapshots.
  const calm = '      app:\n        tables:\n          t: {size: 1GB, frozen_age: 1000}\n          u: {size: 1GB, frozen_age: 1000}\n';
  const waits = (r: Report) => (r.locks?.waits ?? []).filter((w) => w.who.includes(' on s'));

  it('a query begun on the standby during a 10 min migration on the primary waits until its commit is replayed: a read outage there', () => {
    const r = run(doc({ databases: calm, plan: `${alter()}  - {at: +6m, open_transaction: {node: s, name: report, duration: 1m}}` }));
    expect(facts(r, 'standby-lock-wait').map((e) => secs(r, e.at))).toEqual([360]);
    expect(facts(r, 'standby-lock-granted').map((e) => secs(r, e.at))).toEqual([900]);
    expect(waits(r).map((w) => [w.seconds, w.outcome])).toEqual([[540, 'granted']]);
    // Its minute of run time counts from then.
    expect(secs(r, facts(r, 'transaction-ended')[0]!.at)).toBeCloseTo(960, 0);
  });

  it('a query that reads another table does not wait', () => {
    const r = run(
      doc({
        databases: calm,
        plan: `${alter()}  - {at: +6m, open_transaction: {node: s, name: report, tables: [u]}}`,
      }),
    );
    expect(facts(r, 'standby-lock-wait')).toEqual([]);
  });

  it('a statement that fails on the primary ends its transaction: the abort record releases the lock', () => {
    const r = run(doc({ databases: calm, plan: `${alter(', statement_timeout: 2m')}  - {at: +6m, open_transaction: {node: s, name: report}}` }));
    expect(facts(r, 'standby-lock-granted').map((e) => secs(r, e.at))).toEqual([420]);
  });

  it('a lock taken inside a session is held on the standby until close_transaction', () => {
    const r = run(
      doc({
        databases: calm,
        plan: '  - {at: +5m, open_transaction: {node: p, name: tx, tables: []}}\n  - {at: +5m, ddl: {statement: "LOCK TABLE t IN ACCESS EXCLUSIVE MODE", session: tx}}\n  - {at: +6m, open_transaction: {node: s, name: report}}\n  - {at: +20m, close_transaction: tx}',
      }),
    );
    expect(facts(r, 'standby-lock-granted').map((e) => secs(r, e.at))).toEqual([1200]);
  });

  it('the standby\'s lock_timeout ends the wait: the query fails, its transaction aborted', () => {
    const r = run(doc({ databases: calm, standby: 'lock_timeout: 5s', plan: `${alter()}  - {at: +6m, open_transaction: {node: s, name: report}}` }));
    expect(waits(r).map((w) => [w.seconds, w.outcome])).toEqual([[5, 'lock_timeout']]);
    expect(facts(r, 'standby-lock-granted')).toEqual([]);
    expect(JSON.stringify(r)).toContain('canceling statement due to lock timeout');
  });

  it('a promotion releases it', () => {
    const r = run(doc({ databases: calm, plan: `${alter()}  - {at: +6m, open_transaction: {node: s, name: report}}\n  - {at: +8m, crash: p}\n  - {at: +8m, promote: s}` }));
    const granted = facts(r, 'standby-lock-granted');
    expect(granted).toHaveLength(1);
    expect(secs(r, granted[0]!.at)).toBeLessThan(600);
  });
});

describe('VACUUM truncating empty pages at the end of a table (vacuumlazy.c lazy_truncate_heap): its ACCESS EXCLUSIVE lock is replayed', () => {
  // 10 GB of which the last 2 GB were deleted before the start; a standby query reads the table.
  const tail = (extra = '') => `      app:\n        tables:\n          t: {size: 10GB, empty_tail: 2GB, frozen_age: 1000${extra}}\n`;
  const plan = (vacuum = 'vacuum: t') => `  - {at: +1m, open_transaction: {node: s, name: report}}\n  - {at: +5m, ${vacuum}}\n  - {at: +50m, close_transaction: report}`;
  const lockConflicts = (r: Report) => facts(r, 'recovery-conflict-cancel').filter((e) => (e.fact as unknown as { conflict: string }).conflict === 'lock');

  it('the standby query reading it is cancelled after max_standby_streaming_delay: "User was holding a relation lock for too long"', () => {
    const r = run(doc({ databases: tail(), standby: 'max_standby_streaming_delay: 30s', plan: plan() }));
    const truncated = facts(r, 'vacuum-truncated');
    expect(truncated).toHaveLength(1);
    const cancel = lockConflicts(r);
    expect(cancel).toHaveLength(1);
    expect(cancel[0]!.log.join('\n')).toContain('User was holding a relation lock for too long.');
    // Its rows were deleted before the query's snapshot: the cleanup itself is no conflict.
    expect(facts(r, 'recovery-conflict-cancel')).toHaveLength(1);
    expect(secs(r, cancel[0]!.at) - secs(r, truncated[0]!.at)).toBeGreaterThan(20);
  });

  it('autovacuum, drawn by the tail\'s dead rows, does the same; the conflict names it', () => {
    // 3 GB of 10 GB deleted: 23.4 M dead rows of 128 B, past 50 + 0.2 × 83.9 M rows.
    const r = run(doc({ databases: '      app:\n        tables:\n          t: {size: 10GB, empty_tail: 3GB, frozen_age: 1000}\n', plan: '  - {at: +0s, open_transaction: {node: s, name: report}}' }).replace('autovacuum: false', 'autovacuum: true'));
    expect(facts(r, 'vacuum-truncated')).toHaveLength(1);
    const wait = facts(r, 'recovery-conflict-wait');
    expect(wait.map((e) => (e.fact as unknown as { holder?: string }).holder)).toEqual(['autovacuum worker (VACUUM app.public.t), truncating the empty pages at its end']);
    expect(lockConflicts(r)).toHaveLength(1);
  });

  it('not with vacuum_truncate off (12+), nor with VACUUM (TRUNCATE false)', () => {
    expect(facts(run(doc({ databases: tail(', vacuum_truncate: false'), standby: 'max_standby_streaming_delay: 30s', plan: plan() })), 'vacuum-truncated')).toEqual([]);
    const r = run(doc({ databases: tail(), standby: 'max_standby_streaming_delay: 30s', plan: plan('vacuum: {table: t, truncate: false}') }));
    expect(facts(r, 'vacuum-truncated')).toEqual([]);
    expect(lockConflicts(r)).toEqual([]);
  });

  it('not for a tail under 1,000 pages and 1/16 of the table (REL_TRUNCATE_MINIMUM, REL_TRUNCATE_FRACTION)', () => {
    const r = run(doc({ databases: '      app:\n        tables:\n          t: {size: 10GB, empty_tail: 7MB, frozen_age: 1000}\n', standby: 'max_standby_streaming_delay: 30s', plan: plan() }));
    expect(facts(r, 'vacuum-truncated')).toEqual([]);
  });

  it('a transaction on the primary holding a lock on it: the conditional lock is given up after 5 s, the pages stay', () => {
    const r = run(doc({ databases: tail(), standby: 'max_standby_streaming_delay: 30s', plan: `  - {at: +4m, open_transaction: {node: p, name: app, tables: [t]}}\n${plan()}` }));
    expect(facts(r, 'vacuum-truncated')).toEqual([]);
    expect(facts(r, 'vacuum-truncate-skipped')).toHaveLength(1);
    expect(lockConflicts(r)).toEqual([]);
  });

  it('18: the vacuum_truncate setting off turns it off, unless the table\'s reloption says on; refused before 18', () => {
    const v18 = (databases: string) => run(doc({ databases, primary: ', vacuum_truncate: off', standby: 'max_standby_streaming_delay: 30s', plan: plan() }).replace(/version: 16/g, 'version: 18'));
    expect(facts(v18(tail()), 'vacuum-truncated')).toEqual([]);
    expect(facts(v18(tail(', vacuum_truncate: true')), 'vacuum-truncated')).toHaveLength(1);
    expect(() => run(doc({ databases: tail(), primary: ', vacuum_truncate: off', plan: plan() }))).toThrow(/vacuum_truncate.*was added in PostgreSQL 18/);
  });

  it('vacuum_truncate before 12 is refused', () => {
    expect(() => run(doc({ databases: tail(', vacuum_truncate: false'), plan: plan() }).replace(/version: 16/g, 'version: 11'))).toThrow(/vacuum_truncate reloption is from PostgreSQL 12/);
  });
});

describe('a session idle in transaction on a standby: its isolation level decides whether it has a snapshot', () => {
  // [15.18] max_standby_streaming_delay 5 s, hot_standby_feedback off; on the standby two sessions ran
  // `BEGIN; SELECT count(*) FROM c;` then stayed idle, one READ COMMITTED (backend_xmin empty), one REPEATABLE
  // READ (backend_xmin set). DELETE of half the rows and VACUUM on the primary: 8 s later the REPEATABLE READ
  // one was terminated ("FATAL: terminating connection due to conflict with recovery", DETAIL "User query
  // might have needed to see row versions that must be removed."), the READ COMMITTED one was still there and
  // its next SELECT saw the rows gone; replay had caught up.
  const idle = (isolation: string) =>
    run(doc({ standby: 'max_standby_streaming_delay: 5s', plan: `  - {at: +1m, open_transaction: {node: s, name: report, idle: true, isolation: ${isolation}}}\n  - {at: +5m, vacuum: t}\n  - {at: +30m, close_transaction: report}` }));

  it('READ COMMITTED: no snapshot between statements, so no snapshot conflict: replay never waits', () => {
    const r = idle('read committed');
    expect(facts(r, 'recovery-conflict-wait')).toEqual([]);
    expect(facts(r, 'recovery-conflict-cancel')).toEqual([]);
    expect(JSON.stringify(r)).toContain('holds no xmin');
  });

  it('REPEATABLE READ: its transaction snapshot conflicts; it is terminated after the grace', () => {
    const r = idle('repeatable read');
    const cancel = facts(r, 'recovery-conflict-cancel');
    expect(cancel).toHaveLength(1);
    expect(cancel[0]!.log.join('\n')).toContain('FATAL:  terminating connection due to conflict with recovery');
  });

  it('READ COMMITTED still holds the locks of what it read: a replayed ACCESS EXCLUSIVE lock waits for it', () => {
    const r = run(
      doc({
        standby: 'max_standby_streaming_delay: 5s',
        plan: '  - {at: +1m, open_transaction: {node: s, name: report, idle: true}}\n  - {at: +5m, ddl: {statement: "LOCK TABLE t IN ACCESS EXCLUSIVE MODE"}}\n  - {at: +30m, close_transaction: report}',
      }),
    );
    expect(facts(r, 'recovery-conflict-cancel').map((e) => (e.fact as unknown as { conflict: string }).conflict)).toEqual(['lock']);
  });
});

describe('a stream of reports on a standby (open_transaction with duration, repeat)', () => {
  it('each report of 8 min every 10 min holds replay (-1) while it runs: replay moves only in the gaps', () => {
    const r = run(
      doc({
        standby: 'max_standby_streaming_delay: -1',
        plan: '  - {repeat: {count: 3, from: 0}, at: "+$(i*10)m", name: report-$i, open_transaction: {node: s, name: report-$i, duration: 8m}}',
      }),
    );
    // Each is in conflict with pruning at its start and ends by itself 8 min later: replay waits 8 min, three times.
    expect(facts(r, 'recovery-conflict-wait').map((e) => secs(r, e.at))).toEqual([0, 600, 1200]);
    expect(facts(r, 'recovery-conflict-resolved').map((e) => secs(r, e.at))).toEqual([480, 1080, 1680]);
    expect(facts(r, 'recovery-conflict-cancel')).toEqual([]);
  });
});

describe('WAL from the archive: max_standby_archive_delay', () => {
  it('a standby cut off from its primary restores from the archive; a conflict there waits max_standby_archive_delay', () => {
    // s is cut off at 00:10 and restores from the archive; the query at 00:15 is in conflict with pruning at
    // once, in a segment s restores a few seconds later. The archive's grace (20 s) applies, not the stream's
    // (-1), from when it opens that file.
    const r = run(`
name: archive-conflict
start: 2024-01-01T00:00:00Z
duration: 1h
sites: {dc1: {}, dc2: {}, vault: {}}
links:
  - {between: [dc1, dc2], bandwidth: 1Gbps, latency: 3ms}
  - {between: [dc1, vault], bandwidth: 1Gbps, latency: 5ms}
  - {between: [dc2, vault], bandwidth: 1Gbps, latency: 5ms}
clusters:
  c:
    archive: {site: vault}
    nodes:
      p: {site: dc1, version: 16, settings: {autovacuum: false, archive_mode: on, archive_command: "cp %p /a/%f"}, archive_throughput: 40MB/s}
      s: {site: dc2, version: 16, upstream: p, settings: {restore_command: "cp /a/%f %p", max_standby_streaming_delay: -1, max_standby_archive_delay: 20s}, restore_throughput: 60MB/s}
    databases:
      app:
        tables:
          t: {size: 1GB, churn: 1GB, frozen_age: 1000}
    workload: {target: p, rate: 500/s, wal_per_tx: 8KiB}
plan:
  - {at: +15m, open_transaction: {node: s, name: report}}
  - {at: +20m, vacuum: t}
  - {at: +40m, close_transaction: report}
faults:
  - {at: +10m, name: cut, partition: {sites: [dc1, dc2]}}
`);
    const wait = facts(r, 'recovery-conflict-wait');
    expect(wait).toHaveLength(1);
    expect(wait[0]!.fact).toMatchObject({ setting: 'max_standby_archive_delay' });
    expect(secs(r, wait[0]!.at)).toBeGreaterThan(900);
    expect(secs(r, wait[0]!.at)).toBeLessThan(960);
    expect(facts(r, 'recovery-conflict-cancel').map((e) => secs(r, e.at) - secs(r, wait[0]!.at))).toEqual([20]);
  });
});

describe('an AccessExclusiveLock on the primary (lock conflict)', () => {
  it('hot_standby_feedback does not help: the replayed lock waits for the query, then cancels it', () => {
    const r = run(
      doc({
        standby: 'max_standby_streaming_delay: 5s, hot_standby_feedback: on',
        plan: `${report}  - {at: +5m, name: lock-t, ddl: {statement: "LOCK TABLE t IN ACCESS EXCLUSIVE MODE"}}\n  - {at: +30m, close_transaction: report}`,
      }),
    );
    const cancel = facts(r, 'recovery-conflict-cancel');
    expect(cancel).toHaveLength(1);
    expect(secs(r, cancel[0]!.at)).toBeCloseTo(305, 0);
    expect(cancel[0]!.log.join('\n')).toContain('User was holding a relation lock for too long.');
  });

  it('a query that read other tables only (`tables`) does not hold the lock back', () => {
    const go = (tables: string) =>
      run(
        doc({
          databases: '      app:\n        tables:\n          t: {size: 1GB, frozen_age: 1000}\n          u: {size: 1GB, frozen_age: 1000}\n',
          standby: 'max_standby_streaming_delay: -1',
          plan: `  - {at: +1m, open_transaction: {node: s, name: report${tables}}}\n  - {at: +5m, name: lock-t, ddl: {statement: "LOCK TABLE t IN ACCESS EXCLUSIVE MODE"}}\n  - {at: +30m, close_transaction: report}`,
        }),
      );
    expect(facts(go(', tables: [u]'), 'recovery-conflict-wait')).toHaveLength(0);
    const both = go(', tables: [t, u]');
    expect(facts(both, 'recovery-conflict-wait')).toHaveLength(1);
    expect(secs(both, facts(both, 'recovery-conflict-resolved')[0]!.at)).toBeCloseTo(1800, 0);
  });

  it('a lock weaker than ACCESS EXCLUSIVE is not replayed: no wait', () => {
    const r = run(
      doc({
        standby: 'max_standby_streaming_delay: 5s, hot_standby_feedback: on',
        plan: `${report}  - {at: +5m, name: lock-t, ddl: {statement: "LOCK TABLE t IN SHARE MODE"}}\n  - {at: +30m, close_transaction: report}`,
      }),
    );
    expect(facts(r, 'recovery-conflict-wait')).toHaveLength(0);
  });
});

describe('what a failover manager reads of a standby whose replay is behind', () => {
  it('pg_auto_failover fast_forward ends when the keeper sees pg_last_wal_replay_lsn() reach the target, not the received position', () => {
    // pg3 (candidate_priority 90) lags behind a 3 MB/s link and replays at 2 MB/s; pg1's host dies at 10:02.
    // Elected, pg3 fetches the missing WAL from pg2 at once, but its replay reaches the target only at about
    // 10:04:06 (standby_fetch_missing_wal polls pgsql_has_reached_target_lsn): prepare_promotion then, and
    // stop_replication's 30 s primary_demote_timeout after it: no primary until about 10:04:38 (before, the
    // received position ended fast_forward at 10:02:28 and the promotion came at 10:04:06).
    const r = run(`
name: pgaf-ff-replay
start: 2024-01-01T10:00:00Z
end: "10:08"
sites: [a, b, c, m]
links:
  - {between: [a, m], bandwidth: 1Gbps, latency: 1ms}
  - {between: [b, m], bandwidth: 1Gbps, latency: 1ms}
  - {between: [c, m], bandwidth: 1Gbps, latency: 1ms}
  - {between: [a, b], bandwidth: 1Gbps, latency: 1ms}
  - {between: [a, c], bandwidth: 3MB/s, latency: 1ms}
  - {between: [b, c], bandwidth: 1Gbps, latency: 1ms}
clusters:
  c:
    nodes:
      pg1: {site: a, version: 16}
      pg2: {site: b, version: 16, upstream: pg1}
      pg3: {site: c, version: 16, upstream: pg1, replay_rate: 2MB/s}
    workload: {target: pg1, site: m, rate: 2000/s, wal_per_tx: 2KiB}
    failover: {policy: pg_auto_failover, monitor: {name: mon, site: m}, nodes: {pg3: {candidate_priority: 90, replication_quorum: false}}}
faults:
  - {at: "10:02", crash: pg1}
  - {at: "10:02", partition: pg1}
`);
    const caught = facts(r, 'replay-caught-up').filter((e) => e.node === 'pg3' && secs(r, e.at) > 120);
    const prepare = r.events.find((e) => e.node === 'pg3' && e.message.includes('goal state of pg3 to prepare_promotion'))!;
    expect(secs(r, prepare.at)).toBeGreaterThanOrEqual(secs(r, caught[0]!.at));
    const noPrimary = r.verdicts.find((v) => v.kind === 'no-primary')!;
    expect(secs(r, noPrimary.to!) - secs(r, prepare.at)).toBeGreaterThan(30);
  });
});

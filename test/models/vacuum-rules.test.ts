/**
 * Version rules, limits, holders and the DBA's steps of the vacuum model (postgres-2.md §5, postgres.md §4).
 */
import { describe, expect, it } from 'vitest';
import { autovacuumLogLine, cancelingAutovacuum, failsafeWarning, farInThePast, stopMessage, warnMessage, wraparoundLimits, XID_HALF } from '../../src/models/postgres/vacuum/limits.ts';
import { renderLogLine } from '../../src/models/postgres/messages.ts';
import { runScenario } from '../../src/run.ts';
import { loadScenarioFile, loadScenarioText } from '../../src/scenario/load.ts';
import type { Report } from '../../src/report/types.ts';
import { vacuumDoc, type VacuumDocOptions } from '../support/vacuum.ts';

const t = (r: Report, iso: string | null) => (Date.parse(iso ?? r.end) - Date.parse(r.start)) / 1000;
const run = (yaml: string): Report => runScenario(loadScenarioText(yaml, 'rules.yaml')).report;
const logs = (r: Report) => r.events.flatMap((e) => e.log);

const doc = (o: VacuumDocOptions & { version: number }) => vacuumDoc(o, { duration: '1d', workload: '{target: p, rate: 1000/s, wal_per_tx: 200B}' });

/** Six hours of 16 at 1000 XIDs/s, one 1 GB table, autovacuum_freeze_max_age 10 M: a hold shows as an age past 10 M. */
const sixHours = (o: Omit<VacuumDocOptions, 'tables'>) => doc({ version: 16, duration: '6h', settings: 'autovacuum_freeze_max_age: 10000000', tables: '          t: {size: 1GB, frozen_age: 0}\n', ...o });

describe('messages by release (varsup.c, vacuum.c; each read in the release it names)', () => {
  it('the stop ERROR and the warn WARNING', () => {
    expect(stopMessage(9.3, 'app').hint).toBe('Stop the postmaster and use a standalone backend to vacuum that database.\nYou might also need to commit or roll back old prepared transactions.');
    expect(stopMessage(10, 'app').hint).toBe('Stop the postmaster and vacuum that database in single-user mode.\nYou might also need to commit or roll back old prepared transactions.');
    expect(stopMessage(11, 'app').hint).toBe('Stop the postmaster and vacuum that database in single-user mode.\nYou might also need to commit or roll back old prepared transactions, or drop stale replication slots.');
    expect(stopMessage(16, 'app').message).toBe('database is not accepting commands to avoid wraparound data loss in database "app"');
    expect(stopMessage(17, 'app')).toMatchObject({
      process: 'client backend',
      message: 'database is not accepting commands that assign new transaction IDs to avoid wraparound data loss in database "app"',
      hint: 'Execute a database-wide VACUUM in that database.\nYou might also need to commit or roll back old prepared transactions, or drop stale replication slots.',
    });
    expect(warnMessage(10, 'app', 5).hint).toBe('To avoid a database shutdown, execute a database-wide VACUUM in that database.\nYou might also need to commit or roll back old prepared transactions.');
    expect(warnMessage(18, 'app', 5).hint!.split('\n')[0]).toBe('To avoid transaction ID assignment failures, execute a database-wide VACUUM in that database.');
    // The same WARNING from a VACUUM that recomputed the limits (SetTransactionIdLimit) says "XID" from 17
    // (real 17.10: `VACUUM pg_database` past the warn limit, then `SELECT txid_current()`).
    expect(warnMessage(17, 'app', 5, 'client backend', true).hint!.split('\n')[0]).toBe('To avoid XID assignment failures, execute a database-wide VACUUM in that database.');
    expect(warnMessage(16, 'app', 5, 'client backend', true).hint!.split('\n')[0]).toBe('To avoid a database shutdown, execute a database-wide VACUUM in that database.');
    expect(renderLogLine(warnMessage(15, 'app', 39_999_990))).toBe(
      'client backend WARNING:  database "app" must be vacuumed within 39999990 transactions\n\tHINT:  To avoid a database shutdown, execute a database-wide VACUUM in that database.\nYou might also need to commit or roll back old prepared transactions, or drop stale replication slots.',
    );
  });

  it('the far-in-the-past WARNING (15: oldest xmin; 16: cutoff) and the failsafe (14+)', () => {
    expect(farInThePast(10, 'autovacuum worker')).toMatchObject({ message: 'oldest xmin is far in the past', hint: 'Close open transactions soon to avoid wraparound problems.' });
    expect(farInThePast(15, 'autovacuum worker').message).toBe('oldest xmin is far in the past');
    expect(farInThePast(16, 'client backend').message).toBe('cutoff for removing and freezing tuples is far in the past');
    expect(failsafeWarning('app.public.t', 'client backend').detail).toBe("The table's relfrozenxid or relminmxid is too far in the past.");
  });
});

describe('who logs what (vacuumlazy.c heap_vacuum_rel / lazy_vacuum_rel, each release)', () => {
  it('autovacuum\'s LOG: one form up to 10, "aggressive" from 11, "to prevent wraparound" from 12', () => {
    const line = (v: number) => renderLogLine(autovacuumLogLine(v, 'app.public.t', true, true));
    expect(line(10)).toBe('autovacuum worker LOG:  automatic vacuum of table "app.public.t": index scans: 0');
    expect(line(11)).toBe('autovacuum worker LOG:  automatic aggressive vacuum of table "app.public.t": index scans: 0');
    expect(line(12)).toBe('autovacuum worker LOG:  automatic aggressive vacuum to prevent wraparound of table "app.public.t": index scans: 0');
  });

  it('a cancelled autovacuum: from 13 its CONTEXT names the block it was at first (vacuum_error_callback)', () => {
    expect(renderLogLine(cancelingAutovacuum(12, 'app.public.t', 'public.t', 4))).toBe('autovacuum worker ERROR:  canceling autovacuum task\n\tCONTEXT:  automatic vacuum of table "app.public.t"');
    expect(renderLogLine(cancelingAutovacuum(13, 'app.public.t', 'public.t', 4))).toBe(
      'autovacuum worker ERROR:  canceling autovacuum task\n\tCONTEXT:  while scanning block 4 of relation "public.t"\n\tautomatic vacuum of table "app.public.t"',
    );
  });

  it('in a run: the autovacuum worker logs its runs past log_autovacuum_min_duration, never the postmaster', () => {
    // t is past autovacuum_freeze_max_age at the start: one anti-wraparound run of 1 GB at 37.2 MB/s.
    const go = (min: string) =>
      run(doc({ version: 16, duration: '1h', settings: `log_autovacuum_min_duration: ${min}`, tables: '          t: {size: 1GB, frozen_age: 200000000}\n' }));
    const line = 'autovacuum worker LOG:  automatic aggressive vacuum to prevent wraparound of table "app.public.t": index scans: 0';
    const all = go('0');
    expect(logs(all)).toContain(line);
    expect(logs(all).some((l) => l.startsWith('postmaster'))).toBe(false);
    // The run takes about 29 s: not logged at 1min.
    expect(logs(go('1min'))).not.toContain(line);
  });
});

describe('the limits in a run', () => {
  it('past the warn limit every XID assignment logs the WARNING (one event, repeated per XID), naming the database with the oldest datfrozenxid; then writes stop', () => {
    // Two databases; b's table is the oldest, 10,000 XIDs before the warn limit at 2,000 XIDs/s. Its
    // anti-wraparound vacuum cannot finish in time (5 PB, even at the failsafe's disk speed); a's can.
    const { warnAge, stopAge } = wraparoundLimits(15);
    const r = run(
      doc({
        version: 15,
        duration: '12h',
        settings: 'autovacuum_freeze_max_age: 2000000000, vacuum_failsafe_age: 2100000000',
        tables: '',
        databases: `      a:\n        tables:\n          t: {size: 1GB, frozen_age: ${warnAge - 20_000_000}}\n      b:\n        tables:\n          t2: {size: 5000TB, frozen_age: ${warnAge - 10_000}}\n`,
        workload: '{target: p, rate: 2000/s, wal_per_tx: 200B}',
      }),
    );
    const x = r.xid[0]!;
    expect(t(r, x.firstWarningAt)).toBeCloseTo(5, 0);
    expect(t(r, x.stopAt)).toBeCloseTo(5 + (stopAge - warnAge) / 2000, 0);
    const warning = r.events.find((e) => e.message.includes('reached the warning limit'))!;
    expect(warning.log[0]).toMatch(/^client backend WARNING: {2}database "b" must be vacuumed within 40000000 transactions/);
    // One WARNING per XID assigned between the warn and the stop limit.
    expect(warning.repeated!.count).toBe(stopAge - warnAge);
    const stop = r.outages.find((o) => o.causeFact?.kind === 'xid-stop-refusal')!;
    expect(stop.cause).toContain('in database "b"');
  });

  it('17: the WARNING of a vacuum that recomputed the limits says "XID assignment failures", the client\'s "transaction ID" (real 17.10)', () => {
    const { warnAge } = wraparoundLimits(17);
    const r = run(
      doc({
        version: 17,
        duration: '2h',
        settings: 'autovacuum_freeze_max_age: 2000000000, vacuum_failsafe_age: 2100000000',
        tables: '',
        // b is past the warn limit (its vacuum takes forever); a VACUUM of a recomputes the limits at its end.
        databases: `      a:\n        tables:\n          t: {size: 1GB, frozen_age: ${warnAge - 20_000_000}}\n      b:\n        tables:\n          t2: {size: 5000TB, frozen_age: ${warnAge - 10_000}}\n`,
        workload: '{target: p, rate: 2000/s, wal_per_tx: 200B}',
        plan: '  - {at: +1m, vacuum: {database: a}}',
      }),
    );
    const lines = logs(r);
    expect(lines.some((l) => l.startsWith('client backend WARNING') && l.includes('To avoid transaction ID assignment failures'))).toBe(true);
    expect(lines.some((l) => l.startsWith('client backend WARNING:  database "b" must be vacuumed within') && l.includes('To avoid XID assignment failures'))).toBe(true);
  });

  it('a restart that changes autovacuum_freeze_max_age re-plans the vacuums even while no XID is assigned', () => {
    const r = run(
      doc({
        version: 16,
        tables: '          t: {size: 1GB, frozen_age: 150000000}\n',
        workload: '{target: p, rate: 0/s, wal_per_tx: 200B}',
        plan: '  - {at: +1h, configure: {node: p, settings: {autovacuum_freeze_max_age: 100000000}}}',
      }),
    );
    const v = r.vacuums.find((x) => x.table === 't')!;
    expect(v.trigger).toBe('anti-wraparound');
    expect(t(r, v.from)).toBeGreaterThanOrEqual(3600);
    expect(t(r, v.from)).toBeLessThanOrEqual(3600 + 60);
  });
});

describe('relfrozenxid after a vacuum, by version (vacuum.c, vacuumlazy.c; rule 18)', () => {
  // A table nobody writes, vacuumed FREEZE long after the start: up to 14 relfrozenxid becomes FreezeLimit
  // (OldestXmin less freeze_min_age, 0 for FREEZE); a plain aggressive VACUUM: FreezeLimit up to 14, and
  // from 15 the oldest XID left, OldestXmin for a table untouched since before FreezeLimit.
  const age = (version: number, freeze: boolean) => {
    const r = run(
      doc({
        version,
        duration: '30h',
        tables: '          t: {size: 1GB, frozen_age: 160000000}\n',
        workload: '{target: p, rate: 1000/s, wal_per_tx: 200B}',
        // No anti-wraparound vacuum before the manual one (afma 2 billion); it is aggressive (age > 150 million).
        settings: 'autovacuum_freeze_max_age: 2000000000',
        plan: `  - {at: +1d, vacuum: {table: t, freeze: ${freeze}}}`,
      }),
    );
    const v = r.vacuums.find((x) => x.trigger === 'manual')!;
    return v.ageAfter!;
  };
  it('FREEZE leaves relfrozenxid at OldestXmin on every version', () => {
    // (1 GB at 500 MB/s: the age at the end is the 2 s of XIDs the vacuum took.)
    expect(age(13, true)).toBe(2000);
    expect(age(16, true)).toBe(2000);
  });
  it('an aggressive VACUUM: FreezeLimit up to 14 (50 million behind), the oldest XID left from 15', () => {
    expect(age(14, false)).toBe(50_002_000);
    expect(age(15, false)).toBe(2000);
  });
});

describe('what an aggressive run reads, by release (vacuumlazy.c lazy_scan_heap)', () => {
  it('up to 9.5 an anti-wraparound vacuum reads the whole table (no all-frozen bit); from 9.6 only the pages not all-frozen', () => {
    const go = (version: number) =>
      run(doc({ version, duration: '1d', tables: '          t: {size: 10GB, frozen_age: 199990000, vacuum_scan: 0.1}\n', workload: '{target: p, rate: 100/s, wal_per_tx: 200B}' })).vacuums.find((v) => v.table === 't')!;
    // Costs ≤13: miss 10, dirty 20. 9.6: 10% dirtied = 3 units per page of the table; 9.5: the same plus the
    // other 90% read = 3 + 9: four times as long.
    const [v96, v95] = [go(9.6), go(9.5)];
    expect(v96.trigger).toBe('anti-wraparound');
    expect(v95.seconds / v96.seconds).toBeCloseTo(4, 2);
  });
});

describe('holders (procarray.c ComputeXidHorizons; postgres.md rule 15)', () => {
  const standby = '      s: {site: dc, version: 16, upstream: p, settings: {hot_standby_feedback: HSF}}\n';
  const holds = (hsf: boolean) =>
    run(
      sixHours({
        nodes: standby.replace('HSF', String(hsf)),
        plan: '  - {at: +10m, open_transaction: {node: s, name: report}}',
      }),
    );
  it('a query on a standby holds the primary\'s tables only with hot_standby_feedback', () => {
    const on = holds(true);
    const off = holds(false);
    expect(on.vacuums.some((v) => v.result.includes('query "report" on standby s (hot_standby_feedback)'))).toBe(true);
    expect(on.xid[0]!.endAge).toBeGreaterThan(10_000_000);
    expect(off.vacuums.some((v) => v.result.includes('could not'))).toBe(false);
    expect(off.xid[0]!.endAge).toBeLessThan(10_000_000);
  });

  it('a physical slot whose standby stopped holds every table at its xmin (hot_standby_feedback); a CHECKPOINT is logged', () => {
    const r = runScenario(
      loadScenarioText(
        sixHours({ plan: '  - {at: +10m, stop_consumer: standby1}\n  - {at: +1h, checkpoint: p}' }).replace(
          '    workload:',
          '    slots:\n      standby1: {node: p, type: physical, consumer: active, hot_standby_feedback: true}\n    workload:',
        ),
        'rules.yaml',
      ),
    ).report;
    expect(r.vacuums.some((v) => v.result.includes('physical slot "standby1" holding xmin (hot_standby_feedback)'))).toBe(true);
    expect(r.xid[0]!.endAge).toBeGreaterThan(10_000_000);
    expect(r.events.some((e) => e.message === 'CHECKPOINT on p')).toBe(true);
  });

  it('a restart of the standby ends its query and the hold with it (its sessions end with the server)', () => {
    const r = run(
      sixHours({
        nodes: standby.replace('HSF', 'true'),
        plan: '  - {at: +10m, open_transaction: {node: s, name: report}}\n  - {at: +1h, restart: s}',
      }),
    );
    // Without the restart the query holds to the end (age 21 M, the test above); after it the anti-wraparound
    // vacuum at 10 M freezes and nothing holds.
    expect(r.vacuums.some((v) => v.result.includes('query "report"'))).toBe(false);
    expect(r.xid[0]!.endAge).toBeLessThan(10_000_000);
  });

  it('a standby with hot_standby_feedback sets its physical slot\'s xmin, which holds every table once it stops (walsender.c PhysicalReplicationSlotNewXmin)', () => {
    // The slot is declared without hot_standby_feedback: the standby streaming through it (primary_slot_name)
    // decides. Stopped for 5 h, its slot keeps the xmin of its last feedback: the table ages past
    // autovacuum_freeze_max_age (10 M at 1000 XIDs/s) and the vacuums cannot freeze past it.
    const slotRun = (hsf: boolean, query = false) =>
      run(
        sixHours({
          nodes: `      s: {site: dc, version: 16, upstream: p, settings: {hot_standby_feedback: ${hsf}, primary_slot_name: s1}}\n`,
          plan: `${query ? '  - {at: +10m, open_transaction: {node: s, name: report}}\n' : ''}  - {at: +1h, stop: s}`,
        }).replace('    workload:', '    slots:\n      s1: {node: p, type: physical}\n    workload:'),
      );
    const on = slotRun(true);
    expect(on.vacuums.some((v) => v.result.includes('physical slot "s1" holding xmin (hot_standby_feedback)'))).toBe(true);
    // Held since the stop (1 h): age ≈ 5 h × 3600 × 1000.
    expect(on.xid[0]!.endAge).toBeGreaterThan(17_000_000);
    expect(on.events.some((e) => e.message.includes('consumer of slot "s1" stopped') && e.message.includes('xmin'))).toBe(true);
    const off = slotRun(false);
    expect(off.vacuums.some((v) => v.result.includes('could not'))).toBe(false);
    expect(off.xid[0]!.endAge).toBeLessThan(10_000_000);
    // A query on the standby when it stopped: the slot keeps the query's xmin (10 min in), 50 min of XIDs before the stop's.
    const q = slotRun(true, true);
    expect(q.xid[0]!.endAge - on.xid[0]!.endAge).toBe(3_000_000);
  });

  it('a physical slot created during the run has no xmin until a standby with hot_standby_feedback streams through it (slot.c ReplicationSlotCreate)', () => {
    // The same slot, declared at the start (one that had such a standby before) or created at +1h with no
    // consumer ever: only the first holds the tables; a fresh slot's xmin is NULL.
    const slotRun = (declared: boolean) =>
      run(
        sixHours({
          plan: declared ? '' : '  - {at: +1h, create_slot: {name: s1, node: p, type: physical, consumer: stopped, hot_standby_feedback: true}}',
        }).replace('    workload:', declared ? '    slots:\n      s1: {node: p, type: physical, consumer: stopped, hot_standby_feedback: true}\n    workload:' : '    workload:'),
      );
    expect(slotRun(true).xid[0]!.endAge).toBeGreaterThan(17_000_000);
    const fresh = slotRun(false);
    expect(fresh.xid[0]!.endAge).toBeLessThan(10_000_000);
    expect(fresh.vacuums.some((v) => v.result.includes('holding xmin'))).toBe(false);
  });

  it('a CHECKPOINT step is the replication model\'s checkpoint: it invalidates a slot past max_slot_wal_keep_size at once', () => {
    // 10 MB of WAL a second: the stopped slot retains 1 GB after 100 s; the timed checkpoints are a day apart, and
    // max_wal_size is above the 72 GB of the run (no checkpoint is requested by WAL volume).
    const go = (plan: string) =>
      runScenario(
        loadScenarioText(
          doc({
            version: 16,
            duration: '2h',
            settings: 'checkpoint_timeout: 1d, max_wal_size: 200GB, max_slot_wal_keep_size: 1GB',
            tables: '          t: {size: 1GB, frozen_age: 0}\n',
            workload: '{target: p, rate: 1000/s, wal_per_tx: 10KiB}',
            plan,
          }).replace('    workload:', '    slots:\n      cdc: {node: p, type: logical, database: app, consumer: stopped}\n    workload:'),
          'rules.yaml',
        ),
      ).report;
    const invalidated = (r: Report) => r.events.find((e) => e.log.some((l) => l.includes('invalidating obsolete replication slot "cdc"')));
    const r = go('  - {at: +10m, checkpoint: p}');
    expect(t(r, invalidated(r)!.at)).toBe(600);
    expect(r.events.some((e) => e.message === 'CHECKPOINT on p')).toBe(true);
    expect(invalidated(go('  []'))).toBeUndefined();
  });

  it('idle_in_transaction_session_timeout ends an idle session and its hold', () => {
    const r = run(
      doc({
        version: 16,
        duration: '6h',
        settings: 'autovacuum_freeze_max_age: 10000000, idle_in_transaction_session_timeout: 2h',
        tables: '          t: {size: 1GB, frozen_age: 0}\n',
        plan: '  - {at: +10m, open_transaction: {node: p, name: forgotten, idle: true}}',
      }),
    );
    expect(logs(r)).toContain('client backend FATAL:  terminating connection due to idle-in-transaction timeout');
    expect(r.xid[0]!.endAge).toBeLessThan(10_000_000);
  });

  it('a session idle in transaction holds the horizon by its XID (it wrote) or its snapshot (REPEATABLE READ), not when it only read in READ COMMITTED', () => {
    // [10, 15, 18] pg_stat_activity of sessions idle in transaction: `BEGIN; SELECT` has neither backend_xid nor
    // backend_xmin; `BEGIN; INSERT` has backend_xid; `BEGIN ISOLATION LEVEL REPEATABLE READ; SELECT` (or
    // SERIALIZABLE) has backend_xmin; a running `SELECT pg_sleep()` has backend_xmin.
    const go = (tx: string) => run(sixHours({ plan: `  - {at: +10m, open_transaction: {node: p, name: x, idle: true${tx}}}` })).xid[0]!.endAge;
    expect(go('')).toBeGreaterThan(10_000_000);
    expect(go(', wrote: true')).toBeGreaterThan(10_000_000);
    expect(go(', wrote: false')).toBeLessThan(10_000_000);
    expect(go(', wrote: false, isolation: repeatable read')).toBeGreaterThan(10_000_000);
    expect(go(', wrote: false, isolation: serializable')).toBeGreaterThan(10_000_000);
    // Running a query, it holds its statement's snapshot whatever it wrote.
    expect(run(sixHours({ plan: '  - {at: +10m, open_transaction: {node: p, name: x, wrote: false}}' })).xid[0]!.endAge).toBeGreaterThan(10_000_000);
  });

  it('a prepared transaction survives a restart; a plain one ends with it', () => {
    const go = (prepared: boolean) =>
      run(
        sixHours({
          plan: `  - {at: +10m, open_transaction: {node: p, name: x, prepared: ${prepared}}}\n  - {at: +1h, restart: p}`,
        }),
      );
    expect(go(true).xid[0]!.endAge).toBeGreaterThan(10_000_000);
    expect(go(false).xid[0]!.endAge).toBeLessThan(10_000_000);
  });
});

describe('the DBA\'s steps', () => {
  it('a manual VACUUM is unthrottled by default (the disk\'s speed), throttled with cost_delay', () => {
    const r = run(
      doc({
        version: 16,
        nodes: '',
        tables: '          t: {size: 10GB, frozen_age: 0}\n',
        plan: '  - {at: +1h, vacuum: {table: t, freeze: true}}\n  - {at: +2h, vacuum: {table: t, freeze: true, cost_delay: 2ms, cost_limit: 200}}',
      }),
    );
    const [fast, slow] = r.vacuums.filter((v) => v.trigger === 'manual');
    expect(fast!.mbPerSecond).toBe(500);
    expect(slow!.mbPerSecond).toBeCloseTo(37.2, 1);
    expect(r.events.some((e) => e.log.some((l) => l.startsWith('client backend')))).toBe(false);
  });

  it('TRUNCATE starts relfrozenxid over; DROP TABLE stops counting at the next datfrozenxid update', () => {
    // Six hours at 1,000 XIDs/s: the database stays under autovacuum_freeze_max_age, so no autovacuum visits it.
    const base = { version: 16, duration: '6h', settings: 'autovacuum: false', tables: '          old: {size: 1GB, frozen_age: 150000000}\n          other: {size: 1GB, frozen_age: 1000}\n' };
    const truncated = run(doc({ ...base, plan: '  - {at: +1h, truncate: old}\n  - {at: +2h, vacuum: {table: other}}' }));
    expect(truncated.xid[0]!.endAge).toBeLessThan(100_000_000);
    const dropped = run(doc({ ...base, plan: '  - {at: +1h, drop_table: old}' }));
    // Nothing vacuumed after the drop: datfrozenxid still counts the dropped table.
    expect(dropped.xid[0]!.endAge).toBeGreaterThan(150_000_000);
    const droppedThenVacuumed = run(doc({ ...base, plan: '  - {at: +1h, drop_table: old}\n  - {at: +2h, vacuum: {table: other}}' }));
    expect(droppedThenVacuumed.xid[0]!.endAge).toBeLessThan(100_000_000);
  });

  it('single-user VACUUM after the stop limit: the server is down for the vacuum\'s duration (13); 14+ say to do otherwise', () => {
    const { stopAge } = wraparoundLimits(13);
    const yaml = (version: number) =>
      doc({
        version,
        duration: '6h',
        settings: 'autovacuum: false',
        tables: `          t: {size: 100GB, frozen_age: ${wraparoundLimits(version).stopAge - 1_000_000}}\n`,
        plan: '  - {at: +1h, single_user_vacuum: p}',
      });
    const r = run(yaml(13));
    expect(r.xid[0]!.stopAt).not.toBeNull();
    expect(t(r, r.xid[0]!.stopAt)).toBeCloseTo(1_000_000 / 1000, 0);
    const down = r.outages.find((o) => o.cause.includes('shut down'))!;
    // 100 GB at 500 MB/s: 200 s, unthrottled (single-user mode is exempt from the stop limit).
    expect(t(r, down.from)).toBe(3600);
    expect(down.seconds).toBeCloseTo(200, 0);
    expect(r.xid[0]!.endAge).toBeLessThan(stopAge);
    expect(r.events.some((e) => e.message.includes('the documentation of this version: stop the server'))).toBe(true);
    const r16 = run(yaml(16));
    expect(r16.events.some((e) => e.message.includes('PostgreSQL 14+ documentation: do not stop the server'))).toBe(true);
    expect(XID_HALF).toBe(2_147_483_647);
  });
});

describe('the GO Inc. scenario with autovacuum_freeze_max_age 1.5 billion (issue 10)', () => {
  it('after the slot is dropped the bloated catalogs are vacuumed (aggressively: past vacuum_freeze_table_age) and the age falls', () => {
    const s = loadScenarioFile('scenarios/go-xid-wraparound.yaml', { sets: ['clusters.app.nodes.writer.settings.autovacuum_freeze_max_age=1500000000'] });
    const r = runScenario(s).report;
    const drop = Date.parse('2023-10-24T10:00:00+09:00');
    const after = r.vacuums.filter((v) => v.table === 'pg_catalog' && Date.parse(v.from) >= drop);
    const freeing = after.find((v) => !v.result.includes('could not'))!;
    expect(freeing.mode).toBe('aggressive');
    expect(freeing.trigger).toBe('dead rows');
    expect((Date.parse(freeing.from) - drop) / 60e3).toBeLessThan(30);
    expect(freeing.ageAfter!).toBeLessThan(100_000_000);
    // The database's age falls to its next oldest relation's (the user tables, whose own cycle runs to 1.5 billion).
    expect(r.xid[0]!.maxAge).toBeGreaterThan(1_250_000_000);
    expect(r.xid[0]!.endAge).toBeLessThan(r.xid[0]!.maxAge - 300_000_000);
  });
});

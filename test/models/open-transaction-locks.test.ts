/**
 * The classic migration outage (postgres-2.md §6.2): a transaction that read a table holds its
 * AccessShareLock until it ends; an ALTER TABLE queued behind it blocks every later query on the table
 * (lock.c LockAcquireExtended: a request conflicting with a waiter's waits too). lock_timeout gives up and the
 * queue drains; idle_in_transaction_session_timeout ends an idle blocker; a prepared transaction's locks
 * survive a restart (lock.c lock_twophase_recover).
 */
import { describe, expect, it } from 'vitest';
import { runScenario } from '../../src/run.ts';
import { loadScenarioText } from '../../src/scenario/load.ts';
import type { Report } from '../../src/report/types.ts';
import { vacuumDoc } from '../support/vacuum.ts';

const run = (plan: string, settings = ''): Report =>
  runScenario(
    loadScenarioText(
      vacuumDoc(
        {
          tables: '          orders: {size: 1GB, frozen_age: 0}\n          other: {size: 1GB, frozen_age: 0}\n',
          workload: '{target: p, rate: 100/s, wal_per_tx: 1KiB, table: orders, reads: 500/s}',
          plan,
          settings,
        },
        { duration: '1h', workload: '' },
      ),
      'open-transaction-locks.yaml',
    ),
  ).report;

const queued = (r: Report) => r.stalls.filter((s) => s.causeFact?.kind === 'lock-queue').map((s) => s.seconds);
const alter = '  - {at: +6m, name: migrate, ddl: {statement: "ALTER TABLE orders ADD COLUMN note text"@@}}\n';

describe('an open transaction holds the AccessShareLock of the tables it read', () => {
  it('an ALTER TABLE waits for it and every query on the table waits behind the ALTER', () => {
    const r = run(`  - {at: +5m, open_transaction: {node: p, name: report, tables: [orders]}}\n${alter.replace('@@', '')}  - {at: +16m, close_transaction: report}`);
    expect(queued(r)).toEqual([600]);
    expect(r.locks!.waits.find((w) => w.who.includes('migrate'))!.seconds).toBe(600);
  });

  it('not when it read another table', () => {
    const r = run(`  - {at: +5m, open_transaction: {node: p, name: report, tables: [other]}}\n${alter.replace('@@', '')}  - {at: +16m, close_transaction: report}`);
    expect(queued(r)).toEqual([]);
  });

  it('with lock_timeout the ALTER gives up and the queue drains', () => {
    const r = run(`  - {at: +5m, open_transaction: {node: p, name: report, tables: [orders]}}\n${alter.replace('@@', ', lock_timeout: 5s')}  - {at: +16m, close_transaction: report}`);
    expect(queued(r)).toEqual([5]);
    expect(r.locks!.waits.find((w) => w.who.includes('migrate'))!.outcome).toBe('lock_timeout');
  });

  it('idle_in_transaction_session_timeout ends an idle blocker, and the ALTER runs then', () => {
    const r = run(`  - {at: +5m, open_transaction: {node: p, name: report, idle: true, tables: [orders]}}\n${alter.replace('@@', '')}`, 'idle_in_transaction_session_timeout: 2min');
    // Opened at 5 min, terminated at 7 min: the ALTER waited from 6 to 7 min.
    expect(queued(r)).toEqual([60]);
  });

  it('statement_timeout cancels the query of a session running one: the ALTER runs then', () => {
    const r = run(`  - {at: +5m, open_transaction: {node: p, name: report, tables: [orders]}}\n${alter.replace('@@', ', statement_timeout: 0s')}  - {at: +16m, close_transaction: report}`, 'statement_timeout: 2min');
    // The report began at 5 min and is cancelled at 7 min: the ALTER waited from 6 to 7 min.
    expect(r.locks!.waits.find((w) => w.who.includes('migrate'))!.seconds).toBe(60);
    expect(JSON.stringify(r)).toContain('ran longer than');
  });

  it('a prepared transaction keeps its lock across a restart: the ALTER after it still waits', () => {
    const r = run(`  - {at: +5m, open_transaction: {node: p, name: gid1, prepared: true, tables: [orders]}}\n  - {at: +5m30s, restart: p}\n${alter.replace('@@', '')}  - {at: +16m, close_transaction: gid1}`);
    expect(r.locks!.waits.find((w) => w.who.includes('migrate'))!.seconds).toBe(600);
  });
});

describe('CREATE INDEX CONCURRENTLY waits for the older transactions of its database (indexcmds.c WaitForOlderSnapshots)', () => {
  const report = '  - {at: +5m, open_transaction: {node: p, name: report, tables: [other]}}\n';
  const cic = (extra = '') => `  - {at: +6m, name: index, ddl: {statement: "CREATE INDEX CONCURRENTLY orders_k ON orders (k)", duration: 10s${extra}}}\n`;

  it('holding its lock until a transaction that read another table ends: an ALTER behind it queues every query', () => {
    const r = run(`${report}${cic()}${alter.replace('@@', '').replace('+6m', '+7m')}  - {at: +16m, close_transaction: report}`);
    expect(JSON.stringify(r)).toContain('has built its index and waits, holding its lock, for the older transactions of its database to end: session \\"report\\"');
    // The ALTER waits from 7 min until the report ends at 16 min.
    expect(r.locks!.waits.find((w) => w.who.includes('migrate'))!.seconds).toBe(540);
    expect(queued(r)).toEqual([540]);
  });

  it('not for a session idle in transaction (READ COMMITTED: no snapshot between statements)', () => {
    const r = run(`  - {at: +5m, open_transaction: {node: p, name: report, idle: true, tables: [other]}}\n${cic()}${alter.replace('@@', '').replace('+6m', '+7m')}  - {at: +16m, close_transaction: report}`);
    expect(r.locks!.waits.find((w) => w.who.includes('migrate'))!.seconds).toBe(0);
  });

  it('for one idle in a REPEATABLE READ transaction (its transaction snapshot has an xmin)', () => {
    const r = run(`  - {at: +5m, open_transaction: {node: p, name: report, idle: true, isolation: repeatable read, tables: [other]}}\n${cic()}${alter.replace('@@', '').replace('+6m', '+7m')}  - {at: +16m, close_transaction: report}`);
    expect(r.locks!.waits.find((w) => w.who.includes('migrate'))!.seconds).toBe(540);
  });

  it('lock_timeout ends its wait (the server leaves an INVALID index)', () => {
    const r = run(`${report}${cic(', lock_timeout: 5s')}${alter.replace('@@', '').replace('+6m', '+7m')}  - {at: +16m, close_transaction: report}`);
    expect(r.locks!.waits.find((w) => w.who.includes('migrate'))!.seconds).toBe(0);
    expect(JSON.stringify(r)).toContain('canceling statement due to lock timeout');
  });

  it('in a session it is refused, as the server does', () => {
    expect(() => run(`  - {at: +5m, open_transaction: {node: p, name: tx}}\n  - {at: +6m, ddl: {statement: "CREATE INDEX CONCURRENTLY i ON orders (k)", session: tx}}`)).toThrow(/cannot run inside a transaction block/);
    expect(() => run(`  - {at: +5m, open_transaction: {node: p, name: tx}}\n  - {at: +6m, ddl: {statement: "ALTER TABLE orders DETACH PARTITION other CONCURRENTLY", session: tx}}`)).toThrow(/cannot run inside a transaction block/);
  });
});

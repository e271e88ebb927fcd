/**
 * The workloads' own long queries (issue 10): each in flight holds its snapshot (procarray.c
 * ComputeXidHorizons: the older of a backend's xid and xmin) and its table lock (lock.c), at flow level: the
 * oldest in flight of a steady stream of duration d began d ago.
 */
import { describe, expect, it } from 'vitest';
import { runScenario } from '../../src/run.ts';
import { loadScenarioText } from '../../src/scenario/load.ts';
import type { Report } from '../../src/report/types.ts';
import { vacuumDoc, type VacuumDocOptions } from '../support/vacuum.ts';

const t = (r: Report, iso: string | null) => (Date.parse(iso ?? r.end) - Date.parse(r.start)) / 1000;
const run = (o: VacuumDocOptions): Report => runScenario(loadScenarioText(vacuumDoc(o, { duration: '2h', workload: '{target: p, rate: 10/s, wal_per_tx: 1KiB}' }), 'long-queries.yaml')).report;

describe('long queries hold table locks: the lock queue behind a DDL', () => {
  const tables = '          orders: {size: 1GB, frozen_age: 0}\n';
  const workload = (long: string) => `{target: p, rate: 500/s, wal_per_tx: 2KiB, table: orders, reads: 2000/s${long}}`;
  const ddl = (extra = '') => `  - {at: +5m, name: add-column, ddl: {statement: "ALTER TABLE orders ADD COLUMN note text"${extra}}}`;
  const reports = (d: string) => `, long_reads: {duration: ${d}, share: 0.0001}`;

  it('an ALTER TABLE waits for the long query started just before it, and every later query waits behind it', () => {
    const r = run({ tables, workload: workload(reports('10m')), plan: ddl() });
    const wait = r.locks!.waits.find((w) => w.who.includes('add-column'))!;
    expect(wait.outcome).toBe('granted');
    expect(t(r, wait.from)).toBe(300);
    expect(t(r, wait.to)).toBe(900);
    expect(wait.chain[0]!.text).toMatch(/^long queries of clients held AccessShareLock on app\.orders/);
    const stall = r.stalls.find((s) => s.causeFact?.kind === 'lock-queue' && s.causeFact.table === 'app.orders')!;
    expect(t(r, stall.from)).toBe(300);
    expect(t(r, stall.to)).toBe(900);
    expect(stall.cause).toMatch(/queue behind "add-column" ALTER TABLE \.\.\. ADD COLUMN \(waiting for AccessExclusiveLock\), which waits behind long queries of clients holding AccessShareLock/);
  });

  it('the wait follows the queries\' duration; without long queries the DDL passes at once', () => {
    const wait = (long: string) => {
      const r = run({ tables, workload: workload(long), plan: ddl() });
      return r.locks!.waits.find((w) => w.who.includes('add-column'))!.seconds;
    };
    expect(wait(reports('20m'))).toBe(1200);
    expect(wait('')).toBe(0);
    // Long write transactions hold RowExclusiveLock the same way.
    expect(wait(', long_writes: {duration: 3m, share: 0.001}')).toBe(180);
  });

  it('statement_timeout on the server cancels the long queries themselves: a DDL waits for the one in flight that long at most', () => {
    // 10-minute reports under a server-wide statement_timeout of 2 min: each is cancelled after 2 min, so the
    // ALTER (with a statement_timeout of its own above that) waits 2 min, not 10.
    const r = run({ tables, settings: 'statement_timeout: 2min', workload: workload(reports('10m')), plan: ddl(', statement_timeout: 1h') });
    const wait = r.locks!.waits.find((w) => w.who.includes('add-column'))!;
    expect(wait.outcome).toBe('granted');
    expect(wait.seconds).toBe(120);
    const cut = r.events.find((e) => e.message.includes('run longer than statement_timeout'))!;
    expect(cut.log[0]).toBe('client backend ERROR:  canceling statement due to statement timeout');
  });

  it('with lock_timeout the DDL gives up and the queries behind it go on', () => {
    const r = run({ tables, workload: workload(reports('10m')), plan: ddl(', lock_timeout: 3s') });
    const wait = r.locks!.waits.find((w) => w.who.includes('add-column'))!;
    expect(wait.outcome).toBe('lock_timeout');
    expect(wait.seconds).toBe(3);
    expect(r.stalls.filter((s) => s.causeFact?.kind === 'lock-queue').map((s) => s.seconds)).toEqual([3]);
  });
});

describe('long queries hold the xmin horizon: vacuum can neither remove nor freeze past them', () => {
  const tables = '          orders: {size: 1GB, rows: 10000000, frozen_age: 0}\n';
  const freeze = '  - {at: +6h, vacuum: {table: orders, freeze: true}}';
  const rate = 500;
  const after = (long: string) => {
    const r = run({ duration: '7h', tables, workload: `{target: p, rate: ${rate}/s, wal_per_tx: 2KiB, table: orders, reads: 100/s${long}}`, plan: freeze });
    return r.vacuums.find((v) => v.trigger === 'manual')!;
  };

  it('a VACUUM FREEZE leaves relfrozenxid at the XID assigned when the oldest long query began', () => {
    const none = after('');
    expect(none.ageAfter).toBeLessThan(rate * 60);
    expect(none.blockedBy ?? null).toBeNull();
    const two = after(', long_reads: {duration: 2h, share: 0.01}');
    expect(two.ageAfter! / rate).toBeCloseTo(2 * 3600 + (two.seconds ?? 0), -1);
    expect(two.blockedBy).toMatch(/^long queries of workload "clients" \(2 h each, database app\)/);
    const four = after(', long_reads: {duration: 4h, share: 0.01}');
    expect(four.ageAfter! / rate).toBeCloseTo(4 * 3600 + (four.seconds ?? 0), -1);
  });

  it('a long read\'s snapshot counts the long write transactions running when it began (their XIDs): the two add up', () => {
    const w = after(', long_writes: {duration: 1h, share: 0.001}');
    expect(w.ageAfter! / rate).toBeCloseTo(3600 + (w.seconds ?? 0), -1);
    const both = after(', long_writes: {duration: 1h, share: 0.001}, long_reads: {duration: 1h, share: 0.01}');
    expect(both.ageAfter! / rate).toBeCloseTo(2 * 3600 + (both.seconds ?? 0), -1);
  });

  it('the dead rows a long query can still see stay after the vacuum', () => {
    const r = run({ duration: '7h', tables, workload: `{target: p, rate: ${rate}/s, wal_per_tx: 2KiB, table: orders, reads: 100/s, long_reads: {duration: 2h, share: 0.01}}`, plan: freeze });
    const v = r.vacuums.find((x) => x.trigger === 'manual')!;
    const kept = Number(/([\d,]+) dead rows it could not remove/.exec(v.result)![1]!.replace(/,/g, ''));
    expect(kept).toBeCloseTo(rate * 2 * 3600, -3);
  });
});

describe('long queries in the grammar', () => {
  const error = (workload: string) => {
    try {
      loadScenarioText(vacuumDoc({ tables: '          orders: {size: 1GB}\n', workload }, { duration: '1h', workload: '' }), 'bad.yaml');
    } catch (e) {
      const x = e as { message: string; file: string; line: number; column: number };
      return `${x.file}:${x.line}:${x.column}: ${x.message}`;
    }
    return 'no error';
  };
  it('names the field, the line and what it needs', () => {
    expect(error('{target: p, rate: 10/s, wal_per_tx: 1KiB, table: orders, long_reads: {duration: 10m}}')).toMatch(/^bad\.yaml:16:72: long_reads in workload of cluster "c" needs reads/);
    expect(error('{target: p, rate: 10/s, wal_per_tx: 1KiB, long_writes: {duration: 10m}}')).toMatch(/long_writes.* needs the workload's table/);
    expect(error('{target: p, rate: 10/s, wal_per_tx: 1KiB, table: orders, reads: 1/s, long_reads: {duration: 10m, share: 2}}')).toMatch(/fraction from 0 to 1/);
  });
});

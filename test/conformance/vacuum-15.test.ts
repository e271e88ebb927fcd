/**
 * The vacuum model against what PostgreSQL 15.18 printed (test/conformance/vacuum-15.json, recorded with
 * conformance/vacuum/observe-15.sh): the wraparound WARNING on every XID assignment, the stop ERROR naming the
 * database with the oldest datfrozenxid, the way back with a plain database-wide VACUUM, and a SELECT queued
 * behind an ALTER TABLE that waits for a ShareUpdateExclusiveLock until its lock_timeout.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runScenario } from '../../src/run.ts';
import { loadScenarioText } from '../../src/scenario/load.ts';

const real = JSON.parse(readFileSync('test/conformance/vacuum-15.json', 'utf8'));
/** A server line without the model's process name and tab ("client backend WARNING:  x\n\tHINT:  y" -> "WARNING:  x\nHINT:  y"). */
const plain = (line: string) => line.replace(/^[a-z ]+ (LOG|WARNING|ERROR|FATAL):/, '$1:').replace(/\n\t/g, '\n');

/** app holds datfrozenxid 716, postgres 728; the next XID is `next`; one XID a second. */
function limits(next: number, plan = '  []') {
  const age = (frozen: number) => next - frozen;
  return runScenario(
    loadScenarioText(
      `
name: conformance-15
start: 2024-01-01T00:00:00Z
duration: 25s
sites: {dc: {}}
clusters:
  c:
    nodes: {p: {site: dc, version: 15}}
    databases:
      app: {tables: {t: {size: 1MB, frozen_age: ${age(real.datfrozenxid.app)}}}}
      postgres: {tables: {t0: {size: 1MB, frozen_age: ${age(real.datfrozenxid.postgres)}}}}
    workload: {target: p, rate: 1/s, wal_per_tx: 200B}
plan:
${plan}
`,
      'conformance-15.yaml',
    ),
  ).report;
}

describe('PostgreSQL 15.18: the wraparound limits', () => {
  it('past the warn limit: the WARNING names the oldest database, with xidWrapLimit - xid, at every XID assignment', () => {
    const r = limits(real.warn.nextXid);
    const ev = r.events.find((e) => e.message.includes('reached the warning limit'))!;
    expect(plain(ev.log[0]!)).toBe(real.warn.lines[0]);
    // One WARNING per XID assigned: the second one says one transaction less.
    expect(ev.repeated!.count).toBeGreaterThanOrEqual(2);
    expect(real.warn.lines[1]).toContain('39999989');
  });

  it('at the stop limit: two more XIDs, then the ERROR naming app; read-only work goes on', () => {
    const r = limits(real.stop.nextXid);
    const stop = r.events.find((e) => e.message.includes('reached the stop limit'))!;
    expect(plain(stop.log[0]!)).toBe(real.stop.firstError);
    expect((Date.parse(r.xid[0]!.stopAt!) - Date.parse(r.start)) / 1000).toBe(real.stop.writesBeforeTheStop);
    expect(r.outages[0]!.cause).toContain('not accepting commands');
  });

  it('a plain database-wide VACUUM of app in multi-user mode lifts the stop; the limits then name postgres', () => {
    const r = limits(real.stop.nextXid, '  - {at: +10s, vacuum: {database: app}}');
    const named = r.events.flatMap((e) => e.log).map(plain).filter((l) => l.startsWith('WARNING:  database "postgres" must be vacuumed within'));
    expect(named[0]!.split('\n')[0]).toBe(real.stop.afterDatabaseWideVacuumOfApp);
    expect(r.events.some((e) => e.message.includes('below the stop limit again'))).toBe(true);
  });
});

describe('PostgreSQL 15.18: a SELECT behind an ALTER TABLE waiting for its lock', () => {
  it('queues until the ALTER gives up at lock_timeout, then runs', () => {
    const q = real.lockQueue;
    const r = runScenario(
      loadScenarioText(
        `
name: conformance-15-locks
start: 2024-01-01T00:00:00Z
duration: 20s
sites: {dc: {}}
clusters:
  c:
    nodes: {p: {site: dc, version: 15}}
    databases: {app: {tables: {t: {size: 1MB, frozen_age: 0}}}}
    workload: {target: p, rate: 1/s, wal_per_tx: 200B, table: t, reads: 100/s}
plan:
  - {at: +0s, open_transaction: {node: p, name: holder}}
  - {at: +0s, ddl: {statement: "LOCK t IN SHARE UPDATE EXCLUSIVE MODE", session: holder}}
  - {at: +${q.alterAt}s, name: alter, ddl: {statement: "ALTER TABLE t ADD COLUMN y int", lock_timeout: ${q.alterLockTimeout}s}}
  - {at: +8s, close_transaction: holder}
`,
        'conformance-15-locks.yaml',
      ),
    ).report;
    const wait = r.locks!.waits.find((w) => w.who.includes('alter'))!;
    expect(wait.outcome).toBe('lock_timeout');
    expect(wait.seconds).toBeCloseTo(q.alterFailedAfter, 0);
    expect(r.events.some((e) => e.log.map(plain).includes(q.alterError))).toBe(true);
    // A read arriving at selectAt waits until the ALTER leaves the queue.
    const stall = r.stalls.find((s) => s.cause.startsWith('lock queue on app.t'))!;
    const end = (Date.parse(stall.to) - Date.parse(r.start)) / 1000;
    expect(end - q.selectAt).toBeCloseTo(q.selectWaited, 0);
  });
});

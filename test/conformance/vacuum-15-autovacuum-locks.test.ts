/**
 * A DDL against a running autovacuum, the model against what PostgreSQL 15.18 did
 * (test/conformance/vacuum-15-autovacuum-locks.json, recorded with
 * conformance/vacuum/observe-autovacuum-locks-15.sh): the ALTER TABLE cancels a regular autovacuum after
 * deadlock_timeout and gets its lock; behind an anti-wraparound one it waits until its lock_timeout, the
 * vacuum goes on, and a SELECT queued behind the ALTER fails at its statement_timeout.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runScenario } from '../../src/run.ts';
import { loadScenarioText } from '../../src/scenario/load.ts';
import type { Report } from '../../src/report/types.ts';
import { vacuumDoc } from '../support/vacuum.ts';

const real = JSON.parse(readFileSync('test/conformance/vacuum-15-autovacuum-locks.json', 'utf8'));
const plain = (line: string) => line.replace(/^[a-z ]+ (LOG|WARNING|ERROR|FATAL):/, '$1:').replace(/\n\t/g, '\n');
const logs = (r: Report) => r.events.flatMap((e) => e.log).map(plain);
const run = (o: Parameters<typeof vacuumDoc>[0]) => runScenario(loadScenarioText(vacuumDoc({ version: 15, ...o }, { duration: '10m', workload: '' }), 'autovacuum-locks.yaml')).report;

describe('PostgreSQL 15.18: an ALTER TABLE against a running autovacuum', () => {
  it('a regular one is cancelled after deadlock_timeout and the ALTER gets its lock', () => {
    const q = real.regular;
    // Updates pass the dead-row threshold of t (100,000 rows) at 40 s; the vacuum starts at the visit at 60 s.
    const r = run({
      settings: 'autovacuum_vacuum_cost_limit: 1, autovacuum_vacuum_cost_delay: 100ms',
      tables: '          t: {size: 1GB, rows: 100000, frozen_age: 0}\n',
      workload: '{target: p, rate: 500/s, wal_per_tx: 2KiB, table: t}',
      plan: '  - {at: +90s, name: alter, ddl: {statement: "ALTER TABLE t ADD COLUMN y int"}}',
    });
    const v = r.vacuums.find((x) => x.table === 't')!;
    expect(v.trigger).toBe('dead rows');
    expect(v.result).toMatch(/^cancelled/);
    const wait = r.locks!.waits.find((w) => w.who.includes('alter'))!;
    expect(wait.outcome).toBe('granted');
    expect(wait.seconds).toBeCloseTo(q.alterWaited, 0);
    // CONTEXT: the block it was at (15.18: "while scanning block 4 of relation ..."), then the table.
    const [scanning, table] = q.workerContext.split('\n');
    const line = logs(r).find((l) => l.startsWith(q.workerError))!;
    expect(line.split('\n')[1]).toMatch(new RegExp(`^CONTEXT:  ${scanning.replace(/\d+/, '\\d+').replace(/[()"]/g, '\\$&')}$`));
    expect(line.split('\n')[2]).toBe(table.replace('postgres.', 'app.'));
  });

  it('an anti-wraparound one is not: the ALTER fails at lock_timeout, the SELECT behind it at statement_timeout', () => {
    const q = real.antiWraparound;
    const r = run({
      settings: `autovacuum_vacuum_cost_limit: 1, autovacuum_vacuum_cost_delay: 100ms, statement_timeout: ${q.selectStatementTimeout}s`,
      tables: '          u: {size: 1GB, frozen_age: 200000000}\n',
      workload: '{target: p, rate: 1/s, wal_per_tx: 2KiB, table: u, reads: 100/s}',
      plan: `  - {at: +2m, name: alter, ddl: {statement: "ALTER TABLE u ADD COLUMN y int", lock_timeout: ${q.alterLockTimeout}s, statement_timeout: 0s}}`,
    });
    // The vacuum (from the visit at 1 min) is still running at the end: it is in the wait's chain, not cancelled.
    expect(r.vacuums.filter((x) => x.table === 'u')).toEqual([]);
    const wait = r.locks!.waits.find((w) => w.who.includes('alter'))!;
    expect(wait.chain[0]!.text).toMatch(/^autovacuum worker \(VACUUM app\.public\.u to prevent wraparound\) held ShareUpdateExclusiveLock/);
    expect(wait.outcome).toBe('lock_timeout');
    expect(wait.seconds).toBe(q.alterLockTimeout);
    expect(logs(r)).toContain(q.alterError);
    expect(logs(r).some((l) => l.startsWith('ERROR:  canceling autovacuum task'))).toBe(false);
    // Reads that came in the ALTER's first 2 s waited 3 s and failed; the later ones ran when it gave up.
    const reads = r.locks!.requests.find((x) => x.workload === 'clients')!;
    const failedShare = (q.alterLockTimeout - q.selectStatementTimeout) / q.alterLockTimeout;
    const queued = [...r.stalls, ...r.outages].filter((x) => x.causeFact?.kind === 'lock-queue');
    expect(queued.length).toBeGreaterThan(0);
    expect(reads.failed).toBeCloseTo(101 * q.alterLockTimeout * failedShare, -1);
    // The real SELECT, 0.5 s after the ALTER, is one of them: it failed after its statement_timeout.
    expect(q.selectAfterAlter + q.selectStatementTimeout).toBeLessThan(q.alterLockTimeout);
    expect(q.selectEndedAfter).toBeCloseTo(q.selectStatementTimeout, 0);
  });
});

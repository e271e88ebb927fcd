/** The table-lock manager on its own (postgres-2.md §6, rules 21-23): conflicts, the FIFO queue, timeouts, the detector. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Simulation } from '../../src/engine/simulation.ts';
import type { Micros } from '../../src/engine/time.ts';
import { History } from '../../src/history/history.ts';
import type { LockFact } from '../../src/history/facts/locks.ts';
import { factText } from '../../src/report/facts/index.ts';
import { LockManager, type LockFailure, type LockOwner } from '../../src/models/postgres/locks/manager.ts';
import { conflicts, LOCK_MODES, type LockMode } from '../../src/models/postgres/locks/modes.ts';
import { classifyStatement } from '../../src/models/postgres/locks/statements.ts';
import type { LogLine } from '../../src/models/postgres/messages.ts';

const ms = (n: number) => (n * 1000) as Micros;

function setup(o: { deadlockTimeout?: number } = {}) {
  const sim = new Simulation();
  const history = new History();
  const logged: { fact: LockFact; lines: readonly LogLine[] }[] = [];
  let changes = 0;
  const locks = new LockManager({
    sim,
    history,
    cluster: 'c',
    stallThreshold: ms(1000),
    deadlockTimeout: () => ms(o.deadlockTimeout ?? 1000),
    logLockWaits: () => false,
    oids: () => ({ rel: 16385, db: 16384 }),
    log: (fact, lines) => logged.push({ fact, lines }),
    changed: () => changes++,
    beforeLock: () => {},
  });
  const events: string[] = [];
  const request = (owner: LockOwner, mode: LockMode, opts: { table?: string; lockTimeout?: number; statementTimeout?: number } = {}) => {
    const r = { granted: null as Micros | null, failed: null as LockFailure | null, lines: [] as readonly LogLine[] };
    locks.acquire({
      owner,
      table: opts.table ?? 't',
      mode,
      lockTimeout: ms(opts.lockTimeout ?? 0),
      statementDeadline: opts.statementTimeout !== undefined ? ((sim.now + ms(opts.statementTimeout)) as Micros) : null,
      onGranted: () => {
        r.granted = sim.now;
        events.push(`${owner.label} granted ${mode}`);
      },
      onFailed: (why, lines) => {
        r.failed = why;
        r.lines = lines;
        events.push(`${owner.label} failed ${why}`);
      },
    });
    return r;
  };
  return { sim, history, locks, logged, events, request, changes: () => changes };
}

describe('lock modes and the conflict table (lock.c LockConflicts)', () => {
  it('is symmetric and matches the documented table', () => {
    for (const a of LOCK_MODES) for (const b of LOCK_MODES) expect(conflicts(a, b)).toBe(conflicts(b, a));
    const row = (m: LockMode) => LOCK_MODES.map((x) => (conflicts(m, x) ? 'x' : '.')).join('');
    expect(row('AccessShareLock')).toBe('.......x');
    expect(row('RowExclusiveLock')).toBe('....xxxx');
    expect(row('ShareUpdateExclusiveLock')).toBe('...xxxxx');
    expect(row('ShareLock')).toBe('..xx.xxx');
    expect(row('AccessExclusiveLock')).toBe('xxxxxxxx');
  });

  it('statements take the lock of their version (ALTER TABLE levels from 9.4, FK from 9.5, REINDEX CONCURRENTLY 12+)', () => {
    const mode = (sql: string, v: number) => {
      const c = classifyStatement(sql, v);
      return c.ok ? c.mode : `error: ${c.reason}`;
    };
    expect(mode('ALTER TABLE orders ADD COLUMN note text', 16)).toBe('AccessExclusiveLock');
    expect(mode('ALTER TABLE orders VALIDATE CONSTRAINT c', 9.3)).toBe('AccessExclusiveLock');
    expect(mode('ALTER TABLE orders VALIDATE CONSTRAINT c', 9.4)).toBe('ShareUpdateExclusiveLock');
    expect(mode('ALTER TABLE orders ADD CONSTRAINT fk FOREIGN KEY (a) REFERENCES b (a)', 9.4)).toBe('AccessExclusiveLock');
    expect(mode('ALTER TABLE orders ADD CONSTRAINT fk FOREIGN KEY (a) REFERENCES b (a)', 9.5)).toBe('ShareRowExclusiveLock');
    expect(mode('ALTER TABLE orders SET (autovacuum_vacuum_scale_factor = 0.01)', 9.5)).toBe('AccessExclusiveLock');
    expect(mode('ALTER TABLE orders SET (autovacuum_vacuum_scale_factor = 0.01)', 9.6)).toBe('ShareUpdateExclusiveLock');
    expect(mode('CREATE INDEX CONCURRENTLY i ON orders (a)', 13)).toBe('ShareUpdateExclusiveLock');
    expect(mode('CREATE INDEX i ON orders (a)', 13)).toBe('ShareLock');
    expect(mode('REINDEX TABLE CONCURRENTLY orders', 11)).toMatch(/needs PostgreSQL 12/);
    // ShareLock on the table, AccessExclusiveLock on its indexes, which every query opens: it blocks reads too.
    expect(mode('REINDEX TABLE orders', 16)).toBe('AccessExclusiveLock');
    expect(mode('REINDEX TABLE CONCURRENTLY orders', 16)).toBe('ShareUpdateExclusiveLock');
    expect(mode('ALTER TABLE p ATTACH PARTITION c FOR VALUES IN (1)', 11)).toBe('AccessExclusiveLock');
    expect(mode('ALTER TABLE p ATTACH PARTITION c FOR VALUES IN (1)', 12)).toBe('ShareUpdateExclusiveLock');
    expect(mode('LOCK orders IN SHARE MODE', 13)).toBe('ShareLock');
    expect(mode('TRUNCATE orders', 13)).toBe('AccessExclusiveLock');
  });
});

describe('the wait queue (lock.c LockAcquireExtended, proc.c ProcLockWakeup)', () => {
  it('a queued AccessExclusiveLock blocks a later AccessShareLock that the holder would allow', () => {
    const { locks, request, sim } = setup();
    const vac = locks.newOwner('autovacuum worker', 'vacuum');
    const ddl = locks.newOwner('client backend', 'ddl');
    const sel = locks.newOwner('client backend', 'select');
    expect(locks.tryAcquire(vac, 't', 'ShareUpdateExclusiveLock')).toBe(true);
    const a = request(ddl, 'AccessExclusiveLock');
    const b = request(sel, 'AccessShareLock');
    expect(a.granted).toBeNull();
    expect(b.granted).toBeNull();
    // Without the waiter it would have been granted at once.
    expect(locks.tryAcquire(locks.newOwner('client backend', 'other'), 't', 'AccessShareLock')).toBe(false);
    sim.run(ms(10));
    locks.release(vac);
    expect(a.granted).toBe(ms(10));
    expect(b.granted).toBeNull();
    locks.release(ddl);
    expect(b.granted).toBe(ms(10));
  });

  it('wake-ups go in queue order, each granted unless a waiter still ahead conflicts (the ahead mask)', () => {
    const { locks, request, events } = setup();
    const holder = locks.newOwner('client backend', 'holder');
    expect(locks.tryAcquire(holder, 't', 'AccessExclusiveLock')).toBe(true);
    request(locks.newOwner('client backend', 'rx1'), 'RowExclusiveLock');
    request(locks.newOwner('client backend', 'share'), 'ShareLock');
    request(locks.newOwner('client backend', 'rx2'), 'RowExclusiveLock');
    request(locks.newOwner('client backend', 'as'), 'AccessShareLock');
    locks.release(holder);
    // rx1 goes; ShareLock conflicts with rx1 (granted) and waits; rx2 conflicts with the ShareLock still
    // ahead of it and waits although rx1 holds a compatible mode; AccessShare conflicts with neither.
    expect(events).toEqual(['rx1 granted RowExclusiveLock', 'as granted AccessShareLock']);
  });

  it('lock_timeout ends a wait with the server\'s ERROR, and the waiters behind it go on', () => {
    const { locks, request, sim } = setup();
    const vac = locks.newOwner('autovacuum worker', 'vacuum');
    locks.tryAcquire(vac, 't', 'ShareUpdateExclusiveLock');
    const ddl = request(locks.newOwner('client backend', 'ddl'), 'AccessExclusiveLock', { lockTimeout: 5000 });
    const sel = request(locks.newOwner('client backend', 'select'), 'AccessShareLock');
    sim.run(ms(4999));
    expect(ddl.failed).toBeNull();
    sim.run(ms(5000));
    expect(ddl.failed).toBe('lock_timeout');
    expect(ddl.lines[0]!.message).toBe('canceling statement due to lock timeout');
    expect(sel.granted).toBe(ms(5000));
  });

  it('statement_timeout counts from the statement\'s start', () => {
    const { locks, request, sim } = setup();
    locks.tryAcquire(locks.newOwner('client backend', 'h'), 't', 'AccessExclusiveLock');
    const r = request(locks.newOwner('client backend', 'w'), 'AccessShareLock', { statementTimeout: 2000, lockTimeout: 5000 });
    sim.run(ms(3000));
    expect(r.failed).toBe('statement_timeout');
    expect(r.lines[0]!.message).toBe('canceling statement due to statement timeout');
  });

  it('after deadlock_timeout a waiter cancels a regular autovacuum that blocks it directly, never an anti-wraparound one', () => {
    for (const wraparound of [false, true]) {
      const { locks, request, sim } = setup();
      const vac = locks.newOwner('autovacuum worker', 'autovacuum');
      let cancelled: Micros | null = null;
      if (!wraparound) vac.cancelAutovacuum = () => {
        cancelled = sim.now;
        locks.release(vac);
      };
      locks.tryAcquire(vac, 't', 'ShareUpdateExclusiveLock');
      const ddl = request(locks.newOwner('client backend', 'ddl'), 'AccessExclusiveLock');
      // An indirectly blocked waiter (behind the DDL) does not trigger it.
      request(locks.newOwner('client backend', 'select'), 'AccessShareLock');
      sim.run(ms(999));
      expect(cancelled).toBeNull();
      sim.run(ms(60_000));
      if (wraparound) {
        expect(cancelled).toBeNull();
        expect(ddl.granted).toBeNull();
      } else {
        expect(cancelled).toBe(ms(1000));
        expect(ddl.granted).toBe(ms(1000));
      }
    }
  });

  it('a cycle of hard waits fails the waiter whose deadlock_timeout fires first with "deadlock detected"', () => {
    const { locks, request, sim } = setup();
    const a = locks.newOwner('client backend', 'a');
    const b = locks.newOwner('client backend', 'b');
    locks.tryAcquire(a, 't1', 'AccessExclusiveLock');
    locks.tryAcquire(b, 't2', 'AccessExclusiveLock');
    const wa = request(a, 'AccessExclusiveLock', { table: 't2' });
    sim.run(ms(100));
    const wb = request(b, 'AccessExclusiveLock', { table: 't1' });
    sim.run(ms(2000));
    expect(wa.failed).toBe('deadlock');
    expect(wa.lines[0]!.message).toBe('deadlock detected');
    expect(wa.lines[0]!.detail).toMatch(/^Process \d+ waits for AccessExclusiveLock on relation \d+ of database \d+; blocked by process \d+\./);
    expect(wb.granted).toBeNull();
    // The victim's transaction aborts and releases its locks (xact.c AbortTransaction): b goes on.
    locks.release(a);
    expect(wb.granted).toBe(ms(2000));
  });

  it('workload queries queue as a count behind a waiting DDL and are served together; with a timeout the old ones fail', () => {
    const { locks, sim, history } = setup();
    const vac = locks.newOwner('autovacuum worker', 'vacuum');
    locks.tryAcquire(vac, 't', 'ShareUpdateExclusiveLock');
    locks.setFlow('app', 't', 'AccessShareLock', 100, ms(0));
    locks.setFlow('batch', 't', 'RowExclusiveLock', 10, ms(2000));
    expect(locks.blockOf('app', sim.now)).toBeNull();
    const ddl = locks.newOwner('client backend', 'ddl');
    sim.at(ms(1000), 'ddl', () =>
      locks.acquire({ owner: ddl, table: 't', mode: 'AccessExclusiveLock', lockTimeout: 0 as Micros, statementDeadline: null, onGranted: () => sim.after(0 as Micros, 'commit', () => locks.release(ddl)), onFailed: () => {} }),
    );
    sim.at(ms(11_000), 'vacuum ends', () => locks.release(vac));
    sim.run(ms(5000));
    const b = locks.blockOf('app', sim.now)!;
    expect(b.failing).toBe(false);
    expect(b.cause).toEqual({
      kind: 'lock-queue',
      table: 't',
      workload: 'app',
      modes: ['AccessShareLock'],
      mode: 'AccessShareLock',
      holders: [{ who: 'vacuum', mode: 'ShareUpdateExclusiveLock' }],
      waiters: [{ who: 'ddl', mode: 'AccessExclusiveLock' }],
      failing: false,
    });
    expect(factText(b.cause)).toMatch(/lock queue on t: reads of app queue behind ddl \(waiting for AccessExclusiveLock\), which waits behind vacuum holding ShareUpdateExclusiveLock/);
    expect(locks.blockOf('batch', sim.now)!.failing).toBe(true);
    sim.run(ms(20_000));
    expect(locks.blockOf('app', sim.now)).toBeNull();
    const totals = Object.fromEntries(locks.requestTotals(sim.now).map((t) => [t.workload, t]));
    // 10 s of reads at 100/s waited, none failed; of the writes only the last 2 s were still waiting.
    expect(totals.app!.arrived).toBeCloseTo(2000, 6);
    expect(totals.app!.failed).toBeCloseTo(0, 6);
    expect(totals.app!.slow).toBeCloseTo(900, 6);
    expect(totals.batch!.failed).toBeCloseTo(80, 6);
    const queue = history.locks.filter((r) => r.kind === 'queue');
    expect(queue.map((q) => [q.workload, q.from, q.to])).toEqual([
      ['app', ms(1000), ms(11_000)],
      ['batch', ms(1000), ms(11_000)],
    ]);
  });
});

describe('the queue under random requests (property)', () => {
  it('granted locks never conflict across owners, and nobody waits without a conflict ahead of it or granted', () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant('acquire' as const), owner: fc.nat(5), table: fc.nat(1), mode: fc.constantFrom(...LOCK_MODES), timeout: fc.constantFrom(0, 500, 3000) }),
      fc.record({ kind: fc.constant('release' as const), owner: fc.nat(5) }),
      fc.record({ kind: fc.constant('wait' as const), ms: fc.integer({ min: 1, max: 2000 }) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), (ops) => {
        const { locks, sim } = setup();
        const owners = Array.from({ length: 6 }, (_, i) => locks.newOwner('client backend', `o${i}`));
        let now = 0;
        for (const o of ops) {
          if (o.kind === 'acquire') {
            sim.at(ms(now), 'acquire', () => locks.acquire({ owner: owners[o.owner]!, table: `t${o.table}`, mode: o.mode, lockTimeout: ms(o.timeout), statementDeadline: null, onGranted: () => {}, onFailed: () => {} }));
          } else if (o.kind === 'release') sim.at(ms(now), 'release', () => locks.release(owners[o.owner]!));
          else now += o.ms;
          sim.run(ms(now));
          const tables = (locks as unknown as { tables: Map<string, { granted: { owner: LockOwner; mode: LockMode }[]; queue: ({ kind: 'request'; spec: { owner: LockOwner; mode: LockMode } } | { kind: 'flow' })[] }> }).tables;
          for (const l of tables.values()) {
            for (const a of l.granted) for (const b of l.granted) if (a.owner !== b.owner) expect(conflicts(a.mode, b.mode)).toBe(false);
            const ahead: LockMode[] = [];
            for (const e of l.queue) {
              if (e.kind !== 'request') continue;
              const blocked = l.granted.some((g) => g.owner !== e.spec.owner && conflicts(g.mode, e.spec.mode)) || ahead.some((m) => conflicts(m, e.spec.mode));
              expect(blocked).toBe(true);
              ahead.push(e.spec.mode);
            }
          }
        }
      }),
      { numRuns: 300, seed: 20_240_611 },
    );
  });
});

describe('a workload\'s long queries in flight (long_reads, long_writes)', () => {
  it('hold their mode until one duration after the last started; a server going down ends them', () => {
    const { locks, request, sim } = setup();
    locks.setFlow('reports', 't', 'AccessShareLock', 1, 0 as Micros, ms(600_000));
    sim.run(ms(60_000));
    const ddl = request(locks.newOwner('client backend', 'ddl'), 'AccessExclusiveLock');
    expect(ddl.granted).toBeNull();
    sim.run(ms(700_000));
    expect(ddl.granted).toBe(ms(660_000));
    // The server stops: the queries in flight end with it, and none holds a lock once it is back without them.
    const after = setup();
    after.locks.setFlow('reports', 't', 'AccessShareLock', 1, 0 as Micros, ms(600_000));
    after.sim.run(ms(60_000));
    after.locks.reset();
    after.locks.setFlow('reports', 't', 'AccessShareLock', 0, 0 as Micros, ms(600_000));
    const next = after.request(after.locks.newOwner('client backend', 'ddl'), 'AccessExclusiveLock');
    expect(next.granted).toBe(ms(60_000));
  });
});

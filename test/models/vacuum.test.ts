/**
 * Autovacuum as the launcher and its workers run it, the DBA's operations, and table locks in the running
 * model (postgres-2.md §5-6). Each scenario is small and short; the figures come from the cost model:
 * PostgreSQL 16 reads a page for vacuum_cost_page_miss 2 and dirties it for 20, so a worker alone freezes
 * 200 / 22 pages per 2 ms = 37.2 MB/s.
 */
import { describe, expect, it } from 'vitest';
import { runScenario } from '../../src/run.ts';
import { loadScenarioText } from '../../src/scenario/load.ts';
import type { Report, VacuumJson } from '../../src/report/types.ts';
import { vacuumDoc, type VacuumDocOptions } from '../support/vacuum.ts';

const t = (r: Report, iso: string | null) => (Date.parse(iso ?? r.end) - Date.parse(r.start)) / 1000;

function run(yaml: string): Report {
  return runScenario(loadScenarioText(yaml, 'vacuum-test.yaml')).report;
}

/** One primary with the given tables, settings and plan; times are seconds from the start. */
const scenario = (o: VacuumDocOptions) => vacuumDoc(o, { duration: '2h', workload: '{target: p, rate: 10/s, wal_per_tx: 1KiB}' });

const vac = (r: Report, table: string): VacuumJson[] => r.vacuums.filter((v) => v.table === table);

describe('autovacuum: cost budget and workers (postgres-2.md §5.6, rule 17)', () => {
  const big = '          big: {size: 10GB, vacuum_scan: 1, frozen_age: 200000000}\n';

  it('a cost limit twice as high halves a vacuum', () => {
    const once = vac(run(scenario({ tables: big })), 'big')[0]!;
    const twice = vac(run(scenario({ tables: big, settings: 'autovacuum_vacuum_cost_limit: 400' })), 'big')[0]!;
    expect(once.trigger).toBe('anti-wraparound');
    expect(once.mbPerSecond).toBeCloseTo(37.2, 1);
    expect(twice.seconds / once.seconds).toBeCloseTo(0.5, 3);
  });

  it('two concurrent workers share one budget (limit / n each); one worker at a time runs each at the full rate', () => {
    const two = '          a: {size: 10GB, vacuum_scan: 1, frozen_age: 200000000}\n          b: {size: 10GB, vacuum_scan: 1, frozen_age: 200000000}\n';
    const shared = run(scenario({ tables: two }));
    const alone = run(scenario({ tables: two, settings: 'autovacuum_max_workers: 1' }));
    const [a, b] = [vac(shared, 'a')[0]!, vac(shared, 'b')[0]!];
    // The second worker starts at the launcher's next visit; from then on both read at half the rate: the
    // first one's average (the report's, as PostgreSQL's `avg read rate`) lies between half and all of it.
    expect(t(shared, b.from)).toBeLessThan(t(shared, a.to));
    // One database: the next start is a naptime after the first (launch_worker: next_worker = now + naptime),
    // not a second worker at the same instant.
    expect(t(shared, b.from) - t(shared, a.from)).toBe(60);
    expect(a.mbPerSecond).toBeGreaterThan(37.2 / 2);
    expect(a.mbPerSecond).toBeLessThan(37.2);
    expect((a.mbPerSecond * a.seconds) / 1e3).toBeCloseTo(10, 1);
    expect((b.mbPerSecond * b.seconds) / 1e3).toBeCloseTo(10, 1);
    expect(vac(alone, 'a')[0]!.mbPerSecond).toBeCloseTo(37.2, 1);
    expect(t(alone, vac(alone, 'b')[0]!.from)).toBeGreaterThanOrEqual(t(alone, vac(alone, 'a')[0]!.to));
    // The total I/O is the budget's: both done in the time one worker takes for both.
    const end = (r: Report) => Math.max(...r.vacuums.map((v) => t(r, v.to)));
    expect(end(shared)).toBeLessThanOrEqual(end(alone));
  });

  it('autovacuum_vacuum_cost_delay = -1 uses vacuum_cost_delay (0 by default: unthrottled)', () => {
    const speed = (settings: string) => vac(run(scenario({ tables: big, settings })), 'big')[0]!.mbPerSecond;
    // 200 / 22 pages per 5 ms = 14.9 MB/s; with vacuum_cost_delay 0 the disk's 500 MB/s.
    expect(speed('autovacuum_vacuum_cost_delay: -1, vacuum_cost_delay: 5ms')).toBeCloseTo(14.9, 1);
    expect(speed('autovacuum_vacuum_cost_delay: -1')).toBeCloseTo(500, 0);
  });

  it('a run\'s reported speed is its average (PostgreSQL\'s `avg read rate`), not its last: a failsafe that trips midway', () => {
    // 14+: 40 GB at 37.2 MB/s; the failsafe age (1.05 × 200 M = 210 M) is passed 500 s in at 10,000 XIDs/s, then
    // the rest goes at the disk's 500 MB/s: about 19 GB + 21 GB in 540 s, 74 MB/s on average.
    const r = run(scenario({ version: 14, tables: '          big: {size: 40GB, vacuum_scan: 1, frozen_age: 205000000}\n', settings: 'vacuum_failsafe_age: 100000000', workload: '{target: p, rate: 10000/s, wal_per_tx: 200B}' }));
    const v = vac(r, 'big')[0]!;
    expect(v.mode).toBe('failsafe');
    expect((v.mbPerSecond * v.seconds) / 1e3).toBeCloseTo(40, 0);
    expect(v.mbPerSecond).toBeLessThan(100);
  });

  it('a held-back retry loop costs its share of the budget: a vacuum beside it runs at half the rate', () => {
    // The catalogs' dead rows stay while the slot holds catalog_xmin, so autovacuum vacuums them again and
    // again; big passes autovacuum_freeze_max_age at about 1 h 23 min (1,000 XIDs/s, afma 10 million).
    const catalogs = '          pg_catalog: {size: 1GB, catalog: true, churn: 2GB, frozen_age: 0}\n          big: {size: 10GB, vacuum_scan: 1, frozen_age: 5000000}\n';
    const go = (slot: boolean) =>
      run(
        scenario({
          duration: '3h',
          settings: 'autovacuum_freeze_max_age: 10000000',
          workload: '{target: p, rate: 1000/s, wal_per_tx: 200B}',
          tables: catalogs,
          plan: slot ? '  - {at: +1m, create_slot: {name: cdc, node: p, type: logical, database: app, consumer: stopped}}' : '  []',
        }),
      );
    const held = go(true);
    const loop = vac(held, 'pg_catalog').filter((v) => v.result.includes('could not'));
    expect(loop.reduce((a, v) => a + (v.runs ?? 1), 0)).toBeGreaterThan(20);
    // Its average: half the rate while a loop run shares the budget, all of it between runs.
    const [beside, alone] = [vac(held, 'big')[0]!, vac(go(false), 'big')[0]!];
    expect(alone.mbPerSecond).toBeCloseTo(37.2, 1);
    expect(beside.mbPerSecond).toBeGreaterThan(37.2 / 2);
    expect(beside.mbPerSecond).toBeLessThan(37.2 - 1);
    expect(beside.seconds).toBeGreaterThan(alone.seconds * 1.05);
  });

  it('a worker takes its tables in pg_class order (as written), not the oldest first; the launcher takes the oldest database first', () => {
    const one = 'autovacuum_max_workers: 1';
    const tables = run(scenario({ settings: one, tables: '          young: {size: 1GB, frozen_age: 210000000}\n          old: {size: 1GB, frozen_age: 400000000}\n' }));
    expect(t(tables, vac(tables, 'young')[0]!.from)).toBeLessThan(t(tables, vac(tables, 'old')[0]!.from));
    const dbs = run(
      scenario({
        settings: one,
        tables: '',
        databases: '      a:\n        tables:\n          young: {size: 1GB, frozen_age: 210000000}\n      b:\n        tables:\n          old: {size: 1GB, frozen_age: 400000000}\n',
      }),
    );
    expect(t(dbs, vac(dbs, 'old')[0]!.from)).toBeLessThan(t(dbs, vac(dbs, 'young')[0]!.from));
  });

  // The session closes 17 s after a launcher visit (they fall every naptime / 2 from the start): the next
  // visit, not the close, starts the vacuum that frees b.
  const holderGoesAway = (naptime: string) =>
    run(
      scenario({
        duration: '12h',
        settings: `autovacuum_freeze_max_age: 10000000, autovacuum_naptime: ${naptime}`,
        workload: '{target: p, rate: 1000/s, wal_per_tx: 200B}',
        tables: '',
        databases: `      a:\n        tables:\n          busy: {size: 1GB, rows: 1000000, churn: 200MB, frozen_age: 0}\n      b:\n        tables:\n          held: {size: 1GB, frozen_age: 9000000}\n`,
        plan: `  - {at: +30m, open_transaction: {node: p, name: report, database: b}}\n  - {at: +8h17s, close_transaction: report}`,
      }),
    );
  const close = 8 * 3600 + 17;
  const freedAfter = (r: Report) => t(r, vac(r, 'held').find((v) => t(r, v.from) >= close && !v.result.includes('could not'))!.from) - close;

  it('a database whose holder goes away is vacuumed within a naptime; meanwhile it took every worker start and the other database starved', () => {
    // autovacuum_freeze_max_age 10 million at 1,000 XIDs/s: a database passes it in under three hours.
    const r = holderGoesAway('1min');
    const held = vac(r, 'held');
    // From the anti-wraparound vacuum that could not freeze past the session, b is past the freeze age.
    const stuck = held.find((v) => v.trigger === 'anti-wraparound' && v.result.includes('could not freeze past transaction "report"'))!;
    expect(stuck).toBeDefined();
    const onset = t(r, stuck.from);
    expect(onset).toBeLessThan(close);
    expect(freedAfter(r)).toBeGreaterThan(0);
    expect(freedAfter(r)).toBeLessThanOrEqual(60);
    // With a naptime of 10 minutes it waits for the next visit, 5 minutes apart with two databases.
    const slow = freedAfter(holderGoesAway('10min'));
    expect(slow).toBeGreaterThan(60);
    expect(slow).toBeLessThanOrEqual(600);
    expect(r.xid[0]!.databases.find((d) => d.name === 'b')!.age).toBeLessThan(10_000_000);
    // Database a's table needed vacuums all along (its dead rows pass the threshold about every hour): none
    // started while b held every worker start (§5.2 step 1, §5.7), and they resumed once b was freed.
    const busy = vac(r, 'busy');
    expect(busy.some((v) => t(r, v.from) < onset)).toBe(true);
    expect(busy.some((v) => t(r, v.from) > onset + 60 && t(r, v.from) < close)).toBe(false);
    expect(busy.some((v) => t(r, v.from) >= close)).toBe(true);
  });
});

describe('table locks under a vacuum (postgres-2.md §6.5, rules 15-16, 21-23)', () => {
  const orders = '          orders: {size: 100GB, vacuum_scan: 0.3, frozen_age: 199990000}\n';
  const busy = '{target: p, rate: 500/s, wal_per_tx: 2KiB, table: orders, reads: 2000/s}';
  const ddl = (extra = '') => `  - {at: +5m, name: add-column, ddl: {statement: "ALTER TABLE orders ADD COLUMN note text"${extra}}}`;

  it('a DDL queued behind an anti-wraparound vacuum of a busy table blocks its queries until the vacuum ends', () => {
    const r = run(scenario({ tables: orders, workload: busy, plan: ddl() }));
    const v = vac(r, 'orders')[0]!;
    expect(v.trigger).toBe('anti-wraparound');
    const wait = r.locks!.waits.find((w) => w.who.includes('add-column'))!;
    expect(wait.outcome).toBe('granted');
    expect(wait.to).toBe(v.to);
    expect(wait.chain[0]!.text).toMatch(/^autovacuum worker \(VACUUM app.public.orders to prevent wraparound\) held ShareUpdateExclusiveLock on app.orders/);
    const stall = r.stalls.find((s) => s.causeFact?.kind === 'lock-queue' && s.causeFact.table === 'app.orders')!;
    expect(t(r, stall.from)).toBe(300);
    expect(stall.to).toBe(v.to);
    expect(stall.cause).toMatch(/reads and writes of clients queue behind "add-column" ALTER TABLE \.\.\. ADD COLUMN \(waiting for AccessExclusiveLock\)/);
    expect(stall.requests!.arrived).toBeCloseTo(2500 * stall.seconds, -1);
    expect(stall.requests!.failed).toBe(0);
    // Writes queued commit nothing meanwhile: no XIDs are assigned.
    const q = r.locks!.requests.find((x) => x.workload === 'clients')!;
    expect(q.share).toBeGreaterThan(0);
  });

  it('with lock_timeout the DDL fails and the queries go on', () => {
    const r = run(scenario({ tables: orders, workload: busy, plan: ddl(', lock_timeout: 3s') }));
    const wait = r.locks!.waits.find((w) => w.who.includes('add-column'))!;
    expect(wait.outcome).toBe('lock_timeout');
    expect(wait.seconds).toBe(3);
    const stalls = r.stalls.filter((s) => s.causeFact?.kind === 'lock-queue');
    expect(stalls.map((s) => s.seconds)).toEqual([3]);
    expect(r.events.some((e) => e.log.some((l) => l.includes('client backend ERROR:  canceling statement due to lock timeout')))).toBe(true);
    // The vacuum was not disturbed.
    expect(vac(r, 'orders')[0]!.result).toMatch(/^age [\d,]+ → [\d,]+/);
  });

  it('a regular autovacuum is cancelled by the same DDL after deadlock_timeout, and runs again later', () => {
    const dead = '          orders: {size: 10GB, rows: 100000, frozen_age: 0}\n';
    const r = run(scenario({ tables: dead, workload: busy, plan: '  - {at: +90s, name: add-column, ddl: {statement: "ALTER TABLE orders ADD COLUMN note text"}}' }));
    const runs = vac(r, 'orders');
    expect(runs[0]!.trigger).toBe('dead rows');
    expect(runs[0]!.result).toMatch(/^cancelled/);
    expect(t(r, runs[0]!.to)).toBe(91);
    const wait = r.locks!.waits.find((w) => w.who.includes('add-column'))!;
    expect(wait.seconds).toBe(1);
    expect(r.events.some((e) => e.log.some((l) => l.startsWith('autovacuum worker ERROR:  canceling autovacuum task') && /CONTEXT: {2}while scanning block \d+ of relation "public\.orders"\n\tautomatic vacuum of table "app\.public\.orders"/.test(l)))).toBe(true);
    expect(runs.slice(1).some((v) => !v.result.startsWith('cancelled'))).toBe(true);
  });
});

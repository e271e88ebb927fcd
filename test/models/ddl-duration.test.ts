/**
 * How long a migration statement holds its lock once granted (postgres-2.md §6.4): ALTER TABLE forms that
 * rewrite the table (tablecmds.c ATRewriteTables: ADD COLUMN with a default before 11, or a volatile default;
 * ALTER COLUMN TYPE) or scan it under the lock (SET NOT NULL, ADD PRIMARY KEY, CREATE INDEX) run for the
 * table's size at the disk's throughput, not an instant. Checked on real 10.23 and 11.22: pg_relation_filenode
 * changes on ADD COLUMN b text DEFAULT 'x' on 10 only, on DEFAULT random() on both, on ALTER COLUMN TYPE bigint.
 */
import { describe, expect, it } from 'vitest';
import { runScenario } from '../../src/run.ts';
import { loadScenarioText } from '../../src/scenario/load.ts';
import type { Report } from '../../src/report/types.ts';
import { vacuumDoc } from '../support/vacuum.ts';
import { classifyStatement } from '../../src/models/postgres/locks/statements.ts';

const run = (version: number, statement: string): Report =>
  runScenario(
    loadScenarioText(
      vacuumDoc(
        {
          version,
          // 10 GB at a 100 MB/s disk, frozen: no autovacuum gets in the way.
          nodes: '',
          tables: '          orders: {size: 10GB, frozen_age: 0}\n',
          workload: '{target: p, rate: 100/s, wal_per_tx: 1KiB, table: orders, reads: 500/s}',
          plan: `  - {at: +5m, name: migrate, ddl: {statement: "${statement}"}}`,
          settings: '',
        },
        { duration: '2h', workload: '' },
      ).replace('version: ', 'disk_throughput: 100MB/s, version: '),
      'ddl-duration.yaml',
    ),
  ).report;

const lockedFor = (r: Report): number => {
  const stalls = r.stalls.filter((s) => s.causeFact?.kind === 'lock-queue');
  return stalls.reduce((a, s) => a + s.seconds, 0);
};

describe('a statement that rewrites or scans the table holds its lock that long', () => {
  it('ADD COLUMN ... DEFAULT rewrites the table up to 10 (queries wait for the rewrite), is instant from 11', () => {
    const ten = run(10, "ALTER TABLE orders ADD COLUMN status text DEFAULT 'new'");
    const eleven = run(11, "ALTER TABLE orders ADD COLUMN status text DEFAULT 'new'");
    // Read 10 GB and write 10 GB at 100 MB/s: 200 s.
    expect(lockedFor(ten)).toBeGreaterThanOrEqual(190);
    expect(lockedFor(ten)).toBeLessThanOrEqual(210);
    expect(lockedFor(eleven)).toBe(0);
  });

  it('a volatile default rewrites on every version; a stable one (now()) does not from 11', () => {
    expect(lockedFor(run(16, 'ALTER TABLE orders ADD COLUMN k uuid DEFAULT gen_random_uuid()'))).toBeGreaterThanOrEqual(190);
    expect(lockedFor(run(16, 'ALTER TABLE orders ADD COLUMN at timestamptz DEFAULT now()'))).toBe(0);
  });

  it('ALTER COLUMN TYPE rewrites; SET NOT NULL scans under ACCESS EXCLUSIVE', () => {
    expect(lockedFor(run(16, 'ALTER TABLE orders ALTER COLUMN id TYPE bigint'))).toBeGreaterThanOrEqual(190);
    const notNull = lockedFor(run(16, 'ALTER TABLE orders ALTER COLUMN id SET NOT NULL'));
    // Read 10 GB at 100 MB/s.
    expect(notNull).toBeGreaterThanOrEqual(95);
    expect(notNull).toBeLessThanOrEqual(105);
  });

  it('CREATE INDEX blocks the writes (not the reads) while it reads the table; CONCURRENTLY blocks nothing', () => {
    const r = run(16, 'CREATE INDEX orders_k ON orders (k)');
    const stalls = r.stalls.filter((s) => s.causeFact?.kind === 'lock-queue');
    expect(lockedFor(r)).toBeGreaterThanOrEqual(95);
    expect(stalls.flatMap((s) => (s.causeFact as unknown as { modes: readonly string[] }).modes)).toEqual(['RowExclusiveLock']);
    expect(lockedFor(run(16, 'CREATE INDEX CONCURRENTLY orders_k ON orders (k)'))).toBe(0);
  });
});

describe('which ALTER TABLE forms rewrite or scan (tablecmds.c)', () => {
  const effect = (sql: string, v = 16) => {
    const c = classifyStatement(sql, v);
    return c.ok ? c.effect : c.reason;
  };
  it('by subcommand and version', () => {
    expect(effect('ALTER TABLE t ADD COLUMN n text')).toBe('none');
    expect(effect('ALTER TABLE t ADD COLUMN n text DEFAULT NULL', 10)).toBe('none');
    expect(effect("ALTER TABLE t ADD COLUMN n int DEFAULT 0", 10)).toBe('rewrite');
    expect(effect('ALTER TABLE t ADD COLUMN n int DEFAULT 0', 11)).toBe('none');
    expect(effect('ALTER TABLE t ADD COLUMN id2 bigserial', 16)).toBe('rewrite');
    expect(effect('ALTER TABLE t ADD COLUMN id2 bigint GENERATED ALWAYS AS IDENTITY', 16)).toBe('rewrite');
    expect(effect('ALTER TABLE t ALTER COLUMN name TYPE varchar(200)')).toBe('none');
    expect(effect('ALTER TABLE t ALTER COLUMN n TYPE bigint USING n::bigint')).toBe('rewrite');
    expect(effect('ALTER TABLE t ADD CONSTRAINT c CHECK (n > 0) NOT VALID')).toBe('none');
    expect(effect('ALTER TABLE t ADD CONSTRAINT c CHECK (n > 0)')).toBe('scan');
    expect(effect('ALTER TABLE t ADD CONSTRAINT pk PRIMARY KEY USING INDEX t_pk')).toBe('none');
    expect(effect('ALTER TABLE t ADD PRIMARY KEY (id)')).toBe('scan');
    expect(effect('ALTER TABLE t SET UNLOGGED')).toBe('rewrite');
    expect(effect('ALTER TABLE t SET (fillfactor = 70)')).toBe('none');
    // One rewrite for the statement, whatever else it does.
    expect(effect('ALTER TABLE t ALTER COLUMN a SET NOT NULL, ALTER COLUMN n TYPE bigint')).toBe('rewrite');
  });
});

describe('a foreign key locks the referenced table too (tablecmds.c ATAddForeignKeyConstraint)', () => {
  const doc = (version: number, statement: string) =>
    runScenario(
      loadScenarioText(
        vacuumDoc(
          {
            version,
            tables: '          orders: {size: 10GB, frozen_age: 0}\n          customers: {size: 1GB, frozen_age: 0}\n',
            // The application writes customers; nobody touches orders.
            workload: '{target: p, rate: 100/s, wal_per_tx: 1KiB, table: customers, reads: 500/s}',
            plan: `  - {at: +5m, name: fk, ddl: {statement: "${statement}"}}`,
          },
          { duration: '1h', workload: '' },
        ).replace('version: ', 'disk_throughput: 100MB/s, version: '),
        'fk.yaml',
      ),
    ).report;

  it('ShareRowExclusiveLock on customers while orders is checked: its writes wait, its reads do not', () => {
    const r = doc(16, 'ALTER TABLE orders ADD CONSTRAINT fk FOREIGN KEY (customer_id) REFERENCES customers (id)');
    const stalls = r.stalls.filter((s) => s.causeFact?.kind === 'lock-queue');
    // The check reads orders' 10 GB at 100 MB/s.
    expect(lockedFor(r)).toBeGreaterThanOrEqual(95);
    expect(lockedFor(r)).toBeLessThanOrEqual(105);
    expect(stalls.flatMap((s) => (s.causeFact as unknown as { modes: readonly string[] }).modes)).toEqual(['RowExclusiveLock']);
  });

  it('NOT VALID takes the same locks but checks nothing: a moment', () => {
    expect(lockedFor(doc(16, 'ALTER TABLE orders ADD CONSTRAINT fk FOREIGN KEY (customer_id) REFERENCES customers (id) NOT VALID'))).toBe(0);
  });

  it('before 9.5 the referenced table is locked ACCESS EXCLUSIVE: its reads wait too', () => {
    const c = classifyStatement('ALTER TABLE orders ADD COLUMN customer_id int REFERENCES public.customers (id)', 9.4);
    expect(c.ok && c.others).toEqual([{ table: 'customers', mode: 'AccessExclusiveLock' }]);
  });
});

describe('a rewriting ALTER TABLE inside a migration transaction', () => {
  it('is accepted and holds the session\'s lock for its rewrite and until the commit', () => {
    const r = runScenario(
      loadScenarioText(
        vacuumDoc(
          {
            version: 10,
            tables: '          orders: {size: 10GB, frozen_age: 0}\n',
            workload: '{target: p, rate: 100/s, wal_per_tx: 1KiB, table: orders, reads: 500/s}',
            plan: "  - {at: +5m, open_transaction: {node: p, name: migration, tables: []}}\n  - {at: +5m, ddl: {statement: \"ALTER TABLE orders ADD COLUMN status text DEFAULT 'new'\", session: migration}}\n  - {at: +10m, close_transaction: migration}",
          },
          { duration: '1h', workload: '' },
        ).replace('version: ', 'disk_throughput: 100MB/s, version: '),
        'in-session.yaml',
      ),
    ).report;
    // Locked from 5 min to the commit at 10 min.
    expect(lockedFor(r)).toBe(300);
  });
});

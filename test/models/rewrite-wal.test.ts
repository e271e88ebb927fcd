/**
 * The WAL of table rewrites and index builds (vacuum/rewrite-wal.ts, statement-wal.ts, docs/model-vacuum.md "The
 * WAL of a rewrite"). Measured on 15 (Debian), 10.23 and 17.10, wal_level replica, a CHECKPOINT before each
 * statement (pg_current_wal_insert_lsn before and after): a heap of 1 M rows, 84,459,520 bytes, an int4 btree of
 * 22,487,040 bytes. VACUUM FULL of the heap alone wrote 85.05 MB with full_page_writes off and 85.16 MB on;
 * CREATE INDEX, REINDEX and CREATE INDEX CONCURRENTLY 20.42 to 20.52 MB; REFRESH MATERIALIZED VIEW (no index)
 * 112.5 MB; with wal_compression = pglz the page images shrank (60.2 MB and 10.9 MB), the rows' records did not.
 */
import { describe, expect, it } from 'vitest';
import { runScenario } from '../../src/run.ts';
import { loadScenarioText } from '../../src/scenario/load.ts';
import type { Report } from '../../src/report/types.ts';
import type { ScenarioError } from '../../src/scenario/errors.ts';
import { scenarioToYaml } from '../../src/testing/index.ts';
import type { Micros } from '../../src/engine/time.ts';
import { Relation, DatabaseState } from '../../src/models/postgres/vacuum/relations.ts';
import { rewriteWalBytes, rewriteWalOf } from '../../src/models/postgres/vacuum/rewrite-wal.ts';

const lsnOf = (lsn: string) => {
  const [hi, lo] = lsn.split('/').map((x) => parseInt(x, 16));
  return hi! * 2 ** 32 + lo!;
};

describe('what a statement writes (rewrite-wal.ts)', () => {
  it('by statement: a copied heap, rows, one index or all of them', () => {
    const of = (sql: string) => rewriteWalOf(sql, 16);
    expect(of('VACUUM FULL orders')).toBe('copy');
    expect(of('CLUSTER orders USING orders_pkey')).toBe('copy');
    expect(of('ALTER TABLE orders SET TABLESPACE fast')).toBe('heap');
    expect(of('ALTER TABLE orders ALTER COLUMN id TYPE bigint')).toBe('rows');
    expect(of('ALTER TABLE orders ADD COLUMN k uuid DEFAULT gen_random_uuid()')).toBe('rows');
    expect(of('REFRESH MATERIALIZED VIEW totals')).toBe('rows');
    expect(of('CREATE INDEX orders_k ON orders (k)')).toBe('index');
    expect(of('CREATE INDEX CONCURRENTLY orders_k ON orders (k)')).toBe('index');
    expect(of('ALTER TABLE orders ADD PRIMARY KEY (id)')).toBe('index');
    expect(of('REINDEX INDEX orders_k')).toBe('index');
    expect(of('REINDEX TABLE orders')).toBe('indexes');
    // Metadata only: no new relation.
    expect(of('ALTER TABLE orders ADD COLUMN note text')).toBe('none');
    expect(of('ALTER TABLE orders ADD PRIMARY KEY USING INDEX orders_k')).toBe('none');
    expect(of('ALTER TABLE orders ALTER COLUMN id SET NOT NULL')).toBe('none');
  });

  it('how much, against the measured servers', () => {
    const rel = new Relation({ name: 't', database: 'app', size: 84_459_520, rows: 1_000_000, catalog: false, churn: 0, vacuumScan: 1, frozenAge: 0 }, new DatabaseState('app', 1), 2, 0 as Micros, 0, 0);
    const off = { walCompression: 'off' as const };
    const near = (got: number, measured: number, within = 0.03) => expect(Math.abs(got / measured - 1)).toBeLessThan(within);
    near(rewriteWalBytes('heap', rel, off), 85_050_048);
    near(rewriteWalBytes('index', rel, off), 20_424_240);
    // A copy rebuilds the index as well; rows: 112.5 MB for the heap's rows, plus the index.
    near(rewriteWalBytes('copy', rel, off), 85_050_048 + 20_424_240);
    near(rewriteWalBytes('rows', rel, off) - rewriteWalBytes('index', rel, off), 112_484_712);
    // A table that gives its indexes (pg_indexes_size) has them all rebuilt: the int and the md5 btree above
    // (81.55 MB) with VACUUM FULL, 159.04 MB measured; with ALTER COLUMN TYPE bigint, 194.36 MB (a 93.1 MB heap).
    const both = new Relation({ name: 't', database: 'app', size: 84_459_520, rows: 1_000_000, catalog: false, churn: 0, vacuumScan: 1, frozenAge: 0, indexes: 22_487_040 + 59_064_320 }, new DatabaseState('app', 1), 3, 0 as Micros, 0, 0);
    near(rewriteWalBytes('copy', both, off), 159_041_536);
    near(rewriteWalBytes('indexes', both, off), 20_422_904 + 53_569_152);
    near(rewriteWalBytes('rows', both, off), 194_361_344 - (93_100_000 - 84_459_520), 0.03);
    // wal_compression shrinks page images only (0.71 of this heap, 0.48 of this index measured with pglz).
    expect(rewriteWalBytes('heap', rel, { walCompression: 'lz4' })).toBeLessThan(0.75 * 85_050_048);
    expect(rewriteWalBytes('rows', rel, { walCompression: 'lz4' }) - rewriteWalBytes('index', rel, { walCompression: 'lz4' })).toBe(rewriteWalBytes('rows', rel, off) - rewriteWalBytes('index', rel, off));
  });
});

/**
 * A 10 GB table (80 M rows) rewritten at 09:10 on a 400 MB/s disk (50 s: read and write) on a primary whose
 * standby is over a 100 Mbps line (12.1 MB/s of WAL); the application writes another table, 500 tx/s of 1 KiB.
 */
const doc = (o: { sync: boolean; statement?: string; plan?: string; settings?: string; slot?: boolean }) => `name: rewrite-wal
start: 2024-10-07T09:00:00Z
timezone: UTC
end: "09:30"
sites: [dc1, dc2]
links:
  - {between: [dc1, dc2], bandwidth: 100Mbps, latency: 10ms}
clusters:
  shop:
    nodes:
      pg1: {site: dc1, version: 15, disk_throughput: 400MB/s, settings: {${o.sync ? 'synchronous_standby_names: "pg2", ' : ''}max_wal_size: 64GB${o.settings ?? ''}}}
      pg2: {site: dc2, version: 15, upstream: pg1${o.slot ? ', settings: {primary_slot_name: pg2_slot}' : ''}}
${o.slot ? '    slots: {pg2_slot: {node: pg1, type: physical, consumer: active}}\n' : ''}    databases:
      shop:
        tables:
          orders: {size: 10GB, rows: 80000000, frozen_age: 0}
          events: {size: 1GB, frozen_age: 0}
    workload: {target: pg1, rate: 500/s, wal_per_tx: 1KiB, connections: 50, table: events}
plan:
${o.statement ? `  - {at: "09:10", name: migrate, ddl: {statement: "${o.statement}"}}\n` : ''}${o.plan ?? ''}`;

const run = (text: string): Report => runScenario(loadScenarioText(text, 'rewrite-wal.yaml')).report;
const endOf = (r: Report, node: string) => lsnOf(r.nodes.find((n) => n.name === node)!.lsn);

describe('a rewrite writes its WAL through the replication machinery', () => {
  it('VACUUM FULL of 10 GB writes 10 GB of heap pages and its index into the WAL', () => {
    const base = endOf(run(doc({ sync: false })), 'pg1');
    const vf = endOf(run(doc({ sync: false, statement: 'VACUUM FULL orders' })), 'pg1');
    // 10 GB of heap pages plus an 80 M-row index (1.64 GB at 0.91 of 22.5 bytes a row).
    const expected = 10e9 + 80e6 * 22.5 * 0.91;
    expect(Math.abs((vf - base) / expected - 1)).toBeLessThan(0.01);
    const idx = endOf(run(doc({ sync: false, statement: 'CREATE INDEX CONCURRENTLY orders_k ON orders (k)' })), 'pg1');
    expect(Math.abs((idx - base) / (80e6 * 22.5 * 0.91) - 1)).toBeLessThan(0.01);
  });

  it('commits wait for a synchronous standby behind it: the line carries the 11.6 GB in 16 minutes', () => {
    const quiet = run(doc({ sync: true, slot: true }));
    expect(quiet.stalls).toHaveLength(0);
    const r = run(doc({ sync: true, slot: true, statement: 'VACUUM FULL orders' }));
    // 11.64e9 bytes at 12.1 MB/s: a commit made just after the rewrite began is confirmed 960 s later.
    const waited = Math.max(...r.stalls.map((s) => s.maxLatencyMs)) / 1000;
    expect(waited).toBeGreaterThan(940);
    expect(waited).toBeLessThan(980);
    // The stall's cause names the statement whose WAL the commits wait behind.
    const behind = r.stalls.map((s) => (s.causeFact as { limit?: { behind?: { who: string; wal: number } } } | undefined)?.limit?.behind).find((b) => b);
    expect(behind).toEqual({ who: '"migrate" VACUUM FULL', wal: 11_638_000_000 });
    expect(r.dataLoss).toHaveLength(0);
  });

  it('an asynchronous standby falls behind, and a crash then loses only the commits among it, not its bytes as commits', () => {
    const r = run(doc({ sync: false, statement: 'VACUUM FULL orders', plan: '  - {at: "09:11", crash: pg1}\n  - {at: "09:11:05", promote: pg2}\n' }));
    // pg2 had received 60 s x 12.1 MB/s of the rewrite's 233 MB/s by 09:11: what it has was written by
    // 09:10:03; the commits of the 57 s after that (500/s) are lost.
    const lost = r.dataLoss.reduce((a, l) => a + l.commits, 0);
    expect(lost).toBeGreaterThan(26_000);
    expect(lost).toBeLessThan(30_000);
  });

  it('a query on the standby waits for the replayed ACCESS EXCLUSIVE lock until replay passes the rewrite\'s WAL', () => {
    // The lock record comes first (lock.c LogAccessExclusiveLock), the commit after the 11.64 GB: replay reaches
    // it 960 s after 09:10 (12.1 MB/s), so a report begun on pg2 at 09:12 waits 840 s.
    const r = run(doc({ sync: false, slot: true, statement: 'VACUUM FULL orders', plan: '  - {at: "09:12", open_transaction: {node: pg2, name: report, tables: [shop.orders], duration: 1min}}\n' }));
    const granted = r.events.map((e) => e.fact as { kind: string; waited?: number }).find((f) => f.kind === 'standby-lock-granted');
    expect(granted?.waited).toBeGreaterThan(820e6);
    expect(granted?.waited).toBeLessThan(860e6);
  });

  it('with a slot, pg_wal holds what the standby has not received: an 8 GB volume fills and the primary stops, the rewrite with it', () => {
    const r = run(doc({ sync: false, slot: true, statement: 'VACUUM FULL orders' }).replace('disk_throughput: 400MB/s,', 'disk_throughput: 400MB/s, wal_volume: 8GB,'));
    const kinds = r.events.map((e) => e.fact.kind);
    expect(r.nodes.find((n) => n.name === 'pg1')!.state).not.toBe('running');
    // The statement died with the server: the table is not rewritten.
    expect(kinds).not.toContain('table-rewritten');
    expect(run(doc({ sync: false, slot: true, statement: 'VACUUM FULL orders' })).events.map((e) => e.fact.kind)).toContain('table-rewritten');
  });

  it('max_slot_wal_keep_size invalidates the slot the rewrite\'s WAL overfills', () => {
    const r = run(doc({ sync: false, slot: true, statement: 'VACUUM FULL orders', settings: ', max_slot_wal_keep_size: 2GB' }));
    expect(r.events.some((e) => e.fact.kind === 'slot-invalidated')).toBe(true);
    expect(r.verdicts.some((v) => v.kind === 'standby-broken')).toBe(true);
  });

  it('the checkpoint after it removes the WAL a standby without a slot has not received: it cannot follow', () => {
    // xlog.c KeepLogSeg: a checkpoint keeps WAL back to its redo point (plus wal_keep_size and slots), whoever
    // still streams it; pg2 has 4.4 GiB of the rewrite's WAL to go when the 09:15 checkpoint ends.
    const r = run(doc({ sync: false, statement: 'VACUUM FULL orders' }));
    expect(r.verdicts.some((v) => v.kind === 'standby-broken')).toBe(true);
    expect(run(doc({ sync: false })).verdicts.some((v) => v.kind === 'standby-broken')).toBe(false);
    // A physical slot keeps it (pg_wal grows by the lag instead).
    expect(run(doc({ sync: false, slot: true, statement: 'VACUUM FULL orders' })).verdicts.some((v) => v.kind === 'standby-broken')).toBe(false);
  });
});

/**
 * A purge job: DELETE of 100 M rows of a 50 GB, 400 M-row table that the workload updates 200 times a second.
 * Measured on 10.23, 15 and 17.10: 56 bytes of WAL a deleted row, and after a CHECKPOINT with full_page_writes
 * on the image of every page it changes (101.4 MB for 300,000 rows spread over an 84.5 MB table).
 */
const purge = (o: { rows?: number; settings?: string; plan?: string }) => `name: purge
start: 2024-10-07T01:00:00Z
timezone: UTC
end: "03:00"
sites: [dc1]
clusters:
  shop:
    nodes:
      pg1: {site: dc1, version: 16, disk_throughput: 400MB/s, settings: {max_wal_size: 64GB${o.settings ?? ''}}}
    databases:
      shop:
        tables:
          events: {size: 50GB, rows: 400000000, frozen_age: 0}
    workload: {target: pg1, rate: 200/s, wal_per_tx: 1KiB, connections: 20, table: events}
plan:
${o.plan ?? ''}  - {at: "02:00", name: purge, ddl: {statement: "DELETE FROM events WHERE created < now() - interval '90 days'"${o.rows !== undefined ? `, rows: ${o.rows}` : ''}}}
`;

describe('a bulk DELETE makes dead rows and writes WAL', () => {
  it('its rows are dead at its commit: autovacuum passes its threshold (0.2 x 400 M + 50) and removes them', () => {
    const r = run(purge({ rows: 100_000_000 }));
    const v = r.vacuums.filter((x) => x.table === 'events');
    expect(v).toHaveLength(1);
    expect(v[0]!.trigger).toBe('dead rows');
    expect(v[0]!.result).toMatch(/100,7\d\d,\d{3} dead rows removed/);
    // Without rows: the workload's 200 updates a second reach the threshold only after 4.6 days.
    expect(run(purge({})).vacuums.filter((x) => x.table === 'events')).toHaveLength(0);
  });

  it('a snapshot older than the DELETE keeps its rows: the vacuum removes none of them', () => {
    const r = run(purge({ rows: 100_000_000, plan: '  - {at: "01:30", open_transaction: {node: pg1, name: report, isolation: repeatable read}}\n' }));
    const v = r.vacuums.filter((x) => x.table === 'events');
    expect(v.length).toBeGreaterThan(0);
    expect(v.every((x) => !/1\d{2},\d{3},\d{3} dead rows removed/.test(x.result))).toBe(true);
  });

  it('its WAL: 56 bytes a row, plus an image of each page it empties with full_page_writes', () => {
    const base = endOf(run(purge({})), 'pg1');
    const on = endOf(run(purge({ rows: 100_000_000 })), 'pg1') - base;
    const off = endOf(run(purge({ rows: 100_000_000, settings: ', full_page_writes: off' })), 'pg1') - endOf(run(purge({ settings: ', full_page_writes: off' })), 'pg1');
    expect(Math.abs(off / 5.6e9 - 1)).toBeLessThan(0.01);
    // 100 M rows of 125 bytes fill 1.53 M pages of 8 kB: 7.9 kB of image each.
    expect(Math.abs((on - off) / (Math.ceil((100e6 * 125) / 8192) * 7900) - 1)).toBeLessThan(0.01);
  });
});

describe('rows: in the grammar', () => {
  it('belongs to a DELETE only, and says so at its line', () => {
    const bad = purge({ rows: 5 }).replace('DELETE FROM events WHERE created < now() - interval \'90 days\'', 'VACUUM FULL events');
    const e = (() => {
      try {
        loadScenarioText(bad, 'purge.yaml');
      } catch (x) {
        return x as ScenarioError;
      }
      throw new Error('no error');
    })();
    expect(e.message).toMatch(/rows: is the number of rows a DELETE deletes, and VACUUM FULL is not a DELETE/);
    expect([e.line, e.hint]).toEqual([16, 'remove rows:, or write the statement as DELETE FROM ...']);
    expect(bad.split('\n')[15]!.slice(e.column - 1)).toMatch(/^5\}/);
  });
});

describe('rows: in scenarioToYaml', () => {
  it('is printed, so the scenario round-trips', () => {
    const s = loadScenarioText(purge({ rows: 100_000_000 }), 'purge.yaml');
    const back = loadScenarioText(scenarioToYaml(s), 'purge.yaml');
    expect(JSON.stringify(back.actions)).toBe(JSON.stringify(s.actions));
    expect(JSON.stringify(s.actions)).toContain('"rows":100000000');
    const withIndexes = loadScenarioText(purge({}).replace('frozen_age: 0}', 'frozen_age: 0, indexes: 30GB}'), 'purge.yaml');
    const t = (x: typeof withIndexes) => x.clusters[0]!.databases[0]!.tables[0]!;
    expect(t(withIndexes).indexes).toBe(30e9);
    expect(t(loadScenarioText(scenarioToYaml(withIndexes), 'purge.yaml'))).toEqual(t(withIndexes));
  });
});

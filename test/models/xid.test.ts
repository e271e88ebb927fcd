import { describe, expect, it } from 'vitest';
import { seconds, type Micros } from '../../src/engine/time.ts';
import { wraparoundLimits, XID_HALF } from '../../src/models/postgres/xid.ts';
import { runScenario } from '../../src/run.ts';
import type { PgSettingsSpec, SlotSpec } from '../../src/scenario/types.ts';
import { action, buildScenario, node } from '../support/builder.ts';

const DAY = 86_400;
const d = (days: number) => seconds(days * DAY);
const slot = (over: Partial<SlotSpec> = {}): SlotSpec => ({ name: 'cdc', node: 'p', kind: 'logical', database: 'app', consumer: 'active', hotStandbyFeedback: false, ...over });

/** One primary with user tables and catalogs; a logical slot whose consumer stops at `stopAt`. */
function xidRun(o: { rate?: number; version?: number; stopAt?: Micros; dropAt?: Micros | null; days?: number; settings?: PgSettingsSpec; slotCreatedAt?: Micros; extra?: ReturnType<typeof action>[]; walVolume?: number | null }) {
  const actions = [...(o.extra ?? [])];
  if (o.slotCreatedAt !== undefined) actions.push(action(o.slotCreatedAt, { kind: 'createSlot', cluster: 'main', slot: slot() }));
  actions.push(action(o.stopAt ?? d(10), { kind: 'stopConsumer', cluster: 'main', slot: 'cdc' }));
  if (o.dropAt) actions.push(action(o.dropAt, { kind: 'dropSlot', cluster: 'main', slot: 'cdc' }));
  return runScenario(
    buildScenario({
      end: d(o.days ?? 400),
      nodes: [node('p', 'dc', o.version ?? 13, { settings: o.settings ?? {}, storage: { walVolume: o.walVolume ?? null, throughput: null } })],
      workload: { target: 'p', rate: o.rate ?? 100, walPerTx: 1000 },
      databases: [
        {
          name: 'app',
          tables: [
            { name: 'user-tables', database: 'app', size: 10e9, catalog: false, churn: 0, vacuumScan: 0.1, frozenAge: 0 },
            { name: 'pg_catalog', database: 'app', size: 1e9, catalog: true, churn: 1e6 / 3600, vacuumScan: 1, frozenAge: 0 },
          ],
        },
      ],
      slots: o.slotCreatedAt !== undefined ? [] : [slot()],
      actions,
    }),
  ).report;
}

const at = (iso: string | null) => (iso === null ? null : Date.parse(iso) / 1000);

describe('transaction ID wraparound (postgres.md §3-4, rules 15-19)', () => {
  it('the warn and stop ages follow the version (<=13, 14-18, 19)', () => {
    expect(wraparoundLimits(13)).toEqual({ warnAge: XID_HALF - 11_000_000, stopAge: XID_HALF - 1_000_000 });
    expect(wraparoundLimits(15)).toEqual({ warnAge: XID_HALF - 40_000_000, stopAge: XID_HALF - 3_000_000 });
    expect(wraparoundLimits(19)).toEqual({ warnAge: XID_HALF - 100_000_000, stopAge: XID_HALF - 3_000_000 });
    expect(wraparoundLimits(13).stopAge).toBe(2_146_483_647);
    expect(wraparoundLimits(14).warnAge).toBe(2_107_483_647);
  });

  for (const version of [13, 15, 19]) {
    it(`a stale logical slot stops writes exactly at the ${version} stop limit, after the warning`, () => {
      const r = xidRun({ rate: 100, version, days: 300 });
      const x = r.xid[0]!;
      const limits = wraparoundLimits(version);
      expect(x.stopAt).not.toBeNull();
      expect(x.maxAge).toBe(limits.stopAge);
      // The catalogs were last frozen to the slot's catalog_xmin (day 10); the climb runs at 100 XIDs/s.
      const stop = at(x.stopAt)! - at(r.start)!;
      expect(stop).toBeCloseTo(10 * DAY + limits.stopAge / 100, -1);
      const warn = at(x.firstWarningAt)! - at(r.start)!;
      expect(stop - warn).toBeCloseTo((limits.stopAge - limits.warnAge) / 100, -1);
      const outage = r.outages.find((o) => o.causeFact?.kind === 'xid-stop-refusal');
      expect(outage?.from).toBe(x.stopAt);
      expect(r.events.some((e) => e.log.some((l) => l.includes('must be vacuumed within')))).toBe(true);
    });
  }

  it('the stop message follows the version (17 mentions XIDs)', () => {
    const r = xidRun({ rate: 100, version: 17, days: 300 });
    expect(r.outages.at(-1)!.cause).toContain('database is not accepting commands that assign new transaction IDs to avoid wraparound data loss in database "app"');
  });

  it('doubling the XID rate halves the time to the stop limit', () => {
    const slow = xidRun({ rate: 100, days: 300 });
    const fast = xidRun({ rate: 200, days: 300 });
    const t = (r: typeof slow) => at(r.xid[0]!.stopAt)! - at(r.start)! - 10 * DAY;
    expect(t(fast) / t(slow)).toBeCloseTo(0.5, 3);
  });

  it('a slot whose consumer stops later shifts the climb by the same time', () => {
    const early = xidRun({ stopAt: d(10), days: 320 });
    const late = xidRun({ stopAt: d(40), days: 320 });
    const t = (r: typeof early) => at(r.xid[0]!.stopAt)!;
    expect(t(late) - t(early)).toBeCloseTo(30 * DAY, -1);
  });

  it('a slot created later shifts the climb by the same time', () => {
    const a = xidRun({ slotCreatedAt: d(5), stopAt: d(10), days: 320 });
    const b = xidRun({ slotCreatedAt: d(25), stopAt: d(30), days: 320 });
    expect(at(b.xid[0]!.stopAt)! - at(a.xid[0]!.stopAt)!).toBeCloseTo(20 * DAY, -1);
  });

  it('after the slot is dropped the age falls only once vacuum has read the bloated catalogs', () => {
    const r = xidRun({ rate: 100, dropAt: d(100), days: 110 });
    const v = r.vacuums.find((x) => at(x.from)! > at(r.start)! + 100 * DAY && x.table === 'pg_catalog')!;
    // Launcher's next round (autovacuum_naptime 1 min), then 1 GB + 90 days x 24 MB of dead rows at the
    // PostgreSQL 13 autovacuum speed: 200 / (10 + 20) pages per 2 ms.
    expect(at(v.from)! - at(r.start)!).toBeCloseTo(100 * DAY + 60, 0);
    const bytes = 1e9 + 90 * 24 * 1e6;
    const rate = (200 / 30 / 0.002) * 8192;
    expect(v.seconds).toBeCloseTo(bytes / rate, -1);
    expect(r.xid[0]!.maxAge).toBeGreaterThan(100 * 90 * DAY);
    expect(r.xid[0]!.endAge).toBeLessThan(200_000_000);
  });

  it('after the slot is dropped pg_wal falls at the next checkpoint, and its series says so', () => {
    const r = xidRun({ rate: 100, stopAt: d(10), dropAt: d(100), days: 101 });
    const points = r.series!.find((x) => x.name === 'main pg_wal_size')!.points;
    const dropped = at(r.start)! + 100 * DAY;
    const before = points.filter(([t]) => at(t)! <= dropped).at(-1)!;
    // 90 days of WAL at 100 commits/s of 1,000 bytes kept by the slot at the drop, then the first checkpoint
    // after it (checkpoint_timeout 5 min) removes it: pg_wal is back to a few segments until the end.
    expect(before[1]).toBeGreaterThan(0.9 * 90 * DAY * 100 * 1000);
    const after = points.filter(([t]) => at(t)! > dropped);
    expect(after.length).toBeGreaterThan(0);
    expect(at(after[0]![0])! - dropped).toBeLessThanOrEqual(330);
    expect(after.at(-1)![1]).toBeLessThan(1e9);
  });

  it('max_slot_wal_keep_size: an invalidated slot releases the horizon on 13 to 18 (observed on 13.23, 14.23, 15.18, 16.14)', () => {
    const limit: PgSettingsSpec = { maxSlotWalKeepSize: 10e9 };
    const v16 = xidRun({ version: 16, settings: limit, days: 300 });
    expect(v16.events.some((e) => e.log.some((l) => l.includes('invalidating obsolete replication slot "cdc"')))).toBe(true);
    expect(v16.xid[0]!.stopAt).toBeNull();
    expect(v16.xid[0]!.maxAge).toBeLessThan(300_000_000);
    for (const version of [13, 15]) {
      const r = xidRun({ version, settings: limit, days: 300 });
      const inval = r.events.find((e) => e.log.some((l) => l.includes('invalidating slot "cdc" because its restart_lsn')));
      expect(inval?.message).toContain('an invalidated slot no longer holds the xmin horizon');
      expect(r.xid[0]!.stopAt).toBeNull();
      expect(r.xid[0]!.maxAge).toBeLessThan(300_000_000);
    }
  });

  it('a long-running transaction holds the user tables too (xmin), and closing it lets them be frozen', () => {
    const r = runScenario(
      buildScenario({
        end: d(60),
        nodes: [node('p', 'dc', 15)],
        workload: { target: 'p', rate: 500, walPerTx: 1000 },
        databases: [{ name: 'app', tables: [{ name: 'orders', database: 'app', size: 1e9, catalog: false, churn: 0, vacuumScan: 1, frozenAge: 0 }] }],
        actions: [
          action(d(1), { kind: 'openTransaction', node: 'p', transaction: 'report', prepared: true }),
          action(d(30), { kind: 'closeTransaction', cluster: 'main', transaction: 'report' }),
        ],
      }),
    ).report;
    const blocked = r.vacuums.filter((v) => v.result.includes('could not freeze past prepared transaction "report"'));
    expect(blocked.length).toBeGreaterThan(0);
    expect(r.xid[0]!.maxAge).toBeGreaterThan(500 * 28 * DAY);
    expect(r.xid[0]!.endAge).toBeLessThan(200_000_000);
  });

  it('a stale slot fills a bounded pg_wal volume and the server stops', () => {
    const r = xidRun({ rate: 100, days: 30, walVolume: 50e9 });
    // 100 tx/s x 1000 B = 100 kB/s: 50 GB in about 5.8 days after the consumer stopped on day 10.
    const down = r.outages.find((o) => o.cause.includes('down'));
    expect(down).toBeDefined();
    expect(at(down!.from)! - at(r.start)!).toBeGreaterThan(15 * DAY);
    expect(at(down!.from)! - at(r.start)!).toBeLessThan(16.5 * DAY);
    expect(r.events.some((e) => e.log.some((l) => l.includes('No space left on device')))).toBe(true);
  });

  it('from 14, past vacuum_failsafe_age the vacuum drops its cost limit', () => {
    const r = xidRun({ version: 14, dropAt: d(200), days: 210, rate: 100 });
    const v = r.vacuums.find((x) => at(x.from)! >= at(r.start)! + 200 * DAY && x.table === 'pg_catalog')!;
    expect(v.mode).toBe('failsafe');
    expect(v.mbPerSecond).toBe(500);
    // 13 has no failsafe: the same vacuum stays at autovacuum's cost-limited speed.
    const r13 = xidRun({ version: 13, dropAt: d(200), days: 210, rate: 100 });
    const v13 = r13.vacuums.find((x) => at(x.from)! >= at(r13.start)! + 200 * DAY && x.table === 'pg_catalog')!;
    expect(v13.mode).toBe('aggressive');
    expect(v13.mbPerSecond).toBeCloseTo(27.3, 1);
  });
});

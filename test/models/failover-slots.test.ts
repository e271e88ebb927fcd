/**
 * PostgreSQL 17's failover slots (slotsync.c): a logical slot created with failover = true, which a standby with
 * sync_replication_slots, hot_standby_feedback and primary_slot_name synchronizes, goes on on that standby once it
 * is promoted, holding its WAL (the standby's copy kept it) and its catalog_xmin there; any other logical slot is
 * left behind on the old primary (docs: "Logical Decoding Concepts", "Replication Slot Synchronization").
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runScenario } from '../../src/run.ts';
import { loadScenarioText } from '../../src/scenario/load.ts';
import { parseLsn } from '../../src/scenario/units.ts';

const TEXT = readFileSync('test/fixtures/failover-slot.yaml', 'utf8');
const run = (sets: string[] = []) => runScenario(loadScenarioText(TEXT, 'failover-slot.yaml', { sets })).report;
const facts = (r: ReturnType<typeof run>, kind: string) => r.events.filter((e) => e.fact.kind === kind).map((e) => e.fact as unknown as Record<string, unknown>);
const hold = (r: ReturnType<typeof run>, slot: string) =>
  r.xid[0]!.cause.map((c) => c.fact as unknown as Record<string, unknown>).find((f) => f.kind === 'xid-horizon-held' && f.holder === `slot "${slot}"`);
const pg2 = (r: ReturnType<typeof run>) => r.nodes.find((n) => n.name === 'pg2')!;

describe('17 failover slots', () => {
  it('a synchronized failover slot goes on on the promoted standby, from where its consumer stopped, and keeps holding', () => {
    const r = run();
    expect(facts(r, 'failover-slots-synced')).toMatchObject([{ node: 'pg2', from: 'pg1', slots: [{ slot: 'debezium', restartLsn: '0/279F0000', active: false }] }]);
    expect(facts(r, 'logical-slots-left-behind')).toEqual([]);
    expect(pg2(r).slots).toMatchObject([{ name: 'debezium', type: 'logical', restartLsn: '0/279F0000' }]);
    // Its catalog_xmin holds the new primary's horizon to the end.
    expect(hold(r, 'debezium')).toMatchObject({ hold: 'catalog_xmin', toAt: null });
  });

  it('the standby\'s copy keeps the WAL from the slot\'s restart_lsn before the promotion', () => {
    const unpromoted = ['plan.promote.at=11:59:59', 'plan.route.at=11:59:59', 'faults.dies.at=11:59:59'];
    const synced = run(unpromoted);
    const not = run([...unpromoted, 'clusters.main.nodes.pg2.settings.sync_replication_slots=off']);
    // About 1.2 GB more: the WAL from 0/279F0000 (10:10) that the standby would otherwise have recycled.
    expect(pg2(synced).pgWalSize! - pg2(not).pgWalSize!).toBeGreaterThan(1e9);
  });

  it('without sync_replication_slots, hot_standby_feedback or failover = true the slot stays on the old primary and holds nothing on the new one', () => {
    for (const sets of [['clusters.main.nodes.pg2.settings.sync_replication_slots=off'], ['clusters.main.nodes.pg2.settings.hot_standby_feedback=off'], ['clusters.main.slots.debezium.failover=false']]) {
      const r = run(sets);
      expect(facts(r, 'failover-slots-synced')).toEqual([]);
      expect(facts(r, 'logical-slots-left-behind')).toMatchObject([{ node: 'pg2', slots: [{ slot: 'debezium', node: 'pg1' }] }]);
      expect(hold(r, 'debezium')).toMatchObject({ toAt: '2026-01-10T10:30:00Z' });
    }
  });

  it('before 17 failover slots and sync_replication_slots are input errors', () => {
    const v16 = TEXT.replace(/version: 17/g, 'version: 16');
    const load = (text: string) => () => loadScenarioText(text, 'failover-slot.yaml');
    expect(load(v16.replace('sync_replication_slots: on, ', ''))).toThrow(/failover slots were added in PostgreSQL 17/);
    expect(load(v16.replace(', failover: true', ''))).toThrow(/sync_replication_slots .*was added in PostgreSQL 17/);
    expect(() => run(['clusters.main.slots.pg2_slot.failover=true'])).toThrow(/failover is for logical slots/);
  });
});

describe('lint and 17 failover slots', () => {
  it('a synchronized failover slot still pins the horizon after the promotion; one left behind does not', async () => {
    const { lintScenarioText } = await import('../../src/rehearsal/lint/index.ts');
    const ids = (sets: string[]) => lintScenarioText(TEXT, 'failover-slot.yaml', { sets }).map((f) => f.id);
    expect(ids([])).toContain('logical-slot-abandoned');
    expect(ids(['clusters.main.nodes.pg2.settings.sync_replication_slots=off'])).not.toContain('logical-slot-abandoned');
  });

  it('a failover slot whose synchronizing standby synchronized_standby_slots does not name is a warning', async () => {
    const { lintScenarioText } = await import('../../src/rehearsal/lint/index.ts');
    const unguarded = (sets: string[]) => lintScenarioText(TEXT, 'failover-slot.yaml', { sets }).filter((f) => f.id === 'failover-slot-unguarded');
    expect(unguarded([])).toMatchObject([{ severity: 'warning', where: { line: 17 } }]);
    expect(unguarded([])[0]!.explanation).toContain('The plan promotes pg2 at 10:30');
    expect(unguarded(['clusters.main.nodes.pg1.settings.synchronized_standby_slots=pg2_slot'])).toEqual([]);
    expect(unguarded(['clusters.main.nodes.pg2.settings.sync_replication_slots=off'])).toEqual([]);
  });
});

describe('a failover slot never consumed', () => {
  it('is not sync-ready on the standby and does not survive the promotion (observed on 17.10)', () => {
    const r = run(['clusters.main.slots.debezium.consumer=stopped']);
    expect(facts(r, 'failover-slots-synced')).toEqual([]);
    expect(facts(r, 'logical-slots-left-behind')).toMatchObject([{ node: 'pg2', slots: [{ slot: 'debezium' }] }]);
  });
});

/** An LSN of the report as a number. */
function lsnOf(s: string): number {
  const p = parseLsn(s);
  if (!p.ok) throw new Error(`bad LSN ${s}`);
  return p.value;
}

describe('synchronized_standby_slots (17+)', () => {
  // pg2 behind pg1 over a 600 KB/s line (pg1 writes 1 MB/s of WAL): the CDC consumer, active to the end, is sent
  // what pg1 writes at once, pg2 trails further and further; pg1 dies at 10:30 and pg2 is promoted.
  const lagging = (sets: string[] = [], failover = true) =>
    runScenario(
      loadScenarioText(
        TEXT.replace('sites: [dc]', 'sites: [dc, dr]\nlinks:\n  - {between: [dc, dr], bandwidth: 600KB/s, latency: 5ms}')
          .replace('pg2: {site: dc,', 'pg2: {site: dr,')
          .replace(failover ? '' : /^ {2}- \{at: "10:30", name: (promote|route|dies).*\n/gm, ''),
        'failover-slot.yaml',
        { sets: ['plan.cdc-stops.at=11:59', ...sets] },
      ),
    ).report;

  it('without it the consumer was sent WAL past the switchpoint, which the new primary never had', () => {
    const r = lagging();
    const [synced] = facts(r, 'failover-slots-synced') as { slots: { slot: string; ahead?: number }[] }[];
    // pg2 lags by (1.0 MB/s - 0.6 MB/s) x 20 min, less what the TCP headers and the first minutes take: hundreds of MB.
    expect(synced!.slots[0]!.ahead).toBeGreaterThan(2e8);
    expect(r.events.find((e) => e.fact.kind === 'failover-slots-synced')!.message).toContain('never sent to it');
  });

  it('naming pg2\'s slot, the consumer is never ahead of pg2, and it waits while pg2 does not confirm', () => {
    const r = lagging(['clusters.main.nodes.pg1.settings.synchronized_standby_slots=pg2_slot']);
    const [synced] = facts(r, 'failover-slots-synced') as { slots: { slot: string; ahead?: number }[] }[];
    expect(synced!.slots[0]).not.toHaveProperty('ahead');
    // Without a failover: where the consumer had got to when it stopped at 11:59 is where pg2 had confirmed then,
    // a minute of the 600 KB/s line behind pg2_slot's restart_lsn at the end and far behind pg1's end; without
    // the setting, pg1's end.
    const slotsOn = (x: ReturnType<typeof lagging>) => Object.fromEntries(x.nodes.find((n) => n.name === 'pg1')!.slots!.map((s) => [s.name, lsnOf(s.restartLsn!)]));
    const waiting = slotsOn(lagging(['clusters.main.nodes.pg1.settings.synchronized_standby_slots=pg2_slot'], false));
    const free = slotsOn(lagging([], false));
    expect(waiting.pg2_slot! - waiting.debezium!).toBeGreaterThan(0);
    expect(waiting.pg2_slot! - waiting.debezium!).toBeLessThan(60 * 600e3);
    expect(free.debezium! - waiting.debezium!).toBeGreaterThan(1e9);
  });

  it('is an input error before 17', () => {
    expect(() => loadScenarioText(TEXT.replace(/version: 17/g, 'version: 16').replace('sync_replication_slots: on, ', '').replace(', failover: true', '').replace('pg1: {site: dc, version: 16, role: primary}', 'pg1: {site: dc, version: 16, role: primary, settings: {synchronized_standby_slots: pg2_slot}}'), 'x.yaml')).toThrow(
      /synchronized_standby_slots .*was added in PostgreSQL 17/,
    );
  });
});

describe('synchronized_standby_slots naming a slot that cannot confirm', () => {
  const stuck = (sets: string[]) => runScenario(loadScenarioText(TEXT.replace(/^ {2}- \{at: "10:30", name: (promote|route|dies).*\n/gm, ''), 'failover-slot.yaml', { sets: ['plan.cdc-stops.at=11:59', ...sets] })).report;
  const debezium = (r: ReturnType<typeof stuck>) => lsnOf(r.nodes.find((n) => n.name === 'pg1')!.slots!.find((s) => s.name === 'debezium')!.restartLsn!);

  it('a slot that does not exist: the consumer waits for it from the start (StandbySlotsHaveCaughtup)', () => {
    const free = debezium(stuck([]));
    const typo = debezium(stuck(['clusters.main.nodes.pg1.settings.synchronized_standby_slots=pg2slot']));
    // 500 commits/s of 2 KiB for two hours went to the consumer without the setting; with the typo, nothing.
    expect(free - typo).toBeGreaterThan(7e9);
  });

  it('a listed slot invalidated by max_slot_wal_keep_size holds the consumer where it stood: the logical slot falls behind with it and is invalidated too', () => {
    // pg2 stopped at 10:20: its slot holds the WAL from there, more than 1 GB (about 17 min of 1 MB/s) at the
    // checkpoint of 10:39:30, which invalidates it. The CDC consumer was sent nothing past where pg2 stopped (and
    // PostgreSQL waits for an invalidated listed slot for good), so its slot holds as much and goes with it.
    const sets = ['clusters.main.nodes.pg1.settings.synchronized_standby_slots=pg2_slot', 'clusters.main.nodes.pg1.settings.max_slot_wal_keep_size=1GB'];
    const stopPg2 = (x: string) => x.replace(/^plan:\n/m, 'plan:\n  - {at: "10:20", name: stop-pg2, stop: pg2}\n');
    const run2 = (more: string[]) => runScenario(loadScenarioText(stopPg2(TEXT.replace(/^ {2}- \{at: "10:30", name: (promote|route|dies).*\n/gm, '')), 'failover-slot.yaml', { sets: ['plan.cdc-stops.at=11:59', ...more] })).report;
    const invalidated = (r: ReturnType<typeof run2>) => r.events.filter((e) => e.fact.kind === 'slot-invalidated').map((e) => ({ at: e.at, slot: (e.fact as unknown as { slot: string }).slot }));
    expect(invalidated(run2(sets))).toEqual([
      { at: '2026-01-10T10:39:30Z', slot: 'pg2_slot' },
      { at: '2026-01-10T10:39:30Z', slot: 'debezium' },
    ]);
    // Without synchronized_standby_slots the consumer keeps up and its slot is kept.
    expect(invalidated(run2(sets.slice(1))).map((x) => x.slot)).toEqual(['pg2_slot']);
  });
});

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
});

describe('a failover slot never consumed', () => {
  it('is not sync-ready on the standby and does not survive the promotion (observed on 17.10)', () => {
    const r = run(['clusters.main.slots.debezium.consumer=stopped']);
    expect(facts(r, 'failover-slots-synced')).toEqual([]);
    expect(facts(r, 'logical-slots-left-behind')).toMatchObject([{ node: 'pg2', slots: [{ slot: 'debezium' }] }]);
  });
});

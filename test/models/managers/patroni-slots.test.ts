import { describe, expect, it } from 'vitest';
import { slotName } from '../../../src/models/managers/slot-name.ts';
import { runScenario } from '../../../src/run.ts';
import { loadScenarioText } from '../../../src/scenario/load.ts';

/** Seconds after 10:00 of an ISO time in the report. */
const at = (iso: string) => (Date.parse(iso) - Date.parse('2024-01-01T10:00:00Z')) / 1000;

/**
 * Patroni's use_slots (global_config.py: on by default; dcs/__init__.py _get_members_slots, _build_retain_slots;
 * postgresql/slots.py): three nodes at one site writing 4 MB/s of WAL; pg3's host is lost at 10:05 and back at
 * `back` (then its Patroni restarts it as a replica of the leader).
 */
function scenario(opts: { back?: string; version?: number; failover?: string; faults?: string } = {}) {
  const v = opts.version ?? 16;
  return `
name: slots
start: 2024-01-01T10:00:00Z
end: "11:00"
sites: [dc1]
clusters:
  c:
    nodes:
      pg1: {site: dc1, version: ${v}}
      pg2: {site: dc1, version: ${v}, upstream: pg1}
      pg3: {site: dc1, version: ${v}, upstream: pg1}
    workload: {target: pg1, site: dc1, rate: 1000/s, wal_per_tx: 4KiB}
    failover: {policy: patroni, site: dc1${opts.failover ?? ''}}
faults:
  - {at: "10:05", name: die, crash: pg3}
  - {at: "10:05", name: die2, partition: pg3}
  - {at: "${opts.back ?? '10:25'}", name: back, heal: pg3}
${opts.faults ?? ''}`;
}

function run(yaml: string) {
  return runScenario(loadScenarioText(yaml, 'slots.yaml')).report;
}

const broken = (r: ReturnType<typeof run>, node: string) => r.verdicts.filter((v) => v.kind === 'standby-broken' && v.node === node);
const peakWal = (r: ReturnType<typeof run>, node: string) => Math.max(...r.walStorage!.find((w) => w.node === node)!.pgWal.map(([, b]) => b));

describe("Patroni's use_slots: the leader keeps a slot for every other member (managers/patroni.ts)", () => {
  it('slot names are made from member names as Patroni makes them', () => {
    expect(slotName('pg-1.Example')).toBe('pg_1_example');
    expect(slotName('db_2')).toBe('db_2');
    expect(slotName('nœud')).toBe('nu0339ud');
    expect(slotName('x'.repeat(70))).toHaveLength(63);
  });

  it('a member down 20 minutes streams again: its slot kept the WAL on the leader, whose pg_wal grew by what it missed', () => {
    const r = run(scenario());
    expect(broken(r, 'pg3')).toEqual([]);
    expect(r.nodes.find((n) => n.name === 'pg3')!.receiver).toBe('streaming');
    // 20 min at 1000 x 4 KiB/s = 4.9 GB held for pg3.
    expect(peakWal(r, 'pg1')).toBeGreaterThan(4.9e9);
    // Without slots the checkpoints remove what pg3 needs: it cannot stream again, and pg_wal stays near max_wal_size.
    const off = run(scenario({ failover: ', use_slots: false' }));
    expect(broken(off, 'pg3')).toHaveLength(1);
    expect(peakWal(off, 'pg1')).toBeLessThan(1.2e9);
  });

  it("member_slots_ttl: the slot of a member whose key is gone is dropped 30 minutes after it was last seen; before 11, at once", () => {
    // pg3 down 45 minutes: its key expires within ttl (30 s) of 10:05, the leader last saw it at its loop before
    // that, and drops the slot member_slots_ttl (30 min) later, at a leader loop.
    const r = run(scenario({ back: '10:50' }));
    const dropped = r.events.find((e) => e.node === 'pg1' && e.message.includes("Replication slot 'pg3' for absent cluster member is expired"))!;
    expect(at(dropped.at)).toBeGreaterThan(5 * 60 + 30 * 60);
    expect(at(dropped.at)).toBeLessThanOrEqual(5 * 60 + 30 + 30 * 60 + 10);
    expect(broken(r, 'pg3')).toHaveLength(1);
    // member_slots_ttl: 0, or PostgreSQL 10 (Patroni cannot advance slots on replicas): dropped once the key is gone.
    for (const yaml of [scenario({ failover: ', member_slots_ttl: 0' }), scenario({ version: 10 })]) {
      const early = run(yaml);
      const gone = early.events.find((e) => e.node === 'pg1' && e.message.includes("Trying to drop unknown replication slot 'pg3'"))!;
      expect(at(gone.at)).toBeGreaterThan(5 * 60 + 30 - 10);
      expect(at(gone.at)).toBeLessThanOrEqual(5 * 60 + 30 + 10);
      expect(broken(early, 'pg3')).toHaveLength(1);
    }
  });

  it("a slot the former leader held for a member that left is dropped there too (it held that member's WAL on it for good)", () => {
    // pg3 comes back only at the end; pg1 (the leader) is cut off 10:20-10:22 and follows pg2 afterwards (use_pg_rewind).
    const r = run(
      scenario({ back: '11:00', failover: ', use_pg_rewind: true', faults: '  - {at: "10:20", name: p1, partition: pg1}\n  - {at: "10:22", name: p1c, heal: pg1}' }).replace(
        /version: 16\}/g,
        'version: 16, settings: {wal_log_hints: true}}',
      ),
    );
    expect(r.nodes.find((n) => n.name === 'pg1')!.role).toBe('standby');
    expect(r.nodes.find((n) => n.name === 'pg1')!.slots!.map((x) => x.name)).not.toContain('pg3');
  });

  it("with hot_standby_feedback the slot of a member that is down holds vacuum on the leader at its xmin, until member_slots_ttl drops it", () => {
    const yaml = scenario({ back: '11:00' })
      .replace('pg3: {site: dc1, version: 16, upstream: pg1}', 'pg3: {site: dc1, version: 16, upstream: pg1, settings: {hot_standby_feedback: on}}')
      .replace('    workload: {target: pg1, site: dc1, rate: 1000/s, wal_per_tx: 4KiB}', '    databases: {app: {tables: {t: {size: 1GB}}}}\n    workload: {target: pg1, site: dc1, rate: 1000/s, wal_per_tx: 1KiB, table: t}');
    const r = run(yaml);
    const held = r.vacuums.filter((v) => v.result.includes('physical slot "pg3" holding xmin (hot_standby_feedback)'));
    expect(held.length).toBeGreaterThan(0);
    // Dropped 30 min after pg3 was last seen (about 10:35): the vacuums after that remove the dead rows.
    expect(held.every((v) => at(v.from) < 5 * 60 + 30 * 60 + 40)).toBe(true);
    expect(r.vacuums.some((v) => at(v.from) > 5 * 60 + 30 * 60 + 40 && !v.result.includes('could not'))).toBe(true);
  });

  it('after a failover the new leader holds the slots of the other members, where /status had them', () => {
    // pg1's host is lost at 10:30 (pg3 streams again since 10:25): pg2 or pg3 is promoted and the other streams
    // through its slot on the new leader; the old leader's slot is created when it comes back.
    const r = run(scenario({ faults: '  - {at: "10:30", name: p1, crash: pg1}\n  - {at: "10:30", name: p1b, partition: pg1}\n  - {at: "10:40", name: p1c, heal: pg1}' }));
    const leader = r.nodes.find((n) => n.role === 'primary' && n.state === 'running')!;
    const other = ['pg2', 'pg3'].find((x) => x !== leader.name)!;
    const created = r.events.filter((e) => e.node === leader.name && e.message.includes('created physical replication slot'));
    expect(created.map((e) => e.message)).toContainEqual(expect.stringContaining(`slot ${other} for ${other}`));
    expect(created.find((e) => e.message.includes(`for ${other}`))!.message).toContain('where /status had it');
    expect(r.nodes.find((n) => n.name === other)!.receiver).toBe('streaming');
  });
});

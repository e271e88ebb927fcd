/**
 * A delayed standby (recovery_min_apply_delay) with hot_standby_feedback reports an xmin that old: the primary's
 * vacuum keeps the dead rows of the last `delay` (config.sgml: "hot_standby_feedback will be delayed by use of
 * this feature which could lead to bloat on the primary"), and a slot it streams through keeps that xmin.
 */
import { describe, expect, it } from 'vitest';
import { runScenario } from '../../src/run.ts';
import { loadScenarioText } from '../../src/scenario/load.ts';

function run(o: { feedback: boolean; slot: boolean; delay?: string }) {
  const text = `
name: delayed-standby
start: 2024-01-01T00:00:00Z
timezone: UTC
end: "10:00"
sites: {a: {}}
clusters:
  c:
    nodes:
      p: {site: a, version: 15, role: primary, settings: {log_autovacuum_min_duration: 0}}
      d: {site: a, version: 15, upstream: p, settings: {recovery_min_apply_delay: ${o.delay ?? '2h'}, hot_standby_feedback: ${o.feedback}${o.slot ? ', primary_slot_name: sd' : ''}}}
${o.slot ? '    slots:\n      sd: {node: p, type: physical}\n' : ''}    databases:
      app:
        tables:
          t: {size: 1GB, rows: 1000000, frozen_age: 0}
    workload: {target: p, site: a, rate: 100/s, wal_per_tx: 1KiB, table: t}
plan:
  - {at: "06:00", stop: d}
`;
  return runScenario(loadScenarioText(text, '<delayed-standby>')).report;
}

describe('hot_standby_feedback of a delayed standby', () => {
  it("holds the primary's horizon recovery_min_apply_delay back while it streams; without feedback nothing is held", () => {
    const r = run({ feedback: true, slot: false });
    const held = r.vacuums.filter((v) => Date.parse(v.from) < Date.parse('2024-01-01T06:00:00Z'));
    expect(held.length).toBeGreaterThan(0);
    // 100 dead rows a second: the last two hours', 720,000, stay.
    expect(held.every((v) => v.result.includes('could not freeze past standby d, which replays 2 h behind') && v.result.includes('720,000 dead rows it could not remove'))).toBe(true);
    // Stopped at 06:00 without a slot: its walsender's xmin went with it, the next vacuum removes them.
    const after = r.vacuums.filter((v) => Date.parse(v.from) >= Date.parse('2024-01-01T06:00:00Z'));
    expect(after.length).toBeGreaterThan(0);
    expect(after.every((v) => v.blockedBy === null)).toBe(true);
    expect(after[0]!.result).toMatch(/7\d\d,\d{3} dead rows removed/);
    const plain = run({ feedback: false, slot: false }).vacuums;
    expect(plain.length).toBeGreaterThan(0);
    expect(plain.every((v) => v.blockedBy === null)).toBe(true);
  });

  it('through a slot, the xmin the slot keeps when the standby stops is the one of two hours before', () => {
    const xminAtStop = (delay: string) => (run({ feedback: true, slot: true, delay }).events.find((e) => e.fact.kind === 'slot-consumer-stopped')!.fact as unknown as { xmin: number }).xmin;
    // 100 XIDs/s: the XID next at 04:00 is 720,000 before the one at 06:00.
    expect(xminAtStop('0')).toBeCloseTo(xminAtStop('2h') + 720_000, -2);
  });
});

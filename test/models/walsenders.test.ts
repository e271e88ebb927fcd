import { describe, expect, it } from 'vitest';
import { runScenario } from '../../src/run.ts';
import { loadScenarioText } from '../../src/scenario/load.ts';

/** p with max_wal_senders = `max` and two standbys s1, s2 (s2 started at 09:01); `plan` adds steps. */
function run(version: number, o: { max?: number; slots?: number; plan?: string } = {}) {
  const settings = [o.max !== undefined ? `max_wal_senders: ${o.max}` : '', o.slots !== undefined ? `max_replication_slots: ${o.slots}` : ''].filter(Boolean).join(', ');
  const yaml = `
name: senders
start: 2024-01-01T09:00:00Z
timezone: UTC
end: "09:10"
sites: {a: {}}
clusters:
  c:
    nodes:
      p: {site: a, version: ${version}, role: primary, settings: {${settings}}, data_size: 1GiB}
      s1: {site: a, version: ${version}, upstream: p}
      s2: {site: a, version: ${version}, upstream: p}
      r: {site: a, version: ${version}, upstream: p}
    workload: {target: p, rate: 100/s, wal_per_tx: 8KiB}
plan:
  - {at: "09:00", stop: s2}
  - {at: "09:00", stop: r}
  - {at: "09:00", destroy_data: r}
  - {at: "09:01", start: s2}
${o.plan ?? ''}
`;
  return runScenario(loadScenarioText(yaml, 'senders.yaml')).report;
}

type Report = ReturnType<typeof run>;
const lines = (r: Report, node: string) => r.events.filter((e) => e.node === node).flatMap((e) => e.log).join('\n');
const nodeOf = (r: Report, name: string) => r.nodes.find((n) => n.name === name)!;

describe('max_wal_senders and max_replication_slots (walsenders.ts)', () => {
  it('a standby beyond max_wal_senders is refused at connection, in the wording of its version, and streams once a slot frees', () => {
    const r = run(15, { max: 1 });
    expect(nodeOf(r, 's1').receiver).toBe('streaming');
    expect(nodeOf(r, 's2').receiver).toBe('waiting');
    expect(lines(r, 's2')).toMatch(/walreceiver FATAL: {2}could not connect to the primary server: connection to server at "p", port 5432 failed: FATAL: {2}number of requested standby connections exceeds max_wal_senders \(currently 1\)/);
    expect(lines(run(13, { max: 1 }), 's2')).toMatch(/could not connect to the primary server: FATAL: {2}number of requested standby connections exceeds max_wal_senders \(currently 1\)/);
    expect(lines(run(17, { max: 1 }), 's2')).toMatch(/exceeds "max_wal_senders" \(currently 1\)/);
    // Enough senders, or the setting not written: both stream.
    expect(nodeOf(run(15, { max: 2 }), 's2').receiver).toBe('streaming');
    expect(nodeOf(run(15), 's2').receiver).toBe('streaming');
    // s1 stops at 09:05: s2's next attempt takes its slot.
    const freed = run(15, { max: 1, plan: '  - {at: "09:05", stop: s1}' });
    expect(nodeOf(freed, 's2').receiver).toBe('streaming');
  });

  it('pg_basebackup needs one walsender, two with -X stream', () => {
    const stream = run(15, { max: 3, plan: '  - {at: "09:02", basebackup: {node: r, from: p, checkpoint: fast}}' });
    expect(lines(stream, 'r')).toMatch(/pg_basebackup: error: connection to server at "p", port 5432 failed: FATAL: {2}number of requested standby connections exceeds max_wal_senders \(currently 3\)/);
    // Room for one: its first connection starts the backup, and the streamer's is refused only after the checkpoint
    // (pg_basebackup.c BaseBackup, then StartLogStreamer): a spread one makes it fail 0.9 x 300 s later.
    const spread = run(15, { max: 3, plan: '  - {at: "09:02", basebackup: {node: r, from: p, checkpoint: spread}}' });
    const failed = spread.events.find((e) => e.node === 'r' && e.fact.kind === 'basebackup-failed')!;
    expect((Date.parse(failed.at) - Date.parse(spread.start)) / 1000).toBeCloseTo(120 + 270, 0);
    expect(failed.log.join('\n')).toMatch(/write-ahead log start point: .*\n.*exceeds max_wal_senders \(currently 3\)/);
    const fetch = run(15, { max: 3, plan: '  - {at: "09:02", basebackup: {node: r, from: p, checkpoint: fast, wal_method: fetch}}' });
    expect(nodeOf(fetch, 'r')).toMatchObject({ state: 'running', role: 'standby' });
  });

  it('a slot beyond max_replication_slots is refused: all replication slots are in use', () => {
    const r = run(15, { slots: 1, plan: '  - {at: "09:02", create_slot: {name: a, node: p, type: physical}}\n  - {at: "09:03", create_slot: {name: b, node: p, type: physical}}' });
    expect(lines(r, 'p')).toMatch(/client backend ERROR: {2}all replication slots are in use\n\tHINT: {2}Free one or increase max_replication_slots\./);
    expect(nodeOf(r, 'p').slots!.map((s) => s.name)).toEqual(['a']);
    expect(lines(run(17, { slots: 1, plan: '  - {at: "09:02", create_slot: {name: a, node: p, type: physical}}\n  - {at: "09:03", create_slot: {name: b, node: p, type: physical}}' }), 'p')).toMatch(/increase "max_replication_slots"/);
  });
});

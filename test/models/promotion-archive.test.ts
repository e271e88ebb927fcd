/**
 * A promotion finishes what the archive holds first (xlogrecovery.c WaitForWALToBecomeAvailable: the trigger is
 * checked only after the archive and pg_wal have nothing more: "when you create the trigger file, we still finish
 * replaying as much as we can from archive and pg_wal before failover").
 */
import { describe, expect, it } from 'vitest';
import { runScenario } from '../../src/run.ts';
import { loadScenarioText } from '../../src/scenario/load.ts';
import { parseLsn } from '../../src/scenario/units.ts';

/**
 * pg2 restores from the archive only (its link to pg1 is cut), at 4 MB/s; the archiver copies 5 MB/s of pg1's
 * 8 MB/s: at pg1's loss (10:40) pg2 is about 4.2 GB behind the archive, which takes it some 17 minutes to restore.
 */
const TEXT = `name: promotion-archive
start: 2024-09-02T09:30:00Z
timezone: UTC
end: "11:30"
sites: [dc1, dr, vault]
links:
  - {between: [dc1, dr], bandwidth: 1Gbps, latency: 10ms}
  - {between: [dc1, vault], bandwidth: 1Gbps, latency: 5ms}
  - {between: [dr, vault], bandwidth: 1Gbps, latency: 5ms}
clusters:
  shop:
    archive: {site: vault}
    nodes:
      pg1: {site: dc1, version: 16, role: primary, settings: {archive_mode: on, archive_command: "cp %p /a/%f"}, archive_throughput: 5MB/s}
      pg2: {site: dr, version: 16, upstream: pg1, restore_throughput: 4MB/s, settings: {restore_command: "cp /a/%f %p"}}
    workload: {target: pg1, site: dc1, rate: 1000/s, wal_per_tx: 8KiB}
plan:
  - {at: "10:40:10", name: promote, promote: pg2}
  - {at: "10:40:11", name: route, route_writes: pg2}
faults:
  - {at: "09:30", name: cut, partition: {sites: [dc1, dr]}}
  - {at: "10:40", name: dies, crash: pg1}
  - {at: "10:40", name: gone, partition: pg1}
`;

const run = (text = TEXT) => runScenario(loadScenarioText(text, 'promotion-archive.yaml')).report;
const facts = (r: ReturnType<typeof run>, kind: string) => r.events.filter((e) => e.fact.kind === kind);
const lsnOf = (s: string) => {
  const p = parseLsn(s);
  if (!p.ok) throw new Error(p.reason);
  return p.value;
};

describe('a promotion restores what the archive holds first', () => {
  it('a standby behind the archive restores the rest, then promotes at the archive\'s end', () => {
    const r = run();
    const [wait] = facts(r, 'promotion-waits-for-archive');
    const f = wait!.fact as unknown as { node: string; lsn: string; archivedLsn: string };
    expect(f.node).toBe('pg2');
    const archived = lsnOf(f.archivedLsn);
    expect(archived - lsnOf(f.lsn)).toBeGreaterThan(3e9);
    const [promoted] = facts(r, 'promoted');
    // The switchpoint is the archive's end: what the archiver had copied of pg1's WAL when pg1 died.
    expect((promoted!.fact as unknown as { lsn: string }).lsn).toBe(f.archivedLsn);
    // Restoring 4.2 GB at 4 MB/s takes about 17 minutes: the cluster has no primary meanwhile.
    const waited = (Date.parse(promoted!.at) - Date.parse(wait!.at)) / 1000;
    expect(waited).toBeGreaterThan(900);
    expect(waited).toBeLessThan(1200);
    const restored = facts(r, 'restored-from-archive').at(-1)!.fact as unknown as { toLsn: string; then: { kind: string } };
    expect(restored).toMatchObject({ toLsn: f.archivedLsn, then: { kind: 'promoted' } });
    // The loss is what the archive never got: pg1's WAL end less the switchpoint.
    const loss = r.dataLoss.reduce((n, l) => n + l.walBytes, 0);
    expect(Math.abs(loss - (lsnOf(r.dataLoss[0]!.toLsn) - archived)) / loss).toBeLessThan(0.01);
  });

  it('without restore_command, or ahead of the archive, the promotion does not wait for it', () => {
    const none = run(TEXT.replace(', settings: {restore_command: "cp /a/%f %p"}', ''));
    expect(facts(none, 'promotion-waits-for-archive')).toEqual([]);
    // Streaming over the healed link, pg2 is ahead of the archive (which trails by the archiver's backlog).
    const streaming = run(TEXT.replace('  - {at: "09:30", name: cut, partition: {sites: [dc1, dr]}}\n', '').replace('archive_throughput: 5MB/s', 'archive_throughput: 50MB/s'));
    expect(facts(streaming, 'promotion-waits-for-archive')).toEqual([]);
    expect(streaming.dataLoss).toEqual([]);
  });
});

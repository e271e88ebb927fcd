/**
 * Issue 12: losing every up-to-date copy is data loss. A device whose newest data (every write it
 * acknowledged) is on no running disk gets a data-loss verdict (checkers/verdicts-block.ts) and its lost
 * writes in the data-loss section, whether or not an older copy is then forced primary. An UpToDate peer
 * lacks what a protocol A primary acknowledged and had not sent; under B and C it has every acknowledged write.
 */
import { describe, expect, it } from 'vitest';
import { runScenario } from '../../../src/run.ts';
import { loadScenarioText } from '../../../src/scenario/load.ts';
import { drbdScenario, type DrbdFixture } from './fixture.ts';

const run = (o: DrbdFixture) => runScenario(loadScenarioText(drbdScenario({ duration: '10m', ...o }), 'fixture.yaml')).report;
const dataLoss = (r: ReturnType<typeof run>) => r.verdicts.filter((v) => v.kind === 'data-loss');
// 410 requests/s, 30 % writes of 16 KiB: 123 writes/s.
const WRITES_PER_S = 410 * 0.3;

describe('losing every up-to-date copy', () => {
  it('the primary lost while its peer is connected and UpToDate: no data-loss verdict (the peer has the data)', () => {
    const r = run({ protocol: 'C', extraPlan: ['{ at: +5m, fail_host: p }'] });
    expect(dataLoss(r)).toEqual([]);
    expect(r.dataLoss).toEqual([]);
  });

  it('the primary lost after a disconnect left its peer DUnknown (consistent, older): a data-loss verdict from the loss to the end, and the writes since the disconnect are lost', () => {
    const r = run({ protocol: 'C', extraPlan: ['{ at: +2m, disconnect: r0 }', '{ at: +5m, fail_host: p }'] });
    const v = dataLoss(r);
    expect(v).toHaveLength(1);
    expect(v[0]!.cluster).toBe('r0');
    expect(v[0]!.node).toBe('p');
    expect(Date.parse(v[0]!.from) - Date.parse(r.start)).toBe(5 * 60_000);
    expect(v[0]!.to).toBeNull();
    expect(v[0]!.cause.map((c) => c.text).join(' ')).toMatch(/s: DUnknown/);
    // Three minutes of writes were only marked in p's bitmap.
    expect(r.dataLoss).toHaveLength(1);
    expect(r.dataLoss[0]!.commits).toBeGreaterThan(WRITES_PER_S * 180 * 0.95);
    expect(r.dataLoss[0]!.commits).toBeLessThan(WRITES_PER_S * 180 * 1.05);
    expect(r.recovery.find((x) => x.cluster === 'r0')!.to).toBeNull();
  });

  it('forcing the older peer primary afterwards does not undo it, nor count the loss twice', () => {
    const r = run({ protocol: 'C', extraPlan: ['{ at: +2m, disconnect: r0 }', '{ at: +5m, fail_host: p }', '{ at: +6m, force_primary: { resource: r0, host: s } }'] });
    expect(dataLoss(r)).toHaveLength(1);
    expect(dataLoss(r)[0]!.to).toBeNull();
    expect(dataLoss(r)[0]!.cause.map((c) => c.text).join(' ')).toMatch(/s was made primary without the writes only p held/);
    expect(r.dataLoss).toHaveLength(1);
  });

  it('the primary lost during the initial sync (its peer Inconsistent): every write of the run is lost', () => {
    const r = run({ connected: false, resyncRate: '10MB/s', extraPlan: ['{ at: +5m, fail_host: p }'] });
    expect(dataLoss(r)).toHaveLength(1);
    expect(r.dataLoss).toHaveLength(1);
    // Writes from the start to the loss: five minutes.
    expect(r.dataLoss[0]!.commits).toBeGreaterThan(WRITES_PER_S * 300 * 0.95);
    expect(r.dataLoss[0]!.commits).toBeLessThan(WRITES_PER_S * 300 * 1.05);
  });

  // The drain tests' congestion: a backup on the peer's 4-disk RAID fills the 8 MiB send buffer and the peer's queue.
  const congested = (protocol: 'A' | 'B', extra: string[] = []): DrbdFixture => ({
    protocol,
    peerMembers: 4,
    random: '100%',
    extraPlan: ['{ at: +1m, start_job: { name: backup, disk: peer-disk, kind: backup, share: 80% } }', '{ at: +5m, fail_host: p }', ...extra],
  });

  it('protocol A: the primary lost with full buffers while its peer is UpToDate, nobody promotes: what was in the buffers is lost from that instant', () => {
    const r = run(congested('A'));
    const v = dataLoss(r);
    expect(v).toHaveLength(1);
    expect(Date.parse(v[0]!.from) - Date.parse(r.start)).toBe(5 * 60_000);
    expect(v[0]!.to).toBeNull();
    expect(v[0]!.cause.map((c) => c.text).join(' ')).toMatch(/s: UpToDate as of what it received, without the last \d+(\.\d+)? MiB p acknowledged/);
    expect(r.dataLoss).toHaveLength(1);
    // The send buffer (5.8 MiB: the activity log's 19.8 MiB less the peer's 14 MiB queue) and the peer's
    // socket buffer (6 MiB): about 11.8 MiB, not every write of the run; the 8 MiB in the peer's max-buffers
    // pages are at its disk and written (drbd_receiver.c drbd_disconnected).
    expect(r.dataLoss[0]!.walBytes).toBeGreaterThan(11 << 20);
    expect(r.dataLoss[0]!.walBytes).toBeLessThanOrEqual(13 << 20);
    expect(Date.parse(r.dataLoss[0]!.to) - Date.parse(r.start)).toBe(5 * 60_000);
  });

  it('protocol A: promoting the peer afterwards keeps one loss, for good', () => {
    const r = run(congested('A', ['{ at: +6m, force_primary: { resource: r0, host: s } }']));
    expect(dataLoss(r)).toHaveLength(1);
    expect(dataLoss(r)[0]!.to).toBeNull();
    expect(dataLoss(r)[0]!.cause.map((c) => c.text).join(' ')).toMatch(/s was made primary without the writes only p held/);
    expect(r.dataLoss).toHaveLength(1);
    expect(r.dataLoss[0]!.walBytes).toBeGreaterThan(11 << 20);
    expect(r.dataLoss[0]!.walBytes).toBeLessThanOrEqual(13 << 20);
  });

  it('protocol B: the same loss with full buffers loses nothing (the peer acknowledged receiving every write)', () => {
    const r = run(congested('B'));
    expect(dataLoss(r)).toEqual([]);
    expect(r.dataLoss).toEqual([]);
  });

  it('protocol B: the primary lost after a disconnect left its peer DUnknown: the writes since the disconnect are lost', () => {
    const r = run({ protocol: 'B', extraPlan: ['{ at: +2m, disconnect: r0 }', '{ at: +5m, fail_host: p }'] });
    expect(dataLoss(r)).toHaveLength(1);
    expect(r.dataLoss).toHaveLength(1);
    expect(r.dataLoss[0]!.commits).toBeGreaterThan(WRITES_PER_S * 180 * 0.95);
    expect(r.dataLoss[0]!.commits).toBeLessThan(WRITES_PER_S * 180 * 1.05);
  });

  it('both hosts lost one after the other: the verdict opens when the last copy goes', () => {
    const r = run({ protocol: 'C', extraPlan: ['{ at: +3m, fail_host: s }', '{ at: +5m, fail_host: p }'] });
    const v = dataLoss(r);
    expect(v).toHaveLength(1);
    expect(Date.parse(v[0]!.from) - Date.parse(r.start)).toBe(5 * 60_000);
  });
});

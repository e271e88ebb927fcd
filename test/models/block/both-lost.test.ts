/**
 * Both hosts of a DRBD pair lost at once (a power loss of the site, both crashing together), then powered on
 * (probe-drbd3). A crash or a power loss takes RAM, not what the disks completed: protocol C's acknowledged
 * writes are on both disks, B's on the primary's and in the peer's receiver, A's on the primary's. When they
 * boot, the handshake (drbd_receiver.c drbd_uuid_compare: equal UUIDs, RULE_BOTH_OFF in DRBD 9, "common power
 * failure" in 8.4) makes the crashed Primary SyncSource for its activity log; nothing acknowledged is lost.
 * Before, the model recorded every write of the run lost the moment both hosts went down (and a data-loss
 * verdict until one came back), took the peer's UpToDate copy for gone, and after its return called it
 * Outdated, so forcing it primary lost "every write" too.
 */
import { describe, expect, it } from 'vitest';
import type { Report } from '../../../src/report/types.ts';
import { runScenario } from '../../../src/run.ts';
import { loadScenarioText } from '../../../src/scenario/load.ts';
import { drbdScenario, type DrbdFixture } from './fixture.ts';

const run = (o: DrbdFixture, version = '8.4') => runScenario(loadScenarioText(drbdScenario({ duration: '10m', resyncRate: '100MB/s', ...o }).replace('version: 8.4', `version: ${version}`), 'fixture.yaml')).report;
const secs = (r: Report, iso: string) => (Date.parse(iso) - Date.parse(r.start)) / 1000;
const events = (r: Report, re: RegExp) => r.events.filter((e) => re.test(e.message)).map((e) => ({ t: secs(r, e.at), m: e.message }));
const dataLossVerdicts = (r: Report) => r.verdicts.filter((v) => v.kind === 'data-loss');
const bothDown = ['{ at: +2m, fail_host: p }', '{ at: +2m, fail_host: s }'];

describe('both hosts lost at once', () => {
  it('protocol C, both powered on: nothing lost, no data-loss verdict, the crashed Primary resyncs its activity log', () => {
    for (const version of ['8.4', '9.2']) {
      const r = run({ protocol: 'C', extraPlan: [...bothDown, '{ at: +3m, power_on: p }', '{ at: +3m, power_on: s }'] }, version);
      expect(r.dataLoss).toEqual([]);
      expect(dataLossVerdicts(r)).toEqual([]);
      expect(r.devices![0]!.primary).toBe('p');
      expect(events(r, /bitmaps merged: resync of 4\.8 GiB/).map((e) => e.t)).toEqual([180]);
      // The write outage from the loss until p is Primary again.
      expect(r.outages.map((o) => [secs(r, o.from), o.to && secs(r, o.to)])).toEqual([[120, 180]]);
    }
  });

  it('the order they go down in does not matter', () => {
    const r = run({ protocol: 'C', extraPlan: ['{ at: +2m, fail_host: s }', '{ at: +2m, fail_host: p }', '{ at: +3m, power_on: p }', '{ at: +3m, power_on: s }'] });
    expect(r.dataLoss).toEqual([]);
    expect(dataLossVerdicts(r)).toEqual([]);
  });

  it('protocol C, only the peer comes back and is forced primary: it had every acknowledged write', () => {
    const r = run({ protocol: 'C', extraPlan: [...bothDown, '{ at: +3m, power_on: s }', '{ at: +4m, force_primary: { resource: r0, host: s } }'] });
    expect(events(r, /s is back, DRBD Secondary with every write p acknowledged/).map((e) => e.t)).toEqual([180]);
    expect(r.dataLoss).toEqual([]);
    expect(dataLossVerdicts(r)).toEqual([]);
    expect(r.devices![0]!.primary).toBe('s');
  });

  it('DRBD 9 protocol C, the peer back first: still the crashed Primary is SyncSource (no RECONNECT flag on a rebooted peer)', () => {
    const r = run({ protocol: 'C', extraPlan: [...bothDown, '{ at: +3m, power_on: s }', '{ at: +4m, power_on: p }'] }, '9.2');
    expect(events(r, /crashed as Primary and s stayed up/)).toEqual([]);
    expect(r.devices![0]!.primary).toBe('p');
    expect(r.dataLoss).toEqual([]);
  });

  // A backup on the peer's 4-disk RAID fills the 8 MiB send buffer and the peer's queue (copies.test.ts).
  const congested = (extra: string[]): DrbdFixture => ({
    protocol: 'A',
    resyncRate: '40MB/s',
    peerMembers: 4,
    random: '100%',
    extraPlan: ['{ at: +1m, start_job: { name: backup, disk: peer-disk, kind: backup, share: 80% } }', '{ at: +5m, fail_host: p }', '{ at: +5m, fail_host: s }', ...extra],
  });

  it('protocol A with full buffers, both powered on: the Primary\'s disk had what its send path held, nothing is lost', () => {
    const r = run(congested(['{ at: +6m, power_on: s }', '{ at: +6m, power_on: p }']));
    expect(r.dataLoss).toEqual([]);
    expect(dataLossVerdicts(r)).toEqual([]);
    expect(r.devices![0]!.primary).toBe('p');
  });

  it('protocol A with full buffers, only the peer back and forced primary: its send path is lost, not every write of the run', () => {
    const r = run(congested(['{ at: +6m, power_on: s }', '{ at: +7m, force_primary: { resource: r0, host: s } }']));
    expect(r.dataLoss).toHaveLength(1);
    // The send buffer and the peer's socket buffer (copies.test.ts: about 11.8 MiB), and the 8 MiB the peer's
    // receiver had taken in and not yet written: its host lost power too.
    expect(r.dataLoss[0]!.walBytes).toBeGreaterThan(19 << 20);
    expect(r.dataLoss[0]!.walBytes).toBeLessThanOrEqual(21 << 20);
    expect(r.dataLoss[0]!.cause.map((c) => c.fact!.kind)).toContain('loss-peer-queue');
  });

  it('protocol A, the Primary alone crashes with full buffers and boots again, nobody promoted: nothing lost', () => {
    const r = run({ ...congested(['{ at: +6m, power_on: p }']), extraPlan: ['{ at: +1m, start_job: { name: backup, disk: peer-disk, kind: backup, share: 80% } }', '{ at: +5m, fail_host: p }', '{ at: +6m, power_on: p }'] });
    expect(r.dataLoss).toEqual([]);
    expect(dataLossVerdicts(r)).toEqual([]);
  });

  it('protocol B, the Secondary lost and then the Primary, the Secondary back and forced primary: what the Primary wrote alone is lost, no more', () => {
    const r = run({ protocol: 'B', extraPlan: ['{ at: +2m, fail_host: s }', '{ at: +4m, fail_host: p }', '{ at: +5m, power_on: s }', '{ at: +6m, force_primary: { resource: r0, host: s } }'] });
    expect(r.dataLoss).toHaveLength(1);
    expect([secs(r, r.dataLoss[0]!.from), secs(r, r.dataLoss[0]!.to)]).toEqual([120, 240]);
    // 410 requests/s, 30 % writes: 123 writes/s for two minutes.
    expect(r.dataLoss[0]!.commits).toBeGreaterThan(123 * 120 * 0.95);
    expect(r.dataLoss[0]!.commits).toBeLessThan(123 * 120 * 1.05);
    // Nobody to connect to while p is down: no attempt "connects" to it.
    expect(events(r, /connection established|cannot connect/)).toEqual([]);
  });

  it('neither comes back within the run: lost for good (fail_host), recorded as of the loss', () => {
    const r = run({ protocol: 'C', extraPlan: bothDown });
    expect(r.dataLoss).toHaveLength(1);
    expect(secs(r, r.dataLoss[0]!.to)).toBe(120);
    expect(dataLossVerdicts(r)).toHaveLength(1);
    expect(dataLossVerdicts(r)[0]!.to).toBeNull();
  });
});

describe('the time to recover', () => {
  it('starts at the failure, not at a heal in the ten minutes before it', () => {
    // The link cut at +1m and healed at +3m (faults); the peer disconnected at +4m and the primary lost at +5m.
    const text = `${drbdScenario({ protocol: 'C', duration: '10m', extraPlan: ['{ at: +4m, disconnect: r0 }', '{ at: +5m, fail_host: p }'] })}faults:\n  - { at: +1m, partition: { sites: [a, b] } }\n  - { at: +3m, heal: { sites: [a, b] } }\n`;
    const r = runScenario(loadScenarioText(text, 'fixture.yaml')).report;
    const rec = r.recovery.find((x) => x.cluster === 'r0')!;
    expect(secs(r, rec.from)).toBe(60);
    // Without the cut, only the heal would be in the window: the failure itself is then the start.
    const healOnly = `${drbdScenario({ protocol: 'C', duration: '14m', extraPlan: ['{ at: +8m, disconnect: r0 }', '{ at: +12m, fail_host: p }'] })}faults:\n  - { at: +1m, partition: { sites: [a, b] } }\n  - { at: +3m, heal: { sites: [a, b] } }\n`;
    const r2 = runScenario(loadScenarioText(healOnly, 'fixture.yaml')).report;
    expect(secs(r2, r2.recovery.find((x) => x.cluster === 'r0')!.from)).toBe(720);
  });
});

describe('the peer\'s receive pages', () => {
  // A backup on the peer's 4-disk RAID keeps its receiver's max-buffers pages full (copies.test.ts).
  const congested = (protocol: 'B' | 'C', plan: string[]): DrbdFixture => ({
    protocol,
    resyncRate: '40MB/s',
    peerMembers: 4,
    random: '100%',
    extraPlan: ['{ at: +1m, start_job: { name: backup, disk: peer-disk, kind: backup, share: 80% } }', ...plan],
  });
  const plan = (first: string, second: string) => [`{ at: +5m, fail_host: ${first} }`, `{ at: +5m, fail_host: ${second} }`, '{ at: +6m, power_on: s }', '{ at: +7m, force_primary: { resource: r0, host: s } }'];

  it('protocol B, both lost at once: what the peer had acknowledged and not yet written is lost when it alone is forced primary, in either order', () => {
    for (const [a, b] of [['p', 's'], ['s', 'p']] as const) {
      const r = run(congested('B', plan(a, b)));
      expect(r.dataLoss).toHaveLength(1);
      // max-buffers: 8 MiB of receive pages (2048 × 4 KiB).
      expect(r.dataLoss[0]!.walBytes).toBeGreaterThan(7 << 20);
      expect(r.dataLoss[0]!.walBytes).toBeLessThanOrEqual(8 << 20);
    }
  });

  it('protocol C: those writes were not acknowledged, nothing is lost', () => {
    const r = run(congested('C', plan('p', 's')));
    expect(r.dataLoss).toEqual([]);
  });
});

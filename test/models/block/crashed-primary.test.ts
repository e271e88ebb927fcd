/**
 * A Primary that crashes and boots again with nobody promoted meanwhile (probe-drbd): DRBD marks its activity
 * log's extents out of sync when it attaches (drbdmeta apply-al; 8.4 drbd_al_apply_to_bm) and resyncs them
 * from it to the peer, Inconsistent until that ends (drbd_receiver.c drbd_uuid_compare: 8.4's "common power
 * failure" rule; DRBD 9 since 9.0.31 RULE_CRASHED_PRIMARY, protocols A and B only). Before, the model found
 * the pair in sync at once. DRBD 9 with protocol C resyncs toward the crashed Primary when its peer stayed up
 * (probe-drbd2); before, the model found that pair in sync.
 */
import { describe, expect, it } from 'vitest';
import type { Report } from '../../../src/report/types.ts';
import { runScenario } from '../../../src/run.ts';
import { loadScenarioText } from '../../../src/scenario/load.ts';
import { drbdScenario } from './fixture.ts';

const secs = (r: Report, iso: string) => (Date.parse(iso) - Date.parse(r.start)) / 1000;
const events = (r: Report, re: RegExp) => r.events.filter((e) => re.test(e.message)).map((e) => ({ t: secs(r, e.at), m: e.message }));
const crash = ['{ at: +2m, fail_host: p }', '{ at: +3m, power_on: p }'];
const run = (protocol: 'A' | 'C', version = '8.4') =>
  runScenario(loadScenarioText(drbdScenario({ protocol, duration: '10m', resyncRate: '100MB/s', extraPlan: crash }).replace('version: 8.4', `version: ${version}`), 'fixture.yaml')).report;

describe('a crashed Primary that boots again', () => {
  it('resyncs its activity log\'s hot extents (al-extents × 4 MiB) to the peer, Inconsistent meanwhile', () => {
    for (const [protocol, version] of [['A', '8.4'], ['C', '8.4'], ['A', '9.2']] as const) {
      const r = run(protocol, version);
      const resync = events(r, /bitmaps merged: resync of (.*) out of sync/);
      expect(resync.map((e) => e.t)).toEqual([180]);
      // 16 KiB writes over 100 GiB (25,600 extents) keep all 1,237 extents of the log hot.
      expect(resync[0]!.m).toMatch(/resync of 4\.8 GiB/);
      expect(events(r, /resync of .* finished/)).toHaveLength(1);
      expect(r.devices![0]!.peerDisk).toBe('UpToDate');
    }
  });

  it('DRBD 9 protocol C with the peer up resyncs the other way: the crashed Primary is SyncTarget, the peer promoted', () => {
    // drbd_uuid_compare: RULE_CRASHED_PRIMARY is for protocols A and B; with C the survivor (RECONNECT flag)
    // is SyncSource ("Peer crashed as primary, I survived, resync from me").
    const r = run('C', '9.2');
    expect(events(r, /connected, in sync/)).toEqual([]);
    expect(events(r, /p crashed as Primary and s stayed up/).map((e) => e.t)).toEqual([180]);
    const resync = events(r, /bitmaps merged: resync of (.*) out of sync/);
    expect(resync.map((e) => e.t)).toEqual([180]);
    expect(resync[0]!.m).toMatch(/resync of 4\.8 GiB .* p is\s+Inconsistent/);
    expect(r.devices![0]!.primary).toBe('s');
    // s had not been Primary: it is made so, not "again".
    expect(events(r, /s is made Primary; the application writes to s$/).map((e) => e.t)).toEqual([180]);
    expect(r.devices![0]!.secondary).toBe('p');
    expect(r.devices![0]!.peerDisk).toBe('UpToDate');
    expect(r.dataLoss).toEqual([]);
  });

  it('DRBD 9 protocol C after a common power failure (the peer down too) resyncs from the crashed Primary', () => {
    // Neither has the RECONNECT flag: the "both off" rule, the crashed Primary SyncSource.
    const both = ['{ at: +2m, fail_host: p }', '{ at: +2m, fail_host: s }', '{ at: +3m, power_on: p }', '{ at: +3m, power_on: s }'];
    const r = runScenario(loadScenarioText(drbdScenario({ protocol: 'C', duration: '10m', resyncRate: '100MB/s', extraPlan: both }).replace('version: 8.4', 'version: 9.2'), 'fixture.yaml')).report;
    expect(events(r, /crashed as Primary and s stayed up/)).toEqual([]);
    expect(r.devices![0]!.primary).toBe('p');
    expect(events(r, /bitmaps merged: resync of 4\.8 GiB/)).toHaveLength(1);
  });
});

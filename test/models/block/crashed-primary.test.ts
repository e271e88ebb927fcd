/**
 * A Primary that crashes and boots again with nobody promoted meanwhile (probe-drbd): DRBD marks its activity
 * log's extents out of sync when it attaches (drbdmeta apply-al; 8.4 drbd_al_apply_to_bm) and resyncs them
 * from it to the peer, Inconsistent until that ends (drbd_receiver.c drbd_uuid_compare: 8.4's "common power
 * failure" rule; DRBD 9 since 9.0.31 RULE_CRASHED_PRIMARY, protocols A and B only). Before, the model found
 * the pair in sync at once.
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

  it('DRBD 9 protocol C resyncs the other way (not modelled): the pair connects in sync', () => {
    const r = run('C', '9.2');
    expect(events(r, /connected, in sync/).map((e) => e.t)).toEqual([180]);
  });
});

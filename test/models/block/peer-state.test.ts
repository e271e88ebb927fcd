/**
 * What the primary knows of its peer once they are apart, as DRBD has it. A connection attempt reaches
 * nobody while the peer host is off (drbd_receiver.c conn_connect: the transport's connect fails and DRBD
 * stays Connecting); the node whose DRBD comes up connects at once to a peer that waits for it. The peer's
 * disk is DUnknown once disconnected (drbd_state.c sanitize_state), Outdated only after a fencing handler
 * outdated it (drbd_nl.c conn_try_outdate_peer), and a resync target stays Inconsistent.
 */
import { describe, expect, it } from 'vitest';
import type { Report } from '../../../src/report/types.ts';
import { runScenario } from '../../../src/run.ts';
import { loadScenarioFile, loadScenarioText } from '../../../src/scenario/load.ts';
import { drbdScenario, type DrbdFixture } from './fixture.ts';

const run = (o: DrbdFixture) => runScenario(loadScenarioText(drbdScenario({ duration: '10m', ...o }), 'fixture.yaml')).report;
const secs = (r: Report, iso: string) => (Date.parse(iso) - Date.parse(r.start)) / 1000;
const events = (r: Report, re: RegExp) => r.events.filter((e) => re.test(e.message)).map((e) => ({ t: secs(r, e.at), m: e.message }));
const cut = (from: string, to: string) => [`{ at: ${from}, partition: { sites: [a, b] } }`, `{ at: ${to}, heal: { sites: [a, b] } }`];

describe('connection attempts while the peer host is off', () => {
  it('the shipped Pacemaker pair: no connection is established while stor-b is powered off; it connects when stor-b is back', () => {
    const r = runScenario(loadScenarioFile('scenarios/pacemaker-network-freeze.yaml')).report;
    const off = events(r, /stor-b is powered off/);
    const back = events(r, /stor-b is back/);
    expect(off).toHaveLength(1);
    expect(back).toHaveLength(1);
    const during = r.events.filter((e) => secs(r, e.at) >= off[0]!.t && secs(r, e.at) < back[0]!.t).map((e) => e.message);
    expect(during.filter((m) => /connection established|cannot connect|peer is gone/.test(m))).toEqual([]);
    // stor-a waited (Connecting): stor-b's DRBD, coming up, connects to it at once.
    expect(events(r, /connection established/).map((e) => e.t)).toEqual([back[0]!.t]);
  });

  it('a peer host lost while its primary is Connecting: the attempts find nobody and log nothing', () => {
    const r = run({ protocol: 'C', extraPlan: [...cut('+2m', '+3m'), '{ at: +2m30s, fail_host: s }'] });
    expect(events(r, /connection established|peer is gone/)).toEqual([]);
    expect(r.devices![0]).toMatchObject({ connection: 'Connecting', hostsDown: ['s'] });
  });
});

describe("the peer's disk state once apart", () => {
  it('an administrative disconnect of an UpToDate peer: DUnknown (no fencing outdated it)', () => {
    const r = run({ protocol: 'C', extraPlan: ['{ at: +2m, disconnect: r0 }'] });
    expect(r.devices![0]).toMatchObject({ connection: 'StandAlone', peerDisk: 'DUnknown' });
  });

  it('a network failure without fencing: DUnknown while Connecting', () => {
    const r = run({ protocol: 'C', extraPlan: [`{ at: +2m, partition: { sites: [a, b] } }`] });
    expect(r.devices![0]).toMatchObject({ connection: 'Connecting', peerDisk: 'DUnknown' });
  });

  it('a network failure with fencing resource-only: Outdated once the fence-peer handler returned', () => {
    const r = run({ protocol: 'C', diskExtra: 'fencing: resource-only', drbdExtra: ['handlers: { fence-peer: { exits-after: 5s } }'], extraPlan: [`{ at: +2m, partition: { sites: [a, b] } }`] });
    expect(events(r, /fence-peer handler exited 4 .* s is Outdated/)).toHaveLength(1);
    expect(r.devices![0]).toMatchObject({ connection: 'Connecting', peerDisk: 'Outdated' });
  });

  it('a resync target cut off stays Inconsistent, fenced or not (the handler only lowers a state above Outdated)', () => {
    const plan = [`{ at: +2m, partition: { sites: [a, b] } }`];
    const plain = run({ connected: false, resyncRate: '10MB/s', extraPlan: plan });
    expect(plain.devices![0]).toMatchObject({ connection: 'Connecting', peerDisk: 'Inconsistent' });
    const fenced = run({ connected: false, resyncRate: '10MB/s', diskExtra: 'fencing: resource-only', drbdExtra: ['handlers: { fence-peer: { exits-after: 5s } }'], extraPlan: plan });
    expect(fenced.devices![0]).toMatchObject({ connection: 'Connecting', peerDisk: 'Inconsistent' });
  });
});

describe('what a disconnect leaves', () => {
  it('the writes in the send path at a disconnect are marked out of sync (DRBD sets their bits)', () => {
    // The peer's array busy with a backup: protocol A's send buffer holds data when the plan disconnects.
    const r = runScenario(loadScenarioText(drbdScenario({ protocol: 'A', duration: '5m', backup: '95%', extraPlan: ['{ at: +3m, disconnect: r0 }'] }), 'fixture.yaml'));
    const series = r.world.block!.ctx.history.block.series;
    const at = (name: string, t: number) => series.get(name)!.find((p) => p.at === t)?.value;
    const queued = at('r0 send buffer (bytes)', 180e6 - 1)! + at('r0 peer queue (bytes)', 180e6 - 1)!;
    expect(queued).toBeGreaterThan(1 << 20);
    const marked = at('r0 out of sync (bytes)', 180e6)! - (at('r0 out of sync (bytes)', 180e6 - 1) ?? 0);
    expect(marked).toBeGreaterThanOrEqual(at('r0 send buffer (bytes)', 180e6 - 1)!);
  });

  it('a forced promotion of the peer while it is connected to a running Primary is refused (no dual-primary)', () => {
    const r = run({ protocol: 'C', extraPlan: ['{ at: +2m, force_primary: { resource: r0, host: s } }'] });
    expect(events(r, /s cannot become primary: its peer p is Primary and connected \(Multiple primaries not allowed by config\)/).map((e) => e.t)).toEqual([120]);
    expect(r.devices![0]).toMatchObject({ primary: 'p', connection: 'Connected', peerDisk: 'UpToDate' });
  });
});

describe('pull-ahead does not make an unfinished resync target consistent', () => {
  it('a peer that went Inconsistent in a resync stays so when the primary goes Ahead again: losing the primary leaves no consistent image', () => {
    // Protocol A with pull-ahead: the batch exceeds the line, the primary flaps Ahead <-> SyncSource, and the
    // resync (5 MB/s) never finishes before the primary is lost (drbd_state.c sanitize_state: C_AHEAD keeps the
    // peer's disk between Inconsistent and Consistent).
    const r = runScenario(loadScenarioFile('test/fixtures/block/pull-ahead-unfinished-resync.yaml')).report;
    expect(r.events.find((e) => /congested/.test(e.message))!.repeated!.count).toBeGreaterThan(1);
    const lost = r.verdicts.find((v) => v.kind === 'data-loss')!;
    expect(lost.cause.map((c) => c.text).join(' ')).toMatch(/no running disk holds it: a: UpToDate \(primary\), the host is lost; b:\s+Inconsistent/);
    // Every write of the run is gone with the device (no consistent copy).
    expect(r.dataLoss[0]!.from).toBe(r.start);
  });
});

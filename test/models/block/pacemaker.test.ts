/**
 * Issue 12: Pacemaker/Corosync managing a DRBD pair. The totem token travels over the scenario's links: a
 * freeze of the link between the hosts longer than token + consensus drops each node from the other's
 * membership; with two_node both halves are quorate and fence each other through their STONITH devices
 * (reached over a management network the freeze does not touch). A pcmk_delay_base on one device lets the
 * other node's request win: exactly one node is fenced. Without any delay both requests reach their
 * devices: both nodes are shot. A token longer than the freeze fences nobody. The survivor is promoted
 * only once the fence is confirmed; crm-fence-peer under resource-and-stonith keeps the old primary's
 * writes suspended until the cluster knows the peer's fate.
 */
import { describe, expect, it } from 'vitest';
import type { Report } from '../../../src/report/types.ts';
import { runScenario } from '../../../src/run.ts';
import { loadScenarioText } from '../../../src/scenario/load.ts';
import { ScenarioError } from '../../../src/scenario/errors.ts';

interface Opts {
  delayAlpha?: string;
  delayBeta?: string;
  delayMax?: string;
  token?: string;
  freeze?: string;
  fencing?: 'dont-care' | 'resource-and-stonith' | 'resource-only';
  deviceSites?: { alpha: string; beta: string };
  twoNode?: boolean;
  extra?: string;
}

function yaml(o: Opts = {}): string {
  return `
name: pacemaker fixture
start: 2026-01-10T10:00:00Z
timezone: UTC
end: "10:20"
sites: [rack-a, rack-b, mgmt]
links:
  - {between: [rack-a, rack-b], bandwidth: 10Gbps, latency: 0.1ms}
  - {between: [rack-a, mgmt], bandwidth: 1Gbps, latency: 0.2ms}
  - {between: [rack-b, mgmt], bandwidth: 1Gbps, latency: 0.2ms}
block:
  hosts:
    alpha: {site: rack-a}
    beta: {site: rack-b}
  disks:
    alpha-ssd: {host: alpha, drive: {type: ssd}}
    beta-ssd: {host: beta, drive: {type: ssd}}
  resources:
    r0:
      size: 200GiB
      primary: {host: alpha, disk: alpha-ssd}
      secondary: {host: beta, disk: beta-ssd}
      connected: true
      drbd:
        version: 9.2
        net: {protocol: C, fencing: ${o.fencing ?? 'resource-and-stonith'}}
        handlers: {fence-peer: {crm-fence-peer: {}}}
  workloads:
    db: {resource: r0, iops: 2000/s, reads: 50%, random: 80%, size: 8KiB, working_set: 20GiB}
  pacemaker:
    nodes: [alpha, beta]
    resources: [r0]
    corosync: {two_node: ${o.twoNode ?? true}${o.token ? `, token: ${o.token}` : ''}}
    stonith:
      ipmi-alpha: {target: alpha, site: ${o.deviceSites?.alpha ?? 'mgmt'}, pcmk_delay_base: ${o.delayAlpha ?? '0s'}${o.delayMax ? `, pcmk_delay_max: ${o.delayMax}` : ''}}
      ipmi-beta: {target: beta, site: ${o.deviceSites?.beta ?? 'mgmt'}, pcmk_delay_base: ${o.delayBeta ?? '0s'}${o.delayMax ? `, pcmk_delay_max: ${o.delayMax}` : ''}}
${o.extra ?? ''}
faults:
  - {at: "10:05", partition: {sites: [rack-a, rack-b]}}
  - {at: "${o.freeze ?? '10:05:20'}", heal: {sites: [rack-a, rack-b]}}
`;
}

const run = (o: Opts = {}) => runScenario(loadScenarioText(yaml(o), 'fixture.yaml')).report;
const secs = (r: Report, iso: string) => (Date.parse(iso) - Date.parse(r.start)) / 1000;
const fenced = (r: Report) => r.verdicts.filter((v) => v.kind === 'fenced').map((v) => ({ node: v.node, at: secs(r, v.from) }));
const events = (r: Report, re: RegExp) => r.events.filter((e) => re.test(e.message)).map((e) => ({ t: secs(r, e.at), node: e.node, m: e.message }));
const FREEZE = 300;

describe('a heartbeat outage longer than token + consensus', () => {
  it('with pcmk_delay_base on the primary\'s device, only the secondary is fenced: at token + consensus + the device\'s action time', () => {
    const r = run({ delayAlpha: '10s' });
    // token 3 s (Corosync 3.1) + consensus 3.6 s, then fence_ipmilan's 5 s.
    expect(fenced(r)).toEqual([{ node: 'beta', at: FREEZE + 6.6 + 5 }]);
    const lost = events(r, /corosync on \w+: \w+ lost/);
    expect(lost.map((e) => e.t)).toEqual([FREEZE + 6.6, FREEZE + 6.6]);
    // beta's own request waited its 10 s and died with beta.
    expect(events(r, /fencer on beta: reboot of alpha/)[0]!.m).toMatch(/delayed 10 s/);
    expect(r.dataLoss).toEqual([]);
    // The writes wait from the freeze until the crm-fence-peer handler learns that beta was fenced (exit 7).
    expect(r.stalls).toHaveLength(1);
    expect(r.stalls[0]!.bottleneck).toBe('peer-unreachable');
    expect(secs(r, r.stalls[0]!.to!)).toBeCloseTo(FREEZE + 11.6, 3);
    expect(events(r, /fence-peer handler exited 7/)).toHaveLength(1);
    expect(r.outages).toEqual([]);
    // beta reboots, rejoins and is resynced.
    expect(events(r, /beta joined/).length).toBeGreaterThan(0);
    expect(events(r, /r0: connected; bitmaps merged: resync of/).length).toBe(1);
  });

  it('with the delay on the secondary\'s device instead, the primary is fenced and the secondary promoted once the fence is confirmed', () => {
    const r = run({ delayBeta: '10s' });
    expect(fenced(r)).toEqual([{ node: 'alpha', at: FREEZE + 11.6 }]);
    const promoted = events(r, /promotes r0 on beta/);
    expect(promoted.map((e) => e.t)).toEqual([FREEZE + 11.6]);
    // resource-and-stonith froze alpha's I/O at the disconnect: nothing it acknowledged is lost.
    expect(r.dataLoss).toEqual([]);
  });

  it('without fencing resource-and-stonith, the fenced primary\'s writes between the disconnect and its death are lost', () => {
    const r = run({ delayBeta: '10s', fencing: 'dont-care' });
    expect(fenced(r).map((f) => f.node)).toEqual(['alpha']);
    expect(r.dataLoss).toHaveLength(1);
    // DRBD drops the connection after timeout (6 s); alpha writes alone until it is powered off at 11.6 s:
    // about 5.6 s of its 1,000 writes/s.
    expect(r.dataLoss[0]!.commits).toBeGreaterThan(5000);
    expect(r.dataLoss[0]!.commits).toBeLessThan(6000);
  });

  it('the fenced primary that wrote alone comes back to a split brain: after-sb-1pri disconnect (the default) leaves both StandAlone, discard-secondary resyncs it', () => {
    // alpha generated a new current UUID when it wrote without its peer, beta another when promoted: the
    // handshake after alpha's reboot finds a split brain with one Primary (drbd_receiver.c drbd_sync_handshake).
    const r = run({ delayBeta: '10s', fencing: 'dont-care' });
    expect(events(r, /Split-Brain detected at the handshake \(1 Primary\)/)).toHaveLength(1);
    expect(events(r, /after-sb-1pri disconnect/)).toHaveLength(1);
    expect(events(r, /alpha is back, DRBD Secondary with .* it wrote alone before it went down/)).toHaveLength(1);
    expect(events(r, /r0: connected; bitmaps merged/)).toEqual([]);
    expect(r.devices![0]!.connection).toBe('StandAlone');
    // Its writes were lost once, at the promotion, not again at the resolution.
    expect(r.dataLoss).toHaveLength(1);
    const d = runScenario(loadScenarioText(yaml({ delayBeta: '10s', fencing: 'dont-care' }).replace('net: {protocol: C, fencing: dont-care}', 'net: {protocol: C, fencing: dont-care, after-sb-1pri: discard-secondary}'), 'fixture.yaml')).report;
    expect(events(d, /split brain resolved \(after-sb-1pri discard-secondary/)).toHaveLength(1);
    expect(events(d, /r0: connected; bitmaps merged/)).toHaveLength(1);
    expect(d.dataLoss).toHaveLength(1);
  });

  it('a primary fenced while its writes were suspended (resource-and-stonith) wrote nothing alone: it resyncs as SyncTarget, no split brain', () => {
    const r = run({ delayBeta: '10s' });
    expect(events(r, /Split-Brain/)).toEqual([]);
    expect(events(r, /r0: connected; bitmaps merged/)).toHaveLength(1);
  });

  it('under protocol A too: what its send buffer held at the disconnect was written before it, not alone: lost with the fenced primary, resynced over on its return, no split brain', () => {
    const r = runScenario(loadScenarioText(yaml({ delayBeta: '10s' }).replace('net: {protocol: C,', 'net: {protocol: A, sndbuf-size: 8MiB,'), 'fixture.yaml')).report;
    expect(fenced(r).map((f) => f.node)).toEqual(['alpha']);
    // The send buffer, acknowledged before the freeze or as it filled: lost with alpha, promoted over.
    expect(r.dataLoss).toHaveLength(1);
    expect(r.dataLoss[0]!.walBytes).toBeGreaterThan(7 * 2 ** 20);
    expect(r.dataLoss[0]!.walBytes).toBeLessThanOrEqual(8 * 2 ** 20 + 1);
    // No new current UUID while its I/O was suspended (drbd_req.c inc_ap_bio_cond makes it on the next
    // write): alpha is beta's SyncTarget, its marked blocks resynced with beta's.
    expect(events(r, /Split-Brain|wrote alone/)).toEqual([]);
    expect(events(r, /r0: connected; bitmaps merged/)).toHaveLength(1);
  });

  it('without any delay both requests reach their devices: both nodes are fenced (the fence race), the writes fail until they have rebooted and rejoined', () => {
    const r = run();
    expect(fenced(r)).toEqual([
      { node: 'beta', at: FREEZE + 11.6 },
      { node: 'alpha', at: FREEZE + 11.6 },
    ]);
    expect(r.outages).toHaveLength(1);
    // Down from the fence to the reboot (boot_time 2 min) and the join (50 ms), then promoted again on alpha.
    expect(r.outages[0]!.seconds).toBeCloseTo(120.05, 2);
    expect(r.dataLoss).toEqual([]);
    expect(r.verdicts.filter((v) => v.kind === 'data-loss')).toEqual([]);
  });

  it('a random pcmk_delay_max on both devices separates the two requests by whole seconds (fenced_commands.c): one node is fenced unless the draws are within the action time', () => {
    const runs = [1, 2, 3, 4, 5, 6].map((seed) => fenced(runScenario(loadScenarioText(yaml({ delayMax: '20s' }), 'fixture.yaml', { seed })).report).length);
    expect(runs.every((n) => n === 1 || n === 2)).toBe(true);
    expect(runs).toContain(1);
  });
});

describe('a dead time longer than the outage', () => {
  it('token 30 s through a 20 s freeze fences nobody; the fence-peer handler returns when the peer is reachable again (exit 4)', () => {
    const r = run({ token: '30s' });
    expect(fenced(r)).toEqual([]);
    expect(events(r, /corosync on \w+: \w+ lost/)).toEqual([]);
    expect(events(r, /fence-peer handler exited 4/).map((e) => e.t)).toEqual([FREEZE + 20]);
    expect(r.stalls).toHaveLength(1);
    expect(secs(r, r.stalls[0]!.to!)).toBeCloseTo(FREEZE + 20, 3);
  });

  it('the same token through a 40 s freeze fences (36 s + consensus 36 s = 66 s > 40 s: still nobody; 80 s: one)', () => {
    expect(fenced(run({ token: '30s', freeze: '10:05:40', delayAlpha: '10s' }))).toEqual([]);
    expect(fenced(run({ token: '30s', freeze: '10:06:20', delayAlpha: '10s' })).map((f) => f.node)).toEqual(['beta']);
  });
});

describe('fence devices and quorum', () => {
  it('BMCs on the targets\' own racks cannot be reached across the freeze: every attempt fails after fencing-timeout, nothing is promoted, alpha\'s writes stay suspended until crm-fence-peer times out', () => {
    const r = run({ deviceSites: { alpha: 'rack-a', beta: 'rack-b' }, delayAlpha: '10s', freeze: '10:10' });
    expect(fenced(r).filter((f) => f.at < FREEZE + 300)).toEqual([]);
    // Requests at 306.6 s (beta's after its 10 s delay); each fails 60 s after it starts.
    expect(events(r, /fencing beta failed/).map((e) => e.t).slice(0, 4)).toEqual([366.6, 426.6, 486.6, 546.6]);
    expect(events(r, /fencing alpha failed/).map((e) => e.t).slice(0, 4)).toEqual([376.6, 446.6, 516.6, 586.6]);
    expect(events(r, /promotes r0 on beta/)).toEqual([]);
    expect(r.stalls).toHaveLength(1);
    expect(secs(r, r.stalls[0]!.from)).toBeLessThan(FREEZE + 2);
    // Suspended until crm-fence-peer's --timeout (90 s from the disconnect at 306 s): with beta still
    // unclean and its own disk UpToDate it places the constraint anyway and exits 5 (try_place_constraint).
    expect(secs(r, r.stalls[0]!.to!)).toBeCloseTo(FREEZE + 6 + 90, 3);
    expect(events(r, /fence-peer handler exited 5/).map((e) => e.t)).toEqual([396]);
  });

  it('without two_node a two-node partition has no quorum: nobody is fenced, no-quorum-policy stop stops the Promoted instance', () => {
    const r = run({ twoNode: false });
    expect(fenced(r)).toEqual([]);
    expect(events(r, /no-quorum-policy stop/).length).toBeGreaterThan(0);
    expect(r.outages).toHaveLength(1);
    expect(secs(r, r.outages[0]!.from)).toBeCloseTo(FREEZE + 6.6, 3);
  });
});

describe('the grammar', () => {
  const bad = (text: string) => {
    try {
      loadScenarioText(text, 'fixture.yaml');
    } catch (e) {
      if (e instanceof ScenarioError) return e.format();
      throw e;
    }
    throw new Error('loaded');
  };
  it('refuses a fence device for a host outside the cluster, two_node with three nodes, crm-fence-peer on an unmanaged resource and fencing without a device, each at its place', () => {
    expect(bad(yaml().replace('ipmi-beta: {target: beta', 'ipmi-beta: {target: gamma'))).toMatch(/^fixture\.yaml:\d+:\d+: .*gamma/);
    const three = yaml().replace('    beta: {site: rack-b}\n', '    beta: {site: rack-b}\n    gamma: {site: mgmt}\n').replace('nodes: [alpha, beta]', 'nodes: [alpha, beta, gamma]');
    expect(bad(three)).toMatch(/^fixture\.yaml:\d+:\d+: .*two_node is for clusters of two nodes; this one has 3/);
    expect(loadScenarioText(three.replace('two_node: true', 'two_node: false'), 'fixture.yaml').block!.pacemaker!.corosync.token).toBe(3_000_000);
    const unmanaged = yaml().replace('    resources: [r0]\n    corosync', '    resources: [r1]\n    corosync').replace('  workloads:', `    r1:
      size: 1GiB
      primary: {host: alpha, disk: alpha-ssd}
      secondary: {host: beta, disk: beta-ssd}
      drbd: {version: 9.2}
  workloads:`);
    expect(bad(unmanaged)).toMatch(/^fixture\.yaml:\d+:\d+: .*crm-fence-peer handler needs the resource managed by Pacemaker/);
    expect(bad(yaml().replace(/\n    stonith:\n.*\n.*\n/, '\n'))).toMatch(/^fixture\.yaml:\d+:\d+: .*no fence device is configured/);
  });

  it('defaults: Corosync 3.1 token 3 s, consensus 1.2 × token, wait_for_all with two_node; Corosync 2 token 1 s; + token_coefficient per node beyond two', () => {
    const c = loadScenarioText(yaml(), 'fixture.yaml').block!.pacemaker!.corosync;
    expect([c.token, c.consensus, c.waitForAll]).toEqual([3_000_000, 3_600_000, true]);
    const old = loadScenarioText(yaml().replace('corosync: {two_node: true', 'corosync: {version: 2, two_node: true'), 'fixture.yaml').block!.pacemaker!.corosync;
    expect([old.token, old.consensus]).toEqual([1_000_000, 1_200_000]);
  });
});

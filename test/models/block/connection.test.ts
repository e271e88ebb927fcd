/**
 * Issue 12: DRBD's connection state machine. A dead link is noticed after `timeout` (requests in flight) or
 * ping-int + ping-timeout (idle); an outage shorter than that never breaks the connection; a longer one goes
 * to WFConnection and reconnects at the next connect-int attempt after the link is back, resyncing what was
 * marked out of sync. Two Primaries that wrote while apart are found at the handshake and resolved as the
 * after-sb-* policies say (drbd_receiver.c drbd_asb_recover_*p), or left StandAlone. fencing
 * resource-and-stonith freezes I/O until the fence-peer handler returns.
 */
import { describe, expect, it } from 'vitest';
import type { Report } from '../../../src/report/types.ts';
import { runScenario } from '../../../src/run.ts';
import { loadScenarioText } from '../../../src/scenario/load.ts';
import { drbdScenario, type DrbdFixture } from './fixture.ts';

const run = (o: DrbdFixture) => runScenario(loadScenarioText(drbdScenario({ duration: '10m', ...o }), 'fixture.yaml')).report;
const secs = (r: Report, iso: string) => (Date.parse(iso) - Date.parse(r.start)) / 1000;
const events = (r: Report, re: RegExp) => r.events.filter((e) => re.test(e.message)).map((e) => ({ t: secs(r, e.at), m: e.message }));
const cut = (from: string, to: string) => [`{ at: ${from}, partition: { sites: [a, b] } }`, `{ at: ${to}, heal: { sites: [a, b] } }`];

describe('DRBD reconnects by itself after a network failure', () => {
  it('an outage shorter than timeout (3 s < 6 s) does not break the connection: writes wait, then go on', () => {
    const r = run({ protocol: 'C', extraPlan: cut('+2m', '+2m3s') });
    expect(events(r, /connection lost/)).toEqual([]);
    expect(r.stalls).toHaveLength(1);
    // The writes wait for acknowledgements a cut link cannot carry: not the (idle) local disk.
    expect(r.stalls[0]!.bottleneck).toBe('peer-unreachable');
    expect(r.stalls[0]!.chain!.map((c) => c.text).join(' ')).toMatch(/carries nothing .* protocol C completes a write only when s acknowledges it: none can come .* gives up on the peer after timeout 6 s/);
    expect(r.stalls[0]!.seconds).toBeGreaterThan(2.5);
    expect(r.stalls[0]!.seconds).toBeLessThan(3.5);
    expect(r.dataLoss).toEqual([]);
  });

  it('a one-minute outage: lost after timeout (6 s, writes in flight), WFConnection, reconnected at the first attempt after the link is back, the marked blocks resynced', () => {
    const r = run({ protocol: 'C', extraPlan: cut('+2m', '+3m') });
    const lost = events(r, /connection lost/);
    expect(lost).toHaveLength(1);
    expect(lost[0]!.t).toBe(126);
    expect(lost[0]!.m).toMatch(/WFConnection: a connection attempt every 10 s/);
    // Attempts at 136, 146, … : the first after 180 is 186.
    const back = events(r, /connection established/);
    expect(back.map((e) => e.t)).toEqual([186]);
    const resync = events(r, /bitmaps merged: resync of/);
    expect(resync).toHaveLength(1);
    expect(resync[0]!.t).toBe(186);
    expect(events(r, /resync of .* finished/)).toHaveLength(1);
    expect(r.verdicts.filter((v) => v.kind === 'data-loss')).toEqual([]);
  });

  it('an idle link (reads only) is found dead after ping-int + ping-timeout (10.5 s)', () => {
    const r = run({ protocol: 'C', reads: '100%', extraPlan: cut('+2m', '+3m') });
    // Attempts every 10 s from 130.5: the first after the link is back at 180 is 180.5.
    expect(events(r, /connection lost/).map((e) => e.t)).toEqual([130.5]);
    expect(events(r, /connection established/).map((e) => e.t)).toEqual([180.5]);
  });

  it('a longer connect-int reconnects later', () => {
    // Lost at 126; the link is back at 190: attempts every 10 s reconnect at 196, every 60 s at 246.
    expect(events(run({ protocol: 'C', extraPlan: cut('+2m', '+3m10s') }), /connection established/).map((e) => e.t)).toEqual([196]);
    expect(events(run({ protocol: 'C', extraPlan: cut('+2m', '+3m10s'), netExtra: 'connect-int: 60s' }), /connection established/).map((e) => e.t)).toEqual([246]);
  });
});

describe('drbdadm connect while the peer cannot be reached', () => {
  it('waits for it (WFConnection) and connects at the first attempt after the link is back', () => {
    const r = run({ protocol: 'C', connected: false, extraPlan: cut('+30s', '+2m5s') });
    expect(events(r, /WFConnection: the peer cannot be reached/).map((e) => e.t)).toEqual([60]);
    expect(events(r, /initial full sync of .* starts/).map((e) => e.t)).toEqual([130]);
  });
});

describe('split brain at the handshake', () => {
  // The line fails at 2 min; s is forced primary at 3 min while p still runs (p wrote from 2:06 to 3:00,
  // marked only); the line is back at 5 min, the first attempt after it is at 5:06.
  const split = (net: string, extra: string[] = []) => run({ protocol: 'C', netExtra: net, extraPlan: [...cut('+2m', '+5m'), '{ at: +3m, force_primary: { resource: r0, host: s } }', ...extra] });

  it('default policies (disconnect): detected and left StandAlone', () => {
    const r = split('');
    expect(events(r, /Split-Brain detected at the handshake \(2 Primary\)/).map((e) => e.t)).toEqual([306]);
    expect(events(r, /Split-Brain detected but unresolved, dropping connection!/)).toHaveLength(1);
    expect(events(r, /connection established|resync of/)).toEqual([]);
    // p's writes since the split are on a disk the application no longer uses: its resolution discards one side.
    expect(r.dataLoss.map((l) => [l.node, l.cause.at(-1)!.fact!.kind])).toEqual([['p', 'loss-split-unresolved']]);
    expect(r.dataLoss[0]!.commits).toBeGreaterThan(410 * 0.3 * 54 * 0.9);
    expect(r.dataLoss[0]!.commits).toBeLessThan(410 * 0.3 * 60 * 1.05);
  });

  it('after-sb-1pri discard-secondary once p gave up the Primary role: p discards its changes (lost writes) and resyncs from s', () => {
    const r = split('after-sb-1pri: discard-secondary', ['{ at: +4m, secondary: { resource: r0, host: p } }']);
    expect(events(r, /split brain resolved \(after-sb-1pri discard-secondary: p is Secondary\)/)).toHaveLength(1);
    expect(r.dataLoss).toHaveLength(1);
    expect(r.dataLoss[0]!.node).toBe('p');
    // p's writes from the loss of the link (2:00, marked from 2:06 when it noticed; before, protocol C
    // writes waited) to the promotion of s at 3:00: 123 writes/s for 54 s.
    expect(r.dataLoss[0]!.commits).toBeGreaterThan(410 * 0.3 * 54 * 0.9);
    expect(r.dataLoss[0]!.commits).toBeLessThan(410 * 0.3 * 60 * 1.05);
    expect(events(r, /resync of .* finished/)).toHaveLength(1);
  });

  it('with two Primaries after-sb-1pri does not apply: after-sb-2pri disconnect leaves them StandAlone', () => {
    const r = split('after-sb-1pri: discard-secondary');
    expect(events(r, /Split-Brain detected but unresolved/)).toHaveLength(1);
    expect(r.dataLoss.map((l) => l.cause.at(-1)!.fact!.kind)).toEqual(['loss-split-unresolved']);
  });

  it('consensus follows after-sb-0pri: discard-least-changes discards p (it changed less), discard-zero-changes decides nothing (both changed)', () => {
    const demote = ['{ at: +4m, secondary: { resource: r0, host: p } }'];
    const least = split('after-sb-1pri: consensus, after-sb-0pri: discard-least-changes', demote);
    expect(events(least, /split brain resolved .*consensus.*discard-least-changes: p changed less/)).toHaveLength(1);
    const zero = split('after-sb-1pri: consensus, after-sb-0pri: discard-zero-changes', demote);
    expect(events(zero, /Split-Brain detected but unresolved.*both changed data/)).toHaveLength(1);
  });
});

describe('fencing', () => {
  it('resource-and-stonith freezes I/O from the loss of the peer until the fence-peer handler returns', () => {
    const plain = run({ protocol: 'C', resyncRate: '5MB/s', extraPlan: cut('+2m', '+3m') });
    const fenced = run({ protocol: 'C', resyncRate: '5MB/s', diskExtra: 'fencing: resource-and-stonith', drbdExtra: ['handlers: { fence-peer: { exits-after: 20s } }'], extraPlan: cut('+2m', '+3m') });
    // Without fencing writes wait for the 6 s until the loss is noticed; with it 20 s more.
    const peak = (r: Report) => Math.max(...r.series!.find((x) => x.name === 'app write latency (s)')!.points.filter(([t]) => secs(r, t) < 180).map(([, v]) => v));
    expect(peak(plain)).toBeGreaterThan(5);
    expect(peak(plain)).toBeLessThan(6.5);
    expect(peak(fenced)).toBeGreaterThan(25);
    expect(peak(fenced)).toBeLessThan(26.5);
    expect(events(fenced, /fence-peer handler exited 4 after 20 s: s is Outdated; I\/O resumed/).map((e) => e.t)).toEqual([146]);
  });

  it('fencing is a disk option in 8.4 and a net option in 9: the wrong section is refused', () => {
    expect(() => run({ protocol: 'C', netExtra: 'fencing: resource-only' })).toThrow(/fencing is a disk option in DRBD 8\.4/);
  });
});

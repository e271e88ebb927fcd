/**
 * The state of each replicated device at the end of the run (drbdadm status): a pair written without
 * `connected` is a running, connected, UpToDate one; a never-connected pair says so, rather than a report that
 * is silent because nothing was replicated; a block loss reads as writes and bytes of data.
 */
import { describe, expect, it } from 'vitest';
import { renderText } from '../../../src/report/text.ts';
import { runScenario } from '../../../src/run.ts';
import { loadScenarioFile, loadScenarioText } from '../../../src/scenario/load.ts';
import { drbdScenario } from './fixture.ts';

const withoutConnected = (text: string) => text.replace(/^ {6}connected: (true|false)\n/m, '');
const run = (text: string) => runScenario(loadScenarioText(text, 'fixture.yaml')).report;

describe('devices at the end', () => {
  it('a pair without `connected` starts Connected and UpToDate and stays so without a fault', () => {
    const text = withoutConnected(drbdScenario({ protocol: 'C' }));
    expect(text).not.toMatch(/connected:/);
    const r = run(text);
    expect(r.devices).toEqual([{ resource: 'r0', replication: 'drbd', primary: 'p', secondary: 's', connection: 'Connected', reason: null, peerDisk: 'UpToDate', outOfSync: 0, hostsDown: [] }]);
    expect(renderText(r, { width: 100 })).toMatch(/Devices at the end\n {2}r0 +drbd p → s: Connected, peer disk UpToDate\n/);
  });

  it('connected: false stays StandAlone and Inconsistent without a connect, the whole device to sync, and the report shows it', () => {
    const r = run(drbdScenario({ connected: false }).replace('  - { at: +1m, connect: r0 }\n', '').replace(/^plan:\n$/m, ''));
    expect(r.devices![0]).toMatchObject({ connection: 'StandAlone', reason: 'not connected yet', peerDisk: 'Inconsistent', outOfSync: 2 * 2 ** 40 });
    expect(renderText(r, { width: 100 })).toMatch(/r0 +drbd p → s: StandAlone \(not connected yet\), peer disk Inconsistent, 2(\.0)? TiB out of sync/);
  });

  it('a cut link that outlasts the run leaves the pair Connecting with the bitmap growing', () => {
    const r = run(`${drbdScenario({ protocol: 'C' })}faults:\n  - { at: +5m, partition: { sites: [a, b] } }\n`);
    expect(r.devices![0]).toMatchObject({ connection: 'Connecting', reason: 'network failure: no answer within timeout 6 s' });
    // The reason as data too (history/facts/block-why.ts): DRBD's timeout, in µs.
    expect(r.devices![0]!.reasonFact).toEqual({ kind: 'no-answer', timeout: 6e6 });
    expect(r.devices![0]!.outOfSync).toBeGreaterThan(0);
  });

  it('a block loss reads as writes and bytes of data, with no timeline or WAL', () => {
    const sc = loadScenarioFile('scenarios/pacemaker-network-freeze.yaml', { variant: 'dont-care' });
    const text = renderText(runScenario(sc).report, { width: 100 });
    const loss = text.slice(text.indexOf('\nData loss\n'), text.indexOf('\nWrite outages'));
    expect(loss).toMatch(/writes lost in data: acknowledged by stor-a from .* of data\./s);
    expect(loss).not.toMatch(/of WAL|timeline/);
  });
});

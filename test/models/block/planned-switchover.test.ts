/**
 * A planned DRBD switchover (models/block/switchover.ts): drbdadm secondary on the Primary, then drbdadm primary
 * on its peer. The demotion reaches the peer behind the data already queued (drbd-8.4 drbd_send_state on the
 * data socket; drbd-9 the two-phase commit on the data stream), so a promotion before that data has arrived
 * fails with SS_TWO_PRIMARIES after drbd_set_role's one retry a ping-timeout later (8.4: plus a tenth of a
 * second); a promotion while the peer is still Primary and connected fails too; once everything has arrived
 * the roles swap with nothing to resync and nothing lost.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runScenario } from '../../../src/run.ts';
import { loadScenarioText } from '../../../src/scenario/load.ts';

const TEXT = readFileSync('test/fixtures/drbd-planned-switchover.yaml', 'utf8');
const run = (text: string) => runScenario(loadScenarioText(text, 'switchover.yaml')).report;
const facts = (r: ReturnType<typeof run>, kind: string): Record<string, unknown>[] => r.events.filter((e) => e.fact.kind === kind).map((e) => ({ at: e.at, ...(e.fact as Record<string, unknown>) }));
const withPlan = (plan: string) => TEXT.replace(/^plan:\n(?: {2}- .*\n)+/m, `plan:\n${plan}`);

describe('a planned DRBD switchover', () => {
  it('refuses the promotion while the demoted Primary\'s queued data is still on its way, and swaps the roles once it has arrived', () => {
    const r = run(TEXT);
    const [demoted] = r.events.filter((e) => e.fact.kind === 'step').map((e) => (e.fact as unknown as { action: Record<string, unknown> }).action).filter((a) => a.kind === 'make-secondary');
    // The full 8 MiB send buffer (less what is on the wire) was queued at the demotion.
    expect(demoted).toMatchObject({ host: 'stor-a', refused: null });
    const queued = (demoted!.planned as { queued: number }).queued;
    expect(queued).toBeGreaterThan(7 * 2 ** 20);
    expect(queued).toBeLessThanOrEqual(8 * 2 ** 20);
    // 8.4: refused after one retry 0.6 s later (ping-timeout 500 ms + 100 ms), with what was still unread then:
    // the queue less 0.6 s of the 50 Mbit/s line.
    const [refused, ...more] = facts(r, 'block-role-refused');
    expect(more).toEqual([]);
    expect(refused).toMatchObject({ at: '2025-03-04T14:00:00.600Z', host: 'stor-b', op: 'primary', why: 'two-primaries' });
    expect(Math.abs((refused!.inFlight as number) - (queued - 0.6 * 6.25e6))).toBeLessThan(0.05 * queued);
    expect(r.refusals!.map((x) => x.fact.kind)).toEqual(['block-role-refused']);
    // The second promotion, 5 s later (the queue drained in about 1.3 s): the roles swap, nothing to resync.
    expect(facts(r, 'block-roles-switched')).toMatchObject([{ at: '2025-03-04T14:00:05Z', primary: 'stor-b', secondary: 'stor-a', outage: 5e6 }]);
    expect(facts(r, 'resync-starts')).toEqual([]);
    expect(r.dataLoss).toEqual([]);
    expect(r.outages).toMatchObject([{ from: '2025-03-04T14:00:00Z', to: '2025-03-04T14:00:05Z' }]);
  });

  it('while the application is stopped its charts show no writes and an idle disk, not the last values before the stop', () => {
    const r = run(TEXT);
    const at = (name: string, t: string): number | undefined => {
      const pts = r.series!.find((s) => s.name === name)!.points;
      return pts.filter((p) => p[0] <= t).at(-1)?.[1];
    };
    const wl = r.series!.find((s) => s.name.endsWith('writes completed (/s)'))!.name;
    expect(at(wl, '2025-03-04T13:59:00Z')).toBeGreaterThan(0);
    expect(at(wl, '2025-03-04T14:00:03Z')).toBe(0);
    expect(at(wl, '2025-03-04T14:00:06Z')).toBeGreaterThan(0);
    // stor-a's disk took the application's writes; demoted, it has no I/O at all until it is the new Secondary.
    expect(at('nvme-a utilisation (share)', '2025-03-04T13:59:00Z')).toBeGreaterThan(0);
    expect(at('nvme-a utilisation (share)', '2025-03-04T14:00:03Z')).toBe(0);
  });

  it('promotes at once when the send buffer was empty (a line faster than the writes)', () => {
    const r = run(withPlan('  - {at: "14:00", name: demote, secondary: {resource: data, host: stor-a}}\n  - {at: "14:00", name: promote, primary: {resource: data, host: stor-b}}\n').replace('bandwidth: 50Mbps', 'bandwidth: 1Gbps'));
    expect(facts(r, 'block-role-refused')).toEqual([]);
    expect(facts(r, 'block-roles-switched')).toMatchObject([{ at: '2025-03-04T14:00:00Z', primary: 'stor-b' }]);
  });

  it('DRBD 9 retries after ping-timeout alone', () => {
    const r = run(TEXT.replace('version: 8.4', 'version: 9.2'));
    expect(facts(r, 'block-role-refused')).toMatchObject([{ at: '2025-03-04T14:00:00.500Z', why: 'two-primaries' }]);
  });

  it('refuses drbdadm primary on the peer of a connected Primary that was not demoted', () => {
    const r = run(withPlan('  - {at: "14:00", name: promote, primary: {resource: data, host: stor-b}}\n'));
    expect(facts(r, 'block-role-refused')).toMatchObject([{ at: '2025-03-04T14:00:00Z', host: 'stor-b', why: 'two-primaries' }]);
    expect(r.outages).toEqual([]);
    expect(facts(r, 'block-roles-switched')).toEqual([]);
  });

  it('a switchover called off: the demoted node is promoted again and the application writes there again', () => {
    const r = run(withPlan('  - {at: "14:00", name: demote, secondary: {resource: data, host: stor-a}}\n  - {at: "14:01", name: back, primary: {resource: data, host: stor-a}}\n'));
    expect(r.outages).toMatchObject([{ from: '2025-03-04T14:00:00Z', to: '2025-03-04T14:01:00Z' }]);
    expect(facts(r, 'block-primary')).toMatchObject([{ host: 'stor-a' }]);
    expect(r.dataLoss).toEqual([]);
  });

  it('the link cut after everything arrived, before DRBD noticed: the promotion goes through as connected, and the new Primary stalls until DRBD drops the link', () => {
    const r = run(
      withPlan('  - {at: "14:00", name: demote, secondary: {resource: data, host: stor-a}}\n  - {at: "14:00:05", name: promote, primary: {resource: data, host: stor-b}}\n') +
        'faults:\n  - {at: "14:00:02", name: cut, partition: {sites: [dc-a, dc-b]}}\n  - {at: "14:03", name: heal, heal: {sites: [dc-a, dc-b]}}\n',
    );
    expect(facts(r, 'block-roles-switched')).toMatchObject([{ at: '2025-03-04T14:00:05Z', primary: 'stor-b' }]);
    expect(r.dataLoss).toEqual([]);
    expect(facts(r, 'split-brain')).toEqual([]);
  });

  it('demoted, then cut off with data still queued: the peer promoted alone lacks it; stor-a, which wrote nothing alone, resyncs from stor-b over it (lost), no split brain', () => {
    const r = run(
      withPlan('  - {at: "14:00", name: demote, secondary: {resource: data, host: stor-a}}\n  - {at: "14:00:20", name: promote, primary: {resource: data, host: stor-b}}\n') +
        'faults:\n  - {at: "14:00:00.500", name: cut, partition: {sites: [dc-a, dc-b]}}\n  - {at: "14:03", name: heal, heal: {sites: [dc-a, dc-b]}}\n',
    );
    expect(facts(r, 'block-primary')).toMatchObject([{ at: '2025-03-04T14:00:20Z', host: 'stor-b' }]);
    expect(facts(r, 'split-brain')).toEqual([]);
    expect(r.verdicts.filter((v) => v.kind === 'split-brain')).toEqual([]);
    // What was still queued at the cut (about 8 MiB less 0.5 s of 6.25 MB/s): acknowledged under protocol A, lost.
    const [loss, ...rest] = r.dataLoss;
    expect(rest).toEqual([]);
    expect(loss).toMatchObject({ node: 'stor-a' });
    expect(loss!.walBytes).toBeGreaterThan(4e6);
    expect(loss!.walBytes).toBeLessThan(6e6);
    expect(facts(r, 'resync-starts').length).toBeGreaterThan(0);
  });
});

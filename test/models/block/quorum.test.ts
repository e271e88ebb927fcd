/**
 * DRBD 9 quorum with a diskless tiebreaker (models/block/quorum.ts, quorum-state.ts; drbd_state.c calc_quorum):
 * a partition keeps writes only on the side with quorum, which is how DRBD 9 avoids split brain without
 * fencing. Before, the grammar refused `options` and `diskless`, and a partition with a promotion on the
 * other side always made a split brain.
 */
import { describe, expect, it } from 'vitest';
import type { Report } from '../../../src/report/types.ts';
import { runScenario } from '../../../src/run.ts';
import { loadScenarioText } from '../../../src/scenario/load.ts';
import { scenarioToYaml } from '../../../src/testing/index.ts';
import { calcQuorum } from '../../../src/models/block/quorum.ts';
import { drbdScenario } from './fixture.ts';

// Three sites, each pair linked: p and s hold the data, t is the diskless tiebreaker.
const link = (x: string, y: string) => `{ between: [${x}, ${y}], bandwidth: 1Gbps, latency: 1ms }`;
const text = (o: { options?: string; diskless?: boolean; version?: string; faults?: string[]; plan?: string[] }) => `name: q
start: 2015-05-18T10:00:00+09:00
sites: [a, b, c]
links: [${link('a', 'b')}, ${link('a', 'c')}, ${link('b', 'c')}]
block:
  hosts: { p: { site: a }, s: { site: b }, t: { site: c } }
  disks:
    d1: { host: p, drive: { type: ssd } }
    d2: { host: s, drive: { type: ssd } }
  resources:
    r0:
      size: 1TiB
      primary: { host: p, disk: d1 }
      secondary: { host: s, disk: d2 }
${o.diskless === false ? '' : '      diskless: [t]\n'}      drbd:
        version: ${o.version ?? '9.2'}
${o.options ? `        options: ${o.options}\n` : ''}  workloads:
    app: { resource: r0, iops: 100, reads: 0%, random: 100%, size: 4KiB, working_set: 1GiB }
duration: 10m
stall_threshold: 100ms
${o.faults?.length ? `faults:\n${o.faults.map((f) => `  - ${f}`).join('\n')}\n` : ''}${o.plan?.length ? `plan:\n${o.plan.map((f) => `  - ${f}`).join('\n')}\n` : ''}`;
const run = (o: Parameters<typeof text>[0]) => runScenario(loadScenarioText(text(o), 'q.yaml')).report;
const ev = (r: Report, re: RegExp) => r.events.filter((e) => re.test(e.message)).map((e) => ({ t: (Date.parse(e.at) - Date.parse(r.start)) / 1000, m: e.message }));
const isolateP = ['{ at: +2m, partition: { sites: [a, b] } }', '{ at: +2m, partition: { sites: [a, c] } }'];
const isolateS = ['{ at: +2m, partition: { sites: [a, b] } }', '{ at: +2m, partition: { sites: [b, c] } }'];
const promoteS = ['{ at: +3m, primary: { resource: r0, host: s } }'];

describe('DRBD 9 quorum majority with a diskless tiebreaker', () => {
  it('the Primary cut off from both loses quorum and freezes; the peer, with the tiebreaker, is promoted: no split brain, nothing lost', () => {
    const r = run({ options: '{ quorum: majority }', faults: isolateP, plan: promoteS });
    expect(ev(r, /p lost quorum \(1 of 2 nodes visible, need 2\): on-no-quorum suspend-io/).map((e) => e.t)).toEqual([126]);
    expect(ev(r, /s is primary/).map((e) => e.t)).toEqual([180]);
    expect(r.verdicts.filter((v) => v.kind === 'split-brain')).toEqual([]);
    expect(r.dataLoss).toEqual([]);
    // Without quorum: the old Primary writes on alone, a split brain and its writes lost.
    const off = run({ faults: isolateP, plan: promoteS });
    expect(off.verdicts.filter((v) => v.kind === 'split-brain')).toHaveLength(1);
    expect(off.dataLoss).toHaveLength(1);
  });

  it('the peer cut off from both has no quorum: drbdadm primary is refused; the Primary keeps writing with the tiebreaker', () => {
    const r = run({ options: '{ quorum: majority }', faults: isolateS, plan: promoteS });
    expect(ev(r, /drbdadm primary r0 on s refused: State change failed: No quorum/)).toHaveLength(1);
    expect(ev(r, /lost quorum \(/)).toEqual([]);
    expect(r.devices![0]!.primary).toBe('p');
    expect(r.stalls.every((s) => Date.parse(s.to ?? r.end) - Date.parse(r.start) < 130_000)).toBe(true);
  });

  it('without the tiebreaker neither side of a two-node cut has quorum; --force outdates the unreachable peer and promotes', () => {
    const r = run({ options: '{ quorum: majority }', diskless: false, faults: isolateP, plan: promoteS });
    expect(ev(r, /p lost quorum \(/)).toHaveLength(1);
    expect(ev(r, /drbdadm primary r0 on s refused: State change failed: No quorum/)).toHaveLength(1);
    const f = run({ options: '{ quorum: majority }', diskless: false, faults: isolateP, plan: ['{ at: +3m, force_primary: { resource: r0, host: s } }'] });
    expect(f.devices![0]!.primary).toBe('s');
  });

  it('quorum back before anyone is promoted: the frozen I/O resumes; io-error fails it instead (an outage)', () => {
    const r = run({ options: '{ quorum: majority }', faults: [...isolateP, '{ at: +4m, heal: { sites: [a, b] } }'] });
    // Reconnected to s at the next connect-int attempt (every 10 s from 10:02:06).
    expect(ev(r, /p has quorum again; its I\/O resumes/).map((e) => e.t)).toEqual([246]);
    // The tiebreaker keeps quorum, it does not give it back: reaching only t again leaves p frozen.
    const t = run({ options: '{ quorum: majority }', faults: [...isolateP, '{ at: +4m, heal: { sites: [a, c] } }'] });
    expect(ev(t, /has quorum again;/)).toEqual([]);
    const e = run({ options: '{ quorum: majority, on-no-quorum: io-error }', faults: isolateP });
    expect(e.outages.map((o) => (Date.parse(o.from) - Date.parse(e.start)) / 1000)).toEqual([126]);
  });

  it('grammar: DRBD 8.4 has no quorum nor diskless nodes; options and diskless print back', () => {
    expect(() => loadScenarioText(text({ options: '{ quorum: majority }', diskless: false, version: '8.4' }), 'q.yaml')).toThrow(/quorum exists from DRBD 9\.0\.7, not in 8\.4: DRBD 8\.4 connects two nodes/);
    expect(() => loadScenarioText(text({ version: '8.4' }), 'q.yaml')).toThrow(/diskless nodes need DRBD 9: DRBD 8\.4 connects two nodes/);
    expect(() => loadScenarioText(text({ options: '{ quorum: most }' }), 'q.yaml')).toThrow(/off, majority, all, or a number/);
    const s = loadScenarioText(text({ options: '{ quorum: 2, on-no-quorum: io-error }' }), 'q.yaml');
    expect(loadScenarioText(scenarioToYaml(s), 'q.yaml').block).toEqual(s.block);
  });
});

describe('calc_quorum', () => {
  const up = { diskful: true, connected: true, upToDate: true, outdated: false };
  const gone = { diskful: true, connected: false, upToDate: false, outdated: false };
  const tb = (connected: boolean) => ({ diskful: false, connected, upToDate: false, outdated: false });
  it('majority of the diskful voters; the diskless tiebreaker only for an even count one vote short, and only if it had quorum', () => {
    expect(calcQuorum('majority', true, [up, tb(true)], true).have).toBe(true);
    expect(calcQuorum('majority', true, [gone, tb(true)], true)).toMatchObject({ have: true, tiebreaker: true, voters: 2 });
    expect(calcQuorum('majority', true, [gone, tb(true)], false).have).toBe(false);
    expect(calcQuorum('majority', true, [gone, tb(false)], true).have).toBe(false);
    // Three diskful: two of three without any tiebreaker.
    expect(calcQuorum('majority', true, [up, gone], true).have).toBe(true);
    expect(calcQuorum('majority', true, [gone, gone, tb(true)], true).have).toBe(false);
    // Every absent node Outdated: they leave the voters.
    expect(calcQuorum('majority', true, [{ ...gone, outdated: true }], false).have).toBe(true);
  });
});

describe('a graceful disconnect', () => {
  it('outdates the peer: the Primary of a two-node quorum keeps writing, where losing the peer freezes it', () => {
    const r = run({ options: '{ quorum: majority }', diskless: false, plan: ['{ at: +2m, disconnect: r0 }'] });
    expect(ev(r, /lost quorum \(/)).toEqual([]);
    const lost = run({ options: '{ quorum: majority }', diskless: false, plan: ['{ at: +2m, fail_host: s }'] });
    expect(ev(lost, /p lost quorum \(/)).toHaveLength(1);
  });
});

describe('drbdadm disconnect with fencing or quorum on (drbd_state.c outdate_on_disconnect)', () => {
  it('outdates the UpToDate peer; without either it is DUnknown', () => {
    const fixture = (disk: string) => runScenario(loadScenarioText(drbdScenario({ protocol: 'C', duration: '5m', diskExtra: disk, extraPlan: ['{ at: +2m, disconnect: r0 }'] }), 'f.yaml')).report.devices![0]!.peerDisk;
    expect(fixture('fencing: resource-only')).toBe('Outdated');
    expect(fixture('al-extents: 1237')).toBe('DUnknown');
  });
});

describe('the stall of a Primary that loses quorum', () => {
  it('goes on as I/O frozen for want of quorum, not as "writes go on alone" (its disk had no load to explain it)', () => {
    const r = run({ options: '{ quorum: majority }', faults: isolateP, plan: promoteS });
    const kinds = (r.stalls[0]!.chain ?? []).map((c) => c.fact?.kind);
    expect(kinds).toContain('stall-frozen-no-quorum');
    expect(kinds).not.toContain('stall-no-primary-disk');
  });
});

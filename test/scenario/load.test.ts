import { IDEAL_CHECK } from '../../src/scenario/grammar-managers.ts';
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadScenarioFile, loadScenarioText } from '../../src/scenario/load.ts';
import { ScenarioError } from '../../src/scenario/errors.ts';
import type { Scenario } from '../../src/scenario/types.ts';
import { fixture } from './helpers.ts';


const H = 3_600_000_000;
const M = 60_000_000;
const S = 1_000_000;

describe('the mackerel-2017 sample', () => {
  it('decodes to the expected typed values', () => {
    const path = fixture('mackerel-2017.yaml');
    const s = loadScenarioFile(path);
    const expected: Scenario = {
      name: 'mackerel-2017',
      description: '',
      file: path,
      variant: null,
      startEpochMs: Date.parse('2017-08-07T05:00:00Z'),
      timezone: 'Asia/Tokyo',
      end: (2 * H) as never,
      seed: 1,
      stallThreshold: S as never,
      sites: [{ name: 'onprem' }, { name: 'aws' }],
      links: [{ between: ['onprem', 'aws'], bandwidth: 125_000_000, latency: 5000 as never }],
      localLink: { bandwidth: 1_250_000_000, latency: 100 as never },
      clusters: [
        {
          name: 'mackerel',
          startLsn: 0x2a * 2 ** 32 + 0x1000000,
          walArchive: true,
          databases: [],
          slots: [],
          nodes: [
            { name: 'db000', site: 'onprem', version: 9.3, role: 'primary', upstream: null, timeline: 15, settings: {}, storage: { walVolume: null, throughput: null } },
            { name: 'db001', site: 'aws', version: 9.3, role: 'standby', upstream: 'db000', timeline: 15, settings: {}, storage: { walVolume: null, throughput: null } },
            { name: 'db002', site: 'aws', version: 9.3, role: 'standby', upstream: 'db001', timeline: 15, settings: {}, storage: { walVolume: null, throughput: null } },
          ],
          workloads: [{ name: 'clients', target: 'db000', site: 'aws', rate: 200, walPerTx: 2048, connections: 100 }],
          failover: [
            {
              policy: 'naive',
              site: 'aws',
              checkInterval: (10 * S) as never,
              timeout: (30 * S) as never,
              candidates: ['db002'],
              health: IDEAL_CHECK,
            },
          ],
        },
      ],
      actions: [
        { kind: 'blockClients', node: 'db000', at: (30 * M) as never, name: null, source: 'plan' },
        { kind: 'promote', node: 'db001', at: (30 * M + 10 * S) as never, name: null, source: 'plan' },
        { kind: 'routeWrites', cluster: 'mackerel', node: 'db001', workload: null, at: (30 * M + 15 * S) as never, name: null, source: 'plan' },
        { kind: 'partition', target: { kind: 'node', node: 'db001' }, at: (90 * M) as never, name: 'db001-lost', source: 'faults' },
      ],
      alerts: [],
      expectations: [
        {
          kind: 'dataLoss',
          name: 'data loss in mackerel on timeline 16 between 14:30 and 15:30',
          cluster: 'mackerel',
          timeline: 16,
          window: { from: (30 * M) as never, to: (90 * M) as never, tolerance: M as never },
          commits: { atLeast: null, atMost: null },
          recoverableByPitr: null,
        },
      ],
    };
    expect(s).toEqual(expected);
  });

  it('applies the variant and the seed option', () => {
    const s = loadScenarioFile(fixture('mackerel-2017.yaml'), { variant: 'latest-timeline', seed: 42 });
    expect(s.variant).toBe('latest-timeline');
    expect(s.seed).toBe(42);
    expect(s.clusters[0]!.nodes[2]!.settings).toEqual({ recoveryTargetTimeline: 'latest' });
  });
});

describe('a scenario using every key', () => {
  const s = loadScenarioFile(fixture('full.yaml'));

  it('decodes the top level', () => {
    expect(s.timezone).toBe('UTC+09:00');
    expect(s.end).toBe(2 * H);
    expect(s.seed).toBe(7);
    expect(s.stallThreshold).toBe(500_000);
    expect(s.sites.map((x) => x.name)).toEqual(['tokyo', 'osaka', 'oregon']);
    expect(s.links[1]).toEqual({ between: ['tokyo', 'oregon'], bandwidth: 100_000_000, latency: 50_000 });
    expect(s.localLink).toEqual({ bandwidth: 3_125_000_000, latency: 50 });
  });

  it('decodes nodes and settings', () => {
    const [main, legacy] = s.clusters;
    expect(main!.startLsn).toBe(1234);
    expect(main!.walArchive).toBe(false);
    expect(main!.nodes[0]!.settings).toEqual({
      synchronousCommit: 'remote_apply',
      synchronousStandbyNames: { method: 'any', num: 1, names: ['pg2', 'pg3'] },
      walKeepSize: 1024 ** 3,
      maxWalSize: 2 * 1024 ** 3,
      walSegmentSize: 64 * 1024 ** 2,
      checkpointTimeout: 5 * M,
      walSenderTimeout: 60 * S,
      walWriterDelay: 200_000,
    });
    expect(main!.nodes[1]!.settings).toEqual({
      recoveryTargetTimeline: { tli: 3 },
      walRetrieveRetryInterval: S,
      applicationName: 'pg2',
      hotStandbyFeedback: true,
      walReceiverTimeout: 0,
      walSegmentSize: 64 * 1024 ** 2,
    });
    expect(main!.nodes[2]).toMatchObject({ role: 'standby', upstream: 'pg2', timeline: 1, version: 16 });
    expect(legacy!.nodes.map((n) => [n.version, n.timeline])).toEqual([
      [9.2, 4],
      [9.2, 4],
      [9.2, 4],
    ]);
    expect(legacy!.nodes[0]!.settings).toEqual({
      synchronousStandbyNames: { method: 'first', num: 1, names: ['old2', 'old3'] },
      walKeepSize: 8 * 16 * 1024 ** 2,
    });
    expect(legacy!.workloads).toEqual([]);
    expect(legacy!.failover).toEqual([]);
    expect(legacy!.startLsn).toBe(0x3000000);
  });

  it('defaults workload site and lag-only candidates', () => {
    const main = s.clusters[0]!;
    expect(main.workloads).toEqual([{ name: 'clients', target: 'pg1', site: 'tokyo', rate: 800, walPerTx: 1536, connections: 20 }]);
    expect(main.failover[0]).toEqual({
      policy: 'lag-only',
      site: 'tokyo',
      checkInterval: 10 * S,
      timeout: 30 * S,
      candidates: ['pg2', 'pg3'],
      health: IDEAL_CHECK,
      maximumLagOnFailover: 16 * 1024 ** 2,
      checkTimeline: true,
    });
  });

  it('merges plan and faults by time, plan first at equal times', () => {
    expect(s.actions.map((a) => [a.at / M, a.source, a.kind])).toEqual([
      [30, 'plan', 'promote'],
      [30, 'plan', 'repoint'],
      [30, 'plan', 'configure'],
      [30, 'faults', 'partition'],
      [31, 'faults', 'heal'],
      [32, 'faults', 'crash'],
      [33, 'faults', 'restart'],
      [34, 'faults', 'stop'],
      [35, 'faults', 'start'],
      [36, 'faults', 'partition'],
      [37, 'faults', 'heal'],
      [40, 'plan', 'routeWrites'],
      [41, 'plan', 'blockClients'],
      [42, 'plan', 'unblockClients'],
      [43, 'plan', 'workload'],
      [44, 'plan', 'assess'],
      [45, 'plan', 'assess'],
    ]);
    expect(s.actions[0]!.name).toBe('switch');
    expect(s.actions[2]).toMatchObject({ kind: 'configure', node: 'old2', settings: { walKeepSize: 2 * 16 * 1024 ** 2 }, restart: 'never' });
    expect(s.actions[3]).toMatchObject({ target: { kind: 'link', sites: ['tokyo', 'oregon'] } });
    expect(s.actions.find((a) => a.kind === 'workload')).toMatchObject({ cluster: 'main', rate: 100 });
    expect(s.actions.filter((a) => a.kind === 'assess').map((a) => (a as { cluster: string | null }).cluster)).toEqual([null, 'legacy']);
  });

  it('decodes expectations with generated names', () => {
    expect(s.expectations.map((e) => e.name)).toEqual([
      'no data loss',
      'no data loss in legacy',
      'data loss in main between 10:10 and 10:20, at least 1 commits and at most 100 commits, not recoverable by PITR',
      'no outage in main',
      'outage in main of at least 5 s and at most 2 min',
      'never stalls',
      'pg3 is standby, on timeline 2, receiver streaming',
    ]);
    expect(s.expectations[2]).toMatchObject({ window: { from: 10 * M, to: 20 * M, tolerance: 30 * S }, commits: { atLeast: 1, atMost: 100 }, recoverableByPitr: false });
    expect(s.expectations[4]).toMatchObject({ seconds: { atLeast: 5, atMost: 120 } });
  });

  it('applies a variant that replaces a mapping', () => {
    const v = loadScenarioFile(fixture('full.yaml'), { variant: 'slow-link' });
    expect(v.links[1]!.bandwidth).toBe(125_000);
    expect(v.localLink).toEqual({ bandwidth: 125_000_000, latency: 100 });
  });
});

describe('docs/scenario.md', () => {
  it('has an example that loads', () => {
    const md = readFileSync(fileURLToPath(new URL('../../docs/scenario.md', import.meta.url)), 'utf8');
    const example = /## Example\n\n```yaml\n([\s\S]*?)```/.exec(md)![1]!;
    const s = loadScenarioText(example, 'docs/scenario.md');
    expect(s.name).toBe('mackerel-2017');
    expect(loadScenarioText(example, 'docs/scenario.md', { variant: 'latest-timeline' }).clusters[0]!.nodes[2]!.settings.recoveryTargetTimeline).toBe('latest');
  });
});

describe('defaults and small forms', () => {
  const base = `name: t
start: 2020-01-01T00:00:00+02:00
duration: 1h
sites: {a: ~}
clusters:
  c:
    nodes:
      p: {site: a, version: 15}
`;

  it('fills defaults', () => {
    const s = loadScenarioText(base, 't.yaml');
    expect(s.timezone).toBe('UTC+02:00');
    expect(s.seed).toBe(1);
    expect(s.stallThreshold).toBe(S);
    expect(s.links).toEqual([]);
    expect(s.localLink).toEqual({ bandwidth: 1.25e9, latency: 100 });
    expect(s.clusters[0]).toMatchObject({ startLsn: 0x3000000, walArchive: true, workloads: [], failover: [] });
    expect(s.clusters[0]!.nodes[0]).toEqual({ name: 'p', site: 'a', version: 15, role: 'primary', upstream: null, timeline: 1, settings: {}, storage: { walVolume: null, throughput: null } });
    expect(s.actions).toEqual([]);
    expect(s.expectations).toEqual([]);
  });

  it('reads an end clock time', () => {
    const s = loadScenarioText(base.replace('duration: 1h', 'end: "01:30"'), 't.yaml');
    expect(s.end).toBe(90 * M);
  });

  it('accepts a workload action without cluster when there is one cluster', () => {
    const text = `${base}    workload: {target: p, rate: 10, wal_per_tx: 1kB}\nplan:\n  - {at: +1m, workload: {wal_per_tx: 2kB}}\n`;
    expect(loadScenarioText(text, 't.yaml').actions[0]).toEqual({ kind: 'workload', cluster: 'c', workload: null, walPerTx: 2000, at: M, name: null, source: 'plan' });
  });

  it('parses synchronous_standby_names forms', () => {
    const ssn = (v: string, version = 15) => {
      const text = base.replace('{site: a, version: 15}', `{site: a, version: ${version}, settings: {synchronous_standby_names: ${JSON.stringify(v)}}}`);
      return loadScenarioText(text, 't.yaml').clusters[0]!.nodes[0]!.settings.synchronousStandbyNames;
    };
    expect(ssn('FIRST 2 (a, b, c)')).toEqual({ method: 'first', num: 2, names: ['a', 'b', 'c'] });
    expect(ssn('any 2 (a,b)')).toEqual({ method: 'any', num: 2, names: ['a', 'b'] });
    expect(ssn('2 (a, b)', 9.6)).toEqual({ method: 'first', num: 2, names: ['a', 'b'] });
    expect(ssn('a, b', 9.4)).toEqual({ method: 'first', num: 1, names: ['a', 'b'] });
    expect(ssn('*')).toEqual({ method: 'first', num: 1, names: ['*'] });
    expect(ssn('"my-standby"')).toEqual({ method: 'first', num: 1, names: ['my-standby'] });
    expect(ssn('')).toBeNull();
  });

  it('never throws anything but ScenarioError for odd inputs', () => {
    for (const text of ['', '~', '[]', '"x"', '42', 'a: [', '---\na: 1\n---\nb: 2\n', '{', `${'['.repeat(5000)}`, 'a: &a [*a]', 'a: *b']) {
      try {
        loadScenarioText(text, 'odd.yaml');
        expect.unreachable();
      } catch (e) {
        expect(e).toBeInstanceOf(ScenarioError);
        expect((e as ScenarioError).message).not.toMatch(/internal error/);
      }
    }
  });

  it('reports an unreadable file', () => {
    expect(() => loadScenarioFile('/nonexistent/x.yaml')).toThrow(ScenarioError);
  });
});

describe('slot actions in the plan', () => {
  const doc = (node: string) => `name: cs
start: 2024-01-01T00:00:00Z
duration: 1h
sites: [a]
clusters:
  c:
    nodes:
      primary: {site: a, version: 15}
      s: {site: a, version: 15, upstream: primary}
plan:
  - {at: +10m, create_slot: {name: s_slot, node: ${node}, type: physical}}
  - {at: +20m, drop_slot: s_slot}
`;

  it('create_slot names its node directly (the plan has no enclosing cluster), and a later drop_slot finds the slot', () => {
    const s = loadScenarioText(doc('primary'), 'cs.yaml');
    expect(s.actions.map((a) => a.kind)).toEqual(['createSlot', 'dropSlot']);
    expect(s.actions[0]).toMatchObject({ kind: 'createSlot', cluster: 'c', slot: { name: 's_slot', node: 'primary', kind: 'physical' } });
  });

  it('an unknown node in create_slot gets did-you-mean', () => {
    let e: unknown;
    try {
      loadScenarioText(doc('primry'), 'cs.yaml');
    } catch (x) {
      e = x;
    }
    expect(e).toBeInstanceOf(ScenarioError);
    expect((e as ScenarioError).format()).toMatch(/unknown node "primry".*did you mean "primary"/);
  });
});

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { draw, parseVary, VaryError } from '../../src/rehearsal/sweep/distributions.ts';
import { runRange, SweepInputError } from '../../src/rehearsal/sweep/pool.ts';
import { MergeError, mergeShards, metaOf, shardFile } from '../../src/rehearsal/sweep/results.ts';
import { renderSweep } from '../../src/rehearsal/sweep/render.ts';
import { drawsFor, outcomeKinds, type SweepRow } from '../../src/rehearsal/sweep/run-one.ts';
import { prepareSweep, shardRange, type SweepSpec } from '../../src/rehearsal/sweep/spec.ts';
import { summarize, wilson } from '../../src/rehearsal/sweep/stats.ts';
import { DEFAULT_LIMITS, runScenario } from '../../src/run.ts';
import { renderText } from '../../src/report/text.ts';
import { loadScenarioText } from '../../src/scenario/load.ts';

const text = readFileSync('scenarios/mackerel-2017.yaml', 'utf8');
const spec = (runs: number, extra: Partial<SweepSpec> = {}): SweepSpec => ({
  file: 'scenarios/mackerel-2017.yaml',
  text,
  variant: null,
  sets: [],
  varies: ['faults.db001-lost.at=uniform(14:35,16:00)', 'clusters.mackerel.workload.rate=uniform(100/s,400/s)'],
  runs,
  seed: 7,
  bad: ['data-loss'],
  limits: DEFAULT_LIMITS,
  ...extra,
});

function uniforms(seed: number): () => number {
  let x = seed;
  return () => {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    return x / 2 ** 31;
  };
}

describe('sweep: distributions', () => {
  it('reads times, durations, sizes, rates and numbers, and writes draws back in the same kind', () => {
    const u = uniforms(3);
    const at = parseVary('faults.x.at=uniform(14:35,16:00)');
    for (let i = 0; i < 200; i++) {
      const d = draw(at.dist, u);
      expect(d.text).toMatch(/^1[45]:\d{2}:\d{2}(\.\d+)?$/);
      expect(d.value as number).toBeGreaterThanOrEqual(14 * 3600 + 35 * 60);
      expect(d.value as number).toBeLessThanOrEqual(16 * 3600);
    }
    expect(draw(parseVary('a=uniform(100/s,400/s)').dist, () => 0.5).text).toBe('250/s');
    expect(draw(parseVary('a=uniform(1GiB,2GiB)').dist, () => 0).text).toBe(`${2 ** 30}B`);
    // A PostgreSQL setting's sizes are the server's (1GB = 1024 MB), as in the scenario's settings; elsewhere GB is 10^9.
    expect(draw(parseVary('clusters.c.nodes.p.settings.max_wal_size=uniform(1GB,2GB)').dist, () => 0).text).toBe(`${2 ** 30}B`);
    expect(draw(parseVary('nodes.p.data_size=uniform(1GB,2GB)').dist, () => 0).text).toBe('1000000000B');
    expect(draw(parseVary('a=uniform(1,3)').dist, () => 0.99).text).toBe('3');
    expect(draw(parseVary('a=uniform(2017-08-07T14:00:00+09:00,2017-08-07T16:00:00+09:00)').dist, () => 0.5).text).toBe('2017-08-07T15:00:00+09:00');
    expect(draw(parseVary('a=choice(latest, current)').dist, () => 0.7).text).toBe('current');
    // A truncated normal: sizes never negative however wide the spread.
    const n = parseVary('a=normal(1MB,10MB)');
    for (let i = 0; i < 200; i++) expect(draw(n.dist, u).value as number).toBeGreaterThanOrEqual(0);
    expect(draw(parseVary('a=normal(15:00,10min)').dist, () => 0.5).text).toMatch(/^1[45]:/);
  });

  it('says what is wrong with a --vary', () => {
    for (const [arg, msg] of [
      ['a=uniform(16:00,14:00)', 'goes backwards'],
      ['a=uniform(14:00,5min)', 'not the same kind'],
      ['a=triangle(1,2)', 'uniform(a,b), normal(mean,sd) or choice'],
      ['a=normal(15:00,3GB)', 'must be a duration'],
      ['nopath', 'expected PATH='],
    ] as const) {
      expect(() => parseVary(arg)).toThrow(VaryError);
      expect(() => parseVary(arg)).toThrow(msg);
    }
  });
});

describe('sweep: statistics', () => {
  it('Wilson intervals as published (Newcombe 1998: 0/10, 5/10, 81/263)', () => {
    const r = (x: readonly [number, number]) => x.map((v) => Math.round(v * 10_000) / 10_000);
    expect(r(wilson(0, 10))).toEqual([0, 0.2775]);
    expect(r(wilson(5, 10))).toEqual([0.2366, 0.7634]);
    expect(r(wilson(81, 263))).toEqual([0.2553, 0.3662]);
  });

  it('finds the threshold that separates bad runs from good, and the rank correlation with the loss', () => {
    const rows: SweepRow[] = Array.from({ length: 100 }, (_, i) => ({
      index: i,
      seed: i,
      draws: [{ text: String(i), value: i }, { text: i % 2 ? 'a' : 'b', value: i % 2 ? 'a' : 'b' }],
      kinds: i >= 60 ? ['data-loss'] : [],
      lostCommits: i >= 60 ? i * 10 : 0,
      stallSeconds: 0,
      outageSeconds: 0,
      expectationsFailed: 0,
      error: null,
    }));
    const s = summarize(rows, ['x', 'y'], ['data-loss']);
    expect(s.verdicts['data-loss']).toMatchObject({ count: 40, probability: 0.4 });
    expect(s.separation[0]).toMatchObject({ kind: 'threshold', direction: '>=', threshold: '60', accuracy: 1 });
    expect((s.separation[0] as { lossCorrelation: number }).lossCorrelation).toBeGreaterThan(0.8);
    expect(s.separation[1]).toEqual({ path: 'y', kind: 'choice', badShare: { b: { runs: 50, bad: 20 }, a: { runs: 50, bad: 20 } } });
    expect(s.lostCommits.max).toBe(990);
  });
});

describe('sweep: the summary names the unit of its losses as compare does', () => {
  const row = (i: number, lost: SweepRow['lost']): SweepRow => ({
    index: i,
    seed: i,
    draws: [],
    kinds: [],
    lostCommits: (lost?.commits ?? 0) + (lost?.writes ?? 0),
    ...(lost ? { lost } : {}),
    stallSeconds: 0,
    outageSeconds: 0,
    expectationsFailed: 0,
    error: null,
  });
  const heads = (rows: SweepRow[]) =>
    renderSweep(metaOf(spec(rows.length)), summarize(rows, [], ['data-loss']))
      .split('\n')
      .filter((l) => / lost /.test(l) && !l.startsWith('Bad'))
      .map((l) => l.split(/\s{2,}/)[0]);
  it('writes for block devices, commits for clusters, a row each for both; commits for rows that do not say', () => {
    expect(heads([row(0, { commits: null, writes: 12 }), row(1, { commits: null, writes: 0 })])).toEqual(['writes lost']);
    expect(heads([row(0, { commits: 5, writes: null })])).toEqual(['commits lost']);
    expect(heads([row(0, { commits: 5, writes: 0 }), row(1, { commits: 0, writes: 7 })])).toEqual(['commits lost', 'writes lost']);
    expect(heads([row(0, undefined)])).toEqual(['commits lost']);
  });

  it('a DRBD scenario that loses nothing still counts writes', async () => {
    const block = readFileSync('scenarios/pacemaker-network-freeze.yaml', 'utf8');
    const s: SweepSpec = { ...spec(2), file: 'scenarios/pacemaker-network-freeze.yaml', text: block, varies: [] };
    const rows = await runRange(s, 0, 2, 1);
    expect(rows.map((r) => r.lost)).toEqual([{ commits: null, writes: 0 }, { commits: null, writes: 0 }]);
    expect(renderSweep(metaOf(s), summarize(rows, [], s.bad))).toMatch(/^writes lost {2}/m);
  });
});

describe('sweep: runs', () => {
  it('the same seed gives the same rows on one worker and on two; shards merged give the same summary', async () => {
    const s = spec(16);
    const one = await runRange(s, 0, 16, 1);
    const two = await runRange(s, 0, 16, 2);
    expect(JSON.stringify(two)).toBe(JSON.stringify(one));
    const paths = ['at', 'rate'];
    const files = [1, 2, 3].map((k) => {
      const { from, to } = shardRange(16, { k, n: 3 });
      return { name: `shard-${k}.json`, text: JSON.stringify(shardFile(s, { k, n: 3 }, one.slice(from, to))) };
    });
    const merged = mergeShards(files);
    expect(JSON.stringify(summarize(merged.rows, paths, s.bad))).toBe(JSON.stringify(summarize(one, paths, s.bad)));
    expect(() => mergeShards(files.slice(1))).toThrow(/missing shard 1 of 3/);
    expect(() => mergeShards([...files, files[0]!])).toThrow(MergeError);
    const other = { name: 'other.json', text: JSON.stringify(shardFile({ ...s, seed: 8 }, { k: 1, n: 3 }, [])) };
    expect(() => mergeShards([other, ...files.slice(1)])).toThrow(/from another sweep/);
  });

  it('a sweep row is the outcome of `replsim run --set` with that draw and seed: the same scenario, the same report', async () => {
    // The sweep decodes its draws into a document it parsed once (and caches times and values across runs):
    // each run must still be the scenario and the report a single run of the drawn values gives.
    for (const variant of [null, 'lag-only']) {
      const s = spec(6, { variant });
      const rows = await runRange(s, 0, 6, 1);
      const { prepared, varies } = prepareSweep(s);
      for (const row of rows) {
        const { seed, draws } = drawsFor(s.seed, row.index, varies);
        expect(row.draws).toEqual(draws);
        const sets = varies.map((v, i) => `${v.path}=${draws[i]!.text}`);
        const single = loadScenarioText(text, s.file, { variant: s.variant, sets, seed });
        expect(prepared.decode(varies.map((v, i) => ({ path: v.path, value: draws[i]!.text })), seed)).toEqual(single);
        const report = runScenario(single).report;
        const again = runScenario(prepared.decode(varies.map((v, i) => ({ path: v.path, value: draws[i]!.text })), seed)).report;
        expect(JSON.stringify(again)).toBe(JSON.stringify(report));
        expect(renderText(again, { width: 100 })).toBe(renderText(report, { width: 100 }));
        expect(row).toEqual({
          index: row.index,
          seed,
          draws,
          kinds: outcomeKinds(report),
          lostCommits: report.dataLoss.reduce((a, l) => a + l.commits, 0),
          lost: { commits: report.dataLoss.reduce((a, l) => a + l.commits, 0), writes: null },
          stallSeconds: report.stalls.reduce((a, x) => a + x.seconds, 0),
          outageSeconds: report.outages.reduce((a, x) => a + x.seconds, 0),
          expectationsFailed: report.expectations.filter((e) => !e.passed).length,
          error: null,
        });
      }
      // The rows differ from draw to draw (the test would hold trivially on one outcome).
      expect(new Set(rows.map((r) => (variant === null ? r.lostCommits : r.outageSeconds))).size).toBeGreaterThan(1);
    }
  });

  it('outcomes move as the model says: a later loss of db001 loses more commits', async () => {
    const rows = await runRange(spec(24, { varies: ['faults.db001-lost.at=uniform(14:40,15:55)'] }), 0, 24, 2);
    const s = summarize(rows, ['at'], ['data-loss']);
    expect(s.verdicts['data-loss']!.probability).toBe(1);
    expect((s.separation[0] as { lossCorrelation: number }).lossCorrelation).toBeGreaterThan(0.95);
    // The fix removes the loss whatever the time.
    const fixed = await runRange(spec(8, { variant: 'latest-timeline', varies: ['faults.db001-lost.at=uniform(14:40,15:55)'] }), 0, 8, 1);
    expect(fixed.every((r) => r.lostCommits === 0)).toBe(true);
  });

  it('a draw the scenario refuses is bad input naming the drawn value', async () => {
    await expect(runRange(spec(4, { varies: ['faults.db001-lost.at=uniform(15:00,17:00)'] }), 0, 4, 1)).rejects.toThrow(SweepInputError);
    await expect(runRange(spec(4, { varies: ['faults.db001-lost.at=uniform(16:30,17:00)'] }), 0, 4, 2)).rejects.toThrow(/--set faults\.db001-lost\.at=16:\d\d:\d\d.*after the end/);
  });
});

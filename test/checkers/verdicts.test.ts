import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { seconds } from '../../src/engine/time.ts';
import { renderText } from '../../src/report/text.ts';
import { runScenario } from '../../src/run.ts';
import { loadScenarioText } from '../../src/scenario/load.ts';
import type { Action, NodeSpec } from '../../src/scenario/types.ts';
import { action, buildScenario, node } from '../support/builder.ts';

const s = (n: number) => seconds(n);
/** The builder's scenarios start at 2017-08-07 14:00 in Asia/Tokyo. */
const iso = (t: number) => `${new Date(Date.UTC(2017, 7, 7, 14, 0, 0) + t * 1000).toISOString().slice(0, 19)}+09:00`;

/** p, s1, s2 at one site; 100 writes/s of 2 KiB; a naive manager promoting s1 (or none). */
function run(actions: Action[], opts: { manager?: boolean; nodes?: NodeSpec[]; end?: number } = {}) {
  return runScenario(
    buildScenario({
      end: s(opts.end ?? 600),
      nodes: opts.nodes ?? [node('p', 'a', 16), node('s1', 'a', 16, { upstream: 'p' }), node('s2', 'a', 16, { upstream: 'p' })],
      workload: { target: 'p', rate: 100, walPerTx: 2048 },
      ...(opts.manager ? { failover: { policy: 'naive' as const, site: 'a', candidates: ['s1'] } } : {}),
      actions,
    }),
  ).report;
}

const kinds = (r: ReturnType<typeof run>) => r.verdicts.map((v) => `${v.kind}${v.node ? `:${v.node}` : ''}`);

describe('verdicts (checkers/verdicts.ts)', () => {
  it('with no fault there is no verdict and nothing to recover from', () => {
    const r = run([]);
    expect(r.verdicts).toEqual([]);
    expect(r.recovery).toEqual([]);
    expect(renderText(r)).toContain('Verdicts\n  None');
  });

  it('a primary cut off while a naive manager promotes: a split brain from the promotion to the end, with both primaries named', () => {
    const r = run([action(s(60), { kind: 'partition', target: { kind: 'node', node: 'p' } }, 'faults')], { manager: true });
    const sb = r.verdicts.find((v) => v.kind === 'split-brain')!;
    expect(sb).toBeDefined();
    expect(sb.node).toBe('s1');
    expect(sb.to).toBeNull();
    // The manager checks every 10 s from 0; its check at 60 s runs after the fault, so its last healthy check
    // was at 50 s, and the timeout is 30 s.
    expect(sb.from).toBe(iso(80));
    expect(sb.sides!.map((x) => x.node).sort()).toEqual(['p', 's1']);
    expect(sb.sides!.find((x) => x.node === 'p')!.commits).toBe(0);
    // s1 took the writes: 100/s from 80 s to 600 s (its acknowledgements are immediate).
    expect(sb.sides!.find((x) => x.node === 's1')!.commits).toBeGreaterThan(100 * 519);
    expect(sb.cause.map((c) => c.text).join('\n')).toMatch(/p is cut off from the network[\s\S]*s1 was promoted at[\s\S]*p kept running as a primary/);
    expect(r.recovery).toEqual([{ cluster: 'main', from: iso(60), to: null, seconds: null }]);
  });

  it('the same partition healed and the old primary stopped: the split brain closes at the stop, time to recover ends at the last verdict', () => {
    const r = run(
      [
        action(s(60), { kind: 'partition', target: { kind: 'node', node: 'p' } }, 'faults'),
        action(s(200), { kind: 'heal', target: { kind: 'node', node: 'p' } }, 'faults'),
        // s2 repointed to the new primary before s1's first checkpoint (at 300 s) removes the WAL it needs: it was
        // at the fork when it lost p, so it can follow timeline 2.
        action(s(200), { kind: 'repoint', node: 's2', upstream: 's1' }),
        action(s(300), { kind: 'stop', node: 'p' }),
      ],
      { manager: true, nodes: [node('p', 'a', 16), node('s1', 'a', 16, { upstream: 'p' }), node('s2', 'a', 16, { upstream: 'p', settings: { recoveryTargetTimeline: 'latest' } })] },
    );
    const sb = r.verdicts.find((v) => v.kind === 'split-brain')!;
    expect(sb.to).toBe(iso(300));
    expect(sb.cause.at(-1)!.text).toContain('p was shut down');
    // p is gone: one standby (s2) follows s1, one fewer than planned, until the end.
    const red = r.verdicts.filter((v) => v.kind === 'redundancy-below-plan');
    expect(red.at(-1)!.to).toBeNull();
    expect(red.at(-1)!.cause.map((c) => c.text).join(' ')).toContain('p is shut down');
  });

  it('no primary: from the crash until the manager promotes, with its decision in the cause; none without a manager until the end', () => {
    const withManager = run([action(s(60), { kind: 'crash', node: 'p' }, 'faults')], { manager: true });
    const np = withManager.verdicts.find((v) => v.kind === 'no-primary')!;
    expect(np.from).toBe(iso(60));
    expect(np.to).toBe(iso(80));
    expect(np.cause.map((c) => c.text).join(' ')).toMatch(/p crashed[\s\S]*s1 was promoted/);
    const without = run([action(s(60), { kind: 'crash', node: 'p' }, 'faults')]);
    expect(without.verdicts.find((v) => v.kind === 'no-primary')!.to).toBeNull();
    expect(renderText(without)).toMatch(/Time to recover \(main\): not recovered/);
  });

  it('a standby stopped past the primary\'s WAL retention: broken (WAL removed) with what rebuilds it, redundancy below plan meanwhile', () => {
    const r = run([action(s(60), { kind: 'stop', node: 's2' }), action(s(1000), { kind: 'start', node: 's2' })], { end: 1800 });
    const broken = r.verdicts.find((v) => v.kind === 'standby-broken')!;
    expect(broken.node).toBe('s2');
    expect(broken.from).toBe(iso(1000));
    expect(broken.to).toBeNull();
    const text = broken.cause.map((c) => c.text).join(' ');
    expect(text).toContain('removed WAL it still needs');
    expect(text).toContain('restore_command fetching the missing segments from the WAL archive');
    const red = r.verdicts.find((v) => v.kind === 'redundancy-below-plan')!;
    expect(red.from).toBe(iso(60));
    expect(red.cause[1]!.text).toContain('1 standby followed p');
  });

  it('the same stop with the WAL kept (wal_keep_size): redundancy below plan only while s2 is down, then recovered', () => {
    const keep = { settings: { walKeepSize: 4 * 1024 ** 3 } };
    const r = run([action(s(60), { kind: 'stop', node: 's2' }, 'faults'), action(s(1000), { kind: 'start', node: 's2' })], {
      end: 1800,
      nodes: [node('p', 'a', 16, keep), node('s1', 'a', 16, { upstream: 'p' }), node('s2', 'a', 16, { upstream: 'p' })],
    });
    expect(kinds(r)).toEqual(['redundancy-below-plan']);
    expect(r.verdicts[0]!.from).toBe(iso(60));
    expect(r.verdicts[0]!.to).toBe(iso(1000));
    expect(r.recovery).toEqual([{ cluster: 'main', from: iso(60), to: iso(1000), seconds: 940 }]);
  });

  it('a synchronous standby down: redundancy below plan names the synchronous count', () => {
    const r = run([action(s(60), { kind: 'stop', node: 's1' }), action(s(120), { kind: 'start', node: 's1' })], {
      nodes: [node('p', 'a', 16, { settings: { synchronousStandbyNames: { method: 'first', num: 1, names: ['s1'] } } }), node('s1', 'a', 16, { upstream: 'p' }), node('s2', 'a', 16, { upstream: 'p' })],
    });
    const red = r.verdicts.find((v) => v.kind === 'redundancy-below-plan')!;
    expect(red.cause[0]!.text).toContain('1 of them synchronous (synchronous_standby_names = FIRST 1 (s1) on p)');
    expect(red.cause[1]!.text).toContain('(0 synchronous)');
    expect([red.from, red.to]).toEqual([iso(60), iso(120)]);
  });

  it('every step of a verdict\'s cause chain is a fact: the data (nodes, times, counts, reasons) beside the sentence the report words from it', () => {
    const r = run([action(s(60), { kind: 'partition', target: { kind: 'node', node: 'p' } }, 'faults')], { manager: true });
    const sb = r.verdicts.find((v) => v.kind === 'split-brain')!;
    expect(sb.cause.every((c) => c.fact !== undefined)).toBe(true);
    expect(sb.cause.map((c) => c.fact!.kind)).toEqual(['became-primary', 'fault-before', 'became-primary', 'primaries-kept-running', 'split-sides', 'split-conclusion', 'verdict-holds']);
    // The sides as data, times in the report's clock (JSON) and the counts as numbers; the sentence from them.
    const sides = sb.cause.find((c) => c.fact!.kind === 'split-sides')!;
    expect(sides.fact).toMatchObject({ fromAt: iso(80), toAt: null, sides: [{ node: 'p', commits: 0 }, { node: 's1' }] });
    expect(sides.text).toMatch(/^From 14:01:20 to the end: p \(timeline 1\) acknowledged 0 commits, s1 \(timeline 2\) acknowledged [\d,]+ commits\.$/);
    expect(sb.cause[0]!.fact).toEqual({ kind: 'became-primary', how: { kind: 'since-start', node: 'p' } });
    // A broken standby: the walreceiver's wait reason and what rebuilds it are data, worded by the report.
    const broken = run([action(s(60), { kind: 'stop', node: 's2' }), action(s(1000), { kind: 'start', node: 's2' })], { end: 1800 }).verdicts.find((v) => v.kind === 'standby-broken')!;
    expect(broken.cause.map((c) => c.fact!.kind)).toContain('standby-cannot-follow');
    expect(broken.cause.find((c) => c.fact!.kind === 'standby-cannot-follow')!.fact).toMatchObject({ node: 's2', upstream: 'p', reason: 'wal-removed', at: iso(1000) });
    expect(broken.cause.find((c) => c.fact!.kind === 'what-rebuilds')!.fact).toEqual({ kind: 'what-rebuilds', ways: [{ kind: 'reason', reason: 'wal-removed', walArchive: true }] });
  });

  it('the text report opens with the verdicts, before what happened', () => {
    const r = run([action(s(60), { kind: 'crash', node: 'p' }, 'faults')], { manager: true });
    const text = renderText(r);
    expect(text.indexOf('Verdicts')).toBeGreaterThan(0);
    expect(text.indexOf('Verdicts')).toBeLessThan(text.indexOf('What happened'));
    expect(text).toMatch(/No primary in main, from 14:01:00 to 14:01:20 \(20 s\)\./);
  });
});

describe('verdict expectations (grammar-managers.ts)', () => {
  const yaml = (expect: string) => `
name: v
start: 2024-01-01T10:00:00Z
end: "10:10"
sites: [a]
clusters:
  c:
    nodes:
      pg1: {site: a, version: 16}
      pg2: {site: a, version: 16, upstream: pg1}
    workload: {target: pg1, rate: 100/s, wal_per_tx: 2KiB}
faults:
  - {at: "10:02", crash: pg1}
expect:
${expect}
`;
  const results = (e: string) => runScenario(loadScenarioText(yaml(e), 'v.yaml')).report.expectations;

  it('verdict passes on a matching verdict and fails with what was found', () => {
    const [a, b, c] = results(`  - verdict: {kind: no-primary, cluster: c, at_least_seconds: 7m, open_at_end: true}
  - verdict: {kind: no-primary, at_most_seconds: 60}
  - verdict: {kind: split-brain}`);
    expect(a!.passed).toBe(true);
    expect(b!.passed).toBe(false);
    expect(b!.detail).toMatch(/none as expected: no-primary in c/);
    expect(c!.passed).toBe(false);
    expect(c!.detail).toMatch(/no split-brain verdict \(verdicts: no-primary/);
  });

  it('no_verdict takes a kind or {kind, cluster, node}; recovered fails while a verdict holds', () => {
    const [a, b, c, d] = results(`  - no_verdict: split-brain
  - no_verdict: {kind: standby-broken, node: pg2}
  - no_verdict: no-primary
  - recovered: {cluster: c, within: 5m}`);
    expect([a!.passed, b!.passed, c!.passed, d!.passed]).toEqual([true, true, false, false]);
    expect(d!.detail).toMatch(/c: not recovered/);
    expect(a!.name).toBe('no split-brain verdict');
  });

  it('a wrong kind names the kinds', () => {
    expect(() => results('  - verdict: {kind: splitbrain}')).toThrow(/"splitbrain" is not one of: split-brain, no-primary, standby-broken, redundancy-below-plan/);
  });
});




describe('no primary while a promotion waits (checkers/verdicts.ts noPrimary)', () => {
  it('the chain names the promotion asked for and the standby query its replay waits for', () => {
    const r = runScenario(
      loadScenarioText(
        `
name: conflict-promote
start: 2024-01-01T00:00:00Z
duration: 40m
sites: {dc: {}}
clusters:
  c:
    nodes:
      p: {site: dc, version: 16, settings: {autovacuum: false}}
      s: {site: dc, version: 16, upstream: p, settings: {max_standby_streaming_delay: -1}}
    databases:
      app:
        tables:
          t: {size: 1GB, churn: 1GB, frozen_age: 1000}
    workload: {target: p, rate: 10/s, wal_per_tx: 1KiB}
plan:
  - {at: +1m, open_transaction: {node: s, name: report}}
  - {at: +10m, crash: p}
  - {at: +10m, promote: s}
  - {at: +30m, close_transaction: report}
`,
        'conflict-promote.yaml',
      ),
    ).report;
    const v = r.verdicts.find((x) => x.kind === 'no-primary')!;
    expect(v.cause.map((c) => c.fact!.kind)).toEqual(['primary-gone', 'promotion-waited', 'verdict-ended']);
    expect(v.cause[1]!.text).toContain('At 00:10:00, promotion of s requested');
    expect(v.cause[1]!.text).toContain('its replay waits for the query "report"');
  });
});

describe('a broken standby whose upstream goes down', () => {
  it('still cannot follow: the verdict lasts until it is promoted, not until its upstream crashed', () => {
    // wal-keep-size: pg2 needs WAL pg1 removed at 10:20; pg1 crashes at 11:00 and pg2 is promoted at 11:00:20.
    const r = runScenario(loadScenarioText(readFileSync('scenarios/wal-keep-size.yaml', 'utf8'), 'wal-keep-size.yaml')).report;
    const broken = r.verdicts.find((v) => v.kind === 'standby-broken' && v.node === 'pg2')!;
    expect(broken.from).toMatch(/T10:20:00/);
    expect(broken.to).toMatch(/T11:00:20/);
    expect(broken.cause.at(-1)!.fact).toMatchObject({ kind: 'verdict-ended', how: { kind: 'standby-promoted', node: 'pg2' } });
  });
});

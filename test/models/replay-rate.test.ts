import { describe, expect, it } from 'vitest';
import { seconds, type Micros } from '../../src/engine/time.ts';
import { runScenario } from '../../src/run.ts';
import type { Action, PgSettingsSpec } from '../../src/scenario/types.ts';
import { action, buildScenario, node } from '../support/builder.ts';

const MB = 1_000_000;

/** p writes 8 MB/s (2000 commits/s of 4000 B) to s over a fast link; s replays at `replayRate`. */
function run(o: { replayRate?: number; end: number; actions?: Action[]; pSettings?: PgSettingsSpec; sSettings?: PgSettingsSpec; rate?: number }) {
  return runScenario(
    buildScenario({
      end: seconds(o.end),
      sites: ['a', 'b'],
      links: [{ between: ['a', 'b'], bandwidth: 125_000_000, latency: 1000 as Micros }],
      nodes: [
        node('p', 'a', 16, { settings: o.pSettings ?? {} }),
        node('s', 'b', 16, { upstream: 'p', settings: o.sSettings ?? {}, storage: { walVolume: null, throughput: null, ...(o.replayRate !== undefined ? { replayRate: o.replayRate } : {}) } }),
      ],
      workload: { target: 'p', site: 'a', rate: o.rate ?? 2000, walPerTx: 4000, connections: 50 },
      actions: o.actions ?? [],
    }),
  );
}

/** %X/%X back to a number. */
const lsn = (s: string | null): number => {
  const [hi, lo] = s!.split('/');
  return parseInt(hi!, 16) * 2 ** 32 + parseInt(lo!, 16);
};

describe('a standby replays at its own finite rate (replay_rate: the single startup process)', () => {
  it('WAL arriving faster than replay_rate: the flush keeps up, the replay falls behind at the difference, and the report shows both', () => {
    const r = run({ replayRate: 5 * MB, end: 100 });
    const s = r.report.nodes.find((n) => n.name === 's')!;
    const flushed = lsn(s.flushLsn);
    const replayed = lsn(s.replayLsn);
    // 8 MB/s received, 5 MB/s replayed, for 100 s.
    expect(flushed - replayed).toBeGreaterThan(3 * MB * 100 * 0.99);
    expect(flushed - replayed).toBeLessThan(3 * MB * 100 * 1.01);
    expect(r.report.events.some((e) => e.node === 's' && e.message.includes('replay on s falls behind what it receives'))).toBe(true);
  });

  it('falling behind from the start is said at the start, with the rate that arrives (not at the next change)', () => {
    // Both on one site: WAL arrives from the first instant, and nothing else happens before the end.
    const r = runScenario(
      buildScenario({
        end: seconds(100),
        sites: ['a'],
        nodes: [node('p', 'a', 16), node('s', 'a', 16, { upstream: 'p', storage: { walVolume: null, throughput: null, replayRate: 5 * MB } })],
        workload: { target: 'p', site: 'a', rate: 2000, walPerTx: 4000, connections: 50 },
      }),
    );
    const falls = r.report.events.filter((e) => e.node === 's' && e.fact.kind === 'replay-falls-behind');
    expect(falls).toHaveLength(1);
    expect(falls[0]!.at).toBe(r.report.events[0]!.at);
    expect(falls[0]!.fact).toMatchObject({ incoming: 8 * MB, replayRate: 5 * MB });
  });

  it('unlimited by default: replay stands at the flush', () => {
    const s = run({ end: 100 }).report.nodes.find((n) => n.name === 's')!;
    expect(s.replayLsn).toBe(s.flushLsn);
  });

  it('a replay lag closes at replay_rate less the incoming rate once the writes slow down, and says so when it has', () => {
    // 8 MB/s for 50 s (150 MB behind at 5 MB/s), then 2 MB/s: the backlog closes at 3 MB/s in 50 s.
    const r = run({ replayRate: 5 * MB, end: 120, actions: [action(seconds(50), { kind: 'workload', cluster: 'main', workload: null, rate: 500 })] });
    const s = r.report.nodes.find((n) => n.name === 's')!;
    expect(s.replayLsn).toBe(s.flushLsn);
    const caught = r.report.events.find((e) => e.node === 's' && e.message.includes('has caught up'))!;
    expect(caught.at).toMatch(/T14:01:40/);
  });

  it('events only where something changes: a day of a standby falling behind costs a handful of events', () => {
    let events = 0;
    runScenario(
      buildScenario({
        end: seconds(86_400),
        sites: ['a', 'b'],
        links: [{ between: ['a', 'b'], bandwidth: 125_000_000, latency: 1000 as Micros }],
        // 691 GB of WAL in the day: a max_wal_size above it, so that no checkpoint is requested by WAL volume.
        nodes: [
          node('p', 'a', 16, { settings: { checkpointTimeout: seconds(86_400), maxWalSize: 2 * 1024 ** 4 } }),
          node('s', 'b', 16, { upstream: 'p', settings: { checkpointTimeout: seconds(86_400), maxWalSize: 2 * 1024 ** 4 }, storage: { walVolume: null, throughput: null, replayRate: 5 * MB } }),
        ],
        workload: { target: 'p', site: 'a', rate: 2000, walPerTx: 4000 },
      }),
      { afterEvent: () => events++ },
    );
    expect(events).toBeLessThan(20);
  });

  it('remote_apply waits for the replay: commits are confirmed at replay_rate, and nothing acknowledged is lost at a failover', () => {
    const r = run({
      replayRate: 5 * MB,
      end: 60,
      pSettings: { synchronousStandbyNames: { method: 'first', num: 1, names: ['s'] }, synchronousCommit: 'remote_apply' },
      actions: [action(seconds(30), { kind: 'crash', node: 'p' }), action(seconds(31), { kind: 'promote', node: 's' }), action(seconds(31), { kind: 'routeWrites', cluster: 'main', node: 's', workload: null })],
    });
    expect(r.report.dataLoss).toEqual([]);
    const term = r.history.terms.find((t) => t.node === 'p')!;
    const acked = term.ackCurve.at(-1)!.lsn - term.startLsn;
    // At most 5 MB/s confirmed for 30 s (the window lets a few more wait).
    expect(acked).toBeLessThan(5 * MB * 30 + 50 * 4000 + 1);
    expect(acked).toBeGreaterThan(5 * MB * 30 * 0.95);
  });

  it('a promotion waits until the startup process has replayed what it received: writes routed to it fail meanwhile, nothing received is lost', () => {
    // After 60 s s is 180 MB behind in replay; p crashes, s is promoted at once: 36 s of replay first.
    const r = run({
      replayRate: 5 * MB,
      end: 120,
      actions: [action(seconds(60), { kind: 'crash', node: 'p' }), action(seconds(60), { kind: 'promote', node: 's' }), action(seconds(60), { kind: 'routeWrites', cluster: 'main', node: 's', workload: null })],
    });
    const promoted = r.history.promotions.find((pr) => pr.node === 's')!;
    expect(promoted.at / 1e6).toBeGreaterThan(95.9);
    expect(promoted.at / 1e6).toBeLessThan(96.2);
    expect(r.report.dataLoss).toEqual([]);
    const outage = r.report.outages.find((o) => o.node === 's')!;
    expect(outage.seconds).toBeGreaterThan(35);
    expect(outage.cause).toContain('its promotion waiting for the startup process');
  });

  it('a promotion requested while WAL still arrives faster than it is replayed waits, streaming, for as long as that lasts', () => {
    const r = run({ replayRate: 5 * MB, end: 120, actions: [action(seconds(30), { kind: 'promote', node: 's' })] });
    expect(r.history.promotions.filter((pr) => pr.node === 's')).toHaveLength(0);
    const s = r.report.nodes.find((n) => n.name === 's')!;
    expect(s.role).toBe('standby');
    expect(s.receiver).toBe('streaming');
  });
});

import { describe, expect, it } from 'vitest';
import { seconds, type Micros } from '../../src/engine/time.ts';
import { checkpointSegments, removalHorizon } from '../../src/models/postgres/retention.ts';
import { resolveSettings } from '../../src/models/postgres/settings.ts';
import { runScenario } from '../../src/run.ts';
import { loadScenarioText } from '../../src/scenario/load.ts';
import type { Action, PgSettingsSpec } from '../../src/scenario/types.ts';
import { action, buildScenario, node } from '../support/builder.ts';

const s = (n: number) => seconds(n);
const MiB = 1024 * 1024;
const SEG = 16 * MiB;

/** The steady run: two PostgreSQL 16 nodes, 1 Gbps / 5 ms, 200 commits/s of 2 KiB, no fault. */
const STEADY = `
name: steady
start: 2024-01-01T00:00:00Z
duration: 172800s
sites: {a: {}, b: {}}
links: [{between: [a, b], bandwidth: 1Gbps, latency: 5ms}]
clusters:
  c:
    nodes:
      p: {site: a, version: 16, role: primary}
      s1: {site: b, version: 16, upstream: p}
    workload: {target: p, rate: 200/s, wal_per_tx: 2KiB}
`;

/** A primary and a standby at one site; the standby stops and starts as `actions` say. */
function lagRun(version: number, o: { rate?: number; walPerTx?: number; settings?: PgSettingsSpec; actions?: Action[]; end?: Micros; standby?: PgSettingsSpec }) {
  return runScenario(
    buildScenario({
      end: o.end ?? s(1800),
      nodes: [node('p', 'dc', version, { settings: o.settings ?? {} }), node('s1', 'dc', version, { upstream: 'p', settings: o.standby ?? {} })],
      workload: { target: 'p', rate: o.rate ?? 500, walPerTx: o.walPerTx ?? 2048 },
      actions: o.actions ?? [],
    }),
  );
}

const stopStart = (stop: number, start: number): Action[] => [action(s(stop), { kind: 'stop', node: 's1' }), action(s(start), { kind: 'start', node: 's1' })];
const removed = (r: ReturnType<typeof lagRun>) => r.history.receiverTransitions.some((t) => t.node === 's1' && t.reason === 'wal-removed');
const streamingAtEnd = (r: ReturnType<typeof lagRun>) => r.report.nodes.find((n) => n.name === 's1')!.receiver === 'streaming';

describe('checkpoints as each version runs them (postgres-2.md §1, rules 1-6)', () => {
  it('the issue\'s steady two-day PostgreSQL 16 run: the standby streams throughout (it lost its stream at 21:20 on day 1)', () => {
    const r = runScenario(loadScenarioText(STEADY, 'steady.yaml'));
    expect(r.history.receiverTransitions.filter((t) => t.node === 's1' && t.status !== 'streaming')).toEqual([]);
    expect(r.report.nodes.find((n) => n.name === 's1')!.receiver).toBe('streaming');
  });

  it('CheckPointSegments per version: 3, 25 (9.5-10), 42 (11-13), 33 (14+) with the defaults; checkpoint_segments up to 9.4', () => {
    const cps = (v: number, spec: PgSettingsSpec = {}) => checkpointSegments(v, resolveSettings(v, 'p', spec));
    expect([9.2, 9.4, 9.5, 10, 11, 13, 14, 18].map((v) => cps(v))).toEqual([3, 3, 25, 25, 42, 42, 33, 33]);
    expect(cps(9.4, { checkpointSegments: 32 })).toBe(32);
    expect(cps(15, { maxWalSize: 256 * MiB })).toBe(8); // 16 segments / 1.9
    expect(cps(10, { maxWalSize: 2 * SEG })).toBe(1); // at least one
  });

  it('the removal horizon: up to 10 the prior checkpoint\'s redo, from 11 this one\'s; wal_keep lowers it', () => {
    const h = (v: number, spec: PgSettingsSpec = {}) =>
      removalHorizon({ version: v, settings: resolveSettings(v, 'p', spec), redo: 100 * SEG + 5, priorRedo: 60 * SEG + 5, recptr: 130 * SEG + 7, slotMinimum: null });
    expect(h(10).keepFrom).toBe(60);
    expect(h(11).keepFrom).toBe(100);
    expect(h(12, { walKeepSize: 64 * SEG }).keepFrom).toBe(130 - 64);
    expect(h(13, { walKeepSize: 64 * SEG }).keepFrom).toBe(130 - 64);
    expect(h(9.3, { walKeepSize: 10 * SEG }).keepFrom).toBe(60);
  });

  it('a checkpoint\'s redo point is its start and it removes WAL only at its end, cct x checkpoint_timeout later', () => {
    // 1 MB/s stays under the WAL-volume trigger: timed checkpoints at 300 s, 600 s, ... ending 150 s later (cct 0.5).
    // s1 stops at 400 s; the checkpoint that starts at 600 s removes its segment, but only at 750 s.
    const early = lagRun(13, { rate: 500, walPerTx: 2000, actions: stopStart(400, 700) });
    expect(removed(early)).toBe(false);
    expect(streamingAtEnd(early)).toBe(true);
    const late = lagRun(13, { rate: 500, walPerTx: 2000, actions: stopStart(400, 760) });
    expect(removed(late)).toBe(true);
  });

  it('up to 10 the same lag survives one checkpoint more than from 11 (two cycles of WAL kept)', () => {
    const run = (v: number) => lagRun(v, { rate: 500, walPerTx: 2000, actions: stopStart(400, 900) });
    expect(removed(run(11))).toBe(true);
    expect(removed(run(10))).toBe(false);
    expect(removed(run(9.6))).toBe(false);
    expect(streamingAtEnd(run(10))).toBe(true);
    // Two cycles later, 10 loses it too.
    expect(removed(lagRun(10, { rate: 500, walPerTx: 2000, actions: stopStart(400, 1100) }))).toBe(true);
  });

  it('checkpoints by WAL volume: a smaller max_wal_size removes what a stopped standby needs sooner', () => {
    // 10 MB/s: 1 GB max_wal_size (33 segments, 553 MB) starts a checkpoint about every 55 s; 256 MB every 13 s.
    const run = (maxWalSize: number) => lagRun(15, { rate: 5000, walPerTx: 2000, settings: { maxWalSize }, actions: stopStart(100, 140), end: s(300) });
    expect(removed(run(1024 * MiB))).toBe(false);
    expect(removed(run(256 * MiB))).toBe(true);
  });

  it('checkpoint_segments up to 9.4: a smaller value removes it sooner', () => {
    const run = (checkpointSegments: number) => lagRun(9.4, { rate: 5000, walPerTx: 2000, settings: { checkpointSegments }, actions: stopStart(100, 120), end: s(300) });
    expect(removed(run(64))).toBe(false);
    expect(removed(run(3))).toBe(true);
  });

  it('"checkpoints are occurring too frequently" with the version\'s HINT, only when WAL volume starts them within checkpoint_warning', () => {
    const lines = (v: number, settings: PgSettingsSpec, walPerTx = 4000) =>
      lagRun(v, { rate: 5000, walPerTx, settings, end: s(200) })
        .history.events.filter((e) => e.kind === 'checkpoint')
        .flatMap((e) => e.log);
    const v15 = lines(15, { maxWalSize: 128 * MiB });
    // 20 MB/s, CheckPointSegments = 8 / 1.9 = 4 segments (64 MiB) about every 3 s.
    expect(v15.some((l) => /checkpoints are occurring too frequently \(3 seconds apart\)/.test(l))).toBe(true);
    expect(v15.some((l) => l.includes('HINT:  Consider increasing the configuration parameter "max_wal_size".'))).toBe(true);
    const v94 = lines(9.4, {});
    expect(v94.some((l) => l.includes('Consider increasing the configuration parameter "checkpoint_segments".'))).toBe(true);
    // The default 1 GB: 33 segments (553 MB) at 10 MB/s are 55 s apart, more than checkpoint_warning = 30 s.
    expect(lines(15, {}, 2000)).toEqual([]);
    expect(lines(15, { checkpointWarning: s(60) }, 2000).some((l) => /\(55 seconds apart\)/.test(l))).toBe(true);
  });

  it('a manual checkpoint on the primary removes at once what a stopped standby still needed (11+)', () => {
    const without = lagRun(15, { rate: 500, walPerTx: 2000, actions: stopStart(400, 420) });
    expect(removed(without)).toBe(false);
    const withCheckpoint = lagRun(15, { rate: 500, walPerTx: 2000, actions: [...stopStart(400, 420), action(s(410), { kind: 'checkpoint', node: 'p' })] });
    expect(removed(withCheckpoint)).toBe(true);
  });

  it('a standby\'s restartpoint is at a checkpoint record of its primary it has replayed', () => {
    let checked = 0;
    runScenario(
      buildScenario({
        end: s(1300),
        nodes: [node('p', 'dc', 15), node('s1', 'dc', 15, { upstream: 'p' })],
        workload: { target: 'p', rate: 500, walPerTx: 2000 },
      }),
      {
        afterEvent: (w) => {
          const c = w.clusters.get('main')!;
          const s1 = c.node('s1');
          const p = c.node('p');
          if (s1.checkpoint.lsn > 0x3000000) {
            // Every restartpoint is at one of p's records, at or before p's own latest one.
            expect(s1.checkpoint.lsn).toBeLessThanOrEqual(p.checkpoint.lsn);
            expect(c.storage.checkpointer.records.newestBefore(s1.wal.timeline, s1.checkpoint.lsn + 1)?.lsn).toBe(s1.checkpoint.lsn);
            checked++;
          }
        },
      },
    );
    expect(checked).toBeGreaterThan(0);
  });
});

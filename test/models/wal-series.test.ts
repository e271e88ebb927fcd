/**
 * pg_wal and slot retention over time (models/postgres/wal-series.ts, report/storage-series.ts, the chart's
 * storage panel): recorded from the storage model's own state, points only where something changes.
 */
import { describe, expect, it } from 'vitest';
import { seconds, type Micros } from '../../src/engine/time.ts';
import type { World } from '../../src/models/world.ts';
import { renderChartSvg } from '../../src/report/chart.ts';
import { envelope, REPORT_POINTS } from '../../src/report/storage-series.ts';
import type { WalStorageJson } from '../../src/report/types.ts';
import { runScenario } from '../../src/run.ts';
import type { Action, PgSettingsSpec, SlotSpec } from '../../src/scenario/types.ts';
import { all, parseXml } from '../support/xml.ts';
import { action, buildScenario, node } from '../support/builder.ts';

const s = (n: number) => seconds(n);
const MiB = 1024 * 1024;
const physical: SlotSpec = { name: 's1', node: 'p', kind: 'physical', database: null, consumer: 'active', hotStandbyFeedback: false };

/** p streams to s1 through slot s1 (4 MB/s of WAL); s1 stops at 600 s and stays away. */
function run(o: { primary?: PgSettingsSpec; actions?: Action[]; end?: Micros; observe?: (w: World) => void } = {}) {
  return runScenario(
    buildScenario({
      end: o.end ?? s(3600),
      nodes: [node('p', 'dc', 15, { settings: { checkpointTimeout: s(300), ...(o.primary ?? {}) } }), node('s1', 'dc', 15, { upstream: 'p', settings: { primarySlotName: 's1' } })],
      workload: { target: 'p', rate: 500, walPerTx: 8000 },
      slots: [physical],
      actions: [action(s(600), { kind: 'stop', node: 's1' }), ...(o.actions ?? [])],
    }),
    o.observe ? { afterEvent: o.observe } : {},
  );
}

const storageOf = (r: ReturnType<typeof run>, n: string): WalStorageJson => r.report.walStorage!.find((w) => w.node === n)!;
/** The series' value at `t` (µs since the start; the later of two points at one time). */
function at(points: readonly (readonly [string, number])[], start: string, t: number): number {
  const us = points.map(([iso, v]) => [(Date.parse(iso) - Date.parse(start)) * 1000, v] as const);
  let v = us[0]![1];
  for (let i = 0; i < us.length; i++) {
    if (us[i]![0] > t) {
      const [t0, v0] = us[i - 1]!;
      const [t1, v1] = us[i]!;
      return t1 === t0 ? v1 : v0 + ((v1 - v0) * (t - t0)) / (t1 - t0);
    }
    v = us[i]![1];
  }
  return v;
}
const drops = (points: readonly (readonly [string, number])[]) => points.flatMap((p, i) => (i > 0 && points[i - 1]![0] === p[0] && points[i - 1]![1] > p[1] ? [{ at: p[0], from: points[i - 1]![1], to: p[1] }] : []));

describe('pg_wal and slot retention series', () => {
  it('follow the model: pg_wal grows with the stopped standby\'s slot, and falls at the first checkpoint after the slot is dropped', () => {
    const modelled = new Map<number, number>();
    const r = run({
      actions: [action(s(2400), { kind: 'dropSlot', cluster: 'main', slot: 's1' })],
      observe: (w) => {
        const t = w.ctx.sim.now;
        // The last observation at each instant (after every event of that instant).
        modelled.set(t, w.clusters.get('main')!.storage.pgWalBytes(w.node('p'), t));
      },
    });
    const p = storageOf(r, 'p');
    const start = r.report.start;
    // The recorded series (points and their rates, to the µs) is the model's own pg_wal (storage.ts pgWalBytes),
    // wherever it was observed; the report's points (to the ms) within a millisecond of WAL of it.
    const recorded = [...r.history.storage.series.series.values()].find((x) => x.key.kind === 'pg-wal' && x.key.node === 'p')!.points;
    const valueAt = (t: number) => {
      const q = recorded.filter((x) => x.at <= t).at(-1)!;
      return q.value + q.rate * (t - q.at);
    };
    expect(modelled.size).toBeGreaterThan(30);
    for (const [t, v] of modelled) {
      expect(Math.abs(valueAt(t) - v), `at ${t / 1e6} s`).toBeLessThanOrEqual(2);
      expect(Math.abs(at(p.pgWal, start, t) - v), `at ${t / 1e6} s`).toBeLessThanOrEqual(4000 + 2);
    }
    const slot = p.slots.find((x) => x.name === 's1')!;
    // While s1 is away the slot retains its lag (4 MB/s × time away) and pg_wal holds at least that.
    const retainedAt = (sec: number) => at(slot.retained, start, s(sec));
    expect(retainedAt(2300) - retainedAt(1300)).toBeGreaterThan(3.9e9);
    expect(at(p.pgWal, start, s(2300))).toBeGreaterThanOrEqual(retainedAt(2300));
    expect(at(p.pgWal, start, s(2300))).toBeGreaterThan(6e9);
    // Dropped at 2400 s: its series ends there; pg_wal falls at the next checkpoint, not at the drop.
    expect(Date.parse(slot.droppedAt!) - Date.parse(start)).toBe(2_400_000);
    const fall = drops(p.pgWal).find((d) => Date.parse(d.at) - Date.parse(start) >= 2_400_000)!;
    expect(fall.from).toBeGreaterThan(6e9);
    expect(fall.to).toBeLessThan(1.2e9);
    const fallAt = (Date.parse(fall.at) - Date.parse(start)) * 1000;
    expect(fallAt).toBeGreaterThan(s(2400));
    expect(fallAt).toBeLessThanOrEqual(s(2400 + 300 + 1));
    expect(at(p.pgWal, start, s(2399))).toBeGreaterThan(6e9);
  });

  it('show the invalidation: max_slot_wal_keep_size caps the slot at a checkpoint, wal_status turns lost and pg_wal falls', () => {
    const r = run({ primary: { maxSlotWalKeepSize: 2048 * MiB } });
    const p = storageOf(r, 'p');
    const slot = p.slots[0]!;
    const lostAt = slot.walStatus.find(([, st]) => st === 'lost')?.[0];
    expect(lostAt).toBeDefined();
    expect(slot.walStatus[0]![1]).toBe('reserved');
    // The same instant the model logged the invalidation, pg_wal falls; the slot retains nothing from then on.
    const e = r.report.events.find((x) => /invalidat/.test(x.message))!;
    expect(lostAt).toBe(e.at);
    const fall = drops(p.pgWal).find((d) => d.at === e.at)!;
    expect(fall.from).toBeGreaterThan(2048 * MiB);
    expect(slot.retained.at(-1)![1]).toBe(0);
    expect(p.limits.maxSlotWalKeepSize).toBe(2048 * MiB);
    // Without the cap the slot keeps everything: no lost status, pg_wal only grows after 600 s.
    const un = storageOf(run(), 'p');
    expect(un.slots[0]!.walStatus.map(([, st]) => st)).not.toContain('lost');
    expect(drops(un.pgWal).filter((d) => Date.parse(d.at) - Date.parse(r.report.start) > 900_000)).toEqual([]);
  });

  it('cost follows the events: a day without slots has about two points per checkpoint, and the report keeps the envelope', () => {
    const r = runScenario(
      buildScenario({ end: s(86_400), nodes: [node('p', 'dc', 15, { settings: { checkpointTimeout: s(300) } })], workload: { target: 'p', rate: 500, walPerTx: 8000 }, slots: [], actions: [] }),
    );
    const series = [...r.history.storage.series.series.values()];
    expect(series).toHaveLength(1);
    const checkpoints = 86_400 / 300;
    expect(series[0]!.points.length).toBeLessThanOrEqual(checkpoints * 2.5);
    expect(series[0]!.points.length).toBeGreaterThan(checkpoints / 2);
    // Thinned to its envelope: peaks and troughs survive.
    const pts = series[0]!.points.flatMap((p) => [[p.at, p.before], [p.at, p.value]] as [number, number][]);
    const thin = envelope(pts, 100);
    expect(thin.length).toBeLessThanOrEqual(100);
    expect(Math.max(...thin.map(([, v]) => v))).toBe(Math.max(...pts.map(([, v]) => v)));
    const low = (xs: readonly (readonly [number, number])[]) => Math.min(...xs.filter(([t]) => t > 0).map(([, v]) => v));
    expect(low(thin)).toBe(low(pts));
    expect(r.report.walStorage![0]!.pgWal.length).toBeLessThanOrEqual(REPORT_POINTS);
  });

  it('are drawn in one panel per cluster with the limits as reference lines', () => {
    const r = run({ primary: { maxSlotWalKeepSize: 2048 * MiB } });
    const doc = parseXml(renderChartSvg(r));
    const panel = all(doc, (e) => e.attrs.class === 'series-panel' && e.attrs['data-panel'] === 'storage:main');
    expect(panel).toHaveLength(1);
    const names = all(panel[0]!, (e) => e.attrs.class === 'series').map((e) => e.attrs['data-name']);
    expect(names).toEqual(['p pg_wal', 'slot s1', 's1 pg_wal']);
    const refs = all(panel[0]!, (e) => e.attrs.class === 'ref').map((e) => e.attrs['data-ref']);
    // Set on p only: named with it.
    expect(refs).toEqual(['max_wal_size', 'max_slot_wal_keep_size (p)']);
    // The slot's status change is marked where it happened.
    expect(all(panel[0]!, (e) => e.attrs.class === 'mark')).not.toHaveLength(0);
  });
});

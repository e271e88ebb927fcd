import { describe, expect, it } from 'vitest';
import { seconds, type Micros } from '../../src/engine/time.ts';
import type { World } from '../../src/models/world.ts';
import type { SlotView } from '../../src/models/postgres/slots.ts';
import { removalHorizon } from '../../src/models/postgres/retention.ts';
import { resolveSettings } from '../../src/models/postgres/settings.ts';
import { runScenario } from '../../src/run.ts';
import type { Action, PgSettingsSpec, SlotSpec } from '../../src/scenario/types.ts';
import { action, buildScenario, node } from '../support/builder.ts';

const s = (n: number) => seconds(n);
const MiB = 1024 * 1024;
const SEG = 16 * MiB;
const physical = (over: Partial<SlotSpec> = {}): SlotSpec => ({ name: 's1', node: 'p', kind: 'physical', database: null, consumer: 'active', hotStandbyFeedback: false, ...over });

/** p and s1 at one site, 4 MB/s of WAL; s1 streams through slot s1 when `slot`, and stops and starts as told. */
function run(version: number, o: { slot?: boolean; primary?: PgSettingsSpec; standby?: PgSettingsSpec; actions?: Action[]; end?: Micros; observe?: (w: World) => void; slotName?: string } = {}) {
  const slot = o.slot ?? true;
  return runScenario(
    buildScenario({
      end: o.end ?? s(3600),
      nodes: [
        node('p', 'dc', version, { settings: o.primary ?? {} }),
        node('s1', 'dc', version, { upstream: 'p', settings: { ...(slot ? { primarySlotName: o.slotName ?? 's1' } : {}), ...(o.standby ?? {}) } }),
      ],
      workload: { target: 'p', rate: 500, walPerTx: 8000 },
      slots: slot ? [physical()] : [],
      actions: o.actions ?? [],
    }),
    o.observe ? { afterEvent: o.observe } : {},
  );
}

const outage = (stop: number, start: number): Action[] => [action(s(stop), { kind: 'stop', node: 's1' }), action(s(start), { kind: 'start', node: 's1' })];
const removed = (r: ReturnType<typeof run>) => r.history.receiverTransitions.some((t) => t.node === 's1' && t.reason === 'wal-removed');
const s1 = (r: ReturnType<typeof run>) => r.report.nodes.find((n) => n.name === 's1')!;
const p = (r: ReturnType<typeof run>) => r.report.nodes.find((n) => n.name === 'p')!;
const viewOf = (w: World): SlotView => w.clusters.get('main')!.storage.slots.views(w.ctx.sim.now)[0]!;

describe('physical slots tied to the standbys that use them (primary_slot_name; postgres.md §3, rules 13-14)', () => {
  it('without a slot a 20-minute outage loses the stream; with the standby\'s slot it resumes and catches up', () => {
    expect(removed(run(15, { slot: false, actions: outage(600, 1800) }))).toBe(true);
    const r = run(15, { actions: outage(600, 1800) });
    expect(removed(r)).toBe(false);
    expect(s1(r).receiver).toBe('streaming');
  });

  it('the consumer stopping is reported with restart_lsn, and with an xmin only when hot_standby_feedback gave it one', () => {
    const stopped = (r: ReturnType<typeof run>) => r.report.events.find((e) => e.fact.kind === 'slot-consumer-stopped')!;
    const plain = stopped(run(15, { actions: outage(600, 1800), end: s(900) }));
    expect(plain.at).toMatch(/T\d\d:10:00/);
    expect(plain.fact).toMatchObject({ slot: 's1', xmin: null });
    expect(plain.message).toMatch(/^the consumer of slot "s1" stopped: restart_lsn stays at [0-9A-F]+\/[0-9A-F]+$/);
  });

  it('restart_lsn follows the standby\'s flush while it streams and stays at it while it is away', () => {
    let streamingChecked = 0;
    let heldAt: number | null = null;
    run(15, {
      actions: outage(600, 1800),
      end: s(1900),
      observe: (w) => {
        const now = w.ctx.sim.now;
        const v = viewOf(w);
        const standby = w.node('s1');
        if (now > s(10) && now < s(600)) {
          // Within one latency's worth of WAL of the standby's flush (the reply travels back over the link).
          expect(Math.abs(v.restartLsn! - standby.flushed(now))).toBeLessThanOrEqual(standby.wal.end.rate * 100 + 1);
          expect(v.active).toBe(true);
          streamingChecked++;
        }
        if (now > s(600) && now < s(1800)) {
          heldAt ??= v.restartLsn;
          expect(v.restartLsn).toBe(heldAt);
          expect(v.active).toBe(false);
        }
      },
    });
    expect(streamingChecked).toBeGreaterThan(0);
    expect(heldAt).not.toBeNull();
  });

  it('pg_wal on the primary grows by the standby\'s lag while the slot holds it, and is small again once it caught up', () => {
    let atRestart = 0;
    const r = run(15, {
      actions: outage(600, 1800),
      observe: (w) => {
        if (w.ctx.sim.now === s(1800) && atRestart === 0) atRestart = w.clusters.get('main')!.storage.pgWalSize(w.node('p'), s(1800));
      },
    });
    // 20 minutes at 4 MB/s: 4.8 GB held for s1 (and up to a checkpoint cycle more).
    expect(atRestart).toBeGreaterThan(4.8e9);
    expect(atRestart).toBeLessThan(4.8e9 + 1.5e9);
    // At the end s1 streams again: the primary keeps about one checkpoint cycle (33 segments on 15).
    expect(p(r).pgWalSize!).toBeLessThan(80 * SEG);
  });

  it('max_slot_wal_keep_size invalidates the slot at a checkpoint, counted in whole segments, with the version\'s message', () => {
    const invalidatedAt = (limit: number, version = 15) => {
      const r = run(version, { primary: { maxSlotWalKeepSize: limit }, actions: outage(600, 3500) });
      const e = r.report.events.find((x) => /invalidat/.test(x.message));
      return { at: e ? Date.parse(e.at) : null, log: e?.log ?? [], r };
    };
    // The cap counts whole segments (xlog.c KeepLogSeg, ConvertToXSegs): 40 MiB is two, as 32 MiB is; 48 MiB three.
    const horizon = (limit: number) =>
      removalHorizon({ version: 15, settings: resolveSettings(15, 'p', { maxSlotWalKeepSize: limit }), redo: 200 * SEG, priorRedo: 150 * SEG, recptr: 103 * SEG + 5, slotMinimum: 100 * SEG + 7 });
    expect(horizon(32 * MiB)).toEqual({ keepFrom: 101, decidedBy: 'slot-capped', invalidateBelow: 101 * SEG });
    expect(horizon(40 * MiB)).toEqual(horizon(32 * MiB));
    expect(horizon(48 * MiB)).toEqual({ keepFrom: 100, decidedBy: 'slot', invalidateBelow: 100 * SEG });
    const a = invalidatedAt(32 * MiB);
    expect(a.at).not.toBeNull();
    // At a checkpoint's end, not when the limit is passed: the first checkpoint after the stop ends later.
    expect(a.at! - Date.parse(a.r.report.start)).toBeGreaterThan(600_000 + 60_000);
    expect(a.log.join('\n')).toMatch(/checkpointer LOG: {2}invalidating slot "s1" because its restart_lsn [0-9A-F]+\/[0-9A-F]+ exceeds max_slot_wal_keep_size/);
    const v16 = invalidatedAt(32 * MiB, 16).log.join('\n');
    expect(v16).toMatch(/invalidating obsolete replication slot "s1"/);
    expect(v16).toMatch(/DETAIL: {2}The slot's restart_lsn [0-9A-F]+\/[0-9A-F]+ exceeds the limit by \d+ bytes\./);
    expect(v16).toMatch(/HINT: {2}You might need to increase max_slot_wal_keep_size\./);
    expect(invalidatedAt(32 * MiB, 17).log.join('\n')).toMatch(/HINT: {2}You might need to increase "max_slot_wal_keep_size"\./);
    // The slot is shown lost, restart_lsn NULL.
    const slot = p(a.r).slots!.find((x) => x.name === 's1')!;
    expect(slot).toMatchObject({ restartLsn: null, walStatus: 'lost', safeWalSize: null });
  });

  it('a lost physical slot: 13-17 the standby gets "requested WAL segment ... has already been removed"; 18 "can no longer access replication slot"', () => {
    const lines = (version: number) =>
      run(version, { primary: { maxSlotWalKeepSize: 64 * MiB }, actions: outage(600, 1800) })
        .report.events.filter((e) => e.node === 's1')
        .flatMap((e) => e.log)
        .join('\n');
    const v17 = lines(17);
    expect(v17).toMatch(/requested WAL segment [0-9A-F]{24} has already been removed/);
    expect(v17).not.toMatch(/can no longer/);
    const v18 = lines(18);
    expect(v18).toMatch(/could not start WAL streaming: ERROR: {2}can no longer access replication slot "s1"/);
    expect(v18).toMatch(/DETAIL: {2}This replication slot has been invalidated due to "wal_removed"\./);
  });

  it('wal_status: reserved, then extended past max_wal_size, then lost; safe_wal_size falls as WAL is written', () => {
    const seen: string[] = [];
    const safe: number[] = [];
    run(15, {
      primary: { maxSlotWalKeepSize: 1024 * MiB, maxWalSize: 256 * MiB },
      actions: outage(600, 3500),
      observe: (w) => {
        const v = viewOf(w);
        if (v.walStatus && seen.at(-1) !== v.walStatus) seen.push(v.walStatus);
        if (w.ctx.sim.now > s(600) && v.safeWalSize !== null) safe.push(v.safeWalSize);
      },
    });
    expect(seen[0]).toBe('reserved');
    expect(seen).toContain('extended');
    expect(seen.at(-1)).toBe('lost');
    expect(seen.indexOf('extended')).toBeLessThan(seen.indexOf('lost'));
    // safe_wal_size = start of segment (seg(restart_lsn) + 64 + 1) - current position: it only falls while held.
    for (let i = 1; i < safe.length; i++) expect(safe[i]!).toBeLessThanOrEqual(safe[i - 1]! + 1);
    expect(safe[0]!).toBeLessThanOrEqual(65 * SEG);
  });

  it('pg_drop_replication_slot is refused while the standby streams through the slot, which keeps its WAL; once it stopped, the drop works', () => {
    const drop = (at: number) => action(s(at), { kind: 'dropSlot', cluster: 'main', slot: 's1' });
    const r = run(15, { actions: [drop(300), action(s(600), { kind: 'stop', node: 's1' }), action(s(1200), { kind: 'start', node: 's1' })], end: s(1500) });
    const refused = r.report.events.find((e) => e.fact.kind === 'slot-drop-refused');
    expect(refused?.at).toMatch(/T\d\d:05:00/);
    expect(refused?.log.join('\n')).toMatch(/ERROR: {2}replication slot "s1" is active for PID \d+/);
    // The slot stayed: the standby, down for 10 minutes, resumes through it.
    expect(removed(r)).toBe(false);
    expect(p(r).slots!.map((x) => x.name)).toEqual(['s1']);
    const later = run(15, { actions: [action(s(600), { kind: 'stop', node: 's1' }), drop(700)], end: s(900) });
    expect(later.report.events.some((e) => e.fact.kind === 'slot-drop-refused')).toBe(false);
    expect(p(later).slots ?? []).toEqual([]);
  });

  it('18: idle_replication_slot_timeout invalidates a slot unused that long at the next checkpoint, and the standby is then refused', () => {
    const r = run(18, { primary: { idleReplicationSlotTimeout: s(1800) }, actions: outage(600, 3000) });
    const inval = r.report.events.find((e) => e.fact.kind === 'slot-invalidated-idle')!;
    // Unused from 600 s; the first checkpoint at least 1800 s later (every 5 minutes) invalidates it.
    const since = (iso: string) => (Date.parse(iso) - Date.parse(r.report.start)) / 1000;
    expect(since(inval.at)).toBeGreaterThanOrEqual(2400);
    expect(since(inval.at)).toBeLessThanOrEqual(2700);
    expect(inval.log.join('\n')).toMatch(/invalidating obsolete replication slot "s1"\n.*DETAIL: {2}The slot's idle time of \d+s exceeds the configured "idle_replication_slot_timeout" duration of 1800s\./);
    const refused = r.report.events.filter((e) => e.node === 's1').flatMap((e) => e.log).join('\n');
    expect(refused).toContain('This replication slot has been invalidated due to "idle_timeout".');
    expect(s1(r).receiver).toBe('waiting');
    // A restart of the primary at 1500 s restores the slot as inactive since then: not idle long enough by 3000 s.
    const restarted = run(18, { primary: { idleReplicationSlotTimeout: s(1800) }, actions: [...outage(600, 3000), action(s(1500), { kind: 'restart', node: 'p' })] });
    expect(restarted.report.events.some((e) => e.fact.kind === 'slot-invalidated-idle')).toBe(false);
    // Without the timeout the slot keeps the standby's WAL and it resumes.
    const kept = run(18, { actions: outage(600, 3000) });
    expect(kept.report.events.some((e) => e.fact.kind === 'slot-invalidated-idle')).toBe(false);
    expect(s1(kept).receiver).toBe('streaming');
  });

  it('a primary_slot_name the upstream does not have: the walsender refuses with "replication slot ... does not exist"', () => {
    const r = run(15, { slotName: 'nope' });
    const lines = r.report.events.filter((e) => e.node === 's1').flatMap((e) => e.log).join('\n');
    expect(lines).toMatch(/could not start WAL streaming: ERROR: {2}replication slot "nope" does not exist/);
    expect(s1(r).receiver).toBe('waiting');
  });

  it('the report shows each slot (restart_lsn, wal_status, safe_wal_size, its standby) and every node\'s pg_wal, from the history', () => {
    const r = run(15, { primary: { maxSlotWalKeepSize: 4096 * MiB }, end: s(900) });
    const slot = p(r).slots!.find((x) => x.name === 's1')!;
    expect(slot).toMatchObject({ type: 'physical', active: true, walStatus: 'reserved', standby: 's1' });
    expect(slot.restartLsn).toMatch(/^[0-9A-F]+\/[0-9A-F]+$/);
    expect(slot.safeWalSize!).toBeGreaterThan(4000 * MiB);
    expect(p(r).pgWalSize!).toBeGreaterThan(0);
    expect(s1(r).pgWalSize!).toBeGreaterThan(0);
    expect(r.history.storage.nodes.get('p')!.slots[0]!.name).toBe('s1');
  });
});

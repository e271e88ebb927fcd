/**
 * Property 10 (metamorphic, issue 9): WAL retention moves as the server's rules say it does.
 * - a smaller max_wal_size (checkpoint_segments up to 9.4) removes the segment a lagging standby needs no later;
 * - up to 10 the same lag survives one checkpoint more than from 11 (two checkpoint cycles of WAL kept);
 * - with the standby's slot nothing breaks, pg_wal grows by the standby's lag, and max_slot_wal_keep_size
 *   invalidates the slot at the first checkpoint whose horizon (in whole segments) passes its restart_lsn;
 * - with an archive and restore_command, a standby whose outage outlasted its upstream's WAL catches up from
 *   the archive and streams again.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { seconds, type Micros } from '../../src/engine/time.ts';
import type { World } from '../../src/models/world.ts';
import type { PgSettingsSpec, Scenario } from '../../src/scenario/types.ts';
import { act, assertScenarioProperty, nodeSpec, scenarioOf, withActions } from '../../src/testing/index.ts';
import { runScenario } from '../../src/run.ts';
import { cases } from '../support/properties.ts';

const MiB = 1024 * 1024;
const SEG = 16 * MiB;
const STOP_AT = seconds(600);

/** p and a standby s1 that stops at 600 s and stays down. */
function lagging(version: number, rate: number, walPerTx: number, primary: PgSettingsSpec, o: { slot?: boolean; end?: Micros } = {}): Scenario {
  const base = scenarioOf({
    nodes: [nodeSpec('p', 'dc', version, null, primary), nodeSpec('s1', 'dc', version, 'p', o.slot ? { primarySlotName: 's1' } : {})],
    workloads: [{ name: 'clients', target: 'p', site: 'dc', rate, walPerTx, connections: 100 }],
    slots: o.slot ? [{ name: 's1', node: 'p', kind: 'physical', database: null, consumer: 'active', hotStandbyFeedback: false }] : [],
    end: o.end ?? seconds(3600),
  });
  return withActions(base, [act(STOP_AT, { kind: 'stop', node: 's1' })]);
}

interface Watch {
  /** s1's position when it stopped. */
  stoppedAt: number | null;
  /** When p's pg_wal no longer holds the segment s1 needs. */
  removedAt: Micros | null;
  /** Redo points of p's checkpoints completed after the stop, in order, until then. */
  redos: number[];
}

function watch(s: Scenario, extra?: (w: World, st: Watch) => void): Watch {
  const st: Watch = { stoppedAt: null, removedAt: null, redos: [] };
  let lastRedo = -1;
  runScenario(s, {
    afterEvent: (w) => {
      const c = w.clusters.get('main')!;
      const p = c.node('p');
      const s1 = c.node('s1');
      const now = w.ctx.sim.now;
      if (now >= STOP_AT && st.stoppedAt === null && !s1.running) st.stoppedAt = s1.walEnd(now);
      const redo = c.storage.checkpointer.completedRedo(p);
      if (st.stoppedAt !== null && st.removedAt === null && redo !== lastRedo) st.redos.push(redo);
      lastRedo = redo;
      if (st.stoppedAt !== null && st.removedAt === null && p.oldestRetained > Math.floor(st.stoppedAt / SEG) * SEG) st.removedAt = now;
      extra?.(w, st);
    },
  });
  return st;
}

/** p archives; s1 (restore_command or not) is down from 600 s for `outage` seconds. */
function outageRun(version: number, rate: number, outage: number, restore: boolean): Scenario {
  const base = scenarioOf({
    nodes: [
      nodeSpec('p', 'a', version, null, { archiveMode: 'on', archiveCommand: 'cp %p /archive/%f' }),
      nodeSpec('s1', 'b', version, 'p', restore ? { restoreCommand: 'cp /archive/%f %p' } : {}),
    ],
    sites: ['a', 'b'],
    links: [{ between: ['a', 'b'], bandwidth: 125e6, latency: 5000 as Micros }],
    workloads: [{ name: 'clients', target: 'p', site: 'a', rate, walPerTx: 4000, connections: 100 }],
    end: seconds(600 + outage + 3600),
  });
  return withActions(base, [act(STOP_AT, { kind: 'stop', node: 's1' }), act(seconds(600 + outage), { kind: 'start', node: 's1' })]);
}

describe('property 10: WAL retention follows the version\'s rules (metamorphic)', () => {
  it('with an archive and restore_command a standby catches up from the archive after any outage', () => {
    const arb = fc.record({ version: fc.constantFrom(9.3, 9.4, 9.6, 10, 12, 13, 15, 16, 17, 18), rate: fc.constantFrom(200, 1000, 5000), outage: fc.integer({ min: 60, max: 10_800 }) });
    fc.assert(
      fc.property(arb, (d) => {
        const without = runScenario(outageRun(d.version, d.rate, d.outage, false));
        const lost = without.history.receiverTransitions.some((t) => t.node === 's1' && t.reason === 'wal-removed');
        const r = runScenario(outageRun(d.version, d.rate, d.outage, true));
        expect(r.history.receiverTransitions.some((t) => t.node === 's1' && t.reason === 'wal-removed')).toBe(false);
        const s1 = r.report.nodes.find((n) => n.name === 's1')!;
        const p = r.report.nodes.find((n) => n.name === 'p')!;
        expect(s1.receiver).toBe('streaming');
        expect(lsnValue(p.lsn) - lsnValue(s1.lsn)).toBeLessThan(d.rate * 4000 * 0.01 + 8000);
        // Where the stream alone would have broken, the archive carried it.
        if (lost) expect(r.report.events.some((e) => e.node === 's1' && /restored [\d,]+ WAL segments? from the archive/.test(e.message))).toBe(true);
      }),
      { numRuns: cases(6), seed: 11 },
    );
  });

  it('a smaller max_wal_size or checkpoint_segments removes what a stopped standby needs no later', () => {
    const arb = fc.record({
      version: fc.constantFrom(9.3, 9.4, 9.6, 10, 11, 13, 15, 16, 18),
      rate: fc.constantFrom(1000, 3000, 8000),
      small: fc.integer({ min: 2, max: 12 }),
      factor: fc.integer({ min: 2, max: 8 }),
    });
    fc.assert(
      fc.property(arb, (d) => {
        const settings = (segments: number): PgSettingsSpec => (d.version < 9.5 ? { checkpointSegments: segments } : { maxWalSize: segments * 3 * SEG });
        const smaller = watch(lagging(d.version, d.rate, 2000, settings(d.small)));
        const larger = watch(lagging(d.version, d.rate, 2000, settings(d.small * d.factor)));
        expect(smaller.removedAt).not.toBeNull();
        expect(smaller.removedAt!).toBeLessThanOrEqual(larger.removedAt ?? Number.POSITIVE_INFINITY);
      }),
      { numRuns: cases(6), seed: 9 },
    );
  });

  it('up to 10 the same lag survives one checkpoint more than from 11', () => {
    const arb = fc.record({ version: fc.constantFrom(9.2, 9.3, 9.4, 9.5, 9.6, 10, 11, 12, 13, 14, 15, 16, 17, 18), rate: fc.constantFrom(500, 2000, 6000), timeout: fc.constantFrom(60, 300, 900) });
    fc.assert(
      fc.property(arb, (d) => {
        const st = watch(lagging(d.version, d.rate, 2000, { checkpointTimeout: seconds(d.timeout) }, { end: seconds(600 + 6 * d.timeout + 1200) }));
        expect(st.removedAt).not.toBeNull();
        // Checkpoints completed after the stop whose redo lies in a later segment than the standby's position:
        // the first removes its segment from 11 on (this checkpoint's redo), the second up to 10 (the prior one's).
        const later = st.redos.filter((r) => Math.floor(r / SEG) > Math.floor(st.stoppedAt! / SEG));
        expect(later.length).toBe(d.version >= 11 ? 1 : 2);
      }),
      { numRuns: cases(8), seed: 10 },
    );
  });

  it('with the standby\'s slot nothing breaks, pg_wal grows by the lag, and max_slot_wal_keep_size invalidates where KeepLogSeg says', () => {
    const arb = fc.record({ version: fc.constantFrom(13, 14, 15, 16, 17, 18), rate: fc.constantFrom(1000, 4000), capSegments: fc.integer({ min: 40, max: 200 }), extra: fc.integer({ min: 0, max: 15 }) });
    assertScenarioProperty(
      'slot keeps WAL until max_slot_wal_keep_size',
      arb.map((d) => lagging(d.version, d.rate, 2000, { maxSlotWalKeepSize: d.capSegments * SEG + d.extra * MiB }, { slot: true, end: seconds(4 * 3600) })),
      (s) => {
        const limit = s.clusters[0]!.nodes[0]!.settings.maxSlotWalKeepSize!;
        const capSegs = Math.floor(limit / SEG);
        // p's checkpoints as they complete: the segments of their redo point and of their end (recptr).
        const completions: { redoSeg: number; curSeg: number }[] = [];
        let lastRedo = -1;
        let invalidated: { at: Micros; at_completion: number } | null = null;
        const st = watch(s, (w, st) => {
          const c = w.clusters.get('main')!;
          const p = c.node('p');
          const now = w.ctx.sim.now;
          const redo = c.storage.checkpointer.completedRedo(p);
          if (redo !== lastRedo) completions.push({ redoSeg: Math.floor(redo / SEG), curSeg: Math.floor(p.walEnd(now) / SEG) });
          lastRedo = redo;
          const view = c.storage.slots.views(now)[0]!;
          if (st.stoppedAt === null || invalidated) return;
          if (view.restartLsn === null) {
            invalidated = { at: now, at_completion: completions.length - 1 };
            return;
          }
          // While the slot holds, p keeps everything from the slot's segment: pg_wal >= the standby's lag.
          if (c.storage.pgWalBytes(p, now) + SEG < p.walEnd(now) - view.restartLsn) throw new Error(`pg_wal ${c.storage.pgWalBytes(p, now)} is smaller than the lag ${p.walEnd(now) - view.restartLsn} at +${now / 1e6} s`);
        });
        if (!invalidated) throw new Error('the slot was never invalidated');
        const inv = invalidated as { at: Micros; at_completion: number };
        const slotSeg = Math.floor(st.stoppedAt! / SEG);
        // 13+ KeepLogSeg: the slot capped at cur - cap (whole segments), so a checkpoint invalidates it iff its
        // horizon min(seg(redo), cur - cap) passes the slot's segment: this one does, the one before did not.
        const passes = (x: { redoSeg: number; curSeg: number }) => slotSeg < x.redoSeg && slotSeg < x.curSeg - capSegs;
        const at = completions[inv.at_completion]!;
        if (!passes(at)) throw new Error(`invalidated at a checkpoint (redo segment ${at.redoSeg}, end segment ${at.curSeg}, cap ${capSegs}) that does not pass the slot's segment ${slotSeg}`);
        const before = completions[inv.at_completion - 1];
        if (before && passes(before)) throw new Error(`the checkpoint before (redo segment ${before.redoSeg}, end segment ${before.curSeg}) already passed the slot's segment ${slotSeg}`);
        // Nothing broke before: nothing was removed under the slot until then.
        if (st.removedAt !== null && st.removedAt < inv.at) throw new Error(`p removed the standby's segment at +${st.removedAt / 1e6} s, before the slot was invalidated at +${inv.at / 1e6} s`);
      },
      { numRuns: cases(6) },
    );
  });
});

function lsnValue(text: string): number {
  const [hi, lo] = text.split('/');
  return parseInt(hi!, 16) * 2 ** 32 + parseInt(lo!, 16);
}

/**
 * A stop at the wraparound limit is projected only where the age cannot come down: a holder pins the
 * horizon, nothing has frozen yet, or the saw-tooth's peaks rise. A healthy cluster whose autovacuum brings
 * the age back every cycle has no stop ahead (it used to be given one at the end's XID rate).
 */
import { describe, expect, it } from 'vitest';
import type { Micros } from '../../src/engine/time.ts';
import { projectedStop, sawtoothPeaks, type AgeSample } from '../../src/models/postgres/vacuum/projection.ts';
import { runScenario } from '../../src/run.ts';
import { loadScenarioText } from '../../src/scenario/load.ts';

const DAY = 86_400e6;
const rate = 2000 / 1e6; // XIDs per µs
/** A saw-tooth from 0: climbs at `rate`, drops to `after(k)` at the end of each cycle k. */
function sawtooth(cycles: number, length: number, after: (k: number) => number): AgeSample[] {
  const out: AgeSample[] = [{ at: 0 as Micros, value: 0, rate }];
  for (let k = 1; k <= cycles; k++) out.push({ at: (k * length) as Micros, value: after(k), rate });
  return out;
}
const base = { pinned: false, lastRelease: null, rate, stopAge: 2_146_483_647 };

describe('projecting the wraparound stop', () => {
  it('reads the peaks of the saw-tooth from the samples (the value reached just before each drop)', () => {
    const peaks = sawtoothPeaks(sawtooth(3, DAY, () => 100e6), 0 as Micros);
    expect(peaks.map((p) => Math.round(p.value))).toEqual([172_800_000, 272_800_000, 272_800_000]);
  });

  it('a steady saw-tooth has no stop ahead', () => {
    const samples = sawtooth(5, DAY, () => 100e6);
    expect(projectedStop({ ...base, samples, now: (5.5 * DAY) as Micros, endAge: 100e6 + rate * 0.5 * DAY })).toBeNull();
  });

  it('a pinned horizon stops where the end age meets the limit at the end rate', () => {
    const samples = sawtooth(5, DAY, () => 100e6);
    const now = (5.5 * DAY) as Micros;
    const endAge = 1e9;
    expect(projectedStop({ ...base, samples, pinned: true, now, endAge })).toBe(now + Math.ceil((base.stopAge - endAge) / rate));
  });

  it('peaks that rise are extrapolated to the limit', () => {
    // Each cycle leaves 50M more behind: the peaks rise 50M a day from 272.8M.
    const samples = sawtooth(4, DAY, (k) => 100e6 + 50e6 * k);
    const at = projectedStop({ ...base, samples, now: (4.2 * DAY) as Micros, endAge: 400e6 });
    const peaks = sawtoothPeaks(samples, 0 as Micros);
    const last = peaks.at(-1)!;
    expect(at).toBe(last.at + Math.ceil((base.stopAge - last.value) / (50e6 / DAY)));
  });

  it('two tables whose peaks alternate in height are a steady saw-tooth, not a rising one', () => {
    // Each drop leaves 100M or 130M in turn (two tables frozen to different ages): peaks of 272.8M and 302.8M.
    const samples = sawtooth(9, DAY, (k) => (k % 2 ? 100e6 : 130e6));
    expect(sawtoothPeaks(samples, 0 as Micros).slice(-2).map((p) => Math.round(p.value))).toEqual([272_800_000, 302_800_000]);
    expect(projectedStop({ ...base, samples, now: (9.5 * DAY) as Micros, endAge: 150e6 })).toBeNull();
  });

  it('before any drop, or with none since the holder went away, the end rate is all there is', () => {
    const climbing: AgeSample[] = [{ at: 0 as Micros, value: 0, rate }];
    expect(projectedStop({ ...base, samples: climbing, now: DAY as Micros, endAge: rate * DAY })).not.toBeNull();
    const samples = sawtooth(3, DAY, () => 100e6);
    expect(projectedStop({ ...base, samples, lastRelease: (3.5 * DAY) as Micros, now: (4 * DAY) as Micros, endAge: 200e6 })).not.toBeNull();
  });

  it('in a run: 9.6 at 2000 XIDs/s on a 2 TB table, a month of anti-wraparound cycles, no stop projected', () => {
    const r = runScenario(
      loadScenarioText(
        `name: saw
start: 2024-01-01T00:00:00Z
end: 2024-02-01T00:00:00Z
sites: [a]
clusters:
  c:
    nodes:
      p: {site: a, version: 9.6, role: primary}
    workload: {target: p, site: a, rate: 2000/s, wal_per_tx: 1KiB}
    databases:
      app:
        tables:
          big: {size: 2TB, vacuum_scan: 0.3}
`,
        'saw.yaml',
      ),
    ).report;
    const x = r.xid[0]!;
    expect(x.endAge).toBeLessThan(x.maxAge);
    expect(x.projectedStopAt).toBeNull();
  });
});

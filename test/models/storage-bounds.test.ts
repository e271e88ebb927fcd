import { describe, expect, it } from 'vitest';
import { seconds } from '../../src/engine/time.ts';
import { MAX_RECORDS_PER_TIMELINE } from '../../src/models/postgres/records.ts';
import { runScenario } from '../../src/run.ts';
import { action, buildScenario, node } from '../support/builder.ts';

const DAY = 86_400;

describe('WAL storage costs stay bounded over long horizons', () => {
  it('a century with a standby stuck on a removed segment: checkpoint records stay bounded, the retry loop costs no events', () => {
    let maxRecords = 0;
    const century = seconds(36_500 * DAY);
    const r = runScenario(
      buildScenario({
        end: century,
        sites: ['a', 'b'],
        nodes: [node('p', 'a', 16, { settings: { checkpointTimeout: seconds(DAY) } }), node('s1', 'b', 16, { upstream: 'p', settings: { checkpointTimeout: seconds(DAY) } })],
        // 1 commit/s of 2 KiB: 177 MB a day, under max_wal_size: one (timed) checkpoint a day.
        workload: { target: 'p', rate: 1, walPerTx: 2048 },
        actions: [action(seconds(3600), { kind: 'stop', node: 's1' }), action(seconds(3 * DAY), { kind: 'start', node: 's1' })],
      }),
      {
        afterEvent: (w) => {
          maxRecords = Math.max(maxRecords, w.clusters.get('main')!.storage.checkpointer.records.size);
        },
      },
    );
    const s1 = r.report.nodes.find((n) => n.name === 's1')!;
    expect(s1.receiver).toBe('waiting');
    // 36,500 checkpoints of the primary; s1 needs every record after its position, but at most 2,048 are kept.
    expect(maxRecords).toBeLessThanOrEqual(MAX_RECORDS_PER_TIMELINE + MAX_RECORDS_PER_TIMELINE / 2 + 1);
    // Two events per checkpoint (start, end) and a handful more: the 630 million retries of s1 are parked.
    expect(r.report.stats.events).toBeLessThan(2 * 36_500 + 1000);
    // The first failure is retried at once; the loop's later ones (15+: with `waiting for WAL`) are one event.
    const loop = r.report.events.find((e) => e.node === 's1' && /has already removed/.test(e.message) && e.repeated)!;
    expect(loop.repeated!.count).toBeGreaterThan(600_000_000);
  });
});

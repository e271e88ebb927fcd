/** A condition that lasts under a millisecond between two of the same does not split a stall (run.ts mergeShortGaps). */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { withoutParking } from '../../src/models/postgres/retry.ts';
import { runScenario } from '../../src/run.ts';
import { loadScenarioText } from '../../src/scenario/load.ts';

const text = readFileSync(new URL('../fixtures/stall-blip.yaml', import.meta.url), 'utf8');
const stalls = () => runScenario(loadScenarioText(text, 'stall-blip.yaml')).report.stalls.map((s) => [s.from, s.to, (s.causeFact as { limit?: { txPerSecond: number } }).limit?.txPerSecond ?? null, s.maxLatencyMs]);

describe('stall blips', () => {
  it('the synchronous standbys confirming 493/s make one stall to the end, even with a recomputation every 5 s (stepped retries)', () => {
    const parked = stalls();
    const stepped = withoutParking(stalls);
    expect(stepped).toEqual(parked);
    // 493/s: what s1 confirms over its share of the 100 Mbps line, 97% of it WAL (509/s before the headers' share).
    // Patroni names s3 at 5.904 s, but s3, idle since every commit began to wait at 1.1 s, releases them only at
    // its next status reply, at 11.133 s (walsender.c ProcessStandbyReplyMessage); the pool's queue then drains at 493/s.
    expect(parked.at(-1)).toEqual(['2024-01-01T00:00:11.233Z', '2024-01-01T00:05:00Z', 493, 156_332]);
  });
});

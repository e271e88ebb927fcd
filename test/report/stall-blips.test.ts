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
    expect(parked.at(-1)).toEqual(['2024-01-01T00:00:07.548Z', '2024-01-01T00:05:00Z', 493, 153_365]);
  });
});

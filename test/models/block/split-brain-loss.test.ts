/**
 * A DRBD split brain left unresolved (after-sb-2pri disconnect: both StandAlone) or not yet met (the link never
 * heals): the writes the old Primary acknowledged alone are not on the side the application writes to, and the
 * split brain's resolution (drbdadm connect --discard-my-data) discards one side (drbd_receiver.c
 * drbd_asb_recover_2p; the DRBD user's guide, "Manual Split Brain Recovery"). Before, the report said no
 * acknowledged write was lost.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runScenario } from '../../../src/run.ts';
import { loadScenarioText } from '../../../src/scenario/load.ts';

/** Two-node Pacemaker without fencing, protocol C; the link is cut 14:00-14:02: stor-b is promoted while stor-a runs on. */
const TEXT = readFileSync('test/fixtures/drbd-split-brain-no-fencing.yaml', 'utf8');
const run = (text: string) => runScenario(loadScenarioText(text, 'split.yaml')).report;

describe('an unresolved DRBD split brain loses the old Primary\'s writes', () => {
  it('found at the reconnection and left unresolved: what stor-a acknowledged alone (6.1 MiB) is lost', () => {
    const r = run(TEXT);
    const [loss, ...rest] = r.dataLoss;
    expect(rest).toEqual([]);
    // stor-a wrote alone from DRBD's disconnect (14:00:06) to stor-b's promotion (14:00:06.6): 1,200 writes/s of 8 KiB.
    expect(loss).toMatchObject({ cluster: 'data', node: 'stor-a' });
    expect(Math.abs(loss!.walBytes - 1200 * 8192 * 0.6) / (1200 * 8192 * 0.6)).toBeLessThan(0.1);
    expect(loss!.cause.map((c) => c.fact!.kind)).toEqual(['loss-split-kept-writing', 'loss-split-unresolved']);
  });

  it('never met again (the link stays cut): the same writes are lost at the end', () => {
    const r = run(TEXT.replace(/^ {2}- \{at: "14:02", name: heal.*\n/m, ''));
    expect(r.dataLoss.map((l) => l.cause.at(-1)!.fact!.kind)).toEqual(['loss-split-at-end']);
    expect(r.dataLoss[0]!.node).toBe('stor-a');
  });

  it('is a split-brain verdict from the promotion while the old Primary runs on, until it is demoted or for good', () => {
    const r = run(TEXT);
    const split = r.verdicts.filter((v) => v.kind === 'split-brain');
    expect(split).toMatchObject([{ cluster: 'data', node: 'stor-b', from: '2025-03-04T14:00:06.600Z', to: null }]);
    expect(split[0]!.cause.map((c) => c.fact!.kind)).toEqual(['block-fault', 'block-two-primaries', 'block-split-ended']);
    // stor-a made Secondary at 14:05 (drbdadm secondary): two Primaries no more.
    const demoted = run(TEXT.replace('  - {at: "14:02", name: heal', '  - {at: "14:05", name: demote, secondary: {resource: data, host: stor-a}}\n  - {at: "14:02", name: heal'));
    expect(demoted.verdicts.filter((v) => v.kind === 'split-brain')).toMatchObject([{ from: '2025-03-04T14:00:06.600Z', to: '2025-03-04T14:05:00Z' }]);
  });
});

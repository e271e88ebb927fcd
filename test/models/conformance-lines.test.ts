/**
 * Log lines the conformance harness compared with real servers of 10 to 18 (docs/conformance.md): a standby
 * streaming a same-numbered sibling timeline (seed-54), the walsender's announcement of a synchronous standby
 * (ext-3). A standby that cannot read its checkpoint record (seed-79): test/models/server-log.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { runModel } from '../../conformance/model.ts';
import type { Sequence } from '../../conformance/sequence.ts';
import { seconds } from '../../src/engine/time.ts';
import { runScenario } from '../../src/run.ts';
import { action, buildScenario, node } from '../support/builder.ts';

const STARTED = 'LOG:  started streaming WAL from primary at … on timeline 2';
const TERMINATED = 'FATAL:  terminating walreceiver process due to administrator command';

describe('a standby streaming a same-numbered sibling timeline (seed-54)', () => {
  // pg2, a cascaded standby, is promoted to timeline 2 and writes; pg1, which never saw pg2's history file, is
  // promoted to its own timeline 2 from the same point; pg2 is repointed to pg1 and pg1 writes past pg2's end.
  const seq: Sequence = {
    id: 'siblings',
    seed: 1,
    nodes: [
      { name: 'pg0', upstream: null, rtt: 'latest' },
      { name: 'pg1', upstream: 'pg0', rtt: 'latest' },
      { name: 'pg2', upstream: 'pg1', rtt: 'latest' },
    ],
    ops: [
      { kind: 'insert', node: 'pg0', rows: 7 },
      { kind: 'promote', node: 'pg2' },
      { kind: 'insert', node: 'pg2', rows: 3 },
      { kind: 'promote', node: 'pg1' },
      { kind: 'repoint', node: 'pg2', upstream: 'pg1' },
      { kind: 'insert', node: 'pg1', rows: 9 },
      { kind: 'insert', node: 'pg1', rows: 2 },
      { kind: 'restart', node: 'pg2', rtt: null },
    ],
  };

  it.each([10, 15, 18])('on %i the walreceiver is stopped once; the next ones never start until the server restarts', (major) => {
    const lines = runModel(seq, major).map((st) => st.nodes.pg2!.lines?.walreceiver ?? []);
    // Repointed: accepted on timeline 2, nothing past its end yet.
    expect(lines[4]).toEqual([STARTED]);
    // pg1 writes past it: the startup process rejects the records and stops the walreceiver that is streaming
    // them (no new start). The flush position stays in shared memory: every later walreceiver on timeline 2 is
    // stopped before its process starts, whatever arrives (walreceiverfuncs.c RequestXLogStreaming).
    expect(lines[5]).toEqual([TERMINATED]);
    expect(lines[6]).toEqual([]);
    // A restart resets shared memory: one walreceiver streams again, and is stopped again.
    expect(lines[7]).toEqual([STARTED, TERMINATED]);
  });
});

describe('the walsender announces a synchronous standby at its next reply (ext-3)', () => {
  const s = (n: number) => seconds(n);
  const ANNOUNCE = 'walsender LOG:  standby "b" is now a synchronous standby with priority 1';
  // a writes until 20 s; b, its standby, replies then and every wal_receiver_status_interval (10 s) after.
  const run = (extra: ReturnType<typeof action>[]) =>
    runScenario(
      buildScenario({
        end: s(90),
        nodes: [node('a', 'dc', 13), node('b', 'dc', 13, { upstream: 'a' })],
        workload: { target: 'a', rate: 10, walPerTx: 1000 },
        actions: [
          action(s(20), { kind: 'workload', cluster: 'main', workload: null, rate: 0 }),
          action(s(33), { kind: 'configure', node: 'a', settings: { synchronousStandbyNames: { method: 'first', num: 1, names: ['b'] } }, restart: 'never' }),
          ...extra,
        ],
      }),
    ).report;
  /** Seconds after the reload (the report's times are to the second). */
  const announced = (r: ReturnType<typeof run>) => {
    const reload = Date.parse(r.events.find((e) => e.node === 'a' && e.kind === 'setting')!.at);
    return r.events.filter((e) => e.node === 'a' && e.log.includes(ANNOUNCE)).map((e) => (Date.parse(e.at) - reload) / 1000);
  };

  it('an idle standby named by a reload: at its next status reply, not at the reload', () => {
    const after = announced(run([]));
    expect(after).toHaveLength(1);
    expect(after[0]!).toBeGreaterThan(0);
    expect(after[0]!).toBeLessThanOrEqual(10);
  });

  it('WAL before that reply: at the reply to it', () => {
    const after = announced(run([action(s(35), { kind: 'workload', cluster: 'main', workload: null, rate: 10 })]));
    expect(after).toEqual([2]);
  });
});

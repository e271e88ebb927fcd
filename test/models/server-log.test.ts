/**
 * Server chatter (src/models/postgres/server-log.ts): the lines every server writes, recorded with the events for
 * the conformance harness and hidden by the reports; checked per version against the recorded real logs
 * (docs/conformance.md, lines).
 */
import { describe, expect, it } from 'vitest';
import { runModel } from '../../conformance/model.ts';
import type { Sequence } from '../../conformance/sequence.ts';
import { connectsAt, DATA_GIVE_UP } from '../../src/models/postgres/reconnect.ts';
import type { Micros } from '../../src/engine/time.ts';

const pair = (ops: Sequence['ops']): Sequence => ({
  id: 'chatter',
  seed: 1,
  nodes: [
    { name: 'pg0', upstream: null, rtt: 'latest' },
    { name: 'pg1', upstream: 'pg0', rtt: 'latest' },
  ],
  ops,
});

describe('server chatter', () => {
  it('a promotion after replayed commits: the walreceiver stopped, redo done, the last transaction, the end-of-recovery checkpoint', () => {
    const steps = runModel(pair([{ kind: 'insert', node: 'pg0', rows: 2 }, { kind: 'promote', node: 'pg1' }]), 15);
    const l = steps[1]!.nodes.pg1!.lines!;
    expect(l.walreceiver).toContain('FATAL:  terminating walreceiver process due to administrator command');
    expect(l.startup!.some((x) => x.startsWith('LOG:  redo done at'))).toBe(true);
    expect(l.startup!.some((x) => x.startsWith('LOG:  last completed transaction was at log time'))).toBe(true);
    expect(l.checkpointer).toContain('LOG:  checkpoint starting: force');
  });

  it('a promotion of a standby that replayed nothing since its start: redo is not required', () => {
    const steps = runModel(pair([{ kind: 'restart', node: 'pg1', rtt: null }, { kind: 'promote', node: 'pg1' }]), 15);
    const startup = steps[1]!.nodes.pg1!.lines!.startup!;
    expect(startup).toContain('LOG:  redo is not required');
    expect(startup.some((x) => x.startsWith('LOG:  redo done'))).toBe(false);
  });

  it("a standby's start in its version's words: the end of WAL complaint changed in 16, read only became read-only in 14", () => {
    const at = (major: number) => runModel(pair([{ kind: 'restart', node: 'pg1', rtt: null }]), major)[0]!.nodes.pg1!.lines!;
    expect(at(15).startup).toContain('LOG:  invalid record length at …: wanted 24, got 0');
    expect(at(16).startup).toContain('LOG:  invalid record length at …: expected at least 24, got 0');
    expect(at(13).postmaster).toContain('LOG:  database system is ready to accept read only connections');
    expect(at(14).postmaster).toContain('LOG:  database system is ready to accept read-only connections');
    expect(at(15).startup).toContain('LOG:  database system was shut down in recovery at …');
  });

  it('log_checkpoints off (the default before 15) writes no checkpoint lines', async () => {
    const { buildScenario, node, action } = await import('../support/builder.ts');
    const { World } = await import('../../src/models/world.ts');
    const s = buildScenario({
      name: 'ckpt',
      nodes: [node('p', 'loopback', 14, {}), node('s', 'loopback', 14, { upstream: 'p' })],
      workload: { target: 'p', rate: 10, walPerTx: 128 },
      actions: [action(5_000_000 as Micros, { kind: 'promote', node: 's' })],
      end: 20_000_000 as Micros,
    });
    const w = new World(s);
    w.start();
    w.ctx.sim.run(20_000_000 as Micros);
    const promoted = w.ctx.history.events.find((e) => e.node === 's' && e.kind === 'promote')!;
    const all = promoted.serverLog ?? promoted.log;
    expect(all.some((x) => x.includes('checkpoint starting'))).toBe(false);
    // Chatter is recorded, and hidden from the lines the reports print.
    expect(all.some((x) => x.includes('terminating walreceiver process'))).toBe(true);
    expect(promoted.log.some((x) => x.includes('terminating walreceiver process'))).toBe(false);
  });
});

describe('an idle walreceiver behind a cut path (reconnect.ts)', () => {
  it("its request on its connection is retransmitted from 200 ms, doubling to 120 s, and answered at the first retransmission after the heal", () => {
    const s = 100_000_000 as Micros;
    // Retransmissions 0.2, 0.6, 1.4, 3, 6.2, 12.6, 25.4, 51, 102.2 s after the send.
    expect(connectsAt(s, DATA_GIVE_UP, (s + 60_000_000) as Micros, 'data')).toBe(s + 102_200_000);
    expect(connectsAt(s, DATA_GIVE_UP, (s + 2_000_000) as Micros, 'data')).toBe(s + 3_000_000);
    expect(DATA_GIVE_UP).toBe(924_600_000);
    expect(connectsAt(s, DATA_GIVE_UP, (s + DATA_GIVE_UP + 1) as Micros, 'data')).toBeNull();
  });

  it('ext-2: the request waits for the heal, where the standby learns that its timeline ended (as on every major)', () => {
    const seq: Sequence = {
      id: 'ext-2',
      seed: 2,
      nodes: [
        { name: 'pg0', upstream: null, rtt: 'latest' },
        { name: 'pg1', upstream: 'pg0', rtt: 'latest' },
        { name: 'pg2', upstream: 'pg1', rtt: 'current' },
        { name: 'pg3', upstream: 'pg2', rtt: 'latest' },
      ],
      ops: [
        { kind: 'insert', node: 'pg0', rows: 2 },
        { kind: 'promote', node: 'pg1' },
        { kind: 'burst', node: 'pg1', mib: 30 },
        { kind: 'cut', node: 'pg2' },
        { kind: 'burst', node: 'pg0', mib: 37 },
        { kind: 'burst', node: 'pg0', mib: 48 },
        { kind: 'heal', node: 'pg2' },
      ],
    };
    const steps = runModel(seq, 15);
    expect(steps[4]!.nodes.pg2!.messages).toEqual([]);
    expect(steps[5]!.nodes.pg2!.messages).toEqual([]);
    expect(steps[6]!.nodes.pg2!.messages).toEqual(['End of WAL reached on timeline 1']);
  });
});

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

describe('log_checkpoints of the checkpoints a checkpointer starts by itself (checkpointer.ts)', () => {
  it('a timed checkpoint with little to write logs its start and its end within moments, not checkpoint_completion_target x checkpoint_timeout later', () => {
    const steps = runModel(
      pair([
        { kind: 'insert', node: 'pg0', rows: 5 },
        { kind: 'configure', node: 'pg0', setting: { name: 'checkpoint_timeout', seconds: 30 } },
        { kind: 'insert', node: 'pg0', rows: 5 },
      ]),
      15,
    );
    // The reload finds checkpoint_timeout long passed: a timed checkpoint at once; one buffer to write (one nap of
    // 100 ms), so it ends in the same step where checkpoint_completion_target x 30 s would not matter but 0.9 h would.
    const lines = steps[1]!.nodes.pg0!.lines!.checkpointer!;
    expect(lines[0]).toBe('LOG:  checkpoint starting: time');
    expect(lines[1]).toMatch(/^LOG:  checkpoint complete: wrote 1 buffers \(0\.0%\); 0 WAL file\(s\) added, 0 removed, 0 recycled; /);
    expect(lines).toHaveLength(2);
  });

  it('a spread checkpoint with few dirty buffers ends after 100 ms per buffer (checkpointer.c CheckpointWriteDelay)', async () => {
    const { dirtyBuffers, NAP_PER_BUFFER } = await import('../../src/models/postgres/checkpointer.ts');
    expect(dirtyBuffers(640)).toBe(1);
    expect(dirtyBuffers(10 * 8192)).toBe(10);
    // At most shared_buffers (128 MB): a busy server's checkpoint is spread over checkpoint_completion_target.
    expect(dirtyBuffers(10 * 1024 ** 3)).toBe(16384);
    expect(16384 * NAP_PER_BUFFER).toBeGreaterThan(0.9 * 300e6);
  });

  it('an idle server skips its timed checkpoints and logs nothing (xlog.c CreateCheckPoint)', () => {
    const steps = runModel(pair([{ kind: 'configure', node: 'pg0', setting: { name: 'checkpoint_timeout', seconds: 30 } }, { kind: 'checkpoint', node: 'pg1' }, { kind: 'checkpoint', node: 'pg1' }]), 15);
    expect(steps[2]!.nodes.pg0!.lines!.checkpointer ?? []).toEqual([]);
  });

  it('a checkpoint requested by WAL volume starts with ` xlog` up to 11 and ` wal` from 12 (xlog.c LogCheckpointStart)', () => {
    const seq = pair([
      { kind: 'configure', node: 'pg0', setting: { name: 'max_wal_size', mib: 32 } },
      { kind: 'burst', node: 'pg0', mib: 40 },
    ]);
    const starts = (major: number) => runModel(seq, major)[1]!.nodes.pg0!.lines!.checkpointer!.filter((l) => l.includes('starting'));
    expect(starts(11)).toContain('LOG:  checkpoint starting: xlog');
    expect(starts(12)).toContain('LOG:  checkpoint starting: wal');
  });

  it('a standby whose CHECKPOINT was skipped retries every 15 s and logs the restartpoint it makes once it replays a checkpoint record', () => {
    const steps = runModel(
      pair([
        // No checkpoint record newer than the one pg1 started from: skipped (DEBUG2), nothing logged.
        { kind: 'checkpoint', node: 'pg1' },
        { kind: 'checkpoint', node: 'pg0' },
        // The model's online checkpoint record takes no WAL: the standby replays past it with the next rows.
        { kind: 'insert', node: 'pg0', rows: 3 },
      ]),
      15,
    );
    expect(steps[0]!.nodes.pg1!.lines!.checkpointer ?? []).toEqual([]);
    expect(steps[1]!.nodes.pg1!.lines!.checkpointer ?? []).toEqual([]);
    const lines = steps[2]!.nodes.pg1!.lines!.checkpointer!;
    expect(lines[0]).toBe('LOG:  restartpoint starting: time');
    expect(lines[1]).toMatch(/^LOG:  restartpoint complete: wrote 1 buffers/);
    expect(lines[2]).toBe('LOG:  recovery restart point at …');
    expect(lines[3]).toBe('DETAIL:  Last completed transaction was at log time …+00.');
    expect(lines).toHaveLength(4);
  });

  it('a promotion while such retries go on: its checkpoint has no `time` cause, as each attempt set the clock back', () => {
    const steps = runModel(pair([{ kind: 'checkpoint', node: 'pg1' }, { kind: 'insert', node: 'pg0', rows: 3 }, { kind: 'promote', node: 'pg1' }]), 15);
    const lines = steps[2]!.nodes.pg1!.lines!.checkpointer!;
    expect(lines).toContain('LOG:  checkpoint starting: force');
    expect(lines).not.toContain('LOG:  checkpoint starting: force time');
  });
});

describe("the walsender's own lines when it refuses a standby (server-log.ts walsenderRefusal)", () => {
  // seed-79: pg2, promoted to timeline 3 from timeline 1, is asked by pg1 (timeline 2) for timeline 2.
  const seq: Sequence = {
    id: 'seed-79',
    seed: 79,
    nodes: [
      { name: 'pg0', upstream: null, rtt: 'latest' },
      { name: 'pg1', upstream: 'pg0', rtt: 'latest' },
      { name: 'pg2', upstream: 'pg1', rtt: 'current' },
    ],
    ops: [
      { kind: 'insert', node: 'pg0', rows: 6 },
      { kind: 'promote', node: 'pg1' },
      { kind: 'promote', node: 'pg2' },
      { kind: 'insert', node: 'pg2', rows: 3 },
      { kind: 'repoint', node: 'pg1', upstream: 'pg2' },
      { kind: 'repoint', node: 'pg1', upstream: 'pg0' },
    ],
  };

  it('the upstream logs the ERROR its walsender answered, with the START_REPLICATION it was running, while the standby asks', () => {
    const steps = runModel(seq, 15);
    expect(steps[4]!.nodes.pg1!.messages).toContain("requested timeline 2 is not in this server's history");
    expect(steps[4]!.nodes.pg2!.lines!.walsender).toEqual(["ERROR:  requested timeline 2 is not in this server's history", 'STATEMENT:  START_REPLICATION … TIMELINE 2']);
    // Repointed elsewhere, the standby no longer asks pg2.
    expect(steps[5]!.nodes.pg2!.lines!.walsender).toBeUndefined();
  });

  it('its words: the refusal quoted by the walreceiver, the statement with the slot when one is used', async () => {
    const { serverLog } = await import('../../src/models/postgres/server-log.ts');
    const { pgLog } = await import('../../src/models/postgres/messages.ts');
    const { renderLogLine } = await import('../../src/models/postgres/messages.ts');
    const line = serverLog.walsenderRefusal(pgLog.notInHistory(0x3000000, 2, 2, 0x3000100), 's1', 0x3000000, 2)!;
    expect(renderLogLine(line)).toBe(
      "walsender ERROR:  requested starting point 0/3000000 on timeline 2 is not in this server's history\n\tDETAIL:  This server's history forked from timeline 2 at 0/3000100.\n\tSTATEMENT:  START_REPLICATION SLOT \"s1\" 0/3000000 TIMELINE 2",
    );
    // Not a walsender's error (the walreceiver's own complaint): nothing on the upstream.
    expect(serverLog.walsenderRefusal(pgLog.upstreamBehind(1, 2), null, 0, 2)).toBeNull();
  });

  // Then pg1 is stopped and started: on 'latest' it targets timeline 3 (pg2's 00000003.history is local), whose
  // history (1 -> 3) lacks its checkpoint's timeline 2, so it cannot read its checkpoint record.
  const restarted = (major: number) => runModel({ ...seq, ops: [...seq.ops, { kind: 'stop', node: 'pg1' }, { kind: 'start', node: 'pg1' }] }, major)[7]!.nodes.pg1!.lines?.startup ?? [];

  it('a standby that cannot read its checkpoint record logs `entering standby mode` up to 16: the recovery type comes first', () => {
    expect(restarted(16)).toContain('LOG:  entering standby mode');
  });

  it.each([17, 18])('on %i it does not: the recovery type is logged after the checkpoint record, which never comes (seed-79)', (major) => {
    const lines = restarted(major);
    expect(lines).not.toContain('LOG:  entering standby mode');
    expect(lines.some((l) => l.startsWith('LOG:  invalid record length at'))).toBe(true);
  });
});

/**
 * The conformance harness's pieces that need no server: the majors option, the ≤ 12 log attribution, the WAL
 * reader behind the quiescence wait, and which steps the model can run (conformance/).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LIMITATIONS, type Difference } from '../../conformance/compare.ts';
import { flavorOf } from '../../conformance/flavor.ts';
import { EMBEDDED_VERSIONS, parseMajors } from '../../conformance/install-servers.ts';
import { parseLog } from '../../conformance/logs.ts';
import { modelGap, runModel, sequenceGaps } from '../../conformance/model.ts';
import { normaliseLine } from '../../conformance/observe.ts';
import { ciSequences, extendedSequences, generateSequence, type Sequence } from '../../conformance/sequence.ts';
import { lastRecordBefore, RM_STANDBY_ID, segmentFileName, XLOG_RUNNING_XACTS } from '../../conformance/walreader.ts';

describe('conformance harness', () => {
  it('names an exact embedded version for every major from 10 to 18 and parses --majors', () => {
    expect(Object.keys(EMBEDDED_VERSIONS).map(Number)).toEqual([10, 11, 12, 13, 14, 15, 16, 17, 18]);
    for (const [major, v] of Object.entries(EMBEDDED_VERSIONS)) expect(v).toMatch(new RegExp(`^${major}\\.\\d+\\.\\d+-beta\\.\\d+$`));
    expect(parseMajors('10-12,16')).toEqual([10, 11, 12, 16]);
    expect(() => parseMajors('9.6')).toThrow(/expected majors/);
    expect(() => parseMajors('19')).toThrow(/not available/);
  });

  it('attributes ≤ 12 log lines by application_name, by messages only one process prints, and by process ID', () => {
    const f = flavorOf(12, '/bin');
    const log = [
      '2026-01-01 00:00:00.000 UTC [10] <> LOG:  replication terminated by primary server',
      '2026-01-01 00:00:00.000 UTC [10] <> DETAIL:  End of WAL reached on timeline 1 at 0/3000148.',
      '2026-01-01 00:00:00.000 UTC [11] <> LOG:  new target timeline is 2',
      '2026-01-01 00:00:00.000 UTC [12] <pg2> ERROR:  requested starting point 0/4000000 on timeline 1 is not in this server\'s history',
      '2026-01-01 00:00:00.000 UTC [13] <replsim-conformance> ERROR:  relation "x" does not exist',
      '2026-01-01 00:00:00.000 UTC [14] <> LOG:  checkpoint starting: immediate force wait',
    ].join('\n');
    expect(parseLog(log, f, new Set(['pg1', 'pg2'])).map((l) => l.process)).toEqual(['walreceiver', 'walreceiver', 'startup', 'walsender', 'client backend', 'checkpointer']);
    const f13 = flavorOf(13, '/bin');
    expect(parseLog('2026-01-01 00:00:00.000 UTC [10] walreceiver LOG:  started streaming WAL from primary at 0/3000000 on timeline 1', f13, new Set())[0]!.process).toBe('walreceiver');
  });

  it('normalises what differs from run to run in a log line', () => {
    expect(normaliseLine('restartpoint complete: wrote 3 buffers (0.0%); write=0.001 s, sync=0.002 s; redo at 0/3000028 (PID 42) file 000000010000000000000003'))
      .toBe('restartpoint complete: wrote 3 buffers (0.0%); write=… s, sync=… s; redo at … (PID …) file …');
  });

  const dir = mkdtempSync(join(tmpdir(), 'replsim-walreader-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('finds the last WAL record before a position, across a record continued from the previous page', () => {
    // A synthetic segment: a long page header, a 9000-byte record spanning into page 2, then a 50-byte
    // RUNNING_XACTS record on page 2.
    const seg = 16 * 1024 * 1024;
    const buf = Buffer.alloc(3 * 8192);
    const page = (at: number, info: number, addr: number, rem: number) => {
      buf.writeUInt16LE(0xd10d, at);
      buf.writeUInt16LE(info, at + 2);
      buf.writeUInt32LE(1, at + 4);
      buf.writeBigUInt64LE(BigInt(addr), at + 8);
      buf.writeUInt32LE(rem, at + 16);
    };
    const base = 3 * seg;
    page(0, 0x0002, base, 0);
    page(8192, 0x0001, base + 8192, 9000 - (8192 - 40));
    page(16384, 0, base + 16384, 0);
    const record = (at: number, len: number, rmid: number, info: number) => {
      buf.writeUInt32LE(len, at);
      buf[at + 16] = info;
      buf[at + 17] = rmid;
    };
    record(40, 9000, 10, 0x00);
    const second = 8192 + 24 + Math.ceil((9000 - (8192 - 40)) / 8) * 8;
    record(second, 50, RM_STANDBY_ID, XLOG_RUNNING_XACTS);
    mkdirSync(join(dir, 'pg_wal'));
    writeFileSync(join(dir, 'pg_wal', segmentFileName(1, base, seg)), buf);
    expect(segmentFileName(1, base, seg)).toBe('000000010000000000000003');
    const end = base + second + 56;
    expect(lastRecordBefore(dir, 1, end)).toEqual({ lsn: base + second, rmid: RM_STANDBY_ID, info: XLOG_RUNNING_XACTS, totLen: 50 });
    expect(lastRecordBefore(dir, 1, base + second)).toMatchObject({ lsn: base + 40, rmid: 10 });
    expect(lastRecordBefore(dir, 2, end)).toBeNull();
  });

  it('runs every step of the extended vocabulary in the model: CHECKPOINT, slots used by standbys, archiving, restore_command, immediate restarts', () => {
    for (const seq of [...ciSequences(), generateSequence(42), ...extendedSequences(20)]) expect(sequenceGaps(seq)).toEqual([]);
    expect(modelGap({ kind: 'checkpoint', node: 'pg0' })).toBeNull();
    expect(modelGap({ kind: 'useSlot', node: 'pg1', slot: 'slot_pg1' })).toBeNull();
    const ext = extendedSequences(12);
    const kinds = new Set<string>(ext.flatMap((s) => s.ops.map((o) => (o.kind === 'configure' ? o.setting.name : o.kind))));
    for (const k of ['checkpoint', 'archive', 'createSlot', 'cut', 'burst']) expect(kinds.has(k), k).toBe(true);
    for (const major of [10, 18]) for (const seq of ext.slice(0, 6)) expect(runModel(seq, major)).toHaveLength(seq.ops.length);
  });

  it("maps a sequence's slot, archive and CHECKPOINT steps onto the model's own", () => {
    const t = (name: string, upstream: string | null) => ({ name, upstream, rtt: 'latest' as const });
    const seq: Sequence = {
      id: 'mapped',
      seed: 0,
      nodes: [t('pg0', null), t('pg1', 'pg0')],
      ops: [
        { kind: 'configure', node: 'pg0', setting: { name: 'wal_keep', mib: 0 } },
        { kind: 'configure', node: 'pg1', setting: { name: 'wal_keep', mib: 0 } },
        { kind: 'configure', node: 'pg0', setting: { name: 'archive', on: true } },
        { kind: 'burst', node: 'pg0', mib: 40 },
        { kind: 'checkpoint', node: 'pg0' },
        { kind: 'createSlot', node: 'pg0', slot: 'slot_pg1' },
        { kind: 'useSlot', node: 'pg1', slot: 'slot_pg1' },
        { kind: 'insert', node: 'pg0', rows: 3 },
        { kind: 'checkpoint', node: 'pg1' },
      ],
    };
    const steps = runModel(seq, 15);
    // A physical slot reserves from the last checkpoint's redo point (slot.c ReplicationSlotReserveWal), here the
    // CHECKPOINT's at the end of the burst; the standby that uses it then holds it at its own flush, active.
    expect(steps[5]!.nodes.pg0!.slots).toEqual([{ name: 'slot_pg1', active: false, restartBehind: 0, walStatus: 'reserved', safeSegments: null }]);
    expect(steps[6]!.nodes.pg0!.slots).toEqual([{ name: 'slot_pg1', active: true, restartBehind: 0, walStatus: 'reserved', safeSegments: null }]);
    // archive_mode = on is a restart; the archiver's segments are what the CHECKPOINT may remove.
    expect(steps[2]!.nodes.pg0!.lines?.postmaster ?? []).toContain('LOG:  database system is ready to accept connections');
    // A standby's CHECKPOINT is a restartpoint at the primary's checkpoint record it replayed: pg1's pg_wal
    // shrinks as pg0's did (the model's online checkpoint record has no bytes: a write after it is replayed).
    expect(steps[3]!.nodes.pg0!.wal!.span).toBeGreaterThan(steps[4]!.nodes.pg0!.wal!.span);
    expect(steps[7]!.nodes.pg1!.wal!.span).toBeGreaterThan(steps[8]!.nodes.pg1!.wal!.span);
  });

  it('names the limitations it counts precisely: a shutdown during a restarted stream, a synchronous standby announced at a reply', () => {
    const limitation = (d: Difference) => LIMITATIONS.find((l) => l.matches(d, 11))?.id ?? null;
    const line = (text: string, side: 'real' | 'model', at: Partial<NonNullable<Difference['line']>>): Difference => ({
      step: 5,
      op: 'x',
      node: 'pg3',
      field: 'lines',
      real: side === 'real' ? text : '—',
      model: side === 'model' ? text : '—',
      line: { process: 'walreceiver', text, side, opKind: 'stop', opNode: 'pg1', upstream: 'pg1', backupSource: false, selfStartedCheckpoint: false, ...at },
    });
    // seed-83 on 11.22: pg1, pg3's upstream, shut down while pg3's walreceiver ended a stream on its connection.
    const closed = 'FATAL:  error reading result of streaming command: server closed the connection unexpectedly';
    expect(limitation(line(closed, 'real', {}))).toBe('upstream-operation-takes-time');
    expect(limitation(line(closed, 'model', {}))).toBeNull();
    expect(limitation(line(closed, 'real', { opKind: 'promote' }))).toBeNull();
    expect(limitation(line(closed, 'real', { upstream: 'pg0' }))).toBeNull();
    // ext-3: the announcement in the reload's step (model) or the next one (real); not elsewhere.
    const announce = 'LOG:  standby "pg1" is now a synchronous standby with priority 1';
    const sync = (side: 'real' | 'model', changed: boolean) => line(announce, side, { process: 'walsender', opKind: 'insert', opNode: 'pg0', upstream: null, syncNamesChanged: changed });
    expect(limitation(sync('real', true))).toBe('sync-announcement-at-reply');
    expect(limitation(sync('model', true))).toBe('sync-announcement-at-reply');
    expect(limitation(sync('real', false))).toBeNull();
  });

  it('a promotion asked of a server that is not running leaves it a standby of its upstream (seed-51)', () => {
    const seq: Sequence = {
      id: 'promote-failed',
      seed: 51,
      nodes: [
        { name: 'pg0', upstream: null, rtt: 'latest' },
        { name: 'pg1', upstream: 'pg0', rtt: 'latest' },
      ],
      ops: [
        { kind: 'restart', node: 'pg1', rtt: 2 },
        { kind: 'promote', node: 'pg1' },
        { kind: 'restart', node: 'pg1', rtt: 'latest' },
      ],
    };
    const steps = runModel(seq, 15);
    expect(steps[1]!.nodes.pg1!.state).toBe('failed');
    // Restarted as the standby it still is: no `specified neither primary_conninfo nor restore_command`.
    expect(steps[2]!.nodes.pg1).toMatchObject({ state: 'running', role: 'standby' });
    expect(steps[2]!.nodes.pg1!.lines!.startup ?? []).not.toContain('WARNING:  specified neither primary_conninfo nor restore_command');
  });
});

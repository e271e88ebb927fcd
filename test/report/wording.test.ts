/**
 * The prose of a stall's cause (facts/templates/writes.ts) says what binds: commits queued behind
 * synchronous standbys that confirm far fewer than the connections and the round trip allow are held by the
 * standbys' intake of WAL (a thin link, a slow flush or replay), not by the round trip.
 */
import { describe, expect, it } from 'vitest';
import type { WriteCauseFact } from '../../src/history/facts/writes.ts';
import { factText } from '../../src/report/facts/index.ts';
import { decidedByText } from '../../src/report/facts/deciders.ts';
import { receiverText } from '../../src/report/lines.ts';

const pool = (txPerSecond: number, standbys: readonly string[] = []): WriteCauseFact => ({ kind: 'pool-queue', node: 'pg-b1', limit: { kind: 'synchronous-standbys', txPerSecond, connections: 100, roundMs: 20, standbys }, pool: 'clients', offered: 400, queueTimeout: null });

describe('a pool queue behind synchronous standbys', () => {
  it('names the round trip when it binds: 100 connections waiting 20 ms each confirm 5,000/s at most', () => {
    const t = factText(pool(4_800));
    expect(t).toContain('its 100 connections each wait at least 20 ms for a confirmation');
    expect(t).toContain('workload clients offers 400 requests/s');
  });

  it('says the standbys confirm WAL slower than it comes when far fewer are confirmed (pgaf-three-node-switchover: 148/s over a shared WAN link)', () => {
    const t = factText(pool(148));
    expect(t).toContain('confirm only 148 transactions/s: they take in the WAL slower than it comes');
    expect(t).toContain('would allow 5,000 transactions/s');
    expect(t).not.toContain('each wait at least');
    expect(factText(pool(0))).toContain('confirm no commit: they take in the WAL');
  });

  it('names the standbys the commits wait for when no single stream binds them (ANY 2 of three, FIRST 1)', () => {
    expect(factText(pool(148, ['pg-a2', 'pg-c1']))).toContain('the synchronous standbys of pg-b1 (pg-a2, pg-c1) confirm only 148 transactions/s');
    expect(factText(pool(4_800, ['pg-a2']))).toContain('the synchronous standbys of pg-b1 (pg-a2) confirm 4,800 transactions/s');
  });
});

describe('the pg_auto_failover monitor by name', () => {
  it('is "the monitor" when its node is named monitor (pgaf-three-node-switchover), not "the monitor monitor"', () => {
    expect(decidedByText({ kind: 'pgaf-monitor', monitor: 'monitor' })).toBe('the monitor');
    expect(decidedByText({ kind: 'pgaf-monitor', monitor: 'mon1' })).toBe('the monitor mon1');
  });
});

describe('an XID in a cause chain', () => {
  it('is written as PostgreSQL prints it (docs/report.md, Numbers), as the events write the xmin horizon', () => {
    const t = factText({ kind: 'xid-horizon-held', holder: 'transaction "report"', hold: 'xmin', xid: 1_000_000_600, fromAt: 60e6, toAt: 1800e6, runs: 0, tables: [], freezeBlocked: false } as never, (us) => `${us / 1e6} s`);
    expect(t).toContain('held xmin at XID 1000000600 from');
  });
});

describe('how a verdict ended', () => {
  it('a standby that does not stream "waits for" its upstream (wal-keep-size), never "waits from" it', () => {
    const t = factText({ kind: 'verdict-ended', at: 3600e6, how: { kind: 'receiver', node: 'pg2', streaming: false, upstream: 'pg1' } } as never, (us) => `${us / 1e6} s`);
    expect(t).toContain('pg2 waits for pg1, not streaming');
    expect(t).not.toContain('waits from');
  });
});

describe('a standby\'s walreceiver at the end (Nodes at the end)', () => {
  it('streams from its upstream, or waits with its upstream named, never "waiting from"', () => {
    const n = { upstream: 'pg1', receiver: 'waiting' } as never;
    expect(receiverText(n)).toBe('waiting, upstream pg1');
    expect(receiverText({ upstream: 'pg1', receiver: 'streaming' } as never)).toBe('streaming from pg1');
  });
});

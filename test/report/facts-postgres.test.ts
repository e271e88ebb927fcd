/**
 * The templates of the PostgreSQL session, vacuum, lock and backup facts (history/facts/vacuum.ts, locks.ts,
 * backup.ts): every kind has a sample here (a map over the kinds, so a new kind without one does not compile),
 * each renders to prose without leaking a field's raw form, and a fact's `rule` reaches the HTML and the JSON.
 */
import { describe, expect, it } from 'vitest';
import type { BackupFact } from '../../src/history/facts/backup.ts';
import type { Fact, FactOf } from '../../src/history/facts/index.ts';
import type { LockFact } from '../../src/history/facts/locks.ts';
import type { VacuumFact } from '../../src/history/facts/vacuum.ts';
import type { Lsn } from '../../src/models/postgres/lsn.ts';
import { factFromJson, factHtml, factJson, factText } from '../../src/report/facts/index.ts';
import { runScenario } from '../../src/run.ts';
import { mackerel } from '../support/builder.ts';

type Samples<F extends Fact> = { readonly [K in F['kind']]: readonly FactOf<K>[] };

const L = (hi: number, lo: number): Lsn => (hi * 2 ** 32 + lo) as Lsn;

const VACUUM: Samples<VacuumFact> = {
  'xmin-held': [
    { kind: 'xmin-held', node: 'pg1', session: 'report', how: 'transaction', xmin: 1234, holds: 'snapshot', isolation: 'read committed', hotStandbyFeedback: null, rule: 'procarray.c:ComputeXidHorizons' },
    { kind: 'xmin-held', node: 'pg2', session: 'olap', how: 'standby-query', xmin: 99, holds: 'snapshot', isolation: 'read committed', hotStandbyFeedback: false, rule: 'procarray.c:ComputeXidHorizons' },
    { kind: 'xmin-held', node: 'pg1', session: 'forgot', how: 'idle-in-transaction', xmin: 1300, holds: 'xid', isolation: 'read committed', hotStandbyFeedback: null, rule: 'procarray.c:ComputeXidHorizons' },
    { kind: 'xmin-held', node: 'pg1', session: 'browse', how: 'idle-in-transaction', xmin: null, holds: null, isolation: 'read committed', hotStandbyFeedback: null, rule: 'procarray.c:ComputeXidHorizons' },
    { kind: 'xmin-held', node: 'pg2', session: 'dash', how: 'standby-query', xmin: null, holds: null, isolation: 'read committed', hotStandbyFeedback: true, rule: 'procarray.c:ComputeXidHorizons' },
  ],
  'session-query-cancelled': [{ kind: 'session-query-cancelled', node: 'pg1', session: 'report', timeout: 120e6, rule: 'postgres.c:ProcessInterrupts' }],
  'idle-session-terminated': [{ kind: 'idle-session-terminated', node: 'pg1', session: 'forgot', timeout: 600e6, rule: 'postgres.c:ProcessInterrupts' }],
  'transaction-ended': [{ kind: 'transaction-ended', node: 'pg1', session: 'report' }],
  'vacuum-truncated': [{ kind: 'vacuum-truncated', table: 'app.public.t', bytes: 2 * 1024 ** 3, held: 4.3e6, rule: 'vacuumlazy.c:lazy_truncate_heap' }],
  'vacuum-truncate-skipped': [{ kind: 'vacuum-truncate-skipped', table: 'app.public.t', rule: 'vacuumlazy.c:lazy_truncate_heap' }],
  'long-reads-cancelled': [{ kind: 'long-reads-cancelled', workload: 'clients', duration: 600e6, timeout: 30e6, rule: 'postgres.c:ProcessInterrupts' }],
  'vacuum-failed': [
    { kind: 'vacuum-failed', who: 'VACUUM app.big', failure: 'lock_timeout', rule: 'postgres.c:ProcessInterrupts' },
    { kind: 'vacuum-failed', who: 'VACUUM app.big', failure: 'cancelled' },
  ],
  'single-user-vacuum-started': [{ kind: 'single-user-vacuum-started', node: 'pg1', database: 'app', version: 13 }],
  'single-user-vacuum-done': [{ kind: 'single-user-vacuum-done', node: 'pg1', database: 'app', duration: 3723.4e6 }],
  'table-dropped': [{ kind: 'table-dropped', table: 'app.public.old' }],
  'table-rewritten': [{ kind: 'table-rewritten', table: 'app.public.t', effect: 'truncate', age: 12345, rule: 'heapam_handler.c:heapam_relation_set_new_filenode' }],
  'rows-deleted': [{ kind: 'rows-deleted', table: 'app.t', rows: 50_000_000, dead: 50_000_120 }],
  'autovacuum-skipped': [{ kind: 'autovacuum-skipped', table: 'app.public.t', rule: 'vacuum.c:vacuum_open_relation' }],
  'vacuum-run': [
    { kind: 'vacuum-run', by: 'autovacuum', table: 'app.public.t', freeze: false, antiWraparound: true, aggressive: true, outcome: { kind: 'cancelled', why: { kind: 'lock-conflict', by: 'ALTER TABLE', mode: 'AccessExclusiveLock', table: 'app.public.t' } }, rule: 'vacuumlazy.c:heap_vacuum_rel' },
    { kind: 'vacuum-run', by: 'manual', table: 'app.public.t', freeze: true, antiWraparound: false, aggressive: true, outcome: { kind: 'held', holder: { kind: 'logical-slot', slot: 'debezium', database: 'app' }, deadKept: true, frozenxidHeld: true }, rule: 'vacuumlazy.c:heap_vacuum_rel' },
    {
      kind: 'vacuum-run',
      by: 'single-user',
      table: 'app.public.t',
      freeze: false,
      antiWraparound: false,
      aggressive: false,
      outcome: { kind: 'done', detail: { duration: 1800e6, bytes: 2 ** 30, bytesPerSecond: 4e6, failsafe: true, ageBefore: 1.6e9, ageAfter: 5e7 } },
      rule: 'vacuumlazy.c:lazy_check_wraparound_failsafe',
    },
  ],
  'limits-recomputed-still-warning': [{ kind: 'limits-recomputed-still-warning', database: 'app', advanced: true, oldest: 'app', rule: 'vacuum.c:vac_update_datfrozenxid' }],
  'xid-stop-lifted': [{ kind: 'xid-stop-lifted', age: 2_099_000_000, rule: 'varsup.c:SetTransactionIdLimit' }],
  'xid-warn-limit': [{ kind: 'xid-warn-limit', remaining: 40_000_000, rule: 'varsup.c:GetNewTransactionId' }],
  'xid-stop-limit': [{ kind: 'xid-stop-limit', rule: 'varsup.c:GetNewTransactionId' }],
};

const LOCKS: Samples<LockFact> = {
  'table-missing': [{ kind: 'table-missing', statement: 'TRUNCATE', table: 'gone' }],
  'statement-failed': [{ kind: 'statement-failed', who: '"migrate" ALTER TABLE', table: 'app.public.t', after: 2.5e6, failure: 'lock_timeout', session: 'migrate', rule: 'postgres.c:ProcessInterrupts' }],
  'statement-locked': [{ kind: 'statement-locked', who: 'ALTER TABLE', mode: 'AccessExclusiveLock', table: 'app.public.t', waited: 61e6, duration: 0.25e6, rule: 'lock.c:LockAcquire' }],
  'statement-waits-for-snapshots': [{ kind: 'statement-waits-for-snapshots', who: 'CREATE INDEX CONCURRENTLY', table: 'app.public.t', sessions: ['report'], rule: 'indexcmds.c:WaitForOlderSnapshots' }],
  'lock-acquired-after-wait': [{ kind: 'lock-acquired-after-wait', who: 'ALTER TABLE', mode: 'AccessExclusiveLock', table: 'app.public.t', waited: 1.26e6, rule: 'proc.c:ProcSleep' }],
  'lock-still-waiting': [{ kind: 'lock-still-waiting', who: 'ALTER TABLE', mode: 'AccessExclusiveLock', table: 'app.public.t', rule: 'proc.c:ProcSleep' }],
  'autovacuum-cancel-sent': [{ kind: 'autovacuum-cancel-sent', by: 'ALTER TABLE', table: 'app.public.t', rule: 'proc.c:ProcSleep' }],
};

const recovery = { target: 'lsn', targetLsn: L(0, 0x30000f8), action: 'promote' } as const;
const BACKUP: Samples<BackupFact> = {
  'data-directory-destroyed': [{ kind: 'data-directory-destroyed', node: 'pg2' }],
  'basebackup-failed': [
    { kind: 'basebackup-failed', node: 'pg2', backup: null, from: 'pg1', failure: { kind: 'not-empty' }, rule: 'pg_basebackup.c:verify_dir_is_empty_or_create' },
    { kind: 'basebackup-failed', node: null, backup: 'nightly', from: 'pg1', failure: { kind: 'segment-removed', segment: '000000010000000000000003' } },
    { kind: 'basebackup-failed', node: 'pg2', backup: null, from: 'pg1', failure: { kind: 'walsenders-exhausted', max: 2, wanted: 2 }, rule: 'proc.c:InitProcess' },
  ],
  'basebackup-started': [
    { kind: 'basebackup-started', node: null, backup: 'nightly', site: 'b', from: 'pg1', checkpoint: 'spread', wait: 135e6, walMethod: 'fetch', bytes: 2 ** 30, rate: 100 * 2 ** 20, duration: 10.24e6, startLsn: L(0, 0x3000028), hold: { kind: 'fetch' } },
  ],
  'basebackup-done': [{ kind: 'basebackup-done', node: 'pg2', backup: null, site: 'a', from: 'pg1', startLsn: L(0, 0x3000028), endLsn: L(0, 0x5000000), timeline: 1 }],
  'rewind-failed': [{ kind: 'rewind-failed', node: 'pg1', from: 'pg2', failure: { kind: 'wal-missing', segment: '000000010000000000000002', lsn: L(0, 0x2000060), previousRecord: L(0, 0x2fffff8) } }],
  'rewind-not-required': [{ kind: 'rewind-not-required', node: 'pg1', from: 'pg2', lsn: L(0, 0x3000000), forkLsn: L(0, 0x3000000), rule: 'pg_rewind.c:main' }],
  'rewind-started': [{ kind: 'rewind-started', node: 'pg1', from: 'pg2', undone: 3 * 2 ** 20, forkLsn: L(0, 0x3000000), bytes: 2 ** 30, duration: 11e6 }],
  'rewind-done': [
    { kind: 'rewind-done', node: 'pg1', from: 'pg2', timeline: 2, redo: L(0, 0x2000028), held: 2 ** 24, sourceOldest: L(0, 0x1000000) },
    { kind: 'rewind-done', node: 'pg1', from: 'pg2', timeline: 2, redo: L(0, 0x2000028), held: 0, sourceOldest: L(0, 0x5000000) },
  ],
  'restore-refused': [
    { kind: 'restore-refused', node: 'pg3', why: { kind: 'backup-failed', backup: 'nightly', failure: { kind: 'basebackup-failed', node: null, backup: 'nightly', from: 'pg1', failure: { kind: 'source-down' } } } },
  ],
  'restore-started': [
    { kind: 'restore-started', node: 'pg3', backup: 'nightly', from: 'pg1', checkpointLsn: L(0, 0x3000028), endLsn: L(0, 0x5000000), timeline: 1, bytes: 2 ** 30, rate: 2 ** 27, duration: 8e6, recovery, version: 11 },
  ],
  'restore-installed': [{ kind: 'restore-installed', node: 'pg3', backup: 'nightly', recovery: { target: 'latest', targetLsn: null, action: 'pause' } }],
  'archive-recovery-started': [{ kind: 'archive-recovery-started', node: 'pg3', backup: 'nightly', recovery: { target: 'time', targetLsn: null, action: 'shutdown' }, timeline: 1 }],
  'recovery-target-reached': [{ kind: 'recovery-target-reached', node: 'pg3', lsn: L(0, 0x30000f8), reason: 'after LSN 0/30000F8', action: 'promote', rule: 'xlogrecovery.c:recoveryStopsAfter' }],
  'archive-recovery-complete': [{ kind: 'archive-recovery-complete', node: 'pg3', lsn: L(0, 0x7000000) }],
  'archive-ran-out': [{ kind: 'archive-ran-out', node: 'pg3', lsn: L(0, 0x7000000), version: 12 }],
  'archive-recovery-failed': [{ kind: 'archive-recovery-failed', node: 'pg3', error: 'recovery ended before configured recovery target was reached', rule: 'xlogrecovery.c:PerformWalRecovery' }],
  'slot-not-created': [{ kind: 'slot-not-created', node: 'pg1', slot: 's', max: 10, rule: 'slot.c:ReplicationSlotCreate' }],
  'slot-invalidated': [
    { kind: 'slot-invalidated', node: 'pg1', slot: 'debezium', limit: 2 ** 30, segments: 64, horizon: null, version: 15, rule: 'slot.c:InvalidateObsoleteReplicationSlots' },
    { kind: 'slot-invalidated', node: 'pg1', slot: 'debezium', limit: 2 ** 30, segments: 64, horizon: 'released', version: 16, rule: 'slot.c:InvalidateObsoleteReplicationSlots' },
  ],
  'slot-invalidated-idle': [{ kind: 'slot-invalidated-idle', node: 'pg1', slot: 'debezium', idle: 90_061e6, timeout: 86_400e6, horizon: 'released', rule: 'slot.c:InvalidateObsoleteReplicationSlots' }],
};

const all = (s: Samples<Fact>): Fact[] => Object.values(s).flat() as Fact[];

describe.each([
  ['vacuum', VACUUM],
  ['locks', LOCKS],
  ['backup', BACKUP],
] as const)('%s facts', (_family, samples) => {
  it('every kind renders as prose with no raw field (undefined, null, [object Object], a bare LSN number)', () => {
    for (const f of all(samples as Samples<Fact>)) {
      const text = factText(f);
      expect(text.length, f.kind).toBeGreaterThan(10);
      expect(text, f.kind).not.toMatch(/undefined|null|\[object|NaN/);
      // LSNs print as PostgreSQL writes them, never as the number the model holds.
      for (const v of Object.values(f)) if (typeof v === 'number' && v > 2 ** 24 && Number.isInteger(v)) expect(text).not.toContain(String(v));
    }
  });

  it('the JSON carries every field (the rule too) and reads back as the same fact', () => {
    for (const f of all(samples as Samples<Fact>)) {
      const j = factJson(f);
      expect(factFromJson(j)).toEqual(f);
      if ('rule' in f) expect(j['rule']).toBe(f.rule);
    }
  });

  it('the HTML shows the rule beside the prose, with a title saying what it is', () => {
    for (const f of all(samples as Samples<Fact>)) {
      const html = factHtml(f);
      if ('rule' in f && f.rule !== undefined) expect(html).toContain(`<span class="rule" title="the model follows ${f.rule} in the real source">${f.rule}</span>`);
      else expect(html).not.toContain('class="rule"');
    }
  });
});

describe('the prose of PostgreSQL facts: numbers through format.ts (sizes binary, rates decimal per second, durations in their two largest units)', () => {
  it('vacuum and XID limits', () => {
    const [cancelled, held, done] = VACUUM['vacuum-run'];
    expect(factText(cancelled!)).toBe('autovacuum of app.public.t (to prevent wraparound) cancelled: ALTER TABLE waited deadlock_timeout for AccessExclusiveLock on app.public.t, which the autovacuum held; nothing it did is kept');
    expect(factText(held!)).toBe('VACUUM FREEZE of app.public.t (aggressive): held back by logical slot "debezium" (database app) holding catalog_xmin: dead rows it can still see stay, and relfrozenxid cannot pass its xmin');
    expect(factText(done!)).toBe('single-user VACUUM of app.public.t done in 30 min (1 GiB at 4 MB/s, failsafe: no cost delay): age(relfrozenxid) 1,600,000,000 → 50,000,000');
    expect(factText(VACUUM['xmin-held'][1]!)).toBe('a query on standby pg2 "olap" holds the xmin horizon at 99: without hot_standby_feedback it holds nothing on the primary');
    expect(factText(VACUUM['single-user-vacuum-done'][0]!)).toBe('single-user VACUUM of app done after 1 h 2 min: the server starts again');
    expect(factText(VACUUM['xid-warn-limit'][0]!)).toBe('age(datfrozenxid) reached the warning limit: every command that assigns an XID now gets a WARNING (40,000,000 transactions left before wraparound)');
  });

  it('locks', () => {
    expect(factText(LOCKS['statement-failed'][0]!)).toBe('"migrate" ALTER TABLE on app.public.t failed after 2.5 s: lock_timeout passed while it waited for its lock; session "migrate"\'s transaction is aborted: its locks and its snapshot are released');
    expect(factText(LOCKS['statement-locked'][0]!)).toBe('ALTER TABLE has its AccessExclusiveLock on app.public.t after waiting 1 min 1 s; it runs for 250 ms');
    expect(factText(LOCKS['lock-acquired-after-wait'][0]!)).toBe('ALTER TABLE acquired AccessExclusiveLock on app.public.t after waiting 1.3 s');
  });

  it('backups, rewinds and restores', () => {
    expect(factText(BACKUP['basebackup-started'][0]!)).toBe(
      'pg_basebackup "nightly" into the backup store at site b from pg1 (checkpoint spread, 2 min 15 s, -X fetch): copying 1 GiB at 105 MB/s takes 10.2 s; nothing keeps the WAL from 0/3000028 on pg1 (-X fetch takes it at the end)',
    );
    expect(factText(BACKUP['restore-refused'][0]!)).toBe('restore of a base backup into pg3 refused: backup "nightly" failed (pg_basebackup "nightly" failed: pg1 went down during the copy)');
    expect(factText(BACKUP['restore-started'][0]!)).toBe(
      'restoring base backup "nightly" (of pg1, WAL 0/3000028 to 0/5000000 on timeline 1) into pg3: copying 1 GiB at 134 MB/s takes 8 s; then archive recovery to LSN 0/30000F8, then promote (recovery.conf)',
    );
    expect(factText(BACKUP['recovery-target-reached'][0]!)).toBe('pg3 reached its recovery target at 0/30000F8 (after LSN 0/30000F8); WAL after 0/30000F8 is not replayed: recovery_target_action = promote');
    expect(factText(BACKUP['slot-invalidated'][0]!)).toBe('slot "debezium" invalidated: it retained more than max_slot_wal_keep_size = 1GiB (64 whole segments)');
  });
});

describe('rules in a run', () => {
  it('the JSON report of a run carries the rule of the facts that cite one', () => {
    const { report } = runScenario(mackerel());
    const ruled = report.events.filter((e) => typeof e.fact['rule'] === 'string');
    expect(ruled.map((e) => e.fact['rule'])).toContain('xlogrecovery.c:WaitForWALToBecomeAvailable');
    // The text (the event's message) does not print it.
    for (const e of ruled) expect(e.message).not.toContain(String(e.fact['rule']));
  });
});

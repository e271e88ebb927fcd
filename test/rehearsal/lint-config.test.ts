import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, mkdirSync, readFileSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { drbdBytes, drbdResources, readDrbdFile } from '../../src/rehearsal/lint/config/drbd.ts';
import { GUCS, parseConninfo } from '../../src/rehearsal/lint/config/gucs.ts';
import { ConfigError, lintConfigPaths } from '../../src/rehearsal/lint/config/index.ts';
import { lastWins, readConf } from '../../src/rehearsal/lint/config/pgconf.ts';
import { readPatroni } from '../../src/rehearsal/lint/config/patroni.ts';
import type { Finding } from '../../src/rehearsal/lint/types.ts';

const F = 'test/fixtures/config';
const lintConfig = (paths: string[], extra: Partial<Parameters<typeof lintConfigPaths>[1]> = {}) => lintConfigPaths(paths, { pgVersion: null, walRate: null, ...extra });
const tmp = () => mkdtempSync(join(tmpdir(), 'replsim-config-'));

describe('postgresql.conf as the server reads it', () => {
  it('quotes, escapes, optional =, comments, case, includes in place and the last setting winning', () => {
    const dir = tmp();
    mkdirSync(join(dir, 'conf.d'));
    writeFileSync(join(dir, 'conf.d', '20-b.conf'), "Wal_Keep_Size = '2GB'\n");
    writeFileSync(join(dir, 'conf.d', '10-a.conf'), 'wal_keep_size 1GB\n');
    writeFileSync(join(dir, 'conf.d', '.hidden.conf'), 'wal_keep_size = 9GB\n');
    writeFileSync(
      join(dir, 'postgresql.conf'),
      ["# comment", "application_name = 'it''s a \\'test\\''   # trailing", 'wal_keep_size = 64MB', "include_dir 'conf.d'", "include_if_exists 'missing.conf'", 'checkpoint_timeout=10min'].join('\n'),
    );
    const s = lastWins(readConf(join(dir, 'postgresql.conf')));
    expect(s.get('application_name')!.value).toBe("it's a 'test'");
    expect(s.get('wal_keep_size')).toMatchObject({ value: '2GB', where: { file: join(dir, 'conf.d', '20-b.conf'), line: 1, column: 1 } });
    expect(s.get('checkpoint_timeout')!.value).toBe('10min');
    writeFileSync(join(dir, 'bad.conf'), "a = 1\nb = 'open\n");
    expect(() => readConf(join(dir, 'bad.conf'))).toThrow(ConfigError);
    try {
      readConf(join(dir, 'bad.conf'));
    } catch (e) {
      expect((e as ConfigError).format()).toBe(`${join(dir, 'bad.conf')}:2:5: syntax error: unterminated quoted string`);
    }
    writeFileSync(join(dir, 'inc.conf'), "include 'nope.conf'\n");
    expect(() => readConf(join(dir, 'inc.conf'))).toThrow(/could not open configuration file/);
  });

  it('units: memory in powers of 1024, each setting its own base unit', () => {
    expect(GUCS.wal_keep_size!('512', 15)).toEqual({ walKeepSize: 512 * 2 ** 20 });
    expect(GUCS.wal_keep_size!('1GB', 15)).toEqual({ walKeepSize: 2 ** 30 });
    expect(GUCS.checkpoint_timeout!('600', 15)).toEqual({ checkpointTimeout: 600e6 });
    expect(GUCS.wal_receiver_timeout!('5000', 15)).toEqual({ walReceiverTimeout: 5e6 });
    expect(GUCS.max_slot_wal_keep_size!('-1', 15)).toEqual({ maxSlotWalKeepSize: null });
    // Up to 11 recovery.conf knows only 'latest' and numbers: 'current' goes through strtoul and reads as 0, latest.
    expect(GUCS.recovery_target_timeline!('current', 11)).toEqual({ recoveryTargetTimeline: 'latest' });
    expect(GUCS.recovery_target_timeline!('current', 12)).toEqual({ recoveryTargetTimeline: 'current' });
    expect(parseConninfo("user=postgres host='/tmp/x y' port=55432").get('host')).toBe('/tmp/x y');
    expect(parseConninfo('postgresql://rep@db1.example:5433/postgres?application_name=s2')).toEqual(new Map([['host', 'db1.example'], ['port', '5433'], ['application_name', 's2']]));
  });

  // The files were written by Debian's PostgreSQL 15 (initdb, pg_basebackup -R); the server itself says what they hold.
  const pgBin = '/usr/lib/postgresql/15/bin/postgres';
  it.skipIf(!existsSync(pgBin) || process.getuid?.() !== 0)('reads the fixtures as postgres -C of the real 15 server does', () => {
    for (const d of [`${F}/pg15/primary`, `${F}/pg15/standby2`, `${F}/pg15-current/standby2`]) {
      const parent = tmp();
      chmodSync(parent, 0o755);
      const copy = join(parent, 'data');
      cpSync(d, copy, { recursive: true });
      chmodSync(copy, 0o700);
      spawnSync('chown', ['-R', 'postgres', copy]);
      const mine = lastWins([...readConf(join(copy, 'postgresql.conf')), ...readConf(join(copy, 'postgresql.auto.conf'), { includes: false })]);
      for (const name of ['port', 'wal_keep_size', 'recovery_target_timeline', 'primary_conninfo', 'max_wal_size']) {
        const real = spawnSync('su', ['postgres', '-s', '/bin/sh', '-c', `${pgBin} -D ${copy} -C ${name}`], { encoding: 'utf8' }).stdout.trim();
        const value = mine.get(name)?.value;
        if (name === 'wal_keep_size' || name === 'max_wal_size') expect(value === undefined ? real : String(GUCS[name]!(value, 15)![name === 'wal_keep_size' ? 'walKeepSize' : 'maxWalSize']! / 2 ** 20)).toBe(real);
        else if (value !== undefined) expect(value).toBe(real);
      }
    }
  });
});

describe('lint --config', () => {
  it("Mackerel's case: a 9.3 recovery.conf without recovery_target_timeline = 'latest' on a cascading standby", () => {
    const fs = lintConfig([`${F}/pg93/db001`, `${F}/pg93/db002`]);
    expect(fs).toHaveLength(1);
    expect(fs[0]).toMatchObject({ id: 'cascade-stays-on-old-timeline', severity: 'error', where: { file: `${F}/pg93/db002/recovery.conf`, line: 1 } });
    expect(fs[0]!.message).toContain("db002 cascades from the standby db001 and will not follow its promotion: recovery_target_timeline = 'current' (the 9.3 default)");
    expect(lintConfig([`${F}/pg93/db001`, `${F}/pg93-fixed/db002`])).toEqual([]);
    // Alone, db002's upstream is unknown: a warning, since it may be a standby.
    expect(lintConfig([`${F}/pg93/db002`])[0]).toMatchObject({ severity: 'warning' });
  });

  it('files written by the real 15 server: clean as written; a DBA\'s include setting current is found, at its line', () => {
    expect(lintConfig([`${F}/pg15/primary`, `${F}/pg15/standby1`, `${F}/pg15/standby2`])).toEqual([]);
    const fs = lintConfig([`${F}/pg15/primary`, `${F}/pg15/standby1`, `${F}/pg15-current/standby2`]);
    expect(fs.map((f) => [f.id, f.severity, f.where.file, f.where.line])).toEqual([['cascade-stays-on-old-timeline', 'error', `${F}/pg15-current/standby2/conf.d/recovery.conf`, 2]]);
  });

  it("recovery.conf as pg_basebackup -R wrote it for a real 11 server: the cascade that stayed on timeline 1 is an error; 'latest' is clean", () => {
    // test/fixtures/config/README.md: promoted, standby1 went to timeline 2 and the real standby2 kept
    // logging "primary server contains no more WAL on requested timeline 1"; with 'latest' it followed.
    const fs = lintConfig([`${F}/pg11/primary`, `${F}/pg11/standby1`, `${F}/pg11/standby2`]);
    expect(fs.map((f) => [f.id, f.severity, f.where.file, f.where.line])).toEqual([['cascade-stays-on-old-timeline', 'error', `${F}/pg11/standby2/recovery.conf`, 1]]);
    expect(fs[0]!.message).toContain("standby2 cascades from the standby standby1 and will not follow its promotion: recovery_target_timeline = 'current' (the 11 default)");
    const fixed = join(tmp(), 'standby2');
    cpSync(`${F}/pg11/standby2`, fixed, { recursive: true });
    writeFileSync(join(fixed, 'recovery.conf'), `${readFileSync(join(fixed, 'recovery.conf'), 'utf8')}recovery_target_timeline = 'latest'\n`);
    expect(lintConfig([`${F}/pg11/primary`, `${F}/pg11/standby1`, fixed])).toEqual([]);
  });

  it('how each version starts: recovery.conf stops a 12+ server; standby.signal means nothing before 12; the version must be known', () => {
    const d = join(tmp(), 'node');
    cpSync(`${F}/pg15/standby1`, d, { recursive: true });
    writeFileSync(join(d, 'recovery.conf'), "standby_mode = 'on'\n");
    expect(lintConfig([d]).find((f) => f.id === 'recovery-file-ignored')).toMatchObject({ severity: 'error' });
    const old = join(tmp(), 'old');
    mkdirSync(old);
    writeFileSync(join(old, 'PG_VERSION'), '11\n');
    writeFileSync(join(old, 'standby.signal'), '');
    expect(lintConfig([old]).find((f) => f.id === 'recovery-file-ignored')).toMatchObject({ severity: 'warning' });
    const bare = join(tmp(), 'postgresql.conf');
    writeFileSync(bare, 'port = 5432\n');
    expect(() => lintConfig([bare])).toThrow(/give --pg-version/);
    expect(lintConfig([bare], { pgVersion: '15' })).toEqual([]);
  });

  it("Debian's layout, written by pg_createcluster and pg_basebackup -R on the real 15: configuration and data directories apart", () => {
    // test/fixtures/config/README.md: the real lintc stayed on timeline 1 when lints was promoted.
    const D = `${F}/debian15`;
    const etc = ['lintp', 'lints', 'lintc'].map((c) => `${D}/etc/postgresql/15/${c}`);
    const data = ['lintp', 'lints', 'lintc'].map((c) => `${D}/var/lib/postgresql/15/${c}`);
    const summary = (fs: Finding[]) => fs.map((f) => [f.id, f.severity, f.where.file, f.where.line]);
    const expected = [
      ['cascade-stays-on-old-timeline', 'error', `${D}/etc/postgresql/15/lintc/conf.d/replication.conf`, 2],
      ['standby-lag-beyond-retention', 'warning', `${D}/var/lib/postgresql/15/lintc/standby.signal`, 1],
      ['standby-lag-beyond-retention', 'warning', `${D}/var/lib/postgresql/15/lints/standby.signal`, 1],
    ];
    // The configuration directories: data_directory is found beside them (the files collected with their paths).
    expect(summary(lintConfig(etc))).toEqual(expected);
    // The data directories: postmaster.opts names the configuration file the server was started with.
    expect(summary(lintConfig(data))).toEqual(expected);
    // Both: each server counts once.
    expect(summary(lintConfig([...etc, ...data]))).toEqual(expected);
    // A data directory with neither postgresql.conf nor a way to find it is read, and said to be read, without it.
    const bare = join(tmp(), 'data');
    cpSync(data[2]!, bare, { recursive: true });
    writeFileSync(join(bare, 'postmaster.opts'), '/usr/lib/postgresql/15/bin/postgres "-D" "/srv/pg"\n');
    expect(summary(lintConfig([bare])).find((f) => f[0] === 'config-file-not-found')).toEqual(['config-file-not-found', 'warning', bare, 1]);
    // A configuration directory whose data directory is not there: a primary as far as it shows, and said so;
    // Debian's path gives the version.
    const conf = join(tmp(), 'etc/postgresql/16/lintc');
    cpSync(etc[2]!, conf, { recursive: true });
    writeFileSync(join(conf, 'postgresql.conf'), readFileSync(join(conf, 'postgresql.conf'), 'utf8').replace('/var/lib/postgresql/15/lintc', '/nowhere/16/lintc'));
    const fs = lintConfig([conf]);
    expect(summary(fs)).toEqual([['data-directory-not-found', 'warning', join(conf, 'postgresql.conf'), 42]]);
  });

  it('a standby with no slot and no archive, against the WAL its upstream keeps at the given rate', () => {
    const fs = lintConfig([`${F}/pg15/primary`, `${F}/pg15/standby1`], { walRate: 5e6 });
    const r = fs.find((f) => f.id === 'standby-lag-beyond-retention')!;
    expect(r.severity).toBe('error');
    expect(r.message).toMatch(/standby1 falls 2\.8 GiB behind primary, more than primary keeps/);
    expect(lintConfig([`${F}/pg15/primary`, `${F}/pg15/standby1`], { walRate: 2e5 }).some((f) => f.id === 'standby-lag-beyond-retention')).toBe(false);
  });

  it('DRBD files: units as drbd_limits.h scales them, common defaults, and the send buffer rule with a write rate', () => {
    expect(drbdBytes('40M', 1024, { file: 'x', line: 1, column: 1 })).toBe(40 * 2 ** 20);
    expect(drbdBytes('40960', 1024, { file: 'x', line: 1, column: 1 })).toBe(40 * 2 ** 20);
    expect(drbdBytes('8', 512, { file: 'x', line: 1, column: 1 })).toBe(4096);
    const [vol] = drbdResources(readDrbdFile(`${F}/drbd/drbd.conf`));
    expect(vol).toMatchObject({ name: 'vol', protocol: 'A', onCongestion: 'block', sndbufSize: 8 * 2 ** 20, resyncRate: 40 * 2 ** 20, cPlanAhead: 0, hosts: ['store-old', 'store-new'] });
    const fs = lintConfig([`${F}/drbd`], { writeRate: 20e6, line: { bandwidth: 1.25e8, latency: 1000 as never } });
    expect(fs.find((f) => f.id === 'drbd-sndbuf-too-small')).toMatchObject({ severity: 'warning', where: { file: `${F}/drbd/vol.res`, line: 4 } });
    expect(lintConfig([`${F}/drbd`], { writeRate: 200e6, line: { bandwidth: 1.25e8, latency: 1000 as never } }).find((f) => f.id === 'drbd-sndbuf-too-small')!.severity).toBe('error');
  });

  it('DRBD files: disk-flushes no and md-flushes no are warned of (write_cache, docs/model-drbd.md)', () => {
    const fs = lintConfig([`${F}/drbd-flushes`], {}).filter((f) => f.id === 'drbd-flushes-off');
    expect(fs.map((f) => [f.severity, f.where.line, f.message])).toEqual([
      ['warning', 4, 'r0: disk-flushes no: safe only if every backing disk\'s write cache is battery- or flash-backed'],
      ['warning', 5, 'r0: md-flushes no: safe only if every backing disk\'s write cache is battery- or flash-backed'],
    ]);
    expect(lintConfig([`${F}/drbd`], {}).filter((f) => f.id === 'drbd-flushes-off')).toEqual([]);
  });

  it.skipIf(!existsSync('/usr/sbin/drbdadm'))('the DRBD fixture is valid for drbdadm', () => {
    const r = spawnSync('/usr/sbin/drbdadm', ['-c', `${F}/drbd/drbd.conf`, 'dump', 'all'], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/protocol\s+A;/);
  });

  it('Patroni: replicas it manages follow the newest timeline; a large maximum_lag_on_failover against the WAL rate', () => {
    expect(lintConfig([`${F}/patroni.yml`, `${F}/pg15/primary`, `${F}/pg15/standby1`, `${F}/pg15-current/standby2`]).some((f) => f.id === 'cascade-stays-on-old-timeline')).toBe(false);
    const fs = lintConfig([`${F}/patroni.yml`, `${F}/pg15/standby1`], { walRate: 5e6 });
    expect(fs.find((f) => f.id === 'failover-candidate-behind')).toMatchObject({ severity: 'warning', where: { file: `${F}/patroni.yml`, line: 13 } });
    // synchronous_mode: quorum (4.0+) is synchronous too (global_config.py is_synchronous_mode, is_quorum_commit_mode).
    const quorum = join(tmp(), 'patroni.yml');
    writeFileSync(quorum, readFileSync(`${F}/patroni.yml`, 'utf8').replace('synchronous_mode: false', 'synchronous_mode: quorum'));
    expect(readPatroni(quorum)).toMatchObject({ synchronousMode: true, quorumCommit: true });
    expect(readPatroni(`${F}/patroni.yml`)).toMatchObject({ quorumCommit: false });
  });
});

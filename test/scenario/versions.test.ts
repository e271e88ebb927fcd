import { describe, expect, it } from 'vitest';
import { loadScenarioText } from '../../src/scenario/load.ts';
import type { PgSettingsSpec } from '../../src/scenario/types.ts';
import { errorOf } from './helpers.ts';

function withSettings(version: string, settings: string): string {
  return `name: t
start: 2020-01-01T00:00:00Z
duration: 1h
sites: [a]
clusters:
  c:
    nodes:
      p: {site: a, version: ${version}, settings: {${settings}}}
`;
}

const settingsOf = (version: string, settings: string): PgSettingsSpec =>
  loadScenarioText(withSettings(version, settings), 't.yaml').clusters[0]!.nodes[0]!.settings;

describe('versions', () => {
  it.each([
    ['9.2', 9.2],
    ['"9.3"', 9.3],
    ['9.6', 9.6],
    ['10', 10],
    ['"15"', 15],
    ['18', 18],
  ])('accepts %s', (v, n) => {
    expect(loadScenarioText(withSettings(v, ''), 't.yaml').clusters[0]!.nodes[0]!.version).toBe(n);
  });

  it('rejects unsupported versions with a hint for minor versions', () => {
    expect(errorOf(withSettings('9.1', '')).message).toBe('version in node "p": "9.1" is not a supported PostgreSQL major version');
    expect(errorOf(withSettings('"15.4"', '')).hint).toBe('did you mean "15"? (the major version)');
    expect(errorOf(withSettings('"9.3.5"', '')).hint).toBe('did you mean "9.3"? (the major version)');
    expect(errorOf(withSettings('20', '')).expected).toMatch(/9\.2, 9\.3, .*, 18$/);
  });

  it('refuses 19, which the docs do not cover yet', () => {
    const e = errorOf(withSettings('19', ''));
    expect(e.message).toBe('version in node "p": "19" is not a supported PostgreSQL major version');
    expect(e.hint).toBe('replsim models PostgreSQL up to 18 (the newest release its docs cover)');
  });
});

describe('one major version per cluster', () => {
  const cluster = (pv: string, s1v: string, s2v: string): string => `name: t
start: 2020-01-01T00:00:00Z
duration: 1h
sites: [a]
clusters:
  c:
    nodes:
      p: {site: a, version: ${pv}}
      s1: {site: a, version: ${s1v}, upstream: p}
      s2: {site: a, version: ${s2v}, upstream: s1}
`;

  it('refuses a standby whose upstream runs another major version, at its version key', () => {
    const e = errorOf(cluster('"9.3"', '"9.3"', '15'));
    expect(e.message).toBe('node "s2" is PostgreSQL 15 but its upstream "s1" is 9.3: physical replication needs one major version on both ends');
    expect([e.line, e.column]).toEqual([10, 30]); // the value of s2's version
    expect(e.hint).toMatch(/give every node of cluster "c" the same version/);
  });

  it('refuses a node that agrees with its upstream but not with the rest of the cluster', () => {
    expect(errorOf(cluster('12', '13', '13')).message).toBe(
      'node "s1" is PostgreSQL 13 but its upstream "p" is 12: physical replication needs one major version on both ends',
    );
  });

  it('accepts one version throughout, written as a number or a string', () => {
    expect(loadScenarioText(cluster('"15"', '15', '15'), 't.yaml').clusters[0]!.nodes.map((n) => n.version)).toEqual([15, 15, 15]);
  });
});

describe('version rules of settings', () => {
  it('wal_retrieve_retry_interval did not exist before 9.5', () => {
    const e = errorOf(withSettings('"9.3"', 'wal_retrieve_retry_interval: 1s'));
    expect(e.message).toBe(
      'wal_retrieve_retry_interval in settings of node "p" (PostgreSQL 9.3) did not exist before 9.5: the retry wait was fixed at 5 s',
    );
    expect(e.line).toBe(8);
    expect(settingsOf('9.5', 'wal_retrieve_retry_interval: 1s').walRetrieveRetryInterval).toBe(1_000_000);
  });

  it('synchronous_commit remote_apply needs 9.6', () => {
    expect(errorOf(withSettings('9.5', 'synchronous_commit: remote_apply')).message).toMatch(/remote_apply was added in PostgreSQL 9.6/);
    expect(settingsOf('9.6', 'synchronous_commit: remote_apply').synchronousCommit).toBe('remote_apply');
    expect(settingsOf('9.2', 'synchronous_commit: remote_write').synchronousCommit).toBe('remote_write');
    expect(settingsOf('15', 'synchronous_commit: false').synchronousCommit).toBe('off');
    expect(errorOf(withSettings('15', 'synchronous_commit: remote_aply')).hint).toBe('did you mean "remote_apply"?');
  });

  it('wal_keep_size is 13+, wal_keep_segments up to 12', () => {
    const e = errorOf(withSettings('12', 'wal_keep_size: 1GiB'));
    expect(e.message).toBe('wal_keep_size in settings of node "p" (PostgreSQL 12) was added in PostgreSQL 13 (it replaced wal_keep_segments)');
    expect(e.hint).toBe('did you mean wal_keep_segments: 64? (a count of WAL segments; 1GiB = 64 segments of 16MiB)');
    expect(errorOf(withSettings('13', 'wal_keep_segments: 64')).hint).toBe('did you mean wal_keep_size: 1GiB?');
    expect(settingsOf('12', 'wal_keep_segments: 64').walKeepSize).toBe(1024 ** 3);
    expect(settingsOf('12', 'wal_keep_segments: 4, wal_segment_size: 64MiB').walKeepSize).toBe(256 * 1024 ** 2);
    expect(settingsOf('13', 'wal_keep_size: 512MB').walKeepSize).toBe(512 * 1024 ** 2);
    expect(errorOf(withSettings('13', 'wal_keep_size: 1024')).hint).toBe('did you mean "1024MB"?');
  });

  it('sizes in settings read in PostgreSQL\'s units: kB, MB, GB and TB are powers of 1024, as in postgresql.conf (guc.c)', () => {
    expect(settingsOf('16', 'max_wal_size: 1GB').maxWalSize).toBe(1024 ** 3);
    expect(settingsOf('16', 'max_wal_size: 1GiB').maxWalSize).toBe(1024 ** 3);
    expect(settingsOf('16', 'wal_keep_size: 16GB').walKeepSize).toBe(16 * 1024 ** 3);
    expect(settingsOf('16', 'max_slot_wal_keep_size: 100kB').maxSlotWalKeepSize).toBe(100 * 1024);
    // The server's units are case-sensitive: KB is not one of them.
    expect(errorOf(withSettings('16', 'max_wal_size: 2KB')).hint).toBe('did you mean "2kB"?');
  });

  it('synchronous_standby_names syntax follows the version', () => {
    expect(errorOf(withSettings('9.6', 'synchronous_standby_names: "ANY 1 (a, b)"')).message).toMatch(/ANY in synchronous_standby_names needs PostgreSQL 10/);
    expect(errorOf(withSettings('9.6', 'synchronous_standby_names: "FIRST 2 (a, b)"')).hint).toBe('on 9.6 write "2 (a, b)"');
    expect(errorOf(withSettings('9.5', 'synchronous_standby_names: "2 (a, b)"')).message).toMatch(/needs PostgreSQL 9.6/);
    expect(errorOf(withSettings('15', 'synchronous_standby_names: "FIRST 0 (a)"')).message).toMatch(/must be at least 1/);
    expect(errorOf(withSettings('15', 'synchronous_standby_names: "a,,b"')).message).toMatch(/empty standby name/);
    expect(errorOf(withSettings('15', 'synchronous_standby_names: "SOME 2 (a, b)"')).message).toMatch(/not valid synchronous_standby_names syntax/);
  });

  it('other version rules', () => {
    expect(errorOf(withSettings('9.4', 'max_wal_size: 1GB')).message).toMatch(/was added in PostgreSQL 9.5/);
    expect(errorOf(withSettings('9.2', 'wal_receiver_timeout: 60s')).message).toMatch(/was added in PostgreSQL 9.3/);
    expect(errorOf(withSettings('17', 'idle_replication_slot_timeout: 1d')).message).toMatch(/idle_replication_slot_timeout .* was added in PostgreSQL 18/);
    expect(errorOf(withSettings('9.2', 'wal_sender_timeout: 60s')).message).toMatch(/replication_timeout/);
    expect(errorOf(withSettings('15', 'wal_segment_size: 3MiB')).message).toMatch(/not a power of two/);
    expect(errorOf(withSettings('15', 'wal_keep_size: 1GB, wal_keep_segments: 3')).message).toMatch(/both given/);
  });

  it('checkpoint_segments up to 9.4, max_wal_size from 9.5, each refused on the other side with the 9.5 release notes\' equivalent', () => {
    expect(settingsOf('9.4', 'checkpoint_segments: 32').checkpointSegments).toBe(32);
    const e = errorOf(withSettings('9.5', 'checkpoint_segments: 32'));
    expect(e.message).toBe('checkpoint_segments in settings of node "p" (PostgreSQL 9.5) was removed in PostgreSQL 9.5 (replaced by max_wal_size and min_wal_size)');
    expect(e.hint).toBe('did you mean max_wal_size: 1536MiB? (the 9.5 release notes\' equivalent of checkpoint_segments = 32)');
    expect(errorOf(withSettings('9.4', 'max_wal_size: 1536MiB')).hint).toBe('did you mean checkpoint_segments: 32? (1536MiB = 3 x that many segments of 16MiB)');
    expect(settingsOf('15', 'checkpoint_completion_target: 0.7').checkpointCompletionTarget).toBe(0.7);
    expect(errorOf(withSettings('15', 'checkpoint_completion_target: 1.5')).message).toMatch(/out of range/);
    expect(settingsOf('15', 'checkpoint_warning: 0').checkpointWarning).toBe(0);
  });

  it('recovery_target_timeline values', () => {
    expect(settingsOf('9.3', 'recovery_target_timeline: current').recoveryTargetTimeline).toBe('current');
    expect(settingsOf('9.3', 'recovery_target_timeline: latest').recoveryTargetTimeline).toBe('latest');
    expect(settingsOf('9.3', 'recovery_target_timeline: 16').recoveryTargetTimeline).toEqual({ tli: 16 });
    expect(settingsOf('9.3', 'recovery_target_timeline: "16"').recoveryTargetTimeline).toEqual({ tli: 16 });
    expect(errorOf(withSettings('9.3', 'recovery_target_timeline: 0')).message).toMatch(/out of range/);
    expect(errorOf(withSettings('9.3', 'recovery_target_timeline: latets')).hint).toBe('did you mean "latest"?');
  });

  it('configure actions check the target node\'s version', () => {
    const text = `${withSettings('"9.3"', '')}plan:\n  - {at: +1m, configure: {node: p, settings: {wal_keep_size: 1GB}}}\n`;
    const e = errorOf(text);
    expect(e.line).toBe(10);
    expect(e.message).toMatch(/^wal_keep_size in settings of configure of plan.0 \(PostgreSQL 9.3\) was added in PostgreSQL 13/);
    const seg = `${withSettings('12', '')}plan:\n  - {at: +1m, configure: {node: p, settings: {wal_segment_size: 32MiB}}}\n`;
    expect(errorOf(seg).message).toMatch(/fixed at initdb/);
  });

  it('a standby has its upstream\'s initdb settings (data_checksums, wal_segment_size): a difference is an error at the key', () => {
    const cluster = (p: string, s: string) => `${withSettings('15', p)}      s: {site: a, version: 15, upstream: p, settings: {${s}}}\n`;
    const e = errorOf(cluster('', 'data_checksums: on'));
    expect(e.line).toBe(9);
    expect(e.message).toBe('node "s" has data_checksums = on but its upstream "p" has off: it is chosen at initdb and a standby is a copy of its upstream\'s data directory, so both have the same');
    expect(errorOf(cluster('wal_segment_size: 64MB', '')).message).toMatch(/^node "s" has wal_segment_size = 16MiB but its upstream "p" has 64MiB/);
    expect(errorOf(cluster('wal_segment_size: 64MB', '')).line).toBe(8);
    expect(loadScenarioText(cluster('data_checksums: on, wal_segment_size: 64MB', 'data_checksums: true, wal_segment_size: 64MiB'), 't.yaml').clusters[0]!.nodes[1]!.settings.dataChecksums).toBe(true);
  });
});

/**
 * lint's standby-queries-hold-replay: a standby that may be promoted (or whose primary waits for its replay with
 * remote_apply) and whose replay waits long or for ever for its queries (max_standby_streaming_delay). The
 * warning is checked against the run: Patroni promotes that standby, and the promotion waits for the query.
 */
import { describe, expect, it } from 'vitest';
import { GUCS } from '../../src/rehearsal/lint/config/gucs.ts';
import { lintScenarioText } from '../../src/rehearsal/lint/index.ts';
import { runScenario } from '../../src/run.ts';
import { loadScenarioText } from '../../src/scenario/load.ts';

const TEXT = `name: lint-conflicts
start: 2024-01-01T00:00:00Z
duration: 1h
sites: {dc: {}}
clusters:
  c:
    nodes:
      p: {site: dc, version: 16, settings: {autovacuum: false}}
      s: {site: dc, version: 16, upstream: p, settings: {max_standby_streaming_delay: -1}}
    databases:
      app:
        tables:
          t: {size: 1GB, churn: 1GB, frozen_age: 1000}
    workload: {target: p, rate: 10/s, wal_per_tx: 1KiB}
    failover:
      policy: patroni
      maximum_lag_on_failover: 1GB
      dcs: {members: {etcd1: dc, etcd2: dc, etcd3: dc}}
plan:
  - {at: +1m, open_transaction: {node: s, name: report}}
  - {at: +5m, vacuum: t}
  - {at: +30m, close_transaction: report}
faults:
  - {at: +10m, crash: p}
  - {at: +10m, partition: p}
`;
const LINE = TEXT.split('\n').findIndex((l) => l.includes('max_standby_streaming_delay')) + 1;

const lintOf = (sets: string[] = []) => lintScenarioText(TEXT, 'conflicts.yaml', { sets }).filter((f) => f.id === 'standby-queries-hold-replay');

describe('lint: a failover candidate whose replay waits for its queries', () => {
  it('-1 on a Patroni candidate: a warning at the setting, and the run has no primary until the query ends', () => {
    const [f, ...rest] = lintOf();
    expect(rest).toEqual([]);
    expect(f).toMatchObject({ severity: 'warning', where: { line: LINE } });
    expect(f!.message).toContain('holds its replay for as long as the query runs (max_standby_streaming_delay = -1), and patroni may promote it');
    const r = runScenario(loadScenarioText(TEXT, 'conflicts.yaml')).report;
    const noPrimary = r.verdicts.find((v) => v.kind === 'no-primary')!;
    // p's host is lost at 00:10; s holds the leader key 30 s later, and is promoted when the query ends at 00:30.
    expect((Date.parse(noPrimary.to!) - Date.parse(r.start)) / 1000).toBeCloseTo(1800, 0);
  });

  it('no warning with the default 30 s, or for a standby Patroni never promotes (nofailover)', () => {
    expect(lintOf(['clusters.c.nodes.s.settings.max_standby_streaming_delay=30s'])).toEqual([]);
    expect(lintOf(['clusters.c.failover.tags={s: {nofailover: true}}'])).toEqual([]);
  });

  it('postgresql.conf: -1 is for ever, other values in milliseconds', () => {
    expect(GUCS.max_standby_streaming_delay!('-1', 16)).toEqual({ maxStandbyStreamingDelay: null });
    expect(GUCS.max_standby_archive_delay!('30s', 16)).toEqual({ maxStandbyArchiveDelay: 30e6 });
    expect(GUCS.max_standby_streaming_delay!('5000', 16)).toEqual({ maxStandbyStreamingDelay: 5e6 });
  });
});

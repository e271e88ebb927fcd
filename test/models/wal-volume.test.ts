/**
 * A bounded pg_wal volume (`wal_volume`): what fills it, and what the server does then (docs/model-postgres.md,
 * WAL retention). Judged against real servers whose pg_wal was on a small tmpfs with `archive_command = false`.
 */
import { describe, expect, it } from 'vitest';
import { runScenario } from '../../src/run.ts';
import { loadScenarioText } from '../../src/scenario/load.ts';

/**
 * pg1 archives at 4 MB/s of WAL (500 commits/s of 8 KiB) to a store whose archive_command fails 09:40-10:30; its
 * pg_wal is on a 2 GB volume, which the unarchived segments fill about eight minutes later.
 */
const scenario = (version: number, plan: string) => `name: wal-volume
start: 2024-09-02T09:30:00Z
timezone: UTC
end: "11:00"
sites: [dc1, vault]
links:
  - {between: [dc1, vault], bandwidth: 1Gbps, latency: 5ms}
clusters:
  shop:
    archive: {site: vault}
    nodes:
      pg1:
        site: dc1
        version: ${version}
        role: primary
        settings: {archive_mode: on, archive_command: "cp %p /archive/%f"}
        wal_volume: 2GB
      pg2: {site: dc1, version: ${version}, upstream: pg1}
    workload: {target: pg1, rate: 500/s, wal_per_tx: 8KiB}
plan: ${plan}
faults:
  - {at: "09:40", name: archive-broken, archive_fails: {node: pg1, until: "10:30", exit_code: 1}}
`;

const run = (version: number, plan = '[]') => runScenario(loadScenarioText(scenario(version, plan), 'wal-volume.yaml')).report;

describe('a full pg_wal volume', () => {
  it('a primary that PANICked on a full pg_wal does not start again while the volume is full, even with archive_command fixed', () => {
    // Real 12.22, 15.18 and 18.4: the crash recovery of restart_after_crash, then pg_ctl start, end with the
    // startup process failing to create the next segment (xlog.c PreallocXlogFiles); the archiver never runs.
    for (const version of [12, 15]) {
      const r = run(version, '[{at: "10:40", name: restart, start: pg1}]');
      const pg1 = r.nodes.find((n) => n.name === 'pg1')!;
      expect(pg1.state, `${version}`).not.toBe('running');
      const refused = r.events.find((e) => e.fact.kind === 'start-refused');
      expect(refused, `${version}`).toBeDefined();
      expect(refused!.log.join('\n')).toContain(`${version >= 15 ? 'FATAL' : 'PANIC'}:  could not write to file "pg_wal/xlogtemp.1": No space left on device`);
      // The outage lasts from the PANIC to the end: nothing the plan did brought pg1 back.
      expect(r.outages.at(-1)!.to).toBe(r.end);
    }
  });
});

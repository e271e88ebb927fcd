/**
 * Regression (the deep run of property 5 found it): a standby chasing its upstream's switchpoint over a slow
 * link must stop there, at a whole microsecond, and replan the standby it feeds; the end-of-timeline event
 * alone came up to one microsecond of bandwidth late, and the cascaded standby ran past its upstream.
 */
import { describe, expect, it } from 'vitest';
import { runScenario } from '../../src/run.ts';
import { loadScenarioText } from '../../src/scenario/load.ts';

const YAML = `name: historic-chase
start: 2024-01-01T00:00:00.000Z
timezone: UTC
duration: 5m
seed: 1
stall_threshold: 1s
sites:
  - site1
  - site2
  - site3
links:
  - { between: [ site1, site2 ], bandwidth: 100Mbps, latency: 100us }
  - { between: [ site1, site3 ], bandwidth: 10Gbps, latency: 100us }
  - { between: [ site2, site3 ], bandwidth: 10Gbps, latency: 100us }
local_link:
  bandwidth: 10Gbps
  latency: 100us
clusters:
  main:
    start_lsn: 0/3000000
    wal_archive: true
    nodes:
      p1:
        site: site3
        version: "9.5"
        role: primary
        timeline: 1
        settings: { synchronous_commit: local, synchronous_standby_names: "*" }
      s1:
        site: site2
        version: "9.5"
        role: standby
        upstream: p1
        settings: { recovery_target_timeline: 2 }
      s2:
        site: site2
        version: "9.5"
        role: standby
        upstream: p1
        settings: { recovery_target_timeline: current }
      s3:
        site: site1
        version: "9.5"
        role: standby
        upstream: s2
        settings: { recovery_target_timeline: current }
      s4: { site: site1, version: "9.5", role: standby, upstream: s3 }
    workload: { target: p1, site: site3, rate: 100, wal_per_tx: 2KiB, connections: 10 }
    failover:
      policy: naive
      site: site1
      check_interval: 10s
      timeout: 30s
      candidates: [ s4, s1, s3 ]
    slots: { s2_slot: { node: p1, type: physical, consumer: active, hot_standby_feedback: true } }
plan:
  - { at: +1s, promote: s2 }
`;

describe('a historic chase stops at its switchpoint and holds the cascade behind it', () => {
  it('s4 never passes s3, which stops at s2\'s switchpoint (no invariant violation)', () => {
    const r = runScenario(loadScenarioText(YAML, 'historic-chase.yaml')).report;
    const at = (n: string) => r.nodes.find((x) => x.name === n)!.lsn;
    const lsn = (t: string) => parseInt(t.split('/')[0]!, 16) * 2 ** 32 + parseInt(t.split('/')[1]!, 16);
    expect(r.nodes.find((x) => x.name === 's2')!.timeline).toBe(2);
    expect(lsn(at('s4'))).toBeLessThanOrEqual(lsn(at('s3')));
    expect(at('s3')).toBe(r.nodes.find((x) => x.name === 's2')!.history.match(/until ([0-9A-F/]+)/)![1]);
  });
});

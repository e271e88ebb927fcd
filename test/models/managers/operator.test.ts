/**
 * The operator's runbook (managers/operator.ts): its fence is `pg_ctl stop -m fast`, which returns once the
 * postmaster has exited (its walsenders first send a lagging standby what it lacks: drains.ts) or after
 * PGCTLTIMEOUT (60 s); the standby is promoted after that, not while the old primary is still sending.
 */
import { describe, expect, it } from 'vitest';
import { runScenario } from '../../../src/run.ts';
import { loadScenarioText } from '../../../src/scenario/load.ts';

/** pg2 streams pg1's 1.64 MB/s of WAL over a `bandwidth` link; pg1's disk degrades at 14:05 and a write check alerts. */
function run(bandwidth: string, fence = true) {
  const yaml = `
name: operator-fence
start: 2024-07-01T14:00:00Z
timezone: UTC
end: "14:30"
sites: [dc1, dc2]
links:
  - {between: [dc1, dc2], bandwidth: ${bandwidth}, latency: 10ms}
clusters:
  billing:
    nodes:
      pg1: {site: dc1, version: 16, settings: {wal_keep_size: 4GB}}
      pg2: {site: dc2, version: 16, upstream: pg1}
    workload: {target: pg1, site: dc1, rate: 200/s, wal_per_tx: 8KiB, connections: 100}
    failover:
      policy: operator
      site: dc1
      check_interval: 30s
      health_check: {probe: write, timeout: 5s, latency_threshold: 100ms, failures: 3}
      reaction: 5m
      fence: ${fence}
faults:
  - {at: "14:05", name: disk-degrades, slow_node: {node: pg1, disk: 200}}
`;
  return runScenario(loadScenarioText(yaml, 'operator-fence.yaml'));
}

const lost = (r: ReturnType<typeof run>) => r.report.dataLoss.reduce((s, l) => s + l.commits, 0);
const promotedAt = (r: ReturnType<typeof run>) => r.history.promotions[0]!.at / 1e6;

describe('an operator fencing the old primary', () => {
  it('promotes once pg_ctl stop has returned: the old primary first sent the lagging standby its backlog, and nothing is lost', () => {
    // 13 Mbps carry 1.58 MB/s of WAL: pg2 falls 0.06 MB/s behind, some 40 MB by the operator's action at
    // 14:11, which the fast stop's walsenders send it in about 25 s.
    const r = run('13Mbps');
    expect(lost(r)).toBe(0);
    const at = promotedAt(r);
    expect(at).toBeGreaterThan(660 + 10);
    expect(at).toBeLessThan(660 + 60);
    // Without fencing the standby is promoted at once, behind: what it lacked is lost.
    expect(lost(run('13Mbps', false))).toBeGreaterThan(1000);
  });

  it('a backlog longer than pg_ctl waits: promoted when pg_ctl gives up after 60 s, losing only what was not sent by then', () => {
    // 10 Mbps carry 1.21 MB/s: some 290 MB behind at 14:11; 60 s of the drain send 73 MB of it (8,900 commits of 8 KiB).
    const r = run('10Mbps');
    expect(promotedAt(r)).toBeCloseTo(660 + 60, 0);
    const unfenced = lost(run('10Mbps', false));
    expect(unfenced - lost(r)).toBeGreaterThan(8_000);
    expect(unfenced - lost(r)).toBeLessThan(10_000);
  });
});

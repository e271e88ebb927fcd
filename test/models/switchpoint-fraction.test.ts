import { describe, expect, it } from 'vitest';
import { runScenario } from '../../src/run.ts';
import { loadScenarioText } from '../../src/scenario/load.ts';

describe('switchpoints keep the fraction of a byte the fluid model has (found by the convergence property)', () => {
  it('standbys holding a fraction of a byte more than the rounded-down switchpoint still follow', () => {
    // The shrunk counterexample: s1 and s2 repointed at each other (a cycle) hold the same fractional
    // position; s1 is promoted in a clean switchover. Rounding the switchpoint down left s2, and s3 and s4
    // behind it, "past the switchpoint": they refused timeline 3 forever.
    const r = runScenario(
      loadScenarioText(
        `
name: fraction
start: 2024-01-01T00:00:00Z
duration: 5m20s
sites: [site1, site2, site3]
links:
  - {between: [site1, site2], bandwidth: 10Mbps, latency: 100us}
  - {between: [site1, site3], bandwidth: 10Mbps, latency: 100us}
  - {between: [site2, site3], bandwidth: 10Mbps, latency: 100us}
clusters:
  main:
    nodes:
      p1: {site: site1, version: "9.6", timeline: 2, settings: {recovery_target_timeline: latest}}
      s1: {site: site2, version: "9.6", upstream: p1, settings: {recovery_target_timeline: latest}}
      s2: {site: site1, version: "9.6", upstream: s1, settings: {recovery_target_timeline: latest}}
      s3: {site: site3, version: "9.6", upstream: s1, settings: {recovery_target_timeline: latest}}
    workload: {target: p1, site: site2, rate: 1000, wal_per_tx: 512B, connections: 1}
plan:
  - {at: +1s, workload: {rate: 100}}
  - {at: +2s, repoint: {node: s1, upstream: s2}}
  - {at: +2m30s, block_clients: p1}
  - {at: +2m35s, stop: p1}
  - {at: +2m36s, promote: s1}
  - {at: +2m37s, route_writes: s1}
  - {at: +3m20s, workload: {rate: 0}}
`,
        'fraction.yaml',
      ),
    ).report;
    for (const n of ['s2', 's3']) expect(r.nodes.find((x) => x.name === n)).toMatchObject({ timeline: 3, receiver: 'streaming' });
  });
});

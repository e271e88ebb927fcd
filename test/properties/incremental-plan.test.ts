/**
 * The incremental stream planning (stream-plan.ts: only streams whose inputs changed are planned again), and the
 * recorders after a recomputation looking only at the servers that changed (changed-nodes.ts), give the run of
 * looking at every stream and every server at every recomputation: the same report, byte for byte, and the same
 * history fingerprint (every event, position, walreceiver transition and acknowledgement).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ChangedNodes } from '../../src/models/postgres/changed-nodes.ts';
import { StreamPlanner } from '../../src/models/postgres/stream-plan.ts';
import { runScenario } from '../../src/run.ts';
import { assertScenarioProperty, OPERATION_KINDS, scenarioArbitrary } from '../../src/testing/index.ts';
import { cases } from '../support/properties.ts';
import { loadScenarioText } from '../../src/scenario/load.ts';

function outcome(s: Parameters<typeof runScenario>[0], always: boolean): { report: string; fingerprint: string } {
  StreamPlanner.replanAlways = always;
  ChangedNodes.everyNode = always;
  const r = runScenario(s);
  return { report: JSON.stringify(r.report), fingerprint: r.history.fingerprint };
}

/** The incremental run and the one that looks at everything every time give the same history and report. */
function sameRun(s: Parameters<typeof runScenario>[0]): void {
  const inc = outcome(s, false);
  const full = outcome(s, true);
  expect(inc.fingerprint).toBe(full.fingerprint);
  expect(inc.report).toBe(full.report);
}

describe('incremental stream planning', () => {
  afterEach(() => {
    StreamPlanner.replanAlways = false;
    ChangedNodes.everyNode = false;
  });

  it('gives the report of planning every stream every time, byte for byte', () => {
    assertScenarioProperty(
      'incremental = full planning',
      scenarioArbitrary({ failover: true, operations: { count: { max: 10 } } }),
      sameRun,
      { numRuns: cases(200) },
    );
  });

  it('also with full-page images stepping down after each redo point, a standby bound by its disk, and a failover', () => {
    // The images' steps are breakpoints of the write flow (full-page-images.ts): they change the primary's rate
    // between events of their own, which the incremental planning must follow as the full one does.
    sameRun(
      loadScenarioText(
        `name: fpi-plan
start: 2024-09-02T09:30:00Z
timezone: UTC
end: "09:45"
sites: [dc1, dc2]
links:
  - {between: [dc1, dc2], bandwidth: 100Mbps, latency: 5ms}
clusters:
  shop:
    nodes:
      pg1: {site: dc1, version: 15, role: primary, settings: {max_wal_size: 256MB, wal_keep_size: 4GB}}
      pg2: {site: dc2, version: 15, upstream: pg1}
      pg3: {site: dc2, version: 15, upstream: pg2, disk_throughput: 3MB/s}
    workload: {target: pg1, rate: 500/s, wal_per_tx: 450B, working_set: 190MiB, pages_per_tx: 2}
plan:
  - {at: "09:31", checkpoint: pg1}
  - {at: "09:36", crash: pg1}
  - {at: "09:36:30", promote: pg2}
  - {at: "09:36:40", route_writes: pg2}
`,
        'fpi-plan.yaml',
      ),
    );
  });

  it('also with archiving, restore_command, checkpoints and failing archive commands', () => {
    assertScenarioProperty(
      'incremental = full planning, with an archive',
      scenarioArbitrary({ failover: true, archive: true, operations: { count: { max: 10 }, kinds: [...OPERATION_KINDS, 'archiveFails', 'checkpoint', 'switchover'] } }),
      sameRun,
      { numRuns: cases(100) },
    );
  });
});

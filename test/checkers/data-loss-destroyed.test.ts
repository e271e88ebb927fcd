/**
 * Commits are lost when no running primary holds them and no data directory does either (checkers/dataLoss.ts):
 * a node that is down keeps them on its disk (unavailable, not lost), a destroyed data directory does not.
 * (Found replaying GitLab's 2017 outage, where the primary's data directory was removed by mistake.)
 */
import { describe, expect, it } from 'vitest';
import { runScenario } from '../../src/run.ts';
import { loadScenarioText } from '../../src/scenario/load.ts';

function run(faults: string, archive = false, primarySettings = '') {
  const text = `
name: destroyed
start: 2024-01-01T10:00:00Z
end: "11:00"
sites: [a]
clusters:
  c:
    wal_archive: ${archive}
    nodes:
      p: {site: a, version: 16, role: primary${primarySettings}}
      s: {site: a, version: 16, upstream: p}
    workload: {target: p, rate: 100/s, wal_per_tx: 4KiB}
faults:
${faults}
`;
  return runScenario(loadScenarioText(text, '<destroyed>')).report;
}

describe('data loss when no node is a running primary', () => {
  it('both data directories destroyed: every acknowledged commit is lost, and the explanation names the destructions', () => {
    const r = run('  - {at: "10:30", destroy_data: p}\n  - {at: "10:30", destroy_data: s}');
    expect(r.dataLoss).toHaveLength(1);
    expect(r.dataLoss[0]!.commits).toBe(180_000);
    expect(r.dataLoss[0]!.recoverableByPitr).toBe(false);
    expect(r.dataLoss[0]!.cause.map((c) => c.text).join('\n')).toContain("p's data directory is destroyed");
    expect(r.survivors[0]!.why).toContain('no node has its data directory any more');
  });

  it('the primary crashed and nobody took over: unavailable, not lost; with only its standby destroyed, the same', () => {
    expect(run('  - {at: "10:30", crash: p}').dataLoss).toEqual([]);
    expect(run('  - {at: "10:30", crash: p}\n  - {at: "10:30", destroy_data: s}').dataLoss).toEqual([]);
  });

  it('the primary destroyed, its standby crashed with what it had received: only what the standby lacked is lost', () => {
    const r = run('  - {at: "10:30", destroy_data: p}\n  - {at: "10:30", crash: s}');
    expect(r.dataLoss).toEqual([]);
  });

  it('with a WAL archive, PITR brings them back', () => {
    const r = run('  - {at: "10:30", destroy_data: p}\n  - {at: "10:30", destroy_data: s}', true);
    expect(r.dataLoss[0]!.recoverableByPitr).toBe(true);
  });

  it('the assumed archive is not assumed when a node is written with archive_mode = off (there is none)', () => {
    const r = run('  - {at: "10:30", destroy_data: p}\n  - {at: "10:30", destroy_data: s}', true, ', settings: {archive_mode: "off"}');
    expect(r.dataLoss[0]!.recoverableByPitr).toBe(false);
    expect(r.dataLoss[0]!.pitr).toContain('neither archived nor on any node');
  });
});

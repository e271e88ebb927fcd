/**
 * The checkpoint records standbys make restartpoints at stay bounded over a simulated century (issue 15: one
 * record per checkpoint, never dropped, took Mackerel over 100 years to 1.7 GB). The records are pruned when no
 * server can use them and thinned past MAX_RECORDS_PER_TIMELINE (records.ts); storage-bounds.test.ts checks a
 * standby stuck on a removed segment, this file a standby stopped for a century and the whole command line.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CENTURY_SCENARIO } from '../../bench/memory.ts';
import { MAX_RECORDS_PER_TIMELINE } from '../../src/models/postgres/records.ts';
import { runScenario, type RunResult } from '../../src/run.ts';
import { loadScenarioText } from '../../src/scenario/load.ts';
import { DEEP } from '../support/properties.ts';

function recordCounts(r: RunResult): number[] {
  return [...r.world.clusters.values()].map((c) => c.storage.checkpointer.records.size);
}

describe('checkpoint records', () => {
  // A decade in the default run (over 100,000 checkpoints: max_wal_size triggers one every 45 minutes at this
  // rate), a century in the deep run.
  const days = DEEP ? 36_500 : 3_650;
  it(`${days / 365} years with a standby stopped for good keep a bounded list, and the run stays right`, () => {
    // Without a bound the stopped standby t keeps every record usable (it could come back and follow p).
    const yaml = `${CENTURY_SCENARIO.replace('duration: 365d', `duration: ${days}d`).replaceAll('checkpoint_timeout: 1h', 'checkpoint_timeout: 1d')}  - {at: +${days - 1}d, start: t}\n`;
    const r = runScenario(loadScenarioText(yaml, 'century.yaml'));
    expect(Math.max(...recordCounts(r))).toBeLessThanOrEqual(2 * MAX_RECORDS_PER_TIMELINE);
    expect(r.report.dataLoss).toEqual([]);
    // t comes back after a century: p removed the WAL it needs long ago.
    expect(r.report.events.some((e) => e.node === 't' && /removed|has already been removed/.test(e.message))).toBe(true);
  }, DEEP ? 900_000 : 120_000);

  it.runIf(DEEP)('deep: a century of hourly checkpoints (876,000 records before issue 15) runs through the command line in a 40 MB heap', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'replsim-century-')), 'century.yaml');
    writeFileSync(file, CENTURY_SCENARIO.replace('duration: 365d', 'duration: 36500d'));
    const r = spawnSync(process.execPath, ['--max-old-space-size=40', 'bin/replsim.mjs', 'run', file, '--json'], { encoding: 'utf8', timeout: 600_000, maxBuffer: 1 << 26 });
    expect(r.status, r.stderr.slice(0, 2000)).toBe(0);
    expect(JSON.parse(r.stdout).dataLoss).toEqual([]);
  }, 660_000);
});

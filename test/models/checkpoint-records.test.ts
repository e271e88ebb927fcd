/**
 * The checkpoint records standbys make restartpoints at stay bounded over a simulated century (issue 15:
 * one record per checkpoint, never trimmed, took Mackerel over 100 years to 1.7 GB), and trimming them
 * changes nothing a run reports: a trim after every record gives the same runs as never trimming.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CENTURY_SCENARIO } from '../../bench/memory.ts';
import fc from 'fast-check';
import { CHECKPOINT_TRIM } from '../../src/models/postgres/checkpoint-records.ts';
import { seconds } from '../../src/engine/time.ts';
import { runScenario, SELF_CHECK_ENV, type RunResult } from '../../src/run.ts';
import { listVariants, loadScenarioFile, loadScenarioText } from '../../src/scenario/load.ts';
import type { Scenario } from '../../src/scenario/types.ts';
import { scenarioArbitrary } from '../../src/testing/index.ts';
import { cases, DEEP } from '../support/properties.ts';

const DEFAULT = { ...CHECKPOINT_TRIM };
afterEach(() => Object.assign(CHECKPOINT_TRIM, DEFAULT));

/**
 * The run with trimming after every record, and the run that never trims: every restartpoint (each node's
 * checkpoint whenever it changes) and the report.
 */
function bothWays(s: Scenario): [string, string] {
  const run = (min: number): string => {
    Object.assign(CHECKPOINT_TRIM, { min, cap: Number.POSITIVE_INFINITY });
    const trace: string[] = [];
    const last = new Map<string, string>();
    // Each run once: the comparison is the determinism check here (the suite's self-check would double it).
    const selfCheck = process.env[SELF_CHECK_ENV];
    delete process.env[SELF_CHECK_ENV];
    try {
      const { report } = runScenario(s, {
        afterEvent: (w) => {
          for (const c of w.clusters.values()) {
            for (const n of c.nodes.values()) {
              const at = `${n.checkpoint.lsn}/${n.checkpoint.tli}`;
              if (last.get(n.name) !== at) trace.push(`${w.ctx.sim.now} ${n.name} ${at}`);
              last.set(n.name, at);
            }
          }
        },
      });
      return `${trace.join('\n')}\n${JSON.stringify(report)}`;
    } finally {
      Object.assign(CHECKPOINT_TRIM, DEFAULT);
      if (selfCheck !== undefined) process.env[SELF_CHECK_ENV] = selfCheck;
    }
  };
  return [run(1), run(Number.POSITIVE_INFINITY)];
}

/** Checkpoints every 30 s (PostgreSQL's minimum), so a five-minute generated run makes several. */
function oftenCheckpointing(s: Scenario): Scenario {
  return {
    ...s,
    clusters: s.clusters.map((c) => ({ ...c, nodes: c.nodes.map((n) => ({ ...n, settings: { ...n.settings, checkpointTimeout: seconds(30) } })) })),
  };
}

function recordCounts(r: RunResult): number[] {
  return [...r.world.clusters.values()].map((c) => c.checkpointRecords.size);
}

describe('checkpoint records', () => {
  it('trimming changes no run: every shipped scenario (and in the deep run every variant), trimmed after every record or never', () => {
    // Block replication alone has no checkpoints.
    const files = readdirSync('scenarios').filter((f) => f.endsWith('.yaml') && /^clusters:/m.test(readFileSync(`scenarios/${f}`, 'utf8')));
    for (const f of files) {
      const variants = DEEP ? listVariants(readFileSync(`scenarios/${f}`, 'utf8'), f).map((v) => v.name) : [];
      for (const variant of [null, ...variants]) {
        const [trimmed, untrimmed] = bothWays(loadScenarioFile(`scenarios/${f}`, { variant }));
        expect(trimmed === untrimmed, `${f} ${variant ?? ''}`).toBe(true);
      }
    }
  });

  it('trimming changes no run: generated scenarios with promotions, stops, repoints and failovers', () => {
    fc.assert(
      fc.property(scenarioArbitrary({ failover: true, operations: { count: { max: 10 } } }), (s) => {
        const [trimmed, untrimmed] = bothWays(oftenCheckpointing(s));
        return trimmed === untrimmed;
      }),
      { numRuns: cases(40) },
    );
  });

  it('a century with a standby stopped for good keeps a bounded list, and the run stays right', () => {
    // Without trimming the stopped standby t keeps every record usable (it could come back and follow p):
    // 36,500 daily checkpoints. With it, at most twice the cap.
    const yaml = `${CENTURY_SCENARIO.replace('duration: 365d', 'duration: 36500d').replaceAll('checkpoint_timeout: 1h', 'checkpoint_timeout: 1d')}  - {at: +36499d, start: t}\n`;
    const r = runScenario(loadScenarioText(yaml, 'century.yaml'));
    expect(Math.max(...recordCounts(r))).toBeLessThanOrEqual(2 * CHECKPOINT_TRIM.cap);
    expect(Math.max(...recordCounts(r))).toBeGreaterThan(CHECKPOINT_TRIM.cap / 2);
    expect(r.report.dataLoss).toEqual([]);
    // t comes back after a century: p removed the WAL it needs long ago.
    expect(r.report.events.some((e) => e.node === 't' && /removed|has already been removed/.test(e.message))).toBe(true);
  });

  it.runIf(DEEP)('deep: a century of hourly checkpoints (876,000 records before issue 15) runs through the command line in a 40 MB heap', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'replsim-century-')), 'century.yaml');
    writeFileSync(file, CENTURY_SCENARIO.replace('duration: 365d', 'duration: 36500d'));
    const r = spawnSync(process.execPath, ['--max-old-space-size=40', 'bin/replsim.mjs', 'run', file, '--json'], { encoding: 'utf8', timeout: 600_000, maxBuffer: 1 << 26 });
    expect(r.status, r.stderr.slice(0, 2000)).toBe(0);
    expect(JSON.parse(r.stdout).dataLoss).toEqual([]);
  }, 660_000);
});

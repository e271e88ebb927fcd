/**
 * lint's statement-wal-outruns-standby (rules-statement-wal.ts): an index build's WAL against a standby's line,
 * each verdict checked against the simulated run of scenarios/index-build-sync-wan.yaml.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { lintScenarioText } from '../../src/rehearsal/lint/index.ts';
import { runScenario } from '../../src/run.ts';
import { loadScenarioText } from '../../src/scenario/load.ts';

const FILE = 'scenarios/index-build-sync-wan.yaml';
const TEXT = readFileSync(FILE, 'utf8');
const LINE = TEXT.split('\n').findIndex((l) => l.includes('name: deploy-index')) + 1;
const lintOf = (variant: string | null, sets: string[] = []) => lintScenarioText(TEXT, FILE, { variant, sets }).filter((f) => f.id === 'statement-wal-outruns-standby');
const runOf = (variant: string | null, sets: string[] = []) => runScenario(loadScenarioText(TEXT, FILE, { variant, sets }));
/** Seconds from 14:00 (the build's start) until pg2 caught up in the run. */
function caughtUp(variant: string | null): number {
  const r = runOf(variant);
  const e = r.history.events.find((x) => x.node === 'pg2' && x.fact.kind === 'stream-caught-up' && x.at > 1800e6);
  return (e!.at - 1800e6) / 1e6;
}

describe('lint statement-wal-outruns-standby', () => {
  it('a synchronous standby: commits wait until it has the index build\'s WAL, as long as the run says', () => {
    const [f, ...rest] = lintOf(null);
    expect(rest).toEqual([]);
    expect(f).toMatchObject({ severity: 'warning', where: { line: LINE } });
    expect(f!.message).toContain('pg2, a synchronous standby, receives 12.1 MB/s');
    const wait = /wait for up to about (\d+) min (\d+) s/.exec(f!.explanation)!;
    const lintSeconds = Number(wait[1]) * 60 + Number(wait[2]);
    expect(Math.abs(lintSeconds - caughtUp(null))).toBeLessThan(5);
  });

  it('without a slot: the standby is cut off (an error), and the run finds it broken', () => {
    const [f] = lintOf('no-slot');
    expect(f).toMatchObject({ severity: 'error' });
    expect(f!.message).toMatch(/pg2 falls up to [\d.]+ GiB behind pg1 .*more than pg1 keeps/);
    expect(runOf('no-slot').report.verdicts.some((v) => v.kind === 'standby-broken')).toBe(true);
  });

  it('asynchronous with a slot: a note with the catch-up time the run has', () => {
    const [f] = lintOf('async');
    expect(f).toMatchObject({ severity: 'info' });
    const m = /catches up about (\d+) min (\d+) s after the statement ends/.exec(f!.explanation)!;
    // The build runs 8 min 20 s (200 GB read at 400 MB/s).
    expect(Math.abs(500 + Number(m[1]) * 60 + Number(m[2]) - caughtUp('async'))).toBeLessThan(5);
  });

  it('a line that carries the build\'s WAL: nothing to say', () => {
    expect(lintOf(null, ['links.0.bandwidth=10Gbps'])).toEqual([]);
  });

  it('max_slot_wal_keep_size below the backlog: the slot is invalidated (an error)', () => {
    const [f] = lintOf('async', ['clusters.shop.nodes.pg1.settings.max_slot_wal_keep_size=4GB']);
    expect(f).toMatchObject({ severity: 'error' });
    expect(f!.message).toContain('max_slot_wal_keep_size = 4 GiB: a checkpoint invalidates its slot');
  });
});

/**
 * age(relfrozenxid) after a VACUUM against what real servers printed (test/conformance/vacuum-relfrozenxid.json,
 * recorded with conformance/vacuum/observe-relfrozenxid.sh on 13, 14, 15, 16 and 18): an aggressive VACUUM of
 * a table untouched since before FreezeLimit leaves relfrozenxid at FreezeLimit up to 14 (the age is
 * vacuum_freeze_min_age) and at OldestXmin from 15 (the oldest XID left); VACUUM FREEZE at OldestXmin on all.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runModelVacuum } from '../../conformance/vacuum/sequences.ts';

interface Observed {
  readonly major: number;
  readonly server: string;
  readonly aggressive: number;
  readonly freeze: number;
}
const real: { servers: Observed[] } = JSON.parse(readFileSync('test/conformance/vacuum-relfrozenxid.json', 'utf8'));

/** The same steps in the model (conformance/vacuum/sequences.ts, the harness's `relfrozenxid` sequence). */
function model(major: number): { aggressive: number; freeze: number } {
  const m = runModelVacuum('relfrozenxid', major);
  if (m.kind !== 'relfrozenxid') throw new Error('not a relfrozenxid observation');
  return { aggressive: m.aggressive, freeze: m.freeze };
}

describe('age(relfrozenxid) after VACUUM, as real servers left it', () => {
  it.each(real.servers)('PostgreSQL $server', (o) => {
    expect(model(o.major)).toEqual({ aggressive: o.aggressive, freeze: o.freeze });
  });
});

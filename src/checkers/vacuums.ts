/**
 * The report's vacuum list: one entry per run, except that consecutive runs of a table held back by the same
 * holder (an autovacuum retry loop behind a slot runs thousands of times) are one entry with their count, from
 * the first run's start to the last one's end.
 */
import type { Micros } from '../engine/time.ts';
import type { VacuumRecord } from '../history/history.ts';
import { count } from '../report/format.ts';
import { tokenText } from '../report/facts/text.ts';
import { horizonHolder } from '../report/facts/templates/vacuum.ts';
import type { VacuumJson } from '../report/types.ts';

export type CollapsedVacuum = VacuumRecord & { readonly runs: number; readonly busy: number };

/**
 * The records as runs: the history already keeps consecutive alike runs of a table as one record
 * (History.vacuum); this gives every record its count and busy time.
 */
export function collapseVacuums(records: readonly VacuumRecord[]): CollapsedVacuum[] {
  return records.map((v) => ({ ...v, runs: v.runs ?? 1, busy: v.busy ?? v.to - v.from }));
}

export function vacuumJson(records: readonly VacuumRecord[], iso: (t: Micros) => string): VacuumJson[] {
  return collapseVacuums(records).map((v) => {
    const age = `age ${count(v.ageBefore)} → ${count(v.ageAfter)}`;
    const kept = v.deadKept ? `, ${count(v.deadKept)} dead rows it could not remove` : '';
    const holder = v.holder ? tokenText(horizonHolder(v.holder)) : v.blockedBy;
    const result = v.canceled ? `cancelled (${age} unchanged)` : holder ? `${age}: could not freeze past ${holder}${kept}` : `${age}${v.deadRemoved ? `, ${count(v.deadRemoved)} dead rows removed` : ''}`;
    return {
      cluster: v.cluster,
      node: v.node,
      table: v.table,
      from: iso(v.from),
      to: iso(v.to),
      seconds: v.busy / 1e6,
      mode: v.mode,
      mbPerSecond: Math.round(v.bytesPerSecond / 1e5) / 10,
      result,
      ageBefore: Math.round(v.ageBefore),
      ageAfter: Math.round(v.ageAfter),
      blockedBy: holder,
      ...(v.trigger ? { trigger: v.trigger } : {}),
      ...(v.runs > 1 ? { runs: v.runs } : {}),
    };
  });
}

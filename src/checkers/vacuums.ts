/**
 * The report's vacuum list: one entry per run, except that consecutive runs of a table that ended alike
 * (same trigger, mode and holder: an autovacuum retry loop behind a slot runs thousands of times) collapse
 * into one entry with their count, from the first run's start to the last one's end.
 */
import type { Micros } from '../engine/time.ts';
import type { VacuumRecord } from '../history/history.ts';
import type { VacuumJson } from '../report/types.ts';

export type CollapsedVacuum = VacuumRecord & { readonly runs: number; readonly busy: number };

const sameKind = (a: VacuumRecord, b: VacuumRecord) =>
  a.cluster === b.cluster && a.table === b.table && a.mode === b.mode && a.trigger === b.trigger && a.blockedBy === b.blockedBy && (a.canceled ?? false) === (b.canceled ?? false);

/** Consecutive alike runs of each table merged (a run is "consecutive" when no other run of that table came between). */
export function collapseVacuums(records: readonly VacuumRecord[]): CollapsedVacuum[] {
  type Acc = { -readonly [K in keyof CollapsedVacuum]: CollapsedVacuum[K] };
  const out: Acc[] = [];
  const last = new Map<string, Acc>();
  for (const v of records) {
    const key = `${v.cluster}\u0000${v.table}`;
    const prev = last.get(key);
    // Only repeats that changed nothing collapse: runs held back by the same holder, or cancelled.
    if (prev && sameKind(prev, v) && (v.blockedBy !== null || v.canceled)) {
      prev.to = v.to;
      prev.ageAfter = v.ageAfter;
      prev.runs++;
      prev.busy += v.to - v.from;
      prev.bytesPerSecond = v.bytesPerSecond;
      prev.deadKept = v.deadKept ?? prev.deadKept ?? 0;
      continue;
    }
    const acc: Acc = { ...v, runs: 1, busy: v.to - v.from };
    last.set(key, acc);
    out.push(acc);
  }
  return out;
}

const n = (x: number) => Math.round(x).toLocaleString('en-US');

export function vacuumJson(records: readonly VacuumRecord[], iso: (t: Micros) => string): VacuumJson[] {
  return collapseVacuums(records).map((v) => {
    const age = `age ${Math.round(v.ageBefore)} → ${Math.round(v.ageAfter)}`;
    const kept = v.deadKept ? `, ${n(v.deadKept)} dead rows it could not remove` : '';
    const result = v.canceled ? `cancelled (${age} unchanged)` : v.blockedBy ? `${age}: could not freeze past ${v.blockedBy}${kept}` : `${age}${v.deadRemoved ? `, ${n(v.deadRemoved)} dead rows removed` : ''}`;
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
      ...(v.trigger ? { trigger: v.trigger } : {}),
      ...(v.runs > 1 ? { runs: v.runs } : {}),
    };
  });
}

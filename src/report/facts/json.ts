/**
 * Facts in the JSON report: the fact's fields as recorded, but WAL positions (fields named `lsn` or ending in
 * `Lsn`, history/facts/index.ts) written as PostgreSQL writes them (0/3000000), like the report's other LSNs,
 * and simulated times (fields named `at` or ending in `At`) as the report's ISO times when a clock is given.
 * factFromJson reads one back (the HTML report is drawn from the JSON report).
 */
import type { Micros } from '../../engine/time.ts';
import type { Fact } from '../../history/facts/index.ts';
import { formatLsn, type Lsn } from '../../models/postgres/lsn.ts';

export type FactJson = { readonly kind: string } & Readonly<Record<string, unknown>>;

const isLsnKey = (k: string): boolean => k === 'lsn' || k.endsWith('Lsn');
const isTimeKey = (k: string): boolean => k === 'at' || k.endsWith('At');

export function factJson(f: Fact, iso?: (t: Micros) => string): FactJson {
  return convert(f, (v) => (typeof v === 'number' ? formatLsn(v as Lsn) : v), iso ? (v) => (typeof v === 'number' ? iso(v as Micros) : v) : null) as FactJson;
}

export function factFromJson(j: FactJson, us?: (iso: string) => number): Fact {
  return convert(j, (v) => (typeof v === 'string' ? parseLsn(v) : v), us ? (v) => (typeof v === 'string' ? us(v) : v) : null) as Fact;
}

type Value = (v: unknown) => unknown;

function convert(v: unknown, lsnValue: Value, timeValue: Value | null): unknown {
  if (v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) return v.map((x) => convert(x, lsnValue, timeValue));
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
    const leaf = isLsnKey(k) ? lsnValue : timeValue !== null && isTimeKey(k) ? timeValue : null;
    out[k] = leaf !== null ? (Array.isArray(x) ? x.map(leaf) : leaf(x)) : convert(x, lsnValue, timeValue);
  }
  return out;
}

function parseLsn(s: string): Lsn | string {
  const m = /^([0-9A-F]+)\/([0-9A-F]+)$/.exec(s);
  return m ? ((parseInt(m[1]!, 16) * 2 ** 32 + parseInt(m[2]!, 16)) as Lsn) : s;
}

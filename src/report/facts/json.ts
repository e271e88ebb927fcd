/**
 * Facts in the JSON report: the fact's fields as recorded, but WAL positions (fields named `lsn` or ending in
 * `Lsn`, history/facts/index.ts) written as PostgreSQL writes them (0/3000000), like the report's other LSNs.
 * factFromJson reads one back (the HTML report is drawn from the JSON report).
 */
import type { Fact } from '../../history/facts/index.ts';
import { formatLsn, type Lsn } from '../../models/postgres/lsn.ts';

export type FactJson = { readonly kind: string } & Readonly<Record<string, unknown>>;

const isLsnKey = (k: string): boolean => k === 'lsn' || k.endsWith('Lsn');

export function factJson(f: Fact): FactJson {
  return convert(f, (v) => (typeof v === 'number' ? formatLsn(v as Lsn) : v)) as FactJson;
}

export function factFromJson(j: FactJson): Fact {
  return convert(j, (v) => (typeof v === 'string' ? parseLsn(v) : v)) as Fact;
}

function convert(v: unknown, lsnValue: (v: unknown) => unknown): unknown {
  if (v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) return v.map((x) => convert(x, lsnValue));
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) out[k] = isLsnKey(k) ? (Array.isArray(x) ? x.map(lsnValue) : lsnValue(x)) : convert(x, lsnValue);
  return out;
}

function parseLsn(s: string): Lsn | string {
  const m = /^([0-9A-F]+)\/([0-9A-F]+)$/.exec(s);
  return m ? ((parseInt(m[1]!, 16) * 2 ** 32 + parseInt(m[2]!, 16)) as Lsn) : s;
}

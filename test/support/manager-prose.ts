/**
 * The `prose` facts (text written by code not converted to facts) that the failover managers left in a report:
 * a prose event of theirs (kinds failover and routing of a PostgreSQL cluster with managers, `clusters`), or
 * prose nested in any fact (a demotion's or a promotion's reason, which only a manager gives), or in a
 * decision's `saw` and `reasons`. (Block replication's cluster managers, Pacemaker, are not these.)
 */
import type { FactJson } from '../../src/report/facts/index.ts';
import type { Report } from '../../src/report/types.ts';

export function managerProse(r: Report, clusters: readonly string[]): string[] {
  const out: string[] = [];
  for (const e of r.events) {
    const ours = e.cluster !== null && clusters.includes(e.cluster) && (e.kind === 'failover' || e.kind === 'routing');
    if (e.fact.kind === 'prose' ? ours : nestedProse(e.fact)) out.push(`${e.at} ${e.kind}: ${e.message}`);
  }
  for (const d of r.decisions) {
    if ([d.facts.saw, ...d.facts.reasons].some((f) => f !== null && (f.kind === 'prose' || nestedProse(f)))) out.push(`${d.at} decision of ${d.by ?? d.policy}`);
  }
  return out;
}

function nestedProse(v: unknown): boolean {
  if (v === null || typeof v !== 'object') return false;
  return Object.values(v as FactJson).some((x) => (Array.isArray(x) ? x.some(isProseOrNested) : isProseOrNested(x)));
}

function isProseOrNested(x: unknown): boolean {
  return x !== null && typeof x === 'object' && ((x as { kind?: unknown }).kind === 'prose' || nestedProse(x));
}

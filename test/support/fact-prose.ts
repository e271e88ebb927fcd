/**
 * Sentences hidden in a report's facts (issue 14: the models record data, the renderers write the prose): every
 * string of three words or more in a fact (events, decisions, write causes, the steps of cause chains) whose
 * field is not one that quotes the scenario or the real system. Returns `kind.field: value` per finding.
 */
import type { Report } from '../../src/report/types.ts';

/**
 * Fields whose strings are not the model's prose: the real source a fact cites, names and statements from the
 * scenario, the labels of backends and resources, and what a real server says in its own words.
 */
const QUOTES = new Set(['rule', 'name', 'statement', 'label', 'who', 'holder', 'message', 'historyReason', 'recovery-target-reached.reason']);

/** Model prose not yet turned into data (left for a later change, so that a new one still fails): none now. */
const KNOWN = new Set<string>([]);

export function factProse(r: Report): string[] {
  const out: string[] = [];
  const walk = (v: unknown, kind: string, field: string): void => {
    if (Array.isArray(v)) for (const x of v) walk(x, kind, field);
    else if (v !== null && typeof v === 'object') {
      const k = typeof (v as { kind?: unknown }).kind === 'string' ? (v as { kind: string }).kind : kind;
      for (const [f, x] of Object.entries(v)) walk(x, k, f);
    } else if (typeof v === 'string' && v.trim().split(/\s+/).length >= 3 && !QUOTES.has(field) && !QUOTES.has(`${kind}.${field}`) && !KNOWN.has(`${kind}.${field}`)) {
      out.push(`${kind}.${field}: ${v}`);
    }
  };
  for (const e of r.events) walk(e.fact, '', '');
  for (const d of r.decisions) walk([d.facts, d.byFact], '', '');
  for (const x of [...r.outages, ...r.stalls]) walk([x.causeFact, x.chain?.map((s) => s.fact)], '', '');
  for (const x of [...r.dataLoss, ...r.verdicts, ...r.xid]) walk(x.cause.map((s) => s.fact), '', '');
  for (const w of r.locks?.waits ?? []) walk(w.chain.map((s) => s.fact), '', '');
  for (const d of r.devices ?? []) walk(d.reasonFact, '', '');
  return out;
}

/**
 * Cause-chain steps that are only a sentence (no `fact`): every checker's step is data (data loss, verdicts,
 * transaction IDs, lock queues, block losses and stalls), worded by the report.
 */
export function stepsWithoutData(r: Report): string[] {
  const chains = [
    ...r.dataLoss.map((x) => x.cause),
    ...r.verdicts.map((x) => x.cause),
    ...r.xid.map((x) => x.cause),
    ...(r.locks?.waits ?? []).map((w) => w.chain),
    ...[...r.outages, ...r.stalls].map((x) => x.chain ?? []),
  ];
  return chains.flat().filter((s) => s.fact === undefined).map((s) => s.text);
}

/** Outages and stalls whose cause is not data: a write-status interval without `causeFact`, a block stall step without `fact`. */
export function causesWithoutData(r: Report): string[] {
  const out: string[] = [];
  for (const x of [...r.outages, ...r.stalls]) {
    const block = 'bottleneck' in x && x.bottleneck !== undefined;
    if (block ? (x.chain ?? []).some((s) => s.fact === undefined) : x.causeFact === undefined) out.push(`${x.cluster} ${x.workload} ${x.from}: ${x.cause}`);
  }
  return out;
}

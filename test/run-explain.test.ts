/**
 * RunOptions.explain = false (a sweep's runs): the report leaves out only what explains the outcomes, and every
 * outcome (verdicts, losses, stalls, outages, XID ages, nodes, expectations) is that of the full report.
 */
import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Report } from '../src/report/types.ts';
import { runScenario } from '../src/run.ts';
import { loadScenarioFile } from '../src/scenario/load.ts';

/** The full report with what explain=false leaves out emptied, as run.ts documents it. */
function withoutExplanations(r: Report): Report {
  const block = new Set((r.devices ?? []).map((d) => d.resource));
  const { walStorage: _walStorage, refusals: _refusals, ...rest } = r;
  return {
    ...rest,
    events: [],
    decisions: [],
    ...(r.series ? { series: [] } : {}),
    verdicts: r.verdicts.map((v) => ({ ...v, cause: [] })),
    dataLoss: r.dataLoss.map((l) => ({ ...l, cause: [] })),
    stalls: r.stalls.map((s) => ({ ...s, cause: '', end: '', ...(block.has(s.cluster) ? { chain: [] } : {}) })),
    outages: r.outages.map((o) => ({ ...o, cause: '', end: '' })),
    ...(r.shortfalls ? { shortfalls: r.shortfalls.map((x) => ({ ...x, chain: [] })) } : {}),
    xid: r.xid.map((x) => ({ ...x, cause: [] })),
    assessments: r.assessments.map((a) => ({ ...a, dataLoss: a.dataLoss.map((l) => ({ ...l, cause: [] })) })),
  };
}

describe('a report without explanations (RunOptions.explain = false)', () => {
  const files = readdirSync('scenarios').filter((f) => f.endsWith('.yaml'));
  it.each(files)('%s: the same outcomes and expectations as the full report, without the prose', (file) => {
    const scenario = loadScenarioFile(`scenarios/${file}`);
    const full = runScenario(scenario).report;
    const lean = runScenario(scenario, { explain: false }).report;
    expect(lean).toEqual(withoutExplanations(full));
    expect(lean.expectations).toEqual(full.expectations);
  });
});

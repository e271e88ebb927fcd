import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runScenario } from '../../src/run.ts';
import { listVariants, loadScenarioFile } from '../../src/scenario/load.ts';
import { managerProse } from '../support/manager-prose.ts';
import { causesWithoutData, factProse, stepsWithoutData } from '../support/fact-prose.ts';

const dir = 'scenarios';
const files = readdirSync(dir).filter((f) => f.endsWith('.yaml')).sort();

/** Events still recorded through the string API (a `prose` fact), by scenario and variant: checked at the end. */
const proseEvents: { run: string; kind: string; text: string }[] = [];

describe('shipped scenarios', () => {
  it('there are the Mackerel replay and at least two scenarios of our own', () => {
    expect(files).toContain('mackerel-2017.yaml');
    expect(files.length).toBeGreaterThanOrEqual(3);
  });

  for (const f of files) {
    const path = join(dir, f);
    const variants = [null, ...listVariants(readFileSync(path, 'utf8'), path).map((v) => v.name)];
    for (const variant of variants) {
      it(`${f}${variant ? ` --variant ${variant}` : ''}: every expectation holds, and a second run is byte-identical`, () => {
        const load = () => loadScenarioFile(path, { variant });
        const first = runScenario(load()).report;
        const failed = first.expectations.filter((e) => !e.passed);
        expect(failed).toEqual([]);
        expect(first.expectations.length).toBeGreaterThan(0);
        // The failover managers record facts, never prose (history/facts/managers.ts).
        expect(managerProse(first, load().clusters.filter((c) => c.failover.length > 0).map((c) => c.name))).toEqual([]);
        const second = runScenario(load()).report;
        expect(JSON.stringify(second)).toBe(JSON.stringify(first));
        for (const e of first.events) if (e.fact.kind === 'prose') proseEvents.push({ run: `${f}${variant ? ` --variant ${variant}` : ''}`, kind: e.kind, text: e.message });
        // No sentence hides in a fact either, and every outage's and stall's cause is data (issue 14).
        expect(factProse(first)).toEqual([]);
        expect(causesWithoutData(first)).toEqual([]);
        expect(stepsWithoutData(first)).toEqual([]);
      });
    }
  }

  /** Facts as data (issue 14): no model records an event as prose any more; a new string event fails here. */
  it('no shipped scenario or variant records a prose fact: every model records its events as data', () => {
    expect(proseEvents).toEqual([]);
  });
});

describe('no code path names a scenario', () => {
  // Outcomes must come from the model, never from a branch that knows the incident.
  // "split-brain" is also a verdict kind (a domain term): the scenario is named by its file.
  const names = ['mackerel', 'db000', 'db001', 'db002', 'cybozu', 'debezium', 'pg-east', 'pg-west', 'split-brain.yaml', 'wal-keep-size', 'sync-standby-crash', 'store-old', 'store-new', 'old-array', 'new-array', 'groupware', 'stor-a', 'stor-b', 'nvme-a', 'ipmi-stor', 'logical-upgrade', 'blue1', 'green1'];
  const walk = (d: string): string[] =>
    readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(d, e.name)) : e.name.endsWith('.ts') ? [join(d, e.name)] : []));
  for (const file of walk('src')) {
    it(file, () => {
      const text = readFileSync(file, 'utf8').toLowerCase();
      const code = file.startsWith('src/cli/') ? text.replace(/const \w*examples[\s\S]*?\];/g, '') : text;
      expect(names.filter((n) => code.includes(n))).toEqual([]);
    });
  }
});

describe('fleet-migration-waves.yaml: a fleet from templates (repeat:)', () => {
  it('makes six clusters from one template; wave 2 loses its 5 s window on each of its shards, wave 1 nothing', () => {
    const scenario = loadScenarioFile(join(dir, 'fleet-migration-waves.yaml'));
    expect(scenario.clusters.map((c) => c.name)).toEqual(['shard-1', 'shard-2', 'shard-3', 'shard-4', 'shard-5', 'shard-6']);
    expect(scenario.actions.filter((a) => a.name?.startsWith('wave2-')).map((a) => a.name)).toEqual(['wave2-promote-4', 'wave2-route-4', 'wave2-stop-4', 'wave2-promote-5', 'wave2-route-5', 'wave2-stop-5', 'wave2-promote-6', 'wave2-route-6', 'wave2-stop-6']);
    const report = runScenario(scenario).report;
    expect(report.dataLoss.map((l) => l.cluster)).toEqual(['shard-4', 'shard-5', 'shard-6']);
    // 300 commits/s for the 5 s between the promotion and the switch of the writes (and the last few ms on the line).
    for (const l of report.dataLoss) expect(l.commits / 300).toBeGreaterThan(5);
    for (const l of report.dataLoss) expect(l.commits / 300).toBeLessThan(5.1);
  });
});

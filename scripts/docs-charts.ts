/**
 * npm run docs:charts: the charts of the incident pages (docs/incidents/*.md), drawn by the tool itself from
 * the shipped scenarios, into docs/incidents/img/. Deterministic: a run that changes nothing rewrites the
 * same bytes, so a diff shows what a model change did to the pictures.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { renderChartSvg } from '../src/report/chart.ts';
import { branchDiagrams } from '../src/report/html/branches.ts';
import { runScenario } from '../src/run.ts';
import { loadScenarioFile } from '../src/scenario/load.ts';

const OUT = 'docs/incidents/img';

/** [image name, scenario, variant, --set overrides, also the timeline diagram] */
const CHARTS: readonly [string, string, string | null, readonly string[], boolean][] = [
  ['mackerel-2017', 'scenarios/mackerel-2017.yaml', null, [], true],
  ['mackerel-2017-latest-timeline', 'scenarios/mackerel-2017.yaml', 'latest-timeline', [], true],
  ['cybozu-drbd-migration', 'scenarios/cybozu-drbd-migration.yaml', null, [], false],
  ['cybozu-drbd-migration-safe-rate', 'scenarios/cybozu-drbd-migration.yaml', 'safe-rate', [], false],
  ['go-xid-wraparound', 'scenarios/go-xid-wraparound.yaml', null, [], false],
  ['go-xid-wraparound-no-action', 'scenarios/go-xid-wraparound.yaml', 'no-action', [], false],
];

mkdirSync(OUT, { recursive: true });
for (const [name, file, variant, sets, branches] of CHARTS) {
  const result = runScenario(loadScenarioFile(file, { variant, sets: [...sets] }));
  writeFileSync(`${OUT}/${name}.svg`, renderChartSvg(result));
  if (branches) for (const d of branchDiagrams(result.report, result.history)) writeFileSync(`${OUT}/${name}-timelines.svg`, `${d.svg}\n`);
  console.log(`${OUT}/${name}.svg`);
}

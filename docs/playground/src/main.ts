/**
 * The playground (docs/playground/, built by `npm run playground`): the real engine in the browser. Pick a
 * shipped scenario, move a slider (a fault's time, a write rate, a plan step), and the scenario runs again
 * with that `--set`; the verdicts, the summary and the charts follow. Nothing here decides an outcome: it
 * only sets a value, runs runScenario and renders the report with the same renderers as the CLI.
 */
import { renderChartSvg } from '../../../src/report/chart.ts';
import { renderText } from '../../../src/report/text.ts';
import { runScenario } from '../../../src/run.ts';
import { loadScenarioText } from '../../../src/scenario/load.ts';
import cybozu from '../../../scenarios/cybozu-drbd-migration.yaml';
import go from '../../../scenarios/go-xid-wraparound.yaml';
import mackerel from '../../../scenarios/mackerel-2017.yaml';

interface Slider {
  readonly id: string;
  readonly label: string;
  readonly min: number;
  readonly max: number;
  readonly step: number;
  readonly value: number;
  /** The value as people read it. */
  readonly show: (v: number) => string;
  /** The --set override for the value. */
  readonly set: (v: number) => string;
}

interface Entry {
  readonly file: string;
  readonly yaml: string;
  readonly title: string;
  readonly sliders: readonly Slider[];
}

const hhmm = (startMin: number) => (v: number) => {
  const m = startMin + v;
  return `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
};
const day = (v: number) => new Date(Date.UTC(2023, 0, 1) + v * 86_400_000).toISOString().slice(0, 10);

const SCENARIOS: readonly Entry[] = [
  {
    file: 'mackerel-2017.yaml',
    yaml: mackerel,
    title: 'Mackerel 2017: the lost hour',
    sliders: [
      { id: 'loss', label: 'db001 is lost at', min: 35, max: 115, step: 5, value: 90, show: hhmm(14 * 60), set: (v) => `faults.db001-lost.at=${hhmm(14 * 60)(v)}` },
      { id: 'rate', label: 'write rate (commits/s)', min: 50, max: 800, step: 50, value: 200, show: (v) => `${v}/s`, set: (v) => `clusters.mackerel.workload.rate=${v}/s` },
    ],
  },
  {
    file: 'go-xid-wraparound.yaml',
    yaml: go,
    title: 'GO 2023: a forgotten slot',
    sliders: [
      { id: 'drop', label: 'the slot is dropped on', min: 70, max: 296, step: 1, value: 296, show: day, set: (v) => `plan.drop-slot.at=${day(v)}T10:00:00+09:00` },
      { id: 'rate', label: 'write rate (XIDs/s)', min: 20, max: 90, step: 5, value: 65, show: (v) => `${v}/s`, set: (v) => `clusters.app.workload.rate=${v}/s` },
    ],
  },
  {
    file: 'cybozu-drbd-migration.yaml',
    yaml: cybozu,
    title: 'cybozu.com 2015: DRBD stalls',
    sliders: [
      { id: 'members', label: "drives in the new site's RAID10", min: 4, max: 16, step: 2, value: 4, show: String, set: (v) => `block.disks.new-array.raid.members=${v}` },
      { id: 'resync', label: 'resync rate at the first connects', min: 10, max: 90, step: 5, value: 40, show: (v) => `${v} MB/s`, set: (v) => `block.resources.vol.drbd.disk.resync-rate=${v}MB/s` },
    ],
  },
];

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

function controls(entry: Entry): void {
  const box = $('controls');
  box.replaceChildren();
  for (const s of entry.sliders) {
    const label = document.createElement('label');
    const input = document.createElement('input');
    const value = document.createElement('output');
    input.type = 'range';
    input.id = `slider-${s.id}`;
    input.min = String(s.min);
    input.max = String(s.max);
    input.step = String(s.step);
    input.value = String(s.value);
    value.textContent = s.show(s.value);
    input.addEventListener('input', () => {
      value.textContent = s.show(Number(input.value));
      schedule();
    });
    label.append(`${s.label} `, input, ' ', value);
    box.append(label);
  }
}

let timer: number | undefined;
function schedule(): void {
  if (timer !== undefined) clearTimeout(timer);
  timer = window.setTimeout(run, 120);
}

function current(): Entry {
  return SCENARIOS[Number($<HTMLSelectElement>('scenario').value)]!;
}

/** Runs the scenario with the sliders' values and shows the report's summary and its charts. */
function run(): void {
  const entry = current();
  const sets = entry.sliders.map((s) => s.set(Number($<HTMLInputElement>(`slider-${s.id}`).value)));
  const status = $('status');
  try {
    const t0 = performance.now();
    const result = runScenario(loadScenarioText(entry.yaml, entry.file, { sets }));
    const text = renderText(result.report, { width: 100 });
    $('summary').textContent = text.slice(text.indexOf('Summary'), text.indexOf('What happened')).trimEnd();
    $('chart').innerHTML = renderChartSvg(result);
    const lost = result.report.dataLoss.reduce((a, l) => a + l.commits, 0);
    document.body.dataset.lost = String(lost);
    document.body.dataset.window = result.report.dataLoss.map((l) => `${l.from}/${l.to}`).join(',');
    status.textContent = `--set ${sets.join(' --set ')} · ran in ${Math.round(performance.now() - t0)} ms`;
    document.body.dataset.runs = String(Number(document.body.dataset.runs ?? '0') + 1);
  } catch (e) {
    status.textContent = `error: ${e instanceof Error ? e.message : String(e)}`;
  }
}

const select = $<HTMLSelectElement>('scenario');
SCENARIOS.forEach((s, i) => {
  const o = document.createElement('option');
  o.value = String(i);
  o.textContent = s.title;
  select.append(o);
});
select.addEventListener('change', () => {
  controls(current());
  run();
});
controls(current());
run();

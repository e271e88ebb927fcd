/**
 * `replsim hunt FILE`: searches the fault schedules the scenario's `hunt:` section allows for one that
 * breaks its `expect:` assertions, with fast-check: schedules are generated (how many faults, which, when,
 * for how long), each is run, and a failing one is shrunk (fewer faults, earlier, shorter, the first
 * options) to a minimal one. The result is printed as a variant ready to paste under `variants:`, with what
 * failed and why. The same --seed gives the same search.
 */
import fc from 'fast-check';
import type { Micros } from '../engine/time.ts';
import type { Report } from '../report/types.ts';
import { ReportClock } from '../report/time.ts';
import { counted, duration } from '../report/format.ts';
import { formatTime } from '../scenario/units.ts';
import type { HuntOption, HuntSpec } from '../scenario/grammar-hunt.ts';
import type { Action, ActionBody, Scenario } from '../scenario/types.ts';
import { runScenario, type RunOptions } from '../run.ts';

export interface Fault {
  /** Whole seconds since the start. */
  readonly at: number;
  /** Index into the hunt's options. */
  readonly option: number;
  /** Whole seconds the fault lasts, or null: never undone. */
  readonly lasting: number | null;
}

export interface HuntResult {
  readonly found: boolean;
  /** Schedules run, shrinking included. */
  readonly runs: number;
  readonly shrinks: number;
  readonly seed: number;
  /** The minimal failing schedule, in time order. */
  readonly schedule: readonly Fault[];
  /** Its report (the failing expectations and why), when found. */
  readonly report: Report | null;
  /** A run that stopped (a run limit, an internal invariant) rather than failing an expectation. */
  readonly stopped: string | null;
}

/** The fault's action and the one that undoes it (null for a restart, or when it is never undone). */
function bodies(o: HuntOption): { start: ActionBody; undo: ActionBody | null } {
  const node = o.target.kind === 'node' ? o.target.node : null;
  switch (o.kind) {
    case 'crash':
      return { start: { kind: 'crash', node: node! }, undo: { kind: 'restart', node: node! } };
    case 'stop':
      return { start: { kind: 'stop', node: node! }, undo: { kind: 'start', node: node! } };
    case 'restart':
      return { start: { kind: 'restart', node: node! }, undo: null };
    case 'partition':
      return { start: { kind: 'partition', target: o.target }, undo: { kind: 'heal', target: o.target } };
  }
}

/** The schedule as actions appended to the scenario's faults (named hunt-1, hunt-1-end, ...). */
export function scheduleActions(s: Scenario, hunt: HuntSpec, schedule: readonly Fault[]): Action[] {
  const out: Action[] = [];
  schedule.forEach((f, i) => {
    const { start, undo } = bodies(hunt.options[f.option]!);
    const at = Math.min(f.at * 1e6, s.end) as Micros;
    out.push({ ...start, at, name: `hunt-${i + 1}`, source: 'faults' });
    if (undo && f.lasting !== null && at + f.lasting * 1e6 <= s.end) out.push({ ...undo, at: (at + f.lasting * 1e6) as Micros, name: `hunt-${i + 1}-end`, source: 'faults' });
  });
  return out;
}

/** The scenario with the schedule's faults, ordered as the loader orders faults written after the others. */
export function withSchedule(s: Scenario, hunt: HuntSpec, schedule: readonly Fault[]): Scenario {
  const extra = scheduleActions(s, hunt, schedule);
  const actions = [...s.actions, ...extra].map((a, i) => ({ a, i })).sort((x, y) => x.a.at - y.a.at || x.i - y.i).map((x) => x.a);
  return { ...s, actions };
}

export function scheduleArbitrary(s: Scenario, hunt: HuntSpec): fc.Arbitrary<Fault[]> {
  const from = Math.ceil(hunt.from / 1e6);
  const to = Math.max(from, Math.floor(hunt.to / 1e6));
  const lasting = hunt.lasting ? fc.integer({ min: Math.max(1, Math.ceil(hunt.lasting.min / 1e6)), max: Math.max(1, Math.floor(hunt.lasting.max / 1e6)) }) : fc.constant(null);
  const fault = fc.record({ at: fc.integer({ min: from, max: to }), option: fc.integer({ min: 0, max: hunt.options.length - 1 }), lasting });
  // In time order: the same schedule is one value, and shrinking keeps it readable.
  return fc.array(fault, { minLength: hunt.count.min, maxLength: hunt.count.max }).map((fs) => [...fs].sort((a, b) => a.at - b.at || a.option - b.option));
}

/** Whether a run of the scenario with `schedule` keeps every expectation (and the report, and why not). */
function verdict(s: Scenario, hunt: HuntSpec, schedule: readonly Fault[], options: RunOptions): { ok: boolean; report: Report | null; stopped: string | null } {
  try {
    const report = runScenario(withSchedule(s, hunt, schedule), options).report;
    return { ok: report.expectations.every((e) => e.passed), report, stopped: null };
  } catch (e) {
    if (e instanceof Error && (e.name === 'SimulationLimitError' || e.name === 'InvariantViolation' || e.name === 'NondeterminismError')) return { ok: false, report: null, stopped: e.message.split('\n')[0]! };
    throw e;
  }
}

export class HuntInputError extends Error {
  override readonly name = 'HuntInputError';
}

export function hunt(s: Scenario, opts: { runs?: number; seed?: number; run?: RunOptions; onRun?: (n: number) => void } = {}): HuntResult {
  const spec = s.hunt;
  if (!spec) throw new HuntInputError('the scenario declares no hunt: section (docs/hunt.md): which faults, how many, when');
  if (s.expectations.length === 0) throw new HuntInputError('the scenario has no expect: assertions for a fault schedule to break');
  const seed = opts.seed ?? 1;
  let n = 0;
  const details = fc.check(
    fc.property(scheduleArbitrary(s, spec), (schedule) => {
      n++;
      opts.onRun?.(n);
      return verdict(s, spec, schedule, opts.run ?? {}).ok;
    }),
    { numRuns: opts.runs ?? spec.runs, seed, endOnFailure: false },
  );
  if (!details.failed || !details.counterexample) return { found: false, runs: n, shrinks: 0, seed, schedule: [], report: null, stopped: null };
  const schedule = details.counterexample[0] as Fault[];
  const v = verdict(s, spec, schedule, opts.run ?? {});
  return { found: true, runs: n, shrinks: details.numShrinks, seed, schedule, report: v.report, stopped: v.stopped };
}

/** A time as the scenario file would write it: HH:MM:SS on the start's day, else ISO with the offset. */
function writtenTime(s: Scenario, at: Micros): string {
  const iso = formatTime(at, { startEpochMs: s.startEpochMs, zone: s.timezone });
  const startDay = formatTime(0 as Micros, { startEpochMs: s.startEpochMs, zone: s.timezone }).slice(0, 10);
  return iso.slice(0, 10) === startDay ? iso.slice(11, 19) : iso;
}

function yamlTarget(a: Action): string {
  if (a.kind === 'partition' || a.kind === 'heal') return a.target.kind === 'node' ? a.target.node : `{sites: [${a.target.sites.join(', ')}]}`;
  return (a as { node: string }).node;
}

/** The schedule as a variant to paste under `variants:` (two spaces in), and what it breaks. */
export function renderFound(s: Scenario, r: HuntResult, name = 'hunt-found'): string {
  const acts = scheduleActions(s, s.hunt!, r.schedule);
  const failed = r.report?.expectations.filter((e) => !e.passed) ?? [];
  const why = r.stopped ? `the run stops: ${r.stopped}` : failed.map((e) => `${e.name}: ${e.detail}`).join('; ');
  const lines = [
    `  ${name}:`,
    `    description: ${JSON.stringify(`found by replsim hunt --seed ${r.seed}: ${why}`)}`,
    '    faults:',
    '      add:',
    ...acts.map((a) => `        - {at: "${writtenTime(s, a.at)}", name: ${a.name}, ${a.kind === 'heal' ? 'heal' : a.kind}: ${yamlTarget(a)}}`),
  ];
  return `${lines.join('\n')}\n`;
}

/** Why the schedule breaks the plan, for people: the failed expectations and the cause chains behind them. */
export function explainFound(r: HuntResult): string[] {
  if (r.stopped) return [`The run stops: ${r.stopped}`];
  const rep = r.report!;
  const clock = new ReportClock(rep);
  const at = (iso: string) => clock.short(iso);
  const out: string[] = [];
  for (const e of rep.expectations.filter((x) => !x.passed)) out.push(`FAIL ${e.name}: ${e.detail}`);
  for (const l of rep.dataLoss) {
    out.push(`${counted(l.commits, 'acknowledged commit')} lost in ${l.cluster}, acknowledged by ${l.node} on timeline ${l.timeline} from ${at(l.from)} to ${at(l.to)}:`);
    l.cause.forEach((c, i) => out.push(`  ${i + 1}. ${c.text}`));
  }
  for (const o of rep.outages) out.push(`outage ${at(o.from)} to ${at(o.to)} (${duration(o.seconds)}): ${o.cause}`);
  return out;
}

/**
 * One run of a scenario: build the world, replay the plan and faults in simulated time, then hand the
 * history to the checkers and assemble the report.
 */
import type { RunLimits } from './engine/simulation.ts';
import type { Micros } from './engine/time.ts';
import { findDataLoss, type Survivor, type WalView } from './checkers/dataLoss.ts';
import { LOGICAL_LOSS_PITR, findLogicalLosses } from './checkers/logical-loss.ts';
import { historyDifference } from './history/diff.ts';
import { explainLoss } from './checkers/explain.ts';
import { evaluateExpectations } from './checkers/expectations.ts';
import type { History, WriteStatusInterval } from './history/history.ts';
import { formatLsn } from './models/postgres/lsn.ts';
import type { PgCluster } from './models/postgres/cluster.ts';
import { formatVersion } from './models/postgres/settings.ts';
import { describeHistory } from './models/postgres/timeline.ts';
import { World } from './models/world.ts';
import { blockLosses, blockSeries, blockShortfalls, blockStalls, deviceJson, endOf } from './report/block.ts';
import { InvariantViolation } from './engine/invariant.ts';
import { Clock } from './report/time.ts';
import type { AlertJson, AssessmentJson, DataLossJson, NodeJson, OutageJson, Report, SeriesJson, StallJson, VacuumJson, XidJson } from './report/types.ts';
import { explainXid } from './checkers/xid.ts';
import { lockChainOf, lockEndOf, lockRequests, lockWaits } from './checkers/locks.ts';
import { vacuumJson } from './checkers/vacuums.ts';
import { verdictReport } from './report/verdicts.ts';
import { requestsReport } from './report/requests.ts';
import { walStorageReport } from './report/storage-series.ts';
import type { Scenario } from './scenario/types.ts';
import { factJson, factText } from './report/facts/index.ts';
import { factKey, type WriteEndFact } from './history/facts/index.ts';
import { stepJson } from './report/steps.ts';
import { refusalsOf } from './report/refusals.ts';
import { survivorWhy } from './report/facts/templates/steps.ts';

export interface RunOptions {
  readonly limits?: RunLimits;
  readonly onProgress?: (now: Micros, end: Micros) => void;
  /** Runs after every simulation event: property tests observe (never change) the world through it. */
  readonly afterEvent?: (world: World) => void;
  /**
   * false: the report keeps the outcomes and leaves out what only explains them, for callers that read the
   * outcomes alone (a sweep's rows, rehearsal/sweep/run-one.ts): `events`, `series` and `decisions` are
   * empty, and the causes of losses, verdicts and XID ages are empty lists, a stall's or outage's `cause`
   * and `end` text are empty and a block stall's `chain` too (`causeFact`, `endFact` stay), and `walStorage` (the pg_wal chart's
   * series) is absent. Everything `expect:` reads is kept,
   * so expectations and verdicts are those of the full report (test/run-explain.test.ts). Default true.
   * Building that prose was about a sixth of a sweep run's CPU and a tenth of its garbage (docs/performance.md).
   */
  readonly explain?: boolean;
}

export interface RunResult {
  readonly report: Report;
  readonly history: History;
  readonly world: World;
}

export const DEFAULT_LIMITS: RunLimits = { maxEvents: 50_000_000, maxWallSeconds: 600 };

/**
 * Set (to 1) by the test suite (vitest.config.ts): every runScenario then runs twice and compares the
 * histories, so every test that runs a scenario is also a determinism check.
 */
export const SELF_CHECK_ENV = 'REPLSIM_SELF_CHECK';

export class NondeterminismError extends Error {
  override readonly name = 'NondeterminismError';
}

export function runScenario(scenario: Scenario, options: RunOptions = {}): RunResult {
  return process.env[SELF_CHECK_ENV] === '1' ? runTwice(scenario, options) : runOnce(scenario, options);
}

/**
 * Runs `scenario` twice (the observer and the progress callback see only the first run) and returns the
 * first run; when the two histories differ, throws NondeterminismError naming the first differing event.
 */
export function runTwice(scenario: Scenario, options: RunOptions = {}): RunResult {
  const first = runOnce(scenario, options);
  const { afterEvent: _observer, onProgress: _progress, ...rest } = options;
  const second = runOnce(scenario, rest);
  const diff = historyDifference(first.history, second.history);
  if (diff !== null) throw new NondeterminismError(`two runs of scenario "${scenario.name}" (seed ${scenario.seed}) differ: ${diff}`);
  return first;
}

function runOnce(scenario: Scenario, options: RunOptions): RunResult {
  const explain = options.explain !== false;
  const world = new World(scenario);
  const clock = new Clock(scenario.startEpochMs, scenario.timezone);
  const assessments: AssessmentJson[] = [];
  // Through a local: V8 allocates a function literal assigned straight to a property (`x.f = () => ...`) in the
  // old generation, where, dead after the run, it keeps the run's young objects alive through every scavenge
  // until the next full collection (docs/performance.md, "Closures assigned to properties").
  const onAssess = (c: PgCluster): void => {
    const now = world.ctx.sim.now;
    const s = survivorOf(c, now);
    assessments.push({ at: clock.iso(now), cluster: c.name, survivor: s?.wal.node ?? null, dataLoss: lossOf(c, s, now, world.ctx.history, clock, explain) });
  };
  world.onAssess = onAssess;
  const onProgress = options.onProgress ? (now: Micros) => options.onProgress!(now, scenario.end) : undefined;
  const afterEvent = options.afterEvent ? () => options.afterEvent!(world) : undefined;
  try {
    world.start();
    world.ctx.sim.run(scenario.end, options.limits ?? DEFAULT_LIMITS, onProgress, afterEvent);
  } catch (e) {
    if (e instanceof InvariantViolation) throw withContext(e, world, scenario);
    throw e;
  }
  const end = scenario.end;
  for (const c of world.clusters.values()) {
    c.writes.finish(end);
    c.finish(end);
  }
  for (const c of world.clusters.values()) c.xid.finish(end);
  world.logical?.finish(end);
  world.block?.finish(end);

  const history = world.ctx.history;
  const survivors: Report['survivors'][number][] = [];
  const dataLoss: DataLossJson[] = [];
  for (const c of world.clusters.values()) {
    const s = survivorOf(c, end);
    const kept = [...c.nodes.values()].some((n) => n.dataDirectory === 'present');
    const none = kept ? 'no node is a running primary at the end: acknowledged commits are unavailable, not overwritten' : 'no node is a running primary at the end, and no node has its data directory any more: what no archive holds is lost';
    survivors.push({ cluster: c.name, node: s?.wal.node ?? null, why: s ? survivorWhy(s.wal.node, s.why) : none });
    dataLoss.push(...lossOf(c, s, end, history, clock, explain));
  }
  const outages: OutageJson[] = [];
  const stalls: StallJson[] = [];
  for (const w of mergeShortGaps(history.writeStatus, scenario.stallThreshold)) {
    const to = (w.to ?? end) as Micros;
    if (to <= w.from) continue;
    const seconds = (to - w.from) / 1e6;
    const lock = lockChainOf(w, end, history);
    // How it ended, as the model recorded it when it closed the interval; one still open at the end held to the end.
    const ended: WriteEndFact = w.to === null || w.to >= end ? RUN_END_FACT : (lockEndOf(w, history) ?? w.end ?? CLEARED);
    const base = {
      cluster: w.cluster,
      workload: w.workload,
      node: w.node,
      from: clock.iso(w.from),
      to: clock.iso(to),
      seconds,
      cause: explain ? factText(w.cause, (t) => clock.short(t)) : '',
      causeFact: factJson(w.cause, (t) => clock.iso(t)),
      ...endOf(ended, clock, explain),
      ...(lock ? { chain: lock.chain.map((x) => stepJson(x, clock)), requests: lock.requests } : {}),
    };
    if (w.kind === 'outage') outages.push(base);
    else stalls.push({ ...base, maxLatencyMs: w.maxLatencyMs ?? Math.round(seconds * 1000) });
  }
  stalls.push(...blockStalls(history, clock, end).map((x) => (explain ? x : { ...x, cause: '', end: '', chain: [] })));
  dataLoss.push(...blockLosses(history, clock).map((x) => (explain ? x : { ...x, cause: [] })));
  // Commits of an upgrade's old cluster that never reached the new one (checkers/logical-loss.ts).
  for (const l of findLogicalLosses(world.logical)) {
    dataLoss.push({ cluster: l.cluster, timeline: l.timeline, node: l.node, from: clock.iso(l.fromAt), to: clock.iso(l.toAt), commits: l.commits, walBytes: l.walBytes, fromLsn: formatLsn(l.fromLsn), toLsn: formatLsn(l.toLsn), recoverableByPitr: false, pitr: LOGICAL_LOSS_PITR, ...(l.table ? { table: l.table } : {}), cause: explain ? l.chain.map((fact) => stepJson({ fact, log: [] }, clock)) : [] });
  }
  const nodes: NodeJson[] = [];
  for (const c of world.clusters.values()) {
    for (const n of c.nodes.values()) {
      nodes.push({
        name: n.name,
        cluster: c.name,
        version: formatVersion(n.version),
        state: n.run.state === 'down' ? n.run.how : n.run.state,
        role: n.role.kind,
        timeline: n.tli,
        lsn: formatLsn(n.walEnd(end)),
        flushLsn: formatLsn(n.flushed(end)),
        replayLsn: n.role.kind === 'standby' ? formatLsn(c.replayPosition(n, end)) : null,
        receiver: n.receiverStatus,
        upstream: n.role.kind === 'standby' ? n.role.upstream : null,
        history: describeHistory(n.wal.timeline),
        ...storageOf(history, n.name),
      });
    }
  }
  const partial = {
    scenario: scenario.name,
    description: scenario.description,
    variant: scenario.variant,
    seed: scenario.seed,
    start: clock.iso(0 as Micros),
    end: clock.iso(end),
    timezone: scenario.timezone,
    fingerprint: history.fingerprint,
    ...verdictReport(history, clock, end, explain),
    survivors,
    dataLoss,
    stalls,
    outages,
    requests: requestsReport(history, clock, end, {
      of: (cluster, workload) => scenario.clusters.find((c) => c.name === cluster)?.workloads.find((w) => w.name === workload)?.retries ?? null,
      stallThreshold: scenario.stallThreshold,
    }),
    // In time order: a retry loop's runs are recorded when their time has passed (vacuum/autovacuum.ts), after
    // events that came later; the sort is stable.
    events: !explain ? [] : [...history.events].sort((a, b) => a.at - b.at).map((e) => ({
      at: clock.iso(e.at),
      cluster: e.cluster,
      node: e.node,
      kind: e.kind,
      message: factText(e.fact),
      fact: factJson(e.fact),
      log: e.log,
      ...(e.repeat ? { repeated: { count: e.repeat.count, last: clock.iso(e.repeat.last), ...(e.repeat.second !== null ? { second: clock.iso(e.repeat.second) } : {}) } } : {}),
    })),
    ...(explain ? { refusals: refusalsOf(history, clock) } : {}),
    nodes,
    assessments,
    ...xidReport(world, history, clock, end, explain),
    stats: { events: world.ctx.sim.eventsProcessed },
    ...(world.block || history.metrics.length > 0 ? { series: !explain ? [] : [...(world.block ? blockSeries(history, clock) : []), ...metricSeries(history, clock, end)] } : {}),
    ...(world.block ? { devices: world.block.devices(end).map(deviceJson) } : {}),
    ...(world.block && history.block.shortfalls.length > 0 ? { shortfalls: blockShortfalls(history, clock, end).map((x) => (explain ? x : { ...x, chain: [] })) } : {}),
    ...(explain ? walStorageReport(world, history, clock, end) : {}),
  };
  const expectations = evaluateExpectations(scenario, partial, clock);
  // Object.assign, not a spread: V8 gives `{ ...x, y }` a new hidden class at every call (docs/performance.md).
  return { report: Object.assign({}, partial, { expectations }), history, world };
}

/** A node's pg_wal and slots as the storage model recorded them at the end (history/storage.ts). */
function storageOf(history: History, node: string): Pick<NodeJson, 'pgWalSize' | 'slots' | 'archive'> {
  const r = history.storage.nodes.get(node);
  if (!r) return {};
  return {
    pgWalSize: r.pgWalBytes,
    slots: r.slots.map((s) => ({
      name: s.name,
      type: s.kind,
      active: s.active,
      restartLsn: s.restartLsn === null ? null : formatLsn(s.restartLsn),
      walStatus: s.walStatus,
      safeWalSize: s.safeWalSize,
      standby: s.standby,
    })),
    archive: r.archive ? { archivedLsn: formatLsn(r.archive.archivedLsn), backlogBytes: r.archive.backlogBytes, failing: r.archive.failing } : null,
  };
}

/** Transaction IDs, vacuums and alerts of the clusters that model them (docs/report.md). */
function xidReport(world: World, history: History, clock: Clock, end: Micros, explain: boolean): Pick<Report, 'xid' | 'vacuums' | 'alerts' | 'locks'> {
  const xid: XidJson[] = [];
  const alerts: AlertJson[] = [];
  for (const c of world.clusters.values()) {
    const s = c.xid.summary(end);
    for (const a of s.alerts) {
      alerts.push({ name: a.spec.name, cluster: c.name, metric: a.spec.metric, above: a.spec.above, firedAt: a.firedAt === null ? null : clock.iso(a.firedAt), value: a.value === null ? null : Math.round(a.value) });
    }
    if (!c.xid.enabled) continue;
    const limits = c.xid.limits;
    xid.push({
      cluster: c.name,
      version: formatVersion(c.xid.version),
      maxAge: s.maxAge,
      maxAgeAt: clock.iso(s.maxAgeAt),
      endAge: s.endAge,
      firstWarningAt: s.firstWarningAt === null ? null : clock.iso(s.firstWarningAt),
      stopAt: s.stopAt === null ? null : clock.iso(s.stopAt),
      projectedStopAt: s.projectedStopAt === null ? null : clock.iso(s.projectedStopAt),
      warnAge: limits.warnAge,
      stopAge: limits.stopAge,
      databases: c.xid.databaseAges(end),
      cause: explain ? explainXid(c.name, s, limits, history).map((x) => stepJson(x, clock)) : [],
    });
  }
  const vacuums: VacuumJson[] = vacuumJson(history.vacuums, (t) => clock.iso(t));
  const waits = lockWaits(history, (t) => clock.iso(t), (x) => stepJson(x, clock));
  const requests = [...world.clusters.values()].flatMap((c) => lockRequests(c.xid.vacuum.locks.requestTotals(end).map((t) => ({ cluster: c.name, ...t }))));
  return { xid, vacuums, alerts, ...(waits.length > 0 || requests.length > 0 ? { locks: { waits, requests } } : {}) };
}

/**
 * The metrics a user alerts on, as [time, value] points (max_xid_age, slot_lag, pg_wal_size per cluster):
 * each recorded sample, and the value at the end. Values between points are linear.
 */
function metricSeries(history: History, clock: Clock, end: Micros): SeriesJson[] {
  const byName = new Map<string, (readonly [string, number])[]>();
  const last = new Map<string, History['metrics'][number]>();
  for (const m of history.metrics) {
    const name = `${m.cluster} ${m.name}`;
    const pts = byName.get(name) ?? [];
    const prev = last.get(name);
    // A jump (a vacuum freezing, a slot dropped): the value just before it, at the same time, so that
    // linear interpolation between points draws the climb and the drop.
    const before = prev ? prev.value + prev.rate * (m.at - prev.at) : null;
    if (before !== null && Math.abs(before - m.value) > 1) pts.push([clock.iso(m.at), Math.round(before)]);
    pts.push([clock.iso(m.at), Math.round(m.value)]);
    byName.set(name, pts);
    last.set(name, m);
  }
  for (const [name, m] of last) if (m.at < end) byName.get(name)!.push([clock.iso(end), Math.round(m.value + m.rate * (end - m.at))]);
  return [...byName].map(([name, points]) => ({ name, points }));
}

function walViews(c: PgCluster, now: Micros): WalView[] {
  // A destroyed data directory (destroy_data, or emptied for a copy) holds no WAL any more.
  return [...c.nodes.values()].map((n) => ({ node: n.name, timeline: n.wal.timeline, end: n.walEnd(now), diskAvailable: n.dataDirectory === 'present' }));
}

function survivorOf(c: PgCluster, now: Micros): Survivor | null {
  const s = c.survivor(now);
  if (!s) return null;
  return { wal: { node: s.node.name, timeline: s.node.wal.timeline, end: s.node.walEnd(now), diskAvailable: true }, why: s.why };
}

/**
 * One stall or outage per condition as a person sees it: a condition that lasted no time (replans within one
 * instant) is dropped, and the same condition (workload, kind, cause) broken by a gap shorter than the stall
 * threshold (confirmations that come in rounds leave sub-millisecond gaps between them) is one interval.
 */
function mergeShortGaps(intervals: readonly WriteStatusInterval[], threshold: Micros): WriteStatusInterval[] {
  const out: WriteStatusInterval[] = [];
  const lastOf = new Map<string, WriteStatusInterval>();
  /** The interval before the last one of each workload (for a blip between two of the same condition). */
  const beforeOf = new Map<string, WriteStatusInterval>();
  for (const w of intervals) {
    if (w.to !== null && w.to <= w.from) continue;
    const key = `${w.cluster}\u0000${w.workload}`;
    let prev = lastOf.get(key);
    // A condition that lasted under a millisecond right after another of the same kind on the same node (a
    // recomputation's passing figure between two others) is no stall of its own: the one before lasts through
    // it and ends as it did; one that came first, the one after it begins with it.
    const latency = (a: WriteStatusInterval, b: WriteStatusInterval) => (a.maxLatencyMs === null || b.maxLatencyMs === null ? null : Math.max(a.maxLatencyMs, b.maxLatencyMs));
    // Within a millisecond of each other (a recomputation may leave writes flowing for some microseconds between).
    const adjoins = prev !== undefined && prev.to !== null && w.from - prev.to < BLIP && prev.kind === w.kind && prev.node === w.node;
    if (prev && adjoins && w.to !== null && w.to - w.from < BLIP) {
      const merged = { ...prev, to: w.to, end: w.end, maxLatencyMs: latency(prev, w) };
      out[out.lastIndexOf(prev)] = merged;
      lastOf.set(key, merged);
      continue;
    }
    if (prev && adjoins && prev.to !== null && prev.to - prev.from < BLIP && !(beforeOf.get(key)?.to === prev.from && factKey(beforeOf.get(key)!.cause) === factKey(w.cause))) {
      const merged = { ...w, from: prev.from, maxLatencyMs: latency(prev, w) };
      out[out.lastIndexOf(prev)] = merged;
      lastOf.set(key, merged);
      continue;
    }
    // A condition that lasted under a millisecond between two of the same (a recomputation's passing state,
    // such as a window that refills before it throttles again) does not break that one.
    const before = beforeOf.get(key);
    if (prev && before && prev.to !== null && prev.to - prev.from < BLIP && prev.from === before.to && w.from === prev.to && before.kind === w.kind && factKey(before.cause) === factKey(w.cause) && before.node === w.node) {
      out.splice(out.lastIndexOf(prev), 1);
      const merged = { ...before, to: prev.to, end: prev.end, maxLatencyMs: before.maxLatencyMs === null || prev.maxLatencyMs === null ? null : Math.max(before.maxLatencyMs, prev.maxLatencyMs) };
      out[out.lastIndexOf(before)] = merged;
      beforeOf.delete(key);
      lastOf.set(key, merged);
      prev = merged;
    }
    if (prev && prev.to !== null && prev.kind === w.kind && factKey(prev.cause) === factKey(w.cause) && prev.node === w.node && w.from - prev.to < threshold) {
      const merged = { ...prev, to: w.to, end: w.end, maxLatencyMs: prev.maxLatencyMs === null || w.maxLatencyMs === null ? null : Math.max(prev.maxLatencyMs, w.maxLatencyMs) };
      out[out.lastIndexOf(prev)] = merged;
      lastOf.set(key, merged);
      continue;
    }
    if (prev) beforeOf.set(key, prev);
    out.push(w);
    lastOf.set(key, w);
  }
  return out;
}

const RUN_END_FACT: WriteEndFact = { kind: 'end-run' };
const CLEARED: WriteEndFact = { kind: 'end-cleared' };

/** A stall or outage shorter than this between two of the same condition is not one of its own (mergeShortGaps). */
const BLIP = 1000 as Micros;

function lossOf(c: PgCluster, s: Survivor | null, now: Micros, history: History, clock: Clock, explain: boolean): DataLossJson[] {
  // A modelled archive (archive_mode, restore_command) replaces the scenario's wal_archive assumption, and a
  // node written with archive_mode = off says there is none: nothing to assume.
  const archive = c.storage.archive;
  const archived = archive.modelled ? archive.views().map((v) => ({ ...v, diskAvailable: true })) : [];
  const assumed = c.spec.walArchive && !archive.modelled && !c.spec.nodes.some((n) => n.settings.archiveMode === 'off');
  return findDataLoss(history, c.name, s, walViews(c, now), assumed, archived).map((l) => ({
    cluster: c.name,
    timeline: l.timeline.tli,
    node: l.term.node,
    from: clock.iso(l.fromAt),
    to: clock.iso(l.toAt),
    commits: l.commits,
    walBytes: Math.round(l.walBytes),
    fromLsn: formatLsn(l.fromLsn),
    toLsn: formatLsn(l.toLsn),
    recoverableByPitr: l.recoverableByPitr,
    pitr: l.pitrReason,
    cause: explain ? explainLoss(l, s, history).map((x) => stepJson(x, clock)) : [],
  }));
}

/**
 * An invariant violation with what is needed to reproduce and understand it: the simulated time, the event
 * that was running, the seed, and every node's state at that moment.
 */
function withContext(e: InvariantViolation, world: World, scenario: Scenario): InvariantViolation {
  const sim = world.ctx.sim;
  const now = sim.now;
  const nodes: string[] = [];
  for (const c of world.clusters.values()) {
    for (const n of c.nodes.values()) {
      const run = n.run.state === 'down' ? n.run.how : n.run.state;
      const rx = n.role.kind === 'standby' ? ` receiver ${n.role.receiver.status}${n.role.upstream ? ` from ${n.role.upstream}` : ''}` : '';
      nodes.push(`${n.name}: ${run} ${n.role.kind} timeline ${n.tli} at ${formatLsn(n.walEnd(now))}${rx}`);
    }
  }
  return new InvariantViolation(
    `${e.message}\n  at simulated +${(now / 1e6).toFixed(6)} s, during event "${sim.currentEvent}"; scenario "${scenario.name}"${scenario.variant ? ` variant ${scenario.variant}` : ''}, seed ${scenario.seed}\n  state: ${nodes.join('; ')}`,
    { cause: e },
  );
}

/**
 * A scenario as lint's facts (types.ts): its servers with their settings and the lines they are written on,
 * its failover managers, slots, the plan's and the faults' steps, its workloads at their peak, and its DRBD
 * resources. Positions come from the document the scenario was decoded from (a variant's values are at the
 * variant's lines).
 */
import { pgafSlotName, slotName } from '../../models/managers/slot-name.ts';
import { COPY_RATE } from '../../scenario/types-logical.ts';
import type { Micros } from '../../engine/time.ts';
import type { LocatedScenario } from '../../scenario/load.ts';
import type { Action, ClusterSpec, PgSettingsSpec, Scenario } from '../../scenario/types.ts';
import type { FailoverSpec } from '../../scenario/types-managers.ts';
import { parseTime } from '../../scenario/units.ts';
import { DEFAULT_TCP_WINDOW, connectionRate } from '../../models/tcp/connection.ts';
import { defaultStopMode } from '../../models/postgres/pg-ctl.ts';
import { PG_CTL_TIMEOUT } from '../../models/postgres/drains.ts';
import { resolveSettings } from '../../models/postgres/settings.ts';
import { BLCKSZ, COMPRESSED, IMAGE_BYTES, imagesPerTxOverCycle } from '../../models/postgres/full-page-images.ts';
import { checkpointCycle } from './retention.ts';
import { DEFAULT_ROW_SIZE } from '../../models/postgres/vacuum/relations.ts';
import { statementCost } from '../../models/postgres/vacuum/rewrite-wal.ts';
import { DEFAULT_DISK_THROUGHPUT } from '../../models/postgres/service.ts';
import { DEFAULT_LINT_OPTIONS, type BlockFacts, type BlockStep, type FailoverFact, type LintFacts, type LintOptions, type LoadFact, type PgServer, type SlotFact, type SmartStop, type StatementWalFact, type StepFact, type SubscriptionFact, type Where, type WritePhase } from './types.ts';

/** Where each of `scenario.actions` is written, in the same order (the decoder's: by time, plan before faults). */
export function actionPositions(located: LocatedScenario, file: string): Where[] {
  const s = located.scenario;
  const ref = { startEpochMs: s.startEpochMs, zone: s.timezone };
  const all = (['plan', 'faults'] as const).flatMap((list) =>
    located.entriesOf(list).map((e) => {
      const t = parseTime(e.fields.get('at') ?? '', ref);
      return { at: t.ok ? t.value : 0, where: { file, line: e.position.line, column: e.position.column } };
    }),
  );
  return all
    .map((a, i) => ({ a, i }))
    .sort((x, y) => x.a.at - y.a.at || x.i - y.i)
    .map((x) => x.a.where);
}

function peakLoad(c: ClusterSpec, actions: readonly Action[], where: Where): LoadFact {
  const current = new Map(c.workloads.map((w) => [w.name, { rate: w.rate, walPerTx: w.walPerTx }]));
  const total = () => {
    let wal = 0;
    let tx = 0;
    for (const w of current.values()) {
      wal += w.rate * w.walPerTx;
      tx += w.rate;
    }
    return { wal: wal + imageRate(c, current, wal), tx };
  };
  let peak = total();
  for (const a of actions) {
    if (a.kind !== 'workload' || a.cluster !== c.name) continue;
    for (const [name, w] of current) {
      if (a.workload !== null && a.workload !== name) continue;
      current.set(name, { rate: a.rate ?? w.rate, walPerTx: a.walPerTx ?? w.walPerTx });
    }
    const t = total();
    peak = { wal: Math.max(peak.wal, t.wal), tx: Math.max(peak.tx, t.tx) };
  }
  return { walBytesPerSecond: peak.wal, xidsPerSecond: peak.tx, where };
}

/**
 * The full-page images of the pools that state a working set (full-page-images.ts), bytes per second averaged
 * over a checkpoint cycle on their target: the cycle shortens as the images add WAL (max_wal_size), so the
 * figure is the fixed point of a few rounds. An estimate, as the model steps through each cycle.
 */
function imageRate(c: ClusterSpec, current: ReadonlyMap<string, { rate: number; walPerTx: number }>, baseWal: number): number {
  const imaging = c.workloads.filter((w) => w.workingSet !== undefined && (current.get(w.name)?.rate ?? 0) > 0);
  if (imaging.length === 0) return 0;
  let images = 0;
  for (let round = 0; round < 8; round++) {
    let next = 0;
    for (const w of imaging) {
      const node = c.nodes.find((n) => n.name === w.target);
      if (!node) continue;
      const s = resolveSettings(node.version, node.name, node.settings);
      if (!s.fullPageWrites) continue;
      const rate = current.get(w.name)!.rate;
      const { interval } = checkpointCycle(node.version, s, baseWal + images);
      const per = imagesPerTxOverCycle({ workingSetPages: Math.max(1, w.workingSet! / BLCKSZ), pagesPerTx: w.pagesPerTx ?? 1 }, rate * interval);
      next += rate * per * IMAGE_BYTES * (s.walCompression === 'off' ? 1 : COMPRESSED);
    }
    if (Math.abs(next - images) < 1) return next;
    images = next;
  }
  return images;
}

/** A client pool as the lint follows it over the plan, by `cluster/workload`. */
interface PoolState {
  readonly cluster: string;
  readonly target: string;
  readonly rate: number;
  readonly walPerTx: number;
}

/** A `route_writes` or `workload` step applied to the pools it names (all of its cluster's when it names none). */
function movePools<P extends PoolState>(pools: Map<string, P>, a: Extract<Action, { kind: 'routeWrites' | 'workload' }>): void {
  for (const [key, p] of pools) {
    if (p.cluster !== a.cluster || (a.workload !== null && key !== `${a.cluster}/${a.workload}`)) continue;
    pools.set(key, a.kind === 'routeWrites' ? { ...p, target: a.node } : { ...p, rate: a.rate ?? p.rate, walPerTx: a.walPerTx ?? p.walPerTx });
  }
}

/** The plan's steps in time order, each with where it is written. */
interface Located {
  readonly a: Action;
  readonly where: Where;
}

/**
 * The smart stops that wait for client sessions (models/postgres/pg-ctl.ts), and the steps as the servers live
 * them: such a stop takes effect when its last session ends (right after the step that ends it; a restart whose
 * wait outlasted pg_ctl's 60 s is only a stop then, pg_ctl having given up), or never when none does or a fast
 * or immediate stop or a crash overtakes it. Sessions are the pools routed to a primary whose clients are not
 * blocked, as in the model.
 */
function smartStops(s: Scenario, wheres: readonly Where[]): { stops: SmartStop[]; steps: Located[] } {
  const version = new Map(s.clusters.flatMap((c) => c.nodes.map((n) => [n.name, n.version] as const)));
  const clusterOf = new Map(s.clusters.flatMap((c) => c.nodes.map((n) => [n.name, c.name] as const)));
  const primary = new Set(s.clusters.flatMap((c) => c.nodes.filter((n) => n.role === 'primary').map((n) => n.name)));
  const blocked = new Set<string>();
  const pools = new Map(s.clusters.flatMap((c) => c.workloads.map((w) => [`${c.name}/${w.name}` as string, { name: w.name, cluster: c.name, target: w.target, rate: w.rate, walPerTx: w.walPerTx, connections: w.connections }] as const)));
  const waiting = new Map<string, { stop: Omit<SmartStop, 'until' | 'endedBy'>; sessions: Set<string>; action: Action }>();
  const stops: SmartStop[] = [];
  const steps: Located[] = [];
  s.actions.forEach((a, i) => {
    const where = wheres[i]!;
    const node = 'node' in a && typeof a.node === 'string' ? a.node : null;
    const w = node !== null ? waiting.get(node) : undefined;
    if ((a.kind === 'stop' || a.kind === 'restart') && node !== null) {
      const mode = a.mode ?? defaultStopMode(version.get(node)!);
      if (w && mode === 'smart') return; // a second smart request changes nothing (postmaster.c pmdie)
      const sessions = [...pools].filter(([, p]) => p.target === node && p.connections > 0);
      if (!w && mode === 'smart' && primary.has(node) && !blocked.has(node) && sessions.length > 0) {
        const mine = sessions.map(([, p]) => p);
        waiting.set(node, {
          stop: {
            at: a.at, server: node, cluster: clusterOf.get(node)!, restart: a.kind === 'restart', explicit: a.mode !== undefined, where,
            pools: mine.map((p) => ({ name: p.name, connections: p.connections })),
            txPerSecond: mine.reduce((t, p) => t + p.rate, 0),
            walBytesPerSecond: mine.reduce((t, p) => t + p.rate * p.walPerTx, 0),
          },
          sessions: new Set(sessions.map(([k]) => k)),
          action: a,
        });
        return;
      }
    }
    steps.push({ a, where });
    if (a.kind === 'promote') primary.add(a.node);
    else if (a.kind === 'blockClients') blocked.add(a.node);
    else if (a.kind === 'unblockClients') blocked.delete(a.node);
    else if (a.kind === 'routeWrites' || a.kind === 'workload') {
      movePools(pools, a);
    }
    // Does this step end a wait?
    for (const [server, x] of waiting) {
      // A fast or immediate stop or restart, or a crash, overtakes the wait: that step shuts the server down.
      const overtaken = node === server && (a.kind === 'stop' || a.kind === 'restart' || a.kind === 'crash');
      for (const key of [...x.sessions]) if (pools.get(key)!.target !== server) x.sessions.delete(key);
      if (blocked.has(server)) x.sessions.clear();
      if (!overtaken && x.sessions.size > 0) continue;
      waiting.delete(server);
      stops.push({ ...x.stop, until: a.at, endedBy: where });
      if (overtaken) continue;
      // The shutdown goes on now; a restart whose pg_ctl had given up is only a stop.
      const restarts = x.action.kind === 'restart' && a.at - x.stop.at <= PG_CTL_TIMEOUT;
      steps.push({ a: { ...x.action, kind: restarts ? 'restart' : 'stop', at: a.at } as Action, where: x.stop.where });
    }
  });
  for (const x of waiting.values()) stops.push({ ...x.stop, until: null, endedBy: null });
  return { stops, steps };
}

const DOWN = new Set(['stop', 'crash']);
const UP = new Set(['start', 'restart']);

function downSteps(steps: readonly Located[]): StepFact[] {
  const out: StepFact[] = [];
  steps.forEach(({ a, where }, i) => {
    const node = DOWN.has(a.kind) ? (a as { node: string }).node : a.kind === 'partition' && a.target.kind === 'node' ? a.target.node : null;
    if (node === null) return;
    const back = steps.find(({ a: b }, j) => j > i && ((UP.has(b.kind) && (b as { node: string }).node === node) || (a.kind === 'partition' && b.kind === 'heal' && b.target.kind === 'node' && b.target.node === node)));
    out.push({ kind: 'down', at: a.at, until: back ? back.a.at : null, server: node, where, source: a.source, action: a.kind === 'partition' ? 'partition' : a.kind === 'stop' ? 'stop' : 'crash' });
  });
  return out;
}

/** The clean shutdowns (`stop`, and the stop a `restart` begins with: pg_ctl stop -m fast, then start), the starts, the repoints, the cuts of links and the switchovers. */
function lifecycleSteps(steps: readonly Located[]): StepFact[] {
  return steps.flatMap(({ a, where }, i): StepFact[] => {
    if (a.kind === 'stop' || a.kind === 'restart') return [{ kind: 'shutdown', at: a.at, server: a.node, restart: a.kind === 'restart', where }];
    if (a.kind === 'start') return [{ kind: 'start', at: a.at, server: a.node, where }];
    if (a.kind === 'repoint') return [{ kind: 'repoint', at: a.at, server: a.node, upstream: a.upstream, where }];
    if (a.kind === 'switchover') return [{ kind: 'switchover', action: a.action, at: a.at, cluster: a.cluster, leader: a.leader, candidate: a.candidate, where }];
    if (a.kind === 'partition' && a.target.kind === 'link') {
      const key = [...a.target.sites].sort().join('|');
      const heal = steps.find(({ a: b }, j) => j > i && b.kind === 'heal' && b.target.kind === 'link' && [...b.target.sites].sort().join('|') === key);
      return [{ kind: 'link-cut', at: a.at, until: heal ? heal.a.at : null, sites: a.target.sites, where }];
    }
    return [];
  });
}

/**
 * What each server's clients write over the plan (types.ts WritePhase): the workloads follow `route_writes`
 * and `workload` steps; a server takes writes only while it is a primary (from the start or promoted), up
 * (between a stop or crash and the next start or restart it takes none), not partitioned and its clients not
 * blocked. A cut link between the clients' site and the server's is not counted.
 */
function writePhases(s: Scenario, steps: readonly Located[]): Map<string, WritePhase[]> {
  const out = new Map<string, WritePhase[]>();
  const primary = new Set<string>();
  const down = new Set<string>();
  const blocked = new Set<string>();
  const isolated = new Set<string>();
  const pools = new Map<string, { cluster: string; target: string; rate: number; walPerTx: number }>();
  for (const c of s.clusters) {
    for (const n of c.nodes) {
      out.set(n.name, []);
      if (n.role === 'primary') primary.add(n.name);
    }
    for (const w of c.workloads) pools.set(`${c.name}/${w.name}`, { cluster: c.name, target: w.target, rate: w.rate, walPerTx: w.walPerTx });
  }
  const record = (at: Micros) => {
    for (const [name, phases] of out) {
      let wal = 0;
      if (primary.has(name) && !down.has(name) && !blocked.has(name) && !isolated.has(name)) for (const p of pools.values()) if (p.target === name) wal += p.rate * p.walPerTx;
      const last = phases[phases.length - 1];
      if (last && last.at === at) phases[phases.length - 1] = { at, walBytesPerSecond: wal };
      else if (!last || last.walBytesPerSecond !== wal) phases.push({ at, walBytesPerSecond: wal });
    }
  };
  record(0 as Micros);
  for (const { a } of steps) {
    if (a.kind === 'promote') primary.add(a.node);
    else if (a.kind === 'stop' || a.kind === 'crash') down.add(a.node);
    else if (a.kind === 'start' || a.kind === 'restart') down.delete(a.node);
    else if (a.kind === 'blockClients') blocked.add(a.node);
    else if (a.kind === 'unblockClients') blocked.delete(a.node);
    else if (a.kind === 'partition' && a.target.kind === 'node') isolated.add(a.target.node);
    else if (a.kind === 'heal' && a.target.kind === 'node') isolated.delete(a.target.node);
    else if (a.kind === 'routeWrites' || a.kind === 'workload') {
      movePools(pools, a);
    } else continue;
    record(a.at);
  }
  return out;
}

function slotFacts(s: Scenario, wheres: readonly Where[], pos: (path: string) => Where): SlotFact[] {
  const created = [
    ...s.clusters.flatMap((c) => c.slots.map((sl) => ({ cluster: c.name, slot: sl, at: 0 as Micros, where: pos(`clusters.${c.name}.slots.${sl.name}`) }))),
    ...s.actions.flatMap((a, i) => (a.kind === 'createSlot' ? [{ cluster: a.cluster, slot: a.slot, at: a.at, where: wheres[i]! }] : [])),
  ];
  return created.map(({ cluster, slot, at, where }) => {
    let stopsAt: Micros | null = slot.consumer === 'stopped' ? at : null;
    let stopWhere: Where | null = null;
    let droppedAt: Micros | null = null;
    let droppedBy: SlotFact['droppedBy'] = null;
    const specs = new Map((s.clusters.find((c) => c.name === cluster)?.nodes ?? []).map((n) => [n.name, n] as const));
    // 17+: a standby that synchronizes its upstream's failover slots keeps them when it is promoted (slots.ts syncsFrom).
    // It is sync-ready there once a consumer has advanced it (slots.ts moveFailoverSlots).
    const consumedBy = (t: Micros) => slot.consumer === 'active' || s.actions.some((a) => a.kind === 'startConsumer' && a.slot === slot.name && a.at <= t);
    const syncs = (name: string, t: Micros) => {
      const n = specs.get(name);
      const st = n?.settings;
      return slot.failover === true && consumedBy(t) && n !== undefined && n.version >= 17 && n.upstream === slot.node && st?.syncReplicationSlots === true && st.hotStandbyFeedback === true && (st.primarySlotName ?? null) !== null;
    };
    s.actions.forEach((a, i) => {
      if (a.at < at || droppedAt !== null) return;
      // A logical slot stays on its server: a promotion of another node of the cluster leaves it behind (slots.ts).
      if (a.kind === 'promote' && slot.kind === 'logical' && a.node !== slot.node && specs.has(a.node) && !syncs(a.node, a.at)) {
        droppedAt = a.at;
        droppedBy = 'failover';
        return;
      }
      // pg_drop_replication_slot is refused while a logical slot's consumer is active (slots.ts).
      if (a.kind === 'dropSlot' && a.slot === slot.name && slot.kind === 'logical' && stopsAt === null) return;
      if (a.kind === 'stopConsumer' && a.slot === slot.name && stopsAt === null) {
        stopsAt = a.at;
        stopWhere = wheres[i]!;
      } else if (a.kind === 'startConsumer' && a.slot === slot.name) {
        stopsAt = null;
        stopWhere = null;
      } else if (a.kind === 'dropSlot' && a.slot === slot.name) {
        droppedAt = a.at;
        droppedBy = 'drop';
      }
    });
    // A consumer is sent WAL the standbys that synchronize the slot may not have, unless the server's
    // synchronized_standby_slots names their slots (slots.ts consumerEnd).
    const listed = specs.get(slot.node)?.settings.synchronizedStandbySlots ?? [];
    const unguarded = [...specs.values()]
      .filter((n) => syncs(n.name, Infinity as Micros) && !listed.includes(n.settings.primarySlotName ?? ''))
      .map((n) => ({ standby: n.name, slot: n.settings.primarySlotName ?? '' }));
    return { name: slot.name, cluster, server: slot.node, kind: slot.kind, consumerStopsAt: stopsAt, droppedAt, droppedBy, where, stopWhere, unguarded };
  });
}

function blockFacts(s: Scenario, wheres: readonly Where[], pos: (path: string) => Where, link: LintFacts['linkBetween']): BlockFacts | null {
  const b = s.block;
  if (!b) return null;
  const siteOf = (host: string) => b.hosts.find((h) => h.name === host)?.site ?? null;
  const steps: BlockStep[] = [];
  s.actions.forEach((a, i) => {
    if (a.kind !== 'block') return;
    const st = a.step;
    const where = wheres[i]!;
    if (st.op === 'ioWorkload') steps.push({ kind: 'workload', at: a.at, workload: st.workload, ...(st.iops !== undefined ? { iops: st.iops } : {}), ...(st.readShare !== undefined ? { readShare: st.readShare } : {}), ...(st.random !== undefined ? { random: st.random } : {}), ...(st.size !== undefined ? { size: st.size } : {}), where });
    else if (st.op === 'connect' || st.op === 'disconnect') steps.push({ kind: st.op, at: a.at, resource: st.resource, where });
    else if (st.op === 'secondary' || st.op === 'primary') steps.push({ kind: st.op, at: a.at, resource: st.resource, host: st.host, where });
    else if (st.op === 'adjust' && st.set.disk?.resyncRate !== undefined) steps.push({ kind: 'resync-rate', at: a.at, resource: st.resource, rate: st.set.disk.resyncRate, ...(st.set.disk.cPlanAhead !== undefined ? { planAhead: st.set.disk.cPlanAhead } : {}), where });
  });
  return {
    resources: b.resources.map((r) => ({
      spec: r,
      where: pos(`block.resources.${r.name}.drbd.net`),
      line: link(siteOf(r.primary.host), siteOf(r.secondary.host)),
      primaryDisk: b.disks.find((d) => d.name === r.primary.disk) ?? null,
      secondaryDisk: b.disks.find((d) => d.name === r.secondary.disk) ?? null,
    })),
    workloads: b.workloads,
    steps,
  };
}

export function scenarioFacts(located: LocatedScenario, file: string, options: LintOptions = DEFAULT_LINT_OPTIONS): LintFacts {
  const s = located.scenario;
  const pos = (path: string): Where => ({ file, ...located.positionOf(path) });
  const wheres = actionPositions(located, file);
  const servers: PgServer[] = [];
  const failover: FailoverFact[] = [];
  const loads = new Map<string, LoadFact>();
  for (const c of s.clusters) {
    const patroniSlots = c.failover.some((m) => m.policy === 'patroni' && m.useSlots);
    const pgafSlots = c.failover.some((m) => m.policy === 'pg_auto_failover');
    for (const [i, n] of c.nodes.entries()) {
      const base = `clusters.${c.name}.nodes.${n.name}`;
      servers.push({
        name: n.name,
        cluster: c.name,
        version: n.version,
        role: n.role,
        upstream: n.upstream,
        upstreamKnown: true,
        site: n.site,
        settings: n.settings,
        where: pos(base),
        settingWhere: (guc) => pos(`${base}.settings.${guc}`),
        // The model has no restore_command: a standby gets WAL only by streaming (docs/model-postgres.md).
        restoreCommand: false,
        // Patroni's use_slots: every replica streams through a slot named after it, kept on the leader (managers/patroni.ts).
        // pg_autoctl streams every standby through pgautofailover_standby_<node id> (managers/pgautofailover.ts).
        slotName: patroniSlots && n.version >= 9.4 ? slotName(n.name) : pgafSlots ? pgafSlotName(i + 1) : null,
        diskThroughput: n.storage.throughput,
      });
    }
    c.failover.forEach((m, i) => {
      const path = `clusters.${c.name}.failover${c.failover.length > 1 ? `.${i}` : ''}`;
      failover.push({ cluster: c.name, policy: m.policy, ...managerFact(m, c, c.failover.length > 1), where: pos(`${path}.policy`) });
    });
    loads.set(c.name, peakLoad(c, s.actions, pos(`clusters.${c.name}`)));
  }
  const smart = smartStops(s, wheres);
  const steps: StepFact[] = [...s.actions.flatMap((a, i): StepFact[] => (a.kind === 'promote' ? [{ kind: 'promote', at: a.at, server: a.node, where: wheres[i]! }] : [])), ...downSteps(smart.steps), ...lifecycleSteps(smart.steps)];
  // Settings a plan step changes before a promotion count from then on (configure with a restart).
  const configured = configuredServers(s, servers);
  const linkBetween: LintFacts['linkBetween'] = (a, b) => {
    if (a === null || b === null) return null;
    if (a === b) return s.localLink;
    const l = s.links.find((x) => (x.between[0] === a && x.between[1] === b) || (x.between[0] === b && x.between[1] === a));
    return l ? { bandwidth: l.bandwidth, latency: l.latency, tcpWindow: l.tcpWindow ?? DEFAULT_TCP_WINDOW } : null;
  };
  return {
    clock: { startEpochMs: s.startEpochMs, zone: s.timezone, end: s.end },
    servers: configured,
    failover,
    slots: slotFacts(s, wheres, pos),
    steps,
    loads,
    writes: writePhases(s, smart.steps),
    smartStops: smart.stops,
    linkBetween,
    block: blockFacts(s, wheres, pos, linkBetween),
    stallThreshold: s.stallThreshold,
    options,
    ...(s.subscriptions?.length ? { subscriptions: subscriptionFacts(s, wheres, pos) } : {}),
    ...statementFacts(s, wheres),
  };
}

/**
 * The plan's statements that write WAL, estimated as the run does when the statement gets its lock at once
 * (vacuum/operations.ts ddl: it reads, and for a rewrite writes, the table at the primary's disk throughput; the
 * WAL of vacuum/rewrite-wal.ts), on the scenario's primary and its table at the start.
 */
function statementFacts(s: Scenario, wheres: readonly Where[]): { statements?: StatementWalFact[] } {
  const out: StatementWalFact[] = [];
  s.actions.forEach((a, i) => {
    if (a.kind !== 'ddl') return;
    const c = s.clusters.find((x) => x.name === a.cluster);
    const primary = c?.nodes.find((n) => n.role === 'primary');
    const table = c?.databases.find((d) => d.name === a.table.database)?.tables.find((t) => t.name === a.table.table);
    if (!c || !primary || !table) return;
    const settings = resolveSettings(primary.version, primary.name, primary.settings);
    const rowSize = table.rows !== undefined && table.rows > 0 ? table.size / table.rows : DEFAULT_ROW_SIZE;
    const rel = { size: table.size, rows: table.size / rowSize, rowSize, spec: table };
    const { duration, wal } = statementCost(a, rel, table.size, settings, primary.version, primary.storage.throughput ?? DEFAULT_DISK_THROUGHPUT);
    if (wal <= 0) return;
    out.push({ at: a.at, cluster: c.name, server: primary.name, label: a.label, wal, seconds: duration / 1e6, where: wheres[i]! });
  });
  return out.length > 0 ? { statements: out } : {};
}

/** Each subscription with the steps of its cut-over (route_writes to its subscriber, sync_sequences, drop_subscription). */
function subscriptionFacts(s: Scenario, wheres: readonly Where[], pos: (path: string) => Where): SubscriptionFact[] {
  return (s.subscriptions ?? []).map((sub) => {
    const steps = (pred: (a: Action) => boolean) => s.actions.flatMap((a, i) => (pred(a) ? [{ at: a.at, where: wheres[i]! }] : []));
    const pools = s.clusters.find((c) => c.name === sub.publisherCluster)?.workloads ?? [];
    const walPerTx = pools.length > 0 ? pools.reduce((x, w) => x + w.walPerTx, 0) / pools.length : 1;
    const tables = sub.copyData === false ? [] : (s.clusters.find((c) => c.name === sub.publisherCluster)?.databases.find((d) => d.name === sub.database)?.tables ?? []).filter((t) => !t.catalog);
    const st = s.clusters.flatMap((c) => c.nodes).find((n) => n.name === sub.subscriber)?.settings;
    // The subscriber's worker slots, less one per apply worker, shared by the subscriptions that copy (evenly: an
    // approximation of the model's first come, first served).
    const peers = (s.subscriptions ?? []).filter((x) => x.subscriber === sub.subscriber);
    const copying = Math.max(1, peers.filter((x) => x.copyData !== false).length);
    const workers = Math.max(0, Math.min(st?.maxSyncWorkersPerSubscription ?? 2, Math.floor(((st?.maxLogicalReplicationWorkers ?? 4) - peers.length) / copying)));
    // Each COPY is one connection: its share of the link between the two sites, as the model computes it (subscription.ts linkRate).
    const siteOf = (node: string) => s.clusters.flatMap((c) => c.nodes).find((n) => n.name === node)?.site;
    const [a, b] = [siteOf(sub.publisher), siteOf(sub.subscriber)];
    const link = a === b ? { ...s.localLink, tcpWindow: undefined } : s.links.find((l) => l.between.includes(a ?? '') && l.between.includes(b ?? ''));
    const rates = Array.from({ length: workers }, (_, i) => Math.min(sub.copyRate ?? COPY_RATE, link ? connectionRate(link.bandwidth / (i + 1), link.latency, link.tcpWindow ?? DEFAULT_TCP_WINDOW, 0).rate : Number.POSITIVE_INFINITY));
    return {
      name: sub.name,
      publisher: sub.publisher,
      subscriber: sub.subscriber,
      applyRate: sub.applyRate,
      walPerTx,
      serialRows: sub.serialRows,
      where: pos(`subscriptions.${sub.name}`),
      cutover: steps((a) => a.kind === 'routeWrites' && a.node === sub.subscriber && a.cluster === sub.publisherCluster)[0] ?? null,
      syncs: steps((a) => a.kind === 'syncSequences' && a.subscription === sub.name),
      drop: steps((a) => a.kind === 'dropSubscription' && a.subscription === sub.name)[0] ?? null,
      columns: {
        publisher: steps((a) => a.kind === 'addColumn' && a.subscription === sub.name && a.node === sub.publisher),
        subscriber: steps((a) => a.kind === 'addColumn' && a.subscription === sub.name && a.node === sub.subscriber).map((x) => x.at),
      },
      copy: tables.length > 0 ? { tables: tables.map((t) => ({ name: t.name, size: t.size })), workers, rates, statementTimeout: s.clusters.flatMap((c) => c.nodes).find((n) => n.name === sub.publisher)?.settings.statementTimeout ?? 0 } : null,
    };
  });
}

/**
 * What the lint rules need of a failover manager: whether it compares a candidate's position with the
 * leader's before promoting it, and whom it may promote. Patroni and lag-only refuse a candidate past
 * maximum_lag_on_failover (ha.py is_lagging); pg_auto_failover elects by reported LSN and Orchestrator the
 * most advanced replica; an operator does whatever the runbook says (most-advanced or first-candidate);
 * naive takes the first reachable candidate.
 */
function managerFact(m: FailoverSpec, c: ClusterSpec, several: boolean): Pick<FailoverFact, 'site' | 'checksLag' | 'maximumLag' | 'candidates' | 'patroni' | 'pgaf'> {
  const standbys = c.nodes.filter((n) => n.role === 'standby').map((n) => n.name);
  switch (m.policy) {
    case 'naive':
      return { site: several ? m.site : null, checksLag: false, maximumLag: null, candidates: m.candidates };
    case 'lag-only':
      return { site: several ? m.site : null, checksLag: true, maximumLag: m.maximumLagOnFailover, candidates: m.candidates };
    case 'patroni':
      return {
        site: null,
        checksLag: true,
        maximumLag: m.maximumLagOnFailover,
        candidates: standbys.filter((n) => !m.tags[n]?.nofailover && m.tags[n]?.failoverPriority !== 0),
        patroni: { loopWait: m.loopWait, synchronousMode: m.synchronousMode, quorumCommit: m.quorumCommit, nofailover: c.nodes.filter((n) => m.tags[n.name]?.nofailover).map((n) => n.name), nosync: c.nodes.filter((n) => m.tags[n.name]?.nosync).map((n) => n.name) },
      };
    case 'pg_auto_failover':
      return {
        site: several ? m.monitor.site : null,
        checksLag: true,
        maximumLag: null,
        candidates: standbys.filter((n) => (m.nodes[n]?.candidatePriority ?? 50) > 0),
        pgaf: { nodes: c.nodes.length, asynchronous: c.nodes.filter((n) => m.nodes[n.name]?.replicationQuorum === false).map((n) => n.name) },
      };
    case 'orchestrator':
      return { site: null, checksLag: true, maximumLag: null, candidates: standbys.filter((n) => m.promotionRules[n] !== 'must_not') };
    case 'operator':
      return { site: several ? m.site : null, checksLag: m.choose === 'most-advanced', maximumLag: null, candidates: m.candidates.length ? m.candidates : standbys };
  }
}

/**
 * A standby reconfigured by the plan before its upstream is promoted is linted with its new settings (a
 * `configure` of recovery_target_timeline before the promotion is the fix, not the bug).
 */
function configuredServers(s: Scenario, servers: readonly PgServer[]): PgServer[] {
  return servers.map((srv) => {
    if (srv.role !== 'standby' || srv.upstream === null) return srv;
    const promotion = s.actions.find((a) => a.kind === 'promote' && a.node === srv.upstream);
    let settings: PgSettingsSpec = srv.settings;
    for (const a of s.actions) {
      if (promotion && a.at > promotion.at) break;
      if (a.kind === 'configure' && a.node === srv.name) settings = { ...settings, ...a.settings };
    }
    return settings === srv.settings ? srv : { ...srv, settings };
  });
}

/**
 * The model side: a sequence as a Scenario (nodes of the major under test, explicit recovery_target_timeline), run in
 * simulated time with one step every STEP seconds. The World is advanced step by step (the same World.start
 * + Simulation.run that runScenario performs) so that each step can be observed; runScenario then runs the
 * whole scenario once more and its report's final nodes must agree with the stepped run.
 */
import { seconds, type Micros } from '../src/engine/time.ts';
import { World } from '../src/models/world.ts';
import type { PgNode } from '../src/models/postgres/node.ts';
import type { PgCluster } from '../src/models/postgres/cluster.ts';
import { endOf, isAncestorOrSelf, type Timeline } from '../src/models/postgres/timeline.ts';
import { runScenario } from '../src/run.ts';
import type { History } from '../src/history/history.ts';
import { lastOf } from '../src/history/chatter.ts';
import { ackedEnd } from '../src/checkers/dataLoss.ts';
import type { Action, ActionBody, PgSettingsSpec, Scenario } from '../src/scenario/types.ts';
import { action, buildScenario, node } from '../test/support/builder.ts';
import { messageKeys, normaliseLine, OWN_PROCESSES, type NodeObservation, type SlotObservation, type StepObservation } from './observe.ts';
import { applyIntended, describeOp, initialIntended, type Op, type Rtt, type Sequence, type Setting } from './sequence.ts';

/** Simulated seconds between steps: ample for the model to settle (retries every second). */
export const STEP_SECONDS = 30;
const FIRST_STEP = seconds(10);
export const stepAt = (k: number): Micros => (FIRST_STEP + seconds(STEP_SECONDS) * k) as Micros;
/** How long the real harness lets a synchronous commit wait before it cancels or terminates it (real.ts SYNC_WAIT_MS + 500). */
const SYNC_WAIT = seconds(3.5);
/** WAL bytes per inserted row in the model (any positive value: rows are compared by step, not by LSN). */
const WAL_PER_ROW = 128;
const MiB = 1024 * 1024;

/**
 * The sequence's recovery_target_timeline as the model's setting. On 11 and before the real side leaves
 * 'current' out of recovery.conf (written, the word means latest there; real.ts conf), so the model takes the
 * version's default too: undefined (in a configure step, a reset to the default).
 */
const rttSpec = (r: Rtt, major: number) => (typeof r === 'number' ? { tli: r } : r === 'current' && major < 12 ? undefined : r);

/**
 * Why the model cannot run a step yet (null: it can). The real side runs every step; a sequence with such a
 * step is run on real servers only and reported as not compared (its observations can be recorded and
 * compared later with --render-from, once the model has the feature). Every step of the vocabulary maps now.
 */
export function modelGap(op: Op): string | null {
  void op;
  return null;
}

export function sequenceGaps(seq: Sequence): string[] {
  return [...new Set(seq.ops.map(modelGap).filter((g): g is string => g !== null))];
}

/** The archive directory's commands as the harness writes them (real.ts configure, conf): the model needs only that they are set. */
const ARCHIVE_COMMAND = 'test ! -f /archive/%f && cp %p /archive/%f';
const RESTORE_COMMAND = 'cp /archive/%f %p';
/** `archive_command = 'false'` fails for good: a failure that outlasts any sequence. */
const FOREVER = seconds(365 * 86400);

const MiBytes = 1024 * 1024;

function modelSetting(set: Setting, major: number): PgSettingsSpec {
  switch (set.name) {
    case 'max_slot_wal_keep_size':
      return major >= 13 ? { maxSlotWalKeepSize: set.mib === null ? null : set.mib * MiBytes } : {};
    case 'wal_keep':
      return { walKeepSize: major >= 13 ? set.mib * MiBytes : Math.ceil(set.mib / 16) * 16 * MiBytes };
    case 'max_wal_size':
      return { maxWalSize: set.mib * MiBytes };
    case 'checkpoint_timeout':
      return { checkpointTimeout: seconds(set.seconds) };
    case 'synchronous_standby_names':
      return { synchronousStandbyNames: set.standbys.length ? { method: set.method, num: set.num, names: [...set.standbys] } : null };
    case 'synchronous_commit':
      return { synchronousCommit: set.value };
    case 'archive':
      return { archiveMode: 'on', archiveCommand: ARCHIVE_COMMAND };
    case 'restore_command':
      return { restoreCommand: set.on ? RESTORE_COMMAND : '' };
  }
}

/** Nodes a `cut` step names: the model puts every node at a site of its own (links like loopback) so that a cut is a link partition. */
const siteOf = (name: string) => `at-${name}`;

export function toScenario(seq: Sequence, major = 15): Scenario {
  const cuts = seq.ops.some((o) => o.kind === 'cut');
  const nodes = seq.nodes.map((n) =>
    node(n.name, cuts ? siteOf(n.name) : 'loopback', major, {
      upstream: n.upstream,
      settings: {
        recoveryTargetTimeline: rttSpec(n.rtt, major),
        walKeepSize: 256 * MiB,
        checkpointTimeout: seconds(3600),
        maxWalSize: 1024 * MiB,
        walRetrieveRetryInterval: seconds(1),
        // real.ts writes log_checkpoints = on for every major.
        logCheckpoints: true,
      },
    }),
  );
  const actions: Action[] = [];
  const add = (t: Micros, body: ActionBody) => actions.push(action(t, body));
  const intended = initialIntended(seq);
  const cutLinks = new Map<string, [string, string]>();
  /** Nodes whose archive_mode the harness turned on (a restart the first time only: real.ts configure). */
  const archiveModeOn = new Set<string>();
  seq.ops.forEach((op, k) => {
    const t = stepAt(k);
    const upstream = intended.upstream.get(op.node) ?? null;
    const wasRunning = intended.running.get(op.node) !== false;
    applyIntended(intended, op);
    switch (op.kind) {
      case 'insert':
      case 'syncInsert':
        // Rows as a workload of `rows` transactions per second for one second, routed to the node.
        add(t, { kind: 'routeWrites', cluster: 'main', node: op.node, workload: null });
        add(t, { kind: 'workload', cluster: 'main', workload: null, rate: op.rows, walPerTx: WAL_PER_ROW });
        add((t + seconds(1)) as Micros, { kind: 'workload', cluster: 'main', workload: null, rate: 0 });
        // The harness cancels or terminates a commit still waiting after SYNC_WAIT (real.ts); statement_timeout
        // leaves the wait alone (writes.ts endWaits), as does 'wait'.
        if (op.kind === 'syncInsert' && (op.then === 'cancel' || op.then === 'terminate')) add((t + SYNC_WAIT) as Micros, { kind: 'endSyncWaits', node: op.node, how: op.then });
        return;
      case 'burst':
        // 1 MiB records for one second; not rows (only insert steps are rows).
        add(t, { kind: 'routeWrites', cluster: 'main', node: op.node, workload: null });
        add(t, { kind: 'workload', cluster: 'main', workload: null, rate: op.mib, walPerTx: MiB });
        add((t + seconds(1)) as Micros, { kind: 'workload', cluster: 'main', workload: null, rate: 0, walPerTx: WAL_PER_ROW });
        return;
      case 'promote':
      case 'start':
        return add(t, { kind: op.kind, node: op.node });
      case 'stop':
        // smart and fast differ only by the clients they wait for; the sequences leave none connected but a
        // commit left waiting, which the model's stop ends as a fast one does.
        return add(t, { kind: op.mode === 'immediate' ? 'crash' : 'stop', node: op.node });
      case 'repoint':
        return add(t, { kind: 'repoint', node: op.node, upstream: op.upstream });
      case 'restart':
        if (op.mode === 'immediate') {
          // pg_ctl restart -m immediate: SIGQUIT (no shutdown checkpoint), then a start with crash recovery.
          add(t, { kind: 'crash', node: op.node });
          if (op.rtt !== null) add(t, { kind: 'configure', node: op.node, settings: { recoveryTargetTimeline: rttSpec(op.rtt, major) }, restart: 'never' });
          return add((t + 1000) as Micros, { kind: 'start', node: op.node });
        }
        return add(
          t,
          op.rtt === null ? { kind: 'restart', node: op.node } : { kind: 'configure', node: op.node, settings: { recoveryTargetTimeline: rttSpec(op.rtt, major) }, restart: 'auto' },
        );
      case 'createSlot':
        return add(t, { kind: 'createSlot', cluster: 'main', slot: { name: op.slot, node: op.node, kind: 'physical', database: null, consumer: 'stopped', hotStandbyFeedback: false } });
      case 'dropSlot':
        return add(t, { kind: 'dropSlot', cluster: 'main', slot: op.slot });
      case 'checkpoint':
        return add(t, { kind: 'checkpoint', node: op.node });
      case 'useSlot':
        // primary_slot_name: a reload from 13, a restart before (settings.ts changeNeedsRestart; real.ts useSlot).
        return add(t, { kind: 'configure', node: op.node, settings: { primarySlotName: op.slot }, restart: wasRunning ? 'auto' : 'never' });
      case 'configure':
        if (op.setting.name === 'archive') {
          // archive_mode = on needs a restart, the first time (a stopped node starts); archive_command alone a
          // reload. `archive_command = 'false'` fails with exit code 1 at every attempt.
          const first = !archiveModeOn.has(op.node);
          archiveModeOn.add(op.node);
          add(t, { kind: 'configure', node: op.node, settings: first ? modelSetting(op.setting, major) : { archiveCommand: ARCHIVE_COMMAND }, restart: 'auto' });
          if (first && !wasRunning) add(t, { kind: 'start', node: op.node });
          if (!op.setting.on) add(t, { kind: 'archiveFails', node: op.node, until: (t + FOREVER) as Micros, exitCode: 1 });
          return;
        }
        return add(t, { kind: 'configure', node: op.node, settings: modelSetting(op.setting, major), restart: wasRunning ? 'auto' : 'never' });
      case 'cut': {
        if (!upstream) return;
        const sites: [string, string] = [siteOf(op.node), siteOf(upstream)];
        cutLinks.set(op.node, sites);
        return add(t, { kind: 'partition', target: { kind: 'link', sites } });
      }
      case 'heal': {
        const sites = cutLinks.get(op.node);
        cutLinks.delete(op.node);
        if (sites) add(t, { kind: 'heal', target: { kind: 'link', sites } });
        return;
      }
    }
  });
  const names = seq.nodes.map((n) => siteOf(n.name));
  const links = cuts ? names.flatMap((a, i) => names.slice(i + 1).map((b) => ({ between: [a, b] as [string, string], bandwidth: 1_250_000_000, latency: 100 as Micros }))) : undefined;
  return buildScenario({
    name: seq.id,
    nodes,
    workload: { target: 'pg0', rate: 0, walPerTx: WAL_PER_ROW },
    actions,
    end: stepAt(seq.ops.length),
    startLsn: 0x3000000,
    walArchive: false,
    seed: seq.seed,
    ...(links ? { links, sites: names } : {}),
  });
}

interface StepRange {
  readonly timeline: Timeline;
  readonly from: number;
  readonly to: number;
  /**
   * A synchronous insert's primary: there its row is visible only once its commit is acknowledged or its wait
   * ended (syncrep.c: the backend waits before it leaves the proc array; observed on 10.23, 15.18, 18.4 with
   * conformance/sync-visibility-check.sh: invisible to another session on the primary, visible on a standby
   * that replayed it, visible on the primary after pg_cancel_backend).
   */
  readonly writer: string | null;
}

/** Segments from the oldest the node keeps to the one it writes (the real side counts the same, recycled files excluded). */
function walSpan(n: PgNode, now: Micros): number {
  const seg = n.settings.walSegmentSize;
  return Math.floor(n.walEnd(now) / seg) - Math.floor(n.oldestRetained / seg) + 1;
}

/**
 * pg_replication_slots of `n` as the harness reads it (real.ts probe): restart_lsn in segments behind the node's
 * WAL end (its insert position, on a standby what it received), wal_status and safe_wal_size from 13.
 */
function slotsOf(cluster: PgCluster, n: PgNode, now: Micros): SlotObservation[] {
  const seg = n.settings.walSegmentSize;
  const end = n.walEnd(now);
  return cluster.storage.slots
    .views(now)
    .filter((v) => v.node === n.name)
    .map((v) => ({
      name: v.name,
      active: v.active,
      restartBehind: v.restartLsn === null ? null : Math.floor(end / seg) - Math.floor(v.restartLsn / seg),
      walStatus: v.walStatus,
      safeSegments: v.safeWalSize === null ? null : Math.floor(v.safeWalSize / seg),
    }));
}

function hasRange(n: PgNode, r: StepRange, now: Micros, history: History): 'all' | 'some' | 'none' {
  if (!isAncestorOrSelf(r.timeline, n.wal.timeline)) return 'none';
  const leaves = endOf(n.wal.timeline, r.timeline) ?? Number.POSITIVE_INFINITY;
  let reach = Math.min(n.walEnd(now), leaves);
  if (r.writer === n.name && n.isPrimary && n.wal.timeline === r.timeline) {
    // Still the writing primary: what its clients were answered (or released) is what other sessions see.
    const term = history.terms.filter((x) => x.node === n.name && x.timeline === r.timeline).at(-1);
    if (term) reach = Math.min(reach, ackedEnd(term));
  }
  if (reach >= r.to - 0.5) return 'all';
  return reach > r.from + 0.5 ? 'some' : 'none';
}

/**
 * The line after which the harness reads the log of the node a step operates (real.ts newLines): a stop from its
 * shutdown's end, a promote from the request, a start (or a restart, or a repoint that restarts: of a primary,
 * or up to 12 where primary_conninfo needs a restart) from the new postmaster's first line; null: every line.
 */
function clipMarker(op: Op, wasPrimary: boolean, major: number): RegExp | null {
  if (op.kind === 'stop') return /^database system is shut down/;
  if (op.kind === 'promote') return /^received promote request/;
  if (op.kind === 'restart' || op.kind === 'start' || (op.kind === 'repoint' && (wasPrimary || major < 13))) return /^(starting PostgreSQL|listening on IPv4 address)/;
  return null;
}

export function runModel(seq: Sequence, major = 15): StepObservation[] {
  const scenario = toScenario(seq, major);
  const world = new World(scenario);
  // The lines servers write outside events (checkpoints they start by themselves, a walsender's refusals).
  world.ctx.history.chatter.recording = true;
  const sim = world.ctx.sim;
  const cluster = world.clusters.get('main')!;
  world.start();
  const ranges = new Map<number, StepRange>();
  const intended = initialIntended(seq);
  const out: StepObservation[] = [];
  seq.ops.forEach((op, k) => {
    const t0 = stepAt(k);
    sim.run((t0 - 1) as Micros);
    // A promotion reaches only a running server, as on the real side (real.ts runReal).
    const ignored = op.kind === 'promote' && !cluster.node(op.node).running;
    const writer = op.kind === 'insert' || op.kind === 'syncInsert' ? cluster.node(op.node) : null;
    const before = writer ? { timeline: writer.wal.timeline, end: writer.walEnd(sim.now), primary: writer.running && writer.isPrimary } : null;
    const t1 = (stepAt(k + 1) - 1) as Micros;
    sim.run(t1);
    const clip = clipMarker(op, intended.role.get(op.node) === 'primary', major);
    if (!ignored) applyIntended(intended, op);
    let accepted: boolean | null = null;
    if (writer && before) {
      const end = writer.walEnd(sim.now);
      accepted = before.primary && end > before.end + 0.5;
      if (accepted) ranges.set(k, { timeline: writer.wal.timeline, from: before.end, to: end, writer: op.kind === 'syncInsert' ? writer.name : null });
    }
    const nodes: Record<string, NodeObservation> = {};
    for (const n of cluster.nodes.values()) {
      const rows: number[] = [];
      const partial: number[] = [];
      for (const [step, r] of ranges) {
        const h = hasRange(n, r, sim.now, world.ctx.history);
        if (h === 'all') rows.push(step);
        else if (h === 'some') partial.push(step);
      }
      const messages = new Set<string>();
      const linesByProcess: Record<string, string[]> = {};
      const ordered: { proc: string; text: string; line: string }[] = [];
      // The events' lines and the chatter written outside events (history/chatter.ts), in time order.
      const chatter = world.ctx.history.chatter.entries.filter((c) => c.node === n.name && lastOf(c) >= t0 && c.at <= t1);
      const logged = [...world.ctx.history.events.filter((e) => e.node === n.name && (e.repeat?.last ?? e.at) >= t0 && e.at <= t1).map((e) => ({ at: e.at, log: e.serverLog ?? e.log })), ...chatter];
      logged.sort((a, b) => a.at - b.at);
      for (const e of logged) {
        for (const line of e.log) {
          const [first, ...rest] = line.split('\n');
          const m = first!.match(/^(.+?) (LOG|FATAL|ERROR|DETAIL|WARNING|HINT|PANIC):  (.*)$/);
          const proc = m ? m[1]! : line.split(' ', 1)[0]!;
          if (m && proc !== 'client backend') {
            // A real log line per prefix: the message's first line, then its DETAIL, HINT and CONTEXT lines
            // (a message's own continuation lines carry no prefix and are not lines of their own there).
            ordered.push({ proc, text: m[3]!, line: `${m[2]}:  ${normaliseLine(m[3]!)}` });
            for (const r of rest) {
              const d = r.match(/^\t(DETAIL|HINT|CONTEXT|STATEMENT):  (.*)$/);
              if (d) ordered.push({ proc, text: d[2]!, line: `${d[1]}:  ${normaliseLine(d[2]!)}` });
            }
          }
          if (OWN_PROCESSES.has(proc)) for (const key of messageKeys(line)) messages.add(key);
        }
      }
      // The operated node's lines from its operation's own start, as the harness reads them (real.ts newLines).
      if (n.name === op.node && clip) {
        const last = ordered.findLastIndex((l) => clip.test(l.text));
        if (last >= 0) ordered.splice(0, last + 1);
      }
      for (const l of ordered) (linesByProcess[l.proc] ??= []).push(l.line);
      for (const p of Object.keys(linesByProcess)) linesByProcess[p] = [...new Set(linesByProcess[p])];
      const state = n.run.state === 'running' ? 'running' : intended.running.get(n.name) === false ? 'down' : n.run.state === 'failed' ? 'failed' : 'down';
      // A server that accepts no connections yet (a standby still reading its checkpoint record) answers no query.
      const asked = n.acceptsConnections;
      nodes[n.name] = {
        state,
        role: asked ? n.role.kind : null,
        tli: n.tli,
        rows: asked ? rows.sort((a, b) => a - b) : null,
        partial: asked ? partial.sort((a, b) => a - b) : [],
        info: `${n.receiverStatus} lsn ${Math.floor(n.walEnd(sim.now)).toString(16)}`,
        messages: [...messages].sort(),
        // The model keeps no recycled segments: only the span from the oldest kept segment is comparable.
        wal: { files: walSpan(n, sim.now), span: walSpan(n, sim.now) },
        slots: n.running ? slotsOf(cluster, n, sim.now) : null,
        lines: linesByProcess,
      };
    }
    out.push({ step: k, op: describeOp(op), insertAccepted: accepted, nodes, note: null });
  });
  // The same scenario through runScenario: its final node table must match the stepped run.
  const { report } = runScenario(scenario);
  const last = out[out.length - 1];
  for (const rn of report.nodes) {
    const o = last?.nodes[rn.name];
    if (o && (o.tli !== rn.timeline || (o.state === 'running') !== (rn.state === 'running'))) {
      throw new Error(`${seq.id}: runScenario and the stepped run disagree on ${rn.name}`);
    }
  }
  return out;
}

/**
 * The model side: a sequence as a Scenario (version 15 nodes with explicit recovery_target_timeline), run in
 * simulated time with one step every STEP seconds. The World is advanced step by step (the same World.start
 * + Simulation.run that runScenario performs) so that each step can be observed; runScenario then runs the
 * whole scenario once more and its report's final nodes must agree with the stepped run.
 */
import { seconds, type Micros } from '../src/engine/time.ts';
import { World } from '../src/models/world.ts';
import type { PgNode } from '../src/models/postgres/node.ts';
import { endOf, isAncestorOrSelf, type Timeline } from '../src/models/postgres/timeline.ts';
import { runScenario } from '../src/run.ts';
import type { Action, ActionBody, Scenario } from '../src/scenario/types.ts';
import { action, buildScenario, node } from '../test/support/builder.ts';
import { messageKeys, OWN_PROCESSES, type NodeObservation, type StepObservation } from './observe.ts';
import { applyIntended, describeOp, initialIntended, type Rtt, type Sequence } from './sequence.ts';

/** Simulated seconds between steps: ample for the model to settle (retries every second). */
export const STEP_SECONDS = 30;
const FIRST_STEP = seconds(10);
export const stepAt = (k: number): Micros => (FIRST_STEP + seconds(STEP_SECONDS) * k) as Micros;
/** WAL bytes per inserted row in the model (any positive value: rows are compared by step, not by LSN). */
const WAL_PER_ROW = 128;
const MiB = 1024 * 1024;

const rttSpec = (r: Rtt) => (typeof r === 'number' ? { tli: r } : r);

export function toScenario(seq: Sequence): Scenario {
  const nodes = seq.nodes.map((n) =>
    node(n.name, 'loopback', 15, {
      upstream: n.upstream,
      settings: {
        recoveryTargetTimeline: rttSpec(n.rtt),
        walKeepSize: 256 * MiB,
        checkpointTimeout: seconds(3600),
        walRetrieveRetryInterval: seconds(1),
      },
    }),
  );
  const actions: Action[] = [];
  const add = (t: Micros, body: ActionBody) => actions.push(action(t, body));
  seq.ops.forEach((op, k) => {
    const t = stepAt(k);
    switch (op.kind) {
      case 'insert':
        // Rows as a workload of `rows` transactions per second for one second, routed to the node.
        add(t, { kind: 'routeWrites', cluster: 'main', node: op.node, workload: null });
        add(t, { kind: 'workload', cluster: 'main', workload: null, rate: op.rows });
        add((t + seconds(1)) as Micros, { kind: 'workload', cluster: 'main', workload: null, rate: 0 });
        return;
      case 'promote':
      case 'stop':
      case 'start':
        return add(t, { kind: op.kind, node: op.node });
      case 'repoint':
        return add(t, { kind: 'repoint', node: op.node, upstream: op.upstream });
      case 'restart':
        return add(
          t,
          op.rtt === null ? { kind: 'restart', node: op.node } : { kind: 'configure', node: op.node, settings: { recoveryTargetTimeline: rttSpec(op.rtt) }, restart: 'auto' },
        );
    }
  });
  return buildScenario({
    name: seq.id,
    nodes,
    workload: { target: 'pg0', rate: 0, walPerTx: WAL_PER_ROW },
    actions,
    end: stepAt(seq.ops.length),
    startLsn: 0x3000000,
    walArchive: false,
    seed: seq.seed,
  });
}

interface StepRange {
  readonly timeline: Timeline;
  readonly from: number;
  readonly to: number;
}

function hasRange(n: PgNode, r: StepRange, now: Micros): 'all' | 'some' | 'none' {
  if (!isAncestorOrSelf(r.timeline, n.wal.timeline)) return 'none';
  const leaves = endOf(n.wal.timeline, r.timeline) ?? Number.POSITIVE_INFINITY;
  const reach = Math.min(n.walEnd(now), leaves);
  if (reach >= r.to - 0.5) return 'all';
  return reach > r.from + 0.5 ? 'some' : 'none';
}

export function runModel(seq: Sequence): StepObservation[] {
  const scenario = toScenario(seq);
  const world = new World(scenario);
  const sim = world.ctx.sim;
  const cluster = world.clusters.get('main')!;
  world.start();
  const ranges = new Map<number, StepRange>();
  const intended = initialIntended(seq);
  const out: StepObservation[] = [];
  seq.ops.forEach((op, k) => {
    const t0 = stepAt(k);
    sim.run((t0 - 1) as Micros);
    const writer = op.kind === 'insert' ? cluster.node(op.node) : null;
    const before = writer ? { timeline: writer.wal.timeline, end: writer.walEnd(sim.now), primary: writer.running && writer.isPrimary } : null;
    const t1 = (stepAt(k + 1) - 1) as Micros;
    sim.run(t1);
    applyIntended(intended, op);
    let accepted: boolean | null = null;
    if (writer && before) {
      const end = writer.walEnd(sim.now);
      accepted = before.primary && end > before.end + 0.5;
      if (accepted) ranges.set(k, { timeline: writer.wal.timeline, from: before.end, to: end });
    }
    const nodes: Record<string, NodeObservation> = {};
    for (const n of cluster.nodes.values()) {
      const rows: number[] = [];
      const partial: number[] = [];
      for (const [step, r] of ranges) {
        const h = hasRange(n, r, sim.now);
        if (h === 'all') rows.push(step);
        else if (h === 'some') partial.push(step);
      }
      const messages = new Set<string>();
      for (const e of world.ctx.history.events) {
        if (e.node !== n.name) continue;
        const last = e.repeat?.last ?? e.at;
        if (last < t0 || e.at > t1) continue;
        for (const line of e.log) {
          const proc = line.split(' ', 1)[0]!;
          if (OWN_PROCESSES.has(proc)) for (const key of messageKeys(line)) messages.add(key);
        }
      }
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

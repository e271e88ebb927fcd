/**
 * Operation sequences run against both real PostgreSQL 15 and the model, and their seeded generator.
 *
 * Topologies come from the property tests' arbitraries (src/testing/arbitraries.ts topologyArbitrary, drawn
 * with the sequence's seed: one primary, 2-4 standbys cascading to any depth, version 15, current or latest).
 * The operations come from a small generator of this harness: the arbitraries' timed operations are not
 * state-aware (a repoint may close a cycle, writes are rates), while a real server needs operations an
 * operator could issue one after the other. It keeps an *intended* state (who is a primary, who streams from
 * whom, who was stopped); what the servers then do (follow, get stuck, diverge, refuse to start) is compared.
 */
import fc from 'fast-check';
import seedrandom from 'seedrandom';
import { topologyArbitrary } from '../src/testing/arbitraries.ts';

export type Rtt = 'latest' | 'current' | number;

export interface TopologyNode {
  readonly name: string;
  /** null for the initial primary. */
  readonly upstream: string | null;
  /** recovery_target_timeline, always written explicitly (the 9.x default is reproduced with 'current'). */
  readonly rtt: Rtt;
}

/** pg_ctl's shutdown modes: smart waits for clients, fast ends them and writes a shutdown checkpoint, immediate writes nothing (a crash). */
export type StopMode = 'smart' | 'fast' | 'immediate';

/** A setting changed by a `configure` step (ALTER SYSTEM, then a reload, or a restart where the setting needs one). */
export type Setting =
  /** 13+; null: -1 (unlimited). */
  | { readonly name: 'max_slot_wal_keep_size'; readonly mib: number | null }
  /** wal_keep_size (13+) or wal_keep_segments (≤ 12, whole 16 MiB segments). */
  | { readonly name: 'wal_keep'; readonly mib: number }
  | { readonly name: 'max_wal_size'; readonly mib: number }
  | { readonly name: 'checkpoint_timeout'; readonly seconds: number }
  /** null: '' (no synchronous standby). */
  | { readonly name: 'synchronous_standby_names'; readonly method: 'first' | 'any'; readonly num: number; readonly standbys: readonly string[] }
  | { readonly name: 'synchronous_commit'; readonly value: 'on' | 'off' | 'local' | 'remote_write' | 'remote_apply' }
  /** archive_mode = on with an archive_command copying into the sequence's archive directory (a restart), or archive_command failing. */
  | { readonly name: 'archive'; readonly on: boolean }
  /** restore_command copying from the archive directory (a standby; 12+ reload, ≤ 11 recovery.conf and a restart). */
  | { readonly name: 'restore_command'; readonly on: boolean };

export type Op =
  /** INSERT `rows` rows tagged with the step number on `node` (fails unless it is a running primary). */
  | { readonly kind: 'insert'; readonly node: string; readonly rows: number }
  | { readonly kind: 'promote'; readonly node: string }
  /** primary_conninfo to `upstream`: reload on a standby (13+; a restart before); on a primary: fast stop, standby.signal, start. */
  | { readonly kind: 'repoint'; readonly node: string; readonly upstream: string }
  /** Restart (fast unless `mode` says otherwise), optionally with a new recovery_target_timeline. */
  | { readonly kind: 'restart'; readonly node: string; readonly rtt: Rtt | null; readonly mode?: StopMode }
  | { readonly kind: 'stop'; readonly node: string; readonly mode?: StopMode }
  | { readonly kind: 'start'; readonly node: string }
  // The extended vocabulary (issue 9): WAL retention, slots, archiving, synchronous replication, cuts.
  /** A manual CHECKPOINT (a restartpoint on a standby). */
  | { readonly kind: 'checkpoint'; readonly node: string }
  /** A burst of WAL without rows: `mib` records of 1 MiB (pg_logical_emit_message, non-transactional). */
  | { readonly kind: 'burst'; readonly node: string; readonly mib: number }
  /** A physical slot on `node` reserving WAL at once (pg_create_physical_replication_slot(name, true)). */
  | { readonly kind: 'createSlot'; readonly node: string; readonly slot: string }
  | { readonly kind: 'dropSlot'; readonly node: string; readonly slot: string }
  /** primary_slot_name on a standby (null: none): a reload from 13, a restart before. */
  | { readonly kind: 'useSlot'; readonly node: string; readonly slot: string | null }
  | { readonly kind: 'configure'; readonly node: string; readonly setting: Setting }
  /**
   * INSERT `rows` rows whose commit waits for synchronous standbys; after the step's wait the waiting commit is
   * cancelled (a cancel request), times out (statement_timeout), is terminated (pg_terminate_backend), or is left waiting.
   */
  | { readonly kind: 'syncInsert'; readonly node: string; readonly rows: number; readonly then: 'cancel' | 'timeout' | 'terminate' | 'wait' }
  /** The network between standby `node` and its upstream is cut (no packet passes either way) until a `heal`. */
  | { readonly kind: 'cut'; readonly node: string }
  | { readonly kind: 'heal'; readonly node: string };

export interface Sequence {
  readonly id: string;
  readonly seed: number;
  readonly nodes: readonly TopologyNode[];
  readonly ops: readonly Op[];
}

/** What the operator believes after each step: used to generate valid operations and to name upstreams. */
export interface Intended {
  role: Map<string, 'primary' | 'standby'>;
  upstream: Map<string, string | null>;
  rtt: Map<string, Rtt>;
  running: Map<string, boolean>;
}

export function initialIntended(seq: Pick<Sequence, 'nodes'>): Intended {
  const s: Intended = { role: new Map(), upstream: new Map(), rtt: new Map(), running: new Map() };
  for (const n of seq.nodes) {
    s.role.set(n.name, n.upstream === null ? 'primary' : 'standby');
    s.upstream.set(n.name, n.upstream);
    s.rtt.set(n.name, n.rtt);
    s.running.set(n.name, true);
  }
  return s;
}

/** The intended state after `op` (the real outcome may differ: a start can fail, a promotion can be refused). */
export function applyIntended(s: Intended, op: Op): void {
  switch (op.kind) {
    case 'insert':
      return;
    case 'promote':
      if (s.role.get(op.node) === 'standby' && s.running.get(op.node)) {
        s.role.set(op.node, 'primary');
        s.upstream.set(op.node, null);
      }
      return;
    case 'repoint':
      s.upstream.set(op.node, op.upstream);
      if (s.role.get(op.node) === 'primary') {
        s.role.set(op.node, 'standby');
        s.running.set(op.node, true);
      }
      return;
    case 'restart':
      if (op.rtt !== null) s.rtt.set(op.node, op.rtt);
      s.running.set(op.node, true);
      return;
    case 'stop':
      s.running.set(op.node, false);
      return;
    case 'start':
      s.running.set(op.node, true);
      return;
    case 'configure':
      // archive_mode needs a restart, which starts a stopped node too.
      if (op.setting.name === 'archive' && s.role.get(op.node) === 'primary') s.running.set(op.node, true);
      return;
    default:
      return;
  }
}

export function describeOp(op: Op): string {
  switch (op.kind) {
    case 'insert':
      return `insert ${op.rows} rows on ${op.node}`;
    case 'promote':
      return `promote ${op.node}`;
    case 'repoint':
      return `repoint ${op.node} to ${op.upstream}`;
    case 'restart':
      return op.rtt === null ? `restart ${op.node}` : `restart ${op.node} with recovery_target_timeline=${op.rtt}`;
    case 'stop':
      return `stop ${op.node}${op.mode && op.mode !== 'fast' ? ` (${op.mode})` : ''}`;
    case 'start':
      return `start ${op.node}`;
    case 'checkpoint':
      return `CHECKPOINT on ${op.node}`;
    case 'burst':
      return `burst of ${op.mib} MiB of WAL on ${op.node}`;
    case 'createSlot':
      return `create physical slot ${op.slot} on ${op.node}`;
    case 'dropSlot':
      return `drop slot ${op.slot} on ${op.node}`;
    case 'useSlot':
      return op.slot === null ? `${op.node} uses no slot` : `${op.node} uses slot ${op.slot}`;
    case 'configure':
      return `set ${describeSetting(op.setting)} on ${op.node}`;
    case 'syncInsert':
      return `insert ${op.rows} rows on ${op.node} waiting for synchronous standbys, then ${op.then === 'wait' ? 'left waiting' : op.then === 'timeout' ? 'statement_timeout' : op.then === 'cancel' ? 'cancelled' : 'terminated'}`;
    case 'cut':
      return `cut ${op.node} from its upstream`;
    case 'heal':
      return `heal ${op.node}'s connection`;
  }
}

export function describeSetting(s: Setting): string {
  switch (s.name) {
    case 'max_slot_wal_keep_size':
      return `max_slot_wal_keep_size=${s.mib === null ? '-1' : `${s.mib}MB`}`;
    case 'wal_keep':
      return `wal_keep_size=${s.mib}MB`;
    case 'max_wal_size':
      return `max_wal_size=${s.mib}MB`;
    case 'checkpoint_timeout':
      return `checkpoint_timeout=${s.seconds}s`;
    case 'synchronous_standby_names':
      return s.standbys.length ? `synchronous_standby_names='${s.method.toUpperCase()} ${s.num} (${s.standbys.join(', ')})'` : "synchronous_standby_names=''";
    case 'synchronous_commit':
      return `synchronous_commit=${s.value}`;
    case 'archive':
      return s.on ? 'archive_mode=on (archive_command copies to the archive)' : 'archive_command failing';
    case 'restore_command':
      return s.on ? 'restore_command (copies from the archive)' : "restore_command=''";
  }
}

export function describeTopology(nodes: readonly TopologyNode[]): string {
  return nodes.map((n) => (n.upstream === null ? `${n.name} primary` : `${n.name}←${n.upstream} (${n.rtt})`)).join(', ');
}

/** Nodes whose intended upstream chain passes through `x` (x included): repointing x to one of them is a cycle. */
function subtree(s: Intended, x: string): Set<string> {
  const out = new Set([x]);
  let grew = true;
  while (grew) {
    grew = false;
    for (const [n, u] of s.upstream) {
      if (u !== null && out.has(u) && !out.has(n)) {
        out.add(n);
        grew = true;
      }
    }
  }
  return out;
}

/** The nodes by what the operator believes: running or stopped, running primaries and standbys. */
function partition(s: Intended, names: readonly string[]) {
  const running = names.filter((x) => s.running.get(x));
  return {
    running,
    stopped: names.filter((x) => !s.running.get(x)),
    primaries: running.filter((x) => s.role.get(x) === 'primary'),
    standbys: running.filter((x) => s.role.get(x) === 'standby'),
  };
}

/** A topology drawn from the property tests' arbitrary, renamed pg0 (the primary), pg1, ... in upstream order. */
export function topologyFromArbitraries(seed: number): TopologyNode[] {
  const arb = topologyArbitrary({
    versions: [15],
    primaries: { min: 1, max: 1 },
    standbys: { min: 2, max: 4 },
    timelines: ['current', 'latest'],
    synchronous: false,
    sites: { min: 1, max: 1 },
    workload: false,
    failover: false,
  });
  const [scenario] = fc.sample(arb, { seed, numRuns: 1 });
  const specs = scenario!.clusters[0]!.nodes;
  const rename = new Map(specs.map((n, i) => [n.name, `pg${i}`]));
  return specs.map((n) => ({
    name: rename.get(n.name)!,
    upstream: n.upstream === null ? null : rename.get(n.upstream)!,
    rtt: n.settings.recoveryTargetTimeline === 'current' ? 'current' : 'latest',
  }));
}

/** A seeded random sequence: 3-5 nodes in a cascade from the arbitraries, 6-10 operations. */
export function generateSequence(seed: number): Sequence {
  const rnd = seedrandom(`replsim-conformance:${seed}`);
  const int = (lo: number, hi: number) => lo + Math.floor(rnd() * (hi - lo + 1));
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const nodes = topologyFromArbitraries(seed);
  const names = nodes.map((x) => x.name);
  const s = initialIntended({ nodes });
  const ops: Op[] = [{ kind: 'insert', node: 'pg0', rows: int(2, 9) }];
  const count = int(6, 10);
  while (ops.length < count) {
    const { running, stopped, primaries, standbys } = partition(s, names);
    const r = rnd();
    let op: Op | null = null;
    if (r < 0.22) {
      if (primaries.length) op = { kind: 'insert', node: pick(primaries), rows: int(2, 9) };
    } else if (r < 0.42) {
      if (standbys.length) op = { kind: 'promote', node: pick(standbys) };
    } else if (r < 0.6) {
      const x = pick(running.length ? running : names);
      const targets = names.filter((y) => !subtree(s, x).has(y) && y !== s.upstream.get(x));
      if (s.running.get(x) && targets.length) op = { kind: 'repoint', node: x, upstream: pick(targets) };
    } else if (r < 0.75) {
      const x = pick(running.length ? running : names);
      if (s.role.get(x) === 'standby') {
        const q = rnd();
        const rtt: Rtt | null = q < 0.4 ? 'latest' : q < 0.7 ? 'current' : q < 0.85 ? int(1, 5) : null;
        op = { kind: 'restart', node: x, rtt };
      } else op = { kind: 'restart', node: x, rtt: null };
    } else if (r < 0.88) {
      if (running.length > 1) op = { kind: 'stop', node: pick(running) };
    } else if (stopped.length) op = { kind: 'start', node: pick(stopped) };
    if (!op) continue;
    ops.push(op);
    applyIntended(s, op);
  }
  return { id: `seed-${seed}`, seed, nodes, ops };
}

/** The fixed CI set: the §0 experiments of ../shared/domain/postgres.md written as sequences, then seeded ones. */
export function ciSequences(): Sequence[] {
  const t = (name: string, upstream: string | null, rtt: Rtt = 'latest'): TopologyNode => ({ name, upstream, rtt });
  const fixed: Sequence[] = [
    {
      // §0.1 then the fix of rule 10: a cascaded standby on 'current' stops at its upstream's promotion; set latest and restart.
      id: 'notes-0.1-current-stuck',
      seed: 0,
      nodes: [t('pg0', null), t('pg1', 'pg0'), t('pg2', 'pg1', 'current')],
      ops: [
        { kind: 'insert', node: 'pg0', rows: 2 },
        { kind: 'stop', node: 'pg0' },
        { kind: 'promote', node: 'pg1' },
        { kind: 'insert', node: 'pg1', rows: 2 },
        { kind: 'restart', node: 'pg2', rtt: 'latest' },
      ],
    },
    {
      // §0.2: the same on 'latest' follows at once.
      id: 'notes-0.2-latest-follows',
      seed: 0,
      nodes: [t('pg0', null), t('pg1', 'pg0'), t('pg2', 'pg1', 'latest')],
      ops: [
        { kind: 'insert', node: 'pg0', rows: 2 },
        { kind: 'stop', node: 'pg0' },
        { kind: 'promote', node: 'pg1' },
        { kind: 'insert', node: 'pg1', rows: 2 },
      ],
    },
    {
      // §0.3: split brain; a standby of the old primary repointed to the new one; the old primary rejoining twice; a missing TLI.
      id: 'notes-0.3-divergence',
      seed: 0,
      nodes: [t('pg0', null), t('pg1', 'pg0'), t('pg2', 'pg0')],
      ops: [
        { kind: 'insert', node: 'pg0', rows: 3 },
        { kind: 'promote', node: 'pg1' },
        { kind: 'insert', node: 'pg0', rows: 3 },
        { kind: 'repoint', node: 'pg2', upstream: 'pg1' },
        { kind: 'repoint', node: 'pg0', upstream: 'pg1' },
        { kind: 'restart', node: 'pg0', rtt: null },
        { kind: 'restart', node: 'pg2', rtt: null },
        { kind: 'restart', node: 'pg2', rtt: 5 },
      ],
    },
    {
      // An old primary that wrote nothing after the promotion rejoins: its shutdown checkpoint is WAL past the fork.
      id: 'idle-old-primary-rejoins',
      seed: 0,
      nodes: [t('pg0', null), t('pg1', 'pg0'), t('pg2', 'pg0')],
      ops: [
        { kind: 'insert', node: 'pg0', rows: 2 },
        { kind: 'promote', node: 'pg1' },
        { kind: 'repoint', node: 'pg0', upstream: 'pg1' },
        { kind: 'restart', node: 'pg0', rtt: null },
      ],
    },
    {
      // The old primary stopped after the promotion: its standby receives the shutdown checkpoint, then is repointed.
      id: 'stop-old-primary-after-promotion',
      seed: 0,
      nodes: [t('pg0', null), t('pg1', 'pg0'), t('pg2', 'pg0')],
      ops: [
        { kind: 'insert', node: 'pg0', rows: 2 },
        { kind: 'promote', node: 'pg1' },
        { kind: 'stop', node: 'pg0' },
        { kind: 'repoint', node: 'pg2', upstream: 'pg1' },
        { kind: 'insert', node: 'pg1', rows: 2 },
      ],
    },
  ];
  // 1-8, then sequences whose disagreements were analysed and fixed (docs/conformance.md, "Model changes"):
  // a sibling timeline streamed silently (11), a reload that does not move an idle walreceiver (33), a
  // checkpoint that is not on the recovery target's history (79).
  const seeds = [1, 2, 3, 4, 5, 6, 7, 8, 11, 33, 79];
  return [...fixed, ...seeds.map(generateSequence)];
}

/**
 * A commit waiting for a synchronous standby that never comes (synchronous_standby_names names no server): its
 * row is hidden on the primary while it waits (the backend leaves the proc array after the wait) and visible on
 * the asynchronous standbys that replayed it; after pg_cancel_backend it is visible on the primary too. Two
 * sequences, because the harness cancels its own session only while the model's step cancels every waiting
 * backend of the node. After the wait the primary stops and a standby is promoted: the waiting commit survives.
 */
export function syncSequences(): Sequence[] {
  const t = (name: string, upstream: string | null): TopologyNode => ({ name, upstream, rtt: 'latest' });
  const nodes = [t('pg0', null), t('pg1', 'pg0'), t('pg2', 'pg0')];
  const nobody: Op = { kind: 'configure', node: 'pg0', setting: { name: 'synchronous_standby_names', method: 'first', num: 1, standbys: ['pg9'] } };
  return (['wait', 'cancel'] as const).map((then) => ({
    id: `sync-insert-${then === 'wait' ? 'left-waiting' : 'cancelled'}`,
    seed: 0,
    nodes,
    ops: [{ kind: 'insert', node: 'pg0', rows: 2 }, nobody, { kind: 'syncInsert', node: 'pg0', rows: 3, then }, { kind: 'stop', node: 'pg0' }, { kind: 'promote', node: 'pg1' }],
  }));
}

/**
 * Hand-written sequences for what the generators do not reach. `sibling-restart`: pg2, a cascaded standby of
 * pg1, is promoted and written on its own timeline 2; pg1 is promoted to another timeline 2; pg2, repointed to
 * pg1, streams that sibling's WAL into its pg_wal files of the same name; then pg2 restarts
 * (conformance/DISAGREEMENTS.md §3).
 */
export function handWrittenSequences(): Sequence[] {
  const t = (name: string, upstream: string | null): TopologyNode => ({ name, upstream, rtt: 'latest' });
  return [
    {
      id: 'sibling-restart',
      seed: 0,
      nodes: [t('pg0', null), t('pg1', 'pg0'), t('pg2', 'pg1')],
      ops: [
        { kind: 'insert', node: 'pg0', rows: 2 },
        { kind: 'promote', node: 'pg2' },
        { kind: 'insert', node: 'pg2', rows: 3 },
        { kind: 'promote', node: 'pg1' },
        { kind: 'repoint', node: 'pg2', upstream: 'pg1' },
        { kind: 'insert', node: 'pg1', rows: 4 },
        { kind: 'restart', node: 'pg2', rtt: null },
        { kind: 'insert', node: 'pg1', rows: 2 },
      ],
    },
  ];
}

export function fullSequences(count: number, firstSeed = 1): Sequence[] {
  return [...ciSequences().slice(0, 5), ...Array.from({ length: count - 5 }, (_, i) => generateSequence(firstSeed + i))];
}

/**
 * A seeded sequence of the extended vocabulary (issue 9): the classic steps mixed with checkpoints, bursts of
 * WAL, slots used by standbys, WAL retention settings, archiving with restore_command, synchronous commits
 * cancelled, timed out, terminated or left waiting, stop modes and cuts. Ids `ext-<seed>`; a generator of its own,
 * so the classic sequences' seeds keep their meaning.
 */
export function generateExtendedSequence(seed: number): Sequence {
  const rnd = seedrandom(`replsim-conformance-extended:${seed}`);
  const int = (lo: number, hi: number) => lo + Math.floor(rnd() * (hi - lo + 1));
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const nodes = topologyFromArbitraries(100000 + seed);
  const names = nodes.map((x) => x.name);
  const s = initialIntended({ nodes });
  const ops: Op[] = [{ kind: 'insert', node: 'pg0', rows: int(2, 9) }];
  const count = int(6, 10);
  const cut = new Set<string>();
  const slots = new Map<string, string>(); // slot name -> node it is on
  let archiving = false;
  let syncOn: string | null = null;
  while (ops.length < count) {
    const { running, stopped, primaries, standbys } = partition(s, names);
    const r = rnd();
    let op: Op | null = null;
    if (r < 0.12) {
      if (primaries.length) op = { kind: 'insert', node: pick(primaries), rows: int(2, 9) };
    } else if (r < 0.2) {
      if (primaries.length) op = { kind: 'burst', node: pick(primaries), mib: int(8, 48) };
    } else if (r < 0.27) {
      if (running.length) op = { kind: 'checkpoint', node: pick(running) };
    } else if (r < 0.37) {
      const p = primaries.length ? pick(primaries) : null;
      const q = rnd();
      if (p)
        op = {
          kind: 'configure',
          node: p,
          setting:
            q < 0.3 ? { name: 'wal_keep', mib: pick([0, 16, 32]) } : q < 0.55 ? { name: 'max_wal_size', mib: pick([32, 48, 64]) } : q < 0.8 ? { name: 'max_slot_wal_keep_size', mib: pick([null, 16, 32]) } : { name: 'checkpoint_timeout', seconds: 30 },
        };
    } else if (r < 0.45) {
      // A slot on a standby's upstream, used by that standby.
      const x = standbys.length ? pick(standbys) : null;
      const up = x ? s.upstream.get(x) : null;
      if (x && up && s.running.get(up)) {
        const name = `slot_${x}`;
        if (slots.get(name) === up) op = { kind: 'useSlot', node: x, slot: name };
        else if (!slots.has(name)) {
          op = { kind: 'createSlot', node: up, slot: name };
          slots.set(name, up);
        } else {
          op = { kind: 'dropSlot', node: slots.get(name)!, slot: name };
          slots.delete(name);
        }
      }
    } else if (r < 0.53) {
      const p = primaries.length ? pick(primaries) : null;
      const mine = names.filter((x) => s.upstream.get(x) === p && s.role.get(x) === 'standby');
      if (p && syncOn !== p && mine.length) {
        const names2 = mine.slice(0, int(1, Math.min(2, mine.length)));
        op = { kind: 'configure', node: p, setting: { name: 'synchronous_standby_names', method: pick(['first', 'any'] as const), num: 1, standbys: names2 } };
        syncOn = p;
      } else if (p && syncOn === p) op = { kind: 'syncInsert', node: p, rows: int(2, 9), then: pick(['cancel', 'timeout', 'terminate', 'wait'] as const) };
    } else if (r < 0.6) {
      const p = primaries.length ? pick(primaries) : null;
      if (p && !archiving) {
        op = { kind: 'configure', node: p, setting: { name: 'archive', on: true } };
        archiving = true;
      } else if (archiving && standbys.length) op = { kind: 'configure', node: pick(standbys), setting: { name: 'restore_command', on: true } };
    } else if (r < 0.68) {
      const candidates = standbys.filter((x) => !cut.has(x));
      if (cut.size && rnd() < 0.6) {
        const x = pick([...cut]);
        cut.delete(x);
        op = { kind: 'heal', node: x };
      } else if (candidates.length) {
        const x = pick(candidates);
        cut.add(x);
        op = { kind: 'cut', node: x };
      }
    } else if (r < 0.76) {
      if (standbys.length) op = { kind: 'promote', node: pick(standbys.filter((x) => !cut.has(x)).length ? standbys.filter((x) => !cut.has(x)) : standbys) };
    } else if (r < 0.84) {
      if (running.length > 1) op = { kind: 'stop', node: pick(running), mode: pick(['fast', 'immediate', 'smart'] as const) };
    } else if (r < 0.9) {
      if (stopped.length) op = { kind: 'start', node: pick(stopped) };
    } else {
      const x = running.length ? pick(running) : null;
      if (x && !cut.has(x)) {
        const targets = names.filter((y) => !subtree(s, x).has(y) && y !== s.upstream.get(x));
        if (targets.length) op = { kind: 'repoint', node: x, upstream: pick(targets) };
      }
    }
    if (!op) continue;
    ops.push(op);
    applyIntended(s, op);
  }
  for (const x of cut) ops.push({ kind: 'heal', node: x });
  return { id: `ext-${seed}`, seed, nodes, ops };
}

export function extendedSequences(count: number, firstSeed = 1): Sequence[] {
  return Array.from({ length: count }, (_, i) => generateExtendedSequence(firstSeed + i));
}

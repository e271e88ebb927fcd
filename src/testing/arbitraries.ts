/**
 * fast-check arbitraries for replsim scenarios: topologies (one or two primaries, standbys cascading to any
 * depth, versions 9.2-18, recovery_target_timeline, synchronous_standby_names, physical replication slots,
 * sites and links, a failover manager) and timed operation sequences (writes at rates, promote, repoint,
 * configure with or without a restart, stop, start, crash, restart, partition, heal, failover, route_writes,
 * client blocks, slot drops and their consumers stopping and starting). No `create_slot` steps: the grammar
 * does not decode a plan's create_slot yet (its node is looked up in the cluster being declared), so the
 * slots are declared with the topology instead. They produce decoded `Scenario` objects that
 * runScenario accepts and that scenarioToYaml prints as a runnable file. docs/properties.md shows how to
 * write a property with them.
 *
 * Everything generated is valid input (the loader would accept its YAML); what is generated is chosen by
 * options, so a property can ask for, say, "every standby on latest, no faults".
 */
import fc from 'fast-check';
import { seconds, type Micros } from '../engine/time.ts';
import type {
  Action,
  ActionBody,
  ClusterSpec,
  FailoverSpec,
  NodeSpec,
  PgMajor,
  PgSettingsSpec,
  RecoveryTargetTimeline,
  Scenario,
  SlotSpec,
  SynchronousCommit,
  SynchronousStandbyNames,
  WorkloadSpec,
} from '../scenario/types.ts';
import { canonicalActions } from './yaml.ts';
import { printable } from './printable.ts';
import { IDEAL_CHECK } from '../scenario/grammar-managers.ts';

/** The versions the arbitraries draw from by default. */
export const VERSIONS: readonly PgMajor[] = [9.2, 9.3, 9.4, 9.5, 9.6, 10, 11, 12, 13, 14, 15, 16, 17, 18];

/** How a standby's recovery_target_timeline is chosen: absent (the version default), a keyword, or a number. */
export type TimelineChoice = 'default' | 'current' | 'latest' | 'numeric';

export interface TopologyOptions {
  /** Standbys per cluster (default 1..4). */
  readonly standbys?: { readonly min?: number; readonly max?: number };
  /** Primaries at the start (default 1..2, mostly 1). Two primaries are two unrelated histories. */
  readonly primaries?: { readonly min?: number; readonly max?: number };
  /** Versions to draw the cluster's version from (default 9.2-18). All nodes of a cluster share one. */
  readonly versions?: readonly PgMajor[];
  /** recovery_target_timeline choices for standbys (default all four). */
  readonly timelines?: readonly TimelineChoice[];
  /** Whether primaries may have synchronous_standby_names and synchronous_commit (default true). */
  readonly synchronous?: boolean;
  /** Sites (default 1..3); consecutive sites are linked, other pairs maybe. */
  readonly sites?: { readonly min?: number; readonly max?: number };
  /** Link every pair of sites (default false: sites without a link cannot reach each other). */
  readonly fullMesh?: boolean;
  /** Link bandwidths to draw from, bytes/s (default 10 Mbps .. 10 Gbps). */
  readonly bandwidths?: readonly number[];
  /** Link latencies to draw from (default 100 us .. 50 ms). */
  readonly latencies?: readonly Micros[];
  /** Whether the cluster has a client pool writing to the first primary (default true). */
  readonly workload?: boolean;
  /** Write rates to draw from, transactions per second (default 0, 10, 100, 1000). */
  readonly rates?: readonly number[];
  /**
   * Whether a failover manager watches the cluster: false never, true on a coin, 'always' in every
   * topology with a standby. Default false for topologyArbitrary; scenarioArbitrary defaults to true when
   * its operation kinds include `failover`.
   */
  readonly failover?: boolean | 'always';
  /**
   * The failover managers to draw from when one watches the cluster (default all): `naive` and `lag-only`
   * (one manager at a site), `patroni` (an agent per node and a three-member etcd spread over the sites from
   * the manager's; synchronous_mode and failsafe_mode drawn; only with one primary at the start).
   */
  readonly managers?: readonly ManagerChoice[];
  /**
   * Whether physical replication slots may exist at the start (default true; never before 9.4, which has
   * none): a standby of a primary may have its slot there (its consumer streaming, maybe with
   * hot_standby_feedback, or stopped), the primary may hold a forgotten slot whose consumer stopped, and
   * on 13+ max_slot_wal_keep_size may limit what they retain.
   */
  readonly slots?: boolean;
  /**
   * Whether WAL archiving may be modelled (default false): on a coin, the primaries archive (archive_mode on,
   * an archive_command, sometimes slower than the WAL), standbys on a coin restore from the archive
   * (restore_command) or, 9.5+, archive what they receive (always); the archive at a drawn site.
   */
  readonly archive?: boolean;
  /** wal_keep_size for every node, bytes (rounded up to whole 16 MiB segments); default: the version's. */
  readonly walKeepSize?: number;
  /** How long the run lasts (default 5 min). */
  readonly duration?: Micros;
  /** Draw the scenario seed too (default: seed 1). */
  readonly seeds?: boolean;
}

/** The failover managers topologyArbitrary can draw. */
export type ManagerChoice = 'naive' | 'lag-only' | 'patroni';

export type OperationKind =
  | 'writes'
  | 'promote'
  | 'repoint'
  | 'configure'
  | 'stop'
  | 'start'
  | 'crash'
  | 'restart'
  | 'partition'
  | 'heal'
  | 'failover'
  | 'routeWrites'
  | 'blockClients'
  | 'unblockClients'
  | 'dropSlot'
  | 'stopConsumer'
  | 'startConsumer'
  /** The leader's archive_command fails for a while (only when asked for: not among OPERATION_KINDS). */
  | 'archiveFails'
  /** CHECKPOINT on a node (only when asked for: not among OPERATION_KINDS). */
  | 'checkpoint'
  /** Rebuilding a node from the leader: re-clone (pg_basebackup), pg_rewind, an emptied data directory (only when asked for). */
  | 'reclone'
  | 'pgRewind'
  | 'destroyData'
  /** patronictl switchover, to a drawn member or the healthiest (a Patroni cluster only; only when asked for). */
  | 'switchover';

export const OPERATION_KINDS: readonly OperationKind[] = [
  'writes', 'promote', 'repoint', 'configure', 'stop', 'start', 'crash', 'restart', 'partition', 'heal', 'failover', 'routeWrites', 'blockClients', 'unblockClients',
  'dropSlot', 'stopConsumer', 'startConsumer',
];

/** Operations that change nothing but the plan's intent: no crash, no partition, no failover. */
export const PLANNED_KINDS: readonly OperationKind[] = [
  'writes', 'promote', 'repoint', 'configure', 'stop', 'start', 'restart', 'routeWrites', 'blockClients', 'unblockClients', 'dropSlot', 'stopConsumer', 'startConsumer',
];

/** Settings a `configure` operation changes (one per operation), each with values its version accepts. */
export type ConfigureSetting =
  | 'recoveryTargetTimeline'
  | 'synchronousCommit'
  | 'synchronousStandbyNames'
  | 'walKeepSize'
  | 'recoveryMinApplyDelay'
  | 'walReceiverTimeout'
  | 'hotStandbyFeedback'
  | 'maxSlotWalKeepSize';

export const CONFIGURE_SETTINGS: readonly ConfigureSetting[] = [
  'recoveryTargetTimeline', 'synchronousCommit', 'synchronousStandbyNames', 'walKeepSize', 'recoveryMinApplyDelay', 'walReceiverTimeout', 'hotStandbyFeedback', 'maxSlotWalKeepSize',
];

export interface OperationOptions {
  /** Which operations to draw (default all). */
  readonly kinds?: readonly OperationKind[];
  /** How many (default 0..8). */
  readonly count?: { readonly min?: number; readonly max?: number };
  /** When, in whole seconds after the start (default from 1 s to one minute before the end). */
  readonly window?: { readonly from: Micros; readonly to: Micros };
  /** recovery_target_timeline choices for `configure` (default current, latest, numeric). */
  readonly timelines?: readonly TimelineChoice[];
  /**
   * Settings `configure` changes (default all of CONFIGURE_SETTINGS; recovery_target_timeline twice as
   * often). A setting the node's version does not have falls back to recovery_target_timeline.
   */
  readonly settings?: readonly ConfigureSetting[];
}

export type ScenarioOptions = TopologyOptions & { readonly operations?: OperationOptions };

const MiB = 1024 * 1024;
const SEGMENT = 16 * MiB;
const START_EPOCH_MS = Date.UTC(2024, 0, 1, 0, 0, 0);
/** Storage is not modelled by these arbitraries: no pg_wal volume limit, no data volume throughput. */
const NO_STORAGE = { walVolume: null, throughput: null } as const;
export const DEFAULT_BANDWIDTHS: readonly number[] = [1.25e6, 1.25e7, 1.25e8, 1.25e9];
export const DEFAULT_LATENCIES: readonly Micros[] = [100, 1000, 5000, 20_000, 50_000] as Micros[];
const WAL_PER_TX = [512, 2048, 8192, 65_536];
const CONNECTIONS = [1, 10, 100];
/** Replication slots exist from 9.4. */
const SLOTS_SINCE: PgMajor = 9.4;
/** max_slot_wal_keep_size values (13+): unlimited, or a limit a stopped consumer's slot can pass within a run. */
const SLOT_LIMITS: readonly (number | null)[] = [null, 64 * MiB, 1024 * MiB];

function range(r: { readonly min?: number; readonly max?: number } | undefined, min: number, max: number): { min: number; max: number } {
  const lo = r?.min ?? min;
  return { min: lo, max: Math.max(lo, r?.max ?? max) };
}

/** Picks from a non-empty list by a drawn index (shrinks towards the first). */
function pick<T>(list: readonly T[], i: number): T {
  return list[i % list.length]!;
}

interface NodeDraw {
  upstreamPick: number;
  chain: boolean;
  site: number;
  timeline: number;
  numericOffset: number;
}

interface SyncDraw {
  on: boolean;
  any: boolean;
  num: number;
  names: number[];
  star: boolean;
  commit: number;
}

function rtt(choice: TimelineChoice, root: number, offset: number): RecoveryTargetTimeline | undefined {
  switch (choice) {
    case 'default':
      return undefined;
    case 'current':
    case 'latest':
      return choice;
    case 'numeric':
      // The timeline the standby starts on (behaves like current), or a newer one it does not have yet.
      return { tli: root + offset };
  }
}

/** synchronous_commit values the version accepts (remote_apply 9.6+). */
function synchronousCommits(version: PgMajor): SynchronousCommit[] {
  return version >= 9.6 ? ['on', 'remote_apply', 'remote_write', 'local', 'off'] : ['on', 'remote_write', 'local', 'off'];
}

/** synchronous_standby_names over `standbys` in what the version accepts (FIRST/ANY 10+, several 9.6+). */
function synchronousNames(d: Omit<SyncDraw, 'on' | 'commit'>, version: PgMajor, standbys: readonly string[]): SynchronousStandbyNames {
  const chosen = [...new Set(d.names.map((i) => pick(standbys, i)))];
  const names = d.star || chosen.length === 0 ? ['*'] : chosen;
  // FIRST/ANY need 10; several synchronous standbys need 9.6 (postgres.md §5; settings.ts parser).
  const method = d.any && version >= 10 ? 'any' : 'first';
  const maxNum = version >= 9.6 ? Math.max(1, Math.min(names[0] === '*' ? 2 : names.length, 2)) : 1;
  return { method, num: 1 + (d.num % maxNum), names };
}

function syncSettings(d: SyncDraw, version: PgMajor, standbys: readonly string[]): PgSettingsSpec {
  if (!d.on || standbys.length === 0) return {};
  return { synchronousStandbyNames: synchronousNames(d, version, standbys), synchronousCommit: pick(synchronousCommits(version), d.commit) };
}

/** A single-cluster topology as a Scenario with no actions yet. */
export function topologyArbitrary(opts: TopologyOptions = {}): fc.Arbitrary<Scenario> {
  const sitesR = range(opts.sites, 1, 3);
  const standbysR = range(opts.standbys, 1, 4);
  const primariesR = range(opts.primaries, 1, 2);
  const versions = opts.versions ?? VERSIONS;
  const timelines = opts.timelines ?? ['default', 'current', 'latest', 'numeric'];
  const bandwidths = opts.bandwidths ?? DEFAULT_BANDWIDTHS;
  const latencies = opts.latencies ?? DEFAULT_LATENCIES;
  const rates = opts.rates ?? [0, 10, 100, 1000];
  const managers = opts.managers ?? MANAGERS;
  const nodeDraw: fc.Arbitrary<NodeDraw> = fc.record({
    upstreamPick: fc.nat(),
    chain: fc.boolean(),
    site: fc.nat(),
    timeline: fc.nat(3),
    numericOffset: fc.nat(1),
  });
  const syncDraw: fc.Arbitrary<SyncDraw> = fc.record({
    on: opts.synchronous === false ? fc.constant(false) : fc.boolean(),
    any: fc.boolean(),
    num: fc.nat(),
    names: fc.array(fc.nat(), { minLength: 1, maxLength: 3 }),
    star: fc.boolean(),
    commit: fc.nat(),
  });
  return fc
    .record({
      sites: fc.integer({ min: sitesR.min, max: sitesR.max }),
      extraLinks: fc.array(fc.boolean(), { minLength: 3, maxLength: 3 }),
      links: fc.array(fc.record({ bandwidth: fc.nat(), latency: fc.nat() }), { minLength: 3, maxLength: 3 }),
      version: fc.nat(),
      primaries: fc.integer({ min: primariesR.min, max: primariesR.max }).chain((n) => fc.array(nodeDraw, { minLength: n, maxLength: n })),
      // Mostly one primary: draw a second only when the range allows and a coin says so.
      secondPrimary: fc.boolean(),
      standbys: fc.array(nodeDraw, { minLength: standbysR.min, maxLength: standbysR.max }),
      timelineChoices: fc.array(fc.nat(), { minLength: standbysR.max, maxLength: standbysR.max }),
      sync: syncDraw,
      workload: fc.record({ on: fc.constant(opts.workload !== false), site: fc.nat(), rate: fc.nat(), walPerTx: fc.nat(), connections: fc.nat() }),
      failover: fc.record({ on: opts.failover ? fc.boolean() : fc.constant(false), lagOnly: fc.boolean(), site: fc.nat(), candidates: fc.array(fc.nat(), { minLength: 1, maxLength: 3 }), fast: fc.boolean() }),
      seed: opts.seeds ? fc.nat(1000) : fc.constant(1),
      // Drawn last, so that the draws above (and the topologies of a given seed) stay as they were.
      slots: fc.record({
        on: opts.slots === false ? fc.constant(false) : fc.boolean(),
        // Per standby: no slot, a slot with its consumer streaming, the same with hot_standby_feedback, or its consumer stopped.
        perStandby: fc.array(fc.nat(3), { minLength: standbysR.max, maxLength: standbysR.max }),
        forgotten: fc.boolean(),
        limit: fc.nat(),
      }),
      archive: fc.record({
        on: opts.archive ? fc.boolean() : fc.constant(false),
        site: fc.nat(),
        slow: fc.boolean(),
        // Per standby: nothing, restore_command, or (9.5+) archive_mode = always as well.
        perStandby: fc.array(fc.nat(2), { minLength: standbysR.max, maxLength: standbysR.max }),
      }),
      // Drawn after the slots, for the same reason.
      manager: fc.nat(),
    })
    .map((d): Scenario => {
      const version = pick(versions, d.version);
      const siteNames = Array.from({ length: d.sites }, (_, i) => `site${i + 1}`);
      const links: Scenario['links'][number][] = [];
      for (let i = 0; i < siteNames.length; i++) {
        for (let j = i + 1; j < siteNames.length; j++) {
          const k = links.length % 3;
          if (j === i + 1 || d.extraLinks[k] || opts.fullMesh) {
            const l = d.links[k]!;
            links.push({ between: [siteNames[i]!, siteNames[j]!], bandwidth: pick(bandwidths, l.bandwidth), latency: pick(latencies, l.latency) });
          }
        }
      }
      const primaryDraws = d.primaries.length > 1 && !d.secondPrimary && primariesR.min < 2 ? d.primaries.slice(0, 1) : d.primaries;
      const nodes: NodeSpec[] = [];
      const rootTimeline = new Map<string, number>();
      const keep = opts.walKeepSize !== undefined ? { walKeepSize: Math.ceil(opts.walKeepSize / SEGMENT) * SEGMENT } : {};
      primaryDraws.forEach((p, i) => {
        const name = `p${i + 1}`;
        const timeline = 1 + p.timeline;
        rootTimeline.set(name, timeline);
        nodes.push({ name, site: pick(siteNames, p.site), version, storage: NO_STORAGE, role: 'primary', upstream: null, timeline, settings: { ...keep } });
      });
      d.standbys.forEach((s, i) => {
        const name = `s${i + 1}`;
        // Cascades to any depth: the previous node (a chain) or any earlier one.
        const upstream = s.chain ? nodes[nodes.length - 1]!.name : nodes[s.upstreamPick % nodes.length]!.name;
        const root = rootTimeline.get(upstream)!;
        rootTimeline.set(name, root);
        const goal = rtt(pick(timelines, d.timelineChoices[i]!), root, s.numericOffset);
        nodes.push({
          name,
          site: pick(siteNames, s.site),
          version,
          storage: NO_STORAGE,
          role: 'standby',
          upstream,
          timeline: root,
          settings: { ...keep, ...(goal !== undefined ? { recoveryTargetTimeline: goal } : {}) },
        });
      });
      const standbyNames = nodes.filter((n) => n.role === 'standby').map((n) => n.name);
      const p1 = nodes[0]!;
      nodes[0] = { ...p1, settings: { ...p1.settings, ...syncSettings(d.sync, version, standbyNames) } };
      const workloads: WorkloadSpec[] = d.workload.on
        ? [{ name: 'clients', target: 'p1', site: pick(siteNames, d.workload.site), rate: pick(rates, d.workload.rate), walPerTx: pick(WAL_PER_TX, d.workload.walPerTx), connections: pick(CONNECTIONS, d.workload.connections) }]
        : [];
      const failover: FailoverSpec[] =
        (d.failover.on || opts.failover === 'always') && standbyNames.length > 0 ? [managerSpec(pick(managers, d.manager), d.failover, siteNames, standbyNames, primaryDraws.length, version)] : [];
      const slots: SlotSpec[] = [];
      if (d.slots.on && version >= SLOTS_SINCE) {
        nodes.forEach((n, i) => {
          const up = n.upstream === null ? undefined : nodes.find((x) => x.name === n.upstream);
          const kind = d.slots.perStandby[i - primaryDraws.length] ?? 0;
          if (up?.role !== 'primary' || kind === 0) return;
          const name = `${n.name}_slot`;
          slots.push(physicalSlot(name, up.name, kind === 3 ? 'stopped' : 'active', kind === 2));
          // A streaming consumer is the standby itself: it streams through its slot (primary_slot_name); a
          // stopped one is a slot it no longer uses.
          if (kind !== 3) nodes[i] = { ...n, settings: { ...n.settings, primarySlotName: name } };
        });
        if (d.slots.forgotten) slots.push(physicalSlot('forgotten_slot', 'p1', 'stopped', false));
        const limit = pick(SLOT_LIMITS, d.slots.limit);
        if (slots.length > 0 && version >= 13 && limit !== null) {
          for (const [i, n] of nodes.entries()) if (n.role === 'primary') nodes[i] = { ...n, settings: { ...n.settings, maxSlotWalKeepSize: limit } };
        }
      }
      let archive: { site: string } | undefined;
      if (d.archive.on) {
        archive = { site: pick(siteNames, d.archive.site) };
        let standby = 0;
        for (const [i, n] of nodes.entries()) {
          if (n.role === 'primary') {
            nodes[i] = { ...n, settings: { ...n.settings, archiveMode: 'on', archiveCommand: 'cp %p /archive/%f' }, storage: d.archive.slow ? { ...n.storage, archiveThroughput: 2e6 } : n.storage };
            continue;
          }
          const how = d.archive.perStandby[standby++] ?? 0;
          if (how === 0) continue;
          nodes[i] = { ...n, settings: { ...n.settings, restoreCommand: 'cp /archive/%f %p', ...(how === 2 && version >= 9.5 ? { archiveMode: 'always' as const, archiveCommand: 'cp %p /archive/%f' } : {}) } };
        }
      }
      const base = scenarioOf({ nodes, workloads, failover, slots, sites: siteNames, links, end: opts.duration ?? seconds(300), seed: d.seed });
      return printable(archive ? { ...base, clusters: [{ ...base.clusters[0]!, archive }] } : base);
    });
}

const MANAGERS: readonly ManagerChoice[] = ['naive', 'lag-only', 'patroni'];

interface FailoverDraw {
  site: number;
  candidates: number[];
  fast: boolean;
  lagOnly: boolean;
}

/**
 * The drawn manager. Patroni needs one primary to hold the leader key at the start: with two unrelated
 * primaries a lag-only manager watches instead. Its etcd members go to the manager's site and the next ones
 * (all at one site when there is one), so that a partition may leave some agents on the minority side.
 */
function managerSpec(kind: ManagerChoice, d: FailoverDraw, siteNames: readonly string[], standbyNames: readonly string[], primaries: number, version: PgMajor): FailoverSpec {
  const site = pick(siteNames, d.site);
  if (kind === 'patroni' && primaries === 1) {
    return {
      policy: 'patroni',
      dcs: { kind: 'etcd3', members: [0, 1, 2].map((i) => ({ name: `etcd${i + 1}`, site: pick(siteNames, d.site + i) })), electionTimeout: seconds(1) },
      loopWait: seconds(10),
      ttl: seconds(30),
      retryTimeout: seconds(10),
      maximumLagOnFailover: MiB,
      checkTimeline: d.lagOnly,
      synchronousMode: d.fast,
      // Quorum mode (Patroni 4.0+) needs ANY k, PostgreSQL 10+; drawn from the draws there are (not a new one,
      // which would change every sequence the properties' fixed seeds draw).
      quorumCommit: d.fast && d.candidates.length >= 2 && version >= 10,
      synchronousModeStrict: false,
      synchronousNodeCount: 1,
      failsafeMode: d.lagOnly,
      usePgRewind: false,
      removeDataDirectoryOnRewindFailure: false,
      removeDataDirectoryOnDivergedTimelines: false,
      useSlots: true,
      memberSlotsTtl: seconds(1800),
      tags: {},
      pause: false,
    };
  }
  const base = {
    site,
    checkInterval: seconds(d.fast ? 5 : 10),
    timeout: seconds(d.fast ? 15 : 30),
    candidates: [...new Set(d.candidates.map((i) => pick(standbyNames, i)))],
    health: IDEAL_CHECK,
  };
  return kind === 'naive' ? { ...base, policy: 'naive' } : { ...base, policy: 'lag-only', maximumLagOnFailover: MiB, checkTimeline: false };
}

/** A physical replication slot (the grammar's `slots:` entry or `create_slot` step). */
export function physicalSlot(name: string, node: string, consumer: SlotSpec['consumer'] = 'active', hotStandbyFeedback = false): SlotSpec {
  return { name, node, kind: 'physical', database: null, consumer, hotStandbyFeedback };
}

/** A node of a generated cluster: storage not modelled, standbys on their upstream's timeline. */
export function nodeSpec(name: string, site: string, version: PgMajor, upstream: string | null, settings: PgSettingsSpec = {}, timeline = 1): NodeSpec {
  return { name, site, version, storage: NO_STORAGE, role: upstream === null ? 'primary' : 'standby', upstream, timeline, settings };
}

/** A scenario with one cluster "main" and no actions: the skeleton properties add steps to. */
export function scenarioOf(p: {
  readonly nodes: readonly NodeSpec[];
  readonly workloads?: readonly WorkloadSpec[];
  readonly failover?: readonly FailoverSpec[];
  readonly slots?: readonly SlotSpec[];
  readonly sites?: readonly string[];
  readonly links?: Scenario['links'];
  readonly localLatency?: Micros;
  readonly end?: Micros;
  readonly seed?: number;
}): Scenario {
  const cluster: ClusterSpec = { name: 'main', nodes: p.nodes, workloads: p.workloads ?? [], failover: p.failover ?? [], startLsn: 0x3000000, walArchive: true, databases: [], slots: p.slots ?? [] };
  return {
    name: 'generated',
    description: '',
    file: '<generated>',
    variant: null,
    startEpochMs: START_EPOCH_MS,
    timezone: 'UTC',
    end: p.end ?? seconds(300),
    seed: p.seed ?? 1,
    stallThreshold: seconds(1),
    sites: (p.sites ?? [...new Set(p.nodes.map((n) => n.site))]).map((name) => ({ name })),
    links: p.links ?? [],
    localLink: { bandwidth: 1.25e9, latency: p.localLatency ?? (100 as Micros) },
    clusters: [cluster],
    actions: [],
    expectations: [],
    alerts: [],
  };
}

interface OpDraw {
  at: number;
  kind: number;
  a: number;
  b: number;
  c: number;
}

/** What earlier operations of a sequence did, as far as later ones need it (no simulation: the plan's intent). */
interface OpState {
  /** The node the clients write to: the workload's target, then each route_writes or failover. */
  leader: string;
  /** The topology's slots not dropped by an earlier step. */
  readonly slots: string[];
}

const KEEP_SIZES = [0, 4 * SEGMENT, 64 * SEGMENT, 1024 * SEGMENT];
const APPLY_DELAYS = [0, 1, 10, 60].map(seconds);
const RECEIVER_TIMEOUTS = [0, 5, 60].map(seconds);

/**
 * The settings of a `configure` of `n` from drawn numbers, valid for its version: a setting the version does
 * not have (recovery_min_apply_delay before 9.4, wal_receiver_timeout before 9.3, max_slot_wal_keep_size
 * before 13) becomes a recovery_target_timeline change.
 */
function configureSettings(n: NodeSpec, standbys: readonly string[], setting: ConfigureSetting, timelines: readonly TimelineChoice[], b: number, c: number): PgSettingsSpec {
  const v = n.version;
  switch (setting) {
    case 'synchronousCommit':
      return { synchronousCommit: pick(synchronousCommits(v), c) };
    case 'synchronousStandbyNames':
      // Off ("") one time in four.
      if (standbys.length === 0 || c % 4 === 0) return { synchronousStandbyNames: null };
      return { synchronousStandbyNames: synchronousNames({ any: c % 2 === 1, num: b, names: [b, c, b + c], star: c % 5 === 1 }, v, standbys) };
    case 'walKeepSize':
      // Whole segments: before 13 it is written as wal_keep_segments.
      return { walKeepSize: pick(KEEP_SIZES, c) };
    case 'recoveryMinApplyDelay':
      if (v >= 9.4) return { recoveryMinApplyDelay: pick(APPLY_DELAYS, c) };
      break;
    case 'walReceiverTimeout':
      if (v >= 9.3) return { walReceiverTimeout: pick(RECEIVER_TIMEOUTS, c) };
      break;
    case 'hotStandbyFeedback':
      return { hotStandbyFeedback: c % 2 === 0 };
    case 'maxSlotWalKeepSize':
      if (v >= 13) return { maxSlotWalKeepSize: pick(SLOT_LIMITS, c) };
      break;
    case 'recoveryTargetTimeline':
      break;
  }
  return { recoveryTargetTimeline: rtt(pick(timelines, b), n.timeline, c % 2) ?? 'latest' };
}

interface OpContext {
  readonly s: Scenario;
  readonly kinds: readonly OperationKind[];
  readonly timelines: readonly TimelineChoice[];
  readonly settings: readonly ConfigureSetting[];
  readonly rates: readonly number[];
}

/** The operation (one or more steps) on `s`'s first cluster, from drawn numbers; [] when the kind does not apply. */
function operation(x: OpContext, st: OpState, d: OpDraw): Action[] {
  const { s } = x;
  const cluster = s.clusters[0]!;
  const nodes = cluster.nodes;
  const node = pick(nodes, d.a).name;
  const kind = pick(x.kinds, d.kind);
  const at = seconds(d.at);
  const step = (body: ActionBody, source: Action['source'] = 'plan', after = 0): Action => ({ ...body, at: (at + seconds(after)) as Micros, name: null, source }) as Action;
  switch (kind) {
    case 'writes':
      if (cluster.workloads.length === 0) return [];
      return [step({ kind: 'workload', cluster: cluster.name, workload: null, rate: pick(x.rates, d.b) })];
    case 'promote':
      return [step({ kind: 'promote', node })];
    case 'repoint': {
      const others = nodes.filter((n) => n.name !== node);
      if (others.length === 0) return [];
      return [step({ kind: 'repoint', node, upstream: pick(others, d.b).name })];
    }
    case 'configure': {
      const n = nodes.find((y) => y.name === node)!;
      const standbys = nodes.filter((y) => y.role === 'standby').map((y) => y.name);
      // recovery_target_timeline (the setting most properties are about) twice as often as each other one.
      const choices = x.settings.includes('recoveryTargetTimeline') ? [...x.settings, 'recoveryTargetTimeline' as const] : x.settings;
      const settings = configureSettings(n, standbys, pick(choices, d.c), x.timelines, d.b, Math.floor(d.c / choices.length));
      return [step({ kind: 'configure', node, settings, restart: d.b % 3 === 2 ? 'never' : 'auto' })];
    }
    case 'stop':
    case 'restart': {
      // pg_ctl's mode, a clean one (an immediate stop is a crash, drawn as `crash`): as often as not the version's
      // default (smart up to 9.4, fast from 9.5), else smart or fast.
      const mode = (['smart', 'fast'] as const)[d.b % 4];
      return [step(mode ? { kind, node, mode } : { kind, node })];
    }
    case 'start':
      return [step({ kind, node })];
    case 'crash':
      return [step({ kind, node }, 'faults')];
    case 'partition':
    case 'heal': {
      const links = s.links;
      return [step(links.length > 0 && d.b % 3 === 0 ? { kind, target: { kind: 'link', sites: pick(links, d.c).between } } : { kind, target: { kind: 'node', node } }, 'faults')];
    }
    case 'failover': {
      // The leader is lost: with a failover manager, a crash or a partition of it and the manager does the
      // rest; without one, what an operator does: crash, promote a standby of it a second later, move the
      // writes there.
      const leader = st.leader;
      if (cluster.failover.length > 0) {
        return [step(d.b % 2 === 0 ? { kind: 'crash', node: leader } : { kind: 'partition', target: { kind: 'node', node: leader } }, 'faults')];
      }
      const direct = nodes.filter((n) => n.upstream === leader);
      const others = direct.length > 0 ? direct : nodes.filter((n) => n.name !== leader);
      if (others.length === 0) return [];
      const next = pick(others, d.c).name;
      st.leader = next;
      return [
        step({ kind: 'crash', node: leader }, 'faults'),
        step({ kind: 'promote', node: next }, 'plan', 1),
        ...(cluster.workloads.length > 0 ? [step({ kind: 'routeWrites', cluster: cluster.name, node: next, workload: null }, 'plan', 2)] : []),
      ];
    }
    case 'routeWrites':
      if (cluster.workloads.length === 0) return [];
      st.leader = node;
      return [step({ kind: 'routeWrites', cluster: cluster.name, node, workload: null })];
    case 'blockClients':
    case 'unblockClients':
      return [step({ kind, node })];
    case 'dropSlot':
    case 'stopConsumer':
    case 'startConsumer': {
      if (st.slots.length === 0) return [];
      const slot = pick(st.slots, d.b);
      if (kind === 'dropSlot') st.slots.splice(st.slots.indexOf(slot), 1);
      return [step({ kind, cluster: cluster.name, slot })];
    }
    case 'checkpoint':
      return [step({ kind: 'checkpoint', node })];
    case 'reclone':
    case 'pgRewind':
    case 'destroyData': {
      if (node === st.leader) return [];
      if (kind === 'destroyData') return [step({ kind, node })];
      if (kind === 'pgRewind') return [step({ kind, node, spec: { from: st.leader, start: true } })];
      const spec = { from: st.leader, checkpoint: d.b % 2 === 0 ? ('fast' as const) : ('spread' as const), walMethod: d.c % 2 === 0 ? ('stream' as const) : ('fetch' as const), slot: null, maxRate: d.b % 3 === 0 ? 50e6 : null, start: true, name: null };
      return [step({ kind, node, spec })];
    }
    case 'switchover': {
      const tool = cluster.failover.some((f) => f.policy === 'patroni') ? 'patronictl' : cluster.failover.some((f) => f.policy === 'pg_auto_failover') ? 'pg_autoctl' : null;
      if (tool === null) return [];
      // A member (which may be the leader: refused), or none: the healthiest (patronictl) or perform switchover (pg_autoctl).
      return [step({ kind: 'switchover', action: 'switchover', cluster: cluster.name, leader: null, candidate: d.b % 3 === 0 ? null : node, tool })];
    }
    case 'archiveFails':
      // For one minute to half an hour, with the usual exit code of a failed copy.
      return [step({ kind: 'archiveFails', node: st.leader, until: (at + seconds(60 + (d.b % 1740))) as Micros, exitCode: 1 }, 'faults')];
  }
}

/** Timed operations on a topology's first cluster, in the grammar's order (by time, plan before faults). */
export function operationsArbitrary(s: Scenario, opts: OperationOptions = {}, rates: readonly number[] = [0, 10, 100, 1000]): fc.Arbitrary<Action[]> {
  // By default timeline changes are drawn more often: they are what most properties are about.
  const kinds = opts.kinds ?? [...OPERATION_KINDS, 'promote', 'promote', 'repoint', 'configure'];
  const count = range(opts.count, 0, 8);
  const from = Math.ceil((opts.window?.from ?? seconds(1)) / 1e6);
  const to = Math.max(from, Math.floor((opts.window?.to ?? s.end - seconds(60)) / 1e6));
  const x: OpContext = { s, kinds, timelines: opts.timelines ?? ['current', 'latest', 'numeric'], settings: opts.settings ?? CONFIGURE_SETTINGS, rates };
  const draw: fc.Arbitrary<OpDraw> = fc.record({ at: fc.integer({ min: from, max: to }), kind: fc.nat(), a: fc.nat(), b: fc.nat(), c: fc.nat() });
  const cluster = s.clusters[0]!;
  return fc.array(draw, { minLength: count.min, maxLength: count.max }).map((ds) => {
    const st: OpState = { leader: cluster.workloads[0]?.target ?? cluster.nodes[0]!.name, slots: cluster.slots.map((sl) => sl.name) };
    return canonicalActions([...ds].sort((p, q) => p.at - q.at).flatMap((d) => operation(x, st, d)));
  });
}

/** A topology and a sequence of operations on it. */
export function scenarioArbitrary(opts: ScenarioOptions = {}): fc.Arbitrary<Scenario> {
  // A failover operation is manager-driven when the topology has a manager: reachable unless ruled out.
  const failover = opts.failover ?? (opts.operations?.kinds ?? OPERATION_KINDS).includes('failover');
  return topologyArbitrary({ ...opts, failover }).chain((t) => operationsArbitrary(t, opts.operations, opts.rates).map((actions) => printable({ ...t, actions })));
}

/** The scenario with more actions, kept in the grammar's order. */
export function withActions(s: Scenario, actions: readonly Action[]): Scenario {
  return printable({ ...s, actions: canonicalActions([...s.actions, ...actions]) });
}

/** An action at `at` (plan by default), for properties that add fixed steps to generated scenarios. */
export function act(at: Micros, body: ActionBody, source: Action['source'] = 'plan', name: string | null = null): Action {
  return { ...body, at, name, source } as Action;
}

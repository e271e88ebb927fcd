/**
 * The scenario file grammar, written once with the combinators of decode.ts: it decodes a YAML document
 * into a `Scenario` (types.ts) and describes itself as JSON Schema (schema.ts). Fields are decoded in the
 * order declared here, so facts needed later (start and time zone, site names, node names and versions)
 * are recorded in the load's env as soon as they are known.
 */
import { isMap, isScalar, isSeq, type Node, type YAMLSeq } from 'yaml';
import type { Micros } from '../engine/time.ts';
import type {
  Action,
  ActionBody,
  AlertSpec,
  Bounds,
  ClusterSpec,
  DatabaseSpec,
  Expectation,
  ExpectationBody,
  FailoverSpec,
  LinkSpec,
  NodeSpec,
  PartitionTarget,
  PgMajor,
  RecoveryTarget,
  RetrySpec,
  Scenario,
  SlotSpec,
  WorkloadSpec,
} from './types.ts';
import { didYouMean, listing, show } from './errors.ts';
import {
  after,
  checked,
  extend,
  anyNode,
  boolean,
  byKind,
  custom,
  defined,
  describeNode,
  enumOf,
  integer,
  list,
  literalTrue,
  map,
  namedMap,
  object,
  opt,
  req,
  string,
  tagged,
  typeError,
  unitValue,
  withDefault,
  type Ctx,
  type Decoder,
  type Named,
  type ObjectInfo,
  nestedItem,
} from './decode.ts';
import { DEFAULT_WAL_SEGMENT_SIZE, duration, pgVersion, recoveryTargetTimeline, settings, size, type SettingsEnv } from './settings.ts';
import { checkWalSpace } from './wal-space.ts';
import { FENCED_DESCRIPTION, STALLS_DESCRIPTION, blockGrammar, describeFencedExpectation, describeStallsExpectation, type BlockEnv } from './grammar-block.ts';
import { huntGrammar } from './grammar-hunt.ts';
import { describeLockExpectation, tableRef, vacuumGrammar } from './grammar-vacuum.ts';
import { describeVerdictExpectation, managersGrammar, probability } from './grammar-managers.ts';
import type { VerdictExpectation } from './types-managers.ts';
import type { SubscriptionSpec } from './types-logical.ts';
import { logicalGrammar } from './grammar-logical.ts';
import { formatSize, formatTime, offsetZoneName, parseBandwidth, parseInstant, parseLsn, parseRate, parseTime, parseTimeZone, type Instant, type TimeRef } from './units.ts';
import { count as formatCount, duration as formatDuration } from '../report/format.ts';

// ---------------------------------------------------------------------------------------------------------
// The load's environment

export interface NodeInfo {
  readonly name: string;
  readonly cluster: string;
  readonly version: PgMajor;
  readonly site: string;
  readonly role: 'primary' | 'standby';
  readonly segmentSize: number;
}

export interface ClusterInfo {
  readonly name: string;
  nodeNames: string[];
  specs: NodeSpec[];
  workloadNames: string[];
  /** Each workload's rate and WAL per transaction, for the WAL address space check of rate changes. */
  workloadLoads?: { readonly rate: number; readonly walPerTx: number }[];
  databaseNames: string[];
  /** The tables of its databases (grammar-vacuum.ts refers to them). */
  tables?: { database: string; table: string }[];
  /** Its failover managers' policies (a switchover needs Patroni or pg_auto_failover). */
  policies?: string[];
}

export interface Env extends SettingsEnv {
  readonly file: string;
  readonly variant: string | null;
  start?: Instant;
  zone?: string;
  end?: Micros;
  sites: string[];
  readonly clusters: Map<string, ClusterInfo>;
  readonly nodes: Map<string, NodeInfo>;
  /** Replication slots by name (declared in clusters or created by plan steps) -> their cluster. */
  readonly slots: Map<string, string>;
  /** Transactions opened by plan steps -> their cluster. */
  readonly transactions: Map<string, string>;
  /** The name of the slot being decoded (set by the slots mapping before each value). */
  slotName?: string;
  cluster?: ClusterInfo;
  /** Names defined in the `block:` section (grammar-block.ts). */
  block?: BlockEnv;
  /** Base backups named by `basebackup` steps -> their cluster (restore_backup refers to them). */
  backups?: Map<string, string>;
  /** DCS members and other manager endpoints by name -> their site (grammar-managers.ts). */
  managerEndpoints?: Map<string, string>;
  /** Logical replication subscriptions by name (grammar-logical.ts). */
  subscriptions?: Map<string, SubscriptionSpec>;
}

export function newEnv(file: string, variant: string | null): Env {
  return { file, variant, sites: [], clusters: new Map(), nodes: new Map(), slots: new Map(), transactions: new Map() };
}

type C = Ctx<Env>;

function timeRef(env: Env): TimeRef {
  return { startEpochMs: env.start?.epochMs ?? 0, zone: env.zone ?? 'UTC' };
}

// ---------------------------------------------------------------------------------------------------------
// Scalars

const NAME = /^[A-Za-z0-9_][A-Za-z0-9_-]{0,62}$/;
const NAME_TEXT = 'a name of letters, digits, "_" and "-" (no dots, at most 63 characters)';

function name(): Decoder<string> {
  return string({ pattern: NAME, patternText: NAME_TEXT, maxLength: 63, expected: NAME_TEXT });
}

/** A name referring to something defined elsewhere in the file, with did-you-mean over the defined names. */
export function ref(kind: string, candidates: (env: Env) => readonly string[], check?: (text: string, node: Node, ctx: C) => void): Decoder<string> {
  const expected = `the name of a ${kind}`;
  return custom<string>(
    expected,
    () => ({ type: 'string', pattern: NAME.source }),
    (node, ctx: C) => {
      const n = ctx.resolve(node);
      if (!isScalar(n)) return typeError(n, ctx, expected);
      const v = n.value;
      const text = typeof v === 'string' ? v : typeof v === 'number' ? (n.source ?? String(v)) : null;
      if (text === null) return typeError(n, ctx, expected);
      const names = candidates(ctx.env);
      if (!names.includes(text)) {
        check?.(text, n, ctx);
        const hint = didYouMean(text, names);
        const exp = names.length ? `one of: ${listing(names)}` : `a ${kind} defined in the file`;
        ctx.failReference(kind, n, `${ctx.subject}: unknown ${kind} ${show(text)}`, hint ? { expected: exp, hint } : { expected: exp });
      }
      return text;
    },
  );
}

const siteRef = ref('site', (env) => env.sites);
const clusterRef = ref('cluster', (env) => [...env.clusters.keys()]);
const nodeRef = ref('node', (env) => [...env.nodes.keys()]);
/** A node of the cluster being decoded. */
const clusterNodeRef = ref(
  'node',
  (env) => env.cluster?.nodeNames ?? [],
  (text, node, ctx) => {
    const other = ctx.env.nodes.get(text);
    if (other) ctx.fail(node, `${ctx.subject}: node ${show(text)} is in cluster ${show(other.cluster)}, not in cluster ${show(ctx.env.cluster?.name ?? '')}`);
  },
);

const TIME_PATTERN = String.raw`^\s*(\d{1,2}:\d{2}(:\d{2}(\.\d{1,6})?)?|\+.+|\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}(:?\d{2})?))\s*$`;

function time(): Decoder<Micros> {
  return unitValue<Micros>(
    'a time: "14:30", "14:30:10", "+90s" or "2017-08-07T14:30:00+09:00"',
    'time',
    {
      description:
        'A time: a clock time "HH:MM" or "HH:MM:SS" on the start\'s date in the scenario time zone, an ISO 8601 date-time with offset, or "+DURATION" after the start.',
      type: 'string',
      pattern: TIME_PATTERN,
      examples: ['14:30', '14:30:10', '+90s', '2017-08-07T14:30:00+09:00'],
    },
    (v, ctx: C) =>
      typeof v === 'number'
        ? { ok: false, reason: `the number ${v} is not a time`, hint: 'write a clock time "14:30", "+90s" after the start, or an ISO date-time' }
        : parseTime(v, timeRef(ctx.env)),
  );
}

function instant(): Decoder<Instant> {
  return unitValue<Instant>(
    'an ISO 8601 date-time with offset, e.g. "2017-08-07T14:00:00+09:00"',
    'instant',
    {
      description: 'An ISO 8601 date-time with a UTC offset.',
      type: 'string',
      pattern: String.raw`^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}(:?\d{2})?)$`,
      examples: ['2017-08-07T14:00:00+09:00'],
    },
    (v) => {
      if (typeof v === 'number') return { ok: false, reason: `the number ${v} is not a date-time`, hint: 'e.g. "2017-08-07T14:00:00+09:00"' };
      const r = parseInstant(v);
      if (r.ok && r.value.extraMicros !== 0) return { ok: false, reason: 'the start is limited to millisecond precision' };
      return r;
    },
  );
}

function timezone(): Decoder<string> {
  return unitValue<string>(
    'an IANA time zone like "Asia/Tokyo" or an offset like "+09:00"',
    'timezone',
    { description: 'An IANA time zone name or a UTC offset.', type: 'string', examples: ['Asia/Tokyo', 'UTC', '+09:00'] },
    (v) => (typeof v === 'number' ? { ok: false, reason: `the number ${v} is not a time zone`, hint: 'e.g. "Asia/Tokyo" or "+09:00"' } : parseTimeZone(v)),
  );
}

export function bandwidth(): Decoder<number> {
  return unitValue<number>(
    'a bandwidth like "1Gbps" or "100MB/s"',
    'bandwidth',
    {
      description: 'A bandwidth: bits per second (bps, kbps, Mbps, Gbps) or bytes per second (B/s, kB/s, MB/s, GB/s, KiB/s, MiB/s, GiB/s).',
      type: 'string',
      pattern: String.raw`^\s*\d+(\.\d+)?\s*(bps|kbps|Mbps|Gbps|B/s|kB/s|KB/s|MB/s|GB/s|KiB/s|MiB/s|GiB/s)\s*$`,
      examples: ['1Gbps', '100Mbps', '50MB/s'],
    },
    (v) => parseBandwidth(v),
  );
}

export function rate(): Decoder<number> {
  return unitValue<number>(
    'a rate like "800/s", "48000/min" or a number per second',
    'rate',
    {
      description: 'A rate: "N/s", "N/min", "N/h" (N may have an exponent: "1e9/s"), or a bare number per second.',
      anyOf: [{ type: 'string', pattern: String.raw`^\s*\d+(\.\d+)?([eE][+-]?\d+)?\s*/\s*(s|min|m|h)\s*$` }, { type: 'number', minimum: 0 }],
      examples: ['800/s', '48000/min', 200],
    },
    (v) => parseRate(v),
  );
}

function lsn(): Decoder<number> {
  return unitValue<number>(
    'an LSN like "2A/1000000"',
    'lsn',
    {
      description: 'A WAL location as PostgreSQL prints it (%X/%X: high and low 32 bits in hex), or an integer.',
      anyOf: [{ type: 'string', pattern: '^[0-9A-Fa-f]{1,8}/[0-9A-Fa-f]{1,8}$' }, { type: 'integer', minimum: 0 }],
      examples: ['0/3000000', '2A/1000000'],
    },
    (v) => parseLsn(v),
  );
}

/** A number of seconds: a number, or a duration converted to seconds. */
function seconds(): Decoder<number> {
  const expected = 'a number of seconds or a duration like "90s"';
  const num = custom<number>(
    expected,
    () => ({ type: 'number', minimum: 0 }),
    (node, ctx) => {
      const n = ctx.resolve(node);
      const v = isScalar(n) ? n.value : undefined;
      if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) return ctx.fail(n, `${ctx.subject} must be ${expected}, not ${describeNode(n)}`, { expected });
      return v;
    },
  );
  const dur = map(duration(), (us) => us / 1_000_000);
  return byKind({ number: num, string: dur }, expected);
}

/** `true` (all) or a cluster name; false is not accepted. */
function allOrCluster(): Decoder<string | null> {
  return byKind<string | null>(
    { boolean: map(literalTrue(), () => null), string: clusterRef },
    'true (all clusters) or a cluster name',
  );
}

/** A list item as a --set path names it (counted from 0): `candidates.1 of failover of cluster "c"`. */
function itemLabel(i: number, _node: Node, ctx: C): string {
  if (ctx.key === null) return `item ${i} of ${ctx.where}`;
  return ctx.where ? `${ctx.key}.${i} of ${ctx.where}` : `${ctx.key}.${i}`;
}

/** Two different sites. */
function sitePair(): Decoder<readonly [string, string]> {
  return map(list(siteRef, { label: itemLabel }), (v, node, ctx: C) => {
    if (v.length !== 2) ctx.fail(node, `${ctx.subject} must name exactly two sites, not ${v.length}`, { expected: '[siteA, siteB]' });
    if (v[0] === v[1]) ctx.fail(node, `${ctx.subject} names site ${show(v[0])} twice`, { expected: 'two different sites' });
    return [v[0]!, v[1]!] as const;
  });
}

// ---------------------------------------------------------------------------------------------------------
// Sites and links

const siteBody = custom<null>(
  'an empty mapping {} (or nothing)',
  () => ({ anyOf: [{ type: 'object', additionalProperties: false }, { type: 'null' }] }),
  (node, ctx) => {
    const n = ctx.resolve(node);
    if (isScalar(n) && n.value === null) return null;
    return object({}, { expected: 'an empty mapping {} (or nothing)', build: () => null }).decode(n, ctx);
  },
);

const sites = byKind<string[]>(
  {
    map: map(namedMap(siteBody, { label: (s) => `site "${s}"`, names: name(), minItems: 1, expected: 'a mapping of site names to {}' }), (v) => v.map((s) => s.name)),
    list: map(list(name(), { label: itemLabel, minItems: 1 }), (v, node, ctx) => {
      const seen = new Set<string>();
      v.forEach((s, i) => {
        if (seen.has(s)) ctx.fail((node as YAMLSeq<Node>).items[i], `${ctx.subject}: site ${show(s)} is listed twice`);
        seen.add(s);
      });
      return v;
    }),
  },
  'a mapping of site names to {} or a list of site names',
);

const link = object(
  {
    between: req(sitePair(), 'The two sites the link joins.'),
    bandwidth: req(bandwidth(), 'Bandwidth of the link (each direction).'),
    latency: req(duration({ bareUnit: 'ms' }), 'One-way latency.'),
    tcp_window: opt(size(), "The largest TCP window of the hosts' connections over the link (the smaller of net.ipv4.tcp_wmem's and tcp_rmem's maxima; default 4MB, Linux's untuned tcp_wmem): a replication stream or a base backup carries at most this per round trip."),
  },
  { build: (v): LinkSpec => (v.tcp_window === undefined ? { between: v.between, bandwidth: v.bandwidth, latency: v.latency } : { between: v.between, bandwidth: v.bandwidth, latency: v.latency, tcpWindow: v.tcp_window }) },
);

const links = map(list(link, { label: (i) => `links.${i}` }), (v, node, ctx) => {
  const seen = new Map<string, number>();
  v.forEach((l, i) => {
    const key = [...l.between].sort().join('\u0000');
    const prev = seen.get(key);
    if (prev !== undefined) ctx.fail((node as YAMLSeq<Node>).items[i], `links.${i} joins ${l.between.join(' and ')} again (links.${prev} already does)`);
    seen.set(key, i);
  });
  return v;
});

const localLink = object({
  bandwidth: withDefault(bandwidth(), 'Bandwidth between nodes of one site.', 1.25e9, '10Gbps'),
  latency: withDefault(duration({ bareUnit: 'us' }), 'Latency between nodes of one site.', 100 as Micros, '100us'),
});

// ---------------------------------------------------------------------------------------------------------
// Clusters

interface NodeDraft {
  readonly storage: NodeSpec['storage'];
  readonly capacity: NodeSpec['capacity'];
  readonly site: string;
  readonly version: PgMajor;
  readonly role: 'primary' | 'standby';
  readonly upstream: string | null;
  readonly timeline: number | null;
  readonly settings: NodeSpec['settings'];
  readonly upstreamNode: Node | undefined;
  readonly versionNode: Node | undefined;
  readonly settingsNode: Node | undefined;
}

const nodeDecoder = object(
  {
    site: req(siteRef, 'The site the server is in.'),
    version: after(req(pgVersion(), 'PostgreSQL major version: 9.2 to 9.6, 10 to 18.'), (v, _info, ctx: C) => {
      ctx.env.version = v;
      ctx.env.configuring = null;
    }),
    role: opt(enumOf(['primary', 'standby'] as const), 'primary or standby; default: standby when upstream is given, else primary.'),
    upstream: opt(clusterNodeRef, 'The node a standby streams from (a primary or, cascading, another standby). Required for a standby.'),
    timeline: opt(integer({ min: 1, max: 0xffffffff }), 'The timeline a primary starts on (default 1); standbys start on their upstream\'s.'),
    settings: withDefault(settings(), 'PostgreSQL settings (GUCs) as in postgresql.conf / recovery.conf; absent ones take the version\'s default.', {}, {}),
    wal_volume: opt(size({ positive: true }), 'Capacity of the volume holding pg_wal: when retained WAL (slots, archive_command failing, slow replay) fills it, a primary PANICs and cannot start again while it is full; the walreceiver of a standby stops until a restartpoint makes room. Default: unlimited.'),
    disk_throughput: opt(bandwidth(), 'Sequential throughput of the data volume: an unthrottled (failsafe) vacuum runs at this speed, and the WAL written per second cannot exceed it. Default: 500MB/s for the vacuum, no bound on the WAL.'),
    wal_fsync: opt(duration({ bareUnit: 'ms' }), 'Latency of a WAL fsync: a standby\'s flushed position trails what its walreceiver wrote by this (synchronous_commit = on waits for it). Default 0.'),
    replay_rate: opt(bandwidth(), 'How fast a standby replays WAL (its single startup process): when WAL arrives faster, replay falls behind the flush, remote_apply waits for it and a promotion first replays the backlog. Default: unlimited.'),
    capacity: opt(rate(), 'Write transactions per second the server can commit (its instance size): clients offering more queue in their pool. Default: unlimited.'),
    cold_cache: opt(
      object({
        serves: req(probability(), 'The share of its capacity the node serves right after it starts or is promoted ("30%").'),
        warmup: req(duration({ min: 1 }), 'How long until it serves all of it again (linearly).'),
      }),
      'After a start or a promotion the node serves only part of its capacity while its cache warms up: {serves, warmup}. Needs capacity.',
    ),
    archive_throughput: opt(bandwidth(), 'How fast the archive_command copies segments to the archive: a backlog of completed segments forms when WAL is written faster. Default 100MB/s.'),
    restore_throughput: opt(bandwidth(), 'How fast the restore_command fetches segments from the archive. Default 100MB/s.'),
    data_size: opt(size({ positive: true }), 'Size of the data directory: what pg_basebackup copies from this server (at the slowest of the path, the disks and max_rate). Default 1GiB.'),
  },
  {
    build: (v, info, ctx): NodeDraft => {
      const role = v.role ?? (v.upstream !== undefined ? 'standby' : 'primary');
      if (role === 'primary' && v.upstream !== undefined) {
        ctx.fail(info.keyAt('upstream'), `${ctx.subject} is a primary and cannot have an upstream`, { hint: 'remove upstream, or make it role: standby' });
      }
      if (role === 'standby' && v.upstream === undefined) {
        ctx.fail(info.node, `${ctx.subject} is a standby and needs an upstream`, { expected: 'upstream: the node it streams from' });
      }
      if (role === 'standby' && v.timeline !== undefined) {
        ctx.fail(info.keyAt('timeline'), `${ctx.subject}: timeline is for a primary; a standby starts on its upstream's timeline`, { hint: 'remove timeline' });
      }
      if (v.cold_cache !== undefined && v.capacity === undefined) {
        ctx.fail(info.keyAt('cold_cache'), `${ctx.subject}: cold_cache is a share of the node's capacity, which is not given`, { hint: 'add capacity: the transactions per second the node serves when warm, e.g. capacity: 2000/s' });
      }
      if (v.capacity !== undefined && !(v.capacity > 0)) ctx.fail(info.at('capacity')!, `${ctx.subject}: capacity must be more than 0 transactions per second`);
      if (v.cold_cache !== undefined && !(v.cold_cache.serves > 0)) ctx.fail(info.at('cold_cache')!, `${ctx.subject}: cold_cache.serves must be more than 0 (a node serving nothing is down)`);
      return {
        capacity: v.capacity !== undefined ? { txPerSecond: v.capacity, coldCache: v.cold_cache ? { serves: v.cold_cache.serves, warmup: v.cold_cache.warmup as Micros } : null } : undefined,
        storage: {
          walVolume: v.wal_volume ?? null,
          throughput: v.disk_throughput ?? null,
          ...(v.wal_fsync !== undefined ? { walFsync: v.wal_fsync as Micros } : {}),
          ...(v.replay_rate !== undefined ? { replayRate: v.replay_rate } : {}),
          ...(v.archive_throughput !== undefined ? { archiveThroughput: v.archive_throughput } : {}),
          ...(v.restore_throughput !== undefined ? { restoreThroughput: v.restore_throughput } : {}),
          ...(v.data_size !== undefined ? { dataSize: v.data_size } : {}),
        },
        site: v.site,
        version: v.version,
        role,
        upstream: v.upstream ?? null,
        timeline: v.timeline ?? null,
        settings: v.settings,
        upstreamNode: info.at('upstream'),
        versionNode: info.at('version'),
        settingsNode: info.at('settings'),
      };
    },
  },
);

/** After a cluster's nodes: register them, check primaries and upstream chains, fill standbys' timelines. */
function checkNodes(drafts: Named<NodeDraft>[], mapNode: Node | undefined, ctx: C): void {
  const cluster = ctx.env.cluster!;
  const byName = new Map(drafts.map((d) => [d.name, d]));
  if (!drafts.some((d) => d.value.role === 'primary')) {
    ctx.fail(mapNode, `cluster ${show(cluster.name)} has no primary`, { hint: 'give one node role: primary (a node without upstream is a primary)' });
  }
  const timelines = new Map<string, number>();
  for (const d of drafts) {
    const chain = [d.name];
    let cur = d;
    while (cur.value.role === 'standby') {
      const up = byName.get(cur.value.upstream!)!;
      if (chain.includes(up.name)) {
        ctx.fail(cur.value.upstreamNode ?? cur.keyNode, `upstream of node ${show(cur.name)} makes a loop: ${[...chain.slice(chain.indexOf(up.name)), up.name].join(' -> ')}`, {
          hint: 'every upstream chain must end at a primary',
        });
      }
      chain.push(up.name);
      cur = up;
    }
    timelines.set(d.name, cur.value.timeline ?? 1);
  }
  checkOneVersion(drafts, byName, ctx);
  checkInitdbSettings(drafts, byName, ctx);
  cluster.specs = drafts.map((d) => ({
    name: d.name,
    site: d.value.site,
    version: d.value.version,
    role: d.value.role,
    upstream: d.value.upstream,
    timeline: timelines.get(d.name)!,
    settings: d.value.settings,
    storage: d.value.storage,
    ...(d.value.capacity ? { capacity: d.value.capacity } : {}),
  }));
  for (const s of cluster.specs) {
    ctx.env.nodes.set(s.name, {
      name: s.name,
      cluster: cluster.name,
      version: s.version,
      site: s.site,
      role: s.role,
      segmentSize: s.settings.walSegmentSize ?? DEFAULT_WAL_SEGMENT_SIZE,
    });
  }
}

/**
 * Physical (WAL) replication needs the same major version on both ends: a walreceiver's IDENTIFY_SYSTEM
 * and the WAL page magic differ between majors (xlogreader.c checks XLOG_PAGE_MAGIC per page), and a
 * cluster's nodes stream from one another or may be repointed to any other. So a cluster is one version.
 */
function checkOneVersion(drafts: Named<NodeDraft>[], byName: Map<string, Named<NodeDraft>>, ctx: C): void {
  const cluster = ctx.env.cluster!;
  const first = drafts.find((d) => d.value.role === 'primary') ?? drafts[0]!;
  for (const d of drafts) {
    if (d.value.version === first.value.version) continue;
    const up = d.value.upstream !== null ? byName.get(d.value.upstream) : undefined;
    const other = up && up.value.version !== d.value.version ? up : first;
    const relation = other === up ? `its upstream ${show(other.name)}` : `${show(other.name)} in the same cluster`;
    ctx.fail(d.value.versionNode ?? d.keyNode, `node ${show(d.name)} is PostgreSQL ${d.value.version} but ${relation} is ${other.value.version}: physical replication needs one major version on both ends`, {
      hint: `give every node of cluster ${show(cluster.name)} the same version (a major upgrade by logical replication is two clusters and a subscription between them: subscriptions:; pg_upgrade is not modelled)`,
    });
  }
}

/**
 * Settings chosen at initdb and kept in pg_control: a standby is a copy of its upstream's data directory
 * (pg_basebackup), so it has its upstream's. A walreceiver refuses another WAL segment size
 * (xlog.c ReadControlFile reads it from pg_control; the WAL of one system has one), and data checksums
 * change only with pg_checksums on a stopped server, each server on its own (PostgreSQL 12+).
 */
const INITDB_SETTINGS = [
  { key: 'data_checksums', of: (s: NodeDraft['settings']) => s.dataChecksums ?? false, show: (v: boolean | number) => (v ? 'on' : 'off') },
  { key: 'wal_segment_size', of: (s: NodeDraft['settings']) => s.walSegmentSize ?? DEFAULT_WAL_SEGMENT_SIZE, show: (v: boolean | number) => formatSize(v as number) },
] as const;

function checkInitdbSettings(drafts: Named<NodeDraft>[], byName: Map<string, Named<NodeDraft>>, ctx: C): void {
  const cluster = ctx.env.cluster!;
  for (const d of drafts) {
    if (d.value.upstream === null) continue;
    const up = byName.get(d.value.upstream)!;
    for (const rule of INITDB_SETTINGS) {
      const mine = rule.of(d.value.settings);
      const theirs = rule.of(up.value.settings);
      if (mine === theirs) continue;
      const at = settingKey(d.value.settingsNode, rule.key) ?? settingKey(up.value.settingsNode, rule.key) ?? d.value.upstreamNode ?? d.keyNode;
      ctx.fail(at, `node ${show(d.name)} has ${rule.key} = ${rule.show(mine)} but its upstream ${show(up.name)} has ${rule.show(theirs)}: it is chosen at initdb and a standby is a copy of its upstream's data directory, so both have the same`, {
        hint: `give every node of cluster ${show(cluster.name)} the same ${rule.key} (or none, for the default)`,
      });
    }
  }
}

/** The key node of `key` in a settings mapping, if written there. */
function settingKey(settings: Node | undefined, key: string): Node | undefined {
  if (!isMap(settings)) return undefined;
  const pair = settings.items.find((p) => isScalar(p.key) && p.key.value === key);
  return pair && isScalar(pair.key) ? pair.key : undefined;
}

const nodesDecoder = namedMap(nodeDecoder, {
  expected: 'a mapping of node names to {site, version, ...}',
  label: (n) => `node "${n}"`,
  names: name(),
  minItems: 1,
  onNames: (names, ctx: C) => {
    for (const n of names) {
      const other = ctx.env.nodes.get(n.name);
      if (other) ctx.fail(n.node, `node name ${show(n.name)} is already used in cluster ${show(other.cluster)}`, { hint: 'node names must be unique across clusters' });
    }
    ctx.env.cluster!.nodeNames = names.map((n) => n.name);
  },
});

/** The vacuum and lock grammar (grammar-vacuum.ts), built here with this module's decoders. */
const VACUUM = vacuumGrammar({ ref, rate, bounds });

/** A number from 1 to 100 (a backoff multiplier such as 1.5 or 2). */
const backoffMultiplier = custom<number>(
  'a number from 1 to 100',
  () => ({ type: 'number', minimum: 1, maximum: 100 }),
  (node, ctx) => {
    const n = ctx.resolve(node);
    if (!isScalar(n) || typeof n.value !== 'number' || !(n.value >= 1 && n.value <= 100)) return typeError(n, ctx, 'a number from 1 to 100');
    return n.value;
  },
);

/** A client's retries (models/postgres/client-retries.ts). */
const retriesBody = object(
  {
    count: req(integer({ min: 0, max: 1000 }), 'How many times a failed request is retried.'),
    backoff: req(duration(), 'The wait before the first retry.'),
    multiplier: withDefault(backoffMultiplier, 'Each further wait is this many times the previous one (exponential backoff).', 2),
    max_backoff: withDefault(duration(), 'No wait between retries is longer.', 30_000_000 as Micros, '30s'),
  },
  { expected: 'client retries {count, backoff, multiplier?, max_backoff?}', build: (v): RetrySpec => ({ count: v.count, backoff: v.backoff as Micros, multiplier: v.multiplier, maxBackoff: v.max_backoff as Micros }) },
);

const workloadBody = object(
  {
    target: req(clusterNodeRef, 'The node the clients send writes to at the start (a primary).'),
    site: opt(siteRef, 'The site the clients (application servers) are in; default: the target\'s site.'),
    rate: req(rate(), 'Write transactions offered per second.'),
    wal_per_tx: req(size({ positive: true }), 'WAL bytes per write transaction (commit record included).'),
    connections: withDefault(integer({ min: 1, max: 1_000_000 }), 'Concurrent client connections (how many commits can wait for a synchronous standby at once).', 100),
    working_set: opt(
      size({ positive: true }),
      'Bytes of the pages its writes change. With it, wal_per_tx is the WAL without full-page images, and the first change of each page after a checkpoint starts adds an image of it (full_page_writes): WAL per transaction jumps at every checkpoint and falls as the pages are imaged. Default: none, wal_per_tx is the average with images.',
    ),
    pages_per_tx: opt(integer({ min: 1, max: 1_000_000 }), 'Distinct pages a write transaction changes, drawn from working_set (heap and index pages). Default 1.'),
    queue_timeout: opt(duration(), 'How long a request waits in the client pool for a connection before it fails (HikariCP connectionTimeout, pgbouncer query_wait_timeout). Default: it waits as long as it takes.'),
    retries: opt(retriesBody, 'Clients retry a failed request (refused or broken connection, queue timeout): {count, backoff, multiplier?, max_backoff?}. Default: no retry.'),
    ...VACUUM.workloadFields,
  },
  {
    build: (v, info, ctx: C): Omit<WorkloadSpec, 'name'> => {
      const target = ctx.env.nodes.get(v.target)!;
      if (target.role !== 'primary') {
        ctx.fail(info.at('target'), `${ctx.field('target').subject}: node ${show(v.target)} is a standby; clients write to a primary`);
      }
      checkWalSpace(v.rate, v.wal_per_tx, (ctx.env.end ?? 0) / 1e6, info.at('rate'), ctx);
      if (v.pages_per_tx !== undefined && v.working_set === undefined) ctx.fail(info.at('pages_per_tx'), `${ctx.field('pages_per_tx').subject} needs working_set (the pages it draws from)`);
      return { target: v.target, site: v.site ?? target.site, rate: v.rate, walPerTx: v.wal_per_tx, ...(v.working_set !== undefined ? { workingSet: v.working_set, pagesPerTx: v.pages_per_tx ?? 1 } : {}), connections: v.connections, ...(v.queue_timeout !== undefined ? { queueTimeout: v.queue_timeout as Micros } : {}), ...(v.retries !== undefined ? { retries: v.retries } : {}), ...VACUUM.buildWorkloadTable(v, info, ctx, v.rate) };
    },
  },
);

/** A cluster's single `workload:` is the pool named "clients". */
const SINGLE_WORKLOAD = 'clients';

const workloadsDecoder = map(
  namedMap(workloadBody, {
    expected: 'a mapping of workload names to {target, rate, wal_per_tx, ...}',
    label: (w) => `workload "${w}"`,
    names: name(),
    minItems: 1,
  }),
  (v): WorkloadSpec[] => v.map((w) => ({ name: w.name, ...w.value })),
);

/** Failover managers, gray failures and verdicts (grammar-managers.ts). */
const MANAGERS = managersGrammar({ clusterRef, nodeRef, siteRef, clusterNodeRef, sitePair, seconds, bounds, itemLabel });
const failoverDecoder = MANAGERS.failover;

const tableDecoder = object(
  {
    size: req(size({ positive: true }), 'Size of the relation(s) on disk.'),
    catalog: withDefault(boolean(), 'System catalogs (pg_catalog): a logical slot\'s catalog_xmin holds them back too.', false),
    churn: withDefault(size(), 'Dead rows per hour that only vacuum removes; they pile up while a horizon holds them (e.g. ANALYZE rewriting pg_statistic).', 0),
    vacuum_scan: withDefault(
      custom<number>('a fraction from 0 to 1', () => ({ type: 'number', minimum: 0, maximum: 1 }), (node, ctx) => {
        const n = ctx.resolve(node);
        const v = isScalar(n) ? Number(n.value) : NaN;
        if (!isScalar(n) || typeof n.value !== 'number' || !(v >= 0 && v <= 1)) typeError(n, ctx, 'a fraction from 0 to 1');
        return v;
      }),
      'Fraction an aggressive (anti-wraparound) vacuum reads; the rest is all-frozen in the visibility map.',
      1,
    ),
    frozen_age: opt(integer({ min: 0, max: 2 ** 31 - 1 }), 'age(relfrozenxid) at the start (default: drawn from the seed, below autovacuum_freeze_max_age).'),
    rows: opt(integer({ min: 1 }), 'Rows (reltuples): autovacuum\'s thresholds scale with it. Default: size / 128 bytes.'),
    empty_tail: opt(size(), 'Of its size, the bytes at the end whose rows are all dead at the start (after a DELETE of its newest rows, a drained queue): they count as dead rows, and the first vacuum that removes them truncates the file, taking an ACCESS EXCLUSIVE lock that standbys replay.'),
    vacuum_truncate: opt(boolean(), 'The vacuum_truncate reloption (12+): false, vacuum never truncates empty pages at the end of the table. Default: true.'),
    indexes: opt(size(), 'Size of its indexes (pg_indexes_size): a rewrite (VACUUM FULL, CLUSTER, ALTER COLUMN TYPE, ...) or REINDEX TABLE rebuilds them and writes them into the WAL. Default: one btree on an integer key, 22.5 bytes a row.'),
  },
);

const databasesDecoder = map(
  namedMap(
    object({
      tables: req(
        namedMap(tableDecoder, { expected: 'a mapping of table names to {size, ...}', label: (t) => `table "${t}"`, names: name(), minItems: 1 }),
        'Relations by name (a name may stand for a group of tables vacuumed alike).',
      ),
    }),
    {
      expected: 'a mapping of database names to {tables}',
      label: (d) => `database "${d}"`,
      names: name(),
      minItems: 1,
      onNames: (names, ctx: C) => {
        ctx.env.cluster!.databaseNames = names.map((n) => n.name);
      },
    },
  ),
  (v): DatabaseSpec[] =>
    v.map((d) => ({
      name: d.name,
      tables: d.value.tables.map((t) => ({
        name: t.name,
        database: d.name,
        size: t.value.size,
        catalog: t.value.catalog,
        churn: t.value.churn / 3600,
        vacuumScan: t.value.vacuum_scan,
        frozenAge: t.value.frozen_age ?? null,
        ...(t.value.rows !== undefined ? { rows: t.value.rows } : {}),
        ...(t.value.empty_tail ? { emptyTail: Math.min(t.value.empty_tail, t.value.size) } : {}),
        ...(t.value.vacuum_truncate !== undefined ? { vacuumTruncate: t.value.vacuum_truncate } : {}),
        ...(t.value.indexes !== undefined ? { indexes: t.value.indexes } : {}),
      })),
    })),
);

const slotFields = {
  node: req(clusterNodeRef, 'The server the slot is on (the primary).'),
  type: req(enumOf(['physical', 'logical'] as const), 'physical (a standby) or logical (a logical decoding consumer, e.g. a CDC tool).'),
  database: opt(string({ nonEmpty: true }), 'The database of a logical slot.'),
  consumer: withDefault(enumOf(['active', 'stopped'] as const), 'Whether a consumer streams from the slot.', 'active'),
  hot_standby_feedback: withDefault(boolean(), 'Physical slot whose standby sends hot_standby_feedback: its xmin holds every table.', false),
  failover: withDefault(
    boolean(),
    'A logical slot created with failover = true (17+): a standby with sync_replication_slots, hot_standby_feedback and primary_slot_name synchronizes it, and after that standby\'s promotion it goes on there.',
    false,
  ),
};

function buildSlot(name: string, v: { node: string; type: 'physical' | 'logical'; database?: string | undefined; consumer: 'active' | 'stopped'; hot_standby_feedback: boolean; failover: boolean }, info: ObjectInfo, ctx: C): SlotSpec {
  const cluster = ctx.env.clusters.get(ctx.env.nodes.get(v.node)?.cluster ?? '') ?? ctx.env.cluster;
  if (v.type === 'logical' && v.database === undefined) ctx.fail(info.node, `${ctx.subject}: a logical slot needs a database`, { expected: 'database: a database of the cluster' });
  if (v.type === 'physical' && v.database !== undefined) ctx.fail(info.keyAt('database'), `${ctx.subject}: a physical slot has no database`);
  if (v.type === 'logical' && v.hot_standby_feedback) ctx.fail(info.keyAt('hot_standby_feedback'), `${ctx.subject}: hot_standby_feedback is for physical slots`);
  if (v.failover && v.type === 'physical') ctx.fail(info.keyAt('failover'), `${ctx.subject}: failover is for logical slots (a physical slot is the standby's own)`);
  const version = ctx.env.nodes.get(v.node)?.version;
  if (v.failover && version !== undefined && version < 17) {
    ctx.fail(info.keyAt('failover'), `${ctx.subject}: failover slots were added in PostgreSQL 17 (node ${show(v.node)} is ${version})`, { hint: 'before 17 no logical slot survives a failover: remove failover' });
  }
  if (v.database !== undefined && cluster && !cluster.databaseNames.includes(v.database)) {
    const dym = didYouMean(v.database, cluster.databaseNames);
    ctx.failReference('database', info.at('database')!, `${ctx.subject}: cluster ${show(cluster.name)} has no database ${show(v.database)}`, dym ? { hint: dym } : { expected: cluster.databaseNames.length ? `one of ${listing(cluster.databaseNames)}` : 'databases: {...} in the cluster' });
  }
  const prev = ctx.env.slots.get(name);
  if (prev !== undefined) ctx.fail(info.node, `${ctx.subject}: a slot named ${show(name)} already exists in cluster ${show(prev)}`);
  if (cluster) ctx.env.slots.set(name, cluster.name);
  return { name, node: v.node, kind: v.type, database: v.database ?? null, consumer: v.consumer, hotStandbyFeedback: v.hot_standby_feedback, ...(v.failover ? { failover: true } : {}) };
}

const slotsDecoder = map(
  namedMap(object(slotFields, { build: (v, info, ctx: C) => buildSlot(ctx.env.slotName!, v, info, ctx) }), {
    expected: 'a mapping of slot names to {node, type, ...}',
    label: (n) => `slot "${n}"`,
    names: name(),
    before: (n, ctx: C) => {
      ctx.env.slotName = n;
    },
  }),
  (v): SlotSpec[] => v.map((x) => x.value),
);

const clusterDecoder = object(
  {
    start_lsn: withDefault(lsn(), 'LSN of the primary\'s insert position at the start (standbys start caught up).', 0x3000000, '0/3000000'),
    wal_archive: withDefault(boolean(), 'Whether WAL is archived (with a base backup from before the start): decides what PITR could recover.', true),
    nodes: after(
      req(nodesDecoder, 'The servers, by name (names are unique across clusters).'),
      (v, info, ctx: C) => checkNodes(v, info.at('nodes'), ctx),
    ),
    databases: after(opt(databasesDecoder, 'Databases and their relations: enables XID consumption, freezing and wraparound limits.'), (v, info, ctx: C) => {
      ctx.env.cluster!.tables = (v ?? []).flatMap((d) => d.tables.map((t) => ({ database: d.name, table: t.name })));
      const old = ctx.env.cluster!.specs.find((n) => n.version < 12);
      const t = (v ?? []).flatMap((d) => d.tables).find((x) => x.vacuumTruncate !== undefined);
      if (old && t) ctx.fail(info.at('databases')!, `${ctx.subject}: table ${show(t.name)}: the vacuum_truncate reloption is from PostgreSQL 12 (node ${show(old.name)} is ${old.version})`, { hint: 'before 12 vacuum always truncates empty pages at the end of a table' });
    }),
    workload: opt(workloadBody, 'The clients writing to the cluster (one pool, named "clients"). Use workloads: for several pools.'),
    workloads: opt(workloadsDecoder, 'Several client pools by name, e.g. application servers at two sites (split brain needs writers on both sides).'),
    slots: opt(slotsDecoder, 'Replication slots existing at the start, by name.'),
    archive: opt(object({ site: req(siteRef, 'The site the archive is in: nodes archive to it and restore from it over the network.') }), 'The WAL archive (for archive_mode and restore_command): {site}. Default: at the first primary\'s site.'),
    failover: opt(
      byKind<FailoverSpec[]>(
        { map: map(failoverDecoder, (f) => [f]), list: list(failoverDecoder, { label: itemLabel, minItems: 1 }) },
        'a failover manager {policy, site, ...}, or a list of them (say, one per site)',
      ),
      'An automatic failover manager, or a list of managers that may disagree (one per site).',
    ),
  },
  {
    build: (v, info, ctx: C): ClusterSpec => {
      const cluster = ctx.env.cluster!;
      if (v.workload !== undefined && v.workloads !== undefined) {
        ctx.fail(info.keyAt('workloads'), `${ctx.subject} has both workload and workloads`, { hint: 'keep one: workload for a single pool, workloads for several' });
      }
      const workloads = v.workloads ?? (v.workload ? [{ name: SINGLE_WORKLOAD, ...v.workload }] : []);
      cluster.workloadNames = workloads.map((w) => w.name);
      cluster.workloadLoads = workloads.map((w) => ({ rate: w.rate, walPerTx: w.walPerTx }));
      cluster.policies = (v.failover ?? []).map((f) => f.policy);
      return {
        databases: v.databases ?? [],
        slots: v.slots ?? [],
        name: cluster.name,
        nodes: cluster.specs,
        workloads,
        failover: v.failover ?? [],
        startLsn: v.start_lsn,
        walArchive: v.wal_archive,
        ...(v.archive !== undefined ? { archive: { site: v.archive.site } } : {}),
      };
    },
  },
);

const clusters = map(
  namedMap(clusterDecoder, {
    expected: 'a mapping of cluster names to {nodes, ...}',
    label: (c) => `cluster "${c}"`,
    defines: ['node', 'slot', 'transaction', 'workload', 'table', 'database'],
    names: name(),
    minItems: 1,
    before: (n, ctx: C) => {
      const info: ClusterInfo = { name: n, nodeNames: [], specs: [], workloadNames: [], databaseNames: [] };
      ctx.env.clusters.set(n, info);
      ctx.env.cluster = info;
    },
  }),
  (v, _node, ctx: C) => {
    ctx.env.cluster = undefined;
    return v.map((c) => c.value);
  },
);

// ---------------------------------------------------------------------------------------------------------
// Actions

const ACTION_NAME = /^(?!\d+$)[^.\r\n]+$/;

function entryName(): Decoder<string> {
  return string({ pattern: ACTION_NAME, patternText: 'a name without dots (and not a plain number)', maxLength: 200, nonEmpty: true });
}

/** `plan.2` (counted from 0, as a --set path counts), or `plan entry "primary-lost"` when the entry has a name. */
function entryLabel(list: string) {
  return (i: number, node: Node): string => {
    if (isMap(node)) {
      const v = node.get('name');
      if (typeof v === 'string' && v.length <= 60) return `${list} entry ${show(v)}`;
    }
    return `${list}.${i}`;
  };
}

const partitionTarget = defined(
  'partitionTarget',
  byKind<PartitionTarget>(
    {
      string: map(nodeRef, (n): PartitionTarget => ({ kind: 'node', node: n })),
      map: object({ sites: req(sitePair(), 'The two sites whose link is cut.') }, { build: (v): PartitionTarget => ({ kind: 'link', sites: v.sites }) }),
    },
    'a node name or {sites: [siteA, siteB]}',
  ),
);

const configureDecoder = object(
  {
    node: after(req(nodeRef, 'The node to reconfigure.'), (v, _info, ctx: C) => {
      const n = ctx.env.nodes.get(v)!;
      ctx.env.version = n.version;
      ctx.env.configuring = { segmentSize: n.segmentSize };
    }),
    settings: req(settings(), 'The settings to change (same keys as a node\'s settings).'),
    restart: withDefault(enumOf(['auto', 'never'] as const), 'auto: restart when a changed setting needs it (e.g. recovery_target_timeline); never: only reload.', 'auto'),
  },
  {
    build: (v, info, ctx: C): ActionBody => {
      ctx.env.configuring = null;
      if (Object.keys(v.settings).length === 0) {
        ctx.fail(info.at('settings')!, `${ctx.subject} changes no setting`, { expected: 'at least one setting, e.g. settings: {recovery_target_timeline: latest}' });
      }
      return { kind: 'configure', node: v.node, settings: v.settings, restart: v.restart };
    },
  },
);

const workloadChange = object(
  {
    cluster: opt(clusterRef, 'The cluster whose workload changes; optional when there is one cluster.'),
    workload: opt(string({ nonEmpty: true }), 'The workload (client pool) that changes; default: every workload of the cluster.'),
    rate: opt(rate(), 'The new offered rate.'),
    wal_per_tx: opt(size({ positive: true }), 'The new WAL bytes per transaction.'),
  },
  {
    build: (v, info, ctx: C): ActionBody => {
      let cluster = v.cluster;
      if (cluster === undefined) {
        const all = [...ctx.env.clusters.keys()];
        if (all.length !== 1) ctx.fail(info.node, `${ctx.subject} needs a cluster: there are ${all.length} clusters`, { expected: `cluster: one of ${listing(all)}` });
        cluster = all[0]!;
      }
      const names = ctx.env.clusters.get(cluster)!.workloadNames;
      if (names.length === 0) {
        // A cluster that failed to decode has no workload names: its error is the cause, not this step.
        ctx.failReference('workload', info.at('cluster') ?? info.node, `${ctx.subject}: cluster ${show(cluster)} has no workload to change`, { hint: `add workload: {...} to cluster ${show(cluster)}` });
      }
      if (v.workload !== undefined && !names.includes(v.workload)) {
        const dym = didYouMean(v.workload, names);
        ctx.failReference('workload', info.at('workload')!, `${ctx.subject}: cluster ${show(cluster)} has no workload ${show(v.workload)}`, dym ? { hint: dym } : { expected: `one of ${listing(names)}` });
      }
      if (v.rate === undefined && v.wal_per_tx === undefined) ctx.fail(info.node, `${ctx.subject} changes nothing`, { expected: 'rate and/or wal_per_tx' });
      const loads = ctx.env.clusters.get(cluster)!.workloadLoads ?? [];
      const most = (f: (l: { rate: number; walPerTx: number }) => number) => Math.max(0, ...loads.map(f));
      checkWalSpace(v.rate ?? most((l) => l.rate), v.wal_per_tx ?? most((l) => l.walPerTx), (ctx.env.end ?? 0) / 1e6, info.at('rate') ?? info.at('wal_per_tx'), ctx);
      return {
        kind: 'workload',
        cluster,
        workload: v.workload ?? null,
        ...(v.rate !== undefined ? { rate: v.rate } : {}),
        ...(v.wal_per_tx !== undefined ? { walPerTx: v.wal_per_tx } : {}),
      };
    },
  },
);

const repoint = object(
  {
    node: req(nodeRef, 'The standby to repoint.'),
    upstream: req(nodeRef, 'Its new upstream (same cluster).'),
  },
  {
    build: (v, info, ctx: C): ActionBody => {
      const a = ctx.env.nodes.get(v.node)!;
      const b = ctx.env.nodes.get(v.upstream)!;
      if (v.node === v.upstream) ctx.fail(info.at('upstream'), `${ctx.subject}: a node cannot stream from itself`);
      if (a.cluster !== b.cluster) ctx.fail(info.at('upstream'), `${ctx.subject}: ${show(v.upstream)} is in cluster ${show(b.cluster)}, ${show(v.node)} in ${show(a.cluster)}`);
      return { kind: 'repoint', node: v.node, upstream: v.upstream };
    },
  },
);

/** Two nodes of one cluster, `node` rebuilt from `from` (pg_basebackup, pg_rewind). */
function sameClusterSource(v: { node: string; from: string }, at: Parameters<C['fail']>[0], ctx: C): void {
  const a = ctx.env.nodes.get(v.node)!;
  const b = ctx.env.nodes.get(v.from)!;
  if (v.node === v.from) ctx.fail(at, `${ctx.subject}: a node cannot be rebuilt from itself`);
  if (a.cluster !== b.cluster) ctx.fail(at, `${ctx.subject}: ${show(v.from)} is in cluster ${show(b.cluster)}, ${show(v.node)} in ${show(a.cluster)}`);
}

/** pg_basebackup into a stopped node with an empty data directory (`basebackup`), or after emptying it (`reclone`). */
const baseBackup = (kind: 'basebackup' | 'reclone') =>
  object(
    {
      node: (kind === 'basebackup' ? opt : req)(
        nodeRef,
        kind === 'basebackup' ? 'The server rebuilt: stopped, with an empty data directory (destroy_data). Omitted: the backup goes to the backup store at the WAL archive\'s site (then `name` is required).' : 'The server re-cloned: stopped (immediate) and emptied first.',
      ),
      name: opt(name(), 'Keep the backup under this name, for a later restore_backup (point-in-time recovery).'),
      from: req(nodeRef, 'The server copied from: the primary, or a standby (a backup from a standby); same cluster.'),
      checkpoint: withDefault(enumOf(['fast', 'spread'] as const), '--checkpoint: fast (an immediate checkpoint) or spread (waits for a checkpoint paced as the server paces its own: checkpoint_completion_target of checkpoint_timeout or of the WAL between checkpoints, whichever first).', 'spread'),
      wal_method: withDefault(enumOf(['stream', 'fetch'] as const), '-X: stream (from 10 a temporary slot keeps the WAL during the copy) or fetch (the WAL is taken at the end and must still be there).', 'stream'),
      slot: opt(name(), '--slot: a physical slot on the source that keeps the WAL (created if missing); it becomes the standby\'s primary_slot_name.'),
      max_rate: opt(bandwidth(), '--max-rate: the copy\'s speed at most. Default: the slowest of the path and the two disks.'),
      start: withDefault(boolean(), 'Start the server as a standby of `from` when the copy is done.', true),
    },
    {
      build: (v, info, ctx: C): ActionBody => {
        if (v.node !== undefined) sameClusterSource({ node: v.node, from: v.from }, info.at('from'), ctx);
        else if (v.name === undefined) ctx.fail(info.at('from'), `${ctx.subject}: a basebackup without a node goes to the backup store and needs a name to restore it by`, { hint: 'add name: <backup name>, or node: <the server to rebuild>' });
        const cluster = ctx.env.nodes.get(v.from)!.cluster;
        if (v.name !== undefined) {
          if (ctx.env.backups?.has(v.name)) ctx.fail(info.at('name')!, `${ctx.subject}: a backup named ${show(v.name)} is already taken by an earlier step`);
          (ctx.env.backups ??= new Map()).set(v.name, cluster);
        }
        if (v.slot !== undefined && !ctx.env.slots.has(v.slot)) ctx.env.slots.set(v.slot, cluster);
        const spec = { from: v.from, checkpoint: v.checkpoint, walMethod: v.wal_method, slot: v.slot ?? null, maxRate: v.max_rate ?? null, start: v.start, name: v.name ?? null };
        return kind === 'reclone' ? { kind, node: v.node!, spec } : { kind, node: v.node ?? null, spec };
      },
    },
  );

/** A backup by name: taken by an earlier `basebackup` step with `name`. */
const backupRef = ref('backup', (env) => [...(env.backups?.keys() ?? [])]);

/** recovery_target_*: latest, immediate, {time}, {lsn}. */
const recoveryTarget = byKind<RecoveryTarget>(
  {
    string: map(enumOf(['latest', 'immediate'] as const), (k): RecoveryTarget => ({ kind: k })),
    map: object(
      {
        time: opt(time(), 'recovery_target_time: stop before the first commit after this time.'),
        lsn: opt(lsn(), 'recovery_target_lsn (10+): stop at this WAL position.'),
      },
      {
        build: (v, info, ctx: C): RecoveryTarget => {
          if ((v.time === undefined) === (v.lsn === undefined)) ctx.fail(info.node, `${ctx.subject}: name exactly one of time and lsn`, { hint: 'PostgreSQL refuses more than one recovery target ("multiple recovery targets specified")' });
          return v.time !== undefined ? { kind: 'time', at: v.time, epochMs: timeRef(ctx.env).startEpochMs } : { kind: 'lsn', lsn: v.lsn! };
        },
      },
    ),
  },
  'latest, immediate, {time: "14:30"} or {lsn: "0/3000000"}',
);

const restoreBackup = object(
  {
    node: req(nodeRef, 'The server restored: stopped (its data directory is replaced by the backup\'s).'),
    backup: req(backupRef, 'The base backup: the name of an earlier basebackup step.'),
    target: withDefault(recoveryTarget, 'Where recovery stops: latest (all the archive has), immediate (as soon as consistent), {time} or {lsn}.', { kind: 'latest' } as RecoveryTarget, 'latest'),
    inclusive: withDefault(boolean(), 'recovery_target_inclusive: stop after the target (true) or just before it.', true),
    action: withDefault(enumOf(['pause', 'promote', 'shutdown'] as const), 'recovery_target_action: at the target pause (a later promote step ends recovery), promote (a new timeline), or shut down.', 'pause'),
    timeline: opt(recoveryTargetTimeline(), 'recovery_target_timeline for this recovery: current, latest or a timeline ID (default: the node\'s setting, the version\'s default).'),
    start: withDefault(boolean(), 'Start the server in archive recovery when the copy is done.', true),
  },
  {
    build: (v, info, ctx: C): ActionBody => {
      const cluster = ctx.env.nodes.get(v.node)!.cluster;
      const of = ctx.env.backups!.get(v.backup)!;
      if (of !== cluster) ctx.fail(info.at('backup')!, `${ctx.subject}: backup ${show(v.backup)} is of cluster ${show(of)}, ${show(v.node)} is in ${show(cluster)}`);
      return { kind: 'restoreBackup', node: v.node, spec: { backup: v.backup, target: v.target, inclusive: v.inclusive, action: v.action, timeline: v.timeline ?? null, start: v.start } };
    },
  },
);

const pgRewind = object(
  {
    node: req(nodeRef, 'The server rewound: shut down (cleanly up to 12), with wal_log_hints = on or data checksums.'),
    from: req(nodeRef, 'The source server (--source-server): the new primary, same cluster.'),
    start: withDefault(boolean(), 'Start the server as a standby of `from` when it is done.', true),
    restore_target_wal: withDefault(boolean(), '-c (--restore-target-wal, 13+): fetch the WAL missing from the node\'s pg_wal with its restore_command.', false),
  },
  {
    build: (v, info, ctx: C): ActionBody => {
      sameClusterSource(v, info.at('from'), ctx);
      const version = ctx.env.nodes.get(v.node)?.version;
      if (v.restore_target_wal && version !== undefined && version < 13) {
        ctx.fail(info.keyAt('restore_target_wal'), `${ctx.subject}: pg_rewind has --restore-target-wal from PostgreSQL 13 (node ${show(v.node)} is ${version})`, { hint: 'before 13 copy the missing WAL from the archive into pg_wal first' });
      }
      return { kind: 'pgRewind', node: v.node, spec: { from: v.from, start: v.start, ...(v.restore_target_wal ? { restoreTargetWal: true } : {}) } };
    },
  },
);

/** A slot by name: declared in a cluster or created by an earlier plan step. */
const slotRef = ref('slot', (env) => [...env.slots.keys()]);

const createSlot = object(
  // In the plan there is no enclosing cluster: the node names it (any cluster's node).
  { name: req(name(), 'The slot\'s name.'), ...slotFields, node: req(nodeRef, 'The server the slot is on (the primary).') },
  {
    build: (v, info, ctx: C): ActionBody => {
      const slot = buildSlot(v.name, v, info, ctx);
      return { kind: 'createSlot', cluster: ctx.env.nodes.get(v.node)!.cluster, slot };
    },
  },
);

const slotAction = <K extends 'dropSlot' | 'stopConsumer' | 'startConsumer'>(kind: K) =>
  map(slotRef, (slot, _n, ctx: C): ActionBody => ({ kind, cluster: ctx.env.slots.get(slot)!, slot }));

const openTransaction = object(
  {
    node: req(nodeRef, 'The server the transaction runs on (its snapshot holds the xmin horizon).'),
    name: req(name(), 'A name to close it by.'),
    prepared: withDefault(boolean(), 'A prepared transaction (PREPARE TRANSACTION): it survives restarts until COMMIT/ROLLBACK PREPARED.', false),
    database: opt(string({ nonEmpty: true }), 'The database the session is connected to: it holds that database\'s tables (default: the cluster\'s first).'),
    idle: withDefault(boolean(), 'Idle in transaction rather than running a query: idle_in_transaction_session_timeout (9.6+) ends it.', false),
    isolation: opt(enumOf(['read committed', 'repeatable read', 'serializable'] as const), 'Its isolation level (default read committed, the server\'s default_transaction_isolation). Idle in a READ COMMITTED transaction it has no snapshot (its last statement\'s went with it); in REPEATABLE READ or SERIALIZABLE it keeps its transaction snapshot.'),
    wrote: opt(boolean(), 'Whether it has written, so has an XID that holds the xmin horizon even when it has no snapshot (default: true on a primary, as an application that began a transaction, wrote and left it open; false: a read-only one, which idle in READ COMMITTED holds nothing). A standby\'s cannot write.'),
    tables: opt(list(tableRef(), { label: nestedItem('tables') }), 'The tables it has read (it holds an AccessShareLock on each): on a standby, an ACCESS EXCLUSIVE lock replayed on one of them waits for it. Default: every table of its database.'),
    duration: opt(duration({ min: 1 }), 'It commits by itself after this long (a report\'s run time), unless it ended before; with repeat, a stream of reports. Default: until close_transaction.'),
  },
  {
    build: (v, info, ctx: C): ActionBody => {
      const cluster = ctx.env.nodes.get(v.node)!.cluster;
      if (ctx.env.transactions.has(v.name)) ctx.fail(info.at('name')!, `${ctx.subject}: a transaction named ${show(v.name)} is already open`);
      const dbs = ctx.env.clusters.get(cluster)!.databaseNames;
      if (v.database !== undefined && !dbs.includes(v.database)) {
        const dym = didYouMean(v.database, dbs);
        ctx.failReference('database', info.at('database')!, `${ctx.subject}: cluster ${show(cluster)} has no database ${show(v.database)}`, dym ? { hint: dym } : { expected: dbs.length ? `one of ${listing(dbs)}` : 'databases: {...} in the cluster' });
      }
      ctx.env.transactions.set(v.name, cluster);
      const db = v.database ?? dbs[0];
      for (const [i, t] of (v.tables ?? []).entries()) {
        if (t.cluster !== cluster || t.database !== db) ctx.fail(info.at('tables')!, `${ctx.subject}: tables.${i} ${show(`${t.database}.${t.table}`)} is not a table of database ${show(db ?? '')} of cluster ${show(cluster)}, which the session is connected to`);
      }
      const tables = v.tables ? { tables: v.tables.map((t) => ({ database: t.database, table: t.table })) } : {};
      const lasts = v.duration !== undefined ? { duration: v.duration } : {};
      const how = { ...(v.isolation !== undefined ? { isolation: v.isolation } : {}), ...(v.wrote !== undefined ? { wrote: v.wrote } : {}) };
      return { kind: 'openTransaction', node: v.node, transaction: v.name, prepared: v.prepared, database: v.database ?? null, idle: v.idle, ...how, ...tables, ...lasts };
    },
  },
);

const transactionRef = ref('transaction', (env) => [...env.transactions.keys()]);

const nodeAction = <K extends 'promote' | 'blockClients' | 'unblockClients' | 'crash' | 'restart' | 'stop' | 'start'>(kind: K) =>
  map(nodeRef, (node) => ({ kind, node }) as ActionBody);

/** `stop:` / `restart:`: a node (pg_ctl's default mode for its version), or {node, mode}. */
const pgCtlAction = (kind: 'stop' | 'restart') =>
  byKind<ActionBody>(
    {
      string: map(nodeRef, (node): ActionBody => ({ kind, node })),
      map: object(
        {
          node: req(nodeRef, `The server to ${kind}.`),
          mode: opt(
            enumOf(['smart', 'fast', 'immediate'] as const),
            'pg_ctl -m: smart waits for the client sessions to end (new connections are refused meanwhile), fast aborts them, immediate kills the server without a shutdown checkpoint (crash recovery at the next start). Default: smart up to 9.4, fast from 9.5.',
          ),
        },
        { build: (v): ActionBody => (v.mode === undefined ? { kind, node: v.node } : { kind, node: v.node, mode: v.mode }) },
      ),
    },
    'a node name, or {node, mode}',
  );

/** The `subscriptions:` grammar (grammar-logical.ts), built here with this module's decoders. */
const LOGICAL = logicalGrammar({ ref, rate, bandwidth, name });

/**
 * The cluster whose workloads route_writes to `node` moves: the node's own, or, for the subscriber of a
 * subscription whose cluster has no workloads of its own, the publisher's (the cut-over of an upgrade by logical
 * replication, models/logical).
 */
function writesClusterOf(node: string, ctx: C): string {
  const own = ctx.env.nodes.get(node)!.cluster;
  if ((ctx.env.clusters.get(own)?.workloadNames.length ?? 0) > 0) return own;
  const sub = [...(ctx.env.subscriptions?.values() ?? [])].find((s) => s.subscriber === node);
  return sub ? sub.publisherCluster : own;
}

/** The `block:` grammar (grammar-block.ts), built here with this module's decoders. */
const BLOCK = blockGrammar({ ref, bandwidth, rate, bounds });


const ACTION_BODIES = {
  promote: nodeAction('promote'),
  repoint,
  configure: configureDecoder,
  route_writes: byKind<ActionBody>(
    {
      string: map(nodeRef, (node, _n, ctx: C): ActionBody => ({ kind: 'routeWrites', cluster: writesClusterOf(node, ctx), node, workload: null })),
      map: object(
        {
          node: req(nodeRef, 'The node the clients send writes to from now on.'),
          workload: opt(string({ nonEmpty: true }), 'Only this workload (client pool); default: all of the cluster\'s.'),
        },
        {
          build: (v, info, ctx: C): ActionBody => {
            const cluster = writesClusterOf(v.node, ctx);
            const names = ctx.env.clusters.get(cluster)!.workloadNames;
            if (v.workload !== undefined && !names.includes(v.workload)) {
              const dym = didYouMean(v.workload, names);
              ctx.failReference('workload', info.at('workload')!, `${ctx.subject}: cluster ${show(cluster)} has no workload ${show(v.workload)}`, dym ? { hint: dym } : { expected: `one of ${listing(names)}` });
            }
            return { kind: 'routeWrites', cluster, node: v.node, workload: v.workload ?? null };
          },
        },
      ),
    },
    'a node name, or {node, workload}',
  ),
  block_clients: nodeAction('blockClients'),
  unblock_clients: nodeAction('unblockClients'),
  cancel_waiting_commits: map(nodeRef, (node): ActionBody => ({ kind: 'endSyncWaits', node, how: 'cancel' })),
  terminate_waiting_commits: map(nodeRef, (node): ActionBody => ({ kind: 'endSyncWaits', node, how: 'terminate' })),
  partition: map(partitionTarget, (target): ActionBody => ({ kind: 'partition', target })),
  heal: map(partitionTarget, (target): ActionBody => ({ kind: 'heal', target })),
  crash: byKind<ActionBody>(
    {
      string: nodeAction('crash'),
      map: object(
        {
          node: req(nodeRef, 'The server that crashes.'),
          host: withDefault(boolean(), 'Its host dies with it (power, kernel panic): WAL written but not yet fsynced, in the page cache, is lost (a standby\'s received WAL past its flush, which remote_write acknowledged). Add a partition of the node at the same time for the silence of a dead host.', false),
        },
        { build: (v): ActionBody => (v.host ? { kind: 'crash', node: v.node, host: true } : { kind: 'crash', node: v.node }) },
      ),
    },
    'a node name, or {node, host}',
  ),
  restart: pgCtlAction('restart'),
  stop: pgCtlAction('stop'),
  start: nodeAction('start'),
  basebackup: baseBackup('basebackup'),
  reclone: baseBackup('reclone'),
  pg_rewind: pgRewind,
  restore_backup: restoreBackup,
  destroy_data: map(nodeRef, (node): ActionBody => ({ kind: 'destroyData', node })),
  archive_fails: object(
    {
      node: req(nodeRef, 'The node whose archive_command fails.'),
      until: req(time(), 'When it succeeds again.'),
      exit_code: withDefault(integer({ min: 1, max: 125 }), 'The exit code it fails with (126 and above stop the archiver: not modelled).', 1),
    },
    { build: (v): ActionBody => ({ kind: 'archiveFails', node: v.node, until: v.until, exitCode: v.exit_code }) },
  ),
  workload: workloadChange,
  assess: map(allOrCluster(), (cluster): ActionBody => ({ kind: 'assess', cluster })),
  create_slot: createSlot,
  drop_slot: slotAction('dropSlot'),
  stop_consumer: slotAction('stopConsumer'),
  start_consumer: slotAction('startConsumer'),
  open_transaction: openTransaction,
  close_transaction: map(transactionRef, (transaction, _n, ctx: C): ActionBody => ({ kind: 'closeTransaction', cluster: ctx.env.transactions.get(transaction)!, transaction })),
  ...VACUUM.actions,
  ...LOGICAL.actions,
  ...BLOCK.actions,
  ...MANAGERS.actions,
};

const ACTION_DESCRIPTIONS: { readonly [K in keyof typeof ACTION_BODIES]: string } = {
  promote: 'Promote a standby (pg_ctl promote): it ends recovery on a new timeline.',
  repoint: 'Point a standby at another upstream (primary_conninfo change + restart).',
  configure: 'Change settings of a node.',
  route_writes: 'Send the cluster\'s client writes to this node from now on: a node, or {node, workload} for one client pool.',
  block_clients: 'Refuse new client writes on a node (e.g. pg_hba reject) before a switchover.',
  unblock_clients: 'Accept client writes on a node again.',
  cancel_waiting_commits:
    'pg_cancel_backend on every backend of a node waiting for synchronous standbys: each commit, already flushed locally, becomes visible and its client is answered COMMIT with a WARNING.',
  terminate_waiting_commits:
    'pg_terminate_backend on every backend of a node waiting for synchronous standbys: each commit, already flushed locally, becomes visible and its connection is closed.',
  partition: 'Cut a node off the network, or the link between two sites.',
  heal: 'Undo a partition (same target syntax).',
  crash: 'Kill a server without a clean shutdown (crash recovery on restart).',
  restart:
    'Restart a server (pg_ctl restart): a node, or {node, mode} as for stop. pg_ctl waits up to 60 s (PGCTLTIMEOUT) for the shutdown to end, then starts the server; if the shutdown takes longer it gives up and the server is not started again.',
  stop: 'Stop a server (pg_ctl stop): a node, or {node, mode: smart | fast | immediate} (default: smart up to 9.4, fast from 9.5). Fast refuses connections at once; its walsenders then send their lagging standbys the WAL they lack, and the postmaster exits after them. Smart first waits for the client sessions to end: they go on writing meanwhile. Immediate is a kill: no shutdown checkpoint, nothing more sent. pg_ctl gives up after 60 s (PGCTLTIMEOUT) if the server has not stopped.',
  start: 'Start a stopped or crashed server (pg_ctl start). It fails while the postmaster of a clean stop still waits for its walsenders.',
  basebackup: 'pg_basebackup into a stopped node with an empty data directory from another node of its cluster: {node, from, checkpoint?, wal_method?, slot?, max_rate?, start?}. The copy takes the data directory\'s size (data_size) at the slowest of the path, the disks and max_rate; it fails if the WAL from its start point is removed meanwhile and nothing kept it.',
  reclone: 'Stop a node (immediate), empty its data directory and pg_basebackup it: the options of basebackup.',
  restore_backup:
    'Point-in-time recovery: replace a stopped node\'s data directory with a named base backup and replay the WAL archive (restore_command) up to a target: {node, backup, target?, inclusive?, action?, timeline?, start?}. At the target the server pauses, promotes (a new timeline: what came after the target is not on it) or shuts down.',
  pg_rewind: 'pg_rewind a stopped node against the new primary: {node, from, start?, restore_target_wal?}. Needs wal_log_hints or data checksums (9.5+); it undoes the WAL past the fork and leaves the node a standby of `from`.',
  destroy_data: 'Empty a node\'s data directory (a running server crashes first): it cannot start until rebuilt.',
  archive_fails: 'The node\'s archive_command fails from `at` until `until` (say, the archive host is full): {node, until, exit_code?}. Segments wait in pg_wal until archived.',
  workload: 'Change a cluster\'s workload: {cluster?, workload?, rate?, wal_per_tx?}.',
  assess: 'Take a data-loss assessment now: a cluster name, or true for all clusters.',
  create_slot: 'Create a replication slot: {name, node, type, database?, consumer?, hot_standby_feedback?}.',
  drop_slot: 'Drop a replication slot (pg_drop_replication_slot): its horizons and WAL are released.',
  stop_consumer: 'The slot\'s consumer stops (e.g. a CDC tool shut down): restart_lsn and xmin stay where they are.',
  start_consumer: 'The slot\'s consumer streams again and catches up.',
  open_transaction: 'Begin a long-running (or prepared, or idle-in-transaction) transaction: {node, name, prepared?, database?, idle?, isolation?, wrote?}; it holds the xmin horizon with its snapshot or its XID (on a standby, through hot_standby_feedback); idle in READ COMMITTED without having written, nothing.',
  close_transaction: 'End a transaction opened by open_transaction (COMMIT, or COMMIT PREPARED): its xmin and its locks are released.',
  ...VACUUM.actionDescriptions,
  ...LOGICAL.actionDescriptions,
  ...BLOCK.actionDescriptions,
  ...MANAGERS.actionDescriptions,
};

const actionSchema = defined(
  'action',
  tagged(
    {
      at: req(time(), 'When it happens.'),
      name: opt(entryName(), 'A name for --set paths (plan.NAME.at, faults.NAME.at) and the report.'),
    },
    ACTION_BODIES,
    { what: 'action', descriptions: ACTION_DESCRIPTIONS },
  ),
);

function actionDecoder(source: 'plan' | 'faults'): Decoder<Action> {
  return map(actionSchema, (v, _node, ctx: C): Action => {
    const end = ctx.env.end;
    if (end !== undefined && v.common.at > end) {
      ctx.fail(v.info.at('at'), `at in ${ctx.subject} is after the end of the scenario (${formatTime(v.common.at, timeRef(ctx.env))} > ${formatTime(end, timeRef(ctx.env))})`, {
        hint: 'move it before the end or extend end/duration',
      });
    }
    return extend(v.value as ActionBody, { at: v.common.at, name: v.common.name ?? null, source });
  });
}

function checkUniqueNames(items: readonly { name: string | null }[], seq: Node | undefined, ctx: C, what: string): void {
  const seen = new Set<string>();
  items.forEach((it, i) => {
    if (it.name === null) return;
    if (seen.has(it.name)) {
      const item = isSeq(seq) ? (seq.items[i] as Node) : undefined;
      const at = isMap(item) ? ((item.get('name', true) as Node | undefined) ?? item) : (item ?? seq);
      ctx.fail(at, `${what} name ${show(it.name)} is used twice`, { hint: 'names must be unique (they address entries in --set paths)' });
    }
    seen.add(it.name);
  });
}

// ---------------------------------------------------------------------------------------------------------
// Expectations

export function bounds(d: Decoder<number>, unit: string): Decoder<Bounds> {
  return object(
    {
      at_least: opt(d, `Lower bound (${unit}).`),
      at_most: opt(d, `Upper bound (${unit}).`),
    },
    {
      build: (v, info, ctx): Bounds => {
        if (v.at_least === undefined && v.at_most === undefined) ctx.fail(info.node, `${ctx.subject} gives no bound`, { expected: 'at_least and/or at_most' });
        if (v.at_least !== undefined && v.at_most !== undefined && v.at_least > v.at_most) ctx.fail(info.at('at_most'), `${ctx.subject}: at_most is below at_least`);
        return { atLeast: v.at_least ?? null, atMost: v.at_most ?? null };
      },
    },
  );
}

const dataLoss = object(
  {
    cluster: opt(clusterRef, 'The cluster; default: any.'),
    timeline: opt(integer({ min: 1, max: 0xffffffff }), 'The timeline whose commits are lost.'),
    from: opt(time(), 'Start of the window the lost commits lie in (with to).'),
    to: opt(time(), 'End of the window (with from).'),
    tolerance: opt(duration(), 'Slack around from/to. Default 1m.'),
    commits: opt(bounds(integer({ min: 0 }), 'commits'), 'How many acknowledged commits are lost.'),
    recoverable_by_pitr: opt(boolean(), 'Whether the lost commits could be recovered from the WAL archive.'),
  },
  {
    build: (v, info, ctx: C): ExpectationBody => {
      if ((v.from === undefined) !== (v.to === undefined)) {
        const missing = v.from === undefined ? 'from' : 'to';
        ctx.fail(info.keyAt(missing === 'from' ? 'to' : 'from'), `${ctx.subject}: from and to come together; ${missing} is missing`);
      }
      if (v.from !== undefined && v.to !== undefined && v.to < v.from) ctx.fail(info.at('to'), `${ctx.subject}: to is before from`);
      if (v.tolerance !== undefined && v.from === undefined) ctx.fail(info.keyAt('tolerance'), `${ctx.subject}: tolerance applies to a from/to window`, { hint: 'add from and to, or remove tolerance' });
      return {
        kind: 'dataLoss',
        cluster: v.cluster ?? null,
        timeline: v.timeline ?? null,
        window: v.from !== undefined && v.to !== undefined ? { from: v.from, to: v.to, tolerance: v.tolerance ?? (60_000_000 as Micros) } : null,
        commits: v.commits ?? { atLeast: null, atMost: null },
        recoverableByPitr: v.recoverable_by_pitr ?? null,
      };
    },
  },
);

const outage = object(
  {
    cluster: opt(clusterRef, 'The cluster; default: any.'),
    seconds: opt(bounds(seconds(), 'seconds, or a duration'), 'How long writes were unavailable in total.'),
  },
  { build: (v): ExpectationBody => ({ kind: 'outage', cluster: v.cluster ?? null, seconds: v.seconds ?? { atLeast: null, atMost: null } }) },
);

const nodeState = object(
  {
    name: req(nodeRef, 'The node.'),
    timeline: opt(integer({ min: 1, max: 0xffffffff }), 'Its timeline at the end.'),
    role: opt(enumOf(['primary', 'standby'] as const), 'Its role at the end.'),
    receiver: opt(enumOf(['streaming', 'waiting', 'stopped'] as const), 'Its WAL receiver state at the end (pg_stat_wal_receiver.status).'),
  },
  {
    build: (v, info, ctx): ExpectationBody => {
      if (v.timeline === undefined && v.role === undefined && v.receiver === undefined) {
        ctx.fail(info.node, `${ctx.subject} checks nothing`, { expected: 'timeline, role and/or receiver' });
      }
      return { kind: 'nodeState', node: v.name, timeline: v.timeline ?? null, role: v.role ?? null, receiver: v.receiver ?? null };
    },
  },
);

const xidExpect = object(
  {
    cluster: opt(clusterRef, 'The cluster; default: any.'),
    max_age: opt(bounds(integer({ min: 0 }), 'transaction IDs'), 'Largest age(datfrozenxid) reached (the MaximumUsedTransactionIDs metric).'),
    end_age: opt(bounds(integer({ min: 0 }), 'transaction IDs'), 'age(datfrozenxid) at the end.'),
    stopped: opt(boolean(), 'Whether writes stopped at the wraparound limit.'),
  },
  {
    build: (v, info, ctx): ExpectationBody => {
      if (v.max_age === undefined && v.end_age === undefined && v.stopped === undefined) ctx.fail(info.node, `${ctx.subject} checks nothing`, { expected: 'max_age, end_age and/or stopped' });
      const none = { atLeast: null, atMost: null };
      return { kind: 'xid', cluster: v.cluster ?? null, maxAge: v.max_age ?? none, endAge: v.end_age ?? none, stopped: v.stopped ?? null };
    },
  },
);

const alertExpect = object(
  {
    name: req(string({ nonEmpty: true }), 'The alert rule\'s name.'),
    fired: withDefault(boolean(), 'Whether it fired.', true),
    from: opt(time(), 'It first fired no earlier than this (with to).'),
    to: opt(time(), 'It first fired no later than this (with from).'),
  },
  {
    build: (v, info, ctx): ExpectationBody => {
      if ((v.from === undefined) !== (v.to === undefined)) ctx.fail(info.node, `${ctx.subject}: from and to come together`);
      return { kind: 'alert', alert: v.name, fired: v.fired, window: v.from !== undefined && v.to !== undefined ? { from: v.from, to: v.to } : null };
    },
  },
);

const EXPECT_BODIES = {
  xid: xidExpect,
  alert: alertExpect,
  no_data_loss: map(allOrCluster(), (cluster): ExpectationBody => ({ kind: 'noDataLoss', cluster })),
  data_loss: dataLoss,
  no_outage: map(allOrCluster(), (cluster): ExpectationBody => ({ kind: 'noOutage', cluster })),
  outage,
  no_stall: map(allOrCluster(), (cluster): ExpectationBody => ({ kind: 'noStall', cluster })),
  node: nodeState,
  stalls: BLOCK.stallsExpectation,
  fenced: BLOCK.fencedExpectation,
  ...VACUUM.expectations,
  ...MANAGERS.expectations,
};

const EXPECT_DESCRIPTIONS: { readonly [K in keyof typeof EXPECT_BODIES]: string } = {
  xid: 'Transaction ID age: {cluster?, max_age?, end_age?, stopped?}.',
  alert: 'An alert rule fired (or not): {name, fired?, from?, to?}.',
  no_data_loss: 'No acknowledged commit is lost: true (all clusters) or a cluster name.',
  data_loss: 'Acknowledged commits are lost, as described.',
  no_outage: 'Writes are never unavailable: true or a cluster name.',
  outage: 'Writes are unavailable for a while, as described.',
  no_stall: 'No write takes longer than stall_threshold: true or a cluster name.',
  node: 'The state of a node at the end.',
  stalls: STALLS_DESCRIPTION,
  fenced: FENCED_DESCRIPTION,
  ...VACUUM.expectationDescriptions,
  ...MANAGERS.expectationDescriptions,
};

function boundsText(b: Bounds, unit: string): string {
  // Numbers as the report writes them (report/format.ts): an expectation's default name is report text too.
  const n = (v: number) => (unit === 's' ? formatDuration(v) : `${formatCount(v)} ${unit}`);
  const parts: string[] = [];
  if (b.atLeast !== null) parts.push(`at least ${n(b.atLeast)}`);
  if (b.atMost !== null) parts.push(`at most ${n(b.atMost)}`);
  return parts.join(' and ');
}

/** A short readable description of an expectation, used as its default name. */
export function describeExpectation(e: ExpectationBody | VerdictExpectation, ref: TimeRef): string {
  const inCluster = (c: string | null) => (c === null ? '' : ` in ${c}`);
  const clock = (t: number) => {
    const iso = formatTime(t, ref);
    const start = formatTime(0, ref);
    return iso.slice(0, 10) === start.slice(0, 10) ? iso.slice(11, 19).replace(/:00$/, '') : iso;
  };
  switch (e.kind) {
    case 'noDataLoss':
      return `no data loss${inCluster(e.cluster)}`;
    case 'noOutage':
      return `no outage${inCluster(e.cluster)}`;
    case 'noStall':
      return `no stall${inCluster(e.cluster)}`;
    case 'stalls':
      return describeStallsExpectation(e, boundsText);
    case 'fenced':
      return describeFencedExpectation(e, boundsText);
    case 'lockWait':
    case 'lockQueue':
      return describeLockExpectation(e, boundsText);
    case 'verdict':
    case 'noVerdict':
    case 'recovered':
    case 'requests':
      return describeVerdictExpectation(e, boundsText);
    case 'dataLoss': {
      let s = `data loss${inCluster(e.cluster)}`;
      if (e.timeline !== null) s += ` on timeline ${e.timeline}`;
      if (e.window) s += ` between ${clock(e.window.from)} and ${clock(e.window.to)}`;
      const c = boundsText(e.commits, 'commits');
      if (c) s += `, ${c}`;
      if (e.recoverableByPitr !== null) s += e.recoverableByPitr ? ', recoverable by PITR' : ', not recoverable by PITR';
      return s;
    }
    case 'outage': {
      const b = boundsText(e.seconds, 's');
      return `outage${inCluster(e.cluster)}${b ? ` of ${b}` : ''}`;
    }
    case 'xid': {
      const parts: string[] = [];
      const m = boundsText(e.maxAge, 'XIDs');
      if (m) parts.push(`largest age ${m}`);
      const end = boundsText(e.endAge, 'XIDs');
      if (end) parts.push(`age at the end ${end}`);
      if (e.stopped !== null) parts.push(e.stopped ? 'writes stop at the wraparound limit' : 'writes never stop for wraparound');
      return `transaction ID age${inCluster(e.cluster)}: ${parts.join(', ')}`;
    }
    case 'alert':
      return `alert ${e.alert} ${e.fired ? 'fires' : 'does not fire'}${e.window ? ` between ${clock(e.window.from)} and ${clock(e.window.to)}` : ''}`;
    case 'nodeState': {
      const parts: string[] = [];
      if (e.role !== null) parts.push(`is ${e.role}`);
      if (e.timeline !== null) parts.push(`on timeline ${e.timeline}`);
      if (e.receiver !== null) parts.push(`receiver ${e.receiver}`);
      return `${e.node} ${parts.join(', ')}`;
    }
  }
}

const expectation = map(
  defined(
    'expectation',
    tagged({ name: opt(string({ nonEmpty: true, maxLength: 200 }), 'A name for the report; default: generated from the expectation.') }, EXPECT_BODIES, {
      what: 'expectation',
      descriptions: EXPECT_DESCRIPTIONS,
    }),
  ),
  (v, _node, ctx: C): Expectation & { explicitName: string | null } => {
    const body = v.value as ExpectationBody | VerdictExpectation;
    // Object.assign, not a spread: V8 gives `{ ...x, y }` a new hidden class at every call (docs/performance.md).
    return Object.assign({}, body, { name: v.common.name ?? describeExpectation(body, timeRef(ctx.env)), explicitName: v.common.name ?? null });
  },
);

// ---------------------------------------------------------------------------------------------------------
// Variants

const PATH = /^[^.\s]+(\.[^.\s]+)*$/;

/** A variant's changes to the entries of `plan` or `faults`, by entry name. */
export interface ListOps {
  /** Entries to drop, with the name's node (for positions). */
  readonly remove: readonly { readonly name: string; readonly node: Node }[];
  /** Entries to move: the new `at` value node. */
  readonly move: readonly { readonly name: string; readonly at: Node; readonly keyNode: Node }[];
  /** Entries to append, as written (decoded with the rest of the list). */
  readonly add: readonly Node[];
}

export interface VariantDef {
  readonly name: string;
  readonly description: string;
  /** PATH -> value node, in file order, with the PATH key node (for positions). */
  readonly set: readonly { readonly path: string; readonly value: Node; readonly keyNode: Node }[];
  readonly plan: ListOps | null;
  readonly faults: ListOps | null;
  /** The variant's mapping: errors found inside it name the variant. */
  readonly node: Node;
}

const setMap = map(
  namedMap(anyNode('A value, decoded as if written at PATH.'), {
    expected: 'a mapping of PATH: VALUE',
    label: (p) => `set ${show(p)}`,
    names: string({ pattern: PATH, patternText: 'a dot-separated path like clusters.NAME.nodes.NODE.settings.KEY', maxLength: 500 }),
  }),
  (v) => v.map((e) => ({ path: e.name, value: e.value, keyNode: e.keyNode })),
);

function listOps(list: 'plan' | 'faults'): Decoder<ListOps> {
  const names = list === 'plan' ? 'plan steps' : 'faults';
  return object(
    {
      remove: withDefault(
        map(list_(entryName(), (i) => `remove.${i}`), (v, node) => v.map((name, i) => ({ name, node: ((node as YAMLSeq<Node>).items[i] as Node) ?? node }))),
        `Names of the ${names} to drop.`,
        [],
      ),
      move: withDefault(
        map(namedMap(anyNode('The new time of the entry (a time, as `at`).'), { label: (n) => `move ${show(n)}`, names: entryName(), expected: 'a mapping of entry names to new times' }), (v) =>
          v.map((e) => ({ name: e.name, at: e.value, keyNode: e.keyNode })),
        ),
        `${names[0]!.toUpperCase()}${names.slice(1)} to move: NAME: TIME.`,
        [],
      ),
      add: withDefault(list_(anyNode(`An entry appended to ${list}, written as in ${list}.`), (i) => `add.${i}`), `Entries appended to ${list}.`, []),
    },
    { build: (v): ListOps => ({ remove: v.remove, move: v.move, add: v.add }) },
  );
}

function list_<T>(item: Decoder<T>, label: (i: number) => string): Decoder<T[]> {
  return list(item, { label: (i) => label(i) });
}

export const variantsDecoder: Decoder<VariantDef[]> = map(
  namedMap(
    object(
      {
        description: withDefault(string({ maxLength: 2000 }), 'What the variant changes.', ''),
        plan: opt(listOps('plan'), 'Plan steps to remove, move (to a new time) or add, by name; applied before set.'),
        faults: opt(listOps('faults'), 'Faults to remove, move or add, by name; applied before set.'),
        set: opt(setMap, 'PATH: VALUE pairs applied to the document before decoding (PATH as for --set).'),
      },
      {
        build: (v, info, ctx: C) => {
          if (v.set === undefined && v.plan === undefined && v.faults === undefined) ctx.fail(info.node, `${ctx.subject} changes nothing`, { expected: 'set, plan or faults' });
          return { description: v.description, set: v.set ?? [], plan: v.plan ?? null, faults: v.faults ?? null, node: info.node };
        },
        schemaExtra: { anyOf: [{ required: ['set'] }, { required: ['plan'] }, { required: ['faults'] }] },
      },
    ),
    { label: (n) => `variant "${n}"`, names: name(), expected: 'a mapping of variant names to {description, set, plan, faults}' },
  ),
  (v) => v.map((e) => ({ name: e.name, ...e.value })),
);

// ---------------------------------------------------------------------------------------------------------
// The document

const HUNT = huntGrammar({ nodeRef, sitePair, time, bounds, end: (ctx: C) => ctx.env.end ?? (0 as Micros) });

const alertDecoder = object(
  {
    name: req(string({ nonEmpty: true, maxLength: 200 }), 'The alert\'s name.'),
    cluster: opt(clusterRef, 'The cluster; optional when there is one.'),
    metric: req(enumOf(['max_xid_age', 'slot_lag', 'pg_wal_size'] as const), 'max_xid_age (MaximumUsedTransactionIDs: max age(datfrozenxid)), slot_lag (bytes behind, worst slot), pg_wal_size (bytes).'),
    above: req(
      byKind<number>({ number: integer({ min: 0 }), string: size() }, 'a number (XIDs) or a size (bytes)'),
      'Threshold: a number of XIDs for max_xid_age, a size for slot_lag and pg_wal_size.',
    ),
    for: withDefault(duration(), 'How long the metric must stay above before the alert fires.', 0 as Micros, '0'),
  },
  {
    build: (v, info, ctx: C): AlertSpec => {
      let cluster = v.cluster;
      if (cluster === undefined) {
        const all = [...ctx.env.clusters.keys()];
        if (all.length !== 1) ctx.fail(info.node, `${ctx.subject} needs a cluster: there are ${all.length} clusters`, { expected: `cluster: one of ${listing(all)}` });
        cluster = all[0]!;
      }
      return { name: v.name, cluster, metric: v.metric, above: v.above, for: v.for };
    },
  },
);

export const scenarioDecoder: Decoder<Scenario> = object(
  {
    name: req(string({ nonEmpty: true, maxLength: 200 }), 'The scenario\'s name.'),
    description: withDefault(string({ maxLength: 20_000 }), 'What the scenario replays or tests.', ''),
    start: after(req(instant(), 'Wall-clock time of simulated time 0: ISO 8601 with a UTC offset.'), (v, _info, ctx: C) => {
      ctx.env.start = v;
    }),
    timezone: after(opt(timezone(), 'Time zone for clock times and the report: IANA name or offset. Default: start\'s offset.'), (v, _info, ctx: C) => {
      ctx.env.zone = v ?? offsetZoneName(ctx.env.start!.offsetMinutes);
    }),
    end: after(opt(time(), 'When the run ends (a time). Give end or duration.'), (v, _info, ctx: C) => {
      if (v !== undefined) ctx.env.end = v;
    }),
    duration: after(opt(duration(), 'How long the run lasts. Give end or duration.'), (v, info, ctx: C) => {
      if (v !== undefined && info.has('end')) ctx.fail(info.keyAt('duration'), 'give end or duration, not both');
      if (v === undefined && !info.has('end')) ctx.fail(info.node, 'missing key "end" (or "duration")', { expected: 'end: a time, or duration: a duration' });
      if (v !== undefined) ctx.env.end = v;
      if (ctx.env.end === 0) ctx.fail(info.at('end') ?? info.at('duration'), `${info.has('end') ? 'end' : 'duration'}: the run must end after the start`);
    }),
    seed: withDefault(integer({ min: 0 }), 'Seed of the random streams (--seed overrides).', 1),
    stall_threshold: withDefault(duration({ min: 1 }), 'Writes slower than this count as a stall.', 1_000_000 as Micros, '1s'),
    sites: after(req(sites, 'Sites (data centers, regions): a mapping name -> {} or a list of names.'), (v, _info, ctx: C) => {
      ctx.env.sites = v;
    }),
    links: withDefault(links, 'Network links between sites. Sites without a link cannot reach each other.', []),
    local_link: withDefault(localLink, 'Bandwidth and latency between nodes of one site.', { bandwidth: 1.25e9, latency: 100 as Micros }, { bandwidth: '10Gbps', latency: '100us' }),
    clusters: withDefault(clusters, 'Replication clusters by name (PostgreSQL). A scenario needs clusters, block, or both.', []),
    block: opt(BLOCK.blockDecoder, 'Disks and replicated block devices (DRBD, md write-behind, WalB) with their applications\' I/O.'),
    subscriptions: withDefault(LOGICAL.subscriptions, 'Logical replication subscriptions between clusters (an upgrade to a new major version by logical replication): name -> {publisher, subscriber, apply_rate, slot?, database?, serial_rows?}.', []),
    plan: checked(withDefault(list(actionDecoder('plan'), { label: entryLabel('plan'), defines: ['slot', 'transaction'] }), 'The planned steps (switchover, migration), each at a time.', []), (v, info, ctx: C) =>
      checkUniqueNames(v, info.at('plan'), ctx, 'plan entry'),
    ),
    faults: checked(withDefault(list(actionDecoder('faults'), { label: entryLabel('faults'), defines: ['slot', 'transaction'] }), 'Injected faults, each at a time (same actions as plan).', []), (v, info, ctx: C) =>
      checkUniqueNames(v, info.at('faults'), ctx, 'faults entry'),
    ),
    expect: checked(withDefault(list(expectation, { label: entryLabel('expect') }), 'What the run should show; each is checked and reported.', []), (v, info, ctx: C) =>
      checkUniqueNames(
        v.map((e) => ({ name: e.explicitName })),
        info.at('expect'),
        ctx,
        'expect entry',
      ),
    ),
    alerts: withDefault(list(alertDecoder, { label: entryLabel('alerts') }), 'Alert rules on metrics (max_xid_age, slot_lag, pg_wal_size).', []),
    hunt: opt(HUNT, 'Bounds for replsim hunt: which faults, how many, when, how long (docs/hunt.md).'),
    variants: withDefault(variantsDecoder, 'Named sets of changes selected with --variant NAME.', []),
  },
  {
    expected: 'a scenario mapping',
    schemaExtra: { oneOf: [{ required: ['end'] }, { required: ['duration'] }] },
    build: (v, _info, ctx: C): Scenario => {
      const env = ctx.env;
      const actions = [...v.plan, ...v.faults].map((a, i) => ({ a, i })).sort((x, y) => x.a.at - y.a.at || x.i - y.i).map((x) => x.a);
      return {
        name: v.name,
        description: v.description,
        file: env.file,
        variant: env.variant,
        startEpochMs: env.start!.epochMs,
        timezone: env.zone!,
        end: env.end!,
        seed: v.seed,
        stallThreshold: v.stall_threshold,
        sites: v.sites.map((s) => ({ name: s })),
        links: v.links,
        localLink: { bandwidth: v.local_link.bandwidth, latency: v.local_link.latency },
        clusters: v.clusters,
        actions,
        expectations: v.expect.map(({ explicitName: _e, ...e }) => e as Expectation),
        alerts: v.alerts,
        ...(v.block ? { block: v.block } : {}),
        ...(v.hunt ? { hunt: v.hunt } : {}),
        ...(v.subscriptions.length > 0 ? { subscriptions: v.subscriptions } : {}),
      };
    },
  },
);

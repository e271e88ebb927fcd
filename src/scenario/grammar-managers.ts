/**
 * The grammar of failover managers, gray failures and verdicts: `failover:` entries, the fault actions that
 * degrade rather than cut (packet loss, one-way partitions, slow nodes), and the `verdict`, `no_verdict`
 * and `recovered` expectations. Built by grammar.ts with its own reference decoders (as grammar-block.ts).
 */
import { isMap, isScalar, type Node, type YAMLMap, type YAMLSeq } from 'yaml';
import type { Micros } from '../engine/time.ts';
import type { ActionBody, Bounds } from './types.ts';
import { VERDICT_KINDS, type FailoverSpec, type Switchover, type GrayFailure, type HealthCheckSpec, type PatroniTags, type VerdictExpectation, type VerdictKind } from './types-managers.ts';
import { didYouMean, listing, show } from './errors.ts';
import { anyNode, boolean, byKind, custom, enumOf, integer, list, map, object, opt, req, string, typeError, withDefault, type Ctx, type Decoder, type JsonSchema, type ObjectInfo } from './decode.ts';
import { duration, size } from './settings.ts';
import type { Env } from './grammar.ts';

type C = Ctx<Env>;

/** Decoders of grammar.ts the managers grammar reuses, passed in (grammar.ts imports this module). */
export interface ManagersHelpers {
  readonly clusterRef: Decoder<string>;
  readonly nodeRef: Decoder<string>;
  readonly siteRef: Decoder<string>;
  /** A node of the cluster being decoded. */
  readonly clusterNodeRef: Decoder<string>;
  readonly sitePair: () => Decoder<readonly [string, string]>;
  readonly seconds: () => Decoder<number>;
  readonly bounds: (d: Decoder<number>, unit: string) => Decoder<Bounds>;
  readonly itemLabel: (i: number, node: Node, ctx: C) => string;
}

const verdictKind = (): Decoder<VerdictKind> => enumOf(VERDICT_KINDS);

/** A probability or a share: "2%" or a number from 0 to 1. */
export function probability(): Decoder<number> {
  const expected = 'a percentage like "2%" or a number from 0 to 1';
  return custom<number>(
    expected,
    () => ({ anyOf: [{ type: 'string', pattern: String.raw`^\s*\d+(\.\d+)?\s*%\s*$` }, { type: 'number', minimum: 0, maximum: 1 }] }),
    (node, ctx) => {
      const n = ctx.resolve(node);
      if (!isScalar(n)) return typeError(n, ctx, expected);
      const m = typeof n.value === 'string' ? /^\s*(\d+(?:\.\d+)?)\s*%\s*$/.exec(n.value) : null;
      const f = typeof n.value === 'number' ? n.value : m ? Number(m[1]) / 100 : NaN;
      if (!(f >= 0 && f <= 1)) return ctx.fail(n, `${ctx.subject} must be ${expected}`, { expected });
      return f;
    },
  );
}

/** A service-time multiplier: a number >= 1 (1 = healthy), or "50x". */
export function factor(): Decoder<number> {
  const expected = 'a slowdown factor >= 1 like 8 or "50x" (1 = healthy)';
  return custom<number>(
    expected,
    () => ({ anyOf: [{ type: 'number', minimum: 1 }, { type: 'string', pattern: String.raw`^\s*\d+(\.\d+)?\s*x\s*$` }] }),
    (node, ctx) => {
      const n = ctx.resolve(node);
      if (!isScalar(n)) return typeError(n, ctx, expected);
      const m = typeof n.value === 'string' ? /^\s*(\d+(?:\.\d+)?)\s*x\s*$/.exec(n.value) : null;
      const f = typeof n.value === 'number' ? n.value : m ? Number(m[1]) : NaN;
      if (!(f >= 1 && Number.isFinite(f))) return ctx.fail(n, `${ctx.subject} must be ${expected}`, { expected });
      return f;
    },
  );
}

/**
 * A mapping whose `key` names which of several object decoders reads it (`policy: patroni` → the Patroni
 * keys): each alternative's own keys, defaults and did-you-mean, and a schema that is a oneOf on the key.
 */
export function discriminated<T>(key: string, alts: Readonly<Record<string, Decoder<T>>>, what: string): Decoder<T> {
  const names = Object.keys(alts);
  const expected = `a ${what} {${key}: ${names.join(' | ')}, ...}`;
  return {
    expected,
    schema: (b): JsonSchema => ({ oneOf: names.map((n) => alts[n]!.schema(b)) }),
    decode(node, ctx) {
      const n = ctx.resolve(node);
      if (!isMap(n)) return typeError(n, ctx, expected);
      const pair = (n as YAMLMap<Node, Node>).items.find((p) => isScalar(p.key) && p.key.value === key);
      if (!pair) return ctx.fail(n, `missing key ${show(key)}${ctx.inContainer}`, { expected: `${key}: one of ${listing(names)}` });
      const v = pair.value ? ctx.resolve(pair.value) : null;
      const text = v && isScalar(v) && typeof v.value === 'string' ? v.value : null;
      // Own keys only: `__proto__` or `toString` as a policy name is an unknown name, not Object's.
      if (text === null || !Object.hasOwn(alts, text)) {
        const hint = text === null ? null : didYouMean(text, names);
        return ctx.fail(v ?? pair.key, `${key}${ctx.inContainer}: ${text === null ? 'not a name' : show(text)} is not one of: ${names.join(', ')}`, hint ? { hint } : { expected: `one of: ${names.join(', ')}` });
      }
      return alts[text]!.decode(n, ctx);
    },
  };
}

/** The idealised check of the watchers when none is given: reachability, known at once (health.ts). */
export const IDEAL_CHECK: HealthCheckSpec = { probe: 'connect', timeout: 0 as Micros, latencyThreshold: null, failures: 1 };

export function managersGrammar(h: ManagersHelpers) {
  const { clusterRef, nodeRef, siteRef, clusterNodeRef, sitePair, seconds, itemLabel } = h;

  const healthCheck = (defaults: HealthCheckSpec, what: string): Decoder<HealthCheckSpec> =>
    object(
      {
        probe: withDefault(enumOf(['connect', 'read', 'write'] as const), 'connect: a libpq connection; read: and a query; write: and a small committed write (it waits for a WAL fsync, so it sees a slow disk).', defaults.probe),
        timeout: withDefault(duration({ min: 1 }), 'A check not answered within this fails (connect_timeout / statement_timeout).', defaults.timeout, `${defaults.timeout / 1e6}s`),
        latency_threshold: opt(duration({ min: 1 }), 'A check answered later than this fails too (a latency check). Default: none.'),
        failures: withDefault(integer({ min: 1, max: 1000 }), 'Checks that must fail in a row before the node counts as unhealthy.', defaults.failures),
      },
      {
        expected: `a health check of ${what} {probe, timeout, latency_threshold, failures}`,
        build: (v, info, ctx): HealthCheckSpec => {
          if (v.latency_threshold !== undefined && v.latency_threshold >= v.timeout) ctx.fail(info.at('latency_threshold'), `${ctx.subject}: latency_threshold must be below timeout (${v.timeout / 1e6} s), or the check could never be late without timing out`);
          return { probe: v.probe, timeout: v.timeout, latencyThreshold: v.latency_threshold ?? null, failures: v.failures };
        },
      },
    );

  const candidatesOf = (v: string[] | undefined, info: ObjectInfo, ctx: C, required: boolean): string[] => {
    const cluster = ctx.env.cluster!;
    if (v === undefined && required) ctx.fail(info.node, `${ctx.subject} with policy naive needs candidates`, { expected: 'candidates: [node, ...]' });
    const candidates = v ?? cluster.specs.filter((n) => n.role === 'standby').map((n) => n.name);
    const seen = new Set<string>();
    candidates.forEach((c, i) => {
      if (seen.has(c)) ctx.fail((info.at('candidates') as YAMLSeq<Node> | undefined)?.items[i] ?? info.node, `candidates${ctx.inContainer} lists ${show(c)} twice`);
      seen.add(c);
    });
    return candidates;
  };

  const watcherFields = {
    site: req(siteRef, 'The site the manager runs in: it sees only the nodes it can reach.'),
    check_interval: withDefault(duration({ min: 1 }), 'How often the leader is checked.', 10_000_000 as Micros, '10s'),
    timeout: withDefault(duration({ min: 1 }), 'How long the leader must have failed its checks before failover.', 30_000_000 as Micros, '30s'),
    candidates: opt(list(clusterNodeRef, { label: itemLabel, minItems: 1 }), 'Nodes that may be promoted, in order of preference. Required for naive; default for lag-only: all standbys.'),
    health_check: opt(healthCheck({ probe: 'connect', timeout: 2_000_000 as Micros, latencyThreshold: null, failures: 1 }, 'the leader'), 'How the leader is checked. Default: reachability known at once (no timeout, no latency threshold, one failure).'),
  };

  const naive = object(
    { policy: req(enumOf(['naive'] as const), 'naive: promote the first reachable candidate, whatever its state.'), ...watcherFields },
    {
      expected: 'a naive failover manager',
      build: (v, info, ctx: C): FailoverSpec => ({
        policy: 'naive',
        site: v.site,
        checkInterval: v.check_interval,
        timeout: v.timeout,
        candidates: candidatesOf(v.candidates, info, ctx, true),
        health: v.health_check ?? IDEAL_CHECK,
      }),
    },
  );

  const lagOnly = object(
    {
      policy: req(enumOf(['lag-only'] as const), "lag-only: Patroni's lag and timeline rules alone, without a DCS (compare with naive; patroni is the real one)."),
      ...watcherFields,
      maximum_lag_on_failover: withDefault(size(), 'Patroni maximum_lag_on_failover: a candidate further behind the leader\'s last known position is not promoted.', 1_048_576, '1MiB'),
      check_timeline: withDefault(boolean(), "Patroni check_timeline: reject candidates whose timeline is behind the cluster's.", false),
    },
    {
      expected: 'a lag-only failover manager',
      build: (v, info, ctx: C): FailoverSpec => ({
        policy: 'lag-only',
        site: v.site,
        checkInterval: v.check_interval,
        timeout: v.timeout,
        candidates: candidatesOf(v.candidates, info, ctx, false),
        health: v.health_check ?? IDEAL_CHECK,
        maximumLagOnFailover: v.maximum_lag_on_failover,
        checkTimeline: v.check_timeline,
      }),
    },
  );

  /** Whole seconds (Patroni's timeouts are integers), as microseconds. */
  const wholeSeconds = (what: string) =>
    map(duration({ min: 1 }), (us, node, ctx) => {
      if (us % 1_000_000 !== 0) ctx.fail(node, `${ctx.subject}: ${what} is a whole number of seconds in Patroni`, { hint: `write ${Math.round(us / 1e6)}s` });
      return us;
    });

  /** Register endpoint names (DCS members, monitors, managers) so that faults can address them. */
  const registerEndpoints = (names: readonly { name: string; site: string }[], node: Node, ctx: C) => {
    const env = ctx.env;
    const known = (env.managerEndpoints ??= new Map());
    for (const m of names) {
      if (known.has(m.name) || env.nodes.has(m.name) || env.sites.includes(m.name)) ctx.fail(node, `${ctx.subject}: the name ${show(m.name)} is already used (by a node, a site or another manager's member)`, { hint: 'give every DCS member a name of its own' });
      known.set(m.name, m.site);
    }
  };

  const dcsMembers = custom<{ name: string; site: string }[]>(
    'a mapping of member names to their sites',
    (b) => ({ type: 'object', additionalProperties: siteRef.schema(b), minProperties: 1 }),
    (node, ctx: C) => {
      const n = ctx.resolve(node);
      if (!isMap(n)) return typeError(n, ctx, 'a mapping of member names to their sites');
      const out: { name: string; site: string }[] = [];
      for (const pair of (n as YAMLMap<Node, Node>).items) {
        const k = isScalar(pair.key) ? String(pair.key.value) : '';
        if (!/^[A-Za-z0-9_][A-Za-z0-9_-]{0,62}$/.test(k)) ctx.fail(pair.key ?? n, `${ctx.subject}: ${show(k)} is not a member name`, { expected: 'a name of letters, digits, "_" and "-"' });
        out.push({ name: k, site: siteRef.decode(pair.value as Node, ctx.field(k)) });
      }
      if (out.length === 0) ctx.fail(n, `${ctx.subject} has no member`, { expected: 'at least one member (three or five for a quorum that survives a failure)' });
      return out;
    },
  );

  const dcs = object(
    {
      type: withDefault(enumOf(['etcd3', 'consul', 'zookeeper'] as const), 'etcd3 (Raft; stale reads from a member cut off), consul (reads from the leader; session TTL ttl/2, kept up to ttl) or zookeeper (no reads without quorum; the session lives while the client pings).', 'etcd3'),
      members: req(dcsMembers, 'Members (etcd members, Consul or ZooKeeper servers) by name, each at a site: {etcd1: east, etcd2: east, etcd3: west}.'),
      election_timeout: withDefault(duration({ min: 1 }), 'Raft election timeout (etcd --election-timeout).', 1_000_000 as Micros, '1s'),
    },
    { expected: 'a DCS {type, members, election_timeout}' },
  );

  /** A mapping of this cluster's node names to values of `d`. */
  const perNode = <T>(d: Decoder<T>, expected: string) =>
    custom<Record<string, T>>(
      expected,
      (b) => ({ type: 'object', additionalProperties: d.schema(b) }),
      (node, ctx: C) => {
        const n = ctx.resolve(node);
        if (!isMap(n)) return typeError(n, ctx, expected);
        const out: Record<string, T> = {};
        for (const pair of (n as YAMLMap<Node, Node>).items) {
          const name = clusterNodeRef.decode(pair.key as Node, ctx);
          out[name] = d.decode(pair.value as Node, ctx.field(name));
        }
        return out;
      },
    );
  const tagObject = object(
    {
      nofailover: withDefault(boolean(), 'Never promoted (nofailover wins over failover_priority).', false),
      failover_priority: withDefault(integer({ min: 0, max: 1_000_000 }), 'Among equally advanced candidates the higher wins; 0 = never promoted.', 1),
      nosync: withDefault(boolean(), 'Never chosen as a synchronous standby.', false),
    },
    { build: (v): PatroniTags => ({ nofailover: v.nofailover, failoverPriority: v.failover_priority, nosync: v.nosync }) },
  );
  const tagsDecoder = perNode(tagObject, 'a mapping of node names to Patroni tags {nofailover, failover_priority, nosync}');

  const patroni = object(
    {
      policy: req(enumOf(['patroni'] as const), 'patroni: an agent per node and a DCS holding the leader key (docs/model-managers.md).'),
      dcs: opt(dcs, 'The DCS. Default: a three-member etcd at `site`.'),
      site: opt(siteRef, 'Shorthand for dcs: three etcd members at this site (named CLUSTER-etcd1..3).'),
      loop_wait: withDefault(wholeSeconds('loop_wait'), 'Seconds between HA loops (Patroni loop_wait).', 10_000_000 as Micros, '10s'),
      ttl: withDefault(wholeSeconds('ttl'), 'Leader key TTL (Patroni ttl).', 30_000_000 as Micros, '30s'),
      retry_timeout: withDefault(wholeSeconds('retry_timeout'), 'Deadline of a DCS operation with its retries (Patroni retry_timeout).', 10_000_000 as Micros, '10s'),
      maximum_lag_on_failover: withDefault(size(), 'A replica further behind the leader\'s last_lsn does not race for the key.', 1_048_576, '1MiB'),
      check_timeline: withDefault(boolean(), 'A replica on an older timeline than the cluster\'s does not race.', false),
      synchronous_mode: withDefault(
        enumOf(['true', 'false', 'quorum'] as const, { aliases: { true: 'true', false: 'false' } }),
        'Patroni manages synchronous_standby_names and only synchronous standbys may be promoted; quorum (Patroni 4.0+, PostgreSQL 10+): ANY k (...) and a leader race that needs the votes of a quorum of the /sync voters.',
        'false' as const,
        false,
      ),
      synchronous_mode_strict: withDefault(boolean(), 'With no synchronous standby, commits wait rather than go on unreplicated.', false),
      synchronous_node_count: withDefault(integer({ min: 1, max: 100 }), 'Synchronous standbys Patroni keeps.', 1),
      failsafe_mode: withDefault(boolean(), 'Without the DCS a primary stays if every member accepts its POST /failsafe.', false),
      use_pg_rewind: withDefault(boolean(), 'A former primary (or replica) whose WAL diverged from the leader\'s runs pg_rewind against it before it follows (needs wal_log_hints = on or data checksums).', false),
      remove_data_directory_on_rewind_failure: withDefault(boolean(), 'When pg_rewind fails, the data directory is removed and the node re-cloned from the leader (pg_basebackup).', false),
      remove_data_directory_on_diverged_timelines: withDefault(boolean(), 'A diverged node that cannot be rewound (use_pg_rewind off, no wal_log_hints) is re-cloned; also applies when pg_rewind fails.', false),
      use_slots: withDefault(boolean(), 'The leader keeps a physical replication slot for every other member (named after it), so the WAL a member that is down needs stays on the leader.', true),
      member_slots_ttl: withDefault(duration(), "How long the leader keeps the slot of a member that left (its member key gone; PostgreSQL 11+; 0: dropped at once).", 1_800_000_000 as Micros, '30min'),
      tags: withDefault(tagsDecoder, 'Patroni tags per node: {NODE: {nofailover, failover_priority, nosync}}.', {}),
      pause: withDefault(boolean(), 'Maintenance mode for the whole run (patronictl pause: pause: true in the dynamic configuration): no replica races for the leader key, so a lost primary stays lost; a PostgreSQL found down is not started; nobody is demoted.', false),
      check_interval: opt(duration(), 'Not a Patroni option: Patroni calls it loop_wait.'),
      standby_cluster: opt(anyNode('standby_cluster'), 'Not modelled: a Patroni standby cluster (its standby leader replicating from a remote primary) is refused.'),
      timeout: opt(duration(), 'Not a Patroni option: Patroni calls it ttl.'),
    },
    {
      expected: 'a Patroni cluster manager',
      build: (v, info, ctx: C): FailoverSpec => {
        // A standby cluster (global_config.py is_standby_cluster; ha.py bootstrap_standby_leader, enforce_follow_remote_member):
        // its leader is a standby leader following host/port (or restore_command), synchronous_mode and failover to the
        // remote side do not apply; none of it is modelled, so it is refused rather than run as a normal cluster.
        if (info.has('standby_cluster')) {
          ctx.fail(info.keyAt('standby_cluster'), `standby_cluster${ctx.inContainer}: a Patroni standby cluster (a standby leader replicating from a remote primary) is not modelled`, {
            hint: 'for a cross-DC migration, write the target nodes as members of the source cluster (standbys of its primary) and the cut-over as a switchover step; unlike a standby cluster\'s, they may then be promoted by a failover before it',
          });
        }
        if (info.has('check_interval')) ctx.fail(info.keyAt('check_interval'), `check_interval${ctx.inContainer}: Patroni calls it loop_wait`, { hint: 'loop_wait: 10s' });
        if (info.has('timeout')) ctx.fail(info.keyAt('timeout'), `timeout${ctx.inContainer}: Patroni calls it ttl (the leader key's lifetime)`, { hint: 'ttl: 30s' });
        if (v.dcs === undefined && v.site === undefined) ctx.fail(info.node, `${ctx.subject}: Patroni needs a DCS`, { expected: 'dcs: {members: {NAME: SITE, ...}}, or site: SITE for three etcd members there' });
        if (v.dcs !== undefined && v.site !== undefined) ctx.fail(info.keyAt('site'), `${ctx.subject}: give dcs or site, not both`);
        const cluster = ctx.env.cluster!.name;
        // ha.py is_quorum_commit_mode: quorum needs supports_multiple_sync (9.6+); sync.py writes ANY only with
        // supports_quorum_commit (10+): on 9.6 "k (...)" is priority, which the quorum rules do not protect.
        const old = ctx.env.cluster!.specs.find((n) => n.version < 10);
        if (v.synchronous_mode === 'quorum' && old) ctx.fail(info.at('synchronous_mode') ?? info.node, `${ctx.subject}: synchronous_mode quorum is modelled from PostgreSQL 10 (ANY in synchronous_standby_names); node ${old.name} is ${old.version} (Patroni writes "k (...)", priority, on 9.6 and plain synchronous mode before)`, { hint: 'synchronous_mode: true' });
        const spec = v.dcs ?? { type: 'etcd3' as const, members: [1, 2, 3].map((i) => ({ name: `${cluster}-etcd${i}`, site: v.site! })), election_timeout: 1_000_000 as Micros };
        registerEndpoints(spec.members, info.at('dcs') ?? info.node, ctx);
        return {
          policy: 'patroni',
          dcs: { kind: spec.type, members: spec.members, electionTimeout: spec.election_timeout },
          loopWait: v.loop_wait,
          ttl: v.ttl,
          retryTimeout: v.retry_timeout,
          maximumLagOnFailover: v.maximum_lag_on_failover,
          checkTimeline: v.check_timeline,
          synchronousMode: v.synchronous_mode !== 'false',
          quorumCommit: v.synchronous_mode === 'quorum',
          synchronousModeStrict: v.synchronous_mode_strict,
          synchronousNodeCount: v.synchronous_node_count,
          failsafeMode: v.failsafe_mode,
          usePgRewind: v.use_pg_rewind,
          removeDataDirectoryOnRewindFailure: v.remove_data_directory_on_rewind_failure,
          removeDataDirectoryOnDivergedTimelines: v.remove_data_directory_on_diverged_timelines,
          useSlots: v.use_slots,
          memberSlotsTtl: v.member_slots_ttl,
          tags: v.tags,
          pause: v.pause,
        };
      },
    },
  );

  const pgafNode = object(
    {
      candidate_priority: withDefault(integer({ min: 0, max: 100 }), 'candidate_priority: the highest is promoted; 0 = never.', 50),
      replication_quorum: withDefault(boolean(), 'replication_quorum: listed in synchronous_standby_names and waited for by the election.', true),
    },
    { build: (v) => ({ candidatePriority: v.candidate_priority, replicationQuorum: v.replication_quorum }) },
  );
  const pgafNodes = perNode(pgafNode, 'a mapping of node names to {candidate_priority, replication_quorum}');
  const ms = (v: number, text: string) => withDefault(duration({ min: 1 }), text, v as Micros, `${v / 1e6}s`);
  const pgaf = object(
    {
      policy: req(enumOf(['pg_auto_failover'] as const), 'pg_auto_failover: a monitor and a keeper per node (docs/model-managers.md).'),
      monitor: req(
        object({ name: opt(string(), 'Its name (default CLUSTER-monitor), for faults (stop_manager, one_way_partition).'), site: req(siteRef, 'Where the monitor runs.') }, { expected: 'the monitor {name?, site}' }),
        'The monitor: {site, name?}.',
      ),
      number_sync_standbys: withDefault(integer({ min: 0, max: 100 }), 'Formation number_sync_standbys: 0 lets writes go on unreplicated without a healthy standby; n >= 1 makes them wait.', 0),
      nodes: withDefault(pgafNodes, 'Per node: {candidate_priority, replication_quorum}.', {}),
      health_check_period: ms(5_000_000, 'pgautofailover.health_check_period.'),
      health_check_timeout: ms(5_000_000, 'pgautofailover.health_check_timeout.'),
      health_check_max_retries: withDefault(integer({ min: 0, max: 100 }), 'pgautofailover.health_check_max_retries.', 2),
      health_check_retry_delay: ms(2_000_000, 'pgautofailover.health_check_retry_delay.'),
      node_considered_unhealthy_timeout: ms(20_000_000, 'pgautofailover.node_considered_unhealthy_timeout.'),
      startup_grace_period: ms(10_000_000, 'pgautofailover.startup_grace_period.'),
      primary_demote_timeout: ms(30_000_000, 'pgautofailover.primary_demote_timeout.'),
      network_partition_timeout: ms(20_000_000, 'Keeper network_partition_timeout: a primary that sees neither the monitor nor a standby this long stops.'),
      promote_wal_log_threshold: withDefault(size(), 'pgautofailover.promote_wal_log_threshold.', 16 * 1024 * 1024, '16MiB'),
      enable_sync_wal_log_threshold: withDefault(size(), 'pgautofailover.enable_sync_wal_log_threshold.', 16 * 1024 * 1024, '16MiB'),
    },
    {
      expected: 'a pg_auto_failover formation',
      build: (v, info, ctx: C): FailoverSpec => {
        const name = v.monitor.name ?? `${ctx.env.cluster!.name}-monitor`;
        registerEndpoints([{ name, site: v.monitor.site }], info.at('monitor') ?? info.node, ctx);
        // formation_metadata.c set_formation_number_sync_standbys, FormationNumSyncStandbyIsValid: n >= 1 needs
        // n + 1 standbys in the replication quorum (so that one may be lost and writes go on).
        const quorum = ctx.env.cluster!.specs.filter((n) => n.role === 'standby' && (v.nodes[n.name]?.replicationQuorum ?? true)).length;
        if (v.number_sync_standbys > 0 && v.number_sync_standbys + 1 > quorum) {
          ctx.fail(info.at('number_sync_standbys') ?? info.node, `${ctx.subject}: invalid value for number_sync_standbys: "${v.number_sync_standbys}": at least ${v.number_sync_standbys + 1} standby nodes are required, and only ${quorum} ${quorum === 1 ? 'is' : 'are'} participating in the replication quorum (pg_auto_failover refuses it)`, { hint: 'add standbys with replication_quorum true, or lower number_sync_standbys' });
        }
        return {
          policy: 'pg_auto_failover',
          monitor: { name, site: v.monitor.site },
          numberSyncStandbys: v.number_sync_standbys,
          nodes: v.nodes,
          healthCheckPeriod: v.health_check_period,
          healthCheckTimeout: v.health_check_timeout,
          healthCheckMaxRetries: v.health_check_max_retries,
          healthCheckRetryDelay: v.health_check_retry_delay,
          nodeConsideredUnhealthyTimeout: v.node_considered_unhealthy_timeout,
          startupGracePeriod: v.startup_grace_period,
          primaryDemoteTimeout: v.primary_demote_timeout,
          networkPartitionTimeout: v.network_partition_timeout,
          promoteWalLogThreshold: v.promote_wal_log_threshold,
          enableSyncWalLogThreshold: v.enable_sync_wal_log_threshold,
        };
      },
    },
  );

  const regions = custom<Record<string, string>>(
    'a mapping of sites to region names',
    (b) => ({ type: 'object', additionalProperties: { type: 'string' } }),
    (node, ctx: C) => {
      const n = ctx.resolve(node);
      if (!isMap(n)) return typeError(n, ctx, 'a mapping of sites to region names');
      const out: Record<string, string> = {};
      for (const pair of (n as YAMLMap<Node, Node>).items) {
        const site = siteRef.decode(pair.key as Node, ctx);
        const v = pair.value ? ctx.resolve(pair.value as Node) : null;
        if (!v || !isScalar(v) || typeof v.value !== 'string' || v.value === '') ctx.fail(v ?? pair.key, `${ctx.subject}: the region of ${show(site)} must be a name`);
        out[site] = String((v as { value: unknown }).value);
      }
      return out;
    },
  );
  const orchestrator = object(
    {
      policy: req(enumOf(['orchestrator'] as const), 'orchestrator: a Raft of managers across sites; only the leader detects and recovers (docs/model-managers.md).'),
      members: req(dcsMembers, 'Raft members by name, each at a site (3 or 5 across regions).'),
      regions: withDefault(regions, 'The region of each site (default: each site is its own region).', {}),
      poll_interval: withDefault(duration({ min: 1 }), 'InstancePollSeconds.', 5_000_000 as Micros, '5s'),
      connect_timeout: withDefault(duration({ min: 1 }), 'MySQLConnectTimeoutSeconds: a poll not answered within this fails.', 2_000_000 as Micros, '2s'),
      prevent_cross_data_center_failover: withDefault(boolean(), 'PreventCrossDataCenterMasterFailover: promote only in the dead primary\'s site.', false),
      prevent_cross_region_failover: withDefault(boolean(), 'PreventCrossRegionMasterFailover: promote only in the dead primary\'s region.', false),
      promotion_rules: withDefault(perNode(enumOf(['prefer', 'neutral', 'prefer_not', 'must_not'] as const), 'a mapping of node names to prefer | neutral | prefer_not | must_not'), 'register-candidate rules per node (default neutral).', {}),
      recovery_period_block: withDefault(duration(), 'RecoveryPeriodBlockSeconds: no second automated recovery of the cluster within this.', 3_600_000_000 as Micros, '1h'),
      election_timeout: withDefault(duration({ min: 1 }), 'Raft election timeout (hashicorp/raft).', 1_000_000 as Micros, '1s'),
    },
    {
      expected: 'an orchestrator Raft',
      build: (v, info, ctx: C): FailoverSpec => {
        registerEndpoints(v.members, info.at('members') ?? info.node, ctx);
        return {
          policy: 'orchestrator',
          members: v.members,
          regions: v.regions,
          pollInterval: v.poll_interval,
          connectTimeout: v.connect_timeout,
          preventCrossDataCenterFailover: v.prevent_cross_data_center_failover,
          preventCrossRegionFailover: v.prevent_cross_region_failover,
          promotionRules: v.promotion_rules,
          recoveryPeriodBlock: v.recovery_period_block,
          electionTimeout: v.election_timeout,
        };
      },
    },
  );

  const operator = object(
    {
      policy: req(enumOf(['operator'] as const), 'operator: a person following a manual runbook after an alert.'),
      site: req(siteRef, 'Where the monitoring and the operator are.'),
      check_interval: withDefault(duration({ min: 1 }), 'How often the monitoring checks the primary.', 30_000_000 as Micros, '30s'),
      health_check: withDefault(healthCheck({ probe: 'connect', timeout: 5_000_000 as Micros, latencyThreshold: null, failures: 3 }, 'the primary'), 'The monitoring\'s check; the alert fires after `failures` in a row.', { probe: 'connect', timeout: 5_000_000 as Micros, latencyThreshold: null, failures: 3 }, { probe: 'connect', timeout: '5s', failures: 3 }),
      reaction: withDefault(duration(), 'From the alert to the action: paging, logging in, diagnosing, deciding.', 900_000_000 as Micros, '15m'),
      candidates: opt(list(clusterNodeRef, { label: itemLabel, minItems: 1 }), 'Nodes the runbook may promote, in order (default: all standbys).'),
      choose: withDefault(enumOf(['most-advanced', 'first-candidate'] as const), 'most-advanced: the reachable standby with the most WAL; first-candidate: the first reachable in order.', 'most-advanced'),
      fence: withDefault(boolean(), 'Stop the old primary first when it can be reached.', true),
    },
    {
      expected: 'an operator and a runbook',
      build: (v, info, ctx: C): FailoverSpec => ({
        policy: 'operator',
        site: v.site,
        checkInterval: v.check_interval,
        health: v.health_check,
        reaction: v.reaction,
        candidates: candidatesOf(v.candidates, info, ctx, false),
        choose: v.choose,
        fence: v.fence,
      }),
    },
  );

  const failover = discriminated<FailoverSpec>('policy', { naive, 'lag-only': lagOnly, patroni, pg_auto_failover: pgaf, orchestrator, operator }, 'failover manager');

  /** A manager process by name (DCS members, monitors, Raft members). */
  const managerRef = custom<string>(
    'the name of a DCS member, a monitor or a Raft member',
    () => ({ type: 'string' }),
    (node, ctx: C) => {
      const n = ctx.resolve(node);
      const text = isScalar(n) && typeof n.value === 'string' ? n.value : null;
      if (text === null) return typeError(n, ctx, 'the name of a DCS member, a monitor or a Raft member');
      const names = [...(ctx.env.managerEndpoints?.keys() ?? [])];
      if (!names.includes(text)) {
        const hint = didYouMean(text, names);
        return ctx.fail(n, `${ctx.subject}: unknown manager process ${show(text)}`, hint ? { hint } : { expected: names.length ? `one of: ${listing(names)}` : 'a DCS member, a monitor or a Raft member defined under failover:' });
      }
      return text;
    },
  );

  /** Something packets come from or go to: a site or a node (names are unique across both). */
  const endpointRef = custom<string>(
    'a site, a node or a DCS member',
    () => ({ type: 'string' }),
    (node, ctx: C) => {
      const n = ctx.resolve(node);
      const text = isScalar(n) && (typeof n.value === 'string' || typeof n.value === 'number') ? String(n.value) : null;
      if (text === null) return typeError(n, ctx, 'a site or a node');
      const names = [...ctx.env.sites, ...ctx.env.nodes.keys(), ...(ctx.env.managerEndpoints?.keys() ?? [])];
      if (!names.includes(text)) {
        const hint = didYouMean(text, names);
        return ctx.fail(n, `${ctx.subject}: unknown site or node ${show(text)}`, hint ? { hint } : { expected: `one of: ${listing(names)}` });
      }
      return text;
    },
  );

  const oneWay = (kind: 'oneWayPartition' | 'healOneWay') =>
    object(
      { from: req(endpointRef, 'Packets from here (a site or a node)...'), to: req(endpointRef, '...to here are dropped.') },
      {
        build: (v, info, ctx): ActionBody => {
          if (v.from === v.to) ctx.fail(info.at('to'), `${ctx.subject}: from and to are the same`);
          return { kind, from: v.from, to: v.to } satisfies GrayFailure;
        },
      },
    );

  /**
   * The command a switchover of this cluster is: patronictl's (Patroni) or pg_autoctl's (pg_auto_failover);
   * null: neither manages it.
   */
  const switchoverTool = (cluster: string, ctx: C): Switchover['tool'] | null => {
    const policies = ctx.env.clusters.get(cluster)!.policies ?? [];
    return policies.includes('patroni') ? 'patronictl' : policies.includes('pg_auto_failover') ? 'pg_autoctl' : null;
  };
  const NO_SWITCHOVER = 'a switchover is patronictl\'s or pg_autoctl\'s: give the cluster a failover entry with policy: patroni or policy: pg_auto_failover';
  /** A node of a cluster Patroni or pg_auto_failover manages: the switchover's candidate (a leader: Patroni only). */
  const managedNode = (what: string, patroniOnly = false) =>
    map(nodeRef, (node, n, ctx: C): string => {
      const cluster = ctx.env.clusters.get(ctx.env.nodes.get(node)!.cluster)!;
      const tool = switchoverTool(cluster.name, ctx);
      if (patroniOnly && tool === 'pg_autoctl') ctx.fail(n, `${ctx.subject}: pg_autoctl perform switchover names no ${what} (cluster ${show(cluster.name)} is pg_auto_failover's)`, { hint: 'give the candidate alone: pg_autoctl perform promotion --name CANDIDATE' });
      if (tool === null) ctx.fail(n, `${ctx.subject}: ${what} ${show(node)} is in cluster ${show(cluster.name)}, which Patroni does not manage, nor pg_auto_failover`, { hint: NO_SWITCHOVER });
      return node;
    });
  const switchover = byKind<ActionBody>(
    {
      string: map(managedNode('candidate'), (candidate, _n, ctx: C): ActionBody => {
        const cluster = ctx.env.nodes.get(candidate)!.cluster;
        return { kind: 'switchover', action: 'switchover', tool: switchoverTool(cluster, ctx)!, cluster, leader: null, candidate };
      }),
      map: object(
        {
          candidate: opt(managedNode('candidate'), 'The member to become the leader (--candidate; pg_auto_failover: perform promotion of it); default: the manager\'s choice.'),
          leader: opt(managedNode('leader', true), 'Patroni: the current leader (--leader): refused unless it is the one.'),
          cluster: opt(clusterRef, 'The cluster, when neither node is given.'),
        },
        {
          build: (v, info, ctx: C): ActionBody => {
            const clusters = [v.candidate, v.leader].filter((x) => x !== undefined).map((x) => ctx.env.nodes.get(x)!.cluster);
            if (v.cluster !== undefined) clusters.push(v.cluster);
            if (clusters.length === 0) ctx.fail(info.node, `${ctx.subject} names no cluster`, { expected: 'a candidate, a leader or a cluster' });
            if (clusters.some((c) => c !== clusters[0])) ctx.fail(info.node, `${ctx.subject}: its nodes and cluster are not in one cluster`);
            if (v.candidate !== undefined && v.candidate === v.leader) ctx.fail(info.at('candidate')!, `${ctx.subject}: the candidate is the leader`);
            const cluster = clusters[0]!;
            const tool = switchoverTool(cluster, ctx);
            if (tool === null) ctx.fail(info.at('cluster') ?? info.node, `${ctx.subject}: cluster ${show(cluster)} is managed by neither Patroni nor pg_auto_failover`, { hint: NO_SWITCHOVER });
            return { kind: 'switchover', action: 'switchover', tool: tool!, cluster, leader: v.leader ?? null, candidate: v.candidate ?? null };
          },
        },
      ),
    },
    'a candidate node, or {candidate?, leader?, cluster?}',
  );

  /** patronictl failover --candidate C --force: a Patroni cluster's candidate, or {candidate, cluster?}. */
  const patroniCandidate = map(managedNode('candidate'), (candidate, n, ctx: C): string => {
    const cluster = ctx.env.nodes.get(candidate)!.cluster;
    if (switchoverTool(cluster, ctx) !== 'patronictl') ctx.fail(n, `${ctx.subject}: cluster ${show(cluster)} is pg_auto_failover's, whose pg_autoctl perform failover is its switchover`, { hint: 'write switchover: CANDIDATE (pg_autoctl perform promotion --name CANDIDATE)' });
    return candidate;
  });
  const patroniFailover = byKind<ActionBody>(
    {
      string: map(patroniCandidate, (candidate, _n, ctx: C): ActionBody => ({ kind: 'switchover', action: 'failover', tool: 'patronictl', cluster: ctx.env.nodes.get(candidate)!.cluster, leader: null, candidate })),
      map: object(
        {
          candidate: req(patroniCandidate, 'The member to promote (--candidate; patronictl failover needs one).'),
          cluster: opt(clusterRef, 'The cluster (it must be the candidate\'s).'),
        },
        {
          build: (v, info, ctx: C): ActionBody => {
            const cluster = ctx.env.nodes.get(v.candidate)!.cluster;
            if (v.cluster !== undefined && v.cluster !== cluster) ctx.fail(info.at('cluster')!, `${ctx.subject}: ${show(v.candidate)} is not in cluster ${show(v.cluster)}`);
            return { kind: 'switchover', action: 'failover', tool: 'patronictl', cluster, leader: null, candidate: v.candidate };
          },
        },
      ),
    },
    'a candidate node, or {candidate, cluster?}',
  );

  /** patronictl pause / resume: a cluster Patroni manages. */
  const patroniCluster = (pause: boolean) =>
    map(clusterRef, (cluster, n, ctx: C): ActionBody => {
      if (switchoverTool(cluster, ctx) !== 'patronictl') ctx.fail(n, `${ctx.subject}: cluster ${show(cluster)} is not managed by Patroni (patronictl ${pause ? 'pause' : 'resume'} is Patroni's maintenance mode)`);
      return { kind: 'patroniPause', cluster, pause };
    });

  const actions = {
    switchover,
    pause: patroniCluster(true),
    resume: patroniCluster(false),
    failover: patroniFailover,
    stop_manager: map(managerRef, (process): ActionBody => ({ kind: 'stopManager', process })),
    start_manager: map(managerRef, (process): ActionBody => ({ kind: 'startManager', process })),
    packet_loss: object(
      { sites: req(sitePair(), 'The two sites whose link loses packets.'), loss: req(probability(), 'The share of packets lost, each way ("2%"; 0 ends it).') },
      { build: (v): ActionBody => ({ kind: 'packetLoss', sites: v.sites, probability: v.loss }) },
    ),
    one_way_partition: oneWay('oneWayPartition'),
    heal_one_way: oneWay('healOneWay'),
    slow_node: object(
      {
        node: req(nodeRef, 'The PostgreSQL node.'),
        cpu: opt(factor(), 'CPU saturation: every request takes this many times its CPU time (1 = healthy).'),
        disk: opt(factor(), 'Disk degradation: every fsync takes this many times as long (1 = healthy).'),
        disk_throughput: opt(probability(), 'Disk throughput collapse: the disk serves this share of its sequential throughput (disk_throughput, "2%"; 1 = healthy): WAL writes queue behind it.'),
      },
      {
        build: (v, info, ctx): ActionBody => {
          if (v.cpu === undefined && v.disk === undefined && v.disk_throughput === undefined) ctx.fail(info.node, `${ctx.subject} changes nothing`, { expected: 'cpu, disk and/or disk_throughput' });
          return { kind: 'slowNode', node: v.node, cpu: v.cpu ?? null, disk: v.disk ?? null, ...(v.disk_throughput !== undefined ? { diskThroughput: v.disk_throughput } : {}) };
        },
      },
    ),
  };

  const verdict = object(
    {
      kind: req(verdictKind(), `The verdict: ${VERDICT_KINDS.join(', ')}.`),
      cluster: opt(clusterRef, 'The cluster; default: any.'),
      node: opt(nodeRef, 'The node it is about (the newer primary of a split brain, the broken standby); default: any.'),
      at_least_seconds: opt(seconds(), 'It lasts at least this long (a number of seconds or a duration).'),
      at_most_seconds: opt(seconds(), 'It lasts at most this long.'),
      open_at_end: opt(boolean(), 'It still holds at the end of the run (true), or has cleared (false).'),
    },
    {
      build: (v, info, ctx): VerdictExpectation => {
        if (v.at_least_seconds !== undefined && v.at_most_seconds !== undefined && v.at_least_seconds > v.at_most_seconds) ctx.fail(info.at('at_most_seconds'), `${ctx.subject}: at_most_seconds is below at_least_seconds`);
        return {
          kind: 'verdict',
          verdict: v.kind,
          cluster: v.cluster ?? null,
          node: v.node ?? null,
          seconds: { atLeast: v.at_least_seconds ?? null, atMost: v.at_most_seconds ?? null },
          openAtEnd: v.open_at_end ?? null,
        };
      },
    },
  );

  const noVerdict = byKind<VerdictExpectation>(
    {
      string: map(verdictKind(), (k): VerdictExpectation => ({ kind: 'noVerdict', verdict: k, cluster: null, node: null })),
      map: object(
        {
          kind: req(verdictKind(), 'The verdict that must not appear.'),
          cluster: opt(clusterRef, 'Only in this cluster; default: any.'),
          node: opt(nodeRef, 'Only about this node; default: any.'),
        },
        { build: (v): VerdictExpectation => ({ kind: 'noVerdict', verdict: v.kind, cluster: v.cluster ?? null, node: v.node ?? null }) },
      ),
    },
    `a verdict kind (${VERDICT_KINDS.join(', ')}) or {kind, cluster?, node?}`,
  );

  const recovered = byKind<VerdictExpectation>(
    {
      boolean: map(boolean(), (v, node, ctx): VerdictExpectation => {
        if (!v) ctx.fail(node, `${ctx.subject}: false asserts nothing`, { hint: 'to expect a verdict that still holds at the end, use verdict: {kind, open_at_end: true}' });
        return { kind: 'recovered', cluster: null, within: null };
      }),
      string: map(clusterRef, (cluster): VerdictExpectation => ({ kind: 'recovered', cluster, within: null })),
      map: object(
        {
          cluster: opt(clusterRef, 'The cluster; default: every cluster.'),
          within: opt(duration(), 'From the first failure (a fault, else the first verdict) to the last verdict cleared.'),
        },
        { build: (v): VerdictExpectation => ({ kind: 'recovered', cluster: v.cluster ?? null, within: (v.within ?? null) as Micros | null }) },
      ),
    },
    'true, a cluster name, or {cluster?, within?}',
  );

  const share = h.bounds(probability(), 'share of the offered requests, "2%" or 0.02');
  const requests = object(
    {
      cluster: opt(clusterRef, 'The cluster; default: any.'),
      workload: opt(string({ nonEmpty: true }), 'The workload (client pool); default: every workload.'),
      succeeded: opt(share, 'Bounds on the share that succeeded: {at_least?, at_most?}.'),
      waited: opt(share, 'Bounds on the share that waited past stall_threshold.'),
      failed: opt(share, 'Bounds on the share that failed.'),
    },
    {
      build: (v, info, ctx: C): VerdictExpectation => {
        if (v.succeeded === undefined && v.waited === undefined && v.failed === undefined) ctx.fail(info.node, `${ctx.subject} bounds nothing`, { expected: 'succeeded, waited and/or failed: {at_least?, at_most?}' });
        const names = [...ctx.env.clusters.values()].filter((c) => v.cluster === undefined || c.name === v.cluster).flatMap((c) => c.workloadNames);
        if (v.workload !== undefined && !names.includes(v.workload)) {
          const dym = didYouMean(v.workload, names);
          ctx.fail(info.at('workload')!, `${ctx.subject}: no workload ${show(v.workload)}${v.cluster !== undefined ? ` in cluster ${show(v.cluster)}` : ''}`, dym ? { hint: dym } : { expected: `one of ${listing(names)}` });
        }
        return { kind: 'requests', cluster: v.cluster ?? null, workload: v.workload ?? null, succeeded: v.succeeded ?? null, waited: v.waited ?? null, failed: v.failed ?? null };
      },
    },
  );

  return {
    failover,
    actions,
    actionDescriptions: {
      failover:
        'patronictl failover --candidate C --force (Patroni clusters): a candidate node, or {candidate, cluster?}. With a leader, the same as a switchover to C (the leader checks its lag and otherwise drops the request). With none (say, the members refused to race because all lag beyond maximum_lag_on_failover), C takes the leader key at once, without the lag check: what it had not received is lost.',
      switchover:
        'patronictl switchover --force (Patroni clusters) or pg_autoctl perform switchover / perform promotion --name CANDIDATE (pg_auto_failover clusters): a candidate node, or {candidate?, leader?, cluster?} (leader: Patroni only). Patroni: The leader checks the candidate (reachable, no nofailover tag, within maximum_lag_on_failover) and otherwise drops the request; then it stops PostgreSQL (fast, its walsenders sending the standbys what they lack), releases the leader key, and the candidate takes it and promotes; the old leader restarts as its replica.',
      pause:
        'patronictl pause (Patroni clusters): a cluster. Maintenance mode from each agent\'s next loop: no replica races for the leader key (a primary lost meanwhile stays lost), a PostgreSQL found down is not started (the key holder deletes its key), nobody is demoted. Refused when already paused.',
      resume: 'patronictl resume (Patroni clusters): a cluster. Automatic failover again from each agent\'s next loop (a leader key deleted or expired meanwhile is raced for). Refused when not paused.',
      stop_manager: 'A manager process stops (a DCS member, a pg_auto_failover monitor, a Raft member): it answers nobody until start_manager.',
      start_manager: 'The manager process runs again.',
      packet_loss: 'Packet loss on the link between two sites: {sites: [a, b], loss: "2%"} (0 ends it). Health checks and manager messages see it.',
      one_way_partition: 'Drop packets one way only: {from, to}, each a site or a node. Connections need both ways; heartbeats only one.',
      heal_one_way: 'Undo a one_way_partition: {from, to}.',
      slow_node: 'A gray failure of a PostgreSQL node: {node, cpu?: factor, disk?: factor, disk_throughput?: share}; its checks, commits and flushes take longer, or its WAL writes queue behind a collapsed disk (1 restores).',
    },
    expectations: { verdict, no_verdict: noVerdict, recovered, requests },
    expectationDescriptions: {
      verdict: 'A verdict holds for a while: {kind, cluster?, node?, at_least_seconds?, at_most_seconds?, open_at_end?}.',
      no_verdict: 'No such verdict: a kind, or {kind, cluster?, node?}.',
      recovered: 'Every verdict has cleared by the end: true, a cluster, or {cluster?, within?} (time to recover at most `within`).',
      requests: 'Shares of a workload\'s requests: {cluster?, workload?, succeeded?, waited?, failed?}, each {at_least?, at_most?} as "2%" or 0.02.',
    },
  };
}

/** The default name of a verdict expectation. */
export function describeVerdictExpectation(e: VerdictExpectation, boundsText: (b: Bounds, unit: string) => string): string {
  const where = (c: string | null, n: string | null) => `${c === null ? '' : ` in ${c}`}${n === null ? '' : ` (${n})`}`;
  switch (e.kind) {
    case 'verdict': {
      const b = boundsText(e.seconds, 's');
      return `verdict ${e.verdict}${where(e.cluster, e.node)}${b ? ` lasting ${b}` : ''}${e.openAtEnd === null ? '' : e.openAtEnd ? ', still at the end' : ', cleared by the end'}`;
    }
    case 'noVerdict':
      return `no ${e.verdict} verdict${where(e.cluster, e.node)}`;
    case 'recovered':
      return `recovered${where(e.cluster, null)}${e.within === null ? '' : ` within ${e.within / 1e6} s`}`;
    case 'requests': {
      const pct = (b: Bounds, what: string) => `${what} ${[b.atLeast !== null ? `at least ${+(b.atLeast * 100).toFixed(4)}%` : null, b.atMost !== null ? `at most ${+(b.atMost * 100).toFixed(4)}%` : null].filter((x) => x !== null).join(' and ')}`;
      const parts = [e.succeeded ? pct(e.succeeded, 'succeeded') : null, e.waited ? pct(e.waited, 'waited') : null, e.failed ? pct(e.failed, 'failed') : null].filter((x) => x !== null);
      return `requests${e.workload ? ` of ${e.workload}` : ''}${where(e.cluster, null)}: ${parts.join(', ')}`;
    }
  }
}

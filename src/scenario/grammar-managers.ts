/**
 * The grammar of failover managers, gray failures and verdicts: `failover:` entries, the fault actions that
 * degrade rather than cut (packet loss, one-way partitions, slow nodes), and the `verdict`, `no_verdict`
 * and `recovered` expectations. Built by grammar.ts with its own reference decoders (as grammar-block.ts).
 */
import { isMap, isScalar, type Node, type YAMLMap, type YAMLSeq } from 'yaml';
import type { Micros } from '../engine/time.ts';
import type { ActionBody, Bounds } from './types.ts';
import { VERDICT_KINDS, type FailoverSpec, type GrayFailure, type HealthCheckSpec, type VerdictExpectation, type VerdictKind } from './types-managers.ts';
import { didYouMean, listing, show } from './errors.ts';
import { boolean, byKind, custom, enumOf, integer, list, map, object, opt, req, typeError, withDefault, type Ctx, type Decoder, type JsonSchema, type ObjectInfo } from './decode.ts';
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

/** A probability: "2%" or a number from 0 to 1. */
function probability(): Decoder<number> {
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
function factor(): Decoder<number> {
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
      if (text === null || !alts[text]) {
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

  const failover = discriminated<FailoverSpec>('policy', { naive, 'lag-only': lagOnly }, 'failover manager');

  /** Something packets come from or go to: a site or a node (names are unique across both). */
  const endpointRef = custom<string>(
    'a site or a node',
    () => ({ type: 'string' }),
    (node, ctx: C) => {
      const n = ctx.resolve(node);
      const text = isScalar(n) && (typeof n.value === 'string' || typeof n.value === 'number') ? String(n.value) : null;
      if (text === null) return typeError(n, ctx, 'a site or a node');
      const names = [...ctx.env.sites, ...ctx.env.nodes.keys()];
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

  const actions = {
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
      },
      {
        build: (v, info, ctx): ActionBody => {
          if (v.cpu === undefined && v.disk === undefined) ctx.fail(info.node, `${ctx.subject} changes nothing`, { expected: 'cpu and/or disk' });
          return { kind: 'slowNode', node: v.node, cpu: v.cpu ?? null, disk: v.disk ?? null };
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

  return {
    failover,
    actions,
    actionDescriptions: {
      packet_loss: 'Packet loss on the link between two sites: {sites: [a, b], loss: "2%"} (0 ends it). Health checks and manager messages see it.',
      one_way_partition: 'Drop packets one way only: {from, to}, each a site or a node. Connections need both ways; heartbeats only one.',
      heal_one_way: 'Undo a one_way_partition: {from, to}.',
      slow_node: 'A gray failure of a PostgreSQL node: {node, cpu?: factor, disk?: factor}; its checks, commits and flushes take longer (1 restores).',
    },
    expectations: { verdict, no_verdict: noVerdict, recovered },
    expectationDescriptions: {
      verdict: 'A verdict holds for a while: {kind, cluster?, node?, at_least_seconds?, at_most_seconds?, open_at_end?}.',
      no_verdict: 'No such verdict: a kind, or {kind, cluster?, node?}.',
      recovered: 'Every verdict has cleared by the end: true, a cluster, or {cluster?, within?} (time to recover at most `within`).',
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
  }
}

/**
 * The grammar of failover managers, gray failures and verdicts: `failover:` entries, the fault actions that
 * degrade rather than cut (packet loss, one-way partitions, slow nodes), and the `verdict`, `no_verdict`
 * and `recovered` expectations. Built by grammar.ts with its own reference decoders (as grammar-block.ts).
 */
import type { Micros } from '../engine/time.ts';
import type { Bounds } from './types.ts';
import { VERDICT_KINDS, type VerdictExpectation, type VerdictKind } from './types-managers.ts';
import { boolean, byKind, enumOf, map, object, opt, req, type Decoder } from './decode.ts';
import { duration } from './settings.ts';

/** Decoders of grammar.ts the managers grammar reuses, passed in (grammar.ts imports this module). */
export interface ManagersHelpers {
  readonly clusterRef: Decoder<string>;
  readonly nodeRef: Decoder<string>;
  readonly seconds: () => Decoder<number>;
  readonly bounds: (d: Decoder<number>, unit: string) => Decoder<Bounds>;
}

const verdictKind = (): Decoder<VerdictKind> => enumOf(VERDICT_KINDS);

export function managersGrammar(h: ManagersHelpers) {
  const { clusterRef, nodeRef, seconds } = h;

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

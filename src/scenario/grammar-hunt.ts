/**
 * The `hunt:` section (docs/hunt.md): the bounds within which `replsim hunt` searches fault schedules for
 * one that breaks the scenario's expectations: which nodes and links may fail and how, how many faults,
 * between which times, and how long a fault lasts before it is undone. Decoded with the grammar's own
 * references (node and site names, times), which grammar.ts passes in.
 */
import type { Node } from 'yaml';
import type { Micros } from '../engine/time.ts';
import type { Bounds, PartitionTarget } from './types.ts';
import { enumOf, integer, list, nestedItem, object, opt, req, withDefault, type Ctx, type Decoder } from './decode.ts';
import { duration } from './settings.ts';

/** How a hunted fault happens and how it is undone. */
export type HuntKind = 'crash' | 'stop' | 'restart' | 'partition';

export interface HuntOption {
  readonly kind: HuntKind;
  readonly target: PartitionTarget;
}

export interface HuntSpec {
  /** Every (kind, target) a fault may be, in file order. */
  readonly options: readonly HuntOption[];
  readonly count: { readonly min: number; readonly max: number };
  /** When faults may happen (µs since the start). */
  readonly from: Micros;
  readonly to: Micros;
  /** How long a fault lasts before it is undone (restart, start, heal); null: it is never undone. */
  readonly lasting: { readonly min: Micros; readonly max: Micros } | null;
  /** Schedules to try (`replsim hunt --runs` overrides). */
  readonly runs: number;
}

export interface HuntHelpers {
  readonly nodeRef: Decoder<string>;
  readonly sitePair: () => Decoder<readonly [string, string]>;
  readonly time: () => Decoder<Micros>;
  readonly bounds: (d: Decoder<number>, unit: string) => Decoder<Bounds>;
  readonly end: (ctx: Ctx<any>) => Micros;
}

export function huntGrammar(h: HuntHelpers): Decoder<HuntSpec> {
  const fault = object(
    {
      kind: req(enumOf(['crash', 'stop', 'restart', 'partition'] as const), 'crash (undone by a restart), stop (by a start), restart (instant), partition (cut off; undone by a heal).'),
      nodes: opt(list(h.nodeRef, { label: nestedItem('nodes') }), 'The nodes that may fail this way.'),
      links: opt(list(h.sitePair(), { label: nestedItem('links') }), 'partition only: the site pairs whose link may be cut.'),
    },
    {
      build: (v, info, ctx): HuntOption[] => {
        if (v.nodes === undefined && v.links === undefined) ctx.fail(info.node, `${ctx.subject} names no node and no link`, { expected: 'nodes: [...] or links: [[siteA, siteB], ...]' });
        if (v.links !== undefined && v.kind !== 'partition') ctx.fail(info.keyAt('links'), `${ctx.subject}: only a partition cuts a link`);
        return [...(v.nodes ?? []).map((node): HuntOption => ({ kind: v.kind, target: { kind: 'node', node } })), ...(v.links ?? []).map((sites): HuntOption => ({ kind: v.kind, target: { kind: 'link', sites } }))];
      },
    },
  );
  const window = object(
    {
      from: opt(h.time(), 'The earliest time of a fault (default: the start).'),
      to: opt(h.time(), 'The latest time of a fault (default: the end).'),
    },
    { build: (v) => v },
  );
  return object(
    {
      faults: req(list(fault, { label: (i) => `faults.${i}`, minItems: 1 }), 'How faults may happen: [{kind, nodes | links}].'),
      count: withDefault(h.bounds(integer({ min: 0, max: 20 }), 'faults'), 'How many faults a schedule has (default exactly 1).', { atLeast: 1, atMost: 1 }),
      between: opt(window, 'When faults may happen: {from, to} (default: the whole run).'),
      lasting: opt(h.bounds(duration({ min: 1 }), 'duration'), 'How long a fault lasts before it is undone: {at_least, at_most}; without it a fault is never undone.'),
      runs: withDefault(integer({ min: 1, max: 1_000_000 }), 'Schedules to try (replsim hunt --runs overrides).', 100),
    },
    {
      build: (v, info, ctx): HuntSpec => {
        const end = h.end(ctx);
        const from = v.between?.from ?? (0 as Micros);
        const to = v.between?.to ?? end;
        if (to < from) ctx.fail(info.at('between'), `${ctx.subject}: between.to is before between.from`);
        const min = v.count.atLeast ?? 0;
        const max = v.count.atMost ?? Math.max(min, 1);
        if (max < min) ctx.fail(info.at('count'), `${ctx.subject}: count.at_most is below count.at_least`);
        if (max === 0) ctx.fail(info.at('count'), `${ctx.subject}: a schedule of no fault breaks nothing`, { expected: 'count.at_most >= 1' });
        const lasting = v.lasting ? { min: (v.lasting.atLeast ?? 1) as Micros, max: (v.lasting.atMost ?? end) as Micros } : null;
        return { options: v.faults.flat(), count: { min, max }, from, to, lasting, runs: v.runs };
      },
    },
  );
}

export type { Node };

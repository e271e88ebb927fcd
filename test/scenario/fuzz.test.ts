/**
 * Property: for any mutation of a valid scenario, loading returns a Scenario or throws a ScenarioError
 * with a position (line, column >= 1) and a one-line message, quickly; never another exception.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { isMap, isSeq, parseDocument, type Document, type Node } from 'yaml';
import { loadScenarioText, type LoadOptions } from '../../src/scenario/load.ts';
import { ScenarioError } from '../../src/scenario/errors.ts';
import { MACKEREL } from './helpers.ts';

const FULL_RUNS = process.env.REPLSIM_DEEP ? 20_000 : 1_500;
const TEXT_RUNS = process.env.REPLSIM_DEEP ? 10_000 : 1_000;
const PER_LOAD_MS = 500;

function check(text: string, opts: LoadOptions): void {
  const t0 = performance.now();
  try {
    const s = loadScenarioText(text, 'fuzz.yaml', opts);
    expect(typeof s.name).toBe('string');
  } catch (e) {
    if (!(e instanceof ScenarioError)) throw new Error(`non-ScenarioError thrown: ${String(e)}\n--- input ---\n${text}`);
    expect(e.line).toBeGreaterThanOrEqual(1);
    expect(e.column).toBeGreaterThanOrEqual(1);
    expect(e.message).not.toMatch(/internal error/);
    expect(e.format()).not.toMatch(/\n/);
  }
  const ms = performance.now() - t0;
  if (ms > PER_LOAD_MS) throw new Error(`load took ${ms.toFixed(0)} ms\n--- input ---\n${text.slice(0, 2000)}`);
}

const interesting = fc.constantFrom<unknown>(
  '__proto__', 'constructor', 'prototype', 'toString', '14:30', '13:00', '+90s', '+1e9w', '10 Mbs', '1Gbps', '2A/1000000', 'FFFFFFFF/FFFFFFFF',
  'latest', 'current', 'db000', 'db001', 'db002', 'aws', 'onprem', 'mackerel', '9.3', '9.6', '18', '1h30m', '2KiB', '200/s', 'ANY 2 (db001, db002)',
  'FIRST 1 (db001)', '', ' ', 'x'.repeat(20_000), '\u0000', '\uFFFF', '"', '*', 'primary', 'standby', 'naive', 'patroni', true, false, null,
  0, -1, 1, 15, 9.3, 1e308, -1e308, 2 ** 53 + 1, Number.MAX_SAFE_INTEGER, 0.1, [], {}, ['db001'], [['x']], { sites: ['aws', 'onprem'] },
);

const junk: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: interesting },
  { weight: 2, arbitrary: fc.string({ maxLength: 12 }) },
  { weight: 1, arbitrary: fc.integer() },
  { weight: 1, arbitrary: fc.double({ noNaN: true }) },
  { weight: 1, arbitrary: fc.array(interesting, { maxLength: 3 }) },
  { weight: 1, arbitrary: fc.dictionary(fc.constantFrom('__proto__', 'constructor', 'site', 'at', 'promote', 'node', 'a.b', '1', 'name'), interesting, { maxKeys: 3 }) },
  { weight: 1, arbitrary: fc.anything({ maxDepth: 2, maxKeys: 3 }) },
);

const junkKey = fc.oneof(
  fc.constantFrom('__proto__', 'constructor', 'prototype', 'hasOwnProperty', 'name', 'at', 'site', 'settings', 'recovery_target_timline', 'set', 'nodes', 'x.y', '0', 'promote', 'crash'),
  fc.string({ maxLength: 8 }),
);

interface Slot {
  readonly parent: Node;
  readonly index: number;
}

/** Every (collection, index) slot in the document, in document order. */
function slots(doc: Document): Slot[] {
  const out: Slot[] = [];
  const walk = (n: unknown, depth: number) => {
    if (depth > 20) return;
    if (isMap(n) || isSeq(n)) {
      (n.items as unknown[]).forEach((item, i) => {
        out.push({ parent: n, index: i });
        walk(isMap(n) ? (item as { value: unknown }).value : item, depth + 1);
      });
    }
  };
  walk(doc.contents, 0);
  return out;
}

type Mutation = { kind: number; where: number; value: unknown; key: unknown };

const BASE = parseDocument(MACKEREL);

function mutate(muts: readonly Mutation[]): string | null {
  const doc = BASE.clone();
  for (const m of muts) {
    const all = slots(doc);
    if (all.length === 0) break;
    const s = all[m.where % all.length]!;
    const items = (s.parent as unknown as { items: unknown[] }).items;
    const map = isMap(s.parent);
    const node = doc.createNode(m.value);
    switch (m.kind) {
      case 0: // replace a value
        if (map) (items[s.index] as { value: unknown }).value = node;
        else items[s.index] = node;
        break;
      case 1: // delete an entry
        items.splice(s.index, 1);
        break;
      case 2: // insert a junk entry
        items.splice(s.index, 0, map ? doc.createPair(m.key, m.value) : node);
        break;
      case 3: {
        // wrong shape: a mapping becomes a list of its values, a list becomes a mapping, a scalar a list
        const v = map ? (items[s.index] as { value: unknown }).value : items[s.index];
        const swapped = isMap(v) ? doc.createNode(v.items.map((p) => p.value)) : isSeq(v) ? doc.createNode(Object.fromEntries(v.items.map((x, i) => [`k${i}`, x]))) : doc.createNode([v]);
        if (map) (items[s.index] as { value: unknown }).value = swapped;
        else items[s.index] = swapped;
        break;
      }
      case 4: {
        // copy another subtree here
        const other = all[(m.where * 7 + 3) % all.length]!;
        const o = (other.parent as unknown as { items: unknown[] }).items[other.index];
        const src = isMap(other.parent) ? (o as { value: Node }).value : (o as Node);
        const copy = src && typeof src === 'object' && 'clone' in src ? (src as { clone(): Node }).clone() : doc.createNode(src);
        if (map) (items[s.index] as { value: unknown }).value = copy;
        else items[s.index] = copy;
        break;
      }
    }
  }
  try {
    return doc.toString({ lineWidth: 0 });
  } catch {
    return null;
  }
}

const mutation = fc.record({ kind: fc.nat(4), where: fc.nat(), value: junk, key: junkKey });

const setArg = fc.oneof(
  fc.constantFrom('plan.0.at=14:31', 'faults.db001-lost.at=15:00', 'clusters.mackerel.workload.rate=400/s', 'plan.9.at=1', '__proto__.x=1', 'constructor=1', 'a..b=1', '=', 'x'),
  fc.tuple(fc.constantFrom('plan.0', 'clusters.mackerel', 'clusters.mackerel.nodes.db002.settings', 'seed', 'variants.x.set', 'faults.db001-lost'), fc.string({ maxLength: 6 }), fc.string({ maxLength: 10 })).map(([p, k, v]) => `${p}.${k}=${v}`),
);

const options: fc.Arbitrary<LoadOptions> = fc.record(
  {
    variant: fc.option(fc.constantFrom('latest-timeline', 'latest-timline', '__proto__', ''), { nil: null }),
    sets: fc.array(setArg, { maxLength: 2 }),
    seed: fc.option(fc.oneof(fc.nat(), fc.double()), { nil: null }),
  },
  { requiredKeys: [] },
);

describe('fuzz: mutated scenarios give a Scenario or a positioned ScenarioError', () => {
  it('AST mutations (values, deletions, junk keys, wrong shapes, __proto__)', () => {
    fc.assert(
      fc.property(fc.array(mutation, { minLength: 1, maxLength: 4 }), options, (muts, opts) => {
        const text = mutate(muts);
        if (text !== null) check(text, opts);
      }),
      { numRuns: FULL_RUNS, seed: 20170807 },
    );
  });

  it('text mutations (syntax damage)', () => {
    const pieces = fc.constantFrom(':', '{', '}', '[', ']', '- ', ' ', '\n', '\n  ', '&a ', '*a', '!!binary ', '!x ', '"', "'", '#', '|', '>', '%', '@', '`', '\t', ',', '? ', '<<: *a', '~', '\u0000', '\uFEFF', 'x'.repeat(300));
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(), fc.nat(3), pieces), { minLength: 1, maxLength: 5 }), (edits) => {
        let text = MACKEREL;
        for (const [pos, del, ins] of edits) {
          const p = pos % (text.length + 1);
          text = text.slice(0, p) + ins + text.slice(p + del);
        }
        check(text, {});
      }),
      { numRuns: TEXT_RUNS, seed: 42 },
    );
  });

  it('the unmutated sample loads', () => {
    expect(() => loadScenarioText(MACKEREL, 'fuzz.yaml')).not.toThrow();
  });
});

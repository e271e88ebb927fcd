/**
 * Damaging scenario documents for the fuzz tests: junk values and keys, deletions, wrong shapes, copied
 * subtrees, alias bombs, very long strings, unit typos, unknown names; and the check every damaged
 * document must pass (a Scenario, or a ScenarioError whose every error has a position and a one-line
 * message, quickly).
 */
import fc from 'fast-check';
import { expect } from 'vitest';
import { isMap, isSeq, parseDocument, type Document, type Node } from 'yaml';
import { ScenarioError } from '../../src/scenario/errors.ts';
import { loadScenarioText, type LoadOptions } from '../../src/scenario/load.ts';
import type { Scenario } from '../../src/scenario/types.ts';
import { scenarioArbitrary, scenarioToYaml } from '../../src/testing/index.ts';

// CPU time of this test process (pool 'forks'), not wall time: a loaded machine must not fail the check,
// a document whose loading grows exponentially still does.
const PER_LOAD_CPU_MS = 1000;

function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/** Loads `text`; returns the Scenario, or null after checking that the error is one clean ScenarioError. */
export function checkLoad(text: string, opts: LoadOptions = {}): Scenario | null {
  const t0 = cpuMs();
  let s: Scenario | null = null;
  try {
    s = loadScenarioText(text, 'fuzz.yaml', opts);
    expect(typeof s.name).toBe('string');
  } catch (e) {
    if (!(e instanceof ScenarioError)) throw new Error(`non-ScenarioError thrown: ${String(e)}\n--- input ---\n${text.slice(0, 4000)}`);
    // Every error of the file (the loader reports up to MAX_ERRORS), each located and on one line.
    for (const x of e.errors) {
      const line = x.format();
      if (!(x.line >= 1 && x.column >= 1) || /internal error/.test(x.message) || /[\n\u0000-\u001f\u007f-\u009f]/.test(line)) {
        throw new Error(`a bad error: ${JSON.stringify({ line: x.line, column: x.column, text: line })}\n--- input ---\n${text.slice(0, 4000)}`);
      }
    }
  }
  const ms = cpuMs() - t0;
  if (ms > PER_LOAD_CPU_MS) throw new Error(`load took ${ms.toFixed(0)} ms of CPU\n--- input ---\n${text.slice(0, 2000)}`);
  return s;
}

const interesting = fc.constantFrom<unknown>(
  '__proto__', 'constructor', 'prototype', 'toString', '14:30', '13:00', '+90s', '+1e9w', '10 Mbs', '1Gbps', '2A/1000000', 'FFFFFFFF/FFFFFFFF',
  'latest', 'current', 'db000', 'db001', 'db002', 'aws', 'onprem', 'mackerel', '9.3', '9.6', '18', '1h30m', '2KiB', '200/s', 'ANY 2 (db001, db002)',
  'FIRST 1 (db001)', '', ' ', 'x'.repeat(20_000), '\u0000', '\uFFFF', '"', '*', 'primary', 'standby', 'naive', 'lag-only', 'patroni', true, false, null,
  0, -1, 1, 15, 9.3, 1e308, -1e308, 2 ** 53 + 1, Number.MAX_SAFE_INTEGER, 0.1, [], {}, ['db001'], [['x']], { sites: ['aws', 'onprem'] },
  // unit typos, absurd values, names that exist in generated documents or nowhere
  '5 sec', '2 KIB', '16MB/s', '90 s', '1h30', '100 Mbit', '3 minutes', '16mib', '1.5.2s', '99999999999999h', '4294967296', '-3s', 'NaN', 'Infinity',
  'p1', 's1', 's4', 'p9', 'site1', 'site9', 'main', 'clients', 'FIRST 9 (s1)', 'ANY 1 (s1, s1)', '0/0', '9.1', '19', '20', 4294967295, 1e-9,
  'x'.repeat(100_000),
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
  fc.constantFrom('__proto__', 'constructor', 'prototype', 'hasOwnProperty', 'name', 'at', 'site', 'settings', 'recovery_target_timline', 'set', 'nodes', 'x.y', '0', 'promote', 'crash', 'x'.repeat(50_000)),
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

export type Mutation = { kind: number; where: number; value: unknown; key: unknown };

/** kind 0 replace, 1 delete, 2 insert, 3 wrong shape, 4 copy a subtree, 5 alias bomb. */
export const mutation: fc.Arbitrary<Mutation> = fc.record({ kind: fc.nat(5), where: fc.nat(), value: junk, key: junkKey });

/** Nine levels of ten aliases each: a billion nodes if expanded (the loader must refuse, not expand). */
function aliasBomb(doc: Document): Node {
  let prev = doc.createNode(Array.from({ length: 10 }, () => 'lol')) as Node;
  (prev as { anchor?: string }).anchor = 'l0';
  for (let i = 1; i < 9; i++) {
    const seq = doc.createNode([]) as Node & { items: unknown[]; anchor?: string };
    for (let j = 0; j < 10; j++) seq.items.push(doc.createAlias(prev as never));
    seq.anchor = `l${i}`;
    prev = seq;
  }
  return prev;
}

/** The base document with the mutations applied, as text (null when it cannot be printed). */
export function mutate(base: Document, muts: readonly Mutation[]): string | null {
  const doc = base.clone();
  for (const m of muts) {
    const all = slots(doc);
    if (all.length === 0) break;
    const s = all[m.where % all.length]!;
    const items = (s.parent as unknown as { items: unknown[] }).items;
    const map = isMap(s.parent);
    const node = doc.createNode(m.value);
    const put = (v: unknown) => {
      if (map) (items[s.index] as { value: unknown }).value = v;
      else items[s.index] = v;
    };
    switch (m.kind) {
      case 0: // replace a value
        put(node);
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
        put(isMap(v) ? doc.createNode(v.items.map((p) => p.value)) : isSeq(v) ? doc.createNode(Object.fromEntries(v.items.map((x, i) => [`k${i}`, x]))) : doc.createNode([v]));
        break;
      }
      case 4: {
        // copy another subtree here
        const other = all[(m.where * 7 + 3) % all.length]!;
        const o = (other.parent as unknown as { items: unknown[] }).items[other.index];
        const src = isMap(other.parent) ? (o as { value: Node }).value : (o as Node);
        put(src && typeof src === 'object' && 'clone' in src ? (src as { clone(): Node }).clone() : doc.createNode(src));
        break;
      }
      case 5:
        put(aliasBomb(doc));
        break;
    }
  }
  try {
    return doc.toString({ lineWidth: 0 });
  } catch {
    return null;
  }
}

/**
 * Damages `documents` documents drawn from `bases` (fast-check seed `seed`), checks each, and hands the
 * ones that still load to `onValid`. Returns how many loaded.
 */
export function fuzzDocuments(bases: readonly Document[], documents: number, seed: number, onValid: (text: string, s: Scenario, mutations: number) => void): number {
  let loaded = 0;
  fc.assert(
    fc.property(fc.nat(), fc.array(mutation, { minLength: 0, maxLength: 4 }), (which, muts) => {
      const text = mutate(bases[which % bases.length]!, muts);
      if (text === null) return;
      const s = checkLoad(text);
      if (s === null) return;
      loaded++;
      onValid(text, s, muts.length);
    }),
    { numRuns: documents, seed },
  );
  return loaded;
}

/** Valid documents printed from the arbitraries: every topology and operation kind, two primaries at most. */
export function generatedBases(): Document[] {
  return fc.sample(scenarioArbitrary({ failover: true, seeds: true }), { numRuns: 120, seed: 7 }).map((s) => parseDocument(scenarioToYaml(s)));
}

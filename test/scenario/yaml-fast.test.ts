/**
 * The loader's fast YAML path (src/scenario/yaml-fast.ts) against the yaml library: whenever the fast path
 * returns a document, the library parses the same text without an error into the same tree (values and
 * their types, scalar styles and sources, number formats, flow flags, start offsets) with the same line
 * starts. Over hand-written edge cases, the shipped scenarios, generated scenarios, and damaged copies of
 * both; and the fast path does take the documents scenario files are made of.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isMap, isScalar, isSeq, LineCounter, parseDocument } from 'yaml';
import { PARSE_OPTIONS } from '../../src/scenario/load.ts';
import { explainFast, parseFast, parseFastValue } from '../../src/scenario/yaml-fast.ts';
import { scenarioArbitrary, scenarioToYaml } from '../../src/testing/index.ts';
import { DEEP } from '../support/properties.ts';
import { generatedBases, mutate, mutation } from '../support/yaml-mutations.ts';
import { MACKEREL } from './helpers.ts';

function norm(n: unknown): unknown {
  if (n === null || n === undefined) return null;
  if (isScalar(n)) {
    return { value: n.value, kind: typeof n.value, type: n.type, source: n.source, format: n.format, minFractionDigits: n.minFractionDigits, start: n.range?.[0], valueEnd: n.range?.[1] };
  }
  if (isMap(n)) return { map: n.items.map((p) => [norm(p.key), norm(p.value)]), flow: n.flow === true, start: n.range?.[0] };
  if (isSeq(n)) return { seq: n.items.map(norm), flow: n.flow === true, start: n.range?.[0] };
  return { other: Object.prototype.toString.call(n) };
}

/** Checks one text; returns whether the fast path took it. */
function same(text: string): boolean {
  const fast = parseFast(text, PARSE_OPTIONS);
  if (fast === null) return false;
  const lc = new LineCounter();
  const lib = parseDocument(text, { ...PARSE_OPTIONS, lineCounter: lc });
  if (lib.errors.length > 0) throw new Error(`the fast path took a document the library refuses (${lib.errors[0]!.message})\n--- text ---\n${text.slice(0, 3000)}`);
  const a = norm(fast.doc.contents);
  const b = norm(lib.contents);
  // The value alone (a --set value, a draw: no Document of its own) is the same tree.
  expect(JSON.stringify(norm(parseFastValue(text, PARSE_OPTIONS)))).toBe(JSON.stringify(a));
  if (JSON.stringify(a) !== JSON.stringify(b)) expect({ text: text.slice(0, 3000), tree: a }).toEqual({ text: text.slice(0, 3000), tree: b });
  expect(fast.lc.lineStarts).toEqual(lc.lineStarts);
  return true;
}

const EDGES = [
  // One inline value (a --set value): scalars and one-line flow collections.
  '15:00',
  '14:35:12.345678',
  '250.5/s',
  '"x y"',
  "'it''s'",
  'latest',
  '12',
  '-3',
  'null',
  'true',
  '0x1F',
  '[a, b]',
  '{a: 1, b: [2]}',
  'x # a comment',
  '  indented',
  'x\n',
  'x\ny',
  'a: 1\nb:\nc: x  # c\n',
  'a:\n  - x\n  - {k: v, j: 1.50}\nb: >\n  folded\n  text\n\n  more\n',
  'k: [a, "b", c]\n',
  '- a: 1\n  b: 2\n- 3\n',
  'a:   # hi\n  b: 1\nc: # x\nd: {}\ne: []\n"f g": \'h\'\n',
  'plan:\n- x\n-\n  y: 1\n- # c\n  z: 2\n',
  'a: >-\n  x\n\n\nb: |+\n  l1\n    l2\n\nc: |\n  t\n',
  'a: "\\u00e9\\x41\\t\\"\\\\ \\/ \\N"\nb: \'it\'\'s\'\n',
  'n: [0o17, 0x1F, 1e3, -2.50, .inf, -.Inf, .nan, ~, null, Null, true, False, 12, +3, -0, 007, 1_000]\n',
  'x: 14:30\ny: "14:30"\nz: +90s\nw: -3s\nv: 2017-08-07T14:30:00+09:00\nu: a b, c [d] {e}\n',
  'a: {x: {y: [1, [2, 3]], z: "q"}, w: []}\n',
  '# only a comment at the top\n\nname: x # trailing\n   # indented comment line\ndescription: |\n  line 1\n    indented\n  line 3\n',
  'a: b: c\n',
  'a: x\n  y\n',
  'a:\n- b\n- c\nd: e\n',
  '- - x\n',
  'a: &x 1\nb: *x\n',
  '---\na: 1\n',
  'a: 1\n...\n',
  'a:\tb\n',
  'a: "x\n  y"\n',
  '{a: 1}\n',
  'a: {b: 1,\n  c: 2}\n',
  'a: {b}\n',
  'a: [b: c]\n',
  'a: {b: }\n',
  'a: [1,]\n',
  '"a" : 1\n',
  'a : 1\n',
  'a: |2\n   x\n',
  'a: >\n  x\n   y\n',
  'a: >\n\n  x\n',
  'a: |\n  x',
  'a: x',
  '? a\n: b\n',
  'a: !!str 1\n',
  'a: @x\n',
  'a: `x\n',
  'a: "\\q"\n',
  'a: "\\x4"\n',
  'a: "\\uD800"\n',
  'a: "\\U0010FFFF \\U00110000"\n',
  '\uFEFFa: 1\n',
  'a: 1\r\nb: 2\r\n',
  'a:\n  b: 1\n c: 2\n',
  'a:\n  - 1\n  b: 2\n',
  `${'k'.repeat(1100)}: 1\n`,
  'a: x #c\nb: "y"#c\n',
  'a: [x #c\n]\n',
  'a: \'\'\nb: ""\nc: [\'\', ""]\n',
  'a: - x\n',
  '- a\n- b: 1\n  c:\n    - d\n  e: |\n    f\n- g\n',
  'a:\n  - b:\n      c: 1\n    d: 2\n',
  '  a: 1\n',
  '',
  '\n\n',
  '# just a comment\n',
  'a: 1\n# end\n',
  'a: {b: c}d\n',
  'a: [b]]\n',
  'a: "x"y\n',
];

describe('the fast YAML path', () => {
  it('gives the library\'s tree, or gives up, on edge cases', () => {
    let taken = 0;
    for (const text of EDGES) if (same(text)) taken++;
    expect(taken).toBeGreaterThan(10);
  });

  it('takes the one-line values --set and a sweep\'s draws are made of', () => {
    for (const text of ['15:00', '14:35:12.345678', '250.5/s', '"x y"', 'latest', '12', '[a, b]', '{a: 1}']) expect(same(text), text).toBe(true);
  });

  it('takes every shipped scenario and test fixture', () => {
    const files = [...readdirSync('scenarios').map((f) => join('scenarios', f)), ...readdirSync('test/scenario/fixtures').map((f) => join('test/scenario/fixtures', f))].filter((f) => f.endsWith('.yaml'));
    for (const f of files) {
      const text = readFileSync(f, 'utf8');
      expect(explainFast(text, PARSE_OPTIONS), f).toBeNull();
      expect(same(text), f).toBe(true);
    }
  });

  it('takes generated scenarios (scenarioToYaml) and agrees with the library', () => {
    fc.assert(
      fc.property(scenarioArbitrary({ failover: true, seeds: true }), (s) => {
        const text = scenarioToYaml(s);
        expect(explainFast(text, PARSE_OPTIONS)).toBeNull();
        same(text);
      }),
      { numRuns: DEEP ? 3000 : 100, seed: 15 },
    );
  });

  it('agrees with the library on damaged documents (tree mutations)', () => {
    const bases = generatedBases();
    let taken = 0;
    fc.assert(
      fc.property(fc.nat(), fc.array(mutation, { minLength: 1, maxLength: 4 }), (which, muts) => {
        const text = mutate(bases[which % bases.length]!, muts);
        if (text !== null && same(text)) taken++;
      }),
      { numRuns: DEEP ? 20_000 : 500, seed: 1501 },
    );
    expect(taken).toBeGreaterThan(50);
  });

  it('agrees with the library on damaged documents (text edits)', () => {
    const pieces = fc.constantFrom(':', ': ', '{', '}', '[', ']', '- ', ' ', '  ', '\n', '\n  ', '\n- ', '&a ', '*a', '!x ', '"', "'", '#', ' #', '|', '>', '|-', '>+', '%', '@', '`', '\t', ',', '? ', '~', '\\', '\\x', '\\u12', 'x: y', '1e3', '0x1F', '\u0085', '\uFEFF', '\r\n', '---', '...');
    let taken = 0;
    fc.assert(
      fc.property(fc.constantFrom(MACKEREL, readFileSync('scenarios/cybozu-drbd-migration.yaml', 'utf8'), readFileSync('scenarios/sync-standby-crash.yaml', 'utf8')), fc.array(fc.tuple(fc.nat(), fc.nat(3), pieces), { minLength: 1, maxLength: 4 }), (base, edits) => {
        let text = base;
        for (const [pos, del, ins] of edits) {
          const p = pos % (text.length + 1);
          text = text.slice(0, p) + ins + text.slice(p + del);
        }
        if (same(text)) taken++;
      }),
      { numRuns: DEEP ? 30_000 : 800, seed: 1502 },
    );
    expect(taken).toBeGreaterThan(50);
  });
});

/**
 * Repetition (docs/scenario.md, "Repetition"): an entry of a mapping or a list that holds `repeat:` stands
 * for several entries made from it as a template, one per index, with `$i` (or `$(i+1)`, `$(i-1)`,
 * `$(i*2)`, `$(i%2)`) replaced by the index in its keys and string values: N clusters, shards, nodes, DRBD
 * resources or plan steps from one entry. Expanded on the YAML tree after the variant and `--set` changes
 * and before decoding, so the decoder checks every instance as if written out, and an error in one points
 * at the template's line (its message names the instance: the substituted names differ). The parsed
 * document is left as it is (a sweep's next draws apply to the template); the expanded tree is a copy.
 */
import { Pair, YAMLMap, YAMLSeq, isAlias, isMap, isPair, isScalar, isSeq, type Node } from 'yaml';
import type { LoadState } from './decode.ts';
import { show } from './errors.ts';

/** Instances one template may make, and all templates together: a fleet, not a denial of service. */
export const MAX_REPEAT = 1000;
export const MAX_EXPANDED_ENTRIES = 20_000;

interface Repeat {
  readonly variable: string;
  readonly indices: readonly number[];
}

const VAR = /^[a-z][a-z0-9_]{0,15}$/;

function hasRepeat(node: unknown): boolean {
  if (isMap(node)) return node.items.some((p) => (isScalar(p.key) && p.key.value === 'repeat') || hasRepeat(p.value));
  if (isSeq(node)) return node.items.some(hasRepeat);
  return false;
}

/** The document's root with every `repeat:` expanded, or the root itself when there is none. */
export function expandRepeats(root: Node, st: LoadState<object>): Node {
  if (!hasRepeat(root)) return root;
  const budget = { left: MAX_EXPANDED_ENTRIES };
  return expand(copy(root, st), st, [], budget);
}

/** A deep copy that keeps positions and what the loader knows of each node (its --set origin, near miss). */
function copy<T>(node: T, st: LoadState<object>): T {
  if (!node || typeof node !== 'object') return node;
  let out: unknown;
  if (isMap(node) || isSeq(node)) {
    const c = node.clone() as YAMLMap | YAMLSeq;
    c.items = (node.items as unknown[]).map((it) => copy(it, st)) as never;
    out = c;
  } else if (isPair(node)) {
    out = new Pair(copy(node.key, st), copy(node.value, st));
  } else if (isScalar(node) || isAlias(node)) {
    out = node.clone();
  } else return node;
  const origin = st.setOrigins.get(node as object);
  if (origin) st.setOrigins.set(out as object, origin);
  const near = st.nearMisses.get(node as object);
  if (near !== undefined) st.nearMisses.set(out as object, near);
  return out as T;
}

function repeatPair(m: YAMLMap): Pair | undefined {
  return m.items.find((p) => isScalar(p.key) && p.key.value === 'repeat') as Pair | undefined;
}

function intOf(node: unknown, what: string, min: number, max: number, st: LoadState<object>): number {
  const v = isScalar(node) ? node.value : undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) throw st.error(node, `${what} must be a whole number from ${min} to ${max}`, { expected: `an integer ${min}..${max}` });
  return v;
}

/** `repeat: N` (i from 1 to N) or `repeat: {count: N, from: K, as: NAME}`. */
function readRepeat(pair: Pair, enclosing: readonly string[], st: LoadState<object>): Repeat {
  const v = pair.value;
  let count: number;
  let from = 1;
  let variable = 'i';
  if (isMap(v)) {
    for (const p of v.items) {
      const k = isScalar(p.key) ? p.key.value : null;
      if (k !== 'count' && k !== 'from' && k !== 'as') throw st.error(p.key, `unknown key ${show(String(k))} in repeat`, { expected: 'count, from (default 1), as (default i)' });
    }
    if (!v.has('count')) throw st.error(v, 'repeat needs count', { expected: 'repeat: N or {count: N, from?, as?}' });
    count = intOf(v.get('count', true), 'repeat count', 1, MAX_REPEAT, st);
    if (v.has('from')) from = intOf(v.get('from', true), 'repeat from', -1_000_000, 1_000_000, st);
    if (v.has('as')) {
      const a = v.get('as', true);
      variable = isScalar(a) && typeof a.value === 'string' ? a.value : '';
      if (!VAR.test(variable)) throw st.error(a, 'repeat as must be a variable name: a lower-case letter, then letters, digits or _', { expected: 'e.g. as: j' });
    }
  } else count = intOf(v, 'repeat', 1, MAX_REPEAT, st);
  if (enclosing.includes(variable)) {
    throw st.error(pair.key, `this repeat's $${variable} is already the index of an enclosing repeat`, { expected: `its own variable: repeat: {count: ${count}, as: ${variable === 'j' ? 'k' : 'j'}}` });
  }
  return { variable, indices: Array.from({ length: count }, (_, k) => from + k) };
}

const ARITH = /^([a-z][a-z0-9_]*)\s*(?:([-+*%])\s*(\d{1,9}))?$/;

/** The text with `$VAR` and `$(VAR op N)` replaced; a number when the whole text was one of them. */
function substitute(text: string, variable: string, index: number, node: unknown, st: LoadState<object>): string | number {
  let whole: number | null = null;
  const value = (expr: string): number => {
    const m = ARITH.exec(expr.trim())!;
    const n = Number(m[3] ?? 0);
    switch (m[2]) {
      case '+':
        return index + n;
      case '-':
        return index - n;
      case '*':
        return index * n;
      case '%':
        if (n === 0) throw st.error(node, `$(${expr}): division by zero`);
        return ((index % n) + n) % n;
      default:
        return index;
    }
  };
  const re = new RegExp(`\\$\\(\\s*(${variable}\\b[^)]*)\\)|\\$${variable}(?![A-Za-z0-9_])`, 'g');
  const out = text.replace(re, (all, expr: string | undefined, offset: number) => {
    if (expr !== undefined && !ARITH.test(expr.trim())) throw st.error(node, `${show(all)} is not an index expression`, { expected: `$${variable}, $(${variable}+N), $(${variable}-N), $(${variable}*N) or $(${variable}%N)` });
    const n = expr === undefined ? index : value(expr);
    if (offset === 0 && all.length === text.length) whole = n;
    return String(n);
  });
  return whole ?? out;
}

/** Replaces the variable in every key and string value under `node` (in place: `node` is a fresh copy). */
function substituteAll(node: unknown, variable: string, index: number, st: LoadState<object>): void {
  if (isScalar(node)) {
    if (typeof node.value === 'string' && node.value.includes('$')) {
      const v = substitute(node.value, variable, index, node, st);
      if (v !== node.value) {
        node.value = v;
        delete node.source;
      }
    }
  } else if (isMap(node)) {
    for (const p of node.items) {
      substituteAll(p.key, variable, index, st);
      substituteAll(p.value, variable, index, st);
    }
  } else if (isSeq(node)) for (const it of node.items) substituteAll(it, variable, index, st);
}

/** The template's instances: copies without `repeat`, the variable replaced. */
function instances(template: YAMLMap, r: Repeat, st: LoadState<object>, budget: { left: number }): YAMLMap[] {
  budget.left -= r.indices.length;
  if (budget.left < 0) throw st.error(template, `the repeats make more than ${MAX_EXPANDED_ENTRIES} entries in all`);
  return r.indices.map((index) => {
    const m = copy(template, st);
    m.items = m.items.filter((p) => !(isScalar(p.key) && p.key.value === 'repeat'));
    substituteAll(m, r.variable, index, st);
    return m;
  });
}

function mentions(node: unknown, variable: string): boolean {
  return isScalar(node) && typeof node.value === 'string' && new RegExp(`\\$(\\(\\s*)?${variable}(?![A-Za-z0-9_])`).test(node.value);
}

/** Expands the templates under `node` (a copy, changed in place), outermost first. */
function expand(node: Node, st: LoadState<object>, enclosing: readonly string[], budget: { left: number }): Node {
  if (isMap(node)) {
    const items: Pair[] = [];
    for (const p of node.items as Pair[]) {
      const v = p.value;
      const rp = isMap(v) ? repeatPair(v) : undefined;
      if (!rp) {
        if (p.value && typeof p.value === 'object') p.value = expand(p.value as Node, st, enclosing, budget);
        items.push(p);
        continue;
      }
      const r = readRepeat(rp, enclosing, st);
      if (r.indices.length > 1 && !mentions(p.key, r.variable)) {
        throw st.error(p.key, `repeat makes ${r.indices.length} entries named ${show(String(isScalar(p.key) ? p.key.value : ''))}`, { expected: `$${r.variable} in the name (e.g. ${String(isScalar(p.key) ? p.key.value : 'x')}-$${r.variable})` });
      }
      for (const [k, m] of instances(v as YAMLMap, r, st, budget).entries()) {
        const key = copy(p.key, st);
        substituteAll(key, r.variable, r.indices[k]!, st);
        items.push(new Pair(key, expand(m, st, [...enclosing, r.variable], budget)));
      }
    }
    node.items = items as never;
    return node;
  }
  if (isSeq(node)) {
    const items: unknown[] = [];
    // Messages count the entries as written (a --set path cannot address an instance): remember where each came from.
    const templated = node.items.some((it) => isMap(it) && repeatPair(it) !== undefined);
    for (const [t, it] of node.items.entries()) {
      const rp = isMap(it) ? repeatPair(it) : undefined;
      if (!rp) {
        const out = it && typeof it === 'object' ? expand(it as Node, st, enclosing, budget) : it;
        if (templated && out && typeof out === 'object') st.listOrigins.set(out, { index: t, instance: null });
        items.push(out);
        continue;
      }
      const r = readRepeat(rp, enclosing, st);
      const name = (it as YAMLMap).get('name', true);
      if (r.indices.length > 1 && name !== undefined && !mentions(name, r.variable)) {
        throw st.error(name, `repeat makes ${r.indices.length} entries named ${show(String(isScalar(name) ? name.value : ''))}`, { expected: `$${r.variable} in the name` });
      }
      for (const [k, m] of instances(it as YAMLMap, r, st, budget).entries()) {
        const out = expand(m, st, [...enclosing, r.variable], budget);
        st.listOrigins.set(out, { index: t, instance: { variable: r.variable, value: r.indices[k]! } });
        items.push(out);
      }
    }
    node.items = items;
    return node;
  }
  return node;
}

/**
 * Loading a scenario file: YAML text -> (variant and --set changes on the AST, then `repeat:` templates
 * expanded on a copy) -> decoded `Scenario`, or
 * one ScenarioError with file:line:column. Nothing but ScenarioError ever leaves these functions.
 */
import { LineCounter, Scalar, YAMLSeq, isAlias, isMap, isScalar, isSeq, parseDocument, type Document, type DocumentOptions, type Node, type ParseOptions, type SchemaOptions } from 'yaml';
import type { Scenario } from './types.ts';
import { ScenarioError, didYouMean, listing, show } from './errors.ts';
import { Ctx, LoadState } from './decode.ts';
import { MAX_SCENARIO_BYTES, readScenarioInput, STDIN_NAME } from './read.ts';
import { parseFast, parseFastValue } from './yaml-fast.ts';
import { newEnv, scenarioDecoder, variantsDecoder, type Env, type ListOps, type VariantDef } from './grammar.ts';
import { allNodes, applySet } from './paths.ts';
import { expandRepeats } from './repeat.ts';

export interface LoadOptions {
  /** Apply this variant's `set` entries (from the file's `variants`) before decoding. */
  variant?: string | null;
  /** `PATH=VALUE` changes (command-line --set), applied after the variant, in order. */
  sets?: readonly string[];
  /** Overrides the file's seed. */
  seed?: number | null;
}

export { MAX_SCENARIO_BYTES } from './read.ts';

/** How scenario YAML is read: YAML 1.2, core schema (yes/no are strings), no merge keys. */
export const PARSE_OPTIONS: ParseOptions & DocumentOptions & SchemaOptions = {
  version: '1.2',
  schema: 'core',
  prettyErrors: false,
  // Duplicate keys are reported by the decoder: yaml's own check is quadratic in the number of keys.
  uniqueKeys: false,
  merge: false,
  strict: true,
  stringKeys: false,
};

function firstLine(message: string): string {
  return (message.split('\n')[0] ?? message).replace(/ at line \d+, column \d+:?$/, '').trim();
}

function parseYaml(text: string, onError: (line: number, col: number, message: string) => never): { doc: Document; lc: LineCounter } {
  const lc = new LineCounter();
  let doc: Document;
  try {
    doc = parseDocument(text, { ...PARSE_OPTIONS, lineCounter: lc }) as Document;
  } catch (e) {
    return onError(1, 1, `could not parse YAML: ${firstLine(e instanceof Error ? e.message : String(e))}`);
  }
  const err = doc.errors[0];
  if (err) {
    const p = lc.linePos(err.pos[0]);
    const msg = /call stack/i.test(err.message) ? 'the document is nested too deeply' : `YAML syntax error: ${firstLine(err.message)}`;
    return onError(p.line, p.col, msg);
  }
  return { doc, lc };
}

function parseScenarioYaml(text: string, file: string): { doc: Document; st: LoadState<Env> } {
  if (typeof text !== 'string') throw new ScenarioError(file, 1, 1, 'the scenario text is not a string');
  if (text.length > MAX_SCENARIO_BYTES) throw new ScenarioError(file, 1, 1, `the text is too large (${text.length} characters, at most ${MAX_SCENARIO_BYTES})`);
  // The fast path reads what scenario files are made of; anything else (and every error) goes to the yaml library.
  const { doc, lc } =
    parseFast(text, PARSE_OPTIONS) ??
    parseYaml(text, (line, col, message) => {
      throw new ScenarioError(file, line, col, message);
    });
  return { doc, st: new LoadState<Env>(file, doc, lc, newEnv(file, null)) };
}

function rootPair(doc: Document, key: string) {
  const root = doc.contents;
  if (!isMap(root)) return undefined;
  return root.items.find((p) => isScalar(p.key) && p.key.value === key);
}

function readVariants(doc: Document, st: LoadState<Env>): VariantDef[] {
  const pair = rootPair(doc, 'variants');
  if (!pair || pair.value === null || (isScalar(pair.value) && pair.value.value === null)) return [];
  return variantsDecoder.decode(pair.value as Node, new Ctx(st, '', 'variants', 1));
}

function setRange(node: Node, from: Node): void {
  if (from.range) (node as { range?: [number, number, number] }).range = [from.range[0], from.range[1], from.range[2]];
}

/** The variants read while applying one, per load (to tell whether an error lies inside the variant). */
const appliedVariants = new WeakMap<LoadState<Env>, VariantDef[]>();

function applyVariant(doc: Document, st: LoadState<Env>, variant: string): void {
  const variants = st.decodeAll(() => readVariants(doc, st));
  appliedVariants.set(st, variants);
  const v = variants.find((x) => x.name === variant);
  if (!v) {
    const names = variants.map((x) => x.name);
    const at = rootPair(doc, 'variants')?.key ?? null;
    const hint = didYouMean(variant, names);
    throw st.error(at, `unknown variant ${show(variant)}`, {
      expected: names.length ? `one of: ${listing(names)}` : 'a variant defined under variants: (the file has none)',
      ...(hint ? { hint: `${hint} (variants: ${listing(names)})` } : {}),
    });
  }
  for (const list of ['plan', 'faults'] as const) {
    const ops = v[list];
    if (ops) applyListOps(doc, st, v, list, ops);
  }
  for (const s of v.set) {
    const value = (s.value as unknown as { clone?: () => Node }).clone?.() ?? s.value;
    applySet(doc, s.path, value, {
      fail: (message, hint) => {
        throw st.error(s.keyNode, `variant ${show(v.name)}: set ${s.path}: ${message}`, hint ? { hint } : {});
      },
      mark: (n) => setRange(n, s.keyNode),
      nearMiss: (n, hint) => st.nearMisses.set(n, hint),
    });
  }
}

/** The name of a list entry (its `name` field), or null. */
function entryName(item: unknown): string | null {
  if (!isMap(item)) return null;
  const n = item.get('name');
  return typeof n === 'string' ? n : null;
}

/**
 * A variant's `plan:` or `faults:` operations on the document: remove entries by name, move them to a new
 * time, append new ones (in that order, before the variant's `set`). Added and moved values keep their
 * positions in the variant, so errors in them point there.
 */
function applyListOps(doc: Document, st: LoadState<Env>, v: VariantDef, list: 'plan' | 'faults', ops: ListOps): void {
  const root = doc.contents;
  if (!isMap(root)) return;
  let seq = root.get(list, true) as unknown;
  if (!isSeq(seq)) {
    if (seq !== undefined && seq !== null && !(isScalar(seq) && seq.value === null)) throw st.error(seq, `variant ${show(v.name)}: ${list} is not a list, so entries cannot be added or removed`);
    seq = new YAMLSeq();
    const key = new Scalar(list);
    setRange(key, v.node);
    setRange(seq as Node, v.node);
    const pair = root.items.find((p) => isScalar(p.key) && p.key.value === list);
    if (pair) pair.value = seq;
    else root.items.push(doc.createPair(key, seq) as (typeof root.items)[number]);
  }
  const items = (seq as YAMLSeq<unknown>).items;
  const find = (name: string, node: Node, what: string): number => {
    const i = items.findIndex((it) => entryName(it) === name);
    if (i < 0) {
      const names = items.map(entryName).filter((n): n is string => n !== null);
      const hint = didYouMean(name, names);
      throw st.error(node, `variant ${show(v.name)}: cannot ${what} ${list} entry ${show(name)}: there is none of that name`, { expected: names.length ? `one of: ${listing(names)}` : `a named entry of ${list} (it has none)`, ...(hint ? { hint } : {}) });
    }
    return i;
  };
  for (const r of ops.remove) items.splice(find(r.name, r.node, 'remove'), 1);
  for (const m of ops.move) {
    const item = items[find(m.name, m.keyNode, 'move')];
    if (isMap(item)) item.set('at', (m.at as unknown as { clone?: () => Node }).clone?.() ?? m.at);
  }
  for (const a of ops.add) items.push((a as unknown as { clone?: () => Node }).clone?.() ?? a);
}

/** An error found while decoding with a variant applied names the variant (inside its lines, as its own). */
function namingVariant(e: unknown, doc: Document, st: LoadState<Env>, variant: string | null): unknown {
  if (variant === null || !(e instanceof ScenarioError)) return e;
  const v = appliedVariants.get(st)?.find((x) => x.name === variant);
  const range = v?.node.range;
  const one = (x: ScenarioError): ScenarioError => {
    if (x.setArg !== undefined || x.message.startsWith('variant ')) return x;
    const inside = range ? x.line >= st.lineCounter.linePos(range[0]).line && x.line <= st.lineCounter.linePos(Math.max(range[0], range[1] - 1)).line : false;
    const message = inside ? `variant ${show(variant)}: ${x.message}` : `${x.message} (with variant ${show(variant)})`;
    return new ScenarioError(x.file, x.line, x.column, message, { ...(x.expected !== undefined ? { expected: x.expected } : {}), ...(x.hint !== undefined ? { hint: x.hint } : {}) });
  };
  const [first, ...others] = e.errors.map(one);
  return first!.withOthers(others, e.truncated);
}

function applyCommandLineSet(doc: Document, st: LoadState<Env>, arg: string): void {
  const fail = (message: string, hint?: string, column = 1): never => {
    throw new ScenarioError(st.file, 1, column, message, { setArg: arg, ...(hint ? { hint } : {}) });
  };
  if (typeof arg !== 'string') return fail('expected a PATH=VALUE string');
  if (arg.length > 100_000) fail('the argument is too long');
  const eq = arg.indexOf('=');
  if (eq < 0) fail('expected PATH=VALUE', 'e.g. --set plan.0.at=14:31');
  const path = arg.slice(0, eq).trim();
  const valueText = arg.slice(eq + 1);
  // The fast path's value, or the library's (which also words the errors).
  let value = parseFastValue(valueText, PARSE_OPTIONS) ?? (parseYaml(valueText, (_l, col, message) => fail(`the value is not valid YAML: ${message}`, undefined, eq + 1 + col)).doc.contents as Node | null);
  if (value === null) {
    value = new Scalar(null);
    value.range = [0, 0, 0];
  }
  const nodes = isScalar(value) ? [value] : allNodes(value);
  let aliases = 0;
  for (const n of nodes) {
    if (isAlias(n) || ++aliases > 100_000) fail(isAlias(n) ? 'aliases are not allowed in --set values' : 'the value is too large');
    st.setOrigins.set(n, { arg, column: eq + 2 + (n.range?.[0] ?? 0) });
  }
  applySet(doc, path, value, {
    fail: (message, hint) => fail(message, hint),
    mark: (n) => st.setOrigins.set(n, { arg, column: 1 }),
    nearMiss: (n, hint) => st.nearMisses.set(n, hint),
  });
}

/** Parses the text and applies the variant and the --set changes: the document the decoder reads. */
function prepare(text: string, file: string, opts: LoadOptions): { doc: Document; st: LoadState<Env> } {
  const { doc, st } = parseScenarioYaml(text, file);
  const variant = opts.variant ?? null;
  (st.env as { variant: string | null }).variant = variant;
  if (variant !== null) {
    if (typeof variant !== 'string') throw new ScenarioError(file, 1, 1, 'the variant option must be a string');
    applyVariant(doc, st, variant);
  }
  for (const arg of opts.sets ?? []) applyCommandLineSet(doc, st, arg);
  return { doc, st };
}

/** The tree the decoder reads: the document with its `repeat:` templates expanded (repeat.ts). */
function decodedRoot(doc: Document, st: LoadState<Env>): Node {
  const root = (doc.contents as Node | null) ?? Object.assign(new Scalar(null), { range: [0, 0, 0] as [number, number, number] });
  return expandRepeats(root, st);
}

function decodeDocument(doc: Document, st: LoadState<Env>, seed: number | null | undefined, root: Node = decodedRoot(doc, st)): Scenario {
  st.aliasCount = 0;
  const scenario = st.decodeAll(() => scenarioDecoder.decode(root, new Ctx(st, '', null, 0)));
  if (seed !== undefined && seed !== null) {
    if (!Number.isSafeInteger(seed) || seed < 0) throw new ScenarioError(st.file, 1, 1, `the seed option ${show(String(seed))} is not an integer >= 0`);
    return { ...scenario, seed };
  }
  return scenario;
}

function load(text: string, file: string, opts: LoadOptions): Scenario {
  const { doc, st } = prepare(text, file, opts);
  try {
    return decodeDocument(doc, st, opts.seed);
  } catch (e) {
    throw namingVariant(e, doc, st, opts.variant ?? null);
  }
}

/** Turns anything thrown while loading into a ScenarioError. */
function guard<T>(file: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof ScenarioError) throw e;
    if (e instanceof RangeError) throw new ScenarioError(file, 1, 1, `the document is too deeply nested or too large (${e.message})`);
    throw new ScenarioError(file, 1, 1, `internal error while loading the scenario: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/** Decodes scenario YAML text; `file` is used in messages. Throws ScenarioError. */
export function loadScenarioText(text: string, file: string, opts: LoadOptions = {}): Scenario {
  return guard(file, () => load(text, file, opts));
}

/** Reads (at most MAX_SCENARIO_BYTES) and decodes a scenario file; `-` is standard input. Throws ScenarioError. */
export function loadScenarioFile(path: string, opts: LoadOptions = {}): Scenario {
  const text = readScenarioInput(path);
  return loadScenarioText(text, path === '-' ? STDIN_NAME : path, opts);
}

/** The variants a scenario file defines, in file order. Throws ScenarioError. */
export function listVariants(text: string, file: string): { name: string; description: string }[] {
  return guard(file, () => {
    const { doc, st } = parseScenarioYaml(text, file);
    return st.decodeAll(() => readVariants(doc, st)).map((v) => ({ name: v.name, description: v.description }));
  });
}


/** A position in a scenario file, 1-based. */
export interface FilePosition {
  readonly line: number;
  readonly column: number;
}

/**
 * A scenario with the document it was decoded from (variant and --set applied), for tools that point at
 * lines: `positionOf('clusters.c.nodes.n.settings')` is where that value is written (a value a variant set
 * is at the variant's line; one from --set is at line 1), or the nearest enclosing value that is written.
 */
export interface LocatedScenario {
  readonly scenario: Scenario;
  positionOf(path: string): FilePosition;
  /** The entries of the list at `path` in file order: where each is, and its scalar fields as written. */
  entriesOf(path: string): { readonly position: FilePosition; readonly fields: ReadonlyMap<string, string> }[];
}

/** Loads as loadScenarioText does, keeping the document's positions. Throws ScenarioError. */
export function loadLocatedScenario(text: string, file: string, opts: LoadOptions = {}): LocatedScenario {
  return guard(file, () => {
    const { doc, st } = prepare(text, file, opts);
    const root = decodedRoot(doc, st);
    const scenario = decodeDocument(doc, st, opts.seed, root);
    const positionOf = (path: string): FilePosition => {
      let best: Node | null = null;
      let cur: unknown = root;
      for (const seg of path === '' ? [] : path.split('.')) {
        if (cur && typeof cur === 'object' && 'range' in cur && (cur as Node).range) best = cur as Node;
        cur = childOf(cur, seg);
        if (cur === undefined) break;
      }
      if (cur && typeof cur === 'object' && (cur as Node).range) best = cur as Node;
      const origin = best ? st.setOrigins.get(best) : undefined;
      if (!best?.range || origin) return { line: 1, column: 1 };
      const p = st.lineCounter.linePos(best.range[0]);
      return { line: p.line, column: p.col };
    };
    const at = (n: Node): FilePosition => {
      if (!n.range || st.setOrigins.get(n)) return { line: 1, column: 1 };
      const p = st.lineCounter.linePos(n.range[0]);
      return { line: p.line, column: p.col };
    };
    const entriesOf = (path: string) => {
      let cur: unknown = root;
      for (const seg of path.split('.')) cur = childOf(cur, seg);
      if (!isSeq(cur)) return [];
      return cur.items.map((it) => {
        const fields = new Map<string, string>();
        if (isMap(it)) for (const p of it.items) if (isScalar(p.key) && isScalar(p.value) && p.value.value !== null) fields.set(String(p.key.value), String(p.value.value));
        return { position: at(it as Node), fields };
      });
    };
    return { scenario, positionOf, entriesOf };
  });
}

/** The value at one path segment: a mapping's key, or a list entry by index or by name. */
function childOf(node: unknown, seg: string): unknown {
  if (isMap(node)) {
    const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === seg);
    if (!pair) return undefined;
    // A key without a value: point at the key.
    return pair.value ?? pair.key;
  }
  if (isSeq(node)) {
    if (/^\d+$/.test(seg)) return node.items[Number(seg)];
    return node.items.find((it) => isMap(it) && it.get('name') === seg);
  }
  return undefined;
}

/**
 * A scenario parsed once (variant and --set applied), decoded again for each set of changes: a sweep's
 * draws. `decode` applies each PATH=VALUE change to the parsed document (the same path is replaced on the
 * next call, never re-parsed) and decodes it, so every drawn value is validated as a --set value is.
 */
export interface PreparedScenario {
  decode(changes: readonly { readonly path: string; readonly value: string }[], seed?: number | null): Scenario;
}

export function prepareScenario(text: string, file: string, opts: LoadOptions = {}): PreparedScenario {
  const { doc, st } = guard(file, () => prepare(text, file, opts));
  const variant = opts.variant ?? null;
  return {
    decode: (changes, seed) =>
      guard(file, () => {
        for (const c of changes) applyCommandLineSet(doc, st, `${c.path}=${c.value}`);
        // Each decode starts from a fresh environment (the decoders record names and times in it).
        Object.assign(st, { env: newEnv(file, variant), truncated: false });
        st.errors.length = 0;
        st.incomplete.clear();
        return decodeDocument(doc, st, seed ?? opts.seed);
      }),
  };
}

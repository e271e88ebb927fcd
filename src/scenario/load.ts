/**
 * Loading a scenario file: YAML text -> (variant and --set changes on the AST) -> decoded `Scenario`, or
 * one ScenarioError with file:line:column. Nothing but ScenarioError ever leaves these functions.
 */
import { LineCounter, Scalar, isAlias, isMap, isScalar, parseDocument, type Document, type DocumentOptions, type Node, type ParseOptions, type SchemaOptions } from 'yaml';
import type { Scenario } from './types.ts';
import { ScenarioError, didYouMean, listing, show } from './errors.ts';
import { Ctx, LoadState } from './decode.ts';
import { MAX_SCENARIO_BYTES, readScenarioInput, STDIN_NAME } from './read.ts';
import { parseFast } from './yaml-fast.ts';
import { newEnv, scenarioDecoder, variantsDecoder, type Env, type VariantDef } from './grammar.ts';
import { allNodes, applySet } from './paths.ts';

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

function applyVariant(doc: Document, st: LoadState<Env>, variant: string): void {
  const variants = st.decodeAll(() => readVariants(doc, st));
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
  const { doc: vdoc } = parseYaml(valueText, (_l, col, message) => fail(`the value is not valid YAML: ${message}`, undefined, eq + 1 + col));
  let value = vdoc.contents as Node | null;
  if (value === null) {
    value = new Scalar(null);
    value.range = [0, 0, 0];
  }
  const nodes = allNodes(value);
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

function load(text: string, file: string, opts: LoadOptions): Scenario {
  const { doc, st } = parseScenarioYaml(text, file);
  const variant = opts.variant ?? null;
  (st.env as { variant: string | null }).variant = variant;
  if (variant !== null) {
    if (typeof variant !== 'string') throw new ScenarioError(file, 1, 1, 'the variant option must be a string');
    applyVariant(doc, st, variant);
  }
  for (const arg of opts.sets ?? []) applyCommandLineSet(doc, st, arg);
  st.aliasCount = 0;
  const root = (doc.contents as Node | null) ?? Object.assign(new Scalar(null), { range: [0, 0, 0] as [number, number, number] });
  const scenario = st.decodeAll(() => scenarioDecoder.decode(root, new Ctx(st, '', null, 0)));
  if (opts.seed !== undefined && opts.seed !== null) {
    if (!Number.isSafeInteger(opts.seed) || opts.seed < 0) throw new ScenarioError(file, 1, 1, `the seed option ${show(String(opts.seed))} is not an integer >= 0`);
    return { ...scenario, seed: opts.seed };
  }
  return scenario;
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


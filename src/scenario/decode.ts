/**
 * Small typed decoder combinators over the YAML AST. Each decoder turns a YAML node into a typed value or
 * throws a ScenarioError at that node's line:column, and can describe itself as a JSON Schema fragment, so
 * the grammar (grammar.ts) is written once and gives both the loader and docs/scenario.schema.json.
 */
import { Scalar, isAlias, isMap, isScalar, isSeq, type Document, type LineCounter, type Node, type Pair, type YAMLMap, type YAMLSeq } from 'yaml';
import type { Parsed } from './units.ts';
import { ScenarioError, didYouMean, listing, show, type ScenarioErrorInit } from './errors.ts';

export type JsonSchema = { [key: string]: unknown };

/** Collects named definitions ($defs) while a schema is built. */
export class SchemaBuilder {
  readonly defs: Record<string, JsonSchema> = {};
  /** A reference to the definition `name`, building it on first use. */
  ref(name: string, build: () => JsonSchema): JsonSchema {
    if (!(name in this.defs)) {
      this.defs[name] = {};
      this.defs[name] = build();
    }
    return { $ref: `#/$defs/${name}` };
  }
}

export interface Decoder<T> {
  /** What a value must look like, for messages: `a duration like "90s"`. */
  readonly expected: string;
  decode(node: Node, ctx: Ctx<any>): T;
  schema(b: SchemaBuilder): JsonSchema;
}

/** Where a node came from when it is not in the file: a command-line --set value. */
export interface SetOrigin {
  readonly arg: string;
  /** 1-based column in `arg` of the node (or of the value when unknown). */
  readonly column: number;
}

export const MAX_DEPTH = 40;
export const MAX_ALIASES = 100;
/** A load reports at most this many errors of one document. */
export const MAX_ERRORS = 20;

/**
 * Thrown where decoding gave up on a value whose errors are already recorded in the LoadState: the
 * enclosing list, mapping or object goes on with its other entries and fails in turn, without a new error.
 */
export class Recorded extends Error {
  override readonly name = 'Recorded';
  constructor() {
    super('errors recorded');
  }
}

/** Thrown once MAX_ERRORS errors are recorded, or after an error that makes going on pointless: stop decoding. */
export class StopDecoding extends Error {
  override readonly name = 'StopDecoding';
  constructor() {
    super('stop decoding');
  }
}

export interface ListOrigin {
  readonly index: number;
  readonly instance: { readonly variable: string; readonly value: number } | null;
}

/** Per-load state shared by all contexts: the file, positions, and facts later decoders depend on. */
export class LoadState<Env extends object = Record<string, unknown>> {
  aliasCount = 0;
  /** Nodes that came from --set arguments (and the keys/maps created for them). */
  readonly setOrigins = new WeakMap<object, SetOrigin>();
  /** Mappings a set path created beside an almost identical key: the did-you-mean for errors in them. */
  readonly nearMisses = new WeakMap<object, string>();
  /**
   * Entries of a list that holds `repeat:` templates (repeat.ts): the entry's index in the list as written,
   * which is what a --set path counts, and for an instance its variable's value.
   */
  readonly listOrigins = new WeakMap<object, ListOrigin>();
  /**
   * The errors found so far. Decoding goes on after an error in a list item, a mapping entry, an unknown
   * key or a field no later field depends on (one with no `after` hook), so that one load reports every
   * error of a file, up to MAX_ERRORS.
   */
  readonly errors: ScenarioError[] = [];
  /** More than MAX_ERRORS errors were found. */
  truncated = false;
  /**
   * Kinds of names (node, slot, ...) of which some definition failed to decode: a reference to an unknown
   * one is then probably a consequence, not a mistake of its own, and is not reported.
   */
  readonly incomplete = new Set<string>();

  constructor(
    readonly file: string,
    readonly doc: Document,
    readonly lineCounter: LineCounter,
    readonly env: Env,
  ) {}

  /**
   * Records what a decoder threw, so that its caller can go on with the next entry: true for a ScenarioError
   * (now recorded) and for Recorded; false for anything else, which the caller rethrows.
   */
  record(e: unknown): boolean {
    if (e instanceof Recorded) return true;
    if (!(e instanceof ScenarioError)) return false;
    const text = e.format();
    if (!this.errors.some((x) => x.format() === text)) this.errors.push(e);
    if (this.errors.length >= MAX_ERRORS) {
      this.truncated = true;
      throw new StopDecoding();
    }
    return true;
  }

  /** Runs `decode`; afterwards (or when it throws) every recorded error is thrown as one ScenarioError. */
  decodeAll<T>(decode: () => T): T {
    let value: T;
    try {
      value = decode();
    } catch (e) {
      if (!(e instanceof StopDecoding) && !this.record(e)) throw e;
    }
    const [first, ...others] = this.errors;
    if (first) throw first.withOthers(others, this.truncated);
    return value!;
  }

  /** A ScenarioError at `node` (its set origin, its range, or 1:1). */
  error(node: unknown, message: string, init: ScenarioErrorInit = {}): ScenarioError {
    const nearMiss = node && typeof node === 'object' && init.hint === undefined ? this.nearMisses.get(node) : undefined;
    if (nearMiss !== undefined) init = { ...init, hint: nearMiss };
    const origin = node && typeof node === 'object' ? this.setOrigins.get(node) : undefined;
    if (origin) return new ScenarioError(this.file, 1, origin.column, message, { ...init, setArg: origin.arg });
    const range = (node as { range?: [number, number, number] } | null | undefined)?.range;
    if (range) {
      const p = this.lineCounter.linePos(range[0]);
      return new ScenarioError(this.file, p.line, p.col, message, init);
    }
    return new ScenarioError(this.file, 1, 1, message, init);
  }
}

/** A position in the document for messages: what contains the value, and the value's key. */
export class Ctx<Env extends object = Record<string, unknown>> {
  constructor(
    readonly st: LoadState<Env>,
    /** The container, e.g. `node "pg2"`, `settings of node "pg2"`, `plan.1`; '' at the top. */
    readonly where: string,
    /** The key of the value being decoded, if any. */
    readonly key: string | null,
    readonly depth: number,
  ) {}

  get env(): Env {
    return this.st.env;
  }

  /** The context for the value of `key` inside the value this context decodes. */
  field(key: string): Ctx<Env> {
    return new Ctx(this.st, this.container, key, this.depth + 1);
  }

  /** The context for a value described by `where` (a list item, a named map entry). */
  within(where: string): Ctx<Env> {
    return new Ctx(this.st, where, null, this.depth + 1);
  }

  /** How the value this context decodes is named as a container: `settings of node "pg2"`. */
  get container(): string {
    if (this.key === null) return this.where;
    return this.where ? `${this.key} of ${this.where}` : this.key;
  }

  /** How the value this context decodes is named as a subject: `wal_keep_size in settings of node "pg2"`. */
  get subject(): string {
    if (this.key === null) return this.where || 'the document';
    return this.where ? `${this.key} in ${this.where}` : this.key;
  }

  /** ` in X` or ` at the top level`. */
  get inContainer(): string {
    const c = this.container;
    return c ? ` in ${c}` : ' at the top level';
  }

  fail(node: unknown, message: string, init: ScenarioErrorInit = {}): never {
    throw this.st.error(node, message, init);
  }

  /** An error after which decoding stops (it would only repeat): recorded, then StopDecoding. */
  stop(node: unknown, message: string): never {
    this.st.errors.push(this.st.error(node, message));
    throw new StopDecoding();
  }

  /**
   * A reference to a `kind` of thing the file does not define: an error, unless a definition of that kind
   * failed to decode (then it is probably why, and the reference is skipped without a message).
   */
  failReference(kind: string, node: unknown, message: string, init: ScenarioErrorInit = {}): never {
    if (this.st.incomplete.has(kind)) throw new Recorded();
    return this.fail(node, message, init);
  }

  /** Follows aliases (counted, to stop alias bombs) and stops runaway nesting. */
  resolve(node: Node): Node {
    if (this.depth > MAX_DEPTH) this.stop(node, `${this.subject} is nested too deeply`);
    let n: Node = node;
    for (let hops = 0; isAlias(n); hops++) {
      if (++this.st.aliasCount > MAX_ALIASES || hops > MAX_ALIASES) this.stop(node, `too many aliases (more than ${MAX_ALIASES})`);
      const target = n.resolve(this.st.doc);
      if (!target) this.fail(n, `unknown alias *${n.source}`);
      n = target as Node;
    }
    return n;
  }
}

// ---------------------------------------------------------------------------------------------------------
// Helpers

/**
 * `{ ...a, ...b }` (same keys, same order) without object spread: V8 clones objects of many shapes (a decoded
 * action is one of dozens) through a slow path, microseconds each, most of a large plan's decoding.
 */
export function extend<A extends object, B extends object>(a: A, b: B): A & B {
  const out: Record<string, unknown> = {};
  for (const k in a) if (Object.hasOwn(a, k)) out[k] = a[k];
  for (const k in b) if (Object.hasOwn(b, k)) out[k] = b[k];
  return out as A & B;
}

export function isNull(node: Node | null | undefined): boolean {
  return node === null || node === undefined || (isScalar(node) && node.value === null);
}

/** `a mapping`, `a list`, `the number 15`, `the string "x"`, `nothing`. */
export function describeNode(node: Node | null | undefined): string {
  if (node === null || node === undefined) return 'nothing';
  if (isMap(node)) return 'a mapping';
  if (isSeq(node)) return 'a list';
  if (isAlias(node)) return `an alias *${node.source}`;
  if (isScalar(node)) {
    const v = node.value;
    if (v === null) return 'nothing (null)';
    if (typeof v === 'string') return `the string ${show(v)}`;
    if (typeof v === 'number') return `the number ${(node.source ?? String(v)).slice(0, 40)}`;
    if (typeof v === 'boolean') return String(v);
    return `a ${typeof v}`;
  }
  return 'an unsupported value';
}

export function typeError(node: Node, ctx: Ctx<object>, expected: string, init: ScenarioErrorInit = {}): never {
  return ctx.fail(node, `${ctx.subject} must be ${expected}, not ${describeNode(node)}`, { expected, ...init });
}

/** The text of a mapping key: plain strings (numbers and booleans by their source spelling). */
export function keyText(pair: Pair, ctx: Ctx<object>, parent: Node): { text: string; node: Node } {
  const k = pair.key as Node | null;
  if (k === null || k === undefined) ctx.fail(parent, `empty key${ctx.inContainer}`);
  const key = ctx.resolve(k);
  if (isScalar(key)) {
    const v = key.value;
    if (typeof v === 'string') return { text: v, node: key };
    if (typeof v === 'number' || typeof v === 'boolean') return { text: key.source ?? String(v), node: key };
    if (v === null) ctx.fail(k.range ? k : parent, `empty key${ctx.inContainer}`);
  }
  return ctx.fail(k.range ? k : parent, `keys must be plain names, not ${describeNode(key)}${ctx.inContainer}`);
}

/** A scalar's value, or a type error. */
function scalar(node: Node, ctx: Ctx<object>, expected: string): { value: unknown; node: Node } {
  const n = ctx.resolve(node);
  if (!isScalar(n)) typeError(n, ctx, expected);
  return { value: n.value, node: n };
}

// ---------------------------------------------------------------------------------------------------------
// Combinators

export function custom<T>(expected: string, schema: (b: SchemaBuilder) => JsonSchema, decode: (node: Node, ctx: Ctx<any>) => T): Decoder<T> {
  return { expected, schema, decode };
}

/** Attaches a description (and other annotations) to a decoder's schema. */
export function describe<T>(d: Decoder<T>, description: string, extra: JsonSchema = {}): Decoder<T> {
  return { ...d, schema: (b) => ({ ...d.schema(b), description, ...extra }) };
}

/** The same decoder, its schema kept once under $defs/name and referenced. */
export function defined<T>(name: string, d: Decoder<T>): Decoder<T> {
  return { ...d, schema: (b) => b.ref(name, () => d.schema(b)) };
}

/** Transforms a decoded value; `f` may fail at `node`. */
export function map<A, B>(d: Decoder<A>, f: (a: A, node: Node, ctx: Ctx<any>) => B): Decoder<B> {
  return { expected: d.expected, schema: d.schema, decode: (node, ctx) => f(d.decode(node, ctx), ctx.resolve(node), ctx) };
}

/**
 * Characters no name or description may hold: C0 and C1 controls but tab, line feed and carriage return,
 * DEL, the noncharacters U+FFFE and U+FFFF, and unpaired surrogates (none is allowed in XML 1.0, and
 * control characters would act on a terminal).
 */
const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

export function string(opts: { pattern?: RegExp; patternText?: string; maxLength?: number; nonEmpty?: boolean; expected?: string } = {}): Decoder<string> {
  const maxLength = opts.maxLength ?? 1000;
  const expected = opts.expected ?? 'a string';
  return {
    expected,
    schema: () => ({ type: 'string', ...(opts.nonEmpty ? { minLength: 1 } : {}), maxLength, ...(opts.pattern ? { pattern: opts.pattern.source } : {}) }),
    decode(node, ctx) {
      const s = scalar(node, ctx, expected);
      if (typeof s.value !== 'string') typeError(s.node, ctx, expected);
      if (s.value.length > maxLength) ctx.fail(s.node, `${ctx.subject} is too long (${s.value.length} characters, at most ${maxLength})`);
      const bad = CONTROL.exec(s.value);
      if (bad) {
        const c = bad[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0');
        ctx.fail(s.node, `${ctx.subject} contains the control character U+${c} (character ${bad.index + 1})`, {
          hint: 'remove it: names and descriptions are printed on terminals and in SVG charts (tabs and line breaks are fine)',
        });
      }
      if (opts.nonEmpty && s.value.trim() === '') ctx.fail(s.node, `${ctx.subject} must not be empty`, { expected });
      if (opts.pattern && !opts.pattern.test(s.value)) {
        ctx.fail(s.node, `${ctx.subject}: ${show(s.value)} is not ${opts.patternText ?? expected}`, { expected: opts.patternText ?? expected });
      }
      return s.value;
    },
  };
}

export function boolean(): Decoder<boolean> {
  const expected = 'true or false';
  return {
    expected,
    schema: () => ({ type: 'boolean' }),
    decode(node, ctx) {
      const s = scalar(node, ctx, expected);
      if (typeof s.value === 'boolean') return s.value;
      const hint = typeof s.value === 'string' && /^(yes|no|on|off|y|n)$/i.test(s.value) ? `YAML 1.2 reads ${show(s.value)} as a string: write ${/^(yes|on|y)$/i.test(s.value) ? 'true' : 'false'}` : undefined;
      return typeError(s.node, ctx, expected, hint ? { hint } : {});
    },
  };
}

/**
 * A PostgreSQL boolean setting, spelled as postgresql.conf accepts it: true or false, or the strings of
 * bool.c parse_bool_with_len (on/off, yes/no, true/false, 1/0 and their unambiguous prefixes, any case),
 * so that `hot_standby_feedback: on`, which YAML 1.2 reads as the string "on", means what it says.
 */
export function pgBoolean(): Decoder<boolean> {
  const expected = 'true or false (or on, off, yes, no, 1, 0 as postgresql.conf accepts)';
  return {
    expected,
    schema: () => ({ anyOf: [{ type: 'boolean' }, { enum: [0, 1] }, { type: 'string', pattern: PG_BOOL_PATTERN }] }),
    decode(node, ctx) {
      const s = scalar(node, ctx, expected);
      if (typeof s.value === 'boolean') return s.value;
      if (s.value === 1 || s.value === 0) return s.value === 1;
      const v = typeof s.value === 'string' ? parsePgBool(s.value) : null;
      return v ?? typeError(s.node, ctx, expected);
    },
  };
}

const PG_BOOL_PATTERN = String.raw`^\s*([tT]([rR]([uU][eE]?)?)?|[fF]([aA]([lL]([sS][eE]?)?)?)?|[yY]([eE][sS]?)?|[nN][oO]?|[oO][nN]|[oO][fF][fF]?|1|0)\s*$`;

/** PostgreSQL's parse_bool_with_len (src/backend/utils/adt/bool.c): null when the string is not a boolean. */
export function parsePgBool(text: string): boolean | null {
  const s = text.trim().toLowerCase();
  if (s === '') return null;
  const prefixOf = (word: string, min = 1) => s.length >= min && word.startsWith(s);
  if (prefixOf('true') || prefixOf('yes') || prefixOf('on', 2) || s === '1') return true;
  if (prefixOf('false') || prefixOf('no') || prefixOf('off', 2) || s === '0') return false;
  return null;
}

export function integer(opts: { min?: number; max?: number; acceptString?: boolean } = {}): Decoder<number> {
  const min = opts.min ?? Number.MIN_SAFE_INTEGER;
  const max = opts.max ?? Number.MAX_SAFE_INTEGER;
  const expected = opts.min !== undefined && opts.max !== undefined ? `an integer from ${min} to ${max}` : opts.min !== undefined ? `an integer >= ${min}` : 'an integer';
  return {
    expected,
    schema: () => ({
      type: 'integer',
      ...(opts.min !== undefined ? { minimum: opts.min } : {}),
      ...(opts.max !== undefined ? { maximum: opts.max } : {}),
    }),
    decode(node, ctx) {
      const s = scalar(node, ctx, expected);
      let v = s.value;
      if (opts.acceptString && typeof v === 'string' && /^\d{1,15}$/.test(v.trim())) v = Number(v.trim());
      if (typeof v !== 'number' || !Number.isInteger(v)) typeError(s.node, ctx, expected);
      if (v < min || v > max || !Number.isSafeInteger(v)) ctx.fail(s.node, `${ctx.subject}: ${show(s.node && isScalar(s.node) ? (s.node.source ?? String(v)) : String(v))} is out of range`, { expected });
      return v;
    },
  };
}

/** One of a fixed set of words, with did-you-mean; `aliases` maps other accepted spellings (incl. booleans). */
export function enumOf<T extends string>(values: readonly T[], opts: { aliases?: Readonly<Record<string, T>> } = {}): Decoder<T> {
  const expected = `one of: ${values.join(', ')}`;
  // Aliases match a scalar's text, so the schema lists them as YAML reads them: `10` is a number, `false` a
  // boolean (and both also as strings).
  const aliases = Object.keys(opts.aliases ?? {}).flatMap((k): (string | number | boolean)[] =>
    k === 'true' || k === 'false' ? [k, k === 'true'] : k.trim() !== '' && Number.isFinite(Number(k)) ? [k, Number(k)] : [k],
  );
  const listed = [...new Set<string | number | boolean>([...values, ...aliases])];
  return {
    expected,
    schema: () => (aliases.length === 0 ? { type: 'string', enum: [...values] } : { enum: listed }),
    decode(node, ctx) {
      const s = scalar(node, ctx, expected);
      const text = typeof s.value === 'string' ? s.value : typeof s.value === 'boolean' || typeof s.value === 'number' ? String(s.value) : null;
      if (text === null) typeError(s.node, ctx, expected);
      if ((values as readonly string[]).includes(text) && typeof s.value === 'string') return text as T;
      const alias = opts.aliases && Object.hasOwn(opts.aliases, text) ? opts.aliases[text] : undefined;
      if (alias !== undefined) return alias;
      const hint = didYouMean(text, values);
      return ctx.fail(s.node, `${ctx.subject}: ${show(text)} is not ${expected}`, hint ? { expected, hint } : { expected });
    },
  };
}

/** A literal `true` (e.g. "all clusters"). */
export function literalTrue(): Decoder<true> {
  return {
    expected: 'true',
    schema: () => ({ const: true }),
    decode(node, ctx) {
      const s = scalar(node, ctx, 'true');
      if (s.value !== true) typeError(s.node, ctx, 'true');
      return true;
    },
  };
}

/** A value written in unit syntax (string, or a bare number the parser may accept or reject with a hint). */
export function unitValue<T>(expected: string, defName: string, schema: JsonSchema, parse: (v: string | number, ctx: Ctx<any>) => Parsed<T>): Decoder<T> {
  return {
    expected,
    schema: (b) => b.ref(defName, () => schema),
    decode(node, ctx) {
      const s = scalar(node, ctx, expected);
      if (typeof s.value !== 'string' && typeof s.value !== 'number') typeError(s.node, ctx, expected);
      const r = parse(s.value, ctx);
      if (!r.ok) return ctx.fail(s.node, `${ctx.subject}: ${r.reason}`, r.hint ? { expected, hint: r.hint } : { expected });
      return r.value;
    },
  };
}

/** Anything (decoded lazily by someone else): returns the node. */
export function anyNode(description: string): Decoder<Node> {
  return { expected: 'any value', schema: () => ({ description }), decode: (node) => node };
}

/**
 * A label for the items of a list nested in another value: `tables.0 in open_transaction of plan.0`, not a
 * bare `tables.0` that does not say where in the file it is.
 */
export function nestedItem(key: string): (index: number, node: Node, ctx: Ctx<any>) => string {
  return (i, _node, ctx) => (ctx.where ? `${key}.${i} in ${ctx.where}` : `${key}.${i}`);
}

export function list<T>(
  item: Decoder<T>,
  opts: {
    label: (index: number, node: Node, ctx: Ctx<any>) => string;
    minItems?: number;
    /** Kinds of names its items may define (see LoadState.incomplete). */
    defines?: readonly string[];
  },
): Decoder<T[]> {
  const expected = 'a list';
  return {
    expected,
    schema: (b) => ({ type: 'array', items: item.schema(b), ...(opts.minItems ? { minItems: opts.minItems } : {}) }),
    decode(node, ctx) {
      const n = ctx.resolve(node);
      if (!isSeq(n)) typeError(n, ctx, expected, { expected: `a list; each item ${item.expected}` });
      if (opts.minItems && n.items.length < opts.minItems) ctx.fail(n, `${ctx.subject} needs at least ${opts.minItems} item(s)`, { expected: `a list; each item ${item.expected}` });
      return each((n as YAMLSeq<Node>).items, ctx, opts.defines, (it, i) => {
        if (it === null || it === undefined) ctx.fail(n, `empty item ${i} in ${ctx.subject} (counted from 0, as --set paths count)`);
        // An entry made from a repeat: template is named as the list is written, where --set paths point.
        const o = typeof it === 'object' ? ctx.st.listOrigins.get(it) : undefined;
        const label = o ? `${opts.label(o.index, it, ctx)}${o.instance ? ` ($${o.instance.variable} = ${o.instance.value})` : ''}` : opts.label(i, it, ctx);
        return item.decode(it, ctx.within(label));
      });
    },
  };
}

export interface Named<T> {
  readonly name: string;
  readonly value: T;
  readonly keyNode: Node;
}

/** A mapping from names to values, in file order. `names` validates each name. */
export function namedMap<T>(
  item: Decoder<T>,
  opts: {
    label: (name: string) => string;
    names: Decoder<string>;
    /** Called with all names before any value is decoded (to register them for cross-references). */
    onNames?: (names: readonly { name: string; node: Node }[], ctx: Ctx<any>) => void;
    /** Called before each value is decoded. */
    before?: (name: string, ctx: Ctx<any>) => void;
    minItems?: number;
    expected?: string;
    /** Kinds of names its entries define besides their own (see LoadState.incomplete). */
    defines?: readonly string[];
  },
): Decoder<Named<T>[]> {
  const expected = opts.expected ?? `a mapping of names to ${item.expected}`;
  return {
    expected,
    schema: (b) => ({
      type: 'object',
      propertyNames: opts.names.schema(b),
      additionalProperties: item.schema(b),
      ...(opts.minItems ? { minProperties: opts.minItems } : {}),
    }),
    decode(node, ctx) {
      const n = ctx.resolve(node);
      if (!isMap(n)) typeError(n, ctx, expected);
      const m = n as YAMLMap<Node, Node>;
      if (opts.minItems && m.items.length < opts.minItems) ctx.fail(n, `${ctx.subject} needs at least ${opts.minItems} entr${opts.minItems === 1 ? 'y' : 'ies'}`, { expected });
      const seen = new Set<string>();
      let failed = false;
      const entries: { pair: Pair<Node, Node>; name: string; node: Node }[] = [];
      for (const pair of m.items) {
        try {
          const k = keyText(pair, ctx, n);
          if (seen.has(k.text)) ctx.fail(k.node, `duplicate key ${show(k.text)}${ctx.inContainer}`);
          seen.add(k.text);
          entries.push({ pair, name: opts.names.decode(k.node, ctx.field('name')), node: k.node });
        } catch (e) {
          if (!ctx.st.record(e)) throw e;
          failed = true;
        }
      }
      opts.onNames?.(entries, ctx);
      const values = each(entries, ctx, opts.defines, (k) => {
        const v = k.pair.value ?? nullNodeFor(k.node);
        opts.before?.(k.name, ctx);
        return { name: k.name, value: item.decode(v, ctx.within(opts.label(k.name))), keyNode: k.node };
      });
      if (failed) throw new Recorded();
      return values;
    },
  };
}

/**
 * `f` over `items`, going on after an item fails (its errors recorded); then Recorded if any failed, so that
 * what contains the list is not built from a part of it.
 */
function each<A, B>(items: readonly A[], ctx: Ctx<any>, defines: readonly string[] | undefined, f: (item: A, index: number) => B): B[] {
  const out: B[] = [];
  let failed = false;
  for (let i = 0; i < items.length; i++) {
    try {
      out.push(f(items[i]!, i));
    } catch (e) {
      if (!ctx.st.record(e)) throw e;
      for (const kind of defines ?? []) ctx.st.incomplete.add(kind);
      failed = true;
    }
  }
  if (failed) throw new Recorded();
  return out;
}

/** A stand-in null scalar for `key:` with no value, positioned at the key. */
function nullNodeFor(keyNode: Node): Node {
  const s = new Scalar(null);
  if (keyNode.range) s.range = [...keyNode.range];
  return s;
}

/** Dispatch on the node's kind: a scalar string, boolean, number, a mapping or a list. */
export function byKind<T>(
  alts: { string?: Decoder<T>; boolean?: Decoder<T>; number?: Decoder<T>; map?: Decoder<T>; list?: Decoder<T> },
  expected: string,
): Decoder<T> {
  return {
    expected,
    schema: (b) => ({ anyOf: Object.values(alts).map((d) => d!.schema(b)) }),
    decode(node, ctx) {
      const n = ctx.resolve(node);
      let d: Decoder<T> | undefined;
      if (isMap(n)) d = alts.map;
      else if (isSeq(n)) d = alts.list;
      else if (isScalar(n)) {
        const v = n.value;
        d = typeof v === 'string' ? alts.string : typeof v === 'boolean' ? alts.boolean : typeof v === 'number' ? (alts.number ?? alts.string) : undefined;
      }
      if (!d) typeError(n, ctx, expected);
      return d.decode(n, ctx);
    },
  };
}

// ---------------------------------------------------------------------------------------------------------
// Objects

export interface Field<T, D> {
  readonly decoder: Decoder<T>;
  readonly required: boolean;
  fallback(): D;
  readonly description: string;
  /** The default as shown in the schema and docs. */
  readonly defaultDoc?: unknown;
  /** Runs right after this field is decoded (or defaulted), before the next field: checks, env facts. */
  after?(value: T | D, info: ObjectInfo, ctx: Ctx<any>): void;
  /** `after` only checks (records no fact later fields need): the next fields are decoded even if this one fails. */
  readonly checkOnly?: boolean;
}

export type Fields = Record<string, Field<any, any>>;
export type FieldValue<F> = F extends Field<infer T, infer D> ? T | D : never;
export type ObjectValue<F extends Fields> = { -readonly [K in keyof F]: FieldValue<F[K]> };

export function req<T>(decoder: Decoder<T>, description: string): Field<T, never> {
  return { decoder, required: true, fallback: () => undefined as never, description };
}

export function opt<T>(decoder: Decoder<T>, description: string): Field<T, undefined> {
  return { decoder, required: false, fallback: () => undefined, description };
}

export function withDefault<T>(decoder: Decoder<T>, description: string, value: T, defaultDoc?: unknown): Field<T, T> {
  return { decoder, required: false, fallback: () => value, description, defaultDoc: defaultDoc ?? value };
}

/** The same field with a hook that runs right after it is decoded. */
export function after<T, D>(field: Field<T, D>, hook: (value: T | D, info: ObjectInfo, ctx: Ctx<any>) => void): Field<T, D> {
  return { ...field, after: hook };
}

/** The same field with a check that runs right after it is decoded; later fields do not depend on it. */
export function checked<T, D>(field: Field<T, D>, check: (value: T | D, info: ObjectInfo, ctx: Ctx<any>) => void): Field<T, D> {
  return { ...field, after: check, checkOnly: true };
}

/** What an object decoder's builder sees besides the values: where each key was. */
export interface ObjectInfo {
  /** The mapping node. */
  readonly node: Node;
  /** The value node of `key`, when present. */
  at(key: string): Node | undefined;
  /** The key node of `key`, when present. */
  keyAt(key: string): Node | undefined;
  has(key: string): boolean;
}

function fieldsSchema(fields: Fields, b: SchemaBuilder): { properties: Record<string, JsonSchema>; required: string[] } {
  const properties: Record<string, JsonSchema> = {};
  const required: string[] = [];
  for (const [k, f] of Object.entries(fields)) {
    properties[k] = { ...f.decoder.schema(b), description: f.description, ...(f.defaultDoc !== undefined ? { default: f.defaultDoc } : {}) };
    if (f.required) required.push(k);
  }
  return { properties, required };
}

/** The keys a mapping may have, as a list (for messages) and a set (for lookups). */
interface Keys {
  readonly list: readonly string[];
  readonly set: ReadonlySet<string>;
}

function keys(list: readonly string[]): Keys {
  return { list, set: new Set(list) };
}

/** A mapping's pairs by key: what an object decoder reads, and the ObjectInfo its hooks and builder see. */
class Pairs implements ObjectInfo {
  readonly values = new Map<string, Node>();
  readonly keys = new Map<string, Node>();
  /** Some keys were unknown or repeated (errors recorded): the object fails after its fields are checked. */
  failed = false;

  constructor(readonly node: YAMLMap<Node, Node>) {}

  at(key: string): Node | undefined {
    return this.values.get(key);
  }

  keyAt(key: string): Node | undefined {
    return this.keys.get(key);
  }

  has(key: string): boolean {
    const v = this.values.get(key);
    return v !== undefined && !isNull(v);
  }
}

/** Reads a mapping's pairs by key (recording unknown and repeated keys, with did-you-mean). */
function readPairs(node: Node, ctx: Ctx<any>, allowed: Keys, expected: string): Pairs {
  const n = ctx.resolve(node);
  if (!isMap(n)) typeError(n, ctx, expected);
  const p = new Pairs(n as YAMLMap<Node, Node>);
  for (const pair of p.node.items) {
    try {
      const k = keyText(pair, ctx, n);
      if (!allowed.set.has(k.text)) {
        const hint = didYouMean(k.text, allowed.list);
        ctx.fail(k.node, `unknown key ${show(k.text)}${ctx.inContainer}`, hint ? { hint, expected: `one of: ${listing(allowed.list, 40)}` } : { expected: `one of: ${listing(allowed.list, 40)}` });
      }
      if (p.keys.has(k.text)) ctx.fail(k.node, `duplicate key ${show(k.text)}${ctx.inContainer}`);
      p.keys.set(k.text, k.node);
      p.values.set(k.text, pair.value ?? nullNodeFor(k.node));
    } catch (e) {
      if (!ctx.st.record(e)) throw e;
      p.failed = true;
    }
  }
  return p;
}

/**
 * Decodes the fields in order. A field that fails is recorded and the next one decoded, unless it has an
 * `after` hook (later fields may need the facts the hook records): then the error goes to the caller. A
 * missing key is not reported beside an unknown one (probably the same key misspelt).
 */
function decodeFields<F extends Fields>(fields: readonly (readonly [string, Field<any, any>])[], p: Pairs, ctx: Ctx<any>): ObjectValue<F> {
  // A plain object (not Object.create(null), which V8 keeps in slow dictionary mode): field names are the grammar's.
  const out: Record<string, unknown> = {};
  let failed = p.failed;
  for (const [k, f] of fields) {
    try {
      const v = p.values.get(k);
      if (v === undefined || isNull(v)) {
        if (f.required) {
          if (v !== undefined) ctx.fail(p.keys.get(k) ?? p.node, `${k}${ctx.inContainer} has no value`, { expected: f.decoder.expected });
          if (p.failed) throw new Recorded();
          ctx.fail(p.node, `missing key ${show(k)}${ctx.inContainer}`, { expected: `${k}: ${f.decoder.expected}` });
        }
        out[k] = f.fallback();
      } else {
        out[k] = f.decoder.decode(v, ctx.field(k));
      }
      f.after?.(out[k], p, ctx);
    } catch (e) {
      if ((f.after !== undefined && f.checkOnly !== true) || !ctx.st.record(e)) throw e;
      failed = true;
    }
  }
  if (failed) throw new Recorded();
  return out as ObjectValue<F>;
}

/**
 * A mapping with known keys. Fields are decoded in the order they are declared (so earlier fields can
 * record facts in ctx.env for later ones); `build` turns the values into the result and may check them.
 */
export function object<F extends Fields, R = ObjectValue<F>>(
  fields: F,
  opts: { expected?: string; build?: (v: ObjectValue<F>, info: ObjectInfo, ctx: Ctx<any>) => R; schemaExtra?: JsonSchema } = {},
): Decoder<R> {
  const allowed = keys(Object.keys(fields));
  const entries = Object.entries(fields);
  const expected = opts.expected ?? 'a mapping';
  return {
    expected,
    schema(b) {
      const { properties, required } = fieldsSchema(fields, b);
      return { type: 'object', properties, ...(required.length ? { required } : {}), additionalProperties: false, ...opts.schemaExtra };
    },
    decode(node, ctx) {
      const p = readPairs(node, ctx, allowed, expected);
      const v = decodeFields<F>(entries, p, ctx);
      return opts.build ? opts.build(v, p, ctx) : (v as unknown as R);
    },
  };
}

export type TaggedValue<C extends Fields, V extends Record<string, Decoder<any>>> = {
  [K in keyof V & string]: { readonly tag: K; readonly value: V[K] extends Decoder<infer T> ? T : never; readonly common: ObjectValue<C>; readonly info: ObjectInfo };
}[keyof V & string];

/**
 * A mapping with common keys and exactly one of several tag keys (`{at: ..., promote: pg2}`): each tag
 * key's value is decoded by its decoder.
 */
export function tagged<C extends Fields, V extends Record<string, Decoder<any>>>(
  common: C,
  variants: V,
  opts: { what: string; descriptions: { readonly [K in keyof V]: string } },
): Decoder<TaggedValue<C, V>> {
  const tags = Object.keys(variants);
  const allowed = keys([...Object.keys(common), ...tags]);
  const commonEntries = Object.entries(common);
  const expected = `a mapping with one of: ${tags.join(', ')}`;
  return {
    expected,
    schema(b) {
      const { properties, required } = fieldsSchema(common, b);
      for (const t of tags) properties[t] = { ...variants[t]!.schema(b), description: opts.descriptions[t] };
      return {
        type: 'object',
        properties,
        ...(required.length ? { required } : {}),
        additionalProperties: false,
        oneOf: tags.map((t) => ({ required: [t] })),
      };
    },
    decode(node, ctx) {
      const p = readPairs(node, ctx, allowed, expected);
      const present = tags.filter((t) => p.values.has(t));
      if (present.length === 0) {
        // An unknown key was probably the action or expectation misspelt: its error says so.
        if (p.failed) throw new Recorded();
        ctx.fail(p.node, `${ctx.subject} has no ${opts.what}`, { expected: `one of: ${tags.join(', ')}` });
      }
      if (present.length > 1) {
        ctx.fail(p.keys.get(present[1]!), `${ctx.subject} has more than one ${opts.what} (${present.join(' and ')}): write one per entry`, {
          expected: `one of: ${tags.join(', ')}`,
        });
      }
      const tag = present[0]!;
      const c = decodeFields<C>(commonEntries, p, ctx);
      const v = p.values.get(tag)!;
      if (isNull(v)) ctx.fail(p.keys.get(tag), `${tag}${ctx.inContainer} has no value`, { expected: variants[tag]!.expected });
      const value = variants[tag]!.decode(v, ctx.field(tag));
      return { tag, value, common: c, info: p } as TaggedValue<C, V>;
    },
  };
}

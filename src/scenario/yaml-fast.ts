/**
 * A fast path for the YAML scenario files are written in: block mappings and sequences, one-line flow
 * mappings and sequences, plain and quoted one-line scalars, `|` and `>` block scalars, comments. It builds
 * the same nodes (Scalar, YAMLMap, YAMLSeq, Pair, with the same values, types and start offsets) as the yaml
 * library's parseDocument with the loader's options, in a fraction of the time: the library spends about a
 * millisecond per kilobyte in its lexer, parser and composer, most of a large scenario's load.
 *
 * Anything else, or anything that would be an error, and the fast path gives up (returns null): the caller
 * then parses with the yaml library, which reports errors as it always did. test/scenario/yaml-fast.test.ts
 * checks, over shipped, generated and damaged documents, that whenever the fast path returns a document,
 * the library finds no error and builds the same tree.
 */
import { Document, LineCounter, Pair, Scalar, YAMLMap, YAMLSeq, type DocumentOptions, type Node, type ParseOptions, type SchemaOptions } from 'yaml';

class GiveUp extends Error {}

const giveUp = (): never => {
  throw new GiveUp();
};

/** Characters YAML allows (c-printable, without CR, NEL, tab and BOM, which the fast path leaves to the library). */
const OUTSIDE_SUBSET = /[^\n\x20-\x7E\u00A0-\uD7FF\uE000-\uFEFE\uFF00-\uFFFD\uD800-\uDFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Double-quoted escapes (yaml's resolve-flow-scalar.ts, YAML 1.2 §5.7). */
const ESCAPES: Readonly<Record<string, string>> = {
  '0': '\0', a: '\x07', b: '\b', e: '\x1b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v',
  N: '\u0085', _: '\u00a0', L: '\u2028', P: '\u2029', ' ': ' ', '"': '"', '/': '/', '\\': '\\',
};

const HEX = /^[0-9a-fA-F]+$/;

/** First characters a plain scalar cannot have (or that the fast path leaves to the library). */
const NOT_PLAIN_START = new Set([',', '[', ']', '{', '}', '#', '&', '*', '!', '|', '>', "'", '"', '%', '@', '`', '?', ':', ' ', '\n']);

/** Flow indicators end a plain scalar inside a flow collection. */
const FLOW_END = new Set([',', '[', ']', '{', '}', '\n']);

/** Only these first characters can make a plain scalar anything but a string in the core schema. */
const MAYBE_NOT_STRING = /^[-+.~0-9nNtTfF]/;

type ScalarTag = {
  default?: boolean | 'key';
  test?: RegExp;
  format?: string;
  resolve(value: string, onError: (message: string) => void, options: unknown): unknown;
};

export type FastOptions = ParseOptions & DocumentOptions & SchemaOptions;

/**
 * Node constructors that skip the library's per-node Object.defineProperty (a third of the fast path's time):
 * the type tag the library's isScalar/isMap/... read (a global Symbol.for key) and a collection's schema
 * sit on a prototype below the library's class, so the nodes are Scalar, YAMLMap, YAMLSeq and Pair
 * instances (instanceof, methods, clone) with the same own properties.
 */
interface Builders {
  scalar(value: unknown): Scalar;
  map(): YAMLMap;
  seq(): YAMLSeq;
  pair(key: Node, value: Node): Pair;
}

const NODE_TYPE = Symbol.for('yaml.node.type');

function tagged<T extends object>(base: T, type: string, schema?: unknown): T {
  const proto = Object.create(base) as T;
  Object.defineProperty(proto, NODE_TYPE, { value: Symbol.for(type) });
  if (schema !== undefined) Object.defineProperty(proto, 'schema', { value: schema, configurable: true, enumerable: false, writable: true });
  return proto;
}

function builders(schema: unknown): Builders {
  function FastScalar(this: { value: unknown }, value: unknown) {
    this.value = value;
  }
  FastScalar.prototype = tagged(Scalar.prototype, 'yaml.scalar');
  function FastMap(this: { items: unknown[] }) {
    this.items = [];
  }
  FastMap.prototype = tagged(YAMLMap.prototype, 'yaml.map', schema);
  function FastSeq(this: { items: unknown[] }) {
    this.items = [];
  }
  FastSeq.prototype = tagged(YAMLSeq.prototype, 'yaml.seq', schema);
  function FastPair(this: { key: unknown; value: unknown }, key: unknown, value: unknown) {
    this.key = key;
    this.value = value;
  }
  FastPair.prototype = tagged(Pair.prototype, 'yaml.pair');
  type Ctor<T> = new (...args: unknown[]) => T;
  return {
    scalar: (value) => new (FastScalar as unknown as Ctor<Scalar>)(value),
    map: () => new (FastMap as unknown as Ctor<YAMLMap>)(),
    seq: () => new (FastSeq as unknown as Ctor<YAMLSeq>)(),
    pair: (key, value) => new (FastPair as unknown as Ctor<Pair>)(key, value),
  };
}

/** What a parse needs of its document: the schema's tags and the node constructors (made once per schema). */
interface Shared {
  readonly doc: Document;
  readonly tags: ScalarTag[];
  readonly make: Builders;
}

function sharedFor(doc: Document): Shared {
  return { doc, tags: (doc.schema.tags as unknown as ScalarTag[]).filter((t) => t.default === true && t.test !== undefined), make: builders(doc.schema) };
}

/** One document per options object whose schema the values of parseFastValue share. */
const sharedByOptions = new WeakMap<FastOptions, Shared>();

class Parser {
  pos = 0;
  private readonly n: number;
  private readonly doc: Document;
  private readonly tags: ScalarTag[];
  private readonly make: Builders;

  constructor(
    private readonly text: string,
    options: FastOptions,
    shared: Shared = sharedFor(new Document(undefined, options)),
  ) {
    this.n = text.length;
    this.doc = shared.doc;
    this.tags = shared.tags;
    this.make = shared.make;
  }

  parse(): Document {
    this.doc.contents = this.root() as never;
    return this.doc;
  }

  /** The document's one value. */
  root(): Node {
    const first = this.nextContent(0);
    if (first < 0 || this.indentAt(first) !== 0) giveUp();
    this.pos = first;
    // A document of one inline value (a --set value, a sweep's draw): a scalar or a one-line flow collection.
    const c = this.text[first];
    const root = this.isSeqEntry(first) || this.keyEnd(first) >= 0 || c === '|' || c === '>' ? this.block(0, -1) : this.inline(-1);
    if (this.nextContent(this.pos) >= 0) giveUp();
    return root;
  }

  // ---- lines ----

  private lineEnd(p: number): number {
    const e = this.text.indexOf('\n', p);
    return e < 0 ? this.n : e;
  }

  /** After the end of the line holding p (start of the next line, or the end of the text). */
  private nextLine(p: number): number {
    const e = this.text.indexOf('\n', p);
    return e < 0 ? this.n : e + 1;
  }

  private indentAt(lineStart: number): number {
    let i = lineStart;
    while (this.text.charCodeAt(i) === 32) i++;
    return i - lineStart;
  }

  /**
   * The start of the first line at or after `lineStart` with content (not blank, not only a comment), or -1.
   * Document markers and directives are left to the library.
   */
  private nextContent(lineStart: number): number {
    const t = this.text;
    for (let p = lineStart; p < this.n; p = this.nextLine(p)) {
      const c0 = t[p];
      if ((c0 === '-' && t.startsWith('---', p)) || (c0 === '.' && t.startsWith('...', p)) || c0 === '%') giveUp();
      let i = p;
      while (t.charCodeAt(i) === 32) i++;
      if (i >= this.n) return -1;
      const c = t[i];
      if (c !== '\n' && c !== '#') return p;
    }
    return -1;
  }

  /** Spaces, then a comment or nothing, to the end of the line: moves to the next line; else gives up. */
  private endLine(): void {
    const t = this.text;
    let i = this.pos;
    const start = i;
    while (t.charCodeAt(i) === 32) i++;
    if (i < this.n && t[i] !== '\n' && !(t[i] === '#' && i > start)) giveUp();
    this.pos = this.nextLine(i);
  }

  /** After a value that ended its line, a more indented line would continue it (or be an error). */
  private noContinuation(parentIndent: number): void {
    const t = this.text;
    for (let p = this.pos; p < this.n; p = this.nextLine(p)) {
      let i = p;
      while (t.charCodeAt(i) === 32) i++;
      if (i >= this.n) return;
      if (t[i] === '\n') continue;
      if (i - p > parentIndent) giveUp();
      return;
    }
  }

  // ---- block nodes ----

  /** The block node whose first line starts at this.pos with `indent` spaces. */
  private block(indent: number, parentIndent: number): Node {
    if (indent <= parentIndent) giveUp();
    const p = this.pos + indent;
    this.pos = p;
    if (this.isSeqEntry(p)) return this.blockSeq(indent);
    if (this.keyEnd(p) >= 0) return this.blockMap(indent);
    return giveUp();
  }

  private isSeqEntry(p: number): boolean {
    const t = this.text;
    return t[p] === '-' && (p + 1 >= this.n || t[p + 1] === ' ' || t[p + 1] === '\n');
  }

  /** If an implicit key starts at p: the offset of its ':'; else -1. */
  private keyEnd(p: number): number {
    const t = this.text;
    const c = t[p]!;
    if (c === '"' || c === "'") {
      const q = c === '"' ? this.doubleQuotedEnd(p) : this.singleQuotedEnd(p);
      return q >= 0 && t[q] === ':' && (q + 1 >= this.n || t[q + 1] === ' ' || t[q + 1] === '\n') ? q : -1;
    }
    if (!this.plainStart(p)) return -1;
    const e = this.lineEnd(p);
    for (let i = p + 1; i < e; i++) {
      const ch = t[i];
      if (ch === ':' && (i + 1 >= this.n || t[i + 1] === ' ' || t[i + 1] === '\n')) {
        if (t[i - 1] === ' ' || i - p > 1000) giveUp();
        return i;
      }
      if (ch === '#' && t[i - 1] === ' ') return -1;
    }
    return -1;
  }

  private plainStart(p: number): boolean {
    const t = this.text;
    const c = t[p];
    if (c === undefined || NOT_PLAIN_START.has(c)) return false;
    if (c === '-' && (p + 1 >= this.n || t[p + 1] === ' ' || t[p + 1] === '\n')) return false;
    return true;
  }

  private blockMap(indent: number): YAMLMap {
    const map = this.make.map();
    const start = this.pos;
    for (;;) {
      const p = this.pos;
      const colon = this.keyEnd(p);
      if (colon < 0) giveUp();
      const c = this.text[p];
      const key = c === '"' || c === "'" ? this.quoted(p) : this.plain(p, colon, p, colon);
      this.pos = colon + 1;
      const value = this.mapValue(indent);
      map.items.push(this.make.pair(key, value));
      const next = this.nextContent(this.pos);
      if (next < 0) break;
      const ind = this.indentAt(next);
      if (ind < indent) break;
      if (ind > indent || this.isSeqEntry(next + ind)) giveUp();
      this.pos = next + ind;
    }
    map.range = [start, this.pos, this.pos];
    return map;
  }

  /** The value after `key:` (this.pos just after the colon), in a mapping at `indent`. */
  private mapValue(indent: number): Node {
    const t = this.text;
    let i = this.pos;
    while (t.charCodeAt(i) === 32) i++;
    if (i >= this.n || t[i] === '\n' || t[i] === '#') {
      // Nothing on this line: a block node on the next lines, or an empty value.
      const at = i;
      this.endLine();
      const next = this.nextContent(this.pos);
      if (next >= 0) {
        const ind = this.indentAt(next);
        if (ind > indent || (ind === indent && this.isSeqEntry(next + ind))) {
          this.pos = next;
          return this.block(ind, ind === indent ? indent - 1 : indent);
        }
      }
      return this.empty(at);
    }
    this.pos = i;
    return this.inline(indent);
  }

  private blockSeq(indent: number): YAMLSeq {
    const seq = this.make.seq();
    const t = this.text;
    const start = this.pos;
    for (;;) {
      let i = this.pos + 1;
      while (t.charCodeAt(i) === 32) i++;
      if (i >= this.n || t[i] === '\n' || t[i] === '#') {
        this.pos++;
        this.endLine();
        const next = this.nextContent(this.pos);
        if (next < 0 || this.indentAt(next) <= indent) giveUp();
        this.pos = next;
        seq.items.push(this.block(this.indentAt(next), indent));
      } else if (this.isSeqEntry(i)) {
        giveUp();
      } else if (this.keyEnd(i) >= 0) {
        this.pos = i;
        seq.items.push(this.blockMap(i - this.lineStartOf(i)));
      } else {
        this.pos = i;
        seq.items.push(this.inline(indent));
      }
      const next = this.nextContent(this.pos);
      if (next < 0) break;
      const ind = this.indentAt(next);
      if (ind < indent || (ind === indent && !this.isSeqEntry(next + ind))) break;
      if (ind > indent) giveUp();
      this.pos = next + ind;
    }
    seq.range = [start, this.pos, this.pos];
    return seq;
  }

  private lineStartOf(p: number): number {
    return this.text.lastIndexOf('\n', p - 1) + 1;
  }

  /** A value on the rest of this line (a block scalar takes the lines below), in a block node at `indent`. */
  private inline(indent: number): Node {
    const t = this.text;
    const p = this.pos;
    const c = t[p]!;
    let node: Node;
    if (c === '|' || c === '>') return this.blockScalar(indent);
    if (c === '{' || c === '[') node = this.flow();
    else if (c === '"' || c === "'") node = this.quoted(p);
    else {
      if (!this.plainStart(p)) giveUp();
      const e = this.lineEnd(p);
      let end = e;
      for (let i = p + 1; i < e; i++) {
        const ch = t[i];
        if (ch === ':' && (i + 1 >= this.n || t[i + 1] === ' ' || t[i + 1] === '\n')) giveUp();
        if (ch === '#' && t[i - 1] === ' ') {
          end = i;
          break;
        }
      }
      let v = end;
      while (t.charCodeAt(v - 1) === 32) v--;
      node = this.plain(p, v, p, end);
      this.pos = v;
    }
    this.endLine();
    this.noContinuation(indent);
    return node;
  }

  // ---- scalars ----

  private empty(at: number): Scalar {
    const s = this.resolvePlain('');
    s.range = [at, at, at];
    return s;
  }

  /** A plain scalar text[from, to) (range ends at `end`). */
  private plain(from: number, to: number, _start: number, end: number): Scalar {
    const source = this.text.slice(from, to);
    const s = this.resolvePlain(source);
    s.range = [from, to, Math.max(to, end)];
    return s;
  }

  /** As yaml's composeScalar does for an untagged plain scalar: the first core-schema tag whose test matches. */
  private resolvePlain(source: string): Scalar {
    let s: Scalar;
    const tag = MAYBE_NOT_STRING.test(source) || source === '' ? this.tags.find((x) => x.test!.test(source)) : undefined;
    if (tag) {
      let failed = false;
      const res = tag.resolve(source, () => (failed = true), this.doc.options);
      if (failed) giveUp();
      s = res instanceof Scalar ? res : this.make.scalar(res);
      if (tag.format) s.format = tag.format;
    } else s = this.make.scalar(source);
    s.source = source;
    s.type = Scalar.PLAIN;
    return s;
  }

  /** The offset after the closing quote of a one-line double-quoted scalar at p, or -1. */
  private doubleQuotedEnd(p: number): number {
    const t = this.text;
    for (let i = p + 1; i < this.n; i++) {
      const ch = t[i];
      if (ch === '"') return i + 1;
      if (ch === '\n') return -1;
      if (ch === '\\') i++;
    }
    return -1;
  }

  private singleQuotedEnd(p: number): number {
    const t = this.text;
    for (let i = p + 1; i < this.n; i++) {
      const ch = t[i];
      if (ch === '\n') return -1;
      if (ch === "'") {
        if (t[i + 1] === "'") i++;
        else return i + 1;
      }
    }
    return -1;
  }

  private quoted(p: number): Scalar {
    const t = this.text;
    const double = t[p] === '"';
    const end = double ? this.doubleQuotedEnd(p) : this.singleQuotedEnd(p);
    if (end < 0) giveUp();
    let value: string;
    if (double) {
      value = '';
      let run = p + 1;
      for (let i = p + 1; i < end - 1; i++) {
        if (t[i] !== '\\') continue;
        value += t.slice(run, i);
        const next = t[++i]!;
        const esc = ESCAPES[next];
        if (esc !== undefined) value += esc;
        else if (next === 'x' || next === 'u' || next === 'U') {
          const len = next === 'x' ? 2 : next === 'u' ? 4 : 8;
          const hex = t.slice(i + 1, i + 1 + len);
          if (hex.length !== len || i + len > end - 2 || !HEX.test(hex)) giveUp();
          const code = parseInt(hex, 16);
          if (code > 0x10ffff) giveUp();
          value += String.fromCodePoint(code);
          i += len;
        } else giveUp();
        run = i + 1;
      }
      value += t.slice(run, end - 1);
    } else value = t.slice(p + 1, end - 1).replaceAll("''", "'");
    const s = this.make.scalar(value);
    s.source = value;
    s.type = double ? Scalar.QUOTE_DOUBLE : Scalar.QUOTE_SINGLE;
    s.range = [p, end, end];
    this.pos = end;
    return s;
  }

  /**
   * `|` or `>` with an optional chomping indicator, then the lines below indented more than `indent` (the
   * content's indentation is its first line's). Leading blank lines, more-indented folded lines, trailing
   * spaces and explicit indentation indicators are left to the library.
   */
  private blockScalar(indent: number): Scalar {
    const t = this.text;
    const start = this.pos;
    const literal = t[start] === '|';
    let i = start + 1;
    let chomp: 'clip' | 'strip' | 'keep' = 'clip';
    if (t[i] === '-') chomp = 'strip';
    else if (t[i] === '+') chomp = 'keep';
    if (chomp !== 'clip') i++;
    this.pos = i;
    this.endLine();
    const first = this.pos;
    if (first >= this.n) giveUp();
    const blockIndent = this.indentAt(first);
    if (blockIndent <= indent || t[first + blockIndent] === '\n' || first + blockIndent >= this.n) giveUp();
    const lines: string[] = [];
    let trailingBlank = 0;
    let p = first;
    let endsWithNewline = true;
    let contentEnd = p;
    while (p < this.n) {
      const ind = this.indentAt(p);
      const e = this.lineEnd(p);
      if (p + ind >= e) {
        // A blank line: inside the block, or after it (chomping decides).
        if (ind > blockIndent) giveUp();
        trailingBlank++;
        p = this.nextLine(p);
        continue;
      }
      if (ind < blockIndent) {
        if (ind > indent) giveUp();
        break;
      }
      const content = t.slice(p + blockIndent, e);
      if (content.endsWith(' ') || (!literal && content.startsWith(' '))) giveUp();
      for (let k = 0; k < trailingBlank; k++) lines.push('');
      trailingBlank = 0;
      lines.push(content);
      endsWithNewline = e < this.n;
      p = this.nextLine(p);
      contentEnd = p;
    }
    if (!endsWithNewline) giveUp();
    let body = '';
    if (literal) body = lines.join('\n');
    else {
      for (let k = 0; k < lines.length; k++) {
        const line = lines[k]!;
        if (k === 0) body = line;
        else if (line === '') body += '\n';
        else body += lines[k - 1] === '' ? line : ` ${line}`;
      }
    }
    const value = chomp === 'strip' ? body : chomp === 'clip' ? `${body}\n` : `${body}\n${'\n'.repeat(trailingBlank)}`;
    const s = this.make.scalar(value);
    s.source = value;
    s.type = literal ? Scalar.BLOCK_LITERAL : Scalar.BLOCK_FOLDED;
    s.range = [start, chomp === 'keep' ? p : contentEnd, p];
    this.pos = p;
    return s;
  }

  // ---- flow collections (on one line) ----

  private skipSpaces(): void {
    while (this.text.charCodeAt(this.pos) === 32) this.pos++;
  }

  private flow(): Node {
    const t = this.text;
    const start = this.pos;
    const isMap = t[start] === '{';
    const close = isMap ? '}' : ']';
    const node = isMap ? this.make.map() : this.make.seq();
    node.flow = true;
    this.pos++;
    this.skipSpaces();
    if (t[this.pos] === close) this.pos++;
    else {
      for (;;) {
        const item = this.flowItem();
        this.skipSpaces();
        if (isMap) {
          if (t[this.pos] !== ':' || t[this.pos + 1] !== ' ') giveUp();
          this.pos += 2;
          this.skipSpaces();
          const value = this.flowItem();
          (node as YAMLMap).items.push(this.make.pair(item, value));
          this.skipSpaces();
        } else {
          if (t[this.pos] === ':') giveUp();
          (node as YAMLSeq).items.push(item);
        }
        const c = t[this.pos];
        if (c === close) {
          this.pos++;
          break;
        }
        if (c !== ',') giveUp();
        this.pos++;
        this.skipSpaces();
        if (t[this.pos] === close) giveUp();
      }
    }
    node.range = [start, this.pos, this.pos];
    return node;
  }

  private flowItem(): Node {
    const t = this.text;
    const p = this.pos;
    const c = t[p];
    if (c === '{' || c === '[') return this.flow();
    if (c === '"' || c === "'") return this.quoted(p);
    if (!this.plainStart(p) || FLOW_END.has(c!)) giveUp();
    let i = p + 1;
    for (; i < this.n; i++) {
      const ch = t[i]!;
      if (FLOW_END.has(ch)) break;
      if (ch === ':') {
        const next = t[i + 1];
        if (next === undefined || next === ' ' || FLOW_END.has(next)) break;
      }
      if (ch === '#' && t[i - 1] === ' ') giveUp();
    }
    if (t[i] === '\n' || i >= this.n) giveUp();
    let v = i;
    while (t.charCodeAt(v - 1) === 32) v--;
    this.pos = i;
    return this.plain(p, v, p, v);
  }
}

/**
 * The document and its line starts, as parseDocument(text, options) would give them, or null when the text
 * is outside the fast path's subset (the caller then uses the yaml library).
 */
export function parseFast(text: string, options: FastOptions): { doc: Document; lc: LineCounter } | null {
  if (OUTSIDE_SUBSET.test(text)) return null;
  let doc: Document;
  try {
    doc = new Parser(text, options).parse();
  } catch (e) {
    if (e instanceof GiveUp) return null;
    throw e;
  }
  const lc = new LineCounter();
  lc.addNewLine(0);
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) lc.addNewLine(i + 1);
  return { doc, lc };
}

/**
 * The value of a one-document text (a --set value, a sweep's draw), as parseFast(text, options)'s
 * doc.contents, or null outside the subset (or for an empty text). Without a Document of its own: the nodes'
 * collections share one document's schema per options object (the same schema a new Document would make).
 */
export function parseFastValue(text: string, options: FastOptions): Node | null {
  if (OUTSIDE_SUBSET.test(text)) return null;
  let shared = sharedByOptions.get(options);
  if (shared === undefined) {
    shared = sharedFor(new Document(undefined, options));
    sharedByOptions.set(options, shared);
  }
  try {
    return new Parser(text, options, shared).root();
  } catch (e) {
    if (e instanceof GiveUp) return null;
    throw e;
  }
}

/** Why the fast path gives up on `text` (for tests and debugging): null, or the line and where in the code. */
export function explainFast(text: string, options: FastOptions): { line: number; column: number; where: string } | null {
  if (OUTSIDE_SUBSET.test(text)) return { line: 0, column: 0, where: 'a character outside the subset' };
  const parser = new Parser(text, options);
  try {
    parser.parse();
    return null;
  } catch (e) {
    if (!(e instanceof GiveUp)) throw e;
    const before = text.slice(0, parser.pos);
    const line = before.split('\n').length;
    return { line, column: parser.pos - before.lastIndexOf('\n'), where: (e.stack ?? '').split('\n').slice(2, 4).join(' / ') };
  }
}

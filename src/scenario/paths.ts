/**
 * `--set PATH=VALUE` and variant `set:` entries, applied to the YAML AST before decoding, so that the
 * decoder validates the new values and reports them at their own position (the variant's line in the
 * file, or the --set argument).
 *
 * PATH is dot-separated keys into the document; a list item is addressed by its index or by its `name`
 * field; missing mapping keys are created.
 */
import { Scalar, YAMLMap, isAlias, isMap, isScalar, isSeq, visit, type Document, type Node, type Pair } from 'yaml';
import { didYouMean, listing, show } from './errors.ts';
import { describeNode } from './decode.ts';

/** Where a set comes from: how to report errors and how to position the nodes it creates. */
export interface SetSource {
  /** Throws the error for a path that cannot be applied. */
  fail(message: string, hint?: string): never;
  /** Positions a node created for the set (a new key or intermediate mapping). */
  mark(node: Node): void;
  /**
   * A mapping the path created as a new entry while an existing key is spelt almost the same (a typo,
   * probably): `hint` goes with any error later found in it, such as the new entry's missing keys.
   */
  nearMiss?(node: Node, hint: string): void;
}

export const MAX_PATH_SEGMENTS = 64;

function keyOf(pair: Pair): string | null {
  const k = pair.key as Node | null;
  if (isScalar(k) && (typeof k.value === 'string' || typeof k.value === 'number' || typeof k.value === 'boolean')) {
    return typeof k.value === 'string' ? k.value : (k.source ?? String(k.value));
  }
  return null;
}

function nameOf(item: unknown): string | null {
  if (!isMap(item)) return null;
  const v = item.get('name');
  return typeof v === 'string' ? v : null;
}

function isNullNode(n: unknown): boolean {
  return n === null || n === undefined || (isScalar(n) && n.value === null);
}

/** Splits `a.b.c`; rejects empty segments. */
export function splitPath(path: string, src: SetSource): string[] {
  if (path.trim() === '') src.fail('the path is empty', 'write PATH=VALUE, e.g. clusters.NAME.nodes.NODE.settings.recovery_target_timeline=latest');
  const segs = path.split('.');
  if (segs.length > MAX_PATH_SEGMENTS) src.fail(`the path has more than ${MAX_PATH_SEGMENTS} parts`);
  if (segs.some((s) => s === '')) src.fail(`${show(path)} has an empty part`, 'separate keys with single dots');
  return segs;
}

/** Sets `value` at `path` in `doc`, creating missing mapping keys. */
export function applySet(doc: Document, path: string, value: Node, src: SetSource): void {
  const segs = splitPath(path, src);
  if (isNullNode(doc.contents)) {
    const m = new YAMLMap();
    src.mark(m);
    doc.contents = m as unknown as typeof doc.contents;
  }
  let cur: unknown = doc.contents;
  let nearMiss: string | null = null;
  for (let i = 0; i < segs.length; i++) {
    const seg = segs[i]!;
    const here = segs.slice(0, i).join('.') || 'the document';
    const last = i === segs.length - 1;
    if (isAlias(cur)) src.fail(`${here} is an alias (*${cur.source}): set the anchored value instead`);
    if (isMap(cur)) {
      const pair = cur.items.find((p) => keyOf(p) === seg);
      if (last) {
        if (pair) pair.value = value;
        else {
          const key = new Scalar(seg);
          src.mark(key);
          cur.items.push(doc.createPair(key, value) as Pair<unknown, unknown>);
        }
        return;
      }
      if (pair && !isNullNode(pair.value)) {
        cur = pair.value;
        continue;
      }
      const m = new YAMLMap();
      src.mark(m);
      if (pair) pair.value = m;
      else {
        const siblings = cur.items.map(keyOf).filter((k): k is string => k !== null);
        const close = didYouMean(seg, siblings);
        if (close) nearMiss = `${close} (the path made a new entry ${show(seg)} beside ${listing(siblings)})`;
        const key = new Scalar(seg);
        src.mark(key);
        cur.items.push(doc.createPair(key, m) as Pair<unknown, unknown>);
      }
      if (nearMiss !== null) src.nearMiss?.(m, nearMiss);
      cur = m;
      continue;
    }
    if (isSeq(cur)) {
      const items = cur.items;
      let index: number;
      if (/^\d+$/.test(seg)) {
        index = seg.length > 9 ? Number.POSITIVE_INFINITY : Number(seg);
        if (index >= items.length) {
          src.fail(`${here} has ${items.length} entr${items.length === 1 ? 'y' : 'ies'}: index ${seg} is out of range`, items.length ? `use 0 to ${items.length - 1} or an entry's name` : undefined);
        }
      } else {
        index = items.findIndex((it) => nameOf(it) === seg);
        if (index < 0) {
          const names = items.map(nameOf).filter((n): n is string => n !== null);
          const hint = didYouMean(seg, names) ?? (names.length ? `names: ${listing(names)}; or an index 0 to ${items.length - 1}` : `no entry of ${here} has a name: use an index 0 to ${items.length - 1}`);
          src.fail(`${here} has no entry named ${show(seg)}`, hint);
        }
        if (items.findIndex((it, j) => j > index && nameOf(it) === seg) >= 0) src.fail(`${here} has several entries named ${show(seg)}`, 'use an index');
      }
      if (last) {
        // An empty value removes a list entry (`--set plan.drop-slot=`), as it removes an optional key.
        if (isNullNode(value)) items.splice(index, 1);
        else items[index] = value;
        return;
      }
      cur = items[index];
      if (isNullNode(cur)) {
        const m = new YAMLMap();
        src.mark(m);
        items[index] = m;
        cur = m;
      }
      continue;
    }
    src.fail(`cannot set ${show(path)}: ${here} is ${describeNode(cur as Node)}, not a mapping or a list`);
  }
}

/** Every node inside `root` (including root), for marking --set values. */
export function allNodes(root: Node): Node[] {
  const out: Node[] = [root];
  visit(root, {
    Node: (_k, n) => {
      out.push(n as Node);
    },
    Pair: (_k, p) => {
      if (p.key && typeof p.key === 'object') out.push(p.key as Node);
    },
  });
  return out;
}

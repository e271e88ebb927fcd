import type { PgNode, Stream } from './node.ts';

const EMPTY: ReadonlySet<Stream> = new Set();

/**
 * The walsender→walreceiver streams of a cluster, iterated in the order they were opened (as a Set is), and
 * indexed by upstream, by downstream and by link, so that what one node or one link changes is found without a
 * pass over every stream: per-event cost independent of the number of standbys (docs/performance.md).
 */
export class StreamIndex implements Iterable<Stream> {
  private readonly all = new Set<Stream>();
  private readonly byUp = new Map<PgNode, Set<Stream>>();
  private readonly byDown = new Map<PgNode, Set<Stream>>();
  private readonly byLink = new Map<string, Set<Stream>>();
  /** Told of every stream added (true) or removed (false): the write flow replans what it changes. */
  onChange: ((s: Stream, added: boolean) => void) | null = null;

  get size(): number {
    return this.all.size;
  }

  has(s: Stream): boolean {
    return this.all.has(s);
  }

  add(s: Stream): this {
    if (this.all.has(s)) return this;
    this.all.add(s);
    put(this.byUp, s.up, s);
    put(this.byDown, s.down, s);
    put(this.byLink, s.path.linkKey, s);
    this.onChange?.(s, true);
    return this;
  }

  delete(s: Stream): boolean {
    if (!this.all.delete(s)) return false;
    take(this.byUp, s.up, s);
    take(this.byDown, s.down, s);
    take(this.byLink, s.path.linkKey, s);
    this.onChange?.(s, false);
    return true;
  }

  [Symbol.iterator](): Iterator<Stream> {
    return this.all[Symbol.iterator]();
  }

  /** The streams `up`'s walsenders serve. */
  from(up: PgNode): ReadonlySet<Stream> {
    return this.byUp.get(up) ?? EMPTY;
  }

  /** The streams into `down` (a walreceiver holds one at most). */
  into(down: PgNode): ReadonlySet<Stream> {
    return this.byDown.get(down) ?? EMPTY;
  }

  /** The streams over one link (Path.linkKey). */
  onLink(key: string): ReadonlySet<Stream> {
    return this.byLink.get(key) ?? EMPTY;
  }
}

function put<K>(m: Map<K, Set<Stream>>, k: K, s: Stream): void {
  const set = m.get(k);
  if (set) set.add(s);
  else m.set(k, new Set([s]));
}

function take<K>(m: Map<K, Set<Stream>>, k: K, s: Stream): void {
  const set = m.get(k);
  if (!set) return;
  set.delete(s);
  if (set.size === 0) m.delete(k);
}

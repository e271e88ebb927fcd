/**
 * The resources' own breakpoints (BlockResource.nextAt) in time order, so that a reflow finds the resources
 * due without visiting every resource (issue 12, cost). A binary heap with lazy deletion: an entry whose
 * resource has another nextAt now is stale and is skipped when it reaches the top.
 */
import type { Micros } from '../../engine/time.ts';

interface Entry {
  readonly at: Micros;
  readonly name: string;
}

export class BreakpointHeap {
  private heap: Entry[] = [];

  get size(): number {
    return this.heap.length;
  }

  push(at: Micros, name: string): void {
    const h = this.heap;
    h.push({ at, name });
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (h[p]!.at <= h[i]!.at) break;
      [h[p], h[i]] = [h[i]!, h[p]!];
      i = p;
    }
  }

  /** The earliest entry still current (`current(name, at)`), stale ones dropped on the way; null when none. */
  peek(current: (name: string, at: Micros) => boolean): Entry | null {
    while (this.heap.length > 0) {
      const top = this.heap[0]!;
      if (current(top.name, top.at)) return top;
      this.pop();
    }
    return null;
  }

  pop(): Entry | null {
    const h = this.heap;
    if (h.length === 0) return null;
    const top = h[0]!;
    const last = h.pop()!;
    if (h.length > 0) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && h[l]!.at < h[m]!.at) m = l;
        if (r < h.length && h[r]!.at < h[m]!.at) m = r;
        if (m === i) break;
        [h[m], h[i]] = [h[i]!, h[m]!];
        i = m;
      }
    }
    return top;
  }

  /** Built again from the current entries only (when stale ones outnumber them). */
  rebuild(entries: Iterable<Entry>): void {
    this.heap = [];
    for (const e of entries) this.push(e.at, e.name);
  }
}

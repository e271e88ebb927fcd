import type { Micros } from './time.ts';

/**
 * A scheduled callback. Ordering rule, the only one: (time, priority, sequence). Lower priority values run
 * first at equal times; equal priorities run in insertion order, so every tie is deterministic (SimPy's rule).
 */
export interface ScheduledEvent {
  readonly time: Micros;
  /** priority * 2^40 + insertion sequence: one number compares both. */
  readonly key: number;
  readonly label: string;
  readonly fn: () => void;
  cancelled: boolean;
}

const SEQ_SPAN = 2 ** 40;
export const MAX_PRIORITY = 4095; // 4095 * 2^40 + 2^40 < 2^53: the key stays an exact integer.

function before(a: ScheduledEvent, b: ScheduledEvent): boolean {
  return a.time < b.time || (a.time === b.time && a.key < b.key);
}

/** Binary min-heap of events. Cancellation is lazy: cancelled events are skipped when they reach the top. */
export class EventQueue {
  private readonly heap: ScheduledEvent[] = [];
  private seq = 0;
  private live = 0;

  get size(): number {
    return this.live;
  }

  push(time: Micros, priority: number, label: string, fn: () => void): ScheduledEvent {
    if (!(priority >= 0 && priority <= MAX_PRIORITY && Number.isInteger(priority))) {
      throw new RangeError(`event priority must be an integer in 0..${MAX_PRIORITY}, got ${priority}`);
    }
    const ev: ScheduledEvent = { time, key: priority * SEQ_SPAN + this.seq++, label, fn, cancelled: false };
    const heap = this.heap;
    let i = heap.length;
    heap.push(ev);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = heap[parent]!;
      if (!before(ev, p)) break;
      heap[i] = p;
      i = parent;
    }
    heap[i] = ev;
    this.live++;
    return ev;
  }

  cancel(ev: ScheduledEvent): void {
    if (!ev.cancelled) {
      ev.cancelled = true;
      this.live--;
    }
  }

  /** The earliest live event without removing it, or undefined. */
  peek(): ScheduledEvent | undefined {
    this.dropCancelled();
    return this.heap[0];
  }

  pop(): ScheduledEvent | undefined {
    this.dropCancelled();
    const ev = this.removeTop();
    if (ev) this.live--;
    return ev;
  }

  private dropCancelled(): void {
    while (this.heap.length > 0 && this.heap[0]!.cancelled) this.removeTop();
  }

  private removeTop(): ScheduledEvent | undefined {
    const heap = this.heap;
    const top = heap[0];
    if (top === undefined) return undefined;
    const last = heap.pop()!;
    const n = heap.length;
    if (n > 0) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= n) break;
        const r = l + 1;
        const c = r < n && before(heap[r]!, heap[l]!) ? r : l;
        const child = heap[c]!;
        if (!before(child, last)) break;
        heap[i] = child;
        i = c;
      }
      heap[i] = last;
    }
    return top;
  }
}

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
  /** True once cancelled (Simulation.cancel or EventQueue.cancel; assigning true does the same). */
  cancelled: boolean;
}

const SEQ_SPAN = 2 ** 40;
export const MAX_PRIORITY = 4095; // 4095 * 2^40 + 2^40 < 2^53: the key stays an exact integer.

/** Heap arity: a node's four children sit side by side, so one comparison round reads 32 contiguous bytes. */
const ARITY = 4;
const LOG_ARITY = 2;
const INITIAL_CAPACITY = 64;
/** Compact the heap when more entries are cancelled than live, and at least this many. */
const COMPACT_MIN_DEAD = 1024;

/**
 * The handle push returns. The queue itself never keeps a reference to it: the event's data lives in the
 * queue's slot arrays, so a handle the caller drops dies young (cheap for the GC), and running an event never
 * touches it. A handle finds its event again through (slot, key): the slot's key changes when it is reused.
 */
class Handle implements ScheduledEvent {
  private cancelledFlag = false;

  constructor(
    readonly time: Micros,
    readonly key: number,
    readonly label: string,
    readonly fn: () => void,
    readonly queue: EventQueue,
    readonly slot: number,
  ) {}

  get cancelled(): boolean {
    return this.cancelledFlag;
  }

  set cancelled(value: boolean) {
    if (value) this.queue.cancel(this);
    else if (this.cancelledFlag) throw new Error(`event "${this.label}" was cancelled; schedule it again instead`);
  }

  /** @internal Marks the handle; true the first time. */
  markCancelled(): boolean {
    if (this.cancelledFlag) return false;
    this.cancelledFlag = true;
    return true;
  }
}

/**
 * Min-heap of events, laid out as structure-of-arrays so that ordering never dereferences an object.
 *
 * - The heap proper is two parallel typed arrays, `times` (Float64Array) and `slots` (Int32Array), 4-ary.
 *   Comparisons read `times` only; the key (priority, sequence) is read from `slotKey` on equal times.
 * - Each pending event owns a slot: `slotKey`, `slotFn`, `slotLabel`. Freed slots are reused LIFO, so in a
 *   steady state the slot an event frees is the one the next push takes (it is in cache).
 * - Cancellation is lazy: a cancelled event's slotFn becomes null and the entry is dropped when it reaches the
 *   top (or when cancelled entries outnumber live ones, by one O(n) rebuild). The order of the remaining
 *   events never depends on the heap's shape: (time, key) is a total order.
 * - Arrays grow by doubling.
 */
export class EventQueue {
  private times = new Float64Array(INITIAL_CAPACITY);
  private slots = new Int32Array(INITIAL_CAPACITY);
  /** Entries in the heap, live and cancelled. */
  private n = 0;
  /** Cancelled entries still in the heap. */
  private dead = 0;
  private seq = 0;

  private slotKey = new Float64Array(INITIAL_CAPACITY);
  /** The callback; null once cancelled; undefined while the slot is free. */
  private readonly slotFn: (((() => void) | null) | undefined)[] = [];
  private readonly slotLabel: string[] = [];
  private freeSlots = new Int32Array(INITIAL_CAPACITY);
  private nFree = 0;

  /** The time of the event the last popUntil returned. */
  lastTime = 0 as Micros;
  /** The label of the event the last popUntil returned. */
  lastLabel = '';

  /** Live (not cancelled) events. */
  get size(): number {
    return this.n - this.dead;
  }

  push(time: Micros, priority: number, label: string, fn: () => void): ScheduledEvent {
    if (priority >>> 0 !== priority || priority > MAX_PRIORITY) {
      throw new RangeError(`event priority must be an integer in 0..${MAX_PRIORITY}, got ${priority}`);
    }
    const key = priority * SEQ_SPAN + this.seq++;
    let slot: number;
    if (this.nFree > 0) {
      slot = this.freeSlots[--this.nFree]!;
      this.slotFn[slot] = fn;
      this.slotLabel[slot] = label;
    } else {
      slot = this.slotFn.length;
      this.slotFn.push(fn);
      this.slotLabel.push(label);
    }
    const i = this.n++;
    if (i === this.times.length) this.grow();
    this.slotKey[slot] = key;
    this.siftUp(i, time, key, slot);
    return new Handle(time, key, label, fn, this, slot);
  }

  cancel(ev: ScheduledEvent): void {
    if (!(ev instanceof Handle)) return;
    if (ev.queue !== this) {
      ev.queue.cancel(ev);
      return;
    }
    if (!ev.markCancelled()) return;
    const slot = ev.slot;
    // Still pending (the slot was not freed and reused since), and not cancelled: mark the entry dead.
    if (this.slotKey[slot] === ev.key && this.slotFn[slot]) {
      this.slotFn[slot] = null;
      this.dead++;
      if (this.dead >= COMPACT_MIN_DEAD && this.dead > this.n - this.dead) this.compact();
    }
  }

  /** The time of the earliest live event, or +Infinity when there is none. */
  nextTime(): Micros {
    this.dropCancelled();
    return (this.n > 0 ? this.times[0]! : Number.POSITIVE_INFINITY) as Micros;
  }

  /** A record of the earliest live event (not the handle push returned: the queue keeps none), or undefined. */
  peek(): ScheduledEvent | undefined {
    this.dropCancelled();
    return this.n > 0 ? this.record(0) : undefined;
  }

  /** Removes the earliest live event and returns a record of it (see peek), or undefined. */
  pop(): ScheduledEvent | undefined {
    this.dropCancelled();
    if (this.n === 0) return undefined;
    const ev = this.record(0);
    this.removeTop();
    return ev;
  }

  /**
   * The kernel's fast path: removes the earliest live event if its time is at most `until` and returns its
   * callback, its time in lastTime; otherwise leaves the queue as it is and returns undefined.
   */
  popUntil(until: number): (() => void) | undefined {
    const times = this.times;
    while (this.n > 0) {
      const t = times[0]!;
      if (t > until) return undefined;
      const slot = this.slots[0]!;
      const fn = this.slotFn[slot];
      if (fn) this.lastLabel = this.slotLabel[slot]!;
      this.removeTop();
      if (fn) {
        this.lastTime = t as Micros;
        return fn;
      }
      this.dead--;
    }
    return undefined;
  }

  private record(i: number): ScheduledEvent {
    const slot = this.slots[i]!;
    return {
      time: this.times[i]! as Micros,
      key: this.slotKey[slot]!,
      label: this.slotLabel[slot]!,
      fn: this.slotFn[slot]!,
      cancelled: false,
    };
  }

  private dropCancelled(): void {
    while (this.n > 0 && this.slotFn[this.slots[0]!] === null) {
      this.removeTop();
      this.dead--;
    }
  }

  /** Removes the root (live or cancelled) and frees its slot. */
  private removeTop(): void {
    const slot = this.slots[0]!;
    this.freeSlot(slot);
    const n = --this.n;
    if (n > 0) this.siftDown(0, this.times[n]!, this.slots[n]!, n);
  }

  private freeSlot(slot: number): void {
    this.slotFn[slot] = undefined;
    this.slotKey[slot] = -1; // no handle's key: a late cancel of this event is a no-op
    this.freeSlots[this.nFree++] = slot;
  }

  /** Moves the hole at i up until (t, key) fits, then puts the entry there. */
  private siftUp(i: number, t: number, key: number, slot: number): void {
    const times = this.times;
    const slots = this.slots;
    const slotKey = this.slotKey;
    while (i > 0) {
      const p = (i - 1) >> LOG_ARITY;
      const pt = times[p]!;
      if (t < pt || (t === pt && key < slotKey[slots[p]!]!)) {
        times[i] = pt;
        slots[i] = slots[p]!;
        i = p;
      } else break;
    }
    times[i] = t;
    slots[i] = slot;
  }

  /** Moves the hole at i down (heap of n entries) until (t, slot's key) fits, then puts the entry there. */
  private siftDown(i: number, t: number, slot: number, n: number): void {
    const times = this.times;
    const slots = this.slots;
    const slotKey = this.slotKey;
    let key = -1; // read only on a tie
    for (;;) {
      const first = (i << LOG_ARITY) + 1;
      if (first >= n) break;
      const end = first + ARITY < n ? first + ARITY : n;
      let m = first;
      let mt = times[first]!;
      for (let c = first + 1; c < end; c++) {
        const ct = times[c]!;
        if (ct < mt || (ct === mt && slotKey[slots[c]!]! < slotKey[slots[m]!]!)) {
          m = c;
          mt = ct;
        }
      }
      if (mt > t) break;
      if (mt === t) {
        if (key < 0) key = slotKey[slot]!;
        if (slotKey[slots[m]!]! > key) break;
      }
      times[i] = mt;
      slots[i] = slots[m]!;
      i = m;
    }
    times[i] = t;
    slots[i] = slot;
  }

  private grow(): void {
    const capacity = this.times.length * 2;
    const times = new Float64Array(capacity);
    times.set(this.times);
    this.times = times;
    const slots = new Int32Array(capacity);
    slots.set(this.slots);
    this.slots = slots;
    // Slots in use never outnumber heap entries, so the slot arrays need the same capacity.
    const slotKey = new Float64Array(capacity);
    slotKey.set(this.slotKey);
    this.slotKey = slotKey;
    const freeSlots = new Int32Array(capacity);
    freeSlots.set(this.freeSlots);
    this.freeSlots = freeSlots;
  }

  /** Drops every cancelled entry at once and rebuilds the heap (Floyd), in O(n). */
  private compact(): void {
    const times = this.times;
    const slots = this.slots;
    let n = 0;
    for (let i = 0; i < this.n; i++) {
      const slot = slots[i]!;
      if (this.slotFn[slot] === null) this.freeSlot(slot);
      else {
        times[n] = times[i]!;
        slots[n] = slot;
        n++;
      }
    }
    this.n = n;
    this.dead = 0;
    for (let i = (n - 2) >> LOG_ARITY; i >= 0; i--) this.siftDown(i, times[i]!, slots[i]!, n);
  }
}

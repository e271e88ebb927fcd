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

type SlotFn = () => void;

const SEQ_SPAN = 2 ** 40;
export const MAX_PRIORITY = 4095; // 4095 * 2^40 + 2^40 < 2^53: the key stays an exact integer.

/** Tuning knobs; the order of events never depends on them (tests use tiny values to exercise every path). */
export interface EventQueueOptions {
  /** Pending events before the queue switches from a plain heap to heap + time buckets. */
  readonly spillAt?: number;
  /** Events per bucket aimed at when the far future is bucketed. */
  readonly bucketTarget?: number;
  /** Most buckets per rebuild. */
  readonly maxBuckets?: number;
}

const DEFAULT_SPILL_AT = 8192;
const DEFAULT_BUCKET_TARGET = 256;
const DEFAULT_MAX_BUCKETS = 4096;
/** Heap arity: a node's four children sit side by side, so one comparison round reads 32 contiguous bytes. */
const LOG_ARITY = 2;
const ARITY = 1 << LOG_ARITY;
const INITIAL_CAPACITY = 64;
/** Compact when more entries are cancelled than live, and at least this many. */
const COMPACT_MIN_DEAD = 1024;
/** Samples taken to estimate the median time of the overflow when it is bucketed. */
const SAMPLES = 255;

/**
 * The handle push returns. The queue keeps no reference to it: the event's data lives in the queue's slot
 * arrays, so a handle the caller drops dies young (cheap for the GC) and running an event never touches it.
 * A handle finds its event again through (slot, key): a slot's key changes when the slot is freed or reused.
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

  /** Marks the handle; true the first time. */
  markCancelled(): boolean {
    if (this.cancelledFlag) return false;
    this.cancelledFlag = true;
    return true;
  }
}

/** A copy of `a` in a new array of `capacity` (at least a.length) elements. */
function copyF64(a: Float64Array, capacity: number): Float64Array<ArrayBuffer> {
  const b = new Float64Array(capacity);
  b.set(a);
  return b;
}

function copyI32(a: Int32Array, capacity: number): Int32Array<ArrayBuffer> {
  const b = new Int32Array(capacity);
  b.set(a);
  return b;
}

/** An unordered, growable list of (time, slot) pairs: a bucket, or the overflow. */
class Run {
  times: Float64Array;
  slots: Int32Array;
  length = 0;

  constructor(capacity: number) {
    this.times = new Float64Array(capacity);
    this.slots = new Int32Array(capacity);
  }

  add(t: number, slot: number): void {
    const i = this.length;
    if (i === this.times.length) {
      this.times = copyF64(this.times, i * 2);
      this.slots = copyI32(this.slots, i * 2);
    }
    this.times[i] = t;
    this.slots[i] = slot;
    this.length = i + 1;
  }

  /** Empties the run, giving back memory a burst left behind. */
  clear(keepCapacity: number): void {
    this.length = 0;
    if (this.times.length > keepCapacity) {
      this.times = new Float64Array(keepCapacity);
      this.slots = new Int32Array(keepCapacity);
    }
  }
}

/**
 * The pending event set: a 4-ary min-heap for the near future and, once it holds many events, unsorted time
 * buckets for the far future (a two-rung ladder queue). Everything is structure-of-arrays, so ordering never
 * dereferences an object.
 *
 * - The heap is two parallel typed arrays, `times` (Float64Array) and `slots` (Int32Array). Comparisons read
 *   `times`; the key (priority, sequence) is read from `slotKey` only on equal times.
 * - Each pending event owns a slot: its key in `slotKey`, its callback and label side by side in `slotRefs`.
 *   Freed slots are reused LIFO, so in a steady state the slot an event frees is the one the next push takes
 *   (it is in cache).
 * - The heap holds exactly the events before `horizon`. Later ones are appended to the bucket covering their
 *   time ([farStart + j * width, + width)) or, past the last bucket, to the overflow. When the heap runs
 *   empty, the next bucket is heapified into it and the horizon moves to the bucket's end; when the buckets
 *   run out, the overflow's earlier half is bucketed again. So the heap stays small (about one bucket) and in
 *   cache, and the bucketing costs amortized O(1) per event. Order stays exact whatever the
 *   distribution: heap < horizon <= buckets in index order < overflow; a badly spread bucket only makes a
 *   bigger heap.
 * - Cancellation is lazy: a cancelled event's callback becomes null and its entry is dropped when it reaches
 *   the top of the heap or is moved, or all at once (O(n)) when cancelled entries outnumber live ones.
 */
export class EventQueue {
  private times = new Float64Array(INITIAL_CAPACITY);
  private slots = new Int32Array(INITIAL_CAPACITY);
  /** Entries in the heap, live and cancelled. */
  private n = 0;
  /** Entries in buckets and overflow, live and cancelled. */
  private far = 0;
  /** Cancelled entries not yet dropped, wherever they are. */
  private dead = 0;
  private seq = 0;

  private slotKey = new Float64Array(INITIAL_CAPACITY);
  /**
   * Per slot, side by side so that popping reads one cache line: [2 * slot] the callback (null once
   * cancelled, undefined while the slot is free), [2 * slot + 1] the label.
   */
  private readonly slotRefs: (SlotFn | string | null | undefined)[] = [];
  private freeSlots = new Int32Array(INITIAL_CAPACITY);
  private nFree = 0;

  private readonly spillAt: number;
  private readonly bucketTarget: number;
  private readonly maxBuckets: number;
  /** Every heap entry is earlier than this; every bucket or overflow entry is at or after it. */
  private horizon = Number.POSITIVE_INFINITY;
  private bucketed = false;
  private farStart = 0;
  private width = 1;
  private nBuckets = 0;
  /** Buckets before this index were moved into the heap: horizon = farStart + nextBucket * width. */
  private nextBucket = 0;
  private readonly buckets: Run[] = [];
  private readonly overflow = new Run(INITIAL_CAPACITY);

  /** The time of the event the last popUntil returned. */
  lastTime = 0 as Micros;
  /** The label of the event the last popUntil returned. */
  lastLabel = '';

  constructor(options: EventQueueOptions = {}) {
    this.spillAt = options.spillAt ?? DEFAULT_SPILL_AT;
    this.bucketTarget = options.bucketTarget ?? DEFAULT_BUCKET_TARGET;
    this.maxBuckets = options.maxBuckets ?? DEFAULT_MAX_BUCKETS;
  }

  /** Live (not cancelled) events. */
  get size(): number {
    return this.n + this.far - this.dead;
  }

  push(time: Micros, priority: number, label: string, fn: () => void): ScheduledEvent {
    if (priority >>> 0 !== priority || priority > MAX_PRIORITY) {
      throw new RangeError(`event priority must be an integer in 0..${MAX_PRIORITY}, got ${priority}`);
    }
    if (!(time >= -Number.MAX_VALUE)) throw new RangeError(`event "${label}" has time ${time}`);
    const key = priority * SEQ_SPAN + this.seq++;
    let slot: number;
    if (this.nFree > 0) {
      slot = this.freeSlots[--this.nFree]!;
      this.slotRefs[slot << 1] = fn;
      this.slotRefs[(slot << 1) + 1] = label;
    } else {
      slot = this.slotRefs.length >> 1;
      this.slotRefs.push(fn, label);
      if (slot === this.slotKey.length) this.growSlots();
    }
    this.slotKey[slot] = key;
    if (time < this.horizon) {
      if (this.n < this.spillAt || this.bucketed) this.heapPush(time, key, slot);
      else {
        this.spill();
        this.pushFar(time, slot);
      }
    } else this.pushFar(time, slot);
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
    if (this.slotKey[slot] === ev.key && this.fnOf(slot)) {
      this.slotRefs[slot << 1] = null;
      this.dead++;
      if (this.dead >= COMPACT_MIN_DEAD && this.dead > this.n + this.far - this.dead) this.compact();
    }
  }

  /** The time of the earliest live event, or +Infinity when there is none. */
  nextTime(): Micros {
    return (this.settleTop() ? this.times[0]! : Number.POSITIVE_INFINITY) as Micros;
  }

  /** A record of the earliest live event (not the handle push returned: the queue keeps none), or undefined. */
  peek(): ScheduledEvent | undefined {
    return this.settleTop() ? this.record(0) : undefined;
  }

  /** Removes the earliest live event and returns a record of it (see peek), or undefined. */
  pop(): ScheduledEvent | undefined {
    if (!this.settleTop()) return undefined;
    const ev = this.record(0);
    this.removeTop();
    return ev;
  }

  /**
   * The kernel's fast path: removes the earliest live event if its time is at most `until` and returns its
   * callback, its time in lastTime; otherwise leaves the queue as it is and returns undefined.
   */
  popUntil(until: number): (() => void) | undefined {
    for (;;) {
      if (this.n === 0 && !this.refill()) return undefined;
      const t = this.times[0]!;
      if (t > until) return undefined;
      const ref = this.slots[0]! << 1;
      const fn = this.slotRefs[ref] as SlotFn | null;
      this.removeTop();
      if (fn) {
        this.lastTime = t as Micros;
        this.lastLabel = this.slotRefs[ref + 1] as string;
        return fn;
      }
      this.dead--;
    }
  }

  /** Drops cancelled entries from the top; true when the top of the heap is then the earliest live event. */
  private settleTop(): boolean {
    for (;;) {
      if (this.n === 0 && !this.refill()) return false;
      if (this.fnOf(this.slots[0]!) !== null) return true;
      this.removeTop();
      this.dead--;
    }
  }

  private record(i: number): ScheduledEvent {
    const slot = this.slots[i]!;
    return {
      time: this.times[i]! as Micros,
      key: this.slotKey[slot]!,
      label: this.slotRefs[(slot << 1) + 1] as string,
      fn: this.fnOf(slot)!,
      cancelled: false,
    };
  }

  /** Removes the root (live or cancelled) and frees its slot. */
  private removeTop(): void {
    this.freeSlot(this.slots[0]!);
    const n = --this.n;
    if (n > 0) this.siftDown(0, this.times[n]!, this.slots[n]!, n);
  }

  private fnOf(slot: number): SlotFn | null | undefined {
    return this.slotRefs[slot << 1] as SlotFn | null | undefined;
  }

  private freeSlot(slot: number): void {
    this.slotRefs[slot << 1] = undefined;
    this.slotKey[slot] = -1; // matches no handle: a late cancel is a no-op
    this.freeSlots[this.nFree++] = slot;
  }

  private heapPush(t: number, key: number, slot: number): void {
    const i = this.n++;
    if (i === this.times.length) this.growHeap(i + 1);
    this.siftUp(i, t, key, slot);
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

  /** Floyd's bottom-up construction over the first n entries, in O(n). */
  private heapify(): void {
    const times = this.times;
    const slots = this.slots;
    const n = this.n;
    for (let i = (n - 2) >> LOG_ARITY; i >= 0; i--) this.siftDown(i, times[i]!, slots[i]!, n);
  }

  /** Where bucket j starts; the horizon and every bucket boundary come from this one expression. */
  private bucketStart(j: number): number {
    return this.farStart + j * this.width;
  }

  /**
   * Appends a far entry (time >= horizon) to the bucket j with bucketStart(j) <= t < bucketStart(j + 1), or
   * to the overflow when t >= bucketStart(nBuckets). The division only guesses j; the loops make it exact.
   */
  private pushFar(t: number, slot: number): void {
    this.far++;
    const nBuckets = this.nBuckets;
    let j = Math.floor((t - this.farStart) / this.width);
    if (!(j >= 0)) j = 0;
    else if (j > nBuckets) j = nBuckets;
    while (j > 0 && this.bucketStart(j) > t) j--;
    while (j < nBuckets && this.bucketStart(j + 1) <= t) j++;
    if (j < nBuckets) this.buckets[j]!.add(t, slot);
    else this.overflow.add(t, slot);
  }

  /** The heap has grown large in plain-heap mode: move everything to the overflow and start bucketing. */
  private spill(): void {
    const times = this.times;
    const slots = this.slots;
    for (let i = 0; i < this.n; i++) this.overflow.add(times[i]!, slots[i]!);
    this.far += this.n;
    this.n = 0;
    this.bucketed = true;
    this.horizon = Number.NEGATIVE_INFINITY;
    this.nBuckets = 0;
    this.nextBucket = 0;
  }

  /** Few events are left (the heap is empty): back to a plain heap holding them all. */
  private unspill(): void {
    for (let j = this.nextBucket; j < this.nBuckets; j++) {
      const bucket = this.buckets[j]!;
      for (let i = 0; i < bucket.length; i++) this.overflow.add(bucket.times[i]!, bucket.slots[i]!);
      bucket.clear(this.bucketTarget * 4);
    }
    this.nBuckets = 0;
    this.nextBucket = 0;
    this.bucketed = false;
    this.horizon = Number.POSITIVE_INFINITY;
    this.takeRun(this.overflow);
  }

  /** The heap is empty: move the next non-empty bucket into it (bucketing the overflow when needed). */
  private refill(): boolean {
    if (this.bucketed && this.far - this.dead < this.spillAt >> 2) this.unspill();
    while (this.n === 0) {
      if (this.nextBucket < this.nBuckets) {
        const bucket = this.buckets[this.nextBucket++]!;
        this.horizon = this.bucketStart(this.nextBucket);
        if (bucket.length > 0) this.takeRun(bucket);
      } else if (this.overflow.length > 0) this.bucketOverflow();
      else return false;
    }
    return true;
  }

  /** Moves a bucket's live entries into the empty heap and heapifies it. */
  private takeRun(run: Run): void {
    const len = run.length;
    if (len > this.times.length) this.growHeap(len);
    const times = this.times;
    const slots = this.slots;
    const rt = run.times;
    const rs = run.slots;
    let n = 0;
    for (let i = 0; i < len; i++) {
      const slot = rs[i]!;
      if (this.fnOf(slot) === null) {
        this.freeSlot(slot);
        this.dead--;
      } else {
        times[n] = rt[i]!;
        slots[n] = slot;
        n++;
      }
    }
    this.far -= len;
    this.n = n;
    run.clear(this.bucketTarget * 4);
    this.heapify();
  }

  /**
   * Buckets the overflow's earlier part: from its earliest time to about its median (estimated from a fixed
   * stride of samples), in about overflow / (2 * bucketTarget) buckets. Later entries stay in the overflow.
   * The next rebuild comes only once all those buckets were consumed, so its O(overflow) cost is paid for by
   * the events popped in between (amortized O(1) per event).
   */
  private bucketOverflow(): void {
    const ov = this.overflow;
    const len = ov.length;
    const times = ov.times;
    let min = Number.POSITIVE_INFINITY;
    let maxFinite = Number.NEGATIVE_INFINITY;
    for (let i = 0; i < len; i++) {
      const t = times[i]!;
      if (t < min) min = t;
      if (t > maxFinite && t !== Number.POSITIVE_INFINITY) maxFinite = t;
    }
    if (min === Number.POSITIVE_INFINITY) {
      // Only events at +Infinity are left: they can only go to the heap, and the heap takes all from now on.
      this.horizon = Number.POSITIVE_INFINITY;
      this.nBuckets = 0;
      this.nextBucket = 0;
      this.takeRun(ov);
      return;
    }
    const count = Math.min(len, SAMPLES);
    const sample = new Float64Array(count);
    for (let s = 0; s < count; s++) sample[s] = times[Math.floor((s * len) / count)]!;
    sample.sort();
    const median = Math.min(sample[count >> 1]!, maxFinite);
    const nBuckets = Math.min(this.maxBuckets, Math.max(1, Math.ceil(len / (2 * this.bucketTarget))));
    this.farStart = min;
    this.nBuckets = nBuckets;
    this.width = Math.max(1, Math.ceil((median - min + 1) / nBuckets));
    // A sample that missed the real spread (a pattern in insertion order) must not make rebuilds take a few
    // entries each: if less than an eighth would move, span every finite time instead.
    let moving = 0;
    let end = this.bucketStart(nBuckets);
    for (let i = 0; i < len; i++) if (times[i]! < end) moving++;
    if (moving < len >> 3) {
      this.width = Math.max(1, Math.ceil((maxFinite - min + 1) / nBuckets));
      end = this.bucketStart(nBuckets);
    }
    this.nextBucket = 0;
    this.horizon = min; // the heap is empty, so the horizon may move up to the earliest far entry
    while (this.buckets.length < nBuckets) this.buckets.push(new Run(16));
    for (let j = 0; j < nBuckets; j++) this.buckets[j]!.length = 0;
    const slots = ov.slots;
    let kept = 0;
    this.far -= len;
    for (let i = 0; i < len; i++) {
      const t = times[i]!;
      const slot = slots[i]!;
      if (t < end) this.pushFar(t, slot);
      else {
        times[kept] = t;
        slots[kept] = slot;
        kept++;
      }
    }
    this.far += kept;
    ov.length = kept;
  }

  private growHeap(atLeast: number): void {
    let capacity = this.times.length * 2;
    while (capacity < atLeast) capacity *= 2;
    this.times = copyF64(this.times, capacity);
    this.slots = copyI32(this.slots, capacity);
  }

  /** Slots in use never outnumber pending entries; grow the slot arrays with them. */
  private growSlots(): void {
    const capacity = this.slotKey.length * 2;
    this.slotKey = copyF64(this.slotKey, capacity);
    this.freeSlots = copyI32(this.freeSlots, capacity);
  }

  /** Drops every cancelled entry at once: from the heap (then rebuilt), the buckets and the overflow. O(n). */
  private compact(): void {
    const times = this.times;
    const slots = this.slots;
    let n = 0;
    for (let i = 0; i < this.n; i++) {
      const slot = slots[i]!;
      if (this.fnOf(slot) === null) this.freeSlot(slot);
      else {
        times[n] = times[i]!;
        slots[n] = slot;
        n++;
      }
    }
    this.n = n;
    this.heapify();
    this.far = 0;
    for (let j = this.nextBucket; j < this.nBuckets; j++) this.far += this.compactRun(this.buckets[j]!);
    this.far += this.compactRun(this.overflow);
    this.dead = 0;
  }

  private compactRun(run: Run): number {
    let kept = 0;
    for (let i = 0; i < run.length; i++) {
      const slot = run.slots[i]!;
      if (this.fnOf(slot) === null) this.freeSlot(slot);
      else {
        run.times[kept] = run.times[i]!;
        run.slots[kept] = slot;
        kept++;
      }
    }
    run.length = kept;
    return kept;
  }
}

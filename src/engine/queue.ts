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

export const SEQ_SPAN = 2 ** 40;
export const MAX_PRIORITY = 4095; // 4095 * 2^40 + 2^40 < 2^53: the key stays an exact integer.

/** Tuning knobs; the order of events never depends on them (tests use tiny values to exercise every path). */
export interface EventQueueOptions {
  /** Fewest buckets, a power of two: the calendar never shrinks below it. */
  readonly minBuckets?: number;
  /** Operations between two looks at what the calendar costs (it re-estimates its bucket width when costly). */
  readonly checkEvery?: number;
  /** Events in the calendar beyond which the far future moves out of it, into unsorted runs. */
  readonly spillAt?: number;
  /** Events per far run aimed at when the far future is cut into runs. */
  readonly runTarget?: number;
  /** Most far runs per cut. */
  readonly maxRuns?: number;
}

const DEFAULT_MIN_BUCKETS = 16;
const DEFAULT_CHECK_EVERY = 8192;
const DEFAULT_SPILL_AT = 16384;
const DEFAULT_RUN_TARGET = 512;
const DEFAULT_MAX_RUNS = 4096;
/** Samples taken to estimate the median time of the overflow when it is cut into runs. */
const SAMPLES = 255;
/** The bucket width is this multiple of the mean separation of the earliest events (Brown 1988: 3). */
const WIDTH_FACTOR = 3;
/** How many of the earliest events the width is estimated from (Brown 1988: up to 25). */
const WIDTH_SAMPLE = 25;
/**
 * Mean steps per operation (buckets skipped while looking for the next event, list entries walked while
 * inserting) above which the width no longer fits the events and is estimated again. A well-sized calendar
 * takes 1-3.
 */
const COSTLY_STEPS = 12;
/** Compact when more entries are cancelled than live, and at least this many. */
const COMPACT_MIN_DEAD = 1024;
const INITIAL_CAPACITY = 64;
const NIL = -1;
/** Insertion fingers kept (a power of two): see EventQueue.fingers. */
const FINGERS = 64;
/** Fields of a slot's record in EventQueue.rec. */
const STRIDE = 4;
const TIME = 0;
const KEY = 1;
const DAY = 2;
const NEXT = 3;

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

function grownF64(a: Float64Array, capacity: number): Float64Array<ArrayBuffer> {
  const b = new Float64Array(capacity);
  b.set(a);
  return b;
}

function grownI32(a: Int32Array, capacity: number): Int32Array<ArrayBuffer> {
  const b = new Int32Array(capacity);
  b.set(a);
  return b;
}

/** An unordered, growable list of (time, slot) pairs: a far run, or the overflow. */
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
      this.times = grownF64(this.times, i * 2);
      this.slots = grownI32(this.slots, i * 2);
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

/** n buckets as (head, tail) pairs, all empty. */
function emptyBuckets(n: number): Int32Array<ArrayBuffer> {
  return new Int32Array(2 * n).fill(NIL);
}

/**
 * The pending event set: a calendar queue (R. Brown, "Calendar queues: a fast O(1) priority queue
 * implementation for the simulation event set problem", CACM 31(10), 1988), the classic structure of
 * discrete-event simulators. A heap costs a handful of unpredictable comparisons per level; a calendar
 * finds the next event in O(1) expected steps whatever the number pending.
 *
 * - Time is cut into days of `width`; day d = floor(time * (1 / width)) lives in bucket d mod nBuckets (a
 *   year is nBuckets days). Each bucket is a singly linked list sorted by (time, key), so its head is its
 *   earliest event. Days are stored per event and compared exactly: the floor of a correctly rounded
 *   product of the time and 1 / width is monotone in time, so ordering by (day, time, key) is ordering by
 *   (time, key) for any width, whatever the rounding.
 * - The next event is the head of today's bucket if it belongs to today; otherwise the search moves to the
 *   next day. A year without an event jumps straight to the earliest head (Brown's direct search). No event
 *   is ever on a day before today: pushing one earlier moves today back.
 * - The calendar doubles when it holds more than two events per bucket and halves below one per two,
 *   re-estimating the width from the earliest events (Brown's rule: 3 times their mean separation, ignoring
 *   separations over twice the mean). It also re-estimates when operations start costing many steps (the
 *   distribution of times moved), at most once per `checkEvery` operations and per number of events, so the
 *   rebuilds cost O(1) amortized.
 * - With many events pending (more than spillAt), the calendar keeps only the near future, the events before
 *   a horizon; later ones are appended, unsorted, to far runs covering [farStart + j * farWidth, + farWidth)
 *   or, past the last run, to an overflow (the upper rungs of a ladder queue, Tang, Goh and Thng 2005). When
 *   the calendar runs dry the next run is linked into it and the horizon moves to the run's end; when the
 *   runs are used up, the overflow's earlier half is cut into runs again. A push is then an append to one
 *   run and the calendar stays small and in cache at any N. Order stays exact whatever the distribution:
 *   calendar < horizon <= runs in index order < overflow. Meanwhile the calendar does not shrink (it is
 *   refilled run by run) and goes back to holding everything once few events are left.
 * - Appending at a bucket's tail is checked first, so a burst of events at one time (ties in insertion
 *   order) costs O(1) each. Events at +Infinity wait in their own list, in key order.
 * - Everything lives in flat arrays indexed by slot: a pending event owns a slot whose time, key, day and
 *   list link sit side by side in one Float64Array (two slots per cache line), and its callback and label
 *   side by side in one array; a bucket's head and tail are neighbours too. Freed slots are reused LIFO, so
 *   in a steady state the slot an event frees is the one the next push takes (it is in cache).
 * - Cancellation is lazy: a cancelled event's callback becomes null and its entry is dropped when it
 *   reaches the front, or all at once (a rebuild, O(n)) when cancelled entries outnumber live ones.
 */
export class EventQueue {
  /**
   * Per slot, side by side: [slot * STRIDE + TIME] its time, + KEY its key, + DAY its day, + NEXT the next
   * slot in its list (NIL at the end).
   */
  private rec = new Float64Array(INITIAL_CAPACITY * STRIDE);
  /** Per slot: [2 * slot] the callback (null once cancelled, undefined while free), [2 * slot + 1] the label. */
  private readonly refs: (SlotFn | string | null | undefined)[] = [];
  private freeSlots = new Int32Array(INITIAL_CAPACITY);
  private nFree = 0;

  private readonly minBuckets: number;
  private readonly checkEvery: number;
  private nBuckets: number;
  private mask: number;
  /** Per bucket: [2 * b] its first slot, [2 * b + 1] its last (NIL when empty). */
  private buckets: Int32Array;
  private width = 1;
  /**
   * The last entry a walk inserted, per bucket modulo FINGERS (a few cache lines, whatever the calendar's size),
   * and its key: its slot may have been freed or reused since, or the finger be another bucket's (both checked).
   */
  private readonly fingers = new Int32Array(FINGERS).fill(NIL);
  private readonly fingerKeys = new Float64Array(FINGERS);
  /**
   * 1 / width: a day is floor(time * perDay). Multiplying by a positive constant, correctly rounded, is
   * monotone in time like the division, which is all the ordering needs, and it is cheaper.
   */
  private perDay = 1;
  /** The day the search for the next event starts from, and its bucket (today & mask). */
  private today = 0;
  private cur = 0;
  /** Entries in buckets (finite times), live and cancelled. */
  private entries = 0;
  /** Entries at +Infinity, live and cancelled, in key order. */
  private infHead = NIL;
  private infTail = NIL;
  private infEntries = 0;
  /** Cancelled entries not yet dropped, wherever they are. */
  private dead = 0;
  private seq = 0;

  private readonly spillAt: number;
  private readonly runTarget: number;
  private readonly maxRuns: number;
  /** Every calendar entry is earlier than this; every far entry (runs, overflow) is at or after it. */
  private horizon = Number.POSITIVE_INFINITY;
  /** Whether the far future is kept out of the calendar (from a spill until few events are left). */
  private farActive = false;
  /** Entries in runs and overflow, live and cancelled. */
  private far = 0;
  private farStart = 0;
  private farWidth = 1;
  private nRuns = 0;
  /** Runs before this index were moved into the calendar: horizon = runStart(nextRun). */
  private nextRun = 0;
  private readonly runs: Run[] = [];
  private readonly overflow = new Run(INITIAL_CAPACITY);
  /** Cost accounting since the last look: steps taken, operations done, when to look next. */
  private steps = 0;
  private ops = 0;
  private nextCheck: number;
  /** Estimate the width at the next refill (the calendar was just cut down to the near future). */
  private calibrate = false;

  /** The time of the event the last popUntil returned. */
  lastTime = 0 as Micros;
  /** The label of the event the last popUntil returned. */
  lastLabel = '';
  /** The key (priority * 2^40 + sequence) of the event the last popUntil returned. */
  lastKey = 0;

  constructor(options: EventQueueOptions = {}) {
    const min = options.minBuckets ?? DEFAULT_MIN_BUCKETS;
    if (!(min >= 1 && (min & (min - 1)) === 0)) throw new RangeError(`minBuckets must be a power of two, got ${min}`);
    this.minBuckets = min;
    this.checkEvery = Math.max(1, options.checkEvery ?? DEFAULT_CHECK_EVERY);
    this.nextCheck = this.checkEvery;
    this.nBuckets = min;
    this.mask = min - 1;
    this.buckets = emptyBuckets(min);
    this.resetFingers();
    this.spillAt = Math.max(1, options.spillAt ?? DEFAULT_SPILL_AT);
    this.runTarget = Math.max(1, options.runTarget ?? DEFAULT_RUN_TARGET);
    this.maxRuns = Math.max(1, options.maxRuns ?? DEFAULT_MAX_RUNS);
  }

  /** Live (not cancelled) events. */
  get size(): number {
    return this.entries + this.far + this.infEntries - this.dead;
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
      this.refs[slot << 1] = fn;
      this.refs[(slot << 1) + 1] = label;
    } else {
      slot = this.refs.length >> 1;
      this.refs.push(fn, label);
      if (slot === this.freeSlots.length) this.growSlots();
    }
    const r = slot * STRIDE;
    this.rec[r + TIME] = time;
    this.rec[r + KEY] = key;
    if (time === Number.POSITIVE_INFINITY) this.pushInfinite(slot, key);
    else if (time < this.horizon) {
      this.insert(slot, time, key);
      if (++this.entries > this.nBuckets << 1) {
        if (!this.farActive && this.entries > this.spillAt) this.spill();
        else this.rebuild(this.nBuckets << 1);
      } else if (++this.ops >= this.nextCheck) this.checkCost();
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
    if (this.rec[slot * STRIDE + KEY] === ev.key && this.refs[slot << 1]) {
      this.refs[slot << 1] = null;
      this.dead++;
      if (this.dead >= COMPACT_MIN_DEAD && this.dead > this.size) this.compact();
    }
  }

  /** The time of the earliest live event, or +Infinity when there is none. */
  nextTime(): Micros {
    const s = this.settle();
    return (s === NIL ? Number.POSITIVE_INFINITY : this.rec[s * STRIDE + TIME]!) as Micros;
  }

  /** A record of the earliest live event (not the handle push returned: the queue keeps none), or undefined. */
  peek(): ScheduledEvent | undefined {
    const s = this.settle();
    return s === NIL ? undefined : this.record(s);
  }

  /** Removes the earliest live event and returns a record of it (see peek), or undefined. */
  pop(): ScheduledEvent | undefined {
    const s = this.settle();
    if (s === NIL) return undefined;
    const ev = this.record(s);
    this.removeFront(s);
    return ev;
  }

  /**
   * The kernel's fast path: removes the earliest live event if its time is at most `until` and returns its
   * callback, its time in lastTime; otherwise leaves the queue as it is and returns undefined.
   */
  popUntil(until: number): (() => void) | undefined {
    for (;;) {
      // Most often the next event is the head of today's bucket: look there before searching.
      let s = this.buckets[this.cur << 1]!;
      if (s === NIL || this.rec[s * STRIDE + DAY] !== this.today) s = this.front();
      if (s === NIL) return undefined;
      const t = this.rec[s * STRIDE + TIME]!;
      if (t > until) return undefined;
      const fn = this.refs[s << 1] as SlotFn | null;
      const label = this.refs[(s << 1) + 1] as string;
      const key = this.rec[s * STRIDE + KEY]!;
      this.removeFront(s);
      if (fn !== null) {
        this.lastTime = t as Micros;
        this.lastLabel = label;
        this.lastKey = key;
        return fn;
      }
      this.dead--;
    }
  }

  /** The earliest entry, live or cancelled (NIL when there is none); today and cur end on its day. */
  private front(): number {
    if (this.entries === 0 && (this.far === 0 || !this.refill())) return this.infHead;
    const buckets = this.buckets;
    const rec = this.rec;
    const mask = this.mask;
    let cur = this.cur;
    let today = this.today;
    for (let k = 0; k <= mask; k++) {
      const h = buckets[cur << 1]!;
      if (h !== NIL && rec[h * STRIDE + DAY] === today) {
        this.cur = cur;
        this.today = today;
        this.steps += k;
        return h;
      }
      cur = (cur + 1) & mask;
      today++;
    }
    return this.directSearch();
  }

  /** A year went by without an event: the earliest head is the next event; today jumps to its day. */
  private directSearch(): number {
    const buckets = this.buckets;
    let best = NIL;
    for (let b = 0; b < this.nBuckets; b++) {
      const h = buckets[b << 1]!;
      if (h !== NIL && (best === NIL || this.before(h, best))) best = h;
    }
    this.steps += this.nBuckets;
    this.today = this.rec[best * STRIDE + DAY]!;
    this.cur = this.today & this.mask;
    return best;
  }

  /** Whether slot a's event comes before slot b's: by (time, key). */
  private before(a: number, b: number): boolean {
    const rec = this.rec;
    const ta = rec[a * STRIDE + TIME]!;
    const tb = rec[b * STRIDE + TIME]!;
    return ta < tb || (ta === tb && rec[a * STRIDE + KEY]! < rec[b * STRIDE + KEY]!);
  }

  /** The earliest live entry, dropping cancelled ones in front of it; NIL when none is left. */
  private settle(): number {
    for (;;) {
      const s = this.front();
      if (s === NIL || this.refs[s << 1] !== null) return s;
      this.removeFront(s);
      this.dead--;
    }
  }

  private record(slot: number): ScheduledEvent {
    return {
      time: this.rec[slot * STRIDE + TIME]! as Micros,
      key: this.rec[slot * STRIDE + KEY]!,
      label: this.refs[(slot << 1) + 1] as string,
      fn: this.refs[slot << 1] as SlotFn,
      cancelled: false,
    };
  }

  /** Unlinks the entry front() returned and frees its slot. */
  private removeFront(s: number): void {
    const next = this.rec[s * STRIDE + NEXT]!;
    if (this.entries === 0) {
      this.infHead = next;
      if (next === NIL) this.infTail = NIL;
      this.infEntries--;
    } else {
      const b = this.cur << 1;
      this.buckets[b] = next;
      if (next === NIL) this.buckets[b + 1] = NIL;
      this.entries--;
      if (this.entries < this.nBuckets >> 1 && this.nBuckets > this.minBuckets && !this.farActive) this.rebuild(this.nBuckets >> 1);
      else if (++this.ops >= this.nextCheck) this.checkCost();
    }
    this.freeSlot(s);
  }

  private freeSlot(s: number): void {
    this.refs[s << 1] = undefined;
    this.rec[s * STRIDE + KEY] = -1; // matches no handle: a late cancel is a no-op
    this.freeSlots[this.nFree++] = s;
  }

  /** Links a slot into its day's bucket, keeping the bucket sorted by (time, key). */
  private insert(slot: number, t: number, key: number): void {
    const rec = this.rec;
    const buckets = this.buckets;
    const r = slot * STRIDE;
    const day = Math.floor(t * this.perDay);
    rec[r + DAY] = day;
    if (day < this.today) {
      this.today = day;
      this.cur = day & this.mask;
    }
    const b = (day & this.mask) << 1;
    const last = buckets[b + 1]!;
    if (last === NIL) {
      rec[r + NEXT] = NIL;
      buckets[b] = slot;
      buckets[b + 1] = slot;
      return;
    }
    const lt = rec[last * STRIDE + TIME]!;
    if (t > lt || (t === lt && key > rec[last * STRIDE + KEY]!)) {
      rec[r + NEXT] = NIL;
      rec[last * STRIDE + NEXT] = slot;
      buckets[b + 1] = slot;
      return;
    }
    let h = buckets[b]!;
    const ht = rec[h * STRIDE + TIME]!;
    if (t < ht || (t === ht && key < rec[h * STRIDE + KEY]!)) {
      rec[r + NEXT] = h;
      buckets[b] = slot;
      return;
    }
    // The new entry goes after h and before the tail: walk to its place, from the entry last walked into this
    // bucket when it is still there and comes before the new one. Without it a burst at one instant (hundreds of
    // standbys retrying on one 15 s grid) is walked in full by every event inserted behind it in its bucket, and
    // by each of its own members: events inserted in time order, as timers set a fixed delay ahead are, walk
    // nothing.
    const bucket = b >> 1;
    const fb = bucket & (FINGERS - 1);
    const f = this.fingers[fb]!;
    const fk = this.fingerKeys[fb]!;
    if (f !== NIL && rec[f * STRIDE + KEY] === fk && (rec[f * STRIDE + DAY]! & this.mask) === bucket) {
      const ft = rec[f * STRIDE + TIME]!;
      if (ft < t || (ft === t && fk < key)) h = f;
    }
    this.fingers[fb] = slot;
    this.fingerKeys[fb] = key;
    let walked = 0;
    for (;;) {
      const n = rec[h * STRIDE + NEXT]!;
      const nt = rec[n * STRIDE + TIME]!;
      if (nt > t || (nt === t && rec[n * STRIDE + KEY]! > key)) break;
      h = n;
      walked++;
    }
    rec[r + NEXT] = rec[h * STRIDE + NEXT]!;
    rec[h * STRIDE + NEXT] = slot;
    this.steps += walked;
  }

  /** Events at +Infinity: one list in key order (all have the same time). */
  private pushInfinite(slot: number, key: number): void {
    const rec = this.rec;
    const r = slot * STRIDE;
    this.infEntries++;
    if (this.infTail === NIL) {
      rec[r + NEXT] = NIL;
      this.infHead = this.infTail = slot;
    } else if (key > rec[this.infTail * STRIDE + KEY]!) {
      rec[r + NEXT] = NIL;
      rec[this.infTail * STRIDE + NEXT] = slot;
      this.infTail = slot;
    } else if (key < rec[this.infHead * STRIDE + KEY]!) {
      rec[r + NEXT] = this.infHead;
      this.infHead = slot;
    } else {
      let h = this.infHead;
      while (rec[rec[h * STRIDE + NEXT]! * STRIDE + KEY]! < key) h = rec[h * STRIDE + NEXT]!;
      rec[r + NEXT] = rec[h * STRIDE + NEXT]!;
      rec[h * STRIDE + NEXT] = slot;
    }
  }

  /** Every checkEvery operations (and at least once per event pending): re-estimate the width if costly. */
  private checkCost(): void {
    const costly = this.steps > COSTLY_STEPS * this.ops;
    this.steps = 0;
    this.ops = 0;
    this.nextCheck = Math.max(this.checkEvery, this.entries);
    if (costly) this.rebuild(this.nBuckets);
  }

  /**
   * Re-links every live entry into nBuckets buckets of a newly estimated width, dropping cancelled entries.
   * O(entries); callers make it amortized O(1) per operation.
   */
  private rebuild(nBuckets: number): void {
    const old = this.buckets;
    const rec = this.rec;
    // Gather the live entries (bucket by bucket, each in order) and free the cancelled ones.
    const live = new Int32Array(this.entries);
    let n = 0;
    for (let b = 0; b < old.length; b += 2) {
      for (let s = old[b]!; s !== NIL; ) {
        const nx = rec[s * STRIDE + NEXT]!;
        if (this.refs[s << 1] === null) this.freeDead(s);
        else live[n++] = s;
        s = nx;
      }
    }
    this.pruneInfinite();
    this.width = this.estimateWidth(live, n);
    this.perDay = 1 / this.width;
    this.nBuckets = nBuckets;
    this.mask = nBuckets - 1;
    this.buckets = emptyBuckets(nBuckets);
    this.resetFingers();
    this.entries = n;
    this.today = Number.POSITIVE_INFINITY; // insert moves it back to the earliest day
    for (let i = 0; i < n; i++) {
      const s = live[i]!;
      this.insert(s, rec[s * STRIDE + TIME]!, rec[s * STRIDE + KEY]!);
    }
    if (n === 0) this.today = Math.floor(this.lastTime * this.perDay);
    this.cur = this.today & this.mask;
    this.steps = 0;
    this.ops = 0;
    this.nextCheck = Math.max(this.checkEvery, n);
  }

  /** Drops every cancelled entry at once: calendar, far runs, overflow and the +Infinity list. O(n). */
  private compact(): void {
    this.rebuild(this.nBuckets);
    this.far = 0;
    for (let j = this.nextRun; j < this.nRuns; j++) this.far += this.compactRun(this.runs[j]!);
    this.far += this.compactRun(this.overflow);
  }

  private compactRun(run: Run): number {
    let kept = 0;
    for (let i = 0; i < run.length; i++) {
      const slot = run.slots[i]!;
      if (this.refs[slot << 1] === null) this.freeDead(slot);
      else {
        run.times[kept] = run.times[i]!;
        run.slots[kept] = slot;
        kept++;
      }
    }
    run.length = kept;
    return kept;
  }

  /** The calendar holds too many events: move them all to the overflow and keep only the near future. */
  private spill(): void {
    const old = this.buckets;
    const rec = this.rec;
    for (let b = 0; b < old.length; b += 2) {
      for (let s = old[b]!; s !== NIL; s = rec[s * STRIDE + NEXT]!) this.overflow.add(rec[s * STRIDE + TIME]!, s);
    }
    this.far += this.entries;
    this.entries = 0;
    this.farActive = true;
    this.horizon = Number.NEGATIVE_INFINITY;
    this.nRuns = 0;
    this.nextRun = 0;
    // The calendar will hold about one run: size it for that and estimate its width at the first refill.
    let nBuckets = this.minBuckets;
    while (nBuckets < this.runTarget >> 1) nBuckets <<= 1;
    this.nBuckets = nBuckets;
    this.mask = nBuckets - 1;
    this.buckets = emptyBuckets(nBuckets);
    this.resetFingers();
    this.calibrate = true;
  }

  /** Few events are left: link every far entry into the calendar and stop keeping the far future apart. */
  private unspill(): void {
    for (let j = this.nextRun; j < this.nRuns; j++) this.takeRun(this.runs[j]!);
    this.takeRun(this.overflow);
    this.nRuns = 0;
    this.nextRun = 0;
    this.farActive = false;
    this.horizon = Number.POSITIVE_INFINITY;
    let nBuckets = this.minBuckets;
    while (nBuckets << 1 < this.entries) nBuckets <<= 1;
    this.rebuild(nBuckets);
  }

  /** The calendar is empty: link the next non-empty run into it (cutting the overflow when needed). */
  private refill(): boolean {
    if (this.farActive && this.far - this.dead < this.spillAt >> 2) {
      this.unspill();
      return this.entries > 0;
    }
    while (this.entries === 0) {
      if (this.nextRun < this.nRuns) {
        const run = this.runs[this.nextRun++]!;
        this.horizon = this.runStart(this.nextRun);
        if (run.length > 0) this.takeRun(run);
      } else if (this.overflow.length > 0) this.cutOverflow();
      else return false;
    }
    if (this.calibrate || this.entries > this.nBuckets << 1) {
      this.calibrate = false;
      let nBuckets = this.nBuckets;
      while (nBuckets << 1 < this.entries) nBuckets <<= 1;
      this.rebuild(nBuckets);
    }
    return true;
  }

  /** Links a run's live entries into the calendar and frees its cancelled ones. */
  private takeRun(run: Run): void {
    const len = run.length;
    const rs = run.slots;
    const rec = this.rec;
    for (let i = 0; i < len; i++) {
      const s = rs[i]!;
      if (this.refs[s << 1] === null) this.freeDead(s);
      else {
        this.insert(s, rec[s * STRIDE + TIME]!, rec[s * STRIDE + KEY]!);
        this.entries++;
      }
    }
    this.far -= len;
    run.clear(this.runTarget * 4);
  }

  /** Where far run j starts; the horizon and every run boundary come from this one expression. */
  private runStart(j: number): number {
    return this.farStart + j * this.farWidth;
  }

  /**
   * Appends a far entry (time >= horizon) to the run j with runStart(j) <= t < runStart(j + 1), or to the
   * overflow when t >= runStart(nRuns). The division only guesses j; the loops make it exact.
   */
  private pushFar(t: number, slot: number): void {
    this.far++;
    const nRuns = this.nRuns;
    let j = Math.floor((t - this.farStart) / this.farWidth);
    if (!(j >= 0)) j = 0;
    else if (j > nRuns) j = nRuns;
    while (j > 0 && this.runStart(j) > t) j--;
    while (j < nRuns && this.runStart(j + 1) <= t) j++;
    if (j < nRuns) this.runs[j]!.add(t, slot);
    else this.overflow.add(t, slot);
  }

  /**
   * Cuts the overflow's earlier part into runs: from its earliest time to about its median (estimated from a
   * fixed stride of samples), in about overflow / (2 * runTarget) runs. Later entries stay in the overflow.
   * The next cut comes only once all those runs were used, so its O(overflow) cost is paid for by the events
   * popped in between (amortized O(1) per event).
   */
  private cutOverflow(): void {
    const ov = this.overflow;
    const len = ov.length;
    const times = ov.times;
    let min = Number.POSITIVE_INFINITY;
    let max = Number.NEGATIVE_INFINITY;
    for (let i = 0; i < len; i++) {
      const t = times[i]!;
      if (t < min) min = t;
      if (t > max) max = t;
    }
    const count = Math.min(len, SAMPLES);
    const sample = new Float64Array(count);
    for (let i = 0; i < count; i++) sample[i] = times[Math.floor((i * len) / count)]!;
    sample.sort();
    const median = sample[count >> 1]!;
    const nRuns = Math.min(this.maxRuns, Math.max(1, Math.ceil(len / (2 * this.runTarget))));
    this.farStart = min;
    this.nRuns = nRuns;
    this.farWidth = Math.max(1, Math.ceil((median - min + 1) / nRuns));
    // A sample that missed the real spread (a pattern in insertion order) must not make cuts take a few
    // entries each: if less than an eighth would move, span every time instead.
    let end = this.runStart(nRuns);
    let moving = 0;
    for (let i = 0; i < len; i++) if (times[i]! < end) moving++;
    if (moving < len >> 3) {
      this.farWidth = Math.max(1, Math.ceil((max - min + 1) / nRuns));
      end = this.runStart(nRuns);
    }
    if (!(end > min)) {
      // Times so large that a run's width is lost to rounding: no run could take anything, so the calendar
      // takes everything and the far future is no longer kept apart.
      this.nRuns = 0;
      this.nextRun = 0;
      this.farActive = false;
      this.horizon = Number.POSITIVE_INFINITY;
      this.takeRun(ov);
      return;
    }
    this.nextRun = 0;
    this.horizon = min; // the calendar is empty, so the horizon may move up to the earliest far entry
    while (this.runs.length < nRuns) this.runs.push(new Run(16));
    for (let j = 0; j < nRuns; j++) this.runs[j]!.length = 0;
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

  private freeDead(s: number): void {
    this.freeSlot(s);
    this.dead--;
  }

  private pruneInfinite(): void {
    const rec = this.rec;
    let prev = NIL;
    for (let s = this.infHead; s !== NIL; ) {
      const nx = rec[s * STRIDE + NEXT]!;
      if (this.refs[s << 1] === null) {
        if (prev === NIL) this.infHead = nx;
        else rec[prev * STRIDE + NEXT] = nx;
        this.freeDead(s);
        this.infEntries--;
      } else prev = s;
      s = nx;
    }
    this.infTail = prev;
  }

  /**
   * Brown's estimate: the mean separation of the earliest WIDTH_SAMPLE events, again without separations
   * over twice that mean, times WIDTH_FACTOR. Keeps the current width when the events give no separation
   * (fewer than two, or all at one time).
   */
  private estimateWidth(live: Int32Array, n: number): number {
    const k = Math.min(n, WIDTH_SAMPLE);
    if (k < 2) return this.width;
    // The k earliest times, by insertion into a small sorted array (O(n) for times in no special order).
    const earliest = new Float64Array(k).fill(Number.POSITIVE_INFINITY);
    for (let i = 0; i < n; i++) {
      const t = this.rec[live[i]! * STRIDE + TIME]!;
      if (t >= earliest[k - 1]!) continue;
      let j = k - 1;
      while (j > 0 && earliest[j - 1]! > t) {
        earliest[j] = earliest[j - 1]!;
        j--;
      }
      earliest[j] = t;
    }
    const mean = (earliest[k - 1]! - earliest[0]!) / (k - 1);
    let sum = 0;
    let count = 0;
    for (let j = 1; j < k; j++) {
      const gap = earliest[j]! - earliest[j - 1]!;
      if (gap <= 2 * mean) {
        sum += gap;
        count++;
      }
    }
    const width = (WIDTH_FACTOR * sum) / count;
    return width > 0 && Number.isFinite(1 / width) && Number.isFinite(width) ? width : this.width;
  }

  /** New buckets: no fingers yet (an entry's day may now map to another bucket). */
  private resetFingers(): void {
    this.fingers.fill(NIL);
  }

  /** Slots in use never outnumber pending entries; grow the slot arrays with them. */
  private growSlots(): void {
    const capacity = this.freeSlots.length * 2;
    this.rec = grownF64(this.rec, capacity * STRIDE);
    this.freeSlots = grownI32(this.freeSlots, capacity);
  }
}

import { EventQueue, SEQ_SPAN, type ScheduledEvent } from './queue.ts';
import { invariant } from './invariant.ts';
import type { Micros } from './time.ts';

export type EventHandle = ScheduledEvent;

export interface RunLimits {
  /** Stop with SimulationLimitError after this many events (guards against a model that never settles). */
  readonly maxEvents: number;
  /** Stop with SimulationLimitError after this much wall-clock time. */
  readonly maxWallSeconds: number;
}

export class SimulationLimitError extends Error {
  override readonly name = 'SimulationLimitError';
  constructor(
    readonly limit: 'maxEvents' | 'maxWallSeconds',
    readonly value: number,
    readonly at: Micros,
  ) {
    super(
      limit === 'maxEvents'
        ? `the run needed more than ${value} events (stopped at simulated +${(at / 1e6).toFixed(3)} s); raise it with --max-events`
        : `the run took more than ${value} s of wall-clock time (stopped at simulated +${(at / 1e6).toFixed(3)} s); raise it with --max-wall-seconds`,
    );
  }
}

/**
 * The whole kernel: a clock and one event queue. Time is explicit and only moves forward when an event is
 * popped; models schedule callbacks and never read a wall clock. Everything else builds on schedule/cancel.
 */
export class Simulation {
  private readonly queue = new EventQueue();
  private clock = 0 as Micros;
  private processed = 0;
  private stopped = false;
  /** The limits of the run in progress and when it started (wall clock), for guard(). */
  private running: { readonly limits: RunLimits; readonly started: number } | null = null;
  private spins = 0;

  get now(): Micros {
    return this.clock;
  }

  get eventsProcessed(): number {
    return this.processed;
  }

  get pending(): number {
    return this.queue.size;
  }

  /** The label of the event running now (or that ran last): named in invariant violations. */
  get currentEvent(): string {
    return this.queue.lastLabel;
  }

  /**
   * The priority of the event running now (or that ran last): a model that stands in for events it did not
   * schedule (a parked retry loop) tells from it whether one due at this instant would have run before it.
   */
  get currentPriority(): number {
    return Math.floor(this.queue.lastKey / SEQ_SPAN);
  }

  /** Run fn at absolute time `at` (not before now). Priority breaks ties at equal times: lower first. */
  at(at: Micros, label: string, fn: () => void, priority = 100): EventHandle {
    // One comparison on the hot path (NaN fails it too); the messages are built only on failure.
    if (!(at >= this.clock && Number.isInteger(at))) this.rejectTime(at, label);
    return this.queue.push(at, priority, label, fn);
  }

  private rejectTime(at: Micros, label: string): never {
    invariant(Number.isFinite(at) && Number.isInteger(at), () => `event "${label}" scheduled at non-integer time ${at}`);
    invariant(false, () => `event "${label}" scheduled in the past: ${at} < now ${this.clock}`);
  }

  after(delay: Micros, label: string, fn: () => void, priority = 100): EventHandle {
    return this.at((this.clock + delay) as Micros, label, fn, priority);
  }

  cancel(handle: EventHandle | undefined | null): void {
    if (handle) this.queue.cancel(handle);
  }

  /** Ends the run after the current event. */
  stop(): void {
    this.stopped = true;
  }

  /**
   * Process events until `until` (inclusive), the queue is empty or stop() is called. The clock ends at
   * `until` when the queue still had later events, so levels can be read at the scenario's end.
   * `afterEvent`, if given, runs after every event (property tests observe the world through it).
   */
  run(until: Micros, limits?: RunLimits, onProgress?: (now: Micros) => void, afterEvent?: () => void): void {
    if (limits || afterEvent) this.runChecked(until, limits, onProgress, afterEvent);
    else this.runPlain(until);
    if (!this.stopped && until > this.clock && Number.isFinite(until)) this.clock = until;
  }

  /** The loop without limits or observers: as little as possible around each event. */
  private runPlain(until: Micros): void {
    const queue = this.queue;
    while (!this.stopped) {
      const fn = queue.popUntil(until);
      if (fn === undefined) return;
      this.advanceTo(queue.lastTime);
      fn();
    }
  }

  private runChecked(until: Micros, limits?: RunLimits, onProgress?: (now: Micros) => void, afterEvent?: () => void): void {
    const queue = this.queue;
    const started = limits ? Date.now() : 0;
    this.running = limits ? { limits, started } : null;
    try {
      this.loopChecked(queue, until, started, limits, onProgress, afterEvent);
    } finally {
      this.running = null;
    }
  }

  /**
   * For a loop that may run long inside one event (a search over future instants, a queue walk): call it
   * once per iteration. Every 1024 calls it reads the wall clock and throws the run's limit error once
   * --max-wall-seconds has passed, so that a limit stops even a model stuck inside one event. Free when the
   * run has no limits.
   */
  guard(): void {
    const r = this.running;
    if (r === null || (++this.spins & 1023) !== 0) return;
    if ((Date.now() - r.started) / 1000 > r.limits.maxWallSeconds) throw new SimulationLimitError('maxWallSeconds', r.limits.maxWallSeconds, this.clock);
  }

  private loopChecked(queue: EventQueue, until: Micros, started: number, limits?: RunLimits, onProgress?: (now: Micros) => void, afterEvent?: () => void): void {
    while (!this.stopped) {
      const fn = queue.popUntil(until);
      if (fn === undefined) return;
      this.advanceTo(queue.lastTime);
      fn();
      afterEvent?.();
      if (!limits) continue;
      // The event count exactly, the wall clock (a system call) every 1024 events.
      if (this.processed > limits.maxEvents) throw new SimulationLimitError('maxEvents', limits.maxEvents, this.clock);
      if ((this.processed & 1023) === 0) {
        if ((Date.now() - started) / 1000 > limits.maxWallSeconds) {
          throw new SimulationLimitError('maxWallSeconds', limits.maxWallSeconds, this.clock);
        }
        onProgress?.(this.clock);
      }
    }
  }

  /** Moves the clock to the event about to run (never back) and counts it. */
  private advanceTo(t: Micros): void {
    if (t < this.clock) invariant(false, () => `time went backwards: event "${this.queue.lastLabel}" at ${t} < now ${this.clock}`);
    this.clock = t;
    this.processed++;
  }
}

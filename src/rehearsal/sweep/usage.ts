/**
 * What a sweep's threads cost: the CPU time of each thread (the worker threads and, for a sweep on one
 * worker, the main thread), so that a sweep on a machine other processes load can say what it would do on
 * idle cores. Node 20 has no per-thread CPU clock (process.cpuUsage counts every thread; threadCpuUsage
 * came in Node 23.9): Linux's /proc/thread-self/schedstat gives the calling thread's time on a CPU in
 * nanoseconds (its first field, kernel/sched/stats.c proc_schedstat). Elsewhere the figure is null and the
 * event loop's busy time (performance.eventLoopUtilization, wall-clock while not idle) stands in.
 */
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

/** One thread's work in a sweep. */
export interface ThreadUsage {
  /** Runs this thread ran. */
  readonly runs: number;
  /** CPU milliseconds of the thread (its start-up, its parse of the scenario and its runs); null off Linux. */
  readonly cpuMs: number | null;
  /** Wall-clock milliseconds its event loop was busy (CPU time plus any time other threads held its core). */
  readonly busyMs: number;
}

/** The calling thread's CPU milliseconds so far, or null where /proc/thread-self/schedstat is missing. */
export function threadCpuMs(): number | null {
  try {
    const ns = Number(readFileSync('/proc/thread-self/schedstat', 'latin1').split(' ', 1)[0]);
    return Number.isFinite(ns) ? ns / 1e6 : null;
  } catch {
    return null;
  }
}

/** The calling thread's event-loop busy milliseconds so far. */
export function threadBusyMs(): number {
  return performance.eventLoopUtilization().active;
}

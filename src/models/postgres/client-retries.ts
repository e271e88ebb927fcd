/**
 * Clients that retry a failed request (a refused or broken connection, a queue timeout, a request lost with
 * its server): a workload's `retries: {count, backoff, multiplier, max_backoff}`, as drivers and application
 * frameworks do (exponential backoff: the k-th retry waits min(backoff × multiplier^(k-1), max_backoff) after
 * the previous failure). A retry succeeds if, at its time, the workload's requests get through (the share of
 * first attempts that fail then, from the model's request rates, load.ts and writes.ts); a request that
 * succeeds after retries took at least their delays, so it waited past the stall threshold when they add up
 * to more. A request fails only when its last retry fails: a failover shorter than the retries' span turns
 * into latency.
 *
 * This is a fluid computation over the recorded rates (history.ts RequestRecord), exact for them.
 * Approximations: a failure is taken to happen when the request is offered (a connect timeout or a queue
 * timeout would shift its retries later by that time); retried requests add no load to the server (a retry
 * storm after a long outage is not modelled); a retry's own wait in the pool is not added to its latency.
 */
import type { Micros } from '../../engine/time.ts';
import type { RequestRecord } from '../../history/history.ts';
import type { RetrySpec } from '../../scenario/types.ts';

/** Requests that failed at first and got through on a retry (at `at`, an impulse: requests lost with their queue). */
export type RetriedRecord = { readonly cluster: string; readonly workload: string; readonly at: Micros; readonly kind: 'retried'; readonly succeeded: number; readonly waited: number };

export type ClientRecord = RequestRecord | RetriedRecord;

/** When each retry happens after the first failure: cumulative delays B_1..B_count. */
export function retryDelays(spec: RetrySpec): number[] {
  const out: number[] = [];
  let wait: number = spec.backoff;
  let total = 0;
  for (let k = 0; k < spec.count; k++) {
    total += Math.min(wait, spec.maxBackoff);
    out.push(total);
    wait *= spec.multiplier;
  }
  return out;
}

/**
 * The workload's records (in time order, as history.ts keeps them) as its clients see them with `spec`:
 * each failed share is split into what succeeded or waited on a retry and what still failed. `end` bounds
 * the last record; past it, the last rates hold.
 */
export function applyRetries(list: readonly RequestRecord[], spec: RetrySpec, stallThreshold: number, end: Micros): ClientRecord[] {
  const rates = list.filter((r): r is Extract<RequestRecord, { kind: 'rates' }> => r.kind === 'rates');
  if (rates.length === 0 || spec.count === 0) return [...list];
  const starts = rates.map((r) => r.at as number);
  /** The share of first attempts that fail at `t`. */
  const failShare = (t: number): number => {
    let lo = 0;
    let hi = rates.length - 1;
    if (t < starts[0]!) return 0;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid]! <= t) lo = mid;
      else hi = mid - 1;
    }
    const r = rates[lo]!;
    return r.offered > 0 ? Math.min(1, r.failed / r.offered) : 0;
  };
  const delays = retryDelays(spec);
  /** Of the requests that failed first at `t`: the shares that succeeded within the threshold, waited past it, and failed every retry. */
  const outcome = (t: number) => {
    let still = 1;
    let succeeded = 0;
    let waited = 0;
    for (const d of delays) {
      const f = failShare(t + d);
      const ok = still * (1 - f);
      if (d > stallThreshold) waited += ok;
      else succeeded += ok;
      still *= f;
      if (still === 0) break;
    }
    return { succeeded, waited, failed: still };
  };
  const out: ClientRecord[] = [];
  for (let i = 0; i < list.length; i++) {
    const r = list[i]!;
    if (r.kind === 'lost') {
      const o = outcome(r.at);
      const failed = r.count * o.failed;
      if (failed > 0) out.push({ ...r, count: failed });
      if (o.succeeded + o.waited > 0) out.push({ cluster: r.cluster, workload: r.workload, at: r.at, kind: 'retried', succeeded: r.count * o.succeeded, waited: r.count * o.waited });
      continue;
    }
    if (r.failed <= 0) {
      out.push(r);
      continue;
    }
    // The outcome is piecewise constant between the points where some retry crosses a rates record's start.
    let next: number = end;
    for (let j = i + 1; j < list.length; j++) {
      if (list[j]!.kind === 'rates') {
        next = list[j]!.at;
        break;
      }
    }
    const cuts = new Set<number>([r.at]);
    for (const d of delays) for (const s of starts) if (s - d > r.at && s - d < next) cuts.add(s - d);
    for (const at of [...cuts].sort((a, b) => a - b)) {
      const o = outcome(at);
      out.push({ ...r, at: at as Micros, succeeded: r.succeeded + r.failed * o.succeeded, waited: r.waited + r.failed * o.waited, failed: r.failed * o.failed });
    }
  }
  return out;
}

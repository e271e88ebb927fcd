/**
 * What each workload's requests got (models/postgres/load.ts, history.ts requestRates): the counts that
 * succeeded, waited past the stall threshold (in the pool's queue or for their commit), or failed (refused,
 * timed out in the queue, or queued when their server went away), over the run and per interval in which not
 * every request succeeded. Rates are piecewise constant between records: the counts are their integrals.
 * A workload whose clients retry (`retries`) counts what its clients saw after their retries
 * (models/postgres/client-retries.ts): a failed first attempt that a retry got through counts as succeeded,
 * or as waited when the retries took longer than the stall threshold.
 */
import type { Micros } from '../engine/time.ts';
import type { History, RequestRecord } from '../history/history.ts';
import { applyRetries, type ClientRecord } from '../models/postgres/client-retries.ts';
import type { RetrySpec } from '../scenario/types.ts';
import { count, percent } from './format.ts';
import type { Clock } from './time.ts';

export interface RequestCounts {
  readonly offered: number;
  readonly succeeded: number;
  readonly waited: number;
  readonly failed: number;
}

export interface RequestsJson extends RequestCounts {
  readonly cluster: string;
  readonly workload: string;
  /** Offered but neither served nor failed by the end: still in the pool's queue. */
  readonly queuedAtEnd: number;
  /** Intervals in which some request waited or failed, with their counts. */
  readonly intervals: readonly (RequestCounts & { readonly from: string; readonly to: string })[];
}

/** The workloads' retry policies and the stall threshold, for the clients' view (none: as recorded). */
export interface ClientRetries {
  readonly of: (cluster: string, workload: string) => RetrySpec | null;
  readonly stallThreshold: number;
}

export function requestsReport(history: History, clock: Clock, end: Micros, retries: ClientRetries | null = null): RequestsJson[] {
  const byWorkload = new Map<string, RequestRecord[]>();
  for (const r of history.requests) {
    const id = `${r.cluster}\u0000${r.workload}`;
    const list = byWorkload.get(id) ?? [];
    list.push(r);
    byWorkload.set(id, list);
  }
  const out: RequestsJson[] = [];
  for (const recorded of byWorkload.values()) {
    const spec = retries?.of(recorded[0]!.cluster, recorded[0]!.workload) ?? null;
    const list: ClientRecord[] = spec ? applyRetries(recorded, spec, retries!.stallThreshold, end) : recorded;
    const total = { offered: 0, succeeded: 0, waited: 0, failed: 0 };
    const intervals: { from: Micros; to: Micros; offered: number; succeeded: number; waited: number; failed: number }[] = [];
    let open: (typeof intervals)[number] | null = null;
    // Where each rates record ends: the next rates record of the workload, or the end.
    const ends: number[] = new Array<number>(list.length);
    let after: number = end;
    for (let i = list.length - 1; i >= 0; i--) {
      ends[i] = after;
      if (list[i]!.kind === 'rates') after = list[i]!.at;
    }
    for (const [i, r] of list.entries()) {
      if (r.kind === 'retried') {
        total.succeeded += r.succeeded;
        total.waited += r.waited;
        open ??= { from: r.at, to: r.at, offered: 0, succeeded: 0, waited: 0, failed: 0 };
        open.succeeded += r.succeeded;
        open.waited += r.waited;
        continue;
      }
      if (r.kind === 'lost') {
        total.failed += r.count;
        open ??= { from: r.at, to: r.at, offered: 0, succeeded: 0, waited: 0, failed: 0 };
        open.failed += r.count;
        continue;
      }
      const to = Math.min(end, ends[i]!) as Micros;
      // Rates that lasted no time (a state between two recomputations of one instant) count nothing and
      // neither open nor close an interval.
      if (to <= r.at) continue;
      const dt = (to - r.at) / 1e6;
      const part = { offered: r.offered * dt, succeeded: r.succeeded * dt, waited: r.waited * dt, failed: r.failed * dt };
      total.offered += part.offered;
      total.succeeded += part.succeeded;
      total.waited += part.waited;
      total.failed += part.failed;
      const bad = r.waited > 0 || r.failed > 0 || r.succeeded < r.offered;
      if (bad) {
        open ??= { from: r.at, to: r.at, offered: 0, succeeded: 0, waited: 0, failed: 0 };
        open.to = to;
        open.offered += part.offered;
        open.succeeded += part.succeeded;
        open.waited += part.waited;
        open.failed += part.failed;
      } else if (open) {
        intervals.push(open);
        open = null;
      }
    }
    if (open) intervals.push(open);
    const round = (c: RequestCounts) => ({ offered: Math.round(c.offered), succeeded: Math.round(c.succeeded), waited: Math.round(c.waited), failed: Math.round(c.failed) });
    const t = round(total);
    if (t.offered === 0 && t.failed === 0) continue;
    out.push({
      cluster: list[0]!.cluster,
      workload: list[0]!.workload,
      ...t,
      queuedAtEnd: Math.max(0, Math.round(total.offered - total.succeeded - total.waited - total.failed)),
      // An interval whose counts round to all succeeded (a transient of a fraction of a request) is not shown.
      intervals: intervals.map((i) => ({ from: clock.iso(i.from), to: clock.iso(i.to), ...round(i) })).filter((i) => i.waited > 0 || i.failed > 0 || i.succeeded < i.offered),
    });
  }
  return out;
}

/** "clients: 96% succeeded, 2.5% waited past 5 s, 1.4% failed of 12,000 requests" (null when every request succeeded). */
export function requestsLine(r: RequestsJson, stallSeconds: string, several: boolean): string | null {
  if (r.waited === 0 && r.failed === 0 && r.queuedAtEnd === 0) return null;
  const pct = (x: number) => percent(x / Math.max(1, r.offered));
  const parts = [`${pct(r.succeeded)} succeeded`, `${pct(r.waited)} waited past ${stallSeconds}`, `${pct(r.failed)} failed`];
  if (r.queuedAtEnd > 0) parts.push(`${pct(r.queuedAtEnd)} still queued at the end`);
  return `${several ? `${r.cluster} ` : ''}${r.workload}: ${parts.join(', ')} of ${count(r.offered)} requests`;
}

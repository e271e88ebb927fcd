/**
 * The block-replication parts of the report, read from the history only: stalls with their back-pressure
 * chains, data lost by a failover of a replicated device, and the time series for charts.
 */
import type { Micros } from '../engine/time.ts';
import type { History } from '../history/history.ts';
import { formatLsn } from '../scenario/units.ts';
import type { Clock } from './time.ts';
import type { DataLossJson, SeriesJson, ShortfallJson, StallJson } from './types.ts';
import { factJson, factText, tokenText, type FactJson } from './facts/index.ts';
import type { WriteEndFact } from '../history/facts/write-end.ts';
import { connReason } from './facts/templates/block-why.ts';
import { stepJson } from './steps.ts';
import type { BlockDeviceState } from '../models/block/world.ts';
import type { DeviceJson } from './types.ts';

/** Whose and when: a stall's or a shortfall's resource, workload, node and interval (open ones end at `end`). */
function span(s: { resource: string; workload: string; node: string; from: Micros; to: Micros | null }, clock: Clock, end: Micros) {
  const to = (s.to ?? end) as Micros;
  return { cluster: s.resource, workload: s.workload, node: s.node, from: clock.iso(s.from), to: clock.iso(to), seconds: (to - s.from) / 1e6 };
}

export function blockStalls(history: History, clock: Clock, end: Micros): StallJson[] {
  return history.block.stalls.map((s) => {
    // A later phase's path follows the first's, introduced by when it took over.
    const chain = s.phases.flatMap((p, i) =>
      p.chain.map((f, j) => ({ text: i > 0 && j === 0 ? `from ${clock.short(p.from)} the back-pressure path ends elsewhere (${p.bottleneck}): ${factText(f)}` : factText(f), fact: factJson(f), log: [] })),
    );
    return {
      ...span(s, clock, end),
      maxLatencyMs: Math.round(s.maxLatency * 1000),
      cause: chain.map((c) => c.text).join('; then '),
      bottleneck: s.bottleneck,
      chain,
      // How it ended, as the block model saw it when it closed (one still open at the end held to the end).
      ...endOf(s.to === null || s.to >= end ? RUN_END : (s.end ?? EASED(s.resource)), clock),
    };
  });
}

export function blockShortfalls(history: History, clock: Clock, end: Micros): ShortfallJson[] {
  return history.block.shortfalls.map((s) => {
    return {
      ...span(s, clock, end),
      offered: +s.offered.toFixed(3),
      achieved: +s.achieved.toFixed(3),
      latencyMs: +(s.latency * 1000).toFixed(3),
      bottleneck: s.bottleneck,
      chain: s.chain.map((f) => ({ text: factText(f), fact: factJson(f), log: [] })),
    };
  });
}

export function blockLosses(history: History, clock: Clock): DataLossJson[] {
  return history.block.losses.map((l) => ({
    cluster: l.resource,
    // A block device has no timelines; its one write stream is numbered 1.
    timeline: 1,
    node: l.node,
    from: clock.iso(l.fromAt),
    to: clock.iso(l.toAt),
    commits: l.writes,
    walBytes: l.bytes,
    fromLsn: formatLsn(Math.round(l.fromPos)),
    toLsn: formatLsn(Math.round(l.toPos)),
    recoverableByPitr: false,
    pitr: 'a replicated block device has no archive to replay',
    cause: l.chain.map((fact) => stepJson({ fact, log: [] }, clock)),
  }));
}

export function blockSeries(history: History, clock: Clock): SeriesJson[] {
  return [...history.block.series.entries()].map(([name, points]) => ({ name, points: points.map((p) => [clock.iso(p.at), p.value] as const) }));
}

/** A device at the end (`drbdadm status`): why a StandAlone or Connecting one is so, worded, and as data. */
export function deviceJson(d: BlockDeviceState): DeviceJson {
  return { ...d, reason: d.reason !== null ? tokenText(connReason(d.reason)) : null, ...(d.reason !== null ? { reasonFact: d.reason } : {}) };
}

const RUN_END: WriteEndFact = { kind: 'end-run' };
const EASED = (resource: string): WriteEndFact => ({ kind: 'end-block-eased', resource });

/** A stall's or outage's `end` and `endFact` (times in the report's clock and ISO). */
export function endOf(f: WriteEndFact, clock: Clock, explain = true): { end: string; endFact: FactJson } {
  return { end: explain ? factText(f, (t) => clock.short(t)) : '', endFact: factJson(f, (t) => clock.iso(t)) };
}

/**
 * What the block-replication models (disks, TCP, DRBD / md / WalB) record for the report: write stalls with
 * the back-pressure chain behind each, data lost by a failover, and time series (latency, buffer fill) for
 * charts. Part of the run's History: recorded by models, read by run.ts and the report only.
 */
import type { CopiesWhy, FenceReason } from './facts/chains.ts';
import type { BlockLossStep } from './facts/block-why.ts';
import type { Micros } from '../engine/time.ts';
import { factKey } from './facts/index.ts';
import type { StallStepFact } from './facts/stall.ts';
import type { WriteEndFact } from './facts/write-end.ts';

/** Where the back-pressure path ends: the stall's root (peer-unreachable: the peer cannot answer at all, a cut link or a lost host). */
export type StallBottleneck = 'local-disk' | 'peer-disk' | 'line' | 'peer-latency' | 'peer-unreachable';

/** A stretch of a stall with one back-pressure path (a stall's cause can move: the buffers fill, a job ends). */
export interface StallPhase {
  readonly from: Micros;
  readonly bottleneck: StallBottleneck;
  /** The back-pressure path, root first: one fact per step. */
  readonly chain: readonly StallStepFact[];
  maxLatency: number;
}

export interface BlockStallRecord {
  readonly resource: string;
  readonly workload: string;
  readonly node: string;
  readonly from: Micros;
  to: Micros | null;
  maxLatency: number;
  /** Where the path of the phase with the worst latency ends. */
  bottleneck: StallBottleneck;
  /** The phases in time order; the first one's chain is why the stall began. */
  readonly phases: StallPhase[];
  /** How it ended (history/facts/write-end.ts), null while open. */
  end: WriteEndFact | null;
}

/**
 * A throughput shortfall: the application's writes complete well below its offer while no write waits past the
 * stall threshold (its queue depth caps what waits: latency = depth / completion rate stays short, the rate
 * falls). `offered` and `achieved` are writes/s at the worst instant (lowest achieved share), `latency` the
 * longest mean write latency while it lasted (s); the bottleneck and chain are the back-pressure path's, as for a stall.
 */
export interface BlockShortfallRecord {
  readonly resource: string;
  readonly workload: string;
  readonly node: string;
  readonly from: Micros;
  to: Micros | null;
  offered: number;
  achieved: number;
  latency: number;
  bottleneck: StallBottleneck;
  chain: readonly StallStepFact[];
}

/**
 * A split of a replicated device: `newer` was made Primary while `older`, the old Primary, still ran. It ends when
 * the older one is no longer Primary (demoted, its host down) or the split brain is resolved against it; null:
 * still two Primaries at the end.
 */
export interface BlockSplitRecord {
  readonly resource: string;
  readonly from: Micros;
  readonly older: string;
  readonly newer: string;
  to: Micros | null;
  how: 'demoted' | 'host-down' | 'resolved' | null;
}

export interface BlockLossRecord {
  readonly at: Micros;
  readonly resource: string;
  /** The node that acknowledged the lost writes. */
  readonly node: string;
  /** Acknowledgement times of the first and last lost write. */
  readonly fromAt: Micros;
  readonly toAt: Micros;
  readonly writes: number;
  readonly bytes: number;
  /** Offsets in the device's acknowledged write stream (bytes). */
  readonly fromPos: number;
  readonly toPos: number;
  /** Why they are lost, root first (words: report/facts/templates/block-why.ts). */
  readonly chain: readonly BlockLossStep[];
}

/**
 * Where a replicated device's newest data is (every write it acknowledged): the hosts whose disks hold it
 * and run, those whose disks hold it but are down, and whether it is gone for good (a node without it was
 * made primary and wrote on). Recorded when it changes; checkers/verdicts-block.ts judges it.
 */
export interface BlockCopiesSample {
  readonly at: Micros;
  readonly resource: string;
  readonly running: readonly string[];
  readonly down: readonly string[];
  /** Of `down`, the hosts only powered off (fenced): their disks keep the data and come back with them. */
  readonly off?: readonly string[];
  readonly superseded: boolean;
  /** Where the newest data is now: each host's copy, or an older copy made primary (words: report/facts/templates/chains.ts). */
  readonly why: CopiesWhy;
}

/** A node powered off by a STONITH device (models/block/pacemaker): who, when, why, and when it ran again. */
export interface BlockFenceRecord {
  readonly node: string;
  /** The managed DRBD resources with an instance on the node (the report files the verdict under the first). */
  readonly resources: readonly string[];
  /** The node whose fencer ran the device, and the device. */
  readonly by: string;
  readonly device: string;
  /** When the node stopped being heard, when the membership dropped it, when the fence action started (after the delay). */
  readonly silentSince: Micros | null;
  readonly lostAt: Micros;
  readonly startedAt: Micros;
  readonly delay: Micros;
  /** Powered off. */
  readonly at: Micros;
  readonly reason: FenceReason;
  /** Running its cluster stack again (null: not by the end). */
  backAt: Micros | null;
}

export interface SeriesPoint {
  readonly at: Micros;
  readonly value: number;
}

/** Points a series keeps at most (memory stays bounded on long runs; see BlockHistory.sample). */
export const MAX_SERIES_POINTS = 10_000;

export class BlockHistory {
  readonly stalls: BlockStallRecord[] = [];
  readonly shortfalls: BlockShortfallRecord[] = [];
  readonly losses: BlockLossRecord[] = [];
  readonly copies: BlockCopiesSample[] = [];
  readonly fences: BlockFenceRecord[] = [];
  /** Two Primaries of one resource at once (a promotion while the old Primary ran on): checkers/verdicts-block.ts. */
  readonly splits: BlockSplitRecord[] = [];
  private readonly lastCopies = new Map<string, string>();
  /** Series by name, e.g. "r0 write latency (ms)", "r0 send buffer (bytes)". */
  readonly series = new Map<string, SeriesPoint[]>();

  constructor(
    private readonly mix: (s: string) => void,
    /** Points per series at most (at least 16). */
    readonly maxPoints = MAX_SERIES_POINTS,
  ) {
    if (!(Number.isInteger(maxPoints) && maxPoints >= 16)) throw new RangeError(`a series needs room for at least 16 points, not ${maxPoints}`);
  }

  openStall(s: { resource: string; workload: string; node: string; from: Micros; maxLatency: number; bottleneck: StallBottleneck; chain: readonly StallStepFact[] }): BlockStallRecord {
    const rec: BlockStallRecord = { resource: s.resource, workload: s.workload, node: s.node, from: s.from, to: null, maxLatency: s.maxLatency, bottleneck: s.bottleneck, phases: [{ from: s.from, bottleneck: s.bottleneck, chain: s.chain, maxLatency: s.maxLatency }], end: null };
    this.mix(`bstall|${s.resource}|${s.workload}|${s.from}|${s.bottleneck}|${s.chain.map(factKey).join(';')}`);
    this.stalls.push(rec);
    return rec;
  }

  /** The stall goes on for another reason from `from` on. */
  addPhase(rec: BlockStallRecord, phase: StallPhase): void {
    this.mix(`bstall-phase|${rec.resource}|${rec.workload}|${phase.from}|${phase.bottleneck}|${phase.chain.map(factKey).join(';')}`);
    rec.phases.push(phase);
  }

  /** The worst latency so far, of the stall and of its current phase. */
  latency(rec: BlockStallRecord, value: number): void {
    rec.maxLatency = Math.max(rec.maxLatency, value);
    const p = rec.phases.at(-1)!;
    p.maxLatency = Math.max(p.maxLatency, value);
  }

  closeStall(rec: BlockStallRecord, at: Micros, end: WriteEndFact): void {
    rec.to = at;
    rec.end = end;
    rec.bottleneck = rec.phases.reduce((a, p) => (p.maxLatency > a.maxLatency ? p : a)).bottleneck;
    this.mix(`bstall-end|${rec.resource}|${rec.workload}|${at}|${rec.maxLatency.toFixed(6)}|${rec.bottleneck}`);
  }

  openShortfall(rec: Omit<BlockShortfallRecord, 'to'>): BlockShortfallRecord {
    const out: BlockShortfallRecord = { ...rec, to: null };
    this.mix(`bshort|${rec.resource}|${rec.workload}|${rec.from}|${rec.bottleneck}|${rec.chain.map(factKey).join(';')}`);
    this.shortfalls.push(out);
    return out;
  }

  /** A worse instant of an open shortfall: its figures and path are the ones kept. */
  worseShortfall(rec: BlockShortfallRecord, w: { offered: number; achieved: number; bottleneck: StallBottleneck; chain: readonly StallStepFact[] }): void {
    Object.assign(rec, w);
    this.mix(`bshort-worse|${rec.resource}|${rec.workload}|${w.offered.toFixed(3)}|${w.achieved.toFixed(3)}|${w.bottleneck}`);
  }

  shortfallLatency(rec: BlockShortfallRecord, latency: number): void {
    if (latency > rec.latency) rec.latency = latency;
  }

  /** `drop`: too short to report (world.ts closeShortfall). */
  closeShortfall(rec: BlockShortfallRecord, at: Micros, drop: boolean): void {
    rec.to = at;
    this.mix(`bshort-end|${rec.resource}|${rec.workload}|${at}|${rec.latency.toFixed(6)}|${drop}`);
    if (!drop) return;
    const i = this.shortfalls.lastIndexOf(rec);
    if (i >= 0) this.shortfalls.splice(i, 1);
  }

  reopenStall(rec: BlockStallRecord): void {
    rec.to = null;
    rec.end = null;
    this.mix(`bstall-reopen|${rec.resource}|${rec.workload}|${rec.from}`);
  }

  fence(f: BlockFenceRecord): void {
    this.mix(`bfence|${f.node}|${f.by}|${f.device}|${f.at}|${JSON.stringify(f.reason)}`);
    this.fences.push(f);
  }

  /** The fenced node runs its cluster stack again. */
  fenceBack(node: string, at: Micros): void {
    const f = this.fences.findLast((x) => x.node === node && x.backAt === null);
    if (!f) return;
    f.backAt = at;
    this.mix(`bfence-back|${node}|${at}`);
  }

  loss(l: BlockLossRecord): void {
    this.mix(`bloss|${l.resource}|${l.at}|${l.bytes}|${l.writes}|${l.fromAt}`);
    this.losses.push(l);
  }

  /** Records where a device's newest data is, when that changed. */
  copiesNow(c: BlockCopiesSample): void {
    const key = JSON.stringify([c.running, c.down, c.superseded]);
    if (this.lastCopies.get(c.resource) === key) return;
    this.lastCopies.set(c.resource, key);
    this.mix(`bcopies|${c.at}|${c.resource}|${key}`);
    this.copies.push(c);
  }

  /** How each series moves after its last point, per second (sampleMoving). */
  private readonly slopes = new Map<string, number>();

  /**
   * A sample of a series that moves at `slope` per second until its next sample (a buffer's level at its
   * rate; 0 for a rate or a count held until it changes). Where the value is not where the series was
   * heading (a jump: a buffer emptied at a disconnect, a line rate that changed, a latency that dropped), a
   * point a microsecond before carries the old segment up to the jump, so that a chart, which draws straight
   * lines between points, draws a step and not a ramp from the previous sample.
   */
  sampleMoving(name: string, at: Micros, value: number, slope = 0): void {
    const last = this.series.get(name)?.at(-1);
    if (last && at - 1 > last.at) {
      const slope = this.slopes.get(name) ?? 0;
      let carried = last.value + slope * ((at - last.at) / 1e6);
      // A quantity that is never negative (every block series) stays so.
      if (value >= 0 && last.value >= 0) carried = Math.max(0, carried);
      const whole = Number.isInteger(value) && Number.isInteger(last.value);
      // A level meets its bound at a breakpoint on a whole microsecond: up to a couple of microseconds of its
      // rate, and rounding, are no jump.
      const tol = Math.max(whole ? 1 : 1e-6, 1e-6 * Math.max(Math.abs(value), Math.abs(carried)), Math.abs(slope) * 2e-6);
      if (Math.abs(carried - value) > tol) this.sample(name, (at - 1) as Micros, whole ? Math.round(carried) : +carried.toFixed(6));
    }
    this.sample(name, at, value);
    this.slopes.set(name, slope);
  }

  /** A point just before a jump the caller knows of (a bitmap set or cleared at once), then the sample. */
  sampleAfterJump(name: string, at: Micros, before: number, value: number): void {
    const last = this.series.get(name)?.at(-1);
    if (before !== value && (!last || at - 1 > last.at)) this.sample(name, (at - 1) as Micros, before);
    this.sample(name, at, value);
  }

  /** A sample; a value equal to the previous one is not repeated. */
  sample(name: string, at: Micros, value: number): void {
    let s = this.series.get(name);
    if (!s) this.series.set(name, (s = []));
    const last = s.at(-1);
    if (last && last.value === value && s.length > 1 && s.at(-2)!.value === value) {
      s[s.length - 1] = { at, value };
      return;
    }
    if (last && last.at === at) s[s.length - 1] = { at, value };
    else s.push({ at, value });
    if (s.length >= this.maxPoints) downsample(s);
  }
}

/**
 * Halves a series that reached its cap, keeping its extremes: the first and the last point stay, and of
 * every run of four consecutive points in between, the lowest and the highest (in time order; the first
 * of equal values). A peak (a stall's worst latency, a full send buffer) or a trough survives any number of
 * halvings; a chart draws straight lines between what is left. Deterministic, so a report is the same run to
 * run; amortised O(1) per sample.
 */
export function downsample(s: SeriesPoint[]): void {
  const n = s.length;
  if (n < 3) return;
  const last = s[n - 1]!;
  let w = 1;
  for (let i = 1; i < n - 1; i += 4) {
    const end = Math.min(i + 4, n - 1);
    let lo = i;
    let hi = i;
    for (let j = i + 1; j < end; j++) {
      if (s[j]!.value < s[lo]!.value) lo = j;
      if (s[j]!.value > s[hi]!.value) hi = j;
    }
    const a = Math.min(lo, hi);
    const b = Math.max(lo, hi);
    s[w++] = s[a]!;
    if (b !== a) s[w++] = s[b]!;
  }
  s[w++] = last;
  s.length = w;
}

/**
 * What the block-replication models (disks, TCP, DRBD / md / WalB) record for the report: write stalls with
 * the back-pressure chain behind each, data lost by a failover, and time series (latency, buffer fill) for
 * charts. Part of the run's History: recorded by models, read by run.ts and the report only.
 */
import type { Micros } from '../engine/time.ts';

/** Where the back-pressure path ends: the stall's root. */
export type StallBottleneck = 'local-disk' | 'peer-disk' | 'line' | 'peer-latency';

export interface BlockStallRecord {
  readonly resource: string;
  readonly workload: string;
  readonly node: string;
  readonly from: Micros;
  to: Micros | null;
  maxLatency: number;
  readonly bottleneck: StallBottleneck;
  /** The back-pressure path, root first: one fact per step. */
  readonly chain: readonly string[];
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
  readonly chain: readonly string[];
}

export interface SeriesPoint {
  readonly at: Micros;
  readonly value: number;
}

export class BlockHistory {
  readonly stalls: BlockStallRecord[] = [];
  readonly losses: BlockLossRecord[] = [];
  /** Series by name, e.g. "r0 write latency (ms)", "r0 send buffer (bytes)". */
  readonly series = new Map<string, SeriesPoint[]>();

  constructor(private readonly mix: (s: string) => void) {}

  openStall(s: Omit<BlockStallRecord, 'to'>): BlockStallRecord {
    const rec: BlockStallRecord = { ...s, to: null };
    this.mix(`bstall|${s.resource}|${s.workload}|${s.from}|${s.bottleneck}|${s.chain.join(';')}`);
    this.stalls.push(rec);
    return rec;
  }

  closeStall(rec: BlockStallRecord, at: Micros): void {
    rec.to = at;
    this.mix(`bstall-end|${rec.resource}|${rec.workload}|${at}|${rec.maxLatency.toFixed(6)}`);
  }

  reopenStall(rec: BlockStallRecord): void {
    rec.to = null;
    this.mix(`bstall-reopen|${rec.resource}|${rec.workload}|${rec.from}`);
  }

  loss(l: BlockLossRecord): void {
    this.mix(`bloss|${l.resource}|${l.at}|${l.bytes}|${l.writes}|${l.fromAt}`);
    this.losses.push(l);
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
  }
}

/**
 * Storage devices: what one request costs a drive, and how a RAID level turns a logical request into
 * back-end requests on its members. Rules and figures: ../shared/domain/drbd-tcp-disk.md §7 and rule 14.
 * Times are seconds (floating) inside the disk model; the simulation's integer µs appear only where events
 * are scheduled.
 */

export type DeviceSpec =
  | {
      readonly kind: 'hdd';
      readonly rpm: number;
      /** Average seek (µs): the datasheet figure, i.e. a seek over about a third of the stroke. */
      readonly seek: number;
      /** Track-to-track seek (µs). */
      readonly trackToTrack: number;
      /** Media transfer rate, bytes/s. */
      readonly transferRate: number;
      /** Command overhead per request (µs): the datasheet timing model's term A (§7.1). */
      readonly overhead: number;
      /** Squared coefficient of variation of a random request's service time (§7.4 uses 0.3, an assumption). */
      readonly cs2: number;
    }
  | {
      readonly kind: 'ssd';
      readonly readIops: number;
      readonly writeIops: number;
      /** bytes/s */
      readonly readBandwidth: number;
      readonly writeBandwidth: number;
    };

export type RaidLevel = 0 | 1 | 5 | 6 | 10;

export interface RaidSpec {
  readonly level: RaidLevel;
  readonly members: number;
}

export interface DiskSpec {
  readonly name: string;
  /** The host the disk is attached to (a block node). */
  readonly host: string;
  readonly device: DeviceSpec;
  /** null: a single drive. */
  readonly raid: RaidSpec | null;
  /** A degraded disk (a slow_disk fault): every request takes this many times its service time (1 or absent: healthy). */
  readonly slowdown?: number;
  /** The drive's or controller's write cache (absent: write-through); what a power loss takes: models/block/write-cache.ts. */
  readonly writeCache?: WriteCacheSpec;
}

/**
 * A write cache that completes writes before they are on the media. `volatile`: no battery or flash backup, a
 * power loss loses what it holds unflushed (at most `size`); `battery-backed`: survives it. `flushes: ignored`: a
 * controller forced to write back without its battery answers a flush at once (nothing is made stable).
 */
export interface WriteCacheSpec {
  readonly mode: 'battery-backed' | 'volatile';
  readonly size: number;
  readonly flushes: 'honoured' | 'ignored';
}

export type IoOp = 'read' | 'write';
export type IoPattern = 'random' | 'sequential';

/** One class of logical requests as the disk model sees it. */
export interface IoClass {
  readonly op: IoOp;
  readonly size: number;
  readonly pattern: IoPattern;
}

/** What one logical request costs the array: back-end requests, their mean service time, and how many happen one after another. */
export interface BackendCost {
  /** Back-end requests (member operations) per logical request. */
  readonly ops: number;
  /** Mean service time of one back-end request (s), positioning included. */
  readonly service: number;
  /** Its variance (s²). */
  readonly variance: number;
  /** Back-end phases a logical request waits for in sequence (RAID 5/6 read-modify-write: read, then write). */
  readonly phases: number;
}

export function members(d: DiskSpec): number {
  return d.raid?.members ?? 1;
}

/** Average rotational latency: half a revolution, 30000/rpm ms (§7.1: 4.16 ms at 7200 rpm). */
export function rotationalLatency(rpm: number): number {
  return 30 / rpm;
}

/**
 * Seek time over a fraction `f` of the stroke (Ruemmler & Wilkes, DiskSim's HPL: short seeks grow with
 * √distance, §7.2), scaled so a uniformly random seek (mean distance one third of the stroke) costs the
 * datasheet average.
 */
export function seekTime(dev: Extract<DeviceSpec, { kind: 'hdd' }>, f: number): number {
  if (f <= 0) return 0;
  const t2t = dev.trackToTrack / 1e6;
  const avg = dev.seek / 1e6;
  return t2t + (avg - t2t) * Math.sqrt(Math.min(1, 3 * f) );
}

/**
 * Service time of one member request. `positioning` is the probability that the head has to seek and
 * rotate to it: 1 for random requests; for a sequential stream, the chance that the previous request on
 * the member came from another stream (the notes' assumption in §7.4: "a sequential stream interleaved
 * with random I/O pays a seek and rotation per request"; here in proportion to the interleaving).
 */
export function memberService(dev: DeviceSpec, op: IoOp, size: number, positioning: number): { mean: number; variance: number } {
  if (dev.kind === 'ssd') {
    // No mechanics: a per-command cost from the datasheet IOPS plus the transfer (§7.1).
    const iops = op === 'read' ? dev.readIops : dev.writeIops;
    const bw = op === 'read' ? dev.readBandwidth : dev.writeBandwidth;
    return { mean: 1 / iops + size / bw, variance: 0 };
  }
  const pos = seekTime(dev, 1 / 3) + rotationalLatency(dev.rpm);
  const mean = dev.overhead / 1e6 + positioning * pos + size / dev.transferRate;
  // The random part carries the variance (seek distance, rotational position); transfers are deterministic.
  const randomPart = dev.overhead / 1e6 + pos + size / dev.transferRate;
  return { mean, variance: positioning * dev.cs2 * randomPart * randomPart };
}

/**
 * What a logical write costs a RAID level: the write penalty, back-end I/Os per small (partial-stripe)
 * write (§7.3: RAID0 1, RAID1/10 2, RAID5 4, RAID6 6; RAID1 mirrors to every member), and the back-end
 * bytes per byte of a full-stripe (sequential, uninterleaved) write: mirrors or parity.
 */
export function raidWrites(raid: RaidSpec | null): { readonly penalty: number; readonly fullStripe: number } {
  const n = raid?.members ?? 1;
  switch (raid?.level ?? 0) {
    case 1:
      return { penalty: n, fullStripe: n };
    case 10:
      return { penalty: 2, fullStripe: 2 };
    case 5:
      return { penalty: 4, fullStripe: n / (n - 1) };
    case 6:
      return { penalty: 6, fullStripe: n / (n - 2) };
    default:
      return { penalty: 1, fullStripe: 1 };
  }
}

/**
 * The back-end cost of one logical request of class `c`. Reads go to one member (RAID reads scale with the
 * members, §7.3). Random writes cost the write penalty; RAID 5/6 small writes read old data and parity
 * before writing, so they wait two phases. A sequential write that is mostly uninterrupted is written as
 * full stripes (mirror or parity overhead only); the interleaved part pays the small-write penalty.
 */
export function backendCost(d: DiskSpec, c: IoClass, positioning: number): BackendCost {
  const pos = c.pattern === 'random' ? 1 : positioning;
  const k = d.slowdown ?? 1;
  const m = memberService(d.device, c.op, c.size, pos);
  // A degraded disk (failing sectors retried, a drive in error recovery): latency × k, IOPS ÷ k.
  const s = k === 1 ? m : { mean: m.mean * k, variance: m.variance * k * k };
  if (c.op === 'read') return { ops: 1, service: s.mean, variance: s.variance, phases: 1 };
  const parity = d.raid?.level === 5 || d.raid?.level === 6;
  const { penalty, fullStripe } = raidWrites(d.raid);
  if (c.pattern === 'random') return { ops: penalty, service: s.mean, variance: s.variance, phases: parity ? 2 : 1 };
  // Sequential: a fraction `pos` of the requests is interleaved (partial stripes), the rest full stripes.
  const ops = pos * penalty + (1 - pos) * fullStripe;
  return { ops, service: s.mean, variance: s.variance, phases: parity ? 1 + pos : 1 };
}

export function describeDisk(d: DiskSpec): string {
  const dev = d.device.kind === 'hdd' ? `${d.device.rpm} rpm HDD` : 'SSD';
  if (!d.raid) return `${d.name} (one ${dev})`;
  return `${d.name} (RAID${d.raid.level} of ${d.raid.members} × ${dev})`;
}

/**
 * A disk (drive or RAID array) as a queue: M/G/1 FCFS per member with the Pollaczek–Khinchine mean wait
 * (../shared/domain/drbd-tcp-disk.md §7.4, rules 14 and 18), over a mixture of request classes.
 *
 * Streams are open (the application: requests arrive whatever the disk does; at utilisation ≥ 1 they pile
 * up, which the caller turns into a backlog growing in time) or closed (resync, a replication receiver, a
 * backup: at most `window` bytes outstanding, so their rate is window / response time, Little's law, and
 * falls as the queue grows). Background work that takes a fixed fraction f of disk time (a controller's
 * background-initialisation rate) leaves the foreground μ' = (1 − f)·μ (§7.4).
 */
import { backendCost, members, type BackendCost, type DiskSpec, type IoClass } from './device.ts';

export type StreamDemand =
  /** Requests per second offered. */
  | { readonly kind: 'open'; readonly rate: number }
  /** At most `window` bytes outstanding, at most `maxRate` requests/s, `extraDelay` s outside this disk per request. */
  | { readonly kind: 'closed'; readonly window: number; readonly maxRate: number; readonly extraDelay: number };

export interface DiskStream {
  readonly id: string;
  /** For cause chains: "application random I/O", "resync reads". */
  readonly label: string;
  readonly io: IoClass;
  readonly demand: StreamDemand;
}

export interface ShareJob {
  readonly label: string;
  /** Fraction of disk time. */
  readonly share: number;
}

export interface DiskLoad {
  readonly spec: DiskSpec;
  readonly streams: readonly DiskStream[];
  readonly shares: readonly ShareJob[];
}

export interface StreamResult {
  /** Requests per second served. */
  readonly rate: number;
  /** Mean response time of one logical request (s). */
  readonly latency: number;
  /** Fraction of the disk's total time it takes. */
  readonly busy: number;
  /** Fraction of the foreground capacity one request/s of it takes (for spare-capacity arithmetic). */
  readonly costPerRate: number;
  readonly cost: BackendCost;
}

export interface DiskSolution {
  readonly spec: DiskSpec;
  /** Utilisation of the capacity left to the streams (after fixed-share jobs). */
  readonly rho: number;
  /** The open streams alone need more than the disk has: they are served at capacity and the rest waits. */
  readonly overloaded: boolean;
  /** Fraction of time taken by fixed-share jobs. */
  readonly shareTotal: number;
  readonly shares: readonly ShareJob[];
  readonly streams: ReadonlyMap<string, StreamResult>;
  readonly labels: ReadonlyMap<string, string>;
}

/** Utilisation above which the open streams count as overloading the disk. */
const OVERLOAD = 0.999;
/** In overload the latency of what is served is taken at this utilisation; the backlog adds the rest. */
const RHO_REPORT_CAP = 0.99;
/** Fixed-share jobs cannot take the whole disk between them (a single job's share above it is refused at load: grammar-block.ts). */
export const MAX_SHARE = 0.95;

/**
 * Positioning probability of each stream: for a sequential stream, the chance that the member's previous
 * request was not its own (device.ts memberService). Fixed-share background work interleaves too: it takes
 * the head away for its share of the time. ASSUMPTION (the notes' §7.4 assumption, made proportional).
 */
function positioning(random: Uint8Array, rates: Float64Array, costs: readonly BackendCost[] | null, shareTotal: number, out: Float64Array): void {
  const n = rates.length;
  let total = 0;
  for (let i = 0; i < n; i++) total += rates[i]! * (costs ? costs[i]!.ops : 1);
  for (let i = 0; i < n; i++) out[i] = random[i] ? 1 : 1 - (total > 0 ? (rates[i]! * (costs ? costs[i]!.ops : 1)) / total : 1) * (1 - shareTotal);
}

/**
 * The solver's hot loops read flat arrays, not the streams' objects (whose demands come in several shapes):
 * with hundreds of volumes on a disk the fixed point below evaluates every stream thousands of times per
 * solution (issue 12, cost). The arithmetic is the same, in the same order.
 */
export function solveDisk(load: DiskLoad): DiskSolution {
  const n = members(load.spec);
  const shareTotal = Math.min(MAX_SHARE, load.shares.reduce((a, s) => a + s.share, 0));
  const free = 1 - shareTotal;
  const streams = load.streams;
  const k = streams.length;
  const open = new Uint8Array(k);
  const random = new Uint8Array(k);
  const openRate = new Float64Array(k);
  const maxRate = new Float64Array(k);
  const wins = new Float64Array(k);
  const extra = new Float64Array(k);
  for (let i = 0; i < k; i++) {
    const s = streams[i]!;
    const d = s.demand;
    random[i] = s.io.pattern === 'random' ? 1 : 0;
    if (d.kind === 'open') {
      open[i] = 1;
      openRate[i] = d.rate;
    } else {
      maxRate[i] = d.maxRate;
      wins[i] = d.window / s.io.size;
      extra[i] = d.extraDelay;
    }
  }
  // Rates start at the open offers and the closed caps; positioning and mixture moments are refined from them.
  let rates = new Float64Array(k);
  for (let i = 0; i < k; i++) rates[i] = open[i] ? openRate[i]! : Math.min(maxRate[i]!, 1e9);
  const pos = new Float64Array(k);
  positioning(random, rates, null, shareTotal, pos);
  // A random stream's cost does not depend on positioning: computed once.
  let costs: BackendCost[] = streams.map((s, i) => backendCost(load.spec, s.io, pos[i]!));
  let rho = 0;
  let overloaded = false;
  /** Closed streams were scaled down to the capacity the open ones leave (see below). */
  let saturated = false;
  let residual = 0;
  const unit = new Float64Array(k);
  const phases = new Float64Array(k);
  const service = new Float64Array(k);
  const moments = (rs: Float64Array): number => {
    let m1 = 0;
    let m2 = 0;
    for (let i = 0; i < k; i++) {
      const r = rs[i]!;
      const c = costs[i]!;
      m1 += r * c.ops * c.service;
      m2 += r * c.ops * (c.variance + c.service * c.service);
    }
    return m1 > 0 ? m2 / (2 * m1) / free : 0;
  };
  for (let iter = 0; iter < 6; iter++) {
    positioning(random, rates, costs, shareTotal, pos);
    const before = costs;
    costs = streams.map((s, i) => (random[i] ? before[i]! : backendCost(load.spec, s.io, pos[i]!)));
    let sameCosts = true;
    for (let i = 0; i < k && sameCosts; i++) {
      const c = costs[i]!;
      const b = before[i]!;
      sameCosts = c === b || (c.ops === b.ops && c.service === b.service && c.variance === b.variance && c.phases === b.phases);
    }
    // Fraction of the foreground capacity per request/s, and the mixture's mean residual service E[S²]/2E[S].
    for (let i = 0; i < k; i++) {
      const c = costs[i]!;
      unit[i] = (c.ops * c.service) / (n * free);
      phases[i] = c.phases;
      service[i] = c.service;
    }
    residual = moments(rates);
    let openRho = 0;
    for (let i = 0; i < k; i++) openRho += open[i] ? openRate[i]! * unit[i]! : 0;
    if (openRho >= OVERLOAD) {
      overloaded = true;
      rho = OVERLOAD;
      const scale = OVERLOAD / openRho;
      const scaled = new Float64Array(k);
      for (let i = 0; i < k; i++) scaled[i] = open[i] ? openRate[i]! * scale : 0;
      rates = scaled;
      residual = moments(rates);
      continue;
    }
    overloaded = false;
    // ρ = openRho + Σ closed rate(ρ)·unit is a fixed point of a decreasing function: bisection. The load at ρ
    // is summed in place (no arrays): this loop is most of the block model's cost.
    const load_ = (r: number): number => {
      const wq = r >= 1 ? Infinity : (r * residual) / (1 - r);
      let a = 0;
      for (let i = 0; i < k; i++) {
        const x = open[i] ? openRate[i]! : Math.min(maxRate[i]!, wins[i]! / (phases[i]! * (service[i]! / free + wq) + extra[i]!));
        a += x * unit[i]!;
      }
      return a;
    };
    // g(ρ) = load(ρ) − ρ falls strictly: its root, bracketed in [lo, hi], by the Illinois variant of
    // regula falsi (superlinear; a bisection step whenever it stalls), to 1e-12.
    let lo = openRho;
    let hi = OVERLOAD;
    let gLo = load_(lo) - lo;
    if (gLo <= 0) hi = lo;
    else {
      let gHi = load_(hi) - hi;
      if (gHi > 0) lo = hi;
      let side = 0;
      for (let j = 0; j < 100 && hi - lo > 1e-12; j++) {
        let mid = hi - (gHi * (hi - lo)) / (gHi - gLo);
        if (!(mid > lo && mid < hi)) mid = (lo + hi) / 2;
        const g = load_(mid) - mid;
        if (g > 0) {
          lo = mid;
          gLo = g;
          if (side === -1) gHi /= 2;
          side = -1;
        } else {
          hi = mid;
          gHi = g;
          if (side === 1) gLo /= 2;
          side = 1;
        }
      }
    }
    rho = hi;
    const wq = rho >= 1 ? Infinity : (rho * residual) / (1 - rho);
    const next = new Float64Array(k);
    for (let i = 0; i < k; i++) next[i] = open[i] ? openRate[i]! : Math.min(maxRate[i]!, wins[i]! / (phases[i]! * (service[i]! / free + wq) + extra[i]!));
    // Closed streams whose windows are deep enough to load the disk past saturation (many replicated
    // volumes, each with max-buffers in flight) share what the open streams leave, in proportion to what
    // each would take: their queues grow until their response time (Little: window / rate) makes room.
    let closedLoad = 0;
    for (let i = 0; i < k; i++) closedLoad += open[i] ? 0 : next[i]! * unit[i]!;
    if (rho >= OVERLOAD && openRho + closedLoad > OVERLOAD && closedLoad > 0) {
      const scale = Math.max(0, OVERLOAD - openRho) / closedLoad;
      for (let i = 0; i < k; i++) if (!open[i]) next[i]! *= scale;
      saturated = true;
    } else saturated = false;
    let settled = sameCosts;
    for (let i = 0; i < k && settled; i++) settled = next[i] === rates[i];
    rates = next;
    let sum = 0;
    for (let i = 0; i < k; i++) sum += rates[i]! * unit[i]!;
    rho = Math.min(OVERLOAD, sum);
    // Another round would start from the same rates and give the same answer.
    if (settled) break;
  }
  const rhoL = overloaded ? Math.min(rho, RHO_REPORT_CAP) : rho;
  const wq = (rhoL * residual) / (1 - rhoL);
  const out = new Map<string, StreamResult>();
  const labels = new Map<string, string>();
  for (let i = 0; i < k; i++) {
    const s = streams[i]!;
    const c = costs[i]!;
    const u = (c.ops * c.service) / (n * free);
    const pk = c.phases * (c.service / free + wq);
    // A closed stream held at the disk's capacity waits as long as its window takes to drain (Little).
    const d = s.demand;
    const little = saturated && d.kind === 'closed' && rates[i]! > 0 ? d.window / s.io.size / rates[i]! - d.extraDelay : 0;
    out.set(s.id, {
      rate: rates[i]!,
      latency: Math.max(pk, little),
      busy: (rates[i]! * c.ops * c.service) / n,
      costPerRate: u,
      cost: c,
    });
    labels.set(s.id, s.label);
  }
  return { spec: load.spec, rho, overloaded, shareTotal, shares: load.shares, streams: out, labels };
}

/** Mean response time at utilisation ρ for service time S and squared CV cs2 (P-K, §7.4): for tests and docs. */
export function pkResponseTime(service: number, cs2: number, rho: number): number {
  if (rho >= 1) return Infinity;
  return service + (rho * service * (1 + cs2)) / (2 * (1 - rho));
}

/**
 * A TCP connection as a flow (../shared/domain/drbd-tcp-disk.md §6, rules 3, 5, 6): a send buffer holding
 * unsent plus sent-but-unacknowledged bytes, a receive buffer, and a rate bounded by the line, by the
 * window over the round trip, and by how fast the receiving application drains. Flow-level as in SimGrid
 * (§6.3): one rate per connection between events; a single dedicated flow on its line, so max-min sharing
 * is trivial and only the bounds matter.
 */

export interface TcpSpec {
  /** Line rate, bytes/s. */
  readonly bandwidth: number;
  /** One-way latency, µs. */
  readonly latency: number;
  /** Send buffer (bytes). DRBD sets sk_sndbuf directly: no doubling, no wmem_max cap (§2.1). */
  readonly sndbuf: number;
  /** Receive buffer (bytes): the largest window the receiver can advertise. */
  readonly rcvbuf: number;
  /** Probability that a packet is lost on the path (0 when absent). */
  readonly loss?: number;
}

/** Payload share of the line after headers (SimGrid LV08 bandwidth factor, §6.3; 1 GbE ≈ 110-120 MB/s, §6.2). */
export const BANDWIDTH_FACTOR = 0.97;

export function rtt(spec: TcpSpec): number {
  return (2 * spec.latency) / 1e6;
}

export type TcpBound = 'line' | 'receive-window' | 'send-buffer' | 'packet-loss';

/** A segment's payload: a 1500-byte Ethernet MTU less 40 bytes of IP and TCP headers and 12 of timestamps. */
export const MSS = 1448;
/** Linux never sets the retransmission timeout below 200 ms (include/net/tcp.h TCP_RTO_MIN = HZ/5). */
export const RTO_MIN_S = 0.2;
/** CUBIC's constants (RFC 9438 §4.2, §4.6; Linux's defaults): C = 0.4, β = 0.7. */
const CUBIC_C = 0.4;
const CUBIC_BETA = 0.7;

/**
 * The rate a TCP flow sustains when each packet is lost with probability p: the TCP throughput equation of
 * RFC 5348 §3.1 (Padhye et al. 1998): X = s / (R·√(2bp/3) + t_RTO·3·√(3bp/8)·p·(1 + 32p²)), s the segment
 * size, R the round trip, b = 1 packet per ACK as the RFC recommends, t_RTO = 4R, here never below Linux's
 * 200 ms minimum (which is what makes a lossy LAN so slow: its timeouts dwarf its round trip); or CUBIC's cubic
 * mode when that is larger. APPROXIMATION: a steady-state mean for random losses, not BBR's curve.
 */
export function lossLimitedRate(p: number, rttS: number): number {
  if (!(p > 0)) return Infinity;
  const R = Math.max(rttS, 1e-6);
  const tRto = Math.max(4 * R, RTO_MIN_S);
  const renoFriendly = MSS / (R * Math.sqrt((2 * p) / 3) + tRto * 3 * Math.sqrt((3 * p) / 8) * p * (1 + 32 * p * p));
  // Linux's CUBIC takes the larger of its Reno-friendly window and its cubic one, whose average is
  // (C(3+β)/(4(1-β)))^¼ (R/p)^¾ segments per round trip (RFC 9438 §5.1, C = 0.4, β = 0.7): it wins on long,
  // clean paths (about 12.8 MB/s against 2.8 at 0.001% loss over 200 ms).
  const cubic = (((CUBIC_C * (3 + CUBIC_BETA)) / (4 * (1 - CUBIC_BETA))) ** 0.25 * (R / p) ** 0.75 * MSS) / R;
  return Math.max(renoFriendly, cubic);
}


/**
 * The rate a connection sustains when the receiver keeps up (rule 6): min(0.97 × line, window/RTT), the
 * window being at most the receive buffer, and the send buffer bounding the bytes in flight (rule 3); on a
 * lossy path, also the loss-limited rate (lossLimitedRate).
 */
export function tcpCapacity(spec: TcpSpec): { rate: number; bound: TcpBound } {
  const r = rtt(spec);
  const line = BANDWIDTH_FACTOR * spec.bandwidth;
  const win = r > 0 ? spec.rcvbuf / r : Infinity;
  const snd = r > 0 ? spec.sndbuf / r : Infinity;
  const lossy = lossLimitedRate(spec.loss ?? 0, r);
  if (lossy < line && lossy <= win && lossy <= snd) return { rate: lossy, bound: 'packet-loss' };
  if (line <= win && line <= snd) return { rate: line, bound: 'line' };
  return win <= snd ? { rate: win, bound: 'receive-window' } : { rate: snd, bound: 'send-buffer' };
}

/** Bytes in flight (sent, not yet acknowledged) at `rate`: they occupy the send buffer for one round trip (rule 3). */
export function inFlight(spec: TcpSpec, rate: number): number {
  return Math.min(spec.sndbuf, rate * rtt(spec));
}

/**
 * Linux's largest TCP window without tuning: net.ipv4.tcp_wmem's maximum (4 MB on a server) bounds the bytes a
 * sender keeps in flight, tcp_rmem's (6 MB) the window a receiver advertises (§6.1): the smaller binds. A
 * PostgreSQL walsender or pg_basebackup leaves its sockets to this autotuning. Approximation: the kernel's
 * bookkeeping (skb overhead, tcp_adv_win_scale) leaves somewhat less than the buffer to the payload.
 */
export const DEFAULT_TCP_WINDOW = 4 * 1024 * 1024;

export type StreamBound = 'line' | 'window' | 'loss';

/**
 * What one TCP connection carries (bytes/s) given its share of the line (bytes/s), its path's one-way latency (µs),
 * its largest window, and the probability that a packet is lost: throughput ≤ min(0.97 × line, window/RTT) (§6.2),
 * and under random loss at most lossLimitedRate (the TCP throughput equation, or CUBIC's cubic mode).
 */
export function connectionRate(share: number, latency: number, window: number, loss: number): { rate: number; bound: StreamBound } {
  const rtt = (2 * latency) / 1e6;
  // The headers take 3% of the line (rule 6, as tcpCapacity does for DRBD's connection).
  const line = BANDWIDTH_FACTOR * share;
  if (rtt <= 0) return { rate: line, bound: 'line' };
  const byWindow = window / rtt;
  let rate = line;
  let bound: StreamBound = 'line';
  if (byWindow < rate) {
    rate = byWindow;
    bound = 'window';
  }
  if (loss > 0) {
    const byLoss = lossLimitedRate(loss, rtt);
    if (byLoss < rate) {
      rate = byLoss;
      bound = 'loss';
    }
  }
  return { rate, bound };
}

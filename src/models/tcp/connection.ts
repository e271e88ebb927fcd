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
}

/** Payload share of the line after headers (SimGrid LV08 bandwidth factor, §6.3; 1 GbE ≈ 110-120 MB/s, §6.2). */
export const BANDWIDTH_FACTOR = 0.97;

export function rtt(spec: TcpSpec): number {
  return (2 * spec.latency) / 1e6;
}

export type TcpBound = 'line' | 'receive-window' | 'send-buffer';

/**
 * The rate a connection sustains when the receiver keeps up (rule 6): min(0.97 × line, window/RTT), the
 * window being at most the receive buffer, and the send buffer bounding the bytes in flight (rule 3).
 */
export function tcpCapacity(spec: TcpSpec): { rate: number; bound: TcpBound } {
  const r = rtt(spec);
  const line = BANDWIDTH_FACTOR * spec.bandwidth;
  const win = r > 0 ? spec.rcvbuf / r : Infinity;
  const snd = r > 0 ? spec.sndbuf / r : Infinity;
  if (line <= win && line <= snd) return { rate: line, bound: 'line' };
  return win <= snd ? { rate: win, bound: 'receive-window' } : { rate: snd, bound: 'send-buffer' };
}

/** Bytes in flight (sent, not yet acknowledged) at `rate`: they occupy the send buffer for one round trip (rule 3). */
export function inFlight(spec: TcpSpec, rate: number): number {
  return Math.min(spec.sndbuf, rate * rtt(spec));
}

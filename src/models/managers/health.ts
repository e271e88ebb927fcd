/**
 * Health checks as managers run them: a probe from the checker's site to a PostgreSQL node (a libpq
 * connection, optionally a query or a small write), judged on whether it answers at all, whether it answers
 * within a latency threshold, and how many checks in a row failed.
 *
 * The probe's time is the network's round trips plus the server's service time (service.ts: a saturated CPU
 * or a degraded disk answers late) plus TCP retransmissions of lost packets (a lost SYN waits the initial RTO
 * of 1 s, a lost data segment at least 200 ms, doubling at each loss: Linux TCP_TIMEOUT_INIT, TCP_RTO_MIN).
 * What the manager learns is only the answer and its time, never the cause.
 */
import type { RandomStream } from '../../engine/random.ts';
import type { Micros } from '../../engine/time.ts';
import type { HealthFact, ProbeFact } from '../../history/facts/managers.ts';
import type { HealthCheckSpec } from '../../scenario/types-managers.ts';
import type { Endpoint, Network } from '../network/network.ts';
import type { PgNode } from '../postgres/node.ts';
import { answerTime } from '../postgres/service.ts';

/** Round trips of a probe: TCP handshake and startup/authentication, then the query (and its commit). */
const ROUND_TRIPS = { connect: 2, read: 3, write: 3 } as const;
const RTO_SYN = 1_000_000;
const RTO_MIN = 200_000;

export type ProbeResult =
  | { readonly ok: true; readonly latency: Micros; readonly inRecovery: boolean }
  | { readonly ok: false; readonly latency: Micros; readonly why: 'unreachable' | 'refused' | 'starting' | 'shutting-down' | 'timeout' | 'slow'; readonly inRecovery: boolean | null };

/** One probe of `node` from `from` now: its result and when it is known (`latency`, at most the timeout). */
export function probe(net: Network, from: Endpoint, node: PgNode, spec: HealthCheckSpec, rng: RandomStream): ProbeResult {
  const to: Endpoint = node;
  const path = net.path(from, to);
  if (!path || !net.reachable(from, to)) return { ok: false, latency: spec.timeout, why: 'unreachable', inRecovery: null };
  const rtt = 2 * path.latency;
  if (!node.running) return { ok: false, latency: rtt as Micros, why: 'refused', inRecovery: null };
  if (!node.acceptsConnections) return { ok: false, latency: (2 * rtt) as Micros, why: 'starting', inRecovery: null };
  // A probe is a new connection: a smart shutdown refuses it (postmaster.c canAcceptConnections, connsAllowed).
  if (!node.connsAllowed) return { ok: false, latency: (2 * rtt) as Micros, why: 'shutting-down', inRecovery: null };
  const trips = ROUND_TRIPS[spec.probe];
  let latency = trips * rtt + answerTime(node, spec.probe);
  // A timeout of 0 is the idealised check: no timeout, the answer known at once (the watchers' default).
  const limit = spec.timeout > 0 ? spec.timeout : Number.POSITIVE_INFINITY;
  const p = net.loss(from, to);
  // Every packet of the exchange (one each way per round trip) may be lost and is then retransmitted.
  if (p > 0) latency = withRetransmissions(latency, p, 2 * trips, true, rtt, limit, rng);
  const inRecovery = !node.isPrimary;
  if (latency > limit) return { ok: false, latency: spec.timeout, why: 'timeout', inRecovery: null };
  if (spec.latencyThreshold !== null && latency > spec.latencyThreshold) return { ok: false, latency: latency as Micros, why: 'slow', inRecovery };
  return { ok: true, latency: latency as Micros, inRecovery };
}

/**
 * `latency` plus the TCP retransmissions of `packets` packets each lost with probability `p`: a lost packet
 * is resent after the RTO, 1 s for a SYN (`syn`: the first packet opens the connection), at least 200 ms
 * otherwise, doubling at each loss of the same packet; no more draws once past `limit` (the caller's timeout).
 */
export function withRetransmissions(latency: number, p: number, packets: number, syn: boolean, rtt: number, limit: number, rng: RandomStream): number {
  for (let i = 0; i < packets; i++) {
    let rto = i === 0 && syn ? RTO_SYN : Math.max(RTO_MIN, 2 * rtt);
    while (rng.next() < p && latency <= limit) {
      latency += rto;
      rto *= 2;
    }
  }
  return latency;
}

/** A probe's result as data: what it answered, or why it did not, with the limits it was held to. */
export function probeFact(r: ProbeResult, spec: HealthCheckSpec): ProbeFact {
  if (r.ok) return { kind: 'answered', latency: r.latency };
  switch (r.why) {
    case 'unreachable':
    case 'timeout':
      return { kind: 'no-answer', timeout: spec.timeout };
    case 'slow':
      return { kind: 'slow', latency: r.latency, threshold: spec.latencyThreshold! };
    case 'refused':
    case 'starting':
    case 'shutting-down':
      return { kind: r.why };
  }
}

/** The consecutive-failure count a checker keeps for one node. */
export class HealthTracker {
  private consecutive = 0;
  private last: ProbeResult | null = null;
  /** When the node last passed a check (null: never since the tracker started). */
  lastOk: Micros | null;

  constructor(
    readonly spec: HealthCheckSpec,
    since: Micros,
  ) {
    this.lastOk = since;
  }

  /** Records a result known at `at`; true when the node is now unhealthy (`failures` failed in a row). */
  record(r: ProbeResult, at: Micros): boolean {
    this.last = r;
    if (r.ok) {
      this.consecutive = 0;
      this.lastOk = at;
    } else this.consecutive++;
    return this.unhealthy;
  }

  get unhealthy(): boolean {
    return this.consecutive >= this.spec.failures;
  }

  get failures(): number {
    return this.consecutive;
  }

  /** What the checker saw: its failures in a row and the last result. */
  fact(): HealthFact {
    return { probe: this.spec.probe, failures: this.last && !this.last.ok ? this.consecutive : 0, last: this.last ? probeFact(this.last, this.spec) : null };
  }
}

import type { Micros } from '../../engine/time.ts';
import type { LinkSpec } from '../../scenario/types.ts';
import { DEFAULT_TCP_WINDOW } from '../tcp/connection.ts';

/** Something with an address on the network: a database node, a failover manager, a client pool. */
export interface Endpoint {
  readonly name: string;
  readonly site: string;
}

export interface Path {
  /** Bytes per second available to the path (shared among the flows on the same link). */
  readonly bandwidth: number;
  /** One-way latency. */
  readonly latency: Micros;
  /** Flows with the same key share one link's bandwidth. */
  readonly linkKey: string;
  /** The largest TCP window of a connection on the path, bytes (LinkSpec.tcpWindow). */
  readonly tcpWindow: number;
}

/** The key of an unordered pair of names (memoized: a health check every few seconds asks for the same pairs). */
const pairKeys = new Map<string, Map<string, string>>();

function pairKey(a: string, b: string): string {
  let byB = pairKeys.get(a);
  if (byB === undefined) {
    if (pairKeys.size >= 4096) pairKeys.clear();
    byB = new Map();
    pairKeys.set(a, byB);
  }
  let key = byB.get(b);
  if (key === undefined) {
    key = a < b ? `${a}|${b}` : `${b}|${a}`;
    if (byB.size >= 4096) byB.clear();
    byB.set(b, key);
  }
  return key;
}

/**
 * Sites joined by links, and the partitions in force. Sites without a declared link cannot reach each
 * other. A partitioned node keeps running: it is only cut off from every other endpoint (split brain is
 * representable: clients inside the partition are other endpoints and cannot reach it either).
 */
export class Network {
  private readonly links = new Map<string, LinkSpec>();
  private readonly isolatedEndpoints = new Set<string>();
  private readonly cutLinks = new Set<string>();
  /** One-way cuts: packets from `from` (a site or an endpoint) to `to` are dropped, the other way delivered. */
  private readonly oneWay = new Set<string>();
  /** Packet loss per site pair (a probability per packet, both ways). */
  private readonly lossRates = new Map<string, number>();
  /** Each path asked for, by site pair (links do not change during a run: a path is the same object each time). */
  private readonly paths = new Map<string, Path | null>();
  private readonly sitePaths = new Map<string, Path>();
  private changes = 0;

  constructor(
    links: readonly LinkSpec[],
    private readonly local: { readonly bandwidth: number; readonly latency: Micros },
  ) {
    for (const l of links) this.links.set(pairKey(l.between[0], l.between[1]), l);
  }

  isolate(endpoint: string): void {
    this.isolatedEndpoints.add(endpoint);
    this.changes++;
  }

  rejoin(endpoint: string): void {
    this.isolatedEndpoints.delete(endpoint);
    this.changes++;
  }

  cutLink(a: string, b: string): void {
    this.cutLinks.add(pairKey(a, b));
    this.changes++;
  }

  healLink(a: string, b: string): void {
    this.cutLinks.delete(pairKey(a, b));
    this.changes++;
  }

  /** Packets from `from` to `to` (each a site or an endpoint name) are dropped from now on. */
  cutOneWay(from: string, to: string): void {
    this.oneWay.add(`${from}\u0000${to}`);
    this.changes++;
  }

  healOneWay(from: string, to: string): void {
    this.oneWay.delete(`${from}\u0000${to}`);
    this.changes++;
  }

  /** Each packet between two sites is lost with this probability (0 clears it). */
  setLoss(a: string, b: string, probability: number): void {
    if (probability > 0) this.lossRates.set(pairKey(a, b), probability);
    else this.lossRates.delete(pairKey(a, b));
  }

  /** The probability that a packet between the two endpoints is lost (0 within a site). */
  loss(a: Endpoint, b: Endpoint): number {
    return a.site === b.site ? 0 : (this.lossRates.get(pairKey(a.site, b.site)) ?? 0);
  }

  /**
   * Whether packets from `a` reach `b`. A one-way cut makes this differ from `delivers(b, a)`: what needs an
   * answer (a TCP connection, a request) needs both directions (`reachable`), a heartbeat only this one.
   */
  delivers(a: Endpoint, b: Endpoint): boolean {
    if (a.name === b.name) return true;
    if (this.isolatedEndpoints.has(a.name) || this.isolatedEndpoints.has(b.name)) return false;
    if (this.oneWay.size > 0) {
      for (const from of [a.name, a.site]) for (const to of [b.name, b.site]) if (this.oneWay.has(`${from}\u0000${to}`)) return false;
    }
    if (a.site === b.site) return true;
    const key = pairKey(a.site, b.site);
    return this.links.has(key) && !this.cutLinks.has(key);
  }

  /** Counts the changes of what reaches what (cuts, heals, isolations): equal versions, the same reachability. */
  get version(): number {
    return this.changes;
  }

  isIsolated(endpoint: string): boolean {
    return this.isolatedEndpoints.has(endpoint);
  }

  /** The path between two endpoints, whether or not it is currently up. */
  path(a: Endpoint, b: Endpoint): Path | null {
    if (a.site === b.site) {
      let p = this.sitePaths.get(a.site);
      if (p === undefined) {
        p = { bandwidth: this.local.bandwidth, latency: this.local.latency, linkKey: `site:${a.site}`, tcpWindow: DEFAULT_TCP_WINDOW };
        this.sitePaths.set(a.site, p);
      }
      return p;
    }
    const key = pairKey(a.site, b.site);
    let p = this.paths.get(key);
    if (p === undefined) {
      const l = this.links.get(key);
      p = l ? { bandwidth: l.bandwidth, latency: l.latency, linkKey: `link:${key}`, tcpWindow: l.tcpWindow ?? DEFAULT_TCP_WINDOW } : null;
      this.paths.set(key, p);
    }
    return p;
  }

  /**
   * Whether the two can hold a connection: packets get through both ways. A one-way cut breaks connections
   * (TCP needs acknowledgements), so streams and clients see it as a partition (docs/model-managers.md).
   */
  reachable(a: Endpoint, b: Endpoint): boolean {
    return this.delivers(a, b) && (this.oneWay.size === 0 || this.delivers(b, a));
  }
}

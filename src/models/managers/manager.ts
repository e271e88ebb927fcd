/**
 * What every failover manager offers the world, and the acts they share: promoting with a recorded
 * decision, and re-pointing the clients they can reach (a DNS or proxy change those clients see).
 */
import type { SynchronousSource } from '../../history/facts/managers.ts';
import type { RouteBy } from '../../history/facts/managers.ts';
import type { Endpoint } from '../network/network.ts';
import type { PgCluster } from '../postgres/cluster.ts';
import type { PgNode } from '../postgres/node.ts';
import type { Switchover } from '../../scenario/types-managers.ts';

export interface Manager {
  start(): void;
  /** The plan routed the clients to `node` (route_writes): a manager that watches a leader watches it from now on. */
  onRouteWrites(node: PgNode): void;
  /** A partition, a heal or a gray failure changed the network. */
  onNetworkChange?(): void;
  /** A switchover plan step: patronictl switchover (Patroni) or pg_autoctl perform switchover / promotion (pg_auto_failover). */
  switchover?(req: Switchover): void;
  /** patronictl pause (true) or resume (false): Patroni's maintenance mode. */
  pause?(on: boolean): void;
}

/** The synchronous redundancy a manager configures (for the verdicts' plan), or null. */
export interface ManagedRedundancy {
  readonly synchronous: number;
  readonly source: SynchronousSource;
}

/** Re-point the client pools `from` can reach to `node`, and say so. */
export function routeClients(c: PgCluster, from: Endpoint, node: PgNode, by: RouteBy): void {
  const pools = c.writes.pools.filter((p) => c.ctx.net.reachable(from, p.clients));
  c.log(node, 'routing', { kind: 'writes-routed', node: node.name, pools: pools.map((p) => p.name), by });
  c.writes.routeTo(node, pools);
}

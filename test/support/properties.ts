/** Shared pieces of the property tests (test/properties): case counts, the world's nodes, a standby's chain. */
import type { World } from '../../src/models/world.ts';
import type { PgCluster } from '../../src/models/postgres/cluster.ts';
import type { PgNode } from '../../src/models/postgres/node.ts';

/** `REPLSIM_DEEP=1` (npm run test:deep) runs each property over many more cases. */
export const DEEP = process.env.REPLSIM_DEEP !== undefined;

/** Cases for a property: `n` in the default run, 25 times as many in the deep run. */
export function cases(n: number): number {
  return DEEP ? n * 25 : n;
}

export function mainCluster(world: World): PgCluster {
  return world.clusters.values().next().value!;
}

export function allNodes(world: World): PgNode[] {
  return [...world.clusters.values()].flatMap((c) => [...c.nodes.values()]);
}

/** The node a running standby ultimately replicates from, if every node on the way is running. */
export function rootOf(c: PgCluster, n: PgNode): PgNode | null {
  const seen = new Set<PgNode>();
  let cur = n;
  while (cur.role.kind === 'standby') {
    if (!cur.running || seen.has(cur) || cur.role.upstream === null) return null;
    seen.add(cur);
    cur = c.node(cur.role.upstream);
  }
  return cur.running ? cur : null;
}

/** The failover managers of a cluster, built from its `failover:` entries. */
import type { FailoverSpec } from '../../scenario/types-managers.ts';
import type { PgCluster } from '../postgres/cluster.ts';
import type { ManagedRedundancy, Manager } from './manager.ts';
import { Watcher } from './watcher.ts';

export function createManagers(c: PgCluster, specs: readonly FailoverSpec[]): Manager[] {
  return specs.map((spec, i) => {
    switch (spec.policy) {
      case 'naive':
      case 'lag-only':
        return new Watcher(c, spec, i);
    }
  });
}

/** The synchronous redundancy the managers configure (for the verdicts' plan), or null. */
export function managedRedundancy(_specs: readonly FailoverSpec[]): ManagedRedundancy | null {
  return null;
}

/** The failover managers of a cluster, built from its `failover:` entries. */
import type { FailoverSpec } from '../../scenario/types-managers.ts';
import type { PgCluster } from '../postgres/cluster.ts';
import type { ManagedRedundancy, Manager } from './manager.ts';
import { Patroni } from './patroni.ts';
import { PgAutoFailover } from './pgautofailover.ts';
import { Operator } from './operator.ts';
import { Orchestrator } from './orchestrator.ts';
import { Watcher } from './watcher.ts';

export function createManagers(c: PgCluster, specs: readonly FailoverSpec[]): Manager[] {
  return specs.map((spec, i) => {
    switch (spec.policy) {
      case 'naive':
      case 'lag-only':
        return new Watcher(c, spec, i);
      case 'patroni':
        return new Patroni(c, spec);
      case 'pg_auto_failover':
        return new PgAutoFailover(c, spec);
      case 'orchestrator':
        return new Orchestrator(c, spec);
      case 'operator':
        return new Operator(c, spec, i);
    }
  });
}

/** The synchronous redundancy the managers configure (for the verdicts' plan), or null. */
export function managedRedundancy(specs: readonly FailoverSpec[]): ManagedRedundancy | null {
  for (const s of specs) {
    if (s.policy === 'pg_auto_failover' && s.numberSyncStandbys > 0) return { synchronous: s.numberSyncStandbys, source: { kind: 'pg_auto_failover', numberSyncStandbys: s.numberSyncStandbys } };
    if (s.policy === 'patroni' && s.synchronousMode) return { synchronous: s.synchronousNodeCount, source: { kind: 'patroni', strict: s.synchronousModeStrict, synchronousNodeCount: s.synchronousNodeCount, ...(s.quorumCommit ? { quorum: true as const } : {}) } };
  }
  return null;
}

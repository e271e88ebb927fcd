/** The prose of who decided a failover and what configured a cluster's synchronous standbys (history/facts/managers.ts). */
import type { DecidedBy, SynchronousSource } from '../../history/facts/managers.ts';

/**
 * "patroni on pg1", "orchestrator orc1", "the monitor mon1" ("the monitor" when the node is named monitor, as
 * the shipped scenarios name it, not "the monitor monitor"), or the agent's name.
 */
export function decidedByText(by: DecidedBy): string {
  if (by.kind === 'patroni-agent') return `patroni on ${by.node}`;
  if (by.kind === 'orchestrator-leader') return `orchestrator ${by.leader ?? '(no leader)'}`;
  if (by.kind === 'pgaf-monitor') return monitorText(by.monitor);
  return by.name;
}

/** "synchronous_standby_names = FIRST 1 (s1) on p", "Patroni synchronous_mode (strict), synchronous_node_count = 1". */
export function synchronousSourceText(s: SynchronousSource): string {
  if (s.kind === 'synchronous_standby_names') return `synchronous_standby_names = ${s.method.toUpperCase()} ${s.num} (${s.names.join(', ')}) on ${s.node}`;
  if (s.kind === 'pg_auto_failover') return `pg_auto_failover number_sync_standbys = ${s.numberSyncStandbys}`;
  return `Patroni synchronous_mode${s.quorum ? ' quorum' : ''}${s.strict ? ' (strict)' : ''}, synchronous_node_count = ${s.synchronousNodeCount}`;
}

/** The pg_auto_failover monitor by its node's name, once: "the monitor mon1", "the monitor". */
export function monitorText(name: string): string {
  return name === 'monitor' ? 'the monitor' : `the monitor ${name}`;
}

/**
 * Walsender slots (max_wal_senders; postgres-2.md §3.1): every replication connection to a server takes one
 * (walsender.c InitWalSenderSlot up to 11, proc.c InitProcess from 12, where walsenders have their own PGPROC
 * pool), and one more is refused at connection time with FATAL `number of requested standby connections exceeds
 * max_wal_senders (currently N)`, before IDENTIFY_SYSTEM. The connections counted: each standby's walreceiver
 * connected to the server (streaming, or idle on its connection after the end of a timeline), and each running
 * pg_basebackup from it (one for the copy, one more for -X stream's WAL). Observed on 10.23 to 18.4
 * (conformance/max-senders-check.sh): the standby's walreceiver logs it as its connection failure and
 * tries again every wal_retrieve_retry_interval; the server's walsender logs the same FATAL.
 *
 * The limit applies only when `max_wal_senders` is written in the scenario (the server's default, 10 from 10
 * and 0 before, would refuse scenarios that never meant to model it).
 */
import type { PgCluster } from './cluster.ts';
import type { PgNode } from './node.ts';

/** Replication connections to `up` now, other than `except`'s walreceiver. */
export function walSendersInUse(cluster: PgCluster, up: PgNode, except: PgNode | null): number {
  let used = cluster.rebuilds.walSenderConnections(up);
  for (const n of cluster.nodes.values()) {
    if (n === except || !n.running || n.role.kind !== 'standby') continue;
    const wr = n.role.walreceiver;
    if (wr && wr.upstream === up.name && wr.upstreamBoot === up.boot) used++;
  }
  return used;
}

/** The limit `wanted` more connections to `up` would exceed (its max_wal_senders), or null: admitted. */
export function walSendersExceeded(cluster: PgCluster, up: PgNode, wanted: number, except: PgNode | null): number | null {
  const max = up.settings.maxWalSenders;
  if (max === null) return null;
  return walSendersInUse(cluster, up, except) + wanted > max ? max : null;
}

/**
 * How long a server takes to serve a request, for gray failures: a CPU-saturated node or a degraded disk
 * serves everything slower without failing. Modelled as service-time multipliers on the node (`PgNode.service`,
 * set by the `slow_node` fault): `cpu` stretches CPU work (processor sharing: with `cpu` runnable processes
 * per core each gets 1/cpu of it), `disk` stretches an fsync. Health checks (managers/health.ts), a
 * primary's commits and a standby's flush see them.
 *
 * Approximation (docs/model-managers.md): the healthy model neglects the primary's own commit time (it is
 * sub-millisecond against the network and the standbys), so a slowed node adds only the excess over the
 * nominal times below, and a node at 1x behaves exactly as before.
 */
import type { Micros } from '../../engine/time.ts';
import type { PgNode } from './node.ts';

/** Nominal CPU time of a commit or a short query (parse, plan, execute, a few buffer hits). */
export const NOMINAL_CPU: Micros = 200 as Micros;
/** Nominal WAL fsync when the node's storage gives none (`wal_fsync`): an SSD with a protected write cache. */
export const NOMINAL_FSYNC: Micros = 1000 as Micros;

/** Service-time multipliers of a node (1 = healthy). */
export interface ServiceFactors {
  cpu: number;
  disk: number;
}

/** A WAL fsync on the node: its storage's `wal_fsync` (or the nominal one) stretched by the disk factor, less what the healthy model counts. */
export function fsyncTime(n: PgNode): Micros {
  const f = n.service.disk;
  const declared = n.storage.walFsync;
  return (declared !== undefined ? declared * f : NOMINAL_FSYNC * (f - 1)) as Micros;
}

/** What a slowed node adds to each of its commits (0 at 1x): the excess fsync and CPU time. */
export function commitDelay(n: PgNode): Micros {
  const disk = n.storage.walFsync !== undefined ? n.storage.walFsync * (n.service.disk - 1) : NOMINAL_FSYNC * (n.service.disk - 1);
  return Math.round(disk + NOMINAL_CPU * (n.service.cpu - 1)) as Micros;
}

/** The server side of a health check: CPU for the query, plus a commit's fsync for a write probe. */
export function answerTime(n: PgNode, probe: 'connect' | 'read' | 'write'): Micros {
  const cpu = NOMINAL_CPU * n.service.cpu * (probe === 'connect' ? 1 : 2);
  const disk = probe === 'write' ? (n.storage.walFsync ?? NOMINAL_FSYNC) * n.service.disk : 0;
  return Math.round(cpu + disk) as Micros;
}

/** The slowdown in words, for causes ("its disk serves fsyncs 50x slower"). */
export function describeSlowdown(n: PgNode): string | null {
  const parts: string[] = [];
  if (n.service.cpu !== 1) parts.push(`its CPU is saturated (${n.service.cpu}x: each request gets 1/${n.service.cpu} of a core)`);
  if (n.service.disk !== 1) parts.push(`its disk serves fsyncs ${n.service.disk}x slower (${(((n.storage.walFsync ?? NOMINAL_FSYNC) * n.service.disk) / 1000).toFixed(1)} ms each)`);
  return parts.length ? `${n.name}: ${parts.join(', ')}` : null;
}

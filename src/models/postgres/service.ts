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
import type { Slowdown } from '../../history/facts/writes.ts';
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
  /** The share of its sequential throughput the disk serves (a throughput collapse; 1 = healthy). */
  throughput: number;
  /** WAL bytes queued ahead of a new commit on a disk whose throughput binds (writes.ts sets it; 0 otherwise). */
  walBacklog: number;
}

/** Sequential disk throughput when the scenario gives none (disk_throughput; as the vacuum and rebuild models'). */
export const DEFAULT_DISK_THROUGHPUT = 500e6;

/** Bytes per second the node's disk serves now: its disk_throughput times the share a collapse left. */
export function diskThroughput(n: PgNode): number {
  return (n.storage.throughput ?? DEFAULT_DISK_THROUGHPUT) * n.service.throughput;
}

/**
 * How long a new commit waits for the WAL queued ahead of it on a disk that cannot keep up (each connection
 * committing has its WAL ahead in the queue: the backlog over the throughput); 0 on a healthy disk.
 */
export function walQueueWait(n: PgNode): Micros {
  if (n.service.walBacklog <= 0) return 0 as Micros;
  const rate = diskThroughput(n);
  return (rate > 0 ? Math.round((n.service.walBacklog / rate) * 1e6) : Number.POSITIVE_INFINITY) as Micros;
}

/** A WAL fsync on the node: its storage's `wal_fsync` (or the nominal one) stretched by the disk factor, less what the healthy model counts. */
export function fsyncTime(n: PgNode): Micros {
  const f = n.service.disk;
  const declared = n.storage.walFsync;
  return (declared !== undefined ? declared * f : NOMINAL_FSYNC * (f - 1)) as Micros;
}

/** A whole WAL fsync on the node (not the excess `fsyncTime` counts): its `wal_fsync`, or the nominal one, stretched. */
export function fsyncDuration(n: PgNode): Micros {
  return ((n.storage.walFsync ?? NOMINAL_FSYNC) * n.service.disk) as Micros;
}

/**
 * How long one commit takes on the node itself, its WAL fsync and CPU (stretched on a slowed node): a
 * connection commits at most one transaction per this time. The healthy write model neglects it (it binds only
 * far beyond what pools offer); it bounds how fast a pool's queue drains when nothing else does (writes.ts).
 */
export function localCommitTime(n: PgNode): Micros {
  return Math.round((n.storage.walFsync ?? NOMINAL_FSYNC) * n.service.disk + NOMINAL_CPU * n.service.cpu) as Micros;
}

/** What a slowed node adds to each of its commits (0 at 1x): the excess fsync and CPU time. */
export function commitDelay(n: PgNode): Micros {
  const disk = n.storage.walFsync !== undefined ? n.storage.walFsync * (n.service.disk - 1) : NOMINAL_FSYNC * (n.service.disk - 1);
  return Math.round(disk + NOMINAL_CPU * (n.service.cpu - 1)) as Micros;
}

/**
 * The server side of a health check: CPU for the query, plus for a write probe a commit's fsync and the wait
 * behind the WAL queued on a disk that cannot keep up (a saturated primary answers a write check late; a
 * read or a connection is served from memory and does not see it).
 */
export function answerTime(n: PgNode, probe: 'connect' | 'read' | 'write'): Micros {
  const cpu = NOMINAL_CPU * n.service.cpu * (probe === 'connect' ? 1 : 2);
  const disk = probe === 'write' ? (n.storage.walFsync ?? NOMINAL_FSYNC) * n.service.disk + walQueueWait(n) : 0;
  return Math.round(cpu + disk) as Micros;
}

/** The slowdown as a cause's data (history/facts/writes.ts), null when nothing is slow. */
export function slowdownOf(n: PgNode): Slowdown | null {
  const s = n.service;
  if (s.cpu === 1 && s.disk === 1 && s.throughput === 1) return null;
  return {
    node: n.name,
    cpu: s.cpu !== 1 ? s.cpu : null,
    disk: s.disk !== 1 ? { factor: s.disk, fsyncMs: ((n.storage.walFsync ?? NOMINAL_FSYNC) * s.disk) / 1000 } : null,
    throughput: s.throughput !== 1 ? { share: s.throughput, bytesPerSecond: diskThroughput(n) } : null,
  };
}

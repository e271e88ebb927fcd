/** The prose of write causes: why a workload's writes fail or stall (history/facts/writes.ts). */
import type { CommitLimit, Slowdown, SyncReplayHeld, WriteCauseFact } from '../../../history/facts/writes.ts';
import { duration, percent, perSecond, rate, size } from '../../format.ts';
import { code, join, node, p, time, type Token } from '../parts.ts';
import type { TemplatesOf } from './types.ts';
import { LOGICAL_WRITES } from './logical.ts';

/** Transactions per second, as the cause records them (roundFigure: whole from 10 up, else one decimal). */
const tps = (x: number): string => perSecond(x, 'transactions');

/** "pg1: its disk serves fsyncs 50x slower (50 ms each)"; 'null' when nothing is slow (as the report printed it). */
export function slowdownText(s: Slowdown | null): Token {
  if (s === null) return 'null';
  const parts: Token[] = [];
  if (s.cpu !== null) parts.push(`its CPU is saturated (${s.cpu}x: each request gets 1/${s.cpu} of a core)`);
  if (s.disk !== null) parts.push(`its disk serves fsyncs ${s.disk.factor}x slower (${duration(s.disk.fsyncMs / 1000)} each)`);
  if (s.throughput !== null) parts.push(`its disk's throughput collapsed to ${percent(s.throughput.share)} (${rate(s.throughput.bytesPerSecond)})`);
  return p`${node(s.node)}: ${join(parts)}`;
}

function limitText(n: string, l: CommitLimit): Token {
  if (l.kind === 'disk') {
    const why = l.slowdown !== null ? slowdownText(l.slowdown) : p`its disk writes at most ${rate(l.bytesPerSecond)} (${code('disk_throughput')})`;
    return p`${node(n)} commits at most ${tps(l.txPerSecond)}: ${why}, and its WAL cannot be written faster`;
  }
  if (l.kind === 'synchronous-standbys' && l.held) return replayHeld(l.held);
  if (l.kind === 'synchronous-standbys') {
    const st = l.stream;
    // Which standbys the commits wait for, named also when no single stream binds them.
    const whose = p`the synchronous standbys of ${node(n)}${l.standbys.length > 0 ? p` (${join(l.standbys.map(node))})` : ''}`;
    const carried = st
      ? p`: the stream to ${node(st.standby)} carries ${rate(st.bytesPerSecond)}, ${
          st.bound === 'disk' ? p`what ${node(st.standby)}'s disk writes (${code('disk_throughput')})` : st.bound === 'window' ? 'one TCP window per round trip' : st.bound === 'loss' ? 'what TCP carries under the packet loss' : 'what the line carries, less 3% for TCP and IP headers'
        }`
      : '';
    const behind = l.behind ? p`, and they wait behind the ${size(l.behind.wal)} of WAL ${l.behind.who} writes` : '';
    // The stream that binds them (stream-plan.ts) names why they confirm what they do.
    if (st) return p`${whose} confirm ${l.txPerSecond > 0 ? tps(l.txPerSecond) : 'no commit'} (its ${l.connections} connections each wait at least ${duration(l.roundMs / 1000)} for a confirmation)${carried}${behind}`;
    // Connections each waiting a round trip allow connections / round trip commits a second; far fewer
    // confirmed means the standbys take in or flush the WAL slower than it comes, not the round trip.
    const cap = (l.connections * 1000) / Math.max(l.roundMs, 1e-3);
    return l.txPerSecond >= 0.9 * cap
      ? p`${whose} confirm ${tps(l.txPerSecond)} (its ${l.connections} connections each wait at least ${duration(l.roundMs / 1000)} for a confirmation)`
      : p`${whose} confirm ${l.txPerSecond > 0 ? `only ${tps(l.txPerSecond)}` : 'no commit'}: they take in the WAL slower than it comes (a thin link, a slow flush or replay; its ${l.connections} connections, waiting ${duration(l.roundMs / 1000)} each, would allow ${tps(cap)})`;
  }
  if (l.kind === 'connections') {
    const slow = l.slowdown !== null ? p`: ${slowdownText(l.slowdown)}` : '';
    return p`${node(n)} commits at most ${tps(l.txPerSecond)}: its ${l.connections} connections commit one transaction at a time, ${duration(l.commitMs / 1000)} each${slow}`;
  }
  const c = l.coldCache;
  const warming = c !== null ? `, less while its cache warms up after its start or promotion (${percent(c.serves)} of it at first, all of it after ${duration(c.warmup / 1e6)})` : '';
  return p`${node(n)} commits at most ${tps(l.txPerSecond)}${warming}`;
}

/** Commits that wait under the synchronous_commit level they began with, after a reload changed it. */
const heldText = (f: { readonly heldLevel?: string; readonly newLevel?: string }): Token =>
  f.heldLevel === undefined ? '' : p`; the commits that waited before ${code('synchronous_commit')} was changed to ${code(f.newLevel ?? '')} wait on at ${code(`synchronous_commit = ${f.heldLevel}`)} (a reload changes the level of later commits only), holding their connections`;
const party = (x: { readonly who: string; readonly mode: string }, how: string): string => `${x.who} ${how} ${x.mode}`;

function lockQueue(f: Extract<WriteCauseFact, { kind: 'lock-queue' }>): string {
  const verb = f.modes.length > 1 ? 'reads and writes' : f.mode === 'AccessShareLock' ? 'reads' : 'writes';
  const held = f.holders.map((h) => party(h, 'holding')).join(' and ');
  const fail = f.failing ? '; queries fail after lock_timeout/statement_timeout' : '';
  if (f.waiters.length === 0) return `lock queue on ${f.table}: ${verb} of ${f.workload} wait for ${f.mode} behind ${held}${fail}`;
  const w = f.waiters.map((x) => `${x.who} (waiting for ${x.mode})`).join(', then ');
  return `lock queue on ${f.table}: ${verb} of ${f.workload} queue behind ${w}${held ? `, which waits behind ${held}` : ''}${fail}`;
}

/** remote_apply commits held by a synchronous standby's replay, itself held by a recovery conflict. */
function replayHeld(f: SyncReplayHeld): Token {
  return p`with ${code('synchronous_commit = remote_apply')} commits on ${node(f.node)} wait for ${node(f.standby)} to replay them, and its replay stands at the ${f.conflict === 'lock' ? p`AccessExclusiveLock on ${f.table}` : p`removal of row versions of ${f.table}`}, in conflict with ${f.queries.length === 1 ? 'the query' : 'the queries'} ${join(f.queries.map((q) => p`"${q}"`))} there, until ${f.queries.length === 1 ? 'it ends or is' : 'they end or are'} cancelled (${code('max_standby_streaming_delay')})`;
}

export const WRITES: TemplatesOf<WriteCauseFact> = {
  ...LOGICAL_WRITES,
  'no-write-target': () => 'no write target: no node is the primary writes are routed to',
  'target-down': (f) =>
    f.how === 'shutting-down'
      ? p`${node(f.node)} is shutting down, its walsenders still sending standbys their backlog ("FATAL: the database system is shutting down")`
      : f.panic
        ? p`${node(f.node)} is down: it stopped itself when its pg_wal volume (${size(f.panic.volume)}) filled ("PANIC: could not write to file … No space left on device")`
        : p`${node(f.node)} is ${f.how === 'crashed' ? 'down (crashed)' : 'shut down'}`,
  'target-failed': (f) => p`${node(f.node)} does not start: ${f.message}`,
  'clients-cut-off': (f) => p`clients at site ${f.site} cannot reach ${node(f.node)} (network partition)`,
  'clients-blocked': (f) => p`client connections to ${node(f.node)} are blocked by the plan`,
  'target-in-recovery': (f) =>
    p`${node(f.node)} is a standby in recovery${f.promoting ? ', its promotion waiting for the startup process to replay the WAL it received' : ''}: writes fail with "cannot execute INSERT in a read-only transaction"`,
  'no-client-slots': (f) =>
    p`${node(f.node)} admits no client: ${code(`max_connections = ${f.maxConnections}`)}, ${code(`superuser_reserved_connections = ${f.superuserReserved}`)}: "remaining connection slots are reserved for ${f.version >= 16 ? 'roles with the SUPERUSER attribute' : 'non-replication superuser connections'}"`,
  'xid-stop-refusal': (f) => p`${node(f.node)} refuses XID-assigning commands: "${f.message}"`,
  'relation-dropped': (f) => `relation "${f.relation}" does not exist (it was dropped)`,
  'lock-queue': lockQueue,
  'pool-queue': (f) =>
    p`${limitText(f.node, f.limit)}: ${f.offered > 0 ? p`workload ${f.pool} offers ${perSecond(f.offered, 'requests')} and its requests queue in the pool for a connection` : p`workload ${f.pool} offers no more requests, and those it queued still wait in the pool for a connection`}${f.queueTimeout !== null ? p`; a request that waits longer than ${code('queue_timeout')} (${duration(f.queueTimeout / 1e6)}) fails` : ''}`,
  'volume-saturated': (f) =>
    p`the data volume of ${node(f.node)} is saturated: vacuum of ${f.tables.join(', ')} uses ${rate(f.vacuumBytesPerSecond)} of its ${rate(f.throughput)}`,
  'slow-commits': (f) => p`each commit on ${node(f.node)} takes ${duration(f.seconds)}: ${slowdownText(f.slowdown)}`,
  'sync-standbys-missing': (f) =>
    p`${code(`synchronous_standby_names = ${f.method.toUpperCase()} ${f.num} (${f.names.join(', ')})`)} but only ${f.streaming.length} listed standby(s) stream from ${node(f.node)} (${f.streaming.length ? join(f.streaming.map(node)) : 'none'}): commits wait${heldText(f)}`,
  'sync-standby-cut-off': (f) => {
    // When the walsender would exit, not that it did: a manager or an operator may release the commits first (the end says how).
    const until = f.walSenderTimeout > 0 ? p`${code(`wal_sender_timeout = ${duration(f.walSenderTimeout / 1e6)}`)} ends it (at ${time(f.exitAt)})` : p`TCP gives up (${code('wal_sender_timeout = 0')}), at ${time(f.exitAt)}`;
    if (!f.others || f.others.length === 0) return p`${node(f.standby)}, a synchronous standby of ${node(f.node)}, is cut off: ${node(f.node)} hears nothing from it, yet its walsender stays the synchronous standby until ${until}: commits wait${heldText(f)}`;
    const all = [f.standby, ...f.others];
    return p`${join(all.map(node), all.length === 2 ? ' and ' : ', ')}, synchronous standbys of ${node(f.node)}, are cut off: ${node(f.node)} hears nothing from them, yet their walsenders stay synchronous standbys, ${node(f.standby)}'s until ${until}: commits wait${heldText(f)}`;
  },
  'sync-standby-reply': (f) =>
    p`${join(f.standbys.map(node))} ${f.standbys.length > 1 ? 'have' : 'has'} the waiting commits, but ${node(f.node)}'s walsenders release them only when a synchronous standby replies, which one receiving nothing does every ${code(`wal_receiver_status_interval = ${duration(f.statusInterval / 1e6)}`)}: commits wait for the next reply`,
  'sync-replay-held': (f) => replayHeld(f),
  'sync-confirm-rate': (f) =>
    p`synchronous standbys${f.standbys.length > 0 ? p` (${join(f.standbys.map(node))})` : ''} confirm ${perSecond(f.commitsPerSecond, 'commits')}, fewer than the ${perSecond(f.offered, 'commits')} offered: ${f.seconds === null ? 'each commit waits until one confirms it' : `each commit waits about ${duration(f.seconds)}`}`,
  'primary-disk-failed': (f) => p`${f.disk}, the disk of ${f.resource}'s primary ${node(f.host)}, failed`,
  'diskless-peer-lost': (f) =>
    p`${f.disk}, the disk of ${f.resource}'s primary ${node(f.host)}, had failed, and the Diskless ${node(f.host)} lost its connection to ${node(f.node)}, whose disk served its I/O: no data is accessible (on-no-data-accessible io-error)`,
  'primary-host-lost': (f) => p`${node(f.host)}, the primary of ${f.resource}, is lost; no node is primary`,
  'block-demoted': (f) => p`${code(`drbdadm secondary ${f.resource}`)} on ${node(f.host)}: the application was stopped for a switchover`,
  'drbd-no-quorum': (f) => p`${node(f.host)}, the primary of ${f.resource}, lost quorum: on-no-quorum io-error fails its I/O`,
  'no-quorum-stop': (f) => p`${code(`no-quorum-policy ${f.policy}`)}: ${node(f.host)}'s partition has no quorum`,
};

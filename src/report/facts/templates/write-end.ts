/** The prose of how a write stall or outage ended (history/facts/write-end.ts). */
import type { SettingAuthor, WriteEndFact } from '../../../history/facts/write-end.ts';
import type { SynchronousStandbyNames } from '../../../scenario/types.ts';
import { count, duration, perSecond } from '../../format.ts';
import { code, join, node, p, time, type Token } from '../parts.ts';
import { goalWhy } from './managers.ts';
import { connReason } from './block-why.ts';
import type { TemplatesOf } from './types.ts';
import type { Fact } from '../../../history/facts/index.ts';

/** synchronous_standby_names as postgresql.conf would hold it ('' when empty). */
const namesText = (n: SynchronousStandbyNames | null): string => (n === null ? "''" : `'${n.method.toUpperCase()} ${n.num} (${n.names.join(', ')})'`);

/** Who changed a setting, as the subject of "set ..." (a keeper's goal state and the monitor's reason first). */
function author(by: SettingAuthor, sub: (f: Fact) => Token): Token {
  switch (by.kind) {
    case 'plan':
      return 'the plan';
    case 'pg_auto_failover':
      return p`the pg_auto_failover monitor assigned ${node(by.node)} the goal state ${by.goal} at ${time(by.goalAt)}${by.why ? p` (${goalWhy(by.node, by.why, sub)})` : ''}, and its keeper`;
    case 'patroni':
      return p`Patroni on the leader ${node(by.node)}${by.strict ? p` (${code('synchronous_mode_strict')})` : ''}`;
  }
}

/** Released commits that leave the pool's queued requests to drain (the next stall). */
const drain = (queued: boolean): string => (queued ? '; the requests the pool queued meanwhile drain next (the next stall)' : '');

export const WRITE_ENDS: TemplatesOf<WriteEndFact> = {
  'end-run': () => 'it still held when the run ended',
  'end-outage': (f, sub) => p`writes failed from then on: ${sub(f.cause)}`,
  'end-rerouted': (f) => (f.node === null ? 'the clients were routed to no node' : p`the clients' writes were routed to ${node(f.node)}`),
  'end-sync-confirmed': (f) =>
    f.standbys.length === 0
      ? p`the synchronous standbys of ${node(f.node)} confirmed the waiting commits${drain(f.queued)}`
      : p`${join(f.standbys.map(node))}, ${f.standbys.length > 1 ? 'synchronous standbys' : 'a synchronous standby'} of ${node(f.node)}, confirmed the waiting commits${f.queued ? drain(true) : ` and ${f.standbys.length > 1 ? 'keep' : 'keeps'} up`}`,
  'end-sync-names': (f, sub) =>
    f.names === null
      ? p`${author(f.by, sub)} set ${code("synchronous_standby_names = ''")} on ${node(f.node)} at ${time(f.changedAt)}: at the reload the checkpointer wakes every commit waiting for a synchronous standby, and later commits wait for none${drain(f.queued)}`
      : p`${author(f.by, sub)} set ${code(`synchronous_standby_names = ${namesText(f.names)}`)} on ${node(f.node)} at ${time(f.changedAt)}${f.released ? p`, and the standbys it names confirmed the waiting commits${drain(f.queued)}` : ': the commits wait for the standbys it names (the next stall)'}`,
  'end-sync-commit': (f, sub) =>
    f.released
      ? p`${author(f.by, sub)} lowered ${code('synchronous_commit')} on ${node(f.node)} to ${code(f.level)} at ${time(f.changedAt)}; the commits that waited before it were confirmed, and later ones ${f.level === 'local' || f.level === 'off' ? 'wait for no standby' : `wait only for ${f.level}`}${drain(f.queued)}`
      : p`${author(f.by, sub)} changed ${code('synchronous_commit')} on ${node(f.node)} to ${code(f.level)} at ${time(f.changedAt)}; the commits already waiting keep their level and wait on (the next stall): a reload changes the level of later commits only`,
  'end-standbys-left': (f) => {
    const how = { crashed: 'crashed', stopped: 'was stopped', failed: 'failed', 'cut-off': 'was cut off', 'not-streaming': 'stopped streaming' } as const;
    return p`${join(f.standbys.map((x) => p`${node(x.name)} ${how[x.how]}`), ' and ')}: the commits on ${node(f.node)} wait on without ${f.standbys.length > 1 ? 'them' : 'it'} (the next stall)`;
  },
  'end-waits-ended': (f) =>
    p`${f.how === 'cancel' ? 'pg_cancel_backend' : 'pg_terminate_backend'} on the ${count(f.commits)} commits waiting on ${node(f.node)}: they stopped waiting, committed locally and confirmed by no standby${f.how === 'cancel' ? ' (COMMIT with a WARNING)' : ' (their connections closed)'}`,
  'end-walsender-exit': (f) =>
    p`the walsender of ${node(f.node)} for the cut-off ${node(f.standby)} exited after ${code(`wal_sender_timeout = ${duration(f.walSenderTimeout / 1e6)}`)}`,
  'end-slowdown-over': (f) => p`the slowdown of ${node(f.node)} ended`,
  'end-queue-drained': (f) => p`the requests workload ${f.pool} had queued were served: none waits past the stall threshold any more`,
  'end-offer-fell': (f) => (f.offered > 0 ? p`workload ${f.pool} now offers ${perSecond(f.offered, 'requests')}, less than before` : p`workload ${f.pool} offers no more requests`),
  'end-target-running': (f) => p`${node(f.node)} runs as a primary again`,
  'end-clients-reach': (f) => p`the clients reach ${node(f.node)} again`,
  'end-unblocked': (f) => p`the plan unblocked client connections to ${node(f.node)}`,
  'end-lock-wait': (f) =>
    f.outcome === 'granted'
      ? p`${f.who} was granted its ${f.mode} on ${f.table} at ${time(f.at)} and released it: the queries queued behind it got their locks`
      : p`${f.who} gave up waiting for its ${f.mode} on ${f.table} at ${time(f.at)} (${f.outcome === 'not-available' ? 'NOWAIT' : f.outcome}) and left the queue: the queries behind it got their locks`,
  'end-fence-peer-returned': (f) => p`the fence-peer handler returned${f.peer ? p` (${node(f.peer)} outdated)` : ''}: ${f.resource}'s frozen I/O resumed`,
  'end-block-disconnected': (f) => p`${f.resource} lost its connection to the peer (${connReason(f.reason)}): writes go on alone, marking the bitmap`,
  'end-block-ahead': (f) => p`${f.resource} went Ahead (${code('on-congestion pull-ahead')}): writes go on, only marking the bitmap until the resync`,
  'end-block-eased': (f, sub) =>
    p`${f.after && f.at !== undefined ? p`after ${sub(f.after)} at ${time(f.at)}, ` : ''}the back-pressure on ${f.resource} eased: writes complete within the stall threshold again`,
  'end-block-primary': (f) => p`${node(f.host)} is Primary of ${f.resource} and the application writes to it again`,
  // The next interval, listed with its cause, follows at once: named, not repeated (the JSON's fact holds the cause).
  'end-sequence-passed': (f) => p`nextval on ${node(f.node)} hands out keys past ${count(f.maxKey)}, the largest the replicated rows hold: inserts succeed again`,
  'end-changed': (f) => (f.outage ? 'writes failed from then on, for another cause (the next outage)' : 'commits went on waiting for another cause (the next stall)'),
  'end-cleared': () => 'what held it no longer did and writes flowed',
};

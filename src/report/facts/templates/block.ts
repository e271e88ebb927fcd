/** The prose of block replication facts (history/facts/block.ts). */
import type { BlockFact, BlockRoleRefusal } from '../../../history/facts/block.ts';
import { count, duration, percent, rate, size } from '../../format.ts';
import { code, join, node, p, type Token } from '../parts.ts';
import { optionText } from '../../options-text.ts';
import type { TemplatesOf } from './types.ts';
import { connReason, sbRule, sbUnresolved } from './block-why.ts';

/** drbd_nl.c drbd_set_role's refusals, with drbdadm's words where it has them. */
const ROLE_REFUSAL: { readonly [K in BlockRoleRefusal]: (f: { readonly inFlight?: number }) => Token } = {
  'writes-to-it': () => 'the application writes to it while its peer is Primary too',
  'not-primary': () => 'it is not Primary',
  'already-primary': () => 'it is Primary already',
  'already-secondary': () => 'it is Secondary already',
  'host-down': () => 'the node is down',
  'not-drbd': () => 'not a DRBD device (md and WalB have no roles)',
  pacemaker: () => 'Pacemaker manages the resource and would undo a manual role change (move it with the cluster instead)',
  'not-managed': () => 'Pacemaker does not manage the resource',
  'two-primaries': (f) =>
    f.inFlight !== undefined
      ? p`State change failed: (-1) Multiple primaries not allowed by config: the peer's demotion is queued behind the ${size(f.inFlight)} it still sends (drbd_send_state on the data socket)`
      : 'State change failed: (-1) Multiple primaries not allowed by config: the peer is Primary',
  'no-up-to-date-disk': () => 'State change failed: (-2) Need access to UpToDate data',
  'no-quorum': () => 'State change failed: No quorum: its partition has too few of the diskful nodes (drbd_state.c SS_NO_QUORUM)',
  'sync-target': () => 'not modelled: DRBD would make this SyncTarget Primary, its peer being UpToDate (reads of the blocks not yet resynced go to the peer), but replsim has no Primary SyncTarget; the roles stay as they were',
};

export const BLOCK: TemplatesOf<BlockFact> = {
  'block-connect': (f) => p`connect ${f.resource}`,
  'block-disconnect': (f) => p`disconnect ${f.resource}`,
  'block-adjust': (f) => p`adjust ${f.resource}: ${join(f.set.map((o) => code(optionText(o.option, o.value))))}`,
  'disk-job-start': (f) => p`${f.job} "${f.name}" starts on ${f.disk} (${'share' in f.pace ? `${percent(f.pace.share)} of disk time` : rate(f.pace.rate)})`,
  'disk-job-stop': (f) => p`job "${f.name}" on ${f.disk} stops`,
  'io-workload': (f) => p`workload ${f.workload}: ${count(f.iops)}/s, ${percent(f.readShare)} reads, ${percent(f.random)} random, ${size(f.size)}`,
  'host-lost': (f) => p`host ${node(f.host)} is lost`,
  'host-power-on': (f) => p`host ${node(f.host)} is powered on`,
  'force-primary': (f) => p`${code(`drbdadm primary --force ${f.resource}`)} on ${node(f.host)}`,
  'disk-slowdown': (f) =>
    p`disk ${f.disk} ${f.factor === 1 ? 'is healthy again' : `degrades: every request takes ${f.factor} times its service time${f.duration !== null ? ` for ${duration(f.duration / 1e6)}` : ''}`}`,
  'disk-fails': (f) => p`disk ${f.disk} fails`,
  'make-secondary': (f) =>
    f.planned !== undefined && f.refused === null
      ? p`${code(`drbdadm secondary ${f.resource}`)} on ${node(f.host)}: the application is stopped and the device closed${f.planned.queued > 0 ? p`; the ${size(f.planned.queued)} still queued for the peer go on being sent, and the peer learns of the demotion only after them` : ''}`
      : p`${code(`drbdadm secondary ${f.resource}`)} on ${node(f.host)}`,
  'make-primary': (f) => p`${code(`drbdadm primary ${f.resource}`)} on ${node(f.host)}`,
  'pacemaker-move': (f) =>
    f.refused === null
      ? p`${code(`crm resource move ${f.resource} ${f.host}`)}: Pacemaker stops the application and demotes ${f.resource} on ${node(f.from)}${f.queued > 0 ? p` (the ${size(f.queued)} still queued for the peer go on being sent, the demotion behind them)` : ''}, then promotes it on ${node(f.host)}`
      : p`${code(`crm resource move ${f.resource} ${f.host}`)}`,
  'disk-spike-ends': (f) => p`disk ${f.disk}: the latency spike ends (${f.factor === 1 ? 'healthy again' : `back to ${f.factor} times its service time`})`,
  'disk-job-finished': (f) => p`${f.job} "${f.name}" on ${f.disk} finished (${size(f.size)})`,
  'peer-gone': (f) => p`${f.resource}: cannot connect: the peer is gone`,
  'waiting-for-peer': (f) =>
    f.connectInt !== null ? p`${f.resource}: ${f.state}: the peer cannot be reached; a connection attempt every ${duration(f.connectInt / 1e6)}` : p`${f.resource}: ${f.state}: the peer cannot be reached`,
  'walb-ring-reset': (f) => p`${f.resource}: WalB ring reset after its overflow (reset_wal): writes are logged again from now`,
  'full-sync-starts': (f) => p`${f.resource}: connected; initial full sync of ${size(f.size)} starts (${f.label}); ${node(String(f.peer))} is Inconsistent until it ends`,
  'resync-starts': (f) => p`${f.resource}: connected; bitmaps merged: resync of ${size(f.bytes)} out of sync (rule 12); ${node(String(f.peer))} is Inconsistent until it ends`,
  'connected-in-sync': (f) => p`${f.resource}: connected, in sync`,
  'block-disconnected': (f) =>
    p`${f.resource}: ${f.network ? 'connection lost' : 'disconnected'} (${connReason(f.reason)}); ${f.noData ? 'the Diskless Primary has no data left to write to: its I/O fails' : 'writes now only mark the bitmap'}${f.retry !== null ? `; ${f.retry.state}: a connection attempt every ${duration(f.retry.connectInt / 1e6)}` : ''}`,
  'quorum-lost': (f) => p`${f.resource}: ${node(f.host)} lost quorum (${f.visible} of ${f.voters} nodes visible, need ${f.at}): on-no-quorum ${f.policy}, ${f.policy === 'suspend-io' ? 'its I/O is frozen until quorum returns' : 'its I/O fails'}`,
  'quorum-regained': (f) => p`${f.resource}: ${node(f.host)} has quorum again${f.tiebreaker ? ' (through the diskless tiebreaker)' : ''}; its I/O resumes`,
  fencing: (f) =>
    f.policy === 'resource-and-stonith' ? p`${f.resource}: fencing resource-and-stonith: I/O suspended, fence-peer handler called` : p`${f.resource}: fencing resource-only: fence-peer handler called`,
  'fence-peer-returned': (f) =>
    p`${f.resource}: fence-peer handler exited 4 after ${duration(f.after / 1e6)}: ${f.peer !== null ? node(f.peer) : 'the peer'} is Outdated${f.resumed ? '; I/O resumed' : ''}`,
  'peer-answers': (f) => p`${f.resource}: the peer answers again: connection established`,
  'split-brain': (f) =>
    p`${f.resource}: Split-Brain detected at the handshake (${f.primaries} Primary): ${node(f.newer.host)} changed ${size(f.newer.changes)}, ${node(f.older.host)} ${size(f.older.changes)} since they parted; split-brain handler called`,
  'split-brain-resolved': (f) => p`${f.resource}: split brain resolved (${sbRule(f.policy)}): ${node(f.victim)} discards its ${size(f.changes)} of changes and becomes SyncTarget`,
  'split-brain-unresolved': (f) =>
    p`${f.resource}: Split-Brain detected but unresolved, dropping connection! (${sbUnresolved(f.why, f.writerVictim)}); both nodes StandAlone until an operator discards one side (${code('drbdadm connect --discard-my-data')})`,
  'disk-detached': (f) =>
    f.served !== undefined
      ? p`${f.resource}: local I/O failed on ${f.disk}: detaching (on-io-error detach); ${node(f.host)} stays Primary, Diskless: its reads and writes go to the UpToDate ${node(f.served)}`
      : f.primary === null
      ? p`${f.resource}: local I/O failed on ${f.disk}: detaching (on-io-error detach); ${node(f.host)} is Diskless`
      : p`${f.resource}: local I/O failed on ${f.disk}: ${node(f.host)} detaches it (on-io-error detach) and is Diskless; writes on ${node(f.primary)} only mark the bitmap`,
  'cannot-become-primary': (f) =>
    f.primary === null
      ? p`${f.resource}: ${node(f.host)} cannot become primary (it is not the surviving peer)`
      : p`${f.resource}: ${node(f.host)} cannot become primary: its peer ${node(f.primary)} is Primary and connected (Multiple primaries not allowed by config)`,
  'block-primary': (f) => p`${f.resource}: ${node(f.host)} is primary; the application writes to it`,
  'block-roles-switched': (f) =>
    p`${f.resource}: ${node(f.primary)} is Primary and ${node(f.secondary)} its Secondary, still connected and in sync; the application writes to ${node(f.primary)} after ${duration(f.outage / 1e6)} stopped`,
  'block-role-refused': (f) => p`${code(f.op === 'move' ? `crm resource move ${f.resource} ${f.host}` : `drbdadm ${f.op} ${f.resource}`)}${f.op === 'move' ? '' : p` on ${node(f.host)}`} refused: ${ROLE_REFUSAL[f.why](f)}`,
  'sync-finished': (f) => p`${f.resource}: ${f.full ? 'initial sync' : 'resync'} of ${size(f.bytes)} finished after ${duration(f.after / 1e6)}; ${node(String(f.peer))} is UpToDate`,
  'resync-replication-on': (f) =>
    p`${f.resource}: resync pass ${count(f.passes)} began with ${size(f.began)} out of sync and left ${size(f.left)} written meanwhile, at least half: writes are replicated again for the rest of the resync (resync-without-replication, drbd_sender.c drbd_resync_check_finished)`,
  'ahead-resync': (f) =>
    p`${f.resource}: Ahead → SyncSource, ${node(String(f.peer))} Behind → SyncTarget one second after the data in flight drained: it resyncs the blocks marked while Ahead and is Inconsistent until that ends (rule 8)`,
  congested: (f) =>
    p`${f.resource}: congested (${f.extents ? `${count(f.extents.used)} activity-log extents in use by the ${size(f.inflight)} in flight ≥ congestion-extents ${count(f.extents.congestionExtents)}` : `${size(f.inflight)} in flight ≥ congestion-fill ${size(f.congestionFill)}`}): pull-ahead, Ahead/Behind: writes are only marked in the bitmap (rule 8)`,
  'walb-overflow': (f) =>
    p`${f.resource}: WalB ring buffer (${size(f.ringSize)}) overflowed: unsent logs are overwritten; "reset_wal is required" and a full or hash backup (rule 16)`,
  'block-stall': (f, sub) => p`${f.workload}: writes stall (latency above ${duration(f.threshold)}), ${f.bottleneck}: ${sub(f.cause)}`,
  'block-stall-phase': (f, sub) => p`${f.workload}: the stall goes on, now ${f.bottleneck}: ${sub(f.cause)}`,
};

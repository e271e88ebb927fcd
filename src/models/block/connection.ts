/**
 * A replicated device's connection to its peer over time (DRBD's connection state machine, md's remote leg,
 * WalB's transfer): connecting and its retries, the handshake (split brain found and resolved by after-sb-*, or
 * the bitmaps merged and resynced), a disconnect and what it does with the data in flight, fencing (the
 * fence-peer handler and the I/O frozen meanwhile), and the peer that is still finishing its writes when a
 * connection is torn down (docs/model-drbd.md).
 */
import { NEVER, type Micros } from '../../engine/time.ts';
import type { BlockLossStep, ConnReason } from '../../history/facts/block-why.ts';
import type { FencePeerExit } from '../../history/facts/pacemaker.ts';
import { PRIORITY } from '../postgres/context.ts';
import { AL_EXTENT_SIZE, extentsInUse } from './activity-log.ts';
import { PAGE_SIZE, type BlockResource } from './resource.ts';
import { recoverSplitBrain } from './split-brain.ts';
import { EPS_BYTES, primaryDown, type ResourceFlow } from './state.ts';
import type { BlockWorld } from './world.ts';

/**
 * The link under a connected DRBD resource is cut: the bytes in flight (sent, not yet acknowledged: the rate
 * times the round trip, rule 3) stay in the socket for TCP to retransmit (sk_wmem_queued counts them until
 * they are acknowledged), so the send buffer has no more room than it had, and a later disconnect marks
 * them out of sync with the rest of the transfer log (drbd_req.c tl_clear). Those still on the wire (the
 * last one-way latency of sending) never reach the peer: under protocol A they were acknowledged, so they
 * count with the send path if the primary is lost before they are resent. (The model hands the line's
 * bytes to the peer as it carries them: the ones that had arrived are the peer's, and a resend after a heal
 * delivers them again, as TCP resends from the first unacknowledged byte.)
 */
export function keepUnacknowledged(world: BlockWorld, r: BlockResource, now: Micros): void {
  const f = world.flows.get(r.name);
  if (!f || !(f.x > 0) || !(f.rtt > 0)) return;
  const sendQ = r.sendQ.valueAt(now);
  const size = world.workloadsOf(r)[0]?.spec.size ?? PAGE_SIZE;
  const kept = Math.max(0, Math.min(f.x * f.rtt, r.sendBound(size) - sendQ));
  if (kept <= EPS_BYTES) return;
  r.sendBooks.move(now, kept);
  r.sendQ.set(now, sendQ + kept);
  if (r.drbd?.net.protocol !== 'A') return;
  // What was on the wire, the application's share of what the line carried (the rest is resync replies).
  const appShare = f.appRepl + f.resync > 0 ? f.appRepl / (f.appRepl + f.resync) : 1;
  r.pipeApp.set(now, r.pipeApp.valueAt(now) + (kept / 2) * appShare);
}

export function connect(world: BlockWorld, r: BlockResource, now: Micros): void {
  if (r.secondaryHost === null || world.failedHosts.has(r.secondaryHost) || world.failedHosts.has(r.primaryHost) || world.failedDisks.has(r.primaryDisk) || (r.secondaryDisk !== null && world.failedDisks.has(r.secondaryDisk))) {
    world.log(r.name, r.primaryHost, 'replication', { kind: 'peer-gone', resource: r.name });
    return;
  }
  if (r.conn.kind !== 'StandAlone') return;
  if (!world.pathUp(r) || now < r.peerCleanupUntil) {
    const d = r.drbd;
    if (d) {
      // drbdadm connect: DRBD waits for its peer, trying every connect-int (scheduleAttempt).
      r.conn = { kind: 'Connecting', since: now, reason: { kind: 'peer-unreachable' } };
      world.log(r.name, r.primaryHost, 'replication', { kind: 'waiting-for-peer', resource: r.name, state: d.version >= 9 ? 'Connecting' : 'WFConnection', connectInt: d.net.connectInt });
    } else world.log(r.name, r.primaryHost, 'replication', { kind: 'waiting-for-peer', resource: r.name, state: 'WFConnection', connectInt: null });
    return;
  }
  if (r.neverSynced) {
    if (r.overflowed) {
      // After an overflow the ring is reset (walb-tools reset_wal) and logs again from here; the full scan
      // copies what it had lost (WALB-T term.md). Until now its logs were overwritten, not kept.
      r.overflowed = false;
      world.log(r.name, r.primaryHost, 'replication', { kind: 'walb-ring-reset', resource: r.name });
    }
    // drbdadm primary --force on a fresh pair sets every bit (UG84-C): the initial full sync.
    r.bitmap.setAll(now, r.spec.maxBioSize);
    r.conn = { kind: 'SyncSource', since: now, full: true, startDirty: r.spec.size };
    r.peerDisk = 'Inconsistent';
    world.log(r.name, r.primaryHost, 'replication', { kind: 'full-sync-starts', resource: r.name, size: r.spec.size, label: r.label, peer: r.secondaryHost });
    return;
  }
  const dirty = r.bitmap.dirty(now);
  if (dirty > EPS_BYTES) {
    r.conn = { kind: 'SyncSource', since: now, full: false, startDirty: dirty };
    r.peerDisk = 'Inconsistent';
    world.log(r.name, r.primaryHost, 'replication', { kind: 'resync-starts', resource: r.name, bytes: dirty, peer: r.secondaryHost });
  } else {
    // Nothing to resync: the handshake finds the peer's data current (drbd_receiver.c drbd_sync_handshake).
    r.conn = { kind: 'Connected', since: now };
    r.peerDisk = 'UpToDate';
    world.log(r.name, r.primaryHost, 'replication', { kind: 'connected-in-sync', resource: r.name });
  }
}

export function disconnect(world: BlockWorld, r: BlockResource, now: Micros, reason: ConnReason, network = false): void {
  if (r.conn.kind === 'StandAlone') return;
  // A Diskless Primary loses its data with the connection: judged before the send path is marked and emptied.
  const noData = r.diskless;
  world.losesPeerData(r, now);
  // What was sent but not written on the peer is out of sync: bits are set for it (§3.3).
  // The unacknowledged bytes are the flow's rate times the round trip, within the send buffer (rule 3): DRBD
  // marks every request of its transfer log that the peer had not acknowledged (drbd_req.c tl_clear).
  const f = world.flows.get(r.name);
  const lost = r.sendQ.valueAt(now) + (f && f.x > 0 ? Math.min(r.tcp(1, 0).sndbuf, f.x * f.rtt) : 0);
  r.bitmap.add(now, lost, r.spec.maxBioSize);
  peerCleansUp(world, r, now, f);
  // Protocol B and C had not completed those writes: out of sync, but not acknowledged (ASSUMPTION for B:
  // what the peer had received counts as not acknowledged too).
  if (r.drbd && r.drbd.net.protocol !== 'A') r.unackedDirty += lost;
  else {
    // Protocol A had acknowledged them, before the connection went (not alone: forcePrimary). The writes
    // only the primary holds begin with the oldest of them, the first in the send path (FIFO).
    r.transferLogDirty += lost;
    if (r.dirtySince === null && r.secondaryHost !== null && lost > EPS_BYTES) r.dirtySince = r.ackedTimeOf(Math.max(0, r.acked.valueAt(now) - lost), now);
  }
  emptyPath(world, r, now);
  world.ctx.sim.cancel(r.koTimer);
  r.koTimer = null;
  world.ctx.sim.cancel(r.reqTimer);
  r.reqTimer = null;
  // What the primary knows of its peer's disk once they are apart (drbd_state.c sanitize_state): a resync
  // target stays Inconsistent, a Behind peer Outdated; an UpToDate one becomes DUnknown, until a fencing
  // handler outdates it (fencePeer; drbd_nl.c conn_try_outdate_peer).
  if (r.conn.kind === 'SyncSource' || r.conn.kind === 'Ahead') r.peerDisk = r.conn.kind === 'Ahead' && r.peerDisk !== 'Inconsistent' ? 'Outdated' : 'Inconsistent';
  // A Diskless Primary writes nothing more once apart: its UpToDate peer stays the newest copy (less what its
  // send path held under protocol A: copies.ts peerLacks).
  else if (r.peerDisk !== 'Failed' && !noData) r.peerDisk = 'DUnknown';
  const d = r.drbd;
  // A Primary that disconnects politely from its Secondary, with fencing or quorum on, has it outdate itself
  // (drbd_state.c outdate_on_disconnect, OUTDATE_PEER_DISKS; an Inconsistent one stays so): "If you disconnect
  // all secondary nodes gracefully a single primary continues to operate" (drbdsetup-options.xml quorum).
  if (reason.kind === 'by-plan' && d && (d.net.fencing !== 'dont-care' || d.quorum) && r.transmitting && r.peerDisk === 'DUnknown') r.peerDisk = 'Outdated';
  // A network failure goes through NetworkFailure and Unconnected to WFConnection (8.4) / Connecting (9):
  // DRBD keeps trying every connect-int; an administrative disconnect stays StandAlone (MAN84, UG9).
  const retry = network && d !== null && r.secondaryHost !== null && !world.failedHosts.has(r.secondaryHost);
  r.conn = retry ? { kind: 'Connecting', since: now, reason } : { kind: 'StandAlone', since: now, reason };
  r.fillStart = null;
  world.log(r.name, r.primaryHost, 'replication', { kind: 'block-disconnected', resource: r.name, network, reason, retry: retry ? { state: d!.version >= 9 ? 'Connecting' : 'WFConnection', connectInt: d!.net.connectInt } : null, ...(noData ? { noData: true as const } : {}) });
  // The peer lost (not an administrative disconnect): a fencing policy calls the fence-peer handler.
  if (network && d && d.net.fencing !== 'dont-care' && !primaryDown(world, r)) fencePeer(world, r, now);
  if (retry && peerListens(world, r)) scheduleAttempt(world, r, now);
}

/**
 * fencing: the Primary that lost its peer calls the fence-peer handler, which outdates the peer through
 * the cluster manager (crm-fence-peer: a constraint against promoting it). resource-and-stonith freezes
 * the Primary's I/O until the handler returns (MAN84 fencing; drbd_nl.c drbd_fence_peer / conn_try_outdate_peer).
 */
export function fencePeer(world: BlockWorld, r: BlockResource, now: Micros): void {
  const d = r.drbd!;
  const crm = d.crmFencePeer;
  const until = crm ? NEVER : ((now + d.fencePeerTime) as Micros);
  if (d.net.fencing === 'resource-and-stonith') {
    r.frozen = { since: now, until };
    world.log(r.name, r.primaryHost, 'replication', { kind: 'fencing', resource: r.name, policy: 'resource-and-stonith' });
  } else world.log(r.name, r.primaryHost, 'replication', { kind: 'fencing', resource: r.name, policy: 'resource-only' });
  // crm-fence-peer under Pacemaker returns when the cluster knows the peer's fate (pacemaker/cluster.ts).
  if (crm && world.pacemaker?.fencePeer(r, crm.timeout)) return;
  const after = crm ? crm.timeout : d.fencePeerTime;
  world.ctx.sim.at((now + after) as Micros, `drbd ${r.name} fence-peer returns`, () => {
    const was = resumeAfterFencePeer(world, r);
    world.log(r.name, r.primaryHost, 'replication', { kind: 'fence-peer-returned', resource: r.name, after, peer: r.secondaryHost, resumed: was });
  }, PRIORITY.protocol);
}

/** The fence-peer handler exits (crm-fence-peer under Pacemaker: pacemaker/cluster.ts). */
export function fencePeerReturns(world: BlockWorld, r: BlockResource, exit: FencePeerExit): void {
  const resumed = resumeAfterFencePeer(world, r);
  world.log(r.name, r.primaryHost, 'replication', { kind: 'fence-peer-exit', resource: r.name, peer: r.secondaryHost, exit, resumed, rule: 'crm-fence-peer.9.sh exit codes; drbd_nl.c:conn_try_outdate_peer' });
}

/** The peer is Outdated (for DRBD), frozen I/O resumes; whether it was frozen. */
export function resumeAfterFencePeer(world: BlockWorld, r: BlockResource): boolean {
  // fence-peer exit 4 (or 7, stonithed): the peer's disk is downgraded to Outdated, a state above it lowered,
  // one below (Inconsistent) kept (drbd_nl.c conn_try_outdate_peer, drbd_state.c __downgrade_peer_disk_states).
  if (r.peerDisk === 'UpToDate' || r.peerDisk === 'DUnknown') r.peerDisk = 'Outdated';
  const was = r.frozen !== null;
  // A Primary without quorum stays frozen (quorum-state.ts).
  if (!r.quorumLost) {
    r.frozen = null;
    if (was) r.resumedAt = world.ctx.sim.now;
  }
  world.touched.add(r.name);
  world.requestReflow();
  return was;
}

/**
 * A Primary that crashed (lost power, fenced) boots with its disk while nobody was promoted: DRBD marks the
 * extents of its activity log out of sync when it attaches (drbdmeta apply-al; 8.4 drbd_al_apply_to_bm), and
 * the handshake resyncs them (drbd_receiver.c drbd_uuid_compare, current UUIDs equal). From the crashed
 * Primary to the peer, which is Inconsistent until that ends: 8.4's "common power failure" rule; DRBD 9 since
 * 9.0.31 RULE_CRASHED_PRIMARY, protocols A and B only, whose writes may have completed before the peer had
 * them (commit 9ce678cd3 "Fix resync decisions for crashed primary with protocol A"). DRBD 9 with protocol C
 * resyncs the other way when the peer stayed up and had been connected (its RECONNECT flag, drbd_state.c: set
 * when C_CONNECTED is left): "Peer crashed as primary, I survived, resync from me" (SYNC_SOURCE_IF_BOTH_FAILED,
 * which with both Secondary at the handshake, DRBD coming up before anyone promotes, is the surviving node's
 * SyncSource: strategy_to_repl_state); the writes the crashed node had not completed are reverted, none it had
 * acknowledged is lost (protocol C). Then the crashed node is the Inconsistent one: the survivor, UpToDate, is
 * the one promoted (drbd-utils scripts/drbd.ocf adjust_master_score "0 10 1000 10000": 10 for a node with
 * only remote access to UpToDate data, 1000 or 10000 for the UpToDate one; an operator, ASSUMPTION, does the same), so the roles swap here and the application moves to it. Returns whether they did.
 * Its send buffer died with it: those writes are in the hot extents. The hot extents: al-extents, or fewer
 * when the writes so far touched fewer (activity-log.ts; the log is an LRU of the last extents written).
 * APPROXIMATION: the model has no Primary SyncTarget, so the crashed node is not made Primary while it
 * resyncs (DRBD allows it with an UpToDate peer).
 */
export function crashedPrimaryBack(world: BlockWorld, r: BlockResource, now: Micros): boolean {
  const d = r.drbd;
  if (!d || r.secondaryHost === null) return false;
  const shapes = world.workloadsOf(r).map((w) => w.spec).filter((s) => s.iops * (1 - s.readShare) > 0);
  const hot = Math.min(d.disk.alExtents, extentsInUse(r.acked.valueAt(now), shapes));
  const bytes = Math.min(r.spec.size, hot * AL_EXTENT_SIZE);
  emptyPath(world, r, now);
  const crashed = r.primaryHost;
  const survivor = r.secondaryHost;
  const lostConnected = r.conn.kind === 'StandAlone' && r.conn.reason.kind === 'host-lost' && r.conn.reason.host === crashed && r.peerDisk === 'UpToDate';
  // The survivor's RECONNECT flag (drbd_main.c UUID_FLAG_RECONNECT: it had a connection before) is gone if
  // its host went down too after the crash and booted: a common power failure then (RULE_BOTH_OFF).
  const rebooted = r.peerLost !== null && r.lostPrimary !== null && r.peerLost.at >= r.lostPrimary.at;
  const survivorUp = !world.failedHosts.has(survivor) && r.secondaryDisk !== null && !world.failedDisks.has(r.secondaryDisk) && !rebooted;
  const towardCrashed = d.version >= 9 && d.net.protocol === 'C' && lostConnected && survivorUp;
  // Both ways the crashed node's hot extents are what resyncs (the bitmaps are merged at the handshake).
  if (bytes > EPS_BYTES) r.bitmap.add(now, bytes, r.spec.maxBioSize);
  if (!towardCrashed) return false;
  const disk = r.primaryDisk;
  r.primaryHost = survivor;
  r.primaryDisk = r.secondaryDisk!;
  r.secondaryHost = crashed;
  r.secondaryDisk = disk;
  r.peerDisk = 'DUnknown';
  r.stopped = 'survivor';
  world.log(r.name, survivor, 'replication', { kind: 'crashed-primary-sync-target', resource: r.name, host: crashed, peer: survivor, bytes, rule: 'drbd_receiver.c drbd_uuid_compare: Peer crashed as primary, I survived, resync from me' });
  world.rolesMoved(r);
  return true;
}

/** Whether a connection attempt reaches DRBD on the peer: the line is up, the peer host runs and has torn the last connection down. */
export function peerListens(world: BlockWorld, r: BlockResource): boolean {
  return world.pathUp(r) !== null && r.secondaryHost !== null && !world.failedHosts.has(r.secondaryHost) && world.ctx.sim.now >= r.peerCleanupUntil;
}

/**
 * A DRBD peer whose connection goes (a timeout, ko-count, a disconnect) finishes the writes it had submitted
 * to its disk (its max-buffers pages) before it tears the connection down and listens again (drbd_receiver.c
 * conn_disconnect: wait_event(ee_wait, active_ee_cnt == 0)); what was still in its socket is dropped. A
 * healthy disk does that in milliseconds; a peer whose disk takes seconds a write (the very reason a request
 * timer fired) reconnects only then, and then at once: each side connects as well as accepts.
 * APPROXIMATION: those writes drain at the rate the peer's disk drained its queue at the disconnect.
 */
export function peerCleansUp(world: BlockWorld, r: BlockResource, now: Micros, f: ResourceFlow | undefined): void {
  if (!r.drbd || r.secondaryHost === null || world.failedHosts.has(r.secondaryHost) || !f || !(f.drain > 0)) return;
  // Protocol C's writes at the peer's disk are the ones its acknowledgements wait for (Little's law: the
  // replicated rate times the wait beyond the round trip); otherwise what its queue holds.
  let waiting = 0;
  if (r.drbd.net.protocol === 'C') for (const w of f.work.values()) waiting += w.accepted * Math.max(0, w.repl - f.rtt);
  const atDisk = Math.min(Math.max(r.peerQ.valueAt(now), waiting), r.peerDiskWindow());
  if (atDisk <= EPS_BYTES) return;
  peerCleansUpAt(world, r, now, atDisk, f.drain);
}

/** The peer is done with `bytes` at `rate` (bytes/s): it listens again, and a waiting primary connects at once. */
export function peerCleansUpAt(world: BlockWorld, r: BlockResource, now: Micros, bytes: number, rate: number): void {
  const until = (now + Math.ceil((bytes / rate) * 1e6)) as Micros;
  world.ctx.sim.cancel(r.peerCleanupTimer);
  r.peerCleanupTimer = null;
  if (until <= now) {
    r.peerCleanupUntil = now;
    return;
  }
  r.peerCleanupUntil = until;
  r.peerCleanupRate = rate;
  r.peerCleanupTimer = world.ctx.sim.at(until, `drbd ${r.name} peer done tearing down`, () => {
    r.peerCleanupTimer = null;
    if (r.conn.kind === 'Connecting' && peerListens(world, r)) scheduleAttempt(world, r, world.ctx.sim.now, true);
  }, PRIORITY.protocol);
}

/**
 * The next connection attempt (every connect-int since the connection was lost) finds the peer; `atOnce`:
 * the peer's own attempt now (a node whose DRBD comes up connects at once to a peer that is waiting).
 */
export function scheduleAttempt(world: BlockWorld, r: BlockResource, now: Micros, atOnce = false): void {
  const c = r.conn;
  const d = r.drbd;
  if (c.kind !== 'Connecting' || !d) return;
  if (r.attemptTimer) {
    if (!atOnce) return;
    world.ctx.sim.cancel(r.attemptTimer);
  }
  const k = Math.max(1, Math.ceil((now - c.since) / d.net.connectInt));
  const at = atOnce ? now : ((c.since + k * d.net.connectInt) as Micros);
  r.attemptTimer = world.ctx.sim.at(at, `drbd ${r.name} connect attempt`, () => {
    r.attemptTimer = null;
    const t = world.ctx.sim.now;
    if (r.conn.kind !== 'Connecting') return;
    // The attempt finds nobody: the line is down, or the peer host is off and nothing listens on its port
    // (drbd_receiver.c conn_connect: drbd_transport_connect fails with -EAGAIN and DRBD retries, still
    // Connecting). The next attempt is scheduled when the line or the host comes back (onNetworkChange,
    // power.ts hostBack), at the next connect-int tick.
    if (!peerListens(world, r)) return;
    handshake(world, r, t);
    world.requestReflow();
  }, PRIORITY.protocol);
}

/** The connection is back: a split brain is found and resolved as after-sb-* says, or the bitmaps are merged and resynced. */
export function handshake(world: BlockWorld, r: BlockResource, now: Micros): void {
  const s = r.split;
  if (s && r.secondaryHost === s.oldHost) {
    resolveSplitBrain(world, r, now, s);
    return;
  }
  r.conn = { kind: 'StandAlone', since: now, reason: { kind: 'reconnecting' } };
  world.log(r.name, r.primaryHost, 'replication', { kind: 'peer-answers', resource: r.name });
  connect(world, r, now);
}

/**
 * The old Primary's writes since the split are not on the side the application writes to: recorded lost once
 * (how the split ended: `last`), and the split marked so.
 */
export function splitLoss(world: BlockWorld, r: BlockResource, s: NonNullable<BlockResource['split']>, now: Micros, last: BlockLossStep): void {
  if (s.oldChanges <= EPS_BYTES || s.lossRecorded) return;
  const size = world.workloadsOf(r)[0]?.spec.size ?? PAGE_SIZE;
  world.ctx.history.block.loss({ at: now, resource: r.name, node: s.oldHost, fromAt: s.fromAt, toAt: s.toAt, writes: Math.max(1, Math.round(s.oldChanges / size)), bytes: Math.round(s.oldChanges), fromPos: s.fromPos, toPos: s.toPos, chain: [{ kind: 'loss-split-kept-writing', old: s.oldHost, primary: r.primaryHost }, last] });
  if (r.split === s) r.split = { ...s, lossRecorded: true };
}

export function resolveSplitBrain(world: BlockWorld, r: BlockResource, now: Micros, s: NonNullable<BlockResource['split']>): void {
  const d = r.drbd!;
  const newer = { host: r.primaryHost, primary: true, primaryAtSplit: false, changes: r.bitmap.dirty(now) };
  const older = { host: s.oldHost, primary: r.peerRole === 'Primary', primaryAtSplit: true, changes: s.oldChanges };
  // The node the application writes to cannot give up its role; the other can.
  const o = recoverSplitBrain(d.net, newer, older, (h) => h !== r.primaryHost);
  world.log(r.name, r.primaryHost, 'replication', { kind: 'split-brain', resource: r.name, primaries: [newer, older].filter((x) => x.primary).length, newer: { host: newer.host, changes: newer.changes }, older: { host: older.host, changes: older.changes } });
  if (o.victim === older.host) {
    splitLoss(world, r, s, now, { kind: 'loss-split-resolved', rule: o.rule, old: s.oldHost });
    // Its changed blocks are resynced from the survivor with the survivor's own (the bitmaps are OR-ed).
    r.bitmap.add(now, s.oldChanges, r.spec.maxBioSize);
    r.split = null;
    r.superseded = null;
    r.peerRole = 'Secondary';
    world.endSplit(r.name, s.oldHost, now, 'resolved');
    r.conn = { kind: 'StandAlone', since: now, reason: { kind: 'split-brain-resolved' } };
    world.log(r.name, s.oldHost, 'replication', { kind: 'split-brain-resolved', resource: r.name, policy: o.rule, rule: 'drbd_receiver.c:drbd_asb_recover_0p', victim: s.oldHost, changes: s.oldChanges });
    connect(world, r, now);
    return;
  }
  // No decision, the priLost case, or the writing node as victim (a Primary as SyncTarget is not modelled): both stand alone.
  // A victim here is the Primary the application writes to: replsim does not model it becoming SyncTarget.
  const writerVictim = o.victim !== null;
  // What the old Primary acknowledged alone is on a disk the application no longer uses: the split brain's
  // resolution (an operator's --discard-my-data) discards one side, and the model keeps the side written to.
  splitLoss(world, r, s, now, { kind: 'loss-split-unresolved', rule: o.rule, old: s.oldHost, primary: r.primaryHost });
  r.conn = { kind: 'StandAlone', since: now, reason: { kind: 'split-brain', rule: o.rule, writerVictim } };
  world.log(r.name, r.primaryHost, 'replication', { kind: 'split-brain-unresolved', resource: r.name, why: o.rule, writerVictim });
}

/** The send path and the peer's queue are emptied at once (a disconnect, a failover): their bytes leave the books. */
export function emptyPath(world: BlockWorld, r: BlockResource, now: Micros): void {
  r.sendBooks.move(now, -r.sendQ.valueAt(now));
  r.sendQ.set(now, 0);
  r.peerBooks.move(now, -r.peerQ.valueAt(now));
  r.peerQ.set(now, 0);
  r.pipeApp.set(now, 0);
}

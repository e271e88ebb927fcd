/**
 * Hosts that come back, and the Promoted role stopped and resumed: what a rebooted node's DRBD does. A node
 * boots with DRBD Secondary (the init scripts or Pacemaker bring the resource up, not Primary): the
 * application's writes wait until something promotes the node that holds the newest data (Pacemaker, or at
 * once for a host outside a cluster: ASSUMPTION, an operator's drbdadm primary). A node that comes back
 * after its peer was promoted is the peer's Outdated secondary: it reconnects at the next connect-int and is
 * resynced over what the new primary wrote since; one that had written alone meets a split brain at the
 * handshake instead (world.ts forcePrimary, resolveSplitBrain: after-sb-1pri).
 */
import type { Micros } from '../../engine/time.ts';
import type { ResumeCause } from '../../history/facts/pacemaker.ts';
import { crashedPrimaryCache, oldPrimaryBackAsPeer } from './cache-loss.ts';
import { crashedPrimaryBack, peerListens, scheduleAttempt } from './connection.ts';
import { peerLacks } from './copies.ts';
import type { BlockResource } from './resource.ts';
import { EPS_BYTES } from './state.ts';
import { primaryAgain, type BlockWorld } from './world.ts';

export function hostBack(w: BlockWorld, host: string): void {
  if (!w.failedHosts.has(host)) return;
  w.failedHosts.delete(host);
  w.noteHostOrDisk(host);
  w.poweredOff.delete(host);
  const now = w.ctx.sim.now;
  const managed = (r: BlockResource) => w.pacemaker?.manages(r) ?? false;
  for (const r of w.resources.values()) {
    const side = r.spec.primary.host === host ? r.spec.primary : r.spec.secondary.host === host ? r.spec.secondary : null;
    if (!side || w.failedDisks.has(side.disk)) continue;
    // Back with its disk: writes only it held were unavailable while it was down, not lost.
    w.returnsWithNewest(r, host);
    if (r.primaryHost === host) {
      // Still the node with the newest data (nobody was promoted meanwhile): Secondary until promoted again.
      r.stopped = 'rebooted';
      // DRBD 9 protocol C with the peer up: the crashed node is the SyncTarget, the peer the node to promote (world.ts).
      crashedPrimaryCache(w, r, crashedPrimaryBack(w, r, now), now);
      w.log(r.name, host, 'replication', { kind: 'host-back-primary', resource: r.name, host, managed: managed(r) });
      if (!managed(r)) resume(w, r, { kind: 'operator' });
    } else {
      if (r.secondaryHost === null) {
        // The peer was promoted while this node was down: it is the new primary's secondary now.
        r.secondaryHost = host;
        r.secondaryDisk = side.disk;
        const since = r.promotedPos ?? r.acked.valueAt(now);
        const w0 = w.workloadsOf(r)[0]?.spec;
        const written = Math.min(r.acked.valueAt(now) - since, w0?.workingSet ?? r.spec.size);
        // An old Primary that wrote alone meets a split brain at the handshake instead (world.ts
        // resolveSplitBrain): its own changes are added only if after-sb-1pri discards them.
        const split = r.split !== null && r.split.oldHost === host;
        const dirty = Math.min(r.spec.size, written + (split ? 0 : r.divergedBytes));
        // ASSUMPTION: the blocks written since the promotion are as many as the bytes (capped by the working set);
        // a diverged old primary (writes it acknowledged that the new one lacks) is resynced over them too, as
        // after a split brain resolved against it (DRBD would find the split brain at the handshake: see docs/model-drbd.md).
        if (dirty > 0) r.bitmap.add(now, dirty, r.spec.maxBioSize);
        r.divergedBytes = 0;
        oldPrimaryBackAsPeer(r, host);
      }
      if (r.secondaryHost !== host) continue;
      // Down while UpToDate with nothing acknowledged since (both hosts lost at once): it still has every
      // write (copies.ts downPeerHolds), Consistent until a handshake; else an older image, Outdated.
      const p = r.peerLost;
      const holds = p !== null && p.disk === 'UpToDate' && p.lacks <= EPS_BYTES && r.acked.valueAt(now) - p.acked <= EPS_BYTES && peerLacks(r, now) === 0;
      r.peerDisk = holds ? 'UpToDate' : 'Outdated';
      r.peerRole = 'Secondary';
      const diverged = r.split !== null && r.split.oldHost === host ? { diverged: r.split.oldChanges } : {};
      w.log(r.name, host, 'replication', { kind: 'host-back-peer', resource: r.name, host, outOfSync: r.bitmap.dirty(now), primary: r.primaryHost, ...diverged, ...(holds ? { current: true as const } : {}) });
    }
    // A survivor still Connecting (its peer went off while it waited) listens: the booted node's DRBD, coming
    // up, connects to it at once (drbd_transport_tcp: each side connects and accepts). One that stood alone
    // is made to wait for its peer again (ASSUMPTION: an operator's or the cluster's drbdadm connect), and
    // connects at its next connect-int attempt.
    const waiting = r.conn.kind === 'Connecting';
    // Nobody to connect to while the primary's host is down (its own return connects them), nor anything to
    // resync from a primary without a disk. APPROXIMATION: a Diskless Primary would connect and reach the
    // data again; its application, which got I/O errors, is taken to stay down.
    if (w.failedHosts.has(r.primaryHost) || w.failedDisks.has(r.primaryDisk)) {
      w.touched.add(r.name);
      continue;
    }
    if (r.drbd && r.secondaryHost !== null && r.conn.kind === 'StandAlone') r.conn = { kind: 'Connecting', since: now, reason: { kind: 'host-back', host } };
    if (r.drbd && r.conn.kind === 'Connecting' && peerListens(w, r)) scheduleAttempt(w, r, now, waiting);
    w.touched.add(r.name);
  }
  w.requestReflow();
}

/** The Promoted role runs again where it was: the application's writes go on. */
export function resume(w: BlockWorld, r: BlockResource, cause: ResumeCause): void {
  const now = w.ctx.sim.now;
  const first = r.stopped === 'survivor';
  r.stopped = null;
  // Its disk held every write it acknowledged: nothing it wrote is lost by its return.
  r.lostPrimary = null;
  for (const wl of w.workloadsOf(r)) {
    if (!wl.outage) continue;
    w.ctx.history.setWriteStatus({ cluster: r.name, workload: wl.spec.name }, now, null, primaryAgain(r));
    wl.outage = false;
    w.noteStateMoved(r.name);
  }
  w.log(r.name, r.primaryHost, 'promote', { kind: 'promoted-again', resource: r.name, host: r.primaryHost, cause, ...(first ? { first } : {}) });
  if (r.drbd && r.secondaryHost !== null && r.conn.kind === 'StandAlone' && !w.failedHosts.has(r.secondaryHost)) {
    r.conn = { kind: 'Connecting', since: now, reason: { kind: 'promoted-again' } };
    if (peerListens(w, r)) scheduleAttempt(w, r, now);
  }
  w.touched.add(r.name);
  w.requestReflow();
}

/** The promoted instance stops (no-quorum-policy stop or demote): writes fail until it runs again. */
export function stopPromoted(w: BlockWorld, r: BlockResource, policy: string): void {
  const now = w.ctx.sim.now as Micros;
  r.stopped = 'no-quorum';
  r.frozen = null;
  w.log(r.name, r.primaryHost, 'failover', { kind: 'demoted-no-quorum', resource: r.name, host: r.primaryHost, policy, rule: 'pacemaker: no-quorum-policy stop/demote' });
  for (const wl of w.workloadsOf(r)) w.setOutage(wl, r, now, { kind: 'no-quorum-stop', policy, host: r.primaryHost });
  w.touched.add(r.name);
  w.requestReflow();
}

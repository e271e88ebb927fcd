/**
 * A planned DRBD switchover: `drbdadm secondary` on the Primary (after the application stopped and closed the
 * device), then `drbdadm primary` on its peer. The rules (drbd-8.4 and drbd-9 drbd_nl.c drbd_set_role,
 * drbd_state.c is_valid_soft_transition):
 * - a Primary whose device is open cannot be demoted (SS_DEVICE_IN_USE): the step stands for the runbook's
 *   "stop the application, unmount, drbdadm secondary", so the application's writes stop there;
 * - the demoted node keeps sending what it had queued: its new role reaches the peer as a P_STATE packet on the
 *   data socket (8.4 drbd_send_state) or a two-phase commit on the data stream (9 conn_send_twopc_request),
 *   behind those bytes, so until they have been read the peer still sees it Primary, and `drbdadm primary`
 *   there fails with SS_TWO_PRIMARIES after one retry ping-timeout later (8.4: (ping-timeout + 1) tenths of
 *   a second; 9: ping-timeout);
 * - the peer must be UpToDate (SS_NO_UP_TO_DATE_DISK: a SyncTarget is Inconsistent);
 * - promoted while connected, with everything received, the two are in sync: the roles swap and nothing
 *   resyncs.
 * A peer that cannot reach the demoted node is promoted as a forced promotion would be (world.ts
 * forcePrimary, without --force it still needs UpToDate data): what the old node wrote while they were apart
 * is found at the handshake (after-sb-1pri), else it resyncs what the new Primary wrote.
 * Not modelled: the time drbdadm itself takes; dual-primary (allow-two-primaries). A resource Pacemaker manages
 * refuses both steps (Pacemaker would promote it back): its own move (`move`, crm resource move / pcs resource
 * move --promoted) places a location constraint for the Promoted role, and the transition demotes the Primary
 * (the application, colocated and ordered after the promote, stopped first), then promotes the other node once
 * the demote has completed (pacemakerMove, clusterPromote). The promote action (drbd-utils scripts/drbd.ocf
 * drbd_promote) runs `drbdadm primary` and, while it fails, sleeps a second and tries again until the operation
 * times out: the same SS_TWO_PRIMARIES refusals while the demotion travels behind the queued data, but retried
 * by the agent, so the application is back once that data has arrived (within a second and one drbd_set_role
 * retry). APPROXIMATIONS: the promote operation's timeout is not modelled (a drain longer than it would fail
 * the promote and start Pacemaker's recovery); the constraint stays and moves nothing else; the cluster is taken
 * to be quorate with a DC.
 */
import type { Micros } from '../../engine/time.ts';
import { PRIORITY } from '../postgres/context.ts';
import type { BlockRoleRefusal } from '../../history/facts/block.ts';
import { promotesStale } from './cache-loss.ts';
import { disconnect } from './connection.ts';
import { quorumOf } from './quorum-state.ts';
import type { BlockResource } from './resource.ts';
import { EPS_BYTES, primaryDown } from './state.ts';
import type { BlockWorld } from './world.ts';

/** Bytes the primary wrote that its peer's receiver has not read yet: its send path, the line, the peer's receive buffer. */
export function unread(r: BlockResource, now: Micros): number {
  return Math.max(0, r.sendQ.valueAt(now), r.pipeApp.valueAt(now) - Math.min(r.peerQ.valueAt(now), r.peerDiskWindow()));
}

/**
 * Whether the peer's own disk is UpToDate: as the primary sees it, or DUnknown after a disconnect from UpToDate
 * (the peer keeps its state; fencing would have made it Outdated, a resync Inconsistent).
 */
function upToDate(r: BlockResource): boolean {
  return r.peerDisk === 'UpToDate' || r.peerDisk === 'DUnknown';
}

/**
 * Why `drbdadm primary` on the peer is refused for its disk: SS_NO_UP_TO_DATE_DISK, unless it is the SyncTarget of
 * a connected UpToDate node, which DRBD accepts (8.4 drbd_state.c is_valid_state: "role == R_PRIMARY && disk <
 * D_UP_TO_DATE && pdsk < D_UP_TO_DATE"; 9 drbd_data_accessible) and replsim does not model (`sync-target`).
 */
function diskRefusal(r: BlockResource): BlockRoleRefusal {
  return r.peerDisk === 'Inconsistent' && r.transmitting && r.conn.kind === 'SyncSource' ? 'sync-target' : 'no-up-to-date-disk';
}

/** drbdadm secondary on the primary host (`cluster`: Pacemaker's demote action): null when it was demoted, else why not. */
export function demote(w: BlockWorld, r: BlockResource, now: Micros, cluster = false): BlockRoleRefusal | null {
  if (!r.drbd) return 'not-drbd';
  if (!cluster && w.pacemaker?.manages(r)) return 'pacemaker';
  if (r.demoted) return 'already-secondary';
  if (primaryDown(w, r)) return 'host-down';
  r.demoted = { at: now };
  for (const wl of w.workloadsOf(r)) {
    // APPROXIMATION: the writes still waiting for room in a full send path (at most queue_depth of them, never
    // acknowledged) are dropped with the application; a clean stop would wait for them to enter the path.
    const b = wl.backlog.valueAt(now);
    if (b > 0) {
      wl.backlogBooks.move(now, -b);
      wl.backlog.set(now, 0);
    }
    wl.backlogCause = null;
    w.setOutage(wl, r, now, { kind: 'block-demoted', resource: r.name, host: r.primaryHost });
  }
  w.rolesMoved(r);
  return null;
}

/**
 * crm resource move `r` to `host`: the Primary is demoted by the cluster (null), or why not. The promotion follows
 * (clusterPromote) once the demote has completed: at once, drbdadm secondary returning as soon as the state
 * changed (it does not wait for the queued data).
 */
export function pacemakerMove(w: BlockWorld, r: BlockResource, host: string, now: Micros): BlockRoleRefusal | null {
  if (!r.drbd) return 'not-drbd';
  if (!w.pacemaker?.manages(r)) return 'not-managed';
  if (host === r.primaryHost) return r.demoted ? 'already-secondary' : 'already-primary';
  if (host !== r.secondaryHost || w.failedHosts.has(host) || r.secondaryDisk === null || w.failedDisks.has(r.secondaryDisk)) return 'host-down';
  // ASSUMPTION: a target without UpToDate data is refused up front (its agent's drbdadm primary exits 17,
  // "Refusing to be promoted to Primary without access to UpToDate data", and the promote fails).
  if (!upToDate(r)) return diskRefusal(r);
  if (quorumOf(w, r, host)?.have === false) return 'no-quorum';
  return demote(w, r, now, true);
}

/** Pacemaker's promote action on `host` (drbd.ocf drbd_promote): drbdadm primary, then every second again while it is refused. */
export function clusterPromote(w: BlockWorld, r: BlockResource, host: string, now: Micros): void {
  makePrimary(w, r, host, now, (t) =>
    w.ctx.sim.at((t + AGENT_RETRY) as Micros, `pacemaker promote ${r.name} on ${host}`, () => {
      if (r.demoted && r.secondaryHost === host) clusterPromote(w, r, host, w.ctx.sim.now);
      w.requestReflow();
    }, PRIORITY.protocol),
  );
}

/** drbd.ocf drbd_promote: `sleep 1` between attempts. */
const AGENT_RETRY = 1_000_000;

/**
 * drbdadm primary (no --force) on `host`: a refusal is logged; a promotion that must wait for the retry is decided
 * then. `again`: Pacemaker's promote action, which tries again while the peer's demotion has not arrived
 * (SS_TWO_PRIMARIES), called with the time of the refusal.
 */
export function makePrimary(w: BlockWorld, r: BlockResource, host: string, now: Micros, again?: (t: Micros) => void): void {
  const refuse = (why: BlockRoleRefusal, inFlight?: number) =>
    w.log(r.name, host, 'fatal', { kind: 'block-role-refused', resource: r.name, host, op: 'primary', why, ...(inFlight !== undefined ? { inFlight: Math.round(inFlight) } : {}) });
  const d = r.drbd;
  if (!d) return refuse('not-drbd');
  if (!again && w.pacemaker?.manages(r)) return refuse('pacemaker');
  if (w.failedHosts.has(host)) return refuse('host-down');
  if (host === r.primaryHost) {
    if (!r.demoted) return refuse('already-primary');
    // Promoted again where it was (the switchover called off): the application starts there again.
    if (primaryDown(w, r)) return refuse('host-down');
    r.demoted = null;
    w.endOutages(r, now);
    w.log(r.name, host, 'promote', { kind: 'block-primary', resource: r.name, host });
    w.rolesMoved(r);
    return;
  }
  if (host !== r.secondaryHost || r.secondaryDisk === null || w.failedDisks.has(r.secondaryDisk)) return refuse('host-down');
  if (r.peerRole === 'Primary') return refuse('already-primary');
  if (!upToDate(r)) return refuse(diskRefusal(r));
  // Without --force, no promotion without quorum (drbd_state.c SS_NO_QUORUM).
  if (quorumOf(w, r, host)?.have === false) return refuse('no-quorum');
  if (!r.transmitting) {
    if (!r.demoted && r.conn.kind !== 'StandAlone' && r.conn.kind !== 'Connecting') return refuse('two-primaries');
    w.promoteApart(r, host, now);
    return;
  }
  if (!r.demoted) return refuse('two-primaries');
  if (unread(r, now) <= EPS_BYTES) return switchRoles(w, r, host, now);
  // SS_TWO_PRIMARIES: drbd_set_role sleeps a ping-timeout (8.4: one tenth of a second more) and tries once more.
  const retry = d.net.pingTimeout + (d.version < 9 ? 100_000 : 0);
  w.ctx.sim.at((now + retry) as Micros, `drbd ${r.name} primary retry`, () => {
    const t = w.ctx.sim.now;
    const left = unread(r, t);
    if (!r.demoted || host !== r.secondaryHost || w.failedHosts.has(host)) return refuse('host-down');
    if (!upToDate(r)) refuse(diskRefusal(r));
    else if (quorumOf(w, r, host)?.have === false) refuse('no-quorum');
    else if (r.transmitting && left <= EPS_BYTES) switchRoles(w, r, host, t);
    else if (!r.transmitting) w.promoteApart(r, host, t);
    else {
      refuse('two-primaries', left);
      again?.(t);
    }
    w.requestReflow();
  }, PRIORITY.protocol);
}

/** Connected, in sync, the old Primary demoted: the roles swap; the application now writes to `host`. */
function switchRoles(w: BlockWorld, r: BlockResource, host: string, now: Micros): void {
  const old = r.primaryHost;
  const oldDisk = r.primaryDisk;
  const stopped = r.demoted ? now - r.demoted.at : 0;
  // Blocks its volatile cache lost at a power loss, unmarked, are older on `host`: the application reads them now.
  promotesStale(w, r, host, now);
  r.primaryHost = host;
  r.primaryDisk = r.secondaryDisk!;
  r.secondaryHost = old;
  r.secondaryDisk = oldDisk;
  r.demoted = null;
  w.clearPath(r, now);
  w.endOutages(r, now);
  w.log(r.name, host, 'promote', { kind: 'block-roles-switched', resource: r.name, primary: host, secondary: old, outage: stopped });
  if (r.diskless) {
    // The old Primary was Diskless (world.ts goesDiskless): a Secondary without a disk now, no copy; the new
    // Primary's writes only mark the bitmap (as for a peer whose disk failed, world.ts failDisk).
    r.diskless = false;
    disconnect(w, r, now, { kind: 'disk-failed', disk: oldDisk, host: null });
    r.peerDisk = 'Failed';
  }
  w.rolesMoved(r);
}

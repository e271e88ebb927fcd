/**
 * DRBD 9's quorum applied to a resource (quorum.ts for the rule): each diskful node's view of its peers, the
 * Primary's I/O frozen or failed while it has no quorum, and promotions refused without it.
 */
import { NEVER, type Micros } from '../../engine/time.ts';
import { calcQuorum, type QuorumPeer } from './quorum.ts';
import type { BlockResource } from './resource.ts';
import { primaryDown } from './state.ts';
import type { BlockWorld } from './world.ts';

/** Whether the network connects `a` and `b` and both run (a connection to a diskless node). */
function reaches(w: BlockWorld, a: string, b: string): boolean {
  if (w.failedHosts.has(a) || w.failedHosts.has(b)) return false;
  const x = { name: a, site: w.siteOf(a) };
  const y = { name: b, site: w.siteOf(b) };
  return w.ctx.net.path(x, y) !== null && w.ctx.net.reachable(x, y);
}

/** `host`'s quorum now (it must be one of the resource's diskful nodes). */
export function quorumOf(w: BlockWorld, r: BlockResource, host: string): ReturnType<typeof calcQuorum> | null {
  const q = r.drbd?.quorum;
  if (!q) return null;
  const diskful = [r.spec.primary.host, r.spec.secondary.host];
  const isPrimary = host === r.primaryHost;
  const peers: QuorumPeer[] = diskful
    .filter((h) => h !== host)
    .map((h) => {
      const current = isPrimary ? h === r.secondaryHost : h === r.primaryHost;
      if (!current) return { diskful: true, connected: false, upToDate: false, outdated: r.forcedOutdate };
      // The Primary sees its peer's disk state (a graceful disconnect outdated it: world.ts disconnect); the peer
      // sees the Primary's disk, UpToDate while it runs.
      if (isPrimary) return { diskful: true, connected: r.transmitting, upToDate: r.peerDisk === 'UpToDate', outdated: r.peerDisk === 'Outdated' || r.forcedOutdate };
      return { diskful: true, connected: r.transmitting, upToDate: !primaryDown(w, r), outdated: false };
    });
  for (const t of r.spec.diskless ?? []) peers.push({ diskful: false, connected: reaches(w, host, t), upToDate: false, outdated: false });
  // The peer's own disk: DUnknown is how the Primary sees an UpToDate peer it cannot reach.
  const selfUpToDate = isPrimary ? !r.diskless : r.peerDisk === 'UpToDate' || r.peerDisk === 'DUnknown';
  return calcQuorum(q.setting, selfUpToDate, peers, r.quorumHad.get(host) ?? true);
}

/**
 * The resource's nodes judge their quorum again (a reflow: something changed); the Primary's I/O stops or resumes
 * with it. Returns whether its state changed. ASSUMPTION: every node had quorum at the start (a running cluster).
 */
export function checkQuorum(w: BlockWorld, r: BlockResource, now: Micros): boolean {
  const q = r.drbd?.quorum;
  if (!q) return false;
  if (r.transmitting) r.forcedOutdate = false;
  const views = [r.primaryHost, ...(r.secondaryHost !== null ? [r.secondaryHost] : [])].map((h) => [h, quorumOf(w, r, h)!] as const);
  for (const [h, v] of views) r.quorumHad.set(h, v.have);
  const p = views[0]![1];
  const running = !primaryDown(w, r) && r.stopped === null;
  if (!p.have && running && r.quorumLost === null) {
    r.quorumLost = { since: now, host: r.primaryHost, policy: q.onNoQuorum };
    w.log(r.name, r.primaryHost, 'replication', { kind: 'quorum-lost', resource: r.name, host: r.primaryHost, policy: q.onNoQuorum, visible: p.visible, voters: p.voters, at: p.at });
    if (q.onNoQuorum === 'suspend-io') r.frozen = { since: now, until: NEVER };
    else for (const wl of w.workloadsOf(r)) w.setOutage(wl, r, now, { kind: 'drbd-no-quorum', resource: r.name, host: r.primaryHost });
    return true;
  }
  const lost = r.quorumLost;
  if (lost && (p.have || lost.host !== r.primaryHost || !running)) {
    r.quorumLost = null;
    if (lost.policy === 'suspend-io' && r.frozen?.until === NEVER) r.frozen = null;
    if (lost.host !== r.primaryHost || !running) return true;
    w.log(r.name, r.primaryHost, 'replication', { kind: 'quorum-regained', resource: r.name, host: r.primaryHost, tiebreaker: p.tiebreaker });
    // APPROXIMATION: with io-error the application takes its writes up again once the device has quorum.
    if (lost.policy === 'io-error') w.endOutages(r, now);
    return true;
  }
  return false;
}

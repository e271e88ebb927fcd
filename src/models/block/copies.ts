/**
 * Where a replicated device's newest data is: the disks that hold every write the device acknowledged. The
 * primary's disk does while it works; the peer's while it is UpToDate (DRBD's disk state: connected and in
 * sync, drbd_main.c / drbd_state.c); an Outdated peer holds a consistent older image, an Inconsistent one
 * (a resync target) no usable image. Losing every disk that holds the newest data is data loss, whatever
 * happens next: a forced promotion of an older copy makes it primary without those writes.
 */
import type { Micros } from '../../engine/time.ts';
import type { BlockCopiesSample } from '../../history/block.ts';
import type { BlockCopy } from '../../history/facts/chains.ts';
import type { BlockResource, CacheLoss } from './resource.ts';
import { EPS_BYTES } from './state.ts';

export interface Failures {
  readonly failedHosts: ReadonlySet<string>;
  readonly failedDisks: ReadonlySet<string>;
  /** Of failedHosts, those only powered off (a fence device): their disks are intact. */
  readonly poweredOff?: ReadonlySet<string>;
}

/**
 * Acknowledged bytes an UpToDate peer lacks: those a lost primary held only in its send path (protocol A,
 * md write-behind and WalB acknowledge before the peer has the data; B and C lose none there). UpToDate is
 * DRBD's state of the peer's disk as of what it received, not a promise that it has every acknowledged write.
 */
export function peerLacks(r: BlockResource, at: Micros): number {
  const lost = r.lostPrimary;
  // A lost primary's record counts the stale writes of the moment (world.ts assessLoss).
  if (lost !== null) return lost.lostBytes > EPS_BYTES ? lost.lostBytes : 0;
  return staleBytes(r.peerStale, r, at);
}

/**
 * Of the writes a power loss took from a disk's volatile cache (write-cache.ts), those no later write has
 * replaced: every write since to the same blocks (replicated, or marked and resynced) mends one, so under uniform
 * placement over the working set (ASSUMPTION, as the bitmap's) a fraction e^(−written / working set) remain.
 */
export function staleBytes(c: CacheLoss | null, r: BlockResource, at: Micros): number {
  if (c === null) return 0;
  const left = c.bytes * Math.exp(-Math.max(0, r.acked.valueAt(at) - c.acked) / c.workingSet);
  return left > EPS_BYTES ? left : 0;
}

/**
 * A secondary whose host went down while its copy was UpToDate, and nothing was acknowledged since: its disk
 * still holds every acknowledged write (a crash or power loss takes RAM, not what the disk completed: under
 * protocol C the peer acknowledged each write once on its disk, under B once received, and its receiver
 * finishes what it took in before the connection goes, drbd_receiver.c drbd_disconnected). Both hosts of a
 * pair lost at once leave two such disks, not none, less what their volatile write caches lost (write-cache.ts:
 * BlockResource.peerStale and primaryCacheLost).
 */
function downPeerHolds(r: BlockResource, f: Failures, at: Micros): boolean {
  const p = r.peerLost;
  // The primary down too (its host or disk): it acknowledges nothing more. While it runs it writes on alone.
  const primaryStopped = f.failedHosts.has(r.primaryHost) || f.failedDisks.has(r.primaryDisk);
  return p !== null && r.secondaryHost !== null && f.failedHosts.has(r.secondaryHost) && primaryStopped && p.disk === 'UpToDate' && p.lacks <= EPS_BYTES && r.acked.valueAt(at) - p.acked <= EPS_BYTES;
}

/** The hosts whose disks hold every acknowledged write, running or down. */
export function holders(r: BlockResource, f: Failures, at: Micros): string[] {
  if (r.superseded) return [...r.superseded];
  const out: string[] = [];
  if (!f.failedDisks.has(r.primaryDisk)) out.push(r.primaryHost);
  const peerHas = r.peerDisk === 'UpToDate' || downPeerHolds(r, f, at);
  if (r.secondaryHost !== null && r.secondaryDisk !== null && peerHas && peerLacks(r, at) === 0 && !f.failedDisks.has(r.secondaryDisk)) out.push(r.secondaryHost);
  return out;
}

/** One host's copy, as a fact for the cause chain. */
function describe(r: BlockResource, host: string, f: Failures, at: Micros): BlockCopy {
  const primary = host === r.primaryHost;
  const disk = primary ? r.primaryDisk : r.secondaryDisk;
  const down: BlockCopy['down'] = f.poweredOff?.has(host) ? { kind: 'powered-off' } : f.failedHosts.has(host) ? { kind: 'host-lost' } : disk !== null && f.failedDisks.has(disk) ? { kind: 'disk-failed', disk } : null;
  const lacks = primary ? 0 : peerLacks(r, at);
  // A down peer's copy as it was when its host went: UpToDate with every write acknowledged since (downPeerHolds).
  const peerDisk = !primary && downPeerHolds(r, f, at) ? r.peerLost!.disk : r.peerDisk;
  const state: BlockCopy['state'] = primary ? { kind: 'primary' } : lacks > 0 && peerDisk === 'UpToDate' ? { kind: 'lacks', bytes: lacks, primary: r.primaryHost } : { kind: 'peer', disk: peerDisk };
  return { host, state, down };
}

export function copiesSample(r: BlockResource, f: Failures, at: Micros): BlockCopiesSample {
  const hs = holders(r, f, at);
  const running = hs.filter((h) => !f.failedHosts.has(h));
  const down = hs.filter((h) => f.failedHosts.has(h));
  const off = down.filter((h) => f.poweredOff?.has(h) ?? false);
  const hosts = [r.primaryHost, ...(r.secondaryHost !== null && r.secondaryHost !== r.primaryHost ? [r.secondaryHost] : [])];
  const why: BlockCopiesSample['why'] = r.superseded ? { kind: 'superseded', primary: r.primaryHost, holders: [...r.superseded] } : { kind: 'copies', copies: hosts.map((h) => describe(r, h, f, at)) };
  return { at, resource: r.name, running, down, ...(off.length > 0 ? { off } : {}), superseded: r.superseded !== null, why };
}

/** A running peer with a consistent, older image (DRBD Outdated): what a forced promotion would keep. */
export function consistentSurvivor(r: BlockResource, f: Failures): string | null {
  if (r.secondaryHost === null || r.secondaryDisk === null) return null;
  if (f.failedHosts.has(r.secondaryHost) || f.failedDisks.has(r.secondaryDisk)) return null;
  // DUnknown: parted from an UpToDate state without being outdated by a fencing handler: consistent too.
  return r.peerDisk === 'Outdated' || r.peerDisk === 'UpToDate' || r.peerDisk === 'DUnknown' ? r.secondaryHost : null;
}

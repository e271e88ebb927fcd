/**
 * DRBD 9's quorum (drbd_state.c calc_quorum, __calc_quorum_with_disk, calc_quorum_at): a node may be promoted,
 * and a Primary's writes go on, only while its partition has quorum. Voters are the diskful nodes: the node
 * itself, each connected peer (UpToDate or present), each unconnected one (unknown; outdated when it is known
 * Outdated). When no absent node is unknown (all are Outdated), they leave the voters: a partition then always
 * has quorum. An intentionally diskless node (a tiebreaker) is no voter: with an even number of voters, one vote
 * short, a node that had quorum keeps it while it is connected to a majority of the diskless nodes ("Would lose
 * quorum, but using tiebreaker logic to keep"). A Primary that loses quorum freezes its I/O (on-no-quorum
 * suspend-io, the default) or fails it (io-error) until quorum returns (drbdsetup-options.xml quorum,
 * on-no-quorum); `drbdadm primary` without quorum fails (SS_NO_QUORUM), `--force` outdates the unreachable
 * peers and promotes (drbd_nl.c drbd_set_role: CS_FP_OUTDATE_PEERS).
 * APPROXIMATIONS: quorum-minimum-redundancy off; the "quorumless" peers (known to lack quorum themselves) are
 * counted as unknown; a connection to a diskless node is up while its host runs and the network reaches it
 * (its loss noticed at once, where DRBD notices after ping-int + ping-timeout at most).
 */

export type QuorumSetting = 'majority' | 'all' | number;

export interface QuorumPeer {
  readonly diskful: boolean;
  readonly connected: boolean;
  readonly upToDate: boolean;
  /** Known Outdated (fenced, or parted from as a resync target stays Inconsistent: not Outdated). */
  readonly outdated: boolean;
}

/** calc_quorum_at: the votes needed among `voters`. */
export function quorumAt(setting: QuorumSetting, voters: number): number {
  return setting === 'majority' ? Math.floor(voters / 2) + 1 : setting === 'all' ? voters : setting;
}

/** A diskful node's quorum (its own disk UpToDate or not), given its peers and whether it had quorum before. */
export function calcQuorum(setting: QuorumSetting, selfUpToDate: boolean, peers: readonly QuorumPeer[], had: boolean): { have: boolean; voters: number; visible: number; at: number; tiebreaker: boolean } {
  let upToDate = selfUpToDate ? 1 : 0;
  let present = selfUpToDate ? 0 : 1;
  let outdated = 0;
  let unknown = 0;
  let diskless = 0;
  let missingDiskless = 0;
  for (const p of peers) {
    if (!p.diskful) {
      if (p.connected) diskless++;
      else missingDiskless++;
    } else if (!p.connected) {
      if (p.outdated) outdated++;
      else unknown++;
    } else if (p.upToDate) upToDate++;
    else present++;
  }
  const voters = unknown > 0 ? outdated + unknown + upToDate + present : upToDate + present;
  const at = quorumAt(setting, voters);
  const visible = upToDate + present;
  const have = visible >= at;
  const tiebreaker = !have && voters !== 0 && voters % 2 === 0 && visible === at - 1 && diskless >= quorumAt('majority', diskless + missingDiskless) && had;
  return { have: have || tiebreaker, voters, visible, at, tiebreaker };
}

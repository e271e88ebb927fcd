/**
 * Patroni's quorum commit (synchronous_mode: quorum, Patroni 4.0+): patroni/quorum.py QuorumStateResolver, ported
 * step for step. Two "ANY n OF set" pairs are kept: synchronous_standby_names (`numsync` of `sync`: who must
 * acknowledge a commit) and the /sync key (`quorum` of `voters`: how many voters a candidate must see not ahead
 * of it in the leader race). Any set that can acknowledge a commit must meet any set that can elect a leader:
 * |voters ∪ sync ∪ {leader}| <= quorum + numsync + 1. The resolver yields the steps from the current state to
 * sync = voters = active, numsync = min(synchronous_node_count, |active|), quorum = |active| - numsync, ordered
 * so that the invariant holds after each: an increase of numsync or quorum first, a decrease last.
 */

export interface QuorumInput {
  /** /sync leader, quorum and voters (sync_standby). */
  readonly leader: string;
  readonly quorum: number;
  readonly voters: readonly string[];
  /** synchronous_standby_names: its num and names. */
  readonly numsync: number;
  readonly sync: readonly string[];
  /** Standbys named in synchronous_standby_names seen to reach the primary's flush LSN of the change (sync.py). */
  readonly numsyncConfirmed: number;
  /** Standbys streaming from the primary that may be named (sync.py current_state). */
  readonly active: readonly string[];
  /** synchronous_node_count. */
  readonly syncWanted: number;
  /** This node: the leader /sync should name. */
  readonly leaderWanted: string;
}

export type QuorumTransition =
  | { readonly kind: 'quorum'; readonly leader: string; readonly num: number; readonly names: readonly string[] }
  | { readonly kind: 'sync'; readonly leader: string; readonly num: number; readonly names: readonly string[] }
  | { readonly kind: 'restart' };

class QuorumError extends Error {}

type S = ReadonlySet<string>;
const set = (xs: Iterable<string>): Set<string> => new Set(xs);
const union = (a: Iterable<string>, b: Iterable<string>): Set<string> => new Set([...a, ...b]);
const minus = (a: S, b: S): Set<string> => new Set([...a].filter((x) => !b.has(x)));
const inter = (a: S, b: S): Set<string> => new Set([...a].filter((x) => b.has(x)));
const subset = (a: S, b: S): boolean => [...a].every((x) => b.has(x));
const equal = (a: S, b: S): boolean => a.size === b.size && subset(a, b);
/** Python's `a < b` on sets: a proper subset. */
const proper = (a: S, b: S): boolean => a.size < b.size && subset(a, b);
const sorted = (a: S): string[] => [...a].sort();

/** quorum.py QuorumStateResolver: the transitions, two of the same kind in a row merged (only the last kept). */
export function quorumTransitions(input: QuorumInput): QuorumTransition[] {
  let all: QuorumTransition[];
  try {
    all = new Resolver(input).generate();
  } catch (e) {
    // ha.py _process_quorum_replication builds the whole list first: an error raised on the way (QuorumError, the
    // AssertionError of a broken state) leaves this loop without any change (the next loop looks again).
    if (e instanceof QuorumError) return [];
    throw e;
  }
  const out: QuorumTransition[] = [];
  for (let i = 0; i < all.length; i++) {
    const next = all[i + 1];
    if (next !== undefined && next.kind === all[i]!.kind) continue;
    out.push(all[i]!);
    if (all[i]!.kind === 'restart') break;
  }
  return out;
}

class Resolver {
  private leader: string;
  private quorum: number;
  private voters: Set<string>;
  private numsync: number;
  private sync: Set<string>;
  private numsyncConfirmed: number;
  private readonly active: Set<string>;
  private readonly syncWanted: number;
  private readonly leaderWanted: string;
  private readonly out: QuorumTransition[] = [];

  constructor(i: QuorumInput) {
    this.leader = i.leader;
    this.quorum = i.quorum;
    this.voters = set(i.voters);
    // numsync can't be bigger than the number of listed synchronous nodes.
    this.numsync = Math.min(i.numsync, i.sync.length);
    this.sync = set(i.sync);
    this.numsyncConfirmed = i.numsyncConfirmed;
    this.active = set(i.active);
    this.syncWanted = i.syncWanted;
    this.leaderWanted = i.leaderWanted;
  }

  private checkInvariants(): void {
    const voters = union(this.voters, [this.leader]);
    const sync = union(this.sync, [this.leaderWanted]);
    if (this.voters.size > 0 && !(union(voters, sync).size <= this.quorum + this.numsync + 1)) throw new QuorumError('quorum and sync not guaranteed to overlap');
    if (!(subset(voters, sync) || subset(sync, voters))) throw new QuorumError('mismatched sets');
  }

  private quorumUpdate(quorum: number, voters: Set<string>, leader: string | null = null, adjustQuorum = true): void {
    if (quorum < 0) throw new QuorumError('quorum < 0');
    if (quorum > 0 && quorum >= voters.size) throw new QuorumError('quorum >= N');
    const oldLeader = this.leader;
    if (leader !== null) this.leader = leader;
    else if (this.numsyncConfirmed === 0 && this.voters.size === 0) {
      // No node known to have caught up with the primary: reset quorum/voters in /sync.
      quorum = 0;
      voters = set([]);
    } else if (adjustQuorum) {
      // Fewer nodes known to have caught up than numsync: a larger quorum so that the race still finds one.
      quorum += Math.max(this.numsync - this.numsyncConfirmed, 0);
    }
    if (this.leader === oldLeader && quorum === this.quorum && equal(voters, this.voters)) {
      if (this.voters.size > 0) return;
      // No change: the caller fetches the state again and restarts the resolver.
      this.out.push({ kind: 'restart' });
    }
    this.quorum = quorum;
    this.voters = voters;
    this.checkInvariants();
    this.out.push({ kind: 'quorum', leader: this.leader, num: this.quorum, names: sorted(this.voters) });
  }

  private syncUpdate(numsync: number, sync: Set<string>): void {
    if (numsync < 0) throw new QuorumError('sync < 0');
    if (numsync > sync.size) throw new QuorumError('sync > N');
    this.numsync = numsync;
    this.sync = sync;
    this.checkInvariants();
    this.out.push({ kind: 'sync', leader: this.leader, num: this.numsync, names: sorted(this.sync) });
  }

  generate(): QuorumTransition[] {
    try {
      if (this.leaderWanted !== this.leader) {
        // A failover: the former leader joins the voters, this node leaves them.
        const voters = union(minus(this.voters, set([this.leaderWanted])), set([this.leader]));
        if (this.sync.size === 0) this.syncUpdate(voters.size - this.quorum, voters);
        this.quorumUpdate(this.quorum, voters, this.leaderWanted);
        // Right after a promotion there may be no replication connections yet: another loop_wait for them.
        if (inter(this.sync, this.active).size === 0) return this.out;
      } else this.checkInvariants();
    } catch (e) {
      if (!(e instanceof QuorumError)) throw e;
      this.quorumUpdate(this.sync.size - this.numsync, set(this.sync));
    }
    if (this.leader !== this.leaderWanted) throw new QuorumError('leader is not the leader wanted (an assert)');
    // numsync_confirmed may be 0 after a restart or failover: taken from the quorum.
    if (this.numsyncConfirmed === 0 && inter(this.sync, this.active).size > 0) {
      this.numsyncConfirmed = Math.min(inter(this.sync, this.active).size, this.voters.size - this.quorum);
    }
    this.nonSteady();
    this.removeGone();
    this.addNew();
    this.replicationFactor();
    return this.out;
  }

  /** __handle_non_steady_cases: a transition left halfway. */
  private nonSteady(): void {
    if (proper(this.sync, this.voters)) {
      // Case 1: in the middle of changing voters.
      const removeFromVoters = minus(this.voters, union(this.sync, this.active));
      if (removeFromVoters.size > 0) {
        this.quorumUpdate(this.voters.size - removeFromVoters.size - this.numsync, minus(this.voters, removeFromVoters), null, minus(this.sync, this.active).size === 0);
      }
      const addToSync = minus(inter(this.voters, this.active), this.sync);
      if (addToSync.size > 0) this.syncUpdate(this.numsync, union(this.sync, addToSync));
    } else if (proper(this.voters, this.sync)) {
      // Case 2: in the middle of changing the replication factor.
      let removeFromSync = minus(this.sync, this.active);
      const sync = minus(this.sync, removeFromSync);
      if (removeFromSync.size > 0 && sync.size > 0 && (this.voters.size === 0 || inter(sync, this.voters).size > 0)) {
        this.syncUpdate(Math.min(this.numsync, this.sync.size - removeFromSync.size), sync);
      }
      const addToVoters = inter(minus(this.sync, this.voters), this.active);
      if (addToVoters.size > 0) {
        const voters = union(this.voters, addToVoters);
        this.quorumUpdate(voters.size - this.numsync, voters);
      }
      removeFromSync = minus(this.sync, this.voters);
      if (removeFromSync.size > 0) this.syncUpdate(Math.min(this.numsync, this.sync.size - removeFromSync.size), minus(this.sync, removeFromSync));
    }
    if (!equal(this.voters, this.sync)) throw new QuorumError('voters and sync must match after the non-steady cases (an assert)');
    let margin = this.quorum + Math.min(this.numsync, this.numsyncConfirmed) - union(this.voters, this.sync).size;
    if (margin > 0) {
      if (this.numsync > this.syncWanted) this.syncUpdate(Math.max(this.syncWanted, this.voters.size - this.quorum), set(this.sync)); // Case 3
      else this.quorumUpdate(this.sync.size - this.numsync, set(this.voters)); // Case 4
    } else {
      margin = this.quorum + this.numsync - union(this.voters, this.sync).size;
      if (this.numsync === this.syncWanted && margin > 0 && this.numsync > this.numsyncConfirmed) this.quorumUpdate(this.sync.size - this.numsync, set(this.voters));
    }
  }

  /** __remove_gone_nodes. */
  private removeGone(): void {
    let toRemove = minus(this.sync, this.active);
    if (toRemove.size > 0 && equal(this.sync, toRemove)) {
      this.quorumUpdate(0, set([]), null, false);
      this.syncUpdate(0, set([]));
    } else if (toRemove.size > 0) {
      const canReduceQuorumBy = this.quorum;
      if (canReduceQuorumBy > 0) {
        const remove = set([...toRemove].sort().reverse().slice(0, canReduceQuorumBy));
        const sync = minus(this.sync, remove);
        // Removing nodes from sync: numsync may safely go up if requested.
        this.syncUpdate(Math.min(this.syncWanted > this.numsync ? this.syncWanted : this.numsync, sync.size), sync);
        const voters = minus(this.voters, remove);
        toRemove = inter(toRemove, this.sync);
        this.quorumUpdate(voters.size - this.numsync, voters, null, toRemove.size === 0);
      }
      if (toRemove.size > 0) {
        if (this.quorum !== 0) throw new QuorumError('quorum is not 0 (an assert)');
        const numsync = this.numsync - toRemove.size;
        const sync = minus(this.sync, toRemove);
        const voters = minus(this.voters, toRemove);
        const syncDecrease = numsync - Math.min(this.syncWanted, sync.size);
        const quorum = syncDecrease ? Math.min(syncDecrease, voters.size - 1) : 0;
        this.quorumUpdate(quorum, voters, null, false);
        this.syncUpdate(numsync, sync);
      }
    }
  }

  /** __add_new_nodes: first to the wanted replication factor, then the rest to voters before sync. */
  private addNew(): void {
    let toAdd = minus(this.active, this.sync);
    if (toAdd.size === 0) return;
    const syncWanted = Math.min(this.syncWanted, union(this.sync, toAdd).size);
    let increase = syncWanted - this.numsync;
    if (increase > 0) {
      let add: Set<string>;
      if (this.sync.size > 0) {
        add = set(sorted(toAdd).slice(0, increase));
        increase = add.size;
      } else add = toAdd; // only the leader: every node may be added at once
      this.syncUpdate(this.numsync + increase, union(this.sync, add));
      const voters = union(this.voters, add);
      this.quorumUpdate(voters.size - syncWanted, voters);
      toAdd = minus(toAdd, this.sync);
    }
    if (toAdd.size > 0) {
      const voters = union(this.voters, toAdd);
      this.quorumUpdate(voters.size - syncWanted, voters, null, syncWanted > this.numsyncConfirmed);
      this.syncUpdate(syncWanted, union(this.sync, toAdd));
    }
  }

  /** __handle_replication_factor_change: synchronous_node_count changed. */
  private replicationFactor(): void {
    const increase = Math.min(this.syncWanted, this.sync.size) - this.numsync;
    if (increase > 0) {
      this.syncUpdate(this.numsync + increase, set(this.sync));
      this.quorumUpdate(this.voters.size - this.numsync, set(this.voters));
    } else if (increase < 0) {
      if (this.quorum - increase < this.voters.size) this.quorumUpdate(this.voters.size - this.numsync - increase, set(this.voters), null, this.syncWanted > this.numsyncConfirmed);
      this.syncUpdate(this.numsync + increase, set(this.sync));
    }
  }
}

/**
 * A Raft group of members placed at sites, as far as a failover needs it (etcd 3.6 docs op-guide/failures
 * and configuration; hashicorp/raft config.go for Orchestrator): a leader needs a majority (⌊n/2⌋+1) of
 * members it can exchange messages with; one that loses it steps down an election timeout later
 * (CheckQuorum); a member that can reach a majority is elected after a randomized election timeout (1 to 2
 * times the timeout, from a seeded stream). Used by the DCS (dcs.ts) and the Orchestrator-like managers
 * (orchestrator.ts).
 */
import type { Micros } from '../../engine/time.ts';
import type { EventHandle } from '../../engine/simulation.ts';
import type { Endpoint } from '../network/network.ts';
import type { Fact } from '../../history/facts/index.ts';
import type { RaftRole } from '../../history/facts/managers.ts';
import { PRIORITY, type WorldContext } from '../postgres/context.ts';

export class RaftGroup {
  readonly members: { readonly name: string; readonly endpoint: Endpoint }[];
  /** The leader (a member index), or null. */
  leader: number | null = null;
  term = 0;
  private election: EventHandle | null = null;
  private stepDown: EventHandle | null = null;

  constructor(
    private readonly ctx: WorldContext,
    members: readonly { readonly name: string; readonly site: string }[],
    private readonly electionTimeout: Micros,
    /** Names the group in events and in its random stream. */
    private readonly label: string,
    /** The cluster its events belong to. */
    private readonly cluster: string,
    /** What the group is: a Patroni cluster's DCS or Orchestrator's own Raft. */
    private readonly role: RaftRole,
    /** Called when a leader is elected (not at the start). */
    private readonly onElected: () => void,
  ) {
    this.members = members.map((m) => ({ name: m.name, endpoint: { name: m.name, site: m.site } }));
  }

  get quorum(): number {
    return Math.floor(this.members.length / 2) + 1;
  }

  private reach(i: number, j: number): boolean {
    return i === j || this.ctx.net.reachable(this.members[i]!.endpoint, this.members[j]!.endpoint);
  }

  /** Members `i` can exchange messages with, itself included. */
  peers(i: number): number[] {
    return this.members.map((_, j) => j).filter((j) => this.reach(i, j));
  }

  /** A member that can reach a majority (the first in order with the most peers), or null. */
  private candidate(): number | null {
    let best: number | null = null;
    for (let i = 0; i < this.members.length; i++) {
      const n = this.peers(i).length;
      if (n >= this.quorum && (best === null || n > this.peers(best).length)) best = i;
    }
    return best;
  }

  /** The members that can reach a majority at the start elect one of them at once. */
  start(): void {
    this.leader = this.candidate();
    if (this.leader !== null) this.term = 1;
  }

  /** Whether there is a leader with its majority now. */
  get available(): boolean {
    return this.leader !== null && this.peers(this.leader).length >= this.quorum;
  }

  /** Whether member `i` is in the leader's majority (it sees every committed write). */
  inQuorum(i: number): boolean {
    return this.available && this.reach(i, this.leader!);
  }

  get leaderName(): string | null {
    return this.leader === null ? null : this.members[this.leader]!.name;
  }

  /** The network changed: the leader may lose its majority (it steps down an election timeout later), an election may start. */
  onNetworkChange(): void {
    const sim = this.ctx.sim;
    const et = this.electionTimeout;
    if (this.leader !== null && !this.available) {
      this.stepDown ??= sim.after(et, `${this.label} leader steps down`, () => {
        this.stepDown = null;
        if (this.leader !== null && !this.available) {
          this.event({ kind: 'raft-leader-stepped-down', cluster: this.cluster, group: this.role, member: this.members[this.leader]!.name });
          this.leader = null;
          this.onNetworkChange();
        }
      }, PRIORITY.protocol);
    } else {
      sim.cancel(this.stepDown);
      this.stepDown = null;
    }
    if (this.leader === null && !this.election && this.candidate() !== null) {
      const delay = Math.round(et * (1 + this.ctx.random.stream(`raft/${this.label}/election`).next())) as Micros;
      this.election = sim.after(delay, `${this.label} election`, () => this.elect(), PRIORITY.protocol);
    }
  }

  private elect(): void {
    this.election = null;
    const c = this.candidate();
    if (c === null || this.leader !== null) return;
    this.leader = c;
    this.term++;
    this.event({ kind: 'raft-leader-elected', cluster: this.cluster, group: this.role, member: this.members[c]!.name, term: this.term, peers: this.peers(c).length, members: this.members.length });
    this.onElected();
  }

  private event(fact: Fact): void {
    this.ctx.history.event(this.ctx.sim.now, this.cluster, null, 'failover', fact);
  }
}

/**
 * The DCS a Patroni cluster keeps its leader key in: members placed at sites that form a Raft group (etcd
 * v3; Consul's servers and a ZooKeeper ensemble have the same shape, with the differences below), and the
 * keys Patroni uses: `leader` (held by a lease), `status` (the leader's last_lsn and timeline), `sync` and
 * `failsafe` (../shared/domain/managers.md §1.2, §2).
 *
 * Raft (etcd 3.6 docs, op-guide/failures): a leader needs a majority (⌊n/2⌋+1) of members it can exchange
 * messages with; one that loses it steps down after an election timeout (CheckQuorum), and a member that
 * can reach a majority is elected after one randomized election timeout (1 to 2 times
 * `--election-timeout`, 1 s by default). Writes, lease keep-alives and grants need the elected leader with
 * its majority; a member cut off from it keeps serving serializable (stale) reads. Leases expire on the
 * leader `ttl` after their last keep-alive; while there is no leader nothing expires, and a new leader
 * extends every lease by its TTL (etcd lessor.Promote).
 * - Consul: Patroni's session TTL is ttl/2, and Consul keeps a session up to twice its TTL, so the key
 *   lives up to `ttl` after the last renewal (modelled as exactly that); reads use the `default`
 *   consistency, served by the leader, so a server without quorum fails them.
 * - ZooKeeper: the leader key is an ephemeral node of the client's session (timeout = ttl); the client's
 *   pings keep the session alive while it reaches a server of the quorum (not once per Patroni loop), and a
 *   server without quorum answers neither reads nor writes.
 *
 * A request's answer comes after the time the client spends on failing endpoints (retry_timeout / members
 * per attempt, Patroni etcd.py _calculate_timeouts). When no member works, Patroni retries it until
 * retry_timeout after it was sent (etcd.py _run_and_handle_exceptions with Retry(deadline=retry_timeout);
 * consul.py and zookeeper.py retry the same way): `send` keeps it pending and it succeeds as soon as a member
 * works again within that time (a partition healed, a member restarted, a Raft leader elected), else it fails
 * at the deadline. Approximations: a retry is decided when the network changes, at once (real: at the next
 * attempt or TCP retransmission, up to a second or two later); a request that works is decided when it is
 * sent, from the network as it is then.
 *
 * Packet loss between a client and a member (`packet_loss`) delays an attempt by TCP's retransmissions of
 * its request and answer (health.ts withRetransmissions, on the connection Patroni keeps open): one longer
 * than the per-attempt timeout fails and the client moves to the next member. Approximations: the
 * reconnection after such a timeout (a SYN, 1 s RTO) and loss between the members themselves are not
 * modelled.
 */
import type { Micros } from '../../engine/time.ts';
import type { EventHandle } from '../../engine/simulation.ts';
import type { DcsSpec } from '../../scenario/types-managers.ts';
import type { Endpoint } from '../network/network.ts';
import { PRIORITY, type WorldContext } from '../postgres/context.ts';
import type { Fact } from '../../history/facts/index.ts';
import type { ManagersFact } from '../../history/facts/managers.ts';
import type { Lsn } from '../postgres/lsn.ts';
import { RaftGroup } from './raft.ts';
import { KeyedStreams } from '../../engine/random.ts';
import { withRetransmissions } from './health.ts';

/** The keys of one Patroni cluster (one immutable value per committed write: a stale member keeps an old one). */
export interface DcsState {
  readonly revision: number;
  readonly leader: string | null;
  /** /status: the leader's WAL position and timeline at its last successful cycle. */
  readonly lastLsn: Lsn;
  readonly timeline: number;
  /** /sync: null until synchronous mode is enabled. */
  /** `standbys`: sync_standby (the voters in quorum mode); `quorum`: synchronous_mode quorum only (dcs/__init__.py SyncState). */
  readonly sync: { readonly leader: string; readonly standbys: readonly string[]; readonly quorum?: number } | null;
  /** /failsafe: the members the leader may ask when the DCS is unreachable (failsafe_mode). */
  readonly failsafe: readonly string[] | null;
  /**
   * /status `slots` (use_slots): the leader's member slots by name with their restart_lsn, and its own name with
   * its WAL position (postgresql/__init__.py Postgresql.slots): where every member keeps its copy of each slot.
   */
  readonly slots: Readonly<Record<string, Lsn>> | null;
  /** /failover: a switchover asked for (patronictl switchover: api.py writes it), until the leader acts on it or cleans it up. */
  readonly failover: { readonly leader: string | null; readonly candidate: string | null } | null;
  /** /config `pause` (maintenance mode: patronictl pause, or the configuration's pause: true). */
  readonly paused: boolean;
}

export type DcsResult<T> = { readonly ok: true; readonly value: T; readonly delay: Micros } | { readonly ok: false; readonly delay: Micros; readonly why: Fact };

/** A client of the DCS: a Patroni process (its host's endpoint) and the member it talks to. */
export interface DcsClient {
  readonly name: string;
  readonly endpoint: Endpoint;
  member: number;
  /** Called when the leader key changes and the change reaches the client's member. */
  readonly onLeaderChange: () => void;
}

interface Lease {
  readonly owner: string;
  readonly client: DcsClient;
  expiresAt: Micros;
  expiry: EventHandle | null;
  /** ZooKeeper: whether the owner's session reached the quorum at the last network change (its pings kept it alive until then). */
  working: boolean;
}

export class Dcs {
  private readonly raft: RaftGroup;
  /** What each member would answer a serializable read with (a member cut off from the leader keeps an old state). */
  private readonly views: DcsState[];
  private state: DcsState = { revision: 1, leader: null, lastLsn: 0, timeline: 1, sync: null, failsafe: null, slots: null, failover: null, paused: false };
  private lease: Lease | null = null;
  private readonly clients: DcsClient[] = [];
  /** Requests that found no working member and are retried until their deadline (send). */
  private readonly pending = new Set<{ readonly retry: () => boolean; readonly deadline: EventHandle }>();
  private retryCheck: EventHandle | null = null;
  /** Each client's draws of packet losses (its own stream: another client's requests do not move it). */
  private readonly lossRandom: KeyedStreams<DcsClient>;
  /**
   * The member keys (/members/NAME): each agent's, attached to its own lease of `ttl` (etcd3.py touch_member →
   * refresh_lease; Consul and ZooKeeper: its session), refreshed at every HA cycle that reaches the DCS
   * (ha.py _run_cycle → touch_member), with the state it reported (is_running). Gone `ttl` after the last
   * refresh; a new Raft leader extends them as it does the leader key's lease.
   */
  private readonly memberKeys = new Map<string, { refreshed: Micros; running: boolean }>();

  constructor(
    private readonly ctx: WorldContext,
    readonly spec: DcsSpec,
    private readonly cluster: string,
    private readonly ttl: Micros,
    private readonly retryTimeout: Micros,
  ) {
    this.raft = new RaftGroup(ctx, spec.members, spec.electionTimeout, `DCS of ${cluster}`, cluster, 'dcs', () => {
      // A new leader extends every lease by its TTL (etcd lessor.Promote; Consul resets session TTLs).
      if (this.lease) this.renew(this.lease);
      for (const m of this.memberKeys.values()) m.refreshed = this.ctx.sim.now;
      this.propagate();
      this.retryPending();
    });
    this.views = spec.members.map(() => this.state);
    this.lossRandom = new KeyedStreams(ctx.random, (cl: DcsClient) => `dcs/${cluster}/${cl.name}`);
  }

  private get members(): RaftGroup['members'] {
    return this.raft.members;
  }

  /** The Raft leader is elected at the start by the members that can reach a majority (at once). */
  start(initialLeader: string, timeline: number, lastLsn: Lsn, sync: DcsState['sync'] = null, running: (name: string) => boolean = () => true, paused = false): void {
    this.raft.start();
    // Every agent has been running: its member key is there at the start.
    for (const cl of this.clients) this.memberKeys.set(cl.name, { refreshed: this.ctx.sim.now, running: running(cl.name) });
    this.state = { ...this.state, revision: this.state.revision + 1, leader: initialLeader, timeline, lastLsn, sync, paused };
    const owner = this.clients.find((x) => x.name === initialLeader);
    if (owner) this.grant(owner);
    this.propagate();
  }

  register(client: DcsClient): void {
    this.clients.push(client);
  }

  /** ha.py touch_member: the agent's member key is refreshed with its PostgreSQL's state (a write: it needs the quorum). */
  touch(cl: DcsClient, running: boolean): DcsResult<void> {
    return this.write(cl, () => void this.memberKeys.set(cl.name, { refreshed: this.ctx.sim.now, running }));
  }

  /** The member key of `name` as the DCS has it now (null: gone, its lease expired), for the leader's sync choice and slots. */
  member(name: string): { readonly running: boolean } | null {
    const m = this.memberKeys.get(name);
    if (!m) return null;
    // Nothing expires while there is no Raft leader (the next one extends the leases).
    return !this.available || m.refreshed + this.ttl > this.ctx.sim.now ? m : null;
  }

  private reach(a: Endpoint, b: Endpoint): boolean {
    return this.ctx.net.reachable(a, b);
  }

  /** Whether there is a Raft leader with its majority now (what writes and expiries need). */
  get available(): boolean {
    return this.raft.available;
  }

  /** The network changed: Raft may step down or elect; ZooKeeper sessions are renewed by pings. */
  onNetworkChange(): void {
    this.raft.onNetworkChange();
    if (this.available) this.propagate();
    this.retryPending();
    // ZooKeeper sessions are kept alive by the client's pings while it reaches the quorum: one that did until
    // now was alive until now.
    if (this.spec.kind === 'zookeeper' && this.lease) {
      if (this.lease.working) this.renew(this.lease);
      this.lease.working = this.clientWorks(this.lease.client, true);
    }
  }

  /** Members connected to the leader get the current state. */
  private propagate(): void {
    if (!this.available) return;
    this.views.forEach((v, i) => {
      if (this.raft.inQuorum(i) && v !== this.state) this.views[i] = this.state;
    });
  }

  private commit(patch: Partial<Omit<DcsState, 'revision'>>): void {
    const leaderChanged = patch.leader !== undefined && patch.leader !== this.state.leader;
    this.state = { ...this.state, ...patch, revision: this.state.revision + 1 };
    this.propagate();
    if (leaderChanged) {
      // Watches fire on the members that saw the change (Patroni's loop wakes: ha.py watch, etcd3.py KVCache).
      for (const cl of this.clients) if (this.clientWorks(cl, true)) cl.onLeaderChange();
    }
  }

  private event(fact: Fact): void {
    this.ctx.history.event(this.ctx.sim.now, this.cluster, null, 'failover', fact);
  }

  /** Whether the client reaches its member and, when `quorum`, that member is in the leader's majority. */
  private clientWorks(cl: DcsClient, quorum: boolean): boolean {
    const m = this.members[cl.member]!;
    return this.reach(cl.endpoint, m.endpoint) && (!quorum || this.raft.inQuorum(cl.member));
  }

  /**
   * The member the client ends up using and the time it spent on failing ones (retry_timeout / members per
   * attempt) and on retransmissions, or, when none works, the members it reached whose attempts timed out.
   */
  private route(cl: DcsClient, quorum: boolean): { ok: true; delay: Micros } | { ok: false; timedOut: string[] } {
    const perAttempt = this.perAttempt();
    const timedOut: string[] = [];
    let delay = 0;
    for (let k = 0; k < this.members.length; k++) {
      if (this.clientWorks(cl, quorum)) {
        const lost = this.retransmissions(cl, perAttempt);
        if (lost !== null) return { ok: true, delay: (delay + lost) as Micros };
        timedOut.push(this.members[cl.member]!.name);
      }
      delay += perAttempt;
      cl.member = (cl.member + 1) % this.members.length;
    }
    return { ok: false, timedOut };
  }

  private perAttempt(): number {
    return Math.round(this.retryTimeout / this.members.length);
  }

  /**
   * A request as Patroni's Retry(deadline=retry_timeout) makes it: `op` (one of the requests below) is tried
   * now and, while it finds no working member, again at each change that may make one work; `done` gets the
   * answer when it arrives (its `delay` counted from the send), or the failure at the deadline.
   */
  send<T>(cl: DcsClient, op: () => DcsResult<T>, done: (r: DcsResult<T>) => void): void {
    const sim = this.ctx.sim;
    const sent = sim.now;
    const answer = (r: DcsResult<T>) => {
      const at = sim.now + r.delay;
      const total = (at - sent) as Micros;
      if (r.delay <= 0) done({ ...r, delay: total });
      else sim.at(at as Micros, `dcs ${this.cluster} answer to ${cl.name}`, () => done({ ...r, delay: total }), PRIORITY.manager);
    };
    const first = op();
    if (first.ok) return answer(first);
    let why = first.why;
    const entry = {
      retry: (): boolean => {
        const r = op();
        if (!r.ok) {
          why = r.why;
          return false;
        }
        // An answer past the deadline comes too late: the client gave up (a write may have been applied all
        // the same, as a request that reached etcd after Patroni's timeout is).
        if (sim.now + r.delay > sent + this.retryTimeout) return false;
        sim.cancel(entry.deadline);
        this.pending.delete(entry);
        answer(r);
        return true;
      },
      deadline: sim.at((sent + this.retryTimeout) as Micros, `dcs ${this.cluster} request of ${cl.name} gives up`, () => {
        this.pending.delete(entry);
        done({ ok: false, delay: this.retryTimeout, why });
      }, PRIORITY.manager),
    };
    this.pending.add(entry);
  }

  /** After a change that may make a member work (network, Raft election): the pending requests are tried again, once the change is complete. */
  private retryPending(): void {
    if (this.pending.size === 0 || this.retryCheck) return;
    this.retryCheck = this.ctx.sim.at(this.ctx.sim.now, `dcs ${this.cluster} retries`, () => {
      this.retryCheck = null;
      for (const p of [...this.pending]) p.retry();
    }, PRIORITY.manager);
  }

  /** The time TCP spends resending the attempt's lost request and answer, or null past the per-attempt timeout. */
  private retransmissions(cl: DcsClient, limit: number): number | null {
    const m = this.members[cl.member]!;
    const p = this.ctx.net.loss(cl.endpoint, m.endpoint);
    if (p <= 0) return 0;
    const rtt = 2 * (this.ctx.net.path(cl.endpoint, m.endpoint)?.latency ?? 0);
    const t = withRetransmissions(0, p, 2, false, rtt, limit, this.lossRandom.get(cl));
    return t > limit ? null : t;
  }

  private fail<T>(why: Fact): DcsResult<T> {
    return { ok: false, delay: this.retryTimeout, why };
  }

  /** Why a request needing the quorum fails now: no member reachable, no Raft leader, or cut off from it. */
  private unavailable(cl: DcsClient, timedOut: readonly string[]): Fact {
    const reachable = this.members.filter((m) => this.reach(cl.endpoint, m.endpoint)).map((m) => m.name);
    return { kind: 'dcs-unreachable', client: cl.name, reachable, members: this.placed(), noLeader: this.available ? null : { quorum: this.raft.quorum }, timedOut, perAttempt: this.perAttempt() };
  }

  private placed(): { name: string; site: string }[] {
    return this.members.map((m) => ({ name: m.name, site: m.endpoint.site }));
  }

  /** Patroni's get_cluster: a serializable read (etcd: any member, maybe stale; Consul, ZooKeeper: the quorum). */
  read(cl: DcsClient): DcsResult<DcsState> {
    const r = this.route(cl, this.spec.kind !== 'etcd3');
    if (!r.ok) return this.fail(this.unavailable(cl, r.timedOut));
    return { ok: true, value: this.views[cl.member]!, delay: r.delay };
  }

  /** A write that needs the quorum: the result and the time it took. */
  private write<T>(cl: DcsClient, apply: () => T): DcsResult<T> {
    const r = this.route(cl, true);
    if (!r.ok) return this.fail(this.unavailable(cl, r.timedOut));
    return { ok: true, value: apply(), delay: r.delay };
  }

  /** attempt_to_acquire_leader: create the leader key if absent, with a new lease of `ttl`. */
  acquire(cl: DcsClient): DcsResult<boolean> {
    return this.write(cl, () => {
      if (this.state.leader !== null) return false;
      this.grant(cl);
      this.commit({ leader: cl.name });
      return true;
    });
  }

  /** update_leader: keep the lease alive; if it expired, put the key back only if it is still ours or absent. */
  keepAlive(cl: DcsClient): DcsResult<boolean> {
    return this.write(cl, () => {
      if (this.state.leader === cl.name && this.lease?.owner === cl.name) {
        this.renew(this.lease);
        return true;
      }
      if (this.state.leader !== null && this.state.leader !== cl.name) return false;
      this.grant(cl);
      this.commit({ leader: cl.name });
      return true;
    });
  }

  /** ha.py release_leader_key_voluntarily → _delete_leader: the key is deleted if it is still ours (a compare-and-delete). */
  release(cl: DcsClient): DcsResult<boolean> {
    return this.write(cl, () => {
      if (this.state.leader !== cl.name) return false;
      this.ctx.sim.cancel(this.lease?.expiry);
      this.lease = null;
      this.commit({ leader: null });
      return true;
    });
  }

  /** The leader's other keys: /status, /sync, /failsafe. */
  update(cl: DcsClient, patch: Partial<Pick<DcsState, 'lastLsn' | 'timeline' | 'sync' | 'failsafe' | 'slots' | 'failover' | 'paused'>>): DcsResult<void> {
    return this.write(cl, () => this.commit(patch));
  }

  /** The leader key's holder as the DCS has it now (patronictl reads it), or null. */
  leaderName(): string | null {
    return this.state.leader;
  }

  /** /config pause as the DCS has it now (patronictl reads it). */
  paused(): boolean {
    return this.state.paused;
  }

  /** /sync as the DCS has it now. */
  syncState(): DcsState['sync'] {
    return this.state.sync;
  }

  /** The leader key's remaining lifetime as the DCS has it (for messages), or null. */
  leaseExpiry(): Micros | null {
    return this.lease?.expiresAt ?? null;
  }

  private grant(cl: DcsClient): void {
    this.ctx.sim.cancel(this.lease?.expiry);
    this.lease = { owner: cl.name, client: cl, expiresAt: 0 as Micros, expiry: null, working: true };
    this.renew(this.lease);
  }

  private renew(l: Lease): void {
    this.ctx.sim.cancel(l.expiry);
    l.expiresAt = (this.ctx.sim.now + this.ttl) as Micros;
    l.expiry = this.ctx.sim.at(l.expiresAt, `dcs ${this.cluster} lease expiry`, () => this.expire(l), PRIORITY.protocol);
  }

  /** The lease's TTL ran out: the leader revokes it and the key goes, if there is a leader with its majority. */
  private expire(l: Lease): void {
    l.expiry = null;
    if (this.lease !== l) return;
    if (this.spec.kind === 'zookeeper' && this.clientWorks(l.client, true)) return this.renew(l);
    // Without a leader nothing expires; the next leader extends the lease (elect).
    if (!this.available) return;
    this.lease = null;
    if (this.state.leader === l.owner) {
      this.event({ kind: 'leader-key-expired', cluster: this.cluster, owner: l.owner, ttl: this.ttl });
      this.commit({ leader: null });
    }
  }

  /** What a Patroni agent racing for the key saw of the DCS: its kind, members and Raft leader. */
  view(): Pick<Extract<ManagersFact, { kind: 'leader-key-gone' }>, 'dcs' | 'members' | 'raftLeader'> {
    return { dcs: this.spec.kind, members: this.placed(), raftLeader: this.available ? this.raft.leaderName : null };
  }

  memberNames(): string[] {
    return this.members.map((m) => m.name);
  }
}

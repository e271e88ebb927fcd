/**
 * How a pool's stall or outage ended (history.ts WriteEnder): when its interval closes, what changed since it
 * began, read from the model's state at that instant, never from the scenario's script. The first that
 * applies: the clients routed elsewhere; writes failing (the outage's cause); an operator's end of the waits;
 * for a wait on synchronous standbys, synchronous_standby_names or synchronous_commit changed meanwhile (and by
 * whom), the walsender of a cut-off standby timing out, else the standbys confirming; for the other causes what
 * their premise was (a slowdown, a queue, a refusal). The report words it (templates/write-end.ts).
 */
import type { Micros } from '../../engine/time.ts';
import type { WriteEnder, WriteStatusInterval } from '../../history/history.ts';
import type { SettingAuthor, WriteEndFact } from '../../history/facts/write-end.ts';
import type { WriteCauseFact } from '../../history/facts/writes.ts';
import type { PgCluster } from './cluster.ts';
import type { PgNode } from './node.ts';
import { commitDelay } from './service.ts';
import type { ClientPool } from './writes.ts';

/** Causes that are a wait for synchronous standbys (syncrep.c SyncRepWaitForLSN). */
function isSyncWait(c: WriteCauseFact): boolean {
  switch (c.kind) {
    case 'sync-standbys-missing':
    case 'sync-standby-cut-off':
    case 'sync-standby-reply':
    case 'sync-confirm-rate':
    case 'sync-replay-held':
      return true;
    case 'pool-queue':
      return c.limit.kind === 'synchronous-standbys';
    default:
      return false;
  }
}

/** The interval closed at the end of the run: its cause still stood. */
export const RUN_END: WriteEnder = { endOf: () => ({ kind: 'end-run' }) };

export class WriteEnds implements WriteEnder {
  /** The last operator end of synchronous waits per node (writes.ts endWaits). */
  private readonly released = new Map<PgNode, { readonly at: Micros; readonly how: 'cancel' | 'terminate'; readonly commits: number }>();

  constructor(
    private readonly cluster: PgCluster,
    private readonly pools: readonly ClientPool[],
  ) {}

  /** pg_cancel_backend / pg_terminate_backend released `commits` waiting on `n` now. */
  noteWaitsEnded(n: PgNode, how: 'cancel' | 'terminate', commits: number, at: Micros): void {
    this.released.set(n, { at, how, commits });
  }

  endOf(open: WriteStatusInterval, next: { kind: 'outage' | 'stall'; cause: WriteCauseFact; node: string | null } | null, at: Micros): WriteEndFact {
    const pool = this.pools.find((p) => p.name === open.workload);
    const target = pool?.target?.name ?? null;
    if (target !== open.node && (open.cause.kind !== 'no-write-target' || target !== null)) return { kind: 'end-rerouted', from: open.node, node: target };
    const n = open.node !== null ? this.cluster.nodes.get(open.node) : undefined;
    if (open.kind === 'outage') return this.outageEnd(open.cause, n, next);
    if (next?.kind === 'outage') return { kind: 'end-outage', cause: next.cause };
    if (!n) return next ? { kind: 'end-changed', cause: next.cause, outage: false } : { kind: 'end-cleared' };
    const c = open.cause;
    if (isSyncWait(c)) {
      // The operator ended the waits during the stall, after any change of the settings (the stall may outlast it
      // while the pool's queue drains).
      const r = this.released.get(n);
      const namesAt = this.changedSince(n, 'synchronousStandbyNames', open.from)?.at ?? -1;
      const levelAt = this.changedSince(n, 'synchronousCommit', open.from)?.at ?? -1;
      if (r && r.at >= open.from && r.at >= namesAt && r.at >= levelAt) return { kind: 'end-waits-ended', node: n.name, how: r.how, commits: r.commits, rule: 'syncrep.c:SyncRepWaitForLSN' };
      // The walsender of a cut-off standby the commits waited for timed out: they go on waiting for the others.
      if (c.kind === 'sync-standby-cut-off' && at >= c.exitAt) return { kind: 'end-walsender-exit', node: n.name, standby: c.standby, walSenderTimeout: c.walSenderTimeout, rule: 'walsender.c:WalSndCheckTimeOut' };
      // A change of the settings during the stall released the commits (next: none), or, made this very instant,
      // changed what they wait for (next: another wait, e.g. the reply of the standby now named).
      // Released, the commits may leave requests queued in the pool meanwhile, which drain next (a pool-queue stall).
      const queued = next !== null && next.cause.kind === 'pool-queue' && c.kind !== 'pool-queue';
      const released = next === null || queued;
      const names = this.changedSince(n, 'synchronousStandbyNames', open.from);
      if (names && (released || names.at === at) && names.at >= levelAt) {
        const v = n.settings.synchronousStandbyNames;
        return { kind: 'end-sync-names', node: n.name, names: v, changedAt: names.at, by: names.by, released, queued, rule: v === null ? 'syncrep.c:SyncRepUpdateSyncStandbysDefined' : 'walsender.c:ProcessStandbyReplyMessage' };
      }
      const level = this.changedSince(n, 'synchronousCommit', open.from);
      if (level && (released || level.at === at)) return { kind: 'end-sync-commit', node: n.name, level: n.settings.synchronousCommit, changedAt: level.at, by: level.by, released, queued, rule: 'syncrep.c:SyncRepWaitForLSN' };
      if (c.kind === 'pool-queue' && pool && pool.rate < c.offered) return { kind: 'end-offer-fell', pool: pool.name, offered: pool.rate };
      // The commits now wait because standbys that released them went away (the next stall says for what).
      const left = next ? this.standbysLeft(c, next.cause) : [];
      if (left.length > 0) return { kind: 'end-standbys-left', node: n.name, standbys: left };
      if (next && !queued) return { kind: 'end-changed', cause: next.cause, outage: false };
      return { kind: 'end-sync-confirmed', node: n.name, standbys: this.syncStandbys(n), queued, rule: 'walsender.c:ProcessStandbyReplyMessage' };
    }
    if (c.kind === 'pool-queue' && pool && pool.rate < c.offered) return { kind: 'end-offer-fell', pool: pool.name, offered: pool.rate };
    if (next) return { kind: 'end-changed', cause: next.cause, outage: false };
    if (c.kind === 'slow-commits' && commitDelay(n) <= this.cluster.ctx.stallThreshold) return { kind: 'end-slowdown-over', node: n.name };
    if (c.kind === 'pool-queue' && pool) return { kind: 'end-queue-drained', pool: pool.name, node: n.name };
    return { kind: 'end-cleared' };
  }

  private outageEnd(c: WriteCauseFact, n: PgNode | undefined, next: { kind: 'outage' | 'stall'; cause: WriteCauseFact } | null): WriteEndFact {
    if (n) {
      if ((c.kind === 'target-down' || c.kind === 'target-failed' || c.kind === 'target-in-recovery') && n.running && n.isPrimary) return { kind: 'end-target-running', node: n.name };
      if (c.kind === 'clients-cut-off') return { kind: 'end-clients-reach', node: n.name };
      if (c.kind === 'clients-blocked') return { kind: 'end-unblocked', node: n.name };
      // Failed inserts use up values (or a setval advanced it): nextval passed the replicated keys (logical.ts).
      if (c.kind === 'sequence-behind') return { kind: 'end-sequence-passed', node: n.name, maxKey: c.maxKey };
    }
    return next ? { kind: 'end-changed', cause: next.cause, outage: next.kind === 'outage' } : { kind: 'end-cleared' };
  }

  /**
   * The standbys that confirmed the commits under `was` (a rate, a limit) and no longer stream under `now` (fewer
   * listed standbys stream, or their walsenders hear nothing behind a cut), each with why: its server down
   * (crashed, stopped), cut off, or not streaming.
   */
  private standbysLeft(was: WriteCauseFact, now: WriteCauseFact): { readonly name: string; readonly how: 'crashed' | 'stopped' | 'failed' | 'cut-off' | 'not-streaming' }[] {
    const before = was.kind === 'sync-confirm-rate' ? was.standbys : was.kind === 'pool-queue' && was.limit.kind === 'synchronous-standbys' ? was.limit.standbys : [];
    const silent = now.kind === 'sync-standby-cut-off' ? [now.standby, ...(now.others ?? [])] : [];
    const gone = now.kind === 'sync-standbys-missing' ? before.filter((x) => !now.streaming.includes(x)) : before.filter((x) => silent.includes(x));
    return gone.map((name) => {
      const d = this.cluster.nodes.get(name);
      const how = d && d.run.state === 'down' ? d.run.how : silent.includes(name) ? 'cut-off' : 'not-streaming';
      return { name, how };
    });
  }

  /** The change of `key` on `n` at or after `since`, if the last one was. */
  private changedSince(n: PgNode, key: 'synchronousStandbyNames' | 'synchronousCommit', since: Micros): { readonly at: Micros; readonly by: SettingAuthor } | null {
    const ch = this.cluster.settingChanges.get(`${n.name}|${key}`);
    return ch && ch.at >= since ? ch : null;
  }

  /** The standbys streaming from `n` that its synchronous_standby_names lists (the ones whose replies release commits). */
  private syncStandbys(n: PgNode): string[] {
    const out: string[] = [];
    for (const s of this.cluster.streams.from(n)) if (this.cluster.writes.isSynchronous(s)) out.push(s.down.name);
    return out.sort();
  }
}

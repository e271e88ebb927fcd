/**
 * How a write stall or outage ended: what the model saw change when it closed the interval (history.ts
 * setWriteStatus, models/postgres/write-ends.ts), as data. The report words it (src/report/facts/templates/
 * write-end.ts); docs/report.md lists the kinds. A stall or outage whose cause still stood at the end of the
 * run says so (`end-run`), not a reason it never had.
 */
import type { SynchronousCommit, SynchronousStandbyNames } from '../../scenario/types.ts';
import type { Micros } from '../../engine/time.ts';
import type { GoalWhy } from './managers.ts';
import type { WriteCauseFact } from './writes.ts';
import type { ConnReason } from './block-why.ts';
import type { BlockFact } from './block.ts';

/** Who changed a setting (cluster.ts configure): the plan's step, or a failover manager's agent and why. */
export type SettingAuthor =
  | { readonly kind: 'plan' }
  /**
   * A pg_auto_failover keeper applying what its node's goal state asks (fsm_transition.c: primary to
   * wait_primary runs fsm_disable_sync_rep); `goalAt` when the monitor assigned that goal, `why` the monitor's reason.
   */
  | { readonly kind: 'pg_auto_failover'; readonly node: string; readonly goal: string; readonly goalAt: Micros; readonly why: GoalWhy | null }
  /** Patroni's HA loop on the leader (ha.py _process_multisync_replication); `strict`: synchronous_mode_strict. */
  | { readonly kind: 'patroni'; readonly node: string; readonly strict: boolean };

export type WriteEndFact =
  /** The cause still stood when the run ended. */
  | { readonly kind: 'end-run' }
  /** Writes failed from then on (the outage that followed: its cause). */
  | { readonly kind: 'end-outage'; readonly cause: WriteCauseFact }
  /** The clients' writes were routed to another node (`node`; null: to none). */
  | { readonly kind: 'end-rerouted'; readonly from: string | null; readonly node: string | null }
  /**
   * The synchronous standbys the commits waited for (`standbys`, streaming and listed) confirmed them: they
   * came back, caught up and replied (walsender.c ProcessStandbyReplyMessage -> syncrep.c SyncRepReleaseWaiters),
   * or confirm as fast as commits come again.
   */
  | { readonly kind: 'end-sync-confirmed'; readonly node: string; readonly standbys: readonly string[]; readonly queued: boolean; readonly rule: string }
  /**
   * synchronous_standby_names on `node` was changed at `changedAt` by `by` to `names` (null: empty). Emptied,
   * the checkpointer wakes every waiter at the reload (syncrep.c SyncRepUpdateSyncStandbysDefined); naming
   * standbys that have the commits, their next reply releases them.
   */
  /**
   * `released`: the waiting commits were released; false: they went on waiting for another reason (the next
   * stall). `queued` (here, on end-sync-commit and end-sync-confirmed): released, they leave requests queued in
   * the pool meanwhile, which drain next (the next stall, a pool queue).
   */
  | { readonly kind: 'end-sync-names'; readonly node: string; readonly names: SynchronousStandbyNames | null; readonly changedAt: Micros; readonly by: SettingAuthor; readonly released: boolean; readonly queued: boolean; readonly rule: string }
  /**
   * synchronous_commit on `node` was lowered to `level` at `changedAt`: the commits that waited keep their
   * level until confirmed (syncrep.c SyncRepWaitForLSN reads SyncRepWaitMode once), later ones wait for no standby.
   */
  | { readonly kind: 'end-sync-commit'; readonly node: string; readonly level: SynchronousCommit; readonly changedAt: Micros; readonly by: SettingAuthor; readonly released: boolean; readonly queued: boolean; readonly rule: string }
  /** Synchronous standbys that confirmed the commits went away (their server down, cut off, not streaming): the commits wait for others (the next stall). */
  | { readonly kind: 'end-standbys-left'; readonly node: string; readonly standbys: readonly { readonly name: string; readonly how: 'crashed' | 'stopped' | 'failed' | 'cut-off' | 'not-streaming' }[] }
  /** An operator's pg_cancel_backend / pg_terminate_backend on the waiting backends (syncrep.c SyncRepWaitForLSN). */
  | { readonly kind: 'end-waits-ended'; readonly node: string; readonly how: 'cancel' | 'terminate'; readonly commits: number; readonly rule: string }
  /** The walsender of a cut-off synchronous standby exited at wal_sender_timeout (walsender.c WalSndCheckTimeOut). */
  | { readonly kind: 'end-walsender-exit'; readonly node: string; readonly standby: string; readonly walSenderTimeout: number; readonly rule: string }
  /** The slowdown of `node` (a slow_node fault) ended or eased below the stall threshold. */
  | { readonly kind: 'end-slowdown-over'; readonly node: string }
  /** The pool's queued requests were served: the wait of the one at its head fell below the stall threshold. */
  | { readonly kind: 'end-queue-drained'; readonly pool: string; readonly node: string }
  /** The workload offered less than the node commits (its rate fell to `offered` requests/s). */
  | { readonly kind: 'end-offer-fell'; readonly pool: string; readonly offered: number }
  /** Outages: the server writes were routed to runs as a primary again (restarted, or promoted). */
  | { readonly kind: 'end-target-running'; readonly node: string }
  /** Outages: the clients reach the node again (the partition healed). */
  | { readonly kind: 'end-clients-reach'; readonly node: string }
  /** Outages: the plan unblocked client connections. */
  | { readonly kind: 'end-unblocked'; readonly node: string }
  /**
   * A lock queue: the statement queued ahead of the workload's queries (`who`, waiting for `mode`) was granted
   * its lock (it ran and released the table) or gave up (`outcome`: lock_timeout, statement_timeout, deadlock,
   * canceled) at `at`: the queries behind it got theirs (checkers/locks.ts lockEndOf).
   */
  | { readonly kind: 'end-lock-wait'; readonly table: string; readonly who: string; readonly mode: string; readonly outcome: 'granted' | 'not-available' | 'lock_timeout' | 'statement_timeout' | 'deadlock' | 'canceled'; readonly at: Micros }
  // Replicated block devices (models/block/world.ts).
  /** The fence-peer handler returned (the peer outdated): the Primary's frozen I/O resumed (drbd_nl.c conn_try_outdate_peer). */
  | { readonly kind: 'end-fence-peer-returned'; readonly resource: string; readonly peer: string | null; readonly rule: string }
  /** DRBD dropped the connection (`reason`: on-congestion, ko-count, a timeout...): writes go on alone, marking the bitmap. */
  | { readonly kind: 'end-block-disconnected'; readonly resource: string; readonly reason: ConnReason }
  /** on-congestion pull-ahead: the Primary went Ahead, writes only mark the bitmap until the resync. */
  | { readonly kind: 'end-block-ahead'; readonly resource: string }
  /**
   * The back-pressure path eased: writes complete within the stall threshold; `after` the last change since the
   * stall began that bears on it (an adjust, a job on its disks ended, its workload's step), at `at`.
   */
  | { readonly kind: 'end-block-eased'; readonly resource: string; readonly after?: BlockFact; readonly at?: Micros }
  /** A block outage: `host` is Primary and the application writes to it again. */
  | { readonly kind: 'end-block-primary'; readonly resource: string; readonly host: string }
  /** Outages: nextval on `node` hands out keys past `maxKey`, the largest the replicated rows hold (inserts succeed again). */
  | { readonly kind: 'end-sequence-passed'; readonly node: string; readonly maxKey: number }
  /** The condition changed into another one (the next interval, `outage` or stall, with its cause). */
  | { readonly kind: 'end-changed'; readonly cause: WriteCauseFact; readonly outage: boolean }
  /** The condition no longer held and writes flowed (no more specific change recorded). */
  | { readonly kind: 'end-cleared' };

/**
 * Facts of a PostgreSQL server's WAL beyond streaming (models/postgres: replay.ts, archive.ts, slots.ts,
 * writes.ts, checkpointer.ts, xid.ts): replay speed, archiving, replication slots, synchronous commits, pg_wal,
 * alerts. Rates in bytes per second, durations in µs.
 */
import type { Lsn } from '../../models/postgres/lsn.ts';
import type { Rule } from './index.ts';

export type StorageFact =
  /** replay.ts: the promotion waits for the startup process to replay what was received (`replayRate`: replay_rate). */
  | { readonly kind: 'promotion-waits-for-replay'; readonly node: string; readonly bytes: number; readonly replayRate: number }
  /**
   * A promotion requested while the archive holds WAL beyond the standby's: the startup process checks the
   * trigger only once the archive and pg_wal have nothing more (xlogrecovery.c WaitForWALToBecomeAvailable).
   */
  | { readonly kind: 'promotion-waits-for-archive'; readonly rule: 'xlogrecovery.c:WaitForWALToBecomeAvailable'; readonly node: string; readonly lsn: number; readonly archivedLsn: Lsn }
  | { readonly kind: 'promotion-abandoned'; readonly node: string }
  /** conflicts.ts: the promotion waits for replay, which waits for standby queries in conflict (`bytes` received and not replayed). */
  | { readonly kind: 'promotion-waits-for-conflict'; readonly node: string; readonly bytes: number; readonly queries: readonly string[]; readonly conflict: 'snapshot' | 'lock' }
  /**
   * conflicts.ts: replay reached a record in conflict with queries on the standby and stops there; they are
   * cancelled `cancelIn` µs from now (the last time replay had caught up, `behind` µs ago, plus `delay`), never
   * when null (-1).
   */
  | {
      readonly kind: 'recovery-conflict-wait';
      readonly node: string;
      readonly conflict: 'snapshot' | 'lock';
      readonly table: string;
      readonly lsn: Lsn;
      readonly queries: readonly string[];
      /** A lock record: who took the lock on the primary (a statement, a vacuum truncating the table). */
      readonly holder?: string;
      readonly setting: 'max_standby_streaming_delay' | 'max_standby_archive_delay';
      readonly delay: number | null;
      readonly behind: number;
      readonly cancelIn: number | null;
      readonly rule: Rule;
    }
  /** conflicts.ts: a query cancelled (a session idle in its transaction: terminated) for a recovery conflict after replay waited `waited` µs. */
  | { readonly kind: 'recovery-conflict-cancel'; readonly node: string; readonly session: string; readonly conflict: 'snapshot' | 'lock'; readonly table: string; readonly waited: number; readonly idle: boolean; readonly rule: Rule }
  /** conflicts.ts: the queries replay waited for ended by themselves: replay goes on. */
  | { readonly kind: 'recovery-conflict-resolved'; readonly node: string; readonly waited: number }
  /** conflicts.ts: a query on a standby waits for a table lock the startup process holds, replayed from the primary's `holder`. */
  | { readonly kind: 'standby-lock-wait'; readonly node: string; readonly session: string; readonly table: string; readonly holder: string; readonly rule: Rule }
  /** conflicts.ts: replay reached the end of the transaction that took the lock (or the standby was promoted): the query has its lock after `waited` µs. */
  | { readonly kind: 'standby-lock-granted'; readonly node: string; readonly session: string; readonly table: string; readonly waited: number; readonly rule: Rule }
  | { readonly kind: 'replay-falls-behind'; readonly node: string; readonly incoming: number; readonly replayRate: number }
  | { readonly kind: 'replay-caught-up'; readonly node: string }
  /**
   * A walsender's stream carries less than its upstream writes (bytes/s): what binds it is the line's share
   * (`bandwidth` among `sharing` streams), one TCP `window` per round trip (`rtt`, µs), packet `loss`
   * (stream-plan.ts, tcp/connection.ts connectionRate), or the standby's `disk` (`diskThroughput`, bytes/s).
   */
  | {
      readonly kind: 'stream-falls-behind';
      readonly node: string;
      readonly upstream: string;
      readonly incoming: number;
      readonly carried: number;
      readonly bound: 'line' | 'window' | 'loss' | 'disk';
      readonly bandwidth: number;
      readonly diskThroughput: number;
      readonly sharing: number;
      readonly window: number;
      readonly rtt: number;
      readonly loss: number;
    }
  | { readonly kind: 'stream-caught-up'; readonly node: string; readonly upstream: string }
  /** pgarch.c: archive_mode on without archive_command; segments are never removed. */
  | { readonly kind: 'archiving-not-configured'; readonly node: string; readonly archiveMode: string }
  | { readonly kind: 'archiving-again'; readonly node: string; readonly segments: number }
  /** pgarch.c pgarch_ArchiverCopyLoop: a segment failed to archive; it and those after it stay in pg_wal. */
  | { readonly kind: 'archiving-fails'; readonly rule?: Rule; readonly node: string; readonly segment: string; readonly why: { readonly kind: 'unreachable'; readonly site: string } | { readonly kind: 'command-failed'; readonly exitCode: number } }
  /** syncrep.c: waits for synchronous standbys ended by cancel or terminate (writes.ts endWaits). */
  | { readonly kind: 'sync-waits-ended'; readonly node: string; readonly how: 'cancel' | 'terminate' | 'shutdown'; readonly commits: number; readonly fromLsn: Lsn; readonly toLsn: Lsn }
  /** syncrep.c announce_next_takeover: a standby becomes synchronous (`quorum`: ANY, a candidate for the quorum). */
  | { readonly kind: 'sync-standby'; readonly rule?: Rule; readonly node: string; readonly primary: string; readonly quorum: boolean }
  /**
   * cut-walsenders.ts: a network cut silenced `standby`; `primary`'s walsender for it lives on (and stays the
   * synchronous standby it was) for `exitAfter` µs: wal_sender_timeout (µs), or with 0 until TCP gives up.
   */
  | { readonly kind: 'walsender-cut-off'; readonly rule?: Rule; readonly node: string; readonly standby: string; readonly walSenderTimeout: number; readonly exitAfter: number; readonly synchronous: boolean }
  /** The walsender of a cut-off standby exits: `how` timeout (wal_sender_timeout), tcp (retransmissions gave up) or reset (the healed path met the standby's closed socket). */
  | { readonly kind: 'walsender-exited'; readonly rule?: Rule; readonly node: string; readonly standby: string; readonly how: 'timeout' | 'tcp' | 'reset'; readonly walSenderTimeout: number }
  /**
   * cluster.ts completePromotion: the promoted `node` has none of the logical slots of the other servers. Slots
   * are not copied to standbys (PostgreSQL docs, "Logical Decoding Concepts": up to 16 a logical slot exists on
   * one server only; from 17 only a slot created with failover = true and synchronized to a standby with
   * sync_replication_slots = on is: failover-slots-synced). The slots' consumers cannot go on there.
   */
  | {
      readonly kind: 'logical-slots-left-behind';
      readonly node: string;
      readonly slots: readonly { readonly slot: string; readonly node: string }[];
      readonly version: number;
      /** 17+: failover slots among them, which the promoted standby did not synchronize for want of this setting. */
      readonly lacks?: 'sync_replication_slots' | 'primary_slot_name' | 'hot_standby_feedback';
    }
  /**
   * 17+: the failover logical slots the promoted standby synchronized (sync_replication_slots; slotsync.c) go on on
   * it, from `restartLsn` (at most its switchpoint); their consumers reconnect there.
   */
  | {
      readonly kind: 'failover-slots-synced';
      readonly rule: 'slotsync.c:synchronize_slots';
      readonly node: string;
      readonly from: string;
      /** `ahead`: bytes of WAL past the switchpoint its consumer had been sent (no synchronized_standby_slots wait). */
      readonly slots: readonly { readonly slot: string; readonly restartLsn: Lsn | null; readonly active: boolean; readonly ahead?: number }[];
    }
  /** checkpointer.c CheckpointerMain: WAL-volume checkpoints closer than checkpoint_warning (µs). */
  | { readonly kind: 'checkpoints-too-frequent'; readonly rule?: Rule; readonly node: string; readonly apart: number; readonly segments: number; readonly checkpointWarning: number }
  | { readonly kind: 'slot-created'; readonly slot: string; readonly slotKind: string; readonly database: string | null; readonly consumer: string }
  | { readonly kind: 'slot-dropped'; readonly slot: string; readonly logical: boolean }
  | { readonly kind: 'slot-consumer-resumed'; readonly slot: string }
  | { readonly kind: 'slot-consumer-stopped'; readonly slot: string; readonly restartLsn: Lsn; readonly logical: boolean; /** Null: a physical slot without hot_standby_feedback has none. */ readonly xmin: number | null }
  | { readonly kind: 'slot-consumer-refused'; readonly slot: string }
  /** pg_drop_replication_slot refused: a walsender holds the slot (`standby`: the standby streaming through it). */
  | { readonly kind: 'slot-drop-refused'; readonly node: string; readonly slot: string; readonly standby: string | null; readonly rule: Rule }
  /** A plan's pg_drop_replication_slot or pg_create_…_replication_slot finds the slot's server not running. */
  | { readonly kind: 'slot-op-server-down'; readonly node: string; readonly slot: string; readonly op: 'create' | 'drop' }
  | { readonly kind: 'pg-wal-full'; readonly node: string; readonly volume: number }
  /** A standby's promotion found no room on its pg_wal volume for the new timeline's first segment (storage.ts). */
  | { readonly kind: 'promotion-failed-pg-wal-full'; readonly node: string; readonly volume: number }
  | { readonly kind: 'alert-fires'; readonly alert: string; readonly metric: string; readonly value: number; readonly above: number; readonly for: number };

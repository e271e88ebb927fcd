/**
 * Facts of PostgreSQL streaming replication (models/postgres/cluster.ts, restore.ts): the walreceiver's
 * attempts and why they fail, streams and their ends, timelines followed or refused. `node` is the standby,
 * `upstream` the server it streams from; timelines are TLIs.
 */
import type { Lsn } from '../../models/postgres/lsn.ts';
import type { Rule } from './index.ts';
import type { PgMajor } from '../../scenario/types.ts';

/** What a server keeps of its WAL for standbys, in its version's words (retention.ts). */
export interface RetentionFact {
  readonly kind: 'wal-retention';
  readonly node: string;
  readonly version: PgMajor;
  /** wal_keep_size (bytes) from 13, wal_keep_segments (segments) before. */
  readonly walKeep: { readonly setting: 'wal_keep_size' | 'wal_keep_segments'; readonly value: number };
}

/**
 * A standby's slot on its upstream was invalidated for retaining more than max_slot_wal_keep_size, or (`idle`, 18+)
 * for being unused longer than idle_replication_slot_timeout (slots.ts).
 */
export interface SlotInvalidatedNoteFact {
  readonly kind: 'slot-invalidated-note';
  readonly node: string;
  readonly upstream: string;
  readonly slot: string;
  readonly upstreamVersion: PgMajor;
  readonly idle?: true;
}

/** Why a walreceiver attempt fails or a standby waits (the detail of a walreceiver transition). */
export type WaitFact =
  | { readonly kind: 'no-primary-conninfo' }
  | { readonly kind: 'upstream-shut-down'; readonly node: string; readonly upstream: string }
  | { readonly kind: 'upstream-unreachable'; readonly node: string; readonly upstream: string; readonly upstreamRunning: boolean }
  | { readonly kind: 'upstream-not-running'; readonly upstream: string }
  | { readonly kind: 'upstream-starting-up'; readonly upstream: string }
  /** A smart shutdown refuses new connections while its client sessions go on (pg-ctl.ts). */
  | { readonly kind: 'upstream-shutting-down'; readonly upstream: string }
  | { readonly kind: 'system-identifier-differs'; readonly node: string; readonly upstream: string }
  | { readonly kind: 'timeline-switch-before-9.3'; readonly node: string; readonly version: PgMajor; readonly upstream: string; readonly upstreamTimeline: number; readonly targetTimeline: number }
  | { readonly kind: 'upstream-timeline-behind'; readonly node: string; readonly upstream: string; readonly upstreamTimeline: number; readonly timeline: number }
  | { readonly kind: 'checkpoint-not-in-target'; readonly node: string; readonly upstream: string; readonly timeline: number; readonly targetTimeline: number }
  | { readonly kind: 'checkpoint-overwritten'; readonly rule: Rule; readonly node: string; readonly upstream: string; readonly timeline: number; readonly checkpointLsn: Lsn }
  /** `rule` walreceiverfuncs.c:RequestXLogStreaming: the startup process rereads such records a walreceiver of this start flushed, before the next one connects. */
  | { readonly kind: 'same-tli-different-history'; readonly rule?: Rule; readonly node: string; readonly upstream: string; readonly timeline: number }
  /** walsender.c StartReplication: the start is past the upstream's flush (`startLsn`: accepted within its segment). */
  | { readonly kind: 'ahead-of-upstream'; readonly rule?: Rule; readonly node: string; readonly upstream: string; readonly lsn: Lsn; readonly upstreamLsn: Lsn; readonly startLsn?: Lsn }
  /** The upstream's walsender slots are all taken (max_wal_senders: walsenders.ts). */
  | { readonly kind: 'walsenders-exhausted'; readonly rule?: Rule; readonly node: string; readonly upstream: string; readonly max: number }
  /** The standby's pg_wal volume (`volume` bytes) is full: its walreceiver cannot write what `upstream` sends. */
  | { readonly kind: 'receiver-pg-wal-full'; readonly node: string; readonly upstream: string; readonly volume: number }
  /** The upstream refuses primary_slot_name; `error` is the server's own message. */
  | { readonly kind: 'slot-refused'; readonly rule?: Rule; readonly node: string; readonly upstream: string; readonly slot: string; readonly error: string }
  | { readonly kind: 'timeline-not-in-upstream-history'; readonly upstream: string; readonly timeline: number }
  | { readonly kind: 'upstream-left-timeline'; readonly node: string; readonly upstream: string; readonly timeline: number; readonly switchLsn: Lsn; readonly startLsn: Lsn; readonly lsn: Lsn }
  /** The upstream no longer has the segment to restart from; `retention` says why. */
  | { readonly kind: 'segment-already-removed'; readonly rule?: Rule; readonly node: string; readonly upstream: string; readonly segment: string; readonly retention: RetentionFact | SlotInvalidatedNoteFact }
  /** A checkpoint on `upstream` removed a segment the stream still needed. */
  | { readonly kind: 'segment-removed'; readonly rule?: Rule; readonly node: string; readonly upstream: string; readonly segment: string; readonly retention: RetentionFact | { readonly kind: 'slots-capped' }; readonly behind: number }
  | { readonly kind: 'timeline-not-a-child'; readonly rule?: Rule; readonly node: string; readonly timeline: number; readonly nodeTimeline: number }
  | { readonly kind: 'timeline-forked-before-replay'; readonly rule?: Rule; readonly node: string; readonly timeline: number; readonly nodeTimeline: number; readonly switchLsn: Lsn; readonly replayLsn: Lsn }
  /** recovery_target_timeline 'current' or a number never switches timelines: the stream restarts in vain. */
  | {
      readonly kind: 'timeline-not-followed'; readonly rule?: Rule;
      readonly node: string;
      readonly timeline: number;
      readonly lsn: Lsn;
      readonly upstream: string;
      readonly upstreamTimeline: number;
      readonly goal: string;
      /** The version whose default the goal is, when it was not set. */
      readonly defaultOf: PgMajor | null;
      readonly retryInterval: number;
    }
  | { readonly kind: 'cannot-follow'; readonly node: string; readonly timeline: number; readonly lsn: Lsn }
  /** `mode: immediate`: the upstream was stopped with pg_ctl -m immediate (its processes killed, as in a crash). */
  | { readonly kind: 'connection-lost'; readonly node: string; readonly upstream: string; readonly how: 'crashed' | 'stopped' | 'partition'; readonly mode?: 'immediate' }
  /** A wait whose attempt also refused the newest timeline (the rescan's refusal, logged with it). */
  | { readonly kind: 'with-refusal'; readonly fact: WaitFact; readonly refusal: WaitFact | null };

export type ReplicationFact =
  | WaitFact
  | RetentionFact
  | SlotInvalidatedNoteFact
  | { readonly kind: 'slots-capped' }
  /** walreceiver.c: streaming started (`switchLsn`: the historic timeline's end on the upstream). */
  | { readonly kind: 'streaming'; readonly upstream: string; readonly timeline: number; readonly lsn: Lsn; readonly switchLsn: Lsn | null }
  /** The walreceiver transition of a started stream. */
  | { readonly kind: 'receiving'; readonly upstream: string; readonly timeline: number }
  | { readonly kind: 'history-file-fetched'; readonly upstream: string; readonly timeline: number }
  /**
   * xlogrecovery.c rescanLatestTimeLine adopted a newer timeline (`currentReadAsLatest`: 'current' in recovery.conf
   * of a version that reads it as 0; `historyFromArchive`: the site of the WAL archive its history file was
   * restored from by restore_command).
   */
  | { readonly kind: 'follows-timeline'; readonly rule?: Rule; readonly node: string; readonly timeline: number; readonly currentReadAsLatest: PgMajor | null; readonly historyFromArchive?: string }
  | { readonly kind: 'unreplayed-wal-discarded'; readonly node: string; readonly bytes: number; readonly timeline: number; readonly switchLsn: Lsn }
  /** The upstream ended the stream at the end of the timeline (`beforeNine3`: <= 9.2, the walreceiver exits). */
  | { readonly kind: 'stream-ended'; readonly upstream: string; readonly timeline: number; readonly switchLsn: Lsn; readonly upstreamTimeline: number | null }
  | { readonly kind: 'wal-arrives-again'; readonly upstream: string }
  | { readonly kind: 'wal-stops-arriving'; readonly upstream: string; readonly walReceiverTimeout: number }
  | { readonly kind: 'restoring-from-archive'; readonly node: string; readonly site: string; readonly lsn: Lsn }
  /** restore.ts: the segments restored from the archive, logged when the archive stops being the source (`then`). */
  | { readonly kind: 'restored-from-archive'; readonly node: string; readonly segments: number; readonly fromLsn: Lsn; readonly toLsn: Lsn; readonly then: RestoreEnd };

/** Why a standby stopped restoring from the archive. */
export type RestoreEnd =
  | { readonly kind: 'streams'; readonly upstream: string }
  | { readonly kind: 'promoted' }
  | { readonly kind: 'down'; readonly how: 'crashed' | 'stopped' }
  | { readonly kind: 'run-ended' };

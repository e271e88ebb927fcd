/**
 * Facts of a PostgreSQL server's life (models/postgres/cluster.ts): starts and stops, promotions and
 * demotions, settings, checkpoints.
 */
import type { Lsn } from '../../models/postgres/lsn.ts';
import type { PgMajor, StopMode } from '../../scenario/types.ts';
import type { PromotionCause } from '../history.ts';
import type { SettingAuthor } from './write-end.ts';

/** A setting's author other than the plan (write-end.ts). */
type ManagerAuthor = Exclude<SettingAuthor, { readonly kind: 'plan' }>;
import type { Fact, Rule } from './index.ts';

export type ServerFact =
  /** pg_ctl promote on a server that is not a standby (or not running): nothing happens. */
  | { readonly kind: 'promotion-ignored'; readonly node: string; readonly running: boolean }
  | { readonly kind: 'promotion-refused'; readonly node: string }
  /** `historyReason`: the reason the history file gives when it is not the plain one (a point-in-time recovery's stop: pitr.ts). */
  | { readonly kind: 'promoted'; readonly node: string; readonly by: PromotionCause; readonly timeline: number; readonly lsn: Lsn; readonly parentTimeline: number; readonly historyReason?: string }
  /** The walreceiver transition of a promotion (it stops being a standby). */
  | { readonly kind: 'receiver-promoted' }
  /** A manager demoted a primary (`why`: the manager's reason). */
  /** `rebuild`: left stopped until a manager rebuilds it (pg_rewind or a re-clone), not restarted. */
  | { readonly kind: 'demoted'; readonly node: string; readonly how: 'fast' | 'immediate'; readonly upstream: string | null; readonly why: Fact; readonly rebuild?: true }
  | { readonly kind: 'reconfigured-as-standby'; readonly node: string; readonly upstream: string }
  | { readonly kind: 'repoint-needs-restart'; readonly node: string; readonly upstream: string; readonly version: PgMajor }
  /** walreceiverfuncs.c RequestXLogStreaming: an idle walreceiver keeps its connection to `previous`. */
  | { readonly kind: 'repoint-dropped'; readonly rule?: Rule; readonly node: string; readonly upstream: string; readonly previous: string }
  | { readonly kind: 'repointed'; readonly node: string; readonly upstream: string }
  /** startup.c StartupRereadConfig (13+): a reload that changed primary_slot_name restarts a streaming walreceiver. */
  | { readonly kind: 'walreceiver-restarts-for-slot'; readonly node: string; readonly slot: string; readonly rule: 'startup.c:StartupRereadConfig' }
  /** Settings changed (their names as the version spells them), applied as `how`; `by` a failover manager's agent (absent: the plan). */
  | { readonly kind: 'settings-changed'; readonly node: string; readonly settings: readonly string[]; readonly how: 'pending-restart' | 'restart' | 'reload'; readonly by?: ManagerAuthor }
  /** xact.c RecordTransactionCommit with synchronous_commit = off: WAL inserted but not flushed is lost in a crash. */
  /** cluster.ts shutdown: a standby's host crashed with WAL its walreceiver had written but not fsynced (`fsync`, µs). */
  | { readonly kind: 'host-crash-lost-unflushed'; readonly node: string; readonly bytes: number; readonly fsync: number }
  | { readonly kind: 'crash-lost-unflushed'; readonly rule?: Rule; readonly node: string; readonly bytes: number; readonly walWriterDelay: number }
  /**
   * `draining`: after a clean shutdown's checkpoint, the WAL each lagging standby still had to receive; the
   * walsenders send it before they exit (walsender.c WalSndDone), and the postmaster exits after them (drains.ts).
   */
  | {
      readonly kind: 'down';
      readonly rule?: Rule;
      readonly node: string;
      readonly how: 'crashed' | 'stopped';
      readonly lsn: Lsn;
      readonly timeline: number;
      readonly draining: readonly { readonly node: string; readonly bytes: number }[];
      /** pg_ctl stop's mode when not the default fast stop or a crash: smart, or immediate (how: crashed). */
      readonly mode?: 'smart' | 'immediate';
      /** A smart shutdown that waited for its client sessions: µs from its request until the last one ended. */
      readonly sessionsEndedAfter?: number;
    }
  /**
   * The postmaster of a shutdown that waited for its walsenders exits (`killed`: it was killed meanwhile), `after`
   * µs from its start; per standby what its walsender sent meanwhile and what it did not (its standby was promoted,
   * stopped or cut off first).
   */
  | { readonly kind: 'shutdown-complete'; readonly node: string; readonly how: 'exited' | 'killed'; readonly after: number; readonly drains: readonly { readonly node: string; readonly sent: number; readonly left: number }[] }
  /** pg_ctl start while the postmaster still shuts down: the lock file stops the new one. */
  | { readonly kind: 'start-refused-shutting-down'; readonly node: string }
  /**
   * pg_ctl stop or restart -m `mode` waited `waited` µs (PGCTLTIMEOUT) for the postmaster to exit and gave up: it
   * still waits for its client sessions (smart) or its walsenders; a restart does not start the server.
   */
  | { readonly kind: 'pg-ctl-gave-up'; readonly node: string; readonly op: 'stop' | 'restart'; readonly mode: StopMode; readonly waited: number; readonly waitingFor: 'sessions' | 'walsenders' }
  /** A smart shutdown's request with client sessions on the server: they go on, new connections are refused (pg-ctl.ts). */
  | { readonly kind: 'smart-shutdown-waits'; readonly node: string; readonly workloads: readonly { readonly name: string; readonly connections: number }[] }
  /** The walreceiver transition of a server going down. */
  | { readonly kind: 'receiver-down'; readonly node: string; readonly how: 'crashed' | 'stopped' }
  | { readonly kind: 'no-data-directory'; readonly node: string; readonly state: 'empty' | 'copying' }
  /** `crashRecovery`: it was not shut down cleanly (a crash, an immediate stop) and replays its WAL first. */
  | { readonly kind: 'started-primary'; readonly node: string; readonly timeline: number; readonly crashRecovery?: true }
  /** `consistentAt`: a pg_rewind's backup recovery makes it consistent (and open to connections) only once replay reaches there. */
  | { readonly kind: 'started-standby'; readonly node: string; readonly targetTimeline: number; readonly consistentAt?: Lsn }
  /** xlogrecovery.c CheckRecoveryConsistency: replay reached the minimum recovery point; read-only connections are accepted. */
  | { readonly kind: 'recovery-consistent'; readonly node: string; readonly lsn: Lsn }
  /**
   * A promotion of a standby not yet consistent: the startup process exits with a FATAL and the server with it
   * (`redoMissing`: the backup_label's redo record was never read; otherwise WAL ended before the minimum recovery point).
   */
  | { readonly kind: 'promotion-failed-inconsistent'; readonly rule: Rule; readonly node: string; readonly lsn: Lsn; readonly consistentAt: Lsn; readonly redoMissing: boolean; readonly error: string }
  /** xlogrecovery.c ReadRecord: the checkpoint record is on a timeline not in the target's history. */
  | {
      readonly kind: 'started-standby-checkpoint-unreadable';
      readonly node: string;
      readonly targetTimeline: number;
      readonly checkpointLsn: Lsn;
      readonly checkpointTimeline: number;
      /** Why: its timeline is not in the target's history, or a sibling timeline's WAL was written over it. */
      readonly cause: 'not-in-target' | 'overwritten-by-sibling';
    }
  /** The server exits at startup with a FATAL (`error`: the server's own message). */
  | { readonly kind: 'start-refused'; readonly node: string; readonly error: string }
  | { readonly kind: 'receiver-start-refused'; readonly error: string }
  | { readonly kind: 'checkpoint-requested'; readonly node: string };

/**
 * Facts of the history itself and of the scenario's plan and faults (models/world.ts): a step is the plan's or
 * the faults' action as applied, with its name; its `action` says what was asked.
 */
import type { GrayFailure } from '../../scenario/types-managers.ts';
import type { StopMode } from '../../scenario/types.ts';
import type { VacuumActionBody } from '../../scenario/types-vacuum.ts';
import type { BlockStepFact } from './block.ts';

/** The history dropped events beyond its limit (history.ts capEvents): how many, until when. */
export interface EventsOmittedFact {
  readonly kind: 'events-omitted';
  readonly count: number;
  /** Simulated time (µs) of the first event kept after the omitted ones. */
  readonly until: number;
  readonly limit: number;
}

/** What a plan or fault step asks of the PostgreSQL world (models/world.ts apply). */
export type StepActionFact =
  | { readonly kind: 'promote-asked'; readonly node: string }
  | { readonly kind: 'repoint-asked'; readonly node: string; readonly upstream: string }
  | { readonly kind: 'configure-asked'; readonly node: string }
  | { readonly kind: 'route-writes'; readonly workload: string | null; readonly node: string }
  /** DROP SUBSCRIPTION, or setval of its sequences on the subscriber (models/logical). */
  | { readonly kind: 'drop-subscription'; readonly subscription: string }
  | { readonly kind: 'sync-sequences'; readonly subscription: string }
  | { readonly kind: 'add-column'; readonly subscription: string; readonly node: string }
  | { readonly kind: 'client-connections'; readonly node: string; readonly blocked: boolean }
  | { readonly kind: 'end-sync-waits'; readonly node: string; readonly how: 'cancel' | 'terminate' }
  | { readonly kind: 'node-network'; readonly node: string; readonly cut: boolean }
  | { readonly kind: 'link'; readonly sites: readonly [string, string]; readonly cut: boolean }
  | { readonly kind: 'server-op'; readonly op: 'crash' | 'stop' | 'start' | 'restart'; readonly node: string; readonly mode?: StopMode; readonly host?: true }
  /** patronictl switchover or pg_autoctl perform switchover/promotion (a plan step): to `candidate` (null: the manager's choice), from `leader` if named. */
  | { readonly kind: 'switchover-asked'; readonly tool: 'patronictl' | 'pg_autoctl'; readonly action?: 'failover'; readonly cluster: string; readonly leader: string | null; readonly candidate: string | null }
  | { readonly kind: 'copy-asked'; readonly how: 'reclone' | 'basebackup'; readonly node: string; readonly from: string }
  | { readonly kind: 'pg-rewind-asked'; readonly node: string; readonly from: string }
  /** A named base backup into the backup store (no node: rebuild.ts). */
  | { readonly kind: 'backup-asked'; readonly name: string; readonly from: string }
  /** restore_backup: point-in-time recovery of `node` from backup `backup` (pitr.ts). */
  | { readonly kind: 'restore-asked'; readonly node: string; readonly backup: string }
  | { readonly kind: 'destroy-data'; readonly node: string }
  | { readonly kind: 'archive-command-fails'; readonly node: string; readonly exitCode: number; readonly duration: number }
  | { readonly kind: 'workload-set'; readonly workload: string | null; readonly rate?: number; readonly walPerTx?: number }
  | { readonly kind: 'slot-create'; readonly slotKind: string; readonly slot: string }
  | { readonly kind: 'slot-op'; readonly op: 'drop' | 'stop-consumer' | 'start-consumer'; readonly slot: string }
  | { readonly kind: 'transaction-open'; readonly node: string; readonly prepared: boolean; readonly transaction: string }
  | { readonly kind: 'transaction-close'; readonly transaction: string }
  /** A vacuum-model step (VACUUM, DDL, CHECKPOINT, single-user VACUUM), as the scenario wrote it. */
  | { readonly kind: 'vacuum-step'; readonly step: VacuumActionBody }
  /** A gray failure (packet loss, a one-way cut, a stopped manager, a slow node), as the scenario wrote it. */
  | { readonly kind: 'gray-failure'; readonly failure: GrayFailure };

export type WorldFact =
  | EventsOmittedFact
  | StepActionFact
  /** A plan or fault step as applied: `name` is the step's name in the scenario. */
  | { readonly kind: 'step'; readonly source: 'plan' | 'faults'; readonly action: StepActionFact | BlockStepFact; readonly name: string | null }
  /** writes.ts endWaits: an end-sync-waits step found no commit waiting. */
  | { readonly kind: 'no-sync-waits'; readonly node: string };

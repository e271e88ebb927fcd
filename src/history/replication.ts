/**
 * The replication state of each cluster over time, as the verdict checker needs it: who is a running
 * primary of which database system, which standbys follow it (directly or through a cascade), which count
 * as synchronous, and why the others do not follow. Models record a sample whenever that state changes
 * (models/postgres/observe.ts) and the plan once at the start; the verdicts (checkers/verdicts.ts) read
 * only these records. Part of the run's History.
 */
import type { SynchronousSource } from './facts/managers.ts';
import type { Micros } from '../engine/time.ts';
import type { WaitReason } from './history.ts';

/** What the cluster was built for: the redundancy the verdicts compare with. */
export interface ClusterPlan {
  readonly cluster: string;
  /** Standbys declared in the scenario (each meant to follow the primary). */
  readonly standbys: number;
  /** Synchronous standbys configured: the primary's synchronous_standby_names count, or a manager's (Patroni synchronous_node_count, pg_auto_failover number_sync_standbys). */
  readonly synchronous: number;
  /** What configured the synchronous count, for the report. */
  readonly synchronousSource: SynchronousSource | null;
  /** Whether WAL is archived: a standby that lost its WAL can take it from the archive (restore_command). */
  readonly walArchive: boolean;
}

export type NodeRun = 'running' | 'stopped' | 'crashed' | 'failed';

/** One node as the sample sees it. */
export interface NodeState {
  readonly name: string;
  readonly run: NodeRun;
  readonly role: 'primary' | 'standby';
  readonly tli: number;
  /** The database system (the uid of the first timeline of its history): two primaries of one system are a split brain. */
  readonly system: number;
  /** The receiver's state and why it waits (standbys). */
  readonly receiver: 'streaming' | 'waiting' | 'stopped';
  readonly reason: WaitReason | null;
  /** primary_conninfo's node. */
  readonly upstream: string | null;
  /** The running primary whose current WAL reaches this standby live (directly or through a cascade), or null. */
  readonly follows: string | null;
  /** Counted by its primary's synchronous_standby_names as a synchronous standby now. */
  readonly synchronous: boolean;
  /** The FATAL a server that does not start logged (run = failed). */
  readonly fatal: string | null;
}

export interface ClusterStateSample {
  readonly at: Micros;
  readonly cluster: string;
  readonly nodes: readonly NodeState[];
  /** The running primary's synchronous_standby_names count now (0 when commits do not wait), per primary. */
  readonly synchronousRequired: Readonly<Record<string, number>>;
}

/** A node a failover manager rebuilt to rejoin a cluster (models/managers/rejoin.ts): what it ran, from when to when. */
export interface RebuildRecord {
  readonly cluster: string;
  readonly node: string;
  /** The manager that ran it: "Patroni", "pg_auto_failover". */
  readonly by: string;
  readonly tool: 'pg_rewind' | 'pg_basebackup';
  /** The server it copied from. */
  readonly source: string;
  readonly from: Micros;
  readonly to: Micros;
  readonly ok: boolean;
}

export class ReplicationHistory {
  readonly plans: ClusterPlan[] = [];
  readonly samples: ClusterStateSample[] = [];
  readonly rebuilds: RebuildRecord[] = [];

  constructor(private readonly mix: (s: string) => void) {}

  plan(p: ClusterPlan): void {
    this.mix(`plan|${p.cluster}|${p.standbys}|${p.synchronous}|${p.walArchive}`);
    this.plans.push(p);
  }

  rebuild(r: RebuildRecord): void {
    this.mix(`rebuild|${r.cluster}|${r.node}|${r.by}|${r.tool}|${r.source}|${r.from}|${r.to}|${r.ok}`);
    this.rebuilds.push(r);
  }

  /**
   * Records a sample of the cluster's state, which differs from its last one (observe.ts records only changes, so
   * a long run keeps few): `changed` are the nodes whose state differs, the only ones the fingerprint mixes.
   */
  sample(s: ClusterStateSample, changed: readonly NodeState[]): void {
    this.mix(`state|${s.at}|${s.cluster}|${JSON.stringify(changed)}|${JSON.stringify(s.synchronousRequired)}`);
    this.samples.push(s);
  }
}

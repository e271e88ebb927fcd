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
  private readonly lastKey = new Map<string, string>();

  constructor(private readonly mix: (s: string) => void) {}

  plan(p: ClusterPlan): void {
    this.mix(`plan|${p.cluster}|${p.standbys}|${p.synchronous}|${p.walArchive}`);
    this.plans.push(p);
  }

  rebuild(r: RebuildRecord): void {
    this.mix(`rebuild|${r.cluster}|${r.node}|${r.by}|${r.tool}|${r.source}|${r.from}|${r.to}|${r.ok}`);
    this.rebuilds.push(r);
  }

  /** Records the sample when the cluster's state differs from its last one (so a long run keeps few). */
  sample(s: ClusterStateSample): void {
    // Compared field by field first: most recomputations change nothing here, and the key is costly.
    const last = this.last.get(s.cluster);
    if (last && sameState(last, s)) return;
    const key = JSON.stringify([s.nodes, s.synchronousRequired]);
    this.last.set(s.cluster, s);
    if (this.lastKey.get(s.cluster) === key) return;
    this.lastKey.set(s.cluster, key);
    this.mix(`state|${s.at}|${s.cluster}|${key}`);
    this.samples.push(s);
  }

  /** The last sample offered per cluster (recorded or not). */
  private readonly last = new Map<string, ClusterStateSample>();
}

/** Whether two samples hold the same state (what their JSON key would say, without building it). */
function sameState(a: ClusterStateSample, b: ClusterStateSample): boolean {
  if (a.nodes.length !== b.nodes.length) return false;
  for (let i = 0; i < a.nodes.length; i++) {
    const x = a.nodes[i]!;
    const y = b.nodes[i]!;
    if (
      x.name !== y.name ||
      x.run !== y.run ||
      x.role !== y.role ||
      x.tli !== y.tli ||
      x.system !== y.system ||
      x.receiver !== y.receiver ||
      x.reason !== y.reason ||
      x.upstream !== y.upstream ||
      x.follows !== y.follows ||
      x.synchronous !== y.synchronous ||
      x.fatal !== y.fatal
    ) {
      return false;
    }
  }
  // Keys in the same order, as the JSON would have them.
  const ka = Object.keys(a.synchronousRequired);
  const kb = Object.keys(b.synchronousRequired);
  if (ka.length !== kb.length) return false;
  for (let i = 0; i < ka.length; i++) {
    const k = ka[i]!;
    if (k !== kb[i] || a.synchronousRequired[k] !== b.synchronousRequired[k]) return false;
  }
  return true;
}

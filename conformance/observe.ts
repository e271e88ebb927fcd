/**
 * What is observed of each node after each step, on a real server or in the model, and the log messages
 * of ../shared/domain/postgres.md §0 that are compared (LSNs are not: byte positions differ).
 */

export interface NodeObservation {
  /** running, down (stopped by the plan), failed (refused to start / died). */
  readonly state: 'running' | 'down' | 'failed';
  /** null when not running. */
  readonly role: 'primary' | 'standby' | null;
  /** Timeline: a primary's insert timeline, a standby's replay timeline. */
  readonly tli: number;
  /** Steps whose rows the node has completely (null when it cannot be asked: not running). */
  readonly rows: readonly number[] | null;
  /** Steps of which it has some rows but not all. */
  readonly partial: readonly number[];
  /** Informational only (not compared): receiver status, position. */
  readonly info: string;
  /** Normalised §0 log messages printed by this node's startup, walreceiver and postmaster during the step. */
  readonly messages: readonly string[];
  /**
   * Observed but compared only with --compare (the model does not produce all of them yet; see compare.ts
   * COMPARABLE). Absent in recordings made before they were observed.
   */
  /** WAL segment files in pg_wal: how many, and the span in segments from the oldest to the one being written (recycled future segments excluded). */
  readonly wal?: { readonly files: number; readonly span: number } | null;
  /** Replication slots on the node (13+: wal_status and safe_wal_size; before, null). */
  readonly slots?: readonly SlotObservation[] | null;
  /** Every log line of the step per process (startup, walreceiver, walsender, checkpointer, ...), normalised (normaliseLine). */
  readonly lines?: Readonly<Record<string, readonly string[]>>;
}

export interface SlotObservation {
  readonly name: string;
  readonly active: boolean;
  /** restart_lsn as a distance in segments behind the node's WAL end (LSNs differ between the two sides); null: no restart_lsn. */
  readonly restartBehind: number | null;
  readonly walStatus: string | null;
  /** safe_wal_size in whole segments (null: unlimited or before 13). */
  readonly safeSegments: number | null;
}

/** A log line without what differs from run to run or between the two sides: LSNs, segment names, PIDs, times, numbers in sizes. */
export function normaliseLine(text: string): string {
  return text
    .replace(/\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d+)?( [A-Z]{2,5})?/g, '…')
    .replace(/\b[0-9A-F]{1,8}\/[0-9A-F]{1,8}\b/g, '…')
    .replace(/\b[0-9A-F]{24}\b/g, '…')
    .replace(/PID \d+/g, 'PID …')
    .replace(/\d+(\.\d+)? (s|ms|kB|MB)\b/g, '… $2')
    .replace(/"\/[^"]*"/g, '"…"');
}

export interface StepObservation {
  readonly step: number;
  readonly op: string;
  /** Whether the insert of this step was accepted (insert steps only). */
  readonly insertAccepted: boolean | null;
  readonly nodes: Readonly<Record<string, NodeObservation>>;
  /** Real side: the settle wait ran out (the state may still have been moving). */
  readonly note: string | null;
}

/** The messages compared, normalised: timeline numbers kept, LSNs and segment names dropped. */
const PATTERNS: readonly [RegExp, (m: RegExpMatchArray) => string][] = [
  [/End of WAL reached on timeline (\d+) at/, (m) => `End of WAL reached on timeline ${m[1]}`],
  [/fetching timeline history file for timeline (\d+)/, (m) => `fetching timeline history file for timeline ${m[1]}`],
  [/new target timeline is (\d+)/, (m) => `new target timeline is ${m[1]}`],
  [/requested starting point \S+ on timeline (\d+) is not in this server's history/, (m) => `requested starting point … on timeline ${m[1]} is not in this server's history`],
  [/requested starting point \S+ is ahead of the WAL flush position/, () => 'requested starting point … is ahead of the WAL flush position of this server'],
  [/requested timeline (\d+) is not in this server's history/, (m) => `requested timeline ${m[1]} is not in this server's history`],
  [/new timeline (\d+) forked off current database system timeline (\d+) before current recovery point/, (m) => `new timeline ${m[1]} forked off current database system timeline ${m[2]} before current recovery point …`],
  [/new timeline (\d+) is not a child of database system timeline (\d+)/, (m) => `new timeline ${m[1]} is not a child of database system timeline ${m[2]}`],
  [/requested timeline (\d+) is not a child of this server's history/, (m) => `requested timeline ${m[1]} is not a child of this server's history`],
  [/requested timeline (\d+) does not contain minimum recovery point \S+ on timeline (\d+)/, (m) => `requested timeline ${m[1]} does not contain minimum recovery point … on timeline ${m[2]}`],
  [/recovery target timeline (\d+) does not exist/, (m) => `recovery target timeline ${m[1]} does not exist`],
  [/highest timeline (\d+) of the primary is behind recovery timeline (\d+)/, (m) => `highest timeline ${m[1]} of the primary is behind recovery timeline ${m[2]}`],
  [/selected new timeline ID: (\d+)/, (m) => `selected new timeline ID: ${m[1]}`],
  [/requested WAL segment \S+ has already been removed/, () => 'requested WAL segment … has already been removed'],
];

export const COMPARED_MESSAGES: readonly string[] = PATTERNS.map(([re]) => re.source);

/** Processes whose lines count as the node's own (the upstream's walsender errors are the upstream's). */
export const OWN_PROCESSES = new Set(['startup', 'walreceiver', 'postmaster']);

export function messageKeys(text: string): string[] {
  const out: string[] = [];
  for (const [re, key] of PATTERNS) {
    const m = text.match(re);
    if (m) out.push(key(m));
  }
  return out;
}

export type Status = 'primary' | 'follows' | 'stuck' | 'diverged' | 'down' | 'failed';

const DIVERGENCE = /not in this server's history|forked off|is not a child|does not contain minimum recovery point/;

/**
 * A node's status, derived the same way on both sides from comparable observations: a standby follows when
 * it has its upstream's timeline and exactly its upstream's rows; it has diverged when it has rows its
 * upstream lacks or logs a divergence message; otherwise it is stuck (waiting, behind).
 */
export function statusOf(step: StepObservation, node: string, upstream: string | null): Status {
  const o = step.nodes[node]!;
  if (o.state !== 'running') return o.state;
  if (o.role === 'primary') return 'primary';
  const up = upstream === null ? null : step.nodes[upstream];
  if (!up || up.state !== 'running') return o.messages.some((m) => DIVERGENCE.test(m)) ? 'diverged' : 'stuck';
  const mine = new Set(o.rows ?? []);
  const theirs = new Set(up.rows ?? []);
  const same = mine.size === theirs.size && [...mine].every((s) => theirs.has(s)) && o.partial.length === 0;
  if (same && o.tli === up.tli) return 'follows';
  if ([...mine].some((s) => !theirs.has(s)) || o.messages.some((m) => DIVERGENCE.test(m))) return 'diverged';
  return 'stuck';
}

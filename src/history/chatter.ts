/**
 * Server chatter that belongs to no event of its server: the log lines a server writes by itself while nothing
 * else happens (log_checkpoints' lines of a checkpoint the checkpointer started on its own, checkpointer.ts),
 * or in answer to another server (a walsender's ERROR when it refuses a standby's START_REPLICATION, cluster.ts).
 * The reports never show chatter (messages.ts LogLine.chatter); the conformance harness compares it with real
 * servers' logs. Kept apart from the events so that a year of timed checkpoints neither crowds the report's
 * events (History.capEvents) nor changes them; bounded, the most recent kept. Recorded only when asked
 * (`recording`, conformance/model.ts): a year of checkpoints would otherwise cost every run lines nobody reads.
 */
import type { Micros } from '../engine/time.ts';
import { renderLogLine, type LogLine } from '../models/postgres/messages.ts';
import type { SimEvent } from './history.ts';

export interface ChatterEntry {
  readonly at: Micros;
  readonly node: string;
  /** The lines as the server writes them (renderLogLine). */
  readonly log: readonly string[];
  /**
   * Another server's event these lines answer, written again at each of its repeats (a standby's retry loop,
   * whose skipped attempts are counted on its event: retry.ts).
   */
  readonly answers?: SimEvent;
}

/** Until when an entry's lines are written. */
export const lastOf = (c: ChatterEntry): Micros => (c.answers ? Math.max(c.at, c.answers.repeat?.last ?? c.answers.at) : c.at) as Micros;

/** Entries kept; beyond, the oldest quarter is dropped at once (O(1) amortised per entry). */
export const CHATTER_LIMIT = 20_000;

export class ServerChatter {
  readonly entries: ChatterEntry[] = [];
  private readonly lastOfNode = new Map<string, ChatterEntry>();
  /** Whether chatter is kept; writers may skip building their lines when it is not. */
  recording = false;

  add(at: Micros, node: string, lines: readonly LogLine[], answers?: SimEvent): void {
    if (!this.recording || lines.length === 0) return;
    const log = lines.map(renderLogLine);
    const prev = this.lastOfNode.get(node);
    // The same answer to a repeat of the same event: that event's repeats count it.
    if (answers && prev?.answers === answers && prev.log.join('\n') === log.join('\n')) return;
    const entry: ChatterEntry = answers ? { at, node, log, answers } : { at, node, log };
    this.entries.push(entry);
    this.lastOfNode.set(node, entry);
    if (this.entries.length > CHATTER_LIMIT) this.entries.splice(0, Math.floor(CHATTER_LIMIT / 4));
  }
}

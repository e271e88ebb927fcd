/**
 * Facts: what the models record about an event, as data (kinds, nodes, timelines, LSNs, settings, reasons,
 * the rule of the real system it follows). The models write no English: the renderers in src/report/facts turn
 * a fact into text prose, HTML with links and markup, or JSON. One file per model; the union below is every
 * kind a renderer must handle (src/report/facts/templates.ts maps each kind to its template, so a kind without
 * one does not compile).
 *
 * Conventions the renderers and the JSON report rely on: a field named `lsn` or ending in `Lsn` holds a WAL
 * position (written 0/3000000 in the JSON report); a field named `node`, `upstream` or ending in `Node` names
 * a server; `rule` cites the real source (file.c:function) the model follows, where it cites one.
 */
import type { BlockFact } from './block.ts';
import type { PacemakerFact } from './pacemaker.ts';
import type { ReplicationFact } from './replication.ts';
import type { ServerFact } from './server.ts';
import type { StorageFact } from './storage.ts';
import type { WorldFact } from './world.ts';
import type { ManagersFact } from './managers.ts';
// PostgreSQL sessions, vacuum, locks, backups (models/postgres)
import type { BackupFact } from './backup.ts';
import type { LockFact } from './locks.ts';
import type { VacuumFact } from './vacuum.ts';
// why writes fail or wait (write-status intervals)
import type { WriteCauseFact } from './writes.ts';
import type { WriteEndFact } from './write-end.ts';
import type { StallStepFact } from './stall.ts';
import type { StepFact } from './steps.ts';
import type { VerdictStepFact } from './verdicts.ts';
import type { BlockChainFact, LockChainFact, XidChainFact } from './chains.ts';
import type { BlockLossStep } from './block-why.ts';
import type { LogicalFact } from './logical.ts';

export type { BlockFact } from './block.ts';
export type { PacemakerFact } from './pacemaker.ts';
export type { ReplicationFact } from './replication.ts';
export type { ServerFact } from './server.ts';
export type { StorageFact } from './storage.ts';
export type { WorldFact } from './world.ts';
export type { ManagersFact } from './managers.ts';
// PostgreSQL sessions, vacuum, locks, backups (models/postgres)
export type { BackupFact } from './backup.ts';
export type { LockFact } from './locks.ts';
export type { VacuumFact } from './vacuum.ts';
export type { WriteCauseFact } from './writes.ts';
export type { SettingAuthor, WriteEndFact } from './write-end.ts';
export type { StallStepFact } from './stall.ts';
export type { StepFact } from './steps.ts';
export type { VerdictStepFact } from './verdicts.ts';
export type { BlockChainFact, LockChainFact, XidChainFact } from './chains.ts';
export type { BlockLossStep, ConnReason, SbRule } from './block-why.ts';
export type { LogicalFact } from './logical.ts';

/**
 * The real source a fact's behaviour follows, as `file.c:function` (e.g. 'varsup.c:GetNewTransactionId'),
 * checked in the real source; the HTML report shows it, the JSON report carries it.
 */
export type Rule = `${string}.${string}:${string}`;

/**
 * A message given as text (tests, and a report read back from JSON written before facts): no model records one,
 * which the shipped-scenario test checks; cluster.log and history.event take facts only.
 */
export interface ProseFact {
  readonly kind: 'prose';
  readonly text: string;
}

export type Fact = ProseFact | WorldFact | ReplicationFact | ServerFact | StorageFact | BlockFact | PacemakerFact
  // the failover managers
  | ManagersFact
  // PostgreSQL sessions, vacuum, locks, backups (models/postgres)
  | VacuumFact | LockFact | BackupFact
  // why writes fail or wait (write-status intervals)
  | WriteCauseFact | WriteEndFact
  // the steps of a block write stall's back-pressure path
  | StallStepFact
  // the steps of the checkers' cause chains
  | StepFact | VerdictStepFact | BlockChainFact | XidChainFact | LockChainFact | BlockLossStep
  // logical replication between clusters (models/logical)
  | LogicalFact;
export type FactKind = Fact['kind'];
export type FactOf<K extends FactKind> = Extract<Fact, { readonly kind: K }>;

/** The rule a fact cites, if it cites one. */
export function ruleOf(f: Fact): Rule | null {
  return 'rule' in f && typeof f.rule === 'string' ? (f.rule as Rule) : null;
}

/** A fact from the string API. */
export function prose(text: string): ProseFact {
  return { kind: 'prose', text };
}

/**
 * The fact as a canonical string (keys sorted, nested facts included): two facts are the same fact iff their
 * keys are equal. Used to fold identical consecutive events and for the determinism fingerprint.
 */
export function factKey(f: Fact): string {
  return canonical(f);
}

/**
 * A value (a fact, or its JSON form) as a canonical string: object keys sorted, undefined fields left out.
 * Written as loops (no intermediate arrays): every recorded event is keyed by it.
 */
export function canonical(v: unknown): string {
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : 'null';
  if (v === null || typeof v !== 'object') return v === undefined ? 'u' : typeof v === 'boolean' ? String(v) : JSON.stringify(v);
  if (Array.isArray(v)) {
    let s = '[';
    for (let i = 0; i < v.length; i++) {
      if (i > 0) s += ',';
      // A hole reads as nothing, as Array.prototype.join writes it.
      if (i in v) s += canonical(v[i]);
    }
    return `${s}]`;
  }
  const o = v as Record<string, unknown>;
  const keys = Object.keys(o).sort();
  let s = '{';
  let first = true;
  for (const k of keys) {
    const x = o[k];
    if (x === undefined) continue;
    if (!first) s += ',';
    first = false;
    s += `${k}:${canonical(x)}`;
  }
  return `${s}}`;
}

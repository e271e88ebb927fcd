/** The prose of table-lock facts (history/facts/locks.ts). */
import type { LockFact } from '../../../history/facts/locks.ts';
import { p } from '../parts.ts';
import { size } from '../../format.ts';
import type { TemplatesOf } from './types.ts';
import { FAILURE, roundedDuration } from './vacuum.ts';

export const LOCKS: TemplatesOf<LockFact> = {
  'table-missing': (f) => `${f.statement} on ${f.table} failed: the table does not exist`,
  'statement-failed': (f) =>
    p`${f.who} on ${f.table} failed after ${roundedDuration(f.after)}: ${FAILURE[f.failure]}${f.session !== null ? `; session "${f.session}"'s transaction is aborted: its locks and its snapshot are released` : ''}`,
  'statement-locked': (f) =>
    `${f.who} has its ${f.mode} on ${f.table}${f.waited > 0 ? ` after waiting ${roundedDuration(f.waited)}` : ''}${f.duration > 0 ? `; it runs for ${roundedDuration(f.duration)}` : ''}${f.wal ? `${f.duration > 0 ? ' and' : ';'} writes ${size(f.wal)} of WAL` : ''}`,
  'statement-waits-for-snapshots': (f) =>
    `${f.who} on ${f.table} has built its index and waits, holding its lock, for the older transactions of its database to end: ${f.sessions.map((x) => `session "${x}"`).join(', ')}`,
  'lock-acquired-after-wait': (f) => `${f.who} acquired ${f.mode} on ${f.table} after waiting ${roundedDuration(f.waited)}`,
  'lock-still-waiting': (f) => `${f.who} still waits for ${f.mode} on ${f.table}`,
  'autovacuum-cancel-sent': (f) => `${f.by} cancels the autovacuum of ${f.table}`,
};

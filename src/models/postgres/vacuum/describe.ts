/** How a vacuum-model plan step reads in the report's list of events. */
import type { VacuumActionBody } from '../../../scenario/types-vacuum.ts';

export function describeVacuumStep(a: VacuumActionBody): string {
  switch (a.kind) {
    case 'vacuum':
      return `VACUUM${a.freeze ? ' FREEZE' : ''} ${a.table ? `${a.database}.${a.table}` : `(database ${a.database})`}${a.costDelay !== null || a.costLimit !== null ? ` with cost_delay ${a.costDelay === null ? 'default' : `${a.costDelay / 1000} ms`}, cost_limit ${a.costLimit ?? 'default'}` : ''}`;
    case 'ddl':
      return `${a.statement}${a.session ? ` (in session "${a.session}")` : ''}`;
    case 'checkpoint':
      return `CHECKPOINT on ${a.node}`;
    case 'singleUserVacuum':
      return `stop ${a.node} and VACUUM ${a.database ? `database ${a.database}` : 'the database the stop ERROR names'} in single-user mode`;
  }
}

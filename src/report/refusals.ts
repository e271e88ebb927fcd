/**
 * Operations refused or without effect, for the report's `refusals` and its summary: a rehearsal's plan step
 * that silently did nothing (a promotion of a server that is not a standby, pg_ctl start on a data directory
 * still locked, a switchover Patroni dropped or pg_auto_failover's monitor refused) is a finding, however calm the rest of the report.
 */
import type { History } from '../history/history.ts';
import type { Fact } from '../history/facts/index.ts';
import { factJson, factText } from './facts/index.ts';
import type { Clock } from './time.ts';
import type { RefusalJson } from './types.ts';

/** The facts that say an operation was refused or had no effect. */
const REFUSALS: ReadonlySet<Fact['kind']> = new Set<Fact['kind']>([
  'promotion-ignored',
  'promotion-refused',
  'promotion-failed-inconsistent',
  'start-refused-shutting-down',
  'pg-ctl-gave-up',
  'patroni-switchover-refused',
  'patroni-switchover-not-possible',
  'patroni-pause-refused',
  'pgaf-switchover-refused',
  'block-role-refused',
  'cannot-become-primary',
]);

export function refusalsOf(history: History, clock: Clock): RefusalJson[] {
  return history.events
    .filter((e) => REFUSALS.has(e.fact.kind))
    .sort((a, b) => a.at - b.at)
    .map((e) => ({ at: clock.iso(e.at), cluster: e.cluster, node: e.node, message: factText(e.fact), fact: factJson(e.fact, (t) => clock.iso(t)) }));
}

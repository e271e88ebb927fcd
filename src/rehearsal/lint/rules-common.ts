/** What the lint rules share: the Rule shape, times in the plan's clock, a finding, who is synchronous. */
import type { Micros } from '../../engine/time.ts';
import { duration } from '../../report/format.ts';
import { Clock } from '../../report/time.ts';
import type { RecoveryTargetTimeline } from '../../scenario/types.ts';
import { resolveSettings } from '../../models/postgres/settings.ts';
import { syncNameMatches, syncPriority } from '../../models/postgres/guc.ts';
import type { Finding, LintFacts, PgServer, Severity, Where } from './types.ts';

export interface Rule {
  readonly id: string;
  readonly title: string;
  check(f: LintFacts): Finding[];
}

export function timelineText(tt: RecoveryTargetTimeline): string {
  return typeof tt === 'string' ? `'${tt}'` : `${tt.tli}`;
}

/** "at 14:30:10" with a plan's clock; config files have no plan. */
export function at(f: LintFacts, t: Micros): string {
  return f.clock ? new Clock(f.clock.startEpochMs, f.clock.zone).short(t) : `${duration(t / 1e6)} from now`;
}

/** A projected time, to the minute ("about 2024-03-20 20:16"). */
export function about(f: LintFacts, t: Micros): string {
  return at(f, (Math.round(t / 60e6) * 60e6) as Micros).replace(/:00$/, '');
}

export function finding(id: string, severity: Severity, where: Where, message: string, explanation: string, source: string): Finding {
  return { id, severity, where, message, explanation, source };
}

export const byName = (f: LintFacts) => new Map(f.servers.map((s) => [s.name, s]));

/** Whether `s` is named in `up`'s synchronous_standby_names with commits that wait (not off or local). */
export function isSynchronousFor(up: PgServer | undefined, s: PgServer): boolean {
  if (!up) return false;
  const st = resolveSettings(up.version, up.name, up.settings);
  const names = st.synchronousStandbyNames;
  if (!names || st.synchronousCommit === 'off' || st.synchronousCommit === 'local') return false;
  const app = resolveSettings(s.version, s.name, s.settings).applicationName;
  return syncPriority(names, app) > 0;
}

/**
 * Whether `up`'s commits wait for `s` whatever the other standbys do: FIRST n with `s` among the first n
 * names, or ANY n naming no more standbys than n (syncrep.c SyncRepGetSyncStandbys).
 */
export function commitsWaitFor(up: PgServer | undefined, s: PgServer): boolean {
  if (!up || !isSynchronousFor(up, s)) return false;
  const names = resolveSettings(up.version, up.name, up.settings).synchronousStandbyNames!;
  const app = resolveSettings(s.version, s.name, s.settings).applicationName;
  const named = (list: readonly string[]) => list.some((x) => x !== '*' && syncNameMatches(x, app));
  if (names.method === 'any') return names.num >= names.names.length && named(names.names);
  return named(names.names.slice(0, names.num));
}

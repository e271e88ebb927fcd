/**
 * Lint rule on hot-standby conflicts (models/postgres/conflicts.ts): a standby whose replay may wait for its
 * queries for long (max_standby_streaming_delay = -1, or more than five minutes) and that the plan or a failover
 * manager may promote, or whose primary waits for its replay (synchronous_commit = remote_apply). Its received
 * position, which failover managers compare (Patroni: the larger of the received and replayed positions),
 * shows no lag while its replay stands still; the promotion then waits for the replay, and the replay for the
 * queries.
 */
import { duration } from '../../report/format.ts';
import { resolveSettings } from '../../models/postgres/settings.ts';
import type { Finding } from './types.ts';
import { type Rule, byName, finding, isSynchronousFor } from './rules-common.ts';

const SOURCE =
  'PostgreSQL standby.c ResolveRecoveryConflictWithVirtualXIDs and GetStandbyLimitTime (-1: wait for ever), xlogrecovery.c WaitForWALToBecomeAvailable (the promotion trigger is checked once nothing is left to replay); Patroni postgresql/__init__.py _wal_position (the larger of the received and replayed positions); checked on PostgreSQL 15.18 (docs/model-postgres.md, hot-standby conflicts)';

/** Longer than this counts as long: a failover that may wait that long is worth a word. */
const LONG = 5 * 60 * 1e6;

export const standbyQueriesHoldReplay: Rule = {
  id: 'standby-queries-hold-replay',
  title: 'a standby that may be promoted, or whose primary waits for its replay (remote_apply), and whose replay waits long or for ever for its queries',
  check(f) {
    const servers = byName(f);
    const out: Finding[] = [];
    for (const s of f.servers) {
      if (s.role !== 'standby') continue;
      const delay = resolveSettings(s.version, s.name, s.settings).maxStandbyStreamingDelay;
      if (delay !== null && delay <= LONG) continue;
      const managers = f.failover.filter((m) => m.candidates.includes(s.name)).map((m) => m.policy);
      const promoted = f.steps.some((st) => st.kind === 'promote' && st.server === s.name);
      const up = s.upstream !== null ? servers.get(s.upstream) : undefined;
      const remoteApply = up !== undefined && isSynchronousFor(up, s) && resolveSettings(up.version, up.name, up.settings).synchronousCommit === 'remote_apply';
      if (managers.length === 0 && !promoted && !remoteApply) continue;
      const setting = delay === null ? 'max_standby_streaming_delay = -1' : `max_standby_streaming_delay = ${duration(delay / 1e6)}`;
      const holds = delay === null ? 'for as long as the query runs' : `for up to ${duration(delay / 1e6)}`;
      const who = [promoted ? 'the plan promotes it' : null, managers.length > 0 ? `${[...new Set(managers)].join(' and ')} may promote it` : null, remoteApply ? `${up!.name} waits for its replay (synchronous_commit = remote_apply)` : null].filter((x) => x !== null).join('; ');
      out.push(
        finding(
          'standby-queries-hold-replay',
          'warning',
          s.settingWhere('max_standby_streaming_delay'),
          `a query on ${s.name} that conflicts with the WAL it replays (rows it may see removed on the primary by pruning or VACUUM without hot_standby_feedback, an ACCESS EXCLUSIVE lock on a table it read) holds its replay ${holds} (${setting}), and ${who}`,
          `${s.name}'s startup process waits at the conflicting record while its walreceiver goes on receiving: the received position a failover manager compares shows no lag, but ${[
            promoted || managers.length > 0 ? `a promotion of ${s.name} completes only when replay has caught up, so clients have no primary ${holds}` : null,
            remoteApply ? `every commit on ${up!.name} waits ${holds}` : null,
          ]
            .filter((x) => x !== null)
            .join(', and ')}. hot_standby_feedback avoids the snapshot conflicts, not the lock ones. Give the queries to a standby that is not a candidate (Patroni: nofailover), or keep max_standby_streaming_delay short.`,
          SOURCE,
        ),
      );
    }
    return out;
  },
};

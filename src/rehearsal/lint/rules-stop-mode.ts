/**
 * Lint rule on pg_ctl's smart mode (the default up to 9.4, or `mode: smart`): a stop of a primary with client
 * sessions only refuses new connections, and the sessions go on writing until they disconnect
 * (models/postgres/pg-ctl.ts). A standby promoted meanwhile makes two primaries, and what the old one
 * acknowledges after the promotion is lost; a wait longer than pg_ctl's 60 s makes pg_ctl fail and a restart
 * never happen. from-scenario.ts finds the stops and when their sessions end, as the model does.
 */
import { counted, duration, size } from '../../report/format.ts';
import { PG_CTL_TIMEOUT } from '../../models/postgres/drains.ts';
import type { Finding, StepFact } from './types.ts';
import { type Rule, at, byName, finding } from './rules-common.ts';

const SOURCE =
  'PostgreSQL postmaster.c pmdie (SIGTERM: "Wait for children to end their work, then shut down"; connsAllowed = false) and canAcceptConnections ("the database system is shutting down" for new connections only); pg_ctl.c do_stop (waits PGCTLTIMEOUT, 60 s: "server does not shut down", HINT "-m fast"); the 9.5 release notes: "Change pg_ctl\'s default shutdown mode from smart to fast"';

export const smartStopSessions: Rule = {
  id: 'smart-stop-sessions',
  title: 'a smart stop (pg_ctl\'s default up to 9.4) of a primary whose clients stay connected: it goes on taking their writes, and a standby promoted meanwhile splits the brain',
  check(f) {
    const servers = byName(f);
    return f.smartStops.flatMap((st): Finding[] => {
      const server = servers.get(st.server);
      const end = st.until ?? f.clock?.end ?? null;
      const promoted = f.steps.find((d): d is Extract<StepFact, { kind: 'promote' }> => d.kind === 'promote' && d.at >= st.at && (end === null || d.at < end) && servers.get(d.server)?.cluster === st.cluster && d.server !== st.server);
      const waits = st.until === null ? null : st.until - st.at;
      const gaveUp = waits === null || waits > PG_CTL_TIMEOUT;
      if (!promoted && !gaveUp) return [];
      const op = st.restart ? 'restart' : 'stop';
      const mode = st.explicit ? 'mode: smart' : `the default mode of PostgreSQL ${server?.version ?? ''} (smart up to 9.4)`;
      const sessions = st.pools.map((p) => `${counted(p.connections, 'connection')} of ${p.name}`).join(', ');
      const lasts = st.until === null ? 'no later step ends them (route_writes elsewhere, block_clients, or a fast stop)' : `they end with the step at ${at(f, st.until)} (line ${st.endedBy!.line}), ${duration(waits! / 1e6)} later`;
      const intro = `The ${op} at ${at(f, st.at)} uses ${mode}: ${st.server} refuses new connections but waits for the sessions already connected (${sessions}), which go on committing about ${Math.round(st.txPerSecond)} transactions per second; ${lasts}.`;
      const pgCtl = gaveUp ? ` pg_ctl gives up after ${duration(PG_CTL_TIMEOUT / 1e6)} ("server does not shut down")${st.restart ? ', so the server is not restarted' : ''}.` : '';
      const fix = ' Block the clients (block_clients) or route them away before the stop, or stop with mode: fast.';
      if (promoted) {
        const span = (end! - promoted.at) / 1e6;
        const commits = st.txPerSecond * span;
        return [
          finding(
            'smart-stop-sessions',
            'error',
            st.where,
            `${st.server} still takes writes when ${promoted.server} is promoted at ${at(f, promoted.at)}: about ${Math.round(commits).toLocaleString('en-US')} commits acknowledged by ${st.server} are lost`,
            `${intro}${pgCtl} ${promoted.server} is promoted at ${at(f, promoted.at)} (line ${promoted.where.line}) while ${st.server} is still a primary: two primaries, and what ${st.server} acknowledges over the ${duration(span)} after the promotion${st.until === null ? ' (until the end of the plan)' : ''} (about ${Math.round(commits).toLocaleString('en-US')} commits, ${size(st.walBytesPerSecond * span)} of WAL) is on a timeline ${promoted.server} never follows.${fix}`,
            SOURCE,
          ),
        ];
      }
      return [
        finding(
          'smart-stop-sessions',
          'warning',
          st.where,
          `${st.server} does not ${st.restart ? 'restart' : 'stop'}: its smart shutdown waits for its clients' sessions${st.until === null ? ' until the end of the plan' : ` for ${duration(waits! / 1e6)}`}`,
          `${intro}${pgCtl}${fix}`,
          SOURCE,
        ),
      ];
    });
  },
};

/**
 * Lint rule: a statement that rewrites a table or builds an index writes the new relation's pages into the WAL
 * (rewriteheap.c, nbtsort.c log_newpage; a DELETE a record per row), often faster than a standby's line carries.
 * A synchronous standby makes every commit wait behind that WAL (syncrep.c SyncRepWaitForLSN); an asynchronous
 * one falls behind by the excess, which its upstream may remove before it is sent (no slot, no archive) or which
 * fills pg_wal through a slot, up to max_slot_wal_keep_size. The figures are the run's: the statement's WAL and
 * duration as vacuum/operations.ts estimates them, the stream's rate as streamCarries gives it.
 */
import { resolveSettings } from '../../models/postgres/settings.ts';
import { duration, rate, size } from '../../report/format.ts';
import { walRetention } from './retention.ts';
import { type Rule, about, at, byName, commitsWaitFor, finding } from './rules-common.ts';
import { streamCarries, upstreamAt } from './rules-streams.ts';
import type { Finding, Severity } from './types.ts';

const SOURCE =
  'rewriteheap.c raw_heap_insert and nbtsort.c _bt_blwritepage (log_newpage: every page of the new relation), heapam.c heap_delete; syncrep.c SyncRepWaitForLSN; xlog.c KeepLogSeg; docs/model-vacuum.md "The WAL of a rewrite"';

export const statementWalOutrunsStandby: Rule = {
  id: 'statement-wal-outruns-standby',
  title: "a table rewrite, index build or bulk DELETE whose WAL a standby's line cannot carry as fast as it is written",
  check(f) {
    const out: Finding[] = [];
    const servers = byName(f);
    for (const st of f.statements ?? []) {
      const up = servers.get(st.server);
      if (!up) continue;
      const seconds = Math.max(st.seconds, 1e-3);
      const load = f.loads.get(st.cluster)?.walBytesPerSecond ?? 0;
      const inflow = st.wal / seconds + load;
      const upSettings = resolveSettings(up.version, up.name, up.settings);
      const what = `${st.label} at ${at(f, st.at)} writes about ${size(st.wal)} of WAL in ${duration(seconds)}`;
      for (const s of f.servers) {
        if (s.role !== 'standby' || upstreamAt(f, s, st.at) !== up.name) continue;
        const stream = streamCarries(f, up, s, st.at);
        if (!stream || inflow <= stream.rate) continue;
        const carried = stream.rate;
        const sync = commitsWaitFor(up, s);
        // A synchronous standby holds the clients' commits back (their WAL with them); the statement's WAL is not.
        const incoming = sync ? st.wal / seconds : inflow;
        const backlog = Math.max(0, (incoming - carried) * seconds);
        const over = `${s.name}'s stream carries ${rate(carried)}${load > 0 && !sync ? ` beside ${rate(load)} of the clients' WAL` : ''}`;
        const slot = s.slotName !== null || f.slots.some((sl) => sl.server === up.name && sl.kind === 'physical' && sl.droppedAt === null);
        const ret = walRetention(up.version, upSettings, incoming);
        const cutOff: Severity | null = slot ? (upSettings.maxSlotWalKeepSize !== null && backlog > upSettings.maxSlotWalKeepSize ? 'error' : null) : s.restoreCommand ? null : backlog > ret.max ? 'error' : backlog > ret.min ? 'warning' : null;
        const lost = slot
          ? `more than max_slot_wal_keep_size = ${size(upSettings.maxSlotWalKeepSize ?? 0)}: a checkpoint invalidates its slot`
          : `more than ${up.name} ${cutOff === 'error' ? 'keeps' : 'is sure to keep'} (${size(cutOff === 'error' ? ret.max : ret.min)}; ${ret.text})`;
        const cutText = `${s.name} falls up to ${size(backlog)} behind ${up.name} (${what}; ${over}), ${lost}`;
        const rebuild = `Then ${s.name} ${cutOff === 'error' ? 'cannot' : 'may not'} resume streaming and needs a new base backup (a failover to it meanwhile loses what it had not received)`;
        if (sync) {
          // Each commit waits until the standby has the WAL written before it: behind the statement's, which the
          // line delivers in wal / carried (the commits themselves are held meanwhile).
          const wait = st.wal / carried;
          if (cutOff !== null) {
            out.push(finding('statement-wal-outruns-standby', cutOff, st.where, cutText, `${rebuild}, and ${up.name}'s commits wait for it, a synchronous standby, until synchronous_standby_names no longer names it. Use a slot (watch pg_wal's size), keep more WAL (wal_keep_size) or archive it and set restore_command.`, SOURCE));
            continue;
          }
          if (wait * 1e6 < f.stallThreshold) continue;
          out.push(
            finding(
              'statement-wal-outruns-standby',
              'warning',
              st.where,
              `${up.name}'s commits wait behind the WAL of ${st.label}: it writes about ${size(st.wal)} from ${at(f, st.at)} in ${duration(seconds)}, and ${s.name}, a synchronous standby, receives ${rate(carried)}`,
              `Every commit made once it began is confirmed only after ${s.name} has received the WAL written before it: commits wait for up to about ${duration(wait)} (until about ${about(f, (st.at + wait * 1e6) as typeof st.at)}), and the clients' requests queue meanwhile (a write stall). Run it where the line has room, or with ${s.name} out of synchronous_standby_names meanwhile (its commits are then on one server).`,
              SOURCE,
            ),
          );
          continue;
        }
        if (cutOff !== null) {
          out.push(finding('statement-wal-outruns-standby', cutOff, st.where, cutText, `${rebuild}. Use a slot (watch pg_wal's size), keep more WAL (wal_keep_size) or archive it and set restore_command.`, SOURCE));
          continue;
        }
        const catchUp = carried > load ? backlog / (carried - load) : Number.POSITIVE_INFINITY;
        const after = Number.isFinite(catchUp) ? `${s.name} catches up about ${duration(catchUp)} after the statement ends` : `${s.name} does not catch up while the clients write`;
        out.push(
          finding(
            'statement-wal-outruns-standby',
            'info',
            st.where,
            `${s.name} falls up to ${size(backlog)} behind ${up.name} (${what}; ${over})${slot ? `: its slot keeps that much more WAL in ${up.name}'s pg_wal` : ''}`,
            `${after}; until then a failover to ${s.name} loses what it has not received.${slot ? ` Check that ${up.name}'s pg_wal volume holds it.` : ''}`,
            SOURCE,
          ),
        );
      }
    }
    return out;
  },
};

/**
 * The lint rules: static checks of a plan (or of real configuration files) against the rules the models
 * replay, before anything runs. Each reads the facts (types.ts) and the models' own functions: version
 * defaults (resolveSettings), which versions follow a timeline over streaming, the wraparound limits, WAL
 * retention (retention.ts), TCP capacity and the disk queue (solveDisk). docs/rehearsal.md lists the rules.
 */
import type { Micros } from '../../engine/time.ts';
import { canFollowTimelineOverStreaming, formatVersion, resolveSettings } from '../../models/postgres/settings.ts';
import { wraparoundLimits } from '../../models/postgres/xid.ts';
import { count, duration, rate, size } from '../../report/format.ts';
import type { Finding, LintFacts, PgServer, Severity, Where } from './types.ts';
import { type Rule, about, at, byName, finding, isSynchronousFor, timelineText } from './rules-common.ts';
import { promoteBeforeDrained, standbyRetention, startBeforeDrained } from './rules-streams.ts';
import { drbdSendBuffer, resyncHeadroom } from './rules-block.ts';
import { drbdVolatileCache } from './rules-block-cache.ts';
import { failoverCandidateBehind, pgafSwitchoverBehind, switchoverCandidateBehind, switchoverRefused } from './rules-switchover.ts';
import { smartStopSessions } from './rules-stop-mode.ts';
import { failoverSlotUnguarded } from './rules-failover-slots.ts';
import { drbdPromoteBeforeDrained } from './rules-block-switchover.ts';
import { standbyQueriesHoldReplay } from './rules-conflicts.ts';
import { logicalCutover } from './rules-logical.ts';
import { statementWalOutrunsStandby } from './rules-statement-wal.ts';

export type { Rule } from './rules-common.ts';

// ---------------------------------------------------------------------------------------------------------
// 1. A cascading standby that does not follow its upstream's promotion.

/** Whether a standby follows a new timeline of its upstream over streaming. */
function followsPromotion(s: PgServer): { follows: boolean; why: string; where: Where } {
  const settings = resolveSettings(s.version, s.name, s.settings);
  const tt = settings.recoveryTargetTimeline;
  const where = s.settingWhere('recovery_target_timeline');
  const written = settings.recoveryTargetTimelineDefaulted ? `recovery_target_timeline = ${timelineText(tt)} (the ${formatVersion(s.version)} default)` : `recovery_target_timeline = ${timelineText(tt)}`;
  if (!canFollowTimelineOverStreaming(s.version)) return { follows: false, why: `${formatVersion(s.version)} cannot follow a timeline switch over streaming replication at all (9.3 added it)`, where: s.where };
  if (tt !== 'latest') return { follows: false, why: `${written}: it keeps recovering along the timeline it started on`, where };
  return { follows: true, why: written, where };
}

const cascadeCurrent: Rule = {
  id: 'cascade-stays-on-old-timeline',
  title: 'a cascading standby that stays on the old timeline when its upstream is promoted',
  check(f) {
    const servers = byName(f);
    const out: Finding[] = [];
    for (const s of f.servers) {
      if (s.role !== 'standby' || s.upstream === null) continue;
      const up = servers.get(s.upstream);
      if (s.upstreamKnown && up?.role !== 'standby') continue;
      const { follows, why, where } = followsPromotion(s);
      if (follows) continue;
      const promotion = f.steps.find((st) => st.kind === 'promote' && st.server === s.upstream);
      const candidate = f.failover.find((m) => m.candidates.includes(s.upstream!));
      const consequence = `${s.name} stops replicating at the switchpoint without an error it would stop for: it streams nothing of the new timeline, its upstream soon removes the WAL it asks for, and a later failover to ${s.name} loses everything written on the new timeline`;
      const source = "PostgreSQL recovery_target_timeline (default 'current' up to 11, 'latest' from 12: 12 release notes); xlog.c rescanLatestTimeLine; the incidents of docs/incidents/";
      if (promotion) {
        out.push(
          finding('cascade-stays-on-old-timeline', 'error', where, `${s.name} does not follow ${s.upstream}'s promotion at ${at(f, promotion.at)}: ${why}`, `${s.name} replicates from ${s.upstream}, which the plan promotes (${promotion.where.file}:${promotion.where.line}). ${consequence}. Set recovery_target_timeline = 'latest' on ${s.name} (a restart on ${formatVersion(s.version)}), or repoint it to ${s.upstream} after the promotion.`, source),
        );
      } else if (candidate || !s.upstreamKnown || !f.clock) {
        const how = candidate ? `a failover manager (${candidate.policy}) may promote ${s.upstream}` : !s.upstreamKnown ? `if ${s.upstream} is a standby that is promoted (a switchover or a failover)` : `when ${s.upstream} is promoted (a switchover or a failover to it)`;
        const sev: Severity = !f.clock && s.upstreamKnown ? 'error' : 'warning';
        out.push(finding('cascade-stays-on-old-timeline', sev, where, `${s.name} cascades from the standby ${s.upstream} and will not follow its promotion: ${why}`, `${how[0]!.toUpperCase()}${how.slice(1)}: ${consequence}. Set recovery_target_timeline = 'latest'.`, source));
      }
    }
    return out;
  },
};

// ---------------------------------------------------------------------------------------------------------
// 2. A failover candidate that can be far behind, with a manager that does not check lag.

const candidateLag: Rule = {
  id: 'failover-candidate-behind',
  title: 'a failover candidate that can be far behind, with a manager that does not check lag',
  check(f) {
    const servers = byName(f);
    const out: Finding[] = [];
    for (const m of f.failover) {
      const load = f.loads.get(m.cluster);
      if (m.checksLag) {
        // A lag limit only bounds the loss if it is small against what the cluster writes.
        if (m.maximumLag !== null && load && load.walBytesPerSecond > 0 && m.maximumLag / load.walBytesPerSecond > 60) {
          out.push(
            finding('failover-candidate-behind', 'warning', m.where, `maximum_lag_on_failover = ${size(m.maximumLag)} lets ${m.policy} promote a standby ${duration(m.maximumLag / load.walBytesPerSecond)} behind at the peak WAL rate (${rate(load.walBytesPerSecond)})`, `Patroni promotes a replica whose position is within maximum_lag_on_failover of the leader's last known position; at ${rate(load.walBytesPerSecond)} of WAL that is up to ${duration(m.maximumLag / load.walBytesPerSecond)} of acknowledged commits lost, plus what was written during the ttl.`, 'Patroni ha.py is_failover_possible / is_lagging (maximum_lag_on_failover, default 1048576 bytes); docs/model-postgres.md'),
          );
        }
        continue;
      }
      for (const c of m.candidates) {
        const s = servers.get(c);
        if (!s || s.role !== 'standby') continue;
        const up = s.upstream ? servers.get(s.upstream) : undefined;
        const reasons: string[] = [];
        let severe = false;
        if (up?.role === 'standby') {
          const fp = followsPromotion(s);
          reasons.push(`it cascades from ${up.name}, so it trails by ${up.name}'s lag as well as its own`);
          if (!fp.follows && f.steps.some((st) => st.kind === 'promote' && st.server === up.name)) {
            reasons.push(`it stays on the old timeline when the plan promotes ${up.name} (${fp.why}), so from then on it falls behind by everything written`);
            severe = true;
          }
        }
        const down = f.steps.find((st): st is Extract<typeof st, { kind: 'down' }> => st.kind === 'down' && st.server === c);
        if (down) reasons.push(`${down.source === 'plan' ? 'the plan stops' : 'a fault stops'} its replication at ${at(f, down.at)}${down.until !== null ? ` until ${at(f, down.until)}` : ''}`);
        if (!isSynchronousFor(up, s)) reasons.push(`it is asynchronous: nothing bounds how far behind it is when it is promoted`);
        if (reasons.length === 0) continue;
        out.push(
          finding(
            'failover-candidate-behind',
            severe ? 'error' : 'warning',
            m.where,
            `the ${m.policy} failover manager of ${m.cluster}${m.site ? ` at ${m.site}` : ''} may promote ${c} however far behind it is`,
            `${m.policy} promotes the first reachable candidate without comparing its position with the leader's: ${reasons.join('; ')}. Every commit acknowledged past its position is lost. A manager that checks lag (Patroni's maximum_lag_on_failover, pg_auto_failover's election by LSN) refuses such a candidate.`,
            'docs/model-postgres.md (failover managers); Patroni ha.py is_lagging; pg_auto_failover node election by LSN',
          ),
        );
      }
    }
    return out;
  },
};

// ---------------------------------------------------------------------------------------------------------
// 3. A logical slot whose consumer stops and that is never dropped.

const abandonedSlot: Rule = {
  id: 'logical-slot-abandoned',
  title: 'a logical slot whose consumer stops and that is never dropped: projected wraparound dates',
  check(f) {
    const servers = byName(f);
    const out: Finding[] = [];
    for (const slot of f.slots) {
      if (slot.kind !== 'logical' || slot.consumerStopsAt === null) continue;
      const server = servers.get(slot.server);
      const load = f.loads.get(slot.cluster);
      if (!server || !load || load.xidsPerSecond <= 0) continue;
      // A slot on a standby (16+) holds the primary's catalogs only through hot_standby_feedback (xid.ts applies).
      if (server.role === 'standby' && !server.settings.hotStandbyFeedback) continue;
      const stop = slot.consumerStopsAt;
      const { warnAge, stopAge } = wraparoundLimits(server.version);
      const warnAt = (stop + (warnAge / load.xidsPerSecond) * 1e6) as Micros;
      const stopAt = (stop + (stopAge / load.xidsPerSecond) * 1e6) as Micros;
      const settings = resolveSettings(server.version, server.name, server.settings);
      if (slot.droppedAt !== null && slot.droppedAt <= warnAt) {
        // Dropped in time for the limits, but late enough that no anti-wraparound vacuum could freeze past it.
        const ageAtDrop = ((slot.droppedAt - stop) / 1e6) * load.xidsPerSecond;
        const afma = settings.autovacuumFreezeMaxAge;
        if (ageAtDrop > afma) {
          out.push(
            finding('logical-slot-abandoned', 'warning', slot.stopWhere ?? slot.where, `logical slot ${slot.name} holds catalog_xmin from ${at(f, stop)} until ${slot.droppedBy === 'failover' ? `the promotion at ${at(f, slot.droppedAt)} leaves it behind on ${slot.server}` : `it is dropped at ${at(f, slot.droppedAt)}`}: age(datfrozenxid) climbs to about ${count(Math.round(ageAtDrop))}`, `With its consumer stopped the slot's catalog_xmin stays where it was and vacuum cannot freeze past it: from about ${about(f, (stop + (afma / load.xidsPerSecond) * 1e6) as Micros)} (autovacuum_freeze_max_age = ${count(afma)}) anti-wraparound vacuums run and achieve nothing, dead catalog rows pile up, and the ${slot.droppedBy === 'failover' ? 'new primary, which has no copy of the slot, starts with' : 'drop is followed by'} a long aggressive vacuum. Had it stayed, the first wraparound WARNING would come about ${about(f, warnAt)} and writes would stop about ${about(f, stopAt)} (${count(Math.round(load.xidsPerSecond))} XIDs/s at the peak write rate). Drop a slot whose consumer is gone, or alert on its age.`, 'varsup.c SetTransactionIdLimit; autovacuum.c (autovacuum_freeze_max_age); docs/incidents/; docs/model-postgres.md'),
          );
        }
        continue;
      }
      const limit = settings.maxSlotWalKeepSize;
      const where = slot.stopWhere ?? slot.where;
      const dates = `the first wraparound WARNING about ${about(f, warnAt)} (age ${count(warnAge)}), writes stop about ${about(f, stopAt)} (age ${count(stopAge)})`;
      // max_slot_wal_keep_size (13+): an invalidated slot no longer holds the xmin horizon (slot.c
      // ReplicationSlotsComputeRequiredXmin; observed on 13.23 to 16.14, docs/model-postgres.md).
      if (limit !== null && load.walBytesPerSecond > 0) {
        const invalidAt = (stop + (limit / load.walBytesPerSecond) * 1e6) as Micros;
        if (invalidAt < warnAt) {
          out.push(finding('logical-slot-abandoned', 'info', where, `slot ${slot.name} is invalidated about ${about(f, invalidAt)}, before it threatens wraparound`, `max_slot_wal_keep_size = ${size(limit)} is reached after ${duration(limit / load.walBytesPerSecond)} of WAL at ${rate(load.walBytesPerSecond)}; an invalidated slot no longer holds the horizon. Its consumer cannot resume from it and must be re-created.`, 'slot.c InvalidateObsoleteReplicationSlots, ReplicationSlotsComputeRequiredXmin'));
          continue;
        }
      }
      const end = f.clock?.end ?? null;
      const sev: Severity = end !== null && stopAt <= end && (slot.droppedAt === null || slot.droppedAt > stopAt) ? 'error' : 'warning';
      const dropped = slot.droppedAt !== null ? (slot.droppedBy === 'failover' ? ` A promotion leaves it behind only at ${at(f, slot.droppedAt)}.` : ` It is dropped only at ${at(f, slot.droppedAt)}.`) : ' Nothing in the plan drops it.';
      out.push(
        finding(
          'logical-slot-abandoned',
          sev,
          where,
          `logical slot ${slot.name} on ${slot.server} holds catalog_xmin from ${at(f, stop)}: ${dates}`,
          `With its consumer stopped the slot's catalog_xmin stays where it was; vacuum cannot freeze past it, so age(datfrozenxid) climbs one for one with the XIDs the cluster assigns (${count(Math.round(load.xidsPerSecond))}/s at the peak write rate). PostgreSQL ${formatVersion(server.version)} warns ${count(2 ** 31 - 1 - warnAge)} XIDs before wraparound and stops assigning XIDs ${count(2 ** 31 - 1 - stopAge)} before it.${dropped} Dates are projections at that rate from the consumer's stop.`,
          'varsup.c SetTransactionIdLimit (warn and stop limits); slot.c catalog_xmin; docs/incidents/; docs/model-postgres.md',
        ),
      );
    }
    return out;
  },
};


export const RULES: readonly Rule[] = [cascadeCurrent, candidateLag, abandonedSlot, failoverSlotUnguarded, standbyRetention, promoteBeforeDrained, startBeforeDrained, smartStopSessions, switchoverRefused, switchoverCandidateBehind, failoverCandidateBehind, pgafSwitchoverBehind, standbyQueriesHoldReplay, logicalCutover, statementWalOutrunsStandby, drbdSendBuffer, drbdPromoteBeforeDrained, resyncHeadroom, drbdVolatileCache];

const ORDER: Record<Severity, number> = { error: 0, warning: 1, info: 2 };

/** Every rule's findings, errors first, then by file position. */
export function lint(f: LintFacts): Finding[] {
  return RULES.flatMap((r) => r.check(f)).sort((a, b) => ORDER[a.severity] - ORDER[b.severity] || a.where.file.localeCompare(b.where.file) || a.where.line - b.where.line || a.where.column - b.where.column);
}

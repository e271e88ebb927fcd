/**
 * The lint rules: static checks of a plan (or of real configuration files) against the rules the models
 * replay, before anything runs. Each reads the facts (types.ts) and the models' own functions: version
 * defaults (resolveSettings), which versions follow a timeline over streaming, the wraparound limits, WAL
 * retention (retention.ts), TCP capacity and the disk queue (solveDisk). docs/rehearsal.md lists the rules.
 */
import type { Micros } from '../../engine/time.ts';
import { solveDisk, type DiskStream } from '../../models/disk/queue.ts';
import { canFollowTimelineOverStreaming, formatVersion, resolveSettings } from '../../models/postgres/settings.ts';
import { wraparoundLimits } from '../../models/postgres/xid.ts';
import { PG_CTL_TIMEOUT } from '../../models/postgres/drains.ts';
import { alBound } from '../../models/block/activity-log.ts';
import { connectionRate, DEFAULT_TCP_WINDOW, tcpCapacity } from '../../models/tcp/connection.ts';
import { count, duration, percent, rate, size } from '../../report/format.ts';
import { Clock } from '../../report/time.ts';
import type { RecoveryTargetTimeline } from '../../scenario/types.ts';
import type { IoWorkloadSpec } from '../../scenario/types-block.ts';
import { shutdownRetention, walRetention } from './retention.ts';
import type { BlockFacts, Finding, LintFacts, PgServer, Severity, Where, WritePhase } from './types.ts';

export interface Rule {
  readonly id: string;
  readonly title: string;
  check(f: LintFacts): Finding[];
}

function timelineText(tt: RecoveryTargetTimeline): string {
  return typeof tt === 'string' ? `'${tt}'` : `${tt.tli}`;
}

/** "at 14:30:10" with a plan's clock; config files have no plan. */
function at(f: LintFacts, t: Micros): string {
  return f.clock ? new Clock(f.clock.startEpochMs, f.clock.zone).short(t) : `${duration(t / 1e6)} from now`;
}

/** A projected time, to the minute ("about 2024-03-20 20:16"). */
function about(f: LintFacts, t: Micros): string {
  return at(f, (Math.round(t / 60e6) * 60e6) as Micros).replace(/:00$/, '');
}

function finding(id: string, severity: Severity, where: Where, message: string, explanation: string, source: string): Finding {
  return { id, severity, where, message, explanation, source };
}

const byName = (f: LintFacts) => new Map(f.servers.map((s) => [s.name, s]));

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

function isSynchronousFor(up: PgServer | undefined, s: PgServer): boolean {
  if (!up) return false;
  const st = resolveSettings(up.version, up.name, up.settings);
  const names = st.synchronousStandbyNames;
  if (!names || st.synchronousCommit === 'off' || st.synchronousCommit === 'local') return false;
  const app = resolveSettings(s.version, s.name, s.settings).applicationName;
  return names.names.includes('*') || names.names.includes(app);
}

/**
 * Whether `up`'s commits wait for `s` whatever the other standbys do: FIRST n with `s` among the first n
 * names, or ANY n naming no more standbys than n (syncrep.c SyncRepGetSyncStandbys).
 */
function commitsWaitFor(up: PgServer | undefined, s: PgServer): boolean {
  if (!up || !isSynchronousFor(up, s)) return false;
  const names = resolveSettings(up.version, up.name, up.settings).synchronousStandbyNames!;
  const app = resolveSettings(s.version, s.name, s.settings).applicationName;
  if (names.method === 'any') return names.num >= names.names.length && names.names.includes(app);
  return names.names.slice(0, names.num).includes(app);
}

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

/** From 16 an invalidated slot no longer holds the xmin horizon; 13-15 keep it (slot.c ReplicationSlotsComputeRequiredXmin). */
function invalidatedSlotReleasesHorizon(version: number): boolean {
  return version >= 16;
}

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
            finding('logical-slot-abandoned', 'warning', slot.stopWhere ?? slot.where, `logical slot ${slot.name} holds catalog_xmin from ${at(f, stop)} until it is dropped at ${at(f, slot.droppedAt)}: age(datfrozenxid) climbs to about ${count(Math.round(ageAtDrop))}`, `With its consumer stopped the slot's catalog_xmin stays where it was and vacuum cannot freeze past it: from about ${about(f, (stop + (afma / load.xidsPerSecond) * 1e6) as Micros)} (autovacuum_freeze_max_age = ${count(afma)}) anti-wraparound vacuums run and achieve nothing, dead catalog rows pile up, and the drop is followed by a long aggressive vacuum. Had it stayed, the first wraparound WARNING would come about ${about(f, warnAt)} and writes would stop about ${about(f, stopAt)} (${count(Math.round(load.xidsPerSecond))} XIDs/s at the peak write rate). Drop a slot whose consumer is gone, or alert on its age.`, 'varsup.c SetTransactionIdLimit; autovacuum.c (autovacuum_freeze_max_age); docs/incidents/; docs/model-postgres.md'),
          );
        }
        continue;
      }
      const limit = settings.maxSlotWalKeepSize;
      const where = slot.stopWhere ?? slot.where;
      const dates = `the first wraparound WARNING about ${about(f, warnAt)} (age ${count(warnAge)}), writes stop about ${about(f, stopAt)} (age ${count(stopAge)})`;
      if (limit !== null && load.walBytesPerSecond > 0 && invalidatedSlotReleasesHorizon(server.version)) {
        const invalidAt = (stop + (limit / load.walBytesPerSecond) * 1e6) as Micros;
        if (invalidAt < warnAt) {
          out.push(finding('logical-slot-abandoned', 'info', where, `slot ${slot.name} is invalidated about ${about(f, invalidAt)}, before it threatens wraparound`, `max_slot_wal_keep_size = ${size(limit)} is reached after ${duration(limit / load.walBytesPerSecond)} of WAL at ${rate(load.walBytesPerSecond)}; from 16 an invalidated slot no longer holds the horizon. Its consumer cannot resume from it and must be re-created.`, 'slot.c InvalidateObsoleteReplicationSlots, ReplicationSlotsComputeRequiredXmin (16+)'));
          continue;
        }
      }
      const end = f.clock?.end ?? null;
      const sev: Severity = end !== null && stopAt <= end && (slot.droppedAt === null || slot.droppedAt > stopAt) ? 'error' : 'warning';
      const dropped = slot.droppedAt !== null ? ` It is dropped only at ${at(f, slot.droppedAt)}.` : ' Nothing in the plan drops it.';
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

// ---------------------------------------------------------------------------------------------------------
// 4. A standby whose expected lag exceeds what its upstream keeps.

/** A standby's upstream at `t` (the scenario's, or the last repoint's before it); null `t`: the scenario's. */
function upstreamAt(f: LintFacts, s: PgServer, t: Micros | null): string | null {
  if (t === null) return s.upstream;
  const repointed = f.steps.filter((r): r is Extract<typeof r, { kind: 'repoint' }> => r.kind === 'repoint' && r.server === s.name && r.at <= t).at(-1);
  return repointed?.upstream ?? s.upstream;
}

/**
 * What one WAL stream from `up` to `s` carries, as the run gives it: an equal share of the line among the
 * streams on it (the standbys streaming between the same two sites, or within the site), at most one TCP
 * window per round trip (models/postgres/stream-plan.ts shareAmong, tcp/connection.ts connectionRate). Packet
 * loss is a fault, not a static fact. `t`: the topology at that time (repoints), null: the scenario's.
 */
function streamCarries(f: LintFacts, up: PgServer, s: PgServer, t: Micros | null): { rate: number; bound: string; link: NonNullable<ReturnType<LintFacts['linkBetween']>>; sharing: number } | null {
  const link = f.linkBetween(up.site, s.site);
  if (!link) return null;
  const pair = (a: string | null, b: string | null) => [a, b].sort().join('|');
  const key = pair(up.site, s.site);
  const servers = byName(f);
  const sharing = f.servers.filter((x) => {
    const u = x.role === 'standby' ? upstreamAt(f, x, t) : null;
    const us = u !== null ? servers.get(u) : undefined;
    return us !== undefined && pair(us.site, x.site) === key;
  }).length;
  const tcp = connectionRate(link.bandwidth / Math.max(1, sharing), link.latency, link.tcpWindow ?? DEFAULT_TCP_WINDOW, 0);
  return { rate: tcp.rate, bound: tcp.bound, link, sharing: Math.max(1, sharing) };
}

const standbyRetention: Rule = {
  id: 'standby-lag-beyond-retention',
  title: 'a standby whose expected lag exceeds what its upstream keeps (no slot, no archive)',
  check(f) {
    const servers = byName(f);
    const out: Finding[] = [];
    const source = 'xlog.c KeepLogSeg and CreateCheckPoint (wal_keep_size / wal_keep_segments, the redo horizon); walsender.c "requested WAL segment %s has already been removed"';
    for (const s of f.servers) {
      if (s.role !== 'standby' || s.upstream === null || s.restoreCommand || s.slotName !== null) continue;
      const up = servers.get(s.upstream);
      if (!up) continue;
      if (f.slots.some((sl) => sl.server === up.name && sl.kind === 'physical' && sl.droppedAt === null)) continue;
      const load = f.loads.get(s.cluster);
      const upSettings = resolveSettings(up.version, up.name, up.settings);
      if (!load || load.walBytesPerSecond <= 0) {
        if (!f.clock && upSettings.walKeepSize === 0) {
          out.push(finding('standby-lag-beyond-retention', 'warning', s.where, `${s.name} has no replication slot, no restore_command, and ${up.name} keeps no WAL for it (wal_keep_size 0)`, `Without a slot or an archive to restore from, ${s.name} can resume streaming only while ${up.name} still has the segment it stopped in: after a disconnect of about one checkpoint cycle it needs a new base backup. Give the WAL rate (--wal-rate) to compute how long a disconnect it survives.`, source));
        }
        continue;
      }
      const walRate = load.walBytesPerSecond;
      const ret = walRetention(up.version, upSettings, walRate);
      const keeps = `${up.name} keeps ${size(ret.min)} to ${size(ret.max)} of WAL (${ret.text})`;
      const stream = streamCarries(f, up, s, null);
      if (stream) {
        // What a WAL stream gets of the line, as the simulation gives it (streamCarries), so that the lint and
        // the run agree.
        const { link, rate: cap, sharing } = stream;
        const line =
          stream.bound === 'window'
            ? `one TCP connection's ${size(link.tcpWindow ?? DEFAULT_TCP_WINDOW)} window over a ${duration((2 * link.latency) / 1e6)} round trip, ${rate(cap)}`
            : sharing > 1
              ? `a line of ${rate(link.bandwidth)} shared by ${sharing} WAL streams, ${rate(cap)} of it WAL for each (TCP and IP headers take 3%)`
              : `a line of ${rate(link.bandwidth)}, ${rate(cap)} of it WAL (TCP and IP headers take 3%)`;
        if (walRate > cap && commitsWaitFor(up, s)) {
          // A synchronous standby does not fall behind: the primary's commits wait for it, so they go no
          // faster than the line carries and the rest of the clients' requests queue (a write stall).
          out.push(
            finding(
              'sync-standby-line-too-thin',
              'warning',
              s.where,
              `${up.name}'s commits wait for ${s.name}, a synchronous standby, over ${line}: the peak write rate needs ${rate(walRate)}`,
              `${up.name} commits at most ${percent(cap / walRate)} of what its clients send at the peak; the rest queue in their pools (a write stall that lasts while the peak does, and longer while the queue drains).`,
              'syncrep.c SyncRepWaitForLSN; docs/model-postgres.md "Load and connections"',
            ),
          );
          continue;
        }
        if (walRate > cap) {
          const secs = ret.min / (walRate - cap);
          out.push(finding('standby-lag-beyond-retention', 'error', up.settingWhere('wal_keep_size'), `${s.name} cannot keep up with ${up.name}: ${rate(walRate)} of WAL over ${line}; after about ${duration(secs)} ${up.name} has removed what ${s.name} needs`, `The lag grows by ${rate(walRate - cap)}; ${keeps}.`, source));
          continue;
        }
      }
      const downs = f.steps.filter((st): st is Extract<typeof st, { kind: 'down' }> => st.kind === 'down' && st.server === s.name && st.until !== null);
      const periods = f.clock ? downs.map((d) => ({ seconds: (d.until! - d.at) / 1e6, where: d.where, text: `the plan stops its replication from ${at(f, d.at)} to ${at(f, d.until!)}` })) : [{ seconds: f.options.assumedDowntime / 1e6, where: s.where, text: `a disconnect of ${duration(f.options.assumedDowntime / 1e6)} (--downtime)` }];
      for (const p of periods) {
        const lag = walRate * p.seconds;
        if (lag <= ret.min) continue;
        const sev: Severity = lag > ret.max ? 'error' : 'warning';
        out.push(
          finding(
            'standby-lag-beyond-retention',
            sev,
            p.where,
            `${s.name} falls ${size(lag)} behind ${up.name}, more than ${up.name} ${sev === 'error' ? 'keeps' : 'is sure to keep'} (${size(sev === 'error' ? ret.max : ret.min)})`,
            `${p.text[0]!.toUpperCase()}${p.text.slice(1)}: ${duration(p.seconds)} at ${rate(walRate)} of WAL. ${keeps}. Without a replication slot or a restore_command, ${s.name} ${sev === 'error' ? 'cannot' : 'may not'} resume streaming and needs a new base backup; a failover to it loses what it missed. Keep more (wal_keep_size), use a slot (watch pg_wal's size) or archive WAL and set restore_command.`,
            source,
          ),
        );
      }
    }
    return out;
  },
};

// ---------------------------------------------------------------------------------------------------------
// 4b. A standby promoted before its stopped primary's walsender has sent it the WAL it lags behind.

/**
 * How far `s` lags behind its upstream at `until`, projected over the plan: what the walsender has not sent yet
 * grows by what the clients write to the upstream less what the stream carries (nothing while the standby is
 * down), and never falls below nothing (what is on the wire arrives within the one-way latency). Writes blocked
 * or routed away before the stop stop the growth; the stream goes on carrying the backlog.
 */
function projectedLag(writes: readonly WritePhase[], carried: number, standbyDown: readonly { at: Micros; until: Micros | null }[], until: Micros): { lag: number; writing: number } {
  const cuts = new Set<number>([0, until]);
  for (const w of writes) if (w.at < until) cuts.add(w.at);
  for (const d of standbyDown) {
    if (d.at < until) cuts.add(d.at);
    if (d.until !== null && d.until < until) cuts.add(d.until);
  }
  const times = [...cuts].sort((a, b) => a - b);
  const rateAt = (t: number) => writes.filter((w) => w.at <= t).at(-1)?.walBytesPerSecond ?? 0;
  const downAt = (t: number) => standbyDown.some((d) => d.at <= t && (d.until === null || t < d.until));
  let lag = 0;
  for (let i = 0; i + 1 < times.length; i++) {
    const t = times[i]!;
    lag = Math.max(0, lag + (rateAt(t) - (downAt(t) ? 0 : carried)) * ((times[i + 1]! - t) / 1e6));
  }
  // The highest rate before the stop: the checkpoint cycle up to 10 goes by it (shutdownRetention).
  const before = writes.filter((w) => w.at < until).map((w) => w.walBytesPerSecond);
  return { lag, writing: Math.max(0, ...before) };
}

const DRAIN_SOURCE =
  'walsender.c WalSndDone and XLogSendPhysical (a stopping walsender sends everything up to the shutdown checkpoint, waits for the standby to confirm it, and exits; the postmaster exits after it); xlog.c CreateCheckPoint, KeepLogSeg and RemoveOldXlogFiles (what the shutdown checkpoint removes); docs/model-postgres.md, a clean shutdown';

/** A standby a clean shutdown of its primary must send WAL to, as projected at the stop. */
interface ShutdownBacklog {
  readonly standby: PgServer;
  /** What the walsender had not sent at the stop, bytes; the stream's rate; the line it goes over. */
  readonly lag: number;
  readonly carried: number;
  readonly link: NonNullable<ReturnType<LintFacts['linkBetween']>>;
  readonly sharing: number;
  /** Seconds from the stop until the standby has it all (the last byte's one-way trip included). */
  readonly drain: number;
  /** Whether the shutdown checkpoint removes WAL the standby still needs: 'sure', 'maybe' or no. */
  readonly cutOff: 'sure' | 'maybe' | null;
  readonly keeps: ReturnType<typeof shutdownRetention>;
  /** The stream carries nothing while these last (the standby down or partitioned, the link cut). */
  readonly gaps: readonly Extract<LintFacts['steps'][number], { kind: 'down' | 'link-cut' }>[];
  /** "191 MiB behind p at the stop (…)", for explanations. */
  readonly text: string;
}

/**
 * The standbys the clean shutdown `st` of a primary must send WAL to, with their projected backlogs (only
 * those that lag). A synchronous standby does not lag: the primary's commits waited for it; one down or cut
 * off at the stop has no walsender to wait for.
 */
function shutdownBacklogs(f: LintFacts, st: Extract<LintFacts['steps'][number], { kind: 'shutdown' }>): { up: PgServer; backlogs: ShutdownBacklog[] } | null {
  const up = byName(f).get(st.server);
  if (!up) return null;
  const isPrimary = up.role === 'primary' || f.steps.some((p) => p.kind === 'promote' && p.server === up.name && p.at <= st.at);
  if (!isPrimary) return null;
  // A restart of a server already down (stopped, crashed) shuts nothing down: it waits or starts.
  if (f.steps.some((d) => d.kind === 'down' && d.server === up.name && d.action !== 'partition' && d.at < st.at && (d.until === null || d.until >= st.at))) return null;
  const backlogs: ShutdownBacklog[] = [];
  for (const s of f.servers) {
    if (s.role !== 'standby' || upstreamAt(f, s, st.at) !== up.name || commitsWaitFor(up, s)) continue;
    const stream = streamCarries(f, up, s, st.at);
    if (!stream) continue;
    const { link, rate: carried, sharing } = stream;
    const pair = [up.site, s.site].sort().join('|');
    const gaps = f.steps.filter(
      (d): d is Extract<typeof d, { kind: 'down' | 'link-cut' }> => (d.kind === 'down' && (d.server === s.name || (d.server === up.name && d.action === 'partition'))) || (d.kind === 'link-cut' && [...d.sites].sort().join('|') === pair),
    );
    if (gaps.some((d) => d.at <= st.at && (d.until === null || st.at < d.until))) continue;
    const { lag, writing } = projectedLag(f.writes.get(up.name) ?? [], carried, gaps, st.at);
    if (lag < 1) continue;
    const slot = s.slotName !== null || f.slots.some((sl) => sl.server === up.name && sl.kind === 'physical' && sl.droppedAt === null);
    const keeps = shutdownRetention(up.version, resolveSettings(up.version, up.name, up.settings), writing);
    const cutOff = slot || lag <= keeps.min ? null : lag > keeps.max ? 'sure' : 'maybe';
    const text = `${size(lag)} behind ${up.name} at the ${st.restart ? 'restart' : 'stop'} (the clients' WAL less the ${rate(carried)} the stream carries over ${rate(link.bandwidth)}${sharing > 1 ? ` shared by ${sharing} streams` : ''} and a ${duration((2 * link.latency) / 1e6)} round trip, projected over the plan)`;
    backlogs.push({ standby: s, lag, carried, link, sharing, drain: lag / carried + link.latency / 1e6, cutOff, keeps, gaps, text });
  }
  return { up, backlogs };
}

const promoteBeforeDrained: Rule = {
  id: 'promote-before-shutdown-drained',
  title: "a standby promoted before its stopped primary's walsender has sent it the WAL it lags behind, or one the shutdown checkpoint cuts off",
  check(f) {
    const out: Finding[] = [];
    for (const st of f.steps) {
      if (st.kind !== 'shutdown') continue;
      const projected = shutdownBacklogs(f, st);
      if (!projected) continue;
      const { up } = projected;
      const stop = `${st.restart ? 'restart' : 'stop'} of ${up.name} at ${at(f, st.at)}`;
      for (const b of projected.backlogs) {
        const { standby: s, lag, carried, drain, keeps } = b;
        const promotion = f.steps.find((p): p is Extract<typeof p, { kind: 'promote' }> => p.kind === 'promote' && p.server === s.name && p.at >= st.at);
        if (!promotion) continue;
        const gap = (promotion.at - st.at) / 1e6;
        if (b.cutOff) {
          const sure = b.cutOff === 'sure';
          out.push(
            finding(
              'promote-before-shutdown-drained',
              sure ? 'error' : 'warning',
              st.where,
              `the ${stop} ${sure ? 'cuts off' : 'may cut off'} ${s.name}: it lags about ${size(lag)}, more than ${up.name}'s shutdown checkpoint ${sure ? 'can keep' : 'is sure to keep'} (${size(sure ? keeps.max : keeps.min)}); its promotion at ${at(f, promotion.at)} then loses all of it`,
              `${s.name} is ${b.text}. A fast shutdown writes its checkpoint before the walsenders send what is left, and that checkpoint removes the WAL no slot or wal_keep_size keeps (${keeps.text}): ${s.name}'s walsender fails with "requested WAL segment … has already been removed" and the ${size(lag)} never reach ${s.name}${sure ? '' : ' (when the last checkpoint started less than that much WAL before the stop)'}, however long the plan waits before promoting it (${duration(gap)}). ${up.version >= 9.4 ? `Give ${s.name} a physical replication slot (primary_slot_name) or keep` : 'Keep'} more WAL than the lag (${up.version >= 13 ? 'wal_keep_size' : 'wal_keep_segments'}), and promote only once pg_last_wal_receive_lsn() on ${s.name} has reached ${up.name}'s shutdown checkpoint (pg_controldata: Latest checkpoint location).`,
              DRAIN_SOURCE,
            ),
          );
          if (sure) continue;
        }
        const latency = b.link.latency / 1e6;
        // What ends the transfer first: the promotion; a kill of the waiting postmaster (what was on the wire
        // still arrives); a partition of either end or of the link between them (nothing more arrives); the
        // standby's own stop or crash.
        const ender = [...b.gaps, ...f.steps.filter((d): d is Extract<typeof d, { kind: 'down' }> => d.kind === 'down' && d.server === up.name && d.action === 'crash')]
          .filter((d) => (d.kind === 'down' && d.server === up.name ? d.at > st.at : d.at >= st.at) && d.at < promotion.at)
          .sort((x, y) => x.at - y.at)[0];
        const sent = ((ender?.at ?? promotion.at) - st.at) / 1e6;
        if (sent >= drain) continue;
        const killed = ender?.kind === 'down' && ender.action === 'crash' && ender.server === up.name;
        const lost = lag - carried * Math.max(0, killed ? sent : sent - latency);
        const wait = `Wait for pg_ctl stop to return (the postmaster's exit), or compare pg_last_wal_receive_lsn() on ${s.name} with ${up.name}'s shutdown checkpoint (pg_controldata: Latest checkpoint location) before promoting.`;
        const walsender = `A fast shutdown refuses new connections at once, but its walsender goes on sending ${s.name} everything up to the shutdown checkpoint and the postmaster exits only after that, about ${duration(drain)} after the ${st.restart ? 'restart' : 'stop'} began.`;
        if (!ender) {
          out.push(
            finding(
              'promote-before-shutdown-drained',
              'error',
              promotion.where,
              `${s.name} is promoted ${duration(gap)} after the ${stop}, before ${up.name}'s walsender can have sent it the ${size(lag)} it lags (about ${duration(drain)} at ${rate(carried)}): about ${size(lost)} of acknowledged commits are lost`,
              `${s.name} is ${b.text}. ${walsender} Promoted ${duration(gap)} after it, ${s.name} ends recovery without the rest, and ${up.name}'s later WAL forks from the new timeline. ${wait}`,
              DRAIN_SOURCE,
            ),
          );
          continue;
        }
        const what =
          ender.kind === 'link-cut' ? `the cut of the link between ${ender.sites[0]} and ${ender.sites[1]}` : ender.server === up.name ? (killed ? `the kill (crash) of ${up.name}'s waiting postmaster` : `the partition of ${up.name}`) : `the ${ender.action} of ${s.name}`;
        out.push(
          finding(
            'promote-before-shutdown-drained',
            'error',
            ender.where,
            `${what} ${duration(sent)} after the ${stop} ends the transfer of the ${size(lag)} ${s.name} lags (about ${duration(drain)} at ${rate(carried)}): its promotion at ${at(f, promotion.at)} loses about ${size(lost)} of acknowledged commits`,
            `${s.name} is ${b.text}. ${walsender} ${what[0]!.toUpperCase()}${what.slice(1)} ends it before that, and ${s.name} never gets the rest: promoted at ${at(f, promotion.at)}, it ends recovery without it. Let the shutdown finish instead. ${wait}`,
            DRAIN_SOURCE,
          ),
        );
      }
    }
    return out;
  },
};

/**
 * A start or restart of a primary whose postmaster still waits for its walsenders after a clean shutdown. Its
 * data directory is locked until the postmaster exits: `pg_ctl start` tries anyway ("another server might be
 * running"), and the new postmaster exits at once (miscinit.c CreateLockFile: `lock file "postmaster.pid"
 * already exists`); `pg_ctl restart` waits for the exit up to PGCTLTIMEOUT (60 s) and otherwise gives up ("server
 * does not shut down") without starting it (pg_ctl.c do_start, do_restart, wait_for_postmaster_stop). Either way
 * the server stays down. The postmaster exits when its last walsender does: when its standby has everything, is
 * promoted, stops or is cut off (a standby the shutdown checkpoint cut off is not waited for); a kill ends it.
 */
const startBeforeDrained: Rule = {
  id: 'start-before-shutdown-drained',
  title: 'a start or restart of a primary whose postmaster still sends its lagging standbys the WAL they lack',
  check(f) {
    const out: Finding[] = [];
    const source = `${DRAIN_SOURCE}; pg_ctl.c do_start, do_restart and wait_for_postmaster_stop (PGCTLTIMEOUT, 60 s); miscinit.c CreateLockFile`;
    for (const st of f.steps) {
      if (st.kind !== 'shutdown') continue;
      const projected = shutdownBacklogs(f, st);
      if (!projected) continue;
      const { up } = projected;
      const kill = f.steps.find((d): d is Extract<typeof d, { kind: 'down' }> => d.kind === 'down' && d.server === up.name && d.action === 'crash' && d.at > st.at);
      const waits = projected.backlogs
        .filter((b) => b.cutOff !== 'sure')
        .map((b) => {
          const promotion = f.steps.find((p) => p.kind === 'promote' && p.server === b.standby.name && p.at >= st.at);
          const ender = b.gaps.filter((d) => (d.kind === 'down' && d.server === up.name ? d.at > st.at : d.at >= st.at)).sort((x, y) => x.at - y.at)[0];
          return { b, end: Math.min(st.at + b.drain * 1e6, promotion?.at ?? Infinity, ender?.at ?? Infinity, kill?.at ?? Infinity) };
        })
        .sort((x, y) => y.end - x.end);
      const last = waits[0];
      if (!last || last.end <= st.at) continue;
      const exit = last.end;
      const { b } = last;
      const how = (t: number) =>
        `${up.name}'s postmaster, shut down at ${at(f, st.at)}, still waits for its walsender to send ${b.standby.name} the ${size(b.lag)} it lagged (about ${duration((exit - st.at) / 1e6)} at ${rate(b.carried)}, ${duration((exit - t) / 1e6)} more)`;
      const unsure = b.cutOff === 'maybe' ? ` (unless the shutdown checkpoint cut ${b.standby.name} off: ${b.keeps.text})` : '';
      const fix = `Let the transfer end first: wait for pg_ctl stop to return, or block the clients and let ${b.standby.name} catch up before stopping ${up.name}; pg_ctl restart -t (or PGCTLTIMEOUT) can wait longer.`;
      for (const s of f.steps) {
        if (s.kind === 'start' && s.server === up.name && s.at > st.at && s.at < exit) {
          out.push(
            finding(
              'start-before-shutdown-drained',
              b.cutOff === 'maybe' ? 'warning' : 'error',
              s.where,
              `the start of ${up.name} at ${at(f, s.at)} fails and leaves it down: ${how(s.at)}`,
              `${b.standby.name} is ${b.text}. Until the postmaster exits its data directory is locked: pg_ctl start tries anyway ("another server might be running; trying to start server anyway"), the new postmaster exits with FATAL: lock file "postmaster.pid" already exists, and pg_ctl reports "could not start server"${unsure}. ${fix}`,
              source,
            ),
          );
        }
        const restart = s.kind === 'shutdown' && s.restart && s.server === up.name && s.at >= st.at && s.at < exit ? s : null;
        if (restart && exit - restart.at > PG_CTL_TIMEOUT) {
          out.push(
            finding(
              'start-before-shutdown-drained',
              b.cutOff === 'maybe' ? 'warning' : 'error',
              restart.where,
              `the restart of ${up.name} at ${at(f, restart.at)} gives up after ${duration(PG_CTL_TIMEOUT / 1e6)} (PGCTLTIMEOUT) and leaves it down: ${how(restart.at)}`,
              `${b.standby.name} is ${b.text}. pg_ctl restart waits for the postmaster to exit before it starts the server, ${duration(PG_CTL_TIMEOUT / 1e6)} at most; then it prints "server does not shut down" and starts nothing${unsure}. ${fix}`,
              source,
            ),
          );
        }
      }
    }
    return out;
  },
};

// ---------------------------------------------------------------------------------------------------------
// 5 and 6. DRBD: the send buffer of protocol A, and the resync rate against the primary disk's headroom.

/** A workload's write bytes per second. */
function writeBytes(w: IoWorkloadSpec): number {
  return w.iops * (1 - w.readShare) * w.size;
}

/** The workloads of a resource at each time a step changes them (the first entry: at the start). */
function workloadsOverTime(b: BlockFacts, resource: string): { at: Micros; workloads: IoWorkloadSpec[]; where: Where | null }[] {
  let cur = b.workloads.filter((w) => w.resource === resource);
  const out: { at: Micros; workloads: IoWorkloadSpec[]; where: Where | null }[] = [{ at: 0 as Micros, workloads: cur, where: null }];
  for (const st of b.steps) {
    if (st.kind !== 'workload' || !cur.some((w) => w.name === st.workload)) continue;
    cur = cur.map((w) => (w.name !== st.workload ? w : { ...w, ...(st.iops !== undefined ? { iops: st.iops } : {}), ...(st.readShare !== undefined ? { readShare: st.readShare } : {}), ...(st.random !== undefined ? { random: st.random } : {}), ...(st.size !== undefined ? { size: st.size } : {}) }));
    out.push({ at: st.at, workloads: cur, where: st.where });
  }
  return out;
}

const drbdSendBuffer: Rule = {
  id: 'drbd-sndbuf-too-small',
  title: 'DRBD protocol A with on-congestion block and a send buffer holding less than N seconds of peak writes',
  check(f) {
    if (!f.block) return [];
    const out: Finding[] = [];
    for (const r of f.block.resources) {
      const rep = r.spec.replication;
      if (rep.kind !== 'drbd' || rep.net.protocol !== 'A' || rep.net.onCongestion !== 'block') continue;
      const phases = workloadsOverTime(f.block, r.spec.name);
      const bytes = phases.map((p) => p.workloads.reduce((a, w) => a + writeBytes(w), 0));
      const peak = Math.max(0, ...bytes);
      if (peak <= 0) continue;
      const sndbuf = rep.net.sndbufSize;
      // The activity log may hold fewer writes in flight than the send buffer does (models/block/activity-log.ts).
      const al = alBound(rep.disk, phases[bytes.indexOf(peak)]?.workloads ?? []);
      const held = Math.min(sndbuf, al);
      const what = al < sndbuf ? `the activity log (al-extents ${count(rep.disk.alExtents)}) holds ${size(al)} of these writes in flight, less than the ${size(sndbuf)} send buffer: it` : `the ${size(sndbuf)} send buffer`;
      const seconds = held / peak;
      const source = 'DRBD user guide: protocol A, sndbuf-size, on-congestion (block is the default); drbd-tcp-disk.md §2, rules 2, 3 and 8';
      if (r.line) {
        const cap = tcpCapacity({ bandwidth: r.line.bandwidth, latency: r.line.latency, sndbuf, rcvbuf: rep.net.rcvbufSize || Number.POSITIVE_INFINITY });
        if (peak > cap.rate) {
          out.push(finding('drbd-sndbuf-too-small', 'error', r.where, `${r.spec.name}: peak writes of ${rate(peak)} exceed what the connection carries (${rate(cap.rate)}, bound by the ${cap.bound}); ${what} fills in ${duration(held / (peak - cap.rate))} and then every write waits for the line`, `Protocol A completes a write once it is in the TCP send buffer; with on-congestion block a full buffer blocks the application's writes until the line drains it. pull-ahead (with congestion-fill) or a DRBD Proxy buffer lets the primary run ahead instead.`, source));
          continue;
        }
      }
      if (seconds < f.options.minBufferSeconds) {
        out.push(finding('drbd-sndbuf-too-small', 'warning', r.where, `${r.spec.name}: ${what} holds ${duration(seconds)} of peak writes (${rate(peak)}), less than ${duration(f.options.minBufferSeconds)}`, `With protocol A and on-congestion block, any pause of the line or of the peer's disk longer than ${duration(seconds)} (a resync, a backup on the secondary, a RAID initialisation) fills the send buffer and the application's writes block. Raise sndbuf-size, or use on-congestion pull-ahead with congestion-fill, or a DRBD Proxy.`, source));
      }
    }
    return out;
  },
};

/** Application streams on the primary disk, as the block world offers them (open streams by op and pattern). */
function applicationStreams(workloads: readonly IoWorkloadSpec[]): DiskStream[] {
  const out: DiskStream[] = [];
  for (const w of workloads) {
    const reads = w.iops * w.readShare;
    const writes = w.iops * (1 - w.readShare);
    const add = (id: string, op: 'read' | 'write', pattern: 'random' | 'sequential', r: number) => {
      if (r > 0) out.push({ id: `${w.name}|${id}`, label: 'application I/O', io: { op, size: w.size, pattern }, demand: { kind: 'open', rate: r } });
    };
    add('rr', 'read', 'random', reads * w.random);
    add('sr', 'read', 'sequential', reads * (1 - w.random));
    add('rw', 'write', 'random', writes * w.random);
    add('sw', 'write', 'sequential', writes * (1 - w.random));
  }
  return out;
}

/** How a resource's resync goes over the plan: when one runs, at which rate, reading in order or scattered. */
interface ResyncPhase {
  readonly at: Micros;
  readonly rate: number | null;
  readonly pattern: 'sequential' | 'random';
  readonly ioSize: number;
  readonly workloads: readonly IoWorkloadSpec[];
  readonly where: Where;
}

/**
 * The resync periods of a resource, estimated along the plan: the initial full sync of a resource that
 * starts unconnected reads the device in order and goes on where it stopped after a disconnect; once it is
 * done, a disconnect marks what the application writes meanwhile (at most its working set) and the next
 * connect resyncs those blocks, scattered as the writes were (ASSUMPTION: random when most writes are). The
 * amounts move at the resync rate; the model (bitmap.ts, world.ts) replays them exactly.
 */
function resyncPhases(b: BlockFacts, r: BlockFacts['resources'][number]): ResyncPhase[] {
  const rep = r.spec.replication;
  if (rep.kind !== 'drbd') return [];
  const loads = workloadsOverTime(b, r.spec.name);
  let load = loads[0]!.workloads;
  let fixedRate: number | null = rep.disk.cPlanAhead === 0 ? rep.disk.resyncRate : null;
  let progressRate = rep.disk.resyncRate;
  let connected = r.spec.startConnected;
  let full = r.spec.startConnected ? 0 : r.spec.size;
  let dirty = 0;
  let scattered = false;
  let t = 0;
  const out: ResyncPhase[] = [];
  const writes = () => load.reduce((a, w) => a + writeBytes(w), 0);
  const randomShare = () => load.reduce((a, w) => a + w.random * writeBytes(w), 0) / Math.max(1e-9, writes());
  const workingSet = () => load.reduce((a, w) => a + w.workingSet, 0);
  const advance = (to: Micros) => {
    const dt = (to - t) / 1e6;
    if (connected) {
      if (full > 0) full = Math.max(0, full - progressRate * dt);
      else dirty = Math.max(0, dirty - progressRate * dt);
    } else if (full === 0) dirty = Math.min(workingSet(), dirty + writes() * dt);
    t = to;
  };
  const running = () => connected && (full > 0 || dirty > 0);
  const phase = (where: Where) => {
    if (!running()) return;
    const seq = full > 0 || !scattered;
    out.push({ at: t as Micros, rate: fixedRate, pattern: seq ? 'sequential' : 'random', ioSize: seq ? r.spec.maxBioSize : Math.max(4096, ...load.map((w) => w.size)), workloads: load, where });
  };
  for (const st of b.steps) {
    if ('resource' in st && st.resource !== r.spec.name) continue;
    advance(st.at);
    if (st.kind === 'connect') {
      if (!connected && full === 0 && dirty > 0) scattered = randomShare() > 0.5;
      connected = true;
      phase(st.where);
    } else if (st.kind === 'disconnect') connected = false;
    else if (st.kind === 'resync-rate') {
      fixedRate = (st.planAhead ?? (fixedRate === null ? 1 : 0)) === 0 ? st.rate : null;
      progressRate = st.rate;
      phase(st.where);
    } else {
      const l = loads.find((x) => x.where === st.where);
      if (!l) continue;
      load = l.workloads;
      phase(st.where);
    }
  }
  return out;
}

/**
 * The application's mean write latency on its disk with a resync beside it: the resync as the block world
 * offers it (world.ts resyncDemand: a closed stream of at most max-buffers/2 pages in flight, capped at the
 * resync rate, with the round trip outside the disk), solved with the disk model (solveDisk).
 */
function appWriteLatency(disk: NonNullable<BlockFacts['resources'][number]['primaryDisk']>, workloads: readonly IoWorkloadSpec[], resync: { rate: number; size: number; pattern: 'sequential' | 'random'; window: number; rtt: number } | null): number {
  const app = applicationStreams(workloads);
  const streams = resync ? [...app, { id: 'rs', label: 'resync reads', io: { op: 'read' as const, size: resync.size, pattern: resync.pattern }, demand: { kind: 'closed' as const, window: resync.window, maxRate: resync.rate / resync.size, extraDelay: resync.rtt } }] : app;
  const sol = solveDisk({ spec: disk, streams, shares: [] });
  let worst = 0;
  for (const st of app) if (st.io.op === 'write') worst = Math.max(worst, sol.overloaded ? Number.POSITIVE_INFINITY : sol.streams.get(st.id)!.latency);
  return worst;
}

const resyncHeadroom: Rule = {
  id: 'resync-rate-above-headroom',
  title: "a resync rate above the primary disk's headroom for the workload's random share",
  check(f) {
    if (!f.block) return [];
    const out: Finding[] = [];
    const threshold = f.stallThreshold / 1e6;
    for (const r of f.block.resources) {
      const rep = r.spec.replication;
      if (!r.primaryDisk || rep.kind !== 'drbd') continue;
      const disk = r.primaryDisk;
      const window = (rep.net.maxBuffers / 2) * 4096;
      const rtt = r.line ? (2 * r.line.latency) / 1e6 : 0;
      for (const p of resyncPhases(f.block, r)) {
        if (p.rate === null || p.rate <= 0) continue;
        const alone = appWriteLatency(disk, p.workloads, null);
        const resync = (rate: number) => ({ rate, size: p.ioSize, pattern: p.pattern, window, rtt });
        const latency = appWriteLatency(disk, p.workloads, resync(p.rate));
        if (alone > threshold || latency <= threshold) continue;
        // The headroom: the largest rate that keeps the application's writes under the stall threshold.
        let lo = 0;
        let hi = p.rate;
        for (let k = 0; k < 40; k++) {
          const mid = (lo + hi) / 2;
          if (appWriteLatency(disk, p.workloads, resync(mid)) <= threshold) lo = mid;
          else hi = mid;
        }
        const iops = p.workloads.reduce((a, w) => a + w.iops, 0);
        const randomWrites = p.workloads.reduce((a, w) => a + w.random * writeBytes(w), 0) / Math.max(1e-9, p.workloads.reduce((a, w) => a + writeBytes(w), 0));
        out.push(
          finding(
            'resync-rate-above-headroom',
            'error',
            p.where,
            `${r.spec.name}: a resync at ${rate(p.rate)} from ${at(f, p.at)} leaves ${disk.name} room for the application's ${count(Math.round(iops))} I/O/s (${percent(randomWrites)} of writes random) only below ${rate(lo)} of ${p.pattern} resync reads`,
            `With the resync the application's writes wait ${Number.isFinite(latency) ? `${duration(latency)} on average` : 'without bound (the disk is overloaded)'} on ${disk.name}, against ${duration(alone)} without it and a stall threshold of ${duration(threshold)}. The resync reads ${size(p.ioSize)} at a time${p.pattern === 'random' ? ' (the blocks dirtied while disconnected, scattered as the random writes were)' : ' (a full sync reads in order)'}, up to ${size(window)} in flight. Lower resync-rate to the headroom, or use the dynamic controller with c-min-rate so application I/O throttles the resync.`,
            'drbd-tcp-disk.md §3.4-3.6 and §7.4 (M/G/1 per member, rules 9, 14 and 18); DRBD user guide: resync-rate, c-plan-ahead, c-min-rate',
          ),
        );
      }
    }
    return out;
  },
};

export const RULES: readonly Rule[] = [cascadeCurrent, candidateLag, abandonedSlot, standbyRetention, promoteBeforeDrained, startBeforeDrained, drbdSendBuffer, resyncHeadroom];

const ORDER: Record<Severity, number> = { error: 0, warning: 1, info: 2 };

/** Every rule's findings, errors first, then by file position. */
export function lint(f: LintFacts): Finding[] {
  return RULES.flatMap((r) => r.check(f)).sort((a, b) => ORDER[a.severity] - ORDER[b.severity] || a.where.file.localeCompare(b.where.file) || a.where.line - b.where.line || a.where.column - b.where.column);
}

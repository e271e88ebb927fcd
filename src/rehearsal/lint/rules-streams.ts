/**
 * Lint rules on WAL streams: a standby whose expected lag exceeds what its upstream keeps, and a clean shutdown
 * whose walsenders still send a lagging standby its backlog when the plan promotes, starts or restarts (drains.ts).
 */
import type { Micros } from '../../engine/time.ts';
import { resolveSettings } from '../../models/postgres/settings.ts';
import { PG_CTL_TIMEOUT } from '../../models/postgres/drains.ts';
import { connectionRate, DEFAULT_TCP_WINDOW } from '../../models/tcp/connection.ts';
import { duration, percent, rate, size } from '../../report/format.ts';
import { shutdownRetention, walRetention } from './retention.ts';
import type { Finding, LintFacts, PgServer, Severity, WritePhase } from './types.ts';
import { type Rule, about, at, byName, commitsWaitFor, finding } from './rules-common.ts';

// ---------------------------------------------------------------------------------------------------------
// 4. A standby whose expected lag exceeds what its upstream keeps.

/** A standby's upstream at `t` (the scenario's, or the last repoint's before it); null `t`: the scenario's. */
export function upstreamAt(f: LintFacts, s: PgServer, t: Micros | null): string | null {
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
export function streamCarries(f: LintFacts, up: PgServer, s: PgServer, t: Micros | null): { rate: number; bound: string; link: NonNullable<ReturnType<LintFacts['linkBetween']>>; sharing: number } | null {
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
  // The standby's walreceiver takes WAL no faster than its disk writes it (stream-plan.ts connectionOf).
  if (s.diskThroughput != null && s.diskThroughput < tcp.rate) return { rate: s.diskThroughput, bound: 'disk', link, sharing: Math.max(1, sharing) };
  return { rate: tcp.rate, bound: tcp.bound, link, sharing: Math.max(1, sharing) };
}

export const standbyRetention: Rule = {
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
          stream.bound === 'disk'
            ? `${s.name}'s disk, which writes ${rate(cap)} (disk_throughput)`
            : stream.bound === 'window'
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
export function projectedLag(writes: readonly WritePhase[], carried: number, standbyDown: readonly { at: Micros; until: Micros | null }[], until: Micros): { lag: number; writing: number } {
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

export const DRAIN_SOURCE =
  'walsender.c WalSndDone and XLogSendPhysical (a stopping walsender sends everything up to the shutdown checkpoint, waits for the standby to confirm it, and exits; the postmaster exits after it); xlog.c CreateCheckPoint, KeepLogSeg and RemoveOldXlogFiles (what the shutdown checkpoint removes); docs/model-postgres.md, a clean shutdown';

/** A standby a clean shutdown of its primary must send WAL to, as projected at the stop. */
export interface ShutdownBacklog {
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

/** How far one standby lags behind its upstream at a time, projected over the plan, with what its stream carries. */
export interface StreamLag {
  /** Bytes the walsender has not sent; the highest write rate before (for the checkpoint cycle up to 10). */
  readonly lag: number;
  readonly writing: number;
  /** What the stream carries (bytes/s), over what line, shared by how many streams. */
  readonly carried: number;
  readonly link: NonNullable<ReturnType<LintFacts['linkBetween']>>;
  readonly sharing: number;
  /** The stream carries nothing while these last (the standby down or partitioned, the upstream partitioned, the link cut). */
  readonly gaps: readonly Extract<LintFacts['steps'][number], { kind: 'down' | 'link-cut' }>[];
}

/**
 * How far `s` lags behind the primary `up` at `t` (projectedLag over what the stream carries); a standby
 * whose commits `up` waits for lags nothing. Null where the lint cannot tell: `s` does not stream from `up` at
 * `t`, no line is known between them, or the stream is cut at `t` (the standby down or partitioned, the link cut).
 */
export function streamLagAt(f: LintFacts, up: PgServer, s: PgServer, t: Micros): StreamLag | null {
  if (s.role !== 'standby' || upstreamAt(f, s, t) !== up.name) return null;
  const stream = streamCarries(f, up, s, t);
  if (!stream) return null;
  const { link, rate: carried, sharing } = stream;
  const pair = [up.site, s.site].sort().join('|');
  const gaps = f.steps.filter(
    (d): d is Extract<typeof d, { kind: 'down' | 'link-cut' }> => (d.kind === 'down' && (d.server === s.name || (d.server === up.name && d.action === 'partition'))) || (d.kind === 'link-cut' && [...d.sites].sort().join('|') === pair),
  );
  if (gaps.some((d) => d.at <= t && (d.until === null || t < d.until))) return null;
  const { lag, writing } = commitsWaitFor(up, s) ? { lag: 0, writing: 0 } : projectedLag(f.writes.get(up.name) ?? [], carried, gaps, t);
  return { lag, writing, carried, link, sharing, gaps };
}

/**
 * The standbys the clean shutdown `st` of a primary must send WAL to, with their projected backlogs (only
 * those that lag). A synchronous standby does not lag: the primary's commits waited for it; one down or cut
 * off at the stop has no walsender to wait for.
 */
export function shutdownBacklogs(f: LintFacts, st: Extract<LintFacts['steps'][number], { kind: 'shutdown' }>): { up: PgServer; backlogs: ShutdownBacklog[] } | null {
  const up = byName(f).get(st.server);
  if (!up) return null;
  const isPrimary = up.role === 'primary' || f.steps.some((p) => p.kind === 'promote' && p.server === up.name && p.at <= st.at);
  if (!isPrimary) return null;
  // A restart of a server already down (stopped, crashed) shuts nothing down: it waits or starts.
  if (f.steps.some((d) => d.kind === 'down' && d.server === up.name && d.action !== 'partition' && d.at < st.at && (d.until === null || d.until >= st.at))) return null;
  const backlogs: ShutdownBacklog[] = [];
  for (const s of f.servers) {
    const projected = streamLagAt(f, up, s, st.at);
    if (!projected) continue;
    const { lag, writing, carried, link, sharing, gaps } = projected;
    if (lag < 1) continue;
    const slot = s.slotName !== null || f.slots.some((sl) => sl.server === up.name && sl.kind === 'physical' && sl.droppedAt === null);
    const keeps = shutdownRetention(up.version, resolveSettings(up.version, up.name, up.settings), writing);
    const cutOff = slot || lag <= keeps.min ? null : lag > keeps.max ? 'sure' : 'maybe';
    const text = `${size(lag)} behind ${up.name} at the ${st.restart ? 'restart' : 'stop'} (the clients' WAL less the ${rate(carried)} the stream carries over ${rate(link.bandwidth)}${sharing > 1 ? ` shared by ${sharing} streams` : ''} and a ${duration((2 * link.latency) / 1e6)} round trip, projected over the plan)`;
    backlogs.push({ standby: s, lag, carried, link, sharing, drain: lag / carried + link.latency / 1e6, cutOff, keeps, gaps, text });
  }
  return { up, backlogs };
}

export const promoteBeforeDrained: Rule = {
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
export const startBeforeDrained: Rule = {
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

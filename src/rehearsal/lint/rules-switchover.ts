/**
 * Lint rules on a Patroni switchover step (`patronictl switchover --force`): one patronictl or the leader's REST
 * API refuses for the names (ctl.py _do_failover_or_switchover, api.py is_failover_possible), one the leader
 * refuses for the candidates' lag (ha.py process_manual_failover_from_leader, is_failover_possible: within
 * maximum_lag_on_failover of /status), and one it allows whose graceful demotion leaves the cluster without a
 * primary while the fast stop sends lagging standbys their backlog (ha.py demote: the leader key is released
 * one second after the shutdown checkpoint if a candidate has it, otherwise once PostgreSQL has stopped;
 * walsender.c WalSndDone). models/managers/patroni.ts replays the same rules.
 */
import type { Micros } from '../../engine/time.ts';
import { duration, rate, settingSize, size } from '../../report/format.ts';
import type { FailoverFact, Finding, LintFacts, PgServer, StepFact, WritePhase } from './types.ts';
import { type Rule, at, byName, finding } from './rules-common.ts';
import { DRAIN_SOURCE, type StreamLag, shutdownBacklogs, streamLagAt } from './rules-streams.ts';
import { ON_SHUTDOWN_WAIT as ON_SHUTDOWN_WAIT_US } from '../../models/managers/patroni.ts';

type Switchover = Extract<StepFact, { kind: 'switchover' }>;

/**
 * ha.py demote('graceful') on_shutdown: once pg_control says "shut down" (the shutdown checkpoint is written),
 * it sleeps a second ("give replicas some more time to catch up") and releases the key if a candidate has the
 * checkpoint; otherwise the key goes once PostgreSQL has stopped (models/managers/patroni.ts ON_SHUTDOWN_WAIT).
 */
const ON_SHUTDOWN_WAIT = ON_SHUTDOWN_WAIT_US / 1e6;

const REQUEST_SOURCE = 'Patroni ctl.py _do_failover_or_switchover ("Member … is not the leader of cluster …", "Member … is already the leader of cluster …"); api.py do_POST_failover, is_failover_possible ("no good candidates have been found", "candidate name does not match with sync_standby")';
const LAG_SOURCE = 'Patroni ha.py process_manual_failover_from_leader and is_failover_possible (a candidate more than maximum_lag_on_failover behind /status last_lsn "exceeds maximum replication lag"; none left: "no healthy members found, switchover is not possible", the /failover key is cleaned up), is_lagging (cluster.status.last_lsn, written by the leader every loop_wait)';

/** WAL the clients write to the leader from `from` to `until` (the phases' rates over the span). */
function written(phases: readonly WritePhase[], from: number, until: number): number {
  let total = 0;
  phases.forEach((p, i) => {
    const end = Math.min(until, phases[i + 1]?.at ?? Infinity);
    const start = Math.max(from, p.at);
    if (end > start) total += (p.walBytesPerSecond * (end - start)) / 1e6;
  });
  return total;
}

/**
 * Whether something before `t` (since `since`) may have moved Patroni's leader key where the lint cannot follow
 * it: a promotion of a member, a crash or partition of the leader, a cut of a link from its site.
 */
function leaderMayHaveMoved(f: LintFacts, members: ReadonlySet<string>, leader: PgServer, since: number, t: number): boolean {
  return f.steps.some(
    (d) =>
      d.at >= since &&
      d.at < t &&
      ((d.kind === 'promote' && members.has(d.server)) || (d.kind === 'down' && d.server === leader.name && d.action !== 'stop') || (d.kind === 'link-cut' && leader.site !== null && d.sites.includes(leader.site))),
  );
}

export const switchoverRefused: Rule = {
  id: 'switchover-refused',
  title: 'a Patroni switchover patronictl refuses for its names: a leader that is not the leader, a candidate that is, or no candidate that may promote',
  check(f) {
    return switchovers(f).flatMap((x) => (x.refused ? [x.refused] : []));
  },
};

export const switchoverCandidateBehind: Rule = {
  id: 'switchover-candidate-behind',
  title: "a Patroni switchover the leader refuses for its candidate's lag, or one that leaves the cluster without a primary while the old one sends the candidate its backlog",
  check(f) {
    return switchovers(f).flatMap((x) => (x.lag ? [x.lag] : []));
  },
};

const FAILOVER_SOURCE =
  'Patroni ctl.py _do_failover_or_switchover (failover: a candidate, no leader needed), api.py do_POST_failover and is_failover_possible (no lag check), ha.py manual_failover_process_no_leader ("manual failover/switchover to me": the candidate takes the key without the lag check)';

/**
 * patronictl failover --candidate C with the leader lost (crashed or partitioned, as the plan has it, and not back):
 * C takes the leader key without the lag check, and what it had not received when the leader was lost is gone.
 * With the leader up it is a switchover the leader checks, which this rule leaves alone.
 */
export const failoverCandidateBehind: Rule = {
  id: 'failover-candidate-behind',
  title: 'a patronictl failover with no leader to a candidate that lagged when the leader was lost: it takes the key without the lag check, and its lag is lost',
  check(f) {
    const out: Finding[] = [];
    const servers = byName(f);
    for (const m of f.failover) {
      if (m.policy !== 'patroni') continue;
      const leader = f.servers.find((s) => s.cluster === m.cluster && s.role === 'primary');
      if (!leader) continue;
      for (const st of f.steps) {
        if (st.kind !== 'switchover' || st.action !== 'failover' || st.cluster !== m.cluster || st.candidate === null) continue;
        // Only the plan's first leader, lost before the step and not back; a promotion before it moves the leader.
        if (f.steps.some((d) => d.kind === 'promote' && d.at < st.at && servers.get(d.server)?.cluster === m.cluster)) continue;
        const lost = f.steps.find((d): d is Extract<StepFact, { kind: 'down' }> => d.kind === 'down' && d.server === leader.name && d.action !== 'stop' && d.at < st.at && (d.until === null || d.until > st.at));
        const candidate = servers.get(st.candidate);
        if (!lost || !candidate) continue;
        const lag = streamLagAt(f, leader, candidate, (lost.at - 1) as Micros);
        if (!lag || lag.lag < 1) continue;
        out.push(
          finding(
            'failover-candidate-behind',
            'error',
            st.where,
            `the failover to ${st.candidate} at ${at(f, st.at)} loses about ${size(lag.lag)} of acknowledged commits: with ${leader.name} lost at ${at(f, lost.at)}, ${st.candidate} takes the leader key without the lag check`,
            `${candidate.name} lagged about ${size(lag.lag)} behind ${leader.name} when ${leader.name} was lost (the clients' WAL less the ${rate(lag.carried)} its stream carries over ${rate(lag.link.bandwidth)}${lag.sharing > 1 ? ` shared by ${lag.sharing} streams` : ''}, projected over the plan). With no leader, patronictl failover writes the /failover key through ${candidate.name}'s REST API, which checks only that it answers and may promote, and ${candidate.name} takes the key at once, however far behind (maximum_lag_on_failover = ${m.maximumLag !== null ? settingSize(m.maximumLag) : 'unset'} is not looked at): what ${leader.name} acknowledged beyond ${candidate.name}'s position is lost. Fail over to the most advanced member, or get ${leader.name}'s WAL back first.`,
            FAILOVER_SOURCE,
          ),
        );
      }
    }
    return out;
  },
};

/** Each Patroni switchover step of the plan with what each rule finds in it, following the leader from one to the next. */
function switchovers(f: LintFacts): { step: Switchover; refused?: Finding; lag?: Finding }[] {
  const servers = byName(f);
  const out: { step: Switchover; refused?: Finding; lag?: Finding }[] = [];
  for (const m of f.failover) {
    const p = m.patroni;
    if (!p || m.policy !== 'patroni') continue;
    const members = f.servers.filter((s) => s.cluster === m.cluster);
    const names = new Set(members.map((s) => s.name));
    const steps = f.steps.filter((s): s is Switchover => s.kind === 'switchover' && s.action === 'switchover' && s.cluster === m.cluster).sort((a, b) => a.at - b.at);
    // The leader as the plan has it (null: the lint cannot tell), and whether the topology is still the scenario's.
    let leader: PgServer | null = members.find((s) => s.role === 'primary') ?? null;
    let original = true;
    let since = 0;
    for (const st of steps) {
      if (leader && leaderMayHaveMoved(f, names, leader, since, st.at)) leader = null;
      since = st.at;
      if (!leader) continue;
      const refused = refusedByName(f, m, st, leader);
      if (refused) {
        out.push({ step: st, refused });
        continue;
      }
      const next = st.candidate !== null ? (servers.get(st.candidate) ?? null) : null;
      // In synchronous mode the leader checks only the synchronous standbys, whose commits it waited for (no lag);
      // which ones /sync names the lint does not know, so neither whether the REST API accepts the candidate. In
      // quorum mode every member may be a candidate and the lag check applies as without synchronous mode
      // (ha.py get_failover_candidates: "we want to check all nodes (even not voters)"; is_failover_possible).
      if (p.synchronousMode && !p.quorumCommit) {
        leader = null;
        continue;
      }
      // After a first switchover the members follow the new leader, which the facts' topology does not have.
      if (!original) {
        leader = next;
        continue;
      }
      const verdict = lagVerdict(f, m, st, leader, members);
      if (verdict.finding) out.push({ step: st, lag: verdict.finding });
      if (verdict.outcome === 'refused') continue;
      leader = verdict.outcome === 'allowed' ? next : null;
      original = false;
    }
  }
  return out;
}

/** patronictl's and the REST API's checks of the names (ctl.py _do_failover_or_switchover, api.py is_failover_possible). */
function refusedByName(f: LintFacts, m: FailoverFact, st: Switchover, leader: PgServer): Finding | undefined {
  const p = m.patroni!;
  const when = `at ${at(f, st.at)}`;
  const nothing = `patronictl prints the error and exits; nothing changes (the run lists it among the refused operations)`;
  if (st.leader !== null && st.leader !== leader.name) {
    return finding('switchover-refused', 'error', st.where, `patronictl refuses the switchover ${when}: ${st.leader} is not the leader of ${m.cluster} (${leader.name} is, as the plan has it then)`, `patronictl checks --leader against the leader key in the DCS ("Member ${st.leader} is not the leader of cluster ${m.cluster}"): ${nothing}. Name the leader the plan has then, or leave --leader out.`, REQUEST_SOURCE);
  }
  if (st.candidate === leader.name) {
    return finding('switchover-refused', 'error', st.where, `patronictl refuses the switchover ${when}: ${st.candidate} is already the leader of ${m.cluster}`, `patronictl checks the candidate against the leader key ("Member ${st.candidate} is already the leader of cluster ${m.cluster}"): ${nothing}.`, REQUEST_SOURCE);
  }
  if (st.candidate !== null && p.synchronousMode && !p.quorumCommit && p.nosync.includes(st.candidate)) {
    return finding('switchover-refused', 'error', st.where, `the switchover ${when} is refused: in synchronous mode its candidate ${st.candidate}, tagged nosync, is never a synchronous standby`, `In synchronous mode the leader's REST API accepts only a candidate /sync names ("candidate name does not match with sync_standby"), and Patroni never chooses a nosync member: ${nothing}.`, REQUEST_SOURCE);
  }
  if (st.candidate !== null && p.nofailover.includes(st.candidate)) {
    return finding('switchover-refused', 'error', st.where, `the switchover ${when} is refused: its candidate ${st.candidate} is tagged nofailover`, `The leader's REST API answers POST /switchover with 412 "switchover is not possible: no good candidates have been found" (a nofailover member may not promote): ${nothing}.`, REQUEST_SOURCE);
  }
  // The REST API polls the candidate (with none, every other member): one partitioned away does not answer.
  const partitioned = (name: string) => f.steps.some((d) => d.kind === 'down' && d.action === 'partition' && d.server === name && d.at < st.at && (d.until === null || st.at < d.until));
  if (st.candidate !== null && partitioned(st.candidate)) {
    return finding('switchover-refused', 'error', st.where, `the switchover ${when} is refused: its candidate ${st.candidate} is partitioned and does not answer the leader`, `The leader's REST API polls the candidate before it writes the /failover key; one that does not answer may not promote ("switchover is not possible: no good candidates have been found", 412): ${nothing}.`, REQUEST_SOURCE);
  }
  if (st.candidate === null && (!p.synchronousMode || p.quorumCommit)) {
    const others = f.servers.filter((s) => s.cluster === m.cluster && s.name !== leader.name);
    if (others.length > 0 && others.every((s) => p.nofailover.includes(s.name) || partitioned(s.name))) {
      const why = others.every((s) => p.nofailover.includes(s.name)) ? 'every member but the leader is tagged nofailover' : 'every member but the leader is tagged nofailover or partitioned';
      return finding('switchover-refused', 'error', st.where, `the switchover ${when} is refused: ${why}`, `The leader's REST API answers POST /switchover with 412 "switchover is not possible: no good candidates have been found" (a nofailover member may not promote; one partitioned away does not answer): ${nothing}.`, REQUEST_SOURCE);
    }
  }
  return undefined;
}

/**
 * The leader's lag check of the candidates (the named one, or every other member without nofailover), and with
 * the switchover allowed, how long the cluster has no primary. The leader compares each candidate's position
 * with /status last_lsn, which it wrote at its previous loop, up to loop_wait before: the lag it sees is the
 * projected lag less up to loop_wait of WAL. 'unknown': the lint cannot project some candidate's lag.
 */
function lagVerdict(f: LintFacts, m: FailoverFact, st: Switchover, leader: PgServer, members: readonly PgServer[]): { outcome: 'refused' | 'maybe' | 'allowed' | 'unknown'; finding?: Finding } {
  const p = m.patroni!;
  const maxLag = m.maximumLag;
  if (maxLag === null) return { outcome: 'unknown' };
  const eligible = members.filter((s) => s.name !== leader.name && (st.candidate !== null ? s.name === st.candidate : !p.nofailover.includes(s.name)));
  const lags = eligible.map((s) => ({ s, lag: streamLagAt(f, leader, s, st.at) }));
  const known = lags.filter((x): x is { s: PgServer; lag: StreamLag } => x.lag !== null).sort((a, b) => a.lag.lag - b.lag.lag);
  const best = known[0];
  const when = `at ${at(f, st.at)}`;
  const to = st.candidate !== null ? ` to ${st.candidate}` : '';
  const setting = `maximum_lag_on_failover = ${settingSize(maxLag)}`;
  if (!best || (best.lag.lag > maxLag && known.length < lags.length)) return { outcome: 'unknown' };
  const stream = (x: { s: PgServer; lag: StreamLag }) =>
    `${x.s.name} lags about ${size(x.lag.lag)} behind ${leader.name} (the clients' WAL less the ${rate(x.lag.carried)} its stream carries over ${rate(x.lag.link.bandwidth)}${x.lag.sharing > 1 ? ` shared by ${x.lag.sharing} streams` : ''}, projected over the plan)`;
  if (best.lag.lag > maxLag) {
    const recent = written(f.writes.get(leader.name) ?? [], st.at - p.loopWait, st.at);
    const sure = best.lag.lag - recent > maxLag;
    const who = st.candidate !== null ? stream(best) : `the least lagging member, ${stream(best)}`;
    const why = `${who}. The leader compares each candidate's position with the last_lsn it wrote to /status at its previous loop, up to loop_wait = ${duration(p.loopWait / 1e6)} earlier (${size(recent)} of WAL before the step)`;
    const fix = `Let ${st.candidate ?? 'a member'} catch up first (block the clients or run the switchover before the load), or raise maximum_lag_on_failover knowing that the switchover then waits with no primary while ${leader.name} sends the backlog.`;
    const message = `Patroni ${sure ? 'will' : 'may'} refuse the switchover${to} ${when}: no healthy members found (${best.s.name} about ${size(best.lag.lag)} behind, ${setting})`;
    const explanation = sure
      ? `${why}: more than ${setting} even so. The leader logs "no healthy members found, switchover is not possible", cleans the /failover key up and stays the leader; patronictl reports that the switchover failed, and nothing changes. ${fix}`
      : `${why}: whether it sees more than ${setting} depends on when its loop last ran. Refused, nothing changes; allowed, the switchover waits with no primary while ${leader.name} sends the backlog. ${fix}`;
    return { outcome: sure ? 'refused' : 'maybe', finding: finding('switchover-candidate-behind', sure ? 'error' : 'warning', st.where, message, explanation, LAG_SOURCE) };
  }
  // Allowed: the graceful demotion stops PostgreSQL (fast); the key is released a second after the shutdown
  // checkpoint if an eligible member has it, otherwise once the postmaster exits after its last walsender.
  if (known.length < lags.length) return { outcome: 'allowed' };
  const projected = shutdownBacklogs(f, { kind: 'shutdown', at: st.at, server: leader.name, restart: false, where: st.where });
  if (!projected) return { outcome: 'allowed' };
  const backlogOf = (s: PgServer) => projected.backlogs.find((b) => b.standby.name === s.name);
  // A candidate the shutdown checkpoint cuts off never gets the rest: its walsender fails, the postmaster exits,
  // the key is released, and the candidate (with none, the most advanced member) takes it without the lag check.
  const cut = eligible.map((s) => backlogOf(s)).filter((b) => b?.cutOff);
  if (cut.length === eligible.length) {
    const b = cut.sort((x, y) => x!.lag - y!.lag)[0]!;
    const sure = cut.every((x) => x!.cutOff === 'sure');
    const message = `the switchover${to} ${when} ${sure ? 'loses' : 'may lose'} about ${size(b.lag)} of acknowledged commits: ${leader.name}'s shutdown checkpoint ${sure ? 'cuts' : 'may cut'} ${b.standby.name} off, and ${b.standby.name} takes the leader key anyway`;
    const explanation = `${b.standby.name} is ${b.text.replace(' at the stop ', ' at the switchover ')}, within ${setting}, so the leader demotes itself gracefully. Its fast stop writes the shutdown checkpoint first, and that checkpoint removes the WAL no slot or wal_keep_size keeps (${b.keeps.text}; ${sure ? 'at most' : 'at least'} ${size(sure ? b.keeps.max : b.keeps.min)}): ${b.standby.name}'s walsender fails with "requested WAL segment … has already been removed", the postmaster exits, the leader key is released, and ${b.standby.name} takes it without the lag check (the switchover's ${st.candidate !== null ? 'candidate' : 'most advanced member'}). Its new timeline starts where it was; what ${leader.name} acknowledged beyond it is lost. Keep use_slots on (the default), keep more WAL than the lag (wal_keep_size), or let ${b.standby.name} catch up before the switchover.`;
    return { outcome: 'allowed', finding: finding('switchover-candidate-behind', sure ? 'error' : 'warning', st.where, message, explanation, `${LAG_SOURCE}; ha.py manual_failover_process_no_leader; ${DRAIN_SOURCE}`) };
  }
  const drainOf = (s: PgServer) => backlogOf(s)?.drain ?? 0;
  if (eligible.some((s) => drainOf(s) <= ON_SHUTDOWN_WAIT)) return { outcome: 'allowed' };
  const waited = projected.backlogs.filter((b) => b.cutOff !== 'sure').sort((a, b) => b.drain - a.drain);
  const last = waited[0];
  if (!last) return { outcome: 'allowed' };
  const candidate = st.candidate !== null ? projected.backlogs.find((b) => b.standby.name === st.candidate) : undefined;
  const also = candidate && candidate !== last ? ` (${candidate.standby.name}, the candidate, has its ${size(candidate.lag)} after ${duration(candidate.drain)})` : '';
  const message = `the switchover${to} ${when} leaves ${m.cluster} with no primary for about ${duration(last.drain)} while ${leader.name} sends ${last.standby.name} its backlog (${size(last.lag)} at ${rate(last.carried)})`;
  const explanation = `${best.s.name}${st.candidate !== null ? '' : ', the least lagging member,'} lags about ${size(best.lag.lag)} at the switchover, within ${setting}, so the leader demotes itself gracefully. Its fast stop refuses new connections at once, but its walsenders first send every lagging standby what it lacks; the leader key is released a second after the shutdown checkpoint only if a candidate already has it, otherwise once PostgreSQL has stopped, and only then does ${st.candidate ?? 'a member'} take the key and promote. ${last.standby.name} is ${last.text.replace(' at the stop ', ' at the switchover ')}: about ${duration(last.drain)}${also}. The clients' writes fail meanwhile; nothing is lost. Run the switchover once ${st.candidate !== null ? `${st.candidate} has` : 'the members have'} caught up (block the clients first, or before the load).`;
  return { outcome: 'allowed', finding: finding('switchover-candidate-behind', 'warning', st.where, message, explanation, `${LAG_SOURCE}; ha.py demote('graceful') (on_shutdown, release_leader_key_voluntarily); ${DRAIN_SOURCE}`) };
}

const PGAF_SOURCE =
  'pg_auto_failover node_active_protocol.c perform_failover (with two nodes: the states only, no lag), group_state_machine.c (prepare_promotion, then stop_replication where the keeper promotes the standby, fsm_transition.c fsm_stop_replication); walsender.c WalSndDone';

/**
 * pg_autoctl perform switchover on a two-node formation whose standby is out of the replication quorum and lags:
 * perform_failover checks no lag, the standby is promoted at stop_replication a monitor round or two after the
 * order while the old primary still sends its backlog (models/managers/pgautofailover.ts), and what it had not
 * received is lost. Only the plan's first switchover of the formation (then the topology moves); more than two
 * nodes elect by LSN and fetch the backlog first (fast_forward), which is not linted.
 */
export const pgafSwitchoverBehind: Rule = {
  id: 'pgaf-switchover-async-behind',
  title: "a pg_auto_failover switchover to an asynchronous standby that lags: with two nodes the monitor checks no lag, and what the standby has not received is lost",
  check(f) {
    const out: Finding[] = [];
    for (const m of f.failover) {
      if (m.policy !== 'pg_auto_failover' || !m.pgaf || m.pgaf.nodes !== 2) continue;
      const st = f.steps.filter((s): s is Switchover => s.kind === 'switchover' && s.cluster === m.cluster).sort((a, b) => a.at - b.at)[0];
      if (!st) continue;
      const members = f.servers.filter((s) => s.cluster === m.cluster);
      const primary = members.find((s) => s.role === 'primary');
      const standby = members.find((s) => s.role === 'standby');
      if (!primary || !standby || !m.pgaf.asynchronous.includes(standby.name)) continue;
      const lag = streamLagAt(f, primary, standby, st.at);
      // About a second of sending before the promotion (the monitor's round): a lag it covers is not lost.
      if (!lag || lag.lag <= lag.carried) continue;
      const lost = lag.lag - lag.carried;
      out.push(
        finding(
          'pgaf-switchover-async-behind',
          'error',
          st.where,
          `pg_autoctl perform switchover at ${at(f, st.at)} loses about ${size(lost)} of acknowledged commits: ${standby.name}, out of the replication quorum, lags about ${size(lag.lag)} behind ${primary.name} and is promoted anyway`,
          `${standby.name} lags about ${size(lag.lag)} (the clients' WAL less the ${rate(lag.carried)} its stream carries over ${rate(lag.link.bandwidth)}, projected over the plan). With two nodes the monitor's perform_failover checks only that ${primary.name} is primary and ${standby.name} secondary, not the lag: ${primary.name} goes draining (a fast stop whose walsender goes on sending the backlog) and ${standby.name} prepare_promotion, then stop_replication, where its keeper promotes it about a second later, ending the stream. What it had not received by then is lost. Put ${standby.name} in the replication quorum (replication_quorum: true, the default: commits then wait for it), or let it catch up before the switchover (block the clients first, or run it before the load).`,
          PGAF_SOURCE,
        ),
      );
    }
    return out;
  },
};


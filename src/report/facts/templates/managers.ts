/**
 * The prose of the failover managers' facts (history/facts/managers.ts). Where a fact is one of the real
 * system's own log lines (Patroni's "Demoting self (offline)", pg_autoctl's "Failed to rewind demoted primary to
 * standby, trying pg_basebackup instead"), its words are the system's, unchanged.
 */
import type { Choice, DivergenceFact, GoalWhy, HealthFact, ManagersFact, MemberStatus, PassedOver, PatroniDemotion, PgafSwitchoverRefusal, ProbeFact, Refusal, RouteBy, SwitchoverRefusal, TimeoutsAdjustment } from '../../../history/facts/managers.ts';
import type { Fact } from '../../../history/facts/index.ts';
import { duration, size } from '../../format.ts';
import { code, join, lsn, node, p, type Token } from '../parts.ts';
import type { TemplatesOf } from './types.ts';

type Sub = (f: Fact) => Token;

/** A duration recorded in µs, as format.ts writes durations: "30 s", "2.5 s", "500 ms", "2 min". */
export function secs(us: number): string {
  return duration(us / 1e6);
}

const probeTime = secs;

function probe(r: ProbeFact): string {
  switch (r.kind) {
    case 'answered':
      return `answered in ${probeTime(r.latency)}`;
    case 'no-answer':
      return `no answer within ${probeTime(r.timeout)}`;
    case 'slow':
      return `answered in ${probeTime(r.latency)}, over the ${probeTime(r.threshold)} threshold`;
    case 'refused':
      return 'connection refused (PostgreSQL is not running)';
    case 'starting':
      return '"the database system is starting up"';
    case 'shutting-down':
      return '"the database system is shutting down"';
  }
}

/** What the checker saw: "3 write checks in a row failed (the last: no answer within 2 s)". */
export function health(h: HealthFact): string {
  if (!h.last) return 'no check has run yet';
  if (h.last.kind === 'answered' || h.failures === 0) return `the last check ${probe(h.last)}`;
  return `${h.failures} ${h.probe} check${h.failures === 1 ? '' : 's'} in a row failed (the last: ${probe(h.last)})`;
}

const reasonsOf = (reasons: readonly Fact[], sub: Sub): Token => join(reasons.map(sub), '; ');
const names = (list: readonly string[]): Token => join(list.map(node));

function routeBy(b: RouteBy): Token {
  switch (b.kind) {
    case 'watcher':
      return ` by the failover manager at site ${b.site}`;
    case 'operator':
      return ' by the operator';
    case 'orchestrator':
      return p` by orchestrator's post-failover hook (leader ${b.leader === null ? '(no leader)' : node(b.leader)})`;
    case 'patroni':
      return p`: it holds the leader key and runs as primary (${code('GET /primary')} answers 200 there)`;
    case 'pg_auto_failover':
      return p`: the first host of the connection string that accepts read-write sessions (${code('target_session_attrs=read-write')})`;
  }
}

function divergence(d: DivergenceFact): Token {
  return d.leavesLsn === null
    ? p`timeline ${d.timeline} is not in ${node(d.leader)}'s history`
    : p`${node(d.node)}'s WAL on timeline ${d.timeline} runs to ${lsn(d.lsn)}, past ${lsn(d.leavesLsn)} where ${node(d.leader)}'s history leaves it`;
}

function choice(n: string, c: Choice): Token {
  switch (c.kind) {
    case 'first-reachable':
      return p`${node(n)} is the first reachable configured candidate (its WAL position and timeline are not checked)`;
    case 'highest-position':
      return p`${node(n)} has the highest WAL position (${lsn(c.lsn)}) within ${code('maximum_lag_on_failover')} of the leader's last known ${lsn(c.lastLsn)}`;
    case 'healthiest':
      return p`${node(n)}: ${node(n)} at ${lsn(c.lsn)} is within ${code('maximum_lag_on_failover')} of last_lsn ${lsn(c.lastLsn)} and no member is ahead; it acquired the leader key`;
    case 'operator':
      return p`${node(n)}: ${c.choose === 'most-advanced' ? 'the most advanced reachable standby' : 'the first reachable candidate'} at ${lsn(c.lsn)}`;
    case 'orchestrator':
      return p`${node(n)}: chosen at ${lsn(c.lsn)} (${c.promotionRule}, ${c.site}, region ${c.region})`;
    case 'switchover-candidate':
      return p`${node(n)} at ${lsn(c.lsn)} is the ${c.failover ? 'manual failover' : 'switchover'}'s candidate: it takes the leader key without the lag check`;
  }
}

function switchoverRefusal(r: SwitchoverRefusal, sub: Sub, action: 'switchover' | 'failover'): Token {
  switch (r.kind) {
    case 'not-leader':
      return p`Member ${node(r.named)} is not the leader of cluster${r.leader !== null ? p` (the leader is ${node(r.leader)})` : ''}`;
    case 'no-leader':
      return 'This cluster has no leader';
    case 'already-leader':
      return p`Member ${node(r.candidate)} is already the leader`;
    case 'not-synchronous':
      return p`candidate name does not match with sync_standby (${names(r.standbys)})`;
    case 'paused-no-candidate':
      return 'Switchover is possible only to a specific candidate in a paused state';
    case 'no-good-candidates':
      return `${action} is not possible: no good candidates have been found`;
    case 'nofailover':
      return p`Member ${node(r.candidate)} does not exist in cluster or is tagged as nofailover`;
    case 'dcs':
      return p`failed to write failover key into DCS (${sub(r.why)})`;
  }
}

function refusal(r: Refusal, sub: Sub): Token {
  switch (r.kind) {
    case 'unreachable':
      return r.from !== undefined ? `not reachable from ${r.from}` : 'not reachable';
    case 'lag':
      return p`"My wal position exceeds maximum replication lag": ${lsn(r.lsn)} is ${size(r.lastLsn - r.lsn)} behind last_lsn ${lsn(r.lastLsn)} (${code('maximum_lag_on_failover')} ${size(r.maximumLagOnFailover)})`;
    case 'member-lag':
      return p`"exceeds maximum replication lag": at ${lsn(r.lsn)}, ${size(r.lastLsn - r.lsn)} behind the leader's last_lsn ${lsn(r.lastLsn)} (${code('maximum_lag_on_failover')} ${size(r.maximumLagOnFailover)})`;
    case 'timeline-behind':
      return `"My timeline ${r.timeline} is behind last known cluster timeline ${r.clusterTimeline}"${r.checkTimeline ? ' (check_timeline)' : ''}`;
    case 'nofailover':
      return 'tagged nofailover';
    case 'failover-priority':
      return p`${code(`failover_priority ${r.priority}`)}`;
    case 'not-synchronous':
      return p`not a synchronous standby (/sync lists ${r.standbys.length > 0 ? names(r.standbys) : 'none'}): in synchronous_mode only they may be promoted`;
    case 'primary-alive':
      return p`Primary (${node(r.primary)}) is still alive`;
    case 'member-ahead':
      return p`Wal position of ${node(r.member)} is ahead of my wal position`;
    case 'equal-position-higher-priority':
      return p`${node(r.member)} has equally tolerable WAL position and priority ${r.priority}, while this node has priority ${r.mine}`;
    case 'leader-key-taken':
      return 'the healthiest node, but another member created the leader key first';
    case 'leader-key-failed':
      return p`the healthiest node, but acquiring the leader key failed: ${sub(r.why)}`;
    case 'no-dcs':
      return 'stays a replica (without the DCS a replica does nothing: it cannot take the leader key)';
    case 'not-secondary':
      return `state ${r.state} (only a secondary may be promoted)`;
    case 'candidate-priority-zero':
      return p`${code('candidate_priority')} 0`;
    case 'unhealthy':
      return sub(r.why);
    case 'not-reported':
      return 'a quorum node has not reported its LSN yet (the election waits for it)';
    case 'must-not':
      return 'promotion rule must_not';
    case 'switchover-to-other':
      return p`a switchover to ${node(r.candidate)} is under way, and ${node(r.candidate)} is healthy: it does not race`;
    case 'paused':
      return p`the cluster is paused (maintenance mode, ${code('pause')}): a replica does not race for the leader key ("PAUSE: no action")`;
    case 'not-in-failsafe':
      return p`not in the /failsafe key (${names(r.members)}): with ${code('failsafe_mode')} a member the leader did not list there does not race`;
    case 'quorum-not-reached':
      return p`${r.votes} ${r.votes === 1 ? 'vote' : 'votes'} from the /sync voters (${r.voters.length > 0 ? names(r.voters) : 'none'}) not ahead of this node, ${r.needed} needed (${code(`quorum ${r.quorum}`)}${r.needed > r.quorum ? ', and this node is not a voter' : ''}): a voter that did not answer may hold a commit this node lacks`;
  }
}

function memberStatus(s: MemberStatus): Token {
  switch (s.kind) {
    case 'unreachable':
      return `not reachable (no answer within ${secs(s.timeout)})`;
    case 'nofailover':
      return 'not allowed to promote (nofailover)';
    case 'primary':
      return 'running as a primary';
    case 'ahead':
      return p`at ${lsn(s.lsn)}, ahead of my ${lsn(s.myLsn)}`;
    case 'same-position-higher-priority':
      return `at the same position with failover_priority ${s.priority} > mine ${s.mine}`;
    case 'not-ahead':
      return p`at ${lsn(s.lsn)}, not ahead of me${s.vote ? ' (a quorum vote)' : ''}`;
  }
}

function passedOver(w: PassedOver): Token {
  switch (w.kind) {
    case 'prefer-not':
      return 'prefer_not';
    case 'prefer-available':
      return p`${node(w.node)} is registered prefer: it catches up from it and takes over`;
    case 'data-centre':
      return `in data centre ${w.site}, not ${w.masterSite} (PreventCrossDataCenterMasterFailover)`;
    case 'region':
      return `in region ${w.region}, not ${w.masterRegion} (PreventCrossRegionMasterFailover)`;
  }
}

function timeouts(a: TimeoutsAdjustment): Token {
  switch (a.kind) {
    case 'loop-wait-and-retry-timeout':
      return `Violated the rule "loop_wait + 2*retry_timeout <= ttl", where ttl=${a.ttl}. Adjusting loop_wait from ${a.loopWait[0]} to ${a.loopWait[1]} and retry_timeout from ${a.retryTimeout[0]} to ${a.retryTimeout[1]}`;
    case 'loop-wait':
      return `Violated the rule "loop_wait + 2*retry_timeout <= ttl", where ttl=${a.ttl} and retry_timeout=${a.retryTimeout}. Adjusting loop_wait from ${a.loopWait[0]} to ${a.loopWait[1]}`;
    case 'raised':
      return p`raised ${join(a.settings.map((s) => p`${code(s.name)} to ${s.value}`))} (the minimum)`;
  }
}

function demotion(n: string, d: PatroniDemotion, sub: Sub): Token {
  switch (d.kind) {
    case 'lock-lost':
      return 'demoted self because failed to update leader lock in DCS (another member holds it)';
    case 'dcs':
      return p`demoted self because DCS is not accessible and I was a leader (${sub(d.why)})${d.failsafe !== null ? p`; failsafe_mode: not every member accepted (${reasonsOf(d.failsafe, sub)})` : ''}`;
    case 'not-leader':
      return p`demoting self because I do not have the lock and I was a leader (the leader key names ${node(d.leader)})`;
    case 'not-healthiest':
      return p`demoting self because i am not the healthiest node (${sub(d.reason)})`;
    case 'secondary':
      return p`starting as a secondary${d.leader !== null ? p` of ${node(d.leader)}` : ''}${d.rebuilt ? ' after a rebuild' : ''} (${node(n)} does not hold the leader key)`;
  }
}

export function goalWhy(n: string, w: GoalWhy, sub: Sub): Token {
  switch (w.kind) {
    case 'unhealthy':
      return sub(w.why);
    case 'within-sync-threshold':
      return p`${node(n)} is within ${code('enable_sync_wal_log_threshold')} (${lsn(w.lsn)}, ${size(Math.round(w.lag))} behind)`;
    case 'keeper-reports-demoted':
      return p`${node(n)}'s keeper reports demoted: it rejoins as a standby of ${node(w.primary)}`;
    case 'no-healthy-secondary':
      return w.outOfQuorum.length > 0
        ? p`no healthy secondary takes part in the quorum (${names(w.outOfQuorum)}: ${code('replication_quorum = false')}): synchronous replication is off and writes go on unreplicated`
        : 'no secondary is healthy: synchronous replication is off and writes go on unreplicated';
    case 'secondaries':
      return p`${names(w.nodes)} ${w.nodes.length === 1 ? 'is' : 'are'} secondary`;
    case 'waits-for-quorum':
      return p`${code(`number_sync_standbys = ${w.numberSyncStandbys}`)}: the primary keeps waiting for a quorum standby`;
    case 'no-standby':
      return 'no standby';
    case 'primary-unhealthy':
      return p`${node(w.primary)} is unhealthy: ${sub(w.why)}`;
    case 'reports-lsn':
      return p`failover: ${node(n)} reports its LSN for the election`;
    case 'elected':
      return p`elected to be promoted (${code('candidate_priority')} ${w.priority}, LSN ${lsn(w.lsn)})`;
    case 'ready-to-promote':
      return p`${node(n)} is ready to be promoted`;
    case 'being-promoted':
      return p`${node(w.candidate)} is being promoted`;
    case 'reported-demote-timeout':
      return p`${node(w.primary)} reported demote_timeout`;
    case 'demote-timeout-passed':
      return p`${node(w.primary)} did not report for ${code('primary_demote_timeout')} (${secs(w.timeout)})`;
    case 'new-primary':
      return p`${node(w.primary)} is the new primary`;
    case 'primary-healthy':
      return p`${node(w.primary)} is healthy again: no failover, ${node(n)} follows it again`;
    case 'fast-forward':
      return p`elected, it first fetches the WAL it lacks, up to ${lsn(w.lsn)}, from ${node(w.from)}`;
    case 'fast-forwarded':
      return p`${node(n)} fetched the missing WAL (${lsn(w.lsn)}) and can be promoted`;
    case 'perform-failover':
      return w.candidate !== null ? p`perform promotion of ${node(w.candidate)}` : 'perform failover (pg_autoctl perform switchover)';
  }
}

/** The monitor's ERROR (or NOTICE) text (node_active_protocol.c perform_failover, perform_promotion). */
function pgafSwitchoverRefusal(r: PgafSwitchoverRefusal): Token {
  switch (r.kind) {
    case 'already-primary':
      return p`cannot perform promotion: node ${node(r.node)} is already a primary`;
    case 'promotion-state':
      return p`cannot perform promotion: node ${node(r.node)} has reported state "${r.reported}" and is assigned state "${r.goal}", promotion can only be performed when in state "secondary"`;
    case 'too-few-nodes':
      return p`cannot fail over: the group currently has ${r.nodes} node registered (at least 2 nodes are required to implement a failover)`;
    case 'no-primary':
      return 'couldn\'t find the primary node (no node is in state single or primary)';
    case 'candidate-priority-zero':
      return p`cannot fail over: standby ${node(r.node)} has candidate priority set to zero`;
    case 'standby-state':
      return p`standby ${node(r.node)} is in state "${r.state}", which prevents the node for being a failover candidate`;
    case 'not-stable':
      return p`cannot fail over: primary node is not in a stable state (${node(r.primary.node)} has reported state "${r.primary.reported}" and is assigned state "${r.primary.goal}", and ${node(r.standby.node)} has reported state "${r.standby.reported}" and is assigned state "${r.standby.goal}")`;
    case 'monitor-unreachable':
      // A node named monitor is the monitor: not "the monitor monitor" (deciders.ts monitorText).
      return r.monitor === 'monitor' ? p`pg_autoctl cannot connect to the ${node(r.monitor)}` : p`pg_autoctl cannot connect to the monitor ${node(r.monitor)}`;
  }
}

const NO_CANDIDATE = {
  'no-standby': 'no standby',
  'none-reachable': 'no configured candidate is reachable',
  'no-replica-reachable': 'no replica is reachable',
  'none-found': 'no candidate replica found',
  'none-reported': 'no candidate reported its LSN',
} as const;

const REWIND_NEEDED = {
  'use-pg-rewind-off': 'use_pg_rewind is off',
  'not-rewindable': 'use_pg_rewind is on, but it has neither wal_log_hints = on nor data checksums',
  'rewind-failed': 'pg_rewind failed',
} as const;

const patroni = (n: string, said: Token): Token => p`patroni on ${node(n)}: ${said}`;
const pgaf = (said: Token): Token => p`pg_auto_failover: ${said}`;
const raft = (cluster: string, group: 'dcs' | 'orchestrator'): string => `${group === 'dcs' ? 'DCS' : 'orchestrator'} of ${cluster}`;

export const MANAGERS: TemplatesOf<ManagersFact> = {
  'raft-leader-stepped-down': (f) => p`${raft(f.cluster, f.group)} member ${f.member} steps down as Raft leader: it has not heard from a majority for the election timeout (CheckQuorum)`,
  'raft-leader-elected': (f) => p`${raft(f.cluster, f.group)} member ${f.member} is elected Raft leader (term ${f.term}) with ${f.peers} of ${f.members} members`,
  'leader-key-expired': (f) => p`the leader key of ${f.cluster} (held by ${node(f.owner)}) expired: no keep-alive for ${code(`ttl = ${secs(f.ttl)}`)}`,
  'dcs-unreachable': (f) =>
    f.timedOut.length > 0
      ? p`packet loss: ${node(f.client)}'s requests to ${f.timedOut.join(', ')} were not answered within ${secs(f.perAttempt)} each (retry_timeout / members), TCP still resending them`
      : f.reachable.length === 0
      ? p`no DCS member is reachable from ${node(f.client)} (${f.members.map((m) => `${m.name} at ${m.site}`).join(', ')})`
      : f.noLeader !== null
        ? p`the DCS has no leader with a majority (${f.noLeader.quorum} of ${f.members.length} members needed); ${node(f.client)} reaches ${f.reachable.join(', ')}`
        : p`${node(f.client)} reaches only ${f.reachable.join(', ')}, cut off from the DCS majority`,
  'writes-routed': (f) => p`writes of ${f.pools.length > 0 ? f.pools.join(', ') : 'no client pool it can reach'} ${f.by.kind === 'pg_auto_failover' ? 'go to' : 'routed to'} ${node(f.node)}${routeBy(f.by)}`,
  'leader-unhealthy': (f) =>
    p`no health check has found ${node(f.leader)} a reachable primary for ${secs(f.for)} (timeout ${secs(f.timeout)})${f.health !== null ? `; ${health(f.health)}` : ''}`,
  'no-leader': () => 'there is no leader',
  'alert-seen': (f) =>
    `the alert of ${secs(f.ago)} ago (${health(f.health)}); the runbook: ${f.runbook.fence ? 'fence the old primary, ' : ''}promote the ${f.runbook.choose === 'most-advanced' ? 'most advanced reachable standby' : 'first reachable candidate'}, repoint the others, route the clients`,
  'leader-key-gone': (f) =>
    p`the leader key of ${f.cluster} is gone (DCS: ${f.dcs} with ${f.members.length} members (${f.members.map((m) => `${m.name} at ${m.site}`).join(', ')}), ${
      f.raftLeader !== null ? `Raft leader ${f.raftLeader}` : 'no Raft leader with a majority'
    }); last_lsn ${lsn(f.lastLsn)}, cluster timeline ${f.timeline}`,
  'dcs-not-accessible': (f, sub) => (f.failsafe ? p`DCS is not accessible (${sub(f.why)}); POST /failsafe to every member` : p`DCS is not accessible: ${sub(f.why)}`),
  'orchestrator-analysis': (f) => p`the leader ${f.leader ?? '(no leader)'} (at ${f.site}) finds ${node(f.master)} ${f.reachable ? 'not a primary' : 'unreachable'}: ${f.analysis}`,
  'primary-unhealthy': (f, sub) => p`${node(f.primary)} is unhealthy: ${sub(f.why)}`,
  election: (f) =>
    p`${node(f.primary)} is ${f.state}; candidates ${f.candidates.length > 0 ? join(f.candidates.map((c) => p`${node(c.node)} at ${lsn(c.lsn)}${c.reported ? '' : ' (not reported yet)'}`)) : 'none'}`,
  'candidate-chosen': (f) => choice(f.node, f.why),
  'candidate-refused': (f, sub) => p`${node(f.node)}: ${refusal(f.reason, sub)}`,
  'member-status': (f) => p`${node(f.node)}: ${memberStatus(f.status)}`,
  'primary-still-alive': (f) => p`Primary (${node(f.primary)}) is still alive`,
  'no-candidate': (f) => NO_CANDIDATE[f.why],
  'failsafe-answer': (f) =>
    p`${node(f.node)}: ${f.answer === 'no-answer' ? `no answer within ${secs(f.timeout)} (${f.tries} tries)` : f.answer === 'refused-primary' ? 'refused (running as a primary)' : 'Accepted'}`,
  'demotes-itself': (f) =>
    p`${node(f.node)}: demotes itself (without the DCS a primary demotes itself, 'offline', unless failsafe_mode keeps it${f.failsafe === 'no-topology' ? ': failsafe_mode is on, but no /failsafe topology is known' : ': failsafe_mode is off'})`,
  'quorum-too-small': (f) => p`${f.reported} quorum candidates reported, ${code('number_sync_standbys')} + 1 = ${f.need} needed`,
  'candidates-too-far-behind': (f) =>
    p`the most advanced candidate is ${size(f.behind)} ${f.ahead ? 'ahead of' : 'behind'} ${node(f.primary)}'s last reported LSN ${lsn(f.lsn)} (more than ${code('promote_wal_log_threshold')} ${size(f.threshold)} apart, either way: WalDifferenceWithin)`,
  'candidate-ranked': (f) => p`${node(f.node)}: priority ${f.priority}, ${lsn(f.lsn)}${f.chosen ? ' (chosen: highest priority, then most advanced)' : ''}`,
  'not-most-advanced': (f) => p`${node(f.node)} is not the most advanced: it first fetches the missing WAL from ${node(f.from)} (fast_forward)`,
  'most-advanced-unhealthy': (f) =>
    p`${node(f.node)} would have to fetch the WAL up to ${lsn(f.lsn)} from ${names(f.nodes)}, and none of them is healthy: no failover for now`,
  'stands-down': (f) => p`${node(f.node)} answers again: the operator stands down`,
  fenced: (f) => p`${node(f.node)}: fenced (stopped) first, ${f.gaveUp ? `pg_ctl gave up after ${duration(f.waited / 1e6)} (its walsenders were still sending)` : `stopped after ${duration(f.waited / 1e6)}`}`,
  'cannot-fence': (f) => p`${node(f.node)}: cannot be fenced from ${f.site} (${f.running ? 'unreachable: it may still run and take writes' : 'already down'})`,
  'still-replicating': (f) =>
    p`${node(f.node)}: its walreceiver still streams from ${node(f.master)} (until ${code('wal_receiver_timeout')}): a replica still replicating makes the master UnreachableMaster, which is not acted on`,
  'recovery-blocked': (f) => p`the last recovery was ${secs(f.ago)} ago (${code('RecoveryPeriodBlockSeconds')}: block ${secs(f.block)})`,
  'passed-over': (f) => p`${node(f.node)}: the most advanced (${lsn(f.lsn)}), but ${passedOver(f.why)}`,
  'lost-from-topology': (f) => p`${node(f.node)}: ahead of ${node(f.promoted)} at ${lsn(f.lsn)}: it is lost from the topology (it cannot replicate from a less advanced primary)`,
  'failover-chosen': (f, sub) => p`failover manager (${f.policy}) chooses ${node(f.node)}: ${sub(f.saw)}; ${reasonsOf(f.reasons, sub)}`,
  'failover-refused': (f, sub) =>
    p`failover manager (${f.policy}) refuses to fail over: ${f.leader !== null ? p`the leader ${node(f.leader)} is unreachable or not a primary` : 'there is no leader'}; ${reasonsOf(f.reasons, sub)}`,
  'monitoring-alert': (f) => p`monitoring alert: ${node(f.node)} is down (${health(f.health)}); the operator acts in ${secs(f.reaction)}`,
  'operator-cannot-fail-over': (f, sub) => p`operator: cannot fail over: ${reasonsOf(f.reasons, sub)}`,
  'orchestrator-recovery': (f, sub) =>
    p`orchestrator${f.leader !== null ? ` ${f.leader}` : ''}: ${f.chosen !== null ? p`recovers ${f.cluster}: promotes ${node(f.chosen)}` : 'no recovery'}: ${sub(f.saw)}; ${reasonsOf(f.reasons, sub)}`,
  'manager-decision': (f, sub) => p`${sub(f.saw)}; ${reasonsOf(f.reasons, sub)}`,
  'holds-leader-key': (f) => p`${node(f.node)}'s Patroni holds the leader key`,
  'goal-state-assigned': (f) => p`the monitor assigned ${node(f.node)} goal state ${f.goal}`,
  'single-user-crash-recovery': (f) => p`${node(f.node)}: crash recovery in single-user mode (${code('postgres --single')}) so that pg_rewind finds a cleanly shut down data directory`,
  'patroni-timeouts-adjusted': (f) => p`Patroni: ${timeouts(f.adjustment)}`,
  'patroni-demoting': (f) => patroni(f.node, `Demoting self (${f.mode})`),
  'patroni-promoting': (f) => patroni(f.node, f.how === 'acquired-lock' ? 'promoted self to leader by acquiring session lock' : 'promoted self to leader because I had the session lock'),
  'patroni-acquired-lock': (f) => patroni(f.node, 'acquired session lock as a leader'),
  'patroni-following': (f) => patroni(f.node, p`following a new leader ${node(f.leader)}`),
  'patroni-released-key': (f) =>
    patroni(f.node, f.why === 'postgres-not-running' ? 'PAUSE: removed leader lock because postgres is not running' : 'released leader key voluntarily as data dir empty and currently leader'),
  'patroni-pause-set': (f) => p`patronictl ${f.pause ? 'pause' : 'resume'} (cluster ${f.cluster}, through ${node(f.node)}): Success: cluster management is ${f.pause ? 'paused' : 'resumed'}`,
  'patroni-pause-refused': (f, sub) =>
    p`patronictl ${f.pause ? 'pause' : 'resume'} of ${f.cluster} refused: ${f.reason.kind === 'already' ? `Cluster is ${f.pause ? 'already' : 'not'} paused` : p`no member could write the configuration to the DCS (${sub(f.reason.why)})`}`,
  'patroni-paused': (f) =>
    patroni(
      f.node,
      f.what === 'not-restarted'
        ? 'PAUSE: postgres is not running (maintenance mode: not started)'
        : f.what === 'dcs'
          ? 'PAUSE: DCS is not accessible (maintenance mode: the primary is not demoted)'
          : 'PAUSE: continue to run as primary without lock',
    ),
  'patroni-switchover-released': (f) =>
    patroni(f.node, f.when === 'candidate-received' ? 'Leader key released (a candidate has received the shutdown checkpoint)' : 'Leader key released (PostgreSQL has stopped)'),
  'patroni-switchover-refused': (f, sub) => p`patronictl ${f.action ?? 'switchover'} of ${f.cluster} refused: ${switchoverRefusal(f.reason, sub, f.action ?? 'switchover')}`,
  'patroni-switchover-not-possible': (f, sub) =>
    // ha.py process_manual_failover_from_leader: '%s: no healthy members found, %s is not possible' (action, bare action).
    patroni(f.node, p`${f.failover ? 'manual failover' : 'switchover'}: no healthy members found, ${f.failover ? 'failover' : 'switchover'} is not possible${f.statuses.length > 0 ? p` (${join(f.statuses.map((x) => sub(x)))})` : ''}; Cleaning up failover key`),
  'patroni-failover-key-cleared': (f) =>
    patroni(
      f.node,
      f.why === 'acquired-lock'
        ? 'Cleaning up failover key after acquiring leader lock...'
        : f.why === 'already-leader'
          ? `${f.failover ? 'manual failover' : 'switchover'}: I am already the leader, no need to ${f.failover ? 'failover' : 'switchover'}; Cleaning up failover key`
          : 'switchover: leader name does not match; Cleaning up failover key',
    ),
  'patroni-slot-created': (f) =>
    patroni(f.node, p`created physical replication slot ${code(f.slot)} for ${node(f.member)} at ${lsn(f.restartLsn)}${f.from === 'status' ? ' (where /status had it: the slot was kept on every member)' : ''}`),
  'patroni-slot-dropped': (f) =>
    patroni(
      f.node,
      f.why.kind === 'lost'
        ? p`Trying to drop replication slot '${f.slot}' with wal_status=lost`
        : f.why.memberSlotsTtl > 0
          ? p`Replication slot '${f.slot}' for absent cluster member is expired after ${secs(f.why.memberSlotsTtl)}: dropped, and the WAL ${node(f.member)} needs is no longer kept`
          : p`Trying to drop unknown replication slot '${f.slot}' (${node(f.member)} left the cluster: its member key is gone)`,
    ),
  'patroni-sync-assigned': (f) => patroni(f.node, p`Synchronous standby status assigned to ${names(f.standbys)}`),
  'patroni-quorum-set': (f) => patroni(f.node, p`Setting leader to ${node(f.leader)}, quorum to ${f.quorum} of (${f.voters.length > 0 ? names(f.voters) : 'none'})`),
  'quorum-requirement': (f) => `Quorum requirement ${f.quorum} can not be reached (${f.healthy} healthy ${f.healthy === 1 ? 'candidate' : 'candidates'})`,
  'patroni-failsafe-continues': (f) => patroni(f.node, 'continue to run as a leader because failsafe mode is enabled and all members are accessible'),
  'patroni-not-promoting': (f, sub) => patroni(f.node, p`not promoting: ${sub(f.reason)}`),
  'patroni-rebuilding': (f) =>
    patroni(
      f.node,
      f.tool === 'pg_rewind'
        ? p`running pg_rewind from ${node(f.divergence.leader)} (${divergence(f.divergence)})`
        : p`reinitializing due to diverged timelines (${divergence(f.divergence)}): ${code('remove_data_directory_on_diverged_timelines')} is set`,
    ),
  'patroni-rewind-failed': (f) =>
    patroni(
      f.node,
      f.option !== null
        ? p`Failed to rewind from healthy primary: ${f.leader}; ${code(f.option)} is set. removing...`
        : p`Failed to rewind from healthy primary: ${f.leader}; neither ${code('remove_data_directory_on_rewind_failure')} nor ${code('remove_data_directory_on_diverged_timelines')} is set: ${node(f.node)} starts as a replica that cannot follow`,
    ),
  'patroni-rewind-needed': (f) =>
    patroni(
      f.node,
      p`pg_rewind is needed to follow ${node(f.divergence.leader)} (${divergence(f.divergence)}); ${REWIND_NEEDED[f.why]} and remove_data_directory_on_diverged_timelines is off: ${node(f.node)} will not stream until it is rebuilt`,
    ),
  'patroni-starting': (f) => patroni(f.node, f.as === 'primary' ? 'starting primary after failure' : 'starting as a secondary'),
  'patroni-bootstrap': (f) => patroni(f.node, `trying to bootstrap from leader '${f.leader}'`),
  'patroni-demotes': (f, sub) => p`Patroni: ${demotion(f.node, f.why, sub)}`,
  'pgaf-goal': (f, sub) => pgaf(p`setting goal state of ${node(f.node)} to ${f.goal}: ${goalWhy(f.node, f.why, sub)}`),
  'pgaf-keeper-unhealthy': (f) =>
    f.why === 'pg-not-running'
      ? p`${node(f.node)}'s keeper reports PostgreSQL not running`
      : p`no report from ${node(f.node)}'s keeper for ${secs(f.for)} (${code('node_considered_unhealthy_timeout')} ${secs(f.timeout)}) and its health checks fail`,
  'pgaf-partition-stop': (f) =>
    pgaf(p`${node(f.node)} has seen neither the monitor nor a standby for ${secs(f.for)} (${code('network_partition_timeout')} ${secs(f.timeout)}): it stops PostgreSQL`),
  'pgaf-basebackup': (f) => pgaf(p`${node(f.node)}'s data directory is empty: pg_basebackup from ${node(f.upstream)}`),
  'pgaf-rewinding': (f) => pgaf(p`${node(f.node)}: rewinding to become a standby of ${node(f.upstream)}`),
  'pgaf-rewind-failed': () => pgaf('Failed to rewind demoted primary to standby, trying pg_basebackup instead'),
  'pgaf-no-failover': (f, sub) => pgaf(p`no failover: ${reasonsOf(f.reasons, sub)}`),
  'pgaf-reports-lsn': (f) => pgaf(p`${node(f.node)} restarts as a standby without primary_conninfo to report its LSN for the election (report_lsn)`),
  'pgaf-switchover-refused': (f) => pgaf(p`${f.candidate !== null ? p`perform promotion of ${node(f.candidate)}` : 'perform switchover'} refused: ${pgafSwitchoverRefusal(f.reason)}`),
  'pgaf-candidate-priority': (f) => pgaf(p`updating candidate priority${f.back ? ' back' : ''} to ${f.priority} for ${node(f.node)}`),
  'pgaf-rejoins': (f) => pgaf(p`${node(f.node)} rejoins as a standby of ${node(f.upstream)}${f.rewind ? ' (fsm_rewind_or_init: pg_rewind first)' : ''}`),
};

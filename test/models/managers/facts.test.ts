import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Fact } from '../../../src/history/facts/index.ts';
import type { Lsn } from '../../../src/models/postgres/lsn.ts';
import { factFromJson, factHtml, factJson, factText } from '../../../src/report/facts/index.ts';
import type { Report } from '../../../src/report/types.ts';
import { runScenario } from '../../../src/run.ts';
import { loadScenarioFile } from '../../../src/scenario/load.ts';
import { managerProse } from '../../support/manager-prose.ts';

const lsn = (hi: number, lo: number) => (hi * 2 ** 32 + lo) as Lsn;
const text = (f: Fact) => factText(f);

describe('failover manager facts: the templates (report/facts/templates/managers.ts)', () => {
  it('Raft and the DCS: elections, step-downs, the leader key, why a request fails', () => {
    expect(text({ kind: 'raft-leader-elected', cluster: 'shop', group: 'dcs', member: 'etcd-e1', term: 2, peers: 2, members: 3 })).toBe('DCS of shop member etcd-e1 is elected Raft leader (term 2) with 2 of 3 members');
    expect(text({ kind: 'raft-leader-stepped-down', cluster: 'c', group: 'orchestrator', member: 'o1' })).toBe(
      'orchestrator of c member o1 steps down as Raft leader: it has not heard from a majority for the election timeout (CheckQuorum)',
    );
    expect(text({ kind: 'leader-key-expired', cluster: 'shop', owner: 'pg-w1', ttl: 30e6 })).toBe('the leader key of shop (held by pg-w1) expired: no keep-alive for ttl = 30 s');
    const members = [
      { name: 'e1', site: 'a' },
      { name: 'e2', site: 'b' },
      { name: 'e3', site: 'b' },
    ];
    expect(text({ kind: 'dcs-unreachable', client: 'pg1', reachable: [], members, noLeader: null, timedOut: [], perAttempt: 3_333_333 })).toBe('no DCS member is reachable from pg1 (e1 at a, e2 at b, e3 at b)');
    expect(text({ kind: 'dcs-unreachable', client: 'pg1', reachable: ['e1'], members, noLeader: { quorum: 2 }, timedOut: [], perAttempt: 3_333_333 })).toBe('the DCS has no leader with a majority (2 of 3 members needed); pg1 reaches e1');
    expect(text({ kind: 'dcs-unreachable', client: 'pg1', reachable: ['e1'], members, noLeader: null, timedOut: [], perAttempt: 3_333_333 })).toBe('pg1 reaches only e1, cut off from the DCS majority');
    expect(text({ kind: 'dcs-unreachable', client: 'pg1', reachable: ['e1', 'e2', 'e3'], members, noLeader: null, timedOut: ['e1', 'e2', 'e3'], perAttempt: 3_333_333 })).toBe(
      "packet loss: pg1's requests to e1, e2, e3 were not answered within 3.3 s each (retry_timeout / members), TCP still resending them",
    );
  });

  it('routing: who sent the clients where, and how', () => {
    expect(text({ kind: 'writes-routed', node: 's2', pools: ['clients'], by: { kind: 'watcher', site: 'dc1' } })).toBe('writes of clients routed to s2 by the failover manager at site dc1');
    expect(text({ kind: 'writes-routed', node: 's2', pools: [], by: { kind: 'operator' } })).toBe('writes of no client pool it can reach routed to s2 by the operator');
    expect(text({ kind: 'writes-routed', node: 'pg-e1', pools: ['app-east'], by: { kind: 'patroni' } })).toBe('writes of app-east routed to pg-e1: it holds the leader key and runs as primary (GET /primary answers 200 there)');
    expect(text({ kind: 'writes-routed', node: 'pg-b', pools: ['clients'], by: { kind: 'pg_auto_failover' } })).toBe(
      'writes of clients go to pg-b: the first host of the connection string that accepts read-write sessions (target_session_attrs=read-write)',
    );
  });

  it('watchers and the operator: what they saw (health checks) and each candidate chosen or refused, with the reason as data', () => {
    const saw: Fact = { kind: 'leader-unhealthy', leader: 'pg1', for: 30e6, timeout: 30e6, health: { probe: 'write', failures: 3, last: { kind: 'slow', latency: 2e6, threshold: 500e3 } } };
    expect(text(saw)).toBe('no health check has found pg1 a reachable primary for 30 s (timeout 30 s); 3 write checks in a row failed (the last: answered in 2 s, over the 500 ms threshold)');
    const lag: Fact = { kind: 'candidate-refused', node: 'db002', reason: { kind: 'lag', lsn: lsn(0x29, 0), lastLsn: lsn(0x29, 0x100000), maximumLagOnFailover: 1048576 }, rule: 'patroni/ha.py:Ha._is_healthiest_node' };
    expect(text({ kind: 'failover-refused', policy: 'lag-only', leader: 'db001', reasons: [lag] })).toBe(
      'failover manager (lag-only) refuses to fail over: the leader db001 is unreachable or not a primary; db002: "My wal position exceeds maximum replication lag": 29/0 is 1 MiB behind last_lsn 29/100000 (maximum_lag_on_failover 1 MiB)',
    );
    expect(text({ kind: 'failover-chosen', policy: 'naive', node: 's2', saw, reasons: [{ kind: 'candidate-chosen', node: 's2', why: { kind: 'first-reachable' } }] })).toMatch(
      /^failover manager \(naive\) chooses s2: no health check .*; s2 is the first reachable configured candidate \(its WAL position and timeline are not checked\)$/,
    );
    expect(text({ kind: 'monitoring-alert', node: 'pg1', health: { probe: 'connect', failures: 3, last: { kind: 'no-answer', timeout: 5e6 } }, reaction: 120e6 })).toBe(
      'monitoring alert: pg1 is down (3 connect checks in a row failed (the last: no answer within 5 s)); the operator acts in 2 min',
    );
    expect(text({ kind: 'cannot-fence', node: 'pg1', site: 'west', running: true })).toBe('pg1: cannot be fenced from west (unreachable: it may still run and take writes)');
  });

  it("Patroni: its own log lines in Patroni's words, its refusals and demotions", () => {
    const rule = 'patroni/ha.py:Ha.demote';
    expect(text({ kind: 'patroni-demoting', node: 'pg-w1', mode: 'offline', rule })).toBe('patroni on pg-w1: Demoting self (offline)');
    expect(text({ kind: 'patroni-promoting', node: 'pg-e1', how: 'acquired-lock', rule })).toBe('patroni on pg-e1: promoted self to leader by acquiring session lock');
    expect(text({ kind: 'patroni-timeouts-adjusted', adjustment: { kind: 'loop-wait', ttl: 30, retryTimeout: 10, loopWait: [20, 10] }, rule: 'patroni/config.py:Config._validate_and_adjust_timeouts' })).toBe(
      'Patroni: Violated the rule "loop_wait + 2*retry_timeout <= ttl", where ttl=30 and retry_timeout=10. Adjusting loop_wait from 20 to 10',
    );
    const refusal: Fact = { kind: 'candidate-refused', node: 'pg-c', reason: { kind: 'equal-position-higher-priority', member: 'pg-b', priority: 2, mine: 1 } };
    expect(text({ kind: 'patroni-not-promoting', node: 'pg-c', reason: refusal })).toBe('patroni on pg-c: not promoting: pg-c: pg-b has equally tolerable WAL position and priority 2, while this node has priority 1');
    expect(text({ kind: 'candidate-refused', node: 'pg3', reason: { kind: 'not-synchronous', standbys: [] } })).toBe('pg3: not a synchronous standby (/sync lists none): in synchronous_mode only they may be promoted');
    const why: Fact = { kind: 'dcs-unreachable', client: 'pg-w1', reachable: ['etcd-w1'], members: [{ name: 'etcd-w1', site: 'w' }], noLeader: null, timedOut: [], perAttempt: 3_333_333 };
    expect(text({ kind: 'patroni-demotes', node: 'pg-w1', why: { kind: 'dcs', why, failsafe: null }, rule: 'patroni/ha.py:Ha._handle_dcs_error' })).toBe(
      'Patroni: demoted self because DCS is not accessible and I was a leader (pg-w1 reaches only etcd-w1, cut off from the DCS majority)',
    );
    const divergence = { node: 'pg-w1', leader: 'pg-e1', timeline: 1, lsn: lsn(0, 0x209edf91), leavesLsn: lsn(0, 0x204bd000) };
    expect(text({ kind: 'patroni-rebuilding', node: 'pg-w1', tool: 'pg_rewind', divergence, rule })).toBe(
      "patroni on pg-w1: running pg_rewind from pg-e1 (pg-w1's WAL on timeline 1 runs to 0/209EDF91, past 0/204BD000 where pg-e1's history leaves it)",
    );
  });

  it('pg_auto_failover: goal states with their reasons, the election, the keepers', () => {
    const rule = 'pg_auto_failover: src/monitor/group_state_machine.c:ProceedGroupState';
    const sick: Fact = { kind: 'pgaf-keeper-unhealthy', node: 'pg-b', why: 'no-report', for: 21e6, timeout: 20e6 };
    expect(text({ kind: 'pgaf-goal', node: 'pg-b', goal: 'catchingup', why: { kind: 'unhealthy', why: sick }, rule })).toBe(
      "pg_auto_failover: setting goal state of pg-b to catchingup: no report from pg-b's keeper for 21 s (node_considered_unhealthy_timeout 20 s) and its health checks fail",
    );
    expect(text({ kind: 'candidate-ranked', node: 'pg3', priority: 90, lsn: lsn(0, 0x3000000), chosen: true })).toBe('pg3: priority 90, 0/3000000 (chosen: highest priority, then most advanced)');
    expect(text({ kind: 'pgaf-no-failover', reasons: [{ kind: 'candidate-refused', node: 'pg-b', reason: { kind: 'not-secondary', state: 'catchingup' } }] })).toBe(
      'pg_auto_failover: no failover: pg-b: state catchingup (only a secondary may be promoted)',
    );
    expect(text({ kind: 'pgaf-rewind-failed', node: 'pg-a', rule })).toBe('pg_auto_failover: Failed to rewind demoted primary to standby, trying pg_basebackup instead');
  });

  it('Orchestrator: the analysis, the candidate and those passed over', () => {
    const saw: Fact = { kind: 'orchestrator-analysis', leader: 'o1', site: 'east', master: 'pg1', reachable: false, analysis: 'DeadMaster', rule: 'orchestrator: go/inst/analysis_dao.go:GetReplicationAnalysis' };
    const reasons: Fact[] = [
      { kind: 'candidate-chosen', node: 'pg3', why: { kind: 'orchestrator', lsn: lsn(0, 0x5000000), promotionRule: 'neutral', site: 'east', region: 'eu' } },
      { kind: 'passed-over', node: 'pg2', lsn: lsn(0, 0x5100000), why: { kind: 'region', region: 'us', masterRegion: 'eu' }, rule: 'x' },
    ];
    expect(text({ kind: 'orchestrator-recovery', cluster: 'c', leader: 'o1', chosen: 'pg3', saw, reasons, rule: 'y' })).toBe(
      'orchestrator o1: recovers c: promotes pg3: the leader o1 (at east) finds pg1 unreachable: DeadMaster; pg3: chosen at 0/5000000 (neutral, east, region eu); pg2: the most advanced (0/5100000), but in region us, not eu (PreventCrossRegionMasterFailover)',
    );
  });

  it('the rule a fact follows: a mark after the prose in HTML, a field in JSON (LSNs written as PostgreSQL writes them)', () => {
    const f: Fact = { kind: 'patroni-demoting', node: 'pg<1>', mode: 'immediate-nolock', rule: 'patroni/ha.py:Ha.demote' };
    expect(factHtml(f)).toBe('patroni on <span class="node">pg&lt;1&gt;</span>: Demoting self (immediate-nolock) <span class="rule" title="the model follows patroni/ha.py:Ha.demote in the real source">patroni/ha.py:Ha.demote</span>');
    expect(factHtml({ kind: 'no-leader' })).toBe('there is no leader');
    const status: Fact = { kind: 'member-status', node: 'pg2', status: { kind: 'ahead', lsn: lsn(0, 0x100), myLsn: lsn(0, 0x80) } };
    expect(factJson(status)).toEqual({ kind: 'member-status', node: 'pg2', status: { kind: 'ahead', lsn: '0/100', myLsn: '0/80' } });
    expect(factFromJson(factJson(status))).toEqual(status);
  });
});

describe('failover manager facts in the reports', () => {
  it('a pg_auto_failover run: the JSON report carries each rule (events and decisions), decisions as data beside their text', () => {
    const { report } = runScenario(loadScenarioFile('scenarios/pg-auto-failover-sync-standby.yaml'));
    const rules = report.events.map((e) => (e.fact as { rule?: unknown }).rule).filter((r) => r !== undefined);
    expect(rules).toContain('pg_auto_failover: src/monitor/group_state_machine.c:ProceedGroupState');
    expect(report.decisions.length).toBeGreaterThan(0);
    for (const d of report.decisions) {
      expect(d.rule).toMatch(/^pg_auto_failover: src\/monitor\/group_state_machine\.c:\w+$/);
      expect(d.reasons).toEqual(d.facts.reasons.map((f) => factText(factFromJson(f))));
      expect(d.saw).toBe(d.facts.saw === null ? null : factText(factFromJson(d.facts.saw)));
    }
    expect(managerProse(report, ['ledger'])).toEqual([]);
  });

  it('the prose check finds a manager event written as a string, and prose nested in a demotion', () => {
    const event = (kind: string, fact: Fact) => ({ at: 't', cluster: 'c', node: 'n', kind, message: factText(fact), fact: factJson(fact), log: [] });
    const report = {
      events: [
        event('failover', { kind: 'prose', text: 'patroni on n: Demoting self (offline)' }),
        event('replication', { kind: 'prose', text: 'pg_rewind of n against m: ...' }),
        event('setting', { kind: 'demoted', node: 'n', how: 'fast', upstream: null, why: { kind: 'prose', text: 'Patroni: demoted self' } }),
      ],
      decisions: [],
    } as unknown as Report;
    expect(managerProse(report, ['c'])).toEqual(['t failover: patroni on n: Demoting self (offline)', 't setting: n demoted (fast stop, restarted as a standby without primary_conninfo): Patroni: demoted self']);
  });

  it('every rule the managers cite names a file and a function of the real source', () => {
    const cited = readdirSync('src/models/managers')
      .flatMap((f) => [...readFileSync(`src/models/managers/${f}`, 'utf8').matchAll(/'((?:patroni\/|pg_auto_failover: |orchestrator: )[^']*)'/g)].map((m) => m[1]!));
    expect(cited.length).toBeGreaterThan(20);
    for (const r of cited) expect(r).toMatch(/^(patroni\/[\w/]+\.py:\w+\.\w+|pg_auto_failover: src\/[\w/]+\.c:\w+|orchestrator: go\/[\w/]+\.go:\w+)$/);
  });
});

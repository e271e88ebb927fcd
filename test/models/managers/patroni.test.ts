import { describe, expect, it } from 'vitest';
import type { FailoverDecision } from '../../../src/history/history.ts';
import { factText } from '../../../src/report/facts/index.ts';
import { adjustTimeouts } from '../../../src/models/managers/patroni.ts';
import { renderText } from '../../../src/report/text.ts';
import { runScenario } from '../../../src/run.ts';
import { loadScenarioText } from '../../../src/scenario/load.ts';

/** A decision of the Patroni agent on `node`. */
const agentIs = (d: FailoverDecision, node: string): boolean => d.by?.kind === 'patroni-agent' && d.by.node === node;

/** Seconds after 10:00 of an ISO time in the report. */
const at = (iso: string) => (Date.parse(iso) - Date.parse('2024-01-01T10:00:00Z')) / 1000;

function run(yaml: string) {
  const r = runScenario(loadScenarioText(yaml, 'p.yaml'));
  return { ...r, promotions: r.history.promotions.map((p) => ({ node: p.node, at: p.at / 1e6 })) };
}

/**
 * Two sites: east holds the primary pg1, pg2 and one etcd member; west holds pg3 and two etcd members (the
 * DCS majority). Clients at both sites.
 */
function twoSites(extra = '', faults = '') {
  return `
name: two-sites
start: 2024-01-01T10:00:00Z
end: "10:15"
sites: [east, west]
links: [{between: [east, west], bandwidth: 1Gbps, latency: 5ms}]
clusters:
  c:
    nodes:
      pg1: {site: east, version: 16}
      pg2: {site: east, version: 16, upstream: pg1}
      pg3: {site: west, version: 16, upstream: pg1}
    workloads:
      app-east: {target: pg1, site: east, rate: 100/s, wal_per_tx: 2KiB}
      app-west: {target: pg1, site: west, rate: 100/s, wal_per_tx: 2KiB}
    failover:
      policy: patroni
      dcs: {members: {etcd1: east, etcd2: west, etcd3: west}}
${extra}
faults:
  - {at: "10:02", name: cut, partition: {sites: [east, west]}}
${faults}
`;
}

/** pg1 at site a, pg2 at b, the three etcd members at e; clients at a. */
function dcsApart(failover: string, faults: string) {
  return `
name: dcs-apart
start: 2024-01-01T10:00:00Z
end: "10:15"
sites: [a, b, e]
links:
  - {between: [a, b], bandwidth: 1Gbps, latency: 1ms}
  - {between: [a, e], bandwidth: 1Gbps, latency: 1ms}
  - {between: [b, e], bandwidth: 1Gbps, latency: 1ms}
clusters:
  c:
    nodes:
      pg1: {site: a, version: 16}
      pg2: {site: b, version: 16, upstream: pg1}
    workload: {target: pg1, site: a, rate: 100/s, wal_per_tx: 2KiB}
    failover:
      policy: patroni
      dcs: {members: {etcd1: e, etcd2: e, etcd3: e}}
${failover}
faults:
${faults}
`;
}

/** pg1 with standbys pg2 and pg3 at one site, 100 commits/s; `failover` and `faults` as given. */
const trio = (failover: string, faults: string) => `
name: trio
start: 2024-01-01T10:00:00Z
end: "10:06"
sites: [a]
clusters:
  c:
    nodes:
      pg1: {site: a, version: 16}
      pg2: {site: a, version: 16, upstream: pg1}
      pg3: {site: a, version: 16, upstream: pg1}
    workload: {target: pg1, rate: 100/s, wal_per_tx: 2KiB}
    failover: ${failover}
faults:
${faults}
`;

describe('Patroni with an etcd DCS (managers/patroni.ts, dcs.ts)', () => {
  it('the majority side promotes within ttl + loop_wait of the cut; the minority side never does, and its primary demotes itself', () => {
    const r = run(twoSites());
    expect(r.promotions.map((p) => p.node)).toEqual(['pg3']);
    // The cut is at 120 s; the leader key was renewed at most loop_wait before it and lives ttl = 30 s.
    expect(r.promotions[0]!.at).toBeGreaterThan(120 + 30 - 10);
    expect(r.promotions[0]!.at).toBeLessThanOrEqual(120 + 30 + 10);
    // pg1 (with the DCS minority) demotes itself before its key could expire: by loop_wait + 2 x retry_timeout.
    const demoted = r.report.events.find((e) => e.node === 'pg1' && e.message.startsWith('pg1 demoted'))!;
    expect(at(demoted.at)).toBeLessThanOrEqual(120 + 10 + 2 * 10);
    expect(demoted.message).toContain('DCS is not accessible');
    // pg2 on the minority side reads a stale leader key and never races: no decision of it chooses itself.
    expect(r.history.failoverDecisions.filter((d) => agentIs(d, 'pg2') && d.chosen !== null)).toEqual([]);
    expect(r.report.verdicts.filter((v) => v.kind === 'split-brain')).toEqual([]);
  });

  it('a partition that leaves the DCS without quorum promotes nobody, and the primary demotes itself before ttl', () => {
    const yaml = twoSites().replace('dcs: {members: {etcd1: east, etcd2: west, etcd3: west}}', 'dcs: {members: {etcd1: east, etcd2: west, etcd3: third}}').replace('sites: [east, west]', 'sites: [east, west, third]').replace('links: [{between: [east, west], bandwidth: 1Gbps, latency: 5ms}]', 'links: [{between: [east, west], bandwidth: 1Gbps, latency: 5ms}, {between: [east, third], bandwidth: 1Gbps, latency: 5ms}, {between: [west, third], bandwidth: 1Gbps, latency: 5ms}]');
    // Cut every link: each etcd member alone, no majority anywhere.
    const r = run(yaml.replace('  - {at: "10:02", name: cut, partition: {sites: [east, west]}}', '  - {at: "10:02", partition: {sites: [east, west]}}\n  - {at: "10:02", partition: {sites: [east, third]}}\n  - {at: "10:02", partition: {sites: [west, third]}}'));
    expect(r.promotions).toEqual([]);
    const demoted = r.report.events.find((e) => e.node === 'pg1' && e.message.startsWith('pg1 demoted'))!;
    expect(at(demoted.at)).toBeLessThanOrEqual(120 + 30);
    expect(r.report.verdicts.find((v) => v.kind === 'no-primary')!.to).toBeNull();
  });

  it('failsafe_mode: without the DCS the primary keeps running while it sees every member, and demotes when it does not', () => {
    // All PostgreSQL nodes at one site, the DCS members at three others (with its quorum), every link from
    // the PostgreSQL site to the DCS cut.
    const yaml = (faults: string) => `
name: failsafe
start: 2024-01-01T10:00:00Z
end: "10:10"
sites: [a, x, y, z]
links:
  - {between: [a, x], bandwidth: 1Gbps, latency: 1ms}
  - {between: [a, y], bandwidth: 1Gbps, latency: 1ms}
  - {between: [a, z], bandwidth: 1Gbps, latency: 1ms}
  - {between: [x, y], bandwidth: 1Gbps, latency: 1ms}
  - {between: [y, z], bandwidth: 1Gbps, latency: 1ms}
  - {between: [x, z], bandwidth: 1Gbps, latency: 1ms}
clusters:
  c:
    nodes:
      pg1: {site: a, version: 16}
      pg2: {site: a, version: 16, upstream: pg1}
      pg3: {site: a, version: 16, upstream: pg1}
    workload: {target: pg1, rate: 100/s, wal_per_tx: 2KiB}
    failover: {policy: patroni, failsafe_mode: true, dcs: {members: {e1: x, e2: y, e3: z}}}
faults:
  - {at: "10:02", partition: {sites: [a, x]}}
  - {at: "10:02", partition: {sites: [a, y]}}
  - {at: "10:02", partition: {sites: [a, z]}}
${faults}
`;
    const kept = run(yaml(''));
    expect(kept.promotions).toEqual([]);
    expect(kept.report.events.some((e) => e.message.startsWith('pg1 demoted'))).toBe(false);
    expect(kept.report.events.some((e) => e.message.includes('continue to run as a leader because failsafe mode is enabled and all members are accessible'))).toBe(true);
    expect(kept.report.outages).toEqual([]);
    expect(kept.report.verdicts.filter((v) => v.kind === 'no-primary')).toEqual([]);
    // pg3 cut off too: one member does not answer the POST /failsafe, and pg1 demotes.
    const lost = run(yaml('  - {at: "10:03", partition: pg3}'));
    const d = lost.report.events.find((e) => e.message.startsWith('pg1 demoted'))!;
    expect(d.message).toContain('pg3: no answer within 2 s (2 tries)');
    expect(at(d.at)).toBeLessThanOrEqual(180 + 10 + 10 + 4);
    expect(lost.promotions).toEqual([]);
    // Without failsafe_mode the same DCS outage demotes pg1 at once.
    const off = run(yaml('').replace('failsafe_mode: true, ', ''));
    expect(off.report.events.some((e) => e.message.startsWith('pg1 demoted'))).toBe(true);
    // pg3's host died at 10:00:30, long before the DCS outage: its member key expired (ttl), and the leader's
    // /failsafe lists only the members whose key is there (ha.py _failsafe_config): pg2 answers, pg1 stays.
    const left = run(yaml('  - {at: "10:00:30", crash: pg3}\n  - {at: "10:00:30", partition: pg3}'));
    expect(left.report.events.some((e) => e.message.startsWith('pg1 demoted'))).toBe(false);
    expect(left.report.outages).toEqual([]);
  });

  it('a lagging standby is refused (maximum_lag_on_failover) and the reason is in the report', () => {
    // pg3 across a link too slow for the writes: it falls behind; pg1 crashes for good (its host is lost).
    const yaml = twoSites('', '  - {at: "10:02", crash: pg1}')
      .replace('links: [{between: [east, west], bandwidth: 1Gbps, latency: 5ms}]', 'links: [{between: [east, west], bandwidth: 100kB/s, latency: 5ms}]')
      .replace('      pg2: {site: east, version: 16, upstream: pg1}\n', '')
      .replace('dcs: {members: {etcd1: east, etcd2: west, etcd3: west}}', 'dcs: {members: {etcd1: west, etcd2: west, etcd3: west}}')
      .replace('  - {at: "10:02", name: cut, partition: {sites: [east, west]}}', '  - {at: "10:02", partition: pg1}');
    const r = run(yaml);
    expect(r.promotions).toEqual([]);
    const refusal = r.history.failoverDecisions.find((d) => agentIs(d, 'pg3'))!;
    expect(refusal.reasons[0]).toMatchObject({ kind: 'candidate-refused', node: 'pg3', reason: { kind: 'lag', maximumLagOnFailover: 1048576 }, rule: 'patroni/ha.py:Ha._is_healthiest_node' });
    expect(factText(refusal.reasons[0]!)).toMatch(/^pg3: "My wal position exceeds maximum replication lag": .* [KMG]?i?B behind last_lsn .* \(maximum_lag_on_failover 1 MiB\)$/);
    // (the text report wraps lines: compare with the wrapping undone)
    expect(renderText(r.report).replace(/\s+/g, ' ')).toContain('My wal position exceeds maximum replication lag');
    // The JSON report lists the decision: who, what it saw, the rule, per candidate why.
    const json = r.report.decisions.find((d) => d.by === 'patroni on pg3' && d.rule!.includes('healthiest'))!;
    expect(json).toMatchObject({ cluster: 'c', policy: 'patroni', chosen: null });
    expect(json.saw).toMatch(/^the leader key of c is gone/);
    expect(json.reasons[0]).toContain('(maximum_lag_on_failover 1 MiB)');
  });

  it('synchronous_mode: the promoted node has every acknowledged commit; asynchronous with a large lag limit loses the lag', () => {
    // pg3 is the only standby, across a link slower than the writes; the primary's host is lost at 10:02.
    const base = twoSites('', '')
      .replace('links: [{between: [east, west], bandwidth: 1Gbps, latency: 5ms}]', 'links: [{between: [east, west], bandwidth: 2MB/s, latency: 5ms}]')
      .replace('      pg2: {site: east, version: 16, upstream: pg1}\n', '')
      .replace('dcs: {members: {etcd1: east, etcd2: west, etcd3: west}}', 'dcs: {members: {etcd1: west, etcd2: west, etcd3: west}}')
      .replace('rate: 100/s, wal_per_tx: 2KiB}\n      app-west', 'rate: 1000/s, wal_per_tx: 2KiB}\n      app-west')
      .replace('  - {at: "10:02", name: cut, partition: {sites: [east, west]}}', '  - {at: "10:02", partition: pg1}');
    const async = run(base.replace('      policy: patroni\n', '      policy: patroni\n      maximum_lag_on_failover: 10GiB\n'));
    expect(async.promotions.map((p) => p.node)).toEqual(['pg3']);
    expect(async.report.dataLoss.reduce((a, l) => a + l.commits, 0)).toBeGreaterThan(1000);
    const sync = run(base.replace('      policy: patroni\n', '      policy: patroni\n      synchronous_mode: true\n'));
    expect(sync.promotions.map((p) => p.node)).toEqual(['pg3']);
    expect(sync.report.dataLoss).toEqual([]);
    // The cluster had been running in synchronous_mode: pg3 is the synchronous standby from the start (no assignment event).
    expect(sync.report.events.some((e) => e.message.includes('Synchronous standby status assigned'))).toBe(false);
  });

  it('synchronous_mode without a synchronous standby: non-strict clears the names (writes go on, nobody may be promoted); strict keeps commits waiting', () => {
    // pg2 (east) is the synchronous standby; pg3 (west) is tagged nosync; the DCS is in the west.
    const base = twoSites('      tags: {pg3: {nosync: true}}', '')
      .replace('dcs: {members: {etcd1: east, etcd2: west, etcd3: west}}', 'dcs: {members: {etcd1: west, etcd2: west, etcd3: west}}')
      .replace('      app-west: {target: pg1, site: west, rate: 100/s, wal_per_tx: 2KiB}\n', '')
      .replace('  - {at: "10:02", name: cut, partition: {sites: [east, west]}}', '  - {at: "10:02:05", partition: pg2}\n  - {at: "10:05", partition: pg1}');
    const loose = run(base.replace('      policy: patroni\n', '      policy: patroni\n      synchronous_mode: true\n'));
    // Commits wait for pg2: its walsender lives on behind the cut (wal_sender_timeout, 60 s: pg_stat_replication
    // still lists it as streaming), but Patroni keeps only the rows of members whose key is there
    // (postgresql/sync.py _ReplicaList): pg2's Patroni, cut off with it, stops refreshing its member key, which
    // expires ttl (30 s) after its last touch (at most loop_wait before the cut); the leader's next loop (at most
    // loop_wait later) then clears the names. So between ttl - loop_wait and ttl + loop_wait, not 60 s and more.
    const waited = loose.report.stalls.reduce((a, x) => a + x.seconds, 0);
    expect(waited).toBeGreaterThan(30 - 10 - 1);
    expect(waited).toBeLessThanOrEqual(30 + 10);
    // pg1 lost next: pg3 is reachable and caught up, but /sync lists nobody: no failover.
    expect(loose.promotions).toEqual([]);
    expect(loose.history.failoverDecisions.find((d) => agentIs(d, 'pg3') && d.rule!.includes('healthiest'))!.reasons.map((x) => factText(x))[0]).toBe('pg3: not a synchronous standby (/sync lists none): in synchronous_mode only they may be promoted');
    const strict = run(base.replace('      policy: patroni\n', '      policy: patroni\n      synchronous_mode: true\n      synchronous_mode_strict: true\n'));
    // Commits wait from the loss of pg2 until pg1 is lost (about 175 s).
    expect(strict.report.stalls.reduce((a, x) => a + x.seconds, 0)).toBeGreaterThan(170);
    expect(strict.report.dataLoss).toEqual([]);
  });


  it('synchronous_mode_strict with synchronous_node_count 2 and one standby lost: commits go on with the other (strict acts only with no standby at all)', () => {
    // ha.py _handle_synchronous_strict_mode compares the streaming standbys with min_synchronous_nodes, which
    // is 1 in strict mode whatever synchronous_node_count (global_config.py): with pg3 still streaming, the
    // leader sets synchronous_standby_names to pg3 alone once pg2's member key is gone.
    const yaml = trio('{policy: patroni, synchronous_mode: true, synchronous_mode_strict: true, synchronous_node_count: 2, dcs: {members: {e1: a, e2: a, e3: a}}}', '  - {at: "10:02", crash: pg2}\n  - {at: "10:02", partition: pg2}');
    const r = run(yaml);
    // Commits wait for pg2 until its member key expires (ttl 30 s after its last touch) and the leader's next
    // loop; then for pg3 alone (a moment, the reload's reply). Not until the end of the run.
    const waited = r.report.stalls.reduce((a, x) => a + x.seconds, 0);
    expect(waited).toBeGreaterThan(30 - 10 - 1);
    expect(waited).toBeLessThanOrEqual(30 + 10 + 5);
    expect(r.report.nodes.find((n) => n.name === 'pg1')!.role).toBe('primary');
    const changes = r.report.events.filter((e) => e.message === 'synchronous_standby_names changed on pg1 (reload) by Patroni on the leader pg1');
    expect(changes.map((e) => e.log)).toEqual([['postmaster LOG:  parameter "synchronous_standby_names" changed to "FIRST 1 (pg3)"']]);
  });

  it('synchronous_mode: a standby made synchronous while behind is not in /sync until it reached the primary\'s flush LSN, so it is not promoted before', () => {
    // pg2 (east) is the synchronous standby; pg3 (west) lags behind a thin link. pg2's host dies at 10:02: once its
    // member key is gone the leader names pg3 in synchronous_standby_names, 68 MB behind. postgresql/sync.py
    // SyncHandler counts pg3 as synchronous only once its flush reaches the primary's flush LSN of that change
    // (_primary_flush_lsn), so /sync stays empty; pg1's host dies at 10:03, before that: pg3 may not race, and
    // nothing acknowledged is lost (the model had put pg3 in /sync at once and promoted it, losing what pg2 had
    // acknowledged). maximum_lag_on_failover is raised so that only /sync decides.
    const yaml = (faults: string) => `
name: sync-confirm
start: 2024-01-01T10:00:00Z
end: "10:10"
sites: [east, west]
links: [{between: [east, west], bandwidth: 1MB/s, latency: 5ms}]
clusters:
  c:
    nodes:
      pg1: {site: east, version: 16}
      pg2: {site: east, version: 16, upstream: pg1}
      pg3: {site: west, version: 16, upstream: pg1}
    workload: {target: pg1, site: east, rate: 100/s, wal_per_tx: 20KiB}
    failover: {policy: patroni, synchronous_mode: true, maximum_lag_on_failover: 1GiB, dcs: {members: {e1: west, e2: west, e3: west}}}
faults:
  - {at: "10:02", crash: pg2}
  - {at: "10:02", partition: pg2}
${faults}`;
    const r = run(yaml('  - {at: "10:03", crash: pg1}\n  - {at: "10:03", partition: pg1}\n'));
    expect(r.promotions).toEqual([]);
    expect(r.report.dataLoss).toEqual([]);
    expect(r.history.failoverDecisions.find((d) => agentIs(d, 'pg3') && d.chosen === null)!.reasons.map((x) => factText(x))[0]).toBe('pg3: not a synchronous standby (/sync lists none): in synchronous_mode only they may be promoted');
    // Without the second fault pg3 catches up (68 MB at 1 MB/s) and is assigned at a loop after that.
    const later = run(yaml(''));
    const assigned = later.report.events.find((e) => e.message === 'patroni on pg1: Synchronous standby status assigned to pg3')!;
    expect(at(assigned.at)).toBeGreaterThan(180 + 60);
    expect(at(assigned.at)).toBeLessThan(180 + 60 + 40);
  });

  /** pg1 and pg2 at site a, the three etcd members at e, clients at a; `pause`: the option, `plan` and `faults` as given. */
  const pauseScenario = (pause: boolean, plan: string, faults: string) => `
name: pause
start: 2024-01-01T10:00:00Z
end: "10:10"
sites: [a, e]
links: [{between: [a, e], bandwidth: 1Gbps, latency: 1ms}]
clusters:
  c:
    nodes:
      pg1: {site: a, version: 16}
      pg2: {site: a, version: 16, upstream: pg1}
    workload: {target: pg1, site: a, rate: 100/s, wal_per_tx: 2KiB}
    failover: {policy: patroni, pause: ${pause}, dcs: {members: {e1: e, e2: e, e3: e}}}
plan:
${plan || '  []'}
faults:
${faults}`;

  it('pause (maintenance mode): a crashed primary is neither restarted nor failed over, and without the DCS the primary is not demoted', () => {
    // ha.py in pause: the key holder whose PostgreSQL is not running deletes the key ("removed leader lock because
    // postgres is not running") and does not start it; is_healthiest_node is False for every replica, so nobody
    // races; _handle_dcs_error demotes only when not paused.
    const yaml = (pause: boolean, faults: string) => pauseScenario(pause, '', faults);
    const crash = '  - {at: "10:02", crash: pg1}\n';
    const paused = run(yaml(true, crash));
    expect(paused.promotions).toEqual([]);
    expect(paused.report.nodes.find((n) => n.name === 'pg1')!.state).toBe('crashed');
    expect(paused.report.outages.reduce((a, o) => a + o.seconds, 0)).toBeCloseTo(480, 0);
    expect(paused.report.events.map((e) => e.message)).toContain('patroni on pg1: PAUSE: removed leader lock because postgres is not running');
    expect(paused.history.failoverDecisions.find((d) => agentIs(d, 'pg2'))!.reasons.map((x) => factText(x))[0]).toBe('pg2: the cluster is paused (maintenance mode, pause): a replica does not race for the leader key ("PAUSE: no action")');
    // Not paused: Patroni restarts the crashed primary at its next loop (no failover for a PostgreSQL crash).
    const managed = run(yaml(false, crash));
    expect(managed.promotions).toEqual([]);
    expect(managed.report.outages.reduce((a, o) => a + o.seconds, 0)).toBeLessThan(11);
    // The DCS is cut off from site a for five minutes: paused, the primary goes on; not paused, it demotes itself.
    const cut = '  - {at: "10:02", partition: {sites: [a, e]}}\n  - {at: "10:07", heal: {sites: [a, e]}}\n';
    const dcsPaused = run(yaml(true, cut));
    expect(dcsPaused.report.outages).toEqual([]);
    expect(dcsPaused.report.events.map((e) => e.message)).toContain('patroni on pg1: PAUSE: DCS is not accessible (maintenance mode: the primary is not demoted)');
    expect(run(yaml(false, cut)).report.outages.length).toBeGreaterThan(0);
  });

  it('patronictl pause and resume as plan steps: the primary\'s host lost while paused is failed over only after resume', () => {
    const yaml = (plan: string) => pauseScenario(false, plan, '  - {at: "10:02", crash: pg1}\n  - {at: "10:02", partition: pg1}\n');
    const r = run(yaml('  - {at: "10:01", pause: c}\n  - {at: "10:05", resume: c}\n  - {at: "10:06", resume: c}'));
    // The key expires ttl after pg1's last renewal; pg2 does not race while paused; resume (written through pg2,
    // pg1 being unreachable) wakes pg2's loop, which races at once.
    expect(r.promotions.map((p) => p.node)).toEqual(['pg2']);
    expect(r.promotions[0]!.at - at('2024-01-01T10:05:00Z')).toBeGreaterThanOrEqual(0);
    expect(r.promotions[0]!.at - at('2024-01-01T10:05:00Z')).toBeLessThan(3);
    expect(r.report.events.map((e) => e.message)).toContain('patronictl pause (cluster c, through pg1): Success: cluster management is paused');
    expect(r.report.refusals!.map((x) => x.message)).toEqual(['patronictl resume of c refused: Cluster is not paused']);
    // Without the pause the failover comes within ttl + loop_wait of the loss.
    const unpaused = run(yaml(''));
    expect(unpaused.promotions.map((p) => p.node)).toEqual(['pg2']);
    expect(unpaused.promotions[0]!.at).toBeLessThan(120 + 30 + 10 + 3);
  });

  it('a switchover while paused needs a candidate; with one, the old leader is started as its replica all the same', () => {
    // api.py do_POST_failover: "Switchover is possible only to a specific candidate in a paused state"; with a
    // candidate, the leader demotes gracefully and ha.py demote starts it as a replica itself (the paused loop
    // would not), and the candidate takes the key (manual_failover_process_no_leader).
    const r = run(pauseScenario(false, '  - {at: "10:01", pause: c}\n  - {at: "10:02", switchover: {cluster: c}}\n  - {at: "10:03", switchover: pg2}', '  []'));
    expect(r.report.refusals!.map((x) => x.message)).toEqual(['patronictl switchover of c refused: Switchover is possible only to a specific candidate in a paused state']);
    expect(r.promotions.map((p) => p.node)).toEqual(['pg2']);
    expect(r.report.nodes.find((n) => n.name === 'pg1')).toMatchObject({ state: 'running', role: 'standby', upstream: 'pg2', timeline: 2 });
  });

  it('synchronous_mode: patronictl failover to an asynchronous standby with no leader promotes it (the dc was lost with the synchronous one)', () => {
    // pg1 and its synchronous standby pg2 are in east, cut off with one etcd member at 10:02; pg3 (west, async) may
    // not race (not in /sync). At 10:04 the operator runs patronictl failover --candidate pg3 --force: with no leader
    // the API writes /failover without one, and is_healthiest_node lets its candidate take the key whatever /sync
    // says (manual_failover_process_no_leader); only a switchover keeps non-synchronous members out.
    const yaml = twoSites('      synchronous_mode: true', '').replace('faults:\n', 'plan:\n  - {at: "10:04", failover: pg3}\nfaults:\n');
    const r = run(yaml);
    expect(r.promotions.map((p) => p.node)).toEqual(['pg3']);
    expect(r.promotions[0]!.at).toBeGreaterThanOrEqual(240);
    expect(r.promotions[0]!.at).toBeLessThan(240 + 3);
    expect(r.history.failoverDecisions.find((d) => agentIs(d, 'pg3') && d.chosen === 'pg3')!.reasons.map((x) => factText(x))[0]).toMatch(/^pg3 at .* is the manual failover's candidate: it takes the leader key without the lag check$/);
  });

  it('synchronous_mode: a caught-up standby named under load is confirmed at the 2 s recheck, against the flush LSN of the change', () => {
    // pg3 (preferred: pg2 is nofailover) crashes at 10:02 and is restarted; meanwhile pg2 is synchronous. When pg3
    // streams again the leader names it; 2 s later (ha.py _process_multisync_replication's sleep) sync.py compares
    // pg3's flush with _primary_flush_lsn, the primary's flush LSN just after the reload (set_synchronous_standby_names),
    // which a caught-up pg3 has passed: /sync lists it then, not a loop later.
    const yaml = trio('{policy: patroni, synchronous_mode: true, tags: {pg2: {nofailover: true}}, dcs: {members: {e1: a, e2: a, e3: a}}}', '  - {at: "10:02", crash: pg3}');
    const r = run(yaml);
    const changes = r.report.events.filter((e) => e.message === 'synchronous_standby_names changed on pg1 (reload) by Patroni on the leader pg1').map((e) => at(e.at));
    const assigned = r.report.events.filter((e) => e.message.startsWith('patroni on pg1: Synchronous standby status assigned')).map((e) => [e.message.replace('patroni on pg1: Synchronous standby status assigned to ', ''), at(e.at)]);
    expect(changes.length).toBe(2);
    expect(assigned).toEqual([
      ['pg2', changes[0]! + 2],
      ['pg3', changes[1]! + 2],
    ]);
  });

  it('synchronous_mode_strict: a new leader keeps the other /sync members, so one stays promotable before its next loop confirms the standbys', () => {
    // /sync lists pg2 and pg3 (synchronous_node_count 2). pg1's host dies: pg2 takes the key and, before promoting,
    // writes /sync with pg3 kept (ha.py _process_multisync_prepromote in strict mode); pg2's host dies 5 s after,
    // before its next loop: pg3, still in /sync, races and is promoted (the model had emptied /sync: no failover).
    const faults = ['10:02 pg1', '10:02:35 pg2'].map((x) => x.split(' ')).map(([t, n]) => `  - {at: "${t}", crash: ${n}}\n  - {at: "${t}", partition: ${n}}`).join('\n');
    const r = run(`
name: strict-prepromote
start: 2024-01-01T10:00:00Z
end: "10:06"
sites: [a]
clusters:
  c:
    nodes: {pg1: {site: a, version: 16}, pg2: {site: a, version: 16, upstream: pg1}, pg3: {site: a, version: 16, upstream: pg1}, pg4: {site: a, version: 16, upstream: pg1}}
    workload: {target: pg1, rate: 100/s, wal_per_tx: 2KiB}
    failover: {policy: patroni, synchronous_mode: true, synchronous_mode_strict: true, synchronous_node_count: 2, dcs: {members: {e1: a, e2: a, e3: a}}}
faults:
${faults}
`);
    expect(r.promotions.map((p) => p.node)).toEqual(['pg2', 'pg3']);
    expect(r.promotions[0]!.at).toBeLessThan(155);
    expect(r.report.dataLoss).toEqual([]);
  });

  it('Consul and ZooKeeper refuse reads without quorum: a minority-side replica sees "DCS is not accessible" instead of a stale leader key', () => {
    for (const type of ['consul', 'zookeeper']) {
      const r = run(twoSites().replace('dcs: {members:', `dcs: {type: ${type}, members:`));
      expect(r.promotions.map((p) => p.node)).toEqual(['pg3']);
      expect(r.history.failoverDecisions.some((d) => agentIs(d, 'pg2') && d.saw?.kind === 'dcs-not-accessible')).toBe(true);
    }
    const etcd = run(twoSites());
    expect(etcd.history.failoverDecisions.some((d) => agentIs(d, 'pg2') && d.saw?.kind === 'dcs-not-accessible')).toBe(false);
  });

  it('check_timeline: a standby that missed a failover is refused a second one; without it, it promotes onto a second timeline 2 and the first one\'s commits are lost', () => {
    // pg3 is cut off before pg1 is lost (it stays on timeline 1); pg2 is promoted (timeline 2); then pg2 is
    // lost while pg3 comes back. Few writes: pg3 is within maximum_lag_on_failover of last_lsn, so only the
    // timeline can refuse it (ha.py _is_healthiest_node checks the lag first, then the timeline).
    const yaml = (checkTimeline: boolean) => `
name: check-timeline
start: 2024-01-01T10:00:00Z
end: "10:10"
sites: [a]
clusters:
  c:
    nodes:
      pg1: {site: a, version: 16}
      pg2: {site: a, version: 16, upstream: pg1}
      pg3: {site: a, version: 16, upstream: pg1}
    workload: {target: pg1, rate: 1/s, wal_per_tx: 2KiB}
    failover: {policy: patroni, check_timeline: ${checkTimeline}, dcs: {members: {e1: a, e2: a, e3: a}}}
faults:
  - {at: "10:01", partition: pg3}
  - {at: "10:02", partition: pg1}
  - {at: "10:05", partition: pg2}
  - {at: "10:05", heal: pg3}
`;
    const on = run(yaml(true));
    expect(on.promotions.map((p) => p.node)).toEqual(['pg2']);
    expect(on.history.failoverDecisions.find((d) => agentIs(d, 'pg3') && d.rule!.includes('healthiest'))!.reasons.map((x) => factText(x))[0]).toBe('pg3: "My timeline 1 is behind last known cluster timeline 2" (check_timeline)');
    expect(on.report.dataLoss).toEqual([]);
    const off = run(yaml(false));
    expect(off.promotions.map((p) => p.node)).toEqual(['pg2', 'pg3']);
    expect(off.report.nodes.find((n) => n.name === 'pg3')).toMatchObject({ role: 'primary', timeline: 2 });
    // pg2's commits on its timeline 2 are not on pg3's history (another timeline with the same ID).
    const lost = off.report.dataLoss.find((l) => l.node === 'pg2')!;
    expect(lost.timeline).toBe(2);
    expect(lost.commits).toBeGreaterThan(100);
  });

  it('tags: nofailover never races; failover_priority wins among equally advanced standbys', () => {
    const yaml = (tags: string) =>
      twoSites(`      tags: ${tags}`, '')
        .replace('dcs: {members: {etcd1: east, etcd2: west, etcd3: west}}', 'dcs: {members: {etcd1: west, etcd2: west, etcd3: west}}')
        .replace('      pg2: {site: east, version: 16, upstream: pg1}', '      pg2: {site: west, version: 16, upstream: pg1}')
        .replace('  - {at: "10:02", name: cut, partition: {sites: [east, west]}}', '  - {at: "10:02", partition: pg1}');
    expect(run(yaml('{pg3: {failover_priority: 2}}')).promotions.map((p) => p.node)).toEqual(['pg3']);
    const r = run(yaml('{pg2: {failover_priority: 2}}'));
    expect(r.promotions.map((p) => p.node)).toEqual(['pg2']);
    expect(r.history.failoverDecisions.find((d) => agentIs(d, 'pg3') && d.chosen === null)!.reasons.map((x) => factText(x))[0]).toMatch(/pg2 has equally tolerable WAL position and priority 2, while this node has priority 1/);
    const nf = run(yaml('{pg2: {nofailover: true}, pg3: {nofailover: true}}'));
    expect(nf.promotions).toEqual([]);
    expect(nf.history.failoverDecisions.some((d) => d.reasons[0] !== undefined && factText(d.reasons[0]) === 'pg2: tagged nofailover')).toBe(true);
  });

  it('synchronous_mode prefers standbys without nofailover: the one it picks can be promoted', () => {
    // postgresql/sync.py current_state sorts members without nofailover first; pg2 (nofailover, first by name
    // and named in synchronous_standby_names) is passed over for pg3, which is promoted when pg1's host dies.
    const yaml = (tags: string) =>
      twoSites(`      synchronous_mode: true\n      tags: ${tags}`, '')
        .replace('dcs: {members: {etcd1: east, etcd2: west, etcd3: west}}', 'dcs: {members: {etcd1: west, etcd2: west, etcd3: west}}')
        .replace('      pg2: {site: east, version: 16, upstream: pg1}', '      pg2: {site: west, version: 16, upstream: pg1}')
        .replace('      pg1: {site: east, version: 16}', '      pg1: {site: east, version: 16, settings: {synchronous_standby_names: "pg2"}}')
        .replace('  - {at: "10:02", name: cut, partition: {sites: [east, west]}}', '  - {at: "10:02", crash: pg1}\n  - {at: "10:02", partition: pg1}');
    const r = run(yaml('{pg2: {nofailover: true}}'));
    expect(r.promotions.map((p) => p.node)).toEqual(['pg3']);
    expect(r.report.dataLoss).toEqual([]);
    expect(r.report.events.some((e) => e.at < '2024-01-01T10:01' && e.message === 'pg3 is now a synchronous standby of pg1')).toBe(true);
    // Without the tag the current synchronous standby stays.
    expect(run(yaml('{}')).promotions.map((p) => p.node)).toEqual(['pg2']);
  });

  it('the issue: a three-node cluster, a two-minute partition of the primary: Patroni demotes it, one primary, the third node follows the new one; naive leaves a split brain', () => {
    const yaml = (failover: string) => `
name: issue
start: 2024-01-01T10:00:00Z
end: "10:10"
sites: [a]
clusters:
  c:
    nodes:
      pg1: {site: a, version: 16}
      pg2: {site: a, version: 16, upstream: pg1}
      pg3: {site: a, version: 16, upstream: pg1}
    workload: {target: pg1, rate: 100/s, wal_per_tx: 2KiB}
    failover: ${failover}
faults:
  - {at: "10:02", partition: pg1}
  - {at: "10:04", heal: pg1}
`;
    const p = run(yaml('{policy: patroni, site: a}')).report;
    const primaries = p.nodes.filter((n) => n.role === 'primary' && n.state === 'running');
    expect(primaries.map((n) => n.name)).toEqual(['pg2']);
    expect(p.nodes.find((n) => n.name === 'pg1')!.role).toBe('standby');
    expect(p.nodes.find((n) => n.name === 'pg3')).toMatchObject({ upstream: 'pg2', receiver: 'streaming', timeline: 2 });
    expect(p.verdicts.filter((v) => v.kind === 'split-brain')).toEqual([]);
    // pg1 wrote its shutdown checkpoint past the fork: it needs pg_rewind or a re-clone, and the report says so.
    expect(p.verdicts.find((v) => v.kind === 'standby-broken' && v.node === 'pg1')!.cause.map((c) => c.text).join(' ')).toContain('pg_rewind');
    expect(p.events.some((e) => e.message.includes('pg1 will not stream until it is rebuilt'))).toBe(true);
    const n = run(yaml('{policy: naive, site: a, candidates: [pg2, pg3]}')).report;
    expect(n.verdicts.find((v) => v.kind === 'split-brain')).toMatchObject({ node: 'pg2', to: null });
  });

  it('a saturated CPU stalls the leader\'s loop past ttl: etcd loses the key (a false failover), ZooKeeper\'s pings keep the session', () => {
    const yaml = (dcs: string) =>
      twoSites('', '')
        .replace('dcs: {members: {etcd1: east, etcd2: west, etcd3: west}}', `dcs: {type: ${dcs}, members: {etcd1: west, etcd2: west, etcd3: west}}`)
        .replace('  - {at: "10:02", name: cut, partition: {sites: [east, west]}}', '  - {at: "10:02", slow_node: {node: pg1, cpu: 40000}}');
    // 40000 x (3 queries of 400 us): 48 s of work before each renewal, more than ttl = 30 s.
    const etcd = run(yaml('etcd3'));
    expect(etcd.promotions.map((p) => p.node).length).toBe(1);
    expect(etcd.report.events.some((e) => e.node === 'pg1' && e.message.includes('Demoting self (immediate-nolock)'))).toBe(true);
    expect(run(yaml('zookeeper')).promotions).toEqual([]);
  });

  /** pg1 (the leader) and its standbys pg2 and pg3 at one site under Patroni's defaults, 100 commits/s; `tail` adds the plan or faults. */
  const threeNodes = (name: string, end: string, tail: string) => `
name: ${name}
start: 2024-01-01T10:00:00Z
end: "${end}"
sites: [dc1]
clusters:
  c:
    nodes:
      pg1: {site: dc1, version: 16}
      pg2: {site: dc1, version: 16, upstream: pg1}
      pg3: {site: dc1, version: 16, upstream: pg1}
    workload: {target: pg1, rate: 100/s, wal_per_tx: 2KiB}
    failover: {policy: patroni, site: dc1}
${tail}
`;

  it("the key holder's data directory is emptied: it releases the key at its next loop, a replica is promoted, and it is re-cloned", () => {
    const r = run(threeNodes('datadir-gone', '10:15', 'faults:\n  - {at: "10:02", destroy_data: pg1}'));
    // ha.py _run_cycle: 'released leader key voluntarily as data dir empty and currently leader', at pg1's next
    // loop (within loop_wait); the others race at once (2 s for pg1's REST API, whose PostgreSQL is down).
    const released = r.report.events.find((e) => e.message.includes('released leader key voluntarily'))!;
    expect(at(released.at)).toBeLessThanOrEqual(120 + 10);
    expect(r.promotions).toHaveLength(1);
    expect(r.promotions[0]!.at).toBeLessThanOrEqual(at(released.at) + 2 + 0.01);
    // pg1 is then cloned from the new leader (bootstrap) and streams from it.
    expect(r.report.nodes.find((n) => n.name === 'pg1')).toMatchObject({ role: 'standby', state: 'running', receiver: 'streaming', upstream: r.promotions[0]!.node });
    expect(r.report.verdicts.filter((v) => v.kind === 'no-primary' && v.to === null)).toEqual([]);
  });

  it('a standby promoted behind Patroni\'s back is demoted to a standby of the leader on its newer timeline: it cannot follow (standby-broken)', () => {
    const r = run(threeNodes('behind-back', '10:10', 'plan:\n  - {at: "10:02", promote: pg2}'));
    // ha.py follow: a primary without the key demotes (immediate-nolock) and follows pg1, which stays on timeline 1:
    // "highest timeline 1 of the primary is behind recovery timeline 2" at every retry.
    const broken = r.report.verdicts.filter((v) => v.kind === 'standby-broken' && v.node === 'pg2');
    expect(broken).toHaveLength(1);
    expect(broken[0]!.to).toBeNull();
    expect(r.report.verdicts.find((v) => v.kind === 'split-brain')!.seconds).toBeLessThanOrEqual(10);
  });

  it('a DCS request is retried until retry_timeout: a cut between the leader and etcd shorter than that demotes nobody', () => {
    // Patroni's etcd client retries a request that finds no member (Retry(deadline=retry_timeout), etcd.py
    // _run_and_handle_exceptions): a cut that heals within retry_timeout only delays the cycle. loop_wait 1 s:
    // some cycle of the leader starts inside the cut.
    const yaml = (heal: string) => dcsApart('      loop_wait: 1s', `  - {at: "10:02", partition: {sites: [a, e]}}\n  - {at: "${heal}", heal: {sites: [a, e]}}`);
    const short = run(yaml('10:02:08'));
    expect(short.report.events.filter((e) => e.message.startsWith('pg1 demoted'))).toEqual([]);
    expect(short.promotions).toEqual([]);
    expect(short.report.verdicts).toEqual([]);
    // Longer than retry_timeout (10 s): the request sent at the cut's first cycle fails and the leader demotes.
    const long = run(yaml('10:02:20'));
    const demoted = long.report.events.find((e) => e.message.startsWith('pg1 demoted'))!;
    expect(at(demoted.at)).toBeGreaterThanOrEqual(120 + 10);
    expect(at(demoted.at)).toBeLessThanOrEqual(120 + 1 + 10);
  });

  it('packet loss to the DCS delays its requests by TCP retransmissions: under heavy loss they time out and the leader demotes itself', () => {
    // Each attempt (retry_timeout / 3 members = 3.3 s) fails once a packet of it is lost five times in a row
    // (200 ms RTO doubling: 6.2 s); with every attempt failed the cycle gets a DCS error. 20 % loss: never in
    // ten minutes; 70 %: a few demotions (and promotions back, the key still held).
    const yaml = (loss: string) =>
      dcsApart('', `  - {at: "10:02", packet_loss: {sites: [a, e], loss: "${loss}"}}\n  - {at: "10:12", packet_loss: {sites: [a, e], loss: "0%"}}`);
    const demotions = (r: ReturnType<typeof run>) => r.report.events.filter((e) => e.message === 'patroni on pg1: Demoting self (offline)');
    expect(demotions(run(yaml('20%')))).toEqual([]);
    const heavy = run(yaml('70%'));
    expect(demotions(heavy).length).toBeGreaterThan(0);
    expect(heavy.report.verdicts.some((v) => v.kind === 'no-primary')).toBe(true);
    expect(heavy.history.failoverDecisions.some((d) => d.saw?.kind === 'dcs-not-accessible' && factText(d.saw).includes('packet loss'))).toBe(true);
  });

  it('failsafe_mode under packet loss: a POST /failsafe that TCP cannot deliver within 2 s (twice) is no answer', () => {
    // The DCS stops; pg1 keeps running only while pg2 answers its POST /failsafe. 90 % loss between them:
    // the handshake and the request rarely get through within the 2 s timeout, and pg1 demotes itself.
    const yaml = (loss: string) =>
      dcsApart(
        '      failsafe_mode: true',
        ['etcd1', 'etcd2', 'etcd3'].map((m) => `  - {at: "10:02", stop_manager: ${m}}`).join('\n') + `\n  - {at: "10:01", packet_loss: {sites: [a, b], loss: "${loss}"}}`,
      );
    const demoted = (r: ReturnType<typeof run>) => r.report.events.some((e) => e.message === 'patroni on pg1: Demoting self (offline)');
    expect(demoted(run(yaml('0%')))).toBe(false);
    expect(demoted(run(yaml('90%')))).toBe(true);
  });

  it('timeouts are adjusted as Patroni does: loop_wait + 2 x retry_timeout <= ttl', () => {
    expect(adjustTimeouts(20, 30, 10)).toMatchObject({ loopWait: 10, ttl: 30, retryTimeout: 10 });
    expect(adjustTimeouts(10, 20, 15)).toMatchObject({ loopWait: 1, ttl: 20, retryTimeout: 9 });
    expect(adjustTimeouts(10, 10, 1)).toMatchObject({ loopWait: 10, ttl: 20, retryTimeout: 3 });
    expect(adjustTimeouts(10, 30, 10).adjustment).toBeNull();
    expect(adjustTimeouts(10, 20, 15).adjustment).toEqual({ kind: 'loop-wait-and-retry-timeout', ttl: 20, loopWait: [10, 1], retryTimeout: [15, 9] });
  });
});

describe('Patroni synchronous_mode: quorum (Patroni 4.0+; ha.py _process_quorum_replication, _is_healthiest_node)', () => {
  /**
   * pg1 and pg4 at site a, pg2 and pg3 at b behind a 20 Mbps line slower than the writes (they fall behind);
   * the DCS at e. pg1's and pg4's hosts are lost at 10:02.
   */
  const far = (failover: string) => `
name: quorum-far
start: 2024-01-01T10:00:00Z
end: "10:06"
sites: [a, b, e]
links:
  - {between: [a, b], bandwidth: 20Mbps, latency: 10ms}
  - {between: [a, e], bandwidth: 1Gbps, latency: 1ms}
  - {between: [b, e], bandwidth: 1Gbps, latency: 1ms}
clusters:
  c:
    nodes:
      pg1: {site: a, version: 16}
      pg4: {site: a, version: 16, upstream: pg1}
      pg2: {site: b, version: 16, upstream: pg1}
      pg3: {site: b, version: 16, upstream: pg1}
    workload: {target: pg1, site: a, rate: 500/s, wal_per_tx: 8KiB}
    failover: {policy: patroni, maximum_lag_on_failover: 1GiB, dcs: {members: {e1: e, e2: e, e3: e}}${failover}}
faults:
  - {at: "10:02", crash: pg1}
  - {at: "10:02", partition: pg1}
  - {at: "10:02", crash: pg4}
  - {at: "10:02", partition: pg4}
`;

  it('ANY 1 of three: pg4 alone acknowledged the commits; the far standbys cannot gather quorum 2 votes without it, so nobody is promoted and nothing is lost', () => {
    const r = run(far(', synchronous_mode: quorum'));
    expect(r.report.events.some((e) => e.log?.some((l) => l.includes('"synchronous_standby_names" changed')))).toBe(false);
    expect(r.promotions).toEqual([]);
    expect(r.report.dataLoss).toEqual([]);
    const refused = r.history.failoverDecisions.find((d) => agentIs(d, 'pg2') && d.chosen === null && d.rule!.includes('_is_healthiest_node'))!;
    expect(factText(refused.reasons[0]!)).toBe(
      'pg2: 1 vote from the /sync voters (pg2, pg3, pg4) not ahead of this node, 2 needed (quorum 2): a voter that did not answer may hold a commit this node lacks',
    );
    // Asynchronous, the same lag limit promotes a far standby and loses what only pg4 had.
    const loose = run(far(''));
    expect(loose.promotions.length).toBe(1);
    expect(loose.report.dataLoss.length).toBeGreaterThan(0);
  });

  it('ANY 2 of three (synchronous_node_count 2, quorum 1): one far standby\'s vote suffices, it has every acknowledged commit; the new leader then drops the dead from the names in order', () => {
    const r = run(far(', synchronous_mode: quorum, synchronous_node_count: 2'));
    expect(r.promotions.map((p) => p.node)).toEqual(['pg2']);
    expect(r.report.dataLoss).toEqual([]);
    // _process_quorum_prepromote: ANY 2 of the other /sync members (pg1 and pg4 dead among them) until pg2's next loop.
    const names = r.report.events.flatMap((e) => e.log ?? []).filter((l) => l.includes('"synchronous_standby_names" changed')).map((l) => l.replace(/.*changed to /, ''));
    expect(names).toEqual(['"ANY 2 (pg1, pg3, pg4)"', '"ANY 2 (pg1, pg3)"', '"ANY 1 (pg3)"']);
    const quorum = r.report.events.filter((e) => e.message.includes('Setting leader')).map((e) => e.message);
    expect(quorum).toEqual(['patroni on pg2: Setting leader to pg2, quorum to 1 of (pg1, pg3, pg4)', 'patroni on pg2: Setting leader to pg2, quorum to 0 of (pg3)']);
  });

  it('a switchover without a candidate needs quorum + 1 healthy candidates (is_failover_possible): with a voter cut off before the leader dropped it, it is refused', () => {
    const base = trio('{policy: patroni, synchronous_mode: quorum, dcs: {members: {e1: a, e2: a, e3: a}}}', '  - {at: "10:00:50", partition: pg3}').replace('faults:\n', 'plan:\n  - {at: "10:01", switchover: {cluster: c}}\nfaults:\n');
    // Two standbys: ANY 1 (pg2, pg3), /sync quorum 1 of (pg2, pg3); only pg2 answers: 1 healthy, 0 < quorum 1.
    const r = run(base);
    expect(r.promotions).toEqual([]);
    const refused = r.report.events.find((e) => e.message.includes('switchover is not possible'))!;
    expect(refused.message).toContain('Quorum requirement 1 can not be reached (1 healthy candidate)');
    // Named, the candidate alone suffices (the quorum is not checked when the /failover key names one).
    const named = run(base.replace('switchover: {cluster: c}', 'switchover: {cluster: c, candidate: pg2}'));
    expect(named.promotions.map((p) => p.node)).toEqual(['pg2']);
  });

  it('both standbys lost: strict keeps ANY max(1, voters - quorum) (the last voter) and commits wait; non-strict drops them from the names, then clears them', () => {
    const lost = '  - {at: "10:01", crash: pg2}\n  - {at: "10:01", partition: pg2}\n  - {at: "10:01", crash: pg3}\n  - {at: "10:01", partition: pg3}';
    const names = (r: ReturnType<typeof run>) => r.report.events.flatMap((e) => e.log ?? []).filter((l) => l.includes('"synchronous_standby_names" changed')).map((l) => l.replace(/.*changed to /, ''));
    const strict = run(trio('{policy: patroni, synchronous_mode: quorum, synchronous_mode_strict: true, dcs: {members: {e1: a, e2: a, e3: a}}}', lost));
    // pg3's member key goes first (the loops' phases): the resolver removes it; then no standby streams at all.
    expect(names(strict)).toEqual(['"ANY 1 (pg2)"']);
    expect(strict.report.stalls.at(-1)!.seconds).toBeGreaterThan(170);
    const loose = run(trio('{policy: patroni, synchronous_mode: quorum, dcs: {members: {e1: a, e2: a, e3: a}}}', lost));
    expect(names(loose)).toEqual(['"ANY 1 (pg2)"', '""']);
    expect(loose.report.stalls.reduce((a, x) => a + x.seconds, 0)).toBeLessThan(50);
  });

  it('a standby that restarts leaves the names before it leaves the voters, and comes back a voter (the quorum raised) before it is named', () => {
    const yaml = trio('{policy: patroni, synchronous_mode: quorum, dcs: {members: {e1: a, e2: a, e3: a}}}', '').replace('faults:\n', 'plan:\n  - {at: "10:01", stop: pg3}\nfaults:\n');
    const r = run(yaml);
    // pg3's Patroni starts it again at its next loop; the leader sees its member key not running (removed), then running (added).
    const order = r.report.events
      .filter((e) => e.message.includes('Setting leader') || e.log?.some((l) => l.includes('"synchronous_standby_names" changed')))
      .map((e) => (e.message.includes('Setting leader') ? e.message.replace('patroni on pg1: Setting leader to pg1, ', '') : e.log!.find((l) => l.includes('changed'))!.replace(/.*changed to /, '')));
    expect(order).toEqual(['"ANY 1 (pg2)"', 'quorum to 0 of (pg2)', 'quorum to 1 of (pg2, pg3)', '"ANY 1 (pg2, pg3)"']);
    expect(r.report.stalls).toEqual([]);
  });
});

describe('Patroni: who the leader race polls (ha.py is_healthiest_node, _is_healthiest_node)', () => {
  const lost = '  - {at: "10:02", crash: pg1}\n  - {at: "10:02", partition: pg1}';
  const polled = (failover: string) => {
    const r = run(trio(failover, lost));
    const d = r.history.failoverDecisions.find((x) => agentIs(x, 'pg2') && x.chosen === 'pg2')!;
    return d.reasons.filter((x) => x.kind === 'member-status').map((x) => factText(x));
  };

  it('a nofailover member is not polled (its member key says so); in quorum mode it is when it is a /sync voter, and gives no vote', () => {
    expect(polled('{policy: patroni, tags: {pg3: {nofailover: true}}, dcs: {members: {e1: a, e2: a, e3: a}}}')).toEqual(['pg1: not reachable (no answer within 2 s)']);
    // Quorum mode, synchronous_node_count 1: a nofailover standby is taken only while fewer than 1 are (sync.py
    // current_state); pg2 is, so /sync is quorum 0 of (pg2) and pg3 is neither a voter nor polled.
    expect(polled('{policy: patroni, synchronous_mode: quorum, tags: {pg3: {nofailover: true}}, dcs: {members: {e1: a, e2: a, e3: a}}}')).toEqual(['pg1: not reachable (no answer within 2 s)']);
    // synchronous_node_count 2: pg3 is named and a voter (quorum 0 of (pg2, pg3)): polled, "not allowed to promote", no vote.
    expect(polled('{policy: patroni, synchronous_mode: quorum, synchronous_node_count: 2, tags: {pg3: {nofailover: true}}, dcs: {members: {e1: a, e2: a, e3: a}}}')).toEqual([
      'pg1: not reachable (no answer within 2 s)',
      'pg3: not allowed to promote (nofailover)',
    ]);
  });
});

describe('Patroni options the model refuses (grammar-managers.ts)', () => {
  const failover = (extra: string, version = 16) => trio(`{policy: patroni, site: a${extra}}`, '').replaceAll('version: 16', `version: ${version}`);

  it('synchronous_mode quorum before PostgreSQL 10 (no ANY), a misspelled mode, and standby_cluster: one message each, at the key', () => {
    expect(() => loadScenarioText(failover(', synchronous_mode: quorum', 9.6), 'p.yaml')).toThrow(/synchronous_mode quorum is modelled from PostgreSQL 10.*node pg1 is 9\.6/);
    expect(() => loadScenarioText(failover(', synchronous_mode: quorom'), 'p.yaml')).toThrow(/"quorom" is not one of: true, false, quorum/);
    expect(() => loadScenarioText(failover(', standby_cluster: {host: 10.0.0.1, port: 5432}'), 'p.yaml')).toThrow(/standby_cluster in failover of cluster "c": a Patroni standby cluster .* is not modelled/);
    // true and false stay booleans.
    expect(() => loadScenarioText(failover(', synchronous_mode: true'), 'p.yaml')).not.toThrow();
  });
});

describe('Patroni failover_priority in the race (Patroni 3.2+, #2780; the former leader ignored 4.1+, #3297)', () => {
  it('the former leader, now a replica as far as this node, does not hold it back with its higher failover_priority', () => {
    // pg1 (failover_priority 3) at a, pg2 at b, the DCS at e. Both sites lose the DCS at 10:01: pg1 demotes itself
    // (the writes stop). b gets the DCS back at 10:03, a at 10:03:30: pg2 races while pg1 (as far, priority 3) cannot.
    const faults = ['10:01", partition: {sites: [a, e]', '10:01", partition: {sites: [b, e]', '10:03", heal: {sites: [b, e]', '10:03:30", heal: {sites: [a, e]'];
    const yaml = dcsApart('      tags: {pg1: {failover_priority: 3}}', faults.map((f) => `  - {at: "${f}}}`).join('\n'));
    const r = run(yaml);
    expect(r.promotions).toEqual([{ node: 'pg2', at: 180 }]);
    expect(r.report.events.some((e) => e.message.includes('has equally tolerable WAL position'))).toBe(false);
    expect(r.report.dataLoss).toEqual([]);
  });
});

describe('Patroni failsafe_mode and the race (Patroni 3.0+, ha.py is_healthiest_node)', () => {
  it('a failsafe primary whose key expired with the DCS takes it back at once: a running primary is the healthiest without polling (a replica as far with a higher failover_priority does not demote it)', () => {
    const yaml = `
name: failsafe-back
start: 2024-01-01T10:00:00Z
end: "10:06"
sites: [a, e]
links:
  - {between: [a, e], bandwidth: 1Gbps, latency: 1ms}
clusters:
  c:
    nodes:
      pg1: {site: a, version: 16}
      pg2: {site: a, version: 16, upstream: pg1}
    failover: {policy: patroni, failsafe_mode: true, tags: {pg2: {failover_priority: 2}}, dcs: {members: {e1: e, e2: e, e3: e}}}
faults:
  - {at: "10:01", partition: {sites: [a, e]}}
  - {at: "10:03", heal: {sites: [a, e]}}
`;
    const r = run(yaml);
    expect(r.promotions).toEqual([]);
    expect(r.report.events.some((e) => e.message === 'patroni on pg1: acquired session lock as a leader')).toBe(true);
    expect(r.report.events.some((e) => e.message.startsWith('patroni on pg1: Demoting self'))).toBe(false);
  });

  it('a member missing from /failsafe (its member key was gone at the leader\'s last write) does not race: with pg2 nofailover, nobody is promoted', () => {
    // pg3 is cut off from 10:00:30 to 10:02: its member key expires and pg1's next loops write /failsafe without it;
    // pg1's host is lost at 10:02, when pg3 is back.
    const faults = '  - {at: "10:00:30", partition: pg3}\n  - {at: "10:02", heal: pg3}\n  - {at: "10:02", crash: pg1}\n  - {at: "10:02", partition: pg1}';
    const failsafe = run(trio('{policy: patroni, failsafe_mode: true, maximum_lag_on_failover: 1GiB, tags: {pg2: {nofailover: true}}, dcs: {members: {e1: a, e2: a, e3: a}}}', faults));
    expect(failsafe.promotions).toEqual([]);
    const d = failsafe.history.failoverDecisions.find((x) => agentIs(x, 'pg3') && x.chosen === null && x.at > 120e6)!;
    expect(factText(d.reasons[0]!)).toBe('pg3: not in the /failsafe key (pg1, pg2): with failsafe_mode a member the leader did not list there does not race');
    const plain = run(trio('{policy: patroni, maximum_lag_on_failover: 1GiB, tags: {pg2: {nofailover: true}}, dcs: {members: {e1: a, e2: a, e3: a}}}', faults));
    expect(plain.promotions.map((p) => p.node)).toEqual(['pg3']);
  });
});

import { describe, expect, it } from 'vitest';
import { MACKEREL, at, errorOf, mackerelWith, posOf } from './helpers.ts';

const DB002 = 'db002: {site: aws, version: "9.3", upstream: db001}';

describe('error positions and did-you-mean', () => {
  it('unknown setting key', () => {
    const text = mackerelWith(DB002, 'db002: {site: aws, version: "9.3", upstream: db001, settings: {recovery_target_timline: latest}}');
    const e = errorOf(text);
    expect(posOf(e)).toEqual(at(text, 13, 'recovery_target_timline'));
    expect(e.format()).toBe(
      `x.yaml:13:${at(text, 13, 'recovery_target_timline').column}: unknown key "recovery_target_timline" in settings of node "db002"; did you mean "recovery_target_timeline"?`,
    );
  });

  it('unknown top-level key', () => {
    const text = mackerelWith('timezone: Asia/Tokyo', 'timezon: Asia/Tokyo');
    const e = errorOf(text);
    expect(e.format()).toBe('x.yaml:3:1: unknown key "timezon" at the top level; did you mean "timezone"?');
  });

  it('unknown key without a close match lists the expected keys', () => {
    const e = errorOf(mackerelWith('timezone: Asia/Tokyo', 'zzz: 1'));
    expect(e.hint).toBeUndefined();
    expect(e.format()).toMatch(/^x\.yaml:3:1: unknown key "zzz" at the top level \(expected one of: name, description, start/);
  });

  it('an unknown key spelt as another tool spells it suggests replsim\'s name', () => {
    const master = errorOf(mackerelWith(DB002, 'db002: {site: aws, version: "9.3", master: db001}'));
    expect(master.hint).toBe('did you mean "upstream"? (replsim\'s name for it)');
    const params = errorOf(mackerelWith(DB002, 'db002: {site: aws, version: "9.3", upstream: db001, parameters: {wal_keep_segments: 8}}'));
    expect(params.hint).toBe('did you mean "settings"? (replsim\'s name for it)');
    // A synonym is offered only when the mapping has that key.
    expect(errorOf(mackerelWith('timezone: Asia/Tokyo', 'master: 1')).hint).toBeUndefined();
  });

  it('unknown site, with did-you-mean over site names', () => {
    const text = mackerelWith(DB002, 'db002: {site: aws2, version: "9.3", upstream: db001}');
    const e = errorOf(text);
    expect(posOf(e)).toEqual(at(text, 13, 'aws2'));
    expect(e.message).toBe('site in node "db002": unknown site "aws2"');
    expect(e.hint).toBe('did you mean "aws"?');
  });

  it('unknown upstream node', () => {
    const text = mackerelWith(DB002, 'db002: {site: aws, version: "9.3", upstream: db01}');
    const e = errorOf(text);
    expect(posOf(e)).toEqual(at(text, 13, 'db01}'));
    expect(e.format()).toContain('upstream in node "db002": unknown node "db01"; did you mean "db001"?');
  });

  it('enum typo', () => {
    const text = mackerelWith('role: primary', 'role: primry');
    const e = errorOf(text);
    expect(posOf(e)).toEqual(at(text, 11, 'primry'));
    expect(e.format()).toContain('role in node "db000": "primry" is not one of: primary, standby; did you mean "primary"?');
  });

  it('missing required key points at the parent mapping', () => {
    const text = mackerelWith('db001: {site: aws, version: "9.3", upstream: db000}', 'db001: {version: "9.3", upstream: db000}');
    const e = errorOf(text);
    expect(posOf(e)).toEqual(at(text, 12, '{'));
    expect(e.message).toBe('missing key "site" in node "db001"');
    expect(e.expected).toBe('site: the name of a site');
  });

  it('bare duration gets a unit hint', () => {
    const text = mackerelWith('timeout: 30s', 'timeout: 30');
    const e = errorOf(text);
    expect(posOf(e)).toEqual(at(text, 15, '30,'));
    expect(e.format()).toContain('timeout in failover of cluster "mackerel": "30" has no unit; did you mean "30s"?');
  });

  it('bandwidth unit typo', () => {
    const text = mackerelWith('bandwidth: 1Gbps', 'bandwidth: 10 Mbs');
    const e = errorOf(text);
    expect(posOf(e)).toEqual(at(text, 6, '10 Mbs'));
    expect(e.format()).toContain('bandwidth in links.0: unknown bandwidth unit "Mbs" in "10 Mbs"; did you mean "10Mbps"?');
  });

  it('YAML syntax error', () => {
    const text = mackerelWith('sites: {onprem: {}, aws: {}}', 'sites: {onprem: {}, aws: {}');
    const e = errorOf(text);
    expect(e.line).toBeGreaterThanOrEqual(5);
    expect(e.message).toMatch(/^YAML syntax error: /);
    expect(e.format()).not.toContain('\n');
  });

  it('duplicate key', () => {
    const e = errorOf(mackerelWith('timezone: Asia/Tokyo', 'timezone: Asia/Tokyo\ntimezone: UTC'));
    expect(e.format()).toBe('x.yaml:4:1: duplicate key "timezone" at the top level');
    const text = mackerelWith(DB002, `${DB002}\n      ${DB002}`);
    expect(errorOf(text).format()).toBe('x.yaml:14:7: duplicate key "db002" in nodes of cluster "mackerel"');
  });

  it('wrong type', () => {
    const text = MACKEREL.replace(/    nodes:\n(      .*\n){3}/, '    nodes: [db000, db001]\n');
    const e = errorOf(text);
    expect(posOf(e)).toEqual(at(text, 10, '['));
    expect(e.format()).toBe('x.yaml:10:12: nodes in cluster "mackerel" must be a mapping of node names to {site, version, ...}, not a list');
  });

  it('unknown action key and two actions', () => {
    let text = mackerelWith('promote: db001', 'promot: db001');
    let e = errorOf(text);
    expect(posOf(e)).toEqual(at(text, 18, 'promot'));
    expect(e.format()).toContain('unknown key "promot" in plan.1; did you mean "promote"?');
    text = mackerelWith('promote: db001', 'promote: db001, crash: db002');
    e = errorOf(text);
    expect(posOf(e)).toEqual(at(text, 18, 'crash'));
    expect(e.message).toBe('plan.1 has more than one action (promote and crash): write one per entry');
    text = mackerelWith('{at: "14:30:10", promote: db001}', '{at: "14:30:10"}');
    e = errorOf(text);
    expect(posOf(e)).toEqual(at(text, 18, '{'));
    expect(e.message).toBe('plan.1 has no action');
  });

  it('named entries are named in messages', () => {
    const text = mackerelWith('partition: db001}', 'partition: db01}');
    expect(errorOf(text).format()).toContain('partition in faults entry "db001-lost": unknown node "db01"; did you mean "db001"?');
  });

  it('action after the end', () => {
    const text = mackerelWith('{at: "15:30",', '{at: "16:30",');
    const e = errorOf(text);
    expect(posOf(e)).toEqual(at(text, 21, '"16:30"'));
    expect(e.message).toMatch(/after the end of the scenario/);
  });

  it('time before the start', () => {
    const text = mackerelWith('{at: "14:30", block', '{at: "13:30", block');
    const e = errorOf(text);
    expect(posOf(e)).toEqual(at(text, 17, '"13:30"'));
    expect(e.message).toContain('"13:30" is before the start (14:00:00 on 2017-08-07 in Asia/Tokyo)');
    expect(e.hint).toMatch(/ISO time like "2017-08-08T13:30:00\+09:00" or "\+duration"/);
  });

  it('upstream loop', () => {
    const text = mackerelWith('db001: {site: aws, version: "9.3", upstream: db000}', 'db001: {site: aws, version: "9.3", upstream: db002}');
    const e = errorOf(text);
    expect(e.message).toBe('upstream of node "db002" makes a loop: db001 -> db002 -> db001');
    expect(posOf(e)).toEqual(at(text, 13, 'db001}'));
  });

  it('cluster without a primary', () => {
    const text = mackerelWith('role: primary, timeline: 15', 'role: standby, upstream: db002');
    const e = errorOf(text);
    expect(e.message).toBe('cluster "mackerel" has no primary');
    expect(e.line).toBe(11);
  });

  it('primary with an upstream, standby without one', () => {
    let e = errorOf(mackerelWith('role: primary, timeline: 15', 'role: primary, upstream: db001'));
    expect(e.message).toBe('node "db000" is a primary and cannot have an upstream');
    e = errorOf(mackerelWith('upstream: db000}', 'role: standby}'));
    expect(e.message).toBe('node "db001" is a standby and needs an upstream');
    e = errorOf(mackerelWith('upstream: db000}', 'upstream: db000, timeline: 3}'));
    expect(e.message).toMatch(/timeline is for a primary/);
  });

  it('failover candidates must be nodes of the cluster', () => {
    const text = mackerelWith('candidates: [db002]', 'candidates: [db001, dbx002]');
    const e = errorOf(text);
    expect(posOf(e)).toEqual(at(text, 15, 'dbx002'));
    expect(e.format()).toContain('candidates.1 of failover of cluster "mackerel": unknown node "dbx002"; did you mean "db002"?');
  });

  it('naive failover needs candidates', () => {
    const e = errorOf(mackerelWith(', candidates: [db002]', ''));
    expect(e.message).toBe('failover in cluster "mackerel" with policy naive needs candidates');
  });

  it('partition of an unknown site', () => {
    const text = mackerelWith('partition: db001}', 'partition: {sites: [aws, onprim]}}');
    const e = errorOf(text);
    expect(posOf(e)).toEqual(at(text, 21, 'onprim'));
    expect(e.hint).toBe('did you mean "onprem"?');
  });

  it('end and duration', () => {
    let e = errorOf(mackerelWith('end: "16:00"', 'end: "16:00"\nduration: 2h'));
    expect(e.message).toBe('give end or duration, not both');
    expect(e.line).toBe(5);
    e = errorOf(mackerelWith('end: "16:00"\n', ''));
    expect(e.message).toBe('missing key "end" (or "duration")');
  });

  it('workload target must exist and be a primary', () => {
    let e = errorOf(mackerelWith('target: db000', 'target: db00'));
    expect(e.hint).toBe('did you mean "db000"?');
    e = errorOf(mackerelWith('target: db000', 'target: db001'));
    expect(e.message).toMatch(/is a standby; clients write to a primary/);
  });

  it('node names are unique across clusters', () => {
    const text = mackerelWith('plan:', '  other:\n    nodes:\n      db000: {site: aws, version: 15}\nplan:');
    const e = errorOf(text);
    expect(posOf(e)).toEqual(at(text, 18, 'db000'));
    expect(e.format()).toBe('x.yaml:18:7: node name "db000" is already used in cluster "mackerel"; node names must be unique across clusters');
  });

  it('a non-string key', () => {
    const text = mackerelWith('timezone: Asia/Tokyo', '[a]: 1');
    const e = errorOf(text);
    expect(e.line).toBe(3);
    expect(e.message).toMatch(/keys must be plain names/);
  });

  it('__proto__ and constructor are just unknown keys', () => {
    expect(errorOf(mackerelWith('timezone: Asia/Tokyo', '__proto__: {polluted: 1}')).message).toBe('unknown key "__proto__" at the top level');
    expect(errorOf(mackerelWith(DB002, 'db002: {site: aws, version: "9.3", upstream: db001, settings: {constructor: 1}}')).message).toMatch(/unknown key "constructor"/);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('alias bombs are stopped', () => {
    const lines = ['a0: &a0 [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 12; i++) lines.push(`a${i}: &a${i} [${Array(10).fill(`*a${i - 1}`).join(', ')}]`);
    const text = `${MACKEREL.replace('name: mackerel-2017', `name: mackerel-2017\nx:\n  ${lines.join('\n  ')}`)}`;
    const t0 = Date.now();
    const e = errorOf(text);
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(e.message).toMatch(/unknown key "x"/);
    const e2 = errorOf(MACKEREL.replace('description', 'x').replace('sites: {onprem: {}, aws: {}}', 'sites: &s [*s]'));
    expect(e2.line).toBeGreaterThanOrEqual(1);
  });
});

describe('errors on hot-standby conflict settings and sessions: one error per mistake, named where it is', () => {
  const doc = (standby: string, session: string) => `
name: x
start: 2024-01-01T00:00:00Z
duration: 1h
sites: {dc: {}}
clusters:
  c:
    nodes:
      p: {site: dc, version: 16}
      s: {site: dc, version: 16, upstream: p, settings: {${standby}}}
    databases:
      app:
        tables:
          t: {size: 1GB}
plan:
  - {at: +1m, open_transaction: {${session}}}
  - {at: +5m, vacuum: t}
`;

  it('a misspelt setting is the only error: the tables of its cluster are not then reported missing', () => {
    const e = errorOf(doc('max_standby_streeming_delay: -1', 'node: s, name: report'));
    expect(e.errors.map((x) => x.format())).toEqual([`x.yaml:10:58: unknown key "max_standby_streeming_delay" in settings of node "s"; did you mean "max_standby_streaming_delay"?`]);
  });

  it('an unknown table in open_transaction\'s tables names the step it is in', () => {
    const e = errorOf(doc('max_standby_streaming_delay: -1', 'node: s, name: report, tables: [nosuch]'));
    expect(e.format()).toBe('x.yaml:16:66: tables.0 in open_transaction of plan.0: no table "nosuch" (expected one of t)');
  });
});

import { describe, expect, it } from 'vitest';
import { listVariants, loadScenarioText } from '../../src/scenario/load.ts';
import { MACKEREL, at, errorOf, mackerelWith, posOf } from './helpers.ts';

const M = 60_000_000;
const load = (opts: Parameters<typeof loadScenarioText>[2], text = MACKEREL) => loadScenarioText(text, 'x.yaml', opts);

describe('--set', () => {
  it('addresses a list item by index', () => {
    const s = load({ sets: ['plan.0.at=14:31'] });
    expect(s.actions.find((a) => a.kind === 'blockClients')!.at).toBe(31 * M);
    expect(s.actions.map((a) => a.kind)).toEqual(['promote', 'routeWrites', 'blockClients', 'partition']);
  });

  it('addresses a list item by name', () => {
    const s = load({ sets: ['faults.db001-lost.at=15:00'] });
    expect(s.actions.find((a) => a.name === 'db001-lost')!.at).toBe(60 * M);
  });

  it('messages count list entries as --set paths do: the entry a message names is the one its path sets', () => {
    const plan = 'plan=[{at: "14:30", promote: db001}, {at: "14:31", promote: nosuch}]';
    expect(errorOf(MACKEREL, { sets: [plan] }).message).toBe('promote in plan.1: unknown node "nosuch"');
    // plan.1, as the message names it, is the entry `--set plan.1...` changes.
    expect(load({ sets: [plan, 'plan.1.promote=db002'] }).actions.find((a) => a.kind === 'promote' && a.at === 31 * M)).toMatchObject({ node: 'db002' });
    const candidates = 'clusters.mackerel.failover.candidates=[db002, nosuch]';
    expect(errorOf(MACKEREL, { sets: [candidates] }).message).toMatch(/^candidates\.1 of failover of cluster "mackerel": unknown node "nosuch"/);
    expect(() => load({ sets: [candidates, 'clusters.mackerel.failover.candidates.1=db001'] })).not.toThrow();
  });

  it('creates missing keys', () => {
    const s = load({ sets: ['clusters.mackerel.nodes.db002.settings.recovery_target_timeline=latest', 'clusters.mackerel.nodes.db001.settings.hot_standby_feedback=true'] });
    expect(s.clusters[0]!.nodes[2]!.settings).toEqual({ recoveryTargetTimeline: 'latest' });
    expect(s.clusters[0]!.nodes[1]!.settings).toEqual({ hotStandbyFeedback: true });
  });

  it('parses the value as YAML', () => {
    const s = load({
      sets: [
        'clusters.mackerel.workload={target: db000, rate: 400/s, wal_per_tx: 1KiB}',
        'clusters.mackerel.failover.candidates=[db001, db002]',
        'seed=99',
        'links.0.latency=20ms',
      ],
    });
    expect(s.clusters[0]!.workloads).toEqual([{ name: 'clients', target: 'db000', site: 'onprem', rate: 400, walPerTx: 1024, connections: 100 }]);
    expect(s.clusters[0]!.failover[0]).toMatchObject({ candidates: ['db001', 'db002'] });
    expect(s.seed).toBe(99);
    expect(s.links[0]!.latency).toBe(20_000);
  });

  it('replaces a whole list entry', () => {
    const s = load({ sets: ['faults.0={at: "15:00", crash: db002}'] });
    expect(s.actions.at(-1)).toMatchObject({ kind: 'crash', node: 'db002', at: 60 * M, source: 'faults' });
  });

  it('applies after the variant, in order', () => {
    const s = load({ variant: 'latest-timeline', sets: ['clusters.mackerel.nodes.db002.settings.recovery_target_timeline=16', 'seed=5', 'seed=6'] });
    expect(s.clusters[0]!.nodes[2]!.settings.recoveryTargetTimeline).toEqual({ tli: 16 });
    expect(s.seed).toBe(6);
  });

  it('reports a typo in a created key with did-you-mean, as a --set error', () => {
    const arg = 'clusters.mackerel.nodes.db002.settings.recovery_target_timline=latest';
    const e = errorOf(MACKEREL, { sets: [arg] });
    expect(e.setArg).toBe(arg);
    expect(e.format()).toBe(`x.yaml: --set ${arg}: unknown key "recovery_target_timline" in settings of node "db002"; did you mean "recovery_target_timeline"?`);
  });

  it('a misspelt entry name the path creates gets did-you-mean with the entries beside it', () => {
    const node = errorOf(MACKEREL, { sets: ['clusters.mackerel.nodes.db02.settings.recovery_target_timeline=latest'] });
    expect(node.message).toBe('missing key "site" in node "db02"');
    expect(node.hint).toBe('did you mean "db002"? (the path made a new entry "db02" beside db000, db001, db002)');
    const cluster = errorOf(MACKEREL, { sets: ['clusters.mackrel.workload.rate=400/s'] });
    expect(cluster.hint).toBe('did you mean "mackerel"? (the path made a new entry "mackrel" beside mackerel)');
    // The entry below the misspelt one inherits the hint: the error is found there.
    expect(errorOf(MACKEREL, { sets: ['clusters.mackerel.workloads.clients.rate=400/s'] }).hint).toMatch(/^did you mean "workload"\?/);
    // A new entry that resembles nothing is left to the grammar's own message.
    expect(errorOf(MACKEREL, { sets: ['clusters.mackerel.nodes.standby-tokyo.version=15'] }).hint).toBeUndefined();
  });

  it('a wrong recovery_target_timeline names all three forms, with did-you-mean for a misspelt keyword', () => {
    const set = (v: string) => errorOf(MACKEREL, { sets: [`clusters.mackerel.nodes.db002.settings.recovery_target_timeline=${v}`] });
    expect(set('newest').message).toBe('recovery_target_timeline in settings of node "db002": "newest" is not current, latest or a timeline ID (an integer >= 1)');
    expect(set('newest').hint).toBeUndefined();
    expect(set('lates').hint).toBe('did you mean "latest"?');
    expect(load({ sets: ['clusters.mackerel.nodes.db002.settings.recovery_target_timeline="16"'] }).clusters[0]!.nodes[2]!.settings.recoveryTargetTimeline).toEqual({ tli: 16 });
  });

  it('reports a bad value as a --set error', () => {
    const e = errorOf(MACKEREL, { sets: ['clusters.mackerel.workload.rate=fast'] });
    expect(e.format()).toBe('x.yaml: --set clusters.mackerel.workload.rate=fast: rate in workload of cluster "mackerel": "fast" is not a rate; e.g. "800/s", "48000/min", "1000/h"');
    expect(e.column).toBe('clusters.mackerel.workload.rate='.length + 1);
    expect(errorOf(MACKEREL, { sets: ['faults.db001-lost.at=13:00'] }).message).toMatch(/before the start/);
  });

  it('reports paths that cannot be resolved', () => {
    expect(errorOf(MACKEREL, { sets: ['plan.3.at=14:31'] }).format()).toBe('x.yaml: --set plan.3.at=14:31: plan has 3 entries: index 3 is out of range; use 0 to 2 or an entry\'s name');
    expect(errorOf(MACKEREL, { sets: ['faults.db001-lots.at=15:00'] }).format()).toBe('x.yaml: --set faults.db001-lots.at=15:00: faults has no entry named "db001-lots"; did you mean "db001-lost"?');
    expect(errorOf(MACKEREL, { sets: ['plan.block.at=15:00'] }).hint).toBe('no entry of plan has a name: use an index 0 to 2');
    expect(errorOf(MACKEREL, { sets: ['name.x=1'] }).message).toBe('cannot set "name.x": name is the string "mackerel-2017", not a mapping or a list');
    expect(errorOf(MACKEREL, { sets: ['plan..at=1'] }).message).toMatch(/empty part/);
    expect(errorOf(MACKEREL, { sets: ['seed'] }).message).toBe('expected PATH=VALUE');
    expect(errorOf(MACKEREL, { sets: ['=1'] }).message).toBe('the path is empty');
    expect(errorOf(MACKEREL, { sets: ['seed={a'] }).message).toMatch(/^the value is not valid YAML/);
    expect(errorOf(MACKEREL, { sets: ['seed=*a'] }).message).toMatch(/not valid YAML|aliases/);
  });

  it('an unknown top-level key created by --set gets did-you-mean', () => {
    expect(errorOf(MACKEREL, { sets: ['sead=3'] }).format()).toBe('x.yaml: --set sead=3: unknown key "sead" at the top level; did you mean "seed"?');
  });

  it('an empty value removes an optional value', () => {
    expect(load({ sets: ['clusters.mackerel.failover='] }).clusters[0]!.failover).toEqual([]);
  });
});

describe('variants', () => {
  it('lists variants', () => {
    expect(listVariants(MACKEREL, 'x.yaml')).toEqual([{ name: 'latest-timeline', description: 'db002 follows the newest timeline' }]);
    expect(listVariants('name: x\n', 'x.yaml')).toEqual([]);
  });

  it('unknown variant: did-you-mean and the list', () => {
    const e = errorOf(MACKEREL, { variant: 'latest-timline' });
    expect(e.format()).toBe('x.yaml:24:1: unknown variant "latest-timline"; did you mean "latest-timeline"? (variants: latest-timeline)');
    expect(errorOf(MACKEREL, { variant: 'zzz' }).format()).toBe('x.yaml:24:1: unknown variant "zzz" (expected one of: latest-timeline)');
  });

  it('errors in a variant value point at the variant in the file', () => {
    const text = `${MACKEREL}  bad-rate:\n    set:\n      clusters.mackerel.workload.rate: 10 Mbs\n`;
    const e = errorOf(text, { variant: 'bad-rate' });
    expect(posOf(e)).toEqual(at(text, 30, '10 Mbs'));
    expect(e.message).toBe('variant "bad-rate": rate in workload of cluster "mackerel": "10 Mbs" is not a rate');
    expect(load({ variant: 'latest-timeline' }, text).variant).toBe('latest-timeline');
  });

  it('a typo in a variant path points at the path', () => {
    const text = `${MACKEREL}  typo:\n    set:\n      clusters.mackerel.nodes.db002.settings.recovery_target_timline: latest\n`;
    const e = errorOf(text, { variant: 'typo' });
    expect(posOf(e)).toEqual(at(text, 30, 'clusters'));
    expect(e.hint).toBe('did you mean "recovery_target_timeline"?');
  });

  it('a misspelt entry name in a variant path gets did-you-mean at the path', () => {
    const text = `${MACKEREL}  typo-node:\n    set:\n      clusters.mackerel.nodes.db02.settings.recovery_target_timeline: latest\n`;
    const e = errorOf(text, { variant: 'typo-node' });
    expect(posOf(e)).toEqual(at(text, 30, 'clusters'));
    expect(e.hint).toBe('did you mean "db002"? (the path made a new entry "db02" beside db000, db001, db002)');
  });

  it('an unresolvable variant path names the variant', () => {
    const text = `${MACKEREL}  far:\n    set: {plan.7.at: "14:00"}\n`;
    const e = errorOf(text, { variant: 'far' });
    expect(posOf(e)).toEqual(at(text, 29, 'plan.7.at'));
    expect(e.message).toBe('variant "far": set plan.7.at: plan has 3 entries: index 7 is out of range');
  });

  it('variants are validated even when none is selected', () => {
    const text = mackerelWith('    set: {clusters', '    sett: {clusters');
    expect(errorOf(text).format()).toBe('x.yaml:27:5: unknown key "sett" in variant "latest-timeline"; did you mean "set"?');
  });

  it('a variant does not change the variants section itself', () => {
    const text = `${MACKEREL}  twice:\n    set: {plan.0.at: "14:20", seed: 3}\n`;
    const s = load({ variant: 'twice' }, text);
    expect(s.seed).toBe(3);
    expect(s.actions[0]!.at).toBe(20 * M);
    expect(listVariants(text, 'x.yaml').map((v) => v.name)).toEqual(['latest-timeline', 'twice']);
  });

  it('a variant adds, removes and moves plan steps and faults by name, before its set', () => {
    const text = `${MACKEREL.replace('  - {at: "14:30:10", promote: db001}', '  - {at: "14:30:10", name: promote, promote: db001}')}  later:
    plan:
      move: {promote: "14:45"}
    faults:
      remove: [db001-lost]
      add:
        - {at: "15:10", name: crash, crash: db001}
        - {at: "15:20", name: back, restart: db001}
    set: {faults.crash.at: "15:05"}
`;
    const s = load({ variant: 'later' }, text);
    expect(s.actions.map((a) => `${a.kind}@${a.at / M}`)).toEqual(['blockClients@30', 'routeWrites@30.25', 'promote@45', 'crash@65', 'restart@80']);
    expect(listVariants(text, 'x.yaml').map((v) => v.name)).toEqual(['latest-timeline', 'later']);
    // Without the variant, nothing changed.
    expect(load({}, text).actions.map((a) => a.kind)).toEqual(['blockClients', 'promote', 'routeWrites', 'partition']);
  });

  it('an unknown entry name in a variant operation names the variant, with did-you-mean, at the name', () => {
    const text = `${MACKEREL}  oops:\n    faults: {remove: [db001-lsot]}\n`;
    const e = errorOf(text, { variant: 'oops' });
    expect(posOf(e)).toEqual(at(text, 29, 'db001-lsot'));
    expect(e.format()).toBe('x.yaml:29:23: variant "oops": cannot remove faults entry "db001-lsot": there is none of that name; did you mean "db001-lost"?');
  });

  it('an error in an added entry points at it and names the variant; one it causes elsewhere says which variant', () => {
    const text = `${MACKEREL}  bad-add:\n    faults:\n      add: [{at: "15:10", crash: db003}]\n  short:\n    set: {end: "14:10"}\n`;
    const e = errorOf(text, { variant: 'bad-add' });
    expect(posOf(e)).toEqual(at(text, 30, 'db003'));
    expect(e.message).toMatch(/^variant "bad-add": crash in faults.1: unknown node "db003"/);
    const elsewhere = errorOf(text, { variant: 'short' });
    expect(elsewhere.line).toBe(17);
    expect(elsewhere.message).toMatch(/^at in plan.0 is after the end of the scenario .* \(with variant "short"\)$/);
  });

  it('a variant that changes nothing is an error', () => {
    expect(errorOf(`${MACKEREL}  empty:\n    description: nothing\n`).message).toBe('variant "empty" changes nothing');
  });
});

import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { buildScenarioSchema } from '../../src/scenario/schema.ts';
import { loadLocatedScenario, loadScenarioText, prepareScenario } from '../../src/scenario/load.ts';
import { runScenario } from '../../src/run.ts';
import { readFileSync } from 'node:fs';
import { at, errorOf, fixture, posOf } from './helpers.ts';

const M = 60_000_000;

/** Three shards from one template, each a primary in dc1 and a standby in dc2, promoted one a minute. */
const FLEET = `name: fleet
start: 2024-06-03T10:00:00+02:00
timezone: Europe/Paris
end: "10:30"
sites: {dc1: {}, dc2: {}}
links:
  - {between: [dc1, dc2], bandwidth: 1Gbps, latency: 8ms}
clusters:
  shard-$i:
    repeat: 3
    nodes:
      pg$i-a: {site: dc1, version: 16, role: primary}
      pg$i-b: {site: dc2, version: 16, upstream: pg$i-a}
    workload: {target: pg$i-a, site: dc1, rate: $(i*100)/s, wal_per_tx: 4KiB}
plan:
  - {repeat: 3, at: "+$(i+10)m", name: promote-$i, promote: pg$i-b}
expect:
  - {repeat: 3, no_data_loss: shard-$i}
`;

const load = (text: string, opts: Parameters<typeof loadScenarioText>[2] = {}) => loadScenarioText(text, 'x.yaml', opts);

describe('repeat', () => {
  it('makes one entry per index from a template, $i and $(i op N) replaced in keys and values', () => {
    const s = load(FLEET);
    expect(s.clusters.map((c) => c.name)).toEqual(['shard-1', 'shard-2', 'shard-3']);
    expect(s.clusters.map((c) => c.nodes.map((n) => `${n.name}<-${n.upstream ?? '-'}`).join(' '))).toEqual(['pg1-a<-- pg1-b<-pg1-a', 'pg2-a<-- pg2-b<-pg2-a', 'pg3-a<-- pg3-b<-pg3-a']);
    expect(s.clusters.map((c) => c.workloads[0]!.rate)).toEqual([100, 200, 300]);
    expect(s.actions.map((a) => `${a.name}@${a.at / M}`)).toEqual(['promote-1@11', 'promote-2@12', 'promote-3@13']);
    expect(s.expectations).toHaveLength(3);
  });

  it('is the same scenario as the fleet written out', () => {
    const written = FLEET.replace(/clusters:[\s\S]*$/, '')
      .concat('clusters:\n')
      .concat([1, 2, 3].map((i) => `  shard-${i}:\n    nodes:\n      pg${i}-a: {site: dc1, version: 16, role: primary}\n      pg${i}-b: {site: dc2, version: 16, upstream: pg${i}-a}\n    workload: {target: pg${i}-a, site: dc1, rate: ${i * 100}/s, wal_per_tx: 4KiB}\n`).join(''))
      .concat('plan:\n', [1, 2, 3].map((i) => `  - {at: "+${i + 10}m", name: promote-${i}, promote: pg${i}-b}\n`).join(''))
      .concat('expect:\n', [1, 2, 3].map((i) => `  - {no_data_loss: shard-${i}}\n`).join(''));
    expect(load(FLEET)).toEqual(load(written));
    expect(runScenario(load(FLEET)).report).toEqual(runScenario(load(written)).report);
  });

  it('DRBD pairs: hosts, disks, resources and workloads from templates', () => {
    const s = loadScenarioText(readFileSync(fixture('drbd-pairs-repeat.yaml'), 'utf8'), 'drbd-pairs-repeat.yaml');
    expect(s.block!.resources.map((r) => `${r.name}: ${r.primary.host}/${r.primary.disk} -> ${r.secondary.host}/${r.secondary.disk}`)).toEqual(['vol-1: store-old-1/old-1 -> store-new-1/new-1', 'vol-2: store-old-2/old-2 -> store-new-2/new-2']);
    expect(s.block!.workloads.map((w) => [w.name, w.resource, w.iops])).toEqual([['app-1', 'vol-1', 200], ['app-2', 'vol-2', 400]]);
  });

  it('count, from and as; nested templates with their own variable', () => {
    const text = FLEET.replace('    repeat: 3\n', '    repeat: {count: 2, from: 0, as: s}\n')
      .replace(/\$i/g, '$s')
      .replace('$(i*100)/s', '100/s')
      .replace(/  - \{repeat: 3, at[^\n]*\n/, '  - {repeat: {count: 2, from: 0, as: s}, at: "+$(s+10)m", name: promote-$s, promote: pg$s-b}\n')
      .replace('  - {repeat: 3, no_data_loss: shard-$s}', '  - {repeat: {count: 2, from: 0, as: s}, no_data_loss: shard-$s}');
    const s = load(text);
    expect(s.clusters.map((c) => c.name)).toEqual(['shard-0', 'shard-1']);
    // Standbys of a shard from a nested template: $i inside, $s from the shard.
    const nested = text.replace('      pg$s-b: {site: dc2, version: 16, upstream: pg$s-a}\n', '      pg$s-b$i:\n        repeat: 2\n        site: dc2\n        version: 16\n        upstream: pg$s-a\n').replace(/promote: pg\$s-b/, 'promote: pg$s-b1');
    expect(load(nested).clusters.map((c) => c.nodes.map((n) => n.name))).toEqual([['pg0-a', 'pg0-b1', 'pg0-b2'], ['pg1-a', 'pg1-b1', 'pg1-b2']]);
    const clash = nested.replace('        repeat: 2\n', '        repeat: {count: 2, as: s}\n');
    expect(errorOf(clash).message).toBe("this repeat's $s is already the index of an enclosing repeat");
  });

  it('variants and --set change the template: the count, a value of every instance, a fault on one instance', () => {
    expect(load(FLEET, { sets: ['clusters.shard-$i.repeat=5', 'plan.0.repeat=5', 'expect.0.repeat=5'] }).clusters).toHaveLength(5);
    expect(load(FLEET, { sets: ['clusters.shard-$i.nodes.pg$i-b.settings.recovery_target_timeline=current'] }).clusters.every((c) => c.nodes[1]!.settings.recoveryTargetTimeline === 'current')).toBe(true);
    const v = `${FLEET}variants:\n  crash-2:\n    faults:\n      add: [{at: "10:05", name: crash, crash: pg2-a}]\n`;
    expect(load(v, { variant: 'crash-2' }).actions.find((a) => a.name === 'crash')).toMatchObject({ kind: 'crash', node: 'pg2-a' });
    // A sweep draws over the template: each decode starts from it again.
    const p = prepareScenario(FLEET, 'x.yaml');
    const fleetOf = (n: number) => p.decode(['clusters.shard-$i.repeat', 'plan.0.repeat', 'expect.0.repeat'].map((path) => ({ path, value: String(n) }))).clusters.map((c) => c.name);
    expect(fleetOf(2)).toEqual(['shard-1', 'shard-2']);
    expect(fleetOf(4)).toEqual(['shard-1', 'shard-2', 'shard-3', 'shard-4']);
    expect(fleetOf(3)).toHaveLength(3);
  });

  it('an error in an instance points at the template and names the instance', () => {
    const text = FLEET.replace('upstream: pg$i-a}', 'upstream: pg$i-x}');
    const e = errorOf(text);
    expect(posOf(e)).toEqual(at(text, 13, 'pg$i-x'));
    expect(e.format()).toBe('x.yaml:13:50: upstream in node "pg1-b": unknown node "pg1-x"; did you mean "pg1-a"?');
    // Lint and the run's headings point at the template's lines too.
    const located = loadLocatedScenario(FLEET, 'x.yaml');
    expect(located.positionOf('clusters.shard-2.nodes.pg2-b')).toEqual(at(FLEET, 13, '{site: dc2'));
  });

  it('messages count list entries as written, as --set paths do: a template is one entry, its instances named by their index', () => {
    const text = FLEET.replace('  - {repeat: 3, no_data_loss: shard-$i}\n', '  - {repeat: 3, no_data_loss: shard-$(i+1)}\n  - {no_data_loss: shard-9}\n');
    const all = (errorOf(text) as unknown as { errors: { message: string }[] }).errors.map((x) => x.message);
    expect(all).toEqual([
      'no_data_loss in expect.0 ($i = 3): unknown cluster "shard-4"',
      'no_data_loss in expect.1: unknown cluster "shard-9"',
    ]);
    // expect.1, as the message names it, is the entry `--set expect.1...` changes (after expansion it is the fourth).
    expect(() => load(text, { sets: ['expect.1.no_data_loss=shard-2', 'expect.0.repeat=2'] })).not.toThrow();
  });

  it('refuses what cannot be meant: clear messages at the offending spot', () => {
    expect(errorOf(FLEET.replace('    repeat: 3\n', '    repeat: 0\n')).format()).toBe('x.yaml:10:13: repeat must be a whole number from 1 to 1000 (expected an integer 1..1000)');
    expect(errorOf(FLEET.replace('  shard-$i:', '  shard:')).format()).toBe('x.yaml:9:3: repeat makes 3 entries named "shard" (expected $i in the name (e.g. shard-$i))');
    expect(errorOf(FLEET.replace('name: promote-$i', 'name: promote')).message).toBe('repeat makes 3 entries named "promote"');
    expect(errorOf(FLEET.replace('$(i*100)', '$(i^2)')).message).toBe('"$(i^2)" is not an index expression');
    expect(errorOf(FLEET.replace('    repeat: 3\n', '    repeat: {count: 3, step: 2}\n')).message).toBe('unknown key "step" in repeat');
    expect(errorOf(FLEET.replace('    repeat: 3\n', '    repeat: 100000\n')).message).toMatch(/from 1 to 1000/);
    // A value a --set gives is reported at the argument.
    expect(errorOf(FLEET, { sets: ['clusters.shard-$i.repeat=-1'] }).format()).toMatch(/^x\.yaml: --set clusters\.shard-\$i\.repeat=-1: .*repeat must be a whole number/);
  });

  it('the schema an editor uses accepts the templates and checks repeat itself', () => {
    const validate = new Ajv2020({ strict: true, strictRequired: false, allErrors: true }).compile(buildScenarioSchema());
    // A value computed from the index (the rate here) is checked by the loader only.
    const fixedRate = FLEET.replace('$(i*100)/s', '100/s');
    const ok = validate(parse(fixedRate));
    expect(ok ? [] : validate.errors?.map((e) => `${e.instancePath} ${e.message}`)).toEqual([]);
    expect(validate(parse(fixedRate.replace('    repeat: 3\n', '    repeat: {count: 3, step: 2}\n')))).toBe(false);
    expect(validate(parse(fixedRate.replace('  shard-$i:', '  shard-$i.x:')))).toBe(false);
    expect(validate(parse(fixedRate.replace('repeat: 3, no_data_loss', 'repeet: 3, no_data_loss')))).toBe(false);
  });
});

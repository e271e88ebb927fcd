/**
 * What a load reports beyond its first error (issue 15): every error of a file (up to MAX_ERRORS), each
 * located, and no error that is only a consequence of another; control characters refused in names and
 * descriptions; rates past PostgreSQL's 64-bit WAL address space; the size limit.
 */
import { describe, expect, it } from 'vitest';
import { MAX_ERRORS } from '../../src/scenario/decode.ts';
import { loadScenarioText } from '../../src/scenario/load.ts';
import { MAX_SCENARIO_BYTES } from '../../src/scenario/read.ts';
import { errorOf } from './helpers.ts';

const HEAD = 'name: x\nstart: 2024-01-01T00:00:00Z\nduration: 1h\nsites: {a: {}}\n';
const CLUSTER = 'clusters:\n  c:\n    nodes:\n      p: {site: a, version: 15}\n';

function errorsOf(text: string): { line: number; column: number; message: string }[] {
  return errorOf(text).errors.map((e) => ({ line: e.line, column: e.column, message: e.message }));
}

describe('every error of a file', () => {
  it('reports each bad node, plan step, fault and expectation, in document order', () => {
    const text = `${HEAD}clusters:
  c:
    nodes:
      p: {site: a, version: 15, setings: {}}
      q: {site: b, version: 15}
plan:
  - {at: +1s, promote: q}
  - {at: +2x, crash: p}
faults:
  - {at: +1s, crsh: p}
expect:
  - no_data_los: c
`;
    const errors = errorsOf(text);
    expect(errors.map((e) => e.line)).toEqual([8, 9, 12, 14, 16]);
    expect(errors[0]!.message).toBe('unknown key "setings" in node "p"');
    expect(errors[1]!.message).toBe('site in node "q": unknown site "b"');
    expect(errors[2]!.message).toMatch(/^at in plan.1: "\+2x": unknown duration unit/);
    expect(errors[3]!.message).toBe('unknown key "crsh" in faults.0');
    expect(errors[4]!.message).toBe('unknown key "no_data_los" in expect.0');
    // The first is the error itself: one-error callers see what they always saw.
    const e = errorOf(text);
    expect(e.format()).toMatch(/^x\.yaml:8:\d+: unknown key "setings" in node "p"; did you mean "settings"\?$/);
  });

  it('says nothing about what only follows from an earlier error', () => {
    // q's bad version makes the cluster fail: node q is then unknown to the plan, which is not a second mistake.
    const text = `${HEAD}clusters:
  c:
    nodes:
      p: {site: a, version: 15}
      q: {site: a, version: 155, upstream: p}
plan:
  - {at: +1s, promote: q}
  - {at: +2s, crash: nowhere}
`;
    expect(errorsOf(text).map((e) => e.message)).toEqual(['version in node "q": "155" is not a supported PostgreSQL major version']);
    // A misspelt key is not also a missing one.
    expect(errorsOf(`${HEAD}clusters:\n  c:\n    nodes:\n      p: {site: a, verison: 15}\n`).map((e) => e.message)).toEqual(['unknown key "verison" in node "p"']);
  });

  it(`stops at ${MAX_ERRORS} errors and says there are more`, () => {
    const plan = Array.from({ length: 50 }, (_, i) => `  - {at: +${i + 1}s, crash: p${i}}`).join('\n');
    const e = errorOf(`${HEAD}clusters:\n  c:\n    nodes:\n      p: {site: a, version: 15}\nplan:\n${plan}\n`);
    expect(e.errors).toHaveLength(MAX_ERRORS);
    expect(e.truncated).toBe(true);
    expect(e.errors.map((x) => x.line)).toEqual(Array.from({ length: MAX_ERRORS }, (_, i) => 10 + i));
  });

  it('an alias bomb stops at the first error', () => {
    const bomb = `a: &a [x, x, x, x, x, x, x, x, x, x]\n${Array.from({ length: 8 }, (_, i) => `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [${Array(10).fill(`*${String.fromCharCode(97 + i)}`).join(', ')}]`).join('\n')}\n`;
    const e = errorOf(`${HEAD}clusters:\n  c:\n    nodes:\n      p: {site: a, version: 15}\nexpect:\n  - *i\n  - *i\n  - *i\n${bomb}`);
    expect(e.errors.length).toBeLessThan(MAX_ERRORS);
  });
});

describe('consequences are not reported as errors of their own', () => {
  it('a misspelt setting in a cluster with a workload does not also make its plan steps report "no workload"', () => {
    const text = `${HEAD}clusters:
  c:
    nodes:
      p: {site: a, version: 15, role: primary, settings: {max_wal_sise: 1GB}}
    workload: {target: p, rate: 10/s, wal_per_tx: 1KiB}
plan:
  - {at: +1s, name: spike, workload: {rate: 100/s}}
  - {at: +2s, name: calm, workload: {workload: clients, rate: 10/s}}
`;
    const errors = errorsOf(text);
    expect(errors).toHaveLength(1);
    expect(errors[0]!.message).toBe('unknown key "max_wal_sise" in settings of node "p"');
  });

  it('a cluster without a workload still has its plan steps refused', () => {
    const text = `${HEAD}${CLUSTER}plan:\n  - {at: +1s, workload: {rate: 100/s}}\n`;
    expect(errorsOf(text)[0]!.message).toMatch(/cluster "c" has no workload to change/);
  });
});

describe('plan steps', () => {
  it('a configure step that changes no setting is refused where it is written', () => {
    const text = `${HEAD}${CLUSTER}plan:\n  - {at: +1s, configure: {node: p, settings: {}}}\n`;
    const errors = errorsOf(text);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ line: 10, message: 'configure in plan.0 changes no setting' });
  });
});

describe('control characters', () => {
  it.each([
    ['name: "x\\u001b[31mred"', 'name contains the control character U+001B (character 2)'],
    ['name: "x\\u0000"', 'name contains the control character U+0000 (character 2)'],
    ['name: "x\\u009b31m"', 'name contains the control character U+009B (character 2)'],
    ['name: "x\\ud800"', 'name contains the control character U+D800 (character 2)'],
    ['description: "a\\u0007b"', 'description contains the control character U+0007 (character 2)'],
  ])('%s is refused where it is', (line, message) => {
    const text = `${HEAD.replace('name: x\n', '')}${line}\n${line.startsWith('name') ? '' : 'name: x\n'}${CLUSTER}`;
    const e = errorOf(text);
    expect(e.message).toBe(message);
    expect(e.line).toBe(4);
    expect(e.hint).toMatch(/tabs and line breaks are fine/);
  });

  it('tabs and line breaks in a description are fine', () => {
    expect(loadScenarioText(`${HEAD}description: "one\\ttwo\\nthree"\n${CLUSTER}`, 'x.yaml').description).toBe('one\ttwo\nthree');
  });

  it('the message shows a control character escaped', () => {
    const e = errorOf(`${HEAD}clusters:\n  c:\n    nodes:\n      "p\\u001b": {site: a, version: 15}\n`);
    expect(e.format()).not.toMatch(/[\u0000-\u001f\u007f-\u009f]/);
    expect(e.message).toBe('name in nodes of cluster "c" contains the control character U+001B (character 2)');
  });
});

describe('the WAL address space', () => {
  const cluster = (rate: string, plan = '') =>
    `${HEAD}clusters:\n  c:\n    nodes:\n      p: {site: a, version: 15}\n    workload: {target: p, rate: ${rate}, wal_per_tx: 8KiB}\n${plan}`;

  it('a rate whose WAL over the run passes 2^64 bytes is refused at the rate', () => {
    for (const rate of ['1e15/s', '1e15', '"1e15/s"', '3.6e18/h']) {
      const e = errorOf(cluster(rate));
      expect(e.message, rate).toMatch(/^rate in workload of cluster "c": 1e15\/s of 8KiB for 1h is 2\.95e22 bytes of WAL, past the end of PostgreSQL's 64-bit WAL address space \(2\^64 bytes\)$/);
      expect(e.line).toBe(9);
    }
  });

  it('1e9/s reads as 1e9 does and fits', () => {
    expect(loadScenarioText(cluster('1e9/s'), 'x.yaml').clusters[0]!.workloads[0]!.rate).toBe(1e9);
    expect(loadScenarioText(cluster('1e9'), 'x.yaml').clusters[0]!.workloads[0]!.rate).toBe(1e9);
  });

  it('so is a rate change in the plan', () => {
    const e = errorOf(cluster('100/s', 'plan:\n  - {at: +1s, workload: {rate: 1e15/s}}\n'));
    expect(e.message).toMatch(/^rate in workload of plan.0: 1e15\/s of 8KiB for 1h/);
    expect(e.line).toBe(11);
  });
});

describe('size', () => {
  it('text past the limit is refused before parsing', () => {
    const e = errorOf(`${HEAD}description: "${'x'.repeat(MAX_SCENARIO_BYTES)}"\n`);
    expect(e.message).toMatch(/^the text is too large/);
  });
});

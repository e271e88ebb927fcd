/**
 * Boolean settings are spelled as postgresql.conf spells them (bool.c parse_bool_with_len): a DBA copying
 * `hot_standby_feedback = on` into a scenario writes `on`, which YAML 1.2 reads as a string.
 */
import { describe, expect, it } from 'vitest';
import { parsePgBool } from '../../src/scenario/decode.ts';
import { loadScenarioText } from '../../src/scenario/load.ts';
import { errorOf } from './helpers.ts';

const scenario = (value: string) => `name: b
start: 2024-01-01T00:00:00Z
end: "00:10"
sites: [a]
clusters:
  c:
    nodes:
      p: {site: a, version: 16, role: primary}
      s: {site: a, version: 16, upstream: p, settings: {hot_standby_feedback: ${value}}}
`;

describe('PostgreSQL booleans', () => {
  it.each([
    ['on', true], ['ON', true], ['true', true], ['t', true], ['tru', true], ['yes', true], ['y', true], ['1', true],
    ['off', false], ['of', false], ['false', false], ['f', false], ['no', false], ['n', false], ['0', false], ['Off', false],
  ])('%s is %s, as postgresql.conf reads it', (text, value) => {
    expect(parsePgBool(text)).toBe(value);
  });

  it.each(['o', 'onn', 'offf', 'truer', 'yess', '2', '', 'enable'])('%s is not a boolean (o alone is ambiguous)', (text) => {
    expect(parsePgBool(text)).toBeNull();
  });

  it('a setting written on, "off" or 1 loads as the boolean it means', () => {
    const feedback = (v: string) => loadScenarioText(scenario(v), 'x.yaml').clusters[0]!.nodes.find((n) => n.name === 's')!.settings.hotStandbyFeedback;
    expect(feedback('on')).toBe(true);
    expect(feedback('"off"')).toBe(false);
    expect(feedback('1')).toBe(true);
    expect(feedback('false')).toBe(false);
  });

  it('anything else is refused at its line and column, saying what is accepted', () => {
    const e = errorOf(scenario('enable'));
    expect(e.line).toBe(9);
    expect(e.message).toMatch(/true or false \(or on, off, yes, no, 1, 0/);
  });
});

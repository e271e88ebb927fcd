import { describe, expect, it } from 'vitest';
import { loadScenarioText } from '../../src/scenario/load.ts';
import { DateTime } from 'luxon';
import { parseTime } from '../../src/scenario/units.ts';
import { errorOf } from './helpers.ts';

const M = 60_000_000;
const S = 1_000_000;

function scenario(head: string, at: string): string {
  return `name: t
${head}
sites: [a]
clusters:
  c:
    nodes: {p: {site: a, version: 15}}
plan:
  - {at: ${JSON.stringify(at)}, crash: p}
`;
}

const atOf = (head: string, at: string) => loadScenarioText(scenario(head, at), 't.yaml').actions[0]!.at;

describe('scenario times', () => {
  const tokyo = 'start: 2017-08-07T14:00:00+09:00\ntimezone: Asia/Tokyo\nend: "23:59"';

  it('reads a clock time in Asia/Tokyo', () => {
    expect(atOf(tokyo, '14:30')).toBe(30 * M);
    expect(atOf(tokyo, '14:30:10')).toBe(30 * M + 10 * S);
    expect(atOf(tokyo, '14:30:10.25')).toBe(30 * M + 10.25 * S);
    expect(atOf(tokyo, '14:00')).toBe(0);
  });

  it('reads clock times in the scenario zone, not the start offset', () => {
    // start written in UTC, clock times in Tokyo: 05:00Z = 14:00 JST.
    const head = 'start: 2017-08-07T05:00:00Z\ntimezone: Asia/Tokyo\nduration: 4h';
    expect(atOf(head, '15:00')).toBe(60 * M);
    const s = loadScenarioText(scenario(head, '15:00'), 't.yaml');
    expect(s.timezone).toBe('Asia/Tokyo');
    expect(s.startEpochMs).toBe(Date.parse('2017-08-07T05:00:00Z'));
  });

  it('reads an ISO time with any offset', () => {
    expect(atOf(tokyo, '2017-08-07T15:00:00+09:00')).toBe(60 * M);
    expect(atOf(tokyo, '2017-08-07T06:00:00Z')).toBe(60 * M);
    expect(atOf(tokyo, '2017-08-07T07:00:00.5+01:00')).toBe(60 * M + 0.5 * S);
  });

  it('reads +relative times', () => {
    expect(atOf(tokyo, '+90s')).toBe(90 * S);
    expect(atOf(tokyo, '+1h30m')).toBe(90 * M);
    expect(atOf(tokyo, '+0s')).toBe(0);
  });

  it('handles a daylight-saving change in an IANA zone', () => {
    // 2021-03-14 02:00 America/New_York jumps to 03:00.
    const head = 'start: 2021-03-14T01:00:00-05:00\ntimezone: America/New_York\nduration: 5h';
    expect(atOf(head, '03:30')).toBe(90 * M);
  });

  it('defaults the zone to the start offset', () => {
    const s = loadScenarioText(scenario('start: 2017-08-07T14:00:00+09:00\nduration: 2h', '15:00'), 't.yaml');
    expect(s.timezone).toBe('UTC+09:00');
    expect(s.actions[0]!.at).toBe(60 * M);
  });

  it('rejects a clock time before the start, with a hint', () => {
    const e = errorOf(scenario(tokyo, '13:59'));
    expect(e.line).toBe(10);
    expect(e.message).toBe('at in plan.0: "13:59" is before the start (14:00:00 on 2017-08-07 in Asia/Tokyo)');
    expect(e.hint).toBe('clock times are on the start\'s date; for another day use an ISO time like "2017-08-08T13:59:00+09:00" or "+duration" after the start');
  });

  it('rejects other bad times', () => {
    expect(errorOf(scenario(tokyo, '2017-08-07T13:00:00+09:00')).message).toMatch(/is before the start/);
    expect(errorOf(scenario(tokyo, '2017-08-07T15:00:00')).hint).toBe('add one, e.g. "2017-08-07T15:00:00+09:00" or "2017-08-07T15:00:00Z"');
    expect(errorOf(scenario(tokyo, '25:00')).message).toMatch(/not a valid clock time/);
    expect(errorOf(scenario(tokyo, '+90')).hint).toBe('did you mean "+90s"?');
    expect(errorOf(scenario(tokyo, 'noon')).message).toMatch(/is not a time/);
    expect(errorOf(scenario('start: 2017-08-07T14:00:00\nend: "15:00"', '14:30')).message).toMatch(/has no UTC offset/);
    expect(errorOf(scenario('start: 2017-08-07T14:00:00+09:00\ntimezone: Asia/Tokio\nend: "15:00"', '14:30')).hint).toBe('did you mean "Asia/Tokyo"?');
    expect(errorOf(scenario('start: 2017-08-07T14:00:00+09:00\nend: "14:00"', '14:00')).message).toMatch(/must end after the start/);
  });

  it('a number is not a time', () => {
    const text = scenario(tokyo, '14:30').replace('at: "14:30"', 'at: 1430');
    expect(errorOf(text).message).toBe('at in plan.0: the number 1430 is not a time');
  });

  it('parseTime handles a fixed offset zone', () => {
    const ref = { startEpochMs: Date.parse('2020-01-01T00:00:00Z'), zone: 'UTC-03:30' };
    const r = parseTime('21:00', ref);
    expect(r).toEqual({ ok: true, value: 30 * M });
  });

  it('a clock time to the second is luxon\'s answer, across daylight-saving changes (times are cached by minute)', () => {
    // Days with a spring-forward gap and a fall-back overlap, in zones that change at 02:00, 01:00 UTC and
    // by half an hour (Lord Howe): every second of the hours around the change, against luxon itself.
    const cases = [
      ['America/New_York', '2021-03-14T00:00:00-05:00', [1, 2, 3]],
      ['America/New_York', '2021-11-07T00:00:00-04:00', [0, 1, 2]],
      ['Europe/Berlin', '2021-03-28T00:00:00+01:00', [1, 2, 3]],
      ['Australia/Lord_Howe', '2021-04-04T00:00:00+11:00', [1, 2]],
      ['Asia/Tokyo', '2017-08-07T00:00:00+09:00', [14, 15]],
    ] as const;
    for (const [zone, start, hours] of cases) {
      const ref = { startEpochMs: Date.parse(start), zone };
      for (const h of hours) {
        for (let s = 0; s < 3600; s += 7) {
          const mi = Math.floor(s / 60);
          const sec = s % 60;
          const text = `${String(h).padStart(2, '0')}:${String(mi).padStart(2, '0')}:${String(sec).padStart(2, '0')}`;
          const want = DateTime.fromMillis(ref.startEpochMs, { zone }).set({ hour: h, minute: mi, second: sec, millisecond: 0 }).toMillis() - ref.startEpochMs;
          const r = parseTime(text, ref);
          expect(r.ok ? r.value : r, `${zone} ${text}`).toBe(want * 1000);
        }
      }
    }
  });
});

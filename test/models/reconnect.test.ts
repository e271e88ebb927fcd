import { describe, expect, it } from 'vitest';
import type { Micros } from '../../src/engine/time.ts';
import { connectsAt, nextAttemptAt, SYN_GIVE_UP, synTimes, unreachableAttempt } from '../../src/models/postgres/reconnect.ts';
import { runScenario } from '../../src/run.ts';
import { loadScenarioText } from '../../src/scenario/load.ts';

const s = (x: number) => (x * 1e6) as Micros;

describe('the reconnect rules (reconnect.ts)', () => {
  it('an attempt nothing answers lasts until the kernel gives up (127 s); connect_timeout bounds it only up to 9.6', () => {
    expect(SYN_GIVE_UP).toBe(s(127));
    expect(unreachableAttempt(15, s(3))).toBe(s(127));
    expect(unreachableAttempt(9.6, s(3))).toBe(s(3));
    expect(unreachableAttempt(9.6, s(1))).toBe(s(2));
    expect(unreachableAttempt(9.6, null)).toBe(s(127));
    expect(synTimes(s(100), s(127))).toEqual([100, 101, 103, 107, 115, 131, 163].map(s));
    expect(synTimes(s(100), s(10))).toEqual([100, 101, 103, 107].map(s));
  });

  it('the path back during an attempt: it connects at the next SYN; after the last, at none', () => {
    expect(connectsAt(s(100), s(127), s(106.9))).toBe(s(107));
    expect(connectsAt(s(100), s(127), s(107))).toBe(s(107));
    expect(connectsAt(s(100), s(127), s(170))).toBeNull();
  });

  it('the next attempt: at once after the first failure and after an attempt longer than the interval', () => {
    expect(nextAttemptAt(undefined, s(10), s(5))).toBe(s(10));
    expect(nextAttemptAt(s(10), s(11), s(5))).toBe(s(15));
    expect(nextAttemptAt(s(10), s(137), s(5))).toBe(s(137));
  });
});

/** p and s across a link cut at 09:00:10 and healed at `heal`; s notices after wal_receiver_timeout (60 s). */
function run(version: number, heal: string, standby = '{}') {
  const yaml = `
name: reconnect
start: 2024-01-01T09:00:00Z
timezone: UTC
end: "09:20"
sites: {a: {}, b: {}}
links: [{between: [a, b], bandwidth: 1Gbps, latency: 1ms}]
clusters:
  c:
    nodes:
      p: {site: a, version: ${version}, role: primary}
      s: {site: b, version: ${version}, upstream: p, settings: ${standby}}
    workload: {target: p, rate: 10/s, wal_per_tx: 8KiB}
faults:
  - {at: "09:00:10", partition: {sites: [a, b]}}
  - {at: "${heal}", heal: {sites: [a, b]}}
`;
  return runScenario(loadScenarioText(yaml, 'reconnect.yaml')).report;
}

const seconds = (r: ReturnType<typeof run>, re: RegExp) => r.events.filter((e) => e.node === 's' && re.test(e.log.join('\n'))).map((e) => (Date.parse(e.at) - Date.parse(r.start)) / 1000);

describe('a walreceiver behind a cut path (reconnect.ts through retry.ts)', () => {
  it('attempts 127 s apart; once the path is back, it streams at the in-progress attempt\'s next SYN', () => {
    // The stream ends at 09:01:10 (wal_receiver_timeout); attempts start then and every 127 s: 70, 197, 324 s.
    // Healed at 09:05:30 (330 s), 6 s into the attempt of 324 s: it connects at its +7 s SYN, 331 s.
    const r = run(15, '09:05:30');
    const timeouts = seconds(r, /Connection timed out/);
    expect(timeouts[0]).toBeCloseTo(70, 0);
    expect(r.events.find((e) => e.node === 's' && /Connection timed out/.test(e.log.join('\n')))!.repeated?.count ?? 1).toBeGreaterThanOrEqual(1);
    const streaming = seconds(r, /started streaming WAL/).filter((t) => t > 100);
    expect(streaming[0]).toBeCloseTo(331, 0);
    // Healed at 09:03:21 (201 s), 4 s into the attempt of 197 s, the one the loop was parked on: its +7 s SYN, 204 s.
    expect(seconds(run(15, '09:03:21'), /started streaming WAL/).filter((t) => t > 100)[0]).toBeCloseTo(204, 0);
    // Healed at 09:06:40 (400 s), 76 s into that attempt: past its last SYN (+63 s), it fails at 451 s and the next connects at once.
    expect(seconds(run(15, '09:06:40'), /started streaming WAL/).filter((t) => t > 100)[0]).toBeCloseTo(451, 0);
  });

  it('up to 9.6 connect_timeout bounds the attempt: then wal_retrieve_retry_interval spaces them and the heal is seen within seconds', () => {
    const r = run(9.6, '09:05:30', '{connect_timeout: 3s}');
    const streaming = seconds(r, /started streaming WAL|successfully connected/).filter((t) => t > 100)[0]!;
    expect(streaming).toBeGreaterThanOrEqual(330);
    expect(streaming).toBeLessThan(336);
  });
});

import { describe, expect, it } from 'vitest';
import { runScenario } from '../../src/run.ts';
import { at, mackerel } from '../support/builder.ts';

const iso = (hh: number, mm: number, ss = 0) => `2017-08-07T${String(hh).padStart(2, '0')}:${String(mm).padStart(2, '0')}:${String(ss).padStart(2, '0')}+09:00`;
const run = (p: Parameters<typeof mackerel>[0] = {}) => runScenario(mackerel(p)).report;

describe('Mackerel 2017 topology (issue 2, "must hold")', () => {
  it('loses the commits of timeline 16 acknowledged between the promotion of db001 and its loss', () => {
    const r = run();
    expect(r.dataLoss).toHaveLength(1);
    const l = r.dataLoss[0]!;
    expect(l.timeline).toBe(16);
    expect(l.node).toBe('db001');
    // Writes reach db001 at 14:30:15; the first commit completes 1/200 s later.
    expect(l.from).toBe('2017-08-07T14:30:15.005+09:00');
    expect(l.to).toBe(iso(15, 30));
    expect(l.commits).toBe(200 * (3600 - 15));
    expect(l.recoverableByPitr).toBe(false);
    expect(r.nodes.find((n) => n.name === 'db002')).toMatchObject({ role: 'primary', timeline: 17 });
    const text = l.cause.map((s) => s.text).join('\n');
    expect(text).toContain("recovery_target_timeline = 'current' (the 9.3 default)");
    expect(text).toContain('policy naive');
  });

  it('moving the loss of db001 from 15:30 to 15:00 moves the end of the window to 15:00', () => {
    const l = run({ lossAt: at(15, 0) }).dataLoss[0]!;
    expect(l.to).toBe(iso(15, 0));
    expect(l.commits).toBe(200 * (1800 - 15));
  });

  it('doubling the write rate doubles the lost commits', () => {
    const a = run({ rate: 200 }).dataLoss[0]!.commits;
    const b = run({ rate: 400 }).dataLoss[0]!.commits;
    expect(b).toBe(2 * a);
  });

  it("with recovery_target_timeline = 'latest' nothing is lost", () => {
    const r = run({ db002Timeline: 'latest' });
    expect(r.dataLoss).toEqual([]);
    expect(r.nodes.find((n) => n.name === 'db002')).toMatchObject({ role: 'primary', timeline: 17 });
    expect(r.events.some((e) => e.node === 'db002' && e.log.includes('startup LOG:  new target timeline is 16'))).toBe(true);
  });

  it('a Patroni-like manager refuses the lagging db002: no loss, a write outage instead', () => {
    const r = run({ policy: 'lag-only' });
    expect(r.dataLoss).toEqual([]);
    const outage = r.outages.find((o) => o.from === iso(15, 30))!;
    expect(outage.to).toBe(iso(16, 0));
    expect(r.events.some((e) => e.kind === 'failover' && e.message.includes('My wal position exceeds maximum replication lag'))).toBe(true);
  });

  it('the same seed gives a byte-identical JSON report', () => {
    expect(JSON.stringify(run())).toBe(JSON.stringify(run()));
  });

  it('simulates two hours with events only where something changes', () => {
    const r = run();
    // One event per retry of the stuck walreceiver (every 5 s) dominates; no event per transaction.
    expect(r.stats.events).toBeLessThan(5_000);
  });
});

import { describe, expect, it } from 'vitest';
import { seconds, type Micros } from '../../src/engine/time.ts';
import { runScenario } from '../../src/run.ts';
import type { Action, SynchronousStandbyNames } from '../../src/scenario/types.ts';
import { action, buildScenario, node } from '../support/builder.ts';

const T = seconds(60);
const WAL_PER_TX = 2048;

interface CutCase {
  /** Commits per second offered to p. */
  rate: number;
  /** One-way latency of the WAN link, µs. */
  latency: number;
  /** Link bandwidth, bytes/s. */
  bandwidth: number;
  /** What ends p's stream to s at T. */
  fault: 'partition' | 'crash' | 'stop';
  sync?: SynchronousStandbyNames;
  /** Heal the partition at this time (before wal_receiver_timeout). */
  healAt?: Micros;
  /** p's wal_keep_size, bytes. */
  walKeepSize?: number;
  /** s is promoted this long after the fault (or the heal). Default 5 s. */
  promoteAfter?: Micros;
}

/**
 * p at site a, its standby s at site b. At T the fault; p's clients are blocked at T as well, so that p
 * acknowledges nothing after it. At T + 5 s (promoteAfter) s is promoted and the writes go to it: what is lost is exactly
 * what p had acknowledged that had not reached s.
 */
function cutRun(c: CutCase) {
  const actions: Action[] = [action(T, { kind: 'blockClients', node: 'p' })];
  if (c.fault === 'partition') actions.push(action(T, { kind: 'partition', target: { kind: 'link', sites: ['a', 'b'] } }, 'faults'));
  else actions.push(action(T, { kind: c.fault, node: 'p' }, 'faults'));
  if (c.healAt !== undefined) actions.push(action(c.healAt, { kind: 'heal', target: { kind: 'link', sites: ['a', 'b'] } }, 'faults'));
  const promoteAt = (c.healAt ?? T) + (c.promoteAfter ?? seconds(5));
  actions.push(action(promoteAt as Micros, { kind: 'promote', node: 's' }));
  actions.push(action(promoteAt as Micros, { kind: 'routeWrites', cluster: 'main', node: 's', workload: null }));
  return runScenario(
    buildScenario({
      end: (promoteAt + seconds(10)) as Micros,
      sites: ['a', 'b'],
      links: [{ between: ['a', 'b'], bandwidth: c.bandwidth, latency: c.latency as Micros }],
      nodes: [node('p', 'a', 16, { settings: { ...(c.sync ? { synchronousStandbyNames: c.sync } : {}), ...(c.walKeepSize !== undefined ? { walKeepSize: c.walKeepSize } : {}) } }), node('s', 'b', 16, { upstream: 'p' })],
      workload: { target: 'p', site: 'a', rate: c.rate, walPerTx: WAL_PER_TX, connections: 1000 },
      actions,
    }),
  ).report;
}

function lostCommits(c: CutCase): number {
  return cutRun(c).dataLoss.reduce((a, l) => a + l.commits, 0);
}

describe('a network cut delivers only what was sent and arrived (TCP: dropped packets never arrive; unsent bytes are never sent)', () => {
  it('a caught-up asynchronous standby cut off by a partition loses the WAL in flight: rate x one-way latency', () => {
    // 1000 commits/s, 50 ms one way: 50 commits are on the wire when the path breaks, and the partition drops them.
    expect(lostCommits({ rate: 1000, latency: 50_000, bandwidth: 125_000_000, fault: 'partition' })).toBe(50);
  });

  it('metamorphic: the commits lost at a cut are those whose WAL had not reached the promoted standby (rate x its lag)', () => {
    const cases: CutCase[] = [];
    for (const rate of [200, 1500, 4000]) for (const latency of [2_000, 20_000, 80_000]) cases.push({ rate, latency, bandwidth: 125_000_000, fault: 'partition' });
    for (const c of cases) {
      const expected = (c.rate * c.latency) / 1e6; // commits in flight: the standby's lag when the path broke
      const lost = lostCommits(c);
      expect(Math.abs(lost - expected), `rate ${c.rate}/s, latency ${c.latency} µs: lost ${lost}, expected ${expected}`).toBeLessThanOrEqual(1);
    }
  });

  it('a standby behind a saturated link loses all it had not received: the unsent backlog and what was on the wire', () => {
    // 8.192 MB/s of WAL over a 5 MB/s link, 100 ms one way: the stream carries 4.85 MB/s (the headers take 3%); the
    // first byte arrives at +100 ms, so at T the standby holds 4.85 MB/s x (T - 100 ms). The 0.485 MB on the wire
    // is dropped with the unsent backlog.
    const c: CutCase = { rate: 4000, latency: 100_000, bandwidth: 5_000_000, fault: 'partition' };
    const received = 0.97 * 5_000_000 * (60 - 0.1);
    const expected = 4000 * 60 - received / WAL_PER_TX;
    expect(Math.abs(lostCommits(c) - expected)).toBeLessThanOrEqual(2);
  });

  it('a crash of the upstream leaves the path up: what was on the wire still arrives, what was not sent never does', () => {
    // Caught up: everything flushed had been sent, so nothing is lost.
    expect(lostCommits({ rate: 1000, latency: 50_000, bandwidth: 125_000_000, fault: 'crash' })).toBe(0);
    // Saturated link: the standby also gets the 0.485 MB on the wire (what the stream carries x latency), so it
    // holds 4.85 MB/s x T; the rest of the backlog (rate x T - that) was never sent.
    const c: CutCase = { rate: 4000, latency: 100_000, bandwidth: 5_000_000, fault: 'crash' };
    const expected = 4000 * 60 - (0.97 * 5_000_000 * 60) / WAL_PER_TX;
    expect(Math.abs(lostCommits(c) - expected)).toBeLessThanOrEqual(2);
  });

  it('a clean shutdown sends everything up to the shutdown checkpoint and waits for the standby (walsender.c WalSndDone, 9.3+): nothing is lost once it is over', () => {
    // The standby lags by (8.192 - 4.85) MB/s x 60 s, about 201 MB: wal_keep_size keeps that through the shutdown
    // checkpoint, and the stream carries it at 4.85 MB/s in about 41.4 s. Promoted 50 s after the stop, s has it all.
    const r = cutRun({ rate: 4000, latency: 100_000, bandwidth: 5_000_000, fault: 'stop', walKeepSize: 1024 ** 3, promoteAfter: seconds(50) });
    expect(r.dataLoss.reduce((a, l) => a + l.commits, 0)).toBe(0);
    const backlog = 4000 * WAL_PER_TX * 60 - 0.97 * 5_000_000 * (60 - 0.1);
    const done = r.events.find((e) => e.fact.kind === 'shutdown-complete');
    expect(done?.fact).toMatchObject({ node: 'p', how: 'exited', drains: [{ node: 's', left: 0 }] });
    const after = (done!.fact as unknown as { after: number }).after / 1e6;
    expect(after).toBeCloseTo(backlog / (0.97 * 5_000_000), 1);
    expect(done!.log).toContain('postmaster LOG:  database system is shut down');
  });

  it('a standby promoted while the old primary still sends it WAL at its shutdown loses what had not arrived (the stop returns before, pg_ctl stop gives up after 60 s)', () => {
    // Promoted 5 s into the 41 s transfer: s has its 290.5 MB and 5 s x 4.85 MB/s more; the rest of p's 491.5 MB
    // of acknowledged WAL is lost. p's postmaster exits when s's walreceiver goes at the promotion.
    const r = cutRun({ rate: 4000, latency: 100_000, bandwidth: 5_000_000, fault: 'stop', walKeepSize: 1024 ** 3 });
    const received = 0.97 * 5_000_000 * (60 - 0.1 + 5);
    const lost = r.dataLoss.reduce((a, l) => a + l.commits, 0);
    expect(Math.abs(lost - (4000 * 60 - received / WAL_PER_TX))).toBeLessThanOrEqual(2);
    const done = r.events.find((e) => e.fact.kind === 'shutdown-complete');
    expect(done?.fact).toMatchObject({ node: 'p', after: seconds(5), drains: [{ node: 's' }] });
    expect((done!.fact as unknown as { drains: { left: number }[] }).drains[0]!.left).toBeGreaterThan(170e6);
    // The explanation says why s lacked it.
    const why = r.dataLoss[0]!.cause.map((c) => c.fact?.kind);
    expect(why).toContain('promoted-during-shutdown');
    expect(why.indexOf('promoted-during-shutdown')).toBeLessThan(why.indexOf('promoted-branch'));
  });

  it('unless the shutdown checkpoint removes what a lagging standby has not received (xlog.c ShutdownXLOG checkpoints before the walsenders finish)', () => {
    // ShutdownXLOG moves the walsenders to stopping, then runs the shutdown checkpoint, which removes WAL before
    // its redo point less wal_keep_size; only then do the walsenders send the rest and exit. A walsender that
    // still needs a removed segment fails, and its standby keeps what it had: the lag is lost at the promotion.
    const r = cutRun({ rate: 4000, latency: 100_000, bandwidth: 5_000_000, fault: 'stop' });
    const lag = (4000 * 2048 - 0.97 * 5_000_000) * 60;
    expect(Math.abs(r.dataLoss.reduce((a, l) => a + l.commits, 0) - lag / WAL_PER_TX)).toBeLessThan(lag / WAL_PER_TX / 50);
    expect(r.events.some((e) => e.node === 's' && /has already been removed/.test(e.log.join('\n')))).toBe(true);
  });

  it('a partition healed before wal_receiver_timeout: TCP retransmits what was dropped, and the standby catches up', () => {
    expect(lostCommits({ rate: 1000, latency: 50_000, bandwidth: 125_000_000, fault: 'partition', healAt: seconds(90) })).toBe(0);
  });

  it('synchronous_commit = on with the synchronous standby promoted: nothing acknowledged is lost, whatever was in flight', () => {
    for (const latency of [2_000, 50_000]) {
      expect(lostCommits({ rate: 1000, latency, bandwidth: 125_000_000, fault: 'partition', sync: { method: 'first', num: 1, names: ['s'] } })).toBe(0);
      expect(lostCommits({ rate: 4000, latency, bandwidth: 5_000_000, fault: 'partition', sync: { method: 'first', num: 1, names: ['s'] } })).toBe(0);
    }
  });
});

/**
 * A clean shutdown whose standby lags: the walsender sends the backlog before it exits, and the postmaster waits
 * for it (drains.ts, walsender.c WalSndDone). Observed on a real 15.18 (docs/model-postgres.md): with a slot the
 * shutdown lasted until the standby had everything; meanwhile connections got "the database system is shutting
 * down" and pg_ctl start failed on the lock file; pg_ctl stop gave up after its timeout.
 */
import { describe, expect, it } from 'vitest';
import { seconds, type Micros } from '../../src/engine/time.ts';
import { runScenario } from '../../src/run.ts';
import type { ActionBody } from '../../src/scenario/types.ts';
import { action, buildScenario, node } from '../support/builder.ts';

const T = seconds(60);
const WAL_PER_TX = 2048;
/** 4000 commits/s of 2 KiB over a 5 MB/s line, 100 ms one way: the stream carries 4.85 MB/s of the 8.19 MB/s written. */
const CARRIED = 0.97 * 5_000_000;
/** What s lags behind p when p stops at T: WAL written less WAL carried (the first byte arrived after 100 ms). */
const BACKLOG = 4000 * WAL_PER_TX * 60 - CARRIED * (60 - 0.1);
const DRAIN = BACKLOG / CARRIED;

function run(later: { at: number; body: ActionBody; source?: 'plan' | 'faults' }[], opts: { bandwidth?: number; end?: number } = {}) {
  const bandwidth = opts.bandwidth ?? 5_000_000;
  return runScenario(
    buildScenario({
      end: (opts.end ?? T + seconds(200)) as Micros,
      sites: ['a', 'b'],
      links: [{ between: ['a', 'b'], bandwidth, latency: 100_000 as Micros }],
      nodes: [node('p', 'a', 16, { settings: { walKeepSize: 1024 ** 3 } }), node('s', 'b', 16, { upstream: 'p' })],
      workload: { target: 'p', site: 'a', rate: 4000, walPerTx: WAL_PER_TX, connections: 1000 },
      actions: [action(T, { kind: 'blockClients', node: 'p' }), action(T, { kind: 'stop', node: 'p' }), ...later.map((l) => action(l.at as Micros, l.body, l.source ?? 'plan'))],
    }),
  ).report;
}

const factsOf = (r: ReturnType<typeof run>, kind: string): (Record<string, unknown> & { log: readonly string[] })[] =>
  r.events.filter((e) => e.fact.kind === kind).map((e) => ({ ...(e.fact as Record<string, unknown>), log: e.log }));

describe('a clean shutdown waits for its walsenders to send what their standbys lag behind', () => {
  it('the postmaster exits when the standby has it all: the wait is the backlog over what the stream carries', () => {
    for (const bandwidth of [5_000_000, 2_500_000]) {
      const r = run([], { bandwidth });
      const carried = 0.97 * bandwidth;
      const backlog = 4000 * WAL_PER_TX * 60 - carried * (60 - 0.1);
      const [down] = factsOf(r, 'down');
      expect(down).toMatchObject({ node: 'p', how: 'stopped', draining: [{ node: 's' }] });
      expect((down!.draining as { bytes: number }[])[0]!.bytes).toBeCloseTo(backlog, -4);
      // "database system is shut down" comes when the postmaster exits, not at the stop.
      expect(down!.log.join('\n')).not.toContain('database system is shut down');
      const [done] = factsOf(r, 'shutdown-complete');
      expect(done).toMatchObject({ node: 'p', how: 'exited', drains: [{ node: 's', left: 0 }] });
      expect((done!.after as number) / 1e6).toBeCloseTo(backlog / carried, 1);
      expect(done!.log).toContain('postmaster LOG:  database system is shut down');
      expect(r.dataLoss).toEqual([]);
      // The clients' outage lasts the shutdown, and says why: connections get "the database system is shutting down".
      const [outage] = r.outages;
      expect(outage!.causeFact).toMatchObject({ kind: 'target-down', node: 'p', how: 'shutting-down' });
    }
  });

  it('pg_ctl restart waits for the postmaster to exit, then starts the server', () => {
    const r = run([{ at: T + seconds(5), body: { kind: 'restart', node: 'p' } }]);
    const done = r.events.findIndex((e) => e.fact.kind === 'shutdown-complete');
    const started = r.events.findIndex((e) => e.fact.kind === 'started-primary' && e.node === 'p');
    expect(done).toBeGreaterThan(-1);
    expect(started).toBe(done + 1);
    expect(r.events[started]!.at).toBe(r.events[done]!.at);
    // The postmaster exits when the backlog has crossed: about 41.4 s after the stop, within PGCTLTIMEOUT.
    expect((r.events[done]!.fact as unknown as { after: number }).after / 1e6).toBeCloseTo(DRAIN, 1);
    expect(factsOf(r, 'pg-ctl-gave-up')).toEqual([]);
  });

  it('pg_ctl restart gives up after PGCTLTIMEOUT (60 s) when the transfer takes longer: the server stays down', () => {
    // At 2 MB/s the 300 MB backlog takes about 2.5 min.
    const r = run([{ at: T + seconds(5), body: { kind: 'restart', node: 'p' } }], { bandwidth: 2_000_000 });
    // The scenario's own pg_ctl stop at T gives up first (at T + 60 s), the restart at T + 65 s.
    const [stopGaveUp, gaveUp] = factsOf(r, 'pg-ctl-gave-up');
    expect(stopGaveUp).toMatchObject({ node: 'p', op: 'stop', mode: 'fast', waitingFor: 'walsenders' });
    expect(gaveUp).toMatchObject({ node: 'p', op: 'restart', mode: 'fast', waited: seconds(60), waitingFor: 'walsenders' });
    expect(gaveUp!.log).toContain('pg_ctl: server does not shut down');
    expect(r.refusals?.map((x) => x.at)).toHaveLength(2);
    expect(factsOf(r, 'shutdown-complete')).toHaveLength(1);
    expect(factsOf(r, 'started-primary').filter((f) => f.node === 'p')).toEqual([]);
    expect(r.nodes.find((n) => n.name === 'p')!.state).toMatch(/stopped/);
  });

  it('pg_ctl start while the postmaster still shuts down fails on its lock file', () => {
    const r = run([{ at: T + seconds(10), body: { kind: 'start', node: 'p' } }]);
    const [refused] = factsOf(r, 'start-refused-shutting-down');
    expect(refused).toMatchObject({ node: 'p' });
    expect(refused!.log.join('\n')).toContain('FATAL:  lock file "postmaster.pid" already exists');
    expect(r.refusals?.map((x) => x.fact.kind)).toEqual(['start-refused-shutting-down']);
    expect(factsOf(r, 'started-primary').filter((f) => f.node === 'p')).toEqual([]);
  });

  it('a postmaster killed while it waits ends the transfer: the standby has what had arrived, and a promotion loses the rest', () => {
    const r = run([
      { at: T + seconds(10), body: { kind: 'crash', node: 'p' }, source: 'faults' },
      { at: T + seconds(20), body: { kind: 'promote', node: 's' } },
      { at: T + seconds(20), body: { kind: 'routeWrites', cluster: 'main', node: 's', workload: null } },
    ]);
    const [done] = factsOf(r, 'shutdown-complete');
    expect(done).toMatchObject({ node: 'p', how: 'killed', after: seconds(10) });
    expect(done!.log).toEqual([]);
    // 10 s of transfer plus what was on the wire (4.85 MB/s x 100 ms) arrived.
    const received = CARRIED * (60 - 0.1 + 10 + 0.1);
    const lost = r.dataLoss.reduce((a, l) => a + l.commits, 0);
    expect(Math.abs(lost - (4000 * 60 - received / WAL_PER_TX))).toBeLessThanOrEqual(3);
  });

  it('a cut path stops the transfer: the standby keeps what had arrived, gives up at wal_receiver_timeout, and a promotion loses the rest', () => {
    const r = run([
      { at: T + seconds(10), body: { kind: 'partition', target: { kind: 'link', sites: ['a', 'b'] } }, source: 'faults' },
      { at: T + seconds(100), body: { kind: 'promote', node: 's' } },
      { at: T + seconds(100), body: { kind: 'routeWrites', cluster: 'main', node: 's', workload: null } },
    ]);
    // 10 s of transfer (a stream with a limit arrives as it is sent: the model's chase has no propagation delay,
    // so the cut drops nothing of it; real: the last 100 ms, 485 KB, were on the wire).
    const received = CARRIED * (60 - 0.1 + 10);
    const lost = r.dataLoss.reduce((a, l) => a + l.commits, 0);
    expect(Math.abs(lost - (4000 * 60 - received / WAL_PER_TX))).toBeLessThanOrEqual(3);
    const [done] = factsOf(r, 'shutdown-complete');
    // The walreceiver gives up 60 s (wal_receiver_timeout) after the cut: the drain ends there, cut short.
    expect(done).toMatchObject({ node: 'p', how: 'exited', after: seconds(70) });
    expect((done!.drains as { left: number }[])[0]!.left).toBeGreaterThan(100e6);
  });

  it('a caught-up standby gets the shutdown checkpoint at once: the server is down at the stop', () => {
    const r = runScenario(
      buildScenario({
        end: (T + seconds(30)) as Micros,
        sites: ['a', 'b'],
        links: [{ between: ['a', 'b'], bandwidth: 125_000_000, latency: 10_000 as Micros }],
        nodes: [node('p', 'a', 16), node('s', 'b', 16, { upstream: 'p' })],
        workload: { target: 'p', site: 'a', rate: 1000, walPerTx: WAL_PER_TX },
        actions: [action(T, { kind: 'stop', node: 'p' })],
      }),
    ).report;
    expect(factsOf(r, 'down')).toMatchObject([{ node: 'p', draining: [] }]);
    expect(factsOf(r, 'shutdown-complete')).toEqual([]);
    expect(factsOf(r, 'down')[0]!.log).toContain('postmaster LOG:  database system is shut down');
  });
});

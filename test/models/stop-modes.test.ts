/**
 * pg_ctl stop's modes (pg-ctl.ts; postmaster.c pmdie, canAcceptConnections). Observed on a real 15.18: through
 * `pg_ctl stop -m smart -t 4` a connected session went on committing, pg_ctl failed with "server does not shut
 * down" and the -m fast HINT, a new connection and a replication connection got "the database system is shutting
 * down", and the shutdown checkpoint came when the session ended; `-m immediate` logged "received immediate
 * shutdown request" and the next start ran crash recovery. pg_ctl's default mode is smart up to 9.4, fast from 9.5.
 */
import { describe, expect, it } from 'vitest';
import { runScenario } from '../../src/run.ts';
import { loadScenarioText } from '../../src/scenario/load.ts';

/** Seconds after 10:00 of an ISO time in the report. */
const at = (iso: string) => (Date.parse(iso) - Date.parse('2026-01-10T10:00:00Z')) / 1000;

/** p (primary) and s (its standby) on `version`, 100 commits/s of 2 KiB from one pool; the plan's steps follow. */
function scenario(o: { version?: string; plan: string; lag?: boolean }) {
  const v = o.version ?? '9.4';
  return `
name: stop-modes
start: 2026-01-10T10:00:00Z
timezone: UTC
end: "10:10"
sites: [a, b]
links:
  - {between: [a, b], bandwidth: ${o.lag ? '150KB/s' : '1Gbps'}, latency: 5ms}
clusters:
  main:
    nodes:
      p: {site: a, version: "${v}", settings: {${Number(v) >= 13 ? 'wal_keep_size: 1GB' : 'wal_keep_segments: 64'}}}
      s: {site: b, version: "${v}", upstream: p}
    workload: {target: p, site: a, rate: 100/s, wal_per_tx: 2KiB}
plan:
${o.plan}
`;
}

function run(yaml: string) {
  return runScenario(loadScenarioText(yaml, 'stop-modes.yaml')).report;
}

const facts = (r: ReturnType<typeof run>, kind: string) => r.events.filter((e) => e.fact.kind === kind);
const fact = (r: ReturnType<typeof run>, kind: string) => facts(r, kind)[0]?.fact as Record<string, unknown> | undefined;
const lost = (r: ReturnType<typeof run>) => r.dataLoss.reduce((sum, l) => sum + l.commits, 0);

const SMART_THEN_PROMOTE = (route: string) => `
  - {at: "10:01", name: stop-p, stop: p}
  - {at: "10:01:30", name: promote-s, promote: s}
  - {at: "${route}", name: route, route_writes: s}`;

describe('pg_ctl stop -m smart: the connected sessions go on', () => {
  it('on 9.4 (smart by default) the pool keeps writing to p; the standby promoted meanwhile splits the brain until the route', () => {
    const r = run(scenario({ plan: SMART_THEN_PROMOTE('10:02') }));
    expect(fact(r, 'smart-shutdown-waits')).toMatchObject({ node: 'p', workloads: [{ name: 'clients' }] });
    expect(r.outages).toEqual([]);
    // What p acknowledged after s's promotion, until the clients moved: 30 s of 100 commits/s.
    expect(lost(r)).toBeGreaterThan(2_950);
    expect(lost(r)).toBeLessThan(3_050);
    expect(r.verdicts.map((v) => v.kind)).toContain('split-brain');
    // The last session ended with the route: the shutdown went on then.
    const down = facts(r, 'down').find((e) => e.node === 'p')!;
    expect(at(down.at)).toBeCloseTo(120, 3);
    expect(down.fact).toMatchObject({ how: 'stopped', mode: 'smart', sessionsEndedAfter: 60_000_000 });
  });

  it('the loss moves with the time the clients stay: routing them 30 s later loses 30 s more', () => {
    const r1 = run(scenario({ plan: SMART_THEN_PROMOTE('10:02') }));
    const r2 = run(scenario({ plan: SMART_THEN_PROMOTE('10:02:30') }));
    expect(lost(r2) - lost(r1)).toBeGreaterThan(2_950);
    expect(lost(r2) - lost(r1)).toBeLessThan(3_050);
  });

  it('pg_ctl gives up after PGCTLTIMEOUT with the -m fast HINT; the server goes on as a primary', () => {
    const r = run(scenario({ plan: '  - {at: "10:01", name: stop-p, stop: p}' }));
    const gaveUp = facts(r, 'pg-ctl-gave-up')[0]!;
    expect(at(gaveUp.at)).toBe(120);
    expect(gaveUp.fact).toMatchObject({ node: 'p', op: 'stop', mode: 'smart', waitingFor: 'sessions' });
    expect(gaveUp.log.join('\n')).toContain('The "-m fast" option immediately disconnects sessions');
    expect(r.refusals?.map((x) => x.fact.kind)).toEqual(['pg-ctl-gave-up']);
    expect(r.nodes.find((n) => n.name === 'p')).toMatchObject({ role: 'primary' });
    expect(facts(r, 'down')).toEqual([]);
    expect(r.outages).toEqual([]);
  });

  it('refuses new connections meanwhile: a standby that starts is told "the database system is shutting down"', () => {
    const r = run(
      scenario({
        plan: `
  - {at: "10:00:30", name: stop-s, stop: s}
  - {at: "10:01", name: stop-p, stop: p}
  - {at: "10:01:10", name: start-s, start: s}`,
      }),
    );
    const [refused] = facts(r, 'upstream-shutting-down');
    expect(refused).toMatchObject({ node: 's', fact: { upstream: 'p' } });
    expect(refused!.log).toEqual(['walreceiver FATAL:  could not connect to the primary server: FATAL:  the database system is shutting down']);
    expect(r.nodes.find((n) => n.name === 's')).toMatchObject({ receiver: 'waiting' });
  });

  it('a pool routed back after leaving is a new connection, refused', () => {
    const r = run(
      scenario({
        version: '16',
        plan: `
  - {at: "10:01", name: stop-p, stop: {node: p, mode: smart}}
  - {at: "10:01:10", name: away, route_writes: s}
  - {at: "10:01:10", name: back, route_writes: p}`,
      }),
    );
    // Both route steps come at one instant: the pool never left p's sessions for the model's reflow, so it goes on.
    expect(r.outages).toEqual([]);
    const r2 = run(
      scenario({
        version: '16',
        plan: `
  - {at: "10:01", name: stop-p, stop: {node: p, mode: smart}}
  - {at: "10:01:10", name: away, route_writes: s}
  - {at: "10:01:20", name: back, route_writes: p}`,
      }),
    );
    // Routed away, the sessions closed and the shutdown went on; routed back, p is down.
    expect(at(facts(r2, 'down').find((e) => e.node === 'p')!.at)).toBe(70);
    expect(r2.outages.length).toBeGreaterThan(0);
  });

  it('with the clients blocked first, a smart stop goes on at once', () => {
    const r = run(scenario({ plan: '  - {at: "10:01", name: block, block_clients: p}\n  - {at: "10:01", name: stop-p, stop: p}' }));
    expect(facts(r, 'smart-shutdown-waits')).toEqual([]);
    const down = facts(r, 'down').find((e) => e.node === 'p')!;
    expect(at(down.at)).toBe(60);
    expect(down.fact).toMatchObject({ how: 'stopped', mode: 'smart' });
    expect(down.fact).not.toHaveProperty('sessionsEndedAfter');
  });

  it('a fast stop overtakes a smart one still waiting', () => {
    const r = run(scenario({ plan: '  - {at: "10:01", name: smart, stop: p}\n  - {at: "10:01:20", name: fast, stop: {node: p, mode: fast}}' }));
    const down = facts(r, 'down').find((e) => e.node === 'p')!;
    expect(at(down.at)).toBe(80);
    expect(down.fact).toMatchObject({ how: 'stopped' });
    expect(down.fact).not.toHaveProperty('mode');
    expect(facts(r, 'pg-ctl-gave-up')).toEqual([]);
  });

  it('pg_ctl restart -m smart with sessions gives up and never restarts: a setting waiting for the restart stays pending', () => {
    const r = run(scenario({ plan: '  - {at: "10:01", name: restart-p, restart: p}' }));
    expect(facts(r, 'pg-ctl-gave-up').map((e) => e.fact)).toMatchObject([{ op: 'restart', mode: 'smart', waitingFor: 'sessions' }]);
    expect(facts(r, 'started-primary')).toEqual([]);
    expect(r.outages).toEqual([]);
  });
});

describe('the version decides the default', () => {
  it('from 9.5 a stop is fast: the clients are cut off at once and nothing is lost', () => {
    for (const version of ['9.5', '16']) {
      const r = run(scenario({ version, plan: SMART_THEN_PROMOTE('10:02') }));
      expect(facts(r, 'smart-shutdown-waits')).toEqual([]);
      expect(lost(r)).toBe(0);
      expect(r.outages.length).toBeGreaterThan(0);
      expect(facts(r, 'down').find((e) => e.node === 'p')!.fact).not.toHaveProperty('mode');
    }
  });

  it('on 9.4 an explicit -m fast is fast', () => {
    const r = run(scenario({ plan: SMART_THEN_PROMOTE('10:02').replace('stop: p', 'stop: {node: p, mode: fast}') }));
    expect(lost(r)).toBe(0);
  });
});

describe('pg_ctl stop -m immediate', () => {
  it('kills the server: no shutdown checkpoint, no drain to a lagging standby, crash recovery at the next start', () => {
    const plan = (mode: string) => `
  - {at: "10:01", name: stop-p, stop: {node: p, mode: ${mode}}}
  - {at: "10:01:05", name: promote-s, promote: s}
  - {at: "10:01:05", name: route, route_writes: s}
  - {at: "10:02", name: start-p, start: p}`;
    // The standby lags over a 150 KB/s line (205 KB/s of WAL): a fast stop drains the backlog to it, an immediate one does not.
    const fast = run(scenario({ version: '16', lag: true, plan: plan('fast') }));
    expect(facts(fast, 'down').find((e) => e.node === 'p')!.fact).toMatchObject({ how: 'stopped', draining: [{ node: 's' }] });
    const r = run(scenario({ version: '16', lag: true, plan: plan('immediate') }));
    const down = facts(r, 'down').find((e) => e.node === 'p')!;
    expect(down.fact).toMatchObject({ how: 'crashed', mode: 'immediate', draining: [] });
    expect(facts(r, 'shutdown-complete')).toEqual([]);
    // What s lacked at the kill is lost: about 55 KB/s for a minute, some 1,600 commits of 2 KiB.
    expect(lost(r)).toBeGreaterThan(1_000);
    expect(facts(r, 'started-primary').map((e) => e.node)).toEqual(['p']);
    expect(r.nodes.find((n) => n.name === 'p')!.state).not.toMatch(/stopped|crashed/);
  });

  it('is told from a crash in the verdicts and in the standby\'s lost connection (the control file cannot tell them apart)', () => {
    const plan = `
  - {at: "10:01", name: stop-p, stop: {node: p, mode: immediate}}
  - {at: "10:02", name: start-p, start: p}`;
    const r = run(scenario({ version: '15', plan }));
    expect(fact(r, 'connection-lost')).toMatchObject({ node: 's', upstream: 'p', how: 'crashed', mode: 'immediate' });
    const gone = r.verdicts.find((v) => v.kind === 'no-primary')!.cause.find((c) => c.fact?.kind === 'primary-gone')!.fact;
    expect(gone).toMatchObject({ fate: { kind: 'crashed', node: 'p', mode: 'immediate' } });
    // A real crash keeps the plain word.
    const crashed = run(scenario({ version: '15', plan: plan.replace('stop: {node: p, mode: immediate}', 'crash: p') }));
    expect(fact(crashed, 'connection-lost')).not.toHaveProperty('mode');
    const fate = crashed.verdicts.find((v) => v.kind === 'no-primary')!.cause.find((c) => c.fact?.kind === 'primary-gone')!.fact;
    expect(fate).toMatchObject({ fate: { kind: 'crashed', node: 'p' } });
    expect((fate as unknown as { fate: object }).fate).not.toHaveProperty('mode');
  });
});

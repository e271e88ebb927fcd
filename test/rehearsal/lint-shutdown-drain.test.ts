/**
 * lint's promote-before-shutdown-drained: a plan that stops a primary and promotes its lagging standby before
 * the walsender has sent it the backlog (walsender.c WalSndDone), or whose shutdown checkpoint removes WAL the
 * standby still needs (xlog.c RemoveOldXlogFiles). The projections are checked against the simulated run.
 */
import { describe, expect, it } from 'vitest';
import { resolveSettings } from '../../src/models/postgres/settings.ts';
import { lintScenarioText } from '../../src/rehearsal/lint/index.ts';
import { shutdownRetention } from '../../src/rehearsal/lint/retention.ts';
import { runScenario } from '../../src/run.ts';
import { loadScenarioText } from '../../src/scenario/load.ts';

/** 4000 commits/s of 2 KiB (8.19 MB/s of WAL) over a 5 MB/s line that carries 4.85 MB/s of it, 100 ms one way. */
const TEXT = `name: stop-then-promote
start: 2024-05-06T10:00:00Z
timezone: UTC
end: "10:05"
sites: {a: {}, b: {}}
links:
  - {between: [a, b], bandwidth: 40Mbps, latency: 100ms}
clusters:
  main:
    nodes:
      p: {site: a, version: 16, role: primary, settings: {wal_keep_size: 1GB}}
      s: {site: b, version: 16, upstream: p}
    workload: {target: p, site: a, rate: 4000/s, wal_per_tx: 2KiB, connections: 1000}
plan:
  - {at: "10:01", name: block, block_clients: p}
  - {at: "10:01", name: stop, stop: p}
  - {at: "10:01:30", name: promote, promote: s}
  - {at: "10:01:30", name: route, route_writes: s}
`;
const LINE = (step: string) => TEXT.split('\n').findIndex((l) => l.includes(`name: ${step},`)) + 1;
const CARRIED = 0.97 * 5_000_000;
/** The lag at the stop: a minute of WAL less what the stream carried; its transfer, plus the last byte's trip. */
const BACKLOG = 4000 * 2048 * 60 - CARRIED * 60;
const DRAIN = BACKLOG / CARRIED + 0.1;

const promoteAt = (t: string) => [`plan.promote.at=${t}`, `plan.route.at=${t}`];
const findings = (sets: string[] = []) => lintScenarioText(TEXT, 'drain.yaml', { sets }).filter((f) => f.id === 'promote-before-shutdown-drained');
const lostCommits = (sets: string[] = []) => runScenario(loadScenarioText(TEXT, 'drain.yaml', { sets })).report.dataLoss.reduce((a, l) => a + l.commits, 0);

describe('lint: a standby promoted before its stopped primary has sent it its backlog', () => {
  it('a promotion 30 s after the stop, with a 41 s transfer: an error at the promotion, with the loss the run finds', () => {
    expect(DRAIN).toBeCloseTo(41.44, 1);
    const [f, ...rest] = findings();
    expect(rest).toEqual([]);
    expect(f).toMatchObject({ severity: 'error', where: { line: LINE('promote') } });
    expect(f!.message).toMatch(/^s is promoted 30 s after the stop of p at 10:01:00, before p's walsender can have sent it the 191 MiB it lags \(about 41\.4 s at 4\.85 MB\/s\): about 52\.9 MiB of acknowledged commits are lost$/);
    expect(f!.explanation).toContain('pg_last_wal_receive_lsn()');
    expect(f!.source).toContain('walsender.c WalSndDone');
    // The run loses what had not arrived: the transfer's last 11.4 s at the carried rate.
    const lost = lostCommits();
    expect(Math.abs(lost * 2048 - CARRIED * (DRAIN - 30))).toBeLessThan(0.01 * CARRIED * (DRAIN - 30));
  });

  it('a promotion just after the transfer ends is clean, and the run loses nothing; a second earlier both flag it', () => {
    expect(findings(promoteAt('10:01:42'))).toEqual([]);
    expect(lostCommits(promoteAt('10:01:42'))).toBe(0);
    expect(findings(promoteAt('10:01:41'))).toHaveLength(1);
    expect(lostCommits(promoteAt('10:01:41'))).toBeGreaterThan(0);
  });

  it('a kill of the waiting postmaster ends the transfer: a promotion after the 41 s still loses the rest, at the kill', () => {
    const sets = ['plan.block={at: "10:01:10", name: kill, crash: p}', ...promoteAt('10:01:50')];
    // Alone the promotion at 50 s would come after the transfer.
    expect(findings(promoteAt('10:01:50'))).toEqual([]);
    const [f, ...rest] = findings(sets);
    expect(rest).toEqual([]);
    expect(f!.message).toMatch(/^the kill \(crash\) of p's waiting postmaster 10 s after the stop of p at 10:01:00 ends the transfer of the 191 MiB s lags \(about 41\.4 s at 4\.85 MB\/s\): its promotion at 10:01:50 loses about 145 MiB of acknowledged commits$/);
    // The run: 10 s of transfer, and what was on the wire, arrived.
    const lost = lostCommits(sets);
    expect(Math.abs(lost * 2048 - (BACKLOG - CARRIED * 10))).toBeLessThan(0.01 * BACKLOG);
    // A partition of either end ends it too (nothing more arrives).
    expect(findings(['plan.block={at: "10:01:10", name: cut, partition: s}', ...promoteAt('10:01:50')]).map((x) => x.message.split(' after')[0])).toEqual(['the partition of s 10 s']);
    expect(findings(['plan.block={at: "10:01:10", name: cut, partition: {sites: [b, a]}}', ...promoteAt('10:01:50')]).map((x) => x.message.split(' after')[0])).toEqual(['the cut of the link between b and a 10 s']);
  });

  it('clients blocked before the stop: the backlog no longer grows, and the stream carries part of it before the stop', () => {
    const sets = ['plan.block.at=10:00:50', ...promoteAt('10:01:20')];
    const [f] = findings(sets);
    // 50 s of writes, 60 s of carrying.
    const backlog = 4000 * 2048 * 50 - CARRIED * 60;
    expect(f!.message).toContain(`the ${Math.round(backlog / 2 ** 20)} MiB it lags (about ${(backlog / CARRIED + 0.1).toFixed(1)} s`);
    expect(Math.abs(lostCommits(sets) * 2048 - CARRIED * (backlog / CARRIED + 0.1 - 20))).toBeLessThan(0.01 * backlog);
  });

  it('a cut of the line before the stop: the stream carried nothing meanwhile, so the backlog is larger, as in the run', () => {
    const sets = ['plan.block={at: "10:00:20", name: cut, partition: {sites: [a, b]}}', 'plan.route={at: "10:00:40", name: heal, heal: {sites: [a, b]}}', 'plan.promote.at=10:01:45'];
    const backlog = 4000 * 2048 * 60 - CARRIED * 40;
    const drain = backlog / CARRIED + 0.1;
    const [f] = findings(sets);
    expect(f!.message).toContain(`the ${Math.round(backlog / 2 ** 20)} MiB it lags (about 1 min 1 s at 4.85 MB/s)`);
    expect(Math.abs(lostCommits(sets) * 2048 - CARRIED * (drain - 45))).toBeLessThan(0.01 * CARRIED * (drain - 45));
  });

  it('a backlog beyond what the shutdown checkpoint keeps: the standby is cut off, and a promotion however late loses it all', () => {
    const sets = ['clusters.main.nodes.p.settings.wal_keep_size=0', ...promoteAt('10:03')];
    const [f, ...rest] = findings(sets);
    expect(rest).toEqual([]);
    expect(f).toMatchObject({ severity: 'error', where: { line: LINE('stop') } });
    expect(f!.message).toBe("the stop of p at 10:01:00 cuts off s: it lags about 191 MiB, more than p's shutdown checkpoint can keep (16 MiB); its promotion at 10:03:00 then loses all of it");
    expect(f!.explanation).toMatch(/physical replication slot/);
    // The run: s stopped at what it had at the stop (up to the start of its segment).
    expect(Math.abs(lostCommits(sets) * 2048 - BACKLOG)).toBeLessThan(16 * 2 ** 20);
    // With wal_keep_size above the lag, the 2-minute wait is enough: nothing to flag.
    expect(findings([...sets, 'clusters.main.nodes.p.settings.wal_keep_size=256MB'])).toEqual([]);
    // So with a slot: then only the transfer's time counts, and the run agrees.
    const slot = ['clusters.main.nodes.p.settings.wal_keep_size=0', 'clusters.main.slots={s_slot: {node: p, type: physical, consumer: active}}', 'clusters.main.nodes.s.settings.primary_slot_name=s_slot'];
    expect(findings([...slot, ...promoteAt('10:01:42')])).toEqual([]);
    expect(lostCommits([...slot, ...promoteAt('10:01:42')])).toBe(0);
    expect(findings([...slot, ...promoteAt('10:01:30')]).map((x) => x.where.line)).toEqual([LINE('promote')]);
  });

  it('a restart waits for the transfer as a stop does; a synchronous standby has no backlog', () => {
    const restart = findings(['plan.stop={at: "10:01", name: stop, restart: p}']);
    expect(restart).toHaveLength(1);
    expect(restart[0]!.message).toMatch(/^s is promoted 30 s after the restart of p at 10:01:00/);
    expect(findings(['clusters.main.nodes.p.settings.synchronous_standby_names=s'])).toEqual([]);
  });

  it('two standbys across the line share it, as in the run: each lags and drains at half the rate', () => {
    const two = TEXT.replace('      s: {site: b, version: 16, upstream: p}\n', '      s: {site: b, version: 16, upstream: p}\n      s2: {site: b, version: 16, upstream: p}\n');
    const sets = promoteAt('10:02:10');
    // Alone, s would have had its 191 MiB after 41 s.
    expect(findings(sets)).toEqual([]);
    const [f, ...rest] = lintScenarioText(two, 'two.yaml', { sets }).filter((x) => x.id === 'promote-before-shutdown-drained');
    expect(rest).toEqual([]);
    const half = CARRIED / 2;
    const backlog = 4000 * 2048 * 60 - half * 60;
    const drain = backlog / half + 0.1;
    expect(f!.message).toContain(`s is promoted 1 min 10 s after the stop of p at 10:01:00, before p's walsender can have sent it the ${Math.round(backlog / 2 ** 20)} MiB it lags (about 2 min 23 s at 2.42 MB/s)`);
    expect(f!.explanation).toContain('shared by 2 streams');
    const lost = runScenario(loadScenarioText(two, 'two.yaml', { sets })).report.dataLoss.reduce((a, l) => a + l.commits, 0);
    expect(Math.abs(lost * 2048 - half * (drain - 70))).toBeLessThan(0.01 * half * (drain - 70));
    // standby-lag-beyond-retention shares the line too: 4.1 MB/s of WAL fits one stream, not two.
    const slower = ['clusters.main.workload.rate=2000/s'];
    const behind = (text: string) => lintScenarioText(text, 'x.yaml', { sets: slower }).filter((x) => x.id === 'standby-lag-beyond-retention' && /cannot keep up/.test(x.message));
    expect(behind(TEXT)).toEqual([]);
    expect(behind(two).map((x) => x.message.split(':')[0])).toEqual(['s cannot keep up with p', 's2 cannot keep up with p']);
    expect(behind(two)[0]!.message).toContain('a line of 5 MB/s shared by 2 WAL streams, 2.42 MB/s of it WAL for each');
  });

  it('a standby repointed to another upstream before the stop is not waited for by this one', () => {
    const text = TEXT.replace('      s: {site: b, version: 16, upstream: p}\n', '      s: {site: b, version: 16, upstream: p}\n      q: {site: a, version: 16, upstream: p}\n').replace('plan:\n', 'plan:\n  - {at: "10:00:30", name: move, repoint: {node: s, upstream: q}}\n');
    expect(text).toContain('name: move');
    expect(lintScenarioText(text, 'drain.yaml', {}).filter((f) => f.id === 'promote-before-shutdown-drained')).toEqual([]);
    const back = text.replace('upstream: q}}', 'upstream: q}}\n  - {at: "10:00:40", name: back, repoint: {node: s, upstream: p}}');
    expect(lintScenarioText(back, 'drain.yaml', {}).filter((f) => f.id === 'promote-before-shutdown-drained')).toHaveLength(1);
  });

  /** The plan with its last two steps replaced (promote, route), and its first step's action (stop) when given. */
  const planned = (promote: string, route: string, stop: string | null = null) => {
    let text = TEXT.replace('{at: "10:01:30", name: promote, promote: s}', promote).replace('{at: "10:01:30", name: route, route_writes: s}', route);
    if (stop) text = text.replace('{at: "10:01", name: stop, stop: p}', stop);
    return text;
  };
  const ofP = (text: string, sets: string[] = []) => runScenario(loadScenarioText(text, 'drain.yaml', { sets })).report.events.filter((e) => e.node === 'p').map((e) => e.fact.kind);
  const drained = (text: string, sets: string[] = []) => lintScenarioText(text, 'drain.yaml', { sets }).filter((f) => f.id.endsWith('-before-shutdown-drained'));
  const lineIn = (text: string, step: string) => text.split('\n').findIndex((l) => l.includes(`name: ${step},`)) + 1;

  it('start-before-shutdown-drained: a start while the postmaster still sends fails on its lock file, as in the run', () => {
    const early = planned('{at: "10:01:10", name: start, start: p}', '{at: "10:01:10", name: route, unblock_clients: p}');
    const [f, ...rest] = drained(early);
    expect(rest).toEqual([]);
    expect(f).toMatchObject({ id: 'start-before-shutdown-drained', severity: 'error', where: { line: lineIn(early, 'start') } });
    expect(f!.message).toBe("the start of p at 10:01:10 fails and leaves it down: p's postmaster, shut down at 10:01:00, still waits for its walsender to send s the 191 MiB it lagged (about 41.4 s at 4.85 MB/s, 31.4 s more)");
    expect(f!.explanation).toContain('lock file "postmaster.pid" already exists');
    expect(ofP(early)).toContain('start-refused-shutting-down');
    expect(ofP(early)).not.toContain('started-primary');
    // After the transfer the start works.
    const late = planned('{at: "10:01:42", name: start, start: p}', '{at: "10:01:42", name: route, unblock_clients: p}');
    expect(drained(late)).toEqual([]);
    expect(ofP(late)).toContain('started-primary');
  });

  it('start-before-shutdown-drained: a restart gives up after PGCTLTIMEOUT (60 s) when the transfer takes longer, as in the run', () => {
    const restart = planned('{at: "10:04", name: check, assess: main}', '{at: "10:04", name: route, unblock_clients: p}', '{at: "10:01", name: stop, restart: p}');
    // 41 s at 5 MB/s: the restart waits and starts the server.
    expect(drained(restart)).toEqual([]);
    expect(ofP(restart)).toContain('started-primary');
    // At 2 MB/s the 358 MiB take 3 min 13 s.
    const thin = ['links.0.bandwidth=16Mbps'];
    const [f, ...rest] = drained(restart, thin);
    expect(rest).toEqual([]);
    expect(f).toMatchObject({ id: 'start-before-shutdown-drained', severity: 'error', where: { line: lineIn(restart, 'stop') } });
    expect(f!.message).toMatch(/^the restart of p at 10:01:00 gives up after 1 min \(PGCTLTIMEOUT\) and leaves it down: .* the 358 MiB it lagged \(about 3 min 13 s at 1\.94 MB\/s, 3 min 13 s more\)$/);
    expect(ofP(restart, thin)).toContain('pg-ctl-gave-up');
    expect(ofP(restart, thin)).not.toContain('started-primary');
    // A restart 10 s after a stop waits from its own start: one finding, at the restart.
    const after = planned('{at: "10:01:10", name: again, restart: p}', '{at: "10:04", name: route, unblock_clients: p}');
    expect(drained(after, thin).map((x) => [x.id, x.where.line])).toEqual([['start-before-shutdown-drained', lineIn(after, 'again')]]);
    expect(ofP(after, thin)).toContain('pg-ctl-gave-up');
    expect(drained(after)).toEqual([]);
  });

  it('what the shutdown checkpoint keeps: wal_keep_size from 11 (the current segment may add one), up to 10 also the WAL since the last checkpoint started', () => {
    const seg = 16 * 2 ** 20;
    const r16 = shutdownRetention(16, resolveSettings(16, 'p', { walKeepSize: 100 * 2 ** 20 }), 8e6);
    expect([r16.min, r16.max]).toEqual([6 * seg, 7 * seg]);
    // 10's default checkpoint_timeout of 5 min at 1 MB/s: a checkpoint may have started just before the stop.
    const r10 = shutdownRetention(10, resolveSettings(10, 'p', {}), 1e6);
    expect(r10.min).toBe(0);
    expect(r10.max).toBeCloseTo(300e6 + seg, -3);
  });

  it('up to 10 the cut-off depends on where the last checkpoint fell: a warning, and the run (a checkpoint started 9 s before the stop) cuts it off', () => {
    const sets = ['clusters.main.nodes.p.version=10', 'clusters.main.nodes.s.version=10', 'clusters.main.nodes.p.settings={}', ...promoteAt('10:03')];
    const [f, ...rest] = findings(sets);
    expect(rest).toEqual([]);
    expect(f).toMatchObject({ severity: 'warning', where: { line: LINE('stop') } });
    expect(f!.message).toMatch(/^the stop of p at 10:01:00 may cut off s: it lags about 191 MiB, more than p's shutdown checkpoint is sure to keep \(0 B\); its promotion at 10:03:00 then loses all of it$/);
    expect(Math.abs(lostCommits(sets) * 2048 - BACKLOG)).toBeLessThan(16 * 2 ** 20);
  });
});

import { describe, expect, it } from 'vitest';
import { runScenario } from '../../src/run.ts';
import { loadScenarioText } from '../../src/scenario/load.ts';

/**
 * p archives to a vault from 09:00 at 100 commits/s of 8 KiB; a base backup "b" goes to the backup store at
 * 09:01; p is stopped at `stopAt`, the spare r (a standby until then) is stopped and the backup restored into it
 * with `restore` (YAML flow text) at 10:00:01. `extra` adds plan steps.
 */
function run(o: { version?: number; restore: string; stopAt?: string; extra?: string; rSettings?: string; end?: string; dataSize?: string }) {
  const v = o.version ?? 15;
  const yaml = `
name: pitr
start: 2024-01-01T09:00:00Z
timezone: UTC
end: "${o.end ?? '10:30'}"
sites: {a: {}, vault: {}}
links:
  - {between: [a, vault], bandwidth: 1Gbps, latency: 1ms}
clusters:
  c:
    archive: {site: vault}
    nodes:
      p: {site: a, version: ${v}, role: primary, settings: {archive_mode: on, archive_command: "cp %p /a/%f"}, data_size: ${o.dataSize ?? '1GiB'}}
      r: {site: a, version: ${v}, upstream: p, settings: ${o.rSettings ?? '{restore_command: "cp /a/%f %p"}'}, restore_throughput: 200MB/s}
    workload: {target: p, rate: 100/s, wal_per_tx: 8KiB}
plan:
  - {at: "09:01", basebackup: {name: b, from: p, checkpoint: fast}}
  - {at: "${o.stopAt ?? '10:00'}", stop: p}
  - {at: "10:00", stop: r}
  - {at: "10:00:01", restore_backup: ${o.restore}}
${o.extra ?? ''}
`;
  return runScenario(loadScenarioText(yaml, 'pitr.yaml')).report;
}

type Report = ReturnType<typeof run>;
const lines = (r: Report, node: string) => r.events.filter((e) => e.node === node).flatMap((e) => e.log).join('\n');
const messages = (r: Report, node: string) => r.events.filter((e) => e.node === node).map((e) => e.message).join('\n');
const nodeOf = (r: Report, name: string) => r.nodes.find((n) => n.name === name)!;
const lost = (r: Report) => r.dataLoss.reduce((a, l) => a + l.commits, 0);

describe('point-in-time recovery from a named base backup (pitr.ts)', () => {
  it('a time target stops before the first commit after it; promote starts a new timeline there and what came after is lost', () => {
    const r = run({ restore: '{node: r, backup: b, target: {time: "09:50"}, action: promote}' });
    expect(nodeOf(r, 'r')).toMatchObject({ role: 'primary', timeline: 2, state: 'running' });
    const log = lines(r, 'r');
    expect(log).toMatch(/startup LOG: {2}starting point-in-time recovery to 2024-01-01 09:50:00\+00/);
    expect(log).toMatch(/startup LOG: {2}recovery stopping before commit of transaction \d+, time 2024-01-01 09:50:00\.01\+00/);
    expect(log).toMatch(/startup LOG: {2}selected new timeline ID: 2/);
    expect(messages(r, 'r')).toMatch(/history file gives the reason "before 2024-01-01 09:50:00\.01\+00"/);
    // r is the survivor only once writes go to it; with none routed the loss is judged against r's history.
    // 10 minutes of 100 commits/s were after the target: lost. An earlier target loses more, in proportion.
    const routed = (target: string) => run({ restore: `{node: r, backup: b, target: {time: "${target}"}, action: promote}`, extra: '  - {at: "10:20", route_writes: r}' });
    const at50 = lost(routed('09:50'));
    const at40 = lost(routed('09:40'));
    expect(at50).toBeGreaterThan(59_000);
    expect(at50).toBeLessThan(61_000);
    expect(at40 - at50).toBeGreaterThan(59_000);
    expect(at40 - at50).toBeLessThan(61_000);
  });

  it('an LSN target stops there (after it, inclusive); pause waits for a promote step; shutdown stops the server', () => {
    const lsnTarget = '0/40000000';
    const paused = run({ restore: `{node: r, backup: b, target: {lsn: "${lsnTarget}"}}` });
    expect(nodeOf(paused, 'r')).toMatchObject({ role: 'standby', state: 'running', lsn: lsnTarget });
    expect(lines(paused, 'r')).toMatch(/recovery stopping after WAL location \(LSN\) "0\/40000000"\n.*pausing at the end of recovery\n\tHINT: {2}Execute pg_wal_replay_resume\(\) to promote\./);
    // Up to 12 the generic pause line.
    expect(lines(run({ version: 12, restore: `{node: r, backup: b, target: {lsn: "${lsnTarget}"}}` }), 'r')).toMatch(/recovery has paused\n\tHINT: {2}Execute pg_wal_replay_resume\(\) to continue\./);
    const promoted = run({ restore: `{node: r, backup: b, target: {lsn: "${lsnTarget}"}}`, extra: '  - {at: "10:20", promote: r}' });
    expect(nodeOf(promoted, 'r')).toMatchObject({ role: 'primary', timeline: 2 });
    expect(nodeOf(promoted, 'r').history).toBe('1 (until 0/40000000) → 2');
    expect(messages(promoted, 'r')).toMatch(/history file gives the reason "after LSN 0\/40000000"/);
    const exclusive = run({ restore: `{node: r, backup: b, target: {lsn: "${lsnTarget}"}, inclusive: false, action: promote}` });
    expect(messages(exclusive, 'r')).toMatch(/reason "before LSN 0\/40000000"/);
    const shut = run({ restore: `{node: r, backup: b, target: {lsn: "${lsnTarget}"}, action: shutdown}` });
    expect(nodeOf(shut, 'r').state).not.toBe('running');
    expect(lines(shut, 'r')).toMatch(/postmaster LOG: {2}shutdown at recovery target/);
    // 9.6 names the function pg_xlog_replay_resume.
    expect(lines(run({ version: 9.6, restore: `{node: r, backup: b, target: {time: "09:30"}}` }), 'r')).toMatch(/Execute pg_xlog_replay_resume\(\) to continue/);
  });

  it('the last `restored log file` names the segment holding the stop point (it is read to find the stop)', () => {
    // 0/40800000 is mid-segment 0/40: the segment restored last is 000000010000000000000040, not 0/3F.
    const r = run({ restore: '{node: r, backup: b, target: {lsn: "0/40800000"}, action: promote}' });
    const reached = r.events.find((e) => e.node === 'r' && e.fact.kind === 'recovery-target-reached')!;
    const restored = reached.log.filter((l) => l.includes('restored log file'));
    expect(restored.at(-1)).toBe('startup LOG:  restored log file "000000010000000000000040" from archive');
  });

  it('the first `restored log file` is the backup\'s redo segment: archive recovery takes the archive before pg_wal from the redo on (observed on 15.18)', () => {
    // 20 GiB at 121.25 MB/s: 177 s of copy, 145 MB of WAL, so the backup's start and end are segments apart. The
    // start point (the redo) is where replay begins, and XLogFileReadAnyTLI tries the archive first.
    const r = run({ dataSize: '20GiB', restore: '{node: r, backup: b, target: {lsn: "0/40800000"}, action: promote}' });
    const started = r.events.find((e) => e.node === 'p' && e.fact.kind === 'basebackup-started')!;
    const start = /start point: 0\/([0-9A-F]+) on/.exec(started.log.join('\n'))![1]!;
    const segment = `0000000100000000000000${start.padStart(8, '0').slice(0, 2)}`;
    const reached = r.events.find((e) => e.node === 'r' && e.fact.kind === 'recovery-target-reached')!;
    const restored = reached.log.filter((l) => l.includes('restored log file'));
    expect(restored[0]).toBe(`startup LOG:  restored log file "${segment}" from archive`);
    const done = r.events.find((e) => e.node === 'p' && e.fact.kind === 'basebackup-done')!;
    expect(done.log.join('\n')).not.toMatch(new RegExp(`end point: 0/${start.slice(0, start.length - 6)}`));
  });

  it('latest replays all the archive holds and promotes whatever the action ("no recovery target specified")', () => {
    const r = run({ restore: '{node: r, backup: b, action: pause}' });
    expect(nodeOf(r, 'r')).toMatchObject({ role: 'primary', timeline: 2 });
    expect(lines(r, 'r')).toMatch(/startup LOG: {2}starting archive recovery/);
    // p stopped at 10:00; the archive ends at its last completed segment: at most one segment is not replayed.
    const pEnd = Number.parseInt(nodeOf(r, 'p').lsn.split('/')[1]!, 16) + Number.parseInt(nodeOf(r, 'p').lsn.split('/')[0]!, 16) * 2 ** 32;
    const [hi, lo] = nodeOf(r, 'r').history.match(/until ([0-9A-F]+)\/([0-9A-F]+)/)!.slice(1);
    const sp = Number.parseInt(lo!, 16) + Number.parseInt(hi!, 16) * 2 ** 32;
    expect(pEnd - sp).toBeGreaterThanOrEqual(0);
    expect(pEnd - sp).toBeLessThan(16 * 1024 ** 2);
  });

  it('a target past the archived WAL: FATAL from 13, up to 12 recovery ends there and promotes', () => {
    const restore = '{node: r, backup: b, target: {time: "10:20"}, action: promote}';
    const v13 = run({ version: 13, restore });
    expect(lines(v13, 'r')).toMatch(/startup FATAL: {2}recovery ended before configured recovery target was reached/);
    expect(nodeOf(v13, 'r').state).not.toBe('running');
    const v12 = run({ version: 12, restore });
    expect(nodeOf(v12, 'r')).toMatchObject({ role: 'primary', timeline: 2 });
    expect(messages(v12, 'r')).toMatch(/reason "before 2000-01-01 00:00:00\+00"/);
    // 11 and before keep the settings in recovery.conf.
    expect(messages(run({ version: 11, restore }), 'r')).toMatch(/recovery\.conf/);
    expect(messages(v12, 'r')).toMatch(/recovery\.signal/);
  });

  it('refuses without restore_command, before the consistent point, and a backup not taken yet', () => {
    const none = run({ restore: '{node: r, backup: b, target: {time: "09:50"}, action: promote}', rSettings: '{}' });
    expect(lines(none, 'r')).toMatch(/FATAL: {2}must specify restore_command when standby mode is not enabled/);
    // The backup ends a few seconds after 09:01 (1 GiB at 125 MB/s): a target at 09:01 lies inside it.
    const early = run({ restore: '{node: r, backup: b, target: {time: "09:01"}, action: promote}' });
    expect(lines(early, 'r')).toMatch(/FATAL: {2}requested recovery stop point is before consistent recovery point/);
    const running = run({ restore: '{node: p, backup: b}', stopAt: '10:10' });
    expect(messages(running, 'p')).toMatch(/restore of a base backup into p refused: p is running/);
  });

  it('follows one branch: the archive holds timeline 2 of an earlier promotion; current stays on 1, latest follows 2, and the new timeline is 3', () => {
    // q, a second standby, is promoted at 09:30 and archives timeline 2 until 10:00.
    const twoBranches = (timeline: string) =>
      runScenario(
        loadScenarioText(
          `
name: pitr-branches
start: 2024-01-01T09:00:00Z
timezone: UTC
end: "10:40"
sites: {a: {}, vault: {}}
links: [{between: [a, vault], bandwidth: 1Gbps, latency: 1ms}]
clusters:
  c:
    archive: {site: vault}
    nodes:
      p: {site: a, version: 16, role: primary, settings: {archive_mode: on, archive_command: "cp %p /a/%f"}, data_size: 1GiB}
      q: {site: a, version: 16, upstream: p, settings: {archive_mode: on, archive_command: "cp %p /a/%f"}}
      r: {site: a, version: 16, upstream: p, settings: {restore_command: "cp /a/%f %p"}, restore_throughput: 200MB/s}
    workload: {target: p, rate: 100/s, wal_per_tx: 8KiB}
plan:
  - {at: "09:01", basebackup: {name: b, from: p, checkpoint: fast}}
  - {at: "09:30", promote: q}
  - {at: "09:30", route_writes: q}
  - {at: "10:00", stop: q}
  - {at: "10:00", stop: p}
  - {at: "10:00", stop: r}
  - {at: "10:00:01", restore_backup: {node: r, backup: b, timeline: ${timeline}}}
`,
          'b.yaml',
        ),
      ).report;
    const latest = twoBranches('latest');
    expect(nodeOf(latest, 'r')).toMatchObject({ role: 'primary', timeline: 3 });
    expect(nodeOf(latest, 'r').history).toMatch(/^1 \(until [0-9A-F/]+\) → 2 \(until [0-9A-F/]+\) → 3$/);
    const current = twoBranches('current');
    // Timeline 1 only (p stopped writing at 09:30); the new timeline is 3 all the same: 2 is in the archive.
    expect(nodeOf(current, 'r')).toMatchObject({ role: 'primary', timeline: 3 });
    expect(nodeOf(current, 'r').history).toMatch(/^1 \(until [0-9A-F/]+\) → 3$/);
  });
});

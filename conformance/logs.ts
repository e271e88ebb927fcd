/**
 * A real server's log lines attributed to the process that wrote them. 13+ prints the backend type
 * (log_line_prefix %b). Up to 12 there is no such escape: a line with an application_name is a walsender
 * (the standby's name from primary_conninfo) or a client backend (the harness's); a line without one is an
 * auxiliary process or the postmaster, told by messages only it prints (the source file that ereports them),
 * and every other line of the same process ID inherits that attribution (a DETAIL follows its message).
 */
import type { Flavor } from './flavor.ts';

export interface LogLine {
  readonly pid: number;
  /** startup, walreceiver, walsender, checkpointer, postmaster, client backend, archiver, ... ('unknown' when ≤ 12 cannot tell). */
  readonly process: string;
  readonly level: string;
  readonly text: string;
  /** The whole line as written. */
  readonly raw: string;
}

const LEVELS = 'LOG|FATAL|ERROR|DETAIL|WARNING|HINT|STATEMENT|PANIC|CONTEXT|NOTICE';
const WITH_TYPE = new RegExp(`^\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d\\.\\d+ \\S+ \\[(\\d+)\\] (.+?) (${LEVELS}):  (.*)$`);
const WITH_APP = new RegExp(`^\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d\\.\\d+ \\S+ \\[(\\d+)\\] <(.*?)> (${LEVELS}):  (.*)$`);

/** ≤ 12: messages that only one process prints (xlog.c / xlogrecovery.c: startup; walreceiver.c; postmaster.c; checkpointer.c). */
const BY_MESSAGE: readonly [RegExp, string][] = [
  [/^(new target timeline is|new timeline \d+ (forked off|is not a child)|requested timeline \d+ (is not a child|does not contain)|recovery target timeline \d+ does not exist|selected new timeline ID|redo (starts|done) at|consistent recovery state reached|entering standby mode|database system was (interrupted|shut down|not properly)|received promote request|archive recovery complete|invalid record length|record with incorrect prev-link|unexpected pageaddr|invalid magic number|restored log file|starting (point-in-time|archive) recovery|starting backup recovery|redo is not required|last completed transaction|invalid resource manager ID|contrecord is requested|end of WAL|waiting for WAL to become available|could not read from log segment|started streaming WAL from primary at \S+ on timeline \d+ was)/, 'startup'],
  [/^(started streaming WAL|restarted WAL streaming|replication terminated by primary server|fetching timeline history file|could not connect to the primary server|could not start WAL streaming|could not receive data from WAL stream|terminating walreceiver|highest timeline \d+ of the primary is behind|could not receive database system identifier|primary server contains no more WAL|database system identifier differs|unexpected termination of replication stream|could not send end-of-streaming message)/, 'walreceiver'],
  [/^(received SIGHUP|parameter "[^"]+" (changed to|cannot be changed)|database system is ready to accept|received (fast|smart|immediate) shutdown request|aborting any active transactions|background worker|startup process \(PID|listening on|starting PostgreSQL|database system is shut down|worker process:|terminating any other active server processes|all server processes terminated|shutting down because restart_after_crash|WAL receiver process|server process \(PID|checkpointer process \(PID|archiver process \(PID|database system is ready to accept read-only)/, 'postmaster'],
  [/^(checkpoint (starting|complete)|restartpoint (starting|complete)|recovery restart point at|shutting down|invalidating (obsolete replication )?slot|checkpoints are occurring too frequently|terminating process \d+ to release replication slot)/, 'checkpointer'],
  [/^(archive command failed|archiving write-ahead log file|the failed archive command was|archive command was terminated)/, 'archiver'],
];

/**
 * Lines of a recording made before a message was known to BY_MESSAGE, or a DETAIL a message of another process
 * claimed (10's checkpointer DETAIL `last completed transaction`, lower-case there, read as the startup process's
 * own LOG line), under the process that wrote them.
 */
export function reattributed(lines: Readonly<Record<string, readonly string[]>>): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [proc, ls] of Object.entries(lines)) {
    for (const l of ls) {
      const m = l.match(/^([A-Z]+):  (.*)$/);
      const to =
        proc === 'unknown' && m ? (BY_MESSAGE.find(([re]) => re.test(m[2]!))?.[1] ?? proc) : proc === 'startup' && m?.[1] === 'DETAIL' && m[2]!.startsWith('last completed transaction') ? 'checkpointer' : proc;
      (out[to] ??= []).push(l);
    }
  }
  return out;
}

export function parseLog(text: string, f: Flavor, nodeNames: ReadonlySet<string>): LogLine[] {
  const out: { pid: number; process: string; level: string; text: string; raw: string }[] = [];
  const byPid = new Map<number, string>();
  for (const raw of text.split('\n')) {
    if (f.backendTypeInPrefix) {
      const m = raw.match(WITH_TYPE);
      if (m) out.push({ pid: Number(m[1]), process: m[2]!, level: m[3]!, text: m[4]!, raw });
      continue;
    }
    const m = raw.match(WITH_APP);
    if (!m) continue;
    const pid = Number(m[1]);
    const app = m[2]!;
    const msg = m[4]!;
    // A DETAIL, HINT or CONTEXT line is its message's: the process ID's attribution comes first.
    const own = /^(DETAIL|HINT|CONTEXT|STATEMENT)$/.test(m[3]!) ? byPid.get(pid) : undefined;
    let process = app ? (nodeNames.has(app) ? 'walsender' : 'client backend') : (own ?? BY_MESSAGE.find(([re]) => re.test(msg))?.[1] ?? byPid.get(pid) ?? 'unknown');
    // Another message of the process may say more (a DETAIL first seen, then its line's process known).
    if (!app && process !== 'unknown') byPid.set(pid, process);
    out.push({ pid, process, level: m[3]!, text: msg, raw });
  }
  // Lines of a process ID attributed later in the chunk (a DETAIL before nothing, a HINT): fill in.
  return out.map((l) => (l.process === 'unknown' && byPid.has(l.pid) ? { ...l, process: byPid.get(l.pid)! } : l));
}

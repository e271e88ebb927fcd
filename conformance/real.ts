/**
 * The real side: a sequence run against PostgreSQL servers of one major (10 to 18, the embedded binaries of
 * install-servers.ts) on 127.0.0.1 (private ports below the ephemeral range, a fresh temp directory per
 * sequence, servers run as the `postgres` user when the harness runs as root). Every wait is bounded;
 * servers are stopped and directories removed on every exit path (also on a signal).
 */
import { execFile, execFileSync } from 'node:child_process';
import { appendFileSync, chmodSync, closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, readSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { clone } from './clone.ts';
import { WAL_KEEP_BYTES, WAL_SEGMENT, logLinePrefix, walKeepLine, type Flavor } from './flavor.ts';
import { parseLog } from './logs.ts';
import { messageKeys, normaliseLine, OWN_PROCESSES, type NodeObservation, type SlotObservation, type StepObservation } from './observe.ts';
import { PgConnectError, PgSession, type QueryResult } from './pgwire.ts';
import { CutProxy } from './proxy.ts';
import { applyIntended, describeOp, initialIntended, type Intended, type Op, type Rtt, type Sequence, type StopMode } from './sequence.ts';
import { RM_STANDBY_ID, XLOG_RUNNING_XACTS, lastRecordBefore } from './walreader.ts';

const IS_ROOT = process.getuid?.() === 0;
export const PG_USER = 'postgres';

/** Bounds of the settle wait after each step (real time). */
const SETTLE = { minMs: 3000, stableMs: 2500, startupStableMs: 10000, timeoutMs: 60000, pollMs: 500 };
/** How long a commit waiting for synchronous standbys waits before it is cancelled, times out or is terminated. */
const SYNC_WAIT_MS = 3000;

export interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

export function run(cmd: string, args: string[], timeoutMs = 60000, asPg = true): Promise<Result> {
  const [file, argv] = asPg && IS_ROOT ? ['runuser', ['-u', PG_USER, '--', cmd, ...args]] : [cmd, args];
  return new Promise((resolve) => {
    execFile(file, argv, { timeout: timeoutMs, killSignal: 'SIGKILL', env: { ...process.env, LC_ALL: 'C' } }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function parseLsn(s: string): number {
  const [hi, lo] = s.split('/');
  return parseInt(hi!, 16) * 2 ** 32 + parseInt(lo!, 16);
}

export function formatLsn(v: number): string {
  const hi = Math.floor(v / 2 ** 32);
  return `${hi.toString(16).toUpperCase()}/${(v - hi * 2 ** 32).toString(16).toUpperCase()}`;
}

async function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

/** The `postgres` user the servers run as when the harness is root (a fresh machine may not have it). */
export function ensurePgUser(): void {
  if (!IS_ROOT) return;
  try {
    execFileSync('id', ['-u', PG_USER], { stdio: 'ignore' });
  } catch {
    execFileSync('useradd', ['--system', '--no-create-home', '--shell', '/usr/sbin/nologin', PG_USER], { stdio: 'inherit' });
  }
}

/** Data directories of servers that may be running, with their pg_ctl: stopped (immediate) at process exit whatever happens. */
const live = new Map<string, string>();
function stopAllSync(): void {
  // SIGQUIT to each live postmaster (what pg_ctl stop -m immediate sends), without waiting on pg_ctl per server.
  for (const dir of live.keys()) {
    try {
      const pid = Number(readFileSync(join(dir, 'postmaster.pid'), 'utf8').split('\n')[0]);
      if (pid > 0) process.kill(pid, 'SIGQUIT');
    } catch {
      /* not running */
    }
  }
  live.clear();
}
/**
 * Stop a server at once, whatever the machine's load: SIGQUIT to its postmaster (what pg_ctl stop -m immediate
 * sends), then SIGKILL if it is still there after 20 s (its children exit when they see the postmaster gone).
 */
async function stopNow(dir: string): Promise<void> {
  let pid = 0;
  try {
    pid = Number(readFileSync(join(dir, 'postmaster.pid'), 'utf8').split('\n')[0]);
  } catch {
    return;
  }
  const alive = () => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  if (!(pid > 0) || !alive()) return;
  process.kill(pid, 'SIGQUIT');
  for (let i = 0; i < 40 && alive(); i++) await sleep(500);
  if (alive()) process.kill(pid, 'SIGKILL');
}

/** Temporary directories of sequences under way: removed at exit and on a signal too. */
const bases = new Set<string>();
function cleanUpSync(): void {
  try {
    stopAllSync();
  } finally {
    // The postmasters exit within moments of SIGQUIT; their directories go now (a straggler may leave files behind).
    if (!process.env.REPLSIM_KEEP_CONFORMANCE_DIRS)
      for (const b of bases) {
        try {
          rmSync(b, { recursive: true, force: true, maxRetries: 3 });
        } catch {
          /* a server still writing: left for tmp cleaning */
        }
      }
    bases.clear();
  }
}
process.on('exit', cleanUpSync);
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(sig, () => {
    try {
      cleanUpSync();
    } finally {
      process.exit(130);
    }
  });
}

export interface RealNode {
  readonly name: string;
  readonly port: number;
  readonly dir: string;
  readonly log: string;
  logOffset: number;
  /** The harness's session for probes (reopened after a restart). */
  session: PgSession | null;
  /** A TCP proxy between this standby and its upstream, when the sequence cuts this node. */
  proxy: CutProxy | null;
}

export class RealCluster {
  readonly nodes = new Map<string, RealNode>();
  readonly archive: string;
  /** primary_slot_name and restore_command per node, as the sequence set them (the settings file is rewritten whole). */
  readonly slotOf = new Map<string, string>();
  readonly restoreOf = new Set<string>();

  constructor(
    readonly base: string,
    basePort: number,
    names: readonly string[],
    readonly flavor: Flavor,
  ) {
    names.forEach((name, i) => {
      this.nodes.set(name, { name, port: basePort + i, dir: join(base, name), log: join(base, `${name}.log`), logOffset: 0, session: null, proxy: null });
    });
    this.archive = join(base, 'archive');
  }

  bin(name: string): string {
    return join(this.flavor.bin, name);
  }

  node(name: string): RealNode {
    return this.nodes.get(name)!;
  }

  commonConf(): string {
    const f = this.flavor;
    return `
listen_addresses = '127.0.0.1'
wal_level = replica
max_wal_senders = 10
max_replication_slots = 10
${walKeepLine(f, WAL_KEEP_BYTES)}
hot_standby = on
autovacuum = off
checkpoint_timeout = '1h'
max_wal_size = '1GB'
bgwriter_delay = '10ms'
wal_retrieve_retry_interval = '1s'
shared_buffers = '16MB'
max_connections = 30
fsync = off
log_line_prefix = '${logLinePrefix(f)}'
log_checkpoints = on
include_if_exists = 'replsim.conf'
`;
  }

  private writeOwned(path: string, text: string): void {
    writeFileSync(path, text);
    if (IS_ROOT) execFileSync('chown', [`${PG_USER}:`, path]);
  }

  /** The port a standby's primary_conninfo names: its upstream's, or its cut proxy's. */
  conninfoPort(n: RealNode, upstream: RealNode): number {
    if (n.proxy) {
      n.proxy.target = upstream.port;
      return n.proxy.port;
    }
    return upstream.port;
  }

  /**
   * The node's settings file and, for a standby, its recovery settings: replsim.conf (12+: primary_conninfo and
   * recovery_target_timeline are ordinary settings); ≤ 11 recovery.conf, written only when the node is made a
   * standby or still has one (a promoted node's was renamed recovery.done).
   */
  conf(n: RealNode, upstream: string | null, rtt: Rtt, opts: { makeStandby?: boolean; slot?: string | null; restore?: boolean } = {}): void {
    const up = upstream ? this.node(upstream) : null;
    const conninfo = up ? `host=127.0.0.1 port=${this.conninfoPort(n, up)} user=postgres application_name=${n.name}` : '';
    // ≤ 11 has no 'current': its recovery.conf parser reads any word but 'latest' with strtoul, so 'current' is
    // timeline 0, which means latest (xlog.c readRecoveryCommandFile). Its default is the current timeline: omit it.
    const recovery = [
      `primary_conninfo = '${conninfo}'`,
      ...(this.flavor.recoveryConf && rtt === 'current' ? [] : [`recovery_target_timeline = '${rtt}'`]),
      ...(opts.slot ? [`primary_slot_name = '${opts.slot}'`] : []),
      ...(opts.restore ? [`restore_command = 'cp ${this.archive}/%f %p'`] : []),
    ];
    const lines = [`port = ${n.port}`, `unix_socket_directories = '${this.base}'`];
    if (this.flavor.recoveryConf) {
      const file = join(n.dir, 'recovery.conf');
      if (opts.makeStandby || existsSync(file)) this.writeOwned(file, ['standby_mode = on', ...recovery].join('\n') + '\n');
    } else lines.push(...recovery);
    this.writeOwned(join(n.dir, 'replsim.conf'), lines.join('\n') + '\n');
    if (opts.makeStandby && !this.flavor.recoveryConf) this.writeOwned(join(n.dir, 'standby.signal'), '');
  }

  /** Settings written by ALTER SYSTEM-like steps: postgresql.auto.conf is the server's; the harness appends to its own file. */
  setExtra(n: RealNode, line: string): void {
    const file = join(n.dir, 'replsim-extra.conf');
    const key = line.split('=')[0]!.trim();
    const old = existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter((l) => l && l.split('=')[0]!.trim() !== key) : [];
    this.writeOwned(file, [...old, line].join('\n') + '\n');
    const conf = join(n.dir, 'postgresql.conf');
    if (!readFileSync(conf, 'utf8').includes("include_if_exists = 'replsim-extra.conf'")) appendFileSync(conf, "include_if_exists = 'replsim-extra.conf'\n");
  }

  async pgctl(n: RealNode, ...args: string[]): Promise<Result> {
    const starts = args[0] === 'start' || args[0] === 'restart';
    if (starts) live.set(n.dir, this.bin('pg_ctl'));
    return run(this.bin('pg_ctl'), [...args, '-D', n.dir, '-w', '-t', '30', ...(starts ? ['-l', n.log] : [])], 40000);
  }

  async start(n: RealNode): Promise<boolean> {
    this.dropSession(n);
    return (await this.pgctl(n, 'start')).code === 0;
  }

  async stop(n: RealNode, mode: StopMode = 'fast'): Promise<void> {
    this.dropSession(n);
    await this.pgctl(n, 'stop', '-m', mode);
  }

  /** postmaster.pid names a live process (what pg_ctl status checks), without starting a process. */
  running(n: RealNode): boolean {
    try {
      const pid = Number(readFileSync(join(n.dir, 'postmaster.pid'), 'utf8').split('\n')[0]);
      if (!pid) return false;
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  }

  dropSession(n: RealNode): void {
    n.session?.close();
    n.session = null;
  }

  /** A query on the node's probe session (opened on demand; a lost session is dropped and reported as an error). */
  async sql(n: RealNode, q: string, timeoutMs = 15000): Promise<QueryResult> {
    if (!n.session || n.session.closed) {
      this.dropSession(n);
      try {
        n.session = await PgSession.connect({ port: n.port, timeoutMs: 5000 });
      } catch (e) {
        const code = e instanceof PgConnectError && e.sqlstate ? e.sqlstate : 'connect';
        return { rows: [], error: { severity: 'FATAL', code, message: e instanceof Error ? e.message : String(e) }, notices: [] };
      }
    }
    try {
      return await n.session.query(q, timeoutMs);
    } catch (e) {
      this.dropSession(n);
      return { rows: [], error: { severity: 'FATAL', code: 'lost', message: e instanceof Error ? e.message : String(e) }, notices: [] };
    }
  }

  /** WAL segment files in pg_wal: their timelines and segment numbers. */
  walFiles(n: RealNode): { tli: number; segno: number }[] {
    try {
      return readdirSync(join(n.dir, 'pg_wal'))
        .filter((f) => /^[0-9A-F]{24}$/.test(f))
        .map((f) => ({ tli: parseInt(f.slice(0, 8), 16), segno: parseInt(f.slice(8, 16), 16) * 256 + parseInt(f.slice(16, 24), 16) }));
    } catch {
      return [];
    }
  }

  /** Highest timeline among the node's WAL segment files: the timeline it has replayed (or written) into. */
  walTli(n: RealNode): number {
    return this.walFiles(n).reduce((best, f) => Math.max(best, f.tli), 1);
  }

  /**
   * Log lines written since the last call. `from`: for the node an operation restarts, stops or promotes, only
   * what follows that operation's own start (shutdown, promote request) counts; a retry loop's line logged by
   * the old instance before it went down belongs to the previous state.
   */
  newLines(n: RealNode, from: 'all' | 'start' | 'shutdown' | 'promote' = 'all'): { keys: string[]; raw: string[]; byProcess: Record<string, string[]> } {
    const none = { keys: [], raw: [], byProcess: {} };
    if (!existsSync(n.log)) return none;
    const size = statSync(n.log).size;
    if (size <= n.logOffset) return none;
    const fd = openSync(n.log, 'r');
    const buf = Buffer.alloc(size - n.logOffset);
    readSync(fd, buf, 0, buf.length, n.logOffset);
    closeSync(fd);
    n.logOffset = size;
    let lines = parseLog(buf.toString('utf8'), this.flavor, new Set(this.nodes.keys()));
    // A new postmaster's first line: 'starting PostgreSQL' from 13; 'listening on IPv4 address' (10+) on every major.
    const marker = { all: null, start: /^(starting PostgreSQL|listening on IPv4 address)/, shutdown: /^database system is shut down/, promote: /^received promote request/ }[from];
    if (marker) {
      const last = lines.findLastIndex((l) => marker.test(l.text));
      if (last >= 0) lines = lines.slice(last + 1);
    }
    const keys = new Set<string>();
    const raw: string[] = [];
    const byProcess: Record<string, string[]> = {};
    for (const l of lines) {
      if (l.process !== 'client backend') (byProcess[l.process] ??= []).push(`${l.level}:  ${normaliseLine(l.text)}`);
      if (!OWN_PROCESSES.has(l.process)) continue;
      const ks = messageKeys(l.text);
      if (ks.length) raw.push(l.raw);
      for (const k of ks) keys.add(k);
    }
    for (const p of Object.keys(byProcess)) byProcess[p] = [...new Set(byProcess[p])];
    return { keys: [...keys].sort(), raw, byProcess };
  }
}

interface Probe {
  running: boolean;
  role: 'primary' | 'standby' | null;
  lsn: number | null;
  /** A primary's insert and flush positions (quiescence reads the WAL up to them). */
  insert: number | null;
  flush: number | null;
  tli: number;
  receiver: string;
  ckptTli: number | null;
  rows: Map<number, number> | null;
  slots: SlotObservation[] | null;
  /** The probe itself timed out (a loaded machine): not a state to settle on. */
  flaky?: boolean;
  /** The server answered "the database system is starting up" (57P03): stuck in startup, or slow to replay. */
  startingUp?: boolean;
}

/** A failure of the harness's own wait (connection or query timed out, session lost), as opposed to a server's answer. */
function harnessTimeout(r: QueryResult): boolean {
  return r.error !== null && (r.error.code === 'lost' || (r.error.code === 'connect' && /timed out/.test(r.error.message)));
}

async function probe(c: RealCluster, n: RealNode): Promise<Probe> {
  const walTli = c.walTli(n);
  const down: Probe = { running: false, role: null, lsn: null, insert: null, flush: null, tli: walTli, receiver: 'down', ckptTli: null, rows: null, slots: null };
  if (!c.running(n)) return down;
  const slotCols = c.flavor.slotWalStatus ? "coalesce(wal_status, '') || ';' || coalesce(safe_wal_size::text, '')" : "';'";
  const r = await c.sql(
    n,
    `SELECT pg_is_in_recovery(),
            CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn() ELSE pg_current_wal_lsn() END,
            CASE WHEN pg_is_in_recovery() THEN '' ELSE pg_walfile_name(pg_current_wal_lsn()) END,
            (SELECT coalesce(status, '') || ':' || coalesce(received_tli::text, '') FROM pg_stat_wal_receiver),
            (SELECT timeline_id FROM pg_control_checkpoint()),
            (SELECT coalesce(string_agg(step || '=' || c, ','), '') FROM (SELECT step, count(*) c FROM t GROUP BY step ORDER BY step) x),
            CASE WHEN pg_is_in_recovery() THEN NULL ELSE pg_current_wal_insert_lsn() END,
            CASE WHEN pg_is_in_recovery() THEN NULL ELSE pg_current_wal_flush_lsn() END,
            CASE WHEN pg_is_in_recovery() THEN pg_last_wal_receive_lsn() ELSE pg_current_wal_lsn() END,
            (SELECT coalesce(string_agg(slot_name || ';' || active || ';' || coalesce(restart_lsn::text, '') || ';' || ${slotCols}, ','), '') FROM pg_replication_slots)`,
  );
  if (r.error) {
    if (process.env.REPLSIM_DEBUG) console.error(`probe ${n.name}: ${r.error.message}`);
    // A connection or query that timed out says the machine is loaded, not what the server is doing.
    return { ...down, running: true, receiver: `error: ${r.error.message}`, flaky: harnessTimeout(r), startingUp: r.error.code === '57P03' };
  }
  const [rec, lsn, walfile, receiver, ckpt, rows, insert, flush, end, slots] = r.rows[0]!;
  const primary = rec === 'f';
  const rowMap = new Map<number, number>();
  for (const kv of (rows ?? '').split(',').filter(Boolean)) {
    const [k, v] = kv.split('=');
    rowMap.set(Number(k), Number(v));
  }
  const walEnd = end ? parseLsn(end) : lsn ? parseLsn(lsn) : 0;
  const slotObs: SlotObservation[] = (slots ?? '')
    .split(',')
    .filter(Boolean)
    .map((s) => {
      const [name, active, restart, status, safe] = s.split(';');
      return {
        name: name!,
        active: active === 't' || active === 'true',
        restartBehind: restart ? Math.floor(walEnd / WAL_SEGMENT) - Math.floor(parseLsn(restart) / WAL_SEGMENT) : null,
        walStatus: c.flavor.slotWalStatus ? status || null : null,
        safeSegments: safe ? Math.floor(Number(safe) / WAL_SEGMENT) : null,
      };
    });
  return {
    running: true,
    role: primary ? 'primary' : 'standby',
    lsn: lsn ? parseLsn(lsn) : null,
    insert: insert ? parseLsn(insert) : null,
    flush: flush ? parseLsn(flush) : null,
    tli: primary && walfile ? parseInt(walfile.slice(0, 8), 16) : walTli,
    receiver: receiver || 'none',
    ckptTli: ckpt ? Number(ckpt) : null,
    rows: rowMap,
    slots: slotObs,
  };
}

/**
 * An idle primary still writes WAL: the background writer logs a standby snapshot (RUNNING_XACTS) up to
 * 15 s after the last important record (bgwriter.c LOG_SNAPSHOT_INTERVAL_MS), and a promotion is followed by
 * a checkpoint. A primary is quiescent once its last record is that snapshot and its checkpoint is on its
 * timeline; waiting for it keeps this WAL inside the step that caused it. The record is read from pg_wal
 * (walreader.ts), the same way on every major.
 */
function quiescent(c: RealCluster, n: RealNode, p: Probe): boolean {
  if (p.role !== 'primary' || p.insert === null || p.flush === null) return true;
  if (p.ckptTli !== p.tli) return false;
  if (p.flush < p.insert) return false;
  const last = lastRecordBefore(n.dir, p.tli, p.insert);
  if (process.env.REPLSIM_DEBUG) console.error(`quiescent? ${n.name} ${formatLsn(p.insert)} -> ${JSON.stringify(last)}`);
  return last !== null && last.rmid === RM_STANDBY_ID && last.info === XLOG_RUNNING_XACTS;
}

export interface RealRun {
  readonly steps: StepObservation[];
  /** Raw matched log lines per step and node, for the report of a disagreement. */
  readonly logs: Record<string, string[]>[];
  readonly seconds: number;
}

/** Nodes that a `cut` step names: they reach their upstream through a proxy that can cut the connection. */
function cutNodes(seq: Sequence): Set<string> {
  return new Set(seq.ops.filter((o) => o.kind === 'cut').map((o) => o.node));
}

export async function runReal(seq: Sequence, basePort: number, flavor: Flavor): Promise<RealRun> {
  const t0 = Date.now();
  const proxyBase = basePort + seq.nodes.length;
  for (let p = basePort; p < proxyBase + seq.nodes.length; p++) if (!(await portFree(p))) throw new Error(`port ${p} is in use`);
  const base = mkdtempSync(join(tmpdir(), `replsim-conformance-${flavor.major}-`));
  bases.add(base);
  chmodSync(base, 0o755);
  if (IS_ROOT) execFileSync('chown', [`${PG_USER}:`, base]);
  const c = new RealCluster(base, basePort, seq.nodes.map((n) => n.name), flavor);
  mkdirSync(c.archive);
  if (IS_ROOT) execFileSync('chown', [`${PG_USER}:`, c.archive]);
  const cuts = cutNodes(seq);
  try {
    for (const [i, spec] of seq.nodes.entries()) if (cuts.has(spec.name)) c.node(spec.name).proxy = await CutProxy.open(proxyBase + i);
    await setup(c, seq);
    const intended = initialIntended(seq);
    const steps: StepObservation[] = [];
    const logs: Record<string, string[]>[] = [];
    const waiting: PgSession[] = [];
    for (const [k, op] of seq.ops.entries()) {
      for (const n of c.nodes.values()) c.newLines(n); // drop anything logged between steps
      const wasPrimary = intended.role.get(op.node) === 'primary';
      // `pg_ctl promote` reaches only a running server: a node whose start failed stays a standby, with its
      // primary_conninfo for its next restart (seed-51: promoted while failed, then restarted without it).
      const ignored = op.kind === 'promote' && !c.running(c.node(op.node));
      const accepted = await apply(c, intended, op, k, waiting);
      if (!ignored) applyIntended(intended, op);
      const { probes, note } = await settle(c);
      const nodes: Record<string, NodeObservation> = {};
      const raw: Record<string, string[]> = {};
      for (const n of c.nodes.values()) {
        const p = probes.get(n.name)!;
        const from =
          n.name !== op.node
            ? 'all'
            : op.kind === 'stop'
              ? 'shutdown'
              : op.kind === 'promote'
                ? 'promote'
                : op.kind === 'restart' || op.kind === 'start' || (op.kind === 'repoint' && (wasPrimary || !flavor.reloadConninfo))
                  ? 'start'
                  : 'all';
        const m = c.newLines(n, from);
        raw[n.name] = m.raw;
        const full: number[] = [];
        const partial: number[] = [];
        for (const [step, count] of p.rows ?? []) {
          const o = seq.ops[step];
          const want = o?.kind === 'insert' || o?.kind === 'syncInsert' ? o.rows : -1;
          if (count === want) full.push(step);
          else partial.push(step);
        }
        const state = p.running ? 'running' : intended.running.get(n.name) ? 'failed' : 'down';
        const files = c.walFiles(n);
        const current = p.lsn !== null ? Math.floor(Math.max(p.lsn, p.insert ?? 0) / WAL_SEGMENT) : Math.max(0, ...files.map((f) => f.segno));
        const kept = files.filter((f) => f.segno <= current);
        nodes[n.name] = {
          state,
          role: p.role,
          tli: p.tli,
          rows: p.rows ? full.sort((a, b) => a - b) : null,
          partial: partial.sort((a, b) => a - b),
          info: `${p.receiver} lsn ${p.lsn === null ? '-' : formatLsn(p.lsn)}`,
          messages: m.keys,
          wal: { files: files.length, span: kept.length ? current - Math.min(...kept.map((f) => f.segno)) + 1 : 0 },
          slots: p.slots,
          lines: m.byProcess,
        };
      }
      steps.push({ step: k, op: describeOp(op), insertAccepted: accepted, nodes, note });
      logs.push(raw);
    }
    for (const w of waiting) w.close();
    return { steps, logs, seconds: (Date.now() - t0) / 1000 };
  } finally {
    for (const n of c.nodes.values()) c.dropSession(n);
    await Promise.all(
      [...c.nodes.values()].map(async (n) => {
        n.proxy?.close();
        await stopNow(n.dir);
        live.delete(n.dir);
      }),
    );
    if (!process.env.REPLSIM_KEEP_CONFORMANCE_DIRS) rmSync(base, { recursive: true, force: true });
    bases.delete(base);
  }
}

async function setup(c: RealCluster, seq: Sequence): Promise<void> {
  const primary = seq.nodes[0]!;
  const p = c.node(primary.name);
  // initdb once per major and process (it is most of a sequence's CPU time); each sequence copies the result.
  // The copies share a system identifier, which only matters within a cluster, and each sequence is its own.
  const template = await initdbTemplate(c);
  const copied = await run('cp', ['-a', template, p.dir], 120000);
  if (copied.code !== 0) throw new Error(`copy of the initdb template failed: ${copied.stderr}`);
  appendFileSync(join(p.dir, 'postgresql.conf'), c.commonConf());
  c.conf(p, null, primary.rtt);
  if (!(await c.start(p))) throw new Error(`${p.name} did not start: ${await tail(p.log)}`);
  // A loaded machine may take a while to accept the first connection: retry (bounded).
  let ddl = await c.sql(p, 'CREATE TABLE t (step int, i int); CHECKPOINT;', 60000);
  for (let i = 0; i < 5 && ddl.error?.code === 'connect'; i++) {
    await sleep(2000);
    ddl = await c.sql(p, 'CREATE TABLE t (step int, i int); CHECKPOINT;', 60000);
  }
  if (ddl.error) throw new Error(`setup SQL failed: ${ddl.error.message}`);
  // Standbys in topology order: each a base backup of its upstream (cascades are backups of standbys).
  for (const spec of seq.nodes.slice(1)) {
    const n = c.node(spec.name);
    const up = c.node(spec.upstream!);
    await clone(c, up, n);
    c.conf(n, spec.upstream, spec.rtt, { makeStandby: true });
    if (!(await c.start(n))) throw new Error(`${n.name} did not start: ${await tail(n.log)}`);
  }
  await settle(c);
}

const templates = new Map<string, Promise<string>>();
/** A freshly initdb'ed data directory of the cluster's major, made once per process (removed at exit). */
function initdbTemplate(c: RealCluster): Promise<string> {
  const key = c.flavor.bin;
  let t = templates.get(key);
  if (!t) {
    t = (async () => {
      const base = mkdtempSync(join(tmpdir(), `replsim-conformance-initdb-${c.flavor.major}-`));
      bases.add(base);
      chmodSync(base, 0o755);
      if (IS_ROOT) execFileSync('chown', [`${PG_USER}:`, base]);
      const dir = join(base, 'data');
      const init = await run(c.bin('initdb'), ['-D', dir, '--auth=trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8', '--locale=C'], 180000);
      if (init.code !== 0) {
        templates.delete(key);
        throw new Error(`initdb failed: ${init.stderr}`);
      }
      return dir;
    })();
    templates.set(key, t);
  }
  return t;
}

async function tail(file: string): Promise<string> {
  const r = await run('tail', ['-n', '20', file], 5000, false);
  return r.stdout;
}

/** Run a step on the real servers; an insert returns whether it was accepted. */
async function apply(c: RealCluster, s: Intended, op: Op, step: number, waiting: PgSession[]): Promise<boolean | null> {
  const n = c.node(op.node);
  const f = c.flavor;
  const reconf = (extra: { slot?: string | null; restore?: boolean } = {}) => c.conf(n, s.upstream.get(op.node) ?? null, s.rtt.get(op.node)!, { slot: c.slotOf.get(n.name) ?? null, restore: c.restoreOf.has(n.name), ...extra });
  switch (op.kind) {
    case 'insert': {
      // Retried only when the harness's own wait timed out before the server answered (a loaded machine).
      const insert = `INSERT INTO t SELECT ${step}, g FROM generate_series(1, ${op.rows}) g`;
      let r = await c.sql(n, insert, 60000);
      for (let i = 0; i < 3 && r.error?.code === 'connect' && /timed out/.test(r.error.message); i++) r = await c.sql(n, insert, 60000);
      if (r.error && process.env.REPLSIM_DEBUG) console.error(`insert on ${n.name} refused: ${r.error.code} ${r.error.message}`);
      return !r.error;
    }
    case 'promote':
      await c.pgctl(n, 'promote');
      return null;
    case 'repoint':
      if (s.role.get(op.node) === 'primary') {
        // An old primary rejoining: fast shutdown, standby.signal (≤ 11 recovery.conf) and primary_conninfo, start.
        await c.stop(n);
        c.conf(n, op.upstream, s.rtt.get(op.node)!, { makeStandby: true, slot: c.slotOf.get(n.name) ?? null, restore: c.restoreOf.has(n.name) });
        await c.start(n);
      } else {
        c.conf(n, op.upstream, s.rtt.get(op.node)!, { slot: c.slotOf.get(n.name) ?? null, restore: c.restoreOf.has(n.name) });
        if (c.running(n)) {
          // 13+ reloads primary_conninfo; before, an operator restarts the standby.
          if (f.reloadConninfo) await c.pgctl(n, 'reload');
          else {
            c.dropSession(n);
            await c.pgctl(n, 'restart', '-m', 'fast');
          }
        }
      }
      return null;
    case 'restart':
      c.conf(n, s.upstream.get(op.node) ?? null, op.rtt ?? s.rtt.get(op.node)!, { slot: c.slotOf.get(n.name) ?? null, restore: c.restoreOf.has(n.name) });
      c.dropSession(n);
      await c.pgctl(n, 'restart', '-m', op.mode ?? 'fast');
      return null;
    case 'stop':
      await c.stop(n, op.mode ?? 'fast');
      return null;
    case 'start':
      await c.start(n);
      return null;
    case 'checkpoint':
      await c.sql(n, 'CHECKPOINT', 60000);
      return null;
    case 'burst':
      // 1 MiB non-transactional messages: WAL without rows (logicalfuncs.c pg_logical_emit_message; 9.6+, any wal_level).
      await c.sql(n, `SELECT count(pg_logical_emit_message(false, 'replsim', repeat('x', 1048576 - 64))) FROM generate_series(1, ${op.mib})`, 120000);
      return null;
    case 'createSlot':
      await c.sql(n, `SELECT pg_create_physical_replication_slot('${op.slot}', true)`);
      return null;
    case 'dropSlot':
      await c.sql(n, `SELECT pg_drop_replication_slot('${op.slot}')`);
      return null;
    case 'useSlot':
      if (op.slot === null) c.slotOf.delete(n.name);
      else c.slotOf.set(n.name, op.slot);
      reconf();
      await reloadOrRestart(c, n, f.reloadConninfo);
      return null;
    case 'configure':
      return configure(c, s, n, op.setting, reconf);
    case 'syncInsert': {
      const session = await PgSession.connect({ port: n.port, applicationName: 'replsim-sync' }).catch(() => null);
      if (!session) return false;
      if (op.then === 'timeout') await session.query(`SET statement_timeout = ${SYNC_WAIT_MS}`);
      const pending = session.query(`INSERT INTO t SELECT ${step}, g FROM generate_series(1, ${op.rows}) g`, 120000).catch(() => null);
      const done = await Promise.race([pending.then(() => true), sleep(SYNC_WAIT_MS + 500).then(() => false)]);
      if (!done) {
        if (op.then === 'cancel') await session.cancel();
        else if (op.then === 'terminate') await c.sql(n, `SELECT pg_terminate_backend(${session.pid})`);
      }
      if (op.then === 'wait') waiting.push(session);
      else {
        await Promise.race([pending, sleep(5000)]);
        session.close();
      }
      return done;
    }
    case 'cut':
      n.proxy?.cut();
      return null;
    case 'heal':
      n.proxy?.heal();
      return null;
  }
}

async function reloadOrRestart(c: RealCluster, n: RealNode, reloadable: boolean): Promise<void> {
  if (!c.running(n)) return;
  if (reloadable) await c.pgctl(n, 'reload');
  else {
    c.dropSession(n);
    await c.pgctl(n, 'restart', '-m', 'fast');
  }
}

async function configure(c: RealCluster, s: Intended, n: RealNode, set: Extract<Op, { kind: 'configure' }>['setting'], reconf: (extra?: { restore?: boolean }) => void): Promise<null> {
  const f = c.flavor;
  switch (set.name) {
    case 'max_slot_wal_keep_size':
      if (f.slotWalStatus) c.setExtra(n, `max_slot_wal_keep_size = ${set.mib === null ? -1 : `'${set.mib}MB'`}`);
      break;
    case 'wal_keep':
      c.setExtra(n, walKeepLine(f, set.mib * 1024 * 1024));
      break;
    case 'max_wal_size':
      c.setExtra(n, `max_wal_size = '${set.mib}MB'`);
      break;
    case 'checkpoint_timeout':
      c.setExtra(n, `checkpoint_timeout = '${set.seconds}s'`);
      break;
    case 'synchronous_standby_names':
      c.setExtra(n, `synchronous_standby_names = '${set.standbys.length ? `${set.method.toUpperCase()} ${set.num} (${set.standbys.join(', ')})` : ''}'`);
      break;
    case 'synchronous_commit':
      c.setExtra(n, `synchronous_commit = ${set.value}`);
      break;
    case 'archive':
      c.setExtra(n, 'archive_mode = on');
      c.setExtra(n, set.on ? `archive_command = 'test ! -f ${c.archive}/%f && cp %p ${c.archive}/%f'` : "archive_command = 'false'");
      // archive_mode needs a restart; archive_command alone a reload.
      if (!existsSync(join(n.dir, '.replsim-archive-mode'))) {
        writeFileSync(join(n.dir, '.replsim-archive-mode'), '');
        c.dropSession(n);
        if (c.running(n)) await c.pgctl(n, 'restart', '-m', 'fast');
        else await c.start(n);
        return null;
      }
      break;
    case 'restore_command':
      if (set.on) c.restoreOf.add(n.name);
      else c.restoreOf.delete(n.name);
      reconf({ restore: set.on });
      // 12+: restore_command is a setting (reloadable from 14; a restart before); ≤ 11 recovery.conf needs a restart.
      await reloadOrRestart(c, n, f.major >= 14);
      return null;
  }
  if (c.running(n)) await c.pgctl(n, 'reload');
  void s;
  return null;
}

/** Wait (bounded) until positions, roles, timelines and rows have been still for a while and primaries are quiescent. */
async function settle(c: RealCluster): Promise<{ probes: Map<string, Probe>; note: string | null }> {
  const start = Date.now();
  let last = '';
  let stableSince = Date.now();
  for (;;) {
    const probes = new Map<string, Probe>();
    await Promise.all([...c.nodes.values()].map(async (n) => probes.set(n.name, await probe(c, n))));
    const sig = JSON.stringify(
      [...c.nodes.keys()].map((k) => {
        const p = probes.get(k)!;
        return [k, p.running, p.role, p.lsn, p.tli, [...(p.rows ?? [])]];
      }),
    );
    const now = Date.now();
    if (sig !== last) {
      if (process.env.REPLSIM_DEBUG) console.error(`sig ${((now - start) / 1000).toFixed(1)} ${sig}`);
      last = sig;
      stableSince = now;
    }
    if ([...probes.values()].some((p) => p.flaky)) stableSince = now;
    // A server still starting up may be slow (a loaded machine) or stuck for good: give it longer before settling.
    const stableMs = [...probes.values()].some((p) => p.startingUp) ? SETTLE.startupStableMs : SETTLE.stableMs;
    if (now - start >= SETTLE.minMs && now - stableSince >= stableMs) {
      if ([...c.nodes.values()].every((n) => quiescent(c, n, probes.get(n.name)!))) return { probes, note: null };
    }
    if (now - start > SETTLE.timeoutMs) return { probes, note: `settle wait ran out after ${SETTLE.timeoutMs / 1000} s` };
    await sleep(SETTLE.pollMs);
  }
}


/**
 * One primary of the flavor's major on `port` (a copy of the initdb template, the harness's settings), for
 * sequences that need a single server (conformance/vacuum/limits.ts); stopped and removed afterwards.
 */
export async function withPrimary<T>(flavor: Flavor, port: number, fn: (c: RealCluster, n: RealNode) => Promise<T>): Promise<T> {
  if (!(await portFree(port))) throw new Error(`port ${port} is in use`);
  const base = mkdtempSync(join(tmpdir(), `replsim-conformance-${flavor.major}-`));
  bases.add(base);
  chmodSync(base, 0o755);
  if (IS_ROOT) execFileSync('chown', [`${PG_USER}:`, base]);
  const c = new RealCluster(base, port, ['p'], flavor);
  const p = c.node('p');
  try {
    const copied = await run('cp', ['-a', await initdbTemplate(c), p.dir], 120000);
    if (copied.code !== 0) throw new Error(`copy of the initdb template failed: ${copied.stderr}`);
    appendFileSync(join(p.dir, 'postgresql.conf'), c.commonConf());
    c.conf(p, null, 'latest');
    if (!(await c.start(p))) throw new Error(`p did not start: ${await tail(p.log)}`);
    return await fn(c, p);
  } finally {
    c.dropSession(p);
    await stopNow(p.dir);
    live.delete(p.dir);
    if (!process.env.REPLSIM_KEEP_CONFORMANCE_DIRS) rmSync(base, { recursive: true, force: true });
    bases.delete(base);
  }
}

